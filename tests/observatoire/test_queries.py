"""Read API: filters, breakdowns, per-bassin values, KPIs, labs and raw measures, checked against the CSV."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import queries, store
from observatoire.filters import Filters, parse_params, school_years_between, to_params

ROOT = Path(__file__).resolve().parents[2]
ACAD = "nancy-metz"
YEARS = ["2020-2021", "2021-2022", "2022-2023", "2023-2024"]
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]


@pytest.fixture(scope="module")
def choices(con):
    return queries.choices(con)


def csv_sum(
    raw,
    indicateur,
    periode,
    territoire_type="academie",
    codes=None,
    niveau="tous",
    thematique="tous",
    public="tous",
) -> float:
    """Sum of the CSV rows matching the arguments (codes: territory codes, None = any; dims: code or tuple)."""
    sel = raw[(raw["indicateur"] == indicateur) & (raw["territoire_type"] == territoire_type)]
    sel = sel[sel["periode"].isin([periode] if isinstance(periode, str) else periode)]
    if codes is not None:
        sel = sel[sel["territoire_code"].isin(codes)]
    for column, value in (("niveau", niveau), ("thematique", thematique), ("public", public)):
        sel = sel[sel[column].isin([value] if isinstance(value, str) else value)]
    assert not sel.empty, (indicateur, periode, territoire_type, codes, niveau, thematique, public)
    return float(sel["valeur"].sum())


def by_year(result: queries.Result) -> dict[str, float]:
    data = result.data
    assert (data["groupe"] == "total").all()
    return dict(zip(data["periode"], data["valeur"].astype(float)))


# -------------------------------------------------------------------------------------------- series


def test_ent_total_from_the_store(con, raw_measures):
    res = queries.series(con, "ent_visites", Filters(), annual=True)
    values = by_year(res)
    assert list(values) == YEARS
    assert values["2023-2024"] == 64_500_000 == csv_sum(raw_measures, "ent_visites", "2023-2024")
    for year in YEARS:
        assert values[year] == csv_sum(raw_measures, "ent_visites", year)
    assert res.ignored == ()
    assert res.empty_reason is None
    assert res.illustrative  # previous years are illustrative
    assert any(s.startswith("Bilan DRANE 2023-2024") for s in res.sources)
    assert res.sources[-1] == "illustratif"  # sources of the bilan come first
    assert set(res.data["libelle"]) == {"Académie de Nancy-Metz"}


def test_departement_filter(con, raw_measures):
    res = queries.series(con, "ent_visites", Filters(departements=("57",)), annual=True)
    for year, value in by_year(res).items():
        assert value == csv_sum(raw_measures, "ent_visites", year, "departement", ["57"])
    assert res.ignored == ()


def test_bassin_filter(con, raw_measures):
    bassins = ("57-metz", "57-forbach")
    res = queries.series(con, "gar_connexions", Filters(bassins=bassins), annual=True)
    values = by_year(res)
    assert list(values) == YEARS
    for year, value in values.items():
        assert value == csv_sum(raw_measures, "gar_connexions", year, "bassin", bassins)


def test_niveau_filter_on_a_detailed_indicator(con, raw_measures):
    res = queries.series(con, "gar_connexions", Filters(niveaux=("college",)), annual=True)
    values = by_year(res)
    assert values["2023-2024"] == 1_206_388
    for year, value in values.items():
        assert value == csv_sum(raw_measures, "gar_connexions", year, niveau="college")
    assert res.ignored == ()
    both = by_year(queries.series(con, "gar_connexions", Filters(niveaux=("college", "lycee")), annual=True))
    assert both["2023-2024"] == 1_206_388 + 4_376_626


def test_niveau_filter_not_applicable(con, raw_measures):
    res = queries.series(con, "ent_visites", Filters(niveaux=("college",)), annual=True)
    assert res.ignored and "niveau" in res.ignored[0]
    assert by_year(res)["2023-2024"] == csv_sum(raw_measures, "ent_visites", "2023-2024") == 64_500_000


def test_partially_available_niveau_is_reported(con, raw_measures):
    res = queries.series(con, "gar_connexions", Filters(niveaux=("college", "lycee_pro")), annual=True)
    assert by_year(res)["2023-2024"] == csv_sum(raw_measures, "gar_connexions", "2023-2024", niveau="college")
    assert len(res.ignored) == 1 and "lycee_pro" in res.ignored[0]


def test_thematique_filter(con, raw_measures):
    res = queries.series(con, "accompagnement_heures", Filters(thematiques=("ent",)), annual=True)
    values = by_year(res)
    assert values["2023-2024"] == 3_926 + 6_227
    for year, value in values.items():
        assert value == csv_sum(raw_measures, "accompagnement_heures", year, thematique="ent")
    two = ("ent", "robotique_programmation")
    res2 = queries.series(con, "accompagnement_heures", Filters(thematiques=two), annual=True)
    assert by_year(res2)["2023-2024"] == 3_926 + 6_227 + 10 + 430


def test_public_filter(con, raw_measures):
    res = queries.series(con, "ent_visites", Filters(publics=("eleves",)), annual=True)
    assert by_year(res)["2023-2024"] == 45_200_000
    res2 = queries.series(con, "accompagnement_heures", Filters(publics=("enseignants",)), annual=True)
    for year, value in by_year(res2).items():
        assert value == csv_sum(raw_measures, "accompagnement_heures", year, public="enseignants")
    assert by_year(res2)["2023-2024"] == 2_694 + 3_990 + 6_039 + 3_926 + 10 + 4_011
    not_detailed = queries.series(con, "gar_connexions", Filters(publics=("parents",)), annual=True)
    assert not_detailed.ignored and "public" in not_detailed.ignored[0]
    assert by_year(not_detailed)["2023-2024"] == 11_292 + 1_206_388 + 4_376_626


def test_combined_filters(con, raw_measures):
    filters = Filters(
        departements=("54", "88"),
        publics=("eleves",),
        thematiques=("ent", "outils_nomades"),
        periode_debut="2022-2023",
    )
    res = queries.series(con, "accompagnement_heures", filters, annual=True)
    values = by_year(res)
    assert list(values) == ["2022-2023", "2023-2024"]
    for year, value in values.items():
        assert value == csv_sum(
            raw_measures,
            "accompagnement_heures",
            year,
            "departement",
            ["54", "88"],
            thematique=("ent", "outils_nomades"),
            public="eleves",
        )


def test_period_range(con, raw_measures):
    res = queries.series(
        con, "ent_visites", Filters(periode_debut="2021-2022", periode_fin="2022-2023"), annual=True
    )
    assert list(by_year(res)) == ["2021-2022", "2022-2023"]
    monthly = queries.series(con, "ent_visites_mois", Filters(periode_debut="2023-2024", periode_fin="2023-2024"))
    months = list(monthly.data["periode"])
    assert months == [f"2023-{m:02d}" for m in range(9, 13)] + [f"2024-{m:02d}" for m in range(1, 9)]
    expected = raw_measures[
        (raw_measures["indicateur"] == "ent_visites_mois")
        & (raw_measures["territoire_type"] == "academie")
        & (raw_measures["public"] == "tous")
    ].set_index("periode")["valeur"]
    assert list(monthly.data["valeur"]) == [expected[m] for m in months]
    annual = queries.series(con, "ent_visites_mois", Filters(periode_debut="2023-2024"), annual=True)
    assert by_year(annual) == {"2023-2024": sum(expected[m] for m in months)}
    override = queries.series(
        con, "ent_visites", Filters(periode_debut="2020-2021"), annual=True, periods=("2023-2024", "2023-2024")
    )
    assert list(by_year(override)) == ["2023-2024"]


def test_no_matching_data_gives_an_empty_result_with_a_reason(con, labs_csv):
    future = queries.series(con, "ent_visites", Filters(periode_debut="2030-2031"), annual=True)
    assert future.data.empty and future.empty
    assert isinstance(future.empty_reason, str) and future.empty_reason
    assert list(future.data.columns) == [
        "periode",
        "groupe",
        "libelle",
        "valeur",
        "illustratif",
        "sources",
        "origines",
    ]
    # no parentality lab serves vocational lycées (« hn_ecriture » used to be the example: since the thème
    # taxonomy it reaches the savoirs fondamentaux labs, see test_sub_theme_reaches_the_labs_of_its_main_theme)
    labs = queries.laboratories(con, Filters(thematiques=("parentalite",), niveaux=("lycee_pro",)))
    assert labs.data.empty and isinstance(labs.empty_reason, str) and labs.empty_reason
    not_detailed = queries.series(con, "ent_visites", Filters(), by="niveau")
    assert not_detailed.data.empty and "niveau" in not_detailed.empty_reason
    without_lab = sorted(set(queries.choices(con).bassins) - set(labs_csv["bassin"]))
    assert without_lab
    no_lab = queries.series(con, "labo_personnes", Filters(bassins=(without_lab[0],)), by="laboratoire")
    assert no_lab.data.empty and isinstance(no_lab.empty_reason, str)


def test_unknown_breakdown_raises(con):
    with pytest.raises(ValueError):
        queries.series(con, "ent_visites", Filters(), by="commune")


# ------------------------------------------------------------------------------------------ breakdowns


def _check_breakdown(res: queries.Result, total: queries.Result, expected_groups: dict[str, set[str]]):
    data = res.data
    assert not data.empty and res.empty_reason is None
    for year, group in data.groupby("periode"):
        assert set(group["groupe"]) == expected_groups[year], year
    sums = data.groupby("periode")["valeur"].sum().to_dict()
    assert sums == by_year(total)


def test_breakdown_by_departement_and_bassin(con, raw_measures, bassin_departement):
    total = queries.series(con, "ent_visites", Filters(), annual=True)
    deps = queries.series(con, "ent_visites", Filters(), by="departement", annual=True)
    _check_breakdown(deps, total, dict.fromkeys(YEARS, {"54", "55", "57", "88"}))
    for row in deps.data.itertuples():
        assert row.valeur == csv_sum(raw_measures, "ent_visites", row.periode, "departement", [row.groupe])
    assert set(deps.data["libelle"]) == {"Meurthe-et-Moselle", "Meuse", "Moselle", "Vosges"}
    bassins = queries.series(con, "ent_visites", Filters(), by="bassin", annual=True)
    _check_breakdown(bassins, total, dict.fromkeys(YEARS, set(bassin_departement)))
    in_57 = queries.series(con, "ent_visites", Filters(departements=("57",)), by="bassin", annual=True)
    _check_breakdown(
        in_57,
        queries.series(con, "ent_visites", Filters(departements=("57",)), annual=True),
        dict.fromkeys(YEARS, {b for b, d in bassin_departement.items() if d == "57"}),
    )


def test_breakdown_by_niveau(con, raw_measures):
    for year in YEARS:  # the gar total is the sum of the niveaux in the data
        assert csv_sum(raw_measures, "gar_connexions", year) == csv_sum(
            raw_measures, "gar_connexions", year, niveau=("ecole", "college", "lycee")
        )
    total = queries.series(con, "gar_connexions", Filters(), annual=True)
    res = queries.series(con, "gar_connexions", Filters(), by="niveau", annual=True)
    _check_breakdown(res, total, dict.fromkeys(YEARS, {"ecole", "college", "lycee"}))
    assert set(res.data["libelle"]) == {"École", "Collège", "Lycée"}
    selected = queries.series(con, "gar_connexions", Filters(niveaux=("lycee",)), by="niveau", annual=True)
    assert set(selected.data["groupe"]) == {"lycee"}


def test_breakdown_of_a_total_that_is_not_the_sum_of_its_parts(con):
    # bilan: 3 310 pupils in all, 200 + 2 850 + 180 by niveau, 80 ULIS/SEGPA pupils attached to no niveau
    res = queries.series(
        con, "planetarium_eleves", Filters(), by="niveau", annual=True, periods=("2023-2024", "2023-2024")
    )
    assert dict(zip(res.data["groupe"], res.data["valeur"])) == {"ecole": 200, "college": 2_850, "lycee": 180}
    total = by_year(
        queries.series(con, "planetarium_eleves", Filters(), annual=True, periods=("2023-2024", "2023-2024"))
    )
    assert total["2023-2024"] - res.data["valeur"].sum() == 80


def test_breakdown_by_public_and_thematique(con, raw_measures):
    total = queries.series(con, "accompagnement_heures", Filters(), annual=True)
    publics = queries.series(con, "accompagnement_heures", Filters(), by="public", annual=True)
    _check_breakdown(publics, total, dict.fromkeys(YEARS, {"eleves", "enseignants"}))
    themes = queries.series(con, "accompagnement_heures", Filters(), by="thematique", annual=True)
    expected = set(raw_measures.loc[raw_measures["indicateur"] == "accompagnement_heures", "thematique"]) - {
        "tous"
    }
    assert len(expected) == 6
    _check_breakdown(themes, total, dict.fromkeys(YEARS, expected))
    ent = themes.data[(themes.data["groupe"] == "ent") & (themes.data["periode"] == "2023-2024")]
    assert ent["valeur"].tolist() == [3_926 + 6_227]
    assert ent["libelle"].tolist() == ["ENT"]


def test_breakdown_by_laboratoire(con, labs_csv):
    total = queries.series(con, "labo_personnes", Filters(), annual=True)
    assert by_year(total)["2023-2024"] == 35_367
    res = queries.series(con, "labo_personnes", Filters(), by="laboratoire", annual=True)
    opened = {
        y: {c for c, o in zip(labs_csv["code"], labs_csv["ouverture"]) if int(o) <= int(y[:4])} for y in YEARS
    }
    _check_breakdown(res, total, opened)
    in_57 = queries.series(con, "labo_personnes", Filters(departements=("57",)), by="laboratoire", annual=True)
    labs_57 = set(labs_csv.loc[labs_csv["departement"] == "57", "code"])
    assert set(in_57.data["groupe"]) == labs_57
    dep_total = queries.series(con, "labo_personnes", Filters(departements=("57",)), annual=True)
    assert in_57.data.groupby("periode")["valeur"].sum().to_dict() == by_year(dep_total)


def test_evolution_between_two_years(con, raw_measures):
    res = queries.evolution(con, "ent_visites", Filters(), "departement", "2022-2023", "2023-2024")
    assert len(res.data) == 4
    for row in res.data.itertuples():
        a = csv_sum(raw_measures, "ent_visites", "2022-2023", "departement", [row.groupe])
        b = csv_sum(raw_measures, "ent_visites", "2023-2024", "departement", [row.groupe])
        assert row.valeur_a == a and row.valeur_b == b
        assert math.isclose(row.evolution_pct, (b - a) / a * 100)


# ------------------------------------------------------------------------------------- values by bassin


def _expected_ranks(values: pd.Series) -> list:
    return [pd.NA if pd.isna(v) else 1 + int((values > v).sum()) for v in values]


def test_values_by_bassin(con, raw_measures, bassin_departement):
    res = queries.values_by_bassin(con, "ent_visites", "2023-2024", Filters())
    data = res.data
    assert len(data) == 17 == len(bassin_departement)
    assert dict(zip(data["code"], data["departement"])) == bassin_departement
    for row in data.itertuples():
        assert row.valeur == csv_sum(raw_measures, "ent_visites", "2023-2024", "bassin", [row.code])
    assert sorted(data["rang"].tolist()) == list(range(1, 18))
    assert data["rang"].tolist() == _expected_ranks(data["valeur"])
    assert data["selectionne"].all()
    assert res.empty_reason is None
    only_54 = queries.values_by_bassin(con, "ent_visites", "2023-2024", Filters(departements=("54",))).data
    expected_54 = {b for b, d in bassin_departement.items() if d == "54"}
    assert set(only_54["code"]) == expected_54
    assert sorted(only_54["rang"].tolist()) == list(range(1, len(expected_54) + 1))
    chosen = queries.values_by_bassin(con, "ent_visites", "2023-2024", Filters(bassins=("54-nancy",))).data
    assert len(chosen) == 17  # every bassin is shown, the chosen one is highlighted
    assert chosen.loc[chosen["selectionne"], "code"].tolist() == ["54-nancy"]


def test_values_by_bassin_without_data(con):
    res = queries.values_by_bassin(con, "ent_visites", "2010-2011", Filters())
    assert len(res.data) == 17
    assert res.data["valeur"].isna().all()
    assert res.data["rang"].isna().all()
    assert isinstance(res.empty_reason, str) and res.empty_reason


def test_values_by_bassin_with_missing_bassins(demo_db, tmp_path, raw_measures):
    path = tmp_path / "trous.duckdb"
    shutil.copyfile(demo_db, path)  # a writable copy of the published version (content only)
    missing = ("54-nancy", "88-epinal")
    with duckdb.connect(str(path)) as writer:
        writer.execute(
            "DELETE FROM mesures WHERE indicateur = 'ent_visites' AND territoire_type = 'bassin' "
            "AND list_contains($codes, territoire_code)",
            {"codes": list(missing)},
        )
    with store.connect(path) as con:
        res = queries.values_by_bassin(con, "ent_visites", "2023-2024", Filters())
    data = res.data.set_index("code")
    assert len(data) == 17
    assert data.loc[list(missing), "valeur"].isna().all()
    assert data.loc[list(missing), "rang"].isna().all()
    present = data.drop(index=list(missing))
    assert sorted(present["rang"].tolist()) == list(range(1, 16))
    assert res.data["rang"].tolist() == _expected_ranks(res.data["valeur"])
    assert res.empty_reason is None


# ------------------------------------------------------------------------------------------------ KPIs


def _catalogue() -> pd.DataFrame:
    with (ROOT / "data" / "reference" / "indicateurs.csv").open(encoding="utf-8", newline="") as handle:
        return pd.DataFrame(list(csv.DictReader(handle, delimiter=";")))


def test_kpis(con, raw_measures):
    catalogue = _catalogue()
    kpi_rows = catalogue[catalogue["kpi"] != ""].assign(ordre=lambda f: f["kpi"].astype(int)).sort_values("ordre")
    result = queries.kpis(con, Filters())
    assert [k.indicateur for k in result] == kpi_rows["id"].tolist()
    for kpi in result:
        assert kpi.annee == "2023-2024" and kpi.annee_precedente == "2022-2023"
        assert kpi.valeur == csv_sum(raw_measures, kpi.indicateur, "2023-2024")
        assert kpi.precedente == csv_sum(raw_measures, kpi.indicateur, "2022-2023")
        assert math.isclose(kpi.delta_pct, (kpi.valeur - kpi.precedente) / kpi.precedente * 100)
        assert kpi.annees == tuple(YEARS)
        assert kpi.historique == tuple(csv_sum(raw_measures, kpi.indicateur, y) for y in YEARS)
        assert kpi.libelle == catalogue.set_index("id").at[kpi.indicateur, "libelle"]
    ent = next(k for k in result if k.indicateur == "ent_visites")
    assert ent.valeur == 64_500_000 and not ent.illustratif
    assert all(s.startswith("Bilan DRANE 2023-2024") for s in ent.sources)


def test_kpis_follow_the_period_and_territory(con, raw_measures):
    result = queries.kpis(con, Filters(departements=("55",), periode_fin="2022-2023"))
    for kpi in result:
        assert kpi.annee == "2022-2023" and kpi.annee_precedente == "2021-2022"
        assert kpi.valeur == csv_sum(raw_measures, kpi.indicateur, "2022-2023", "departement", ["55"])
    single = queries.kpis(con, Filters(periode_debut="2023-2024"))
    assert all(k.precedente is None and k.delta_pct is None for k in single)


def _csv_origins(raw, indicateur, periode, territoire_type="academie", codes=None) -> tuple[str, ...]:
    """The `origine` of the CSV rows behind a value with every dimension at `tous` (bilan rows included:
    raw_measures is the demo data as the store loads it)."""
    sel = raw[
        (raw["indicateur"] == indicateur)
        & (raw["territoire_type"] == territoire_type)
        & (raw["periode"] == periode)
        & (raw["niveau"] == "tous")
        & (raw["thematique"] == "tous")
        & (raw["public"] == "tous")
    ]
    if codes is not None:
        sel = sel[sel["territoire_code"].isin(codes)]
    return tuple(sorted(set(sel["origine"]), key=queries.origin_rank))


def test_kpis_carry_the_origins_of_the_value_the_previous_value_and_the_history(con, raw_measures):
    for filters, ttype, codes in (
        (Filters(), "academie", None),
        (Filters(departements=("57",)), "departement", ["57"]),
    ):
        for kpi in queries.kpis(con, filters):
            expected = tuple(_csv_origins(raw_measures, kpi.indicateur, y, ttype, codes) for y in kpi.annees)
            assert kpi.origines_historique == expected, kpi.indicateur
            assert kpi.origines == expected[-1] and kpi.origines_precedente == expected[-2]
            assert kpi.valeur_illustrative == ("illustratif" in expected[-1])
            assert kpi.evolution_illustrative == ("illustratif" in expected[-1] + expected[-2])
            assert kpi.annees_illustratives == tuple(y for y, o in zip(kpi.annees, expected) if "illustratif" in o)
            assert len(kpi.sources_origines) == len(kpi.sources)
    ent = next(k for k in queries.kpis(con, Filters()) if k.indicateur == "ent_visites")
    # the headline figure is the bilan's, the growth « vs 2022-2023 » is not (2022-2023 is generated)
    assert ent.origine == "bilan" and ent.evolution_illustrative and ent.sources_origines == ("bilan",)


def test_result_origins_follow_the_sources_and_come_from_the_origine_column(con):
    result = queries.series(con, "ent_visites", Filters(), annual=True)
    assert len(result.origins) == len(result.sources)
    named = dict(zip(result.sources, result.origins))
    assert named["illustratif"] == "illustratif"
    assert {o for s, o in named.items() if s.startswith("Bilan")} == {"bilan"}
    # the trusted sources first, the illustrative ones last
    ranks = [o == "illustratif" for o in result.origins]
    assert ranks == sorted(ranks)
    assert set(result.data["origines"]) == {"illustratif", "bilan"}
    by_bassin = queries.values_by_bassin(con, "ent_visites", "2023-2024", Filters())
    assert by_bassin.origins and len(by_bassin.origins) == len(by_bassin.sources)


def test_origin_summary_is_illustrative_as_soon_as_one_input_is():
    assert queries.origin_summary(("bilan", "illustratif")) == "illustratif"
    assert queries.origin_summary("deduit | bilan") == "deduit"
    assert queries.origin_summary(("bilan", "import")) == "import"
    assert queries.origin_summary(()) == "" and queries.origin_summary(None) == ""
    assert queries.sorted_origins("illustratif | bilan | deduit") == ("bilan", "deduit", "illustratif")


# ------------------------------------------------------------------------------------- labs, projects


def _labs_matching(labs_csv, themes=(), niveaux=(), deps=(), bassins=()) -> set[str]:
    out = set()
    for lab in labs_csv.itertuples():
        if themes and not set(themes) & set(lab.thematiques.split("|")):
            continue
        if niveaux and not set(niveaux) & set(lab.niveaux.split("|")):
            continue
        if deps and lab.departement not in deps:
            continue
        if bassins and lab.bassin not in bassins:
            continue
        out.add(lab.code)
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"themes": ("webmedias",)},
        {"themes": ("programmation_ia", "parentalite")},
        {"niveaux": ("lycee_pro",)},
        {"niveaux": ("ecole",), "themes": ("savoirs_fondamentaux",)},
        {"deps": ("88",)},
        {"bassins": ("57-forbach",)},
        {"deps": ("57",), "niveaux": ("lycee",)},
    ],
)
def test_laboratories_filters(con, labs_csv, kwargs):
    filters = Filters(
        thematiques=kwargs.get("themes", ()),
        niveaux=kwargs.get("niveaux", ()),
        departements=kwargs.get("deps", ()),
        bassins=kwargs.get("bassins", ()),
    )
    res = queries.laboratories(con, filters)
    expected = _labs_matching(labs_csv, **kwargs)
    assert expected, kwargs
    assert set(res.data["code"]) == expected
    assert len(res.data) == len(expected)
    assert res.empty_reason is None


def test_laboratories_public_filter_is_reported(con, labs_csv):
    res = queries.laboratories(con, Filters(publics=("parents",)))
    assert len(res.data) == len(labs_csv)
    assert res.ignored and "public" in res.ignored[0]


def test_projects(con):
    with (ROOT / "data" / "reference" / "projets.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    cirey = queries.projects(con, "lab-cirey")
    expected = {r["intitule"] for r in rows if r["laboratoire"] == "lab-cirey"}
    assert not cirey.empty and set(cirey["intitule"]) == expected
    assert (cirey["laboratoire"] == "lab-cirey").all()
    assert len(queries.projects(con)) == len(rows)
    assert queries.projects(con, "lab-inexistant").empty


# -------------------------------------------------------------------------------------------- measures


@pytest.fixture(scope="module")
def territory_of(labs_csv, bassin_departement) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    out = {("academie", ACAD): (None, None)}
    out.update({("departement", d): (d, None) for d in set(bassin_departement.values())})
    out.update({("bassin", b): (d, b) for b, d in bassin_departement.items()})
    out.update({("laboratoire", lab.code): (lab.departement, lab.bassin) for lab in labs_csv.itertuples()})
    return out


@pytest.mark.parametrize(
    ("filters", "indicator"),
    [
        (Filters(), "gar_connexions"),
        (Filters(departements=("57",)), "ent_visites"),
        (Filters(bassins=("54-luneville", "57-forbach")), None),
        (Filters(niveaux=("college",), periode_debut="2022-2023"), None),
        (Filters(thematiques=("ent",), publics=("eleves",)), "accompagnement_heures"),
        (Filters(departements=("54", "88"), publics=("tous",), periode_fin="2021-2022"), "labo_personnes"),
        (Filters(periode_debut="2023-2024", periode_fin="2023-2024"), "ent_visites_mois"),
    ],
)
def test_measures_respect_every_filter(con, raw_measures, territory_of, filters, indicator):
    expected = raw_measures
    if indicator:
        expected = expected[expected["indicateur"] == indicator]
    places = [territory_of[(t, c)] for t, c in zip(expected["territoire_type"], expected["territoire_code"])]
    keep = pd.Series(True, index=expected.index)
    if filters.departements:
        keep &= pd.Series([d in filters.departements for d, _ in places], index=expected.index)
    if filters.bassins:
        keep &= pd.Series([b in filters.bassins for _, b in places], index=expected.index)
    for column, attr in (("niveau", "niveaux"), ("thematique", "thematiques"), ("public", "publics")):
        if getattr(filters, attr):
            keep &= expected[column].isin(getattr(filters, attr))
    years = expected["periode"].map(
        lambda p: (
            p if len(p) == 9 else (f"{p[:4]}-{int(p[:4]) + 1}" if int(p[5:]) >= 9 else f"{int(p[:4]) - 1}-{p[:4]}")
        )
    )
    if filters.periode_debut:
        keep &= years >= filters.periode_debut
    if filters.periode_fin:
        keep &= years <= filters.periode_fin
    expected = expected[keep].sort_values(KEY).reset_index(drop=True)
    got = queries.measures(con, filters, indicator)
    assert list(got.columns) == [*KEY, "valeur", "origine", "source"]
    assert not expected.empty
    assert len(got) == len(expected)
    got = got.sort_values(KEY).reset_index(drop=True)
    for column in [*KEY, "origine", "source"]:
        assert got[column].tolist() == expected[column].tolist(), column
    assert got["valeur"].tolist() == expected["valeur"].tolist()


def test_all_measures(con, raw_measures):
    assert len(queries.all_measures(con)) == len(raw_measures)


# --------------------------------------------------------------------------------------------- filters


def test_choices_come_from_the_reference(choices, bassin_departement, academie_json):
    assert choices.departements == tuple(d["code"] for d in academie_json["departements"])
    assert dict(choices.bassins) == bassin_departement
    assert choices.niveaux == ("ecole", "college", "lycee", "lycee_pro")
    assert choices.publics == ("eleves", "enseignants", "parents")
    assert "tous" not in choices.thematiques and len(choices.thematiques) == 21
    assert choices.annees == tuple(academie_json["annees"])


def test_params_round_trip(choices):
    filters = Filters(
        departements=("57", "54"),
        bassins=("57-metz", "54-nancy"),
        thematiques=("ent",),
        niveaux=("college", "lycee"),
        publics=("eleves",),
        periode_debut="2021-2022",
        periode_fin="2023-2024",
    )
    params = to_params(filters)
    assert params == {
        "dep": "57,54",
        "bassin": "57-metz,54-nancy",
        "theme": "ent",
        "niveau": "college,lycee",
        "public": "eleves",
        "de": "2021-2022",
        "a": "2023-2024",
    }
    parsed, notices = parse_params(params, choices)
    assert parsed == filters and notices == []
    assert to_params(Filters()) == {}
    assert parse_params({}, choices) == (Filters(), [])
    assert Filters().is_default() and not filters.is_default()


def test_unknown_values_are_dropped_with_french_notices(choices):
    params = {
        "dep": "57,99",
        "theme": "ent,cuisine",
        "niveau": "maternelle",
        "public": "eleves,eleves",
        "de": "1999-2000",
    }
    filters, notices = parse_params(params, choices)
    assert filters == Filters(departements=("57",), thematiques=("ent",), publics=("eleves",))
    assert len(notices) == 4
    joined = "\n".join(notices)
    assert "département « 99 » inconnu" in joined
    assert "thématique « cuisine » inconnu" in joined
    assert "niveau « maternelle » inconnu" in joined
    assert "année scolaire « 1999-2000 » inconnue" in joined
    assert all("ignoré" in n for n in notices)


def test_bassin_outside_the_departements_is_dropped(choices):
    filters, notices = parse_params({"dep": "54", "bassin": "54-nancy,57-metz"}, choices)
    assert filters.departements == ("54",) and filters.bassins == ("54-nancy",)
    assert len(notices) == 1 and "57-metz" in notices[0] and "n'appartient pas" in notices[0]


def test_inverted_period_is_swapped(choices):
    filters, notices = parse_params({"de": "2023-2024", "a": "2020-2021"}, choices)
    assert (filters.periode_debut, filters.periode_fin) == ("2020-2021", "2023-2024")
    assert len(notices) == 1 and "inversée" in notices[0]


@pytest.mark.parametrize(
    "params",
    [
        {"dep": "x" * 100_000},
        {"dep": ["54", None, 57, ["88"], {"a": 1}], "bassin": None},
        {"bassin": ("57-metz", "57-metz"), "theme": 3.5, "niveau": b"college", "public": object()},
        {"de": ["2023-2024", "2020-2021"], "a": ""},
        {"de": "'; DROP TABLE mesures; --", "a": "\x00\n\t", "inconnu": "1"},
        {"dep": ",,,", "bassin": " , 57-metz ,", "theme": "é" * 5000},
        {"dep": "57", "bassin": ["54-nancy"] * 1000},
    ],
)
def test_garbage_never_raises(choices, params):
    filters, notices = parse_params(params, choices)
    assert set(filters.departements) <= set(choices.departements)
    assert set(filters.bassins) <= set(choices.bassins)
    assert set(filters.thematiques) <= set(choices.thematiques)
    assert set(filters.niveaux) <= set(choices.niveaux)
    assert set(filters.publics) <= set(choices.publics)
    assert filters.periode_debut in (None, *choices.annees) and filters.periode_fin in (None, *choices.annees)
    assert all(isinstance(n, str) and len(n) < 300 for n in notices)
    assert len(filters.bassins) == len(set(filters.bassins))
    parsed, _ = parse_params(to_params(filters), choices)
    assert parsed == filters


def test_school_years_between():
    assert school_years_between(YEARS, "2021-2022", None) == YEARS[1:]
    assert school_years_between(["2023-09", *YEARS], None, "2021-2022") == YEARS[:2]
