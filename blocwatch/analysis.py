"""Per-language text analysis: the words of a text, their base forms, where they are, and
which of them are stopwords. The one place where text becomes words: keywords
(blocwatch.stages.keywords), keyword in context (dashboard/text.py, warehouse/analysis.py) and a
full-text index all go through here, so what a keyword counts is what its context lines
find.

=========  ==========================================================================
language   analyzer
=========  ==========================================================================
ja         SudachiPy with sudachidict-core, split mode C (longest units: 防衛費,
           関係者); base = dictionary form (語っ -> 語る). Nouns are content words;
           particles, auxiliaries, verbs, adjectives, pronouns, numbers, adverbial
           time nouns (今年, 最近) are tokens marked as stopwords.
zh         jieba-rs (rjieba: jieba's dictionary and segmentation, with offsets); base =
           the word (NFKC, lowercased). Function words are stopwords from
           stopwords-iso plus blocwatch/data/stopwords_zh.txt.
ko         MeCab-ko (python-mecab-ko with mecab-ko-dic); nouns come without their
           particles (관계자들은 -> 관계자), a noun and its derivational suffix stay
           one word (건설적), verbs and adjectives get their dictionary form (밝혔다 ->
           밝히다) and, like pronouns, dependent nouns and adverbs, are stopwords.
           Particles and endings are no tokens. (MeCab reads its dictionary from a
           memory map: about 50 MB per process, where kiwipiepy took 300 MB.)
ru         the word pattern below, then pymorphy3's normal form (конференции ->
           конференция), ё folded to е; prepositions, conjunctions, particles,
           pronouns and numerals are stopwords by part of speech.
others     the word pattern below, lowercased, possessive 's removed, then simplemma's
           lemma for the language (ministers -> minister), or the word itself for a
           language simplemma does not know. None or an unknown code: English.
=========  ==========================================================================

A token's ``base`` is lowercased where the script has case; ``start``/``end`` are offsets
into the text exactly as given (``text[start:end]`` is the surface form), whatever
normalisation the analyzer does internally. A word is a stopword when its surface form
(lowercased) or its base form is in the language's list: blocwatch/data/stopwords_<code>.txt
(en, ru, ko: curated, used alone, because stopwords-iso's lists for them name topics a
security monitor counts, such as война and россия) plus stopwords-iso's list (ja, zh and
every other language it has).

Analyzers load lazily, once per process and only for the languages a process meets, under
a lock (the dashboard calls from several threads); a forked child starts fresh.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any, NamedTuple

from blocwatch.text import SPACELESS_CLASS, mark_class

__all__ = ["Token", "WordForm", "analyze", "fast_words", "find_term", "fold", "join",
           "language_code", "separator", "stopwords", "word_forms"]

DEFAULT_LANGUAGE = "en"
# Languages with an analyzer of their own; every other language uses the word pattern.
SEGMENTED = frozenset({"ja", "zh", "ko"})
# Shipped lists that replace stopwords-iso's instead of adding to it (see the docstring).
_OWN_LIST_ONLY = frozenset({"en", "ru", "ko"})
# Sudachi refuses more than 49,149 bytes at once; lines longer than this are cut.
_SUDACHI_MAX_BYTES = 40_000
# Per-process memo of word -> WordForm for the word-pattern languages; cleared when it
# grows past this, so a long run's vocabulary cannot grow it without bound.
_MEMO_LIMIT = 200_000


class Token(NamedTuple):
    base: str    # lemma / dictionary form, lowercased where the script has case
    start: int   # offsets into the analysed text: text[start:end] is the surface form
    end: int
    stop: bool   # stopword or other non-content word (particle, pronoun, auxiliary...)


# --- the word pattern (every language without a segmenter) ---------------------------------

# A word starts with a letter and may contain digits ("f-35", "g20", "covid-19"), joined
# by internal hyphens or apostrophes; it cannot start in the middle of a number or word,
# so "5G" and "2024" are no words at all. Chinese, Japanese and Thai script are left out:
# without a segmenter a whole clause would be one "word".
def _word_pattern() -> str:
    word = rf"(?:[^\W_{SPACELESS_CLASS}]|[{mark_class()}])"
    letter = rf"[^\W\d_{SPACELESS_CLASS}]"
    return rf"(?<![^\W_{SPACELESS_CLASS}]){letter}{word}*(?:['’‘‐‑-]{word}+)*"


@functools.cache
def _word_re() -> re.Pattern[str]:
    return re.compile(_word_pattern())


# The same for lowercased ASCII text, where every class above reduces to [a-z0-9]; about
# three times faster, and most English copy is ASCII once quotes and dashes are mapped.
_ASCII_WORD_RE = re.compile(r"(?<![a-z0-9])[a-z][a-z0-9]*(?:['-][a-z0-9]+)*")
# A word and, if the next word follows after spaces only (no line break, no punctuation:
# the rule of separator()), those spaces: findall then yields words and phrase joints
# without a Python-level look at each word's position.
_ASCII_WORD_GAP_RE = re.compile(rf"({_ASCII_WORD_RE.pattern})((?:[^\S\n]+(?=[a-z]))?)")

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-"})
# Typographic punctuation that is never part of a word, mapped one character to one
# character to ASCII that plays the same role, so that more texts take the ASCII path
# and offsets stay valid. Dashes become commas: a phrase should not run across "—".
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-", "“": '"', "”": '"',
                             "„": '"', "«": '"', "»": '"', "—": ",", "–": ",", "…": ".",
                             "\u00a0": " ", "\u2009": " ", "\u202f": " "})


def language_code(language: str | None) -> str:
    """ISO 639-1 code of ``language`` ("EN-gb" -> "en", "zh_TW" -> "zh"); English for None
    and for codes no analyzer or stopword list knows."""
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in _known_codes() else DEFAULT_LANGUAGE


@functools.cache
def _known_codes() -> frozenset[str]:
    import stopwordsiso

    return SEGMENTED | {"en", "ru"} | _simplemma_codes() | frozenset(stopwordsiso.langs())


@functools.cache
def _simplemma_codes() -> frozenset[str]:
    try:
        from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES
    except ImportError:  # an internal module: without it, English only
        return frozenset({"en"})
    return frozenset(SUPPORTED_LANGUAGES)


def fold(word: str, code: str) -> str:
    """A surface form as stopword lists and exclusions compare it: lowercased, apostrophes
    straightened, composed (NFC), possessive 's removed ("China's" and "China" are one
    term: a possessive is grammar, not topic), ё written е in Russian."""
    word = word.lower().translate(_APOSTROPHES)
    if not word.isascii():
        # One spelling for "café" typed with é or with e + combining accent.
        word = unicodedata.normalize("NFC", word)
    if word.endswith("'s"):
        word = word[:-2]
    if code == "ru":
        word = word.replace("ё", "е")
    return word


def _pattern_words(text: str) -> Iterator[tuple[str, int, int]]:
    """(lowercased word, start, end) of the word pattern; the ASCII pattern when
    lowercasing keeps every offset (it does unless a character like İ grows)."""
    lowered = text.lower().translate(_TYPOGRAPHY)
    if lowered.isascii() and len(lowered) == len(text):
        for m in _ASCII_WORD_RE.finditer(lowered):
            yield m.group(0), m.start(), m.end()
        return
    for m in _word_re().finditer(text):
        yield m.group(0).lower(), m.start(), m.end()


def fast_words(text: str, language: str | None
               ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The words of ``text`` without offsets, for counting: (words, gaps) where words are
    lowercased as word_forms() takes them and ``gaps[i]`` is the run of spaces between
    word i and i + 1 when only spaces separate them (see separator()), else "".

    Only for a word-pattern language and text that is ASCII once lowercased and its
    typography mapped (most English copy); None otherwise: use analyze(). Lowercasing the
    whole text once, and no Python-level step per word, is what makes this fast.
    """
    if language_code(language) in SEGMENTED:
        return None
    lowered = text.lower().translate(_TYPOGRAPHY)
    if not lowered.isascii():
        return None
    pairs = _ASCII_WORD_GAP_RE.findall(lowered)
    if not pairs:
        return (), ()
    words, gaps = zip(*pairs, strict=True)
    return words, gaps


# --- base forms of the word-pattern languages -------------------------------------------------

# simplemma's English table maps a few words a news monitor needs as they are to
# something else ("media" -> "medium", "arms" -> "arm", British to American spelling) or
# wrongly ("gone" -> "gan").
_LEMMA_EXCEPTIONS: dict[str, dict[str, str]] = {
    "en": {"media": "media", "arms": "arms", "gone": "go", "data": "data", "news": "news",
           "us": "us", "its": "its", "as": "as", "defence": "defence", "offence": "offence",
           "programme": "programme", "programmes": "programme"},
}
# English words in -ing stay as written: in news copy they are mostly the nouns
# ("spending", "funding", "meeting", "bombing") that simplemma would turn into verbs.
_KEEP_SUFFIX = {"en": "ing"}
# pymorphy3 parts of speech (and one grammeme) of words that carry no topic.
_RU_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ", "NPRO", "NUMR", "PRED"})
_RU_FUNCTION_GRAMMEMES = ("Apro", "Anum")  # этот, который, свой; первый, второй


class WordForm(NamedTuple):
    folded: str  # the surface form as stopword lists and exclusions compare it (fold())
    base: str
    stop: bool


class _Memo:
    """Lowercased word -> WordForm for one word-pattern language, computed once per
    process (news vocabulary repeats: most words of an article were seen before)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.stop = stopwords(code)
        self.lemma = _lemmatizer(code)
        self.forms: dict[str, WordForm] = {}

    def __call__(self, word: str) -> WordForm:
        found = self.forms.get(word)
        if found is None:
            if len(self.forms) >= _MEMO_LIMIT:
                self.forms.clear()
            folded = fold(word, self.code)
            base, function_word = self.lemma(folded)
            found = WordForm(folded, base, function_word or folded in self.stop
                             or base in self.stop)
            self.forms[word] = found
        return found


@functools.cache
def _memo(code: str) -> _Memo:
    return _Memo(code)


def _lemmatizer(code: str) -> Callable[[str], tuple[str, bool]]:
    """word (folded) -> (base form, is a function word by its part of speech)."""
    if code == "ru":
        morph = _loaded("pymorphy3", _load_pymorphy)

        def russian(word: str) -> tuple[str, bool]:
            parse = morph.parse(word)[0]
            tag = parse.tag
            function = tag.POS in _RU_FUNCTION_POS or any(g in tag for g in
                                                            _RU_FUNCTION_GRAMMEMES)
            return parse.normal_form.replace("ё", "е"), function

        return russian
    exceptions = _LEMMA_EXCEPTIONS.get(code, {})
    keep = _KEEP_SUFFIX.get(code)
    if code not in _simplemma_codes():
        return lambda word: (exceptions.get(word, word), False)
    import simplemma

    def lemmatize(word: str) -> tuple[str, bool]:
        if word in exceptions:
            return exceptions[word], False
        if keep and word.endswith(keep):
            return word, False
        try:
            base = simplemma.lemmatize(word, lang=code).lower()
        except Exception:  # one odd word must not cost the article its keywords
            return word, False
        # The table has entries like "etc" -> "etc.": a base form must still be one word.
        return (base if _word_re().fullmatch(base) else word), False

    return lemmatize


def word_forms(language: str | None) -> Callable[[str], WordForm]:
    """The lookup of a word-pattern language from a lowercased word as fast_words() gives
    it to its folded surface form, base form and stopword flag (memoised per process)."""
    return _memo(language_code(language))


# --- analyzers with a segmenter ---------------------------------------------------------------

_LOCK = threading.RLock()
_KO_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}
_THREAD = threading.local()


def _loaded(name: str, load: Callable[[], Any]) -> Any:
    """The process's one instance of an analyzer, loaded on first use."""
    found = _LOADED.get(name)
    if found is None:
        with _LOCK:
            found = _LOADED.get(name)
            if found is None:
                found = _LOADED[name] = load()
    return found


def _reset_after_fork() -> None:
    # A forked child must not use a parent's analyzer whose lock another thread held.
    global _LOCK, _KO_LOCK, _THREAD
    _LOCK = threading.RLock()
    _KO_LOCK = threading.Lock()
    _THREAD = threading.local()
    _LOADED.clear()
    _memo.cache_clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _load_pymorphy() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _load_sudachi() -> Any:
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _sudachi_tokenizer() -> Any:
    # One Sudachi dictionary per process, one tokenizer per thread: a tokenizer refuses
    # concurrent calls.
    tokenizer = getattr(_THREAD, "sudachi", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        tokenizer = _loaded("sudachi", _load_sudachi).tokenizer(mode=SplitMode.C)
        _THREAD.sudachi = tokenizer
    return tokenizer


def _load_jieba() -> Any:
    # jieba-rs (rjieba): jieba's dictionary and segmentation in Rust, at 33 MB per process
    # where the Python jieba's prefix dictionary took 76 MB; stateless, thread-safe.
    import rjieba

    return rjieba


def _load_mecab_ko() -> Any:
    import mecab

    return mecab.MeCab()


def _lines(text: str, max_chars: int = 0) -> Iterator[tuple[int, str]]:
    """(offset, line) for each line of ``text`` that has a non-space character, a line
    cut into pieces of at most ``max_chars`` characters when given."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if not line.isspace():
            if max_chars and len(line) > max_chars:
                for k in range(0, len(line), max_chars):
                    yield pos + k, line[k:k + max_chars]
            else:
                yield pos, line
        pos += len(line)


# Full-width ASCII (ＮＡＴＯ, Ｇ７) as ASCII, one character for one so offsets hold: jieba
# would cut a full-width word into letters.
_FULL_WIDTH = str.maketrans({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20})


def _has_letter(surface: str) -> bool:
    return any(ch.isalpha() for ch in surface)


# Sudachi parts of speech (first two levels) of content words.
_JA_CONTENT = frozenset({("名詞", "普通名詞"), ("名詞", "固有名詞"), ("形状詞", "一般"),
                         ("形状詞", "タリ")})


def _analyze_ja(text: str) -> list[Token]:
    tokenizer = _sudachi_tokenizer()
    stop = stopwords("ja")
    tokens: list[Token] = []
    # Four bytes per character at most keeps each piece under Sudachi's limit.
    for offset, line in _lines(text, _SUDACHI_MAX_BYTES // 4):
        for m in tokenizer.tokenize(line):
            surface = m.surface()
            if not _has_letter(surface):
                continue  # punctuation, symbols, digits
            pos = m.part_of_speech()
            base = m.dictionary_form().lower()
            # Adverbial nouns are time and quantity words (今年, 最近, 一部), not topics.
            function = pos[:2] not in _JA_CONTENT or pos[2] == "副詞可能"
            tokens.append(Token(base, offset + m.begin(), offset + m.end(),
                                function or base in stop or surface.lower() in stop))
    return tokens


def _analyze_zh(text: str) -> list[Token]:
    tokenizer = _loaded("jieba", _load_jieba)
    stop = stopwords("zh")
    tokens: list[Token] = []
    for offset, line in _lines(text):
        for word, start, end in tokenizer.tokenize(line.translate(_FULL_WIDTH)):
            if not _has_letter(word):
                continue
            base = unicodedata.normalize("NFKC", word).lower()
            tokens.append(Token(base, offset + start, offset + end, base in stop))
    return tokens


# MeCab-ko (Sejong) tags of nouns and of verbs/adjectives; a fused morpheme's tag is
# read by its first part ("VV+EP" is a verb).
_KO_NOUNS = frozenset({"NNG", "NNP", "XR", "SL", "SH"})
_KO_PREDICATES = frozenset({"VV", "VA"})
# Tags of words that are tokens but no content: dependent nouns (것, 수), pronouns,
# numerals, determiners, adverbs, interjections, auxiliary verbs, copulas.
_KO_FUNCTION = frozenset({"NNB", "NNBC", "NP", "NR", "MM", "MAG", "MAJ", "IC", "VX", "VCP",
                          "VCN"})


def _ko_lemma(surface: str, expression: str | None) -> str:
    """A verb's or adjective's dictionary form: its stem (from MeCab's analysis of an
    inflected form, 밝히/VV/*+었/EP/*) and 다."""
    stem = expression.split("/", 1)[0] if expression else surface
    return stem + "다"


def _analyze_ko(text: str) -> list[Token]:
    tagger = _loaded("mecab_ko", _load_mecab_ko)
    stop = stopwords("ko")
    tokens: list[Token] = []
    for offset, line in _lines(text):
        with _KO_LOCK:  # one MeCab per process: it is not thread-safe
            morphs = tagger.parse(line.translate(_FULL_WIDTH))
        for m in morphs:
            tag = m.pos.split("+")[0]
            start, end = offset + m.span.start, offset + m.span.end
            if (tag == "XSN" and m.surface != "들" and tokens and tokens[-1].end == start
                    and not tokens[-1].stop):
                # A derivational suffix makes a new noun (건설적, 현실화); the plural
                # 들 does not (관계자들 is 관계자).
                base = tokens[-1].base + m.surface
                tokens[-1] = Token(base, tokens[-1].start, end, base in stop)
            elif tag in _KO_NOUNS:
                base = unicodedata.normalize("NFKC", m.surface).lower()
                tokens.append(Token(base, start, end, base in stop))
            elif tag in _KO_PREDICATES or tag in _KO_FUNCTION:
                # Verbs and adjectives (and auxiliaries, copulas) in dictionary form.
                base = (_ko_lemma(m.surface, m.feature.expression) if tag.startswith("V")
                        else m.surface)
                tokens.append(Token(base, start, end, True))
    return tokens


def analyze(text: str, language: str | None) -> list[Token]:
    """The words of ``text`` in order: base form, offsets into ``text``, stopword flag.

    Punctuation, symbols and numbers are no words. See the module docstring for what
    each language's analyzer does.
    """
    code = language_code(language)
    if code == "ja":
        return _analyze_ja(text)
    if code == "zh":
        return _analyze_zh(text)
    if code == "ko":
        return _analyze_ko(text)
    memo = _memo(code)
    tokens = []
    for word, start, end in _pattern_words(text):
        form = memo(word)
        tokens.append(Token(form.base, start, end, form.stop))
    return tokens


# --- phrases and occurrences -------------------------------------------------------------------

def separator(text: str, left: Token, right: Token) -> str | None:
    """How two successive tokens form a two-word phrase: " " when only spaces (no line
    break) separate them, "" when they touch (a compound the segmenter split: 防衛+産業,
    방위+산업), None when anything else comes between (punctuation, a particle, a line
    break: the entity masks of blocwatch.stages.page are line breaks)."""
    gap = text[left.end:right.start]
    if not gap:
        return ""
    if gap.isspace() and "\n" not in gap:
        return " "
    return None


def join(left: str, sep: str, right: str) -> str:
    """A phrase's term: the base forms joined as they were written (with a space or
    without)."""
    return f"{left}{sep}{right}"


def find_term(text: str, term: str, language: str | None) -> list[tuple[int, int]]:
    """Offsets (start, end) of the occurrences of ``term`` in ``text``: the words whose
    base form is the term, or the two-word phrases whose term it is (see separator()).

    ``term`` is a keyword as blocwatch.stages.keywords makes it (base forms); an inflected or
    capitalised word is also accepted and compared by its own base form.
    """
    keys = _term_keys(term, language)
    if not keys:
        return []
    tokens = analyze(text, language)
    spans: list[tuple[int, int]] = []
    for i, tok in enumerate(tokens):
        if tok.base in keys:
            spans.append((tok.start, tok.end))
        elif i + 1 < len(tokens) and any(k.startswith(tok.base) for k in keys):
            nxt = tokens[i + 1]
            sep = separator(text, tok, nxt)
            if sep is not None and join(tok.base, sep, nxt.base) in keys:
                spans.append((tok.start, nxt.end))
    return spans


def _term_keys(term: str, language: str | None) -> frozenset[str]:
    key = term.strip().lower()
    if not key:
        return frozenset()
    tokens = analyze(term.strip(), language)
    keys = {key}
    if len(tokens) == 1:
        keys.add(tokens[0].base)
    elif len(tokens) == 2:
        sep = separator(term.strip(), tokens[0], tokens[1])
        if sep is not None:
            keys.add(join(tokens[0].base, sep, tokens[1].base))
    return frozenset(keys)


# --- stopwords ---------------------------------------------------------------------------------

def stopwords(language: str | None) -> frozenset[str]:
    """The stopwords of ``language`` (folded surface and base forms; see the module
    docstring for where they come from)."""
    return _load_stopwords(language_code(language))


@functools.cache
def _load_stopwords(code: str) -> frozenset[str]:
    words: set[str] = set()
    path = resources.files("blocwatch").joinpath("data", f"stopwords_{code}.txt")
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.split("#", 1)[0].strip()
            if word:
                words.add(word)
    if code not in _OWN_LIST_ONLY:
        import stopwordsiso

        if stopwordsiso.has_lang(code):
            words.update(stopwordsiso.stopwords(code))
    if not words:
        return _load_stopwords(DEFAULT_LANGUAGE)
    return frozenset(fold(w, code) if code not in SEGMENTED else
                     unicodedata.normalize("NFKC", w).lower() for w in words)
