"""Query lines and saved topics beside the entities (issue 15): the inputs (kept in the
URL), their series in the shape of the entity series, and the matching articles of one
period with the query's hits marked.

A query line is a query in the language of blocwatch.query (docs/query.md), counted on the
snapshot's full-text index (warehouse/search.py); a saved topic is a named query of
topics.yaml, counted at ingest into its rollup (warehouse/topics.py). Both are charted as
the entities are: share of all articles, articles, or distinct stories. A query that
cannot be read is shown with its caret and left out; the rest of the page still works.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from blocwatch.query import QuerySyntaxError
from dashboard import data, ui
from dashboard.filters import Filters
from dashboard.text import hit_excerpt, mark_html, safe_url
from warehouse.textindex import TextIndexError

PARAM_QUERY = "q"  # repeated: ?q=Japan&q=%22Asian+NATO%22
PARAM_TOPICS = "topics"  # comma-separated topic ids
QUERY_PREFIX, TOPIC_PREFIX = "query:", "topic:"
_LABEL_CHARS = 60
ARTICLES_SHOWN = 50


@dataclass(frozen=True)
class Line:
    """One query or saved topic on a chart: its series key (``query:<n>``, n its line
    number, or ``topic:<id>``), legend label and query text."""

    key: str
    label: str
    text: str


def _label(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _LABEL_CHARS else flat[:_LABEL_CHARS - 1] + "…"


def _fence(text: str) -> str:
    # A code fence longer than any run of backticks in the query, so it cannot close early.
    longest, run = 0, 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def inputs(prefix: str, snap: data.Snapshot) -> list[Line]:
    """The query box and the saved-topic picker, seeded from the URL the first time and
    mirrored into it (``q`` once per query line, ``topics``); the readable lines, after
    an error with its caret for each query that is not."""
    k_text, k_topics = f"{prefix}_queries", f"{prefix}_topics"
    catalog = data.topics(snap)
    known = dict(zip(catalog["topic_id"], catalog["label"], strict=True))
    if k_text not in st.session_state:
        st.session_state[k_text] = "\n".join(
            q[:data.MAX_QUERY_CHARS] for q in st.query_params.get_all(PARAM_QUERY)
            if q.strip())
    if k_topics not in st.session_state:
        raw = ",".join(st.query_params.get_all(PARAM_TOPICS))
        st.session_state[k_topics] = [t for t in dict.fromkeys(raw.split(",")) if t in known]
    st.session_state[k_topics] = [t for t in st.session_state[k_topics] if t in known]
    c1, c2 = st.columns([3, 2])
    text = c1.text_area(
        "Queries (one per line)", key=k_text, height=80,
        placeholder='"Asian NATO" OR "NATO of Asia"\nJapan AND NATO AND summit',
        help="Each line is charted beside the entities: words (any inflection), "
             '"phrases", AND, OR, NOT, (...), prefix*, title:, entity:ID. '
             "See docs/query.md.")
    picked = c2.multiselect(
        "Saved topics (topics.yaml)", list(known), key=k_topics,
        format_func=lambda t: known.get(t, t),
        placeholder="No saved topic" if known else "topics.yaml holds no topic",
        help="Named queries counted at every ingest; charted like the entities.")
    queries = [q.strip()[:data.MAX_QUERY_CHARS] for q in text.splitlines()][:data.MAX_QUERIES]
    kept = [q for q in queries if q]
    if st.query_params.get_all(PARAM_QUERY) != kept:
        if kept:
            st.query_params[PARAM_QUERY] = kept
        elif PARAM_QUERY in st.query_params:
            del st.query_params[PARAM_QUERY]
    ui.mirror(PARAM_TOPICS, ",".join(picked), "")
    if len([q for q in text.splitlines() if q.strip()]) > data.MAX_QUERIES:
        st.warning(f"Only the first {data.MAX_QUERIES} query lines are charted.",
                   icon=":material/warning:")

    lines: list[Line] = []
    for n, q in enumerate(queries, start=1):
        if not q:
            continue
        try:
            data.check_query(snap, q)
        except QuerySyntaxError as exc:
            caret = QuerySyntaxError(exc.message, exc.position, q).caret()
            fence = _fence(caret)
            st.error(f"Query line {n} cannot be read, so it is not charted:\n\n"
                     f"{fence}\n{caret}\n{fence}", icon=":material/error:")
            continue
        lines.append(Line(f"{QUERY_PREFIX}{n}", _label(q), q))
    queries_of = dict(zip(catalog["topic_id"], catalog["query"], strict=True))
    lines += [Line(f"{TOPIC_PREFIX}{t}", f"Topic: {known[t]}", queries_of[t]) for t in picked]
    return lines


def series(snap: data.Snapshot, filters: Filters, lines: Sequence[Line], period: str,
           count: str, first_idx: int, stories_total: pd.Series | None = None
           ) -> pd.DataFrame:
    """The lines' series in the columns of the entity series (panel, period, set_idx,
    articles, mentions, total, share), set_idx from ``first_idx`` on in the order of
    ``lines``. Counted in distinct stories (``count='stories'``), "articles" holds the
    matching stories and "total" all stories of the period (``stories_total``, by period,
    from the entity series: the same filters). Lines have no mention count (NaN).
    Raises TextIndexError when the snapshot's index cannot be opened."""
    frames = []
    topic_ids = tuple(ln.key.removeprefix(TOPIC_PREFIX) for ln in lines
                      if ln.key.startswith(TOPIC_PREFIX))
    by_topic = (data.topic_series(snap, filters, topic_ids, period) if topic_ids
                else pd.DataFrame(columns=["topic_id"]))
    for i, line in enumerate(lines):
        if line.key.startswith(TOPIC_PREFIX):
            df = by_topic[by_topic["topic_id"] == line.key.removeprefix(TOPIC_PREFIX)]
        else:
            df = data.query_series(snap, filters, line.text, period)
        df = df[["period", "articles", "total", "share", "stories"]].copy()
        if count == "stories":
            df["articles"] = df["stories"]
            totals = (stories_total if stories_total is not None
                      else pd.Series(dtype=float))
            df["total"] = pd.to_datetime(df["period"]).map(totals).astype(float)
            df["share"] = np.where(df["total"] > 0, df["articles"] / df["total"], np.nan)
        df["panel"] = "all"
        df["set_idx"] = first_idx + i
        df["mentions"] = np.nan
        frames.append(df.drop(columns=["stories"]))
    if not frames:
        return pd.DataFrame(columns=["panel", "period", "set_idx", "articles", "mentions",
                                     "total", "share"])
    out = pd.concat(frames, ignore_index=True)
    out["period"] = pd.to_datetime(out["period"])
    return out


def charted(snap: data.Snapshot, filters: Filters, lines: Sequence[Line], period: str,
            count: str, first_idx: int, stories_total: pd.Series | None = None
            ) -> tuple[pd.DataFrame, list[Line]]:
    """``series`` with a missing index shown as a warning (the lines are then left out,
    the saved topics kept: they are counted at ingest)."""
    try:
        return series(snap, filters, lines, period, count, first_idx, stories_total), list(
            lines)
    except TextIndexError as exc:
        st.warning(f"Query lines cannot be counted: {exc}", icon=":material/warning:")
        kept = [ln for ln in lines if ln.key.startswith(TOPIC_PREFIX)]
        return series(snap, filters, kept, period, count, first_idx, stories_total), kept


def matching_articles(snap: data.Snapshot, window: Filters, line: Line, name: str) -> None:
    """The newest articles of the window matching the line's query, the query's words
    marked in the headline and in an excerpt of the text; a table and a CSV besides."""
    try:
        total, rows, marks = data.query_articles(snap, window, line.text, ARTICLES_SHOWN)
    except TextIndexError as exc:
        st.warning(str(exc), icon=":material/warning:")
        return
    shown = f", the newest {len(rows)} listed" if total > len(rows) else ""
    st.caption(f"{total} articles match {line.label} from {window.start} to {window.end}"
               f"{shown}; the query's words are marked.")
    items = []
    for r in rows:
        spans = marks.get(int(r["article_id"]), {})
        title = mark_html(r["title"] or "(no title)", spans.get("title", []))
        link = safe_url(r["url"])
        if link:
            title = (f'<a href="{html.escape(link, quote=True)}" target="_blank" '
                     f'rel="noopener noreferrer nofollow">{title}</a>')
        excerpt, inside = hit_excerpt(r.get("text") or "", spans.get("text", []))
        day = str(r["published"])[:10] if r["published"] is not None else ""
        items.append(
            f"<li><span>{html.escape(day)} · {html.escape(str(r['outlet']))}</span> "
            f"{title}" + (f"<br><small>{mark_html(excerpt, inside)}</small>" if excerpt
                          else "") + "</li>")
    if items:
        st.html("<ol class='bw-hits'>" + "".join(items) + "</ol>")
    table = pd.DataFrame([{k: r[k] for k in ("article_id", "published", "outlet", "title",
                                              "url")} for r in rows],
                         columns=["article_id", "published", "outlet", "title", "url"])
    ui.article_table(table, name)
    ui.download_csv(table, name, "Download these articles (CSV)")


def drop_mentions_hover(fig: go.Figure, labels: Sequence[str]) -> go.Figure:
    """The hover of the lines named ``labels`` (queries, topics) without the mention count
    they do not have (it would read "NaN mentions")."""
    wanted = set(labels)
    for trace in fig.data:
        meta = trace.meta if isinstance(trace.meta, dict) else {}
        key = str(meta.get("key", ""))
        if (trace.name in wanted or key.startswith((QUERY_PREFIX, TOPIC_PREFIX))) and \
                trace.hovertemplate:
            trace.hovertemplate = trace.hovertemplate.replace(
                ", %{customdata[2]:,} mentions", "")
    return fig
