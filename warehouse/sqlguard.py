"""Running analysts' ad-hoc SQL safely against the published snapshot.

Two fences: the connection is read-only with external access disabled (DuckDB itself
refuses writes, file reads, extension installs), and statements other than queries are
refused up front with a message that says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.db import connect_reader

ALLOWED = {"SELECT", "EXPLAIN"}
# Table functions that read files or URLs; DuckDB would refuse them too, with a less
# helpful message.
_FILE_FUNCS = re.compile(
    r"\b(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+)\s*\(", re.I)
_FILE_LITERAL = re.compile(r"\bfrom\s+'[^']*'", re.I)


class SqlRefused(Exception):
    """A statement the read-only SQL surface does not run."""


def check_sql(sql: str) -> None:
    """Raise SqlRefused unless ``sql`` is one or more read-only queries."""
    if not sql.strip():
        raise SqlRefused("empty query")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"SQL syntax error: {exc}") from exc
    for st in statements:
        kind = st.type.name
        if kind not in ALLOWED:
            kind = "INSTALL/LOAD" if kind == "LOAD" else kind
            raise SqlRefused(f"refused: {kind} statements are not allowed here; the warehouse "
                             "is read-only (queries only: SELECT, WITH, SHOW, DESCRIBE, "
                             "SUMMARIZE, EXPLAIN)")
    m = _FILE_FUNCS.search(sql) or _FILE_LITERAL.search(sql)
    if m:
        raise SqlRefused(f"refused: reading files or URLs ({m.group(0).strip()}) is not "
                         "allowed; query the warehouse tables and views")


def run_readonly(db: Path | duckdb.DuckDBPyConnection, sql: str,
                 limit: int | None = 10_000) -> pd.DataFrame:
    """Run checked SQL on a read-only connection; return at most ``limit`` rows."""
    check_sql(sql)
    own = not isinstance(db, duckdb.DuckDBPyConnection)
    con = connect_reader(Path(db)) if own else db
    try:
        statements = duckdb.extract_statements(sql)
        for st in statements[:-1]:
            con.execute(st)
        rel = con.sql(statements[-1].query)
        if rel is None:
            return pd.DataFrame()
        if limit is not None:
            rel = rel.limit(limit)
        return rel.df()
    finally:
        if own:
            con.close()
