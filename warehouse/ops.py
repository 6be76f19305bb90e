"""Operations on the work database for the scheduled flows: inputs of alert detection,
storing alerts and data checks (migration 002), re-tagging articles in place, compaction.

Every function takes the writer connection of a flow that holds the warehouse lock. User
input only ever reaches SQL as bound parameters or Arrow tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from blocwatch.alerts import Alert
from blocwatch.checks import CheckResult
from blocwatch.records import ArticleRecord
from warehouse.db import STORAGE_VERSION
from warehouse.load import insert_derived, now
from warehouse.publish import replace_durably
from warehouse.rollups import rebuild_rollups
from warehouse.sql import arrow_table, registered, sql
from warehouse.stories import rebuild_stories, replace_signatures

# --- inputs of alert detection --------------------------------------------------------

def entity_week_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per week (its Monday, in column ``day``), entity and outlet: dated, non-duplicate
    articles naming the entity. Summed by week in SQL so pandas gets weeks x entities x
    outlets rows, however many articles there are."""
    return con.execute(sql("ops/entity_week_counts")).df()


def week_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per week (its Monday, in ``day``): dated, non-duplicate articles of all outlets."""
    return con.execute(sql("ops/week_totals")).df()


def entity_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT entity_id, name FROM entities").fetchall())


def publication_days(con: duckdb.DuckDBPyConnection, per_source: int,
                     until: date) -> pd.DataFrame:
    """The latest ``per_source`` distinct publication days of each outlet, up to ``until``."""
    return con.execute(sql("ops/publication_days"),
                       {"until": until, "per_source": per_source}).df()


def feed_history(con: duckdb.DuckDBPyConnection, runs_per_source: int = 20,
                 current_run_id: str | None = None) -> pd.DataFrame:
    """run_sources of the latest finished ingest runs (and the current one), newest first.
    Only ingest reads the configured feeds on schedule: a backfill's one-off sitemaps and
    archive pages failing say nothing about the outlet's feeds."""
    return con.execute(sql("ops/feed_history"), {"current_run_id": current_run_id,
                                                 "runs_per_source": runs_per_source}).df()


# --- alerts --------------------------------------------------------------------------

def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The alert as JSON-safe values (the Prefect event payload and the details column)."""
    fields = {"key": alert.key, "kind": alert.kind, "message": alert.message,
              "entity_id": alert.entity_id, "source_id": alert.source_id,
              "period_start": alert.period_start, "period_end": alert.period_end,
              "observed": alert.observed, "expected": alert.expected,
              "articles": alert.articles, "outlets": alert.outlets, "details": alert.details}
    return json.loads(json.dumps(fields, default=_json_default))


def store_alerts(con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert],
                 run_id: str | None) -> list[Alert]:
    """Insert the alerts not stored yet; mark the others as seen again. Returns the new ones.

    Keyed by ``alert_key``, so re-running detection never duplicates an alert, and only
    new alerts are notified.
    """
    if not alerts:
        return []
    ts = now()
    con.execute("BEGIN TRANSACTION")
    try:
        with registered(con, probe=arrow_table({"k": ([a.key for a in alerts], pa.string())})):
            existing = {r[0] for r in con.execute(
                "SELECT alert_key FROM alerts WHERE alert_key IN (SELECT k FROM probe)"
            ).fetchall()}
        fresh, seen = [], []
        for a in alerts:
            (seen if a.key in existing or a.key in {f.key for f in fresh} else fresh).append(a)
        for a in fresh:
            con.execute(
                sql("ops/insert_alert"),
                [a.key, a.kind, a.entity_id, a.source_id, a.period_start, a.period_end,
                 a.observed, a.expected, a.articles, a.outlets, a.message,
                 json.dumps(a.details, default=_json_default, sort_keys=True), ts, run_id,
                 ts, run_id])
        if seen:
            with registered(con, keys=arrow_table({"k": ([a.key for a in seen], pa.string())})):
                con.execute("UPDATE alerts SET last_seen_at = ?, last_run_id = ? "
                            "WHERE alert_key IN (SELECT k FROM keys)", [ts, run_id])
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise
    return fresh


# --- data checks ---------------------------------------------------------------------

def outlet_quality(con: duckdb.DuckDBPyConnection, latest_ok: date) -> pd.DataFrame:
    """Per outlet with articles: counts behind the per-outlet data checks.

    ``latest_ok`` is the latest publication date that is not in the future.
    """
    return con.execute(sql("ops/outlet_quality"), {"latest_ok": latest_ok}).df()


def duplicate_urls(con: duckdb.DuckDBPyConnection, examples: int = 3) -> tuple[int, list[str]]:
    """Canonical URLs stored more than once (the schema forbids it: this checks the file)."""
    rows = con.execute("SELECT url FROM articles GROUP BY url HAVING count(*) > 1 "
                       "ORDER BY url").fetchall()
    return len(rows), [r[0] for r in rows[:examples]]


def record_checks(con: duckdb.DuckDBPyConnection, run_id: str,
                  results: Iterable[CheckResult]) -> int:
    ts = now()
    n = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for r in results:
            con.execute("INSERT INTO data_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, ts, r.check_name, r.source_id, r.value, r.threshold,
                         r.status, r.detail])
            n += 1
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise
    return n


# --- re-tagging ----------------------------------------------------------------------

def articles_to_reprocess(con: duckdb.DuckDBPyConnection,
                          only_sources: Sequence[str] | None = None) -> pd.DataFrame:
    """article_id, source_id, fetched_url, language of the stored articles, oldest first."""
    return con.execute(sql("ops/articles_to_reprocess"),
                       {"sources": list(only_sources) if only_sources else None}).df()


def mention_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute("SELECT count(*), coalesce(sum(body_count + title_count), 0) "
                      "FROM mentions").fetchone()
    return {"mention_rows": int(row[0]), "mentions": int(row[1])}


def replace_derived(con: duckdb.DuckDBPyConnection,
                    records: Sequence[tuple[int, ArticleRecord]]) -> list[int]:
    """Write re-extracted articles in place: text and language fields, mentions,
    co-mentions, keywords, and the near-duplicate signature of an article whose text changed
    (call rebuild_summaries afterwards).

    Each article keeps its id, URLs, fetch time and stored publication date (the feed date
    that may have decided it is not in the archive). Runs in the caller's transaction.
    Returns the ids of the articles whose text fields changed.
    """
    if not records:
        return []
    upd = arrow_table({
        "article_id": ([aid for aid, _ in records], pa.int64()),
        "title": ([r.title for _, r in records], pa.string()),
        "author": ([r.author for _, r in records], pa.string()),
        "language": ([r.language for _, r in records], pa.string()),
        "sitename": ([r.sitename for _, r in records], pa.string()),
        "text": ([r.text for _, r in records], pa.string()),
        "word_count": ([r.word_count for _, r in records], pa.int32()),
        "content_hash": ([r.content_hash for _, r in records], pa.string()),
        "language_source": ([r.language_source for _, r in records], pa.string()),
        "declared_language": ([r.declared_language for _, r in records], pa.string()),
        "detected_language": ([r.detected_language for _, r in records], pa.string()),
        "language_confidence": ([r.language_confidence for _, r in records], pa.float64()),
    })
    with registered(con, upd=upd):
        changed_ids = [r[0] for r in con.execute(sql("ops/changed_articles")).fetchall()]
        if changed_ids:
            with registered(con, ch=arrow_table({"article_id": (changed_ids, pa.int64())})):
                con.execute(sql("ops/update_articles"))
            # A signature is a function of the text: recomputed ones replace the stored ones.
            changed = set(changed_ids)
            replace_signatures(con, [(aid, r.signature) for aid, r in records if aid in changed])
        for table in ("mentions", "co_mentions", "keywords"):
            # Table names are constants of this module, never user input.
            con.execute(f"DELETE FROM {table} "  # noqa: S608
                        "WHERE article_id IN (SELECT article_id FROM upd)")
        insert_derived(con, records)
    return changed_ids


def refresh_duplicates(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute duplicate_of after texts changed: the earliest article with the same hash.

    Returns how many articles changed status. Runs in the caller's transaction.
    """
    n = con.execute(sql("ops/count_duplicate_changes")).fetchone()[0]
    if n:
        con.execute(sql("ops/refresh_duplicates"))
    return int(n)


def rebuild_summaries(con: duckdb.DuckDBPyConnection, stories_changed: bool) -> None:
    """Recompute what depends on rewritten articles: the load-time rollups (migration 004),
    and the near-duplicate stories when some text (so some signature) changed."""
    if stories_changed:
        rebuild_stories(con)
    rebuild_rollups(con)


# --- compaction ----------------------------------------------------------------------

def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY 1").fetchall()]
    # Names come from the catalog, quoted as identifiers.
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]  # noqa: S608
            for n in names}


def compact(work_db: Path) -> tuple[int, int]:
    """Rewrite the work database into a fresh file and swap it in atomically.

    DuckDB reuses freed blocks but never shrinks a file; re-tagging deletes and rewrites
    every mention, so the file only grows. A copy holds just the live rows. The caller
    holds the warehouse lock and has closed its connection. Row counts of every table are
    compared before the swap; on any difference the original stays. Returns the file size
    before and after.
    """
    before = work_db.stat().st_size
    tmp = work_db.with_name(f".{work_db.name}.compact")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(work_db), config={"storage_compatibility_version": STORAGE_VERSION})
    try:
        con.execute("CHECKPOINT")
        src = con.execute("SELECT current_database()").fetchone()[0]
        counts = table_counts(con)
        # The path is bound; the storage version is a constant of warehouse.db.
        con.execute(f"ATTACH ? AS compacted (STORAGE_VERSION '{STORAGE_VERSION}')",
                    [str(tmp)])
        try:
            # A database name is an identifier (no parameters): DuckDB's own, quoted.
            src_sql = src.replace('"', '""')
            con.execute(f'COPY FROM DATABASE "{src_sql}" TO compacted')
        finally:
            con.execute("DETACH compacted")
    finally:
        con.close()
    check = duckdb.connect(str(tmp), read_only=True)
    try:
        copied = table_counts(check)
    finally:
        check.close()
    if copied != counts:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"compaction copy differs from the original ({copied} vs {counts});"
                           " the work database was left as it was")
    wal = work_db.with_name(work_db.name + ".wal")
    if wal.exists():
        # A WAL left beside the old file would be replayed into the new one on next open.
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{wal} still exists after a checkpoint; not swapping files")
    replace_durably(tmp, work_db)
    return before, work_db.stat().st_size
