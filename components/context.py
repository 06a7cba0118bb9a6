"""Streamlit edge of the core: the shared read-only DuckDB connection and cached query results.

- `st.cache_resource` holds ONE read-only connection per database path; every call uses its own cursor.
- `st.cache_data` (bounded: `max_entries`, `ttl`) holds query results, keyed on the data version so that a
  new lot or a refreshed reference invalidates them.
Pages call the functions below, never SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from observatoire import config, geo, queries, store
from observatoire.filters import Choices, Filters

_TTL = 3600


@st.cache_resource(show_spinner="Préparation de la base de données…")
def _database(path: str) -> duckdb.DuckDBPyConnection:
    store.ensure(Path(path), keep_current=True)  # busy or refused update: keep serving the current data
    return store.connect(Path(path), read_only=True)


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    cur = _database(str(config.database_path())).cursor()
    try:
        yield cur
    finally:
        cur.close()


@st.cache_data(ttl=30, max_entries=4, show_spinner=False)
def data_version(path: str | None = None) -> store.DataVersion:
    with cursor() as cur:
        return store.data_version(cur)


def _version() -> str:
    return data_version(str(config.database_path())).empreinte


@st.cache_data(ttl=_TTL, max_entries=1024, show_spinner=False)
def _run(name: str, version: str, args: tuple, kwargs: tuple) -> object:
    with cursor() as cur:
        return getattr(queries, name)(cur, *args, **dict(kwargs))


def _query(name: str, *args: object, **kwargs: object):  # noqa: ANN202 - typed by the wrappers below
    return _run(name, _version(), args, tuple(sorted(kwargs.items())))


def series(indicator_id: str, filters: Filters, by: str = "total", annual: bool = False,
           periods: tuple[str, str] | None = None) -> queries.Result:
    return _query("series", indicator_id, filters, by=by, annual=annual, periods=periods)


def values_by_bassin(indicator_id: str, annee: str, filters: Filters) -> queries.Result:
    return _query("values_by_bassin", indicator_id, annee, filters)


def evolution(indicator_id: str, filters: Filters, by: str, year_a: str, year_b: str) -> queries.Result:
    return _query("evolution", indicator_id, filters, by, year_a, year_b)


def kpis(filters: Filters) -> list[queries.Kpi]:
    return _query("kpis", filters)


def bassin_profile(bassin: str, annee: str, filters: Filters) -> pd.DataFrame:
    return _query("bassin_profile", bassin, annee, filters)


def laboratories(filters: Filters, open_in: str | None = None) -> queries.Result:
    if open_in is None:
        return _query("laboratories", filters)
    return _query("laboratories", filters, open_in=open_in)


def projects(laboratoire: str | None = None) -> pd.DataFrame:
    return _query("projects", laboratoire)


def filter_response(filters: Filters) -> pd.DataFrame:
    """Which indicators answer the niveau / thème filters (one query on the catalogue, cached per version)."""
    return _query("filter_response", filters.with_(departements=(), bassins=(), publics=(), periode_debut=None,
                                                   periode_fin=None))


def lab_profile(laboratoire: str, annee: str) -> pd.DataFrame:
    return _query("lab_profile", laboratoire, annee)


def projects_catalogue(filters: Filters) -> queries.Result:
    return _query("projects_catalogue", filters.with_(publics=(), periode_debut=None, periode_fin=None))


def measures(filters: Filters, indicator_id: str | None = None) -> pd.DataFrame:
    return _query("measures", filters, indicator_id)


def measures_notes(filters: Filters) -> tuple[str, ...]:
    return _query("measures_notes", filters)


@st.cache_data(ttl=30, max_entries=4, show_spinner=False)
def _lots(version: str) -> pd.DataFrame:
    with cursor() as cur:
        return store.lots(cur)


def lots() -> pd.DataFrame:
    """The lots (batches) of measures, active or not."""
    return _lots(_version())


def indicators() -> pd.DataFrame:
    return _query("indicators")


def indicator(indicator_id: str) -> dict:
    return _query("indicator", indicator_id)


def catalogue(name: str) -> pd.DataFrame:
    return _query("catalogue", name)


def labels() -> dict[str, dict[str, str]]:
    return _query("labels")


def choices() -> Choices:
    return _query("choices")


def school_years() -> list[str]:
    return _query("school_years")


@st.cache_data(max_entries=4, show_spinner=False)
def geojson(name: str) -> dict:
    """Raw GeoJSON dict of `bassins` or `departements` (cached: the map is rebuilt, its data is not)."""
    return geo.geojson_dict(name)
