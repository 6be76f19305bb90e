"""blocwatch installs like a package: a new virtualenv, a non-editable `pip install` of the
repository, then `blocwatch demo` in an empty directory builds the warehouse of the demo
ledger, with nothing read from a source tree (the configuration it needs is the package's
own data).

The install is the slow part (a minute or two): pip takes the dependencies from its cache.
The repository is copied first (its files as git sees them), so the build never writes
into the working tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, TEST_CORPUS_ARTICLES, TEST_CORPUS_SEED, PrefectServer
from tests.ledger import assert_matches_ledger, read_ledger


def copy_tree(dest: Path) -> Path:
    """The repository's files (tracked, and new ones not ignored) copied to ``dest``;
    symlinks stay symlinks (the root config files point into blocwatch/defaults/)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree, not yet in the index
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, target)
    return dest


def clean_env(venv: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a user who just made the virtualenv: none of this checkout's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BLOCWATCH_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with blocwatch pip-installed (not editable) from a copy of the repo."""
    root = tmp_path_factory.mktemp("install")
    src = copy_tree(root / "src")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          str(src)], capture_output=True, text=True, timeout=1500,
                         env=clean_env(venv, {}))
    assert out.returncode == 0, out.stderr[-4000:]
    # Nothing left behind that points at a source tree.
    shutil.rmtree(src)
    return venv


def test_installed_package_has_its_data_and_no_source_tree(installed: Path,
                                                           tmp_path: Path) -> None:
    site = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import blocwatch, flows, warehouse, dashboard; from flows.serve import "
         "find_prefect_file; from blocwatch.paths import find_config; "
         "from warehouse.examples import example_queries; from pathlib import Path; "
         "print(blocwatch.__file__); print(find_prefect_file().path); "
         "print(find_config('taxonomy.yaml')); print(len(example_queries())); "
         "print(sorted(p.name for p in Path(dashboard.__file__).parent.rglob('*.py')))"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env=clean_env(installed, {}))
    assert site.returncode == 0, site.stderr
    module, prefect_yaml, taxonomy, examples, dashboard_files = site.stdout.splitlines()
    packages = installed / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert Path(module).is_relative_to(packages) and not Path(module).is_relative_to(REPO)
    assert Path(prefect_yaml) == Path(module).parent / "defaults" / "prefect.yaml"
    assert taxonomy == f"{Path(module).parent / 'defaults' / 'taxonomy.yaml'} (package default)"
    # The example queries (package data of warehouse) and the dashboard's pages came along.
    from warehouse.examples import example_queries

    assert int(examples) == len(example_queries()) > 0
    assert dashboard_files == str(sorted(p.name for p in (REPO / "dashboard").rglob("*.py")))

    out = subprocess.run([str(installed / "bin" / "blocwatch"), "init"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300,
                         env=clean_env(installed, {}))
    assert out.returncode == 0, out.stderr
    out = subprocess.run([str(installed / "bin" / "blocwatch"), "check"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300,
                         env=clean_env(installed, {}))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{tmp_path / 'sources.yaml'} (working directory): ")


def test_demo_in_an_empty_directory_matches_the_ledger(
        installed: Path, prefect_server: PrefectServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = subprocess.run(
        [str(installed / "bin" / "blocwatch"), "demo", "--articles",
         str(TEST_CORPUS_ARTICLES), "--seed", str(TEST_CORPUS_SEED), "--workers", "2"],
        cwd=empty, capture_output=True, text=True, timeout=900,
        env=clean_env(installed, {"PREFECT_API_URL": prefect_server.api_url}))
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-4000:])
    assert "(package default)" in out.stderr  # the taxonomy came from the package
    data = empty / "data"
    assert sorted(p.name for p in empty.iterdir()) == ["data"]
    ledger = read_ledger(data / "demo")
    assert len(ledger["articles"]) == TEST_CORPUS_ARTICLES
    assert_matches_ledger(data / "blocwatch.duckdb", ledger)
