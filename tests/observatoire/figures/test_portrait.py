"""The slides' figures laid out again for a phone held upright (`observatoire.figures.portrait`): the map on the
whole width with its legend below it, a chart with small fonts and its legend below, the original untouched.
Drawn in Chromium at 390×844 by tests/e2e/test_phone.py::test_presentation_readable_upright."""

from __future__ import annotations

import copy

import pandas as pd
import plotly.graph_objects as go
import pytest

from observatoire import geo
from observatoire.figures import charts, portrait
from observatoire.views import static_map

PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
TITLE = "Personnes concernées par les laboratoires &amp; les « tiers-lieux », 2023-2024"


@pytest.fixture(scope="module")
def map_figure() -> go.Figure:
    bassins, departements = geo.geojson_dict("bassins"), geo.geojson_dict("departements")
    codes = sorted(f["properties"]["code"] for f in bassins["features"])
    colors = {code: PALETTE[i % 5] for i, code in enumerate(codes)}
    names = {f["properties"]["code"]: f["properties"]["nom"] for f in bassins["features"]}
    legend = [(PALETTE[i], f"de {i * 10} à {i * 10 + 10} personnes") for i in range(5)]
    labs = pd.DataFrame({"lon": [6.18], "lat": [48.69], "nom": ["Labo Nancy"], "couleur": ["#d63e2a"]})
    figure = static_map.bassins_map_figure(bassins, departements, colors, names, legend, "titre", labs)
    figure.for_each_trace(
        lambda t: t.update(legendgrouptitle_text=f"<b>{TITLE}</b>"),
        selector=lambda t: bool(t.legendgrouptitle and t.legendgrouptitle.text),
    )
    return figure


def _sizes(node: object) -> list[float]:
    """Every font size set anywhere in a plotly dict."""
    found: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "font" and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                found.append(value["size"])
            found += _sizes(value)
    elif isinstance(node, list):
        for item in node:
            found += _sizes(item)
    return found


def test_the_map_takes_the_width_and_its_legend_goes_below(map_figure):
    before = copy.deepcopy(map_figure.to_dict())
    assert portrait.is_map(before) and max(_sizes(before)) >= 20  # the projector's figure
    fig = portrait.portrait_figure(map_figure)
    assert map_figure.to_dict() == before  # a copy: the slide's own figure is untouched
    layout = fig["layout"]
    assert layout["xaxis"]["domain"] == [0, 1]
    bottom_of_map = layout["yaxis"]["domain"][0]
    assert layout["legend"]["y"] < bottom_of_map and layout["legend"]["yanchor"] == "top"
    assert layout["legend"]["x"] == 0 and layout["height"] == portrait.MAP_HEIGHT and "width" not in layout
    assert layout["annotations"] == []  # no bassin names crowded on 350 px (a tap tells them)
    assert max(_sizes(fig)) <= portrait.FONT_SIZE + 1 and min(_sizes(fig)) >= 10
    go.Figure(fig)  # a valid plotly figure


def test_a_long_legend_title_is_wrapped_without_breaking_an_entity(map_figure):
    fig = portrait.portrait_figure(map_figure)
    titles = {t["legendgrouptitle"]["text"] for t in fig["data"] if t.get("legendgrouptitle", {}).get("text")}
    assert titles, fig["data"][-1]
    for title in titles:
        assert title.startswith("<b>") and title.endswith("</b>")
        lines = title[3:-4].split("<br>")
        assert len(lines) >= 2 and all(len(line) <= portrait.LEGEND_TITLE_WIDTH for line in lines), lines
        assert " ".join(lines) == TITLE  # nothing lost, « &amp; » whole
    assert portrait.wrap_title(None) is None
    assert portrait.wrap_title("court") == "court"


def test_a_chart_gets_small_fonts_and_its_legend_below():
    frame = pd.DataFrame(
        {
            "periode": ["2022-2023", "2023-2024"] * 2,
            "groupe": ["54", "54", "57", "57"],
            "libelle": ["Meurthe-et-Moselle"] * 2 + ["Moselle"] * 2,
            "valeur": [1.0, 2.0, 3.0, 4.0],
        }
    )
    chart = charts.line_figure(frame, "visites", height=560)
    before = copy.deepcopy(chart.to_dict())
    fig = portrait.portrait_figure(chart)
    assert chart.to_dict() == before
    layout = fig["layout"]
    assert not portrait.is_map(fig)
    assert layout["height"] == portrait.CHART_HEIGHT
    assert layout["legend"]["orientation"] == "h" and layout["legend"]["y"] < 0
    assert layout["xaxis"]["tickfont"]["size"] == layout["yaxis"]["tickfont"]["size"] == portrait.FONT_SIZE
    assert max(_sizes(fig)) <= portrait.FONT_SIZE + 1
    assert all(t["marker"]["size"] < 10 for t in fig["data"])  # markers of 10 px → 7
    go.Figure(fig)
