"""Indicator picker that follows the filters (pure helpers) and the lab-marker click of the map."""

from __future__ import annotations

import pandas as pd

from components import picker
from observatoire.figures import bassin_panel, classification
from observatoire.filters import Filters

RESPONSE = pd.DataFrame(
    {
        "id": ["a", "b", "c", "d"],
        "libelle": ["A", "B", "C", "D"],
        "domaine": ["x"] * 4,
        "niveau": [True, False, True, False],
        "thematique": [None] * 4,
        "repond": [True, False, True, False],
    }
)
NAMES = {"a": "Alpha", "b": "Bêta", "c": "Gamma", "d": "Delta"}


def test_responding_indicators_only_unless_asked():
    options, no = picker.ordered_options(["a", "b", "c", "d"], RESPONSE, show_all=False)
    assert options == ["a", "c"] and no == ["b", "d"]
    options, _ = picker.ordered_options(["a", "b", "c", "d"], RESPONSE, show_all=True)
    assert options == ["a", "c", "b", "d"]  # responding first


def test_a_chosen_non_responding_indicator_is_kept_not_swapped():
    options, _ = picker.ordered_options(["a", "b", "c", "d"], RESPONSE, show_all=False, current="d")
    assert options == ["a", "c", "d"]
    assert picker.chosen_note("d", RESPONSE, NAMES).startswith("« Delta » n'est pas détaillé par niveau")
    assert picker.chosen_note("a", RESPONSE, NAMES) is None


def test_notes_count_and_name_the_non_responding_ones():
    (note,) = picker.non_response_notes(RESPONSE, Filters(niveaux=("college",)), NAMES)
    assert note == "2 indicateurs ne sont pas détaillés par niveau : « Bêta », « Delta »."
    assert picker.non_response_notes(RESPONSE, Filters(), NAMES) == []
    labels = picker.option_labels(NAMES, ["b"])
    assert labels["b"].endswith(picker.NOT_CONCERNED) and labels["a"] == "Alpha"


def test_a_click_on_a_lab_marker_names_the_lab():
    labs = pd.DataFrame({"code": ["lab-x", "lab-y"], "latitude": [49.1, 48.5], "longitude": [6.1, 7.0]})
    value = {"last_object_clicked": {"lat": 48.5, "lng": 7.0}, "last_active_drawing": {"properties": {}}}
    assert bassin_panel.clicked_lab(value, labs) == "lab-y"
    assert bassin_panel.clicked_lab({"last_object_clicked": {"lat": 48.51, "lng": 7.0}}, labs) is None  # a bassin
    assert bassin_panel.clicked_lab(None, labs) is None


def test_units_agree_with_the_value():
    assert classification.format_value(1.0, "laboratoires") == "1 laboratoire"
    assert classification.format_value(0.0, "demi-journées") == "0 demi-journée"
    assert classification.format_value(2.0, "laboratoires") == "2 laboratoires"
    assert (
        classification.format_value(1.0, "parcours") == "1 parcours"
        and classification.format_value(1.0, "web TV") == "1 web TV"
    )
