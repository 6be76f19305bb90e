"""Polite, bounded HTTP fetching: robots.txt, per-host delay and concurrency, size caps,
bounded retries that honour Retry-After, and refusal of non-public addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from blocwatch.config import Politeness

MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 120.0
ROBOTS_MAX_BYTES = 500_000
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class FetchResult:
    """What one URL gave, success or failure; failures carry outcome and a readable error."""

    url: str
    # ok | http_error | timeout | network | too_large | not_html | robots | blocked | bad_url
    outcome: str
    final_url: str | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    error: str | None = None
    elapsed_ms: int = 0
    attempts: int = 0
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def content_type(self) -> str:
        for k, v in self.headers:
            if k.lower() == "content-type":
                return v
        return ""


class _Refused(Exception):
    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


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


def _is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return not (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
                or addr.is_reserved or addr.is_unspecified or not addr.is_global)


@dataclass
class HostMemory:
    """Per-host facts that outlive one Fetcher (one event loop): when the host may next be
    asked, and its parsed robots.txt. Batches run one after another, each in its own loop,
    and must still keep each host's spacing and read robots.txt once per run."""

    next_slot: dict[str, float] = field(default_factory=dict)
    robots: dict[str, Protego | None] = field(default_factory=dict)


class _HostState:
    def __init__(self, key: str, politeness: Politeness, memory: HostMemory) -> None:
        self.key = key
        self.politeness = politeness
        self.memory = memory
        self.semaphore = asyncio.Semaphore(politeness.concurrency)
        self.lock = asyncio.Lock()

    @property
    def next_slot(self) -> float:
        return self.memory.next_slot.get(self.key, 0.0)

    @next_slot.setter
    def next_slot(self, value: float) -> None:
        self.memory.next_slot[self.key] = value

    @property
    def robots_loaded(self) -> bool:
        return self.key in self.memory.robots

    @property
    def robots(self) -> Protego | None:
        return self.memory.robots.get(self.key)

    @robots.setter
    def robots(self, value: Protego | None) -> None:
        self.memory.robots[self.key] = value


class Fetcher:
    """One per run. Use as ``async with Fetcher(...) as f: await f.fetch(url, ...)``."""

    def __init__(self, user_agent: str, resolve: dict[str, str] | None = None,
                 memory: HostMemory | None = None) -> None:
        self.user_agent = user_agent
        self.memory = memory or HostMemory()
        self._resolve = {k.lower(): v for k, v in (resolve or {}).items()}
        inner = httpx.AsyncHTTPTransport(retries=0)
        transport: httpx.AsyncBaseTransport = (
            _ResolvingTransport(self._resolve, inner) if self._resolve else inner)
        self._client = httpx.AsyncClient(
            transport=transport, follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate",
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        self._hosts: dict[str, _HostState] = {}
        self._sleep = asyncio.sleep

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def _host(self, url: str, politeness: Politeness) -> _HostState:
        key = urlsplit(url).netloc.lower()
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _HostState(key, politeness, self.memory)
        return state

    async def _check_address(self, url: str, allow_private: bool) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            scheme = parts.scheme or "(none)"
            raise _Refused("bad_url", f"refused: scheme {scheme!r} is not http(s)")
        host = parts.hostname
        if not host:
            raise _Refused("bad_url", "refused: URL has no host")
        if allow_private:
            return
        if host.lower() in self._resolve:
            raise _Refused("blocked", f"refused: {host} is mapped to a local address")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80,
                                                                 type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise _Refused("network", f"DNS lookup failed for {host}: {exc}") from exc
        for info in infos:
            ip = info[4][0]
            if not _is_public(ip):
                raise _Refused("blocked", f"refused: {host} resolves to non-public address {ip}")

    async def _wait_turn(self, state: _HostState) -> None:
        # Reserve the next slot under the lock, sleep outside it, so requests to one host
        # are spaced by min_delay_s even when several run concurrently.
        async with state.lock:
            now = time.monotonic()
            slot = max(now, state.next_slot)
            state.next_slot = slot + state.politeness.min_delay_s
        if slot > now:
            await self._sleep(slot - now)

    async def _robots(self, url: str, state: _HostState, allow_private: bool) -> Protego | None:
        if state.robots_loaded:
            return state.robots
        async with state.lock:
            if state.robots_loaded:
                return state.robots
            robots_url = urljoin(url, "/robots.txt")
            robots: Protego | None = None
            try:
                await self._check_address(robots_url, allow_private)
                resp = await self._client.get(robots_url, timeout=state.politeness.timeout_s)
                if resp.status_code == 200:
                    text = resp.content[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
                    robots = Protego.parse(text)
                elif resp.status_code >= 500:
                    # A server error on robots.txt means "don't crawl" (RFC 9309); 4xx means
                    # there are no rules.
                    robots = Protego.parse("User-agent: *\nDisallow: /")
            except (httpx.HTTPError, _Refused):
                robots = None
            state.robots = robots
            return robots

    async def fetch(self, url: str, politeness: Politeness, allow_private: bool = False,
                    accept_xml: bool = False) -> FetchResult:
        """Fetch one URL politely; never raises for network or HTTP problems."""
        start = time.monotonic()
        result = FetchResult(url=url, outcome="network")
        try:
            await self._fetch(url, politeness, allow_private, accept_xml, result)
        except _Refused as exc:
            result.outcome, result.error = exc.outcome, str(exc)
            result.body = None
        result.elapsed_ms = int((time.monotonic() - start) * 1000)
        result.fetched_at = datetime.now(UTC)
        return result

    async def _fetch(self, url: str, politeness: Politeness, allow_private: bool,
                     accept_xml: bool, result: FetchResult) -> None:
        current = url
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            await self._check_address(current, allow_private)
            state = self._host(current, politeness)
            if politeness.obey_robots:
                robots = await self._robots(current, state, allow_private)
                if robots is not None and not robots.can_fetch(current, self.user_agent):
                    raise _Refused("robots", f"disallowed by robots.txt: {current}")
            resp = await self._get_with_retries(current, state, result)
            if resp is None:
                return
            status, headers, body = resp
            if status in (301, 302, 303, 307, 308):
                location = dict((k.lower(), v) for k, v in headers).get("location")
                if not location:
                    raise _Refused("http_error", f"HTTP {status} without Location")
                nxt = urljoin(current, location)
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
            ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "").lower()
            allowed = ("html", "xml", "rss", "atom", "text/plain") if accept_xml else ("html",)
            if ctype and not any(a in ctype for a in allowed):
                raise _Refused("not_html", f"unsupported content type {ctype.split(';')[0]}")
            result.body = body
            result.outcome = "ok"
            return
        raise _Refused("http_error", f"more than {MAX_REDIRECTS} redirects")

    async def _get_with_retries(self, url: str, state: _HostState, result: FetchResult
                                ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        p = state.politeness
        last_error = "no attempt"
        for attempt in range(p.retries + 1):
            result.attempts += 1
            async with state.semaphore:
                await self._wait_turn(state)
                try:
                    status, headers, body = await self._stream(url, p)
                except _Refused:
                    raise
                except httpx.TimeoutException:
                    last_error, outcome = f"timed out after {p.timeout_s:g} s", "timeout"
                    status = None
                except httpx.HTTPError as exc:
                    last_error, outcome = f"{type(exc).__name__}: {exc}", "network"
                    status = None
            if status is not None and status not in TRANSIENT_STATUS:
                return status, headers, body
            if status is not None:
                last_error, outcome = f"HTTP {status}", "http_error"
                result.status = status
            if attempt == p.retries:
                break
            delay = min(2.0 ** attempt, 30.0)
            if status in (429, 503):
                retry_after = _retry_after(headers)
                if retry_after is not None:
                    if retry_after > MAX_RETRY_AFTER_S:
                        raise _Refused("http_error", f"HTTP {status} with Retry-After "
                                       f"{retry_after:g} s, longer than {MAX_RETRY_AFTER_S:g} s")
                    delay = max(delay, retry_after)
            await self._sleep(delay)
        raise _Refused(outcome, f"{last_error} (after {result.attempts} attempts)")

    async def _stream(self, url: str, p: Politeness) -> tuple[int, list[tuple[str, str]], bytes]:
        timeout = httpx.Timeout(p.timeout_s)
        async with asyncio.timeout(p.timeout_s * 4):  # a slow trickle can't hold a slot forever
            async with self._client.stream("GET", url, timeout=timeout) as resp:
                headers = [(k, v) for k, v in resp.headers.multi_items()
                           if k.lower() not in ("content-encoding", "content-length",
                                                "transfer-encoding")]
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > p.max_bytes:
                    raise _Refused("too_large", f"body of {declared} bytes exceeds the cap of "
                                   f"{p.max_bytes} bytes")
                chunks = []
                size = 0
                if resp.status_code == 200:
                    # aiter_bytes decompresses, so the cap also stops gzip bombs.
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        if size > p.max_bytes:
                            raise _Refused("too_large", f"body exceeds the cap of {p.max_bytes} "
                                           "bytes")
                        chunks.append(chunk)
                return resp.status_code, headers, b"".join(chunks)


def _retry_after(headers: list[tuple[str, str]]) -> float | None:
    value = dict((k.lower(), v) for k, v in headers).get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
