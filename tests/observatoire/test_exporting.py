"""Exports never carry a live formula: text cells that a spreadsheet would run are neutralised (leading
apostrophe) in CSV and XLSX, XLSX texts are typed as strings, numbers stay numbers, and reading an export back
gives the original texts (CLI export round trip with hostile sources)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from observatoire import checks, exporting, queries, reading, schema, store, versions
from observatoire.exports import png
from observatoire.views.model import Context

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
    return pd.DataFrame(
        {
            "texte": texts,
            "valeur": [-1.5 * i for i in range(len(texts))],
            "entier": list(range(-3, len(texts) - 3)),
        }
    )


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
def hostile_store(tmp_path_factory) -> versions.Repository:
    """A store whose current version holds the demo data plus a lot whose measure sources start with formula
    triggers."""
    repo = versions.Repository(tmp_path_factory.mktemp("hostile"))
    repo.init(author="tests")
    frame = reading.read_measures_csv(ROOT / "data" / "demo" / "mesures.csv").iloc[:12].copy()
    for i, text in enumerate(HOSTILE[:6]):
        frame.iloc[2 * i, frame.columns.get_loc("source")] = text
        frame.iloc[2 * i + 1, frame.columns.get_loc("source")] = text.replace("\r", " ").replace("\t", " ")
    with repo.connect() as con:
        valid = checks.validate_measures(frame.reset_index(drop=True), store.reference_tables(con))
    repo.import_measures(valid, "sources hostiles", "0" * 64, "tests", (0, len(valid), 0))
    return repo


@pytest.fixture(scope="module")
def hostile_db(hostile_store: versions.Repository) -> Path:
    return hostile_store.current().path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_export_neutralises_and_round_trips(hostile_db, tmp_path, fmt):
    output = tmp_path / f"export.{fmt}"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "observatoire",
            "--store",
            str(hostile_db.parent.parent),
            "export",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    if fmt == "xlsx":  # read once, streamed (60 000 rows): every cell's type, the header, columns H and J
        rows = list(openpyxl.load_workbook(output, read_only=True).active.iter_rows())
        assert [c.coordinate for row in rows for c in row if c.data_type == "f"] == []
        assert rows[0][8].value == "origine" and rows[0][9].value == "source"  # I1, J1
        sources = [row[9].value for row in rows[1:]]  # column J
        assert all(row[7].data_type == "n" for row in rows[1:])  # column H: numbers
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


def _data_argument(node: ast.Call) -> str:
    if len(node.args) > 1:
        return ast.unparse(node.args[1])
    return next(ast.unparse(k.value) for k in node.keywords if k.arg == "data")


def test_every_download_button_goes_through_the_neutralising_export():
    """The app's data download buttons are those of `components.common` (`render_downloads`,
    `render_png_download`), which call `exporting.to_csv_bytes` / `to_xlsx_bytes` (the functions tested above)
    or draw the decorated chart (`png.figure_png(png.decorated(…))`). The only others are the import page's
    templates (`components.import_panel`: blank files to fill in), the presentation's PPTX and the fiches' PDF
    (`components.fiches`: built by `exports.pdf`, texts only, no cell a spreadsheet could evaluate) and the
    instantané de séance (`components.instantane`: an HTML page, every text escaped by its Jinja template)."""
    calls: list[str] = []
    for path in [
        *ROOT.glob("components/*.py"),
        *ROOT.glob("pages/*.py"),
        *ROOT.glob("pages/*.py"),
        ROOT / "dashboard.py",
    ]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "download_button":
                calls.append(f"{path.relative_to(ROOT)}:{node.lineno}:{_data_argument(node)}")
    assert calls, "no download button found"
    for call in calls:
        other = {
            "components/import_panel.py": "template",
            "components/presentation.py": "pptx",
            "components/fiches.py": "build",
            "components/instantane.py": "instantane_html",
        }
        if call.split(":", 1)[0] in other:
            assert other[call.split(":", 1)[0]] in call, call
            continue
        assert call.startswith("components/common.py:"), call
        assert "exporting.to_csv_bytes" in call or "exporting.to_xlsx_bytes" in call or call.endswith(":image"), (
            call
        )
        assert "about=about" in call or call.endswith(":image"), call
    source = (ROOT / "components" / "common.py").read_text(encoding="utf-8")
    assert "return png.figure_png(png.decorated(view, about.context))" in source  # `image`, the PNG's data


# --------------------------------------------------------------------------- what a file says, file names

CONTEXT = Context(
    academie="Académie de Nancy-Metz",
    filters=("Département : 57 — Moselle", "Niveau : Collège", 'Thématique : =HYPERLINK("x")'),
    school_year="2023-2024",
    version=7,
    version_date="23/11/2026",
)
ABOUT = exporting.About(
    title="Visites de l'ENT par année scolaire, par niveau",
    context=CONTEXT,
    indicator="Visites de l'ENT",
    unit="visites",
    source="Source : Bilan DRANE 2023-2024 ; autres valeurs illustratives.",
    illustrative=True,
    exported_at=dt.datetime(2026, 11, 23, 4, 12, tzinfo=dt.UTC),
)


def test_about_rows_say_what_the_file_contains():
    rows = dict(exporting.about_rows(ABOUT))
    assert list(rows) == [
        "Contenu",
        "Indicateur",
        "Unité",
        "Filtres",
        "Année scolaire",
        "Version des données",
        "Source",
        "Données illustratives",
        "Exporté le",
        "Tableau de bord",
    ]
    assert rows["Contenu"] == "Visites de l'ENT par année scolaire, par niveau"
    assert rows["Filtres"] == 'Département : 57 — Moselle · Niveau : Collège · Thématique : =HYPERLINK("x")'
    assert rows["Version des données"] == "n° 7 du 23/11/2026"
    assert rows["Source"] == "Bilan DRANE 2023-2024 ; autres valeurs illustratives."
    assert rows["Données illustratives"].startswith("oui — Valeurs générées")
    assert rows["Exporté le"] == "23/11/2026 à 05:12"  # Paris time
    assert rows["Tableau de bord"] == "Observatoire du numérique éducatif — Académie de Nancy-Metz"
    plain = dict(exporting.about_rows(exporting.About("Tableau", Context("A", (), "", 1, "01/01/2026"))))
    assert plain["Filtres"] == "Aucun filtre (toute l'académie)" and plain["Données illustratives"].startswith(
        "non"
    )
    assert plain["Indicateur"] == plain["Unité"] == "—" and plain["Source"] == "non précisée"


def test_xlsx_about_sheet():
    book = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(_frame(), about=ABOUT)))
    assert book.sheetnames == ["mesures", "À propos"]
    assert book.active.title == "mesures" and book.worksheets[0]["A1"].value == "texte"  # data first, row 1
    sheet = book["À propos"]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("Rubrique", "Valeur")
    assert rows[1:] == [(label, exporting.neutralise(value)) for label, value in exporting.about_rows(ABOUT)]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    about = dict(rows[1:])
    assert about["Unité"] == "visites" and about["Version des données"] == "n° 7 du 23/11/2026"
    # a filter line from data that looks like a formula stays text (the whole cell starts with « Département »)
    assert "=HYPERLINK" in about["Filtres"] and sheet["B5"].data_type == "s"
    hostile = exporting.About("=1+1", CONTEXT, indicator="@SUM(A1)", source="-2+3")
    values = dict(
        list(
            openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(_frame(), about=hostile)))[
                "À propos"
            ].iter_rows(values_only=True)
        )[1:]
    )
    assert values["Contenu"] == "'=1+1" and values["Indicateur"] == "'@SUM(A1)" and values["Source"] == "'-2+3"
    # without `about`: one sheet, as before
    assert openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(_frame()))).sheetnames == ["mesures"]


def test_xlsx_reads_as_a_table_header_bold_and_frozen_columns_wide_enough():
    """What the person opening the file sees: the header in bold stays on screen while scrolling, each column
    as wide as its values (at most 60), the « À propos » texts wrapped in two wide columns, empty cells empty."""
    frame = pd.DataFrame(
        {"indicateur": ["Visites de l'ENT", "x"], "valeur": [64_500_000, None], "code": ["57", ""]}
    )
    book = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(frame, about=ABOUT)))
    data = book["mesures"]
    assert data.freeze_panes == "A2"
    assert all(cell.font.b for cell in data[1]) and not any(cell.font.b for cell in data[2])
    assert data.column_dimensions["A"].width >= len("Visites de l'ENT") + 2
    assert data.column_dimensions["B"].width >= len("valeur") + 2
    assert data["B2"].value == 64_500_000 and data["B3"].value is None and data["C3"].value in (None, "")
    about = book["À propos"]
    assert 24 <= about.column_dimensions["A"].width < 25 and 100 <= about.column_dimensions["B"].width < 101
    assert about["A1"].font.b and about["B2"].alignment.wrap_text
    for row in about.iter_rows(min_row=2):  # a long text gets the lines it needs (it would run over the next row)
        if len(row[1].value or "") > 100:
            assert about.row_dimensions[row[1].row].height >= 30, row[1].value


def test_csv_about_block_then_the_same_table():
    import csv

    bare = exporting.to_csv_bytes(_frame())
    raw = exporting.to_csv_bytes(_frame(), about=ABOUT)
    assert raw.startswith(b"\xef\xbb\xbf# ")
    text = raw.decode("utf-8-sig")
    block, table = text.split("\n\n", 1)
    lines = block.split("\n")
    assert all(line.startswith("# ") for line in lines)
    cells = list(csv.reader(io.StringIO(block, newline=""), delimiter=";"))
    assert all(len(row) == 2 for row in cells)
    about = {row[0].removeprefix("# "): row[1] for row in cells[1:]}
    assert about == {label: exporting.neutralise(value) for label, value in exporting.about_rows(ABOUT)}
    assert not any(value.startswith(("=", "+", "-", "@")) for value in about.values())
    # the table after the empty line is exactly the bare export, and stripping the block gives it back
    assert table == bare.decode("utf-8-sig")
    assert exporting.strip_about_block(text) == bare.decode("utf-8-sig")
    assert exporting.strip_about_block("\ufeff" + text).encode("utf-8") == bare
    assert exporting.strip_about_block(bare.decode("utf-8")) == bare.decode("utf-8")  # no block: unchanged
    hostile = exporting.to_csv_bytes(_frame(), about=exporting.About("=1+1\r\n;x", CONTEXT, source="+33"))
    rows = list(csv.reader(io.StringIO(hostile.decode("utf-8-sig").split("\n\n", 1)[0]), delimiter=";"))
    assert dict(rows[1:])["# Contenu"] == "'=1+1 ;x" and dict(rows[1:])["# Source"] == "'+33"


def test_read_export_skips_the_about_block(tmp_path):
    frame = reading.read_measures_csv(ROOT / "data" / "demo" / "mesures.csv").iloc[:20].reset_index(drop=True)
    frame.loc[0, "source"] = "=1+1"
    for fmt, write in (("csv", exporting.to_csv_bytes), ("xlsx", exporting.to_xlsx_bytes)):
        bare, documented = tmp_path / f"bare.{fmt}", tmp_path / f"documented.{fmt}"
        bare.write_bytes(write(frame[schema.MEASURE_COLUMNS]))
        documented.write_bytes(write(frame[schema.MEASURE_COLUMNS], about=ABOUT))
        back = exporting.read_export(documented)
        pd.testing.assert_frame_equal(back, exporting.read_export(bare))
        assert back.loc[0, "source"] == "=1+1"
        assert list(back.columns) == schema.MEASURE_COLUMNS and len(back) == 20


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        (
            "Visites de l'ENT — par année scolaire et par niveau — Moselle",
            "Visites de l'ENT — par année scolaire et par niveau — Moselle.csv",
        ),
        ('Classement : a/b\\c *?"<>| fin', "Classement - a-b-c - fin.csv"),
        ("e\u0301le\u0300ve\u200b\tnom\n", "élève nom.csv"),  # NFC, invisible and control characters
        ("  ..CON", "CON.csv".replace("CON", "observatoire CON")),
        ("", "observatoire.csv"),
    ],
)
def test_safe_file_names_keep_accents(stem, expected):
    assert exporting.safe_file_name(stem, "csv") == expected


def test_export_file_names():
    name = exporting.export_file_name("Visites de l'ENT par année scolaire", CONTEXT, "xlsx")
    assert name == "Visites de l'ENT par année scolaire — Moselle — Collège — =HYPERLINK(-x-).xlsx"
    several = Context(
        "A",
        ("Départements : 54 — Meurthe-et-Moselle, 57 — Moselle", "Années scolaires : 2021-2022 à 2023-2024"),
        "2023-2024",
        1,
        "",
    )
    assert (
        exporting.export_file_name("Élèves", several, "csv")
        == "Élèves — Meurthe-et-Moselle, Moselle — 2021-2022 à 2023-2024.csv"
    )
    assert exporting.export_file_name("Élèves", None, "csv") == "Élèves.csv"
    long = exporting.export_file_name("Très long titre " * 20, CONTEXT, "png")
    assert len(long) <= exporting.FILE_NAME_MAX and long.endswith("titre.png")
    assert png.png_file_name("Visites", CONTEXT) == exporting.export_file_name("Visites", CONTEXT, "png")
    assert png.safe_file_name is exporting.safe_file_name


def test_xlsx_numbers_grouped_years_and_codes_plain_and_printed_on_one_page_wide():
    """What a French spreadsheet shows and prints: quantities with grouped thousands (« 64 500 000 » in a
    French locale: the format is `#,##0`, the separator the reader's), decimals with at most two digits, a year,
    a code or a rank never grouped (« 2 023 »); A4 landscape, one page wide, header repeated, page numbers."""
    frame = pd.DataFrame(
        {
            "Année scolaire": ["2022-2023", "2023-2024"],
            "annee": [2023, 2024],
            "Code": [57, 54],
            "Visites": [60_000_000, 64_500_000],
            "Part (%)": [12.5, 13.25],
            "Nom": ["Metz", "Nancy"],
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(frame, about=ABOUT)))
    data = book["mesures"]
    formats = {data.cell(1, c).value: data.cell(2, c).number_format for c in range(1, 7)}
    assert formats["Visites"] == "#,##0" and formats["Part (%)"] == "#,##0.0#"
    assert formats["annee"] == formats["Code"] == "General"
    assert data["D3"].value == 64_500_000 and data["E3"].value == 13.25  # the values themselves are untouched
    assert data.column_dimensions["D"].width >= len("64 500 000") + 2
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0  # 1: OOXML default
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert "&P" in sheet.oddFooter.center.text
    assert data.print_title_rows.replace("$", "") == "1:1"


def test_a_multi_year_table_says_the_years_it_covers():
    """A table over several school years says them all (« 2019-2020 à 2023-2024 »), not the view's one year;
    a one-year table keeps the view's year."""
    frame = pd.DataFrame({"Année scolaire": ["2019-2020", "2021-2022", "2023-2024"], "Visites": [1, 2, 3]})
    about = dict(
        list(
            openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(frame, about=ABOUT)))["À propos"].iter_rows(
                values_only=True
            )
        )[1:]
    )
    assert (
        about["Années scolaires"] == "2019-2020 à 2023-2024 (3 années scolaires)" and "Année scolaire" not in about
    )
    block = exporting.to_csv_bytes(frame, about=ABOUT).decode("utf-8-sig").split("\n\n", 1)[0]
    assert "# Années scolaires;2019-2020 à 2023-2024 (3 années scolaires)" in block
    wide = pd.DataFrame({"Bassin": ["Metz"], "2022-2023": [5], "2023-2024": [6]})  # a year per column
    assert exporting.covered_school_years(wide) == ["2022-2023", "2023-2024"]
    one = pd.DataFrame({"Année scolaire": ["2023-2024"], "Visites": [1]})
    assert dict(exporting.about_rows(exporting.covering(ABOUT, one)))["Année scolaire"] == CONTEXT.school_year


def test_covered_years_ignore_cells_that_are_not_texts():
    frame = pd.DataFrame({"thematiques": [["a", "b"], ["c"]], "periode": ["2022-2023", "2023-2024"], "n": [1, 2]})
    assert exporting.covered_school_years(frame) == ["2022-2023", "2023-2024"]
