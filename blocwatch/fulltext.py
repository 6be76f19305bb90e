"""The full-text index's analysis: an article as the sequence of terms the index holds, and
a query word as the terms it looks for. Pure functions of text; the index
(warehouse/textindex.py) and the query evaluator (blocwatch/query.py) both use them, so what
a query finds in one document is what the index finds among all of them.

A document's terms, in order (a term's position is its place in the sequence; a phrase is
terms at consecutive positions):

- Chinese, Japanese and Korean script (Han, kana, Hangul) in any article: overlapping
  character bigrams of each run of such characters (北约成员国 -> 北约 约成 成员 员国; a
  run of one character is that character). No segmenter decides word boundaries, so 北约
  finds 北约成员国 and 일본 finds 일본의, whatever a segmenter would have made of the
  compound; a query word in these scripts is looked for as the phrase of its bigrams.
  The price: a bigram can straddle two words (华北约有 holds 北约).
- every other word: blocwatch.analysis's word pattern and base form in the article's
  language (Японии -> япония, ministers -> minister, "Japan's" -> japan), lowercased;
  hyphenated words also as their parts in order (Japan-NATO -> japan nato), a French or
  Italian elision dropped (l'OTAN -> otan). Articles in Japanese, Chinese or Korean take
  English base forms for their Latin words. Stopwords are terms too: "NATO of Asia" is a
  phrase.
- the headline comes first, then ``BREAK`` (a term no query can produce: no phrase runs
  from the headline into the body), then the body. The headline's terms alone are the
  ``title`` field.
- acronyms (words of two or more letters, all upper case, as written after NFKC:
  US, NATO, НАТО, ＮＡＴＯ -> NATO) are also kept in ``caps``, case and all, with the
  headline's ones a second time as ``^`` + acronym: a taxonomy alias such as ``US`` is
  case-sensitive, and in lowercased terms it would be the pronoun "us".

Text is NFKC-normalised first (full-width ＮＡＴＯ is NATO), so offsets are not kept: the
index needs positions, not offsets (highlighting re-finds the words in the stored text).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from blocwatch import analysis

__all__ = ["BREAK", "Doc", "acronyms", "analyse", "char_runs", "is_cjk", "terms",
           "word_terms"]

# The term between headline and body (see the module docstring).
BREAK = "\ue000"  # private use: no word, and no space to the index's tokenizer
_CJK = ("\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3130-\u318f"
        "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
        "\uff66-\uff9f\U00020000-\U0003134f")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Words of two or more characters starting with a letter, all letters upper case (NATO,
# US, G7, F35).
_ACRONYM = re.compile(r"(?<!\w)[^\W\d_][^\W_]+(?!\w)")
# Elisions in French and Italian: l', d', j', qu', s', n', c', m', t', dell' ...
_ELISION = re.compile(r"^(?:[a-z]|qu|dell|all|dall|nell|sull)['’]", re.IGNORECASE)
_MEMO_LIMIT = 200_000
_WORD_MEMO: dict[str, dict[str, tuple[str, ...]]] = {}


def is_cjk(text: str) -> bool:
    """Whether ``text`` has a Han, kana or Hangul character."""
    return _CJK_CHAR.search(text) is not None


def char_runs(run: str) -> list[str]:
    """The bigrams of one run of Chinese, Japanese or Korean characters (the run itself
    when it is one character)."""
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def _word_code(language: str | None) -> str:
    code = analysis.language_code(language)
    return analysis.DEFAULT_LANGUAGE if code in analysis.SEGMENTED else code


def word_terms(word: str, language: str | None) -> tuple[str, ...]:
    """The terms of one word of the word pattern (lowercased, as analysis.fast_words
    gives it): its base form, or its parts' base forms when it is hyphenated."""
    # Keyed by the language as given: the code is worked out only for a word not seen yet.
    memo = _WORD_MEMO.get(language or "")
    if memo is None:
        memo = _WORD_MEMO[language or ""] = {}
    found = memo.get(word)
    if found is None:
        code = _word_code(language)
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        forms = analysis.word_forms(code)
        plain = _ELISION.sub("", word.replace("’", "'"))
        parts = [p for p in re.split(r"[-‐‑]", plain) if p] if "-" in plain or "‐" in plain \
            or "‑" in plain else [plain]
        found = tuple(forms(p).base if p[:1].isalpha() else p for p in parts if p)
        memo[word] = found
    return found


def terms(text: str, language: str | None) -> list[str]:
    """The index terms of ``text`` in order (see the module docstring)."""
    code = _word_code(language)
    fast = analysis.fast_words(text, code)
    if fast is not None:  # ASCII once lowercased: most English copy
        out: list[str] = []
        for word in fast[0]:
            out.extend(word_terms(word, code))
        return out
    text = unicodedata.normalize("NFKC", text)
    pieces: list[tuple[int, list[str]]] = []
    for tok in analysis.analyze(text, code):
        surface = text[tok.start:tok.end]
        if _CJK_CHAR.match(surface):
            continue  # Hangul: the word pattern takes it, the bigrams below have it
        pieces.append((tok.start, list(word_terms(surface.lower(), code))))
    runs = [(m.start(), char_runs(m.group(0))) for m in _CJK_RUN.finditer(text)]
    if runs:
        pieces.extend(runs)
        pieces.sort(key=lambda p: p[0])
    return [t for _, ts in pieces for t in ts]


def acronyms(text: str) -> set[str]:
    """The words of ``text`` written in capitals (NFKC: ＮＡＴＯ is NATO)."""
    if not text.isascii():
        # Chinese and Japanese write NATO between their own letters (日本とNATOが).
        text = _CJK_RUN.sub(" ", unicodedata.normalize("NFKC", text))
    return {w for w in _ACRONYM.findall(text) if w.isupper()}


@dataclass(frozen=True)
class Doc:
    """An article as the index holds it: ``text`` is the headline's terms, BREAK, the
    body's terms; ``title`` the headline's terms; ``caps`` the acronyms (the headline's
    also as "^" + acronym)."""

    text: tuple[str, ...]
    title: tuple[str, ...]
    caps: frozenset[str]


def analyse(title: str | None, text: str, language: str | None) -> Doc:
    """One article's index terms (see the module docstring)."""
    head = terms(title or "", language)
    body = terms(text, language)
    head_caps = acronyms(title or "")
    caps = acronyms(text) | head_caps | {"^" + c for c in head_caps}
    return Doc((*head, BREAK, *body), tuple(head), frozenset(caps))


def alternatives(word: str, languages: Iterable[str | None]) -> set[tuple[str, ...]]:
    """A query word's term sequences, one per language that analyses it differently (an
    empty set when no language finds a word in it: a number, punctuation)."""
    out = set()
    for language in languages:
        found = tuple(terms(word, language))
        if found:
            out.add(found)
    return out
