"""The one territory rule (`Filters.covers`): a place is in the chosen territory when its département is chosen
(or none is) and its bassin is chosen (or none is). Its SQL form, the queries, the overview's count, the
sidebar's bassin list and the links all answer from it — these tests compare each user with the rule itself."""

from __future__ import annotations

import itertools

import pytest

from observatoire import queries
from observatoire.figures import cards
from observatoire.filters import Choices, Filters, parse_params


def test_the_rule():
    assert Filters().covers("54", "54-a")
    assert Filters(departements=("54",)).covers("54", "x") and not Filters(departements=("54",)).covers("57", "x")
    assert Filters(bassins=("b1",)).covers("57", "b1") and not Filters(bassins=("b1",)).covers("57", "b2")
    both = Filters(departements=("54",), bassins=("b1",))
    assert both.covers("54", "b1") and not both.covers("57", "b1") and not both.covers("54", "b2")
    assert both.covers_departement("54") and not both.covers_departement("57")
    assert Filters().covers_departement("88")


def _territories(con) -> list[Filters]:
    bassins = queries.catalogue(con, "bassins")
    deps = sorted(set(bassins["departement"]))
    by_dep = {d: list(bassins.loc[bassins["departement"] == d, "code"]) for d in deps}
    sets = [
        Filters(),
        Filters(departements=(deps[0],)),
        Filters(departements=tuple(deps[:2])),
        Filters(bassins=(by_dep[deps[-1]][0],)),
        Filters(bassins=(by_dep[deps[0]][0], by_dep[deps[-1]][0])),
        Filters(departements=(deps[0],), bassins=(by_dep[deps[0]][-1],)),
        Filters(departements=(deps[0],), bassins=(by_dep[deps[-1]][0],)),
    ]  # a bassin outside: nothing
    return sets


@pytest.fixture(scope="module")
def places(con):
    bassins = queries.catalogue(con, "bassins")
    labs = queries.catalogue(con, "laboratoires")
    return (
        list(zip(bassins["code"], bassins["departement"], strict=True)),
        list(zip(labs["code"], labs["departement"], labs["bassin"], strict=True)),
    )


def test_the_sql_form_selects_what_the_rule_selects(con, places):
    bassins, _ = places
    for filters in _territories(con):
        condition, params = filters.territory_sql("departement", "code")
        got = {row[0] for row in con.execute(f"SELECT code FROM bassins WHERE {condition}", params).fetchall()}
        assert got == {code for code, dep in bassins if filters.covers(dep, code)}, filters


def test_every_query_and_count_answers_from_the_rule(con, places):
    bassins, labs = places
    catalogue = queries.catalogue(con, "bassins")
    for filters in _territories(con):
        expected_labs = {code for code, dep, bassin in labs if filters.covers(dep, bassin)}
        assert set(queries.laboratories(con, filters).data["code"]) == expected_labs, filters
        count = queries.series(con, "labo_nombre", filters, by="laboratoire", annual=True)
        assert set(count.data["groupe"]) <= expected_labs, filters
        assert cards.bassins_in_scope(catalogue, filters.departements, filters.bassins) == sum(
            filters.covers(dep, code) for code, dep in bassins
        ), filters
        annee = queries.school_years(con)[-1]
        shown = set(queries.values_by_bassin(con, "labo_nombre", annee, filters).data["code"])
        assert shown == {code for code, dep in bassins if filters.with_(bassins=()).covers(dep, code)}, filters
        projects = queries.projects_catalogue(con, filters).data
        located = projects[projects["departement"].notna()]
        assert all(filters.covers(d, b) for d, b in zip(located["departement"], located["bassin"], strict=True))
        if filters.departements or filters.bassins:
            assert len(located) == len(projects), filters


def test_links_and_the_sidebar_list_keep_the_bassins_the_rule_keeps(con, places):
    bassins, _ = places
    choices = queries.choices(con)
    assert isinstance(choices, Choices)
    deps = sorted({dep for _, dep in bassins})
    for chosen in itertools.chain.from_iterable(itertools.combinations(deps, n) for n in (1, 2)):
        asked = [code for code, _ in bassins]
        filters, notices = parse_params({"dep": ",".join(chosen), "bassin": ",".join(asked)}, choices)
        kept = {code for code, dep in bassins if Filters(departements=chosen).covers_departement(dep)}
        assert set(filters.bassins) == kept and len(notices) == len(asked) - len(kept)
