"""Compare: the same entities (or entity sets), queries and saved topics side by side
across outlet groups."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from dashboard import analysis, charts, data, lines, ui
from dashboard.filters import Filters
from dashboard.queries import MATCHES, PERIODS

ctx = ui.context()
f = ctx.filters
ui.header("Compare", "Small multiples: one panel per outlet group, the same lines in each. "
          + ui.describe(ctx))

SPLITS = {"country": "outlet country", "language": "article language", "kind": "outlet kind",
          "outlet": "outlet", "groups": "outlet groups you define"}
ui.url_choice("cmp_split", "split", list(SPLITS), "country")
ui.url_choice("cmp_measure", "measure", analysis.MEASURES, "share")
ui.url_choice("cmp_period", "period", PERIODS, "month")
c1, c2, c3 = st.columns([3, 3, 2])
split = c1.selectbox("Panels by", list(SPLITS), key="cmp_split", format_func=SPLITS.get)
measure = c2.radio("Measure", analysis.MEASURES, key="cmp_measure", horizontal=True,
                   format_func=charts.MEASURE_LABELS.get)
period = c3.radio("Period", PERIODS, key="cmp_period", horizontal=True)
for param, value, default in (("split", split, "country"), ("measure", measure, "share"),
                              ("period", period, "month")):
    ui.mirror(param, value, default)
if "cmp_same_y" not in st.session_state:
    st.session_state["cmp_same_y"] = st.query_params.get("yscale") != "own"
same_scale = st.toggle("Same y-scale in every panel", key="cmp_same_y",
                       help="Off: each panel scaled to its own lines, to read the shape of a "
                            "small outlet group's coverage (heights then differ in meaning).")
ui.mirror("yscale", "shared" if same_scale else "own", "shared")

all_entities = sorted(ctx.names, key=lambda e: ctx.names[e].lower())


def _url_ids(key: str, param: str, allowed: Iterable[str]) -> list[str]:
    """Seed a multiselect from the URL's comma-separated ids (unknown ids dropped)."""
    if key not in st.session_state:
        known = set(allowed)
        raw = (st.query_params.get(param) or "")[:2000]
        st.session_state[key] = [x for x in dict.fromkeys(raw.split(",")) if x in known]
    return list(st.session_state[key])


# Entity sets and outlet groups live in the URL like every other setting, so a shared link
# reopens the same comparison: ?set1=japan,nato&setmatch=all&split=groups
# &group1=kyodo,nhk&name1=Japanese&group2=tass,ria&name2=Russian state
seeded_sets = [_url_ids(f"cmp_set{i}", f"set{i + 1}", ctx.names) for i in range(3)]
ui.url_choice("cmp_match", "setmatch", MATCHES, "any")
with st.expander("Lines: entities, or entity sets such as Japan + NATO",
                 expanded=any(seeded_sets)):
    st.caption("Leave the sets empty to draw one line per entity chosen in the sidebar. "
               "A set counts the articles naming any (or all) of its entities.")
    match = st.radio("An article counts for a set when it names", MATCHES, horizontal=True,
                     key="cmp_match", format_func={"any": "any of them",
                                                   "all": "all of them"}.get)
    set_cols = st.columns(3)
    sets = [set_cols[i].multiselect(f"Set {i + 1}", all_entities, key=f"cmp_set{i}",
                                    format_func=lambda e: ctx.names.get(e, e))
            for i in range(3)]
for i, chosen in enumerate(sets):
    ui.mirror(f"set{i + 1}", ",".join(chosen), "")
ui.mirror("setmatch", match, "any")
sets = [s for s in sets if s]
if sets:
    line_sets = sets
    keys = [s[0] if len(s) == 1 else "|".join(s) for s in sets]
    labels = [analysis.set_label(s, ctx.names, match) for s in sets]
else:
    match = "any"
    line_sets = [[e] for e in f.entities]
    keys = list(f.entities)
    labels = [ctx.names.get(e, e) for e in keys]

picked_lines = lines.inputs("cmp", ctx.snap)


def panel_filters(panel: str, base: Filters) -> Filters | None:
    """The sidebar's filters narrowed to one panel of the split (None: the panel is an
    unknown country, language or kind, which a query line cannot select)."""
    srcs = ctx.sources
    if split == "country":
        ids = srcs.loc[srcs["country"] == panel, "source_id"]
    elif split == "kind":
        ids = srcs.loc[srcs["kind"] == panel, "source_id"]
    elif split == "outlet":
        ids = pd.Series([panel])
    elif split == "language":
        return None if panel == "(unknown)" else Filters(
            base.entities, base.start, base.end, base.sources, base.countries, (panel,))
    else:
        return base
    allowed = [s for s in ids if not base.sources or s in base.sources]
    return base.with_sources(allowed) if allowed else None


groups: list[tuple[str, list[str]]] = []
if split != "groups":
    for i in range(4):  # groups only say something under "outlet groups"
        ui.mirror(f"group{i + 1}", "", "")
        ui.mirror(f"name{i + 1}", "", "")
if split == "groups":
    st.caption("Define up to four outlet groups (e.g. Russian state media versus Japanese "
               "outlets); each becomes a panel. Sidebar outlet filters still apply.")
    gcols = st.columns(4)
    for i in range(4):
        if f"cmp_gname{i}" not in st.session_state:
            st.session_state[f"cmp_gname{i}"] = (
                (st.query_params.get(f"name{i + 1}") or "").strip()[:60] or f"Group {i + 1}")
        _url_ids(f"cmp_group{i}", f"group{i + 1}", ctx.source_names)
        name = gcols[i].text_input(f"Group {i + 1} name", key=f"cmp_gname{i}", max_chars=60)
        members = gcols[i].multiselect(f"Group {i + 1} outlets", list(ctx.source_names),
                                       key=f"cmp_group{i}",
                                       format_func=lambda s: ctx.source_names.get(s, s))
        ui.mirror(f"group{i + 1}", ",".join(members), "")
        ui.mirror(f"name{i + 1}", name.strip(), f"Group {i + 1}")
        if members:
            groups.append((name.strip() or f"Group {i + 1}", members))
    if len(groups) < 2:
        st.info("Choose outlets for at least two groups to compare them.")
        st.stop()

with ui.guard():
    set_key = data.as_sets(line_sets)
    if split == "groups":
        parts = []
        for name, members in groups:
            allowed = [s for s in members if not f.sources or s in f.sources]
            if not allowed:
                continue
            part = data.series(ctx.snap, f.with_sources(allowed), set_key, period, "none",
                               match).copy()
            part["panel"] = name
            parts.append(part)
        series = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        panel_title, panel_names = "outlet group", None
    else:
        series = data.series(ctx.snap, f, set_key, period, split, match)
        panel_title = SPLITS[split]
        panel_names = ctx.source_names if split == "outlet" else None
    if series.empty:
        st.info("No articles in these outlet groups under the sidebar filters.")
        st.stop()
    if picked_lines:
        # Each panel's query lines and topics counted under that panel's outlets or
        # language, after the entities' sets.
        parts, kept = [series], picked_lines
        for panel in dict.fromkeys(series["panel"]):
            base = (f.with_sources([s for s in dict(groups)[panel]
                                    if not f.sources or s in f.sources])
                    if split == "groups" else f)
            narrowed = panel_filters(str(panel), base)
            if narrowed is None:
                continue
            extra, kept = lines.charted(ctx.snap, narrowed, kept, period, "articles",
                                        len(keys) + 1)
            parts.append(extra.assign(panel=panel))
        series = pd.concat(parts, ignore_index=True)
        keys = keys + [ln.key for ln in kept]
        labels = labels + [ln.label for ln in kept]
    frame = analysis.trend_frame(series, labels, keys, measure)
    fig = lines.drop_mentions_hover(
        charts.small_multiples_figure(frame, measure, period, ctx.colors, panel_title,
                                      panel_names), [ln.label for ln in picked_lines])
    if same_scale:
        # Every panel on the first panel's scale, across rows too (make_subplots shares
        # a y-axis only along a row): equal heights mean equal values everywhere.
        fig.update_yaxes(matches="y")
    else:
        fig.update_yaxes(matches=None, showticklabels=True)
    table = frame.rename(columns={"label": "line", "total": "all_articles"})[
        ["panel", "period", "line", "articles", "mentions", "all_articles", "share"]]
    ui.chart(fig, table, "compare")

    st.subheader("Over the whole window")
    summary = (frame.groupby(["panel", "label"], sort=False)
               .agg(articles=("articles", "sum"), mentions=("mentions", "sum"))
               .reset_index())
    totals = (frame.drop_duplicates(["panel", "period"]).groupby("panel")["total"].sum()
              .rename("all_articles"))
    summary = summary.join(totals, on="panel")
    summary["share"] = summary["articles"] / summary["all_articles"].where(
        summary["all_articles"] > 0)
    if panel_names:
        summary["panel"] = summary["panel"].map(lambda p: panel_names.get(p, p))
    summary = summary.rename(columns={"label": "line"})
    st.dataframe(summary, hide_index=True, width="stretch", key="compare_summary",
                 column_config={"share": st.column_config.NumberColumn(
                     "share of the panel's articles", format="percent")})
    ui.download_csv(summary, "compare-summary", "Download the summary (CSV)")
