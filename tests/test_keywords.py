"""Per-article keyword extraction, pinned with exact counts (blocwatch.keywords)."""

from __future__ import annotations

import random

import pytest

from blocwatch.keywords import (
    _ASCII_TOKEN_GAP_RE,
    Keyword,
    _token_gap_re,
    extract_keywords,
    stopwords,
    tokenize,
)


def terms(text: str, **kwargs: object) -> dict[str, int]:
    return {k.term: k.count for k in extract_keywords(text, **kwargs)}  # type: ignore[arg-type]


def test_counts_scores_and_order() -> None:
    text = "Missile defence spending rose. Missile defence officials said the budget rose again."
    # 12 word tokens; "said", "the" and "again" are stopwords but still count in the total.
    assert extract_keywords(text) == [
        Keyword("defence", 2, 2 / 12),
        Keyword("missile", 2, 2 / 12),
        Keyword("missile defence", 2, 2 / 12),
        Keyword("rose", 2, 2 / 12),
        Keyword("budget", 1, 1 / 12),
        Keyword("officials", 1, 1 / 12),
        Keyword("spending", 1, 1 / 12),
    ]


def test_news_boilerplate_is_dropped() -> None:
    text = ("Officials said, says, told and also would, could: this year 5 percent. "
            "Reuters reported on Monday.")
    assert terms(text) == {"officials": 1}


def test_short_tokens_and_numbers_are_dropped() -> None:
    text = "AI 5G G7 F-35 covid-19 2024 1,000 3.5 g20 UK jets"
    assert terms(text) == {"f-35": 1, "covid-19": 1, "g20": 1, "jets": 1}


def test_possessives_and_curly_apostrophes_fold_together() -> None:
    assert terms("Japan's, Japan’s, Japan; navy’s, navy") == {"japan": 3, "navy": 2}


def test_internal_hyphens_and_apostrophes_stay() -> None:
    assert terms("well-known rock'n'roll -dash trailing- o'clock") == {
        "well-known": 1, "rock'n'roll": 1, "dash": 1, "trailing": 1, "o'clock": 1}


def test_bigrams_need_two_occurrences_and_plain_spaces() -> None:
    text = ("Naval drills. Naval drills\nNaval drills, naval  drills "
            "joint exercise. Joint, exercise. Joint exercise")
    # Periods, commas and line breaks cut pairs ("drills naval" never forms); runs of
    # spaces do not. "drills joint" occurs once, so it is not a keyword.
    assert terms(text) == {"naval": 4, "drills": 4, "naval drills": 4, "joint": 3,
                           "exercise": 3, "joint exercise": 2}


def test_bigrams_skip_stopwords_and_short_words() -> None:
    text = "trade war of words; trade war of words; trade of war; the trade war"
    assert terms(text) == {"trade": 4, "war": 4, "words": 2, "trade war": 3}


def test_exclude_drops_terms_and_phrases_containing_them() -> None:
    text = ("Japan's navy and the Japan navy; Quad summit, Quad summit; "
            "summit talks, summit talks")
    assert terms(text, exclude=["JAPAN", "quad", "Japan’s"]) == {
        "navy": 2, "summit": 4, "talks": 2, "summit talks": 2}
    assert terms(text, exclude=["summit talks"]) == {
        "japan": 2, "navy": 2, "quad": 2, "summit": 4, "talks": 2,
        "japan navy": 2, "quad summit": 2}


def test_exclude_a_phrase() -> None:
    text = "summit talks, summit talks"
    assert terms(text) == {"summit": 2, "talks": 2, "summit talks": 2}
    assert terms(text, exclude=["Summit Talks"]) == {"summit": 2, "talks": 2}


def test_top_k_and_ties_are_alphabetical() -> None:
    text = "zeta, alpha, mike, zeta, alpha, mike, delta"
    assert [k.term for k in extract_keywords(text, top_k=2)] == ["alpha", "mike"]
    assert [k.term for k in extract_keywords(text, top_k=10)] == [
        "alpha", "mike", "zeta", "delta"]
    assert extract_keywords(text, top_k=0) == []


def test_deterministic() -> None:
    text = "b-team a-team c-team " * 5 + "d-team " * 5
    first = extract_keywords(text)
    assert all(extract_keywords(text) == first for _ in range(5))
    # A repeated word is a pair like any other ("d-team d-team").
    assert [(k.term, k.count) for k in first] == [
        ("a-team", 5), ("a-team c-team", 5), ("b-team", 5), ("b-team a-team", 5),
        ("c-team", 5), ("d-team", 5), ("c-team b-team", 4), ("d-team d-team", 4)]


@pytest.mark.parametrize("language", ["en", None, "EN-gb", "en_US", "xx", "ja", "", "../x"])
def test_unknown_languages_use_english(language: str | None) -> None:
    assert stopwords(language) == stopwords("en")
    assert terms("the said regional stability", language=language) == {
        "regional": 1, "stability": 1}


def test_shipped_english_list() -> None:
    words = stopwords("en")
    assert len(words) >= 300
    assert {"the", "and", "said", "says", "told", "also", "would", "could", "year",
            "percent", "don't"} <= words
    assert all(w == w.lower() and w.strip() == w and w for w in words)


def test_scripts_without_spaces_give_no_tokens() -> None:
    assert extract_keywords("日本は北大西洋条約機構と協力した。") == []
    assert terms("ญี่ปุ่น ประเทศ") == {}


def test_other_scripts_are_lowercased() -> None:
    assert terms("Япония, ЯПОНИЯ, япония, НАТО") == {"япония": 3, "нато": 1}
    assert terms("한국 정부 한국") == {}  # two-character words are below the minimum length
    assert terms("대한민국 대한민국") == {"대한민국": 2}


def test_empty_text() -> None:
    assert extract_keywords("") == []
    assert extract_keywords("   \n") == []


def test_combining_marks_stay_inside_words() -> None:
    assert terms("भारतीय नौसेना, भारतीय") == {"भारतीय": 2, "नौसेना": 1}
    assert terms("Cafe\u0301 cafe\u0301s") == {"cafe\u0301": 1, "cafe\u0301s": 1}


def test_tokens_do_not_start_inside_numbers() -> None:
    assert tokenize("5G 100km 1990s x2024") == [("x2024", 15, 20)]


def test_score_denominator_is_the_tokenizer_count() -> None:
    text = "İstanbul’s port, the port's cranes; 5G masts and U.S. ports.\nPort"
    words = [w for w, _, _ in tokenize(text)]
    assert words == ["i\u0307stanbul", "port", "the", "port", "cranes", "masts", "and", "u",
                     "s", "ports", "port"]
    assert extract_keywords(text)[0] == Keyword("port", 3, 3 / 11)


def test_tokenize_offsets() -> None:
    text = "Japan’s F-35s, 2024."
    assert tokenize(text) == [("japan", 0, 7), ("f-35s", 8, 13)]


def test_ascii_fast_path_agrees_with_the_unicode_tokenizer() -> None:
    rng = random.Random(3)
    alphabet = "abcxyz019 '-_.,\n\t\x1c\x0b"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _ASCII_TOKEN_GAP_RE.findall(text) == _token_gap_re().findall(text), repr(text)


def test_typographic_dashes_and_quotes() -> None:
    # A dash separates like a comma: no phrase across it. Non-breaking spaces are spaces.
    text = "war—peace war—peace “war peace” war\u00a0peace"
    assert terms(text) == {"war": 4, "peace": 4, "war peace": 2}
