"""The entity tagger's matching rules, pinned with exact counts (blocwatch.stages.tagger)."""

from __future__ import annotations

import pickle
import random
import string
from collections import Counter
from pathlib import Path

import pytest

from blocwatch.stages.tagger import EntityCount, Match, Tagger
from blocwatch.taxonomy import Taxonomy, load_taxonomy

SHIPPED = Path(__file__).parents[1] / "taxonomy.yaml"


@pytest.fixture(scope="module")
def shipped() -> Tagger:
    return Tagger(load_taxonomy(SHIPPED))


def tiny(tmp_path: Path, body: str) -> Taxonomy:
    """A taxonomy from YAML entity lines (each entity: kind bloc, group Test)."""
    path = tmp_path / "taxonomy.yaml"
    path.write_text("entities:\n" + body, encoding="utf-8")
    return load_taxonomy(path)


def entity(eid: str, *aliases: str) -> str:
    return (f"  - id: {eid}\n    name: {eid}\n    kind: bloc\n    group: Test\n"
            f"    aliases:\n" + "".join(f"      - {a}\n" for a in aliases))


def counts(tagger: Tagger, text: str) -> Counter[str]:
    return Counter(m.entity_id for m in tagger.find(text))


# --- the shipped taxonomy ----------------------------------------------------

def test_spec_sentence(shipped: Tagger) -> None:
    text = ("Japan's rapprochement with NATO will undermine regional stability, the U.S.-led "
            "bloc said, as China, Russia and South Korea watched AUKUS and the Quad; us and "
            "quad do not count.")
    assert counts(shipped, text) == Counter({
        "japan": 1, "nato": 1, "united_states": 1, "china": 1, "russia": 1,
        "south_korea": 1, "aukus": 1, "quad": 1})


def test_matches_are_sorted_and_carry_their_text(shipped: Tagger) -> None:
    text = "NATO and Japan; the U.S. and the Philippines."
    assert shipped.find(text) == [
        Match("nato", 0, 4, "NATO"),
        Match("japan", 9, 14, "Japan"),
        Match("united_states", 20, 24, "U.S."),
        Match("philippines", 29, 44, "the Philippines"),
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("Japan's", {"japan": 1}),
    ("Japan’s", {"japan": 1}),
    ("Japan-NATO talks", {"japan": 1, "nato": 1}),
    ("the U.S.-led bloc", {"united_states": 1}),
    ("(NATO)", {"nato": 1}),
    ("NATO.", {"nato": 1}),
    ('"NATO"', {"nato": 1}),
    ("«NATO»", {"nato": 1}),
    ("NATO/EU", {"nato": 1, "eu": 1}),
    ("Japan_", {"japan": 1}),  # underscore is not alphanumeric, so it is a boundary
    ("Japanese", {}),
    ("AUKUS", {"aukus": 1}),  # and not "US" inside it
    ("SCOPE", {}),
    ("UNESCO", {}),
    ("Japan2", {}),
    ("2Japan", {}),
    ("Chinatown", {}),
    ("Russian", {}),
    ("NATOs", {}),
    # Characters of scripts without spaces are boundaries for every alias.
    ("日本Japan", {"japan": 2}),
    ("Japanと", {"japan": 1}),
    ("日本とNATOの関係", {"japan": 1, "nato": 1}),
    ("NATO의 정상회의", {"nato": 1}),
    ("éJapan", {}),
    ("Japanй", {}),
])
def test_whole_word_boundaries(shipped: Tagger, text: str, expected: dict[str, int]) -> None:
    assert counts(shipped, text) == Counter(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("US", {"united_states": 1}),
    ("us", {}),
    ("Us", {}),
    ("Quad", {"quad": 1}),
    ("QUAD", {"quad": 1}),
    ("quad", {}),
    ("NATO Nato nato NaTo", {"nato": 2}),
    ("japan JAPAN Japan", {"japan": 2}),
])
def test_exact_case(shipped: Tagger, text: str, expected: dict[str, int]) -> None:
    assert counts(shipped, text) == Counter(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("Asian NATO", {"asian_nato": 1}),
    ("an Asia-Pacific NATO", {"asian_nato": 1}),
    ("a NATO of Asia", {"asian_nato": 1}),
    ("the Philippines", {"philippines": 1}),
    ("People's Republic of China", {"china": 1}),
    ("Democratic People's Republic of Korea", {"north_korea": 1}),
    ("Republic of Korea", {"south_korea": 1}),
    ("UN Security Council", {"un": 1}),
    ("United States of America", {"united_states": 1}),
    ("U.S.A.", {"united_states": 1}),
    ("Shanghai Cooperation Organisation and SCO", {"sco": 2}),
    ("Kim Jong Un and Kim Jong-un", {"kim_jong_un": 2}),
    ("President Xi and Xi Jinping", {"xi_jinping": 2}),
])
def test_overlaps_resolve_leftmost_longest(shipped: Tagger, text: str,
                                           expected: dict[str, int]) -> None:
    assert counts(shipped, text) == Counter(expected)


# Every form the press uses for the "Asian NATO" idea, in sentences as published: each is
# one mention of the concept and none of NATO (the longest match wins).
ASIAN_NATO_FORMS = [
    ("en", "Beijing warned against an Asian NATO taking shape."),
    ("en", "Critics call the pact an Asian-version NATO in all but name."),
    ("en", "The plan amounts to an Asian version of NATO, the ministry said."),
    ("en", "Seoul rejected talk of an Asian-Version NATO on Monday."),
    ("en", "He dismissed fears of a NATO of Asia emerging."),
    ("en", "Analysts doubt an Asia-Pacific NATO is near."),
    ("en", "ASIAN NATO FEARS GROW"),
    ("ja", "中国外務省はアジア版NATOの構築に反対すると表明した。"),
    ("ja", "「アジア版ＮＡＴＯ」構想について首相は否定した。"),
    ("zh", "外交部发言人表示，亚洲版北约只会破坏地区稳定。"),
    ("zh", "美国企图打造“亚太版北约”。"),
    ("zh", "有学者认为所谓亚洲版“北约”不可能成立。"),
    ("zh", "他反對建立亞洲版北約。"),
    ("ko", "중국은 아시아판 나토 구상에 반대했다."),
    ("ko", "아시아판 NATO 논란이 다시 불거졌다."),
    ("ru", "Москва выступает против создания азиатской версии НАТО."),
    ("ru", "Азиатская версия НАТО угрожает стабильности, заявил МИД."),
    ("ru", "Пекин предупредил об «азиатском НАТО»."),
    ("ru", "Речь идёт об азиатском НАТО, считают эксперты."),
    ("ru", "Азиатское НАТО не нужно региону."),
]


@pytest.mark.parametrize(("language", "text"), ASIAN_NATO_FORMS)
def test_every_asian_nato_form_is_the_concept_not_nato(shipped: Tagger, language: str,
                                                         text: str) -> None:
    found = counts(shipped, text)
    assert found["asian_nato"] == 1, (language, text, found)
    assert found["nato"] == 0, (language, text, found)


def test_nato_alone_is_still_nato(shipped: Tagger) -> None:
    text = "NATO leaders met in Vilnius; 北约峰会; 나토 정상회의; саммит НАТО; NATOの首脳会議."
    assert counts(shipped, text) == Counter({"nato": 5})


def test_tag_counts_title_and_body_separately(shipped: Tagger) -> None:
    result = shipped.tag("Japan and the Quad", "The Quad met. NATO watched Japan, Japan!")
    assert result.mentions == {
        "japan": EntityCount("japan", body_count=2, title_count=1, first_offset=27),
        "quad": EntityCount("quad", body_count=1, title_count=1, first_offset=4),
        "nato": EntityCount("nato", body_count=1, title_count=0, first_offset=14),
    }


def test_title_only_entity_has_no_first_offset_and_no_pairs(shipped: Tagger) -> None:
    result = shipped.tag("Russia and China", "Only Japan here.")
    assert result.mentions == {
        "russia": EntityCount("russia", 0, 1, None),
        "china": EntityCount("china", 0, 1, None),
        "japan": EntityCount("japan", 1, 0, 5),
    }
    assert result.co_mentions == {}


def test_co_mentions_count_shared_sentences(shipped: Tagger) -> None:
    body = ("The U.S. Navy, Japan and NATO met in Tokyo. "
            "China criticised Japan and NATO replied. "
            "Russia said nothing about NATO and China, nor NATO.")
    result = shipped.tag("", body)
    assert {k: v.body_count for k, v in result.mentions.items()} == {
        "united_states": 1, "japan": 2, "nato": 4, "china": 2, "russia": 1}
    assert result.co_mentions == {
        ("china", "japan"): 1,
        ("china", "nato"): 2,
        ("china", "russia"): 1,
        ("china", "united_states"): 0,
        ("japan", "nato"): 2,
        ("japan", "russia"): 0,
        ("japan", "united_states"): 1,
        ("nato", "russia"): 1,
        ("nato", "united_states"): 1,
        ("russia", "united_states"): 0,
    }


def test_co_mentions_use_paragraph_breaks(shipped: Tagger) -> None:
    result = shipped.tag("", "Japan\nNATO\nJapan and NATO, NATO again")
    assert result.co_mentions == {("japan", "nato"): 1}
    assert result.mentions["nato"].body_count == 3


def test_offsets_count_code_points(shipped: Tagger, tmp_path: Path) -> None:
    text = "😀 NATO, 𠀀𠀁 Japan"
    assert [(m.entity_id, m.start, m.end) for m in shipped.find(text)] == [
        ("nato", 2, 6), ("japan", 11, 16)]
    tagger = Tagger(tiny(tmp_path, entity("rare", "𠀀𠀁")))
    assert [(m.start, m.end) for m in tagger.find(text)] == [(8, 10)]


def test_empty_inputs(shipped: Tagger) -> None:
    assert shipped.find("") == []
    result = shipped.tag("", "")
    assert result.mentions == {} and result.co_mentions == {}


def test_pickle_round_trip(shipped: Tagger) -> None:
    text = "Japan's NATO ties and the U.S.-led Quad."
    clone = pickle.loads(pickle.dumps(shipped))
    assert clone.find(text) == shipped.find(text)
    assert len(pickle.dumps(shipped)) < 20_000  # the taxonomy, not the automata


# --- small taxonomies for the options ----------------------------------------

def test_case_ignore_matches_any_case(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("nato", "{text: nato, case: ignore}")
                         + entity("quad", "Quad")))
    assert counts(tagger, "nato NATO Nato nAtO natos") == Counter({"nato": 4})
    assert counts(tagger, "Quad quad QUAD") == Counter({"quad": 1})


def test_case_ignore_offsets_survive_length_changing_folds(tmp_path: Path) -> None:
    # "İ" folds to two characters and "ß" to "ss": offsets must still point into the
    # original text, and matches must not start or end inside one character's folding.
    tagger = Tagger(tiny(tmp_path, entity("street", "{text: Straße, case: ignore}")
                         + entity("istanbul", "{text: İstanbul, case: ignore}")
                         + entity("sa", "{text: sa, case: ignore}")
                         + entity("nato", "{text: NATO, case: ignore}")))
    text = "İİ STRASSE, straße and İSTANBUL; ßa sa NATO"
    assert [(m.entity_id, m.text) for m in tagger.find(text)] == [
        ("street", "STRASSE"), ("street", "straße"), ("istanbul", "İSTANBUL"),
        ("sa", "sa"), ("nato", "NATO")]
    for m in tagger.find(text):
        assert text[m.start:m.end] == m.text
    assert tagger.tag("", text).mentions["nato"].first_offset == text.index("NATO")


def test_exact_outranks_ignore_on_the_same_span(tmp_path: Path) -> None:
    # The ignore alias comes first in the file: taxonomy order alone would pick it.
    tagger = Tagger(tiny(tmp_path, entity("pronoun", "{text: us, case: ignore}")
                         + entity("usa", "US")))
    assert [m.entity_id for m in tagger.find("US us Us uS")] == [
        "usa", "pronoun", "pronoun", "pronoun"]


def test_exact_and_ignore_alias_of_one_entity_count_once(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("nato", "NATO", "{text: nato, case: ignore}")))
    assert counts(tagger, "NATO nato") == Counter({"nato": 2})


def test_cjk_aliases_need_no_boundary(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("japan", "日本", "일본", "Japan")
                         + entity("nato", "北大西洋条約機構")))
    assert counts(tagger, "日本は北大西洋条約機構と") == Counter({"japan": 1, "nato": 1})
    assert counts(tagger, "일본의 일본은 日本Japan") == Counter({"japan": 4})
    assert [(m.start, m.end) for m in tagger.find("日本は北大西洋条約機構と")] == [(0, 2), (3, 11)]


def test_mixed_script_alias_needs_boundary_on_its_latin_side(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("g7", "G7サミット")))
    assert counts(tagger, "G7サミットで") == Counter({"g7": 1})
    assert counts(tagger, "XG7サミット") == Counter()


def test_combining_marks_continue_a_word(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("india", "भारत") + entity("japan", "Japan")))
    assert counts(tagger, "भारत का भारतीय") == Counter({"india": 1})
    assert counts(tagger, "Japan\u0301 Japan") == Counter({"japan": 1})


def test_prefix_alias(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("japan", "{text: Япони, match: prefix, lang: ru}")
                         + entity("nato", "НАТО")))
    assert counts(tagger, "Японии и Японию") == Counter({"japan": 2})
    assert counts(tagger, "Япония, Японией; Японская") == Counter({"japan": 2})
    assert counts(tagger, "неЯпонии") == Counter()  # the left boundary still applies
    assert counts(tagger, "НАТО НАТОвский") == Counter({"nato": 1})
    assert [m.text for m in tagger.find("Японии")] == ["Япони"]


def test_longest_failing_the_boundary_yields_to_a_shorter_one(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("usa", "US") + entity("navy", "US Navy")))
    assert counts(tagger, "US Navy") == Counter({"navy": 1})
    assert counts(tagger, "US Navyseal") == Counter({"usa": 1})


def test_leftmost_wins_over_a_longer_later_candidate(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("ny", "New York") + entity("hall", "York City Hall")
                         + entity("city", "City")))
    assert [m.entity_id for m in tagger.find("New York City Hall")] == ["ny", "city"]


def test_only_exact_or_only_ignore_aliases(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    only_ignore = Tagger(tiny(tmp_path / "a", entity("x", "{text: abc, case: ignore}")))
    only_exact = Tagger(tiny(tmp_path / "b", entity("x", "abc")))
    assert counts(only_ignore, "ABC abc") == Counter({"x": 2})
    assert counts(only_exact, "ABC abc") == Counter({"x": 1})


# --- property-style: random texts with known counts --------------------------

# Words that sit right next to aliases and must never match or extend one.
FILLERS = ("the talks", "said", "and", "with", "us", "quad", "nato", "Japanese", "UNESCO",
           "SCOPE", "Chinatown", "Russian", "AUKUSian", "bloc", "ties", "missile", "2024",
           "over", "Tokyo", "regional", "drills", "e.g.", "Mr.", "Dr.", "3.5")
SEPARATORS = (" ", ", ", "; ", " (", ") ", "'s ", "’s ", "-", ". ", "\n", " \"", "\" ", "/")


def random_text(rng: random.Random, surfaces: list[tuple[str, str]], n: int,
                fillers: tuple[str, ...] = FILLERS) -> tuple[str, Counter[str]]:
    parts: list[str] = []
    expected: Counter[str] = Counter()
    for _ in range(n):
        parts.append(rng.choice(fillers))
        parts.append(rng.choice(SEPARATORS))
        if rng.random() < 0.6:
            eid, surface = rng.choice(surfaces)
            parts.append(surface)
            expected[eid] += 1
            parts.append(rng.choice(SEPARATORS))
    return "".join(parts), expected


def test_random_texts_with_the_shipped_taxonomy(shipped: Tagger) -> None:
    surfaces = [(a.entity_id, a.text) for a in load_taxonomy(SHIPPED).aliases]
    rng = random.Random(20240611)
    for _ in range(300):
        text, expected = random_text(rng, surfaces, rng.randint(1, 40))
        assert counts(shipped, text) == expected, text


def test_random_texts_with_every_option(tmp_path: Path) -> None:
    tagger = Tagger(tiny(tmp_path, entity("japan", "Japan", "日本", "{text: Япони, match: prefix}")
                         + entity("nato", "{text: nato, case: ignore}", "North Atlantic Alliance")
                         + entity("asian_nato", "Asian NATO")
                         + entity("korea", "일본의", "{text: korea, case: ignore}")
                         + entity("street", "{text: straße, case: ignore}")))
    fillers = ("the talks", "said", "and", "Japanese", "Koreans", "NATOs", "natoish",
               "Straßen", "strasser", "неЯпонии", "İİ", "ß", "2024", "Mr.")
    rng = random.Random(7)

    def vary(text: str) -> str:
        return "".join(ch.upper() if rng.random() < 0.5 else ch.lower() for ch in text)

    for _ in range(300):
        surfaces = [("japan", "Japan"), ("japan", "日本"), ("japan", "Японии"),
                    ("japan", "Японию"), ("nato", vary("nato")),
                    ("nato", "North Atlantic Alliance"), ("asian_nato", "Asian NATO"),
                    ("korea", "일본의"), ("korea", vary("korea")),
                    ("street", vary("straße")), ("street", "STRASSE")]
        text, expected = random_text(rng, surfaces, rng.randint(1, 30), fillers)
        assert counts(tagger, text) == expected, text


def test_random_texts_with_wide_multi_script_taxonomies(tmp_path: Path) -> None:
    # Dozens of distinct first characters per script: the tagger's placeholder keys,
    # per-script passes and text windows (ASCII, sparse and dense non-ASCII text) all
    # take part, and none may change a count.
    latin = [f"{c}{c}zq" for c in string.ascii_letters]
    cjk = [chr(0x4E00 + 7 * i) + "国" for i in range(60)]
    cyrillic = [ch + "ква" for ch in "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"]
    hangul = [chr(0xAC00 + 97 * i) + "다" for i in range(45)]
    body = (entity("latin", *latin)
            + entity("cjk", *cjk)
            + entity("cyrillic", *(f"{{text: {a}, case: ignore}}" for a in cyrillic))
            + entity("hangul", *hangul))
    tagger = Tagger(tiny(tmp_path, body))
    fillers = ("the talks", "said", "zq", "2024", "e\uffff", "\uffff")
    non_ascii_fillers = ("と", "は", "및", "и", "Россия", "日本")
    rng = random.Random(11)
    for _ in range(400):
        mode = rng.choice(("ascii", "sparse", "dense"))
        surfaces = [("latin", a) for a in latin]
        use_fillers = fillers
        if mode != "ascii":
            others = ([("cjk", a) for a in cjk] + [("hangul", a) for a in hangul]
                      + [("cyrillic", rng.choice((a, a.upper(), a.lower()))) for a in cyrillic])
            surfaces = surfaces * (20 if mode == "sparse" else 1) + others
            use_fillers = fillers + non_ascii_fillers
        text, expected = random_text(rng, surfaces, rng.randint(1, 60), use_fillers)
        assert counts(tagger, text) == expected, text
