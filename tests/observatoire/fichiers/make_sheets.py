"""Writes the French sheets the import tests read, as LibreOffice Calc makes them: `gar-pix-2024-2025.fods` (flat
OpenDocument, typed cells) → LibreOffice headless → `gar-pix-2024-2025.xlsx` (committed: the tests never need
LibreOffice). A title row above the header, a blank row, a « notes » column, and three bad rows of different kinds
(a monthly period on an annual indicator, an unknown bassin code, a text in « valeur »); `…-corrige.xlsx` is the
same sheet with the three rows corrected.

Run from the repository root: `.venv/bin/python tests/observatoire/fichiers/make_sheets.py`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
TITLE = "Statistiques GAR et PIX 2024-2025 — DRANE Nancy-Metz"
HEADER = [
    "indicateur",
    "periode",
    "territoire_type",
    "territoire_code",
    "niveau",
    "thematique",
    "public",
    "valeur",
    "source",
    "notes",
]
SOURCE_GAR, SOURCE_PIX = "Export GAR 2024-2025 (console d'administration)", "Résultats PIX 2024-2025"
ROWS = [
    [
        "gar_connexions",
        "2024-2025",
        "academie",
        "nancy-metz",
        "tous",
        "tous",
        "tous",
        1_987_654,
        SOURCE_GAR,
        "reçu le 14/10",
    ],
    ["gar_connexions", "2024-2025", "departement", "54", "tous", "tous", "tous", 612_345, SOURCE_GAR, ""],
    [
        "gar_connexions",
        "2024-09",
        "departement",
        "57",
        "tous",
        "tous",
        "tous",
        845_120,
        SOURCE_GAR,
        "mois de septembre ?",
    ],  # bad: a month for an annual indicator
    [
        "pix_eleves_certifies",
        "2024-2025",
        "academie",
        "nancy-metz",
        "tous",
        "tous",
        "tous",
        21_450,
        SOURCE_PIX,
        "",
    ],
    [
        "pix_eleves_certifies",
        "2024-2025",
        "bassin",
        "54-nanci",
        "tous",
        "tous",
        "tous",
        2_310,
        SOURCE_PIX,
        "à vérifier",
    ],  # bad: unknown bassin code (54-nancy)
    [
        "pix_taux_certification",
        "2024-2025",
        "academie",
        "nancy-metz",
        "tous",
        "tous",
        "tous",
        71.5,
        SOURCE_PIX,
        "",
    ],
    [
        "pix_taux_certification",
        "2024-2025",
        "departement",
        "55",
        "tous",
        "tous",
        "tous",
        "non communiqué",
        SOURCE_PIX,
        "relancer la DSDEN",
    ],  # bad: a text in « valeur »
]
CORRECTED = {2: ("periode", "2024-2025"), 4: ("territoire_code", "54-nancy"), 6: ("valeur", 68.25)}


def _cell(value: object) -> str:
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if value == "":
        return "<table:table-cell/>"
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def fods(rows: list[list[object]]) -> str:
    lines = [
        f"<table:table-row>{_cell(TITLE)}</table:table-row>",
        "<table:table-row><table:table-cell/></table:table-row>",
        "<table:table-row>" + "".join(_cell(h) for h in HEADER) + "</table:table-row>",
    ]
    lines += ["<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>" for row in rows]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<office:document '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2" '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet>'
        '<table:table table:name="Feuille1">'
        + "".join(lines)
        + "</table:table></office:spreadsheet></office:body></office:document>\n"
    )


def convert(source: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile, tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                out,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        shutil.move(Path(out) / (source.stem + ".xlsx"), target)


def main() -> None:
    corrected = [list(r) for r in ROWS]
    for index, (column, value) in CORRECTED.items():
        corrected[index][HEADER.index(column)] = value
    for name, rows in (("gar-pix-2024-2025", ROWS), ("gar-pix-2024-2025-corrige", corrected)):
        source = HERE / f"{name}.fods"
        source.write_text(fods(rows), encoding="utf-8")
        convert(source, HERE / f"{name}.xlsx")
        print(HERE / f"{name}.xlsx")


if __name__ == "__main__":
    main()
