# ruff: noqa: S608 - the SQL below is built from this module's constants and integers only
"""Synthetic warehouses of any size, generated directly in DuckDB, and the time of every
query the dashboard issues on them.

The growth modelled is more coverage of the same calendar: the same outlets, entities and
days (the demo's 570 days, 10 outlets, the shipped taxonomy), ten times more articles.
That is what rollups must absorb: an aggregate's input is bounded by days x outlets x
entities, while the article tables grow tenfold. Article ids follow publication order
(with a few days of jitter), as routine ingest appends them, so a selective date predicate
skips older row groups.

Per article: 9-12 entities (10.5 on average: 10.5M mention rows at 1M articles), every pair
of them as a co-mention (about 50M rows at 1M), 15 keywords from a skewed 4,999-term
vocabulary, one fetch_log row (plus 2% failures), 1% exact duplicates, 0.5% undated.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from blocwatch.taxonomy import load_taxonomy
from dashboard import queries
from dashboard.filters import Filters
from warehouse.db import connect_reader, connect_writer
from warehouse.rollups import rebuild_rollups

FIRST_DAY = date(2025, 5, 1)
DAYS = 570
VOCABULARY = 4999  # prime: (o + j * s) mod p visits distinct terms
SOURCES = [("src00", "JP", "en"), ("src01", "US", "en"), ("src02", "RU", "en"),
           ("src03", "CN", "en"), ("src04", "KR", "en"), ("src05", "AU", "en"),
           ("src06", "GB", "en"), ("src07", "IN", "en"), ("src08", "JP", "ja"),
           ("src09", "RU", "ru")]
KINDS = ("state media", "wire", "national press", "regional press")


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(path: Path, n_articles: int, taxonomy_file: Path,
             memory_limit: str = "4GB") -> dict[str, Any]:
    """Write a synthetic warehouse of ``n_articles`` at ``path``; return its row counts."""
    started = time.perf_counter()
    taxonomy = load_taxonomy(taxonomy_file)
    entity_ids = [e.id for e in taxonomy.entities]
    n_ent = len(entity_ids)
    # (o + j * st) mod n visits distinct entities only when st and n are coprime.
    coprime = [k for k in range(1, n_ent) if math.gcd(k, n_ent) == 1]
    strides = "[" + ", ".join(map(str, coprime)) + "]"
    con = connect_writer(path)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    ents = _sql_list(entity_ids)
    src_ids = _sql_list([s[0] for s in SOURCES])
    langs = _sql_list([s[2] for s in SOURCES])
    n = int(n_articles)
    try:
        con.execute("BEGIN TRANSACTION")
        for i, (sid, country, lang) in enumerate(SOURCES):
            con.execute("INSERT INTO sources (source_id, name, homepage, country, language, kind, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, current_timestamp)",
                        [sid, f"Outlet {i}", f"https://{sid}.example/", country, lang,
                         KINDS[i % len(KINDS)]])
        for e in taxonomy.entities:
            con.execute("INSERT INTO entities (entity_id, name, kind, group_name, description) "
                        "VALUES (?, ?, ?, ?, ?)",
                        [e.id, e.name, e.kind, e.group, e.description])
        for a in taxonomy.aliases:
            con.execute("INSERT INTO entity_aliases (entity_id, alias, case_rule, match_rule, "
                        "lang) VALUES (?, ?, ?, ?, ?)",
                        [a.entity_id, a.text, a.case, a.match, a.lang])
        # Articles in id order = publication order with +-2 days of jitter.
        con.execute(f"""
            INSERT INTO articles (article_id, source_id, url, fetched_url, title, author,
                published, date_source, fetched_at, language, sitename, text, word_count,
                content_hash, duplicate_of, run_id)
            SELECT id, {src_ids}[s + 1], url, url,
                   'Synthetic headline ' || id, 'Staff writer', day, 'page',
                   coalesce(day, DATE '{FIRST_DAY}')::TIMESTAMP + INTERVAL 6 HOUR,
                   {langs}[s + 1], 'Outlet ' || s,
                   'Synthetic article ' || id || '. ' || repeat(
                       'Officials and analysts discussed regional security and trade. ', 5),
                   60, md5(id::VARCHAR),
                   CASE WHEN hash(id, 3) % 100 = 0 AND id > 1 THEN id - 1 END,
                   'run-' || coalesce(day - DATE '{FIRST_DAY}', 0)
            FROM (
                SELECT id, (hash(id, 1) % {len(SOURCES)})::INT AS s,
                       'https://src' || (hash(id, 1) % {len(SOURCES)}) || '.example/a/' || id
                           AS url,
                       CASE WHEN hash(id, 8) % 200 <> 0 THEN DATE '{FIRST_DAY}'
                            + least({DAYS - 1}, greatest(0, (id * {DAYS} // {n})::INT
                                    + (hash(id, 2) % 5)::INT - 2)) END AS day
                FROM range(1, {n + 1}) t(id)
            )
            ORDER BY id""")
        con.execute(f"""
            CREATE TEMP TABLE picks AS
            SELECT article_id, (9 + hash(article_id, 4) % 4)::INT AS k,
                   (hash(article_id, 5) % {n_ent})::INT AS o,
                   {strides}[(hash(article_id, 6) % {len(coprime)})::INT + 1] AS st
            FROM articles ORDER BY article_id""")
        con.execute(f"""
            INSERT INTO mentions (article_id, entity_id, body_count, title_count, in_title,
                                  first_offset)
            SELECT article_id, {ents}[(o + j * st) % {n_ent} + 1],
                   (1 + hash(article_id, j, 7) % 4)::INT,
                   (hash(article_id, j, 9) % 8 = 0)::INT,
                   hash(article_id, j, 9) % 8 = 0, 40 + j * 25
            FROM (SELECT article_id, o, st, unnest(range(k)) AS j FROM picks)""")
        con.execute(f"""
            INSERT INTO co_mentions (article_id, entity_a, entity_b, sentence_count)
            SELECT article_id, least(ea, eb), greatest(ea, eb),
                   (hash(article_id, i, j) % 3)::INT
            FROM (
                SELECT article_id, {ents}[(o + i * st) % {n_ent} + 1] AS ea,
                       {ents}[(o + j * st) % {n_ent} + 1] AS eb, i, j
                FROM (SELECT article_id, o, st, i, unnest(range(i + 1, k)) AS j
                      FROM (SELECT article_id, o, st, k, unnest(range(k - 1)) AS i
                            FROM picks)))""")
        con.execute(f"""
            INSERT INTO keywords (article_id, term, count, score)
            SELECT article_id, 'term' || ((o + j * st) % {VOCABULARY}),
                   (1 + hash(article_id, j, 11) % 5)::INT,
                   (1 + hash(article_id, j, 11) % 5) / 300.0
            FROM (SELECT article_id,
                         (({VOCABULARY} * pow((hash(article_id, 12) % 100000) / 100000.0, 4))
                             ::BIGINT) AS o,
                         (1 + hash(article_id, 13) % {VOCABULARY - 1})::BIGINT AS st,
                         unnest(range(15)) AS j
                  FROM articles)""")
        con.execute(f"""
            INSERT INTO runs (run_id, flow, prefect_flow_run_id, started_at, finished_at,
                status, discovered, new, fetched, failed, loaded, seconds, message)
            SELECT 'run-' || d, 'ingest', NULL,
                   DATE '{FIRST_DAY}' + d::INT + INTERVAL 6 HOUR,
                   DATE '{FIRST_DAY}' + d::INT + INTERVAL 7 HOUR, 'completed',
                   0, 0, 0, 0, 0, 60.0, NULL
            FROM range({DAYS}) t(d)""")
        con.execute("""
            INSERT INTO fetch_log (run_id, source_id, url, final_url, fetched_at,
                status_code, outcome, error, bytes, elapsed_ms, attempts)
            SELECT run_id, source_id, url, url, fetched_at, 200,
                   CASE WHEN duplicate_of IS NULL THEN 'loaded' ELSE 'duplicate' END,
                   NULL, 150000, 40, 1
            FROM articles ORDER BY article_id""")
        con.execute("""
            INSERT INTO fetch_log (run_id, source_id, url, final_url, fetched_at,
                status_code, outcome, error, bytes, elapsed_ms, attempts)
            SELECT run_id, source_id, url || '?broken', NULL, fetched_at, 503, 'http_error',
                   'HTTP 503 Service Unavailable', NULL, 2000, 3
            FROM articles WHERE hash(article_id, 14) % 50 = 0 ORDER BY article_id""")
        con.execute("""
            INSERT INTO run_sources (run_id, source_id, feeds_ok, feeds_failed, discovered,
                new, fetched, failed, loaded, error)
            SELECT r.run_id, s.source_id, 1, 0, 0, 0, 0, 0, 0, NULL
            FROM runs r, sources s""")
        con.execute("DROP TABLE picks")
        rebuild_rollups(con)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("articles", "mentions", "co_mentions", "keywords", "fetch_log",
                            "rollup_daily_mentions", "rollup_daily_co_mentions",
                            "rollup_daily_pairs", "rollup_daily_entity_sets",
                            "rollup_weekly_keywords")}
    finally:
        con.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["mb"] = round(path.stat().st_size / 1e6)
    return counts


# Queries whose work grows with the articles they must read, whatever the storage: noted
# in the results so a reader can tell them from the rollup-backed ones.
ARTICLE_LEVEL = {
    "keyword_terms_article_level": "before migration 010: term statistics read from every "
                                   "article naming the entity in the window",
    "keyword_terms_outlets": "an outlet filter: the keyword rollup has no outlet, so the "
                             "articles are read",
}


def dashboard_queries(con: duckdb.DuckDBPyConnection) -> dict[str, Callable[[], Any]]:
    """Every query the dashboard issues, with the parameters its pages use by default."""
    ov = queries.overview(con)
    first, last = ov["first_day"], ov["last_day"]
    f_all = Filters(start=first, end=last)
    top = queries.top_entities(con, f_all, 5)
    f_kw = Filters(start=last - timedelta(days=90), end=last)
    # The 13 weeks ending on the last Sunday: whole weeks, read from the rollup alone.
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    f_kw_weeks = Filters(start=sunday - timedelta(days=90), end=sunday)
    b_kw, _ = queries.baseline_window(f_kw.start, f_kw.end)
    kw_before = {**queries.filter_params(f_kw.with_dates(b_kw, f_kw.end)),
                 "window_start": f_kw.start}
    week_start = last - timedelta(days=last.weekday() + 14)
    f_week = Filters(start=week_start, end=week_start + timedelta(days=6))
    f_outlets = Filters(start=first, end=last, sources=("src01", "src02", "src03"))
    newest = int(queries.article_list(con, f_all, limit=1)["article_id"].iloc[0])
    pair = queries.co_mention_pairs(con, f_all, "article").iloc[0]
    terms, _, _ = queries.keyword_terms(con, f_kw, top[0])
    term = str(terms["term"].iloc[0]) if len(terms) else "term0"
    sets = [[e] for e in top]
    return {
        "entities": lambda: queries.entities(con),
        "sources": lambda: queries.sources(con),
        "languages": lambda: queries.languages(con),
        "overview": lambda: queries.overview(con),
        "count_articles": lambda: queries.count_articles(con, f_all),
        "top_entities": lambda: queries.top_entities(con, f_all, 5),
        "series_trends_week": lambda: queries.series(con, f_all, sets, "week"),
        "series_compare_country_month": lambda: queries.series(con, f_all, sets, "month",
                                                               "country"),
        "series_outlets_day": lambda: queries.series(con, f_outlets, sets[:2], "day",
                                                     "outlet"),
        "series_entity_set": lambda: queries.series(con, f_all, [top[:2]], "week"),
        "series_entity_set_3": lambda: queries.series(con, f_all, [top[:3]], "week"),
        "series_entity_set_3_all": lambda: queries.series(con, f_all, [top[:3]], "week",
                                                          match="all"),
        "article_list_default": lambda: queries.article_list(con, f_all),
        "article_list_entity_week": lambda: queries.article_list(con, f_week, (top[0],)),
        "article_list_entity_all_dates": lambda: queries.article_list(con, f_all, (top[0],)),
        "article_list_all_of": lambda: queries.article_list(con, f_all, tuple(top[:2]),
                                                            "all"),
        "article_list_any_of_3": lambda: queries.article_list(con, f_all, tuple(top[:3])),
        "article": lambda: queries.article(con, newest),
        "article_mentions": lambda: queries.article_mentions(con, newest),
        "aliases": lambda: queries.aliases(con, top),
        "co_mention_pairs_article": lambda: queries.co_mention_pairs(con, f_all, "article"),
        "co_mention_pairs_sentence": lambda: queries.co_mention_pairs(con, f_all, "sentence"),
        "entity_totals": lambda: queries.entity_totals(con, f_all, tuple(top)),
        "pair_articles": lambda: queries.pair_articles(con, f_all, pair["entity_a"],
                                                      pair["entity_b"]),
        "keyword_terms": lambda: queries.keyword_terms(con, f_kw, top[0]),
        "keyword_terms_whole_weeks": lambda: queries.keyword_terms(con, f_kw_weeks, top[0]),
        "keyword_terms_outlets": lambda: queries.keyword_terms(con, Filters(
            start=f_kw.start, end=f_kw.end, sources=("src01", "src02", "src03")), top[0]),
        "keyword_terms_article_level": lambda: queries.run(
            con, "keyword_terms_days", {**kw_before, "entity": top[0]}),
        "kwic_articles": lambda: queries.kwic_articles(con, f_kw, top[0], term),
        "outlet_series": lambda: queries.outlet_series(con, f_all, "week"),
        "outlet_health": lambda: queries.outlet_health(con, Filters(), 10),
        "recent_runs": lambda: queries.recent_runs(con, 20),
    }


def time_queries(paths: list[Path], repeats: int = 7) -> list[dict[str, float]]:
    """Warm median milliseconds of every dashboard query on each warehouse.

    The warehouses are timed in turn, query by query and round by round, so a burst of
    load from elsewhere on the machine hits every size alike and the ratios stay fair.
    """
    cons = [connect_reader(p) for p in paths]
    try:
        cursors = [c.cursor() for c in cons]
        for cur in cursors:
            queries.configure(cur)
        plans = [dashboard_queries(cur) for cur in cursors]
        out: list[dict[str, float]] = [{} for _ in paths]
        for name in plans[0]:
            samples: list[list[float]] = [[] for _ in paths]
            for plan in plans:
                plan[name]()  # warm: the dashboard's connection stays open
            for _ in range(repeats):
                for i, plan in enumerate(plans):
                    t = time.perf_counter()
                    plan[name]()
                    samples[i].append(time.perf_counter() - t)
            for i in range(len(paths)):
                out[i][name] = round(statistics.median(samples[i]) * 1000, 2)
        return out
    finally:
        for c in cons:
            c.close()


def compare(small: dict[str, float], large: dict[str, float]) -> dict[str, Any]:
    """Per query: both times and the ratio, and which rollup-backed queries exceed 1.5x."""
    rows = {name: {"small_ms": small[name], "large_ms": large[name],
                   "ratio": round(large[name] / max(small[name], 1e-6), 2),
                   "kind": "article-level" if name in ARTICLE_LEVEL else "rollup/bounded"}
            for name in small}
    bounded = {k: v["ratio"] for k, v in rows.items() if v["kind"] != "article-level"}
    return {"queries": rows,
            "max_ratio_rollup_backed": max(bounded.values()) if bounded else None,
            "over_1_5_rollup_backed": sorted(k for k, r in bounded.items() if r > 1.5),
            "over_1_5_article_level": sorted(k for k, v in rows.items()
                                             if v["kind"] == "article-level"
                                             and v["ratio"] > 1.5),
            "article_level_why": ARTICLE_LEVEL}
