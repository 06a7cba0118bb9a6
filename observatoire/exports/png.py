"""PNG images of plotly figures, rendered by kaleido 1.x in Debian's Chromium, and their export decoration.

- `figure_png(figure)`: drawn with the exports' own look (`observatoire.exports.look`: explicit template,
  margins and French tick labels; never the process's plotly default, which Streamlit changes); one
  persistent renderer per process (a Chromium started on the first call and kept), every call serialised
  by one lock (kaleido's shared server mixes up answers when several threads use it at once), restarted
  once when Chromium died. Nothing is downloaded: the browser is `BROWSER_PATH` or the first of
  `chromium`, `chromium-browser`, `google-chrome-stable`, `google-chrome` found on `PATH` (never
  `kaleido.get_chrome`); plotly.js is the copy shipped inside the plotly package; MathJax is off. Figures with
  a plotly « geo » subplot are refused (plotly.js would fetch its topojson base map from a CDN): maps are drawn
  with `observatoire.views.static_map` instead.
- `decorated(view_figure, context)`: a copy of the figure that says what it is once taken out of the page:
  title, its scope (`Context.scope_text`: territory, the filters that apply, the chosen ones that do not, said
  « non appliqué ») and data version on top, « Source : … » at the bottom, the « Données illustratives » badge.
- `png_file_name(title, context)`: a meaningful French file name, accents kept, safe on every file system
  (`exporting.export_file_name`: the same name as the chart's CSV and XLSX).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import textwrap
import threading
from concurrent.futures import TimeoutError as FutureTimeoutError
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go

from observatoire import exporting
from observatoire.exports import look
from observatoire.text import escape_html
from observatoire.views.model import Context
from observatoire.views.model import Figure as ViewFigure

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
START_TIMEOUT = 60.0  # seconds to start Chromium and load plotly.js
RENDER_TIMEOUT = 60.0  # seconds for one image (kaleido's own limit; ours adds a margin)

INK = "#161616"
TEXT_GREY = "#3A3A3A"
ILLUSTRATIVE_COLOR = "#9B4519"  # = observatoire.figures.sparkline.ILLUSTRATIVE_COLOR: text of the orange badge
ILLUSTRATIVE_BACKGROUND = "#FDEBD3"
ILLUSTRATIVE_LABEL = "Données illustratives"
TITLE_SIZE = 30
SUBTITLE_SIZE = 18
SOURCE_SIZE = 17
SOURCE_WRAP = 110  # characters per line of the source
SUBTITLE_WRAP = 120  # characters per line of the scope (territory, filters applied and not applied)
FONT_FAMILY = '"Marianne", "DejaVu Sans", "Liberation Sans", Arial, sans-serif'


class RendererUnavailableError(RuntimeError):
    """No browser to draw the images (French message, shown as is)."""


# ------------------------------------------------------------------------------------------- the renderer


def browser_path() -> str:
    """The Chromium used for images: `BROWSER_PATH` when set, else the first browser found on `PATH`."""
    configured = os.environ.get("BROWSER_PATH", "").strip()
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise RendererUnavailableError(
            f"BROWSER_PATH ne désigne pas un navigateur exécutable : {configured}. Indiquez le chemin de Chromium "
            "(paquet Debian « chromium », /usr/bin/chromium)."
        )
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise RendererUnavailableError(
        "Chromium est introuvable : les images ne peuvent pas être produites. Installez le paquet Debian "
        "« chromium » ou indiquez le chemin du navigateur dans la variable BROWSER_PATH (rien n'est téléchargé)."
    )


def _browser_errors() -> tuple[type[BaseException], ...]:
    from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

    return (BrowserClosedError, BrowserFailedError, ChannelClosedError, FutureTimeoutError, TimeoutError)


class _Renderer:
    """One kaleido `Kaleido` (one Chromium, one tab) driven by its own event loop in a daemon thread.

    Not thread-safe by itself: `figure_png` holds `_LOCK` around every use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido: Any = None
        self.starts = 0  # how many Chromium processes this renderer started (diagnostics, tests)

    def running(self) -> bool:
        return (
            self._kaleido is not None
            and self._thread is not None
            and self._thread.is_alive()
            and self._kaleido.subprocess.poll() is None
        )

    def start(self) -> None:
        import kaleido  # imported on first use: the app starts without loading the browser machinery

        if not PLOTLY_JS.is_file():  # kaleido would fall back to a CDN
            raise RendererUnavailableError(f"plotly.js est introuvable dans le paquet plotly ({PLOTLY_JS}).")
        path = browser_path()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="observatoire-png", daemon=True)
        thread.start()

        async def open_browser() -> Any:
            browser = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT, mathjax=False, path=path)
            await browser.open()
            return browser

        self._loop, self._thread = loop, thread
        try:
            self._kaleido = asyncio.run_coroutine_threadsafe(open_browser(), loop).result(START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.starts += 1

    def stop(self) -> None:
        loop, thread, browser = self._loop, self._thread, self._kaleido
        self._loop = self._thread = self._kaleido = None
        if loop is None:
            return
        if browser is not None:
            with contextlib.suppress(BaseException):  # a dead or stuck browser: its process group is killed below
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(15)
            process = getattr(browser, "subprocess", None)
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)  # choreographer starts it in its own session
                with contextlib.suppress(Exception):
                    process.wait(5)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        if thread is None or not thread.is_alive():
            loop.close()

    def render(self, figure: dict[str, Any], width: int, height: int, scale: float) -> bytes:
        if not self.running():
            self.start()
        assert self._loop is not None
        opts = {"format": "png", "width": width, "height": height, "scale": scale}
        future = asyncio.run_coroutine_threadsafe(self._kaleido.calc_fig(figure, opts=opts), self._loop)
        try:
            return bytes(future.result(RENDER_TIMEOUT + 10))
        except FutureTimeoutError:
            future.cancel()
            raise

    def browser_pids(self) -> tuple[int, ...]:
        """Process ids of the Chromium started for this renderer (children of choreographer's wrapper)."""
        if self._kaleido is None:
            return ()
        wrapper = self._kaleido.subprocess.pid
        try:
            children = Path(f"/proc/{wrapper}/task/{wrapper}/children").read_text().split()
        except OSError:
            return ()
        return tuple(int(pid) for pid in children)


_RENDERER = _Renderer()
_LOCK = threading.Lock()


def _stop_at_exit() -> None:
    with _LOCK:
        _RENDERER.stop()


atexit.register(_stop_at_exit)


def _uses_geo(figure: go.Figure) -> bool:
    layout = figure.layout.to_plotly_json()
    return any(key.startswith("geo") for key in layout) or any(
        trace.type in ("scattergeo", "choropleth") for trace in figure.data
    )


def export_spec(figure: go.Figure, *, width: int = 1600, height: int = 900, min_font: float = 0) -> dict:
    """What kaleido draws for `figure`: `look.export_figure` (the project's own template, margins and tick
    labels, whatever plotly default the process has), as a plain dict."""
    return look.export_figure(figure, width=width, height=height, min_font=min_font).to_dict()


def figure_png(
    figure: go.Figure, *, width: int = 1600, height: int = 900, scale: float = 1, min_font: float = 0
) -> bytes:
    """The figure as a PNG of `width × scale` by `height × scale` pixels (Chromium, kaleido), drawn with the
    exports' own look (`export_spec`: never the process's plotly template); `min_font`: smallest text in px.

    Raises `RendererUnavailableError` (French) when no browser is found, `ValueError` for a « geo »
    figure."""
    if _uses_geo(figure):
        raise ValueError(
            "Les cartes plotly « geo » demandent un fond de carte téléchargé : dessinez la carte "
            "avec observatoire.views.static_map."
        )
    spec = export_spec(figure, width=width, height=height, min_font=min_font)
    errors = _browser_errors()
    with _LOCK:
        try:
            return _RENDERER.render(spec, width, height, scale)
        except errors:
            pass  # Chromium died (or hung): start a new one and try once more
        except Exception:
            if _RENDERER.running():
                raise  # the figure itself is at fault
        _RENDERER.stop()
        return _RENDERER.render(spec, width, height, scale)


def renderer_browser_pids() -> tuple[int, ...]:
    """Chromium processes of the renderer (empty before the first image). For tests and diagnostics."""
    with _LOCK:
        return _RENDERER.browser_pids()


def shutdown_renderer() -> None:
    """Stop the renderer's Chromium (the next `figure_png` starts a new one)."""
    with _LOCK:
        _RENDERER.stop()


# -------------------------------------------------------------------------------------------- decoration


def source_text(source: str) -> str:
    """« Source : … » (the text is data: escaped), wrapped for the image width."""
    text = source.strip() or "non précisée"
    if text.lower().startswith("source"):
        text = text.split(":", 1)[1].strip() if ":" in text else text
    lines = textwrap.wrap(f"Source : {text}", SOURCE_WRAP) or [""]
    return "<br>".join(escape_html(line) for line in lines)


def _bottom_axis_room(figure: go.Figure) -> int:
    """Pixels the x axes drawn at the bottom need under the plot (tick labels and axis title), estimated."""
    room = 0
    layout = figure.layout
    for name in [key for key in layout.to_plotly_json() if key.startswith("xaxis")] or ["xaxis"]:
        axis = layout[name]
        if axis.visible is False or axis.side == "top" or axis.showticklabels is False:
            continue
        tick = axis.tickfont.size if axis.tickfont and axis.tickfont.size else 16
        need = int(tick * 1.6) + 12
        if axis.tickangle not in (None, 0):
            need += int(tick * 4)
        if axis.title and axis.title.text:
            title = axis.title.font.size if axis.title.font and axis.title.font.size else 16
            need += int(title * 1.6) + 8
        room = max(room, need)
    if layout.legend and layout.legend.orientation == "h" and (layout.legend.y or 1) < 0:
        room += 60
    return room


def decorated(view_figure: ViewFigure, context: Context) -> go.Figure:
    """A copy of the figure with its title, the filters and data version, the source and (when it applies) the
    orange « Données illustratives » badge, so that a saved image tells what it shows."""
    figure = go.Figure(view_figure.figure)
    axis_room = _bottom_axis_room(figure)
    source = source_text(view_figure.source)
    source_lines = source.count("<br>") + 1
    footer = int(SOURCE_SIZE * 1.5 * source_lines) + 24
    if view_figure.illustrative:
        footer = max(footer, 58)
    margin = figure.layout.margin
    left = margin.l if margin.l is not None else 80
    right = margin.r if margin.r is not None else 80
    bottom = max(margin.b if margin.b is not None else 0, 10) + axis_room + footer
    scope = textwrap.wrap(context.scope_text, SUBTITLE_WRAP) or [""]
    subtitle = "<br>".join(escape_html(line) for line in [*scope, context.version_text])
    # the title block's height, written out (plotly's title automargin alone let the plot climb under the
    # subtitle when a legend also pushed the margins), plus the tick labels of an axis drawn on top
    title_block = 22 + TITLE_SIZE * 1.3 + (len(scope) + 1) * SUBTITLE_SIZE * 1.35 + 26
    top_axes = max(
        (
            look.axis_room(figure, name)
            for name in look.axis_names(figure)
            if name.startswith("x") and figure.layout[name].side == "top"
        ),
        default=0.0,
    )
    top = int(title_block + top_axes + 8)
    figure.update_layout(
        title={
            "text": f"<b>{escape_html(view_figure.title)}</b>",
            "subtitle": {"text": subtitle, "font": {"size": SUBTITLE_SIZE, "color": TEXT_GREY}},
            "font": {"size": TITLE_SIZE, "color": INK},
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"l": 28, "t": 22, "b": 26},
            "automargin": True,
        },
        margin={"l": max(left, 28), "r": max(right, 28), "t": top, "b": bottom},
        paper_bgcolor="white",
        font={"family": FONT_FAMILY},
    )
    if figure.layout.plot_bgcolor in (None, "rgba(0,0,0,0)"):
        figure.layout.plot_bgcolor = "white"
    notes = [
        dict(
            text=source,
            x=0,
            xref="paper",
            xanchor="left",
            y=0,
            yref="paper",
            yanchor="top",
            yshift=-(axis_room + 12),
            showarrow=False,
            align="left",
            font={"size": SOURCE_SIZE, "color": TEXT_GREY},
            name="observatoire-source",
        )
    ]
    if view_figure.illustrative:
        notes.append(
            dict(
                text=f"<b>{ILLUSTRATIVE_LABEL}</b>",
                x=1,
                xref="paper",
                xanchor="right",
                y=0,
                yref="paper",
                yanchor="top",
                yshift=-(axis_room + 8),
                showarrow=False,
                bgcolor=ILLUSTRATIVE_BACKGROUND,
                bordercolor=ILLUSTRATIVE_COLOR,
                borderwidth=2,
                borderpad=7,
                font={"size": SOURCE_SIZE + 3, "color": ILLUSTRATIVE_COLOR},
                name="observatoire-badge",
            )
        )
    for note in notes:
        figure.add_annotation(**note)
    return figure


# -------------------------------------------------------------------------------------------- file names

safe_file_name = exporting.safe_file_name  # one rule for every exported file (CSV, XLSX, PNG)


def png_file_name(title: str, context: Context) -> str:
    """« Visites de l'ENT par année scolaire — Moselle.png »: title and filter values, accents kept — the name of
    the chart's CSV and XLSX with `.png` (`exporting.export_file_name`)."""
    return exporting.export_file_name(title, context, "png")
