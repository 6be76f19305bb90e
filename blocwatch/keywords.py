"""Per-article keywords: the most frequent content words and repeated two-word phrases.

Scores are plain term frequencies (count / number of word tokens in the article); how
distinctive a term is across the corpus is computed later, in SQL, over all articles.
"""

from __future__ import annotations

import functools
import heapq
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from blocwatch.text import SPACELESS_CLASS, mark_class

__all__ = ["Keyword", "extract_keywords", "stopwords", "tokenize"]

MIN_TOKEN_LENGTH = 3
MIN_BIGRAM_COUNT = 2
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Keyword:
    term: str
    count: int
    score: float


# A word starts with a letter and may contain digits ("f-35", "g20", "covid-19"), joined
# by internal hyphens or apostrophes; it cannot start in the middle of a number or word,
# so "5G" and "2024" are no tokens at all. Chinese, Japanese and Thai script are left
# out: without a segmenter a whole clause would be one "word".
def _token_pattern() -> str:
    word = rf"(?:[^\W_{SPACELESS_CLASS}]|[{mark_class()}])"
    letter = rf"[^\W\d_{SPACELESS_CLASS}]"
    return rf"(?<![^\W_{SPACELESS_CLASS}]){letter}{word}*(?:['’‘‐‑-]{word}+)*"


@functools.cache
def _token_re() -> re.Pattern[str]:
    return re.compile(_token_pattern())


@functools.cache
def _token_gap_re() -> re.Pattern[str]:
    # A token and, if the next token follows after spaces only (no line break, no
    # punctuation), those spaces: findall then yields everything extract_keywords needs
    # without a Python-level look at each token's position.
    letter = rf"[^\W\d_{SPACELESS_CLASS}]"
    return re.compile(rf"({_token_pattern()})((?:[^\S\n]+(?={letter}))?)")


# The same for lowercased ASCII text, where every class above reduces to [a-z0-9]; about
# three times faster, and most English copy is ASCII once quotes and dashes are mapped.
_ASCII_TOKEN_GAP_RE = re.compile(
    r"((?<![a-z0-9])[a-z][a-z0-9]*(?:['-][a-z0-9]+)*)((?:[^\S\n]+(?=[a-z]))?)")


def _token_gaps(lowered: str) -> list[tuple[str, str]]:
    """(token, spaces to an adjacent next token or "") for already lowercased text."""
    if lowered.isascii():
        return _ASCII_TOKEN_GAP_RE.findall(lowered)
    return _token_gap_re().findall(lowered)


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-"})
# Typographic punctuation that is never part of a word, mapped to ASCII that plays the
# same role, so that more texts take the ASCII fast path. Dashes become commas: a phrase
# should not run across "—".
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-", "“": '"', "”": '"',
                             "„": '"', "«": '"', "»": '"', "—": ",", "–": ",", "…": ".",
                             "\u00a0": " ", "\u2009": " ", "\u202f": " "})


def stopwords(language: str | None = DEFAULT_LANGUAGE) -> frozenset[str]:
    """The shipped stopword list for ``language`` (ISO 639-1, region suffix ignored);
    English for None or a language without a list of its own."""
    code = (language or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    return _load_stopwords(code)


@functools.cache
def _load_stopwords(code: str) -> frozenset[str]:
    data = resources.files("blocwatch").joinpath("data")
    path = data.joinpath(f"stopwords_{code}.txt")
    if not code.isalpha() or not path.is_file():
        path = data.joinpath(f"stopwords_{DEFAULT_LANGUAGE}.txt")
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(_normalize(word))
    return frozenset(words)


def _normalize(word: str) -> str:
    word = word.lower().translate(_APOSTROPHES)
    # "China's" and "China" are one term; a possessive is grammar, not topic.
    if word.endswith("'s"):
        word = word[:-2]
    return word


# Workers pass the taxonomy's aliases (thousands of them) as one frozenset for every page;
# normalising them once, not once per page, keeps keywording flat in the taxonomy's size.
@functools.lru_cache(maxsize=8)
def _normalized_terms(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(_normalize(term.strip()) for term in terms)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Word tokens of ``text`` as (normalised word, start, end): lowercased, curly
    apostrophes straightened, possessive 's removed."""
    return [(_normalize(m.group(0)), m.start(), m.end()) for m in _token_re().finditer(text)]


def extract_keywords(text: str, language: str | None = DEFAULT_LANGUAGE, top_k: int = 15,
                     exclude: Iterable[str] = ()) -> list[Keyword]:
    """The ``top_k`` keywords of ``text``, best first.

    Candidates are words of at least three characters that are not stopwords, plus
    two-word phrases of such words standing next to each other (separated by spaces
    only, not by punctuation or a line break) that occur at least twice. A term is
    dropped if it is in ``exclude``, and a phrase also if either of its words is, so
    entity names passed there do not come back as parts of phrases. Score is the term's
    count divided by the number of word tokens in the text (stopwords included); ties
    are broken alphabetically, so the result is deterministic.
    """
    if top_k <= 0:
        return []
    # Lowercasing the whole text first (rather than each token) is what makes this fast;
    # offsets are not needed here, so a length change from lower() does no harm.
    pairs = _token_gaps(text.lower().translate(_TYPOGRAPHY))
    total = len(pairs)
    if not total:
        return []
    stop = stopwords(language)
    excluded = (_normalized_terms(exclude) if isinstance(exclude, frozenset)
                else _normalized_terms(frozenset(exclude)))
    words = [w[:-2] if w.endswith("'s") else w for w, _ in pairs]
    kept = [len(w) >= MIN_TOKEN_LENGTH and w not in stop for w in words]
    unigrams = Counter(w for w, k in zip(words, kept, strict=True) if k and w not in excluded)
    bigrams = Counter(f"{words[i]} {words[i + 1]}" for i in range(total - 1)
                      if kept[i] and kept[i + 1] and pairs[i][1]
                      and words[i] not in excluded and words[i + 1] not in excluded)
    ranked = [(-n, term) for term, n in unigrams.items()]
    ranked.extend((-n, term) for term, n in bigrams.items()
                  if n >= MIN_BIGRAM_COUNT and term not in excluded)
    # Score is count / total, so ordering by count is ordering by score, without
    # floating-point ties.
    return [Keyword(term, -neg, -neg / total) for neg, term in heapq.nsmallest(top_k, ranked)]
