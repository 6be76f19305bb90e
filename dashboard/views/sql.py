"""SQL: read-only queries over the published snapshot, one statement per run, stopped
after a time limit or on Cancel (dashboard/sqlrun.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard import sqlrun, ui
from warehouse.examples import example_queries
from warehouse.sqlguard import QueryStopped, SqlRefused, statements

ctx = ui.context(require_articles=False)
lim = sqlrun.limits()
published = datetime.fromtimestamp(ctx.snap.mtime_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")
ui.header("SQL", f"Read-only queries on the snapshot published {published} UTC (the "
          "sidebar filters do not apply here). Queries only: statements that write, attach, "
          "copy, install or load extensions, or read files are refused. One statement per "
          f"run; at most {sqlrun.ROW_LIMIT:,} rows are shown; a query is stopped after "
          f"{lim.timeout_s:g} s.")

K_TEXT, K_RUN, K_RESULT, K_CANCELLED = "sql_text", "sql_run", "_sql_result", "_sql_cancelled"


def _use(sql: str) -> None:
    st.session_state[K_TEXT] = sql
    st.session_state[K_RUN] = sql
    st.session_state.pop(K_RESULT, None)


def _cancel() -> None:
    # A callback runs before the rerun it causes: the query is not started again.
    st.session_state[K_CANCELLED] = st.session_state.pop(K_RUN, None)


def _plain(message: str) -> str:
    """An error message without the server's file paths."""
    for path in (str(Path(ctx.snap.path).parent), ctx.snap.path):
        message = message.replace(path, "…")
    return message


def _run(query: str) -> pd.DataFrame | str:
    """The query's result, or the message saying why there is none."""
    started = time.monotonic()
    status = st.empty()
    stop = st.empty()
    stop.button("Cancel", key="sql_cancel", on_click=_cancel, icon=":material/stop:")
    try:
        running = sqlrun.Running(ctx.snap, query, lim)
    except duckdb.Error as exc:  # the snapshot replaced meanwhile, a limit DuckDB refuses
        status.empty()
        stop.empty()
        return _plain(f"The query could not start: {exc} (limits: {lim.threads} threads, "
                      f"memory {lim.memory}; see {sqlrun.THREADS_ENV}, {sqlrun.MEMORY_ENV})")
    try:
        while not running.future.done():
            # Each redraw is a point where Streamlit can stop this run (Cancel, a new
            # query, a closed tab): the finally below then interrupts the query.
            status.caption(f"Running… {time.monotonic() - started:.0f} s "
                           f"(stopped after {lim.timeout_s:g} s)")
            try:
                running.future.result(timeout=0.25)
            except Exception:  # noqa: BLE001 - read below, once it is done
                pass
    finally:
        running.interrupt()
    status.empty()
    stop.empty()
    try:
        return running.future.result()
    except QueryStopped as exc:
        return (f"Stopped after {exc.seconds:.0f} s: the query ran longer than the SQL "
                f"page's limit of {lim.timeout_s:g} s and was interrupted. Narrow it (a "
                "WHERE on dates or outlets, fewer joins, a LIMIT), or run it with "
                "`blocwatch sql`, which has no time limit.")
    except duckdb.Error as exc:
        return _plain(f"DuckDB: {exc}")
    except Exception as exc:  # noqa: BLE001 - a message, never a traceback with paths
        return _plain(f"The query failed: {type(exc).__name__}: {exc}")


examples = example_queries()
st.caption("Example queries (the same as in docs/sql.md):")
cols = st.columns(3)
for i, example in enumerate(examples):
    cols[i % len(cols)].button(example.title, key=f"sql_ex_{example.id}", on_click=_use,
                               args=(example.sql,), width="stretch")

st.session_state.setdefault(K_TEXT, "SELECT * FROM daily_share ORDER BY day DESC LIMIT 20")
text = st.text_area("Query", key=K_TEXT, height=220)
if st.button("Run query", type="primary", icon=":material/play_arrow:", key="sql_go"):
    st.session_state[K_RUN] = text
    st.session_state.pop(K_RESULT, None)  # asked again: run again, even the same query

if st.session_state.pop(K_CANCELLED, None):
    st.info("Query cancelled.", icon=":material/stop_circle:")

sql = st.session_state.get(K_RUN)
if sql is None:
    st.stop()
try:
    queries = statements(sql)
except SqlRefused as exc:
    st.error(_plain(str(exc)), icon=":material/block:")
    st.stop()
query = queries[0]
if len(queries) > 1:
    st.warning(f"The box holds {len(queries)} statements; only the first was run. Run the "
               "others one at a time.", icon=":material/warning:")

# The last outcome is kept, so a rerun (a download, a click elsewhere) does not run the
# query again, least of all one that was stopped for taking too long.
held = st.session_state.get(K_RESULT)
if held is None or held[0] != (ctx.snap, query):
    held = ((ctx.snap, query), _run(query))
    st.session_state[K_RESULT] = held
outcome = held[1]
if isinstance(outcome, str):
    st.error(outcome, icon=":material/error:")
    st.stop()
st.caption(f"{len(outcome):,} rows" + (" (limit reached)"
                                       if len(outcome) >= sqlrun.ROW_LIMIT else ""))
st.dataframe(outcome, hide_index=True, width="stretch", key="sql_result")
ui.download_csv(outcome, "query", "Download the result (CSV)")
