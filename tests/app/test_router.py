"""The router (dashboard.py): shared filters created once, kept across pages, mirrored in the URL."""

from __future__ import annotations

import pytest

from observatoire import queries
from observatoire.filters import PARAM_NAMES, Filters, to_params
from tests.helpers import unexpected_errors

PAGES = [
    "pages/vue_ensemble.py",
    "pages/carte.py",
    "pages/indicateurs.py",
    "pages/laboratoires.py",
    "pages/donnees.py",
]
FILTER_KEYS = {
    "departements": "f_departements",
    "bassins": "f_bassins",
    "thematiques": "f_thematiques",
    "niveaux": "f_niveaux",
    "publics": "f_publics",
}


def _filter_params(at) -> dict[str, str]:
    names = set(PARAM_NAMES.values())
    return {k: at.query_params[k] for k in at.query_params if k in names}


@pytest.fixture()
def full_filters(con) -> Filters:
    """A filter value using every dimension, built from the store's catalogues."""
    choices = queries.choices(con)
    bassin = next(b for b, d in choices.bassins.items() if d == "57")
    return Filters(
        departements=("57",),
        bassins=(bassin,),
        thematiques=(choices.thematiques[0],),
        niveaux=(choices.niveaux[1],),
        publics=(choices.publics[0],),
        periode_debut=choices.annees[1],
        periode_fin=choices.annees[-2],
    )


def test_query_params_round_trip_on_every_page(app, full_filters):
    params = to_params(full_filters)
    at = app(query_params=params)
    assert not unexpected_errors(at)
    for attr, key in FILTER_KEYS.items():
        assert at.multiselect(key=key).value == list(getattr(full_filters, attr))
    assert at.selectbox(key="f_debut").value == full_filters.periode_debut
    assert at.selectbox(key="f_fin").value == full_filters.periode_fin
    assert _filter_params(at) == params
    for page in PAGES:  # the filters survive page switches and stay in the URL
        at.switch_page(page).run()
        assert not unexpected_errors(at), page
        assert at.session_state["filters"] == full_filters, page
        assert _filter_params(at) == params, page


def test_unknown_values_are_dropped_with_a_french_notice(app):
    at = app(query_params={"dep": "57,99", "niveau": "college,<script>", "de": "1999-2000"})
    assert not unexpected_errors(at)
    assert at.multiselect(key="f_departements").value == ["57"]
    assert at.multiselect(key="f_niveaux").value == ["college"]
    warnings = " ".join(str(w.value) for w in at.warning)
    # the URL value is quoted as inline code (never rendered as Markdown)
    assert "`99` inconnu" in warnings and "`<script>` inconnu" in warnings and "`1999-2000`" in warnings
    assert _filter_params(at) == {"dep": "57", "niveau": "college"}


def test_changing_a_filter_updates_the_url_and_reset_clears_everything(app):
    at = app()
    assert _filter_params(at) == {}
    at.multiselect(key="f_departements").set_value(["54", "88"]).run()
    assert _filter_params(at) == {"dep": "54,88"}
    bassin_options = at.multiselect(key="f_bassins").options
    assert bassin_options and all(o for o in bassin_options)
    assert at.button[0].label == "Réinitialiser les filtres"
    at.button[0].click().run()
    assert at.multiselect(key="f_departements").value == []
    assert _filter_params(at) == {}
    assert at.session_state["filters"] == Filters()


def test_bassins_are_limited_to_the_chosen_departements(app, con):
    at = app(query_params={"dep": "55"})
    expected = sorted(b for b, d in queries.choices(con).bassins.items() if d == "55")
    labels = queries.labels(con).bassins
    assert sorted(at.multiselect(key="f_bassins").options) == sorted(labels[b] for b in expected)


def test_footer_shows_the_data_version(app, con):
    from observatoire import store

    at = app()
    version = store.data_version(con)
    assert any(version.empreinte in str(c.value) for c in at.caption)


def _in_order(node) -> list:
    """Nodes of a block in display order (children sorted by their index, depth first)."""
    out = [node]
    for index in sorted(getattr(node, "children", {}) or {}):
        out += _in_order(node.children[index])
    return out


def test_bad_url_notices_are_at_the_top_of_the_main_area_until_dismissed(app):
    at = app(query_params={"dep": "57,zz"})
    assert not unexpected_errors(at)
    assert not at.sidebar.warning  # no longer at the bottom of the sidebar
    nodes = [
        n
        for n in _in_order(at.main)
        if getattr(n, "type", None) in {"alert", "title"} or type(n).__name__ in {"Warning", "Title"}
    ]
    kinds = [type(n).__name__ for n in nodes]
    assert kinds[0] == "Warning" and "Title" in kinds, kinds
    assert kinds.index("Title") > kinds.index("Warning")  # above the page title
    assert "`zz` inconnu" in nodes[0].value  # still quoted as inline code
    for page in PAGES[1:3]:  # kept on every page until dismissed
        at.switch_page(page).run()
        assert any("`zz`" in w.value for w in at.main.warning), page
    at.button(key="url_notices_dismiss").click().run()
    assert not at.warning
    at.switch_page(PAGES[0]).run()
    assert not at.warning


def test_page_choice_notices_join_the_top_notices(app):
    at = app(query_params={"annee": "1999-2000"}, page="pages/carte.py")
    assert not unexpected_errors(at)
    notices = [w.value for w in at.main.warning if "1999-2000" in w.value]
    assert notices and "« Année scolaire »" in notices[0]
    first = next(n for n in _in_order(at.main) if type(n).__name__ in {"Warning", "Title"})
    assert type(first).__name__ == "Warning"


def test_sidebar_multiselects_have_no_english_select_all(app):
    at = app()
    for key in FILTER_KEYS.values():
        assert at.multiselect(key=key).proto.select_all == 0, key  # select_all=False: no « Select all »


def test_the_french_translation_script_is_mounted_once_and_hidden(app):
    at = app()
    html = [h for h in at.get("html") if "data-observatoire-french" in h.proto.body]
    assert len(html) == 1
    assert html[0].proto.unsafe_allow_javascript
    assert "display: none" in html[0].proto.body and "Menu principal" in html[0].proto.body
