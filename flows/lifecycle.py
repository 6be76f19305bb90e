"""How a flow run presents itself to Prefect: its name, its time limit and its final state
(docs/deployments.md).

- **Names** tell runs apart in the UI at a glance: ``ingest-2026-03-01T12:30Z`` (the
  configured outlets), ``ingest-demo-...`` (the demo web, or any web reached through
  ``resolve``), ``backfill-2026-07-01..2026-07-31-...``, ``reprocess-...``,
  ``maintenance-...``.
- **Time limits** (``timeout_seconds``): a run that hangs ends as Failed (``TimedOut``),
  releasing the writer, instead of holding it and, with the ingest's ``CANCEL_NEW``,
  cancelling every later scheduled ingest. ``BLOCWATCH_TIMEOUT_<FLOW>`` (seconds) sets
  another limit for a deployment, through its job variables.
- **Final states** say what happened: a run that did nothing (the writer stayed busy, no
  warehouse yet) is Cancelled named ``Skipped``; a run in which every outlet failed is
  Failed; one in which some did is Completed named ``Partial``, listing them; maintenance
  with a failed data check is Completed named ``Checks failed``. The run's summary is the
  state's result in every case.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, Failed, State

__all__ = ["CHECKS_FAILED", "PARTIAL", "SKIPPED", "final_state", "run_name", "timeout"]

SKIPPED = "Skipped"
PARTIAL = "Partial"
CHECKS_FAILED = "Checks failed"

# Seconds a run may take. Ingest runs every 30 minutes and a routine run takes minutes
# (each host has a 15-minute budget per run): an hour is a hung run. Backfill and
# reprocess read whole histories (a reprocess of a million articles is about 11 hours at
# the benchmark's 25 pages/s). Maintenance compacts a copy of the work database.
TIMEOUTS = {"ingest": 3600, "backfill": 12 * 3600, "reprocess": 12 * 3600,
            "maintenance": 2 * 3600}


def timeout(flow: str) -> int:
    """The flow's time limit: ``$BLOCWATCH_TIMEOUT_<FLOW>`` if set, else ``TIMEOUTS``."""
    value = os.environ.get(f"BLOCWATCH_TIMEOUT_{flow.upper()}")
    return int(float(value)) if value else TIMEOUTS[flow]


def _when() -> str:
    start = flow_run.scheduled_start_time or datetime.now(UTC)
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def run_name(flow: str) -> Callable[[], str]:
    """A ``flow_run_name`` callable for ``flow`` (Prefect calls it as the run starts)."""

    def name() -> str:
        return describe_run(flow, flow_run.parameters or {}, _when())

    return name


def describe_run(flow: str, params: Mapping[str, Any], when: str) -> str:
    """``flow[-demo][-scope]-when`` from the run's parameters."""
    parts = [flow]
    if params.get("demo_web") or params.get("resolve"):
        parts.append("demo")
    if flow == "backfill":
        start, end = params.get("start_date"), params.get("end_date")
        if start or end:
            parts.append(f"{start or 'start'}..{end or 'now'}")
        elif params.get("sitemaps") or params.get("archive_pages"):
            parts.append("extra-pages")
    only = params.get("only_sources")
    if only:
        parts.append("only-" + "+".join(str(s) for s in only[:3])
                     + ("+more" if len(only) > 3 else ""))
    parts.append(when)
    return "-".join(parts)


def final_state(summary: dict[str, Any]) -> State:
    """The flow run's final state from its summary (which is the state's result)."""
    status = summary.get("status")
    if status == "skipped":
        return Cancelled(name=SKIPPED, message=str(summary.get("reason", "skipped")),
                         data=summary)
    failed = list(summary.get("outlets_failed") or [])
    outlets = int(summary.get("outlets") or 0)
    if failed and len(failed) >= outlets:
        return Failed(message=f"every outlet failed ({outlets}): {_outlets(summary)}",
                      data=summary)
    if failed:
        return Completed(name=PARTIAL, message=f"{len(failed)} of {outlets} outlets failed: "
                         f"{_outlets(summary)}", data=summary)
    if summary.get("checks_failed"):
        return Completed(name=CHECKS_FAILED, message=f"{summary['checks_failed']} data "
                         "check(s) failed (data_checks)", data=summary)
    return Completed(data=summary)


def _outlets(summary: dict[str, Any]) -> str:
    errors = summary.get("outlet_errors") or {}
    shown = [f"{sid} ({errors[sid]})" if errors.get(sid) else sid
             for sid in summary["outlets_failed"][:5]]
    more = len(summary["outlets_failed"]) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
