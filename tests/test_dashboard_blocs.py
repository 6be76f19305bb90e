"""The dashboard's bloc-aware defaults, presets, grouped picker and entity colours, and the
honest trends, under Streamlit's AppTest on the demo warehouse of the session fixture.

Expected values are written out from the issue (the default preset's members, the groups'
order in taxonomy.yaml) or computed here from the warehouse's views, never by the dashboard's
own code. Colour distances are computed here in CIELAB, independently of charts.PALETTE.
"""

from __future__ import annotations

import itertools
import math
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from dashboard.analysis import default_period
from tests import test_dashboard_pages as pages
from tests.test_dashboard_pages import REPO, Scene, assert_ok, figure, frame, run_page, values

# The page tests' fixtures: the demo warehouse and a filter setting chosen from it.
scene = pages.scene
con = pages.con


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB (D65) to CIELAB, written out here so the test does not trust the palette."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str, b: str) -> float:
    return math.dist(_lab(a), _lab(b))


def line_colours(fig: dict) -> dict[str, str]:
    """Legend name -> line colour of the figure's main traces."""
    return {t["name"]: t["line"]["color"] for t in fig["data"]
            if t.get("showlegend", True) is not False and "line" in t and t.get("name")}


# --- presets and the default selection ------------------------------------------------------

INDO_PACIFIC = ["Japan", "NATO", "Quad", "AUKUS", "ASEAN", "Asian NATO"]


def test_the_default_selection_is_the_default_preset(scene: Scene,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, measure="articles")
    names = [t["name"] for t in figure(at)["data"] if t.get("showlegend", True) is not False
             and t.get("mode") == "lines+markers"]
    assert names == INDO_PACIFIC
    assert "entities" not in at.query_params  # a default stays out of a shared URL
    assert any("default preset Indo-Pacific blocs" in c.value for c in at.caption)
    assert at.sidebar.multiselect(key="f_entities").placeholder.startswith("Default: ")


def test_a_preset_button_selects_its_entities(scene: Scene,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, measure="articles")
    at.sidebar.button(key="preset_eurasian_blocs").click().run()
    assert_ok(at)
    assert at.sidebar.multiselect(key="f_entities").value == ["sco", "brics", "csto"]
    qp = at.query_params["entities"]
    assert (qp[0] if isinstance(qp, list) else qp) == "sco,brics,csto"


def test_the_entity_picker_is_grouped_by_the_taxonomy(scene: Scene,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch)
    options = at.sidebar.multiselect(key="f_entities").options
    groups = [o.split(" · ")[1] for o in options]
    # Each group is one run of the list, in the order taxonomy.yaml first uses it.
    runs = [g for g, _ in itertools.groupby(groups)]
    assert runs == ["Asia-Pacific", "Americas", "Europe", "Security blocs",
                    "Regional organisations", "International organisations", "Concepts",
                    "Seas and regions", "Leaders"]
    assert options[:3] == ["Japan · Asia-Pacific", "China · Asia-Pacific",
                           "North Korea · Asia-Pacific"]


# --- colours --------------------------------------------------------------------------------

def test_each_entity_keeps_one_distinct_colour(scene: Scene,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    twelve = "japan,nato,quad,aukus,asean,asian_nato,sco,brics,csto,united_states,china,russia"
    at = run_page("trends", scene.data_dir, monkeypatch, entities=twelve, measure="articles")
    colours = line_colours(figure(at))
    assert len(colours) == 12
    # Twelve lines, twelve colours, every two far apart (ΔE 2.3 is just noticeable).
    worst = min(delta_e(a, b) for a, b in itertools.combinations(colours.values(), 2))
    assert worst >= 25, colours
    assert delta_e(colours["China"], colours["NATO"]) >= 40
    # The same entity has the same colour in another selection and on another page.
    at2 = run_page("trends", scene.data_dir, monkeypatch, entities="nato,china")
    assert line_colours(figure(at2)) == {"NATO": colours["NATO"], "China": colours["China"]}
    cmp = run_page("compare", scene.data_dir, monkeypatch, entities="china,nato",
                   measure="articles")
    for t in figure(cmp)["data"]:
        if t.get("name") in ("China", "NATO") and "line" in t:
            assert t["line"]["color"] == colours[t["name"]]


# --- honest trends --------------------------------------------------------------------------

def _weekly_counts(con: duckdb.DuckDBPyConnection, entity: str, lo: date, hi: date
                   ) -> pd.Series:
    """Articles naming ``entity`` per week (Monday) from the view, zeros included."""
    rows = dict(pages._q(con, """
        SELECT date_trunc('week', day)::DATE, sum(articles) FROM daily_mentions
        WHERE entity_id = ? AND day BETWEEN ? AND ? GROUP BY 1""", [entity, lo, hi]))
    first = lo - timedelta(days=lo.weekday())
    weeks = [first + timedelta(days=7 * i) for i in range((hi - first).days // 7 + 1)]
    return pd.Series([float(rows.get(w, 0)) for w in weeks], index=weeks)


def _spikes(counts: pd.Series, least: float) -> set[date]:
    """mean + 3 sd (population) of the 8 values before, and at least ``least``: the rule
    as docs/dashboard.md states it, computed here by hand."""
    out = set()
    values = list(counts.items())
    for i in range(8, len(values)):
        past = [v for _, v in values[i - 8:i]]
        mean = sum(past) / 8
        sd = math.sqrt(sum((v - mean) ** 2 for v in past) / 8)
        if values[i][1] > mean + 3 * sd and values[i][1] >= least:
            out.add(values[i][0])
    return out


def test_spikes_are_a_table_of_complete_weeks_with_at_least_eight_articles(
        scene: Scene, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    lo, hi = pages._q(con, "SELECT min(day), max(day) FROM daily_articles")[0]
    ids = {"japan": "Japan", "nato": "NATO", "china": "China", "brics": "BRICS"}
    at = run_page("trends", scene.data_dir, monkeypatch, entities=",".join(ids),
                  period="week", measure="articles")
    expected, before = set(), set()
    for eid, name in ids.items():
        counts = _weekly_counts(con, eid, lo, hi)
        # Complete weeks only: a week the history starts or ends inside is left out.
        complete = counts[[w >= lo and w + timedelta(days=6) <= hi for w in counts.index]]
        expected |= {(name, w) for w in _spikes(complete, 8)}
        before |= {(name, w) for w in _spikes(counts, 3)}  # the old rule
    listing = frame(at, "entity", "articles_link")
    shown = {(r.entity, r.period) for r in listing.itertuples()}
    assert shown == expected
    assert before - expected, "the old rule flagged small or partial weeks this one drops"
    for r in listing.itertuples():
        eid = next(k for k, v in ids.items() if v == r.entity)
        assert r.articles_link == (f"/articles?entities={eid}&from={r.period}"
                                   f"&to={r.period + timedelta(days=6)}")
        assert r.articles >= 8


def test_partial_and_small_periods_are_marked(scene: Scene, con: duckdb.DuckDBPyConnection,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    lo, hi = pages._q(con, "SELECT min(day), max(day) FROM daily_articles")[0]
    # A window from a Wednesday to a Thursday: its first and last weeks are partial.
    start = lo + timedelta(days=(2 - lo.weekday()) % 7 + 7)
    end = start + timedelta(days=7 * 12 + 1)
    at = run_page("trends", scene.data_dir, monkeypatch, entities="japan", period="week",
                  measure="articles", **{"from": start.isoformat(), "to": end.isoformat()})
    fig = figure(at)
    japan = next(t for t in fig["data"] if t.get("name") == "Japan")
    symbols = japan["marker"]["symbol"]
    totals = dict(pages._q(con, """
        SELECT date_trunc('week', day)::DATE, sum(articles) FROM daily_articles
        WHERE day BETWEEN ? AND ? GROUP BY 1""", [start, end]))
    first = start - timedelta(days=start.weekday())
    weeks = [first + timedelta(days=7 * i) for i in range(len(symbols))]
    assert weeks[-1] == end - timedelta(days=end.weekday())
    want = ["diamond-open" if w < start or w + timedelta(days=6) > end
            else "circle-open" if totals.get(w, 0) < 30 else "circle" for w in weeks]
    assert symbols == want
    assert want[0] == want[-1] == "diamond-open" and want.count("diamond-open") == 2
    bands = [s for s in fig["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert len(bands) == 2
    table = frame(at, "entity_id", "partial", "small_sample")
    assert table["partial"].tolist() == [s == "diamond-open" for s in want]
    assert not table.loc[table["partial"], "spike"].any()


@pytest.mark.parametrize(("articles", "days", "period"), [
    (1400, 14, "day"), (700, 49, "week"), (699, 49, "month"), (20 * 52, 364, "month")])
def test_the_default_period_follows_the_volume(articles: int, days: int, period: str) -> None:
    start = date(2026, 1, 5)
    assert default_period(articles, start, start + timedelta(days=days - 1)) == period


def test_the_demo_opens_by_month_and_a_shared_point_reopens(
        scene: Scene, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, entities="nato")
    # The test corpus has about four articles a week: too few for weekly shares.
    assert at.radio(key="tr_period").value == "month"
    assert at.query_params["period"] in ("month", ["month"])
    lo, hi = pages._q(con, "SELECT min(day), max(day) FROM daily_articles")[0]
    counts = _weekly_counts(con, "nato", lo, hi)
    week = max(sorted(counts.index), key=lambda w: counts[w])
    quiet = min(sorted(counts.index), key=lambda w: counts[w])
    at = run_page("trends", scene.data_dir, monkeypatch, entities="japan,nato", period="week",
                  point=f"nato:{quiet}")
    assert at.selectbox(key="tr_pick_entity").value == "nato"
    assert at.selectbox(key="tr_pick_period").value == quiet.isoformat()
    at.selectbox(key="tr_pick_period").set_value(week.isoformat()).run()
    assert_ok(at)
    assert at.query_params["point"] in (f"nato:{week}", [f"nato:{week}"])
    assert len(frame(at, "article_id", "title", "snippet")) == counts[week]


# --- alerts ---------------------------------------------------------------------------------

def alerts_copy(published: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of the warehouse with a silent outlet and a failing feed added to the alerts
    the ingest raised (the demo raises spikes only). Returns the directory and the two
    outlets."""
    data_dir = tmp_path / "alerts-data"
    data_dir.mkdir()
    shutil.copyfile(published, data_dir / "blocwatch.duckdb")
    con = duckdb.connect(str(data_dir / "blocwatch.duckdb"))
    quiet, failing = [r[0] for r in con.execute(
        "SELECT source_id FROM sources ORDER BY source_id LIMIT 2").fetchall()]
    con.execute("""INSERT INTO alerts (alert_key, kind, source_id, period_start, period_end,
                   observed, expected, message, raised_at, last_seen_at) VALUES
        (?, 'silent_source', ?, DATE '2026-06-10', DATE '2026-06-30', 20, 2,
         'quiet for 20 days', now(), now()),
        (?, 'feed_failing', ?, DATE '2026-06-20', DATE '2026-06-22', 3, 2,
         'all its feeds failed', now(), now())""",
                [f"silent_source:{quiet}:2026-06-10", quiet,
                 f"feed_failing:{failing}:r1", failing])
    con.close()
    return data_dir, quiet, failing


def test_alerts_page_lists_every_kind_with_links(scene: Scene, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir, quiet, failing = alerts_copy(scene.published, tmp_path)
    with duckdb.connect(str(data_dir / "blocwatch.duckdb"), read_only=True) as c:
        spikes = c.execute("SELECT entity_id, period_start, period_end FROM alerts "
                           "WHERE kind = 'spike' AND entity_id IS NOT NULL "
                           "ORDER BY 1").fetchall()
        topics = c.execute("SELECT alert_key, period_start, period_end FROM alerts "
                           "WHERE kind = 'spike' AND entity_id IS NULL").fetchall()
        labels = dict(c.execute("SELECT topic_id, label FROM topics").fetchall())
        names = dict(c.execute("SELECT source_id, name FROM sources").fetchall())
        entity_names = dict(c.execute("SELECT entity_id, name FROM entities").fetchall())
    assert spikes, "the demo ingest raises spike alerts"
    at = run_page("alerts", data_dir, monkeypatch)
    table = frame(at, "kind", "articles_link")
    want = {("Spike of attention", entity_names[e],
             f"/articles?entities={e}&from={lo}&to={hi}") for e, lo, hi in spikes}
    # A saved topic's spike (the key is spike:topic:<id>:<week>): the week's articles.
    want |= {("Spike of attention", f"topic: {labels[key.split(':')[2]]}",
              f"/articles?from={lo}&to={hi}") for key, lo, hi in topics}
    want |= {("Silent outlet", names[quiet], f"/articles?outlets={quiet}&to=2026-06-10"),
             ("Failing feeds", names[failing], f"/articles?outlets={failing}&to=2026-06-22")}
    assert {(r.kind, r.subject, r.articles_link) for r in table.itertuples()} == want
    links = dict(zip(table["subject"], table["outlet_link"], strict=True))
    assert links[names[failing]] == f"/sources-runs?outlets={failing}"
    assert links[entity_names[spikes[0][0]]] == ""  # no "None" where a spike has no outlet
    assert [m.value for m in at.metric] == [str(len(spikes) + len(topics)), "1", "1"]
    at.multiselect(key="al_kinds").set_value(["silent_source"]).run()
    assert_ok(at)
    assert frame(at, "kind", "articles_link")["kind"].tolist() == ["Silent outlet"]
    assert at.query_params["kinds"] in ("silent_source", ["silent_source"])


# --- map and outlets ------------------------------------------------------------------------

def test_map_shares_and_top_outlets(scene: Scene, con: duckdb.DuckDBPyConnection,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The countries with a code, read from the YAML itself, not through the dashboard.
    raw = yaml.safe_load((REPO / "taxonomy.yaml").read_text(encoding="utf-8"))
    codes = {e["id"]: e["iso3"] for e in raw["entities"] if e.get("iso3")}
    at = run_page("map", scene.data_dir, monkeypatch, entities="japan,nato",
                  country="china")
    total = pages._q(con, "SELECT sum(articles) FROM daily_articles")[0][0]
    named = dict(pages._q(con, "SELECT entity_id, sum(articles) FROM daily_mentions "
                               "GROUP BY 1"))
    table = frame(at, "iso3", "articles_naming", "share_of_articles")
    assert dict(zip(table["entity_id"], table["iso3"], strict=True)) == codes
    for r in table.itertuples():
        assert r.articles_naming == named.get(r.entity_id, 0)
        assert r.share_of_articles == pytest.approx(named.get(r.entity_id, 0) / total)
    choropleth = figure(at)["data"][0]
    assert choropleth["type"] == "choropleth"
    assert dict(zip(choropleth["locations"], values(choropleth["z"]), strict=True)) == \
        pytest.approx({codes[e]: named.get(e, 0) / total for e in codes})
    # The chosen country (from the URL) lists its newest articles.
    assert at.selectbox(key="mp_country").value == "china"
    listed = frame(at, "article_id", "title", "snippet")
    assert len(listed) == min(50, named["china"])

    # Top outlets: articles naming Japan or NATO per outlet, counted from the tables.
    per_outlet = dict(pages._q(con, """
        SELECT a.source_id, count(DISTINCT a.article_id) FROM articles a
        JOIN mentions m USING (article_id)
        WHERE m.entity_id IN ('japan', 'nato') AND a.published IS NOT NULL
          AND a.duplicate_of IS NULL
        GROUP BY 1"""))
    ranking = frame(at, "source_id", "share_of_selection", "share_of_outlet")
    assert dict(zip(ranking["source_id"], ranking["articles"], strict=True)) == per_outlet
    assert ranking["articles"].tolist() == sorted(per_outlet.values(), reverse=True)
    assert ranking["share_of_selection"].sum() == pytest.approx(1.0)
