"""The demo corpus generator: determinism, size, trends, discovery paths, languages,
syndicated copies, where dates are findable, and that trafilatura sees exactly the article
text the generator wrote (no boilerplate).

Checks here are independent of the project's discovery and tagging code: feeds are read
with xml.etree and mentions are counted with a brute-force matcher written below.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trafilatura
from lxml import html as lxml_html

from blocwatch.config import load_sources
from blocwatch.demo.corpus import AliasMatcher, generate, main
from blocwatch.taxonomy import Alias, Entity, Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(REPO / "taxonomy.yaml")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, taxonomy: Taxonomy) -> tuple[Path, dict]:
    """The full default corpus, generated once for this module."""
    out = tmp_path_factory.mktemp("demo-default")
    ledger = generate(out, taxonomy)
    return out, ledger


def unspaced(ch: str) -> bool:
    """Whether ch belongs to a script written without spaces (by its Unicode name, so this
    shares no table with the tagger or the generator)."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK ", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "HANGUL",
                            "IDEOGRAPHIC ITERATION"))


def wordish(ch: str) -> bool:
    """A character that continues a word of a spaced script."""
    return ch.isalnum() and not unspaced(ch)


def brute_count(text: str, taxonomy: Taxonomy) -> list[str]:
    """Entity ids of the mentions in text: case as the alias says, whole word unless the
    alias is in a script without spaces (or a prefix alias), leftmost-longest.
    Deliberately naive (no regex) so it cannot share a bug with the generator."""
    by_first: dict[str, list[tuple[str, str, bool, bool]]] = defaultdict(list)
    for a in taxonomy.aliases:
        ignore = a.case == "ignore"
        for ch in {a.text[0], a.text[0].lower(), a.text[0].upper()} if ignore else {a.text[0]}:
            by_first[ch].append((a.text, a.entity_id, ignore, a.match == "prefix"))
    found, i = [], 0
    while i < len(text):
        best = None
        for alias, eid, ignore, prefix in by_first.get(text[i], ()):
            end = i + len(alias)
            piece = text[i:end]
            if piece != alias and not (ignore and piece.casefold() == alias.casefold()):
                continue
            if not unspaced(alias[0]) and i > 0 and wordish(text[i - 1]):
                continue
            if (not prefix and not unspaced(alias[-1]) and end < len(text)
                    and wordish(text[end])):
                continue
            if best is None or len(alias) > len(best[0]):
                best = (alias, eid)
        if best is None:
            i += 1
        else:
            found.append(best[1])
            i += len(best[0])
    return found


def sentences(body: str) -> list[str]:
    """A plain splitter: after . ! ? and a space before a capital or digit (Latin and
    Cyrillic) or any Hangul, and after 。！？ always; every line is a paragraph."""
    out: list[str] = []
    for line in body.split("\n"):
        for part in re.split(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ0-9\"'(«\uac00-\ud7a3])|(?<=[。！？])",
                             line):
            if part.strip():
                out.append(part.strip())
    return out


def page_file(root: Path, url: str) -> Path:
    parts = urlsplit(url)
    return root / "web" / parts.hostname / parts.path.lstrip("/")


def week_of(day: str) -> date:
    d = date.fromisoformat(day)
    return d - timedelta(days=d.weekday())


# --- determinism ---------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path: Path, taxonomy: Taxonomy) -> None:
    a = generate(tmp_path / "a", taxonomy, seed=11, n_articles=120)
    b = generate(tmp_path / "b", taxonomy, seed=11, n_articles=120)
    assert a == b
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                     if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*")
                     if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    other = generate(tmp_path / "c", taxonomy, seed=12, n_articles=120)
    assert other["articles"] != a["articles"]


def test_regenerating_replaces_stale_pages(tmp_path: Path, taxonomy: Taxonomy) -> None:
    generate(tmp_path, taxonomy, seed=3, n_articles=200)
    ledger = generate(tmp_path, taxonomy, seed=3, n_articles=60)
    pages = {p for p in (tmp_path / "web").rglob("*.html")
             if re.search(r"/(\d{4}/\d{2}/\d{2}|news)/", p.as_posix())}
    assert pages == {page_file(tmp_path, r["url"]) for r in ledger["articles"]}
    assert len(pages) == 60


# --- size, shape, sources ---------------------------------------------------------------

def test_default_size_and_span(corpus: tuple[Path, dict]) -> None:
    _, ledger = corpus
    rows = ledger["articles"]
    assert ledger["seed"] == 2026
    assert len(rows) >= 1500
    assert len({r["source"] for r in rows}) >= 5
    urls = [r["url"] for r in rows]
    assert len(set(urls)) == len(urls)
    assert urls == sorted(urls)
    days = sorted(date.fromisoformat(r["published"]) for r in rows)
    months = (days[-1].year - days[0].year) * 12 + days[-1].month - days[0].month
    assert months >= 18
    assert days[0] >= date(2025, 5, 1) and days[-1] <= date(2026, 11, 20)
    for r in rows:
        if r["date_in"] == "feed" and "/news/" in r["url"]:
            # Only the feed knows the date: the URL has none.
            assert re.fullmatch(r"http://[a-z0-9.]+\.test/news/[a-z0-9-]+\.html", r["url"])
        else:
            assert re.fullmatch(r"http://[a-z0-9.]+\.test/\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html",
                                r["url"])
            assert r["url"].split("/")[3:6] == r["published"].split("-")
        assert all(n > 0 for n in r["mentions"].values())
    per_article = Counter(len(r["mentions"]) for r in rows)
    assert per_article[0] > 0
    assert sum(per_article[k] for k in (1, 2, 3, 4)) > 0.8 * len(rows)


def test_sources_yaml_matches_the_web(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    config = load_sources(root / "sources.yaml")
    assert config.settings.politeness.min_delay_s == 0
    assert config.settings.batch_size == 250
    ids = {s.id for s in config.sources}
    assert ids == {r["source"] for r in ledger["articles"]}
    assert len({s.country for s in config.sources}) >= 5
    assert len({s.kind for s in config.sources}) >= 3
    hosts = {p.name for p in (root / "web").iterdir()}
    for s in config.sources:
        assert s.allow_private_network
        assert s.homepage.host in hosts and s.homepage.host.endswith(".test")
        assert s.feeds or s.sitemaps
        host_dir = root / "web" / s.homepage.host
        assert "Disallow: /private/" in (host_dir / "robots.txt").read_text()
        assert (host_dir / "index.html").is_file()
    kinds = {("feeds" if s.feeds else "sitemaps", str((s.feeds or s.sitemaps)[0]).rsplit("/")[-1])
             for s in config.sources}
    assert {k[1] for k in kinds} >= {"feed.xml", "atom.xml", "sitemap.xml"}


# --- trends ------------------------------------------------------------------------------

def test_multi_outlet_burst_week(corpus: tuple[Path, dict]) -> None:
    _, ledger = corpus
    burst = next(b for b in ledger["bursts"] if b["kind"] == "multi_outlet")
    assert burst["week_start"] == "2026-07-06"
    a, b = burst["entities"]
    per_week: Counter[date] = Counter()
    sources_in_burst: set[str] = set()
    weeks = set()
    for r in ledger["articles"]:
        w = week_of(r["published"])
        weeks.add(w)
        if a in r["mentions"] and b in r["mentions"]:
            per_week[w] += 1
            if w == date.fromisoformat(burst["week_start"]):
                sources_in_burst.add(r["source"])
    burst_count = per_week[date.fromisoformat(burst["week_start"])]
    average = sum(per_week.values()) / len(weeks)
    assert burst_count > 10 * average
    assert burst_count == max(per_week.values())
    assert len(sources_in_burst) >= 3
    assert sources_in_burst >= set(burst["sources"])


def test_single_outlet_burst_comes_from_one_outlet(corpus: tuple[Path, dict]) -> None:
    _, ledger = corpus
    burst = next(b for b in ledger["bursts"] if b["kind"] == "single_outlet")
    (eid,), (source,) = burst["entities"], burst["sources"]
    week = date.fromisoformat(burst["week_start"])
    by_source: Counter[str] = Counter(
        r["source"] for r in ledger["articles"]
        if eid in r["mentions"] and week_of(r["published"]) == week)
    assert by_source[source] >= 15
    assert sum(n for s, n in by_source.items() if s != source) <= 2
    per_week = Counter(week_of(r["published"]) for r in ledger["articles"]
                       if eid in r["mentions"])
    assert per_week.most_common(1)[0][0] == week


def test_waves(corpus: tuple[Path, dict]) -> None:
    _, ledger = corpus
    waves = {w["entity"]: w for w in ledger["waves"]}
    assert set(waves) == {"aukus", "quad"}
    assert waves["aukus"]["start"] != waves["quad"]["start"]
    for eid, wave in waves.items():
        lo, hi = date.fromisoformat(wave["start"]), date.fromisoformat(wave["end"])
        inside = outside = 0
        for r in ledger["articles"]:
            if eid in r["mentions"]:
                if lo <= date.fromisoformat(r["published"]) <= hi:
                    inside += 1
                else:
                    outside += 1
        days_in = (hi - lo).days + 1
        days_out = (date(2026, 11, 20) - date(2025, 5, 1)).days + 1 - days_in
        assert inside / days_in > 4 * outside / days_out, eid


def test_never_mentions_hold_in_ledger_and_pages(corpus: tuple[Path, dict],
                                                 taxonomy: Taxonomy) -> None:
    root, ledger = corpus
    assert ledger["never_mentions"] == {"huaxia": ["aukus", "quad"]}
    by_id = taxonomy.by_id()
    for source, banned in ledger["never_mentions"].items():
        rows = [r for r in ledger["articles"] if r["source"] == source]
        assert rows
        for r in rows:
            assert not set(banned) & (set(r["mentions"]) | set(r["title_mentions"]))
        # Not even the boilerplate of that outlet's pages names them.
        pattern = re.compile("|".join(
            rf"(?<![^\W_]){re.escape(a.text)}(?![^\W_])"
            for eid in banned for a in by_id[eid].aliases))
        host = urlsplit(rows[0]["url"]).hostname
        for page in (root / "web" / host).rglob("*"):
            if page.is_file():
                assert not pattern.search(page.read_text(encoding="utf-8")), page


# --- discovery paths ----------------------------------------------------------------------

def _read_discovery(root: Path, url: str) -> tuple[list[dict], int]:
    """Follow a feed's next links or a sitemap index from the files on disk; return the
    entries and the number of documents read."""
    entries: list[dict] = []
    todo, seen = [url], set()
    while todo:
        current = todo.pop(0)
        assert current not in seen, f"discovery loops at {current}"
        seen.add(current)
        doc = ET.parse(page_file(root, current)).getroot()
        if doc.tag == "rss":
            items = doc.findall("channel/item")
            assert len(items) <= 50
            for item in items:
                entries.append({"url": item.findtext("link"), "title": item.findtext("title"),
                                "date": item.findtext("pubDate"),
                                "id": item.findtext("guid")})
            todo += [ln.get("href") for ln in doc.findall(f"channel/{ATOM}link")
                     if ln.get("rel") == "next"]
        elif doc.tag == f"{ATOM}feed":
            items = doc.findall(f"{ATOM}entry")
            assert len(items) <= 50
            for entry in items:
                link = entry.find(f"{ATOM}link[@rel='alternate']")
                entries.append({"url": link.get("href"), "title": entry.findtext(f"{ATOM}title"),
                                "date": entry.findtext(f"{ATOM}updated"),
                                "id": entry.findtext(f"{ATOM}id")})
            todo += [ln.get("href") for ln in doc.findall(f"{ATOM}link")
                     if ln.get("rel") == "next"]
        elif doc.tag == f"{SM}sitemapindex":
            for sm in doc.findall(f"{SM}sitemap"):
                assert sm.findtext(f"{SM}lastmod")
                todo.append(sm.findtext(f"{SM}loc"))
        elif doc.tag == f"{SM}urlset":
            for u in doc.findall(f"{SM}url"):
                entries.append({"url": u.findtext(f"{SM}loc"), "title": "-",
                                "date": u.findtext(f"{SM}lastmod"), "id": "-"})
        else:
            raise AssertionError(f"unexpected document {doc.tag} at {current}")
    return entries, len(seen)


def test_every_article_is_discoverable(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    config = load_sources(root / "sources.yaml")
    expected: dict[str, set[str]] = defaultdict(set)
    for r in ledger["articles"]:
        expected[r["source"]].add(r["url"])
    paged = 0
    for s in config.sources:
        entries, docs = _read_discovery(root, str((s.feeds or s.sitemaps)[0]))
        urls = [e["url"] for e in entries]
        assert len(urls) == len(set(urls))
        assert set(urls) == expected[s.id], s.id
        assert all(e["title"] and e["id"] for e in entries)
        # Entries carry dates, except those of articles whose date is only in the URL.
        undated = {e["url"] for e in entries if not e["date"]}
        assert undated == {r["url"] for r in ledger["articles"]
                           if r["source"] == s.id and r["date_in"] == "url"}, s.id
        if s.feeds:
            paged += docs > 1
            assert [e["id"] for e in entries] == urls
    assert paged >= 2


def test_feeds_are_newest_first(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    published = {r["url"]: r["published"] for r in ledger["articles"]}
    for s in load_sources(root / "sources.yaml").sources:
        if s.feeds:
            entries, _ = _read_discovery(root, str(s.feeds[0]))
            days = [published[e["url"]] for e in entries]
            assert days == sorted(days, reverse=True)


# --- pages and extraction -----------------------------------------------------------------

def _sample(ledger: dict, n: int) -> list[dict]:
    rows = ledger["articles"]
    by_source: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(r)
    rng = random.Random(5)
    # Every outlet (every page layout), plus both bursts.
    picked = [rng.choice(v) for _, v in sorted(by_source.items())]
    picked += [r for r in rows if r["published"] == "2026-07-08"][:3]
    picked += rng.sample(rows, n - len(picked))
    return picked


def test_page_metadata(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    misdeclared = {k: v["declared"] for k, v in ledger["misdeclared"].items()}
    for r in _sample(ledger, 30):
        page = page_file(root, r["url"]).read_text(encoding="utf-8")
        tree = lxml_html.fromstring(page)
        assert tree.get("lang") == misdeclared.get(r["source"], r["language"])
        assert tree.findtext(".//title").startswith(r["title"] + " | ")
        assert tree.xpath("string(//meta[@property='og:title']/@content)") == r["title"]
        stamp = tree.xpath("string(//meta[@property='article:published_time']/@content)")
        if r["date_in"] == "page":
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamp)
            assert stamp[:10] == r["published"]
            assert tree.xpath("string(//time/@datetime)") == stamp
        else:
            # No date in the page, or a wrong one (a template default, a far-future typo).
            assert stamp[:10] != r["published"]
        assert tree.xpath("string(//meta[@name='author']/@content)")
        assert tree.xpath("string(//meta[@property='og:site_name']/@content)")
        assert tree.xpath("string(//link[@rel='canonical']/@href)") == r["url"]
        assert tree.xpath("//h1")[0].text_content() == r["title"]
        paragraphs = tree.xpath("//article//p[not(@class)]")
        assert 4 <= len(paragraphs) <= 10
        for selector in ("//nav", "//div[contains(@class,'cookie')]", "//aside",
                         "//section[@class='comments']", "//footer"):
            assert tree.xpath(selector), selector


def _check_extraction(root: Path, r: dict, taxonomy: Taxonomy) -> int:
    """trafilatura gives exactly the article the ledger describes; returns the mentions in
    the page's boilerplate (which must not count)."""
    page = page_file(root, r["url"]).read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    placed = [p.text_content() for p in tree.xpath("//article//p[not(@class)]")]
    doc = trafilatura.bare_extraction(page, url=r["url"], with_metadata=True,
                                      include_comments=False)
    assert doc.title == r["title"]
    first, _, body = doc.text.partition("\n")
    assert first == r["title"]
    assert body == "\n".join(placed), r["url"]
    assert Counter(brute_count(body, taxonomy)) == r["mentions"], r["url"]
    assert Counter(brute_count(r["title"], taxonomy)) == r["title_mentions"]
    # Sentences never break inside ("U.S. Navy"), so a plain splitter agrees.
    co: Counter[str] = Counter()
    for sentence in sentences(body):
        ids = sorted(set(brute_count(sentence, taxonomy)))
        co.update(f"{a}|{b}" for a, b in itertools.combinations(ids, 2))
    assert co == r["co_sentence"], r["url"]
    if r["date_in"] == "page":
        assert doc.date == r["published"]
    chrome = " ".join(e.text_content() for selector in
                      ("//nav", "//aside", "//section[@class='comments']")
                      for e in tree.xpath(selector))
    return len(brute_count(chrome, taxonomy))


def test_trafilatura_sees_exactly_the_article(corpus: tuple[Path, dict],
                                              taxonomy: Taxonomy) -> None:
    root, ledger = corpus
    boilerplate_mentions = 0
    for r in _sample(ledger, 50):
        boilerplate_mentions += _check_extraction(root, r, taxonomy)
    # The test only means something if the boilerplate does name entities.
    assert boilerplate_mentions > 200


def test_every_language_extracts_exactly(corpus: tuple[Path, dict],
                                         taxonomy: Taxonomy) -> None:
    """Japanese, Korean, Russian and Chinese pages: the text, the mentions (particles,
    inflections, no spaces) and the same-sentence pairs are what the ledger says."""
    root, ledger = corpus
    rng = random.Random(11)
    for language in ("ja", "ko", "ru", "zh"):
        rows = [r for r in ledger["articles"] if r["language"] == language]
        assert len(rows) >= 40, language
        boilerplate = 0
        for r in rng.sample(rows, 12):
            boilerplate += _check_extraction(root, r, taxonomy)
        assert boilerplate > 0, language


def test_varied_surface_forms(corpus: tuple[Path, dict], taxonomy: Taxonomy) -> None:
    root, ledger = corpus
    seen: Counter[str] = Counter()
    for r in [r for r in ledger["articles"] if r["language"] == "en"][::8]:
        page = page_file(root, r["url"]).read_text(encoding="utf-8")
        tree = lxml_html.fromstring(page)
        body = " ".join(p.text_content() for p in tree.xpath("//article//p[not(@class)]"))
        seen["possessive"] += len(re.findall(r"[A-Za-z.]'s? ", body))
        seen["hyphen compound"] += len(re.findall(r"[A-Z][A-Za-z.]*-[A-Z]", body))
        seen["-led"] += body.count("-led ")
        seen["multi-word"] += sum(" " in a.text and a.text in body for a in taxonomy.aliases)
        seen["all caps"] += len(re.findall(r"\b[A-Z]{5,}\b", body))
    assert all(seen[k] > 0 for k in ("possessive", "hyphen compound", "-led", "multi-word",
                                     "all caps")), seen


# --- guards -------------------------------------------------------------------------------

def test_matcher_rules(taxonomy: Taxonomy) -> None:
    m = AliasMatcher(taxonomy)
    cases = [
        "Talk of an Asian NATO and a NATO of Asia grew, while NATO itself stayed quiet.",
        "Japan's envoy backed the Japan-NATO talks and the U.S.-led plan.",
        "JAPANESE and Japanese firms, USAID and the USA, the Philippines and Philippines.",
        "The United States of America and the United States; Kim Jong-un met Lee Jae-myung.",
        "日本政府はNATOとの協力を強化し、インド太平洋とインドネシアに触れた。",
        "일본은 나토와 협력하고 인도태평양 전략에서 인도를 언급했다. 북한의 도발.",
        "Представитель Японии и Японией, японский МИД; США, не СШАГ; азиатского НАТО.",
        "北约秘书长吕特表示，中国和美国。亚洲版北约。ＮＡＴＯとＧ７。",
    ]
    for text in cases:
        assert sorted(m.count(text).elements()) == sorted(brute_count(text, taxonomy)), text
    assert m.count(cases[0]) == Counter({"asian_nato": 2, "nato": 1})
    assert m.count(cases[4]) == Counter({"japan": 1, "nato": 1, "indo_pacific": 1,
                                         "indonesia": 1})
    assert m.count(cases[6]) == Counter({"japan": 2, "united_states": 1, "asian_nato": 1})


def test_languages_and_a_misdeclared_outlet(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    rows = ledger["articles"]
    by_language = Counter(r["language"] for r in rows)
    assert set(by_language) == {"en", "ja", "ko", "ru", "zh"}
    assert all(by_language[lang] >= 50 for lang in ("ja", "ko", "ru", "zh")), by_language
    config = {s.id: s for s in load_sources(root / "sources.yaml").sources}
    for r in rows:
        assert config[r["source"]].language == r["language"]
    # One outlet's template declares English on every page: detection has to correct it.
    assert len(ledger["misdeclared"]) == 1
    (source, claim), = ledger["misdeclared"].items()
    assert claim["declared"] != claim["actual"] == config[source].language


def test_russian_text_declines_names(corpus: tuple[Path, dict], taxonomy: Taxonomy) -> None:
    """Russian copy uses the oblique-case aliases (Японии, Китаю...), not only the
    dictionary forms, so the inflection rules are exercised."""
    root, ledger = corpus
    first = {e.id: next(a.text for a in e.aliases if a.lang == "ru")
             for e in taxonomy.entities}
    oblique = Counter()
    for r in [r for r in ledger["articles"] if r["language"] == "ru"][:40]:
        tree = lxml_html.fromstring(page_file(root, r["url"]).read_text(encoding="utf-8"))
        body = " ".join(p.text_content() for p in tree.xpath("//article//p[not(@class)]"))
        for alias in taxonomy.aliases:
            if (alias.lang == "ru" and alias.text != first[alias.entity_id]
                    and not alias.text.isupper() and alias.text in body):
                oblique[alias.entity_id] += 1
    assert sum(oblique.values()) >= 20 and len(oblique) >= 5, oblique


def test_syndicated_copies(corpus: tuple[Path, dict], taxonomy: Taxonomy) -> None:
    """Wire stories republished by other outlets: separate URLs, a new headline, a new lead
    sentence and a closing paragraph, the rest of the body unchanged."""
    root, ledger = corpus
    rows = {r["url"]: r for r in ledger["articles"]}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows.values():
        groups[r["story"]].append(r)
    syndicated = {k: v for k, v in groups.items() if len(v) > 1}
    copies = sum(len(v) - 1 for v in syndicated.values())
    assert len(syndicated) >= 15 and copies >= 40
    assert max(len(v) for v in syndicated.values()) >= 3

    def body(r: dict) -> list[str]:
        tree = lxml_html.fromstring(page_file(root, r["url"]).read_text(encoding="utf-8"))
        return [p.text_content() for p in tree.xpath("//article//p[not(@class)]")]

    for story, members in syndicated.items():
        original = rows[story]
        assert len({m["source"] for m in members}) == len(members)  # one copy per outlet
        original_body = body(original)
        for copy in members:
            if copy is original:
                continue
            assert copy["language"] == original["language"] == "en"
            assert copy["title"] != original["title"]
            lag = date.fromisoformat(copy["published"]) - date.fromisoformat(
                original["published"])
            assert timedelta(0) <= lag <= timedelta(days=1)
            text = body(copy)
            assert text[1:-1] == original_body[1:], copy["url"]
            assert text[0] != original_body[0]
            assert original["source"] in ("pacificwire",)
    # The ledger counts each copy's own mentions.
    assert all(Counter(brute_count("\n".join(body(m)), taxonomy)) == m["mentions"]
               for v in list(syndicated.values())[:10] for m in v)


def test_dates_in_page_feed_or_url(corpus: tuple[Path, dict]) -> None:
    root, ledger = corpus
    where = Counter(r["date_in"] for r in ledger["articles"])
    assert where["feed"] >= 30 and where["url"] >= 20, where
    bogus = 0
    for r in ledger["articles"]:
        if r["date_in"] == "page":
            continue
        page = page_file(root, r["url"]).read_text(encoding="utf-8")
        stamps = re.findall(r'datetime="([^"]+)"|"datePublished": "([^"]+)"', page)
        if r["date_in"] == "url":
            assert not stamps, r["url"]
            assert r["url"].split("/")[3:6] == r["published"].split("-")
        elif stamps:
            # A wrong page date (1970, or years ahead) and the right one in the feed.
            bogus += 1
            assert all(r["published"] not in a + b for a, b in stamps)
        else:
            assert "/news/" in r["url"]
    assert bogus >= 10


def test_filler_that_names_an_entity_fails_loudly(tmp_path: Path, taxonomy: Taxonomy) -> None:
    trap = Entity("markets", "Markets", "concept", "Test", (Alias("markets", "Markets"),))
    poisoned = replace(taxonomy, entities=taxonomy.entities + (trap,))
    with pytest.raises(ValueError, match="Markets"):
        generate(tmp_path, poisoned, seed=1, n_articles=200)


def test_missing_trend_entity_fails_clearly(tmp_path: Path, taxonomy: Taxonomy) -> None:
    stripped = replace(taxonomy, entities=tuple(e for e in taxonomy.entities if e.id != "quad"))
    with pytest.raises(ValueError, match="quad"):
        generate(tmp_path, stripped, n_articles=60)


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out"), "--seed", "4", "--articles", "80"]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "80 articles" in line
    ledger = json.loads((tmp_path / "out" / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["seed"] == 4 and len(ledger["articles"]) == 80
