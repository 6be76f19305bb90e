"""Alerts: what the pipeline found unusual (spikes, silent outlets, failing feeds), from the
alerts table, each with a link to the articles behind it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.filters import Filters
from dashboard.queries import ALERT_KINDS

KIND_LABELS = {"spike": "Spike of attention", "silent_source": "Silent outlet",
               "feed_failing": "Failing feeds"}

ctx = ui.context(require_articles=False)
f = ctx.filters
ui.header("Alerts", "What the scheduled runs found unusual, for alerts whose period overlaps "
          f"{f.start} to {f.end} (the sidebar's dates; the other filters do not apply: an "
          "alert is about the whole collection).")
if ctx.empty:
    ui.require_matches(ctx)

if "al_kinds" not in st.session_state:
    raw = str(st.query_params.get("kinds") or "")
    st.session_state["al_kinds"] = [k for k in raw.split(",") if k in ALERT_KINDS]
kinds = st.multiselect("Kinds", ALERT_KINDS, key="al_kinds", format_func=KIND_LABELS.get,
                       placeholder="All kinds")
ui.mirror("kinds", ",".join(kinds), "")


def _link(row: pd.Series) -> str:
    """The articles behind an alert: the entity's that week; an outlet's latest ones."""
    start = row.period_start.date() if pd.notna(row.period_start) else None
    end = row.period_end.date() if pd.notna(row.period_end) else None
    if row.kind == "spike" and isinstance(row.entity_id, str):
        return ui.articles_link(Filters(), [row.entity_id], start, end)
    if row.kind == "spike":
        # A topic's spike: the week's articles (the Articles page has no topic filter).
        return ui.articles_link(Filters(), [], start, end)
    if isinstance(row.source_id, str):
        # Silent: the outlet's articles up to its last day; failing: up to the failure.
        upto: date | None = start if row.kind == "silent_source" else end
        params = {"outlets": row.source_id, **({"to": upto.isoformat()} if upto else {})}
        return ui.page_url("articles", params)
    return ""


def _subject(row: pd.Series) -> str:
    """Who the alert is about: the entity, the outlet, or the saved topic (whose label
    starts the alert's message: "NATO beyond Ukraine: matched by ...")."""
    for name, key in ((row.entity, row.entity_id), (row.outlet, row.source_id)):
        if isinstance(name, str) or isinstance(key, str):
            return str(name if isinstance(name, str) else key)
    if isinstance(row.topic_id, str):
        label = str(row.message).split(": ", 1)[0]
        return f"topic: {label}"
    return ""


with ui.guard():
    found = data.alerts(ctx.snap, f, tuple(kinds))
    if found.empty:
        st.info("No alert in this window. Alerts are raised by `blocwatch ingest` (spikes, "
                "silent outlets, failing feeds); see docs/alerts.md for their rules.",
                icon=":material/notifications_off:")
        st.stop()
    counts = found["kind"].value_counts()
    cols = st.columns(len(ALERT_KINDS))
    for col, kind in zip(cols, ALERT_KINDS, strict=True):
        col.metric(KIND_LABELS[kind], int(counts.get(kind, 0)))
    table = pd.DataFrame({
        "kind": found["kind"].map(KIND_LABELS).to_numpy(),
        "subject": [_subject(r) for r in found.itertuples()],
        "period_start": found["period_start"].to_numpy(),
        "period_end": found["period_end"].to_numpy(),
        "message": found["message"].to_numpy(),
        "articles_link": [_link(r) for r in found.itertuples()],
        "outlet_link": [ui.page_url("sources-runs", {"outlets": s}) if isinstance(s, str)
                        else "" for s in found["source_id"]],
        "raised_at": found["raised_at"].to_numpy(),
        "alert_key": found["alert_key"].to_numpy(),
    })
    st.dataframe(table, hide_index=True, width="stretch", key="al_table", column_config={
        "kind": st.column_config.TextColumn("Kind"),
        "subject": st.column_config.TextColumn("Entity or outlet"),
        "period_start": st.column_config.DateColumn("From", format="YYYY-MM-DD"),
        "period_end": st.column_config.DateColumn("To", format="YYYY-MM-DD"),
        "message": st.column_config.TextColumn("What was found", width="large"),
        "articles_link": st.column_config.LinkColumn(
            "Articles", display_text="open the articles ↗",
            help="A spike: the articles naming the entity that week (a topic's spike: "
                 "all the week's articles). An outlet: its articles up to the last one seen."),
        "outlet_link": st.column_config.LinkColumn(
            "Outlet", display_text="outlet health ↗", help="Sources & runs for the outlet"),
        "raised_at": st.column_config.DatetimeColumn("Raised (UTC)",
                                                     format="YYYY-MM-DD HH:mm"),
        "alert_key": st.column_config.TextColumn("Key"),
    })
    ui.download_csv(table.drop(columns=["articles_link", "outlet_link"]), "alerts",
                    "Download the alerts (CSV)")
    st.caption("A spike: a week whose articles naming the entity are far above its 8 weeks "
               "before, in several outlets. A silent outlet: no new article for several times "
               "its usual interval. Failing feeds: an outlet's feeds failed in consecutive "
               "runs.")
