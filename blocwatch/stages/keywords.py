"""Per-article keywords: the most frequent content words and repeated two-word phrases, as
base forms, in every language blocwatch.analysis knows.

A keyword is a word's base form (ministers -> minister, конференции -> конференция,
관계자들은 -> 관계자; Japanese and Chinese words as their segmenter cuts them: 同盟国,
安全保障) or a two-word phrase: two content words with only spaces between them
("missile defence", "해양 안보") or, in Japanese, Chinese and Korean, written directly
together ("安全"+"保障" -> "安全保障", "방위"+"산업" -> "방위산업"), stored as written.

Scores are plain term frequencies (count / number of word tokens in the article); how
distinctive a term is across the corpus is computed later, in SQL, over all articles.
"""

from __future__ import annotations

import functools
import heapq
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any

from blocwatch import analysis
from blocwatch.text import is_unspaced_script

__all__ = ["Keyword", "extract_keywords"]

# Letters a word needs to be a keyword: three in alphabetic scripts ("war", not "un"),
# two in Chinese, Japanese and Korean, where one character is a syllable or a whole word
# and the one-character ones are mostly abbreviations (日, 米, 북) and counters.
MIN_TOKEN_LENGTH = 3
MIN_WIDE_TOKEN_LENGTH = 2
MIN_BIGRAM_COUNT = 2
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Keyword:
    term: str
    count: int
    score: float


def _long_enough(base: str) -> bool:
    n = len(base)
    # The length test first: the script lookup is the slow part, and rarely needed.
    return n >= MIN_TOKEN_LENGTH or (n >= MIN_WIDE_TOKEN_LENGTH
                                     and is_unspaced_script(base[0]))


# Workers pass the taxonomy's aliases (thousands of them) as one frozenset for every page;
# folding them once per language, not once per page, keeps keywording flat in the
# taxonomy's size.
@functools.lru_cache(maxsize=16)
def _excluded(terms: frozenset[str], code: str) -> frozenset[str]:
    return frozenset(analysis.fold(term.strip(), code) for term in terms)


# What counting needs of a word: its base form, its folded surface form (for exclusions)
# and whether it may be a keyword at all.
_Info = tuple[str, str, bool]
# Per language and exclusion set: lowercased word -> _Info, for the English fast path,
# so that each distinct word is decided once per process, not once per article.
_FAST_LIMIT = 200_000


@functools.lru_cache(maxsize=16)
def _fast_infos(code: str, excluded: frozenset[str]) -> dict[str, _Info]:
    return {}


def _info(base: str, folded: str, stop: bool, excluded: frozenset[str]) -> _Info:
    return (base, folded, not stop and _long_enough(base) and folded not in excluded
            and base not in excluded)


def _fast(words: tuple[str, ...], gaps: tuple[str, ...], code: str,
          excluded: frozenset[str]) -> tuple[Sequence[Hashable], list[bool],
                                             Iterable[tuple[tuple[Hashable, Hashable], str]],
                                             dict[Any, _Info]]:
    infos = _fast_infos(code, excluded)
    missing = set(words).difference(infos)
    if missing:
        if len(infos) + len(missing) > _FAST_LIMIT:
            infos.clear()
            missing = set(words)
        forms = analysis.word_forms(code)
        for word in missing:
            form = forms(word)
            infos[word] = _info(form.base, form.folded, form.stop, excluded)
    kept = [infos[w][2] for w in words]
    # Pairs of kept words with only spaces between them, without a Python step per word.
    joinable = map(all, zip(gaps, kept, kept[1:], strict=False))
    pairs = zip(compress(zip(words, words[1:], strict=False), joinable), repeat(" "))
    return words, kept, pairs, infos


def _analyzed(text: str, language: str | None, code: str, excluded: frozenset[str]
              ) -> tuple[Sequence[Hashable], list[bool],
                         Iterable[tuple[tuple[Hashable, Hashable], str]], dict[Any, _Info]]:
    tokens = analysis.analyze(text, language)
    # A word is its (folded surface, base, stop): the same letters can be a content word
    # in one place and a particle in another.
    words = [(analysis.fold(text[t.start:t.end], code), t.base, t.stop) for t in tokens]
    infos = {w: _info(w[1], w[0], w[2], excluded) for w in set(words)}
    kept = [infos[w][2] for w in words]
    seps = [analysis.separator(text, a, b) for a, b in zip(tokens, tokens[1:], strict=False)]
    pairs = [((words[i], words[i + 1]), sep) for i, sep in enumerate(seps)
             if sep is not None and kept[i] and kept[i + 1]]
    return words, kept, pairs, infos


def extract_keywords(text: str, language: str | None = DEFAULT_LANGUAGE, top_k: int = 15,
                     exclude: Iterable[str] = ()) -> list[Keyword]:
    """The ``top_k`` keywords of ``text`` in ``language``, best first.

    Candidates are the base forms of words that are not stopwords and have at least
    three letters (two in Chinese, Japanese and Korean), plus two-word phrases of such
    words standing next to each other (see blocwatch.analysis.separator: spaces only, or
    nothing at all) that occur at least twice. A term is dropped if it is in ``exclude``
    (compared as written, lowercased, and as base forms), and a phrase also if either of
    its words is, so entity names passed there do not come back as parts of phrases.
    Score is the term's count divided by the number of word tokens in the text
    (stopwords included); ties are broken alphabetically, so the result is
    deterministic.
    """
    if top_k <= 0:
        return []
    code = analysis.language_code(language)
    excluded = _excluded(exclude if isinstance(exclude, frozenset) else frozenset(exclude),
                         code)
    fast = analysis.fast_words(text, language)
    # Most ingest is English ASCII: that path decides each distinct word once.
    words, kept, pairs, infos = (_fast(*fast, code, excluded) if fast is not None
                                 else _analyzed(text, language, code, excluded))
    total = len(words)
    if not total:
        return []
    # Plain dicts, not Counters, below: one Python call less per distinct word.
    counts: dict[str, int] = {}
    for word, n in Counter(compress(words, kept)).items():
        base = infos[word][0]
        counts[base] = counts.get(base, 0) + n
    single = set(counts)
    phrases: dict[str, int] = {}
    for ((a, b), sep), n in Counter(pairs).items():
        term = analysis.join(infos[a][0], sep, infos[b][0])
        if term not in excluded and analysis.join(infos[a][1], sep,
                                                  infos[b][1]) not in excluded:
            phrases[term] = phrases.get(term, 0) + n
    # In Japanese, Chinese and Korean a phrase (安全+保障) can be written exactly like a
    # word the segmenter kept whole (安全保障): one term, counted once per occurrence.
    for term, n in phrases.items():
        counts[term] = counts.get(term, 0) + n
    ranked = ((-n, term) for term, n in counts.items()
              if term in single or n >= MIN_BIGRAM_COUNT)
    # Score is count / total, so ordering by count is ordering by score, without
    # floating-point ties.
    return [Keyword(term, -neg, -neg / total) for neg, term in heapq.nsmallest(top_k, ranked)]
