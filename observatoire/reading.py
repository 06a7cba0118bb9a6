"""Reading data files: the single entry point for every file of `data/` and every imported file.

Bytes → text (`decode`: UTF-8, UTF-8 with BOM or Windows-1252; UTF-16/32, binary and empty files refused), then
CSV (`parse_csv`: `;`, file lines kept, quote and field-count problems located), JSON (`parse_json`: syntax errors
located by line and character) or GeoJSON (`read_geojson`: features, properties, geometries, CRS). Every problem is
a `schema.ValidationError` in French naming the file, the line and the column; nothing here validates values
(that is `schema.validate` and `checks`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatoire.schema import MAX_LISTED, Problem, Problems, ValidationError

_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MOJIBAKE_RE = re.compile("[ÃÂ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
TEXT_EXPECTED = "un texte UTF-8 (avec ou sans BOM) ou Windows-1252 est attendu"


def _position(data: bytes | str, pos: int) -> tuple[int, int]:
    """(line, character) from 1 of the position `pos` in `data`."""
    if isinstance(data, bytes):
        lines, last = data.count(b"\n", 0, pos), data.rfind(b"\n", 0, pos)
    else:
        lines, last = data.count("\n", 0, pos), data.rfind("\n", 0, pos)
    return lines + 1, pos - (last + 1) + 1


def _refuse(
    table: str,
    file: str,
    message: str,
    line: int | None = None,
    column: str | None = None,
    char: int | None = None,
    value: str | None = None,
    column_kind: str = "colonne",
) -> ValidationError:
    return ValidationError(
        [Problem(table, line, column, value, message, file=file, char=char, column_kind=column_kind)]
    )


def decode(data: bytes, table: str, file: str) -> str:
    """Bytes of a text file → text. UTF-8 (BOM allowed) tried strictly first, then Windows-1252 (cp1252, a
    superset of Latin-1 for text); UTF-16/32, binary data and empty files are refused in French."""
    if not data.strip():
        raise _refuse(table, file, "fichier vide")
    if data.startswith(_UTF16_32_BOMS):
        raise _refuse(
            table,
            file,
            f"encodage UTF-16 ou UTF-32 non pris en charge : {TEXT_EXPECTED} "
            "(enregistrez le fichier en « UTF-8 »)",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line, char = _position(data, nul)
        raise _refuse(
            table,
            file,
            f"octet nul : fichier binaire ou encodé en UTF-16/UTF-32 ; {TEXT_EXPECTED}",
            line=line,
            char=char,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            line, char = _position(data, err.start)
            raise _refuse(
                table,
                file,
                f"octet 0x{data[err.start]:02X} illisible, ni UTF-8 ni Windows-1252 "
                f"(fichier binaire ?) ; {TEXT_EXPECTED}",
                line=line,
                char=char,
            ) from None
        mixed = _MOJIBAKE_RE.search(text)
        if mixed:
            line, char = _position(data, utf8_error.start)
            raise _refuse(
                table,
                file,
                "encodages mélangés : le fichier contient du texte UTF-8 et des octets "
                "Windows-1252 ; enregistrez-le entièrement en UTF-8",
                line=line,
                char=char,
            ) from None
    text = text.removeprefix("\ufeff")
    control = _CONTROL_RE.search(text)
    if control:
        line, char = _position(text, control.start())
        raise _refuse(
            table,
            file,
            f"caractère de contrôle U+{ord(control.group()):04X} : fichier binaire ou corrompu ? {TEXT_EXPECTED}",
            line=line,
            char=char,
        )
    if not text.strip():
        raise _refuse(table, file, "fichier vide")
    return text


def read_text(path: Path, table: str, file: str | None = None) -> str:
    """The single entry point to read a data file: its text, checked (see `decode`)."""
    file = file or path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(table, file, f"fichier manquant : {path}") from None
    except IsADirectoryError:
        raise _refuse(table, file, f"un fichier est attendu, c'est un dossier : {path}") from None
    except OSError as err:
        raise _refuse(table, file, f"lecture impossible ({err.strerror or err}) : {path}") from None
    return decode(data, table, file)


# --- CSV


def separator_label(sep: str) -> str:
    """How a CSV separator is named in messages: « ; », « , » or « tabulation »."""
    return "« tabulation »" if sep == "\t" else f"« {sep} »"


def _open_quote(line_text: str, sep: str = ";") -> tuple[int, int] | None:
    """(field index, character from 1) of a quoted field left open at the end of `line_text`."""
    field_index, in_quotes, at_start, start = 0, False, True, -1
    i = 0
    while i < len(line_text):
        c = line_text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < len(line_text) and line_text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
        elif c == sep:
            field_index += 1
            at_start = True
            i += 1
            continue
        elif c == '"' and at_start:
            in_quotes, start = True, i
        at_start = False
        i += 1
    return (field_index, start + 1) if in_quotes else None


def _csv_rows_slow(
    text: str, table: str, file: str, header: list[str], sep: str = ";"
) -> tuple[list[list[str]], list[int]]:
    """Exact parse with the csv module: rows and the file line where each starts; quote problems refused.

    A line break inside a quoted field (LF, CRLF or a bare CR: `parse_csv` made them LF) belongs to the text."""
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    previous = 0
    try:
        for row in reader:
            rows.append(row)
            starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error as err:
        start = previous + 1
        where = reader.line_num or start
        line_text = lines[start - 1] if start - 1 < len(lines) else ""
        found = _open_quote(line_text.rstrip("\r"), sep)
        # whole rows inside the « quoted field »: its opening quote was never closed (a later quote ended it)
        inner = lines[start : where - 1]
        swallowed = found is not None and any(line.count(sep) >= len(header) - 1 for line in inner)
        if "end of data" in str(err) or swallowed:
            column = header[found[0]] if found and found[0] < len(header) else None
            raise _refuse(
                table,
                file,
                "guillemet ouvrant jamais refermé : un champ entre guillemets doit se "
                'terminer par un guillemet (doublez les guillemets à l\'intérieur du texte : "")',
                line=start,
                column=column,
                char=found[1] if found else None,
            ) from None
        # a closing quote followed by something else than a separator or a line end, on the line being read
        # (a text may span several lines: a line break inside quotes belongs to it)
        line_text = lines[where - 1] if 0 < where <= len(lines) else ""
        column = None
        if where == start:
            closing = _misplaced_quote(line_text, sep)
            column = header[closing] if closing is not None and closing < len(header) else None
        raise _refuse(
            table,
            file,
            f"guillemet mal placé : après un guillemet fermant, un {separator_label(sep)} "
            'ou une fin de ligne est attendu (doublez les guillemets à l\'intérieur du texte : "")',
            line=where,
            column=column,
        ) from None
    return rows, starts


def _misplaced_quote(line_text: str, sep: str) -> int | None:
    """Index of the field of `line_text` where a closing quote is followed by something else than `sep`."""
    field_index, in_quotes, at_start = 0, False, True
    i = 0
    while i < len(line_text):
        c = line_text[i]
        if in_quotes:
            if c == '"':
                if i + 1 < len(line_text) and line_text[i + 1] == '"':
                    i += 1
                else:
                    in_quotes = False
                    if i + 1 < len(line_text) and line_text[i + 1] != sep:
                        return field_index
        elif c == sep:
            field_index += 1
            at_start = True
            i += 1
            continue
        elif c == '"' and at_start:
            in_quotes = True
        at_start = False
        i += 1
    return None


def _field_count_problems(
    table: str,
    file: str,
    lines: list[int],
    counts: list[int],
    expected: int,
    total: int,
    sep: str = ";",
    bare_cr: frozenset[int] = frozenset(),
) -> ValidationError:
    """`bare_cr`: file lines that end with a carriage return alone (CR, not CRLF): a row cut there by a line
    break typed inside a text is said as such."""
    label = separator_label(sep)
    hint = f"un texte contenant {label} doit être entre guillemets"
    if sep == ",":
        hint += ', de même qu\'un nombre à virgule décimale ("1,5")'

    def message(line: int, count: int) -> str:
        if line - 1 in bare_cr or line in bare_cr:
            cut = line - 1 if line - 1 in bare_cr else line
            return (
                f"{count} champ(s) au lieu de {expected} : la ligne {cut} se termine par un retour chariot "
                "seul (CR), sans doute un retour à la ligne saisi dans un texte ; mettez ce texte entre "
                "guillemets (le guillemet en premier caractère du champ) ou supprimez le retour à la ligne"
            )
        return f"{count} champ(s) au lieu de {expected} (séparateur {label} manquant ou en trop ? {hint})"

    problems = [
        Problem(table, line, None, None, message(line, count), file=file)
        for line, count in zip(lines[:MAX_LISTED], counts[:MAX_LISTED], strict=False)
    ]
    return ValidationError(problems, total)


def _bare_cr_lines(text: str) -> frozenset[int]:
    """File lines (from 1) ending with a CR that is not followed by LF."""
    if "\r" not in text:
        return frozenset()
    found, line = set(), 1
    for match in re.finditer(r"\r\n|\r|\n", text):
        if match.group() == "\r":
            found.add(line)
        line += 1
    return frozenset(found)


def parse_csv(
    text: str, table: str, file: str, sep: str = ";", blank_names: bool = False, collect: Problems | None = None
) -> pd.DataFrame:
    """`;`-separated text (or `sep`: `,`, tab) → frame of strings (empty cell = ""), index = file line - 2.
    Blank lines are skipped (the index keeps following the file lines); rows with a wrong number of fields and
    quote problems are refused with their line. `blank_names`: repeated column names (several empty ones, e.g.
    the empty columns Excel leaves right of the data, or a name written twice) are not refused here: the caller
    deals with them (an import reports a duplicate with the other problems of the file).

    `collect`: rows with a wrong number of fields are added to it as problems and left out of the frame,
    instead of refusing the whole file at once (an import reports them with the problems of the other rows).
    Line breaks: LF, CRLF or a bare CR; inside a quoted field they are part of the text (as LF)."""
    bare_cr = _bare_cr_lines(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    header_text = text.split("\n", 1)[0]
    header = next(csv.reader([header_text], delimiter=sep), [])
    if not any(h.strip() for h in header):
        raise _refuse(table, file, "en-tête vide : la première ligne doit nommer les colonnes", line=1)
    seen: set[str] = set()
    for name in header:
        if name in seen and not blank_names:
            raise _refuse(table, file, "colonne en double dans l'en-tête", line=1, column=name)
        seen.add(name)
    ncols = len(header)
    try:
        with warnings.catch_warnings():
            # a row longer than the header: pandas warns (index_col=False) → exact parse below, which reports it
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
        fast = True
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        fast = False
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)  # header included
    if fast and len(frame) == physical - 1 and '"' not in text and text.count(sep) == (ncols - 1) * physical:
        # every line has exactly the header's number of fields (so no blank line): nothing more to check
        frame.index = pd.RangeIndex(len(frame))
        return frame
    body = text.split("\n")[1:]
    if body and body[-1] == "":
        body.pop()
    if fast and len(frame) == len(body):
        lines = pd.Series(body, dtype=object)
        blank = lines.str.strip() == ""
        # separators inside a quoted field (opened at the start of a field) are not separators
        quoted = f'(?:^|(?<={re.escape(sep)}))"(?:[^"]|"")*"'
        unquoted = lines.str.replace(quoted, "", regex=True) if '"' in text else lines
        separators = unquoted.str.count(sep)
        short = (separators < ncols - 1) & ~blank
        if short.any():
            where = np.flatnonzero(short.to_numpy())
            error = _field_count_problems(
                table,
                file,
                (where + 2).tolist(),
                (separators[short] + 1).tolist(),
                ncols,
                int(short.sum()),
                sep,
                bare_cr,
            )
            if collect is None:
                raise error
            collect.extend(error)
        frame.index = pd.RangeIndex(len(frame))
        return frame.loc[~(blank | short).to_numpy()]
    rows, starts = _csv_rows_slow(text, table, file, header, sep)
    data, data_starts = rows[1:], starts[1:]
    keep = [i for i, row in enumerate(data) if row and any(cell.strip() for cell in row)]
    wrong = [i for i in keep if len(data[i]) != ncols]
    if wrong:
        error = _field_count_problems(
            table,
            file,
            [data_starts[i] for i in wrong],
            [len(data[i]) for i in wrong],
            ncols,
            len(wrong),
            sep,
            bare_cr,
        )
        if collect is None:
            raise error
        collect.extend(error)
        keep = [i for i in keep if len(data[i]) == ncols]
    return pd.DataFrame(
        [data[i] for i in keep], columns=header, index=[data_starts[i] - 2 for i in keep], dtype=object
    )


def read_csv(path: Path, table: str, file: str | None = None) -> pd.DataFrame:
    """Read a `;` CSV data file (see `read_text` and `parse_csv`): text columns, empty cells kept as ""."""
    file = file or path.name
    return parse_csv(read_text(path, table, file), table, file)


# --- JSON

_JSON_MESSAGES = [
    ("Expecting value", "valeur attendue"),
    ("Expecting ',' delimiter", "« , » attendue"),
    ("Expecting ':' delimiter", "« : » attendu"),
    ("Expecting property name enclosed in double quotes", "nom de clé entre guillemets doubles attendu"),
    ("Unterminated string", "texte entre guillemets non terminé"),
    ("Invalid control character", "caractère de contrôle dans un texte"),
    ("Invalid \\escape", "séquence d'échappement « \\ » invalide"),
    ("Extra data", "contenu en trop après la fin du document JSON"),
]


def parse_json(text: str, table: str, file: str) -> Any:
    def no_constant(name: str) -> Any:
        raise ValueError(name)

    try:
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as err:
        detail = next((fr for en, fr in _JSON_MESSAGES if err.msg.startswith(en)), err.msg)
        truncated = " — fichier tronqué ?" if err.pos >= len(text.rstrip()) else ""
        raise _refuse(
            table, file, f"JSON invalide : {detail}{truncated}", line=err.lineno, char=err.colno
        ) from None
    except ValueError as err:
        raise _refuse(
            table, file, f"JSON invalide : « {err} » n'est pas un nombre JSON (nombre fini attendu)"
        ) from None
    except RecursionError:
        raise _refuse(table, file, "JSON invalide : imbrication trop profonde") from None


def read_json(path: Path, table: str, file: str | None = None) -> Any:
    file = file or path.name
    return parse_json(read_text(path, table, file), table, file)


# --- GeoJSON

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
_ACCEPTED_CRS = (
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "CRS84",
)


@dataclass
class GeoLayer:
    """Properties (index = feature number - 1) and shapely geometries (None where refused) of a GeoJSON."""

    properties: pd.DataFrame
    geometries: list[Any] = field(default_factory=list)


def read_geojson(path: Path, table: str, file: str | None = None) -> GeoLayer:
    """Read a GeoJSON FeatureCollection: structure checked (`features`, `properties`, `geometry`), geometries
    parsed (not yet checked against the académie: see `geometry_problems`)."""
    import shapely.geometry

    file = file or path.name
    raw = read_json(path, table, file)
    if not isinstance(raw, dict) or not isinstance(raw.get("features"), list):
        raise _refuse(
            table,
            file,
            "GeoJSON invalide : un objet FeatureCollection avec une liste « features » est attendu",
            column="features",
            column_kind="clé",
        )
    crs = raw.get("crs")
    if isinstance(crs, dict):
        crs_properties = crs.get("properties")
        name = str(crs_properties.get("name", "")) if isinstance(crs_properties, dict) else ""
        if name and name not in _ACCEPTED_CRS:
            raise _refuse(
                table,
                file,
                "système de coordonnées non pris en charge : WGS84 (longitude, latitude en "
                "degrés, EPSG:4326) est attendu ; reprojetez le fichier",
                column="crs",
                value=name,
                column_kind="clé",
            )
    problems = Problems()
    props: list[dict[str, Any]] = []
    geometries: list[Any] = []
    for number, feature in enumerate(raw["features"], start=1):

        def refuse(message: str, column: str | None = None, value: str | None = None, n: int = number) -> None:
            problems.add(Problem(table, n, column, value, message, file=file, unit="entité", column_kind="clé"))

        if not isinstance(feature, dict):
            refuse("objet Feature attendu")
            props.append({})
            geometries.append(None)
            continue
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            refuse("objet « properties » manquant ou invalide", "properties")
            properties = {}
        props.append(
            {
                k: (
                    None
                    if v is None
                    else v
                    if isinstance(v, str)
                    else json.dumps(v, ensure_ascii=False)
                    if isinstance(v, (dict, list))
                    else str(v)
                )
                for k, v in properties.items()
            }
        )
        if "geometry" not in feature:
            refuse("membre « geometry » manquant", "geometry")
            geometries.append(None)
            continue
        geometry = feature["geometry"]
        if geometry is None:
            refuse("géométrie absente (null) : chaque entité doit avoir un contour", "geometry")
            geometries.append(None)
            continue
        try:
            shape = shapely.geometry.shape(geometry)
        except Exception:  # noqa: BLE001 - any malformed geometry object
            refuse("géométrie illisible : objet GeoJSON Polygon ou MultiPolygon attendu", "geometry")
            geometries.append(None)
            continue
        geometries.append(shape)
    frame = pd.DataFrame(props, dtype=object) if props else pd.DataFrame()
    problems.raise_if_any()
    return GeoLayer(frame, geometries)


def read_table_file(table: str, path: Path) -> pd.DataFrame:
    """Read a reference or measures file as text columns (validation coerces the types); empty cell → None."""
    if path.suffix == ".geojson":
        return read_geojson(path, table).properties
    frame = read_csv(path, table)
    return frame.where(frame != "", None)


# ------------------------------------------------------------------------------------------------ measures


def clean_values(frame: pd.DataFrame) -> pd.DataFrame:
    """French number formats of `valeur`: thousands separators (spaces) removed, decimal comma → point."""
    if "valeur" in frame.columns:
        values = frame["valeur"].astype(object).where(frame["valeur"].notna(), "").astype(str)
        values = (
            values.str.replace("\u202f", "", regex=False)
            .str.replace("\xa0", "", regex=False)
            .str.replace(" ", "", regex=False)
            .str.replace(",", ".", regex=False)
        )
        frame["valeur"] = values.where(values != "", None)
    return frame


def read_measures_csv(source: Path | str | io.IOBase | bytes, file: str | None = None) -> pd.DataFrame:
    """Read a canonical measures CSV (`;`, UTF-8 with or without BOM or Windows-1252, decimal comma or point)
    through the single reader of `schema` (encoding, empty file, quotes, field counts checked in French).

    `file`: the name used in messages (default: the file's name, or « import » for bytes and streams)."""
    if isinstance(source, (str, Path)):
        frame = read_csv(Path(source), "mesures", file)
    else:
        data = source if isinstance(source, bytes) else source.read()
        name = file or str(getattr(source, "name", "") or "import")
        text = data if isinstance(data, str) else decode(data, "mesures", name)
        frame = parse_csv(text.removeprefix("\ufeff"), "mesures", name)
    return clean_values(frame)
