"""Query lines and saved topics on the dashboard (issue 15) under Streamlit's AppTest,
against the session's warehouse built by the real ingest from the demo corpus.

Expected counts come from the demo generator's ledger (the headlines it wrote, matched
with a plain regular expression) or the warehouse's documented views (daily_articles,
daily_topics), never from the query engine under test.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from blocwatch.query import QuerySyntaxError, parse
from tests.conftest import BuiltWarehouse
from tests.test_dashboard_pages import figure, frame, no_none_cells, run_page, trace
from warehouse.db import connect_reader

# title:NATO finds a headline with the word NATO (tests/test_topics.py checks the topics'
# counts with the same expression).
NATO = re.compile(r"(?<![A-Za-z0-9])nato(?![A-Za-z0-9])", re.IGNORECASE)


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def _nato_titles(ledger: dict) -> list[dict]:
    return [a for a in ledger["articles"]
            if NATO.search(unicodedata.normalize("NFKC", a["title"] or ""))]


def _weekly_totals(db: object) -> dict[str, int]:
    con = connect_reader(db)  # type: ignore[arg-type]
    try:
        return {w: int(n) for w, n in con.execute(
            "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), sum(articles) "
            "FROM daily_articles GROUP BY 1").fetchall()}
    finally:
        con.close()


def test_a_query_line_is_charted_beside_the_entities(built_warehouse: BuiltWarehouse,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", measure="articles", q="title:NATO")
    expected = Counter(_monday(a["published"]) for a in _nato_titles(built_warehouse.ledger))
    assert sum(expected.values()) > 10
    shown = trace(figure(at), "title:NATO")
    assert {w: v for w, v in shown.items() if v} == {w: float(n) for w, n in expected.items()}
    hovers = {t.get("name"): t.get("hovertemplate") for t in figure(at)["data"]}
    # A query has no mention count: its hover leaves it out, the entity's keeps it.
    assert "mentions" in hovers["Japan"] and "mentions" not in hovers["title:NATO"]
    # The chart's data: all articles of the week and the share, as the entities have them.
    totals = _weekly_totals(built_warehouse.published)
    table = frame(at, "entity_id", "all_articles", "share")
    rows = table[table["entity_id"] == "query:1"]
    assert len(rows) == len(totals)
    for r in rows.itertuples():
        week = str(r.period)[:10]
        assert int(r.all_articles) == totals[week]
        assert int(r.articles) == expected.get(week, 0)
        assert r.share == pytest.approx(expected.get(week, 0) / totals[week])
    # The data behind the chart prints no "None" where a query line has no value.
    assert no_none_cells(at)


def test_a_query_line_counts_distinct_stories(built_warehouse: BuiltWarehouse,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", measure="articles", count="stories", q="title:NATO")
    stories: dict[str, set[str]] = {}
    for a in _nato_titles(built_warehouse.ledger):
        stories.setdefault(_monday(a["published"]), set()).add(a["story"])
    assert any(len(s) < n for s, n in zip(
        stories.values(), Counter(_monday(a["published"]) for a in _nato_titles(
            built_warehouse.ledger)).values(), strict=True)), "some copies are syndicated"
    shown = trace(figure(at), "title:NATO")
    assert {w: v for w, v in shown.items() if v} == {w: float(len(s))
                                                     for w, s in stories.items()}


def test_a_bad_query_shows_its_caret_and_the_page_still_works(
        built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = 'Japan AND ("Asian NATO"'
    with pytest.raises(QuerySyntaxError) as raised:
        parse(bad)
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", measure="articles", q=[bad, "title:NATO"])
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("Query line 1 cannot be read")
    assert f"```\n{raised.value.caret()}\n```" in message
    # The readable line and the entities are still charted; the bad line is not.
    names = {t.get("name") for t in figure(at)["data"]}
    assert {"Japan", "title:NATO"} <= names and bad not in names
    # Both lines stay in the URL, as typed, one q= each.
    assert at.query_params["q"] == [bad, "title:NATO"]
    # Fixing the line charts it; the URL follows.
    at.text_area(key="tr_queries").set_value("Japan AND \"Asian NATO\"\ntitle:NATO").run()
    assert not at.exception and not at.error
    assert at.query_params["q"] == ['Japan AND "Asian NATO"', "title:NATO"]
    assert 'Japan AND "Asian NATO"' in {t.get("name") for t in figure(at)["data"]}


def test_a_query_point_lists_its_articles_with_the_hits_marked(
        built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    titles = _nato_titles(built_warehouse.ledger)
    week = Counter(_monday(a["published"]) for a in titles).most_common(1)[0][0]
    wanted = sorted(a["url"] for a in titles if _monday(a["published"]) == week)
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", q="title:NATO", point=f"query:1:{week}")
    assert at.selectbox(key="tr_pick_entity").value == "query:1"
    assert at.selectbox(key="tr_pick_period").value == week
    listed = frame(at, "article_id", "url")
    assert sorted(listed["url"]) == wanted
    html = next(h.proto.body for h in at.get("html") if "bw-hits" in h.proto.body)
    assert html.count("<li>") == len(wanted)
    # Every headline's NATO is marked (a word at a time: Japan-NATO is one word), and
    # nothing else is.
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert len(marked) >= len(wanted)
    assert all(NATO.search(m) for m in marked), marked
    assert at.query_params["point"] in (f"query:1:{week}", [f"query:1:{week}"])


def test_the_articles_search_takes_the_query_language(
        built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    titles = _nato_titles(built_warehouse.ledger)
    days = sorted(a["published"] for a in built_warehouse.ledger["articles"])
    at = run_page("articles", built_warehouse.data_dir, monkeypatch, q="title:NATO",
                  **{"from": days[0], "to": days[-1]})
    listed = frame(at, "article_id", "url", "snippet")
    expected = sorted(titles, key=lambda a: a["published"], reverse=True)
    assert 10 < len(expected) <= 500  # all of them fit the list
    assert sorted(listed["url"]) == sorted(a["url"] for a in expected)
    assert list(listed["published"].astype(str).str[:10]) == sorted(
        (a["published"] for a in expected), reverse=True)
    assert any(c.value.startswith(f"{len(expected):,} articles") for c in at.caption)
    # A query that cannot be read says where, and lists nothing.
    bad = 'Japan AND ("Asian NATO"'
    with pytest.raises(QuerySyntaxError) as raised:
        parse(bad)
    at.text_input(key="art_q").set_value(bad).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The search cannot be read:"]
    assert [c.value for c in at.code] == [raised.value.caret()]
    assert not [d for d in at.dataframe if "snippet" in d.value.columns]


def test_the_search_list_bounded_by_the_index_equals_the_full_list(
        built_warehouse: BuiltWarehouse) -> None:
    """Without entities, the Articles search lists only the matches from the day the
    newest `limit` start on (search.newest_since): the same rows, order and total as
    listing every match."""
    from dashboard import queries
    from dashboard.filters import Filters
    from warehouse import search

    con = connect_reader(built_warehouse.published)
    try:
        searcher = search.open_searcher(con, built_warehouse.published)
        days = sorted(a["published"] for a in built_warehouse.ledger["articles"])
        middle = date.fromisoformat(days[len(days) // 2])
        windows = [Filters(), Filters(start=middle), Filters(end=middle, languages=("en",))]
        for text in ("title:NATO", "Japan", "summit OR exercise*", "NOT Japan"):
            plan = search.compile_text(text, con, None)
            for f in windows:
                tf = search.Filters(f.start, f.end, f.sources, f.languages)
                every = search.matching_ids(searcher, plan, tf)
                for limit in (1, 7, 500):
                    got = queries.article_search(con, searcher, plan, tf, f, limit=limit)
                    full = queries._article_rows(con, f, (), "any", every, limit)
                    assert list(got["article_id"]) == list(full["article_id"])
                    assert set(got["matches"]) == {len(every)} == set(full["matches"])
                    assert len(got) == min(limit, len(every))
    finally:
        con.close()


def test_a_saved_topic_is_charted_from_its_rollup(built_warehouse: BuiltWarehouse,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    con: duckdb.DuckDBPyConnection = connect_reader(built_warehouse.published)
    try:
        label = con.execute("SELECT label FROM topics WHERE topic_id = 'asian_nato_idea'"
                            ).fetchone()[0]
        expected = {w: float(n) for w, n in con.execute(
            "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), sum(articles) "
            "FROM daily_topics WHERE topic_id = 'asian_nato_idea' GROUP BY 1").fetchall()}
    finally:
        con.close()
    assert sum(expected.values()) > 3
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", measure="articles", topics="asian_nato_idea")
    assert at.multiselect(key="tr_topics").value == ["asian_nato_idea"]
    shown = trace(figure(at), f"Topic: {label}")
    assert {w: v for w, v in shown.items() if v} == expected


def test_marked_text_is_escaped_and_only_our_marks_are_markup() -> None:
    from dashboard.text import hit_excerpt, mark_html

    text = '<img src=x onerror="alert(1)"> NATO & Japan'
    start = text.index("NATO")
    assert mark_html(text, [(start, start + 4)]) == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>NATO</mark> &amp; Japan")
    excerpt, spans = hit_excerpt("x" * 200 + " NATO " + "y" * 200, [(201, 205)], width=10)
    assert excerpt == "…" + "x" * 9 + " NATO " + "y" * 9 + "…"
    assert [excerpt[s:e] for s, e in spans] == ["NATO"]


def test_keywords_take_a_query_as_the_selection(built_warehouse: BuiltWarehouse,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    urls = {a["url"] for a in _nato_titles(built_warehouse.ledger)}
    con = connect_reader(built_warehouse.published)
    try:
        ids = [i for i, u in con.execute("SELECT article_id, url FROM articles").fetchall()
               if u in urls]
        docs = Counter(t for (t,) in con.execute(
            "SELECT term FROM keywords WHERE list_contains(?, article_id)", [ids]).fetchall())
    finally:
        con.close()
    assert len(ids) == len(urls)
    at = run_page("keywords", built_warehouse.data_dir, monkeypatch, window="all",
                  query="title:NATO")
    assert not at.error
    assert any(f"{len(ids):,} articles matching “title:NATO”" in c.value for c in at.caption)
    top = frame(at, "term", "window_docs")
    assert len(top) and {t: int(n) for t, n in zip(top["term"], top["window_docs"],
                                                    strict=True)} == {
        t: docs[t] for t in top["term"]}
    # The most used terms of the matching articles, in order.
    assert list(top["window_docs"]) == sorted(top["window_docs"], reverse=True)
    assert int(top["window_docs"].iloc[0]) == max(docs.values())
    term = at.selectbox(key="kw_term").value
    assert any(f"from {min(40, docs[term])} articles matching “title:NATO” that use" in c.value
               for c in at.caption)
    assert at.query_params["query"] in ("title:NATO", ["title:NATO"])
    # A query that cannot be read: its caret, and the entity's statistics instead.
    at.text_input(key="kw_query").set_value("title:(NATO").run()
    assert not at.exception
    with pytest.raises(QuerySyntaxError) as raised:
        parse("title:(NATO")
    assert raised.value.caret() in at.error[0].value
    assert any("articles naming" in c.value for c in at.caption)


def test_compare_splits_a_query_line_by_panel(built_warehouse: BuiltWarehouse,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("compare", built_warehouse.data_dir, monkeypatch, entities="japan",
                  split="language", period="month", measure="articles", q="title:NATO")
    expected = Counter((a["language"], a["published"][:7] + "-01")
                       for a in _nato_titles(built_warehouse.ledger))
    assert len({lang for lang, _ in expected}) > 1
    table = frame(at, "panel", "line", "all_articles")
    rows = table[table["line"] == "title:NATO"]
    shown = {(r.panel, str(r.period)[:10]): int(r.articles) for r in rows.itertuples()
             if r.articles}
    assert shown == dict(expected)
    # Outlet groups you define: each group's panel counts its own outlets' matches.
    by_source = Counter(a["source"] for a in _nato_titles(built_warehouse.ledger))
    first, second = sorted(by_source)[:2], sorted(by_source)[2:4]
    at = run_page("compare", built_warehouse.data_dir, monkeypatch, entities="japan",
                  split="groups", period="month", measure="articles", q="title:NATO",
                  group1=",".join(first), name1="One", group2=",".join(second), name2="Two")
    table = frame(at, "panel", "line", "all_articles")
    rows = table[table["line"] == "title:NATO"]
    assert {p: int(n) for p, n in rows.groupby("panel")["articles"].sum().items()} == {
        "One": sum(by_source[s] for s in first), "Two": sum(by_source[s] for s in second)}


def test_a_topic_point_lists_the_topics_matches(built_warehouse: BuiltWarehouse,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    con = connect_reader(built_warehouse.published)
    try:
        week, = con.execute(
            "SELECT date_trunc('week', day)::DATE FROM daily_topics WHERE topic_id = "
            "'asian_nato_idea' GROUP BY 1 ORDER BY sum(articles) DESC, 1 LIMIT 1").fetchone()
        wanted = sorted(u for (u,) in con.execute(
            "SELECT a.url FROM topic_matches t JOIN articles a USING (article_id) "
            "WHERE t.topic_id = 'asian_nato_idea' AND a.published::DATE BETWEEN ? AND ?",
            [week, week + timedelta(days=6)]).fetchall())
    finally:
        con.close()
    day = week.isoformat()
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", topics="asian_nato_idea",
                  point=f"topic:asian_nato_idea:{day}")
    assert at.selectbox(key="tr_pick_entity").value == "topic:asian_nato_idea"
    assert sorted(frame(at, "article_id", "url")["url"]) == wanted
    html = next(h.proto.body for h in at.get("html") if "bw-hits" in h.proto.body)
    assert html.count("<li>") == len(wanted) and "<mark>" in html


def test_without_its_index_trends_warns_and_draws_the_rest(
        built_warehouse: BuiltWarehouse, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(built_warehouse.published, data_dir / "blocwatch.duckdb")
    at = run_page("trends", data_dir, monkeypatch, entities="japan", period="week",
                  q="title:NATO", topics="asian_nato_idea")
    warning = next(w.value for w in at.warning if "Query lines cannot be counted" in w.value)
    assert "blocwatch reindex" in warning
    names = {t.get("name") for t in figure(at)["data"]}
    # The saved topic is counted at ingest, so it is still drawn; the query is not.
    assert "Japan" in names and "title:NATO" not in names
    assert any(n and n.startswith("Topic: ") for n in names)


def test_a_query_line_follows_the_outlet_country_filter(built_warehouse: BuiltWarehouse,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    con = connect_reader(built_warehouse.published)
    try:
        country_of = dict(con.execute("SELECT source_id, country FROM sources").fetchall())
    finally:
        con.close()
    titles = _nato_titles(built_warehouse.ledger)
    country = Counter(country_of[a["source"]] for a in titles).most_common(1)[0][0]
    expected = Counter(_monday(a["published"]) for a in titles
                       if country_of[a["source"]] == country)
    assert 0 < sum(expected.values()) < len(titles)
    at = run_page("trends", built_warehouse.data_dir, monkeypatch, entities="japan",
                  period="week", measure="articles", countries=country, q="title:NATO")
    shown = trace(figure(at), "title:NATO")
    assert {w: v for w, v in shown.items() if v} == {w: float(n) for w, n in expected.items()}
