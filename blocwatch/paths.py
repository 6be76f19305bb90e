"""Where blocwatch keeps its data: one directory, moved by one environment variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_ENV = "BLOCWATCH_DATA"
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def work_db(self) -> Path:
        """Written only by flows, one writer at a time; readers never open it."""
        return self.root / "work.duckdb"

    @property
    def published_db(self) -> Path:
        """The snapshot the dashboard and analysts open."""
        return self.root / "blocwatch.duckdb"

    @property
    def lock(self) -> Path:
        return self.root / "work.lock"

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def demo_dir(self) -> Path:
        return self.root / "demo"

    def ensure(self) -> DataPaths:
        self.root.mkdir(parents=True, exist_ok=True)
        self.raw_dir.mkdir(exist_ok=True)
        return self


def data_paths(root: str | Path | None = None) -> DataPaths:
    """Resolve the data directory: explicit argument, else $BLOCWATCH_DATA, else ./data."""
    if root is None:
        root = os.environ.get(DATA_ENV) or "data"
    return DataPaths(Path(root).resolve())


def default_config(name: str) -> Path:
    """A config file in the current directory if present, else the one shipped in the repo."""
    local = Path(name)
    return local if local.exists() else REPO_ROOT / name
