"""Page helpers for the browser tests: page URLs, error checks, the map iframe, sidebar widgets.

Expected values come from the reference files (`data/reference/`), never from what the app printed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
from functools import cache
from pathlib import Path

from bench._server import IDLE, MAP_IFRAME, goto, wait_idle

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "data" / "reference"

# page name (screenshot file) -> URL path (router: st.Page(url_path=...), the default page is "/")
PAGES = {
    "vue-ensemble": "/",
    "carte": "/carte",
    "indicateurs": "/indicateurs",
    "laboratoires": "/laboratoires",
    "projets": "/projets",
    "donnees": "/donnees",
}
UNEXPECTED = "erreur inattendue"

__all__ = ["IDLE", "MAP_IFRAME", "PAGES", "goto", "wait_idle"]


# --------------------------------------------------------------------------------------------- reference


@cache
def bassins() -> dict[str, str]:
    """code -> nom of the bassins d'éducation et de formation (reference GeoJSON)."""
    data = json.loads((REFERENCE / "bassins.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["properties"]["nom"] for f in data["features"]}


@cache
def laboratoires() -> list[dict[str, str]]:
    with (REFERENCE / "laboratoires.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@cache
def departements() -> dict[str, str]:
    data = json.loads((REFERENCE / "academie.json").read_text(encoding="utf-8"))
    return {d["code"]: d["nom"] for d in data["departements"]}


# ------------------------------------------------------------------------------------------------ checks


def page_problems(page) -> list[str]:  # noqa: ANN001
    """Streamlit exception boxes and the router's « erreur inattendue » message shown on the page."""
    problems = []
    for box in page.locator('[data-testid="stException"]').all():
        problems.append("stException: " + box.inner_text()[:500])
    text = page.locator('[data-testid="stApp"]').inner_text()
    if UNEXPECTED in text.lower():
        problems.append("« erreur inattendue » affichée : " + text[:800])
    return problems


def main_text(page) -> str:  # noqa: ANN001
    return page.locator('[data-testid="stMain"]').inner_text()


def content_signature(page) -> str:  # noqa: ANN001
    """Hash of what the main area shows: its text and the drawn Plotly traces (paths, bars, points)."""
    traces = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
               .map(plot => Array.from(plot.querySelectorAll('.plot path, .plot text, .pielayer path'))
                   .map(el => (el.getAttribute('d') || '') + (el.textContent || '')).join('|'))"""
    )
    blob = json.dumps([main_text(page), traces], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def eventually(check, timeout: float = 60_000, step_ms: int = 250) -> bool:  # noqa: ANN001
    """Poll `check()` until it is true or `timeout` ms have passed; its last answer (assert it). What a page shows
    settles after its run ends (Plotly and the sidebar draw afterwards): wait for the state, never for a time.
    Playwright delivers its events (requests, routes) only while it is called: a check that reads a list those
    events fill must call into Playwright itself (e.g. `page.wait_for_timeout(50)`), a sleep here delivers none."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not check():
        if time.monotonic() > deadline:
            return bool(check())
        time.sleep(step_ms / 1000)
    return True


def plotly_count(page) -> int:  # noqa: ANN001
    return page.locator('[data-testid="stMain"] .js-plotly-plot').count()


# --------------------------------------------------------------------------------------------------- map

_MAP_STATE_JS = """([codes, labs]) => {
  const m = window.map;
  if (!m || !window.L) return null;
  const drawn = new Set();
  const seenLabs = new Set();
  let markers = 0;
  m.eachLayer(layer => {
    const f = layer.feature;
    const path = layer._path;
    if (f && f.properties && path && path.isConnected && path.tagName === 'path') {
      const code = f.properties.code || f.properties.bassin;
      if (codes.includes(code)) drawn.add(code);
    }
    if (typeof layer.getLatLng === 'function' && !(f && codes.includes(f.properties && f.properties.code))) {
      const ll = layer.getLatLng();
      const el = layer._icon || layer._path;
      if (!el || !el.isConnected) return;
      markers += 1;
      labs.forEach(([code, lat, lon]) => {
        if (Math.abs(ll.lat - lat) < 1e-3 && Math.abs(ll.lng - lon) < 1e-3) seenLabs.add(code);
      });
    }
  });
  return {
    bassins: Array.from(drawn).sort(),
    labs: Array.from(seenLabs).sort(),
    markers: markers,
    interactive_paths: document.querySelectorAll('path.leaflet-interactive').length,
  };
}"""


def map_frame(page, timeout: float = 30_000):  # noqa: ANN001, ANN201
    handle = page.wait_for_selector(MAP_IFRAME, state="attached", timeout=timeout)
    handle.scroll_into_view_if_needed()
    frame = handle.content_frame()
    assert frame is not None, "l'iframe de la carte n'a pas de document"
    return frame


def _lab_points() -> list[list[object]]:
    return [[lab["code"], float(lab["latitude"]), float(lab["longitude"])] for lab in laboratoires()]


def map_state(frame) -> dict | None:  # noqa: ANN001
    return frame.evaluate(_MAP_STATE_JS, [list(bassins()), _lab_points()])


def wait_map_drawn(page, timeout: float = 45_000) -> dict:  # noqa: ANN001
    """Wait until the Leaflet map in the st_folium iframe has drawn every bassin polygon; return its state."""
    frame = map_frame(page, timeout=timeout)
    frame.wait_for_function(
        """(n) => window.map && window.L && document.querySelectorAll('path.leaflet-interactive').length >= n""",
        arg=len(bassins()),
        timeout=timeout,
    )
    frame.wait_for_timeout(300)  # let the markers pane finish drawing
    return map_state(frame)


_CLICK_POINT_JS = """(code) => {
  const m = window.map;
  let target = null;
  m.eachLayer(layer => {
    const f = layer.feature;
    if (f && f.properties && (f.properties.code === code) && layer._path) target = layer;
  });
  if (!target) return null;
  const box = target._path.getBoundingClientRect();
  // sample the polygon's box: first point whose topmost element is the polygon itself (not a marker/label)
  for (let n = 3; n <= 24; n += 3) {
    for (let i = 1; i < n; i++) {
      for (let j = 1; j < n; j++) {
        const x = box.left + box.width * i / n, y = box.top + box.height * j / n;
        if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) continue;
        if (document.elementFromPoint(x, y) === target._path) return [x, y];
      }
    }
  }
  return null;
}"""


def click_bassin(page, code: str) -> None:  # noqa: ANN001
    """A real mouse click on the bassin polygon (inside the map iframe)."""
    handle = page.wait_for_selector(MAP_IFRAME, state="attached")
    frame = handle.content_frame()
    point = frame.evaluate(_CLICK_POINT_JS, code)
    assert point, f"aucun point cliquable trouvé pour le bassin {code}"
    box = handle.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


_MARKER_POINT_JS = """([lat, lng]) => {
  let target = null;
  window.map.eachLayer(layer => {
    if (layer._icon && typeof layer.getLatLng === 'function') {
      const ll = layer.getLatLng();
      if (Math.abs(ll.lat - lat) < 1e-6 && Math.abs(ll.lng - lng) < 1e-6) target = layer;
    }
  });
  if (!target) return null;
  const box = target._icon.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 3;  // the pin's head
  const top = document.elementFromPoint(x, y);
  // null when another marker, a legend or a control covers the pin: the caller picks another lab
  return top && (top === target._icon || target._icon.contains(top)) ? [x, y] : null;
}"""


def click_lab_marker(page, code: str) -> bool:  # noqa: ANN001
    """A real mouse click on the marker of lab `code` (inside the map iframe). False when the pin is covered
    (by another pin, a legend) and was not clicked."""
    lab = next(lab for lab in laboratoires() if lab["code"] == code)
    handle = page.wait_for_selector(MAP_IFRAME, state="attached")
    handle.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # let a smooth scroll end before measuring
    frame = handle.content_frame()
    point = frame.evaluate(_MARKER_POINT_JS, [float(lab["latitude"]), float(lab["longitude"])])
    if not point:
        return False
    box = handle.bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    return True


# --------------------------------------------------------------------------------------------- widgets


def sidebar_combobox(page, label: str):  # noqa: ANN001, ANN201
    return page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label, exact=True)


def choose_in_multiselect(page, label: str, option: str) -> None:  # noqa: ANN001
    """Open the sidebar multiselect `label`, pick `option` (visible text), close it with Escape."""
    sidebar_combobox(page, label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def multiselect_tags(page, label: str) -> list[str]:  # noqa: ANN001
    """Texts of the selected values (tags) of a sidebar multiselect."""
    widget = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.get_by_role("combobox", name=label, exact=True)
    )
    tags = widget.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag]')
    return [(t.get_attribute("aria-label") or t.inner_text()).strip() for t in tags.all()]


def full_screenshot(page, path: str, width: int = 1600, max_height: int = 9000) -> None:  # noqa: ANN001
    """Whole page picture: Streamlit scrolls inside its main container, not the document, so the viewport is
    grown to the content's height for the picture (then restored)."""
    height = page.evaluate(
        """() => Math.max(...Array.from(document.querySelectorAll(
              '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stSidebarContent"]'))
              .map(el => el.scrollHeight), document.documentElement.scrollHeight)"""
    )
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": int(min(max(height, 600), max_height))})
    page.wait_for_timeout(700)  # plotly relayout, map resize
    wait_idle(page)
    # lazily loaded elements (Vega sparklines of st.metric…) show skeletons first: bounded wait, no assertion;
    # the picture is taken anyway and shows what is still loading
    with contextlib.suppress(Exception):
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=10_000)
    page.screenshot(path=path, full_page=True)
    if original:
        page.set_viewport_size(original)
