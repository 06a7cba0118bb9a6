"""Small counts of people (statistical confidentiality): the threshold and the units are data
(academie.json), only bassin and lab counts of people below the threshold are masked, totals stay exact."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd

from observatoire import exporting, small_counts

REF = Path(__file__).resolve().parents[2] / "data" / "reference"


def test_the_policy_is_read_from_academie_json():
    raw = json.loads((REF / "academie.json").read_text(encoding="utf-8"))
    rules = small_counts.policy()
    assert rules.threshold == raw["seuil_petits_effectifs"] == 5
    assert rules.people_units == {u.lower() for u in raw["unites_personnes"]}
    assert rules.label == "< 5"


def test_defaults_and_wrong_values():
    assert small_counts.parse_policy({}) == small_counts.Policy()
    assert small_counts.parse_policy({"seuil_petits_effectifs": 11}).threshold == 11
    assert small_counts.parse_policy({"seuil_petits_effectifs": "5"}).threshold == 5  # wrong type: default
    assert small_counts.problems({"seuil_petits_effectifs": 0})[0][0] == "seuil_petits_effectifs"
    assert small_counts.problems({"unites_personnes": "élèves"})[0][0] == "unites_personnes"
    assert small_counts.problems({"seuil_petits_effectifs": 3, "unites_personnes": ["élèves"]}) == []


def test_people_indicators_come_from_the_catalogue_units():
    with (REF / "indicateurs.csv").open(encoding="utf-8", newline="") as handle:
        catalogue = pd.DataFrame(list(csv.DictReader(handle, delimiter=";")))
    people = small_counts.people_indicators(catalogue)
    units = dict(zip(catalogue["id"], catalogue["unite"]))
    assert {
        "revtascol_eleves",
        "labo_personnes",
        "formateurs_formes",
        "labomep_professeurs",
        "incubateur_enseignants",
    } <= people
    assert not people & {"ent_visites", "labo_nombre", "labo_classes", "pix_taux_certification", "webradios"}
    assert all(units[i] in {"élèves", "personnes", "enseignants", "professeurs"} for i in people)


def test_small_values():
    rules = small_counts.Policy(5, frozenset({"élèves"}))
    assert [rules.shown(v) for v in (0, 1, 4.0, 4.9, 5, 12, None, "x")] == [
        0,
        "< 5",
        "< 5",
        "< 5",
        5,
        12,
        None,
        "x",
    ]
    assert not rules.is_small(float("nan"))
    assert rules.counts_people("Élèves ") and not rules.counts_people("visites")


def test_only_bassin_and_lab_counts_of_people_are_masked_totals_stay_exact():
    frame = pd.DataFrame(
        {
            "indicateur": ["revtascol_eleves"] * 4 + ["ent_tickets"],
            "territoire_type": ["academie", "departement", "bassin", "laboratoire", "bassin"],
            "valeur": [3.0, 2.0, 3.0, 1.0, 2.0],
        }
    )
    out = small_counts.mask_measures(frame, {"revtascol_eleves"})
    assert list(out["valeur"]) == [3.0, 2.0, "< 5", "< 5", 2.0]
    assert list(frame["valeur"]) == [3.0, 2.0, 3.0, 1.0, 2.0]  # the input is untouched
    nothing = frame[frame["indicateur"] == "ent_tickets"]
    assert small_counts.mask_measures(nothing, {"revtascol_eleves"}) is nothing  # numbers stay numbers


def test_exports_show_the_mask(tmp_path):
    frame = small_counts.mask_measures(
        pd.DataFrame(
            {
                "indicateur": ["revtascol_eleves", "revtascol_eleves"],
                "territoire_type": ["bassin", "bassin"],
                "valeur": [3.0, 40.0],
            }
        ),
        {"revtascol_eleves"},
    )
    text = exporting.to_csv_bytes(frame).decode("utf-8-sig")
    assert "revtascol_eleves;bassin;< 5" in text and "revtascol_eleves;bassin;40" in text
    book = tmp_path / "x.xlsx"
    book.write_bytes(exporting.to_xlsx_bytes(frame))
    back = pd.read_excel(book)
    assert list(back["valeur"]) == ["< 5", 40]
    assert small_counts.as_text(40.0) == "40" and small_counts.as_text(2.5) == "2,5"
    assert small_counts.as_text("< 5") == "< 5"


def test_for_level_is_the_one_rule_of_where_masking_applies():
    rules = small_counts.Policy(5, frozenset({"élèves", "personnes"}))
    assert small_counts.for_level("élèves", "bassin", rules) is rules
    assert small_counts.for_level("Personnes", "laboratoire", rules) is rules
    for unit, level in (
        ("élèves", "academie"),
        ("élèves", "departement"),
        ("élèves", "total"),
        ("visites", "bassin"),
        ("%", "laboratoire"),
        (None, "bassin"),
    ):
        assert small_counts.for_level(unit, level, rules) is None, (unit, level)
