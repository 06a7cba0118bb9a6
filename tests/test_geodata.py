"""Tests of the committed reference geodata and of scripts/build_geodata.py (offline, no download)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from observatoire import geo
from tests.helpers import load_script

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data" / "reference"

THEMATIQUES = {
    "savoirs_fondamentaux",
    "sciences_numerique",
    "webmedias",
    "cooperations_transfrontalieres",
    "programmation_ia",
    "bien_etre_inclusion",
    "orientation_metiers",
    "bon_usage_numerique",
    "parentalite",
    "arts_patrimoine_culture",
}
NIVEAUX = {"ecole", "college", "lycee", "lycee_pro"}
BILAN_COMMUNES = {
    "Cirey-sur-Vezouze",
    "Hartzviller",
    "Moussey",
    "Montmédy",
    "Forbach",
    "Mirecourt",
    "Nancy",
    "Metz",
    "Darney",
}
LABO_COLUMNS = [
    "code",
    "nom",
    "commune",
    "code_commune",
    "departement",
    "bassin",
    "latitude",
    "longitude",
    "structure",
    "territoire",
    "thematiques",
    "niveaux",
    "ouverture",
    "source",
]


@pytest.fixture(scope="module")
def build():
    return load_script("build_geodata", "build_geodata")


@pytest.fixture(scope="module")
def bassins() -> gpd.GeoDataFrame:
    return geo.load_bassins()


@pytest.fixture(scope="module")
def departements() -> gpd.GeoDataFrame:
    return geo.load_departements()


@pytest.fixture(scope="module")
def labos() -> pd.DataFrame:
    return geo.load_laboratoires()


# ---------------------------------------------------------------------------------------------- bassins


def test_bassins_features(bassins):
    assert len(bassins) == 17
    assert bassins["code"].is_unique
    for column in ("code", "nom", "departement", "siege", "population"):
        assert column in bassins.columns
        assert bassins[column].notna().all()
    assert (bassins["population"] > 0).all()
    assert set(bassins["departement"]) == {"54", "55", "57", "88"}
    assert all(code.startswith(dep + "-") for code, dep in zip(bassins["code"], bassins["departement"]))
    assert bassins.crs.to_epsg() == 4326


def test_bassins_file_size():
    assert (REF / "bassins.geojson").stat().st_size <= 60 * 1024


def test_bassins_coverage_valid(bassins, departements):
    assert shapely.coverage_is_valid(bassins.geometry.values)
    assert shapely.coverage_is_valid(departements.geometry.values)
    assert bassins.geometry.is_valid.all()


def test_bassins_within_departements(bassins, departements):
    b93 = bassins.to_crs(2154)
    deps = departements.to_crs(2154).set_index("code").geometry
    for code, dep, geom in zip(b93["code"], b93["departement"], b93.geometry):
        outside = geom.difference(deps[dep]).area
        assert outside < 1e-4 * geom.area, code


def test_union_areas_match(bassins, departements):
    union_b = shapely.union_all(bassins.to_crs(2154).geometry.values)
    union_d = shapely.union_all(departements.to_crs(2154).geometry.values)
    assert union_b.symmetric_difference(union_d).area / union_d.area < 0.005


def _iter_rings(geometry: dict):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        yield from ((i == 0, ring) for i, ring in enumerate(polygon))


@pytest.mark.parametrize("name", ["bassins", "departements"])
def test_geojson_rfc7946(name):
    doc = geo.geojson_dict(name)
    assert doc["type"] == "FeatureCollection"
    for feature in doc["features"]:
        for exterior, ring in _iter_rings(feature["geometry"]):
            assert ring[0] == ring[-1]
            for x, y in ring:
                assert round(x, 5) == x and round(y, 5) == y
            ccw = shapely.LinearRing(ring).is_ccw
            assert ccw if exterior else not ccw
    text = (REF / f"{name}.geojson").read_text(encoding="utf-8")
    assert not re.search(r"\d\.\d{6,}", text)


def test_departements(departements):
    assert sorted(departements["code"]) == ["54", "55", "57", "88"]
    assert dict(zip(departements["code"], departements["nom"]))["57"] == "Moselle"


# ---------------------------------------------------------------------------------------------- communes


def test_communes_bassins(bassins):
    df = pd.read_csv(REF / "communes_bassins.csv", sep=";", dtype=str)
    assert list(df.columns) == [
        "code_commune",
        "nom_commune",
        "departement",
        "bassin",
        "population",
        "methode",
    ]
    assert len(df) == 2321
    assert df["code_commune"].is_unique
    assert df["code_commune"].is_monotonic_increasing
    assert set(df["bassin"]) <= set(bassins["code"])
    assert (df["bassin"].str[:2] == df["departement"]).all()
    assert (df["code_commune"].str[:2] == df["departement"]).all()
    assert set(df["methode"]) <= {"siege_le_plus_proche", "annuaire", "fichier"}
    totals = df.assign(population=df["population"].astype(int)).groupby("bassin")["population"].sum()
    assert totals.to_dict() == dict(zip(bassins["code"], bassins["population"]))


# ---------------------------------------------------------------------------------------------- labs


def test_laboratoires_table(labos):
    assert list(labos.columns) == LABO_COLUMNS
    assert len(labos) == 16
    assert labos["code"].is_unique
    assert labos["bassin"].nunique() == 11
    assert (labos["code_commune"].str.len() == 5).all()
    assert set(labos["structure"]) <= {"établissement", "association", "collectivité"}
    assert set(labos["territoire"]) <= {"QPV", "TER", "autre"}
    assert labos["ouverture"].between(2019, 2024).all()
    for value in labos["thematiques"]:
        assert set(value.split("|")) <= THEMATIQUES
    for value in labos["niveaux"]:
        assert set(value.split("|")) <= NIVEAUX


def test_laboratoires_geometry(labos, bassins):
    dep_of = dict(zip(bassins["code"], bassins["departement"]))
    for row in labos.itertuples():
        assert geo.bassin_at(row.longitude, row.latitude) == row.bassin, row.code
        assert dep_of[row.bassin] == row.departement == row.code_commune[:2]


def test_laboratoires_sources(labos):
    assert set(labos["commune"]) >= BILAN_COMMUNES
    bilan = labos["commune"].isin(BILAN_COMMUNES)
    assert labos.loc[bilan, "source"].str.startswith("Bilan DRANE 2023-2024").all()
    assert (labos.loc[~bilan, "source"] == "illustratif").all()
    assert (~bilan).sum() == 7
    moussey = labos.set_index("commune").loc["Moussey"]
    assert moussey["code_commune"] == "88317" and "88317" in moussey["source"]
    assert "La Fabrique des Possibles" in set(labos["nom"])


def test_bassin_at_outside():
    assert geo.bassin_at(2.35, 48.85) is None  # Paris


def test_geojson_dict_unknown_layer():
    with pytest.raises(ValueError):
        geo.geojson_dict("communes")


# ---------------------------------------------------------------------------------------------- build script


@pytest.fixture()
def synthetic(build):
    """Four 10 km squares in a row: two communes in 54, two in 55; one seat per bassin."""
    codes = ["54001", "54002", "55001", "55002"]
    communes = gpd.GeoDataFrame(
        {
            "code_commune": codes,
            "nom_commune": ["A", "B", "C", "D"],
            "departement": [c[:2] for c in codes],
            "population": [10, 20, 30, 40],
        },
        geometry=[shapely.box(i * 10_000, 0, (i + 1) * 10_000, 10_000) for i in range(4)],
        crs="EPSG:2154",
    )
    sieges = pd.DataFrame(
        {
            "code": ["54-a", "54-b", "55-c"],
            "nom": ["A", "B", "C"],
            "departement": ["54", "54", "55"],
            "siege": ["54001", "54002", "55002"],
        }
    )
    return communes, sieges


def test_parse_communes_bassins(build, tmp_path, synthetic):
    _, sieges = synthetic
    path = tmp_path / "cb.csv"
    path.write_text("code_commune,bassin\n54001,54-b\n5400,54-a\n", encoding="utf-8")
    assert build.parse_communes_bassins(path, set(sieges["code"])) == {"54001": "54-b", "05400": "54-a"}
    path.write_text("code_commune;bassin\n54001;54-b\n", encoding="utf-8")
    assert build.parse_communes_bassins(path, set(sieges["code"])) == {"54001": "54-b"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("code_commune;bassin\n54001;54-z\n", "bassin inconnu"),
        ("commune;bassin\n54001;54-a\n", "colonne « code_commune » absente"),
        ("code_commune;bassin\n54001;54-a\n54001;54-b\n", "deux bassins"),
        ("code_commune;bassin\nxyz;54-a\n", "code commune invalide"),
        ("", "fichier vide"),
    ],
)
def test_parse_communes_bassins_errors(build, tmp_path, synthetic, content, message):
    _, sieges = synthetic
    path = tmp_path / "cb.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(build.GeoDataError, match=message):
        build.parse_communes_bassins(path, set(sieges["code"]))


def test_assign_bassins(build, synthetic):
    communes, sieges = synthetic
    nearest = build.assign_bassins(communes, sieges)
    assert list(nearest["bassin"]) == ["54-a", "54-b", "55-c", "55-c"]
    assert set(nearest["methode"]) == {"siege_le_plus_proche"}
    mapped = build.assign_bassins(communes, sieges, {"54001": "54-b"}, "fichier")
    assert list(mapped["bassin"]) == ["54-b", "54-b", "55-c", "55-c"]
    assert list(mapped["methode"]) == [
        "fichier",
        "siege_le_plus_proche",
        "siege_le_plus_proche",
        "siege_le_plus_proche",
    ]
    with pytest.raises(build.GeoDataError, match="autre département"):
        build.assign_bassins(communes, sieges, {"55001": "54-a"}, "fichier")


def test_parse_annuaire_majority(build, tmp_path, synthetic):
    _, sieges = synthetic
    path = tmp_path / "annuaire.csv"
    path.write_text(
        "identifiant,code_commune,code_bassin_formation,libelle_bassin_formation\n"
        "1,54001,16101,BASSIN DE A\n2,54001,16102,Bassin de B\n3,54001,16102,B\n4,75056,99999,Paris\n",
        encoding="utf-8",
    )
    assert build.parse_annuaire(path, sieges) == {"54001": "54-b"}
    path.write_text(
        "code_commune;code_bassin_formation;libelle_bassin_formation\n54001;1;Inconnu\n", encoding="utf-8"
    )
    with pytest.raises(build.GeoDataError, match="Inconnu"):
        build.parse_annuaire(path, sieges)


def test_build_layers_synthetic(build, synthetic):
    communes, sieges = synthetic
    communes = communes.join(build.assign_bassins(communes, sieges))
    bassins, departements = build.build_layers(communes, sieges, tolerance=500.0)
    assert list(bassins["code"]) == ["54-a", "54-b", "55-c"]
    assert list(bassins["population"]) == [10, 20, 70]
    assert list(departements["code"]) == ["54", "55"]
    doc = json.loads(build.geojson_bytes(bassins, ["code", "population"]))
    assert doc["features"][2]["properties"] == {"code": "55-c", "population": 70}
