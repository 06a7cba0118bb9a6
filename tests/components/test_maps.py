"""Carte builders: classes, French legend, palette, the folium map (sovereignty, content, size), clicks, tables.

Expected values come from the store's queries (demo database) or from the reference files, never from what the
builders printed.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest

from components import maps, offline
from observatoire import exporting, geo, queries, store
from observatoire.figures import classification, formatting
from observatoire.filters import Filters

NBSP = formatting.NBSP
YEAR = "2023-2024"


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def con(demo_db: Path):
    connection = store.connect(demo_db, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def geojsons() -> tuple[dict, dict]:
    return geo.geojson_dict("bassins"), geo.geojson_dict("departements")


@pytest.fixture(scope="module")
def labels(con) -> dict:
    return queries.labels(con)


def _map(con, geojsons, labels, filters: Filters | None = None, basemap: str = "aucun",
         indicator: str = "labo_personnes", method: str = "quantiles", k: int = 5,
         values: pd.DataFrame | None = None) -> tuple[folium.Map, pd.DataFrame, classification.Classes, pd.DataFrame]:
    filters = filters or Filters()
    res = queries.values_by_bassin(con, indicator, YEAR, filters)
    data = res.data if values is None else values
    labs = queries.laboratories(con, filters).data
    figures = maps.lab_figures({
        i: queries.series(con, i, maps.lab_figure_filters(filters), by="laboratoire", annual=True,
                          periods=(YEAR, YEAR)).data
        for i in maps.LAB_FIGURES
    })
    meta = queries.indicator(con, indicator)
    classes = classification.classify(data["valeur"], method, k)
    m = maps.build_map(
        geojsons[0], geojsons[1], data, classes, labs, indicator_label=meta["libelle"], unit=meta["unite"],
        annee=YEAR, basemap=basemap, departements=filters.departements, chosen_bassins=filters.bassins,
        theme_labels=labels["thematique"], niveau_labels=labels["niveau"], figures=figures,
    )
    return m, data, classes, labs


def _layers(m: folium.Map, name: str) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name]


def _markers(m: folium.Map) -> list[folium.Marker]:
    return [c for c in m._children.values() if isinstance(c, folium.Marker)]


def _hosts(urls: list[str]) -> set[str]:
    return {re.sub(r"^https?://([^/?#]+).*$", r"\1", u) for u in urls}


# ------------------------------------------------------------------------------------------ classification


def _check_bins(values: list[float], classes: classification.Classes) -> None:
    """Each value lies in its class: breaks[i-1] < v <= breaks[i]; NaN has no class."""
    assert len(classes.bins) == len(values)
    for v, b in zip(values, classes.bins):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            assert b is None
            continue
        assert b is not None
        assert v <= classes.breaks[b] + 1e-9
        if b > 0:
            assert v > classes.breaks[b - 1]


@pytest.mark.parametrize("method", list(classification.METHODS))
@pytest.mark.parametrize("k", [3, 4, 5, 6, 7])
def test_classify_puts_every_value_in_its_class(method, k):
    rng = np.random.default_rng(7)
    values = [float(v) for v in rng.integers(0, 10_000, size=17)]
    classes = classification.classify(values, method, k)
    assert 1 <= classes.k <= k
    assert list(classes.breaks) == sorted(classes.breaks)
    assert classes.breaks[-1] == max(values)
    assert classes.lowers[0] == min(values)
    assert len(classes.colors) == classes.k
    _check_bins(values, classes)
    assert sum(classes.counts) == len(values)


def test_quantiles_split_the_values_evenly():
    values = [float(v) for v in range(1, 21)]  # 20 distinct values, 5 classes → 4 per class
    classes = classification.classify(values, "quantiles", 5)
    assert classes.counts == (4, 4, 4, 4, 4)


def test_equal_intervals_have_equal_widths_and_keep_empty_classes():
    values = [0.0, 1.0, 2.0, 3.0, 100.0]
    classes = classification.classify(values, "intervalles", 4)
    assert classes.breaks == (25.0, 50.0, 75.0, 100.0)
    assert classes.counts == (4, 0, 0, 1)


def test_jenks_separates_obvious_groups_and_is_deterministic():
    values = [1.0, 2.0, 3.0, 50.0, 51.0, 52.0, 1000.0, 1001.0]
    first = classification.classify(values, "jenks", 3)
    assert first.bins == (0, 0, 0, 1, 1, 1, 2, 2)
    assert all(classification.classify(values, "jenks", 3) == first for _ in range(5))


def test_missing_values_are_pas_de_donnee():
    values = [10.0, float("nan"), None, 30.0, 20.0, pd.NA]
    classes = classification.classify(values, "quantiles", 5)
    assert classes.bins[1] is None and classes.bins[2] is None and classes.bins[5] is None
    assert classes.has_missing
    items = classification.legend_items(classes, "visites")
    assert items[-1] == (classification.NO_DATA_COLOR, "pas de donnée")
    _check_bins([10.0, math.nan, math.nan, 30.0, 20.0, math.nan], classes)


def test_fewer_distinct_values_than_classes_give_one_class_per_value():
    classes = classification.classify([5.0, 5.0, 7.0, 5.0, 9.0], "quantiles", 5)
    assert classes.k == 3
    assert classes.bins == (0, 0, 1, 0, 2)
    assert [label for _, label in classification.legend_items(classes, "webradios")] == [
        "5 webradios", "7 webradios", "9 webradios"]
    single = classification.classify([4.0, 4.0, 4.0], "jenks", 5)
    assert single.k == 1 and single.bins == (0, 0, 0)


def test_all_missing_values_are_handled():
    classes = classification.classify([float("nan"), None], "jenks", 5)
    assert classes.k == 0 and classes.bins == (None, None)
    assert classification.legend_items(classes, "visites") == [(classification.NO_DATA_COLOR, "pas de donnée")]
    assert classification.classify([], "quantiles", 5).k == 0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        classification.classify([1.0, 2.0], "kmeans", 3)


# --------------------------------------------------------------------------------------------------- legend


def test_legend_labels_are_french_and_whole_number_classes_do_not_overlap():
    classes = classification.classify([0.0, 12_500.0, 25_000.0, 37_500.0, 50_000.0], "intervalles", 2)
    labels = [label for _, label in classification.legend_items(classes, "visites")]
    assert labels == [f"de 0 à 25{NBSP}000 visites", f"de 25{NBSP}001 à 50{NBSP}000 visites"]


def test_legend_labels_of_decimal_values_and_percentages():
    classes = classification.classify([41.5, 55.25, 60.0, 72.75, 80.5, 90.0], "intervalles", 3)
    labels = classification.class_labels(classes, "%")
    assert labels[0].startswith(f"de 41,5{NBSP}% à ")
    assert labels[-1].endswith(f"90,0{NBSP}%") or labels[-1].endswith(f"90{NBSP}%")
    assert all("." not in label for label in labels)  # decimal comma


def test_legend_bounds_are_distinct_after_rounding():
    classes = classification.classify([100.01, 100.02, 100.03, 100.04, 100.05, 100.06], "quantiles", 3)
    labels = classification.class_labels(classes, "heures")
    shown = {b for label in labels for b in re.findall(r"[\d\u202f]+,\d+", label)}
    assert len(shown) == len(set(classes.lowers) | set(classes.uppers)) == 4, labels  # 2 decimals needed


# ---------------------------------------------------------------------------------------------------- palette


def _luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _deuteranope(hex_color: str) -> tuple[float, float, float]:
    """Machado et al. (2009) deuteranopia simulation, severity 1, in linear RGB."""
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    matrix = [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    return tuple(sum(m * c for m, c in zip(row, lin)) for row in matrix)  # type: ignore[return-value]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7])
def test_palette_is_sequential_for_everyone(k):
    colors = classification.palette(k)
    assert len(colors) == k and len(set(colors)) == k
    lum = [_luminance(c) for c in colors]
    assert lum == sorted(lum, reverse=True), "light → dark"
    # the order survives deuteranopia (simulated): lightness still strictly decreases
    sim = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in (_deuteranope(c) for c in colors)]
    assert all(a > b for a, b in zip(sim, sim[1:]))
    if k > 1:
        assert min(a - b for a, b in zip(lum, lum[1:])) > 0.03  # adjacent classes stay apart


def test_no_data_colour_and_markers_are_outside_the_palette():
    every = {c for k in range(1, 8) for c in classification.palette(k)}
    assert classification.NO_DATA_COLOR not in every
    assert not {c for _, c in classification.THEME_STYLE.values()} & {"blue", "lightblue", "green", "lightgreen"}


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
        assert feature["properties"]["valeur"].startswith(classification.format_value(data["valeur"].iloc[i], "personnes"))


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
    people = queries.series(con, "labo_personnes", Filters(), by="laboratoire", annual=True,
                            periods=(YEAR, YEAR)).data
    value = people.loc[people["groupe"] == "lab-metz", "valeur"].iloc[0]
    popup = maps.lab_popup_html(lab, labels["thematique"], labels["niveau"],
                                [("Personnes concernées", formatting.number(value), True)], YEAR)
    assert lab["nom"] in popup and lab["commune"] in popup and lab["bassin_nom"] in popup
    for code in lab["thematiques"].split("|"):
        assert labels["thematique"][code] in popup
    for code in lab["niveaux"].split("|"):
        assert labels["niveau"][code] in popup
    assert formatting.number(value) in popup
    assert "Source : " in popup
    assert lab["nom"] in html and "Source : " in html
    assert formatting.number(value) in html  # the popup of the rendered map has the key figure


def test_popup_escapes_text():
    lab = {"nom": "<b>Labo</b> & co", "commune": "X", "bassin_nom": "Y", "thematiques": "a", "niveaux": "b",
           "source": "illustratif"}
    popup = maps.lab_popup_html(lab, {}, {}, [], YEAR)
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
        assert html.count(json.dumps(labels["thematique"][theme])[1:-1]) >= 1


def test_departement_filter_keeps_only_its_bassins(con, geojsons, labels):
    filters = Filters(departements=("57",))
    m, data, _, labs = _map(con, geojsons, labels, filters=filters)
    (bassins,) = _layers(m, "Bassins")
    codes = sorted(f["properties"]["code"] for f in bassins.data["features"])
    expected = sorted(f["properties"]["code"] for f in geojsons[0]["features"]
                      if str(f["properties"]["departement"]) == "57")
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
    assert style["color"] == maps.CHOSEN_LINE and style["fill"] is False
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
    assert bassins.style_function(verdun)["fillColor"] == f"url(#{maps.HATCH_ID})"
    assert verdun["properties"]["valeur"] == "pas de donnée"
    html = m.get_root().render()
    assert f'id="{maps.HATCH_ID}"' in html and json.dumps("pas de donnée")[1:-1] in html


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
    assert maps.clicked_bassin(value, ["57-metz", "54-nancy"]) == "57-metz"
    assert maps.clicked_bassin(value, ["54-nancy"]) is None  # not drawn (département filter)


def test_click_on_a_lab_selects_the_bassin_under_it_not_a_stale_feature():
    lab = geo.load_laboratoires().set_index("code").loc["lab-forbach"]
    value = {"last_object_clicked": {"lat": float(lab.latitude), "lng": float(lab.longitude)},
             "last_active_drawing": _feature("57-metz")}  # previously clicked bassin
    allowed = [f["properties"]["code"] for f in geo.geojson_dict("bassins")["features"]]
    assert maps.clicked_bassin(value, allowed) == lab.bassin == "57-forbach"


def test_no_click_means_no_selection():
    assert maps.clicked_bassin(None, ["57-metz"]) is None
    assert maps.clicked_bassin({"last_object_clicked": None, "last_active_drawing": None}, ["57-metz"]) is None
    assert maps.clicked_bassin({"last_object_clicked": {"lat": 0.0, "lng": 0.0}}, ["57-metz"]) is None


# ---------------------------------------------------------------------------------------------------- tables


def test_bassins_table_is_the_text_alternative(con):
    data = queries.values_by_bassin(con, "ent_visites", YEAR, Filters()).data
    classes = classification.classify(data["valeur"], "jenks", 4)
    table = maps.bassins_table(data, classes, "visites", queries.labels(con)["departement"])
    assert list(table["Bassin"]) == list(data["nom"])
    assert list(table["Valeur (nombre)"]) == list(data["valeur"])
    assert list(table["Valeur"]) == [formatting.with_unit(v, "visites") for v in data["valeur"]]
    assert list(table["Rang"]) == [formatting.rank_label(int(r), len(data)) for r in data["rang"]]
    labels = classification.class_labels(classes, "visites")
    assert list(table["Classe"]) == [labels[b] for b in classes.bins]


def test_profile_rows_format_the_store_values(con):
    profile = queries.bassin_profile(con, "54-nancy", YEAR, Filters())
    rows = maps.profile_rows(profile)
    assert [r["indicateur"] for r in rows] == list(profile["libelle"])
    for r, p in zip(rows, profile.to_dict("records")):
        assert r["bassin"] == formatting.number(p["valeur"])
        assert r["academie"] == formatting.compact(p["academie"])
        assert r["rang"] == formatting.rank_label(p["rang"], p["nb"])
        assert r["part"] == ("" if p["part_pct"] is None or pd.isna(p["part_pct"])
                             else formatting.percent(p["part_pct"]))
    text = maps.profile_markdown(profile)
    assert all(r["bassin"] in text for r in rows)


def test_map_indicators_exclude_monthly_ones(con):
    catalogue = queries.indicators(con)
    options = maps.map_indicators(catalogue)
    monthly = set(catalogue.loc[catalogue["granularite"] == "mensuelle", "id"])
    assert monthly and not monthly & set(options)
    assert set(options) | monthly == set(catalogue["id"])
    assert maps.default_indicator(options) == "labo_personnes"


# ------------------------------------------------------------------------------------------- small counts

MASK = maps.small_counts.Policy(5, frozenset({"élèves"}))


def _small_values() -> pd.DataFrame:
    return pd.DataFrame({"code": ["a", "b", "c", "d", "e"], "nom": ["A", "B", "C", "D", "E"],
                         "departement": ["88"] * 5, "valeur": [2.0, 4.0, 12.0, 30.0, float("nan")],
                         "rang": pd.array([4, 3, 2, 1, None], dtype="Int64")})


def test_small_counts_read_less_than_5_in_every_text_of_the_map_colours_stay_exact():
    values = _small_values()
    exact = classification.classify(values["valeur"], "quantiles", 4)
    classes = classification.classify(values["valeur"], "quantiles", 4, mask=MASK)
    assert classes.bins == exact.bins and classes.colors == exact.colors  # colours from the exact values
    labels = classification.class_labels(classes, "élèves")
    assert labels[:2] == ["< 5 élèves", "< 5 élèves"]
    assert not any(re.search(r"(?<![\d ])[234](?! ?\d)", label) for label in labels), labels
    wide = classification.class_labels(classification.classify([3.0, 12.0, 30.0, 40.0], "intervalles", 2, mask=MASK), "élèves")
    assert wide[0].startswith("de 1 à ")  # a small lower bound reads 1 (the smallest masked count)
    features = maps.bassin_features(geo.geojson_dict("bassins"), values.assign(
        code=[f["properties"]["code"] for f in geo.geojson_dict("bassins")["features"][:5]]), classes, "élèves")
    tooltips = [f["properties"]["valeur"] for f in features["features"]]
    assert sum(t.startswith("&lt; 5 élèves · ") for t in tooltips) == 2
    table = maps.bassins_table(values, classes, "élèves", {"88": "Vosges"})
    assert list(table["Valeur"][:2]) == ["< 5 élèves", "< 5 élèves"]
    assert list(table["Valeur (nombre)"][:4]) == ["< 5", "< 5", 12.0, 30.0]
    text = exporting.to_csv_bytes(table).decode("utf-8-sig")  # the download of the table
    back = pd.read_csv(io.StringIO(text), sep=";", dtype=str)
    assert list(back["Valeur (nombre)"][:2]) == ["< 5", "< 5"] and list(back["Valeur"][:2]) == ["< 5 élèves"] * 2
    book = io.BytesIO(exporting.to_xlsx_bytes(table))
    assert list(pd.read_excel(book)["Valeur (nombre)"][:4]) == ["< 5", "< 5", 12, 30]
    assert classification.format_value(2.0, "élèves", MASK) == "< 5 élèves" and classification.format_value(0.0, "élèves", MASK) \
        == "0 élève"
    # counts of things are never masked
    plain_table = maps.bassins_table(values, exact, "élèves", {"88": "Vosges"})
    assert list(plain_table["Valeur (nombre)"][:2]) == [2.0, 4.0]


def test_lab_popups_and_profiles_hide_small_counts_of_people():
    data = pd.DataFrame({"groupe": ["l1", "l2"], "valeur": [3.0, 40.0], "illustratif": [True, True]})
    figures = maps.lab_figures({"labo_personnes": data, "labo_classes": data},
                               {"labo_personnes": "personnes", "labo_classes": "classes"})
    assert figures["l1"][0][1] == "< 5" and figures["l1"][1][1] == "3"  # classes are not people
    assert figures["l2"][0][1] == "40"
    profile = pd.DataFrame([{"libelle": "Personnes", "unite": "personnes", "valeur": 3.0, "academie": 5000.0,
                             "part_pct": 0.06, "rang": 9, "nb": 10},
                            {"libelle": "Visites", "unite": "visites", "valeur": 3.0, "academie": 5000.0,
                             "part_pct": 0.06, "rang": 9, "nb": 10}])
    people, visits = maps.profile_rows(profile, "laboratoire")
    assert people["bassin"] == "< 5" and people["part"] == ""  # the share would tell the count
    assert people["academie"] == formatting.compact(5000.0)  # the total stays exact
    assert visits["bassin"] == "3" and visits["part"]
    assert maps.profile_rows(profile)[0]["bassin"] == "3"  # no level: exact (académie-wide use)
