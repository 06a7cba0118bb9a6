"""Shared fixtures: one demo database per test session, Streamlit caches kept while their keys make that safe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from observatoire import store, versions

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = str(ROOT / "dashboard.py")


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> versions.Repository:
    """A store folder with one published version built from data/, exported as OBSERVATOIRE_STORE for the
    whole session (what the app and the CLI read)."""
    repo = versions.Repository(tmp_path_factory.mktemp("store"))
    repo.init(author="tests")
    previous = os.environ.get("OBSERVATOIRE_STORE")
    os.environ["OBSERVATOIRE_STORE"] = str(repo.root)
    yield repo
    if previous is None:
        os.environ.pop("OBSERVATOIRE_STORE", None)
    else:
        os.environ["OBSERVATOIRE_STORE"] = previous


@pytest.fixture(scope="session")
def demo_db(demo_store: versions.Repository) -> Path:
    """The file of the session store's current version (open it read-only)."""
    return demo_store.current().path


def _clear_caches() -> None:
    st = sys.modules.get("streamlit")  # not imported by this process: no cache to clear
    if st is None:
        return
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _clear_streamlit_caches(request: pytest.FixtureRequest):
    """Streamlit caches are process-wide. Everything the app caches is keyed by what it was read from
    (components/context.py: the store folder, the version file's path and id — a version is immutable —, the
    GeoJSON name, the data folder being fixed per process), so an entry one test cached is exactly what another
    test reading the same version would compute: the caches are kept from test to test (an AppTest of a page
    already drawn by an earlier test skips its queries). They are cleared after a test that patches something
    (it uses `monkeypatch`: a patched function may have cached what the real one would not give), and at
    the end of each module so that they never grow over the session."""
    yield
    if "monkeypatch" in request.fixturenames:
        _clear_caches()


@pytest.fixture(autouse=True, scope="module")
def _clear_streamlit_caches_per_module():
    yield
    _clear_caches()


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


@pytest.fixture()
def deferred():
    """file id → (file name, callable) of every deferred download (`st.download_button` with a callable) the
    test's runs register: what a click would download, without a browser. (Not through `monkeypatch`: recording
    the downloads patches nothing the caches hold, see `_clear_streamlit_caches`.)"""
    from streamlit.runtime.media_file_manager import MediaFileManager

    seen: dict[str, tuple[str, object]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data, mimetype, coordinates, file_name=None, element_id=""):  # noqa: ANN001, ANN202
        file_id = original(self, data, mimetype, coordinates, file_name=file_name, element_id=element_id)
        seen[file_id] = (file_name, data)
        return file_id

    MediaFileManager.add_deferred = add_deferred
    try:
        yield seen
    finally:
        MediaFileManager.add_deferred = original
