"""Real PNG rendering: kaleido 1.x driving Debian's Chromium (found on PATH or BROWSER_PATH, never downloaded).

Skipped when no Chromium is installed. No timed assertion: the timings are in the report of the change."""

from __future__ import annotations

import io
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go
import pytest
from PIL import Image

from observatoire.exports import png
from observatoire.views.model import Context, Figure
from tests.helpers import require_renderer


@pytest.fixture(autouse=True)
def _renderer() -> None:
    require_renderer()  # CI fails without Debian's Chromium, never skips


PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")


def _image(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _bars(index: int) -> go.Figure:
    """A bar chart that differs from the others by its heights and colour."""
    return go.Figure(
        go.Bar(
            x=["a", "b", "c"],
            y=[index + 1, 16 - index, (index * 7) % 11 + 1],
            marker={"color": PALETTE[index % len(PALETTE)]},
        ),
        layout={"template": "simple_white", "showlegend": False, "margin": {"l": 20, "r": 20, "t": 20, "b": 20}},
    )


def test_line_figure_png_has_the_size_and_is_not_blank():
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], line={"width": 6, "color": "#0072B2"}))
    image = _image(png.figure_png(figure, width=800, height=450))
    assert image.size == (800, 450)
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 10
    blue = sum(n for n, (r, g, b) in colours if b > 150 and r < 60)
    assert blue > 500  # the line is drawn
    assert _image(png.figure_png(figure, width=400, height=300, scale=2)).size == (800, 600)


def test_decorated_figure_renders():
    context = Context("Académie de Nancy-Metz", ("Département : 57 — Moselle",), "2023-2024", 2, "01/10/2026")
    view = Figure("x", "Visites de l'ENT", _bars(1), "barres", source="Bilan DRANE", illustrative=True)
    image = _image(png.figure_png(png.decorated(view, context)))
    assert image.size == (1600, 900)
    badge = sum(1 for r, g, b in image.getdata() if (r, g, b) == (0xFD, 0xEB, 0xD3))
    assert badge > 1000  # the badge's light orange background


def test_geo_figures_are_refused():
    with pytest.raises(ValueError, match="static_map"):
        png.figure_png(go.Figure(go.Scattergeo(lon=[6], lat=[48])))


def test_concurrent_calls_each_get_their_own_image():
    figures = [_bars(i) for i in range(16)]
    expected = [_image(png.figure_png(f, width=320, height=240)) for f in figures]
    assert len({e.tobytes() for e in expected}) == 16  # the figures do differ
    barrier = threading.Barrier(4)

    def worker(start: int) -> list[tuple[int, bytes]]:
        barrier.wait()
        indexes = range(start, 16, 4)
        return [(i, png.figure_png(figures[i], width=320, height=240)) for i in indexes]

    with ThreadPoolExecutor(4) as pool:
        results = [r for chunk in pool.map(worker, range(4)) for r in chunk]
    assert len(results) == 16
    for index, data in results:
        assert _image(data).tobytes() == expected[index].tobytes(), f"figure {index} got another image"


def _wait_gone(pid: int) -> None:
    for _ in range(100):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().split()[2] == "Z":
                    return
        except (FileNotFoundError, ProcessLookupError):  # reaped between the open and the read: ESRCH
            return
        time.sleep(0.05)


def test_renderer_restarts_when_chromium_dies():
    figure = _bars(3)
    reference = _image(png.figure_png(figure, width=320, height=240)).tobytes()
    pids = png.renderer_browser_pids()
    assert pids, "the renderer's Chromium process was not found"
    with open(f"/proc/{pids[0]}/cmdline", "rb") as handle:
        assert b"chrom" in handle.read().lower()
    os.kill(pids[0], signal.SIGKILL)
    _wait_gone(pids[0])
    assert _image(png.figure_png(figure, width=320, height=240)).tobytes() == reference
    new = png.renderer_browser_pids()
    assert new and new[0] != pids[0]
    assert _image(png.figure_png(_bars(4), width=320, height=240)).size == (320, 240)
