"""What the benchmarks share: free ports, waiting for a server, child processes, a Prefect
API for the flows, and one ingest run in a child process whose memory is sampled."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 180.0,
          headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2, headers=headers).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def child_process(args: list[str], env: dict[str, str], log: Path
                  ) -> Iterator[subprocess.Popen]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def prefect_api(work: Path) -> Iterator[dict[str, str]]:
    """Environment for children: the Prefect server in PREFECT_API_URL, or a temporary one
    (SQLite in the work folder, on a free port) for the benchmark's duration."""
    if os.environ.get("PREFECT_API_URL"):
        yield dict(os.environ)
        return
    home = work / "prefect-home"
    home.mkdir()
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home),
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
    api = f"http://127.0.0.1:{port}/api"
    with child_process([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                   str(port)], env, work / "prefect-server.log") as proc:
        wait_http(f"{api}/health", proc)
        yield {**env, "PREFECT_API_URL": api}


def run_child(mode: str, spec: dict[str, Any], env: dict[str, str],
              log: Path) -> dict[str, Any]:
    """Run bench.child; return its result with the peak RSS of its process tree (MB)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bench.child", mode, json.dumps(spec)],
                                env=env, stdout=subprocess.PIPE, stderr=out, cwd=REPO)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            root = psutil.Process(proc.pid)
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                    rss = 0
                    for p in tree:
                        try:
                            rss += p.memory_info().rss
                        except psutil.Error:
                            pass
                    peak[0] = max(peak[0], rss)
                except psutil.Error:
                    return
                done.wait(0.1)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        stdout, _ = proc.communicate()
        done.set()
        watcher.join()
    lines = [ln for ln in stdout.decode().splitlines() if ln.startswith("BENCH-RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench.child {mode} failed (exit {proc.returncode}); see {log}")
    result = json.loads(lines[-1].removeprefix("BENCH-RESULT "))
    result["peak_rss_mb"] = round(peak[0] / 2**20, 1)
    return result
