"""A deterministic demo news web: fictional outlets, their feeds and sitemaps, and articles
whose entity mentions are known in advance (the ledger), so the pipeline can be tested end
to end against ground truth.

Everything is derived from ``random.Random(seed)`` and fixed calendar dates, never from the
clock, so one seed always gives byte-identical files.

Entity names are never written into this module: every surface form comes from the
taxonomy's aliases, of the outlet's language (alias ``lang``; English ones have none).
Only the entity *ids* that drive the built-in trends are fixed here.

What the ledger holds, per article, and so what the ingest must get exactly right:

* ``mentions`` / ``title_mentions`` / ``co_sentence``: entity mentions the generator placed,
  in English, Japanese, Korean, Russian and Chinese text. Every sentence is checked by
  AliasMatcher, an implementation of the taxonomy's matching rules (whole words; no
  boundary for aliases in scripts written without spaces; prefix aliases; case) that
  shares no code with blocwatch.stages.tagger.
* ``language``: the article's language. One outlet's pages declare the wrong one
  (``<html lang="en">`` on Korean text), as misconfigured templates do.
* ``story``: the URL of the story's first article. A wire outlet's stories are
  republished by other outlets with a new headline and lead sentence and a closing
  credit paragraph; copies share their original's ``story``.
* ``date_in``: where the publication date is findable: ``page`` (metadata and byline),
  ``feed`` (the page has no date, or a wrong one, and its URL none: only the feed entry
  has it) or ``url`` (neither page nor feed entry: only the /yyyy/mm/dd/ path).
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from xml.sax.saxutils import escape as xml_escape

from blocwatch.demo.locales import LOCALES, Locale
from blocwatch.paths import find_config
from blocwatch.taxonomy import Alias, Entity, Taxonomy, load_taxonomy

START = datetime(2025, 5, 1, tzinfo=UTC)
END = datetime(2026, 11, 21, tzinfo=UTC)  # exclusive: the last day is 2026-11-20
FEED_PAGE_SIZE = 50
DEFAULT_SEED = 2026
DEFAULT_ARTICLES = 1600

# Entity ids the built-in trends are made of; generation fails clearly without them.
TREND_IDS = ("japan", "nato", "aukus", "quad", "brics")
MULTI_BURST_WEEK = date(2026, 7, 6)
MULTI_BURST_IDS = ("japan", "nato")
MULTI_BURST_OUTLETS = ("nipponledger", "pacificwire", "southerncross", "eastwire")
SINGLE_BURST_WEEK = date(2026, 9, 14)
SINGLE_BURST_ID = "brics"
SINGLE_BURST_OUTLET = "eastwire"
WAVES: dict[str, tuple[date, date]] = {
    "aukus": (date(2025, 9, 1), date(2025, 11, 30)),
    "quad": (date(2026, 2, 2), date(2026, 4, 26)),
}
WAVE_FACTOR = 20.0
# Leaders are mostly covered while in office; optional ids, ignored when absent.
IN_OFFICE: dict[str, tuple[date | None, date | None]] = {
    "shigeru_ishiba": (None, date(2025, 10, 20)),
    "sanae_takaichi": (date(2025, 10, 21), None),
    "lee_jae_myung": (date(2025, 6, 4), None),
}
BASE_WEIGHT = 0.6
# How many entities an ordinary article features: most 1-4, some none.
FEATURE_COUNTS = (0, 1, 2, 3, 4)
FEATURE_WEIGHTS = (0.08, 0.27, 0.33, 0.22, 0.10)
# Syndication: this share of all articles are copies of the wire outlet's stories,
# republished by 1-3 other English outlets within a day.
WIRE_OUTLET = "pacificwire"
COPY_SHARE = 0.03
COPY_MIN_SENTENCES = 14  # short stories are not syndicated (edits would be most of them)
# Dates: this share of articles each have their date only in the feed, only in the URL,
# and (half as many) a wrong date in the page's metadata with the right one in the feed.
DATE_VARIANT_SHARE = 0.02
BOGUS_PAGE_DATES = ("1970-01-01T00:00:00+00:00", "2031-01-01T08:00:00+00:00")


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    host: str
    country: str
    kind: str
    discovery: str  # rss | atom | sitemap
    share: float
    focus: dict[str, float]
    authors: tuple[str, ...]
    sections: tuple[str, ...]
    nav_entities: tuple[str, ...]
    layout: int
    tagline: str
    never: tuple[str, ...] = ()
    language: str = "en"
    # What the pages' <html lang> says, when it is not the truth (a misconfigured CMS).
    declares: str | None = None

    @property
    def page_lang(self) -> str:
        return self.declares or self.language


OUTLETS: tuple[Outlet, ...] = (
    Outlet("eastwire", "Eastwire", "eastwire.news.test", "RU", "state media", "rss", 0.18,
           {"russia": 7, "vladimir_putin": 4, "nato": 5, "ukraine": 4, "united_states": 4,
            "brics": 1.2, "sco": 1.5, "csto": 1.5, "china": 2.5, "eu": 2, "asian_nato": 1.2,
            "japan": 1.5, "mark_rutte": 1.2, "aukus": 0.3, "quad": 0.2},
           ("Irina Volkova", "Dmitri Sorokin", "Anna Belova", "Pavel Gromov", "Olga Petrenko"),
           ("World", "Opinion", "Business", "Science", "Sport"),
           ("russia", "nato", "china", "japan", "ukraine"), 0,
           "News and views from the east"),
    Outlet("pacificwire", "Pacific Wire Service", "pacificwire.news.test", "US", "wire",
           "atom", 0.24,
           {"united_states": 7, "donald_trump": 4, "china": 4, "russia": 3, "nato": 3,
            "ukraine": 3, "japan": 2.5, "eu": 2, "un": 2, "taiwan": 2, "south_korea": 1.5,
            "aukus": 0.4, "quad": 0.4},
           ("Megan Hollister", "Carlos Whitfield", "Dana Okafor", "Stephen Marsh",
            "Priya Raman", "Tom Gallagher"),
           ("Top News", "World", "Markets", "Technology", "Health"),
           ("united_states", "china", "japan", "nato", "russia"), 1,
           "Independent wire reporting since 1958"),
    Outlet("nipponledger", "The Nippon Ledger", "nipponledger.news.test", "JP", "daily",
           "sitemap", 0.18,
           {"japan": 9, "shigeru_ishiba": 4, "sanae_takaichi": 4, "united_states": 4,
            "china": 4, "south_korea": 2.5, "north_korea": 2.5, "nato": 2, "taiwan": 2,
            "asean": 1.5, "g7": 1.5, "quad": 0.5, "aukus": 0.2, "philippines": 1.2,
            "asian_nato": 0.8},
           ("Haruka Mori", "Kenji Watanabe", "Yui Fujimoto", "Daisuke Ogawa", "Emi Kato"),
           ("National", "Politics", "Business", "Asia Pacific", "Culture"),
           ("japan", "china", "north_korea", "nato", "united_states"), 2,
           "The English-language daily of record"),
    Outlet("hangang", "Hangang Herald", "hangangherald.news.test", "KR", "daily", "rss", 0.14,
           {"south_korea": 9, "north_korea": 5, "lee_jae_myung": 3, "kim_jong_un": 3,
            "united_states": 4, "japan": 3, "china": 3, "russia": 1.5, "un": 1.2,
            "quad": 0.3, "aukus": 0.2},
           ("Park Ji-woo", "Choi Min-seo", "Jung Hae-in", "Han So-yeon", "Yoon Tae-ho"),
           ("Peninsula", "Politics", "Economy", "Entertainment", "Opinion"),
           ("south_korea", "north_korea", "japan", "nato", "china"), 0,
           "Seoul's window on the peninsula"),
    Outlet("huaxia", "Huaxia Review", "huaxiareview.news.test", "CN", "state media",
           "sitemap", 0.14,
           {"china": 9, "xi_jinping": 4, "united_states": 4, "taiwan": 2.5, "sco": 2,
            "brics": 1.5, "asean": 2, "philippines": 2, "asian_nato": 1.2, "russia": 2,
            "japan": 1.5, "nato": 1.2},
           ("Zhang Wei", "Liu Yang", "Chen Jing", "Wang Fang", "Zhao Lei"),
           ("Politics", "Economy", "Opinion", "Culture", "Science"),
           ("china", "united_states", "japan", "nato", "russia"), 1,
           "Authoritative reporting, global perspective",
           never=("aukus", "quad")),
    Outlet("southerncross", "Southern Cross Broadcasting", "southerncross.news.test", "AU",
           "public broadcaster", "atom", 0.12,
           {"australia": 9, "aukus": 0.6, "china": 3, "united_states": 4, "india": 2,
            "quad": 0.8, "japan": 2, "philippines": 1.5, "united_kingdom": 2, "asean": 1.5},
           ("Olivia Brennan", "Liam Costa", "Grace Nguyen", "Jack Fitzroy", "Mia Patel"),
           ("Just In", "Politics", "Rural", "Business", "Sport"),
           ("australia", "china", "japan", "nato", "united_kingdom"), 2,
           "Trusted news from across the region"),
    # Outlets writing in their own languages (text templates in blocwatch/demo/locales.py).
    # Their ids sort after the English outlets', so the first articles an ingest loads (and
    # the lowest article ids) stay English, as they were before these outlets existed.
    Outlet("volna", "Волна", "volna.news.test", "RU", "state media", "rss",
           0.06,
           {"russia": 8, "vladimir_putin": 4, "nato": 5, "united_states": 4, "ukraine": 3,
            "china": 3, "japan": 2.5, "sco": 1.2, "csto": 1.2, "eu": 2, "asian_nato": 1.0,
            "brics": 0.2, "aukus": 0.2, "quad": 0.2},
           ("Алексей Смирнов", "Мария Кузнецова", "Игорь Лебедев", "Наталья Орлова"),
           LOCALES["ru"].sections, ("russia", "nato", "china", "japan", "united_states"), 0,
           "Новости и мнения с севера", language="ru"),
    Outlet("yoake", "夜明け新聞", "yoake.news.test", "JP", "daily", "atom", 0.06,
           {"japan": 9, "sanae_takaichi": 4, "shigeru_ishiba": 3, "united_states": 4,
            "china": 4, "nato": 2.5, "south_korea": 2, "north_korea": 2, "russia": 2,
            "taiwan": 1.5, "asian_nato": 0.8, "brics": 0.2, "quad": 0.3, "aukus": 0.2},
           ("山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲"),
           LOCALES["ja"].sections, ("japan", "united_states", "china", "nato", "south_korea"),
           2, "朝の風、世界の声", language="ja"),
    Outlet("ullim", "울림일보", "ullim.news.test", "KR", "daily", "sitemap", 0.06,
           {"south_korea": 9, "north_korea": 6, "lee_jae_myung": 3, "kim_jong_un": 3,
            "united_states": 4, "japan": 3, "china": 3, "nato": 1.5, "brics": 0.2,
            "quad": 0.2, "aukus": 0.2},
           ("김민준", "이서연", "박지훈", "최수아"),
           LOCALES["ko"].sections,
           ("south_korea", "north_korea", "united_states", "japan", "china"), 1,
           "한반도와 세계를 잇는 신문", language="ko", declares="en"),
    Outlet("zhonghe", "中和时报", "zhonghe.news.test", "CN", "state media", "rss", 0.06,
           {"china": 9, "xi_jinping": 4, "united_states": 4, "taiwan": 2.5, "russia": 2,
            "japan": 2, "nato": 1.5, "asean": 2, "philippines": 1.5, "asian_nato": 1.2,
            "sco": 1.2, "brics": 0.3, "aukus": 0.2, "quad": 0.2},
           ("王伟", "李娜", "张敏", "刘洋"),
           LOCALES["zh"].sections, ("china", "united_states", "japan", "nato", "russia"), 0,
           "权威报道 全球视野", language="zh"),
)

KIND_SETS: dict[str, frozenset[str]] = {
    "A": frozenset({"country", "bloc", "organisation", "person"}),
    "N": frozenset({"country", "bloc", "organisation"}),
    "C": frozenset({"country"}),
    "P": frozenset({"person"}),
    "K": frozenset({"concept"}),
}

# Sentence templates: (slot kinds, text). Slots: {0} bare alias, {0:t} with "the" where the
# alias needs one, {0:s} possessive, {0:ts} both, {0:h} short (no-space) alias for
# "-led" compounds, {0:a} with "a"/"an", {0-1} hyphenated compound of two short aliases.
SENTENCES: tuple[tuple[str, str], ...] = (
    ("A", "{0:t} said on {day} that the matter would be kept under close review."),
    ("A", "A spokesperson for {0:t} declined to comment on the reports."),
    ("A", "The statement from {0:t} was welcomed by several regional governments."),
    ("A", "Officials close to {0:t} described the talks as constructive but unfinished."),
    ("A", "Critics argue that {0:ts} approach has done little to ease tensions."),
    ("A", "{0:ts} position has hardened over the past several months, according to "
          "diplomats."),
    ("A", "The proposal drew a cautious response from {0:t} on {day}."),
    ("A", "Analysts said {0:t} was unlikely to change course before the end of the year."),
    ("A", "{0:t} has not publicly responded to the latest proposal."),
    ("A", "People familiar with the matter said {0:t} had been briefed in advance."),
    ("A", "The remarks were seen as a signal from {0:t} ahead of next month's meeting."),
    ("A", "Earlier this year, {0:t} set out a long list of conditions for any agreement."),
    ("A", "The plan has been criticised by some lawmakers as too closely tied to {0:ts} "
          "priorities."),
    ("A", "According to a readout of the call, {0:t} raised concerns about freedom of "
          "navigation."),
    ("A", "Observers noted that {0:t} had used similar language at a forum in {month}."),
    ("N", "Officials said {0:t} would announce further measures within {num} days."),
    ("N", "The {0:h}-led initiative is expected to cost about {num} billion dollars."),
    ("N", "Funding for {0:ts} new programme rose by {pct} percent this year."),
    ("C", "Officials in {0:t} said the new rules would take effect next month."),
    ("C", "Trade between {0:t} and its neighbours grew by {pct} percent last year."),
    ("C", "{0:ts} foreign ministry issued a brief statement late on {day}."),
    ("C", "Public opinion in {0:t} remains divided on the question, recent polls show."),
    ("C", "Defence planners in {0:t} have been studying the issue for more than a year."),
    ("C", "Ships registered in {0:t} account for roughly {pct} percent of the traffic."),
    ("P", "{0} told reporters on {day} that no decision had been taken."),
    ("P", "{0} is due to travel abroad later this month, aides said."),
    ("P", "In a televised address, {0} defended the decision as necessary and overdue."),
    ("P", "Aides to {0} said the schedule had not yet been finalised."),
    ("K", "Commentators have revived talk of {0:a}, an idea officials publicly reject."),
    ("K", "The notion of {0:a} has resurfaced in policy journals this year."),
    ("K", "Some analysts warn that loose talk of {0:a} risks hardening regional divisions."),
    ("AA", "{0:t} and {1:t} agreed on {day} to hold further talks on maritime security."),
    ("AA", "Talks between {0:t} and {1:t} ended without a joint statement."),
    ("AA", "{0:t} accused {1:t} of undermining regional stability."),
    ("AA", "{0:ts} envoy met counterparts from {1:t} on the sidelines of the meeting."),
    ("AA", "Relations between {0:t} and {1:t} have been strained since early last year."),
    ("AA", "{0:t} urged {1:t} to show restraint and return to dialogue."),
    ("AA", "{0:t} welcomed the decision, while {1:t} said more time was needed to study "
           "it."),
    ("AA", "{0:t} signed a memorandum with {1:t} on defence industrial cooperation."),
    ("AA", "Neither {0:t} nor {1:t} commented on the timing of the announcement."),
    ("AA", "Diplomats said {0:t} had privately raised concerns with {1:t}."),
    ("AA", "Both {0:t} and {1:t} have increased defence spending in recent years."),
    ("AA", "{0:ts} response to {1:t} was notably restrained."),
    ("AN", "{0:t} is weighing closer cooperation with {1:t}, according to people familiar "
           "with the discussions."),
    ("NA", "The {0:h}-led initiative has drawn criticism from {1:t}."),
    ("NN", "The {0-1} talks are expected to resume after the summer recess."),
    ("NN", "Officials described the {0-1} dialogue as the most substantive in years."),
    ("NN", "Joint {0-1} exercises are planned for the autumn, officials said."),
    ("NN", "A new {0-1} framework on export controls is due to be signed in {month}."),
    ("CC", "Coast guard vessels from {0:t} and {1:t} shadowed each other for several hours."),
    ("KA", "{1:t} warned against the emergence of {0:a} in the region."),
    ("KA", "Talk of {0:a} has unsettled officials in {1:t}, diplomats said."),
    ("AAA", "{0:t}, {1:t} and {2:t} issued a joint statement calling for calm."),
    ("AAA", "Representatives of {0:t}, {1:t} and {2:t} met behind closed doors on {day}."),
    ("AAA", "Officials from {0:t} said {1:t} and {2:t} had been consulted."),
    ("AAA", "The meeting brought together delegations from {0:t}, {1:t} and {2:t} for the "
            "first time in two years."),
    ("NNA", "The {0-1} framework was discussed alongside concerns raised by {2:t}."),
)

TITLES: tuple[tuple[str, str], ...] = (
    ("A", "{0:t} signals tougher line on maritime disputes"),
    ("A", "{0:ts} defence budget under scrutiny"),
    ("A", "{0:t} warns of serious consequences over drills"),
    ("A", "Analysts question {0:ts} new security strategy"),
    ("A", "{0:t} to host regional security talks"),
    ("A", "{0:t} rejects criticism over export controls"),
    ("A", "What {0:ts} latest move means for the region"),
    ("A", "{0:t} hardens stance ahead of summit"),
    ("N", "Inside {0:ts} push for new partners"),
    ("P", "{0} defends record as pressure mounts"),
    ("P", "{0} calls for calm after week of tension"),
    ("K", "Is {0:a} taking shape?"),
    ("K", "Why talk of {0:a} keeps returning"),
    ("AA", "{0:t} and {1:t} pledge closer security ties"),
    ("AA", "{0:t} warns {1:t} over military build-up"),
    ("AA", "{0:t} courts {1:t} as rivalry deepens"),
    ("AA", "{0:ts} envoy meets {1:t} counterparts"),
    ("NN", "{0-1} talks resume amid regional tension"),
    ("NN", "{0-1} summit ends without joint statement"),
    ("NN", "New chapter for {0-1} ties, officials say"),
)

# What the multi-outlet burst is about: its articles name the pair in these sentences, so
# the burst has words of its own ("pact") that a keyword analysis of the week should find.
BURST_KEYWORD = "pact"
BURST_SENTENCES: tuple[tuple[str, str], ...] = (
    ("AA", "{0:t} and {1:t} signed a security pact at the summit on {day}."),
    ("AA", "The pact between {0:t} and {1:t} covers intelligence sharing and joint exercises."),
    ("AA", "Under the new pact, {0:t} will send liaison officers to work alongside {1:t}."),
    ("AA", "Critics of the pact said {0:t} had given {1:t} too much say over its planning."),
)

NEUTRAL_TITLES: tuple[str, ...] = (
    "Markets steady as investors weigh interest rate outlook",
    "Typhoon season forecast to peak early this year",
    "Port operators report record container volumes",
    "Rail strike disrupts morning commute",
    "Rice harvest hit by late summer heat",
    "Central bank holds rates, signals caution",
    "Record crowds at autumn film festival",
    "Heatwave strains power grids across the region",
    "Tech start-ups face funding squeeze",
    "Fishing communities count cost of warming seas",
    "City unveils plan for new metro line",
    "Exporters brace for weaker demand",
)

FILLER_SUBJECTS = ("Officials", "Analysts", "Diplomats", "Several economists",
                   "Industry groups", "Opposition lawmakers", "Local residents",
                   "Military planners", "Senior negotiators", "Independent observers",
                   "Shipping companies", "Trade unions", "Academic researchers",
                   "Regional governors")
FILLER_VERBS = ("said", "noted", "cautioned", "argued", "stressed", "suggested",
                "pointed out")
FILLER_CLAUSES = (
    "the timetable remained uncertain",
    "further talks would be needed before any agreement",
    "the costs of the programme had risen sharply",
    "the decision reflected long-standing concerns about supply chains",
    "public support for the plan had softened",
    "the new rules would be phased in over two years",
    "the measures were largely symbolic",
    "the negotiations had entered a difficult phase",
    "the budget would be revised in the spring",
    "the process lacked transparency",
    "shipping insurance premiums had doubled since the spring",
    "the proposal would face a close vote in parliament",
    "energy prices remained the biggest worry for households",
    "the details of the arrangement were still being drafted",
    "fewer than half of the promised projects had started",
    "the exercise was planned long before the latest dispute",
    "younger voters were paying closer attention to foreign policy",
    "the next round of consultations could slip into next year",
    "the region's defence ministries were sharing more data than before",
    "a compromise was still possible",
)
FILLER_TAILS = ("", " on {day}", " in a briefing", " in interviews this week",
                " at a conference in the capital", " in a report published in {month}")
FILLER_STANDALONE = (
    "The ministry did not give a timetable for the next round.",
    "Markets were largely unmoved by the announcement.",
    "Shares in defence contractors rose modestly in afternoon trading.",
    "The coast guard said no injuries were reported.",
    "Weather conditions in the area were described as calm.",
    "No date has been set for a follow-up meeting.",
    "The figures could not be independently verified.",
    "The talks took place over two days in a hotel outside the capital.",
    "Officials spoke on condition of anonymity because they were not authorised to brief "
    "the media.",
    "The document runs to more than {num} pages.",
    "A similar proposal was shelved two years ago after objections from industry.",
    "The cabinet is expected to discuss the matter at its next regular meeting.",
    "Turnout at the protest was estimated at several thousand people.",
    "Fuel prices have risen by about {pct} percent since the start of the year.",
    "Parliament is due to return from recess in {month}.",
    "The announcement came shortly after midnight local time.",
    "Several ships changed course to avoid the area, according to tracking data.",
    "Polling suggests the issue ranks behind the cost of living for most voters.",
    "The agency said it would publish a fuller assessment later in the year.",
    "Local media reported heavy security around the venue.",
    "Negotiators worked late into the night to finalise the wording.",
    "The plan still needs approval from the finance ministry.",
    "Economists expect growth to slow to around {pct} percent next year.",
    "The original draft was revised at least {num} times, according to one participant.",
    "Fishing crews in the area have complained of growing restrictions.",
    "Opposition parties called for a full debate before any final decision.",
    "Satellite images published on {day} appeared to show new construction at the site.",
    "The exercise involved around {num} ships and several hundred personnel.",
    "Business groups said they needed clarity on the new export rules.",
    "The meeting was originally scheduled for {month} but was postponed.",
)

COMMENTS: tuple[tuple[str, str], ...] = (
    ("A", "{0:t} has no business meddling in this region."),
    ("A", "Good to see {0:t} finally taking this seriously."),
    ("AA", "Typical: {0:t} talks and {1:t} pays the bill."),
    ("AA", "Nobody asked {0:t} what they think about {1:t}."),
    ("A", "Another puff piece about {0:t}. Where is the other side of the story?"),
    ("AA", "If {0:t} and {1:t} cooperate more, everyone wins."),
)
COMMENTERS = ("reader42", "kyoto_dave", "harbourview", "m.ivanova", "skeptic_1999",
              "pacific_pete", "lotus_garden", "northwind", "jkim_88", "old_sailor")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


_SLOT_RE = re.compile(r"\{(?:(\d)-(\d)|(\d)(?::([a-z]+))?|([a-z]+))\}")
# Slots of the other languages' templates: {0}, {0:g} (Russian case), {0:은} (Korean
# particle), or a context value ({day}, {month_p}, {num}...).
_LOCAL_SLOT_RE = re.compile(r"\{(?:(\d)(?::([^}]+))?|([a-z_]+))\}")
_ARTICLE_WORDS = frozenset({"States", "Kingdom", "Federation", "Union", "Nations",
                            "Organization", "Organisation", "Alliance", "Dialogue", "Council",
                            "Seven", "government"})
_DOTTED_RE = re.compile(r"(?:[A-Z]\.)+[A-Z]?\.?")
# A dotted abbreviation followed by a capital inside a sentence looks like a sentence
# break, and downstream splitters would then disagree with the ledger's co_sentence counts.
_INNER_BREAK_RE = re.compile(r"[.!?]\s+[A-Z0-9\"'(]")
_INNER_BREAK_LOCAL = {
    "ru": re.compile(r"[.!?]\s+[A-ZА-ЯЁ0-9\"'(«]"),
    "ko": re.compile(r"[.!?]\s+\S"),
    "ja": re.compile(r"[。！？]"),
    "zh": re.compile(r"[。！？]"),
}
WIRE_CREDIT = "This story was first published by {wire}."

# Scripts written without spaces between words, for AliasMatcher. Written out here by
# script rather than shared with blocwatch.text, so that the matcher stays independent of
# the pipeline it checks.
_UNSPACED_SCRIPTS = (
    ("\u1100", "\u11ff"),          # Hangul Jamo
    ("\u2e80", "\u2fdf"),          # CJK and Kangxi radicals
    ("\u3005", "\u3007"),          # 々 〆 〇
    ("\u3040", "\u309f"),          # Hiragana
    ("\u30a0", "\u30ff"),          # Katakana
    ("\u3130", "\u318f"),          # Hangul compatibility Jamo
    ("\u31f0", "\u31ff"),          # Katakana phonetic extensions
    ("\u3400", "\u4dbf"),          # CJK extension A
    ("\u4e00", "\u9fff"),          # CJK unified ideographs
    ("\uac00", "\ud7af"),          # Hangul syllables
    ("\uf900", "\ufaff"),          # CJK compatibility ideographs
    ("\uff66", "\uff9f"),          # half-width Katakana
    ("\U00020000", "\U0003ffff"),  # CJK extensions B and later
)
_UNSPACED = "".join(f"{re.escape(lo)}-{re.escape(hi)}" for lo, hi in _UNSPACED_SCRIPTS)
_UNSPACED_RE = re.compile(f"[{_UNSPACED}]")
# "Part of a word" for a Latin or Cyrillic alias: a letter or digit of a spaced script.
_WORDISH = rf"[^\W_{_UNSPACED}]"


class AliasMatcher:
    """An independent implementation of the tagger's rules (case, whole word,
    leftmost-longest, prefix aliases, no word boundary for aliases in scripts written
    without spaces and such characters as boundaries for the others), used to prove that
    what the generator placed is what a correct tagger will find. Deliberately does not
    import blocwatch.stages.tagger."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        aliases = sorted(taxonomy.aliases, key=lambda a: (-len(a.text), a.text, a.entity_id))
        # One alternation per first character: trying every alias at every position is
        # slow, and most positions (lowercase prose) cannot begin any alias at all.
        by_char: dict[str, list[tuple[str, str]]] = {}
        for alias in aliases:
            body = re.escape(alias.text)
            if alias.case == "ignore":
                body = f"(?i:{body})"
                firsts = {alias.text[0].lower(), alias.text[0].upper()}
            else:
                firsts = {alias.text[0]}
            head = "" if _UNSPACED_RE.match(alias.text[0]) else f"(?<!{_WORDISH})"
            tail = ("" if alias.match == "prefix" or _UNSPACED_RE.match(alias.text[-1])
                    else f"(?!{_WORDISH})")
            for ch in firsts:
                by_char.setdefault(ch, []).append((f"({head}{body}{tail})", alias.entity_id))
        self._by_char: dict[str, tuple[re.Pattern[str], list[str]]] = {
            ch: (re.compile("|".join(p for p, _ in alts)), [e for _, e in alts])
            for ch, alts in by_char.items()}
        # Longest alternatives come first, so at the leftmost position the longest wins.
        chars = "".join(re.escape(c) for c in sorted(by_char))
        self._start = re.compile(rf"[{chars}]")

    def find(self, text: str) -> list[tuple[str, str]]:
        """(entity id, matched text) of every mention, left to right."""
        found: list[tuple[str, str]] = []
        pos = 0
        while (m := self._start.search(text, pos)) is not None:
            pattern, owners = self._by_char[m.group(0)]
            hit = pattern.match(text, m.start())
            if hit is None:
                pos = m.start() + 1
                continue
            found.append((owners[(hit.lastindex or 1) - 1], hit.group(0)))
            pos = hit.end()
        return found

    def count(self, text: str) -> Counter[str]:
        return Counter(eid for eid, _ in self.find(text))


@dataclass
class _Article:
    outlet: Outlet
    published: datetime
    title: str
    title_mentions: Counter[str]
    paragraphs: list[list[str]]
    placed: list[list[Counter[str]]]  # per sentence: the mentions it was written with
    author: str
    title_ents: tuple[str, ...] = ()
    url: str = ""
    path: str = ""
    related: list[_Article] = field(default_factory=list)
    original: _Article | None = None  # for a syndicated copy, the wire story it copies
    date_in: str = "page"             # page | feed | url
    bogus_date: str | None = None     # a wrong date the page's metadata shows instead

    @property
    def language(self) -> str:
        return self.outlet.language

    @property
    def mentions(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for para in self.placed:
            for placed in para:
                total.update(placed)
        return total

    @property
    def co_sentence(self) -> Counter[str]:
        co: Counter[str] = Counter()
        for para in self.placed:
            for placed in para:
                for a, b in itertools.combinations(sorted(placed), 2):
                    co[f"{a}|{b}"] += 1
        return co

    @property
    def story(self) -> str:
        return (self.original or self).url

    def body(self) -> str:
        join = _joiner(self.language)
        return "\n".join(join.join(p) for p in self.paragraphs)


def _joiner(language: str) -> str:
    return LOCALES[language].join if language in LOCALES else " "


class _NoSurface(Exception):
    """No alias of the entity fits this slot (e.g. only lowercase ones at a sentence start)."""


# --- Russian declension and Korean particles ----------------------------------------------
# The generator declines a Russian alias by rule and keeps a form only if the taxonomy
# lists it (AliasMatcher finds it as that entity): a wrong guess is never written.

_RU_VELAR_HUSHING = frozenset("гкхжшчщ")
_RU_HUSHING_TS = frozenset("жшчщц")


def _ru_word(word: str, case: str, animate: bool) -> list[str]:
    """Candidate forms of one Russian word in a case: g(enitive), d(ative), a(ccusative),
    i(nstrumental), p(repositional); n(ominative) is the word itself."""
    if case == "n" or len(word) < 2:
        return [word]
    if "-" in word:
        head, tail = word.rsplit("-", 1)
        return [f"{head}-{form}" for form in _ru_word(tail, case, animate)]
    if word.isupper() or (word[-1] in "оеиуюэ" and word[-2:] not in ("ое", "ее", "ие", "ые")):
        return [word]  # abbreviations and foreign names ending in a vowel do not decline
    stem2, stem1 = word[:-2], word[:-1]
    end2, end1 = word[-2:], word[-1]
    soft = stem2[-1:] in _RU_VELAR_HUSHING
    adjective = {
        "ая": {"g": ["ой"], "d": ["ой"], "a": ["ую"], "i": ["ой"], "p": ["ой"]},
        "ий": {"g": ["ого"], "d": ["ому"], "a": ["ий", "ого"], "i": ["им"], "p": ["ом"]},
        "ый": {"g": ["ого"], "d": ["ому"], "a": ["ый", "ого"], "i": ["ым"], "p": ["ом"]},
        "ое": {"g": ["ого"], "d": ["ому"], "a": ["ое"], "i": ["им" if soft else "ым"],
               "p": ["ом"]},
        "ые": {"g": ["ых"], "d": ["ым"], "a": ["ые"], "i": ["ыми"], "p": ["ых"]},
        "ие": {"g": ["их"], "d": ["им"], "a": ["ие"], "i": ["ими"], "p": ["их"]},
    }
    if end2 in adjective and len(word) > 4:
        return [stem2 + e for e in adjective[end2][case]]
    noun2 = {
        "ия": {"g": ["ии"], "d": ["ии"], "a": ["ию"], "i": ["ией"], "p": ["ии"]},
        "ея": {"g": ["еи"], "d": ["ее"], "a": ["ею"], "i": ["еей"], "p": ["ее"]},
    }
    if end2 in noun2:
        return [stem2 + e for e in noun2[end2][case]]
    last = stem1[-1:]
    if end1 == "я":
        table = {"g": ["и"], "d": ["е"], "a": ["ю"], "i": ["ей"], "p": ["е"]}
    elif end1 == "а":
        table = {"g": ["и" if last in _RU_VELAR_HUSHING else "ы"], "d": ["е"], "a": ["у"],
                 "i": ["ей" if last in _RU_HUSHING_TS else "ой"], "p": ["е"]}
    elif end1 in "йь":
        table = {"g": ["я"], "d": ["ю"], "a": ["я"] if animate else [end1], "i": ["ем"],
                 "p": ["е"]}
    elif end1 == "ы":  # plural nouns: Штаты -> Штатов, Филиппины -> Филиппин
        table = {"g": ["ов", ""], "d": ["ам"], "a": ["ы"], "i": ["ами"], "p": ["ах"]}
    else:  # a consonant: Трамп, Евросоюз, Путин
        return [word + e for e in {"g": ["а"], "d": ["у"], "a": ["а"] if animate else [""],
                                   "i": ["ым", "ом"] if animate else ["ом"],
                                   "p": ["е"]}[case]]
    return [stem1 + e for e in table[case]]


def _ru_forms(text: str, case: str, animate: bool) -> list[str]:
    """Candidate forms of a (possibly multi-word) Russian name in a case: every word
    declined, only the first (Республика Корея -> Республики Корея) or only the last
    (Си Цзиньпин -> Си Цзиньпина)."""
    words = text.split(" ")
    out: list[str] = []
    for which in ("all", "first", "last"):
        options = [_ru_word(w, case, animate)
                   if which == "all" or (which == "first" and i == 0)
                   or (which == "last" and i == len(words) - 1) else [w]
                   for i, w in enumerate(words)]
        for combo in itertools.product(*options):
            form = " ".join(combo)
            if form not in out:
                out.append(form)
    return out


_KO_PAIRS = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와")}


def _ko_attach(word: str, particle: str) -> str:
    """A Korean particle after a word: the form of a pair (은/는...) that follows a final
    consonant or a vowel."""
    pair = _KO_PAIRS.get(particle)
    if pair is None:
        return word + particle
    last = word[-1]
    final = "\uac00" <= last <= "\ud7a3" and (ord(last) - 0xAC00) % 28 != 0
    return word + pair[0 if final else 1]


class _Writer:
    """Builds sentences and titles from templates and taxonomy aliases of one language,
    and checks each one with the independent matcher before it is used."""

    def __init__(self, taxonomy: Taxonomy, rng: Random, language: str = "en",
                 matcher: AliasMatcher | None = None) -> None:
        self.rng = rng
        self.language = language
        self.locale: Locale | None = LOCALES.get(language)
        self.matcher = matcher or AliasMatcher(taxonomy)
        self.entities = {e.id: e for e in taxonomy.entities}
        self._surfaces: dict[str, list[tuple[str, float]]] = {}
        self._options: dict[tuple[int, tuple[str, ...]],
                            list[tuple[str, str, tuple[Entity, ...]]]] = {}
        # Russian: entity id -> case -> forms the taxonomy lists.
        self._cases: dict[str, dict[str, list[str]]] = {}
        for e in taxonomy.entities:
            own = [a for a in e.aliases if self._speaks(a, e)]
            weighted = []
            for i, alias in enumerate(own):
                if i == 0:
                    w = 6.0
                elif (language == "en" and alias.text.isupper() and not own[0].text.isupper()
                      and len(alias.text) > 3):
                    w = 0.4  # all-caps variants of a mixed-case name are rare in body copy
                else:
                    w = 1.5
                weighted.append((alias.text, w))
            self._surfaces[e.id] = weighted
            if language == "ru":
                self._cases[e.id] = self._declensions(e, own)

    def _speaks(self, alias: Alias, entity: Entity) -> bool:
        """Whether text in this writer's language uses the alias."""
        if alias.match == "prefix":
            return False  # a stem, not a word to write
        if self.language == "en":
            return alias.lang in (None, "en")
        if alias.lang == self.language:
            return True
        # Chinese and Japanese copy writes the Latin acronyms of blocs as they are.
        return (self.language in ("ja", "zh") and alias.lang is None
                and entity.kind in ("bloc", "organisation")
                and alias.text.isascii() and alias.text.isalnum() and alias.text.isupper()
                and len(alias.text) <= 5)

    def _declensions(self, entity: Entity, own: list[Alias]) -> dict[str, list[str]]:
        """Forms per case, from the dictionary-form aliases (the first Russian alias, and
        indeclinable abbreviations), kept only where the taxonomy lists them."""
        bases = [a.text for i, a in enumerate(own) if i == 0 or a.text.isupper()]
        animate = entity.kind == "person"
        cases: dict[str, list[str]] = {}
        for case in "ngdaip":
            forms: list[str] = []
            for base in bases:
                for form in _ru_forms(base, case, animate):
                    if (form not in forms
                            and self.matcher.count(form) == Counter({entity.id: 1})):
                        forms.append(form)
            cases[case] = forms
        return cases

    # -- surface forms ----------------------------------------------------------------
    def has_short(self, entity: Entity) -> bool:
        return any(" " not in t for t, _ in self._surfaces[entity.id])

    def surface(self, entity: Entity, short: bool, at_start: bool) -> str:
        options = [(t, w) for t, w in self._surfaces[entity.id]
                   if (not short or " " not in t) and (not at_start or not t[0].islower())]
        if not options:
            raise _NoSurface(entity.id)
        texts, weights = zip(*options, strict=True)
        return self.rng.choices(texts, weights)[0]

    def nav_name(self, entity: Entity) -> str:
        """The entity's dictionary form in this language (navigation, footers)."""
        surfaces = self._surfaces.get(entity.id)
        return surfaces[0][0] if surfaces else entity.aliases[0].text

    @staticmethod
    def needs_the(text: str, kind: str) -> bool:
        """Whether news English puts "the" before this alias (structural guess)."""
        if text[0].islower() or kind in ("person", "concept"):
            return False
        words = text.split()
        if " of " in text or words[-1] in _ARTICLE_WORDS or _DOTTED_RE.fullmatch(text):
            return True
        if len(words) == 1 and text.upper() == text:
            if kind == "country":
                return len(text) <= 4
            return len(text) <= 3 or any(c.isdigit() for c in text)
        return False

    # -- templates --------------------------------------------------------------------
    def fits(self, kinds: str, text: str, ents: Sequence[Entity]) -> bool:
        if len(kinds) != len(ents):
            return False
        if any(e.kind not in KIND_SETS[k] for k, e in zip(kinds, ents, strict=True)):
            return False
        if any(not self._surfaces[e.id] for e in ents):
            return False
        if self.locale is not None:
            if self.language == "ru":
                for m in _LOCAL_SLOT_RE.finditer(text):
                    if m.group(1) is not None and not self._cases[ents[int(m.group(1))].id][
                            m.group(2) or "n"]:
                        return False
            return True
        for m in _SLOT_RE.finditer(text):
            if m.group(1) is not None:
                pair = (ents[int(m.group(1))], ents[int(m.group(2))])
                if not all(self.has_short(e) for e in pair):
                    return False
            elif m.group(4) == "h" and not self.has_short(ents[int(m.group(3))]):
                return False
        return True

    def _value(self, name: str, ctx: dict[str, str]) -> str:
        rng = self.rng
        if name == "num":
            return str(rng.randint(3, 40))
        if name == "pct":
            point = self.locale.decimal if self.locale is not None else "."
            return f"{rng.randint(1, 19)}{point}{rng.randint(1, 9)}"
        return ctx[name]

    def fill(self, text: str, ents: Sequence[Entity], ctx: dict[str, str]
             ) -> tuple[str, Counter[str]]:
        if self.locale is not None:
            return self._fill_local(text, ents, ctx)
        out: list[str] = []
        placed: Counter[str] = Counter()
        pos = 0
        for m in _SLOT_RE.finditer(text):
            out.append(text[pos:m.start()])
            pos = m.end()
            at_start = not "".join(out)
            if m.group(1) is not None:
                a, b = ents[int(m.group(1))], ents[int(m.group(2))]
                out.append(self.surface(a, True, at_start) + "-" + self.surface(b, True, False))
                placed[a.id] += 1
                placed[b.id] += 1
            elif m.group(3) is not None:
                e = ents[int(m.group(3))]
                mode = m.group(4) or ""
                s = alias = self.surface(e, mode == "h", at_start)
                if "s" in mode:
                    s += "'" if s.endswith("s") else "'s"
                if "t" in mode and self.needs_the(alias, e.kind):
                    s = ("The " if at_start else "the ") + s
                if mode == "a":
                    s = ("an " if s[0] in "AEIOU" else "a ") + s
                out.append(s)
                placed[e.id] += 1
            else:
                out.append(self._value(m.group(5), ctx))
        out.append(text[pos:])
        sentence = "".join(out)
        return sentence[0].upper() + sentence[1:], placed

    def _fill_local(self, text: str, ents: Sequence[Entity], ctx: dict[str, str]
                    ) -> tuple[str, Counter[str]]:
        out: list[str] = []
        placed: Counter[str] = Counter()
        pos = 0
        for m in _LOCAL_SLOT_RE.finditer(text):
            out.append(text[pos:m.start()])
            pos = m.end()
            if m.group(1) is None:
                out.append(self._value(m.group(3), ctx))
                continue
            e = ents[int(m.group(1))]
            mode = m.group(2) or ""
            if self.language == "ru":
                forms = self._cases[e.id][mode or "n"]
                if not forms:
                    raise _NoSurface(e.id)
                out.append(self.rng.choice(forms))
            elif self.language == "ko" and mode:
                out.append(_ko_attach(self.surface(e, False, False), mode))
            else:
                out.append(self.surface(e, False, False))
            placed[e.id] += 1
        out.append(text[pos:])
        sentence = "".join(out)
        return sentence[0].upper() + sentence[1:], placed

    def _inner_break(self, sentence: str) -> bool:
        pattern = _INNER_BREAK_LOCAL.get(self.language, _INNER_BREAK_RE)
        return pattern.search(sentence[:-1]) is not None

    def _entity_text(self, pool: Sequence[tuple[str, str]], ents: Sequence[Entity],
                     ctx: dict[str, str], used: set[str], is_sentence: bool
                     ) -> tuple[str, Counter[str]] | None:
        key = (id(pool), tuple(e.id for e in ents))
        options = self._options.get(key)
        if options is None:
            options = self._options[key] = [
                (kinds, text, perm) for kinds, text in pool
                for perm in itertools.permutations(ents)
                if len(kinds) == len(perm) and self.fits(kinds, text, perm)]
        if not options:
            return None
        fresh = [o for o in options if o[1] not in used] or options
        sentence = ""
        for _ in range(40):
            kinds, text, perm = self.rng.choice(fresh)
            try:
                sentence, placed = self.fill(text, perm, ctx)
            except _NoSurface:
                continue
            if is_sentence and self._inner_break(sentence):
                continue
            if self.matcher.count(sentence) == placed:
                used.add(text)
                return sentence, placed
        raise RuntimeError(f"cannot write a clean sentence for {[e.id for e in ents]}: the "
                           f"taxonomy's aliases keep colliding (last try: {sentence!r})")

    def _pools(self) -> tuple[Sequence[tuple[str, str]], Sequence[tuple[str, str]],
                              Sequence[tuple[str, str]], Sequence[str]]:
        loc = self.locale
        if loc is None:
            return SENTENCES, TITLES, COMMENTS, NEUTRAL_TITLES
        return loc.sentences, loc.titles, loc.comments, loc.neutral_titles

    def sentence(self, ents: Sequence[Entity], ctx: dict[str, str], used: set[str],
                 pool: Sequence[tuple[str, str]] | None = None
                 ) -> list[tuple[str, Counter[str]]]:
        """One sentence naming all of ents, or several if no template fits them together."""
        made = self._entity_text(pool or self._pools()[0], ents, ctx, used, True)
        if made is not None:
            return [made]
        if len(ents) == 1:
            raise RuntimeError(f"no sentence template fits entity {ents[0].id!r} "
                               f"(kind {ents[0].kind!r}, language {self.language})")
        return [s for e in ents for s in self.sentence([e], ctx, used)]

    def title(self, ents: Sequence[Entity], ctx: dict[str, str]) -> tuple[str, Counter[str]]:
        _, titles, _, neutral = self._pools()
        if not ents:
            title = self.rng.choice(neutral)
            found = self.matcher.find(title)
            if found:
                raise ValueError(f"neutral title {title!r} contains taxonomy alias(es) "
                                 f"{found}; reword the neutral titles of the demo corpus")
            return title, Counter()
        made = self._entity_text(titles, ents, ctx, set(), False)
        if made is None:
            return self.title(ents[:1], ctx)
        return made

    def comment(self, ents: Sequence[Entity], ctx: dict[str, str]) -> str:
        comments = self._pools()[2]
        made = self._entity_text(comments, ents, ctx, set(), False)
        if made is None:
            made = self._entity_text(comments, ents[:1], ctx, set(), False)
        if made:
            return made[0]
        return self.locale.ui["fallback_comment"] if self.locale else "Interesting read, thanks."

    def filler(self, ctx: dict[str, str], used: set[str]) -> str:
        rng = self.rng
        loc = self.locale
        for _ in range(20):
            if loc is None:
                if rng.random() < 0.55:
                    text = (f"{rng.choice(FILLER_SUBJECTS)} {rng.choice(FILLER_VERBS)} that "
                            f"{rng.choice(FILLER_CLAUSES)}{rng.choice(FILLER_TAILS)}.")
                else:
                    text = rng.choice(FILLER_STANDALONE)
            elif rng.random() < 0.55:
                text = loc.combo.format(s=rng.choice(loc.subjects), v=rng.choice(loc.verbs),
                                        c=rng.choice(loc.clauses), t=rng.choice(loc.tails))
            else:
                text = rng.choice(loc.standalone)
            sentence, _ = self.fill(text, (), ctx)
            if sentence not in used:
                break
        found = self.matcher.find(sentence)
        if found:
            raise ValueError(f"filler sentence {sentence!r} contains taxonomy alias(es) "
                             f"{found}; reword the filler text of the demo corpus")
        used.add(sentence)
        return sentence

    def credit(self, wire: str) -> str:
        """The closing line a republished wire story gets."""
        sentence = WIRE_CREDIT.format(wire=wire)
        found = self.matcher.find(sentence)
        if found:
            raise ValueError(f"wire credit {sentence!r} names taxonomy alias(es) {found}")
        return sentence


def _check_taxonomy(taxonomy: Taxonomy) -> None:
    ids = {e.id for e in taxonomy.entities}
    missing = [i for i in TREND_IDS if i not in ids]
    if missing:
        raise ValueError(f"taxonomy {taxonomy.path or '(in memory)'} lacks entity id(s) "
                         f"{', '.join(missing)}, which the demo corpus's built-in trends need")


def _weight(outlet: Outlet, entity_id: str, day: date, kind: str = "") -> float:
    if entity_id in outlet.never:
        return 0.0
    if entity_id in WAVES:
        w = outlet.focus.get(entity_id, 0.25)
        lo, hi = WAVES[entity_id]
        return w * WAVE_FACTOR if lo <= day <= hi else w
    # A concept reads naturally only where its outlet's templates were written for it.
    w = outlet.focus.get(entity_id, 0.0 if kind == "concept" else BASE_WEIGHT)
    if entity_id in IN_OFFICE:
        lo2, hi2 = IN_OFFICE[entity_id]
        if (lo2 and day < lo2) or (hi2 and day > hi2):
            w *= 0.05
    return w


def _weighted_sample(rng: Random, items: Sequence[Entity], weights: Sequence[float],
                     k: int) -> list[Entity]:
    pool = [(e, w) for e, w in zip(items, weights, strict=True) if w > 0]
    picked: list[Entity] = []
    while pool and len(picked) < k:
        i = rng.choices(range(len(pool)), [w for _, w in pool])[0]
        picked.append(pool.pop(i)[0])
    return picked


def _ctx(rng: Random, when: datetime, language: str = "en") -> dict[str, str]:
    month = rng.randrange(12)
    loc = LOCALES.get(language)
    if loc is None:
        return {"day": WEEKDAYS[when.weekday()], "month": MONTHS[month]}
    ctx = {"day": loc.days[when.weekday()], "month": loc.months[month]}
    for key, names in (loc.extra_months or {}).items():
        ctx[key] = names[month]
    return ctx


def _compose(writer: _Writer, featured: list[Entity], forced: list[list[Entity]],
             ctx: dict[str, str], forced_pool: Sequence[tuple[str, str]] | None = None
             ) -> tuple[list[list[str]], list[list[Counter[str]]]]:
    """Paragraphs (as lists of sentences) and, per sentence, the mentions it holds. The
    forced groups' sentences come from ``forced_pool`` when one is given."""
    rng = writer.rng
    sizes = [rng.randint(3, 5) for _ in range(rng.randint(4, 9))]
    total = sum(sizes)
    groups: list[list[Entity]] = [list(g) for g in forced]
    forced_ids = {id(g) for g in groups}
    if featured:
        if not groups:
            groups.append(featured[:2] if len(featured) >= 2 and rng.random() < 0.6
                          else featured[:1])
        for e in featured:
            if not any(e in g for g in groups):
                pair = rng.random() < 0.35 and e is not featured[0]
                groups.append([featured[0], e] if pair else [e])
        wanted = round(total * rng.uniform(0.15, 0.3))
        weights = [3.0, 2.0] + [1.0] * (len(featured) - 2)
        while len(groups) < min(wanted, total):
            arity = min(len(featured), rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0])
            groups.append(_weighted_sample(rng, featured, weights[:len(featured)], arity))
    groups = groups[:total]
    slots: dict[int, list[Entity]] = {}
    if groups:
        slots[0] = groups[0]
        rest = groups[1:]
        rng.shuffle(rest)
        for pos, g in zip(sorted(rng.sample(range(1, total), len(rest))), rest, strict=True):
            slots[pos] = g
    used: set[str] = set()
    flat: list[tuple[str, Counter[str]]] = []
    counts: list[int] = []
    for pos in range(total):
        if pos in slots:
            pool = forced_pool if id(slots[pos]) in forced_ids else None
            made = writer.sentence(slots[pos], ctx, used, pool)
            flat.extend(made)
            counts.append(len(made))
        else:
            flat.append((writer.filler(ctx, used), Counter()))
            counts.append(1)
    paragraphs: list[list[str]] = []
    placed: list[list[Counter[str]]] = []
    it = iter(flat)
    pos = 0
    for size in sizes:
        n = sum(counts[pos:pos + size])
        para = [next(it) for _ in range(n)]
        paragraphs.append([s for s, _ in para])
        placed.append([c for _, c in para])
        pos += size
    return paragraphs, placed


def _check_body(writer: _Writer, article: _Article) -> None:
    matched = writer.matcher.count(article.body())
    if matched != article.mentions:
        raise RuntimeError(f"body mentions {dict(matched)} differ from placed "
                           f"{dict(article.mentions)} in an article of {article.outlet.id}")


def _make_article(writer: _Writer, outlet: Outlet, when: datetime, featured: list[Entity],
                  forced: list[list[Entity]], title_ents: list[Entity],
                  forced_pool: Sequence[tuple[str, str]] | None = None) -> _Article:
    rng = writer.rng
    ctx = _ctx(rng, when, outlet.language)
    title, title_mentions = writer.title(title_ents, ctx)
    paragraphs, placed = _compose(writer, featured, forced, ctx, forced_pool)
    article = _Article(outlet, when, title, title_mentions, paragraphs, placed,
                       rng.choice(outlet.authors), tuple(e.id for e in title_ents))
    _check_body(writer, article)
    return article


def _copy(writer: _Writer, original: _Article, outlet: Outlet) -> _Article:
    """A republished copy of a wire story: same body, but a new headline, a rewritten lead
    sentence and a closing credit paragraph (what syndication partners typically change)."""
    rng = writer.rng
    when = original.published + timedelta(minutes=rng.randint(30, 20 * 60))
    if when >= END:
        when = original.published + timedelta(minutes=1)
    ctx = _ctx(rng, when, outlet.language)
    title_ents = [writer.entities[e] for e in original.title_ents]
    title, title_mentions = original.title, original.title_mentions
    for _ in range(10):
        title, title_mentions = writer.title(title_ents, ctx)
        if title != original.title:
            break
    lead_ents = [writer.entities[e] for e in sorted(original.placed[0][0])]
    used = set(original.paragraphs[0][:1])
    for _ in range(10):
        lead = (writer.sentence(lead_ents, ctx, used) if lead_ents
                else [(writer.filler(ctx, used), Counter())])
        if lead[0][0] != original.paragraphs[0][0]:
            break
    paragraphs = [[s for s, _ in lead] + original.paragraphs[0][1:]]
    placed = [[c for _, c in lead] + original.placed[0][1:]]
    paragraphs += [list(p) for p in original.paragraphs[1:]]
    placed += [list(p) for p in original.placed[1:]]
    paragraphs.append([writer.credit(original.outlet.name), writer.filler(ctx, set())])
    placed.append([Counter(), Counter()])
    copy = _Article(outlet, when, title, title_mentions, paragraphs, placed, original.author,
                    original.title_ents, original=original)
    _check_body(writer, copy)
    return copy


def _syndicate(writer: _Writer, articles: list[_Article], n_copies: int) -> list[_Article]:
    """Copies of wire stories republished by other English outlets, n_copies in all."""
    rng = writer.rng
    bursts = {MULTI_BURST_WEEK, SINGLE_BURST_WEEK}
    wire = sorted((a for a in articles if a.outlet.id == WIRE_OUTLET
                   and a.published.date() - timedelta(days=a.published.weekday()) not in bursts
                   and sum(len(p) for p in a.paragraphs) >= COPY_MIN_SENTENCES),
                  key=lambda a: (a.published, a.title))
    rng.shuffle(wire)
    copies: list[_Article] = []
    for original in wire:
        if len(copies) >= n_copies:
            break
        named = set(original.mentions) | set(original.title_mentions)
        partners = [o for o in OUTLETS if o.language == "en" and o.id != WIRE_OUTLET
                    and not set(o.never) & named]
        k = min(rng.choice((1, 1, 2, 3)), n_copies - len(copies), len(partners))
        for outlet in rng.sample(partners, k):
            copy = _copy(writer, original, outlet)
            if set(outlet.never) & (set(copy.mentions) | set(copy.title_mentions)):
                continue  # a rewritten lead may not name what the outlet never does
            copies.append(copy)
    return copies


def _slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:72].rstrip("-") or "story"


def _random_time(rng: Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))


def _allocate(n: int, outlets: Sequence[Outlet]) -> list[int]:
    """Split n articles by outlet share (largest remainder), at least one each."""
    total = sum(o.share for o in outlets)
    raw = [n * o.share / total for o in outlets]
    counts = [max(1, int(r)) for r in raw]
    order = sorted(range(len(outlets)), key=lambda i: (-(raw[i] - int(raw[i])), i))
    i = 0
    while sum(counts) < n:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > n:
        j = max(range(len(counts)), key=lambda x: (counts[x], -x))
        counts[j] -= 1
    return counts


def _build_articles(taxonomy: Taxonomy, rng: Random, n_articles: int
                    ) -> tuple[list[_Article], list[dict]]:
    matcher = AliasMatcher(taxonomy)
    writers = {lang: _Writer(taxonomy, rng, lang, matcher)
               for lang in sorted({o.language for o in OUTLETS})}
    writer = writers["en"]
    ents = writer.entities
    entity_list = [ents[i] for i in sorted(ents)]
    by_id = {o.id: o for o in OUTLETS}
    n_multi = min(max(12, round(n_articles * 0.03)), n_articles // 4)
    n_single = min(max(8, round(n_articles * 0.015)), n_articles // 6)
    n_copies = min(max(2, round(n_articles * COPY_SHARE)), n_articles // 10)
    n_base = n_articles - n_multi - n_single - n_copies
    articles: list[_Article] = []

    for outlet, count in zip(OUTLETS, _allocate(n_base, OUTLETS), strict=True):
        local = writers[outlet.language]
        for _ in range(count):
            when = _random_time(rng, START, END)
            weights = [_weight(outlet, e.id, when.date(), e.kind) for e in entity_list]
            k = rng.choices(FEATURE_COUNTS, FEATURE_WEIGHTS)[0]
            featured = _weighted_sample(rng, entity_list, weights, k)
            n_title = min(len(featured), rng.choice((1, 1, 2)))
            articles.append(_make_article(local, outlet, when, featured, [],
                                          featured[:n_title]))

    week = datetime(MULTI_BURST_WEEK.year, MULTI_BURST_WEEK.month, MULTI_BURST_WEEK.day,
                    tzinfo=UTC)
    pair = [ents[i] for i in MULTI_BURST_IDS]
    for i in range(n_multi):
        outlet = by_id[MULTI_BURST_OUTLETS[i % len(MULTI_BURST_OUTLETS)]]
        when = _random_time(rng, week, week + timedelta(days=7))
        # Wave entities stay out of bursts so each trend can be checked on its own.
        weights = [0.0 if e.id in MULTI_BURST_IDS or e.id in WAVES
                   else _weight(outlet, e.id, when.date(), e.kind) for e in entity_list]
        extra = _weighted_sample(rng, entity_list, weights, rng.randint(0, 2))
        forced = [pair] * rng.randint(2, 4)
        articles.append(_make_article(writer, outlet, when, pair + extra, forced, pair,
                                      BURST_SENTENCES))

    week = datetime(SINGLE_BURST_WEEK.year, SINGLE_BURST_WEEK.month, SINGLE_BURST_WEEK.day,
                    tzinfo=UTC)
    outlet = by_id[SINGLE_BURST_OUTLET]
    hammered = ents[SINGLE_BURST_ID]
    for _ in range(n_single):
        when = _random_time(rng, week, week + timedelta(days=7))
        weights = [0.0 if e.id == SINGLE_BURST_ID or e.id in WAVES
                   else _weight(outlet, e.id, when.date(), e.kind) for e in entity_list]
        extra = _weighted_sample(rng, entity_list, weights, rng.randint(0, 2))
        forced = [[hammered]] * rng.randint(3, 5)
        articles.append(_make_article(writer, outlet, when, [hammered] + extra, forced,
                                      [hammered]))

    copies = _syndicate(writer, articles, n_copies)
    # Top up with ordinary wire stories if too few stories were long enough to copy.
    wire = by_id[WIRE_OUTLET]
    while len(copies) < n_copies:
        when = _random_time(rng, START, END)
        weights = [_weight(wire, e.id, when.date(), e.kind) for e in entity_list]
        featured = _weighted_sample(rng, entity_list, weights, 2)
        copies.append(_make_article(writer, wire, when, featured, [], featured[:1]))
    articles += copies
    _assign_dates(rng, articles)
    _assign_urls(articles)
    _link_related(articles)
    bursts = [
        {"kind": "multi_outlet", "entities": sorted(MULTI_BURST_IDS),
         "sources": sorted(MULTI_BURST_OUTLETS), "week_start": MULTI_BURST_WEEK.isoformat(),
         "articles": n_multi, "keyword": BURST_KEYWORD},
        {"kind": "single_outlet", "entities": [SINGLE_BURST_ID],
         "sources": [SINGLE_BURST_OUTLET], "week_start": SINGLE_BURST_WEEK.isoformat(),
         "articles": n_single},
    ]
    return articles, bursts


def _assign_dates(rng: Random, articles: list[_Article]) -> None:
    """Where each article's date can be found: a few only in the feed, a few only in the
    URL, a few with a wrong date in the page's metadata (the feed has the right one)."""
    k = max(2, round(len(articles) * DATE_VARIANT_SHARE))
    pool = sorted(articles, key=lambda a: (a.outlet.id, a.published, a.title))
    picked = rng.sample(pool, min(len(pool), 2 * k + k // 2 + 1))
    for i, a in enumerate(picked):
        if i < k:
            a.date_in = "feed"
        elif i < 2 * k:
            a.date_in = "url"
        else:
            a.date_in = "feed"
            a.bogus_date = BOGUS_PAGE_DATES[i % len(BOGUS_PAGE_DATES)]


def _assign_urls(articles: list[_Article]) -> None:
    taken: set[tuple[str, str]] = set()
    for a in sorted(articles, key=lambda x: (x.published, x.outlet.id, x.title)):
        # Titles in other scripts give no ASCII slug: such outlets number their stories.
        slug = (_slugify(a.title) if a.outlet.language == "en"
                else f"{a.outlet.id[:2]}{a.published:%H%M%S}")
        if a.date_in == "feed" and a.bogus_date is None:
            base = f"/news/{slug}"  # no date in the URL: only the feed entry has it
        else:
            base = f"/{a.published:%Y/%m/%d}/{slug}"
        path, n = f"{base}.html", 2
        while (a.outlet.host, path) in taken:
            path, n = f"{base}-{n}.html", n + 1
        taken.add((a.outlet.host, path))
        a.path = path
        a.url = f"http://{a.outlet.host}{path}"


def _link_related(articles: list[_Article]) -> None:
    by_outlet: dict[str, list[_Article]] = {}
    for a in sorted(articles, key=lambda x: (x.published, x.url)):
        by_outlet.setdefault(a.outlet.id, []).append(a)
    for items in by_outlet.values():
        for i, a in enumerate(items):
            near = [items[j] for j in (i - 1, i - 2, i - 3, i + 1, i + 2, i + 3, i + 4)
                    if 0 <= j < len(items)]
            a.related = near[:4]


# --- rendering ---------------------------------------------------------------------------

_UI_EN = {"cookie": "We use cookies and similar technologies to understand how readers use "
                    "{name} and to show relevant coverage. You can change your choices at any "
                    "time in Privacy settings.",
          "accept": "Accept all", "reject": "Reject non-essential", "search": "Search",
          "related": "Related", "popular": "Most read", "comments": "Comments",
          "policy": "Comments are moderated and may take some time to appear.",
          "newsletter": "Morning briefing",
          "pitch": "The day's top stories on {names} and more, in your inbox before breakfast.",
          "signup": "Sign up", "about": "About us", "contact": "Contact", "privacy": "Privacy",
          "terms": "Terms of use",
          "rights": "All rights reserved. Reproduction without permission is prohibited.",
          "by": "By", "mail": "Email", "share": "Share", "print": "Print", "latest": "Latest"}
_RU_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                       "августа", "сентября", "октября", "ноября", "декабря")


def _ui(outlet: Outlet) -> dict[str, str]:
    loc = LOCALES.get(outlet.language)
    return loc.ui if loc is not None else _UI_EN


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _rfc822(when: datetime) -> str:
    return (f"{WEEKDAYS[when.weekday()][:3]}, {when.day:02d} {MONTHS[when.month - 1][:3]} "
            f"{when:%Y %H:%M:%S} +0000")


def _visible_date(when: datetime, layout: int, language: str = "en") -> str:
    if language == "ja":
        return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}"
    if language == "zh":
        return f"{when.year}年{when.month:02d}月{when.day:02d}日 {when:%H:%M}"
    if language == "ko":
        return f"{when:%Y.%m.%d %H:%M}"
    if language == "ru":
        return f"{when.day} {_RU_MONTHS_GENITIVE[when.month - 1]} {when.year}, {when:%H:%M}"
    month = MONTHS[when.month - 1]
    if layout == 0:
        return f"{when.day} {month} {when.year}, {when:%H:%M} UTC"
    if layout == 1:
        return f"{month} {when.day}, {when.year}"
    return f"{when:%Y-%m-%d %H:%M} GMT"


def _nav(outlet: Outlet, writer: _Writer) -> str:
    labels = list(outlet.sections[:2])
    for eid in outlet.nav_entities:
        e = writer.entities.get(eid)
        if e is not None and eid not in outlet.never:
            labels.append(writer.nav_name(e))
    labels += list(outlet.sections[2:])
    items = "".join(f'<li><a href="/section/{i}/">{_esc(lbl)}</a></li>'
                    if outlet.language != "en" else
                    f'<li><a href="/section/{_slugify(lbl)}/">{_esc(lbl)}</a></li>'
                    for i, lbl in enumerate(labels))
    return f'<nav class="main-nav" aria-label="Sections"><ul>{items}</ul></nav>'


def _header(outlet: Outlet, nav: str) -> str:
    ui = _ui(outlet)
    return (
        f'<div class="cookie-banner" id="cookie-consent" role="dialog"><p>'
        f'{_esc(ui["cookie"].format(name=outlet.name))}</p><button type="button">'
        f'{_esc(ui["accept"])}</button> <button type="button">{_esc(ui["reject"])}</button>'
        f'</div>\n'
        f'<header class="site-header"><a class="logo" href="/">{_esc(outlet.name)}</a>'
        f'<p class="tagline">{_esc(outlet.tagline)}</p>\n{nav}\n'
        f'<form class="search" action="/search"><input type="search" name="q" '
        f'placeholder="{_attr(ui["search"])}"></form></header>\n')


def _footer(outlet: Outlet, writer: _Writer) -> str:
    ui = _ui(outlet)
    sep = "、" if outlet.language in ("ja", "zh") else ", "
    names = sep.join(writer.nav_name(writer.entities[e]) for e in outlet.nav_entities
                     if e in writer.entities and e not in outlet.never)
    return (
        f'<footer class="site-footer"><div class="newsletter"><h3>{_esc(ui["newsletter"])}'
        f'</h3><p>{_esc(ui["pitch"].format(names=names))}</p><form action="/newsletter">'
        f'<input type="email" name="email"><button type="submit">{_esc(ui["signup"])}'
        f'</button></form></div>'
        f'<ul class="footer-links"><li><a href="/about/">{_esc(ui["about"])}</a></li>'
        f'<li><a href="/contact/">{_esc(ui["contact"])}</a></li><li><a href="/privacy/">'
        f'{_esc(ui["privacy"])}</a></li><li><a href="/terms/">{_esc(ui["terms"])}</a></li>'
        f'</ul><p>&copy; 2026 {_esc(outlet.name)}. {_esc(ui["rights"])}</p></footer>\n')


def _page_stamp(a: _Article) -> str | None:
    """The publication timestamp the page shows, if any (a wrong one for bogus pages)."""
    if a.bogus_date is not None:
        return a.bogus_date
    return _iso(a.published) if a.date_in == "page" else None


def _article_html(a: _Article, writer: _Writer, nav: str, most_read: Sequence[_Article],
                  comments: Sequence[tuple[str, str]]) -> str:
    o = a.outlet
    ui = _ui(o)
    stamp = _page_stamp(a)
    ld_fields = {"@context": "https://schema.org", "@type": "NewsArticle",
                 "headline": a.title, "author": {"@type": "Person", "name": a.author},
                 "publisher": {"@type": "Organization", "name": o.name},
                 "mainEntityOfPage": a.url}
    if stamp is not None:
        ld_fields.update(datePublished=stamp, dateModified=stamp)
    ld = json.dumps(ld_fields, ensure_ascii=False, sort_keys=True)
    author_slug = (_slugify(a.author) if o.language == "en"
                   else str(o.authors.index(a.author) + 1))
    byline = (f'{_esc(ui["by"])} <a rel="author" href="/authors/{author_slug}/">'
              f'{_esc(a.author)}</a>')
    if stamp is not None:
        shown = datetime.fromisoformat(stamp)
        byline += (f' &middot; <time datetime="{stamp}">'
                   f'{_visible_date(shown, o.layout, o.language)}</time>')
    join = _joiner(o.language)
    paras = "\n".join(f"<p>{_esc(join.join(p))}</p>" for p in a.paragraphs)
    if o.layout == 0:
        story = (f'<article class="story">\n<h1>{_esc(a.title)}</h1>\n'
                 f'<p class="byline">{byline}</p>\n{paras}\n</article>\n')
    elif o.layout == 1:
        # No articleBody/article-body wrapper here: trafilatura would take that element as
        # the whole text and leave the headline out, and the pipeline expects the headline
        # as the first line of the text.
        story = (f'<article class="news-article" itemscope itemtype="https://schema.org/'
                 f'NewsArticle">\n<h1 itemprop="headline">{_esc(a.title)}</h1>\n'
                 f'<div class="byline">{byline}</div>\n'
                 f'<div class="body-copy">\n{paras}\n</div>\n'
                 f'</article>\n')
    else:
        story = (f'<article id="story" class="article">\n<h1 class="headline">'
                 f'{_esc(a.title)}</h1>\n<div class="meta byline"><span class="author">'
                 f'{byline}</span></div>\n<section class="story-body">\n{paras}\n</section>\n'
                 f'</article>\n')
    related = "".join(f'<li><a href="{_attr(r.path)}">{_esc(r.title)}</a></li>'
                      for r in a.related)
    popular = "".join(f'<li><a href="{_attr(r.path)}">{_esc(r.title)}</a></li>'
                      for r in most_read)
    aside = (f'<aside class="related"><h2>{_esc(ui["related"])}</h2><ul>{related}</ul>'
             f'<h2>{_esc(ui["popular"])}</h2><ol>{popular}</ol></aside>\n')
    share = (f'<div class="share-tools"><a href="/share?to=mail">{_esc(ui["mail"])}</a> '
             f'<a href="/share?to=social">{_esc(ui["share"])}</a> '
             f'<a href="/print">{_esc(ui["print"])}</a></div>\n')
    thread = "".join(
        f'<div class="comment"><p class="comment-author">{_esc(who)}</p>'
        f"<p>{_esc(text)}</p></div>" for who, text in comments)
    comments_html = (f'<section class="comments" id="comments"><h2>{_esc(ui["comments"])} '
                     f'({len(comments)})</h2>{thread}<p class="comment-policy">'
                     f'{_esc(ui["policy"])}</p></section>\n')
    stamp_meta = (f'<meta property="article:published_time" content="{stamp}">\n'
                  if stamp is not None else "")
    return (
        f'<!DOCTYPE html>\n<html lang="{o.page_lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(a.title)} | {_esc(o.name)}</title>\n"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="author" content="{_attr(a.author)}">\n'
        f'<meta property="og:title" content="{_attr(a.title)}">\n'
        f'<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{_attr(o.name)}">\n'
        f'<meta property="og:url" content="{_attr(a.url)}">\n'
        f'{stamp_meta}'
        f'<link rel="canonical" href="{_attr(a.url)}">\n'
        f'<link rel="stylesheet" href="/static/site.css">\n'
        f'<script type="application/ld+json">{ld}</script>\n'
        f"</head>\n<body>\n{_header(o, nav)}"
        f'<main class="page">\n{story}{share}{aside}{comments_html}</main>\n'
        f"{_footer(o, writer)}</body>\n</html>\n")


def _homepage(outlet: Outlet, items: Sequence[_Article], writer: _Writer, nav: str) -> str:
    latest = "".join(
        f'<li><a href="{_attr(a.path)}">{_esc(a.title)}</a> '
        f'<time datetime="{_iso(a.published)}">{a.published:%Y-%m-%d}</time></li>'
        for a in items[:30])
    return (f'<!DOCTYPE html>\n<html lang="{outlet.page_lang}">\n<head>\n'
            f'<meta charset="utf-8">\n'
            f"<title>{_esc(outlet.name)} - {_esc(outlet.tagline)}</title>\n"
            f'<meta property="og:site_name" content="{_attr(outlet.name)}">\n'
            f"</head>\n<body>\n{_header(outlet, nav)}<main class=\"front\">\n"
            f'<h1>{_esc(outlet.name)}</h1>\n<section class="latest"><h2>'
            f'{_esc(_ui(outlet)["latest"])}</h2><ul>'
            f"{latest}</ul></section>\n</main>\n{_footer(outlet, writer)}</body>\n</html>\n")


def _pages(items: Sequence[_Article]) -> list[Sequence[_Article]]:
    return [items[i:i + FEED_PAGE_SIZE] for i in range(0, len(items), FEED_PAGE_SIZE)] or [[]]


def _feed_dated(a: _Article) -> bool:
    """Whether the article's feed entry or sitemap URL carries its date."""
    return a.date_in != "url"


def _paged(base: str, items: Sequence[_Article], first: str, later: str, next_link: str,
           render: Callable[[str, str, Sequence[_Article]], str]) -> dict[str, str]:
    """A feed's pages of FEED_PAGE_SIZE entries, newest first: the first at ``first``, page
    n at ``later`` (with {n}), each but the last linking to the next with ``next_link``
    (with {href}); ``render(path, next_link, entries)`` writes one page."""
    pages = _pages(items)
    files: dict[str, str] = {}
    for n, page in enumerate(pages, 1):
        path = first if n == 1 else later.format(n=n)
        nxt = (next_link.format(href=f"{base}/{later.format(n=n + 1)}") + "\n"
               if n < len(pages) else "")
        files[path] = render(path, nxt, page)
    return files


def _rss(outlet: Outlet, items: Sequence[_Article]) -> dict[str, str]:
    base = f"http://{outlet.host}"
    built = _rfc822(items[0].published) if items else _rfc822(START)

    def render(path: str, nxt: str, page: Sequence[_Article]) -> str:
        entries = "".join(
            f"<item>\n<title>{xml_escape(a.title)}</title>\n<link>{xml_escape(a.url)}</link>\n"
            f'<guid isPermaLink="true">{xml_escape(a.url)}</guid>\n'
            + (f"<pubDate>{_rfc822(a.published)}</pubDate>\n" if _feed_dated(a) else "")
            + f"<dc:creator>{xml_escape(a.author)}</dc:creator>\n"
            f"<description>{xml_escape(a.paragraphs[0][0])}</description>\n</item>\n"
            for a in page)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                'xmlns:atom="http://www.w3.org/2005/Atom" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
                f"<title>{xml_escape(outlet.name)}</title>\n<link>{base}/</link>\n"
                f"<description>{xml_escape(outlet.tagline)}</description>\n"
                f"<language>{outlet.page_lang}</language>\n"
                f"<lastBuildDate>{built}</lastBuildDate>\n"
                f'<atom:link rel="self" type="application/rss+xml" href="{base}/{path}"/>\n'
                f"{nxt}{entries}</channel>\n</rss>\n")

    return _paged(base, items, "feed.xml", "feed/page/{n}.xml",
                  '<atom:link rel="next" type="application/rss+xml" href="{href}"/>', render)


def _atom(outlet: Outlet, items: Sequence[_Article]) -> dict[str, str]:
    base = f"http://{outlet.host}"
    updated = _iso(items[0].published) if items else _iso(START)

    def render(path: str, nxt: str, page: Sequence[_Article]) -> str:
        entries = "".join(
            f"<entry>\n<title>{xml_escape(a.title)}</title>\n"
            f'<link rel="alternate" type="text/html" href="{xml_escape(a.url)}"/>\n'
            f"<id>{xml_escape(a.url)}</id>\n"
            + (f"<published>{_iso(a.published)}</published>\n"
               f"<updated>{_iso(a.published)}</updated>\n" if _feed_dated(a) else "")
            + f"<author><name>{xml_escape(a.author)}</name></author>\n"
            f"<summary>{xml_escape(a.paragraphs[0][0])}</summary>\n</entry>\n"
            for a in page)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.page_lang}">\n'
                f"<title>{xml_escape(outlet.name)}</title>\n"
                f"<subtitle>{xml_escape(outlet.tagline)}</subtitle>\n"
                f"<id>tag:{outlet.host},2025:feed</id>\n<updated>{updated}</updated>\n"
                f'<link rel="self" type="application/atom+xml" href="{base}/{path}"/>\n'
                f'<link rel="alternate" type="text/html" href="{base}/"/>\n'
                f"{nxt}{entries}</feed>\n")

    return _paged(base, items, "atom.xml", "atom/page/{n}.xml",
                  '<link rel="next" type="application/atom+xml" href="{href}"/>', render)


def _sitemaps(outlet: Outlet, items: Sequence[_Article]) -> dict[str, str]:
    base = f"http://{outlet.host}"
    months: dict[str, list[_Article]] = {}
    for a in items:
        months.setdefault(f"{a.published:%Y-%m}", []).append(a)
    files: dict[str, str] = {}
    index = []
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    for month in sorted(months, reverse=True):
        group = months[month]
        urls = "".join(f"<url><loc>{xml_escape(a.url)}</loc>"
                       + (f"<lastmod>{_iso(a.published)}</lastmod>" if _feed_dated(a) else "")
                       + "</url>\n" for a in group)
        files[f"sitemaps/{month}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {ns}>\n{urls}</urlset>\n')
        index.append(f"<sitemap><loc>{base}/sitemaps/{month}.xml</loc>"
                     f"<lastmod>{_iso(group[0].published)}</lastmod></sitemap>\n")
    files["sitemap.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {ns}>\n'
                            f'{"".join(index)}</sitemapindex>\n')
    return files


def _discovery_url(outlet: Outlet) -> tuple[str, str]:
    base = f"http://{outlet.host}"
    return {"rss": ("feeds", f"{base}/feed.xml"), "atom": ("feeds", f"{base}/atom.xml"),
            "sitemap": ("sitemaps", f"{base}/sitemap.xml")}[outlet.discovery]


def _sources_yaml() -> str:
    lines = [
        "# Demo outlets served by blocwatch.demo.server (fictional hosts under .test). They",
        "# date and time everything in UTC (feeds, metadata, bylines), hence timezone: UTC.",
        "settings:",
        '  user_agent: "blocwatch-demo/0.1 (+https://github.com/blocwatch/blocwatch)"',
        "  politeness: {min_delay_s: 0, concurrency: 8, timeout_s: 10, retries: 1}",
        "  batch_size: 250",
        "sources:",
    ]
    for o in OUTLETS:
        key, url = _discovery_url(o)
        lines += [f"  - id: {o.id}", f"    name: {json.dumps(o.name, ensure_ascii=False)}",
                  f"    homepage: http://{o.host}/", f"    country: {o.country}",
                  "    timezone: UTC",
                  f"    language: {o.language}", f"    kind: {json.dumps(o.kind)}",
                  f"    {key}: [{url}]", "    allow_private_network: true"]
    return "\n".join(lines) + "\n"


def _render_site(outlet: Outlet, items: list[_Article], writer: _Writer) -> dict[str, str]:
    """All files of one outlet, keyed by path below its host folder. items: newest first."""
    rng = writer.rng
    nav = _nav(outlet, writer)
    files: dict[str, str] = {}
    pool = [e for e in (writer.entities.get(i) for i in sorted(outlet.focus))
            if e is not None and e.id not in outlet.never and e.kind != "concept"]
    for a in sorted(items, key=lambda x: x.url):
        ctx = _ctx(rng, a.published, outlet.language)
        comments = []
        for _ in range(rng.randint(1, 4)):
            ents = rng.sample(pool, min(len(pool), rng.choice((1, 2))))
            comments.append((rng.choice(COMMENTERS), writer.comment(ents, ctx)))
        # Only stories already out when the page was published can be "most read".
        recent = [r for r in items if a.published - timedelta(days=30) <= r.published
                  < a.published]
        most_read = rng.sample(recent, min(3, len(recent)))
        files[a.path.lstrip("/")] = _article_html(a, writer, nav, most_read, comments)
    files["index.html"] = _homepage(outlet, items, writer, nav)
    robots = "User-agent: *\nDisallow: /private/\n"
    if outlet.discovery == "sitemap":
        robots += f"\nSitemap: http://{outlet.host}/sitemap.xml\n"
    files["robots.txt"] = robots
    files["private/index.html"] = (
        f'<!DOCTYPE html>\n<html lang="{outlet.page_lang}"><head><meta charset="utf-8">'
        "<title>Staff only</title></head><body><p>Editorial drafts. Not for crawlers.</p>"
        "</body></html>\n")
    if outlet.discovery == "rss":
        files.update(_rss(outlet, items))
    elif outlet.discovery == "atom":
        files.update(_atom(outlet, items))
    else:
        files.update(_sitemaps(outlet, items))
    return files


def _ledger(seed: int, articles: list[_Article], bursts: list[dict]) -> dict:
    rows = [{
        "url": a.url,
        "source": a.outlet.id,
        "published": a.published.date().isoformat(),
        "title": a.title,
        "mentions": dict(sorted(a.mentions.items())),
        "title_mentions": dict(sorted(a.title_mentions.items())),
        "co_sentence": dict(sorted(a.co_sentence.items())),
        "language": a.language,
        "story": a.story,
        "date_in": a.date_in,
    } for a in sorted(articles, key=lambda x: x.url)]
    return {
        "seed": seed,
        "articles": rows,
        "bursts": bursts,
        "never_mentions": {o.id: sorted(o.never) for o in OUTLETS if o.never},
        "waves": [{"entity": eid, "start": lo.isoformat(), "end": hi.isoformat()}
                  for eid, (lo, hi) in sorted(WAVES.items())],
        "misdeclared": {o.id: {"declared": o.declares, "actual": o.language}
                        for o in OUTLETS if o.declares},
    }


def generate(out_dir: Path, taxonomy: Taxonomy, seed: int = DEFAULT_SEED,
             n_articles: int = DEFAULT_ARTICLES) -> dict:
    """Write the demo web (out_dir/web/<host>/...), ledger.json and sources.yaml.

    Returns the ledger. The same seed, size and taxonomy always give byte-identical files.
    """
    if n_articles < 40:
        raise ValueError("n_articles must be at least 40 so every outlet and trend has "
                         "articles")
    _check_taxonomy(taxonomy)
    out_dir = Path(out_dir)
    rng = Random(seed)
    articles, bursts = _build_articles(taxonomy, rng, n_articles)
    render_rng = Random(seed + 1)
    matcher = AliasMatcher(taxonomy)
    writers = {lang: _Writer(taxonomy, render_rng, lang, matcher)
               for lang in sorted({o.language for o in OUTLETS})}
    web = out_dir / "web"
    if web.exists():
        # Stale pages from an earlier, larger corpus would be served but not in the ledger.
        shutil.rmtree(web)
    for outlet in OUTLETS:
        items = sorted((a for a in articles if a.outlet.id == outlet.id),
                       key=lambda x: (x.published, x.url), reverse=True)
        for rel, text in sorted(_render_site(outlet, items, writers[outlet.language]).items()):
            target = web / outlet.host / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    ledger = _ledger(seed, articles, bursts)
    (out_dir / "ledger.json").write_text(
        json.dumps(ledger, indent=1, ensure_ascii=False) + "\n", encoding="utf-8",
        newline="\n")
    (out_dir / "sources.yaml").write_text(_sources_yaml(), encoding="utf-8", newline="\n")
    return ledger


def _default_taxonomy() -> Path:
    """./taxonomy.yaml, else $BLOCWATCH_HOME's, else the one shipped with blocwatch."""
    return find_config("taxonomy.yaml", option="--taxonomy").path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blocwatch.demo.corpus",
                                     description="Generate the deterministic demo news web.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--articles", type=int, default=DEFAULT_ARTICLES)
    parser.add_argument("--taxonomy", type=Path, default=None,
                        help="taxonomy file (default: ./taxonomy.yaml, else $BLOCWATCH_HOME/"
                        "taxonomy.yaml, else the shipped one)")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy(args.taxonomy or _default_taxonomy())
    ledger = generate(args.out_dir, taxonomy, seed=args.seed, n_articles=args.articles)
    rows = ledger["articles"]
    days = sorted(r["published"] for r in rows)
    sources = sorted({r["source"] for r in rows})
    print(f"demo corpus: {len(rows)} articles from {len(sources)} outlets, {days[0]}..{days[-1]}"
          f", seed {args.seed} -> {args.out_dir} (web/, ledger.json, sources.yaml)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
