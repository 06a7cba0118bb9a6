"""The shipped demo measures: exact bilan figures, illustrative values, consistent breakdowns, determinism."""

from __future__ import annotations

import csv
import importlib.util
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
ACAD = "nancy-metz"
DIMS = ["niveau", "thematique", "public"]
GROUP = ["indicateur", "periode", *DIMS]


def _acad(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame["territoire_type"] == "academie") & (frame["territoire_code"] == ACAD)]


def _value(frame, indicateur, periode="2023-2024", niveau="tous", thematique="tous", public="tous"):
    sel = _acad(frame)
    sel = sel[
        (sel["indicateur"] == indicateur)
        & (sel["periode"] == periode)
        & (sel["niveau"] == niveau)
        & (sel["thematique"] == thematique)
        & (sel["public"] == public)
    ]
    assert len(sel) == 1, f"{indicateur} {periode} {niveau}/{thematique}/{public}: {len(sel)} rows"
    return float(sel["valeur"].iloc[0]), str(sel["source"].iloc[0])


BILAN_FIGURES = [
    # (indicateur, periode, niveau, thematique, public, valeur) — bilan DRANE 2023-2024
    ("ent_visites", "2023-2024", "tous", "tous", "tous", 64_500_000),
    ("ent_visites", "2023-2024", "tous", "tous", "eleves", 45_200_000),
    ("ent_visites", "2023-2024", "tous", "tous", "parents", 10_500_000),
    ("ent_visites", "2023-2024", "tous", "tous", "enseignants", 7_800_000),
    ("gar_connexions", "2023-2024", "ecole", "tous", "tous", 11_292),
    ("gar_connexions", "2023-2024", "college", "tous", "tous", 1_206_388),
    ("gar_connexions", "2023-2024", "lycee", "tous", "tous", 4_376_626),
    ("moodle_connexions", "2023-2024", "lycee", "tous", "tous", 260_000),
    ("moodle_connexions", "2023-2024", "college", "tous", "tous", 72_000),
    ("moodle_connexions", "2021-2022", "lycee", "tous", "tous", 180_000),
    ("moodle_connexions", "2021-2022", "college", "tous", "tous", 46_000),
    ("pix_eleves_certifies", "2023-2024", "tous", "tous", "tous", 34_624),
    ("pix_parcours", "2023-2024", "tous", "tous", "tous", 229_225),
    ("labo_nombre", "2023-2024", "tous", "tous", "tous", 16),
    ("labo_personnes", "2023-2024", "tous", "tous", "tous", 35_367),
    ("labo_classes", "2023-2024", "tous", "tous", "tous", 363),
    ("labo_materiels_pretes", "2023-2024", "tous", "tous", "tous", 15_495),
    ("labo_demi_journees_accueil", "2023-2024", "tous", "tous", "tous", 4_469),
    ("labo_demi_journees_hors", "2023-2024", "tous", "tous", "tous", 242),
    ("labo_formations", "2023-2024", "tous", "tous", "tous", 41),
    ("accompagnement_heures", "2023-2024", "tous", "hybridation_webmedias", "enseignants", 2_694),
    ("accompagnement_heures", "2023-2024", "tous", "hybridation_webmedias", "eleves", 2_474),
    ("accompagnement_heures", "2023-2024", "tous", "besoins_particuliers", "enseignants", 3_990),
    ("accompagnement_heures", "2023-2024", "tous", "besoins_particuliers", "eleves", 2_806),
    ("accompagnement_heures", "2023-2024", "tous", "ressources_numeriques", "enseignants", 6_039),
    ("accompagnement_heures", "2023-2024", "tous", "ressources_numeriques", "eleves", 4_612),
    ("accompagnement_heures", "2023-2024", "tous", "ent", "enseignants", 3_926),
    ("accompagnement_heures", "2023-2024", "tous", "ent", "eleves", 6_227),
    ("accompagnement_heures", "2023-2024", "tous", "robotique_programmation", "enseignants", 10),
    ("accompagnement_heures", "2023-2024", "tous", "robotique_programmation", "eleves", 430),
    ("accompagnement_heures", "2023-2024", "tous", "outils_nomades", "enseignants", 4_011),
    ("accompagnement_heures", "2023-2024", "tous", "outils_nomades", "eleves", 1_278),
    ("webradios", "2023-2024", "tous", "tous", "tous", 77),
    ("web_tv", "2023-2024", "tous", "tous", "tous", 38),
    ("bon_usage_eleves", "2023-2024", "tous", "tous", "tous", 12_188),
    ("planetarium_eleves", "2023-2024", "tous", "tous", "tous", 3_310),
    ("planetarium_eleves", "2023-2024", "ecole", "tous", "tous", 200),
    ("planetarium_eleves", "2023-2024", "college", "tous", "tous", 2_850),
    ("planetarium_eleves", "2023-2024", "lycee", "tous", "tous", 180),
]


@pytest.mark.parametrize(("indicateur", "periode", "niveau", "thematique", "public", "expected"), BILAN_FIGURES)
def test_bilan_figures(demo_measures, indicateur, periode, niveau, thematique, public, expected):
    value, source = _value(demo_measures, indicateur, periode, niveau, thematique, public)
    assert value == expected
    assert source.startswith("Bilan DRANE 2023-2024")


def test_every_bilan_row_is_in_the_demo_measures(demo_measures, bilan):
    acad = _acad(demo_measures).set_index(GROUP)
    missing, different = [], []
    for row in bilan.itertuples(index=False):
        key = (row.indicateur, row.periode, row.niveau, row.thematique, row.public)
        if key not in acad.index:
            missing.append(key)
            continue
        found = acad.loc[key]
        if float(found["valeur"]) != row.valeur or (found["source"], found["origine"]) != (
            row.source,
            row.origine,
        ):
            different.append((key, found["valeur"], found["source"], row.valeur, row.source))
    assert not missing, missing
    assert not different, different
    assert len(bilan) >= 60


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


@pytest.mark.parametrize(
    ("thematique", "public", "expected"),
    [
        ("hybridation_webmedias", "enseignants", _half_up(2694 / 4)),  # « soit 4 fois plus »
        ("hybridation_webmedias", "eleves", _half_up(2474 / 13)),
        ("besoins_particuliers", "enseignants", _half_up(3990 / 10)),
        ("ressources_numeriques", "enseignants", _half_up(6039 / 6)),
        ("ent", "enseignants", _half_up(3926 / 10)),
        ("ent", "eleves", _half_up(6227 / 13)),
        ("robotique_programmation", "enseignants", _half_up(10 / 0.2)),  # « 80 % en moins »
        ("robotique_programmation", "eleves", 430 * 6),  # « 6 fois moins »
        ("outils_nomades", "enseignants", _half_up(4011 / 18)),
        ("outils_nomades", "eleves", 1278),  # « au même niveau »
    ],
)
def test_previous_year_deduced_from_the_bilan(demo_measures, thematique, public, expected):
    value, source = _value(demo_measures, "accompagnement_heures", "2022-2023", "tous", thematique, public)
    assert value == expected
    assert "Déduit du bilan" in source


def test_previous_year_given_by_the_bilan(demo_measures):
    value, source = _value(
        demo_measures, "accompagnement_heures", "2022-2023", "tous", "besoins_particuliers", "eleves"
    )
    assert value == 6 and source.startswith("Bilan DRANE 2023-2024")


def _declared_dims(indicators_csv: pd.DataFrame) -> dict[str, list[str]]:
    columns = {"niveau": "niveaux", "thematique": "thematiques", "public": "publics"}
    return {row["id"]: [d for d, c in columns.items() if row[c] != "non"] for _, row in indicators_csv.iterrows()}


def test_origins_are_bilan_deduced_or_illustrative(demo_measures, bilan, indicators_csv):
    """`origine` is the fixed vocabulary; `illustratif` rows say so in `source` too; every bilan or deduced
    académie row that the bilan file does not hold is exactly one bilan figure (a single declared code) or
    the sum (« Déduit du bilan … somme ») of the finest non-illustrative rows it covers."""
    assert set(demo_measures["origine"]) == {"bilan", "deduit", "illustratif"}
    assert ((demo_measures["origine"] == "illustratif") == (demo_measures["source"] == "illustratif")).all()
    lower = demo_measures[demo_measures["territoire_type"] != "academie"]
    assert set(lower["origine"]) == {"illustratif"}
    bilan_rows = {
        tuple(k): (v, s, o)
        for k, v, s, o in zip(
            bilan[GROUP].to_numpy(), bilan["valeur"], bilan["source"], bilan["origine"], strict=True
        )
    }
    dims = _declared_dims(indicators_csv)
    acad = _acad(demo_measures)
    sums, copies = [], []
    for row in acad[acad["origine"] != "illustratif"].itertuples(index=False):
        key = (row.indicateur, row.periode, row.niveau, row.thematique, row.public)
        if key in bilan_rows:
            continue
        same = acad[(acad["indicateur"] == row.indicateur) & (acad["periode"] == row.periode)]
        leaves = same[(same[dims[row.indicateur]] != "tous").all(axis=1)] if dims[row.indicateur] else same
        for d in DIMS:
            if getattr(row, d) != "tous":
                leaves = leaves[leaves[d] == getattr(row, d)]
        assert len(leaves) >= 1, row
        assert (leaves["origine"] != "illustratif").all(), row
        assert leaves["valeur"].sum() == row.valeur, row
        if len(leaves) >= 2:
            assert row.origine == "deduit" and row.source.startswith("Déduit du bilan") and "somme" in row.source
            sums.append(row)
            continue
        # one part only (a single declared code, e.g. Rev'Tascol: école, bien-être et inclusion): the same
        # figure as the bilan row it refines, with its source and origin
        refined = [
            v
            for k, v in bilan_rows.items()
            if k[:2] == key[:2]
            and all(c == "tous" or c == key[2 + i] for i, c in enumerate(k[2:]))
            and v[0] == row.valeur
        ]
        assert (row.valeur, row.source, row.origine) in refined, row
        copies.append(row)
    assert sums, "the totals the bilan does not give should be marked as deduced sums"
    assert copies


def test_all_school_years_present(demo_measures, academie_json, indicators_csv):
    years = academie_json["annees"]
    assert years == ["2020-2021", "2021-2022", "2022-2023", "2023-2024"]
    annual = demo_measures[~demo_measures["periode"].str.match(r"^\d{4}-\d{2}$")]
    assert sorted(annual["periode"].unique()) == years
    acad = _acad(annual)
    catalogue = indicators_csv.set_index("id")
    for ind in catalogue.index[catalogue["granularite"] == "annuelle"]:
        assert sorted(acad.loc[acad["indicateur"] == ind, "periode"].unique()) == years, ind


def _months(year: str) -> list[str]:
    start = int(year[:4])
    return [f"{start}-{m:02d}" for m in range(9, 13)] + [f"{start + 1}-{m:02d}" for m in range(1, 9)]


def test_monthly_ent_periods(demo_measures, academie_json):
    monthly = demo_measures[demo_measures["indicateur"] == "ent_visites_mois"]
    expected_months = [m for y in academie_json["annees"] for m in _months(y)]
    assert len(expected_months) == 48
    assert sorted(monthly["periode"].unique()) == sorted(expected_months)
    acad = _acad(monthly)
    assert acad.groupby("public")["periode"].nunique().to_dict() == {
        "tous": 48,
        "eleves": 48,
        "parents": 48,
        "enseignants": 48,
    }
    per_territory = monthly.groupby(["territoire_type", "territoire_code", "public"])["periode"].nunique()
    assert set(per_territory) == {48}


def _monthly_problems(demo_measures, academie_json, territory_types, public) -> list:
    monthly = demo_measures[
        (demo_measures["indicateur"] == "ent_visites_mois")
        & demo_measures["territoire_type"].isin(territory_types)
        & (demo_measures["public"] == public)
    ]
    annual = demo_measures[demo_measures["indicateur"] == "ent_visites"].set_index(
        ["periode", "territoire_type", "territoire_code", "public"]
    )["valeur"]
    problems = []
    assert not monthly.empty
    for (ttype, code), series in monthly.groupby(["territoire_type", "territoire_code"]):
        by_month = series.set_index("periode")["valeur"]
        for year in academie_json["annees"]:
            months = _months(year)
            total = by_month[months].sum()
            expected = annual[(year, ttype, code, public)]
            if total != expected:
                problems.append((ttype, code, public, year, float(total), float(expected)))
            september = by_month[months[0]]
            if not (september > by_month[months[-2]] and september > by_month[months[-1]]):
                problems.append((ttype, code, public, year, "september not above july/august"))
    return problems


@pytest.mark.parametrize("public", ["tous", "eleves", "parents", "enseignants"])
def test_monthly_ent_adds_up_to_the_year_for_the_academie(demo_measures, academie_json, public):
    problems = _monthly_problems(demo_measures, academie_json, ["academie"], public)
    assert not problems, problems


@pytest.mark.parametrize("public", ["tous", "eleves", "parents", "enseignants"])
def test_monthly_ent_adds_up_to_the_year_below_the_academie(demo_measures, academie_json, public):
    problems = _monthly_problems(demo_measures, academie_json, ["departement", "bassin"], public)
    assert not problems, f"{len(problems)} territories × years: {problems[:10]}"


def test_every_value_is_finite_and_non_negative(demo_measures):
    assert np.isfinite(demo_measures["valeur"]).all()
    assert (demo_measures["valeur"] >= 0).all()


# ---------------------------------------------------------------------------------------- breakdowns


def _catalogue_rows() -> list[dict[str, str]]:
    with (ROOT / "data" / "reference" / "indicateurs.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


ADDITIVE = [r["id"] for r in _catalogue_rows() if r["agregation"] == "somme"]


def _additive_params():
    for ind in ADDITIVE:
        yield pytest.param(ind, id=ind)


def test_additive_catalogue(indicators_csv):
    assert indicators_csv.loc[indicators_csv["agregation"] == "somme", "id"].tolist() == ADDITIVE
    assert "ent_visites" in ADDITIVE and "labo_personnes" in ADDITIVE
    assert "pix_taux_certification" not in ADDITIVE


@pytest.mark.parametrize("indicateur", list(_additive_params()))
def test_departements_add_up_to_the_academie(demo_measures, indicateur):
    frame = demo_measures[demo_measures["indicateur"] == indicateur]
    acad = _acad(frame).set_index(GROUP)["valeur"]
    deps = frame[frame["territoire_type"] == "departement"]
    dep_sum = deps.groupby(GROUP)["valeur"].sum()
    n_deps = deps.groupby(GROUP)["territoire_code"].nunique()
    failing = [(k, float(acad[k]), dep_sum.get(k)) for k in acad.index if dep_sum.get(k) != acad[k]]
    assert not failing, f"{len(failing)} groups where départements ≠ académie: {failing[:15]}"
    assert set(n_deps) == {4}
    assert set(dep_sum.index) == set(acad.index)


def test_bassins_add_up_to_their_departement(demo_measures, bassin_departement):
    frame = demo_measures[demo_measures["indicateur"].isin(ADDITIVE)]
    bassins = frame[frame["territoire_type"] == "bassin"].copy()
    assert set(bassins["territoire_code"]) == set(bassin_departement)
    bassins["departement"] = bassins["territoire_code"].map(bassin_departement)
    sums = bassins.groupby([*GROUP, "departement"])["valeur"].sum()
    deps = frame[frame["territoire_type"] == "departement"].set_index([*GROUP, "territoire_code"])["valeur"]
    deps.index = deps.index.set_names([*GROUP, "departement"])
    failing = [(k, deps[k], sums.get(k)) for k in deps.index if sums.get(k) != deps[k]]
    assert not failing, f"{len(failing)} groups where bassins ≠ département: {failing[:15]}"
    assert set(sums.index) == set(deps.index)


def test_labs_add_up_to_their_bassin(demo_measures, labs_csv, bassin_departement):
    lab_bassin = dict(zip(labs_csv["code"], labs_csv["bassin"]))
    lab_rows = demo_measures[demo_measures["territoire_type"] == "laboratoire"]
    assert set(lab_rows["indicateur"].str.startswith("labo_")) == {True}
    assert set(lab_rows["territoire_code"]) <= set(lab_bassin)
    lab_indicators = sorted(i for i in demo_measures["indicateur"].unique() if i.startswith("labo_"))
    assert len(lab_indicators) == 7
    failing = []
    lab_sum: dict[tuple, float] = defaultdict(float)
    for row in lab_rows.itertuples(index=False):
        key = (
            row.indicateur,
            row.periode,
            row.niveau,
            row.thematique,
            row.public,
            lab_bassin[row.territoire_code],
        )
        lab_sum[key] += row.valeur
    bassins = demo_measures[
        (demo_measures["territoire_type"] == "bassin") & demo_measures["indicateur"].isin(lab_indicators)
    ]
    for row in bassins.itertuples(index=False):
        key = (row.indicateur, row.periode, row.niveau, row.thematique, row.public, row.territoire_code)
        if lab_sum.get(key, 0.0) != row.valeur:
            failing.append((key, row.valeur, lab_sum.get(key, 0.0)))
    assert not failing, f"{len(failing)} groups where labs ≠ bassin: {failing[:15]}"
    # every bassin has a row for every key of each lab indicator (0 without a lab), no more
    per_key = bassins.groupby(GROUP)["territoire_code"].nunique()
    assert set(per_key) == {len(bassin_departement)}
    assert len(bassins) == len(per_key) * len(bassin_departement)


def test_lab_count_follows_opening_years(demo_measures, labs_csv, academie_json):
    for year in academie_json["annees"]:
        opened = {c for c, o in zip(labs_csv["code"], labs_csv["ouverture"]) if int(o) <= int(year[:4])}
        value, _ = _value(demo_measures, "labo_nombre", year)
        assert value == len(opened)
        rows = demo_measures[
            (demo_measures["indicateur"] == "labo_nombre")
            & (demo_measures["periode"] == year)
            & (demo_measures["territoire_type"] == "laboratoire")
        ]
        assert set(rows["territoire_code"]) == opened
        assert set(rows["valeur"]) == {1.0}


# --------------------------------------------------------------------------------------- determinism


def test_generator_reproduces_the_committed_file(demo_measures):
    spec = importlib.util.spec_from_file_location(
        "generate_demo_data_under_test", ROOT / "scripts" / "generate_demo_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = module.generate()
    key = ["indicateur", "periode", "territoire_type", "territoire_code", *DIMS]
    left = generated.sort_values(key).reset_index(drop=True)
    right = demo_measures.sort_values(key).reset_index(drop=True)
    assert len(left) == len(right)
    for column in [*key, "source"]:
        assert left[column].astype(str).tolist() == right[column].astype(str).tolist(), column
    # the file stores one decimal at most (format_value), so compare at that precision
    assert np.allclose(left["valeur"].astype(float).round(1), right["valeur"].astype(float), rtol=0, atol=1e-9)
