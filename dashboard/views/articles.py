"""Articles: a filterable table, and one article with its mentions highlighted."""

from __future__ import annotations

import streamlit as st

from dashboard import data, ui
from dashboard.filters import parse_int
from dashboard.queries import MATCHES
from dashboard.text import find_spans, highlight_html

LIMIT = 500

ctx = ui.context()
f = ctx.filters
ui.header("Articles", ui.describe(ctx))

if "art_q" not in st.session_state:
    st.session_state["art_q"] = (st.query_params.get("q") or "")[:200]
c1, c2, c3 = st.columns([3, 2, 2])
search = c1.text_input("Search title and text", key="art_q", max_chars=200,
                       placeholder="e.g. joint exercise")
only = c2.checkbox("Only articles naming the entities", value=not f.default_entities,
                   key="art_only", help="The entities chosen in the sidebar.")
match = c3.radio("Naming", MATCHES, horizontal=True, key="art_match",
                 format_func={"any": "any of them", "all": "all of them"}.get,
                 disabled=not only)
ui.mirror("q", search.strip(), "")

with ui.guard():
    ents = tuple(f.entities) if only else ()
    arts = data.article_list(ctx.snap, f, ents, match, search.strip() or None, LIMIT)
    total = int(arts["matches"].iloc[0]) if len(arts) else 0
    shown = f"{total:,} articles" + (f" (the newest {LIMIT} shown)" if total > LIMIT else "")
    if ents:
        shown += " naming " + f" {'and' if match == 'all' else 'or'} ".join(
            ctx.names.get(e, e) for e in ents)
    st.caption(shown + ". Select a row to read the article.")
    event = ui.article_table(arts, "articles", select=True)
    ui.download_csv(arts.drop(columns=["matches"]), "articles", "Download these articles (CSV)")

    if "art_id" not in st.session_state:
        st.session_state["art_id"] = parse_int(st.query_params.get("article"), 0, 1, 2**62)
    rows = event.selection.rows if event and event.selection else []
    if rows and rows[0] < len(arts):
        ui.once("art_row", int(arts["article_id"].iloc[rows[0]]),
                lambda v: st.session_state.__setitem__("art_id", v))
    article_id = int(st.session_state.get("art_id") or 0)
    ui.mirror("article", article_id, 0)
    if not article_id:
        st.stop()

    st.divider()
    art = data.article(ctx.snap, article_id)
    if art is None:
        st.warning(f"There is no article {article_id} in this snapshot.")
        st.stop()
    mentions = data.article_mentions(ctx.snap, article_id)
    st.html(f'<h3 style="margin-bottom:0">{ui.title_html(art["title"], art["url"])}</h3>')
    meta = [str(art["published"])[:10] if art["published"] is not None else "undated",
            art["outlet"], f"{art['word_count'] or 0:,} words", f"language {art['language']}"]
    if art.get("author"):
        meta.append(f"by {art['author']}")
    st.text(" · ".join(str(m) for m in meta))
    if art.get("duplicate_of"):
        st.caption(f"Exact duplicate of article {int(art['duplicate_of'])}: left out of counts.")
    st.dataframe(mentions.rename(columns={"name": "entity"}), hide_index=True,
                 key="article_mentions", column_config={
                     "body_count": st.column_config.NumberColumn("in text", format="%d"),
                     "title_count": st.column_config.NumberColumn("in headline",
                                                                  format="%d")})
    aliases = data.aliases(ctx.snap, tuple(mentions["entity_id"]))
    text = art["text"] or ""
    spans = find_spans(text, aliases[["entity_id", "alias", "case_rule", "match_rule"]]
                       .itertuples(index=False, name=None))
    st.html('<div style="white-space:pre-wrap;line-height:1.6;max-width:60em">'
            + highlight_html(text, spans, ctx.colors, ctx.names) + "</div>")
