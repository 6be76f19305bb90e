"""Politeness and bounded time, against real HTTP servers on 127.0.0.1: robots.txt's
Crawl-delay, the whole-request deadline (a trickle costs one timeout_s per run), timeout
messages that say what happened, and the per-host time budget.

Spacing is measured where the server's kernel received each request (faultweb's
StampedHandler), not when a busy handler thread read it, and time bounds carry generous
slack: the CI machine has two loaded cores.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from blocwatch.config import Politeness
from blocwatch.records import DEFERRED, FetchResult
from blocwatch.stages.fetch import Fetcher, HostMemory
from tests.faultweb import ARTICLE, FaultWeb

UA = "blocwatch-test/0.1 (+https://example.test/contact)"
# Server threads see requests a few ms late or early relative to when they were written.
JITTER_S = 0.06
# What a loaded two-core machine may add to a bounded operation, beyond its bound.
SLACK_S = 1.5
STALLED_BODY = b"<html><body><p>The first words arrive, then nothing"


class PoliteWeb(FaultWeb):
    """FaultWeb with a robots.txt of our choosing and servers that never finish."""

    def __init__(self, robots: bytes = b"User-agent: *\nAllow: /\n") -> None:
        super().__init__()
        self.robots = robots

    def route(self, h: BaseHTTPRequestHandler, path: str, n: int) -> None:
        if path == "/robots.txt":
            self.send(h, 200, self.robots, "text/plain")
        elif path.startswith("/page/"):
            self.send(h, 200, ARTICLE)
        elif path == "/trickle-forever":
            # A byte every 0.1 s, until the client hangs up: never idle long enough for a
            # read timeout, never done.
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "1000000")
            h.end_headers()
            for _ in range(1200):
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(0.1)
        elif path == "/no-headers":
            hold_until_hangup(h, 60)
        elif path == "/body-stall":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(STALLED_BODY)
            h.wfile.flush()
            hold_until_hangup(h, 60)
        else:
            super().route(h, path, n)


def hold_until_hangup(h: BaseHTTPRequestHandler, seconds: float) -> None:
    """Send nothing until the client closes the connection (or ``seconds`` pass)."""
    h.connection.settimeout(seconds)
    try:
        while h.connection.recv(1024):
            pass
    except OSError:
        pass


@pytest.fixture()
def web() -> Iterator[PoliteWeb]:
    with PoliteWeb() as w:
        yield w


def fetch_all(urls: list[str], politeness: Politeness, memory: HostMemory | None = None
              ) -> list[FetchResult]:
    """Fetch concurrently in one Fetcher (one batch), as fetch_and_process does."""
    async def run() -> list[FetchResult]:
        async with Fetcher(UA, memory=memory) as f:
            return list(await asyncio.gather(*(f.fetch(u, politeness, True) for u in urls)))
    return asyncio.run(run())


def gaps(times: list[float]) -> list[float]:
    ts = sorted(times)
    return [b - a for a, b in zip(ts, ts[1:], strict=False)]


# --- Crawl-delay --------------------------------------------------------------------------

def test_crawl_delay_is_a_floor_on_the_hosts_delay() -> None:
    """Crawl-delay: 1 with min_delay_s 0: robots.txt, then every page, 1 s apart as the
    server sees them, across batches (a second Fetcher sharing the run's HostMemory)."""
    polite = Politeness(min_delay_s=0, concurrency=4, timeout_s=5, retries=0)
    memory = HostMemory()
    with PoliteWeb(b"User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n") as web:
        first = fetch_all([f"{web.base}/page/{i}" for i in range(1, 4)], polite, memory)
        second = fetch_all([f"{web.base}/page/4"], polite, memory)
        assert [r.outcome for r in first + second] == ["ok"] * 4
        arrivals = web.times["/robots.txt"] + [
            t for i in range(1, 5) for t in web.times[f"/page/{i}"]]
    assert len(arrivals) == 5
    assert min(gaps(arrivals)) >= 1 - JITTER_S, gaps(arrivals)
    assert memory.crawl_delay == {f"127.0.0.1:{web.port}": 1.0}


def test_crawl_delay_for_our_user_agent_wins_and_min_delay_stays_a_floor() -> None:
    robots = (b"User-agent: blocwatch-test\nCrawl-delay: 0.6\n\n"
              b"User-agent: *\nCrawl-delay: 30\n")
    # min_delay_s above the Crawl-delay: the larger of the two spaces the requests.
    polite = Politeness(min_delay_s=0.9, concurrency=4, timeout_s=5, retries=0)
    with PoliteWeb(robots) as web:
        t0 = time.monotonic()
        results = fetch_all([f"{web.base}/page/1", f"{web.base}/page/2"], polite)
        elapsed = time.monotonic() - t0
        arrivals = web.times["/robots.txt"] + web.times["/page/1"] + web.times["/page/2"]
    assert [r.outcome for r in results] == ["ok", "ok"]
    assert min(gaps(arrivals)) >= 0.9 - JITTER_S
    assert elapsed < 2 * 0.9 + 2 * SLACK_S  # not the 30 s the other crawlers are asked for


def test_an_absurd_crawl_delay_defers_at_once_instead_of_waiting() -> None:
    """Crawl-delay: 100000 is honoured: no page is requested in this run. Nothing is slept
    either: a slot beyond the host's time budget is not waited for."""
    polite = Politeness(min_delay_s=0, concurrency=2, timeout_s=5, retries=0)
    with PoliteWeb(b"User-agent: *\nCrawl-delay: 100000\n") as web:
        t0 = time.monotonic()
        results = fetch_all([f"{web.base}/page/1", f"{web.base}/page/2"], polite)
        elapsed = time.monotonic() - t0
        assert [p for p in web.counts if p != "/robots.txt"] == []
    assert [r.outcome for r in results] == [DEFERRED, DEFERRED]
    assert all(r.attempts == 0 and r.body is None for r in results)
    assert re.fullmatch(
        rf"deferred to the next run: the next request 127\.0\.0\.1:{web.port} allows is "
        r"\d+\.\d s away, beyond the \d+\.\d s left of its 900 s time budget for this run "
        r"\(robots.txt asks for a Crawl-delay of 100000 s\)", results[0].error), results[0].error
    assert elapsed < SLACK_S * 2


# --- the whole-request deadline -------------------------------------------------------------

def test_a_trickle_costs_at_most_timeout_s_per_run(web: PoliteWeb) -> None:
    """One byte every 0.1 s, forever, with timeout_s 1.5 and 2 retries allowed: one try,
    ended by the deadline (before: 4 x timeout_s per try, 3 tries, ~21 s), and the error
    says what happened."""
    polite = Politeness(min_delay_s=0, timeout_s=1.5, retries=2, obey_robots=False)
    t0 = time.monotonic()
    [r] = fetch_all([f"{web.base}/trickle-forever"], polite)
    elapsed = time.monotonic() - t0
    assert (r.outcome, r.attempts, r.status, r.body) == ("timeout", 1, None, None)
    m = re.fullmatch(r"gave up after 1\.5 s: the server sent (\d+) bytes of the body in that "
                     r"time, a trickle \(after 1 attempt; a trickle is not retried in the "
                     r"same run\)", r.error)
    assert m, r.error
    assert 1 <= int(m.group(1)) <= 16  # ~1.5 s of one byte per 0.1 s
    assert web.counts["/trickle-forever"] == 1
    assert 1.5 - JITTER_S <= elapsed <= 1 * 1.5 + SLACK_S


def test_waiting_our_turn_does_not_eat_the_deadline(web: PoliteWeb) -> None:
    """The spacing is checked again when a request is written, inside the request (see
    Fetcher._keep_spacing): that wait is politeness, not the server's slowness, and must not
    count against timeout_s. A 1.5 s wait with a 1 s timeout still fetches the page."""
    polite = Politeness(min_delay_s=1.5, timeout_s=1, retries=0, obey_robots=False)
    memory = HostMemory()
    # As if the previous request had gone out late, just now (a busy event loop): its slot
    # was long ago, so only the check at write time makes this one wait.
    sent = memory.last_sent[f"127.0.0.1:{web.port}"] = time.monotonic()
    [r] = fetch_all([f"{web.base}/page/1"], polite, memory)
    assert (r.outcome, r.error, r.attempts) == ("ok", None, 1)
    assert web.times["/page/1"][0] - sent >= 1.5 - JITTER_S


def test_no_response_is_retried_and_says_so(web: PoliteWeb) -> None:
    """A server that accepts and never answers: each try ends at timeout_s; retries are
    spent (it may pass), 1 s of backoff between them."""
    polite = Politeness(min_delay_s=0, timeout_s=1, retries=1, obey_robots=False)
    t0 = time.monotonic()
    [r] = fetch_all([f"{web.base}/no-headers"], polite)
    elapsed = time.monotonic() - t0
    assert (r.outcome, r.attempts) == ("timeout", 2)
    assert r.error == "no response: timed out after 1 s (after 2 attempts)"
    assert web.counts["/no-headers"] == 2
    assert elapsed <= 2 * 1 + 1 + SLACK_S  # two tries and the backoff between them


def test_a_stalled_body_is_not_a_trickle(web: PoliteWeb) -> None:
    polite = Politeness(min_delay_s=0, timeout_s=1, retries=1, obey_robots=False)
    t0 = time.monotonic()
    [r] = fetch_all([f"{web.base}/body-stall"], polite)
    elapsed = time.monotonic() - t0
    assert (r.outcome, r.attempts) == ("timeout", 2)
    assert r.error == (f"body stalled after {len(STALLED_BODY)} bytes: timed out after 1 s "
                       "(after 2 attempts)")
    assert elapsed <= 2 * 1 + 1 + SLACK_S


def test_connect_timeout_says_connect() -> None:
    """A listener whose accept queue is full drops new SYNs: the connect never completes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(c)
    polite = Politeness(min_delay_s=0, timeout_s=1, retries=0, obey_robots=False)
    try:
        t0 = time.monotonic()
        [r] = fetch_all([f"http://127.0.0.1:{port}/x"], polite)
        elapsed = time.monotonic() - t0
    finally:
        for c in fillers:
            c.close()
        listener.close()
    assert (r.outcome, r.attempts) == ("timeout", 1)
    assert r.error == "connect timed out after 1 s (after 1 attempt)"
    assert elapsed <= 1 + SLACK_S


# --- the per-host time budget --------------------------------------------------------------

def test_host_budget_defers_the_rest_of_a_hosts_urls() -> None:
    """min_delay_s 0.4 and a 1.5 s budget: at most 4 requests fit (at 0, 0.4, 0.8, 1.2 s);
    the host's other URLs are deferred, never requested. Another host in the same batch has
    its own budget. A new run (a new HostMemory) fetches again."""
    slow = Politeness(min_delay_s=0.4, concurrency=1, timeout_s=5, retries=0,
                      obey_robots=False, host_budget_s=1.5)
    memory = HostMemory()
    with PoliteWeb() as a, PoliteWeb() as b:
        urls = [f"{a.base}/page/{i}" for i in range(10)]
        other = [f"{b.base}/page/{i}" for i in range(3)]
        results = fetch_all(urls + other, slow, memory)
        mine, theirs = results[:10], results[10:]
        ok = [r for r in mine if r.ok]
        deferred = [r for r in mine if r.deferred]
        assert len(ok) + len(deferred) == 10
        assert 1 <= len(ok) <= 4
        assert sum(a.counts.values()) == len(ok)  # deferred URLs were never requested
        assert {r.url for r in ok} == {f"{a.base}{p}" for p in a.counts}
        assert [r.outcome for r in theirs] == ["ok"] * 3
        spent = sorted(t for ts in a.times.values() for t in ts)
        assert spent[-1] - spent[0] <= 1.5  # every request started within the budget
        assert memory.busy(f"127.0.0.1:{a.port}", time.monotonic()) <= 1.5 + SLACK_S
        for r in deferred:
            assert r.attempts == 0 and r.body is None
            assert re.fullmatch(
                rf"deferred to the next run: (127\.0\.0\.1:{a.port} has used its time "
                r"budget of 1\.5 s for this run|the next request 127\.0\.0\.1:"
                rf"{a.port} allows is \d+\.\d s away, beyond the \d+\.\d s left of its "
                r"1\.5 s time budget for this run)", r.error), r.error

        # Next run: a fresh budget.
        assert fetch_all([deferred[0].url], slow, HostMemory())[0].ok


def test_a_spent_budget_defers_later_batches_at_once(web: PoliteWeb) -> None:
    """A request under way is not cut by the budget (its own deadline bounds it), so one
    slow answer can spend it all: the URLs queued behind it, and those of a later batch of
    the same run, are deferred without a request or a wait."""
    polite = Politeness(min_delay_s=0, concurrency=1, timeout_s=5, retries=0,
                        obey_robots=False, host_budget_s=1)
    memory = HostMemory()
    key = f"127.0.0.1:{web.port}"
    first = fetch_all([f"{web.base}/stall", f"{web.base}/page/1"], polite, memory)
    assert [r.outcome for r in first] == ["ok", DEFERRED]  # /stall answers after 3 s
    reason = f"deferred to the next run: {key} has used its time budget of 1 s for this run"
    assert first[1].error == reason
    t0 = time.monotonic()
    later = fetch_all([f"{web.base}/page/{i}" for i in range(2, 5)], polite, memory)
    assert [(r.outcome, r.error) for r in later] == [(DEFERRED, reason)] * 3
    assert time.monotonic() - t0 < SLACK_S
    assert [p for p in web.counts if p.startswith("/page/")] == []


def test_budget_counts_waits_and_stops_retries(web: PoliteWeb) -> None:
    """A retry whose backoff would outlast the budget is not made: the URL ends with its
    failure (it was tried, so it counts towards parking), not as deferred."""
    polite = Politeness(min_delay_s=0, timeout_s=0.5, retries=3, obey_robots=False,
                        host_budget_s=1.2)
    t0 = time.monotonic()
    [r] = fetch_all([f"{web.base}/always-500"], polite)
    elapsed = time.monotonic() - t0
    # Tries at 0 s and after 1 s of backoff; the next backoff (2 s) does not fit in 1.2 s.
    assert (r.outcome, r.attempts, r.status) == ("http_error", 2, 500)
    assert r.error == ("HTTP 500 (after 2 attempts; no retry: the host's time budget for "
                       "this run is spent)")
    assert web.counts["/always-500"] == 2
    assert elapsed <= 1.2 + SLACK_S
