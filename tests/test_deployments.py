"""prefect.yaml and prefect-demo.yaml: every flow deployed, entrypoints real modules of the
package, parameters documented, no code location; and the whole path an operator takes:
`prefect server start`, `blocwatch init`, a process work pool, `prefect deploy --all`
without BLOCWATCH_HOME, a worker elsewhere with BLOCWATCH_HOME set, an ingest of the demo
web, a reprocess that fetches nothing, final states that say what happened, and two
ingests at once.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from filelock import FileLock
from prefect import Flow

from blocwatch.paths import DATA_ENV, DEFAULT_FILES, HOME_ENV, packaged_file
from tests.conftest import BIN, REPO, PrefectServer
from tests.ledger import assert_matches_ledger, warehouse_view
from tests.prefect_processes import (
    POOL,
    prefect_ok,
    prefect_server,
    process_worker,
    run_logs,
    wait_final,
    wait_for_log,
    worker_tail,
)
from warehouse.db import connect_reader

PREFECT_YAML = packaged_file("prefect.yaml")
DEMO_YAML = packaged_file("prefect-demo.yaml")
ARTICLES, SEED = 150, 7


def project(path: Path = PREFECT_YAML) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def flows_in_package() -> dict[str, tuple[str, Flow]]:
    """Every Prefect flow defined in flows/*.py, as flow name → (entrypoint, flow)."""
    found = {}
    for path in sorted((REPO / "flows").glob("*.py")):
        module = importlib.import_module(f"flows.{path.stem}")
        for attr, obj in vars(module).items():
            if isinstance(obj, Flow) and obj.fn.__module__ == module.__name__:
                found[obj.name] = (f"flows.{path.stem}:{attr}", obj)
    return found


def deployment_block(name: str) -> str:
    """The raw text of one deployment in prefect.yaml, comments included."""
    text = PREFECT_YAML.read_text(encoding="utf-8")
    start = text.index(f"  - name: {name}\n")
    nxt = text.find("\n  - name: ", start + 1)
    return text[start:nxt if nxt != -1 else len(text)]


# --- the files ----------------------------------------------------------------------------

def test_every_flow_has_a_deployment_and_every_entrypoint_is_a_module() -> None:
    deployments = project()["deployments"]
    flows = flows_in_package()
    assert set(flows) == {"ingest", "backfill", "reprocess", "maintenance"}
    by_entrypoint = {d["entrypoint"]: d for d in deployments}
    for name, (entrypoint, _) in flows.items():
        assert entrypoint in by_entrypoint, f"flow {name} has no deployment in prefect.yaml"
    for d in [*deployments, *project(DEMO_YAML)["deployments"]]:
        # A module of the installed package, not a file of a checkout.
        module, func = d["entrypoint"].split(":")
        assert re.fullmatch(r"flows\.[a-z_]+", module), d["entrypoint"]
        assert isinstance(getattr(importlib.import_module(module), func, None), Flow)


def test_no_code_location_and_no_deploy_time_paths() -> None:
    for path in (PREFECT_YAML, DEMO_YAML):
        data = project(path)
        # `pull: []` exactly: a missing or null pull makes `prefect deploy` add a step that
        # changes into the deploying machine's directory.
        assert data["pull"] == [], path
        code = [line for line in path.read_text(encoding="utf-8").splitlines()
                if not line.lstrip().startswith("#")]
        assert not any("{{ $" in line for line in code), path


def test_deployments_share_pool_and_schedules_from_definitions() -> None:
    text = PREFECT_YAML.read_text(encoding="utf-8")
    # Shared settings are written once under definitions: and referenced by alias.
    data = project()
    assert text.count("*local_process") == len(data["deployments"])
    by_name = {d["name"]: d for d in data["deployments"]}
    assert set(by_name) == {"ingest", "backfill", "reprocess", "maintenance"}
    for d in by_name.values():
        assert d["work_pool"]["name"] == POOL
        assert d["work_pool"]["job_variables"] == {"env": {}}
    assert [s["cron"] for s in by_name["ingest"]["schedules"]] == ["*/30 * * * *"]
    assert len(by_name["maintenance"]["schedules"]) == 1
    assert re.fullmatch(r"\d+ \d+ \* \* \*", by_name["maintenance"]["schedules"][0]["cron"])
    assert by_name["backfill"]["schedules"] == [] and by_name["reprocess"]["schedules"] == []
    assert by_name["ingest"]["concurrency_limit"] == {"limit": 1,
                                                      "collision_strategy": "CANCEL_NEW"}
    demo = project(DEMO_YAML)["deployments"]
    assert [(d["name"], d["entrypoint"], d["parameters"]["demo_web"], d["schedules"])
            for d in demo] == [("demo", "flows.ingest:ingest", "127.0.0.1:8765",
                                [{"interval": 60}])]


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
    ingest = flows["ingest"][1]
    for param in project(DEMO_YAML)["deployments"][0]["parameters"]:
        assert param in inspect.signature(ingest.fn).parameters, param


def test_every_flow_has_a_time_limit_and_a_run_name() -> None:
    from flows.lifecycle import TIMEOUTS, describe_run

    for name, (_, flow) in flows_in_package().items():
        assert flow.timeout_seconds == TIMEOUTS[name], name
        assert callable(flow.flow_run_name), name
    when = "2026-03-01T12:30Z"
    assert describe_run("ingest", {}, when) == "ingest-2026-03-01T12:30Z"
    assert describe_run("ingest", {"demo_web": "127.0.0.1:8765"}, when) == (
        "ingest-demo-2026-03-01T12:30Z")
    assert describe_run("ingest", {"only_sources": ["tass", "nhk"]}, when) == (
        "ingest-only-tass+nhk-2026-03-01T12:30Z")
    assert describe_run("backfill", {"start_date": "2026-07-01", "end_date": "2026-07-31"},
                        when) == "backfill-2026-07-01..2026-07-31-2026-03-01T12:30Z"
    assert describe_run("backfill", {"sitemaps": ["http://x.test/s.xml"]}, when) == (
        "backfill-extra-pages-2026-03-01T12:30Z")
    assert describe_run("maintenance", {}, when) == "maintenance-2026-03-01T12:30Z"


def test_no_secret_values_in_prefect_yaml() -> None:
    for path in (PREFECT_YAML, DEMO_YAML):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"(password|token|secret|api_key|webhook)\s*:", line, re.I):
                assert "{{" in line, f"secret-looking value not given as a reference: {line}"


def test_the_checkout_uses_the_packaged_files() -> None:
    """The repository's root files are the package's defaults (symlinks), so a checkout,
    `blocwatch init` and a fallback all read the same text."""
    for name in DEFAULT_FILES:
        assert (REPO / name).resolve() == packaged_file(name).resolve(), name


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
    for name in ("serve", "backfill", "reprocess", "maintenance", "init"):
        assert parser.parse_args([name]).func.__name__ == f"cmd_{name}"
    assert parser.parse_args(["serve", "--prefect-file", "x.yaml"]).prefect_yaml == "x.yaml"
    with pytest.raises(SystemExit):
        parser.parse_args(["backfill", "--start", "July"])


# --- a worker running the deployments ------------------------------------------------------

@dataclass
class Deployed:
    server: PrefectServer
    project: Path          # what `blocwatch init` wrote; BLOCWATCH_HOME of the worker
    data: Path             # BLOCWATCH_DATA, from prefect.yaml's job variables
    ledger: dict
    worker_log: Path
    deploy_output: str


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """A server of its own (scheduler off: prefect.yaml's cron would otherwise start real
    ingests), `blocwatch init` in an empty project directory, the worker's data directory
    written into prefect.yaml's job variables as docs/deployments.md says, `prefect deploy
    --all` of both files with no BLOCWATCH_HOME, and a process worker started in another
    directory with BLOCWATCH_HOME pointing at the project (its runs inherit it)."""
    from blocwatch.demo.corpus import generate
    from blocwatch.taxonomy import load_taxonomy

    root = tmp_path_factory.mktemp("deployed")
    project_dir, data = root / "project", root / "warehouse"
    with prefect_server(root, scheduler=False) as server:
        base = {k: v for k, v in server.env.items() if k not in (HOME_ENV, DATA_ENV)}
        out = subprocess.run([str(BIN / "blocwatch"), "init", str(project_dir)], env=base,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        text = (project_dir / "prefect.yaml").read_text(encoding="utf-8")
        assert text.count("        env: {}\n") == 1
        (project_dir / "prefect.yaml").write_text(text.replace(
            "        env: {}\n", f"        env: {{{DATA_ENV}: {data}}}\n"), encoding="utf-8")
        ledger = generate(data / "demo", load_taxonomy(project_dir / "taxonomy.yaml"),
                          seed=SEED, n_articles=ARTICLES)

        prefect_ok(["work-pool", "create", POOL, "--type", "process"], base, project_dir)
        deploy_output = prefect_ok(["--no-prompt", "deploy", "--all"], base, project_dir)
        deploy_output += prefect_ok(["--no-prompt", "deploy", "--all", "--prefect-file",
                                     "prefect-demo.yaml"], base, project_dir)
        with process_worker({**base, HOME_ENV: str(project_dir)}, root / "worker-cwd",
                            root / "worker.log") as log:
            yield Deployed(server, project_dir, data, ledger, log, deploy_output)


@pytest.fixture()
def client(deployed: Deployed) -> Iterator[Any]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: deployed.server.api_url}), \
            get_client(sync_client=True) as c:
        yield c


def submit(deployed: Deployed, name: str, **kwargs: Any) -> Any:
    """Start a deployment run without waiting for it."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: deployed.server.api_url}):
        return run_deployment(name, timeout=0, **kwargs)


def run_to_end(deployed: Deployed, client: Any, name: str, **kwargs: Any) -> Any:
    run = wait_final(client, submit(deployed, name, **kwargs).id)
    assert run.state is not None
    return run


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


def test_deploying_needs_no_code_location(deployed: Deployed, client: Any) -> None:
    deployments = {f"{client.read_flow(d.flow_id).name}/{d.name}": d
                   for d in client.read_deployments()}
    assert set(deployments) == {"ingest/ingest", "backfill/backfill", "reprocess/reprocess",
                                "maintenance/maintenance", "ingest/demo"}
    for name, d in deployments.items():
        assert d.work_pool_name == POOL
        assert not d.pull_steps, (name, d.pull_steps)
        assert d.entrypoint.startswith("flows."), d.entrypoint
        # Nothing of the deploying machine travels with the deployment.
        stored = json.dumps(d.model_dump(mode="json"))
        assert str(deployed.project) not in stored and str(REPO) not in stored
        assert "{{" not in stored
    assert deployments["ingest/ingest"].job_variables == {"env": {DATA_ENV: str(deployed.data)}}


def test_worker_runs_ingest_then_reprocess_without_fetching(
        deployed: Deployed, client: Any, tmp_path: Path) -> None:
    from blocwatch.demo.server import DemoWeb

    data, ledger = deployed.data, deployed.ledger
    with DemoWeb(data / "demo" / "web") as web:
        # No paths in the parameters: the sources come from the demo web's own file under
        # BLOCWATCH_DATA (a job variable), the taxonomy from BLOCWATCH_HOME (the worker's).
        run = run_to_end(deployed, client, "ingest/ingest", parameters={
            "demo_web": f"127.0.0.1:{web.port}", "workers": 2})
        assert run.state.is_completed() and run.state.name == "Completed", (
            run.state, worker_tail(deployed.worker_log))
        assert run.name.startswith("ingest-demo-")
        logs = "\n".join(m for _, m in run_logs(client, run.id))
        assert f"taxonomy: {deployed.project / 'taxonomy.yaml'} (${HOME_ENV})" in logs
        assert f"data: {data} (${DATA_ENV})" in logs

        assert_matches_ledger(data / "blocwatch.duckdb", ledger)
        con = connect_reader(data / "blocwatch.duckdb")
        try:
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

        taxonomy = yaml.safe_load((deployed.project / "taxonomy.yaml").read_text(
            encoding="utf-8"))
        target = next(e for e in taxonomy["entities"] if e["id"] == entity)
        target["aliases"] = [*target["aliases"], word]
        edited = tmp_path / "taxonomy.yaml"
        edited.write_text(yaml.safe_dump(taxonomy, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")

        web.reset_counts()
        run = run_to_end(deployed, client, "reprocess/reprocess", parameters={
            "sources_file": str(data / "demo" / "sources.yaml"),
            "taxonomy_file": str(edited), "workers": 2})
        assert run.state.is_completed(), run.state
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

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(
        id=FlowRunFilterId(any_=[run.id])))
    kinds = {(a.key, a.type) for a in artifacts}
    assert {("reprocess-sources", "table"), ("reprocess-summary", "markdown"),
            ("reprocess-progress", "progress")} <= kinds
    progress = next(a for a in artifacts if a.type == "progress")
    assert float(progress.data) == pytest.approx(100.0)


def test_final_states_say_what_happened(deployed: Deployed, client: Any,
                                        tmp_path: Path) -> None:
    from blocwatch.demo.server import DemoWeb

    corpus = deployed.data / "demo"
    demo_outlets = 10
    # Skipped: another writer holds the warehouse lock for longer than the run waits.
    skipped_data = tmp_path / "skipped"
    skipped_data.mkdir()
    with FileLock(str(skipped_data / "work.lock")):
        run = run_to_end(deployed, client, "ingest/ingest", parameters={
            "demo_web": "127.0.0.1:9", "sources_file": str(corpus / "sources.yaml"),
            "data_dir": str(skipped_data), "lock_timeout_s": 2})
    assert (run.state.type.value, run.state.name) == ("CANCELLED", "Skipped")
    assert run.state.message == (f"the warehouse lock {skipped_data / 'work.lock'} was held "
                                 "for more than 2 s")
    assert not (skipped_data / "work.duckdb").exists()

    # Failed: no outlet answers (every host of the demo mapped to a closed port).
    dead = closed_port()
    run = run_to_end(deployed, client, "ingest/ingest", parameters={
        "demo_web": f"127.0.0.1:{dead}", "sources_file": str(corpus / "sources.yaml"),
        "data_dir": str(tmp_path / "failed")})
    assert (run.state.type.value, run.state.name) == ("FAILED", "Failed")
    assert run.state.message.startswith(f"every outlet failed ({demo_outlets}): ")
    con = connect_reader(tmp_path / "failed" / "blocwatch.duckdb")
    try:
        # Still recorded (the failing-feed alert counts these runs), nothing loaded.
        assert con.execute("SELECT count(*), sum(feeds_ok), count(*) FILTER "
                           "(WHERE feeds_failed > 0) FROM run_sources").fetchone() == (
            demo_outlets, 0, demo_outlets)
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    finally:
        con.close()

    # Partial: one outlet's host refuses connections, the nine others load.
    with DemoWeb(corpus / "web") as web:
        run = run_to_end(deployed, client, "ingest/ingest", parameters={
            "demo_web": f"127.0.0.1:{web.port}", "workers": 2,
            "resolve": {"eastwire.news.test": f"127.0.0.1:{dead}"},
            "sources_file": str(corpus / "sources.yaml"), "data_dir": str(tmp_path / "partial")})
    assert (run.state.type.value, run.state.name) == ("COMPLETED", "Partial")
    assert run.state.message.startswith(f"1 of {demo_outlets} outlets failed: eastwire (")
    urls, _ = warehouse_view(tmp_path / "partial" / "blocwatch.duckdb")
    assert urls == sorted(a["url"] for a in deployed.ledger["articles"]
                          if a["source"] != "eastwire")

    # Configuration the worker cannot find fails the run with a message naming it.
    empty = tmp_path / "empty-home"
    empty.mkdir()
    run = run_to_end(deployed, client, "maintenance/maintenance",
                     job_variables={"env": {HOME_ENV: str(empty)}})
    assert run.state.is_failed()
    assert "sources.yaml: not found; looked in " in run.state.message
    assert f"{empty / 'sources.yaml'} (${HOME_ENV})" in run.state.message
    run = run_to_end(deployed, client, "maintenance/maintenance",
                     job_variables={"env": {HOME_ENV: "{{ $BLOCWATCH_HOME }}"}})
    assert run.state.is_failed()
    assert ("BLOCWATCH_HOME: is '{{ $BLOCWATCH_HOME }}': a prefect.yaml placeholder that "
            "was never filled in") in run.state.message


def test_two_ingests_at_once(deployed: Deployed, client: Any, tmp_path: Path) -> None:
    """A second run of the ingest deployment is refused by its deployment limit; an ingest
    of another deployment (ingest/demo) waits on the writer's global concurrency limit; the
    warehouse is one run's."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from blocwatch.demo.server import DemoWeb
    from flows.run import WRITER_LIMIT, ensure_writer_limit

    data = tmp_path / "data"
    waiting = f"Prefect concurrency limit {WRITER_LIMIT} full"
    with temporary_settings(updates={PREFECT_API_URL: deployed.server.api_url}), \
            DemoWeb(deployed.data / "demo" / "web") as web:
        params = {"demo_web": f"127.0.0.1:{web.port}", "workers": 2,
                  "sources_file": str(deployed.data / "demo" / "sources.yaml"),
                  "data_dir": str(data)}
        ensure_writer_limit()
        # The test holds the writer, so both runs are certainly running at the same time.
        # Taken through the client, not prefect's concurrency(): that renews its lease from
        # a thread reading the process's default API URL, which in this session is the
        # other (session-wide) server, so the renewal got 410 Gone and the slot was lost.
        lease = client.increment_concurrency_slots_with_lease(
            names=[WRITER_LIMIT], slots=1, mode="concurrency", lease_duration=900,
        ).json()["lease_id"]
        try:
            first = submit(deployed, "ingest/ingest", parameters=params)
            wait_for_log(client, first.id, waiting)
            refused = wait_final(client, submit(deployed, "ingest/ingest",
                                                parameters=params).id)
            other = submit(deployed, "ingest/demo", parameters=params)
            wait_for_log(client, other.id, waiting)
            limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
            assert (limit.limit, limit.active_slots) == (1, 1)
        finally:
            client.release_concurrency_slots_with_lease(lease)
        runs = [wait_final(client, r.id) for r in (first, other)]
    # Refused before it started: Prefect's deployment limit (CANCEL_NEW), no writer run.
    assert refused.state.is_cancelled(), refused.state
    assert refused.state.message == "Deployment concurrency limit reached."
    assert not refused.name.startswith("ingest-")  # the flow never ran to name itself
    assert all(r.state.is_completed() for r in runs), [r.state for r in runs]
    # After the test let go, one run took the slot; the other waited for it, on the Prefect
    # limit (never on the file lock, the safety net), until the first had finished.
    got = {r.id: wait_for_log(client, r.id, f"got a slot of {WRITER_LIMIT}") for r in runs}
    second, first_done = max(runs, key=lambda r: got[r.id]), min(runs, key=lambda r: got[r.id])
    assert got[second.id] >= wait_for_log(client, first_done.id, "ingest finished: ")
    for r in runs:
        assert not any("lock" in m and "held" in m for _, m in run_logs(client, r.id))

    assert_matches_ledger(data / "blocwatch.duckdb", deployed.ledger)
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        loaded = dict(con.execute("SELECT prefect_flow_run_id, loaded FROM runs").fetchall())
    finally:
        con.close()
    assert loaded == {str(first_done.id): ARTICLES, str(second.id): 0}
    assert str(refused.id) not in loaded
