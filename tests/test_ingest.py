"""The ingest flow on the demo web, checked against the generator's ledger."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from blocwatch.config import load_sources
from tests.conftest import BuiltWarehouse, PrefectServer, run_ingest
from warehouse.db import connect_reader

LOG_TABLES = {"runs", "run_sources"}


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def con(built_warehouse: BuiltWarehouse) -> duckdb.DuckDBPyConnection:
    c = connect_reader(built_warehouse.published)
    yield c
    c.close()


def test_articles_are_exactly_the_ledger_urls(con: duckdb.DuckDBPyConnection,
                                             built_warehouse: BuiltWarehouse) -> None:
    stored = [r[0] for r in q(con, "SELECT url FROM articles ORDER BY url")]
    ledger = sorted(a["url"] for a in built_warehouse.ledger["articles"])
    assert len(stored) == len(set(stored))
    assert stored == ledger


def test_body_mentions_per_entity_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                                  built_warehouse: BuiltWarehouse) -> None:
    expected: Counter[str] = Counter()
    for a in built_warehouse.ledger["articles"]:
        expected.update(a["mentions"])
    stored = dict(q(con, "SELECT entity_id, sum(body_count) FROM mentions GROUP BY 1"))
    entities = [r[0] for r in q(con, "SELECT entity_id FROM entities")]
    for e in entities:
        assert stored.get(e, 0) == expected.get(e, 0), e
    assert sum(expected.values()) > 1000


def test_each_article_mentions_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                               built_warehouse: BuiltWarehouse) -> None:
    stored: dict[str, dict[str, int]] = {}
    for url, entity, n in q(con, "SELECT a.url, m.entity_id, m.body_count FROM mentions m "
                                 "JOIN articles a USING (article_id) WHERE m.body_count > 0"):
        stored.setdefault(url, {})[entity] = n
    wrong = [a["url"] for a in built_warehouse.ledger["articles"]
             if stored.get(a["url"], {}) != {k: v for k, v in a["mentions"].items() if v}]
    assert wrong == []


def test_same_sentence_co_mentions_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                                   built_warehouse: BuiltWarehouse) -> None:
    expected: Counter[str] = Counter()
    for a in built_warehouse.ledger["articles"]:
        expected.update(a.get("co_sentence", {}))
    stored = {f"{a}|{b}": n for a, b, n in q(
        con, "SELECT entity_a, entity_b, sum(sentence_count) FROM co_mentions GROUP BY ALL")}
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in expected.items() if v}


def test_publication_dates_match_the_ledger(con: duckdb.DuckDBPyConnection,
                                           built_warehouse: BuiltWarehouse) -> None:
    stored = {u: str(d) for u, d in q(con, "SELECT url, published FROM articles")}
    ledger = built_warehouse.ledger["articles"]
    right = sum(stored.get(a["url"]) == a["published"] for a in ledger)
    assert right / len(ledger) >= 0.99


def test_run_is_recorded(con: duckdb.DuckDBPyConnection,
                         built_warehouse: BuiltWarehouse) -> None:
    n = len(built_warehouse.ledger["articles"])
    rows = q(con, "SELECT status, discovered, new, loaded, failed FROM runs")
    assert rows[0] == ("completed", n, n, n, 0)
    summary = built_warehouse.summary
    assert (summary["discovered"], summary["new"], summary["loaded"]) == (n, n, n)
    fl = dict(q(con, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1"))
    assert fl == {"loaded": n}


def test_task_runs_are_per_batch_not_per_article(built_warehouse: BuiltWarehouse,
                                                 prefect_server: PrefectServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    con = connect_reader(built_warehouse.published)
    flow_run_id = q(con, "SELECT prefect_flow_run_id FROM runs ORDER BY started_at LIMIT 1")[0][0]
    con.close()

    async def count() -> int:
        async with get_client() as client:
            runs = await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            return len(runs)

    batch = load_sources(built_warehouse.corpus_dir / "sources.yaml").settings.batch_size
    n = len(built_warehouse.ledger["articles"])
    # discover + one per batch + publish
    assert asyncio.run(count()) == 2 + math.ceil(n / batch)


def test_second_run_adds_nothing(built_warehouse: BuiltWarehouse, tmp_path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    con = connect_reader(data / "blocwatch.duckdb")
    tables = [r[0] for r in q(con, "SELECT table_name FROM duckdb_tables()")]
    before = {t: q(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608
    con.close()
    summary = run_ingest(built_warehouse.corpus_dir, data)
    assert (summary["new"], summary["loaded"], summary["failed"]) == (0, 0, 0)
    con = connect_reader(data / "blocwatch.duckdb")
    after = {t: q(con, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608
    n_sources = q(con, "SELECT count(*) FROM sources")[0][0]
    con.close()
    for t in tables:
        if t not in LOG_TABLES:
            assert after[t] == before[t], t
    # The log tables record the run itself: one run, one row per outlet.
    assert after["runs"] == before["runs"] + 1
    assert after["run_sources"] == before["run_sources"] + n_sources


# --- counting right: languages, dates, stories (migration 003) ------------------------------

def test_languages_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                    built_warehouse: BuiltWarehouse) -> None:
    stored = {u: lang for u, lang in q(con, "SELECT url, language FROM articles")}
    ledger = built_warehouse.ledger
    assert {a["url"]: a["language"] for a in ledger["articles"]} == stored
    assert {lang for lang in stored.values()} == {"en", "ja", "ko", "ru", "zh"}
    # The outlet whose pages declare the wrong language: detection corrects every page,
    # and the declaration is kept for the record.
    (source, claim), = ledger["misdeclared"].items()
    rows = q(con, "SELECT DISTINCT declared_language, detected_language, language, "
                  "language_source FROM articles WHERE source_id = ?", [source])
    assert rows == [(claim["declared"], claim["actual"], claim["actual"], "detected")]
    mismatched = q(con, "SELECT source_id, sum(articles) FROM language_checks "
                        "WHERE declared_language <> detected_language GROUP BY 1")
    assert mismatched == [(source, sum(a["source"] == source for a in ledger["articles"]))]


def test_dates_and_their_source_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                                 built_warehouse: BuiltWarehouse) -> None:
    """Every day equals the ledger's. The feed wins wherever it is dated (it outweighs the
    page), the URL where only it is; a date found only in one place is one source's, a
    page-dated article's is confirmed by at least feed, URL and the page's metadata."""
    rows = q(con, "SELECT url, published, date_source, date_agree, date_disagree "
                  "FROM articles")
    ledger = {a["url"]: a for a in built_warehouse.ledger["articles"]}
    assert {u: str(d) for u, d, *_ in rows} == {u: a["published"] for u, a in ledger.items()}
    assert {u: s for u, _, s, *_ in rows} == {
        u: "url" if a["date_in"] == "url" else "feed" for u, a in ledger.items()}
    support = {u: (agree, disagree) for u, _, _, agree, disagree in rows}
    by_place: dict[str, set[tuple[int, int]]] = {}
    for u, a in ledger.items():
        by_place.setdefault(a["date_in"], set()).add(support[u])
    assert set(by_place) == {"page", "feed", "url"}
    assert by_place["url"] == {(1, 0)}
    # Feed-only pages: the feed alone, or the feed and the URL where the page's own date
    # was a bogus one (dropped by the sanity rules, so nothing disagrees).
    assert by_place["feed"] == {(1, 0), (2, 0)}
    assert all(agree >= 3 and disagree == 0 for agree, disagree in by_place["page"])


def test_stories_equal_the_ledger(con: duckdb.DuckDBPyConnection,
                                  built_warehouse: BuiltWarehouse) -> None:
    """Syndicated copies (new headline, lead and closing paragraph) share a story_id, every
    other article is a story of its own, and a story's id is its smallest article_id."""
    rows = q(con, "SELECT url, article_id, story_id FROM articles")
    by_story: dict[int, set[str]] = {}
    for url, _aid, sid in rows:
        by_story.setdefault(sid, set()).add(url)
    expected: dict[str, set[str]] = {}
    for a in built_warehouse.ledger["articles"]:
        expected.setdefault(a["story"], set()).add(a["url"])
    assert sorted(map(sorted, by_story.values())) == sorted(map(sorted, expected.values()))
    assert any(len(v) > 1 for v in expected.values())
    ids = {url: aid for url, aid, _ in rows}
    for sid, urls in by_story.items():
        assert sid == min(ids[u] for u in urls)
    assert q(con, "SELECT count(*) FROM stories")[0][0] == len(expected)
    assert q(con, "SELECT count(*) FROM article_signatures")[0][0] == len(rows)


def test_story_counts_in_the_views(con: duckdb.DuckDBPyConnection,
                                   built_warehouse: BuiltWarehouse) -> None:
    ledger = built_warehouse.ledger["articles"]
    for entity in ("japan", "nato", "united_states"):
        articles = [a for a in ledger if a["mentions"].get(entity)
                    or a["title_mentions"].get(entity)]
        by_day: dict[tuple[str, str], set[str]] = {}
        for a in articles:
            by_day.setdefault((a["published"], a["language"]), set()).add(a["story"])
        stored = {(str(d), lang): (n, s) for d, lang, n, s in q(
            con, "SELECT day, language, articles, stories FROM daily_story_mentions "
                 "WHERE entity_id = ?", [entity])}
        counts: dict[tuple[str, str], int] = {}
        for a in articles:
            key = (a["published"], a["language"])
            counts[key] = counts.get(key, 0) + 1
        assert stored == {k: (counts[k], len(v)) for k, v in by_day.items()}, entity


def test_stories_rebuilt_from_signatures_are_the_same(built_warehouse: BuiltWarehouse,
                                                      tmp_path) -> None:
    """The incremental assignment (batch by batch) equals a rebuild over everything."""
    import shutil

    from warehouse.db import connect_writer
    from warehouse.stories import rebuild_stories

    shutil.copy(built_warehouse.data_dir / "work.duckdb", tmp_path / "w.duckdb")
    con = connect_writer(tmp_path / "w.duckdb")
    try:
        before = q(con, "SELECT article_id, story_id FROM articles ORDER BY 1")
        con.execute("BEGIN TRANSACTION")
        assert rebuild_stories(con) == 0
        con.execute("ROLLBACK")
        assert q(con, "SELECT article_id, story_id FROM articles ORDER BY 1") == before
    finally:
        con.close()


def test_keywords_explain_the_burst(con: duckdb.DuckDBPyConnection,
                                    built_warehouse: BuiltWarehouse) -> None:
    """The multi-outlet burst is about a pact: the distinctive terms of the week's articles
    naming its entities, against the four weeks before, say so, and the keyword-in-context
    lines show it."""
    from datetime import date, timedelta

    from warehouse.analysis import baseline_before, distinctive_terms, keyword_in_context

    burst = next(b for b in built_warehouse.ledger["bursts"] if b["kind"] == "multi_outlet")
    start = date.fromisoformat(burst["week_start"])
    end = start + timedelta(days=6)
    for entity in burst["entities"]:
        for unit in ("story", "article"):
            terms = distinctive_terms(con, entity, start, end, *baseline_before(start, end),
                                      unit=unit)
            assert terms["term"].iloc[0] == burst["keyword"], (entity, unit, terms.head())
            assert terms["z"].is_monotonic_decreasing
        lines = keyword_in_context(con, entity, burst["keyword"], start, end, limit=50)
        assert len(lines) >= burst["articles"] // 2
        assert set(lines["keyword"].str.lower()) == {burst["keyword"]}
        assert all(start <= d.date() <= end for d in lines["published"])


def test_trends_count_each_story_once(con: duckdb.DuckDBPyConnection,
                                      built_warehouse: BuiltWarehouse,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The Trends page's "count: stories" series: per week, the distinct stories naming the
    entity and all distinct stories, as the ledger's story groups say; and the page draws
    it, titled in stories."""
    from datetime import date, timedelta

    from dashboard import queries
    from dashboard.filters import Filters

    ledger = built_warehouse.ledger["articles"]

    def week(day: str) -> str:
        d = date.fromisoformat(day)
        return (d - timedelta(days=d.weekday())).isoformat()

    naming: dict[str, set[str]] = {}
    everything: dict[str, set[str]] = {}
    for a in ledger:
        everything.setdefault(week(a["published"]), set()).add(a["story"])
        if a["mentions"].get("nato") or a["title_mentions"].get("nato"):
            naming.setdefault(week(a["published"]), set()).add(a["story"])
    df = queries.story_series(con, Filters(), [["nato"]], "week")
    got = {p.date().isoformat(): (n, t) for p, n, t in
           zip(df["period"], df["articles"], df["total"], strict=True) if t}
    assert got == {w: (len(naming.get(w, ())), len(s)) for w, s in everything.items()}
    articles = queries.series(con, Filters(), [["nato"]], "week")
    assert articles["articles"].sum() > df["articles"].sum()  # copies counted once

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BLOCWATCH_DATA", str(built_warehouse.data_dir))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "views"
                               / "trends.py"), default_timeout=90)
    at.query_params.update({"entities": "nato", "measure": "articles", "count": "stories",
                            "period": "week"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="tr_count").value == "stories"
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "Stories naming each entity, by week"
    table = next(d.value for d in at.dataframe if "all_stories" in d.value.columns)
    assert int(table["stories"].sum()) == sum(len(v) for v in naming.values())
