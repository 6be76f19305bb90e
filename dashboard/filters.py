"""The global filters, and their round trip through the URL's query parameters.

Everything here is pure (no Streamlit) so the URL format is tested on its own; the
sidebar widgets that edit the filters live in dashboard/ui.py.

URL format (every key optional; lists are comma-separated ids):

    ?entities=japan,nato&from=2026-01-01&to=2026-06-30
     &outlets=tass,kyodo&countries=JP,RU&languages=en,ja
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

# Query-parameter names of the global filters, in the order they appear in URLs.
PARAM_ENTITIES = "entities"
PARAM_FROM = "from"
PARAM_TO = "to"
PARAM_OUTLETS = "outlets"
PARAM_COUNTRIES = "countries"
PARAM_LANGUAGES = "languages"
GLOBAL_PARAMS = (PARAM_ENTITIES, PARAM_FROM, PARAM_TO, PARAM_OUTLETS, PARAM_COUNTRIES,
                 PARAM_LANGUAGES)

# Ids are lower-case words in taxonomy.yaml and sources.yaml, countries and languages ISO
# codes: anything else in a URL is a typo or tampering, and is dropped rather than queried.
_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAX_ITEMS = 64


@dataclass(frozen=True)
class Filters:
    """What the analyst narrowed the warehouse to. Empty tuples mean "all"."""

    entities: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    sources: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    # Not part of the URL: set when the entity list was filled in by the default rule.
    default_entities: bool = field(default=False, compare=False)

    def with_dates(self, start: date | None, end: date | None) -> Filters:
        return replace(self, start=start, end=end)

    def with_entities(self, entities: Iterable[str], default: bool = False) -> Filters:
        return replace(self, entities=tuple(entities), default_entities=default)

    def with_sources(self, sources: Iterable[str]) -> Filters:
        return replace(self, sources=tuple(sources))


def _values(raw: str | Sequence[str] | None) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            if part and _ID_RE.match(part) and part not in out:
                out.append(part)
    return out[:_MAX_ITEMS]


def parse_date(raw: str | Sequence[str] | None) -> date | None:
    """An ISO date (YYYY-MM-DD), or None for anything else."""
    if raw is None:
        return None
    value = raw if isinstance(raw, str) else (list(raw)[-1] if raw else "")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_query_params(params: Mapping[str, str | Sequence[str]]) -> Filters:
    """Filters from query parameters; unknown keys and malformed values are ignored."""
    start = parse_date(params.get(PARAM_FROM))
    end = parse_date(params.get(PARAM_TO))
    if start and end and start > end:
        start, end = end, start
    return Filters(
        entities=tuple(_values(params.get(PARAM_ENTITIES))),
        start=start,
        end=end,
        sources=tuple(_values(params.get(PARAM_OUTLETS))),
        countries=tuple(_values(params.get(PARAM_COUNTRIES))),
        languages=tuple(_values(params.get(PARAM_LANGUAGES))),
    )


def to_query_params(filters: Filters, bounds: tuple[date, date] | None = None
                    ) -> dict[str, str]:
    """Query parameters for the filters, leaving out what is the default.

    Dates equal to the warehouse's own bounds are left out, so a shared "everything" URL
    keeps meaning everything after newer articles arrive. Entities filled in by the
    default rule are left out for the same reason.
    """
    out: dict[str, str] = {}
    if filters.entities and not filters.default_entities:
        out[PARAM_ENTITIES] = ",".join(filters.entities)
    lo, hi = bounds if bounds else (None, None)
    if filters.start and filters.start != lo:
        out[PARAM_FROM] = filters.start.isoformat()
    if filters.end and filters.end != hi:
        out[PARAM_TO] = filters.end.isoformat()
    if filters.sources:
        out[PARAM_OUTLETS] = ",".join(filters.sources)
    if filters.countries:
        out[PARAM_COUNTRIES] = ",".join(filters.countries)
    if filters.languages:
        out[PARAM_LANGUAGES] = ",".join(filters.languages)
    return out


def restrict(filters: Filters, *, entities: Iterable[str], sources: Iterable[str],
             countries: Iterable[str], languages: Iterable[str],
             bounds: tuple[date, date] | None) -> Filters:
    """Drop ids the warehouse does not know and clamp dates into its bounds.

    A URL shared before a taxonomy change, or edited by hand, still opens a valid view.
    """
    known_e, known_s = set(entities), set(sources)
    known_c, known_l = set(countries), set(languages)
    start, end = filters.start, filters.end
    if bounds:
        lo, hi = bounds
        start = min(max(start or lo, lo), hi)
        end = max(min(end or hi, hi), lo)
        if start > end:
            start, end = lo, hi
    return replace(
        filters,
        entities=tuple(e for e in filters.entities if e in known_e),
        start=start, end=end,
        sources=tuple(s for s in filters.sources if s in known_s),
        countries=tuple(c for c in filters.countries if c in known_c),
        languages=tuple(x for x in filters.languages if x in known_l),
    )


def parse_choice(raw: str | Sequence[str] | None, choices: Sequence[str], default: str) -> str:
    """A page setting from the URL (e.g. ``period=week``), if it is one of ``choices``."""
    if raw is None:
        return default
    value = raw if isinstance(raw, str) else (list(raw)[-1] if raw else "")
    return value if value in choices else default


def parse_int(raw: str | Sequence[str] | None, default: int, lo: int, hi: int) -> int:
    """A bounded integer page setting from the URL."""
    if raw is None:
        return default
    value = raw if isinstance(raw, str) else (list(raw)[-1] if raw else "")
    try:
        n = int(value)
    except ValueError:
        return default
    return n if lo <= n <= hi else default
