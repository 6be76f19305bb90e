"""The dashboard's pure parts: URL round trip, safe text, chart builders, analysis steps,
and the rules every dashboard module keeps."""

from __future__ import annotations

import ast
import html
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from blocwatch.taxonomy import Entity, Preset, Taxonomy
from dashboard import analysis, charts
from dashboard.catalog import build_catalog
from dashboard.filters import (
    Filters,
    parse_choice,
    parse_int,
    parse_query_params,
    restrict,
    to_query_params,
)
from dashboard.queries import baseline_window, sql
from dashboard.text import Span, find_spans, highlight_html, kwic, safe_url

REPO = Path(__file__).resolve().parents[1]
DASHBOARD = REPO / "dashboard"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


# --- URL round trip ----------------------------------------------------------------------

def test_filters_survive_the_url_round_trip() -> None:
    f = Filters(entities=("japan", "nato"), start=date(2026, 1, 1), end=date(2026, 6, 30),
                sources=("tass", "kyodo"), countries=("RU", "JP"), languages=("en", "ja"))
    params = to_query_params(f)
    assert params == {"entities": "japan,nato", "from": "2026-01-01", "to": "2026-06-30",
                      "outlets": "tass,kyodo", "countries": "RU,JP", "languages": "en,ja"}
    assert parse_query_params(params) == f


def test_defaults_stay_out_of_the_url() -> None:
    bounds = (date(2025, 5, 1), date(2026, 11, 20))
    f = Filters(start=bounds[0], end=bounds[1]).with_entities(["japan"], default=True)
    assert to_query_params(f, bounds) == {}
    assert to_query_params(f.with_dates(date(2026, 1, 1), bounds[1]), bounds) == {
        "from": "2026-01-01"}


def test_parsing_tolerates_junk_and_repeated_keys() -> None:
    f = parse_query_params({"entities": ["japan", "nato,quad", "japan"], "from": "2026-13-01",
                            "to": "2026-02-01", "outlets": "tass,'; DROP TABLE x;--,kyodo",
                            "countries": " JP , ", "unknown": "x"})
    assert f.entities == ("japan", "nato", "quad")
    assert f.start is None and f.end == date(2026, 2, 1)
    assert f.sources == ("tass", "kyodo")
    assert f.countries == ("JP",)
    swapped = parse_query_params({"from": "2026-03-01", "to": "2026-01-01"})
    assert (swapped.start, swapped.end) == (date(2026, 1, 1), date(2026, 3, 1))


def test_restrict_drops_unknown_ids_and_clamps_dates() -> None:
    f = Filters(entities=("japan", "gone"), start=date(2020, 1, 1), end=date(2030, 1, 1),
                sources=("tass", "old"), countries=("RU", "XX"), languages=("en", "zz"))
    r = restrict(f, entities=["japan", "nato"], sources=["tass"], countries=["RU"],
                 languages=["en"], bounds=(date(2025, 5, 1), date(2026, 11, 20)))
    assert r == Filters(entities=("japan",), start=date(2025, 5, 1), end=date(2026, 11, 20),
                        sources=("tass",), countries=("RU",), languages=("en",))
    empty = restrict(Filters(), entities=[], sources=[], countries=[], languages=[],
                     bounds=(date(2025, 5, 1), date(2026, 11, 20)))
    assert (empty.start, empty.end) == (date(2025, 5, 1), date(2026, 11, 20))


def test_page_settings_from_the_url() -> None:
    assert parse_choice("month", ("day", "week", "month"), "week") == "month"
    assert parse_choice("year", ("day", "week", "month"), "week") == "week"
    assert parse_choice(None, ("a",), "a") == "a"
    assert parse_int("4", 0, 0, 26) == 4
    assert parse_int("99", 0, 0, 26) == 0
    assert parse_int("x", 3, 0, 26) == 3


# --- text shown safely ---------------------------------------------------------------------

ALIASES = [("japan", "Japan", "exact", "word"), ("nato", "NATO", "exact", "word"),
           ("asian_nato", "Asian NATO", "exact", "word"), ("quad", "quad", "ignore", "word"),
           ("russia", "Russia", "exact", "prefix")]


def test_spans_follow_the_taxonomy_rules() -> None:
    text = "Japan's Asian NATO idea; Japanese firms; NATO-Japan talks; the QUAD; Russian jets."
    spans = [(text[s.start:s.end], s.entity_id) for s in find_spans(text, ALIASES)]
    assert spans == [("Japan", "japan"), ("Asian NATO", "asian_nato"), ("NATO", "nato"),
                     ("Japan", "japan"), ("QUAD", "quad"), ("Russia", "russia")]


def test_highlight_escapes_the_article_and_marks_only_mentions() -> None:
    text = f"Japan {XSS} & NATO"
    out = highlight_html(text, find_spans(text, ALIASES), {"japan": "#1f77b4"},
                         {"japan": 'Ja"pan'})
    assert "<script" not in out and "<img" not in out
    assert html.escape(XSS) in out
    assert out.count("<mark") == 2
    assert 'title="Ja&quot;pan"' in out
    assert out.endswith("&amp; <mark" + out.split("&amp; <mark", 1)[1])
    # Overlapping spans cannot nest tags.
    assert highlight_html("abcdef", [Span(0, 4, "a"), Span(2, 6, "b")], {}, {}).count(
        "<mark") == 1


def test_only_web_urls_become_links() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JaVaScRiPt:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url(None) is None


def test_keyword_in_context() -> None:
    text = "The joint  exercise began. Another Joint Exercise followed; jointexercise no."
    lines = kwic(text, "joint exercise", width=10)
    assert [m for _, m, _ in lines] == ["joint  exercise", "Joint Exercise"]
    assert lines[0][0] == "The"
    assert lines[1][2].startswith("followed")
    assert kwic(text, "") == []


# --- analysis steps -------------------------------------------------------------------------

def series_frame() -> pd.DataFrame:
    periods = pd.date_range("2026-01-05", periods=12, freq="W-MON")
    rows = []
    for set_idx, counts in ((1, [2] * 11 + [20]), (2, [1] * 12)):
        for p, n in zip(periods, counts, strict=True):
            rows.append({"panel": "all", "period": p, "set_idx": set_idx, "articles": n,
                         "mentions": 2 * n, "total": 40, "share": n / 40})
    return pd.DataFrame(rows)


def test_trend_frame_adds_value_rolling_and_spikes() -> None:
    df = analysis.trend_frame(series_frame(), ["Japan", "NATO"], ["japan", "nato"],
                              "articles", rolling=4)
    japan = df[df["key"] == "japan"]
    assert japan["value"].tolist() == [2.0] * 11 + [20.0]
    assert japan["rolling"].iloc[-1] == pytest.approx((2 + 2 + 2 + 20) / 4)
    assert japan["spike"].tolist() == [False] * 11 + [True]
    assert not df[df["key"] == "nato"]["spike"].any()
    share = analysis.trend_frame(series_frame(), ["Japan", "NATO"], ["japan", "nato"], "share")
    assert share["value"].iloc[-13] == pytest.approx(0.5)  # spikes come from counts
    assert "rolling" not in share


def test_rank_terms_top_and_rising() -> None:
    terms = pd.DataFrame({"term": ["summit", "missile", "trade", "rare"],
                          "window_docs": [10, 6, 2, 1], "window_count": [12, 9, 2, 1],
                          "baseline_docs": [10, 1, 4, 0], "baseline_count": [10, 1, 5, 0]})
    top, rising = analysis.rank_terms(terms, 20, 20, n=3)
    assert top["term"].tolist() == ["summit", "missile", "trade"]
    assert rising["term"].tolist() == ["missile"]  # rare: fewer than 2 articles
    assert rising["change_pp"].iloc[0] == pytest.approx(25.0)


def test_heatmap_matrix_is_symmetric() -> None:
    pairs = pd.DataFrame({"entity_a": ["japan", "china"], "entity_b": ["nato", "japan"],
                          "articles": [5, 2], "sentences": [3, 0]})
    m = analysis.heatmap_matrix(pairs, ["china", "japan", "nato"])
    assert m.loc["nato", "japan"] == m.loc["japan", "nato"] == 5
    assert m.loc["china", "japan"] == 2 and m.loc["china", "nato"] == 0


def test_period_bounds_and_baseline() -> None:
    assert analysis.period_bounds(date(2026, 7, 6), "week") == (date(2026, 7, 6),
                                                                date(2026, 7, 12))
    assert analysis.period_bounds(date(2026, 2, 1), "month") == (date(2026, 2, 1),
                                                                 date(2026, 2, 28))
    assert analysis.period_bounds(date(2026, 12, 1), "month")[1] == date(2026, 12, 31)
    assert baseline_window(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 1, 29),
                                                                   date(2026, 2, 28))


# --- charts ---------------------------------------------------------------------------------

def test_colours_follow_the_catalog_order() -> None:
    a = charts.entity_colors(["japan", "nato", "china", "quad", "japan"])
    assert a == {"japan": charts.PALETTE[0], "nato": charts.PALETTE[1],
                 "china": charts.PALETTE[2], "quad": charts.PALETTE[3]}
    many = charts.entity_colors([f"e{i}" for i in range(len(charts.PALETTE) + 1)])
    assert len(set(many.values())) == len(charts.PALETTE)  # twelve distinct, then again
    assert many[f"e{len(charts.PALETTE)}"] == many["e0"]
    # The catalog's order: the default preset's members, other presets', then taxonomy order.
    tax = Taxonomy(tuple(Entity(e, e, "concept", g, ()) for e, g in (
        ("china", "Asia"), ("japan", "Asia"), ("nato", "Blocs"), ("sco", "Blocs"),
        ("brics", "Blocs"))), presets=(Preset("eu", "Eurasian", ("sco", "brics")),
                                       Preset("jn", "Japan & NATO", ("japan", "nato"), True)))
    cat = build_catalog(tax, ["nato", "brics", "china", "sco", "japan", "zeta"],
                        {"zeta": "Asia"})
    assert cat.colour_order() == ["japan", "nato", "sco", "brics", "china", "zeta"]
    assert cat.picker_order == ["china", "japan", "zeta", "nato", "sco", "brics"]
    assert cat.default is not None and cat.default.entities == ("japan", "nato")


def test_trend_figure_is_labelled_and_exact() -> None:
    frame = analysis.trend_frame(series_frame(), ["Japan", "NATO"], ["japan", "nato"], "share",
                                 rolling=3)
    colors = charts.entity_colors(["japan", "nato"])
    fig = charts.trend_figure(frame, "share", "week", colors)
    assert fig.layout.title.text == "Share of all articles naming each entity, by week"
    assert fig.layout.yaxis.title.text == "Share of articles (%)"
    assert fig.layout.xaxis.title.text == "Week of publication (starting Monday)"
    main = [t for t in fig.data if t.name in ("Japan", "NATO")]
    assert [t.line.color for t in main] == [colors["japan"], colors["nato"]]
    assert "%{y:.2%}" in main[0].hovertemplate and "customdata[1]" in main[0].hovertemplate
    assert list(main[0].y) == pytest.approx([2 / 40] * 11 + [20 / 40])
    assert any(t.name == "Japan: spike" for t in fig.data)
    assert any(t.name == "Japan (rolling mean)" for t in fig.data)


def test_other_figures_name_their_measure() -> None:
    frame = analysis.trend_frame(series_frame(), ["Japan", "NATO"], ["japan", "nato"],
                                 "articles")
    fig = charts.small_multiples_figure(frame, "articles", "week", {}, "outlet country")
    assert fig.layout.title.text.startswith("Articles naming each entity, by week")
    pairs = pd.DataFrame({"entity_a": ["japan"], "entity_b": ["nato"], "articles": [5],
                          "sentences": [2]})
    m = analysis.heatmap_matrix(pairs, ["japan", "nato"])
    hm = charts.heatmap_figure(m, {"japan": "Japan", "nato": "NATO"}, "sentence")
    assert "(count)" in hm.layout.title.text and "one sentence" in hm.layout.title.text
    net = charts.network_figure(pairs, {"japan": 9, "nato": 7}, {}, {}, "article")
    assert "edge width" in net.layout.title.text
    health = pd.DataFrame({"outlet": ["A"], "error_rate": [0.25], "failed": [1],
                           "tried": [4]})
    er = charts.error_rate_figure(health)
    assert er.layout.yaxis.title.text == "Error rate (%)"


# --- module rules ------------------------------------------------------------------------

def _py_files() -> list[Path]:
    return sorted(DASHBOARD.rglob("*.py"))


def test_dashboard_never_imports_flows_nor_renders_raw_html() -> None:
    for path in _py_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("flows"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("flows") for a in node.names), path
            if isinstance(node, ast.keyword) and node.arg in ("unsafe_allow_html",
                                                              "unsafe_allow_javascript"):
                pytest.fail(f"{path}: {node.arg}")


def test_sql_is_constant_and_parameterised() -> None:
    # Only dashboard/queries executes SQL, and only text read from its own .sql files.
    for path in _py_files():
        text = path.read_text(encoding="utf-8")
        if path.parent.name != "queries":
            assert ".execute(" not in text, path
    for f in (DASHBOARD / "queries").glob("*.sql"):
        body = sql(f.stem) if not f.stem.startswith("_") else f.read_text()
        assert "{" not in body and "%s" not in body, f
        assert "/*filtered*/" not in body
    assert re.search(r"\$sources::VARCHAR\[\]", sql("series"))
