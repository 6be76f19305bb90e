"""`blocwatch serve` registers every deployment of prefect.yaml, with its schedules, in one
process and without a work pool: ./prefect.yaml (or --prefect-yaml), else the one shipped
with blocwatch, saying so."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from blocwatch.paths import packaged_file
from flows.serve import load_specs, to_schedule
from tests.conftest import BIN, PrefectServer


def expected_deployments(path: Path | None = None) -> dict[str, dict]:
    """What a prefect.yaml declares (the shipped one by default), read with plain YAML (not
    through flows.serve)."""
    path = path or packaged_file("prefect.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def serve_and_read(prefect_server: PrefectServer, cwd: Path, args: list[str],
                   declared: dict[str, dict]) -> tuple[dict, dict[str, str], str]:
    """Run `blocwatch serve ARGS` in ``cwd`` until every declared deployment is registered;
    return them (by name), their flows' names and what serve printed. The served
    deployments are deleted, to leave the shared server as it was."""
    from prefect.client.orchestration import get_client

    # A served run inherits this process's environment and working directory: both point
    # into cwd, so a scheduled run could never touch the repo's data.
    env = {**prefect_server.env, "BLOCWATCH_DATA": str(cwd / "data")}
    log_path = cwd / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "blocwatch"), "serve", *args], env=env, cwd=cwd,
                            stdout=log, stderr=subprocess.STDOUT)
    found: dict = {}
    try:
        deadline = time.monotonic() + 120
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()
                found = {d.name: d for d in client.read_deployments()
                         if d.name in declared and d.work_pool_name is None}
                if set(found) == set(declared):
                    break
                time.sleep(0.5)
            assert set(found) == set(declared), log_path.read_text()
            flows = {f.id: f.name for f in client.read_flows()}
            flow_names = {name: flows[dep.flow_id] for name, dep in found.items()}
            for dep in found.values():
                client.delete_deployment(dep.id)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return found, flow_names, log_path.read_text()


def test_blocwatch_serve_registers_all_deployments_with_schedules(
        prefect_server: PrefectServer, tmp_path: Path) -> None:
    from flows.run import WRITER_LIMIT

    declared = expected_deployments()
    # No prefect.yaml here and no BLOCWATCH_HOME: the shipped one, and the log says so.
    found, flow_names, out = serve_and_read(prefect_server, tmp_path, [], declared)
    assert f"Serving the deployments in {packaged_file('prefect.yaml')} (package default)" \
        in out
    for name, d in declared.items():
        dep = found[name]
        module, function = d["entrypoint"].split(":")
        assert flow_names[name] == function
        assert Path(dep.entrypoint.rsplit(":", 1)[0]).stem == module.rsplit(".", 1)[1]
        assert [(s.schedule.cron, s.schedule.timezone, s.active)
                for s in dep.schedules] == [
            (s["cron"], s.get("timezone"), True) for s in d["schedules"]]
        assert dep.description == d["description"]
        assert set(dep.tags) == set(d["tags"])
        assert dep.global_concurrency_limit is not None
        assert dep.global_concurrency_limit.limit == d["concurrency_limit"]["limit"]
    # serve made the writer's limit, so the UI shows it before the first run.
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(WRITER_LIMIT).limit == 1


def test_serve_reads_the_prefect_yaml_of_the_working_directory(
        prefect_server: PrefectServer, tmp_path: Path) -> None:
    """A user's own prefect.yaml (here: only a backfill, with their description) wins over
    the shipped one; --demo serves prefect-demo.yaml (the demo ingest every minute)."""
    text = packaged_file("prefect.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    own = tmp_path / "own"
    own.mkdir()
    backfill = next(d for d in data["deployments"] if d["name"] == "backfill")
    backfill["description"] = "our own backfill"
    (own / "prefect.yaml").write_text(yaml.safe_dump({"deployments": [backfill]}),
                                      encoding="utf-8")
    found, _, out = serve_and_read(prefect_server, own, [], {"backfill": backfill})
    assert f"Serving the deployments in {own / 'prefect.yaml'} (working directory)" in out
    assert found["backfill"].description == "our own backfill"

    demo = tmp_path / "demo"
    demo.mkdir()
    declared = expected_deployments(packaged_file("prefect-demo.yaml"))
    found, flow_names, out = serve_and_read(prefect_server, demo, ["--demo"], declared)
    assert f"{packaged_file('prefect-demo.yaml')} (package default)" in out
    assert flow_names["demo"] == "ingest"
    assert found["demo"].parameters == {"demo_web": "127.0.0.1:8765", "workers": 2}
    assert [s.schedule.interval.total_seconds() for s in found["demo"].schedules] == [60]


def test_serve_rejects_unknown_deployment_names() -> None:
    out = subprocess.run([str(BIN / "blocwatch"), "serve", "--only", "nope"],
                         capture_output=True, text=True, timeout=120,
                         env={"PATH": str(Path(sys.executable).parent), "HOME": "/tmp",
                              "PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert out.returncode != 0
    assert "no such deployment in prefect.yaml: nope" in out.stderr
