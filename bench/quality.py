"""Measured accuracy on the annotated pages the project ships (bench/quality_data).

    python -m bench.quality                 # JSON report on stdout
    python -m bench.quality --markdown      # the tables of docs/quality.md

Every page goes through the real ``blocwatch.stages.page.process_page`` (extraction, dating,
language, tagging, signature) with the repository's taxonomy.yaml, and the articles are
loaded into a scratch warehouse with the real ``warehouse.load.load_batch`` (two batches,
in a shuffled order), so the stories measured are the ones the warehouse would hold. The
expected values come from the sidecar JSON files, which bench/quality_data/build_pages.py
derives from the annotator's marks alone (never from the tagger).

Measures:

* entity mentions (headline and text), per language: a page's found and expected counts
  per entity give true positives min(found, expected), false positives and false
  negatives the excess of either; precision and recall over all pages of the language;
* publication date right to the day, per language and per where the date is on the page;
* language identified, per language;
* stories: pairs of pages in one found story versus pairs in one annotated story
  (pairwise precision and recall over all pages, all languages).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "quality_data" / "pages"
TAXONOMY = REPO / "taxonomy.yaml"
LANGUAGES = ("en", "ja", "ko", "ru", "zh")


@dataclass(frozen=True)
class Page:
    path: Path
    meta: dict[str, Any]

    @property
    def language(self) -> str:
        return str(self.meta["language"])


def load_pages(data_dir: Path = DATA) -> list[Page]:
    """Every annotated page under data_dir (<lang>/<id>.html with <id>.json beside it)."""
    pages = []
    for sidecar in sorted(data_dir.glob("*/*.json")):
        html_path = sidecar.with_suffix(".html")
        if html_path.is_file():
            pages.append(Page(html_path, json.loads(sidecar.read_text(encoding="utf-8"))))
    return pages


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r,
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def _source_id(outlet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", outlet.lower()).strip("_") or "outlet"


def process(pages: Sequence[Page], taxonomy: Path = TAXONOMY) -> list[Any]:
    """The pipeline's ArticleRecord (or PageFailure) for each page, in order."""
    from blocwatch.records import PageInput
    from blocwatch.stages.page import process_page

    out = []
    for page in pages:
        m = page.meta
        feed = date.fromisoformat(m["feed_date"]) if m.get("feed_date") else None
        fetched = datetime.fromisoformat(m["fetched_at"])
        out.append(process_page(PageInput(
            url=m["url"], final_url=m["url"], body=page.path.read_bytes(),
            content_type="text/html; charset=utf-8", source_id=_source_id(m["outlet"]),
            source_language=m["outlet_language"], feed_date=feed, fetched_at=fetched),
            str(taxonomy)))
    return out


def _stories(records: Sequence[Any], seed: int = 5) -> dict[str, int]:
    """Load the records into a scratch warehouse the way an ingest does (two batches, in a
    shuffled order) and return each article's story_id by canonical URL."""
    from warehouse.db import connect_writer
    from warehouse.load import load_batch, start_run

    order = list(records)
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    with tempfile.TemporaryDirectory(prefix="blocwatch-quality-") as tmp:
        con = connect_writer(Path(tmp) / "quality.duckdb")
        try:
            run_id = start_run(con, "quality")
            for batch in (order[:half], order[half:]):
                load_batch(con, run_id, batch, [], {})
            return dict(con.execute("SELECT url, story_id FROM articles").fetchall())
        finally:
            con.close()


def evaluate(data_dir: Path = DATA, taxonomy: Path = TAXONOMY) -> dict[str, Any]:
    """The quality report (see the module docstring)."""
    from blocwatch.records import ArticleRecord
    from blocwatch.stages.urls import canonical_url

    pages = load_pages(data_dir)
    records = process(pages, taxonomy)
    counts = {lang: [0, 0, 0] for lang in LANGUAGES}
    entity_errors: list[dict[str, Any]] = []
    dates: dict[str, dict[str, list[int]]] = {"by_language": {}, "by_placement": {}}
    date_errors: list[dict[str, Any]] = []
    lang_right: dict[str, list[int]] = {}
    lang_errors: list[dict[str, Any]] = []
    text_exact = 0
    failures = []
    for page, rec in zip(pages, records, strict=True):
        m = page.meta
        lang = page.language
        if not isinstance(rec, ArticleRecord):
            failures.append({"page": m["id"], "error": rec.error})
            counts.setdefault(lang, [0, 0, 0])[2] += sum(m["mentions"].values())
            continue
        found: dict[str, int] = {}
        for entity_id, body, title, _, _ in rec.mentions:
            found[entity_id] = body + title
        expected: dict[str, int] = m["mentions"]
        tally = counts.setdefault(lang, [0, 0, 0])
        for entity_id in sorted(set(found) | set(expected)):
            f, e = found.get(entity_id, 0), expected.get(entity_id, 0)
            tally[0] += min(f, e)
            tally[1] += max(0, f - e)
            tally[2] += max(0, e - f)
            if f != e:
                entity_errors.append({"page": m["id"], "entity": entity_id, "expected": e,
                                      "found": f, "note": m.get("note", "")})
        right = rec.published is not None and rec.published.isoformat() == m["date"]
        for key, group in (("by_language", lang), ("by_placement", m["date_in"])):
            cell = dates[key].setdefault(group, [0, 0])
            cell[0] += right
            cell[1] += 1
        if not right:
            date_errors.append({"page": m["id"], "expected": m["date"],
                                "found": rec.published.isoformat() if rec.published else None,
                                "source": rec.date_source, "date_in": m["date_in"]})
        cell = lang_right.setdefault(lang, [0, 0])
        cell[0] += rec.language == lang
        cell[1] += 1
        if rec.language != lang:
            lang_errors.append({"page": m["id"], "expected": lang, "found": rec.language,
                                "declared": rec.declared_language,
                                "confidence": rec.language_confidence})
        text_exact += " ".join(rec.text.split()) == " ".join(m["text"].split())

    loaded = [r for r in records if isinstance(r, ArticleRecord)]
    story_of = _stories(loaded)
    found_story = {p.meta["id"]: story_of.get(canonical_url(p.meta["url"])) for p in pages}
    ids = [p.meta["id"] for p in pages]
    gold = {p.meta["id"]: p.meta["story"] for p in pages}
    expected_pairs = {(a, b) for a, b in itertools.combinations(ids, 2) if gold[a] == gold[b]}
    found_pairs = {(a, b) for a, b in itertools.combinations(ids, 2)
                   if found_story[a] is not None and found_story[a] == found_story[b]}
    true_pairs = expected_pairs & found_pairs
    by_language = {lang: {**_prf(*c), "pages": sum(p.language == lang for p in pages)}
                   for lang, c in counts.items()}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]

    def acc(cells: dict[str, list[int]]) -> dict[str, dict[str, Any]]:
        return {k: {"right": r, "pages": n, "accuracy": _ratio(r, n)}
                for k, (r, n) in sorted(cells.items())}

    date_right = sum(r for r, _ in dates["by_language"].values())
    lang_total = sum(r for r, _ in lang_right.values())
    return {
        "pages": len(pages),
        "failures": failures,
        "text_exact": {"pages": text_exact, "of": len(pages)},
        "entities": {"overall": _prf(*total), "by_language": by_language,
                     "errors": entity_errors},
        "dates": {"overall": {"right": date_right, "pages": len(pages),
                              "accuracy": _ratio(date_right, len(pages))},
                  "by_language": acc(dates["by_language"]),
                  "by_placement": acc(dates["by_placement"]), "errors": date_errors},
        "language": {"overall": {"right": lang_total, "pages": len(pages),
                                 "accuracy": _ratio(lang_total, len(pages))},
                     "by_language": acc(lang_right), "errors": lang_errors},
        "stories": {"expected_pairs": len(expected_pairs), "found_pairs": len(found_pairs),
                    "true_pairs": len(true_pairs),
                    "precision": _ratio(len(true_pairs), len(found_pairs)),
                    "recall": _ratio(len(true_pairs), len(expected_pairs)),
                    "stories_expected": len(set(gold.values())),
                    "stories_found": len({s for s in found_story.values() if s is not None}),
                    "missed_pairs": sorted(expected_pairs - found_pairs),
                    "wrong_pairs": sorted(found_pairs - expected_pairs)},
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as the Markdown tables of docs/quality.md."""
    ent = report["entities"]
    lines = ["| language | pages | mentions expected | found right | false | missed | "
             "precision | recall |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for lang, v in ent["by_language"].items():
        lines.append(f"| {lang} | {v['pages']} | {v['tp'] + v['fn']} | {v['tp']} | {v['fp']} "
                     f"| {v['fn']} | {v['precision']:.3f} | {v['recall']:.3f} |")
    o = ent["overall"]
    lines.append(f"| **all** | {report['pages']} | {o['tp'] + o['fn']} | {o['tp']} | "
                 f"{o['fp']} | {o['fn']} | **{o['precision']:.3f}** | "
                 f"**{o['recall']:.3f}** |")
    lines += ["", "| publication date | pages | right to the day | accuracy |",
              "|---|---:|---:|---:|"]
    for key in ("by_language", "by_placement"):
        for group, v in report["dates"][key].items():
            label = f"language {group}" if key == "by_language" else f"date in: {group}"
            lines.append(f"| {label} | {v['pages']} | {v['right']} | {v['accuracy']:.3f} |")
    d = report["dates"]["overall"]
    lines.append(f"| **all** | {d['pages']} | {d['right']} | **{d['accuracy']:.3f}** |")
    lines += ["", "| language identified | pages | right | accuracy |", "|---|---:|---:|---:|"]
    for lang, v in report["language"]["by_language"].items():
        lines.append(f"| {lang} | {v['pages']} | {v['right']} | {v['accuracy']:.3f} |")
    s = report["stories"]
    lines += ["", "| stories (pairs of pages) | expected | found | right | precision | recall |",
              "|---|---:|---:|---:|---:|---:|",
              f"| all pages | {s['expected_pairs']} | {s['found_pairs']} | {s['true_pairs']} "
              f"| **{s['precision']:.3f}** | **{s['recall']:.3f}** |"]
    errors = ent["errors"]
    if errors:
        lines += ["", "Entity errors (page: entity expected → found):", ""]
        lines += [f"- {e['page']}: {e['entity']} {e['expected']} → {e['found']}"
                  + (f" ({e['note']})" if e["note"] else "") for e in errors]
    for e in report["dates"]["errors"]:
        lines.append(f"- date {e['page']}: {e['expected']} → {e['found']} ({e['source']})")
    for e in report["language"]["errors"]:
        lines.append(f"- language {e['page']}: {e['expected']} → {e['found']}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--data", type=Path, default=DATA, help="annotated pages directory")
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    args = parser.parse_args(argv)
    report = evaluate(args.data, args.taxonomy)
    if args.markdown:
        sys.stdout.write(markdown(report))
    else:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
