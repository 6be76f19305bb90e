"""docs/robustness.md names the test behind every fault and attack: those tests must exist,
and every test of the robustness suites must be named there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "robustness.md"
# The suites written for docs/robustness.md: each of their tests belongs in its tables.
SUITES = ("tests/test_hostile_web.py", "tests/test_crash_safety.py",
          "tests/test_concurrent_readers.py", "tests/test_security.py",
          "tests/test_robustness_doc.py")
_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def table_rows() -> list[list[str]]:
    """The body rows of every table with a "test" column: cells of each row."""
    rows: list[list[str]] = []
    header: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not set(line) <= set("|-: "):
            if header[-1] == "test":
                rows.append(cells)
    return rows


def named_tests() -> set[tuple[str, str]]:
    return {m.groups() for row in table_rows() for m in _REF.finditer(row[-1])}


def defined_tests(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")}


def test_every_test_named_in_the_tables_exists() -> None:
    rows = table_rows()
    assert len(rows) >= 40
    for row in rows:
        assert len(row) == 3 and all(row), row  # fault | what blocwatch does | test
        assert _REF.search(row[-1]), f"no test named for: {row[0]}"
    missing = [f"{f}::{t}" for f, t in sorted(named_tests())
               if not (REPO / f).is_file() or t not in defined_tests(f)]
    assert missing == []


def test_every_robustness_test_is_named_in_the_tables() -> None:
    named = named_tests()
    unlisted = [f"{f}::{t}" for f in SUITES for t in sorted(defined_tests(f))
                if (f, t) not in named]
    assert unlisted == []
