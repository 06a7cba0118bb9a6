"""The bassins map as a plain plotly figure: no base map, no tiles, no plotly « geo » subplot (whose topojson
comes from a CDN), so it draws the same with no network, on screen (`st.plotly_chart`) and in kaleido images.

Bassins are filled polygons (`go.Scatter`, `fill="toself"`) in an equirectangular projection centred on the
académie (x = longitude × cos 48,7°, y = latitude, one unit of x = one unit of y), départements are thick dark
outlines, labs are markers with a white outline, bassin names are written on the map, and the legend (classes
of the Carte page, same colours) stands beside it, on the right. Every text from data is HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import shape
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

from observatoire.figures.theme import THEME
from observatoire.text import escape_html

LATITUDE = 48.7  # centre of the académie: x = lon × cos(latitude) keeps the shapes right
X_SCALE = math.cos(math.radians(LATITUDE))
NO_DATA_COLOR = "#d9d9d9"  # = classification.NO_DATA_COLOR (legend grey of « pas de donnée »)
NO_DATA_LABEL = "pas de donnée"
OUTLINE = THEME.outline
DEPARTEMENT_LINE = THEME.departement_line
INK = THEME.ink
LAB_LABEL = "Laboratoire numérique"
FONT_SIZE = 20
NAME_SIZE = 15
SEPARATORS = ",\u00a0"  # = observatoire.figures.formatting.PLOTLY_SEPARATORS
HALO = "1px 1px 2px {0}, -1px -1px 2px {0}, 1px -1px 2px {0}, -1px 1px 2px {0}"
HIGHLIGHT_LINE = THEME.chosen_line  # the chosen bassins of the folium map (red: not a palette hue)
MUTED_INK = "#6a6a6a"  # names of the other bassins when one is highlighted


def _is_dark(color: str) -> bool:
    """True for a fill where white text reads better (relative luminance below 0,25; `#rrggbb` only)."""
    text = color.strip().lstrip("#")
    if len(text) != 6:
        return False
    try:
        channels = [int(text[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return False
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] < 0.25


def _polygons(geometry: Mapping[str, Any]) -> list[shapely.Polygon]:
    geom = shape(geometry)
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return [orient(p, 1.0) for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]


def _rings_xy(rings: Iterable[shapely.LinearRing]) -> tuple[list[float | None], list[float | None]]:
    """One path for several rings (None between them): outer rings counter-clockwise, holes clockwise, so that
    SVG's non-zero fill leaves the holes empty."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        if xs:
            xs.append(None)
            ys.append(None)
        for lon, lat in ring.coords:
            xs.append(lon * X_SCALE)
            ys.append(lat)
    return xs, ys


def _polygon_rings(polygons: Sequence[shapely.Polygon]) -> list[shapely.LinearRing]:
    return [ring for p in polygons for ring in (p.exterior, *p.interiors)]


def _label_point(polygons: Sequence[shapely.Polygon]) -> tuple[float, float]:
    """A point well inside the largest part (pole of inaccessibility; `representative_point` if that fails)."""
    largest = max(polygons, key=lambda p: p.area)
    try:
        point = polylabel(largest, tolerance=0.002)
    except Exception:  # noqa: BLE001 - degenerate shapes
        point = largest.representative_point()
    if not largest.contains(point):
        point = largest.representative_point()
    return point.x * X_SCALE, point.y


def _label_text(name: str) -> str:
    """The bassin's name, on two lines when it is long (« Saint-Dié-<br>des-Vosges »)."""
    if len(name) <= 12:
        return escape_html(name)
    for separator in ("–", " ", "-"):
        middle = len(name) // 2
        cuts = [i for i, c in enumerate(name) if c == separator]
        if cuts:
            cut = min(cuts, key=lambda i: abs(i - middle))
            head, tail = name[:cut + 1].rstrip(), name[cut + 1:].lstrip()
            if head and tail:
                return f"{escape_html(head)}<br>{escape_html(tail)}"
    return escape_html(name)


def bassins_map_figure(
    bassins: Mapping[str, Any],
    departements: Mapping[str, Any],
    colors: Mapping[str, str],
    names: Mapping[str, str],
    legend: Sequence[tuple[str, str]],
    legend_title: str,
    labs: pd.DataFrame | None = None,
    *,
    width: int = 1600,
    height: int = 900,
    values: Mapping[str, str] | None = None,
    highlight: str | None = None,
) -> go.Figure:
    """The bassins coloured by class (`colors`: bassin code → fill; missing → grey « pas de donnée »).

    `names`: bassin code → French name (else the GeoJSON `nom`); `legend`: (colour, French label) of each class,
    drawn beside the map under `legend_title`; `labs`: columns lon, lat, nom, couleur (optional `groupe`: one
    legend entry per group); `values`: bassin code → formatted value for the hover text (else the class label).
    """
    label_of = {color.lower(): label for color, label in legend}
    fig = go.Figure()
    features = sorted(bassins.get("features", []),
                      key=lambda f: -sum(len(p.interiors) for p in _polygons(f["geometry"])))  # holes first
    annotations: list[dict[str, Any]] = []
    chosen_rings: list[shapely.LinearRing] = []
    missing = False
    all_polygons: list[shapely.Polygon] = []
    for feature in features:
        props = feature.get("properties", {})
        code = str(props.get("code", ""))
        polygons = _polygons(feature["geometry"])
        if not polygons:
            continue
        all_polygons.extend(polygons)
        name = str(names.get(code) or props.get("nom") or code)
        color = colors.get(code)
        if not color:
            missing = True
        fill = color or NO_DATA_COLOR
        shown = (values or {}).get(code) or label_of.get(fill.lower()) or NO_DATA_LABEL
        hover = f"{escape_html(name)} : {escape_html(shown)}"
        xs, ys = _rings_xy(_polygon_rings(polygons))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill,
            line={"color": OUTLINE, "width": 1.2}, hoveron="fills", text=hover, hoverinfo="text",
            name=escape_html(name), showlegend=False, meta={"bassin": code},
        ))
        x, y = _label_point(polygons)
        chosen = highlight is not None and code == highlight
        muted = highlight is not None and not chosen and not _is_dark(fill)
        annotations.append(dict(
            x=x, y=y, xref="x", yref="y", text=f"<b>{_label_text(name)}</b>" if chosen else _label_text(name),
            showarrow=False, align="center",
            font={"size": NAME_SIZE + 3 if chosen else NAME_SIZE,
                  "color": "#ffffff" if _is_dark(fill) else MUTED_INK if muted else INK,
                  "shadow": HALO.format(INK if _is_dark(fill) else "#ffffff")},
        ))
        if chosen:
            chosen_rings = _polygon_rings(polygons)

    for feature in departements.get("features", []):
        polygons = _polygons(feature["geometry"])
        if not polygons:
            continue
        xs, ys = _rings_xy(_polygon_rings(polygons))
        dep_name = escape_html(feature.get("properties", {}).get("nom", ""))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", line={"color": DEPARTEMENT_LINE, "width": 3.5}, hoverinfo="skip",
            showlegend=False, name=dep_name,
        ))
    if chosen_rings:  # above the départements: the highlighted bassin reads at once
        xs, ys = _rings_xy(chosen_rings)
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", line={"color": HIGHLIGHT_LINE, "width": 5}, hoverinfo="skip",
            showlegend=False, name="observatoire-highlight", meta={"highlight": highlight},
        ))

    # Legend: one square per class (the bassin traces themselves stay out of it), then the labs.
    items = list(legend)
    if missing and NO_DATA_LABEL not in {label for _, label in items}:
        items.append((NO_DATA_COLOR, NO_DATA_LABEL))
    for color, label in items:
        fig.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", name=escape_html(label), hoverinfo="skip", showlegend=True,
            marker={"symbol": "square", "size": 24, "color": color, "line": {"color": OUTLINE, "width": 1}},
            legendgroup="classes", legendgrouptitle={"text": f"<b>{escape_html(legend_title)}</b>"},
        ))
    if labs is not None and not labs.empty:
        groups = labs.groupby("groupe", sort=False) if "groupe" in labs.columns else [(LAB_LABEL, labs)]
        for group, rows in groups:
            hover = [escape_html(n) for n in rows["nom"]]
            fig.add_trace(go.Scatter(
                x=[float(lon) * X_SCALE for lon in rows["lon"]], y=[float(lat) for lat in rows["lat"]],
                mode="markers", name=escape_html(group), showlegend=True, legendgroup="labs",
                marker={"size": 14, "color": list(rows["couleur"]), "line": {"color": "#ffffff", "width": 2.5}},
                text=hover, hovertemplate="%{text}<extra></extra>",
            ))

    if all_polygons:
        minx, miny, maxx, maxy = shapely.union_all(all_polygons).bounds
    else:
        minx, miny, maxx, maxy = 4.8, 47.8, 7.7, 49.6
    pad_x, pad_y = (maxx - minx) * 0.02, (maxy - miny) * 0.02
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": False}
    fig.update_layout(
        width=width, height=height, separators=SEPARATORS,
        paper_bgcolor="white", plot_bgcolor="white",
        font={"size": FONT_SIZE, "color": INK, "family": '"Marianne", "DejaVu Sans", Arial, sans-serif'},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={**axis, "range": [minx * X_SCALE - pad_x, maxx * X_SCALE + pad_x], "domain": [0, 0.64],
               "constrain": "domain"},
        yaxis={**axis, "range": [miny - pad_y, maxy + pad_y], "scaleanchor": "x", "scaleratio": 1,
               "constrain": "domain"},
        legend={"x": 0.66, "xanchor": "left", "y": 0.5, "yanchor": "middle", "font": {"size": FONT_SIZE},
                "itemsizing": "trace", "tracegroupgap": 28, "bgcolor": "rgba(255,255,255,0)",
                "groupclick": "toggleitem"},
        hoverlabel={"font": {"size": FONT_SIZE}},
        annotations=annotations, showlegend=True, dragmode="pan",
    )
    return fig


def carte_figure(bassins: Mapping[str, Any], departements: Mapping[str, Any], values: pd.DataFrame,
                 classes: Any, unit: str, labs: pd.DataFrame, legend_title: str) -> go.Figure:
    """The Carte page's map as a plain plotly figure (no tiles, no network), same classes, colours, values
    (« < 5 » for small counts) and labs, for its PNG image. `classes`: `classification.Classes`."""
    import textwrap

    from observatoire.figures.classification import MARKER_HEX, format_value, legend_items, main_theme, theme_style

    colors = {code: classes.color(b) for code, b in zip(values["code"], classes.bins, strict=True)}
    shown = {code: format_value(v, unit, classes.mask) for code, v in zip(values["code"], values["valeur"],
                                                                          strict=True)}
    markers = None
    if not labs.empty:
        colours = [MARKER_HEX[theme_style(main_theme(t))[1]] for t in labs["thematiques"]]
        markers = pd.DataFrame({"lon": labs["longitude"], "lat": labs["latitude"], "nom": labs["nom"],
                                "couleur": colours})
    names = dict(zip(values["code"], values["nom"], strict=True))
    figure = bassins_map_figure(bassins, departements, colors, names, legend_items(classes, unit), legend_title,
                                markers, values=shown)
    # a legend wider than its room pushes the right margin, and plotly then draws the bassins out of place
    # (scaleanchor + automargin): the title of the legend is wrapped
    wrapped = "<b>" + "<br>".join(escape_html(line) for line in textwrap.wrap(legend_title, 26)) + "</b>"
    figure.for_each_trace(lambda trace: trace.update(legendgrouptitle_text=wrapped),
                          selector=lambda trace: bool(trace.legendgrouptitle and trace.legendgrouptitle.text))
    return figure
