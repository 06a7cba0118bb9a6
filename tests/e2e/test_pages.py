"""End-to-end: the dashboard in Debian's Chromium, served by `streamlit run dashboard.py` on loopback.

One server and one browser per session (conftest), a fresh context per test. No timed assertions: waits are
on real states (Streamlit's script state, drawn polygons, URL); speed is measured by `bench/run.py`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e import _ui
from tests.e2e._ui import PAGES, goto, wait_idle

LOCAL_SCHEMES = ("data:", "blob:", "about:")


def _same_origin(url: str, origin: str) -> bool:
    return url == origin or url.startswith(origin + "/") or url.startswith(LOCAL_SCHEMES)


# ------------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_without_error(page, server, screenshots_dir, name):
    goto(page, server + PAGES[name])
    assert page.url.split("?")[0].rstrip("/") == (server + PAGES[name]).rstrip("/")
    assert _ui.page_problems(page) == []
    # the sidebar navigation marks the current page
    current = page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')
    assert current.count() == 1
    assert current.get_attribute("href").rstrip("/") == (server + PAGES[name]).rstrip("/")
    if page.locator(_ui.MAP_IFRAME).count():
        _ui.wait_map_drawn(page)
    _ui.full_screenshot(page, str(screenshots_dir / f"{name}.png"))
    assert page.errors == [], f"erreurs JavaScript : {page.errors}"


def test_no_request_outside_the_app_origin(context, server):
    """Default view of every page (Carte: « Sans fond de carte »): nothing leaves the app's origin."""
    requests: list[str] = []
    sockets: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("websocket", lambda ws: sockets.append(ws.url))
    for path in PAGES.values():
        goto(page, server + path)
        if page.locator(_ui.MAP_IFRAME).count():
            _ui.wait_map_drawn(page)
        # the websocket may keep a page "busy": give late requests 5 s, the recorded list is what counts
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_load_state("networkidle", timeout=5_000)
    assert requests, "aucune requête enregistrée"
    outside = sorted({url for url in requests if not _same_origin(url, server)})
    assert outside == [], "requêtes hors de l'application :\n" + "\n".join(outside)
    ws_origin = server.replace("http://", "ws://", 1)
    assert all(url.startswith(ws_origin + "/") for url in sockets), sockets


# ------------------------------------------------------------------------------------------------- map


def test_map_draws_every_bassin_and_laboratory(page, server):
    goto(page, server + "/carte")
    state = _ui.wait_map_drawn(page)
    assert state is not None, "pas de carte Leaflet (window.map) dans l'iframe st_folium"
    assert state["bassins"] == sorted(_ui.bassins()), "polygones de bassins dessinés"
    assert state["interactive_paths"] >= len(_ui.bassins())
    expected_labs = sorted(lab["code"] for lab in _ui.laboratoires())
    assert state["labs"] == expected_labs, "marqueurs des laboratoires (positions du fichier de référence)"
    assert _ui.page_problems(page) == []


def test_clicking_a_bassin_opens_its_panel(page, server):
    goto(page, server + "/carte")
    _ui.wait_map_drawn(page)
    # a bassin whose name appears nowhere in the page before the click (so the panel is what shows it)
    before = _ui.main_text(page)
    code, name = next(((c, n) for c, n in sorted(_ui.bassins().items()) if n not in before), (None, None))
    assert code, "tous les noms de bassins sont déjà affichés : choisir un autre critère"
    _ui.click_bassin(page, code)
    page.locator('[data-testid="stMain"]').get_by_text(name).first.wait_for(timeout=30_000)
    wait_idle(page)
    assert name in _ui.main_text(page)
    assert _ui.page_problems(page) == []


# --------------------------------------------------------------------------------------- filters / URL


def test_departement_filter_changes_charts_and_url_and_the_url_restores_it(context, server):
    page = context.new_page()
    goto(page, server + "/")
    before = _ui.content_signature(page)
    moselle = f"57 — {_ui.departements()['57']}"
    _ui.choose_in_multiselect(page, "Département", moselle)
    page.wait_for_url(re.compile(r"[?&]dep=57(&|$)"))
    wait_idle(page)
    assert _ui.page_problems(page) == []
    assert _ui.eventually(lambda: _ui.multiselect_tags(page, "Département") == [moselle]), _ui.multiselect_tags(
        page, "Département"
    )
    assert _ui.eventually(lambda: _ui.content_signature(page) != before), (
        "le filtre Département n'a rien changé à la page"
    )

    # a copied link reopens the same view in a new session
    shared = page.url
    other = context.browser.new_context(viewport={"width": 1600, "height": 1000}, locale="fr-FR")
    try:
        again = other.new_page()
        goto(again, shared)
        assert _ui.eventually(lambda: _ui.multiselect_tags(again, "Département") == [moselle]), (
            _ui.multiselect_tags(again, "Département")
        )
        assert "dep=57" in again.url
        assert _ui.page_problems(again) == []
        # both pages drawn (charts are drawn after the run ends): the same content
        assert _ui.eventually(lambda: _ui.content_signature(again) == _ui.content_signature(page)), (
            "le lien copié ne rouvre pas la même vue"
        )
    finally:
        other.close()


_ACTIVE_OPTION_JS = """() => { const input = document.activeElement;
    const id = input && input.getAttribute('aria-activedescendant');
    const option = id && document.getElementById(id);
    return option ? option.innerText.trim() : null; }"""


def test_keyboard_only_navigation_and_filter(page, server):
    goto(page, server + "/")

    def tab_to(predicate_js: str, limit: int = 60) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError(f"élément jamais atteint au clavier : {predicate_js}")

    tab_to("""() => { const e = document.activeElement;
                      return e && e.tagName === 'A' && e.closest('[data-testid="stSidebarNav"]')
                             && e.getAttribute('href').endsWith('/carte'); }""")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/carte(\?|$)"))
    wait_idle(page)
    assert (
        page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]')
        .get_attribute("href")
        .endswith("/carte")
    )

    tab_to("""() => { const e = document.activeElement;
                      return e && e.getAttribute('role') === 'combobox' && e.getAttribute('aria-label') === 'Département'; }""")
    moselle = f"57 — {_ui.departements()['57']}"
    page.keyboard.type(_ui.departements()["57"])
    page.get_by_role("option", name=moselle).wait_for()
    # the list is filtered once only the matching départements are offered (a busy machine may redraw it after
    # the first keystrokes: arrows pressed before that would walk the unfiltered list)
    page.wait_for_function("""() => [...document.querySelectorAll('[role="option"]')]
                              .every(o => o.textContent.includes('Moselle'))""")
    # Streamlit highlights « Select N matches » first (typing "Moselle" also matches Meurthe-et-Moselle):
    # arrow down to the option itself, as a keyboard user does, then Enter.
    for _ in range(12):
        if page.evaluate(_ACTIVE_OPTION_JS) == moselle:
            break
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(80)  # let the highlight follow, as it does for a person
    assert page.evaluate(_ACTIVE_OPTION_JS) == moselle
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"[?&]dep=57(&|$)"))
    wait_idle(page)
    assert _ui.multiselect_tags(page, "Département") == [f"57 — {_ui.departements()['57']}"]
    assert _ui.page_problems(page) == []


# --------------------------------------------------------------------------------------------- downloads


def _open_data_expander(page, server):  # noqa: ANN001, ANN202
    """First « Données : … » expander of the first page that has one (indicateurs first), opened."""
    for path in ("/indicateurs", "/", "/carte", "/laboratoires", "/donnees"):
        goto(page, server + path)
        expander = (
            page.locator('[data-testid="stExpander"]')
            .filter(has=page.locator("summary", has_text="Données :"))
            .first
        )
        if expander.count():
            expander.locator("summary").click()
            expander.get_by_role("button", name="Télécharger (CSV)").wait_for()
            wait_idle(page)
            return expander
    raise AssertionError("aucun tableau « Données : … » avec téléchargements sur les pages")


def _download(page, button):  # noqa: ANN001, ANN202
    """Click a download button and return the download. The file is generated on the server when clicked
    (deferred data): a click that lands while the app is still busy may be lost, so it is retried (bounded)."""
    for attempt in range(3):
        try:
            with page.expect_download(timeout=20_000) as info:
                button.click()
            return info.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")


def test_csv_and_excel_downloads_open(page, server, tmp_path):
    expander = _open_data_expander(page, server)
    title = expander.locator("summary").inner_text().strip()

    download = _download(page, expander.get_by_role("button", name="Télécharger (CSV)"))
    csv_path = tmp_path / (download.suggested_filename or "donnees.csv")
    download.save_as(csv_path)
    raw = csv_path.read_bytes()
    assert csv_path.suffix == ".csv"
    assert raw.startswith(b"\xef\xbb\xbf# "), "CSV sans BOM UTF-8 (Excel français) ni bloc « À propos »"
    block, table = raw.decode("utf-8-sig").split("\n\n", 1)  # `#` lines, one empty line, then the table
    about = {row[0]: row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}
    assert {"# Contenu", "# Filtres", "# Version des données", "# Exporté le"} <= set(about), about
    rows = list(csv.reader(io.StringIO(table), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(header) >= 2 and all(header), f"en-tête CSV : {header}"
    assert body, f"CSV vide pour « {title} »"
    assert all(len(row) == len(header) for row in body)

    download = _download(page, expander.get_by_role("button", name="Télécharger (Excel)"))
    xlsx_path = tmp_path / (download.suggested_filename or "donnees.xlsx")
    download.save_as(xlsx_path)
    assert xlsx_path.suffix == ".xlsx"
    book = openpyxl.load_workbook(xlsx_path, read_only=True)
    assert book.sheetnames[1:] == ["À propos"], book.sheetnames
    sheet = book.worksheets[0]
    cells = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert [str(v) for v in cells[0]] == header, "mêmes colonnes en CSV et en Excel"
    assert len(cells) - 1 == len(body), "mêmes lignes en CSV et en Excel"
    # same values: numbers written with a decimal comma in the CSV, as numbers in Excel
    for csv_row, xl_row in zip(body, cells[1:]):
        for text, value in zip(csv_row, xl_row):
            expected = str(value)
            if isinstance(value, float):
                expected = (str(int(value)) if value.is_integer() else repr(value)).replace(".", ",")
            assert text == expected, (csv_row, xl_row)
    assert _ui.page_problems(page) == []
