"""What an import refuses although it reads: `origine = bilan` (only the shipped bilan is the bilan), ambiguous
numbers (`1_000`; `1,234` on a count), numbers too close to zero (denormals), values outside their unit's range,
texts longer than a bound (per cell and per file) — each with a French message naming the cell; a bare CR
inside a quoted CSV field is a line break of the text (and a bare CR cutting a row is said as such). Pages name
sources with short labels whatever their length."""

from __future__ import annotations

import io

import openpyxl
import pytest

from observatoire import importing, schema, text
from observatoire.schema import MEASURE_COLUMNS
from observatoire.views.model import source_line

HEADER = ";".join(MEASURE_COLUMNS)


def _line(
    valeur: str = "1234",
    indicateur: str = "ent_visites",
    origine: str = "import",
    source: str = "Bilan",
    periode: str = "2023-2024",
) -> str:
    return f"{indicateur};{periode};academie;nancy-metz;tous;tous;tous;{valeur};{origine};{source}"


def _read(lines: list[str], tables, bilan=None) -> importing.ImportFile:
    return importing.read_import(("\n".join([HEADER, *lines]) + "\n").encode(), "x.csv", tables, bilan=bilan)


def _problems(lines: list[str], tables, bilan=None) -> list[schema.Problem]:
    with pytest.raises(schema.ValidationError) as caught:
        _read(lines, tables, bilan)
    return caught.value.problems


@pytest.fixture(scope="module")
def bilan(demo_measures):
    return demo_measures[demo_measures["origine"] == "bilan"]


# ---------------------------------------------------------------------------------------------- origine


def test_an_import_may_not_label_its_rows_bilan(reference_tables, bilan):
    problems = _problems(
        [_line(origine="bilan"), _line(origine="illustratif", periode="2022-2023")], reference_tables, bilan
    )
    assert [(p.line, p.column, p.cell) for p in problems] == [(2, "origine", "I2")]
    assert problems[0].message.startswith("origine « bilan » réservée au bilan livré avec l'application")
    assert (
        _problems([_line(origine="bilan")], reference_tables)[0].column == "origine"
    )  # default: the shipped file


def test_a_shipped_bilan_row_unchanged_keeps_its_origin(reference_tables, bilan):
    row = bilan[(bilan["indicateur"] == "ent_visites") & (bilan["public"] == "tous")].iloc[0]
    cells = [str(row[c]) for c in MEASURE_COLUMNS]
    cells[MEASURE_COLUMNS.index("valeur")] = f"{row['valeur']:.0f}"
    same = ";".join(cells)
    result = _read([same], reference_tables, bilan)
    assert result.frame["origine"].tolist() == ["bilan"]
    changed = same.replace(f";{row['valeur']:.0f};", ";70000000;")
    assert _problems([changed], reference_tables, bilan)[0].column == "origine"
    other_source = same.replace(f";{row['source']}", ";Ma source")
    assert _problems([other_source], reference_tables, bilan)[0].column == "origine"


# ---------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("1_000", "nombre ambigu : « _ » ne sépare pas les milliers"),
        (
            "1,234",
            "nombre ambigu pour un effectif (unité « visites ») : 1234 (« , » séparateur de milliers) ou 1,234 "
            "(virgule décimale) ? écrivez 1234 ou 1 234",
        ),
        (
            "1.234",
            "nombre ambigu pour un effectif (unité « visites ») : 1234 (« . » séparateur de milliers) ou 1,234",
        ),
        ("1.234.567", "séparateur de milliers « . » : écrivez 1234567 ou 1 234 567"),
        ("1e-320", "nombre trop proche de zéro (dénormalisé)"),
        ("1e-400", "nombre trop proche de zéro (lu 0)"),
        ("-5", "nombre hors de l'intervalle accepté : de 0 à 1 000 000 000 000"),
        ("2e12", "nombre hors de l'intervalle accepté"),
        ("inf", "nombre fini attendu"),
    ],
)
def test_ambiguous_tiny_and_out_of_range_numbers_are_refused(reference_tables, written, said):
    problems = _problems([_line(valeur=written)], reference_tables)
    assert len(problems) == 1 and (problems[0].line, problems[0].column, problems[0].cell) == (2, "valeur", "H2")
    assert said in problems[0].message, problems[0].message
    assert problems[0].value == written


def test_unambiguous_numbers_are_read(reference_tables):
    rate = "pix_taux_certification"
    lines = [
        _line(valeur="1 234,5"),
        _line(valeur="0,125", periode="2022-2023"),
        _line(valeur="1234.5", periode="2021-2022"),
        _line(valeur="1,234", indicateur=rate),
        _line(valeur="1e3", periode="2020-2021"),
    ]
    lines[3] = lines[3].replace(";tous;tous;tous;", ";college;tous;tous;")
    assert _read(lines, reference_tables).frame["valeur"].tolist() == [1234.5, 0.125, 1234.5, 1.234, 1000.0]


def test_a_rate_above_100_and_a_denormal_in_a_workbook_cell(reference_tables):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(MEASURE_COLUMNS)
    sheet.append(
        [
            "pix_taux_certification",
            "2023-2024",
            "academie",
            "nancy-metz",
            "college",
            "tous",
            "tous",
            100.5,
            "import",
            "PIX",
        ]
    )
    sheet.append(
        ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", 1e-320, "import", "ENT"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(buffer.getvalue(), "m.xlsx", reference_tables)
    problems = caught.value.problems
    assert [(p.line, p.cell) for p in problems] == [(2, "H2"), (3, "H3")]
    assert "taux hors de l'intervalle 0 à 100" in problems[0].message
    assert "dénormalisé" in problems[1].message


# ------------------------------------------------------------------------------------------------- texts


def test_texts_are_bounded_per_cell_and_per_file(reference_tables):
    long = "x" * (importing.MAX_SOURCE_LENGTH + 1)
    problems = _problems([_line(source=long), _line(periode="2022-2023", source="y" * 500)], reference_tables)
    assert [(p.line, p.column) for p in problems] == [(2, "source")]
    assert problems[0].message.startswith("texte trop long : 501 caractères, 500 au plus")
    assert len(str(problems[0])) < 400  # the value quoted is cut, never the whole text
    code = "a" * 65
    assert _problems([_line(indicateur=code)], reference_tables)[0].message.startswith("code trop long")
    # 120 distinct sources of 450 characters: 54 000 > 50 000 for the file
    many = [
        _line(valeur=str(i), source=f"{i:03d} " + "s" * 446, periode=f"{2016 + i % 15}-{2017 + i % 15}").replace(
            "academie;nancy-metz",
            [
                "departement;54",
                "departement;55",
                "departement;57",
                "departement;88",
                "academie;nancy-metz",
                "bassin;54-nancy",
                "bassin;57-metz",
                "bassin;88-epinal",
            ][i // 15],
        )
        for i in range(120)
    ]
    problems = _problems(many, reference_tables)
    assert [(p.line, p.column) for p in problems] == [(None, "source")]
    assert (
        "textes trop nombreux ou trop longs dans la colonne « source » : 120 textes différents, "
        "54\u202f000 caractères au total, 50\u202f000 caractères au plus par fichier" in problems[0].message
    )


def test_a_19_megabyte_source_is_refused_without_being_echoed(reference_tables):
    data = (HEADER + "\n" + _line(source="é" * 9_500_000) + "\n").encode()  # 19 Mo in UTF-8
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(data, "x.csv", reference_tables)
    assert caught.value.problems[0].message.startswith("texte trop long : 9\u202f500\u202f000 caractères")
    assert len(str(caught.value)) < 600


def test_pages_name_sources_with_short_labels():
    sources = [f"Source {i} " + "x" * 1_000 for i in range(30)]
    line = source_line(sources, ["import"] * 30)
    assert len(line) < (text.LABEL_CHARS + 3) * text.LABEL_ITEMS + 40
    assert line.endswith("; et 18 autres.") and "…" in line
    assert text.short_list(["a\nb", "a b", "c"]) == "a b ; c"  # one line each, distinct
    import pandas as pd

    from observatoire.figures import charts

    frame = pd.DataFrame(
        {
            "periode": ["2023-2024"],
            "groupe": ["tous"],
            "libelle": ["Total"],
            "valeur": [1.0],
            "sources": [" | ".join(sources)],
        }
    )
    table = charts.display_table(frame, "series", "visites")
    assert len(table.loc[0, "Source"]) < (text.LABEL_CHARS + 3) * text.LABEL_ITEMS + 20


# -------------------------------------------------------------------------------------- bare CR in a CSV


def test_a_bare_cr_inside_a_quoted_field_is_a_line_break_of_the_text(reference_tables):
    for end in ("\r\n", "\n", "\r"):
        data = end.join([HEADER, _line(source='"Bilan\rENT ; section 2"'), _line(periode="2022-2023")]) + end
        result = importing.read_import(data.encode(), "x.csv", reference_tables)
        assert result.frame["source"].tolist() == ["Bilan\nENT ; section 2", "Bilan"], repr(end)


def test_a_bare_cr_cutting_a_row_is_said_as_such(reference_tables):
    data = "\n".join([HEADER, _line(source='Bilan "ENT\r2024"'), _line(periode="2022-2023")]) + "\n"
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(data.encode(), "x.csv", reference_tables)
    message = caught.value.problems[0].message
    assert caught.value.problems[0].line == 3
    assert "la ligne 2 se termine par un retour chariot seul (CR)" in message
    assert "séparateur" not in message  # not the misleading « séparateur manquant ou en trop »
    closed = "\n".join([HEADER, _line(source='"Bilan\rENT" 2024')]) + "\n"
    with pytest.raises(schema.ValidationError) as caught:
        importing.read_import(closed.encode(), "x.csv", reference_tables)
    assert "guillemet mal placé" in str(caught.value) and "jamais refermé" not in str(caught.value)
