"""Shared fixtures: one demo database per test session, Streamlit caches cleared around every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from observatoire import store

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = str(ROOT / "dashboard.py")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly built demo database, exported as OBSERVATOIRE_DB for the whole session."""
    path = tmp_path_factory.mktemp("db") / "observatoire.duckdb"
    store.build(path)
    previous = os.environ.get("OBSERVATOIRE_DB")
    os.environ["OBSERVATOIRE_DB"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("OBSERVATOIRE_DB", None)
    else:
        os.environ["OBSERVATOIRE_DB"] = previous


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Streamlit caches are process-wide: clear them so tests don't see each other's data."""
    yield
    try:
        import streamlit as st
    except ImportError:  # pragma: no cover
        return
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture()
def app(demo_db: Path):
    """Factory: `app(query_params={...})` → an AppTest of the entrypoint, already run once."""
    from streamlit.testing.v1 import AppTest

    def make(query_params: dict[str, str] | None = None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
        for key, value in (query_params or {}).items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return make


@pytest.fixture(scope="session")
def con(demo_db: Path):
    """Read-only connection to the session's demo database (to compute what pages must show)."""
    connection = store.connect(demo_db, read_only=True)
    yield connection
    connection.close()
