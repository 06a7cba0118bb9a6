"""French everywhere, in Chromium: no English text of Streamlit's chrome or of Plotly's toolbar is left on any
page, in the states where it shows up (main menu open, multiselect dropdown open, dataframe toolbar and
tooltip, Plotly modebar and tooltip, « page not found » dialog), and the bad-URL notices are at the top of the
main area. Checks what the browser shows: every aria-label, title, placeholder, data-title and visible text
node of the main document (the folium map iframe is the map page's own document, not looked at here).

The deny-list is written here (the strings of the issue and the ones found by probing the app), and
completed by the English keys of the two dictionaries the app uses (components/french_ui.json and Plotly's
vendored fr.json) whose French differs — so a string added to a dictionary is checked too.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e._ui import PAGES, ROOT, page_problems, sidebar_combobox, wait_idle
from tests.e2e._ui import goto as _goto

SMALL = {"width": 1280, "height": 720}
LARGE = {"width": 1600, "height": 1000}

DENY = {
    # Streamlit chrome
    "Select all",
    "Page not found",
    "Stop",
    "Stopping...",
    "Running...",
    "Rerun",
    "Made with Streamlit",
    "Collapse sidebar",
    "Expand sidebar",
    "Main menu",
    "Open",
    "About",
    "Close",
    "Sidebar",
    "App pages",
    "Skip to main content",
    "Clear all",
    "Clear value",
    "Selected values",
    "No results",
    "Help",
    "Link to heading",
    "Choose an option",
    "Copy",
    "Dismiss",
    "Vega visualization",
    "Print",
    "Theme",
    "The page that you have requested does not seem to exist. Running the app's main page.",
    # dataframe toolbar and column menu
    "Show/hide columns",
    "Download as CSV",
    "Search",
    "Fullscreen",
    "Close fullscreen",
    "Type to search",
    "Sort ascending",
    "Sort descending",
    "Autosize",
    "Pin column",
    "Hide column",
    "Dataframe column menu",
    # Plotly modebar
    "Download plot as a PNG",
    "Download plot",
    "Pan",
    "Reset axes",
    "Autoscale",
    "Zoom in",
    "Zoom out",
    "Box Select",
    "Lasso Select",
    "Reset view",
    "Produced with Plotly.js",
}
DENY_PATTERNS = [
    re.compile(r"^Made with Streamlit"),
    re.compile(r"^Select \d+ matches$"),
    re.compile(r"^Remove "),
    re.compile(r"^Help for "),
    re.compile(r"^[a-z0-9_]+ icon$"),
    re.compile(r"Running the app's main page"),
    re.compile(r"^Produced with Plotly"),
]


def _dictionary_keys() -> set[str]:
    ours = json.loads((ROOT / "components" / "french_ui.json").read_text(encoding="utf-8"))["exact"]
    plotly = json.loads(
        (ROOT / "static" / "vendor" / "plotly.js-locales-3.7.0" / "fr.json").read_text(encoding="utf-8")
    )["dictionary"]
    return {k for d in (ours, plotly) for k, v in d.items() if k != v}


DENIED = DENY | _dictionary_keys()
PLOTLY_FR = json.loads(
    (ROOT / "static" / "vendor" / "plotly.js-locales-3.7.0" / "fr.json").read_text(encoding="utf-8")
)["dictionary"]

# every attribute value and every visible text node of the main document (Material icon ligatures such as
# « keyboard_double_arrow_left » are glyphs, not text; <noscript>, <style>, <script> are not shown)
_COLLECT = """() => {
  const out = [];
  for (const el of document.querySelectorAll('[aria-label],[title],[placeholder],[data-title]'))
    for (const a of ['aria-label', 'title', 'placeholder', 'data-title']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push([a, v.trim()]);
    }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.trim(), p = n.parentElement;
    if (!t || !p || p.closest('noscript, style, script, [data-testid="stIconMaterial"]')) continue;
    if (!p.checkVisibility()) continue;
    out.push(['text', t]);
  }
  return out;
}"""


def goto(page, url: str) -> None:  # noqa: ANN001
    """Open `url` and wait for the translation script to be installed (it runs once its element is drawn)."""
    _goto(page, url)
    page.wait_for_function("() => window.__observatoireFrench !== undefined", timeout=15_000)
    page.wait_for_timeout(100)


def shown(page) -> set[str]:  # noqa: ANN001
    return {value for _, value in page.evaluate(_COLLECT)}


def english_left(page) -> list[str]:  # noqa: ANN001
    found = []
    for kind, value in page.evaluate(_COLLECT):
        if value in DENIED or any(p.search(value) for p in DENY_PATTERNS):
            found.append(f"{kind}: {value}")
    return sorted(set(found))


def _open_main_menu(page) -> None:  # noqa: ANN001
    page.locator('[data-testid="stMainMenu"] button').first.click()
    page.wait_for_selector('[data-testid="stMainMenuList"]', state="visible", timeout=10_000)


def _states(page) -> dict[str, list[str]]:  # noqa: ANN001
    """English left in each state of the current page."""
    states = {"chargée": english_left(page)}
    _open_main_menu(page)
    states["menu principal ouvert"] = english_left(page)
    assert {"Menu principal", "À propos"} <= shown(page)  # the state was reached, and is French
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)

    sidebar_combobox(page, "Département").click()
    page.wait_for_selector('[role="listbox"]', state="visible", timeout=10_000)
    states["liste déroulante ouverte"] = english_left(page)
    options = page.get_by_role("listbox").inner_text()
    assert "Moselle" in options and "Tout sélectionner" not in options  # select_all=False
    page.keyboard.press("Escape")
    page.wait_for_timeout(200)

    frames = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    if frames.count():
        visible = [frames.nth(i) for i in range(frames.count()) if frames.nth(i).is_visible()]
        if visible:
            frame = visible[0]
        else:  # tables in a closed expander (« Données : … »): open the first one
            expander = (
                page.locator('[data-testid="stMain"] [data-testid="stExpander"]')
                .filter(has=page.locator('[data-testid="stDataFrame"]'))
                .first
            )
            expander.locator("summary").first.click()
            frame = expander.locator('[data-testid="stDataFrame"]').first
            frame.wait_for(state="visible", timeout=10_000)
        wait_idle(page)
        frame.evaluate("e => e.scrollIntoView({block: 'center'})")  # toolbar clear of the app header
        page.wait_for_timeout(200)
        frame.hover(force=True)  # a mouse move over the table: shows its toolbar
        toolbar = frame.locator('xpath=ancestor::*[@data-testid="stFullScreenFrame"][1]').locator(
            '[data-testid="stElementToolbar"] button'
        )
        toolbar.first.wait_for(state="visible", timeout=10_000)
        for i in range(toolbar.count()):
            toolbar.nth(i).hover()
            page.wait_for_timeout(400)  # tooltip
            states[f"barre d'outils du tableau, bouton {i + 1}"] = english_left(page)
        assert {"Télécharger en CSV", "Rechercher", "Plein écran"} <= shown(page)

    plots = page.locator('[data-testid="stMain"] .js-plotly-plot')
    if plots.count():
        plot = plots.first
        wait_idle(page)
        plot.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(200)
        plot.hover(force=True)
        buttons = plot.locator(".modebar-btn")
        buttons.first.wait_for(state="visible", timeout=10_000)
        for i in range(buttons.count()):
            buttons.nth(i).hover()
            page.wait_for_timeout(150)
        states["barre d'outils Plotly"] = english_left(page)
        assert PLOTLY_FR["Reset axes"] in shown(page)  # Plotly's French locale (no camera: the page's PNG button)
    return states


@pytest.mark.parametrize("name", list(PAGES))
def test_no_english_left_on_any_page(page, server, name):
    page.set_viewport_size(SMALL)
    goto(page, server + PAGES[name])
    assert not page_problems(page)
    assert page.evaluate("document.documentElement.lang") == "fr"
    states = _states(page)
    left = {state: found for state, found in states.items() if found}
    assert not left, f"{name} : texte anglais restant {left}"
    assert not page.errors


def test_unknown_path_dialog_is_french(page, server, screenshots_dir):
    for viewport, suffix in ((SMALL, "1280x720"), (LARGE, "1600x1000")):
        page.set_viewport_size(viewport)
        goto(page, server + "/nexistepas")
        dialog = page.get_by_role("dialog")
        dialog.wait_for(state="visible", timeout=15_000)
        page.wait_for_timeout(300)
        text = dialog.inner_text()
        assert "Page introuvable" in text and "n'existe pas" in text, text
        assert not english_left(page)
        page.screenshot(path=str(screenshots_dir / f"french-page-introuvable-{suffix}.png"))


def test_menu_open_screenshots(page, server, screenshots_dir):
    for viewport, suffix in ((SMALL, "1280x720"), (LARGE, "1600x1000")):
        page.set_viewport_size(viewport)
        goto(page, server + "/indicateurs")
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=20_000)
        _open_main_menu(page)
        menu = page.locator('[data-testid="stMainMenuList"]').inner_text()
        assert "À propos" in menu, menu
        assert not english_left(page)
        page.screenshot(path=str(screenshots_dir / f"french-menu-{suffix}.png"))
    page.locator('[data-testid="stMainMenuList"]').get_by_text("À propos").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible", timeout=10_000)
    assert "DRANE" in dialog.inner_text()
    assert not english_left(page)
    page.screenshot(path=str(screenshots_dir / "french-a-propos-1600x1000.png"))


def test_later_chrome_is_translated_and_app_content_never(page, server):
    """Nodes added after the load (status widget, tooltips…) are translated by the observer; the same
    English words inside the app's Markdown are left alone."""
    goto(page, server + "/")
    result = page.evaluate("""async () => {
      const chrome = document.createElement('div');
      chrome.innerHTML = '<button aria-label="Stop" title="Stop">Stop</button><span>Running...</span>'
        + '<span> Made with Streamlit v1.67.0 </span>';
      document.body.appendChild(chrome);
      const md = document.createElement('div');
      md.setAttribute('data-testid', 'stMarkdownContainer');
      md.textContent = 'Stop';
      document.querySelector('[data-testid="stMain"]').appendChild(md);
      await new Promise(r => setTimeout(r, 50));
      const out = {button: chrome.querySelector('button').getAttribute('aria-label'),
                   title: chrome.querySelector('button').title, text: chrome.textContent, markdown: md.textContent};
      chrome.remove(); md.remove();
      return out;
    }""")
    assert result == {
        "button": "Arrêter",
        "title": "Arrêter",
        "text": "ArrêterExécution en cours… Réalisé avec Streamlit v1.67.0 ",
        "markdown": "Stop",
    }


def test_translation_cost_of_a_rerun(page, server):
    """Time spent by the observer during a rerun (a filter change): printed, not asserted (bench style)."""
    goto(page, server + "/indicateurs")
    before = page.evaluate("() => ({...window.__observatoireFrench.stats})")
    sidebar_combobox(page, "Département").click()
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    wait_idle(page)
    after = page.evaluate("() => ({...window.__observatoireFrench.stats})")
    calls, ms = after["calls"] - before["calls"], after["ms"] - before["ms"]
    print(
        f"\nobservateur pendant un changement de filtre : {calls} appels, {ms:.1f} ms "
        f"({after['translated'] - before['translated']} chaînes traduites) ; au chargement : "
        f"{before['calls']} appels, {before['ms']:.1f} ms"
    )
    assert calls > 0  # the observer is alive after a rerun


def test_bad_url_notices_at_the_top_of_the_main_area(page, server, screenshots_dir):
    page.set_viewport_size(SMALL)
    goto(page, server + "/?dep=zz")
    main = page.locator('[data-testid="stMain"]')
    notice = main.locator('[data-testid="stAlert"]').filter(has_text="zz")
    notice.first.wait_for(state="visible", timeout=15_000)
    assert not page.locator('[data-testid="stSidebar"] [data-testid="stAlert"]').count()
    title = main.locator("h1").first
    assert notice.first.bounding_box()["y"] < title.bounding_box()["y"]
    assert "`" not in notice.first.inner_text()  # the value is quoted as inline code, not raw Markdown
    assert main.locator('[data-testid="stAlert"] code').filter(has_text="zz").count() == 1
    page.screenshot(path=str(screenshots_dir / "french-avertissement-lien-1280x720.png"))
    # dismissable: gone after « Masquer », and stays gone on another page
    page.get_by_role("button", name="Masquer cet avertissement").click()
    wait_idle(page)
    assert not main.locator('[data-testid="stAlert"]').filter(has_text="zz").count()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Carte").click()
    wait_idle(page)
    assert not main.locator('[data-testid="stAlert"]').filter(has_text="zz").count()
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert not page.errors  # the translation script, run again after a page switch, raises nothing


def test_map_controls_are_french(page, server):
    """The folium map is a document of its own (out of reach of the page's translation script): its controls
    are titled in French by the map itself (observatoire.figures.foliummap._MapStyle, Fullscreen options)."""
    from tests.e2e._ui import map_frame, wait_map_drawn

    goto(page, server + "/carte")
    wait_map_drawn(page)
    frame = map_frame(page)
    titles = frame.evaluate("""() => Array.from(document.querySelectorAll(
        '.leaflet-control [title], .leaflet-control [aria-label]'))
        .map(e => [e.getAttribute('title'), e.getAttribute('aria-label')])""")
    shown = {t for pair in titles for t in pair if t}
    assert {"Zoom avant", "Zoom arrière", "Plein écran"} <= shown, shown
    assert not shown & DENIED, shown & DENIED
    scales = frame.evaluate("""() => Array.from(document.querySelectorAll('.leaflet-control-scale-line'))
        .filter(e => e.checkVisibility()).map(e => e.textContent.trim())""")
    assert scales and all(re.fullmatch(r"\d+ k?m", s) for s in scales), scales  # metric only, no miles
