"""Files DRANE staff import are read as they come out of French Excel (CSV in Windows-1252 or UTF-8, `;`, `,` or
tab, French numbers; XLSX), an export imported again gives the same measures, the templates are accepted, and
`preview` tells new, changed and unchanged rows apart."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from observatoire import config, exporting, importing, schema
from observatoire.schema import MEASURE_COLUMNS, MEASURE_KEY

ROOT = Path(__file__).resolve().parents[2]
HEADER = ";".join(MEASURE_COLUMNS)


@pytest.fixture(scope="module")
def tables(reference_tables):
    return reference_tables


def _read(data: bytes | str, name: str, tables, encoding: str = "utf-8") -> importing.ImportFile:
    raw = data.encode(encoding) if isinstance(data, str) else data
    result = importing.read_import(raw, name, tables)
    assert list(result.frame.columns) == MEASURE_COLUMNS
    return result


def _rows(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


# ------------------------------------------------------------------------------------------------------ CSV


def test_french_excel_csv_in_windows_1252(tables):
    text = (
        "\r\n".join(
            [
                "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source",
                "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1 234,5;Académie — bilan « ENT »",
                "ent_visites;2023-2024;departement;54;tous;tous;tous;1\u00a0234,5;Académie — bilan",
                "ent_visites;2023-2024;departement;57;tous;tous;eleves;1\u202f234,5;Académie — bilan",
                "pix_taux_certification;2023-2024;bassin;54-nancy;college;tous;tous;72,25;Rectorat, DRANE",
            ]
        )
        + "\r\n"
    )
    text = text.replace("\u202f", "\u00a0")  # cp1252 has no narrow no-break space: tested in UTF-8 below
    result = _read(text, "mesures 2024.csv", tables, "cp1252")
    assert result.kind == "csv"
    assert result.details == "CSV, séparateur « ; », encodage Windows-1252, 4 lignes"
    frame = result.frame
    assert frame["valeur"].tolist() == [1234.5, 1234.5, 1234.5, 72.25]
    assert set(frame["origine"]) == {"import"}
    assert frame.loc[0, "source"] == "Académie — bilan « ENT »"
    assert frame["territoire_code"].tolist() == ["nancy-metz", "54", "57", "54-nancy"]
    assert result.size == len(text.encode("cp1252")) and len(result.sha256) == 64


def test_narrow_no_break_space_in_utf8(tables):
    text = f"{HEADER}\nent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1\u202f234\u202f567,5;;Bilan\n"
    result = _read(text, "x.csv", tables)
    assert result.frame["valeur"].tolist() == [1234567.5]
    assert result.frame["origine"].tolist() == ["import"]  # empty origine cell → import
    assert result.details == "CSV, séparateur « ; », encodage UTF-8, 1 ligne"


def test_utf8_bom_comma_separator_decimal_point(tables):
    header = ",".join(MEASURE_COLUMNS)
    text = "\ufeff" + "\n".join(
        [
            header,
            'ent_visites,2023-2024,academie,nancy-metz,tous,tous,tous,1234.5,illustratif,"Bilan, section ENT"',
            'pix_taux_certification,2023-2024,academie,nancy-metz,college,tous,tous,"72,5",deduit,Calcul',
        ]
    )
    result = _read(text, "x.csv", tables)
    assert result.details == "CSV, séparateur « , », encodage UTF-8 avec BOM, 2 lignes"
    assert result.frame["valeur"].tolist() == [1234.5, 72.5]
    assert result.frame["origine"].tolist() == ["illustratif", "deduit"]
    assert result.frame.loc[0, "source"] == "Bilan, section ENT"


def test_tab_separated_with_free_column_order_and_header_case(tables):
    header = [
        "  Valeur ",
        "SOURCE",
        "indicateur",
        "Periode",
        "territoire_type",
        "territoire_code",
        "niveau",
        "thematique",
        "public",
    ]
    row = ["12", "Bilan", "ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "parents"]
    text = "\t".join(header) + "\n" + "\t".join(row) + "\n"
    result = _read(text, "x.tsv", tables)
    assert result.details.startswith("CSV, séparateur « tabulation »")
    assert _rows(result.frame) == [
        {
            "indicateur": "ent_visites",
            "periode": "2023-2024",
            "territoire_type": "academie",
            "territoire_code": "nancy-metz",
            "niveau": "tous",
            "thematique": "tous",
            "public": "parents",
            "valeur": 12.0,
            "origine": "import",
            "source": "Bilan",
        }
    ]


def test_code_cells_are_trimmed_and_blank_lines_skipped(tables):
    text = f"{HEADER}\n\n ent_visites ;2023-2024;academie;nancy-metz;tous;tous;tous;5;import;Bilan\n\n"
    result = _read(text, "x.csv", tables)
    assert result.frame["indicateur"].tolist() == ["ent_visites"]


def test_trailing_empty_columns_are_ignored(tables):
    """Excel writes an empty unnamed column when cells right of the data were once touched."""
    text = f"{HEADER};;\nent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;5;import;Bilan;;\n"
    assert _read(text, "x.csv", tables).frame["valeur"].tolist() == [5.0]
    rows = [
        [*MEASURE_COLUMNS, None, ""],
        [
            "ent_visites",
            "2023-2024",
            "academie",
            "nancy-metz",
            "tous",
            "tous",
            "tous",
            5,
            "import",
            "Bilan",
            "",
            None,
        ],
    ]
    assert _read(_workbook(rows), "x.xlsx", tables).frame["valeur"].tolist() == [5.0]


def test_separator_comes_from_the_header_not_the_values(tables):
    # values full of commas (decimal comma, text) in a `;` file
    text = f"{HEADER}\nent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;1,5;import;a, b, c, d, e, f\n"
    assert importing.detect_separator(HEADER) == ";"
    assert _read(text, "x.csv", tables).frame["valeur"].tolist() == [1.5]


# ----------------------------------------------------------------------------------------------------- XLSX


def _workbook(rows: list[list], title: str = "mesures", before: list[str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    first = wb.active
    if before:
        first.title = before[0]
        first.append(["autre chose", "ici"])
        first.append([1, 2])
        sheet = wb.create_sheet(title)
    else:
        first.title = title
        sheet = first
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


XLSX_ROWS = [
    MEASURE_COLUMNS,
    ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", 1234.5, "deduit", "Bilan ENT"],
    ["ent_visites", "2023-2024", "departement", 54, "tous", "tous", "tous", 12, None, "Bilan ENT"],
    ["ent_visites", "2023-2024", "departement", "57", "tous", "tous", "eleves", "1 234,5", "", "Bilan ENT"],
]


def test_xlsx_sheet_named_mesures_not_first(tables):
    data = _workbook(XLSX_ROWS, title="Mesures", before=["Notes"])
    result = _read(data, "fichier.xlsx", tables)
    assert result.kind == "xlsx"
    assert result.details == "XLSX, feuille « Mesures », 3 lignes"
    frame = result.frame
    assert frame["valeur"].tolist() == [1234.5, 12.0, 1234.5]  # numbers as numbers, French text cleaned
    assert frame["territoire_code"].tolist() == ["nancy-metz", "54", "57"]  # integral number → its digits
    assert frame["origine"].tolist() == ["deduit", "import", "import"]


def test_xlsx_single_sheet_any_name_and_leading_zero_text_kept(tables):
    rows = [
        MEASURE_COLUMNS,
        ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", 3, "import", "09"],
    ]
    result = _read(_workbook(rows, title="Feuil1"), "x.xlsx", tables)
    assert result.details == "XLSX, feuille « Feuil1 », 1 ligne"
    assert result.frame.loc[0, "source"] == "09"  # text stays text


def test_xlsx_kind_is_decided_by_content(tables):
    data = _workbook(XLSX_ROWS)
    assert _read(data, "sans extension", tables).kind == "xlsx"
    csv_text = f"{HEADER}\nent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;5;import;Bilan\n"
    assert _read(csv_text, "mal nommé.xls", tables).kind == "csv"


def test_xlsx_formula_without_cached_value_is_a_missing_value(tables):
    """openpyxl writes formulas without their computed value: calamine reads values only, so the cell is empty
    and refused as a missing value (a workbook saved by Excel or LibreOffice carries the value, which is read)."""
    rows = [
        MEASURE_COLUMNS,
        ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", "=1+1", "import", "B"],
    ]
    with pytest.raises(schema.ValidationError) as err:
        importing.read_import(_workbook(rows), "f.xlsx", tables)
    assert "f.xlsx — ligne 2, colonne « valeur » (cellule H2) : valeur manquante" in str(err.value)


def test_xlsx_formula_with_cached_value_is_read_as_its_value(tables):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(MEASURE_COLUMNS)
    ws.append(["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", 2, "import", "B"])
    buffer = io.BytesIO()
    wb.save(buffer)
    # what Excel writes for =1+1: the formula and its cached value
    data = _rewrite_member(
        buffer.getvalue(),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'<c r="H2" t="n"><v>2</v></c>', b'<c r="H2"><f>1+1</f><v>2</v></c>'),
    )
    assert b"<f>1+1</f>" in _member(data, "xl/worksheets/sheet1.xml")
    assert _read(data, "f.xlsx", tables).frame["valeur"].tolist() == [2.0]


def _member(data: bytes, name: str) -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def _rewrite_member(data: bytes, name: str, change) -> bytes:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == name else content)
    return out.getvalue()


def test_xlsx_header_below_blank_rows_keeps_sheet_row_numbers(tables):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])
    ws.append([])
    ws.append(MEASURE_COLUMNS)
    ws.append(["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", "abc", "import", "B"])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(schema.ValidationError) as err:
        importing.read_import(buffer.getvalue(), "f.xlsx", tables)
    assert "ligne 4, colonne « valeur » (cellule H4) : nombre attendu (valeur « abc »)" in str(err.value)


# ------------------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_is_the_identity(tmp_path, demo_measures, tables, fmt):
    hostile = demo_measures.copy()
    # texts a spreadsheet would run are neutralised by the export and must come back as they were
    hostile.loc[hostile.index[0], "source"] = '=HYPERLINK("http://x";"A")'
    hostile.loc[hostile.index[1], "source"] = "'=déjà protégé"
    hostile.loc[hostile.index[2], "source"] = '-2+3 ; « guillemets » "doubles"'
    path = exporting.export_measures(hostile, tmp_path / f"mesures.{fmt}")
    # the bilan's own rows come back unchanged: they keep their origine (only the shipped bilan is the bilan)
    bilan = demo_measures[demo_measures["origine"] == "bilan"]
    assert not bilan.index.isin(hostile.index[:3]).any() and len(bilan)
    result = importing.read_import(path.read_bytes(), path.name, tables, bilan=bilan)
    expected = hostile[MEASURE_COLUMNS].reset_index(drop=True)
    got = result.frame
    assert len(got) == len(expected)
    for column in MEASURE_COLUMNS:
        if column == "valeur":
            np.testing.assert_array_equal(
                got[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float)
            )
        else:
            assert got[column].astype(str).tolist() == expected[column].astype(str).tolist(), column


# ------------------------------------------------------------------------------------------------- templates


def test_templates_are_accepted(tables):
    csv_result = _read(importing.template_csv(), "modele.csv", tables)
    xlsx_result = _read(importing.template_xlsx(tables), "modele.xlsx", tables)
    assert len(csv_result.frame) == 2
    pd.testing.assert_frame_equal(csv_result.frame, xlsx_result.frame)
    assert importing.template_csv().startswith("\ufeff".encode())
    assert importing.template_csv().decode("utf-8-sig").splitlines()[0] == HEADER


def test_template_codes_sheet_lists_every_code(tables, indicators_csv, labs_csv, bassin_departement):
    book = openpyxl.load_workbook(io.BytesIO(importing.template_xlsx(tables)))
    assert book.sheetnames == ["mesures", "codes"]
    rows = list(book["codes"].iter_rows(values_only=True))
    assert rows[0] == ("colonne", "code", "libellé", "précisions")
    codes: dict[str, set[str]] = {}
    for column, code, label, _ in rows[1:]:
        assert label, code
        codes.setdefault(column, set()).add(code)
    assert codes["indicateur"] == set(indicators_csv["id"])
    assert set(bassin_departement) <= codes["territoire_code"]
    assert set(labs_csv["code"]) <= codes["territoire_code"]
    assert {"54", "55", "57", "88", "nancy-metz"} <= codes["territoire_code"]
    assert codes["origine"] == set(schema.ORIGINS)
    assert codes["territoire_type"] == set(schema.TERRITORY_TYPES)
    assert {"ecole", "college", "tous"} <= codes["niveau"] and {"eleves", "tous"} <= codes["public"]
    assert {"webmedias", "hybridation_webmedias", "tous"} <= codes["thematique"]
    mesures = book["mesures"]
    assert [c.value for c in mesures[1]] == MEASURE_COLUMNS
    assert mesures["D3"].value == "54" and mesures["D3"].number_format == "@"  # code stays text
    assert isinstance(mesures["H3"].value, float)


# --------------------------------------------------------------------------------------------------- preview


def _measure(
    indicateur="ent_visites",
    periode="2023-2024",
    code="nancy-metz",
    public="tous",
    valeur=1.0,
    origine="import",
    source="S",
) -> dict:
    return {
        "indicateur": indicateur,
        "periode": periode,
        "territoire_type": "academie",
        "territoire_code": code,
        "niveau": "tous",
        "thematique": "tous",
        "public": public,
        "valeur": valeur,
        "origine": origine,
        "source": source,
    }


def test_preview_counts_and_sample_order():
    current = pd.DataFrame(
        [
            _measure(public="eleves", valeur=10.0),
            _measure(public="parents", valeur=20.0),
            _measure(public="enseignants", valeur=30.0, source="Ancienne"),
            _measure(periode="2022-2023", valeur=5.0),
            _measure(periode="2021-2022", valeur=7.0),  # not in the import
        ]
    ).assign(lot=1)  # more columns than the measures: allowed
    incoming = pd.DataFrame(
        [
            _measure(public="tous", valeur=100.0),  # new
            _measure(public="eleves", valeur=10.0),  # unchanged
            _measure(public="parents", valeur=21.0),  # value changed
            _measure(public="enseignants", valeur=30.0, source="Nouvelle"),  # source changed
            _measure(periode="2022-2023", valeur=5.0 * (1 + 1e-12)),  # within the tolerance: unchanged
            _measure(periode="2022-2023", public="eleves", valeur=2.0),  # new
        ]
    )
    result = importing.preview(incoming, current)
    assert (result.new, result.changed, result.unchanged, result.retired) == (2, 2, 2, 0)
    sample = result.sample
    assert list(sample.columns) == ["statut", *MEASURE_KEY, "ancienne_valeur", "nouvelle_valeur"]
    assert sample["statut"].tolist() == ["modifiée", "modifiée", "nouvelle", "nouvelle", "inchangée", "inchangée"]
    assert sample["public"].tolist() == ["parents", "enseignants", "tous", "eleves", "eleves", "tous"]
    assert sample.loc[0, "ancienne_valeur"] == 20.0 and sample.loc[0, "nouvelle_valeur"] == 21.0
    assert sample["ancienne_valeur"].isna().tolist() == [False, False, True, True, False, False]
    by = result.by_indicator.set_index(["indicateur", "periode"])
    assert list(result.by_indicator.columns) == ["indicateur", "periode", "nouvelles", "modifiees", "inchangees"]
    assert by.loc[("ent_visites", "2023-2024")].tolist() == [1, 2, 1]
    assert by.loc[("ent_visites", "2022-2023")].tolist() == [1, 0, 1]
    assert len(by) == 2


def test_preview_sample_is_capped_and_empty_current_means_all_new():
    incoming = pd.DataFrame([_measure(code=f"c{i}", valeur=float(i)) for i in range(250)])
    result = importing.preview(incoming, pd.DataFrame(columns=MEASURE_COLUMNS))
    assert (result.new, result.changed, result.unchanged) == (250, 0, 0)
    assert len(result.sample) == importing.SAMPLE_ROWS
    assert result.sample["territoire_code"].tolist()[:3] == ["c0", "c1", "c2"]


def test_preview_of_a_real_import_against_the_demo(tables, demo_measures):
    result = importing.read_import(importing.template_csv(), "modele.csv", tables)
    preview = importing.preview(result.frame, demo_measures)
    assert preview.new + preview.changed + preview.unchanged == 2


# ----------------------------------------------------------------------------------------------- performance


def test_half_a_million_rows_are_read(tables, monkeypatch):
    """A file of `MAX_ROWS` (500 000) distinct valid rows is read whole. Its speed is measured by
    bench/versions.py (`read_import` of a big CSV), never asserted here. The school years accepted are widened
    so that 500 000 distinct valid keys exist."""
    monkeypatch.setattr(importing, "MAX_BYTES", 100 * 1024 * 1024)
    academie = dataclasses.replace(config.academie(), annees_valides=("1900-1901", "2099-2100"))
    labs = [i for i in tables["indicateurs"]["id"] if i.startswith("labo_")]
    territories = (
        [("academie", academie.code)]
        + [("departement", c) for c in tables["departements"]["code"]]
        + [("bassin", c) for c in tables["bassins"]["code"]]
        + [("laboratoire", c) for c in tables["laboratoires"]["code"]]
    )
    niveaux = ["tous", "ecole", "college", "lycee", "lycee_pro"]
    themes = [
        "tous",
        *sorted(
            set(tables["thematiques"]["code"]) - {"tous"}
            & {
                "savoirs_fondamentaux",
                "sciences_numerique",
                "webmedias",
                "cooperations_transfrontalieres",
                "programmation_ia",
                "bien_etre_inclusion",
                "orientation_metiers",
                "bon_usage_numerique",
                "parentalite",
                "arts_patrimoine_culture",
            }
        ),
    ]
    keys = pd.MultiIndex.from_product(
        [labs, [f"{y}-{y + 1}" for y in range(1900, 2100)], range(len(territories)), niveaux, themes]
    )[: importing.MAX_ROWS].to_frame(index=False)
    keys.columns = ["indicateur", "periode", "t", "niveau", "thematique"]
    kinds = np.array([t for t, _ in territories])
    codes = np.array([c for _, c in territories])
    n = len(keys)
    frame = pd.DataFrame(
        {
            "indicateur": keys["indicateur"],
            "periode": keys["periode"],
            "territoire_type": kinds[keys["t"].to_numpy()],
            "territoire_code": codes[keys["t"].to_numpy()],
            "niveau": keys["niveau"],
            "thematique": keys["thematique"],
            "public": "tous",
            "valeur": (np.arange(n) % 1000).astype(str),
            "origine": "import",
            "source": "Fichier",
        }
    )
    data = frame.to_csv(sep=";", index=False).encode()
    result = importing.read_import(data, "grand.csv", tables, academie)
    assert len(result.frame) == n == importing.MAX_ROWS


def test_a_page_csv_with_its_about_block_is_imported_with_the_file_line_numbers(tables, demo_measures):
    """The « Données et sources » download starts with its « à propos » block: the import reads the table under
    it, and a problem is located at the line the spreadsheet shows."""
    from observatoire import exporting
    from observatoire.views.model import Context

    about = exporting.About(
        "Mesures", Context("Académie de Nancy-Metz", ("Département : 57 — Moselle",), "2023-2024", 3, "23/11/2026")
    )
    sample = demo_measures.head(5).reset_index(drop=True)
    data = exporting.to_csv_bytes(sample, about)
    text = data.decode("utf-8-sig")
    assert text.startswith("#")
    back = importing.read_import(data, "mesures-57.csv", tables)
    assert back.frame["valeur"].tolist() == sample["valeur"].tolist()
    assert back.frame["origine"].tolist() == sample["origine"].tolist()
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("indicateur;"))
    broken = lines[header + 2].split(";")
    broken[7] = "douze"
    lines[header + 2] = ";".join(broken)
    with pytest.raises(schema.ValidationError) as err:
        importing.read_import(("\n".join(lines) + "\n").encode("utf-8-sig"), "mesures-57.csv", tables)
    assert f"ligne {header + 3}, colonne « valeur »" in str(err.value)
