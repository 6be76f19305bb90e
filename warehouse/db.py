"""Opening DuckDB files and applying numbered schema migrations."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.rollups import rebuild_sql
from warehouse.sql import sql

# Analysts open the published file with the DuckDB CLI they already have (1.5.x today),
# which refuses files in DuckDB 2.0's default storage format.
STORAGE_VERSION = "v1.5.0"

# The writer's buffer pool would otherwise grow towards DuckDB's default of 80% of RAM as
# the warehouse grows; a fixed cap keeps an ingest's memory flat (DuckDB spills beyond it).
WRITER_MEMORY_LIMIT = os.environ.get("BLOCWATCH_WRITER_MEMORY", "512MB")
_MEMORY_RE = re.compile(r"^\d+(\.\d+)?\s*[KMGT]i?B$", re.I)

_MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

# A migration's "/*rebuild: table ...*/" stands for warehouse.rollups' rebuild of those
# rollups: the tables' backfill is their one definition run again, not a copy of it.
_REBUILD_RE = re.compile(r"/\*rebuild:([^*]*)\*/")


def migrations() -> list[tuple[int, str, str]]:
    """All shipped migrations as (version, name, sql), in order, rollup backfills spliced
    in."""
    out = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            text = _REBUILD_RE.sub(lambda r: rebuild_sql(r.group(1).split()),
                                   entry.read_text(encoding="utf-8"))
            out.append((int(m.group(1)), m.group(2), text))
    return sorted(out)


def connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the work database read-write and bring its schema up to date."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_VERSION})
    con.execute("SET TimeZone = 'UTC'")
    if not _MEMORY_RE.match(WRITER_MEMORY_LIMIT):
        raise ValueError(f"BLOCWATCH_WRITER_MEMORY must look like 512MB, not "
                         f"{WRITER_MEMORY_LIMIT!r}")
    con.execute(f"SET memory_limit = '{WRITER_MEMORY_LIMIT}'")
    migrate(con)
    return con


def connect_reader(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a published snapshot read-only, with no access to files or the network."""
    con = duckdb.connect(str(path), read_only=True,
                         config={"enable_external_access": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def applied_versions(con: duckdb.DuckDBPyConnection) -> list[int]:
    con.execute(sql("db/schema_migrations"))
    return [r[0] for r in con.execute(
        "SELECT version FROM schema_migrations ORDER BY version").fetchall()]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply migrations not yet recorded, each in its own transaction; return those applied."""
    done = set(applied_versions(con))
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(text)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied
