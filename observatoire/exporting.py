"""French exports of measures and tables: CSV (`;`, decimal comma, UTF-8 with BOM: French Excel opens it as is)
and XLSX.

Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some strip a leading tab
or carriage return first), so a text such as `=HYPERLINK("http://x";"A")` coming from a data file would become a
live formula in every export. Every text cell starting with one of those characters is written with a leading
apostrophe (`'=HYPERLINK…`), in CSV and in XLSX; XLSX text cells are always written as strings, never formulas.
Numbers stay numbers (a negative number is a number, not text). `read_export` removes exactly that apostrophe,
so an export read back gives the original text.

What a file contains (every download button of the app; `About`): a file taken out of the page must say what it
shows. One set of rows (`about_rows`: Contenu, Indicateur, Unité, Filtres, Année scolaire — « Années scolaires »
for a table over several —, Version des données, Source, Données illustratives, Exporté le, Tableau de bord) is
written
- in XLSX, as a second sheet « À propos » (two columns: rubrique, valeur); the data stay alone on the first
  sheet, header in row 1 (the importer reads the sheet « mesures », else the first one);
- in CSV, as a block of lines at the top of the file, each starting with `#` (`# Filtres;Département : 57 —
  Moselle`), ended by ONE empty line, then the table (header, rows) exactly as without the block. French Excel
  shows the block as text rows above the table. A program skips it with `strip_about_block` (or: the lines
  before the first empty line, when the file starts with `#`); `read_export` does. The block has no line break
  inside a value, and its values are neutralised like any cell.
The CLI export (`export_measures`, for the data owner) has no block: a bare canonical table.

File names (`safe_file_name`, `export_file_name`): readable French, accents kept (NFC), only the characters no
file system accepts removed: « Visites de l'ENT par année scolaire — Moselle.csv ».
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from observatoire.schema import MEASURE_COLUMNS
from observatoire.views.model import Context

FORMATS = ("csv", "xlsx")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Texts that get the apostrophe: a trigger first, or apostrophes then a trigger (so that reading an export
# back, which removes one apostrophe, gives the original text in every case).
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r\n]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r\n]")

ABOUT_SHEET = "À propos"
ABOUT_MARK = "#"
"""First character of every line of the CSV « à propos » block (ended by one empty line)."""
DASHBOARD = "Observatoire du numérique éducatif"
TIMEZONE = ZoneInfo("Europe/Paris")
FILE_NAME_MAX = 120
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]+')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


# ------------------------------------------------------------------------------------------ what a file says


@dataclass(frozen=True)
class About:
    """What an exported file contains: its title, the view's `Context` (académie, filters, school year, data
    version), the indicator and its unit when there is one, the source and the illustrative flag."""

    title: str  # « Visites de l'ENT par année scolaire, par niveau »
    context: Context
    indicator: str = ""  # the indicator's French label (empty: several, or none)
    unit: str = ""
    source: str = ""  # « Source : … » or the bare sources
    illustrative: bool = False
    exported_at: dt.datetime | None = None  # default: now (Europe/Paris)
    school_years: str = ""  # the years the table covers, when several (`covering`); default: the view's year


_SCHOOL_YEAR = re.compile(r"^(\d{4})[-‑–](\d{4})$")


def covered_school_years(frame: pd.DataFrame) -> list[str]:
    """The school years a table spans, oldest first, when it has several: in one column (« 2019-2020 »…)
    or as column names (a year per column). Empty when it has one or none."""
    candidates = [{str(c) for c in frame.columns}]
    candidates += [_texts(frame[c]) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    for values in candidates:
        years = sorted({v.strip() for v in values if _SCHOOL_YEAR.match(v.strip())})
        if len(years) > 1:
            return years
    return []


def _texts(column: pd.Series) -> set[str]:
    """The distinct texts of a column (a column of objects may also hold lists or numbers: skipped)."""
    if pd.api.types.is_string_dtype(column) and column.dtype != object:
        return set(column.dropna().unique())
    return {v for v in column if isinstance(v, str)}


def covering(about: About, frame: pd.DataFrame) -> About:
    """`about` saying the school years `frame` covers when they are several (a multi-year table is not « one
    school year »)."""
    if about.school_years:  # already said (`components.common.view_about`): not computed twice
        return about
    years = covered_school_years(frame)
    if not years:
        return about
    return replace(about, school_years=f"{years[0]} à {years[-1]} ({len(years)} années scolaires)")


def french_datetime(moment: dt.datetime | None = None) -> str:
    """« 23/11/2026 à 05:12 » (Paris time; a naive datetime is taken as Paris time)."""
    moment = moment or dt.datetime.now(TIMEZONE)
    if moment.tzinfo is not None:
        moment = moment.astimezone(TIMEZONE)
    return moment.strftime("%d/%m/%Y à %H:%M")


def _one_line(value: object) -> str:
    return _SPACES.sub(" ", str(value)).strip()


def about_rows(about: About) -> list[tuple[str, str]]:
    """(rubrique, valeur) rows, the same in the XLSX « À propos » sheet and the CSV block; plain text, one line
    each (not neutralised yet)."""
    from observatoire.figures.cards import illustrative_explanation

    context = about.context
    source = _one_line(about.source)
    if source.lower().startswith("source :"):
        source = source.split(":", 1)[1].strip()
    illustrative = (
        f"oui — {illustrative_explanation(context.bilan)}"
        if about.illustrative
        else "non (valeurs du bilan, déduites ou importées)"
    )
    rows = [
        ("Contenu", about.title),
        ("Indicateur", about.indicator or "—"),
        ("Unité", about.unit or "—"),
        ("Filtres", context.filters_text),
        *([("Filtres non appliqués", " · ".join(context.not_applied))] if context.not_applied else []),
        *(
            [("Années scolaires", about.school_years)]
            if about.school_years
            else [("Année scolaire", context.school_year or "—")]
        ),
        ("Version des données", f"n° {context.version} du {context.version_date}"),
        ("Source", source or "non précisée"),
        ("Données illustratives", illustrative),
        ("Exporté le", french_datetime(about.exported_at)),
        ("Tableau de bord", f"{DASHBOARD} — {context.academie}"),
    ]
    if context.url:
        rows.append(("Lien de la vue", context.url))
    return [(label, _one_line(value)) for label, value in rows]


def _about_block(about: About) -> str:
    """The CSV « à propos » lines (`# rubrique;valeur`) and the empty line that ends the block."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(
        [f"{ABOUT_MARK} À propos de ce fichier", "lignes « # » ; le tableau commence après la ligne vide"]
    )
    for label, value in about_rows(about):
        writer.writerow([f"{ABOUT_MARK} {label}", neutralise(value)])
    return buffer.getvalue() + "\n"


def strip_about_block(text: str) -> str:
    """`text` (a CSV export, BOM or not) without its « à propos » block: when it starts with `#`, every line up
    to and including the first empty line is removed. A CSV without block is returned unchanged."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    if not body.startswith(ABOUT_MARK):
        return text
    lines = body.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.strip("\r\n"):
            return bom + "".join(lines[index + 1 :])
    return bom  # a block and no table


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


def _mixed_cell(value: object) -> object:
    """A cell of a text column (a masked column mixes `< 5` and numbers): a whole float is an integer (`6`,
    never `6.0`), another float keeps its decimals with a decimal comma in CSV; texts end lines with LF."""
    if isinstance(value, float) and not isinstance(value, bool):
        if value != value:  # NaN
            return ""
        return _csv_value(value)
    return _one_line_end(value)


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the whole floats of its text columns as ints (XLSX: a masked count `6`, never `6.0`)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: int(v) if isinstance(v, float) and v == v and v.is_integer() else v
            )
    return out


def to_csv_bytes(frame: pd.DataFrame, about: About | None = None) -> bytes:
    """CSV for French Excel: `;` separator, decimal comma, UTF-8 BOM, LF line ends, formulas neutralised; with
    `about`, the « à propos » block (`#` lines, one empty line) comes first."""
    out = neutralise_frame(frame)
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else _csv_value(float(v)))
        elif not pd.api.types.is_numeric_dtype(out[column]):
            # a bare CR inside a cell would end the row in Excel: CR → LF (the cell is then quoted); numbers
            # in a text column (masked counts beside « < 5 ») are written as numbers: 6, 12,5
            out[column] = out[column].map(_mixed_cell)
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", index=False, lineterminator="\n")
    block = _about_block(covering(about, frame)) if about is not None else ""
    return ("\ufeff" + block + buffer.getvalue()).encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "mesures", about: About | None = None) -> bytes:
    """XLSX (XlsxWriter): texts neutralised and written as strings (never a formula, whatever they start with),
    numbers as numbers, bold header frozen, columns as wide as their longest value (at most 60); with `about`, a
    second sheet « À propos » says what the first one contains. (60 000 measures: 2,7 to 4 s on the 2-core
    machine; openpyxl: ≈ 8,9 s.)"""
    import xlsxwriter

    data = neutralise_frame(_whole_numbers(frame))
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    book = xlsxwriter.Workbook(buffer, options)
    ws = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    formats = {
        "whole": book.add_format({"num_format": WHOLE_FORMAT}),
        "decimal": book.add_format({"num_format": DECIMAL_FORMAT}),
        "plain": None,
    }
    kinds = []
    for idx, column in enumerate(data.columns):
        longest = int(data[column].astype(str).str.len().max()) if len(data) else 0  # every value, not a sample
        kind = _number_kind(str(column), data[column])
        kinds.append(kind)
        if kind != "plain":  # room for the thousands separators (64 500 000)
            longest += longest // 3
        width = max(len(str(column)), longest)
        ws.set_column(idx, idx, min(60, width + 2))
        ws.write_string(0, idx, str(column), bold)
    ws.freeze_panes(1, 0)
    _print_setup(ws, header_rows=1)
    for row_number, row in enumerate(data.itertuples(index=False, name=None), start=1):
        for idx, value in enumerate(row):
            _write_cell(ws, row_number, idx, value, formats[kinds[idx]])
    if about is not None:
        _about_sheet(book, covering(about, frame))
    book.close()
    return buffer.getvalue()


WHOLE_FORMAT = "#,##0"
"""Thousands grouped: a French spreadsheet shows 64 500 000 (the separator is the reader's locale's)."""
DECIMAL_FORMAT = "#,##0.0#"
"""12,5 ; 1 234,25 (at most two decimals shown, the value kept whole)."""
_IDENTIFIER_COLUMNS = re.compile(
    r"(^|[\s_])(annee|année|an|mois|code|uai|rang|version|lot|id|numero|numéro|n°)($|[\s_])", re.IGNORECASE
)


def _number_kind(name: str, column: pd.Series) -> str:
    """How the numbers of a column are shown: « plain » for identifiers (a year 2023, a code, a rank: never
    « 2 023 »), « whole » when every number is whole, else « decimal »."""
    if _IDENTIFIER_COLUMNS.search(name) or pd.api.types.is_bool_dtype(column):
        return "plain"
    if pd.api.types.is_numeric_dtype(column):  # vectorised: a whole column of numbers
        values = column.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if not finite.size:
            return "plain"
        return "whole" if bool((finite == np.floor(finite)).all()) else "decimal"
    if column.dtype != object:  # texts, dates: no number to show
        return "plain"
    numbers = [v for v in column if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)]
    finite_list = [float(v) for v in numbers if math.isfinite(float(v))]
    if not finite_list:
        return "plain"
    return "whole" if all(v.is_integer() for v in finite_list) else "decimal"


def _print_setup(ws: Any, header_rows: int) -> None:
    """A sheet printed as people expect: A4 landscape, every column on one page wide, the header repeated on
    each page, « Page n / N » at the foot."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if header_rows:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_footer("&CPage &P / &N")


def _write_cell(ws: Any, row: int, column: int, value: Any, number_format: Any = None) -> None:
    """One data cell: nothing for a missing value, a string for a text, a number for a finite number (shown
    with `number_format`)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return
    if isinstance(value, str):  # line ends as a spreadsheet writes them in a cell (a lone CR would be escaped)
        ws.write_string(row, column, value.replace("\r\n", "\n").replace("\r", "\n"))
    elif isinstance(value, bool):
        ws.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        if math.isfinite(value):
            ws.write_number(row, column, value, number_format)
        elif value == value:  # ± infinity: said, as a text
            ws.write_string(row, column, str(value))
    else:
        ws.write_string(row, column, str(value))


def _about_sheet(book: Any, about: About) -> None:
    ws = book.add_worksheet(ABOUT_SHEET)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100)
    _print_setup(ws, header_rows=0)
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    header = book.add_format({"text_wrap": True, "valign": "top", "bold": True})
    for idx, text in enumerate(("Rubrique", "Valeur")):
        ws.write_string(0, idx, text, header)
    for row, (label, value) in enumerate(about_rows(about), start=1):
        shown = str(neutralise(value))
        ws.write_string(row, 0, label, wrap)
        ws.write_string(row, 1, shown, wrap)
        # as many lines as the wrapped texts need (LibreOffice keeps a row one line tall otherwise, the text
        # running over the next row)
        lines = max(math.ceil(len(label) / 22), math.ceil(len(shown) / 95), 1)
        if lines > 1:
            ws.set_row(row, 15 * lines)


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
    apostrophe that neutralised a formula-like text is removed, the CSV « à propos » block skipped."""
    from observatoire.reading import read_measures_csv

    if path.suffix.lower() == ".xlsx":  # the data sheet is the first one (« À propos » comes second)
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, engine="calamine")
        frame["valeur"] = frame["valeur"].str.replace(",", ".", regex=False)
    else:
        data = path.read_bytes()
        if data.removeprefix(b"\xef\xbb\xbf").startswith(ABOUT_MARK.encode()):  # the « à propos » block
            data = strip_about_block(data.decode("utf-8")).encode("utf-8")
        frame = read_measures_csv(data, path.name)
    for column in frame.columns:
        if column != "valeur" and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(unneutralise)
    return frame


# -------------------------------------------------------------------------------------------- file names


def safe_file_name(stem: str, extension: str, limit: int = FILE_NAME_MAX) -> str:
    """`stem.extension` readable and safe everywhere: accents kept (NFC), no `/ \\ : * ? " < > |`, no control
    or invisible characters, no leading or trailing dot or space, at most `limit` characters."""
    text = unicodedata.normalize("NFC", stem)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _FORBIDDEN.sub("-", text)
    text = _SPACES.sub(" ", text).strip(" .-")
    room = limit - len(extension) - 1
    if len(text) > room:
        cut = text[:room]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[room // 2 :] else cut).rstrip(" .-—–,")
    if not text or text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = f"observatoire {text}".strip()
    return f"{text}.{extension}"


def filter_values(filters: Sequence[str]) -> list[str]:
    """The values of French filter lines, labels only: « Département : 54 — Meurthe-et-Moselle, 57 — Moselle »
    → « Meurthe-et-Moselle, Moselle »; « Niveau : Collège » → « Collège »."""
    values = []
    for line in filters:
        value = line.split(" : ", 1)[1] if " : " in line else line
        items = [item.split(" — ", 1)[1] if " — " in item else item for item in value.split(", ")]
        values.append(", ".join(item.strip() for item in items))
    return values


def export_file_name(title: str, context: Context | None, extension: str) -> str:
    """« Visites de l'ENT par année scolaire — Moselle — Collège.csv »: the title, then the values of the active
    filters (no filter: the title alone), accents kept. The same for a table, its workbook and its chart."""
    parts = [title.strip(), *(filter_values(context.filters) if context is not None else [])]
    return safe_file_name(" — ".join(p for p in parts if p), extension)
