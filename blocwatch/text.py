"""Plain-text helpers shared by the tagger and keyword extraction: sentence spans and
whitespace normalisation. Offsets always refer to the text as given, never to a
normalised copy, because mentions and co-mentions are stored as offsets into it."""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["split_sentences", "normalize_space", "is_unspaced_script", "SPACELESS_CLASS",
           "mark_class"]

# Scripts written without spaces between words: Chinese characters, kana, Thai, Lao,
# Khmer, Myanmar. A word in them has no visible boundary, so neither alias matching nor
# tokenising can look for one.
_SPACELESS_RANGES = (
    (0x0E00, 0x0EFF),    # Thai, Lao
    (0x1000, 0x109F),    # Myanmar
    (0x1780, 0x17FF),    # Khmer
    (0x2E80, 0x2FDF),    # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),    # 々 〆 〇
    (0x3040, 0x30FF),    # Hiragana, Katakana
    (0x31F0, 0x31FF),    # Katakana phonetic extensions
    (0x3400, 0x4DBF),    # CJK extension A
    (0x4E00, 0x9FFF),    # CJK unified ideographs
    (0xF900, 0xFAFF),    # CJK compatibility ideographs
    (0xFF66, 0xFF9F),    # half-width Katakana
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)
# Korean puts spaces between words but glues particles onto nouns (일본의, 일본은), so for
# alias matching Hangul behaves like the scripts above; for tokenising it does not.
_HANGUL_RANGES = (
    (0x1100, 0x11FF),    # Hangul Jamo
    (0x3130, 0x318F),    # Hangul compatibility Jamo
    (0xA960, 0xA97F),    # Hangul Jamo extended A
    (0xAC00, 0xD7FF),    # Hangul syllables, Jamo extended B
    (0xFFA0, 0xFFDC),    # half-width Hangul
)
_UNSPACED_RANGES = _SPACELESS_RANGES + _HANGUL_RANGES
# The spaceless scripts as the inside of a regex character class.
SPACELESS_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _SPACELESS_RANGES)


def is_unspaced_script(ch: str) -> bool:
    """Whether a word in ``ch``'s script can touch the next one with no boundary between
    them: CJK, kana, Hangul (particles), Thai, Lao, Khmer, Myanmar."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _UNSPACED_RANGES)


# Abbreviations after which a period does not end a sentence. Case matters: "No." is the
# number sign, "no." ends a sentence; "vs." is only ever lowercase in news copy.
# "Inc.", "Co.", "Jr." and "etc." are left out on purpose: they end sentences about as
# often as they sit inside them, and a wrong merge costs more than a wrong split.
_ABBREVIATIONS = frozenset({
    "Mr.", "Mrs.", "Ms.", "Mx.", "Dr.", "Prof.", "Gen.", "Lt.", "Col.", "Maj.", "Capt.",
    "Sgt.", "Adm.", "Cmdr.", "Gov.", "Sen.", "Sens.", "Rep.", "Reps.", "Rev.", "Hon.",
    "St.", "Mt.", "Ft.", "No.", "Nos.",
    "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.",
    "Dec.",
    "vs.", "e.g.", "i.e.", "cf.", "approx.",
})

# A candidate break: a run of terminators plus any closing quotes/brackets, or a newline.
# Full-width terminators need no following space: Chinese and Japanese put none there.
# The lookahead already rejects the common non-break (ASCII lowercase after the space)
# so that Python only looks at likely breaks; ``next`` is the character to check.
_BREAK_RE = re.compile(
    r"(?P<cjk>[。！？]+[」』）〕】\"'”’]*)"
    r"|(?P<term>[.!?؟।]+)[\"'”’»)\]]*"
    r"(?=[^\S\n]*(?:\n|$)|[^\S\n]+(?P<next>[^\sa-z]))"
    r"|(?P<nl>\n)"
)
# re only scans fast for a pattern that starts with a plain character set, which
# _BREAK_RE does not: find candidates with this one, then match _BREAK_RE at each.
_CANDIDATE_RE = re.compile(r"[.!?؟।。！？\n]")
_OPENERS = frozenset("\"'“‘«„([")
# Letters separated by dots: "U.S.", "e.g.", "U.S.A.".
_DOTTED_RE = re.compile(r"(?:[^\W\d_]\.){2,}")
_SPACE_RUN_RE = re.compile(r"\s+")


@functools.cache
def mark_class() -> str:
    """All combining marks as the inside of a regex character class (built once; Python's
    ``\\w`` leaves them out)."""
    ranges: list[tuple[int, int]] = []
    for cp in [*range(0x0300, 0x20000), *range(0xE0100, 0xE01F0)]:
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def _starts_sentence(ch: str) -> bool:
    # "Not lowercase" rather than "uppercase" so caseless scripts (Arabic, Devanagari,
    # CJK) after a period still start a new sentence.
    return ch.isdigit() or ch in _OPENERS or (ch.isalpha() and not ch.islower())


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``dot`` closes an abbreviation or an initial."""
    k = dot
    while k > 0 and (text[k - 1].isalpha() or text[k - 1] == "."):
        k -= 1
    if k > 0 and text[k - 1].isalnum():
        # "F-35B." or "3D.": the letters are the tail of a longer token, not an initial.
        return False
    token = text[k:dot + 1]
    if token in _ABBREVIATIONS or _DOTTED_RE.fullmatch(token):
        return True
    return len(token) == 2 and token[0].isupper()


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` as offsets into ``text``, whitespace trimmed.

    A sentence ends at ``. ! ?`` (and Arabic/Devanagari question mark and danda) when
    whitespace and a capital letter, digit or opening quote/bracket follow, or at the end
    of the text; at ``。！？`` unconditionally; and at every newline, since extracted
    article text has one paragraph per line. A period after a known abbreviation
    ("Mr.", "Jan.", "vs."), a dotted abbreviation ("U.S.", "e.g.") or a single capital
    initial ("J. Smith") does not end a sentence. Every non-space character of ``text``
    lies in exactly one span.
    """
    cuts: list[int] = []
    n = len(text)
    done = 0
    for candidate in _CANDIDATE_RE.finditer(text):
        if candidate.start() < done:
            continue  # inside a run of terminators already handled
        m = _BREAK_RE.match(text, candidate.start())
        if m is None:
            continue
        done = m.end()
        term = m.group("term")
        if term is not None:
            following = m.group("next")
            if following is not None and not _starts_sentence(following):
                continue
            if term == "." and _is_abbreviation(text, m.start()):
                continue
        cuts.append(m.end())
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*cuts, n]:
        if cut <= start:
            continue
        segment = text[start:cut]
        stripped = segment.strip()
        if stripped:
            s = start + (len(segment) - len(segment.lstrip()))
            spans.append((s, s + len(stripped)))
        start = cut
    return spans


def normalize_space(text: str) -> str:
    """Collapse whitespace for display or hashing: runs without a newline become one
    space, runs with one become a single newline, and the ends are stripped.

    Do not tag normalised text and store its offsets against the original."""
    return _SPACE_RUN_RE.sub(lambda m: "\n" if "\n" in m.group(0) else " ", text).strip()
