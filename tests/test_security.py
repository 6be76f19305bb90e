"""What blocwatch lets in: the fetcher's address fence (SSRF), the read-only warehouse
connections and SQL guard, and the dashboard's handling of hostile URLs and article HTML.

The fetcher tests use tests/faultweb.py on 127.0.0.1. A host name standing for a public
site is resolved by an injected resolver to a public address (example.com's), which the
fetcher's resolve map then sends to the local server: the fetcher believes it talks to
the internet, and no packet leaves the machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from blocwatch.config import Politeness, load_sources
from blocwatch.records import FetchResult
from blocwatch.stages.fetch import Fetcher, is_public_address
from tests.faultweb import FaultWeb
from warehouse.db import connect_reader, connect_writer
from warehouse.sqlguard import SqlRefused, check_sql, run_readonly

REPO = Path(__file__).resolve().parents[1]
UA = "blocwatch-test/0.1 (+https://example.test/contact)"
POLITE = Politeness(min_delay_s=0, timeout_s=2, retries=0)
PUBLIC_IP = "93.184.215.14"  # example.com: public, and never contacted here


@pytest.fixture(scope="module")
def web() -> Iterator[FaultWeb]:
    with FaultWeb() as w:
        yield w


def fetch(url: str, allow_private: bool = False, web: FaultWeb | None = None,
          dns: dict[str, Callable[[], list[str]]] | None = None,
          politeness: Politeness = POLITE) -> FetchResult:
    """Fetch with the address fence up; names in ``dns`` resolve through it, and the
    public address stands for the local server ``web``."""
    async def resolver(host: str, port: int) -> list[str]:
        if dns and host in dns:
            return dns[host]()
        loop = asyncio.get_running_loop()
        return [i[4][0] for i in await loop.getaddrinfo(host, port)]

    async def run() -> FetchResult:
        resolve = {PUBLIC_IP: f"127.0.0.1:{web.port}"} if web else None
        async with Fetcher(UA, resolve, resolver=resolver) as f:
            return await f.fetch(url, politeness, allow_private)
    return asyncio.run(run())


# --- the fetcher: schemes and addresses -------------------------------------------------

@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.com/file.txt", "gopher://example.com:70/1",
    "data:text/html,<script>alert(1)</script>", "javascript:alert(1)",
    "//example.com/no-scheme", "http:///no-host", "http://[::1/broken",
])
def test_non_http_urls_are_refused(url: str) -> None:
    r = fetch(url)
    assert r.outcome == "bad_url", (url, r.error)
    assert r.attempts == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost/", "http://localhost./", "http://127.1/",
    "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://0/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",          # AWS, GCP, Azure metadata
    "http://[fd00:ec2::254]/latest/meta-data/",          # AWS metadata over IPv6
    "http://100.100.100.200/latest/meta-data/",          # Alibaba Cloud metadata
    "http://192.0.0.192/",                               # Oracle Cloud metadata
    "http://[fe80::1]/", "http://224.0.0.1/", "http://255.255.255.255/",
    "http://user:pass@127.0.0.1/", "http://example.com@127.0.0.1/",
])
def test_loopback_private_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    r = fetch(url)
    assert r.attempts == 0  # no request was sent
    if "0177" in url:  # octal notation: httpx will not even parse it
        assert r.outcome == "bad_url", (url, r.error)
    else:
        assert r.outcome == "blocked" and "non-public address" in r.error, (url, r.error)


@pytest.mark.parametrize(("ip", "public"), [
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.31.0.1", False), ("192.168.0.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("100.100.100.200", False),
    ("192.0.0.192", False), ("0.0.0.0", False), ("::", False), ("::1", False),
    ("fe80::1%eth0", False), ("fd00:ec2::254", False), ("::ffff:10.0.0.1", False),
    ("2002:7f00:1::1", False),            # 6to4 wrapping 127.0.0.1
    ("64:ff9b::a9fe:a9fe", False),        # NAT64 wrapping 169.254.169.254
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo: not global unicast
    (PUBLIC_IP, True), ("8.8.8.8", True), ("2606:4700:4700::1111", True),
    ("64:ff9b::808:808", True),           # NAT64 wrapping 8.8.8.8
])
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


def test_every_private_range_python_knows_is_refused() -> None:
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
                "169.254.0.0/16", "fc00::/7", "fe80::/10", "100.64.0.0/10"):
        n = ipaddress.ip_network(net)
        for addr in (n[1], n[-2]):
            assert not is_public_address(str(addr)), addr


@pytest.mark.parametrize(("path", "where"), [
    ("/to-loopback", "127.0.0.1"), ("/to-localhost", "127.0.0.1"),
    ("/to-metadata", "169.254.169.254"), ("/to-ipv6-mapped", "::ffff:127.0.0.1"),
])
def test_redirect_from_a_public_site_to_a_private_address_is_refused(
        web: FaultWeb, path: str, where: str) -> None:
    before = web.counts["/ok.html"]
    r = fetch(f"http://public.test:{web.port}{path}", web=web,
              dns={"public.test": lambda: [PUBLIC_IP]})
    assert web.counts[path] >= 1  # the public hop was fetched...
    assert r.outcome == "blocked" and f"non-public address {where}" in r.error, r.error
    assert web.counts["/ok.html"] == before  # ...the private one never


def test_dns_answer_with_a_private_address_is_refused(web: FaultWeb) -> None:
    r = fetch(f"http://mixed.test:{web.port}/ok.html", web=web,
              dns={"mixed.test": lambda: [PUBLIC_IP, "10.0.0.7"]})
    assert r.outcome == "blocked" and "non-public address 10.0.0.7" in r.error


def test_connection_is_pinned_to_the_checked_address(web: FaultWeb) -> None:
    """DNS rebinding: the name resolves to a public address when checked and to loopback
    right after. The request must go to the address that was checked, under the name."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])
    dns = {"rebind.test": lambda: next(answers)}
    quiet = Politeness(min_delay_s=0, timeout_s=2, retries=0, obey_robots=False)
    n = web.counts["/ok.html"]

    async def run() -> tuple[FetchResult, FetchResult]:
        async def resolver(host: str, port: int) -> list[str]:
            return dns[host]()
        async with Fetcher(UA, {PUBLIC_IP: f"127.0.0.1:{web.port}"},
                           resolver=resolver) as f:
            url = f"http://rebind.test:{web.port}/ok.html"
            return await f.fetch(url, quiet), await f.fetch(url, quiet)
    first, second = asyncio.run(run())
    # rebind.test has no real DNS: the first fetch can only have reached the server
    # through the pinned, checked address; the Host header keeps the name.
    assert first.ok, first.error
    assert web.request_headers["/ok.html"][n]["Host"] == f"rebind.test:{web.port}"
    assert second.outcome == "blocked" and "non-public address 127.0.0.1" in second.error


def test_mapped_local_hosts_need_the_allow_list(web: FaultWeb) -> None:
    async def run(allow: bool) -> FetchResult:
        async with Fetcher(UA, {"outlet.test": f"127.0.0.1:{web.port}"}) as f:
            return await f.fetch("http://outlet.test/ok.html", POLITE, allow)
    refused = asyncio.run(run(False))
    assert refused.outcome == "blocked" and "mapped to a local address" in refused.error
    assert asyncio.run(run(True)).ok  # the demo's outlets are allow-listed


def test_only_the_demo_is_allow_listed() -> None:
    shipped = load_sources(REPO / "sources.yaml")
    assert not [s.id for s in shipped.sources if s.allow_private_network]
    from blocwatch.demo.corpus import _sources_yaml

    assert _sources_yaml().count("allow_private_network: true") == _sources_yaml().count(
        "  - id: ")


# --- the warehouse: read-only connections and the SQL guard -----------------------------

@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small published-style file with the real schema and a CSV beside it."""
    root = tmp_path_factory.mktemp("sqlsec")
    db = root / "snapshot.duckdb"
    con = connect_writer(db)
    con.execute("INSERT INTO sources (source_id, name, country, language, kind) "
                "VALUES ('s', 'S', 'JP', 'en', 'news')")
    con.close()
    (root / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    return db


ATTACKS = [
    "INSERT INTO sources VALUES ('x', 'X', NULL, NULL, NULL, NULL, NULL)",
    "UPDATE sources SET name = 'pwned'", "DELETE FROM sources", "DROP TABLE sources",
    "CREATE TABLE t (x INT)", "ALTER TABLE sources ADD COLUMN x INT",
    "ATTACH 'DIR/other.duckdb' AS o", "DETACH snapshot", "COPY sources TO 'DIR/out.csv'",
    "EXPORT DATABASE 'DIR/export'", "INSTALL httpfs", "LOAD httpfs",
    "SET enable_external_access = true", "RESET enable_external_access",
    "PRAGMA enable_profiling", "CHECKPOINT", "VACUUM", "CALL pragma_version()",
    "SELECT 1; DROP TABLE sources", "SELECT * FROM read_csv('DIR/secret.csv')",
    "SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM 'DIR/secret.csv'",
    "SELECT * FROM sources JOIN 'DIR/secret.csv' ON true",
    "SELECT * FROM sources, 'DIR/secret.csv'", 'SELECT * FROM "DIR/secret.csv"',
    "SELECT * FROM read_csv/**/('DIR/secret.csv')", "SELECT * FROM glob('DIR/*')",
    'SELECT * FROM "read_csv"(\'DIR/secret.csv\')', "SELECT * FROM query_table('DIR/x.csv')",
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')",
    "SELECT * FROM 'https://example.com/data.csv'", "SELECT * FROM parquet_scan('x.parquet')",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO 'DIR/out2.csv'",
    "EXPLAIN ANALYZE INSERT INTO sources SELECT * FROM sources",
    "WITH x AS (SELECT 1) INSERT INTO sources SELECT * FROM sources",
    # A PIVOT without IN is a MULTI statement to DuckDB; one that writes is still refused.
    "CREATE TABLE t AS PIVOT sources ON kind USING count(*)",
    "INSERT INTO sources PIVOT sources ON kind USING count(*)",
]


@pytest.mark.parametrize("sql", ATTACKS)
def test_sql_surface_refuses_writes_and_outside_access(snapshot: Path, sql: str) -> None:
    """Every attack is refused, by the guard with a clear message or, behind it, by the
    read-only connection with external access disabled; the file is unchanged."""
    sql = sql.replace("DIR", str(snapshot.parent))
    before = snapshot.read_bytes()
    with pytest.raises((SqlRefused, duckdb.Error)):
        run_readonly(snapshot, sql)
    with pytest.raises(SqlRefused):
        check_sql(sql)  # the guard itself names the problem, before DuckDB sees it
    assert snapshot.read_bytes() == before
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["secret.csv",
                                                                 "snapshot.duckdb"]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM sources", "SELECT count(*) AS \"articles/day\" FROM articles",
    "SELECT title FROM articles WHERE title LIKE '%read_csv(%' OR title LIKE '%--%'",
    "WITH t AS (SELECT 1 AS x) SELECT * FROM t", "EXPLAIN SELECT 1", "SUMMARIZE sources",
    "DESCRIBE sources", "SHOW TABLES", "SELECT 1; SELECT 2",
    "PIVOT sources ON kind USING count(*)",
    "SELECT * FROM (PIVOT sources ON kind USING count(*) GROUP BY country)",
])
def test_sql_guard_lets_queries_through(snapshot: Path, sql: str) -> None:
    check_sql(sql)
    run_readonly(snapshot, sql)


@pytest.mark.parametrize("sql", [
    "INSERT INTO sources VALUES ('x', 'X', NULL, NULL, NULL, NULL, NULL)",
    "SELECT * FROM read_csv('DIR/secret.csv')", "COPY sources TO 'DIR/out.csv'",
    "ATTACH 'DIR/other.duckdb' AS o", "SET enable_external_access = true",
    "INSTALL httpfs", "SELECT * FROM 'DIR/secret.csv'",
])
def test_reader_connection_is_read_only_without_external_access(snapshot: Path,
                                                                sql: str) -> None:
    """The fence behind the guard: what the dashboard and `blocwatch sql` open refuses
    these by itself, guard or no guard."""
    con = connect_reader(snapshot)
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql.replace("DIR", str(snapshot.parent)))
        assert con.execute("SELECT current_setting('enable_external_access')"
                           ).fetchone()[0] is False
    finally:
        con.close()


# --- the dashboard: hostile article content, hostile URLs -------------------------------

VIEWS = REPO / "dashboard" / "views"
PAGES = sorted(p.stem for p in VIEWS.glob("*.py"))
# Markup an article page may carry; none of it may reach the browser as markup.
SCRIPT = "<script>alert('xss')</script>"
IMG = "<img src=x onerror=alert('xss')>"
HOSTILE_TITLE = f"Japan and NATO {SCRIPT}{IMG} <b>bold</b>"
HOSTILE_TEXT = (f"Japan and NATO met in Brussels. {SCRIPT} The talks {IMG} went on. "
                "<a href=\"javascript:alert('xss')\">click</a> NATO said more. "
                "<iframe src=\"http://evil.test/\"></iframe> Japan agreed.")
HOSTILE_TAGS = {"script", "img", "iframe", "b"}
# What an attacker puts in the dashboard's URL: SQL injection, markup, path tricks.
INJECTIONS = [
    "japan') OR 1=1; DROP TABLE articles; --", "x' UNION SELECT password FROM users --",
    "'; COPY articles TO '/tmp/pwned.csv'; --", "nato\"; ATTACH '/tmp/x.duckdb'; --",
    f"{SCRIPT}", "../../etc/passwd", "2026-01-01' OR '1'='1", "%27%20OR%201%3D1",
    "1; SELECT * FROM read_csv('/etc/passwd')",
]


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published warehouse, loaded through the real load path, whose article title,
    text, author, URL and outlet name are hostile markup (the web can put anything in a
    page, and an operator anything in sources.yaml)."""
    from datetime import UTC, date, datetime

    from blocwatch.records import ArticleRecord
    from blocwatch.stages.extract import content_hash
    from blocwatch.taxonomy import load_taxonomy
    from warehouse.load import finish_run, load_batch, start_run, sync_reference
    from warehouse.publish import publish

    root = tmp_path_factory.mktemp("hostile-dashboard")
    data = root / "data"
    data.mkdir()
    sources = root / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: evil\n    name: \"Evil <script>alert('outlet')</script> News\"\n"
        "    homepage: http://evil.test/\n    country: JP\n    language: en\n"
        "    urls: [http://evil.test/a]\n", encoding="utf-8")
    articles = []
    for i, url in enumerate(["http://evil.test/a?<script>alert(1)</script>",
                             "javascript:alert('xss')"], 1):
        text = HOSTILE_TEXT + f" Article {i}."
        articles.append(ArticleRecord(
            url=url, discovered_url=url, fetched_url=url, source_id="evil",
            title=HOSTILE_TITLE, author=f"<a href=\"javascript:alert('author')\">{IMG}</a>",
            published=date(2026, 3, i), date_source="page", language="en", sitename=SCRIPT,
            text=text, word_count=len(text.split()), content_hash=content_hash(text),
            fetched_at=datetime(2026, 3, i, tzinfo=UTC),
            mentions=[("japan", 2, 1, True, 0), ("nato", 2, 1, True, 9)],
            co_mentions=[("japan", "nato", 1)], keywords=[(SCRIPT, 2, 0.1), ("talks", 1, 0.05)]))
    con = connect_writer(data / "work.duckdb")
    try:
        sync_reference(con, load_sources(sources), load_taxonomy(REPO / "taxonomy.yaml"))
        run_id = start_run(con, "ingest")
        load_batch(con, run_id, articles, [], {})
        finish_run(con, run_id, "completed", {"loaded": len(articles)}, 0.1)
        publish(con, data / "work.duckdb", data / "blocwatch.duckdb")
    finally:
        con.close()
    return data


class RecordingCursor:
    """Stands in for the dashboard's DuckDB cursor and records every statement it runs."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, log: list[tuple[str, object]]) -> None:
        self._cur, self._log = cur, log

    def execute(self, query: object, *args: object) -> object:
        self._log.append((str(getattr(query, "query", query)), args[0] if args else None))
        return self._cur.execute(query, *args)

    def sql(self, query: str, *args: object) -> object:
        self._log.append((str(query), args[0] if args else None))
        return self._cur.sql(query, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self._cur, name)


@pytest.fixture()
def dashboard_env(hostile_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The dashboard pointed at the hostile warehouse, with empty caches (results cached
    by an earlier test would hide the queries this one makes)."""
    import streamlit as st

    monkeypatch.setenv("BLOCWATCH_DATA", str(hostile_data))
    st.cache_data.clear()
    yield hostile_data
    st.cache_data.clear()


@pytest.fixture()
def recorded_sql(dashboard_env: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> list[tuple[str, object]]:
    """Every statement (SQL text, parameters) the dashboard sends to DuckDB meanwhile."""
    from dashboard import data

    log: list[tuple[str, object]] = []
    real = data._connection

    class Connection:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self._con = con

        def cursor(self) -> RecordingCursor:
            return RecordingCursor(self._con.cursor(), log)

        def __getattr__(self, name: str) -> object:
            return getattr(self._con, name)

    monkeypatch.setattr(data, "_connection", lambda snap: Connection(real(snap)))
    return log


def run_page(page: str, params: dict[str, str]) -> object:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])
    return at


def known_statements() -> set[str]:
    """The dashboard's query files, and the constant statements (no values in them) of the
    warehouse's read side that the query lines and the Articles search use."""
    from dashboard import queries
    from warehouse.search import LANGUAGES_SQL
    from warehouse.textindex import STATE_SQL
    from warehouse.topics import ALIASES_SQL, ENTITIES_SQL

    names = [p.stem for p in (REPO / "dashboard" / "queries").glob("*.sql")
             if not p.stem.startswith("_")]
    return {queries.sql(n) for n in names} | {"SET TimeZone = 'UTC'", LANGUAGES_SQL,
                                               ALIASES_SQL, ENTITIES_SQL, STATE_SQL}


class TagCollector(HTMLParser):
    """The elements and attributes a browser would build from an HTML string."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def html_rendered(at: object) -> list[str]:
    """Everything on the page the browser would interpret as HTML."""
    out = [e.proto.body for e in at.get("html")]
    out += [e.value for e in at.markdown if e.proto.allow_html]
    out += [e.proto.srcdoc for e in at.get("iframe")]
    return out


@pytest.mark.parametrize("page", PAGES)
def test_dashboard_filters_reach_sql_only_as_bound_parameters(
        page: str, hostile_data: Path, recorded_sql: list[tuple[str, object]]) -> None:
    """Injection strings in every query parameter a page reads: the page still works,
    every statement DuckDB receives is one of the dashboard's constant query files (so
    values can only travel as bound parameters), and the warehouse is unchanged."""
    before = (hostile_data / "blocwatch.duckdb").read_bytes()
    params = {k: INJECTIONS[i % len(INJECTIONS)] for i, k in enumerate(
        ["entities", "from", "to", "outlets", "countries", "languages", "q", "article",
         "period", "split", "measure", "match", "level", "top", "rolling", "entity",
         "window", "term", "runs"])}
    # Each injection through the articles page's search box (read by the query language,
    # searched in the full-text index); on the other pages a few rounds, each parameter
    # carrying a different injection each time.
    rounds = INJECTIONS if page == "articles" else INJECTIONS[:3]
    outcomes = []
    for r, value in enumerate(rounds):
        shifted = {k: INJECTIONS[(INJECTIONS.index(v) + r) % len(INJECTIONS)]
                   for k, v in params.items()}
        at = run_page(page, {**shifted, "q": value, "entities": f"japan,{value}"})
        outcomes.append([e.value for e in at.error])  # type: ignore[attr-defined]
    assert recorded_sql, "the page ran no query"
    foreign = [sql for sql, _ in recorded_sql if sql not in known_statements()]
    assert foreign == [], sorted(set(foreign))
    if page == "articles":
        # A search either could not be read (its message shown) or was searched in the
        # index: both happened, and the text never reached DuckDB, not even as a value.
        assert ["The search cannot be read:"] in outcomes and [] in outcomes, outcomes
        bound = [str(params) for _, params in recorded_sql]
        for value in INJECTIONS:
            assert not any(repr(value) in b for b in bound), value
    assert (hostile_data / "blocwatch.duckdb").read_bytes() == before
    assert not Path("/tmp/pwned.csv").exists()


def test_dashboard_connection_is_read_only_without_external_access(
        hostile_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import data

    monkeypatch.setenv("BLOCWATCH_DATA", str(hostile_data))
    snap = data.snapshot()
    assert snap is not None
    files = sorted(p.name for p in hostile_data.iterdir())
    assert "blocwatch.duckdb" in files
    cur = data._connection(snap).cursor()
    try:
        assert cur.execute("SELECT current_setting('enable_external_access')"
                           ).fetchone()[0] is False
        for sql in ("INSERT INTO sources VALUES ('x', 'x', NULL, NULL, NULL, NULL, NULL)",
                    "CREATE TABLE t AS SELECT 1", "SET enable_external_access = true",
                    "SELECT * FROM read_text('/etc/passwd')",
                    f"COPY articles TO '{hostile_data}/out.csv'",
                    f"ATTACH '{hostile_data}/x.duckdb' AS x"):
            with pytest.raises(duckdb.Error):
                cur.execute(sql)
    finally:
        cur.close()
    # Nothing was written beside the warehouse (no out.csv, no x.duckdb).
    assert sorted(p.name for p in hostile_data.iterdir()) == files


@pytest.mark.parametrize("sql", [a for a in ATTACKS if "DIR" not in a][:12] + [
    "SELECT * FROM read_text('/etc/passwd')", "COPY articles TO '/tmp/pwned.csv'"])
def test_sql_page_refuses_writes_and_outside_access(sql: str, hostile_data: Path,
                                                    dashboard_env: Path) -> None:
    before = (hostile_data / "blocwatch.duckdb").read_bytes()
    at = run_page("sql", {})
    at.text_area(key="sql_text").input(sql).run()
    at.button(key="sql_go").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and ("refused" in errors[0] or "DuckDB" in errors[0]), errors
    assert not [c.value for c in at.caption if c.value.endswith(" rows")]  # no result
    assert (hostile_data / "blocwatch.duckdb").read_bytes() == before
    assert not Path("/tmp/pwned.csv").exists()


@pytest.mark.parametrize(("page", "params"), [
    ("articles", {"article": "1"}), ("articles", {"article": "2", "q": "NATO"}),
    ("articles", {"q": "<script>"}), ("keywords", {}), ("trends", {}), ("compare", {}),
    ("co_mentions", {}), ("sources_runs", {}),
])
def test_article_html_is_never_rendered_as_html(page: str, params: dict[str, str],
                                                hostile_data: Path,
                                                dashboard_env: Path) -> None:
    at = run_page(page, {"entities": "japan,nato", **params})
    rendered = "\n".join(html_rendered(at))
    parser = TagCollector()
    parser.feed(rendered)
    for tag, attrs in parser.tags:
        assert tag not in HOSTILE_TAGS, (page, tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (page, tag, attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                assert attrs[name].lower().startswith(("http://", "https://")), (page, attrs)
    if page == "articles" and "article" in params:
        # The article is shown, escaped: its text is there as text.
        assert "&lt;script&gt;alert(" in rendered
        assert "Japan" in rendered
    # Links are http(s) only: a stored javascript: URL is no link anywhere.
    for df in at.dataframe:
        value = df.value
        if "url" in getattr(value, "columns", []):
            assert not value["url"].astype(str).str.contains("javascript:").any()


def test_sql_page_still_runs_queries(dashboard_env: Path) -> None:
    """The control for the refusals above: a query runs and shows its rows."""
    at = run_page("sql", {})
    at.text_area(key="sql_text").input("SELECT title FROM articles").run()
    at.button(key="sql_go").click().run()
    assert not at.error and [c.value for c in at.caption if c.value.endswith(" rows")]
