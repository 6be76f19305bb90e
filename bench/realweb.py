"""Accuracy on real published pages and real, partly malformed feeds, side by side with the
bare libraries blocwatch is built on.

    python -m bench.realweb            # a table on stderr, JSON on stdout
    python -m bench.realweb --json     # JSON only

The data is ``../shared/realweb`` beside the repository (``--data`` or $BLOCWATCH_REALWEB
to point elsewhere); it is read from there and never copied into the repository: 450 real
news and blog pages with hand annotations (date, title, author, snippets the main text
must and must not contain) and 77 real feeds with what feedparser extracts from each.

What runs, all on 127.0.0.1 (no internet):

1. A server answers for every page's real host and path (the scheme becomes http: no
   certificate can be made for someone else's host), and for one feed per host listing
   that host's pages. Each host is an outlet in a generated sources.yaml: country from
   its country-code top-level domain (its zone gives the day), otherwise ``timezone:
   as-written`` (the day as the page writes it: a generic domain says nothing of where
   an outlet is).
2. The real ingest flow (Prefect, a child process) runs twice into two warehouses: with
   feeds that carry no dates ("HTML only": the page and its address are all there is) and
   with feeds whose entries carry the annotated day ("with feed dates").
3. On the same page bytes: bare trafilatura (``bare_extraction`` with its defaults) and
   bare htmldate (``find_date(html, original_date=True)``).
4. The 77 feed files, each an outlet of its own, go through one more real ingest run; the
   links their entries list are answered with 404 (they are not pages of this set). Per
   feed: the distinct entry links discovery found against feedparser's, resolved against
   the feed's address the same way.

Scores, per system: date right to the day (share of all pages; a page not stored counts
as wrong), title and author (normalised: case and spacing; an author is right when one
name list contains the other), ``with`` share (snippets present in the main text, over all
snippets of all pages) and ``without`` share (snippets absent), pages lost with their
reasons. Two annotations are odd as given (the data's README says so): t0695's date
2022-01.26 is read as 2022-01-26 and t0990's xhttps:// address as https://.
Note: trafilatura was tuned on these pages, so its own scores are optimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import httpx

from bench.harness import REPO, prefect_api, run_child
from blocwatch.stages.urls import canonical_url

DATA = Path(os.environ.get("BLOCWATCH_REALWEB", REPO.parent / "shared" / "realweb"))
FEED_HOST = "feeds.realweb.test"
FEED_PATH = "/blocwatch-realweb-feed-{mode}.xml"
# Generic top-level domains say nothing of where an outlet is.
_TLD_COUNTRY = {"uk": "GB"}


@dataclass(frozen=True)
class Page:
    file: str
    url: str                 # as served and discovered (http)
    key: str                 # canonical_url(url): what the warehouse keys it by
    day: date | None
    title: str | None
    author: str | None
    with_: tuple[str, ...]
    without: tuple[str, ...]
    body: bytes


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.replace("2022-01.26", "2022-01-26"))
    except ValueError:
        return None  # an impossible annotation (2022-25-10) no system can match


def load_pages(data: Path) -> tuple[list[Page], list[dict[str, str]]]:
    """The annotated pages as served; the second list: pages that cannot be served apart
    (their address equals an earlier page's once canonical)."""
    meta = json.loads((data / "pages.json").read_text(encoding="utf-8"))
    with tarfile.open(data / "pages.tar.xz", "r:xz") as tar:
        bodies = {Path(m.name).name: tar.extractfile(m).read()  # type: ignore[union-attr]
                  for m in tar.getmembers() if m.isfile()}
    pages, clashes, seen = [], [], {}
    for m in meta:
        url = m["url"].strip().replace("xhttps://", "https://", 1)
        parts = urlsplit(url)
        http = parts._replace(scheme="http").geturl()
        if not parts.path:
            http += "/"
        key = canonical_url(http)
        if key in seen:
            clashes.append({"file": m["file"], "reason": f"same address as {seen[key]}"})
            continue
        seen[key] = m["file"]
        pages.append(Page(m["file"], http, key, _day(m.get("date")), m.get("title"),
                          m.get("author"), tuple(m.get("with") or ()),
                          tuple(m.get("without") or ()), bodies[m["file"]]))
    return pages, clashes


# --- the local web -------------------------------------------------------------------------

def _path_key(host: str, path_qs: str) -> tuple[str, str]:
    return host.lower(), unquote(path_qs)


def _request_key(url: str) -> tuple[str, str]:
    """The (host, path) a request for ``url`` arrives with: httpx removes dot segments and
    re-encodes, so the key is taken from httpx's own form of the URL."""
    u = httpx.URL(url)
    return _path_key(u.raw_host.decode("ascii"), u.raw_path.decode("ascii"))


def _rss(items: list[tuple[str, datetime | None]]) -> bytes:
    entries = "".join(
        f"<item><link>{escape(url)}</link><guid>{escape(url)}</guid>"
        + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "") + "</item>"
        for url, when in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>realweb</title><link>http://{FEED_HOST}/</link>{entries}"
            f"</channel></rss>").encode()


class _Web:
    """Everything the benchmark serves: (host, path) -> (content type, body)."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], tuple[str, bytes]] = {}
        # Every host to map to the server (as the fetcher names them: IDNs decoded), also
        # hosts where nothing is served (feed entries' links are answered with 404s).
        self.hosts: set[str] = set()

    def add(self, url: str, ctype: str, body: bytes) -> None:
        self.files[_request_key(url)] = (ctype, body)
        self.hosts.add(httpx.URL(url).host)

    @contextmanager
    def serve(self) -> Iterator[int]:
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server interface
                host = (self.headers.get("Host") or "").split(":")[0]
                found = files.get(_path_key(host, self.path))
                if found is None:
                    self.send_error(404)
                    return
                ctype, body = found
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            # The crawl opens connections to hundreds of "hosts" at once, all here.
            request_queue_size = 1024
            daemon_threads = True

        server = Server(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()


def _country(host: str) -> tuple[str, bool]:
    tld = host.rsplit(".", 1)[-1].lower()
    if tld in _TLD_COUNTRY:
        return _TLD_COUNTRY[tld], True
    if len(tld) == 2 and tld.isalpha():
        return tld.upper(), True
    return "US", False


def _sources_yaml(outlets: list[tuple[str, str, list[str], str | None, bool]]) -> str:
    """outlets: (id, homepage, feed URLs, country, zone known)."""
    lines = ["settings:",
             "  politeness: {min_delay_s: 0, concurrency: 4, timeout_s: 30, retries: 0,",
             "               obey_robots: false}",
             "  batch_size: 100", "sources:"]
    for sid, home, feeds, country, zoned in outlets:
        lines += [f"  - id: {sid}", f"    name: {sid}", f"    homepage: {json.dumps(home)}",
                  f"    country: {json.dumps(country)}", "    language: en",
                  f"    feeds: {json.dumps(feeds)}", "    allow_private_network: true"]
        if not zoned:
            lines.append("    timezone: as-written")
    return "\n".join(lines) + "\n"


def page_outlets(pages: list[Page], web: _Web, mode: str, dated: bool) -> str:
    """One outlet per host, its feed listing its pages (with the annotated day, at noon on
    the outlet's calendar, when ``dated``); returns the sources.yaml text."""
    from blocwatch.stages.dates import country_timezone

    by_host: dict[str, list[Page]] = {}
    for p in pages:
        by_host.setdefault(urlsplit(p.url).hostname or "", []).append(p)
    outlets = []
    for i, (host, items) in enumerate(sorted(by_host.items())):
        country, zoned = _country(host)
        zone = ZoneInfo(country_timezone(country) if zoned else "UTC")  # noon: same day
        feed = f"http://{host}{FEED_PATH.format(mode=mode)}"
        web.add(feed, "application/rss+xml", _rss([
            (p.url, datetime.combine(p.day, dtime(12), zone) if dated and p.day else None)
            for p in items]))
        outlets.append((f"h{i:03d}", f"http://{host}/", [feed], country, zoned))
    return _sources_yaml(outlets)


# --- scoring -------------------------------------------------------------------------------

def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _author_right(expected: str, found: str | None) -> bool:
    e, f = _norm(expected), _norm(found)
    return bool(f) and (e == f or e in f or f in e)


@dataclass
class Extraction:
    day: date | None = None
    title: str | None = None
    author: str | None = None
    text: str | None = None
    lost: str | None = None  # why the page gave no article


def score(pages: list[Page], got: dict[str, Extraction]) -> dict[str, Any]:
    n = len(pages)
    dated = [p for p in pages if p.day is not None]
    titled = [p for p in pages if p.title]
    authored = [p for p in pages if p.author]
    with_hits = with_all = without_hits = without_all = 0
    for p in pages:
        text = _norm(got[p.file].text)
        with_all += len(p.with_)
        with_hits += sum(_norm(s) in text for s in p.with_)
        without_all += len(p.without)
        without_hits += sum(_norm(s) not in text for s in p.without)
    lost = Counter(got[p.file].lost for p in pages if got[p.file].lost)
    return {
        "pages": n,
        "date": round(sum(got[p.file].day == p.day for p in dated) / n, 4),
        "title": round(sum(_norm(got[p.file].title) == _norm(p.title) for p in titled)
                       / len(titled), 4),
        "author": round(sum(_author_right(p.author or "", got[p.file].author)
                            for p in authored) / len(authored), 4),
        "with_share": round(with_hits / with_all, 4),
        "without_share": round(without_hits / without_all, 4),
        "pages_lost": sum(lost.values()),
        "lost_reasons": dict(lost.most_common()),
    }


def bare_libraries(pages: list[Page]) -> tuple[dict[str, Extraction], dict[str, Extraction]]:
    """Bare trafilatura and bare htmldate on the page bytes, as a user would call them."""
    import trafilatura
    from htmldate import find_date

    tra: dict[str, Extraction] = {}
    hd: dict[str, Extraction] = {}
    for p in pages:
        try:
            doc = trafilatura.bare_extraction(p.body, url=p.url, with_metadata=True)
        except Exception as exc:  # a library failure is a lost page for it
            doc, err = None, f"{type(exc).__name__}"
        else:
            err = "no text"
        if doc is None:
            tra[p.file] = Extraction(lost=err)
        else:
            tra[p.file] = Extraction(_day(doc.date[:10]) if doc.date else None, doc.title,
                                     doc.author, doc.text)
        try:
            found = find_date(p.body, original_date=True)
        except Exception:
            found = None
        hd[p.file] = Extraction(day=_day(found[:10]) if found else None)
    return tra, hd


def warehouse_extractions(db: Path, pages: list[Page]) -> dict[str, Extraction]:
    """What the ingest stored for each page, or why it did not."""
    from warehouse.db import connect_reader

    con = connect_reader(db)
    try:
        stored = {r[0]: r[1:] for r in con.execute(
            "SELECT fetched_url, published, title, author, text FROM articles").fetchall()}
        logged = {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT url, outcome, error FROM fetch_log").fetchall()}
    finally:
        con.close()
    out = {}
    for p in pages:
        row = stored.get(p.key)
        if row is not None:
            out[p.file] = Extraction(row[0], row[1], row[2], row[3])
        else:
            outcome, error = logged.get(p.key, ("not discovered", None))
            reason = outcome if outcome != "duplicate" else f"duplicate ({error})"
            out[p.file] = Extraction(lost=reason)
    return out


# --- feeds ---------------------------------------------------------------------------------

def feed_outlets(data: Path, web: _Web) -> tuple[str, list[dict[str, Any]]]:
    """One outlet per feed file; returns sources.yaml and feedparser's side per feed."""
    from blocwatch.stages.feeds import FeedError, parse_feed

    ref = json.loads((data / "feeds.json").read_text(encoding="utf-8"))
    outlets, rows = [], []
    for i, f in enumerate(sorted(ref["feeds"], key=lambda f: f["file"])):
        url = f"http://{FEED_HOST}/{f['file']}"
        body = (data / "feeds" / f["file"]).read_bytes()
        web.add(url, "application/xml", body)
        # feedparser saw the bytes alone: resolve its links as discovery resolves them.
        theirs = {canonical_url(urljoin(url, e["link"])) for e in f["entries"]}
        try:
            ours = [e.url for e in parse_feed(body, url).entries]
        except FeedError:
            ours = []
        # Every host the entries name is answered here (with 404s), so no lookup leaves
        # the machine.
        web.hosts.update(h for link in {*theirs, *ours} if (h := urlsplit(link).hostname))
        sid = f"f{i:03d}"
        outlets.append((sid, f"http://{FEED_HOST}/", [url], "US", False))
        rows.append({"source_id": sid, "file": f["file"], "feedparser": len(theirs),
                     "feedparser_bozo": f["bozo"]})
    return _sources_yaml(outlets), rows


def feed_scores(db: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from warehouse.db import connect_reader

    con = connect_reader(db)
    try:
        found = {r[0]: (r[1], r[2], r[3]) for r in con.execute(
            "SELECT source_id, discovered, feeds_failed, error FROM run_sources").fetchall()}
        status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1"
                             ).fetchone()[0]
    finally:
        con.close()
    per_feed = []
    for r in rows:
        discovered, failed, error = found.get(r["source_id"], (0, None, "no run_sources row"))
        per_feed.append({**r, "found": discovered or 0, "failed": bool(failed),
                         "note": error})
    ours = sum(f["found"] for f in per_feed)
    theirs = sum(f["feedparser"] for f in per_feed)
    return {"feeds": len(per_feed), "entries_found": ours, "entries_feedparser": theirs,
            "ratio": round(ours / theirs, 4) if theirs else 1.0, "run_status": status,
            "feeds_failed": sum(f["failed"] for f in per_feed),
            "short": [f for f in per_feed if f["found"] < f["feedparser"]],
            "per_feed": per_feed}


# --- the run -------------------------------------------------------------------------------

def run(data: Path, work: Path, workers: int | None, log: Any) -> dict[str, Any]:
    pages, clashes = load_pages(data)
    log(f"{len(pages)} pages, {len(clashes)} sharing an address; bare libraries ...")
    started = time.perf_counter()
    tra, hd = bare_libraries(pages)
    bare_seconds = time.perf_counter() - started
    web = _Web()
    for p in pages:
        web.add(p.key, "text/html", p.body)
    specs = {}
    for mode, dated in (("html_only", False), ("feed_dates", True)):
        path = work / f"sources-{mode}.yaml"
        path.write_text(page_outlets(pages, web, mode, dated), encoding="utf-8")
        specs[mode] = path
    feeds_yaml, feed_rows = feed_outlets(data, web)
    (work / "sources-feeds.yaml").write_text(feeds_yaml, encoding="utf-8")
    hosts = sorted(web.hosts)
    taxonomy = str(REPO / "taxonomy.yaml")
    runs: dict[str, Any] = {}
    with prefect_api(work) as env, web.serve() as port:
        resolve = {h: f"127.0.0.1:{port}" for h in hosts}
        for mode, path in [*specs.items(), ("feeds", work / "sources-feeds.yaml")]:
            log(f"ingest flow: {mode} ...")
            runs[mode] = run_child("flow", {"sources": str(path), "taxonomy": taxonomy,
                                            "data_dir": str(work / mode), "resolve": resolve,
                                            "workers": workers}, env, work / f"{mode}.log")
    html_only = warehouse_extractions(work / "html_only" / "blocwatch.duckdb", pages)
    with_feed = warehouse_extractions(work / "feed_dates" / "blocwatch.duckdb", pages)
    pipeline = score(pages, html_only)
    pipeline["date_with_feed_dates"] = score(pages, with_feed)["date"]
    trafilatura_scores = score(pages, tra)
    htmldate_scores = score(pages, hd)
    feeds = feed_scores(work / "feeds" / "blocwatch.duckdb", feed_rows)
    best_bare = max(trafilatura_scores["date"], htmldate_scores["date"])
    goals = {
        "date_html_only>=best_bare+0.03": pipeline["date"] >= best_bare + 0.03,
        "date_with_feed_dates>=0.95": pipeline["date_with_feed_dates"] >= 0.95,
        "with_share>=trafilatura": pipeline["with_share"] >= trafilatura_scores["with_share"],
        "without_share>=trafilatura": (pipeline["without_share"]
                                       >= trafilatura_scores["without_share"]),
        "feed_entries>=0.99_of_feedparser": feeds["ratio"] >= 0.99,
        "no_feed_ends_a_run": feeds["run_status"] == "completed",
    }
    return {
        "pages": len(pages) + len(clashes), "pages_served": len(pages),
        "pages_not_served": clashes,
        "pipeline": pipeline,
        "trafilatura": trafilatura_scores,
        "htmldate": {"date": htmldate_scores["date"]},
        "feeds": {k: v for k, v in feeds.items() if k != "per_feed"},
        "feeds_per_file": feeds["per_feed"],
        "runs": {m: {k: r[k] for k in ("seconds", "loaded", "failed", "new")}
                 for m, r in runs.items()},
        "bare_seconds": round(bare_seconds, 1),
        "goals": goals,
    }


def table(doc: dict[str, Any]) -> str:
    p, t, h = doc["pipeline"], doc["trafilatura"], doc["htmldate"]
    rows = [("date, HTML only", p["date"], t["date"], h["date"]),
            ("date, with feed dates", p["date_with_feed_dates"], "–", "–"),
            ("title", p["title"], t["title"], "–"), ("author", p["author"], t["author"], "–"),
            ("with share", p["with_share"], t["with_share"], "–"),
            ("without share", p["without_share"], t["without_share"], "–"),
            ("pages lost", p["pages_lost"], t["pages_lost"], "–")]
    f = doc["feeds"]
    lines = ["| measure | blocwatch | bare trafilatura | bare htmldate |", "|---|---:|---:|---:|",
             *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
             "", "| feeds | entries found | feedparser's | ratio | feeds failed |",
             "|---|---:|---:|---:|---:|",
             f"| {f['feeds']} | {f['entries_found']} | {f['entries_feedparser']} | "
             f"{f['ratio']} | {f['feeds_failed']} |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.realweb", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--data", type=Path, default=DATA, help=f"default: {DATA}")
    parser.add_argument("--workers", type=int, default=None,
                        help="extraction processes (default: one per core)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the warehouses and logs here")
    args = parser.parse_args(argv)
    if not (args.data / "pages.json").is_file():
        print(f"python -m bench.realweb: no real-web data at {args.data} (pages.json, "
              "pages.tar.xz, feeds/, feeds.json); give --data or set BLOCWATCH_REALWEB",
              file=sys.stderr)
        return 2
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="blocwatch-realweb-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        doc = run(args.data, work, args.workers, log)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    doc["seconds"] = round(time.perf_counter() - started, 1)
    doc["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    log(table(doc))
    print(json.dumps(doc, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
