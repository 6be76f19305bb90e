"""Co-mentions: which entities are named together, in one article or one sentence."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import analysis, charts, data, ui
from dashboard.queries import LEVELS


def _clicked_pair(point: dict[str, Any], ids: list[str]) -> str | None:
    """The pair ("a|b", ids sorted) of a clicked heatmap cell. Streamlit hands a heatmap
    click over with the cell's x and y (the entities' names) and, depending on the
    version, its customdata (the ids) or point indices."""
    cd = point.get("customdata")
    if isinstance(cd, list) and len(cd) == 2 and all(isinstance(c, str) for c in cd):
        a, b = sorted(cd)
        return f"{a}|{b}"
    by_name = {ctx.names.get(i, i): i for i in ids}
    x, y = by_name.get(str(point.get("x"))), by_name.get(str(point.get("y")))
    if x is None or y is None:
        index = point.get("point_index") or point.get("point_number")
        if isinstance(index, list) and len(index) == 2 and all(
                isinstance(i, int) and 0 <= i < len(ids) for i in index):
            y, x = ids[index[0]], ids[index[1]]
    if x is None or y is None or x == y:
        return None
    a, b = sorted((x, y))
    return f"{a}|{b}"


def _clickable(fig: go.Figure, matrix: pd.DataFrame) -> go.Figure:
    """The heatmap with an invisible marker on each cell: Streamlit reports no selection for
    a click on a heatmap (only traces plotly can select points of), so the click lands on
    the marker, which carries the pair. The markers take over the hover text too (a point
    is clicked where it is hovered)."""
    heat = fig.data[0]
    ids = list(matrix.index)
    labels = [ctx.names.get(i, i) for i in ids]
    xs, ys, pairs, text = [], [], [], []
    for r, a in enumerate(ids):
        for c, b in enumerate(ids):
            if a == b:
                continue
            n = matrix.iat[r, c]
            xs.append(labels[c])
            ys.append(labels[r])
            pairs.append([a, b])
            text.append(f"{labels[r]} × {labels[c]}<br>{0 if pd.isna(n) else int(n):,} "
                        + ("articles naming both" if level == "article"
                           else "articles naming both in one sentence"))
    fig.add_trace(go.Scatter(
        x=xs, y=ys, customdata=pairs, text=text, mode="markers", showlegend=False,
        marker={"size": 24, "opacity": 0, "color": "#000"}, hovertemplate="%{text}<extra></extra>",
        selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
        name="cells"))
    heat.update(hoverinfo="skip", hovertemplate=None)
    return fig


def _outward_labels(fig: go.Figure) -> go.Figure:
    """Each node's name placed away from the circle's centre (left of the nodes on the
    left, above those at the top ...), so that a dozen names around the circle do not
    run into each other or into the edges."""
    nodes = fig.data[-1]
    places = []
    for x, y in zip(nodes.x, nodes.y, strict=True):
        vertical = "top" if y > 0.38 else "bottom" if y < -0.38 else "middle"
        horizontal = "right" if x > 0.38 else "left" if x < -0.38 else "center"
        places.append(f"{vertical} {horizontal}")
    nodes.textposition = places
    return fig


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
    event = ui.chart(_clickable(charts.heatmap_figure(matrix, ctx.names, level), matrix),
                     table, "co-mentions", select=True)
    totals_df = data.entity_totals(ctx.snap, f, tuple(ids))
    totals = dict(zip(totals_df["entity_id"], totals_df["articles"], strict=True))
    # Every pair of 12 entities is 66 edges, a hairball: draw the strongest few (by
    # default twice as many as there are entities), the heatmap keeps them all.
    edges_max = len(shown)
    ui.url_int("cm_edges", "edges", min(edges_max, 2 * len(ids)), 1, max(1, edges_max))
    if st.session_state["cm_edges"] > edges_max:
        st.session_state["cm_edges"] = edges_max
    strongest = shown.sort_values(["articles", "entity_a", "entity_b"],
                                  ascending=[False, True, True]).head(
        int(st.session_state["cm_edges"]))
    net = _outward_labels(charts.network_figure(
        strongest, {i: totals.get(i, 0) for i in ids}, ctx.names, ctx.colors, level))
    ui.chart(net, table, "co-mention-network")
    if edges_max > 1:
        edges = st.slider("Pairs drawn in the network (the strongest first)", 1, edges_max,
                          key="cm_edges")
        ui.mirror("edges", edges, min(edges_max, 2 * len(ids)))
    st.caption(f"The network draws the {len(strongest)} strongest of {edges_max} pairs; "
               "the heatmap and the data behind the charts hold them all.")

    st.subheader("Articles behind a pair")
    if shown.empty:
        st.stop()
    options = [f"{r.entity_a}|{r.entity_b}" for r in shown.itertuples()]
    counts = dict(zip(options, shown["articles"], strict=True))
    points = (event.selection.points if event and event.selection else None) or []
    clicked = _clicked_pair(points[0], ids) if points else None
    if clicked and clicked in counts:
        ui.once("cm_point", clicked, lambda v: st.session_state.__setitem__("cm_pair", v))
    elif not points:
        # A click that clears the selection: the same cell, clicked again later, counts.
        st.session_state.pop("_once_cm_point", None)
    if "cm_pair" not in st.session_state:
        # A shared link's pair (?pair=japan|nato), in either order.
        wanted = "|".join(sorted((st.query_params.get("pair") or "").split("|")))
        st.session_state["cm_pair"] = wanted
    if st.session_state.get("cm_pair") not in options:
        st.session_state["cm_pair"] = options[0]

    def _pair_label(opt: str) -> str:
        a, b = opt.split("|")
        return f"{ctx.names.get(a, a)} – {ctx.names.get(b, b)} ({counts[opt]} articles)"

    pair = st.selectbox("Pair", options, key="cm_pair", format_func=_pair_label,
                        help="Or click a cell of the heatmap.")
    ui.mirror("pair", pair, options[0])
    a, b = pair.split("|")
    arts = data.pair_articles(ctx.snap, f, a, b, level)
    st.caption(f"{len(arts)} articles naming both {ctx.names.get(a, a)} and "
               f"{ctx.names.get(b, b)}" + (" in one sentence." if level == "sentence" else "."))
    ui.article_table(arts, "pair_articles", extra=("same_sentence",))
    ui.download_csv(arts, "pair-articles", "Download these articles (CSV)")
