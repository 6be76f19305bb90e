"""The raw archive: every fetched response kept as WARC, so articles can be re-extracted
and re-tagged later without refetching; and its one reader.

Writing: one gzip member per record, appended as responses arrive. Reading: each response
record names the final URL (``WARC-Target-URI``, whose canonical form is
``articles.fetched_url``) and the URL as discovered (``WARC-Refers-To-Target-URI``). A
first pass indexes record offsets only; bodies are read batch by batch, so memory stays
flat however large the archive.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from blocwatch.records import FetchResult
from blocwatch.stages.urls import canonical_url


class WarcArchive:
    """Appends responses to one gzip-compressed WARC file, one gzip member per record (the
    standard .warc.gz layout, so any WARC tool and a seek to a record's offset read it)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = open(path, "ab")  # noqa: SIM115 - closed in close()
        self._buffer = io.BytesIO()
        # warcio compresses at level 9: about 7 ms per 170 KB page, in the flow's process,
        # beside the extraction workers. Level 1 costs 2 ms for 13% more bytes.
        self._writer = WARCWriter(self._buffer, gzip=False)
        self.records = 0

    def add(self, result: FetchResult) -> None:
        if result.body is None or result.status is None or result.final_url is None:
            return
        http_headers = StatusAndHeaders(f"{result.status} OK", result.headers,
                                        protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            result.final_url, "response", payload=io.BytesIO(result.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": result.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                               "WARC-Refers-To-Target-URI": result.url})
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        self._fh.write(gzip.compress(self._buffer.getvalue(), compresslevel=1))
        self.records += 1

    def close(self) -> None:
        self._fh.flush()
        self._fh.close()

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading ---------------------------------------------------------------------------

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
