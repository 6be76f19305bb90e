"""Finding stored articles' pages in the raw WARC archive, to re-extract and re-tag them
after ``taxonomy.yaml`` changes without fetching anything again.

Each response record names the final URL (``WARC-Target-URI``, whose canonical form is
``articles.fetched_url``) and the URL as discovered (``WARC-Refers-To-Target-URI``). A
first pass indexes record offsets only; bodies are read batch by batch, so memory stays
flat however large the archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from blocwatch.process import PageInput
from blocwatch.urls import canonical_url


@dataclass(frozen=True)
class ArchivedPage:
    """Where one response is in the archive."""

    path: Path
    offset: int
    target_uri: str
    refers_to: str | None
    fetched_at: datetime | None


@dataclass
class ArchiveIndex:
    pages: dict[str, ArchivedPage]
    files: int
    records: int
    errors: list[str]


def _warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def index_archive(raw_dir: Path, wanted: set[str] | None = None) -> ArchiveIndex:
    """The latest successful response for each canonical final URL (in ``wanted``, if given).

    Files are read in name order (their names start with the run's timestamp), so a page
    fetched twice resolves to its latest copy. A truncated file (a run killed mid-write)
    keeps the records before the damage and is reported in ``errors``; a record whose body is
    cut short is still indexed (bodies are not read here) and fails when read_bodies reads it.
    """
    pages: dict[str, ArchivedPage] = {}
    errors: list[str] = []
    files = records = 0
    for path in sorted(raw_dir.glob("*.warc.gz")):
        files += 1
        try:
            with open(path, "rb") as fh:
                it = ArchiveIterator(fh)
                for record in it:
                    if record.rec_type != "response" or record.http_headers is None:
                        continue
                    records += 1
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    if not uri or not record.http_headers.get_statuscode().startswith("2"):
                        continue
                    key = canonical_url(uri)
                    if wanted is not None and key not in wanted:
                        continue
                    pages[key] = ArchivedPage(
                        path, it.get_record_offset(), uri,
                        record.rec_headers.get_header("WARC-Refers-To-Target-URI"),
                        _warc_date(record.rec_headers.get_header("WARC-Date")))
        except Exception as exc:  # warcio raises several types on a damaged file
            errors.append(f"{path.name}: {type(exc).__name__}: {exc}")
    return ArchiveIndex(pages, files, records, errors)


def read_bodies(pages: Iterable[ArchivedPage]
                ) -> Iterator[tuple[ArchivedPage, bytes | None, str]]:
    """(page, body, content type) for each page, reading each file once in offset order.

    A page that cannot be read (its record damaged or cut short, the file gone since it was
    indexed) comes back as (page, None, reason), so it fails alone.
    """
    by_file: dict[Path, list[ArchivedPage]] = {}
    for p in pages:
        by_file.setdefault(p.path, []).append(p)
    for path, items in sorted(by_file.items()):
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            for page in items:
                yield page, None, f"raw archive unreadable: {exc}"
            continue
        with fh:
            for page in sorted(items, key=lambda p: p.offset):
                try:
                    fh.seek(page.offset)
                    # Each record is its own gzip member, so reading can start at its offset.
                    record = next(iter(ArchiveIterator(fh)))
                    ctype = record.http_headers.get_header("Content-Type") or "text/html"
                    body = record.content_stream().read()
                except Exception as exc:  # warcio raises several types on a damaged record
                    yield page, None, f"raw page unreadable: {type(exc).__name__}: {exc}"
                    continue
                yield page, body, ctype


def page_input(page: ArchivedPage, body: bytes, content_type: str, source_id: str,
               language: str) -> PageInput:
    """What process_page needs, as the fetch stage would have built it (minus the feed
    date: the stored publication date is kept instead)."""
    return PageInput(url=page.refers_to or page.target_uri, final_url=page.target_uri,
                     body=body, content_type=content_type, source_id=source_id,
                     source_language=language, feed_date=None, fetched_at=page.fetched_at)
