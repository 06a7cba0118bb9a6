"""One upload says everything: every problem of a file in one reading (structure, codes, values, periods), the
first 100 listed with their row and cell as the spreadsheet numbers them and the rest counted; a title row
above the header skipped with a notice; an unknown column ignored with a notice naming it; a month typed for an
annual indicator told « période annuelle attendue, par exemple 2024-2025 »; the preview without « None ».

The French sheet is a real LibreOffice Calc workbook (tests/observatoire/fichiers/, made by make_sheets.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from observatoire import clock, importing, schema
from observatoire.schema import MEASURE_COLUMNS

FILES = Path(__file__).resolve().parent / "fichiers"
SHEET = FILES / "gar-pix-2024-2025.xlsx"
CORRECTED = FILES / "gar-pix-2024-2025-corrige.xlsx"
HEADER = ";".join(MEASURE_COLUMNS)
GOOD = "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1234;import;Bilan"


def _refused(data: bytes, name: str, tables) -> schema.ValidationError:
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(data, name, tables)
    return caught.value


def _where(err: schema.ValidationError) -> list[tuple[int | None, str | None, str | None]]:
    return [(p.line, p.column, p.cell) for p in err.problems]


# ------------------------------------------------------------------------------ the LibreOffice French sheet


def test_the_libreoffice_sheet_lists_its_three_bad_rows_in_one_upload(reference_tables):
    err = _refused(SHEET.read_bytes(), SHEET.name, reference_tables)
    assert err.count == 3, str(err)
    # title in row 1, blank row 2, header in row 3: the data start in row 4, as LibreOffice numbers them
    assert _where(err) == [(6, "periode", "B6"), (8, "territoire_code", "D8"), (10, "valeur", "H10")]
    text = str(err)
    assert (
        "gar-pix-2024-2025.xlsx — ligne 6, colonne « periode » (cellule B6) : période annuelle attendue, par "
        "exemple 2024-2025"
    ) in text
    assert (
        "ligne 8, colonne « territoire_code » (cellule D8) : code de territoire inconnu pour le type « bassin », "
        "vouliez-vous dire « 54-nancy » ? (valeur « 54-nanci »)" in text
    )
    assert "ligne 10, colonne « valeur » (cellule H10) : nombre attendu (valeur « non communiqué »)" in text
    notices = " ".join(err.notices)  # type: ignore[attr-defined]
    assert (
        "Ligne 1 ignorée (« Statistiques GAR et PIX 2024-2025 — DRANE Nancy-Metz ») : elle est au-dessus de "
        "l'en-tête des colonnes (ligne 3)" in notices
    )
    assert "Colonne ignorée : « notes » (J)" in notices
    assert "nommez" not in text and "renommez" not in text  # no advice to rename the sheet: it does not apply


def test_the_corrected_sheet_is_read_with_its_notices(reference_tables):
    result = importing.read_import(CORRECTED.read_bytes(), CORRECTED.name, reference_tables)
    assert result.details == "XLSX, feuille « Feuille1 », 7 lignes"
    assert list(result.frame.columns) == MEASURE_COLUMNS and "notes" not in result.frame
    assert result.frame["periode"].unique().tolist() == ["2024-2025"]
    assert result.frame["valeur"].tolist()[:2] == [1_987_654.0, 612_345.0]
    assert result.frame.loc[result.frame["indicateur"] == "pix_taux_certification", "valeur"].tolist() == [
        71.5,
        68.25,
    ]
    assert len(result.notices) == 2
    assert result.notices[0].startswith("Ligne 1 ignorée")
    assert result.notices[1].startswith("Colonne ignorée : « notes » (J) — ce n'est pas une colonne des mesures")


def test_an_excel_style_csv_with_a_title_line_and_a_notes_column(reference_tables):
    """cp1252, « ; », decimal comma, a title line, and three bad rows of other kinds."""
    lines = [
        "Statistiques PIX 2024-2025;;;;;;;;;;",
        HEADER + ";Notes",
        "pix_taux_certification;2024-2025;academie;nancy-metz;tous;tous;tous;71,5;import;Résultats PIX;ok",
        "pix_taux_certification;2024/2025;departement;54;tous;tous;tous;70,25;import;Résultats PIX;",  # 4
        "pix_eleves_certifies;2024-2025;academie;nancy-metz;collège;tous;tous;21 450;import;Résultats PIX;",  # 5
        "pix_taux_certification;2024-2025;departement;57;tous;tous;tous;120,5;import;Résultats PIX;é",
    ]  # 6
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    err = _refused(data, "pix.csv", reference_tables)
    assert _where(err) == [(4, "periode", "B4"), (5, "niveau", "E5"), (6, "valeur", "H6")]
    text = str(err)
    assert "vouliez-vous dire « 2024-2025 » ? (valeur « 2024/2025 »)" in text
    assert "code inconnu, vouliez-vous dire « college » ?" in text
    assert "taux hors de l'intervalle 0 à 100" in text and "(valeur « 120,5 »)" in text
    assert [n.split(" :")[0] for n in err.notices] == [
        "Ligne 1 ignorée (« Statistiques PIX 2024-2025 »)",  # type: ignore[attr-defined]
        "Colonne ignorée",
    ]


# ------------------------------------------------------------------------------------ every kind, one run


def test_structure_codes_values_and_periods_in_one_report(reference_tables):
    """A missing column, a row with a field too many, an unknown code, a bad value, a bad period: all five."""
    header = ";".join(c for c in MEASURE_COLUMNS if c != "origine")
    lines = [
        header,
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1234;Bilan",  # 2: fine
        "ent_visites;2022-2023;academie;nancy-metz;tous;tous;tous;1234;Bilan;de trop",  # 3: 10 fields
        "ent_visite;2021-2022;academie;nancy-metz;tous;tous;tous;1234;Bilan",  # 4: unknown code
        "ent_visites;2020-2021;academie;nancy-metz;tous;tous;tous;12 abc;Bilan",  # 5: not a number
        "ent_visites;2019-20;academie;nancy-metz;tous;tous;tous;12;Bilan",
    ]  # 6: period
    err = _refused("\n".join(lines).encode(), "x.csv", reference_tables)
    assert _where(err) == [(3, None, None), (4, "indicateur", "A4"), (5, "valeur", "H5"), (6, "periode", "B6")]
    assert "10 champ(s) au lieu de 9" in str(err) and "vouliez-vous dire « 2019-2020 » ?" in str(err)
    missing = "\n".join(lines).replace(";Bilan", "").replace(";de trop", "").replace(";source", "")
    err = _refused(missing.encode(), "x.csv", reference_tables)
    # the missing column is said once, the other problems of the rows still are
    assert _where(err) == [(1, "source", None), (4, "indicateur", "A4"), (5, "valeur", "H5"), (6, "periode", "B6")]


def test_a_misspelt_column_is_named_in_the_missing_column_problem(reference_tables):
    text = (HEADER.replace("valeur", "valeurs") + "\n" + GOOD + "\n").encode()
    err = _refused(text, "x.csv", reference_tables)
    assert "colonne « valeur » : colonne manquante" in str(err)
    assert "la colonne « valeurs » (H) est-elle « valeur » ? renommez-la" in str(err)
    assert not err.notices  # type: ignore[attr-defined]  # not also « ignored »


def test_headers_with_accents_capitals_and_spaces_are_recognised(reference_tables):
    header = "Indicateur;Période;Territoire type;Territoire-code;Niveau;Thématique;Public;Valeur;Origine;Source"
    result = importing.read_import(f"{header}\n{GOOD}\n".encode(), "x.csv", reference_tables)
    assert result.frame["valeur"].tolist() == [1234.0] and not result.notices


def test_more_than_100_problems_first_100_listed_in_file_order_and_all_counted(reference_tables):
    months = [f"{year}-{month:02d}" for year in range(2016, 2031) for month in range(1, 13)]  # 180 months
    rows = [
        GOOD.replace("ent_visites", indicator).replace("2023-2024", month)
        for indicator in ("ent_visites", "gar_connexions")
        for month in months
    ][:250]
    err = _refused((HEADER + "\n" + "\n".join(rows) + "\n").encode(), "x.csv", reference_tables)
    assert err.count == 250 and len(err.problems) == schema.MAX_LISTED
    assert [p.line for p in err.problems] == list(range(2, 102))
    assert str(err).endswith("… et 150 autres problèmes")


def test_a_title_row_is_only_skipped_when_a_header_follows(reference_tables):
    err = _refused(b"Bilan 2024\nnom;prenom\nDupont;Jean\n", "x.csv", reference_tables)
    assert "en-tête attendu à la ligne 1" in str(err)
    three_titles = "Titre\nSous-titre\n\n" + HEADER + "\n" + GOOD + "\n"
    result = importing.read_import(three_titles.encode(), "x.csv", reference_tables)
    assert result.notices == (
        "Lignes 1 à 2 ignorées (« Titre ») : elles sont au-dessus de l'en-tête des colonnes "
        "(ligne 4), elles sont lues comme un titre.",
    )
    bad = three_titles.replace(";1234;", ";x;")
    assert _where(_refused(bad.encode(), "x.csv", reference_tables)) == [(5, "valeur", "H5")]


def _book(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ROW = GOOD.split(";")


def test_the_sheet_of_the_measures_is_found_or_the_advice_says_exactly_what_applies(reference_tables):
    notes = [["Réunion du 12/10", ""], ["à faire", "relancer"]]
    data = _book({"Notes": notes, "Données": [MEASURE_COLUMNS, ROW]})
    result = importing.read_import(data, "m.xlsx", reference_tables)
    assert result.details.startswith("XLSX, feuille « Données »")
    assert result.notices == (
        "Feuille « Données » lue : la feuille « Notes » n'a pas la ligne d'en-tête des "
        "colonnes des mesures, « Données » l'a.",
    )
    two = _book({"Notes": notes, "A": [MEASURE_COLUMNS, ROW], "B": [MEASURE_COLUMNS, ROW]})
    assert "les feuilles « A », « B » contiennent des mesures : nommez « mesures » celle à importer" in str(
        _refused(two, "m.xlsx", reference_tables)
    )
    none = str(_refused(_book({"Notes": notes, "Autre": notes}), "m.xlsx", reference_tables))
    assert "ligne d'en-tête introuvable" in none and "nommez" not in none


# --------------------------------------------------------------------------------------------------- periods


def test_period_messages(reference_tables):
    annual = _refused(f"{HEADER}\n{GOOD.replace('2023-2024', '2024-03')}\n".encode(), "x.csv", reference_tables)
    assert annual.problems[0].message.startswith(
        "période annuelle attendue, par exemple 2023-2024 : cet indicateur est annuel"
    )  # March 2024 is in school year 2023-2024
    monthly = GOOD.replace("ent_visites;", "ent_visites_mois;")
    err = _refused(f"{HEADER}\n{monthly}\n".encode(), "x.csv", reference_tables)
    assert err.problems[0].message.startswith(
        "période mensuelle attendue, par exemple 2023-09 : cet indicateur est mensuel"
    )
    assert importing.period_hint("2024-25") == ", vouliez-vous dire « 2024-2025 » ?"
    assert importing.period_hint("2024 / 2025") == ", vouliez-vous dire « 2024-2025 » ?"
    assert importing.period_hint("2024-2026") == "" and importing.period_hint("abc") == ""


# --------------------------------------------------------------------------------------------------- preview


def test_preview_tables_have_no_none_and_say_new_rows():
    incoming = pd.DataFrame(
        [
            {
                "indicateur": "ent_visites",
                "periode": "2024-2025",
                "territoire_type": "academie",
                "territoire_code": "nancy-metz",
                "niveau": "tous",
                "thematique": "tous",
                "public": "tous",
                "valeur": 74_500_000.5,
                "origine": "import",
                "source": "ENT",
            },
            {
                "indicateur": "ent_visites",
                "periode": "2023-2024",
                "territoire_type": "academie",
                "territoire_code": "nancy-metz",
                "niveau": "tous",
                "thematique": "tous",
                "public": "tous",
                "valeur": 64_600_000.0,
                "origine": "import",
                "source": "ENT",
            },
        ]
    )
    current = incoming.iloc[[1]].assign(valeur=64_500_000.0)
    preview = importing.preview(incoming, current)
    sample = importing.sample_table(preview, {"ent_visites": "Visites de l'ENT"})
    assert sample[["Statut", "Ancienne valeur", "Nouvelle valeur"]].values.tolist() == [
        ["Modifiée", "64\u202f500\u202f000", "64\u202f600\u202f000"],
        ["Nouvelle", "", "74\u202f500\u202f000,5"],
    ]
    assert sample["Indicateur"].unique().tolist() == ["Visites de l'ENT"]
    text = sample.to_csv() + importing.summary_table(preview).to_csv()
    assert "None" not in text and not re.search(r"\bnan\b", text)


# ----------------------------------------------------------------------------------------------- Paris time


def test_times_are_paris_time_with_the_zone():
    assert clock.paris_datetime("2026-01-15T23:30:00") == "16/01/2026 à 00:30 (heure de Paris)"  # naive = UTC
    assert clock.paris_datetime("2026-07-15T12:00:00+00:00") == "15/07/2026 à 14:00 (heure de Paris)"
    assert clock.paris_date("2026-01-15T23:30:00+00:00") == "16/01/2026"  # the version's day, in Paris
    assert clock.paris_datetime(None) == "" and clock.paris_datetime("?") == "?"
    from observatoire.views.context import _date_fr

    assert _date_fr("2026-01-15T23:30:00+00:00") == "16/01/2026"
