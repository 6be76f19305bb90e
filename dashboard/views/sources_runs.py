"""Sources & runs: is every outlet still being collected, and how did the runs go."""

from __future__ import annotations

from datetime import UTC, datetime

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
    st.dataframe(ui.blank_nulls(health), hide_index=True, width="stretch", key="health",
                 column_config={
        "error_rate": st.column_config.NumberColumn(
            "error rate", format="percent",
            help="Failed over tried: article URLs and feeds, sitemaps and URL lists."),
        "tried": st.column_config.NumberColumn("URLs tried", format="%d"),
        "failed": st.column_config.NumberColumn("URLs failed", format="%d"),
        "feeds_tried": st.column_config.NumberColumn("feeds read", format="%d"),
        "feeds_failed": st.column_config.NumberColumn("feeds failed", format="%d"),
        "days_behind_newest": st.column_config.NumberColumn("days behind newest",
                                                            format="%d"),
        "last_published": st.column_config.DateColumn("last article", format="YYYY-MM-DD"),
        "last_success": st.column_config.DatetimeColumn("last successful fetch (UTC)",
                                                        format="YYYY-MM-DD HH:mm"),
    })
    ui.download_csv(health, "outlet-health", "Download outlet health (CSV)")
    tried = health[(health["tried"] + health["feeds_tried"]) > 0]
    if len(tried) and not (tried["failed"] + tried["feeds_failed"]).any():
        st.success(f"No fetch failed in the last {int(runs_n)} runs: every feed, sitemap and "
                   "article URL tried was read.", icon=":material/check_circle:")
    elif len(tried):
        # The chart's failed / tried are all requests: article URLs and discovery documents.
        rates = tried.assign(tried=tried["tried"] + tried["feeds_tried"],
                             failed=tried["failed"] + tried["feeds_failed"])
        ui.chart(charts.error_rate_figure(rates), rates[["source_id", "outlet", "tried",
                                                         "failed", "error_rate"]],
                 "error-rates")

    st.subheader("Parked URLs")
    # To the minute: the cache key changes once a minute, not on every rerun.
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    parked = data.parked_urls(ctx.snap, f, now)
    if parked.empty:
        st.info("No URL is parked: none failed in several runs in a row.")
    else:
        total = int(parked["total"].iloc[0])
        parked = parked.drop(columns="total")
        per_outlet = parked.groupby("outlet", dropna=False)["url"].count()
        st.caption(
            f"{total} URL{'s' if total != 1 else ''} failed with a temporary error "
            "(timeout, network, HTTP 5xx/429, robots.txt unavailable) in several runs in a "
            f"row and {'are' if total != 1 else 'is'} left alone until *parked until* (a day, "
            "then twice as long after each further failure); rows no longer parked are due "
            "for a retry by the next run. `blocwatch unpark` clears them. By outlet: "
            + ", ".join(f"{o} {n}" for o, n in per_outlet.items())
            + (f" (first {len(parked)} shown)" if total > len(parked) else ""))
        st.dataframe(ui.blank_nulls(parked), hide_index=True, width="stretch", key="parked",
                     column_config={
            "failed_runs": st.column_config.NumberColumn("failed runs in a row", format="%d"),
            "last_failed_at": st.column_config.DatetimeColumn("last failure (UTC)",
                                                              format="YYYY-MM-DD HH:mm"),
            "parked_until": st.column_config.DatetimeColumn("parked until (UTC)",
                                                            format="YYYY-MM-DD HH:mm"),
            "parked": st.column_config.CheckboxColumn("still parked"),
        })
        ui.download_csv(parked, "parked-urls", "Download parked URLs (CSV)")

    st.subheader("Recent runs")
    runs = data.recent_runs(ctx.snap, 20)
    if runs.empty:
        st.info("No run has been recorded.")
    else:
        st.dataframe(ui.blank_nulls(runs), hide_index=True, width="stretch", key="runs")
        ui.download_csv(runs, "runs", "Download runs (CSV)")
