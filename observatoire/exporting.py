"""French exports of measures and tables: CSV (`;`, decimal comma, UTF-8 with BOM: French Excel opens it as is)
and XLSX.

Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some strip a leading tab
or carriage return first), so a text such as `=HYPERLINK("http://x";"A")` coming from a data file would become a
live formula in every export. Every text cell starting with one of those characters is written with a leading
apostrophe (`'=HYPERLINK…`), in CSV and in XLSX; XLSX text cells are always written as strings, never formulas.
Numbers stay numbers (a negative number is a number, not text). `read_export` removes exactly that apostrophe,
so an export read back gives the original text.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from observatoire.schema import MEASURE_COLUMNS

FORMATS = ("csv", "xlsx")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Texts that get the apostrophe: a trigger first, or apostrophes then a trigger (so that reading an export
# back, which removes one apostrophe, gives the original text in every case).
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r\n]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r\n]")


def neutralise(value: object) -> object:
    """`=1+1` → `'=1+1` for a text; any other value (numbers included) is returned unchanged."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def unneutralise(value: object) -> object:
    """Inverse of `neutralise` for a text read back from an export."""
    if isinstance(value, str) and _QUOTED.match(value):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot be taken for formulas (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        out[column] = series.astype(object).map(neutralise)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def _csv_value(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value).replace(".", ",")
    return "" if value is None else str(value)


def _one_line_end(value: object) -> object:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for French Excel: `;` separator, decimal comma, UTF-8 BOM, LF line ends, formulas neutralised."""
    out = neutralise_frame(frame)
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else _csv_value(float(v)))
        elif not pd.api.types.is_numeric_dtype(out[column]):
            # a bare CR inside a cell would end the row in Excel: CR → LF (the cell is then quoted)
            out[column] = out[column].map(_one_line_end)
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "mesures") -> bytes:
    """XLSX (openpyxl): texts neutralised and typed as strings, numbers as numbers, header frozen."""
    data = neutralise_frame(frame)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name=sheet[:31], index=False)
        ws = writer.sheets[sheet[:31]]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, never a formula, whatever it starts with
        for idx, column in enumerate(data.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in data[column].head(200)])
            ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = min(60, width + 2)
        ws.freeze_panes = "A2"
    return buffer.getvalue()


def export_measures(frame: pd.DataFrame, output: Path, fmt: str | None = None) -> Path:
    """Write measures in the canonical columns to `output` (format from `fmt` or the file suffix)."""
    fmt = (fmt or output.suffix.lstrip(".") or "csv").lower()
    if fmt not in FORMATS:
        raise ValueError(f"Format inconnu : « {fmt} » (formats possibles : csv, xlsx).")
    data = frame[MEASURE_COLUMNS]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(to_csv_bytes(data) if fmt == "csv" else to_xlsx_bytes(data))
    return output


def read_export(path: Path) -> pd.DataFrame:
    """Read back an export (CSV or XLSX) as text columns, ready for `schema.validate('mesures', …)`; the
    apostrophe that neutralised a formula-like text is removed."""
    from observatoire.reading import read_measures_csv

    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        frame["valeur"] = frame["valeur"].str.replace(",", ".", regex=False)
    else:
        frame = read_measures_csv(path)
    for column in frame.columns:
        if column != "valeur" and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(unneutralise)
    return frame
