"""The single definition of every table (pandera models), its validation and the French problems it reports.

Every reader of data (the store when it builds the database, `python -m observatoire check`, the CLI export
round-trip and the future importer) reads files through `observatoire.reading` (`read_text` → `read_csv`,
`read_json`, `read_geojson`), validates each table through `validate(table, frame)` and checks the files against
each other through `observatoire.checks`. A failure raises `ValidationError`, whose `problems` name the file, the
line (header = line 1; GeoJSON: the feature number) and the column in French.

Problems are counted without limit but only the first `MAX_LISTED` are kept as `Problem` objects: checks are
vectorised (pandas masks), so validating a million rows stays linear whatever the number of bad rows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from observatoire.config import ALL
from observatoire.departements import COMMUNE_MESSAGE, COMMUNE_RE, DEPARTEMENT_MESSAGE, DEPARTEMENT_RE

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
DECIMAL_UNITS = (RATE_UNIT, "heures", "heure", "h")
"""Units whose values have decimals (a rate, a duration): there `1,234` has a decimal comma. For every other
unit (counts of people, visits, sites…) a comma or a point followed by exactly three digits is ambiguous in an
import (thousands or decimals?) and refused."""
MAX_LISTED = 100
"""Problems kept (and printed) in a `ValidationError`; the others are only counted."""


def _consecutive_school_year(series: pd.Series) -> pd.Series:
    """True where a value is not a school year, or is one whose years follow (« 2023-2024 »). Computed once per
    distinct value (a measures file repeats a few dozen periods over tens of thousands of rows)."""
    codes, uniques = pd.factorize(series.astype(str))
    parts = pd.Series(uniques, dtype=object).str.extract(SCHOOL_YEAR_RE)
    start = pd.to_numeric(parts[0], errors="coerce")
    end = pd.to_numeric(parts[1], errors="coerce")
    return (parts[0].isna() | (end == start + 1)).to_numpy(dtype=bool)[codes]


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
    departement: Series[str] = pa.Field(str_matches=DEPARTEMENT_RE)
    siege: Series[str] = pa.Field(str_matches=COMMUNE_RE)
    population: Series[int] = pa.Field(ge=0)

    class Config:
        strict = True
        coerce = True


class BassinsSieges(pa.DataFrameModel):
    """`bassins_sieges.csv`: the seat (commune) of each bassin, input of scripts/build_geodata.py."""

    code: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    nom: Series[str] = pa.Field(str_length={"min_value": 1})
    departement: Series[str] = pa.Field(str_matches=DEPARTEMENT_RE)
    siege: Series[str] = pa.Field(str_matches=COMMUNE_RE)

    class Config:
        strict = True
        coerce = True


class Departements(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=DEPARTEMENT_RE)
    nom: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True


class CommunesBassins(pa.DataFrameModel):
    code_commune: Series[str] = pa.Field(unique=True, str_matches=COMMUNE_RE)
    nom_commune: Series[str] = pa.Field(str_length={"min_value": 1})
    departement: Series[str] = pa.Field(str_matches=DEPARTEMENT_RE)
    bassin: Series[str] = pa.Field(str_length={"min_value": 1})
    population: Series[int] = pa.Field(ge=0)
    methode: Series[str] = pa.Field(isin=["siege_le_plus_proche", "annuaire", "fichier", "departement"])

    class Config:
        strict = True
        coerce = True


class Laboratoires(pa.DataFrameModel):
    code: Series[str] = pa.Field(unique=True, str_matches=r"^[a-z0-9-]+$")
    nom: Series[str] = pa.Field(str_length={"min_value": 1})
    commune: Series[str] = pa.Field(str_length={"min_value": 1})
    code_commune: Series[str] = pa.Field(str_matches=COMMUNE_RE)
    departement: Series[str] = pa.Field(str_matches=DEPARTEMENT_RE)
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
REFERENCE_TABLES = [name for name in TABLES if name != "mesures"]
OTHER_FILES = {
    "academie": "academie.json",
    "bassins_sieges": "bassins_sieges.csv",
    "chiffres_bilan": "chiffres_bilan.csv",
}
"""Files checked outside `TABLES` (no database table of their own)."""
EXTRA_MODELS: dict[str, type[pa.DataFrameModel]] = {"bassins_sieges": BassinsSieges}
MAY_BE_EMPTY = {"projets", "bassins_sieges"}
"""Tables allowed to have no data row (every other empty file is refused: pages need data)."""

# Columns that hold codes and must stay text (leading zeros, "2A" style codes).
_TEXT_COLUMNS = {
    "code",
    "code_commune",
    "departement",
    "siege",
    "bassin",
    "territoire_code",
    "periode",
    "laboratoire",
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
    cell: str | None = None  # the cell as a spreadsheet names it (`H5`): imported files

    @property
    def filename(self) -> str:
        return self.file or filename_of(self.table)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.column:
            cell = f" (cellule {self.cell})" if self.cell else ""
            where.append(f"{self.column_kind} « {self.column} »{cell}")
        elif self.cell:
            where.append(f"cellule {self.cell}")
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
            self.listed.append(
                Problem(
                    table,
                    None if pd.isna(line) else int(line),
                    None if column is None or pd.isna(column) else str(column),
                    None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value),
                    str(message),
                    file=file,
                    unit=unit,
                )
            )

    def error(self) -> ValidationError:
        return ValidationError(self.listed, self.count)

    def raise_if_any(self) -> None:
        if self.count:
            raise self.error()


def _line_offset(table: str) -> int:
    """File line of the row of index 0: 2 in a CSV file (after the header), 1 for the first GeoJSON feature."""
    return 1 if table in TABLES and TABLES[table].geojson else 2


def rows_frame(
    table: str, index: pd.Index | np.ndarray, column: str | None, values: Any, message: str | pd.Series
) -> pd.DataFrame:
    """Problems of the rows `index` (a frame index, so line = index + offset), vectorised."""
    idx = pd.Index(index)
    lines = pd.to_numeric(pd.Series(idx, dtype=object), errors="coerce").astype("Int64") + _line_offset(table)
    if isinstance(values, pd.Series):
        values = values.astype(object).where(values.notna(), None).astype(str).where(values.notna(), None)
        values = values.to_numpy()
    return pd.DataFrame(
        {
            "line": lines.to_numpy(),
            "column": column,
            "value": values,
            "message": message.to_numpy() if isinstance(message, pd.Series) else message,
        }
    )


_CHECK_MESSAGES: list[tuple[str, str]] = [
    (r"^coerce_dtype\('float", "nombre attendu"),
    (r"^coerce_dtype\('int", "nombre entier attendu"),
    (r"^coerce_dtype\('Int", "nombre entier attendu"),
    (r"^coerce_dtype", "type de valeur invalide"),
    (r"^dtype\(", "type de valeur invalide"),
    (r"^not_nullable", "valeur manquante"),
    (r"^isin\((.*)\)$", "valeur non autorisée, valeurs possibles : {0}"),
    (
        "^" + re.escape(f"str_matches('{PERIOD_RE}')") + "$",
        "format de période invalide : « AAAA-AAAA » (année "
        "scolaire, par exemple 2023-2024) ou « AAAA-MM » (mois, par exemple 2024-01) attendu",
    ),
    (
        "^" + re.escape("str_matches('^[a-z0-9_]+$')") + "$",
        "format de code invalide : lettres minuscules sans accent, chiffres et « _ » attendus",
    ),
    ("^" + re.escape(f"str_matches('{DEPARTEMENT_RE}')") + "$", DEPARTEMENT_MESSAGE),
    ("^" + re.escape(f"str_matches('{COMMUNE_RE}')") + "$", COMMUNE_MESSAGE),
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


def _line(index: Any, table: str = "mesures") -> int | None:
    """The file line of a row label (None when it is not a number)."""
    try:
        return int(index) + _line_offset(table)
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


def validate(table: str, frame: pd.DataFrame, file: str | None = None, duplicates: bool = True) -> pd.DataFrame:
    """Validate (and coerce) `frame` against the schema of `table`; raise `ValidationError` in French.

    `file`: name of the file the frame comes from when it is not the table's own file (e.g. an import).
    When only some rows are wrong, the error's `valid` holds the other rows, validated and coerced, so that
    later checks (codes, ranges) can report their problems in the same run. `duplicates=False`: measures
    repeating a key are not reported (an import whose key column is missing: every row would repeat it).
    """
    model = TABLES[table].model if table in TABLES else EXTRA_MODELS[table]
    problems = Problems()
    if frame.empty and table not in MAY_BE_EMPTY and len(frame.columns):
        what = "aucune mesure" if table == "mesures" else "aucune ligne de données"
        problems.add(Problem(table, None, None, None, f"{what} : le fichier ne contient que l'en-tête", file=file))
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
            problems.extend(
                Problem(p.table, p.line, p.column, p.value, p.message, file=file) for p in column_problems
            )
            row_frames.append(rows)
            if column_problems or rows.empty or rows["line"].isna().any():
                break
            bad = pd.Index(rows["line"].astype("int64").unique() - _line_offset(table))
            current = current.drop(index=current.index.intersection(bad))
    if row_frames:
        problems.add_frame(table, pd.concat(row_frames, ignore_index=True), file)
    if result is not None and table == "mesures" and duplicates:
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
    """Rows repeating the key of an earlier row, each naming the line of the first one."""
    keys = frame[MEASURE_KEY]
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return rows_frame("mesures", [], None, None, "")
    involved = np.flatnonzero(keys.duplicated(keep=False).to_numpy())
    sub = keys.iloc[involved]
    first = (
        pd.Series(involved)
        .groupby([sub[c].to_numpy() for c in MEASURE_KEY], sort=False, dropna=False)
        .transform("first")
        .to_numpy()
    )
    first_of = np.full(len(frame), -1)
    first_of[involved] = first
    where = np.flatnonzero(dup)
    first_lines = pd.to_numeric(pd.Series(frame.index[first_of[where]], dtype=object), errors="coerce")
    first_lines = (first_lines + _line_offset("mesures")).astype("Int64").astype(str)
    return rows_frame(
        "mesures",
        frame.index[where],
        None,
        None,
        "mesure en double : même indicateur, période, territoire, niveau, thématique et public "
        "que la ligne " + first_lines,
    )


def school_year_start(periods: pd.Series) -> pd.Series:
    """First calendar year of the school year of each (valid) period, vectorised (`2023-09` → 2023,
    `2024-01` → 2023, `2023-2024` → 2023)."""
    year = pd.to_numeric(periods.str[:4], errors="coerce")
    monthly = periods.str.match(MONTH_RE)
    month = pd.to_numeric(periods.str[5:7].where(monthly), errors="coerce")
    return year.where(~monthly | (month >= 9), year - 1)


def close_match_hints(values: pd.Series, allowed: Iterable[str], limit: int = 2 * MAX_LISTED) -> pd.Series:
    """For each value, « , vouliez-vous dire « code » ? » when one allowed code is close to it (difflib; a
    difference of case or surrounding spaces counts as close), "" otherwise. Only the first `limit` distinct
    values get a hint (the problems listed are the first ones), so the cost stays bounded."""
    choices = sorted({str(a) for a in allowed})
    by_lower = {c.lower(): c for c in choices}
    text = values.astype(object).where(values.notna(), "").astype(str)
    hints: dict[str, str] = {}
    for value in pd.unique(text)[:limit]:
        exact = by_lower.get(value.strip().lower())
        if exact is not None and exact != value:
            match = [exact]
        elif len(value) <= 100:
            match = difflib.get_close_matches(value.strip().lower(), choices, n=1, cutoff=0.6)
        else:
            match = []
        hints[value] = f", vouliez-vous dire « {match[0]} » ?" if match else ""
    return text.map(hints).fillna("").astype(str)


def check_measure_references(
    frame: pd.DataFrame, catalogues: dict[str, Any], file: str | None = None, raw: pd.DataFrame | None = None
) -> Problems:
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
        values = frame.loc[bad, column]
        frames.append(
            rows_frame(
                "mesures", frame.index[bad], column, values, "code inconnu" + close_match_hints(values, allowed)
            )
        )
    for ttype in TERRITORY_TYPES:
        allowed = catalogues.get(f"territoire:{ttype}")
        if allowed is None:
            continue
        mask = (frame["territoire_type"] == ttype) & ~frame["territoire_code"].isin(allowed)
        values = frame.loc[mask, "territoire_code"]
        hint = close_match_hints(values, allowed)
        for other in TERRITORY_TYPES:  # a code of another type: the type is probably wrong
            codes = catalogues.get(f"territoire:{other}")
            if other != ttype and codes is not None:
                hint = hint.mask(
                    values.isin(codes),
                    f" (c'est un code de type « {other} » : vérifiez la colonne « territoire_type »)",
                )
        frames.append(
            rows_frame(
                "mesures",
                frame.index[mask],
                "territoire_code",
                values,
                f"code de territoire inconnu pour le type « {ttype} »" + hint,
            )
        )
    granularity = catalogues.get("granularite_mensuelle")
    if granularity is not None:
        monthly = frame["periode"].str.match(MONTH_RE)
        expected = frame["indicateur"].isin(granularity)
        known = frame["indicateur"].isin(catalogues.get("indicateur", frame["indicateur"]))
        month_for_year = monthly & ~expected & known
        periods = frame.loc[month_for_year, "periode"]
        frames.append(
            rows_frame(
                "mesures",
                frame.index[month_for_year],
                "periode",
                periods,
                "période annuelle attendue, par exemple "
                + periods.map(school_year_of)
                + " : cet indicateur est annuel (année scolaire « AAAA-AAAA »), « "
                + periods
                + " » est un mois",
            )
        )
        year_for_month = ~monthly & expected & known
        periods = frame.loc[year_for_month, "periode"]
        frames.append(
            rows_frame(
                "mesures",
                frame.index[year_for_month],
                "periode",
                periods,
                "période mensuelle attendue, par exemple " + periods.str[:4] + "-09 : cet "
                "indicateur est mensuel (mois « AAAA-MM »)",
            )
        )
    years = catalogues.get("annees_valides")
    if years is not None:
        first, last = years
        start = school_year_start(frame["periode"])
        bad = (start < int(first[:4])) | (start > int(last[:4]))
        frames.append(
            rows_frame(
                "mesures",
                frame.index[bad],
                "periode",
                frame.loc[bad, "periode"],
                f"période hors des années scolaires acceptées ({first} à {last}, clé "
                "« annees_valides » de academie.json)",
            )
        )
    value = frame["valeur"].astype(float)
    tiny = (value != 0) & (value.abs() < np.finfo(float).tiny)  # subnormal: 1e-320, never a real figure
    if tiny.any():
        written = (raw["valeur"] if raw is not None and "valeur" in raw else frame["valeur"]).reindex(frame.index)
        frames.append(
            rows_frame(
                "mesures",
                frame.index[tiny],
                "valeur",
                written[tiny],
                "nombre trop proche de zéro (dénormalisé) : écrivez 0 ou la valeur exacte",
            )
        )
    units = catalogues.get("unites")
    if units is not None:
        written = (raw["valeur"] if raw is not None and "valeur" in raw else frame["valeur"]).reindex(frame.index)
        unit = frame["indicateur"].map(units)
        rate = unit == RATE_UNIT
        finite = np.isfinite(value)
        finite = finite & ~tiny  # reported above
        bad_rate = rate & finite & ((value < 0) | (value > 100))
        frames.append(
            rows_frame(
                "mesures",
                frame.index[bad_rate],
                "valeur",
                written[bad_rate],
                "taux hors de l'intervalle 0 à 100 (unité « % »)",
            )
        )
        bad_count = unit.notna() & ~rate & finite & ((value < 0) | (value > MAX_COUNT))
        frames.append(
            rows_frame(
                "mesures",
                frame.index[bad_count],
                "valeur",
                written[bad_count],
                "nombre hors de l'intervalle accepté : de 0 à 1 000 000 000 000 (10^12) pour un "
                "effectif ou un volume",
            )
        )
    declared = catalogues.get("declarations")
    if declared is not None:
        frames.extend(_undeclared(frame, declared, catalogues))
    problems = Problems()
    frames = [f for f in frames if not f.empty]
    if frames:
        problems.add_frame("mesures", pd.concat(frames, ignore_index=True), file)
    return problems


def _undeclared(
    frame: pd.DataFrame, declared: dict[str, dict[str, set[str] | None]], catalogues: dict[str, Any]
) -> list[pd.DataFrame]:
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
        message = (
            "non déclaré pour l'indicateur « "
            + frame.loc[bad, "indicateur"].astype(str)
            + f" » (catalogue des indicateurs, colonne « {catalogue_column} »)"
        )
        frames.append(rows_frame("mesures", frame.index[bad], column, frame.loc[bad, column], message))
    return frames


def school_year_of(period: str) -> str:
    """School year of a period: `2023-2024` stays, month `2024-01` → `2023-2024`, `2023-09` → `2023-2024`."""
    if re.match(SCHOOL_YEAR_RE, period):
        return period
    year, month = int(period[:4]), int(period[5:7])
    start = year if month >= 9 else year - 1
    return f"{start}-{start + 1}"
