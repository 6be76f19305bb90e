"""What the taxonomy tells the dashboard beyond the warehouse's entities table: the presets
and which one opens the dashboard, the order of groups and entities (the picker's order and
the colours'), and the countries' ISO-3 codes for the map.

Pure (no Streamlit): ui.py loads the taxonomy once per file version and passes it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from blocwatch.taxonomy import Preset, Taxonomy


@dataclass(frozen=True)
class Catalog:
    """The taxonomy, restricted to the entities this warehouse knows."""

    order: tuple[str, ...]  # taxonomy order, then entities only the warehouse knows (by id)
    groups: Mapping[str, str] = field(default_factory=dict)  # entity id -> group
    presets: tuple[Preset, ...] = ()  # members the warehouse does not know are left out
    default: Preset | None = None
    iso3: Mapping[str, str] = field(default_factory=dict)  # country entity id -> ISO-3
    problem: str | None = None  # why the taxonomy could not be read, if it could not

    @property
    def picker_order(self) -> list[str]:
        """Entities grouped as the taxonomy groups them (groups in order of first use)."""
        rank = {g: i for i, g in enumerate(dict.fromkeys(self.groups[e] for e in self.order))}
        pos = {e: i for i, e in enumerate(self.order)}
        return sorted(self.order, key=lambda e: (rank[self.groups[e]], pos[e]))

    def colour_order(self) -> list[str]:
        """Who gets the palette's colours first: the default preset's members, the other
        presets' members, then the taxonomy order. Entities shown together by a preset thus
        get distinct colours while the palette lasts, whatever the warehouse holds."""
        first = [e for p in ([self.default] if self.default else []) + list(self.presets)
                 for e in p.entities]
        return list(dict.fromkeys([*first, *self.order]))


def build_catalog(taxonomy: Taxonomy | None, entity_ids: Iterable[str],
                  groups: Mapping[str, str], problem: str | None = None) -> Catalog:
    """The catalog of the warehouse's entities (``entity_ids`` with their ``groups`` from the
    entities table), ordered and grouped by ``taxonomy`` where it knows them."""
    known = list(dict.fromkeys(entity_ids))
    known_set = set(known)
    listed = [e.id for e in taxonomy.entities if e.id in known_set] if taxonomy else []
    order = tuple(listed + sorted(known_set - set(listed)))
    presets: list[Preset] = []
    for p in taxonomy.presets if taxonomy else ():
        members = tuple(e for e in p.entities if e in known_set)
        if members:
            presets.append(Preset(p.id, p.name, members, p.default))
    default = next((p for p in presets if p.default), None)
    iso3 = {e.id: e.iso3 for e in taxonomy.entities
            if e.iso3 and e.id in known_set} if taxonomy else {}
    # The warehouse's group (what its entities table says) first, else the taxonomy's.
    listed_groups = {e.id: e.group for e in taxonomy.entities} if taxonomy else {}
    return Catalog(order, {e: groups.get(e) or listed_groups.get(e) or "Other" for e in order},
                   tuple(presets), default, iso3, problem)
