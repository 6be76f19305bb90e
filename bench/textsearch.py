"""python -m bench.textsearch: the full-text index at 100k and 1M articles.

    python -m bench.textsearch --sizes 100000,1000000      # JSON to stdout
    python -m bench.textsearch --sizes 2000 --repeats 3    # seconds

For each size, a work warehouse of synthetic articles (the calendar and outlets of
bench/synth.py: 570 days, 10 outlets; 85 % English, 10 % Russian, 5 % Chinese texts of about
250 words from a Zipf-distributed vocabulary, with Japan, NATO, summit, "Asian NATO"
and their Russian and Chinese forms at set rates) is written, then indexed by the real
code (``warehouse.textindex.sync``, as a publish does), then 1,000 more articles are
added and indexed incrementally (the upkeep of one ingest batch). Timed, warm medians:

- ``query_trend``: ``Japan AND (NATO OR summit)`` (three terms, boolean), weekly, over 18
  months (``warehouse.search.query_series``: the aggregation plus the period totals);
- ``text_search``: ``"Asian NATO" OR Japan`` (phrase and word), its first 50 hits newest
  first with the total and highlights (``warehouse.search.query_articles``);
- ``articles_search``: the Articles page's list for that query (its newest 500 matches
  with their outlets, entities and a snippet cut around the first hit:
  ``dashboard.queries.article_search``);
- ``compile``: parsing and analysing the query.

Reported: build seconds and ms per article, upkeep ms per article (against the ingest's
ms per page, ``--ingest-ms-per-page``, from ``python -m bench``: ``index_upkeep_share``),
index size per 1,000 articles.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.synth import DAYS, FIRST_DAY, SOURCES
from dashboard import queries as dashboard_queries
from dashboard.filters import Filters as DashboardFilters
from warehouse import search, textindex
from warehouse.db import connect_reader, connect_writer
from warehouse.publish import publish
from warehouse.rollups import rebuild_rollups
from warehouse.sql import registered

TREND_QUERY = "Japan AND (NATO OR summit)"
SEARCH_QUERY = '"Asian NATO" OR Japan'
WORDS_PER_ARTICLE = 250
# The last published figure of python -m bench (docs/performance.md): 24.53 pages/s.
DEFAULT_INGEST_MS_PER_PAGE = 1000 / 24.53

_EN = ["the", "of", "and", "to", "in", "a", "said", "on", "for", "that", "with", "was", "is",
       "by", "at", "as", "from", "its", "government", "security", "military", "defence",
       "officials", "minister", "ministers", "talks", "region", "alliance", "forces",
       "missile", "trade", "policy", "cooperation", "president", "foreign", "would", "will",
       "has", "have", "been", "were", "not", "after", "new", "year", "also", "country",
       "countries", "week", "people", "leaders", "meeting", "agreement", "spending",
       "exercises", "navy", "sea", "border", "economic", "sanctions", "budget"]
_RU = ["и", "в", "на", "что", "с", "по", "не", "заявил", "министр", "правительство",
       "безопасности", "военные", "учения", "переговоры", "страны", "регионе", "сотрудничество",
       "альянса", "ракетной", "обороны", "президент", "году", "неделе", "соглашение"]
_ZH = ["中国", "政府", "安全", "军事", "合作", "外交部", "表示", "地区", "问题", "会议",
       "发展", "国家", "经济", "关系", "领导人", "防务", "演习", "协议", "部长", "总统"]
# (words to insert, per-article probability)
_EN_TOPICS = [("Japan", 0.25), ("NATO", 0.15), ("summit", 0.10), ("Asian NATO", 0.01),
              ("Korea", 0.10), ("China", 0.20)]
_RU_TOPICS = [("Японии", 0.25), ("Япония", 0.10), ("НАТО", 0.15), ("саммит", 0.10)]
_ZH_TOPICS = [("日本", 0.25), ("北约", 0.15), ("峰会", 0.10), ("亚洲版北约", 0.01)]


def _vocabulary(base: list[str], rng: random.Random, extra: int, make: Any) -> list[str]:
    return base + [make(rng, i) for i in range(extra)]


def _latin(rng: random.Random, i: int) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou")
                   for _ in range(2 + i % 3))


def _cyrillic(rng: random.Random, i: int) -> str:
    return "".join(rng.choice("бвгдклмнпрст") + rng.choice("аеиоу") for _ in range(2 + i % 3))


def _han(rng: random.Random, i: int) -> str:
    return "".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(2))


class _Texts:
    """Deterministic article texts: a Zipf-like draw from each language's vocabulary."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.vocab = {"en": _vocabulary(_EN, rng, 6000, _latin),
                      "ru": _vocabulary(_RU, rng, 4000, _cyrillic),
                      "zh": _vocabulary(_ZH, rng, 4000, _han)}
        self.weights = {k: [1 / (r + 1) for r in range(len(v))]
                        for k, v in self.vocab.items()}
        self.cum = {k: list(_accumulate(w)) for k, w in self.weights.items()}
        self.topics = {"en": _EN_TOPICS, "ru": _RU_TOPICS, "zh": _ZH_TOPICS}

    def article(self, language: str) -> tuple[str, str]:
        rng = self.rng
        words = rng.choices(self.vocab[language], cum_weights=self.cum[language],
                            k=WORDS_PER_ARTICLE)
        for topic, p in self.topics[language]:
            if rng.random() < p:
                for _ in range(1 + rng.randrange(3)):
                    words.insert(rng.randrange(len(words)), topic)
        sep = "" if language == "zh" else " "
        sentences = [sep.join(words[i:i + 20]) for i in range(0, len(words), 20)]
        end = "。" if language == "zh" else ". "
        title = sep.join(words[:8])
        return title, end.join(sentences) + end.strip()


def _accumulate(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _language(i: int) -> str:
    r = (i * 2654435761) % 100
    return "zh" if r < 5 else "ru" if r < 15 else "en"


def _rows(texts: _Texts, first: int, n: int, total: int) -> pa.Table:
    ids, sources, urls, titles, days, langs, bodies, hashes = [], [], [], [], [], [], [], []
    for aid in range(first, first + n):
        lang = _language(aid)
        title, text = texts.article(lang)
        ids.append(aid)
        sources.append(SOURCES[aid % len(SOURCES)][0])
        urls.append(f"https://src.example/a/{aid}")
        titles.append(title)
        day_index = min(DAYS - 1, (aid - 1) * DAYS // max(total, 1))
        days.append(FIRST_DAY + timedelta(days=day_index))
        langs.append(lang)
        bodies.append(text)
        hashes.append(f"h{aid}")
    return pa.table({"article_id": pa.array(ids, pa.int64()),
                     "source_id": pa.array(sources), "url": pa.array(urls),
                     "title": pa.array(titles), "published": pa.array(days, pa.date32()),
                     "language": pa.array(langs), "text": pa.array(bodies),
                     "content_hash": pa.array(hashes)})


def _insert(con: Any, table: pa.Table) -> None:
    with registered(con, new_rows=table):
        con.execute("""
            INSERT INTO articles (article_id, source_id, url, fetched_url, title, published,
                date_source, fetched_at, language, text, word_count, content_hash, run_id,
                story_id)
            SELECT article_id, source_id, url, url, title, published, 'page',
                   published::TIMESTAMP, language, text, 250, content_hash, 'bench',
                   article_id
            FROM new_rows""")


def build(root: Path, n: int, seed: int) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    work = root / "work.duckdb"
    con = connect_writer(work)
    texts = _Texts(seed)
    started = time.perf_counter()
    for i, (sid, country, lang) in enumerate(SOURCES):
        con.execute("INSERT INTO sources (source_id, name, homepage, country, language, kind, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, 'wire', current_timestamp)",
                    [sid, f"Outlet {i}", f"https://{sid}.example/", country, lang])
    chunk = 20_000
    for first in range(1, n + 1, chunk):
        _insert(con, _rows(texts, first, min(chunk, n + 1 - first), n))
    rebuild_rollups(con)
    generated = time.perf_counter() - started
    t = time.perf_counter()
    built = textindex.sync(con, root)
    build_s = time.perf_counter() - t
    # One ingest batch more, indexed incrementally (as the publish after a run does).
    extra = 1000
    _insert(con, _rows(texts, n + 1, extra, n))
    rebuild_rollups(con)
    t = time.perf_counter()
    upkeep = textindex.sync(con, root)
    upkeep_s = time.perf_counter() - t
    publish(con, work, root / "blocwatch.duckdb")
    con.close()
    gen = textindex.index_root(root) / f"gen-{upkeep['generation'] + 1}"
    size = sum(p.stat().st_size for p in gen.iterdir())
    return {"articles": n + extra, "generate_s": round(generated, 1),
            "build_s": round(build_s, 1),
            "build_ms_per_article": round(build_s * 1000 / built["added"], 3),
            "upkeep_articles": upkeep["added"], "upkeep_s": round(upkeep_s, 3),
            "upkeep_ms_per_article": round(upkeep_s * 1000 / max(upkeep["added"], 1), 3),
            "index_bytes": size,
            "index_kb_per_1000_articles": round(size / 1024 / ((n + extra) / 1000), 1)}


def _median_ms(fn: Any, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def time_queries(root: Path, repeats: int) -> dict[str, Any]:
    db = root / "blocwatch.duckdb"
    con = connect_reader(db)
    searcher = search.open_searcher(con, db)
    trend = search.compile_text(TREND_QUERY, con, None)
    text = search.compile_text(SEARCH_QUERY, con, None)
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    window = search.Filters(start=last - timedelta(days=548), end=last)  # 18 months
    series = search.query_series(con, searcher, trend, "week", window)
    total, rows, _ = search.query_articles(con, searcher, text, limit=50)
    out = {
        "query_trend_ms": _median_ms(
            lambda: search.query_series(con, searcher, trend, "week", window), repeats),
        "query_trend_weeks": len(series),
        "query_trend_matches": sum(r.articles for r in series),
        "text_search_ms": _median_ms(
            lambda: search.query_articles(con, searcher, text, limit=50), repeats),
        "text_search_total": total, "text_search_rows": len(rows),
        "articles_search_ms": _median_ms(
            lambda: dashboard_queries.article_search(con, searcher, text, search.Filters(),
                                                     DashboardFilters()), repeats),
        "compile_ms": _median_ms(lambda: search.compile_text(TREND_QUERY, con, None),
                                 repeats),
    }
    con.close()
    return out


def run(sizes: list[int], repeats: int, seed: int, work: Path | None,
        ingest_ms_per_page: float) -> dict[str, Any]:
    """Build and time each size (see the module docstring); the summary with goals."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        results: dict[str, Any] = {}
        for n in sizes:
            print(f"text index: building {n} articles", file=sys.stderr, flush=True)
            root = Path(tmp) / f"text-{n}"
            built = build(root, n, seed)
            results[str(n)] = {**built, **time_queries(root, repeats)}
    summary: dict[str, Any] = {"sizes": results, "trend_query": TREND_QUERY,
                               "search_query": SEARCH_QUERY,
                               "ingest_ms_per_page": round(ingest_ms_per_page, 2)}
    small, large = results[str(sizes[0])], results[str(sizes[-1])]
    summary["index_upkeep_share"] = round(
        large["upkeep_ms_per_article"] / ingest_ms_per_page, 4)
    summary["index_kb_per_1000_articles"] = large["index_kb_per_1000_articles"]
    summary["query_trend_ms"] = {"small": small["query_trend_ms"],
                                 "large": large["query_trend_ms"]}
    summary["query_trend_ratio"] = round(large["query_trend_ms"] / small["query_trend_ms"], 3)
    summary["text_search_ms"] = {"small": small["text_search_ms"],
                                 "large": large["text_search_ms"]}
    summary["articles_search_ms"] = {"small": small["articles_search_ms"],
                                     "large": large["articles_search_ms"]}
    summary["goals"] = {
        "query_trend_ms<=100_at_largest": large["query_trend_ms"] <= 100,
        "query_trend_ratio<=1.5": summary["query_trend_ratio"] <= 1.5,
        "text_search_ms<=50_at_largest": large["text_search_ms"] <= 50,
        "index_upkeep_share<=0.10": summary["index_upkeep_share"] <= 0.10,
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.textsearch")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", help="directory for the warehouses (default: a temporary "
                        "one, deleted)")
    parser.add_argument("--ingest-ms-per-page", type=float,
                        default=DEFAULT_INGEST_MS_PER_PAGE,
                        help="the ingest's time per page, for index_upkeep_share")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    summary = run(sizes, args.repeats, args.seed, Path(args.work) if args.work else None,
                  args.ingest_ms_per_page)
    summary["when"] = date.today().isoformat()
    summary["command"] = "python -m bench.textsearch " + " ".join(
        argv if argv is not None else sys.argv[1:])
    print(json.dumps(summary, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
