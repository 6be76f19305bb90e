"""Build the annotated page set from the hand-annotated sources.

``source/<lang>.txt`` holds the articles as a human annotated them: every mention of a
tracked entity is marked ``[[surface|entity_id]]`` (guidelines in docs/quality.md), and a
header says where the page's date is, what language the page declares, which outlet it is
from and which story it belongs to. This script wraps each article in a news page with
boilerplate that names entities too (navigation, related headlines, reader comments,
footer: none of it may count) and writes ``pages/<lang>/<id>.html`` with a sidecar
``<id>.json`` holding the expected counts, taken from the markup alone. Nothing here runs
the tagger: the labels are the annotator's.

    python -m bench.quality_data.build_pages      # rewrite pages/ from source/
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
PAGES = HERE / "pages"
LANGUAGES = ("en", "ja", "ko", "ru", "zh")
DATE_IN = ("page", "visible", "modified", "feed", "url", "bogus")
_MARK_RE = re.compile(r"\[\[([^|\]]+)\|([a-z][a-z0-9_]*)\]\]")
_RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

# Page furniture per language. It names entities on purpose: a correct pipeline counts
# none of these.
CHROME: dict[str, dict[str, object]] = {
    "en": {"nav": ("World", "Japan", "China", "NATO", "Korea", "Opinion"),
           "by": "By", "related": "Related coverage", "comments": "Comments",
           "heads": ("Japan and the U.S. hold talks on chips",
                     "NATO chief visits Seoul", "China's exports slow again"),
           "talk": (("pacific_reader", "NATO should stay out of Asia."),
                    ("kyoto88", "Japan and South Korea need each other.")),
           "footer": "Newsletter: the day's news on Japan, China and NATO. "
                     "© 2026. All rights reserved.",
           "cookie": "We use cookies to improve your experience. Accept all"},
    "ja": {"nav": ("国際", "日本", "中国", "NATO", "韓国", "社説"),
           "by": "記者", "related": "関連記事", "comments": "コメント",
           "heads": ("日米首脳が電話会談", "NATO事務総長がソウル訪問", "中国の輸出が減速"),
           "talk": (("読者A", "NATOはアジアに関わるべきではない。"),
                    ("京都の人", "日本と韓国は協力すべきだ。")),
           "footer": "ニュースレター：日本、中国、NATOの最新情報を毎朝お届けします。"
                     "© 2026 無断転載を禁じます。",
           "cookie": "当サイトはクッキーを使用しています。すべて同意"},
    "ko": {"nav": ("국제", "일본", "중국", "나토", "북한", "오피니언"),
           "by": "기자", "related": "관련 기사", "comments": "댓글",
           "heads": ("한미 정상 통화", "나토 사무총장 서울 방문", "중국 수출 둔화"),
           "talk": (("독자1", "나토는 아시아 문제에서 빠져야 한다."),
                    ("서울시민", "일본과 한국은 협력해야 한다.")),
           "footer": "뉴스레터: 일본, 중국, 북한 소식을 매일 아침 보내드립니다. "
                     "© 2026 무단 전재 및 재배포 금지.",
           "cookie": "이 사이트는 쿠키를 사용합니다. 모두 동의"},
    "ru": {"nav": ("Мир", "Япония", "Китай", "НАТО", "США", "Мнения"),
           "by": "Автор:", "related": "Читайте также", "comments": "Комментарии",
           "heads": ("Япония и США провели переговоры", "Генсек НАТО посетил Сеул",
                     "Экспорт Китая замедлился"),
           "talk": (("читатель", "НАТО нечего делать в Азии."),
                    ("ivan_k", "России и Китаю нужно договариваться.")),
           "footer": "Рассылка: новости о России, Китае и НАТО каждое утро. "
                     "© 2026 Все права защищены.",
           "cookie": "Мы используем файлы cookie. Принять все"},
    "zh": {"nav": ("国际", "日本", "中国", "北约", "美国", "评论"),
           "by": "记者", "related": "相关报道", "comments": "评论",
           "heads": ("中美举行经贸磋商", "北约秘书长访问首尔", "日本出口放缓"),
           "talk": (("网友甲", "北约不应插手亚洲事务。"),
                    ("读者", "中国和俄罗斯应加强合作。")),
           "footer": "订阅早报：每天发送关于中国、美国和北约的新闻。© 2026 版权所有。",
           "cookie": "本网站使用Cookie。全部接受"},
}


def visible(day: date, lang: str, hour: str = "18:05") -> str:
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日 {hour.replace(':', '時')}分"
    if lang == "zh":
        return f"{day.year}年{day.month:02d}月{day.day:02d}日 {hour}"
    if lang == "ko":
        return f"입력 {day:%Y.%m.%d} {hour}"
    if lang == "ru":
        return f"{day.day} {_RU_MONTHS[day.month - 1]} {day.year}, {hour}"
    return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


def parse(path: Path) -> list[dict]:
    """The annotated articles of one source file."""
    lang = path.stem
    items: list[dict] = []
    for block in re.split(r"^=== ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        head, _, body = block.partition("\n---\n")
        lines = head.strip().splitlines()
        item: dict = {"id": lines[0].strip(), "language": lang}
        for line in lines[1:]:
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition(":")
                item[key.strip()] = value.strip()
        item["paragraphs"] = [" ".join(p.split("\n")).strip() if lang in ("en", "ru", "ko")
                              else "".join(x.strip() for x in p.split("\n"))
                              for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
        items.append(item)
    return items


def strip(marked: str) -> tuple[str, dict[str, int]]:
    """Plain text and the per-entity counts of the annotator's marks."""
    counts: dict[str, int] = {}
    for m in _MARK_RE.finditer(marked):
        counts[m.group(2)] = counts.get(m.group(2), 0) + 1
    return _MARK_RE.sub(lambda m: m.group(1), marked), counts


def render(item: dict) -> tuple[str, dict]:
    lang = item["language"]
    chrome = CHROME[lang]
    true_day = date.fromisoformat(item["date"])
    date_in = item.get("date_in", "page")
    if date_in not in DATE_IN:
        raise ValueError(f"{item['id']}: date_in must be one of {DATE_IN}")
    title, title_counts = strip(item["title"])
    paragraphs = [strip(p) for p in item["paragraphs"]]
    body_counts: dict[str, int] = {}
    for _, counts in paragraphs:
        for k, v in counts.items():
            body_counts[k] = body_counts.get(k, 0) + v
    stamp = item.get("stamp", f"{true_day.isoformat()}T18:05:00+00:00")
    meta, ld, shown = [], {}, ""
    if date_in in ("page", "modified"):
        meta.append(f'<meta property="article:published_time" content="{stamp}">')
        ld["datePublished"] = stamp
        shown = f'<time datetime="{stamp}">{visible(true_day, lang)}</time>'
    if date_in == "modified":
        later = true_day + timedelta(days=int(item.get("modified_after", "3")))
        later_stamp = f"{later.isoformat()}T09:00:00+00:00"
        meta.append(f'<meta property="article:modified_time" content="{later_stamp}">')
        ld["dateModified"] = later_stamp
        shown += f' <span class="updated">({visible(later, lang)})</span>'
    if date_in == "visible":
        shown = f'<span class="date">{visible(true_day, lang)}</span>'
    if date_in == "bogus":
        bogus = item.get("bogus", "1970-01-01T00:00:00+00:00")
        meta.append(f'<meta property="article:published_time" content="{bogus}">')
        ld["datePublished"] = bogus
    ld_json = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                          "headline": title, **ld}, ensure_ascii=False, sort_keys=True)
    declared = item.get("declared", lang)
    lang_attr = "" if declared == "none" else f' lang="{declared}"'
    author = html.escape(item.get("author", "Staff"))
    byline = f'{chrome["by"]} {author} {shown}'.strip()
    paras = "\n".join(f"<p>{html.escape(text)}</p>" for text, _ in paragraphs)
    heads = "".join(f'<li><a href="/related/{i}">{html.escape(h)}</a></li>'
                    for i, h in enumerate(chrome["heads"]))  # type: ignore[arg-type]
    talk = "".join(f'<div class="comment"><b>{html.escape(who)}</b><p>{html.escape(t)}</p>'
                   f"</div>" for who, t in chrome["talk"])  # type: ignore[misc]
    nav = "".join(f'<li><a href="/s/{i}">{html.escape(n)}</a></li>'
                  for i, n in enumerate(chrome["nav"]))  # type: ignore[arg-type]
    layout = item.get("layout", "0")
    h1 = html.escape(title)
    if layout == "0":
        story = (f'<article class="story">\n<h1>{h1}</h1>\n<p class="byline">{byline}</p>\n'
                 f"{paras}\n</article>")
    elif layout == "1":
        story = (f'<div class="article-wrap"><header><h1 class="headline">{h1}</h1>'
                 f'<div class="meta"><span class="author">{byline}</span></div></header>\n'
                 f'<div class="article-text">\n{paras}\n</div></div>')
    else:
        story = (f'<div id="content"><h1 class="title">{h1}</h1>\n'
                 f'<ul class="info"><li class="writer">{byline}</li></ul>\n'
                 f'<section class="content">\n{paras}\n</section></div>')
    page = (
        f"<!DOCTYPE html>\n<html{lang_attr}>\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{h1} | {html.escape(item['outlet'])}</title>\n"
        f'<meta property="og:title" content="{html.escape(title, quote=True)}">\n'
        + "".join(m + "\n" for m in meta)
        + f'<link rel="canonical" href="{html.escape(item["url"], quote=True)}">\n'
        f'<script type="application/ld+json">{ld_json}</script>\n</head>\n<body>\n'
        f'<div class="cookie-banner">{html.escape(str(chrome["cookie"]))}</div>\n'
        f'<header class="site"><a href="/">{html.escape(item["outlet"])}</a>'
        f'<nav class="menu"><ul>{nav}</ul></nav></header>\n<main>\n{story}\n'
        f'<aside class="related"><h2>{chrome["related"]}</h2><ul>{heads}</ul></aside>\n'
        f'<section class="comments"><h2>{chrome["comments"]}</h2>{talk}</section>\n'
        f'</main>\n<footer><p>{html.escape(str(chrome["footer"]))}</p></footer>\n'
        f"</body>\n</html>\n")
    feed = item.get("feed_date")
    if feed is None:
        feed = None if date_in in ("url",) else item["date"]
    elif feed == "none":
        feed = None
    fetched = item.get("fetched", (datetime.combine(true_day, datetime.min.time())
                                   + timedelta(days=1, hours=6)).isoformat() + "+00:00")
    mentions = dict(body_counts)
    for k, v in title_counts.items():
        mentions[k] = mentions.get(k, 0) + v
    sidecar = {
        "id": item["id"], "url": item["url"], "outlet": item["outlet"],
        "outlet_language": item.get("outlet_language", lang), "language": lang,
        "declared_language": None if declared == "none" else declared,
        "date": item["date"], "date_in": date_in, "feed_date": feed, "fetched_at": fetched,
        "story": item.get("story", item["id"]),
        "title": title, "text": "\n".join(t for t, _ in paragraphs),
        "mentions": dict(sorted(mentions.items())),
        "body_mentions": dict(sorted(body_counts.items())),
        "title_mentions": dict(sorted(title_counts.items())),
        "annotated_title": item["title"], "annotated_body": item["paragraphs"],
        "note": item.get("note", ""),
    }
    return page, sidecar


def build(out: Path = PAGES) -> list[Path]:
    """Write every page and sidecar under ``out``; return the files written."""
    written: list[Path] = []
    for lang in LANGUAGES:
        source = SOURCE / f"{lang}.txt"
        if not source.is_file():
            continue
        folder = out / lang
        folder.mkdir(parents=True, exist_ok=True)
        for item in parse(source):
            page, sidecar = render(item)
            for path, text in ((folder / f"{item['id']}.html", page),
                               (folder / f"{item['id']}.json",
                                json.dumps(sidecar, ensure_ascii=False, indent=1) + "\n")):
                path.write_text(text, encoding="utf-8", newline="\n")
                written.append(path)
    return written


if __name__ == "__main__":
    files = build()
    print(f"wrote {len(files) // 2} annotated pages under {PAGES}", file=sys.stderr)
