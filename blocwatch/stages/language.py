"""The language of an article: detected from its text, checked against what the page says.

Pages declare a language in ``<html lang>`` or a Content-Language meta tag, and outlets
have one in sources.yaml, but both are often wrong: CMS templates ship ``lang="en"`` on
every edition, multilingual outlets reuse one template, some pages write "jp" or "cn".
The text itself is the better witness once there is enough of it, so:

* ``detected``: py3langid on the first ``DETECT_CHARS`` characters of the text, folded to
  ISO 639-1 (its Chinese varieties "wuu"/"yue" count as "zh"), when the text has at least
  ``MIN_CHARS`` letters and the probability is at least ``MIN_CONFIDENCE``;
* ``declared``: the page's own declaration, normalised ("en-US" -> "en", "jp" -> "ja");
* ``language``: detected, else declared, else the outlet's language; ``source`` says
  which one it was, and ``agrees`` whether detection and declaration agree (None when
  one of them is missing), so misconfigured outlets show up in SQL.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["LanguageCheck", "check_language", "declared_language", "detect_language",
           "normalize_code"]

# The detector's cost grows with the text; a few paragraphs decide the language as well.
DETECT_CHARS = 2000
# Character n-gram statistics of a headline-length text are too thin to overrule a page.
# Letters of the CJK and Hangul blocks count twice: a character there carries about as
# much as two Latin letters (and is three UTF-8 bytes to the detector).
MIN_CHARS = 40
MIN_CONFIDENCE = 0.80

# py3langid labels that are varieties or scripts of one ISO 639-1 language.
_FOLD = {"wuu": "zh", "yue": "zh", "cmn": "zh", "lzh": "zh", "nan": "zh", "hak": "zh",
         "ary": "ar", "arz": "ar", "uzs": "uz", "nn": "no", "nb": "no"}
# Codes pages use that are not ISO 639-1 (country codes, mostly), mapped to the language.
_MISTAKES = {"jp": "ja", "jpn": "ja", "kr": "ko", "kor": "ko", "cn": "zh", "zho": "zh",
             "chi": "zh", "rus": "ru", "eng": "en", "ua": "uk", "gr": "el", "cz": "cs",
             "dk": "da", "nb": "no", "nn": "no"}
_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?=$|[-_])")
_HTML_LANG_RE = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I)
_META_LANG_RE = re.compile(
    r"""<meta\b[^>]*?http-equiv\s*=\s*["']?content-language["']?[^>]*?content\s*=\s*"""
    r"""["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I)
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class LanguageCheck:
    language: str | None      # what articles.language stores
    source: str               # detected | declared | outlet | none
    detected: str | None      # confident detection, else None
    confidence: float | None  # detector probability of its best label (None: too short)
    declared: str | None      # the page's declaration, normalised

    @property
    def agrees(self) -> bool | None:
        """Whether detection confirms the declaration (None when either is missing)."""
        if self.detected is None or self.declared is None:
            return None
        return self.detected == self.declared


def normalize_code(tag: str | None) -> str | None:
    """ISO 639-1 code of a language tag ("en-US" -> "en", "zh_Hant" -> "zh", "jp" -> "ja");
    None for anything that is not a language tag."""
    if not tag:
        return None
    m = _TAG_RE.match(tag.strip())
    if m is None:
        return None
    code = m.group(0).lower()
    code = _MISTAKES.get(code, code)
    return code if len(code) == 2 else None


def declared_language(html: str, metadata_language: str | None = None) -> str | None:
    """What the page declares: trafilatura's metadata, ``<html lang>`` or a
    Content-Language meta tag (looked for in the first 8 KiB), normalised."""
    code = normalize_code(metadata_language)
    if code:
        return code
    head = html[:8192]
    for pattern in (_HTML_LANG_RE, _META_LANG_RE):
        m = pattern.search(head)
        if m:
            code = normalize_code(m.group(1))
            if code:
                return code
    return None


@functools.cache
def _identifier() -> Any:
    """The py3langid model with normalised probabilities, loaded once per process (about a
    second; worker processes pay it once, like the tagger's automaton)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # py3langid renamed its loader; accept both spellings.
    load = (getattr(LanguageIdentifier, "from_model_file", None)
            or LanguageIdentifier.from_pickled_model)
    return load(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, probability) of the text's language; (None, None) when the text
    has fewer than MIN_CHARS letters, (None, p) when the best label is no ISO 639-1
    language or p is below MIN_CONFIDENCE."""
    sample = text[:DETECT_CHARS]
    letters = _LETTER_RE.findall(sample)
    if len(letters) + sum(ch >= "\u2e80" for ch in letters) < MIN_CHARS:
        return None, None
    totals: dict[str, float] = {}
    for label, p in _identifier().rank(sample):
        code = _FOLD.get(label, label)
        totals[code] = totals.get(code, 0.0) + float(p)
    code, p = max(totals.items(), key=lambda kv: (kv[1], kv[0]))
    if len(code) != 2 or p < MIN_CONFIDENCE:
        return None, p
    return code, p


def check_language(text: str, declared: str | None, outlet: str | None) -> LanguageCheck:
    """Decide an article's language from its text, its page's declaration and its outlet."""
    detected, confidence = detect_language(text)
    declared = normalize_code(declared)
    if detected is not None:
        return LanguageCheck(detected, "detected", detected, confidence, declared)
    if declared is not None:
        return LanguageCheck(declared, "declared", None, confidence, declared)
    fallback = normalize_code(outlet)
    return LanguageCheck(fallback, "outlet" if fallback else "none", None, confidence, None)
