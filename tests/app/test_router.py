"""The router (dashboard.py): shared filters created once, kept across pages, mirrored in the URL."""

from __future__ import annotations

import pytest

from observatoire import queries
from observatoire.filters import PARAM_NAMES, Filters, to_params
from tests.helpers import unexpected_errors

PAGES = ["app_pages/vue_ensemble.py", "app_pages/carte.py", "app_pages/indicateurs.py",
         "app_pages/laboratoires.py", "app_pages/donnees.py"]
FILTER_KEYS = {"departements": "f_departements", "bassins": "f_bassins", "thematiques": "f_thematiques",
               "niveaux": "f_niveaux", "publics": "f_publics"}


def _filter_params(at) -> dict[str, str]:
    names = set(PARAM_NAMES.values())
    return {k: at.query_params[k] for k in at.query_params if k in names}


@pytest.fixture()
def full_filters(con) -> Filters:
    """A filter value using every dimension, built from the store's catalogues."""
    choices = queries.choices(con)
    bassin = next(b for b, d in choices.bassins.items() if d == "57")
    return Filters(departements=("57",), bassins=(bassin,), thematiques=(choices.thematiques[0],),
                   niveaux=(choices.niveaux[1],), publics=(choices.publics[0],),
                   periode_debut=choices.annees[1], periode_fin=choices.annees[-2])


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
    labels = queries.labels(con)["bassin"]
    assert sorted(at.multiselect(key="f_bassins").options) == sorted(labels[b] for b in expected)


def test_footer_shows_the_data_version(app, con):
    from observatoire import store

    at = app()
    version = store.data_version(con)
    assert any(version.empreinte in str(c.value) for c in at.caption)
