"""`blocwatch automations`: the Prefect automations shipped as YAML (alerts.yaml: one
notification per run with new alerts; overdue.yaml: no ingest completed in two hours),
created on the Prefect server with a notification block filled in.

The files are what `prefect automation create --from-file` reads; the only thing they
cannot know is the id of your notification block (its secret URL lives in the block, on
the server), so their ``send-notification`` actions say ``REPLACE-WITH-BLOCK-ID`` and this
command puts in the id of the block named. An automation of the same name is replaced, so
running it again after editing a file updates the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import yaml

from blocwatch.errors import BlocwatchError, ConfigError
from flows.run import ensure_writer_limit

__all__ = ["apply_automations", "read_automations"]

BLOCK_PLACEHOLDER = "REPLACE-WITH-BLOCK-ID"


def read_automations(path: Path) -> list[dict[str, Any]]:
    """The automations of one file (a mapping, a list, or ``automations:`` with a list)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"cannot read automations: {exc}") from exc
    if isinstance(data, dict) and "automations" in data:
        data = data["automations"]
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(a, dict) and a.get("name") for a in items):
        raise ConfigError(str(path), "expected automations with a name, a trigger and "
                          "actions")
    return items


def _with_block(automation: dict[str, Any], block_id: UUID) -> dict[str, Any]:
    actions = [{**a, "block_document_id": str(block_id)}
               if a.get("type") == "send-notification" else a
               for a in automation.get("actions") or []]
    return {**automation, "actions": actions}


def apply_automations(paths: list[Path], block: str) -> list[tuple[str, UUID]]:
    """Create (or replace, by name) every automation of ``paths`` on the Prefect server in
    PREFECT_API_URL, notifying through ``block`` ("slack-webhook/ops")."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore
    from prefect.exceptions import ObjectNotFound

    block_type, _, block_name = block.partition("/")
    if not block_type or not block_name:
        raise BlocwatchError(f"--block {block!r}: give it as TYPE/NAME, as `prefect block "
                             "ls` lists it (slack-webhook/ops)")
    automations = [a for path in paths for a in read_automations(path)]
    created: list[tuple[str, UUID]] = []
    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(block_name, block_type,
                                                           include_secrets=False)
        except ObjectNotFound as exc:
            raise BlocwatchError(f"no block {block} on {client.api_url}: create the "
                                 "notification block first (UI: Blocks, or `prefect block "
                                 "create`)") from exc
        assert document.id is not None
        for raw in automations:
            automation = AutomationCore.model_validate(_with_block(raw, document.id))
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            created.append((automation.name, client.create_automation(automation)))
    # The automations watch runs that serialise on the writer's limit: make it visible now.
    ensure_writer_limit()
    return created
