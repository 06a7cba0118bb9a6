"""The `Context` of a view: académie, filters in French, school year, data version — what every screen, slide
and exported file says about where its figures come from."""

from __future__ import annotations

import duckdb

from observatoire import clock, config, queries, store
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


def filter_lines(filters: Filters, labels: Labels) -> tuple[str, ...]:
    """One French line per active filter: « Département : 57 — Moselle », « Thématique : Robotique, … »."""
    lines: list[str] = []
    for attr, dimension, singular, plural, with_code in _FILTER_WORDS:
        codes: tuple[str, ...] = getattr(filters, attr)
        if not codes:
            continue
        names = ", ".join(f"{c} — {labels.of(dimension, c)}" if with_code else labels.of(dimension, c)
                          for c in codes)
        lines.append(f"{plural if len(codes) > 1 else singular} : {names}")
    if filters.periode_debut or filters.periode_fin:
        lines.append(f"Années scolaires : {filters.periode_debut or '…'} à {filters.periode_fin or '…'}")
    return tuple(lines)


def build_context(con: duckdb.DuckDBPyConnection, filters: Filters, school_year: str | None = None,
                  url: str = "") -> Context:
    """The context of a view of `filters` on the version `con` reads."""
    info = store.data_version(con)
    years = queries.school_years(con)
    year = school_year or filters.periode_fin or (years[-1] if years else "")
    return Context(academie=config.academie().nom, filters=filter_lines(filters, queries.labels(con)),
                   school_year=year, version=info.numero or 0, version_date=_date_fr(info.construite_le), url=url)
