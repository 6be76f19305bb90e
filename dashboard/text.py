"""Showing article text safely: mention highlighting and keyword-in-context lines.

Article text and titles come from the open web. They reach the page only as escaped
text: highlight_html() escapes every character of the article with html.escape before it
adds its own <mark> tags, and everything else is shown with st.text / st.dataframe.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_id: str


def alias_regex(alias: str, case_rule: str = "exact", match_rule: str = "word") -> re.Pattern:
    """The taxonomy's matching rules as a regex: whole word, possessives and hyphenated
    compounds allowed (they end at a non-word character), ``prefix`` lets the word go on,
    ``ignore`` ignores case."""
    body = re.escape(alias)
    tail = r"\w*" if match_rule == "prefix" else ""
    flags = re.IGNORECASE if case_rule == "ignore" else 0
    return re.compile(rf"(?<!\w){body}{tail}(?!\w)", flags)


def find_spans(text: str, aliases: Iterable[tuple[str, str, str, str]]) -> list[Span]:
    """Where the aliases (entity_id, alias, case_rule, match_rule) occur in ``text``.

    Overlaps resolve as in the tagger: the longest match wins, then the earliest, so
    "Asian NATO" is one span of the concept rather than also NATO.
    """
    found: list[Span] = []
    for entity_id, alias, case_rule, match_rule in aliases:
        if not alias:
            continue
        for m in alias_regex(alias, case_rule, match_rule).finditer(text):
            found.append(Span(m.start(), m.end(), entity_id))
    found.sort(key=lambda s: (-(s.end - s.start), s.start))
    taken: list[Span] = []
    for span in found:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: s.start)


def highlight_html(text: str, spans: Iterable[Span], colors: Mapping[str, str],
                   names: Mapping[str, str]) -> str:
    """``text`` as HTML with each span in a coloured <mark>; all article text escaped."""
    out: list[str] = []
    pos = 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < pos:
            continue
        out.append(html.escape(text[pos:span.start]))
        color = colors.get(span.entity_id, "#ffd54f")
        label = html.escape(names.get(span.entity_id, span.entity_id), quote=True)
        out.append(f'<mark style="background:{_tint(color)};border-bottom:2px solid {color}"'
                   f' title="{label}">{html.escape(text[span.start:span.end])}</mark>')
        pos = span.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _tint(color: str) -> str:
    # Our palette holds "#rrggbb" colours; a light tint keeps the text readable.
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", color):
        return color + "40"
    return "#fff59d"


def safe_url(url: object) -> str | None:
    """The URL if it is http(s), else None: a stored "javascript:" URL must not be a link."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def kwic(text: str, term: str, width: int = 70, limit: int = 5) -> list[tuple[str, str, str]]:
    """Keyword-in-context lines: (left context, the match, right context).

    Terms are lower-cased words or two-word phrases (see the keywords table), so the match
    is case-insensitive, whole-word, and lets any whitespace join a phrase's words.
    """
    words = [re.escape(w) for w in term.split()]
    if not words:
        return []
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
    lines = []
    for m in pattern.finditer(text):
        left = " ".join(text[max(0, m.start() - width):m.start()].split())
        right = " ".join(text[m.end():m.end() + width].split())
        lines.append((("…" if m.start() > width else "") + left, m.group(0),
                      right + ("…" if m.end() + width < len(text) else "")))
        if len(lines) >= limit:
            break
    return lines
