"""A figure of the séminaire slides laid out again for a phone held upright (portrait, ≈ 360 px wide).

The slides' figures are drawn for a projector (16:9, fonts of 16–20 px, the map's legend on its right): on a
390 px screen the map's legend would not fit beside it (plotly then squeezes the map to nothing) and the
evolution chart would be 600 px tall for 300 px of width. `portrait_figure` returns a copy of such a figure with:

- fonts at `FONT_SIZE` (axis ticks and titles, legends, hover labels), markers smaller;
- the map (a figure whose y axis keeps the scale of x, `observatoire.views.static_map`) on the whole width,
  its legend BELOW it (classes then labs, the group title wrapped to the width), the bassins' names left out
  (seventeen names do not fit in 350 px: a tap on a bassin says its name and value, and the slide's text
  alternative names the leading bassins);
- a chart `CHART_HEIGHT` px tall, its legend (if any) below the plot.

Pure (plotly's dict form, no validation: a copy of the map through `go.Figure` costs ≈ 100 ms). The
Présentation page shows this copy instead of the projector's figure on a narrow portrait screen (a CSS media
query picks one of the two, `components.presentation`).
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

FONT_SIZE = 12
CHART_HEIGHT = 380
MAP_HEIGHT = 620
MAP_SHARE = 0.6  # of the map figure's height, for the map itself (the legend below takes the rest)
LEGEND_TITLE_WIDTH = 34  # characters per line of a legend group title
MARKER_SCALE = 0.7


def is_map(figure: dict[str, Any]) -> bool:
    """A map of `observatoire.views.static_map`: its y axis keeps the scale of x."""
    return figure.get("layout", {}).get("yaxis", {}).get("scaleanchor") == "x"


def wrap_title(text: str | None, width: int = LEGEND_TITLE_WIDTH) -> str | None:
    """« <b>Personnes concernées par les laboratoires, 2023-2024</b> » on lines of at most `width` characters.
    The text was escaped by its builder: lines break at spaces only (an entity such as `&amp;` has none)."""
    if not text:
        return text
    bold = text.startswith("<b>") and text.endswith("</b>")
    inner = (text[3:-4] if bold else text).replace("<br>", " ")
    lines = textwrap.wrap(inner, width, break_long_words=False, break_on_hyphens=False) or [inner]
    joined = "<br>".join(lines)
    return f"<b>{joined}</b>" if bold else joined


def _font(holder: dict[str, Any], size: int) -> None:
    holder.setdefault("font", {})["size"] = size


def portrait_figure(figure: Any) -> dict[str, Any]:
    """A copy of `figure` (a plotly figure or its dict) for a phone in portrait (see the module docstring)."""
    fig = copy.deepcopy(figure if isinstance(figure, dict) else figure.to_dict())
    layout = fig.setdefault("layout", {})
    layout.pop("width", None)
    layout["autosize"] = True
    _font(layout, FONT_SIZE)
    _font(layout.setdefault("hoverlabel", {}), FONT_SIZE + 1)
    legend = layout.setdefault("legend", {})
    _font(legend, FONT_SIZE)
    for trace in fig.get("data", []):
        marker = trace.get("marker")
        if isinstance(marker, dict) and isinstance(marker.get("size"), (int, float)):
            marker["size"] = max(6, round(marker["size"] * MARKER_SCALE))
        title = trace.get("legendgrouptitle")
        if isinstance(title, dict):  # an empty title keeps its font too: the legend's sizes are all the phone's
            if title.get("text"):
                title["text"] = wrap_title(title["text"])
            _font(title, FONT_SIZE)
    if is_map(fig):
        layout.update(height=MAP_HEIGHT, margin={"l": 4, "r": 4, "t": 4, "b": 4}, annotations=[])
        layout.setdefault("xaxis", {})["domain"] = [0, 1]
        layout.setdefault("yaxis", {})["domain"] = [1 - MAP_SHARE, 1]
        legend.update(
            x=0,
            xanchor="left",
            y=1 - MAP_SHARE - 0.02,
            yanchor="top",
            orientation="v",
            tracegroupgap=10,
            itemsizing="constant",
        )
        return fig
    for name in ("xaxis", "yaxis"):
        axis = layout.setdefault(name, {})
        axis.setdefault("tickfont", {})["size"] = FONT_SIZE
        if isinstance(axis.get("title"), dict):
            _font(axis["title"], FONT_SIZE)
    layout.update(height=CHART_HEIGHT, margin={"l": 4, "r": 8, "t": 36, "b": 4})
    legend.update(orientation="h", x=0, xanchor="left", y=-0.14, yanchor="top")
    return fig
