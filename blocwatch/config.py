"""Outlets and crawl settings, read from ``sources.yaml``."""

from __future__ import annotations

import functools
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from blocwatch.errors import ConfigError
from blocwatch.yamlconf import read_yaml_mapping, validate_entries

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_USER_AGENT = (
    "blocwatch/0.1 (+https://github.com/blocwatch/blocwatch; media monitoring research)"
)
# An outlet's ``timezone`` that counts publication days as feed and page write them.
AS_WRITTEN = "as-written"


@functools.cache
def _country_zones() -> dict[str, str]:
    """Country code → IANA zone: the shipped overrides for countries spanning several
    zones (the capital's or the most populous zone), else tzdata's zone.tab, first entry."""
    zones: dict[str, str] = {}
    try:
        tab = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        tab = ""
    for line in tab.splitlines():
        if line and not line.startswith("#"):
            cc, _coords, zone, *_ = line.split("\t")
            zones.setdefault(cc, zone)
    data = resources.files("blocwatch").joinpath("data", "country_timezones.txt")
    for line in data.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            cc, zone = line.split()
            zones[cc] = zone
    return zones


def country_timezone(country: str) -> str:
    """The default time zone of an outlet in ``country`` (ISO 3166-1 alpha-2); UTC when
    the country is unknown."""
    return _country_zones().get(country.upper(), "UTC")


class Politeness(BaseModel):
    """How hard blocwatch may hit one site, and how much of a run it may cost."""

    model_config = ConfigDict(extra="forbid")
    min_delay_s: float = Field(5.0, ge=0, description="seconds between requests to one host; "
                               "robots.txt's Crawl-delay raises it for that host")
    concurrency: int = Field(2, ge=1, le=16, description="parallel connections to one host")
    timeout_s: float = Field(30.0, gt=0, description="deadline of one request: connect, "
                             "response headers and the whole body")
    max_bytes: int = Field(10_000_000, gt=0, description="larger bodies are cut off and failed")
    retries: int = Field(2, ge=0, le=10, description="extra tries after a transient error "
                         "(a trickling body is not retried in the same run)")
    obey_robots: bool = True
    host_budget_s: float = Field(900.0, gt=0, description="wall time a run may spend on one "
                                 "host's requests, waits included; its remaining URLs are "
                                 "deferred to the next run")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_agent: str = DEFAULT_USER_AGENT
    politeness: Politeness = Politeness()
    max_feed_pages: int = Field(100, ge=1, description="how far to follow paged feeds")
    batch_size: int = Field(250, ge=1, description="articles fetched and loaded per task run")
    park_after_runs: int = Field(3, ge=0, description="a URL failing temporarily in this many "
                                 "runs in a row is parked (not fetched) for a day, then 2, 4, "
                                 "... days after each further failure; 0: never park")
    park_max_days: int = Field(64, ge=1, description="longest parking after one failure")


class Source(BaseModel):
    """One outlet."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1)
    homepage: HttpUrl
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    language: str = Field(min_length=2, max_length=3, description="ISO 639-1 code")
    kind: str = "news"
    feeds: list[HttpUrl] = []
    sitemaps: list[HttpUrl] = []
    urls: list[HttpUrl] = []
    politeness: Politeness | None = None
    allow_private_network: bool = False
    enabled: bool = True
    # The outlet's first publication day: an earlier date on one of its pages is a template
    # default or a date quoted in the text, so the next date source is tried.
    first_date: date | None = None
    # IANA time zone whose calendar day is the publication day ("Asia/Tokyo"), or
    # "as-written" (the day as feed and page write it); default: the country's zone.
    timezone: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("id must be lowercase letters, digits and underscores")
        return v

    @field_validator("country", mode="before")
    @classmethod
    def _yaml_boolean(cls, v: object) -> object:
        if isinstance(v, bool):
            # YAML 1.1 reads an unquoted NO (Norway), and ON, YES..., as a boolean.
            raise ValueError('YAML read the country code as a boolean: quote it ("NO")')
        return v

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is None or v == AS_WRITTEN:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (an IANA name such as Asia/Tokyo)"
                             ) from exc
        return v

    @property
    def zone(self) -> str:
        """The time zone of the outlet's publication days."""
        return self.timezone or country_timezone(self.country)


class SourcesConfig(BaseModel):
    settings: Settings
    sources: list[Source]
    path: str = ""

    def politeness_for(self, source: Source) -> Politeness:
        if source.politeness is None:
            return self.settings.politeness
        # Fields the source does not set fall back to the global defaults.
        merged = self.settings.politeness.model_dump()
        merged.update(source.politeness.model_dump(exclude_unset=True))
        return Politeness(**merged)

    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]

    def resolve_all(self, address: str) -> dict[str, str]:
        """Every host the outlets name (homepages, feeds, sitemaps, URLs) → ``address``
        ("127.0.0.1:8765"): the fetcher's ``resolve`` map for a demo web that serves them
        all on one port, as ``curl --resolve`` would."""
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError("demo_web", f"{address!r} is not HOST:PORT (for example "
                              "127.0.0.1:8765)")
        hosts = {url.host for s in self.sources
                 for url in (s.homepage, *s.feeds, *s.sitemaps, *s.urls) if url.host}
        return dict.fromkeys(sorted(hosts), address)


SourceKind = Literal["feed", "sitemap", "url"]


def load_sources(path: str | Path) -> SourcesConfig:
    """Read and validate a sources file; raise ConfigError naming file, entry and field."""
    path = Path(path)
    data = read_yaml_mapping(path)
    unknown = set(data) - {"settings", "sources"}
    if unknown:
        raise ConfigError(str(path), f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    raw_settings = data.get("settings") or {}
    try:
        settings = Settings.model_validate(raw_settings)
    except Exception as exc:  # pydantic ValidationError
        err = exc.errors()[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
        field = ".".join(str(p) for p in err["loc"]) or None
        raise ConfigError(str(path), err["msg"], entry="settings", field=field) from exc
    sources = validate_entries(path, "sources", data.get("sources"), Source)
    seen: set[str] = set()
    for index, src in enumerate(sources):
        label = f"#{index + 1} ({src.id!r})"
        if src.id in seen:
            raise ConfigError(str(path), f"duplicate id {src.id!r}", entry=label, field="id")
        seen.add(src.id)
        if not (src.feeds or src.sitemaps or src.urls):
            raise ConfigError(str(path), "needs at least one of feeds, sitemaps or urls",
                              entry=label, field="feeds")
    return SourcesConfig(settings=settings, sources=sources, path=str(path))
