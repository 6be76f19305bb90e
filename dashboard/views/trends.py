"""Trends: attention to the selected entities, queries and saved topics over time, with
spikes and drill-down.

Honest by construction: periods the window holds only part of are shaded and kept out of
spike detection, periods with few articles in all are marked, and the default period is
chosen from the volume (analysis.default_period).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from blocwatch.spikes import MIN_SPIKE_ARTICLES
from dashboard import analysis, charts, data, lines, ui
from dashboard.queries import COUNTS, PERIODS

ctx = ui.context()
f = ctx.filters
ui.header("Trends", ui.describe(ctx))

auto_period = analysis.default_period(ctx.matched, f.start, f.end)
ui.url_choice("tr_measure", "measure", analysis.MEASURES, "share")
ui.url_choice("tr_period", "period", PERIODS, auto_period)
ui.url_int("tr_rolling", "rolling", 0, 0, 26)
ui.url_choice("tr_count", "count", COUNTS, "articles")
c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
measure = c1.radio("Measure", analysis.MEASURES, key="tr_measure", horizontal=True,
                   format_func=charts.MEASURE_LABELS.get)
period = c2.radio("Period", PERIODS, key="tr_period", horizontal=True,
                  help=f"Default: {auto_period}, the finest period in which the window "
                       f"averages at least {analysis.MIN_ARTICLES_PER_PERIOD} articles.")
rolling = c3.number_input("Rolling average (periods; 0 = off)", 0, 26, key="tr_rolling")
count = c4.radio("Count", COUNTS, key="tr_count", horizontal=True,
                 format_func=ui.COUNT_LABELS.get,
                 help="Distinct stories: a wire story and its syndicated copies in other "
                      "outlets count once.")
# The period is always written: its default follows the volume, which a shared link must not.
for param, value, default in (("measure", measure, "share"), ("period", period, None),
                              ("rolling", rolling, 0), ("count", count, "articles")):
    ui.mirror(param, value, default)
picked_lines = lines.inputs("tr", ctx.snap)

with ui.guard():
    keys = list(f.entities)
    labels = [ctx.names.get(e, e) for e in keys]
    series = ui.counted_series(ctx.snap, f, data.as_sets([[e] for e in keys]), period, count)
    if picked_lines:
        # Query lines and topics follow the entities' sets (set_idx from len(keys) + 1).
        all_stories = (series[series["set_idx"] == 1].set_index("period")["total"]
                       if count == "stories" and len(series) else None)
        extra, picked_lines = lines.charted(ctx.snap, f, picked_lines, period, count,
                                            len(keys) + 1, all_stories)
        series = pd.concat([series, extra], ignore_index=True) if len(series) else extra
    line_of = {ln.key: ln for ln in picked_lines}
    keys += [ln.key for ln in picked_lines]
    labels += [ln.label for ln in picked_lines]
    frame = analysis.trend_frame(series, labels, keys, measure, int(rolling), period=period,
                                 start=f.start, end=f.end)
    fig = lines.drop_mentions_hover(charts.trend_figure(frame, measure, period, ctx.colors),
                                    ())  # the lines' traces carry their key
    if count == "stories":
        fig = ui.as_stories(fig)
    unit = "stories" if count == "stories" else "articles"
    table = frame.rename(columns={"key": "entity_id", "label": "entity", "articles": unit,
                                  "total": f"all_{unit}", "small": "small_sample"})
    table = table[[c for c in ("period", "entity_id", "entity", unit, "mentions",
                               f"all_{unit}", "share", "rolling", "partial", "small_sample",
                               "spike") if c in table.columns]]
    event = ui.chart(fig, table, "trends", select=True)
    if picked_lines and measure == "mentions":
        st.caption("Queries and saved topics have no mention count: under Mentions their "
                   "lines are empty; choose Share or Article count.")
    st.caption(
        f"Shaded, ◇: a partial {period} (the window holds only part of it), left out of spike "
        f"detection. ○: a small sample, fewer than {analysis.SMALL_SAMPLE} {unit} in all that "
        f"{period}. Hover a point for the {unit} behind it.")

    st.subheader("Spikes")
    spikes = frame[frame["spike"]]
    rule = (f"A spike is a complete {period} whose {unit} naming the entity exceed the mean "
            f"+ 3 standard deviations of the 8 complete {period}s before it, with at least "
            f"{MIN_SPIKE_ARTICLES} {unit}.")
    if len(spikes):
        listing = pd.DataFrame({
            "entity": spikes["label"].to_numpy(),
            "period": [d.date() for d in pd.to_datetime(spikes["period"])],
            unit: spikes["articles"].astype(int).to_numpy(),
            "baseline": spikes["baseline"].round(1).to_numpy(),
            "articles_link": [ui.articles_link(f, [k], *analysis.period_bounds(d.date(), period))
                              if k in f.entities else None
                              for k, d in zip(spikes["key"], pd.to_datetime(spikes["period"]),
                                              strict=True)],
        }).sort_values(["period", "entity"], ascending=[False, True])
        st.dataframe(listing, hide_index=True, width="stretch", key="tr_spikes", column_config={
            "period": st.column_config.DateColumn(f"{period.capitalize()} starting",
                                                 format="YYYY-MM-DD"),
            unit: st.column_config.NumberColumn(unit.capitalize(), format="%d"),
            "baseline": st.column_config.NumberColumn(
                f"Mean of the 8 {period}s before", format="%.1f"),
            "articles_link": st.column_config.LinkColumn(
                "Articles", display_text="open the articles ↗",
                help="The Articles page with this entity and period"),
        })
        st.caption(rule)
        ui.download_csv(listing.drop(columns=["articles_link"]), "trend-spikes",
                        "Download the spikes (CSV)")
    else:
        st.caption("No spikes. " + rule)

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
    elif "tr_pick_entity" not in st.session_state:
        # First draw: the point a shared URL names (point=<entity>:<first day>).
        # rpartition: a query line's key holds a colon itself (query:2).
        entity_url, _, day_url = str(st.query_params.get("point") or "").rpartition(":")
        if entity_url in keys:
            st.session_state["tr_pick_entity"] = entity_url
            st.session_state["tr_pick_period"] = day_url
    if st.session_state.get("tr_pick_entity") not in keys:
        st.session_state.pop("tr_pick_entity", None)
    c1, c2 = st.columns(2)
    label_of = dict(zip(keys, labels, strict=True))
    entity = c1.selectbox("Entity" if not line_of else "Entity, query or topic", keys,
                          key="tr_pick_entity", format_func=lambda e: label_of.get(e, e))
    # Every period is offered (a clicked quiet point lists nothing rather than jumping
    # elsewhere); the default is the busiest one.
    rows = frame[frame["key"] == entity]
    options = [d.date().isoformat() for d in rows["period"]]
    if not rows["articles"].any():
        st.info(f"No article names {label_of.get(entity, entity)} under these filters."
                if entity not in line_of else
                f"No article matches {label_of[entity]} under these filters.")
        ui.mirror("point", None, None)
        st.stop()
    peak = rows.sort_values(["articles", "period"], ascending=[False, True]).iloc[0]
    if st.session_state.get("tr_pick_period") not in options:
        st.session_state["tr_pick_period"] = peak["period"].date().isoformat()
    counts = dict(zip(options, rows["articles"], strict=True))
    chosen = c2.selectbox(f"{period.capitalize()} starting", options, key="tr_pick_period",
                          format_func=lambda d: f"{d} ({counts[d]} {unit})",
                          help="Or click a point on the chart.")
    ui.mirror("point", f"{entity}:{chosen}", None)
    lo, hi = analysis.period_bounds(pd.Timestamp(chosen).date(), period)
    window = f.with_dates(max(lo, f.start), min(hi, f.end))
    if entity in line_of:
        lines.matching_articles(ctx.snap, window, line_of[entity], "trend_query_articles")
        st.stop()
    arts = data.article_list(ctx.snap, window, (entity,))
    st.caption(f"{len(arts)} articles naming {ctx.names.get(entity, entity)} from {window.start} "
               f"to {window.end}.")
    ui.article_table(arts, "trend_articles")
    ui.download_csv(arts.drop(columns=["matches"], errors="ignore"), "trend-articles",
                    "Download these articles (CSV)")
