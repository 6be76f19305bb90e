"""The entity taxonomy: what blocwatch counts, read from ``taxonomy.yaml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from blocwatch.errors import ConfigError
from blocwatch.yamlconf import read_yaml_mapping, validate_entries

Kind = Literal["country", "bloc", "organisation", "person", "concept"]
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class AliasSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    case: Literal["exact", "ignore"] = "exact"
    match: Literal["word", "prefix"] = "word"
    lang: str | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip() or v != v.strip():
            raise ValueError("alias text must not be blank or start/end with spaces")
        return v


class EntitySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1)
    kind: Kind
    group: str = Field(min_length=1)
    aliases: list[AliasSpec | str] = Field(min_length=1)
    description: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("id must be lowercase letters, digits and underscores, "
                             "starting with a letter")
        return v


@dataclass(frozen=True)
class Alias:
    entity_id: str
    text: str
    case: str = "exact"
    match: str = "word"
    lang: str | None = None


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    kind: str
    group: str
    aliases: tuple[Alias, ...]
    description: str | None = None


@dataclass(frozen=True)
class Taxonomy:
    entities: tuple[Entity, ...]
    path: str = ""

    @property
    def aliases(self) -> list[Alias]:
        return [a for e in self.entities for a in e.aliases]

    def by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file; raise ConfigError naming file, entry and field."""
    path = Path(path)
    data = read_yaml_mapping(path)
    specs = validate_entries(path, "entities", data.get("entities"), EntitySpec)
    seen: set[str] = set()
    owners: dict[tuple[str, str], str] = {}
    entities: list[Entity] = []
    for index, spec in enumerate(specs):
        label = f"#{index + 1} ({spec.id!r})"
        if spec.id in seen:
            raise ConfigError(str(path), f"duplicate id {spec.id!r}", entry=label, field="id")
        seen.add(spec.id)
        aliases = []
        for a in spec.aliases:
            a = AliasSpec(text=a) if isinstance(a, str) else a
            key = (a.text.casefold() if a.case == "ignore" else a.text, a.case)
            other = owners.get(key)
            if other is not None and other != spec.id:
                raise ConfigError(str(path), f"alias {a.text!r} is already used by {other!r}",
                                  entry=label, field="aliases")
            owners[key] = spec.id
            aliases.append(Alias(spec.id, a.text, a.case, a.match, a.lang))
        # Keep alias order but drop exact repeats, which would only double-register.
        unique = list(dict.fromkeys(aliases))
        entities.append(Entity(spec.id, spec.name, spec.kind, spec.group, tuple(unique),
                               spec.description))
    unknown = set(data) - {"entities"}
    if unknown:
        raise ConfigError(str(path), f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    return Taxonomy(tuple(entities), str(path))

