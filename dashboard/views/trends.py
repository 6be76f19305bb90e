"""Trends: attention to the selected entities over time, with spikes and drill-down."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, charts, data, ui
from dashboard.queries import COUNTS, PERIODS

ctx = ui.context()
f = ctx.filters
ui.header("Trends", ui.describe(ctx))

ui.url_choice("tr_measure", "measure", analysis.MEASURES, "share")
ui.url_choice("tr_period", "period", PERIODS, "week")
ui.url_int("tr_rolling", "rolling", 0, 0, 26)
ui.url_choice("tr_count", "count", COUNTS, "articles")
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
measure = c1.radio("Measure", analysis.MEASURES, key="tr_measure", horizontal=True,
                   format_func=charts.MEASURE_LABELS.get)
period = c2.radio("Period", PERIODS, key="tr_period", horizontal=True)
rolling = c3.number_input("Rolling average (periods; 0 = off)", 0, 26, key="tr_rolling")
count = c4.radio("Count", COUNTS, key="tr_count", horizontal=True,
                 format_func=ui.COUNT_LABELS.get,
                 help="Distinct stories: a wire story and its syndicated copies in other "
                      "outlets count once.")
for param, value, default in (("measure", measure, "share"), ("period", period, "week"),
                              ("rolling", rolling, 0), ("count", count, "articles")):
    ui.mirror(param, value, default)

with ui.guard():
    keys = list(f.entities)
    labels = [ctx.names.get(e, e) for e in keys]
    series = ui.counted_series(ctx.snap, f, data.as_sets([[e] for e in keys]), period, count)
    frame = analysis.trend_frame(series, labels, keys, measure, int(rolling))
    fig = charts.trend_figure(frame, measure, period, ctx.colors)
    if count == "stories":
        fig = ui.as_stories(fig)
    unit = "stories" if count == "stories" else "articles"
    table = frame.rename(columns={"key": "entity_id", "label": "entity", "articles": unit,
                                  "total": f"all_{unit}"})
    table = table[[c for c in ("period", "entity_id", "entity", unit, "mentions",
                               f"all_{unit}", "share", "rolling", "spike")
                   if c in table.columns]]
    event = ui.chart(fig, table, "trends", select=True)

    spikes = frame[frame["spike"]]
    if len(spikes):
        st.caption("Spikes (rings): " + "; ".join(
            f"{r.label} {r.period:%Y-%m-%d} ({r.articles} {unit})"
            for r in spikes.itertuples()) + ". A spike is a period whose article count "
            "exceeds the mean + 3 standard deviations of the 8 periods before it, with at "
            "least 3 articles.")
    else:
        st.caption("No spikes: no period's article count exceeds the mean + 3 standard "
                   "deviations of the 8 periods before it (with at least 3 articles).")

    st.subheader("Articles behind a point")
    points = (event.selection.points if event and event.selection else None) or []
    if points:
        p = points[0]
        key = (fig.data[p["curve_number"]].meta or {}).get("key")
        if key in keys:
            picked = (key, pd.Timestamp(p["x"]).date().isoformat())

            def _apply(v: tuple[str, str]) -> None:
                st.session_state["tr_pick_entity"], st.session_state["tr_pick_period"] = v

            ui.once("tr_point", picked, _apply)
    c1, c2 = st.columns(2)
    entity = c1.selectbox("Entity", keys, key="tr_pick_entity",
                          format_func=lambda e: ctx.names.get(e, e))
    # Every period is offered (a clicked quiet point lists nothing rather than jumping
    # elsewhere); the default is the busiest one.
    rows = frame[frame["key"] == entity]
    options = [d.date().isoformat() for d in rows["period"]]
    if not rows["articles"].any():
        st.info(f"No article names {ctx.names.get(entity, entity)} under these filters.")
        st.stop()
    peak = rows.sort_values(["articles", "period"], ascending=[False, True]).iloc[0]
    if st.session_state.get("tr_pick_period") not in options:
        st.session_state["tr_pick_period"] = peak["period"].date().isoformat()
    counts = dict(zip(options, rows["articles"], strict=True))
    chosen = c2.selectbox(f"{period.capitalize()} starting", options, key="tr_pick_period",
                          format_func=lambda d: f"{d} ({counts[d]} {unit})",
                          help="Or click a point on the chart.")
    lo, hi = analysis.period_bounds(pd.Timestamp(chosen).date(), period)
    window = f.with_dates(max(lo, f.start), min(hi, f.end))
    arts = data.article_list(ctx.snap, window, (entity,))
    st.caption(f"{len(arts)} articles naming {ctx.names.get(entity, entity)} from {window.start} "
               f"to {window.end}.")
    ui.article_table(arts, "trend_articles")
    ui.download_csv(arts.drop(columns=["matches"], errors="ignore"), "trend-articles",
                    "Download these articles (CSV)")
