"""The reprocess flow: re-extract and re-tag every stored article from the raw WARC archive
(after taxonomy.yaml changes, or an extractor upgrade) without fetching anything, then
rebuild the derived tables and publish.

Each article keeps its id, URLs and stored publication date; its text fields are updated
when extraction now gives something else, and its mentions, co-mentions and keywords are
rewritten. All batches write inside one transaction, so the work database never holds a
half re-tagged warehouse that a later ingest could publish.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from blocwatch.config import load_sources
from blocwatch.executors import WorkerCrashed, process_pool
from blocwatch.paths import data_paths, default_config
from blocwatch.process import ArticleRecord, PageFailure, process_page
from blocwatch.reprocess import ArchivedPage, ArchiveIndex, index_archive, page_input, read_bodies
from blocwatch.taxonomy import load_taxonomy
from flows.common import (
    RunProgress,
    alerts_markdown,
    detect_alerts,
    prefect_run_id,
    publish_task,
    raise_alerts,
    report,
    skipped,
    writer_lock,
)
from warehouse import ops
from warehouse.db import connect_writer
from warehouse.load import finish_run, start_run, sync_reference

# (article_id, source_id, language, archived page)
Item = tuple[int, str, str, ArchivedPage]


@task(name="index-archive", cache_policy=NO_CACHE)
def index_task(raw_dir: str, wanted: set[str]) -> ArchiveIndex:
    """Find each stored article's latest page in data/raw/*.warc.gz (offsets only)."""
    return index_archive(Path(raw_dir), wanted)


@task(name="reprocess-batch", cache_policy=NO_CACHE)
def reprocess_batch_task(con: duckdb.DuckDBPyConnection, items: list[Item], taxonomy_path: str,
                         executor: Executor | None,
                         on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Re-extract and re-tag one batch from the archive and write it (caller's transaction)."""
    by_page: dict[int, list[tuple[int, str, str]]] = {}
    pages: dict[int, ArchivedPage] = {}
    for aid, sid, lang, page in items:
        by_page.setdefault(id(page), []).append((aid, sid, lang))
        pages[id(page)] = page
    inputs = []
    owners = []
    unreadable: list[tuple[int, str, PageFailure]] = []
    for page, body, ctype in read_bodies(pages.values()):
        for aid, sid, lang in by_page[id(page)]:
            if body is None:  # ctype holds the reason
                unreadable.append((aid, sid, PageFailure(page.target_uri, "unreadable", ctype)))
                continue
            inputs.append(page_input(page, body, ctype, sid, lang))
            owners.append((aid, sid))
    results: list[ArticleRecord | PageFailure | None] = [None] * len(inputs)
    if executor is None:
        for i, p in enumerate(inputs):
            results[i] = process_page(p, taxonomy_path)
            if on_progress is not None:
                on_progress(1)
    else:
        futures = {executor.submit(process_page, p, taxonomy_path): i
                   for i, p in enumerate(inputs)}
        for fut in as_completed(futures):
            try:
                results[futures[fut]] = fut.result()
            except WorkerCrashed as exc:
                results[futures[fut]] = PageFailure(inputs[futures[fut]].url,
                                                    "worker_crashed", str(exc))
            if on_progress is not None:
                on_progress(1)
    for aid, sid, failure in unreadable:
        owners.append((aid, sid))
        results.append(failure)
        if on_progress is not None:
            on_progress(1)
    records: list[tuple[int, ArticleRecord]] = []
    per_source: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    for (aid, sid), res in zip(owners, results, strict=True):
        row = per_source.setdefault(sid, {"reprocessed": 0, "failed": 0, "text_changed": 0})
        if isinstance(res, ArticleRecord):
            records.append((aid, res))
            row["reprocessed"] += 1
        else:
            row["failed"] += 1
            failures.append(f"{res.url if res else aid}: {res.error if res else 'no result'}")
    changed = set(ops.replace_derived(con, records))
    for aid, sid in owners:
        per_source[sid]["text_changed"] += aid in changed
    return {"reprocessed": len(records), "changed": len(changed), "failed": len(failures),
            "failures": failures[:5], "per_source": per_source}


@flow(name="reprocess", log_prints=True)
def reprocess(sources_file: str | None = None, taxonomy_file: str | None = None,
              data_dir: str | None = None, only_sources: list[str] | None = None,
              workers: int | None = None, lock_timeout_s: float = 3600.0,
              show_progress: bool = False) -> dict[str, Any]:
    """Re-extract and re-tag stored articles from the raw archive; no page is fetched.

    Run it after editing taxonomy.yaml: entities and aliases are refreshed, every article
    with a page in data/raw is extracted and tagged again, mentions, co-mentions, keywords,
    duplicate links and the rollups are rebuilt, spike alerts re-checked, and the snapshot
    published.

    Args:
        sources_file: outlets (default: ./sources.yaml); read for the outlet table and
            languages only.
        taxonomy_file: entities to tag (default: ./taxonomy.yaml).
        data_dir: data directory (default: $BLOCWATCH_DATA or ./data).
        only_sources: reprocess only these outlets' articles.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait while another run writes the warehouse; after
            that the run is skipped (logged, nothing written).
        show_progress: draw a progress bar on the terminal (the CLI sets it).
    """
    logger = get_run_logger()
    started = time.monotonic()
    config = load_sources(sources_file or default_config("sources.yaml"))
    taxonomy_path = str(Path(taxonomy_file or default_config("taxonomy.yaml")).resolve())
    taxonomy = load_taxonomy(taxonomy_path)
    paths = data_paths(data_dir).ensure()
    languages = {s.id: s.language for s in config.sources}

    with writer_lock(paths.lock, lock_timeout_s, logger) as locked:
        if not locked:
            return skipped("reprocess", paths, lock_timeout_s, started)
        con = connect_writer(paths.work_db)
        run_id = start_run(con, "reprocess", prefect_run_id())
        counts = {"discovered": 0, "new": 0, "fetched": 0, "failed": 0, "loaded": 0}
        try:
            sync_reference(con, config, taxonomy)
            articles = ops.articles_to_reprocess(con, only_sources)
            before = ops.mention_totals(con)
            index = index_task(str(paths.raw_dir), set(articles["fetched_url"]))
            for err in index.errors:
                logger.warning("archive: %s", err)
            items: list[Item] = []
            per_source: dict[str, dict[str, Any]] = {}
            for row in articles.itertuples(index=False):
                stats = per_source.setdefault(row.source_id, {
                    "source_id": row.source_id, "articles": 0, "reprocessed": 0,
                    "text_changed": 0, "missing_raw": 0, "failed": 0})
                stats["articles"] += 1
                page = index.pages.get(row.fetched_url)
                if page is None:
                    stats["missing_raw"] += 1
                    continue
                lang = languages.get(row.source_id) or row.language or "en"
                items.append((int(row.article_id), row.source_id, lang, page))
            missing = len(articles) - len(items)
            if missing:
                logger.warning("%d article(s) have no page in %s; their derived rows are "
                               "kept as they were", missing, paths.raw_dir)
            size = config.settings.batch_size
            batches = [items[i:i + size] for i in range(0, len(items), size)]
            logger.info("reprocessing %d articles from %d archive files in %d batches",
                        len(items), index.files, len(batches))
            changed = duplicates = 0
            failures: list[str] = []
            executor = process_pool(taxonomy_path, workers) if items else None
            con.execute("BEGIN TRANSACTION")
            try:
                with RunProgress("reprocess", "re-extracting and re-tagging", len(items),
                                 show_progress) as progress:
                    done = 0
                    for i, batch in enumerate(batches, 1):
                        out = reprocess_batch_task(con, batch, taxonomy_path, executor,
                                                   progress.advance)
                        changed += out["changed"]
                        counts["failed"] += out["failed"]
                        failures += out["failures"]
                        for sid, v in out["per_source"].items():
                            for key in ("reprocessed", "failed", "text_changed"):
                                per_source[sid][key] += v[key]
                        done += len(batch)
                        progress.done(done)
                        logger.info("batch %d/%d: %d/%d articles done", i, len(batches), done,
                                    len(items))
                duplicates = ops.refresh_duplicates(con)
                ops.rebuild_summaries(con, stories_changed=changed > 0)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                if executor is not None:
                    executor.shutdown(cancel_futures=True)
            for f in failures:
                logger.warning("re-extraction failed, article kept as it was: %s", f)
            after = ops.mention_totals(con)
            summary = {"articles": len(articles), "reprocessed": len(items) - counts["failed"],
                       "text_changed": changed, "missing_raw": missing,
                       "failed": counts["failed"], "duplicate_links_changed": duplicates,
                       "mention_rows_before": before["mention_rows"],
                       "mention_rows_after": after["mention_rows"],
                       "mentions_before": before["mentions"], "mentions_after": after["mentions"],
                       "fetched": 0}
            finish_run(con, run_id, "completed", counts, time.monotonic() - started,
                       json.dumps(summary))
            try:
                fresh = raise_alerts(con, run_id, detect_alerts(con, run_id, feeds=False),
                                     logger)
            except Exception:
                logger.exception("alert detection failed; the re-tagged data is published")
                fresh = []
            publish_task(con, str(paths.work_db), str(paths.published_db))
            summary.update(run_id=run_id, seconds=round(time.monotonic() - started, 2),
                           published=str(paths.published_db), new_alerts=len(fresh))
            report("reprocess", summary, list(per_source.values()), alerts_markdown(fresh))
            logger.info("reprocess finished: %s", summary)
            return summary
        except BaseException as exc:
            finish_run(con, run_id, "failed", counts, time.monotonic() - started,
                       f"{type(exc).__name__}: {exc}")
            raise
        finally:
            con.close()

