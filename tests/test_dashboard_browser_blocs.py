"""The Map & outlets page and CSV downloads in Debian's chromium against the real
`blocwatch dashboard`: the map is drawn without asking the internet for anything (every
request is logged), a click on a country opens its articles, and a downloaded CSV names the
filters that produced it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from tests import test_dashboard_browser as bt
from tests.test_dashboard_browser import Dashboard, no_exception, open_page, settle

pytestmark = pytest.mark.browser

# The browser tests' fixtures: the dashboard server, chromium and a fresh page.
dashboard = bt.dashboard
browser = bt.browser
page = bt.page
MAP_DRAWN = ".js-plotly-plot .choroplethlayer path.choroplethlocation"


def test_the_map_is_drawn_offline_and_a_country_opens_its_articles(
        dashboard: Dashboard, page) -> None:  # noqa: ANN001 - playwright's Page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page, dashboard.url, "/map?entities=japan,nato")
    page.locator(MAP_DRAWN).first.wait_for(state="attached")
    no_exception(page)
    outside = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []
    assert any(u.endswith("/app/static/topojson/world_110m.json") for u in requests)
    assert page.locator(MAP_DRAWN).count() >= 13  # every country with a code has a shape

    # Click China: its shape is the one at China's position in the trace's locations.
    index = page.evaluate("""() => document.querySelector('[data-testid="stPlotlyChart"]'
        + ' .js-plotly-plot').data[0].locations.indexOf('CHN')""")
    assert index >= 0
    page.locator(MAP_DRAWN).nth(index).click(force=True)
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="naming China")
    caption.first.wait_for()
    settle(page)
    no_exception(page)
    assert parse_qs(urlsplit(page.url).query)["country"] == ["china"]
    link = page.get_by_role("link", name="Open the articles naming China on the Articles page")
    assert link.get_attribute("href").startswith("/articles?entities=china")


def test_a_downloaded_csv_names_its_filters(dashboard: Dashboard, page,  # noqa: ANN001
                                            tmp_path: Path) -> None:
    query = (f"?entities=japan,nato&from={dashboard.first_day}&to=2026-06-30"
             f"&outlets={dashboard.outlet}&measure=articles&period=month")
    open_page(page, dashboard.url, "/" + query)
    page.wait_for_selector(".js-plotly-plot .main-svg")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the chart's data (CSV)").click()
    path = tmp_path / "trends.csv"
    info.value.save_as(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = [x for x in lines if x.startswith("# ")]
    assert header[0] == "# blocwatch dashboard export"
    assert "# entities: japan,nato" in header
    assert f"# from: {dashboard.first_day}" in header and "# to: 2026-06-30" in header
    assert f"# outlets: {dashboard.outlet}" in header
    assert "# countries: all" in header and "# languages: all" in header
    view = next(x for x in header if x.startswith("# view: "))
    assert "measure=articles" in view and "period=month" in view
    data = pd.read_csv(path, comment="#")
    assert list(data.columns[:3]) == ["period", "entity_id", "entity"]
    assert set(data["entity_id"]) == {"japan", "nato"}
