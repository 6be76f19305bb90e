"""Chart builders: pure functions from tables to Plotly figures (no Streamlit, no SQL).

Conventions every chart follows: the measure is named in the title, axes carry units,
hover shows the exact value (and the counts behind a share), and an entity has the same
colour on every page (entity_colors).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

# Twelve colours for entities, far apart on white: every pair differs by at least 31 in
# CIELAB (CIE76 ΔE; 2.3 is a just-noticeable difference), none lighter than L* 72, so twelve
# lines stay apart in a legend and on screen. Entities get them in the catalog's colour
# order (catalog.Catalog.colour_order): the default preset's members first, so the opening
# view's lines are the most distinct; a thirteenth entity reuses the first colour.
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#f032e6", "#000075", "#654522", "#b3446c",
    "#469990", "#4363d8", "#808000", "#875692",
)
# Outlets are many (one colour each in stacked bars): 32 colours, neighbours unlike.
OUTLET_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22", "#393b79", "#e6550d", "#31a354", "#7b4173", "#3182bd", "#c51b7d",
    "#636363", "#8c6d31", "#6b6ecf", "#17a589", "#ad494a", "#bd9e39", "#843c39", "#5254a3",
    "#74c476", "#fd8d3c", "#a55194", "#6baed6", "#e7ba52", "#9c9ede", "#d6616b", "#637939",
)
SET_PALETTE: tuple[str, ...] = tuple(qualitative.Set1)


@dataclass(frozen=True)
class Measure:
    key: str
    title: str  # as it reads in a chart title
    axis: str  # y axis label, with the unit
    hover: str  # hover format of the value


MEASURES: dict[str, Measure] = {
    "share": Measure("share", "Share of all articles", "Share of articles (%)", "%{y:.2%}"),
    "articles": Measure("articles", "Articles", "Articles (count)", "%{y:,.0f} articles"),
    "mentions": Measure("mentions", "Mentions", "Mentions (count)", "%{y:,.0f} mentions"),
}
MEASURE_LABELS = {"share": "Share of all articles (%)", "articles": "Article count",
                  "mentions": "Mention count"}

PERIOD_AXIS = {"day": "Day of publication", "week": "Week of publication (starting Monday)",
               "month": "Month of publication"}
_PERIOD_HOVER = {"day": "%{x|%Y-%m-%d}", "week": "week of %{x|%Y-%m-%d}",
                 "month": "%{x|%B %Y}"}


def entity_colors(ordered_ids: Iterable[str]) -> dict[str, str]:
    """Colour per entity id, by position in ``ordered_ids`` (the catalog's colour order, the
    same on every page and for every selection)."""
    ids = list(dict.fromkeys(ordered_ids))
    return {eid: PALETTE[i % len(PALETTE)] for i, eid in enumerate(ids)}


def key_color(key: str, colors: Mapping[str, str], position: int = 0) -> str:
    """An entity's colour; a multi-entity set (key not an entity) gets a set colour."""
    return colors.get(key) or SET_PALETTE[position % len(SET_PALETTE)]


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"},
                      xaxis_title=x_title, yaxis_title=y_title, hovermode="closest",
                      legend_title_text="", margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      template="plotly_white")
    return fig


def _hover(measure: Measure, period: str, prefix: str = "") -> str:
    extra = ("<br>%{customdata[0]:,} of %{customdata[1]:,} articles"
             if measure.key == "share" else
             "<br>%{customdata[0]:,} articles, %{customdata[2]:,} mentions"
             "<br>of %{customdata[1]:,} articles in all")
    return (f"{prefix}<b>%{{fullData.name}}</b><br>{_PERIOD_HOVER[period]}<br>"
            f"{measure.title}: {measure.hover}{extra}%{{customdata[4]}}<extra></extra>")


# customdata columns of every trend point: the counts for the hover, set_idx so a clicked
# point can be traced back to its series, and a note on a partial or small period.
_CUSTOM = ["articles", "total", "mentions", "set_idx", "note"]
# Marker of a point: a partial period (the window holds part of it), a small sample, or not.
SYMBOL_PARTIAL, SYMBOL_SMALL, SYMBOL_FULL = "diamond-open", "circle-open", "circle"


def _notes(df: pd.DataFrame, period: str) -> pd.DataFrame:
    out = df.copy()
    part = out["partial"] if "partial" in out else pd.Series(False, index=out.index)
    small = out["small"] if "small" in out else pd.Series(False, index=out.index)
    out["note"] = [
        (f"<br><i>partial {period}: the window holds only part of it</i>" if p else "")
        + (f"<br><i>small sample: {int(t or 0)} articles in all</i>" if sm else "")
        for p, sm, t in zip(part, small, out["total"], strict=True)]
    out["symbol"] = [SYMBOL_PARTIAL if p else SYMBOL_SMALL if sm else SYMBOL_FULL
                     for p, sm in zip(part, small, strict=True)]
    return out


def trend_title(measure: str, period: str, what: str = "naming each entity") -> str:
    return f"{MEASURES[measure].title} {what}, by {period}"


def trend_figure(frame: pd.DataFrame, measure: str, period: str,
                 colors: Mapping[str, str], title: str | None = None) -> go.Figure:
    """Lines per series from analysis.trend_frame(); spikes as rings; rolling as dashes."""
    m = MEASURES[measure]
    fig = go.Figure()
    frame = _notes(frame, period)
    for pos, ((_, key, label), df) in enumerate(
            frame.groupby(["set_idx", "key", "label"], sort=True)):
        color = key_color(key, colors, pos)
        custom = df[_CUSTOM].to_numpy()
        fig.add_trace(go.Scatter(
            x=df["period"], y=df["value"], name=label, mode="lines+markers",
            line={"color": color, "width": 2},
            marker={"size": [9 if s != SYMBOL_FULL else 6 for s in df["symbol"]],
                    "color": color, "symbol": list(df["symbol"])},
            customdata=custom, hovertemplate=_hover(m, period), legendgroup=label,
            meta={"key": key}))
        if "rolling" in df:
            fig.add_trace(go.Scatter(
                x=df["period"], y=df["rolling"], name=f"{label} (rolling mean)",
                mode="lines", line={"color": color, "width": 1.5, "dash": "dash"},
                hovertemplate=(f"<b>{label}</b> rolling mean<br>{_PERIOD_HOVER[period]}<br>"
                               f"{m.hover}<extra></extra>"), legendgroup=label,
                showlegend=False, meta={"key": key}))
        spikes = df[df["spike"]]
        if len(spikes):
            fig.add_trace(go.Scatter(
                x=spikes["period"], y=spikes["value"], name=f"{label}: spike",
                mode="markers", legendgroup=label, showlegend=False,
                marker={"symbol": "circle-open", "size": 16, "color": color,
                        "line": {"width": 3}},
                customdata=spikes[_CUSTOM].to_numpy(),
                hovertemplate=_hover(m, period, prefix="Spike: "), meta={"key": key}))
    _layout(fig, title or trend_title(measure, period), PERIOD_AXIS[period], m.axis)
    if measure == "share":
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    else:
        fig.update_yaxes(rangemode="tozero")
    _shade_partial(fig, frame, period)
    return fig


def _shade_partial(fig: go.Figure, frame: pd.DataFrame, period: str) -> None:
    """Grey bands over the periods the window holds only part of, so a low last value
    reads as unfinished, not as a drop."""
    if "partial" not in frame:
        return
    for start in sorted(set(pd.to_datetime(frame.loc[frame["partial"], "period"]))):
        end = _next_period(start, period)
        fig.add_vrect(x0=start - (end - start) / 2, x1=start + (end - start) / 2,
                      fillcolor="#9e9e9e", opacity=0.18, line_width=0, layer="below",
                      annotation_text=f"partial {period}", annotation_position="top left",
                      annotation_font_size=10, name="partial")


def _next_period(start: pd.Timestamp, period: str) -> pd.Timestamp:
    if period == "day":
        return start + pd.Timedelta(days=1)
    if period == "week":
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def small_multiples_figure(frame: pd.DataFrame, measure: str, period: str,
                           colors: Mapping[str, str], panel_title: str,
                           panel_names: Mapping[str, str] | None = None,
                           columns: int = 3) -> go.Figure:
    """One panel per outlet group (panel column), the same series in each, shared axes."""
    m = MEASURES[measure]
    frame = _notes(frame, period)
    panels = list(dict.fromkeys(frame["panel"]))
    cols = min(columns, max(1, len(panels)))
    rows = math.ceil(len(panels) / cols) if panels else 1
    names = panel_names or {}
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[names.get(p, p) for p in panels],
                        vertical_spacing=0.12 if rows > 1 else 0.08,
                        horizontal_spacing=0.04)
    seen: set[str] = set()
    for i, panel in enumerate(panels):
        r, c = i // cols + 1, i % cols + 1
        for pos, ((_, key, label), df) in enumerate(
                frame[frame["panel"] == panel].groupby(["set_idx", "key", "label"], sort=True)):
            color = key_color(key, colors, pos)
            fig.add_trace(go.Scatter(
                x=df["period"], y=df["value"], name=label, mode="lines",
                line={"color": color, "width": 2}, legendgroup=label,
                showlegend=label not in seen,
                customdata=df[_CUSTOM].to_numpy(),
                hovertemplate=_hover(m, period, prefix=f"{names.get(panel, panel)}<br>")),
                row=r, col=c)
            seen.add(label)
    fig.update_layout(height=max(320, 260 * rows))
    _layout(fig, f"{m.title} naming each entity, by {period}, per {panel_title}", "", "")
    fig.update_xaxes(title_text="")
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text=m.axis, row=r, col=1)
    for c in range(1, cols + 1):
        fig.update_xaxes(title_text=PERIOD_AXIS[period], row=rows, col=c)
    if measure == "share":
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    else:
        fig.update_yaxes(rangemode="tozero")
    return fig


def heatmap_figure(matrix: pd.DataFrame, names: Mapping[str, str], level: str) -> go.Figure:
    """Entity × entity co-mention counts (the diagonal is left blank)."""
    ids = list(matrix.index)
    labels = [names.get(i, i) for i in ids]
    z = matrix.to_numpy(dtype=float, copy=True)
    for i in range(len(ids)):
        z[i, i] = float("nan")
    what = "articles naming both" if level == "article" else \
        "articles naming both in one sentence"
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=labels, colorscale="Blues", hoverongaps=False,
        colorbar={"title": {"text": "Articles"}},
        customdata=[[[a, b] for b in ids] for a in ids],
        hovertemplate="%{y} × %{x}<br>%{z:,.0f} " + what + "<extra></extra>"))
    _layout(fig, f"Co-mentions: {what} (count)", "Entity", "Entity")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(420, 28 * len(ids) + 160))
    return fig


def network_figure(pairs: pd.DataFrame, totals: Mapping[str, int], names: Mapping[str, str],
                   colors: Mapping[str, str], level: str) -> go.Figure:
    """Entities on a circle (sorted by id, so the layout is stable), edges as wide as their
    count; hover on a node or an edge's midpoint gives the numbers."""
    ids = sorted(set(pairs["entity_a"]) | set(pairs["entity_b"]) | set(totals))
    n = max(1, len(ids))
    pos = {eid: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
           for i, eid in enumerate(ids)}
    fig = go.Figure()
    top = max([int(v) for v in pairs["articles"]] or [1])
    what = "articles naming both" if level == "article" else \
        "articles naming both in one sentence"
    mid_x, mid_y, mid_text = [], [], []
    for row in pairs.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[row.entity_a], pos[row.entity_b]
        fig.add_trace(go.Scatter(
            x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip", showlegend=False,
            line={"width": 1 + 9 * int(row.articles) / top, "color": "rgba(90,90,90,0.45)"}))
        mid_x.append((x0 + x1) / 2)
        mid_y.append((y0 + y1) / 2)
        mid_text.append(f"{names.get(row.entity_a, row.entity_a)} – "
                        f"{names.get(row.entity_b, row.entity_b)}: {int(row.articles):,} {what}")
    fig.add_trace(go.Scatter(x=mid_x, y=mid_y, mode="markers", showlegend=False,
                             marker={"size": 8, "color": "rgba(0,0,0,0)"},
                             hovertext=mid_text, hoverinfo="text"))
    biggest = max([int(v) for v in totals.values()] or [1])
    fig.add_trace(go.Scatter(
        x=[pos[i][0] for i in ids], y=[pos[i][1] for i in ids], mode="markers+text",
        text=[names.get(i, i) for i in ids], textposition="top center", showlegend=False,
        marker={"size": [12 + 30 * int(totals.get(i, 0)) / biggest for i in ids],
                "color": [colors.get(i, "#888") for i in ids],
                "line": {"width": 1, "color": "white"}},
        customdata=[[int(totals.get(i, 0))] for i in ids],
        hovertemplate="<b>%{text}</b><br>%{customdata[0]:,} articles<extra></extra>"))
    _layout(fig, f"Co-mention network: edge width = {what} (count), node size = articles",
            "", "")
    fig.update_xaxes(visible=False, range=[-1.35, 1.35])
    fig.update_yaxes(visible=False, range=[-1.3, 1.35], scaleanchor="x")
    fig.update_layout(height=560)
    return fig


def term_bar_figure(df: pd.DataFrame, value: str, title: str, axis: str, hover: str,
                    color: str) -> go.Figure:
    """Horizontal bars, largest on top."""
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d[value], y=d["term"], orientation="h", marker_color=color,
        customdata=d[["window_docs", "baseline_docs", "window_share", "baseline_share"]]
        .to_numpy(),
        hovertemplate=("<b>%{y}</b><br>" + hover + "<br>window: %{customdata[0]:,} articles "
                       "(%{customdata[2]:.1%})<br>baseline: %{customdata[1]:,} articles "
                       "(%{customdata[3]:.1%})<extra></extra>")))
    _layout(fig, title, axis, "Term")
    fig.update_layout(height=max(300, 22 * len(d) + 120))
    return fig


def outlet_figure(df: pd.DataFrame, period: str, colors: Mapping[str, str]) -> go.Figure:
    """Stacked bars of articles per outlet and period."""
    fig = go.Figure()
    for sid, d in df.groupby("source_id", sort=True):
        fig.add_trace(go.Bar(
            x=d["period"], y=d["articles"], name=str(d["outlet"].iloc[0]),
            marker_color=colors.get(str(sid)),
            hovertemplate=(f"<b>%{{fullData.name}}</b><br>{_PERIOD_HOVER[period]}<br>"
                           "%{y:,} articles<extra></extra>")))
    _layout(fig, f"Articles per outlet, by {period}", PERIOD_AXIS[period], "Articles (count)")
    fig.update_layout(barmode="stack")
    return fig


def error_rate_figure(df: pd.DataFrame) -> go.Figure:
    """Share of tried URLs that failed, per outlet."""
    d = df.sort_values("outlet")
    fig = go.Figure(go.Bar(
        x=d["outlet"], y=d["error_rate"].fillna(0.0), marker_color="#d62728",
        customdata=d[["failed", "tried"]].to_numpy(),
        hovertemplate=("<b>%{x}</b><br>error rate %{y:.1%}<br>%{customdata[0]:,} of "
                       "%{customdata[1]:,} URLs failed<extra></extra>")))
    _layout(fig, "Fetch error rate per outlet (failed URLs / URLs tried)", "Outlet",
            "Error rate (%)")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig



def country_map_figure(df: pd.DataFrame, selected: str | None = None) -> go.Figure:
    """A world choropleth of the share of the filtered articles naming each country entity.

    ``df``: iso3, name, entity_id, articles, total. The geometry is plotly.js's world
    topojson, which the browser loads from the chart's ``topojsonURL`` (the dashboard serves
    its own copy: see map_config).
    """
    d = df.assign(share=df["articles"] / df["total"].where(df["total"] > 0))
    fig = go.Figure(go.Choropleth(
        locations=d["iso3"], z=d["share"].fillna(0.0), locationmode="ISO-3",
        text=d["name"], colorscale="Blues", zmin=0, marker_line_color="#666",
        marker_line_width=[2.5 if e == selected else 0.5 for e in d["entity_id"]],
        customdata=d[["articles", "total", "entity_id"]].to_numpy(),
        colorbar={"title": {"text": "Share of articles"}, "tickformat": ".0%"},
        hovertemplate=("<b>%{text}</b><br>named in %{customdata[0]:,} of "
                       "%{customdata[1]:,} articles (%{z:.1%})<extra></extra>")))
    _layout(fig, "Share of the filtered articles naming each country", "", "")
    fig.update_geos(projection_type="natural earth", showframe=False, showcountries=True,
                    countrycolor="#bbb", showcoastlines=False, showland=True,
                    landcolor="#f4f4f4", lataxis_range=[-58, 85])
    fig.update_layout(height=520, margin={"l": 0, "r": 0, "t": 50, "b": 0})
    return fig


def outlet_rank_figure(df: pd.DataFrame, what: str) -> go.Figure:
    """Horizontal bars: the outlets with the most articles naming the selection, largest on
    top. ``df``: outlet, articles, share_of_selection, share_of_outlet, outlet_articles."""
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["articles"], y=d["outlet"], orientation="h", marker_color="#1f77b4",
        customdata=d[["share_of_selection", "share_of_outlet", "outlet_articles"]]
        .to_numpy(),
        hovertemplate=("<b>%{y}</b><br>%{x:,} articles naming " + what + "<br>"
                       "%{customdata[0]:.1%} of all such articles<br>%{customdata[2]:,} "
                       "articles in all from this outlet (%{customdata[1]:.1%} name them)"
                       "<extra></extra>")))
    _layout(fig, f"Outlets by articles naming {what}", "Articles (count)", "")
    fig.update_layout(height=max(280, 26 * len(d) + 120))
    return fig
