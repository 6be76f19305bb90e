"""Showing article text safely: mention highlighting and keyword-in-context lines.

Article text and titles come from the open web. They reach the page only as escaped
text: highlight_html() escapes every character of the article with html.escape before it
adds its own <mark> tags, and everything else is shown with st.text / st.dataframe.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from blocwatch.analysis import find_term
from blocwatch.stages.tagger import Tagger
from blocwatch.taxonomy import Alias, Entity, Taxonomy


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity_id: str


def find_spans(text: str, aliases: Iterable[tuple[str, str, str, str]]) -> list[Span]:
    """Where the aliases (entity_id, alias, case_rule, match_rule) occur in ``text``.

    Runs the ingest's own Tagger, so what is highlighted is exactly what was counted.
    """
    tagger = _tagger(tuple(sorted(set(aliases))))
    return [Span(m.start, m.end, m.entity_id) for m in tagger.find(text)]


@functools.lru_cache(maxsize=16)
def _tagger(aliases: tuple[tuple[str, str, str, str], ...]) -> Tagger:
    by_entity: dict[str, list[Alias]] = {}
    for entity_id, alias, case_rule, match_rule in aliases:
        if alias:
            by_entity.setdefault(entity_id, []).append(
                Alias(entity_id, alias, case_rule, match_rule))
    entities = tuple(Entity(eid, eid, "concept", "", tuple(found))
                     for eid, found in sorted(by_entity.items()))
    return Tagger(Taxonomy(entities))


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


def mark_html(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` as HTML with each (start, end) span in a <mark> (a query's hits); all
    article text escaped, the <mark> tags are the only markup."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos or end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def hit_excerpt(text: str, spans: Iterable[tuple[int, int]], width: int = 90
                ) -> tuple[str, list[tuple[int, int]]]:
    """The part of ``text`` around its first hit (``width`` characters either side,
    whitespace kept as is, "…" where the text goes on) and the spans inside it, shifted."""
    ordered = sorted(spans)
    if not ordered:
        return "", []
    lo = max(0, ordered[0][0] - width)
    hi = min(len(text), ordered[0][1] + width)
    lead = "…" if lo > 0 else ""
    excerpt = lead + text[lo:hi] + ("…" if hi < len(text) else "")
    shift = len(lead) - lo
    return excerpt, [(s + shift, e + shift) for s, e in ordered if s >= lo and e <= hi]


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


def kwic(text: str, term: str, width: int = 70, limit: int = 5,
         language: str | None = None) -> list[tuple[str, str, str]]:
    """Keyword-in-context lines: (left context, the match, right context).

    Terms are base forms or two-word phrases of them (see the keywords table and
    blocwatch.analysis), so the match is every word of ``text`` whose base form is the
    term in the article's ``language`` (конференция finds "конференции", 관계자 finds
    "관계자들은"), or every phrase whose term it is. Contexts are ``width`` characters
    either side, whitespace collapsed, "…" where the text goes on.
    """
    lines = []
    for start, end in find_term(text, term, language)[:limit]:
        left = " ".join(text[max(0, start - width):start].split())
        right = " ".join(text[end:end + width].split())
        lines.append((("…" if start > width else "") + left, text[start:end],
                      right + ("…" if end + width < len(text) else "")))
    return lines
