"""Real Prefect processes for the deployment tests: a `prefect server start` of a test's
own, a process worker, the prefect CLI, and waits on what the API reports (never sleeps
standing in for a condition)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from tests.conftest import BIN, PrefectServer, free_port, prefect_env, wait_http

POOL = "blocwatch-process"


@contextmanager
def prefect_server(home: Path, scheduler: bool) -> Iterator[PrefectServer]:
    """`prefect server start` on 127.0.0.1. ``scheduler=False``: no schedule creates runs
    while a test drives runs by hand (prefect.yaml's ingest runs every 30 minutes and would
    read the real outlets); ``True``: scheduled runs are created within seconds of a
    deployment."""
    port = free_port()
    env = prefect_env(home)
    if scheduler:
        env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "5"
    else:
        env["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_http(f"{api}/health", timeout=180, proc=proc)
        yield PrefectServer(api, home, {**env, "PREFECT_API_URL": api})
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def prefect_cli(args: list[str], env: dict[str, str], cwd: Path
                ) -> subprocess.CompletedProcess[str]:
    """The prefect command, as an operator types it."""
    return subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def prefect_ok(args: list[str], env: dict[str, str], cwd: Path) -> str:
    out = prefect_cli(args, env, cwd)
    assert out.returncode == 0, f"prefect {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


@contextmanager
def process_worker(env: dict[str, str], cwd: Path, log_path: Path) -> Iterator[Path]:
    """`prefect worker start --pool blocwatch-process`, polling every second."""
    env = {**env, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1"}
    cwd.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", POOL],
                            env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield log_path
    finally:
        stop(proc)
        log.close()


def worker_tail(log_path: Path, chars: int = 4000) -> str:
    return log_path.read_text(errors="replace")[-chars:]


def wait_final(client: Any, run_id: UUID, timeout: float = 600) -> Any:
    """The flow run once its state is final (Completed, Failed, Cancelled, Crashed)."""
    deadline = time.monotonic() + timeout
    while True:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        assert time.monotonic() < deadline, f"flow run {run_id} still {run.state}"
        time.sleep(0.5)


def run_logs(client: Any, run_id: UUID) -> list[tuple[Any, str]]:
    """(timestamp, message) of a flow run's logs, oldest first."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort

    logs: list[Any] = []
    while True:  # the API pages by 200 at most
        page = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(
            any_=[run_id])), limit=200, offset=len(logs), sort=LogSort.TIMESTAMP_ASC)
        logs.extend(page)
        if len(page) < 200:
            return [(log.timestamp, log.message) for log in logs]


def wait_for_log(client: Any, run_id: UUID, text: str, timeout: float = 300) -> Any:
    """The time of the first log line of ``run_id`` containing ``text``, once it is
    there (a final state first fails the wait)."""
    deadline = time.monotonic() + timeout
    while True:
        for when, message in run_logs(client, run_id):
            if text in message:
                return when
        run = client.read_flow_run(run_id)
        assert not (run.state and run.state.is_final()), (
            f"{run.name} ended {run.state} without logging {text!r}")
        assert time.monotonic() < deadline, f"{run.name} did not log {text!r}"
        time.sleep(0.5)
