"""A local virtual-host web server for the demo corpus.

One port serves every outlet: the folder is chosen by the request's Host header, so URLs
keep their fictional host names (``http://eastwire.news.test/...``) and clients only
need to map those names to ``127.0.0.1:<port>`` (see ``DemoWeb.resolve_map``).
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
}


def content_type_for(path: Path) -> str:
    """The Content-Type a real news site would send for this file."""
    name = path.name
    # Feeds are .xml files too; their type tells clients which parser to use.
    paged = path.parent.name == "page"
    if name == "feed.xml" or (paged and path.parent.parent.name == "feed"):
        return "application/rss+xml"
    if name == "atom.xml" or (paged and path.parent.parent.name == "atom"):
        return "application/atom+xml"
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    web: DemoWeb

    def process_request(self, request: Any, client_address: Any) -> None:
        self.web._opened()
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.web._closed()

    def handle_error(self, request: object, client_address: object) -> None:
        # Crawlers that time out or hang up mid-reply are normal, not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.1 keeps connections alive, as real sites do; every reply sets Content-Length.
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "blocwatch-demo/0.1"

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a crawl makes thousands of requests."""

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        web = self.server.web
        host = ""
        if self.path.lower().startswith(("http://", "https://")):
            # Absolute-form request targets (sent through proxies) carry the host themselves.
            target = urlsplit(self.path)
            host, path = target.hostname or "", target.path or "/"
        else:
            path = self.path.split("?", 1)[0].split("#", 1)[0] or "/"
        if not host:
            host = (self.headers.get("Host") or "").strip()
            if not host.endswith("]"):
                host = host.rsplit(":", 1)[0]
        host = host.lower().rstrip(".")
        web._count(host, path)
        status, body, ctype = web._lookup(host, path)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if status == 200:
            self.send_header("Cache-Control", "max-age=300")
        self.end_headers()
        if send_body:
            self.wfile.write(body)


class DemoWeb:
    """Serve a generated demo web (one folder per host) on 127.0.0.1.

    Use as a context manager, or call start() and stop(). Counts every request, so tests
    can check how many fetches a crawl made.
    """

    def __init__(self, web_dir: Path, port: int = 0) -> None:
        self.web_dir = Path(web_dir).resolve()
        if not self.web_dir.is_dir():
            raise FileNotFoundError(f"demo web directory not found: {self.web_dir}")
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._requests: list[tuple[str, str]] = []
        self._open = 0  # connections accepted and not yet closed
        self.hosts: list[str] = sorted(p.name for p in self.web_dir.iterdir() if p.is_dir())

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> DemoWeb:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._requested_port), _Handler)
        server.web = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={
            "poll_interval": 0.1}, name=f"DemoWeb:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- addressing ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoWeb is not running; call start() first")
        return int(self._server.server_address[1])

    def resolve_map(self) -> dict[str, str]:
        """Host name -> "127.0.0.1:<port>" for every outlet, for a resolving HTTP client."""
        return {host: f"127.0.0.1:{self.port}" for host in self.hosts}

    def url(self, host: str, path: str = "/") -> str:
        """The public-looking URL of a path on one demo host."""
        return f"http://{host}{path}"

    # -- counters -----------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(host, path) of every request so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def request_counter(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._requests)

    def reset_counts(self, settle_s: float = 30.0) -> None:
        """Forget the requests so far, once the connections open now have closed (up to
        ``settle_s``): a crawl that gave up on a request closes its connection, but on a
        busy machine the server may read that request only afterwards, and it belongs to
        the crawl before the reset, not to whatever runs next."""
        with self._lock:
            self._lock.wait_for(lambda: self._open == 0, timeout=settle_s)
            self._requests.clear()

    def _opened(self) -> None:
        with self._lock:
            self._open += 1

    def _closed(self) -> None:
        with self._lock:
            self._open -= 1
            self._lock.notify_all()

    def _count(self, host: str, path: str) -> None:
        with self._lock:
            self._requests.append((host, path))

    # -- files --------------------------------------------------------------------------
    def _lookup(self, host: str, raw_path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) for a request."""
        if host not in self.hosts:
            return 404, b"unknown host\n", "text/plain; charset=utf-8"
        path = unquote(raw_path)
        parts = [p for p in path.split("/") if p]
        if any(p in ("..", ".") or "\\" in p or "\x00" in p for p in parts):
            return 400, b"bad path\n", "text/plain; charset=utf-8"
        root = (self.web_dir / host).resolve()
        file = root.joinpath(*parts) if parts else root
        if file.is_dir():
            file = file / "index.html"
        try:
            resolved = file.resolve()
        except OSError:
            return 404, b"not found\n", "text/plain; charset=utf-8"
        # Belt and braces against symlinks pointing out of the host folder.
        if not resolved.is_relative_to(root) or not resolved.is_file():
            return 404, b"not found\n", "text/plain; charset=utf-8"
        return 200, resolved.read_bytes(), content_type_for(resolved)


DEFAULT_PORT = 8765
_LISTENING = re.compile(r" on 127\.0\.0\.1:(\d+)$")


@contextmanager
def served_apart(web_dir: Path, port: int = 0) -> Iterator[str]:
    """Serve a demo web from a child process (``python -m blocwatch.demo.server``) and
    yield its address, "127.0.0.1:<port>" (``port`` 0: any free one).

    A real site's server does not share the crawler's interpreter: in the same process, a
    flow busy with CPU work (keywords, loading) holds the interpreter lock and the server's
    threads answer late enough to hit the crawler's deadlines on a loaded machine."""
    proc = subprocess.Popen([sys.executable, "-m", "blocwatch.demo.server", str(web_dir),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        # The first line is printed once the socket listens; the few after it fit the pipe.
        first = proc.stdout.readline().strip()
        listening = _LISTENING.search(first)
        if listening is None:
            raise RuntimeError(f"the demo web did not start: {first or proc.wait()}")
        yield f"127.0.0.1:{listening.group(1)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(web_dir: Path, port: int = DEFAULT_PORT) -> int:
    """Serve a generated demo web on 127.0.0.1:``port`` until Ctrl-C or SIGTERM, saying
    how to reach it. A flow reads it with ``demo_web: 127.0.0.1:<port>`` (every outlet's
    host mapped to this port, as ``curl --resolve`` does)."""
    try:
        web = DemoWeb(web_dir, port=port).start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} (pass another "
              "--port, and the same demo_web to the flows)", file=sys.stderr, flush=True)
        return 1
    # A supervisor's SIGTERM (a test, systemd) ends the wait like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"serving {len(web.hosts)} demo hosts from {web.web_dir} on 127.0.0.1:{web.port}",
          flush=True)
    for host in web.hosts:
        print(f"  http://{host}/   try: curl -H 'Host: {host}' http://127.0.0.1:{web.port}/",
              flush=True)
    print(f"flows read it with the parameter demo_web: 127.0.0.1:{web.port} "
          "(docs/deployments.md, \"The demo on a schedule\"); Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blocwatch.demo.server",
                                     description="Serve a generated demo web locally.")
    parser.add_argument("web_dir", type=Path, help="the web/ folder of a generated corpus "
                        "(data/demo/web after `blocwatch demo`)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    return serve_until_stopped(args.web_dir, args.port)


if __name__ == "__main__":
    sys.exit(main())
