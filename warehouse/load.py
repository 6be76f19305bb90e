"""Writing ingest results into the work database, one transaction per batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from blocwatch.config import SourcesConfig
from blocwatch.records import ArticleRecord, FailedUrl
from blocwatch.taxonomy import Taxonomy
from warehouse.rollups import update_rollups
from warehouse.sql import registered, sql
from warehouse.stories import assign_stories

# Outcomes that will not change by asking again; such URLs are not retried by later runs.
PERMANENT_OUTCOMES = ("loaded", "duplicate", "no_text", "not_html", "robots", "blocked",
                      "bad_url", "too_large", "gone")
# Not an outcome of fetch_log: a URL the fetcher did not try because its host had spent
# its time budget for the run (blocwatch.stages.fetch.DEFERRED). It is neither logged nor counted
# towards parking; the next run tries it.
DEFERRED_OUTCOME = "deferred"


@dataclass(frozen=True)
class ParkingPolicy:
    """When a URL that keeps failing is left alone (Settings.park_after_runs/park_max_days).

    A temporary failure (any outcome but the permanent ones) in ``after_runs`` runs in a
    row parks the URL for a day; each further failed try, once it is due again, doubles
    that, up to ``max_days``. A success or a permanent outcome clears the streak.
    """

    after_runs: int = 3
    max_days: int = 64

    def parked_for(self, failed_runs: int) -> timedelta | None:
        if self.after_runs <= 0 or failed_runs < self.after_runs:
            return None
        # Capped before exponentiating: a streak of thousands must not overflow.
        doublings = min(failed_runs - self.after_runs, self.max_days.bit_length())
        return timedelta(days=min(2 ** doublings, self.max_days))


@dataclass
class LoadStats:
    loaded: int = 0
    duplicates: int = 0
    failed: int = 0
    loaded_by_source: dict[str, int] = field(default_factory=dict)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
                  rows: list[tuple[Any, ...]], types: Sequence[pa.DataType]) -> None:
    """Bulk insert through Arrow: thousands of times faster than executemany."""
    if not rows:
        return
    arrays = [pa.array([r[i] for r in rows], type=t) for i, t in enumerate(types)]
    cols = ", ".join(columns)
    with registered(con, arrow_rows=pa.table(arrays, names=list(columns))):
        # Table and column names are constants of this module, never user input.
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM arrow_rows")  # noqa: S608


def insert_derived(con: duckdb.DuckDBPyConnection,
                   records: Sequence[tuple[int, ArticleRecord]]) -> None:
    """The mentions, co-mentions and keywords of these (article_id, record) pairs."""
    insert_arrow(con, "mentions", ("article_id", "entity_id", "body_count", "title_count",
                                   "in_title", "first_offset"),
                 [(aid, *m) for aid, r in records for m in r.mentions],
                 (pa.int64(), pa.string(), pa.int32(), pa.int32(), pa.bool_(), pa.int32()))
    insert_arrow(con, "co_mentions", ("article_id", "entity_a", "entity_b", "sentence_count"),
                 [(aid, *c) for aid, r in records for c in r.co_mentions],
                 (pa.int64(), pa.string(), pa.string(), pa.int32()))
    insert_arrow(con, "keywords", ("article_id", "term", "count", "score"),
                 [(aid, *k) for aid, r in records for k in r.keywords],
                 (pa.int64(), pa.string(), pa.int32(), pa.float64()))


def sync_reference(con: duckdb.DuckDBPyConnection, config: SourcesConfig,
                   taxonomy: Taxonomy) -> None:
    """Refresh sources, entities and aliases from the YAML files (the single source of truth).

    Sources no longer configured are kept, so their articles still have a name.
    """
    ts = now()
    con.execute("BEGIN TRANSACTION")
    try:
        for s in config.sources:
            con.execute(
                sql("load/upsert_source"),
                [s.id, s.name, str(s.homepage), s.country, s.language, s.kind, ts,
                 s.zone])
        con.execute("DELETE FROM entity_aliases")
        con.execute("DELETE FROM entities")
        for e in taxonomy.entities:
            con.execute("INSERT INTO entities VALUES (?, ?, ?, ?, ?)",
                        [e.id, e.name, e.kind, e.group, e.description])
        insert_arrow(con, "entity_aliases",
                      ("entity_id", "alias", "case_rule", "match_rule", "lang"),
                      [(a.entity_id, a.text, a.case, a.match, a.lang) for a in taxonomy.aliases],
                      [pa.string()] * 5)
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise


def known_urls(con: duckdb.DuckDBPyConnection, urls: list[str],
               at: datetime | None = None) -> set[str]:
    """Which of these canonical URLs need no fetching: stored, failed for good, or parked
    (url_parking.parked_until after ``at``, default now, UTC)."""
    if not urls:
        return set()
    with registered(con, probe=_urls(sorted(set(urls)))):
        rows = con.execute(sql("load/known_urls"), {"permanent": list(PERMANENT_OUTCOMES),
                                                    "at": at or now()}).fetchall()
    return {r[0] for r in rows}


_PARKED_PER_SOURCE = ("SELECT source_id, count(*) FROM url_parking WHERE parked_until > ? "
                      "GROUP BY source_id")
_STREAKS = "SELECT url, failed_runs FROM url_parking WHERE url IN (SELECT url FROM probe)"
_CLEAR_STREAKS = "DELETE FROM url_parking WHERE url IN (SELECT url FROM probe)"


def _urls(urls: Sequence[str]) -> pa.Table:
    return pa.table({"url": pa.array(list(urls), pa.string())})


def parked_per_source(con: duckdb.DuckDBPyConnection,
                      at: datetime | None = None) -> dict[str, int]:
    """URLs parked at ``at`` (default now, UTC) per outlet: what a run leaves alone."""
    return dict(con.execute(_PARKED_PER_SOURCE, [at or now()]).fetchall())


def unpark(con: duckdb.DuckDBPyConnection, urls: Sequence[str] = (),
           source_id: str | None = None) -> int:
    """Forget the failure streaks of these URLs, or of every URL of ``source_id``, or of
    all URLs when neither is given; the next run fetches them. Returns how many."""
    if urls:
        with registered(con, probe=_urls(sorted(set(urls)))):
            return len(con.execute(_CLEAR_STREAKS + " RETURNING url").fetchall())
    if source_id is not None:
        return len(con.execute("DELETE FROM url_parking WHERE source_id = ? RETURNING url",
                               [source_id]).fetchall())
    return len(con.execute("DELETE FROM url_parking RETURNING url").fetchall())


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def track_failure_streaks(con: duckdb.DuckDBPyConnection, log_rows: list[tuple[Any, ...]],
                          policy: ParkingPolicy) -> list[tuple[Any, ...]]:
    """Update url_parking from a batch's fetch_log rows; return the rows with the streak
    noted in the error text of a repeated failure ("(3rd run in a row; parked until …)"),
    so fetch_log itself says why a URL stops being tried.

    One try per URL per run (candidates are unique within a run), so a row is a run.
    """
    out = list(log_rows)
    failing = [i for i, r in enumerate(out)
               if r[6] not in PERMANENT_OUTCOMES and r[6] != DEFERRED_OUTCOME]
    cleared = [r[2] for r in out if r[6] in PERMANENT_OUTCOMES]
    if cleared:
        with registered(con, probe=_urls(cleared)):
            con.execute(_CLEAR_STREAKS)
    if not failing:
        return out
    with registered(con, probe=_urls([out[i][2] for i in failing])):
        before = dict(con.execute(_STREAKS).fetchall())
    rows: list[tuple[Any, ...]] = []
    for i in failing:
        row = out[i]
        run_id, source_id, url, fetched_at, outcome, error = (row[0], row[1], row[2], row[4],
                                                              row[6], row[7])
        failed_runs = before.get(url, 0) + 1
        hold = policy.parked_for(failed_runs)
        until = fetched_at + hold if hold is not None else None
        if failed_runs >= 2:
            note = f"{_ordinal(failed_runs)} run in a row"
            if until is not None:
                note += f"; parked until {until:%Y-%m-%d %H:%M} UTC"
            error = f"{error} ({note})" if error else note
            out[i] = (*row[:7], error, *row[8:])
        rows.append((url, source_id, failed_runs, fetched_at, run_id, outcome, error, until))
    columns = (("url", pa.string()), ("source_id", pa.string()), ("failed_runs", pa.int32()),
               ("last_failed_at", pa.timestamp("us")), ("last_run_id", pa.string()),
               ("last_outcome", pa.string()), ("last_error", pa.string()),
               ("parked_until", pa.timestamp("us")))
    streaks = pa.table([pa.array([r[i] for r in rows], t) for i, (_, t) in enumerate(columns)],
                       names=[n for n, _ in columns])
    with registered(con, streaks=streaks):
        con.execute(sql("load/upsert_streaks"))
    return out


def start_run(con: duckdb.DuckDBPyConnection, flow: str,
              prefect_flow_run_id: str | None = None) -> str:
    run_id = str(uuid.uuid4())
    con.execute(sql("load/crash_stale_runs"))
    con.execute(sql("load/start_run"), [run_id, flow, prefect_flow_run_id, now()])
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str,
               counts: dict[str, int], seconds: float, message: str | None = None) -> None:
    con.execute(
        sql("load/finish_run"),
        [now(), status, counts.get("discovered", 0), counts.get("new", 0),
         counts.get("fetched", 0), counts.get("failed", 0), counts.get("loaded", 0),
         seconds, message, run_id])


def record_run_sources(con: duckdb.DuckDBPyConnection, run_id: str,
                       rows: Iterable[dict[str, Any]]) -> None:
    for r in rows:
        con.execute(
            sql("load/record_run_source"),
            [run_id, r["source_id"], r["feeds_ok"], r["feeds_failed"], r["discovered"],
             r["new"], r["fetched"], r["failed"], r["loaded"], r.get("error"),
             r.get("deferred", 0), r.get("parked", 0)])


def _fetch_log_row(run_id: str, source_id: str, url: str, outcome: str, error: str | None,
                   result: Any) -> tuple[Any, ...]:
    fetched_at = result.fetched_at.replace(tzinfo=None) if result is not None else now()
    return (run_id, source_id, url, getattr(result, "final_url", None), fetched_at,
            getattr(result, "status", None), outcome, error,
            len(result.body) if result is not None and result.body is not None else None,
            getattr(result, "elapsed_ms", None), getattr(result, "attempts", None))


_FETCH_LOG_COLS = ("run_id", "source_id", "url", "final_url", "fetched_at", "status_code",
                   "outcome", "error", "bytes", "elapsed_ms", "attempts")
_FETCH_LOG_TYPES = (pa.string(), pa.string(), pa.string(), pa.string(), pa.timestamp("us"),
                    pa.int32(), pa.string(), pa.string(), pa.int64(), pa.int32(), pa.int32())


def load_batch(con: duckdb.DuckDBPyConnection, run_id: str, articles: list[ArticleRecord],
               failures: list[FailedUrl], fetches: dict[str, Any],
               parking: ParkingPolicy | None = None) -> LoadStats:
    """Load one batch atomically: articles, mentions, co-mentions, keywords, fetch_log and
    the URLs' failure streaks (url_parking, under ``parking``).

    Idempotent: an article whose canonical URL is already stored is logged as a duplicate,
    not inserted again.
    """
    stats = LoadStats()
    con.execute("BEGIN TRANSACTION")
    try:
        urls = [a.url for a in articles]
        existing = set()
        if urls:
            with registered(con, probe=_urls(urls)):
                existing = {r[0] for r in con.execute(
                    "SELECT url FROM articles WHERE url IN (SELECT url FROM probe)").fetchall()}
        hashes = {a.content_hash for a in articles}
        first_by_hash: dict[str, int] = {}
        if hashes:
            hp = pa.table({"h": pa.array(sorted(hashes), pa.string())})
            with registered(con, hp=hp):
                first_by_hash = dict(con.execute(
                    "SELECT content_hash, min(article_id) FROM articles "
                    "WHERE content_hash IN (SELECT h FROM hp) GROUP BY 1").fetchall())
        next_id = con.execute("SELECT coalesce(max(article_id), 0) + 1 FROM articles"
                              ).fetchone()[0]
        first_id = next_id
        art_rows, log_rows = [], []
        derived: list[tuple[int, ArticleRecord]] = []
        signatures: list[tuple[int, bytes | None]] = []
        seen: set[str] = set()
        for a in articles:
            res = fetches.get(a.discovered_url)
            if a.url in existing or a.url in seen:
                stats.duplicates += 1
                log_rows.append(_fetch_log_row(run_id, a.source_id, a.discovered_url,
                                               "duplicate", f"already stored as {a.url}", res))
                continue
            seen.add(a.url)
            aid = next_id
            next_id += 1
            dup = first_by_hash.get(a.content_hash)
            if dup is None:
                first_by_hash[a.content_hash] = aid
            art_rows.append((aid, a.source_id, a.url, a.fetched_url, a.title, a.author,
                             a.published, a.date_source, a.fetched_at.replace(tzinfo=None),
                             a.language, a.sitename, a.text, a.word_count, a.content_hash,
                             dup, run_id, a.language_source, a.declared_language,
                             a.detected_language, a.language_confidence, aid,
                             a.date_agree, a.date_disagree))
            signatures.append((aid, a.signature))
            derived.append((aid, a))
            log_rows.append(_fetch_log_row(run_id, a.source_id, a.discovered_url, "loaded",
                                           None, res))
            stats.loaded += 1
            stats.loaded_by_source[a.source_id] = stats.loaded_by_source.get(a.source_id, 0) + 1
        for f in failures:
            outcome = f.outcome
            if outcome == "http_error" and f.result is not None and f.result.status in (404, 410):
                outcome = "gone"
            log_rows.append(_fetch_log_row(run_id, f.source_id, f.url, outcome, f.error,
                                           f.result))
            stats.failed += 1
        log_rows = track_failure_streaks(con, log_rows, parking or ParkingPolicy())
        insert_arrow(con, "articles", (
            "article_id", "source_id", "url", "fetched_url", "title", "author", "published",
            "date_source", "fetched_at", "language", "sitename", "text", "word_count",
            "content_hash", "duplicate_of", "run_id", "language_source", "declared_language",
            "detected_language", "language_confidence", "story_id", "date_agree",
            "date_disagree"), art_rows, (
            pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(), pa.string(),
            pa.date32(), pa.string(), pa.timestamp("us"), pa.string(), pa.string(),
            pa.string(), pa.int32(), pa.string(), pa.int64(), pa.string(), pa.string(),
            pa.string(), pa.string(), pa.float64(), pa.int64(), pa.int32(), pa.int32()))
        insert_derived(con, derived)
        insert_arrow(con, "fetch_log", _FETCH_LOG_COLS, log_rows, _FETCH_LOG_TYPES)
        # Near-duplicate stories (migration 003): each article starts as a story of its
        # own (story_id above) and joins older similar articles' stories here.
        assign_stories(con, signatures, first_id)
        # Same transaction: a snapshot never has rows the rollups do not count.
        update_rollups(con, first_id, [(r[0], r[1], r[4], r[6], r[7]) for r in log_rows])
        con.execute("COMMIT")
    except BaseException:  # a cancelled run too must not leave the transaction open
        con.execute("ROLLBACK")
        raise
    return stats

