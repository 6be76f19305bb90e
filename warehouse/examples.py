"""The example queries on the published warehouse, from the one file that holds them.

``warehouse/examples.yaml`` ships inside the package (package data), so an installed
blocwatch has it wherever it runs. Its readers:

- the dashboard's SQL page, one button per query;
- ``docs/sql.md``, whose "Example queries" section is :func:`markdown` (print it with
  ``python -m warehouse.examples --markdown``; ``tests/test_docs.py`` keeps the page equal
  to it);
- ``tests/test_warehouse.py``, which runs every query on the demo warehouse.
"""

from __future__ import annotations

import argparse
import functools
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from blocwatch.errors import ConfigError
from blocwatch.yamlconf import read_yaml_mapping, validate_entries

__all__ = ["EXAMPLES_FILE", "ExampleQuery", "example_queries", "examples_path", "markdown"]

EXAMPLES_FILE = "examples.yaml"


class ExampleQuery(BaseModel):
    """One example: what it answers and the statement that answers it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    sql: str

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # The title is a button label and a markdown heading: a line break would split both.
        if "\n" in value.strip():
            raise ValueError("must be one line")
        return value.strip()

    @field_validator("sql")
    @classmethod
    def _a_query(cls, value: str) -> str:
        # Only a cheap shape check here; the read-only guard judges the statement when it
        # runs (warehouse.sqlguard), and the tests run each one.
        text = value.strip()
        if not text.upper().startswith(("SELECT", "WITH")):
            raise ValueError("must be a query (SELECT or WITH ...)")
        return text


def examples_path() -> Path:
    """Where the examples file is: inside the installed ``warehouse`` package."""
    return Path(str(resources.files("warehouse").joinpath(EXAMPLES_FILE)))


@functools.cache
def example_queries() -> tuple[ExampleQuery, ...]:
    """Every example query, in the file's order (read and validated once per process)."""
    path = examples_path()
    entries = validate_entries(path, "queries", read_yaml_mapping(path).get("queries"),
                               ExampleQuery)
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise ConfigError(str(path), "the id is used twice",
                              entry=f"#{index + 1} ({entry.id!r})", field="id")
        seen.add(entry.id)
    return tuple(entries)


def markdown(queries: tuple[ExampleQuery, ...] | None = None) -> str:
    """The examples as docs/sql.md shows them: a heading and a SQL block each."""
    blocks = [f"### {q.title}\n\n```sql\n{q.sql}\n```\n"
              for q in (example_queries() if queries is None else queries)]
    return "\n".join(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.examples",
        description="Print the example queries (warehouse/examples.yaml).")
    parser.add_argument("--markdown", action="store_true",
                        help="as docs/sql.md's 'Example queries' section (the default: SQL)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(), end="")
    else:
        for q in example_queries():
            print(f"-- {q.id}: {q.title}\n{q.sql}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
