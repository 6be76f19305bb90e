"""The quality harness (python -m bench.quality) on the annotated pages the project ships:
the acceptance thresholds, and that pages, labels and docs/quality.md are in step."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import quality
from bench.quality_data import build_pages

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "quality.md"


@pytest.fixture(scope="module")
def report() -> dict:
    return quality.evaluate()


def test_the_set_covers_every_language_and_case() -> None:
    pages = quality.load_pages()
    by_language = Counter(p.language for p in pages)
    assert set(by_language) == set(quality.LANGUAGES)
    assert all(15 <= n <= 25 for n in by_language.values()), by_language
    for lang in quality.LANGUAGES:
        mine = [p.meta for p in pages if p.language == lang]
        assert {m["date_in"] for m in mine} == {"page", "visible", "modified", "feed", "url",
                                                "bogus"}, lang
        assert any(m["declared_language"] not in (lang,) for m in mine), lang
        stories = Counter(m["story"] for m in mine)
        assert max(stories.values()) >= 3, lang  # a story with two syndicated copies
        assert sum(sum(m["mentions"].values()) for m in mine) >= 150, lang


def test_entity_mentions_per_language(report: dict) -> None:
    for lang, v in report["entities"]["by_language"].items():
        assert v["precision"] >= 0.98 and v["recall"] >= 0.98, (lang, v)
    assert report["failures"] == []


def test_dates_right_to_the_day(report: dict) -> None:
    assert report["dates"]["overall"]["accuracy"] >= 0.97, report["dates"]["errors"]


def test_syndicated_copies_cluster(report: dict) -> None:
    s = report["stories"]
    assert s["expected_pairs"] >= 15
    assert s["precision"] >= 0.95 and s["recall"] >= 0.95, s


def test_language_identified(report: dict) -> None:
    assert report["language"]["overall"]["accuracy"] >= 0.97, report["language"]["errors"]


def test_labels_are_the_annotators_marks() -> None:
    """The sidecars are rebuilt from source/<lang>.txt exactly (no hand edits, no tagger),
    and each sidecar's counts are its marks."""
    pages = quality.load_pages()
    for page in pages:
        marks: Counter[str] = Counter()
        for text in [page.meta["annotated_title"], *page.meta["annotated_body"]]:
            marks.update(m.group(2) for m in build_pages._MARK_RE.finditer(text))
        assert dict(marks) == page.meta["mentions"], page.meta["id"]


def test_pages_are_up_to_date_with_their_sources(tmp_path: Path) -> None:
    written = build_pages.build(tmp_path)
    shipped = sorted(p.relative_to(build_pages.PAGES)
                     for p in build_pages.PAGES.rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path) for p in written) == shipped
    for rel in shipped:
        assert (tmp_path / rel).read_bytes() == (build_pages.PAGES / rel).read_bytes(), rel


def test_docs_show_the_current_numbers(report: dict) -> None:
    """docs/quality.md carries the harness's own tables (regenerate them with
    `python -m bench.quality --markdown` after changing the taxonomy or the pipeline)."""
    docs = DOCS.read_text(encoding="utf-8")
    tables = quality.markdown(report)
    first_table = tables.split("\n\n")[0]
    assert first_table in docs
    for line in tables.splitlines():
        if re.match(r"^\| (\*\*all\*\*|all pages|language \w+|date in: \w+) \|", line):
            assert line in docs, line


def test_the_command_prints_json_and_markdown() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.quality"], cwd=REPO, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert doc["pages"] == len(quality.load_pages())
    md = subprocess.run([sys.executable, "-m", "bench.quality", "--markdown"], cwd=REPO,
                        capture_output=True, text=True, timeout=600)
    assert md.returncode == 0 and md.stdout.startswith("| language |")
