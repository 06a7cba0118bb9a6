"""Carte on a 1280×720 screen (a projector, a laptop) and on 1600×1000: no selector cut, the map on the first
screen (its top at most 210 px down, the title in the header's band and clear of its menu), the légendes never
over a bassin, the full-screen button fits the académie again on entering and on leaving full screen.
Screenshots: artifacts/screenshots/carte-1280.png, carte-1280-plein-ecran.png, carte-1600.png.

Every rectangle is measured in the browser: the académie is the bounding box of the bassins' SVG paths inside
the map's own document (the st_folium iframe), the légendes are the `.carte-legende` boxes of that document.
"""

from __future__ import annotations

import pytest

from tests.e2e._ui import MAP_IFRAME, goto, wait_map_drawn

SMALL = {"width": 1280, "height": 720}
LARGE = {"width": 1600, "height": 1000}
MAP_TOP_MAX = 210  # px from the top of the screen to the top of the map (the title and two rows of selectors)

# the value shown by each selectbox of the main area (Streamlit 1.67: a react-aria combobox <input>) and
# whether its text is wider than its box
_SELECT_VALUES_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stSelectbox"] input[role="combobox"]'))
    .map(i => ({label: i.getAttribute('aria-label'), value: i.value, scroll: i.scrollWidth,
                client: i.clientWidth}))"""

# inside the map document: the académie (union of the bassins' paths), the légendes, the map, full screen or not
_MAP_GEOMETRY_JS = """() => {
  const rect = b => ({left: b.left, top: b.top, right: b.right, bottom: b.bottom,
                      width: b.width, height: b.height});
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  const paths = Array.from(document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive'));
  paths.forEach(p => {
    const b = p.getBoundingClientRect();
    left = Math.min(left, b.left); top = Math.min(top, b.top);
    right = Math.max(right, b.right); bottom = Math.max(bottom, b.bottom);
  });
  const container = window.map.getContainer();
  return {
    paths: paths.length,
    academie: {left, top, right, bottom, width: right - left, height: bottom - top},
    bassins: paths.map(p => rect(p.getBoundingClientRect())),
    legends: Array.from(document.querySelectorAll('.carte-legende'))
      .filter(e => e.checkVisibility()).map(e => rect(e.getBoundingClientRect())),
    map: rect(container.getBoundingClientRect()),
    screen: {width: window.innerWidth, height: window.innerHeight},
    fullscreen: document.fullscreenElement !== null || container.classList.contains('leaflet-pseudo-fullscreen'),
    zoom: window.map.getZoom(),
  };
}"""


def _overlap(a: dict, b: dict) -> float:
    """Area (px²) shared by two rectangles."""
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0) * max(height, 0)


def _open(page, server: str, viewport: dict):  # noqa: ANN001, ANN202
    page.set_viewport_size(viewport)
    goto(page, server + "/carte")
    wait_map_drawn(page)
    frame = page.query_selector(MAP_IFRAME).content_frame()
    # the map fits the académie beside the légendes once they have their size: wait for a settled view
    frame.wait_for_function("() => window.map && !window.map._animatingZoom")
    page.wait_for_timeout(500)
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    return frame


def _assert_no_selector_cut(page) -> list[dict]:  # noqa: ANN001
    shown = page.evaluate(_SELECT_VALUES_JS)
    labels = {s["label"] for s in shown}
    assert {
        "Indicateur",
        "Année scolaire",
        "Classes",
        "Nombre de classes",
        "Fond de carte",
        "Bassin sélectionné",
    } <= labels, labels
    cut = [s for s in shown if s["scroll"] > s["client"]]
    assert not cut, f"texte coupé dans : {cut}"
    return shown


def _assert_title_clear(page) -> None:  # noqa: ANN001
    """The title, drawn in the band of Streamlit's (transparent) header, is whole on the screen and clear of the
    header's main menu, and the header lets a click on the page through (only its buttons take clicks)."""
    title = page.query_selector('[data-testid="stMain"] h1').bounding_box()
    menu = page.query_selector('[data-testid="stMainMenu"]').bounding_box()
    assert title["y"] >= 0 and title["x"] + title["width"] <= menu["x"], (title, menu)
    hit = page.evaluate(
        """([x, y]) => {
        const element = document.elementFromPoint(x, y);
        return element.closest('[data-testid="stHeader"]') === null ? "" : element.outerHTML.slice(0, 200);
    }""",
        [title["x"] + 10, title["y"] + title["height"] / 2],
    )
    assert not hit, f"le bandeau de l'en-tête intercepte les clics sur le titre : {hit}"
    # … but its main menu still opens
    assert page.evaluate(
        """([x, y]) => document.elementFromPoint(x, y).closest('[data-testid="stMainMenu"]')
        !== null""",
        [menu["x"] + menu["width"] / 2, menu["y"] + menu["height"] / 2],
    )


def _assert_legends_clear(geometry: dict) -> None:
    assert geometry["paths"] >= 17 and geometry["legends"], geometry
    for legend in geometry["legends"]:
        assert _overlap(legend, geometry["academie"]) == 0, (legend, geometry["academie"])
        assert not [b for b in geometry["bassins"] if _overlap(legend, b) > 0]
    inside = geometry["map"]
    academie = geometry["academie"]
    assert inside["left"] <= academie["left"] and academie["right"] <= inside["right"], geometry
    assert inside["top"] <= academie["top"] and academie["bottom"] <= inside["bottom"], geometry


def test_the_check_of_cut_text_sees_a_cut_text(page, server):
    """The measure used below is not blind: the same selectbox squeezed to 90 px is reported cut."""
    _open(page, server, SMALL)
    squeezed = page.evaluate("""() => {
        const input = document.querySelector('[data-testid="stMain"] [data-testid="stSelectbox"] input');
        input.style.flex = 'none'; input.style.width = '90px'; input.style.minWidth = '0';
        const cut = input.scrollWidth > input.clientWidth;
        input.style.flex = ''; input.style.width = ''; input.style.minWidth = '';
        return cut;
    }""")
    assert squeezed is True


def test_carte_at_1280x720(page, server, screenshots_dir):
    frame = _open(page, server, SMALL)
    shown = _assert_no_selector_cut(page)
    assert {s["value"] for s in shown} >= {"Sans fond de carte", "Quantiles"}

    # the map high on the first screen (its top was 282 px down before the title moved into the header's band),
    # the whole académie visible without scrolling
    box = page.query_selector(MAP_IFRAME).bounding_box()
    assert box["y"] <= MAP_TOP_MAX, box
    _assert_title_clear(page)
    geometry = frame.evaluate(_MAP_GEOMETRY_JS)
    academie = geometry["academie"]
    assert box["y"] + academie["bottom"] <= SMALL["height"], (box, academie)
    assert academie["width"] >= 280, academie  # was ≈ 270 px, half of it under the légendes
    _assert_legends_clear(geometry)
    page.screenshot(path=str(screenshots_dir / "carte-1280.png"))

    # full screen: the map fills the screen and the académie is fitted again, beside the légendes
    frame.click("a.leaflet-control-zoom-fullscreen")
    frame.wait_for_function("() => document.fullscreenElement !== null")
    frame.wait_for_function("(z) => !window.map._animatingZoom && window.map.getZoom() > z", arg=geometry["zoom"])
    page.wait_for_timeout(400)
    full = frame.evaluate(_MAP_GEOMETRY_JS)
    assert full["fullscreen"]
    assert full["map"]["width"] >= SMALL["width"] - 2 and full["map"]["height"] >= SMALL["height"] - 2, full["map"]
    _assert_legends_clear(full)
    big = full["academie"]
    assert big["height"] > academie["height"] * 1.4, (big, academie)  # fitted to the screen, not left as it was
    # centred in the room left of the légendes (vertically: in the screen)
    room_right = min(legend["left"] for legend in full["legends"])
    assert abs((big["left"] + big["right"]) / 2 - room_right / 2) <= 0.1 * room_right, (big, room_right)
    assert abs((big["top"] + big["bottom"]) / 2 - full["map"]["height"] / 2) <= 0.1 * full["map"]["height"], big
    page.screenshot(path=str(screenshots_dir / "carte-1280-plein-ecran.png"))

    # leaving full screen: back to the page's map, académie fitted again
    frame.click("a.leaflet-control-zoom-fullscreen")
    frame.wait_for_function("() => document.fullscreenElement === null")
    frame.wait_for_function("(z) => !window.map._animatingZoom && window.map.getZoom() < z", arg=full["zoom"])
    page.wait_for_timeout(400)
    back = frame.evaluate(_MAP_GEOMETRY_JS)
    assert not back["fullscreen"]
    _assert_legends_clear(back)
    assert back["academie"]["width"] == pytest.approx(academie["width"], abs=4), (back["academie"], academie)


def test_carte_at_1600x1000(page, server, screenshots_dir):
    frame = _open(page, server, LARGE)
    _assert_no_selector_cut(page)
    box = page.query_selector(MAP_IFRAME).bounding_box()
    assert box["y"] <= MAP_TOP_MAX, box
    _assert_title_clear(page)
    geometry = frame.evaluate(_MAP_GEOMETRY_JS)
    assert box["y"] + geometry["academie"]["bottom"] <= LARGE["height"], (box, geometry["academie"])
    assert geometry["academie"]["width"] >= 400, geometry["academie"]
    _assert_legends_clear(geometry)
    page.screenshot(path=str(screenshots_dir / "carte-1600.png"))
