"""Article language: detected from the text, checked against the page's declaration."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from blocwatch.records import ArticleRecord, PageInput
from blocwatch.stages.language import (
    check_language,
    declared_language,
    detect_language,
    normalize_code,
)
from blocwatch.stages.page import process_page

REPO = Path(__file__).resolve().parents[1]
TAXONOMY = str(REPO / "taxonomy.yaml")

TEXTS = {
    "en": "Japan and NATO agreed on Tuesday to deepen cooperation on maritime security, "
          "officials said, as concern grows over activity near disputed islands.",
    "ja": "日本政府は8日、北大西洋条約機構との協力を強化すると発表した。海洋安全保障の分野で"
          "共同訓練を増やす。",
    "ko": "일본 정부는 8일 나토와의 협력을 강화하겠다고 밝혔다. 해양 안보 분야에서 합동 훈련을 "
          "늘릴 계획이다.",
    "ru": "Япония и НАТО договорились во вторник расширить сотрудничество в сфере морской "
          "безопасности, сообщили официальные лица.",
    "zh": "日本政府8日宣布将加强与北约的合作，在海上安全领域增加联合训练。中方对此表示关切。",
    "fr": "Le Japon et l'OTAN ont convenu mardi de renforcer leur coopération en matière de "
          "sécurité maritime, selon des responsables.",
    "de": "Japan und die NATO wollen ihre Zusammenarbeit bei der Sicherheit auf See vertiefen, "
          "teilten Regierungsvertreter am Dienstag mit.",
}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_detects_the_languages_of_the_beat(language: str) -> None:
    code, confidence = detect_language(TEXTS[language])
    assert code == language
    assert confidence is not None and confidence >= 0.8


def test_too_little_text_is_not_detected() -> None:
    assert detect_language("NATO") == (None, None)
    assert detect_language("日本と北約") == (None, None)
    assert detect_language("") == (None, None)


@pytest.mark.parametrize(("tag", "code"), [
    ("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("zh-Hant-TW", "zh"), ("ja-JP", "ja"),
    ("jp", "ja"), ("kr", "ko"), ("cn", "zh"), ("rus", "ru"), ("x-klingon", None),
    ("", None), (None, None), ("123", None), ("nb-NO", "no"),
])
def test_language_tags_are_normalised(tag: str | None, code: str | None) -> None:
    assert normalize_code(tag) == code


def test_declared_language_from_the_markup() -> None:
    assert declared_language('<!DOCTYPE html><html lang="ja-JP"><head>') == "ja"
    assert declared_language("<html class='x' LANG=ko><body>") == "ko"
    assert declared_language('<html><head><meta http-equiv="Content-Language" '
                             'content="ru-RU">') == "ru"
    assert declared_language("<html><head><title>x</title>") is None
    # trafilatura's metadata, when it has one, is the page's own claim too.
    assert declared_language("<html lang='en'>", "zh-CN") == "zh"


def test_detection_overrules_a_wrong_declaration() -> None:
    check = check_language(TEXTS["ko"] * 3, "en", "ko")
    assert (check.language, check.source, check.detected, check.declared) == (
        "ko", "detected", "ko", "en")
    assert check.agrees is False
    assert check_language(TEXTS["ja"] * 3, "ja", "en").agrees is True


def test_fallbacks_when_the_text_is_too_short() -> None:
    assert check_language("NATO", "ja", "en").language == "ja"
    assert check_language("NATO", "ja", "en").source == "declared"
    fallback = check_language("NATO", None, "ru-RU")
    assert (fallback.language, fallback.source, fallback.agrees) == ("ru", "outlet", None)
    assert check_language("NATO", None, None).source == "none"


def page(lang_attr: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{text}</p>" for _ in range(4))
    return (f'<!DOCTYPE html><html{lang_attr}><head><meta charset="utf-8"><title>T</title>'
            f'</head><body><article><h1>Headline of the day</h1>{paragraphs}</article>'
            f"</body></html>").encode()


def test_process_page_stores_the_check() -> None:
    """A Korean article on a page that declares English, from an outlet configured as
    English: the text decides, and the declaration is kept for the record."""
    rec = process_page(PageInput("http://x.test/a", "http://x.test/a",
                                 page(' lang="en"', TEXTS["ko"]), "text/html", "x", "en",
                                 fetched_at=datetime(2026, 7, 9, tzinfo=UTC)), TAXONOMY)
    assert isinstance(rec, ArticleRecord)
    assert (rec.language, rec.language_source, rec.declared_language,
            rec.detected_language) == ("ko", "detected", "en", "ko")
    assert rec.language_confidence is not None and rec.language_confidence > 0.9
