"""The Présentation page in Chromium at the two projector sizes (1280×720, 1920×1080): every slide, reached
with the keyboard, fits the screen (no scrolling, no text cut or outside the viewport), the sidebar is hidden,
the QR code is a real image, no request leaves 127.0.0.1, and axe-core finds no serious/critical violation.

Screenshots: artifacts/screenshots/presentation-<width>-<slide>.png.
"""

from __future__ import annotations

import base64
import io
import re

import pytest
from PIL import Image

from bench._server import goto, wait_idle
from tests.e2e._oidc import guard_loopback
from tests.e2e.test_accessibility import blocking, describe, run_axe

pytestmark = pytest.mark.slow

SIZES = [(1280, 720), (1920, 1080)]
AXE_SLIDES = (1, 2, 3)
TEXTS = ".obs-slide-title, .obs-slide-subtitle, .obs-figure-value, .obs-figure-label, .obs-bullets li, .obs-source, button"

_LAYOUT = """(selector) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const vw = window.innerWidth, vh = window.innerHeight;
  const name = el => (el.className && typeof el.className === 'string' ? el.className.split(' ')[0] : el.tagName)
    + ' « ' + (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60) + ' »';
  const cut = [], outside = [];
  for (const el of main.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (el.scrollWidth > el.clientWidth + 1) cut.push(name(el) + ` ${el.scrollWidth} > ${el.clientWidth}`);
    if (r.left < -1 || r.top < -1 || r.right > vw + 1 || r.bottom > vh + 1)
      outside.push(name(el) + ` [${Math.round(r.left)}, ${Math.round(r.top)}, ${Math.round(r.right)}, `
                   + `${Math.round(r.bottom)}] in ${vw}×${vh}`);
  }
  const plot = main.querySelector('.js-plotly-plot');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  return {
    main: [main.scrollHeight, main.clientHeight],
    doc: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    cut, outside,
    plot: plot ? plot.getBoundingClientRect().height / vh : null,
    sidebar: !!sidebar && sidebar.getBoundingClientRect().width > 0 && getComputedStyle(sidebar).display !== 'none',
    counted: main.querySelectorAll(selector).length,
  };
}"""


def _counter(page) -> tuple[int, int]:  # noqa: ANN001
    text = page.locator(".obs-counter").inner_text().strip()
    match = re.fullmatch(r"(\d+) / (\d+)", text)
    assert match, text
    return int(match.group(1)), int(match.group(2))


def _wait_slide(page, index: int, count: int) -> None:  # noqa: ANN001
    page.wait_for_function(
        "([text]) => { const c = document.querySelector('.obs-counter'); return c && c.innerText.trim() === text; }",
        arg=[f"{index} / {count}"],
        timeout=60_000,
    )
    wait_idle(page)
    if page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').count():
        page.wait_for_selector('[data-testid="stMain"] .js-plotly-plot .main-svg', state="visible")
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(250)  # plotly's resize to the container


def _qr_image(page) -> Image.Image:  # noqa: ANN001
    img = page.locator(".obs-qr img")
    assert img.count() == 1
    assert img.evaluate("el => el.complete && el.naturalWidth > 0")
    assert (img.get_attribute("alt") or "").startswith("Code QR du lien de cette vue : http://127.0.0.1:")
    src = img.get_attribute("src") or ""
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    image.load()
    return image


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_slide_fits_the_screen_offline_and_accessible(browser, server, screenshots_dir, width, height):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="fr-FR", service_workers="block"
    )
    context.set_default_timeout(30_000)
    outside = guard_loopback(context)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        goto(page, server + "/presentation")
        first, count = _counter(page)
        assert first == 1 and count >= 7
        _wait_slide(page, 1, count)
        qr = _qr_image(page)
        assert qr.format == "PNG" and qr.width == qr.height >= 200
        assert 2 <= len(qr.convert("RGB").getcolors(maxcolors=1 << 16)) <= 4
        problems: list[str] = []
        for index in range(1, count + 1):
            assert _counter(page) == (index, count)
            # the slide is in the URL from the second one (the first is the default: never written)
            assert ("diapo=" + str(index) in page.url) if index > 1 else "diapo=" not in page.url
            layout = page.evaluate(_LAYOUT, TEXTS)
            where = f"{width}×{height}, diapositive {index}"
            if layout["main"][0] > layout["main"][1] + 1:
                problems.append(f"{where} : défilement vertical {layout['main']}")
            if layout["doc"][0] > layout["doc"][1] + 1:
                problems.append(f"{where} : défilement horizontal {layout['doc']}")
            problems += [f"{where} : texte coupé {c}" for c in layout["cut"]]
            problems += [f"{where} : hors de l'écran {c}" for c in layout["outside"]]
            if layout["plot"] is not None and layout["plot"] < 0.4:
                problems.append(f"{where} : graphique trop petit ({layout['plot']:.0%} de la hauteur)")
            assert not layout["sidebar"], where
            assert layout["counted"] >= 4, where  # title, buttons… were really measured
            page.screenshot(path=str(screenshots_dir / f"presentation-{width}-{index}.png"))
            if index in AXE_SLIDES:
                found = blocking(run_axe(page))
                assert found == [], f"axe-core, {where} :\n{describe(found)}"
            if index < count:
                page.locator("body").press("ArrowRight")  # the keyboard, as with a presentation remote
                _wait_slide(page, index + 1, count)
        assert page.locator(".st-key-pres_next button").evaluate_all(
            "els => els.length && els.every(e => e.disabled)"
        )
        page.locator("body").press("ArrowLeft")
        _wait_slide(page, count - 1, count)
        assert problems == [], "\n".join(problems)
        assert errors == [], errors
        assert outside == [], outside
    finally:
        context.close()
