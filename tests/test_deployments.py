"""prefect.yaml: every flow deployed, entrypoints real, parameters documented; and the whole
path an operator takes: `prefect server start`, a process work pool, `prefect deploy --all`,
a worker, an ingest run against the local demo web, then a reprocess that fetches nothing.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from prefect import Flow

from tests.conftest import (
    BIN,
    REPO,
    PrefectServer,
    build_demo,
    free_port,
    prefect_env,
    wait_http,
)
from warehouse.db import connect_reader

PREFECT_YAML = REPO / "prefect.yaml"
POOL = "blocwatch-process"


def project() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))


def flows_in_package() -> dict[str, tuple[str, Flow]]:
    """Every Prefect flow defined in flows/*.py, as flow name → (entrypoint, flow)."""
    found = {}
    for path in sorted((REPO / "flows").glob("*.py")):
        module = importlib.import_module(f"flows.{path.stem}")
        for attr, obj in vars(module).items():
            if isinstance(obj, Flow) and obj.fn.__module__ == module.__name__:
                found[obj.name] = (f"flows/{path.name}:{attr}", obj)
    return found


def deployment_block(name: str) -> str:
    """The raw text of one deployment in prefect.yaml, comments included."""
    text = PREFECT_YAML.read_text(encoding="utf-8")
    start = text.index(f"  - name: {name}\n")
    nxt = text.find("\n  - name: ", start + 1)
    return text[start:nxt if nxt != -1 else len(text)]


# --- the file ----------------------------------------------------------------------------

def test_every_flow_has_a_deployment_and_every_entrypoint_exists() -> None:
    deployments = project()["deployments"]
    flows = flows_in_package()
    assert {"ingest", "backfill", "reprocess", "maintenance"} <= set(flows)
    by_entrypoint = {d["entrypoint"]: d for d in deployments}
    for name, (entrypoint, _) in flows.items():
        assert entrypoint in by_entrypoint, f"flow {name} has no deployment in prefect.yaml"
    for d in deployments:
        file, func = d["entrypoint"].rsplit(":", 1)
        assert (REPO / file).is_file(), f"{d['name']}: {file} does not exist"
        module = importlib.import_module(".".join(Path(file).with_suffix("").parts))
        assert isinstance(getattr(module, func, None), Flow), d["entrypoint"]


def test_deployments_share_pool_and_schedules_from_definitions() -> None:
    text = PREFECT_YAML.read_text(encoding="utf-8")
    # Shared settings are written once under definitions: and referenced by alias.
    data = project()
    assert text.count("*local_process") == len(data["deployments"])
    by_name = {d["name"]: d for d in data["deployments"]}
    assert set(by_name) == {"ingest", "backfill", "reprocess", "maintenance"}
    for d in by_name.values():
        assert d["work_pool"]["name"] == POOL
    assert [s["cron"] for s in by_name["ingest"]["schedules"]] == ["*/30 * * * *"]
    assert len(by_name["maintenance"]["schedules"]) == 1
    assert re.fullmatch(r"\d+ \d+ \* \* \*", by_name["maintenance"]["schedules"][0]["cron"])
    assert by_name["backfill"]["schedules"] == [] and by_name["reprocess"]["schedules"] == []
    assert data["pull"][0]["prefect.deployments.steps.set_working_directory"][
        "directory"] == "{{ $BLOCWATCH_HOME }}"


def test_every_parameter_is_documented_in_prefect_yaml_and_the_docstring() -> None:
    flows = flows_in_package()
    for d in project()["deployments"]:
        flow = next(f for e, f in flows.values() if e == d["entrypoint"])
        block = deployment_block(d["name"])
        doc = inspect.getdoc(flow.fn) or ""
        for param in inspect.signature(flow.fn).parameters:
            assert re.search(rf"#.*\b{param}\b", block), f"{d['name']}: {param} undocumented"
            assert re.search(rf"^\s+{param}:", doc, re.M), f"{flow.name}: {param} not in Args"
        for param in d.get("parameters") or {}:
            assert param in inspect.signature(flow.fn).parameters, param


def test_no_secret_values_in_prefect_yaml() -> None:
    text = PREFECT_YAML.read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.search(r"(password|token|secret|api_key|webhook)\s*:", line, re.I):
            assert "{{" in line, f"secret-looking value not given as a reference: {line}"


def test_cli_has_a_command_per_deployment() -> None:
    from datetime import date

    from blocwatch.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["backfill", "--start", "2026-07-01", "--end", "2026-07-31",
                              "--sitemap", "http://x.test/s.xml", "--archive-page",
                              "http://x.test/archive/", "--archive-page", "http://x.test/b/"])
    assert (args.start, args.end) == (date(2026, 7, 1), date(2026, 7, 31))
    assert args.sitemap == ["http://x.test/s.xml"]
    assert args.archive_page == ["http://x.test/archive/", "http://x.test/b/"]
    for name in ("serve", "backfill", "reprocess", "maintenance"):
        assert parser.parse_args([name]).func.__name__ == f"cmd_{name}"
    with pytest.raises(SystemExit):
        parser.parse_args(["backfill", "--start", "July"])


# --- a worker running the deployments ------------------------------------------------------

@pytest.fixture(scope="module")
def worker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A second `prefect server start`, with the scheduler off so no cron run can start
    while the test drives runs by hand (the session server keeps its scheduler)."""
    home = tmp_path_factory.mktemp("prefect-worker-home")
    port = free_port()
    env = {**prefect_env(home), "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"}
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_http(f"{api}/health", timeout=180, proc=proc)
        yield PrefectServer(api, home, {**env, "PREFECT_API_URL": api})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_cli(args: list[str], env: dict[str, str], cwd: Path = REPO) -> str:
    out = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=180)
    assert out.returncode == 0, f"prefect {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def alias_count(con: duckdb.DuckDBPyConnection, word: str) -> tuple[int, set[int]]:
    """Case-sensitive whole-word occurrences of ``word`` in headlines and texts, counted
    with a plain regex, independently of the tagger; and the articles holding one."""
    pattern = re.compile(rf"\b{re.escape(word)}\b")
    total, ids = 0, set()
    for aid, title, text in con.execute("SELECT article_id, title, text FROM articles"
                                        ).fetchall():
        n = len(pattern.findall(title or "")) + len(pattern.findall(text or ""))
        total += n
        if n:
            ids.add(aid)
    return total, ids


def test_worker_runs_ingest_then_reprocess_without_fetching(
        worker_server: PrefectServer, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from blocwatch.demo.server import DemoWeb

    corpus = build_demo(tmp_path, articles=150, seed=7)
    ledger = json.loads((corpus / "ledger.json").read_text(encoding="utf-8"))
    data = tmp_path / "data"
    env = {**worker_server.env, "BLOCWATCH_HOME": str(REPO),
           "BLOCWATCH_DATA": str(tmp_path / "default-data"),
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1"}

    run_cli(["work-pool", "create", POOL, "--type", "process"], env)
    run_cli(["--no-prompt", "deploy", "--all"], env)
    worker_log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", POOL],
                              env=env, cwd=tmp_path, stdout=worker_log,
                              stderr=subprocess.STDOUT)
    try:
        with temporary_settings(updates={PREFECT_API_URL: worker_server.api_url}), \
                DemoWeb(corpus / "web") as web:
            with get_client(sync_client=True) as client:
                deployed = {d.name: d for d in client.read_deployments()}
            assert set(deployed) == {"ingest", "backfill", "reprocess", "maintenance"}
            assert all(d.work_pool_name == POOL for d in deployed.values())

            common = {"sources_file": str(corpus / "sources.yaml"), "data_dir": str(data)}
            started = time.monotonic()
            run = run_deployment("ingest/ingest", timeout=300, poll_interval=1, parameters={
                **common, "taxonomy_file": str(REPO / "taxonomy.yaml"),
                "resolve": web.resolve_map(), "workers": 2})
            assert run.state is not None and run.state.is_completed(), (
                run.state, (tmp_path / "worker.log").read_text(errors="replace")[-3000:])
            ingest_s = time.monotonic() - started

            con = connect_reader(data / "blocwatch.duckdb")
            try:
                urls = sorted(r[0] for r in con.execute("SELECT url FROM articles").fetchall())
                assert urls == sorted(a["url"] for a in ledger["articles"])
                assert con.execute("SELECT flow, status, prefect_flow_run_id FROM runs"
                                   ).fetchall() == [("ingest", "completed", str(run.id))]
                # The multi-outlet burst of the demo raises its alerts through the worker too.
                spikes = {r[0] for r in con.execute(
                    "SELECT alert_key FROM alerts WHERE kind = 'spike'").fetchall()}
                burst = next(b for b in ledger["bursts"] if b["kind"] == "multi_outlet")
                assert {f"spike:{e}:{burst['week_start']}" for e in burst["entities"]} <= spikes
                word = "Shipping"
                aliases = [r[0] for r in con.execute("SELECT alias FROM entity_aliases"
                                                     ).fetchall()]
                assert not any(word in a or a in word for a in aliases)
                expected, holders = alias_count(con, word)
                entity = "un"
                had = {r[0] for r in con.execute(
                    "SELECT article_id FROM mentions WHERE entity_id = ?", [entity]).fetchall()}
                before = con.execute("SELECT count(*), sum(body_count + title_count) "
                                     "FROM mentions").fetchone()
            finally:
                con.close()
            assert expected > 10

            taxonomy = yaml.safe_load((REPO / "taxonomy.yaml").read_text(encoding="utf-8"))
            target = next(e for e in taxonomy["entities"] if e["id"] == entity)
            target["aliases"] = [*target["aliases"], word]
            edited = tmp_path / "taxonomy.yaml"
            edited.write_text(yaml.safe_dump(taxonomy, sort_keys=False, allow_unicode=True),
                              encoding="utf-8")

            web.reset_counts()
            run = run_deployment("reprocess/reprocess", timeout=300, poll_interval=1, parameters={
                **common, "taxonomy_file": str(edited), "workers": 2})
            assert run.state is not None and run.state.is_completed(), run.state
            assert web.request_count == 0, web.requests[:5]

            con = connect_reader(data / "blocwatch.duckdb")
            try:
                after = con.execute("SELECT count(*), sum(body_count + title_count) "
                                    "FROM mentions").fetchone()
                assert after[1] - before[1] == expected
                assert after[0] - before[0] == len(holders - had)
                assert (entity, word) in con.execute(
                    "SELECT entity_id, alias FROM entity_aliases").fetchall()
                assert con.execute("SELECT flow, status, fetched, loaded FROM runs "
                                   "WHERE flow = 'reprocess'").fetchall() == [
                    ("reprocess", "completed", 0, 0)]
            finally:
                con.close()

            with get_client(sync_client=True) as client:
                artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[run.id])))
            kinds = {(a.key, a.type) for a in artifacts}
            assert {("reprocess-sources", "table"), ("reprocess-summary", "markdown"),
                    ("reprocess-progress", "progress")} <= kinds
            progress = next(a for a in artifacts if a.type == "progress")
            assert float(progress.data) == pytest.approx(100.0)
            print(f"ingest through the worker took {ingest_s:.1f} s")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()
