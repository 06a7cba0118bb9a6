"""Données et sources: pure builders of the catalogue, provenance and version texts."""

from __future__ import annotations

import pandas as pd

from components import catalog
from observatoire import config
from observatoire.figures import formatting
from tests.helpers import md_text

INDICATORS = pd.DataFrame(
    [
        {
            "id": "ent_visites",
            "libelle": "Visites de l'ENT",
            "unite": "visites",
            "definition": "Visites annuelles.",
            "source": "Bilan DRANE 2023-2024, « L'ENT »",
            "agregation": "somme",
            "granularite": "annuelle",
            "domaine": "ENT",
            "kpi": 1,
        },
        {
            "id": "ent_visites_mois",
            "libelle": "Visites mensuelles",
            "unite": "visites",
            "definition": "Par mois.",
            "source": "Répartition illustrative",
            "agregation": "somme",
            "granularite": "mensuelle",
            "domaine": "ENT",
            "kpi": None,
        },
        {
            "id": "pix_taux",
            "libelle": "Taux PIX",
            "unite": "%",
            "definition": "Un taux.",
            "source": "Bilan DRANE 2023-2024, « Pix élèves »",
            "agregation": "moyenne",
            "granularite": "annuelle",
            "domaine": "PIX",
            "kpi": None,
        },
    ]
)


def test_aggregation_and_granularity_in_french():
    assert catalog.aggregation_text("somme") == "Somme : s'additionne entre territoires"
    assert catalog.aggregation_text("moyenne").startswith("Moyenne des territoires")
    assert catalog.aggregation_text("inconnue") == "inconnue"
    assert catalog.granularity_text("mensuelle") == "Mensuelle (septembre → août)"


def test_catalogue_table_has_every_indicator_with_explained_aggregation():
    table = catalog.catalogue_table(INDICATORS)
    assert list(table["Code"]) == list(INDICATORS["id"])
    assert list(table["Indicateur clé"]) == [True, False, False]
    assert table.loc[2, "Agrégation"] == catalog.AGGREGATIONS["moyenne"]
    assert table.loc[1, "Granularité"] == catalog.GRANULARITIES["mensuelle"]


def test_domain_sections_group_indicators_in_order():
    sections = catalog.domain_sections(INDICATORS)
    assert [name for name, _ in sections] == ["ENT", "PIX"]
    ent = [md_text(p) for p in sections[0][1]]
    assert len(ent) == 2
    assert ent[0].startswith("**Visites de l'ENT** (visites) · indicateur clé")
    assert "s'additionne entre territoires" in ent[0] and "`ent_visites`" in ent[0]
    assert "indicateur clé" not in ent[1]


def test_origin_of_reads_the_origine_code_never_the_source_text():
    for code in ("bilan", "deduit", "import", "illustratif"):
        assert catalog.origin_of(code) == code
    # a source TEXT is not an origin: unknown codes count as illustrative, never as the bilan
    assert catalog.origin_of("Bilan DRANE 2023-2024, « L'ENT »") == "illustratif"
    assert catalog.origin_of(None) == "illustratif"


def test_origins_have_french_labels_import_included():
    assert list(catalog.ORIGINS) == ["bilan", "deduit", "import", "illustratif"]
    assert catalog.ORIGINS["import"] == "Importé"
    assert set(catalog.ORIGIN_HELP) == set(catalog.ORIGINS)


def test_origin_counts_always_has_the_four_origins():
    counts = catalog.origin_counts(["bilan", "import", config.ILLUSTRATIVE, config.ILLUSTRATIVE])
    assert counts == {"bilan": 1, "deduit": 0, "import": 1, "illustratif": 2}


def test_rows_and_share_text():
    assert catalog.count_text(59653) == f"59{formatting.NBSP}653"
    assert catalog.rows_text(1) == "1 ligne"
    assert catalog.rows_text(9967) == f"9{formatting.NBSP}967 lignes"
    assert catalog.share_text(1, 4) == f"25,0{formatting.NBSP}% des lignes"
    assert catalog.share_text(0, 0) == "—"


def test_french_datetime_is_paris_time_with_its_zone():
    # winter (UTC+1) and summer (UTC+2); a naive moment is UTC, as the store writes it
    assert catalog.french_datetime("2026-11-22T13:26:11+00:00") == "22/11/2026 à 14:26 (heure de Paris)"
    assert catalog.french_datetime("2024-01-05T08:00:00") == "05/01/2024 à 09:00 (heure de Paris)"
    assert catalog.french_datetime("2024-07-05T23:30:00") == "06/07/2024 à 01:30 (heure de Paris)"
    assert catalog.french_datetime("2024-01-05T08:00:00", zone=False) == "05/01/2024 à 09:00"
    assert catalog.french_datetime("?") == "?"


def test_lots_table():
    lots = pd.DataFrame(
        [
            {
                "lot_id": 1,
                "origine": "demo",
                "libelle": "Démo",
                "cree_le": "2024-01-05T08:00:00",
                "nb_lignes": 10,
                "empreinte": "abc",
                "actif": True,
            }
        ]
    )
    table = catalog.lots_table(lots)
    assert table.iloc[0].to_dict() == {
        "Lot": 1,
        "Origine": "demo",
        "Libellé": "Démo",
        "Créé le (heure de Paris)": "05/01/2024 à 09:00",
        "Lignes": 10,
        "Actif": True,
    }


def test_provenance_text_says_what_is_illustrative_and_why():
    text = md_text(catalog.provenance_markdown(16, 7, "2023-2024", "Bilan X", "Composition indicative."))
    assert "**7 des 16 lieux**" in text and "9 lieux sont cités" in text
    assert "plus fort reste" in text and "scripts/generate_demo_data.py" in text
    assert "Déduit du bilan" in text and "Bilan X" in text and "Composition indicative." in text
    # the origin is named by its code (column `origine`), never by the `source` text
    assert "`origine = illustratif`" in text and "`source = illustratif`" not in text
    assert "l'origine `deduit`" in text and "l'origine `import`" in text
    assert "« < 5 »" in text and "seuil_petits_effectifs" in text
    assert "« < 11 »" in md_text(catalog.provenance_markdown(16, 7, "2023-2024", "B", "N", 11))
    assert "IGN ADMIN EXPRESS" in catalog.GEOGRAPHY_CREDIT and "Licence Ouverte 2.0" in catalog.GEOGRAPHY_CREDIT
