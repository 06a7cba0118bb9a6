"""`observatoire.views.overview.build_overview` on the demo data: the view holds what the Vue d'ensemble shows
(subtitle, KPI cards and key figures, filters that do not apply, labs covered, small map inputs) for the
académie, a département, a thème, a niveau and a bassin without lab, computed from the core queries; origins and
illustrative flags follow the data. (What the page renders from it: tests/app/test_vue_ensemble.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from observatoire import config, queries, small_counts
from observatoire.figures import cards, classification
from observatoire.filters import Filters
from observatoire.views.context import filter_lines
from observatoire.views.model import ILLUSTRATIVE, TRUSTED
from observatoire.views.overview import NO_KPI, OverviewMap, build_overview

ROOT = Path(__file__).resolve().parents[2]
ACADEMIE = Filters()
MOSELLE = Filters(departements=("57",))
WEBMEDIAS = Filters(thematiques=("webmedias",))
COLLEGE = Filters(niveaux=("college",))
NO_LAB = Filters(bassins=("88-remiremont",))  # a bassin without any lab: the labs part is empty
CASES = {"academie": ACADEMIE, "moselle": MOSELLE, "webmedias": WEBMEDIAS, "college": COLLEGE, "sans-labo": NO_LAB}


@pytest.fixture(scope="module")
def views(con):
    return {name: build_overview(con, filters, {}) for name, filters in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_key_figures_are_the_cards(con, views, name):
    filters, view = CASES[name], views[name]
    kpis = queries.kpis(con, filters)
    assert view.page == "vue_ensemble" and view.title == "Observatoire du numérique éducatif"
    assert view.items.kpis == tuple(kpis)
    rules = small_counts.policy() if filters.bassins else None
    assert view.items.kpi_rules == rules
    assert [f.label for f in view.key_figures] == [k.libelle for k in kpis]
    assert [f.value for f in view.key_figures] == [cards.kpi_value_text(k, rules=rules) for k in kpis]
    assert [f.source for f in view.key_figures] == [cards.kpi_caption(k) for k in kpis]
    assert list(view.items.catalogue["id"]) == list(queries.indicators(con)["id"])
    # the screen card is formatted with the key figure, from the same Kpi (the page draws nothing else)
    meta = queries.indicators(con).set_index("id")
    for figure, kpi in zip(view.key_figures, kpis, strict=True):
        card = figure.card
        assert card is not None and figure.indicator == kpi.indicateur
        assert card.value_markup == cards.kpi_value_text(kpi, markup=True, rules=rules)
        assert card.delta == cards.kpi_card_delta_text(kpi, rules)
        assert (card.delta_color, card.delta_arrow) == cards.kpi_delta_style(kpi)
        assert card.sparkline == cards.kpi_sparkline(kpi, rules)
        assert card.caption == cards.kpi_caption(kpi, meta.at[kpi.indicateur, "source"])
        assert card.badge == (cards.kpi_badge(kpi) or "") and bool(card.badge_help) == bool(card.badge)
        assert card.icon == cards.DOMAIN_ICONS.get(meta.at[kpi.indicateur, "domaine"], ":material/insights:")
    # the filters that do not reach some cards: once each, as the page lists them
    assert [n.text for n in view.notices if n.kind == "filtre"] == cards.merged_notes(kpis)
    assert NO_KPI not in [n.text for n in view.notices]


@pytest.mark.parametrize("name", list(CASES))
def test_subtitle_and_labs_covered(con, views, name):
    filters, view = CASES[name], views[name]
    years = queries.school_years(con)
    year = cards.kpi_year_text(queries.kpis(con, filters)) or years[-1]
    scope = config.academie().nom
    if filters.departements or filters.bassins:
        scope += " — " + cards.scope_text(
            filters.departements, filters.bassins, queries.labels(con), config.academie().nom
        )
    assert view.subtitle == cards.overview_subtitle(scope, year, years[0], years[-1])
    assert view.context.school_year == year
    assert view.context.filters == filter_lines(filters, queries.labels(con))
    listed = queries.laboratories(con, filters)
    open_labs = queries.laboratories(con, filters, open_in=year).data
    total = cards.bassins_in_scope(queries.catalogue(con, "bassins"), filters.departements, filters.bassins)
    n_bassins = open_labs["bassin"].nunique() if not open_labs.empty else 0
    assert view.text("coverage") == cards.coverage_text(len(open_labs), n_bassins, total)
    assert view.items.labs_illustrative == listed.illustrative
    assert view.items.labs_ignored == tuple(listed.ignored)
    if open_labs.empty:
        assert view.text("opening_note") == "" and view.text("labs_source") == ""
    else:
        assert view.text("opening_note") == cards.opening_note(len(open_labs), len(listed.data), year)
        assert view.text("labs_source") == cards.labs_source_text(open_labs["source"], config.academie().bilan)


def test_filters_change_the_content(views):
    """A département and a thème narrow the labs; a bassin without lab empties that part (and not the cards)."""
    academie = views["academie"].items.n_labs
    assert 0 < views["moselle"].items.n_labs < academie
    assert 0 < views["webmedias"].items.n_labs < academie
    assert views["webmedias"].notices  # the thème does not reach some cards: said
    assert views["academie"].subtitle != views["moselle"].subtitle
    empty = views["sans-labo"]
    assert empty.items.n_labs == 0 and empty.text("coverage") == "Aucun laboratoire ne correspond à ces filtres"
    assert empty.key_figures and empty.items.map.labs.empty


@pytest.mark.parametrize("name", list(CASES))
def test_the_small_map_inputs(con, views, name):
    filters, view = CASES[name], views[name]
    small = view.items.map
    assert isinstance(small, OverviewMap)
    year = view.items.year
    overview_indicator = config.academie().indicateurs.carte  # academie.json: the overview's small map
    result = queries.values_by_bassin(con, overview_indicator, year, filters)
    meta = queries.indicator(con, overview_indicator)
    assert list(small.values["code"]) == list(result.data["code"])
    assert list(small.values["valeur"].fillna(-1)) == list(result.data["valeur"].fillna(-1))
    mask = small_counts.for_level(str(meta["unite"]), "bassin")
    assert small.classes == classification.classify(
        result.data["valeur"], classification.DEFAULT_METHOD, 4, mask=mask
    )
    assert small.legend == tuple(classification.legend_items(small.classes, str(meta["unite"])))
    assert (small.indicator_label, small.unit, small.year) == (meta["libelle"], meta["unite"], year)
    assert view.text("map_title") == f"{meta['libelle']} par bassin, {year}"
    assert small.departements == filters.departements and small.bassins == filters.bassins
    assert sorted(small.labs["code"]) == sorted(queries.laboratories(con, filters, open_in=year).data["code"])
    assert (small.sources, small.origins, small.illustrative) == (
        result.sources,
        result.origins,
        result.illustrative,
    )
    assert small.theme_labels == dict(queries.labels(con).thematiques)


@pytest.mark.parametrize("name", list(CASES))
def test_origins_and_illustrative_flags(con, views, name):
    view = views[name]
    kpis = queries.kpis(con, CASES[name])
    for figure, kpi in zip(view.key_figures, kpis, strict=True):
        assert set(kpi.origines) <= set(figure.origins)  # the value's origins, plus the previous year's
        if figure.raw is not None:
            assert figure.illustrative == (ILLUSTRATIVE in figure.origins)
            if not kpi.illustratif and not figure.delta:
                assert not figure.illustrative
    assert len(view.sources) == len(view.origins)
    assert set(view.origins) <= {*TRUSTED, ILLUSTRATIVE, ""}
    assert view.illustrative  # the demo data always has generated years or labs


def test_academie_has_bilan_figures_and_moselle_is_illustrative(views):
    # académie: values of the bilan (their change with a generated previous year is illustrative, and said)
    academie = views["academie"]
    assert any(
        "bilan" in f.origins and not k.illustratif
        for f, k in zip(academie.key_figures, academie.items.kpis, strict=True)
    )
    assert "bilan" in views["academie"].origins
    # no figure of the bilan is given by département: every value shown for the Moselle is generated
    assert all(f.illustrative for f in views["moselle"].key_figures if f.raw is not None)
    assert views["moselle"].items.map.illustrative


def test_texts_are_plain_not_escaped(views):
    """The builder never escapes (the renderer does): no Markdown backslash in any text."""
    for view in views.values():
        for text in (view.subtitle, *view.texts.values(), *(n.text for n in view.notices)):
            assert "\\" not in text, text


def test_builders_do_not_load_streamlit():
    code = (
        "import observatoire.views.overview, observatoire.views.projects, observatoire.views.data_sources; "
        "import sys; print('streamlit' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
