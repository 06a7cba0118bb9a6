"""DuckDB store: build, read-only connections, ensure (refresh without losing lots), lots and undo."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import config, queries, schema, store
from observatoire.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]


@pytest.fixture
def db(built_db, tmp_path) -> Path:
    """A private copy of the module's database (tests here write to it)."""
    path = tmp_path / "copie.duckdb"
    shutil.copyfile(built_db, path)
    return path


def _scalar(path: Path, sql: str, params: dict | None = None):
    with store.connect(path) as con:
        return con.execute(sql, params or {}).fetchone()[0]


def _active_value(path: Path, **key: str) -> tuple[float, int]:
    where = " AND ".join(f"{k} = ${k}" for k in key)
    with store.connect(path) as con:
        rows = con.execute(f"SELECT valeur, lot_id FROM mesures_actives WHERE {where}", key).fetchall()
    assert len(rows) == 1, rows
    return float(rows[0][0]), int(rows[0][1])


ENT_KEY = {"indicateur": "ent_visites", "periode": "2023-2024", "territoire_type": "academie",
           "territoire_code": "nancy-metz", "niveau": "tous", "thematique": "tous", "public": "tous"}


def _lot_frame(valeur: str = "70000000", **changes: str) -> pd.DataFrame:
    row = {**ENT_KEY, "valeur": valeur, "origine": "import", "source": "Import de test"}
    row.update(changes)
    return pd.DataFrame([row], columns=schema.MEASURE_COLUMNS)


# ---------------------------------------------------------------------------------------------- build


def test_build_creates_one_active_demo_lot(built_db, raw_measures):
    with store.connect(built_db) as con:
        lots = store.lots(con)
        version = store.data_version(con)
        n_mesures = con.execute("SELECT count(*) FROM mesures").fetchone()[0]
        n_active = con.execute("SELECT count(*) FROM mesures_actives").fetchone()[0]
        n_illustrative = con.execute("SELECT count(*) FROM mesures WHERE origine = 'illustratif'").fetchone()[0]
    assert len(lots) == 1
    lot = lots.iloc[0]
    assert lot["origine"] == "demo" and bool(lot["actif"])
    assert int(lot["nb_lignes"]) == len(raw_measures)
    assert n_mesures == n_active == len(raw_measures)
    assert n_illustrative == int((raw_measures["origine"] == "illustratif").sum())
    assert version.lots_actifs == 1
    assert version.mesures == len(raw_measures)
    assert len(version.empreinte) == 12 and all(c in "0123456789abcdef" for c in version.empreinte)
    assert version.empreinte in version.label and "(heure de Paris)" in version.label


def test_build_returns_the_stored_version(tmp_path):
    path = tmp_path / "x" / "t.duckdb"
    version = store.build(path)
    assert path.exists()
    assert not Path(str(path) + ".tmp").exists()
    with store.connect(path) as con:
        assert store.data_version(con) == version


def test_reference_tables_are_loaded(built_db, labs_csv, bassin_departement, academie_json):
    with store.connect(built_db) as con:
        assert con.execute("SELECT count(*) FROM laboratoires").fetchone()[0] == len(labs_csv)
        bassins = dict(con.execute("SELECT code, departement FROM bassins").fetchall())
        deps = {r[0] for r in con.execute("SELECT code FROM departements").fetchall()}
        territories = con.execute("SELECT type, count(*) FROM territoires GROUP BY type").fetchall()
    assert bassins == bassin_departement
    assert deps == {d["code"] for d in academie_json["departements"]}
    assert dict(territories) == {"academie": 1, "departement": len(deps), "bassin": len(bassins),
                                 "laboratoire": len(labs_csv)}


def test_stored_values_equal_the_csv(built_db, raw_measures):
    with store.connect(built_db) as con:
        stored = con.execute(f"SELECT {', '.join(KEY)}, valeur, origine, source FROM mesures_actives").df()
    merged = raw_measures.merge(stored, on=KEY, how="outer", suffixes=("_csv", "_db"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["valeur_csv"] == merged["valeur_db"]).all()
    assert (merged["source_csv"] == merged["source_db"]).all()
    assert (merged["origine_csv"] == merged["origine_db"]).all()


def test_connect_is_read_only(built_db):
    with store.connect(built_db) as con, pytest.raises(duckdb.Error):
        con.execute("INSERT INTO meta VALUES ('x', 'y')")
    with store.connect(built_db) as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM mesures")
    assert _scalar(built_db, "SELECT count(*) FROM meta WHERE key = 'x'") == 0


def test_connect_missing_database_is_explained_in_french(tmp_path):
    with pytest.raises(store.StoreError, match="introuvable"):
        store.connect(tmp_path / "absente.duckdb")
    assert not (tmp_path / "absente.duckdb").exists()


# --------------------------------------------------------------------------------------------- ensure


def test_ensure_builds_a_missing_database(tmp_path, raw_measures):
    path = tmp_path / "nouvelle" / "t.duckdb"
    assert store.ensure(path) == path
    with store.connect(path) as con:
        assert store.data_version(con).mesures == len(raw_measures)


def test_ensure_does_not_rebuild_an_unchanged_database(db):
    with store.connect(db) as con:
        before = (store.data_version(con), store.lots(con))
    mtime = db.stat().st_mtime_ns
    assert store.ensure(db) == db
    with store.connect(db) as con:
        after = (store.data_version(con), store.lots(con))
    assert after[0] == before[0]  # same hash and same data_date
    pd.testing.assert_frame_equal(after[1], before[1])
    assert db.stat().st_mtime_ns == mtime


def test_ensure_refreshes_reference_and_keeps_lots(db, tmp_path):
    lot = store.add_lot(db, _lot_frame(), "import", "Import de test")
    ref = tmp_path / "reference"
    shutil.copytree(config.REFERENCE_DIR, ref)
    path = ref / "thematiques.csv"
    text = path.read_text(encoding="utf-8")
    assert "ent;ENT;" in text
    path.write_text(text.replace("ent;ENT;", "ent;Espace numérique de travail;"), encoding="utf-8")
    with store.connect(db) as con:
        hash_before = store.data_version(con).empreinte
    store.ensure(db, reference_dir=ref)
    with store.connect(db) as con:
        label = con.execute("SELECT libelle FROM thematiques WHERE code = 'ent'").fetchone()[0]
        lots = store.lots(con)
        ref_hash = con.execute("SELECT value FROM meta WHERE key = 'reference_hash'").fetchone()[0]
        version = store.data_version(con)
        assert queries.labels(con).thematiques["ent"] == "Espace numérique de travail"
    assert label == "Espace numérique de travail"
    assert ref_hash == store.reference_hash(ref)
    assert version.empreinte != hash_before  # the data version follows the reference data
    assert list(lots["lot_id"]) == [1, lot]
    assert lots["actif"].all()
    assert _active_value(db, **ENT_KEY) == (70_000_000.0, lot)
    # a second ensure with the same reference directory changes nothing
    store.ensure(db, reference_dir=ref)
    with store.connect(db) as con:
        assert store.data_version(con) == version


def test_ensure_replaces_a_changed_demo_file_and_keeps_other_lots(db, tmp_path, raw_measures):
    lot = store.add_lot(db, _lot_frame(), "import", "Import de test")
    demo = tmp_path / "mesures.csv"
    lines = (ROOT / "data" / "demo" / "mesures.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    # change the value of the webradios 2023-2024 académie row
    for i, line in enumerate(lines[1:], start=1):
        cells = dict(zip(header, line.split(";")))
        if (cells["indicateur"], cells["periode"], cells["territoire_type"], cells["niveau"],
                cells["thematique"], cells["public"]) == ("webradios", "2023-2024", "academie", "tous", "tous",
                                                          "tous"):
            cells["valeur"] = "78"
            lines[i] = ";".join(cells[c] for c in header)
            break
    else:
        pytest.fail("webradios 2023-2024 row not found")
    demo.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store.ensure(db, measures_file=demo)
    with store.connect(db) as con:
        lots = store.lots(con)
    assert len(lots) == 2
    # the demo lot keeps its id, so a later import still wins over the refreshed demo data
    assert list(lots["origine"]) == ["demo", "import"]
    assert int(lots.loc[lots["origine"] == "demo", "lot_id"].iloc[0]) < lot
    assert int(lots.loc[lots["origine"] == "demo", "nb_lignes"].iloc[0]) == len(raw_measures)
    value, _ = _active_value(db, indicateur="webradios", periode="2023-2024", territoire_type="academie",
                             territoire_code="nancy-metz", niveau="tous", thematique="tous", public="tous")
    assert value == 78
    assert lot in set(lots["lot_id"])


# ----------------------------------------------------------------------------------------------- lots


def test_later_lot_overrides_and_undo_restores(db):
    assert _active_value(db, **ENT_KEY) == (64_500_000.0, 1)
    lot = store.add_lot(db, _lot_frame("70000000"), "import", "Import de test")
    assert lot == 2
    assert _active_value(db, **ENT_KEY) == (70_000_000.0, lot)
    with store.connect(db) as con:
        total = queries.series(con, "ent_visites", Filters(), annual=True, periods=("2023-2024", "2023-2024"))
        assert float(total.data["valeur"].iloc[0]) == 70_000_000
        assert "Import de test" in total.sources
        version_with_lot = store.data_version(con)
    assert version_with_lot.lots_actifs == 2
    store.set_lot_active(db, lot, False)
    assert _active_value(db, **ENT_KEY) == (64_500_000.0, 1)
    with store.connect(db) as con:
        assert store.data_version(con).lots_actifs == 1
        assert store.data_version(con).empreinte != version_with_lot.empreinte
    store.set_lot_active(db, lot, True)
    assert _active_value(db, **ENT_KEY) == (70_000_000.0, lot)


def test_new_keys_in_a_lot_are_added(db, raw_measures):
    frame = _lot_frame("12", indicateur="webradios", periode="2024-2025")
    store.add_lot(db, frame, "import", "Année suivante")
    assert _active_value(db, **{**ENT_KEY, "indicateur": "webradios", "periode": "2024-2025"})[0] == 12
    with store.connect(db) as con:
        assert store.data_version(con).mesures == len(raw_measures) + 1
        assert "2024-2025" in queries.school_years(con)


def test_invalid_lot_writes_nothing(db):
    with store.connect(db) as con:
        before = (store.lots(con), con.execute("SELECT count(*) FROM mesures").fetchone()[0],
                  store.data_version(con))
    bad = pd.concat([_lot_frame("1"), _lot_frame("2", public="eleves", niveau="maternelle")], ignore_index=True)
    with pytest.raises(schema.ValidationError) as info:
        store.add_lot(db, bad, "import", "Import invalide")
    assert [(p.line, p.column) for p in info.value.problems] == [(3, "niveau")]
    with pytest.raises(schema.ValidationError):
        store.add_lot(db, _lot_frame("beaucoup"), "import", "Import invalide")
    with store.connect(db) as con:
        after = (store.lots(con), con.execute("SELECT count(*) FROM mesures").fetchone()[0],
                 store.data_version(con))
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1:] == before[1:]


def test_set_unknown_lot_raises_french_error(db):
    with pytest.raises(store.StoreError, match="introuvable"):
        store.set_lot_active(db, 999, False)


# --------------------------------------------------------------------------------------------- config


def test_store_folder_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(config.STORE_ENV_VAR, str(tmp_path / "env"))
    assert config.STORE_ENV_VAR == "OBSERVATOIRE_STORE"
    assert config.store_dir() == tmp_path / "env"
    monkeypatch.setenv(config.STORE_ENV_VAR, "   ")
    assert config.store_dir() == config.DEFAULT_STORE
    monkeypatch.delenv(config.STORE_ENV_VAR)
    assert config.store_dir() == config.DEFAULT_STORE
    monkeypatch.setenv(config.STORE_ENV_VAR, "~/obs")
    assert config.store_dir() == Path.home() / "obs"


def test_versions_kept_honours_the_environment(monkeypatch):
    monkeypatch.delenv(config.KEEP_ENV_VAR, raising=False)
    assert config.versions_kept() == 20
    monkeypatch.setenv(config.KEEP_ENV_VAR, "3")
    assert config.versions_kept() == 3
    monkeypatch.setenv(config.KEEP_ENV_VAR, "0")
    assert config.versions_kept() == 1
    monkeypatch.setenv(config.KEEP_ENV_VAR, "beaucoup")
    assert config.versions_kept() == 20


def test_ensure_keeps_a_deactivated_demo_lot_deactivated(db):
    # regression: ensure() used to look for the demo lot among *active* lots only, so undoing the demo lot
    # was silently reverted (lot deleted and re-inserted active) by the next ensure()
    store.set_lot_active(db, 1, False)
    with store.connect(db) as con:
        before = (store.lots(con), store.data_version(con))
    assert before[1].mesures == 0 and before[1].lots_actifs == 0
    store.ensure(db)
    with store.connect(db) as con:
        after = (store.lots(con), store.data_version(con))
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1] == before[1]
