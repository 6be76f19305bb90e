"""The real ingest flow over a hostile web: good articles among every fault a crawler meets.

One web (tests/faultweb.py HostileWeb: four virtual hosts on 127.0.0.1) is ingested twice
by the real flow under a real Prefect server. The first run must load every good article
exactly once and log every failure once with its reason; the second must retry only what
may pass, and load nothing twice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, PrefectServer
from tests.faultweb import (
    ALIASES,
    BROKEN_FEEDS,
    DOWN,
    DOWN_ARTICLE,
    ENCODED,
    FAULT_PATHS,
    FEEDS,
    GOOD_EN,
    INTL,
    NEWS,
    TRUNCATED,
    TRUNCATED_TAIL,
    VARIANTS,
    Hit,
    HostileWeb,
)
from warehouse.db import connect_reader

UA = "blocwatch-hostile-test/1.0 (+https://blocwatch.example/contact)"
CAP = 5_000_000
RETRIES = 1
INTL_DELAY = 0.3
NEWS_CONCURRENCY = 3


def news(path: str) -> str:
    return f"http://{NEWS}{path}"


# Every good article, by canonical URL: each must be stored exactly once.
GOOD = sorted({news(p) for p in GOOD_EN} | {news("/faults/truncated.html")}
              | {f"http://{INTL}{e[0]}" for e in ENCODED})

# Every URL the feeds list that fails, with the outcome and the reason fetch_log must give.
FAILURES = {
    news("/faults/stall-headers"): ("timeout", "timed out after 1 s (after 2 attempts)"),
    news("/faults/stall-body"): ("timeout", "timed out after 1 s (after 2 attempts)"),
    news("/faults/gone"): ("gone", "HTTP 410"),
    news("/faults/missing"): ("gone", "HTTP 404"),
    news("/faults/error-500"): ("http_error", "HTTP 500 (after 2 attempts)"),
    news("/faults/busy-503"): ("http_error", "HTTP 503 (after 2 attempts)"),
    news("/faults/rate-429-forever"): ("http_error", "Retry-After 3600 s, longer than 120 s"),
    news("/faults/redirect-loop"): ("http_error", "redirect loop at"),
    news("/faults/redirect-endless"): ("http_error", "more than 5 redirects"),
    news("/faults/to-file"): ("bad_url", "scheme 'file' is not http(s)"),
    news("/faults/to-ftp"): ("bad_url", "scheme 'ftp' is not http(s)"),
    news("/faults/huge"): ("too_large", f"body exceeds the cap of {CAP} bytes"),
    news("/faults/huge-declared"): ("too_large", "refused before reading"),
    news("/faults/gzip-bomb"): ("too_large", f"body exceeds the cap of {CAP} bytes"),
    news("/faults/report.pdf"): ("not_html", "unsupported content type application/pdf"),
    news("/faults/photo.jpg"): ("not_html", "unsupported content type image/jpeg"),
    news("/faults/empty.html"): ("no_text", "no article text found"),
    news("/faults/no-text.html"): ("no_text", "no article text found"),
    news("/faults/truncated-transfer"): ("network", "RemoteProtocolError: peer closed connection"),
    news("/private/leak.html"): ("robots", "disallowed by robots.txt"),
    news("/drafts/draft.html"): ("robots", "disallowed by robots.txt"),
    DOWN_ARTICLE: ("http_error", f"robots.txt of {DOWN} answered HTTP 503"),
}
# Discovered URLs that reach an article stored under another URL.
DUPLICATES = {news("/amp/good-2.html"): news("/articles/good-2.html"),
              news("/short/3"): news("/articles/good-3.html")}
# Outcomes a later run asks again (warehouse.load.PERMANENT_OUTCOMES are the others).
TRANSIENT = {"timeout", "http_error", "network"}


@dataclass
class HostileRun:
    web: HostileWeb
    data_dir: Path
    first_db: Path          # the snapshot the first run published
    summaries: list[dict]
    hits: list[list[Hit]]   # requests per run
    seconds: list[float]


def write_sources(path: Path) -> Path:
    base = {"country": "JP", "language": "en", "allow_private_network": True}
    sources = [
        {**base, "id": "fault_news", "name": "Fault News", "homepage": news("/"),
         "feeds": [news("/feed.xml")]},
        {**base, "id": "fault_intl", "name": "Fault International",
         "homepage": f"http://{INTL}/", "feeds": [f"http://{INTL}/atom.xml"],
         "politeness": {"min_delay_s": INTL_DELAY, "concurrency": 1}},
        {**base, "id": "fault_down", "name": "Fault Down", "homepage": f"http://{DOWN}/",
         "feeds": [f"http://{DOWN}/feed.xml"]},
    ] + [{**base, "id": sid, "name": sid, "homepage": f"http://{FEEDS}/",
          "feeds": [f"http://{FEEDS}{feed}"]} for sid, (feed, _) in BROKEN_FEEDS.items()]
    config = {"settings": {"user_agent": UA, "batch_size": 20, "politeness": {
        "min_delay_s": 0, "concurrency": NEWS_CONCURRENCY, "timeout_s": 1,
        "max_bytes": CAP, "retries": RETRIES}}, "sources": sources}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory,
            prefect_server: PrefectServer) -> Iterator[HostileRun]:
    from flows.ingest import ingest

    root = tmp_path_factory.mktemp("hostile")
    sources = write_sources(root / "sources.yaml")
    data = root / "data"
    run = HostileRun(HostileWeb(), data, root / "first.duckdb", [], [], [])
    with run.web as web:
        for i in range(2):
            web.reset()
            t0 = time.monotonic()
            run.summaries.append(ingest(
                sources_file=str(sources), taxonomy_file=str(REPO / "taxonomy.yaml"),
                data_dir=str(data), resolve=web.resolve_map(), workers=2))
            run.seconds.append(time.monotonic() - t0)
            run.hits.append(list(web.hits))
            if i == 0:
                shutil.copyfile(data / "blocwatch.duckdb", run.first_db)
        yield run


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_reader(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def first_run_id(run: HostileRun) -> str:
    return q(run.first_db, "SELECT run_id FROM runs")[0][0]


def test_run_completes_and_loads_every_good_article_exactly_once(hostile: HostileRun) -> None:
    urls = [r[0] for r in q(hostile.first_db, "SELECT url FROM articles ORDER BY url")]
    assert urls == GOOD  # exactly the good ones, each once (url is UNIQUE besides)
    status = q(hostile.first_db, "SELECT status, loaded, failed FROM runs")
    assert status == [("completed", len(GOOD), len(FAILURES))]
    assert hostile.summaries[0]["loaded"] == len(GOOD)
    # A routine run must not take long, however hostile the web: stalls are cut at 1 s.
    assert hostile.seconds[0] < 90


def test_every_failure_is_one_fetch_log_row_with_its_reason(hostile: HostileRun) -> None:
    rows = q(hostile.first_db, "SELECT url, outcome, error, attempts FROM fetch_log")
    failed = {u: (o, e, a) for u, o, e, a in rows if o not in ("loaded", "duplicate")}
    assert len([r for r in rows if r[1] not in ("loaded", "duplicate")]) == len(failed)
    assert sorted(failed) == sorted(FAILURES)
    for url, (outcome, reason) in FAILURES.items():
        got_outcome, error, attempts = failed[url]
        assert (url, got_outcome) == (url, outcome)
        assert reason in error, (url, error)
        assert attempts <= (RETRIES + 1) * (6 if "redirect" in url else 1)  # bounded
    # Successes and duplicates are logged too: one row per URL tried, never two.
    assert len(rows) == len({r[0] for r in rows})
    dups = {u: e for u, o, e, _ in rows if o == "duplicate"}
    assert dups == {u: f"already stored as {c}" for u, c in DUPLICATES.items()}
    # Nothing the feed listed went unaccounted for: each URL is loaded, failed or a copy.
    listed = ({news(p) for p in FAULT_PATHS} | {news(p) for p in GOOD_EN if "good-" in p}
              | set(DUPLICATES) | {f"http://{INTL}{e[0]}" for e in ENCODED})
    assert listed | {DOWN_ARTICLE} == {r[0] for r in rows}


def test_tracking_parameters_fragments_and_aliases_collapse(hostile: HostileRun) -> None:
    hits = hostile.hits[0]
    # The three utm/fragment variants of good-1 were never requested: one fetch in all.
    paths = [h.path for h in hits if h.host == NEWS]
    assert paths.count("/articles/good-1.html") == 1
    assert not [p for p in paths if "utm_" in p or "#" in p]
    assert all(v.split("?")[0].split("#")[0] == "/articles/good-1.html" for v in VARIANTS)
    # The AMP copy and the redirect alias are stored as the article they point to, which is
    # kept as fetched from its own URL, whatever order the fetches finished in.
    rows = q(hostile.first_db, "SELECT url, fetched_url FROM articles WHERE url IN (?, ?)",
             [news("/articles/good-2.html"), news("/articles/good-3.html")])
    assert sorted(rows) == [(news("/articles/good-2.html"), news("/articles/good-2.html")),
                            (news("/articles/good-3.html"), news("/articles/good-3.html"))]
    assert {news(a) for a in ALIASES} == set(DUPLICATES)


def test_redirect_chain_is_followed_to_the_article(hostile: HostileRun) -> None:
    rows = q(hostile.first_db, "SELECT outcome, final_url FROM fetch_log WHERE url = ?",
             [news("/faults/redirect-chain")])
    assert rows == [("loaded", news("/articles/chain-end.html"))]
    paths = [h.path for h in hostile.hits[0] if h.host == NEWS]
    assert sum(p.startswith("/hop/") for p in paths) == 5  # stopped after 5 redirects


def test_robots_disallowed_paths_are_never_requested(hostile: HostileRun) -> None:
    for hits in hostile.hits:
        paths = [h.path for h in hits if h.host == NEWS]
        assert not [p for p in paths if p.startswith(("/private/", "/drafts/"))]
        assert paths.count("/robots.txt") == 1  # read once per run, not per URL
        # robots.txt answering 503 means: crawl nothing there now (RFC 9309).
        assert [h.path for h in hits if h.host == DOWN] == ["/robots.txt"]


def test_retries_are_bounded_and_honour_retry_after(hostile: HostileRun) -> None:
    web_hits = hostile.hits[0]

    def times(path: str) -> list[float]:
        return [h.t for h in web_hits if h.host == NEWS and h.path == path]

    for path in ("/faults/rate-429", "/faults/busy-503"):
        t = times(path)
        assert len(t) == RETRIES + 1, path
        assert t[1] - t[0] >= 0.98, path  # Retry-After: 1
    assert len(times("/faults/error-500")) == RETRIES + 1
    assert len(times("/faults/rate-429-forever")) == 1  # a day's wait: give up at once
    assert len(times("/faults/stall-headers")) == RETRIES + 1
    # fetch_log.attempts counts requests, redirect hops included.
    rows = dict(q(hostile.first_db, "SELECT url, attempts FROM fetch_log"))
    assert rows[news("/faults/rate-429")] == 2 and rows[news("/faults/flaky-503")] == 2
    assert rows[news("/faults/redirect-chain")] == 4  # three hops and the article
    assert max(a for u, a in rows.items() if "redirect" not in u) <= RETRIES + 1


def test_size_caps_cut_the_stream(hostile: HostileRun) -> None:
    errors = dict(q(hostile.first_db, "SELECT url, error FROM fetch_log "
                                      "WHERE outcome = 'too_large'"))
    for url in (news("/faults/huge"), news("/faults/gzip-bomb")):
        wire = int(errors[url].split("stopped after ")[1].split(" ")[0])
        assert wire <= CAP + 128 * 1024, (url, wire)  # at most one read past the cap
    # The gzip bomb is 50 MiB inflated but ~50 KiB on the wire: cut while inflating.
    assert int(errors[news("/faults/gzip-bomb")].split("stopped after ")[1].split()[0]) \
        < 200_000
    # The server never got to send the 50 MiB: the client hung up at the cap.
    assert hostile.web.sent["/faults/huge"] < 30 * 1024 * 1024


def test_non_utf8_pages_are_decoded_exactly(hostile: HostileRun) -> None:
    rows = {u: (t, x) for u, t, x in q(
        hostile.first_db, "SELECT url, title, text FROM articles WHERE source_id = ?",
        ["fault_intl"])}
    assert len(rows) == len(ENCODED)
    for path, codec, _ctype, declared, _lang, title, sentence, filler in ENCODED:
        got_title, text = rows[f"http://{INTL}{path}"]
        assert got_title == title, (path, codec, declared)
        assert sentence in text, (path, codec, declared, text[:80])
        assert all(f in text for f in filler)
        assert "\ufffd" not in text


def test_truncated_html_keeps_the_text_that_arrived(hostile: HostileRun) -> None:
    text = q(hostile.first_db, "SELECT text FROM articles WHERE url = ?",
             [news("/faults/truncated.html")])[0][0]
    assert all(p in text for p in TRUNCATED[1]) and TRUNCATED_TAIL in text


def test_broken_feeds_are_recorded_per_source(hostile: HostileRun) -> None:
    rows = {r[0]: r[1:] for r in q(
        hostile.first_db, "SELECT source_id, feeds_ok, feeds_failed, discovered, error "
                          "FROM run_sources")}
    for sid, (feed, reason) in BROKEN_FEEDS.items():
        ok, failed, discovered, error = rows[sid]
        assert (ok, failed, discovered) == (0, 1, 0), sid
        assert error.startswith(f"http://{FEEDS}{feed}: ") and reason in error, (sid, error)
    ok, failed, _, error = rows["fault_down"]
    assert (ok, failed) == (0, 1) and "answered HTTP 503" in error
    assert rows["fault_news"][:2] == (1, 0) and rows["fault_intl"][:2] == (1, 0)


def test_politeness_user_agent_delay_and_concurrency(hostile: HostileRun) -> None:
    for hits in hostile.hits:
        assert {h.user_agent for h in hits} == {UA}  # identifying, with a contact URL
        intl = sorted(h.t for h in hits if h.host == INTL)
        gaps = [b - a for a, b in zip(intl, intl[1:], strict=False)]
        # Arrival times are the kernel's (faultweb.StampedHandler), so a server thread
        # running late on a busy machine does not make requests look bunched.
        assert gaps and min(gaps) >= INTL_DELAY - 0.06, [
            (h.path, round(h.t - intl[0], 3)) for h in hits if h.host == INTL]
    assert hostile.web.max_in_flight[INTL] == 1
    assert 2 <= hostile.web.max_in_flight[NEWS] <= NEWS_CONCURRENCY


def test_second_run_retries_only_transient_failures(hostile: HostileRun) -> None:
    final = hostile.data_dir / "blocwatch.duckdb"
    run2 = q(final, "SELECT run_id FROM runs WHERE run_id <> ?", [first_run_id(hostile)])
    assert len(run2) == 1
    rows = q(final, "SELECT url, outcome FROM fetch_log WHERE run_id = ?", [run2[0][0]])
    retried = {u for u, (o, _) in FAILURES.items() if o in TRANSIENT}
    assert {u for u, _ in rows} == retried
    assert {u: o for u, o in rows} == {u: FAILURES[u][0] for u in retried}
    urls = [r[0] for r in q(final, "SELECT url FROM articles ORDER BY url")]
    assert urls == GOOD
    assert hostile.summaries[1]["loaded"] == 0
    fetched = {news(h.path) for h in hostile.hits[1] if h.host == NEWS
               and h.path not in ("/robots.txt", "/feed.xml")}
    # Nothing stored or failed for good is asked again (redirect hops aside).
    assert not fetched & (set(GOOD) | {u for u, (o, _) in FAILURES.items()
                                       if o not in TRANSIENT})


MEMORY_PROBE = textwrap.dedent("""
    import asyncio, json, sys
    from blocwatch.config import Politeness
    from blocwatch.stages.fetch import Fetcher

    base, cap = sys.argv[1], int(sys.argv[2])
    polite = Politeness(min_delay_s=0, timeout_s=5, max_bytes=cap, retries=0,
                        obey_robots=False)

    def status(field: str) -> int:
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def reset_peak() -> int:
        # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return status("VmRSS")

    async def main() -> dict:
        async with Fetcher("probe/1.0 (+https://blocwatch.example/contact)",
                           {"news.fault.test": base}) as f:
            warm = await f.fetch("http://news.fault.test/articles/good-1.html", polite, True)
            out = {"warm": warm.outcome}
            for path in ("/faults/huge", "/faults/gzip-bomb", "/faults/huge-declared"):
                before = reset_peak()
                r = await f.fetch("http://news.fault.test" + path, polite, True)
                out[path] = [r.outcome, status("VmHWM") - before]
            return out

    print(json.dumps(asyncio.run(main())))
""")


def test_memory_stays_bounded_on_huge_bodies_and_gzip_bombs() -> None:
    """In a fresh process, fetching 50 MiB bodies and a 50 MiB gzip bomb with a 5 MB cap
    raises peak memory (VmHWM, reset before each fetch) by little more than the cap."""
    import json

    with HostileWeb() as web:
        proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, f"127.0.0.1:{web.port}",
                               str(CAP)], capture_output=True, text=True, timeout=120,
                              cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out.pop("warm") == "ok"
    for path, (outcome, growth) in out.items():
        assert outcome == "too_large", path
        # The cap plus buffers; reading the body whole would add 50 MiB, and the gzip bomb
        # inflated by httpx chunk by chunk added over 100 MB.
        assert growth < CAP + 4_000_000, (path, growth)


def test_polite_by_default() -> None:
    """Without any setting: robots.txt obeyed, 5 s between requests to a site and at most
    a few connections to it (Media Cloud's bar: 5 s, 4 connections, 30 s after a 429),
    bounded retries, and a User-Agent naming a contact URL; the shipped outlets keep it."""
    from blocwatch.config import DEFAULT_USER_AGENT, Politeness, load_sources
    from blocwatch.stages.fetch import DEFAULT_429_BACKOFF_S, MAX_REDIRECTS

    p = Politeness()
    assert p.obey_robots and p.min_delay_s >= 5 and 1 <= p.concurrency <= 4
    assert p.retries <= 3 and p.max_bytes <= 20_000_000 and p.timeout_s <= 60
    assert DEFAULT_429_BACKOFF_S >= 30 and MAX_REDIRECTS == 5
    assert re.search(r"\(\+https?://\S+", DEFAULT_USER_AGENT)
    shipped = load_sources(REPO / "sources.yaml")
    assert re.search(r"\(\+https?://\S+", shipped.settings.user_agent)
    for source in shipped.sources:
        pol = shipped.politeness_for(source)
        assert pol.obey_robots and pol.min_delay_s >= 5 and pol.concurrency <= 4, source.id
        assert not source.allow_private_network, source.id
