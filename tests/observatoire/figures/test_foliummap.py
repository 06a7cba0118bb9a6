"""Carte builders (`observatoire.figures.foliummap`, `observatoire.figures.bassin_panel`): the folium map
(sovereignty, content, size), popups, legends, clicks, tables. Moved from tests/components/test_maps.py (pure code,
no Streamlit); the classes and palette: test_classification.py.

Expected values come from the store's queries (demo database) or from the reference files, never from what the
builders printed.
"""

from __future__ import annotations

import io
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from components import offline
from observatoire import config, exporting, geo, queries, small_counts
from observatoire.figures import bassin_panel, classification, foliummap, formatting
from observatoire.figures.theme import THEME
from observatoire.filters import Filters

NBSP = formatting.NBSP
YEAR = "2023-2024"
ACADEMIE = config.academie()
LAB_FIGURES = dict(ACADEMIE.indicateurs.chiffres_laboratoire)  # academie.json: the lab popups' figures


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def geojsons() -> tuple[dict, dict]:
    return geo.geojson_dict("bassins"), geo.geojson_dict("departements")


@pytest.fixture(scope="module")
def labels(con) -> dict:
    return queries.labels(con)


def _map(
    con,
    geojsons,
    labels,
    filters: Filters | None = None,
    basemap: str = "aucun",
    indicator: str = "labo_personnes",
    method: str = "quantiles",
    k: int = 5,
    values: pd.DataFrame | None = None,
) -> tuple[folium.Map, pd.DataFrame, classification.Classes, pd.DataFrame]:
    filters = filters or Filters()
    res = queries.values_by_bassin(con, indicator, YEAR, filters)
    data = res.data if values is None else values
    labs = queries.laboratories(con, filters).data
    figures = foliummap.lab_figures(
        {
            i: queries.series(
                con, i, foliummap.lab_figure_filters(filters), by="laboratoire", annual=True, periods=(YEAR, YEAR)
            ).data
            for i in LAB_FIGURES
        },
        labels=LAB_FIGURES,
    )
    meta = queries.indicator(con, indicator)
    classes = classification.classify(data["valeur"], method, k)
    offline.use_local_assets()  # what components.maps.build_map does first: folium's assets are vendored
    m = foliummap.build_map(
        geojsons[0],
        geojsons[1],
        data,
        classes,
        labs,
        indicator_label=meta["libelle"],
        unit=meta["unite"],
        annee=YEAR,
        centre=ACADEMIE.carte_centre,
        zoom=ACADEMIE.carte_zoom,
        basemap=basemap,
        departements=filters.departements,
        chosen_bassins=filters.bassins,
        theme_labels=labels.thematiques,
        niveau_labels=labels.niveaux,
        figures=figures,
    )
    return m, data, classes, labs


def _layers(m: folium.Map, name: str) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name]


def _markers(m: folium.Map) -> list[folium.Marker]:
    return [c for c in m._children.values() if isinstance(c, folium.Marker)]


def _hosts(urls: list[str]) -> set[str]:
    return {re.sub(r"^https?://([^/?#]+).*$", r"\1", u) for u in urls}


# -------------------------------------------------------------------------------------------------- the map


def test_default_map_has_no_third_party_url(con, geojsons, labels):
    """THE sovereignty test: « Sans fond de carte » references nothing outside the app."""
    m, *_ = _map(con, geojsons, labels)
    html = m.get_root().render()
    assert offline.third_party_urls(html) == []
    assert "glyphicon" not in html
    assert f"{offline.VENDOR_PREFIX}/leaflet-1.9.3/leaflet.js" in html
    assert "tile.openstreetmap.org" not in html and "geopf.fr" not in html
    for rel in offline.vendored_paths(html):
        path = offline.VENDOR_DIR / rel
        assert path.is_dir() if rel.endswith("/") else path.is_file(), rel


def test_openstreetmap_basemap_only_adds_openstreetmap(con, geojsons, labels):
    m, *_ = _map(con, geojsons, labels, basemap="osm")
    urls = offline.third_party_urls(m.get_root().render())
    assert _hosts(urls) == {"tile.openstreetmap.org", "www.openstreetmap.org"}
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in urls
    assert offline.third_party_urls(m.get_root().render(), ["tile.openstreetmap.org", "*.openstreetmap.org"]) == []


def test_ign_basemap_only_adds_the_geoplateforme(con, geojsons, labels):
    m, *_ = _map(con, geojsons, labels, basemap="ign")
    html = m.get_root().render()
    assert _hosts(offline.third_party_urls(html)) == {"data.geopf.fr"}
    assert "GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2" in html
    assert json.dumps("© IGN – Géoplateforme")[1:-1] in html  # attribution (JSON-escaped in the script)


def test_unknown_basemap_is_refused(con, geojsons, labels):
    with pytest.raises(ValueError):
        _map(con, geojsons, labels, basemap="satellite")


def test_map_draws_every_bassin_and_every_lab(con, geojsons, labels):
    m, data, classes, labs = _map(con, geojsons, labels)
    (bassins,) = _layers(m, "Bassins")
    codes = [f["properties"]["code"] for f in bassins.data["features"]]
    assert sorted(codes) == sorted(f["properties"]["code"] for f in geojsons[0]["features"])
    assert len(codes) == 17
    (deps,) = _layers(m, "Départements")
    assert len(deps.data["features"]) == 4
    assert deps.options.get("interactive") is False  # clicks go through to the bassins
    markers = _markers(m)
    assert len(markers) == len(labs) == 16
    expected = {(round(float(r.latitude), 5), round(float(r.longitude), 5)) for r in labs.itertuples()}
    assert {(round(mk.location[0], 5), round(mk.location[1], 5)) for mk in markers} == expected
    # the bassins' fill follows the classes, the values in the tooltip are the store's
    by_code = dict(zip(data["code"], range(len(data))))
    for feature in bassins.data["features"]:
        i = by_code[feature["properties"]["code"]]
        style = bassins.style_function(feature)
        assert style["fillColor"] == classes.colors[classes.bins[i]]
        assert feature["properties"]["valeur"].startswith(
            classification.format_value(data["valeur"].iloc[i], "personnes")
        )


def test_map_is_small_and_embeds_the_geojson_once(con, geojsons, labels):
    m, *_ = _map(con, geojsons, labels)
    html = m.get_root().render()
    assert len(html.encode("utf-8")) < 250_000
    for feature in geojsons[0]["features"][:3]:
        assert html.count(json.dumps(feature["geometry"]["coordinates"])) == 1


def test_two_builds_render_identically(con, geojsons, labels):
    """Deterministic ids: an unchanged map is byte-identical, so Streamlit does not resend it on a rerun."""
    a, *_ = _map(con, geojsons, labels)
    b, *_ = _map(con, geojsons, labels)
    assert a.get_root().render() == b.get_root().render()


def test_popup_has_the_lab_its_labels_figures_and_source(con, geojsons, labels):
    m, _, _, labs = _map(con, geojsons, labels)
    html = m.get_root().render()
    lab = labs[labs["code"] == "lab-metz"].iloc[0].to_dict()
    people = queries.series(
        con, "labo_personnes", Filters(), by="laboratoire", annual=True, periods=(YEAR, YEAR)
    ).data
    value = people.loc[people["groupe"] == "lab-metz", "valeur"].iloc[0]
    popup = foliummap.lab_popup_html(
        lab, labels.thematiques, labels.niveaux, [("Personnes concernées", formatting.number(value), True)], YEAR
    )
    assert lab["nom"] in popup and lab["commune"] in popup and lab["bassin_nom"] in popup
    for code in lab["thematiques"].split("|"):
        assert labels.thematiques[code] in popup
    for code in lab["niveaux"].split("|"):
        assert labels.niveaux[code] in popup
    assert formatting.number(value) in popup
    assert "Source : " in popup
    assert lab["nom"] in html and "Source : " in html
    assert formatting.number(value) in html  # the popup of the rendered map has the key figure


def test_popup_escapes_text():
    lab = {
        "nom": "<b>Labo</b> & co",
        "commune": "X",
        "bassin_nom": "Y",
        "thematiques": "a",
        "niveaux": "b",
        "source": "illustratif",
    }
    popup = foliummap.lab_popup_html(lab, {}, {}, [], YEAR)
    assert "&lt;b&gt;Labo&lt;/b&gt; &amp; co" in popup
    assert "Source : données illustratives." in popup


def test_markers_use_font_awesome_icons_by_main_theme(con, geojsons, labels):
    m, _, _, labs = _map(con, geojsons, labels)
    for marker, lab in zip(_markers(m), labs.to_dict("records")):
        icon = marker.icon
        assert icon.options["prefix"] == "fa"
        expected_icon, expected_color = classification.theme_style(lab["thematiques"].split("|")[0])
        assert icon.options["icon"] == expected_icon and icon.options["marker_color"] == expected_color
    html = m.get_root().render()
    themes = {lab["thematiques"].split("|")[0] for lab in labs.to_dict("records")}
    for theme in themes:  # one legend entry per main theme shown
        assert html.count(json.dumps(labels.thematiques[theme])[1:-1]) >= 1


def test_departement_filter_keeps_only_its_bassins(con, geojsons, labels):
    filters = Filters(departements=("57",))
    m, data, _, labs = _map(con, geojsons, labels, filters=filters)
    (bassins,) = _layers(m, "Bassins")
    codes = sorted(f["properties"]["code"] for f in bassins.data["features"])
    expected = sorted(
        f["properties"]["code"] for f in geojsons[0]["features"] if str(f["properties"]["departement"]) == "57"
    )
    assert codes == expected == sorted(data["code"])
    (deps,) = _layers(m, "Départements")
    assert [f["properties"]["code"] for f in deps.data["features"]] == ["57"]
    assert {lab for lab in labs["departement"]} == {"57"}
    assert len(_markers(m)) == len(labs)


def test_chosen_bassins_get_a_thick_outline(con, geojsons, labels):
    filters = Filters(bassins=("57-metz",))
    m, *_ = _map(con, geojsons, labels, filters=filters)
    (bassins,) = _layers(m, "Bassins")
    assert len(bassins.data["features"]) == 17  # every bassin of the académie stays drawn
    (chosen,) = _layers(m, "Bassins choisis")
    assert [f["properties"]["code"] for f in chosen.data["features"]] == ["57-metz"]
    style = chosen.style_function(chosen.data["features"][0])
    assert style["color"] == THEME.chosen_line and style["fill"] is False
    assert style["weight"] > 3 * bassins.style_function(bassins.data["features"][0])["weight"]
    assert chosen.options.get("interactive") is False
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert names == ["Bassins", "Départements", "Bassins choisis"]  # drawn above the département borders
    assert "bassin choisi" in m.get_root().render()
    m, *_ = _map(con, geojsons, labels)
    assert not _layers(m, "Bassins choisis") and "bassin choisi" not in m.get_root().render()


def test_missing_values_are_hatched_on_the_map(con, geojsons, labels):
    data = queries.values_by_bassin(con, "ent_visites", YEAR, Filters()).data.copy()
    data.loc[data["code"] == "55-verdun", "valeur"] = np.nan
    m, *_ = _map(con, geojsons, labels, indicator="ent_visites", values=data)
    (bassins,) = _layers(m, "Bassins")
    verdun = next(f for f in bassins.data["features"] if f["properties"]["code"] == "55-verdun")
    assert bassins.style_function(verdun)["fillColor"] == f"url(#{foliummap.HATCH_ID})"
    assert verdun["properties"]["valeur"] == "pas de donnée"
    html = m.get_root().render()
    assert f'id="{foliummap.HATCH_ID}"' in html and json.dumps("pas de donnée")[1:-1] in html


# ---------------------------------------------------------------------------------------------------- clicks


def _feature(code: str) -> dict:
    feature = next(f for f in geo.geojson_dict("bassins")["features"] if f["properties"]["code"] == code)
    return {"type": "Feature", "properties": {"code": code}, "geometry": feature["geometry"]}


def _inside(code: str) -> tuple[float, float]:
    import shapely.geometry

    point = shapely.geometry.shape(_feature(code)["geometry"]).representative_point()
    return point.y, point.x


def test_click_on_a_bassin_reads_the_feature_code():
    lat, lng = _inside("57-metz")
    value = {"last_object_clicked": {"lat": lat, "lng": lng}, "last_active_drawing": _feature("57-metz")}
    assert bassin_panel.clicked_bassin(value, ["57-metz", "54-nancy"]) == "57-metz"
    assert bassin_panel.clicked_bassin(value, ["54-nancy"]) is None  # not drawn (département filter)


def test_click_on_a_lab_selects_the_bassin_under_it_not_a_stale_feature():
    lab = geo.load_laboratoires().set_index("code").loc["lab-forbach"]
    value = {
        "last_object_clicked": {"lat": float(lab.latitude), "lng": float(lab.longitude)},
        "last_active_drawing": _feature("57-metz"),
    }  # previously clicked bassin
    allowed = [f["properties"]["code"] for f in geo.geojson_dict("bassins")["features"]]
    assert bassin_panel.clicked_bassin(value, allowed) == lab.bassin == "57-forbach"


def test_no_click_means_no_selection():
    assert bassin_panel.clicked_bassin(None, ["57-metz"]) is None
    assert (
        bassin_panel.clicked_bassin({"last_object_clicked": None, "last_active_drawing": None}, ["57-metz"])
        is None
    )
    assert bassin_panel.clicked_bassin({"last_object_clicked": {"lat": 0.0, "lng": 0.0}}, ["57-metz"]) is None


# ---------------------------------------------------------------------------------------------------- tables


def test_bassins_table_is_the_text_alternative(con):
    data = queries.values_by_bassin(con, "ent_visites", YEAR, Filters()).data
    classes = classification.classify(data["valeur"], "jenks", 4)
    table = bassin_panel.bassins_table(data, classes, "visites", queries.labels(con).departements)
    assert list(table["Bassin"]) == list(data["nom"])
    assert list(table["Valeur (nombre)"]) == list(data["valeur"])
    assert list(table["Valeur"]) == [formatting.with_unit(v, "visites") for v in data["valeur"]]
    assert list(table["Rang"]) == [formatting.rank_label(int(r), len(data)) for r in data["rang"]]
    labels = classification.class_labels(classes, "visites")
    assert list(table["Classe"]) == [labels[b] for b in classes.bins]


def test_profile_rows_format_the_store_values(con):
    profile = queries.bassin_profile(con, "54-nancy", YEAR, Filters())
    rows = bassin_panel.profile_rows(profile)
    assert [r["indicateur"] for r in rows] == list(profile["libelle"])
    for r, p in zip(rows, profile.to_dict("records")):
        assert r["bassin"] == formatting.number(p["valeur"])
        assert r["academie"] == formatting.compact(p["academie"])
        assert r["rang"] == formatting.rank_label(p["rang"], p["nb"])
        assert r["part"] == (
            "" if p["part_pct"] is None or pd.isna(p["part_pct"]) else formatting.percent(p["part_pct"])
        )
    text = bassin_panel.profile_markdown(profile)
    assert all(r["bassin"] in text for r in rows)


def test_map_indicators_exclude_monthly_ones(con):
    catalogue = queries.indicators(con)
    options = foliummap.map_indicators(catalogue)
    monthly = set(catalogue.loc[catalogue["granularite"] == "mensuelle", "id"])
    assert monthly and not monthly & set(options)
    assert set(options) | monthly == set(catalogue["id"])
    assert foliummap.default_indicator(options, ACADEMIE.indicateurs) == "labo_personnes"


# ------------------------------------------------------------------------------------------- small counts

MASK = small_counts.Policy(5, frozenset({"élèves"}))


def _small_values() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["a", "b", "c", "d", "e"],
            "nom": ["A", "B", "C", "D", "E"],
            "departement": ["88"] * 5,
            "valeur": [2.0, 4.0, 12.0, 30.0, float("nan")],
            "rang": pd.array([4, 3, 2, 1, None], dtype="Int64"),
        }
    )


def test_small_counts_read_less_than_5_in_every_text_of_the_map_colours_stay_exact():
    values = _small_values()
    exact = classification.classify(values["valeur"], "quantiles", 4)
    classes = classification.classify(values["valeur"], "quantiles", 4, mask=MASK)
    assert classes.bins == exact.bins and classes.colors == exact.colors  # colours from the exact values
    labels = classification.class_labels(classes, "élèves")
    assert labels[:2] == ["< 5 élèves", "< 5 élèves"]
    assert not any(re.search(r"(?<![\d ])[234](?! ?\d)", label) for label in labels), labels
    wide = classification.class_labels(
        classification.classify([3.0, 12.0, 30.0, 40.0], "intervalles", 2, mask=MASK), "élèves"
    )
    assert wide[0].startswith("de 1 à ")  # a small lower bound reads 1 (the smallest masked count)
    features = foliummap.bassin_features(
        geo.geojson_dict("bassins"),
        values.assign(code=[f["properties"]["code"] for f in geo.geojson_dict("bassins")["features"][:5]]),
        classes,
        "élèves",
    )
    tooltips = [f["properties"]["valeur"] for f in features["features"]]
    assert sum(t.startswith("&lt; 5 élèves · ") for t in tooltips) == 2
    table = bassin_panel.bassins_table(values, classes, "élèves", {"88": "Vosges"})
    assert list(table["Valeur"][:2]) == ["< 5 élèves", "< 5 élèves"]
    assert list(table["Valeur (nombre)"][:4]) == ["< 5", "< 5", 12.0, 30.0]
    text = exporting.to_csv_bytes(table).decode("utf-8-sig")  # the download of the table
    back = pd.read_csv(io.StringIO(text), sep=";", dtype=str)
    assert list(back["Valeur (nombre)"][:2]) == ["< 5", "< 5"] and list(back["Valeur"][:2]) == ["< 5 élèves"] * 2
    book = io.BytesIO(exporting.to_xlsx_bytes(table))
    assert list(pd.read_excel(book)["Valeur (nombre)"][:4]) == ["< 5", "< 5", 12, 30]
    assert (
        classification.format_value(2.0, "élèves", MASK) == "< 5 élèves"
        and classification.format_value(0.0, "élèves", MASK) == "0 élève"
    )
    # counts of things are never masked
    plain_table = bassin_panel.bassins_table(values, exact, "élèves", {"88": "Vosges"})
    assert list(plain_table["Valeur (nombre)"][:2]) == [2.0, 4.0]


def test_lab_popups_and_profiles_hide_small_counts_of_people():
    data = pd.DataFrame({"groupe": ["l1", "l2"], "valeur": [3.0, 40.0], "illustratif": [True, True]})
    figures = foliummap.lab_figures(
        {"labo_personnes": data, "labo_classes": data},
        {"labo_personnes": "personnes", "labo_classes": "classes"},
        labels=LAB_FIGURES,
    )
    assert figures["l1"][0][1] == "< 5" and figures["l1"][1][1] == "3"  # classes are not people
    assert figures["l2"][0][1] == "40"
    profile = pd.DataFrame(
        [
            {
                "libelle": "Personnes",
                "unite": "personnes",
                "valeur": 3.0,
                "academie": 5000.0,
                "part_pct": 0.06,
                "rang": 9,
                "nb": 10,
            },
            {
                "libelle": "Visites",
                "unite": "visites",
                "valeur": 3.0,
                "academie": 5000.0,
                "part_pct": 0.06,
                "rang": 9,
                "nb": 10,
            },
        ]
    )
    people, visits = bassin_panel.profile_rows(profile, "laboratoire")
    assert people["bassin"] == "< 5" and people["part"] == ""  # the share would tell the count
    assert people["academie"] == formatting.compact(5000.0)  # the total stays exact
    assert visits["bassin"] == "3" and visits["part"]
    assert bassin_panel.profile_rows(profile)[0]["bassin"] == "3"  # no level: exact (académie-wide use)
