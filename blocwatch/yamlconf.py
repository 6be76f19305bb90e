"""Loading user-edited YAML files into validated pydantic models."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from blocwatch.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read file: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), f"invalid YAML{where}: {problem}") from exc
    if not isinstance(data, dict):
        raise ConfigError(str(path), "the top level must be a mapping")
    return data


def validate_entries(path: Path, key: str, raw: Any, model: type[M],
                     label_field: str = "id") -> list[M]:
    """Validate a list of entries, naming the entry and field of the first error."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError(str(path), f"'{key}' must be a non-empty list", field=key)
    out: list[M] = []
    for index, item in enumerate(raw):
        label = f"#{index + 1}"
        if isinstance(item, dict) and isinstance(item.get(label_field), str):
            label += f" ({item[label_field]!r})"
        if not isinstance(item, dict):
            raise ConfigError(str(path), "each entry must be a mapping", entry=label)
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or None
            raise ConfigError(str(path), err["msg"], entry=label, field=field) from exc
    return out
