"""The dashboard's bloc-aware defaults, presets, grouped picker and entity colours, and the
honest trends, under Streamlit's AppTest on the demo warehouse of the session fixture.

Expected values are written out from the issue (the default preset's members, the groups'
order in taxonomy.yaml) or computed here from the warehouse's views, never by the dashboard's
own code. Colour distances are computed here in CIELAB, independently of charts.PALETTE.
"""

from __future__ import annotations

import itertools
import math

import pytest

from tests import test_dashboard_pages as pages
from tests.test_dashboard_pages import Scene, assert_ok, figure, run_page

# The page tests' fixtures: the demo warehouse and a filter setting chosen from it.
scene = pages.scene
con = pages.con


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """sRGB (D65) to CIELAB, written out here so the test does not trust the palette."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str, b: str) -> float:
    return math.dist(_lab(a), _lab(b))


def line_colours(fig: dict) -> dict[str, str]:
    """Legend name -> line colour of the figure's main traces."""
    return {t["name"]: t["line"]["color"] for t in fig["data"]
            if t.get("showlegend", True) is not False and "line" in t and t.get("name")}


# --- presets and the default selection ------------------------------------------------------

INDO_PACIFIC = ["Japan", "NATO", "Quad", "AUKUS", "ASEAN", "Asian NATO"]


def test_the_default_selection_is_the_default_preset(scene: Scene,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, measure="articles")
    names = [t["name"] for t in figure(at)["data"] if t.get("showlegend", True) is not False
             and t.get("mode") == "lines+markers"]
    assert names == INDO_PACIFIC
    assert "entities" not in at.query_params  # a default stays out of a shared URL
    assert any("default preset Indo-Pacific blocs" in c.value for c in at.caption)
    assert at.sidebar.multiselect(key="f_entities").placeholder.startswith("Default: ")


def test_a_preset_button_selects_its_entities(scene: Scene,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch, measure="articles")
    at.sidebar.button(key="preset_eurasian_blocs").click().run()
    assert_ok(at)
    assert at.sidebar.multiselect(key="f_entities").value == ["sco", "brics", "csto"]
    qp = at.query_params["entities"]
    assert (qp[0] if isinstance(qp, list) else qp) == "sco,brics,csto"


def test_the_entity_picker_is_grouped_by_the_taxonomy(scene: Scene,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page("trends", scene.data_dir, monkeypatch)
    options = at.sidebar.multiselect(key="f_entities").options
    groups = [o.split(" · ")[1] for o in options]
    # Each group is one run of the list, in the order taxonomy.yaml first uses it.
    runs = [g for g, _ in itertools.groupby(groups)]
    assert runs == ["Asia-Pacific", "Americas", "Europe", "Security blocs",
                    "Regional organisations", "International organisations", "Concepts",
                    "Seas and regions", "Leaders"]
    assert options[:3] == ["Japan · Asia-Pacific", "China · Asia-Pacific",
                           "North Korea · Asia-Pacific"]


# --- colours --------------------------------------------------------------------------------

def test_each_entity_keeps_one_distinct_colour(scene: Scene,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    twelve = "japan,nato,quad,aukus,asean,asian_nato,sco,brics,csto,united_states,china,russia"
    at = run_page("trends", scene.data_dir, monkeypatch, entities=twelve, measure="articles")
    colours = line_colours(figure(at))
    assert len(colours) == 12
    # Twelve lines, twelve colours, every two far apart (ΔE 2.3 is just noticeable).
    worst = min(delta_e(a, b) for a, b in itertools.combinations(colours.values(), 2))
    assert worst >= 25, colours
    assert delta_e(colours["China"], colours["NATO"]) >= 40
    # The same entity has the same colour in another selection and on another page.
    at2 = run_page("trends", scene.data_dir, monkeypatch, entities="nato,china")
    assert line_colours(figure(at2)) == {"NATO": colours["NATO"], "China": colours["China"]}
    cmp = run_page("compare", scene.data_dir, monkeypatch, entities="china,nato",
                   measure="articles")
    for t in figure(cmp)["data"]:
        if t.get("name") in ("China", "NATO") and "line" in t:
            assert t["line"]["color"] == colours[t["name"]]
