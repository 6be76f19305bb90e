"""What every page shares: the sidebar filters (mirrored in the URL), the guards for a
missing or empty warehouse, and the chart / table / CSV-download conventions.

Pages stay thin: ``ctx = ui.context()`` then queries from dashboard.data and figures from
dashboard.charts.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from blocwatch.errors import ConfigError
from blocwatch.paths import find_config
from blocwatch.taxonomy import Taxonomy, load_taxonomy
from dashboard import charts, data, queries
from dashboard.catalog import Catalog, build_catalog
from dashboard.filters import (
    GLOBAL_PARAMS,
    Filters,
    parse_choice,
    parse_int,
    parse_query_params,
    restrict,
    to_query_params,
)
from dashboard.text import safe_url

T = TypeVar("T")

DEFAULT_ENTITY_COUNT = 5
_CTX_KEY = "_bw_ctx"
_CURRENT_KEY = "_bw_ctx_current"
_SEEDED_KEY = "_bw_seeded"
K_ENTITIES, K_FROM, K_TO = "f_entities", "f_from", "f_to"
K_OUTLETS, K_COUNTRIES, K_LANGUAGES = "f_outlets", "f_countries", "f_languages"
_FILTER_KEYS = (K_ENTITIES, K_FROM, K_TO, K_OUTLETS, K_COUNTRIES, K_LANGUAGES)


@dataclass(frozen=True)
class Context:
    """One run's view of the warehouse and the analyst's filters."""

    snap: data.Snapshot
    filters: Filters  # dates filled in; entities resolved (the default rule when none chosen)
    bounds: tuple[date, date] | None  # first and last publication day; None when empty
    overview: dict[str, Any]
    entities: pd.DataFrame
    sources: pd.DataFrame
    names: dict[str, str]  # entity id -> name
    colors: dict[str, str]  # entity id -> colour
    source_names: dict[str, str]
    source_colors: dict[str, str]
    matched: int  # filtered articles
    catalog: Catalog

    @property
    def empty(self) -> bool:
        return self.bounds is None


def context(require_articles: bool = True) -> Context:
    """The page's context: built by app.py earlier in this same run when the page runs
    inside the multipage app, else built here (a page run on its own, as in AppTest)."""
    ctx = st.session_state.pop(_CTX_KEY, None)
    if not isinstance(ctx, Context):
        ctx = build_context()
    # Kept for this run's CSV downloads, which say the filters that produced them.
    st.session_state[_CURRENT_KEY] = ctx
    if require_articles:
        require_matches(ctx)
    return ctx


def publish_context(ctx: Context) -> None:
    """Hand the context app.py built to the page that runs next in the same run."""
    st.session_state[_CTX_KEY] = ctx


def build_context() -> Context:
    """Render the sidebar and resolve the filters; stop with a message if there is no
    readable warehouse."""
    snap = data.snapshot()
    if snap is None:
        st.info(
            f"No warehouse has been published yet at `{data.published_path()}`.\n\n"
            "Build one from the bundled offline demo with `blocwatch demo` (or ingest the "
            "real outlets with `blocwatch ingest`), then reload this page. Set "
            "`BLOCWATCH_DATA` to point the dashboard at another data directory.",
            icon=":material/database:")
        st.stop()
    try:
        ents = data.entities(snap)
        srcs = data.sources(snap)
        langs = data.languages(snap)
        ov = data.overview(snap)
    except duckdb.Error as exc:
        st.error(f"The warehouse at `{snap.path}` could not be read: {exc}\n\n"
                 "Rebuild it with `blocwatch demo` or `blocwatch ingest`.",
                 icon=":material/error:")
        st.stop()
    bounds = (ov["first_day"], ov["last_day"]) if ov["first_day"] else None
    names = dict(zip(ents["entity_id"], ents["name"], strict=True))
    catalog = load_catalog(ents)
    colors = charts.entity_colors(catalog.colour_order())
    source_names = dict(zip(srcs["source_id"], srcs["name"], strict=True))
    source_colors = {sid: charts.OUTLET_PALETTE[i % len(charts.OUTLET_PALETTE)]
                     for i, sid in enumerate(sorted(source_names))}
    countries = sorted({c for c in srcs["country"].dropna()})
    chosen = _sidebar(snap, ov, bounds, names, srcs, source_names, countries, langs, catalog)
    filters = chosen
    if bounds and not chosen.entities:
        if catalog.default is not None:
            filters = chosen.with_entities(catalog.default.entities, default=True)
        else:
            top = data.top_entities(snap, chosen, DEFAULT_ENTITY_COUNT)
            filters = chosen.with_entities(top, default=True)
    _mirror_filters(chosen, bounds)
    matched = data.count_articles(snap, filters) if bounds else 0
    return Context(snap, filters, bounds, ov, ents, srcs, names, colors, source_names,
                   source_colors, matched, catalog)


@st.cache_data(ttl=data.TTL_S, max_entries=8, show_spinner=False)
def _taxonomy(path: str, mtime_ns: int) -> Taxonomy:
    # Keyed on the file's mtime: an edited taxonomy.yaml shows on the next interaction.
    return load_taxonomy(path)


def load_catalog(ents: pd.DataFrame) -> Catalog:
    """The presets, groups and codes of taxonomy.yaml (found as the CLI finds it), for the
    warehouse's entities; without a readable taxonomy, the entities table alone."""
    groups = dict(zip(ents["entity_id"], ents["group_name"], strict=True))
    try:
        found = find_config("taxonomy.yaml")
        taxonomy = _taxonomy(str(found.path), found.path.stat().st_mtime_ns)
    except (ConfigError, OSError) as exc:
        return build_catalog(None, ents["entity_id"], groups, problem=str(exc))
    return build_catalog(taxonomy, ents["entity_id"], groups)


def _sidebar(snap: data.Snapshot, ov: dict[str, Any], bounds: tuple[date, date] | None,
             names: dict[str, str], srcs: pd.DataFrame, source_names: dict[str, str],
             countries: list[str], langs: list[str], catalog: Catalog) -> Filters:
    ss = st.session_state
    if not ss.get(_SEEDED_KEY):
        # First run of this browser session: the URL is the view to reproduce.
        from_url = parse_query_params({k: st.query_params.get_all(k) for k in st.query_params})
        ss[K_ENTITIES] = list(from_url.entities)
        ss[K_OUTLETS] = list(from_url.sources)
        ss[K_COUNTRIES] = list(from_url.countries)
        ss[K_LANGUAGES] = list(from_url.languages)
        ss[K_FROM], ss[K_TO] = from_url.start, from_url.end
        ss[_SEEDED_KEY] = True
    # Whatever the URL or an older snapshot left in the widgets, keep only what this
    # snapshot knows: a multiselect value outside its options would be an error.
    current = Filters(entities=tuple(ss.get(K_ENTITIES) or ()), start=ss.get(K_FROM),
                      end=ss.get(K_TO), sources=tuple(ss.get(K_OUTLETS) or ()),
                      countries=tuple(ss.get(K_COUNTRIES) or ()),
                      languages=tuple(ss.get(K_LANGUAGES) or ()))
    clean = restrict(current, entities=names, sources=source_names, countries=countries,
                     languages=langs, bounds=bounds)
    ss[K_ENTITIES], ss[K_OUTLETS] = list(clean.entities), list(clean.sources)
    ss[K_COUNTRIES], ss[K_LANGUAGES] = list(clean.countries), list(clean.languages)
    ss[K_FROM], ss[K_TO] = clean.start, clean.end

    sb = st.sidebar
    sb.header("Filters")
    if catalog.problem:
        sb.warning(f"taxonomy.yaml could not be read, so no presets: {catalog.problem}",
                   icon=":material/warning:")
    if catalog.presets:
        sb.caption("Presets (from taxonomy.yaml)")
        # One per row: in two columns a name like "Indo-Pacific blocs" was cut to "Indo-Pa…".
        for preset in catalog.presets:
            sb.button(preset.name, key=f"preset_{preset.id}", on_click=_apply_preset,
                      args=(preset.entities,), width="stretch",
                      help=", ".join(names.get(e, e) for e in preset.entities))
    groups = catalog.groups
    if catalog.default is not None:
        empty = f"Default: {catalog.default.name}"
        empty_help = (f"Empty: the default preset, {catalog.default.name} "
                      f"({', '.join(names.get(e, e) for e in catalog.default.entities)}).")
    else:
        empty = f"Top {DEFAULT_ENTITY_COUNT} by articles in the window"
        empty_help = "Empty: the entities named by the most articles under the other filters."
    sb.multiselect("Entities", catalog.picker_order, key=K_ENTITIES,
                   format_func=lambda e: f"{names.get(e, e)} · {groups.get(e, '')}",
                   placeholder=empty,
                   help="Listed by the taxonomy's groups: type a group's name to see its "
                        "entities. " + empty_help)
    if bounds:
        sb.date_input("From", key=K_FROM, min_value=bounds[0], max_value=bounds[1],
                      format="YYYY-MM-DD", help="First publication day of the window.")
        sb.date_input("To", key=K_TO, min_value=bounds[0], max_value=bounds[1],
                      format="YYYY-MM-DD", help="Last publication day of the window.")
    labels = {r.source_id: f"{r.name} ({r.country})" if r.country else r.name
              for r in srcs.itertuples()}
    sb.multiselect("Outlets", list(source_names), key=K_OUTLETS,
                   format_func=lambda s: labels.get(s, s), placeholder="All outlets")
    sb.multiselect("Outlet countries", countries, key=K_COUNTRIES, placeholder="All countries")
    sb.multiselect("Languages", langs, key=K_LANGUAGES, placeholder="All languages",
                   help="Language of the article.")
    sb.button("Reset filters", key="reset_filters", on_click=_reset, width="stretch")
    published = datetime.fromtimestamp(snap.mtime_ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M")
    span = f"{bounds[0]} – {bounds[1]}" if bounds else "no dated articles"
    sb.caption(f"Snapshot published {published} UTC · {int(ov['articles']):,} articles · "
               f"{span}")

    start, end = ss.get(K_FROM), ss.get(K_TO)
    if start and end and start > end:
        start, end = end, start
    return Filters(entities=tuple(ss[K_ENTITIES]), start=start, end=end,
                   sources=tuple(ss[K_OUTLETS]), countries=tuple(ss[K_COUNTRIES]),
                   languages=tuple(ss[K_LANGUAGES]))


def _apply_preset(members: tuple[str, ...]) -> None:
    st.session_state[K_ENTITIES] = list(members)


def _reset() -> None:
    ss = st.session_state
    for key in (K_ENTITIES, K_OUTLETS, K_COUNTRIES, K_LANGUAGES):
        ss[key] = []
    ss[K_FROM] = ss[K_TO] = None


def _mirror_filters(filters: Filters, bounds: tuple[date, date] | None) -> None:
    wanted = to_query_params(filters, bounds)
    for key in GLOBAL_PARAMS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]


def require_matches(ctx: Context) -> None:
    """Stop the page with a helpful message when there is nothing to show."""
    if ctx.empty:
        st.info("The warehouse has no dated articles yet. Run `blocwatch demo` or "
                "`blocwatch ingest`; the dashboard picks up the new snapshot by itself.",
                icon=":material/inbox:")
        st.stop()
    if ctx.matched == 0:
        st.warning("No article matches the filters in the sidebar (dates, outlets, "
                   "countries, languages). Widen them, or press **Reset filters**.",
                   icon=":material/filter_alt_off:")
        st.stop()


# --- page settings in the URL ------------------------------------------------------------

def url_choice(key: str, param: str, choices: Sequence[str], default: str) -> None:
    """Seed a page widget from the URL the first time it is drawn."""
    if key not in st.session_state:
        st.session_state[key] = parse_choice(st.query_params.get(param), choices, default)


def url_int(key: str, param: str, default: int, lo: int, hi: int) -> None:
    if key not in st.session_state:
        st.session_state[key] = parse_int(st.query_params.get(param), default, lo, hi)


def mirror(param: str, value: Any, default: Any) -> None:
    """Keep a page setting in the URL (left out while it has its default value)."""
    text = str(value)
    if value == default or value is None or text == "":
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != text:
        st.query_params[param] = text


# --- output conventions ------------------------------------------------------------------

def header(title: str, caption: str) -> None:
    st.title(title)
    st.caption(caption)


def describe(ctx: Context) -> str:
    """One line saying what the filters select, for page captions."""
    f = ctx.filters
    who = ", ".join(ctx.names.get(e, e) for e in f.entities)
    if f.default_entities:
        preset = ctx.catalog.default
        who = (f"default preset {preset.name}: {who}" if preset is not None
               else f"top {len(f.entities)} by articles: {who}")
    where = []
    if f.sources:
        where.append("outlets " + ", ".join(ctx.source_names.get(s, s) for s in f.sources))
    if f.countries:
        where.append("countries " + ", ".join(f.countries))
    if f.languages:
        where.append("languages " + ", ".join(f.languages))
    scope = "; ".join(where) if where else "all outlets"
    return f"{f.start} to {f.end} · {scope} · {ctx.matched:,} articles · entities: {who}"


def page_url(path: str, params: Mapping[str, str]) -> str:
    """A link to another page of this dashboard with these query parameters."""
    from urllib.parse import urlencode

    base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
    query = urlencode(dict(params), safe=",:")
    return f"{base.rstrip('/')}/{path.lstrip('/')}" + (f"?{query}" if query else "")


def articles_link(filters: Filters, entities: Sequence[str], start: date | None = None,
                  end: date | None = None) -> str:
    """The Articles page listing what ``filters`` select, naming ``entities``, from
    ``start`` to ``end`` (clamped to the filters' own dates)."""
    lo = max(start, filters.start) if start and filters.start else (start or filters.start)
    hi = min(end, filters.end) if end and filters.end else (end or filters.end)
    params = to_query_params(filters.with_entities(entities).with_dates(lo, hi))
    return page_url("articles", params)


def csv_header(ctx: Context | None, view: Mapping[str, str]) -> list[str]:
    """The comment lines a downloaded CSV starts with: the filters that produced it (the
    entities as resolved, so a default selection is spelt out) and the page's settings."""
    lines = ["# blocwatch dashboard export"]
    if ctx is not None:
        f = ctx.filters
        published = datetime.fromtimestamp(ctx.snap.mtime_ns / 1e9, UTC)
        lines += [
            f"# snapshot: published {published:%Y-%m-%d %H:%M} UTC",
            "# entities: " + (",".join(f.entities) or "(none)")
            + (" (the default selection)" if f.default_entities else ""),
            f"# from: {f.start or ''}",
            f"# to: {f.end or ''}",
            "# outlets: " + (",".join(f.sources) or "all"),
            "# countries: " + (",".join(f.countries) or "all"),
            "# languages: " + (",".join(f.languages) or "all"),
        ]
    if view:
        lines.append("# view: " + "&".join(f"{k}={v}" for k, v in sorted(view.items())))
    return lines


def download_csv(df: pd.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A CSV of ``df`` whose first lines, each starting with "# ", say the filters and page
    settings that produced it (read it back with ``pandas.read_csv(path, comment="#")``)."""
    ctx = st.session_state.get(_CURRENT_KEY)
    view = {k: st.query_params.get(k) or "" for k in st.query_params if k not in GLOBAL_PARAMS}
    header = "\n".join(csv_header(ctx if isinstance(ctx, Context) else None, view)) + "\n"
    body = header + df.to_csv(index=False)
    st.download_button(label, body.encode("utf-8"),
                       file_name=f"blocwatch-{name}.csv", mime="text/csv", key=f"csv_{name}",
                       on_click="ignore", icon=":material/download:")


def chart(fig: go.Figure, table: pd.DataFrame, name: str, select: bool = False) -> Any:
    """A chart, a CSV download of exactly its data, and the data itself in an expander.

    With ``select``, clicking a point reruns the page and the selection is returned.
    """
    if select:
        event = st.plotly_chart(fig, key=f"chart_{name}", on_select="rerun",
                                selection_mode="points", width="stretch")
    else:
        event = None
        st.plotly_chart(fig, key=f"chart_{name}", width="stretch")
    download_csv(table, name, "Download the chart's data (CSV)")
    with st.expander("Data behind the chart"):
        st.dataframe(blank_nulls(table), hide_index=True, width="stretch", key=f"data_{name}")
    return event


def blank_nulls(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for display whose text cells hold "" where the data has no value: a table
    prints a missing value as "None", which reads as if something were called None."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].where(out[col].notna(), "")
    return out


def article_table(df: pd.DataFrame, name: str, select: bool = False,
                  extra: Sequence[str] = ()) -> Any:
    """Articles as a table: titles and snippets are plain text cells (never HTML), the
    link column opens the source."""
    cols = [c for c in ("published", "outlet", "title", "url", "entities", "mentions",
                        *extra, "snippet") if c in df.columns]
    view = blank_nulls(df[["article_id", *cols]])
    if "url" in view:
        view["url"] = view["url"].map(safe_url)
    config = {
        "article_id": st.column_config.NumberColumn("id", format="%d", width="small"),
        "published": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
        "outlet": st.column_config.TextColumn("Outlet"),
        "title": st.column_config.TextColumn("Title", width="large"),
        "url": st.column_config.LinkColumn("Source", display_text="open ↗",
                                           help="Open the article at the outlet"),
        "entities": st.column_config.TextColumn("Entities"),
        "mentions": st.column_config.NumberColumn("Mentions", format="%d"),
        "snippet": st.column_config.TextColumn("Snippet", width="large"),
    }
    kwargs: dict[str, Any] = {"hide_index": True, "width": "stretch", "column_config": config,
                              "key": f"table_{name}"}
    if select:
        kwargs.update(on_select="rerun", selection_mode="single-row")
    return st.dataframe(view, **kwargs)


@contextmanager
def guard() -> Iterator[None]:
    """Turn a failing query into a message instead of a traceback (a snapshot replaced by
    an older schema, say). st.stop() and reruns pass through untouched."""
    try:
        yield
    except duckdb.Error as exc:
        st.error(f"The warehouse query failed: {exc}", icon=":material/error:")


def title_html(title: object, url: object) -> str:
    """An article headline as escaped HTML, a link only for an http(s) URL."""
    text = html.escape(str(title) if title else "(no title)")
    link = safe_url(url)
    if link:
        return (f'<a href="{html.escape(link, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer nofollow">{text}</a>')
    return text


def once(key: str, value: T, apply: Callable[[T], None]) -> None:
    """Apply ``value`` only when it differs from the last one applied under ``key``:
    a chart selection persists across reruns, but should override a widget only once."""
    marker = f"_once_{key}"
    if st.session_state.get(marker) != value:
        st.session_state[marker] = value
        apply(value)


# --- counting articles or distinct stories -----------------------------------------------

COUNT_LABELS = {"articles": "Articles", "stories": "Distinct stories"}


@st.cache_data(ttl=data.TTL_S, max_entries=256, show_spinner=False)
def _story_series(snap: data.Snapshot, filters: Filters, sets: tuple[tuple[str, ...], ...],
                  period: str, split: str, match: str) -> pd.DataFrame:
    return data._with_cursor(snap, queries.story_series, filters, sets, period, split, match)


def counted_series(snap: data.Snapshot, filters: Filters, sets: tuple[tuple[str, ...], ...],
                   period: str, count: str = "articles", split: str = "none",
                   match: str = "any") -> pd.DataFrame:
    """A trend series counted in articles (from the rollups) or in distinct stories, where
    a wire story and its syndicated copies count once (articles.story_id)."""
    if count == "stories":
        return _story_series(snap, filters, sets, period, split, match)
    return data.series(snap, filters, sets, period, split, match)


def as_stories(fig: go.Figure) -> go.Figure:
    """Relabel a trend figure drawn from story counts: title, axis and hover say stories."""
    def swap(text: str) -> str:
        return text.replace("articles", "stories").replace("Articles", "Stories")

    title = fig.layout.title.text or ""
    fig.update_layout(title_text=swap(title), yaxis_title=swap(fig.layout.yaxis.title.text
                                                                or ""))
    for trace in fig.data:
        if trace.hovertemplate:
            trace.hovertemplate = swap(trace.hovertemplate)
    return fig
