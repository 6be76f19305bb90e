"""Entity tagging: find the taxonomy's aliases in article text and count mentions.

The rules (see taxonomy.yaml's header) are applied here and nowhere else in the
pipeline:

* ``case: exact`` aliases match only as written; ``case: ignore`` ones in any case
  (Unicode case folding, offsets still into the original text).
* A match must be a whole word: the characters just before and just after it must not
  be letters or digits (``str.isalnum``) or combining marks. Apostrophes, hyphens,
  underscores and all punctuation are boundaries, so "Japan's", "Japan-NATO" and
  "U.S.-led" count and "Japanese" does not.
  Scripts written without spaces (CJK, kana, Hangul with its attached particles, Thai,
  Lao, Khmer, Myanmar) get two exceptions. An alias that begins (ends) with such a
  character needs no boundary on that side (日本は, 일본의). And such a character next to
  an alias is itself a boundary, so a Latin alias inside Japanese or Korean text counts
  (NATOの, NATO의).
* ``match: prefix`` aliases need no right boundary (Японии, Японию for "Япони").
* Overlapping candidates resolve leftmost-longest: scanning by start, the longest
  candidate at a position wins and anything overlapping a chosen match is dropped.

Matching runs on Aho-Corasick automata (pyahocorasick): exact aliases over the original
text, ``ignore`` aliases over its case folding, split further by script (see _Pass), so
the cost is a few passes over the text whatever the number of aliases.
"""

from __future__ import annotations

import bisect
import functools
import pickle
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, combinations

import ahocorasick

from blocwatch.taxonomy import Taxonomy
from blocwatch.text import is_unspaced_script, split_sentences

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


def _joins(ch: str) -> bool:
    """Whether ``ch`` next to a candidate makes it part of a longer word."""
    if ch.isalnum():
        return ch < "\u0e00" or not is_unspaced_script(ch)
    # A combining mark continues the letter before it ("भारत" inside "भारतीय").
    return ch >= "\u0300" and unicodedata.category(ch)[0] == "M"


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


# pyahocorasick finds a node's child by a linear scan of the children in insertion
# order. At the root that scan happens for nearly every character of the text, and a
# character that starts no alias scans all of the root's children: with a few hundred
# distinct first characters (CJK aliases, mixed scripts) a pass drops from ~40 MB/s to
# ~2 MB/s. Three remedies: aliases are split into passes by the script of their first
# character; a pass searches only the stretches of text that follow one of its first
# characters when those are sparse (CJK names in an English article, Latin names in a
# Japanese one); and an automaton with a wide root gets placeholder keys for the
# characters text is mostly made of, inserted first so they are found within the first
# few children.
_FANOUT_LIMIT = 40
_LATIN_COMMON = " etaoinsrhldcumfpgwybvkxjqz,.TSACMIPBHDRFLNGWEOUJKVYQZX-'\"0123456789()\n:;’”“"
_COMMON_CHARS = {
    "latin": _LATIN_COMMON,
    "greek_cyrillic": " оеаинтсрвлкмдпуяызьгбчйхжшюцщэфъё,.ВПНСКМОРДТАИГЕЛБЗУФХЧЭЯШЮЦЖЙЩЁЬЪЫ-"
                      "αεοιντσυρκμλπηδγωχθφβζξψάέίόύήώ" + _LATIN_COMMON,
    "cjk": "の、。にはをたがでてとしれさいるもなかっうくこー「」・年日人大国会中本"
           "이다의는에가을를고한하지서로" + _LATIN_COMMON,
    "other": _LATIN_COMMON,
}
_PLACEHOLDER_END = "\uffff"  # a noncharacter: the placeholder keys never complete


def _script_group(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x0370 or 0x1E00 <= cp <= 0x1EFF:
        return "latin"
    if is_unspaced_script(ch):
        return "cjk"
    if cp <= 0x052F:
        return "greek_cyrillic"
    return "other"


@dataclass
class _Pass:
    """One automaton and where to run it."""
    automaton: ahocorasick.Automaton
    folded: bool           # searches text.casefold() rather than text
    # Runs of the keys' first characters that lie less than a key's length apart: a
    # match can only start at a first character, so it lies inside such a run plus
    # ``width`` characters. Possessive quantifiers keep the scan linear and in C.
    clusters: re.Pattern[str]
    width: int             # the longest key
    ascii_gate: bool       # whether any first character is ASCII

    def windows(self, text: str) -> list[tuple[int, int]] | None:
        """The stretches of ``text`` that can hold a match of this pass, in order and
        disjoint; None when they would cover so much that one full pass is cheaper."""
        if text.isascii():
            # Plain ASCII text is Latin script, where Latin first letters are everywhere
            # and other scripts' are nowhere.
            return None if self.ascii_gate else []
        n = len(text)
        spans = [(m.start(), min(m.end() - 1 + self.width, n))
                 for m in self.clusters.finditer(text)]
        if sum(e - s for s, e in spans) > n // 2:
            return None
        return spans


class Tagger:
    """Finds taxonomy aliases in text. Build once per process and reuse: the automata are
    built in ``__init__``; pickling sends only the taxonomy and rebuilds them."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        groups: dict[tuple[bool, str], dict[str, list[_Entry]]] = {}
        aliases = taxonomy.aliases
        for priority, alias in enumerate(aliases):
            text = alias.text
            ignore = alias.case == "ignore"
            key = text.casefold() if ignore else text
            # Exact aliases outrank case-insensitive ones on an identical span: "US"
            # written in capitals is the more specific claim. Then taxonomy order.
            rank = priority + (len(aliases) if ignore else 0)
            entry: _Entry = (alias.entity_id, len(key),
                             not is_unspaced_script(text[0]),
                             alias.match != "prefix" and not is_unspaced_script(text[-1]),
                             rank)
            entries = groups.setdefault((ignore, _script_group(key[0])), {}).setdefault(key, [])
            if entry not in entries:
                entries.append(entry)
        self._passes = [self._build(folded, script, words)
                        for (folded, script), words in sorted(groups.items())]

    @staticmethod
    def _build(folded: bool, script: str, words: dict[str, list[_Entry]]) -> _Pass:
        automaton = ahocorasick.Automaton()
        firsts = sorted({key[0] for key in words})
        if len(firsts) > _FANOUT_LIMIT:
            common = _COMMON_CHARS[script]
            if folded:
                common = "".join(dict.fromkeys(ch for ch in common if ch.casefold() == ch))
            for ch in common:
                automaton.add_word(ch + _PLACEHOLDER_END, ())
        for key, entries in words.items():
            automaton.add_word(key, tuple(sorted(entries, key=lambda e: e[4])))
        automaton.make_automaton()
        width = max(map(len, words))
        chars = "".join(re.escape(ch) for ch in firsts)
        clusters = re.compile(f"[{chars}](?:[^{chars}]{{0,{width - 1}}}+[{chars}])*+")
        return _Pass(automaton, folded, clusters, width, any(ch.isascii() for ch in firsts))

    def __reduce__(self) -> tuple[Callable[[bytes], Tagger], tuple[bytes]]:
        # Rebuilding takes milliseconds and avoids depending on the automaton's own
        # pickle format across pyahocorasick versions. The taxonomy travels compressed:
        # with aliases in several languages it is mostly repeated ids and option names.
        return (_unpickle, (zlib.compress(pickle.dumps(self.taxonomy, protocol=5)),))

    def _candidates(self, text: str) -> Iterator[tuple[int, int, int, str]]:
        """(start, -length, priority, entity_id) of every alias occurrence that passes
        the boundary rules; overlapping ones included."""
        n = len(text)
        folded: str | None = None
        fold_map: _FoldMap | None = None
        for step in self._passes:
            if step.folded:
                if folded is None:
                    folded = text.casefold()
                    fold_map = None if len(folded) == n else _FoldMap(text)
                searched, remap = folded, fold_map
            else:
                searched, remap = text, None
            windows = step.windows(searched)
            if windows is None:
                hits = step.automaton.iter(searched)
            else:
                hits = chain.from_iterable(step.automaton.iter(searched, s, e)
                                           for s, e in windows)
            for end_index, entries in hits:
                for entity_id, length, need_left, need_right, rank in entries:
                    end = end_index + 1
                    start = end - length
                    if remap is not None:
                        s, e = remap.start(start), remap.end(end)
                        if s is None or e is None:
                            continue  # the alias matched part of one character's folding
                        start, end = s, e
                    if need_left and start > 0 and _joins(text[start - 1]):
                        continue
                    if need_right and end < n and _joins(text[end]):
                        continue
                    yield start, start - end, rank, entity_id

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


def _unpickle(blob: bytes) -> Tagger:
    """Rebuild a pickled Tagger from its compressed taxonomy (see Tagger.__reduce__)."""
    # Only ever our own bytes from __reduce__, never untrusted input.
    return Tagger(pickle.loads(zlib.decompress(blob)))
