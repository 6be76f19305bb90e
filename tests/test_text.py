"""Sentence splitting and whitespace helpers (blocwatch.text)."""

from __future__ import annotations

import pytest

from blocwatch.text import is_unspaced_script, normalize_space, split_sentences


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_example_from_the_spec() -> None:
    assert sentences("The U.S. Navy and Japan met. NATO watched.") == [
        "The U.S. Navy and Japan met.", "NATO watched."]


def test_offsets_point_into_the_original_text() -> None:
    text = "  First one.   Second one!\n\nThird?  "
    assert split_sentences(text) == [(2, 12), (15, 26), (28, 34)]
    assert sentences(text) == ["First one.", "Second one!", "Third?"]


@pytest.mark.parametrize("text", [
    "Officials in the U.K. Foreign Office agreed.",
    "The E.U. Council met.",
    "The U.N. Security Council met.",
    "The U.S.A. Today poll was cited.",
    "A report by J. Smith appeared.",
    "Mr. Ishiba and Mrs. Abe met Dr. Kim.",
    "Gen. Smith, Lt. Jones, Col. Brown and Sen. Lee attended.",
    "Rep. Ortiz spoke on St. Patrick's Day.",
    "He lives at No. 10 Downing Street.",
    "It happened on Jan. 5 and again on Feb. 3, Mar. 9, Apr. 1, Aug. 4, Sept. 9 and Dec. 24.",
    "Japan vs. China was the headline.",
    "Blocs, e.g. NATO, and bodies, i.e. The UN, differ.",
])
def test_abbreviations_do_not_end_sentences(text: str) -> None:
    assert sentences(text) == [text]


def test_a_number_before_an_abbreviation_still_ends_a_sentence() -> None:
    assert sentences("It was Oct. 7. No. 5 came next.") == ["It was Oct. 7.", "No. 5 came next."]


def test_split_needs_a_sentence_start_after_the_period() -> None:
    assert len(split_sentences("Growth was 3.5 percent. it rose.")) == 1
    assert len(split_sentences("Growth was 3.5 percent. 2025 was worse.")) == 2
    assert len(split_sentences('He left. "Never again," she said.')) == 2
    assert len(split_sentences("He left. (Reuters) reported it.")) == 2
    assert len(split_sentences("The U.S.-led bloc met. Then it ended.")) == 2


def test_quotes_after_the_terminator_stay_with_the_sentence() -> None:
    assert sentences('"Why now?" Tokyo asked. "Because."') == [
        '"Why now?"', "Tokyo asked.", '"Because."']
    assert sentences('"Why now?" she asked.') == ['"Why now?" she asked.']


def test_exclamation_question_and_ellipsis() -> None:
    assert sentences("Stop! Who goes there? Nobody... Really.") == [
        "Stop!", "Who goes there?", "Nobody...", "Really."]


def test_initial_only_for_a_lone_capital() -> None:
    # "F-35B." is a model name, not an initial: the sentence ends there.
    assert len(split_sentences("Japan bought the F-35B. Korea did not.")) == 2
    assert len(split_sentences("Plan B. Smith disagreed.")) == 1


def test_newlines_are_paragraph_breaks() -> None:
    text = "Headline without period\nFirst paragraph. Second sentence\n\nLast one"
    assert sentences(text) == [
        "Headline without period", "First paragraph.", "Second sentence", "Last one"]
    # A newline ends the sentence even after an abbreviation.
    assert sentences("He met Mr.\nSmith") == ["He met Mr.", "Smith"]


def test_cjk_terminators_need_no_space() -> None:
    assert sentences("日本は北大西洋条約機構と協力した。中国は反発した！本当か？") == [
        "日本は北大西洋条約機構と協力した。", "中国は反発した！", "本当か？"]
    assert sentences("「やめろ。」と言った。次だ。") == ["「やめろ。」", "と言った。", "次だ。"]


def test_caseless_scripts_after_a_period_start_sentences() -> None:
    assert len(split_sentences("Россия ответила. Япония промолчала.")) == 2
    assert len(split_sentences("Россия ответила. япония промолчала.")) == 1
    assert len(split_sentences("قالت اليابان. ردت الصين.")) == 2


def test_empty_and_blank() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []
    assert sentences("No terminator at all") == ["No terminator at all"]


def test_every_non_space_character_is_in_exactly_one_span() -> None:
    text = ("Mr. Ishiba said: \"The U.S. will stay.\" NATO agreed!\n\n"
            "日本は同意した。 Next?   Yes. e.g. this. 3.5 pct. Done")
    spans = split_sentences(text)
    covered = [0] * len(text)
    for s, e in spans:
        assert s < e
        for i in range(s, e):
            covered[i] += 1
    for i, ch in enumerate(text):
        assert covered[i] == 1 or (ch.isspace() and covered[i] == 0), (i, ch)
    assert spans == sorted(spans)


def test_normalize_space() -> None:
    assert normalize_space("  a \t b\u00a0c \n\n  d  ") == "a b c\nd"
    assert normalize_space("") == ""


def test_is_unspaced_script() -> None:
    assert [is_unspaced_script(c) for c in "日はカ일ไA я1"] == [
        True, True, True, True, True, False, False, False, False]
