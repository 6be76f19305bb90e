"""Per-article keywords and the text analysis under them (blocwatch.stages.keywords,
blocwatch.analysis), pinned with exact counts and base forms in English, Russian, Korean,
Japanese and Chinese; keyword in context (dashboard.text.kwic,
warehouse.analysis.keyword_in_context) in each of those languages; and the demo
warehouse, where every language gets keywords."""

from __future__ import annotations

import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date

import duckdb
import pytest

from blocwatch.analysis import (
    _ASCII_WORD_RE,
    Token,
    _word_re,
    analyze,
    fast_words,
    find_term,
    fold,
    separator,
    stopwords,
    word_forms,
)
from blocwatch.stages.keywords import Keyword, extract_keywords
from dashboard.text import kwic
from tests.conftest import BuiltWarehouse


def terms(text: str, **kwargs: object) -> dict[str, int]:
    return {k.term: k.count for k in extract_keywords(text, **kwargs)}  # type: ignore[arg-type]


def surfaces(text: str, language: str) -> list[tuple[str, str, bool]]:
    """(surface form, base form, stopword) of each token."""
    return [(text[t.start:t.end], t.base, t.stop) for t in analyze(text, language)]


# --- English ----------------------------------------------------------------------------------

def test_counts_scores_and_order() -> None:
    text = "Missile defence spending rose. Missile defence officials said the budget rose again."
    # 12 word tokens; "said", "the" and "again" are stopwords but still count in the total.
    assert extract_keywords(text) == [
        Keyword("defence", 2, 2 / 12),
        Keyword("missile", 2, 2 / 12),
        Keyword("missile defence", 2, 2 / 12),
        Keyword("rose", 2, 2 / 12),
        Keyword("budget", 1, 1 / 12),
        Keyword("official", 1, 1 / 12),
        Keyword("spending", 1, 1 / 12),
    ]


def test_english_base_forms() -> None:
    # Plurals and verb forms fold into one term; -ing nouns and "media"/"arms" stay.
    text = ("Ministers signed sanctions. The minister signs a sanction; media reported "
            "arms spending, and the meetings were meeting again.")
    assert terms(text) == {"minister": 2, "sign": 2, "sanction": 2, "minister sign": 2,
                           "media": 1, "arms": 1, "spending": 1, "meeting": 2}


def test_news_boilerplate_is_dropped() -> None:
    text = ("Officials said, says, told and also would, could: this year 5 percent. "
            "Reuters reported on Monday.")
    assert terms(text) == {"official": 1}


def test_short_tokens_and_numbers_are_dropped() -> None:
    text = "AI 5G G7 F-35 covid-19 2024 1,000 3.5 g20 UK jets"
    assert terms(text) == {"f-35": 1, "covid-19": 1, "g20": 1, "jet": 1}


def test_possessives_and_curly_apostrophes_fold_together() -> None:
    assert terms("Japan's, Japan’s, Japan; navy’s, navy") == {"japan": 3, "navy": 2}


def test_internal_hyphens_and_apostrophes_stay() -> None:
    assert terms("well-known rock'n'roll -dash trailing- o'clock") == {
        "well-known": 1, "rock'n'roll": 1, "dash": 1, "trailing": 1, "o'clock": 1}


def test_bigrams_need_two_occurrences_and_plain_spaces() -> None:
    text = ("Naval drills. Naval drills\nNaval drills, naval  drills "
            "joint exercise. Joint, exercise. Joint exercise")
    # Periods, commas and line breaks cut pairs ("drill naval" never forms); runs of
    # spaces do not. "drill joint" occurs once, so it is not a keyword.
    assert terms(text) == {"naval": 4, "drill": 4, "naval drill": 4, "joint": 3,
                           "exercise": 3, "joint exercise": 2}


def test_bigrams_skip_stopwords_and_short_words() -> None:
    text = "trade war of words; trade war of words; trade of war; the trade war"
    assert terms(text) == {"trade": 4, "war": 4, "word": 2, "trade war": 3}


def test_exclude_drops_terms_and_phrases_containing_them() -> None:
    text = ("Japan's navy and the Japan navy; Quad summit, Quad summit; "
            "summit talks, summit talks")
    assert terms(text, exclude=["JAPAN", "quad", "Japan’s"]) == {
        "navy": 2, "summit": 4, "talk": 2, "summit talk": 2}
    assert terms(text, exclude=["summit talks"]) == {
        "japan": 2, "navy": 2, "quad": 2, "summit": 4, "talk": 2,
        "japan navy": 2, "quad summit": 2}


def test_exclude_a_phrase() -> None:
    text = "summit talks, summit talks"
    assert terms(text) == {"summit": 2, "talk": 2, "summit talk": 2}
    assert terms(text, exclude=["Summit Talks"]) == {"summit": 2, "talk": 2}
    assert terms(text, exclude=frozenset({"summit talk"})) == {"summit": 2, "talk": 2}


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


@pytest.mark.parametrize("language", ["en", None, "EN-gb", "en_US", "xx", "", "../x"])
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


def test_other_languages_have_their_own_stopwords() -> None:
    assert {"что", "быть", "заявить"} <= stopwords("ru")
    assert "война" not in stopwords("ru") and "россия" not in stopwords("ru")
    assert {"기자", "올해"} <= stopwords("ko")
    assert {"の", "こと", "今年"} <= stopwords("ja")
    assert {"的", "了", "表示"} <= stopwords("zh")
    assert {"der", "und"} <= stopwords("de-AT")  # stopwords-iso's list


def test_scripts_without_an_analyzer_give_no_tokens() -> None:
    assert terms("ญี่ปุ่น ประเทศ") == {}
    assert terms("ญี่ปุ่น ประเทศ", language="th") == {}


def test_other_scripts_are_lowercased() -> None:
    assert terms("Япония, ЯПОНИЯ, япония, НАТО") == {"япония": 3, "нато": 1}


def test_empty_text() -> None:
    for language in ("en", "ru", "ko", "ja", "zh"):
        assert extract_keywords("", language) == []
        assert extract_keywords("   \n", language) == []
        assert analyze("", language) == []


def test_combining_marks_stay_inside_words() -> None:
    assert terms("भारतीय नौसेना, भारतीय") == {"भारतीय": 2, "नौसेना": 1}
    # é written as one character or as e + combining accent is one word.
    assert terms("Cafe\u0301, café, cafe\u0301s") == {"café": 3}


def test_tokens_do_not_start_inside_numbers() -> None:
    assert analyze("5G 100km 1990s x2024", "en") == [Token("x2024", 15, 20, False)]


def test_score_denominator_is_the_token_count() -> None:
    text = "İstanbul’s port, the port's cranes; 5G masts and U.S. ports.\nPort"
    assert [t.base for t in analyze(text, "en")] == [
        "i\u0307stanbul", "port", "the", "port", "crane", "mast", "and", "u", "s", "port",
        "port"]
    assert extract_keywords(text)[0] == Keyword("port", 4, 4 / 11)


def test_english_offsets() -> None:
    text = "Japan’s F-35s, 2024. Ministers’ talks"
    # A closing apostrophe is punctuation, not part of the word.
    assert surfaces(text, "en") == [("Japan’s", "japan", False), ("F-35s", "f-35s", False),
                                    ("Ministers", "minister", False), ("talks", "talk", False)]
    # Lowercasing İ adds a character; offsets still point into the text as given.
    text = "İİ Port"
    assert surfaces(text, "en") == [("İİ", "i̇i̇", False), ("Port", "port", False)]


def test_typographic_dashes_and_quotes() -> None:
    # A dash separates like a comma: no phrase across it. Non-breaking spaces are spaces.
    text = "war—peace war—peace “war peace” war\u00a0peace"
    assert terms(text) == {"war": 4, "peace": 4, "war peace": 2}


def test_ascii_pattern_agrees_with_the_unicode_pattern() -> None:
    rng = random.Random(3)
    alphabet = "abcxyz019 '-_.,\n\t\x1c\x0b"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert ([m.span() for m in _ASCII_WORD_RE.finditer(text)]
                == [m.span() for m in _word_re().finditer(text)]), repr(text)


def test_fast_words_agree_with_analyze() -> None:
    """The counting path of English ASCII text gives the words and phrase joints that
    analyze() and separator() give."""
    rng = random.Random(5)
    alphabet = "abXYz09 '’-_.,—\n\r\t\x0b\u00a0"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        fast = fast_words(text, "en")
        assert fast is not None
        words, gaps = fast
        tokens = analyze(text, "en")
        forms = [word_forms("en")(w) for w in words]
        assert [f.folded for f in forms] == [fold(text[t.start:t.end], "en")
                                             for t in tokens], repr(text)
        assert [(f.base, f.stop) for f in forms] == [(t.base, t.stop) for t in tokens]
        joints = [separator(text, a, b) == " " for a, b in zip(tokens, tokens[1:],
                                                                 strict=False)]
        assert [bool(g) for g in gaps] == [*joints, False][:len(tokens)], repr(text)


# --- Russian ----------------------------------------------------------------------------------

RU = ("Участники конференции заявили, что переговоры о морской безопасности продолжатся. "
      "Конференция обсудила вопросы морской безопасности.")


def test_russian_keywords_are_normal_forms() -> None:
    # Phrases are the words' normal forms side by side, without agreement ("морской
    # безопасность"): what keyword in context finds again, not a grammatical phrase.
    assert terms(RU, language="ru") == {
        "конференция": 2, "морской": 2, "безопасность": 2, "морской безопасность": 2,
        "участник": 1, "переговоры": 1, "продолжиться": 1, "обсудить": 1}


def test_russian_analysis() -> None:
    text = "Участники конференции заявили, что ещё"
    assert analyze(text, "ru") == [
        Token("участник", 0, 9, False), Token("конференция", 10, 21, False),
        Token("заявить", 22, 29, True), Token("что", 31, 34, True), Token("еще", 35, 38, True)]


# --- Korean -----------------------------------------------------------------------------------

KO = ("관계자들은 회담 결과를 설명했다. 관계자들은 해양 안보 협력을 논의했고 "
      "해양 안보 문제도 논의했다.")


def test_korean_keywords_are_nouns_without_particles() -> None:
    assert terms(KO, language="ko") == {
        "관계자": 2, "논의": 2, "안보": 2, "해양": 2, "해양 안보": 2,
        "결과": 1, "문제": 1, "협력": 1, "회담": 1}


def test_korean_analysis() -> None:
    text = "😀 美 관계자들은 방위산업 협력을 밝혔다"
    assert surfaces(text, "ko") == [
        ("美", "美", False),           # after a character outside the BMP: offsets still hold
        ("관계자", "관계자", False),    # 들 (plural) and 은 (topic particle) are no tokens
        ("방위", "방위", False), ("산업", "산업", False),
        ("협력", "협력", False),
        ("밝혔", "밝히다", True)]       # a verb: dictionary form with 다, no content word
    tokens = analyze(text, "ko")
    assert separator(text, tokens[2], tokens[3]) == ""     # 방위+산업: written together
    assert separator(text, tokens[3], tokens[4]) == " "
    assert separator(text, tokens[4], tokens[5]) is None   # 을 between


def test_korean_compound_phrase_is_written_together() -> None:
    assert terms("방위산업 협력, 방위산업 육성", language="ko") == {
        "방위": 2, "산업": 2, "방위산업": 2, "협력": 1, "육성": 1}


# --- Japanese ---------------------------------------------------------------------------------

JA = "政府は安全保障の強化を決めた。同盟国との安全保障協力も進める。"


def test_japanese_keywords() -> None:
    # Particles, auxiliaries and verbs (決める, 進める) are no keywords; 安全保障 is two
    # words to Sudachi's split mode C, written together, so also a phrase.
    assert terms(JA, language="ja") == {
        "安全": 2, "保障": 2, "安全保障": 2, "政府": 1, "強化": 1, "同盟国": 1, "協力": 1}


def test_japanese_analysis() -> None:
    text = "関係者は「冷静に対応する」と語った。ＮＡＴＯ"
    assert surfaces(text, "ja") == [
        ("関係者", "関係者", False), ("は", "は", True), ("冷静", "冷静", False),
        ("に", "だ", True), ("対応", "対応", False), ("する", "する", True),
        ("と", "と", True), ("語っ", "語る", True), ("た", "た", True),
        ("ＮＡＴＯ", "nato", False)]


def test_japanese_text_longer_than_sudachi_takes_at_once() -> None:
    # Sudachi refuses more than 49,149 bytes: the text is analysed in pieces.
    text = "同盟国と協議した。" * 3000 + "\n" + "防衛費" * 3000
    tokens = analyze(text, "ja")
    assert len(text.encode()) > 100_000
    assert [t.base for t in tokens[:3]] == ["同盟国", "と", "協議"]
    assert text[tokens[-1].start:tokens[-1].end] == "防衛費"
    assert tokens[-1].end == len(text)
    assert all(text[t.start:t.end] for t in tokens)


# --- Chinese ----------------------------------------------------------------------------------

ZH = "同盟国官员表示，海上安全合作是会谈的重点。海上安全合作还包括情报共享。"


def test_chinese_keywords() -> None:
    # 表示, 是, 的, 还, 包括 are stopwords; three words written together give two phrases.
    assert terms(ZH, language="zh") == {
        "合作": 2, "安全": 2, "海上": 2, "安全合作": 2, "海上安全": 2,
        "同盟国": 1, "官员": 1, "会谈": 1, "重点": 1, "情报": 1, "共享": 1}


def test_chinese_analysis() -> None:
    text = "日本和ＮＡＴＯ的合作"
    assert surfaces(text, "zh") == [("日本", "日本", False), ("和", "和", True),
                                    ("ＮＡＴＯ", "nato", False), ("的", "的", True),
                                    ("合作", "合作", False)]


# --- offsets in every language ----------------------------------------------------------------

@pytest.mark.parametrize(("language", "text"), [("en", "Officials’ talks — U.S. drills"),
                                                ("ru", RU), ("ko", KO), ("ja", JA),
                                                ("zh", ZH)])
def test_offsets_point_at_the_surface_form(language: str, text: str) -> None:
    tokens = analyze(text, language)
    assert tokens
    ends = [0]
    for t in tokens:
        surface = text[t.start:t.end]
        assert surface and surface == surface.strip(), (t, surface)
        assert t.start >= ends[-1]  # in order, never overlapping
        ends.append(t.end)


# --- several threads, several processes -------------------------------------------------------

SAMPLES = {"en": "Officials’ talks — U.S. drills", "ru": RU, "ko": KO, "ja": JA, "zh": ZH}


def _analyze_all(samples: dict[str, str]) -> dict[str, list[Token]]:
    return {lang: analyze(text, lang) for lang, text in samples.items()}


def test_threads_share_the_analyzers() -> None:
    # The dashboard calls from several threads: Sudachi refuses concurrent calls on one
    # tokenizer, so each thread needs its own.
    expected = _analyze_all(SAMPLES)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _analyze_all(SAMPLES), range(16)))
    assert all(r == expected for r in results)


def test_worker_processes_give_the_same_tokens() -> None:
    # As the pipeline runs it: spawned workers, each loading what it meets on first use.
    expected = _analyze_all(SAMPLES)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = list(pool.map(_analyze_all, [SAMPLES] * 4))
    assert all(r == expected for r in results)


# --- keyword in context -----------------------------------------------------------------------

@pytest.mark.parametrize(("language", "text", "term", "expected"), [
    ("en", "Ministers met. The minister’s talks, then a Minister.", "minister",
     ["Ministers", "minister’s", "Minister"]),
    ("en", "joint exercises began; Joint  Exercise ended; joint, exercise", "joint exercise",
     ["joint exercises", "Joint  Exercise"]),
    ("ru", RU, "конференция", ["конференции", "Конференция"]),
    ("ru", RU, "морской безопасность", ["морской безопасности", "морской безопасности"]),
    ("ko", KO, "관계자", ["관계자", "관계자"]),
    ("ko", KO, "해양 안보", ["해양 안보", "해양 안보"]),
    ("ja", JA, "安全保障", ["安全保障", "安全保障"]),
    ("ja", JA, "同盟国", ["同盟国"]),
    ("zh", ZH, "海上安全", ["海上安全", "海上安全"]),
    ("zh", ZH, "情报", ["情报"]),
])
def test_find_term_in_every_language(language: str, text: str, term: str,
                                     expected: list[str]) -> None:
    assert [text[s:e] for s, e in find_term(text, term, language)] == expected


def test_find_term_accepts_an_inflected_or_capitalised_term() -> None:
    assert [RU[s:e] for s, e in find_term(RU, "Конференции", "ru")] == [
        "конференции", "Конференция"]
    assert find_term(RU, "", "ru") == []
    assert find_term(RU, "конференц", "ru") == []  # a word, not a substring


@pytest.mark.parametrize(("language", "text", "term", "line"), [
    ("en", "Earlier that week the Ministers’ talks began in the capital.", "minister",
     ("…eek the", "Ministers", "’ talks…")),
    ("ru", "Вчера участники конференции заявили о переговорах.", "конференция",
     ("…астники", "конференции", "заявили…")),
    ("ko", "정부 관계자들은 회담이 끝났다고 전했다.", "관계자",
     ("정부", "관계자", "들은 회담이 끝…")),
    ("ja", "防衛省の関係者は協議が続くと語った。", "関係者",
     ("防衛省の", "関係者", "は協議が続くと語…")),
    ("zh", "分析人士认为，双方的会谈富有建设性。", "会谈",
     ("…人士认为，双方的", "会谈", "富有建设性。")),
])
def test_kwic_lines_in_every_language(language: str, text: str, term: str,
                                      line: tuple[str, str, str]) -> None:
    # Eight characters either side, whitespace collapsed: the context before ends right
    # where the term starts, whatever the script.
    assert kwic(text, term, width=8, language=language) == [line]


def test_kwic_limit_and_no_match() -> None:
    text = "drill, drills, drilled. " * 5
    assert len(kwic(text, "drill", limit=3)) == 3
    assert kwic(text, "exercise") == []
    assert kwic(text, "") == []


def _kwic_warehouse() -> duckdb.DuckDBPyConnection:
    """The columns keyword_in_context reads, and four articles naming Japan."""
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE articles (article_id INTEGER, story_id INTEGER, published DATE,
            source_id VARCHAR, title VARCHAR, url VARCHAR, text VARCHAR, language VARCHAR,
            duplicate_of INTEGER);
        CREATE TABLE mentions (article_id INTEGER, entity_id VARCHAR);
        CREATE TABLE keywords (article_id INTEGER, term VARCHAR, count INTEGER,
            score DOUBLE);""")
    articles = [
        (1, 1, date(2026, 7, 6), "r", "a", "u1", "Участники конференции заявили.", "ru"),
        (2, 2, date(2026, 7, 7), "k", "b", "u2", "관계자들은 회담을 마쳤다.", "ko"),
        (3, 3, date(2026, 7, 8), "j", "c", "u3", "関係者は協議を続けた。", "ja"),
        (4, 3, date(2026, 7, 9), "j", "d", "u4", "関係者によると協議は続く。", "ja"),
        (5, 5, date(2026, 7, 9), "z", "e", "u5", "双方的会谈富有建设性。", "zh"),
    ]
    for row in articles:
        con.execute("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)", row)
        con.execute("INSERT INTO mentions VALUES (?, 'japan')", [row[0]])
    for article_id, term in [(1, "конференция"), (2, "관계자"), (3, "関係者"), (4, "関係者"),
                             (5, "会谈")]:
        con.execute("INSERT INTO keywords VALUES (?, ?, 1, 0.1)", [article_id, term])
    return con


@pytest.mark.parametrize(("term", "unit", "expected"), [
    ("конференция", "story", [(1, "Участники ", "конференции", " заявили.")]),
    ("관계자", "story", [(2, "", "관계자", "들은 회담을 마쳤다.")]),
    # One article per story (its first) unless unit='article'.
    ("関係者", "story", [(3, "", "関係者", "は協議を続けた。")]),
    ("関係者", "article", [(4, "", "関係者", "によると協議は続く。"),
                          (3, "", "関係者", "は協議を続けた。")]),
    ("会谈", "story", [(5, "双方的", "会谈", "富有建设性。")]),
    ("協議", "story", []),  # not among these articles' keywords
])
def test_warehouse_keyword_in_context(term: str, unit: str,
                                      expected: list[tuple[int, str, str, str]]) -> None:
    from warehouse.analysis import keyword_in_context

    con = _kwic_warehouse()
    lines = keyword_in_context(con, "japan", term, date(2026, 7, 1), date(2026, 7, 31),
                               unit=unit)
    assert list(lines.columns) == ["article_id", "story_id", "published", "source_id", "title",
                                   "url", "left_context", "keyword", "right_context"]
    assert [(int(r.article_id), r.left_context, r.keyword, r.right_context)
            for r in lines.itertuples()] == expected
    short = keyword_in_context(con, "japan", term, date(2026, 7, 1), date(2026, 7, 31),
                               unit="article", limit=1, width=3)
    assert len(short) == min(1, len(expected))


# --- the demo warehouse -----------------------------------------------------------------------

# One base form per language the demo generator writes (blocwatch/demo/corpus.py and
# locales.py), each reached only through analysis: English "officials", Russian
# "переговоры"/"переговоров", Korean "관계자들은" (particles attached), Japanese
# "協議を"/"協議は", Chinese "官员表示" (no space before the next word).
DEMO_TERMS = {"en": "official", "ru": "переговоры", "ko": "관계자", "ja": "協議", "zh": "官员"}
# Surface forms that must not be keywords: inflected, or with a particle attached.
DEMO_NOT_TERMS = {"officials", "переговоров", "заявления", "관계자들은", "관계자들"}


def test_every_demo_language_gets_keywords(built_warehouse: BuiltWarehouse) -> None:
    from warehouse.db import connect_reader

    con = connect_reader(built_warehouse.published)
    try:
        rows = con.execute("""
            SELECT a.language, count(k.term) AS keyword_rows,
                   list(DISTINCT k.term) AS terms
            FROM articles a LEFT JOIN keywords k USING (article_id)
            GROUP BY a.language""").fetchall()
    finally:
        con.close()
    by_language = {lang: (n, set(found)) for lang, n, found in rows}
    assert set(by_language) == set(DEMO_TERMS)
    for lang, (n, found) in by_language.items():
        assert n > 0, lang
        assert DEMO_TERMS[lang] in found, (lang, sorted(found)[:50])
        assert not found & DEMO_NOT_TERMS, (lang, found & DEMO_NOT_TERMS)
