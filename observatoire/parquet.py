"""Data versions whose measures live in Parquet files (national scale: 10⁷–10⁸ rows).

A Parquet-backed version is an ordinary published version (`versions.Repository`: immutable DuckDB file, the
pointer, the journal, opened read-only by every reader) in which `mesures` is a VIEW instead of a table::

    mesures_parquet = SELECT <lot> AS lot_id, * FROM read_parquet([<absolute paths>])
    mesures         = mesures_locales UNION ALL BY NAME mesures_parquet
                      (`mesures_locales`: a normally empty table with the columns of `store.DDL`'s `mesures`)

`mesures_actives` keeps `store.DDL`'s rule (per key, the most recent active lot wins) but without a window
over the Parquet rows (`ACTIVE_VIEW`): the queries' filters (indicateur, territoire_type, territoire_code, …)
reach the Parquet scan, which skips the row groups (files sorted by indicateur, territoire_type,
territoire_code, periode) whose min/max statistics exclude them. `observatoire/queries.py` is used as is.

The Parquet files of a version are copied (hard-linked when possible) into the store folder, in a folder
named after their content (`<store>/parquet/<empreinte>/`), made read-only and never rewritten: every version
that points to them, and every replica reading the store, sees the same bytes. The version records them in
`meta` (`mesures_stockage = parquet`, `mesures_parquet` = JSON list of paths, `mesures_parquet_lignes`).

`verify(con)` checks that the files of a version are still there and readable (`StoreError` in French):
readers call it when they open a version (see `connect`), so that a deleted or damaged file is a clear message,
not a DuckDB traceback in the middle of a page.

Writing into a Parquet-backed version (an import, an undo) needs the store to insert into `mesures_locales`
instead of `mesures` (see `LOCAL_TABLE`); the reference tables are the dataset's own (never refreshed from
`data/reference/`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from observatoire import store, versions
from observatoire.rows import one_row

STORAGE_KEY = "mesures_stockage"
FILES_KEY = "mesures_parquet"
ROWS_KEY = "mesures_parquet_lignes"
PARQUET, DUCKDB = "parquet", "duckdb"
LOCAL_TABLE = "mesures_locales"
PARQUET_VIEW = "mesures_parquet"
FOLDER = "parquet"
LOT_ORIGIN = "national"

MEASURE_TYPES = {
    "indicateur": "VARCHAR",
    "periode": "VARCHAR",
    "annee_scolaire": "VARCHAR",
    "territoire_type": "VARCHAR",
    "territoire_code": "VARCHAR",
    "niveau": "VARCHAR",
    "thematique": "VARCHAR",
    "public": "VARCHAR",
    "valeur": "DOUBLE",
    "origine": "VARCHAR",
    "source": "VARCHAR",
}
"""Columns (and DuckDB types) a measure file must have: the store's `mesures` without `lot_id`, in its order."""

REFERENCE_TABLES = (
    "indicateurs",
    "thematiques",
    "niveaux",
    "publics",
    "departements",
    "bassins",
    "communes_bassins",
    "laboratoires",
    "projets",
    "territoires",
)
"""Reference tables a dataset must provide (`reference/<table>.parquet`), as the store holds them."""


class ParquetError(store.StoreError):
    """A Parquet file is missing, unreadable or not in the expected columns (message in French)."""


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join(_sql_string(str(p)) for p in paths) + "]"


def check_files(paths: list[Path]) -> int:
    """Number of rows of the measure files; `ParquetError` (French) when one is missing, unreadable or has not
    exactly the columns of `MEASURE_TYPES`. Reads the files' footers only."""
    if not paths:
        raise ParquetError("Aucun fichier Parquet de mesures : le jeu de données est vide ou incomplet.")
    con = duckdb.connect()
    rows = 0
    try:
        for path in paths:
            path = Path(path)
            if not path.is_file():
                raise ParquetError(
                    f"Fichier Parquet de mesures introuvable : {path}. Régénérez le jeu de données "
                    "ou republiez une version dont les fichiers existent."
                )
            try:
                described = con.execute(
                    f"DESCRIBE SELECT * FROM read_parquet({_sql_string(str(path))})"
                ).fetchall()
                count = one_row(
                    con.execute("SELECT sum(num_rows) FROM parquet_file_metadata($p)", {"p": str(path)})
                )[0]
            except duckdb.Error as err:
                raise ParquetError(
                    f"Le fichier {path.name} n'est pas un fichier Parquet lisible ({_short(err)})."
                ) from err
            found = {name: kind for name, kind, *_ in described}
            missing = [c for c in MEASURE_TYPES if c not in found]
            extra = [c for c in found if c not in MEASURE_TYPES]
            wrong = [
                f"{c} ({found[c]} au lieu de {t})"
                for c, t in MEASURE_TYPES.items()
                if c in found and found[c] != t
            ]
            if missing or extra or wrong:
                parts = []
                if missing:
                    parts.append("colonnes manquantes : " + ", ".join(missing))
                if extra:
                    parts.append("colonnes inconnues : " + ", ".join(extra))
                if wrong:
                    parts.append("types inattendus : " + ", ".join(wrong))
                raise ParquetError(
                    f"Le fichier {path.name} n'a pas les colonnes des mesures ({' ; '.join(parts)})."
                )
            rows += int(count or 0)
    finally:
        con.close()
    return rows


def _short(err: BaseException, limit: int = 160) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _content_hash(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


def _install(paths: list[Path], root: Path, empreinte: str) -> list[Path]:
    """Place the files in `<root>/parquet/<empreinte>/` (hard link, else copy), read-only; their new paths."""
    folder = (root / FOLDER / empreinte[:16]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    installed = []
    for path in paths:
        target = folder / path.name
        if not target.exists():
            tmp = folder / f".{path.name}.tmp"
            tmp.unlink(missing_ok=True)
            try:
                os.link(path, tmp)
            except OSError:
                shutil.copyfile(path, tmp)
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        installed.append(target)
    return installed


def dataset_files(dataset: Path) -> tuple[list[Path], dict[str, Path]]:
    """Measure files and reference tables of a dataset folder (the layout of scripts/generate_national.py)."""
    dataset = Path(dataset)
    manifest = dataset / "manifest.json"
    if not manifest.is_file():
        raise ParquetError(
            f"Jeu de données introuvable : {manifest} n'existe pas (lancez "
            "« python scripts/generate_national.py »)."
        )
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["fichiers_mesures"]
    except (ValueError, KeyError, TypeError) as err:
        raise ParquetError(f"Le manifeste {manifest} est illisible ou incomplet.") from err
    reference = {name: dataset / "reference" / f"{name}.parquet" for name in REFERENCE_TABLES}
    for name in ("academies", "etablissements"):
        if (dataset / "reference" / f"{name}.parquet").is_file():
            reference[name] = dataset / "reference" / f"{name}.parquet"
    missing = [p.name for p in reference.values() if not p.is_file()]
    if missing:
        raise ParquetError(f"Tables de référence manquantes dans {dataset / 'reference'} : {', '.join(missing)}.")
    return [dataset / name for name in listed], reference


KEY = "indicateur, periode, territoire_type, territoire_code, niveau, thematique, public"
ACTIVE_VIEW = f"""
CREATE OR REPLACE VIEW mesures_actives AS
WITH locales AS (
    SELECT m.* FROM "{LOCAL_TABLE}" m JOIN lots l USING (lot_id) WHERE l.actif
    QUALIFY row_number() OVER (PARTITION BY {KEY} ORDER BY m.lot_id DESC) = 1)
SELECT * EXCLUDE (lot_id), lot_id FROM locales
UNION ALL
SELECT p.* EXCLUDE (lot_id), p.lot_id
FROM "{PARQUET_VIEW}" p ANTI JOIN locales n USING ({KEY})
WHERE p.lot_id IN (SELECT lot_id FROM lots WHERE actif)
"""
"""`store.DDL`'s rule (per key, the most recent active lot wins) without a window over the Parquet rows: they
form ONE lot, the first of the version (a later lot, imported into `mesures_locales`, has a larger id), whose
keys are unique (the files come from the generator or from `export_dataset`, one row per key of
`mesures_actives`). So a Parquet row is active unless its lot is retired or an active local row has its key (an
uncorrelated anti join, built on the few local rows: a correlated NOT EXISTS makes DuckDB hash every distinct
Parquet key first, 15 GiB at 5·10⁷ rows). The window only runs over the local rows (imports, usually none). A
window over 5·10⁷ rows costs seconds and gigabytes whenever a filter does not reach its partition keys
(`annee_scolaire`, a DISTINCT over every indicator); this view costs a filtered Parquet scan."""


AVAILABILITY = "disponibilites"
AVAILABILITY_TABLE = "disponibilites_parquet"
AVAILABILITY_COLUMNS = "indicateur, territoire_type, niveau, thematique, public"
AVAILABILITY_VIEW = f"""
CREATE OR REPLACE VIEW {AVAILABILITY} AS
SELECT {AVAILABILITY_COLUMNS} FROM "{AVAILABILITY_TABLE}"
UNION
SELECT DISTINCT {AVAILABILITY_COLUMNS} FROM "{LOCAL_TABLE}" m JOIN lots l USING (lot_id) WHERE l.actif
"""
"""`SELECT DISTINCT indicateur, territoire_type, niveau, thematique, public FROM mesures_actives` without
reading the measures: which breakdowns each indicator has (what `queries` reads before every series). Exact:
the combinations of the Parquet lot, computed once when the version is published, plus those of the active
local rows (a local row that replaces a Parquet row has its key, hence its combination). On 5·10⁷ rows the
DISTINCT reads 7·10⁶ rows per indicator (≈ 0,5 s each); this reads a few hundred rows. DuckDB-internal
versions get the plain DISTINCT view (`INTERNAL_AVAILABILITY_VIEW`) so that both storages answer alike."""
INTERNAL_AVAILABILITY_VIEW = (
    f"CREATE OR REPLACE VIEW {AVAILABILITY} AS SELECT DISTINCT {AVAILABILITY_COLUMNS} FROM mesures_actives"
)


def attach_measures(con: duckdb.DuckDBPyConnection, paths: list[Path], lot_id: int) -> None:
    """In a version being built (after `store.DDL`, `mesures` still an empty table): the Parquet rows become the
    view `mesures_parquet` (absolute paths), `mesures` the union of it and the table `mesures_locales`, and
    `mesures_actives` is `ACTIVE_VIEW`."""
    con.execute(f'ALTER TABLE mesures RENAME TO "{LOCAL_TABLE}"')
    con.execute(f"""CREATE VIEW "{PARQUET_VIEW}" AS
                    SELECT {int(lot_id)}::INTEGER AS lot_id, * FROM read_parquet({_file_list(paths)})""")
    con.execute(f"""CREATE VIEW mesures AS
                    SELECT * FROM "{LOCAL_TABLE}" UNION ALL BY NAME SELECT * FROM "{PARQUET_VIEW}" """)
    con.execute(ACTIVE_VIEW)
    con.execute(f"""CREATE TABLE "{AVAILABILITY_TABLE}" AS
                    SELECT DISTINCT {AVAILABILITY_COLUMNS} FROM "{PARQUET_VIEW}" """)
    con.execute(AVAILABILITY_VIEW)


def publish(
    repo: versions.Repository,
    dataset: Path,
    *,
    storage: str = PARQUET,
    author: str = "",
    label: str = "Jeu national synthétique (illustratif)",
) -> versions.Version:
    """Publish a version built from scratch from a dataset folder: its reference tables (copied into the version)
    and its measures as one lot of origin `national` — in Parquet files next to the store (`storage=parquet`)
    or copied into the DuckDB file (`storage=duckdb`, the same rows: what the Parquet storage is compared with).
    Everything is checked before anything is published (`ParquetError`)."""
    if storage not in (PARQUET, DUCKDB):
        raise ValueError(storage)
    files, reference = dataset_files(dataset)
    rows = check_files(files)
    empreinte = _content_hash(files)
    installed = _install(files, repo.root, empreinte) if storage == PARQUET else files

    def apply(con: duckdb.DuckDBPyConnection) -> versions.Change:
        con.execute(store.DDL)
        store.set_meta(con, "schema_version", store.SCHEMA_VERSION)
        for name, path in reference.items():
            con.execute(
                f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_parquet({_sql_string(str(path))})'
            )
        store.set_meta(con, "reference_hash", store.file_hash(list(reference.values())))
        lot_id = one_row(con.execute("SELECT nextval('lot_seq')"))[0]
        con.execute(
            "INSERT INTO lots VALUES ($id, $origine, $libelle, now()::TIMESTAMP, $n, $empreinte, TRUE)",
            {"id": lot_id, "origine": LOT_ORIGIN, "libelle": label, "n": rows, "empreinte": empreinte},
        )
        if storage == PARQUET:
            attach_measures(con, installed, lot_id)
            store.set_meta(con, FILES_KEY, json.dumps([str(p) for p in installed]))
        else:
            con.execute(
                f"INSERT INTO mesures SELECT $id, * FROM read_parquet({_file_list(files)})", {"id": lot_id}
            )
            con.execute(INTERNAL_AVAILABILITY_VIEW)
        store.set_meta(con, STORAGE_KEY, storage)
        store.set_meta(con, ROWS_KEY, str(rows))
        store._refresh_version(con)
        where = "fichiers Parquet" if storage == PARQUET else "base DuckDB"
        return versions.Change(
            versions.INIT,
            f"Construction depuis {Path(dataset).name}/ ({rows} mesures, {where})",
            author or versions.default_author(),
            new=rows,
            lots_added=(int(lot_id),),
        )

    return repo.publish(apply, from_scratch=True)


SORT_ORDER = "indicateur, territoire_type, territoire_code, periode, niveau, thematique, public"
"""Row order of the measure files: the queries' filters (indicator, territory level and codes) then select
contiguous row groups, which the Parquet statistics let DuckDB skip."""


def export_dataset(con: duckdb.DuckDBPyConnection, dest: Path) -> Path:
    """Write a version's reference tables and ACTIVE measures as a dataset folder (`publish` reads it back): how
    an existing DuckDB-internal version moves to Parquet storage. `dest` is replaced."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "mesures").mkdir(parents=True)
    (dest / "reference").mkdir()
    for name in REFERENCE_TABLES:
        table_file = _sql_string(str(dest / "reference" / (name + ".parquet")))
        con.execute(f'COPY (SELECT * FROM "{name}") TO {table_file} (FORMAT parquet, COMPRESSION zstd)')
    columns = ", ".join(MEASURE_TYPES)
    target = dest / "mesures" / "mesures.parquet"
    con.execute(f"""COPY (SELECT {columns} FROM mesures_actives ORDER BY {SORT_ORDER})
                    TO {_sql_string(str(target))} (FORMAT parquet, COMPRESSION zstd)""")
    rows = check_files([target])
    (dest / "manifest.json").write_text(
        json.dumps(
            {
                "generateur": "observatoire.parquet.export_dataset",
                "lignes": rows,
                "fichiers_mesures": ["mesures/mesures.parquet"],
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return dest


def storage_of(con: duckdb.DuckDBPyConnection) -> str:
    return store.get_meta(con, STORAGE_KEY) or DUCKDB


def files_of(con: duckdb.DuckDBPyConnection) -> list[Path]:
    raw = store.get_meta(con, FILES_KEY)
    return [Path(p) for p in json.loads(raw)] if raw else []


def verify(con: duckdb.DuckDBPyConnection) -> None:
    """`ParquetError` (French) when a Parquet-backed version's files are missing or damaged; nothing otherwise
    (a DuckDB-internal version has nothing to check). Footers only: milliseconds for dozens of files."""
    if storage_of(con) != PARQUET:
        return
    try:
        check_files(files_of(con))
    except ParquetError as err:
        raise ParquetError(
            f"Les mesures de cette version sont stockées en Parquet et ne sont pas lisibles : {err}"
        ) from err


def connect(repo: versions.Repository, version: versions.Version | None = None) -> duckdb.DuckDBPyConnection:
    """`repo.connect(version)` (read-only) after `verify`: the error a reader shows when a file is gone."""
    con = repo.connect(version)
    try:
        verify(con)
    except BaseException:
        con.close()
        raise
    return con
