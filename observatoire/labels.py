"""`Labels`: code → French label, one mapping per dimension, built once per data version by `queries.labels`.

One type for what used to be two dictionaries of dictionaries with clashing keys (`queries.labels(con)` keyed
by the singular dimension names — « thematique », « bassin » — and `Choices.labels` keyed by the plural filter
names — « thematiques », « bassins »). Read an attribute (`labels.thematiques`, `labels.bassins`…) or, when the
dimension is data (a series' `dimension` column, a breakdown), `labels.of(dimension, code)` /
`labels.mapping(dimension)`, which accept the singular names of the queries (« bassin », « niveau »,
« academie », « total »…) as well as the plural attribute names.

A frozen dataclass of plain dicts: picklable (`st.cache_data` pickles its return values) and hashable (by
content: `__hash__` below), so it can also be an argument of a cached function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class Labels:
    """Code → French label per dimension (`{}` when the store has none)."""

    departements: Mapping[str, str] = field(default_factory=dict)
    bassins: Mapping[str, str] = field(default_factory=dict)
    laboratoires: Mapping[str, str] = field(default_factory=dict)
    niveaux: Mapping[str, str] = field(default_factory=dict)
    thematiques: Mapping[str, str] = field(default_factory=dict)
    publics: Mapping[str, str] = field(default_factory=dict)
    indicateurs: Mapping[str, str] = field(default_factory=dict)
    academie: Mapping[str, str] = field(default_factory=dict)  # its code → its name (dimension `total` too)

    # dimension names of the queries (singular) and of the filters (plural) → attribute
    ALIASES = {
        "departement": "departements",
        "bassin": "bassins",
        "laboratoire": "laboratoires",
        "niveau": "niveaux",
        "thematique": "thematiques",
        "public": "publics",
        "indicateur": "indicateurs",
        "total": "academie",
    }

    def mapping(self, dimension: str) -> Mapping[str, str]:
        """The code → label mapping of `dimension` (singular or plural name); `{}` for an unknown dimension."""
        name = self.ALIASES.get(dimension, dimension)
        return getattr(self, name) if name in _FIELDS else _EMPTY

    def of(self, dimension: str, code: str) -> str:
        """The label of `code` in `dimension` (singular or plural name); the code itself when unknown."""
        return self.mapping(dimension).get(code, code)

    def __hash__(self) -> int:
        return hash(tuple((name, tuple(sorted(getattr(self, name).items()))) for name in _FIELDS))


_FIELDS = tuple(f.name for f in fields(Labels))
