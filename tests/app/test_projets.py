"""Page Projets (AppTest): the catalogue follows the shared filters, the search, the sources, escaping."""

from __future__ import annotations

from observatoire import queries
from observatoire.filters import Filters
from tests.helpers import md_text, open_page, unexpected_errors

PAGE = "app_pages/projets.py"


def _table(at):
    return next(d.value for d in at.dataframe if "Intitulé" in d.value.columns)


def test_every_project_and_heure_numerique_is_listed(app, con):
    at = open_page(app, PAGE)
    table = _table(at)
    expected = queries.projects_catalogue(con, Filters()).data
    assert len(table) == len(expected)
    assert set(table["Intitulé"]) == set(expected["intitule"])
    assert any("Bilan DRANE 2023-2024" in md_text(c.value) for c in at.caption)  # its source


def test_the_shared_filters_apply(app, con):
    at = open_page(app, PAGE, dep="57", theme="sciences_numerique", niveau="college")
    filters = Filters(departements=("57",), thematiques=("sciences_numerique",), niveaux=("college",))
    expected = queries.projects_catalogue(con, filters)
    assert list(_table(at)["Intitulé"]) == list(expected.data["intitule"])
    assert "Filtre niveau" in " ".join(md_text(i.value) for i in at.info)
    at = open_page(app, PAGE, dep="57")
    assert "Filtre territoire" in " ".join(md_text(i.value) for i in at.info)  # heures numériques: no place


def test_search_ignores_case_and_accents(app):
    at = open_page(app, PAGE)
    at.text_input(key="projets_recherche").set_value("ROBOTIQUE").run()
    assert not unexpected_errors(at)
    table = _table(at)
    assert len(table) >= 2 and all("robotique" in " ".join(map(str, row)).lower()
                                   for row in table.itertuples(index=False))
    at.text_input(key="projets_recherche").set_value("decrochage").run()  # « décrochage » in the text
    assert len(_table(at)) == 1
