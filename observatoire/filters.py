"""The `Filters` value shared by every query, and its (de)serialisation to URL query parameters.

Parsing is strict and safe: every parameter is checked against the known codes; an unknown value is dropped
and reported as a French notice (never an exception). Only plain strings are read — nothing is ever
unpickled or evaluated. The value read from the URL is cut in every notice; with `markdown=True` (what the
sidebar shows) it is quoted as inline code (`observatoire.text.quote_value`): a shared link can never put a
link, an image or styled text in a notice."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from observatoire import urlvalues
from observatoire.labels import Labels
from observatoire.text import cut, quote_value

_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")

# URL parameter names (short, readable, stable: they appear in shared links).
PARAM_NAMES = {
    "departements": "dep",
    "bassins": "bassin",
    "thematiques": "theme",
    "niveaux": "niveau",
    "publics": "public",
    "periode_debut": "de",
    "periode_fin": "a",
}

DIMENSION_LABELS = {
    "departements": "département",
    "bassins": "bassin",
    "thematiques": "thématique",
    "niveaux": "niveau",
    "publics": "public",
}


@dataclass(frozen=True)
class Filters:
    """What the user selected. An empty tuple means "no restriction" on that dimension."""

    departements: tuple[str, ...] = ()
    bassins: tuple[str, ...] = ()
    thematiques: tuple[str, ...] = ()
    niveaux: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    periode_debut: str | None = None
    periode_fin: str | None = None

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    def is_default(self) -> bool:
        return self == Filters()

    # The one territory rule. A place (a bassin, a lab, a project's lab) is in the chosen territory when its
    # département is chosen (or none is) AND its bassin is chosen (or none is). Every query (`queries`), the
    # sidebar's bassin list and the map's outlines use these three, never a copy of the rule.
    def covers_departement(self, departement: object) -> bool:
        return not self.departements or departement in self.departements

    def covers(self, departement: object, bassin: object) -> bool:
        return self.covers_departement(departement) and (not self.bassins or bassin in self.bassins)

    def territory_sql(self, departement: str, bassin: str, suffix: str = "") -> tuple[str, dict[str, list[str]]]:
        """`covers` as a DuckDB condition on two column expressions (fixed texts from the caller, never a value)
        and its named parameters (`$terr_deps{suffix}`, `$terr_bassins{suffix}`)."""
        deps, bassins = f"terr_deps{suffix}", f"terr_bassins{suffix}"
        condition = (
            f"((len(${deps}) = 0 OR list_contains(${deps}, {departement})) "
            f"AND (len(${bassins}) = 0 OR list_contains(${bassins}, {bassin})))"
        )
        return condition, {deps: list(self.departements), bassins: list(self.bassins)}


@dataclass(frozen=True)
class Choices:
    """The codes a filter may take (read from the store's catalogues)."""

    departements: tuple[str, ...]
    bassins: Mapping[str, str]  # bassin code → département code
    thematiques: tuple[str, ...]
    niveaux: tuple[str, ...]
    publics: tuple[str, ...]
    annees: tuple[str, ...]  # school years, ascending
    labels: Labels = field(default_factory=Labels)  # code → label per dimension (queries.labels)
    theme_parents: Mapping[str, str] = field(default_factory=dict)  # sub-thème → main thème


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[str] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
        items = [part for v in items for part in v.split(",")]
    else:
        return []
    return [v.strip() for v in items if v.strip()]


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def parse_params(
    params: Mapping[str, object], choices: Choices, markdown: bool = False
) -> tuple[Filters, list[str]]:
    """Build `Filters` from URL query parameters. Returns the filters and French notices for ignored values:
    plain text (`« value »`), or Markdown with the value as inline code when `markdown` is true."""
    notices: list[str] = []

    def shown(value: str, limit: int = 40) -> str:
        return quote_value(value, limit) if markdown else f"« {cut(value, limit)} »"

    def pick(attr: str, allowed: Iterable[str]) -> tuple[str, ...]:
        allowed_set = set(allowed)
        raw = _as_list(params.get(PARAM_NAMES[attr]))
        if attr == "departements":  # `dep=2a`, `dep=1`: the official code (`2A`, `01`)
            raw = [urlvalues.departement(v, allowed_set) or v for v in raw]
        kept = [v for v in raw if v in allowed_set]
        for bad in (v for v in raw if v not in allowed_set):
            notices.append(f"Lien : {DIMENSION_LABELS[attr]} {shown(bad)} inconnu, ce critère est ignoré.")
        return _dedupe(kept)

    departements = pick("departements", choices.departements)
    bassins = pick("bassins", choices.bassins)
    if departements:
        chosen = Filters(departements=departements)
        outside = [b for b in bassins if not chosen.covers_departement(choices.bassins[b])]
        for b in outside:
            notices.append(
                f"Lien : le bassin {shown(b)} n'appartient pas aux départements choisis, il est ignoré."
            )
        bassins = tuple(b for b in bassins if b not in outside)
    thematiques = pick("thematiques", choices.thematiques)
    niveaux = pick("niveaux", choices.niveaux)
    publics = pick("publics", choices.publics)

    def year(name: str) -> str | None:
        raw = _as_list(params.get(PARAM_NAMES[name]))
        if not raw:
            return None
        value = raw[0]
        if value not in choices.annees:
            notices.append(f"Lien : année scolaire {shown(value, 20)} inconnue, elle est ignorée.")
            return None
        return value

    debut, fin = year("periode_debut"), year("periode_fin")
    if debut and fin and debut > fin:
        notices.append("Lien : période inversée, les deux bornes ont été échangées.")
        debut, fin = fin, debut
    filters = Filters(departements, bassins, thematiques, niveaux, publics, debut, fin)
    return filters, notices


def to_params(filters: Filters) -> dict[str, str]:
    """URL query parameters for `filters` (only the non-default ones, comma-separated lists)."""
    params: dict[str, str] = {}
    for attr, name in PARAM_NAMES.items():
        value = getattr(filters, attr)
        if isinstance(value, tuple) and value:
            params[name] = ",".join(value)
        elif isinstance(value, str) and value:
            params[name] = value
    return params


def school_years_between(annees: Iterable[str], debut: str | None, fin: str | None) -> list[str]:
    years = sorted(a for a in annees if _SCHOOL_YEAR.match(a))
    return [a for a in years if (debut is None or a >= debut) and (fin is None or a <= fin)]
