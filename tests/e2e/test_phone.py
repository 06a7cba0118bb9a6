"""Every page on a phone (390×844, Chromium's mobile emulation: `is_mobile`, `has_touch`, device scale 3).

Measured in the browser, as a person holding the phone sees it:
- every page opens with the sidebar CLOSED (Streamlit's `initial_sidebar_state="auto"`) and the filters stay
  reachable: the summary at the top of the page says which filters apply and its « Modifier » button opens them
  (a tap), as does Streamlit's own « Déplier la barre latérale » button in the header; a page chosen in the
  sidebar, or a new arrival after it was left open, shows the page;
- no horizontal overflow: neither the document nor Streamlit's scrolling main area is wider than the screen,
  and no element sticks out of the screen unless a box that scrolls or clips it holds it (a table, a code block);
- the KPI cards are one per row, as wide as the page, their value and change whole;
- the Carte map is whole on the screen once scrolled to, the académie fills its width, and its légendes (folded
  by default) cover at most 25 % of it, never a bassin; they unfold and fold with a tap;
- tables scroll inside their frame; a chart's legend drawn on its right for a projector goes below the plot,
  its fonts smaller, so that the plot keeps the phone's width;
- the presentation is readable upright: every slide, reached with « Suivante », has no text cut, nothing out of
  the screen's width, the figure laid out for the width (texts inside the plot, fonts ≥ 10 px);
- axe-core finds no serious or critical violation at that size, and no English text of Streamlit's chrome.

Wider screens keep their layout: at 1280×720 the sidebar is open on arrival, the summary is not shown and the
charts keep their legend on the right.
Screenshots: artifacts/screenshots/phone-<page>.png, phone-diapo-<n>.png, phone-carte-legende-ouverte.png.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e._ui import MAP_IFRAME, PAGES, eventually, goto, page_problems, wait_idle, wait_map_drawn
from tests.e2e.test_accessibility import blocking, describe, run_axe
from tests.e2e.test_french import english_left

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
ALL_PAGES = {**PAGES, "presentation": "/presentation", "importer": "/importer"}
WITHOUT_SUMMARY = {"presentation", "importer"}  # the filters do not apply there
LEGENDS_MAX = 0.25  # share of the map the légendes may cover

_SIDEBAR = """() => {
  const s = document.getElementById('stSidebar');
  if (!s) return null;
  const r = s.getBoundingClientRect(), vw = window.innerWidth, vh = window.innerHeight;
  const seen = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0))
             * Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
  return {collapsed: s.getAttribute('data-collapsed'), cover: seen / (vw * vh), right: r.right};
}"""

# what sticks out of the screen: the document's and the main area's scroll widths, and every element of the main
# area wider than the screen that no scrolling or clipping box (overflow-x other than visible) holds
_OVERFLOW = """() => {
  const vw = window.innerWidth, main = document.querySelector('[data-testid="stMain"]');
  const held = el => {
    for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o !== 'visible') { const r = a.getBoundingClientRect(); return r.left >= -1 && r.right <= vw + 1; }
    }
    return false;
  };
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || (r.right <= vw + 1 && r.left >= -1)) continue;
    if (!el.checkVisibility() || held(el)) continue;
    out.push((el.getAttribute('data-testid') || el.tagName) + ' « ' + (el.innerText || '').trim().slice(0, 40)
             + ` » [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  return {doc: document.scrollingElement.scrollWidth, main: [main.scrollWidth, main.clientWidth], vw,
          out: out.slice(0, 10)};
}"""


@pytest.fixture()
def phone(browser):
    context = browser.new_context(locale="fr-FR", service_workers="block", **PHONE)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def _open(page, url: str) -> None:  # noqa: ANN001
    goto(page, url)
    page.wait_for_function("() => window.__observatoireFrench !== undefined", timeout=15_000)
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(500)  # plotly, the map's frame: settled at the phone's width


def _assert_no_overflow(page, where: str) -> None:  # noqa: ANN001
    found = page.evaluate(_OVERFLOW)
    assert found["doc"] <= found["vw"], f"{where} : le document déborde {found}"
    assert found["main"][0] <= found["main"][1], f"{where} : la zone principale déborde {found}"
    assert not found["out"], f"{where} : hors de l'écran {found['out']}"


def _summary(page):  # noqa: ANN001, ANN202
    return page.locator(".obs-filtres")


@pytest.mark.parametrize("name", list(ALL_PAGES))
def test_every_page_on_a_phone(phone, server, screenshots_dir, name):
    """Sidebar closed on arrival, the filters said (where they apply), no horizontal overflow, French, axe."""
    page = phone
    _open(page, server + ALL_PAGES[name])
    assert not page_problems(page)
    sidebar = page.evaluate(_SIDEBAR)
    if name == "presentation":  # no sidebar at all in presentation mode
        assert sidebar is None or sidebar["cover"] == 0, sidebar
    else:
        assert sidebar["collapsed"] == "true" and sidebar["cover"] < 0.01, sidebar
        assert page.locator('[data-testid="stExpandSidebarButton"]').is_visible()  # Streamlit's own « » »
    summary = _summary(page)
    if name in WITHOUT_SUMMARY:
        assert not summary.count() or not summary.is_visible()
    else:
        assert summary.is_visible()
        assert re.fullmatch(r"Filtres : aucun, toute l'académie\s*Modifier", summary.inner_text().strip()), (
            summary.inner_text()
        )
        box, title = summary.bounding_box(), page.locator('[data-testid="stMain"] h1').first.bounding_box()
        assert box["y"] + box["height"] <= title["y"] + 1  # above the page's title
    _assert_no_overflow(page, name)
    page.screenshot(path=str(screenshots_dir / f"phone-{name}.png"))
    assert english_left(page) == [], name
    found = blocking(run_axe(page))
    assert found == [], f"axe-core, page {name} à 390×844 :\n{describe(found)}"
    assert page.errors == [], page.errors


def test_the_filters_are_reachable_and_said(phone, server, screenshots_dir):
    """The summary says the filters of the link; « Modifier » (a tap) opens them, the focus on their heading (not
    on a field: the phone's keyboard would pop up); a filter chosen there reaches the summary and the URL; the
    sidebar closes again."""
    page = phone
    _open(page, server + "/?dep=57")
    summary = _summary(page)
    assert "Filtres : Département : 57 — Moselle" in summary.inner_text()
    button = summary.get_by_role("button", name="Modifier les filtres")
    assert button.inner_text().strip() == "Modifier"
    box = button.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24  # a finger's target (WCAG 2.5.8)
    button.tap()
    page.wait_for_function("""() => { const s = document.getElementById('stSidebar');
        return s.getAttribute('data-collapsed') === 'false' && s.getBoundingClientRect().left >= -1; }""")
    page.wait_for_function("""() => document.getElementById('stSidebar').contains(document.activeElement)
        && document.activeElement.tagName === 'H2' && document.activeElement.textContent.trim() === 'Filtres'""")
    page.screenshot(path=str(screenshots_dir / "phone-filtres-ouverts.png"))
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("combobox", name="Niveau scolaire", exact=True).tap()
    page.get_by_role("option", name="Collège", exact=True).tap()
    page.keyboard.press("Escape")
    wait_idle(page)
    page.wait_for_function("() => /niveau=college/.test(location.search)")
    sidebar.locator('[data-testid="stSidebarCollapseButton"] button').tap()
    page.wait_for_function("() => document.getElementById('stSidebar').getAttribute('data-collapsed') === 'true'")
    wait_idle(page)
    text = summary.inner_text()
    assert "Département : 57 — Moselle" in text and "Niveau : Collège" in text, text
    # Streamlit's own button opens them as well
    page.locator('[data-testid="stExpandSidebarButton"]').tap()
    page.wait_for_function("() => document.getElementById('stSidebar').getAttribute('data-collapsed') === 'false'")


def test_a_page_chosen_in_the_sidebar_and_a_new_arrival_show_the_page(phone, server):
    """Streamlit remembers the sidebar as last left (localStorage): a page chosen in it on a phone, and the next
    arrival, show the page, not the sidebar over it."""
    page = phone
    _open(page, server + "/")
    _summary(page).get_by_role("button", name="Modifier les filtres").tap()
    page.wait_for_function("() => document.getElementById('stSidebar').getAttribute('data-collapsed') === 'false'")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Carte").tap()
    page.wait_for_url(re.compile(r"/carte"))
    wait_idle(page)
    page.wait_for_function("() => document.getElementById('stSidebar').getAttribute('data-collapsed') === 'true'")
    assert eventually(lambda: page.evaluate(_SIDEBAR)["cover"] < 0.01), page.evaluate(_SIDEBAR)  # slid away
    page.evaluate("() => localStorage.setItem('stSidebarCollapsed-', 'false')")  # left open last time
    _open(page, server + "/projets")
    page.wait_for_function("() => document.getElementById('stSidebar').getAttribute('data-collapsed') === 'true'")
    assert eventually(lambda: page.evaluate(_SIDEBAR)["cover"] < 0.01), page.evaluate(_SIDEBAR)  # slid away


def test_kpi_cards_one_per_row_and_readable(phone, server):
    page = phone
    for path in ("/", "/donnees"):
        _open(page, server + path)
        cards = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
          .map(m => {
            const r = m.getBoundingClientRect();
            const value = m.querySelector('[data-testid="stMetricValue"]');
            const cut = Array.from(m.querySelectorAll('[data-testid="stMetricValue"] *, [data-testid="stMetricDelta"] *'))
              .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText);
            return {left: r.left, top: r.top, width: r.width, bottom: r.bottom, cut,
                    size: parseFloat(getComputedStyle(value).fontSize), text: value.innerText};
          })""")
        width = page.evaluate("() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').clientWidth")
        assert len(cards) >= 4, (path, cards)
        assert len({round(c["left"]) for c in cards}) == 1, (path, cards)  # one column
        assert all(later["top"] >= earlier["bottom"] for earlier, later in zip(cards, cards[1:])), cards
        assert all(c["width"] >= 0.75 * width for c in cards), (path, width, cards)
        assert all(c["size"] >= 24 and not c["cut"] for c in cards), (path, cards)


_MAP_JS = """() => {
  const container = window.map.getContainer(), m = container.getBoundingClientRect();
  const boxes = sel => Array.from(document.querySelectorAll(sel)).filter(e => e.checkVisibility())
      .map(e => e.getBoundingClientRect());
  const cover = rects => {  // share of the map covered by the union of the rectangles (2 px grid)
    let n = 0, all = 0;
    for (let x = m.left + 1; x < m.right; x += 2) for (let y = m.top + 1; y < m.bottom; y += 2) {
      all += 1;
      if (rects.some(b => x >= b.left && x < b.right && y >= b.top && y < b.bottom)) n += 1;
    }
    return n / all;
  };
  let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
  const paths = Array.from(document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive'));
  const bassins = paths.map(p => p.getBoundingClientRect());
  bassins.forEach(b => { left = Math.min(left, b.left); top = Math.min(top, b.top);
                         right = Math.max(right, b.right); bottom = Math.max(bottom, b.bottom); });
  const legends = boxes('.carte-legende');
  return {map: {left: m.left, top: m.top, right: m.right, bottom: m.bottom, width: m.width, height: m.height},
          academie: {left, top, right, bottom}, legends, bassins: bassins.length,
          legends_cover: cover(legends), controls_cover: cover(boxes('.leaflet-control')),
          hit: legends.filter(l => bassins.some(b => Math.min(l.right, b.right) > Math.max(l.left, b.left)
                                                   && Math.min(l.bottom, b.bottom) > Math.max(l.top, b.top))).length,
          mobile: container.classList.contains('carte-mobile')};
}"""


def _overlap(a: dict, b: dict) -> float:
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return max(width, 0) * max(height, 0)


def test_carte_fits_the_phone(phone, server, screenshots_dir):
    page = phone
    _open(page, server + "/carte")
    wait_map_drawn(page)
    frame = page.query_selector(MAP_IFRAME).content_frame()
    frame.wait_for_function("() => window.map && !window.map._animatingZoom")
    page.wait_for_timeout(500)
    _assert_no_overflow(page, "carte")
    cut = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-testid="stMain"] [data-testid="stSelectbox"] input[role="combobox"]'))
        .filter(i => i.scrollWidth > i.clientWidth).map(i => i.getAttribute('aria-label') + ' : ' + i.value)""")
    assert cut == [], f"choix coupés : {cut}"
    iframe = page.locator(MAP_IFRAME)
    iframe.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(400)
    box, header = iframe.bounding_box(), page.locator('[data-testid="stHeader"]').bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert box["y"] >= header["y"] + header["height"] - 1 and box["y"] + box["height"] <= 844, (box, header)
    page.screenshot(path=str(screenshots_dir / "phone-carte-carte.png"))

    geometry = frame.evaluate(_MAP_JS)
    assert geometry["mobile"] and geometry["bassins"] >= 17, geometry
    assert geometry["legends_cover"] <= LEGENDS_MAX, geometry
    assert geometry["controls_cover"] <= LEGENDS_MAX, geometry  # zoom, full screen, scale, légendes together
    assert geometry["hit"] == 0, geometry  # no légende over a bassin
    for legend in geometry["legends"]:
        assert _overlap(legend, geometry["academie"]) == 0, (legend, geometry["academie"])
    academie, inside = geometry["academie"], geometry["map"]
    assert inside["left"] <= academie["left"] and academie["right"] <= inside["right"], geometry
    assert inside["top"] <= academie["top"] and academie["bottom"] <= inside["bottom"], geometry
    assert academie["right"] - academie["left"] >= 0.75 * inside["width"], geometry  # not squeezed aside

    # the légendes unfold and fold with a tap
    classes = frame.locator(".carte-legende").first
    button = classes.get_by_role("button", name="Afficher la légende des couleurs")
    assert button.get_attribute("aria-expanded") == "false"
    assert not classes.locator(".ligne").first.is_visible()
    button.tap()
    classes.get_by_role("button", name="Masquer la légende des couleurs").wait_for()
    assert classes.locator(".ligne").first.is_visible()
    page.screenshot(path=str(screenshots_dir / "phone-carte-legende-ouverte.png"))
    classes.get_by_role("button", name="Masquer la légende des couleurs").tap()
    classes.get_by_role("button", name="Afficher la légende des couleurs").wait_for()
    labs = frame.locator(".carte-legende.labos")
    labs.get_by_role("button", name="Afficher la légende des laboratoires").tap()
    assert labs.locator(".ligne").first.is_visible()
    found = blocking(run_axe(frame))
    assert found == [], f"axe-core, carte à 390×844 :\n{describe(found)}"


def test_tables_scroll_inside_their_frame(phone, server):
    """A table wider than the phone (Projets) scrolls inside its own frame: the page does not move sideways."""
    page = phone
    _open(page, server + "/projets")
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    table.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    scroller = table.locator(".dvn-scroller").first
    sizes = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] > sizes[1], sizes  # wider than its frame…
    moved = scroller.evaluate("e => { e.scrollLeft = 200; return e.scrollLeft; }")
    assert moved > 0  # … and scrolls inside it
    main = page.evaluate("""() => [document.scrollingElement.scrollLeft,
                                   document.querySelector('[data-testid="stMain"]').scrollLeft]""")
    assert main == [0, 0], main
    _assert_no_overflow(page, "projets")


_CHART = """() => {
  const gd = Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
    .find(p => p.checkVisibility() && p._fullLayout && p._fullLayout.showlegend);
  if (!gd) return null;
  const box = gd.getBoundingClientRect(), size = gd._fullLayout._size, legend = gd.querySelector('.legend');
  const texts = Array.from(gd.querySelectorAll('.main-svg text')).filter(t => t.textContent.trim());
  return {width: box.width, plot: size.w, plotBottom: box.top + size.t + size.h,
          legend: legend.getBoundingClientRect().toJSON(), right: box.right,
          fonts: texts.map(t => parseFloat(getComputedStyle(t).fontSize)),
          orientation: gd.layout.legend.orientation};
}"""


def test_charts_keep_the_phone_width(phone, server, screenshots_dir):
    """Indicateurs by département: the legend drawn on the right for a projector goes below the plot on a phone,
    the fonts get smaller, the plot keeps more than half of the chart's width; after a rerun (another
    indicator) too."""
    page = phone
    _open(page, server + "/indicateurs?par=departement")
    for unit in ("visites", "connexions"):
        # the chart the person sees (a rerun may keep the previous run's element hidden in the page a moment)
        page.wait_for_function(
            """(unit) => Array.from(document.querySelectorAll(
                '[data-testid="stMain"] .js-plotly-plot')).some(gd => gd.checkVisibility() && gd.layout
                && gd.layout.yaxis.title.text === unit && gd.layout.legend.orientation === 'h'
                && gd.layout.font.size <= 12)""",
            arg=unit,
        )
        page.locator('[data-testid="stMain"] .js-plotly-plot').filter(
            visible=True
        ).first.scroll_into_view_if_needed()
        chart = page.evaluate(_CHART)
        assert chart is not None, unit
        assert chart["legend"]["top"] >= chart["plotBottom"] and chart["legend"]["right"] <= chart["right"] + 1, (
            chart
        )
        assert chart["plot"] >= 0.5 * chart["width"], chart
        assert max(chart["fonts"]) <= 13 and min(chart["fonts"]) >= 10, chart["fonts"]
        _assert_no_overflow(page, unit)
        if unit == "visites":
            page.screenshot(path=str(screenshots_dir / "phone-indicateurs-graphique.png"))
            # a rerun (another indicator) sends the server's layout again: laid out for the phone again
            page.locator('[data-testid="stMain"]').get_by_role("combobox", name="Indicateur", exact=True).tap()
            page.keyboard.type("ressources du GAR")  # the list is long: filtered as a person would
            page.get_by_role("option", name=re.compile("Connexions aux ressources du GAR")).first.tap()
            wait_idle(page)


_SLIDE = """(selector) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const vw = window.innerWidth;
  const name = el => (el.className && typeof el.className === 'string' ? el.className.split(' ')[0] : el.tagName)
    + ' « ' + (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 50) + ' »';
  const cut = [], outside = [];
  for (const el of main.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || !el.checkVisibility()) continue;
    if (el.scrollWidth > el.clientWidth + 1) cut.push(name(el) + ` ${el.scrollWidth} > ${el.clientWidth}`);
    if (r.left < -1 || r.right > vw + 1) outside.push(name(el) + ` [${Math.round(r.left)}, ${Math.round(r.right)}]`);
  }
  const plots = Array.from(main.querySelectorAll('.js-plotly-plot')).filter(p => p.checkVisibility());
  const figure = plots.map(plot => {
    const p = plot.getBoundingClientRect();
    const texts = Array.from(plot.querySelectorAll('.main-svg text')).filter(t => t.textContent.trim()
                                                                               && t.checkVisibility());
    return {left: p.left, right: p.right, width: p.width, height: p.height,
            out: texts.filter(t => { const r = t.getBoundingClientRect();
                                     return r.width > 0 && (r.left < p.left - 1 || r.right > p.right + 1); })
                      .map(t => t.textContent.trim().slice(0, 40)),
            small: texts.map(t => parseFloat(getComputedStyle(t).fontSize)).filter(s => s < 10),
            portrait: !!plot.closest('.st-key-pres_figure_portrait')};
  });
  return {cut, outside, figure, doc: document.scrollingElement.scrollWidth, main: [main.scrollWidth, main.clientWidth],
          counted: main.querySelectorAll(selector).length};
}"""
_SLIDE_TEXTS = (
    ".obs-slide-title, .obs-slide-subtitle, .obs-counter, .obs-figure-value, .obs-figure-label, "
    ".obs-figure-delta, .obs-bullets li, .obs-source, .obs-qr p, button"
)


def _wait_slide(page, index: int, count: int) -> None:  # noqa: ANN001
    page.wait_for_function(
        "([text]) => { const c = document.querySelector('.obs-counter'); return c && c.innerText.trim() === text; }",
        arg=[f"{index} / {count}"],
        timeout=60_000,
    )
    wait_idle(page)
    if page.locator(".st-key-pres_figure_portrait .js-plotly-plot").count():
        page.wait_for_selector(".st-key-pres_figure_portrait .js-plotly-plot .main-svg", state="visible")
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(300)


def test_presentation_readable_upright(phone, server, screenshots_dir):
    page = phone
    _open(page, server + "/presentation")
    count = int(page.locator(".obs-counter").inner_text().split("/")[1])
    assert count >= 7
    problems: list[str] = []
    figures = 0
    for index in range(1, count + 1):
        _wait_slide(page, index, count)
        layout = page.evaluate(_SLIDE, _SLIDE_TEXTS)
        where = f"diapositive {index}"
        if layout["doc"] > 390 or layout["main"][0] > layout["main"][1]:
            problems.append(f"{where} : défilement horizontal {layout['doc']} {layout['main']}")
        problems += [f"{where} : texte coupé {c}" for c in layout["cut"]]
        problems += [f"{where} : hors de l'écran {c}" for c in layout["outside"]]
        for plot in layout["figure"]:
            figures += 1
            if not plot["portrait"]:
                problems.append(f"{where} : figure du vidéoprojecteur affichée sur le téléphone")
            if plot["left"] < 0 or plot["right"] > 390 or plot["height"] < 300:
                problems.append(f"{where} : figure hors de l'écran ou trop petite {plot}")
            problems += [f"{where} : texte hors du graphique « {t} »" for t in plot["out"]]
            if plot["small"]:
                problems.append(f"{where} : texte du graphique plus petit que 10 px {plot['small'][:5]}")
        assert layout["counted"] >= 4, where
        page.screenshot(path=str(screenshots_dir / f"phone-diapo-{index}.png"), full_page=False)
        if index <= 3:
            found = blocking(run_axe(page))
            assert found == [], f"axe-core, {where} à 390×844 :\n{describe(found)}"
        if index < count:
            page.get_by_role("button", name="Suivante").tap()
    assert figures >= 2  # the map and at least one evolution were measured
    assert problems == [], "\n".join(problems)
    assert english_left(page) == []
    assert page.errors == [], page.errors


def test_a_wide_screen_keeps_its_layout(page, server):
    """At 1280×720 the sidebar is open on arrival and the phone's summary is not shown."""
    page.set_viewport_size({"width": 1280, "height": 720})
    _open(page, server + "/?dep=57")
    sidebar = page.evaluate(_SIDEBAR)
    assert sidebar["collapsed"] == "false" and sidebar["right"] > 200, sidebar
    summary = _summary(page)
    assert summary.count() == 1 and not summary.is_visible()
    assert page.locator(".st-key-noprint_filtres_resume").evaluate("e => getComputedStyle(e).display") == "none"
    _open(page, server + "/indicateurs?par=departement")  # the projector's chart: its legend on the right
    legend = page.locator('[data-testid="stMain"] .js-plotly-plot').first.evaluate("gd => gd.layout.legend")
    assert legend["orientation"] == "v" and legend["x"] > 1 and legend["font"]["size"] == 16, legend
