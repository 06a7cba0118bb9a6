"""Streamlit edge of the core: the published data version a rerun reads, its read-only connection, cached results.

- The data version: the router calls `resolve_version()` once per rerun. It is the version pinned by the URL
  (`?version=12`, kept for the whole session) or else the current one, found with ONE stat of the pointer
  (`var/current`): a version published by an import is seen by the next rerun of every session.
- `st.cache_resource` holds one read-only DuckDB connection per version file (a few recent ones); every call
  uses its own cursor. Nothing here ever opens a database for writing (`versions.Repository` publishes).
- `st.cache_data` (bounded: `max_entries`, `ttl`) holds query results keyed by the version id: nothing stale
  is ever served. `_query` takes the query function itself (typed), never its name.
Pages call the functions below, never SQL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import duckdb
import pandas as pd
import streamlit as st

from observatoire import config, published, queries, schema, small_counts, store, versions
from observatoire.filters import Choices, Filters
from observatoire.labels import Labels
from observatoire.views import presentation as presentation_views
from observatoire.views.context import build_context
from observatoire.views.fiches import Fiche, build_bassin_fiche, build_lab_fiche
from observatoire.views.model import Context, Presentation, View
from observatoire.views.presentation import build_presentation

log = logging.getLogger(__name__)

_TTL = 3600
_VERSION_KEY = "_data_version"  # (number, file path) resolved for this rerun
PIN_KEY = "_pinned_version"  # version number pinned by ?version=N (None: follow the current one)

P = ParamSpec("P")
T = TypeVar("T")
ItemsT = TypeVar("ItemsT")


@st.cache_resource(show_spinner="Préparation des données…")
def _repository(root: str) -> versions.Repository:
    """The store folder; on first use, publishes a version if none exists, if data/ changed or if the schema
    must migrate. An update that cannot be made now (another write in progress, data/ refused) is logged and
    the current version is served."""
    repo = versions.Repository(Path(root))
    try:
        repo.ensure(wait=5)
    except (versions.WriteInProgressError, schema.ValidationError) as err:
        if repo.current() is None:
            raise
        log.warning("Actualisation impossible, version courante servie telle quelle : %s", err)
    return repo


def repository() -> versions.Repository:
    return _repository(str(config.store_dir()))


_pointer_lock = threading.Lock()
_pointer_seen: dict[str, tuple[tuple[int, int, int] | None, versions.Version | None]] = {}


def current_version() -> versions.Version:
    """The current published version: one stat of the pointer; the pointer is read only when it changed."""
    repo = repository()
    stamp = repo.pointer_stamp()
    with _pointer_lock:
        seen = _pointer_seen.get(str(repo.root))
        if seen is None or seen[0] != stamp or seen[1] is None:
            version = repo.current()
            if version is None:
                raise store.StoreError(f"Aucune version des données publiée dans {repo.root}.")
            _pointer_seen[str(repo.root)] = (stamp, version)
            return version
        return seen[1]


def resolve_version() -> versions.Version:
    """The version this rerun reads (pinned, else current), remembered for the rerun in the session state."""
    pinned = st.session_state.get(PIN_KEY)
    version = None
    if pinned is not None:
        try:
            version = repository().version(int(pinned))
        except store.StoreError:
            st.session_state[PIN_KEY] = None  # pruned meanwhile: follow the current version
    version = version or current_version()
    st.session_state[_VERSION_KEY] = (version.number, str(version.path))
    return version


def version() -> versions.Version:
    """The version of this rerun (resolved by the router; resolved here when a page runs alone)."""
    resolved = st.session_state.get(_VERSION_KEY)
    if resolved is None:
        return resolve_version()
    return versions.Version(int(resolved[0]), Path(resolved[1]))


@st.cache_resource(max_entries=8, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return store.connect(Path(path), read_only=True)


@contextmanager
def cursor(target: versions.Version | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = _connection(str((target or version()).path)).cursor()
    try:
        yield cur
    finally:
        cur.close()


@st.cache_data(ttl=_TTL, max_entries=1024, show_spinner=False)
def _run(name: str, version_id: str, path: str, args: tuple, kwargs: tuple, _fn: Callable[..., object]) -> object:
    """`_fn(cursor, *args, **kwargs)` on version `version_id`; cached on (`name`, version, arguments)."""
    cur = _connection(path).cursor()
    try:
        return _fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()


@st.cache_resource(ttl=_TTL, max_entries=64, show_spinner=False)
def _run_shared(
    name: str, version_id: str, path: str, args: tuple, kwargs: tuple, _fn: Callable[..., object]
) -> object:
    """`_run`, but the result is kept and returned as the object itself, shared by every session: no pickling
    on each rerun. For the values that hold plotly figures (views, slides, fiches: `_shared`): unpickling a
    View's figures took about half of a warm rerun (plotly revalidates every property), a lab fiche's map
    ≈ 36 ms of each Laboratoires rerun. They are frozen and nothing mutates their frames or figures (renderers
    and exports copy them: `st.plotly_chart` serialises a copy, `png.decorated`, the slides and the PPTX build
    new figures, `png.figure_png` reads `to_dict()`). At most 64 per process (a Données view of the whole
    académie holds ≈ 10 MB of frames)."""
    cur = _connection(path).cursor()
    try:
        return _fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()


def _query(fn: Callable[Concatenate[duckdb.DuckDBPyConnection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    target = version()
    return _run(
        f"{fn.__module__}.{fn.__qualname__}",
        target.id,
        str(target.path),
        args,  # type: ignore[return-value]
        tuple(sorted(kwargs.items())),
        fn,
    )


def _shared(fn: Callable[Concatenate[duckdb.DuckDBPyConnection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`_query` for a value holding plotly figures: kept as an object (`_run_shared`), never pickled."""
    target = version()
    return _run_shared(
        f"{fn.__module__}.{fn.__qualname__}",
        target.id,  # type: ignore[return-value]
        str(target.path),
        args,
        tuple(sorted(kwargs.items())),
        fn,
    )


def data_version() -> store.DataVersion:
    """Content summary of this rerun's version (number, hash, date, lots, rows)."""
    return _query(store.data_version)


def view_context(filters: Filters) -> Context:
    """The `Context` of a view of `filters` on this rerun's version (académie, French filter lines, school year,
    data version): what every exported file and image says about where its figures come from."""
    return _query(build_context, filters)


def journal() -> pd.DataFrame:
    """The journal of this rerun's version: every change up to it, most recent first."""
    return _query(versions.journal)


def series(
    indicator_id: str,
    filters: Filters,
    by: str = "total",
    annual: bool = False,
    periods: tuple[str, str] | None = None,
) -> queries.Result:
    return _query(queries.series, indicator_id, filters, by=by, annual=annual, periods=periods)


def values_by_bassin(indicator_id: str, annee: str, filters: Filters) -> queries.Result:
    return _query(queries.values_by_bassin, indicator_id, annee, filters)


def evolution(indicator_id: str, filters: Filters, by: str, year_a: str, year_b: str) -> queries.Result:
    return _query(queries.evolution, indicator_id, filters, by, year_a, year_b)


def kpis(filters: Filters) -> list[queries.Kpi]:
    return _query(queries.kpis, filters)


def bassin_profile(bassin: str, annee: str, filters: Filters) -> pd.DataFrame:
    return _query(queries.bassin_profile, bassin, annee, filters)


def laboratories(filters: Filters, open_in: str | None = None) -> queries.Result:
    if open_in is None:
        return _query(queries.laboratories, filters)
    return _query(queries.laboratories, filters, open_in=open_in)


def filter_response(filters: Filters) -> pd.DataFrame:
    """Which indicators answer the niveau / thème filters (one query on the catalogue, cached per version)."""
    return _query(
        queries.filter_response,
        filters.with_(departements=(), bassins=(), publics=(), periode_debut=None, periode_fin=None),
    )


def lab_profile(laboratoire: str, annee: str) -> pd.DataFrame:
    return _query(queries.lab_profile, laboratoire, annee)


def measures(filters: Filters, indicator_id: str | None = None) -> pd.DataFrame:
    return _query(queries.measures, filters, indicator_id)


def view(
    builder: Callable[[duckdb.DuckDBPyConnection, Filters, dict[str, str]], View[ItemsT]],
    filters: Filters,
    params: dict[str, str] | None = None,
) -> View[ItemsT]:
    """The `View` that `builder` (`observatoire.views.<page>.build_<page>`) makes of `filters` and the page's
    own choices `params` on this rerun's version, cached like every query (keyed by the builder, the version
    and the arguments). Pages render it; their downloads take their tables and figures from it."""
    return _shared(builder, filters, dict(sorted((params or {}).items())))


def presentation(filters: Filters, url: str = "", highlight: str | None = None) -> Presentation:
    """The séminaire slides for `filters` on this rerun's version (`url`: the view's link, for the QR code;
    `highlight`: the bassin of the zoom slide chosen by the presenter)."""
    return _shared(build_presentation, filters, url=url, highlight=highlight)


def focus_choices(filters: Filters) -> dict[str, str]:
    """The bassins the zoom slide may show for `filters` (code → name)."""
    return _query(presentation_views.focus_choices, filters)


def bassin_fiche(code: str, year: str, filters: Filters) -> Fiche:
    """The « fiche bassin » of `code` for the school year `year` on this rerun's version (ValueError, French,
    for an unknown bassin or year)."""
    return _shared(build_bassin_fiche, code, year, filters)


def lab_fiche(code: str, year: str, filters: Filters | None = None) -> Fiche:
    """The « fiche laboratoire » of `code` for the school year `year` and the chosen `filters` (those that apply
    to one lab; the others written « non appliqué ») on this rerun's version."""
    return _shared(build_lab_fiche, code, year, filters or Filters())


def lots() -> pd.DataFrame:
    """The lots (batches) of measures, active or not."""
    return _query(store.lots)


def indicators() -> pd.DataFrame:
    return _query(queries.indicators)


def indicator(indicator_id: str) -> dict:
    return _query(queries.indicator, indicator_id)


def catalogue(name: str) -> pd.DataFrame:
    return _query(queries.catalogue, name)


def labels() -> Labels:
    return _query(queries.labels)


def choices() -> Choices:
    return _query(queries.choices)


def geojson(name: str) -> dict:
    """Raw GeoJSON dict of `bassins` or `departements` as this rerun's version holds it (`published.geojson`),
    cached per version like every query (the map is rebuilt, its data is not)."""
    return _query(published.geojson, name)


def academie() -> config.Academie:
    """The académie this rerun's version was published with (name, bilan, map centre…: `published.academie`)."""
    return _query(published.academie)


def bilan_source() -> str:
    """How sources cite the bilan in this rerun's version (« Bilan DRANE 2023-2024 »); "" when no version was
    resolved for this rerun (a component drawn alone, in its tests): the texts then say « le bilan »."""
    if _VERSION_KEY not in st.session_state:
        return ""
    return academie().bilan_source


def policy() -> small_counts.Policy:
    """The small-count policy this rerun's version was published with (`published.policy`)."""
    return _query(published.policy)


# ------------------------------------------------------------------------------------- what changed


@st.cache_resource(ttl=_TTL, max_entries=16, show_spinner="Comparaison des deux versions…")
def _changes(old_id: str, old_path: str, new_id: str, new_path: str) -> View:
    """`build_changes` of two version files (ids in the key: a version never changes), kept as an object."""
    from observatoire.views.changes import build_changes

    old, new = _connection(old_path).cursor(), _connection(new_path).cursor()
    try:
        return build_changes(old, new)
    finally:
        old.close()
        new.close()


def changes(old: int, new: int) -> View:
    """What changed from version `old` to version `new` (both kept; `StoreError` in French otherwise)."""
    repo = repository()
    first, second = repo.version(old), repo.version(new)
    return _changes(first.id, str(first.path), second.id, str(second.path))


def kept_versions() -> list[versions.Version]:
    """The published versions whose files are kept (oldest first): the ones a comparison can open."""
    return repository().versions()


def current_journal() -> pd.DataFrame:
    """The journal of the current version (every publication up to it, most recent first), cached by version."""
    target = current_version()
    return _run("observatoire.versions.journal", target.id, str(target.path), (), (), versions.journal)
