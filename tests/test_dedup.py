"""Near-duplicate stories: MinHash signatures, LSH buckets, and story ids in the warehouse
that do not depend on how articles were batched."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from blocwatch import dedup
from blocwatch.records import ArticleRecord
from blocwatch.stages.extract import content_hash
from warehouse.db import connect_writer
from warehouse.load import load_batch, start_run
from warehouse.stories import rebuild_stories

WORDS = ("the ministers agreed to expand coast guard training and share satellite data on "
         "shipping while officials in several capitals warned that the new fund would need "
         "approval from parliament before any money could be spent on port security or "
         "equipment for partner navies in the region according to people familiar with the "
         "talks who asked not to be named because the details were not yet public").split()


def story(seed: int, sentences: int = 12) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 20))).capitalize() + "."
            for _ in range(sentences)]


def copy_of(lines: list[str], seed: int) -> list[str]:
    """A syndicated copy: new lead sentence, a closing credit line."""
    return [story(seed, 1)[0], *lines[1:], "This story was first published by a wire service."]


def test_tokens_and_shingles() -> None:
    assert dedup.tokens("Japan's NATO-talks, 2026!") == ["japan", "s", "nato", "talks", "2026"]
    assert dedup.tokens("日本とNATO") == ["日", "本", "と", "nato"]
    assert dedup.tokens("일본의 나토") == ["일본의", "나토"]
    assert dedup.shingles("") == set()
    assert dedup.shingles("one two") == {b"one two"}
    assert len(dedup.shingles("a b c d e f g")) == 3
    # Text in scripts without spaces is shingled by characters, 8 at a time.
    text = "日本政府は北大西洋条約機構との協力を強化する"
    assert len(dedup.shingles(text)) == len(text) - dedup.SHINGLE_UNSPACED + 1


def test_signatures_are_stable_and_comparable() -> None:
    text = " ".join(story(1))
    sig = dedup.signature(text)
    assert sig is not None and len(sig) == 4 * dedup.NUM_PERM
    assert dedup.signature(text) == sig
    assert dedup.signature("   ") is None
    assert dedup.similarity(sig, sig) == 1.0
    assert len(dedup.buckets(sig)) == dedup.BANDS
    assert len(set(dedup.buckets(sig))) == dedup.BANDS  # the band number is in the key


def test_copies_are_similar_and_other_stories_are_not() -> None:
    original = story(1)
    a = dedup.signature(" ".join(original))
    b = dedup.signature(" ".join(copy_of(original, 99)))
    c = dedup.signature(" ".join(story(2)))
    assert a and b and c
    assert dedup.similarity(a, b) >= 0.6
    assert dedup.similarity(a, c) < 0.3
    assert set(dedup.buckets(a)) & set(dedup.buckets(b))


def test_cluster_is_order_free_and_named_by_the_smallest_id() -> None:
    original = story(1)
    texts = {10: original, 3: copy_of(original, 5), 7: story(2), 12: copy_of(original, 6),
             1: story(3)}
    sigs = {k: dedup.signature(" ".join(v)) for k, v in texts.items()}
    stories = dedup.cluster(sigs)
    assert stories == {10: 3, 3: 3, 12: 3, 7: 7, 1: 1}
    # Published more than WINDOW_DAYS apart, the same text is a recurring format, not a copy.
    day = {10: date(2026, 1, 1), 3: date(2026, 1, 2), 12: date(2026, 3, 1)}
    assert dedup.cluster(sigs, day)[12] == 12


def test_union_find_keeps_the_smallest_root() -> None:
    uf = dedup.UnionFind()
    uf.union(9, 4)
    uf.union(7, 9)
    uf.union(2, 11)
    assert uf.roots([9, 4, 7, 2, 11, 5]) == {9: 4, 4: 4, 7: 4, 2: 2, 11: 2, 5: 5}


# --- in the warehouse ------------------------------------------------------------------------

def record(url: str, lines: list[str], day: date) -> ArticleRecord:
    text = "\n".join(lines)
    return ArticleRecord(
        url=url, discovered_url=url, fetched_url=url, source_id="s", title=url, author=None,
        published=day, date_source="page", language="en", sitename=None, text=text,
        word_count=len(text.split()), content_hash=content_hash(text),
        fetched_at=datetime(2026, 7, 9, tzinfo=UTC), signature=dedup.signature(text))


def corpus() -> tuple[list[ArticleRecord], list[set[str]]]:
    """Three syndicated stories (2-4 copies each), two exact duplicates, singletons."""
    records, groups = [], []
    day = date(2026, 7, 1)
    for s in range(3):
        lines = story(100 + s)
        members = [record(f"http://wire.test/{s}", lines, day)]
        members += [record(f"http://paper{k}.test/{s}", copy_of(lines, 1000 * s + k),
                           day + timedelta(days=k % 2)) for k in range(1 + s)]
        records += members
        groups.append({r.url for r in members})
    dup = story(7)
    records += [record("http://a.test/dup", dup, day), record("http://a.test/amp/dup", dup, day)]
    groups.append({"http://a.test/dup", "http://a.test/amp/dup"})
    for s in range(6):
        records.append(record(f"http://solo.test/{s}", story(200 + s), day))
        groups.append({f"http://solo.test/{s}"})
    return records, groups


def load(tmp: Path, batches: list[list[ArticleRecord]]) -> dict[str, int]:
    con = connect_writer(tmp / "w.duckdb")
    try:
        run_id = start_run(con, "test")
        for batch in batches:
            load_batch(con, run_id, batch, [], {})
        stories = dict(con.execute("SELECT url, story_id FROM articles").fetchall())
        ids = dict(con.execute("SELECT url, article_id FROM articles").fetchall())
        # Every story is named by its smallest article id.
        for url, sid in stories.items():
            assert sid == min(ids[u] for u, s in stories.items() if s == sid), url
        con.execute("BEGIN TRANSACTION")
        assert rebuild_stories(con) == 0
        con.execute("COMMIT")
        return stories
    finally:
        con.close()


def partition(stories: dict[str, int]) -> list[set[str]]:
    out: dict[int, set[str]] = {}
    for url, sid in stories.items():
        out.setdefault(sid, set()).add(url)
    return sorted(out.values(), key=sorted)


@pytest.mark.parametrize("split", [1, 2, 5, 19])
def test_stories_do_not_depend_on_batches(tmp_path: Path, split: int) -> None:
    records, groups = corpus()
    order = list(records)
    random.Random(split).shuffle(order)
    batches = [order[i::split] for i in range(split)]
    stories = load(tmp_path, batches)
    assert partition(stories) == sorted(groups, key=sorted)


def test_a_late_copy_joins_and_merges_older_stories(tmp_path: Path) -> None:
    """Two stored articles that are each similar to a new one (but not to each other)
    become one story when it arrives: components, not pairs."""
    lines = story(300)  # 12 sentences; a and b share 9 with it but only 6 with each other
    a = lines[:9] + story(301, 3)
    b = story(302, 3) + lines[3:]
    early = [record("http://x.test/a", a, date(2026, 7, 1)),
             record("http://x.test/b", b, date(2026, 7, 1))]
    middle = record("http://x.test/m", lines, date(2026, 7, 2))
    sa, sb, sm = early[0].signature, early[1].signature, middle.signature
    assert sa and sb and sm
    assert dedup.similarity(sa, sb) < dedup.THRESHOLD
    assert min(dedup.similarity(sa, sm), dedup.similarity(sb, sm)) >= dedup.THRESHOLD
    con = connect_writer(tmp_path / "w.duckdb")
    try:
        run_id = start_run(con, "test")
        load_batch(con, run_id, early, [], {})
        before = dict(con.execute("SELECT url, story_id FROM articles").fetchall())
        assert before["http://x.test/a"] != before["http://x.test/b"]
        load_batch(con, run_id, [middle], [], {})
        after = dict(con.execute("SELECT url, story_id FROM articles").fetchall())
    finally:
        con.close()
    assert len(set(after.values())) == 1
    assert set(after.values()) == {min(before.values())}


def test_articles_without_a_signature_are_their_own_story(tmp_path: Path) -> None:
    rec = record("http://x.test/plain", story(5), date(2026, 7, 1))
    rec.signature = None
    stories = load(tmp_path, [[rec]])
    assert len(stories) == 1


def test_replaced_signatures_regroup_on_rebuild(tmp_path: Path) -> None:
    """After a re-extraction changes an article's text (reprocess), its new signature and a
    rebuild move it out of the story it no longer belongs to."""
    from warehouse.stories import replace_signatures

    lines = story(400)
    records = [record("http://x.test/o", lines, date(2026, 7, 1)),
               record("http://x.test/c", copy_of(lines, 401), date(2026, 7, 1))]
    con = connect_writer(tmp_path / "w.duckdb")
    try:
        run_id = start_run(con, "test")
        load_batch(con, run_id, records, [], {})
        assert len({r[0] for r in con.execute("SELECT story_id FROM articles").fetchall()}) == 1
        cid = con.execute("SELECT article_id FROM articles WHERE url = 'http://x.test/c'"
                          ).fetchone()[0]
        con.execute("BEGIN TRANSACTION")
        replace_signatures(con, [(cid, dedup.signature(" ".join(story(402))))])
        assert rebuild_stories(con) == 1
        con.execute("COMMIT")
        rows = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    finally:
        con.close()
    assert rows[cid] == cid and len(set(rows.values())) == 2
