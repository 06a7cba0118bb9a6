"""The Carte page as data (`observatoire.views.carte.build_carte`) on the demo data: the map inputs, the bassin
panel, the bassins table and the notices are the store's queries, for the académie, one département, a thème
and niveau that change the labs, and filters that empty the map of labs. What the page shows of this view is
checked through the entrypoint in tests/app/test_carte.py."""

from __future__ import annotations

import pandas as pd
import pytest

from observatoire import config, published, queries, small_counts
from observatoire.figures import bassin_panel, classification, foliummap
from observatoire.filters import Filters
from observatoire.views import static_map
from observatoire.views.carte import NO_LAB_ON_MAP, BassinPanel, MapInputs, build_carte, static_figure
from observatoire.views.model import ILLUSTRATIVE, View
from observatoire.views.model import source_line as source_text

PARAMS = {"indicateur": "labo_personnes", "methode": "quantiles", "classes": "5", "fond": "aucun"}


def _year(con) -> str:
    return queries.school_years(con)[-1]


def _expected_map(con, filters: Filters, indicator: str, year: str, method: str = "quantiles", k: int = 5):
    unit = str(queries.indicator(con, indicator)["unite"])
    result = queries.values_by_bassin(con, indicator, year, filters)
    mask = small_counts.for_level(unit, "bassin")
    classes = classification.classify(result.data["valeur"], method, k, mask=mask)
    labs = queries.laboratories(con, filters, open_in=year)
    return result, classes, labs, unit, mask


def _check_view(con, view: View, filters: Filters, indicator: str = "labo_personnes") -> MapInputs:
    year = _year(con)
    result, classes, labs, unit, mask = _expected_map(con, filters, indicator, year)
    inputs = view.items.map
    assert isinstance(inputs, MapInputs)
    pd.testing.assert_frame_equal(inputs.values, result.data)
    assert inputs.classes == classes
    assert list(inputs.labs["code"]) == list(labs.data["code"])
    assert (inputs.indicator, inputs.unit, inputs.annee, inputs.mask) == (indicator, unit, year, mask)
    assert inputs.indicator_label == queries.indicator(con, indicator)["libelle"]
    assert inputs.departements == filters.departements and inputs.chosen_bassins == filters.bassins
    # the labs' popups: the key figures of every lab of the year, for the chosen thème and niveau (as the lab's
    # fiche), said in their labels
    scope = foliummap.lab_figure_filters(filters)
    assert (scope.thematiques, scope.niveaux) == (filters.thematiques, filters.niveaux)
    shown = dict(config.academie().indicateurs.chiffres_laboratoire)  # academie.json: id → short label
    expected = foliummap.lab_figures(
        {
            i: queries.series(con, i, scope, by="laboratoire", annual=True, periods=(year, year)).data
            for i in shown
        },
        {i: str(queries.indicator(con, i)["unite"]) for i in shown},
        None,
        shown,
    )
    names = queries.labels(con)
    parts = ", ".join(
        [names.thematiques[t] for t in filters.thematiques] + [names.niveaux[n] for n in filters.niveaux]
    )
    if parts:
        expected = {
            code: [(f"{label} ({parts})", value, flag) for label, value, flag in rows]
            for code, rows in expected.items()
        }
    assert inputs.lab_figures == expected
    # the table of the « Données » expander and of its files, with the source of the values
    table = view.table("bassins")
    labels = queries.labels(con)
    pd.testing.assert_frame_equal(
        table.frame, bassin_panel.bassins_table(result.data, classes, unit, labels.departements)
    )
    assert table.title == f"{inputs.indicator_label} par bassin ({year})"
    assert (table.indicator, table.unit) == (inputs.indicator_label, unit)
    assert table.source == source_text(result.sources, result.origins)
    assert table.illustrative == result.illustrative == view.illustrative
    assert (view.sources, view.origins) == (tuple(result.sources), tuple(result.origins))
    assert view.text("bassins_note") == config.academie().bassins_note
    assert view.context.school_year == year
    return inputs


def test_academie(con):
    view = build_carte(con, Filters(), PARAMS)
    inputs = _check_view(con, view, Filters())
    assert len(inputs.codes) == 17 and len(inputs.labs) == 16
    assert view.context.filters == () and view.items.panel is None
    assert not view.notices
    assert view.title == "Carte des bassins" and view.page == "carte"
    # defaults when the page's choices are absent: the same view
    default = build_carte(con, Filters(), {})
    assert default.items.map.indicator == "labo_personnes" and default.items.map.basemap == "aucun"
    pd.testing.assert_frame_equal(default.table("bassins").frame, view.table("bassins").frame)


def test_one_departement_and_its_bassin_panel(con):
    filters = Filters(departements=("57",))
    view = build_carte(con, filters, {**PARAMS, "bassin_sel": "57-metz"})
    inputs = _check_view(con, view, filters)
    assert inputs.codes and all(c.startswith("57-") for c in inputs.codes)
    assert view.context.filters == ("Département : 57 — Moselle",)
    panel = view.items.panel
    assert isinstance(panel, BassinPanel)
    year = _year(con)
    values = inputs.values.set_index("code")
    assert (panel.code, panel.name, panel.departement) == ("57-metz", "Metz", "57 — Moselle")
    assert (
        panel.row["valeur"] == values.loc["57-metz", "valeur"]
        and panel.row["rang"] == values.loc["57-metz", "rang"]
    )
    assert panel.nb == int(inputs.values["valeur"].notna().sum())
    index = inputs.classes.bins[inputs.codes.index("57-metz")]
    assert panel.class_label == classification.class_labels(inputs.classes, inputs.unit)[index]
    pd.testing.assert_frame_equal(panel.profile, queries.bassin_profile(con, "57-metz", year, Filters()))
    assert list(panel.labs["code"]) == list(
        queries.laboratories(con, Filters(bassins=("57-metz",)), open_in=year).data["code"]
    )
    assert panel.scope_note == "parmi les bassins des départements choisis" and not panel.filtered
    # the map does not depend on the bassin selected
    plain = build_carte(con, filters, PARAMS)
    pd.testing.assert_frame_equal(plain.items.map.values, inputs.values)
    assert plain.items.map.classes == inputs.classes and plain.items.panel is None
    # a bassin outside the view: no panel; the bassin filtered on: said
    assert build_carte(con, filters, {**PARAMS, "bassin_sel": "54-nancy"}).items.panel is None
    chosen = build_carte(con, Filters(bassins=("57-metz",)), {**PARAMS, "bassin_sel": "57-metz"})
    assert chosen.items.panel.filtered and chosen.items.panel.scope_note == "dans l'académie"


def test_a_theme_and_niveau_change_the_labs(con):
    filters = Filters(thematiques=("webmedias",), niveaux=("college",))
    view = build_carte(con, filters, PARAMS)
    inputs = _check_view(con, view, filters)
    assert 0 < len(inputs.labs) < 16
    labels = queries.labels(con)
    assert view.context.filters == (
        f"Thématique : {labels.thematiques['webmedias']}",
        f"Niveau : {labels.niveaux['college']}",
    )
    everything = build_carte(con, Filters(), PARAMS).table("bassins").frame
    assert list(view.table("bassins").frame["Valeur (nombre)"]) != list(everything["Valeur (nombre)"])


def test_filters_that_leave_no_lab_and_a_filter_that_does_not_apply(con):
    choices = queries.choices(con)
    theme, niveau = next(
        (t, n)
        for t in choices.thematiques
        for n in choices.niveaux
        if queries.laboratories(con, Filters(thematiques=(t,), niveaux=(n,))).data.empty
    )
    filters = Filters(thematiques=(theme,), niveaux=(niveau,))
    view = build_carte(con, filters, PARAMS)
    inputs = _check_view(con, view, filters)
    assert inputs.labs.empty
    assert [n.kind for n in view.notices][-1] == "info" and view.notices[-1].text.endswith(NO_LAB_ON_MAP)
    # ENT visits are not detailed by niveau: the filter is said not to apply, first
    ent = build_carte(con, Filters(niveaux=("ecole",)), {**PARAMS, "indicateur": "ent_visites"})
    _check_view(con, ent, Filters(niveaux=("ecole",)), "ent_visites")
    assert ent.notices[0].kind == "filtre" and ent.notices[0].text.startswith("Filtre niveau")


def test_small_counts_are_masked_and_said(con):
    year = _year(con)
    filters = Filters(departements=("88",), niveaux=("ecole",))
    view = build_carte(con, filters, {**PARAMS, "indicateur": "planetarium_eleves", "annee": year})
    inputs = _check_view(con, view, filters, "planetarium_eleves")
    assert inputs.mask is not None and view.text("small_counts") == small_counts.note(inputs.mask)
    assert "< 5" in set(map(str, view.table("bassins").frame["Valeur (nombre)"]))
    assert not build_carte(con, Filters(), {**PARAMS, "indicateur": "ent_visites"}).text("small_counts")


def test_origins_and_illustrative_flags(con):
    for indicator in foliummap.map_indicators(queries.indicators(con)):
        view = build_carte(con, Filters(), {**PARAMS, "indicateur": indicator})
        table = view.table("bassins")
        result = queries.values_by_bassin(con, indicator, _year(con), Filters())
        assert table.illustrative == bool(result.illustrative), indicator
        if result.origins and set(result.origins) == {ILLUSTRATIVE}:
            assert table.source == "Source : données illustratives (générées).", indicator
        for source, origin in zip(result.sources, result.origins):
            assert (source in table.source) == (origin != ILLUSTRATIVE), (indicator, source)


def test_unknown_choices_are_refused_in_french(con):
    for name, value in {
        "indicateur": "nimporte_quoi",
        "annee": "1999-2000",
        "methode": "kmeans",
        "classes": "12",
        "fond": "satellite",
    }.items():
        with pytest.raises(ValueError, match="inconnu"):
            build_carte(con, Filters(), {**PARAMS, name: value})


def test_static_image_is_drawn_from_the_view(con):
    """The PNG of the map: each bassin of the view filled with the colour of its class, its legend the view's."""
    inputs = build_carte(con, Filters(departements=("54",)), PARAMS).items.map
    figure = static_figure(inputs, published.geojson(con, "bassins"), published.geojson(con, "departements"))
    fills = {t.name: t.fillcolor for t in figure.data if t.fillcolor}
    for code, name, index in zip(inputs.codes, inputs.values["nom"], inputs.classes.bins):
        assert fills[name] == inputs.classes.color(index), code
    legend = [t.name for t in figure.data if t.legendgroup == "classes"]
    expected = [label for _, label in classification.legend_items(inputs.classes, inputs.unit)]
    legend = [name.replace("<br>", " ") for name in legend]
    assert legend[: len(expected)] == expected
    # the bassins outside the Meurthe-et-Moselle: « hors sélection », never « pas de donnée »
    assert set(legend[len(expected) :]) <= {classification.NO_DATA_LABEL, static_map.OUTSIDE_LABEL}
    outside = [t for t in figure.data if t.fill == "toself" and t.meta["hors_selection"]]
    assert outside and not {t.meta["bassin"] for t in outside} & set(inputs.codes)
    assert static_map.OUTSIDE_LABEL in legend
