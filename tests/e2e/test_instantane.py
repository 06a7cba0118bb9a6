"""The instantané de séance in Chromium: opened from disk with the network cut, on a phone (390×844, mobile
emulation, touch) and on a projector (1280×720); then published from the Présentation page and served by the
running dashboard (and by every replica behind HAProxy).

Opened from disk (`file://`): every request of the browser is recorded and only `file://` is let through, the
context is offline: 0 request elsewhere, 0 Content-Security-Policy violation, no JavaScript error; no horizontal
overflow; axe-core finds no serious or critical violation; a tap (phone) or a hover (projector) on a bassin of the
map and on a point of an evolution shows its value; on the projector each slide fits one screen and → goes to the
next one. Screenshots: artifacts/screenshots/instantane-<width>-diapo-<n>.png.

Published: « Publier l'instantané (code QR) » on the title slide writes the file; the running server answers its
address with `text/html` (a static file: the page that opens it makes no other request — no websocket, so no
script run); the QR code of the slide encodes that address; « Ouvrir le tableau de bord » leads to the live view
with the same filters and data version.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from pathlib import Path

import pytest

from bench._server import goto, wait_idle
from observatoire import publication
from observatoire.exports import html
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from tests.e2e._oidc import guard_loopback
from tests.e2e.test_accessibility import blocking, describe, run_axe

PUBLISHED = "https://observatoire.example.fr/app/static/instantanes/0123456789abcdef0123456789abcdef.html"
LIVE = "https://observatoire.example.fr/?dep=57&version=1"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
READY = "html[data-instantane=pret]"
HOVER = ".hoverlayer .hovertext"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_CSP = """(() => { window.__violations = [];
  document.addEventListener('securitypolicyviolation',
                            e => window.__violations.push(e.blockedURI + ' ' + e.violatedDirective)); })();"""

_OVERFLOW = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    // plotly's measuring SVG lives far off-screen on purpose (left -10000 px): not an overflow
    if (r.right <= -1000) continue;
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1) && !el.closest('.obs-visually-hidden'))
      wide.push(el.tagName + '.' + (el.getAttribute('class') || '') + ' ' + Math.round(r.left) + '…' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width: vw, wide: wide.slice(0, 10)};
}"""


@pytest.fixture(scope="module")
def instantane(tmp_path_factory, con) -> Path:
    """The Moselle instantané of the demo store, written to disk as a user saves a download."""
    deck = builder.build_presentation(con, Filters(departements=("57",)), url=PUBLISHED)
    path = tmp_path_factory.mktemp("instantane") / html.html_file_name(deck)
    path.write_text(html.presentation_html(deck, dashboard_url=LIVE), encoding="utf-8")
    return path


def _offline_page(browser, path: Path, device: dict):  # noqa: ANN001, ANN202
    """A page with the network cut (offline context; every request recorded, only file:// let through)."""
    context = browser.new_context(locale="fr-FR", **device)
    context.set_offline(True)
    requests: list[str] = []

    def route(route, request) -> None:  # noqa: ANN001
        requests.append(request.url)
        if request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.add_init_script(_CSP)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(READY, state="attached", timeout=30_000)
    page.wait_for_timeout(200)
    return context, page, requests, errors


def _show(page, selector: str) -> None:  # noqa: ANN001
    page.evaluate(
        "(s) => { document.documentElement.style.scrollBehavior = 'auto';"
        " document.querySelector(s).scrollIntoView({block: 'center'}); }",
        selector,
    )
    page.wait_for_timeout(150)


def _point(page, selector: str) -> tuple[float, float]:  # noqa: ANN001
    box = page.locator(selector).first.bounding_box()
    assert box, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _touch_or_hover(page, x: float, y: float, touch: bool) -> str:  # noqa: ANN001
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y)
    page.wait_for_selector(HOVER, state="visible", timeout=5_000)
    return " ".join(t or "" for t in page.locator(HOVER).all_text_contents())


@pytest.mark.parametrize("name", ["390", "1280"])
def test_opened_from_disk_offline_on_a_phone_and_a_projector(browser, instantane, screenshots_dir, con, name):
    device = PHONE if name == "390" else PROJECTOR
    touch = name == "390"
    context, page, requests, errors = _offline_page(browser, instantane, device)
    try:
        outside = [url for url in requests if not url.startswith("file://")]
        assert outside == [], outside
        assert requests == [instantane.as_uri()]  # the document itself, nothing else
        assert page.evaluate("() => window.__violations") == []
        assert errors == []
        assert page.evaluate("() => document.documentElement.lang") == "fr"
        layout = page.evaluate(_OVERFLOW)
        assert layout["scroll"] <= layout["width"] and layout["wide"] == [], layout
        found = blocking(run_axe(page))
        assert found == [], f"axe-core, instantané {name} :\n{describe(found)}"
        # every figure drawn (plotly's SVG), at the width it has
        plots = page.locator(".obs-plot .main-svg")
        assert page.locator(".obs-plot").count() == 4 and plots.count() >= 4

        # the value of a bassin of the map: tap on a phone, mouse on a projector
        deck = builder.build_presentation(con, Filters(departements=("57",)), url=PUBLISHED)
        _show(page, "#figure-1")
        carte = next(s for s in deck.slides if s.kind == "carte")
        x, y = _point(page, "#figure-1 .annotation-text >> text=Thionville")  # its name: inside the bassin
        shown = _touch_or_hover(page, x, y, touch)
        value = next(t.text for t in carte.figure.figure.data if t.name == "Thionville")
        assert shown == value and re.fullmatch(r"Thionville : .*\d.* personnes?", shown), (shown, value)
        # the value of a school year on an evolution
        _show(page, "#figure-2")
        x, y = _point(page, "#figure-2 .scatterlayer .points path:last-child")
        shown = _touch_or_hover(page, x, y, touch)
        evolution = next(s for s in deck.slides if s.kind == "evolution")
        last = evolution.figure.alt.rsplit(" ; ", 1)[1].rstrip(".")
        assert (
            shown.replace("\u202f", " ")
            .replace("\u00a0", " ")
            .endswith(last.split(" : ", 1)[1].replace("\u202f", " ").replace("\u00a0", " "))
        ), (shown, last)
        assert "2023-2024" in shown

        if name == "1280":  # a projector: one slide per screen, → goes to the next one
            heights = page.evaluate(
                "() => [...document.querySelectorAll('.obs-slide')].map(s => "
                "[s.id, Math.round(s.getBoundingClientRect().height), s.scrollHeight])"
            )
            for section, height, scroll in heights:
                assert height <= 721 and scroll <= 721, (section, height, scroll)
            page.evaluate(
                "() => { document.documentElement.style.scrollBehavior = 'auto'; window.scrollTo(0, 0); }"
            )
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(200)
            top = page.evaluate("() => Math.round(document.getElementById('diapo-2').getBoundingClientRect().top)")
            assert abs(top) <= 2, top
        for number in range(1, len(deck.slides) + 1):
            page.evaluate(
                "(n) => { document.documentElement.style.scrollBehavior = 'auto';"
                " document.getElementById('diapo-' + n).scrollIntoView(); }",
                number,
            )
            page.mouse.move(1, 1) if not touch else None
            page.wait_for_timeout(120)
            page.screenshot(path=str(screenshots_dir / f"instantane-{name}-diapo-{number}.png"))
        assert [u for u in requests if not u.startswith("file://")] == []
    finally:
        context.close()


def test_printed_one_slide_per_page(browser, instantane, tmp_path):
    context, page, _, errors = _offline_page(browser, instantane, PROJECTOR)
    try:
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 9 <= pages <= 11, pages  # one page per slide (a long one may take two)
        assert errors == []
    finally:
        context.close()


# ------------------------------------------------------------------------------------------ published


def _get(url: str) -> tuple[int, str, bytes]:
    assert url.startswith("http://127.0.0.1:"), url
    with _OPENER.open(url, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def _qr_address(page) -> str:  # noqa: ANN001
    alt = page.locator(".obs-qr img").get_attribute("alt") or ""
    return alt.removeprefix("Code QR du lien de cette vue : ")


def test_published_from_the_page_and_served_by_the_running_dashboard(browser, server, screenshots_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
    outside = guard_loopback(context)
    page = context.new_page()
    written: Path | None = None
    try:
        goto(page, f"{server}/presentation?dep=57")
        live = _qr_address(page)
        assert re.fullmatch(rf"{re.escape(server)}/\?dep=57&version=\d+", live), live
        page.get_by_role("button", name="Publier l'instantané (code QR)").click()
        page.get_by_text("Le code QR mène à l'instantané publié").wait_for(timeout=60_000)
        wait_idle(page)
        address = _qr_address(page)
        match = re.fullmatch(rf"{re.escape(server)}/app/static/instantanes/([0-9a-f]{{32}})\.html", address)
        assert match, address
        written = publication.FOLDER / f"{match.group(1)}.html"
        assert written.is_file()
        page.mouse.move(1, 1)
        page.screenshot(path=str(screenshots_dir / "instantane-publie-1280.png"))
        # the server answers the address: a static HTML file, the one written
        status, kind, body = _get(address)
        assert status == 200 and kind.startswith("text/html"), (status, kind)
        assert body == written.read_bytes()
        text = body.decode("utf-8")
        assert f'href="{live.replace("&", "&amp;")}"' in text  # « Ouvrir le tableau de bord »
        assert f"Code QR de l&#x27;adresse : {address}" in text or f"Code QR de l'adresse : {address}" in text
        # a phone opens it: one request, the document; no websocket, so no script of the dashboard runs
        phone = browser.new_context(locale="fr-FR", **PHONE)
        requests: list[str] = []
        phone.on("request", lambda request: requests.append(request.url))
        try:
            opened = phone.new_page()
            opened.goto(address, wait_until="load")
            opened.wait_for_selector(READY, state="attached", timeout=30_000)
            assert requests == [address], requests
            assert "Département : 57 — Moselle" in opened.locator("#diapo-1").inner_text()
            opened.screenshot(path=str(screenshots_dir / "instantane-publie-390.png"))
            # « Ouvrir le tableau de bord »: the live view of the same filters and version
            opened.get_by_role("link", name="Ouvrir le tableau de bord", exact=True).click()
            opened.wait_for_url(live, timeout=30_000)
            wait_idle(opened)
            assert "Moselle" in opened.locator('[data-testid="stMain"]').inner_text()
        finally:
            phone.close()
        # the PPTX's QR code leads there too: the same deck value (its context URL) on the page
        assert page.locator(".obs-qr img").get_attribute("src").startswith("data:image/png;base64,")
        base64.b64decode(page.locator(".obs-qr img").get_attribute("src").split(",", 1)[1])
        assert outside == []
    finally:
        context.close()
        if written is not None:
            written.unlink(missing_ok=True)


@pytest.mark.slow
def test_every_replica_serves_an_instantane_published_through_one_of_them(browser, tmp_path):
    """Two replicas behind HAProxy: published from the page (whichever replica holds the session), the file is
    served by HAProxy and by EACH replica directly, with the same bytes."""
    from scripts.serve import cluster, haproxy_missing_message

    missing = haproxy_missing_message()
    if missing:
        pytest.skip(missing) if not _in_ci() else pytest.fail(missing)
    written: Path | None = None
    with cluster(replicas=2, store_dir=tmp_path / "store") as running:
        context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
        try:
            page = context.new_page()
            goto(page, f"{running.url}/presentation?dep=54")
            page.get_by_role("button", name="Publier l'instantané (code QR)").click()
            page.get_by_text("Le code QR mène à l'instantané publié").wait_for(timeout=60_000)
            address = _qr_address(page)
            assert address.startswith(f"{running.url}/app/static/instantanes/"), address
            written = publication.FOLDER / address.rsplit("/", 1)[1]
            expected = written.read_bytes()
            path = address.removeprefix(running.url)
            for base in (running.url, *running.replica_urls):
                status, kind, body = _get(base + path)
                assert (status, kind.split(";")[0], body == expected) == (200, "text/html", True), base
            # another browser, pinned to the other replica or not, gets the same address for the same séance
            other = browser.new_context(viewport={"width": 1280, "height": 720}, locale="fr-FR")
            try:
                second = other.new_page()
                goto(second, f"{running.url}/presentation?dep=54")
                assert _qr_address(second) == address
            finally:
                other.close()
        finally:
            context.close()
            if written is not None:
                written.unlink(missing_ok=True)


def _in_ci() -> bool:
    import os

    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
