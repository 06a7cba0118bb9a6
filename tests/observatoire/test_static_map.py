"""The bassins map without base map nor plotly « geo »: shapes, names, legend beside it, PNG rendering."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from PIL import Image

from observatoire import config, geo
from observatoire.exports import png
from observatoire.views import static_map
from tests.helpers import require_renderer

PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")


@pytest.fixture(scope="module")
def layers():
    return geo.geojson_dict("bassins"), geo.geojson_dict("departements")


def _figure(layers, **extra):
    bassins, departements = layers
    codes = sorted(f["properties"]["code"] for f in bassins["features"])
    colors = {code: PALETTE[i % 5] for i, code in enumerate(codes) if code != "57-metz"}
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in bassins["features"]}
    legend = [(PALETTE[i], f"de {i * 10} à {i * 10 + 10} %") for i in range(5)]
    labs = pd.DataFrame(
        {
            "lon": [6.18, 6.17],
            "lat": [48.69, 49.12],
            "nom": ["Labo <Nancy>", "Labo Metz"],
            "couleur": ["#d63e2a", "#d63e2a"],
        }
    )
    extra.setdefault("latitude", config.academie().projection)  # the académie's projection, as the views draw it
    return static_map.bassins_map_figure(
        bassins, departements, colors, names, legend, "Part équipée (%)", labs, **extra
    ), codes


def test_one_filled_trace_per_bassin_and_no_geo(layers):
    figure, codes = _figure(layers)
    filled = [t for t in figure.data if t.fill == "toself"]
    assert len(filled) == 17
    assert sorted(t.meta["bassin"] for t in filled) == codes
    layout = figure.layout.to_plotly_json()
    assert not [k for k in layout if k.startswith(("geo", "map", "mapbox"))]
    assert {t.type for t in figure.data} == {"scatter"}
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["xaxis"]["visible"] is False
    metz = next(t for t in filled if t.meta["bassin"] == "57-metz")
    assert metz.fillcolor == static_map.NO_DATA_COLOR and metz.text == "Metz : pas de donnée"
    nancy = next(t for t in filled if t.meta["bassin"] == "54-nancy")
    assert nancy.text.startswith("Nancy : de ") and nancy.hoveron == "fills"


def test_shapes_are_scaled_and_departements_drawn(layers):
    x_scale = static_map.x_scale(config.academie().projection)  # the académie's projection
    figure, _ = _figure(layers)
    lines = [t for t in figure.data if t.fill != "toself" and t.mode == "lines"]
    assert len(lines) == 4 and all(t.line.width >= 3 for t in lines)
    xs = [x for t in figure.data if t.fill == "toself" for x in t.x if x is not None]
    assert max(xs) < 7.7 * x_scale + 0.01 and min(xs) > 4.8 * x_scale - 0.01


def test_names_legend_and_escaping(layers):
    figure, _ = _figure(layers)
    texts = [a.text.replace("<br>", " ") for a in figure.layout.annotations]
    bassins = layers[0]
    for feature in bassins["features"]:
        name = feature["properties"]["nom"]
        assert any(t.replace("– ", "–").replace("- ", "-") == name for t in texts), name
    legend = [t.name for t in figure.data if t.showlegend]
    assert legend == [f"de {i * 10} à {i * 10 + 10} %" for i in range(5)] + ["pas de donnée", static_map.LAB_LABEL]
    assert figure.layout.legend.x > max(figure.layout.xaxis.domain)  # beside the map, on the right
    labs = next(t for t in figure.data if t.name == static_map.LAB_LABEL)
    assert list(labs.text) == ["Labo &lt;Nancy&gt;", "Labo Metz"] and labs.marker.line.color == "#ffffff"
    assert "Part équipée (%)" in figure.data[-2].legendgrouptitle.text


def test_values_go_to_the_hover_text(layers):
    figure, _ = _figure(layers, values={"54-nancy": "12 345 visites"})
    nancy = next(t for t in figure.data if t.fill == "toself" and t.meta["bassin"] == "54-nancy")
    assert nancy.text == "Nancy : 12 345 visites"


def test_map_renders_to_png(layers):
    require_renderer()  # CI fails without Debian's Chromium, never skips
    figure, _ = _figure(layers)
    image = Image.open(io.BytesIO(png.figure_png(figure))).convert("RGB")
    assert image.size == (1600, 900)
    counts = dict((colour, n) for n, colour in image.getcolors(maxcolors=1 << 20))
    for hex_colour in (*PALETTE, static_map.NO_DATA_COLOR):
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert counts.get(rgb, 0) > 2000, hex_colour  # every class is painted
