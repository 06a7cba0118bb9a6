"""Legitimate sparse data never shows « erreur inattendue »: every page says in French what is missing.

The database of these tests holds the demo data with holes: the demo lot is deactivated and a lot without
- any measure of `webradios` (an indicator of the catalogue with no measure at all),
- the `labo_personnes` measures of the latest school year (the default indicator of the maps),
- any measure of the bassin `57-metz` (a bassin with no value)
is active instead. Filters that select nothing are added on top.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from observatoire import checks, config, queries, reading, store, versions
from tests.conftest import ENTRYPOINT
from tests.helpers import texts, unexpected_errors

EMPTY_INDICATOR = "webradios"
LATEST_GONE = "labo_personnes"
EMPTY_BASSIN = "57-metz"


@pytest.fixture(scope="module")
def sparse_store(tmp_path_factory: pytest.TempPathFactory) -> versions.Repository:
    """A store whose current version has the demo lot deactivated and a lacunary lot active."""
    repo = versions.Repository(tmp_path_factory.mktemp("sparse"))
    repo.init(author="tests")
    measures = reading.read_measures_csv(config.DEMO_MEASURES)
    with repo.connect() as con:
        latest = queries.school_years(con)[-1]
        tables = store.reference_tables(con)
    keep = (
        (measures["indicateur"] != EMPTY_INDICATOR)
        & ~((measures["indicateur"] == LATEST_GONE) & (measures["periode"] == latest))
        & (measures["territoire_code"] != EMPTY_BASSIN)
    )
    frame = checks.validate_measures(measures[keep].reset_index(drop=True), tables)

    def apply(con) -> versions.Change:
        lot = store.insert_lot(con, frame, "import", "Données lacunaires (test)")
        store.set_active(con, 1, False)
        return versions.Change(
            versions.IMPORT, "Données lacunaires (test)", "tests", lots_added=(lot,), lots_retired=(1,)
        )

    repo.publish(apply)
    with repo.connect() as con:
        active = con.execute("SELECT count(*) FROM mesures_actives").fetchone()[0]
        assert active == int(keep.sum())
    return repo


@pytest.fixture(scope="module")
def sparse_db(sparse_store: versions.Repository) -> Path:
    return sparse_store.current().path


@pytest.fixture()
def sparse_app(sparse_store: versions.Repository, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(config.STORE_ENV_VAR, str(sparse_store.root))

    def make(page: str, **params: str) -> AppTest:
        at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(page).run()
        assert not unexpected_errors(at), unexpected_errors(at)
        return at

    return make


def _said(at) -> str:
    return " ".join(texts(at.info) + texts(at.caption) + texts(at.warning) + texts(at.markdown))


def test_the_sparse_database_really_has_holes(sparse_db):
    with store.connect(sparse_db, read_only=True) as con:
        frame = con.execute("SELECT indicateur, periode, territoire_code FROM mesures_actives").df()
        latest = queries.school_years(con)[-1]
    assert EMPTY_INDICATOR not in set(frame["indicateur"])
    assert frame[(frame["indicateur"] == LATEST_GONE) & (frame["periode"] == latest)].empty
    assert EMPTY_BASSIN not in set(frame["territoire_code"])
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"indicateur": EMPTY_INDICATOR},
        {"indicateur": "ent_visites", "bassin_sel": EMPTY_BASSIN},
        {"bassin_sel": EMPTY_BASSIN},
        {"dep": "57", "bassin": EMPTY_BASSIN, "theme": "parentalite"},
    ],
)
def test_carte(sparse_app, params):
    at = sparse_app("pages/carte.py", **params)
    said = _said(at)
    if not params or params.get("indicateur") == EMPTY_INDICATOR:
        assert "Aucune donnée" in said, said
    if params.get("bassin_sel") == EMPTY_BASSIN:
        assert "Bassin de Metz" in texts(at.subheader)
        assert "pas de donnée" in " ".join(texts(at.metric)) + said


@pytest.mark.parametrize(
    "params",
    [
        {"indicateur": EMPTY_INDICATOR},
        {"indicateur": EMPTY_INDICATOR, "par": "bassin"},
        {"indicateur": LATEST_GONE, "par": "bassin"},
        {"indicateur": "ent_visites", "par": "bassin", "bassin": EMPTY_BASSIN},
        {"indicateur": "ent_visites", "dep": "57", "bassin": EMPTY_BASSIN, "de": "2023-2024", "a": "2023-2024"},
    ],
)
def test_indicateurs(sparse_app, params):
    at = sparse_app("pages/indicateurs.py", **params)
    said = _said(at)
    if params["indicateur"] == EMPTY_INDICATOR:
        assert "Aucune donnée" in said, said


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bassin": EMPTY_BASSIN},
        {"dep": "57", "theme": "parentalite", "niveau": "lycee"},
    ],
)
def test_vue_ensemble(sparse_app, params):
    at = sparse_app("pages/vue_ensemble.py", **params)
    assert "Aucune donnée" in _said(at) or at.metric


@pytest.mark.parametrize("page", ["pages/laboratoires.py", "pages/donnees.py"])
def test_filters_that_select_nothing(sparse_app, page):
    at = sparse_app(page, bassin=EMPTY_BASSIN, theme="parentalite", niveau="lycee")
    assert "Aucun" in _said(at)
