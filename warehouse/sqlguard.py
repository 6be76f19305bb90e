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
# Table functions that read files or URLs (or run SQL given as a string); DuckDB would
# refuse them too, with a less helpful message. The name may be quoted or qualified.
_FILE_FUNCS = re.compile(
    r"""(?<![\w$])"?(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|iceberg_\w+|delta_\w+"""
    r"""|query_table|query)"?\s*\(""", re.I)
# A file or URL in table position: a string literal after FROM/JOIN, a quoted name that
# looks like a path after FROM/JOIN or a comma, or a path or URL literal after a comma
# (FROM t, '/etc/x.csv' is a replacement scan too). Aliases such as AS "articles/day",
# and values such as 'n/a', stay allowed.
_FILE_LITERAL = re.compile(
    r"\b(?:from|join)\s+(?:lateral\s+)?'[^']*'"
    r'|(?:\bfrom|\bjoin|,)\s*"[^"]*(?:/|\\|\.(?:csv|tsv|parquet|json|jsonl|ndjson|txt|gz|zst'
    r'|xlsx|db|duckdb|sqlite|arrow))"'
    r"|,\s*'(?:/|\.{1,2}/|~|[a-z][a-z0-9+]*://)[^']*'", re.I)
_EXPLAIN = re.compile(r"^\s*explain\s+(?:\(.*?\)\s*)?(?:analy[sz]e\s+)?", re.I | re.S)


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
        if kind == "EXPLAIN":
            # EXPLAIN ANALYZE runs the statement it explains: judge that one.
            inner = _EXPLAIN.sub("", st.query, count=1)
            try:
                kind = duckdb.extract_statements(inner)[0].type.name if inner.strip() else kind
            except (duckdb.Error, IndexError):
                kind = "EXPLAIN"
            kind = "SELECT" if kind == "EXPLAIN" else kind
        if kind not in ALLOWED:
            kind = "INSTALL/LOAD" if kind == "LOAD" else kind
            raise SqlRefused(f"refused: {kind} statements are not allowed here; the warehouse "
                             "is read-only (queries only: SELECT, WITH, SHOW, DESCRIBE, "
                             "SUMMARIZE, EXPLAIN)")
    # Comments could split a function name from its "(" and hide it from the patterns;
    # text inside string literals is data, not a function call.
    bare, code = _scrub(sql)
    m = _FILE_FUNCS.search(code) or _FILE_LITERAL.search(bare)
    if m:
        raise SqlRefused(f"refused: reading files or URLs ({m.group(0).strip()}) is not "
                         "allowed; query the warehouse tables and views")


def _scrub(sql: str) -> tuple[str, str]:
    """``sql`` without comments, and the same with string literals emptied too."""
    bare: list[str] = []
    code: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            bare.append(" ")
            code.append(" ")
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            bare.append(" ")
            code.append(" ")
        elif ch in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if sql.startswith(ch * 2, j):  # '' or "" escapes the quote
                        j += 2
                        continue
                    break
                j += 1
            literal = sql[i:j + 1]
            bare.append(literal)
            code.append(literal if ch == '"' else "''")
            i = j + 1
        else:
            bare.append(ch)
            code.append(ch)
            i += 1
    return "".join(bare), "".join(code)


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
            # DuckDB 2 refuses new work on a connection whose result is pending; earlier
            # results are not shown, so run them to their end without reading rows.
            complete = getattr(con, "complete", None)
            if complete is not None:
                complete()
        rel = con.sql(statements[-1].query)
        if rel is None:
            return pd.DataFrame()
        if limit is not None:
            rel = rel.limit(limit)
        return _integral_hugeints(rel.df(), [str(t) for t in rel.types])
    finally:
        if own:
            con.close()


# Sums of BIGINT are HUGEINT in DuckDB (the views' mentions and shares use them), which
# pandas receives as float64: counts would print as 3.0. Below 2**53 a float holds the
# integer exactly, so such columns go back to integers; larger values stay floats.
_EXACT = 2**53


def _integral_hugeints(df: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    for i, typ in enumerate(types):
        if typ not in ("HUGEINT", "UHUGEINT"):
            continue
        col = df.iloc[:, i]
        if col.dtype.kind == "f" and (col.dropna().abs() < _EXACT).all():
            df[df.columns[i]] = col.astype("Int64")
    return df
