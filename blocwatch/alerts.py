"""Alerts as pure functions of warehouse summaries: spikes of attention to an entity,
silent outlets and failing feeds.

No Prefect and no DuckDB here: ``warehouse/ops.py`` queries the inputs, ``flows/`` stores
the alerts and emits a Prefect event for each new one. Every alert carries a stable key
(kind, subject, period), so detecting the same thing on every run raises it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import pandas as pd

from blocwatch.spikes import MIN_SPIKE_ARTICLES, detect_spikes

SPIKE = "spike"
SILENT_SOURCE = "silent_source"
FEED_FAILING = "feed_failing"
EVENT_PREFIX = "blocwatch.alert."


@dataclass(frozen=True)
class Alert:
    """Something unusual, with the numbers behind it (see the alerts table's comments)."""

    key: str
    kind: str
    message: str
    entity_id: str | None = None
    source_id: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    observed: float | None = None
    expected: float | None = None
    articles: int | None = None
    outlets: int | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # A saved topic's spike (topics.yaml): the topic, where an entity's names the entity.
    topic_id: str | None = None

    @property
    def event(self) -> str:
        """Prefect event name: blocwatch.alert.spike, .silent-source, .feed-failing."""
        return EVENT_PREFIX + self.kind.replace("_", "-")

    @property
    def resource_id(self) -> str:
        """Prefect resource the event is about: the entity or topic, else the outlet."""
        if self.entity_id is not None:
            return f"blocwatch.entity.{self.entity_id}"
        if self.topic_id is not None:
            return f"blocwatch.topic.{self.topic_id}"
        return f"blocwatch.source.{self.source_id}"


# --- spikes of attention ------------------------------------------------------------------

@dataclass(frozen=True)
class SpikeParams:
    """When a week's attention to an entity is a spike.

    All of these must hold for the week:

    * ``baseline_weeks``/``z``/``min_articles``: the count of articles naming the entity is
      a spike by :func:`blocwatch.spikes.detect_spikes` (above the mean plus ``z`` standard
      deviations of the previous ``baseline_weeks`` weeks, and at least ``min_articles``):
      the test the dashboard marks its weekly trend charts with (there at z = 3), stricter
      here because an alert interrupts someone, so an alert points at a marked point;
    * ``min_ratio``: the entity's *share* of the week's articles is at least ``min_ratio``
      times its share over the baseline weeks, so a week when every outlet simply
      publishes more does not alert;
    * ``min_outlets``: at least this many distinct outlets name the entity that week;
    * ``max_outlet_share``: no single outlet wrote more than this share of those articles,
      so one noisy outlet cannot raise an alert alone, however many others mention the
      entity in passing.
    """

    baseline_weeks: int = 8
    z: float = 4.0
    min_articles: int = MIN_SPIKE_ARTICLES
    min_ratio: float = 2.0
    min_outlets: int = 3
    max_outlet_share: float = 0.5


def _weekly(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.copy()
    days = pd.to_datetime(out["day"])
    out["week"] = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.normalize()
    return out.groupby(["week", *keys], as_index=False)["articles"].sum()


def detect_entity_spikes(named: pd.DataFrame, totals: pd.DataFrame,
                         params: SpikeParams = SpikeParams(),
                         names: dict[str, str] | None = None) -> list[Alert]:
    """Weeks in which attention to an entity rose well above its trailing baseline.

    Args:
        named: one row per day (or week), entity and outlet: ``day`` (any day of the week;
            weeks start on Monday), ``entity_id``, ``source_id``, ``articles`` (articles of
            that outlet naming the entity).
        totals: one row per day or week (or either and outlet): ``day``, ``articles`` (all
            articles).
        params: thresholds, see :class:`SpikeParams`.
        names: entity id → display name, for the messages.

    Returns:
        One alert per entity and spiking week, oldest first, keyed ``spike:<entity>:<monday>``.
    """
    if named.empty or totals.empty:
        return []
    names = names or {}
    weekly_total = _weekly(totals, []).set_index("week")["articles"]
    weeks = pd.date_range(weekly_total.index.min(), weekly_total.index.max(), freq="W-MON")
    total = weekly_total.reindex(weeks, fill_value=0).astype(float)
    by_source = _weekly(named, ["entity_id", "source_id"])
    base_n = total.shift(1).rolling(params.baseline_weeks, min_periods=params.baseline_weeks
                                    ).sum()
    alerts: list[Alert] = []
    for entity_id, rows in by_source.groupby("entity_id", sort=True):
        grid = rows.pivot_table(index="week", columns="source_id", values="articles",
                                aggfunc="sum", fill_value=0).reindex(weeks, fill_value=0)
        k = grid.sum(axis=1).astype(float)
        outlets = (grid > 0).sum(axis=1)
        top = grid.max(axis=1).astype(float)
        base_k = k.shift(1).rolling(params.baseline_weeks,
                                    min_periods=params.baseline_weeks).sum()
        baseline = base_k / base_n.where(base_n > 0)
        share = k / total.where(total > 0)
        flags = (detect_spikes(k, window=params.baseline_weeks, z=params.z,
                               min_count=params.min_articles)
                 & (share >= params.min_ratio * baseline)
                 & (outlets >= params.min_outlets)
                 & (top <= params.max_outlet_share * k))
        for week in k.index[flags.fillna(False).astype(bool)]:
            alerts.append(_spike_alert(str(entity_id), week.date(), grid.loc[week], int(k[week]),
                                       int(total[week]), float(baseline[week]),
                                       int(base_k[week]), int(base_n[week]), params,
                                       names.get(str(entity_id), str(entity_id))))
    return sorted(alerts, key=lambda a: (a.period_start, a.key))


def detect_topic_spikes(matched: pd.DataFrame, totals: pd.DataFrame,
                        params: SpikeParams = SpikeParams(),
                        names: dict[str, str] | None = None) -> list[Alert]:
    """Weeks in which attention to a saved topic rose well above its trailing baseline:
    the entities' test (:func:`detect_entity_spikes`, same thresholds) on the articles a
    topic's query matches.

    Args:
        matched: one row per day (or week), topic and outlet: ``day``, ``topic_id``,
            ``source_id``, ``articles`` (articles of that outlet matching the topic).
        totals, params: as for :func:`detect_entity_spikes`.
        names: topic id → label, for the messages.

    Returns:
        Alerts of kind ``spike`` (an automation on blocwatch.alert.spike sees them too)
        about resource ``blocwatch.topic.<id>``, keyed ``spike:topic:<id>:<monday>`` so a
        topic and an entity of the same id never share a key.
    """
    if matched.empty:
        return []
    alerts = detect_entity_spikes(matched.rename(columns={"topic_id": "entity_id"}), totals,
                                  params, names)
    return [replace(a, key=f"{SPIKE}:topic:{a.entity_id}:{a.period_start.isoformat()}",
                    entity_id=None, topic_id=a.entity_id,
                    message=a.message.replace(": named in ", ": matched by ", 1),
                    details={**a.details, "topic_id": a.entity_id})
            for a in alerts if a.period_start is not None]


def _spike_alert(entity_id: str, week: date, per_outlet: pd.Series, k: int, n: int,
                 baseline: float, base_k: int, base_n: int, params: SpikeParams,
                 name: str) -> Alert:
    share = k / n
    counts = {str(s): int(v) for s, v in per_outlet.items() if v > 0}
    top_outlet = max(sorted(counts), key=lambda s: counts[s])
    ratio = share / baseline if baseline > 0 else None
    rise = f"{ratio:.1f}x" if ratio is not None else "up from none"
    message = (f"{name}: named in {k} of {n} articles ({share:.0%}) in the week of {week}, "
               f"{rise} its share over the previous {params.baseline_weeks} weeks "
               f"({baseline:.1%}), in {len(counts)} outlets")
    return Alert(
        key=f"{SPIKE}:{entity_id}:{week.isoformat()}", kind=SPIKE, message=message,
        entity_id=entity_id, period_start=week, period_end=week + timedelta(days=6),
        observed=share, expected=baseline, articles=k, outlets=len(counts),
        details={"week": week.isoformat(), "articles": k, "total_articles": n,
                 "share": round(share, 4), "baseline_share": round(baseline, 4),
                 "baseline_articles": base_k, "baseline_total": base_n,
                 "ratio": round(ratio, 2) if ratio is not None else None,
                 "outlets": len(counts), "per_outlet": counts, "top_outlet": top_outlet,
                 "params": asdict(params)})


# --- silent outlets -----------------------------------------------------------------------

@dataclass(frozen=True)
class SilenceParams:
    """When an outlet counts as silent.

    Its usual interval is the median number of days between its consecutive publication
    days, over its latest ``history`` publication days (it needs ``min_history`` of them).
    It is silent when its newest article is more than ``factor`` usual intervals old, and
    at least ``min_days`` old (a daily outlet skipping a weekend is not news).
    """

    factor: float = 4.0
    min_days: int = 3
    history: int = 60
    min_history: int = 5


def detect_silent_sources(days: pd.DataFrame, as_of: date | None = None,
                          params: SilenceParams = SilenceParams(),
                          source_ids: Iterable[str] | None = None) -> list[Alert]:
    """Outlets with no new article for several times their usual interval.

    Args:
        days: ``source_id``, ``day``: the outlets' publication days (duplicates are fine).
        as_of: the day silence is measured to. Default: the newest publication day of
            all outlets, so silence is relative to the rest of the collection: a corpus
            that stops as a whole (a historical demo, a pipeline outage) does not make
            every outlet "silent"; failing feeds and Prefect's own run monitoring cover
            those.
        params: thresholds, see :class:`SilenceParams`.
        source_ids: only these outlets (the enabled ones); default all.

    Returns:
        One alert per silent outlet, keyed ``silent_source:<outlet>:<last day>``, so one
        silence raises one alert however many runs see it.
    """
    if days.empty:
        return []
    frame = days[["source_id", "day"]].dropna().copy()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    if as_of is None:
        as_of = max(frame["day"])
    wanted = set(source_ids) if source_ids is not None else None
    alerts = []
    for source_id, rows in frame.groupby("source_id", sort=True):
        if wanted is not None and source_id not in wanted:
            continue
        seen = sorted({d for d in rows["day"] if d <= as_of})[-params.history:]
        if len(seen) < params.min_history:
            continue
        gaps = pd.Series([(b - a).days for a, b in zip(seen, seen[1:], strict=False)])
        usual = float(gaps.median())
        silent_for = (as_of - seen[-1]).days
        limit = max(float(params.min_days), params.factor * usual)
        if silent_for <= limit:
            continue
        alerts.append(Alert(
            key=f"{SILENT_SOURCE}:{source_id}:{seen[-1].isoformat()}", kind=SILENT_SOURCE,
            message=(f"{source_id}: no new article for {silent_for} days (last {seen[-1]}); "
                     f"it usually publishes every {usual:g} days"),
            source_id=str(source_id), period_start=seen[-1], period_end=as_of,
            observed=float(silent_for), expected=usual, articles=len(seen),
            details={"last_day": seen[-1].isoformat(), "as_of": as_of.isoformat(),
                     "silent_days": silent_for, "usual_interval_days": usual,
                     "limit_days": limit, "days_measured": len(seen),
                     "params": asdict(params)}))
    return alerts


# --- failing feeds ------------------------------------------------------------------------

def detect_failing_feeds(history: pd.DataFrame, min_runs: int = 2) -> list[Alert]:
    """Outlets whose feeds, sitemaps or URL lists failed in their latest consecutive runs.

    Args:
        history: one row per run and outlet (run_sources of finished runs): ``run_id``,
            ``started_at``, ``source_id``, ``feeds_ok``, ``feeds_failed``, ``error``.
        min_runs: consecutive runs with a failing document before alerting (one failure
            is often a blip).

    Returns:
        One alert per failing streak, keyed by the streak's first run, so a feed that stays
        down raises one alert, and one that recovers and fails again raises a new one.
    """
    if history.empty:
        return []
    alerts = []
    for source_id, rows in history.groupby("source_id", sort=True):
        rows = rows.sort_values("started_at", ascending=False)
        streak = []
        for row in rows.itertuples(index=False):
            if row.feeds_failed <= 0:
                break
            streak.append(row)
        if len(streak) < min_runs:
            continue
        first, last = streak[-1], streak[0]
        every = all(r.feeds_ok == 0 for r in streak)
        what = "all its feeds" if every else "some of its feeds"
        error = last.error or "no error recorded"
        alerts.append(Alert(
            key=f"{FEED_FAILING}:{source_id}:{first.run_id}", kind=FEED_FAILING,
            message=(f"{source_id}: {what} failed in the last {len(streak)} runs: {error}"),
            source_id=str(source_id), period_start=pd.Timestamp(first.started_at).date(),
            period_end=pd.Timestamp(last.started_at).date(), observed=float(len(streak)),
            expected=float(min_runs),
            details={"failing_runs": len(streak), "all_failed": every,
                     "first_run_id": first.run_id, "last_run_id": last.run_id,
                     "feeds_ok": int(last.feeds_ok), "feeds_failed": int(last.feeds_failed),
                     "error": last.error}))
    return alerts
