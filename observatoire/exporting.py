"""French exports of measures: CSV (`;`, decimal comma, UTF-8 with BOM: French Excel opens it as is) and XLSX."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from observatoire.schema import MEASURE_COLUMNS

FORMATS = ("csv", "xlsx")


def _csv_value(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value).replace(".", ",")
    return "" if value is None else str(value)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for French Excel: `;` separator, decimal comma, UTF-8 BOM, CRLF-free."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else _csv_value(float(v)))
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "mesures") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        ws = writer.sheets[sheet[:31]]
        for idx, column in enumerate(frame.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
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
    """Read back an export (CSV or XLSX) as text columns, ready for `schema.validate('mesures', …)`."""
    from observatoire.store import read_measures_csv

    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        frame["valeur"] = frame["valeur"].str.replace(",", ".", regex=False)
        return frame
    return read_measures_csv(path)
