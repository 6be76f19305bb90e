"""Co-mentions: which entities are named together, in one article or one sentence."""

from __future__ import annotations

import streamlit as st

from dashboard import analysis, charts, data, ui
from dashboard.queries import LEVELS

ctx = ui.context()
f = ctx.filters
ui.header("Co-mentions", ui.describe(ctx))

ui.url_choice("cm_level", "level", LEVELS, "article")
ui.url_int("cm_top", "top", 12, 3, 31)
c1, c2 = st.columns(2)
level = c1.radio("Count articles naming both entities", LEVELS, key="cm_level",
                 horizontal=True, format_func={"article": "in the same article",
                                               "sentence": "in the same sentence"}.get)
explicit = not f.default_entities and len(f.entities) >= 2
if explicit:
    c2.caption(f"Pairs among the {len(f.entities)} entities chosen in the sidebar.")
    top = len(f.entities)
else:
    top = c2.slider("Entities shown (most co-mentioned first)", 3, 31, key="cm_top")
ui.mirror("level", level, "article")
if not explicit:
    ui.mirror("top", top, 12)

with ui.guard():
    pairs = data.co_mention_pairs(ctx.snap, f, level, f.entities if explicit else ())
    if pairs.empty:
        st.info("No two entities are named together in these articles"
                + (" in one sentence." if level == "sentence" else "."))
        st.stop()
    if explicit:
        ids = list(f.entities)
    else:
        weight = (pairs.melt(id_vars=["articles"], value_vars=["entity_a", "entity_b"])
                  .groupby("value")["articles"].sum().sort_values(ascending=False))
        ids = list(weight.index[:top])
    ids = sorted(ids, key=lambda e: ctx.names.get(e, e).lower())
    shown = pairs[pairs["entity_a"].isin(ids) & pairs["entity_b"].isin(ids)].reset_index(
        drop=True)
    matrix = analysis.heatmap_matrix(shown, ids)
    table = shown.assign(name_a=shown["entity_a"].map(ctx.names),
                         name_b=shown["entity_b"].map(ctx.names))[
        ["entity_a", "name_a", "entity_b", "name_b", "articles", "sentences"]]
    event = ui.chart(charts.heatmap_figure(matrix, ctx.names, level), table, "co-mentions",
                     select=True)
    totals_df = data.entity_totals(ctx.snap, f, tuple(ids))
    totals = dict(zip(totals_df["entity_id"], totals_df["articles"], strict=True))
    net = charts.network_figure(shown, {i: totals.get(i, 0) for i in ids}, ctx.names,
                                ctx.colors, level)
    ui.chart(net, table, "co-mention-network")

    st.subheader("Articles behind a pair")
    if shown.empty:
        st.stop()
    options = [f"{r.entity_a}|{r.entity_b}" for r in shown.itertuples()]
    counts = dict(zip(options, shown["articles"], strict=True))
    points = (event.selection.points if event and event.selection else None) or []
    if points:
        cd = points[0].get("customdata")
        if isinstance(cd, list) and len(cd) == 2:
            a, b = sorted(cd)
            if f"{a}|{b}" in counts:
                ui.once("cm_point", f"{a}|{b}",
                        lambda v: st.session_state.__setitem__("cm_pair", v))
    if st.session_state.get("cm_pair") not in options:
        st.session_state["cm_pair"] = options[0]

    def _pair_label(opt: str) -> str:
        a, b = opt.split("|")
        return f"{ctx.names.get(a, a)} – {ctx.names.get(b, b)} ({counts[opt]} articles)"

    pair = st.selectbox("Pair", options, key="cm_pair", format_func=_pair_label,
                        help="Or click a cell of the heatmap.")
    a, b = pair.split("|")
    arts = data.pair_articles(ctx.snap, f, a, b, level)
    st.caption(f"{len(arts)} articles naming both {ctx.names.get(a, a)} and "
               f"{ctx.names.get(b, b)}" + (" in one sentence." if level == "sentence" else "."))
    ui.article_table(arts, "pair_articles", extra=("same_sentence",))
    ui.download_csv(arts, "pair-articles", "Download these articles (CSV)")
