"""Schema, migrations, comments, documentation and the published file's compatibility."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from blocwatch.errors import ConfigError
from tests.conftest import BuiltWarehouse
from warehouse import examples
from warehouse.db import connect_reader, connect_writer, migrations
from warehouse.examples import ExampleQuery, example_queries
from warehouse.sqlguard import run_readonly

REPO = Path(__file__).resolve().parents[1]
SQL_DOC = REPO / "docs" / "sql.md"


def doc_section(title: str, doc: Path = SQL_DOC) -> str:
    """The text of a ``## title`` section of a docs page, up to the next ``## `` heading."""
    text = doc.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def schema_objects(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    tables = {r[0]: "table" for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    views = {r[0]: "view" for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()}
    return tables | views


def test_migrations_are_numbered_recorded_and_idempotent(tmp_path: Path) -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
    con = connect_writer(tmp_path / "w.duckdb")
    recorded = [r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()]
    con.close()
    assert recorded == versions
    con = connect_writer(tmp_path / "w.duckdb")  # second open applies nothing
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(versions)
    con.close()


def test_every_table_view_and_column_has_a_comment(tmp_path: Path) -> None:
    con = connect_writer(tmp_path / "w.duckdb")
    uncommented_cols = con.execute(
        "SELECT table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal AND (comment IS NULL OR comment = '')"
    ).fetchall()
    uncommented = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal "
        "AND comment IS NULL "
        "UNION ALL SELECT view_name FROM duckdb_views() "
        "WHERE NOT internal AND schema_name = 'main' AND comment IS NULL").fetchall()
    assert uncommented_cols == [] and uncommented == []


def test_docs_document_exactly_the_schema(tmp_path: Path) -> None:
    """docs/sql.md's table of tables and views names every one the migrations create,
    with its kind, and nothing else."""
    con = connect_writer(tmp_path / "w.duckdb")
    actual = schema_objects(con)
    documented = dict(re.findall(r"^\| `(\w+)` \| (table|view) \|",
                                 doc_section("Tables and views"), re.M))
    assert documented == actual


def test_there_are_example_queries_for_the_views_analysts_start_from() -> None:
    used = " ".join(q.sql for q in example_queries())
    for view in ("daily_articles", "daily_mentions", "weekly_co_mentions", "stories"):
        assert re.search(rf"\b{view}\b", used), view
    assert len({q.id for q in example_queries()}) == len(example_queries()) >= 5


@pytest.mark.parametrize("example", example_queries(), ids=lambda q: q.id)
def test_example_query_runs_on_the_demo_warehouse(built_warehouse: BuiltWarehouse,
                                                  example: ExampleQuery) -> None:
    df = run_readonly(built_warehouse.published, example.sql)
    assert len(df.columns) >= 2
    assert len(df) > 0, "each example should return rows on the demo warehouse"


@pytest.mark.parametrize(("entry", "problem"), [
    ("{id: Bad-Id, title: T, sql: SELECT 1}", "field 'id'"),
    ("{id: x, title: T, sql: DELETE FROM articles}", "field 'sql'"),
    ('{id: x, title: "two\\nlines", sql: SELECT 1}', "field 'title'"),
    ("{id: x, title: T, sql: SELECT 1, extra: 1}", "field 'extra'"),
])
def test_a_bad_example_entry_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      entry: str, problem: str) -> None:
    bad = tmp_path / "examples.yaml"
    bad.write_text(f"queries:\n  - {{id: ok, title: Fine, sql: SELECT 1}}\n  - {entry}\n")
    monkeypatch.setattr(examples, "examples_path", lambda: bad)
    examples.example_queries.cache_clear()
    try:
        with pytest.raises(ConfigError, match=rf"entry #2 .*{problem}"):
            examples.example_queries()
    finally:
        examples.example_queries.cache_clear()


def test_an_example_id_used_twice_is_refused(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "examples.yaml"
    bad.write_text("queries:\n  - {id: a, title: A, sql: SELECT 1}\n"
                   "  - {id: a, title: B, sql: SELECT 2}\n")
    monkeypatch.setattr(examples, "examples_path", lambda: bad)
    examples.example_queries.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"entry #2 \('a'\), field 'id': the id is used"):
            examples.example_queries()
    finally:
        examples.example_queries.cache_clear()


def test_published_file_opens_in_duckdb_cli_15(built_warehouse: BuiltWarehouse) -> None:
    cli = Path(sys.executable).parent / "duckdb"
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True,
                             check=True).stdout
    assert version.startswith("v1.5"), version
    out = subprocess.run([str(cli), "-readonly", "-csv", "-noheader",
                          str(built_warehouse.published), "-c",
                          "SELECT count(*) FROM articles; SELECT count(*) FROM daily_share;"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    con = connect_reader(built_warehouse.published)
    expected = [con.execute("SELECT count(*) FROM articles").fetchone()[0],
                con.execute("SELECT count(*) FROM daily_share").fetchone()[0]]
    con.close()
    assert [int(x) for x in out.stdout.split()] == expected
    assert expected[0] > 0


def test_reader_connection_cannot_write_or_read_files(built_warehouse: BuiltWarehouse) -> None:
    con = connect_reader(built_warehouse.published)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM articles")
    with pytest.raises(duckdb.Error):
        con.execute("SELECT * FROM read_csv('/etc/passwd')")
    con.close()
