"""Exports never carry a live formula: text cells that a spreadsheet would run are neutralised (leading
apostrophe) in CSV and XLSX, XLSX texts are typed as strings, numbers stay numbers, and reading an export back
gives the original texts (CLI export round trip with hostile sources)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from observatoire import exporting, queries, reading, schema, store

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    '=HYPERLINK("http://x";"A")',
    "=1+1",
    "+33 1 23 45 67 89",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=cmd|' /C calc'!A0",
    "\r=1+1",
    "'=déjà protégé",
]
HARMLESS = ["Bilan DRANE 2023-2024, « L'ENT »", "illustratif", "a=b", "x-y", "", "'apostrophe"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_texts_are_prefixed(text):
    assert exporting.neutralise(text) == "'" + text
    assert exporting.unneutralise(exporting.neutralise(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_texts_are_unchanged(text):
    assert exporting.neutralise(text) == text
    assert exporting.unneutralise(text) == text


@pytest.mark.parametrize("value", [-5, -2.5, 0, 3.0, float("nan"), None, True])
def test_non_texts_are_unchanged(value):
    result = exporting.neutralise(value)
    assert result is value or (isinstance(value, float) and pd.isna(result))


def _frame() -> pd.DataFrame:
    texts = HOSTILE + HARMLESS
    return pd.DataFrame({
        "texte": texts,
        "valeur": [-1.5 * i for i in range(len(texts))],
        "entier": list(range(-3, len(texts) - 3)),
    })


def test_csv_has_no_cell_a_spreadsheet_would_run():
    raw = exporting.to_csv_bytes(_frame())
    text = raw.decode("utf-8-sig")
    import csv

    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header == ["texte", "valeur", "entier"]
    assert len(body) == len(HOSTILE) + len(HARMLESS)  # a CR inside a cell never splits a row
    for cells, original in zip(body, HOSTILE + HARMLESS):
        assert cells[0][:1] not in ("=", "+", "-", "@", "\t", "\r"), cells
        expected = original.replace("\r", "\n")
        assert exporting.unneutralise(cells[0]) == expected
    # numbers stay numbers: negative values are written as French numbers, without apostrophe
    assert body[1][1] == "-1,5" and body[4][2] == "1"
    assert body[0][2] == "-3"


def test_xlsx_texts_are_strings_and_numbers_numbers():
    wb = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(_frame(), sheet="feuille")))
    ws = wb.active
    assert ws.title == "feuille"
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    texts = [c.value for c in ws["A"][1:]]
    for value, original in zip(texts, HOSTILE + HARMLESS):
        if original == "":
            assert value in (None, "")
            continue
        assert value[:1] not in ("=", "+", "-", "@", "\t", "\r")
        assert exporting.unneutralise(value).replace("\n", "\r") in (original, original.replace("\r\n", "\n"))
    numbers = [c for c in ws["B"][1:]]
    assert all(c.data_type == "n" for c in numbers)
    assert numbers[1].value == -1.5
    assert ws["C"][1].value == -3 and ws["C"][1].data_type == "n"


def test_xlsx_formula_cells_are_not_written_even_by_openpyxl_defaults():
    """openpyxl types any string starting with `=` as a formula: the export must override that."""
    frame = pd.DataFrame({"a": ["=1+1"]})
    ws = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(frame))).active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "'=1+1"


# ------------------------------------------------------------------------------------- CLI, round trip


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """The demo database plus a lot whose measure sources start with formula triggers."""
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    store.build(db)
    frame = reading.read_measures_csv(ROOT / "data" / "demo" / "mesures.csv").iloc[:12].copy()
    for i, text in enumerate(HOSTILE[:6]):
        frame.iloc[2 * i, frame.columns.get_loc("source")] = text
        frame.iloc[2 * i + 1, frame.columns.get_loc("source")] = text.replace("\r", " ").replace("\t", " ")
    store.add_lot(db, frame.reset_index(drop=True), "test", "sources hostiles")
    return db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_export_neutralises_and_round_trips(hostile_db, tmp_path, fmt):
    output = tmp_path / f"export.{fmt}"
    run = subprocess.run(
        [sys.executable, "-m", "observatoire", "--db", str(hostile_db), "export", "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    if fmt == "xlsx":
        ws = openpyxl.load_workbook(output).active
        cells = [c for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        assert ws["I1"].value == "origine" and ws["J1"].value == "source"
        sources = [c.value for c in ws["J"][1:]]
        values = [c for c in ws["H"][1:]]
        assert all(c.data_type == "n" for c in values)
    else:
        text = output.read_bytes().decode("utf-8-sig")
        import csv

        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        assert rows[0][8:10] == ["origine", "source"]
        sources = [r[9] for r in rows[1:]]
    starts = {s[:1] for s in sources if s}
    assert not starts & {"=", "+", "-", "@", "\t", "\r"}
    assert sum(1 for s in sources if s.startswith("'")) >= 5
    # reading the export back gives exactly what the database holds
    back = exporting.read_export(output)
    with store.connect(hostile_db) as con:
        stored = queries.all_measures(con)
    key = [c for c in schema.MEASURE_COLUMNS if c not in ("valeur", "source")]  # origine included
    merged = stored.merge(back, on=key, suffixes=("_db", "_export"))
    assert len(merged) == len(stored)
    assert set(back["origine"]) <= set(schema.ORIGINS)
    assert (merged["source_db"] == merged["source_export"]).all()


def test_every_download_button_goes_through_the_neutralising_export():
    """The app's only download buttons are those of `components.common.render_downloads`, which call
    `exporting.to_csv_bytes` / `to_xlsx_bytes` (the functions tested above)."""
    calls: list[str] = []
    for path in [*ROOT.glob("components/*.py"), *ROOT.glob("app_pages/*.py"), *ROOT.glob("pages/*.py"),
                 ROOT / "dashboard.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}:{ast.unparse(node.args[1])}")
    assert calls, "no download button found"
    for call in calls:
        assert call.startswith("components/common.py:"), call
        assert "exporting.to_csv_bytes" in call or "exporting.to_xlsx_bytes" in call, call
