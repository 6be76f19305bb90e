"""The full-text index: tantivy over the articles' pre-analysed terms, kept beside the
warehouse and published with it.

Layout (``data/textindex/``):

- ``work/``: the writer's index, updated by ``sync`` (called by ``warehouse.publish``
  before every publish, so at the end of each ingest, backfill and reprocess run). New
  articles (ids above the last one indexed) are added; older articles whose story was
  merged into a new one are replaced (their ``story`` fast field changed).
- ``gen-<n>/``: published generations. A generation is hard links to the work index's
  segment files (immutable once written) and a copy of its ``meta.json``: cheap,
  whatever the index's size. The work database's ``text_index`` row (migration 009) names
  the generation before the database is copied to ``blocwatch.duckdb``, so every
  published snapshot names the index state made with it. After a publish, generations
  other than the new one and the one before it are deleted (a reader that opened the
  previous snapshot may still be opening its index; an index already open keeps its files
  on Linux, where an open file outlives its name).

Terms come from ``blocwatch.fulltext`` (the same analysis ``blocwatch.query.matches`` uses),
joined by spaces and split again by tantivy's whitespace tokenizer, so tantivy never
analyses text itself and a term's position is its place in ``fulltext.analyse``'s
sequence. Fast fields (no document is read to count): ``article_id``, ``day`` (days since
1970-01-01, -1 when undated), ``month`` (year * 12 + month - 1), ``story``, ``counted`` (1 for
dated articles that are not exact duplicates: what the warehouse's rollups count),
``source`` and ``language``.

A missing or unreadable work index, or one that disagrees with the warehouse (another
article count, an older layout), is rebuilt from the articles with a warning; a reader
whose generation is missing gets ``TextIndexError`` saying what to run, never an empty
result.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import tantivy

from blocwatch import fulltext

__all__ = ["SCHEMA_VERSION", "IndexState", "TextIndexError", "index_root", "open_published",
           "rebuild", "sync"]

log = logging.getLogger(__name__)

# The index layout: a change to the schema or to blocwatch.fulltext's terms bumps it, and
# the next sync rebuilds the index from the articles.
SCHEMA_VERSION = 1
TOKENIZER = "blocwatch_terms"
# tantivy's indexing memory; one thread: the writer shares two cores with the workers.
WRITER_HEAP = 64_000_000
_CHUNK = 2_000
_EPOCH = date(1970, 1, 1)
_LOCK_FILES = frozenset({".tantivy-writer.lock", ".tantivy-meta.lock"})

_SELECT = """
SELECT article_id, title, text, language, published, duplicate_of, story_id, source_id
FROM articles WHERE article_id > ? ORDER BY article_id
"""
_SELECT_IDS = """
SELECT article_id, title, text, language, published, duplicate_of, story_id, source_id
FROM articles WHERE article_id IN (SELECT unnest(?::BIGINT[])) ORDER BY article_id
"""
# Older articles of the stories the new articles joined: a merge relabels them (see
# warehouse/stories.py: a story's id is its smallest article id; a new article that joins
# two stories renames the younger one).
_RELABELLED = """
SELECT article_id FROM articles
WHERE article_id <= ? AND story_id IN (SELECT story_id FROM articles WHERE article_id > ?)
  AND story_id <> article_id
"""


class TextIndexError(RuntimeError):
    """The full-text index a snapshot names cannot be opened; the message says why and what
    to run."""


@dataclass(frozen=True)
class IndexState:
    generation: int
    schema_version: int
    articles: int
    last_article_id: int


def index_root(data_root: Path) -> Path:
    return data_root / "textindex"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("article_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("text", tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("title", tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("caps", tokenizer_name=TOKENIZER, index_option="basic")
    sb.add_integer_field("day", indexed=True, fast=True)
    sb.add_integer_field("month", indexed=True, fast=True)
    sb.add_integer_field("story", fast=True)
    sb.add_unsigned_field("counted", indexed=True, fast=True)
    sb.add_text_field("source", tokenizer_name="raw", fast=True)
    sb.add_text_field("language", tokenizer_name="raw", fast=True)
    return sb.build()


SCHEMA = _schema()


def _open(path: Path, create: bool = False) -> tantivy.Index:
    if create:
        path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
    index.register_tokenizer(
        TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    return index


def day_number(day: date | None) -> int:
    return (day - _EPOCH).days if day is not None else -1


def month_number(day: date | None) -> int:
    return day.year * 12 + day.month - 1 if day is not None else -1


def _document(row: tuple[Any, ...]) -> tantivy.Document:
    aid, title, text, language, published, duplicate_of, story, source = row
    doc = fulltext.analyse(title, text or "", language)
    d = tantivy.Document()
    d.add_unsigned("article_id", int(aid))
    d.add_text("text", " ".join(doc.text))
    d.add_text("title", " ".join(doc.title))
    d.add_text("caps", " ".join(sorted(doc.caps)))
    d.add_integer("day", day_number(published))
    d.add_integer("month", month_number(published))
    d.add_integer("story", int(story if story is not None else aid))
    d.add_unsigned("counted", int(published is not None and duplicate_of is None))
    d.add_text("source", source or "")
    d.add_text("language", language or "")
    return d


def _rows(con: duckdb.DuckDBPyConnection, statement: str, params: list[Any]
          ) -> Iterator[tuple[Any, ...]]:
    cur = con.execute(statement, params)
    while True:
        chunk = cur.fetchmany(_CHUNK)
        if not chunk:
            return
        yield from chunk


# A constant statement (no values in it): the dashboard's security tests list it.
STATE_SQL = "SELECT generation, schema_version, articles, last_article_id FROM text_index"


def state(con: duckdb.DuckDBPyConnection) -> IndexState | None:
    """The generation a database names (None before the first index build, or in a file
    from before migration 009)."""
    try:
        row = con.execute(STATE_SQL).fetchone()
    except duckdb.CatalogException:
        return None
    return IndexState(*row) if row else None


def _write_state(con: duckdb.DuckDBPyConnection, new: IndexState) -> None:
    con.execute("DELETE FROM text_index")
    con.execute("INSERT INTO text_index VALUES (?, ?, ?, ?, now()::TIMESTAMP)",
                [new.generation, new.schema_version, new.articles, new.last_article_id])


def _work_ok(work: Path, known: IndexState | None) -> str | None:
    """Why the work index cannot be updated incrementally (None: it can)."""
    if known is None:
        return "no full-text index yet"
    if known.schema_version != SCHEMA_VERSION:
        return (f"the index layout changed (version {known.schema_version} -> "
                f"{SCHEMA_VERSION})")
    if not (work / "meta.json").is_file():
        return f"{work} is missing"
    try:
        index = _open(work)
        index.reload()
        n = index.searcher().num_docs
    except Exception as exc:  # tantivy raises ValueError/OSError on a damaged index
        return f"{work} cannot be read ({type(exc).__name__}: {exc})"
    if n != known.articles:
        return f"{work} holds {n} articles where the warehouse's index record says " \
               f"{known.articles}"
    return None


def _add(writer: Any, con: duckdb.DuckDBPyConnection, statement: str, params: list[Any],
         replace: bool = False) -> tuple[int, int]:
    """Add the articles a statement selects; (count, highest id)."""
    n, last = 0, 0
    for row in _rows(con, statement, params):
        if replace:
            # By query: delete_documents_by_term makes a signed term of a Python int,
            # which matches no unsigned article_id (tests/test_textindex.py, story merge).
            writer.delete_documents_by_query(
                tantivy.Query.term_query(SCHEMA, "article_id", int(row[0])))
        writer.add_document(_document(row))
        n += 1
        last = max(last, int(row[0]))
    return n, last


def _snapshot(work: Path, generation: int) -> Path:
    """gen-<generation>: hard links to the committed segments' files, a copy of meta.json."""
    root = work.parent
    target = root / f"gen-{generation}"
    tmp = root / f".gen-{generation}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta = json.loads((work / "meta.json").read_text(encoding="utf-8"))
    prefixes = tuple(s["segment_id"].replace("-", "") for s in meta.get("segments", []))
    for entry in os.scandir(work):
        if entry.name in _LOCK_FILES or entry.name in ("meta.json", ".managed.json"):
            continue
        if prefixes and entry.name.startswith(prefixes):
            os.link(entry.path, tmp / entry.name)
    for name in (".managed.json", "meta.json"):
        if (work / name).is_file():
            shutil.copyfile(work / name, tmp / name)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def sync(con: duckdb.DuckDBPyConnection, data_root: Path, rebuild: bool = False,
         logger: Any = None) -> dict[str, Any]:
    """Bring the work index up to the work database and make a new generation of it,
    recorded in the database's ``text_index`` row (the caller publishes next).

    ``rebuild`` (reprocess: texts changed in place) indexes every article again; so does a
    missing, unreadable or out-of-date work index, with a warning saying why. Returns
    what was done: articles added, replaced, seconds, whether it rebuilt.
    """
    logger = logger or log
    started = time.perf_counter()
    root = index_root(data_root)
    work = root / "work"
    known = state(con)
    why = "a rebuild was asked for (reprocess, reindex)" if rebuild else _work_ok(work, known)
    generation = (known.generation if known else 0) + 1
    if why is not None:
        if known is not None or rebuild:
            logger.warning("full-text index: %s; rebuilding it from the warehouse", why)
        shutil.rmtree(work, ignore_errors=True)
        after = 0
    else:
        assert known is not None
        after = known.last_article_id
    index = _open(work, create=True)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    added, last = _add(writer, con, _SELECT, [after])
    replaced = 0
    if after and added:
        relabelled = [r[0] for r in con.execute(_RELABELLED, [after, after]).fetchall()]
        if relabelled:
            replaced, _ = _add(writer, con, _SELECT_IDS, [relabelled], replace=True)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    total = index.searcher().num_docs
    new = IndexState(generation, SCHEMA_VERSION, total, max(last, after))
    _snapshot(work, generation)
    _write_state(con, new)
    logger.info("full-text index: %d articles added, %d replaced, %d in all (generation %d, "
                "%.2f s)", added, replaced, total, generation, time.perf_counter() - started)
    return {"added": added, "replaced": replaced, "articles": total,
            "generation": generation, "rebuilt": why is not None,
            "seconds": round(time.perf_counter() - started, 3)}


def rebuild(con: duckdb.DuckDBPyConnection, data_root: Path, logger: Any = None
            ) -> dict[str, Any]:
    """Index every article again (a new generation)."""
    return sync(con, data_root, rebuild=True, logger=logger)


def prune(data_root: Path, keep: set[int]) -> None:
    """Delete the generations not in ``keep`` (see the module docstring)."""
    root = index_root(data_root)
    if not root.is_dir():
        return
    for entry in root.iterdir():
        if entry.name.startswith("gen-"):
            try:
                n = int(entry.name[4:])
            except ValueError:
                continue
            if n not in keep:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(".gen-"):
            shutil.rmtree(entry, ignore_errors=True)


def open_published(con: duckdb.DuckDBPyConnection, db_path: Path) -> tantivy.Searcher:
    """A searcher over the index generation the open snapshot ``con`` (the file
    ``db_path``) names; TextIndexError when it has none or it cannot be read."""
    found = state(con)
    if found is None:
        raise TextIndexError(
            f"{db_path} has no full-text index yet: the next ingest builds it, or run "
            f"`blocwatch reindex`")
    path = index_root(db_path.parent) / f"gen-{found.generation}"
    if not (path / "meta.json").is_file():
        raise TextIndexError(
            f"the full-text index {path} that {db_path} names is missing; run `blocwatch "
            f"reindex` (or the next ingest) to rebuild it from the warehouse, then open "
            f"the warehouse again")
    try:
        index = _open(path)
        index.reload()
        searcher = index.searcher()
    except Exception as exc:  # a damaged index raises ValueError/OSError
        raise TextIndexError(
            f"the full-text index {path} cannot be read ({type(exc).__name__}: {exc}); run "
            f"`blocwatch reindex` to rebuild it from the warehouse") from exc
    if searcher.num_docs != found.articles:
        raise TextIndexError(
            f"the full-text index {path} holds {searcher.num_docs} articles where {db_path} "
            f"says {found.articles}; run `blocwatch reindex` to rebuild it")
    return searcher
