"""Re-extraction from the raw archive: stored articles' pages found in data/raw, processed
again by the page stage, without fetching anything (after ``taxonomy.yaml`` changes, or an
extractor upgrade)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed

from blocwatch.orchestration.executors import WorkerCrashed
from blocwatch.records import ArticleRecord, PageFailure, PageInput
from blocwatch.stages.archive import ArchivedPage, read_bodies
from blocwatch.stages.page import add_keywords, process_page

__all__ = ["ArchivedItem", "page_input", "reprocess_pages"]

# (article_id, source_id, language, archived page)
ArchivedItem = tuple[int, str, str, ArchivedPage]


def page_input(page: ArchivedPage, body: bytes, content_type: str, source_id: str,
               language: str) -> PageInput:
    """What process_page needs, as the fetch stage would have built it (minus the feed
    date: the stored publication date is kept instead)."""
    return PageInput(url=page.refers_to or page.target_uri, final_url=page.target_uri,
                     body=body, content_type=content_type, source_id=source_id,
                     source_language=language, feed_date=None, fetched_at=page.fetched_at)


def reprocess_pages(items: Iterable[ArchivedItem], taxonomy_path: str,
                    executor: Executor | None,
                    on_progress: Callable[[int], None] | None = None
                    ) -> list[tuple[int, str, ArticleRecord | PageFailure]]:
    """Read each item's page from the archive and process it again: (article_id,
    source_id, record or failure) per item. Each archive file is read once, in offset
    order; a page that cannot be read fails alone."""
    by_page: dict[int, list[tuple[int, str, str]]] = {}
    pages: dict[int, ArchivedPage] = {}
    for aid, sid, lang, page in items:
        by_page.setdefault(id(page), []).append((aid, sid, lang))
        pages[id(page)] = page
    inputs: list[PageInput] = []
    owners: list[tuple[int, str]] = []
    unreadable: list[tuple[int, str, PageFailure]] = []
    for page, body, ctype in read_bodies(pages.values()):
        for aid, sid, lang in by_page[id(page)]:
            if body is None:  # ctype holds the reason
                unreadable.append((aid, sid, PageFailure(page.target_uri, "unreadable", ctype)))
                continue
            inputs.append(page_input(page, body, ctype, sid, lang))
            owners.append((aid, sid))
    results: dict[int, ArticleRecord | PageFailure] = {}
    if executor is None:
        for i, p in enumerate(inputs):
            results[i] = process_page(p, taxonomy_path)
            if on_progress is not None:
                on_progress(1)
    else:
        futures = {executor.submit(process_page, p, taxonomy_path, False): i
                   for i, p in enumerate(inputs)}
        for fut in as_completed(futures):
            try:
                done = fut.result()
                # Keywords here, not in the workers (blocwatch.stages.page says why).
                results[futures[fut]] = (done if isinstance(done, PageFailure)
                                         else add_keywords(done, taxonomy_path))
            except WorkerCrashed as exc:
                results[futures[fut]] = PageFailure(inputs[futures[fut]].url,
                                                    "worker_crashed", str(exc))
            if on_progress is not None:
                on_progress(1)
    out = [(aid, sid, results[i]) for i, (aid, sid) in enumerate(owners)]
    for failure in unreadable:
        out.append(failure)
        if on_progress is not None:
            on_progress(1)
    return out
