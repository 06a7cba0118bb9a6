"""Reading the files DRANE staff import: measures in the canonical columns, as CSV or XLSX, read and validated.

`read_import(data, name, tables)` takes the raw bytes of a file and returns an `ImportFile` (validated measures in
exactly `schema.MEASURE_COLUMNS`, with its hash, size and a French description) or raises
`schema.ValidationError` whose problems name the file, the row (as the spreadsheet numbers it: header = line 1),
the column, the value written and what is expected. No other exception escapes for bad input.

- The kind is decided by the content, not the name: XLSX is a ZIP holding `xl/workbook.xml`; `.xls` (OLE2),
  `.ods`, `.xlsb`, PDF, images, web pages and other ZIP archives are refused with what to do instead; anything
  else is read as CSV text.
- CSV: `reading.decode` (UTF-8 strictly, then Windows-1252; BOM; UTF-16, NUL bytes and control characters
  refused), separator `;`, tab or `,` counted in the header line (which holds no number), then `reading.parse_csv`
  (quotes, field counts, file lines). With `,` a decimal comma must be quoted.
- XLSX (python-calamine, values only: a formula gives its cached value, none when it was never computed): the
  sheet named `mesures` (any case), else the first visible sheet; the first non-empty row is the header. Before
  calamine reads anything the archive is checked (sizes, compression, extent of every sheet): calamine allocates
  the whole rectangle of a sheet at once and aborts the process when it cannot, which one stray cell in XFD1048576
  would cause.
- Columns: the canonical names, trimmed, any case, in any order; `origine` optional (missing column or empty cell
  → `import`); unknown, missing or duplicate columns refused with the list expected. Code columns stay text
  (`09`, `2A`); in XLSX an integral number in a code column is read as its digits, a date or a boolean is refused.
  `valeur`: thousands separators (space, no-break space, narrow no-break space) and decimal comma accepted.
  A text starting with an apostrophe that neutralised a formula (`exporting.neutralise`) is read back without
  it, so that an export imported again is the identity.
- Validation is the single schema: `checks.validate_measures` (pandera model, codes against the reference
  tables, ranges, periods, declared breakdowns, duplicate keys); the values quoted for `valeur` are the ones
  written in the file.

`preview(incoming, current)` compares an import with the measures in force (new / changed / unchanged rows).
`template_csv()` and `template_xlsx(tables)` give files to fill in: the header, two valid example rows and, in
the workbook, a « codes » sheet listing every accepted code.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import functools
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatoire import checks, config, departements, exporting, reading, schema
from observatoire.schema import MEASURE_COLUMNS, MEASURE_KEY, Problem, Problems, ValidationError
from observatoire.text import cut as cut_text

MAX_BYTES = config.UPLOAD_LIMIT_BYTES
"""Largest file accepted (20 Mo: `config.UPLOAD_LIMIT_MB`, the limit the page states and the server enforces)."""
MAX_ROWS = 500_000
"""Largest number of data rows accepted."""
MAX_UNZIPPED = 512 * 1024 * 1024
"""Largest total size of an XLSX once decompressed (a 500 000-row sheet is about 300 Mo of XML)."""
MAX_SHEET_COLUMNS = 32
"""Widest sheet accepted (column AF): ten columns are expected."""
ROW_SLACK = 1_000
"""Rows a sheet may hold beyond `MAX_ROWS` data rows (header, blank or title rows above it)."""

TABLE = "mesures"
OPTIONAL_COLUMNS = ("origine",)
DEFAULT_ORIGIN = "import"
TEXT_COLUMNS = [c for c in MEASURE_COLUMNS if c != "valeur"]
CODE_COLUMNS = [c for c in TEXT_COLUMNS if c != "source"]
EXPECTED_COLUMNS = ", ".join(MEASURE_COLUMNS)
EXPECTED = f"colonnes attendues : {EXPECTED_COLUMNS} (« origine » facultative, dans n'importe quel ordre)"
EXPECTED_HINT = "un classeur .xlsx ou un fichier .csv des mesures (modèle téléchargeable) est attendu"
SAVE_AS = "enregistrez le fichier au format .xlsx (Classeur Excel) ou .csv (CSV séparateur point-virgule)"
STATUSES = ("modifiée", "nouvelle", "inchangée")
SAMPLE_ROWS = 200

_SEPARATORS = (";", "\t", ",")  # in order of preference when the header counts are equal
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 8 * 1024 * 1024
_WIDE_REF = re.compile(rb'r="([A-Z]{2,})[0-9]')


def _refuse(
    message: str, file: str, line: int | None = None, column: str | None = None, value: str | None = None
) -> ValidationError:
    return ValidationError([Problem(TABLE, line, column, value, message, file=file)])


def _count(n: int, word: str) -> str:
    """`1 234 lignes` (narrow no-break space between thousands), `1 ligne`."""
    return f"{n:,}".replace(",", "\u202f") + f" {word}{'s' if n > 1 else ''}"


def _mebibytes(n: int) -> str:
    """`20,0 Mo`, `12,5 Ko` or `100 octets`."""
    if n < 1024:
        return _count(n, "octet")
    unit, size = ("Ko", n / 1024) if n < 1024 * 1024 else ("Mo", n / 1024 / 1024)
    return f"{size:.1f}".replace(".", ",") + f" {unit}"


# ------------------------------------------------------------------------------------------------ result


@dataclass(frozen=True, eq=False)
class ImportFile:
    """A file read and validated: `frame` holds exactly `schema.MEASURE_COLUMNS`. `notices`: what was read
    differently from the file as written, said in French (a title row skipped, a column ignored…)."""

    name: str
    sha256: str
    size: int
    kind: str  # "csv" or "xlsx"
    frame: pd.DataFrame
    details: str  # « CSV, séparateur « ; », encodage Windows-1252, 1 234 lignes »
    notices: tuple[str, ...] = ()


def read_import(
    data: bytes,
    name: str,
    tables: dict[str, pd.DataFrame],
    academie: config.Academie | None = None,
    bilan: pd.DataFrame | None = None,
) -> ImportFile:
    """Read and validate an imported file (CSV or XLSX, decided by the content). Raises `schema.ValidationError`
    (French problems naming the file, the line, the column — with the cell, `H5` — and the value) listing every
    problem of the file at once: structure (rows with a wrong number of fields, missing or duplicate columns),
    cells of a wrong type, codes, values, periods (the first `schema.MAX_LISTED`, all counted).

    `bilan`: the bilan figures shipped with the application (default: `shipped_bilan()`, read from
    `data/demo/chiffres_bilan.csv`): a row may keep `origine = bilan` only when it is one of them, unchanged (an
    export imported again); an empty frame: no row may."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"bytes attendus, reçu {type(data).__name__}")
    name = str(name or "import")
    size = len(data)
    if size == 0:
        raise _refuse("fichier vide (0 octet)", name)
    if size > MAX_BYTES:
        raise _refuse(
            f"fichier trop volumineux : {_mebibytes(size)}, {_mebibytes(MAX_BYTES)} au plus ; "
            "découpez-le (par exemple une année scolaire par fichier)",
            name,
        )
    notices: list[str] = []
    structure = Problems()  # rows with a wrong number of fields: reported with every other problem
    if _is_zip(data):
        kind = "xlsx"
        raw, types, typed_wrong, details, header_line = _read_xlsx(data, name, notices)
    else:
        _refuse_other_formats(data, name)
        kind = "csv"
        raw, details, header_line = _read_csv(data, name, notices, structure)
        types, typed_wrong = Problems(), set()
    academie = academie or config.academie()
    columns = _canonical(raw, name, notices, academie, header_line)
    frame, written = columns.frame, columns.written
    catalogues = checks.measure_catalogues(tables, academie)
    if bilan is None:
        bilan = shipped_bilan(academie.code)
    rules, dropped, refused_values = _import_rules(frame, written, catalogues, bilan, name, columns.missing)
    if len(refused_values):  # reported once: the row's other cells are still checked
        frame.loc[refused_values, "valeur"] = "0"
    others = [p for p in (structure, columns.problems, types, rules) if p]
    frame = frame.drop(index=frame.index.intersection(pd.Index(sorted(typed_wrong | dropped))))
    valid = None
    validation: ValidationError | None = None
    if not frame.empty or not others:
        try:
            valid = checks.validate_measures(frame, tables, academie, file=name, missing=columns.missing)
        except ValidationError as err:
            validation = _quote_written_values(err, written, catalogues)
    if validation is not None or others:
        error = schema.merge_errors(*others, *([validation] if validation is not None else []))
        raise _with_cells(error, columns.letters, notices) from None
    assert valid is not None
    valid = valid.reset_index(drop=True)
    return ImportFile(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        kind=kind,
        frame=valid,
        details=f"{details}, {_count(len(valid), 'ligne')}",
        notices=tuple(notices),
    )


def _with_cells(err: ValidationError, letters: dict[str, str], notices: list[str]) -> ValidationError:
    """Each problem of a row and a known column names its cell as the spreadsheet does (`H5`); the notices of
    the reading (title row skipped, column ignored) go with the error (`err.notices`)."""
    problems = [
        dataclasses.replace(p, cell=f"{letters[p.column]}{p.line}")
        if p.cell is None and p.line is not None and p.column in letters
        else p
        for p in err.problems
    ]
    out = ValidationError(problems, err.count)
    out.valid = err.valid
    out.notices = tuple(notices)  # type: ignore[attr-defined]
    return out


_PERIOD_TYPO = re.compile(r"^\s*(\d{4})\s*[-/_. ]\s*(\d{2}|\d{4})\s*$")


def period_hint(value: str) -> str:
    """« , vouliez-vous dire « 2024-2025 » ? » for `2024/2025`, `2024-25`, `2024 2025` ("" otherwise)."""
    match = _PERIOD_TYPO.match(value or "")
    if not match:
        return ""
    start, end = int(match.group(1)), match.group(2)
    if len(end) == 2 and int(end) == (start + 1) % 100 or len(end) == 4 and int(end) == start + 1:
        return f", vouliez-vous dire « {start}-{start + 1} » ?"
    return ""


def _quote_written_values(err: ValidationError, written: pd.Series, catalogues: dict) -> ValidationError:
    """Problems of `valeur` quote the value as written in the file (`12 abc`, not the cleaned `12abc`); a code
    refused for its format (`ENT_VISITES`) gets the suggestion an unknown code gets, a period typed `2024/2025`
    or `2024-25` the school year it means."""
    problems = []
    for p in err.problems:
        allowed = catalogues.get(p.column or "")
        if p.value and p.line is not None and isinstance(allowed, set) and p.message.startswith("format"):
            hint = schema.close_match_hints(pd.Series([p.value]), allowed).iloc[0]
            p = dataclasses.replace(p, message=p.message + hint)
        if p.column == "periode" and p.value and p.message.startswith("format"):
            p = dataclasses.replace(p, message=p.message + period_hint(p.value))
        if p.column == "valeur" and p.line is not None and (p.line - 2) in written.index:
            value = written.at[p.line - 2]
            value = (
                None
                if value is None or (isinstance(value, float) and np.isnan(value))
                else _french_number(value)
                if isinstance(value, (int, float))
                else str(value)
            )
            message = p.message
            if value and "%" in value and message.startswith("nombre attendu"):
                message += " : écrivez le taux sans « % » (72,5 pour 72,5 %)"
            p = dataclasses.replace(p, value=value, message=message)
        problems.append(p)
    out = ValidationError(problems, err.count)
    out.valid = err.valid
    return out


# ------------------------------------------------------------------------------------- rules of an import

MAX_SOURCE_LENGTH = 500
"""Longest `source` text of one row (the bilan's longest is 213 characters)."""
MAX_CODE_LENGTH = 64
"""Longest code (indicateur, territoire, niveau, thématique, public, origine, période): the catalogues' longest
is 32 characters."""
MAX_SOURCES_CHARS = 50_000
"""Total length of the distinct `source` texts of one file: every page that names the sources of what it shows
stays small whatever was imported."""
_AMBIGUOUS_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})*$")
_EXPONENT = re.compile(r"^[+-]?(\d*[.,]?\d*)[eE][+-]?\d+$")
BILAN_RESERVED = (
    "origine « bilan » réservée au bilan livré avec l'application : laissez la cellule vide "
    "(origine « import ») ; seule une ligne identique à un chiffre du bilan la garde"
)


def _import_rules(
    frame: pd.DataFrame,
    written: pd.Series,
    catalogues: dict,
    bilan: pd.DataFrame | None,
    name: str,
    missing: set[str],
) -> tuple[Problems, set[int], pd.Index]:
    """What an import may not contain although a data file of `data/` may (`check` keeps its own rules):
    texts longer than `MAX_SOURCE_LENGTH` / `MAX_CODE_LENGTH` or more than `MAX_SOURCES_CHARS` of distinct
    sources, ambiguous numbers (`1_000`; `1,234` or `1.234` for a count), a number written so small that it
    reads as 0, and `origine = bilan` on a row that is not a shipped bilan figure. Returns the problems, the
    rows not to validate further (a text too long: its other checks would only repeat it) and the rows whose
    `valeur` was refused here (the caller does not check it again)."""
    frames: list[pd.DataFrame] = []
    dropped: set[int] = set()
    for column in TEXT_COLUMNS:
        if column in missing:
            continue
        limit = MAX_SOURCE_LENGTH if column == "source" else MAX_CODE_LENGTH
        lengths = frame[column].astype(str).str.len()
        long = lengths > limit
        if long.any():
            what = "texte" if column == "source" else "code"
            extra = " ; une référence courte suffit (document, section, calcul)" if column == "source" else ""
            message = (
                f"{what} trop long : "
                + lengths[long].map(lambda n: _count(int(n), "caractère"))
                + f", {limit} au plus{extra}"
            )
            frames.append(schema.rows_frame(TABLE, frame.index[long], column, frame.loc[long, column], message))
            dropped.update(int(i) for i in frame.index[long])
    if "source" not in missing:
        distinct = frame["source"].astype(str).drop_duplicates()
        distinct = distinct[distinct.str.len() <= MAX_SOURCE_LENGTH]  # the longer ones are refused above
        total = int(distinct.str.len().sum())
        if total > MAX_SOURCES_CHARS:
            texts = _count(len(distinct), "texte") + (" différents" if len(distinct) > 1 else " différent")
            frames.append(
                schema.rows_frame(
                    TABLE,
                    pd.Index([None]),
                    "source",
                    None,
                    (
                        f"textes trop nombreux ou trop longs dans la colonne « source » : {texts}, "
                        f"{_count(total, 'caractère')} au total, {_count(MAX_SOURCES_CHARS, 'caractère')} au "
                        "plus par fichier ; citez la même source pour les lignes d'un même document (par exemple "
                        "« Statistiques ENT 2024-2025 »)"
                    ),
                )
            )
    refused_values = pd.Index([])
    if "valeur" not in missing:
        numbers = [f for f in _ambiguous_numbers(frame, written, catalogues) if not f.empty]
        frames.extend(numbers)
        if numbers:
            lines = pd.concat(numbers)["line"].dropna().astype("int64").unique()
            refused_values = frame.index.intersection(pd.Index(lines - 2))
    frames.extend(_reserved_bilan(frame, bilan))
    problems = Problems()
    frames = [f for f in frames if not f.empty]
    if frames:
        problems.add_frame(TABLE, pd.concat(frames, ignore_index=True), name)
    return problems, dropped, refused_values


def _ambiguous_numbers(frame: pd.DataFrame, written: pd.Series, catalogues: dict) -> list[pd.DataFrame]:
    text = written.map(lambda v: isinstance(v, str))
    if not text.any():
        return []
    cells = written[text].astype(str).str.strip()
    compact = cells.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
    frames = []
    underscore = compact.str.contains("_", regex=False)
    frames.append(
        schema.rows_frame(
            TABLE,
            cells.index[underscore],
            "valeur",
            cells[underscore],
            "nombre ambigu : « _ » ne sépare pas les milliers dans un tableur ; écrivez 1000 ou 1 000",
        )
    )
    units = frame.loc[cells.index, "indicateur"].map(catalogues.get("unites", {}))
    count = units.notna() & ~units.isin(schema.DECIMAL_UNITS)
    grouped = compact.str.match(_AMBIGUOUS_THOUSANDS) & count & ~underscore
    if grouped.any():
        cells_g, compact_g = cells[grouped], compact[grouped]
        mark = compact_g.str.extract(_AMBIGUOUS_THOUSANDS)[0]
        digits = compact_g.str.replace(r"[.,]", "", regex=True).str.lstrip("+")
        spaced = digits.map(lambda d: f"{int(d):,}".replace(",", " ") if d.lstrip("-").isdigit() else d)
        single = compact_g.str.count(r"[.,]") == 1
        decimal = compact_g.str.replace(".", ",", regex=False)
        unit = units[grouped].astype(str)
        message = (
            "nombre ambigu pour un effectif (unité « "
            + unit
            + " ») : "
            + digits
            + " (« "
            + mark
            + " » séparateur de milliers) ou "
            + decimal
            + " (virgule décimale) ? écrivez "
            + digits
            + " ou "
            + spaced
        )
        message = message.where(
            single, "séparateur de milliers « " + mark + " » : écrivez " + digits + " ou " + spaced
        )
        frames.append(schema.rows_frame(TABLE, cells_g.index, "valeur", cells_g, message))
    exponent = compact.str.match(_EXPONENT) & ~underscore
    if exponent.any():
        values = pd.to_numeric(compact[exponent].str.replace(",", ".", regex=False), errors="coerce")
        mantissa = compact[exponent].str.extract(_EXPONENT)[0].str.contains(r"[1-9]", regex=True)
        underflow = (values == 0) & mantissa
        frames.append(
            schema.rows_frame(
                TABLE,
                values.index[underflow],
                "valeur",
                cells[values.index[underflow]],
                "nombre trop proche de zéro (lu 0) : écrivez 0 ou la valeur exacte",
            )
        )
    return frames


@functools.lru_cache(maxsize=2)
def _bilan_files(measures: str, figures: str, code: str) -> pd.DataFrame:
    frames = []
    try:  # the demo measures: the bilan's figures and the breakdowns it gives, as shipped
        shipped = reading.read_measures_csv(Path(measures))
        frames.append(shipped.loc[shipped["origine"] == "bilan", MEASURE_COLUMNS])
    except (ValidationError, OSError):
        pass
    try:  # the bilan's figures as typed from the report
        bilan = checks.read_bilan_figures(Path(figures))
        bilan.insert(2, "territoire_type", "academie")
        bilan.insert(3, "territoire_code", code)
        frames.append(bilan.loc[bilan["origine"] == "bilan", MEASURE_COLUMNS])
    except (ValidationError, OSError):  # no bilan shipped (another académie's data folder): none is the bilan
        pass
    if not frames:
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    return pd.concat(frames, ignore_index=True).drop_duplicates(subset=MEASURE_KEY).reset_index(drop=True)


def shipped_bilan(code: str | None = None) -> pd.DataFrame:
    """The bilan's own figures as the application ships them (rows of origin `bilan` of `data/demo/mesures.csv`
    and `data/demo/chiffres_bilan.csv`): the only rows an import may label `bilan`, and only unchanged."""
    return _bilan_files(
        str(config.DEMO_MEASURES), str(config.DEMO_DIR / "chiffres_bilan.csv"), code or config.academie().code
    ).copy()


def _reserved_bilan(frame: pd.DataFrame, bilan: pd.DataFrame | None) -> list[pd.DataFrame]:
    claimed = frame["origine"] == "bilan"
    if not claimed.any():
        return []
    rows = frame.loc[claimed]
    allowed = np.zeros(len(rows), dtype=bool)
    if bilan is not None and not bilan.empty:
        key = list(MEASURE_KEY)
        shipped = (
            bilan[[*key, "valeur", "source"]]
            .drop_duplicates(subset=key)
            .rename(columns={"valeur": "_valeur", "source": "_source"})
        )
        merged = (
            rows[[*key, "valeur", "source"]]
            .astype({c: str for c in key})
            .merge(shipped.astype({c: str for c in key}), on=key, how="left")
        )
        new = pd.to_numeric(merged["valeur"], errors="coerce").to_numpy(dtype=float)
        old = pd.to_numeric(merged["_valeur"], errors="coerce").to_numpy(dtype=float)
        allowed = (np.isclose(new, old, rtol=1e-12, atol=0.0) & (merged["source"] == merged["_source"])).to_numpy()
    refused = rows.index[~allowed]
    return [schema.rows_frame(TABLE, refused, "origine", frame.loc[refused, "origine"], BILAN_RESERVED)]


# ------------------------------------------------------------------------------------------- kind of file


def _is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _refuse_other_formats(data: bytes, name: str) -> None:
    """Formats that are not text: refused with what to do (the CSV reader refuses the other binary files)."""
    head = data[:1024]
    if head.startswith(_OLE2):
        raise _refuse(
            "classeur Excel 97-2003 (.xls) ou classeur protégé par mot de passe : ce format n'est pas "
            f"accepté ; ouvrez-le dans Excel (sans mot de passe) et {SAVE_AS}",
            name,
        )
    if head.startswith(b"%PDF"):
        raise _refuse(f"document PDF : les valeurs d'un PDF ne peuvent pas être importées ; {EXPECTED_HINT}", name)
    images = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
    if head.startswith(images) or (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
        raise _refuse(f"image : {EXPECTED_HINT}", name)
    if head.startswith((b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!")):
        raise _refuse(
            f"archive compressée (gzip, 7z, rar) : décompressez-la et importez le fichier qu'elle "
            f"contient ; {EXPECTED_HINT}",
            name,
        )
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<table", b"<meta")):
        raise _refuse(
            "page web (HTML), peut-être une page enregistrée avec l'extension .xls : ouvrez-la dans "
            f"Excel et {SAVE_AS}",
            name,
        )
    if start.startswith(b"<?xml") or start.startswith(b"<"):
        what = (
            "classeur XML Excel 2003"
            if b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]
            else "fichier XML"
        )
        raise _refuse(f"{what} : ce format n'est pas accepté ; {SAVE_AS}", name)
    if start.startswith(b"{\\rtf"):
        raise _refuse(f"document RTF (traitement de texte) : {EXPECTED_HINT}", name)


# -------------------------------------------------------------------------------------------------- CSV


def detect_separator(header_line: str) -> str:
    """`;`, tab or `,`: the one the header line (names only, no number) holds most often."""
    counts = {sep: header_line.count(sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: (counts[sep], -_SEPARATORS.index(sep)))
    return best if counts[best] else ";"


def _encoding_label(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "UTF-8 avec BOM"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "Windows-1252"
    return "UTF-8"


HEADER_SEARCH_ROWS = 20
"""Non-empty rows searched for the header row: the rows above it are a title (skipped, with a notice)."""
HEADER_MIN_NAMES = 2
"""A row naming at least this many canonical columns is the header."""


def _header_key(cell: object) -> str:
    """A header cell as a column name: trimmed, lower case, accents dropped, spaces and dashes as `_`
    (« Période » → `periode`, « Territoire type » → `territoire_type`)."""
    text = unicodedata.normalize("NFD", _header_name(cell).strip().lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[\s\-]+", "_", text)


def _header_score(cells: Sequence[object]) -> int:
    return len({_header_key(c) for c in cells} & set(MEASURE_COLUMNS))


def _title_notice(lines: list[int], header_line: int, title: str) -> str:
    """« Ligne 1 ignorée : … » for the non-empty rows above the header."""
    quoted = f" (« {cut_text(title, 80)} »)" if title.strip() else ""
    if len(lines) == 1:
        return (
            f"Ligne {lines[0]} ignorée{quoted} : elle est au-dessus de l'en-tête des colonnes (ligne "
            f"{header_line}), elle est lue comme un titre."
        )
    return (
        f"Lignes {lines[0]} à {lines[-1]} ignorées{quoted} : elles sont au-dessus de l'en-tête des colonnes "
        f"(ligne {header_line}), elles sont lues comme un titre."
    )


def _shifted(problems: Problems | ValidationError, offset: int) -> ValidationError:
    listed = problems.problems if isinstance(problems, ValidationError) else problems.listed
    return ValidationError(
        [dataclasses.replace(p, line=p.line + offset) if p.line is not None else p for p in listed], problems.count
    )


def _read_csv(data: bytes, name: str, notices: list[str], structure: Problems) -> tuple[pd.DataFrame, str, int]:
    """The table of a CSV (index = file line - 2), its details, the file line of its header. Rows with a wrong
    number of fields go to `structure`; title lines above the header are skipped with a notice."""
    try:
        text = reading.decode(data, TABLE, name)
    except ValidationError:
        if name.lower().endswith((".xlsx", ".xlsm")):
            raise _refuse(
                "le fichier porte l'extension .xlsx mais n'est pas un classeur Excel lisible (fichier "
                f"endommagé ou tronqué ?) ; {SAVE_AS}",
                name,
            ) from None
        raise
    # a CSV downloaded from a page starts with its « à propos » block (`# …` lines, then an empty line): read
    # the table under it, with the line numbers of the file as the spreadsheet shows them
    table = exporting.strip_about_block(text)
    offset = text.count("\n") - table.count("\n") if table != text else 0
    text = table
    text, skipped = _skip_title_lines(text, offset, notices)
    offset += skipped
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    sep = detect_separator(first)
    found = Problems()
    try:
        frame = reading.parse_csv(text, TABLE, name, sep=sep, blank_names=True, collect=found)
    except ValidationError as err:
        if not offset:
            raise
        raise _shifted(err, offset) from None
    if found:
        structure.extend(_shifted(found, offset) if offset else found)
    frame.index = frame.index + offset
    header = next(csv.reader([first], delimiter=sep), [])
    if len(header) == len(frame.columns):
        frame.columns = header  # as written: pandas names an empty header « Unnamed: 10 »
    _check_row_count(len(frame), name)
    return (frame, f"CSV, séparateur {reading.separator_label(sep)}, encodage {_encoding_label(data)}", offset + 1)


def _skip_title_lines(text: str, offset: int, notices: list[str]) -> tuple[str, int]:
    """`text` from its header line on, and the number of lines removed above it: the header is the first of
    the first `HEADER_SEARCH_ROWS` non-blank lines naming `HEADER_MIN_NAMES` canonical columns. Without one,
    `text` as is (the header check says what it found on line 1)."""
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
        if len(starts) > 4 * HEADER_SEARCH_ROWS:
            break
    non_blank = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        line = text[start:end].rstrip("\r\n")
        if not line.strip():
            continue
        non_blank += 1
        if non_blank > HEADER_SEARCH_ROWS:
            break
        cells = next(csv.reader([line], delimiter=detect_separator(line)), [])
        if _header_score(cells) >= HEADER_MIN_NAMES:
            if index == 0:
                return text, 0
            titles = [i for i in range(index) if text[starts[i] : starts[i + 1]].strip()]
            if titles:
                first_line = text[starts[titles[0]] : starts[titles[0] + 1]].rstrip("\r\n")
                sep = detect_separator(first_line)
                title = " ".join(c.strip() for c in next(csv.reader([first_line], delimiter=sep), []) if c.strip())
                notices.append(_title_notice([offset + i + 1 for i in titles], offset + index + 1, title))
            return text[start:], index
    return text, 0


def _check_row_count(rows: int, name: str) -> None:
    if rows > MAX_ROWS:
        raise _refuse(
            f"trop de lignes : {_count(rows, 'ligne')} de données, {_count(MAX_ROWS, 'ligne')} au "
            "plus ; découpez le fichier (par exemple une année scolaire par fichier)",
            name,
        )


# ------------------------------------------------------------------------------------------------- XLSX


def _column_number(letters: bytes) -> int:
    number = 0
    for c in letters:
        number = number * 26 + (c - 64)
    return number


def _row_candidates(limit: int) -> re.Pattern[bytes]:
    """Cell or row references whose row number may exceed `limit` (a cheap prefilter, checked exactly)."""
    digits = str(limit)
    return re.compile(
        rb'r="[A-Z]{0,3}([1-9][0-9]{%d,}|[%s-9][0-9]{%d})"' % (len(digits), digits[0].encode(), len(digits) - 1)
    )


def _member_chunks(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Decompressed content of a ZIP member, chunk by chunk, whatever size its header declares."""
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("local header")
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for i in range(0, len(raw), _CHUNK):
            yield bytes(raw[i : i + _CHUNK])
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    for i in range(0, len(raw), 1 << 20):
        yield inflater.decompress(raw[i : i + (1 << 20)], _CHUNK)
        while inflater.unconsumed_tail:
            yield inflater.decompress(inflater.unconsumed_tail, _CHUNK)
    yield inflater.flush()


def _check_workbook(data: bytes, name: str) -> None:
    """A ZIP that is an XLSX workbook of a reasonable size and extent, else refused (see the module docstring:
    calamine must never be given a sheet it cannot hold in memory)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = {i.filename for i in infos}
        mimetype = (
            archive.read("mimetype")[:200]
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200
            else b""
        )
    except Exception:  # noqa: BLE001 - any damage of an untrusted archive
        raise _refuse(
            f"archive ZIP illisible (fichier tronqué ou endommagé ?) ; un classeur .xlsx est attendu : {SAVE_AS}",
            name,
        ) from None
    if b"opendocument.spreadsheet" in mimetype:
        raise _refuse(f"classeur LibreOffice / OpenOffice (.ods) : ce format n'est pas accepté ; {SAVE_AS}", name)
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise _refuse(f"document OpenDocument (texte, présentation…) : {EXPECTED_HINT}", name)
    if "xl/workbook.bin" in names:
        raise _refuse(f"classeur Excel binaire (.xlsb) : ce format n'est pas accepté ; {SAVE_AS}", name)
    if "xl/workbook.xml" not in names:
        what = (
            "document Word"
            if "word/document.xml" in names
            else "présentation PowerPoint"
            if "ppt/presentation.xml" in names
            else "archive ZIP"
        )
        raise _refuse(f"{what}, pas un classeur Excel : {EXPECTED_HINT}", name)
    if any(i.flag_bits & 0x1 for i in infos):
        raise _refuse(f"classeur chiffré (protégé par mot de passe) : retirez le mot de passe et {SAVE_AS}", name)
    total = sum(i.file_size for i in infos)
    too_big = _refuse(
        f"classeur trop volumineux une fois décompressé (plus de {_mebibytes(MAX_UNZIPPED)}) ; "
        "découpez-le (par exemple une année scolaire par fichier)",
        name,
    )
    if total > MAX_UNZIPPED:
        raise too_big
    row_limit = MAX_ROWS + ROW_SLACK
    candidates = _row_candidates(row_limit)
    too_long = _refuse(
        f"trop de lignes : une feuille du classeur s'étend au-delà de la ligne "
        f"{_count(row_limit, 'ligne')[:-7]} ; {_count(MAX_ROWS, 'ligne')} de données au plus, "
        "découpez le fichier (par exemple une année scolaire par fichier)",
        name,
    )
    inflated = 0
    for info in infos:
        sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        if not sheet and info.filename != "xl/sharedStrings.xml":
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(
                f"classeur compressé d'une manière non prise en charge ; ouvrez-le dans Excel et {SAVE_AS}", name
            )
        rows = 0
        tail = b""
        try:
            for chunk in _member_chunks(data, info):
                inflated += len(chunk)
                if inflated > MAX_UNZIPPED:
                    raise too_big
                if not sheet:
                    continue
                text = tail + chunk
                cut = text.rfind(b"<")
                body, tail = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
                rows += body.count(b"<row") + body.count(b":row ")
                wide = _WIDE_REF.findall(body) if _WIDE_REF.search(body) else []
                widest = max((_column_number(w) for w in wide), default=0)
                if widest > MAX_SHEET_COLUMNS:
                    raise _refuse(
                        "feuille trop large : des cellules vont jusqu'à la colonne "
                        f"{wide[0].decode()} ou au-delà ; {len(MEASURE_COLUMNS)} colonnes sont "
                        f"attendues ({EXPECTED_COLUMNS}), supprimez les autres colonnes",
                        name,
                    )
                if rows > row_limit or (
                    candidates.search(body) and any(int(n) > row_limit for n in candidates.findall(body))
                ):
                    raise too_long
        except (zlib.error, zipfile.BadZipFile, struct.error):
            raise _refuse(
                f"classeur endommagé (archive ZIP corrompue) ; ouvrez-le dans Excel et {SAVE_AS}", name
            ) from None


def _calamine_failed(err: BaseException, name: str) -> ValidationError:
    if isinstance(err, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise err
    if type(err).__name__ == "PasswordError":
        return _refuse(f"classeur protégé par mot de passe : retirez le mot de passe et {SAVE_AS}", name)
    return _refuse(f"classeur Excel illisible (fichier endommagé ?) ; ouvrez-le dans Excel et {SAVE_AS}", name)


def _visible_sheets(workbook: Any) -> list[str]:
    """Visible worksheets, in the workbook's order (all the sheets when the metadata cannot be read)."""
    try:
        found = [
            meta.name
            for meta in workbook.sheets_metadata
            if str(meta.visible).endswith("Visible") and str(meta.typ).endswith("WorkSheet")
        ]
    except Exception:  # noqa: BLE001 - metadata is a convenience: fall back to every sheet
        found = []
    return found or list(workbook.sheet_names)


def _pick_sheet(workbook: Any) -> str:
    names = list(workbook.sheet_names)
    if not names:
        raise ValueError("no sheet")
    for sheet in names:
        if sheet.strip().lower() == TABLE:
            return sheet
    return _visible_sheets(workbook)[0]


def _header_row(rows: list[list[object]]) -> int | None:
    """Index of the header row: the first of the first `HEADER_SEARCH_ROWS` non-empty rows that names
    `HEADER_MIN_NAMES` canonical columns."""
    seen = 0
    for index, row in enumerate(rows):
        if all(_blank(c) for c in row):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            return None
        if _header_score(row) >= HEADER_MIN_NAMES:
            return index
    return None


def _sheet_rows(workbook: Any, sheet: str, nrows: int | None = None) -> list[list[object]]:
    if nrows is None:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)


def _listed(sheets: list[str]) -> str:
    return ", ".join(f"« {s} »" for s in sheets)


def _read_xlsx(data: bytes, name: str, notices: list[str]) -> tuple[pd.DataFrame, Problems, set[int], str, int]:
    """The sheet of the measures as a frame of cells (index = sheet row - 2), the problems of cells of a wrong
    type and their rows (index), details, the sheet row of the header.

    The sheet is the one named « mesures » (any case), else the first visible one — or, when that one has no
    header row and exactly one other sheet has, that other sheet (said in a notice). Non-empty rows above the
    header are a title: skipped with a notice."""
    _check_workbook(data, name)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = _pick_sheet(workbook)
        rows = _sheet_rows(workbook, sheet)
        header_at = _header_row(rows)
        others = [s for s in _visible_sheets(workbook) if s != sheet]
        with_header = (
            []
            if header_at is not None
            else [s for s in others if _header_row(_sheet_rows(workbook, s, 4 * HEADER_SEARCH_ROWS)) is not None]
        )
        named = sheet.strip().lower() == TABLE
        if header_at is None and len(with_header) == 1 and not named:
            notices.append(
                f"Feuille « {with_header[0]} » lue : la feuille « {sheet} » n'a pas la ligne d'en-tête "
                f"des colonnes des mesures, « {with_header[0]} » l'a."
            )
            sheet, others = with_header[0], [s for s in others if s != with_header[0]] + [sheet]
            rows = _sheet_rows(workbook, sheet)
            header_at = _header_row(rows)
    except BaseException as err:  # noqa: BLE001 - calamine raises its own errors and pyo3 panics
        raise _calamine_failed(err, name) from None
    where = f"feuille « {sheet} »"
    first = next((i for i, row in enumerate(rows) if any(not _blank(c) for c in row)), None)
    if first is None:
        listed = f" (autres feuilles : {_listed(others)})" if others else ""
        advice = (
            f" ; la feuille {_listed(with_header)} contient des mesures : nommez-la « mesures »"
            if with_header
            else ""
        )
        raise _refuse(f"{where} vide : aucune mesure{listed}{advice}", name)
    if header_at is None:
        found = ", ".join(f"« {h} »" for h in (_header_name(c) for c in rows[first]) if h)[:200]
        if len(with_header) > 1:
            advice = (
                f" ; les feuilles {_listed(with_header)} contiennent des mesures : nommez « mesures » celle "
                "à importer"
            )
        else:
            advice = f" ; autres feuilles du classeur, sans en-tête non plus : {_listed(others)}" if others else ""
        raise _refuse(
            f"{where} : ligne d'en-tête introuvable dans les {HEADER_SEARCH_ROWS} premières lignes non "
            f"vides ({EXPECTED_COLUMNS}) ; première ligne : {found or 'vide'}{advice} — est-ce le bon "
            "fichier ? Le modèle XLSX de la page donne l'en-tête attendu",
            name,
            line=first + 1,
        )
    titles = [i for i in range(first, header_at) if any(not _blank(c) for c in rows[i])]
    if titles:
        title = " ".join(_header_name(c).strip() for c in rows[titles[0]] if not _blank(c))
        notices.append(_title_notice([i + 1 for i in titles], header_at + 1, title))
    header = [_header_name(c) for c in rows[header_at]]
    body = rows[header_at + 1 :]
    width = len(header)
    frame = (
        pd.DataFrame(body, columns=range(width), dtype=object)
        if body
        else pd.DataFrame(columns=range(width), dtype=object)
    )
    frame.index = pd.RangeIndex(header_at + 1, header_at + 1 + len(body)) - 1  # sheet row - 2
    frame.columns = header
    blank = (frame.eq("") | frame.isna()).all(axis=1).to_numpy()  # calamine gives "" for an empty cell
    frame = frame.loc[~blank]
    _check_row_count(len(frame), name)
    types = Problems()
    wrong: set[int] = set()
    cells = {}
    for position, column in enumerate(frame.columns):
        cells[position] = _typed_column(frame.iloc[:, position], column, types, wrong, name)
    out = pd.DataFrame(cells, index=frame.index)
    out.columns = frame.columns
    return out, types, wrong, f"XLSX, {where}", header_at + 1


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header_name(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return "" if cell is None else str(cell)


_DATE_TYPES = (dt.date, dt.datetime, dt.time, dt.timedelta)


def _typed_column(series: pd.Series, column: object, types: Problems, wrong: set[int], name: str) -> pd.Series:
    """Cells of one column: texts kept, numbers as numbers in `valeur` and as their digits elsewhere, dates and
    booleans reported (Excel turns `2024-01` typed in a cell into a date)."""
    label = _header_key(column)
    kinds = series.map(type)
    if kinds.isin([str]).all():
        return series
    out = series.copy()
    numeric = kinds.isin([float, int])
    if label != "valeur" and numeric.any():
        values = series[numeric].astype(float)
        finite = np.isfinite(values) & (values.abs() < 1e15)
        integral = finite & (values == np.floor(values))
        text = values.map(repr)
        text[integral] = values[integral].astype("int64").astype(str)
        out[numeric] = text
    odd = ~kinds.isin([str, float, int, type(None)])
    for index, cell in series[odd].items():
        out.at[index] = None
        wrong.add(int(index))
        if isinstance(cell, bool):
            expected = "nombre attendu" if label == "valeur" else "texte attendu"
            message = f"valeur logique (VRAI/FAUX) : {expected}"
            value = "VRAI" if cell else "FAUX"
        elif isinstance(cell, _DATE_TYPES):
            value = cell.isoformat() if hasattr(cell, "isoformat") else str(cell)
            if label == "valeur":
                message = "date ou durée : nombre attendu (format de cellule « Nombre » ou « Standard »)"
            elif label == "periode":
                message = (
                    "date : Excel a converti la période en date ; texte « AAAA-AAAA » ou « AAAA-MM » "
                    "attendu (format de cellule « Texte » avant la saisie, ou saisissez '2024-01)"
                )
            else:
                message = "date : texte attendu (format de cellule « Texte »)"
        else:
            message, value = "type de cellule non pris en charge : texte ou nombre attendu", str(cell)
        types.add(Problem(TABLE, int(index) + 2, str(column), value, message, file=name))
    return out


# ---------------------------------------------------------------------------------------- columns, values


def column_letter(position: int) -> str:
    """Spreadsheet name of the column at `position` (from 0): 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class _Columns:
    """The file's cells as canonical measures: `frame` (every column of `MEASURE_COLUMNS`, the missing ones
    filled by `checks.placeholder_frame`), `valeur` as written, the header's problems, the missing columns and
    the spreadsheet letter of each canonical column read."""

    frame: pd.DataFrame
    written: pd.Series
    problems: Problems
    missing: set[str]
    letters: dict[str, str]


def _canonical(
    raw: pd.DataFrame, name: str, notices: list[str], academie: config.Academie, header_line: int = 1
) -> _Columns:
    """Cells of the file → canonical measures frame (text columns, `valeur` cleaned). Columns are recognised
    by name (any case, accents, spaces or dashes for `_`); a column that is not a measure column, or has no
    name but values, is ignored with a notice; a missing or duplicate column is a problem of the header, and
    the other columns are still checked."""
    names = [str(c).strip() for c in raw.columns]
    keys = [_header_key(c) for c in raw.columns]
    problems = Problems()
    seen: dict[str, int] = {}
    unnamed: list[str] = []
    for position, key in enumerate(keys):
        letter = column_letter(position)
        if not key:
            if not raw.iloc[:, position].map(_blank).all():
                unnamed.append(letter)  # an empty column without a name (Excel's trailing cells): silently
            continue
        if key in seen:
            problems.add(
                Problem(
                    TABLE,
                    header_line,
                    names[position],
                    None,
                    "colonne en double dans l'en-tête "
                    f"(déjà en colonne {column_letter(seen[key])}) : une seule colonne « {key} » est "
                    "attendue",
                    file=name,
                    cell=f"{letter}{header_line}",
                )
            )
            continue
        seen[key] = position
    if not set(seen) & set(MEASURE_COLUMNS):
        found = ", ".join(f"« {c} »" for c in names if c)[:200]
        raise _refuse(
            f"en-tête attendu à la ligne {header_line} ({EXPECTED_COLUMNS}), trouvé : {found} — est-ce "
            "le bon fichier, et le séparateur est-il « ; », « , » ou une tabulation ?",
            name,
            line=header_line,
        )
    unknown = [k for k in seen if k not in MEASURE_COLUMNS]
    missing = [c for c in MEASURE_COLUMNS if c not in seen and c not in OPTIONAL_COLUMNS]
    for column in missing:
        close = difflib.get_close_matches(column, unknown, n=1, cutoff=0.7)
        hint = ""
        if close:
            position = seen[close[0]]
            hint = (
                f" ; la colonne « {names[position]} » ({column_letter(position)}) est-elle « {column} » ? "
                "renommez-la"
            )
            unknown.remove(close[0])
        problems.add(Problem(TABLE, header_line, column, None, f"colonne manquante ; {EXPECTED}{hint}", file=name))
    ignored = []
    for key in unknown:
        position = seen[key]
        close = difflib.get_close_matches(key, OPTIONAL_COLUMNS, n=1, cutoff=0.7)
        hint = f", vouliez-vous dire « {close[0]} » ?" if close else ""
        ignored.append(f"« {names[position]} » ({column_letter(position)}){hint}")
    ignored += [f"sans nom ({letter}, elle contient des valeurs)" for letter in unnamed]
    if ignored:
        several = len(ignored) > 1
        notices.append(
            ("Colonnes ignorées : " if several else "Colonne ignorée : ")
            + ", ".join(ignored)
            + (
                " — ce ne sont pas des colonnes des mesures"
                if several
                else " — ce n'est pas une colonne des mesures"
            )
            + f" ({EXPECTED_COLUMNS} ; « origine » facultative)."
        )
    present = [c for c in MEASURE_COLUMNS if c in seen]
    frame = pd.DataFrame({column: raw.iloc[:, seen[column]] for column in present}, index=raw.index)
    if "origine" not in frame:
        frame["origine"] = DEFAULT_ORIGIN
    for column in TEXT_COLUMNS:
        if column not in frame:
            continue
        values = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
        apostrophe = values.str.startswith("'")
        if apostrophe.any():  # a formula neutralised by an export: read back as written before
            values[apostrophe] = values[apostrophe].map(exporting.unneutralise)
        if column in CODE_COLUMNS:
            values = values.str.strip()
        frame[column] = values
    frame["origine"] = frame["origine"].mask(frame["origine"] == "", DEFAULT_ORIGIN)
    if {"territoire_type", "territoire_code"} <= set(frame.columns):
        _departement_codes(frame, academie, notices)
    if "valeur" in frame:
        written = frame["valeur"].copy()
        frame["valeur"] = _clean_numbers(frame["valeur"])
    else:
        written = pd.Series(None, index=frame.index, dtype=object)
    frame = checks.placeholder_frame(frame, set(missing), academie)
    letters = {column: column_letter(position) for column, position in seen.items() if column in MEASURE_COLUMNS}
    return _Columns(frame, written, problems, set(missing), letters)


def _departement_codes(frame: pd.DataFrame, academie: config.Academie, notices: list[str]) -> None:
    """Département codes as a spreadsheet may leave them (`1` for `01`: the number lost its leading zero; `2a`
    for `2A`) read as the académie's code, with a notice; any other code is checked as written."""
    rows = frame["territoire_type"] == "departement"
    if not rows.any():
        return
    written = frame.loc[rows, "territoire_code"]
    fixed = written.map(departements.normalize)
    changed = fixed.notna() & (fixed != written) & fixed.isin(list(academie.departements))
    if not changed.any():
        return
    frame.loc[changed[changed].index, "territoire_code"] = fixed[changed]
    pairs = dict.fromkeys(f"« {w} » lu « {f} »" for w, f in zip(written[changed], fixed[changed]))
    shown = list(pairs)[:5]
    more = f" et {len(pairs) - len(shown)} autre(s)" if len(pairs) > len(shown) else ""
    notices.append(
        f"Codes de département complétés ({_count(int(changed.sum()), 'ligne')}) : "
        + ", ".join(shown)
        + more
        + " (un tableur efface le zéro initial d'un code saisi comme un "
        "nombre : saisissez les codes en texte)."
    )


def _clean_numbers(values: pd.Series) -> pd.Series:
    """`valeur`: numbers kept, texts through `reading.clean_values` (thousands separators, decimal comma)."""
    text = values.map(lambda v: isinstance(v, str))
    if text.all():
        return reading.clean_values(pd.DataFrame({"valeur": values}))["valeur"]
    out = values.astype(object).copy()
    if text.any():
        out[text] = reading.clean_values(pd.DataFrame({"valeur": values[text]}))["valeur"]
    return out.where(out.notna(), None)


# ------------------------------------------------------------------------------------------------ preview


@dataclass(frozen=True, eq=False)
class Preview:
    """What an import would change: counts, counts per indicator and period, and a sample of rows."""

    new: int
    changed: int
    unchanged: int
    retired: int = 0  # measures the import would withdraw (none for now: an import only adds or replaces)
    by_indicator: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    sample: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


def preview(incoming: pd.DataFrame, current: pd.DataFrame) -> Preview:
    """Compare an import (`ImportFile.frame`) with the measures in force (`current`, canonical columns, maybe
    more), by `schema.MEASURE_KEY`. A row is « modifiée » when its value differs (relative tolerance 1e-9) or its
    origine or source differs, « nouvelle » when its key is not in `current`, « inchangée » otherwise."""
    key = list(MEASURE_KEY)
    inc = incoming[MEASURE_COLUMNS].reset_index(drop=True).copy()
    cur = current[[*key, "valeur", "origine", "source"]].drop_duplicates(subset=key, keep="last").copy()
    for frame in (inc, cur):
        for column in [*key, "origine", "source"]:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
    cur = cur.rename(columns={"valeur": "ancienne_valeur", "origine": "_origine", "source": "_source"})
    merged = inc.merge(cur, on=key, how="left", indicator="_present", sort=False)
    exists = (merged["_present"] == "both").to_numpy()
    new_value = merged["valeur"].to_numpy(dtype=float)
    old_value = merged["ancienne_valeur"].to_numpy(dtype=float)
    same = np.isclose(new_value, old_value, rtol=1e-9, atol=0.0) | (np.isnan(new_value) & np.isnan(old_value))
    differs = (
        ~same
        | (merged["origine"] != merged["_origine"]).to_numpy()
        | (merged["source"] != merged["_source"]).to_numpy()
    )
    changed = exists & differs
    status = np.where(~exists, "nouvelle", np.where(changed, "modifiée", "inchangée"))
    merged["statut"] = status
    counts = pd.DataFrame(
        {
            "indicateur": merged["indicateur"],
            "periode": merged["periode"],
            "nouvelles": status == "nouvelle",
            "modifiees": status == "modifiée",
            "inchangees": status == "inchangée",
        }
    )
    by_indicator = (
        counts.groupby(["indicateur", "periode"], sort=True)[["nouvelles", "modifiees", "inchangees"]]
        .sum()
        .astype("int64")
        .reset_index()
    )
    rank = pd.Series(status).map({s: i for i, s in enumerate(STATUSES)}).to_numpy()
    order = np.argsort(rank, kind="stable")[:SAMPLE_ROWS]
    sample = (
        merged.iloc[order][["statut", *key, "ancienne_valeur", "valeur"]]
        .rename(columns={"valeur": "nouvelle_valeur"})
        .reset_index(drop=True)
    )
    sample["ancienne_valeur"] = sample["ancienne_valeur"].astype(float)
    sample["nouvelle_valeur"] = sample["nouvelle_valeur"].astype(float)
    return Preview(
        new=int((status == "nouvelle").sum()),
        changed=int(changed.sum()),
        unchanged=int((status == "inchangée").sum()),
        retired=0,
        by_indicator=by_indicator,
        sample=sample,
    )


STATUS_LABELS = {"nouvelle": "Nouvelle", "modifiée": "Modifiée", "inchangée": "Inchangée"}


def _label(labels: Any, dimension: str, code: str) -> str:
    if labels is None:
        return code
    if isinstance(labels, dict):
        return labels.get(code, code) if dimension == "indicateur" else code
    return labels.of(dimension, code)


def summary_table(preview: Preview, labels: Any = None) -> pd.DataFrame:
    """Counts per indicator and period, French headers, indicator labels (`labels`: a `labels.Labels`, or an
    indicator code → label mapping)."""
    from observatoire.text import plain

    return pd.DataFrame(
        {
            "Indicateur": [plain(_label(labels, "indicateur", i)) for i in preview.by_indicator["indicateur"]],
            "Période": preview.by_indicator["periode"].to_list(),
            "Nouvelles": preview.by_indicator["nouvelles"].to_list(),
            "Modifiées": preview.by_indicator["modifiees"].to_list(),
            "Inchangées": preview.by_indicator["inchangees"].to_list(),
        }
    )


def sample_table(preview: Preview, labels: Any = None) -> pd.DataFrame:
    """The sample as a person reads it: statut in French, labels (`labels.Labels`: territories, niveaux,
    thèmes, publics too), old and new values next to what they are about, written in French with every digit
    (text columns: a new row's old value is an empty cell, never « None » nor « nan »)."""
    from observatoire.figures.formatting import exact
    from observatoire.text import plain
    from observatoire.views.changes import territory_label

    sample = preview.sample

    def territory(ttype: str, code: str) -> str:
        if labels is None or isinstance(labels, dict):
            return f"{ttype} {code}"
        return territory_label(ttype, code, labels)

    return pd.DataFrame(
        {
            "Statut": sample["statut"].map(STATUS_LABELS).fillna(sample["statut"]).astype(str).to_list(),
            "Indicateur": [plain(_label(labels, "indicateur", i)) for i in sample["indicateur"]],
            "Période": sample["periode"].astype(str).to_list(),
            "Territoire": [
                plain(territory(str(t), str(c)))
                for t, c in zip(sample["territoire_type"], sample["territoire_code"], strict=True)
            ],
            "Ancienne valeur": [exact(v) for v in sample["ancienne_valeur"]],
            "Nouvelle valeur": [exact(v) for v in sample["nouvelle_valeur"]],
            "Niveau": [plain(_label(labels, "niveau", str(v))) for v in sample["niveau"]],
            "Thématique": [plain(_label(labels, "thematique", str(v))) for v in sample["thematique"]],
            "Public": [plain(_label(labels, "public", str(v))) for v in sample["public"]],
        }
    )


# ---------------------------------------------------------------------------------------------- templates

EXAMPLE_SOURCE = "Exemple : remplacez par la source de la valeur"
TERRITORY_LABELS = {
    "academie": "Académie",
    "departement": "Département",
    "bassin": "Bassin d'éducation et de formation",
    "laboratoire": "Laboratoire numérique",
}
ORIGIN_LABELS = {
    "bilan": "Chiffre exact du bilan d'activité",
    "deduit": "Valeur déduite du bilan (rapport, somme, différence : calcul dans « source »)",
    "illustratif": "Valeur illustrative générée",
    "import": "Valeur importée (par défaut quand la colonne ou la cellule est vide)",
}


def _shipped_tables() -> dict[str, pd.DataFrame]:
    """The indicator catalogue of `data/reference` (enough to write the example rows)."""
    path = config.REFERENCE_DIR / schema.TABLES["indicateurs"].filename
    return {"indicateurs": schema.validate("indicateurs", reading.read_table_file("indicateurs", path))}


def _example_year(academie: config.Academie) -> str:
    start = int(academie.annee_reference[:4]) + 1
    year = f"{start}-{start + 1}"
    last = academie.annees_valides[1]
    return year if not last or year <= last else academie.annee_reference


def example_rows(tables: dict[str, pd.DataFrame], academie: config.Academie | None = None) -> list[dict[str, Any]]:
    """Two rows valid with the reference tables: a count at académie level and, when the catalogue has one, a
    rate by département (detailed by niveau when declared). `valeur` is a number."""
    academie = academie or config.academie()
    ind = tables["indicateurs"]
    annual = ind[ind["granularite"] == "annuelle"]
    annual = annual if len(annual) else ind
    year = _example_year(academie)
    first = annual.iloc[0]
    period = year if first["granularite"] == "annuelle" else f"{int(year[:4]) + 1}-01"
    rows = [
        dict(
            zip(
                MEASURE_COLUMNS,
                [
                    first["id"],
                    period,
                    "academie",
                    academie.code,
                    config.ALL,
                    config.ALL,
                    config.ALL,
                    1234.0,
                    DEFAULT_ORIGIN,
                    EXAMPLE_SOURCE,
                ],
                strict=True,
            )
        )
    ]
    by_dep = annual[annual["territoires"].str.split("|").map(lambda t: "departement" in t)]
    rates = by_dep[by_dep["unite"] == schema.RATE_UNIT]
    pool = rates if len(rates) else by_dep
    if len(pool) and academie.departements:
        second = pool.iloc[0]
        niveau = config.ALL if second["niveaux"] == schema.NOT_DETAILED else str(second["niveaux"]).split("|")[0]
        departement = next(iter(academie.departements))
        rows.append(
            dict(
                zip(
                    MEASURE_COLUMNS,
                    [
                        second["id"],
                        year,
                        "departement",
                        departement,
                        niveau,
                        config.ALL,
                        config.ALL,
                        72.5,
                        DEFAULT_ORIGIN,
                        EXAMPLE_SOURCE,
                    ],
                    strict=True,
                )
            )
        )
    else:
        rows.append({**rows[0], "periode": academie.annee_reference, "valeur": 1000.0})
    return rows


def _french_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value)).replace(".", ",")


def template_csv(tables: dict[str, pd.DataFrame] | None = None, academie: config.Academie | None = None) -> bytes:
    """A CSV to fill in: header of `schema.MEASURE_COLUMNS` and two example rows (`;`, decimal comma, UTF-8 with
    BOM so that French Excel opens it as is). Default tables: the shipped indicator catalogue."""
    rows = example_rows(tables if tables is not None else _shipped_tables(), academie)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(MEASURE_COLUMNS)
    for row in rows:
        writer.writerow([_french_number(row[c]) if c == "valeur" else row[c] for c in MEASURE_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _code_rows(tables: dict[str, pd.DataFrame], academie: config.Academie) -> list[list[str]]:
    """Rows of the « codes » sheet: colonne, code, libellé, précisions."""
    out: list[list[str]] = []
    ind = tables["indicateurs"]
    for _, row in ind.iterrows():
        details = [
            f"unité : {row['unite']}",
            f"granularité : {row['granularite']}"
            + (" (période AAAA-MM)" if row["granularite"] == "mensuelle" else " (période AAAA-AAAA)"),
            f"territoires : {str(row['territoires']).replace('|', ', ')}",
        ]
        for dim, column in schema.DIMENSION_COLUMNS.items():
            value = str(row[column])
            details.append(
                f"{dim} : "
                + ("tous seulement" if value == schema.NOT_DETAILED else "tous, " + value.replace("|", ", "))
            )
        out.append(["indicateur", str(row["id"]), str(row["libelle"]), " ; ".join(details)])
    first, last = academie.annees_valides
    span = f" de {first} à {last}" if first and last else ""
    out.append(
        [
            "periode",
            "AAAA-AAAA",
            "Année scolaire (indicateurs annuels), par exemple 2023-2024",
            f"années acceptées{span}",
        ]
    )
    out.append(
        [
            "periode",
            "AAAA-MM",
            "Mois (indicateurs mensuels), par exemple 2024-01",
            f"mois des années scolaires acceptées{span}",
        ]
    )
    for ttype, label in TERRITORY_LABELS.items():
        out.append(["territoire_type", ttype, label, ""])
    out.append(["territoire_code", academie.code, academie.nom, "type : academie"])
    names = dict(zip(tables["departements"]["code"].astype(str), tables["departements"]["nom"].astype(str)))
    for code in departements.ordered(names):
        out.append(["territoire_code", code, names[code], "type : departement"])
    for _, row in tables["bassins"].sort_values("code").iterrows():
        out.append(
            [
                "territoire_code",
                str(row["code"]),
                str(row["nom"]),
                f"type : bassin ; département {row['departement']}",
            ]
        )
    for _, row in tables["laboratoires"].sort_values("code").iterrows():
        out.append(
            ["territoire_code", str(row["code"]), str(row["nom"]), f"type : laboratoire ; bassin {row['bassin']}"]
        )
    for table, column in (("niveaux", "niveau"), ("publics", "public")):
        for _, row in tables[table].sort_values(["ordre", "code"]).iterrows():
            out.append(
                [
                    column,
                    str(row["code"]),
                    str(row["libelle"]),
                    "total, sans répartition" if row["code"] == config.ALL else "",
                ]
            )
    themes = tables["thematiques"]
    for _, row in themes.iterrows():
        parent = row["parent"]
        note = (
            "total, sans répartition"
            if row["code"] == config.ALL
            else f"sous-thème de {parent}"
            if isinstance(parent, str) and parent
            else "thème principal"
        )
        out.append(["thematique", str(row["code"]), str(row["libelle"]), note])
    out.append(
        [
            "valeur",
            "nombre",
            "Valeur de la mesure",
            "effectif ou volume de 0 à 10^12 ; taux (unité %) de 0 à 100 : 72,5 et non 0,725 ni 72,5 %",
        ]
    )
    for code, label in ORIGIN_LABELS.items():
        out.append(["origine", code, label, "colonne facultative" if code == DEFAULT_ORIGIN else ""])
    out.append(["source", "texte", "Source lisible de la valeur (document, calcul…)", "obligatoire"])
    return out


def template_xlsx(tables: dict[str, pd.DataFrame], academie: config.Academie | None = None) -> bytes:
    """A workbook to fill in: sheet « mesures » (header, two example rows, code columns formatted as text so that
    `09` stays `09`) and sheet « codes » listing every accepted code with its label. Every text cell is
    neutralised like every download (`exporting.neutralise`: a leading `=`, `+`, `-`, `@`, tab or CR gets an
    apostrophe, which the importer removes again)."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    academie = academie or config.academie()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TABLE
    sheet.append(MEASURE_COLUMNS)
    for row in example_rows(tables, academie):  # texts neutralised like every download (exporting rules)
        sheet.append([exporting.neutralise(row[c]) for c in MEASURE_COLUMNS])
    for position, column in enumerate(MEASURE_COLUMNS, start=1):
        letter = get_column_letter(position)
        dimension = sheet.column_dimensions[letter]
        dimension.width = 48 if column == "source" else 22
        if column != "valeur":
            dimension.number_format = "@"  # new cells typed in the column stay text
        for cell in sheet[letter]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.number_format = "@"
        sheet.cell(row=1, column=position).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    codes = workbook.create_sheet("codes")
    codes.append(["colonne", "code", "libellé", "précisions"])
    for code_row in _code_rows(tables, academie):  # a label from the reference data may start with = + - @
        codes.append([exporting.neutralise(value) for value in code_row])
    for row in codes.iter_rows():
        for cell in row:
            cell.data_type = "s"  # texts, never formulas
    for position, width in enumerate((18, 34, 55, 90), start=1):
        codes.column_dimensions[get_column_letter(position)].width = width
        codes.cell(row=1, column=position).font = Font(bold=True)
    codes.freeze_panes = "A2"
    codes.auto_filter.ref = codes.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
