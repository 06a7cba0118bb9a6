"""The « Projets » page as data: `build_projects(con, filters, params) -> View`.

The projects cited by the bilan and the « heures numériques » thèmes (`queries.projects_catalogue`, filtered by
the shared filters; its notes say what a filter cannot reach), as one table `projets` with plain-text cells,
searched with `params["recherche"]` (case and accents ignored, every column but the source). Texts are plain
French: the page escapes them where they become Markdown.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import queries
from observatoire.filters import Filters
from observatoire.text import plain
from observatoire.views.context import build_context
from observatoire.views.model import Notice, Table, View, source_line

TITLE = "Projets et heures numériques"
INTRO = (
    "Les projets des laboratoires numériques cités par le bilan, et les thèmes des « heures numériques », "
    "rangés par thème principal."
)
SEARCH_PARAM = "recherche"
NOT_FOUND = "Aucun projet ne contient ce texte."
COLUMNS = (
    "Type",
    "Thème principal",
    "Thème",
    "Intitulé",
    "Projet",
    "Laboratoire",
    "Lieu",
    "Rattachement",
    "Source",
)


def fold(text: str) -> str:
    """Lower case without accents (search)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def projects_table(data: pd.DataFrame) -> pd.DataFrame:
    """The catalogue for display and download: French headers, plain-text cells."""
    if data.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.DataFrame(
        {
            "Type": data["type"].map(plain),
            "Thème principal": data["theme_principal"].map(plain),
            "Thème": data["thematique_libelle"].map(plain),
            "Intitulé": data["intitule"].map(plain),
            "Projet": data["projet"].fillna("").map(plain),
            "Laboratoire": data["laboratoire_nom"].fillna("").map(plain),
            "Lieu": data["lieu"].fillna("").map(plain),
            "Rattachement": data["rattachement"].fillna("").map(plain) if "rattachement" in data else "",
            "Source": data["source"].map(plain),
        }
    )


def search(table: pd.DataFrame, text: str) -> pd.DataFrame:
    """The rows of `table` whose cells (the source excepted) contain `text`, case and accents ignored."""
    needle = fold(text.strip())
    if not needle or table.empty:
        return table
    haystack = table.drop(columns=["Source"]).astype(str).agg(" ".join, axis=1).map(fold)
    return table[haystack.str.contains(needle, regex=False)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


@dataclass(frozen=True)
class ProjectsItems:
    """`View.items` of the Projets page."""

    search: str  # the search typed ("" = none)
    n_projects: int  # « Projet » rows of the filtered list
    n_heures: int  # « Heure numérique » rows
    total: int  # every project and heure numérique of the académie


def build_projects(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str] | None = None
) -> View[ProjectsItems]:
    """The Projets page of `filters` and `params["recherche"]` (the search text) on the version `con` reads."""
    query = str((params or {}).get(SEARCH_PARAM, "")).strip()
    # publics and period do not reach the catalogue: one query result for every value of them
    result = queries.projects_catalogue(con, filters.with_(publics=(), periode_debut=None, periode_fin=None))
    total = len(queries.projects_catalogue(con, Filters()).data)
    data = result.data
    n_projects = int((data["type"] == "Projet").sum()) if not data.empty else 0
    n_hn = int((data["type"] == "Heure numérique").sum()) if not data.empty else 0
    texts = {
        "count": f"{_plural(n_projects, 'projet')} et {_plural(n_hn, 'thème')} d'heures numériques "
        f"({len(data)} sur {total})"
    }
    notices = [Notice(note, "filtre") for note in result.ignored]
    source = source_line(result.sources, result.origins or None)  # no origins: every source is named
    tables: tuple[Table, ...] = ()
    if data.empty:
        notices.append(Notice(result.empty_reason or "Aucun projet ne correspond à ces filtres.", "vide"))
    else:
        table = projects_table(data)
        if query:
            table = search(table, query)
            texts["search"] = f"{_plural(len(table), 'résultat')} pour « {query} »."
            if table.empty:
                notices.append(Notice(NOT_FOUND, "vide"))
        tables = (
            Table(
                "projets",
                TITLE,
                table,
                source=source,
                illustrative=bool(result.illustrative),
                ignored=result.ignored,
            ),
        )
        texts["sources"] = "Sources : " + " ; ".join(result.sources) + "."
    return View(
        page="projets",
        title=TITLE,
        subtitle=INTRO,
        context=build_context(con, filters),
        tables=tables,
        notices=tuple(notices),
        sources=tuple(result.sources),
        origins=tuple(result.origins),
        illustrative=bool(result.illustrative),
        texts=texts,
        items=ProjectsItems(search=query, n_projects=n_projects, n_heures=n_hn, total=total),
    )
