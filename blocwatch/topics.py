"""Saved topics: named queries, read from ``topics.yaml``, counted like entities.

A topic is a query in the language of ``blocwatch.query`` (``"Asian NATO" OR "NATO of
Asia"``) with an id and a label. The warehouse counts every topic's matching articles at
each load (``warehouse/topics.py``) into a rollup the dashboard and the spike alerts read
as they read the entities'.

Unlike sources.yaml and taxonomy.yaml, one bad topic does not stop a run: a topic whose
entry is malformed or whose query cannot be read is left out with an error naming the
file, the topic and the query's problem with a caret under it; every other topic is still
counted. ``load_topics`` returns both.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from blocwatch.errors import ConfigError
from blocwatch.query import Query, QuerySyntaxError, compile_query, parse
from blocwatch.taxonomy import Taxonomy
from blocwatch.yamlconf import read_yaml_mapping

__all__ = ["Topic", "TopicSpec", "TopicsConfig", "load_topics", "query_hash"]

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class TopicSpec(BaseModel):
    """One entry of topics.yaml."""

    model_config = ConfigDict(extra="forbid")
    id: str
    label: str = Field(min_length=1)
    query: str = Field(min_length=1)
    group: str | None = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not _ID_RE.match(v):
            raise ValueError("id must be lowercase letters, digits and underscores, "
                             "starting with a letter")
        return v


@dataclass(frozen=True)
class Topic:
    """A valid topic: its entry and its parsed query."""

    id: str
    label: str
    query: str
    parsed: Query = field(compare=False)
    group: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class TopicsConfig:
    """The topics that can be counted, and an error for each entry that cannot."""

    topics: tuple[Topic, ...]
    errors: tuple[ConfigError, ...] = ()
    path: str = ""

    def by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in self.topics}


def query_hash(text: str) -> str:
    """A digest of what a topic counts, stored with its counts: a topic whose digest
    changed is counted again over the whole history. ``text`` is the query compiled for the
    warehouse (warehouse/topics.py), so new languages or entity aliases count too."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_topics(path: str | Path, taxonomy: Taxonomy | None = None) -> TopicsConfig:
    """Read topics.yaml. An unreadable file or a top level that is not ``topics:`` raises
    ConfigError; a bad entry (missing field, duplicate id, a query with a syntax error or,
    given ``taxonomy``, an unknown ``entity:``) becomes an error in the result and the
    other topics load."""
    path = Path(path)
    data = read_yaml_mapping(path)
    unknown = set(data) - {"topics"}
    if unknown:
        raise ConfigError(str(path), f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    raw = data.get("topics") or []
    if not isinstance(raw, list):
        raise ConfigError(str(path), "'topics' must be a list", field="topics")
    topics: list[Topic] = []
    errors: list[ConfigError] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        label = f"#{index + 1}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label += f" ({item['id']!r})"
        if not isinstance(item, dict):
            errors.append(ConfigError(str(path), "each topic must be a mapping", entry=label))
            continue
        try:
            spec = TopicSpec.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or None
            errors.append(ConfigError(str(path), err["msg"], entry=label, field=where))
            continue
        if spec.id in seen:
            errors.append(ConfigError(str(path), f"duplicate id {spec.id!r}", entry=label,
                                      field="id"))
            continue
        try:
            parsed = parse(spec.query)
            if taxonomy is not None:
                compile_query(parsed, taxonomy=taxonomy, text=spec.query)
        except QuerySyntaxError as exc:
            errors.append(ConfigError(str(path), exc.caret(), entry=label, field="query"))
            continue
        seen.add(spec.id)
        topics.append(Topic(spec.id, spec.label, spec.query, parsed, spec.group, spec.notes))
    return TopicsConfig(tuple(topics), tuple(errors), str(path))
