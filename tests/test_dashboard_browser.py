"""The real `blocwatch dashboard` command in Debian's chromium (Playwright, no browser
download): every page renders without a Streamlit exception, Trends draws a Plotly chart,
a URL reproduces its filters, a hostile title stays text, and the SQL page refuses what
would write or read files. A screenshot of each page lands in test-output/screenshots/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import free_port, wait_http
from tests.test_dashboard_pages import DATA_OVERRIDE, XSS, xss_copy
from warehouse.db import connect_reader

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
# screenshot name -> (URL path, page heading)
PAGES = {"trends": ("/", "Trends"), "compare": ("/compare", "Compare"),
         "co-mentions": ("/co-mentions", "Co-mentions"), "keywords": ("/keywords", "Keywords"),
         "articles": ("/articles", "Articles"), "map": ("/map", "Map & outlets"),
         "alerts": ("/alerts", "Alerts"),
         "sources-runs": ("/sources-runs", "Sources & runs"), "sql": ("/sql", "SQL")}


@dataclass(frozen=True)
class Dashboard:
    url: str
    xss_article: int
    first_day: str
    outlet: str
    pid: int  # the dashboard server's process


@pytest.fixture(scope="module")
def dashboard(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    override = os.environ.get(DATA_OVERRIDE)
    published = (Path(override) / "blocwatch.duckdb" if override
                 else request.getfixturevalue("built_warehouse").published)
    data_dir = xss_copy(published, tmp_path_factory.mktemp("browser"))
    con = connect_reader(data_dir / "blocwatch.duckdb")
    article = con.execute("SELECT article_id FROM articles WHERE title = ?", [XSS]).fetchone()[0]
    first_day = str(con.execute("SELECT min(day) FROM daily_articles").fetchone()[0])
    outlet = con.execute("SELECT source_id FROM daily_articles GROUP BY 1 "
                         "ORDER BY sum(articles) DESC, 1 LIMIT 1").fetchone()[0]
    con.close()
    port = free_port()
    log = open(data_dir / "dashboard.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "blocwatch"), "dashboard", "--port", str(port)],
        env={**os.environ, "BLOCWATCH_DATA": str(data_dir), "BLOCWATCH_SQL_TIMEOUT_S": "20"},
        stdout=log,
        stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=90, proc=proc)
        yield Dashboard(f"http://127.0.0.1:{port}", article, first_day, outlet, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser) -> Iterator:  # noqa: ANN001 - playwright's Browser
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


# Where Streamlit's script run is, as the app itself records it on its root element (its own
# end-to-end tests wait on the same attributes): data-test-script-state is "initial" until
# the first run starts, then "running" or "notRunning". The "Running..." status widget is no
# signal: it appears only after a delay, so its absence right after an action proves
# nothing, least of all on a busy machine.
IDLE = ('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
        '[data-test-script-state="notRunning"]')
# Plotly draws a chart in the browser after the run has sent its figure.
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                         .every(c => c.querySelector('.js-plotly-plot .main-svg'))"""


def settle(pg) -> None:  # noqa: ANN001 - playwright's Page
    """Wait until no script run is in progress and every chart of the page is drawn.

    After a page load this waits for the first run to end ("initial" cannot pass for
    "notRunning"). After a click or a key press it does not prove that the rerun it causes
    is over, because the app says "notRunning" until the server has answered: wait for
    something that rerun draws first, then settle.
    """
    pg.locator(IDLE).wait_for(state="attached")
    pg.wait_for_function(CHARTS_DRAWN)


def open_page(pg, base: str, path: str) -> None:  # noqa: ANN001
    pg.goto(base + path)
    settle(pg)
    pg.locator("h1").first.wait_for()


def no_exception(pg) -> None:  # noqa: ANN001
    assert pg.locator('[data-testid="stException"]').count() == 0, pg.content()[:2000]


def test_every_page_loads_and_is_screenshotted(dashboard: Dashboard, page) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, (path, heading) in PAGES.items():
        open_page(page, dashboard.url, path)
        if name == "trends":
            page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot .main-svg')
            assert "Share of all articles naming each entity" in page.locator(
                ".js-plotly-plot .gtitle").first.text_content()
        no_exception(page)
        assert page.locator("h1").first.text_content().strip() == heading
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000


def test_a_url_reproduces_its_filters(dashboard: Dashboard, page) -> None:  # noqa: ANN001
    query = (f"?entities=japan,nato&from={dashboard.first_day}&to=2026-06-30"
             f"&outlets={dashboard.outlet}&measure=articles&period=month")
    open_page(page, dashboard.url, "/" + query)
    page.wait_for_selector(".js-plotly-plot .main-svg")
    no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    chosen = sidebar.locator('[data-testid="stMultiSelect"]').first.text_content()
    assert "Japan" in chosen and "NATO" in chosen
    dates = [i.input_value() for i in sidebar.locator('[data-testid="stDateInput"] input').all()]
    assert dates == [dashboard.first_day, "2026-06-30"]
    assert dashboard.outlet in parse_qs(urlsplit(page.url).query)["outlets"]
    assert page.locator(".js-plotly-plot .gtitle").first.text_content() == \
        "Articles naming each entity, by month"
    legend = page.locator(".js-plotly-plot .legend").first.text_content()
    assert "Japan" in legend and "NATO" in legend
    checked = page.locator('[data-testid="stRadio"] input:checked').all()
    assert len(checked) >= 2
    # Moving to another page keeps the filters, in the view and in the URL.
    page.get_by_role("link", name="Compare").first.click()
    page.locator("h1", has_text="Compare").first.wait_for()  # drawn by the new page's run
    settle(page)
    no_exception(page)
    qs = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/compare"
    assert qs["entities"] == ["japan,nato"] and qs["to"] == ["2026-06-30"]


def test_clicking_a_point_lists_its_articles(dashboard: Dashboard, page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/?entities=japan&measure=articles&period=month")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="articles naming Japan")
    before = caption.first.inner_text()
    points = page.locator(".js-plotly-plot .scatterlayer .trace").first.locator("path.point")
    assert points.count() > 3
    points.nth(2).click(force=True)  # the third month of the history
    page.wait_for_function(
        "(b) => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
        ".some(e => e.innerText.includes('articles naming Japan') && e.innerText !== b)",
        arg=before)
    settle(page)
    no_exception(page)
    after = caption.first.inner_text()
    first = date.fromisoformat(dashboard.first_day)
    third = date(first.year + (first.month + 1) // 12, (first.month + 1) % 12 + 1, 1)
    assert f"from {max(third, first)}" in after, (before, after)


def test_a_hostile_title_renders_as_text(dashboard: Dashboard, page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, f"/articles?article={dashboard.xss_article}")
    no_exception(page)
    # The article's own heading is HTML in the page, so it is visible.
    heading = page.locator("h3", has_text="window.__xss").first
    heading.wait_for()
    assert heading.text_content() == XSS
    # The list above it is a data grid (glide-data-grid): it paints its cells on a canvas
    # and keeps a hidden table of the rows in view for screen readers, so that table's cell
    # is never "visible"; it is in the DOM, holding the title as text.
    cell = page.locator('[data-testid="stDataFrame"] [role="gridcell"]',
                        has_text="window.__xss").first
    cell.wait_for(state="attached")
    assert cell.text_content() == XSS
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    open_page(page, dashboard.url, "/")  # the newest article is behind Trends' list too
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert page.evaluate("() => typeof window.__xss") == "undefined"


@pytest.mark.parametrize("statement", [
    "COPY articles TO '/tmp/blocwatch-copy.csv'",
    "ATTACH '/tmp/blocwatch-other.duckdb' AS other",
    "INSTALL httpfs",
    "CREATE TABLE t (x INTEGER)",
    "SELECT * FROM read_csv('/etc/passwd')",
])
def test_sql_page_refuses(dashboard: Dashboard, page, statement: str) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/sql")
    box = page.locator('[data-testid="stTextArea"] textarea')
    box.fill(statement)
    box.press("Control+Enter")  # hands Streamlit the new text before the button's run
    page.get_by_role("button", name="Run query").click()
    alert = page.locator('[data-testid="stAlert"]', has_text="refused")
    alert.first.wait_for()
    settle(page)
    no_exception(page)
    assert "refused" in alert.first.text_content()
    assert not Path("/tmp/blocwatch-copy.csv").exists()
    assert "root:" not in page.content()


# --- issue 16: offline, and a SQL query that can be cancelled -----------------------------

def test_a_page_load_asks_nothing_outside_this_machine(dashboard: Dashboard,
                                                       page) -> None:  # noqa: ANN001
    """The dashboard works offline: no font server, no CDN (Streamlit turns a Material
    page icon into a fonts.gstatic.com URL), for the app shell and a page with a chart."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    open_page(page, dashboard.url, "/?entities=japan,nato")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.wait_for_load_state("networkidle")
    assert any(u.startswith(dashboard.url) for u in asked)
    outside = [u for u in asked if urlsplit(u).hostname not in ("127.0.0.1", "localhost")
               and not u.startswith(("data:", "blob:"))]
    assert not outside, outside


def test_a_running_query_shows_progress_and_can_be_cancelled(dashboard: Dashboard,
                                                             page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/sql")
    box = page.locator('[data-testid="stTextArea"] textarea')
    # Many minutes of counting on the test warehouse (300**5 rows) unless interrupted.
    box.fill("SELECT count(*) FROM articles a, articles b, articles c, articles d, articles e")
    box.press("Control+Enter")
    page.get_by_role("button", name="Run query").click()
    page.get_by_text("Running…").first.wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Query cancelled.").first.wait_for()
    settle(page)
    no_exception(page)
    # Cancelled, not timed out.
    assert page.locator('[data-testid="stAlert"]', has_text="Stopped after").count() == 0
    # The server is free for the next query at once.
    box.fill("SELECT 6 * 7 AS answer")
    box.press("Control+Enter")
    page.get_by_role("button", name="Run query").click()
    page.get_by_text("1 rows").first.wait_for(timeout=15_000)
    settle(page)
    no_exception(page)


# Where a heatmap cell is drawn, from the figure's own axes (categories are numbered 0..n-1).
CELL_AT = """([col, row]) => { const gd = document.querySelector('.js-plotly-plot');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const r = gd.getBoundingClientRect();
    return {x: r.left + xa._offset + xa.l2p(xa._categories.indexOf(col)),
            y: r.top + ya._offset + ya.l2p(ya._categories.indexOf(row))}; }"""


def test_clicking_a_heatmap_cell_lists_the_pairs_articles(dashboard: Dashboard,
                                                          page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/co-mentions?entities=china,japan,nato,united_states")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    at = page.evaluate(CELL_AT, ["NATO", "Japan"])
    # Plotly takes a click for the point it is hovering: hover, wait for its label, click.
    page.mouse.move(at["x"] - 3, at["y"] - 3)
    page.mouse.move(at["x"], at["y"])
    page.locator(".hoverlayer .hovertext", has_text="Japan × NATO").wait_for()
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function("() => new URLSearchParams(location.search).get('pair') "
                           "=== 'japan|nato'")
    page.get_by_text("articles naming both Japan and NATO").first.wait_for()
    settle(page)
    no_exception(page)


# Titles that run past their chart's right edge (Plotly clips them there).
TITLES_CUT = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
    const svg = gd.querySelector('.main-svg').getBoundingClientRect();
    return [...gd.querySelectorAll('.gtitle')].filter(t =>
        t.getBoundingClientRect().right > svg.right + 1).map(t => t.textContent); })"""


def test_keyword_chart_titles_fit_their_charts(dashboard: Dashboard,
                                               page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/keywords?entities=japan,nato&entity=japan")
    page.wait_for_selector(".js-plotly-plot .gtitle")
    no_exception(page)
    assert page.locator(".js-plotly-plot").count() == 2  # top and rising terms
    assert page.evaluate(TITLES_CUT) == []


def _cpu_s(pid: int) -> float:
    """CPU time (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_cpu(pid: int, busy: bool, deadline_s: float) -> float:
    """Seconds until the process uses (busy) or stops using (not busy) a core, judged over
    half-second windows: a condition polled, with a deadline."""
    import time

    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        before = _cpu_s(pid)
        time.sleep(0.5)
        used = (_cpu_s(pid) - before) / 0.5
        if (used > 0.5) if busy else (used < 0.15):
            return time.monotonic() - start
    raise AssertionError(f"the dashboard was {'never busy' if busy else 'still busy'} "
                         f"after {deadline_s} s")


def test_closing_the_tab_stops_a_running_query(dashboard: Dashboard,
                                               browser) -> None:  # noqa: ANN001
    """The query does not keep a core busy once nobody waits for it: Streamlit stops the
    closed session's script, and the page interrupts its query on the way out (well
    before the 20 s time limit the fixture sets)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    open_page(pg, dashboard.url, "/sql")
    box = pg.locator('[data-testid="stTextArea"] textarea')
    box.fill("SELECT count(*) FROM articles a, articles b, articles c, articles d, articles e")
    box.press("Control+Enter")
    pg.get_by_role("button", name="Run query").click()
    pg.get_by_text("Running…").first.wait_for()
    _wait_cpu(dashboard.pid, busy=True, deadline_s=10)
    ctx.close()
    assert _wait_cpu(dashboard.pid, busy=False, deadline_s=12) < 12


def test_a_keyword_in_context_line_opens_its_article(dashboard: Dashboard,
                                                     page) -> None:  # noqa: ANN001
    open_page(page, dashboard.url, "/keywords?entities=japan,nato&entity=japan")
    # The grid paints on a canvas; its hidden accessible copy holds each link cell's target.
    link = page.locator('[data-testid="stDataFrame"] [role="gridcell"]',
                        has_text="articles?article=").first
    link.wait_for(state="attached")
    target = page.evaluate("(href) => new URL(href, location.href).href",
                           link.text_content().strip())
    assert urlsplit(target).path == "/articles"
    article = int(parse_qs(urlsplit(target).query)["article"][0])
    open_page(page, target, "")
    page.locator("h3").first.wait_for()  # the opened article's headline
    no_exception(page)
    assert parse_qs(urlsplit(page.url).query)["article"] == [str(article)]
    assert page.get_by_text(f"There is no article {article}").count() == 0
