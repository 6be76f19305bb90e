"""Entity tagging: find the taxonomy's aliases in article text and count mentions.

The rules (see taxonomy.yaml's header) are applied here and nowhere else in the
pipeline:

* ``case: exact`` aliases match only as written; ``case: ignore`` ones in any case
  (Unicode case folding, offsets still into the original text).
* A match must be a whole word: the characters just before and just after it must not
  be letters or digits (``str.isalnum``) or combining marks. Apostrophes, hyphens,
  underscores and all punctuation are boundaries, so "Japan's", "Japan-NATO" and
  "U.S.-led" count and "Japanese" does not.
  An alias that begins (ends) with a CJK, kana, Hangul or Thai/Lao/Khmer/Myanmar
  character needs no boundary on that side, because those scripts do not separate
  words with spaces (日本は, 일본의). ``match: prefix`` aliases need no right boundary.
* Overlapping candidates resolve leftmost-longest: scanning by start, the longest
  candidate at a position wins and anything overlapping a chosen match is dropped.

Matching runs on Aho-Corasick automata (pyahocorasick), one over the original text for
exact aliases and one over the case-folded text for ``ignore`` aliases, so the cost is
one pass over the text whatever the number of aliases.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import ahocorasick

from blocwatch.taxonomy import Taxonomy
from blocwatch.text import is_unspaced_script, is_word_char, split_sentences

__all__ = ["Match", "EntityCount", "TagResult", "Tagger"]


@dataclass(frozen=True)
class Match:
    entity_id: str
    start: int
    end: int
    text: str


@dataclass
class EntityCount:
    entity_id: str
    body_count: int
    title_count: int
    first_offset: int | None  # offset of the first body mention


@dataclass
class TagResult:
    mentions: dict[str, EntityCount]
    co_mentions: dict[tuple[str, str], int]


@functools.cache
def _multi_fold_re() -> re.Pattern[str]:
    """Characters whose case folding is not exactly one character ("ß" -> "ss",
    "İ" -> "i̇"). Built on first need (about 0.15 s): most texts fold position for
    position and never get here."""
    chars = (chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    return re.compile("[" + "".join(re.escape(ch) for ch in chars
                                    if len(ch.casefold()) != 1) + "]")

# Payload stored per automaton key: (entity_id, alias length in the searched text,
# needs a left boundary, needs a right boundary, priority). Lower priority wins a tie
# between candidates with the same span.
_Entry = tuple[str, int, bool, bool, int]


class _FoldMap:
    """Maps spans of ``text.casefold()`` back to ``text`` when folding changed lengths."""

    __slots__ = ("_folded_starts", "_orig_index", "_widths", "_shift_after")

    def __init__(self, text: str) -> None:
        self._folded_starts: list[int] = []  # folded offset where an expanded char begins
        self._orig_index: list[int] = []     # its offset in the original text
        self._widths: list[int] = []         # its folded length
        self._shift_after: list[int] = []    # total extra characters up to and including it
        shift = 0
        for m in _multi_fold_re().finditer(text):
            width = len(m.group(0).casefold())
            self._folded_starts.append(m.start() + shift)
            self._orig_index.append(m.start())
            self._widths.append(width)
            shift += width - 1
            self._shift_after.append(shift)

    def start(self, f: int) -> int | None:
        """Original offset of folded offset ``f``; None if ``f`` is inside an expansion."""
        i = bisect.bisect_right(self._folded_starts, f) - 1
        if i < 0:
            return f
        if f == self._folded_starts[i]:
            return self._orig_index[i]
        if f < self._folded_starts[i] + self._widths[i]:
            return None
        return f - self._shift_after[i]

    def end(self, f: int) -> int | None:
        """Original end offset for folded end ``f``; None if ``f`` cuts an expansion."""
        s = self.start(f - 1)
        return None if s is None else s + 1


class Tagger:
    """Finds taxonomy aliases in text. Build once per process and reuse: the automata are
    built in ``__init__``; pickling sends only the taxonomy and rebuilds them."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        exact: dict[str, list[_Entry]] = {}
        folded: dict[str, list[_Entry]] = {}
        for priority, alias in enumerate(taxonomy.aliases):
            text = alias.text
            key = text.casefold() if alias.case == "ignore" else text
            # Exact aliases outrank case-insensitive ones on an identical span: "US"
            # written in capitals is the more specific claim. Then taxonomy order.
            rank = priority + (len(taxonomy.aliases) if alias.case == "ignore" else 0)
            entry: _Entry = (alias.entity_id, len(key),
                             not is_unspaced_script(text[0]),
                             alias.match != "prefix" and not is_unspaced_script(text[-1]),
                             rank)
            target = folded if alias.case == "ignore" else exact
            entries = target.setdefault(key, [])
            if entry not in entries:
                entries.append(entry)
        self._exact = self._automaton(exact)
        self._folded = self._automaton(folded)

    @staticmethod
    def _automaton(words: dict[str, list[_Entry]]) -> ahocorasick.Automaton | None:
        if not words:
            return None
        automaton = ahocorasick.Automaton()
        for key, entries in words.items():
            automaton.add_word(key, tuple(sorted(entries, key=lambda e: e[4])))
        automaton.make_automaton()
        return automaton

    def __reduce__(self) -> tuple[type[Tagger], tuple[Taxonomy]]:
        # Rebuilding takes milliseconds and avoids depending on the automaton's own
        # pickle format across pyahocorasick versions.
        return (Tagger, (self.taxonomy,))

    def _candidates(self, text: str) -> Iterator[tuple[int, int, int, str]]:
        """(start, -length, priority, entity_id) of every alias occurrence that passes
        the boundary rules; overlapping ones included."""
        n = len(text)
        if self._exact is not None:
            for end_index, entries in self._exact.iter(text):
                end = end_index + 1
                for entity_id, length, need_left, need_right, rank in entries:
                    start = end - length
                    if need_left and start > 0 and is_word_char(text[start - 1]):
                        continue
                    if need_right and end < n and is_word_char(text[end]):
                        continue
                    yield start, -length, rank, entity_id
        if self._folded is None:
            return
        folded = text.casefold()
        fold_map = None if len(folded) == n else _FoldMap(text)
        for end_index, entries in self._folded.iter(folded):
            fend = end_index + 1
            for entity_id, length, need_left, need_right, rank in entries:
                if fold_map is None:
                    start, end = fend - length, fend
                else:
                    s, e = fold_map.start(fend - length), fold_map.end(fend)
                    if s is None or e is None:
                        continue  # the alias matched part of one character's folding
                    start, end = s, e
                if need_left and start > 0 and is_word_char(text[start - 1]):
                    continue
                if need_right and end < n and is_word_char(text[end]):
                    continue
                yield start, -(end - start), rank, entity_id

    def find(self, text: str) -> list[Match]:
        """All mentions in ``text``, leftmost-longest and non-overlapping, by start."""
        if not text:
            return []
        candidates = sorted(self._candidates(text))
        found: list[Match] = []
        taken_until = 0
        for start, neg_length, _rank, entity_id in candidates:
            if start < taken_until:
                continue
            end = start - neg_length
            found.append(Match(entity_id, start, end, text[start:end]))
            taken_until = end
        return found

    def tag(self, title: str, body: str) -> TagResult:
        """Per-entity mention counts for an article, and per-pair counts of body
        sentences naming both entities (every pair of entities named in the body is
        present, with 0 if they never share a sentence)."""
        mentions: dict[str, EntityCount] = {}
        for m in self.find(title):
            count = mentions.get(m.entity_id)
            if count is None:
                mentions[m.entity_id] = EntityCount(m.entity_id, 0, 1, None)
            else:
                count.title_count += 1
        body_matches = self.find(body)
        for m in body_matches:
            count = mentions.get(m.entity_id)
            if count is None:
                mentions[m.entity_id] = EntityCount(m.entity_id, 1, 0, m.start)
            else:
                count.body_count += 1
                if count.first_offset is None:
                    count.first_offset = m.start
        body_entities = sorted({m.entity_id for m in body_matches})
        co_mentions = {pair: 0 for pair in combinations(body_entities, 2)}
        if len(body_entities) > 1:
            spans = split_sentences(body)
            span_starts = [s for s, _ in spans]
            per_sentence: dict[int, set[str]] = {}
            for m in body_matches:
                # Matches start on a non-space character, which every span covers.
                index = bisect.bisect_right(span_starts, m.start) - 1
                per_sentence.setdefault(index, set()).add(m.entity_id)
            for entities in per_sentence.values():
                for pair in combinations(sorted(entities), 2):
                    co_mentions[pair] += 1
        return TagResult(mentions, co_mentions)
