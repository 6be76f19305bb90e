"""The typed records that cross layers: what discovery finds, what a fetch gives, what a
page becomes, and what failed and why.

The stages produce them, orchestration hands them on, the warehouse loads them and the
flows count them; none of those layers needs another's code to read them. Plain
dataclasses of plain values, so they pickle to extraction workers and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

__all__ = ["DEFERRED", "ArticleRecord", "BatchResult", "Candidate", "FailedUrl", "FetchResult",
           "PageFailure", "PageInput", "SourceDiscovery"]

# The outcome of a URL not fetched because its host spent its time budget for the run.
DEFERRED = "deferred"


# --- fetching ----------------------------------------------------------------------------

@dataclass
class FetchResult:
    """What one URL gave, success or failure; failures carry outcome and a readable error."""

    url: str
    # ok | http_error | timeout | network | too_large | not_html | robots | blocked | bad_url
    # | deferred (not tried: the host's time budget for the run is spent)
    outcome: str
    final_url: str | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    error: str | None = None
    elapsed_ms: int = 0
    attempts: int = 0
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def deferred(self) -> bool:
        return self.outcome == DEFERRED

    @property
    def content_type(self) -> str:
        for k, v in self.headers:
            if k.lower() == "content-type":
                return v
        return ""


# --- discovery ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """An article URL found by discovery and not stored yet."""

    url: str
    source_id: str
    # The feed entry's time with its offset where the feed gives one, else its day.
    feed_date: datetime | date | None = None


@dataclass
class SourceDiscovery:
    """What discovery did for one outlet: documents read and failed, URLs new to the
    warehouse, and the problems met (failures first)."""

    source_id: str
    candidates: list[Candidate] = field(default_factory=list)
    discovered: int = 0
    docs_ok: int = 0
    docs_failed: int = 0
    errors: list[str] = field(default_factory=list)


# --- pages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageInput:
    """One fetched (or archived) page, with what its outlet and feed say about it."""

    url: str
    final_url: str
    body: bytes
    content_type: str
    source_id: str
    source_language: str
    # The feed entry's time (with its offset) or day.
    feed_date: datetime | date | None = None
    fetched_at: datetime | None = None
    # The outlet's first publication day (sources.yaml ``first_date``), when known: a page
    # date before it is a template default or a date quoted in the text.
    first_date: date | None = None
    # IANA zone whose calendar day is the publication day (Source.zone).
    timezone: str | None = None


@dataclass
class ArticleRecord:
    """What one page became: the article, its mentions, co-mentions, keywords, signature."""

    url: str
    discovered_url: str
    fetched_url: str
    source_id: str
    title: str | None
    author: str | None
    published: date | None
    date_source: str | None
    language: str | None
    sitename: str | None
    text: str
    word_count: int
    content_hash: str
    fetched_at: datetime
    mentions: list[tuple[str, int, int, bool, int | None]] = field(default_factory=list)
    co_mentions: list[tuple[str, str, int]] = field(default_factory=list)
    keywords: list[tuple[str, int, float]] = field(default_factory=list)
    # Language check (blocwatch.stages.language): how ``language`` was decided.
    language_source: str | None = None
    declared_language: str | None = None
    detected_language: str | None = None
    language_confidence: float | None = None
    # MinHash signature of the text (blocwatch.dedup), for near-duplicate stories.
    signature: bytes | None = None
    # How many date sources named the published day, and how many another
    # (blocwatch.stages.dates).
    date_agree: int | None = None
    date_disagree: int | None = None


@dataclass(frozen=True)
class PageFailure:
    """A page that gave no article (no text, a crash), with the fetch_log outcome."""

    url: str
    outcome: str
    error: str


# --- a batch's outcome ---------------------------------------------------------------------

@dataclass
class FailedUrl:
    """An article URL that was not loaded (or not tried: deferred), and why."""

    url: str
    source_id: str
    outcome: str
    error: str
    result: FetchResult | None = None


@dataclass
class BatchResult:
    """One batch fetched and processed, ready to load."""

    articles: list[ArticleRecord] = field(default_factory=list)
    failures: list[FailedUrl] = field(default_factory=list)
    fetches: dict[str, FetchResult] = field(default_factory=dict)
    # Not tried: the host had spent its time budget for the run (outcome "deferred").
    deferred: list[FailedUrl] = field(default_factory=list)
