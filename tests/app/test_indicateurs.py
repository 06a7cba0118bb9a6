"""Indicateurs page through the entrypoint (AppTest): every indicator, filter combinations, URL parameters,
and the values of the data tables checked against the core queries run directly on the store."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from observatoire import queries
from observatoire.filters import Filters
from tests.helpers import open_page, texts, unexpected_errors

PAGE = "pages/indicateurs.py"
SERIES_KEY, MONTHS_HEADER = "ind_indicateur", "Mois"


def _open(app, **params: str):
    return open_page(app, PAGE, **params)


def _charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _table(at, first_column: str, without: str | None = None) -> pd.DataFrame:
    for frame in (d.value for d in at.dataframe):
        if frame.columns[0] == first_column and (without is None or without not in frame.columns):
            return frame
    raise AssertionError(f"aucun tableau commençant par « {first_column} »")


def _series_table(at) -> pd.DataFrame:
    return _table(at, "Année scolaire", without=MONTHS_HEADER)


# --------------------------------------------------------------------------------------------- loading


def test_every_indicator_of_the_catalogue_loads(app, con):
    at = _open(app)
    ids = queries.indicators(con)["id"].tolist()
    assert at.selectbox(key=SERIES_KEY).value == "ent_visites"  # default
    assert at.selectbox(key=SERIES_KEY).options[0].startswith(queries.indicators(con)["domaine"].iloc[0] + " — ")
    for ind in ids:
        at.selectbox(key=SERIES_KEY).set_value(ind).run()
        assert not unexpected_errors(at), (ind, unexpected_errors(at))
        assert at.query_params.get("indicateur") == ind
        meta = queries.indicator(con, ind)
        markdown = " ".join(texts(at.markdown))
        assert meta["libelle"] in markdown, ind
        assert meta["unite"] in " ".join(texts(at.caption)), ind
        # default filters: series, ranking and evolution all have data → a chart each
        charts = _charts(at)
        monthly = meta["granularite"] == "mensuelle" or ind == "ent_visites"
        assert len(charts) == (4 if monthly else 3), ind
        for spec in charts:
            assert spec["layout"]["separators"] == ",\u00a0"
        if not monthly:
            assert any("pas de détail mensuel" in t for t in texts(at.info)), ind


def test_series_values_equal_core_query(app, con):
    at = _open(app, indicateur="ent_visites", par="departement")
    expected = queries.series(con, "ent_visites", Filters(), by="departement", annual=True).data
    table = _series_table(at)
    assert list(table.columns[:3]) == ["Année scolaire", "Département", "Valeur (visites)"]
    merged = table.merge(expected, left_on=["Année scolaire", "Département"], right_on=["periode", "libelle"])
    assert len(merged) == len(expected) == 16
    assert (merged["Valeur (visites)"] == merged["valeur"]).all()
    # the chart draws the same numbers
    spec = _charts(at)[0]
    drawn = {(t["name"], x): y for t in spec["data"] for x, y in zip(t["x"], t["y"])}
    for row in expected.itertuples():
        assert drawn[(row.libelle, row.periode)] == pytest.approx(row.valeur)


def test_ranking_and_evolution_values_equal_core_queries(app, con):
    at = _open(app, indicateur="gar_connexions", annee="2022-2023", de_annee="2021-2022", a_annee="2023-2024")
    ranking = queries.values_by_bassin(con, "gar_connexions", "2022-2023", Filters()).data
    table = _table(at, "Rang")
    merged = table.merge(ranking, left_on="Bassin", right_on="nom")
    assert len(merged) == 17
    assert (merged["Valeur (connexions)"] == merged["valeur"]).all()
    assert (merged["Rang"] == merged["rang"]).all()
    evolution = queries.evolution(con, "gar_connexions", Filters(), "bassin", "2021-2022", "2023-2024").data
    table = _table(at, "Bassin")
    merged = table.merge(evolution, left_on="Bassin", right_on="libelle")
    assert len(merged) == 17
    assert (merged["2021-2022 (connexions)"] == merged["valeur_a"]).all()
    assert (merged["Évolution (%)"] - merged["evolution_pct"]).abs().max() < 0.01


# ------------------------------------------------------------------------------------ filter combinations


def test_departement_and_niveau_on_gar_connexions(app, con):
    at = _open(app, indicateur="gar_connexions", dep="57", niveau="college")
    filters = Filters(departements=("57",), niveaux=("college",))
    expected = queries.series(con, "gar_connexions", filters, annual=True).data
    table = _series_table(at)
    assert set(table["Territoire"]) == {"Moselle"}  # the « Ensemble » line is the filtered territory
    assert table["Valeur (connexions)"].tolist() == expected["valeur"].tolist()
    ranking = _table(at, "Rang")
    assert set(ranking["Département"]) == {"57"} and len(ranking) == 5
    assert any("départements choisis" in t for t in texts(at.caption))
    # breakdown by niveau keeps only the chosen niveau
    at.selectbox(key="ind_par").set_value("niveau").run()
    assert not unexpected_errors(at)
    assert set(_series_table(at)["Niveau"]) == {"Collège"}


def test_public_parents_on_ent_visites(app, con):
    at = _open(app, indicateur="ent_visites", public="parents")
    filters = Filters(publics=("parents",))
    expected = queries.series(con, "ent_visites", filters, annual=True).data
    assert _series_table(at)["Valeur (visites)"].tolist() == expected["valeur"].tolist()
    monthly = queries.series(con, "ent_visites_mois", filters).data
    table = _table(at, "Année scolaire", without=None)
    months = next(d.value for d in at.dataframe if MONTHS_HEADER in d.value.columns)
    assert months["Valeur (visites)"].sum() == pytest.approx(monthly["valeur"].sum())
    assert len(table) == 4
    assert not any("ne s'applique pas" in t for t in texts(at.info))


def test_thematique_on_accompagnement_heures(app, con):
    at = _open(app, indicateur="accompagnement_heures", theme="ent,robotique_programmation", par="thematique")
    filters = Filters(thematiques=("ent", "robotique_programmation"))
    expected = queries.series(con, "accompagnement_heures", filters, by="thematique", annual=True).data
    table = _series_table(at)
    assert set(table["Thématique"]) == set(expected["libelle"]) and len(set(expected["libelle"])) == 2
    assert table["Valeur (heures)"].sum() == pytest.approx(expected["valeur"].sum())
    spec = _charts(at)[0]
    assert len(spec["data"]) == 2
    # the picker only offers the indicators detailed by thème; with « afficher aussi les indicateurs non
    # concernés » the same filter on an indicator without thématiques is said, not silently ignored
    assert "ent_visites" not in [o for o in at.selectbox(key=SERIES_KEY).options if o.startswith("ENT")]
    at.toggle(key="ind_indicateur_tous").set_value(True).run()
    at.selectbox(key=SERIES_KEY).set_value("ent_visites").run()
    assert not unexpected_errors(at)
    assert any("Filtre thématique" in t and "ne s'applique pas" in t for t in texts(at.info))


def test_combination_without_data_says_why_in_french(app):
    at = _open(app, indicateur="ent_visites", par="niveau", de="2020-2021", a="2020-2021")
    infos = texts(at.info)
    # one message: why, and which breakdowns work instead
    assert any(
        "n'est pas détaillé par niveau" in t
        and "Découpages disponibles" in t
        and "«\u00a0Public\u00a0»" in t
        and "«\u00a0Bassin\u00a0»" in t
        and "Niveau\u00a0»" not in t
        for t in infos
    ), infos
    assert any("qu'une année scolaire" in t for t in infos), infos  # evolution needs two years
    # no empty chart: the series and the evolution are not drawn, months and ranking are
    assert len(_charts(at)) == 2
    assert not any(
        d.value.columns[0] == "Année scolaire" and MONTHS_HEADER not in d.value.columns for d in at.dataframe
    )


def test_many_groups_are_limited_then_all_drawn_on_request(app):
    at = _open(app, indicateur="ent_visites", par="bassin")
    assert len(_charts(at)[0]["data"]) == 8
    assert any("Non tracées (9)" in t for t in texts(at.caption))
    assert len(_series_table(at)) == 17 * 4  # the table keeps every bassin
    at.toggle(key="ind_all_groups").set_value(True).run()
    assert len(_charts(at)[0]["data"]) == 17


def test_same_years_for_evolution(app):
    at = _open(app, indicateur="ent_visites", de_annee="2022-2023", a_annee="2022-2023")
    assert any("deux années scolaires différentes" in t for t in texts(at.info))


# ---------------------------------------------------------------------------------------- URL parameters


def test_url_parameters_round_trip(app):
    at = _open(app, indicateur="gar_connexions", par="niveau", annee="2022-2023")
    assert at.selectbox(key=SERIES_KEY).value == "gar_connexions"
    assert at.selectbox(key="ind_par").value == "niveau"
    assert at.selectbox(key="ind_annee").value == "2022-2023"
    subheaders = texts(at.subheader)
    assert any("par niveau" in s for s in subheaders)
    assert any("Classement des bassins" in s and "2022-2023" in s for s in subheaders)
    assert not at.warning
    assert at.query_params["indicateur"] == "gar_connexions"
    assert at.query_params["par"] == "niveau"
    assert at.query_params["annee"] == "2022-2023"
    # a choice on the page is written back into the URL
    at.selectbox(key="ind_par").set_value("bassin").run()
    at.selectbox(key="ind_annee").set_value("2021-2022").run()
    assert at.query_params["par"] == "bassin"
    assert at.query_params["annee"] == "2021-2022"


def test_unknown_url_parameters_give_french_warnings(app):
    at = _open(app, indicateur="inconnu", par="camembert", annee="1999-2000")
    warnings = texts(at.warning)
    assert any("`inconnu`" in w and "Indicateur" in w for w in warnings), warnings  # URL value as inline code
    assert any("`camembert`" in w for w in warnings), warnings
    assert any("`1999-2000`" in w for w in warnings), warnings
    assert at.selectbox(key=SERIES_KEY).value == "ent_visites"
    assert at.selectbox(key="ind_par").value == "total"
    assert at.selectbox(key="ind_annee").value == "2023-2024"
    # the bad values are removed from the URL and the defaults are not written in their place
    assert not {"indicateur", "par", "annee"} & set(at.query_params)


def test_default_year_is_the_latest_of_the_filtered_period(app):
    at = _open(app, de="2020-2021", a="2022-2023")
    assert at.selectbox(key="ind_annee").value == "2022-2023"
    assert at.selectbox(key="ind_annee").options == ["2022-2023", "2021-2022", "2020-2021"]
    assert at.selectbox(key="ind_de").value == "2020-2021"
    assert at.selectbox(key="ind_a").value == "2022-2023"


# ------------------------------------------------------------------------------------------- small counts


def test_small_counts_of_people_read_less_than_5_by_bassin_totals_stay_exact(app, con):
    """planetarium_eleves, Vosges, école: bassins with fewer than 5 pupils read « < 5 » in the hover texts,
    the bar labels and the tables (the frames the downloads export); the département total stays exact."""
    from observatoire import small_counts

    rules = small_counts.policy()
    filters = Filters(departements=("88",), niveaux=("ecole",))
    year = queries.school_years(con)[-1]
    params = {"indicateur": "planetarium_eleves", "dep": "88", "niveau": "ecole", "annee": year}
    series = queries.series(con, "planetarium_eleves", filters, by="bassin", annual=True).data
    small = series["valeur"].map(rules.is_small)
    assert small.any()
    at = _open(app, par="bassin", **params)
    table = _series_table(at)
    merged = table.merge(series, left_on=["Année scolaire", "Bassin"], right_on=["periode", "libelle"])
    assert len(merged) == len(series)
    want = [("< 5" if rules.is_small(v) else small_counts.as_text(v)) for v in merged["valeur"]]
    assert list(merged["Valeur (élèves)"]) == want
    hover = " ".join(h for chart in _charts(at)[:1] for t in chart["data"] for h in t["hovertext"])
    assert "&lt; 5 élèves" in hover or "< 5 élèves" in hover
    for value in series.loc[small, "valeur"]:
        assert f" : {int(value)} élève" not in hover
    # ranking of the bassins: bar labels, hover texts and table
    ranking = queries.values_by_bassin(con, "planetarium_eleves", year, filters).data
    bars = next(c for c in _charts(at) if c["data"] and c["data"][0].get("orientation") == "h")["data"][0]
    n_small = int(ranking["valeur"].map(rules.is_small).sum())
    assert n_small and bars["text"].count("< 5") == n_small
    assert all(("5 élèves" in h) for h, t in zip(bars["hovertext"], bars["text"]) if t == "< 5")
    assert list(_table(at, "Rang")["Valeur (élèves)"]).count("< 5") == n_small
    # the total (département) is exact
    at = _open(app, par="total", **params)
    total = queries.series(con, "planetarium_eleves", filters, annual=True).data
    shown = _series_table(at)["Valeur (élèves)"]
    assert list(shown) == list(total["valeur"])


def test_evolution_by_bassin_hides_small_counts_and_the_change_that_would_tell_them(app, con):
    from observatoire import small_counts

    rules = small_counts.policy()
    years = queries.school_years(con)
    filters = Filters(departements=("88",), niveaux=("ecole",))
    expected = queries.evolution(con, "planetarium_eleves", filters, "bassin", years[0], years[-1]).data
    secret = expected["valeur_a"].map(rules.is_small) | expected["valeur_b"].map(rules.is_small)
    assert secret.any()
    at = _open(
        app,
        indicateur="planetarium_eleves",
        dep="88",
        niveau="ecole",
        par="bassin",
        de_annee=years[0],
        a_annee=years[-1],
    )
    table = _table(at, "Bassin").merge(expected, left_on="Bassin", right_on="libelle")
    assert len(table) == len(expected)
    for row in table.to_dict("records"):
        for year, raw in ((years[0], row["valeur_a"]), (years[-1], row["valeur_b"])):
            assert row[f"{year} (élèves)"] == ("< 5" if rules.is_small(raw) else small_counts.as_text(raw))
        hidden = rules.is_small(row["valeur_a"]) or rules.is_small(row["valeur_b"])
        assert (row["Remarque"] == "n. d. (secret statistique)") == hidden
        if hidden:
            assert row["Évolution (%)"] in ("", None) or pd.isna(row["Évolution (%)"])


def test_values_read_from_one_chosen_bassin_are_masked_too(app, con):
    """A bassin filter makes « Ensemble » the bassin's own count: a small count of people reads « < 5 »."""
    from observatoire import small_counts

    rules = small_counts.policy()
    year = queries.school_years(con)[-1]
    ranking = queries.values_by_bassin(con, "revtascol_eleves", year, Filters(departements=("88",))).data
    code = str(ranking.loc[ranking["valeur"].map(rules.is_small), "code"].iloc[0])
    expected = queries.series(con, "revtascol_eleves", Filters(bassins=(code,)), annual=True).data
    at = _open(app, indicateur="revtascol_eleves", bassin=code, par="total")
    shown = list(_series_table(at)["Valeur (élèves)"])
    assert shown == [("< 5" if rules.is_small(v) else small_counts.as_text(v)) for v in expected["valeur"]]
    assert "< 5" in shown


# --------------------------------------------------------------------------------- the page renders its view

VIEW_CASES = {  # URL parameters → the filters they give
    "academie": ({}, Filters()),
    "departement": ({"dep": "57", "indicateur": "gar_connexions"}, Filters(departements=("57",))),
    "theme": (
        {"theme": "ent,robotique_programmation", "indicateur": "accompagnement_heures", "par": "thematique"},
        Filters(thematiques=("ent", "robotique_programmation")),
    ),
    "empty": (
        {"bassin": "54-briey", "indicateur": "labo_personnes", "par": "laboratoire"},
        Filters(bassins=("54-briey",)),
    ),
}


def _page_view(at, con):
    """The view of what the page shows, built directly on the store from the page's filters and URL choices."""
    from observatoire.views.indicators import build_indicators

    params = {
        name: at.query_params[name]
        for name in ("indicateur", "par", "annee", "de_annee", "a_annee")
        if name in at.query_params
    }
    return build_indicators(con, at.session_state["filters"], params)


@pytest.mark.parametrize("case", list(VIEW_CASES))
def test_the_page_shows_its_view(app, con, case):
    """Headings, notices, captions, charts and tables on screen are the view's (same filters, same choices)."""
    from components.common import shown_table

    params, filters = VIEW_CASES[case]
    at = _open(app, **params)
    assert at.session_state["filters"] == filters
    view = _page_view(at, con)
    sections = view.items.sections
    markdown = " ".join(texts(at.markdown))
    assert view.text("indicateur") in markdown and view.text("definition") in markdown
    captions = texts(at.caption)
    assert any(f"Unité : **{view.text('unite')}**" in c and view.text("periode") in c for c in captions)
    assert texts(at.subheader) == [s.heading for s in sections if s.heading]
    infos = texts(at.info)
    for section in sections:
        for notice in section.notices:
            assert any(notice.text in i for i in infos), (section.key, notice.text, infos)
        for caption in (
            *section.captions,
            *section.after,
            *((section.switch_note,) if section.switch_note else ()),
        ):
            assert caption in captions, (section.key, caption)
        for key in (section.figure, section.table):
            if key:
                assert view.figure(key) is not None and view.table(key) is not None
    # the charts: the view's figures, in tab order
    charts = _charts(at)
    assert len(charts) == len(view.figures) == len(view.tables)
    for spec, figure in zip(charts, view.figures):
        assert spec["data"] == json.loads(figure.figure.to_json())["data"], figure.key
    # the tables: the view's tables, in tab order
    frames = [d.value for d in at.dataframe]
    assert len(frames) == len(view.tables)
    for frame, table in zip(frames, view.tables):
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), shown_table(table.frame).reset_index(drop=True), check_dtype=False
        )
    if case == "empty":
        assert view.figure("series") is None and any("Découpages disponibles" in i for i in infos)


def test_downloads_say_what_the_view_says(app, con, deferred):
    """CSV and XLSX of each table carry the view's « À propos » (title, indicator, unit, the view's filters
    line, source, illustrative flag); their data is the view's table."""
    import csv
    import io

    import openpyxl

    from components.common import view_about
    from observatoire import exporting

    at = _open(app, indicateur="ent_visites", dep="57", par="bassin")
    view = _page_view(at, con)
    files = {button.proto.id: deferred[button.proto.deferred_file_id] for button in at.get("download_button")}
    checked = 0
    for table in view.tables:
        expected = dict(exporting.about_rows(view_about(view, table)))
        expected.pop("Exporté le")
        assert expected["Filtres"] == "Département : 57 — Moselle"
        ((csv_name, make_csv),) = [f for i, f in files.items() if f"tbl_{table.key}_csv" in i]
        ((xlsx_name, make_xlsx),) = [f for i, f in files.items() if f"tbl_{table.key}_xlsx" in i]
        assert csv_name == exporting.export_file_name(table.title, view.context, "csv")
        text = make_csv().decode("utf-8-sig")
        block, data = text.split("\n\n", 1)
        about = {row[0].removeprefix("# "): row[1] for row in csv.reader(io.StringIO(block), delimiter=";")}
        assert {k: about[k] for k in expected} == expected, table.key
        assert len(list(csv.reader(io.StringIO(data), delimiter=";"))) == len(table.frame) + 1
        sheet = openpyxl.load_workbook(io.BytesIO(make_xlsx()))[exporting.ABOUT_SHEET]
        rows = dict(list(sheet.iter_rows(values_only=True))[1:])
        assert {k: rows[k] for k in expected} == expected, table.key
        ((png_name, _),) = [f for i, f in files.items() if f"tbl_{table.key}_png" in i]  # drawn on click
        assert png_name == exporting.export_file_name(table.title, view.context, "png")
        checked += 1
    assert checked == 4  # series, months, ranking, evolution


def test_source_lines_name_trusted_sources_and_sum_up_generated_ones(con):
    """`source_line` (the view's, the screen's `components.common.source_text` is the same function) on bilan,
    mixed, generated, deduced and imported results: five different lines, generated sources never named."""
    from observatoire.views.model import source_line

    cases = [
        queries.series(con, "ent_visites", Filters(periode_debut="2023-2024"), annual=True),
        queries.series(con, "ent_visites", Filters(), annual=True),
        queries.series(con, "ent_visites", Filters(), by="bassin", annual=True),
        queries.series(con, "accompagnement_heures", Filters(), by="thematique", annual=True),
        queries.Result(pd.DataFrame(), sources=("a", "b"), origins=("import", "deduit")),
    ]
    lines = [source_line(r.sources, r.origins) for r in cases]
    assert len(set(lines)) == len(cases)  # bilan, bilan + generated, generated, deduced + generated, imported
    for result, line in zip(cases, lines):
        generated = {s for s, o in zip(result.sources, result.origins) if o == "illustratif"}
        named = {s for s, o in zip(result.sources, result.origins) if o != "illustratif"}
        assert all(s in line for s in named) and not any(s in line for s in generated - named)
        assert ("illustratives" in line) == bool(generated)
    assert source_line(("a", "b")) == "Source : a ; b."
