"""Shared fixtures: a real Prefect server and a small warehouse built by the real pipeline."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEST_CORPUS_ARTICLES = 300
TEST_CORPUS_SEED = 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def prefect_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }


@dataclass
class PrefectServer:
    api_url: str
    home: Path
    env: dict[str, str]


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Streamlit's AppTest leaves a dashboard page installed as ``sys.modules["__main__"]``;
    a process pool started later (spawn) would re-run that page in every worker, which
    then dies. Put the real one back after each test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A real `prefect server start` on 127.0.0.1, once per test session."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        temporary_settings,
    )

    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = prefect_env(home)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_http(f"{api}/health", timeout=180, proc=proc)
        # Logs stay local: shipping them would race the server's shutdown at session end.
        with temporary_settings(updates={PREFECT_API_URL: api,
                                         PREFECT_LOGGING_TO_API_ENABLED: False}):
            yield PrefectServer(api, home, {**env, "PREFECT_API_URL": api})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@dataclass
class BuiltWarehouse:
    data_dir: Path
    published: Path
    corpus_dir: Path
    ledger: dict
    summary: dict


def build_demo(root: Path, articles: int = TEST_CORPUS_ARTICLES, seed: int = TEST_CORPUS_SEED,
               taxonomy: Path = REPO / "taxonomy.yaml") -> Path:
    """Generate a demo corpus under root/corpus (the generator is deterministic)."""
    from blocwatch.demo.corpus import generate
    from blocwatch.taxonomy import load_taxonomy

    corpus = root / "corpus"
    generate(corpus, load_taxonomy(taxonomy), seed=seed, n_articles=articles)
    return corpus


def run_ingest(corpus: Path, data_dir: Path, taxonomy: Path = REPO / "taxonomy.yaml",
               workers: int = 2) -> dict:
    from blocwatch.demo.server import DemoWeb
    from flows.ingest import ingest

    with DemoWeb(corpus / "web") as web:
        return ingest(sources_file=str(corpus / "sources.yaml"), taxonomy_file=str(taxonomy),
                      data_dir=str(data_dir), resolve=web.resolve_map(), workers=workers)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory,
                    prefect_server: PrefectServer) -> BuiltWarehouse:
    """A small warehouse built by the real ingest flow from the demo generator."""
    root = tmp_path_factory.mktemp("built")
    corpus = build_demo(root)
    data_dir = root / "data"
    summary = run_ingest(corpus, data_dir)
    ledger = json.loads((corpus / "ledger.json").read_text(encoding="utf-8"))
    return BuiltWarehouse(data_dir, data_dir / "blocwatch.duckdb", corpus, ledger, summary)
