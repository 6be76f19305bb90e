"""A small hand-annotated corpus for the query language and the full-text index: real-looking
articles in seven languages and, for each query, the articles that match it, decided by
reading the texts (not by running any code). Used by tests/test_query.py (the evaluator)
and tests/test_textindex.py (the index must give the same answers)."""

from __future__ import annotations

from pathlib import Path

# (id, language, headline, body)
ARTICLES: list[tuple[str, str, str, str]] = [
    ("a1", "en", "Japan and NATO hold summit in Brussels",
     "Japan's prime minister met NATO leaders on Tuesday to deepen the Japan-NATO "
     "partnership. Critics warned of an Asian NATO in the making. The ministers discussed "
     "missile defence."),
    ("a2", "en", "Beijing warns against 'NATO of Asia'",
     "China's foreign ministry said the United States was building a NATO of Asia. Japan "
     "was not mentioned by name."),
    ("a3", "en", "Korea and Japan sign military pact",
     "Seoul and Tokyo signed a military intelligence agreement. The militaries will share "
     "data on missiles."),
    ("a4", "en", "Russia holds naval drills",
     "Russia's navy held drills in the Sea of Japan, officials said. NATO was not "
     "involved."),
    ("a5", "en", "Defence budget rises again",
     "The government raised defense spending for the fifth year. Critics of "
     "militarization protested. Officials told us the plan is final."),
    ("a6", "en", "US and Japan hold talks",
     "The US secretary of state met his counterpart in Washington."),
    ("a7", "ru", "Япония и НАТО укрепляют сотрудничество",
     "Премьер-министр Японии посетил штаб-квартиру НАТО. Эксперты говорят об азиатском "
     "НАТО."),
    ("a8", "ru", "Россия провела учения",
     "Военные учения прошли у берегов Японии. Министр обороны России заявил о "
     "готовности."),
    ("a9", "zh", "北约成员国外长会议在布鲁塞尔举行",
     "日本外相出席了会议。中国外交部表示反对所谓亚洲版北约。"),
    ("a10", "zh", "中国海军举行演习", "演习在东海举行，没有外国军队参加。"),
    ("a11", "ja", "日本とＮＡＴＯが首脳会談",
     "岸田首相はＮＡＴＯ首脳会議に出席し、防衛協力の強化で一致した。"),
    ("a12", "ko", "일본과 나토, 안보 협력 강화",
     "일본 정부 관계자들은 나토와의 협력을 확대하겠다고 밝혔다."),
    ("a13", "fr", "Le Japon et l'OTAN renforcent leurs liens",
     "Le Premier ministre japonais a rencontré les dirigeants de l'OTAN à Bruxelles."),
    ("a14", "de", "Japan und die NATO",
     "Der japanische Ministerpräsident traf die Minister der NATO-Staaten."),
]

ALL = frozenset(a[0] for a in ARTICLES)
LANGUAGES = sorted({a[1] for a in ARTICLES})


def ids(*names: str) -> frozenset[str]:
    return frozenset(names)


JAPAN = ids("a1", "a2", "a3", "a4", "a6", "a14")
# query -> the articles that match it (read off the texts above)
EXPECTED: dict[str, frozenset[str]] = {
    "Japan": JAPAN,
    "japan": JAPAN,
    '"Asian NATO"': ids("a1"),
    '"NATO of Asia"': ids("a2"),
    '"Asian NATO" OR "NATO of Asia"': ids("a1", "a2"),
    # ＮＡＴＯ in the Japanese article is NATO once normalised
    "NATO": ids("a1", "a2", "a4", "a11", "a14"),
    "Japan AND NATO": ids("a1", "a2", "a4", "a14"),
    "Japan NATO": ids("a1", "a2", "a4", "a14"),  # implicit AND
    '"Japan NATO"': ids("a1"),  # Japan-NATO
    "Japan NOT NATO": ids("a3", "a6"),
    "Japan AND NOT NATO": ids("a3", "a6"),
    "NOT Japan": ALL - JAPAN,
    "NATO AND NOT (Japan OR Russia)": ids("a11"),
    "(Japan OR Korea) AND military": ids("a3"),
    "Japan OR Korea AND military": JAPAN,  # AND binds tighter: Japan OR (Korea AND military)
    "Seoul Tokyo": ids("a3"),
    "milit*": ids("a3", "a5"),  # military, militaries, militarization
    "drill*": ids("a4"),
    "defence OR defense": ids("a1", "a5"),
    '"missile defence"': ids("a1"),
    "us": ids("a5", "a6"),  # lowercase: the pronoun and the acronym
    "minister": ids("a1", "a14"),  # minister, ministers; German Minister
    "title:Japan": ids("a1", "a3", "a6", "a14"),
    "title:NATO": ids("a1", "a2", "a11", "a14"),
    'title:"NATO of Asia"': ids("a2"),
    "title:(Korea OR Russia)": ids("a3", "a4"),
    "title:Japan AND NOT title:NATO": ids("a3", "a6"),
    # Russian inflection: Япония, Японии are one base form
    "Япония": ids("a7", "a8"),
    "Японии": ids("a7", "a8"),
    "япон*": ids("a7", "a8"),
    "НАТО": ids("a7"),
    '"азиатское НАТО"': ids("a7"),
    "Россия": ids("a8"),
    # Chinese, Japanese and Korean without spaces
    "北约": ids("a9"),
    "成员国": ids("a9"),
    "日本": ids("a9", "a11"),
    "首脳会議": ids("a11"),
    "관계자": ids("a12"),
    "일본": ids("a12"),
    "OTAN": ids("a13"),
    "Japon": ids("a13"),
    # entities: tests/fulltext_corpus.py's taxonomy below
    "entity:japan": ALL - ids("a5", "a10"),
    "entity:united_states": ids("a2", "a6"),  # US in capitals, United States; not "us"
    "entity:nato": ids("a1", "a2", "a4", "a7", "a9", "a11", "a12", "a13", "a14"),
    "entity:japan AND entity:nato": ids("a1", "a2", "a4", "a7", "a9", "a11", "a12", "a13",
                                        "a14"),
    "title:entity:united_states": ids("a6"),
    "entity:nato NOT entity:japan": ids(),
    "entity:russia OR 中国": ids("a4", "a8", "a9", "a10"),
}

TAXONOMY = """\
entities:
  - id: japan
    name: Japan
    kind: country
    group: Asia-Pacific
    aliases:
      - Japan
      - JAPAN
      - Tokyo government
      - {text: 日本, lang: ja}
      - {text: 일본, lang: ko}
      - {text: Япония, lang: ru}
      - {text: Япони, match: prefix, lang: ru}
      - {text: Japon, lang: fr}
  - id: united_states
    name: United States
    kind: country
    group: Americas
    aliases:
      - US
      - United States
      - {text: 美国, lang: zh}
  - id: nato
    name: NATO
    kind: bloc
    group: Security blocs
    aliases:
      - NATO
      - {text: НАТО, lang: ru}
      - {text: 北约, lang: zh}
      - {text: 나토, lang: ko}
      - {text: OTAN, lang: fr}
  - id: russia
    name: Russia
    kind: country
    group: Europe
    aliases:
      - Russia
      - {text: Росси, match: prefix, lang: ru}
"""


def write_taxonomy(directory: Path) -> Path:
    path = directory / "taxonomy.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    return path
