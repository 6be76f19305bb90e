"""The README and docs/ tell the truth: every command, option, make target, module, file
and link they name exists, every CLI command is documented somewhere, the README stays a
front door, docs/sql.md shows exactly the example queries the package ships, and no
product code reads the README. (The tables and views of docs/sql.md are checked against
the schema in tests/test_warehouse.py.)"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import re
from pathlib import Path

import pytest

from blocwatch.cli import build_parser
from tests.conftest import BuiltWarehouse
from warehouse.examples import markdown
from warehouse.sqlguard import run_readonly

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [README, *DOCS]
# Top-level folders of the repository: a backticked path starting with one must exist.
TREE = ("blocwatch/", "flows/", "warehouse/", "dashboard/", "bench/", "tests/", "docs/",
        "scripts/", ".ci/")
GENERATED = ("<!-- generated from warehouse/examples.yaml: "
             "python -m warehouse.examples --markdown -->\n")
GENERATED_END = "<!-- end of the generated examples -->"


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def rel(page: Path) -> str:
    return str(page.relative_to(REPO))


def code_blocks(markdown_text: str, lang: str | None = None) -> list[str]:
    """The bodies of the fenced blocks (of one language, if given)."""
    return [body for info, body in re.findall(r"^```(\w*)\n(.*?)^```", markdown_text,
                                               re.S | re.M)
            if lang is None or info == lang]


def prose(markdown_text: str) -> str:
    """The text outside fenced blocks."""
    return re.sub(r"^```.*?^```", "", markdown_text, flags=re.S | re.M)


def code_spans(markdown_text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", prose(markdown_text))


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def command_uses(markdown_text: str) -> list[tuple[str, list[str]]]:
    """(command, options) for each ``blocwatch COMMAND ...`` in code: a shell line, an
    inline code span, or a table row whose first cell is one (its options are that row's
    code spans)."""
    found: list[tuple[str, list[str]]] = []
    pattern = re.compile(r"(?:^|[\s/])blocwatch\s+([a-z][\w-]*)(.*)")

    def add(fragment: str, extra: str = "") -> None:
        for m in pattern.finditer(fragment):
            rest = (m.group(2).split(" #")[0] + " " + extra)
            found.append((m.group(1), re.findall(r"(?<![\w-])(--[a-z][\w-]*)", rest)))

    for block in code_blocks(markdown_text, "bash"):
        for line in block.splitlines():
            add(line)
    for line in prose(markdown_text).splitlines():
        row = re.match(r"^\| `(blocwatch [^`]+)` \|(.*)", line)
        if row:
            add(row.group(1), " ".join(re.findall(r"`([^`]+)`", row.group(2))))
            continue
        for span in re.findall(r"`([^`\n]+)`", line):
            add(span)
    return found


# --- the README is a front door ------------------------------------------------------------

def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    lines = text(README).splitlines()
    assert lines[0] == "# blocwatch"
    first_block = lines[lines.index("```bash") + 1:lines.index("```", lines.index("```bash"))]
    assert [line.split("#")[0].strip() for line in first_block] == ["make demo", "make test"]
    assert lines.index("```bash") <= 3, "the two commands come first"
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith("#")]
    assert ci[-1] == "make test"


def test_readme_is_short_and_shows_the_dashboard_and_the_architecture() -> None:
    readme = text(README)
    assert len(readme.splitlines()) <= 200
    shots = re.findall(r"!\[[^\]]+\]\(([^)]+\.png)\)", readme)
    assert shots and all((REPO / s).stat().st_size > 10_000 for s in shots)
    assert code_blocks(readme, "mermaid"), "the architecture diagram"
    for page in DOCS:
        assert f"]({rel(page)})" in readme, f"the README does not lead to {rel(page)}"


# --- what the docs name exists --------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_blocwatch_command_and_option_named_exists(page: Path) -> None:
    commands = subcommands()
    for command, options in command_uses(text(page)):
        assert command in commands, f"{rel(page)}: `blocwatch {command}` is no command"
        known = set(commands[command]._option_string_actions)
        unknown = [o for o in options if o not in known]
        assert not unknown, f"{rel(page)}: `blocwatch {command}` has no {unknown}"


def test_every_command_is_documented() -> None:
    named = {command for page in PAGES for command, _ in command_uses(text(page))}
    assert set(subcommands()) <= named, sorted(set(subcommands()) - named)


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_make_targets_and_python_modules_named_exist(page: Path) -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    code = "\n".join(code_blocks(text(page)) + code_spans(text(page)))
    for target in re.findall(r"(?:^|[\s`])make ([a-z][\w-]*)", code, re.M):
        assert target in targets, f"{rel(page)}: make {target}"
    for module in re.findall(r"python -m ([a-z_][\w.]*)", code):
        assert importlib.util.find_spec(module), f"{rel(page)}: python -m {module}"


def _current(markdown_text: str) -> str:
    """The text without the first column of a ``| before | now |`` table: the paths a
    refactoring moved away from are history, not things that exist."""
    out, history = [], False
    for line in markdown_text.splitlines():
        if line.startswith("| before |"):
            history = True
        elif not line.startswith("|"):
            history = False
        out.append(re.sub(r"^\|[^|]*\|", "|", line) if history else line)
    return "\n".join(out)


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_repository_paths_named_exist(page: Path) -> None:
    missing = []
    for span in code_spans(_current(text(page))):
        path = span.split("::")[0].split(" ")[0]
        if not path.startswith(TREE):
            continue
        # `<name>` is a placeholder; `{a,b}` and globs must match something.
        path = re.sub(r"<[^>]+>", "*", path)
        options = re.match(r"^(.*)\{([^}]*)\}(.*)$", path)
        candidates = ([options[1] + o + options[3] for o in options[2].split(",")]
                      if options else [path])
        for candidate in candidates:
            if not glob.glob(str(REPO / candidate), recursive=True):
                missing.append(candidate)
    assert not missing, f"{rel(page)} names files that do not exist: {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", prose(text(page)), re.M)}


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_relative_links_and_their_anchors_resolve(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", prose(text(page))):
        if re.match(r"^[a-z]+:", target):
            continue  # http(s), mailto: not fetched
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{rel(page)}: link to {target}, no such file"
        if anchor and dest.suffix == ".md":
            assert anchor in _anchors(dest), f"{rel(page)}: no heading for #{anchor}"


def test_no_product_code_reads_the_readme() -> None:
    for folder in ("blocwatch", "flows", "warehouse", "dashboard", "bench"):
        for path in (REPO / folder).rglob("*.py"):
            assert "README.md" not in path.read_text(encoding="utf-8"), path


# --- docs/sql.md ------------------------------------------------------------------------------

def test_sql_doc_shows_exactly_the_shipped_example_queries() -> None:
    doc = text(REPO / "docs" / "sql.md")
    start = doc.index(GENERATED) + len(GENERATED)
    end = doc.index(GENERATED_END, start)
    assert doc[start:end] == markdown(), (
        "docs/sql.md's examples differ from warehouse/examples.yaml: paste the output of "
        "`python -m warehouse.examples --markdown` between the markers")


def test_every_sql_block_in_the_docs_runs_on_the_demo_warehouse(
        built_warehouse: BuiltWarehouse) -> None:
    blocks = [(rel(page), sql) for page in PAGES for sql in code_blocks(text(page), "sql")]
    assert len(blocks) >= 5
    for where, sql in blocks:
        try:
            run_readonly(built_warehouse.published, sql)
        except Exception as exc:  # a wrong table or column, or refused by the guard
            pytest.fail(f"{where}: {exc}\n{sql}")
