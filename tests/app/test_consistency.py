"""One set of filters, one answer (AppTest through the entrypoint): for every département × a few thèmes (a
main thème, a sub-thème) × every niveau, the counts of labs shown by the pages equal ONE reference query,
`queries.laboratories(con, filters, open_in=<year of the cards>)`:
- Vue d'ensemble: the KPI « Laboratoires numériques ouverts » and « N laboratoires dans M bassins »;
- Carte (indicator `labo_nombre`): the sum of the bassins' colours (data table) and the markers;
- Laboratoires: the count of the list.
"""

from __future__ import annotations

import json
import re

import pytest

from observatoire import queries
from observatoire.figures import formatting
from observatoire.filters import Filters
from tests.helpers import component_instances, md_text, unexpected_errors

THEMES = ("sciences_numerique", "robotique_programmation")  # a main thème, a sub-thème (of Programmation et IA)


def _grid(con) -> list[Filters]:
    choices = queries.choices(con)
    return [Filters(departements=(d,), thematiques=(t,), niveaux=(n,))
            for d in choices.departements for t in THEMES for n in choices.niveaux]


def _set(at, filters: Filters):
    at.multiselect(key="f_departements").set_value(list(filters.departements))
    at.multiselect(key="f_thematiques").set_value(list(filters.thematiques))
    at.multiselect(key="f_niveaux").set_value(list(filters.niveaux))
    at.run()
    assert not unexpected_errors(at), (filters, unexpected_errors(at))
    return at


def _reference(con, filters: Filters):
    return queries.laboratories(con, filters, open_in=queries.school_years(con)[-1]).data


def _map_script(at) -> str:
    (component,) = component_instances(at)
    return json.loads(component.proto.json_args)["script"]


def test_overview_counts_equal_the_reference_query(app, con):
    at = app()
    for filters in _grid(con):
        _set(at, filters)
        labs = _reference(con, filters)
        kpi = next(m for m in at.metric if md_text(m.label) == "Laboratoires numériques ouverts")
        assert md_text(kpi.value) == formatting.number(len(labs)), (filters, kpi.value, len(labs))
        coverage = next(md_text(m.value) for m in at.markdown if m.value.startswith("### ")
                        and ("laboratoire" in m.value or "Aucun" in m.value))
        if labs.empty:
            assert "Aucun laboratoire" in coverage, filters
        else:
            match = re.search(r"(\d+) laboratoires? dans (\d+) bassins?", coverage)
            assert match, coverage
            assert (int(match[1]), int(match[2])) == (len(labs), labs["bassin"].nunique()), (filters, coverage)


def test_map_colours_and_markers_equal_the_reference_query(app, con):
    at = app(query_params={"indicateur": "labo_nombre"}, page="pages/carte.py")
    for filters in _grid(con):
        _set(at, filters)
        assert at.selectbox(key="carte_indicateur").value == "labo_nombre", filters
        labs = _reference(con, filters)
        table = next(d.value for d in at.dataframe if "Valeur (nombre)" in d.value.columns)
        assert table["Valeur (nombre)"].fillna(0).sum() == len(labs), filters
        assert _map_script(at).count("L.marker(") == len(labs), filters


@pytest.mark.parametrize("page", ["pages/laboratoires.py"])
def test_lab_list_equals_the_reference_query(app, con, page):
    at = app(page=page)
    for filters in _grid(con):
        _set(at, filters)
        labs = _reference(con, filters)
        heading = md_text(at.subheader[0].value)
        expected = f"{formatting.number(len(labs))} laboratoire" if len(labs) else "Aucun laboratoire"
        assert heading.startswith(expected), (filters, heading)
