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
_ISO3_RE = re.compile(r"^[A-Z]{3}$")


def _check_id(v: str) -> str:
    if not _ID_RE.match(v):
        raise ValueError("id must be lowercase letters, digits and underscores, "
                         "starting with a letter")
    return v


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
    # ISO 3166-1 alpha-3 code of a country entity: where the dashboard's map draws it.
    iso3: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return _check_id(v)

    @field_validator("iso3")
    @classmethod
    def _iso3_shape(cls, v: str | None) -> str | None:
        if v is not None and not _ISO3_RE.match(v):
            raise ValueError("iso3 must be an ISO 3166-1 alpha-3 code: three capital letters "
                             "(JPN, USA)")
        return v


class PresetSpec(BaseModel):
    """A named selection of entities the dashboard offers (``presets:`` in taxonomy.yaml)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str = Field(min_length=1)
    entities: list[str] = Field(min_length=1)
    default: bool = False

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        return _check_id(v)


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
    iso3: str | None = None


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    entities: tuple[str, ...]
    default: bool = False


@dataclass(frozen=True)
class Taxonomy:
    entities: tuple[Entity, ...]
    path: str = ""
    presets: tuple[Preset, ...] = ()

    @property
    def default_preset(self) -> Preset | None:
        """The preset marked ``default: true`` (the dashboard's opening selection)."""
        return next((p for p in self.presets if p.default), None)

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
                               spec.description, spec.iso3))
    _check_iso3(path, specs)
    unknown = set(data) - {"entities", "presets"}
    if unknown:
        raise ConfigError(str(path), f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    presets = _presets(path, data.get("presets"), seen) if "presets" in data else ()
    return Taxonomy(tuple(entities), str(path), presets)


def _check_iso3(path: Path, specs: list[EntitySpec]) -> None:
    owners: dict[str, str] = {}
    for index, spec in enumerate(specs):
        if spec.iso3 is None:
            continue
        label = f"#{index + 1} ({spec.id!r})"
        if spec.kind != "country":
            raise ConfigError(str(path), f"iso3 is for country entities, not a {spec.kind}",
                              entry=label, field="iso3")
        if spec.iso3 in owners:
            raise ConfigError(str(path), f"iso3 {spec.iso3!r} is already used by "
                              f"{owners[spec.iso3]!r}", entry=label, field="iso3")
        owners[spec.iso3] = spec.id


def _presets(path: Path, raw: object, known: set[str]) -> tuple[Preset, ...]:
    specs = validate_entries(path, "presets", raw, PresetSpec)
    out: list[Preset] = []
    for index, spec in enumerate(specs):
        label = f"preset #{index + 1} ({spec.id!r})"
        if any(p.id == spec.id for p in out):
            raise ConfigError(str(path), f"duplicate preset id {spec.id!r}", entry=label,
                              field="id")
        missing = [e for e in spec.entities if e not in known]
        if missing:
            raise ConfigError(str(path), f"unknown entity id(s) {', '.join(missing)}: every "
                              "member must be an entity id of this file", entry=label,
                              field="entities")
        if spec.default and any(p.default for p in out):
            first = next(p.id for p in out if p.default)
            raise ConfigError(str(path), f"only one preset can be the default ({first!r} "
                              "already is)", entry=label, field="default")
        out.append(Preset(spec.id, spec.name, tuple(dict.fromkeys(spec.entities)),
                          spec.default))
    return tuple(out)

