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
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from blocwatch.orchestration.executors import process_pool
from blocwatch.orchestration.reprocess import ArchivedItem, reprocess_pages
from blocwatch.records import ArticleRecord
from blocwatch.stages.archive import ArchiveIndex, index_archive
from flows.common import alerts_after_load, publish_task
from flows.lifecycle import final_state, run_name, timeout
from flows.report import RunProgress, alerts_markdown, report
from flows.run import LOCK_TIMEOUT_S, RunOptions, WriterRun, load_inputs, writer_run
from warehouse import ops


@task(name="index-archive", cache_policy=NO_CACHE)
def index_task(raw_dir: str, wanted: set[str]) -> ArchiveIndex:
    """Find each stored article's latest page in data/raw/*.warc.gz (offsets only)."""
    return index_archive(Path(raw_dir), wanted)


@task(name="reprocess-batch", cache_policy=NO_CACHE)
def reprocess_batch_task(con: duckdb.DuckDBPyConnection, items: list[ArchivedItem],
                         taxonomy_path: str, executor: Executor | None,
                         on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Re-extract and re-tag one batch from the archive and write it (caller's transaction)."""
    records: list[tuple[int, ArticleRecord]] = []
    per_source: dict[str, dict[str, int]] = {}
    failures: list[str] = []
    results = reprocess_pages(items, taxonomy_path, executor, on_progress)
    for aid, sid, res in results:
        row = per_source.setdefault(sid, {"reprocessed": 0, "failed": 0, "text_changed": 0})
        if isinstance(res, ArticleRecord):
            records.append((aid, res))
            row["reprocessed"] += 1
        else:
            row["failed"] += 1
            failures.append(f"{res.url}: {res.error}")
    changed = set(ops.replace_derived(con, records))
    for aid, sid, _ in results:
        per_source[sid]["text_changed"] += aid in changed
    return {"reprocessed": len(records), "changed": len(changed), "failed": len(failures),
            "failures": failures[:5], "per_source": per_source}


@flow(name="reprocess", log_prints=True, flow_run_name=run_name("reprocess"),
      timeout_seconds=timeout("reprocess"))
def reprocess(sources_file: str | None = None, taxonomy_file: str | None = None,
              data_dir: str | None = None, only_sources: list[str] | None = None,
              workers: int | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S,
              show_progress: bool = False) -> State:
    """Re-extract and re-tag stored articles from the raw archive; no page is fetched.

    Run it after editing taxonomy.yaml: entities and aliases are refreshed, every article
    with a page in data/raw is extracted and tagged again, mentions, co-mentions, keywords,
    duplicate links and the rollups are rebuilt, spike alerts re-checked, and the snapshot
    published. The run ends Completed, or Skipped when the writer stayed busy.

    Args:
        sources_file: outlets (default: ./sources.yaml, else $BLOCWATCH_HOME/sources.yaml);
            read for the outlet table and languages only.
        taxonomy_file: entities to tag (default: ./taxonomy.yaml, else
            $BLOCWATCH_HOME/taxonomy.yaml, else the one shipped with blocwatch).
        data_dir: data directory (default: $BLOCWATCH_DATA, else $BLOCWATCH_HOME/data,
            else ./data).
        only_sources: reprocess only these outlets' articles.
        workers: extraction processes (default: one per core; 1 = inline).
        lock_timeout_s: how long to wait while another run writes the warehouse (the
            Prefect concurrency limit, then the file lock); after that the run ends
            Skipped (logged, nothing written).
        show_progress: draw a progress bar on the terminal (the CLI sets it).
    """
    inputs = load_inputs(RunOptions(
        sources_file=sources_file, taxonomy_file=taxonomy_file, data_dir=data_dir,
        workers=workers, lock_timeout_s=lock_timeout_s, show_progress=show_progress))
    languages = {s.id: s.language for s in inputs.config.sources}

    with writer_run("reprocess", inputs) as run:
        if run.skipped:
            return final_state(run.skipped)
        return final_state(_reprocess(run, languages, only_sources))


def _reprocess(run: WriterRun, languages: dict[str, str],
               only_sources: list[str] | None) -> dict[str, Any]:
    """The run under the lock: index the archive, re-extract in batches inside one
    transaction, rebuild what depends on the rewritten rows, alert, publish."""
    con, counts, logger, paths = run.db, run.counts, run.logger, run.paths
    taxonomy_path = run.inputs.taxonomy_path
    articles = ops.articles_to_reprocess(con, only_sources)
    before = ops.mention_totals(con)
    index = index_task(str(paths.raw_dir), set(articles["fetched_url"]))
    for err in index.errors:
        logger.warning("archive: %s", err)
    items: list[ArchivedItem] = []
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
    size = run.config.settings.batch_size
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    logger.info("reprocessing %d articles from %d archive files in %d batches",
                len(items), index.files, len(batches))
    changed = duplicates = 0
    failures: list[str] = []
    executor = process_pool(taxonomy_path, run.options.workers) if items else None
    con.execute("BEGIN TRANSACTION")
    try:
        with RunProgress("reprocess", "re-extracting and re-tagging", len(items),
                         run.options.show_progress) as progress:
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
    run.finish("completed", json.dumps(summary))
    fresh = alerts_after_load(run, feeds=False)
    # Texts were rewritten in place: the full-text index is built again from them.
    publish_task(con, str(paths.work_db), str(paths.published_db), rebuild_index=True)
    summary.update(run_id=run.run_id, seconds=round(run.seconds(), 2),
                   published=str(paths.published_db), new_alerts=len(fresh))
    report("reprocess", summary, list(per_source.values()), alerts_markdown(fresh))
    logger.info("reprocess finished: %s", summary)
    return summary
