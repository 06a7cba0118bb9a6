"""The URL holds the user's choices, never a default (issue 18, points 1 and 5), through the entrypoint (AppTest).

- A session follows the data: with no year chosen, a school year published by an import (2024-2025) is shown at
  the session's next action, on every page, and no `a=` / `annee=` ever enters the URL.
- A year the user chose stays, even when it was the latest one; a French notice then offers the newer year
  (« Afficher 2024-2025 » follows the data again, « Garder mon choix » hides the notice).
- A `?version=N` link stays on version N.
- Every page opened without parameters writes none; a choice is written, a choice back to nothing is removed.
- The active tab (Indicateurs, Laboratoires), the switches and the search are in the URL and a link reopens them.

Stores: the tests that publish use their own store folder (`fresh`), never the session's demo store.
"""

from __future__ import annotations

import pytest

from observatoire import queries, versions
from observatoire.filters import PARAM_NAMES
from tests.conftest import ENTRYPOINT
from tests.helpers import md_text, unexpected_errors
from tests.publishing import NEW_YEAR, publish_new_year

LATEST = "2023-2024"  # the demo data's latest school year
PAGE_PARAMS = {
    "indicateur",
    "annee",
    "methode",
    "classes",
    "fond",
    "bassin_sel",
    "par",
    "de_annee",
    "a_annee",
    "labo",
    "onglet",
    "vue",
    "recherche",
    "toutes_courbes",
    "tous_indicateurs",
    "diapo",
}


@pytest.fixture()
def fresh(tmp_path, monkeypatch) -> versions.Repository:
    """A store of its own (version 1 = the demo data), read by the app of this test."""
    repo = versions.Repository(tmp_path / "var")
    repo.init(author="tests")
    monkeypatch.setenv("OBSERVATOIRE_STORE", str(repo.root))
    return repo


def _app(query_params: dict[str, str] | None = None, page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _run(at, action=None):
    (action or at).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _switch(at, page: str):
    """A click on a page of the sidebar: the browser drops the query string (AppTest keeps it)."""
    for name in list(at.query_params):
        del at.query_params[name]
    return _run(at, at.switch_page(page))


def _params(at) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def _notice(at) -> str:
    return " ".join(md_text(i.value) for i in at.info if "sont publiées" in md_text(i.value))


def _page_text(at) -> str:
    """Every text of the main area (Markdown, captions, metrics' labels, values and changes)."""
    parts = [
        md_text(str(e.value))
        for kind in ("markdown", "caption", "subheader", "title", "info")
        for e in at.main.get(kind)
    ]
    parts += [f"{m.label} {m.value} {m.proto.delta}" for m in at.main.get("metric")]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------- point 1: the year


def test_an_open_session_shows_a_new_school_year_at_its_next_action(fresh):
    at = _app()
    _run(at, at.multiselect(key="f_departements").set_value(["57"]))  # a filter changed: its own URL only
    assert at.selectbox(key="f_fin").value == LATEST
    assert _params(at) == {"dep": "57"}  # the default « Jusqu'à » is not written (it was `a=2023-2024`)
    _switch(at, "pages/carte.py")
    assert "annee" not in at.query_params

    version = publish_new_year(fresh)  # GAR and PIX 2024-2025: version n° 2
    _switch(at, "pages/vue_ensemble.py")  # the next action of the open session
    assert at.selectbox(key="f_fin").value == NEW_YEAR
    assert at.selectbox(key="f_fin").options[-1] == NEW_YEAR
    assert at.session_state["filters"].periode_fin is None
    assert _params(at) == {"dep": "57"}
    assert f"n° {version.number} " in " ".join(c.value for c in at.caption)  # the footer
    assert not _notice(at)  # nothing was chosen: nothing to offer
    # the overview's cards read the new year where it exists (GAR, PIX)
    with fresh.connect() as con:
        expected = {k.indicateur: k.annee for k in queries.kpis(con, at.session_state["filters"])}
    assert expected["gar_connexions"] == NEW_YEAR
    assert NEW_YEAR in _page_text(at)
    # every page: the new year is the default of its year selectors, never written
    _switch(at, "pages/carte.py")
    assert next(s for s in at.selectbox if s.key == "carte_annee").value == NEW_YEAR
    _switch(at, "pages/indicateurs.py")
    assert at.selectbox(key="ind_annee").value == NEW_YEAR and at.selectbox(key="ind_a").value == NEW_YEAR
    assert _params(at) == {"dep": "57"}


def test_a_chosen_year_stays_and_a_notice_offers_the_newer_one(fresh):
    at = _app()
    _run(at, at.selectbox(key="f_fin").set_value("2022-2023"))
    _run(at, at.selectbox(key="f_fin").set_value(LATEST))  # chosen, although it is the latest today
    assert at.query_params["a"] == LATEST
    assert not _notice(at)
    publish_new_year(fresh)
    _run(at)
    assert at.selectbox(key="f_fin").value == LATEST  # the user's choice is kept
    assert at.query_params["a"] == LATEST
    assert at.session_state["filters"].periode_fin == LATEST
    notice = _notice(at)
    assert f"Des données de l'année scolaire **{NEW_YEAR}** sont publiées" in notice
    assert f"« Jusqu'à » : {LATEST}" in notice
    # above the page title, with its two buttons
    assert at.button(key="newer_year_follow").label == f"Afficher {NEW_YEAR}"
    _run(at, at.button(key="newer_year_follow").click())
    assert at.selectbox(key="f_fin").value == NEW_YEAR
    assert "a" not in at.query_params and at.session_state["filters"].periode_fin is None
    assert not _notice(at)


def test_keep_my_choice_hides_the_notice_until_a_later_year(fresh):
    at = _app()
    _run(at, at.selectbox(key="f_fin").set_value("2022-2023"))
    publish_new_year(fresh)
    _run(at)
    assert _notice(at)
    _run(at, at.button(key="newer_year_keep").click())
    assert not _notice(at)
    assert at.query_params["a"] == "2022-2023" and at.selectbox(key="f_fin").value == "2022-2023"
    _switch(at, "pages/indicateurs.py")
    assert not _notice(at)
    publish_new_year(fresh, "2025-2026")
    _run(at)
    assert "2025-2026" in _notice(at)


def test_a_link_with_an_old_end_year_keeps_it_and_offers_the_newer_one(fresh):
    publish_new_year(fresh)
    at = _app({"a": LATEST, "dep": "57"})  # a link copied before the fix: the default written as `a=`
    assert at.selectbox(key="f_fin").value == LATEST
    assert _params(at) == {"a": LATEST, "dep": "57"}
    assert f"« Jusqu'à » : {LATEST}" in _notice(at)


def test_a_year_chosen_on_the_carte_stays_with_the_notice(fresh):
    at = _app(page="pages/carte.py")
    _run(at, next(s for s in at.selectbox if s.key == "carte_annee").set_value("2022-2023"))
    _run(at, next(s for s in at.selectbox if s.key == "carte_annee").set_value(LATEST))
    assert at.query_params["annee"] == LATEST
    publish_new_year(fresh)
    _run(at)
    assert next(s for s in at.selectbox if s.key == "carte_annee").value == LATEST
    assert "« Année scolaire » : 2023-2024" in _notice(at)
    assert at.selectbox(key="f_fin").value == NEW_YEAR  # the sidebar, not chosen, follows the data
    _run(at, at.button(key="newer_year_follow").click())
    assert next(s for s in at.selectbox if s.key == "carte_annee").value == NEW_YEAR
    assert "annee" not in at.query_params


def test_a_pinned_link_stays_on_its_version(fresh):
    at = _app({"version": "1"})
    publish_new_year(fresh)
    _run(at, at.multiselect(key="f_departements").set_value(["54"]))
    assert at.selectbox(key="f_fin").value == LATEST
    assert NEW_YEAR not in at.selectbox(key="f_fin").options
    assert _params(at) == {"version": "1", "dep": "54"}
    assert not _notice(at)


def test_an_undone_year_falls_back_to_the_data(fresh):
    version = publish_new_year(fresh)
    at = _app()
    _run(at, at.selectbox(key="f_fin").set_value(LATEST))
    _run(at, at.selectbox(key="f_fin").set_value(NEW_YEAR))
    assert at.query_params["a"] == NEW_YEAR
    with fresh.connect() as con:
        lot = int(con.execute("SELECT max(lot_id) FROM lots").fetchone()[0])
    fresh.undo(lot, "tests")
    assert fresh.current().number == version.number + 1
    _run(at)
    assert at.selectbox(key="f_fin").value == LATEST
    assert "a" not in at.query_params
    assert any(NEW_YEAR in md_text(w.value) and "n'est plus" in md_text(w.value) for w in at.warning)


# -------------------------------------------------------------------------------- defaults never in the URL


@pytest.mark.parametrize(
    "page",
    [
        "pages/vue_ensemble.py",
        "pages/carte.py",
        "pages/indicateurs.py",
        "pages/laboratoires.py",
        "pages/projets.py",
        "pages/donnees.py",
        "pages/presentation.py",
    ],
)
def test_no_page_writes_its_defaults(app, page):
    at = app(page=page)
    assert not unexpected_errors(at)
    assert _params(at) == {}, page
    at.run()  # a second run (what any action does)
    assert _params(at) == {}, page


def test_a_choice_is_written_and_a_choice_back_to_nothing_removed(app):
    at = app(page="pages/indicateurs.py")
    _run(at, at.selectbox(key="ind_par").set_value("niveau"))
    assert _params(at) == {"par": "niveau"}
    _run(at, at.selectbox(key="ind_annee").set_value("2021-2022"))
    assert _params(at) == {"par": "niveau", "annee": "2021-2022"}
    _switch(at, "pages/carte.py")
    assert not PAGE_PARAMS & set(at.query_params)
    _switch(at, "pages/indicateurs.py")  # the page's choices come back, and into the URL
    assert at.selectbox(key="ind_par").value == "niveau"
    assert _params(at) == {"par": "niveau", "annee": "2021-2022"}
    at = app(page="pages/projets.py")
    _run(at, at.text_input(key="projets_recherche").set_value("robotique"))
    assert _params(at) == {"recherche": "robotique"}
    _run(at, at.text_input(key="projets_recherche").set_value(""))
    assert _params(at) == {}


def test_the_slides_write_their_number_from_the_second_one(app):
    at = app(page="pages/presentation.py")
    assert "diapo" not in at.query_params
    _run(at, at.button(key="pres_next").click())
    assert at.query_params["diapo"] == "2"
    _run(at, at.button(key="pres_prev").click())
    assert "diapo" not in at.query_params


def test_the_url_keys_of_the_page_params_are_not_filter_names():
    assert not PAGE_PARAMS & set(PARAM_NAMES.values())


# ------------------------------------------------------------------------------- point 5: the exact view


def _open_tab(at, key: str) -> int:
    """Index of the tab shown by the tab container whose key is `key`."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            proto = getattr(child, "proto", None)
            if (
                proto is not None
                and getattr(proto, "DESCRIPTOR", None) is not None
                and proto.DESCRIPTOR.name == "Block"
                and proto.WhichOneof("type") == "tab_container"
                and proto.tab_container.id.endswith(key)
            ):
                found.append(proto.tab_container.default_tab_index)
            walk(child)

    walk(at._tree)
    assert len(found) == 1, found
    return found[0]


def test_the_indicateurs_tab_is_in_the_url_and_a_link_reopens_it(app):
    at = app(page="pages/indicateurs.py")
    assert _open_tab(at, "ind_onglet") == 0 and "onglet" not in at.query_params
    at.session_state["ind_onglet"] = "Évolution en %"  # what a click on the tab sends
    _run(at)
    assert at.query_params["onglet"] == "evolution-pct"
    assert _open_tab(at, "ind_onglet") == 3
    link = _params(at)
    reopened = app(query_params=link, page="pages/indicateurs.py")
    assert _open_tab(reopened, "ind_onglet") == 3
    assert reopened.session_state["ind_onglet"] == "Évolution en %"
    assert _params(reopened) == link
    at.session_state["ind_onglet"] = "Évolution"  # back to the first tab: the default, out of the URL
    _run(at)
    assert "onglet" not in at.query_params


def test_the_laboratoires_tab_is_in_the_url_and_a_link_reopens_it(app):
    at = app(query_params={"vue": "tableau"}, page="pages/laboratoires.py")
    assert _open_tab(at, "labos_vue") == 1
    assert at.query_params["vue"] == "tableau"
    assert not at.warning


def test_an_unknown_tab_in_a_link_is_a_french_notice(app):
    at = app(query_params={"onglet": "camembert"}, page="pages/indicateurs.py")
    assert _open_tab(at, "ind_onglet") == 0
    assert any("`camembert`" in w.value and "onglet" in w.value for w in at.warning)
    assert "onglet" not in at.query_params


def test_the_switches_are_in_the_url(app):
    at = app(query_params={"par": "bassin", "toutes_courbes": "1"}, page="pages/indicateurs.py")
    assert at.toggle(key="ind_all_groups").value is True
    assert at.query_params["toutes_courbes"] == "1"
    _run(at, at.toggle(key="ind_all_groups").set_value(False))
    assert "toutes_courbes" not in at.query_params
    at = app(query_params={"niveau": "college", "tous_indicateurs": "1"}, page="pages/indicateurs.py")
    assert at.toggle(key="ind_indicateur_tous").value is True
    assert at.query_params["tous_indicateurs"] == "1"


def test_a_projects_search_link_reopens_the_search(app):
    at = app(query_params={"recherche": "robotique"}, page="pages/projets.py")
    assert at.text_input(key="projets_recherche").value == "robotique"
    assert any("pour « robotique »" in md_text(c.value) for c in at.caption)
