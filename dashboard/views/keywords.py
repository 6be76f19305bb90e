"""Keywords: what the coverage of an entity (or of what a text query matches) is about,
and what is new in it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from blocwatch.query import QuerySyntaxError
from dashboard import analysis, charts, data, ui
from dashboard.queries import baseline_window
from dashboard.text import kwic
from warehouse.textindex import TextIndexError

BEFORE_CHARS = 60  # about what the "before" column shows at its width


def _two_line_title(fig: go.Figure) -> go.Figure:
    """Room for a title on two lines: in a half-width column one line was cut off."""
    fig.update_layout(margin={"t": 80}, title={"font": {"size": 15}})
    return fig


ctx = ui.context()
f = ctx.filters
ui.header("Keywords", "Top and rising terms in the articles naming an entity: the window "
          "chosen in the sidebar against the baseline window of the same length just before "
          "it. " + ui.describe(ctx))

ordered = list(f.entities) + sorted((e for e in ctx.names if e not in f.entities),
                                    key=lambda e: ctx.names[e].lower())
WINDOWS = {"91": "last 13 weeks", "28": "last 4 weeks", "all": "whole sidebar window"}
ui.url_choice("kw_entity", "entity", ordered, ordered[0])
ui.url_choice("kw_window", "window", list(WINDOWS), "91")
c1, c2, c3 = st.columns([2, 2, 1])
entity = c1.selectbox("Entity", ordered, key="kw_entity",
                      format_func=lambda e: ctx.names.get(e, e))
window = c2.selectbox("Window (ending on the sidebar's To date)", list(WINDOWS),
                      key="kw_window", format_func=WINDOWS.get,
                      help="Compared with the baseline: the same number of days just before.")
n = c3.slider("Terms shown", 5, 40, 15, key="kw_n")
if "kw_query" not in st.session_state:
    st.session_state["kw_query"] = str(st.query_params.get("query") or "")[
        :data.MAX_QUERY_CHARS]
query = st.text_input(
    "…or a query (its matching articles instead of the entity's)", key="kw_query",
    max_chars=data.MAX_QUERY_CHARS, placeholder='Japan AND "Asian NATO"',
    help="A query as on Trends (docs/query.md): the statistics are over the articles it "
         "matches. Empty: the entity's articles.").strip()
ui.mirror("entity", entity, ordered[0])
ui.mirror("window", window, "91")
ui.mirror("query", query, "")
if query:
    try:
        data.check_query(ctx.snap, query)
    except QuerySyntaxError as exc:
        st.error(f"The query cannot be read, so the entity's articles are shown:\n\n"
                 f"```\n{exc.caret()}\n```", icon=":material/error:")
        query = ""
assert f.start is not None and f.end is not None
if window != "all":
    # A recent stretch against the one before it: with the whole history as the window
    # there would be no baseline to rise from.
    f = f.with_dates(max(f.start, f.end - timedelta(days=int(window) - 1)), f.end)
assert f.start is not None and f.end is not None
b_start, b_end = baseline_window(f.start, f.end)

with ui.guard():
    if query:
        try:
            terms, w_arts, b_arts = data.query_keyword_terms(ctx.snap, f, query)
        except TextIndexError as exc:
            st.warning(f"The query cannot be counted, so the entity's articles are shown: "
                       f"{exc}", icon=":material/warning:")
            query = ""
    if not query:
        terms, w_arts, b_arts = data.keyword_terms(ctx.snap, f, entity)
    name = f"“{query}”" if query else ctx.names.get(entity, entity)
    naming = f"matching {name}" if query else f"naming {name}"
    st.caption(f"Window {f.start} – {f.end}: {w_arts:,} articles {naming}. "
               f"Baseline {b_start} – {b_end}: {b_arts:,} articles.")
    if w_arts == 0 or terms.empty:
        st.info(f"No article {naming} in the window has keywords. Choose another "
                f"{'query' if query else 'entity'} or widen the dates.")
        st.stop()
    top, rising = analysis.rank_terms(terms, w_arts, b_arts, n)
    color = "#1f77b4" if query else ctx.colors.get(entity, "#1f77b4")
    left, right = st.columns(2)
    with left:
        ui.chart(_two_line_title(charts.term_bar_figure(
            top, "window_docs",
            f"Top terms<br><sup>articles {naming} that use the term</sup>",
            "Articles in the window (count)", "%{x:,} articles in the window", color)),
            top, "keywords-top")
    with right:
        if rising.empty:
            st.info("No rising terms: " + (
                f"no article {naming} in the baseline window; choose a shorter window "
                "or an earlier From date." if b_arts == 0 else
                "no term is used by a larger share of the articles than in the baseline."))
        else:
            ui.chart(_two_line_title(charts.term_bar_figure(
                rising, "change_pp",
                "Rising terms<br><sup>change in the share of "
                + (f"the articles {naming}" if query else f"{name}'s articles")
                + " using it</sup>",
                "Change, window versus baseline (percentage points)",
                "%{x:+.1f} percentage points", "#ff7f0e")), rising, "keywords-rising")

    st.subheader("Keyword in context")
    choices = list(dict.fromkeys([*top["term"], *rising["term"]]))
    if st.session_state.get("kw_term") not in choices:
        st.session_state["kw_term"] = choices[0]
    term = st.selectbox("Term", choices, key="kw_term")
    arts = (data.query_kwic_articles(ctx.snap, f, query, term) if query
            else data.kwic_articles(ctx.snap, f, entity, term))
    lines = [{"published": r.published, "outlet": r.outlet, "left": left_, "term": mid,
              "right": right_, "title": r.title, "article_id": r.article_id}
             for r in arts.itertuples()
             for left_, mid, right_ in kwic(r.text or "", term, language=r.language)]
    kw = pd.DataFrame(lines, columns=["published", "outlet", "left", "term", "right", "title",
                                      "article_id"])
    st.caption(f"{len(kw)} lines from {len(arts)} articles {naming} that use "
               f"“{term}” (newest first).")
    # The words next to the term matter: the "before" text keeps its end (cut at its start,
    # right-aligned against the term). Each line opens its article on the Articles page.
    shown = kw.assign(
        left=kw["left"].map(lambda t: t if len(t) <= BEFORE_CHARS
                            else "…" + t[-(BEFORE_CHARS - 1):].lstrip()),
        open=kw["article_id"].map(lambda i: f"articles?article={int(i)}"))
    st.dataframe(ui.blank_nulls(shown), hide_index=True, width="stretch", key="kwic",
                 column_order=["published", "open", "outlet", "left", "term", "right"],
                 column_config={
                     "published": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
                     "outlet": st.column_config.TextColumn("Outlet"),
                     "left": st.column_config.TextColumn("…before", width="large",
                                                         alignment="right"),
                     "term": st.column_config.TextColumn("Term"),
                     "right": st.column_config.TextColumn("after…", width="large"),
                     "open": st.column_config.LinkColumn(
                         "Article", display_text="read", help="Open the article here"),
                 })
    ui.download_csv(kw, "keyword-in-context", "Download these lines (CSV)")
