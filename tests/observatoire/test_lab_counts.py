"""One set of filters, one count of labs: `labo_nombre` (KPI, map colours) equals the list of labs
(`laboratories(..., open_in=year)`: overview coverage, markers, lab list, bassin panel) for every
département × every main thème and a sample of sub-thèmes × every niveau, per year and per bassin, and with several
thèmes or niveaux at once (overlapping parts: a lab is counted once)."""

from __future__ import annotations

import pytest

from observatoire import queries
from observatoire.filters import Filters


def _grid(con) -> list[Filters]:
    """Every pair of dimensions, each value of each: the académie × every thème × every niveau, and each
    département × every thème, × every niveau. The territory is one predicate for every query (issue 21), so a
    département does not change how thème and niveau combine; the full cube (≈ 4 × this grid) checked nothing more."""
    choices = queries.choices(con)
    main = [t for t in choices.thematiques if t not in choices.theme_parents]
    subs = sorted(choices.theme_parents)[::4]  # a sample of sub-thèmes (accompaniment, heures numériques)
    themes = [
        (),
        *[(t,) for t in main + subs],
        ("sciences_numerique", "webmedias"),
        ("robotique_programmation", "webmedias"),
    ]
    niveaux = [(), *[(n,) for n in choices.niveaux], ("college", "lycee")]
    deps = [(d,) for d in choices.departements]
    grid = [Filters(thematiques=t, niveaux=n) for t in themes for n in niveaux]
    grid += [Filters(departements=d, thematiques=t) for d in deps for t in themes]
    grid += [Filters(departements=d, niveaux=n) for d in deps for n in niveaux if n]
    grid += [Filters(departements=d, thematiques=("webmedias",), niveaux=("college", "lycee")) for d in deps]
    return grid


def test_labo_nombre_equals_the_list_of_labs_everywhere(con):
    years = queries.school_years(con)
    grid = _grid(con)
    checked = 0
    for filters in grid:
        series = queries.series(con, "labo_nombre", filters, annual=True).data
        assert list(series["periode"]) == years, filters
        for year, value in zip(series["periode"], series["valeur"]):
            labs = queries.laboratories(con, filters, open_in=year).data
            assert value == len(labs), (filters, year)
            checked += 1
        year = years[-1]  # `labs`: the list of the last year, just compared with its `labo_nombre`
        per_bassin = queries.values_by_bassin(con, "labo_nombre", year, filters).data
        counts = labs.groupby("bassin").size()
        for code, value in zip(per_bassin["code"], per_bassin["valeur"]):
            assert value == counts.get(code, 0), (filters, code)
    assert checked == len(grid) * len(years) and len(grid) > 150


def test_a_sub_theme_reads_its_main_theme_and_says_so(con):
    # before: « Robotique et programmation » listed the labs of « Programmation et IA » but labo_nombre ignored
    # the thème (no sub-thème row) and counted every lab — 6 next to 2 in Moselle for Collège
    filters = Filters(departements=("57",), thematiques=("robotique_programmation",), niveaux=("college",))
    result = queries.series(con, "labo_nombre", filters, annual=True)
    labs = queries.laboratories(con, filters, open_in=result.data["periode"].iloc[-1]).data
    assert result.data["valeur"].iloc[-1] == len(labs) > 0
    assert not any("ne s'applique pas" in note for note in result.ignored)
    assert any(note.startswith(queries.BROADER_PREFIX) and "Programmation" in note for note in result.ignored)


def test_overlapping_parts_count_a_lab_once(con):
    both = queries.series(con, "labo_nombre", Filters(niveaux=("college", "lycee")), annual=True).data
    college = queries.series(con, "labo_nombre", Filters(niveaux=("college",)), annual=True).data
    lycee = queries.series(con, "labo_nombre", Filters(niveaux=("lycee",)), annual=True).data
    assert (both["valeur"].to_numpy() < college["valeur"].to_numpy() + lycee["valeur"].to_numpy()).any()
    assert both["valeur"].iloc[-1] == len(queries.laboratories(con, Filters(niveaux=("college", "lycee"))).data)


def test_additive_indicators_still_sum_their_parts(con):
    # labo_personnes splits each lab's value between its niveaux: parts add up, no per-lab maximum
    both = queries.series(con, "labo_personnes", Filters(niveaux=("college", "lycee")), annual=True).data
    college = queries.series(con, "labo_personnes", Filters(niveaux=("college",)), annual=True).data
    lycee = queries.series(con, "labo_personnes", Filters(niveaux=("lycee",)), annual=True).data
    assert list(both["valeur"]) == pytest.approx(list(college["valeur"] + lycee["valeur"]))


def test_filter_response_agrees_with_the_queries(con):
    """The picker's « responds » (catalogue declarations) = the query does not report the filter as not
    applicable, for every niveau and every thème."""
    choices = queries.choices(con)
    ids = list(queries.indicators(con)["id"])
    grid = [Filters(niveaux=(n,)) for n in choices.niveaux] + [
        Filters(thematiques=(t,)) for t in choices.thematiques
    ]
    grid.append(Filters(niveaux=("college",), thematiques=("sciences_numerique",)))
    for filters in grid:
        response = queries.filter_response(con, filters).set_index("id")
        for ind in ids:
            ignored = queries.resolve_scope(con, ind, filters).ignored  # what `series` reports, without its query
            not_applicable = any("ne s'applique pas" in note for note in ignored)
            assert bool(response.at[ind, "repond"]) is not not_applicable, (filters, ind, ignored)
    sample = grid[-1]  # the scope's notes are the series' notes
    assert (
        queries.series(con, "ent_visites", sample, annual=True).ignored
        == queries.resolve_scope(con, "ent_visites", sample).ignored
    )
    response = queries.filter_response(con, Filters(niveaux=("college",)))
    assert int((~response["repond"]).sum()) == 7  # bench/filters_coverage.py: niveau 25/32
    assert response["thematique"].isna().all()


def test_projects_catalogue_follows_the_filters(con):
    everything = queries.projects_catalogue(con, Filters()).data
    projets = queries.catalogue(con, "projets")
    assert int((everything["type"] == "Projet").sum()) == len(projets)
    assert int((everything["type"] == "Heure numérique").sum()) > 0
    # a main thème keeps its sub-thèmes (heures numériques), a sub-thème its main thème's projects
    ia = queries.projects_catalogue(con, Filters(thematiques=("programmation_ia",))).data
    assert set(ia["thematique"]) == {"programmation_ia", "hn_ia_generatives"}
    sub = queries.projects_catalogue(con, Filters(thematiques=("hn_ia_generatives",))).data
    assert "programmation_ia" in set(sub["thematique"])
    # territory through the lab: every project of Moselle belongs to a lab of Moselle
    moselle = queries.projects_catalogue(con, Filters(departements=("57",)))
    labs = queries.laboratories(con, Filters(departements=("57",))).data
    assert set(moselle.data["laboratoire"]) <= set(labs["code"]) and not moselle.data.empty
    assert any(note.startswith("Filtre territoire") for note in moselle.ignored)
    college = queries.projects_catalogue(con, Filters(niveaux=("lycee_pro",)))
    assert any(note.startswith("Filtre niveau") for note in college.ignored)


def test_lab_profile_compares_with_the_academie(con):
    year = queries.school_years(con)[-1]
    profile = queries.lab_profile(con, "lab-forbach", year).set_index("indicateur")
    per_lab = queries.series(
        con, "labo_personnes", Filters(), by="laboratoire", annual=True, periods=(year, year)
    ).data
    total = per_lab["valeur"].sum()
    mine = float(per_lab.loc[per_lab["groupe"] == "lab-forbach", "valeur"].iloc[0])
    row = profile.loc["labo_personnes"]
    assert row["valeur"] == mine and row["academie"] == pytest.approx(total)
    assert row["part_pct"] == pytest.approx(mine / total * 100)
    assert row["rang"] == int((per_lab["valeur"] > mine).sum()) + 1 and row["nb"] == len(per_lab)
    assert "labo_nombre" not in profile.index  # a lab counting itself compares with nothing
