"""The XLSX import template is a download like any other: a text cell of its « codes » (or « mesures ») sheet that
starts with `=`, `+`, `-`, `@`, tab or CR gets the leading apostrophe of `exporting.neutralise` (the probe counted
95 such cells with hostile reference labels), stays a text cell, and the template still imports as it is."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from observatoire import exporting, importing

HOSTILE = ['=HYPERLINK("http://evil.example","clic")', "+33 1 23", "-2+3", "@SUM(A1)", "\tcachée", "\rretour"]


def _hostile(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The reference tables with formula-like labels (niveaux, publics, thématiques, départements)."""
    out = {name: frame.copy() for name, frame in tables.items()}
    for (table, column), text in zip(
        [
            ("niveaux", "libelle"),
            ("publics", "libelle"),
            ("thematiques", "libelle"),
            ("departements", "nom"),
            ("bassins", "nom"),
            ("laboratoires", "nom"),
        ],
        HOSTILE,
        strict=True,
    ):
        out[table].loc[out[table].index[0], column] = text
    return out


def test_no_template_cell_can_be_taken_for_a_formula(reference_tables):
    data = importing.template_xlsx(_hostile(reference_tables))
    book = openpyxl.load_workbook(io.BytesIO(data))
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", cell.coordinate
                    assert not cell.value.startswith(exporting.FORMULA_TRIGGERS), (sheet.title, cell.coordinate)
                    seen += cell.value.startswith("'")
    assert seen >= len(HOSTILE)
    codes = [c.value for row in book["codes"].iter_rows() for c in row if isinstance(c.value, str)]
    for text in HOSTILE:  # each hostile label is there, neutralised (read back as written by `unneutralise`)
        assert "'" + text in codes and exporting.unneutralise("'" + text) == text


def test_the_template_still_imports_as_it_is(reference_tables):
    result = importing.read_import(
        importing.template_xlsx(_hostile(reference_tables)), "modele.xlsx", reference_tables
    )
    assert len(result.frame) == 2
