"""Sources & runs: is every outlet still being collected, and how did the runs go."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, ui
from dashboard.queries import PERIODS

ctx = ui.context(require_articles=False)
f = ctx.filters
ui.header("Sources & runs", "Outlet and country filters apply to every table; the date "
          "and language filters to the article counts.")

ui.url_choice("sr_period", "period", PERIODS, "week")
c1, c2, c3 = st.columns(3)
period = c1.radio("Period", PERIODS, key="sr_period", horizontal=True)
runs_n = c2.number_input("Error rates over the last … runs", 1, 500, 10, key="sr_runs")
silent_days = c3.number_input("Silent after … days without an article", 1, 365, 14,
                              key="sr_silent")
ui.mirror("period", period, "week")

with ui.guard():
    st.subheader("Articles per outlet")
    if ctx.empty or ctx.matched == 0:
        st.info("No articles under these filters yet." if not ctx.empty else
                "The warehouse has no dated articles yet.")
    else:
        per = data.outlet_series(ctx.snap, f, period)
        ui.chart(charts.outlet_figure(per, period, ctx.source_colors), per, "outlet-articles")

    st.subheader("Outlet health")
    health = data.outlet_health(ctx.snap, f, int(runs_n))
    if health.empty:
        st.info("No outlet matches the outlet and country filters.")
        st.stop()
    silent = health[(health["articles"] == 0)
                    | (health["days_behind_newest"].fillna(10**6) > silent_days)]
    if len(silent):
        st.warning("Silent outlets (no article in the last "
                   f"{silent_days} days before the newest one): "
                   + ", ".join(f"{r.outlet} (last {str(r.last_published)[:10]})"
                               if r.articles else f"{r.outlet} (no articles)"
                               for r in silent.itertuples()),
                   icon=":material/notifications_off:")
    else:
        st.success(f"Every outlet published within {silent_days} days of the newest article.",
                   icon=":material/check_circle:")
    st.dataframe(health, hide_index=True, width="stretch", key="health", column_config={
        "error_rate": st.column_config.NumberColumn("error rate", format="percent"),
        "days_behind_newest": st.column_config.NumberColumn("days behind newest",
                                                            format="%d"),
        "last_published": st.column_config.DateColumn("last article", format="YYYY-MM-DD"),
        "last_success": st.column_config.DatetimeColumn("last successful fetch (UTC)",
                                                        format="YYYY-MM-DD HH:mm"),
    })
    ui.download_csv(health, "outlet-health", "Download outlet health (CSV)")
    tried = health[health["tried"] > 0]
    if len(tried):
        ui.chart(charts.error_rate_figure(tried), tried[["source_id", "outlet", "tried",
                                                         "failed", "error_rate"]],
                 "error-rates")

    st.subheader("Recent runs")
    runs = data.recent_runs(ctx.snap, 20)
    if runs.empty:
        st.info("No run has been recorded.")
    else:
        st.dataframe(runs, hide_index=True, width="stretch", key="runs")
        ui.download_csv(runs, "runs", "Download runs (CSV)")
