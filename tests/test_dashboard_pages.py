"""Every dashboard page under Streamlit's AppTest, against the warehouse the real pipeline
built from the demo corpus: no exception, and the numbers shown equal what the
warehouse's own views say for the same filters.

Expected numbers come from the documented views (daily_mentions, daily_articles) or plain
SQL on the tables, never from dashboard.queries, so a wrong query cannot agree with itself.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from warehouse.db import connect_reader, connect_writer
from warehouse.examples import example_queries
from warehouse.publish import publish

REPO = Path(__file__).resolve().parents[1]
VIEWS = REPO / "dashboard" / "views"
PAGES = ["trends", "compare", "co_mentions", "keywords", "articles", "map", "alerts",
         "sources_runs", "sql"]
# Developers iterating on the dashboard can point the suite at an existing data directory
# instead of building one (e.g. BLOCWATCH_DASHBOARD_TEST_DATA=data after `make demo`).
DATA_OVERRIDE = "BLOCWATCH_DASHBOARD_TEST_DATA"


@dataclass(frozen=True)
class Scene:
    """The warehouse under test and a filter setting chosen from its contents."""

    data_dir: Path
    published: Path
    start: date
    end: date
    outlets: tuple[str, ...]
    entities: tuple[str, ...]


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def scene(request: pytest.FixtureRequest) -> Iterator[Scene]:
    override = os.environ.get(DATA_OVERRIDE)
    data_dir = (Path(override).resolve() if override
                else request.getfixturevalue("built_warehouse").data_dir)
    published = data_dir / "blocwatch.duckdb"
    con = connect_reader(published)
    try:
        lo, hi = _q(con, "SELECT min(day), max(day) FROM daily_articles")[0]
        # The middle of the history, and the three busiest outlets: a real restriction.
        span = (hi - lo).days
        start, end = lo + timedelta(days=span // 4), hi - timedelta(days=span // 4)
        outlets = tuple(r[0] for r in _q(
            con, "SELECT source_id FROM daily_articles GROUP BY 1 "
                 "ORDER BY sum(articles) DESC, 1 LIMIT 3"))
        entities = tuple(r[0] for r in _q(
            con, "SELECT entity_id FROM daily_mentions WHERE entity_id IN ('japan', 'nato') "
                 "GROUP BY 1 ORDER BY 1"))
        assert entities == ("japan", "nato"), "the demo corpus names Japan and NATO"
    finally:
        con.close()
    yield Scene(data_dir, published, start, end, outlets, entities)


@pytest.fixture()
def con(scene: Scene) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect_reader(scene.published)
    yield c
    c.close()


def run_page(page: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
             **params: str) -> AppTest:
    monkeypatch.setenv("BLOCWATCH_DATA", str(data_dir))
    at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert_ok(at)
    return at


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def scene_params(s: Scene, **extra: str) -> dict[str, str]:
    return {"entities": ",".join(s.entities), "from": s.start.isoformat(),
            "to": s.end.isoformat(), "outlets": ",".join(s.outlets), **extra}


def figure(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def values(v: list | dict) -> np.ndarray:
    """A trace's x/y: Plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(v, dict) and "bdata" in v:
        flat = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        if shape:
            dims = [int(x) for x in str(shape).split(",")] if not isinstance(
                shape, list) else shape
            flat = flat.reshape(dims)
        return flat
    return np.asarray(v)


def trace(fig: dict, name: str) -> dict[str, float]:
    t = next(t for t in fig["data"] if t.get("name") == name)
    return {str(x)[:10]: float(y) for x, y in zip(values(t["x"]), values(t["y"]), strict=True)}


def frame(at: AppTest, *columns: str, without: tuple[str, ...] = ()):  # noqa: ANN201
    """The first table shown with these columns (tables without a selection have no id)."""
    for d in at.dataframe:
        df = d.value
        if set(columns) <= set(df.columns) and not set(without) & set(df.columns):
            return df
    raise AssertionError(f"no table with columns {columns}")


def shown_columns(at: AppTest, column: str) -> list[str]:
    """The column headings the browser shows for the first table holding ``column``: its
    column order and labels, else the data's own names."""
    for d in at.dataframe:
        if column in d.value.columns:
            config = json.loads(d.proto.columns or "{}")
            order = list(d.proto.column_order) or list(d.value.columns)
            return [config.get(c, {}).get("label", c) for c in order
                    if not config.get(c, {}).get("hidden")]
    raise AssertionError(f"no table with column {column}")


def weekly(con: duckdb.DuckDBPyConnection, s: Scene, entity: str) -> tuple[dict, dict]:
    """Articles naming ``entity`` and all articles per week, from the views."""
    naming = dict(_q(con, """
        SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), sum(articles)
        FROM daily_mentions
        WHERE entity_id = ? AND day BETWEEN ? AND ? AND list_contains(?, source_id)
        GROUP BY 1""", [entity, s.start, s.end, list(s.outlets)]))
    totals = dict(_q(con, """
        SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), sum(articles)
        FROM daily_articles
        WHERE day BETWEEN ? AND ? AND list_contains(?, source_id)
        GROUP BY 1""", [s.start, s.end, list(s.outlets)]))
    return naming, totals


# --- Trends ---------------------------------------------------------------------------------

def test_trends_counts_equal_daily_mentions(scene: Scene, con: duckdb.DuckDBPyConnection,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch,
                  **scene_params(scene, measure="articles", period="week"))
    fig = figure(at)
    assert fig["layout"]["title"]["text"] == "Articles naming each entity, by week"
    assert fig["layout"]["yaxis"]["title"]["text"] == "Articles (count)"
    for entity, name in (("japan", "Japan"), ("nato", "NATO")):
        naming, _ = weekly(con, scene, entity)
        shown = trace(fig, name)
        assert {w: v for w, v in shown.items() if v} == pytest.approx(
            {w: float(v) for w, v in naming.items()})
        assert sum(shown.values()) == sum(naming.values())
    # The sidebar shows the URL's filters.
    assert at.sidebar.multiselect(key="f_entities").value == list(scene.entities)
    assert at.sidebar.multiselect(key="f_outlets").value == list(scene.outlets)
    assert at.sidebar.date_input(key="f_from").value == scene.start


def test_trends_share_is_articles_over_all_articles(scene: Scene,
                                                    con: duckdb.DuckDBPyConnection,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, **scene_params(scene, period="week"))
    fig = figure(at)
    assert fig["layout"]["title"]["text"].startswith("Share of all articles")
    naming, totals = weekly(con, scene, "japan")
    shown = trace(fig, "Japan")
    assert set(shown) >= set(totals)
    for week, total in totals.items():
        assert shown[week] == pytest.approx(naming.get(week, 0) / total)
    # The CSV/expander table is the same data.
    table = frame(at, "entity_id", "all_articles", "share")
    japan = table[table["entity_id"] == "japan"]
    assert int(japan["articles"].sum()) == sum(naming.values())


def test_trends_lists_the_articles_behind_a_point(scene: Scene,
                                                  con: duckdb.DuckDBPyConnection,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch,
                  **scene_params(scene, measure="articles", period="week"))
    naming, _ = weekly(con, scene, "nato")
    week = max(sorted(naming), key=lambda w: naming[w])
    at.selectbox(key="tr_pick_entity").set_value("nato").run()
    at.selectbox(key="tr_pick_period").set_value(week).run()
    assert_ok(at)
    listed = frame(at, "article_id", "title", "snippet")
    assert len(listed) == naming[week]
    monday = date.fromisoformat(week)
    days = {d.date() if hasattr(d, "date") else d for d in listed["published"]}
    assert all(monday <= d <= monday + timedelta(days=6) for d in days)


def test_filters_round_trip_through_the_url(scene: Scene,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    params = scene_params(scene, measure="mentions", period="month", rolling="3")
    at = run_page("trends", scene.data_dir, monkeypatch, **params)
    assert at.radio(key="tr_measure").value == "mentions"
    assert at.radio(key="tr_period").value == "month"
    assert at.number_input(key="tr_rolling").value == 3
    assert {k: at.query_params[k] for k in params} == {k: [v] if isinstance(
        at.query_params[k], list) else v for k, v in params.items()}
    at.sidebar.multiselect(key="f_entities").set_value(["nato"]).run()
    assert_ok(at)
    qp = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert qp["entities"] == "nato"
    at.sidebar.button(key="reset_filters").click().run()  # the URL empties with the filters
    assert_ok(at)
    assert not {"entities", "from", "to", "outlets"} & set(at.query_params)


# --- Compare --------------------------------------------------------------------------------

def test_compare_small_multiples_by_country(scene: Scene, con: duckdb.DuckDBPyConnection,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    params = scene_params(scene, split="country", measure="articles")
    params.pop("outlets")
    at = run_page("compare", scene.data_dir, monkeypatch, **params)
    summary = frame(at, "panel", "line", "all_articles", without=("period",))
    expected = dict(((c, n), (a, t)) for c, n, a, t in _q(con, """
        WITH tot AS (SELECT s.country, sum(d.articles) AS t FROM daily_articles d
                     JOIN sources s USING (source_id) WHERE d.day BETWEEN ? AND ? GROUP BY 1)
        SELECT s.country, e.name, sum(d.articles), any_value(tot.t)
        FROM daily_mentions d JOIN sources s USING (source_id)
        JOIN entities e USING (entity_id) JOIN tot USING (country)
        WHERE d.entity_id IN ('japan', 'nato') AND d.day BETWEEN ? AND ?
        GROUP BY ALL""", [scene.start, scene.end, scene.start, scene.end]))
    shown = {(r.panel, r.line): (r.articles, r.all_articles) for r in summary.itertuples()
             if r.articles}
    assert shown == expected
    fig = figure(at)
    panels = {a["text"] for a in fig["layout"]["annotations"]}
    assert panels == set(summary["panel"])
    assert "per outlet country" in fig["layout"]["title"]["text"]


def test_compare_entity_sets_and_outlet_groups(scene: Scene, con: duckdb.DuckDBPyConnection,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    params = scene_params(scene, split="groups", measure="articles")
    params.pop("outlets")
    at = run_page("compare", scene.data_dir, monkeypatch, **params)
    a, b = scene.outlets[0], scene.outlets[1:]
    at.multiselect(key="cmp_group0").set_value([a])
    at.multiselect(key="cmp_group1").set_value(list(b))
    at.multiselect(key="cmp_set0").set_value(["japan", "nato"])
    at.radio(key="cmp_match").set_value("all")
    at.run()
    assert_ok(at)
    summary = frame(at, "panel", "line", "all_articles", without=("period",))
    both = {g: _q(con, """
        SELECT count(*) FROM articles x
        WHERE x.published BETWEEN ? AND ? AND x.duplicate_of IS NULL
          AND list_contains(?, x.source_id)
          AND (SELECT count(*) FROM mentions m WHERE m.article_id = x.article_id
               AND m.entity_id IN ('japan', 'nato')) = 2""",
                    [scene.start, scene.end, outlets])[0][0]
            for g, outlets in (("Group 1", [a]), ("Group 2", list(b)))}
    assert {r.panel: r.articles for r in summary.itertuples()} == both
    assert set(summary["line"]) == {"Japan + NATO"}


# --- Co-mentions ----------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["article", "sentence"])
def test_co_mentions_heatmap_counts(scene: Scene, con: duckdb.DuckDBPyConnection,
                                    monkeypatch: pytest.MonkeyPatch, level: str) -> None:
    ents = ["china", "japan", "nato", "united_states"]
    params = scene_params(scene, level=level, entities=",".join(ents))
    at = run_page("co_mentions", scene.data_dir, monkeypatch, **params)
    expected = {(a, b): n for a, b, n in _q(con, """
        SELECT c.entity_a, c.entity_b, count(*)
        FROM co_mentions c JOIN articles a USING (article_id)
        WHERE a.published BETWEEN ? AND ? AND a.duplicate_of IS NULL
          AND list_contains(?, a.source_id) AND list_contains(?, c.entity_a)
          AND list_contains(?, c.entity_b) AND (? = 'article' OR c.sentence_count > 0)
        GROUP BY ALL""", [scene.start, scene.end, list(scene.outlets), ents, ents, level])}
    table = frame(at, "entity_a", "name_a", "sentences")
    assert {(r.entity_a, r.entity_b): r.articles for r in table.itertuples()} == expected
    heat = figure(at, 0)["data"][0]
    z = (np.array([[np.nan if v is None else v for v in row] for row in heat["z"]],
                  dtype=float) if isinstance(heat["z"], list) else values(heat["z"]))
    names = list(heat["x"])
    japan, nato = names.index("Japan"), names.index("NATO")
    assert z[japan, nato] == z[nato, japan] == expected.get(("japan", "nato"), 0)
    if expected:
        pair = max(expected, key=lambda k: (expected[k], k))
        at.selectbox(key="cm_pair").set_value("|".join(pair)).run()
        assert_ok(at)
        assert len(frame(at, "same_sentence", "title")) == expected[pair]


# --- Keywords -------------------------------------------------------------------------------

def test_keywords_top_rising_and_context(scene: Scene, con: duckdb.DuckDBPyConnection,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Default window: the last 13 weeks of the sidebar window, against the 13 before.
    at = run_page("keywords", scene.data_dir, monkeypatch,
                  **scene_params(scene, entity="japan"))
    w_start = scene.end - timedelta(days=90)
    b_start, b_end = w_start - timedelta(days=91), w_start - timedelta(days=1)

    def docs(term: str | None, lo: date, hi: date) -> int:
        return _q(con, """
            SELECT count(DISTINCT a.article_id) FROM mentions m
            JOIN articles a USING (article_id)
            WHERE m.entity_id = 'japan' AND a.published BETWEEN ? AND ?
              AND a.duplicate_of IS NULL AND list_contains(?, a.source_id)
              AND (?::VARCHAR IS NULL OR EXISTS (SELECT 1 FROM keywords k
                   WHERE k.article_id = a.article_id AND k.term = ?::VARCHAR))""",
                  [lo, hi, list(scene.outlets), term, term])[0][0]

    caption = " ".join(c.value for c in at.caption)
    assert f"{w_start} – {scene.end}: {docs(None, w_start, scene.end):,} articles naming Japan" \
        in caption
    assert f"Baseline {b_start} – {b_end}: {docs(None, b_start, b_end):,} articles" in caption
    top = frame(at, "term", "window_docs", "change_pp")
    term = top["term"].iloc[0]
    assert int(top["window_docs"].iloc[0]) == docs(term, w_start, scene.end)
    tables = [d.value for d in at.dataframe if "change_pp" in d.value.columns]
    if len(tables) == 2:  # rising terms exist
        rising = tables[1].iloc[0]
        assert int(rising["baseline_docs"]) == docs(rising["term"], b_start, b_end)
        assert rising["change_pp"] > 0
    lines = frame(at, "left", "term", "right")
    assert len(lines) > 0
    chosen = str(at.selectbox(key="kw_term").value)
    # Each line shows the words whose base form is the term, as the article writes them
    # ("officials" for official), in the article's language.
    from blocwatch.analysis import find_term

    language = dict(_q(con, "SELECT article_id, language FROM articles"))
    assert all(find_term(t, chosen, language[int(a)]) == [(0, len(t))]
               for t, a in zip(lines["term"], lines["article_id"], strict=True))
    # The whole sidebar window has no baseline to rise from inside the data.
    at.selectbox(key="kw_window").set_value("all").run()
    assert_ok(at)
    assert f"{docs(None, scene.start, scene.end):,} articles naming Japan" in " ".join(
        c.value for c in at.caption)


# --- Articles -------------------------------------------------------------------------------

def test_articles_table_and_article_view(scene: Scene, con: duckdb.DuckDBPyConnection,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _q(con, """
        SELECT count(DISTINCT a.article_id) FROM articles a JOIN mentions m USING (article_id)
        WHERE m.entity_id IN ('japan', 'nato') AND a.published BETWEEN ? AND ?
          AND a.duplicate_of IS NULL AND list_contains(?, a.source_id)""",
                  [scene.start, scene.end, list(scene.outlets)])[0][0]
    article_id, title, body = _q(con, """
        SELECT a.article_id, a.title, a.text FROM articles a JOIN mentions m USING (article_id)
        WHERE m.entity_id = 'japan' AND m.body_count > 0 ORDER BY a.article_id LIMIT 1""")[0]
    at = run_page("articles", scene.data_dir, monkeypatch,
                  **scene_params(scene, article=str(article_id)))
    table = frame(at, "article_id", "title", "snippet")
    assert len(table) == min(expected, 500)
    assert any(c.value.startswith(f"{expected:,} articles") for c in at.caption)
    assert {"title", "url", "entities", "snippet"} <= set(table.columns)
    blocks = [h.proto.body for h in at.get("html")]
    assert any(title and _esc(title) in b for b in blocks)
    text_block = max(blocks, key=len)
    assert "<mark" in text_block and "Japan</mark>" in text_block
    assert at.query_params["article"] in (str(article_id), [str(article_id)])
    # The mentions table speaks the analyst's words, not the columns' names.
    assert shown_columns(at, "body_count") == [
        "Entity", "Mentions in the text", "Mentions in the headline",
        "First mention at character"]
    assert "None" not in " · ".join(t.value for t in at.text)
    assert no_none_cells(at)
    # Searching narrows the list to articles containing the words.
    at.text_input(key="art_q").set_value(body.split()[3]).run()
    assert_ok(at)
    assert 0 < len(frame(at, "article_id", "title", "snippet")) <= len(table)


def _esc(s: str) -> str:
    import html

    return html.escape(s)


def test_malicious_title_is_text(scene: Scene, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = xss_copy(scene.published, tmp_path)
    con = connect_reader(data_dir / "blocwatch.duckdb")
    article_id = _q(con, "SELECT article_id FROM articles WHERE title = ?", [XSS])[0][0]
    con.close()
    at = run_page("articles", data_dir, monkeypatch, article=str(article_id))
    for h in at.get("html"):
        assert "<script" not in h.proto.body and "<img" not in h.proto.body
    assert any(_esc(XSS) in h.proto.body for h in at.get("html"))
    assert XSS in set(frame(at, "article_id", "title", "snippet")["title"])  # a plain text cell


XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def xss_copy(published: Path, tmp_path: Path) -> Path:
    """A copy of the warehouse whose newest article has a hostile title."""
    data_dir = tmp_path / "xss-data"
    data_dir.mkdir()
    shutil.copyfile(published, data_dir / "blocwatch.duckdb")
    # The full-text index the snapshot names comes along (query lines and topics read it).
    if (published.parent / "textindex").is_dir():
        shutil.copytree(published.parent / "textindex", data_dir / "textindex")
    con = duckdb.connect(str(data_dir / "blocwatch.duckdb"))
    con.execute("""UPDATE articles SET title = ? WHERE article_id = (
        SELECT article_id FROM articles WHERE duplicate_of IS NULL AND published IS NOT NULL
        ORDER BY published DESC, article_id DESC LIMIT 1)""", [XSS])
    con.close()
    return data_dir


# --- Sources & runs, SQL --------------------------------------------------------------------

def test_sources_and_runs(scene: Scene, con: duckdb.DuckDBPyConnection,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("sources_runs", scene.data_dir, monkeypatch)
    health = frame(at, "days_behind_newest", "tried")
    expected = dict(_q(con, "SELECT s.source_id, count(a.article_id) FROM sources s "
                            "LEFT JOIN articles a ON a.source_id = s.source_id "
                            "AND a.duplicate_of IS NULL GROUP BY 1"))
    assert dict(zip(health["source_id"], health["articles"], strict=True)) == expected
    tried = dict(_q(con, "SELECT source_id, count(*) FROM fetch_log WHERE run_id IN "
                         "(SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 10) GROUP BY 1"))
    assert {k: v for k, v in zip(health["source_id"], health["tried"], strict=True) if v} == tried
    runs = frame(at, "run_id", "flow")
    assert len(runs) == min(20, _q(con, "SELECT count(*) FROM runs")[0][0])
    per_outlet = frame(at, "period", "source_id", "articles")
    assert int(per_outlet["articles"].sum()) == _q(
        con, "SELECT sum(articles) FROM daily_articles")[0][0]
    assert no_none_cells(at)


def no_none_cells(at: AppTest) -> bool:
    """No text cell of any table shown is missing (a table prints that as "None")."""
    missing = [(i, c) for i, d in enumerate(at.dataframe) for c in d.value.columns
               if d.value[c].dtype == object and d.value[c].isna().any()]
    assert not missing, missing
    return True


@pytest.mark.parametrize("statement", [
    "COPY articles TO '/tmp/x.csv'",
    "ATTACH '/tmp/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE TABLE t (x INTEGER)",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT 1; DROP TABLE articles",
])
def test_sql_page_refuses_writes_and_files(scene: Scene, monkeypatch: pytest.MonkeyPatch,
                                           statement: str) -> None:
    at = run_page("sql", scene.data_dir, monkeypatch)
    at.text_area(key="sql_text").set_value(statement)
    at.button(key="sql_go").click().run()
    assert_ok(at)
    assert at.error and "refused" in at.error[0].value
    assert not at.dataframe


def test_sql_page_runs_queries_and_the_example_queries(scene: Scene,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("sql", scene.data_dir, monkeypatch)
    at.text_area(key="sql_text").set_value("SELECT count(*) AS n FROM articles")
    at.button(key="sql_go").click().run()
    assert_ok(at)
    assert not at.error
    n = frame(at, "n")["n"].iloc[0]
    assert n > 0
    # One button per entry of warehouse/examples.yaml (laid out in three columns, so the
    # element tree lists them column by column), each putting its query in the box.
    examples = example_queries()
    buttons = [b for b in at.button if b.key and b.key.startswith("sql_ex_")]
    assert sorted((b.key, b.label) for b in buttons) == sorted(
        (f"sql_ex_{e.id}", e.title) for e in examples)
    for example in examples:
        at.button(key=f"sql_ex_{example.id}").click().run()
        assert_ok(at)
        assert not at.error, (example.id, [e.value for e in at.error])
        assert at.text_area(key="sql_text").value == example.sql
        assert len(frame(at)) > 0, example.id
    at.text_area(key="sql_text").set_value("SELEC nonsense")
    at.button(key="sql_go").click().run()
    assert_ok(at)
    assert at.error


# --- missing, empty, nothing matches, a new snapshot ---------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_missing_warehouse_explains_itself(page: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(page, tmp_path / "nowhere", monkeypatch)
    assert at.info and "blocwatch demo" in at.info[0].value


def test_empty_warehouse_explains_itself(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    con = connect_writer(tmp_path / "work.duckdb")
    publish(con, tmp_path / "work.duckdb", tmp_path / "blocwatch.duckdb")
    con.close()
    for page in PAGES:
        at = run_page(page, tmp_path, monkeypatch)
        if page in ("sources_runs", "sql"):
            continue  # still useful: run history, and ad-hoc SQL
        assert at.info and "no dated articles" in at.info[0].value, page


def test_filters_matching_nothing_explain_themselves(scene: Scene,
                                                     con: duckdb.DuckDBPyConnection,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    outlet, country = _q(con, "SELECT source_id, country FROM sources WHERE country IS NOT NULL "
                              "ORDER BY source_id LIMIT 1")[0]
    other = _q(con, "SELECT country FROM sources WHERE country <> ? ORDER BY 1 LIMIT 1",
               [country])[0][0]
    for page in PAGES[:5]:
        at = run_page(page, scene.data_dir, monkeypatch, outlets=outlet, countries=other)
        assert at.warning and "No article matches" in at.warning[0].value, page


def test_a_new_snapshot_is_noticed_without_restart(scene: Scene, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    target = data_dir / "blocwatch.duckdb"
    shutil.copyfile(scene.published, target)
    at = run_page("trends", data_dir, monkeypatch)

    def snapshot_line() -> str:  # the sidebar's "Snapshot published ..." caption
        return next(c.value for c in at.sidebar.caption if c.value.startswith("Snapshot"))

    before = snapshot_line()
    # Publish like the pipeline does: a new file renamed over the old one.
    newer = tmp_path / "newer.duckdb"
    shutil.copyfile(scene.published, newer)
    con = duckdb.connect(str(newer))
    con.execute("DELETE FROM articles WHERE article_id IN "
                "(SELECT article_id FROM articles ORDER BY article_id LIMIT 10)")
    con.close()
    os.replace(newer, target)
    at.run()
    assert_ok(at)
    after = snapshot_line()
    assert before != after
    n = int(after.split(" · ")[1].split()[0].replace(",", ""))
    assert n == int(before.split(" · ")[1].split()[0].replace(",", "")) - 10


# --- SQL page: limits, one statement, plain messages (issue 16) ---------------------------

def sql_run(at: AppTest, query: str) -> AppTest:
    at.text_area(key="sql_text").set_value(query)
    at.button(key="sql_go").click().run()
    assert_ok(at)
    return at


def test_sql_page_stops_a_runaway_query_and_frees_the_core(
        scene: Scene, con: duckdb.DuckDBPyConnection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    monkeypatch.setenv("BLOCWATCH_SQL_TIMEOUT_S", "2")
    at = run_page("sql", scene.data_dir, monkeypatch)
    started = time.monotonic()
    # The 4-way self-join never ends on a real warehouse; on the 300 articles here
    # DuckDB counts its 300**4 rows in about 2 s, so one more join: 300**5 rows, many
    # minutes of counting unless the query is interrupted.
    sql_run(at, "SELECT count(*) FROM articles a, articles b, articles c, articles d, "
                "articles e")
    took = time.monotonic() - started
    assert at.error and at.error[0].value.startswith("Stopped after 2 s"), at.error
    assert took < 2 + 20, took
    assert not [t for t in threading.enumerate() if t.name == "blocwatch-sql"]
    assert not at.dataframe
    # The page still answers, and a rerun does not start the stopped query again.
    sql_run(at, "SELECT count(*) AS n FROM articles")
    assert not at.error
    assert frame(at, "n")["n"].iloc[0] == _q(con, "SELECT count(*) FROM articles")[0][0]


def test_sql_page_nothing_to_run_is_a_plain_message(scene: Scene,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("sql", scene.data_dir, monkeypatch)
    for query in ["", "   ", "-- only a comment", ";", "/* x */ ;\n;"]:
        sql_run(at, query)
        assert at.error and at.error[0].value.startswith("Nothing to run"), (query, at.error)
        page_text = " ".join(e.value for e in [*at.error, *at.caption, *at.markdown])
        assert "Traceback" not in page_text and str(scene.data_dir) not in page_text


def test_sql_page_runs_one_statement_and_says_so(scene: Scene,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    at = sql_run(run_page("sql", scene.data_dir, monkeypatch),
                 "SELECT 1 AS first; SELECT 2 AS second")
    assert list(frame(at).columns) == ["first"]
    assert at.warning and "only the first was run" in at.warning[0].value
    # The header names no server path.
    assert all(str(scene.data_dir) not in c.value for c in at.caption)


def test_sql_page_accepts_pivot(scene: Scene, con: duckdb.DuckDBPyConnection,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    at = sql_run(run_page("sql", scene.data_dir, monkeypatch),
                 "SELECT * FROM (PIVOT articles ON language USING count(*) GROUP BY source_id) "
                 "ORDER BY source_id")
    assert not at.error, at.error
    shown = frame(at, "source_id")
    expected = {(s, lang): n for s, lang, n in _q(
        con, "SELECT source_id, language, count(*) FROM articles GROUP BY ALL")}
    got = {(r["source_id"], lang): int(r[lang]) for _, r in shown.iterrows()
           for lang in shown.columns if lang != "source_id" and int(r[lang])}
    assert got == expected


# --- Articles: the opened article is kept by identity (issue 16) ---------------------------

def _article_table(at: AppTest):  # noqa: ANN202 - AppTest's Dataframe element
    return next(d for d in at.dataframe if d.key and d.key.startswith("table_articles"))


def _select_row(at: AppTest, row: int) -> None:
    """Select a row as the browser does: the table's selection state, then a rerun."""
    at.session_state[_article_table(at).key] = {"selection": {"rows": [row], "columns": [],
                                                              "cells": []}}
    at.run()
    assert_ok(at)


def _opened(at: AppTest) -> str | None:
    qp = at.query_params.get("article")
    return (qp[0] if isinstance(qp, list) else qp) if qp else None


@pytest.mark.parametrize("kept", [True, False])
def test_articles_keep_the_opened_article_when_the_list_changes(
        scene: Scene, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch,
        kept: bool) -> None:
    """/articles?entities=japan,nato, select a row, search "summit": the same article stays
    open if the new list holds it, else none (not whatever sits at the old row)."""
    at = run_page("articles", scene.data_dir, monkeypatch, entities="japan,nato")
    listed = [int(i) for i in _article_table(at).value["article_id"]]
    summit = {r[0] for r in _q(con, """
        SELECT article_id FROM articles
        WHERE strpos(lower(coalesce(title, '') || ' ' || coalesce(text, '')), 'summit') > 0""")}
    after = [i for i in listed if i in summit]  # the list once searched, in its order
    # Closed: a row whose position in the searched list holds another article (what the
    # row-keeping page opened). Kept: on the demo corpus the summit articles sit further
    # down than the searched list is long.
    rows = [r for r, i in enumerate(listed) if r >= 1 and (i in summit) == kept
            and (kept or (r < len(after) and after[r] != i))]
    assert rows and len(after) > 1, "the demo corpus has summit articles and others"
    row = rows[0]
    chosen = listed[row]
    _select_row(at, row)
    assert _opened(at) == str(chosen)
    at.text_input(key="art_q").set_value("summit").run()
    assert_ok(at)
    assert [int(i) for i in _article_table(at).value["article_id"]] == after
    headings = [h.proto.body for h in at.get("html") if "<h3" in h.proto.body]
    if kept:
        assert _opened(at) == str(chosen)
        title = _q(con, "SELECT title FROM articles WHERE article_id = ?", [chosen])[0][0]
        assert len(headings) == 1 and _esc(title) in headings[0]
    else:
        assert _opened(at) is None
        assert not headings


# --- Co-mentions: the pair in the URL (issue 16) -------------------------------------------

def test_co_mentions_pair_comes_back_from_the_url(scene: Scene, con: duckdb.DuckDBPyConnection,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ents = ["china", "japan", "nato", "united_states"]
    counts = {(a, b): n for a, b, n in _q(con, """
        SELECT c.entity_a, c.entity_b, count(*) FROM co_mentions c
        JOIN articles a USING (article_id)
        WHERE a.published BETWEEN ? AND ? AND a.duplicate_of IS NULL
          AND list_contains(?, a.source_id) AND list_contains(?, c.entity_a)
          AND list_contains(?, c.entity_b)
        GROUP BY ALL""", [scene.start, scene.end, list(scene.outlets), ents, ents])}
    assert len(counts) >= 2
    # Not the busiest pair: that one is shown anyway, link or no link.
    a, b = sorted(counts, key=lambda k: (-counts[k], k))[1]
    at = run_page("co_mentions", scene.data_dir, monkeypatch,
                  **scene_params(scene, entities=",".join(ents), pair=f"{b}|{a}"))
    assert at.selectbox(key="cm_pair").value == f"{a}|{b}"
    assert len(frame(at, "same_sentence", "title")) == counts[(a, b)]
    other = sorted(counts, key=lambda k: (-counts[k], k))[0]
    at.selectbox(key="cm_pair").set_value("|".join(other)).run()
    assert_ok(at)
    assert "pair" not in at.query_params  # the default pair needs no parameter
    at.selectbox(key="cm_pair").set_value(f"{a}|{b}").run()
    assert at.query_params["pair"] in (f"{a}|{b}", [f"{a}|{b}"])


def test_co_mention_network_stays_readable_at_twelve_entities(
        scene: Scene, con: duckdb.DuckDBPyConnection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("co_mentions", scene.data_dir, monkeypatch)  # the 12 most co-mentioned
    heat, net = figure(at, 0), figure(at, 1)
    by_name = dict(_q(con, "SELECT name, entity_id FROM entities"))
    ids = [by_name[n] for n in heat["data"][0]["x"]]
    assert len(ids) == 12
    pairs = _q(con, """
        SELECT count(*) FROM (SELECT DISTINCT c.entity_a, c.entity_b FROM co_mentions c
        JOIN articles a USING (article_id) WHERE a.duplicate_of IS NULL
          AND a.published IS NOT NULL
          AND list_contains(?, c.entity_a) AND list_contains(?, c.entity_b))""",
               [ids, ids])[0][0]
    assert pairs > 24, "the demo corpus co-mentions most of the 12"
    edges = [t for t in net["data"] if t.get("mode") == "lines"]
    assert len(edges) == 24  # twice the entities, the strongest first
    nodes = net["data"][-1]
    places = dict(zip(nodes["text"], nodes["textposition"], strict=True))
    xs = dict(zip(nodes["text"], values(nodes["x"]), strict=True))
    assert all(places[n].endswith("left") for n, x in xs.items() if x < -0.5)
    assert all(places[n].endswith("right") for n, x in xs.items() if x > 0.5)
    at.slider(key="cm_edges").set_value(pairs).run()
    assert_ok(at)
    assert len([t for t in figure(at, 1)["data"] if t.get("mode") == "lines"]) == pairs
    assert at.query_params["edges"] in (str(pairs), [str(pairs)])


# --- Compare: sets and groups in the URL, one y-scale (issue 16) ---------------------------

def test_compare_reopens_sets_and_groups_from_a_shared_link(
        scene: Scene, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = scene.outlets[0], list(scene.outlets[1:])
    params = scene_params(scene, split="groups", measure="articles", set1="japan,nato",
                          setmatch="all", group1=a, name1="First", group2=",".join(b))
    params.pop("outlets")
    at = run_page("compare", scene.data_dir, monkeypatch, **params)
    assert not [i.value for i in at.info if "at least two groups" in i.value]
    summary = frame(at, "panel", "line", "all_articles", without=("period",))
    both = {g: _q(con, """
        SELECT count(*) FROM articles x
        WHERE x.published BETWEEN ? AND ? AND x.duplicate_of IS NULL
          AND list_contains(?, x.source_id)
          AND (SELECT count(*) FROM mentions m WHERE m.article_id = x.article_id
               AND m.entity_id IN ('japan', 'nato')) = 2""",
                    [scene.start, scene.end, outlets])[0][0]
            for g, outlets in (("First", [a]), ("Group 2", b))}
    assert {r.panel: r.articles for r in summary.itertuples()} == both
    assert set(summary["line"]) == {"Japan + NATO"}
    # Every panel on one y-scale, rows included.
    layout = figure(at)["layout"]
    axes = [k for k in layout if k.startswith("yaxis")]
    assert len(axes) >= 2 and all(layout[k].get("matches") == "y" for k in axes
                                  if k != "yaxis")
    # Editing a group writes it back to the URL.
    at.multiselect(key="cmp_group1").set_value(b[:1]).run()
    assert_ok(at)
    qp = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert (qp["group1"], qp["name1"], qp["group2"], qp["set1"], qp["setmatch"]) == (
        a, "First", b[0], "japan,nato", "all")


# --- Keywords: readable titles and context lines that open their article (issue 16) -------

def test_keyword_in_context_lines_keep_the_words_next_to_the_term_and_open_the_article(
        scene: Scene, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("keywords", scene.data_dir, monkeypatch,
                  **scene_params(scene, entity="japan", window="all"))
    for i in range(len(at.get("plotly_chart"))):
        title = figure(at, i)["layout"]["title"]["text"]
        head, _, sub = title.partition("<br>")
        assert len(head) <= 20 and sub.startswith("<sup>"), title
    el = next(d for d in at.dataframe if {"left", "open"} <= set(d.value.columns))
    lines = el.value
    assert len(lines) > 0
    config = json.loads(el.proto.columns)
    assert config["left"]["alignment"] == "right"
    assert all(len(t) <= 60 for t in lines["left"])
    # What is shown of the "before" text is its end, the words next to the term: the line
    # read from the article's own text ends with it.
    from dashboard.text import kwic

    texts = dict(_q(con, "SELECT article_id, text FROM articles"))
    langs = dict(_q(con, "SELECT article_id, language FROM articles"))
    term = str(at.selectbox(key="kw_term").value)
    for row in lines.itertuples():
        full = [left for left, mid, _ in kwic(texts[row.article_id], term,
                                             language=langs[row.article_id])
                if mid == row.term]
        assert any(left.endswith(row.left.lstrip("…")) for left in full)
        assert row.open == f"articles?article={row.article_id}"
    assert shown_columns(at, "left")[:2] == ["Date", "Article"]  # in view, not off screen


# --- Sources & runs: the error rate counts failing feeds (issue 16) -----------------------

def test_error_rates_count_failing_feeds(scene: Scene, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """An outlet whose feeds fail has no article URL to try: the error rate of article
    fetches alone says 0 % for it. A run where one outlet's feeds all failed is added to a
    copy of the warehouse; its rate must show them."""
    data_dir = tmp_path / "feeds-data"
    data_dir.mkdir()
    db = data_dir / "blocwatch.duckdb"
    shutil.copyfile(scene.published, db)
    w = duckdb.connect(str(db))
    outlet = scene.outlets[0]
    w.execute("INSERT INTO runs (run_id, flow, started_at, status) "
              "VALUES ('feeds-down', 'ingest', now()::TIMESTAMP + INTERVAL 1 DAY, 'completed')")
    w.execute("INSERT INTO run_sources (run_id, source_id, feeds_ok, feeds_failed, discovered, "
              "new, fetched, failed, loaded, error) "
              "VALUES ('feeds-down', ?, 0, 3, 0, 0, 0, 0, 0, 'HTTP 503')", [outlet])
    # Independently: failures over tries, feeds and article URLs, in the last 10 runs.
    urls_tried, urls_failed = w.execute("""
        SELECT count(*), count(*) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate'))
        FROM fetch_log WHERE source_id = ? AND run_id IN (
            SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 10)""", [outlet]).fetchone()
    feeds_tried, feeds_failed = w.execute("""
        SELECT sum(feeds_ok + feeds_failed), sum(feeds_failed) FROM run_sources
        WHERE source_id = ? AND run_id IN (
            SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 10)""", [outlet]).fetchone()
    w.close()
    at = run_page("sources_runs", data_dir, monkeypatch)
    rates = frame(at, "source_id", "error_rate", without=("days_behind_newest",))
    rate = dict(zip(rates["source_id"], rates["error_rate"], strict=True))
    assert feeds_failed == 3 and rate[outlet] == pytest.approx(
        (urls_failed + feeds_failed) / (urls_tried + feeds_tried))
    assert rate[outlet] > 0
    bars = figure(at, 1)["data"][0]
    shown = dict(zip(bars["x"], values(bars["y"]), strict=True))
    name = dict(zip(rates["source_id"], rates["outlet"], strict=True))[outlet]
    assert shown[name] == pytest.approx(rate[outlet])


def test_error_rates_all_zero_say_so_instead_of_a_flat_chart(
        scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    con = connect_reader(scene.published)
    failures = _q(con, "SELECT count(*) FROM fetch_log WHERE outcome NOT IN "
                       "('loaded', 'duplicate')")[0][0] + _q(
        con, "SELECT coalesce(sum(feeds_failed), 0) FROM run_sources")[0][0]
    con.close()
    assert failures == 0, "the demo web answers every request"
    at = run_page("sources_runs", scene.data_dir, monkeypatch)
    assert any(s.value.startswith("No fetch failed") for s in at.success)
    assert not [c for c in at.get("plotly_chart")
                if "error rate" in json.loads(c.proto.spec)["layout"]["title"]["text"]]


def test_sql_page_runs_on_a_capped_connection(scene: Scene,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCWATCH_SQL_THREADS", "1")
    monkeypatch.setenv("BLOCWATCH_SQL_MEMORY", "512MiB")
    at = sql_run(run_page("sql", scene.data_dir, monkeypatch),
                 "SELECT current_setting('threads') AS threads, "
                 "current_setting('memory_limit') AS memory, "
                 "current_setting('enable_external_access') AS external")
    assert not at.error, at.error
    row = frame(at, "threads", "memory").iloc[0]
    assert (int(row["threads"]), row["memory"], bool(row["external"])) == (1, "512.0 MiB", False)


def test_sql_page_explains_a_memory_limit_duckdb_refuses(scene: Scene,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLOCWATCH_SQL_MEMORY", "lots")
    at = sql_run(run_page("sql", scene.data_dir, monkeypatch), "SELECT 1 AS one")
    assert at.error and "could not start" in at.error[0].value
    assert "BLOCWATCH_SQL_MEMORY" in at.error[0].value
