"""Publishing the work database as the snapshot readers open.

DuckDB lets one process hold a read-write handle and refuses others while it does, so
readers never open the work file: after each successful load the writer checkpoints it
and atomically replaces the published copy. A crash at any point leaves the previous
snapshot whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from warehouse import textindex, topics


def publish(con: duckdb.DuckDBPyConnection, work_db: Path, published_db: Path,
            rebuild_index: bool = False, before_copy: Callable[[], object] | None = None
            ) -> Path:
    """Bring the full-text index up to date (``rebuild_index``: index every article again),
    count the saved topics with it, run ``before_copy``, checkpoint the work DB and
    atomically replace the published snapshot with a copy.

    The index generation is made and recorded in the work DB first, so the new snapshot
    names an index state that exists; older generations are pruned once it is published
    (warehouse/textindex.py)."""
    indexed = textindex.sync(con, work_db.parent, rebuild=rebuild_index)
    # Saved topics are counted with the index generation this snapshot will name.
    topics.count_topics(con, work_db, rebuilt=indexed["rebuilt"])
    if before_copy is not None:
        # What must see those counts and be in this snapshot (the run's alerts).
        before_copy()
    con.execute("CHECKPOINT")
    tmp = published_db.with_name(f".{published_db.name}.{os.getpid()}.tmp")
    # A publish killed mid-copy leaves its temporary copy behind, as large as the
    # warehouse. One flow writes at a time (data/work.lock), so any other one is stale.
    for stale in published_db.parent.glob(f".{published_db.name}.*.tmp"):
        if stale != tmp:
            stale.unlink(missing_ok=True)
    try:
        shutil.copyfile(work_db, tmp)
        replace_durably(tmp, published_db)
    finally:
        tmp.unlink(missing_ok=True)
    generation = indexed["generation"]
    textindex.prune(work_db.parent, {generation, generation - 1})
    return published_db


def replace_durably(tmp: Path, target: Path) -> None:
    """Put the finished file ``tmp`` in ``target``'s place atomically, and durably: its
    bytes are on disk before the rename, and the rename is on disk before returning. A
    crash leaves either the old file or the new one, whole."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
