"""Alerts: spikes of attention (the demo's multi-outlet burst alerts, its single-outlet burst
does not), failing feeds and silent outlets; stored once by key, emitted as Prefect events."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from blocwatch.alerts import (
    FEED_FAILING,
    SILENT_SOURCE,
    SPIKE,
    Alert,
    SilenceParams,
    SpikeParams,
    detect_entity_spikes,
    detect_failing_feeds,
    detect_silent_sources,
)
from tests.conftest import REPO, BuiltWarehouse, PrefectServer, run_ingest
from warehouse.db import connect_reader, connect_writer

OUTLETS = ("a", "b", "c", "d", "e")


# --- inputs built from the generator's ledger, independently of the pipeline ---------------

def ledger_frames(ledger: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(named, totals) as the warehouse views would give them, from the ledger alone: an
    article names an entity when the ledger placed it in its text or headline."""
    named, totals = [], []
    for a in ledger["articles"]:
        totals.append((a["published"], a["source"], 1))
        entities = {k for k, v in a["mentions"].items() if v} | {
            k for k, v in a.get("title_mentions", {}).items() if v}
        named.extend((a["published"], e, a["source"], 1) for e in entities)
    return (pd.DataFrame(named, columns=["day", "entity_id", "source_id", "articles"]),
            pd.DataFrame(totals, columns=["day", "source_id", "articles"]))


def burst_keys(ledger: dict, kind: str) -> set[str]:
    return {f"spike:{e}:{b['week_start']}" for b in ledger["bursts"] if b["kind"] == kind
            for e in b["entities"]}


@pytest.fixture(scope="module")
def default_demo_ledger(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The ledger of the default demo (1,600 articles, seed 2026), as `blocwatch demo` makes."""
    from blocwatch.demo.corpus import DEFAULT_ARTICLES, DEFAULT_SEED, generate
    from blocwatch.taxonomy import load_taxonomy

    out = tmp_path_factory.mktemp("default-demo")
    return generate(out, load_taxonomy(REPO / "taxonomy.yaml"), seed=DEFAULT_SEED,
                    n_articles=DEFAULT_ARTICLES)


@pytest.mark.parametrize("which", ["default_demo", "test_corpus"])
def test_demo_multi_outlet_burst_alerts_and_single_outlet_burst_does_not(
        which: str, default_demo_ledger: dict, built_warehouse: BuiltWarehouse) -> None:
    ledger = default_demo_ledger if which == "default_demo" else built_warehouse.ledger
    named, totals = ledger_frames(ledger)
    keys = {a.key for a in detect_entity_spikes(named, totals)}
    multi, single = burst_keys(ledger, "multi_outlet"), burst_keys(ledger, "single_outlet")
    assert multi and single
    assert multi <= keys
    assert not single & keys
    # It is the outlet rules that hold the single-outlet burst back: without them it alerts.
    loose = replace(SpikeParams(), min_outlets=1, max_outlet_share=1.0)
    assert single <= {a.key for a in detect_entity_spikes(named, totals, loose)}


def test_stored_alerts_of_the_built_warehouse(built_warehouse: BuiltWarehouse) -> None:
    con = connect_reader(built_warehouse.published)
    try:
        rows = con.execute("SELECT alert_key, kind, entity_id, source_id, period_start, "
                           "articles, outlets, details FROM alerts WHERE kind = 'spike'"
                           ).fetchall()
        comments = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = "
                               "'alerts' AND (comment IS NULL OR comment = '')").fetchone()[0]
    finally:
        con.close()
    keys = {r[0] for r in rows}
    ledger = built_warehouse.ledger
    assert burst_keys(ledger, "multi_outlet") <= keys
    assert not burst_keys(ledger, "single_outlet") & keys
    burst = next(b for b in ledger["bursts"] if b["kind"] == "multi_outlet")
    for key, kind, entity, source, start, articles, outlets, details in rows:
        if key in burst_keys(ledger, "multi_outlet"):
            assert entity in burst["entities"]
            assert (kind, source, str(start)) == (SPIKE, None, burst["week_start"])
            assert outlets == len(burst["sources"])
            assert set(json.loads(details)["per_outlet"]) == set(burst["sources"])
            assert articles >= burst["articles"]
    assert comments == 0


def test_spike_events_reach_the_prefect_server(built_warehouse: BuiltWarehouse,
                                               prefect_server: PrefectServer) -> None:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    expected = burst_keys(built_warehouse.ledger, "multi_outlet")
    entities = [f"blocwatch.entity.{k.split(':')[1]}" for k in expected]
    found: set[str] = set()
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and not expected <= found:
            page = client.read_events(filter=EventFilter(
                event=EventNameFilter(name=["blocwatch.alert.spike"]),
                resource=EventResourceFilter(id=entities)), limit=50)
            found = {e.payload.get("key") for e in page.events}
            time.sleep(1)
    assert expected <= found
    event = next(e for e in page.events if e.payload.get("key") in expected)
    assert event.payload["kind"] == SPIKE and event.payload["outlets"] >= 3
    assert event.resource["blocwatch.alert.kind"] == SPIKE


# --- the spike rules on small, hand-made series -------------------------------------------

def week_rows(week: date, entity: str, per_outlet: dict[str, int]) -> list[tuple]:
    return [(week, entity, s, n) for s, n in per_outlet.items() if n]


def steady(weeks: int = 10, start: date = date(2026, 1, 5)) -> tuple[list, list, list[date]]:
    """Ten weeks of 5 outlets x 4 articles; 'x' named in one article per outlet per week."""
    days = [start + timedelta(weeks=i) for i in range(weeks)]
    named, totals = [], []
    for d in days:
        named += week_rows(d, "x", {s: 1 for s in OUTLETS})
        totals += [(d, s, 4) for s in OUTLETS]
    return named, totals, days


def frames(named: list, totals: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.DataFrame(named, columns=["day", "entity_id", "source_id", "articles"]),
            pd.DataFrame(totals, columns=["day", "source_id", "articles"]))


def test_a_burst_across_outlets_alerts_once_with_a_stable_key() -> None:
    named, totals, days = steady()
    burst = days[-1] + timedelta(weeks=1)
    named += week_rows(burst, "x", {"a": 4, "b": 4, "c": 4, "d": 1, "e": 1})
    totals += [(burst, s, 4) for s in OUTLETS]
    alerts = detect_entity_spikes(*frames(named, totals))
    assert [a.key for a in alerts] == [f"spike:x:{burst.isoformat()}"]
    a = alerts[0]
    assert (a.articles, a.outlets) == (14, 5)
    assert a.observed == pytest.approx(14 / 20) and a.expected == pytest.approx(0.25)
    assert a.event == "blocwatch.alert.spike" and a.resource_id == "blocwatch.entity.x"
    # The same data gives the same key: storing it again is a no-op (see below).
    assert [b.key for b in detect_entity_spikes(*frames(named, totals))] == [a.key]


def test_one_noisy_outlet_cannot_raise_an_alert_alone() -> None:
    named, totals, days = steady()
    burst = days[-1] + timedelta(weeks=1)
    # 16 articles, but 12 from one outlet: three others mentioning it in passing don't help.
    named += week_rows(burst, "x", {"a": 12, "b": 2, "c": 1, "d": 1})
    totals += [(burst, s, 4) for s in OUTLETS] + [(burst, "a", 10)]
    assert detect_entity_spikes(*frames(named, totals)) == []
    assert detect_entity_spikes(*frames(named, totals),
                                replace(SpikeParams(), max_outlet_share=1.0))


def test_more_articles_everywhere_is_not_a_spike_in_share() -> None:
    named, totals, days = steady()
    busy = days[-1] + timedelta(weeks=1)
    # Four times the volume, same quarter of articles naming x: the count spikes, the share
    # does not.
    named += week_rows(busy, "x", {s: 4 for s in OUTLETS})
    totals += [(busy, s, 16) for s in OUTLETS]
    assert detect_entity_spikes(*frames(named, totals)) == []


def test_too_few_articles_or_no_baseline_is_never_a_spike() -> None:
    named, totals, days = steady(weeks=3)  # shorter than the 8-week baseline
    burst = days[-1] + timedelta(weeks=1)
    named += week_rows(burst, "x", {s: 4 for s in OUTLETS})
    totals += [(burst, s, 4) for s in OUTLETS]
    assert detect_entity_spikes(*frames(named, totals)) == []
    named, totals, days = steady()
    small = days[-1] + timedelta(weeks=1)
    named += week_rows(small, "y", {"a": 2, "b": 2, "c": 3})  # 7 < min_articles (8)
    totals += [(small, s, 4) for s in OUTLETS]
    assert detect_entity_spikes(*frames(named, totals)) == []


# --- failing feeds and silent outlets -------------------------------------------------------

def history(rows: list[tuple[str, int, str, int, int]]) -> pd.DataFrame:
    t0 = datetime(2026, 11, 1)
    return pd.DataFrame([(run, t0 + timedelta(hours=h), src, ok, bad, "feed.xml: 404" if bad
                          else None) for run, h, src, ok, bad in rows],
                        columns=["run_id", "started_at", "source_id", "feeds_ok",
                                 "feeds_failed", "error"])


def test_failing_feeds_alert_after_consecutive_runs_keyed_by_the_streak() -> None:
    one = history([("r1", 0, "s", 1, 0), ("r2", 1, "s", 0, 1)])
    assert detect_failing_feeds(one) == []  # one failure may be a blip
    two = history([("r1", 0, "s", 1, 0), ("r2", 1, "s", 0, 1), ("r3", 2, "s", 0, 1)])
    alerts = detect_failing_feeds(two)
    assert [a.key for a in alerts] == [f"{FEED_FAILING}:s:r2"]
    assert alerts[0].details["all_failed"] and "404" in alerts[0].message
    three = history([("r1", 0, "s", 1, 0), ("r2", 1, "s", 0, 1), ("r3", 2, "s", 0, 1),
                     ("r4", 3, "s", 0, 1)])
    assert [a.key for a in detect_failing_feeds(three)] == [f"{FEED_FAILING}:s:r2"]
    healed = history([("r2", 1, "s", 0, 1), ("r3", 2, "s", 0, 1), ("r4", 3, "s", 2, 0)])
    assert detect_failing_feeds(healed) == []


def test_silent_outlets_relative_to_their_usual_interval() -> None:
    start = date(2026, 9, 1)
    daily = [(start + timedelta(days=i)) for i in range(60)]
    weekly = [(start + timedelta(days=7 * i)) for i in range(9)]
    rows = ([("daily", d) for d in daily] + [("weekly", d) for d in weekly]
            + [("stopped", d) for d in daily[:40]] + [("few", start)])
    days = pd.DataFrame(rows, columns=["source_id", "day"])
    alerts = detect_silent_sources(days)  # as of the newest day of all: daily[-1]
    assert [(a.kind, a.source_id) for a in alerts] == [(SILENT_SOURCE, "stopped")]
    a = alerts[0]
    assert a.key == f"silent_source:stopped:{daily[39].isoformat()}"
    assert (a.observed, a.expected) == (20.0, 1.0)
    # A weekly outlet is not silent after 8 days, but is after 5 weeks.
    later = daily[-1] + timedelta(days=30)
    assert {x.source_id for x in detect_silent_sources(days, later)} == {
        "daily", "weekly", "stopped"}
    assert detect_silent_sources(days, source_ids=["daily"]) == []
    assert detect_silent_sources(days, params=SilenceParams(factor=100, min_days=30)) == []


# --- stored once, emitted once ------------------------------------------------------------------

def test_storing_the_same_alerts_twice_adds_nothing(built_warehouse: BuiltWarehouse,
                                                    tmp_path: Path) -> None:
    from warehouse.ops import store_alerts

    work = tmp_path / "work.duckdb"
    shutil.copyfile(built_warehouse.data_dir / "work.duckdb", work)
    alert = Alert(key="spike:test:2026-01-05", kind=SPIKE, message="test", entity_id="test",
                  period_start=date(2026, 1, 5), details={"n": 1})
    con = connect_writer(work)
    try:
        before = con.execute("SELECT count(*) FROM alerts").fetchone()[0]
        assert [a.key for a in store_alerts(con, [alert, alert], "run-1")] == [alert.key]
        assert store_alerts(con, [alert], "run-2") == []
        rows = con.execute("SELECT run_id, last_run_id, details FROM alerts "
                           "WHERE alert_key = ?", [alert.key]).fetchall()
        assert rows == [("run-1", "run-2", '{"n": 1}')]
        assert con.execute("SELECT count(*) FROM alerts").fetchone()[0] == before + 1
    finally:
        con.close()


def test_a_dead_feed_alerts_after_two_runs_and_emits_an_event(
        built_warehouse: BuiltWarehouse, prefect_server: PrefectServer,
        tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "web").symlink_to(built_warehouse.corpus_dir / "web")
    config = yaml.safe_load((built_warehouse.corpus_dir / "sources.yaml").read_text())
    dead = config["sources"][0]
    dead["feeds"] = [u.rsplit("/", 1)[0] + "/moved-away.xml" for u in dead["feeds"]]
    dead.pop("sitemaps", None)
    (corpus / "sources.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    data = tmp_path / "data"
    shutil.copytree(built_warehouse.data_dir, data)

    def feed_alerts() -> list[tuple]:
        con = connect_reader(data / "blocwatch.duckdb")
        try:
            return con.execute("SELECT alert_key, source_id, observed FROM alerts "
                               "WHERE kind = 'feed_failing'").fetchall()
        finally:
            con.close()

    first = run_ingest(corpus, data, workers=1)
    assert first["new_alerts"] == 0 and feed_alerts() == []
    second = run_ingest(corpus, data, workers=1)
    assert second["new_alerts"] == 1
    [(key, source, observed)] = feed_alerts()
    assert source == dead["id"] and observed == 2.0
    assert key == f"feed_failing:{dead['id']}:{first['run_id']}"
    third = run_ingest(corpus, data, workers=1)
    assert third["new_alerts"] == 0 and len(feed_alerts()) == 1  # same outage, same alert

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while True:
            page = client.read_events(filter=EventFilter(
                event=EventNameFilter(name=["blocwatch.alert.feed-failing"]),
                resource=EventResourceFilter(id=[f"blocwatch.source.{dead['id']}"])), limit=50)
            keys = [e.payload.get("key") for e in page.events]
            if key in keys or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert keys.count(key) == 1
