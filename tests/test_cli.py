"""The blocwatch command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb

from tests.conftest import BuiltWarehouse, PrefectServer
from warehouse.db import connect_reader

BLOCWATCH = str(Path(sys.executable).parent / "blocwatch")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BLOCWATCH, *args], capture_output=True, text=True, timeout=timeout,
                          env=env or dict(os.environ), cwd=cwd)


def without_blocwatch_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BLOCWATCH_")}


def test_help_lists_the_commands() -> None:
    out = run("--help")
    assert out.returncode == 0
    for cmd in ("demo", "ingest", "dashboard", "sql", "check"):
        assert cmd in out.stdout


def test_check_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("entities:\n  - {id: x, name: X, kind: country, aliases: [X]}\n")
    out = run("check", "--taxonomy", str(bad))
    assert out.returncode == 2
    assert f"{bad}, entry #1 ('x'), field 'group'" in out.stderr
    assert "Traceback" not in out.stderr


def test_check_says_where_each_file_was_found(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run("init", str(home)).returncode == 0
    env = {**without_blocwatch_env(), "BLOCWATCH_HOME": str(home)}
    out = run("check", env=env, cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"{home / 'sources.yaml'} ($BLOCWATCH_HOME): ")
    assert lines[1].startswith(f"{home / 'taxonomy.yaml'} ($BLOCWATCH_HOME): ")
    # The working directory comes first.
    (elsewhere / "taxonomy.yaml").write_bytes((home / "taxonomy.yaml").read_bytes())
    out = run("check", env=env, cwd=elsewhere)
    assert out.stdout.splitlines()[1].startswith(
        f"{elsewhere / 'taxonomy.yaml'} (working directory): ")


def test_missing_sources_names_where_it_looked(tmp_path: Path) -> None:
    out = run("check", env=without_blocwatch_env(), cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr == (
        f"blocwatch: error: sources.yaml: not found; looked in {tmp_path / 'sources.yaml'} "
        "(working directory), $BLOCWATCH_HOME (not set). To fix: pass --sources, set "
        "BLOCWATCH_HOME to the directory holding it, or run `blocwatch init` there to "
        "write an example sources.yaml\n")


def test_init_writes_the_defaults_and_keeps_edits(tmp_path: Path) -> None:
    from blocwatch.paths import DEFAULT_FILES, packaged_file

    out = run("init", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for name in DEFAULT_FILES:
        assert (tmp_path / name).read_bytes() == packaged_file(name).read_bytes(), name
    (tmp_path / "sources.yaml").write_text("# mine\n", encoding="utf-8")
    out = run("init", cwd=tmp_path)
    assert f"kept     {tmp_path / 'sources.yaml'} (exists; --force replaces it)" in out.stdout
    assert (tmp_path / "sources.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert run("init", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "sources.yaml").read_bytes() == packaged_file("sources.yaml"
                                                                     ).read_bytes()


def test_sql_query_and_csv(built_warehouse: BuiltWarehouse) -> None:
    out = run("sql", "--data-dir", str(built_warehouse.data_dir), "--csv",
              "SELECT count(*) AS n FROM articles")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["n", str(len(built_warehouse.ledger["articles"]))]


def test_sql_prints_view_counts_as_integers(built_warehouse: BuiltWarehouse) -> None:
    """daily_share's counts are HUGEINT sums; they must not come out as 3.0."""
    query = ("SELECT day, entity_id, articles, mentions, total_articles FROM daily_share "
             "ORDER BY day, entity_id LIMIT 20")
    with connect_reader(built_warehouse.published) as con:
        rows = con.execute(query).fetchall()
    out = run("sql", "--data-dir", str(built_warehouse.data_dir), "--csv", query)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "day,entity_id,articles,mentions,total_articles"
    assert lines[1:] == [",".join(str(v) for v in row) for row in rows]


def test_sql_refuses_writes_and_file_access(built_warehouse: BuiltWarehouse) -> None:
    for stmt in ("DELETE FROM articles", "COPY articles TO '/tmp/x.csv'",
                 "SELECT * FROM read_csv('/etc/passwd')"):
        out = run("sql", "--data-dir", str(built_warehouse.data_dir), stmt)
        assert out.returncode == 2, stmt
        assert "refused" in out.stderr and "Traceback" not in out.stderr


def test_sql_without_warehouse_says_what_to_do(tmp_path: Path) -> None:
    out = run("sql", "--data-dir", str(tmp_path), "SELECT 1")
    assert out.returncode == 2 and "blocwatch demo" in out.stderr


def test_interactive_sql_prompt(built_warehouse: BuiltWarehouse) -> None:
    # A statement may span lines; a refused one is reported and the prompt goes on.
    script = "SELECT 'sources=' || count(*) AS x\nFROM sources;\nDROP TABLE x;\n.quit\n"
    proc = subprocess.run([BLOCWATCH, "sql", "--data-dir", str(built_warehouse.data_dir)],
                          input=script, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    con = connect_reader(built_warehouse.published)
    n_sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    con.close()
    assert f"sources={n_sources}" in proc.stdout
    assert "refused: DROP statements are not allowed" in proc.stdout


def test_demo_command_builds_the_ledger_warehouse(tmp_path: Path,
                                                  prefect_server: PrefectServer) -> None:
    """The README's main job, end to end: the full default demo, as a subprocess."""
    data = tmp_path / "data"
    out = run("demo", "--data-dir", str(data), env=prefect_server.env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "blocwatch dashboard" in out.stdout and "blocwatch sql" in out.stdout
    ledger = json.loads((data / "demo" / "ledger.json").read_text())
    assert len(ledger["articles"]) >= 1500
    con = duckdb.connect(str(data / "blocwatch.duckdb"), read_only=True)
    stored = dict(con.execute("SELECT entity_id, sum(body_count) FROM mentions GROUP BY 1")
                  .fetchall())
    urls = [r[0] for r in con.execute("SELECT url FROM articles").fetchall()]
    dates = dict(con.execute("SELECT url, published::VARCHAR FROM articles").fetchall())
    con.close()
    expected: Counter[str] = Counter()
    for a in ledger["articles"]:
        expected.update(a["mentions"])
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in expected.items() if v}
    assert sorted(urls) == sorted(a["url"] for a in ledger["articles"])
    right = sum(dates.get(a["url"]) == a["published"] for a in ledger["articles"])
    assert right >= 0.99 * len(ledger["articles"])
