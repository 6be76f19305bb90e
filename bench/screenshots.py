"""python -m bench.screenshots: retake docs/screenshots/ in Debian's chromium.

    blocwatch demo                        # the demo warehouse, in data/
    python -m bench.screenshots           # or --data-dir DIR, --out DIR

Starts the real `blocwatch dashboard` on the data directory and photographs each page
once its run has finished and every chart is drawn (the same waits as the browser tests).
The demo's Japanese, Chinese and Korean headlines need a CJK font where chromium runs
(Debian: `apt-get install fonts-noto-cjk`); without one they are drawn as empty boxes, so
the command refuses to run (the tests read the page's text and need no font).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench.dashboard import CHROMIUM, CHROMIUM_ARGS, drawn
from bench.harness import BIN, REPO, child_process, free_port, wait_http

# file name -> URL path and query: each page on a view worth showing.
SHOTS = {
    "trends": "/?period=month",
    "map": "/map",
    "alerts": "/alerts",
    "compare": "/compare?split=country",
    "co-mentions": "/co-mentions",
    "articles": "/articles?entities=japan,nato",
}


def take(data_dir: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "BLOCWATCH_DATA": str(data_dir)}
    taken = []
    with child_process([str(BIN / "blocwatch"), "dashboard", "--port", str(port)], env,
                       out / ".dashboard.log") as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/_stcore/health", proc, 120)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pg = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            pg.set_default_timeout(120_000)
            for name, path in SHOTS.items():
                pg.goto(base + path)
                drawn(pg, name)
                pg.locator("h1").first.wait_for()
                target = out / f"{name}.png"
                pg.screenshot(path=str(target), full_page=False)
                taken.append(target)
            browser.close()
    (out / ".dashboard.log").unlink(missing_ok=True)
    return taken


def _has_cjk_font() -> bool:
    try:
        found = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True,
                               timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screenshots", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=REPO / "data",
                        help="data directory with a published warehouse (default data/)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not (args.data_dir / "blocwatch.duckdb").exists():
        print(f"no warehouse in {args.data_dir}: run `blocwatch demo` first", file=sys.stderr)
        return 2
    if not _has_cjk_font():
        print("no CJK font: the demo's Japanese, Chinese and Korean headlines would be drawn "
              "as boxes; install one (Debian: apt-get install fonts-noto-cjk)",
              file=sys.stderr)
        return 2
    for path in take(args.data_dir.resolve(), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
