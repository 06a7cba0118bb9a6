"""The content of one data version (one DuckDB file): reference tables + measures kept in lots + journal.

This module reads and transforms ONE database; `versions.py` publishes them (immutable files, a pointer).

Layout
- `meta(key, value)`: schema version, reference hash, data version (hash + date), version number.
- reference tables (`indicateurs`, `thematiques`, `niveaux`, `publics`, `departements`, `bassins`,
  `communes_bassins`, `laboratoires`, `projets`, and the derived `territoires`): refreshed automatically when a
  file under `data/reference/` changes; a refresh never touches the lots.
- `lots(lot_id, origine, libelle, cree_le, nb_lignes, empreinte, actif)` and `mesures(lot_id, …)`: every
  measure belongs to a lot and has its own `origine` (bilan, deduit, illustratif, import; `source` is text).
  The shipped demo data is the first lot (lot `origine = 'demo'`). An import adds a lot; undoing it
  deactivates or deletes the lot. `mesures_actives` is the view every query reads: for a given key
  (indicator, period, territory, niveau, thématique, public) the most recent active lot wins. Values replaced
  by a later lot stay in their lot: history is never lost.
- `reference_files(name, content)`: the académie's own files as published — `academie.json` and the GeoJSON
  layers (`observatoire.published`, which every reader of them goes through): a version holds everything it
  shows.
- `journal`: one row per change that published a version (init, import, annulation, reference, migration):
  author, date, file name and sha256, rows new / changed / unchanged, lots added or retired.

Readers open a version read-only (`connect(read_only=True)`); the write functions here are applied by
`versions.Repository` to the next version while it is being built. All SQL uses named parameters.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from observatoire import checks, config, published, reading, schema
from observatoire.rows import one_row

log = logging.getLogger(__name__)

SCHEMA_VERSION = "5"
"""2: measures carry their `origine` (bilan, deduit, illustratif, import); 3: the `journal` of changes;
4: the view `disponibilites`; 5: `reference_files` (academie.json and the GeoJSON layers held by the version).
An older database is migrated (`migrations.py`), never rebuilt: imported lots survive an upgrade."""


class StoreError(RuntimeError):
    """A problem with the database, explained in French."""


class DatabaseBusyError(StoreError):
    """The database is held by another process (the dashboard, another command), so it could not be updated.
    Nothing was written; a command reports it and fails."""


def _busy(path: Path, err: object = None) -> DatabaseBusyError:
    pid = re.search(r"\(PID (\d+)\)", str(err or ""))
    detail = f" (processus {pid.group(1)})" if pid else ""
    return DatabaseBusyError(
        f"La base {path} est utilisée par un autre processus (le tableau de bord est-il lancé ?) : elle n'a pas "
        f"pu être mise à jour et n'a pas été modifiée. Arrêtez l'application ou l'autre commande, puis relancez "
        f"la commande.{detail}"
    )


def _is_lock_error(err: BaseException) -> bool:
    text = str(err).lower()
    return "lock" in text or "different configuration" in text or "already open" in text


@dataclass(frozen=True)
class DataVersion:
    empreinte: str  # short content hash of reference data + active lots
    construite_le: str  # ISO date-time (UTC) of the last change
    lots_actifs: int
    mesures: int
    numero: int | None = None  # number of the published version (None: a standalone file)

    @property
    def label(self) -> str:
        from observatoire import clock

        numero = f"version n° {self.numero}, " if self.numero is not None else ""
        return f"{numero}données {self.empreinte} du {clock.paris_datetime(self.construite_le)}"


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


# ----------------------------------------------------------------------------------------------- database

DDL = """
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
CREATE TABLE IF NOT EXISTS journal (
    version INTEGER NOT NULL,
    type VARCHAR NOT NULL,
    auteur VARCHAR NOT NULL,
    date TIMESTAMP NOT NULL,
    fichier VARCHAR,
    sha256 VARCHAR,
    nouvelles INTEGER,
    modifiees INTEGER,
    inchangees INTEGER,
    lots_ajoutes VARCHAR,
    lots_retires VARCHAR,
    resume VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS reference_files (name VARCHAR PRIMARY KEY, content VARCHAR NOT NULL);
CREATE OR REPLACE VIEW mesures_actives AS
SELECT m.* EXCLUDE (lot_id), m.lot_id
FROM mesures m JOIN lots l USING (lot_id)
WHERE l.actif
QUALIFY row_number() OVER (
    PARTITION BY m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique, m.public
    ORDER BY m.lot_id DESC) = 1;
CREATE OR REPLACE VIEW disponibilites AS
SELECT DISTINCT indicateur, territoire_type, niveau, thematique, public FROM mesures_actives;
"""


def connect(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database. Read-only connections never build anything: a version is published by
    `versions.Repository` (`init`, `ensure`)."""
    path = Path(path)
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


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    # fetchall, not fetchone: DuckDB 2 refuses `register` on a connection whose last result was not read to
    # the end (ResourceInUseException), and `staleness` (ending with this) is followed by `_write_reference`.
    rows = con.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        {"key": key, "value": value},
    )


def _territories(t: dict[str, pd.DataFrame], acad: config.Academie) -> pd.DataFrame:
    bassins = t["bassins"]
    labs = t["laboratoires"]
    rows = [
        pd.DataFrame(
            {"type": ["academie"], "code": [acad.code], "nom": [acad.nom], "departement": [None], "bassin": [None]}
        )
    ]
    rows.append(
        pd.DataFrame(
            {
                "type": "departement",
                "code": t["departements"]["code"],
                "nom": t["departements"]["nom"],
                "departement": t["departements"]["code"],
                "bassin": None,
            }
        )
    )
    rows.append(
        pd.DataFrame(
            {
                "type": "bassin",
                "code": bassins["code"],
                "nom": bassins["nom"],
                "departement": bassins["departement"],
                "bassin": bassins["code"],
            }
        )
    )
    rows.append(
        pd.DataFrame(
            {
                "type": "laboratoire",
                "code": labs["code"],
                "nom": labs["nom"],
                "departement": labs["departement"],
                "bassin": labs["bassin"],
            }
        )
    )
    return pd.concat(rows, ignore_index=True).astype(object)


def _write_reference(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pd.DataFrame],
    ref_hash: str,
    acad: config.Academie | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """The reference tables, and `files` (academie.json and the GeoJSON layers, `published.FILES`) when given:
    the version then draws its territories, names and thresholds from what it holds."""
    if files is not None:
        published.write_files(con, files)
    frames = dict(tables)
    frames["territoires"] = _territories(tables, acad or config.academie())
    for name, frame in frames.items():
        con.register("incoming", frame)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM incoming')
        con.unregister("incoming")
    set_meta(con, "reference_hash", ref_hash)


def _prepare_lot_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[schema.MEASURE_COLUMNS].copy()
    out["annee_scolaire"] = out["periode"].map(schema.school_year_of)
    return out


def _insert_lot(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    origine: str,
    libelle: str,
    empreinte: str,
    lot_id: int | None = None,
    active: bool = True,
) -> int:
    if lot_id is None:
        lot_id = one_row(con.execute("SELECT nextval('lot_seq')"))[0]
    con.execute(
        "INSERT INTO lots VALUES ($id, $origine, $libelle, $cree_le, $n, $empreinte, $actif)",
        {
            "id": lot_id,
            "origine": origine,
            "libelle": libelle,
            "cree_le": datetime.now(UTC).replace(tzinfo=None),
            "n": len(frame),
            "empreinte": empreinte,
            "actif": active,
        },
    )
    prepared = _prepare_lot_frame(frame)
    con.register("incoming", prepared)
    # a version whose measures live in Parquet files (observatoire.parquet): `mesures` is a view, new lots go
    # to its local table
    target = "mesures_locales" if _has_table(con, "mesures_locales") else "mesures"
    con.execute(
        f"""INSERT INTO {target} SELECT $id, indicateur, periode, annee_scolaire, territoire_type, territoire_code,
           niveau, thematique, public, valeur, origine, source FROM incoming""",
        {"id": lot_id},
    )
    con.unregister("incoming")
    return int(lot_id)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = one_row(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $n", {"n": name}))
    return bool(found[0])


def _refresh_version(con: duckdb.DuckDBPyConnection) -> None:
    lots = con.execute("SELECT lot_id, empreinte FROM lots WHERE actif ORDER BY lot_id").fetchall()
    digest = hashlib.sha256((get_meta(con, "reference_hash") or "").encode())
    for lot_id, empreinte in lots:
        digest.update(f"{lot_id}:{empreinte}".encode())
    set_meta(con, "data_hash", digest.hexdigest()[:12])
    set_meta(con, "data_date", datetime.now(UTC).isoformat(timespec="seconds"))


def demo_label(acad: config.Academie) -> str:
    """« Données de démonstration (bilan DRANE 2023-2024 + illustratif) »: the demo lot's label."""
    bilan = acad.bilan_source
    return f"Données de démonstration ({bilan[:1].lower()}{bilan[1:]} + illustratif)"


def create(
    con: duckdb.DuckDBPyConnection,
    reference: checks.Reference,
    measures: pd.DataFrame | None,
    ref_hash: str,
    demo_hash: str,
) -> None:
    """Fill an empty database: tables, reference data and (unless `measures` is None) the demo lot."""
    con.execute(DDL)
    set_meta(con, "schema_version", SCHEMA_VERSION)
    _write_reference(con, reference.tables, ref_hash, reference.academie, reference.files)
    if measures is not None:
        _insert_lot(con, measures, "demo", demo_label(reference.academie), demo_hash)
    _refresh_version(con)


def read_sources(
    measures_file: Path = config.DEMO_MEASURES, reference_dir: Path = config.REFERENCE_DIR, with_demo: bool = True
) -> tuple[checks.Reference, pd.DataFrame | None]:
    """Reference data and demo measures, validated (`schema.ValidationError` when refused)."""
    reference = checks.read_reference(reference_dir)
    measures = None
    if with_demo and measures_file.parent.exists():  # no demo/ folder (an académie's own data): no demo lot
        measures = checks.validate_measures(
            reading.read_measures_csv(measures_file), reference.tables, reference.academie
        )
    return reference, measures


@dataclass(frozen=True)
class Staleness:
    """What differs between a database and the files under data/."""

    reference: bool
    demo: bool

    def __bool__(self) -> bool:
        return self.reference or self.demo


def staleness(
    con: duckdb.DuckDBPyConnection,
    measures_file: Path = config.DEMO_MEASURES,
    reference_dir: Path = config.REFERENCE_DIR,
) -> Staleness:
    demo = one_row(con.execute("SELECT max(empreinte) FROM lots WHERE origine = 'demo'"))[0]
    has_demo = demo is not None
    # a version that does not hold its académie file and layers yet (migrated from schema 4 while the folder had
    # changed) takes them, with the tables, from the folder
    outdated = get_meta(con, "reference_hash") != reference_hash(reference_dir) or bool(published.missing(con))
    return Staleness(outdated, has_demo and demo != file_hash([measures_file]))


def apply_refresh(
    con: duckdb.DuckDBPyConnection,
    stale: Staleness,
    measures_file: Path = config.DEMO_MEASURES,
    reference_dir: Path = config.REFERENCE_DIR,
) -> None:
    """Bring a database (opened read-write, in a transaction of the caller) up to date with data/: reference
    tables rewritten, demo lot replaced (same id and active flag); other lots kept. Validation happens before
    anything is written (`schema.ValidationError`)."""
    reference, measures = read_sources(measures_file, reference_dir)
    if stale.reference:
        _write_reference(con, reference.tables, reference_hash(reference_dir), reference.academie, reference.files)
        log.info("Tables de référence actualisées")
    if stale.demo:
        previous = con.execute(
            "SELECT lot_id, actif FROM lots WHERE origine = 'demo' ORDER BY lot_id LIMIT 1"
        ).fetchone()
        con.execute("DELETE FROM mesures WHERE lot_id IN (SELECT lot_id FROM lots WHERE origine = 'demo')")
        con.execute("DELETE FROM lots WHERE origine = 'demo'")
        _insert_lot(
            con,
            measures,
            "demo",
            demo_label(reference.academie),
            file_hash([measures_file]),
            lot_id=previous[0] if previous else None,
            active=bool(previous[1]) if previous else True,
        )
    _refresh_version(con)


# ------------------------------------------------------------------------------------------------- lots


def insert_lot(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, origine: str, libelle: str) -> int:
    """Add an already validated lot of measures (canonical columns); returns its id."""
    empreinte = hashlib.sha256(frame[schema.MEASURE_COLUMNS].to_csv(index=False).encode()).hexdigest()
    lot_id = _insert_lot(con, frame, origine, libelle, empreinte)
    _refresh_version(con)
    return lot_id


def set_active(con: duckdb.DuckDBPyConnection, lot_id: int, active: bool) -> None:
    """Deactivate (undo) or reactivate a lot; `StoreError` if it does not exist."""
    found = one_row(con.execute("SELECT count(*) FROM lots WHERE lot_id = $id", {"id": lot_id}))[0]
    if not found:
        raise StoreError(f"Lot {lot_id} introuvable.")
    con.execute("UPDATE lots SET actif = $a WHERE lot_id = $id", {"a": active, "id": lot_id})
    _refresh_version(con)


def reference_tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The reference tables stored in a database (what new measures are validated against)."""
    return {name: con.execute(f'SELECT * FROM "{name}"').df() for name in schema.REFERENCE_TABLES}


def lots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM lots ORDER BY lot_id").df()


def data_version(con: duckdb.DuckDBPyConnection) -> DataVersion:
    parquet_rows = get_meta(con, "mesures_parquet_lignes")
    # measures in Parquet files (observatoire.parquet): counted once, at publication
    if get_meta(con, "mesures_stockage") == "parquet" and parquet_rows and parquet_rows.isdigit():
        n_lots, local = one_row(
            con.execute("SELECT (SELECT count(*) FROM lots WHERE actif), (SELECT count(*) FROM mesures_locales)")
        )
        n_rows = int(parquet_rows) + int(local)
    else:
        n_lots, n_rows = one_row(
            con.execute("SELECT (SELECT count(*) FROM lots WHERE actif), (SELECT count(*) FROM mesures_actives)")
        )
    number = get_meta(con, "version_number")
    return DataVersion(
        get_meta(con, "data_hash") or "?",
        get_meta(con, "data_date") or "?",
        int(n_lots),
        int(n_rows),
        int(number) if number and number.isdigit() else None,
    )
