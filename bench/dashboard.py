"""python -m bench.dashboard: the dashboard as an analyst feels it, in Debian's chromium.

    python -m bench.dashboard --json                       # 100k and 1M articles, 5 rounds
    python -m bench.dashboard --json --sizes 20000 --rounds 2   # a quick look

Builds (once; cached under --workdir) synthetic warehouses with bench/synth.py, starts the
real `blocwatch dashboard` on each, and drives chromium (Playwright, /usr/bin/chromium)
over every page with charts or tables. Per page and round it times:

- navigation: from page.goto() to the run finished with every chart drawn;
- filter change: from a click on a preset button in the sidebar to the rerun it causes
  finished with every chart drawn.

Each round opens the page on another date window (its own `to=`), so every round asks
queries the dashboard's caches have not seen: the times are those of a new view, not of a
cached one. The warehouses are timed in turn, page by page and round by round, so a burst
of load elsewhere hits both sizes alike. Prints JSON: medians (ms) per size and page, the
1M/100k ratios, and the goals (a filter change <= 1.5 s median at the largest size, and the
largest size <= 1.3x the smallest).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import synth
from bench.harness import BIN, REPO, child_process, free_port, wait_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# page name -> URL path. The SQL page has no filters to change and is left out.
PAGES = {"trends": "/", "compare": "/compare", "co-mentions": "/co-mentions",
         "keywords": "/keywords", "articles": "/articles", "map": "/map",
         "alerts": "/alerts", "sources-runs": "/sources-runs"}
# Preset buttons clicked in turn (taxonomy.yaml's ids): each changes the entity selection.
PRESETS = ("japan_nato", "eurasian_blocs", "great_powers", "indo_pacific_blocs")
GOAL_FILTER_S = 1.5
GOAL_RATIO = 1.3

# The app root's own record of its script run (as tests/test_dashboard_browser.py waits).
IDLE = ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]')
# Every chart's container (ui.chart keys them chart_<name>) holds a drawn Plotly figure. Not
# "every stPlotlyChart": Streamlit loads the Plotly component lazily, and before it mounts
# there is no stPlotlyChart at all, so that test would pass on a page with no chart yet.
CHARTS_DRAWN = """() => [...document.querySelectorAll(
    '[data-testid="stElementContainer"][class*="st-key-chart_"]')]
    .every(c => c.querySelector('.js-plotly-plot .main-svg'))"""
# What else a page must have drawn: the map's countries arrive after its outline is loaded.
DRAWN = {"map": ".js-plotly-plot .choroplethlayer path.choroplethlocation"}
NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
# Before a click: record every change of the run state, so the wait below sees that a
# rerun started and ended however short it was (polling could miss a 50 ms "running").
WATCH_RUNS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__bwStates = [];
  if (window.__bwObserver) window.__bwObserver.disconnect();
  window.__bwObserver = new MutationObserver(() =>
    window.__bwStates.push(app.getAttribute('data-test-script-state')));
  window.__bwObserver.observe(app, {attributes: true,
                                    attributeFilter: ['data-test-script-state']});
}"""
RERUN_DONE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return (window.__bwStates || []).includes('running')
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && [...document.querySelectorAll(
         '[data-testid="stElementContainer"][class*="st-key-chart_"]')]
         .every(c => c.querySelector('.js-plotly-plot .main-svg'));
}"""


def _synth_version() -> str:
    """What a cached warehouse was built by: the generator and the migrations."""
    h = hashlib.sha256((REPO / "bench" / "synth.py").read_bytes())
    for p in sorted((REPO / "warehouse" / "migrations").glob("*.sql")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def warehouse(work: Path, n: int) -> tuple[Path, dict[str, Any]]:
    """The data directory of an ``n``-article synthetic warehouse, built unless cached."""
    data_dir = work / f"dashboard-{n}"
    db = data_dir / "blocwatch.duckdb"
    stamp = data_dir / "built.json"
    version = _synth_version()
    if db.exists() and stamp.exists():
        built = json.loads(stamp.read_text(encoding="utf-8"))
        if built.get("version") == version:
            return data_dir, {**built, "cached": True}
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    counts = synth.generate(db, n, REPO / "taxonomy.yaml")
    built = {"articles": n, "version": version, **counts}
    stamp.write_text(json.dumps(built), encoding="utf-8")
    return data_dir, {**built, "cached": False}


@contextmanager
def dashboard_server(data_dir: Path, log: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BLOCWATCH_DATA": str(data_dir)}
    with child_process([str(BIN / "blocwatch"), "dashboard", "--port", str(port)], env,
                       log) as proc:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, 120)
        yield f"http://127.0.0.1:{port}"


def drawn(pg: Any, page: str) -> None:  # noqa: ANN401 - playwright's Page
    """Wait until the page's run is over and all it draws is on screen (then two frames,
    so a figure React has just handed to Plotly is painted)."""
    pg.locator(IDLE).wait_for(state="attached")
    pg.wait_for_function(CHARTS_DRAWN, polling="raf")
    if page in DRAWN:
        pg.locator(DRAWN[page]).first.wait_for(state="attached")
    pg.evaluate(NEXT_FRAME)


def _navigate(pg: Any, url: str, page: str) -> float:  # noqa: ANN401
    t = time.perf_counter()
    pg.goto(url)
    drawn(pg, page)
    return time.perf_counter() - t


def _change_filter(pg: Any, page: str, preset: str) -> float:  # noqa: ANN401
    button = pg.locator(f'[data-testid="stSidebar"] .st-key-preset_{preset} button').first
    button.wait_for()
    pg.evaluate(WATCH_RUNS)
    t = time.perf_counter()
    button.click()
    pg.wait_for_function(RERUN_DONE, polling="raf")
    drawn(pg, page)
    return time.perf_counter() - t


def run(sizes: list[int], rounds: int, work: Path, pages: list[str],
        log: Any = print) -> dict[str, Any]:  # noqa: ANN401
    from playwright.sync_api import sync_playwright

    built = {}
    dirs = {}
    for n in sizes:
        log(f"warehouse of {n:,} articles")
        dirs[n], built[str(n)] = warehouse(work, n)
    samples: dict[int, dict[str, dict[str, list[float]]]] = {
        n: {p: {"navigation": [], "filter_change": []} for p in pages} for n in sizes}
    last = synth.FIRST_DAY + timedelta(days=synth.DAYS - 1)
    with ExitStack() as stack:
        urls = {n: stack.enter_context(dashboard_server(dirs[n], work / f"dashboard-{n}.log"))
                for n in sizes}
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        pg = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        pg.set_default_timeout(180_000)
        for n in sizes:  # the first run of a server imports and opens: not a sample
            _navigate(pg, urls[n] + "/", "trends")
        for page in pages:
            log(f"page {page}")
            for r in range(rounds):
                # A window no earlier round asked for: every query misses the caches.
                to = (last - timedelta(days=7 * r + 1)).isoformat()
                for n in sizes:
                    url = f"{urls[n]}{PAGES[page]}?to={to}"
                    samples[n][page]["navigation"].append(_navigate(pg, url, page))
                    samples[n][page]["filter_change"].append(
                        _change_filter(pg, page, PRESETS[r % len(PRESETS)]))
    return summarise(samples, sizes, built, rounds)


def summarise(samples: dict[int, dict[str, dict[str, list[float]]]], sizes: list[int],
              built: dict[str, Any], rounds: int) -> dict[str, Any]:
    medians = {str(n): {p: {k: round(statistics.median(v) * 1000) for k, v in s.items()}
                        for p, s in samples[n].items()} for n in sizes}
    out: dict[str, Any] = {"rounds": rounds, "warehouses": built, "median_ms": medians,
                           "samples_ms": {str(n): {p: {k: [round(x * 1000) for x in v]
                                                       for k, v in s.items()}
                                                   for p, s in samples[n].items()}
                                          for n in sizes}}
    small, large = str(min(sizes)), str(max(sizes))
    if small != large:
        out["ratio"] = {p: {k: round(medians[large][p][k] / max(medians[small][p][k], 1), 2)
                            for k in ("navigation", "filter_change")}
                        for p in medians[large]}
    goals = {f"filter_change<={GOAL_FILTER_S}s_at_{large}": {
        p: m["filter_change"] <= GOAL_FILTER_S * 1000 for p, m in medians[large].items()}}
    if "ratio" in out:
        goals[f"{large}<={GOAL_RATIO}x{small}"] = {
            p: all(v <= GOAL_RATIO for v in r.values()) for p, r in out["ratio"].items()}
    out["goals"] = goals
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000",
                        help="articles per synthetic warehouse, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="samples per page (median)")
    parser.add_argument("--pages", default=",".join(PAGES),
                        help=f"pages to time (default all: {','.join(PAGES)})")
    parser.add_argument("--workdir", type=Path, default=REPO / "data" / "bench",
                        help="where the warehouses are cached (default data/bench)")
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium",
              file=sys.stderr)
        return 2
    pages = [p for p in args.pages.split(",") if p]
    unknown = sorted(set(pages) - set(PAGES))
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; known: {', '.join(PAGES)}")
    sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    args.workdir.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    result = run(sizes, args.rounds, args.workdir, pages, log)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
