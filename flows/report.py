"""What a flow run reports: its Prefect artifacts (summary, per-outlet table, progress),
its terminal progress bar, and its alerts (stored, and emitted as Prefect events)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import duckdb
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.events import emit_event

from blocwatch.alerts import (
    Alert,
    SilenceParams,
    SpikeParams,
    detect_entity_spikes,
    detect_failing_feeds,
    detect_silent_sources,
    detect_topic_spikes,
)
from warehouse import ops
from warehouse.topics import topic_names, topic_week_counts

# Consecutive runs with a failing feed before an alert (one failure is often a blip).
FEED_FAILING_RUNS = 2


# --- reports --------------------------------------------------------------------------------

def report(flow_name: str, summary: dict[str, Any], per_source: Sequence[dict[str, Any]],
           extra_markdown: str = "") -> None:
    """The run's Prefect artifacts: per-outlet counts (table) and a markdown summary.

    Keys are stable per flow (``ingest-sources``, ``ingest-summary``, ...) so the UI's
    Artifacts page shows each one's history run by run.
    """
    if per_source:
        create_table_artifact(key=f"{flow_name}-sources", table=list(per_source),
                              description=f"Per-outlet counts of this {flow_name} run")
    lines = [f"# {flow_name.capitalize()} run", "", "| measure | value |", "|---|---|",
             *(f"| {k} | {v} |" for k, v in summary.items() if not isinstance(v, list | dict))]
    if extra_markdown:
        lines += ["", extra_markdown]
    create_markdown_artifact(key=f"{flow_name}-summary", markdown="\n".join(lines),
                             description=f"Summary of this {flow_name} run")


class RunProgress:
    """Progress of a long stage: a Prefect progress artifact (updated per batch, so the UI
    shows how far a backfill or reprocess is) and, on a terminal, a progress bar."""

    def __init__(self, flow_name: str, description: str, total: int,
                 show_bar: bool = False) -> None:
        self.key = f"{flow_name}-progress"
        self.description = description
        self.total = total
        self.show_bar = show_bar
        self._artifact: UUID | None = None
        self._bar: Any = None
        self._job: Any = None

    def __enter__(self) -> RunProgress:
        if not self.total:
            return self
        self._artifact = create_progress_artifact(0.0, key=self.key,
                                                  description=self.description)
        if self.show_bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("[progress.description]{task.description}", BarColumn(),
                                 MofNCompleteColumn(), TimeRemainingColumn(), transient=False)
            self._bar.start()
            self._job = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    @property
    def advance(self) -> Callable[[int], None] | None:
        """Per-item callback for the bar (None without a bar, so callers skip the calls)."""
        if self._bar is None:
            return None
        return lambda n: self._bar.advance(self._job, n)

    def done(self, items: int) -> None:
        """``items`` of ``total`` are finished (call per batch: one API call each)."""
        if self._artifact is not None and self.total:
            update_progress_artifact(self._artifact, min(100.0, 100.0 * items / self.total))


# --- alerts --------------------------------------------------------------------------------

def emit_alert(alert: Alert, name: str | None = None) -> None:
    """A Prefect event for a new alert; a Prefect Automation can turn it into a notification."""
    resource = {"prefect.resource.id": alert.resource_id,
                "prefect.resource.name": (name or alert.entity_id or alert.topic_id
                                          or alert.source_id or ""),
                "blocwatch.alert.kind": alert.kind, "blocwatch.alert.key": alert.key}
    emit_event(event=alert.event, resource=resource, payload=ops.alert_payload(alert))


# The one event per run that carries all of its new alerts (and maintenance's failed or
# warning data checks): alerts.yaml notifies on it, so a run that raises ten alerts sends
# one message. It is not named blocwatch.alert.*, so an automation on the per-alert
# events never sees it twice.
RUN_ALERTS_EVENT = "blocwatch.run.alerts"


def emit_run_alerts(flow: str, run_id: str | None, alerts: Sequence[Alert],
                    checks: Sequence[dict[str, Any]] = ()) -> bool:
    """The run's summary event, if it has anything new to say; True if one was emitted."""
    if not alerts and not checks:
        return False
    lines = [f"- {a.kind}: {a.message}" for a in alerts]
    lines += [f"- data check {c['status']}: {c['check']}"
              f"{' [' + c['source_id'] + ']' if c.get('source_id') else ''}: {c['value']} "
              f"(threshold {c['threshold']})" for c in checks]
    parts = []
    if alerts:
        parts.append(f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''}")
    if checks:
        parts.append(f"{len(checks)} data check{'s' if len(checks) != 1 else ''} not ok")
    headline = f"blocwatch {flow}: " + ", ".join(parts)
    kinds: dict[str, int] = {}
    for a in alerts:
        kinds[a.kind] = kinds.get(a.kind, 0) + 1
    emit_event(event=RUN_ALERTS_EVENT,
               resource={"prefect.resource.id": f"blocwatch.run.{run_id or 'none'}",
                         "prefect.resource.name": f"{flow} run", "blocwatch.flow": flow},
               payload={"flow": flow, "run_id": run_id, "headline": headline,
                        "message": "\n".join([headline, *lines]), "alerts": len(alerts),
                        "kinds": kinds, "checks": len(checks),
                        "items": [ops.alert_payload(a) for a in alerts],
                        "failed_checks": list(checks)})
    return True


def raise_alerts(con: duckdb.DuckDBPyConnection, run_id: str | None, alerts: list[Alert],
                 logger: Any) -> list[Alert]:
    """Store alerts (deduplicated by key) and emit an event for each new one.

    The per-alert events (blocwatch.alert.*) stay beside the run's summary event: an
    automation can follow one entity or outlet by its resource (blocwatch.entity.nato),
    which one summary per run cannot offer."""
    fresh = ops.store_alerts(con, alerts, run_id)
    names = ops.entity_names(con) if fresh else {}
    labels = topic_names(con) if fresh else {}
    for a in fresh:
        logger.warning("ALERT %s", a.message)
        emit_alert(a, names.get(a.entity_id or "") or labels.get(a.topic_id or ""))
    if alerts and not fresh:
        logger.info("%d alert(s) detected again, none new", len(alerts))
    return fresh


def detect_alerts(con: duckdb.DuckDBPyConnection, run_id: str | None, *,
                  spikes: bool = True, feeds: bool = True,
                  silence_sources: Sequence[str] | None = None,
                  spike_params: SpikeParams | None = None,
                  silence_params: SilenceParams | None = None) -> list[Alert]:
    """Run the detectors asked for on the work database (pure logic in blocwatch.alerts)."""
    spike_params = spike_params or SpikeParams()
    silence_params = silence_params or SilenceParams()
    found: list[Alert] = []
    if spikes:
        totals = ops.week_totals(con)
        found += detect_entity_spikes(ops.entity_week_counts(con), totals, spike_params,
                                      ops.entity_names(con))
        found += detect_topic_spikes(topic_week_counts(con), totals, spike_params,
                                     topic_names(con))
    if feeds:
        found += detect_failing_feeds(ops.feed_history(con, current_run_id=run_id),
                                      FEED_FAILING_RUNS)
    if silence_sources is not None:
        # Dates after today are bad data (the data checks report them), not news.
        until = datetime.now(UTC).date()
        found += detect_silent_sources(
            ops.publication_days(con, silence_params.history, until), None, silence_params,
            silence_sources)
    return found


def alerts_markdown(alerts: Sequence[Alert]) -> str:
    if not alerts:
        return "No new alerts."
    return "\n".join(["## New alerts", "", *(f"- **{a.kind}**: {a.message}" for a in alerts)])
