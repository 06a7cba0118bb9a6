"""Untrusted text never becomes script, markup or a request, in a real browser (Debian's Chromium).

1. Hostile data: a second server runs on a copy of data/ with payloads (HTML with event handlers, scripts,
   Markdown images and links, bare URLs, Streamlit directives and icons, LaTeX, bidi and zero-width
   characters) in every human-readable text field of every reference file and in the measure sources
   (tests/e2e/_payloads.py). Every page is visited; the bassins of both maps are hovered (GeoJSON tooltips),
   a lab popup and a bassin panel are opened, every expander is opened, Plotly hover labels are shown.
2. Hostile links: every URL parameter of the app gets a payload (session server).

After each step, in the main document and in every iframe: no element created by a payload (`img[src=x]`,
payload event handlers, the payload's script, links to the phishing host, coloured text, Material icon,
KaTeX, an element whose whole text is the payload's link/bold text), no bidi / zero-width character in the
rendered text, and the title unchanged. Over the whole test: no dialog, no request outside the app's origin
(iframes included; 127.0.0.1:9 counts as outside).
"""

from __future__ import annotations

import contextlib

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bench._server import streamlit_server
from tests.e2e import _payloads, _ui
from tests.e2e._ui import goto, wait_idle
from tests.e2e.conftest import VIEWPORT

LOCAL_SCHEMES = ("data:", "blob:", "about:")

_FIND_INJECTED = """([titleMark, scriptBody, markupTexts, phish, outside]) => {
  const found = [];
  const describe = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on') && (attr.value.includes(titleMark) || attr.value.includes('alert')))
        found.push('gestionnaire ' + attr.name + ' : ' + describe(el));
    }
    if (tag === 'img') {
      const src = el.getAttribute('src') || '';
      if (src === 'x' || src.includes(outside)) found.push('image : ' + describe(el));
    }
    const href = el.getAttribute('href') || el.getAttribute('xlink:href') || '';
    if (href.includes(phish) || href.includes(outside)) found.push('lien : ' + describe(el));
    if (tag === 'script' && el.textContent.trim() === scriptBody) found.push('script : ' + describe(el));
    if (el.matches('.katex, .stMarkdownColoredText, .stMarkdownColoredBackground'))
      found.push('balisage Streamlit : ' + describe(el));
    if (el.getAttribute('role') === 'img' && el.textContent.trim() === 'warning')
      found.push('icône : ' + describe(el));
    if (markupTexts.includes(el.textContent.trim()) && tag !== 'title')
      found.push('élément créé par le texte : ' + describe(el));
  }
  const svgText = Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join(' ');
  const shown = (document.body ? document.body.innerText : '') + ' ' + svgText;
  const hidden = shown.match(/[\\u202a-\\u202e\\u2066-\\u2069\\u200b-\\u200d\\u2060\\ufeff\\u200e\\u200f\\u061c]/);
  if (hidden) found.push('caractère invisible U+' + hidden[0].charCodeAt(0).toString(16).toUpperCase());
  // escaped twice: the reader would see the escapes (the payloads contain no backslash and no entity)
  const twice = shown.match(/.{0,40}(\\\\|&lt;|&gt;|&amp;|&quot;|&#x27;|&#39;).{0,40}/);
  if (twice) found.push('échappé deux fois : ' + twice[0]);
  if (shown.includes('\\u{1F604}')) found.push('émoji tiré de :smile:');
  if (document.title.includes(titleMark)) found.push('titre : ' + document.title);
  return found;
}"""

_BASSIN_POINTS = """() => {
  const points = [];
  // one Leaflet map is reachable under several globals (`map` and folium's `map_<id>`): each map once, each
  // bassin once (otherwise every bassin was hovered twice and counted twice)
  const maps = window.L ? [...new Set(Object.keys(window).map(k => window[k]).filter(v => v instanceof window.L.Map))] : [];
  const seen = new Set();
  maps.forEach(m => m.eachLayer(layer => {
    const f = layer.feature;
    if (!(f && f.properties && f.properties.code && layer._path && f.properties.nom !== undefined)) return;
    if (seen.has(f.properties.code)) return;
    seen.add(f.properties.code);
    const box = layer._path.getBoundingClientRect();
    for (let n = 3; n <= 12; n += 3) for (let i = 1; i < n; i++) for (let j = 1; j < n; j++) {
      const x = box.left + box.width * i / n, y = box.top + box.height * j / n;
      if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) continue;
      if (document.elementFromPoint(x, y) === layer._path) { points.push([f.properties.code, x, y]); return; }
    }
  }));
  return points;
}"""


class Watch:
    """What a browser context did: every request (iframes included) and every dialog."""

    def __init__(self, context, origin: str) -> None:  # noqa: ANN001
        self.origin = origin
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))

    def page(self, context):  # noqa: ANN001, ANN201
        page = context.new_page()

        def on_dialog(dialog) -> None:  # noqa: ANN001
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            with contextlib.suppress(Exception):
                dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    def check(self, page, step: str) -> None:  # noqa: ANN001
        """Payload elements in the main document and in every iframe (recorded, asserted at the end)."""
        for frame in page.frames:
            try:
                found = frame.evaluate(
                    _FIND_INJECTED,
                    [
                        _payloads.TITLE_MARK,
                        _payloads.SCRIPT_BODY,
                        list(_payloads.MARKUP_TEXTS),
                        _payloads.PHISH,
                        _payloads.OUTSIDE_HOST,
                    ],
                )
            except Exception as err:  # a frame replaced meanwhile (Streamlit rerun): checked on the next step
                if "detached" in str(err).lower() or "destroyed" in str(err).lower():
                    continue
                raise
            where = "document" if frame == page.main_frame else f"iframe {frame.name or frame.url[:40]}"
            self.problems += [f"{step} ({where}) : {item}" for item in found]
        self.problems += [f"{step} : {p}" for p in _ui.page_problems(page)]

    def outside(self) -> list[str]:
        return sorted(
            {
                url
                for url in self.requests
                if not (url == self.origin or url.startswith(self.origin + "/") or url.startswith(LOCAL_SCHEMES))
            }
        )

    def assert_clean(self) -> None:
        assert self.requests, "aucune requête enregistrée"
        assert self.dialogs == [], f"boîtes de dialogue ouvertes : {self.dialogs}"
        assert self.outside() == [], "requêtes hors de l'application :\n" + "\n".join(self.outside())
        assert self.problems == [], "\n".join(self.problems)


# ----------------------------------------------------------------------------------------- interactions


def _hover_bassins(page, frame_handle, watch: Watch, step: str, limit: int | None = None) -> int:  # noqa: ANN001
    """Hover the bassins of a map (Leaflet GeoJSON tooltips) and check the map's document after each hover."""
    frame = frame_handle.content_frame()
    frame.wait_for_function(
        "() => window.L && document.querySelectorAll('path.leaflet-interactive').length", timeout=45_000
    )
    box = frame_handle.bounding_box()
    points = frame.evaluate(_BASSIN_POINTS)[:limit]
    for code, x, y in points:
        page.mouse.move(box["x"] + x, box["y"] + y)
        frame.wait_for_selector(".leaflet-tooltip", timeout=5_000)
        tooltip = frame.locator(".leaflet-tooltip").last.inner_text()
        assert _payloads.TITLE_MARK in tooltip, (
            f"{code} : l'infobulle ne montre pas le texte tel quel ({tooltip!r})"
        )
        watch.check(page, f"{step}, survol {code}")
    return len(points)


def _open_expanders(page, watch: Watch, step: str) -> None:  # noqa: ANN001
    """Open every closed expander the reader can see (those of another tab: when that tab is shown), then check.

    Bottom first: an expander opening moves everything below it while it unfolds, and a click waits for its
    target to stand still, so top-down clicks each waited for the previous one's animation (≈ 1 s apiece on
    Données). A hidden one (in a tab not shown) cannot be clicked: it used to time out (5 s each) unopened."""
    summaries = page.locator('[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary')
    visible = [handle for handle in summaries.element_handles() if handle.is_visible()]
    for handle in reversed(visible):
        with contextlib.suppress(PlaywrightTimeout):
            handle.click(timeout=5_000)
    page.wait_for_timeout(300)
    watch.check(page, f"{step}, expanders ouverts")


def _hover_plotly(page, watch: Watch, step: str) -> list[str]:  # noqa: ANN001
    """Show a Plotly hover label on every visible chart (hover texts are HTML for Plotly); return the texts
    Plotly drew (hover labels, axis ticks, legend), as the reader sees them."""
    shown: list[str] = []
    plots = page.locator('[data-testid="stMain"] .js-plotly-plot')
    for i in range(plots.count()):
        plot = plots.nth(i)
        if not plot.is_visible():
            continue
        # a marker or a bar of the drawn traces (plotly.js has no `.plot` group: `.plot .points` never matched)
        point = plot.locator(".cartesianlayer .trace .points path").first
        if point.count():
            with contextlib.suppress(PlaywrightTimeout):
                point.hover(timeout=5_000, force=True)
                plot.locator(".hoverlayer .hovertext").first.wait_for(timeout=3_000)
            watch.check(page, f"{step}, survol du graphique {i + 1}")
        shown += plot.locator(
            ".hoverlayer text, .xtick text, .ytick text, .legendtext, .gtitle"
        ).all_text_contents()
    return shown


def _visit_with_hostile_data(page, base: str, watch: Watch, screenshots_dir) -> None:  # noqa: ANN001
    # Vue d'ensemble: cards (help tooltips), small map (hover), sidebar options
    goto(page, base + "/", timeout=120_000)  # the first visit builds the database
    watch.check(page, "/")
    overview = page.wait_for_selector('[data-testid="stMain"] iframe', state="attached", timeout=30_000)
    overview.scroll_into_view_if_needed()
    assert _hover_bassins(page, overview, watch, "/ petite carte", limit=4) >= 1
    # the help tooltip of the first card: definition and sources of the indicator, as Markdown
    page.locator('[data-testid="stMain"] [data-testid="stTooltipHoverTarget"]').first.hover()
    tooltip = page.locator('[data-testid="stTooltipContent"]').first
    tooltip.wait_for(timeout=10_000)
    assert _payloads.TITLE_MARK in tooltip.inner_text()
    watch.check(page, "/ infobulle d'aide")
    page.mouse.move(5, 5)
    _ui.sidebar_combobox(page, "Département").click()
    page.get_by_role("option").first.wait_for()
    watch.check(page, "/ options Département")
    page.keyboard.press("Escape")

    # Carte: hover every bassin, open a lab popup, open a bassin panel, screenshot
    goto(page, base + "/carte")
    watch.check(page, "/carte")
    handle = page.wait_for_selector(_ui.MAP_IFRAME, state="attached", timeout=45_000)
    handle.scroll_into_view_if_needed()
    assert _hover_bassins(page, handle, watch, "/carte") >= len(_ui.bassins()) - 2
    frame = handle.content_frame()
    points = frame.evaluate(_BASSIN_POINTS)
    code, x, y = (
        next(p for p in points if p[0] == "54-briey") if any(p[0] == "54-briey" for p in points) else points[0]
    )
    box = handle.bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    frame.wait_for_selector(".leaflet-tooltip")
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots_dir / "injection-carte.png"))
    _ui.click_bassin(page, code)
    page.locator('[data-testid="stMain"] h3').filter(has_text="Bassin de").first.wait_for(timeout=30_000)
    wait_idle(page)
    watch.check(page, "/carte fiche du bassin")
    frame = page.wait_for_selector(_ui.MAP_IFRAME, state="attached").content_frame()
    frame.evaluate("""() => {  // open a lab's popup (what a click on its marker does; the map stays put)
      const maps = Object.keys(window).map(k => window[k]).filter(v => v instanceof window.L.Map);
      maps.forEach(m => m.eachLayer(l => {
        if (l instanceof window.L.Marker && l.getPopup() && !m._popup) l.openPopup(); }));
    }""")
    frame.wait_for_selector(".leaflet-popup-content .labo-popup")
    assert _payloads.TITLE_MARK in frame.locator(".leaflet-popup-content").inner_text()
    watch.check(page, "/carte popup laboratoire")
    _open_expanders(page, watch, "/carte")

    # Indicateurs, by bassin: legend, ranking axis, hover labels, every tab
    goto(page, base + "/indicateurs?par=bassin")
    watch.check(page, "/indicateurs")
    plotly_texts: list[str] = []
    for tab in page.get_by_role("tab").all():
        tab.click()
        page.wait_for_timeout(400)
        name = f"/indicateurs onglet {tab.inner_text().strip()}"
        plotly_texts += _hover_plotly(page, watch, name)
        _open_expanders(page, watch, name)  # the expanders of this tab (hidden under the others)
    _open_expanders(page, watch, "/indicateurs")
    # Plotly decodes the entities of the escaped texts: the reader sees `<img src=x …`, never `&lt;`
    drawn = " ".join(plotly_texts)
    assert "<img src=x" in drawn and _payloads.TITLE_MARK in drawn, drawn[:500]
    assert "&lt;" not in drawn and "&amp;" not in drawn and "&#x27;" not in drawn, drawn[:500]

    # Laboratoires: cards, fiche (projects, activity chart titled with the lab's name); Données: expanders; Projets: the table
    for path in ("/laboratoires", "/projets", "/donnees"):
        goto(page, base + path)
        watch.check(page, path)
        drawn = " ".join(_hover_plotly(page, watch, path))
        assert "&lt;" not in drawn and "&#x27;" not in drawn, drawn[:500]
        _open_expanders(page, watch, path)


@pytest.fixture(scope="module")
def payload_server(chromium_available, tmp_path_factory):  # noqa: ANN001, ANN201
    """A second dashboard on a copy of data/ with a payload in every human-readable text field."""
    data = _payloads.make_payload_data(tmp_path_factory.mktemp("donnees-hostiles"))
    with streamlit_server(data_dir=data) as server:
        yield server


def test_hostile_data_is_shown_as_plain_text(payload_server, browser, screenshots_dir):
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    context.set_default_timeout(30_000)
    try:
        watch = Watch(context, payload_server.url)
        page = watch.page(context)
        _visit_with_hostile_data(page, payload_server.url, watch, screenshots_dir)
        # the payload text is there, as text (not dropped): the main title names the académie with it
        assert _payloads.TITLE_MARK in _ui.main_text(page) or _payloads.TITLE_MARK in page.content()
        watch.assert_clean()
    finally:
        context.close()


def test_hostile_url_parameters_are_quoted_never_rendered(context, server):
    watch = Watch(context, server)
    page = watch.page(context)
    for path in _payloads.PAGE_PARAMS:
        for rotation in (0, 3):
            url = server + _payloads.url_with_payloads(path, rotation)
            goto(page, url)
            if path == "/carte":
                _ui.wait_map_drawn(page)
            step = f"{path} (rotation {rotation})"
            watch.check(page, step)
            notices = page.locator('[data-testid="stAlertContentWarning"]')
            assert notices.count() >= 5, f"{step} : avertissements « Lien : … » attendus"
            codes = page.locator('[data-testid="stAlertContentWarning"] code')
            assert codes.count() >= 5, f"{step} : les valeurs de l'adresse sont citées comme du code"
            assert all(len(c.replace("\u00ad", "")) <= 40 for c in codes.all_inner_texts()), step
    watch.assert_clean()


def test_the_detector_finds_rendered_payloads(page):
    """The checks above are not vacuous: on a page where the payloads DID become markup, each is reported."""
    page.set_content(
        "<html><head><title>x</title></head><body><p>Texte\u202e inversé</p>"
        '<img src="x" onerror="parent.document.title=\'PWNED\'"><img src="http://127.0.0.1:9/px.png">'
        '<a href="https://phish.example/">Cliquez ici</a><span class="stMarkdownColoredText"><strong>Compte '
        'bloqué</strong></span><span role="img">warning</span><span class="katex">x</span>'
        '<script>parent.document.title="PWNED script"</script><p>a\\:b &amp;lt; \U0001f604</p></body></html>'
    )
    page.evaluate("() => { document.title = 'PWNED'; }")
    found = " ".join(
        page.evaluate(
            _FIND_INJECTED,
            [
                _payloads.TITLE_MARK,
                _payloads.SCRIPT_BODY,
                list(_payloads.MARKUP_TEXTS),
                _payloads.PHISH,
                _payloads.OUTSIDE_HOST,
            ],
        )
    )
    for kind in (
        "gestionnaire onerror",
        'image : <img src="x"',
        'image : <img src="http://127.0.0.1:9',
        'lien : <a href="https://phish',
        'balisage Streamlit : <span class="stMarkdownColoredText',
        "icône",
        'balisage Streamlit : <span class="katex',
        "script : ",
        "élément créé par le texte : <strong",
        "caractère invisible U+202E",
        "titre : PWNED",
        "échappé deux fois",
        "émoji",
    ):
        assert kind in found, (kind, found)


# ------------------------------------------------------------------------------------ downloads (formulas)

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return False
    return True


def _cells_of(path) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """(text cells, formula cells) of a downloaded CSV or XLSX."""
    import csv
    import io

    import openpyxl

    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline=""), delimiter=";"))
        return [c for row in rows for c in row], []
    book = openpyxl.load_workbook(path)  # every sheet: the data and « À propos »
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    return (
        [c.value for c in cells if isinstance(c.value, str)],
        [c.coordinate for c in cells if c.data_type == "f"],
    )


# One file per kind in the browser: the measures' CSV of Données (measure sources) and the labs' Excel file of
# Laboratoires (lab sources), each with formula payloads. That EVERY download button of the app writes its cells
# through the same neutralising export is proved without a browser: tests/observatoire/test_exporting.py
# (`test_every_download_button_goes_through_the_neutralising_export`: each `st.download_button` of components/
# and pages/ calls `exporting.to_csv_bytes` / `to_xlsx_bytes`, tested there cell by cell) and
# tests/app/test_downloads.py (every button of every page, its file made and read).
ONE_FILE_PER_KIND = (("/donnees", "donnees_mesures_csv"), ("/laboratoires?vue=tableau", "labos_dl_xlsx"))


def test_downloads_neutralise_formulas_one_file_per_kind(payload_server, browser, tmp_path):
    """Text starting with `=`, `+`, `-`, `@` in the data (measure and lab sources) never reaches a download as a
    formula: a CSV and an XLSX downloaded in the browser have the formula texts of the data prefixed with an
    apostrophe, no formula cell, and numbers (negative ones included) stay numbers."""
    from tests.e2e.test_pages import _download

    context = browser.new_context(
        viewport=VIEWPORT, locale="fr-FR", accept_downloads=True, service_workers="block"
    )
    context.set_default_timeout(30_000)
    files = []
    try:
        page = context.new_page()
        for path, key in ONE_FILE_PER_KIND:
            goto(page, payload_server.url + path, timeout=120_000)  # the first visit may build the database
            download = _download(page, page.locator(f'[data-testid="stMain"] .st-key-{key} button'))
            target = tmp_path / f"{key}-{download.suggested_filename}"
            download.save_as(target)
            assert target.suffix == "." + key.rsplit("_", 1)[-1], target.name
            files.append(target.name)
            texts, formulas = _cells_of(target)
            assert formulas == [], f"{target.name} : cellules formules {formulas[:5]}"
            for text in texts:
                assert not text.startswith(TRIGGERS) or (text.startswith("-") and _is_number(text)), (
                    f"{target.name} : cellule non neutralisée « {text[:60]} »"
                )
            neutralised = sum(1 for t in texts if t.startswith("'") and t[1:2] in "=+-@")
            assert neutralised >= 1, f"{target.name} : aucune formule des données n'a atteint ce fichier"
    finally:
        context.close()
    assert [f.rsplit(".", 1)[-1] for f in files] == ["csv", "xlsx"], files
