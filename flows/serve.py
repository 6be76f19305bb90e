"""`blocwatch serve`: every deployment in prefect.yaml served by one process, on its
schedule, without a work pool (one machine).

prefect.yaml stays the single source of truth: names, entrypoints, descriptions, tags,
parameters, schedules and concurrency limits are read from it, not repeated here. Which
prefect.yaml: the one named, else ./prefect.yaml, else $BLOCWATCH_HOME/prefect.yaml, else
the one shipped with blocwatch (said in the log).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from prefect import Flow, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, RRule, Schedule

from blocwatch.paths import PACKAGED, Found, find_config, packaged_file
from flows.run import ensure_writer_limit, writer_limit_name

PREFECT_FILE = "prefect.yaml"
DEMO_PREFECT_FILE = "prefect-demo.yaml"
logger = logging.getLogger("blocwatch.serve")


@dataclass(frozen=True)
class DeploymentSpec:
    """One entry of prefect.yaml's deployments."""

    name: str
    entrypoint: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)
    schedules: tuple[dict[str, Any], ...] = ()
    concurrency_limit: int | dict[str, Any] | None = field(default=None, hash=False)

    @property
    def module(self) -> str:
        """The entrypoint's module: ``flows.ingest`` (also from a file path,
        ``flows/ingest.py``, as ``prefect init`` writes them)."""
        target = self.entrypoint.rsplit(":", 1)[0]
        if target.endswith(".py"):
            return ".".join(Path(target).with_suffix("").parts)
        return target

    @property
    def function(self) -> str:
        return self.entrypoint.rsplit(":", 1)[1]


def find_prefect_file(given: str | Path | None = None, demo: bool = False) -> Found:
    """The deployments file ``blocwatch serve`` reads (see the module docstring)."""
    return find_config(DEMO_PREFECT_FILE if demo else PREFECT_FILE, given,
                       option="--prefect-yaml")


def load_specs(prefect_file: Path | None = None) -> list[DeploymentSpec]:
    """The deployments of a prefect.yaml (anchors from definitions: already resolved);
    the one shipped with blocwatch by default."""
    prefect_file = prefect_file or packaged_file(PREFECT_FILE)
    data = yaml.safe_load(prefect_file.read_text(encoding="utf-8")) or {}
    specs = []
    for d in data.get("deployments") or []:
        specs.append(DeploymentSpec(
            name=d["name"], entrypoint=d["entrypoint"], description=d.get("description"),
            tags=tuple(d.get("tags") or ()), parameters=dict(d.get("parameters") or {}),
            schedules=tuple(d.get("schedules") or ()),
            concurrency_limit=d.get("concurrency_limit")))
    return specs


def load_flow(spec: DeploymentSpec) -> Flow:
    """Import the flow an entrypoint names ("flows.ingest:ingest") from the installed
    package, so served runs and tests share one module object."""
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(f"deployment {spec.name}: entrypoint module {spec.module} "
                                f"not found ({exc})") from exc
    obj = getattr(module, spec.function, None)
    if not isinstance(obj, Flow):
        raise TypeError(f"deployment {spec.name}: {spec.entrypoint} is not a Prefect flow")
    return obj


def to_schedule(raw: dict[str, Any]) -> Schedule:
    """A prefect.yaml schedule entry (cron, interval or rrule, with its options)."""
    common = {"timezone": raw.get("timezone"), "active": raw.get("active", True),
              "parameters": raw.get("parameters") or {}, "slug": raw.get("slug")}
    if "cron" in raw:
        return Cron(raw["cron"], day_or=raw.get("day_or", True), **common)
    if "interval" in raw:
        every = raw["interval"]
        anchor = raw.get("anchor_date")
        if isinstance(anchor, str):
            anchor = datetime.fromisoformat(anchor)
        return Interval(every if isinstance(every, timedelta) else timedelta(
            seconds=float(every)), anchor_date=anchor, **common)
    if "rrule" in raw:
        return RRule(raw["rrule"], **common)
    raise ValueError(f"schedule needs cron, interval or rrule: {raw}")


def _concurrency(value: int | dict[str, Any] | None) -> int | ConcurrencyLimitConfig | None:
    if value is None or isinstance(value, int):
        return value
    return ConcurrencyLimitConfig(**value)


def runner_deployments(specs: list[DeploymentSpec], only: list[str] | None = None
                       ) -> list[RunnerDeployment]:
    """RunnerDeployments for prefect.serve, one per spec (or those named in ``only``)."""
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            raise ValueError(f"no such deployment in prefect.yaml: {', '.join(unknown)}")
    out = []
    for spec in specs:
        if only and spec.name not in only:
            continue
        out.append(load_flow(spec).to_deployment(
            name=spec.name, description=spec.description, tags=list(spec.tags),
            parameters=spec.parameters, schedules=[to_schedule(s) for s in spec.schedules],
            concurrency_limit=_concurrency(spec.concurrency_limit)))
    return out


def serve_all(prefect_file: Found, only: list[str] | None = None,
              limit: int | None = None) -> None:
    """Register every deployment with the Prefect API and run them on schedule (blocks)."""
    if prefect_file.origin == PACKAGED:
        logger.warning("no %s in the working directory or $BLOCWATCH_HOME: serving the one "
                       "shipped with blocwatch (%s); `blocwatch init` writes a copy to edit",
                       prefect_file.path.name, prefect_file.path)
    deployments = runner_deployments(load_specs(prefect_file.path), only)
    # The flows create the writer's concurrency limit too; creating it here shows it in the
    # UI from the start.
    if ensure_writer_limit():
        logger.info("created the Prefect global concurrency limit %s (1 slot)",
                    writer_limit_name())
    serve(*deployments, limit=limit)
