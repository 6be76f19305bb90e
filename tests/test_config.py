"""sources.yaml and taxonomy.yaml: shipped files load; bad files fail naming file, entry, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocwatch.config import load_sources
from blocwatch.errors import ConfigError
from blocwatch.taxonomy import load_taxonomy

REPO = Path(__file__).resolve().parents[1]

REQUIRED_ENTITIES = {
    "japan", "united_states", "china", "russia", "north_korea", "south_korea", "australia",
    "india", "philippines", "taiwan", "ukraine", "united_kingdom", "nato", "aukus", "quad",
    "asean", "sco", "brics", "csto", "eu", "g7", "asian_nato",
}


def test_shipped_taxonomy_covers_the_beat() -> None:
    tax = load_taxonomy(REPO / "taxonomy.yaml")
    ids = {e.id for e in tax.entities}
    assert REQUIRED_ENTITIES <= ids
    assert sum(e.kind == "person" for e in tax.entities) >= 3
    assert {e.kind for e in tax.entities} == {"country", "bloc", "organisation", "person",
                                              "concept"}


def test_shipped_sources_are_real_outlets() -> None:
    cfg = load_sources(REPO / "sources.yaml")
    ids = {s.id for s in cfg.sources}
    assert {"tass", "kcna_watch", "nhk", "kyodo", "japan_times", "yonhap", "global_times",
            "scmp", "nato_newsroom", "abc_australia"} <= ids
    for s in cfg.sources:
        assert s.feeds or s.sitemaps, s.id
        assert not s.allow_private_network, "real sources must not reach private addresses"
        assert all(str(u).startswith("https://") for u in s.feeds)
    assert "+http" in cfg.settings.user_agent  # a contact URL identifies the crawler


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "taxonomy.yaml", "entities:\n  - id: japan\n    name: [unclosed\n")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(p)
    msg = str(err.value)
    assert str(p) in msg and "invalid YAML" in msg and "line" in msg


@pytest.mark.parametrize(("entry", "field", "needle"), [
    ("{id: japan, name: Japan, group: Asia, aliases: [Japan]}", "kind", "Field required"),
    ("{id: japan, name: Japan, kind: planet, group: Asia, aliases: [Japan]}", "kind", "country"),
    ("{id: Japan!, name: Japan, kind: country, group: Asia, aliases: [Japan]}", "id",
     "lowercase"),
    ("{id: japan, name: Japan, kind: country, group: Asia, aliases: []}", "aliases", "at least"),
    ("{id: japan, name: Japan, kind: country, group: Asia, aliases: [{text: Japan, case: any}]}",
     "aliases.0", "exact"),
])
def test_bad_taxonomy_entry_names_entry_and_field(tmp_path: Path, entry: str, field: str,
                                                  needle: str) -> None:
    good = "{id: nato, name: NATO, kind: bloc, group: Blocs, aliases: [NATO]}"
    p = _write(tmp_path, "taxonomy.yaml", f"entities:\n  - {good}\n  - {entry}\n")
    with pytest.raises(ConfigError) as err:
        load_taxonomy(p)
    msg = str(err.value)
    assert str(p) in msg
    assert "entry #2" in msg
    assert f"field '{field}" in msg
    assert needle in msg


def test_duplicate_alias_across_entities_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "taxonomy.yaml", "entities:\n"
               "  - {id: a, name: A, kind: bloc, group: G, aliases: [Quad]}\n"
               "  - {id: b, name: B, kind: bloc, group: G, aliases: [Quad]}\n")
    with pytest.raises(ConfigError, match=r"entry #2 \('b'\), field 'aliases'.*already used"):
        load_taxonomy(p)


@pytest.mark.parametrize(("source", "field"), [
    ("{id: x, name: X, homepage: 'not a url', country: JP, language: en, feeds: []}",
     "homepage"),
    ("{id: x, name: X, homepage: 'https://x.test/', language: en, feeds: ['https://x.test/f']}",
     "country"),
    ("{id: x, name: X, homepage: 'https://x.test/', country: JP, language: en}", "feeds"),
    ("{id: x, name: X, homepage: 'https://x.test/', country: JP, language: en, "
     "feeds: ['https://x.test/f'], politeness: {min_delay_s: -1}}", "politeness.min_delay_s"),
    ("{id: x, name: X, homepage: 'https://x.test/', country: JP, language: en, "
     "feeds: ['https://x.test/f'], colour: red}", "colour"),
])
def test_bad_source_names_entry_and_field(tmp_path: Path, source: str, field: str) -> None:
    p = _write(tmp_path, "sources.yaml", f"sources:\n  - {source}\n")
    with pytest.raises(ConfigError) as err:
        load_sources(p)
    msg = str(err.value)
    assert str(p) in msg and "entry #1 ('x')" in msg and f"field '{field}'" in msg


def test_source_politeness_overrides_only_what_it_sets(tmp_path: Path) -> None:
    p = _write(tmp_path, "sources.yaml",
               "settings: {politeness: {min_delay_s: 7, concurrency: 3}}\n"
               "sources:\n  - {id: x, name: X, homepage: 'https://x.test/', country: jp, "
               "language: en, feeds: ['https://x.test/f'], politeness: {concurrency: 1}}\n")
    cfg = load_sources(p)
    pol = cfg.politeness_for(cfg.sources[0])
    assert (pol.min_delay_s, pol.concurrency) == (7, 1)
    assert cfg.sources[0].country == "JP"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read file"):
        load_sources(tmp_path / "nope.yaml")


def test_an_unquoted_norway_gets_a_clear_message(tmp_path: Path) -> None:
    """YAML 1.1 reads `country: NO` as false; the message says to quote it."""
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: nrk\n    name: NRK\n    homepage: https://www.nrk.no/\n"
                    "    country: NO\n    language: en\n    feeds: [https://www.nrk.no/rss]\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"country.*quote it \(\"NO\"\)"):
        load_sources(path)
    path.write_text(path.read_text(encoding="utf-8").replace("NO\n", '"NO"\n'),
                    encoding="utf-8")
    assert load_sources(path).sources[0].country == "NO"
