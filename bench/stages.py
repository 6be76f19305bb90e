"""Stage timings on the benchmark's pages, in this one process: bare trafilatura (the
baseline every ingest rate is compared with), blocwatch's extraction, and tagging plus
keywording with the shipped taxonomy and with a generated one of 5,000 aliases."""

from __future__ import annotations

import time
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlsplit

import trafilatura
import yaml

from blocwatch.stages.extract import decode_html, extract_page
from blocwatch.stages.keywords import extract_keywords
from blocwatch.stages.page import keyword_exclusions
from blocwatch.stages.tagger import Tagger
from blocwatch.taxonomy import load_taxonomy

_SYLLABLES = ("ka", "ro", "mi", "ten", "vor", "lu", "sha", "bel", "dor", "qui", "zan", "el",
              "tra", "mon", "ve", "ris", "ul", "gar", "no", "pex", "sto", "len", "dra", "fi")
_SUFFIXES = ("Institute", "Council", "Group", "Forum", "Alliance", "Party", "Front",
             "Initiative", "Ministry", "Agency", "Pact", "Union")


def page_path(web_dir: Path, url: str) -> Path:
    parts = urlsplit(url)
    return web_dir / str(parts.hostname) / parts.path.lstrip("/")


def big_taxonomy(shipped: Path, out: Path, aliases: int = 5000, seed: int = 5) -> Path:
    """The shipped taxonomy plus invented entities, ``aliases`` aliases in all."""
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    have = sum(len(e["aliases"]) for e in data["entities"])
    rng = Random(seed)
    seen: set[str] = set()
    i = 0
    while have < aliases:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        if name in seen:
            continue
        seen.add(name)
        forms = [f"{name} {rng.choice(_SUFFIXES)}", name.upper(),
                 f"{name}-{rng.choice(_SYLLABLES)}", {"text": f"{name} office", "case": "ignore"},
                 f"{name[:3].upper()}{i}"]
        forms = forms[:min(len(forms), aliases - have)]
        data["entities"].append({"id": f"gen_{i}", "name": name, "kind": "organisation",
                                 "group": "Generated", "aliases": forms})
        have += len(forms)
        i += 1
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def measure(web_dir: Path, urls: list[str], shipped_taxonomy: Path, work: Path,
            sample: int) -> dict[str, Any]:
    """Extraction-only rate and the tagging share on an evenly spread sample of pages."""
    step = max(1, len(urls) // sample)
    picked = urls[::step][:sample]
    pages = [(u, decode_html(page_path(web_dir, u).read_bytes(), "text/html; charset=utf-8"))
             for u in picked]
    # One-off costs (imports, regex compilation, stopword lists) are per process, not per
    # page: pay them before timing.
    trafilatura.bare_extraction(pages[0][1], url=pages[0][0], with_metadata=True)
    extract_page(pages[0][1], pages[0][0])
    t = time.perf_counter()
    for url, html in pages:
        trafilatura.bare_extraction(html, url=url, with_metadata=True)
    bare_s = time.perf_counter() - t
    extracted = []
    t = time.perf_counter()
    for url, html in pages:
        extracted.append(extract_page(html, url))
    extract_s = time.perf_counter() - t
    docs = [(e.title or "", e.text) for e in extracted if e is not None]
    big = big_taxonomy(shipped_taxonomy, work / "taxonomy-5000.yaml")
    out: dict[str, Any] = {"pages": len(pages), "bare_seconds": round(bare_s, 3),
                           "extract_seconds": round(extract_s, 3)}
    for label, path in (("shipped", shipped_taxonomy), ("5000_aliases", big)):
        taxonomy = load_taxonomy(path)
        t = time.perf_counter()
        tagger = Tagger(taxonomy)
        exclude = keyword_exclusions(taxonomy)
        build_s = time.perf_counter() - t
        tagger.tag(*docs[0])
        extract_keywords(docs[0][1], "en", exclude=exclude)
        t = time.perf_counter()
        for title, text in docs:
            tagger.tag(title, text)
        t2 = time.perf_counter()
        for _title, text in docs:
            extract_keywords(text, "en", exclude=exclude)
        tag_s = time.perf_counter() - t
        out[f"tagging_{label}"] = {"aliases": len(taxonomy.aliases),
                                   "seconds": round(tag_s, 4),
                                   "tag_seconds": round(t2 - t, 4),
                                   "keywords_seconds": round(t + tag_s - t2, 4),
                                   "build_seconds_once_per_process": round(build_s, 3),
                                   "share": round(tag_s / extract_s, 4)}
    out["extract_only_pages_per_s"] = round(len(pages) / bare_s, 2)
    return out
