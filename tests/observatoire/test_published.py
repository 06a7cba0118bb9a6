"""A version holds everything it shows (issue 21, point 2): academie.json and the GeoJSON layers are stored in
each published version (`reference_files`, `observatoire.published`) and read through the version's connection,
so a pinned version keeps the names, territories and thresholds it was published with after the reference
folder changed. A version of the previous schema (without the files) still opens and reads the folder; the next
publication migrates it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from observatoire import config, migrations, published, queries, store, versions
from observatoire.filters import Filters
from observatoire.views.carte import build_carte
from observatoire.views.context import build_context
from observatoire.views.data_sources import build_data_sources
from observatoire.views.overview import build_overview

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
BASSIN = "57-metz"
NEW_NAME = "Académie d'Essai-Renommée"
NEW_BASSIN = "Metz-Ville-Renommé"


@pytest.fixture
def data(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def _rename(data: Path) -> None:
    """The académie's name, its small-count threshold, its map centre and one bassin's name change in the folder."""
    path = data / "reference" / "academie.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["nom"], raw["seuil_petits_effectifs"] = NEW_NAME, raw["seuil_petits_effectifs"] + 3
    raw["carte"]["centre"] = [raw["carte"]["centre"][0] + 0.25, raw["carte"]["centre"][1]]
    raw["bilan"] = raw["bilan"] + " (révisé)"
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2), encoding="utf-8")
    layer = data / "reference" / "bassins.geojson"
    geo = json.loads(layer.read_text(encoding="utf-8"))
    (feature,) = [f for f in geo["features"] if f["properties"]["code"] == BASSIN]
    feature["properties"]["nom"] = NEW_BASSIN
    layer.write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")


def _bassin_name(layer: dict) -> str:
    return next(f["properties"]["nom"] for f in layer["features"] if f["properties"]["code"] == BASSIN)


def _shown(con: duckdb.DuckDBPyConnection) -> dict:
    """What a page drawn from this version says: académie, bilan, threshold, map centre, the bassin's name on the
    map layer, in the labels and on the Carte's values."""
    acad = published.academie(con)
    carte = build_carte(con, Filters(), {"indicateur": "labo_personnes"}).items.map
    return {
        "academie": acad.nom,
        "bilan": acad.bilan,
        "centre": acad.carte_centre,
        "threshold": published.policy(con).threshold,
        "layer": _bassin_name(published.geojson(con, "bassins")),
        "label": queries.dimension_labels(con, "bassin")[BASSIN],
        "carte": carte.names[BASSIN],
        "context": build_context(con, Filters()).academie,
        "total": queries.dimension_labels(con, "total"),
        "overview": build_overview(con, Filters(), {}).subtitle,
        "provenance": build_data_sources(con, Filters(), {}).items.provenance.threshold,
    }


def test_a_version_keeps_the_academie_and_layers_it_was_published_with(data, tmp_path):
    repo = versions.Repository(tmp_path / "store")
    first = repo.init(data, author="tests")
    original = {name: (data / "reference" / name).read_text(encoding="utf-8") for name in published.FILES}
    with repo.connect(first) as con:
        assert published.stored(con) == original  # the files themselves, in the version
        before = _shown(con)
    acad = config.academie()
    assert before["academie"] == acad.nom and before["context"] == acad.nom
    assert before["total"] == {acad.code: acad.nom} and before["threshold"] == 5

    _rename(data)
    second = repo.ensure(data)
    assert second is not None and second.number == 2
    assert repo.journal(second).iloc[0]["type"] == "reference"

    with repo.connect(first) as con:  # the pinned version: everything as published, the folder changed since
        assert _shown(con) == before
        assert published.stored(con) == original
    with repo.connect(second) as con:
        after = _shown(con)
    assert after["academie"] == after["context"] == NEW_NAME and after["total"] == {acad.code: NEW_NAME}
    assert after["layer"] == after["label"] == after["carte"] == NEW_BASSIN != before["layer"]
    assert after["threshold"] == after["provenance"] == before["threshold"] + 3
    assert after["centre"] == (before["centre"][0] + 0.25, before["centre"][1])
    assert after["bilan"] == before["bilan"] + " (révisé)"
    assert after["overview"].startswith(NEW_NAME) and before["overview"].startswith(acad.nom)


def _as_schema_4(path: Path, reference_hash: str | None = None) -> None:
    """`path` as the application of schema 4 wrote it: no `reference_files` table."""
    path.chmod(0o644)
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE reference_files")
    store.set_meta(con, "schema_version", "4")
    if reference_hash is not None:
        store.set_meta(con, "reference_hash", reference_hash)
    con.close()


@pytest.fixture
def old_store(tmp_path) -> versions.Repository:
    repo = versions.Repository(tmp_path / "store")
    repo.init(author="tests")
    return repo


def test_a_version_of_schema_4_opens_and_reads_the_reference_folder(old_store):
    _as_schema_4(old_store.current().path)
    with old_store.connect() as con:
        assert published.stored(con) == {} and published.missing(con) == list(published.FILES)
        assert published.academie(con) == config.academie()
        assert published.policy(con).threshold == 5
        assert published.geojson(con, "bassins") == json.loads(
            (config.REFERENCE_DIR / "bassins.geojson").read_text(encoding="utf-8")
        )
        assert build_overview(con, Filters(), {}).subtitle.startswith(config.academie().nom)
        assert build_carte(con, Filters(), {"indicateur": "labo_personnes"}).items.map.codes


def test_the_migration_stores_the_files_when_the_folder_is_the_one_published(old_store):
    _as_schema_4(old_store.current().path)
    migrated = old_store.ensure(DATA)
    assert migrated is not None
    journal = old_store.journal(migrated)
    assert list(journal[journal["version"] == migrated.number]["type"]) == ["migration"]  # no refresh needed
    with old_store.connect(migrated) as con:
        assert not migrations.pending(con) and published.missing(con) == []
        assert published.stored(con)["academie.json"] == (DATA / "reference" / "academie.json").read_text(
            encoding="utf-8"
        )
    assert old_store.ensure(DATA) is None


def test_a_version_published_from_another_folder_takes_its_files_at_the_refresh(old_store):
    _as_schema_4(old_store.current().path, reference_hash="another-folder")
    migrated = old_store.ensure(DATA)
    journal = old_store.journal(migrated)
    assert "reference" in set(journal[journal["version"] == migrated.number]["type"])
    with old_store.connect(migrated) as con:
        assert published.missing(con) == []


def test_an_academie_without_the_optional_keys_draws_every_view(data, tmp_path):
    """`nom_court`, `bilan_court`, `carte.latitude_projection` and `indicateurs` are optional: without them the
    names are derived from `nom` and `bilan`, the projection is the map centre's latitude and every role falls
    back on the catalogue (issue 22: a new académie starts with fewer keys)."""
    from observatoire.views.indicators import build_indicators
    from observatoire.views.laboratories import build_laboratories
    from observatoire.views.presentation import build_presentation, map_indicator

    path = data / "reference" / "academie.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    for key in ("nom_court", "bilan_court", "indicateurs"):
        raw.pop(key)
    raw["carte"].pop("latitude_projection")
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    repo = versions.Repository(tmp_path / "store")
    repo.init(data, author="tests")
    with repo.connect() as con:
        acad = published.academie(con)
        assert acad.short_name == "Nancy-Metz" and acad.drane == "DRANE Nancy-Metz"
        assert acad.title == "Observatoire du numérique éducatif — Nancy-Metz"
        assert acad.bilan_source == raw["bilan"] and acad.projection == raw["carte"]["centre"][0]
        first_kpi = con.execute("SELECT id FROM indicateurs ORDER BY coalesce(kpi, 99), id LIMIT 1").fetchone()[0]
        assert map_indicator(con) == first_kpi
        assert build_overview(con, Filters(), {}).items.map.indicator == first_kpi
        assert build_indicators(con, Filters(), {}).items.indicateur == queries.indicators(con)["id"].iloc[0]
        assert build_carte(con, Filters(), {}).items.map.indicator
        deck = build_presentation(con, Filters())
        assert [s.kind for s in deck.slides].count("evolution") >= 1
        lab = str(queries.laboratories(con, Filters()).data["code"].iloc[0])
        fiche = build_laboratories(con, Filters(), {"labo": lab}).items.fiche
        assert fiche is not None and fiche.activity.items.kpis  # every per-lab indicator, in catalogue order
        assert build_context(con, Filters()).drane == "DRANE Nancy-Metz"
