"""Fuzzing the importer (hypothesis, derandomised so that CI runs the same examples): whatever the bytes,
`read_import` returns measures in exactly the canonical columns or raises `schema.ValidationError` — never
another exception, never a crash of the process (calamine is only given workbooks checked first)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from observatoire import importing, schema
from observatoire.schema import MEASURE_COLUMNS

# hypothesis keeps caches in `.hypothesis/` of the working directory: keep the repository clean
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "observatoire-hypothesis")

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

VALID_ROWS = [
    ["ent_visites", "2023-2024", "academie", "nancy-metz", "tous", "tous", "tous", "1 234,5", "import", "Bilan"],
    ["ent_visites", "2023-2024", "bassin", "54-nancy", "tous", "tous", "eleves", "56", "", "Académie — bilan"],
    [
        "pix_taux_certification",
        "2023-2024",
        "departement",
        "54",
        "college",
        "tous",
        "tous",
        "72,5",
        "deduit",
        "Bilan « PIX »",
    ],
]
VALID_CSV = ("\n".join([";".join(MEASURE_COLUMNS)] + [";".join(r) for r in VALID_ROWS]) + "\n").encode("cp1252")


def _valid_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "mesures"
    ws.append(MEASURE_COLUMNS)
    for row in VALID_ROWS:
        ws.append([float(c.replace(" ", "").replace(",", ".")) if i == 7 else c for i, c in enumerate(row)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


VALID_XLSX = _valid_xlsx()


def _check(data: bytes, name: str, tables) -> None:
    try:
        result = importing.read_import(data, name, tables)
    except schema.ValidationError as err:
        text = str(err)
        assert text and "Traceback" not in text
        return
    assert list(result.frame.columns) == MEASURE_COLUMNS
    assert result.kind in ("csv", "xlsx")
    assert result.frame["origine"].isin(schema.ORIGINS).all()


def test_the_valid_seeds_are_accepted(reference_tables):
    assert len(importing.read_import(VALID_CSV, "m.csv", reference_tables).frame) == 3
    assert len(importing.read_import(VALID_XLSX, "m.xlsx", reference_tables).frame) == 3


# --------------------------------------------------------------------------------------------- raw bytes


@settings(FUZZ, max_examples=120)
@given(data=st.binary(max_size=3000), name=st.sampled_from(["f.csv", "f.xlsx", "f.xls", "f"]))
def test_arbitrary_bytes(reference_tables, data, name):
    _check(data, name, reference_tables)


@settings(FUZZ, max_examples=40)
@given(
    prefix=st.sampled_from(
        [
            b"PK\x03\x04",
            b"PK\x05\x06",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            b"%PDF",
            b"<html",
            b"<?xml",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
        ]
    ),
    rest=st.binary(max_size=2000),
)
def test_magic_prefixes(reference_tables, prefix, rest):
    _check(prefix + rest, "f.xlsx", reference_tables)


# ------------------------------------------------------------------------------------------ CSV-like text

CODES = [
    "ent_visites",
    "pix_taux_certification",
    "2023-2024",
    "2024-01",
    "academie",
    "bassin",
    "departement",
    "nancy-metz",
    "54",
    "54-nancy",
    "tous",
    "college",
    "eleves",
    "import",
    "bilan",
    "Bilan",
]
NUMBERS = st.one_of(
    st.integers(-(10**13), 10**13).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).replace(".", ",")),
    st.sampled_from(
        [
            "1 234,5",
            "1\u00a0234,5",
            "1\u202f234",
            "1.234,5",
            "12 abc",
            "",
            " ",
            "72,5 %",
            "1e400",
            "-0",
            "0x10",
            "١٢",
            "1_000",
        ]
    ),
)
CELLS = st.one_of(
    st.sampled_from(CODES), NUMBERS, st.text(max_size=12), st.text(alphabet="\";,\t\n\r'=", max_size=4)
)


@st.composite
def csv_like(draw) -> tuple[bytes, str]:
    sep = draw(st.sampled_from([";", ",", "\t", ";"]))
    columns = list(MEASURE_COLUMNS)
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.booleans()):
        columns = [c.upper() if draw(st.booleans()) else f" {c} " for c in columns]
    if draw(st.integers(0, 4)) == 0:
        columns = columns[: draw(st.integers(0, len(columns)))]
    width = st.lists(CELLS, min_size=max(len(columns) - 1, 0), max_size=len(columns) + 1)
    rows = draw(st.lists(width, max_size=8))

    def cell(value: str) -> str:
        if draw(st.booleans()) or any(c in value for c in (sep, '"', "\n")):
            return '"' + value.replace('"', '""') + '"' if draw(st.integers(0, 5)) else '"' + value
        return value

    text = "\n".join([sep.join(columns)] + [sep.join(cell(v) for v in row) for row in rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace"), encoding


@settings(FUZZ, max_examples=150)
@given(case=csv_like())
def test_csv_like_text(reference_tables, case):
    data, _ = case
    _check(data, "f.csv", reference_tables)


@settings(FUZZ, max_examples=60)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["ent_visites", "pix_taux_certification", "ent_visite"]),
            st.sampled_from(["2023-2024", "2022-2023", "2024-01", "2023/2024"]),
            st.sampled_from(
                [("academie", "nancy-metz"), ("departement", "54"), ("bassin", "54-nancy"), ("bassin", "54")]
            ),
            st.sampled_from(["tous", "college", "eleves"]),
            NUMBERS,
        ),
        min_size=1,
        max_size=10,
    )
)
def test_nearly_valid_measures(reference_tables, rows):
    lines = [";".join(MEASURE_COLUMNS)]
    for indicator, period, (ttype, code), level, value in rows:
        lines.append(
            ";".join(
                [indicator, period, ttype, code, level, "tous", "tous", value.replace(";", ""), "import", "Bilan"]
            )
        )
    _check("\n".join(lines).encode(), "f.csv", reference_tables)


# ------------------------------------------------------------------------------------- mutations of seeds


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 16))]
    return bytes(data)


@settings(FUZZ, max_examples=120)
@given(data=mutated(VALID_CSV))
def test_mutated_csv(reference_tables, data):
    _check(data, "f.csv", reference_tables)


@settings(FUZZ, max_examples=120)
@given(data=mutated(VALID_XLSX))
def test_mutated_xlsx(reference_tables, data):
    _check(data, "f.xlsx", reference_tables)


# where the file is cut: a byte count, or one relative to its length. The ids never depend on the file's size
# (it holds its creation time, so two pytest-xdist workers built files of different sizes: different test ids,
# « Different tests were collected », the whole run refused)
CUTS = {
    "0": lambda n: 0,
    "4": lambda n: 4,
    "30": lambda n: 30,
    "100": lambda n: 100,
    "moitie": lambda n: n // 2,
    "fin-22": lambda n: n - 22,
    "fin-1": lambda n: n - 1,
}


@pytest.mark.parametrize("cut", list(CUTS))
def test_truncated_xlsx(reference_tables, cut):
    _check(VALID_XLSX[: CUTS[cut](len(VALID_XLSX))], "f.xlsx", reference_tables)
