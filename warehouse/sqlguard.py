"""Running analysts' ad-hoc SQL safely against the published snapshot.

Two fences: the connection is read-only with external access disabled (DuckDB itself
refuses writes, file reads, extension installs), and statements other than queries are
refused up front with a message that says why. A third keeps one query from taking the
server down: ``capped_reader`` opens the snapshot in its own DuckDB instance with a thread
and memory cap, and ``run_statement`` interrupts a query that outlives its time limit.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.db import connect_reader

ALLOWED = {"SELECT", "EXPLAIN"}
# DuckDB parses a PIVOT without an explicit IN list as a MULTI statement (it creates the
# pivot's enum type first); such a statement is a query when it starts like one.
_QUERY_START = re.compile(r"^[\s(]*(?:select|with|from|pivot|unpivot|values|table|show"
                          r"|describe|summarize)\b", re.I)
_WRITE_WORD = re.compile(r"\b(?:insert|update|delete|create|drop|alter|copy|attach|detach"
                         r"|export|import|install|load|merge|truncate|set|pragma)\b", re.I)
NOTHING_TO_RUN = ("Nothing to run: the query is empty or only comments. Write one such as "
                  "SELECT * FROM daily_share LIMIT 10.")
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


class QueryStopped(Exception):
    """A query interrupted before it finished: past its time limit, or cancelled."""

    def __init__(self, seconds: float, timed_out: bool) -> None:
        self.seconds = seconds
        self.timed_out = timed_out
        why = "its time limit" if timed_out else "cancelled"
        super().__init__(f"stopped after {seconds:.0f} s ({why})")


def check_sql(sql: str) -> None:
    """Raise SqlRefused unless ``sql`` is one or more read-only queries."""
    statements(sql)


def statements(sql: str) -> list[str]:
    """The statements of ``sql``, each a read-only query; SqlRefused (with a message for
    the analyst) for anything else, and for text with no statement at all."""
    if not _scrub(sql)[1].replace(";", " ").strip():
        raise SqlRefused(NOTHING_TO_RUN)
    try:
        parsed = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SqlRefused(f"SQL syntax error: {exc}") from exc
    if not parsed:
        raise SqlRefused(NOTHING_TO_RUN)
    for st in parsed:
        kind = st.type.name
        if kind == "EXPLAIN":
            # EXPLAIN ANALYZE runs the statement it explains: judge that one.
            inner = _EXPLAIN.sub("", st.query, count=1)
            try:
                kind = duckdb.extract_statements(inner)[0].type.name if inner.strip() else kind
            except (duckdb.Error, IndexError):
                kind = "EXPLAIN"
            kind = "SELECT" if kind == "EXPLAIN" else kind
        if kind == "MULTI":
            code = _scrub(_EXPLAIN.sub("", st.query, count=1))[1]
            kind = ("SELECT" if _QUERY_START.match(code) and not _WRITE_WORD.search(code)
                    else "CREATE")
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
    return [st.query for st in parsed]


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
                 limit: int | None = 10_000, timeout_s: float | None = None) -> pd.DataFrame:
    """Run checked SQL on a read-only connection; return at most ``limit`` rows of the
    last statement's result. With ``timeout_s``, QueryStopped once it runs longer."""
    queries = statements(sql)
    own = not isinstance(db, duckdb.DuckDBPyConnection)
    con = connect_reader(Path(db)) if own else db
    try:
        start = time.monotonic()
        for query in queries[:-1]:
            left = None if timeout_s is None else timeout_s - (time.monotonic() - start)
            run_statement(con, query, 0, left)
        left = None if timeout_s is None else timeout_s - (time.monotonic() - start)
        return run_statement(con, queries[-1], limit, left)
    finally:
        if own:
            con.close()


def run_statement(con: duckdb.DuckDBPyConnection, query: str, limit: int | None,
                  timeout_s: float | None = None) -> pd.DataFrame:
    """One statement (already checked) and at most ``limit`` rows of its result.

    A timer thread interrupts the connection after ``timeout_s``: DuckDB stops the query
    between two vectors and frees its threads, where a script-side timeout would leave it
    running. Raises QueryStopped then, or when another thread interrupts it (a cancel).
    """
    started = time.monotonic()
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = None
    if timeout_s is not None:
        timer = threading.Timer(max(timeout_s, 0.0), stop)
        timer.daemon = True
        timer.start()
    try:
        rel = con.sql(query)
        if rel is None:
            return pd.DataFrame()
        if limit is not None:
            rel = rel.limit(limit)
        return _integral_hugeints(rel.df(), [str(t) for t in rel.types])
    except duckdb.InterruptException as exc:
        raise QueryStopped(time.monotonic() - started, fired.is_set()) from exc
    finally:
        if timer is not None:
            timer.cancel()


def capped_reader(path: Path, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """The snapshot read-only in a DuckDB instance of its own, capped at ``threads``
    threads and ``memory_limit`` (DuckDB's syntax: "2GB", "512MiB"), for analysts' SQL.

    Its own instance, because threads and memory are per instance: capping the dashboard's
    shared reader would slow every page. Spilling to disk is off (a query over the memory
    cap fails with DuckDB's out-of-memory error instead of filling the server's disk), and
    the configuration is locked once set.
    """
    con = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit,
                                             "temp_directory": ""})
    try:
        con.execute("ATTACH ? AS snapshot (READ_ONLY)", [str(path)])
        con.execute("USE snapshot")
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def capped_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of ``capped_reader``'s connection, on the snapshot (cursors do not inherit
    their connection's default database)."""
    cur = con.cursor()
    cur.execute("USE snapshot")
    return cur


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
