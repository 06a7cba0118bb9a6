"""Live publication: a running dashboard keeps serving while imports publish new data versions.

The module starts its OWN server on its own store folder (the session server of conftest uses another one) and
publishes imports into it from the test process (`versions.Repository.import_measures`, and once through the
real command line `python -m observatoire import`) while Chromium keeps using the app:

- no error, no lock message on any page visited meanwhile, no traceback in the server log;
- the next rerun of a session following the current version shows the last imported figure and its number;
- a session opened with `?version=1` stays on version 1 (figures, URL, footer) across reruns and page changes,
  until « Afficher la version courante des données »;
- `?version=999` / `?version=abc`: a French notice at the top, the current version shown.

Expected figures come from the store (`queries.kpis` on the version read), never from what the app printed.
The time for a session to show a new version is measured and printed, never asserted.
"""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench._server import ROOT, Server, goto, streamlit_server, wait_idle
from observatoire import config, queries, versions
from observatoire.figures import cards
from observatoire.filters import Filters
from tests.e2e import _ui
from tests.e2e.conftest import VIEWPORT

KPI = "pix_eleves_certifies"  # an académie-level figure of the latest school year, one measure row behind it
IMPORTS = (41_017, 42_123, 43_219, 44_306, 45_432)  # the values the successive imports give to that row
CLI_VALUE = 46_518  # the value imported through the command line, last
LOCK_WORDS = re.compile(r"verrou|\block(ed)?\b|utilisée par un autre processus|erreur inattendue", re.IGNORECASE)
FOOTER = re.compile(r"Version des données n°")
UNPIN = "Afficher la version courante des données"
TIMEOUT = 60_000


# ------------------------------------------------------------------------------------------------ store


def _kpi(repo: versions.Repository, number: int | None = None) -> queries.Kpi:
    """The headline figure as the overview computes it with no filter, on version `number` (default: current)."""
    with repo.connect(repo.version(number) if number else None) as con:
        return next(k for k in queries.kpis(con, Filters()) if k.indicateur == KPI)


def shown_text(repo: versions.Repository, number: int | None = None) -> str:
    """The text of the KPI card's value for version `number` (the card's own formatting: `34 624`)."""
    return cards.kpi_value_text(_kpi(repo, number))


def driving_rows(repo: versions.Repository) -> pd.DataFrame:
    """The active measure row(s) behind the KPI: académie level, latest school year, every part « tous »."""
    annee = _kpi(repo).annee
    with repo.connect() as con:
        active = versions.active_measures(con)
    rows = active[
        (active["indicateur"] == KPI)
        & (active["territoire_type"] == "academie")
        & (active["periode"] == annee)
        & (active["niveau"] == config.ALL)
        & (active["thematique"] == config.ALL)
        & (active["public"] == config.ALL)
    ].copy()
    assert len(rows) == 1, f"une seule ligne attendue derrière l'indicateur clé {KPI} : {rows}"
    return rows


def import_frame(repo: versions.Repository, value: float) -> pd.DataFrame:
    frame = driving_rows(repo)
    frame["valeur"] = float(value)
    frame["origine"] = "import"
    return frame.reset_index(drop=True)


def publish(repo: versions.Repository, value: float) -> versions.Version:
    frame = import_frame(repo, value)
    sha = hashlib.sha256(frame.to_csv(sep=";", index=False).encode("utf-8")).hexdigest()
    return repo.import_measures(frame, "essai.csv", sha, "tests", (0, 1, 0))


def publish_with_cli(repo: versions.Repository, value: float, folder: Path) -> subprocess.CompletedProcess:
    """`python -m observatoire --store ROOT import FILE`: the command DRANE staff run."""
    path = folder / f"essai-{int(value)}.csv"
    import_frame(repo, value).to_csv(path, sep=";", index=False)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "observatoire",
            "--store",
            str(repo.root),
            "import",
            str(path),
            "--auteur",
            "tests",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -------------------------------------------------------------------------------------------------- page


@cache
def kpi_label() -> str:
    """The KPI's name, from the reference catalogue (the card's metric carries it as its hidden label)."""
    with (_ui.REFERENCE / "indicateurs.csv").open(encoding="utf-8") as handle:
        return next(row["libelle"] for row in csv.DictReader(handle, delimiter=";") if row["id"] == KPI)


def kpi_value(page) -> str:  # noqa: ANN001
    """Text of the KPI card's value (the metric whose hidden label is the indicator's name)."""
    metric = page.locator('[data-testid="stMain"] [data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=kpi_label())
    )
    return metric.locator('[data-testid="stMetricValue"]').first.inner_text(timeout=TIMEOUT).strip()


def wait_kpi(page, expected: str, timeout: float = TIMEOUT) -> None:  # noqa: ANN001
    """Wait until the KPI card shows `expected` (the page may still be running)."""
    page.wait_for_function(
        """([label, expected]) => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stMetric"]'))
              .some(m => { const l = m.querySelector('[data-testid="stMetricLabel"]');
                           const v = m.querySelector('[data-testid="stMetricValue"]');
                           return l && v && l.innerText.trim() === label && v.innerText.trim() === expected; })""",
        arg=[kpi_label(), expected],
        timeout=timeout,
    )


def footer(page) -> str:  # noqa: ANN001
    return page.locator('[data-testid="stMain"]').get_by_text(FOOTER).first.inner_text(timeout=TIMEOUT)


def problems(page) -> list[str]:  # noqa: ANN001
    """Exception boxes, « erreur inattendue », any lock message, anywhere in the app (sidebar included)."""
    found = _ui.page_problems(page)
    text = page.locator('[data-testid="stApp"]').inner_text()
    for match in LOCK_WORDS.finditer(text):
        found.append(f"« {match.group(0)} » affiché : …{text[max(0, match.start() - 200) : match.end() + 200]}…")
    return found


def nav(page, server: str, path: str) -> None:  # noqa: ANN001
    """Click the sidebar link of page `path` (`/`, `/carte`…) and wait for its run to end."""
    page.locator(f'[data-testid="stSidebarNav"] a[href="{server}{path}"]').click()
    page.wait_for_url(re.compile(re.escape(server) + re.escape(path.rstrip("/")) + r"/?(\?|$)"), timeout=TIMEOUT)
    wait_idle(page, timeout=TIMEOUT)


def server_tracebacks(server: Server) -> list[str]:
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return [text[max(0, m.start() - 300) : m.start() + 2500] for m in re.finditer(r"Traceback", text)]


# ----------------------------------------------------------------------------------------------- fixtures


@dataclass
class Live:
    server: Server
    repo: versions.Repository
    folder: Path
    original: str  # KPI text of version 1
    tabs: dict = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)  # problems seen on the pages while imports published
    visits: int = 0
    seconds: float = 0.0  # how long the browsing during the publications lasted
    published: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # version shown by each page of tab 1
    cli: subprocess.CompletedProcess | None = None


@pytest.fixture(scope="module")
def live_server(chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """Its own store folder (version 1 published by `init`) and its own server on it."""
    folder = tmp_path_factory.mktemp("versions-live")
    root = folder / "var"
    repo = versions.Repository(root)
    repo.init(author="tests")
    assert _kpi(repo).libelle == kpi_label()
    # no file watcher: the code under test stays the code the server started with (an edit of the working
    # tree meanwhile would otherwise reload modules under the running sessions)
    with streamlit_server(store_dir=root, extra_args=["--server.fileWatcherType", "none"]) as server:
        yield server, repo, folder


@pytest.fixture(scope="module")
def live(live_server: tuple, browser) -> Iterator[Live]:  # noqa: ANN001
    """Tab 1 on the overview (following the current version), tab 2 pinned by `?version=1`; then imports are
    published from a thread (5 through `Repository.import_measures`, 1 through the command line) while the
    main thread keeps using both tabs: every page visited is checked for errors and lock messages."""
    server, repo, folder = live_server
    ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    ctx.set_default_timeout(TIMEOUT)
    state = Live(server, repo, folder, shown_text(repo, 1))
    try:
        tab1, tab2 = ctx.new_page(), ctx.new_page()
        state.tabs = {"courante": tab1, "figee": tab2}
        goto(tab1, server.url + "/")
        assert kpi_value(tab1) == state.original
        goto(tab2, server.url + "/?version=1")
        assert kpi_value(tab2) == state.original
        assert "figée par le lien" in footer(tab2)

        failures: list[BaseException] = []
        visited = threading.Event()  # set by the browser after each page shown: the next import may go

        def writer() -> None:
            """Each publication starts right after a page was shown, so that it runs during the next one."""
            try:
                for value in IMPORTS:
                    visited.wait(timeout=120)
                    visited.clear()
                    state.published.append(publish(repo, value).number)
                visited.wait(timeout=120)
                state.cli = publish_with_cli(repo, CLI_VALUE, folder)
            except BaseException as err:  # noqa: BLE001 - reported by the main thread
                failures.append(err)

        thread = threading.Thread(target=writer, name="imports", daemon=True)
        thread.start()
        started = time.perf_counter()
        cycle = ["/indicateurs", "/donnees", "/"]
        step = 0
        while (thread.is_alive() or step < 6) and step < 100:
            pinned = step % 3 == 2  # mostly the live tab, the pinned one too
            tab, path = (tab2 if pinned else tab1), cycle[(step // 3 if pinned else step) % len(cycle)]
            nav(tab, server.url, path)
            visited.set()
            state.visits += 1
            where = f"{path} ({'figée' if pinned else 'courante'})"
            state.seen += [f"{where} : {problem}" for problem in problems(tab)]
            number = int(re.search(r"n° (\d+)", footer(tab)).group(1))
            if pinned:
                assert number == 1 and re.search(r"[?&]version=1(&|$)", tab.url), f"{where} : {tab.url}"
                if path == "/":
                    assert kpi_value(tab) == state.original
            else:
                state.numbers.append(number)
            step += 1
        thread.join(timeout=180)
        state.seconds = time.perf_counter() - started
        assert not failures, f"échec d'une publication : {failures!r}"
        yield state
    finally:
        ctx.close()


# ------------------------------------------------------------------------------------------------- tests


def test_the_app_keeps_serving_while_imports_publish(live: Live):
    assert live.cli is not None and live.cli.returncode == 0, (
        f"import en ligne de commande : {live.cli and (live.cli.stdout + live.cli.stderr)}"
    )
    assert "Publiée : version n°" in live.cli.stdout
    current = live.repo.current()
    assert current is not None and current.number == 1 + len(IMPORTS) + 1
    assert live.published == list(range(2, 2 + len(IMPORTS)))
    print(
        f"\n{live.visits} pages affichées en {live.seconds:.1f} s pendant {len(IMPORTS) + 1} publications ; "
        "versions vues par "
        f"l'onglet courant : {live.numbers}"
    )
    assert live.visits >= len(IMPORTS) + 1
    assert live.numbers == sorted(live.numbers), "une session est revenue à une version plus ancienne"
    assert live.seen == [], "\n".join(live.seen)
    for tab in live.tabs.values():
        assert problems(tab) == []
    assert server_tracebacks(live.server) == [], server_tracebacks(live.server)[0]


def test_a_new_rerun_shows_the_last_import(live: Live):
    tab = live.tabs["courante"]
    last = live.repo.current()
    expected = shown_text(live.repo)
    assert _kpi(live.repo).valeur == CLI_VALUE  # the import changed the very row behind the card
    assert expected != live.original
    # a filter changed and back: two reruns of the same session
    moselle = f"57 — {_ui.departements()['57']}"
    nav(tab, live.server.url, "/")
    _ui.choose_in_multiselect(tab, "Département", moselle)
    tab.wait_for_url(re.compile(r"[?&]dep=57(&|$)"), timeout=TIMEOUT)
    wait_idle(tab, timeout=TIMEOUT)
    tab.locator('[data-testid="stSidebar"]').get_by_role("button", name="Réinitialiser les filtres").click()
    tab.wait_for_url(lambda url: "dep=" not in url, timeout=TIMEOUT)
    wait_idle(tab, timeout=TIMEOUT)
    wait_kpi(tab, expected)
    assert kpi_value(tab) == expected
    text = footer(tab)
    assert f"Version des données n° {last.number} " in text, text
    assert "figée" not in text and "plus récente" not in text, text
    assert "version=" not in tab.url
    assert not tab.get_by_role("button", name=UNPIN).count()
    assert problems(tab) == []


def test_the_pinned_link_keeps_version_1(live: Live):
    tab = live.tabs["figee"]
    server = live.server.url
    last = live.repo.current().number
    newer = f"une version plus récente existe (n° {last})"

    def check_pinned(where: str) -> None:
        assert re.search(r"[?&]version=1(&|$)", tab.url), f"{where} : {tab.url}"
        text = footer(tab)
        assert "Version des données n° 1 " in text and "figée par le lien" in text and newer in text, (
            f"{where} : {text}"
        )
        assert problems(tab) == [], where

    # a rerun of the pinned session: a filter changed, then reset
    nav(tab, server, "/")
    moselle = f"57 — {_ui.departements()['57']}"
    _ui.choose_in_multiselect(tab, "Département", moselle)
    tab.wait_for_url(re.compile(r"[?&]dep=57(&|$)"), timeout=TIMEOUT)
    wait_idle(tab, timeout=TIMEOUT)
    check_pinned("filtre Département")
    tab.locator('[data-testid="stSidebar"]').get_by_role("button", name="Réinitialiser les filtres").click()
    tab.wait_for_url(lambda url: "dep=" not in url, timeout=TIMEOUT)
    wait_idle(tab, timeout=TIMEOUT)
    wait_kpi(tab, live.original)
    check_pinned("filtres réinitialisés")

    # other pages keep the pin (Streamlit drops the query string on a page change: the app writes it back)
    for path in ("/indicateurs", "/donnees", "/"):
        nav(tab, server, path)
        tab.wait_for_url(re.compile(r"[?&]version=1(&|$)"), timeout=TIMEOUT)
        check_pinned(path)
    wait_kpi(tab, live.original)
    assert kpi_value(tab) == live.original

    # back to the current version
    tab.get_by_role("button", name=UNPIN).click()
    tab.wait_for_url(lambda url: "version=" not in url, timeout=TIMEOUT)
    wait_idle(tab, timeout=TIMEOUT)
    expected = shown_text(live.repo)
    wait_kpi(tab, expected)
    text = footer(tab)
    assert f"Version des données n° {last} " in text and "figée" not in text, text
    assert not tab.get_by_role("button", name=UNPIN).count()
    nav(tab, server, "/indicateurs")
    assert "version=" not in tab.url
    assert problems(tab) == []


@pytest.mark.parametrize(
    ("raw", "notice"),
    [
        ("999", "La version n° 999 n'existe pas ou n'est plus conservée"),
        ("abc", "invalide"),
    ],
)
def test_a_version_that_does_not_exist_shows_a_notice_and_the_current_version(live_server, browser, raw, notice):
    server, repo, _ = live_server
    current = repo.current().number
    ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    ctx.set_default_timeout(TIMEOUT)
    try:
        page = ctx.new_page()
        goto(page, f"{server.url}/?version={raw}")
        alert = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(has_text=notice)
        try:
            alert.first.wait_for(timeout=TIMEOUT)
        except PlaywrightTimeout:
            raise AssertionError(
                f"pas d'avertissement « {notice} » sur {page.url} :\n"
                f"{_ui.main_text(page)[:1500]}\n{server.log_tail()}"
            ) from None
        text = _ui.main_text(page)
        assert "Lien" in alert.first.inner_text()
        assert text.index(notice) < text.index("Observatoire du numérique éducatif"), "avertissement en haut"
        assert f"Version des données n° {current} " in footer(page)
        assert "figée" not in footer(page)
        assert "version=" not in page.url
        wait_kpi(page, shown_text(repo))
        assert problems(page) == []
    finally:
        ctx.close()
    assert server_tracebacks(server) == []


def test_time_for_a_session_to_show_a_new_version(live_server, browser):
    """Printed, not asserted: from `import_measures` returning to the KPI card showing the new figure, when the
    user clicks « Vue d'ensemble » (a new rerun) right after the publication."""
    server, repo, _ = live_server
    ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    ctx.set_default_timeout(TIMEOUT)
    lines = []
    try:
        page = ctx.new_page()
        goto(page, server.url + "/")
        for value in (47_101, 48_202):
            nav(page, server.url, "/indicateurs")
            start = time.perf_counter()
            version = publish(repo, value)
            published = time.perf_counter()
            nav_start = time.perf_counter()
            page.locator(f'[data-testid="stSidebarNav"] a[href="{server.url}/"]').click()
            wait_kpi(page, shown_text(repo))
            shown = time.perf_counter()
            wait_idle(page, timeout=TIMEOUT)
            assert f"Version des données n° {version.number} " in footer(page)
            # the same click with nothing published meanwhile (results cached for this version): the reference
            nav(page, server.url, "/indicateurs")
            again = time.perf_counter()
            page.locator(f'[data-testid="stSidebarNav"] a[href="{server.url}/"]').click()
            wait_kpi(page, shown_text(repo))
            same = time.perf_counter() - again
            wait_idle(page, timeout=TIMEOUT)
            lines.append(
                f"version n° {version.number} : import_measures {published - start:.2f} s ; chiffre "
                f"nouveau affiché {shown - published:.2f} s après son retour (clic → chiffre "
                f"{shown - nav_start:.2f} s ; même clic sans nouvelle version : {same:.2f} s)"
            )
            assert problems(page) == []
    finally:
        ctx.close()
    print("\n" + "\n".join(lines))
