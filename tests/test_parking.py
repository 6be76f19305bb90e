"""Parking and the per-host budget through the real ingest flow, under a real Prefect
server, against a local web on 127.0.0.1 (two virtual hosts reached through ``resolve``).

The flow runs five times. ``news.park.test`` lists a good article, a URL that trickles
forever, one that always answers 503, one that fails twice and then works, and a 404.
``slow.park.test`` lists ten articles under a 0.5 s delay and a 2.5 s time budget. Between
the 4th and 5th runs the parked URLs' parked_until is moved into the past, as if the day
had passed.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import REPO, PrefectServer
from tests.faultweb import FaultWeb, _sentences, article_html, rss
from warehouse.db import connect_reader, connect_writer
from warehouse.load import ParkingPolicy, known_urls

NEWS = "news.park.test"
SLOW = "slow.park.test"
UA = "blocwatch-parking-test/1.0 (+https://blocwatch.example/contact)"
TIMEOUT_S = 1
RUNS = 5
SLOW_DELAY_S = 0.5
SLOW_BUDGET_S = 2.5
SLOW_PAGES = [f"/s/{i:02d}.html" for i in range(10)]
GOOD, TRICKLE, DOWN, FLAKY, MISSING = ("/a/good.html", "/a/trickle.html", "/a/down.html",
                                       "/a/flaky.html", "/a/missing.html")


def news(path: str) -> str:
    return f"http://{NEWS}{path}"


def slow(path: str) -> str:
    return f"http://{SLOW}{path}"


def page(path: str) -> bytes:
    return article_html(f"Story {path}", _sentences(f"Story {path}", len(path))).encode()


class ParkWeb(FaultWeb):
    """Routes by Host header; FaultWeb keeps per-path counts and arrival times."""

    def __init__(self) -> None:
        super().__init__()
        self.run = 0
        self.per_run: list[list[tuple[str, float]]] = []  # (host + path, arrival) per run

    def route(self, h: BaseHTTPRequestHandler, path: str, n: int) -> None:
        host = (h.headers.get("Host") or "").rsplit(":", 1)[0]
        with self._lock:
            self.per_run[-1].append((f"{host}{path}", time.monotonic()))
        send = self.send
        if path == "/robots.txt":
            send(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif host == NEWS and path == "/feed.xml":
            send(h, 200, rss(NEWS, [GOOD, TRICKLE, DOWN, FLAKY, MISSING]),
                 "application/rss+xml")
        elif host == SLOW and path == "/feed.xml":
            send(h, 200, rss(SLOW, SLOW_PAGES), "application/rss+xml")
        elif path in (GOOD, *SLOW_PAGES):
            send(h, 200, page(path))
        elif path == TRICKLE:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "1000000")
            h.end_headers()
            for _ in range(1200):  # a byte every 0.1 s until the client hangs up
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(0.1)
        elif path == DOWN:
            send(h, 503, b"busy")
        elif path == FLAKY:
            send(h, 500, b"oops") if n <= 2 else send(h, 200, page(path))
        else:
            send(h, 404, b"not found")

    def start_run(self) -> None:
        with self._lock:
            self.per_run.append([])

    def requested(self, run: int, host: str, path: str) -> int:
        return sum(1 for p, _ in self.per_run[run] if p == f"{host}{path}")

    def arrivals(self, run: int, host: str) -> list[float]:
        return sorted(t for p, t in self.per_run[run] if p.startswith(f"{host}/"))


@dataclass
class Runs:
    web: ParkWeb
    data_dir: Path
    snapshots: list[Path] = field(default_factory=list)  # published file after each run
    summaries: list[dict] = field(default_factory=list)


def write_sources(path: Path) -> Path:
    base = {"country": "JP", "language": "en", "allow_private_network": True}
    config = {
        "settings": {"user_agent": UA, "batch_size": 50, "park_after_runs": 3,
                     "politeness": {"min_delay_s": 0, "concurrency": 4, "timeout_s": TIMEOUT_S,
                                    "retries": 0}},
        "sources": [
            {**base, "id": "park_news", "name": "Park News", "homepage": news("/"),
             "feeds": [news("/feed.xml")]},
            {**base, "id": "park_slow", "name": "Park Slow", "homepage": slow("/"),
             "feeds": [slow("/feed.xml")],
             "politeness": {"min_delay_s": SLOW_DELAY_S, "concurrency": 1,
                            "host_budget_s": SLOW_BUDGET_S}},
        ]}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory,
         prefect_server: PrefectServer) -> Iterator[Runs]:
    from flows.ingest import ingest

    root = tmp_path_factory.mktemp("parking")
    sources = write_sources(root / "sources.yaml")
    out = Runs(ParkWeb(), root / "data")
    with out.web as web:
        resolve = {NEWS: f"127.0.0.1:{web.port}", SLOW: f"127.0.0.1:{web.port}"}
        for i in range(RUNS):
            if i == RUNS - 1:
                # A day (and more) has passed: every parked URL is due again.
                con = connect_writer(out.data_dir / "work.duckdb")
                con.execute("UPDATE url_parking SET parked_until = parked_until - "
                            "INTERVAL 3 DAY WHERE parked_until IS NOT NULL")
                con.close()
            web.start_run()
            out.summaries.append(ingest(
                sources_file=str(sources), taxonomy_file=str(REPO / "taxonomy.yaml"),
                # Extraction in worker processes, as in production: inline extraction
                # would hold up the event loop, and with it the fetches' deadlines.
                data_dir=str(out.data_dir), resolve=resolve, workers=2))
            snap = root / f"run{i + 1}.duckdb"
            shutil.copyfile(out.data_dir / "blocwatch.duckdb", snap)
            out.snapshots.append(snap)
        yield out


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_reader(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_ids(r: Runs) -> list[str]:
    return [row[0] for row in q(r.snapshots[-1], "SELECT run_id FROM runs ORDER BY started_at")]


def log_row(r: Runs, run: int, url: str) -> tuple | None:
    """(outcome, error, attempts, elapsed_ms) of ``url`` in run ``run`` (0-based)."""
    rows = q(r.snapshots[-1], "SELECT outcome, error, attempts, elapsed_ms FROM fetch_log "
                              "WHERE run_id = ? AND url = ?", [run_ids(r)[run], url])
    assert len(rows) <= 1
    return rows[0] if rows else None


def parking(db: Path, url: str) -> tuple | None:
    rows = q(db, "SELECT failed_runs, last_outcome, last_error, last_failed_at, parked_until "
                 "FROM url_parking WHERE url = ?", [url])
    return rows[0] if rows else None


TRICKLE_ERROR = (r"gave up after 1 s: the server sent \d+ bytes of the body in that time, a "
                 r"trickle \(after 1 attempt; a trickle is not retried in the same run\)")


def test_a_trickle_costs_one_timeout_per_run(runs: Runs) -> None:
    for i in range(3):
        assert runs.web.requested(i, NEWS, TRICKLE) == 1, i
        outcome, error, attempts, elapsed_ms = log_row(runs, i, news(TRICKLE))
        assert (outcome, attempts) == ("timeout", 1)
        assert re.match(TRICKLE_ERROR, error), error
        # One try of timeout_s (the request deadline), plus slack for a loaded machine.
        assert elapsed_ms <= TIMEOUT_S * 1000 + 1500, elapsed_ms


def test_three_runs_in_a_row_park_the_url(runs: Runs) -> None:
    assert parking(runs.snapshots[0], news(TRICKLE))[:2] == (1, "timeout")
    assert parking(runs.snapshots[0], news(TRICKLE))[4] is None
    assert parking(runs.snapshots[1], news(TRICKLE))[:2] == (2, "timeout")
    assert parking(runs.snapshots[1], news(TRICKLE))[4] is None
    assert re.fullmatch(TRICKLE_ERROR + r" \(2nd run in a row\)", log_row(runs, 1,
                                                                         news(TRICKLE))[1])
    failed_runs, outcome, last_error, failed_at, until = parking(runs.snapshots[2],
                                                                 news(TRICKLE))
    assert (failed_runs, outcome) == (3, "timeout")
    assert until - failed_at == timedelta(days=1)
    # fetch_log says so on the try that parked it, with the same time as the table.
    error = log_row(runs, 2, news(TRICKLE))[1]
    assert error.endswith(f" (3rd run in a row; parked until {until:%Y-%m-%d %H:%M} UTC)")
    assert re.fullmatch(TRICKLE_ERROR + r" \(3rd run in a row; parked until .*\)", error)
    assert last_error == error
    # A 503 after retries parks the same way.
    assert parking(runs.snapshots[2], news(DOWN))[:2] == (3, "http_error")
    assert log_row(runs, 2, news(DOWN))[1].startswith("HTTP 503 (after 1 attempt) (3rd run")


def test_a_parked_url_is_not_requested(runs: Runs) -> None:
    assert runs.web.requested(3, NEWS, TRICKLE) == 0
    assert runs.web.requested(3, NEWS, DOWN) == 0
    assert runs.web.requested(3, NEWS, "/feed.xml") == 1  # the outlet itself is still read
    assert log_row(runs, 3, news(TRICKLE)) is None  # no fetch_log row while parked
    assert parking(runs.snapshots[3], news(TRICKLE)) == parking(runs.snapshots[2],
                                                                news(TRICKLE))
    per_run = q(runs.snapshots[3], "SELECT r.started_at, rs.parked FROM run_sources rs "
                                   "JOIN runs r USING (run_id) WHERE rs.source_id = "
                                   "'park_news' ORDER BY r.started_at")
    assert [p for _, p in per_run] == [0, 0, 0, 2]
    assert runs.summaries[3]["parked"] == 2
    # Discovery's filter: parked now, not once parked_until has passed. (The flows' own
    # connection: readers have external access off, which also hides Arrow tables.)
    until = parking(runs.snapshots[3], news(TRICKLE))[4]
    con = duckdb.connect(str(runs.snapshots[3]), read_only=True)
    try:
        assert known_urls(con, [news(TRICKLE)], until - timedelta(minutes=1)) == {
            news(TRICKLE)}
        assert known_urls(con, [news(TRICKLE)], until + timedelta(minutes=1)) == set()
    finally:
        con.close()


def test_once_due_it_is_tried_again_and_parked_twice_as_long(runs: Runs) -> None:
    assert runs.web.requested(4, NEWS, TRICKLE) == 1
    failed_runs, _, _, failed_at, until = parking(runs.snapshots[4], news(TRICKLE))
    assert failed_runs == 4
    assert until - failed_at == timedelta(days=2)
    assert log_row(runs, 4, news(TRICKLE))[1].endswith(
        f" (4th run in a row; parked until {until:%Y-%m-%d %H:%M} UTC)")


def test_success_clears_the_streak_and_permanent_failures_never_park(runs: Runs) -> None:
    assert parking(runs.snapshots[1], news(FLAKY))[:2] == (2, "http_error")
    assert log_row(runs, 2, news(FLAKY))[0] == "loaded"
    assert parking(runs.snapshots[2], news(FLAKY)) is None
    assert runs.web.requested(3, NEWS, FLAKY) == 0  # stored: never asked again
    # A 404 is permanent: never a streak, never asked again.
    assert log_row(runs, 0, news(MISSING))[0] == "gone"
    assert all(parking(s, news(MISSING)) is None for s in runs.snapshots)
    assert sum(runs.web.requested(i, NEWS, MISSING) for i in range(RUNS)) == 1
    assert q(runs.snapshots[-1], "SELECT url FROM url_parking ORDER BY url") == [
        (news(DOWN),), (news(TRICKLE),)]


def test_host_budget_defers_urls_to_the_next_run(runs: Runs) -> None:
    ids = run_ids(runs)
    tried = [{u for (u,) in q(runs.snapshots[-1], "SELECT url FROM fetch_log WHERE run_id = ? "
                                                  "AND source_id = 'park_slow'", [rid])}
             for rid in ids]
    deferred, fetched, new = zip(*q(
        runs.snapshots[-1], "SELECT rs.deferred, rs.fetched, rs.new FROM run_sources rs "
                            "JOIN runs r USING (run_id) WHERE rs.source_id = 'park_slow' "
                            "ORDER BY r.started_at"), strict=True)
    # Requests 0.5 s apart within a 2.5 s budget (robots.txt and the feed included): at
    # most 5 of the 10 pages in the first run; the rest deferred, counted, not logged.
    assert new[0] == 10 and 1 <= fetched[0] <= 5
    assert deferred[0] == 10 - fetched[0] == 10 - len(tried[0])
    assert runs.summaries[0]["deferred"] == deferred[0]
    # Deferred is neither a failure nor a fetch_log row, and never parks anything.
    assert q(runs.snapshots[-1], "SELECT count(*) FROM fetch_log WHERE outcome = 'deferred' "
                                 "OR (source_id = 'park_slow' AND outcome <> 'loaded')") == [
        (0,)]
    assert q(runs.snapshots[-1], "SELECT count(*) FROM url_parking WHERE source_id = "
                                 "'park_slow'") == [(0,)]
    # The next run starts where the budget stopped the last: with the deferred URLs.
    assert new[1] == deferred[0] and tried[1] and not tried[1] & tried[0]
    for i in range(RUNS):
        assert new[i] == fetched[i] + deferred[i], i
        assert runs.web.requested(i, SLOW, "/robots.txt") == 1  # budget is per run
    # Server side: robots.txt, the feed and the fetched pages, 0.5 s apart, and nothing else.
    for i in range(RUNS):
        hits = runs.web.arrivals(i, SLOW)
        assert len(hits) == 2 + fetched[i], i
        assert min(b - a for a, b in zip(hits, hits[1:], strict=False)) >= SLOW_DELAY_S - 0.06


def test_dashboard_lists_parked_urls(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BLOCWATCH_DATA", str(runs.data_dir))
    at = AppTest.from_file(str(REPO / "dashboard" / "views" / "sources_runs.py"),
                           default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "parked_until" in d.value.columns)
    expected = q(runs.data_dir / "blocwatch.duckdb",
                 "SELECT url, failed_runs, last_error, parked_until FROM url_parking "
                 "ORDER BY parked_until DESC, url")
    got = [(r.url, r.failed_runs, r.last_error, r.parked_until.to_pydatetime())
           for r in table.itertuples()]
    assert got == expected
    assert set(table["outlet"]) == {"Park News"} and table["parked"].all()
    assert any("2 URLs failed with a temporary error" in c.value for c in at.caption)


def test_unpark_command_lets_the_next_run_fetch_it(runs: Runs, tmp_path: Path) -> None:
    from blocwatch.cli import main

    data = tmp_path / "data"
    shutil.copytree(runs.data_dir, data, ignore=shutil.ignore_patterns("raw", "*.lock"))
    assert main(["unpark", "--data-dir", str(data), news(TRICKLE)]) == 0
    for db in (data / "work.duckdb", data / "blocwatch.duckdb"):  # published at once
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert known_urls(con, [news(TRICKLE), news(DOWN)]) == {news(DOWN)}
        finally:
            con.close()
    assert main(["unpark", "--data-dir", str(data), "--source", "park_news"]) == 0
    assert q(data / "blocwatch.duckdb", "SELECT count(*) FROM url_parking") == [(0,)]


def test_parking_policy_doubles_up_to_the_cap() -> None:
    policy = ParkingPolicy(after_runs=3, max_days=64)
    assert [policy.parked_for(n) for n in (1, 2)] == [None, None]
    assert [policy.parked_for(n).days for n in range(3, 12)] == [1, 2, 4, 8, 16, 32, 64, 64,
                                                                   64]
    assert policy.parked_for(10_000).days == 64
    assert ParkingPolicy(after_runs=0).parked_for(50) is None  # 0: never park
