"""python -m bench: how close blocwatch gets to the hardware, and how it scales.

    python -m bench --articles 2000 --json            # the numbers of docs/performance.md
    python -m bench --articles 2000 --json --scale    # adds the 20,000-article memory run
    python -m bench --articles 40 --json --quick     # seconds: small warehouses, no scale
    python -m bench --json --dashboard-only           # the 100k and 1M warehouses alone

Steps: generate the demo corpus and inflate its pages to real-world size (bench.pages);
serve it on 127.0.0.1 from a separate process; time bare trafilatura and the tagging
stage in this process (bench.stages); run the ingest as a plain Python program and as
the real Prefect flow, each in a child process whose memory is sampled (bench.child);
run the flow again with nothing new; check the warehouse against the generator's ledger;
then generate synthetic warehouses and time every dashboard query on them (bench.synth).
Uses the Prefect server in PREFECT_API_URL, or starts a temporary one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import stages, synth, textsearch
from bench.harness import REPO, child_process, free_port, prefect_api, run_child, wait_http
from bench.pages import MIN_PAGE_BYTES, inflate_web


@contextmanager
def demo_web(web_dir: Path, work: Path) -> Iterator[dict[str, str]]:
    """The demo web served by its own process (a real site's server is not on the
    machine that ingests): yields the host -> 127.0.0.1:port map."""
    port = free_port()
    hosts = sorted(p.name for p in web_dir.iterdir() if p.is_dir())
    with child_process([sys.executable, "-m", "blocwatch.demo.server", str(web_dir), "--port",
                   str(port)], dict(os.environ), work / "demo-web.log") as proc:
        wait_http(f"http://127.0.0.1:{port}/robots.txt", proc, 60, {"Host": hosts[0]})
        yield {h: f"127.0.0.1:{port}" for h in hosts}


def make_corpus(root: Path, articles: int, seed: int) -> tuple[Path, dict[str, Any], dict]:
    from blocwatch.demo.corpus import generate
    from blocwatch.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(REPO / "taxonomy.yaml")
    t = time.perf_counter()
    ledger = generate(root, taxonomy, seed=seed, n_articles=articles)
    sizes = inflate_web(root / "web", [a["url"] for a in ledger["articles"]], taxonomy)
    sizes["seconds"] = round(time.perf_counter() - t, 1)
    if sizes["min_bytes"] < MIN_PAGE_BYTES:
        raise RuntimeError(f"inflated pages are too small: {sizes}")
    return root, sizes, ledger


def check_ledger(published: Path, ledger: dict) -> dict[str, Any]:
    """The flow's warehouse against the generator's ground truth."""
    from warehouse.db import connect_reader

    expected: Counter[str] = Counter()
    for a in ledger["articles"]:
        expected.update(a["mentions"])
    con = connect_reader(published)
    try:
        urls = {r[0] for r in con.execute("SELECT url FROM articles").fetchall()}
        stored = dict(con.execute(
            "SELECT entity_id, sum(body_count) FROM mentions GROUP BY 1").fetchall())
        rollup = con.execute("SELECT sum(articles) FROM rollup_daily_mentions").fetchone()[0]
        base = con.execute("SELECT count(*) FROM mentions JOIN articles USING (article_id) "
                           "WHERE published IS NOT NULL AND duplicate_of IS NULL").fetchone()[0]
    finally:
        con.close()
    wrong = sorted(e for e in set(expected) | set(stored)
                   if stored.get(e, 0) != expected.get(e, 0))
    return {"articles_expected": len(ledger["articles"]), "articles_stored": len(urls),
            "same_urls": urls == {a["url"] for a in ledger["articles"]},
            "mentions_expected": sum(expected.values()), "mentions_stored": sum(stored.values()),
            "entities_with_wrong_totals": wrong, "rollups_match_mentions": rollup == base,
            "ok": urls == {a["url"] for a in ledger["articles"]} and not wrong
            and rollup == base}


def ingest_part(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict[str, Any]:
    corpus, sizes, ledger = make_corpus(work / "corpus", args.articles, args.seed)
    urls = [a["url"] for a in ledger["articles"]]
    out: dict[str, Any] = {"corpus": sizes}
    sample = min(len(urls), args.sample)
    out["stages"] = stages.measure(corpus / "web", urls, REPO / "taxonomy.yaml", work, sample)
    spec = {"sources": str(corpus / "sources.yaml"), "taxonomy": str(REPO / "taxonomy.yaml"),
            "workers": args.workers}
    with demo_web(corpus / "web", work) as resolve:
        spec["resolve"] = resolve
        plain = run_child("plain", {**spec, "data_dir": str(work / "plain")}, env,
                          work / "plain.log")
        flow = run_child("flow", {**spec, "data_dir": str(work / "flow")}, env,
                         work / "flow.log")
        rerun = run_child("flow", {**spec, "data_dir": str(work / "flow")}, env,
                          work / "rerun.log")
    out["check"] = check_ledger(work / "flow" / "blocwatch.duckdb", ledger)
    out["plain_run"] = plain
    out["flow_run"] = flow
    out["rerun"] = rerun
    shutil.rmtree(corpus / "web", ignore_errors=True)
    return out


def scale_part(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict[str, Any]:
    corpus, sizes, _ = make_corpus(work / "corpus-scale", args.scale_articles, args.seed)
    spec = {"sources": str(corpus / "sources.yaml"), "taxonomy": str(REPO / "taxonomy.yaml"),
            "workers": args.workers, "data_dir": str(work / "scale")}
    with demo_web(corpus / "web", work) as resolve:
        flow = run_child("flow", {**spec, "resolve": resolve}, env, work / "scale.log")
    shutil.rmtree(corpus / "web", ignore_errors=True)
    return {"corpus": sizes, "flow_run": flow}


def warehouse_part(sizes: list[int], work: Path, repeats: int) -> dict[str, Any]:
    paths = [work / f"synthetic-{n}.duckdb" for n in sizes]
    built = {str(n): synth.generate(path, n, REPO / "taxonomy.yaml")
             for n, path in zip(sizes, paths, strict=True)}
    timed = synth.time_queries(paths, repeats)
    for path in paths:
        path.unlink()
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
    return {"sizes": built, **synth.compare(timed[0], timed[-1])}


def keyword_summary(wh: dict[str, Any]) -> dict[str, Any]:
    """The Keywords page's 13-week window at both sizes: now (the keyword rollup, migration
    010, plus the edge days read from the articles), the same window in whole weeks (the
    rollup alone), and before (every article's keywords read)."""
    q = wh["queries"]
    now, weeks, before = (q["keyword_terms"], q["keyword_terms_whole_weeks"],
                          q["keyword_terms_article_level"])
    return {"small_ms": now["small_ms"], "large_ms": now["large_ms"], "ratio": now["ratio"],
            "whole_weeks_small_ms": weeks["small_ms"], "whole_weeks_large_ms": weeks["large_ms"],
            "whole_weeks_ratio": weeks["ratio"], "before_small_ms": before["small_ms"],
            "before_large_ms": before["large_ms"], "before_ratio": before["ratio"]}


def summarise(args: argparse.Namespace, ingest: dict[str, Any], scale: dict[str, Any] | None,
              wh: dict[str, Any] | None, load: dict[str, Any],
              text: dict[str, Any] | None = None) -> dict[str, Any]:
    st, flow, plain, rerun = (ingest["stages"], ingest["flow_run"], ingest["plain_run"],
                              ingest["rerun"])
    ingest_rate = flow["loaded"] / flow["seconds"]
    result: dict[str, Any] = {
        "articles": args.articles,
        "page_kb_mean": round(ingest["corpus"]["mean_bytes"] / 1000, 1),
        "extract_only_pages_per_s": st["extract_only_pages_per_s"],
        # blocwatch's own trafilatura settings (no comments, no tables) on the same pages:
        # the flow's workers run this, so it is the fairer per-core rate.
        "extract_page_pages_per_s": round(st["pages"] / st["extract_seconds"], 2),
        "ingest_pages_per_s": round(ingest_rate, 2),
        "ratio_vs_extract_only": round(ingest_rate / st["extract_only_pages_per_s"], 3),
        "ratio_vs_extract_page": round(ingest_rate * st["extract_seconds"] / st["pages"], 3),
        "plain_pages_per_s": round(plain["loaded"] / plain["seconds"], 2),
        "task_runs_per_1000_articles": round(flow["task_runs"] * 1000 / max(1, flow["loaded"]),
                                             2),
        "prefect_overhead_ratio": round(flow["seconds"] / plain["seconds"], 3),
        "tagging_share": st["tagging_shipped"]["share"],
        "tagging_share_5000_aliases": st["tagging_5000_aliases"]["share"],
        "rerun_seconds_ratio": round(rerun["seconds"] / flow["seconds"], 4),
        "load_share": round((plain["load_s"] + plain["publish_s"]) / plain["seconds"], 4),
        "peak_rss_mb": flow["peak_rss_mb"],
    }
    if scale is not None:
        big = scale["flow_run"]
        result["peak_rss_mb_scale"] = big["peak_rss_mb"]
        result["scale_articles"] = args.scale_articles
        result["peak_rss_ratio_scale"] = round(big["peak_rss_mb"] / flow["peak_rss_mb"], 3)
        result["scale_ingest_pages_per_s"] = round(big["loaded"] / big["seconds"], 2)
    if wh is not None:
        result["keyword_terms_13_weeks"] = keyword_summary(wh)
        result["dashboard_max_ratio_rollup_backed"] = wh["max_ratio_rollup_backed"]
        result["dashboard_over_1_5"] = wh["over_1_5_rollup_backed"] + wh[
            "over_1_5_article_level"]
    if text is not None:
        # The full-text index (bench/textsearch.py), against this run's ingest per page.
        result["text_search"] = text
        result["index_upkeep_share"] = text["index_upkeep_share"]
    goals = {
        "ratio_vs_extract_only>=1.6": result["ratio_vs_extract_only"] >= 1.6,
        "task_runs_per_1000_articles<=20": result["task_runs_per_1000_articles"] <= 20,
        "prefect_overhead_ratio<=1.10": result["prefect_overhead_ratio"] <= 1.10,
        "tagging_share<=0.05": max(result["tagging_share"],
                                   result["tagging_share_5000_aliases"]) <= 0.05,
        "rerun_seconds_ratio<=0.05": result["rerun_seconds_ratio"] <= 0.05,
        "load_share<=0.05": result["load_share"] <= 0.05,
        "peak_rss_mb<1536": max(result["peak_rss_mb"],
                                result.get("peak_rss_mb_scale", 0)) < 1536,
        "ledger_check": ingest["check"]["ok"],
    }
    if scale is not None:
        goals["peak_rss_ratio_scale<=1.3"] = result["peak_rss_ratio_scale"] <= 1.3
    if wh is not None:
        goals["dashboard_rollup_backed<=1.5x"] = not wh["over_1_5_rollup_backed"]
        goals["dashboard_every_query<=1.5x"] = not result["dashboard_over_1_5"]
        goals["keyword_terms_13_weeks<=1.5x"] = result["keyword_terms_13_weeks"]["ratio"] <= 1.5
    if text is not None:
        goals.update({f"text_{k}": v for k, v in text["goals"].items()})
    result["goals"] = goals
    result["machine"] = load
    return result


def _save(work: Path, part: str, data: Any) -> None:
    # Each part as soon as it is done: a long run that fails late keeps what it measured.
    (work / f"result-{part}.json").write_text(json.dumps(data, indent=1, default=str),
                                             encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000,
                        help="articles in the ingest corpus (at least 40)")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--quick", action="store_true",
                        help="small synthetic warehouses (500/2,000 articles), 10 sampled pages, "
                             "no scale run")
    parser.add_argument("--scale", action="store_true",
                        help="also ingest --scale-articles pages for peak memory")
    parser.add_argument("--scale-articles", type=int, default=20_000)
    parser.add_argument("--warehouses", default="100000,1000000",
                        help="synthetic warehouse sizes to time the dashboard on ('' = skip)")
    parser.add_argument("--dashboard-only", action="store_true",
                        help="only the synthetic warehouses' dashboard queries (no corpus, "
                             "no ingest, no Prefect server)")
    parser.add_argument("--sample", type=int, default=200,
                        help="pages timed for extraction-only and tagging")
    parser.add_argument("--workers", type=int, default=None,
                        help="extraction processes (default: one per core, as the flow)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep everything here instead of a temporary folder")
    args = parser.parse_args(argv)
    args.articles = max(40, args.articles)
    sizes = [int(s) for s in args.warehouses.split(",") if s.strip()]
    if args.quick:
        sizes = [500, 2_000] if sizes else []
        args.sample = min(args.sample, 10)
        args.scale = False
    started = time.perf_counter()
    load: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="blocwatch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    try:
        if args.dashboard_only:
            return _dashboard_only(args, sizes, work, load, log, started)
        with prefect_api(work) as env:
            log(f"ingest benchmark: {args.articles} articles in {work}")
            ingest = ingest_part(args, work, env)
            _save(work, "ingest", ingest)
            scale = None
            if args.scale:
                log(f"scale run: {args.scale_articles} articles")
                scale = scale_part(args, work, env)
                _save(work, "scale", scale)
        wh = text = None
        if sizes:
            log(f"synthetic warehouses: {sizes}")
            wh = warehouse_part(sizes, work, 2 if args.quick else 7)
            _save(work, "dashboard", wh)
            flow = ingest["flow_run"]
            text = textsearch.run(sizes, 2 if args.quick else 9, args.seed, work,
                                  flow["seconds"] * 1000 / max(1, flow["loaded"]))
            _save(work, "text", text)
        load["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        load["seconds"] = round(time.perf_counter() - started, 1)
        doc = {"summary": summarise(args, ingest, scale, wh, load, text), "ingest": ingest,
               "scale": scale, "dashboard": wh,
               "command": "python -m bench " + " ".join(argv if argv is not None
                                                        else sys.argv[1:])}
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(doc, indent=1, default=str))
    return 0


def _dashboard_only(args: argparse.Namespace, sizes: list[int], work: Path,
                    load: dict[str, Any], log: Any, started: float) -> int:
    """The dashboard part alone: both synthetic warehouses and every query's time."""
    log(f"synthetic warehouses: {sizes}")
    wh = warehouse_part(sizes, work, 2 if args.quick else 7)
    load["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    load["seconds"] = round(time.perf_counter() - started, 1)
    keywords = keyword_summary(wh)
    summary = {"keyword_terms_13_weeks": keywords,
               "dashboard_max_ratio_rollup_backed": wh["max_ratio_rollup_backed"],
               "dashboard_over_1_5": wh["over_1_5_rollup_backed"]
               + wh["over_1_5_article_level"],
               "goals": {"dashboard_rollup_backed<=1.5x": not wh["over_1_5_rollup_backed"],
                         "keyword_terms_13_weeks<=1.5x": keywords["ratio"] <= 1.5},
               "machine": load}
    print(json.dumps({"summary": summary, "dashboard": wh,
                      "command": "python -m bench " + " ".join(sys.argv[1:])},
                     indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
