"""Données et sources through the entrypoint (AppTest): the catalogue lists every indicator, the provenance
counts and the downloaded rows equal the store's measures, and the data version is the store's."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from components import catalog
from components.common import view_about
from observatoire import config, exporting, queries, small_counts, store
from observatoire.filters import Filters
from observatoire.schema import MEASURE_COLUMNS
from observatoire.views.data_sources import PREVIEW_ROWS, build_data_sources
from tests.helpers import md_text, open_page, texts

PAGE = "pages/donnees.py"


def _open(app, **params: str):
    return open_page(app, PAGE, **params)


def test_catalogue_shows_every_indicator(app, con):
    at = _open(app)
    indicators = queries.indicators(con)
    assert f"Catalogue des {len(indicators)} indicateurs" in texts(at.subheader)
    markdown = " ".join(texts(at.markdown))
    for row in indicators.to_dict("records"):
        assert f"**{row['libelle']}** ({row['unite']})" in markdown
        assert f"`{row['id']}`" in markdown
    table = next(d.value for d in at.dataframe if "Code" in d.value.columns)
    assert sorted(table["Code"]) == sorted(indicators["id"])
    assert set(table["Agrégation"]) <= set(catalog.AGGREGATIONS.values())
    expanders = [md_text(e.label) for e in at.expander]
    for domain in indicators["domaine"].unique():
        assert any(label.startswith(f"{domain} (") for label in expanders)


def test_provenance_text_and_counts_equal_the_store(app, con):
    at = _open(app)
    markdown = " ".join(texts(at.markdown))
    labs = queries.catalogue(con, "laboratoires")
    n_ill = int((labs["source"] == config.ILLUSTRATIVE).sum())
    assert f"**{n_ill} des {len(labs)} lieux**" in markdown
    assert config.academie().bassins_note in markdown
    assert "IGN ADMIN EXPRESS" in markdown and "Licence Ouverte 2.0" in markdown
    measures = queries.measures(con, Filters())
    counts = catalog.origin_counts(measures["origine"])
    metrics = {m.label: m.value for m in at.metric}
    for origin, label in catalog.ORIGINS.items():  # the four origins, « Importé » included
        assert metrics[label] == catalog.count_text(counts[origin])
    # counted from the `origine` column: the same as counting the column directly
    direct = measures["origine"].value_counts().to_dict()
    assert counts == {o: int(direct.get(o, 0)) for o in catalog.ORIGINS}
    assert counts["bilan"] > 0 and counts["deduit"] > 0 and counts["illustratif"] > 0 and counts["import"] == 0
    helps = {m.label: m.proto.help for m in at.metric}
    assert all("origine" in helps[label] for label in catalog.ORIGINS.values())


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({}, Filters()),
        ({"dep": "57", "de": "2023-2024"}, Filters(departements=("57",), periode_debut="2023-2024")),
        ({"public": "parents"}, Filters(publics=("parents",))),
        ({"theme": "robotique_programmation"}, Filters(thematiques=("robotique_programmation",))),
    ],
)
def test_download_of_the_filtered_measures(app, con, params, filters):
    at = _open(app, **params)
    expected = queries.measures(con, filters)
    assert any(m.startswith(f"**{catalog.rows_text(len(expected))}** correspondent") for m in texts(at.markdown))
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert "Télécharger (CSV)" in labels and "Télécharger (Excel)" in labels
    preview = next(d.value for d in at.dataframe if list(d.value.columns) == MEASURE_COLUMNS)
    assert "origine" in preview.columns and "`origine`" in " ".join(texts(at.markdown))
    assert len(preview) == min(len(expected), PREVIEW_ROWS)  # the files keep every row
    expected = expected.head(PREVIEW_ROWS)
    # small counts of people in bassins and labs are shown « < 5 », everything else is the store's value
    rules = small_counts.policy()
    people = small_counts.people_indicators(queries.indicators(con), rules)
    small = (
        expected["indicateur"].isin(list(people))
        & expected["territoire_type"].isin(["bassin", "laboratoire"])
        & expected["valeur"].map(rules.is_small)
    )
    shown = preview["valeur"].astype(str).reset_index(drop=True)
    want = expected["valeur"].map(small_counts.as_text).where(~small, "< 5").reset_index(drop=True)
    if small.any():
        assert (shown == want).all()
        assert (shown[small.reset_index(drop=True)] == "< 5").all()
    else:
        pd.testing.assert_frame_equal(
            preview.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
        )
    others = [c for c in MEASURE_COLUMNS if c != "valeur"]
    pd.testing.assert_frame_equal(
        preview[others].reset_index(drop=True), expected[others].reset_index(drop=True), check_dtype=False
    )


def test_data_version_equals_the_store(app, con):
    at = _open(app)
    version = store.data_version(con)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Version affichée"] == f"n° {version.numero}"
    assert metrics["Publiée le"] == catalog.french_datetime(version.construite_le)
    assert metrics["Lots actifs"] == str(version.lots_actifs)
    assert metrics["Mesures actives"] == catalog.rows_text(version.mesures)


def test_lots_are_listed(app, con):
    from observatoire import store as core_store

    at = _open(app)
    lots = core_store.lots(con)
    frame = next(df.value for df in at.dataframe if "Origine" in df.value.columns)
    assert frame["Lot"].tolist() == lots["lot_id"].tolist()
    assert frame["Lignes"].tolist() == lots["nb_lignes"].tolist()


def test_a_sub_theme_gives_the_rows_the_charts_read(app, con):
    """One set of filters, one answer: with a sub-thème, the labs' activity (broken down by main thème only)
    is downloaded at the main thème, as `series` reads it, and the page says so."""
    at = _open(app, theme="robotique_programmation")
    preview = next(d.value for d in at.dataframe if list(d.value.columns) == MEASURE_COLUMNS)
    labs = preview[preview["indicateur"] == "labo_personnes"]
    assert not labs.empty and set(labs["thematique"]) == {"programmation_ia"}
    assert set(preview.loc[preview["indicateur"] == "accompagnement_heures", "thematique"]) == {
        "robotique_programmation"
    }
    assert any(
        t.startswith(queries.BROADER_PREFIX)
        for t in (c.split(" ", 1)[1] for c in texts(at.caption) if c.startswith(":material/filter_alt:"))
    )


def test_the_journal_and_the_pin_button(app, con):
    at = _open(app)
    journal = next(df.value for df in at.dataframe if "Résumé" in df.value.columns)
    assert journal["Version"].tolist()[-1] == 1 and journal["Type"].tolist()[-1] == "Construction"
    version = store.data_version(con).numero
    at.button(key="donnees_pin").click().run()
    assert at.query_params["version"] == str(version)
    assert "Vue figée sur la version" in " ".join(i.value for i in at.info)
    footer = " ".join(c.value for c in at.caption)
    assert "figée par le lien" in footer
    at.button(key="donnees_unpin").click().run()
    assert "version" not in at.query_params


def _about(data: bytes) -> dict[str, str]:
    block = data.decode("utf-8-sig").split("\n\n", 1)[0]
    rows = {row[0].removeprefix("# "): row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}
    return {k: v for k, v in rows.items() if k not in ("Exporté le", "À propos de ce fichier")}


def _expected(about: exporting.About) -> dict[str, str]:
    return {k: v for k, v in exporting.about_rows(about) if k != "Exporté le"}


def test_the_page_renders_its_view_and_its_downloads_say_so(app, con, deferred):
    """Counts, texts and files come from `build_data_sources`: the measures' CSV carries the view's filters,
    the catalogue's says « Aucun filtre » (it does not depend on them)."""
    filters = Filters(departements=("57",), niveaux=("college",))
    at = _open(app, dep="57", niveau="college")
    view = build_data_sources(con, filters, {})
    metrics = {m.label: m.value for m in at.metric}
    assert {f.label: f.value for f in view.key_figures}.items() <= metrics.items()
    assert metrics["Version affichée"] == view.text("version")
    assert view.text("catalogue") in texts(at.subheader)
    files = {b.proto.id: deferred[b.proto.deferred_file_id] for b in at.get("download_button")}
    measures = view.table("mesures")
    _, make = next(f for i, f in files.items() if "donnees_mesures_csv" in i)
    about = _about(make())
    assert about == _expected(view_about(view, measures))
    assert about["Filtres"] == "Département : 57 — Moselle · Niveau : Collège"
    assert about["Données illustratives"].startswith("oui" if measures.illustrative else "non")
    body = exporting.strip_about_block(make().decode("utf-8-sig"))
    assert len(pd.read_csv(io.StringIO(body), sep=";", dtype=str)) == len(measures.frame)
    _, make = next(f for i, f in files.items() if "catalogue_csv" in i)
    about = _about(make())
    assert (
        about["Filtres"] == "Aucun filtre (toute l'académie)" and about["Contenu"] == "Catalogue des indicateurs"
    )
    assert about["Source"] == view.table("catalogue").source
