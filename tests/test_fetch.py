"""The fetcher against a real misbehaving HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

import blocwatch.stages.fetch as fetch_module
from blocwatch.config import Politeness
from blocwatch.records import FetchResult
from blocwatch.stages.fetch import Fetcher
from tests.faultweb import ARTICLE, FaultWeb

UA = "blocwatch-test/0.1 (+https://example.test/contact)"
POLITE = Politeness(min_delay_s=0, concurrency=4, timeout_s=1, max_bytes=1_000_000, retries=2)


@pytest.fixture(scope="module")
def web() -> Iterator[FaultWeb]:
    with FaultWeb() as w:
        yield w


def fetch(url: str, politeness: Politeness = POLITE, allow_private: bool = True) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(UA) as f:
            return await f.fetch(url, politeness, allow_private)
    return asyncio.run(run())


def test_ok_page(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/ok.html")
    assert r.ok and r.status == 200 and b"NATO" in r.body and r.attempts == 1


@pytest.mark.parametrize(("path", "outcome", "status", "attempts", "reason"), [
    ("/missing", "http_error", 404, 1, "HTTP 404"),
    ("/gone", "http_error", 410, 1, "HTTP 410"),
    ("/always-500", "http_error", 500, 3, "HTTP 500 (after 3 attempts)"),
    ("/pdf", "not_html", 200, 1, "application/pdf"),
    ("/loop-a", "http_error", None, 2, "redirect loop"),
    ("/to-file", "bad_url", None, 1, "'file' is not http(s)"),
    ("/big-chunked", "too_large", None, 1, "exceeds the cap"),
    ("/gzip-bomb", "too_large", None, 1, "exceeds the cap"),
    ("/429-forever", "http_error", None, 1, "longer than"),
    ("/stall", "timeout", None, 3, "timed out"),
    ("/private/secret.html", "robots", None, 0, "robots.txt"),
])
def test_failures_have_outcome_and_reason(web: FaultWeb, path: str, outcome: str,
                                          status: int | None, attempts: int,
                                          reason: str) -> None:
    r = fetch(f"{web.base}{path}")
    assert r.outcome == outcome
    assert reason in (r.error or "")
    assert r.attempts == attempts
    if status is not None:
        assert r.status == status
    assert r.body is None


def test_disallowed_path_is_never_requested(web: FaultWeb) -> None:
    fetch(f"{web.base}/private/secret.html")
    assert web.counts["/private/secret.html"] == 0
    assert web.counts["/robots.txt"] >= 1


def test_retry_after_is_honoured(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/429-retry-after")
    assert r.ok and r.attempts == 2
    first, second = web.times["/429-retry-after"][:2]
    assert second - first >= 0.95  # Retry-After: 1


def test_transient_503_is_retried(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/503-once")
    assert r.ok and r.attempts == 2


def test_redirect_followed_and_final_url_kept(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/redirect")
    assert r.ok and r.final_url == f"{web.base}/ok.html" and r.url == f"{web.base}/redirect"


def test_min_delay_spaces_requests_to_one_host(web: FaultWeb) -> None:
    slow = Politeness(min_delay_s=0.4, concurrency=2, timeout_s=2, retries=0,
                      obey_robots=False)

    async def run() -> None:
        async with Fetcher(UA) as f:
            await asyncio.gather(f.fetch(f"{web.base}/spaced/1", slow, True),
                                 f.fetch(f"{web.base}/spaced/2", slow, True))
    asyncio.run(run())
    t1, t2 = sorted(web.times["/spaced/1"] + web.times["/spaced/2"])
    assert t2 - t1 >= 0.35


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]:9/x", "http://10.0.0.1/x"])
def test_private_addresses_refused_unless_allowed(url: str) -> None:
    r = fetch(url, allow_private=False)
    assert r.outcome == "blocked" and "non-public address" in r.error


def test_non_http_scheme_refused() -> None:
    r = fetch("ftp://example.test/file", allow_private=False)
    assert r.outcome == "bad_url" and "not http(s)" in r.error


def test_slow_trickle_is_cut_by_the_request_deadline(web: FaultWeb) -> None:
    # One byte every 0.2 s never trips the 0.5 s read timeout; the whole-request deadline
    # (timeout_s itself) must end it, as a timeout, without raising out of fetch(), and a
    # trickle is not retried in the same run however many retries are allowed.
    quick = Politeness(min_delay_s=0, timeout_s=0.5, retries=2, obey_robots=False)
    before = web.counts["/trickle"]
    t0 = time.monotonic()
    r = fetch(f"{web.base}/trickle", quick)
    elapsed = time.monotonic() - t0
    assert r.outcome == "timeout" and r.attempts == 1 and r.body is None
    assert r.error.startswith("gave up after 0.5 s: the server sent "), r.error
    assert r.error.endswith(" bytes of the body in that time, a trickle (after 1 attempt; "
                            "a trickle is not retried in the same run)"), r.error
    assert web.counts["/trickle"] - before == 1
    # One try of timeout_s; the old deadline (4 x timeout_s, 3 tries) took 7 s. The slack
    # is for a loaded machine, not for the fetcher.
    assert elapsed < 0.5 + 1.5


def test_malformed_redirect_is_refused_not_raised(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/bad-location")
    assert r.outcome == "bad_url" and "malformed" in r.error


def test_retry_after_holds_back_the_whole_host(web: FaultWeb) -> None:
    """A 429 speaks for the site: a request to another path of the same host, made while
    the first waits out Retry-After, waits too (Media Cloud backs off per site)."""
    polite = Politeness(min_delay_s=0, concurrency=2, timeout_s=2, retries=1,
                        obey_robots=False)

    async def run() -> None:
        async with Fetcher(UA) as f:
            first = asyncio.create_task(f.fetch(f"{web.base}/429-host", polite, True))
            await asyncio.sleep(0.3)  # the 429 has arrived
            other = await f.fetch(f"{web.base}/after-429", polite, True)
            assert other.ok and (await first).ok
    asyncio.run(run())
    assert web.times["/after-429"][0] - web.times["/429-host"][0] >= 0.95


def test_429_without_retry_after_backs_off_by_default(web: FaultWeb,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "DEFAULT_429_BACKOFF_S", 1.5)  # 30 s in production
    r = fetch(f"{web.base}/429-bare-once")
    assert r.ok and r.attempts == 2
    first, second = web.times["/429-bare-once"][:2]
    assert second - first >= 1.45


def test_retry_after_as_http_date(web: FaultWeb) -> None:
    r = fetch(f"{web.base}/429-date-once")
    assert r.ok and r.attempts == 2
    first, second = web.times["/429-date-once"][:2]
    assert second - first >= 1.9  # now + 3 s, to the second


@pytest.mark.parametrize("path", ["/deflate-raw", "/deflate-zlib", "/gzip-members"])
def test_content_encodings_are_decoded(web: FaultWeb, path: str) -> None:
    r = fetch(f"{web.base}{path}")
    assert r.ok and r.body == ARTICLE


@pytest.mark.parametrize(("path", "reason"), [("/brotli", "unsupported Content-Encoding 'br'"),
                                              ("/gzip-corrupt", "corrupt gzip body")])
def test_undecodable_bodies_fail_clearly(web: FaultWeb, path: str, reason: str) -> None:
    r = fetch(f"{web.base}{path}")
    assert r.outcome == "network" and reason in r.error


def test_cookies_are_neither_kept_nor_sent(web: FaultWeb) -> None:
    async def run() -> None:
        async with Fetcher(UA) as f:
            assert (await f.fetch(f"{web.base}/set-cookie", POLITE, True)).ok
            assert (await f.fetch(f"{web.base}/ok-2.html", POLITE, True)).ok
    asyncio.run(run())
    assert "Cookie" not in web.request_headers["/ok-2.html"][-1]


def test_user_agent_is_sent_on_every_request(web: FaultWeb) -> None:
    fetch(f"{web.base}/ok-3.html")
    assert web.request_headers["/ok-3.html"][-1]["User-Agent"] == UA
    assert all(h["User-Agent"] == UA for h in web.request_headers["/robots.txt"])
