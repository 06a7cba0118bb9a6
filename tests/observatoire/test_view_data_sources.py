"""`observatoire.views.data_sources.build_data_sources` on the demo data: the catalogue, the number of measure
rows per origin (from the `origine` column), the filtered measures to download (small counts masked) and the
data version, for the académie, a département, a thème, a filter that empties the selection. (What the page
renders from it, and its downloads: tests/app/test_donnees.py.)"""

from __future__ import annotations

import pandas as pd
import pytest

from observatoire import config, queries, small_counts, store, versions
from observatoire.filters import Filters
from observatoire.views import data_sources as ds
from observatoire.views.context import filter_lines

ACADEMIE = Filters()
MOSELLE = Filters(departements=("57",))
SUB_THEME = Filters(thematiques=("robotique_programmation",))
EMPTY = Filters(departements=("57",), periode_debut="2031-2032")  # no measure in that period
CASES = {"academie": ACADEMIE, "moselle": MOSELLE, "sous-theme": SUB_THEME, "vide": EMPTY}


@pytest.fixture(scope="module")
def views(con):
    return {name: ds.build_data_sources(con, filters, {}) for name, filters in CASES.items()}


def test_the_catalogue(con, views):
    view = views["moselle"]
    indicators = queries.indicators(con)
    catalogue = view.table("catalogue")
    assert view.text("catalogue") == f"Catalogue des {len(indicators)} indicateurs"
    assert list(catalogue.frame["Code"]) == list(indicators["id"])
    assert set(catalogue.frame["Agrégation"]) <= set(ds.AGGREGATIONS.values())
    assert catalogue.frame["Indicateur clé"].sum() == indicators["kpi"].notna().sum()
    assert catalogue.title == ds.CATALOGUE_TITLE and catalogue.source == ds.CATALOGUE_SOURCE
    assert not catalogue.illustrative
    assert view.items.indicators.equals(indicators)
    # the catalogue does not depend on the filters: its files carry a context without filter
    assert view.items.catalogue_context.filters == ()
    assert view.context.filters == filter_lines(MOSELLE, queries.labels(con)) != ()


@pytest.mark.parametrize("name", list(CASES))
def test_rows_per_origin_are_counted_from_the_origin_column(con, views, name):
    view = views[name]
    measures = queries.measures(con, CASES[name])
    direct = measures["origine"].value_counts().to_dict()
    assert [f.label for f in view.key_figures] == list(ds.ORIGINS.values())
    for figure, origin in zip(view.key_figures, ds.ORIGINS, strict=True):
        assert figure.origins == (origin,)
        assert figure.raw == direct.get(origin, 0)
        assert figure.value == ds.count_text(int(direct.get(origin, 0)))
        assert figure.delta == ds.share_text(int(direct.get(origin, 0)), len(measures))
        assert figure.illustrative == (origin == config.ILLUSTRATIVE)
    assert view.text("rows") == ds.rows_text(len(measures))


def test_origins_of_the_academie_and_of_a_departement(views):
    academie = {f.origins[0]: f.raw for f in views["academie"].key_figures}
    moselle = {f.origins[0]: f.raw for f in views["moselle"].key_figures}
    assert academie["bilan"] > 0 and academie["deduit"] > 0 and academie["illustratif"] > 0
    assert academie["import"] == 0
    assert moselle["illustratif"] < academie["illustratif"]


@pytest.mark.parametrize("name", ["academie", "moselle", "sous-theme"])
def test_the_measures_to_download(con, views, name):
    view, filters = views[name], CASES[name]
    measures = queries.measures(con, filters)
    rules = small_counts.policy()
    expected = small_counts.mask_measures(
        measures, small_counts.people_indicators(queries.indicators(con), rules), rules
    )
    table = view.table("mesures")
    pd.testing.assert_frame_equal(table.frame, expected)
    assert table.illustrative == view.illustrative == bool((measures["origine"] == config.ILLUSTRATIVE).any())
    assert (table.title, table.unit, table.source) == (ds.MEASURES_TITLE, ds.MEASURES_UNIT, ds.MEASURES_SOURCE)
    preview = view.items.preview
    assert len(preview) == min(len(measures), ds.PREVIEW_ROWS) and list(preview.columns) == list(measures.columns)
    assert bool(view.text("preview")) == (len(measures) > ds.PREVIEW_ROWS)
    measures = measures.head(ds.PREVIEW_ROWS)
    small = (
        measures["indicateur"].isin(list(small_counts.people_indicators(queries.indicators(con), rules)))
        & measures["territoire_type"].isin(["bassin", "laboratoire"])
        & measures["valeur"].map(rules.is_small)
    )
    if small.any():  # masked: one text column, « < 5 » where the count is small
        assert (preview["valeur"][small.to_numpy()] == rules.label).all()
    assert view.text("small_counts") == small_counts.note(rules)


def test_a_sub_theme_is_read_at_its_main_theme_and_said(con, views):
    view = views["sous-theme"]
    notes = [n.text for n in view.notices if n.kind == "info"]
    assert notes == list(queries.measures_notes(con, SUB_THEME))
    assert notes and all(n.startswith(queries.BROADER_PREFIX) for n in notes)
    labs = view.table("mesures").frame
    assert set(labs.loc[labs["indicateur"] == "labo_personnes", "thematique"]) == {"programmation_ia"}


def test_a_filter_that_empties_the_selection(views):
    view = views["vide"]
    assert view.table("mesures").frame.empty and view.items.preview.empty
    assert [n.text for n in view.notices if n.kind == "vide"] == [ds.NO_MEASURE]
    assert all(f.raw == 0 and f.delta == "—" for f in view.key_figures)
    assert not view.illustrative
    assert view.table("catalogue") is not None  # the catalogue and the version stay


def test_provenance_and_version_are_the_store(con, views):
    view = views["academie"]
    labs = queries.catalogue(con, "laboratoires")
    facts = view.items.provenance
    academie = config.academie()
    assert (facts.n_labs, facts.n_illustrative_labs) == (
        len(labs),
        int((labs["source"] == config.ILLUSTRATIVE).sum()),
    )
    assert (facts.annee_reference, facts.bilan, facts.bassins_note) == (
        academie.annee_reference,
        academie.bilan,
        academie.bassins_note,
    )
    assert facts.threshold == small_counts.policy().threshold
    version = store.data_version(con)
    assert view.items.version == version
    assert view.text("version") == f"n° {version.numero}" and version.empreinte in view.text("version_help")
    assert view.text("version_date") == ds.french_datetime(version.construite_le)
    assert view.text("lots_actifs") == str(version.lots_actifs)
    assert view.text("mesures_actives") == ds.rows_text(version.mesures)
    lots = view.table("lots").frame
    assert lots["Lot"].tolist() == store.lots(con)["lot_id"].tolist()
    journal = view.table("journal").frame
    assert journal["Version"].tolist() == versions.journal(con)["version"].tolist()
    assert journal["Type"].tolist()[-1] == "Construction"


def test_texts_are_plain_not_escaped(views):
    for view in views.values():
        for text in (view.subtitle, *view.texts.values(), *(n.text for n in view.notices)):
            assert "\\" not in text, text


def test_french_builders():
    assert ds.rows_text(1) == "1 ligne" and ds.share_text(0, 0) == "—"
    assert ds.french_datetime("2026-11-22T13:26:11+00:00") == "22/11/2026 à 14:26 (heure de Paris)"
    assert ds.french_datetime("?") == "?"
    assert ds.origin_of("Bilan DRANE 2023-2024") == config.ILLUSTRATIVE  # the code, never the source text
    assert ds.origin_counts(["bilan", None, "import"]) == {"bilan": 1, "deduit": 0, "import": 1, "illustratif": 1}
