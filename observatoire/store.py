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


def read_measures_csv(source: Path | io.IOBase | bytes) -> pd.DataFrame:
    """Read a canonical measures CSV (`;`, UTF-8 with or without BOM, decimal comma or point)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    frame = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if "valeur" in frame.columns:
        frame["valeur"] = (
            frame["valeur"].str.replace("\u202f", "", regex=False).str.replace("\xa0", "", regex=False)
            .str.replace(" ", "", regex=False).str.replace(",", ".", regex=False)
        )
        frame.loc[frame["valeur"] == "", "valeur"] = None
    return frame


def load_reference(reference_dir: Path = config.REFERENCE_DIR) -> dict[str, pd.DataFrame]:
    """Read and validate every reference table; cross-check codes between tables."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[schema.Problem] = []
    for name in REFERENCE_TABLES:
        spec = schema.TABLES[name]
        path = reference_dir / spec.filename
        if not path.exists():
            problems.append(schema.Problem(name, None, None, None, f"fichier manquant : {path.name}"))
            continue
        try:
            tables[name] = schema.validate(name, schema.read_table_file(name, path))
        except schema.ValidationError as err:
            problems.extend(err.problems)
    if not problems:
        problems.extend(_cross_reference_problems(tables))
    if problems:
        raise schema.ValidationError(problems)
    return tables


def _cross_reference_problems(t: dict[str, pd.DataFrame]) -> list[schema.Problem]:
    problems: list[schema.Problem] = []
    bassins = set(t["bassins"]["code"])
    deps = set(t["departements"]["code"])
    themes = set(t["thematiques"]["code"])
    niveaux = set(t["niveaux"]["code"])

    def bad(table: str, column: str, frame: pd.DataFrame, allowed: set[str], split: bool = False) -> None:
        for i, raw in frame[column].items():
            if raw is None or (isinstance(raw, float) and pd.isna(raw)):
                continue
            values = str(raw).split("|") if split else [str(raw)]
            for value in values:
                if value not in allowed:
                    problems.append(schema.Problem(table, int(i) + 2, column, value, "code inconnu"))

    bad("bassins", "departement", t["bassins"], deps)
    bad("communes_bassins", "bassin", t["communes_bassins"], bassins)
    bad("laboratoires", "bassin", t["laboratoires"], bassins)
    bad("laboratoires", "departement", t["laboratoires"], deps)
    bad("laboratoires", "thematiques", t["laboratoires"], themes, split=True)
    bad("laboratoires", "niveaux", t["laboratoires"], niveaux, split=True)
    bad("projets", "thematique", t["projets"], themes)
    bad("projets", "laboratoire", t["projets"], set(t["laboratoires"]["code"]))
    problems.extend(_theme_tree_problems(t["thematiques"]))
    problems.extend(_declaration_problems(t))
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


def measure_catalogues(tables: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Allowed codes for each measures column, from validated reference tables."""
    ind = tables["indicateurs"]
    return {
        "indicateur": set(ind["id"]),
        "niveau": set(tables["niveaux"]["code"]),
        "thematique": set(tables["thematiques"]["code"]),
        "public": set(tables["publics"]["code"]),
        "territoire:academie": {config.academie().code},
        "territoire:departement": set(tables["departements"]["code"]),
        "territoire:bassin": set(tables["bassins"]["code"]),
        "territoire:laboratoire": set(tables["laboratoires"]["code"]),
        "granularite_mensuelle": set(ind.loc[ind["granularite"] == "mensuelle", "id"]),
        "declarations": declarations(ind),  # type: ignore[dict-item]
    }


def validate_measures(frame: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Schema + reference validation of a measures frame (canonical columns)."""
    valid = schema.validate("mesures", frame)
    problems = schema.check_measure_references(valid, measure_catalogues(tables))
    if problems:
        raise schema.ValidationError(problems)
    return valid


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
    except duckdb.Error as err:  # pragma: no cover - depends on OS locks
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


def _territories(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    acad = config.academie()
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


def _write_reference(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame], ref_hash: str) -> None:
    frames = dict(tables)
    frames["territoires"] = _territories(tables)
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


def build(path: Path | None = None, measures_file: Path = config.DEMO_MEASURES,
          reference_dir: Path = config.REFERENCE_DIR) -> DataVersion:
    """(Re)build the database from scratch: reference tables + the demo measures as lot 1."""
    path = Path(path or config.database_path())
    tables = load_reference(reference_dir)
    measures = validate_measures(read_measures_csv(measures_file), tables)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with _writer(tmp) as con:
        con.execute(_DDL)
        _set_meta(con, "schema_version", SCHEMA_VERSION)
        _write_reference(con, tables, reference_hash(reference_dir))
        _insert_lot(con, measures, "demo", "Données de démonstration (bilan DRANE 2023-2024 + illustratif)",
                    file_hash([measures_file]))
        _refresh_version(con)
        con.execute("CHECKPOINT")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.replace(path)
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    with connect(path) as con:
        return data_version(con)


def ensure(path: Path | None = None, measures_file: Path = config.DEMO_MEASURES,
           reference_dir: Path = config.REFERENCE_DIR) -> Path:
    """Make sure the database exists and is current; return its path.

    - missing database or other schema version → full build;
    - reference files changed → reference tables refreshed, lots kept;
    - shipped demo file changed → the demo lot is replaced, other lots kept.
    """
    path = Path(path or config.database_path())
    if not path.exists():
        build(path, measures_file, reference_dir)
        return path
    with connect(path, read_only=True) as con:
        current = {k: _meta(con, k) for k in ("schema_version", "reference_hash")}
        demo = con.execute("SELECT max(empreinte) FROM lots WHERE origine = 'demo'").fetchone()[0]
    if current["schema_version"] != SCHEMA_VERSION:
        build(path, measures_file, reference_dir)
        return path
    ref_hash = reference_hash(reference_dir)
    demo_hash = file_hash([measures_file])
    if current["reference_hash"] == ref_hash and demo == demo_hash:
        return path
    tables = load_reference(reference_dir)
    try:
        with _writer(path) as con:
            con.execute("BEGIN TRANSACTION")
            if current["reference_hash"] != ref_hash:
                _write_reference(con, tables, ref_hash)
                log.info("Tables de référence actualisées (%s)", ref_hash[:12])
            if demo != demo_hash:
                # the demo lot keeps its id (and so its priority below later imports) and its active flag
                measures = validate_measures(read_measures_csv(measures_file), tables)
                previous = con.execute(
                    "SELECT lot_id, actif FROM lots WHERE origine = 'demo' ORDER BY lot_id LIMIT 1").fetchone()
                con.execute("DELETE FROM mesures WHERE lot_id IN (SELECT lot_id FROM lots WHERE origine = 'demo')")
                con.execute("DELETE FROM lots WHERE origine = 'demo'")
                _insert_lot(con, measures, "demo", "Données de démonstration (bilan DRANE 2023-2024 + "
                            "illustratif)", demo_hash, lot_id=previous[0] if previous else None,
                            active=bool(previous[1]) if previous else True)
            _refresh_version(con)
            con.execute("COMMIT")
    except StoreError as err:  # another process holds the database: keep serving the current data
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
