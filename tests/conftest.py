"""Shared fixtures: one demo database per test session, Streamlit caches kept while their keys make that safe."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from observatoire import store, versions

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = str(ROOT / "dashboard.py")


# The inner loop (`make test-fast`: `-m "not e2e and not slow"`) leaves out these long tests; `make test` and CI run
# them. One place, each with why it is long: other processes, sweeps of every page / indicator / case, scale, drawings.
# A key is a node id or its beginning; a key whose file is collected but that matches no test stops the run.
SLOW_TESTS: dict[str, str] = {
    # other processes (subprocesses of the CLI, writers killed or run concurrently)
    "tests/observatoire/test_versions_kill.py": "kill -9 d'un écrivain à chaque étape d'une publication",
    "tests/observatoire/test_publishing_versions.py::test_six_concurrent_cli_imports": "six imports concurrents",
    "tests/observatoire/test_check_corpus.py": "68 fichiers malformés × check et init, six en sous-processus",
    "tests/observatoire/test_instantane.py::test_cli_": "la CLI en sous-processus écrit un instantané",
    "tests/observatoire/test_exporting.py::test_cli_export_neutralises_and_round_trips": "CLI en sous-processus",
    "tests/observatoire/test_export_look.py::test_exported_pictures_are_the_same_in_a_streamlit": "deux processus kaleido",
    # sweeps: every page, every indicator, every filter set
    "tests/app/test_consistency.py": "l'application entière contre les requêtes de référence",
    "tests/app/test_views_immutable.py": "chaque page, trois jeux de filtres, empreinte des vues",
    "tests/app/test_indicateurs.py::test_every_indicator_of_the_catalogue_loads": "chaque indicateur du catalogue",
    "tests/observatoire/test_lab_counts.py::test_labo_nombre_equals_the_list_of_labs_everywhere": "184 jeux de filtres",
    "tests/observatoire/test_view_carte.py::test_origins_and_illustrative_flags": "chaque indicateur de la carte",
    "tests/observatoire/test_import_fuzz.py": "fichiers mutés au hasard (hypothesis)",
    "tests/observatoire/test_parquet.py": "les données de démonstration rejouées en Parquet",
    "tests/observatoire/test_query_counts.py": "requêtes comptées contre la référence, indicateur par indicateur",
    "tests/app/test_other_academie.py": "une autre académie créée, publiée et parcourue page par page",
    # scale
    "tests/observatoire/test_validation_scale.py": "un million de lignes",
    "tests/observatoire/test_importing.py::test_half_a_million_rows_are_read": "500 000 lignes",
    "tests/observatoire/test_demo_data.py::test_generator_reproduces_the_committed_file": "60 000 mesures régénérées",
    "tests/observatoire/figures/test_classification_breaks.py::test_breaks_equal_mapclassify": "Jenks de mapclassify",
    # drawings (decks and pictures by kaleido on Chromium), publications of new versions
    "tests/app/test_presentation.py": "PPTX construits depuis la page",
    "tests/observatoire/test_presentation.py": "présentations construites et dessinées (PPTX, images kaleido)",
    "tests/observatoire/test_versions.py": "publications, annulations et migrations de versions",
    "tests/app/test_url_choices.py": "une nouvelle année publiée sous une session ouverte",
    "tests/observatoire/test_png_render.py": "rendus kaleido, redémarrage de Chromium",
    "tests/app/test_import_safety.py": "publications et annulations depuis la page",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files = {item.nodeid.split("::", 1)[0] for item in items}
    matched: set[str] = set()
    for item in items:
        for key in SLOW_TESTS:
            if item.nodeid.startswith(key):
                item.add_marker(pytest.mark.slow)
                matched.add(key)
    stale = [key for key in SLOW_TESTS if key.split("::", 1)[0] in files and key not in matched]
    if stale:
        raise pytest.UsageError(f"SLOW_TESTS : aucune épreuve ne correspond à {stale}")


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
