"""The shipped taxonomy in Japanese, Korean, Russian and Chinese (and French/German), matched
by the real tagger: scripts without spaces, particles, inflections, mixed scripts, names
inside longer names, and keywords that keep the words of entity names."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blocwatch.records import ArticleRecord, PageInput
from blocwatch.stages.page import process_page
from blocwatch.stages.tagger import Tagger
from blocwatch.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = REPO / "taxonomy.yaml"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(TAXONOMY)


@pytest.fixture(scope="module")
def tagger(taxonomy: Taxonomy) -> Tagger:
    return Tagger(taxonomy)


def counts(tagger: Tagger, text: str) -> Counter[str]:
    return Counter(m.entity_id for m in tagger.find(text))


def test_every_entity_has_aliases_in_the_beat_s_languages(taxonomy: Taxonomy) -> None:
    for entity in taxonomy.entities:
        langs = {a.lang for a in entity.aliases}
        assert {"ja", "ko", "ru", "zh"} <= langs, entity.id
        assert None in langs, entity.id  # and English, as plain strings


@pytest.mark.parametrize(("alias", "entity"), [
    ("日本", "japan"), ("일본", "japan"), ("Япония", "japan"), ("НАТО", "nato"),
    ("北约", "nato"), ("北約", "nato"), ("나토", "nato"), ("北大西洋条約機構", "nato"),
])
def test_the_issue_s_examples(tagger: Tagger, alias: str, entity: str) -> None:
    assert [(m.entity_id, m.text) for m in tagger.find(alias)] == [(entity, alias)]


@pytest.mark.parametrize(("text", "expected"), [
    # Japanese: particles and compounds, no spaces; Latin and full-width acronyms.
    ("日本政府はNATOとの協力を強化し、ＮＡＴＯ加盟国とＧ７にも説明した。",
     {"japan": 1, "nato": 2, "g7": 1}),
    ("日米豪印の外相会合で、インド太平洋とインドネシア、インド洋、インドに触れた。",
     {"quad": 1, "indo_pacific": 1, "indonesia": 1, "indian_ocean": 1, "india": 1}),
    ("北朝鮮のミサイルは日本海に落下し、朝鮮半島の緊張が高まった。",
     {"north_korea": 1, "sea_of_japan": 1, "korean_peninsula": 1}),
    ("「アジア版NATO」構想とアジア版ＮＡＴＯ", {"asian_nato": 2}),
    # Korean: particles glued to names.
    ("일본의 입장과 일본은, 나토와 나토는, EU는 한국인과 함께", {"japan": 2, "nato": 2,
                                                  "eu": 1, "south_korea": 1}),
    ("인도태평양 전략과 인도·태평양, 인도네시아와 인도양, 그리고 인도",
     {"indo_pacific": 2, "indonesia": 1, "indian_ocean": 1, "india": 1}),
    ("남중국해와 중국, 동해와 한반도", {"south_china_sea": 1, "china": 1, "sea_of_japan": 1,
                                "korean_peninsula": 1}),
    # Russian: every case form; adjectives and other words are not names.
    ("Японии, Японию, Японией, Японская делегация и японский МИД, Японское море",
     {"japan": 3, "sea_of_japan": 1}),
    ("Китай, Китая, Китаю, китайский, Китайская Народная Республика",
     {"china": 4}),
    ("США и СШАГ; Россия, российский; НАТО и натовский", {"united_states": 1, "russia": 1,
                                                       "nato": 1}),
    ("азиатского НАТО и Азиатское НАТО, а также НАТО", {"asian_nato": 2, "nato": 1}),
    ("Путин, Путина, Путиным; Си Цзиньпина; Трампу", {"vladimir_putin": 3, "xi_jinping": 1,
                                                    "donald_trump": 1}),
    # Chinese: simplified and traditional; longer names win.
    ("北约和北約，美国与美國，朝鲜半岛和朝鲜，亚洲版北约",
     {"nato": 2, "united_states": 2, "korean_peninsula": 1, "north_korea": 1,
      "asian_nato": 1}),
    ("美日印澳四方安全对话和四方安全对话，南海和印太", {"quad": 2, "south_china_sea": 1,
                                         "indo_pacific": 1}),
    # Names inside longer names, in English too.
    ("missiles fell into the Sea of Japan; the South China Sea; Taiwan Strait; Japan",
     {"sea_of_japan": 1, "south_china_sea": 1, "taiwan_strait": 1, "japan": 1}),
    # French and German.
    ("Le Japon, la Chine et l'OTAN ; Russland und die Vereinten Nationen",
     {"japan": 1, "china": 1, "nato": 1, "russia": 1, "un": 1}),
])
def test_matching_in_each_script(tagger: Tagger, text: str, expected: dict[str, int]) -> None:
    assert counts(tagger, text) == Counter(expected)


def test_mentions_in_title_and_text_of_a_japanese_page() -> None:
    body = "".join(f"<p>{p}</p>" for p in (
        "日本政府は8日、北大西洋条約機構（NATO）との協力を強化すると発表した。",
        "高市早苗首相は、日本がNATOに加盟することはないと述べた。中国外務省は反発した。",
        "防衛省によると、共同訓練は秋に日本海で行われる予定だ。",
        "ロシアとの関係について、外務省幹部は「冷静に対応する」と語った。" * 2))
    page = (f'<html lang="ja"><head><meta charset="utf-8"><title>日本とNATO</title></head>'
            f"<body><article><h1>日本とNATO、協力強化で一致</h1>{body}</article></body></html>")
    rec = process_page(PageInput("http://x.test/a", "http://x.test/a", page.encode(),
                                 "text/html", "x", "ja",
                                 fetched_at=datetime(2026, 7, 9, tzinfo=UTC)), str(TAXONOMY))
    assert isinstance(rec, ArticleRecord)
    found = {e: (b, t) for e, b, t, _, _ in rec.mentions}
    assert found == {"japan": (2, 1), "nato": (3, 1), "sanae_takaichi": (1, 0),
                     "china": (1, 0), "sea_of_japan": (1, 0), "russia": (2, 0)}
    assert ("japan", "nato", 2) in rec.co_mentions
    assert rec.language == "ja"


def test_keywords_keep_the_words_of_entity_names() -> None:
    """Whole names are not keywords ("north korea"); their words elsewhere are ("north",
    "security", "government")."""
    para = ("North Korea fired missiles north of the capital, and security officials in the "
            "Collective Security Treaty Organization met. The government of Japan said "
            "security at the northern border and north coast was the government's priority.")
    page = (f'<html lang="en"><head><title>Missiles</title></head><body><article>'
            f"<h1>Missiles fired</h1>{''.join(f'<p>{para}</p>' for _ in range(4))}"
            f"</article></body></html>")
    rec = process_page(PageInput("http://x.test/k", "http://x.test/k", page.encode(),
                                 "text/html", "x", "en",
                                 fetched_at=datetime(2026, 7, 9, tzinfo=UTC)), str(TAXONOMY))
    assert isinstance(rec, ArticleRecord)
    terms = {t for t, _, _ in rec.keywords}
    assert {"north", "security", "government"} <= terms
    assert not terms & {"north korea", "korea", "japan", "collective", "treaty",
                        "organization", "collective security"}
