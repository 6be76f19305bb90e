"""Where configuration and data are found (blocwatch/paths.py, docs/configuration.md): the
file named, the working directory, $BLOCWATCH_HOME, the shipped default; the data
directory named, $BLOCWATCH_DATA, $BLOCWATCH_HOME/data, ./data."""

from __future__ import annotations

from pathlib import Path

import pytest

from blocwatch.errors import ConfigError
from blocwatch.paths import (
    DATA_ENV,
    DEFAULT_FILES,
    HOME_ENV,
    data_paths,
    find_config,
    packaged_file,
)


@pytest.fixture()
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(working directory, BLOCWATCH_HOME), both empty, no BLOCWATCH_* set."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    for var in (DATA_ENV, HOME_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(cwd)
    return cwd, home


def test_every_default_is_shipped_in_the_package() -> None:
    for name in DEFAULT_FILES:
        path = packaged_file(name)
        assert path.is_file() and path.parent.name == "defaults" and path.stat().st_size
    with pytest.raises(FileNotFoundError):
        packaged_file("nope.yaml")


def test_config_order(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cwd, home = dirs
    # Nothing anywhere: the taxonomy falls back to the shipped one; the outlets do not.
    found = find_config("taxonomy.yaml")
    assert (found.path, found.origin) == (packaged_file("taxonomy.yaml"), "package default")
    with pytest.raises(ConfigError) as err:
        find_config("sources.yaml", option="--sources")
    assert str(err.value) == (
        f"sources.yaml: not found; looked in {cwd / 'sources.yaml'} (working directory), "
        "$BLOCWATCH_HOME (not set). To fix: pass --sources, set BLOCWATCH_HOME to the "
        "directory holding it, or run `blocwatch init` there to write an example "
        "sources.yaml")
    monkeypatch.setenv(HOME_ENV, str(home))
    with pytest.raises(ConfigError, match=rf"looked in .*\({'working directory'}\), "
                       rf"{home / 'sources.yaml'} \(\$BLOCWATCH_HOME\)\. "):
        find_config("sources.yaml")
    for name in ("sources.yaml", "taxonomy.yaml"):
        (home / name).write_text("x", encoding="utf-8")
        assert (find_config(name).path, find_config(name).origin) == (
            home / name, "$BLOCWATCH_HOME")
        (cwd / name).write_text("x", encoding="utf-8")
        assert (find_config(name).path, find_config(name).origin) == (
            cwd / name, "working directory")


def test_a_named_file_wins_and_a_relative_name_is_looked_for_in_home(
        dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cwd, home = dirs
    (cwd / "sources.yaml").write_text("x", encoding="utf-8")
    (home / "asia.yaml").write_text("x", encoding="utf-8")
    monkeypatch.setenv(HOME_ENV, str(home))
    found = find_config("sources.yaml", "asia.yaml", option="sources_file")
    assert (found.path, found.origin) == (home / "asia.yaml", "given, $BLOCWATCH_HOME")
    found = find_config("sources.yaml", str(home / "asia.yaml"))
    assert (found.path, found.origin) == (home / "asia.yaml", "given")
    with pytest.raises(ConfigError, match=r"^/nope\.yaml: not found \(given as sources_file\)"):
        find_config("sources.yaml", "/nope.yaml", option="sources_file")
    # A named file that is missing never falls back to a default.
    with pytest.raises(ConfigError, match="given as --taxonomy"):
        find_config("taxonomy.yaml", "mine.yaml", option="--taxonomy")


def test_data_directory_order(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
                              ) -> None:
    cwd, home = dirs
    assert (data_paths().root, data_paths().origin) == (cwd / "data", "working directory")
    monkeypatch.setenv(HOME_ENV, str(home))
    assert (data_paths().root, data_paths().origin) == (home / "data", "$BLOCWATCH_HOME/data")
    monkeypatch.setenv(DATA_ENV, str(cwd / "elsewhere"))
    assert (data_paths().root, data_paths().origin) == (cwd / "elsewhere", "$BLOCWATCH_DATA")
    assert data_paths("mine").root == cwd / "mine"


def test_unfilled_prefect_placeholders_are_refused_by_name(
        dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`prefect deploy` stores "{{ $BLOCWATCH_HOME }}" as written when the variable is not
    set; a run must say so, not look for a directory of that name."""
    monkeypatch.setenv(HOME_ENV, "{{ $BLOCWATCH_HOME }}")
    with pytest.raises(ConfigError, match=r"^BLOCWATCH_HOME: is '\{\{ \$BLOCWATCH_HOME \}\}': "
                       "a prefect.yaml placeholder that was never filled in"):
        find_config("sources.yaml")
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setenv(DATA_ENV, "{{ $BLOCWATCH_DATA }}")
    with pytest.raises(ConfigError, match="^BLOCWATCH_DATA: is"):
        data_paths()
    with pytest.raises(ConfigError, match="^data_dir: is"):
        data_paths("{{ $DATA }}")


# --- the reference pages say what the code does -------------------------------------------

def test_configuration_doc_names_every_field_and_variable() -> None:
    import re

    from blocwatch.config import Politeness, Settings, Source
    from blocwatch.taxonomy import AliasSpec, EntitySpec
    from tests.conftest import REPO

    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for model in (Settings, Politeness, Source, EntitySpec, AliasSpec):
        for field in model.model_fields:
            assert f"| `{field}` |" in doc, f"{model.__name__}.{field} undocumented"
    used = set()
    for folder in ("blocwatch", "flows", "warehouse", "dashboard"):
        for path in (REPO / folder).rglob("*.py"):
            used |= set(re.findall(r"BLOCWATCH_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    # The time limits are read as BLOCWATCH_TIMEOUT_<FLOW> (flows/lifecycle.py).
    used = {"BLOCWATCH_TIMEOUT_<FLOW>" if v == "BLOCWATCH_TIMEOUT" else v for v in used}
    assert {"BLOCWATCH_HOME", "BLOCWATCH_DATA", "BLOCWATCH_WRITER_LIMIT",
            "BLOCWATCH_WRITER_MEMORY"} <= used
    for var in used:
        assert f"| `{var}` |" in doc, f"{var} undocumented"


def test_deployments_doc_names_every_deployment_state_and_time_limit() -> None:
    import yaml

    from flows.lifecycle import CHECKS_FAILED, PARTIAL, SKIPPED, TIMEOUTS
    from tests.conftest import REPO

    doc = (REPO / "docs" / "deployments.md").read_text(encoding="utf-8")
    for name in ("prefect.yaml", "prefect-demo.yaml"):
        data = yaml.safe_load(packaged_file(name).read_text(encoding="utf-8"))
        for d in data["deployments"]:
            flow = d["entrypoint"].split(":")[1]
            assert f"| `{flow}/{d['name']}`" in doc and f"`{d['entrypoint']}`" in doc
    for state in ("Completed", PARTIAL, CHECKS_FAILED, "Failed", "TimedOut", SKIPPED,
                  "Cancelled"):
        assert f"| `{state}` |" in doc, state
    for flow, seconds in TIMEOUTS.items():
        hours = seconds // 3600
        assert f"| {flow} | {hours} hour{'s' if hours > 1 else ''}" in doc, flow
