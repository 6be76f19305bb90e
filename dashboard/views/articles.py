"""Articles: a filterable table, and one article with its mentions highlighted."""

from __future__ import annotations

import zlib

import streamlit as st

from blocwatch.query import QuerySyntaxError
from dashboard import data, ui
from dashboard.filters import parse_int
from dashboard.queries import MATCHES
from dashboard.text import find_spans, highlight_html
from warehouse.textindex import TextIndexError

LIMIT = 500

ctx = ui.context()
f = ctx.filters
ui.header("Articles", ui.describe(ctx))

if "art_q" not in st.session_state:
    st.session_state["art_q"] = (st.query_params.get("q") or "")[:data.MAX_QUERY_CHARS]
c1, c2, c3 = st.columns([3, 2, 2])
search = c1.text_input(
    "Search title and text", key="art_q", max_chars=data.MAX_QUERY_CHARS,
    placeholder='e.g. "joint exercise" AND Japan',
    help='The query language of Trends (docs/query.md): words in their base forms in every '
         'language, "phrases", AND/OR/NOT, parentheses, prefix*, title:word, entity:japan.')
only = c2.checkbox("Only articles naming the entities", value=not f.default_entities,
                   key="art_only", help="The entities chosen in the sidebar.")
match = c3.radio("Naming", MATCHES, horizontal=True, key="art_match",
                 format_func={"any": "any of them", "all": "all of them"}.get,
                 disabled=not only)
ui.mirror("q", search.strip(), "")

with ui.guard():
    ents = tuple(f.entities) if only else ()
    try:
        arts = data.article_list(ctx.snap, f, ents, match, search.strip() or None, LIMIT)
    except QuerySyntaxError as exc:
        st.error("The search cannot be read:", icon=":material/error:")
        st.code(exc.caret(), language=None)
        st.stop()
    except TextIndexError as exc:
        st.warning(f"The search cannot be run: {exc}", icon=":material/warning:")
        st.stop()
    total = int(arts["matches"].iloc[0]) if len(arts) else 0
    shown = f"{total:,} articles" + (f" (the newest {LIMIT} shown)" if total > LIMIT else "")
    if ents:
        shown += " naming " + f" {'and' if match == 'all' else 'or'} ".join(
            ctx.names.get(e, e) for e in ents)
    st.caption(shown + ". Select a row to read the article.")
    # The opened article is kept by its id, never by its row: the table's key follows the
    # list, so a new list (a search, a filter) starts with no row selected instead of
    # selecting whatever article now sits at the old position.
    listed = [int(i) for i in arts["article_id"]]
    sig = zlib.crc32(",".join(map(str, listed)).encode())
    event = ui.article_table(arts, f"articles_{sig:08x}", select=True)
    ui.download_csv(arts.drop(columns=["matches"]), "articles", "Download these articles (CSV)")

    if "art_id" not in st.session_state:
        st.session_state["art_id"] = parse_int(st.query_params.get("article"), 0, 1, 2**62)
    previous = st.session_state.get("_art_list")
    st.session_state["_art_list"] = sig
    if previous is not None and previous != sig and st.session_state["art_id"] not in listed:
        st.session_state["art_id"] = 0  # the list changed and no longer holds it
    rows = event.selection.rows if event and event.selection else []
    if rows and rows[0] < len(arts):
        ui.once("art_row", (sig, listed[rows[0]]),
                lambda v: st.session_state.__setitem__("art_id", v[1]))
    article_id = int(st.session_state.get("art_id") or 0)
    ui.mirror("article", article_id, 0)
    if not article_id:
        st.stop()

    st.divider()
    art = data.article(ctx.snap, article_id)
    if art is None:
        st.warning(f"There is no article {article_id} in this snapshot.")
        st.stop()
    mentions = data.article_mentions(ctx.snap, article_id).copy()
    # An entity since dropped from the taxonomy has no name: show its id.
    mentions["name"] = mentions["name"].fillna(mentions["entity_id"])
    st.html(f'<h3 style="margin-bottom:0">{ui.title_html(art["title"], art["url"])}</h3>')
    # Missing values are left out, never printed as "None".
    meta = [str(art["published"])[:10] if art["published"] is not None else "undated",
            art.get("outlet"), f"{art['word_count'] or 0:,} words",
            f"language {art['language']}" if art.get("language") else None,
            f"by {art['author']}" if art.get("author") else None]
    st.text(" · ".join(str(m) for m in meta if m))
    if art.get("duplicate_of"):
        st.caption(f"Exact duplicate of article {int(art['duplicate_of'])}: left out of counts.")
    st.dataframe(mentions, hide_index=True, key="article_mentions",
                 column_order=["name", "body_count", "title_count", "first_offset"],
                 column_config={
                     "name": st.column_config.TextColumn("Entity"),
                     "body_count": st.column_config.NumberColumn(
                         "Mentions in the text", format="%d"),
                     "title_count": st.column_config.NumberColumn(
                         "Mentions in the headline", format="%d"),
                     "first_offset": st.column_config.NumberColumn(
                         "First mention at character", format="%d",
                         help="Offset of the first mention in the article's text."),
                 })
    aliases = data.aliases(ctx.snap, tuple(mentions["entity_id"]))
    text = art["text"] or ""
    spans = find_spans(text, aliases[["entity_id", "alias", "case_rule", "match_rule"]]
                       .itertuples(index=False, name=None))
    st.html('<div style="white-space:pre-wrap;line-height:1.6;max-width:60em">'
            + highlight_html(text, spans, ctx.colors, ctx.names) + "</div>")
