"""The bassins map as a plain plotly figure: no base map, no tiles, no plotly « geo » subplot (whose topojson
comes from a CDN), so it draws the same with no network, on screen (`st.plotly_chart`) and in kaleido images.

Bassins are filled polygons (`go.Scatter`, `fill="toself"`) in an equirectangular projection centred on the
académie (x = longitude × cos 48,7°, y = latitude, one unit of x = one unit of y), départements are thick dark
outlines, labs are markers with a white outline, bassin names are written on the map, and the legend (classes
of the Carte page, same colours) stands beside it, on the right. Every text from data is HTML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import shape
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

from observatoire.figures.theme import THEME
from observatoire.text import escape_html


def x_scale(latitude: float) -> float:
    """x = lon × cos(latitude) keeps the shapes right around `latitude` (the académie's
    `carte.latitude_projection`, `Academie.projection`)."""
    return math.cos(math.radians(latitude))


NO_DATA_COLOR = "#d9d9d9"  # = classification.NO_DATA_COLOR (legend grey of « pas de donnée »)
NO_DATA_LABEL = "pas de donnée"
OUTSIDE_COLOR = "#ffffff"  # bassins outside the chosen territory: white, cross-hatched grey, grey name
OUTSIDE_LINE = "#b4b4b4"
OUTSIDE_HATCH = "#b3b3b3"
OUTSIDE_PATTERN = {"shape": "x", "fgcolor": OUTSIDE_HATCH, "bgcolor": OUTSIDE_COLOR, "size": 7, "solidity": 0.12}
"""The hatching tells « hors sélection » from the palest class (« 0 personne », #ffffcc) on a washed-out
projector, where white and pale yellow look alike; its legend square is crossed the same way."""
OUTSIDE_SYMBOL = "square-x-open"
OUTSIDE_LABEL = "hors sélection"
LABS_TITLE = "Thème des laboratoires"
LEGEND_WRAP = 30  # characters per line of a legend entry or title, at most
MIN_LEGEND_FONT = 14  # px: = observatoire.exports.look.MIN_SLIDE_PT (a slide picture is drawn 1 px = 1 pt)
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
        channels = [int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return False
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] < 0.25


def _polygons(geometry: Mapping[str, Any]) -> list[shapely.Polygon]:
    geom = shape(geometry)
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return [orient(p, 1.0) for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]


def _rings_xy(rings: Iterable[shapely.LinearRing], scale: float) -> tuple[list[float | None], list[float | None]]:
    """One path for several rings (None between them): outer rings counter-clockwise, holes clockwise, so that
    SVG's non-zero fill leaves the holes empty."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        if xs:
            xs.append(None)
            ys.append(None)
        for lon, lat in ring.coords:
            xs.append(lon * scale)
            ys.append(lat)
    return xs, ys


def _polygon_rings(polygons: Sequence[shapely.Polygon]) -> list[shapely.LinearRing]:
    return [ring for p in polygons for ring in (p.exterior, *p.interiors)]


def _label_point(polygons: Sequence[shapely.Polygon], scale: float) -> tuple[float, float]:
    """A point well inside the largest part (pole of inaccessibility; `representative_point` if that fails)."""
    largest = max(polygons, key=lambda p: p.area)
    try:
        point = polylabel(largest, tolerance=0.002)
    except Exception:  # noqa: BLE001 - degenerate shapes
        point = largest.representative_point()
    if not largest.contains(point):
        point = largest.representative_point()
    return point.x * scale, point.y


def _label_text(name: str) -> str:
    """The bassin's name, on two lines when it is long (« Saint-Dié-<br>des-Vosges »)."""
    if len(name) <= 12:
        return escape_html(name)
    for separator in ("–", " ", "-"):
        middle = len(name) // 2
        cuts = [i for i, c in enumerate(name) if c == separator]
        if cuts:
            cut = min(cuts, key=lambda i: abs(i - middle))
            head, tail = name[: cut + 1].rstrip(), name[cut + 1 :].lstrip()
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
    selection: Collection[str] | None = None,
    labs_title: str = LABS_TITLE,
    latitude: float | None = None,
) -> go.Figure:
    """The bassins coloured by class (`colors`: bassin code → fill; missing → grey « pas de donnée »).

    `names`: bassin code → French name (else the GeoJSON `nom`); `legend`: (colour, French label) of each class,
    drawn beside the map under `legend_title`; `labs`: columns lon, lat, nom, couleur (optional `groupe`: one
    legend entry per group — what the colour means, e.g. the lab's main thème — under `labs_title`); `values`:
    bassin code → formatted value for the hover text (else the class label); `selection`: the bassins of the
    chosen territory (None: all) — the others are drawn white, « hors sélection », never « pas de donnée ».
    The layout is fitted to `width` × `height` (`fit`: map on the left, legends beside it). `latitude`: of the
    projection (`Academie.projection`; default: the middle of the layers' latitudes).
    """
    if latitude is None:
        shapes = [
            p
            for layer in (bassins, departements)
            for f in layer.get("features", [])
            for p in _polygons(f["geometry"])
        ]
        south, north = shapely.union_all(shapes).bounds[1::2] if shapes else (0.0, 0.0)
        latitude = (south + north) / 2
    scale = x_scale(latitude)
    label_of = {color.lower(): label for color, label in legend}
    inside = None if selection is None else set(selection)
    outside_seen = False
    fig = go.Figure()
    features = sorted(
        bassins.get("features", []), key=lambda f: -sum(len(p.interiors) for p in _polygons(f["geometry"]))
    )  # holes first
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
        outside = inside is not None and code not in inside
        color = colors.get(code)
        if outside:
            outside_seen = True
            fill, shown = OUTSIDE_COLOR, OUTSIDE_LABEL
        else:
            if not color:
                missing = True
            fill = color or NO_DATA_COLOR
            shown = (values or {}).get(code) or label_of.get(fill.lower()) or NO_DATA_LABEL
        hover = f"{escape_html(name)} : {escape_html(shown)}"
        xs, ys = _rings_xy(_polygon_rings(polygons), scale)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=fill,
                fillpattern=OUTSIDE_PATTERN if outside else None,
                line={"color": OUTSIDE_LINE if outside else OUTLINE, "width": 1.2},
                hoveron="fills",
                text=hover,
                hoverinfo="text",
                name=escape_html(name),
                showlegend=False,
                meta={"bassin": code, "hors_selection": outside},
            )
        )
        x, y = _label_point(polygons, scale)
        chosen = highlight is not None and code == highlight
        muted = (highlight is not None and not chosen and not _is_dark(fill)) or outside
        annotations.append(
            dict(
                x=x,
                y=y,
                xref="x",
                yref="y",
                name=code,  # the bassin it names (`_spread_names` keeps it over that bassin)
                text=f"<b>{_label_text(name)}</b>" if chosen else _label_text(name),
                showarrow=False,
                align="center",
                font={
                    "size": NAME_SIZE + 3 if chosen else NAME_SIZE,
                    "color": "#ffffff" if _is_dark(fill) else MUTED_INK if muted else INK,
                    "shadow": HALO.format(INK if _is_dark(fill) else "#ffffff"),
                },
            )
        )
        if chosen:
            chosen_rings = _polygon_rings(polygons)

    for feature in departements.get("features", []):
        polygons = _polygons(feature["geometry"])
        if not polygons:
            continue
        xs, ys = _rings_xy(_polygon_rings(polygons), scale)
        dep_name = escape_html(feature.get("properties", {}).get("nom", ""))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": DEPARTEMENT_LINE, "width": 3.5},
                hoverinfo="skip",
                showlegend=False,
                name=dep_name,
            )
        )
    if chosen_rings:  # above the départements: the highlighted bassin reads at once
        xs, ys = _rings_xy(chosen_rings, scale)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": HIGHLIGHT_LINE, "width": 5},
                hoverinfo="skip",
                showlegend=False,
                name="observatoire-highlight",
                meta={"highlight": highlight},
            )
        )

    # Legend: one square per class (the bassin traces themselves stay out of it), then the labs.
    items = list(legend)
    if missing and NO_DATA_LABEL not in {label for _, label in items}:
        items.append((NO_DATA_COLOR, NO_DATA_LABEL))
    items = [(c, label) for c, label in items if label != OUTSIDE_LABEL]
    if outside_seen:
        items.append((OUTSIDE_COLOR, OUTSIDE_LABEL))
    for color, label in items:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=escape_html(label),
                hoverinfo="skip",
                showlegend=True,
                marker=(
                    {"symbol": OUTSIDE_SYMBOL, "size": 24, "color": OUTSIDE_HATCH, "line": {"width": 1.5}}
                    if label == OUTSIDE_LABEL
                    else {"symbol": "square", "size": 24, "color": color, "line": {"color": OUTLINE, "width": 1}}
                ),
                legendgroup="classes",
                legendgrouptitle={"text": f"<b>{escape_html(legend_title)}</b>"},
            )
        )
    if labs is not None and not labs.empty:
        grouped = "groupe" in labs.columns
        groups = labs.groupby("groupe", sort=False) if grouped else [(LAB_LABEL, labs)]
        for group, rows in groups:
            lab_names = [escape_html(n) for n in rows["nom"]]
            fig.add_trace(
                go.Scatter(
                    x=[float(lon) * scale for lon in rows["lon"]],
                    y=[float(lat) for lat in rows["lat"]],
                    mode="markers",
                    name=escape_html(group),
                    showlegend=True,
                    legendgroup="labs",
                    legendgrouptitle={"text": f"<b>{escape_html(labs_title)}</b>"}
                    if grouped and labs_title
                    else None,
                    marker={
                        "size": 14,
                        "color": list(rows["couleur"]),
                        "line": {"color": "#ffffff", "width": 2.5},
                    },
                    text=lab_names,
                    hovertemplate="%{text}<extra></extra>",
                )
            )

    outlines = all_polygons or [p for f in departements.get("features", []) for p in _polygons(f["geometry"])]
    if outlines:
        minx, miny, maxx, maxy = shapely.union_all(outlines).bounds
    else:  # nothing to draw: any square
        minx, miny, maxx, maxy = 0.0, 0.0, 1.0, 1.0
    pad_x, pad_y = (maxx - minx) * 0.02, (maxy - miny) * 0.02
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": False}
    x_range = [minx * scale - pad_x, maxx * scale + pad_x]
    y_range = [miny - pad_y, maxy + pad_y]
    fig.update_layout(
        width=width,
        height=height,
        separators=SEPARATORS,
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"size": FONT_SIZE, "color": INK, "family": '"Marianne", "DejaVu Sans", Arial, sans-serif'},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={**axis, "range": x_range, "domain": [0, 0.64], "constrain": "domain"},
        yaxis={**axis, "range": y_range, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        legend={
            "x": 0.66,
            "xanchor": "left",
            "y": 0.5,
            "yanchor": "middle",
            "font": {"size": FONT_SIZE},
            "itemsizing": "trace",
            "tracegroupgap": 28,
            "bgcolor": "rgba(255,255,255,0)",
            "groupclick": "toggleitem",
        },
        hoverlabel={"font": {"size": FONT_SIZE}},
        annotations=annotations,
        showlegend=True,
        dragmode="pan",
        meta={STATIC_MAP: {"aspect": (x_range[1] - x_range[0]) / (y_range[1] - y_range[0])}},
    )
    return fit(fig, width, height)


STATIC_MAP = "observatoire_carte"
"""Key of `layout.meta` that marks a figure of this module (and keeps the map's width / height ratio)."""


def is_static_map(figure: go.Figure) -> bool:
    meta = figure.layout.meta
    return isinstance(meta, dict) and STATIC_MAP in meta


def _wrapped(text: str, width: int = LEGEND_WRAP) -> str:
    """A legend text on several lines of at most `width` characters (plotly does not wrap legends); the text
    is already HTML-escaped, `<b>` kept; a text wrapped before is unwrapped first."""
    import textwrap

    bold = text.startswith("<b>") and text.endswith("</b>")
    inner = (text[3:-4] if bold else text).replace("<br>", " ")
    lines = textwrap.wrap(inner, width, break_on_hyphens=False) or [inner]
    joined = "<br>".join(lines)
    return f"<b>{joined}</b>" if bold else joined


LEGEND_EM = 0.58  # average width of a legend letter, in em (a generous estimate for DejaVu Sans / Marianne)
LEGEND_ENTRY = 1.55  # height of a legend entry, in em (measured in kaleido's Chromium: 21,2 px at 14 px)
LEGEND_LINE = 1.33  # each further line of a wrapped entry, in em (measured: 18 px at 14 px)


def _legend_size(texts: Sequence[str], size: float) -> tuple[float, float]:
    """(width, height) in px of a legend whose entries and title are `texts` (already wrapped)."""
    width = max(
        (
            len(line) * size * LEGEND_EM
            for t in texts
            for line in t.replace("<b>", "").replace("</b>", "").split("<br>")
        ),
        default=0.0,
    )
    extra = sum(t.count("<br>") for t in texts)
    return width + 2.2 * size + 16, (len(texts) * LEGEND_ENTRY + extra * LEGEND_LINE) * size + 8


def _group_texts(traces: Sequence[Any]) -> list[str]:
    titles = [t.legendgrouptitle.text for t in traces[:1] if t.legendgrouptitle and t.legendgrouptitle.text]
    return [t.name or "" for t in traces] + titles


def _wrap_traces(traces: Sequence[Any], chars: int) -> None:
    for trace in traces:
        trace.name = _wrapped(trace.name or "", chars)
        if trace.legendgrouptitle and trace.legendgrouptitle.text:
            trace.legendgrouptitle.text = _wrapped(trace.legendgrouptitle.text, chars)


def _chars(width: float, size: float) -> int:
    """Characters a legend line may hold in a column `width` px wide."""
    return int(max(14, min(LEGEND_WRAP + 20, (width - 2.2 * size - 16) / (size * LEGEND_EM))))


def _arrange(plan: str, classes: list, labs: list, column: float, size: float, gap: float) -> float:
    """Wrap the legend texts for the arrangement `plan` in a room `column` px wide; the height it needs."""
    half = (column - gap) / 2
    middle = -(-len(labs) // 2)
    if plan == "côte à côte":
        _wrap_traces(classes, _chars(half, size))
        _wrap_traces(labs, _chars(half, size))
        return max(_legend_size(_group_texts(classes), size)[1], _legend_size(_group_texts(labs), size)[1])
    if plan == "trois colonnes":
        _wrap_traces(classes, _chars(column, size))
        _wrap_traces(labs, _chars(half, size))
        return (
            _legend_size(_group_texts(classes), size)[1]
            + gap
            + max(
                _legend_size(_group_texts(labs[:middle]), size)[1],
                _legend_size(_group_texts(labs[middle:]), size)[1],
            )
        )
    _wrap_traces([*classes, *labs], _chars(column, size))
    if plan == "empilées":
        return _legend_size(_group_texts(classes), size)[1] + gap + _legend_size(_group_texts(labs), size)[1]
    return _legend_size(_group_texts([*classes, *labs]), size)[1]


def _plan(classes: list, labs: list, column: float, size: float, height: float, gap: float) -> tuple[str, float]:
    """The legend arrangement for a room `column` × `height` px: among « côte à côte » (classes | labs),
    « empilées » (classes over labs) and « trois colonnes » (classes over labs in two columns), the one that fits
    with the fewest wrapped lines (else the lowest); the texts are wrapped for it. Returns (arrangement, height
    it needs)."""
    plans = ("côte à côte", "empilées", "trois colonnes") if labs and classes else ("une",)
    scored = []
    for plan in plans:
        need = _arrange(plan, classes, labs, column, size, gap)
        wraps = sum(t.count("<br>") for t in _group_texts([*classes, *labs]))
        scored.append((need > height, wraps if need <= height else need, plans.index(plan), plan))
    best = min(scored)[3]
    return best, _arrange(best, classes, labs, column, size, gap)


def fit(figure: go.Figure, width: int, height: int) -> go.Figure:
    """Lay the map out for a picture of `width` × `height` px: the map as large as the height allows, on the
    left; the legends of the classes and of the labs beside it — side by side, one above the other, or the labs
    in two columns under the classes, whichever fits (`_plan`; the map gives up some width when none does) —,
    their long texts wrapped to the room they have, their size following the picture's height (20 px on a
    900 px image, never below 14); the bassin names moved apart where they would overlap; the whole centred.
    Changes `figure` in place (and returns it); a figure of another module is returned unchanged."""
    if not is_static_map(figure):
        return figure
    layout = figure.layout
    aspect = float(layout.meta[STATIC_MAP]["aspect"])
    margin = layout.margin
    inner_w = width - (margin.l or 0) - (margin.r or 0)
    inner_h = height - (margin.t or 0) - (margin.b or 0)
    size = float(max(MIN_LEGEND_FONT, min(FONT_SIZE, int(inner_h / 25))))
    classes = [t for t in figure.data if t.legendgroup == "classes" and t.showlegend]
    labs = [t for t in figure.data if t.legendgroup == "labs" and t.showlegend]
    for trace in [*classes, *labs]:  # unwrap: a figure fitted before is fitted again from its own texts
        trace.name = (trace.name or "").replace("<br>", " ")
        trace.legend = None
        if trace.legendgrouptitle and trace.legendgrouptitle.text:
            trace.legendgrouptitle.text = trace.legendgrouptitle.text.replace("<br>", " ")
        if trace.legendgrouptitle:
            trace.legendgrouptitle.font = {"size": size}
        if trace.legendgroup == "classes":
            trace.marker.size = round(size * 1.1)
    gap = max(16.0, 0.025 * inner_w)
    map_w = min(inner_h * aspect, inner_w * 0.6)
    plan, need = _plan(classes, labs, inner_w - map_w - gap, size, inner_h, gap)
    while need > inner_h and map_w > inner_w * 0.36:  # the map gives the legends some width
        map_w *= 0.9
        plan, need = _plan(classes, labs, inner_w - map_w - gap, size, inner_h, gap)
    middle = -(-len(labs) // 2)
    columns = {
        "côte à côte": [classes, labs],
        "empilées": [[*classes, *labs]],
        "trois colonnes": [classes, labs[:middle], labs[middle:]],
        "une": [[*classes, *labs]],
    }[plan]
    widths = [_legend_size(_group_texts(c), size)[0] for c in columns]
    if plan == "côte à côte":
        legends_w = widths[0] + gap + widths[1]
    elif plan == "trois colonnes":
        legends_w = max(widths[0], widths[1] + gap + widths[2])
    else:
        legends_w = max(widths)
    legends_w = min(legends_w, inner_w - map_w - gap)
    offset = max(0.0, (inner_w - (map_w + gap + legends_w)) / 2)
    start, end = offset / inner_w, (offset + map_w) / inner_w
    layout.xaxis.domain = [start, end]
    x = end + gap / inner_w
    common = {
        "font": {"size": size},
        "itemsizing": "trace",
        "bgcolor": "rgba(255,255,255,0)",
        "groupclick": "toggleitem",
        "xanchor": "left",
        "yanchor": "top",
        "tracegroupgap": 0,
    }
    top = min(1.0, 0.5 + need / 2 / inner_h)
    layout.legend2 = layout.legend3 = None
    if plan == "côte à côte":
        layout.legend.update(x=x, y=top, **common)
        layout.legend2 = {"x": x + (widths[0] + gap) / inner_w, "y": top, **common}
        for trace in labs:
            trace.legend = "legend2"
    elif plan == "trois colonnes":
        below = top - (_legend_size(_group_texts(classes), size)[1] + gap) / inner_h
        layout.legend.update(x=x, y=top, **common)
        layout.legend2 = {"x": x, "y": below, **common}
        layout.legend3 = {"x": x + (widths[1] + gap) / inner_w, "y": below, **common}
        for trace in labs[:middle]:
            trace.legend = "legend2"
        for trace in labs[middle:]:  # the title once, in the first column
            trace.legend = "legend3"
            trace.legendgrouptitle.text = ""
    else:
        layout.legend.update(x=x, y=top, **common)
        if plan == "empilées":
            for trace in labs:
                trace.legend = "legend"
            layout.legend.tracegroupgap = gap
    _spread_names(figure, map_w, inner_h)
    return figure


MARKER_BOX = 14 + 2 * 2.5  # a lab's marker with its white outline (px)
NAME_EM = 0.64  # width of a bassin name's letter with its halo, in em (generous: a name must clear a marker)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area (px²) shared by two boxes given as (centre x, centre y, width, height)."""
    dx = (a[2] + b[2]) / 2 - abs(a[0] - b[0])
    dy = (a[3] + b[3]) / 2 - abs(a[1] - b[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0


def _bassin_shapes(figure: go.Figure) -> dict[str, list[shapely.Polygon]]:
    """Each bassin's rings as drawn (figure coordinates), by code."""
    shapes: dict[str, list[shapely.Polygon]] = {}
    for trace in figure.data:
        meta = trace.meta if isinstance(trace.meta, dict) else {}
        if "bassin" not in meta or trace.x is None:
            continue
        ring: list[tuple[float, float]] = []
        for x, y in [*zip(trace.x, trace.y, strict=True), (None, None)]:
            if x is None or y is None:
                if len(ring) >= 3:
                    shapes.setdefault(meta["bassin"], []).append(shapely.Polygon(ring))
                ring = []
            else:
                ring.append((float(x), float(y)))
    return shapes


def _name_geometry(figure: go.Figure, scale: float) -> tuple[list[tuple[Any, float, float, float, float]], list]:
    """The bassin names as boxes (annotation, centre x, centre y, width, height; px from the map's corner, before
    any shift) and the labs' markers as boxes, at `scale` px per figure unit."""
    layout = figure.layout
    x0, y0 = layout.xaxis.range[0], layout.yaxis.range[0]
    markers = [
        ((x - x0) * scale, (y - y0) * scale, MARKER_BOX, MARKER_BOX)
        for trace in figure.data
        if trace.legendgroup == "labs" and trace.x is not None
        for x, y in zip(trace.x, trace.y, strict=True)
        if x is not None and y is not None
    ]
    notes = []
    for note in layout.annotations:
        if note.xref != "x" or not note.text:
            continue
        size = float(note.font.size or NAME_SIZE)
        lines = note.text.replace("<b>", "").replace("</b>", "").split("<br>")
        w = max(len(line) for line in lines) * size * NAME_EM + 6
        h = len(lines) * size * 1.2 + 2
        notes.append((note, (note.x - x0) * scale, (note.y - y0) * scale, w, h))
    return notes, markers


def covered_names(figure: go.Figure) -> list[str]:
    """The bassin names of a static map that a lab's marker covers, where they are drawn (tests, checks)."""
    scale = float((figure.layout.meta or {}).get("px_par_unite") or 0)
    if not scale:
        return []
    notes, markers = _name_geometry(figure, scale)
    return [
        str(note.text)
        for note, cx, cy, w, h in notes
        if any(_overlap((cx + float(note.xshift or 0), cy + float(note.yshift or 0), w, h), m) for m in markers)
    ]


def _spread_names(figure: go.Figure, map_w: float, map_h: float) -> None:
    """Each bassin name moves (`xshift`/`yshift`, px: up or down, or a little aside — `_moves`), staying over its
    bassin, to the place that covers the least of the names already placed (most of all) and of the labs'
    markers."""
    layout = figure.layout
    x0, x1 = layout.xaxis.range
    y0, y1 = layout.yaxis.range
    scale = min(map_w / (x1 - x0), map_h / (y1 - y0))
    layout.meta = {**(layout.meta if isinstance(layout.meta, dict) else {}), "px_par_unite": scale}
    shapes = _bassin_shapes(figure)
    notes, markers = _name_geometry(figure, scale)
    placed: list[tuple[float, float, float, float]] = []
    for note, cx, cy, w, h in notes:
        own = shapes.get(str(note.name or ""), [])
        best: tuple[float, float, float] | None = None
        for dx, dy in _moves(w, h):
            point = shapely.Point(note.x + dx / scale, note.y + dy / scale)
            if (dx or dy) and own and not any(part.contains(point) for part in own):
                continue  # a name never leaves its bassin
            box = (cx + dx, cy + dy, w, h)
            cost = 3 * sum(_overlap(box, p) for p in placed) + sum(_overlap(box, m) for m in markers)
            cost += abs(dx) + abs(dy)  # the nearer the better, at equal cover
            if best is None or cost < best[0]:
                best = (cost, dx, dy)
        dx, dy = (best[1], best[2]) if best is not None else (0.0, 0.0)
        note.xshift, note.yshift = round(dx), round(dy)
        placed.append((cx + dx, cy + dy, w, h))


def _moves(w: float, h: float) -> list[tuple[float, float]]:
    """Where a name may go from its place (px): up or down by up to 1,3 line, or a quarter of its width aside."""
    vertical = [(0.0, k * h) for k in (0.0, 0.5, -0.5, 0.9, -0.9, 1.3, -1.3)]
    aside = [(side * k * w, j * h) for k in (0.25, 0.4) for side in (1, -1) for j in (0.0, 0.5, -0.5)]
    return vertical + aside


def lab_markers(labs: pd.DataFrame, theme_labels: Mapping[str, str]) -> pd.DataFrame | None:
    """The labs as markers (columns lon, lat, nom, couleur, groupe): coloured by their main thème as on the
    Carte page, one legend entry per thème (`groupe`: its French label), thèmes in alphabetical order."""
    from observatoire.figures.classification import MARKER_HEX, main_theme, theme_style

    if labs is None or labs.empty:
        return None
    themes = [main_theme(t) for t in labs["thematiques"]]
    markers = pd.DataFrame(
        {
            "lon": labs["longitude"].astype(float).to_numpy(),
            "lat": labs["latitude"].astype(float).to_numpy(),
            "nom": labs["nom"].to_numpy(),
            "couleur": [MARKER_HEX[theme_style(t)[1]] for t in themes],
            "groupe": [theme_labels.get(t, t) or "Thème non précisé" for t in themes],
        }
    )
    return markers.sort_values(["groupe", "nom"], kind="stable").reset_index(drop=True)


def carte_figure(
    bassins: Mapping[str, Any],
    departements: Mapping[str, Any],
    values: pd.DataFrame,
    classes: Any,
    unit: str,
    labs: pd.DataFrame,
    legend_title: str,
    theme_labels: Mapping[str, str] | None = None,
    latitude: float | None = None,
) -> go.Figure:
    """The Carte page's map as a plain plotly figure (no tiles, no network), same classes, colours, values
    (« < 5 » for small counts) and labs (coloured by main thème, legend by thème), for its PNG image; the
    bassins outside the chosen départements are « hors sélection ». `classes`: `classification.Classes`."""
    from observatoire.figures.classification import format_value, legend_items

    colors = {code: classes.color(b) for code, b in zip(values["code"], classes.bins, strict=True)}
    shown = {
        code: format_value(v, unit, classes.mask) for code, v in zip(values["code"], values["valeur"], strict=True)
    }
    names = dict(zip(values["code"], values["nom"], strict=True))
    return bassins_map_figure(
        bassins,
        departements,
        colors,
        names,
        legend_items(classes, unit),
        legend_title,
        lab_markers(labs, theme_labels or {}),
        values=shown,
        selection=set(values["code"]),
        latitude=latitude,
    )
