"""Map & outlets: which countries the filtered articles name (a choropleth of the
taxonomy's country entities, each clickable to its articles), and which outlets write most
about the selected entities."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import analysis, charts, data, ui

ctx = ui.context()
f = ctx.filters
ui.header("Map & outlets", ui.describe(ctx))

iso3 = dict(ctx.catalog.iso3)
st.subheader("Countries mentioned")
with ui.guard():
    if not iso3:
        st.info("No country entity of taxonomy.yaml has an `iso3` code, so there is nothing "
                "to draw. Add `iso3: JPN` (ISO 3166-1 alpha-3) to the country entities.",
                icon=":material/map:")
    else:
        totals = data.entity_totals(ctx.snap, f, tuple(iso3))
        named = dict(zip(totals["entity_id"], totals["articles"], strict=True))
        countries = pd.DataFrame({
            "entity_id": list(iso3), "iso3": list(iso3.values()),
            "name": [ctx.names.get(e, e) for e in iso3],
            "articles": [int(named.get(e, 0)) for e in iso3],
            "total": ctx.matched,
        })
        countries["share"] = countries["articles"] / ctx.matched
        countries = countries.sort_values(["articles", "name"], ascending=[False, True])
        if "mp_country" not in st.session_state:
            wanted = str(st.query_params.get("country") or "")
            st.session_state["mp_country"] = wanted if wanted in iso3 else None
        fig = charts.country_map_figure(countries, st.session_state.get("mp_country"))
        # plotly.js fetches its world outline at run time, by default from a CDN: the
        # dashboard serves the same file itself (static/topojson), so it works offline.
        event = st.plotly_chart(fig, key="chart_map", on_select="rerun",
                                selection_mode="points", width="stretch",
                                config={"topojsonURL": ui.page_url("app/static/topojson/",
                                                                   {})})
        points = (event.selection.points if event and event.selection else None) or []
        if points:
            by_iso = {v: k for k, v in iso3.items()}
            clicked = by_iso.get(str(points[0].get("location") or ""))
            if clicked:
                ui.once("mp_click", clicked,
                        lambda v: st.session_state.__setitem__("mp_country", v))
        table = countries.drop(columns=["total"]).rename(
            columns={"articles": "articles_naming", "share": "share_of_articles"})
        table["articles_link"] = [ui.articles_link(f, [e]) for e in table["entity_id"]]
        ui.download_csv(table.drop(columns=["articles_link"]), "countries",
                        "Download the map's data (CSV)")
        st.caption(f"Share of the {ctx.matched:,} filtered articles (dates, outlets, countries, "
                   "languages) naming each country; a country is drawn when taxonomy.yaml "
                   "gives it an `iso3` code. Click a country, or choose it below, for its "
                   "articles.")
        c1, c2 = st.columns([2, 3])
        choice = c1.selectbox("Country", [None, *countries["entity_id"]], key="mp_country",
                              format_func=lambda e: "(choose a country)" if e is None else
                              f"{ctx.names.get(e, e)} ({named.get(e, 0)} articles)")
        ui.mirror("country", choice or "", "")
        st.dataframe(table, hide_index=True, width="stretch", key="mp_table", column_config={
            "entity_id": None,
            "iso3": st.column_config.TextColumn("ISO-3", width="small"),
            "name": st.column_config.TextColumn("Country"),
            "articles_naming": st.column_config.NumberColumn("Articles naming it",
                                                             format="%d"),
            "share_of_articles": st.column_config.NumberColumn("Share of articles",
                                                               format="percent"),
            "articles_link": st.column_config.LinkColumn("Articles", display_text="open ↗"),
        })
        if choice:
            c2.markdown(f"[Open the articles naming {ctx.names.get(choice, choice)} on the "
                        f"Articles page]({ui.articles_link(f, [choice])})")
            arts = data.article_list(ctx.snap, f, (choice,), limit=50)
            st.caption(f"The newest {len(arts)} articles naming "
                       f"{ctx.names.get(choice, choice)}.")
            ui.article_table(arts, "map_articles")

st.subheader("Top outlets for the selection")
with ui.guard():
    who = analysis.set_label(f.entities, ctx.names, "any")
    series = data.series(ctx.snap, f, data.as_sets([f.entities]), "month", "outlet", "any")
    if series.empty:
        st.info("No outlet published under these filters.")
        st.stop()
    per = (series.groupby("panel", as_index=False)
           .agg(articles=("articles", "sum"), outlet_articles=("total", "sum")))
    per = per[per["articles"] > 0]
    selection_total = int(per["articles"].sum())
    per["outlet"] = per["panel"].map(lambda s: ctx.source_names.get(s, s))
    per["share_of_selection"] = per["articles"] / selection_total if selection_total else 0.0
    per["share_of_outlet"] = per["articles"] / per["outlet_articles"]
    per = per.sort_values(["articles", "outlet"], ascending=[False, True]).rename(
        columns={"panel": "source_id"})
    top_n = 15
    ranking = per[["source_id", "outlet", "articles", "share_of_selection",
                   "outlet_articles", "share_of_outlet"]].reset_index(drop=True)
    fig = charts.outlet_rank_figure(ranking.head(top_n), who or "the selection")
    ui.chart(fig, ranking, "top_outlets")
    st.caption(f"Articles naming any of {who} per outlet ({selection_total:,} in all; an article "
               "naming several counts once), their share of all such articles, and the share "
               f"of the outlet's own filtered articles that name them. The chart shows the top "
               f"{top_n}; the table and CSV hold every outlet.")
