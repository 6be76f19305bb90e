"""Writing ingest results into the work database, one transaction per batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from blocwatch.config import SourcesConfig
from blocwatch.pipeline import FailedUrl
from blocwatch.process import ArticleRecord
from blocwatch.taxonomy import Taxonomy
from warehouse.rollups import update_rollups
from warehouse.stories import assign_stories

# Outcomes that will not change by asking again; such URLs are not retried by later runs.
PERMANENT_OUTCOMES = ("loaded", "duplicate", "no_text", "not_html", "robots", "blocked",
                      "bad_url", "too_large", "gone")


@dataclass
class LoadStats:
    loaded: int = 0
    duplicates: int = 0
    failed: int = 0
    loaded_by_source: dict[str, int] = field(default_factory=dict)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
                  rows: list[tuple[Any, ...]], types: Sequence[pa.DataType]) -> None:
    """Bulk insert through Arrow: thousands of times faster than executemany."""
    if not rows:
        return
    arrays = [pa.array([r[i] for r in rows], type=t) for i, t in enumerate(types)]
    batch = pa.table(arrays, names=list(columns))  # noqa: F841 - read by DuckDB below
    cols = ", ".join(columns)
    # Table and column names are constants of this module, never user input.
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM batch")  # noqa: S608


def sync_reference(con: duckdb.DuckDBPyConnection, config: SourcesConfig,
                   taxonomy: Taxonomy) -> None:
    """Refresh sources, entities and aliases from the YAML files (the single source of truth).

    Sources no longer configured are kept, so their articles still have a name.
    """
    ts = now()
    con.execute("BEGIN TRANSACTION")
    try:
        for s in config.sources:
            con.execute(
                "INSERT OR REPLACE INTO sources (source_id, name, homepage, country, language, "
                "kind, updated_at, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [s.id, s.name, str(s.homepage), s.country, s.language, s.kind, ts,
                 s.zone])
        con.execute("DELETE FROM entity_aliases")
        con.execute("DELETE FROM entities")
        for e in taxonomy.entities:
            con.execute("INSERT INTO entities VALUES (?, ?, ?, ?, ?)",
                        [e.id, e.name, e.kind, e.group, e.description])
        insert_arrow(con, "entity_aliases",
                      ("entity_id", "alias", "case_rule", "match_rule", "lang"),
                      [(a.entity_id, a.text, a.case, a.match, a.lang) for a in taxonomy.aliases],
                      [pa.string()] * 5)
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise


def known_urls(con: duckdb.DuckDBPyConnection, urls: list[str]) -> set[str]:
    """Which of these canonical URLs need no fetching: stored, or failed for good."""
    if not urls:
        return set()
    probe = pa.table({"url": pa.array(sorted(set(urls)), pa.string())})  # noqa: F841
    rows = con.execute(
        """
        SELECT p.url FROM probe p
        WHERE EXISTS (SELECT 1 FROM articles a WHERE a.url = p.url OR a.fetched_url = p.url)
           OR EXISTS (SELECT 1 FROM fetch_log f
                      WHERE f.url = p.url AND list_contains(?, f.outcome))
        """, [list(PERMANENT_OUTCOMES)]).fetchall()
    return {r[0] for r in rows}


def start_run(con: duckdb.DuckDBPyConnection, flow: str,
              prefect_flow_run_id: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    # Runs start under the writer lock, so a row still 'running' now belongs to a process
    # that died (SIGKILL, power loss) before it could record its end.
    con.execute("UPDATE runs SET status = 'crashed', "
                "message = coalesce(message, 'the process ended without finishing the run') "
                "WHERE status = 'running'")
    con.execute("INSERT INTO runs (run_id, flow, prefect_flow_run_id, started_at, status) "
                "VALUES (?, ?, ?, ?, 'running')", [run_id, flow, prefect_flow_run_id, now()])
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str,
               counts: dict[str, int], seconds: float, message: str | None = None) -> None:
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, discovered = ?, new = ?, fetched = ?, "
        "failed = ?, loaded = ?, seconds = ?, message = ? WHERE run_id = ?",
        [now(), status, counts.get("discovered", 0), counts.get("new", 0),
         counts.get("fetched", 0), counts.get("failed", 0), counts.get("loaded", 0),
         seconds, message, run_id])


def record_run_sources(con: duckdb.DuckDBPyConnection, run_id: str,
                       rows: Iterable[dict[str, Any]]) -> None:
    for r in rows:
        con.execute(
            "INSERT INTO run_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, r["source_id"], r["feeds_ok"], r["feeds_failed"], r["discovered"],
             r["new"], r["fetched"], r["failed"], r["loaded"], r.get("error")])


def _fetch_log_row(run_id: str, source_id: str, url: str, outcome: str, error: str | None,
                   result: Any) -> tuple[Any, ...]:
    fetched_at = result.fetched_at.replace(tzinfo=None) if result is not None else now()
    return (run_id, source_id, url, getattr(result, "final_url", None), fetched_at,
            getattr(result, "status", None), outcome, error,
            len(result.body) if result is not None and result.body is not None else None,
            getattr(result, "elapsed_ms", None), getattr(result, "attempts", None))


_FETCH_LOG_COLS = ("run_id", "source_id", "url", "final_url", "fetched_at", "status_code",
                   "outcome", "error", "bytes", "elapsed_ms", "attempts")
_FETCH_LOG_TYPES = (pa.string(), pa.string(), pa.string(), pa.string(), pa.timestamp("us"),
                    pa.int32(), pa.string(), pa.string(), pa.int64(), pa.int32(), pa.int32())


def load_batch(con: duckdb.DuckDBPyConnection, run_id: str, articles: list[ArticleRecord],
               failures: list[FailedUrl], fetches: dict[str, Any]) -> LoadStats:
    """Load one batch atomically: articles, mentions, co-mentions, keywords and fetch_log.

    Idempotent: an article whose canonical URL is already stored is logged as a duplicate,
    not inserted again.
    """
    stats = LoadStats()
    con.execute("BEGIN TRANSACTION")
    try:
        urls = [a.url for a in articles]
        existing = set()
        if urls:
            probe = pa.table({"url": pa.array(urls, pa.string())})  # noqa: F841
            existing = {r[0] for r in con.execute(
                "SELECT url FROM articles WHERE url IN (SELECT url FROM probe)").fetchall()}
        hashes = {a.content_hash for a in articles}
        first_by_hash: dict[str, int] = {}
        if hashes:
            hp = pa.table({"h": pa.array(sorted(hashes), pa.string())})  # noqa: F841
            first_by_hash = dict(con.execute(
                "SELECT content_hash, min(article_id) FROM articles "
                "WHERE content_hash IN (SELECT h FROM hp) GROUP BY 1").fetchall())
        next_id = con.execute("SELECT coalesce(max(article_id), 0) + 1 FROM articles"
                              ).fetchone()[0]
        first_id = next_id
        art_rows, men_rows, co_rows, kw_rows, log_rows = [], [], [], [], []
        signatures: list[tuple[int, bytes | None]] = []
        seen: set[str] = set()
        for a in articles:
            res = fetches.get(a.discovered_url)
            if a.url in existing or a.url in seen:
                stats.duplicates += 1
                log_rows.append(_fetch_log_row(run_id, a.source_id, a.discovered_url,
                                               "duplicate", f"already stored as {a.url}", res))
                continue
            seen.add(a.url)
            aid = next_id
            next_id += 1
            dup = first_by_hash.get(a.content_hash)
            if dup is None:
                first_by_hash[a.content_hash] = aid
            art_rows.append((aid, a.source_id, a.url, a.fetched_url, a.title, a.author,
                             a.published, a.date_source, a.fetched_at.replace(tzinfo=None),
                             a.language, a.sitename, a.text, a.word_count, a.content_hash,
                             dup, run_id, a.language_source, a.declared_language,
                             a.detected_language, a.language_confidence, aid,
                             a.date_agree, a.date_disagree))
            signatures.append((aid, a.signature))
            men_rows.extend((aid, *m) for m in a.mentions)
            co_rows.extend((aid, *c) for c in a.co_mentions)
            kw_rows.extend((aid, *k) for k in a.keywords)
            log_rows.append(_fetch_log_row(run_id, a.source_id, a.discovered_url, "loaded",
                                           None, res))
            stats.loaded += 1
            stats.loaded_by_source[a.source_id] = stats.loaded_by_source.get(a.source_id, 0) + 1
        for f in failures:
            outcome = f.outcome
            if outcome == "http_error" and f.result is not None and f.result.status in (404, 410):
                outcome = "gone"
            log_rows.append(_fetch_log_row(run_id, f.source_id, f.url, outcome, f.error,
                                           f.result))
            stats.failed += 1
        insert_arrow(con, "articles", (
            "article_id", "source_id", "url", "fetched_url", "title", "author", "published",
            "date_source", "fetched_at", "language", "sitename", "text", "word_count",
            "content_hash", "duplicate_of", "run_id", "language_source", "declared_language",
            "detected_language", "language_confidence", "story_id", "date_agree",
            "date_disagree"), art_rows, (
            pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(), pa.string(),
            pa.date32(), pa.string(), pa.timestamp("us"), pa.string(), pa.string(),
            pa.string(), pa.int32(), pa.string(), pa.int64(), pa.string(), pa.string(),
            pa.string(), pa.string(), pa.float64(), pa.int64(), pa.int32(), pa.int32()))
        insert_arrow(con, "mentions", ("article_id", "entity_id", "body_count", "title_count",
                                        "in_title", "first_offset"), men_rows,
                      (pa.int64(), pa.string(), pa.int32(), pa.int32(), pa.bool_(), pa.int32()))
        insert_arrow(con, "co_mentions", ("article_id", "entity_a", "entity_b",
                                           "sentence_count"), co_rows,
                      (pa.int64(), pa.string(), pa.string(), pa.int32()))
        insert_arrow(con, "keywords", ("article_id", "term", "count", "score"), kw_rows,
                      (pa.int64(), pa.string(), pa.int32(), pa.float64()))
        insert_arrow(con, "fetch_log", _FETCH_LOG_COLS, log_rows, _FETCH_LOG_TYPES)
        # Near-duplicate stories (migration 003): each article starts as a story of its
        # own (story_id above) and joins older similar articles' stories here.
        assign_stories(con, signatures, first_id)
        # Same transaction: a snapshot never has rows the rollups do not count.
        update_rollups(con, first_id, [(r[0], r[1], r[4], r[6], r[7]) for r in log_rows])
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise
    return stats

