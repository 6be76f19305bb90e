"""The demo web server: virtual hosts by Host header, safe static files, request counts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from blocwatch.demo.server import DemoWeb


@pytest.fixture()
def web_dir(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    a = root / "alpha.news.test"
    b = root / "beta.news.test"
    for d in (a / "feed" / "page", a / "2026" / "01" / "02", a / "atom" / "page",
              a / "sitemaps", b):
        d.mkdir(parents=True)
    (a / "index.html").write_text("<html>alpha home</html>", encoding="utf-8")
    (a / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    (a / "feed.xml").write_text("<rss/>", encoding="utf-8")
    (a / "feed" / "page" / "2.xml").write_text("<rss>2</rss>", encoding="utf-8")
    (a / "atom.xml").write_text("<feed/>", encoding="utf-8")
    (a / "atom" / "page" / "2.xml").write_text("<feed>2</feed>", encoding="utf-8")
    (a / "sitemap.xml").write_text("<sitemapindex/>", encoding="utf-8")
    (a / "sitemaps" / "2026-01.xml").write_text("<urlset/>", encoding="utf-8")
    (a / "2026" / "01" / "02" / "story.html").write_text("<p>Ünïcode story</p>",
                                                         encoding="utf-8")
    (b / "index.html").write_text("<html>beta home</html>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    return root


@pytest.fixture()
def web(web_dir: Path) -> Iterator[DemoWeb]:
    with DemoWeb(web_dir) as server:
        yield server


def get(web: DemoWeb, host: str, path: str, method: str = "GET") -> httpx.Response:
    return httpx.request(method, f"http://127.0.0.1:{web.port}{path}",
                         headers={"Host": host}, timeout=5)


def raw_request(web: DemoWeb, request_line: str, host: str = "alpha.news.test") -> bytes:
    """Send a request byte for byte: httpx would normalise away the paths under test."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
        s.sendall(f"{request_line}\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_serves_by_host_header(web: DemoWeb) -> None:
    assert web.hosts == ["alpha.news.test", "beta.news.test"]
    assert get(web, "alpha.news.test", "/").text == "<html>alpha home</html>"
    assert get(web, "beta.news.test", "/").text == "<html>beta home</html>"
    # The port in the Host header and letter case do not matter.
    assert get(web, f"ALPHA.news.test:{web.port}", "/index.html").status_code == 200
    story = get(web, "alpha.news.test", "/2026/01/02/story.html?utm=x")
    assert story.status_code == 200 and story.text == "<p>Ünïcode story</p>"


def test_resolve_map_routes_a_client_to_the_server(web: DemoWeb) -> None:
    mapping = web.resolve_map()
    assert mapping == {h: f"127.0.0.1:{web.port}" for h in web.hosts}

    class Resolving(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            host, _, port = mapping[request.url.host].rpartition(":")
            request.url = request.url.copy_with(host=host, port=int(port))
            return super().handle_request(request)

    with httpx.Client(transport=Resolving(), timeout=5) as client:
        assert client.get("http://beta.news.test/").text == "<html>beta home</html>"


def test_unknown_host_and_missing_path_are_404(web: DemoWeb) -> None:
    assert get(web, "gamma.news.test", "/").status_code == 404
    assert get(web, "127.0.0.1", "/").status_code == 404
    assert get(web, "alpha.news.test", "/nope.html").status_code == 404
    assert get(web, "alpha.news.test", "/2026/01/02/").status_code == 404
    assert get(web, "beta.news.test", "/robots.txt").status_code == 404


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/../../secret.txt", "/%2e%2e/secret.txt", "/2026/%2E%2E/../../secret.txt",
    "/..%2fsecret.txt", "/..%5csecret.txt",
])
def test_rejects_traversal(web: DemoWeb, target: str) -> None:
    reply = raw_request(web, f"GET {target} HTTP/1.1")
    status = int(reply.split(b" ", 2)[1])
    assert status in (400, 404)
    assert b"TOP SECRET" not in reply


def test_symlink_out_of_the_host_folder_is_not_followed(web_dir: Path, tmp_path: Path) -> None:
    link = web_dir / "alpha.news.test" / "leak.txt"
    try:
        link.symlink_to(tmp_path / "secret.txt")
    except OSError:
        pytest.skip("symlinks not supported here")
    with DemoWeb(web_dir) as web:
        response = get(web, "alpha.news.test", "/leak.txt")
    assert response.status_code == 404 and "SECRET" not in response.text


@pytest.mark.parametrize(("path", "ctype"), [
    ("/", "text/html; charset=utf-8"),
    ("/2026/01/02/story.html", "text/html; charset=utf-8"),
    ("/robots.txt", "text/plain; charset=utf-8"),
    ("/feed.xml", "application/rss+xml"),
    ("/feed/page/2.xml", "application/rss+xml"),
    ("/atom.xml", "application/atom+xml"),
    ("/atom/page/2.xml", "application/atom+xml"),
    ("/sitemap.xml", "application/xml"),
    ("/sitemaps/2026-01.xml", "application/xml"),
])
def test_content_types(web: DemoWeb, path: str, ctype: str) -> None:
    response = get(web, "alpha.news.test", path)
    assert response.status_code == 200
    assert response.headers["content-type"] == ctype
    assert int(response.headers["content-length"]) == len(response.content)


def test_head_has_headers_but_no_body(web: DemoWeb) -> None:
    head = get(web, "alpha.news.test", "/2026/01/02/story.html", method="HEAD")
    full = get(web, "alpha.news.test", "/2026/01/02/story.html")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(full.content))


def test_counts_requests(web: DemoWeb) -> None:
    assert web.request_count == 0
    get(web, "alpha.news.test", "/robots.txt")
    get(web, "beta.news.test", "/")
    get(web, "gamma.news.test", "/x")
    assert web.request_count == 3
    assert web.requests == [("alpha.news.test", "/robots.txt"), ("beta.news.test", "/"),
                            ("gamma.news.test", "/x")]
    web.reset_counts()
    assert web.request_count == 0 and web.requests == []

    # Concurrent clients are all counted (the counter is shared between handler threads).
    def fetch() -> None:
        with httpx.Client(timeout=5) as client:
            for _ in range(10):
                url = f"http://127.0.0.1:{web.port}/feed.xml"
                assert client.get(url, headers={"Host": "alpha.news.test"}).status_code == 200

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert web.request_count == 80
    assert web.request_counter()[("alpha.news.test", "/feed.xml")] == 80


def test_absolute_form_request_target(web: DemoWeb) -> None:
    reply = raw_request(web, "GET http://beta.news.test/ HTTP/1.1", host="ignored.test")
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"beta home</html>")


def test_quiet_and_restartable(web_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    web = DemoWeb(web_dir, port=0)
    with pytest.raises(RuntimeError):
        _ = web.port
    web.start()
    port = web.port
    get(web, "alpha.news.test", "/")
    get(web, "alpha.news.test", "/missing")
    web.stop()
    web.stop()  # idempotent
    assert capfd.readouterr().err == ""
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": "alpha.news.test"}, timeout=2)


def test_missing_web_dir(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        DemoWeb(tmp_path / "absent")


def test_serves_a_generated_corpus(tmp_path: Path) -> None:
    from blocwatch.demo.corpus import generate
    from blocwatch.taxonomy import load_taxonomy

    ledger = generate(tmp_path, load_taxonomy(Path(__file__).resolve().parents[1]
                                              / "taxonomy.yaml"), seed=9, n_articles=60)
    with DemoWeb(tmp_path / "web") as web:
        assert len(web.hosts) >= 5
        for row in ledger["articles"][:10]:
            host, path = row["url"].split("/", 3)[2], "/" + row["url"].split("/", 3)[3]
            response = get(web, host, path)
            assert response.status_code == 200
            assert row["title"] in response.text
        assert web.request_count == 10
