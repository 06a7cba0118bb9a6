"""DuckDB store: reference tables + measures kept in lots (batches), with a readable data version.

Layout
- `meta(key, value)`: schema version, reference hash, data version (hash + date).
- reference tables (`indicateurs`, `thematiques`, `niveaux`, `publics`, `departements`, `bassins`,
  `communes_bassins`, `laboratoires`, `projets`, and the derived `territoires`): refreshed automatically when a
  file under `data/reference/` changes; a refresh never touches the lots.
- `lots(lot_id, origine, libelle, cree_le, nb_lignes, empreinte, actif)` and `mesures(lot_id, …)`: every
  measure belongs to a lot and has its own `origine` (bilan, deduit, illustratif, import; `source` is text).
  The shipped demo data is the first lot (lot `origine = 'demo'`). An import adds a lot; undoing it
  deactivates or deletes the lot. `mesures_actives` is the view every query reads: for a given key
  (indicator, period, territory, niveau, thématique, public) the most recent active lot wins.

The dashboard opens the database read-only (`connect(read_only=True)`); only `build`/`ensure`/lot functions
write. All SQL uses named parameters.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import config, schema

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2"  # 2: measures carry their `origine` (bilan, deduit, illustratif, import)
REFERENCE_TABLES = [name for name in schema.TABLES if name != "mesures"]


class StoreError(RuntimeError):
    """A problem with the database, explained in French."""


class DatabaseBusyError(StoreError):
    """The database is held by another process (the dashboard, another command), so it could not be updated.
    Nothing was written. The dashboard catches it (`ensure(..., keep_current=True)`) to keep serving the data
    it has; a command reports it and fails."""


def _busy(path: Path, err: object = None) -> DatabaseBusyError:
    pid = re.search(r"\(PID (\d+)\)", str(err or ""))
    detail = f" (processus {pid.group(1)})" if pid else ""
    return DatabaseBusyError(
        f"La base {path} est utilisée par un autre processus (le tableau de bord est-il lancé ?) : elle n'a pas "
        f"pu être mise à jour et n'a pas été modifiée. Arrêtez l'application ou l'autre commande, puis relancez "
        f"la commande.{detail}")


def _is_lock_error(err: BaseException) -> bool:
    text = str(err).lower()
    return "lock" in text or "different configuration" in text or "already open" in text


@dataclass(frozen=True)
class DataVersion:
    empreinte: str  # short content hash of reference data + active lots
    construite_le: str  # ISO date-time (UTC) of the last change
    lots_actifs: int
    mesures: int

    @property
    def label(self) -> str:
        date = self.construite_le[:16].replace("T", " ")
        return f"données {self.empreinte} du {date} UTC"


# --------------------------------------------------------------------------------------------------- files


def file_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def reference_files(reference_dir: Path = config.REFERENCE_DIR) -> list[Path]:
    return sorted(p for p in reference_dir.iterdir() if p.is_file() and p.suffix in {".csv", ".geojson", ".json"})


def reference_hash(reference_dir: Path = config.REFERENCE_DIR) -> str:
    return file_hash(reference_files(reference_dir))


def _clean_values(frame: pd.DataFrame) -> pd.DataFrame:
    """French number formats of `valeur`: thousands separators (spaces) removed, decimal comma → point."""
    if "valeur" in frame.columns:
        values = frame["valeur"].astype(object).where(frame["valeur"].notna(), "").astype(str)
        values = (values.str.replace("\u202f", "", regex=False).str.replace("\xa0", "", regex=False)
                  .str.replace(" ", "", regex=False).str.replace(",", ".", regex=False))
        frame["valeur"] = values.where(values != "", None)
    return frame


def read_measures_csv(source: Path | str | io.IOBase | bytes, file: str | None = None) -> pd.DataFrame:
    """Read a canonical measures CSV (`;`, UTF-8 with or without BOM or Windows-1252, decimal comma or point)
    through the single reader of `schema` (encoding, empty file, quotes, field counts checked in French).

    `file`: the name used in messages (default: the file's name, or « import » for bytes and streams)."""
    if isinstance(source, (str, Path)):
        frame = schema.read_csv(Path(source), "mesures", file)
    else:
        data = source if isinstance(source, bytes) else source.read()
        name = file or str(getattr(source, "name", "") or "import")
        text = data if isinstance(data, str) else schema.decode(data, "mesures", name)
        frame = schema.parse_csv(text.removeprefix("\ufeff"), "mesures", name)
    return _clean_values(frame)


@dataclass
class Reference:
    """Validated reference data: the tables written to the database, the académie and the map layers."""

    tables: dict[str, pd.DataFrame]
    academie: config.Academie
    layers: dict[str, schema.GeoLayer]


def read_reference(reference_dir: Path = config.REFERENCE_DIR) -> Reference:
    """Read and validate every reference file, geometries and labs included; cross-check codes between tables.
    Raises `schema.ValidationError` listing the problems (the first 100, and how many there are)."""
    problems = schema.Problems()
    acad: config.Academie | None = None
    try:
        raw = schema.read_json(reference_dir / "academie.json", "academie")
        found = schema.academie_problems(raw)
        problems.extend(found)
        if not found:
            acad = config.parse_academie(raw)
    except schema.ValidationError as err:
        problems.extend(err)
    tables: dict[str, pd.DataFrame] = {}
    layers: dict[str, schema.GeoLayer] = {}
    for name in REFERENCE_TABLES:
        spec = schema.TABLES[name]
        path = reference_dir / spec.filename
        try:
            if spec.geojson:
                layer = schema.read_geojson(path, name)
                if acad is not None:
                    problems.extend(schema.geometry_problems(name, layer, acad.emprise))
                frame = layer.properties
                layers[name] = layer
            else:
                frame = schema.read_table_file(name, path)
            tables[name] = schema.validate(name, frame)
        except schema.ValidationError as err:
            problems.extend(err)
    seats = None
    try:
        seats = schema.validate("bassins_sieges",
                                schema.read_table_file("bassins_sieges", reference_dir / "bassins_sieges.csv"))
    except schema.ValidationError as err:
        problems.extend(err)
    if not problems and acad is not None:
        problems.extend(_cross_reference_problems(tables, acad))
        problems.extend(_seat_problems(seats, tables["bassins"]))
        problems.extend(_lab_problems(tables, layers, acad))
    if problems or acad is None:
        raise problems.error()
    return Reference(tables, acad, layers)


def load_reference(reference_dir: Path = config.REFERENCE_DIR) -> dict[str, pd.DataFrame]:
    """Read and validate every reference table (see `read_reference`); the tables only."""
    return read_reference(reference_dir).tables


def _cross_reference_problems(t: dict[str, pd.DataFrame], acad: config.Academie) -> schema.Problems:
    problems = schema.Problems()
    bassins = set(t["bassins"]["code"])
    deps = set(t["departements"]["code"])
    themes = set(t["thematiques"]["code"])
    niveaux = set(t["niveaux"]["code"])

    def bad(table: str, column: str, frame: pd.DataFrame, allowed: set[str], split: bool = False,
            message: str = "code inconnu") -> None:
        values = frame[column]
        values = values[values.notna()].astype(str)
        if split:
            values = values.str.split("|").explode()
        mask = ~values.isin(allowed)
        problems.add_frame(table, schema.rows_frame(table, values.index[mask], column, values[mask], message))

    expected = set(acad.departements)
    for code in sorted(deps - expected):
        problems.add(schema.Problem("departements", None, "code", code, "département absent de la liste "
                                    "« departements » de academie.json"))
    for code in sorted(expected - deps):
        problems.add(schema.Problem("departements", None, "code", code, "département de academie.json sans "
                                    "contour dans departements.geojson"))
    bad("bassins", "departement", t["bassins"], deps)
    bad("communes_bassins", "bassin", t["communes_bassins"], bassins)
    bad("communes_bassins", "departement", t["communes_bassins"], deps)
    bad("laboratoires", "bassin", t["laboratoires"], bassins)
    bad("laboratoires", "departement", t["laboratoires"], deps)
    bad("laboratoires", "thematiques", t["laboratoires"], themes, split=True)
    bad("laboratoires", "niveaux", t["laboratoires"], niveaux, split=True)
    bad("projets", "thematique", t["projets"], themes)
    bad("projets", "laboratoire", t["projets"], set(t["laboratoires"]["code"]))
    # a commune (or a lab) and its bassin lie in the same département
    bassin_dep = dict(zip(t["bassins"]["code"], t["bassins"]["departement"], strict=True))
    for table in ("communes_bassins", "laboratoires"):
        frame = t[table]
        of_bassin = frame["bassin"].map(bassin_dep)
        mask = of_bassin.notna() & frame["departement"].isin(deps) & (of_bassin != frame["departement"])
        problems.add_frame(table, schema.rows_frame(
            table, frame.index[mask], "departement", frame.loc[mask, "departement"],
            "département différent de celui du bassin (" + frame.loc[mask, "bassin"].astype(str) + " est en "
            + of_bassin[mask].astype(str) + ")"))
    problems.extend(_theme_tree_problems(t["thematiques"]))
    problems.extend(_declaration_problems(t))
    return problems


def _seat_problems(seats: pd.DataFrame | None, bassins: pd.DataFrame) -> schema.Problems:
    """Seats of the bassins (input of build_geodata.py) must match bassins.geojson."""
    problems = schema.Problems()
    if seats is None:
        return problems
    known = bassins.set_index("code")
    unknown = ~seats["code"].isin(known.index)
    problems.add_frame("bassins_sieges", schema.rows_frame("bassins_sieges", seats.index[unknown], "code",
                                                           seats.loc[unknown, "code"],
                                                           "bassin inconnu de bassins.geojson"))
    ok = seats.loc[~unknown]
    for column in ("siege", "departement"):
        differs = ok[column].to_numpy() != known.loc[ok["code"], column].to_numpy()
        problems.add_frame("bassins_sieges", schema.rows_frame(
            "bassins_sieges", ok.index[differs], column, ok.loc[differs, column], "différent de bassins.geojson"))
    return problems


def _lab_problems(t: dict[str, pd.DataFrame], layers: dict[str, schema.GeoLayer],
                  acad: config.Academie) -> schema.Problems:
    """Each lab lies inside the académie's bounding box, its bassin's contour and its département's contour."""
    import numpy as np
    import shapely

    problems = schema.Problems()
    labs = t["laboratoires"]
    lon = labs["longitude"].to_numpy(dtype=float)
    lat = labs["latitude"].to_numpy(dtype=float)
    west, south, east, north = acad.emprise
    outside = (lon < west) | (lon > east) | (lat < south) | (lat > north)
    frames = []
    for i in np.flatnonzero(outside):
        frames.append(schema.rows_frame("laboratoires", labs.index[[i]], "latitude",
                                        pd.Series([f"{lat[i]:g}, {lon[i]:g}"]),
                                        schema.bbox_hint(lon[i], lat[i], lon[i], lat[i], acad.emprise)))
    points = shapely.points(lon, lat)
    tolerance = 1e-3  # degrees (≈ 100 m): contours are simplified
    for table, column, what in (("bassins", "bassin", "du bassin"), ("departements", "departement",
                                                                   "du département")):
        shapes = dict(zip(t[table]["code"], layers[table].geometries, strict=True))
        geoms = np.array([shapes.get(code) for code in labs[column]], dtype=object)
        known = np.array([g is not None for g in geoms]) & ~outside
        inside = np.zeros(len(labs), dtype=bool)
        if known.any():
            inside[known] = shapely.dwithin(geoms[known], points[known], tolerance)
        bad = known & ~inside
        frames.append(schema.rows_frame(
            "laboratoires", labs.index[bad], column, labs.loc[bad, column],
            f"le laboratoire (latitude, longitude) est hors du contour {what} indiqué : coordonnées ou {column} "
            "erronés ?"))
    frames = [f for f in frames if not f.empty]
    if frames:
        problems.add_frame("laboratoires", pd.concat(frames, ignore_index=True))
    return problems


def _theme_tree_problems(frame: pd.DataFrame) -> list[schema.Problem]:
    """`thematiques.parent`: a known thème other than `tous`, and no cycle (a thème is not its own ancestor)."""
    problems: list[schema.Problem] = []
    parents = {c: p for c, p in zip(frame["code"], frame["parent"], strict=True) if isinstance(p, str) and p}
    codes = set(frame["code"])
    line = {c: int(i) + 2 for i, c in frame["code"].items()}
    for code, parent in parents.items():
        if code == config.ALL:
            problems.append(schema.Problem("thematiques", line[code], "parent", parent,
                                           "« tous » ne peut pas être rattaché à un thème"))
        elif parent == config.ALL:
            problems.append(schema.Problem("thematiques", line[code], "parent", parent,
                                           "un thème ne peut pas être rattaché à « tous »"))
        elif parent not in codes:
            problems.append(schema.Problem("thematiques", line[code], "parent", parent, "code inconnu"))
    for code in parents:
        seen, current = [code], parents.get(code)
        while current is not None and current in codes:
            if current in seen:
                problems.append(schema.Problem(
                    "thematiques", line[code], "parent", parents[code],
                    "rattachement circulaire : " + " → ".join([*seen[seen.index(current):], current])))
                break
            seen.append(current)
            current = parents.get(current)
    return problems


def _declaration_problems(t: dict[str, pd.DataFrame]) -> list[schema.Problem]:
    """Declared breakdowns of the indicators: known territory types (académie always), known codes."""
    problems: list[schema.Problem] = []
    allowed = {"niveau": set(t["niveaux"]["code"]) - {config.ALL},
               "thematique": set(t["thematiques"]["code"]) - {config.ALL},
               "public": set(t["publics"]["code"]) - {config.ALL}}
    for i, row in t["indicateurs"].iterrows():
        line = int(i) + 2
        territories = str(row["territoires"]).split("|")
        for value in territories:
            if value not in schema.TERRITORY_TYPES:
                problems.append(schema.Problem("indicateurs", line, "territoires", value,
                                               "type de territoire inconnu, valeurs possibles : "
                                               + ", ".join(schema.TERRITORY_TYPES)))
        if "academie" not in territories:
            problems.append(schema.Problem("indicateurs", line, "territoires", row["territoires"],
                                           "le niveau académique (academie) est obligatoire"))
        for dim, column in schema.DIMENSION_COLUMNS.items():
            value = str(row[column])
            if value == schema.NOT_DETAILED:
                continue
            codes = value.split("|")
            for code in codes:
                if code not in allowed[dim]:
                    problems.append(schema.Problem("indicateurs", line, column, code, "code inconnu"))
            if len(set(codes)) != len(codes):
                problems.append(schema.Problem("indicateurs", line, column, value, "code en double"))
        if row["recouvrement"] != schema.NOT_DETAILED:
            for dim in str(row["recouvrement"]).split("|"):
                if str(row[schema.DIMENSION_COLUMNS[dim]]) == schema.NOT_DETAILED:
                    problems.append(schema.Problem("indicateurs", line, "recouvrement", dim,
                                                   "dimension non détaillée pour cet indicateur"))
    return problems


def declarations(indicators: pd.DataFrame) -> dict[str, dict[str, set[str] | None]]:
    """Indicator → declared territory types and, per dimension, its declared codes (None: not detailed)."""
    out: dict[str, dict[str, set[str] | None]] = {}
    for _, row in indicators.iterrows():
        entry: dict[str, set[str] | None] = {"territoire_type": set(str(row["territoires"]).split("|"))}
        for dim, column in schema.DIMENSION_COLUMNS.items():
            value = str(row[column])
            entry[dim] = None if value == schema.NOT_DETAILED else set(value.split("|"))
        out[str(row["id"])] = entry
    return out


def measure_catalogues(tables: dict[str, pd.DataFrame], acad: config.Academie | None = None) -> dict:
    """Allowed codes for each measures column, units and accepted school years, from validated reference
    tables and the académie (default: `config.academie()`)."""
    acad = acad or config.academie()
    ind = tables["indicateurs"]
    return {
        "indicateur": set(ind["id"]),
        "niveau": set(tables["niveaux"]["code"]),
        "thematique": set(tables["thematiques"]["code"]),
        "public": set(tables["publics"]["code"]),
        "territoire:academie": {acad.code},
        "territoire:departement": set(tables["departements"]["code"]),
        "territoire:bassin": set(tables["bassins"]["code"]),
        "territoire:laboratoire": set(tables["laboratoires"]["code"]),
        "granularite_mensuelle": set(ind.loc[ind["granularite"] == "mensuelle", "id"]),
        "unites": dict(zip(ind["id"], ind["unite"], strict=True)),
        "annees_valides": acad.annees_valides,
        "declarations": declarations(ind),  # type: ignore[dict-item]
    }


def validate_measures(frame: pd.DataFrame, tables: dict[str, pd.DataFrame], acad: config.Academie | None = None,
                      file: str | None = None) -> pd.DataFrame:
    """Schema + reference validation of a measures frame (canonical columns)."""
    try:
        valid, first = schema.validate("mesures", frame, file), None
    except schema.ValidationError as err:
        if err.valid is None:
            raise
        valid, first = err.valid, err  # the rows that passed are checked too: every problem in one run
    references = schema.check_measure_references(valid, measure_catalogues(tables, acad), file, raw=frame)
    if first is not None:
        raise schema.merge_errors(first, references)
    references.raise_if_any()
    return valid


def read_bilan_figures(path: Path) -> pd.DataFrame:
    """`chiffres_bilan.csv` (académie-level measures without the territory columns), read and cleaned."""
    frame = _clean_values(schema.read_csv(path, "chiffres_bilan"))
    columns = list(frame.columns)
    if columns != schema.BILAN_COLUMNS:
        problems = [schema.Problem("chiffres_bilan", None, c, None, "colonne manquante")
                    for c in schema.BILAN_COLUMNS if c not in columns]
        problems += [schema.Problem("chiffres_bilan", None, c, None, "colonne inattendue")
                     for c in columns if c not in schema.BILAN_COLUMNS]
        if not problems:
            problems = [schema.Problem("chiffres_bilan", 1, None, None, "colonnes dans le mauvais ordre, ordre "
                                       "attendu : " + ", ".join(schema.BILAN_COLUMNS))]
        raise schema.ValidationError(problems)
    return frame


def check_data(data_dir: Path = config.DATA_DIR) -> schema.Problems:
    """Every file under `data_dir` (`reference/` and `demo/`), as `init` reads them, plus the bilan figures."""
    problems = schema.Problems()
    reference: Reference | None = None
    try:
        reference = read_reference(data_dir / "reference")
    except schema.ValidationError as err:
        problems.extend(err)
    measures_file = data_dir / "demo" / "mesures.csv"
    try:
        frame = read_measures_csv(measures_file)
        if reference is None:
            schema.validate("mesures", frame)
        else:
            validate_measures(frame, reference.tables, reference.academie)
    except schema.ValidationError as err:
        problems.extend(err)
    bilan = data_dir / "demo" / "chiffres_bilan.csv"
    try:
        frame = read_bilan_figures(bilan)
        frame.insert(2, "territoire_type", "academie")
        frame.insert(3, "territoire_code", reference.academie.code if reference else "?")
        if reference is None:
            schema.validate("mesures", frame, bilan.name)
        else:
            validate_measures(frame, reference.tables, reference.academie, file=bilan.name)
    except schema.ValidationError as err:
        problems.extend(err)
    return problems


# ----------------------------------------------------------------------------------------------- database

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS lot_seq START 1;
CREATE TABLE IF NOT EXISTS lots (
    lot_id INTEGER PRIMARY KEY,
    origine VARCHAR NOT NULL,
    libelle VARCHAR NOT NULL,
    cree_le TIMESTAMP NOT NULL,
    nb_lignes INTEGER NOT NULL,
    empreinte VARCHAR NOT NULL,
    actif BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE IF NOT EXISTS mesures (
    lot_id INTEGER NOT NULL,
    indicateur VARCHAR NOT NULL,
    periode VARCHAR NOT NULL,
    annee_scolaire VARCHAR NOT NULL,
    territoire_type VARCHAR NOT NULL,
    territoire_code VARCHAR NOT NULL,
    niveau VARCHAR NOT NULL,
    thematique VARCHAR NOT NULL,
    public VARCHAR NOT NULL,
    valeur DOUBLE NOT NULL,
    origine VARCHAR NOT NULL,
    source VARCHAR NOT NULL
);
CREATE OR REPLACE VIEW mesures_actives AS
SELECT m.* EXCLUDE (lot_id), m.lot_id
FROM mesures m JOIN lots l USING (lot_id)
WHERE l.actif
QUALIFY row_number() OVER (
    PARTITION BY m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique, m.public
    ORDER BY m.lot_id DESC) = 1;
"""


def connect(path: Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database. Read-only connections never build anything: call `ensure` first."""
    path = Path(path or config.database_path())
    if read_only and not path.exists():
        raise StoreError(f"Base de données introuvable : {path}. Lancez « python -m observatoire init ».")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as err:
        if _is_lock_error(err):
            raise _busy(path, err) from err
        raise StoreError(f"Impossible d'ouvrir la base {path} : {err}") from err


@contextmanager
def _writer(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=False)
    try:
        yield con
    finally:
        con.close()


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchone()
    return row[0] if row else None


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        {"key": key, "value": value},
    )


def _territories(t: dict[str, pd.DataFrame], acad: config.Academie) -> pd.DataFrame:
    bassins = t["bassins"]
    labs = t["laboratoires"]
    rows = [pd.DataFrame({"type": ["academie"], "code": [acad.code], "nom": [acad.nom],
                          "departement": [None], "bassin": [None]})]
    rows.append(pd.DataFrame({"type": "departement", "code": t["departements"]["code"],
                              "nom": t["departements"]["nom"], "departement": t["departements"]["code"],
                              "bassin": None}))
    rows.append(pd.DataFrame({"type": "bassin", "code": bassins["code"], "nom": bassins["nom"],
                              "departement": bassins["departement"], "bassin": bassins["code"]}))
    rows.append(pd.DataFrame({"type": "laboratoire", "code": labs["code"], "nom": labs["nom"],
                              "departement": labs["departement"], "bassin": labs["bassin"]}))
    return pd.concat(rows, ignore_index=True).astype(object)


def _write_reference(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], ref_hash: str,
                     acad: config.Academie | None = None) -> None:
    frames = dict(tables)
    frames["territoires"] = _territories(tables, acad or config.academie())
    for name, frame in frames.items():
        con.register("incoming", frame)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    _set_meta(con, "reference_hash", ref_hash)


def _prepare_lot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[schema.MEASURE_COLUMNS].copy()
    out["annee_scolaire"] = out["periode"].map(schema.school_year_of)
    return out


def _insert_lot(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, origine: str, libelle: str,
                empreinte: str, lot_id: int | None = None, active: bool = True) -> int:
    if lot_id is None:
        lot_id = con.execute("SELECT nextval('lot_seq')").fetchone()[0]
    con.execute(
        "INSERT INTO lots VALUES ($id, $origine, $libelle, $cree_le, $n, $empreinte, $actif)",
        {"id": lot_id, "origine": origine, "libelle": libelle, "cree_le": datetime.now(UTC)
         .replace(tzinfo=None), "n": len(frame), "empreinte": empreinte, "actif": active},
    )
    prepared = _prepare_lot_frame(frame)
    con.register("incoming", prepared)
    con.execute(
        """INSERT INTO mesures SELECT $id, indicateur, periode, annee_scolaire, territoire_type, territoire_code,
           niveau, thematique, public, valeur, origine, source FROM incoming""",
        {"id": lot_id},
    )
    con.unregister("incoming")
    return int(lot_id)


def _refresh_version(con: duckdb.DuckDBPyConnection) -> None:
    lots = con.execute("SELECT lot_id, empreinte FROM lots WHERE actif ORDER BY lot_id").fetchall()
    digest = hashlib.sha256((_meta(con, "reference_hash") or "").encode())
    for lot_id, empreinte in lots:
        digest.update(f"{lot_id}:{empreinte}".encode())
    _set_meta(con, "data_hash", digest.hexdigest()[:12])
    _set_meta(con, "data_date", datetime.now(UTC).isoformat(timespec="seconds"))


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold the write lock of an existing database while it is replaced: refuse (`DatabaseBusyError`) when another
    process has it open — renaming a new file over it would go unseen by that process (it keeps reading the old
    file). A file that is not a readable database is simply replaced."""
    con = None
    if path.exists():
        try:
            con = duckdb.connect(str(path), read_only=False)
        except duckdb.Error as err:
            if _is_lock_error(err):
                raise _busy(path, err) from err
            log.warning("Base illisible, elle sera remplacée : %s", err)
    try:
        yield
    finally:
        if con is not None:
            con.close()


def build(path: Path | None = None, measures_file: Path = config.DEMO_MEASURES,
          reference_dir: Path = config.REFERENCE_DIR) -> DataVersion:
    """(Re)build the database from scratch: reference tables + the demo measures as lot 1.

    Everything is validated first (nothing is written when the data is refused: `schema.ValidationError`);
    `DatabaseBusyError` when another process has the database open (it is then left untouched)."""
    path = Path(path or config.database_path())
    reference = read_reference(reference_dir)
    measures = validate_measures(read_measures_csv(measures_file), reference.tables, reference.academie)
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(path):
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        try:
            with _writer(tmp) as con:
                con.execute(_DDL)
                _set_meta(con, "schema_version", SCHEMA_VERSION)
                _write_reference(con, reference.tables, reference_hash(reference_dir), reference.academie)
                _insert_lot(con, measures, "demo", "Données de démonstration (bilan DRANE 2023-2024 + "
                            "illustratif)", file_hash([measures_file]))
                _refresh_version(con)
                con.execute("CHECKPOINT")
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
    with connect(path) as con:
        return data_version(con)


BUILT, REFRESHED, CURRENT = "construite", "actualisée", "à jour"


def refresh(path: Path | None = None, measures_file: Path = config.DEMO_MEASURES,
            reference_dir: Path = config.REFERENCE_DIR) -> str:
    """Make sure the database exists and is current; return what was done: `BUILT`, `REFRESHED` or `CURRENT`.

    - missing database or other schema version → full build;
    - reference files changed → reference tables refreshed, lots kept;
    - shipped demo file changed → the demo lot is replaced, other lots kept.
    Raises `schema.ValidationError` (data refused) or `DatabaseBusyError` (another process holds the database)
    without writing anything.
    """
    path = Path(path or config.database_path())
    if not path.exists():
        build(path, measures_file, reference_dir)
        return BUILT
    with connect(path, read_only=True) as con:
        current = {k: _meta(con, k) for k in ("schema_version", "reference_hash")}
        demo = con.execute("SELECT max(empreinte) FROM lots WHERE origine = 'demo'").fetchone()[0]
    if current["schema_version"] != SCHEMA_VERSION:
        build(path, measures_file, reference_dir)
        return BUILT
    ref_hash = reference_hash(reference_dir)
    demo_hash = file_hash([measures_file])
    if current["reference_hash"] == ref_hash and demo == demo_hash:
        return CURRENT
    reference = read_reference(reference_dir)
    # the demo measures are checked against the new reference data even when only the reference changed
    measures = validate_measures(read_measures_csv(measures_file), reference.tables, reference.academie)
    try:
        con = duckdb.connect(str(path), read_only=False)
    except duckdb.Error as err:
        if _is_lock_error(err):
            raise _busy(path, err) from err
        raise StoreError(f"Impossible d'ouvrir la base {path} : {err}") from err
    try:
        con.execute("BEGIN TRANSACTION")
        if current["reference_hash"] != ref_hash:
            _write_reference(con, reference.tables, ref_hash, reference.academie)
            log.info("Tables de référence actualisées (%s)", ref_hash[:12])
        if demo != demo_hash:
            # the demo lot keeps its id (and so its priority below later imports) and its active flag
            previous = con.execute(
                "SELECT lot_id, actif FROM lots WHERE origine = 'demo' ORDER BY lot_id LIMIT 1").fetchone()
            con.execute("DELETE FROM mesures WHERE lot_id IN (SELECT lot_id FROM lots WHERE origine = 'demo')")
            con.execute("DELETE FROM lots WHERE origine = 'demo'")
            _insert_lot(con, measures, "demo", "Données de démonstration (bilan DRANE 2023-2024 + "
                        "illustratif)", demo_hash, lot_id=previous[0] if previous else None,
                        active=bool(previous[1]) if previous else True)
        _refresh_version(con)
        con.execute("COMMIT")
    finally:
        con.close()
    return REFRESHED


def ensure(path: Path | None = None, measures_file: Path = config.DEMO_MEASURES,
           reference_dir: Path = config.REFERENCE_DIR, keep_current: bool = False) -> Path:
    """Make sure the database exists and is current (see `refresh`); return its path.

    `keep_current=False` (commands): raises `DatabaseBusyError` when the database could not be updated because
    another process holds it, `schema.ValidationError` when the data is refused — nothing is written.
    `keep_current=True` (the dashboard): when a database already exists and cannot be updated (busy, or the
    new data is refused), log a warning and keep serving it; a missing database still raises.
    """
    path = Path(path or config.database_path())
    try:
        refresh(path, measures_file, reference_dir)
    except (DatabaseBusyError, schema.ValidationError) as err:
        if not keep_current or not path.exists():
            raise
        log.warning("Actualisation impossible, base utilisée telle quelle : %s", err)
    return path


# ------------------------------------------------------------------------------------------------- lots


def add_lot(path: Path, frame: pd.DataFrame, origine: str, libelle: str) -> int:
    """Validate and add a lot of measures; returns its id. Nothing is written if validation fails."""
    with _writer(path) as con:
        tables = {name: con.execute(f'SELECT * FROM "{name}"').df() for name in REFERENCE_TABLES}
        valid = validate_measures(frame, tables)
        empreinte = hashlib.sha256(valid.to_csv(index=False).encode()).hexdigest()
        con.execute("BEGIN TRANSACTION")
        lot_id = _insert_lot(con, valid, origine, libelle, empreinte)
        _refresh_version(con)
        con.execute("COMMIT")
        return lot_id


def set_lot_active(path: Path, lot_id: int, active: bool) -> None:
    """Deactivate (undo) or reactivate a lot."""
    with _writer(path) as con:
        found = con.execute("SELECT count(*) FROM lots WHERE lot_id = $id", {"id": lot_id}).fetchone()[0]
        if not found:
            raise StoreError(f"Lot {lot_id} introuvable.")
        con.execute("UPDATE lots SET actif = $a WHERE lot_id = $id", {"a": active, "id": lot_id})
        _refresh_version(con)


def lots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM lots ORDER BY lot_id").df()


def data_version(con: duckdb.DuckDBPyConnection) -> DataVersion:
    n_lots, n_rows = con.execute(
        "SELECT (SELECT count(*) FROM lots WHERE actif), (SELECT count(*) FROM mesures_actives)"
    ).fetchone()
    return DataVersion(_meta(con, "data_hash") or "?", _meta(con, "data_date") or "?", int(n_lots), int(n_rows))
