"""Where blocwatch finds its configuration and keeps its data (docs/configuration.md).

A configuration file (``sources.yaml``, ``taxonomy.yaml``, ``prefect.yaml`` ...) is, in
this order:

1. the file a command's flag or a flow's parameter names (a relative name is looked for
   in the working directory, then in ``$BLOCWATCH_HOME``);
2. ``./NAME`` in the working directory;
3. ``$BLOCWATCH_HOME/NAME``;
4. the default shipped inside the package (``blocwatch/defaults/``), for the files that
   have one that is safe to use unasked (the taxonomy, the deployments, the automations).
   ``sources.yaml`` has none: the shipped list of real outlets is an example that
   ``blocwatch init`` copies, not something to crawl because a file was missing.

Otherwise the error names the file and every place looked in. The data directory is the
one given, else ``$BLOCWATCH_DATA``, else ``$BLOCWATCH_HOME/data``, else ``./data``: a
worker whose runs start in a throw-away directory keeps its warehouse under
``BLOCWATCH_HOME`` without a second variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from blocwatch.errors import ConfigError

DATA_ENV = "BLOCWATCH_DATA"
HOME_ENV = "BLOCWATCH_HOME"

# The files `blocwatch init` writes, each shipped in blocwatch/defaults/.
DEFAULT_FILES = ("sources.yaml", "taxonomy.yaml", "prefect.yaml", "prefect-demo.yaml",
                 "alerts.yaml", "overdue.yaml", "topics.yaml")
# Files without a fallback to the shipped copy (see the module docstring).
NO_FALLBACK = frozenset({"sources.yaml"})

WORKING_DIRECTORY = "working directory"
HOME = f"${HOME_ENV}"
PACKAGED = "package default"
GIVEN = "given"


@dataclass(frozen=True)
class Found:
    """A configuration file and where it was found (said in the run's log)."""

    path: Path
    origin: str

    def __str__(self) -> str:
        return f"{self.path} ({self.origin})"


def env_value(name: str) -> str | None:
    """An environment variable, refusing a prefect.yaml placeholder nobody filled in.

    ``prefect deploy`` replaces ``{{ $NAME }}`` with the deploying shell's variable and
    leaves it as written when that variable is unset; the run would then look for files in
    a directory literally named ``{{ $BLOCWATCH_HOME }}``.
    """
    value = os.environ.get(name) or None
    if value is not None:
        _refuse_placeholder(value, name)
    return value


def _refuse_placeholder(value: str, what: str) -> None:
    if "{{" in value and "}}" in value:
        raise ConfigError(what, f"is {value!r}: a prefect.yaml placeholder that was never "
                          "filled in (the variable was not set where `prefect deploy` "
                          "ran). Set it on the worker (its environment, or the "
                          "deployment's job_variables.env) and deploy again; see "
                          "docs/deployments.md")


def home() -> Path | None:
    """``$BLOCWATCH_HOME``: the directory holding the configuration (and ``data/``)."""
    value = env_value(HOME_ENV)
    return Path(value).expanduser() if value else None


def packaged_file(name: str) -> Path:
    """The default of ``name`` shipped inside the installed package."""
    path = Path(str(resources.files("blocwatch").joinpath("defaults", name)))
    if not path.is_file():
        raise FileNotFoundError(f"blocwatch ships no default {name} ({path})")
    return path


def find_config(name: str, given: str | Path | None = None, *, option: str | None = None,
                fallback: bool | None = None) -> Found:
    """Locate configuration file ``name`` (see the module docstring for the order).

    ``option`` is how the user names the file explicitly (``--sources``, or a flow's
    ``sources_file``), quoted in the error. ``fallback``: whether the shipped default may
    stand in; by default every file but sources.yaml may.
    """
    if fallback is None:
        fallback = name not in NO_FALLBACK
    base = home()
    looked: list[str] = []
    if given is not None and str(given) != "":
        _refuse_placeholder(str(given), option or name)
        path = Path(given).expanduser()
        if path.is_absolute():
            if path.is_file():
                return Found(path, GIVEN)
            raise ConfigError(str(path), f"not found (given as {option or name})")
        candidates = [(Path.cwd() / path, WORKING_DIRECTORY)]
        if base is not None:
            candidates.append((base / path, HOME))
        for candidate, origin in candidates:
            if candidate.is_file():
                return Found(candidate, f"{GIVEN}, {origin}")
            looked.append(f"{candidate} ({origin})")
        raise ConfigError(str(given), f"not found (given as {option or name}); looked in "
                          + ", ".join(looked))
    local = Path.cwd() / name
    if local.is_file():
        return Found(local, WORKING_DIRECTORY)
    looked.append(f"{local} ({WORKING_DIRECTORY})")
    if base is not None:
        candidate = base / name
        if candidate.is_file():
            return Found(candidate, HOME)
        looked.append(f"{candidate} ({HOME})")
    else:
        looked.append(f"${HOME_ENV} (not set)")
    if fallback:
        return Found(packaged_file(name), PACKAGED)
    hint = f"pass {option}, " if option else ""
    raise ConfigError(name, f"not found; looked in {', '.join(looked)}. To fix: {hint}"
                      f"set {HOME_ENV} to the directory holding it, or run `blocwatch "
                      f"init` there to write an example {name}")


@dataclass(frozen=True)
class DataPaths:
    root: Path
    # Where the directory came from (said in the run's log); not part of its identity.
    origin: str = field(default=GIVEN, compare=False)

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
    """The data directory: ``root``, else $BLOCWATCH_DATA, else $BLOCWATCH_HOME/data, else
    ./data."""
    if root is not None and str(root) != "":
        _refuse_placeholder(str(root), "data_dir")
        return DataPaths(Path(root).expanduser().resolve(), GIVEN)
    data = env_value(DATA_ENV)
    if data:
        return DataPaths(Path(data).expanduser().resolve(), f"${DATA_ENV}")
    base = home()
    if base is not None:
        return DataPaths((base / "data").resolve(), f"{HOME}/data")
    return DataPaths(Path("data").resolve(), WORKING_DIRECTORY)
