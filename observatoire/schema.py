"""The single definition of every table, with validation and French error messages.

Every reader of data (the store when it builds the database, `python -m observatoire check`, the CLI export
round-trip and the future importer) validates through `validate(table, frame)`. A failure raises
`ValidationError`, whose `problems` name the file line (header = line 1) and the column in French.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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


def _consecutive_school_year(value: str) -> bool:
    match = re.match(SCHOOL_YEAR_RE, value)
    return match is None or int(match.group(2)) == int(match.group(1)) + 1


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
        return series.map(_consecutive_school_year)

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

# Columns that hold codes and must stay text (leading zeros, "2A" style codes).
_TEXT_COLUMNS = {
    "code", "code_commune", "departement", "siege", "bassin", "territoire_code", "periode", "laboratoire",
}


@dataclass(frozen=True)
class Problem:
    """One validation problem, located by file line (header = line 1) and column."""

    table: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        location = ", ".join(where)
        value = f" (valeur « {self.value} »)" if self.value not in (None, "") else ""
        prefix = f"{TABLES[self.table].label if self.table in TABLES else self.table}"
        return f"{prefix} — {location} : {self.message}{value}" if location else f"{prefix} : {self.message}"


class ValidationError(ValueError):
    """Raised when a table does not match its schema. `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(f"- {p}" for p in problems[:20])
        more = f"\n… et {len(problems) - 20} autres problèmes" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problème(s) de données :\n{shown}{more}")


_CHECK_MESSAGES: list[tuple[str, str]] = [
    (r"^coerce_dtype\('float", "nombre attendu"),
    (r"^coerce_dtype\('int", "nombre entier attendu"),
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
]


def _french_check(check: str) -> str:
    for pattern, message in _CHECK_MESSAGES:
        match = re.match(pattern, check)
        if match:
            return message.format(*[g.replace("'", "") for g in match.groups()])
    return f"contrôle « {check} » non respecté"


def _line(index: object) -> int | None:
    try:
        return int(index) + 2  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def validate(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Validate (and coerce) `frame` against the schema of `table`; raise `ValidationError` in French."""
    model = TABLES[table].model
    problems: list[Problem] = []
    try:
        result = model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        seen: set[tuple] = set()
        for case in cases.itertuples(index=False):
            check = str(case.check)
            column = None if pd.isna(case.column) else str(case.column)
            line = _line(case.index)
            value = None if pd.isna(case.failure_case) else str(case.failure_case)
            if check.startswith("dtype(") and any(
                p.line == line and p.column == column for p in problems
            ):
                continue  # the coercion problem on the same cell was already reported
            if str(case.schema_context) == "DataFrameSchema":
                column, value = value, None  # missing/unexpected column: the "case" is the column name
            key = (line, column, check)
            if key in seen:
                continue
            seen.add(key)
            problems.append(Problem(table, line, column, value, _french_check(check)))
        raise ValidationError(problems) from None
    if table == "mesures":
        problems.extend(_duplicate_measures(result))
    if problems:
        raise ValidationError(problems)
    return result


def _duplicate_measures(frame: pd.DataFrame) -> list[Problem]:
    dup = frame.duplicated(subset=MEASURE_KEY, keep="first")
    return [
        Problem("mesures", _line(i), None, None, "mesure en double (même indicateur, période, territoire, "
                "niveau, thématique et public qu'une ligne précédente)")
        for i in frame.index[dup]
    ]


def check_measure_references(frame: pd.DataFrame, catalogues: dict[str, set[str]]) -> list[Problem]:
    """Codes of `frame` that the catalogues do not know. `catalogues` maps a column to its allowed codes.

    `territoire_code` is checked per `territoire_type` through keys `territoire:<type>`.
    """
    problems: list[Problem] = []
    for column in ("indicateur", "niveau", "thematique", "public"):
        allowed = catalogues.get(column)
        if allowed is None:
            continue
        bad = ~frame[column].isin(allowed)
        for i in frame.index[bad]:
            problems.append(Problem("mesures", _line(i), column, str(frame.at[i, column]), "code inconnu"))
    for ttype in TERRITORY_TYPES:
        allowed = catalogues.get(f"territoire:{ttype}")
        if allowed is None:
            continue
        mask = (frame["territoire_type"] == ttype) & ~frame["territoire_code"].isin(allowed)
        for i in frame.index[mask]:
            problems.append(
                Problem("mesures", _line(i), "territoire_code", str(frame.at[i, "territoire_code"]),
                        f"code de territoire inconnu pour le type « {ttype} »")
            )
    granularity = catalogues.get("granularite_mensuelle")
    if granularity is not None:
        monthly = frame["periode"].str.match(MONTH_RE)
        expected = frame["indicateur"].isin(granularity)
        for i in frame.index[monthly != expected]:
            problems.append(
                Problem("mesures", _line(i), "periode", str(frame.at[i, "periode"]),
                        "période incompatible avec la granularité de l'indicateur (mois attendu pour un "
                        "indicateur mensuel, année scolaire sinon)")
            )
    declared = catalogues.get("declarations")
    if declared is not None:  # a cell already reported (unknown code) is not reported twice
        reported = {(p.line, p.column) for p in problems}
        problems.extend(p for p in _undeclared(frame, declared)  # type: ignore[arg-type]
                        if (p.line, p.column) not in reported)
    return problems


def _undeclared(frame: pd.DataFrame, declared: dict[str, dict[str, set[str] | None]]) -> list[Problem]:
    """Rows with a territory type or a niveau / thématique / public code that the catalogue does not declare
    for their indicator (catalogue des indicateurs, columns territoires, niveaux, thematiques, publics)."""
    problems: list[Problem] = []
    columns = {"territoire_type": "territoires", **DIMENSION_COLUMNS}
    for column, catalogue_column in columns.items():
        for i, ind, code in zip(frame.index, frame["indicateur"], frame[column], strict=True):
            entry = declared.get(ind)
            if entry is None or (column != "territoire_type" and code == ALL):
                continue
            allowed = entry[column]
            if allowed is None or code not in allowed:
                problems.append(Problem("mesures", _line(i), column, str(code),
                                        f"non déclaré pour l'indicateur « {ind} » (catalogue des indicateurs, "
                                        f"colonne « {catalogue_column} »)"))
    return problems


def read_table_file(table: str, path: Path) -> pd.DataFrame:
    """Read a reference or measures file as text columns (validation coerces the types)."""
    if path.suffix == ".geojson":
        import json

        raw = json.loads(path.read_text(encoding="utf-8"))
        return pd.DataFrame([f["properties"] for f in raw["features"]])
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.replace({"": None}) if table != "mesures" else frame.replace({"": None})


def school_year_of(period: str) -> str:
    """School year of a period: `2023-2024` stays, month `2024-01` → `2023-2024`, `2023-09` → `2023-2024`."""
    if re.match(SCHOOL_YEAR_RE, period):
        return period
    year, month = int(period[:4]), int(period[5:7])
    start = year if month >= 9 else year - 1
    return f"{start}-{start + 1}"


def is_all(code: str) -> bool:
    return code == ALL
