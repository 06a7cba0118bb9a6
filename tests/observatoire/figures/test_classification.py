"""Classes of the choropleth (`observatoire.figures.classification`): every value in its class, French legend
labels, palette readable by everyone. Moved from tests/components/test_maps.py (pure code, no Streamlit).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from observatoire.figures import classification, formatting

NBSP = formatting.NBSP


# ------------------------------------------------------------------------------------------ classification


def _check_bins(values: list[float], classes: classification.Classes) -> None:
    """Each value lies in its class: breaks[i-1] < v <= breaks[i]; NaN has no class."""
    assert len(classes.bins) == len(values)
    for v, b in zip(values, classes.bins):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            assert b is None
            continue
        assert b is not None
        assert v <= classes.breaks[b] + 1e-9
        if b > 0:
            assert v > classes.breaks[b - 1]


@pytest.mark.parametrize("method", list(classification.METHODS))
@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_classify_puts_every_value_in_its_class(method, k):
    rng = np.random.default_rng(7)
    values = [float(v) for v in rng.integers(0, 10_000, size=17)]
    classes = classification.classify(values, method, k)
    assert 1 <= classes.k <= k
    assert list(classes.breaks) == sorted(classes.breaks)
    assert classes.breaks[-1] == max(values)
    assert classes.lowers[0] == min(values)
    assert len(classes.colors) == classes.k
    _check_bins(values, classes)
    assert sum(classes.counts) == len(values)


def test_quantiles_split_the_values_evenly():
    values = [float(v) for v in range(1, 21)]  # 20 distinct values, 5 classes → 4 per class
    classes = classification.classify(values, "quantiles", 5)
    assert classes.counts == (4, 4, 4, 4, 4)


def test_equal_intervals_have_equal_widths_and_keep_empty_classes():
    values = [0.0, 1.0, 2.0, 3.0, 100.0]
    classes = classification.classify(values, "intervalles", 4)
    assert classes.breaks == (25.0, 50.0, 75.0, 100.0)
    assert classes.counts == (4, 0, 0, 1)


def test_jenks_separates_obvious_groups_and_is_deterministic():
    values = [1.0, 2.0, 3.0, 50.0, 51.0, 52.0, 1000.0, 1001.0]
    first = classification.classify(values, "jenks", 3)
    assert first.bins == (0, 0, 0, 1, 1, 1, 2, 2)
    assert all(classification.classify(values, "jenks", 3) == first for _ in range(5))


def test_missing_values_are_pas_de_donnee():
    values = [10.0, float("nan"), None, 30.0, 20.0, pd.NA]
    classes = classification.classify(values, "quantiles", 5)
    assert classes.bins[1] is None and classes.bins[2] is None and classes.bins[5] is None
    assert classes.has_missing
    items = classification.legend_items(classes, "visites")
    assert items[-1] == (classification.NO_DATA_COLOR, "pas de donnée")
    _check_bins([10.0, math.nan, math.nan, 30.0, 20.0, math.nan], classes)


def test_fewer_distinct_values_than_classes_give_one_class_per_value():
    classes = classification.classify([5.0, 5.0, 7.0, 5.0, 9.0], "quantiles", 5)
    assert classes.k == 3
    assert classes.bins == (0, 0, 1, 0, 2)
    assert [label for _, label in classification.legend_items(classes, "webradios")] == [
        "5 webradios",
        "7 webradios",
        "9 webradios",
    ]
    single = classification.classify([4.0, 4.0, 4.0], "jenks", 5)
    assert single.k == 1 and single.bins == (0, 0, 0)


def test_all_missing_values_are_handled():
    classes = classification.classify([float("nan"), None], "jenks", 5)
    assert classes.k == 0 and classes.bins == (None, None)
    assert classification.legend_items(classes, "visites") == [(classification.NO_DATA_COLOR, "pas de donnée")]
    assert classification.classify([], "quantiles", 5).k == 0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        classification.classify([1.0, 2.0], "kmeans", 3)


# --------------------------------------------------------------------------------------------------- legend


def test_legend_labels_are_french_and_whole_number_classes_do_not_overlap():
    classes = classification.classify([0.0, 12_500.0, 25_000.0, 37_500.0, 50_000.0], "intervalles", 2)
    labels = [label for _, label in classification.legend_items(classes, "visites")]
    assert labels == [f"de 0 à 25{NBSP}000 visites", f"de 25{NBSP}001 à 50{NBSP}000 visites"]


def test_legend_labels_of_decimal_values_and_percentages():
    classes = classification.classify([41.5, 55.25, 60.0, 72.75, 80.5, 90.0], "intervalles", 3)
    labels = classification.class_labels(classes, "%")
    assert labels[0].startswith(f"de 41,5{NBSP}% à ")
    assert labels[-1].endswith(f"90,0{NBSP}%") or labels[-1].endswith(f"90{NBSP}%")
    assert all("." not in label for label in labels)  # decimal comma


def test_legend_bounds_are_distinct_after_rounding():
    classes = classification.classify([100.01, 100.02, 100.03, 100.04, 100.05, 100.06], "quantiles", 3)
    labels = classification.class_labels(classes, "heures")
    shown = {b for label in labels for b in re.findall(r"[\d\u202f]+,\d+", label)}
    assert len(shown) == len(set(classes.lowers) | set(classes.uppers)) == 4, labels  # 2 decimals needed


# ---------------------------------------------------------------------------------------------------- palette


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _deuteranope(hex_color: str) -> tuple[float, float, float]:
    """Machado et al. (2009) deuteranopia simulation, severity 1, in linear RGB."""
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    matrix = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    return tuple(sum(m * c for m, c in zip(row, lin)) for row in matrix)  # type: ignore[return-value]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7])
def test_palette_is_sequential_for_everyone(k):
    colors = classification.palette(k)
    assert len(colors) == k and len(set(colors)) == k
    lum = [_luminance(c) for c in colors]
    assert lum == sorted(lum, reverse=True), "light → dark"
    # the order survives deuteranopia (simulated): lightness still strictly decreases
    sim = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in (_deuteranope(c) for c in colors)]
    assert all(a > b for a, b in zip(sim, sim[1:]))
    if k > 1:
        assert min(a - b for a, b in zip(lum, lum[1:])) > 0.03  # adjacent classes stay apart


def test_no_data_colour_and_markers_are_outside_the_palette():
    every = {c for k in range(1, 8) for c in classification.palette(k)}
    assert classification.NO_DATA_COLOR not in every
    assert not {c for _, c in classification.THEME_STYLE.values()} & {"blue", "lightblue", "green", "lightgreen"}
