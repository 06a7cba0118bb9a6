"""Vue d'ensemble through the entrypoint (AppTest): KPI cards and labs coverage checked against the core
queries run directly on the store, for several filter combinations."""

from __future__ import annotations

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto

from observatoire import config, queries
from observatoire.figures import cards
from observatoire.filters import Filters
from observatoire.views.context import not_applied_note
from tests.helpers import md_text, texts, unexpected_errors

CASES = [
    ({}, Filters()),
    ({"dep": "57"}, Filters(departements=("57",))),
    ({"dep": "55", "niveau": "lycee"}, Filters(departements=("55",), niveaux=("lycee",))),
    ({"de": "2022-2023", "a": "2022-2023"}, Filters(periode_debut="2022-2023", periode_fin="2022-2023")),
    ({"public": "parents"}, Filters(publics=("parents",))),
    (
        {"bassin": "57-metz,57-thionville", "theme": "webmedias"},
        Filters(bassins=("57-metz", "57-thionville"), thematiques=("webmedias",)),
    ),
]


def _check(at, con, filters: Filters) -> None:
    assert not unexpected_errors(at), unexpected_errors(at)
    expected = queries.kpis(con, filters)
    assert len(at.metric) == len(expected)
    for metric, kpi in zip(at.metric, expected):
        assert md_text(metric.label) == kpi.libelle
        assert metric.value == cards.kpi_value_text(kpi, markup=True)
        assert metric.proto.delta == (cards.kpi_card_delta_text(kpi) or "")
        assert list(metric.proto.chart_data) == []  # the sparkline is our accessible SVG, not Vega-Lite
    svgs = [m.value for m in at.markdown if m.value.startswith("<svg")]
    assert svgs == [c for c in (cards.kpi_sparkline(k) for k in expected) if c]
    captions = [c.replace("\u2011", "-") for c in texts(at.caption)]  # school years kept on one line
    for kpi in expected:
        section = queries.indicator(con, kpi.indicateur)["source"]
        assert cards.kpi_caption(kpi, section) in captions
    # each card says a chosen filter it does not answer (as the deck's card), and only then
    scoped = [not_applied_note(queries.not_applied_filters(kpi.ignored)) for kpi in expected]
    said = [c for c in captions if "non appliqué" in c]
    assert len(said) == sum(bool(n) for n in scoped)
    for note in filter(None, scoped):
        assert any(c.endswith(note) for c in said), (note, said)
    # the filters that don't apply: listed once, below the cards
    notes = [note for kpi in expected for note in kpi.ignored]
    info = " ".join(texts(at.info))
    for note in set(notes):
        assert info.count(note.rstrip(". ")) == 1
    # labs and bassins covered: the labs open during the year of the cards
    labs = queries.laboratories(con, filters, open_in=cards.kpi_year_text(expected)).data
    bassins = queries.catalogue(con, "bassins")
    text = cards.coverage_text(
        len(labs), labs["bassin"].nunique(), cards.bassins_in_scope(bassins, filters.departements, filters.bassins)
    )
    assert f"### {text}" in texts(at.markdown)
    if not filters.thematiques and not filters.niveaux:  # the count agrees with the « labs open » indicator
        labo_nombre = next(k for k in expected if k.indicateur == "labo_nombre")
        assert labo_nombre.valeur == len(labs)


@pytest.mark.parametrize(("params", "filters"), CASES, ids=[str(p) or "defaut" for p, _ in CASES])
def test_cards_equal_the_store(app, con, params, filters):
    at = app(query_params=params)
    _check(at, con, filters)


def test_default_view_figures(app, con):
    at = app()
    markdown = texts(at.markdown)
    acad = config.academie()
    latest = queries.school_years(con)[-1]
    assert at.title[0].value == "Observatoire du numérique éducatif"
    assert any(m.startswith(acad.nom) and latest in m for m in markdown)
    labs = queries.laboratories(con, Filters()).data
    n_bassins = len(queries.catalogue(con, "bassins"))
    assert f"### {len(labs)} laboratoires dans {labs['bassin'].nunique()} bassins sur {n_bassins}" in markdown
    assert f"Laboratoires ouverts pendant l'année scolaire {latest}." in markdown
    # at least one card is illustrative-free with the default filters (the bilan's own 2023-2024 figures)
    assert any(not k.illustratif for k in queries.kpis(con, Filters()))
    # links to the other pages
    links = {link.proto.page for link in at.get("page_link")}  # url paths of the pages
    assert {"carte", "indicateurs", "laboratoires", "donnees"} <= links


def test_filter_change_in_the_sidebar_updates_the_cards(app, con):
    at = app()
    at.multiselect(key="f_departements").set_value(["57"]).run()
    _check(at, con, Filters(departements=("57",)))
    at.multiselect(key="f_niveaux").set_value(["lycee"]).run()
    _check(at, con, Filters(departements=("57",), niveaux=("lycee",)))
    at.selectbox(key="f_debut").set_value("2021-2022").run()
    at.selectbox(key="f_fin").set_value("2022-2023").run()
    _check(
        at,
        con,
        Filters(departements=("57",), niveaux=("lycee",), periode_debut="2021-2022", periode_fin="2022-2023"),
    )


def test_illustrative_cards_have_the_badge(app, con):
    at = app(query_params={"dep": "57"})
    expected = queries.kpis(con, Filters(departements=("57",)))
    badges = [m.value for m in at.markdown if m.value.startswith(":orange-badge[:material/science: ")]
    # one badge per card with an illustrative input (value, change or curve)
    card_badges = [b for b in badges if b == f":orange-badge[:material/science: {cards.ILLUSTRATIVE_BADGE}]"]
    assert len(card_badges) == sum(cards.kpi_badge(k) is not None for k in expected) == len(expected)
    # plus one for the labs coverage when a lab is illustrative, one under the small map when its values per
    # bassin are illustrative: the same orange style everywhere
    labs_badge = int(queries.laboratories(con, Filters(departements=("57",))).illustrative)
    year = next(k.annee for k in expected if k.annee)
    map_badge = int(
        queries.values_by_bassin(con, "labo_personnes", year, Filters(departements=("57",))).illustrative
    )
    assert len([b for b in badges if "Données illustratives" in b]) == labs_badge + map_badge


# The grid of the issue: the académie, each département, a thème, a niveau (and a bassin, a period).
HONESTY_CASES = [({}, Filters())]
HONESTY_CASES += [({"dep": d}, Filters(departements=(d,))) for d in sorted(config.academie().departements)]
HONESTY_CASES += [
    ({"theme": "webmedias"}, Filters(thematiques=("webmedias",))),
    ({"niveau": "college"}, Filters(niveaux=("college",))),
    ({"bassin": "57-metz"}, Filters(bassins=("57-metz",))),
    ({"de": "2021-2022", "a": "2021-2022"}, Filters(periode_debut="2021-2022", periode_fin="2021-2022")),
]
ORANGE_BADGE = ":orange-badge[:material/science:"


@pytest.mark.parametrize(
    ("params", "filters"), HONESTY_CASES, ids=[str(p) or "academie" for p, _ in HONESTY_CASES]
)
def test_no_card_says_bilan_over_an_illustrative_input(app, con, params, filters):
    """Each card, as rendered: « Source : bilan » only when the value, the previous value and the whole
    history come from the bilan (or are deduced from it, imported); a bilan value with generated earlier years
    names the bilan for the value only; an illustrative change is grey, says « (illustratif) » and has the
    orange badge; an illustrative curve is dashed orange and its text alternative says which years."""
    at = app(query_params=params)
    assert not unexpected_errors(at), unexpected_errors(at)
    expected = queries.kpis(con, filters)
    grid = at.main.columns  # the KPI grid's columns: one card each, in order
    cards_seen = 0
    for column in grid:
        column_md = [m.value for m in column.markdown]
        metrics = column.metric
        if len(metrics) != 1 or not column_md:
            continue
        kpi = next((k for k in expected if md_text(metrics[0].label) == k.libelle), None)
        if kpi is None:
            continue
        cards_seen += 1
        caption = " ".join(
            t
            for t in texts(column.caption)  # the source line (not the filters' scope note)
            if not t.startswith(":material/filter_alt_off:")
        ).replace("\u2011", "-")
        badges = [m for m in column_md if m.startswith(":orange-badge[")]
        svg = next((m for m in column_md if m.startswith("<svg")), "")
        delta = metrics[0].proto.delta
        inputs = (
            set(kpi.origines) | set(kpi.origines_precedente) | {o for os in kpi.origines_historique for o in os}
        )
        if (
            "bilan" in caption.replace("déduit du bilan", "").replace("Déduit du bilan", "")
            or "déduit du bilan" in caption
        ):
            assert not kpi.valeur_illustrative, (kpi.indicateur, caption)
            if caption.startswith("Source :"):  # the plain « Source : bilan » is for all-trusted cards only
                assert "illustratif" not in inputs, (kpi.indicateur, caption)
            else:
                assert caption.startswith(f"Valeur {kpi.annee} :") and "illustratif" in caption
        if "illustratif" in inputs:
            assert badges and all(b.startswith(ORANGE_BADGE) for b in badges), (kpi.indicateur, column_md)
        else:
            assert not badges
        if kpi.valeur_illustrative:
            assert "bilan" not in caption.lower(), (kpi.indicateur, caption)
        # the card title's tooltip says where the value, the change and the curve come from
        title_help = md_text(column.markdown[0].proto.help)
        assert (f"Valeur {kpi.annee} : bilan." in title_help) == (kpi.origine == "bilan"), kpi.indicateur
        if kpi.evolution_illustrative:
            assert f"vs {kpi.annee_precedente} (illustratif) : illustrative" in title_help
        if delta and kpi.evolution_illustrative:  # grey, no arrow, and the orange badge
            assert metrics[0].proto.color == MetricProto.MetricColor.GRAY and badges
            assert metrics[0].proto.direction == MetricProto.MetricDirection.NONE
        if svg:
            dashed = "stroke-dasharray" in svg
            assert dashed == kpi.historique_illustratif, kpi.indicateur
            if dashed:
                assert "illustrative" in svg and all(y in svg for y in kpi.annees_illustratives)
    assert cards_seen == len(expected)


VIEW_CASES = [
    ({"dep": "57"}, Filters(departements=("57",))),
    ({"theme": "webmedias"}, Filters(thematiques=("webmedias",))),
    ({"bassin": "88-remiremont"}, Filters(bassins=("88-remiremont",))),  # no lab: the labs part is empty
]


@pytest.mark.parametrize(("params", "filters"), VIEW_CASES, ids=[str(p) for p, _ in VIEW_CASES])
def test_the_page_renders_its_view(app, con, params, filters):
    """The page is `build_overview` rendered: its texts, cards, notices and map texts are the view's."""
    from observatoire.views.overview import build_overview

    at = app(query_params=params)
    assert not unexpected_errors(at), unexpected_errors(at)
    view = build_overview(con, filters, {})
    markdown = texts(at.markdown)
    assert at.title[0].value == view.title and view.subtitle in markdown
    assert [md_text(m.label) for m in at.metric] == [f.label for f in view.key_figures]
    assert f"### {view.text('coverage')}" in markdown
    assert (view.text("opening_note") in markdown) == bool(view.text("opening_note"))
    captions = texts(at.caption)
    if view.text("labs_source"):
        assert view.text("labs_source") in captions
    info = " ".join(texts(at.info))
    assert all(n.text in info for n in view.notices if n.kind == "filtre")
    small = view.items.map
    assert f"**{view.text('map_title')}**" in markdown
    assert any(m.startswith(f"**Légende — {small.indicator_label}, {small.year}**") for m in markdown)
