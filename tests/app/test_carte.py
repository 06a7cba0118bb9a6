"""Carte through the entrypoint (AppTest): filters, URL round-trips, the bassin panel and the data table equal
the store's queries, and the map sent to the browser is offline and small."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from components import maps, offline
from observatoire import queries
from observatoire.figures import classification, formatting
from observatoire.figures.theme import THEME
from observatoire.filters import Filters
from tests.helpers import component_instances, md_text, open_page, unexpected_errors

PAGE = "pages/carte.py"


def _open(app, **params: str):
    return open_page(app, PAGE, **params)


def _rerun(at):
    at.run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _latest_year(con) -> str:
    return queries.school_years(con)[-1]


def _map_args(at) -> dict:
    (component,) = component_instances(at)
    return json.loads(component.proto.json_args)


def _selectbox(at, key: str):
    return next(s for s in at.selectbox if s.key == key)


def _markdown(at) -> str:
    return "\n".join(md_text(m.value) for m in at.markdown)


def _table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "Valeur (nombre)" in d.value.columns)


# ------------------------------------------------------------------------------------------- page loads


def test_default_view(app, con):
    at = _open(app)
    assert _selectbox(at, "carte_indicateur").value == "labo_personnes"
    assert _selectbox(at, "carte_annee").value == _latest_year(con)
    assert _selectbox(at, "carte_methode").value == "quantiles"
    assert _selectbox(at, "carte_classes").value == "5"
    assert _selectbox(at, "carte_fond").value == "aucun"
    assert _selectbox(at, maps.SESSION_KEY).value == ""
    from observatoire import config

    assert config.academie().bassins_note in [md_text(c.value) for c in at.caption]
    # the map sent to the browser: offline (no third-party URL at all), every bassin, small
    args = _map_args(at)
    payload = json.dumps(args)
    assert offline.third_party_urls(payload) == []
    assert args["returned_objects"] == list(maps.RETURNED_OBJECTS)
    assert args["height"] == THEME.map_height
    assert len(payload.encode("utf-8")) < 250_000
    codes = list(queries.values_by_bassin(con, "labo_personnes", _latest_year(con), Filters()).data["code"])
    assert len(codes) == 17 and all(json.dumps(code) in args["script"] for code in codes)
    assert args["script"].count("L.marker(") == 16


def test_map_content_does_not_change_on_an_unrelated_rerun(app):
    """Same inputs → same component arguments (the map is not rebuilt in the browser, not resent)."""
    at = _open(app)
    first = component_instances(at)[0].proto.json_args
    _rerun(at)
    assert component_instances(at)[0].proto.json_args == first
    # selecting a bassin changes the panel, never the map
    _selectbox(at, maps.SESSION_KEY).set_value("57-metz")
    _rerun(at)
    assert component_instances(at)[0].proto.json_args == first
    assert "Bassin de Metz" in [s.value for s in at.subheader]


@pytest.mark.parametrize(
    "filters",
    [
        {"f_departements": ["57"]},
        {"f_bassins": ["54-nancy", "57-metz"]},
        {"f_departements": ["88"], "f_bassins": ["88-epinal"]},
        {"f_publics": ["eleves"]},
    ],
)
def test_filter_combinations_load(app, con, filters):
    at = _open(app)
    for key, value in filters.items():
        at.multiselect(key=key).set_value(value)
    _rerun(at)
    assert len(component_instances(at)) == 1
    state = Filters(
        departements=tuple(filters.get("f_departements", ())),
        bassins=tuple(filters.get("f_bassins", ())),
        publics=tuple(filters.get("f_publics", ())),
    )
    expected = queries.values_by_bassin(con, "labo_personnes", _latest_year(con), state).data
    assert list(_table(at)["Code"]) == list(expected["code"])
    labs = queries.laboratories(con, state).data
    assert _map_args(at)["script"].count("L.marker(") == len(labs)


def test_departement_filter_restricts_the_map(app, con):
    at = _open(app)
    at.multiselect(key="f_departements").set_value(["57"])
    _rerun(at)
    script = _map_args(at)["script"]
    for code in queries.choices(con).bassins:
        assert (json.dumps(code) in script) == code.startswith("57-"), code


def test_theme_without_any_lab(app, con):
    # Since the thème taxonomy every thème reaches labs (a sub-thème reaches the labs of its main thème), so
    # the empty case is a thème and a niveau that no lab has together (e.g. parentalité in lycée pro).
    # labo_personnes is now detailed by thème and niveau: no « ne s'applique pas » note is expected any more.
    choices = queries.choices(con)
    theme, niveau = next(
        (t, n)
        for t in choices.thematiques
        for n in choices.niveaux
        if queries.laboratories(con, Filters(thematiques=(t,), niveaux=(n,))).data.empty
    )
    at = _open(app)
    at.multiselect(key="f_thematiques").set_value([theme])
    at.multiselect(key="f_niveaux").set_value([niveau])
    _rerun(at)
    assert _map_args(at)["script"].count("L.marker(") == 0
    assert any("Aucun laboratoire" in c.value for c in at.caption)


def test_niveau_on_an_indicator_without_levels_is_said(app):
    # the default map indicator (labo_personnes) is now detailed by niveau: ENT visits are not
    at = _open(app, indicateur="ent_visites")
    at.multiselect(key="f_niveaux").set_value(["ecole"])
    _rerun(at)
    notes = [i.value for i in at.info]
    assert any(n.startswith("Filtre niveau") for n in notes), notes


# ---------------------------------------------------------------------------------------------------- URL


def test_url_parameters_open_the_view(app, con):
    years = queries.school_years(con)
    at = _open(
        app,
        indicateur="ent_visites",
        annee=years[0],
        methode="jenks",
        classes="4",
        fond="osm",
        bassin_sel="54-nancy",
    )
    assert _selectbox(at, "carte_indicateur").value == "ent_visites"
    assert _selectbox(at, "carte_annee").value == years[0]
    assert _selectbox(at, "carte_methode").value == "jenks"
    assert _selectbox(at, "carte_classes").value == "4"
    # a link's basemap is only offered (outside tiles need the visitor's own choice): accepted here
    assert _selectbox(at, "carte_fond").value == "aucun"
    at.button(key="carte_fond_accepter").click()
    _rerun(at)
    assert _selectbox(at, "carte_fond").value == "osm"
    assert _selectbox(at, maps.SESSION_KEY).value == "54-nancy"
    assert "Bassin de Nancy" in [s.value for s in at.subheader]
    for name, value in {
        "indicateur": "ent_visites",
        "annee": years[0],
        "methode": "jenks",
        "classes": "4",
        "fond": "osm",
        "bassin_sel": "54-nancy",
    }.items():
        assert at.query_params[name] in (value, [value]), name
    args = _map_args(at)
    hosts = {u.split("/")[2] for u in offline.third_party_urls(json.dumps(args))}
    assert hosts == {"tile.openstreetmap.org", "www.openstreetmap.org"}
    # the table is the one of that indicator and year
    expected = queries.values_by_bassin(con, "ent_visites", years[0], Filters()).data
    assert list(_table(at)["Valeur (nombre)"]) == list(expected["valeur"])


def test_unselecting_the_bassin_removes_it_from_the_url(app):
    at = _open(app, bassin_sel="57-metz")
    _selectbox(at, maps.SESSION_KEY).set_value("")
    _rerun(at)
    assert "bassin_sel" not in at.query_params
    assert not at.subheader or "Bassin de Metz" not in [s.value for s in at.subheader]


@pytest.mark.parametrize(
    "params",
    [
        {"indicateur": "nimporte_quoi"},
        {"annee": "1999-2000"},
        {"fond": "satellite"},
        {"methode": "kmeans", "classes": "12"},
        {"bassin_sel": "<script>"},
    ],
)
def test_unknown_url_values_warn_in_french(app, params):
    at = _open(app, **params)
    warnings = " ".join(w.value for w in at.warning)
    assert "Lien :" in warnings and "inconnu" in warnings
    assert len(component_instances(at)) == 1
    assert _selectbox(at, "carte_indicateur").value == "labo_personnes"  # defaults kept for the rest


def test_bassin_outside_the_chosen_departements_is_not_selected(app):
    at = _open(app, dep="57", bassin_sel="54-nancy")
    assert _selectbox(at, maps.SESSION_KEY).value == ""
    assert any("54-nancy" in w.value for w in at.warning)


# ------------------------------------------------------------------------------------- panel and table


def test_panel_shows_the_store_profile(app, con):
    year = _latest_year(con)
    at = _open(app, bassin_sel="57-thionville")
    text = _markdown(at)
    profile = queries.bassin_profile(con, "57-thionville", year, Filters())
    assert not profile.empty
    for row in profile.to_dict("records"):
        value = "—" if row["valeur"] is None or pd.isna(row["valeur"]) else formatting.number(row["valeur"])
        assert f"**{row['libelle']}** : {value}" in text, row["libelle"]
        assert formatting.compact(row["academie"]) in text
        if row["rang"] is not None and not pd.isna(row["rang"]):
            assert f"rang : {formatting.rank_label(row['rang'], row['nb'])}" in text
        if row["part_pct"] is not None and not pd.isna(row["part_pct"]):
            assert formatting.percent(row["part_pct"]) in text
    values = queries.values_by_bassin(con, "labo_personnes", year, Filters()).data.set_index("code")
    metric = md_text(at.metric[0].value)
    value = values.loc["57-thionville", "valeur"]
    assert metric == formatting.number(value)  # the unit is in the heading (narrow panel)
    assert f"en {classification.unit_for(value, 'personnes')}" in text  # « 0 personne »
    assert formatting.rank_label(int(values.loc["57-thionville", "rang"]), len(values)) in text
    labs = queries.laboratories(con, Filters(bassins=("57-thionville",))).data
    assert f"Laboratoires numériques du bassin ({len(labs)})" in text
    for name in labs["nom"]:
        assert name in text


def test_panel_lists_the_labs_of_the_bassin(app, con):
    at = _open(app, bassin_sel="57-forbach")
    labs = queries.laboratories(con, Filters(bassins=("57-forbach",))).data
    assert len(labs) >= 1
    text = _markdown(at)
    for lab in labs.to_dict("records"):
        assert lab["nom"] in text and lab["commune"] in text


def test_data_table_equals_values_by_bassin(app, con):
    at = _open(app, indicateur="pix_taux_certification")
    year = _latest_year(con)
    expected = queries.values_by_bassin(con, "pix_taux_certification", year, Filters()).data
    table = _table(at)
    assert list(table["Bassin"]) == list(expected["nom"])
    assert list(table["Valeur (nombre)"]) == pytest.approx(list(expected["valeur"]))
    assert list(table["Valeur"]) == [formatting.with_unit(v, "%") for v in expected["valeur"]]
    assert list(table["Rang"]) == [formatting.rank_label(int(r), len(expected)) for r in expected["rang"]]
    assert any(e.label.startswith("Données :") for e in at.expander)


# ------------------------------------------------------------------------------------------- small counts


def test_small_counts_of_people_read_less_than_5_in_tooltips_table_and_panel(app, con):
    """planetarium_eleves, Vosges, école: one bassin counts fewer than 5 pupils. Tooltip, table (and its
    download frame), legend and panel say « < 5 »; the other bassins and the académie stay exact."""
    from observatoire import small_counts

    year = _latest_year(con)
    filters = Filters(departements=("88",), niveaux=("ecole",))
    expected = queries.values_by_bassin(con, "planetarium_eleves", year, filters).data
    rules = small_counts.policy()
    small = expected["valeur"].map(rules.is_small)
    assert small.any() and not small.all()
    code = str(expected.loc[small, "code"].iloc[0])
    at = _open(app, indicateur="planetarium_eleves", annee=year, dep="88", niveau="ecole", bassin_sel=code)
    # the table shown (as text: `common.shown_table`); its download frame: tests/observatoire/figures/test_foliummap.py
    table = _table(at)
    by_code = dict(zip(table["Code"], table["Valeur (nombre)"]))
    for row in expected.itertuples():
        assert by_code[row.code] == ("< 5" if rules.is_small(row.valeur) else small_counts.as_text(row.valeur))
    assert (table.loc[table["Code"] == code, "Valeur"] == "< 5 élèves").all()
    assert not any(str(v).startswith(("1 ", "2 ", "3 ", "4 ")) for v in table["Valeur"])
    assert all(not str(c).startswith(("1 ", "2 ", "3 ", "4 ")) for c in table["Classe"])
    # tooltips: the map's GeoJSON properties
    tooltips = [
        html.unescape(json.loads(m)) for m in re.findall(r'"valeur": ("(?:[^"\\]|\\.)*")', _map_args(at)["script"])
    ]
    assert len(tooltips) == len(expected)
    assert sum(t.startswith("< 5 élèves · ") for t in tooltips) == int(small.sum())
    for value in expected.loc[small, "valeur"]:
        exact = formatting.with_unit(float(value), classification.unit_for(float(value), "élèves"))
        assert not any(t.startswith(exact + " ") for t in tooltips)
    # the bassin panel: « < 5 », the académie value of the headline indicators stays exact
    assert [m.value for m in at.metric if md_text(m.value) == "< 5"]
    assert any("Secret statistique" in md_text(c.value) for c in at.caption)
    profile = queries.bassin_profile(con, code, year, filters.with_(departements=(), bassins=()))
    markdown = _markdown(at)
    for acad in profile["academie"].dropna():
        assert formatting.compact(acad) in markdown


def test_counts_of_things_and_departements_are_not_masked(app, con):
    year = _latest_year(con)
    at = _open(app, indicateur="ent_visites", annee=year, dep="88", niveau="ecole")
    assert "< 5" not in " ".join(map(str, _table(at)["Valeur (nombre)"]))
    assert not any("Secret statistique" in md_text(c.value) for c in at.caption)


# ------------------------------------------------------------------------------------------- the view


def _about_rows(data: bytes) -> dict[str, str]:
    import csv
    import io

    from observatoire import exporting

    text = data.decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text[: len(text) - len(exporting.strip_about_block(text))]), delimiter=";")
    return {row[0].removeprefix("# "): row[1] for row in rows if row and len(row) > 1}


def test_the_page_renders_the_view_and_its_downloads_say_what_the_view_says(app, con, deferred):
    """The page shows `build_carte`'s view: its table, legend and notes; the table's CSV and the map's PNG take
    their « À propos » (title, filters line, source, illustrative flag) from the view."""
    from components import common
    from observatoire import exporting
    from observatoire.views.carte import build_carte

    year = _latest_year(con)
    filters = Filters(departements=("57",), niveaux=("ecole",))
    view = build_carte(con, filters, {"indicateur": "ent_visites", "annee": year})
    at = _open(app, dep="57", niveau="ecole", indicateur="ent_visites", annee=year)
    table = view.table("bassins")
    pd.testing.assert_frame_equal(
        _table(at).reset_index(drop=True),
        common.shown_table(table.frame).reset_index(drop=True),
        check_dtype=False,
    )
    notes = [i.value for i in at.info]
    assert [n.text for n in view.notices if n.kind == "filtre"] and all(
        any(md_text(i) == n.text for i in notes) for n in view.notices if n.kind == "filtre"
    )
    assert view.text("bassins_note") in [md_text(c.value) for c in at.caption]
    buttons = {b.key: deferred[b.proto.deferred_file_id] for b in at.get("download_button")}
    name, make = buttons["carte_table_csv"]
    about = _about_rows(make())
    assert view.context.filters_text == "Département : 57 — Moselle · Niveau : École"
    expected = exporting.about_rows(common.view_about(view, table))
    assert {k: v for k, v in about.items() if k not in ("Exporté le", "À propos de ce fichier")} == {
        label: str(value) for label, value in expected if label != "Exporté le"
    }
    # the ENT is not broken down by niveau: « École » is said not applied, and is not in the file's name
    scoped = common.view_about(view, table).context
    assert about["Filtres"] == "Département : 57 — Moselle" and about["Contenu"] == table.title
    assert about["Filtres non appliqués"] == "Niveau : non détaillé pour cet indicateur (« École » non appliqué)"
    assert name == exporting.export_file_name(table.title, scoped, "csv") and "École" not in name
    png_name, _ = buttons["carte_map_png"]
    assert png_name.startswith(table.title)
