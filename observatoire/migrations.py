"""Numbered schema migrations of a data version (a DuckDB file), applied to the next version while it is built.

An application upgrade never rebuilds the data from `data/`: the current version is copied and migrated step by
step (`MIGRATIONS[n]` takes schema n to n + 1), so imported lots survive. The historic DDL of each schema lives
in the tests (tests/observatoire/test_versions.py) that build a version with it and migrate it.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from observatoire import config, published, schema, store


class MigrationError(store.StoreError):
    """A database whose schema cannot be migrated (unknown or newer than this application)."""


_MEASURES_V2 = """
CREATE TABLE mesures_v2 AS
SELECT m.lot_id, m.indicateur, m.periode, m.annee_scolaire, m.territoire_type, m.territoire_code, m.niveau,
       m.thematique, m.public, m.valeur,
       CASE WHEN m.illustratif THEN 'illustratif' WHEN l.origine = 'import' THEN 'import' ELSE 'bilan' END
           AS origine,
       m.source
FROM mesures m LEFT JOIN lots l USING (lot_id);
DROP VIEW IF EXISTS mesures_actives;
DROP TABLE mesures;
ALTER TABLE mesures_v2 RENAME TO mesures;
"""


def _v1_to_v2(con: duckdb.DuckDBPyConnection) -> None:
    """1 → 2: the `illustratif` flag becomes the `origine` column (illustratif, import for imported lots, else
    bilan); the reference tables are marked stale so that the same publication refreshes them from data/."""
    con.execute(_MEASURES_V2)
    store.set_meta(con, "reference_hash", "")


def _v2_to_v3(con: duckdb.DuckDBPyConnection) -> None:
    """2 → 3: the `journal` table (created by the DDL below, empty: the history before it is the lots)."""


def _v3_to_v4(con: duckdb.DuckDBPyConnection) -> None:
    """3 → 4: the view `disponibilites` (which breakdowns each indicator has; created by the DDL below), read by
    the queries instead of a DISTINCT over every measure (a table precomputed at publication when the measures
    live in Parquet files, `observatoire.parquet`)."""


def _v4_to_v5(con: duckdb.DuckDBPyConnection) -> None:
    """4 → 5: the version holds academie.json and the GeoJSON layers (`reference_files`, `observatoire.published`).
    They are copied from the reference folder only when it still holds what the version was published with (same
    `reference_hash`: the same bytes); otherwise the table stays empty, the version reads them from the folder as
    before, and `store.staleness` calls the reference stale, so the publication that refreshes it stores them."""
    con.execute(published.DDL)
    try:
        same = store.get_meta(con, "reference_hash") == store.reference_hash(config.REFERENCE_DIR)
        files = published.read_files(config.REFERENCE_DIR) if same else None
    except (OSError, schema.ValidationError):  # no readable folder: nothing copied, read as before
        files = None
    if files is not None:
        published.write_files(con, files)


MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
}


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    raw = store.get_meta(con, "schema_version") or "0"
    return int(raw) if raw.isdigit() else 0


def pending(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Schema numbers still to migrate from (empty: current)."""
    current, target = schema_version(con), int(store.SCHEMA_VERSION)
    if current > target:
        raise MigrationError(
            f"Cette version des données a le schéma {current}, plus récent que celui de "
            f"l'application ({target}) : mettez l'application à jour."
        )
    missing = [n for n in range(current, target) if n not in MIGRATIONS]
    if missing:
        raise MigrationError(
            f"Schéma {current} inconnu : aucune migration depuis le schéma {missing[0]}. "
            "Reconstruisez les données avec « python -m observatoire init »."
        )
    return list(range(current, target))


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every pending migration (in the caller's transaction); returns the schema numbers migrated from."""
    steps = pending(con)
    for number in steps:
        MIGRATIONS[number](con)
        store.set_meta(con, "schema_version", str(number + 1))
    if steps:
        con.execute(store.DDL)  # tables added since (journal) and the view, recreated on the new columns
    return steps
