"""Polite, bounded HTTP fetching: robots.txt (rules and Crawl-delay), per-host delay,
concurrency and time budget, size caps, a whole-request deadline, bounded retries that
honour Retry-After, and refusal of non-public addresses.

Everything a server sends is untrusted: bodies are decompressed by hand so a gzip bomb is
cut at the cap before it is inflated, every redirect hop is checked again, and the
connection goes to the very address that was checked (no second DNS lookup to rebind).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import socket
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin

import httpx
from protego import Protego

from blocwatch.config import Politeness
from blocwatch.records import DEFERRED, FetchResult

MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 120.0
# Media Cloud's story-indexer waits 30 s after a 429 that names no Retry-After.
DEFAULT_429_BACKOFF_S = 30.0
# Google reads the first 500 KiB of a robots.txt and ignores the rest (RFC 9309 §2.5).
ROBOTS_MAX_BYTES = 500 * 1024
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
# Crawl-delay is honoured as written, however long: the host's time budget bounds what it
# costs a run (a delay beyond the budget defers the host's URLs without waiting). Only an
# infinite one is read as this, to keep the arithmetic finite.
MAX_CRAWL_DELAY_S = 86_400.0
# A deadline that ends a body whose last bytes came within this share of timeout_s is a
# trickle (the server keeps sending, too slowly to ever finish); an older last byte is a
# stall, which may pass and is retried.
TRICKLE_RECENT_SHARE = 0.5

# Addresses Python's ipaddress calls global that are still no place for a crawler: the
# IETF protocol block holding Oracle Cloud's metadata service (192.0.0.192).
_EXTRA_BLOCKED = (ipaddress.ip_network("192.0.0.0/24"),)
# IPv6 prefixes that embed an IPv4 address a gateway would forward to (NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

Resolver = Callable[[str, int], Awaitable[list[str]]]


class _Refused(Exception):
    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class _RobotsUnavailable:
    """robots.txt could not be read for a reason that may pass (5xx, 429, timeout).

    RFC 9309 says: then crawl nothing on that host. The URLs are failed with a transient
    outcome, not "robots", so a later run asks again instead of skipping them for good.
    """

    outcome: str
    reason: str


class _ResolvingTransport(httpx.AsyncBaseTransport):
    """Send requests for mapped host names to a local address, like curl's --resolve.

    The demo web serves several outlets' host names from one local port; URLs keep
    their real host names, so they are stable across runs and ports.
    """

    def __init__(self, mapping: dict[str, str], inner: httpx.AsyncBaseTransport) -> None:
        self._mapping = {k.lower(): v for k, v in mapping.items()}
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self._mapping.get(request.url.host.lower())
        if target:
            host, _, port = target.rpartition(":")
            request.url = request.url.copy_with(host=host, port=int(port))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def is_public_address(ip: str) -> bool:
    """True when a crawler may connect to ``ip``: not loopback, private, link-local,
    multicast, reserved, carrier-grade NAT or a cloud metadata service, also when hidden
    inside an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])  # drop an IPv6 zone id
    embedded: list[ipaddress.IPv4Address] = []
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            addr = addr.ipv4_mapped
        elif any(addr in net for net in _NAT64):
            # An IPv6-only host reaches IPv4 sites through NAT64 (DNS64 answers these):
            # the IPv4 address inside decides.
            return is_public_address(str(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)))
        else:
            if addr.sixtofour:
                embedded.append(addr.sixtofour)
            if addr.teredo:
                embedded.extend(addr.teredo)
    if (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
            or addr.is_reserved or addr.is_unspecified or not addr.is_global
            or any(addr in net for net in _EXTRA_BLOCKED if addr.version == net.version)):
        return False
    return all(is_public_address(str(e)) for e in embedded)


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass
class HostMemory:
    """Per-host facts that outlive one Fetcher (one event loop): when the host may next be
    asked, its parsed robots.txt and Crawl-delay, and how much of its time budget the run
    has spent. Batches run one after another, each in its own loop, and must still keep
    each host's spacing, read robots.txt once per run and share one budget."""

    next_slot: dict[str, float] = field(default_factory=dict)
    last_sent: dict[str, float] = field(default_factory=dict)
    robots: dict[str, Protego | _RobotsUnavailable | None] = field(default_factory=dict)
    crawl_delay: dict[str, float] = field(default_factory=dict)
    # Wall time with at least one fetch in progress on the host (waiting for a slot or a
    # connection counts: it is time the run spends because of that host), closed spans
    # only; the open one is measured from active_since.
    busy_s: dict[str, float] = field(default_factory=dict)
    active: dict[str, int] = field(default_factory=dict)
    active_since: dict[str, float] = field(default_factory=dict)

    def busy(self, key: str, now: float) -> float:
        """Seconds of the run spent on ``key`` so far, the span in progress included."""
        spent = self.busy_s.get(key, 0.0)
        if self.active.get(key, 0):
            spent += now - self.active_since[key]
        return spent

    @contextmanager
    def working_on(self, key: str) -> Iterator[None]:
        """Count the time of the body against ``key``'s budget (overlaps counted once)."""
        if not self.active.get(key, 0):
            self.active_since[key] = time.monotonic()
        self.active[key] = self.active.get(key, 0) + 1
        try:
            yield
        finally:
            self.active[key] -= 1
            if not self.active[key]:
                self.busy_s[key] = (self.busy_s.get(key, 0.0)
                                    + time.monotonic() - self.active_since[key])


class _HostState:
    def __init__(self, key: str, politeness: Politeness, memory: HostMemory) -> None:
        self.key = key
        self.politeness = politeness
        self.memory = memory
        self.semaphore = asyncio.Semaphore(politeness.concurrency)
        self.lock = asyncio.Lock()
        # Separate from `lock`: reading robots.txt waits its turn, which takes `lock`.
        self.robots_lock = asyncio.Lock()

    @property
    def next_slot(self) -> float:
        return self.memory.next_slot.get(self.key, 0.0)

    @next_slot.setter
    def next_slot(self, value: float) -> None:
        self.memory.next_slot[self.key] = value

    @property
    def last_sent(self) -> float:
        return self.memory.last_sent.get(self.key, float("-inf"))

    @last_sent.setter
    def last_sent(self, value: float) -> None:
        self.memory.last_sent[self.key] = value

    @property
    def robots_loaded(self) -> bool:
        return self.key in self.memory.robots

    @property
    def robots(self) -> Protego | _RobotsUnavailable | None:
        return self.memory.robots.get(self.key)

    @robots.setter
    def robots(self, value: Protego | _RobotsUnavailable | None) -> None:
        self.memory.robots[self.key] = value

    @property
    def crawl_delay(self) -> float:
        return self.memory.crawl_delay.get(self.key, 0.0)

    @property
    def delay(self) -> float:
        """Seconds between two requests: min_delay_s, or robots.txt's Crawl-delay if longer."""
        return max(self.politeness.min_delay_s, self.crawl_delay)

    def budget_left(self, now: float) -> float:
        return self.politeness.host_budget_s - self.memory.busy(self.key, now)


class _OverBudget(Exception):
    """The host's time budget cannot fit another request in this run."""


@dataclass
class _Attempt:
    """How far one request got: a timeout's message says which part was slow, and a
    trickle (not worth retrying) is told from a stall (worth it)."""

    timeout_s: float
    phase: str = "connect"  # connect -> sent (request written) -> body (headers in)
    body_bytes: int = 0
    last_data: float = 0.0
    deadline: asyncio.Timeout | None = None

    def describe_timeout(self, exc: BaseException) -> tuple[str, bool]:
        """What happened, and whether trying again in this run may help."""
        t = f"{self.timeout_s:g} s"
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout) or self.phase == "connect":
            return f"connect timed out after {t}", True
        if self.phase == "sent":
            return f"no response: timed out after {t}", True
        recent = time.monotonic() - self.last_data < self.timeout_s * TRICKLE_RECENT_SHARE
        if isinstance(exc, TimeoutError) and self.body_bytes and recent:
            # The same server will trickle again seconds later: a retry would double what
            # the URL costs for nothing. The next run asks again (and parking counts it).
            return (f"gave up after {t}: the server sent {self.body_bytes} bytes of the body "
                    "in that time, a trickle", False)
        return f"body stalled after {self.body_bytes} bytes: timed out after {t}", True


@dataclass(frozen=True)
class _Target:
    """A URL checked for fetching, and the address to connect to (None: let DNS decide,
    only for allow-listed sources and hosts mapped by ``resolve``)."""

    url: str
    host: str
    netloc: str
    pin: str | None


class _BoundedDecoder:
    """Content-Encoding decoding that never holds more than the cap in memory.

    httpx inflates each network chunk in one call, so 64 KiB of a gzip bomb can become
    64 MiB before any cap is checked; here inflation itself is limited to what is left.
    """

    def __init__(self, encoding: str) -> None:
        enc = encoding.strip().lower()
        self._mode = {"": "identity", "identity": "identity", "gzip": "gzip",
                      "x-gzip": "gzip", "deflate": "deflate"}.get(enc)
        if self._mode is None:
            # We only ever send Accept-Encoding: gzip, deflate.
            raise _Refused("network", f"unsupported Content-Encoding {encoding!r}")
        self._z = self._new()
        self._started = False

    def _new(self) -> zlib._Decompress | None:
        if self._mode == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self._mode == "deflate":
            return zlib.decompressobj()
        return None

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``; return at most ``room`` + 1 bytes (one more means: too large)."""
        if self._z is None:
            return data
        out = b""
        try:
            while data and len(out) <= room:
                try:
                    part = self._z.decompress(data, room + 1 - len(out))
                except zlib.error:
                    if self._mode == "deflate" and not self._started:
                        # Some servers send raw deflate without the zlib header.
                        self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                        self._started = True
                        continue
                    raise
                self._started = True
                out += part
                if self._z.unconsumed_tail:
                    data = self._z.unconsumed_tail  # stopped at the limit: out is full
                    if len(out) > room:
                        break
                    continue
                if (self._z.eof and self._mode == "gzip"
                        and self._z.unused_data.startswith(b"\x1f\x8b")):
                    data = self._z.unused_data  # a multi-member gzip body
                    self._z = self._new()
                    continue
                # Anything else after the end of the stream is trailing junk, dropped.
                data = b""
        except zlib.error as exc:
            raise _Refused("network", f"corrupt {self._mode} body: {exc}") from exc
        return out


class Fetcher:
    """One per run. Use as ``async with Fetcher(...) as f: await f.fetch(url, ...)``.

    ``resolve`` maps host names to "ip:port" (the demo and test webs); ``resolver`` replaces
    DNS (tests use it to stand for public DNS answers).
    """

    def __init__(self, user_agent: str, resolve: dict[str, str] | None = None,
                 memory: HostMemory | None = None, resolver: Resolver | None = None) -> None:
        self.user_agent = user_agent
        self.memory = memory or HostMemory()
        self._resolve = {k.lower(): v for k, v in (resolve or {}).items()}
        self._resolver = resolver or _system_resolver
        inner = httpx.AsyncHTTPTransport(retries=0)
        transport: httpx.AsyncBaseTransport = (
            _ResolvingTransport(self._resolve, inner) if self._resolve else inner)
        # A crawler needs no cookies, and one site's must never reach another.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self._client = httpx.AsyncClient(
            transport=transport, follow_redirects=False, cookies=no_cookies,
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate",
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        self._hosts: dict[str, _HostState] = {}
        self._sleep = asyncio.sleep

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def _host(self, target: _Target, politeness: Politeness) -> _HostState:
        key = target.netloc
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _HostState(key, politeness, self.memory)
        return state

    async def _check_address(self, url: str, allow_private: bool) -> _Target:
        """Refuse what a crawler must not ask; return where to connect.

        The URL is parsed by httpx, the library that will send it, so no parser difference
        (backslashes, userinfo, odd IP notations) separates the checked host from the
        contacted one; and the connection is pinned to the checked address.
        """
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise _Refused("bad_url", f"refused: malformed URL ({exc})") from exc
        if parsed.scheme not in ("http", "https"):
            scheme = parsed.scheme or "(none)"
            raise _Refused("bad_url", f"refused: scheme {scheme!r} is not http(s)")
        host = parsed.host.lower().rstrip(".")
        if not host:
            raise _Refused("bad_url", "refused: URL has no host")
        netloc = parsed.netloc.decode("ascii").lower()
        if allow_private:
            return _Target(url, host, netloc, None)
        if host in self._resolve:
            raise _Refused("blocked", f"refused: {host} is mapped to a local address")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            ips = await self._resolver(host, port)
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            raise _Refused("network", f"DNS lookup failed for {host}: {exc}") from exc
        if not ips:
            raise _Refused("network", f"DNS lookup for {host} returned no address")
        for ip in ips:
            try:
                public = is_public_address(ip)
            except ValueError:
                public = False
            if not public:
                raise _Refused("blocked", f"refused: {host} resolves to non-public address {ip}")
        # One address is pinned, so no fallback between address families happens: take
        # IPv4 when there is one, the family every network routes.
        pin = next((ip for ip in ips if ":" not in ip), ips[0])
        return _Target(url, host, netloc, pin)

    async def _wait_turn(self, state: _HostState) -> None:
        # Reserve the next slot under the lock, sleep outside it, so requests to one host
        # are spaced by its delay even when several run concurrently. A slot the host's
        # time budget cannot reach is not reserved and not waited for: sleeping first and
        # deferring after would spend the run's time for nothing.
        async with state.lock:
            now = time.monotonic()
            slot = max(now, state.next_slot)
            left = state.budget_left(now)
            if slot - now >= left:
                raise _OverBudget(self._over_budget_reason(state, slot - now, left))
            state.next_slot = slot + state.delay
        if slot > now:
            await self._sleep(slot - now)

    @staticmethod
    def _over_budget_reason(state: _HostState, wait: float, left: float) -> str:
        budget = state.politeness.host_budget_s
        if left <= 0:
            return (f"deferred to the next run: {state.key} has used its time budget of "
                    f"{budget:g} s for this run")
        why = (f" (robots.txt asks for a Crawl-delay of {state.crawl_delay:g} s)"
               if state.crawl_delay > state.politeness.min_delay_s else "")
        return (f"deferred to the next run: the next request {state.key} allows is "
                f"{wait:.1f} s away, beyond the {left:.1f} s left of its {budget:g} s time "
                f"budget for this run{why}")

    async def _keep_spacing(self, state: _HostState, attempt: _Attempt | None) -> None:
        # The slot reserved in _wait_turn spaces requests as scheduled, but a busy event
        # loop (a big body being read, a worker starting) can delay one request until it
        # goes out right before the next. So the spacing is checked again at the moment
        # each request is written (an httpcore trace hook), where the host sees it.
        while True:
            now = time.monotonic()
            due = state.last_sent + state.delay
            if now >= due:
                state.last_sent = now
                return
            # Waiting our own turn is politeness, not the server's slowness: the request's
            # deadline (timeout_s) is stopped meanwhile and resumes with what was left.
            loop = asyncio.get_running_loop()
            deadline = attempt.deadline if attempt is not None else None
            left = None
            if deadline is not None and (when := deadline.when()) is not None:
                left = when - loop.time()
                deadline.reschedule(None)
            await self._sleep(due - now)
            if deadline is not None and left is not None:
                deadline.reschedule(loop.time() + left)

    def _trace(self, state: _HostState, attempt: _Attempt | None = None
               ) -> Callable[[str, dict], Awaitable[None]]:
        async def trace(event: str, info: dict) -> None:
            if event.endswith("send_request_headers.started"):
                await self._keep_spacing(state, attempt)
                if attempt is not None:
                    attempt.phase = "sent"
            elif event.endswith("send_request_headers.complete"):
                # The host sees the request somewhere between started and complete; on a
                # busy machine that can be a tenth of a second. Counting the next delay
                # from the end of the write keeps the spacing the host sees >= the delay.
                state.last_sent = max(state.last_sent, time.monotonic())
        return trace

    async def _back_off_host(self, state: _HostState, seconds: float) -> None:
        # A 429/503 speaks for the whole site: every request to it waits, not just this URL.
        async with state.lock:
            state.next_slot = max(state.next_slot, time.monotonic() + seconds)

    async def _robots(self, target: _Target, state: _HostState, politeness: Politeness,
                      allow_private: bool) -> Protego | _RobotsUnavailable | None:
        if state.robots_loaded:
            return state.robots
        async with state.robots_lock:
            if not state.robots_loaded:
                robots = await self._read_robots(target, politeness, allow_private)
                state.robots = robots
                if isinstance(robots, Protego):
                    self._learn_crawl_delay(state, robots)
            return state.robots

    def _learn_crawl_delay(self, state: _HostState, robots: Protego) -> None:
        try:
            delay = robots.crawl_delay(self.user_agent)
        except (TypeError, ValueError):
            delay = None
        if delay is None or not delay > 0:  # also NaN
            return
        delay = float(delay) if math.isfinite(delay) else MAX_CRAWL_DELAY_S
        state.memory.crawl_delay[state.key] = delay
        # robots.txt itself was a request: the first page waits a Crawl-delay after it.
        state.next_slot = max(state.next_slot, state.last_sent + state.delay)

    async def _read_robots(self, target: _Target, politeness: Politeness,
                           allow_private: bool) -> Protego | _RobotsUnavailable | None:
        """robots.txt per RFC 9309: follow up to 5 redirects, read at most 500 KiB; a 4xx
        means no rules; 5xx, 429 and network failures mean "not now"."""
        url = urljoin(target.url, "/robots.txt")
        p = politeness.model_copy(update={"max_bytes": ROBOTS_MAX_BYTES})
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                hop = await self._check_address(url, allow_private)
            except _Refused:
                return None  # a robots.txt we may not read holds no rules for us
            state = self._host(hop, politeness)
            attempt = _Attempt(p.timeout_s)
            try:
                async with state.semaphore:
                    await self._wait_turn(state)
                    status, headers, body = await self._stream(hop, p, state, attempt,
                                                                truncate=True)
            except _OverBudget as exc:
                return _RobotsUnavailable(DEFERRED, str(exc))
            except (httpx.TimeoutException, TimeoutError) as exc:
                what, _ = attempt.describe_timeout(exc)
                return _RobotsUnavailable("timeout", f"robots.txt of {target.host}: {what}; "
                                          "not crawling the host now (RFC 9309)")
            except (httpx.HTTPError, _Refused) as exc:
                return _RobotsUnavailable("network", f"robots.txt of {target.host} "
                                          f"unreadable ({exc}); not crawling the host now")
            if status in REDIRECT_STATUS:
                location = _header(headers, "location")
                try:
                    nxt = urljoin(url, location.strip()) if location else None
                except ValueError:
                    nxt = None
                if nxt is None or nxt in seen:
                    return None  # RFC 9309: a robots.txt that cannot be reached is no rules
                seen.add(nxt)
                url = nxt
                continue
            if status == 200:
                return Protego.parse(body.decode("utf-8", "replace"))
            if status == 429 or status >= 500:
                return _RobotsUnavailable("http_error", f"robots.txt of {target.host} "
                                          f"answered HTTP {status}; not crawling the host "
                                          "now (RFC 9309)")
            return None
        return None

    async def fetch(self, url: str, politeness: Politeness, allow_private: bool = False,
                    accept_xml: bool = False) -> FetchResult:
        """Fetch one URL politely; never raises for network or HTTP problems."""
        start = time.monotonic()
        result = FetchResult(url=url, outcome="network")
        try:
            await self._fetch(url, politeness, allow_private, accept_xml, result)
        except _OverBudget as exc:
            result.outcome, result.error = DEFERRED, str(exc)
            result.body = None
        except _Refused as exc:
            result.outcome, result.error = exc.outcome, str(exc)
            result.body = None
        except Exception as exc:  # one hostile URL must not end the batch
            result.outcome, result.error = "network", f"{type(exc).__name__}: {exc}"
            result.body = None
        result.elapsed_ms = int((time.monotonic() - start) * 1000)
        result.fetched_at = datetime.now(UTC)
        return result

    async def _fetch(self, url: str, politeness: Politeness, allow_private: bool,
                     accept_xml: bool, result: FetchResult) -> None:
        current = url
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            target = await self._check_address(current, allow_private)
            state = self._host(target, politeness)
            with self.memory.working_on(state.key):
                if politeness.obey_robots:
                    robots = await self._robots(target, state, politeness, allow_private)
                    if isinstance(robots, _RobotsUnavailable):
                        if robots.outcome == DEFERRED:
                            raise _OverBudget(robots.reason)
                        raise _Refused(robots.outcome, robots.reason)
                    if robots is not None and not robots.can_fetch(current, self.user_agent):
                        raise _Refused("robots", f"disallowed by robots.txt: {current}")
                status, headers, body = await self._get_with_retries(target, state, result)
            if status in REDIRECT_STATUS:
                location = _header(headers, "location")
                if not location:
                    raise _Refused("http_error", f"HTTP {status} without Location")
                try:
                    nxt = urljoin(current, location.strip())
                except ValueError as exc:
                    raise _Refused("bad_url", f"refused: malformed redirect {location!r}"
                                   ) from exc
                if nxt in seen:
                    raise _Refused("http_error", f"redirect loop at {nxt}")
                seen.add(nxt)
                current = nxt
                continue
            result.final_url = current
            result.status = status
            result.headers = headers
            if status != 200:
                raise _Refused("http_error", f"HTTP {status}")
            ctype = _header(headers, "content-type").lower()
            allowed = ("html", "xml", "rss", "atom", "text/plain") if accept_xml else ("html",)
            if ctype and not any(a in ctype for a in allowed):
                raise _Refused("not_html", f"unsupported content type {ctype.split(';')[0]}")
            result.body = body
            result.outcome = "ok"
            return
        raise _Refused("http_error", f"more than {MAX_REDIRECTS} redirects")

    async def _get_with_retries(self, target: _Target, state: _HostState, result: FetchResult
                                ) -> tuple[int, list[tuple[str, str]], bytes]:
        p = state.politeness
        last_error, outcome = "no attempt", "network"
        for attempt in range(p.retries + 1):
            headers: list[tuple[str, str]] = []
            status: int | None = None
            retry = True
            async with state.semaphore:
                try:
                    await self._wait_turn(state)
                except _OverBudget:
                    if attempt == 0:
                        raise  # never tried: deferred to the next run
                    raise _Refused(outcome, f"{last_error} ({_attempts(result.attempts)}; "
                                   "no retry: the host's time budget for this run is spent)"
                                   ) from None
                result.attempts += 1
                tried = _Attempt(p.timeout_s)
                try:
                    status, headers, body = await self._stream(target, p, state, tried)
                except (httpx.TimeoutException, TimeoutError) as exc:
                    # TimeoutError: the whole-request deadline (timeout_s) in _stream.
                    (last_error, retry), outcome = tried.describe_timeout(exc), "timeout"
                except httpx.RemoteProtocolError as exc:
                    if "location header" in str(exc).lower():
                        # httpx parses Location even when not following: a broken one is
                        # the page's fault, and asking again will not mend it.
                        raise _Refused("bad_url", f"refused: malformed redirect ({exc})"
                                       ) from exc
                    last_error, outcome = f"{type(exc).__name__}: {exc}", "network"
                except httpx.HTTPError as exc:
                    last_error, outcome = f"{type(exc).__name__}: {exc}", "network"
            if status is not None and status not in TRANSIENT_STATUS:
                return status, headers, body
            if status is not None:
                last_error, outcome = f"HTTP {status}", "http_error"
                result.status = status
            delay = min(2.0 ** attempt, 30.0)
            if status in (429, 503):
                retry_after = _retry_after(headers)
                if retry_after is not None and retry_after > MAX_RETRY_AFTER_S:
                    raise _Refused("http_error", f"HTTP {status} with Retry-After "
                                   f"{retry_after:g} s, longer than {MAX_RETRY_AFTER_S:g} s")
                if retry_after is None and status == 429:
                    retry_after = DEFAULT_429_BACKOFF_S
                if retry_after is not None:
                    await self._back_off_host(state, retry_after)
                    delay = max(delay, retry_after)
            if not retry:
                raise _Refused(outcome, f"{last_error} ({_attempts(result.attempts)}; a "
                               "trickle is not retried in the same run)")
            if attempt == p.retries:
                break
            if delay >= state.budget_left(time.monotonic()):
                raise _Refused(outcome, f"{last_error} ({_attempts(result.attempts)}; no "
                               "retry: the host's time budget for this run is spent)")
            await self._sleep(delay)
        raise _Refused(outcome, f"{last_error} ({_attempts(result.attempts)})")

    async def _stream(self, target: _Target, p: Politeness, state: _HostState,
                      attempt: _Attempt, truncate: bool = False
                      ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One GET within ``timeout_s`` from connect to the last byte of the body. The body
        is read only for a 200, decoded and capped while it streams; over the cap it is
        refused (or, with ``truncate``, cut). ``attempt`` records how far it got."""
        timeout = httpx.Timeout(p.timeout_s)
        url: str | httpx.URL = target.url
        headers: dict[str, str] = {}
        extensions: dict[str, object] = {"trace": self._trace(state, attempt)}
        if target.pin is not None:
            # Connect to the checked address; keep the name for Host and TLS (SNI, cert).
            url = httpx.URL(target.url).copy_with(host=target.pin)
            headers["Host"] = target.netloc
            if url.scheme == "https":
                extensions["sni_hostname"] = target.host
        # httpx's timeouts bound each read; this bounds the whole request, so a server that
        # sends a byte now and then can hold a slot for timeout_s and no longer.
        async with asyncio.timeout(p.timeout_s) as deadline:
            attempt.deadline = deadline
            async with self._client.stream("GET", url, timeout=timeout, headers=headers,
                                           extensions=extensions) as resp:
                attempt.phase, attempt.last_data = "body", time.monotonic()
                out_headers = [(k, v) for k, v in resp.headers.multi_items()
                               if k.lower() not in ("content-encoding", "content-length",
                                                    "transfer-encoding")]
                if resp.status_code != 200:
                    return resp.status_code, out_headers, b""
                declared = resp.headers.get("content-length", "")
                if not truncate and declared.isdigit() and int(declared) > p.max_bytes:
                    raise _Refused("too_large", f"body of {declared} bytes exceeds the cap of "
                                   f"{p.max_bytes} bytes (refused before reading)")
                decoder = _BoundedDecoder(resp.headers.get("content-encoding", ""))
                chunks: list[bytes] = []
                size = 0
                async for raw in resp.aiter_raw():
                    attempt.body_bytes += len(raw)
                    attempt.last_data = time.monotonic()
                    chunk = decoder.feed(raw, p.max_bytes - size)
                    size += len(chunk)
                    if size > p.max_bytes:
                        if truncate:
                            chunks.append(chunk[:len(chunk) - (size - p.max_bytes)])
                            break
                        raise _Refused("too_large", f"body exceeds the cap of {p.max_bytes} "
                                       f"bytes (stopped after {resp.num_bytes_downloaded} "
                                       "bytes on the wire)")
                    chunks.append(chunk)
                return resp.status_code, out_headers, b"".join(chunks)


def _attempts(n: int) -> str:
    return f"after {n} attempt{'s' if n != 1 else ''}"


def _header(headers: list[tuple[str, str]], name: str) -> str:
    for k, v in headers:
        if k.lower() == name:
            return v
    return ""


def _retry_after(headers: list[tuple[str, str]]) -> float | None:
    value = _header(headers, "retry-after").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
