"""The warehouse's SQL: one ``.sql`` file per statement under ``warehouse/queries/``, read
once, and Arrow tables handed to DuckDB by name.

``/*name*/`` in a file stands for the statement in ``queries/<name>.sql`` (spliced in,
as a subquery's body), so a rollup's definition is written once and used by its
incremental MERGE, its rebuild and the migration that backfills it. The dashboard's
queries splice their shared fragments the same way (``read_sql``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import duckdb
import pyarrow as pa

__all__ = ["arrow_table", "read_sql", "registered", "sql"]

_SPLICE_RE = re.compile(r"/\*([a-z0-9_/]+)\*/")


def read_sql(folder: Traversable, name: str, fragment: str = "{}") -> str:
    """The text of ``<folder>/<name>.sql`` with each ``/*part*/`` replaced by the file
    ``fragment.format(part)`` + ``.sql`` in ``folder`` (its own fragments spliced too); a
    comment naming no file stays as it is."""
    text = folder.joinpath(f"{name}.sql").read_text(encoding="utf-8")

    def splice(m: re.Match[str]) -> str:
        part = fragment.format(m.group(1))
        if not folder.joinpath(f"{part}.sql").is_file():
            return m.group(0)
        return "\n" + read_sql(folder, part, fragment).strip().rstrip(";") + "\n"

    return _SPLICE_RE.sub(splice, text)


@functools.cache
def sql(name: str) -> str:
    """The text of ``warehouse/queries/<name>.sql``, its ``/*name*/`` fragments spliced in."""
    return read_sql(resources.files("warehouse").joinpath("queries"), name)


def arrow_table(columns: dict[str, tuple[list[Any], pa.DataType]]) -> pa.Table:
    """An Arrow table from named columns of values and their types."""
    return pa.table({name: pa.array(values, type=t) for name, (values, t) in columns.items()})


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """The Arrow tables visible to SQL on ``con`` under their keyword names for the block."""
    _finish_result(con)
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        _finish_result(con)
        for name in tables:
            con.unregister(name)


def _finish_result(con: duckdb.DuckDBPyConnection) -> None:
    # DuckDB 2 refuses to (un)register while an earlier result is still open (fetchone()
    # leaves one): finish it, as the next execute() would. DuckDB 1.x has no complete()
    # and no such rule.
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()
