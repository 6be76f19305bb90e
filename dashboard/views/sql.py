"""SQL: read-only queries over the published snapshot."""

from __future__ import annotations

import duckdb
import streamlit as st

from dashboard import data, ui
from warehouse.examples import example_queries
from warehouse.sqlguard import SqlRefused

ctx = ui.context(require_articles=False)
ui.header("SQL", f"Read-only queries on `{ctx.snap.path}` (the sidebar filters do not apply "
          "here). Queries only: statements that write, attach, copy, install or load "
          "extensions, or read files are refused. At most "
          f"{data.SQL_ROW_LIMIT:,} rows are shown.")


def _use(sql: str) -> None:
    st.session_state["sql_text"] = sql
    st.session_state["sql_run"] = sql


examples = example_queries()
st.caption("Example queries (the same as in docs/sql.md):")
cols = st.columns(3)
for i, example in enumerate(examples):
    cols[i % len(cols)].button(example.title, key=f"sql_ex_{example.id}", on_click=_use,
                               args=(example.sql,), width="stretch")

st.session_state.setdefault("sql_text", "SELECT * FROM daily_share ORDER BY day DESC LIMIT 20")
text = st.text_area("Query", key="sql_text", height=220)
if st.button("Run query", type="primary", icon=":material/play_arrow:", key="sql_go"):
    st.session_state["sql_run"] = text

sql = st.session_state.get("sql_run")
if sql:
    try:
        result = data.run_sql(ctx.snap, sql)
    except SqlRefused as exc:
        st.error(f"{exc}", icon=":material/block:")
    except duckdb.Error as exc:
        st.error(f"DuckDB: {exc}", icon=":material/error:")
    else:
        st.caption(f"{len(result):,} rows" + (" (limit reached)"
                                              if len(result) >= data.SQL_ROW_LIMIT else ""))
        st.dataframe(result, hide_index=True, width="stretch", key="sql_result")
        ui.download_csv(result, "query", "Download the result (CSV)")
