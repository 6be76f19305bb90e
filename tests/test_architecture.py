"""The layers of docs/architecture.md hold: import-linter's contracts in pyproject.toml
(stages free of Prefect, DuckDB and Streamlit; the warehouse free of stages and
orchestration; the dashboard free of flows, Prefect, fetching and extraction; nothing
below the CLI importing it), checked on the tree as it is."""

from __future__ import annotations

import subprocess
import tomllib

from tests.conftest import BIN, REPO

CONTRACTS = {"layers", "base", "stages", "orchestration", "warehouse", "dashboard", "cli"}


def test_import_contracts_are_kept() -> None:
    proc = subprocess.run([str(BIN / "lint-imports"), "--no-cache", "--no-logo"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in proc.stdout, proc.stdout


def test_every_layer_boundary_has_a_contract() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert {c["id"] for c in contracts} == CONTRACTS
    stages = next(c for c in contracts if c["id"] == "stages")
    assert {"prefect", "duckdb", "streamlit", "warehouse", "flows", "dashboard"} <= set(
        stages["forbidden_modules"])
    warehouse = next(c for c in contracts if c["id"] == "warehouse")
    assert {"blocwatch.stages", "blocwatch.orchestration", "flows", "dashboard", "prefect",
            "streamlit"} <= set(warehouse["forbidden_modules"])
    dashboard = next(c for c in contracts if c["id"] == "dashboard")
    assert {"flows", "prefect", "blocwatch.orchestration", "blocwatch.stages.fetch",
            "blocwatch.stages.extract"} <= set(dashboard["forbidden_modules"])
