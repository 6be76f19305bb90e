"""taxonomy.yaml's presets and country codes: the shipped ones, and bad ones refused with the
file, entry and field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocwatch.errors import ConfigError
from blocwatch.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]

_ENTITIES = """entities:
  - {id: japan, name: Japan, kind: country, group: Asia-Pacific, aliases: [Japan], iso3: JPN}
  - {id: nato, name: NATO, kind: bloc, group: Security blocs, aliases: [NATO]}
"""


def _load(tmp_path: Path, text: str):  # noqa: ANN202 - Taxonomy
    p = tmp_path / "taxonomy.yaml"
    p.write_text(text, encoding="utf-8")
    return load_taxonomy(p)


def test_shipped_presets_and_default() -> None:
    tax = load_taxonomy(REPO / "taxonomy.yaml")
    presets = {p.name: p.entities for p in tax.presets}
    assert presets["Japan & NATO"] == ("japan", "nato")
    assert presets["Indo-Pacific blocs"] == ("japan", "nato", "quad", "aukus", "asean",
                                             "asian_nato")
    assert presets["Eurasian blocs"] == ("sco", "brics", "csto")
    assert tax.default_preset is not None
    assert tax.default_preset.name == "Indo-Pacific blocs"
    assert sum(p.default for p in tax.presets) == 1


def test_every_shipped_country_has_its_iso3_code() -> None:
    tax = load_taxonomy(REPO / "taxonomy.yaml")
    codes = {e.id: e.iso3 for e in tax.entities if e.kind == "country"}
    assert codes == {
        "japan": "JPN", "united_states": "USA", "china": "CHN", "russia": "RUS",
        "north_korea": "PRK", "south_korea": "KOR", "australia": "AUS", "india": "IND",
        "indonesia": "IDN", "philippines": "PHL", "taiwan": "TWN", "ukraine": "UKR",
        "united_kingdom": "GBR"}
    assert all(e.iso3 is None for e in tax.entities if e.kind != "country")


def test_a_taxonomy_without_presets_loads(tmp_path: Path) -> None:
    tax = _load(tmp_path, _ENTITIES)
    assert tax.presets == () and tax.default_preset is None
    assert tax.by_id()["japan"].iso3 == "JPN"


@pytest.mark.parametrize(("presets", "message", "entry", "field"), [
    ("  - {id: p, name: P, entities: [japan, csto]}\n", "unknown entity id(s) csto",
     "preset #1 ('p')", "entities"),
    ("  - {id: p, name: P, entities: [japan], default: true}\n"
     "  - {id: q, name: Q, entities: [nato], default: true}\n", "only one preset",
     "preset #2 ('q')", "default"),
    ("  - {id: p, name: P, entities: [japan]}\n  - {id: p, name: Q, entities: [nato]}\n",
     "duplicate preset id", "preset #2 ('p')", "id"),
    ("  - {id: p, name: P, entities: []}\n", "at least 1", "#1 ('p')", "entities"),
    ("  - {id: p, name: P, entities: [japan], colour: red}\n", "Extra inputs", "#1 ('p')",
     "colour"),
])
def test_bad_presets_name_entry_and_field(tmp_path: Path, presets: str, message: str,
                                          entry: str, field: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, _ENTITIES + "presets:\n" + presets)
    text = str(info.value)
    assert message in text and entry in text and field in text, text
    assert str(tmp_path / "taxonomy.yaml") in text


@pytest.mark.parametrize(("iso3", "kind", "message"), [
    ("jpn", "country", "three capital letters"),
    ("JAPAN", "country", "three capital letters"),
    ("JPN", "country", "already used by 'japan'"),
    ("NAT", "bloc", "iso3 is for country entities"),
])
def test_bad_iso3_is_refused(tmp_path: Path, iso3: str, kind: str, message: str) -> None:
    text = _ENTITIES + (f"  - {{id: other, name: Other, kind: {kind}, group: G, "
                        f"aliases: [Other], iso3: {iso3}}}\n")
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    assert message in str(info.value) and "#3 ('other')" in str(info.value)
    assert "iso3" in str(info.value)
