"""Per-article keywords: the most frequent content words and repeated two-word phrases.

Scores are plain term frequencies (count / number of word tokens in the article); how
distinctive a term is across the corpus is computed later, in SQL, over all articles.
"""

from __future__ import annotations

import functools
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
@functools.cache
def _token_re() -> re.Pattern[str]:
    word = rf"(?:[^\W_{SPACELESS_CLASS}]|[{mark_class()}])"
    letter = rf"[^\W\d_{SPACELESS_CLASS}]"
    return re.compile(rf"(?<![^\W_{SPACELESS_CLASS}]){letter}{word}*(?:['’‘‐‑-]{word}+)*")


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-"})


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
    tokens = tokenize(text)
    if not tokens:
        return []
    stop = stopwords(language)
    excluded = {_normalize(term.strip()) for term in exclude}
    unigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    previous: tuple[str, int] | None = None  # (kept word, end offset)
    for word, start, end in tokens:
        if len(word) < MIN_TOKEN_LENGTH or word in stop:
            previous = None
            continue
        if word not in excluded:
            unigrams[word] += 1
        if previous is not None:
            gap = text[previous[1]:start]
            if gap.isspace() and "\n" not in gap:
                bigrams[f"{previous[0]} {word}"] += 1
        previous = (word, end)
    total = len(tokens)
    scored = [Keyword(term, n, n / total) for term, n in unigrams.items()]
    for term, n in bigrams.items():
        if n < MIN_BIGRAM_COUNT or term in excluded:
            continue
        first, second = term.split(" ")
        if first in excluded or second in excluded:
            continue
        scored.append(Keyword(term, n, n / total))
    scored.sort(key=lambda k: (-k.count, k.term))
    return scored[:top_k]
