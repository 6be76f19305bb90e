"""The demo on a schedule, as docs/deployments.md tells a newcomer: in an empty directory,
`blocwatch init` and `blocwatch demo --serve-web` (kept running), `prefect deploy --all
--prefect-file prefect-demo.yaml`, a process worker with BLOCWATCH_HOME set; then a run
the Prefect scheduler starts completes and adds the demo web's articles."""

from __future__ import annotations

import subprocess
import time

import pytest

from blocwatch.paths import DATA_ENV, HOME_ENV
from tests.conftest import BIN, free_port
from tests.ledger import assert_matches_ledger, read_ledger
from tests.prefect_processes import (
    POOL,
    prefect_ok,
    prefect_server,
    process_worker,
    stop,
    worker_tail,
)
from warehouse.db import connect_reader

ARTICLES, SEED = 150, 7


def test_a_scheduled_run_adds_the_demo_articles(tmp_path_factory: pytest.TempPathFactory
                                                ) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    root = tmp_path_factory.mktemp("demo-recipe")
    project = root / "project"
    project.mkdir()
    with prefect_server(root, scheduler=True) as server:
        env = {k: v for k, v in server.env.items() if k not in (HOME_ENV, DATA_ENV)}
        blocwatch = str(BIN / "blocwatch")
        out = subprocess.run([blocwatch, "init"], cwd=project, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        # The recipe's other port (8765 may be taken on a test machine), set where the
        # file says to.
        port = free_port()
        demo_yaml = project / "prefect-demo.yaml"
        text = demo_yaml.read_text(encoding="utf-8")
        assert text.count('demo_web: "127.0.0.1:8765"') == 1
        demo_yaml.write_text(text.replace('demo_web: "127.0.0.1:8765"',
                                          f'demo_web: "127.0.0.1:{port}"'), encoding="utf-8")

        web_log = open(root / "serve-web.log", "w")  # noqa: SIM115 - closed below
        web = subprocess.Popen([blocwatch, "demo", "--serve-web", "--port", str(port),
                                "--articles", str(ARTICLES), "--seed", str(SEED)],
                               cwd=project, env=env, stdout=web_log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while "flows read it with the parameter demo_web" not in (
                    root / "serve-web.log").read_text():
                assert web.poll() is None, (root / "serve-web.log").read_text()
                assert time.monotonic() < deadline, (root / "serve-web.log").read_text()
                time.sleep(0.3)
            assert not (project / "data" / "blocwatch.duckdb").exists()  # no ingest yet

            prefect_ok(["work-pool", "create", POOL, "--type", "process"], env, project)
            prefect_ok(["--no-prompt", "deploy", "--all", "--prefect-file",
                        "prefect-demo.yaml"], env, project)
            with process_worker({**env, HOME_ENV: str(project)}, root / "worker-cwd",
                                root / "worker.log") as worker_log, \
                    temporary_settings(updates={PREFECT_API_URL: server.api_url}), \
                    get_client(sync_client=True) as client:
                deadline = time.monotonic() + 420
                done = None
                while done is None:
                    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(
                        name=DeploymentFilterName(any_=["demo"])))
                    done = next((r for r in runs if r.state and r.state.is_final()), None)
                    assert time.monotonic() < deadline, (
                        [(r.name, r.state) for r in runs], worker_tail(worker_log))
                    if done is None:
                        time.sleep(1)
                assert done.auto_scheduled, done  # started by the schedule, not by hand
                assert (done.state.type.value, done.state.name) == ("COMPLETED", "Completed"), (
                    done.state, worker_tail(worker_log))
                assert done.name.startswith("ingest-demo-")
        finally:
            stop(web)
            web_log.close()

    data = project / "data"
    assert_matches_ledger(data / "blocwatch.duckdb", read_ledger(data / "demo"))
    con = connect_reader(data / "blocwatch.duckdb")
    try:
        assert con.execute("SELECT loaded FROM runs WHERE prefect_flow_run_id = ?",
                           [str(done.id)]).fetchall() == [(ARTICLES,)]
    finally:
        con.close()
