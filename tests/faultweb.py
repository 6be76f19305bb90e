"""A local web that misbehaves on purpose: the fetcher is tested against real HTTP."""

from __future__ import annotations

import gzip
import io
import select
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin
from xml.sax.saxutils import escape

ARTICLE = (b"<html lang='en'><head><title>Ok</title></head><body><article><h1>Ok</h1>"
           b"<p>Japan and NATO met in Brussels on Tuesday to discuss cyber defence.</p>"
           b"</article></body></html>")


# Linux's SO_TIMESTAMP (SO_TIMESTAMP_OLD; the socket module has no name for it): the kernel
# stamps each segment it receives, and a TCP recvmsg hands back the stamp of the latest one.
_SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)


class _StampedReader(io.RawIOBase):
    """A connection read with recvmsg, remembering when its latest bytes reached the kernel."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.arrived: float | None = None  # on time.monotonic()'s clock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n, ancillary, _flags, _addr = self.sock.recvmsg_into([buffer], socket.CMSG_SPACE(16))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMP and len(data) >= 16:
                sec, usec = struct.unpack("qq", data[:16])
                # The stamp is wall-clock time; the tests compare monotonic times.
                self.arrived = sec + usec / 1e6 - (time.time() - time.monotonic())
        return n


class StampedHandler(BaseHTTPRequestHandler):
    """A request handler that knows when its request arrived (``arrived()``): when the
    bytes reached this machine's kernel, not when a Python thread got round to reading them.

    On a loaded machine a handler thread can run hundreds of milliseconds late (other
    processes on the cores; the flow under test holding the GIL in the same process), so a
    time taken in the handler makes well-spaced requests look bunched. HTTP/1.1 requests on
    one connection come one at a time (no pipelining), so the latest segment read before a
    request is parsed is that request's own.
    """

    _reader: _StampedReader | None = None

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
        except OSError:
            return  # no kernel stamps here: arrived() falls back to the handler's clock
        self._reader = _StampedReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def arrived(self) -> float:
        if self._reader is not None and self._reader.arrived is not None:
            return self._reader.arrived
        return time.monotonic()


class FaultWeb:
    """ThreadingHTTPServer on 127.0.0.1 with per-path request counts and arrival times
    (the kernel's: StampedHandler)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.Lock()
        gzip_bomb()  # made before any request, not inside one's timeout
        web = self

        class Handler(StampedHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with web._lock:
                    web.counts[self.path] += 1
                    web.times.setdefault(self.path, []).append(self.arrived())
                    web.request_headers.setdefault(self.path, []).append(dict(self.headers))
                    n = web.counts[self.path]
                try:
                    web.route(self, self.path, n)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as a timeout or size cap makes it do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"",
             ctype: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None
             ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def route(self, h: BaseHTTPRequestHandler, path: str, n: int) -> None:
        send = self.send
        if path == "/robots.txt":
            send(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path in ("/ok.html", "/private/secret.html", "/spaced/1", "/spaced/2"):
            send(h, 200, ARTICLE)
        elif path == "/gone":
            send(h, 410, b"gone")
        elif path == "/missing":
            send(h, 404, b"not found")
        elif path == "/always-500":
            send(h, 500, b"oops")
        elif path == "/503-once":
            send(h, 503, b"busy") if n == 1 else send(h, 200, ARTICLE)
        elif path == "/429-retry-after":
            if n == 1:
                send(h, 429, b"slow down", headers={"Retry-After": "1"})
            else:
                send(h, 200, ARTICLE)
        elif path == "/429-forever":
            send(h, 429, b"slow down", headers={"Retry-After": "100000"})
        elif path == "/redirect":
            send(h, 301, headers={"Location": "/ok.html"})
        elif path == "/loop-a":
            send(h, 302, headers={"Location": "/loop-b"})
        elif path == "/loop-b":
            send(h, 302, headers={"Location": "/loop-a"})
        elif path == "/to-file":
            send(h, 302, headers={"Location": "file:///etc/passwd"})
        elif path == "/pdf":
            send(h, 200, b"%PDF-1.4 ...", "application/pdf")
        elif path == "/big-chunked":
            # No Content-Length: the cap must be enforced while streaming.
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(200):  # 13 MB
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                h.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/gzip-bomb":
            send(h, 200, gzip_bomb(), headers={"Content-Encoding": "gzip"})
        elif path == "/stall":
            time.sleep(3)
            send(h, 200, ARTICLE)
        elif path == "/trickle":
            # Never idle as long as the read timeout, never done: only a deadline ends it.
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            for _ in range(60):
                h.wfile.write(b"<")
                h.wfile.flush()
                time.sleep(0.2)
        elif path == "/bad-location":
            send(h, 302, headers={"Location": "http://[::1/broken"})
        elif path == "/429-host":
            if n == 1:
                send(h, 429, b"slow down", headers={"Retry-After": "1"})
            else:
                send(h, 200, ARTICLE)
        elif path in ("/after-429", "/ok-2.html", "/ok-3.html"):
            send(h, 200, ARTICLE)
        elif path == "/429-bare-once":
            send(h, 429, b"slow down") if n == 1 else send(h, 200, ARTICLE)
        elif path == "/429-date-once":
            if n == 1:
                when = formatdate(time.time() + 3, usegmt=True)
                send(h, 429, b"slow down", headers={"Retry-After": when})
            else:
                send(h, 200, ARTICLE)
        elif path == "/deflate-raw":
            c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            send(h, 200, c.compress(ARTICLE) + c.flush(), headers={"Content-Encoding": "deflate"})
        elif path == "/deflate-zlib":
            send(h, 200, zlib.compress(ARTICLE), headers={"Content-Encoding": "deflate"})
        elif path == "/gzip-members":
            half = len(ARTICLE) // 2
            send(h, 200, gzip.compress(ARTICLE[:half]) + gzip.compress(ARTICLE[half:]),
                 headers={"Content-Encoding": "gzip"})
        elif path == "/gzip-corrupt":
            send(h, 200, gzip.compress(ARTICLE)[:20] + b"garbage" * 10,
                 headers={"Content-Encoding": "gzip"})
        elif path == "/brotli":
            send(h, 200, b"\x8b\x03\x80hello\x03", headers={"Content-Encoding": "br"})
        elif path == "/set-cookie":
            send(h, 200, ARTICLE, headers={"Set-Cookie": "session=secret; Path=/"})
        elif path == "/to-loopback":
            send(h, 302, headers={"Location": f"http://127.0.0.1:{self.port}/ok.html"})
        elif path == "/to-localhost":
            send(h, 302, headers={"Location": f"http://localhost:{self.port}/ok.html"})
        elif path == "/to-metadata":
            send(h, 302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-ipv6-mapped":
            send(h, 302, headers={"Location": f"http://[::ffff:127.0.0.1]:{self.port}/ok.html"})
        else:
            send(h, 404, b"no such path")


# --------------------------------------------------------------------------------------
# A whole hostile web: several virtual hosts on one port, each with its own robots.txt and
# feeds, serving good articles among every fault the fetcher and the flow must survive.
# The ingest flow reaches it through its ``resolve`` map, exactly as it reaches the demo.
# --------------------------------------------------------------------------------------

NEWS = "news.fault.test"    # an outlet: RSS feed of good articles and every fault
INTL = "intl.fault.test"    # an outlet in legacy encodings, slower politeness
FEEDS = "feeds.fault.test"  # broken feeds, one outlet each
DOWN = "down.fault.test"    # robots.txt answers 503: the host must not be crawled
UA_SEEN = "User-Agent"
BIG = 50 * 1024 * 1024


@cache
def gzip_bomb() -> bytes:
    """50 MB of zeros gzipped to 50 KB, made once: compressing it per request took longer
    than a test's one-second timeout on a busy machine, which then saw a timeout, not a
    body over the cap."""
    return gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)


def article_html(title: str, paragraphs: list[str], lang: str = "en", head: str = "",
                 published: str = "2026-03-02") -> str:
    """A realistic article page: navigation, cookie banner and footer around the text."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='{lang}'><head>{head}<title>{title}</title>"
            f"<meta property='article:published_time' content='{published}T09:00:00Z'>"
            "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            "<div class='cookie-banner'>We use cookies.</div>"
            f"<main><article><h1>{title}</h1>{body}</article></main>"
            "<footer><p>&copy; 2026 Fault Test News</p></footer></body></html>")


def _sentences(topic: str, n: int) -> list[str]:
    return [f"{topic}: Japan and NATO officials met in Brussels for round {n} of talks on "
            "cyber defence, undersea cables and joint exercises in the Indo-Pacific.",
            f"Diplomats said the {topic.lower()} discussions would continue next month in "
            "Tokyo, where both sides hope to sign an information-sharing agreement.",
            f"Analysts in Canberra and Seoul described round {n} as a sign that the "
            "partnership is deepening despite objections from Beijing and Moscow."]


GOOD_EN = {f"/articles/good-{i}.html": (f"Good story {i}", _sentences(f"Story {i}", i))
           for i in range(1, 7)}
GOOD_EN["/articles/chain-end.html"] = ("End of a redirect chain", _sentences("Chain", 41))
GOOD_EN["/faults/flaky-503"] = ("Flaky server story", _sentences("Flaky", 42))
GOOD_EN["/faults/rate-429"] = ("Rate limited story", _sentences("Rated", 43))
TRUNCATED = ("Talks cut short", _sentences("Truncated", 44)[:2])
TRUNCATED_TAIL = "Further detail was expect"

# Non-UTF-8 pages: (path, codec, Content-Type, how the charset is declared, lang, title,
# the sentence that must come back verbatim, filler).
_RU_FILL = ["Переговоры проходили за закрытыми дверями в штаб-квартире альянса.",
            "Аналитики отмечают, что сотрудничество Токио и Брюсселя заметно расширилось."]
_JA_FILL = ["会談は同盟の本部で非公開で行われた。",
            "専門家は、東京とブリュッセルの協力が近年大きく拡大したと指摘している。"]
_KO_FILL = ["회담은 동맹 본부에서 비공개로 진행되었다.",
            "전문가들은 도쿄와 브뤼셀의 협력이 최근 크게 확대되었다고 지적했다."]
_ZH_FILL = ["会谈在联盟总部闭门举行，双方代表团就地区安全形势交换了意见。",
            "分析人士指出，东京与布鲁塞尔的合作近年来明显扩大，涉及网络安全、海上安全和"
            "国防工业等多个领域。",
            "一些亚洲国家对此表示关注，认为北约在亚太地区的影响力上升可能加剧地区紧张局势。"]
ENCODED = [
    ("/ru/header.html", "cp1251", "text/html; charset=windows-1251", "header", "ru",
     "Япония и НАТО",
     "Министры обороны Японии и стран НАТО встретились во вторник в Брюсселе, чтобы "
     "обсудить киберзащиту и совместные учения.", _RU_FILL),
    ("/ru/bare.html", "cp1251", "text/html", "none", "ru", "Переговоры в Токио",
     "Представители Японии заявили, что переговоры продолжатся в следующем месяце в Токио, "
     "где стороны подпишут соглашение об обмене разведданными.", _RU_FILL),
    ("/ru/meta.html", "cp1251", "text/html", "meta", "ru", "Мнение экспертов",
     "Эксперты в Москве назвали сближение Японии и НАТО угрозой для безопасности в "
     "Азиатско-Тихоокеанском регионе.", _RU_FILL),
    ("/ja/header.html", "shift_jis", "text/html; charset=Shift_JIS", "header", "ja",
     "日本とＮＡＴＯが会談",
     "日本と北大西洋条約機構（ＮＡＴＯ）の防衛相は火曜日、ブリュッセルで会談し、"
     "サイバー防衛と共同訓練について協議した。", _JA_FILL),
    ("/ja/bare.html", "shift_jis", "text/html", "none", "ja", "来月東京で署名へ",
     "政府関係者によると、両者は来月東京で情報共有に関する新たな協定に署名する予定だという。",
     _JA_FILL),
    ("/ja/xml.html", "shift_jis", "application/xhtml+xml", "xml", "ja", "専門家の見方",
     "専門家は、インド太平洋地域における日本とＮＡＴＯの協力拡大が地域の安全保障に"
     "影響を与えると指摘した。", _JA_FILL),
    ("/ko/header.html", "euc-kr", "text/html; charset=EUC-KR", "header", "ko",
     "일본과 나토 회담",
     "일본과 북대서양조약기구(NATO) 국방장관들은 화요일 브뤼셀에서 만나 사이버 방어와 합동 "
     "훈련을 논의했다.", _KO_FILL),
    ("/ko/bare.html", "euc-kr", "text/html", "none", "ko", "다음 달 도쿄에서 서명",
     "정부 관계자들은 양측이 다음 달 도쿄에서 정보 공유에 관한 새로운 협정에 서명할 예정이라고 "
     "밝혔다.", _KO_FILL),
    ("/zh/header.html", "gb18030", "text/html; charset=GB18030", "header", "zh",
     "日本与北约会谈", "日本和北约国防部长星期二在布鲁塞尔会晤，讨论网络防御和联合演习问题。",
     _ZH_FILL),
    ("/zh/bare.html", "gb18030", "text/html", "none", "zh", "下月在东京签署",
     "官员表示，双方计划下个月在东京签署一项新的情报共享协议。", _ZH_FILL),
]


def encoded_page(codec: str, declared: str, lang: str, title: str, sentence: str,
                 filler: list[str]) -> bytes:
    head = f"<meta charset='{codec}'>" if declared == "meta" else ""
    html = article_html(title, [sentence, *filler], lang, head)
    if declared == "xml":
        html = (f"<?xml version='1.0' encoding='{codec}'?>"
                + html.replace("<!DOCTYPE html><html ",
                               "<html xmlns='http://www.w3.org/1999/xhtml' "))
    return html.encode(codec)


# Fault URLs on NEWS listed in its feed, beside the good articles.
FAULT_PATHS = [
    "/faults/stall-headers", "/faults/stall-body", "/faults/gone", "/faults/missing",
    "/faults/error-500", "/faults/busy-503", "/faults/rate-429-forever",
    "/faults/redirect-chain", "/faults/redirect-loop", "/faults/redirect-endless",
    "/faults/to-file", "/faults/to-ftp", "/faults/huge", "/faults/huge-declared",
    "/faults/gzip-bomb", "/faults/report.pdf", "/faults/photo.jpg", "/faults/empty.html",
    "/faults/truncated.html", "/faults/truncated-transfer", "/faults/no-text.html",
    "/faults/flaky-503", "/faults/rate-429", "/private/leak.html", "/drafts/draft.html",
]
# Listed too: tracking-parameter and fragment variants, and the same article under a
# second URL (AMP page with rel=canonical) and behind a redirect.
VARIANTS = ["/articles/good-1.html?utm_source=rss&utm_medium=feed",
            "/articles/good-1.html#comments", "/articles/good-1.html?utm_campaign=x#top"]
ALIASES = ["/amp/good-2.html", "/short/3"]
DOWN_ARTICLE = f"http://{DOWN}/articles/never.html"
BROKEN_FEEDS = {  # source id -> (feed path on FEEDS, reason it must be recorded with)
    "broken_malformed": ("/malformed.rss", "malformed XML"),
    "broken_truncated": ("/truncated.atom", "malformed XML"),
    "broken_html": ("/page.html", "not a feed: the document is an HTML page"),
    "broken_missing": ("/missing.rss", "HTTP 404"),
    "broken_empty": ("/empty.rss", "empty document"),
}


def rss(host: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{escape(p)}</title><link>{escape(urljoin(f'http://{host}', p))}"
                    "</link><pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate></item>"
                    for p in paths)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{host}</title><link>http://{host}/</link>{items}</channel></rss>"
            ).encode()


def atom(host: str, paths: list[str]) -> bytes:
    entries = "".join(f"<entry><title>{escape(p)}</title><link rel='alternate' "
                      f"href='http://{host}{escape(p)}'/><id>http://{host}{escape(p)}</id>"
                      "<updated>2026-03-02T09:00:00Z</updated></entry>" for p in paths)
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>{host}</title><id>http://{host}/</id>"
            f"<updated>2026-03-02T09:00:00Z</updated>{entries}</feed>").encode()


@dataclass
class Hit:
    host: str
    path: str
    t: float
    user_agent: str


class HostileWeb:
    """The hostile web on 127.0.0.1. Records every request (host, path with query, time,
    User-Agent), the bytes it managed to send per path, and the most requests in flight
    per host at once (a stalled request stops counting when the client hangs up)."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.sent: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._gzip_bomb = gzip.compress(b"<html><body><p>" + b"\0" * BIG, compresslevel=9)
        web = self

        class Handler(StampedHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                with web._lock:
                    web.hits.append(Hit(host, self.path, self.arrived(),
                                        self.headers.get(UA_SEEN, "")))
                    web._in_flight[host] += 1
                    web.max_in_flight[host] = max(web.max_in_flight[host],
                                                  web._in_flight[host])
                try:
                    web.route(self, host, self.path)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    pass  # the client hung up: that is what a size cap or timeout does
                finally:
                    with web._lock:
                        web._in_flight[host] -= 1

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients hanging up mid-reply are the point of this server

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileWeb:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def resolve_map(self) -> dict[str, str]:
        return {h: f"127.0.0.1:{self.port}" for h in (NEWS, INTL, FEEDS, DOWN)}

    def requests_to(self, host: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.host == host]

    def count(self, host: str, path: str) -> int:
        return sum(1 for h in self.requests_to(host) if h.path == path)

    def times(self, host: str, path: str) -> list[float]:
        return [h.t for h in self.requests_to(host) if h.path == path]

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.sent.clear()
            self.max_in_flight.clear()

    # -- routes ---------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes = b"",
              ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        with self._lock:
            self.sent[h.path] += len(body)

    def _stream(self, h: BaseHTTPRequestHandler, total: int) -> None:
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        sent = 0
        try:
            while sent < total:
                h.wfile.write(chunk)
                sent += len(chunk)
        finally:
            with self._lock:
                self.sent[h.path] += sent

    @staticmethod
    def _hold(h: BaseHTTPRequestHandler, seconds: float) -> None:
        """Stall up to ``seconds``, but stop as soon as the client hangs up, so a stalled
        request is "in flight" exactly as long as the client waits for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            readable, _, _ = select.select([h.connection], [], [], 0.05)
            if readable:
                try:
                    if not h.connection.recv(1, socket.MSG_PEEK):
                        raise ConnectionResetError("client hung up")
                except OSError as exc:
                    raise ConnectionResetError("client hung up") from exc

    def _nth(self, host: str, path: str) -> int:
        return self.count(host, path)

    def route(self, h: BaseHTTPRequestHandler, host: str, raw: str) -> None:
        path = raw.split("#", 1)[0]
        if host == NEWS:
            self._news(h, path)
        elif host == INTL:
            self._intl(h, path)
        elif host == FEEDS:
            self._feeds(h, path)
        elif host == DOWN:
            self._send(h, 503, b"maintenance", "text/plain")
        else:
            self._send(h, 404, b"unknown host", "text/plain")

    def _article(self, h: BaseHTTPRequestHandler, path: str, head: str = "") -> None:
        title, paras = GOOD_EN[path]
        self._send(h, 200, article_html(title, paras, head=head).encode("utf-8"))

    def _news(self, h: BaseHTTPRequestHandler, path: str) -> None:
        send = self._send
        canonical = f"<link rel='canonical' href='http://{NEWS}/articles/good-2.html'>"
        if path == "/robots.txt":
            send(h, 200, b"User-agent: *\nDisallow: /private/\nDisallow: /drafts/\n",
                 "text/plain")
        elif path == "/feed.xml":
            send(h, 200, rss(NEWS, [*GOOD_EN_FEED, *FAULT_PATHS, *VARIANTS, *ALIASES])
                 .replace(b"</channel>", f"<item><link>{DOWN_ARTICLE}</link></item></channel>"
                          .encode()), "application/rss+xml")
        elif path == "/articles/good-2.html":
            self._article(h, path, canonical)
        elif path == "/amp/good-2.html":
            title, paras = GOOD_EN["/articles/good-2.html"]
            send(h, 200, article_html(title, paras, head=canonical).encode("utf-8"))
        elif path == "/short/3":
            send(h, 301, headers={"Location": "/articles/good-3.html"})
        elif path in GOOD_EN and not path.startswith("/faults/"):
            if path in SLOW:
                self._hold(h, 0.3)  # slow pages overlap, so the concurrency cap is tested
            self._article(h, path)
        elif path == "/faults/stall-headers":
            self._hold(h, 3)
            send(h, 200, b"<html>too late</html>")
        elif path == "/faults/stall-body":
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.send_header("Content-Length", "5000")
            h.end_headers()
            h.wfile.write(b"<html><body><p>The first words arrive, then nothing")
            h.wfile.flush()
            self._hold(h, 3)
        elif path == "/faults/gone":
            send(h, 410, b"gone")
        elif path == "/faults/missing":
            send(h, 404, b"not found")
        elif path == "/faults/error-500":
            send(h, 500, b"internal error")
        elif path == "/faults/busy-503":
            send(h, 503, b"busy", headers={"Retry-After": "1"})
        elif path == "/faults/flaky-503":
            if self._nth(NEWS, path) == 1:
                send(h, 503, b"busy")
            else:
                self._article(h, path)
        elif path == "/faults/rate-429":
            if self._nth(NEWS, path) == 1:
                send(h, 429, b"slow down", headers={"Retry-After": "1"})
            else:
                self._article(h, path)
        elif path == "/faults/rate-429-forever":
            send(h, 429, b"slow down", headers={"Retry-After": "3600"})
        elif path == "/faults/redirect-chain":
            send(h, 302, headers={"Location": "/r/2"})
        elif path == "/r/2":
            send(h, 301, headers={"Location": f"http://{NEWS}/r/3"})
        elif path == "/r/3":
            send(h, 307, headers={"Location": "../articles/chain-end.html"})
        elif path == "/faults/redirect-loop":
            send(h, 302, headers={"Location": "/faults/redirect-loop-b"})
        elif path == "/faults/redirect-loop-b":
            send(h, 302, headers={"Location": "/faults/redirect-loop"})
        elif path == "/faults/redirect-endless":
            send(h, 302, headers={"Location": "/hop/1"})
        elif path.startswith("/hop/"):
            send(h, 302, headers={"Location": f"/hop/{int(path.rsplit('/', 1)[1]) + 1}"})
        elif path == "/faults/to-file":
            send(h, 302, headers={"Location": "file:///etc/passwd"})
        elif path == "/faults/to-ftp":
            send(h, 301, headers={"Location": "ftp://news.fault.test/pub/article.html"})
        elif path == "/faults/huge":
            h.send_response(200)  # no Content-Length: the body ends when the server closes
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.end_headers()
            self._stream(h, BIG)
        elif path == "/faults/huge-declared":
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(BIG))
            h.end_headers()
            self._stream(h, BIG)
        elif path == "/faults/gzip-bomb":
            send(h, 200, self._gzip_bomb, headers={"Content-Encoding": "gzip"})
        elif path == "/faults/report.pdf":
            send(h, 200, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n", "application/pdf")
        elif path == "/faults/photo.jpg":
            send(h, 200, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg")
        elif path == "/faults/empty.html":
            send(h, 200, b"")
        elif path == "/faults/truncated.html":
            title, paras = TRUNCATED
            page = article_html(title, [*paras, TRUNCATED_TAIL + "ed from the"])
            send(h, 200, page[:page.index(TRUNCATED_TAIL) + len(TRUNCATED_TAIL)]
                 .encode("utf-8"))
        elif path == "/faults/truncated-transfer":
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", "40000")
            h.end_headers()
            h.wfile.write(b"<html><body><article><p>Only the first bytes of a long")
        elif path == "/faults/no-text.html":
            send(h, 200, b"<!DOCTYPE html><html><head><title>Section index</title></head>"
                 b"<body><header><ul><li><a href='/'>Home</a></li><li><a href='/world'>"
                 b"World</a></li><li><a href='/asia'>Asia</a></li></ul></header><div "
                 b"class='cookie'>We use cookies to improve your experience.</div><footer>"
                 b"<p>&copy; 2026 Fault Test News</p></footer></body></html>")
        else:
            send(h, 404, b"no such page")

    def _intl(self, h: BaseHTTPRequestHandler, path: str) -> None:
        if path == "/robots.txt":
            self._send(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/atom.xml":
            self._send(h, 200, atom(INTL, [e[0] for e in ENCODED]), "application/atom+xml")
        else:
            for epath, codec, ctype, declared, lang, title, sentence, filler in ENCODED:
                if path == epath:
                    self._send(h, 200, encoded_page(codec, declared, lang, title, sentence,
                                                    filler), ctype)
                    return
            self._send(h, 404, b"no such page")

    def _feeds(self, h: BaseHTTPRequestHandler, path: str) -> None:
        # Broken beyond recovery: discovery keeps the good entries of a partly broken
        # feed (tests/test_discover.py), so these two hold none.
        if path == "/malformed.rss":
            self._send(h, 200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>x"
                       f"</title><item><link>http://{FEEDS}/b.html</item></channel></rss>"
                       .encode(), "application/rss+xml")
        elif path == "/truncated.atom":
            full = atom(FEEDS, ["/a.html", "/b.html", "/c.html"])
            self._send(h, 200, full[:full.index(b"/a.html")], "application/atom+xml")
        elif path == "/page.html":
            self._send(h, 200, article_html("Not a feed", ["This is a web page."]).encode())
        elif path == "/empty.rss":
            self._send(h, 200, b"", "application/rss+xml")
        else:
            self._send(h, 404, b"not found", "text/plain")


# The good English articles the feed lists (the chain end is reached only by redirect;
# the flaky and rate-limited ones are among FAULT_PATHS).
SLOW = {"/articles/good-5.html", "/articles/good-6.html"}
GOOD_EN_FEED = [p for p in GOOD_EN if p.startswith("/articles/good-")]
