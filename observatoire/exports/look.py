"""The look of every exported figure — PNG downloads, PPTX pictures, the maps of the PDF fiches — whatever
the process that renders it.

Why: importing `streamlit.elements.plotly_chart` sets `plotly.io.templates.default = "streamlit"`, and every
figure built afterwards carries that template (no axis automargin, placeholder colours that only Streamlit's
front end replaces). A figure built for the screen may keep it; an exported one never does:
`export_figure` (called by `png.figure_png` for every image) replaces the template with `EXPORT_TEMPLATE`,
turns automargin on for every axis (an axis title is then placed after its tick labels, never over them),
writes the tick labels of each numeric axis itself (French numbers: `formatting.number`, thin no-break space
for thousands) and makes the margins wide enough for the longest of them plus the axis title. So the same
figure gives the same picture in the command line, in the app's server and in a test.

Legibility rule (séminaire des cadres, read from the back of the room):
- a picture is drawn AT THE SIZE IT IS SHOWN: one CSS pixel of the figure is one point of the slide
  (`canvas_for(width_pt, height_pt)`), the image is rendered `SLIDE_SCALE` times larger for sharpness;
- so a font of N px in the figure reads N pt on the slide, and every text of a slide picture — tick labels,
  bassin names, legends, bar labels, titles — is at least `MIN_SLIDE_PT` (14) px in its layout
  (`export_figure(..., min_font=MIN_SLIDE_PT)` raises smaller ones; `font_sizes` lists them for the tests).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go

from observatoire.figures import formatting

MIN_SLIDE_PT = 14
"""Smallest text on a slide, in points (slide text boxes and chart pictures alike)."""
SLIDE_SCALE = 3
"""Pixels rendered per point of a slide picture (216 dpi: sharp on a projector and when printed)."""
FONT_FAMILY = '"Marianne", "DejaVu Sans", "Liberation Sans", Arial, sans-serif'
INK = "#161616"
GRID = "#DDDDDD"
BASE_FONT = 16
CHAR_EM = 0.62
"""Average width of a digit or letter of the fonts above, in em (DejaVu Sans digits: 0,636 em): a generous
estimate for the room a tick label needs."""
TICK_PAD = 10  # px between the tick labels and the plot, and around them

EXPORT_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": BASE_FONT, "color": INK},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"],
        "separators": formatting.PLOTLY_SEPARATORS,
        "xaxis": {
            "automargin": True,
            "gridcolor": GRID,
            "linecolor": "#888888",
            "zerolinecolor": "#888888",
            "title": {"standoff": 12},
            "ticks": "outside",
            "ticklen": 8,
            "tickcolor": "rgba(0,0,0,0)",
        },
        "yaxis": {
            "automargin": True,
            "gridcolor": GRID,
            "linecolor": "#888888",
            "zerolinecolor": "#888888",
            "title": {"standoff": 12},
            "ticks": "",
        },
        "legend": {"bgcolor": "rgba(255,255,255,0)", "font": {"color": INK}},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
)
"""The project's own plotly template for exported figures: nothing comes from plotly's or Streamlit's default."""


def canvas_for(width_pt: float, height_pt: float) -> tuple[int, int]:
    """The figure size (CSS px) of a picture shown `width_pt` × `height_pt` points on a slide: 1 px = 1 pt."""
    return max(1, round(width_pt)), max(1, round(height_pt))


def text_width(text: str, size: float) -> float:
    """Estimated width in px of `text` at `size` px (plotly's `<br>` starts a new line)."""
    lines = str(text).replace("<br>", "\n").split("\n")
    plain = [line.replace("<b>", "").replace("</b>", "") for line in lines]
    return max((len(line) for line in plain), default=0) * size * CHAR_EM


# ------------------------------------------------------------------------------------------ axes and ticks


def axis_names(figure: go.Figure) -> list[str]:
    layout = figure.layout.to_plotly_json()
    names = {key for key in layout if key.startswith(("xaxis", "yaxis"))}
    for trace in figure.data:
        for letter in ("x", "y"):
            ref = getattr(trace, f"{letter}axis", None) or letter
            names.add(f"{letter}axis{ref[1:]}")
    return sorted(names)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))


def axis_values(figure: go.Figure, name: str) -> tuple[list[float], bool]:
    """The numeric values drawn on axis `name` (`xaxis`, `yaxis2`…) and whether any value is a text (then
    the axis is categorical)."""
    letter, suffix = name[0], name[5:]
    ref = letter + suffix
    values: list[float] = []
    text = False
    for trace in figure.data:
        if (getattr(trace, f"{letter}axis", None) or letter) != ref:
            continue
        data = getattr(trace, letter, None)
        if data is None:
            continue
        for value in data:
            if value is None:
                continue
            if _is_number(value):
                values.append(float(value))
            elif isinstance(value, str):
                text = True
    return values, text


def _bars_on(figure: go.Figure, name: str) -> bool:
    letter, ref = name[0], name[0] + name[5:]
    for trace in figure.data:
        if trace.type != "bar" or (getattr(trace, f"{letter}axis", None) or letter) != ref:
            continue
        horizontal = trace.orientation == "h"
        if (letter == "x") == horizontal:
            return True
    return False


def nice_step(span: float, integer: bool, target: int = 5) -> float:
    """A step of 1, 2, 2,5 or 5 × 10ⁿ giving the number of intervals over `span` closest to `target` (at most
    8; ≥ 1 for whole numbers)."""
    if span <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(span / target))
    candidates = [factor * power * scale for scale in (0.1, 1, 10) for factor in (1, 2, 2.5, 5)]
    candidates = [c for c in candidates if span / c <= 8 and (not integer or float(c).is_integer())] or [
        max(candidates)
    ]
    return min(candidates, key=lambda c: (abs(span / c - target), -c))


def _decimals(step: float) -> int:
    for decimals in range(0, 4):
        if abs(round(step, decimals) - step) < 1e-9:
            return decimals
    return 3


def value_ticks(
    low: float, high: float, integer: bool, prefix: str = "", suffix: str = ""
) -> tuple[list[float], list[str]]:
    """Tick values between `low` and `high` and their French labels (`30 000 000`, `12,5 %`)."""
    step = nice_step(high - low, integer)
    decimals = _decimals(step)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    values = [round(k * step, 6) for k in range(first, last + 1)]
    texts = [
        f"{prefix}{formatting.number(v, 0 if float(v).is_integer() else decimals)}{suffix}".replace(
            formatting.NBSP, "\u00a0"
        )
        for v in values
    ]
    return values, texts


def _range(figure: go.Figure, axis: Any, values: list[float], bars: bool) -> tuple[float, float]:
    if axis.range is not None and all(_is_number(v) for v in axis.range):
        low, high = (float(v) for v in axis.range)
        return min(low, high), max(low, high)
    low, high = min(values), max(values)
    if axis.rangemode == "tozero" or bars:
        low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or abs(high) or 1.0
    pad = span * 0.06
    return (low if low == 0 else low - pad), (high if high == 0 else high + pad)


def _set_ticks(figure: go.Figure, name: str) -> None:
    """Numeric axis `name`: its range, tick values and French tick labels written out (`tickmode = array`)."""
    axis = figure.layout[name]
    values, text = axis_values(figure, name)
    if axis.type in ("category", "multicategory", "date", "log") or text or not values:
        return
    low, high = _range(figure, axis, values, _bars_on(figure, name))
    integer = all(float(v).is_integer() for v in values)
    suffix = axis.ticksuffix or ""
    prefix = axis.tickprefix or ""
    ticks, labels = value_ticks(low, high, integer, prefix, suffix)
    axis.update(
        range=[low, high],
        tickmode="array",
        tickvals=ticks,
        ticktext=labels,
        ticksuffix="",
        tickprefix="",
        showgrid=True,
        autorange=False,
    )


def tick_labels(axis: Any) -> list[str]:
    """The labels an axis will draw when they are written out (`ticktext`, else its categories)."""
    if axis.ticktext:
        return [str(t) for t in axis.ticktext]
    if axis.categoryarray is not None:
        return [str(t) for t in axis.categoryarray]
    return []


def _font_size(font: Any, default: float) -> float:
    return float(font.size) if font is not None and font.size else default


def axis_room(figure: go.Figure, name: str) -> float:
    """Pixels axis `name` needs beside the plot: its longest tick label (and the title after it)."""
    axis = figure.layout[name]
    base = _font_size(figure.layout.font, BASE_FONT)
    if axis.visible is False:
        return 0.0
    labels = tick_labels(axis) if axis.showticklabels is not False else []
    if not labels and axis.showticklabels is not False:
        values, _ = axis_values(figure, name)
        labels = [formatting.number(v) for v in values[:200]]
    size = _font_size(axis.tickfont, base)
    if name.startswith("y"):
        room = max((text_width(t, size) for t in labels), default=0.0)
    else:
        room = size * 1.4 * max((str(t).count("<br>") + 1 for t in labels), default=0) if labels else 0.0
    if axis.title and axis.title.text:
        room += _font_size(axis.title.font, base) * 1.4 + (axis.title.standoff or 12)
    return room + TICK_PAD if room else 0.0


# ------------------------------------------------------------------------------------------------- fonts


def _texts(figure: go.Figure) -> Iterator[tuple[str, Any, float]]:
    """(what, the font object or None, inherited size) of every text a figure draws."""
    layout = figure.layout
    base = _font_size(layout.font, 12.0)
    yield "police", layout.font, 12.0
    if layout.title and layout.title.text:
        yield "titre", layout.title.font, base * 1.2
    for name in axis_names(figure):
        axis = layout[name]
        if axis.visible is False:
            continue
        if axis.showticklabels is not False:
            yield f"{name} graduations", axis.tickfont, base
        if axis.title and axis.title.text:
            yield f"{name} titre", axis.title.font, base
    if layout.showlegend is not False and any(t.showlegend is not False for t in figure.data):
        yield "légende", layout.legend.font if layout.legend else None, base
        for trace in figure.data:
            title = trace.legendgrouptitle
            if title and title.text:
                yield "titre de légende", title.font, base
    for index, note in enumerate(layout.annotations or ()):
        if note.text:
            yield f"annotation {index}", note.font, base
    for index, trace in enumerate(figure.data):
        if getattr(trace, "text", None) is not None and trace.type == "bar":
            yield f"texte de la trace {index}", trace.textfont, base


def font_sizes(figure: go.Figure) -> list[tuple[str, float]]:
    """(what, size in px) of every text the figure draws, inherited sizes resolved."""
    return [(what, _font_size(font, default)) for what, font, default in _texts(figure)]


def _raise_fonts(figure: go.Figure, minimum: float) -> None:
    for _, font, default in list(_texts(figure)):
        if font is None:
            continue
        if _font_size(font, default) < minimum:
            font.size = minimum
    legend = figure.layout.legend
    if legend is not None and _font_size(legend.font, _font_size(figure.layout.font, 12.0)) < minimum:
        legend.font.size = minimum


# ------------------------------------------------------------------------------------------- the figure


def export_figure(figure: go.Figure, *, width: int, height: int, min_font: float = 0) -> go.Figure:
    """A copy of `figure` that looks the same in every process (see the module docstring), `width` × `height`
    CSS px; `min_font`: every text at least that many px (`MIN_SLIDE_PT` for a slide picture)."""
    fig = go.Figure(figure)
    fig.layout.template = EXPORT_TEMPLATE
    fig.update_layout(width=width, height=height, autosize=False)
    if not fig.layout.font.family:
        fig.layout.font.family = FONT_FAMILY
    if not fig.layout.font.size:
        fig.layout.font.size = BASE_FONT
    if not fig.layout.separators:
        fig.layout.separators = formatting.PLOTLY_SEPARATORS
    for part in ("paper_bgcolor", "plot_bgcolor"):
        if fig.layout[part] in (None, "rgba(0,0,0,0)", "transparent"):
            fig.layout[part] = "white"
    if min_font:
        _raise_fonts(fig, min_font)
    rooms = {"l": 0.0, "r": 0.0, "t": 0.0, "b": 0.0}
    for name in axis_names(fig):
        axis = fig.layout[name]
        if axis.visible is False:
            continue
        axis.automargin = True
        if axis.title and axis.title.text and axis.title.standoff is None:
            axis.title.standoff = 12
        _set_ticks(fig, name)
        if axis.type == "category" or tick_labels(axis) == []:
            axis.showgrid = bool(axis.showgrid) if axis.showgrid is not None else False
        if name.startswith("y"):
            side = "r" if axis.side == "right" else "l"
        else:
            side = "t" if axis.side == "top" else "b"
        rooms[side] = max(rooms[side], axis_room(fig, name))
    margin = fig.layout.margin
    current = {"l": margin.l, "r": margin.r, "t": margin.t, "b": margin.b}
    fig.layout.margin.update(
        {side: max(int(math.ceil(rooms[side])) + 8, current[side] or 0, 10) for side in rooms}
    )
    return fig
