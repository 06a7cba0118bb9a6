"""Données et sources: the indicator catalogue in French, where each figure comes from, the data version.

Markdown builders of the page (escaped here); the frames and plain texts are built by the core
(`observatoire.views.data_sources`, re-exported below).
"""

from __future__ import annotations

import pandas as pd

from observatoire.text import escape_markdown, quote_value
from observatoire.views.data_sources import (  # noqa: F401 - re-exported: the pure builders live in the core
    AGGREGATIONS,
    GEOGRAPHY_CREDIT,
    GRANULARITIES,
    ORIGIN_HELP,
    ORIGINS,
    aggregation_text,
    catalogue_table,
    count_text,
    french_datetime,
    granularity_text,
    lots_table,
    origin_counts,
    origin_of,
    rows_text,
    share_text,
)


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


def provenance_markdown(
    n_labs: int, n_illustrative_labs: int, annee_reference: str, bilan: str, bassins_note: str, seuil: int = 5
) -> str:
    """« Ce qui vient du bilan, ce qui est illustratif, et pourquoi » (French, markdown; the académie's texts
    escaped)."""
    cited = n_labs - n_illustrative_labs
    annee_reference, bilan, bassins_note = (
        escape_markdown(annee_reference),
        escape_markdown(bilan),
        escape_markdown(bassins_note),
    )
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
