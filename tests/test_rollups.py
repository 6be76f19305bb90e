"""Rollup tables (migrations 004-006): maintained at load time, equal to the base tables.

The warehouse under test is the one the real flow built from the demo corpus
(built_warehouse). Every rollup is checked against a GROUP BY over the base tables, the
views against their original article-level definitions, and each dashboard query that reads
rollups against an article-level computation of the same thing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries
from dashboard.filters import Filters
from tests.conftest import BuiltWarehouse
from warehouse import rollups
from warehouse.db import connect_reader, connect_writer, migrations
from warehouse.rollups import ROLLUP_TABLES, rebuild_rollups

# The analyst views as 001 defined them, over the base tables.
ORIGINAL_VIEWS = {
    "daily_articles": """
        SELECT published AS day, source_id, count(*) AS articles
        FROM articles WHERE published IS NOT NULL AND duplicate_of IS NULL GROUP BY ALL""",
    "daily_mentions": """
        SELECT a.published AS day, m.entity_id, a.source_id, count(*) AS articles,
               sum(m.body_count + m.title_count) AS mentions
        FROM mentions m JOIN articles a USING (article_id)
        WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL GROUP BY ALL""",
    "weekly_co_mentions": """
        SELECT date_trunc('week', a.published)::DATE AS week, c.entity_a, c.entity_b,
               count(*) AS articles, sum(c.sentence_count) AS sentences
        FROM co_mentions c JOIN articles a USING (article_id)
        WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL GROUP BY ALL""",
}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


# The entity-set masks depend on the order in which entities got their bits (a rebuild
# renumbers them): compare the sets they stand for, each entity with its mentions. Load
# batches append their own keyword rows (one key, several rows): compare the sums.
_DECODED = {"rollup_daily_entity_sets": """
    SELECT day, source_id, language, articles, list_sort(list_zip(entities, mentions))
    FROM rollup_daily_entity_sets""",
            "rollup_weekly_keywords": """
    SELECT entity_id, week, language, term, sum(articles), sum(count)
    FROM rollup_weekly_keywords GROUP BY ALL"""}


def _rollups(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {t: _rows(con, _DECODED.get(t, f"SELECT * FROM {t}"))  # noqa: S608
            for t in ROLLUP_TABLES}


@pytest.fixture(scope="module")
def con(built_warehouse: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect_reader(built_warehouse.published)
    yield c
    c.close()


@pytest.fixture(scope="module")
def scratch(built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the built warehouse."""
    path = tmp_path_factory.mktemp("rollups") / "copy.duckdb"
    shutil.copyfile(built_warehouse.published, path)
    return path


def test_incremental_rollups_equal_a_rebuild(scratch: Path) -> None:
    con = connect_writer(scratch)
    try:
        loaded = _rollups(con)
        assert all(loaded[t] for t in ROLLUP_TABLES)
        con.execute("BEGIN TRANSACTION")
        rebuild_rollups(con)
        con.execute("COMMIT")
        assert _rollups(con) == loaded
    finally:
        con.close()


def test_migration_backfills_an_existing_warehouse(scratch: Path) -> None:
    con = connect_writer(scratch)
    try:
        expected = _rollups(con)
        # Undo 004-006 and 010 as far as data goes, then apply their SQL again: the
        # backfills must rebuild the same rollups from the base tables.
        con.execute("BEGIN TRANSACTION")
        for t in (*ROLLUP_TABLES, "entity_bits"):
            con.execute(f"DROP TABLE {t} CASCADE")  # noqa: S608
        for version, _, sql in migrations():
            if version in (4, 5, 6, 10):
                con.execute(sql)
        con.execute("COMMIT")
        assert _rollups(con) == expected
    finally:
        con.close()


@pytest.mark.parametrize("view", sorted(ORIGINAL_VIEWS))
def test_views_equal_their_original_definitions(con: duckdb.DuckDBPyConnection,
                                                view: str) -> None:
    assert _rows(con, f"SELECT * FROM {view}") == _rows(con, ORIGINAL_VIEWS[view])  # noqa: S608


def test_view_types_are_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    types = {(r[0], r[1]): r[2] for r in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE table_name IN ('daily_articles', 'daily_mentions', 'daily_share', "
        "'weekly_co_mentions')").fetchall()}
    assert types[("daily_articles", "articles")] == "BIGINT"
    assert types[("daily_mentions", "articles")] == "BIGINT"
    assert types[("daily_mentions", "mentions")] == "HUGEINT"
    assert types[("daily_share", "share")] == "DOUBLE"
    assert types[("weekly_co_mentions", "sentences")] == "HUGEINT"


def _filters(con: duckdb.DuckDBPyConnection) -> list[Filters]:
    lo, hi = con.execute("SELECT min(day), max(day) FROM daily_articles").fetchone()
    outlets = tuple(r[0] for r in con.execute(
        "SELECT source_id FROM daily_articles GROUP BY 1 ORDER BY sum(articles) DESC LIMIT 2"
    ).fetchall())
    mid = lo + (hi - lo) / 3
    return [Filters(), Filters(start=mid, end=hi - timedelta(days=40), sources=outlets),
            Filters(countries=("JP",), languages=("en",)),
            Filters(start=date(2026, 7, 6), end=date(2026, 7, 12))]


def _article_level(con: duckdb.DuckDBPyConnection, f: Filters, select: str) -> pd.DataFrame:
    """Run ``select`` against the article-level ``filtered`` CTE of the dashboard."""
    folder = Path(queries.__file__).parent
    cte = (folder / "_filtered.sql").read_text(encoding="utf-8")
    text = f"WITH {cte}\n{select}"
    return con.execute(
        text, {k: v for k, v in queries.filter_params(f).items() if f"${k}" in text}).df()


def test_aggregates_equal_article_level_counts(con: duckdb.DuckDBPyConnection) -> None:
    for f in _filters(con):
        expected = _article_level(con, f, "SELECT count(*) AS n FROM filtered")["n"].iloc[0]
        assert queries.count_articles(con, f) == expected, f
        totals = _article_level(con, f, """
            SELECT m.entity_id, count(*) AS articles,
                   sum(m.body_count + m.title_count)::BIGINT AS mentions
            FROM filtered JOIN mentions m USING (article_id)
            GROUP BY 1 ORDER BY articles DESC, 1""")
        got = queries.entity_totals(con, f)
        assert got.values.tolist() == totals.values.tolist(), f
        assert queries.top_entities(con, f, 3) == totals["entity_id"].tolist()[:3]
        for level in queries.LEVELS:
            pairs = _article_level(con, f, f"""
                SELECT c.entity_a, c.entity_b, count(*) AS articles,
                       sum(c.sentence_count)::BIGINT AS sentences
                FROM co_mentions c JOIN filtered USING (article_id)
                WHERE '{level}' = 'article' OR c.sentence_count > 0
                GROUP BY ALL ORDER BY articles DESC, 1, 2""")  # noqa: S608
            got = queries.co_mention_pairs(con, f, level)
            assert got.values.tolist() == pairs.values.tolist(), (f, level)
        for period in queries.PERIODS:
            per = _article_level(con, f, f"""
                SELECT date_trunc('{period}', day)::DATE AS period, source_id, count(*) AS n
                FROM filtered GROUP BY ALL ORDER BY ALL""")  # noqa: S608
            got = queries.outlet_series(con, f, period)
            assert sorted(zip(got["period"].dt.date, got["source_id"], got["articles"],
                              strict=True)) == sorted(
                zip(pd.to_datetime(per["period"]).dt.date, per["source_id"], per["n"],
                    strict=True))


@pytest.mark.parametrize("split", queries.SPLITS)
def test_series_from_rollups_equals_the_article_level_query(con: duckdb.DuckDBPyConnection,
                                                             split: str) -> None:
    # Sets of one entity, pairs (headline-only mentions included: the pair rollup counts
    # articles naming both anywhere) and larger sets (one with an entity no article names),
    # against the article-level set logic.
    sets = [["japan"], ["nato"], ["aukus"], ["nato", "japan"], ["aukus", "quad"],
            ["china", "russia"], ["japan", "nato", "aukus"], ["quad", "china", "aukus"],
            ["china", "russia", "brics", "sco"], ["japan", "nato", "no-such-entity"]]
    assert con.execute("SELECT count(*) FROM entity_bits WHERE bit IS NULL").fetchone()[0] == 0
    for f in _filters(con):
        for period in queries.PERIODS:
            for match in queries.MATCHES:
                params = {**queries.filter_params(f), "sets": sets, "period": period,
                          "split": split, "match": match}
                fast = queries.run(con, "series", params)
                slow = queries.run(con, "series_sets", params)
                pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def test_listings_with_rollup_bounds_equal_full_reads(con: duckdb.DuckDBPyConnection) -> None:
    for f in _filters(con):
        for ents in [(), ("nato",), ("brics",), ("nato", "japan"), ("aukus", "quad"),
                     ("japan", "nato", "aukus"), ("china", "russia", "brics", "sco"),
                     ("japan", "nato", "no-such-entity")]:
            for match in queries.MATCHES:
                for limit in (1, 5, 500):
                    fast = queries.article_list(con, f, ents, match, limit=limit)
                    slow = queries.run(con, "article_list", {
                        **queries.filter_params(f), "entities": list(ents), "match": match,
                        "ids": None, "limit": limit, "since": None, "matches": None})
                    pd.testing.assert_frame_equal(
                        fast, slow.drop(columns=["language", "text"]), check_dtype=False)
        for level in queries.LEVELS:
            for limit in (1, 3, 500):
                fast = queries.pair_articles(con, f, "japan", "nato", level, limit)
                slow = queries.run(con, "pair_articles", {
                    **queries.filter_params(f), "a": "nato", "b": "japan", "level": level,
                    "limit": limit, "since": None})
                pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
        terms = con.execute("SELECT term FROM keywords GROUP BY 1 ORDER BY count(*) DESC "
                            "LIMIT 3").fetchall()
        for (term,) in terms:
            for limit in (1, 4, 40):
                fast = queries.kwic_articles(con, f, "japan", term, limit)
                slow = queries.run(con, "kwic_articles", {
                    **queries.filter_params(f), "entity": "japan", "term": term,
                    "limit": limit, "since": None})
                pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def test_outlet_health_equals_the_fetch_log(con: duckdb.DuckDBPyConnection) -> None:
    got = queries.outlet_health(con, Filters(), 10)
    log = con.execute("""
        SELECT source_id, count(*) AS tried,
               count(*) FILTER (WHERE outcome NOT IN ('loaded', 'duplicate')) AS failed,
               max(fetched_at) FILTER (WHERE outcome IN ('loaded', 'duplicate')) AS ok
        FROM fetch_log GROUP BY 1""").df().set_index("source_id")
    arts = con.execute("SELECT source_id, count(*) AS n, max(published) AS last "
                       "FROM articles WHERE duplicate_of IS NULL GROUP BY 1"
                       ).df().set_index("source_id")
    for row in got.itertuples():
        if row.source_id in log.index:
            assert row.tried == log.loc[row.source_id, "tried"]
            assert row.failed == log.loc[row.source_id, "failed"]
            assert pd.Timestamp(row.last_success) == pd.Timestamp(log.loc[row.source_id, "ok"])
        if row.source_id in arts.index:
            assert row.articles == arts.loc[row.source_id, "n"]
            assert pd.Timestamp(row.last_published) == pd.Timestamp(
                arts.loc[row.source_id, "last"])


def test_a_headline_only_mention_counts_in_pair_sets(built_warehouse: BuiltWarehouse,
                                                     tmp_path: Path) -> None:
    # Text-only co-mentions would miss an article naming one member in its headline alone;
    # the pair rollup must not.
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse.published, path)
    con = connect_writer(path)
    try:
        article = con.execute("""
            SELECT a.article_id FROM articles a JOIN mentions m USING (article_id)
            WHERE m.entity_id = 'aukus' AND a.duplicate_of IS NULL AND a.published IS NOT NULL
              AND a.article_id NOT IN (SELECT article_id FROM mentions WHERE entity_id = 'quad')
            ORDER BY 1 LIMIT 1""").fetchone()[0]
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO mentions VALUES (?, 'quad', 0, 1, true, NULL)", [article])
        rebuild_rollups(con)
        con.execute("COMMIT")
        both = con.execute("SELECT sum(articles) FROM rollup_daily_pairs "
                           "WHERE entity_a = 'aukus' AND entity_b = 'quad'").fetchone()[0]
        assert both == con.execute("""
            SELECT count(*) FROM mentions m1 JOIN mentions m2 USING (article_id)
            JOIN articles a USING (article_id)
            WHERE m1.entity_id = 'aukus' AND m2.entity_id = 'quad'
              AND a.duplicate_of IS NULL AND a.published IS NOT NULL""").fetchone()[0]
        for match in queries.MATCHES:
            params = {**queries.filter_params(Filters()), "sets": [["quad", "aukus"]],
                      "period": "week", "split": "none", "match": match}
            pd.testing.assert_frame_equal(queries.run(con, "series", params),
                                          queries.run(con, "series_sets", params),
                                          check_dtype=False)
    finally:
        con.close()


def test_sets_beyond_the_mask_bits_are_counted_from_the_mentions(
        built_warehouse: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With only 4 bits, most entities get none: a set containing one must still be counted
    # right (from the mentions), and a set of masked entities right from masks that leave
    # out every other entity of an article.
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse.published, path)
    monkeypatch.setattr(rollups, "ENTITY_BITS", 4)
    con = connect_writer(path)
    try:
        con.execute("BEGIN TRANSACTION")
        rebuild_rollups(con)
        con.execute("COMMIT")
        masked = [r[0] for r in con.execute(
            "SELECT entity_id FROM entity_bits WHERE bit IS NOT NULL ORDER BY bit").fetchall()]
        unmasked = con.execute("SELECT count(*) FROM entity_bits WHERE bit IS NULL"
                               ).fetchone()[0]
        assert len(masked) == 4 and unmasked > 0
        assert max(len(r[0]) for r in con.execute(
            "SELECT entities FROM rollup_daily_entity_sets").fetchall()) <= 4
        statements: list[str] = []
        real_run = queries.run

        def recording_run(c: duckdb.DuckDBPyConnection, name: str,
                          params: dict) -> pd.DataFrame:
            statements.append(name)
            return real_run(c, name, params)

        monkeypatch.setattr(queries, "run", recording_run)
        for sets, path_taken in (([masked[:3], masked], "series"),
                                 ([masked[:2] + ["nato"]], "series_sets")):
            assert "nato" not in masked
            for match in queries.MATCHES:
                statements.clear()
                got = queries.series(con, Filters(), sets, "month", "outlet", match)
                assert statements[-1] == path_taken
                slow = real_run(con, "series_sets", {
                    **queries.filter_params(Filters()), "sets": sets, "period": "month",
                    "split": "outlet", "match": match})
                slow["period"] = pd.to_datetime(slow["period"])
                assert match == "all" or got["articles"].sum() > 0
                pd.testing.assert_frame_equal(got, slow, check_dtype=False)
        for ents, bounded in ((masked[:3], True), (masked[:2] + ["nato"], False)):
            for match in queries.MATCHES:
                statements.clear()
                got = queries.article_list(con, Filters(), ents, match, limit=5)
                assert ("article_list_bounds" in statements) is bounded
                slow = real_run(con, "article_list", {
                    **queries.filter_params(Filters()), "entities": ents, "match": match,
                    "ids": None, "limit": 5, "since": None, "matches": None})
                pd.testing.assert_frame_equal(got, slow.drop(columns=["language", "text"]),
                                              check_dtype=False)
    finally:
        con.close()


def test_keyword_terms_from_the_rollup_equal_the_article_level_query(
        con: duckdb.DuckDBPyConnection) -> None:
    # Windows ending on every weekday, of whole and partial weeks, shorter than a week,
    # with and without a language filter (the rollup's own) and an outlet filter (read from
    # the articles): the weekly rollup plus the edge days must count what reading every
    # article's keywords counts.
    last = con.execute("SELECT max(day) FROM daily_articles").fetchone()[0]
    outlet = con.execute("SELECT source_id FROM daily_articles GROUP BY 1 "
                         "ORDER BY sum(articles) DESC LIMIT 1").fetchone()[0]
    checked = 0
    for entity in ("japan", "nato"):
        for days in (91, 28, 9, 3):
            for shift in range(0, 7, 2 if days < 28 else 1):
                end = last - timedelta(days=shift)
                for extra in ({}, {"languages": ("en",)}, {"sources": (outlet,)}):
                    f = Filters(start=end - timedelta(days=days - 1), end=end, **extra)
                    got, w_arts, b_arts = queries.keyword_terms(con, f, entity)
                    b_start, _ = queries.baseline_window(f.start, f.end)
                    slow = queries.run(con, "keyword_terms_days", {
                        **queries.filter_params(f.with_dates(b_start, f.end)),
                        "window_start": f.start, "entity": entity})
                    pd.testing.assert_frame_equal(got, slow, check_dtype=False)
                    checked += int(not got.empty)
    assert checked > 20


def test_settling_the_keyword_rollup_keeps_its_sums(built_warehouse: BuiltWarehouse,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(built_warehouse.published, path)
    con = connect_writer(path)
    try:
        before = _rows(con, _DECODED["rollup_weekly_keywords"])
        con.execute("BEGIN TRANSACTION")
        # A batch appended again: keys with two rows, as after several load batches.
        con.execute("INSERT INTO rollup_weekly_keywords SELECT * FROM rollup_weekly_keywords "
                    "WHERE entity_id = 'japan'")
        doubled = con.execute("SELECT count(*) FROM rollup_weekly_keywords").fetchone()[0]
        rows = rollups.settle_keywords(con)
        con.execute("COMMIT")
        assert rows == len(before) < doubled
        assert con.execute("SELECT count(DISTINCT (entity_id, week, language, term)) "
                           "FROM rollup_weekly_keywords").fetchone()[0] == rows
        after = {r[:4]: r[4:] for r in _rows(con, _DECODED["rollup_weekly_keywords"])}
        for r in before:
            assert after[r[:4]] == ((r[4] * 2, r[5] * 2) if r[0] == "japan" else r[4:])
        order = [r[0] for r in con.execute("SELECT entity_id FROM rollup_weekly_keywords "
                                           "ORDER BY rowid").fetchall()]
        assert order == sorted(order)
    finally:
        con.close()
