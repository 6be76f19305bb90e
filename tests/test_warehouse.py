"""Schema, migrations, comments, documentation and the published file's compatibility."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BuiltWarehouse
from warehouse.db import connect_reader, connect_writer, migrations
from warehouse.sqlguard import run_readonly

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_section(title: str) -> str:
    start = README.index(f"\n### {title}\n")
    end = README.find("\n## ", start + 1)
    nxt = README.find("\n### ", start + 1)
    ends = [e for e in (end, nxt) if e != -1]
    return README[start:min(ends) if ends else len(README)]


def readme_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", readme_section("Example queries"), re.S)


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


def test_readme_documents_exactly_the_schema(tmp_path: Path) -> None:
    con = connect_writer(tmp_path / "w.duckdb")
    actual = schema_objects(con)
    documented = dict(re.findall(r"^\| `(\w+)` \| (table|view) \|", readme_section(
        "Tables and views"), re.M))
    assert documented == actual


def test_readme_has_at_least_five_example_queries() -> None:
    assert len(readme_queries()) >= 5


@pytest.mark.parametrize("index", range(len(readme_queries())))
def test_readme_example_query_runs(built_warehouse: BuiltWarehouse, index: int) -> None:
    df = run_readonly(built_warehouse.published, readme_queries()[index])
    assert len(df.columns) >= 2
    assert len(df) > 0, "each example should return rows on the demo warehouse"


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
