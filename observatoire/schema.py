"""The single definition of every table, with reading, validation and French error messages.

Every reader of data (the store when it builds the database, `python -m observatoire check`, the CLI export
round-trip and the future importer) reads files through `read_text` (→ `read_csv`, `read_json`,
`read_geojson`) and validates through `validate(table, frame)`. A failure raises `ValidationError`, whose
`problems` name the file, the line (header = line 1; GeoJSON: the feature number) and the column in French.

Problems are counted without limit but only the first `MAX_LISTED` are kept as `Problem` objects: checks are
vectorised (pandas masks), so validating a million rows stays linear whatever the number of bad rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from observatoire.config import ALL

TERRITORY_TYPES = ("academie", "departement", "bassin", "laboratoire")
AGGREGATIONS = ("somme", "moyenne", "dernier")
GRANULARITIES = ("annuelle", "mensuelle")
STRUCTURES = ("établissement", "association", "collectivité")
TERRITOIRES = ("QPV", "TER", "autre")
ORIGINS = ("bilan", "deduit", "illustratif", "import")
"""Origin of a measure row (column `origine`): an exact figure of the bilan, a value deduced from it (ratio,
sum, difference: the computation is in `source`), an illustrative generated value, or an imported value."""
DIMENSION_COLUMNS = {"niveau": "niveaux", "thematique": "thematiques", "public": "publics"}
"""Measure dimension → column of the indicator catalogue declaring its codes (`non`: not detailed)."""
NOT_DETAILED = "non"
CODE_LIST_RE = r"^[a-z0-9_]+(\|[a-z0-9_]+)*$"
DECLARED_RE = r"^(non|[a-z0-9_]+(\|[a-z0-9_]+)*)$"
OVERLAP_RE = r"^(non|(niveau|thematique|public)(\|(niveau|thematique|public))*)$"

SCHOOL_YEAR_RE = r"^(\d{4})-(\d{4})$"
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
PERIOD_RE = r"^(\d{4}-\d{4}|\d{4}-(0[1-9]|1[0-2]))$"

MEASURE_COLUMNS = [
    "indicateur",
    "periode",
    "territoire_type",
    "territoire_code",
    "niveau",
    "thematique",
    "public",
    "valeur",
    "origine",
    "source",
]
MEASURE_KEY = [c for c in MEASURE_COLUMNS if c not in ("valeur", "origine", "source")]
BILAN_COLUMNS = [c for c in MEASURE_COLUMNS if c not in ("territoire_type", "territoire_code")]
"""Columns of `data/demo/chiffres_bilan.csv` (académie-level measures: no territory columns)."""

MAX_COUNT = 1e12
"""Largest accepted value of a count (any unit but `%`): one thousand billion (10^12). Rates (unit `%`) lie
between 0 and 100. Counts are never negative."""
RATE_UNIT = "%"
MAX_LISTED = 100
"""Problems kept (and printed) in a `ValidationError`; the others are only counted."""


def _consecutive_school_year(series: pd.Series) -> pd.Series:
    parts = series.astype(str).str.extract(SCHOOL_YEAR_RE)
    start = pd.to_numeric(parts[0], errors="coerce")
    end = pd.to_numeric(parts[1], errors="coerce")
    return (parts[0].isna() | (end == start + 1)).to_numpy(dtype=bool)


class Mesures(pa.DataFrameModel):
    """Canonical long format of measures: one value per row."""

    indicateur: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")
    periode: Series[str] = pa.Field(str_matches=PERIOD_RE)
    territoire_type: Series[str] = pa.Field(isin=list(TERRITORY_TYPES))
    territoire_code: Series[str] = pa.Field(str_length={"min_value": 1})
    niveau: Series[str] = pa.Field(str_length={"min_value": 1})
    thematique: Series[str] = pa.Field(str_length={"min_value": 1})
    public: Series[str] = pa.Field(str_length={"min_value": 1})
    valeur: Series[float] = pa.Field(nullable=False)
    origine: Series[str] = pa.Field(isin=list(ORIGINS))
    source: Series[str] = pa.Field(str_length={"min_value": 1})

    @pa.check("periode", name="annee_scolaire_consecutive")
    def _school_year(cls, series: Series[str]) -> Series[bool]:  # noqa: N805
        return pd.Series(_consecutive_school_year(series), index=series.index)

    @pa.check("valeur", name="valeur_finie")
    def _finite(cls, series: Series[float]) -> Series[bool]:  # noqa: N805
        return pd.Series(np.isfinite(series.to_numpy(dtype=float)), index=series.index)

    class Config:
        strict = True
        ordered = True
        coerce = True


class Indicateurs(pa.DataFrameModel):
    id: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9_]+$")
    libelle: Series[str] = pa.Field(str_length={"min_value": 1})
    unite: Series[str] = pa.Field(str_length={"min_value": 1})
    definition: Series[str] = pa.Field(str_length={"min_value": 1})
    source: Series[str] = pa.Field(str_length={"min_value": 1})
    agregation: Series[str] = pa.Field(isin=list(AGGREGATIONS))
    granularite: Series[str] = pa.Field(isin=list(GRANULARITIES))
    domaine: Series[str] = pa.Field(str_length={"min_value": 1})
    kpi: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    # declared breakdowns: territory types, and for each dimension the codes of its parts (`non`: not detailed)
    territoires: Series[str] = pa.Field(str_matches=CODE_LIST_RE)
    niveaux: Series[str] = pa.Field(str_matches=DECLARED_RE)
    thematiques: Series[str] = pa.Field(str_matches=DECLARED_RE)
    publics: Series[str] = pa.Field(str_matches=DECLARED_RE)
    # dimensions whose parts overlap (a laboratory counts in each of its niveaux): they do not add up
    recouvrement: Series[str] = pa.Field(str_matches=OVERLAP_RE)

    class Config:
        strict = True
        coerce = True


class Thematiques(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9_]+$")
    libelle: Series[str] = pa.Field(str_length={"min_value": 1})
    famille: Series[str] = pa.Field(str_length={"min_value": 1})
    # main thème this (sub-)thème belongs to; empty for a main thème (the laboratories' thèmes of the bilan)
    parent: Series[str] = pa.Field(nullable=True, str_matches=r"^[a-z0-9_]+$")
    justification: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class CodeLabelOrder(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9_]+$")
    libelle: Series[str] = pa.Field(str_length={"min_value": 1})
    ordre: Series[int] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True


class Bassins(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    nom: Series[str] = pa.Field(str_length={"min_value": 1})
    departement: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    siege: Series[str] = pa.Field(str_matches=r"^\d[0-9AB]\d{3}$")
    population: Series[int] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True


class BassinsSieges(pa.DataFrameModel):
    """`bassins_sieges.csv`: the seat (commune) of each bassin, input of scripts/build_geodata.py."""

    code: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    nom: Series[str] = pa.Field(str_length={"min_value": 1})
    departement: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    siege: Series[str] = pa.Field(str_matches=r"^\d[0-9AB]\d{3}$")

    class Config:
        strict = True
        coerce = True


class Departements(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^\d{2}$")
    nom: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True


class CommunesBassins(pa.DataFrameModel):
    code_commune: Series[str] = pa.Field(unique=True, str_matches=r"^\d[0-9AB]\d{3}$")
    nom_commune: Series[str] = pa.Field(str_length={"min_value": 1})
    departement: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    bassin: Series[str] = pa.Field(str_length={"min_value": 1})
    population: Series[int] = pa.Field(ge=0)
    methode: Series[str] = pa.Field(isin=["siege_le_plus_proche", "annuaire", "fichier"])

    class Config:
        strict = True
        coerce = True


class Laboratoires(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9-]+$")
    nom: Series[str] = pa.Field(str_length={"min_value": 1})
    commune: Series[str] = pa.Field(str_length={"min_value": 1})
    code_commune: Series[str] = pa.Field(str_matches=r"^\d[0-9AB]\d{3}$")
    departement: Series[str] = pa.Field(str_matches=r"^\d{2}$")
    bassin: Series[str] = pa.Field(str_length={"min_value": 1})
    latitude: Series[float] = pa.Field(ge=-90, le=90)
    longitude: Series[float] = pa.Field(ge=-180, le=180)
    structure: Series[str] = pa.Field(isin=list(STRUCTURES))
    territoire: Series[str] = pa.Field(isin=list(TERRITOIRES))
    thematiques: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+(\|[a-z0-9_]+)*$")
    niveaux: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+(\|[a-z0-9_]+)*$")
    ouverture: Series[int] = pa.Field(ge=2000, le=2100)
    source: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True


class Projets(pa.DataFrameModel):
    thematique: Series[str] = pa.Field(str_length={"min_value": 1})
    intitule: Series[str] = pa.Field(str_length={"min_value": 1})
    lieu: Series[str] = pa.Field(str_length={"min_value": 1})
    laboratoire: Series[str] = pa.Field(nullable=True)
    projet: Series[str] = pa.Field(str_length={"min_value": 1})
    source: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True


@dataclass(frozen=True)
class Table:
    name: str
    filename: str
    model: type[pa.DataFrameModel]
    label: str

    @property
    def geojson(self) -> bool:
        return self.filename.endswith(".geojson")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("indicateurs", "indicateurs.csv", Indicateurs, "catalogue des indicateurs"),
        Table("thematiques", "thematiques.csv", Thematiques, "catalogue des thématiques"),
        Table("niveaux", "niveaux.csv", CodeLabelOrder, "catalogue des niveaux"),
        Table("publics", "publics.csv", CodeLabelOrder, "catalogue des publics"),
        Table("communes_bassins", "communes_bassins.csv", CommunesBassins, "table communes → bassins"),
        Table("laboratoires", "laboratoires.csv", Laboratoires, "laboratoires numériques"),
        Table("projets", "projets.csv", Projets, "projets des laboratoires"),
        Table("bassins", "bassins.geojson", Bassins, "bassins d'éducation et de formation"),
        Table("departements", "departements.geojson", Departements, "départements"),
        Table("mesures", "mesures.csv", Mesures, "mesures"),
    )
}
OTHER_FILES = {
    "academie": "academie.json",
    "bassins_sieges": "bassins_sieges.csv",
    "chiffres_bilan": "chiffres_bilan.csv",
}
"""Files checked outside `TABLES` (no database table of their own)."""
EXTRA_MODELS: dict[str, type[pa.DataFrameModel]] = {"bassins_sieges": BassinsSieges}
MAY_BE_EMPTY = {"projets"}
"""Tables allowed to have no data row (every other empty file is refused: pages need data)."""

# Columns that hold codes and must stay text (leading zeros, "2A" style codes).
_TEXT_COLUMNS = {
    "code", "code_commune", "departement", "siege", "bassin", "territoire_code", "periode", "laboratoire",
}


def filename_of(table: str) -> str:
    if table in TABLES:
        return TABLES[table].filename
    return OTHER_FILES.get(table, table)


def _short(value: str, limit: int = 80) -> str:
    value = value.replace("\n", "⏎").replace("\r", "")
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One problem, located by file, line (header = line 1; GeoJSON: feature number, `unit="entité"`) and
    column (a column name, or a JSON key path)."""

    table: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    file: str | None = None  # file name shown (default: the table's file)
    unit: str = "ligne"
    char: int | None = None  # character position in the line (from 1), for reading problems
    column_kind: str = "colonne"  # "clé" for a JSON key path

    @property
    def filename(self) -> str:
        return self.file or filename_of(self.table)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.column:
            where.append(f"{self.column_kind} « {self.column} »")
        if self.char is not None:
            where.append(f"caractère {self.char}")
        location = ", ".join(where)
        value = f" (valeur « {_short(self.value)} »)" if self.value not in (None, "") else ""
        if location:
            return f"{self.filename} — {location} : {self.message}{value}"
        return f"{self.filename} : {self.message}{value}"


class ValidationError(ValueError):
    """Raised when data does not match its schema. `problems` lists the first `MAX_LISTED` problems found,
    `count` counts them all."""

    def __init__(self, problems: list[Problem], count: int | None = None):
        self.count = max(count or 0, len(problems))
        self.problems = list(problems[:MAX_LISTED])
        shown = "\n".join(f"- {p}" for p in self.problems)
        rest = self.count - len(self.problems)
        more = f"\n… et {rest} autres problèmes" if rest > 0 else ""
        super().__init__(f"{self.count} problème(s) de données :\n{shown}{more}")
        self.valid: pd.DataFrame | None = None  # rows that passed, when only some rows are wrong (see validate)


class Problems:
    """Collector: keeps the first `MAX_LISTED` problems, counts every problem."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, problem: Problem) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(problem)

    def extend(self, problems: Iterable[Problem] | ValidationError | Problems) -> None:
        if isinstance(problems, (ValidationError, Problems)):
            listed = problems.problems if isinstance(problems, ValidationError) else problems.listed
            room = MAX_LISTED - len(self.listed)
            self.listed.extend(listed[: max(room, 0)])
            self.count += problems.count
            return
        for problem in problems:
            self.add(problem)

    def add_frame(self, table: str, frame: pd.DataFrame, file: str | None = None) -> None:
        """`frame`: columns `line` (Int64 or None), `column`, `value`, `message` — one row per problem; sorted
        by line (problems without a line first), only the rows kept are turned into `Problem` objects."""
        if frame.empty:
            return
        self.count += len(frame)
        room = MAX_LISTED - len(self.listed)
        if room <= 0:
            return
        order = frame["line"].fillna(-1).to_numpy(dtype="int64").argsort(kind="stable")
        head = frame.iloc[order[:room]]
        unit = "entité" if table in TABLES and TABLES[table].geojson else "ligne"
        for line, column, value, message in head[["line", "column", "value", "message"]].itertuples(index=False):
            self.listed.append(Problem(
                table, None if pd.isna(line) else int(line), None if column is None or pd.isna(column) else
                str(column), None if value is None or (not isinstance(value, str) and pd.isna(value)) else
                str(value), str(message), file=file, unit=unit))

    def error(self) -> ValidationError:
        return ValidationError(self.listed, self.count)

    def raise_if_any(self) -> None:
        if self.count:
            raise self.error()


def _line_offset(table: str) -> int:
    """File line of the row of index 0: 2 in a CSV file (after the header), 1 for the first GeoJSON feature."""
    return 1 if table in TABLES and TABLES[table].geojson else 2


def rows_frame(table: str, index: pd.Index | np.ndarray, column: str | None, values: Any,
               message: str | pd.Series) -> pd.DataFrame:
    """Problems of the rows `index` (a frame index, so line = index + offset), vectorised."""
    idx = pd.Index(index)
    lines = pd.to_numeric(pd.Series(idx, dtype=object), errors="coerce").astype("Int64") + _line_offset(table)
    if isinstance(values, pd.Series):
        values = values.astype(object).where(values.notna(), None).astype(str).where(values.notna(), None)
        values = values.to_numpy()
    return pd.DataFrame({"line": lines.to_numpy(), "column": column, "value": values,
                         "message": message.to_numpy() if isinstance(message, pd.Series) else message})


_CHECK_MESSAGES: list[tuple[str, str]] = [
    (r"^coerce_dtype\('float", "nombre attendu"),
    (r"^coerce_dtype\('int", "nombre entier attendu"),
    (r"^coerce_dtype\('Int", "nombre entier attendu"),
    (r"^coerce_dtype", "type de valeur invalide"),
    (r"^dtype\(", "type de valeur invalide"),
    (r"^not_nullable", "valeur manquante"),
    (r"^isin\((.*)\)$", "valeur non autorisée, valeurs possibles : {0}"),
    (r"^str_matches", "format invalide"),
    (r"^str_length", "valeur vide"),
    (r"^greater_than_or_equal_to\((.*)\)$", "doit être supérieur ou égal à {0}"),
    (r"^less_than_or_equal_to\((.*)\)$", "doit être inférieur ou égal à {0}"),
    (r"^field_uniqueness", "valeur en double"),
    (r"^column_in_dataframe", "colonne manquante"),
    (r"^column_in_schema", "colonne inattendue"),
    (r"^column_ordered", "colonnes dans le mauvais ordre, ordre attendu : " + ", ".join(MEASURE_COLUMNS)),
    (r"^annee_scolaire_consecutive", "année scolaire invalide : deux années consécutives attendues"),
    (r"^valeur_finie", "nombre fini attendu (ni infini ni NaN)"),
]


def _french_check(check: str) -> str:
    for pattern, message in _CHECK_MESSAGES:
        match = re.match(pattern, check)
        if match:
            return message.format(*[g.replace("'", "") for g in match.groups()])
    return f"contrôle « {check} » non respecté"


def _line(index: object, table: str = "mesures") -> int | None:
    try:
        return int(index) + _line_offset(table)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _failure_problems(table: str, cases: pd.DataFrame) -> tuple[list[Problem], pd.DataFrame]:
    """pandera failure cases → (column-level problems, row-level problems frame), vectorised."""
    cases = cases.reset_index(drop=True)
    check = cases["check"].astype(str)
    frame_level = cases["schema_context"].astype(str) == "DataFrameSchema"
    column_problems = []
    seen: set[tuple[str | None, str]] = set()
    for case, name in zip(cases.loc[frame_level, "failure_case"], check[frame_level], strict=True):
        column = None if pd.isna(case) else str(case)
        if (column, name) not in seen:
            seen.add((column, name))
            column_problems.append(Problem(table, None, column, None, _french_check(name)))
    rows = cases.loc[~frame_level].copy()
    rows["check"] = check[~frame_level]
    if rows.empty:
        return column_problems, rows_frame(table, [], None, None, "")
    rows["column"] = rows["column"].astype(object).where(rows["column"].notna(), None)
    has_index = rows["index"].notna()
    key = rows["index"].astype(str) + "\x1f" + rows["column"].astype(str)
    coerced = key[rows["check"].str.startswith("coerce_dtype") & has_index]
    # the dtype problem of a cell whose coercion failed is the same problem
    redundant = rows["check"].str.startswith("dtype(") & key.isin(coerced)
    # checks that could not even run (TypeError on an uncoerced column): noise when the column has row problems
    columns_with_rows = set(rows.loc[has_index, "column"])
    noise = ~has_index & rows["column"].isin(columns_with_rows)
    rows = rows.loc[~redundant & ~noise]
    rows = rows.drop_duplicates(subset=["index", "column", "check"])
    messages = {name: _french_check(name) for name in rows["check"].unique()}
    values = rows["failure_case"].astype(object)
    values = values.where(rows["index"].notna() | ~values.astype(str).str.contains(r"Error\(", regex=True), None)
    index = rows["index"].where(rows["index"].notna(), None)
    result = rows_frame(table, index.to_numpy(), None, values, rows["check"].map(messages))
    result["column"] = rows["column"].to_numpy()
    return column_problems, result


def validate(table: str, frame: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """Validate (and coerce) `frame` against the schema of `table`; raise `ValidationError` in French.

    `file`: name of the file the frame comes from when it is not the table's own file (e.g. an import).
    When only some rows are wrong, the error's `valid` holds the other rows, validated and coerced, so that
    later checks (codes, ranges) can report their problems in the same run.
    """
    model = TABLES[table].model if table in TABLES else EXTRA_MODELS[table]
    problems = Problems()
    if frame.empty and table not in MAY_BE_EMPTY and len(frame.columns):
        what = "aucune mesure" if table == "mesures" else "aucune ligne de données"
        problems.add(Problem(table, None, None, None, f"{what} : le fichier ne contient que l'en-tête",
                             file=file))
    current = frame
    row_frames: list[pd.DataFrame] = []
    result: pd.DataFrame | None = None
    # a failed coercion hides the other checks of its column: re-check the remaining rows (at most 3 passes)
    for _ in range(3):
        try:
            result = model.validate(current, lazy=True)
            break
        except pa.errors.SchemaErrors as err:
            column_problems, rows = _failure_problems(table, err.failure_cases)
            problems.extend(Problem(p.table, p.line, p.column, p.value, p.message, file=file)
                            for p in column_problems)
            row_frames.append(rows)
            if column_problems or rows.empty or rows["line"].isna().any():
                break
            bad = pd.Index(rows["line"].astype("int64").unique() - _line_offset(table))
            current = current.drop(index=current.index.intersection(bad))
    if row_frames:
        problems.add_frame(table, pd.concat(row_frames, ignore_index=True), file)
    if result is not None and table == "mesures":
        problems.add_frame(table, _duplicate_measures(result), file)
    if problems:
        error = problems.error()
        error.valid = result if result is not None and len(result) else None
        raise error
    return result


def merge_errors(*errors: ValidationError | Problems) -> ValidationError:
    """One error listing the first problems of all, in file order (line), with the total count."""
    listed = [p for e in errors for p in (e.problems if isinstance(e, ValidationError) else e.listed)]
    listed.sort(key=lambda p: (p.filename, -1 if p.line is None else p.line))
    return ValidationError(listed, sum(e.count for e in errors))


def _duplicate_measures(frame: pd.DataFrame) -> pd.DataFrame:
    dup = frame.duplicated(subset=MEASURE_KEY, keep="first")
    return rows_frame("mesures", frame.index[dup], None, None,
                      "mesure en double (même indicateur, période, territoire, niveau, thématique et public "
                      "qu'une ligne précédente)")


def school_year_start(periods: pd.Series) -> pd.Series:
    """First calendar year of the school year of each (valid) period, vectorised (`2023-09` → 2023,
    `2024-01` → 2023, `2023-2024` → 2023)."""
    year = pd.to_numeric(periods.str[:4], errors="coerce")
    monthly = periods.str.match(MONTH_RE)
    month = pd.to_numeric(periods.str[5:7].where(monthly), errors="coerce")
    return year.where(~monthly | (month >= 9), year - 1)


def check_measure_references(frame: pd.DataFrame, catalogues: dict[str, Any], file: str | None = None,
                             raw: pd.DataFrame | None = None) -> Problems:
    """Codes of `frame` that the catalogues do not know, values out of range, periods out of the configured
    school years. `catalogues` maps a column to its allowed codes; `territoire_code` is checked per
    `territoire_type` through keys `territoire:<type>`; `unites` maps an indicator to its unit; `annees_valides`
    is the (first, last) school year accepted.

    `raw`: the frame before coercion, to quote values as written in the file. Returns the problems found
    (false when there is none).
    """
    frames = []
    for column in ("indicateur", "niveau", "thematique", "public"):
        allowed = catalogues.get(column)
        if allowed is None:
            continue
        bad = ~frame[column].isin(allowed)
        frames.append(rows_frame("mesures", frame.index[bad], column, frame.loc[bad, column], "code inconnu"))
    for ttype in TERRITORY_TYPES:
        allowed = catalogues.get(f"territoire:{ttype}")
        if allowed is None:
            continue
        mask = (frame["territoire_type"] == ttype) & ~frame["territoire_code"].isin(allowed)
        frames.append(rows_frame("mesures", frame.index[mask], "territoire_code",
                                 frame.loc[mask, "territoire_code"],
                                 f"code de territoire inconnu pour le type « {ttype} »"))
    granularity = catalogues.get("granularite_mensuelle")
    if granularity is not None:
        monthly = frame["periode"].str.match(MONTH_RE)
        expected = frame["indicateur"].isin(granularity)
        bad = (monthly != expected) & frame["indicateur"].isin(catalogues.get("indicateur", frame["indicateur"]))
        frames.append(rows_frame("mesures", frame.index[bad], "periode", frame.loc[bad, "periode"],
                                 "période incompatible avec la granularité de l'indicateur (mois attendu pour un "
                                 "indicateur mensuel, année scolaire sinon)"))
    years = catalogues.get("annees_valides")
    if years is not None:
        first, last = years
        start = school_year_start(frame["periode"])
        bad = (start < int(first[:4])) | (start > int(last[:4]))
        frames.append(rows_frame("mesures", frame.index[bad], "periode", frame.loc[bad, "periode"],
                                 f"période hors des années scolaires acceptées ({first} à {last}, clé "
                                 "« annees_valides » de academie.json)"))
    units = catalogues.get("unites")
    if units is not None:
        value = frame["valeur"].astype(float)
        written = (raw["valeur"] if raw is not None and "valeur" in raw else frame["valeur"]).reindex(frame.index)
        unit = frame["indicateur"].map(units)
        rate = unit == RATE_UNIT
        finite = np.isfinite(value)
        bad_rate = rate & finite & ((value < 0) | (value > 100))
        frames.append(rows_frame("mesures", frame.index[bad_rate], "valeur", written[bad_rate],
                                 "taux hors de l'intervalle 0 à 100 (unité « % »)"))
        bad_count = unit.notna() & ~rate & finite & ((value < 0) | (value > MAX_COUNT))
        frames.append(rows_frame("mesures", frame.index[bad_count], "valeur", written[bad_count],
                                 "nombre hors de l'intervalle accepté : de 0 à 1 000 000 000 000 (10^12) pour un "
                                 "effectif ou un volume"))
    declared = catalogues.get("declarations")
    if declared is not None:
        frames.extend(_undeclared(frame, declared, catalogues))
    problems = Problems()
    frames = [f for f in frames if not f.empty]
    if frames:
        problems.add_frame("mesures", pd.concat(frames, ignore_index=True), file)
    return problems


def _undeclared(frame: pd.DataFrame, declared: dict[str, dict[str, set[str] | None]],
                catalogues: dict[str, Any]) -> list[pd.DataFrame]:
    """Rows whose territory type, or niveau / thématique / public code, is not declared for their indicator
    (catalogue des indicateurs, columns territoires, niveaux, thematiques, publics). A code already reported
    as unknown is not reported again."""
    known = frame["indicateur"].isin(declared)
    frames = []
    for column, catalogue_column in {"territoire_type": "territoires", **DIMENSION_COLUMNS}.items():
        pairs = {(ind, code) for ind, entry in declared.items() for code in (entry[column] or ())}
        key = pd.MultiIndex.from_arrays([frame["indicateur"], frame[column]])
        ok = key.isin(pairs) if pairs else np.zeros(len(frame), dtype=bool)
        if column != "territoire_type":
            ok = ok | (frame[column] == ALL).to_numpy()
        allowed = catalogues.get(column)
        if allowed is not None:
            ok = ok | ~frame[column].isin(allowed).to_numpy()  # unknown code: already reported
        bad = known.to_numpy() & ~ok
        message = ("non déclaré pour l'indicateur « " + frame.loc[bad, "indicateur"].astype(str)
                   + f" » (catalogue des indicateurs, colonne « {catalogue_column} »)")
        frames.append(rows_frame("mesures", frame.index[bad], column, frame.loc[bad, column], message))
    return frames


# --------------------------------------------------------------------------------------------------- reading

_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MOJIBAKE_RE = re.compile("[ÃÂ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
TEXT_EXPECTED = "un texte UTF-8 (avec ou sans BOM) ou Windows-1252 est attendu"


def _position(data: bytes | str, pos: int) -> tuple[int, int]:
    """(line, character) from 1 of the position `pos` in `data`."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, pos) + 1
    return line, pos - (data.rfind(newline, 0, pos) + 1) + 1


def _refuse(table: str, file: str, message: str, line: int | None = None, column: str | None = None,
            char: int | None = None, value: str | None = None, column_kind: str = "colonne") -> ValidationError:
    return ValidationError([Problem(table, line, column, value, message, file=file, char=char,
                                    column_kind=column_kind)])


def decode(data: bytes, table: str, file: str) -> str:
    """Bytes of a text file → text. UTF-8 (BOM allowed) tried strictly first, then Windows-1252 (cp1252, a
    superset of Latin-1 for text); UTF-16/32, binary data and empty files are refused in French."""
    if not data.strip():
        raise _refuse(table, file, "fichier vide")
    if data.startswith(_UTF16_32_BOMS):
        raise _refuse(table, file, f"encodage UTF-16 ou UTF-32 non pris en charge : {TEXT_EXPECTED} "
                      "(enregistrez le fichier en « UTF-8 »)")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, char = _position(data, nul)
        raise _refuse(table, file, f"octet nul : fichier binaire ou encodé en UTF-16/UTF-32 ; {TEXT_EXPECTED}",
                      line=line, char=char)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            line, char = _position(data, err.start)
            raise _refuse(table, file, f"octet 0x{data[err.start]:02X} illisible, ni UTF-8 ni Windows-1252 "
                          f"(fichier binaire ?) ; {TEXT_EXPECTED}", line=line, char=char) from None
        mixed = _MOJIBAKE_RE.search(text)
        if mixed:
            line, char = _position(data, utf8_error.start)
            raise _refuse(table, file, "encodages mélangés : le fichier contient du texte UTF-8 et des octets "
                          "Windows-1252 ; enregistrez-le entièrement en UTF-8", line=line, char=char) from None
    text = text.removeprefix("\ufeff")
    control = _CONTROL_RE.search(text)
    if control:
        line, char = _position(text, control.start())
        raise _refuse(table, file, f"caractère de contrôle U+{ord(control.group()):04X} : fichier binaire ou "
                      f"corrompu ? {TEXT_EXPECTED}", line=line, char=char)
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


def _open_quote(line_text: str) -> tuple[int, int] | None:
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
        elif c == ";":
            field_index += 1
            at_start = True
            i += 1
            continue
        elif c == '"' and at_start:
            in_quotes, start = True, i
        at_start = False
        i += 1
    return (field_index, start + 1) if in_quotes else None


def _csv_rows_slow(text: str, table: str, file: str, header: list[str]) -> tuple[list[list[str]], list[int]]:
    """Exact parse with the csv module: rows and the file line where each starts; quote problems refused."""
    lines = text.split("\n")
    reader = csv.reader(io.StringIO(text), delimiter=";", strict=True)
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
        line_text = lines[start - 1] if start - 1 < len(lines) else ""
        found = _open_quote(line_text.rstrip("\r"))
        column = header[found[0]] if found and found[0] < len(header) else None
        if "end of data" in str(err) or found:
            raise _refuse(table, file, "guillemet ouvrant jamais refermé : un champ entre guillemets doit se "
                          "terminer par un guillemet (doublez les guillemets à l'intérieur du texte : \"\")",
                          line=start, column=column, char=found[1] if found else None) from None
        raise _refuse(table, file, "guillemet mal placé : après un guillemet fermant, un « ; » ou une fin de "
                      "ligne est attendu (doublez les guillemets à l'intérieur du texte : \"\")", line=start,
                      column=column) from None
    return rows, starts


def _field_count_problems(table: str, file: str, lines: list[int], counts: list[int], expected: int,
                          total: int) -> ValidationError:
    problems = [Problem(table, line, None, None, f"{count} champ(s) au lieu de {expected} (séparateur « ; » "
                        "manquant ou en trop ? un texte contenant « ; » doit être entre guillemets)", file=file)
                for line, count in zip(lines[:MAX_LISTED], counts[:MAX_LISTED], strict=False)]
    return ValidationError(problems, total)


def parse_csv(text: str, table: str, file: str) -> pd.DataFrame:
    """`;`-separated text → frame of strings (empty cell = ""), index = file line - 2. Blank lines are skipped
    (the index keeps following the file lines); rows with a wrong number of fields and quote problems are
    refused with their line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    header_text = text.split("\n", 1)[0]
    header = next(csv.reader([header_text], delimiter=";"), [])
    if not any(h.strip() for h in header):
        raise _refuse(table, file, "en-tête vide : la première ligne doit nommer les colonnes", line=1)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise _refuse(table, file, "colonne en double dans l'en-tête", line=1, column=name)
        seen.add(name)
    ncols = len(header)
    try:
        with warnings.catch_warnings():
            # a row longer than the header: pandas warns (index_col=False) → exact parse below, which reports it
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False,
                                skip_blank_lines=False, index_col=False, engine="c")
        fast = True
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        fast = False
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)  # header included
    if fast and len(frame) == physical - 1 and '"' not in text and text.count(";") == (ncols - 1) * physical:
        # every line has exactly the header's number of fields (so no blank line): nothing more to check
        frame.index = pd.RangeIndex(len(frame))
        return frame
    body = text.split("\n")[1:]
    if body and body[-1] == "":
        body.pop()
    if fast and len(frame) == len(body):
        lines = pd.Series(body, dtype=object)
        blank = lines.str.strip() == ""
        separators = lines.str.count(";")
        short = (separators < ncols - 1) & ~blank
        if short.any():
            where = np.flatnonzero(short.to_numpy())
            raise _field_count_problems(table, file, (where + 2).tolist(), (separators[short] + 1).tolist(), ncols,
                                        int(short.sum()))
        frame.index = pd.RangeIndex(len(frame))
        return frame.loc[~blank.to_numpy()]
    rows, starts = _csv_rows_slow(text, table, file, header)
    data, data_starts = rows[1:], starts[1:]
    keep = [i for i, row in enumerate(data) if row and any(cell.strip() for cell in row)]
    wrong = [i for i in keep if len(data[i]) != ncols]
    if wrong:
        raise _field_count_problems(table, file, [data_starts[i] for i in wrong], [len(data[i]) for i in wrong],
                                    ncols, len(wrong))
    return pd.DataFrame([data[i] for i in keep], columns=header, index=[data_starts[i] - 2 for i in keep],
                        dtype=object)


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
        raise _refuse(table, file, f"JSON invalide : {detail}{truncated}", line=err.lineno,
                      char=err.colno) from None
    except ValueError as err:
        raise _refuse(table, file, f"JSON invalide : « {err} » n'est pas un nombre JSON (nombre fini attendu)") \
            from None
    except RecursionError:
        raise _refuse(table, file, "JSON invalide : imbrication trop profonde") from None


def read_json(path: Path, table: str, file: str | None = None) -> Any:
    file = file or path.name
    return parse_json(read_text(path, table, file), table, file)


# --- GeoJSON

_GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
_ACCEPTED_CRS = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "urn:ogc:def:crs:EPSG::4326",
                 "EPSG:4326", "CRS84")


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
        raise _refuse(table, file, "GeoJSON invalide : un objet FeatureCollection avec une liste « features » "
                      "est attendu", column="features", column_kind="clé")
    crs = raw.get("crs")
    if isinstance(crs, dict):
        crs_properties = crs.get("properties")
        name = str(crs_properties.get("name", "")) if isinstance(crs_properties, dict) else ""
        if name and name not in _ACCEPTED_CRS:
            raise _refuse(table, file, "système de coordonnées non pris en charge : WGS84 (longitude, latitude en "
                          "degrés, EPSG:4326) est attendu ; reprojetez le fichier", column="crs", value=name,
                          column_kind="clé")
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
        props.append({k: (None if v is None else v if isinstance(v, str) else
                          json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
                      for k, v in properties.items()})
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


def _fmt(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def bbox_hint(xmin: float, ymin: float, xmax: float, ymax: float,
              emprise: tuple[float, float, float, float]) -> str:
    """Why coordinates fall outside the académie's bounding box: projected CRS, swapped axes, or just wrong."""
    west, south, east, north = emprise
    where = (f"emprise de l'académie : longitude {_fmt(west)} à {_fmt(east)}, latitude {_fmt(south)} à "
             f"{_fmt(north)}, clé « emprise » de academie.json")
    if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
        why = "coordonnées projetées (Lambert-93 ?) : WGS84 en degrés (EPSG:4326) attendu"
    elif west <= ymin and ymax <= east and south <= xmin and xmax <= north:
        why = "longitude et latitude inversées ?"
    elif xmin == xmax == ymin == ymax == 0:
        why = "coordonnées 0, 0 : position absente ?"
    else:
        why = "mauvais système de coordonnées, axes inversés ou position erronée"
    return f"coordonnées hors de l'emprise de l'académie — {why} ({where})"


def geometry_problems(table: str, layer: GeoLayer, emprise: tuple[float, float, float, float],
                      file: str | None = None) -> Problems:
    """Polygon type, validity (no self-intersection), non-empty, inside the académie's bounding box."""
    import shapely

    problems = Problems()

    def refuse(n: int, message: str, value: str | None = None) -> None:
        problems.add(Problem(table, n, "geometry", value, message, file=file, unit="entité", column_kind="clé"))

    west, south, east, north = emprise
    for number, shape in enumerate(layer.geometries, start=1):
        if shape is None:
            continue
        if shape.geom_type not in _GEOMETRY_TYPES:
            refuse(number, "type de géométrie non pris en charge : Polygon ou MultiPolygon attendu",
                   shape.geom_type)
            continue
        if shape.is_empty:
            refuse(number, "géométrie vide")
            continue
        coords = shapely.get_coordinates(shape)
        if not np.isfinite(coords).all():
            refuse(number, "coordonnées non finies")
            continue
        xmin, ymin, xmax, ymax = shape.bounds
        if xmin < west or xmax > east or ymin < south or ymax > north:
            refuse(number, bbox_hint(xmin, ymin, xmax, ymax, emprise),
                   f"{_fmt(xmin)} {_fmt(ymin)} {_fmt(xmax)} {_fmt(ymax)}")
            continue
        if not shape.is_valid:
            reason = shapely.is_valid_reason(shape)
            match = re.match(r"^([^\[]+)\[(.*)\]$", reason)
            kind, at = (match.group(1).strip(), match.group(2)) if match else (reason, "")
            french = {"Self-intersection": "auto-intersection (contour qui se croise)",
                      "Ring Self-intersection": "auto-intersection d'un anneau",
                      "Too few points in geometry component": "trop peu de points",
                      "Interior is disconnected": "intérieur déconnecté",
                      "Hole lies outside shell": "trou hors du contour",
                      "Nested shells": "contours imbriqués",
                      "Duplicate Rings": "anneaux en double"}.get(kind, kind)
            where = f" au point {at}" if at else ""
            refuse(number, f"géométrie invalide : {french}{where} ; corrigez le contour (par exemple "
                   "ST_MakeValid ou « Réparer les géométries » dans QGIS)")
    return problems


# --- academie.json

_ACADEMIE_TEXT_KEYS = ("code", "nom", "bilan")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def academie_problems(raw: Any, file: str = "academie.json") -> Problems:
    """Keys and values of academie.json: every key the application reads, with its type and range."""
    problems = Problems()

    def refuse(key: str | None, message: str, value: Any = None) -> None:
        problems.add(Problem("academie", None, key, None if value is None else str(value), message, file=file,
                             column_kind="clé"))

    if not isinstance(raw, dict):
        refuse(None, "objet JSON attendu (des clés « code », « nom », « departements »…)")
        return problems
    for key in _ACADEMIE_TEXT_KEYS:
        if key not in raw:
            refuse(key, "clé manquante : texte non vide attendu")
        elif not isinstance(raw[key], str) or not raw[key].strip():
            refuse(key, "texte non vide attendu", raw[key])
    if "bassins_note" in raw and not isinstance(raw["bassins_note"], str):
        refuse("bassins_note", "texte attendu", raw["bassins_note"])
    deps = raw.get("departements")
    if not isinstance(deps, list) or not deps:
        refuse("departements", "clé manquante ou vide : liste de {\"code\": \"54\", \"nom\": \"…\"} attendue")
    else:
        seen: set[str] = set()
        for i, dep in enumerate(deps, start=1):
            key = f"departements[{i}]"
            if not isinstance(dep, dict) or not all(isinstance(dep.get(k), str) for k in ("code", "nom")):
                refuse(key, "objet {\"code\": \"54\", \"nom\": \"…\"} attendu (code et nom en texte)", dep)
            elif not re.match(r"^\d{2}$", dep["code"]):
                refuse(f"{key}.code", "code de département à deux chiffres attendu", dep["code"])
            elif dep["code"] in seen:
                refuse(f"{key}.code", "département en double", dep["code"])
            else:
                seen.add(dep["code"])

    def school_year(key: str, value: Any) -> bool:
        if not isinstance(value, str) or not re.match(SCHOOL_YEAR_RE, value) or \
                int(value[5:]) != int(value[:4]) + 1:
            refuse(key, "année scolaire « AAAA-AAAA » (deux années consécutives) attendue", value)
            return False
        return True

    valid_years = raw.get("annees_valides")
    first = last = None
    if not isinstance(valid_years, dict):
        refuse("annees_valides", "clé manquante : {\"premiere\": \"2015-2016\", \"derniere\": \"2030-2031\"} "
               "attendu (plage des années scolaires acceptées dans les mesures)")
    elif all(school_year(f"annees_valides.{k}", valid_years.get(k)) for k in ("premiere", "derniere")):
        first, last = valid_years["premiere"], valid_years["derniere"]
        if first > last:
            refuse("annees_valides", "la première année doit précéder la dernière", f"{first} → {last}")
            first = last = None

    def in_range(key: str, value: str) -> None:
        if first and last and not first <= value <= last:
            refuse(key, f"année hors des années scolaires acceptées ({first} à {last}, clé « annees_valides »)",
                   value)

    if "annee_reference" not in raw:
        refuse("annee_reference", "clé manquante : année scolaire « AAAA-AAAA » attendue")
    elif school_year("annee_reference", raw["annee_reference"]):
        in_range("annee_reference", raw["annee_reference"])
    years = raw.get("annees")
    if not isinstance(years, list) or not years:
        refuse("annees", "clé manquante ou vide : liste d'années scolaires attendue")
    else:
        for i, year in enumerate(years, start=1):
            if school_year(f"annees[{i}]", year):
                in_range(f"annees[{i}]", year)

    emprise = raw.get("emprise")
    box = None
    sides = ("ouest", "sud", "est", "nord")
    if not isinstance(emprise, dict) or not all(_number(emprise.get(k)) for k in sides):
        refuse("emprise", "clé manquante ou invalide : {\"ouest\": 4.5, \"sud\": 47.5, \"est\": 8.0, \"nord\": "
               "50.0} attendu (rectangle englobant l'académie, en degrés WGS84)", None if emprise is None else
               json.dumps(emprise, ensure_ascii=False))
    else:
        west, south, east, north = (float(emprise[k]) for k in sides)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            refuse("emprise", "rectangle invalide : -180 ≤ ouest < est ≤ 180 et -90 ≤ sud < nord ≤ 90 attendus "
                   "(degrés WGS84)", json.dumps(emprise, ensure_ascii=False))
        else:
            box = (west, south, east, north)
    carte = raw.get("carte")
    if not isinstance(carte, dict):
        refuse("carte", "clé manquante : {\"centre\": [latitude, longitude], \"zoom\": 8} attendu")
    else:
        centre = carte.get("centre")
        if not isinstance(centre, list) or len(centre) != 2 or not all(_number(v) for v in centre):
            refuse("carte.centre", "[latitude, longitude] attendu (deux nombres)", centre)
        elif box and not (box[1] <= centre[0] <= box[3] and box[0] <= centre[1] <= box[2]):
            refuse("carte.centre", bbox_hint(centre[1], centre[0], centre[1], centre[0], box) +
                   " ; rappel : [latitude, longitude]", centre)
        zoom = carte.get("zoom")
        if not isinstance(zoom, int) or isinstance(zoom, bool) or not 1 <= zoom <= 18:
            refuse("carte.zoom", "nombre entier de 1 à 18 attendu", zoom)
    return problems


def read_table_file(table: str, path: Path) -> pd.DataFrame:
    """Read a reference or measures file as text columns (validation coerces the types); empty cell → None."""
    if path.suffix == ".geojson":
        return read_geojson(path, table).properties
    frame = read_csv(path, table)
    return frame.where(frame != "", None)


def school_year_of(period: str) -> str:
    """School year of a period: `2023-2024` stays, month `2024-01` → `2023-2024`, `2023-09` → `2023-2024`."""
    if re.match(SCHOOL_YEAR_RE, period):
        return period
    year, month = int(period[:4]), int(period[5:7])
    start = year if month >= 9 else year - 1
    return f"{start}-{start + 1}"


def is_all(code: str) -> bool:
    return code == ALL
