"""« Ce qui a changé » between two data versions, as a View: `build_changes(old_con, new_con) -> View`.

The same value is rendered by the Données et sources page (section « Ce qui a changé »), by the CLI
(`python -m observatoire changements`) and by the CSV/XLSX downloads (« À propos » block of
`observatoire.exporting`), so they cannot disagree. Texts are plain French (the page escapes them).

- `texts`: `summary` (one paragraph), `period` (from when to when, Paris time), `counts`, `publications`, `none`
  (when nothing changed between them), `filters` (the sidebar filters do not apply: the comparison is about
  every measure).
- tables: `valeurs` (one row per value added, changed or withdrawn; numbers stay numbers, for the files),
  `periodes` (indicator × period added or withdrawn), `lots` (added or withdrawn), `journal` (who published
  what, when, between the two).
- `items`: `changes` (the `changes.Changes`), `valeurs_ecran` (the values table as the screen shows it: French
  text, an empty cell where there is no old or new value, at most `SCREEN_ROWS` rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import changes as core
from observatoire import clock, queries, versions
from observatoire.figures import formatting
from observatoire.filters import Filters
from observatoire.labels import Labels
from observatoire.text import plain
from observatoire.views.context import build_context
from observatoire.views.data_sources import journal_table
from observatoire.views.model import Notice, Table, View

SCREEN_ROWS = 2_000
"""Rows of the values table sent to the screen (the files keep every row)."""
SOURCE = "mesures en vigueur et journal des deux versions comparées (toutes les mesures, sans filtre)"
STATUS_LABELS = {core.CHANGED: "Modifiée", core.ADDED: "Nouvelle", core.WITHDRAWN: "Retirée"}
TERRITORY_WORDS = {
    "academie": "Académie",
    "departement": "Département",
    "bassin": "Bassin",
    "laboratoire": "Laboratoire",
}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{formatting.number(n)} {word if n <= 1 else (plural or word + 's')}"


def title_of(old: int, new: int) -> str:
    return f"Ce qui a changé de la version n° {old} à la version n° {new}"


def territory_label(ttype: str, code: str, labels: Labels) -> str:
    """« Département 57 — Moselle », « Bassin Nancy », « Académie »."""
    if ttype == "academie":
        return labels.of("academie", code) if code in labels.academie else "Académie"
    if ttype == "departement":
        return f"Département {code} — {labels.of('departement', code)}"
    return f"{TERRITORY_WORDS.get(ttype, ttype)} {labels.of(ttype, code)}"


def _dimension(labels: Labels, dimension: str, codes: pd.Series) -> list[str]:
    return [plain(labels.of(dimension, str(c))) for c in codes]


def values_table(values: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """The value changes with French headers and labels, old and new values next to what they are about (seen
    without scrolling); they stay numbers (empty for a value added or withdrawn): the files keep numbers. The
    publication date is Paris time."""
    return pd.DataFrame(
        {
            "Changement": values["statut"].map(STATUS_LABELS).fillna(values["statut"]).astype(str).to_list(),
            "Indicateur": _dimension(labels, "indicateur", values["indicateur"]),
            "Période": values["periode"].astype(str).to_list(),
            "Territoire": [
                plain(territory_label(t, c, labels))
                for t, c in zip(values["territoire_type"], values["territoire_code"], strict=True)
            ],
            "Ancienne valeur": pd.to_numeric(values["ancienne_valeur"], errors="coerce").astype(float).to_list(),
            "Nouvelle valeur": pd.to_numeric(values["nouvelle_valeur"], errors="coerce").astype(float).to_list(),
            "Niveau": _dimension(labels, "niveau", values["niveau"]),
            "Thématique": _dimension(labels, "thematique", values["thematique"]),
            "Public": _dimension(labels, "public", values["public"]),
            "Origine": [str(o) if isinstance(o, str) else "" for o in values["origine"]],
            "Source": [plain(s) if isinstance(s, str) else "" for s in values["source"]],
            "Version": [int(v) if pd.notna(v) else None for v in values["version"]],
            "Publié par": [plain(a) for a in values["auteur"].astype(str)],
            "Publié le (heure de Paris)": [
                clock.paris_datetime(d, zone=False) if d is not None and pd.notna(d) else ""
                for d in values["date"]
            ],
        }
    )


def screen_values(table: pd.DataFrame) -> pd.DataFrame:
    """`values_table` as the screen shows it: values as French text with every digit, an empty cell where
    there is none (never « None » nor « nan »), version numbers as text."""
    out = table.head(SCREEN_ROWS).copy()
    for column in ("Ancienne valeur", "Nouvelle valeur"):
        out[column] = [formatting.exact(v) for v in out[column]]
    out["Version"] = ["" if v is None or pd.isna(v) else f"n° {int(v)}" for v in out["Version"]]
    return out


def periods_table(periods: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Changement": [
                "Période ajoutée" if c == "ajoutée" else "Période retirée" for c in periods["changement"]
            ],
            "Indicateur": _dimension(labels, "indicateur", periods["indicateur"]),
            "Période": periods["periode"].astype(str).to_list(),
            "Valeurs": periods["valeurs"].astype("int64").to_list(),
        }
    )


def lots_table(lots: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Lot": lots["lot_id"].astype("int64").to_list(),
            "Changement": ["Lot ajouté" if c == "ajouté" else "Lot retiré" for c in lots["changement"]],
            "Origine": lots["origine"].astype(str).to_list(),
            "Libellé": [plain(v) for v in lots["libelle"]],
            "Créé le (heure de Paris)": [clock.paris_datetime(v, zone=False) for v in lots["cree_le"]],
            "Lignes": lots["nb_lignes"].astype("int64").to_list(),
        }
    )


def _names(codes: tuple[str, ...] | list[str], labels: Labels, limit: int = 6) -> str:
    named = [labels.of("indicateur", c) for c in codes[:limit]]
    more = f" et {_plural(len(codes) - limit, 'autre')}" if len(codes) > limit else ""
    return ", ".join(f"« {n} »" for n in named) + more


def _publications(journal: pd.DataFrame) -> str:
    """« 2 publications : import de gar-2025.xlsx par Claire Éditrice le 22/11/2026 à 14:26 ; … »."""
    if journal.empty:
        return "Aucune publication entre ces deux versions."
    parts = []
    for row in journal.sort_values("version").itertuples(index=False):
        what = versions.KIND_LABELS.get(row.type, str(row.type)).lower()
        if isinstance(row.fichier, str) and row.fichier:
            what += f" de « {row.fichier} »"
        when = clock.paris_datetime(row.date, zone=False)
        parts.append(f"n° {row.version} : {what}, par {row.auteur}, le {when}")
    head = f"{_plural(len(journal), 'publication')} (heure de Paris) : "
    return head + " ; ".join(parts) + "."


def summary_texts(changes: core.Changes, labels: Labels) -> dict[str, str]:
    """The French sentences of the section."""
    since, until = (clock.paris_datetime(d, zone=False) for d in (changes.old_date, changes.new_date))
    period = (
        f"De la version n° {changes.old}, publiée le {since}, à la version n° {changes.new}, publiée le "
        f"{until} (heure de Paris)."
    )
    counts = (
        f"{_plural(changes.count(core.ADDED), 'valeur nouvelle', 'valeurs nouvelles')}, "
        f"{_plural(changes.count(core.CHANGED), 'valeur modifiée', 'valeurs modifiées')}, "
        f"{_plural(changes.count(core.WITHDRAWN), 'valeur retirée', 'valeurs retirées')}."
    )
    sentences = [counts]
    added = changes.periods[changes.periods["changement"] == "ajoutée"]
    removed = changes.periods[changes.periods["changement"] == "retirée"]
    if changes.indicators_added:
        sentences.append(f"Indicateurs nouveaux : {_names(list(changes.indicators_added), labels)}.")
    if changes.indicators_removed:
        gone = _names(list(changes.indicators_removed), labels)
        sentences.append(f"Indicateurs qui n'ont plus de valeur : {gone}.")
    if not added.empty:
        sentences.append("Périodes nouvelles : " + _period_list(added, labels) + ".")
    if not removed.empty:
        sentences.append("Périodes retirées : " + _period_list(removed, labels) + ".")
    lots_added = changes.lots[changes.lots["changement"] == "ajouté"]
    lots_retired = changes.lots[changes.lots["changement"] == "retiré"]
    if not lots_added.empty or not lots_retired.empty:
        lots = []
        if not lots_added.empty:
            lots.append(
                f"{_plural(len(lots_added), 'lot ajouté', 'lots ajoutés')} ("
                + ", ".join(f"n° {r.lot_id} « {r.libelle} »" for r in lots_added.itertuples())
                + ")"
            )
        if not lots_retired.empty:
            lots.append(
                f"{_plural(len(lots_retired), 'lot retiré', 'lots retirés')} ("
                + ", ".join(f"n° {r.lot_id} « {r.libelle} »" for r in lots_retired.itertuples())
                + ")"
            )
        sentences.append("Lots : " + " ; ".join(lots) + ".")
    if changes.reference_changed:
        sentences.append(
            "Les données de référence (catalogues, territoires) ont été reconstruites ou actualisées "
            "entre les deux versions."
        )
    publications = _publications(changes.journal)
    none = ""
    if changes.same:
        none = "C'est la même version : rien n'a changé."
    elif changes.values.empty and changes.periods.empty:
        none = "Aucune valeur n'a changé entre ces deux versions" + (
            " : les publications intermédiaires se compensent (par exemple un import puis son annulation)."
            if len(changes.journal) > 1
            else "."
        )
    return {
        "period": period,
        "counts": counts,
        "summary": " ".join(sentences),
        "publications": publications,
        "none": none,
    }


def _period_list(periods: pd.DataFrame, labels: Labels, limit: int = 8) -> str:
    grouped = periods.groupby("indicateur", sort=True)["periode"].apply(lambda p: ", ".join(sorted(p)))
    items = [f"{labels.of('indicateur', ind)} ({years})" for ind, years in grouped.items()]
    more = (
        f" et {_plural(len(items) - limit, 'autre indicateur', 'autres indicateurs')}"
        if len(items) > limit
        else ""
    )
    return " ; ".join(items[:limit]) + more


@dataclass(frozen=True)
class ChangesItems:
    """`View.items` of « Ce qui a changé »."""

    changes: core.Changes
    valeurs_ecran: pd.DataFrame  # the changed values as the screen shows them (`screen_values`)


def build_changes(
    old_con: duckdb.DuckDBPyConnection, new_con: duckdb.DuckDBPyConnection, params: Mapping[str, str] | None = None
) -> View[ChangesItems]:
    """What changed between the versions `old_con` and `new_con` read (in any order), as a View; its context
    (« À propos » of the files) is the newer version with no filter: the comparison is about every measure."""
    del params
    changes = core.compare(old_con, new_con)
    newer = new_con if core.version_number(new_con) == changes.new else old_con
    labels = queries.labels(newer)
    texts = summary_texts(changes, labels)
    values = values_table(changes.values, labels)
    title = title_of(changes.old, changes.new)
    tables = (
        Table("valeurs", f"Valeurs changées, version n° {changes.old} → n° {changes.new}", values, source=SOURCE),
        Table(
            "periodes",
            f"Périodes ajoutées ou retirées, version n° {changes.old} → n° {changes.new}",
            periods_table(changes.periods, labels),
            source=SOURCE,
        ),
        Table(
            "lots",
            f"Lots ajoutés ou retirés, version n° {changes.old} → n° {changes.new}",
            lots_table(changes.lots),
            source=SOURCE,
        ),
        Table(
            "journal",
            f"Publications entre la version n° {changes.old} et la version n° {changes.new}",
            journal_table(changes.journal),
            source="journal des versions",
        ),
    )
    notices = (Notice(texts["none"], "vide"),) if texts["none"] else ()
    return View(
        page="changements",
        title=title,
        subtitle=texts["period"],
        context=build_context(newer, Filters()),
        tables=tables,
        notices=notices,
        texts=texts,
        items=ChangesItems(changes=changes, valeurs_ecran=screen_values(values)),
    )
