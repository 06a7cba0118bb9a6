"""The académie's reference FILES a data version holds: `academie.json` and the GeoJSON layers.

A published version is self-contained: besides the reference tables, the publication (`store._write_reference`,
the single write path) copies `academie.json`, `bassins.geojson` and `departements.geojson` into the table
`reference_files(name, content)` of the version. Everything drawn with them — the académie's name, the « bilan »
label, the map centre, the small-count threshold, the territories' shapes — is read here, through the version's
connection: a pinned `?version=N` link shows the territories, names and thresholds that were published with it.

Versions published before this table (schema ≤ 4) still open: a file they do not hold is read from the reference
folder (`config.REFERENCE_DIR`), as those versions always were. The migration to schema 5 copies the files into the
version when the folder still holds what the version was published with (same `reference_hash`); otherwise the
reference is stale and the same publication refreshes it (`store.staleness`).

No cache here (the core caches nothing per version): the Streamlit edge caches what it reads keyed by the version
(`components.context`); parsing the académie file (1 kB) is memoised on its text only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from observatoire import config, reading, small_counts

TABLE = "reference_files"
ACADEMIE = "academie.json"
LAYERS = {"bassins": "bassins.geojson", "departements": "departements.geojson"}
FILES = (ACADEMIE, *LAYERS.values())
"""The files a version holds (the other reference files are tables of the version already)."""

DDL = f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR PRIMARY KEY, content VARCHAR NOT NULL);"


def read_files(reference_dir: Path) -> dict[str, str]:
    """The text of each file of `FILES` in `reference_dir` (the same reader as `check`: UTF-8 or Windows-1252)."""
    return {name: reading.read_text(reference_dir / name, name.split(".")[0]) for name in FILES}


def write_files(con: duckdb.DuckDBPyConnection, files: dict[str, str]) -> None:
    """Store `files` (name → text) in the version being built, replacing what it held."""
    con.execute(DDL)
    con.execute(f"DELETE FROM {TABLE}")
    for name, content in sorted(files.items()):
        con.execute(f"INSERT INTO {TABLE} VALUES ($name, $content)", {"name": name, "content": content})


def stored(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The files the version holds (empty for a version published before they were stored)."""
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": TABLE}).fetchall()
    if not found[0][0]:
        return {}
    return dict(con.execute(f"SELECT name, content FROM {TABLE}").fetchall())


def missing(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The files of `FILES` the version does not hold (all of them for a version of schema ≤ 4)."""
    held = stored(con)
    return [name for name in FILES if name not in held]


def text(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The text of reference file `name` as the version holds it; a version that does not hold it (published
    before schema 5, or a national dataset) reads it from the reference folder."""
    if name not in FILES:
        raise ValueError(f"unknown reference file {name!r}; expected one of {FILES}")
    try:  # ONE statement (views read these several times per build); within a publication the table exists
        rows = con.execute(f"SELECT content FROM {TABLE} WHERE name = $name", {"name": name}).fetchall()
    except duckdb.CatalogException:  # a version of schema ≤ 4: no such table (read-only, autocommit: harmless)
        rows = []
    if rows:
        return str(rows[0][0])
    return reading.read_text(config.REFERENCE_DIR / name, name.split(".")[0])


@lru_cache(maxsize=16)
def _academie_of(content: str) -> config.Academie:
    return config.parse_academie(reading.parse_json(content, "academie", ACADEMIE))


@lru_cache(maxsize=16)
def _policy_of(content: str) -> small_counts.Policy:
    try:
        raw = reading.parse_json(content, "academie", ACADEMIE)
    except Exception:  # noqa: BLE001 - unreadable: the data check says why; mask with the defaults
        return small_counts.Policy()
    return small_counts.parse_policy(raw if isinstance(raw, dict) else {})


def academie(con: duckdb.DuckDBPyConnection) -> config.Academie:
    """The académie the version was published with (name, départements, years, bilan, map centre…)."""
    return _academie_of(text(con, ACADEMIE))


def policy(con: duckdb.DuckDBPyConnection) -> small_counts.Policy:
    """The small-count policy the version was published with (`seuil_petits_effectifs`, `unites_personnes`)."""
    return _policy_of(text(con, ACADEMIE))


def geojson(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    """The parsed GeoJSON layer `name` (`bassins` or `departements`) the version was published with (a new dict
    on each call: the caller may keep it)."""
    if name not in LAYERS:
        raise ValueError(f"unknown layer {name!r}; expected one of {sorted(LAYERS)}")
    result: dict[str, Any] = reading.parse_json(text(con, LAYERS[name]), name, LAYERS[name])
    return result
