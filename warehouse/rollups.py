"""Rollup tables (migrations 004-006, 010): kept in step with the base tables at load time.

The dashboard's aggregate queries and the analyst views read these instead of scanning
mentions, co_mentions and fetch_log, so their cost is bounded by days x outlets x
entities (or entity pairs, or the distinct sets of entities articles name), not by the
number of articles.

Each rollup is defined once, in ``warehouse/queries/rollups/<name>.sql``: a SELECT of its
rows over the articles from ``$first`` on. Three things run that one definition:

* ``update_rollups`` folds one batch in, inside the caller's transaction: ``$first`` is the
  batch's first article id (ids only grow, and the zone maps of the id columns skip
  everything older), and ``rollups/merge_<name>.sql`` MERGEs the sums in.
* ``rebuild_rollups`` recomputes everything from the base tables (``$first`` = 0), for flows
  that rewrite mentions (re-tagging) or articles. The caller owns the transaction.
* the migrations that create the tables backfill them with the same rebuild statements
  (``rebuild_sql``, spliced in by ``warehouse.db.migrations``): a backfill is the rollup
  run again, so a change to a rollup's definition needs a migration that rebuilds it.

``rollup_weekly_keywords`` (migration 010) is kept in entity order, not time order: its
reader asks for one entity's weeks, and at 1M articles the table is larger than the
keywords table (every entity of an article times each of its terms). A per-batch MERGE
would read all of it, so batches append their own rows instead (a key may have several
rows; readers sum), and ``settle_keywords`` folds them into one row per key in entity
order again: every rebuild, and the maintenance flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.sql import registered, sql

__all__ = ["ROLLUP_TABLES", "rebuild_rollups", "rebuild_sql", "settle_keywords",
           "update_rollups"]

# Rollup table -> its definition and MERGE in warehouse/queries/rollups/, in the order
# they are maintained (the entity sets need the batch's entity bits first).
_ROLLUPS = {
    "rollup_daily_articles": "daily_articles",
    "rollup_daily_mentions": "daily_mentions",
    "rollup_daily_co_mentions": "daily_co_mentions",
    "rollup_weekly_co_mentions": "weekly_co_mentions",
    "rollup_daily_pairs": "daily_pairs",
    "rollup_daily_entity_sets": "daily_entity_sets",
    "rollup_run_fetches": "run_fetches",
    "rollup_weekly_keywords": "weekly_keywords",
}
ROLLUP_TABLES = tuple(_ROLLUPS)
# How a rebuild orders a rollup's rows (default: its first column, the day or week, as
# routine loads append them).
_ORDER = {"rollup_weekly_keywords": "entity_id, week"}

# Bits of rollup_daily_entity_sets.entity_set (a HUGEINT; its sign bit unused, as bit_count
# and the shifts are signed): entities first named after all are taken get a NULL bit, and
# the dashboard counts sets containing one from the mentions.
ENTITY_BITS = 127

FetchRow = tuple[str, str, datetime, str, str | None]


def update_rollups(con: duckdb.DuckDBPyConnection, first_article_id: int,
                   fetch_rows: Sequence[FetchRow] = ()) -> None:
    """Fold one loaded batch into the rollups (call inside the load transaction).

    ``first_article_id`` is the smallest article_id the batch inserted (every article of
    the batch has an id at or above it); ``fetch_rows`` are the batch's fetch_log rows as
    (run_id, source_id, fetched_at, outcome, error).
    """
    con.execute(sql("rollups/entity_bits"), {"first": first_article_id,
                                             "capacity": ENTITY_BITS})
    for table, name in _ROLLUPS.items():
        if table != "rollup_run_fetches":
            con.execute(sql(f"rollups/merge_{name}"), {"first": first_article_id})
    if fetch_rows:
        with registered(con, fetch_rows=_fetch_table(fetch_rows)):
            con.execute(sql("rollups/merge_run_fetches"))


def rebuild_sql(tables: Iterable[str] = ROLLUP_TABLES) -> str:
    """The statements that recompute ``tables`` from the base tables: each definition with
    ``$first`` = 0, sorted by time as routine loads append rows (zone maps on day/week
    then let date-bounded reads skip the rest). The entity sets renumber the entity bits
    first: entities no longer named (a taxonomy edit, then reprocess) give theirs back."""
    statements: list[str] = []
    for table in tables:
        name = _ROLLUPS[table]
        if table == "rollup_daily_entity_sets":
            statements += ["DELETE FROM entity_bits", sql("rollups/entity_bits")]
        rows = sql("rollups/run_fetches_all" if table == "rollup_run_fetches"
                   else f"rollups/{name}")
        # Table names are this module's constants, never user input.
        statements += [f"DELETE FROM {table}",  # noqa: S608
                       f"INSERT INTO {table} BY NAME SELECT * FROM ({rows}) "  # noqa: S608
                       f"ORDER BY {_ORDER.get(table, '1')}"]
    text = ";\n".join(s.strip() for s in statements) + ";\n"
    return re.sub(r"\$capacity\b", str(ENTITY_BITS), re.sub(r"\$first\b", "0", text))


def rebuild_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every rollup from the base tables (after re-tagging, deletes, repairs).

    Runs in the caller's transaction when there is one, so readers of the published
    snapshot never see half-rebuilt rollups. The saved topics' rollup (migration 011) is
    recounted from their stored matches too.
    """
    con.execute(rebuild_sql())
    con.execute(sql("topics/rebuild_rollup"))


def settle_keywords(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the rows load batches appended to rollup_weekly_keywords into one row per key,
    written in entity order (readers of one entity then skip the rest by zone map).

    Reads only the rollup itself, not the base tables. Runs in the caller's transaction
    when there is one. Returns the rows it holds afterwards.
    """
    con.execute(sql("rollups/settle_keywords"))
    return int(con.execute("SELECT count(*) FROM rollup_weekly_keywords").fetchone()[0])


def _fetch_table(rows: Sequence[FetchRow]) -> pa.Table:
    cols: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)]
    return pa.table([pa.array(cols[0], pa.string()), pa.array(cols[1], pa.string()),
                     pa.array(cols[2], pa.timestamp("us")), pa.array(cols[3], pa.string()),
                     pa.array(cols[4], pa.string())],
                     names=["run_id", "source_id", "fetched_at", "outcome", "error"])
