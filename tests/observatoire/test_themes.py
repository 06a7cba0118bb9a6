"""One thème taxonomy: a main thème (laboratories' thèmes of the bilan) reaches its sub-thèmes (accompaniment
and « heures numériques » thèmes) in every query; the origin of a measure is read from `origine`."""

from __future__ import annotations

import shutil

import pandas as pd

from observatoire import queries, schema, versions
from observatoire.filters import Filters
from tests.publishing import import_frame

YEAR = "2023-2024"


def _value(result: queries.Result, year: str = YEAR) -> float:
    data = result.data
    return float(data.loc[data["periode"] == year, "valeur"].sum())


def test_expand_themes(con):
    assert queries.expand_themes(con, ()) == ()
    assert set(queries.expand_themes(con, ("savoirs_fondamentaux",))) == {
        "savoirs_fondamentaux",
        "ressources_numeriques",
        "outils_nomades",
        "hn_ecriture",
    }
    assert queries.expand_themes(con, ("ent",)) == ("ent",)  # a sub-thème stays precise
    assert queries.theme_parents(con)["robotique_programmation"] == "programmation_ia"
    assert queries.choices(con).theme_parents["hn_ia_generatives"] == "programmation_ia"


def test_main_theme_aggregates_its_sub_themes(con, raw_measures):
    res = queries.series(con, "accompagnement_heures", Filters(thematiques=("savoirs_fondamentaux",)), annual=True)
    assert res.ignored == ()
    # bilan: ressources numériques 6 039 + 4 612 h, outils nomades 4 011 + 1 278 h
    assert _value(res) == 6_039 + 4_612 + 4_011 + 1_278
    acad = raw_measures[
        (raw_measures["indicateur"] == "accompagnement_heures")
        & (raw_measures["territoire_type"] == "academie")
        & (raw_measures["public"] == "tous")
    ]
    for year in acad["periode"].unique():
        rows = acad[
            (acad["periode"] == year) & acad["thematique"].isin(["ressources_numeriques", "outils_nomades"])
        ]
        assert _value(res, year) == rows["valeur"].sum()
    webmedias = queries.series(con, "accompagnement_heures", Filters(thematiques=("webmedias",)), annual=True)
    assert _value(webmedias) == 2_694 + 2_474
    # a precise sub-thème is still possible
    ent = queries.series(con, "accompagnement_heures", Filters(thematiques=("ent",)), annual=True)
    assert _value(ent) == 3_926 + 6_227
    # a main thème with no accompaniment thème: said, not silently ignored
    arts = queries.series(con, "accompagnement_heures", Filters(thematiques=("arts_patrimoine_culture",)))
    assert arts.ignored and "thématique" in arts.ignored[0]


def test_breakdown_by_theme_under_a_main_theme_shows_the_sub_themes(con):
    res = queries.series(
        con,
        "accompagnement_heures",
        Filters(thematiques=("savoirs_fondamentaux",)),
        by="thematique",
        annual=True,
        periods=(YEAR, YEAR),
    )
    assert dict(zip(res.data["groupe"], res.data["valeur"])) == {
        "outils_nomades": 4_011 + 1_278,
        "ressources_numeriques": 6_039 + 4_612,
    }
    assert set(res.data["libelle"]) == {"Outils nomades et interactivité", "Ressources numériques"}


def test_same_main_theme_reaches_labs_activity_projects_and_measures(con):
    filters = Filters(thematiques=("programmation_ia",))
    labs = queries.laboratories(con, filters).data
    assert "lab-forbach" in set(labs["code"])
    assert all("programmation_ia" in t.split("|") for t in labs["thematiques"])
    # a sub-thème reaches the labs of its main thème (labs are tagged with main thèmes)
    sub = queries.laboratories(con, Filters(thematiques=("robotique_programmation",))).data
    assert set(sub["code"]) == set(labs["code"])
    projects = queries.projects(con, thematiques=("programmation_ia",))
    assert set(projects["thematique"]) == {"programmation_ia"} and len(projects) == 2
    assert len(queries.projects(con, thematiques=("hn_ia_generatives",))) == 2
    activity = queries.series(con, "labo_personnes", filters, annual=True)
    total = queries.series(con, "labo_personnes", Filters(), annual=True)
    assert activity.ignored == () and 0 < _value(activity) < _value(total)
    by_lab = queries.series(con, "labo_personnes", filters, by="laboratoire", annual=True, periods=(YEAR, YEAR))
    assert set(by_lab.data["groupe"]) <= set(labs["code"])
    raw = queries.measures(con, Filters(thematiques=("webmedias",)), "accompagnement_heures")
    assert set(raw["thematique"]) == {"hybridation_webmedias"}


def test_labs_counted_by_theme_overlap(con):
    total = _value(queries.series(con, "labo_nombre", Filters(), annual=True))
    assert total == 16
    per_theme = queries.series(con, "labo_nombre", Filters(), by="thematique", annual=True, periods=(YEAR, YEAR))
    assert per_theme.data["valeur"].max() <= total < per_theme.data["valeur"].sum()
    ecole = _value(queries.series(con, "labo_nombre", Filters(niveaux=("ecole",)), annual=True))
    assert ecole == 9  # labs serving écoles (laboratoires.csv)


def test_illustrative_flag_and_source_order_come_from_origine(demo_store, tmp_path):
    """A lot whose source text says « illustratif » but whose origine is `import` is not illustrative, and an
    `illustratif` origin is flagged whatever its source text."""
    repo = versions.Repository(tmp_path / "store")
    shutil.copytree(demo_store.root, repo.root)
    key = {
        "indicateur": "webradios",
        "territoire_type": "academie",
        "territoire_code": "nancy-metz",
        "niveau": "tous",
        "thematique": "webmedias",
        "public": "tous",
    }
    frame = pd.DataFrame(
        [
            {**key, "periode": "2022-2023", "valeur": "70", "origine": "import", "source": "illustratif (import)"},
            {**key, "periode": "2023-2024", "valeur": "77", "origine": "illustratif", "source": "Enquête locale"},
        ]
    )
    import_frame(repo, frame[list(schema.MEASURE_COLUMNS)], "test.csv")
    with repo.connect() as con:
        f = Filters(thematiques=("webmedias",), periode_debut="2022-2023", periode_fin="2022-2023")
        imported = queries.series(con, "webradios", f, annual=True)
        assert not imported.illustrative and not bool(imported.data["illustratif"].any())
        assert imported.sources == ("illustratif (import)",)
        f = Filters(thematiques=("webmedias",), periode_debut="2022-2023", periode_fin="2023-2024")
        both = queries.series(con, "webradios", f, annual=True)
        assert both.illustrative
        assert both.sources == ("illustratif (import)", "Enquête locale")  # illustrative origin last


def test_measures_read_a_sub_theme_as_series_do(con):
    """One set of filters, one answer: with a sub-thème chosen, the raw measures (Données et sources) hold the
    rows `series` reads — its main thème for the indicators broken down by main thème only (labo_*, with the
    `BROADER_PREFIX` note), the sub-thème itself elsewhere."""
    filters = Filters(thematiques=("robotique_programmation",))
    raw = queries.measures(con, filters)
    read = {ind: set(rows["thematique"]) for ind, rows in raw.groupby("indicateur")}
    assert read["labo_personnes"] == {"programmation_ia"}
    assert read["accompagnement_heures"] == {"robotique_programmation"}
    for ind in queries.indicators(con)["id"]:
        scope = queries.resolve_scope(con, ind, filters)
        if any("ne s'applique pas" in note for note in scope.ignored) or scope.empty_reason:
            assert ind not in read, ind  # the filter restricts the raw rows: none for this indicator
            continue
        assert read.get(ind) == set(scope.values["thematique"]), ind
        if ind.startswith("labo_"):  # broken down by main thème only: read at the main thème, with the note
            assert any(note.startswith(queries.BROADER_PREFIX) for note in scope.ignored), ind
    # the académie value of a year equals the series value for the same filters
    year_rows = raw[
        (raw["indicateur"] == "labo_personnes")
        & (raw["territoire_type"] == "academie")
        & (raw["periode"] == YEAR)
        & (raw["niveau"] == "tous")
        & (raw["public"] == "tous")
    ]
    assert year_rows["valeur"].sum() == _value(queries.series(con, "labo_personnes", filters, annual=True))
    # a main thème still reads its whole branch; an indicator-restricted call follows the same rule
    assert set(queries.measures(con, filters, "labo_classes")["thematique"]) == {"programmation_ia"}
    assert queries.measures(con, Filters(thematiques=("zz_inconnu",))).empty
