"""The ``blocwatch`` command."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

from blocwatch.errors import BlocwatchError
from blocwatch.paths import (
    DATA_ENV,
    DEFAULT_FILES,
    HOME_ENV,
    data_paths,
    find_config,
    packaged_file,
)

DATA_HELP = f"data directory (default: ${DATA_ENV}, else ${HOME_ENV}/data, else ./data)"
# Exit statuses besides 0 (Completed, also Partial and "Checks failed": the run did its
# work and says what went wrong), 1 (Failed) and 2 (a usage or configuration error).
EXIT_SKIPPED = 3


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help=DATA_HELP)


def _add_run_inputs(p: argparse.ArgumentParser) -> None:
    """The options of the commands that run a writer flow over the outlets."""
    p.add_argument("--sources", help=f"sources file (default: ./sources.yaml, else "
                   f"${HOME_ENV}/sources.yaml)")
    p.add_argument("--taxonomy", help=f"taxonomy file (default: ./taxonomy.yaml, else "
                   f"${HOME_ENV}/taxonomy.yaml, else the shipped one)")
    p.add_argument("--only", nargs="+", metavar="SOURCE_ID", help="only these sources")
    p.add_argument("--workers", type=int, help="extraction processes (default: cores)")


def _finish(state: Any) -> int:
    """Print a flow run's summary and say how it ended; the command's exit status."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, BaseException):
        # The flow raised (a configuration error, a bug): as if it had been called plainly.
        raise result
    if result is not None:
        print(json.dumps(result, indent=2, default=str))
    if state.is_completed():
        if state.name != "Completed":
            print(f"{state.name}: {state.message}", file=sys.stderr)
        return 0
    if state.is_cancelled():
        print(f"{state.name}: {state.message}", file=sys.stderr)
        return EXIT_SKIPPED
    print(f"{state.name}: {state.message}", file=sys.stderr)
    return 1


def cmd_demo(args: argparse.Namespace) -> int:
    from blocwatch.demo.corpus import generate
    from blocwatch.demo.server import serve_until_stopped, served_apart
    from blocwatch.taxonomy import load_taxonomy

    paths = data_paths(args.data_dir).ensure()
    taxonomy = find_config("taxonomy.yaml", args.taxonomy, option="--taxonomy")
    demo = paths.demo_dir
    if args.regenerate or not (demo / "ledger.json").exists():
        print(f"Generating the demo news web in {demo} ...", flush=True)
        ledger = generate(demo, load_taxonomy(taxonomy.path), seed=args.seed,
                          n_articles=args.articles)
        print(f"  {len(ledger['articles'])} articles written", flush=True)
    if args.serve_web:
        # No ingest here: the deployments of prefect-demo.yaml do it, on their schedule.
        print(f"Serving the demo web for scheduled runs (data directory {paths.root}); "
              "next: docs/deployments.md, \"The demo on a schedule\"", flush=True)
        return serve_until_stopped(demo / "web", args.port)
    from flows.ingest import ingest

    with served_apart(demo / "web") as address:
        print(f"Serving the demo web on {address}; running the ingest flow ...", flush=True)
        # The flow finds the same files and data directory again, and logs where from.
        state = ingest(data_dir=args.data_dir, taxonomy_file=args.taxonomy,
                       demo_web=address, workers=args.workers,
                       show_progress=sys.stderr.isatty(), return_state=True)
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, BaseException):
        raise summary
    if not state.is_completed():
        print(f"{state.name}: {state.message}", file=sys.stderr)
        return 1
    print()
    print(f"Warehouse published: {paths.published_db}")
    print(f"  loaded {summary['loaded']} new articles "
          f"({summary['failed']} failed) in {summary['seconds']:.1f} s")
    print()
    me = _this_command()
    print("Next:")
    print(f"  dashboard:  {me} dashboard      (then open http://127.0.0.1:8501)")
    print(f"  SQL shell:  {me} sql            (interactive, read-only)")
    example = '"SELECT * FROM daily_share LIMIT 5"'
    print(f"  one query:  {me} sql {example}")
    return 0


def _this_command() -> str:
    """How the user can type this command again: ``blocwatch`` when that is the one on
    PATH, else its path (``.venv/bin/blocwatch`` after ``make demo``)."""
    exe = Path(sys.argv[0]).resolve()
    on_path = shutil.which("blocwatch")
    if on_path and Path(on_path).resolve() == exe:
        return "blocwatch"
    try:
        return str(exe.relative_to(Path.cwd()))
    except ValueError:
        return str(exe)


def cmd_ingest(args: argparse.Namespace) -> int:
    from flows.ingest import ingest

    return _finish(ingest(sources_file=args.sources, taxonomy_file=args.taxonomy,
                          data_dir=args.data_dir, only_sources=args.only or None,
                          workers=args.workers, show_progress=sys.stderr.isatty(),
                          dask_address=args.dask_address, return_state=True))


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import find_prefect_file, serve_all

    if args.data_dir:
        # Served runs are subprocesses of this one and inherit its environment.
        os.environ[DATA_ENV] = str(Path(args.data_dir).resolve())
    prefect_file = find_prefect_file(args.prefect_yaml, demo=args.demo)
    print(f"Serving the deployments in {prefect_file} (Ctrl-C to stop)", flush=True)
    try:
        serve_all(prefect_file, only=args.only or None, limit=args.limit)
    except (ValueError, FileNotFoundError, TypeError) as exc:  # a bad prefect.yaml or --only
        raise BlocwatchError(str(exc)) from exc
    return 0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from exc


def cmd_backfill(args: argparse.Namespace) -> int:
    from flows.backfill import backfill

    return _finish(backfill(
        start_date=args.start, end_date=args.end, sitemaps=args.sitemap or None,
        archive_pages=args.archive_page or None, archive_link_pattern=args.link_pattern,
        only_sources=args.only or None, max_pages=args.max_pages, sources_file=args.sources,
        taxonomy_file=args.taxonomy, data_dir=args.data_dir, workers=args.workers,
        show_progress=sys.stderr.isatty(), return_state=True))


def cmd_reprocess(args: argparse.Namespace) -> int:
    from flows.reprocess import reprocess

    return _finish(reprocess(sources_file=args.sources, taxonomy_file=args.taxonomy,
                             data_dir=args.data_dir, only_sources=args.only or None,
                             workers=args.workers, show_progress=sys.stderr.isatty(),
                             return_state=True))


def cmd_maintenance(args: argparse.Namespace) -> int:
    from flows.maintenance import maintenance

    return _finish(maintenance(sources_file=args.sources, data_dir=args.data_dir,
                               compact=not args.no_compact, return_state=True))


def cmd_check(args: argparse.Namespace) -> int:
    from blocwatch.config import load_sources
    from blocwatch.taxonomy import load_taxonomy

    sources = find_config("sources.yaml", args.sources, option="--sources")
    taxonomy = find_config("taxonomy.yaml", args.taxonomy, option="--taxonomy")
    cfg = load_sources(sources.path)
    tax = load_taxonomy(taxonomy.path)
    print(f"{sources}: {len(cfg.sources)} sources OK")
    print(f"{taxonomy}: {len(tax.entities)} entities, {len(tax.aliases)} aliases OK")
    return _check_topics(tax)


def _check_topics(tax: Any) -> int:
    """topics.yaml against the taxonomy: 1 when a topic would be skipped, each said why."""
    from blocwatch.topics import load_topics

    found = find_config("topics.yaml")
    topics = load_topics(found.path, tax)
    for error in topics.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{found}: {len(topics.topics)} topics OK"
          + (f", {len(topics.errors)} skipped (see above)" if topics.errors else ""))
    return 1 if topics.errors else 0


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    for name in DEFAULT_FILES:
        dest = target / name
        if dest.exists() and not args.force:
            print(f"kept     {dest} (exists; --force replaces it)")
            continue
        shutil.copyfile(packaged_file(name), dest)
        print(f"wrote    {dest}")
    print()
    print("Next (docs/configuration.md, docs/deployments.md):")
    print("  edit sources.yaml (the outlets) and taxonomy.yaml (what to count), then")
    print("  blocwatch check       validate them")
    print("  blocwatch ingest      one run now")
    print("  blocwatch serve       every deployment of prefect.yaml on its schedule")
    return 0


def cmd_automations(args: argparse.Namespace) -> int:
    from flows.automations import apply_automations

    files = [find_config(name, None) for name in args.files]
    for found in files:
        print(f"reading {found}")
    for name, automation_id in apply_automations([f.path for f in files], args.block):
        print(f"automation {name!r}: {automation_id}")
    return 0


def cmd_unpark(args: argparse.Namespace) -> int:
    from flows.run import writer_lock
    from warehouse.db import connect_writer
    from warehouse.load import unpark
    from warehouse.publish import publish

    if not (args.urls or args.source or args.all):
        raise BlocwatchError("name URLs, or --source SOURCE_ID, or --all")
    paths = data_paths(args.data_dir).ensure()
    with writer_lock(paths.lock, args.lock_timeout, _StderrLog()) as locked:
        if not locked:
            raise BlocwatchError(f"the warehouse lock {paths.lock} is held by a running flow")
        con = connect_writer(paths.work_db)
        try:
            n = unpark(con, args.urls, args.source)
            if n:
                # The dashboard and analysts read the snapshot: show them the change now.
                publish(con, paths.work_db, paths.published_db)
        finally:
            con.close()
    print(f"unparked {n} URL{'s' if n != 1 else ''}; the next run fetches "
          f"{'them' if n != 1 else 'it'}")
    return 0


class _StderrLog:
    """The logger writer_lock expects, for a command run outside a flow."""

    def info(self, msg: str, *args: object) -> None:
        print(msg % args, file=sys.stderr)

    warning = info


def cmd_dashboard(args: argparse.Namespace) -> int:
    import importlib.util

    env = dict(os.environ)
    if args.data_dir:
        env[DATA_ENV] = str(Path(args.data_dir).resolve())
    if args.sql_timeout:
        env["BLOCWATCH_SQL_TIMEOUT_S"] = str(args.sql_timeout)  # read by dashboard/sqlrun.py
    # The installed package's app (a module's file, found without importing Streamlit).
    spec = importlib.util.find_spec("dashboard")
    assert spec is not None and spec.origin is not None, "the dashboard package is missing"
    app = Path(spec.origin).parent / "app.py"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app),
           "--server.address", args.host, "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "minimal",
           # dashboard/static/: the map's world outline, served so nothing is fetched online.
           "--server.enableStaticServing", "true"]
    print(f"Dashboard on http://{args.host}:{args.port}  (Ctrl-C to stop)", flush=True)
    # Become Streamlit rather than wrap it: a supervisor's SIGTERM (systemd, a test, Ctrl-C
    # in a wrapper script) then reaches the server instead of orphaning it.
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


def cmd_sql(args: argparse.Namespace) -> int:
    from warehouse.sqlguard import SqlRefused, run_readonly

    paths = data_paths(args.data_dir)
    if not paths.published_db.exists():
        raise BlocwatchError(f"no warehouse at {paths.published_db}: run `blocwatch demo` "
                             "or `blocwatch ingest` first")
    if args.query:
        try:
            df = run_readonly(paths.published_db, args.query, limit=None)
        except SqlRefused as exc:
            raise BlocwatchError(str(exc)) from exc
        if args.csv:
            df.to_csv(sys.stdout, index=False)
        else:
            import pandas as pd

            with pd.option_context("display.max_rows", 200, "display.max_columns", 50,
                                   "display.width", 200):
                print(df.to_string(index=False))
        return 0
    return _repl(paths.published_db)


def _repl(db: Path) -> int:
    import pandas as pd

    from warehouse.sqlguard import SqlRefused, run_readonly

    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    print(f"blocwatch SQL on {db} (read-only). End statements with ';'. "
          "Tables: SHOW TABLES; quit with .quit or Ctrl-D.")
    buf = ""
    while True:
        try:
            line = input("sql> " if not buf else "...> ")
        except EOFError:
            print()
            return 0
        if line.strip() in (".quit", ".exit", "\\q"):
            return 0
        buf += line + "\n"
        if not buf.strip().endswith(";"):
            continue
        try:
            df = run_readonly(db, buf, limit=None)
            with pd.option_context("display.max_rows", 100, "display.width", 200):
                print(df.to_string(index=False))
        except (SqlRefused, Exception) as exc:  # show every SQL error and keep the prompt
            print(f"error: {exc}")
        buf = ""


def cmd_query(args: argparse.Namespace) -> int:
    import csv

    from blocwatch.query import QuerySyntaxError, parse
    from blocwatch.taxonomy import load_taxonomy
    from warehouse import search
    from warehouse.db import connect_reader
    from warehouse.textindex import TextIndexError

    try:
        parsed = parse(args.query)
    except QuerySyntaxError as exc:
        print(exc.caret(), file=sys.stderr)
        return 2
    paths = data_paths(args.data_dir)
    if not paths.published_db.exists():
        raise BlocwatchError(f"no warehouse at {paths.published_db}: run `blocwatch demo` "
                             "or `blocwatch ingest` first")
    taxonomy = load_taxonomy(find_config("taxonomy.yaml", args.taxonomy).path)
    con = connect_reader(paths.published_db)
    try:
        try:
            plan = search.compile_text(parsed, con, taxonomy)
        except QuerySyntaxError as exc:
            # compile_text saw the parsed query: point into the text as typed
            exc = QuerySyntaxError(exc.message, exc.position, args.query)
            print(exc.caret(), file=sys.stderr)
            return 2
        try:
            searcher = search.open_searcher(con, paths.published_db)
        except TextIndexError as exc:
            raise BlocwatchError(str(exc)) from exc
        filters = search.Filters(args.start, args.end, search.parse_sources(args.sources),
                                 search.parse_sources(args.languages))
        if args.articles is not None:
            total, rows, _ = search.query_articles(con, searcher, plan, filters,
                                                   limit=args.articles)
            fields = ["published", "outlet", "title", "url"]
            if args.csv:
                out = csv.writer(sys.stdout, lineterminator="\n")
                out.writerow(fields)
                out.writerows([r[f] for f in fields] for r in rows)
            else:
                print(f"{total} matching article{'s' if total != 1 else ''}"
                      f"{f', the first {len(rows)}:' if rows else ''}")
                for r in rows:
                    print(f"{r['published'] or '-'}  {r['outlet']}  {r['title'] or ''}\n"
                          f"            {r['url']}")
            return 0
        series = search.query_series(con, searcher, plan, args.by, filters)
    finally:
        con.close()
    header = [args.by, "articles", "all_articles", "share", "stories"]
    if args.csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(header)
        out.writerows([r.period.isoformat(), r.articles, r.total, f"{r.share:.6f}", r.stories]
                      for r in series)
    else:
        print(f"{header[0]:<12}{header[1]:>10}{header[2]:>14}{header[3]:>9}{header[4]:>9}")
        for r in series:
            print(f"{r.period.isoformat():<12}{r.articles:>10}{r.total:>14}"
                  f"{r.share:>9.1%}{r.stories:>9}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from flows.run import writer_lock
    from warehouse.db import connect_writer
    from warehouse.publish import publish

    paths = data_paths(args.data_dir)
    if not paths.work_db.exists():
        raise BlocwatchError(f"no warehouse at {paths.work_db}: run `blocwatch demo` or "
                             "`blocwatch ingest` first")
    with writer_lock(paths.lock, args.lock_timeout, _StderrLog()) as locked:
        if not locked:
            raise BlocwatchError(f"the warehouse lock {paths.lock} is held by a running flow")
        con = connect_writer(paths.work_db)
        try:
            publish(con, paths.work_db, paths.published_db, rebuild_index=True)
            n = con.execute("SELECT articles FROM text_index").fetchone()[0]
        finally:
            con.close()
    print(f"full-text index rebuilt: {n} articles; published with {paths.published_db}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="blocwatch",
        description="Monitor how the press covers Japan, NATO and regional security blocs.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the warehouse from the bundled offline demo web "
                       "(--serve-web: serve it for scheduled runs instead)")
    _add_common(p)
    p.add_argument("--articles", type=int, default=1600, help="demo articles (default 1600)")
    p.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")
    p.add_argument("--regenerate", action="store_true", help="rewrite the demo web first")
    p.add_argument("--taxonomy", help=f"taxonomy file (default: ./taxonomy.yaml, else "
                   f"${HOME_ENV}/taxonomy.yaml, else the shipped one)")
    p.add_argument("--workers", type=int, help="extraction processes (default: cores)")
    p.add_argument("--serve-web", action="store_true", help="generate the demo web if needed "
                   "and keep serving it on 127.0.0.1 (no ingest: the deployments of "
                   "prefect-demo.yaml ingest it on a schedule)")
    p.add_argument("--port", type=int, default=8765,
                   help="port of --serve-web on 127.0.0.1 (default 8765)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("init", help="write editable copies of the default configuration "
                       "(sources, taxonomy, deployments, automations) into a directory")
    p.add_argument("dir", nargs="?", default=".", help="where (default: here)")
    p.add_argument("--force", action="store_true", help="replace files that exist")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("ingest", help="ingest new articles from the sources in sources.yaml")
    _add_common(p)
    _add_run_inputs(p)
    p.add_argument("--dask-address", metavar="tcp://HOST:8786",
                   help="run extraction on this dask.distributed scheduler's workers")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("serve", help="serve every deployment in prefect.yaml on its schedule "
                       "(one machine, no work pool)")
    _add_common(p)
    p.add_argument("--prefect-yaml", "--prefect-file", dest="prefect_yaml", metavar="FILE",
                   help=f"deployments file (default: ./prefect.yaml, else "
                   f"${HOME_ENV}/prefect.yaml, else the shipped one)")
    p.add_argument("--demo", action="store_true", help="serve prefect-demo.yaml instead: "
                   "an ingest of the demo web (blocwatch demo --serve-web) every minute")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these deployments")
    p.add_argument("--limit", type=int, help="most flow runs at once (default: no limit)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("automations", help="create (or replace) the Prefect automations of "
                       "alerts.yaml and overdue.yaml, notifying through a block")
    p.add_argument("--block", required=True, metavar="TYPE/NAME",
                   help="the notification block, as `prefect block ls` lists it "
                   "(slack-webhook/ops)")
    p.add_argument("--files", nargs="+", default=["alerts.yaml", "overdue.yaml"],
                   metavar="FILE", help="automation files (default: alerts.yaml "
                   "overdue.yaml, found like every configuration file)")
    p.set_defaults(func=cmd_automations)

    p = sub.add_parser("backfill", help="fetch older articles: a date range and/or sitemaps "
                       "and archive pages")
    _add_common(p)
    p.add_argument("--start", type=_date, help="first publication day (YYYY-MM-DD)")
    p.add_argument("--end", type=_date, help="last publication day (YYYY-MM-DD)")
    p.add_argument("--sitemap", action="append", metavar="URL",
                   help="extra sitemap or feed to read to the end (repeatable)")
    p.add_argument("--archive-page", action="append", metavar="URL",
                   help="HTML archive page whose article links to fetch (repeatable)")
    p.add_argument("--link-pattern", help="regex archive links must match (default: a date "
                   "in the URL)")
    p.add_argument("--max-pages", type=int, default=1000,
                   help="documents read per outlet, at most (default 1000)")
    _add_run_inputs(p)
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("reprocess", help="re-extract and re-tag stored articles from the raw "
                       "archive (after editing taxonomy.yaml); fetches nothing")
    _add_common(p)
    _add_run_inputs(p)
    p.set_defaults(func=cmd_reprocess)

    p = sub.add_parser("maintenance", help="data checks, silent-outlet and failing-feed "
                       "alerts, compaction, publish")
    _add_common(p)
    p.add_argument("--sources", help=f"sources file (default: ./sources.yaml, else "
                   f"${HOME_ENV}/sources.yaml)")
    p.add_argument("--no-compact", action="store_true", help="skip compaction")
    p.set_defaults(func=cmd_maintenance)

    p = sub.add_parser("check", help="validate sources.yaml, taxonomy.yaml and topics.yaml "
                       "(and say where they were found)")
    p.add_argument("--sources", help=f"sources file (default: ./sources.yaml, else "
                   f"${HOME_ENV}/sources.yaml)")
    p.add_argument("--taxonomy", help=f"taxonomy file (default: ./taxonomy.yaml, else "
                   f"${HOME_ENV}/taxonomy.yaml, else the shipped one)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("unpark", help="fetch parked URLs again in the next run (forget "
                       "their failure streaks)")
    _add_common(p)
    p.add_argument("urls", nargs="*", metavar="URL", help="URLs as listed on the dashboard")
    p.add_argument("--source", metavar="SOURCE_ID", help="every parked URL of this outlet")
    p.add_argument("--all", action="store_true", help="every parked URL")
    p.add_argument("--lock-timeout", type=float, default=60.0,
                   help="seconds to wait for a running flow (default 60)")
    p.set_defaults(func=cmd_unpark)

    p = sub.add_parser("dashboard", help="start the Streamlit dashboard")
    _add_common(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    p.add_argument("--sql-timeout", type=float, metavar="SECONDS",
                   help="stop a query on the SQL page after this long (default 30; "
                        "$BLOCWATCH_SQL_TIMEOUT_S)")
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("sql", help="query the published warehouse (read-only)")
    _add_common(p)
    p.add_argument("query", nargs="?", help="SQL to run; omit for an interactive prompt")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("query", help="count the articles matching a text query per day, "
                       "week or month, or list them (docs/query.md)")
    _add_common(p)
    p.add_argument("query", help='the query, e.g. \'Japan AND "Asian NATO"\'')
    p.add_argument("--by", choices=("day", "week", "month"), default="week",
                   help="period (default: week, starting Monday)")
    p.add_argument("--csv", action="store_true", help="print CSV")
    p.add_argument("--from", dest="start", type=_date, metavar="YYYY-MM-DD",
                   help="first publication day")
    p.add_argument("--to", dest="end", type=_date, metavar="YYYY-MM-DD",
                   help="last publication day")
    p.add_argument("--sources", metavar="ID,ID", help="only these outlets (source ids)")
    p.add_argument("--languages", metavar="CODE,CODE", help="only these languages")
    p.add_argument("--articles", type=int, metavar="N",
                   help="list the first N matching articles (newest first) and the total")
    p.add_argument("--taxonomy", help="taxonomy file for entity: (default: ./taxonomy.yaml, "
                   f"else ${HOME_ENV}/taxonomy.yaml, else the shipped one)")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("reindex", help="rebuild the full-text index from the warehouse and "
                       "publish it")
    _add_common(p)
    p.add_argument("--lock-timeout", type=float, default=60.0,
                   help="seconds to wait for the warehouse lock (default 60)")
    p.set_defaults(func=cmd_reindex)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BlocwatchError as exc:
        print(f"blocwatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
