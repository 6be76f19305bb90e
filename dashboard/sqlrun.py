"""The SQL page's query runner: one statement at a time, on a capped connection of its
own, on a worker thread the page can interrupt.

Why a worker thread: DuckDB holds the calling thread until the query ends, and Streamlit
can only stop a script between two of its own calls. With the query on a worker, the page
polls it, redraws its "running" line, and so notices a Cancel click, a rerun or a closed
tab (Streamlit raises in the script at its next call), interrupting the query instead of
leaving it on a core until the server restarts.

Limits (docs/dashboard.md, "The SQL page's limits"): ``BLOCWATCH_SQL_TIMEOUT_S`` (default
30), ``BLOCWATCH_SQL_THREADS`` (default: half the cores, at least 1) and
``BLOCWATCH_SQL_MEMORY`` (default: a quarter of the machine's memory); `blocwatch
dashboard --sql-timeout` sets the first.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.data import SQL_ROW_LIMIT, Snapshot
from warehouse.sqlguard import capped_cursor, capped_reader, run_statement

TIMEOUT_ENV = "BLOCWATCH_SQL_TIMEOUT_S"
THREADS_ENV = "BLOCWATCH_SQL_THREADS"
MEMORY_ENV = "BLOCWATCH_SQL_MEMORY"
DEFAULT_TIMEOUT_S = 30.0
ROW_LIMIT = SQL_ROW_LIMIT


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    threads: int
    memory: str


def limits() -> Limits:
    """The SQL page's limits from the environment; a value that does not parse is ignored
    (the default applies) rather than taking the page down."""
    try:
        timeout = float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S)
    except ValueError:
        timeout = DEFAULT_TIMEOUT_S
    try:
        threads = int(os.environ.get(THREADS_ENV) or 0)
    except ValueError:
        threads = 0
    if threads < 1:
        threads = max(1, (os.cpu_count() or 2) // 2)
    memory = (os.environ.get(MEMORY_ENV) or "").strip() or _quarter_of_memory()
    return Limits(timeout if timeout > 0 else DEFAULT_TIMEOUT_S, threads, memory)


def _quarter_of_memory() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2GB"
    return f"{max(256, total // 4 // 2**20)}MiB"


_lock = threading.Lock()
_open: dict[str, tuple[Snapshot, Limits, duckdb.DuckDBPyConnection]] = {}


def _connection(snap: Snapshot, lim: Limits) -> duckdb.DuckDBPyConnection:
    """The capped connection to this snapshot, shared by all sessions (the caps are then
    the SQL page's in total, not per analyst); reopened for a new snapshot."""
    with _lock:
        held = _open.get(snap.path)
        if held is not None and held[0] == snap and held[1] == lim:
            return held[2]
        if held is not None:
            held[2].close()
        con = capped_reader(Path(snap.path), lim.threads, lim.memory)
        _open[snap.path] = (snap, lim, con)
        return con


class Running:
    """One statement running on a worker thread."""

    def __init__(self, snap: Snapshot, query: str, lim: Limits) -> None:
        self._cur = capped_cursor(_connection(snap, lim))
        self.future: Future[pd.DataFrame] = Future()
        self._thread = threading.Thread(target=self._run, args=(query, lim.timeout_s),
                                        name="blocwatch-sql", daemon=True)
        self._thread.start()

    def _run(self, query: str, timeout_s: float) -> None:
        try:
            self.future.set_result(run_statement(self._cur, query, ROW_LIMIT, timeout_s))
        except BaseException as exc:  # noqa: BLE001 - handed to the page as it is
            self.future.set_exception(exc)
        finally:
            self._cur.close()

    def interrupt(self) -> None:
        """Stop the query now (a cancel, a rerun, a closed tab); safe if it has ended."""
        if not self.future.done():
            try:
                self._cur.interrupt()
            except duckdb.Error:
                pass  # already closed: the query ended meanwhile
