"""The `Context` of a view: académie, filters in French, school year, data version — what every screen, slide
and exported file says about where its figures come from."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from observatoire import clock, published, queries, store
from observatoire.filters import Filters
from observatoire.labels import Labels
from observatoire.views.model import Context


def _date_fr(iso: str) -> str:
    """The version's date as a Paris date (`22/11/2026`): a version published at 00:30 in Paris is of that day,
    not of the day before in UTC."""
    return clock.paris_date(iso or "")


_FILTER_WORDS = (  # attribute, label dimension, singular, plural, with the code
    ("departements", "departement", "Département", "Départements", True),
    ("bassins", "bassin", "Bassin", "Bassins", False),
    ("thematiques", "thematique", "Thématique", "Thématiques", False),
    ("niveaux", "niveau", "Niveau", "Niveaux", False),
    ("publics", "public", "Public", "Publics", False),
)


def filter_items(filters: Filters, labels: Labels) -> tuple[tuple[str, str], ...]:
    """(`Filters` attribute, French line) per active filter; the period's attribute is `periode`."""
    items: list[tuple[str, str]] = []
    for attr, dimension, singular, plural, with_code in _FILTER_WORDS:
        codes: tuple[str, ...] = getattr(filters, attr)
        if not codes:
            continue
        names = ", ".join(
            f"{c} — {labels.of(dimension, c)}" if with_code else labels.of(dimension, c) for c in codes
        )
        items.append((attr, f"{plural if len(codes) > 1 else singular} : {names}"))
    if filters.periode_debut or filters.periode_fin:
        period = f"Années scolaires : {filters.periode_debut or '…'} à {filters.periode_fin or '…'}"
        items.append(("periode", period))
    return tuple(items)


def filter_lines(filters: Filters, labels: Labels) -> tuple[str, ...]:
    """One French line per active filter: « Département : 57 — Moselle », « Thématique : Robotique, … »."""
    return tuple(line for _, line in filter_items(filters, labels))


def build_context(
    con: duckdb.DuckDBPyConnection, filters: Filters, school_year: str | None = None, url: str = ""
) -> Context:
    """The context of a view of `filters` on the version `con` reads."""
    info = store.data_version(con)
    years = queries.school_years(con)
    year = school_year or filters.periode_fin or (years[-1] if years else "")
    items = filter_items(filters, queries.labels(con))
    academie = published.academie(con)
    return Context(
        academie=academie.nom,
        filters=tuple(line for _, line in items),
        school_year=year,
        version=info.numero or 0,
        version_date=_date_fr(info.construite_le),
        url=url,
        dimensions=tuple(attr for attr, _ in items),
        drane=academie.drane,
        bilan=academie.bilan_source,
    )


def element_context(context: Context, ignored: object, subject: str = "cet indicateur") -> Context:
    """`context` for one table, figure or slide whose query noted `ignored` (`Result.ignored`): the chosen
    filters that do not apply to it are said « non appliqué » and leave its filter lines and file names."""
    return context.scoped(queries.not_applied_filters(ignored), subject)


_SHORT = {  # (what the value covers, the filter's name) when a chosen filter does not apply to a key figure
    "departements": ("de l'académie", "territoire"),
    "bassins": ("de l'académie", "territoire"),
    "niveaux": ("tous niveaux", "niveau"),
    "thematiques": ("toutes thématiques", "thématique"),
    "publics": ("tous publics", "public"),
}


def not_applied_note(not_applied: Sequence[str]) -> str:
    """A key figure's short note for the chosen filters that do not apply to it: « Valeur tous niveaux
    (filtre niveau non appliqué) », « Valeur de l'académie, tous niveaux (filtres territoire, niveau non
    appliqués) »; "" when every filter applies."""
    pairs = list(dict.fromkeys(_SHORT[a] for a in not_applied if a in _SHORT))
    if not pairs:
        return ""
    covers = ", ".join(c for c, _ in pairs)
    names = ", ".join(n for _, n in pairs)
    plural = len(pairs) > 1
    return f"Valeur {covers} (filtre{'s' if plural else ''} {names} non appliqué{'s' if plural else ''})"
