"""`blocwatch serve` registers every deployment of prefect.yaml, with its schedules, in one
process and without a work pool."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from flows.serve import load_specs, to_schedule
from tests.conftest import BIN, REPO, PrefectServer


def expected_deployments() -> dict[str, dict]:
    """What prefect.yaml declares, read with plain YAML (not through flows.serve)."""
    data = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in data["deployments"]}


def test_specs_mirror_prefect_yaml() -> None:
    specs = {s.name: s for s in load_specs()}
    declared = expected_deployments()
    assert set(specs) == set(declared) == {"ingest", "backfill", "reprocess", "maintenance"}
    for name, d in declared.items():
        assert specs[name].entrypoint == d["entrypoint"]
        assert [to_schedule(s).cron for s in specs[name].schedules] == [
            s["cron"] for s in d["schedules"]]


def test_schedule_kinds_are_translated() -> None:
    from datetime import timedelta

    assert to_schedule({"cron": "*/30 * * * *", "timezone": "UTC"}).timezone == "UTC"
    assert to_schedule({"interval": 600}).interval == timedelta(minutes=10)
    assert to_schedule({"rrule": "FREQ=DAILY;INTERVAL=1"}).rrule
    with pytest.raises(ValueError):
        to_schedule({"timezone": "UTC"})


def test_blocwatch_serve_registers_all_deployments_with_schedules(
        prefect_server: PrefectServer, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    declared = expected_deployments()
    # A served run inherits this process's environment and working directory: both point
    # into tmp_path, so a scheduled run could never touch the repo's data.
    env = {**prefect_server.env, "BLOCWATCH_DATA": str(tmp_path / "data")}
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "blocwatch"), "serve"], env=env, cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    found: dict = {}
    try:
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                found = {d.name: d for d in client.read_deployments()
                         if d.name in declared and d.work_pool_name is None}
                if set(found) == set(declared):
                    break
                time.sleep(0.5)
            assert set(found) == set(declared), (tmp_path / "serve.log").read_text()
            flows = {f.id: f.name for f in client.read_flows()}
            for name, d in declared.items():
                dep = found[name]
                assert flows[dep.flow_id] == d["entrypoint"].rsplit(":", 1)[1]
                assert Path(dep.entrypoint.rsplit(":", 1)[0]).name == Path(
                    d["entrypoint"].rsplit(":", 1)[0]).name
                assert [(s.schedule.cron, s.schedule.timezone, s.active)
                        for s in dep.schedules] == [
                    (s["cron"], s.get("timezone"), True) for s in d["schedules"]]
                assert dep.description == d["description"]
                assert set(dep.tags) == set(d["tags"])
                assert dep.global_concurrency_limit is not None
                assert dep.global_concurrency_limit.limit == d["concurrency_limit"]["limit"]
            # Leave the shared server as we found it: no served deployments left behind.
            for dep in found.values():
                client.delete_deployment(dep.id)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_serve_rejects_unknown_deployment_names() -> None:
    out = subprocess.run([str(BIN / "blocwatch"), "serve", "--only", "nope"],
                         capture_output=True, text=True, timeout=120,
                         env={"PATH": str(Path(sys.executable).parent), "HOME": "/tmp",
                              "PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert out.returncode != 0
    assert "no such deployment in prefect.yaml: nope" in out.stderr
