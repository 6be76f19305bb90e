"""A local web that misbehaves on purpose: the fetcher is tested against real HTTP."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = (b"<html lang='en'><head><title>Ok</title></head><body><article><h1>Ok</h1>"
           b"<p>Japan and NATO met in Brussels on Tuesday to discuss cyber defence.</p>"
           b"</article></body></html>")


class FaultWeb:
    """ThreadingHTTPServer on 127.0.0.1 with per-path request counts and arrival times."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with web._lock:
                    web.counts[self.path] += 1
                    web.times.setdefault(self.path, []).append(time.monotonic())
                    n = web.counts[self.path]
                web.route(self, self.path, n)

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
            body = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)
            send(h, 200, body, headers={"Content-Encoding": "gzip"})
        elif path == "/stall":
            time.sleep(3)
            send(h, 200, ARTICLE)
        else:
            send(h, 404, b"no such path")
