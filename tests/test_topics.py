"""Saved topics (topics.yaml): validated like the other YAML files but one bad topic skips
only itself; counted at ingest with the full-text index into topic_matches and
rollup_daily_topics; a topic added to the file is counted over the whole history by the next
ingest (a real Prefect flow run); watched by the spike alerts.

Expected counts come from the demo generator's ledger with a plain regular expression over
the headlines it wrote, never from the index or the query evaluator.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from blocwatch.alerts import SPIKE, detect_entity_spikes, detect_topic_spikes
from blocwatch.errors import ConfigError
from blocwatch.paths import packaged_file
from blocwatch.taxonomy import load_taxonomy
from blocwatch.topics import load_topics
from tests.conftest import REPO, BuiltWarehouse, PrefectServer, run_ingest
from tests.test_alerts import ledger_frames
from warehouse import topics as wtopics
from warehouse.db import connect_reader

BAD_FILE = """\
topics:
  - id: nato_titles
    label: NATO in headlines
    query: title:NATO
  - id: broken
    label: Broken
    query: Japan AND ("Asian NATO"
  - id: no_label
    query: Japan
  - id: nato_titles
    label: Again
    query: NATO
  - id: ghost
    label: Unknown entity
    query: entity:atlantis OR Japan
  - id: korea_titles
    label: Korea in headlines
    query: title:(Korea OR Korean OR Koreas)
"""


def test_a_bad_topic_is_reported_and_the_others_load(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(BAD_FILE, encoding="utf-8")
    config = load_topics(path, load_taxonomy(REPO / "taxonomy.yaml"))
    assert [t.id for t in config.topics] == ["nato_titles", "korea_titles"]
    messages = [str(e) for e in config.errors]
    assert messages[0] == (f"{path}, entry #2 ('broken'), field 'query': missing ')' for "
                           "this '(' at 10\n"
                           'Japan AND ("Asian NATO"\n'
                           "          ^")
    assert messages[1].startswith(f"{path}, entry #3 ('no_label'), field 'label': ")
    assert messages[2] == f"{path}, entry #4 ('nato_titles'), field 'id': duplicate id " \
                          "'nato_titles'"
    assert messages[3].startswith(f"{path}, entry #5 ('ghost'), field 'query': ")
    assert "atlantis" in messages[3] and messages[3].endswith("^")
    assert len(messages) == 4 and all(isinstance(e, ConfigError) for e in config.errors)


def test_a_file_that_is_not_a_topic_list_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("topic:\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown top-level key"):
        load_topics(path)


def test_the_shipped_topics_are_valid() -> None:
    config = load_topics(packaged_file("topics.yaml"), load_taxonomy(REPO / "taxonomy.yaml"))
    assert not config.errors
    assert {"asian_nato_idea", "japan_nato_summit"} <= set(config.by_id())
    assert (REPO / "topics.yaml").resolve() == packaged_file("topics.yaml").resolve()


def _expected(ledger: dict, pattern: str) -> Counter[tuple[str, str, str]]:
    """(day, outlet, language) -> articles whose ledger headline matches ``pattern``."""
    regex = re.compile(pattern, re.IGNORECASE)
    out: Counter[tuple[str, str, str]] = Counter()
    for a in ledger["articles"]:
        if regex.search(unicodedata.normalize("NFKC", a["title"] or "")):
            out[(a["published"], a["source"], a["language"])] += 1
    return out


def _stored(db: Path, topic: str) -> Counter[tuple[str, str, str]]:
    con = connect_reader(db)
    try:
        rows = con.execute("SELECT day, source_id, language, articles FROM rollup_daily_topics "
                           "WHERE topic_id = ?", [topic]).fetchall()
        matches = con.execute("SELECT count(*) FROM topic_matches WHERE topic_id = ?",
                              [topic]).fetchone()[0]
    finally:
        con.close()
    out = Counter({(d.isoformat(), s, lang): int(n) for d, s, lang, n in rows})
    assert matches == sum(out.values())  # the demo has no undated article or duplicate
    return out


NATO = r"(?<![A-Za-z0-9])nato(?![A-Za-z0-9])"
KOREA = r"(?<![A-Za-z0-9])korea(n|s)?(?![A-Za-z0-9])"


def test_a_topic_added_to_the_file_is_counted_by_the_next_ingest(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)
    ledger = built_warehouse.ledger
    home = tmp_path / "home"
    home.mkdir()
    # A topic on the entities of the generator's multi-outlet burst: its spike is alerted.
    burst = next(b for b in ledger["bursts"] if b["kind"] == "multi_outlet")
    burst_query = " OR ".join(f"entity:{e}" for e in burst["entities"])
    (home / "topics.yaml").write_text(BAD_FILE + f"""\
  - id: burst
    label: The burst
    query: {burst_query}
""", encoding="utf-8")
    monkeypatch.chdir(home)  # topics.yaml is looked for in the working directory first
    summary = run_ingest(built_warehouse.corpus_dir, data)
    assert summary["loaded"] == 0  # nothing new: the topics are counted over the history
    db = data / "blocwatch.duckdb"
    nato, korea = _expected(ledger, NATO), _expected(ledger, KOREA)
    assert sum(nato.values()) > 10 and sum(korea.values()) > 3
    assert _stored(db, "nato_titles") == nato
    assert _stored(db, "korea_titles") == korea
    con = connect_reader(db)
    try:
        spike = con.execute("SELECT kind, entity_id, details->>'topic_id', message FROM alerts "
                            "WHERE alert_key = ?",
                            [f"spike:topic:burst:{burst['week_start']}"]).fetchone()
        assert spike is not None and spike[:3] == ("spike", None, "burst")
        assert spike[3].startswith("The burst: matched by ")
        active = dict(con.execute("SELECT topic_id, active FROM topics").fetchall())
        assert active["nato_titles"] and active["korea_titles"]
        assert "broken" not in active and "ghost" not in active
        # The shipped topics the session's warehouse was built with are kept, inactive.
        assert active.get("asian_nato_idea") is False
        weekly = wtopics.topic_series(con, ["nato_titles"], "week")
        stories: dict[date, set[str]] = {}
        regex = re.compile(NATO, re.IGNORECASE)
        for a in ledger["articles"]:
            if regex.search(unicodedata.normalize("NFKC", a["title"] or "")):
                d = date.fromisoformat(a["published"])
                stories.setdefault(pd.Timestamp(d).to_period("W").start_time.date(),
                                   set()).add(a["story"])
        got = {r.period.date(): (r.articles, r.stories) for r in weekly.itertuples()
               if r.articles}
        assert got == {w: (sum(n for (d, _, _), n in nato.items()
                               if pd.Timestamp(d).to_period("W").start_time.date() == w),
                           len(s)) for w, s in stories.items()}
    finally:
        con.close()

    # The query of a topic changes: the next ingest counts it again, from the beginning.
    (home / "topics.yaml").write_text(BAD_FILE.replace("title:(Korea OR Korean OR Koreas)",
                                                       "title:NATO"), encoding="utf-8")
    run_ingest(built_warehouse.corpus_dir, data)
    assert _stored(db, "korea_titles") == nato
    assert _stored(db, "nato_titles") == nato



def test_topic_spikes_are_the_entity_test_on_a_topic(built_warehouse: BuiltWarehouse) -> None:
    # The ledger's bursts, handed to the topic detector as topics' matches: the
    # multi-outlet burst spikes in the same weeks, keyed and addressed as the topic's; the
    # single-outlet burst still does not.
    ledger = built_warehouse.ledger
    named, totals = ledger_frames(ledger)
    entity_alerts = detect_entity_spikes(named, totals)
    alerts = detect_topic_spikes(named.rename(columns={"entity_id": "topic_id"}), totals,
                                 names={"nato": "NATO topic"})
    assert [(a.period_start, a.articles, a.outlets) for a in alerts] == [
        (a.period_start, a.articles, a.outlets) for a in entity_alerts]
    multi = {f"{SPIKE}:topic:{e}:{b['week_start']}" for b in ledger["bursts"]
             if b["kind"] == "multi_outlet" for e in b["entities"]}
    single = {f"{SPIKE}:topic:{e}:{b['week_start']}" for b in ledger["bursts"]
              if b["kind"] == "single_outlet" for e in b["entities"]}
    keys = {a.key for a in alerts}
    assert multi and multi <= keys and not single & keys
    for a in alerts:
        assert a.kind == SPIKE and a.entity_id is None and a.topic_id
        assert a.resource_id == f"blocwatch.topic.{a.topic_id}"
        assert a.event == "blocwatch.alert.spike" and ": matched by " in a.message
    assert any(a.message.startswith("NATO topic: matched by ") for a in alerts) or \
        not any(a.topic_id == "nato" for a in alerts)


def test_check_reports_each_bad_topic_and_fails(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "topics.yaml").write_text(BAD_FILE, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "blocwatch.cli", "check", "--sources",
                          str(REPO / "sources.yaml"), "--taxonomy", str(REPO / "taxonomy.yaml")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 1
    assert f"{tmp_path / 'topics.yaml'} (working directory): 2 topics OK, 4 skipped" in out.stdout
    assert ("error: " + str(tmp_path / "topics.yaml") + ", entry #2 ('broken'), field "
            "'query': missing ')' for this '(' at 10\nJapan AND (\"Asian NATO\"\n"
            + " " * 10 + "^") in out.stderr
    (tmp_path / "topics.yaml").unlink()
    ok = subprocess.run([sys.executable, "-m", "blocwatch.cli", "check", "--sources",
                         str(REPO / "sources.yaml")], cwd=tmp_path, capture_output=True,
                        text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "topics.yaml (package default): 5 topics OK" in ok.stdout


def test_shipped_entity_topics_match_the_ledger(built_warehouse: BuiltWarehouse) -> None:
    # The session's warehouse was ingested from the repository root, so the shipped
    # topics.yaml was counted. An article names an entity where the generator placed one
    # of its aliases (text or headline, the ledger's mentions and title_mentions). A
    # query's entity:nato finds NATO's aliases as words wherever they are, so also inside
    # every form of "Asian NATO" (亚洲版北约, Asian version of NATO ...), which the tagger
    # counts only as the concept (the longest alias wins there).
    con = connect_reader(built_warehouse.published)
    try:
        got = {r[0] for r in con.execute(
            "SELECT a.url FROM topic_matches t JOIN articles a USING (article_id) "
            "WHERE t.topic_id = 'nato_without_ukraine'").fetchall()}
    finally:
        con.close()
    expected = set()
    for a in built_warehouse.ledger["articles"]:
        named = {k for k, v in a["mentions"].items() if v} | {
            k for k, v in a.get("title_mentions", {}).items() if v}
        if named & {"nato", "asian_nato"} and "ukraine" not in named:
            expected.add(a["url"])
    assert len(expected) > 10
    assert got == expected


def test_topic_matches_equal_the_query_evaluator_on_every_article(
        built_warehouse: BuiltWarehouse) -> None:
    # Counting goes through the full-text index; blocwatch.query.matches evaluates the same
    # compiled query on one analysed article, without the index. Both must agree on every
    # stored article, for every shipped topic.
    from blocwatch import fulltext
    from blocwatch.query import compile_query, matches, parse

    con = connect_reader(built_warehouse.published)
    try:
        taxonomy = wtopics.taxonomy_from_db(con)
        languages = wtopics._languages(con)
        rows = con.execute("SELECT article_id, title, text, language FROM articles").fetchall()
        stored: dict[str, set[int]] = {}
        for topic_id, article_id in con.execute(
                "SELECT topic_id, article_id FROM topic_matches").fetchall():
            stored.setdefault(topic_id, set()).add(article_id)
        topics = con.execute("SELECT topic_id, query FROM topics WHERE active").fetchall()
    finally:
        con.close()
    docs = {aid: fulltext.analyse(title, text or "", lang) for aid, title, text, lang in rows}
    assert len(topics) == 5
    for topic_id, query in topics:
        plan = compile_query(parse(query), languages=languages, taxonomy=taxonomy,
                             text=query)
        expected = {aid for aid, doc in docs.items() if matches(plan, doc)}
        assert stored.get(topic_id, set()) == expected, topic_id
    assert sum(len(v) for v in stored.values()) > 20
