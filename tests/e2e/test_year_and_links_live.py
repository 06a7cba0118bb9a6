"""A new school year reaches every open session, and a copied link reopens the exact view (issue 18, points 1
and 5), in Chromium on a server of its own.

- Two sessions are opened BEFORE an import publishes GAR and PIX 2024-2025: one that only changed a filter and
  the page, one whose user chose « Jusqu'à 2022-2023 ». At its next action the first shows 2024-2025 (sidebar,
  key figures, footer, the Indicateurs ranking year) and its URL never gains `a=` nor `annee=` — every URL the
  page set is recorded by a hook on `history.pushState/replaceState`. The second keeps 2022-2023 and gets the
  French notice; « Afficher 2024-2025 » switches it.
- The Indicateurs tab « Évolution en % » and the Laboratoires tab « Tableau » are in the URL; the copied URL,
  opened in a new tab, shows the same tab.
- Pictures at 1280×720 (the projector) in artifacts/screenshots/.

Expected figures come from the store (`queries.kpis` on the current version), never from what the app printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench._server import goto, streamlit_server, wait_idle
from observatoire import queries, versions
from observatoire.figures import cards
from observatoire.filters import Filters
from tests.e2e import _ui
from tests.e2e.conftest import SCREENSHOTS
from tests.publishing import NEW_YEAR, publish_new_year

PROJECTOR = {"width": 1280, "height": 720}
TIMEOUT = 60_000
LATEST = "2023-2024"
KPI = "gar_connexions"  # one of the sources published first for the new year

# every URL the app sets (Streamlit writes the query string with the History API)
RECORD_URLS = """(() => {
  window.__urls = [location.href];
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name].bind(history);
    history[name] = (state, title, url) => {
      const result = original(state, title, url);
      window.__urls.push(location.href);
      return result;
    };
  }
})();"""


@pytest.fixture(scope="module")
def year_server(chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """Its own store (version 1 = the demo data, last school year 2023-2024) and its own server on it."""
    root = tmp_path_factory.mktemp("year-live") / "var"
    repo = versions.Repository(root)
    repo.init(author="tests")
    with streamlit_server(store_dir=root, extra_args=["--server.fileWatcherType", "none"]) as server:
        yield server, repo


@pytest.fixture()
def ctx(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport=PROJECTOR, locale="fr-FR", service_workers="block")
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(RECORD_URLS)
    try:
        yield context
    finally:
        context.close()


def _nav(page, server: str, path: str) -> None:  # noqa: ANN001
    page.bring_to_front()  # several tabs of one browser: the one the user acts in is in front
    page.locator(f'[data-testid="stSidebarNav"] a[href="{server}{path}"]').click()
    page.wait_for_url(re.compile(re.escape(server) + re.escape(path.rstrip("/")) + r"/?(\?|$)"), timeout=TIMEOUT)
    wait_idle(page, timeout=TIMEOUT)


def _combobox(page, label: str, sidebar: bool = True):  # noqa: ANN001, ANN201
    area = page.locator('[data-testid="stSidebar"]' if sidebar else '[data-testid="stMain"]')
    return area.get_by_role("combobox", name=label, exact=True).first


def _selected(page, label: str, sidebar: bool = True) -> str:  # noqa: ANN001
    """The value a selectbox shows (the value of its combobox input)."""
    box = _combobox(page, label, sidebar)
    box.wait_for(timeout=TIMEOUT)
    return box.input_value().strip()


def _choose(page, label: str, option: str, sidebar: bool = True) -> None:  # noqa: ANN001
    page.bring_to_front()
    box = _combobox(page, label, sidebar)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # the list opens on a click of the input (a click during a rerun may be lost)
        box.click()
        try:
            choice.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page, timeout=TIMEOUT)
    choice.click()
    wait_idle(page, timeout=TIMEOUT)


def _params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _urls(page) -> list[str]:  # noqa: ANN001
    return page.evaluate("() => window.__urls || []")


def _metrics(page) -> dict[str, str]:  # noqa: ANN001
    """Label → value of the key-figure cards of the main area."""
    return page.evaluate("""() => Object.fromEntries(Array.from(document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stMetric"]')).map(m => [
          (m.querySelector('[data-testid="stMetricLabel"]') || {textContent: ""}).textContent.trim(),
          (m.querySelector('[data-testid="stMetricValue"]') || {textContent: ""}).textContent.trim()]))""")


def _expected_kpi(repo: versions.Repository, filters: Filters) -> queries.Kpi:
    with repo.connect() as con:
        return next(k for k in queries.kpis(con, filters) if k.indicateur == KPI)


def test_a_session_opened_before_the_import_sees_the_new_year(year_server, ctx):  # noqa: ANN001
    server, repo = year_server
    url = server.url
    follower, chooser = ctx.new_page(), ctx.new_page()

    # --- before the import: one session changes a filter and the page, the other chooses « Jusqu'à »
    goto(follower, url + "/")
    _ui.choose_in_multiselect(follower, "Département", f"57 — {_ui.departements()['57']}")
    follower.wait_for_url(re.compile(r"[?&]dep=57(&|$)"), timeout=TIMEOUT)
    wait_idle(follower, timeout=TIMEOUT)
    _nav(follower, url, "/carte")
    assert _selected(follower, "Jusqu'à") == LATEST
    assert "a" not in _params(follower.url) and "annee" not in _params(follower.url)

    goto(chooser, url + "/")
    _choose(chooser, "Jusqu'à", "2022-2023")
    chooser.wait_for_url(re.compile(r"[?&]a=2022-2023(&|$)"), timeout=TIMEOUT)

    # --- GAR and PIX 2024-2025 published (version n° 2) while both pages stay open
    version = publish_new_year(repo)
    assert version.number == 2

    # --- the follower's next action: the overview of the new year
    _nav(follower, url, "/")
    assert _selected(follower, "Jusqu'à") == NEW_YEAR
    expected = _expected_kpi(repo, Filters(departements=("57",)))
    assert expected.annee == NEW_YEAR
    cards_shown = _metrics(follower)
    assert cards_shown.get(expected.libelle) == cards.kpi_value_text(expected), cards_shown
    assert "Version des données n° 2 " in _ui.main_text(follower)
    assert "sont publiées" not in _ui.main_text(follower)  # nothing chosen: nothing to offer
    follower.screenshot(path=str(SCREENSHOTS / "annee-nouvelle-session-ouverte-1280.png"))
    # another page: its year selectors follow too
    _nav(follower, url, "/indicateurs")
    follower.get_by_role("tab", name="Classement des bassins").click()
    wait_idle(follower, timeout=TIMEOUT)
    assert _selected(follower, "Année scolaire", sidebar=False) == NEW_YEAR
    urls = _urls(follower)
    assert urls and all("dep=57" in u or "dep" not in u for u in urls)
    gained = [u for u in urls if {"a", "annee", "de", "a_annee", "de_annee"} & set(_params(u))]
    assert gained == [], f"une valeur par défaut est entrée dans l'URL : {gained}"

    # --- the chooser's next action: its year stays, the notice offers the new one
    _nav(chooser, url, "/")
    assert _selected(chooser, "Jusqu'à") == "2022-2023"
    assert _params(chooser.url)["a"] == ["2022-2023"]
    notice = chooser.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(has_text="sont publiées")
    notice.first.wait_for(timeout=TIMEOUT)
    assert NEW_YEAR in notice.first.inner_text() and "« Jusqu'à » : 2022-2023" in notice.first.inner_text()
    text = _ui.main_text(chooser)
    assert text.index("sont publiées") < text.index("Observatoire du numérique éducatif"), "en haut de page"
    chooser.screenshot(path=str(SCREENSHOTS / "annee-nouvelle-avis-1280.png"))
    chooser.get_by_role("button", name=f"Afficher {NEW_YEAR}").click()
    chooser.wait_for_url(lambda u: "a" not in _params(u), timeout=TIMEOUT)
    wait_idle(chooser, timeout=TIMEOUT)
    assert _selected(chooser, "Jusqu'à") == NEW_YEAR
    assert "sont publiées" not in _ui.main_text(chooser)
    for page in (follower, chooser):
        assert _ui.page_problems(page) == []


def test_a_copied_link_reopens_the_active_tab(year_server, ctx):  # noqa: ANN001
    server, _ = year_server
    page = ctx.new_page()
    goto(page, server.url + "/indicateurs?dep=57")
    page.get_by_role("tab", name="Évolution en %").click()
    page.wait_for_url(re.compile(r"[?&]onglet=evolution-pct(&|$)"), timeout=TIMEOUT)
    wait_idle(page, timeout=TIMEOUT)
    copied = page.url
    assert _params(copied) == {"dep": ["57"], "onglet": ["evolution-pct"]}

    reopened = ctx.new_page()
    goto(reopened, copied)
    tab = reopened.get_by_role("tab", name="Évolution en %")
    assert tab.get_attribute("aria-selected") == "true"
    assert reopened.get_by_role("tab", name="Évolution", exact=True).get_attribute("aria-selected") == "false"
    # the open panel is the one with the « De » / « À » years (hidden panels are not visible)
    reopened.get_by_role("combobox", name="De", exact=True).wait_for(state="visible", timeout=TIMEOUT)
    assert _params(reopened.url) == _params(copied)
    reopened.screenshot(path=str(SCREENSHOTS / "lien-onglet-evolution-pct-1280.png"))

    # Laboratoires « Tableau »
    goto(page, server.url + "/laboratoires")
    page.get_by_role("tab", name=re.compile("Tableau")).click()
    page.wait_for_url(re.compile(r"[?&]vue=tableau(&|$)"), timeout=TIMEOUT)
    wait_idle(page, timeout=TIMEOUT)
    again = ctx.new_page()
    goto(again, page.url)
    assert again.get_by_role("tab", name=re.compile("Tableau")).get_attribute("aria-selected") == "true"
    again.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first.wait_for(
        state="visible", timeout=TIMEOUT
    )
    again.screenshot(path=str(SCREENSHOTS / "lien-onglet-tableau-1280.png"))
    for shown in (page, reopened, again):
        assert _ui.page_problems(shown) == []


def test_the_lab_fiche_says_what_its_figures_are_for(year_server, ctx):  # noqa: ANN001
    server, _ = year_server
    page = ctx.new_page()
    goto(
        page,
        server.url + "/laboratoires?dep=57&theme=programmation_ia&niveau=college&public=eleves&labo=lab-forbach",
    )
    caption = page.get_by_text(
        "Chiffres de ce laboratoire pour : Programmation et intelligence artificielle, Collège"
    )
    caption.first.scroll_into_view_if_needed()
    assert caption.first.is_visible()
    assert page.get_by_text("Filtre public non appliqué").first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "fiche-labo-filtres-1280.png"))
    assert _ui.page_problems(page) == []


def test_a_link_with_an_older_year_offers_the_newer_one_on_a_phone(year_server, browser):  # noqa: ANN001
    """After the import (test above): a link that stops at 2022-2023 keeps it, and the notice — its text and
    both buttons — fits a phone's width."""
    server, repo = year_server
    if NEW_YEAR not in _years(repo):
        publish_new_year(repo)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        service_workers="block",
    )
    phone.set_default_timeout(TIMEOUT)
    try:
        page = phone.new_page()
        goto(page, server.url + "/?a=2022-2023")
        # on a phone the sidebar is closed on arrival (issue 20; components/phone.py, tests/e2e/test_phone.py): the
        # notice is on the page itself once the sidebar has closed (a state waited for, never a time)
        page.wait_for_function(
            "() => document.getElementById('stSidebar')?.getAttribute('data-collapsed') === 'true'",
            timeout=TIMEOUT,
        )
        notice = page.locator(".st-key-newer_year_notice")
        notice.wait_for(timeout=TIMEOUT)
        assert NEW_YEAR in notice.inner_text() and "« Jusqu'à » : 2022-2023" in notice.inner_text()
        for name in (f"Afficher {NEW_YEAR}", "Garder mon choix"):
            box = notice.get_by_role("button", name=name).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        page.screenshot(path=str(SCREENSHOTS / "annee-nouvelle-avis-390.png"))
        notice.get_by_role("button", name="Garder mon choix").click()
        wait_idle(page, timeout=TIMEOUT)
        assert not page.locator(".st-key-newer_year_notice").count()
        assert _params(page.url)["a"] == ["2022-2023"]
        assert _ui.page_problems(page) == []
    finally:
        phone.close()


def _years(repo: versions.Repository) -> list[str]:
    with repo.connect() as con:
        return queries.school_years(con)
