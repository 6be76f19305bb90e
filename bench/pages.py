"""Real-world-sized article pages for the benchmark.

The demo generator writes 5-10 KB pages; real news pages weigh about 170 KB, most of it
boilerplate that extraction has to parse and throw away. This module wraps every article
page of a generated demo web with 100+ KB of such boilerplate — inline CSS and scripts
(an app-state blob, analytics, ad configuration), extra JSON-LD, a mega-menu, "more
stories" lists with teasers, a long comment thread and a site-map footer — without
touching the article itself, so the demo ledger (exact mentions per article) still holds.

The boilerplate vocabulary is checked against the taxonomy: it names no entity, so any
mention counted in it would show up as a difference from the ledger.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from pathlib import Path
from random import Random
from urllib.parse import urlsplit

from blocwatch.stages.tagger import Tagger
from blocwatch.taxonomy import Taxonomy

MIN_PAGE_BYTES = 100_000
_VARIANTS = 48

# Everyday site furniture: sections, services, lifestyle headlines. No place or bloc names.
_WORDS = (
    "weather forecast recipes travel gardening football cricket tennis markets savings "
    "pensions mortgages property homes interiors fashion beauty wellness fitness running "
    "cycling science space climate energy transport rail aviation motoring electric cars "
    "technology gadgets phones laptops streaming podcasts music concerts theatre cinema "
    "books poetry crosswords puzzles sudoku horoscopes obituaries letters opinion columns "
    "editorial cartoons photography video live updates newsletters subscriptions offers "
    "careers jobs education schools universities parenting family pets wildlife nature "
    "coast mountains lakes rivers festivals museums galleries restaurants coffee baking "
    "chocolate vegetables harvest orchards vineyards marathon swimming sailing golf chess "
    "quiz weekend magazine supplement archive corrections accessibility partners advertise "
    "contact help feedback privacy cookies settings terms conditions sitemap rss apps"
).split()
_SENTENCE_WORDS = (
    "the a an and or but with from into over under about after before during while "
    "this that these those every some many most few new old local daily weekly simple "
    "best quick easy better small large early late warm cold bright quiet busy long short "
    "readers say their our your its one two three ten hundred hours days weeks months "
    "guide tips ways reasons ideas plans answers questions stories pictures moments"
).split()


def _sentence(rng: Random, n: int) -> str:
    words = [rng.choice(_SENTENCE_WORDS if i % 2 else _WORDS) for i in range(n)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _css(rng: Random) -> str:
    rules = []
    for i in range(420):
        name = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}"
        rules.append(f".c-{name}__el--{i}{{color:#{rng.randrange(16**6):06x};"
                     f"margin:{rng.randrange(32)}px {rng.randrange(32)}px;"
                     f"font-size:{rng.randrange(10, 40)}px;display:flex}}")
    return "<style>" + "".join(rules) + "</style>\n"


def _scripts(rng: Random) -> str:
    state = {"config": {"slots": [{"id": f"slot-{i}", "sizes": [[300, 250], [728, 90]],
                                   "targeting": {"section": rng.choice(_WORDS),
                                                 "tags": rng.sample(_WORDS, 6)}}
                                  for i in range(60)]},
             "experiments": {f"exp_{i}": rng.random() for i in range(120)},
             "menu": [{"label": w, "href": f"/{w}/"} for w in rng.sample(_WORDS, 40)]}
    ld = {"@context": "https://schema.org", "@type": "WebSite",
          "potentialAction": {"@type": "SearchAction",
                              "target": "/search?q={search_term_string}"},
          "hasPart": [{"@type": "WebPageElement", "cssSelector": f".c-{w}"}
                      for w in _WORDS]}
    analytics = "".join(
        f"window.dataLayer.push({{'event':'{rng.choice(_WORDS)}','value':{rng.randrange(999)}}});"
        for _ in range(150))
    return ("<script>window.__APP_STATE__=" + json.dumps(state, separators=(",", ":"))
            + ";</script>\n<script>window.dataLayer=window.dataLayer||[];" + analytics
            + "</script>\n<script type=\"application/ld+json\">" + json.dumps(ld)
            + "</script>\n")


def _mega_menu(rng: Random) -> str:
    sections = []
    for s in rng.sample(_WORDS, 14):
        links = "".join(f'<li><a href="/{s}/{w}/">{w.capitalize()}</a></li>'
                        for w in rng.sample(_WORDS, 24))
        sections.append(f'<div class="mega-menu__section"><h3>{s.capitalize()}</h3>'
                        f"<ul>{links}</ul></div>")
    return ('<nav class="mega-menu" aria-label="All sections">' + "".join(sections)
            + "</nav>\n")


def _more_stories(rng: Random) -> str:
    items = "".join(
        f'<li class="teaser"><a href="/{rng.choice(_WORDS)}/{rng.randrange(10**6)}/">'
        f"<h3>{_sentence(rng, 8)}</h3></a><p>{_sentence(rng, 24)}</p>"
        f'<span class="teaser__meta">{rng.randrange(2, 59)} min read</span></li>'
        for _ in range(55))
    return ('<aside class="more-stories"><h2>More stories</h2><ul>' + items
            + "</ul></aside>\n")


def _comment_thread(rng: Random) -> str:
    items = "".join(
        f'<div class="comment comment--extra"><p class="comment-author">'
        f"{rng.choice(_WORDS)}_{rng.randrange(1000)}</p><p>{_sentence(rng, 30)} "
        f"{_sentence(rng, 20)}</p><footer>{rng.randrange(1, 99)} likes - reply - "
        f"report</footer></div>" for _ in range(40))
    return ('<section class="comments comments--more" id="more-comments"><h2>More from '
            "readers</h2>" + items + "</section>\n")


def _site_map(rng: Random) -> str:
    cols = "".join(
        '<ul class="site-map__col">'
        + "".join(f'<li><a href="/{w}/{v}/">{w} {v}</a></li>' for v in rng.sample(_WORDS, 30))
        + "</ul>" for w in rng.sample(_WORDS, 9))
    return f'<footer class="site-map"><h2>Sections</h2>{cols}</footer>\n'


class Inflator:
    """Pre-built variants of each boilerplate block; a page picks one of each by URL."""

    def __init__(self, taxonomy: Taxonomy, seed: int = 1) -> None:
        rng = Random(seed)
        self.blocks = {
            "head": [_css(rng) + _scripts(rng) for _ in range(_VARIANTS)],
            "menu": [_mega_menu(rng) for _ in range(_VARIANTS)],
            "more": [_more_stories(rng) + _comment_thread(rng) for _ in range(_VARIANTS)],
            "foot": [_site_map(rng) + _scripts(rng) for _ in range(_VARIANTS)],
        }
        tagger = Tagger(taxonomy)
        for kind, variants in self.blocks.items():
            for text in variants:
                found = tagger.find(text)
                if found:
                    raise ValueError(f"boilerplate block {kind} names {found[0]}")

    def inflate(self, html: str, key: str) -> str:
        h = zlib.crc32(key.encode("utf-8"))
        pick = {k: v[(h >> (i * 6)) % len(v)] for i, (k, v) in enumerate(self.blocks.items())}
        html = html.replace("</head>", pick["head"] + "</head>", 1)
        html = html.replace("<body>\n", "<body>\n" + pick["menu"], 1)
        html = html.replace("</main>", pick["more"] + "</main>", 1)
        return html.replace("</body>", pick["foot"] + "</body>", 1)


def inflate_web(web_dir: Path, urls: Iterable[str], taxonomy: Taxonomy) -> dict[str, float]:
    """Inflate the article page of every URL in place; return size statistics (bytes)."""
    inflator = Inflator(taxonomy)
    sizes = []
    for url in urls:
        parts = urlsplit(url)
        path = web_dir / parts.hostname / parts.path.lstrip("/")  # type: ignore[operator]
        text = inflator.inflate(path.read_text(encoding="utf-8"), url)
        data = text.encode("utf-8")
        path.write_bytes(data)
        sizes.append(len(data))
    sizes.sort()
    return {"pages": len(sizes), "mean_bytes": round(sum(sizes) / max(1, len(sizes))),
            "min_bytes": sizes[0] if sizes else 0}
