"""One data version (`observatoire.store`): what a published version holds, read-only connections, and the
writes `versions.Repository` applies to it — refresh from data/ without losing lots, lots and undo. Every
database here is published through the product's write path (`Repository.init / ensure / import_measures /
undo / publish`); imports go through `importing.read_import`, as the CLI and the import page do
(`tests.publishing.import_frame`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import config, queries, schema, store, versions
from observatoire.filters import Filters
from tests.publishing import import_frame

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]


@pytest.fixture
def repo(demo_store, tmp_path) -> versions.Repository:
    """A private copy of the session's store (tests here publish versions in it)."""
    root = tmp_path / "store"
    shutil.copytree(demo_store.root, root)
    return versions.Repository(root)


@pytest.fixture
def data(tmp_path) -> Path:
    """A private copy of data/ (tests here change its reference or demo files)."""
    path = tmp_path / "data"
    shutil.copytree(DATA, path)
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


def _files(repo: versions.Repository) -> dict[str, int]:
    """Every file of the store folder → its modification time (a write that publishes nothing leaves it)."""
    return {
        str(p.relative_to(repo.root)): p.stat().st_mtime_ns
        for p in sorted(repo.root.rglob("*"))
        if p.is_file() and p.name != versions.LOCK
    }


ENT_KEY = {
    "indicateur": "ent_visites",
    "periode": "2023-2024",
    "territoire_type": "academie",
    "territoire_code": "nancy-metz",
    "niveau": "tous",
    "thematique": "tous",
    "public": "tous",
}


def _lot_frame(valeur: str = "70000000", **changes: str) -> pd.DataFrame:
    row = {**ENT_KEY, "valeur": valeur, "origine": "import", "source": "Import de test"}
    row.update(changes)
    return pd.DataFrame([row], columns=schema.MEASURE_COLUMNS)


# ------------------------------------------------------------------------------------------------ init


def test_init_creates_one_active_demo_lot(con, raw_measures):
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


def test_init_publishes_the_stored_version(tmp_path):
    repo = versions.Repository(tmp_path / "x" / "store")
    version = repo.init(author="tests")
    assert version.path.exists()
    assert [p.name for p in repo.folder.iterdir()] == [version.path.name]  # no temporary file left
    with store.connect(version.path) as con:
        stored = store.data_version(con)
    assert stored.numero == version.number == 1
    assert stored.empreinte.startswith(version.short_hash)


def test_reference_tables_are_loaded(con, labs_csv, bassin_departement, academie_json):
    assert con.execute("SELECT count(*) FROM laboratoires").fetchone()[0] == len(labs_csv)
    bassins = dict(con.execute("SELECT code, departement FROM bassins").fetchall())
    deps = {r[0] for r in con.execute("SELECT code FROM departements").fetchall()}
    territories = con.execute("SELECT type, count(*) FROM territoires GROUP BY type").fetchall()
    assert bassins == bassin_departement
    assert deps == {d["code"] for d in academie_json["departements"]}
    assert dict(territories) == {
        "academie": 1,
        "departement": len(deps),
        "bassin": len(bassins),
        "laboratoire": len(labs_csv),
    }


def test_stored_values_equal_the_csv(con, raw_measures):
    stored = con.execute(f"SELECT {', '.join(KEY)}, valeur, origine, source FROM mesures_actives").df()
    merged = raw_measures.merge(stored, on=KEY, how="outer", suffixes=("_csv", "_db"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["valeur_csv"] == merged["valeur_db"]).all()
    assert (merged["source_csv"] == merged["source_db"]).all()
    assert (merged["origine_csv"] == merged["origine_db"]).all()


def test_connect_is_read_only(demo_db):
    with store.connect(demo_db) as con, pytest.raises(duckdb.Error):
        con.execute("INSERT INTO meta VALUES ('x', 'y')")
    with store.connect(demo_db) as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM mesures")
    assert _scalar(demo_db, "SELECT count(*) FROM meta WHERE key = 'x'") == 0


def test_connect_missing_database_is_explained_in_french(tmp_path):
    with pytest.raises(store.StoreError, match="introuvable"):
        store.connect(tmp_path / "absente.duckdb")
    assert not (tmp_path / "absente.duckdb").exists()


# --------------------------------------------------------------------------------------------- ensure


def test_ensure_builds_a_missing_database(tmp_path, raw_measures):
    repo = versions.Repository(tmp_path / "nouvelle")
    version = repo.ensure(DATA)
    assert version == repo.current() and version.number == 1
    with repo.connect() as con:
        assert store.data_version(con).mesures == len(raw_measures)


def test_ensure_does_not_rebuild_an_unchanged_database(repo):
    with repo.connect() as con:
        before = (store.data_version(con), store.lots(con))
    files = _files(repo)
    assert repo.ensure(DATA) is None
    with repo.connect() as con:
        after = (store.data_version(con), store.lots(con))
    assert after[0] == before[0]  # same hash and same data_date
    pd.testing.assert_frame_equal(after[1], before[1])
    assert _files(repo) == files


def test_ensure_refreshes_reference_and_keeps_lots(repo, data):
    lot = import_frame(repo, _lot_frame())
    ref = data / "reference"
    path = ref / "thematiques.csv"
    text = path.read_text(encoding="utf-8")
    assert "ent;ENT;" in text
    path.write_text(text.replace("ent;ENT;", "ent;Espace numérique de travail;"), encoding="utf-8")
    with repo.connect() as con:
        hash_before = store.data_version(con).empreinte
    assert repo.ensure(data) is not None
    with repo.connect() as con:
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
    assert _active_value(repo.current().path, **ENT_KEY) == (70_000_000.0, lot)
    # a second ensure with the same data folder changes nothing
    assert repo.ensure(data) is None
    with repo.connect() as con:
        assert store.data_version(con) == version


def _change_webradios(data: Path, value: str) -> None:
    """data/demo/mesures.csv of the copy `data` with another value for the webradios 2023-2024 académie row."""
    demo = data / "demo" / "mesures.csv"
    lines = demo.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    for i, line in enumerate(lines[1:], start=1):
        cells = dict(zip(header, line.split(";")))
        if (
            cells["indicateur"],
            cells["periode"],
            cells["territoire_type"],
            cells["niveau"],
            cells["thematique"],
            cells["public"],
        ) == ("webradios", "2023-2024", "academie", "tous", "tous", "tous"):
            cells["valeur"] = value
            lines[i] = ";".join(cells[c] for c in header)
            break
    else:
        pytest.fail("webradios 2023-2024 row not found")
    demo.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_ensure_replaces_a_changed_demo_file_and_keeps_other_lots(repo, data, raw_measures):
    lot = import_frame(repo, _lot_frame())
    _change_webradios(data, "78")
    assert repo.ensure(data) is not None
    with repo.connect() as con:
        lots = store.lots(con)
    assert len(lots) == 2
    # the demo lot keeps its id, so a later import still wins over the refreshed demo data
    assert list(lots["origine"]) == ["demo", "import"]
    assert int(lots.loc[lots["origine"] == "demo", "lot_id"].iloc[0]) < lot
    assert int(lots.loc[lots["origine"] == "demo", "nb_lignes"].iloc[0]) == len(raw_measures)
    value, _ = _active_value(
        repo.current().path,
        indicateur="webradios",
        periode="2023-2024",
        territoire_type="academie",
        territoire_code="nancy-metz",
        niveau="tous",
        thematique="tous",
        public="tous",
    )
    assert value == 78
    assert lot in set(lots["lot_id"])


# ----------------------------------------------------------------------------------------------- lots


def test_later_lot_overrides_and_undo_restores(repo):
    assert _active_value(repo.current().path, **ENT_KEY) == (64_500_000.0, 1)
    lot = import_frame(repo, _lot_frame("70000000"))
    assert lot == 2
    with_lot = repo.current()
    assert _active_value(with_lot.path, **ENT_KEY) == (70_000_000.0, lot)
    with repo.connect() as con:
        total = queries.series(con, "ent_visites", Filters(), annual=True, periods=("2023-2024", "2023-2024"))
        assert float(total.data["valeur"].iloc[0]) == 70_000_000
        assert "Import de test" in total.sources
        version_with_lot = store.data_version(con)
    assert version_with_lot.lots_actifs == 2
    repo.undo(lot, "tests")
    assert _active_value(repo.current().path, **ENT_KEY) == (64_500_000.0, 1)
    with repo.connect() as con:
        assert store.data_version(con).lots_actifs == 1
        assert store.data_version(con).empreinte != version_with_lot.empreinte
    # the version with the lot is unchanged (immutable), and can be reopened
    assert _active_value(repo.version(with_lot.number).path, **ENT_KEY) == (70_000_000.0, lot)


def test_new_keys_in_a_lot_are_added(repo, raw_measures):
    import_frame(repo, _lot_frame("12", indicateur="webradios", periode="2024-2025"), "annee-suivante.csv")
    assert (
        _active_value(repo.current().path, **{**ENT_KEY, "indicateur": "webradios", "periode": "2024-2025"})[0]
        == 12
    )
    with repo.connect() as con:
        assert store.data_version(con).mesures == len(raw_measures) + 1
        assert "2024-2025" in queries.school_years(con)


def test_invalid_lot_writes_nothing(repo):
    files = _files(repo)
    bad = pd.concat([_lot_frame("1"), _lot_frame("2", public="eleves", niveau="maternelle")], ignore_index=True)
    with pytest.raises(schema.ValidationError) as info:
        import_frame(repo, bad, "invalide.csv")
    assert [(p.line, p.column) for p in info.value.problems] == [(3, "niveau")]
    with pytest.raises(schema.ValidationError):
        import_frame(repo, _lot_frame("beaucoup"), "invalide.csv")
    assert _files(repo) == files  # no version published, nothing written


def test_undo_of_an_unknown_lot_raises_french_error(repo):
    files = _files(repo)
    with pytest.raises(store.StoreError, match="n'existe pas"):
        repo.undo(999, "tests")
    assert _files(repo) == files


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


def _retire_demo_lot(con: duckdb.DuckDBPyConnection) -> versions.Change:
    store.set_active(con, 1, False)
    return versions.Change(versions.UNDO, "Lot de démonstration retiré (test)", "tests", lots_retired=(1,))


def test_ensure_keeps_a_deactivated_demo_lot_deactivated(repo, data):
    # regression: ensure() used to look for the demo lot among *active* lots only, so undoing the demo lot
    # was silently reverted (lot deleted and re-inserted active) by the next ensure()
    repo.publish(_retire_demo_lot)
    with repo.connect() as con:
        before = (store.lots(con), store.data_version(con))
    assert before[1].mesures == 0 and before[1].lots_actifs == 0
    assert repo.ensure(DATA) is None
    with repo.connect() as con:
        after = (store.lots(con), store.data_version(con))
    pd.testing.assert_frame_equal(after[0], before[0])
    assert after[1] == before[1]
    # a changed demo file replaces the demo lot in place: still retired
    _change_webradios(data, "78")
    assert repo.ensure(data) is not None
    with repo.connect() as con:
        lots, version = store.lots(con), store.data_version(con)
    assert list(lots["lot_id"]) == [1] and not lots["actif"].any()
    assert version.mesures == 0 and version.lots_actifs == 0
