"""Published data versions (`observatoire.versions`): numbering, pointer, journal, immutability, retention,
leftovers of dead writes, one writer at a time, readers never disturbed, undo byte for byte, and migrations of
versions built by previous schemas (their DDL is written here as it was: `store.py` of those commits).

Other processes (a writer holding the lock, an app holding a version open) are real subprocesses."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import cli, config, exporting, migrations, schema, store, versions

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
MEASURES_CSV = DATA / "demo" / "mesures.csv"
REF = DATA / "reference"
KEY = list(schema.MEASURE_KEY)
NAME_RE = r"^000001-[0-9a-f]{6}\.duckdb$"


# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True)
def _log_dir(tmp_path, monkeypatch):
    """Unexpected CLI errors log to the test's folder, not var/log of the repository."""
    monkeypatch.setenv(cli.LOG_DIR_ENV_VAR, str(tmp_path / "log"))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> versions.Repository:
    """A store with version 1 built from data/ (copied by `repo` for every test that writes)."""
    repo = versions.Repository(tmp_path_factory.mktemp("base") / "store")
    repo.init(author="tests")
    return repo


@pytest.fixture
def repo(base_store, tmp_path) -> versions.Repository:
    root = tmp_path / "store"
    shutil.copytree(base_store.root, root)
    return versions.Repository(root)


@pytest.fixture(scope="module")
def demo_active(base_store) -> pd.DataFrame:
    with base_store.connect() as con:
        return versions.active_measures(con)


@pytest.fixture(scope="module")
def small_change(demo_active) -> pd.DataFrame:
    """40 demo measures with other values (still valid: halved + 0.125), origine import."""
    frame = demo_active.sort_values(KEY).head(40).reset_index(drop=True).copy()
    frame["valeur"] = frame["valeur"] * 0.5 + 0.125
    assert (frame["valeur"] != demo_active.sort_values(KEY).head(40)["valeur"].to_numpy()).all()
    frame["origine"] = "import"
    frame["source"] = "Import de test"
    return frame


@pytest.fixture
def import_csv(small_change, tmp_path) -> Path:
    path = tmp_path / "essai.csv"
    path.write_bytes(exporting.to_csv_bytes(small_change[schema.MEASURE_COLUMNS]))
    return path


@pytest.fixture
def changed_data(tmp_path) -> Path:
    """A copy of data/ whose reference data changed (so `ensure` / `init --if-needed` has something to do)."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "reference" / "thematiques.csv"
    text = path.read_text(encoding="utf-8")
    assert "ent;ENT;" in text
    path.write_text(text.replace("ent;ENT;", "ent;Espace numérique de travail;"), encoding="utf-8")
    return data


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path → sha256)."""
    return {str(p.relative_to(root)): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _published(repo: versions.Repository) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(repo.folder.iterdir())}


def _import(repo: versions.Repository, frame: pd.DataFrame, author: str = "Alice", **kw) -> versions.Version:
    return repo.import_measures(frame, "essai.csv", "ab" * 32, author, (0, len(frame), 0), **kw)


def _cli(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["--store", str(root), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _export(capsys, root: Path, output: Path, *extra: str) -> bytes:
    code, text = _cli(capsys, root, "export", "--output", str(output), *extra)
    assert code == 0, text
    assert "mesures exportées" in text
    return output.read_bytes()


def _journal_row(repo: versions.Repository, version: versions.Version | None = None) -> dict:
    return repo.journal(version).iloc[0].to_dict()


def _value(repo: versions.Repository, row: pd.Series, version: versions.Version | None = None) -> tuple:
    where = " AND ".join(f"{k} = ${k}" for k in KEY)
    with repo.connect(version) as con:
        found = con.execute(
            f"SELECT valeur, lot_id, origine, source FROM mesures_actives WHERE {where}", {k: row[k] for k in KEY}
        ).fetchall()
    assert len(found) == 1, found
    return found[0]


# ----------------------------------------------------------------------------------------- publication


def test_an_empty_store_has_no_version_and_says_so_in_french(tmp_path):
    repo = versions.Repository(tmp_path / "vide")
    assert repo.current() is None and repo.versions() == [] and repo.pointer_stamp() is None
    with pytest.raises(store.StoreError, match=r"La version n° 1 n'existe pas .*aucune version publiée"):
        repo.version(1)
    with pytest.raises(store.StoreError, match="Aucune version des données publiée"):
        repo.connect()


def test_init_publishes_version_1_and_the_pointer(tmp_path, raw_measures):
    repo = versions.Repository(tmp_path / "store")
    published = repo.init(author="Équipe DRANE")
    files = [p.name for p in repo.folder.iterdir()]
    assert len(files) == 1
    assert pd.Series(files).str.match(NAME_RE).all(), files
    assert repo.pointer.read_text(encoding="utf-8") == files[0] + "\n"
    assert published == repo.current() == versions.Version(1, repo.folder / files[0])
    assert repo.versions() == [published] and repo.version(1) == published
    with repo.connect() as con:
        assert published.short_hash == store.get_meta(con, "data_hash")[:6]
        assert store.get_meta(con, "version_number") == "1"
        assert store.get_meta(con, "schema_version") == store.SCHEMA_VERSION
        info = store.data_version(con)
    assert info.numero == 1 and info.mesures == len(raw_measures) and "version n° 1" in info.label
    row = _journal_row(repo)
    assert (row["version"], row["type"], row["auteur"]) == (1, "init", "Équipe DRANE")
    assert row["nouvelles"] == len(raw_measures) and row["lots_ajoutes"] == "1"
    assert f"{len(raw_measures):,} mesures de démonstration".replace(",", "\u202f") in row["resume"]
    with pytest.raises(
        store.StoreError,
        match=r"La version n° 7 n'existe pas ou n'est plus conservée "
        r"\(versions disponibles : n° 1 à 1\)",
    ):
        repo.version(7)


def test_a_pointer_to_nothing_is_explained_in_french(repo):
    repo.pointer.write_text("000042-abcdef.duckdb\n", encoding="utf-8")
    with pytest.raises(store.StoreError, match="n'est pas une version publiée : restaurez-le"):
        repo.current()


def test_every_write_publishes_the_next_version_and_journals_it(repo, small_change, changed_data):
    seen = _published(repo)
    stamps = {repo.pointer_stamp()}

    def published_next(version: versions.Version, number: int) -> None:
        assert version.number == number and repo.current() == version
        assert [v.number for v in repo.versions()] == list(range(1, number + 1))
        with repo.connect(version) as con:
            assert store.get_meta(con, "version_number") == str(number)
        now = _published(repo)
        assert {k: now[k] for k in seen} == seen, "a published file changed after publication"
        assert set(now) - set(seen) == {version.path.name}
        seen.update(now)
        stamps.add(repo.pointer_stamp())
        assert len(stamps) == number  # the app's one stat sees every publication

    imported = _import(repo, small_change, author="Alice")
    published_next(imported, 2)
    row = _journal_row(repo)
    assert (row["version"], row["type"], row["auteur"], row["fichier"], row["sha256"]) == (
        2,
        "import",
        "Alice",
        "essai.csv",
        "ab" * 32,
    )
    assert (row["nouvelles"], row["modifiees"], row["inchangees"]) == (0, 40, 0)
    assert row["lots_ajoutes"] == "2" and pd.isna(row["lots_retires"])
    first = small_change.iloc[0]
    assert _value(repo, first) == (first["valeur"], 2, "import", "Import de test")

    undone = repo.undo(2, "Bob")
    published_next(undone, 3)
    row = _journal_row(repo)
    assert (row["version"], row["type"], row["auteur"], row["lots_retires"]) == (3, "annulation", "Bob", "2")
    assert pd.isna(row["fichier"]) and pd.isna(row["lots_ajoutes"]) and "Annulation de l'import 2" in row["resume"]
    assert _value(repo, first)[1] == 1  # the demo value is back

    refreshed = repo.ensure(changed_data)
    published_next(refreshed, 4)
    row = _journal_row(repo)
    assert (row["type"], row["auteur"]) == ("reference", "application")
    assert row["resume"] == "Actualisation depuis data/ : données de référence"
    with repo.connect() as con:
        label = con.execute("SELECT libelle FROM thematiques WHERE code = 'ent'").fetchone()[0]
        assert label == "Espace numérique de travail"
        assert len(store.lots(con)) == 2  # the import lot stays (inactive)
    assert repo.ensure(changed_data) is None  # up to date: nothing published
    assert repo.current() == refreshed

    rebuilt = repo.init(author="Chloé")
    published_next(rebuilt, 5)
    journal = repo.journal()
    assert list(journal["version"]) == [5]  # built from scratch: a new history (the others stay in 1..4)
    assert (journal.iloc[0]["type"], journal.iloc[0]["auteur"], journal.iloc[0]["lots_ajoutes"]) == (
        "init",
        "Chloé",
        "1",
    )
    assert [r["version"] for _, r in repo.journal(repo.version(4)).iterrows()] == [4, 3, 2, 1]
    # every version still opens read-only and answers with its own number
    for version in repo.versions():
        with repo.connect(version) as con:
            assert store.data_version(con).numero == version.number


def test_refused_writes_publish_nothing(repo, small_change):
    before = _snapshot(repo.root)

    def bad(con: duckdb.DuckDBPyConnection) -> versions.Change:
        con.execute("DELETE FROM mesures")
        raise schema.ValidationError("refusé")

    with pytest.raises(schema.ValidationError):
        repo.publish(bad)
    with pytest.raises(store.StoreError, match="Le lot 9 n'existe pas dans la version courante"):
        repo.undo(9, "Bob")
    assert _snapshot(repo.root) == before
    with repo.connect() as con:
        assert con.execute("SELECT count(*) FROM mesures").fetchone()[0] > 0


def test_retention_keeps_the_last_versions_and_always_the_current(repo, small_change):
    repo = versions.Repository(repo.root, keep=3)
    first = repo.current()
    for step in range(4):
        frame = small_change.assign(valeur=small_change["valeur"] + step)
        _import(repo, frame)
    assert [v.number for v in repo.versions()] == [3, 4, 5]
    assert repo.current().number == 5
    assert not first.path.exists()
    assert sorted(p.name[:6] for p in repo.folder.iterdir()) == ["000003", "000004", "000005"]
    with pytest.raises(
        store.StoreError,
        match=r"La version n° 1 n'existe pas ou n'est plus conservée "
        r"\(versions disponibles : n° 3 à 5\)",
    ):
        repo.version(1)
    oldest = repo.version(3)
    with repo.connect(oldest) as con:
        assert store.data_version(con).numero == 3
    assert _value(repo, small_change.iloc[0], oldest)[0] == small_change.iloc[0]["valeur"] + 1
    # keep=1: only the current one
    solo = versions.Repository(repo.root, keep=1)
    _import(solo, small_change)
    assert [v.number for v in solo.versions()] == [6] and len(list(repo.folder.iterdir())) == 1


def test_default_retention_is_twenty(monkeypatch, tmp_path):
    monkeypatch.delenv(config.KEEP_ENV_VAR, raising=False)
    assert versions.Repository(tmp_path).keep == 20
    monkeypatch.setenv(config.KEEP_ENV_VAR, "4")
    assert versions.Repository(tmp_path).keep == 4


def test_leftovers_of_dead_writes_are_removed_by_the_next_write(repo, small_change):
    current = repo.current()
    temp = repo.folder / ".en-cours-123-abcd.duckdb"
    temp.write_bytes(b"a moitie ecrit")
    wal = repo.folder / ".en-cours-123-abcd.duckdb.wal"
    wal.write_bytes(b"journal")
    orphan = repo.folder / "000099-abcdef.duckdb"
    shutil.copyfile(current.path, orphan)  # renamed but never pointed to
    pointer_tmp = repo.root / "current.tmp-4242"
    pointer_tmp.write_text("000099-abcdef.duckdb\n", encoding="utf-8")
    assert repo.versions() == [current]
    assert repo.current() == current
    with pytest.raises(store.StoreError, match="La version n° 99 n'existe pas"):
        repo.version(99)

    published = _import(repo, small_change)
    assert published.number == 2  # not 100: the orphan was never a version
    for path in (temp, wal, orphan, pointer_tmp):
        assert not path.exists(), path
    assert sorted(p.name for p in repo.folder.iterdir()) == sorted(v.path.name for v in repo.versions())
    assert [v.number for v in repo.versions()] == [1, 2]


# -------------------------------------------------------------------------------------- other processes

_LOCKER = """
import fcntl, sys
handle = open(sys.argv[1], "a+")
fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
print("verrouillé", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""

_READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
def answer():
    n, digest, lots = con.execute(
        "SELECT count(*), sum(hash(indicateur, periode, territoire_code, niveau, thematique, public, valeur, "
        "origine, source)), (SELECT count(*) FROM lots) FROM mesures_actives").fetchone()
    print(f"{n} {digest} {lots}", flush=True)
answer()
for _ in sys.stdin:
    answer()
"""


@contextmanager
def _process(script: str, arg: Path, ready: str | None = None) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(arg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        first = proc.stdout.readline().strip()
        if ready is not None:
            assert first == ready
        proc.first_line = first
        yield proc
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.wait(timeout=30)


def test_a_second_writer_is_told_in_french_that_an_import_is_in_progress(repo, small_change):
    before = _snapshot(repo.root)
    with _process(_LOCKER, repo.lock_path, "verrouillé"):
        with pytest.raises(versions.WriteInProgressError) as err:
            _import(repo, small_change, wait=0.3)
        with pytest.raises(versions.WriteInProgressError):
            repo.undo(1, "Bob", wait=0)
    message = str(err.value)
    assert message == (
        "Une autre mise à jour des données (import, annulation…) est en cours : réessayez dans un "
        "instant. Rien n'a été modifié."
    )
    assert isinstance(err.value, store.StoreError)  # the CLI reports it as an expected problem (exit 1)
    assert _snapshot(repo.root) == before
    assert repo.current().number == 1


def test_a_waiting_writer_publishes_once_the_lock_is_released(repo, small_change):
    with _process(_LOCKER, repo.lock_path, "verrouillé") as holder:
        release = threading.Timer(0.5, holder.stdin.close)
        release.start()
        try:
            published = _import(repo, small_change, wait=60)
        finally:
            release.join()
        assert holder.wait(timeout=30) == 0  # the holder had gone before the write could take the lock
    assert published.number == 2 and repo.current() == published
    assert _journal_row(repo)["type"] == "import"


def test_a_reader_holding_the_current_version_never_prevents_writes(repo, import_csv, changed_data, capsys):
    held = repo.current()
    held_bytes = _sha(held.path)
    with _process(_READER, held.path) as reader:
        before = reader.first_line
        for args in (
            ["init", "--auteur", "Alice"],
            ["init", "--if-needed", "--data", str(changed_data)],
            ["import", str(import_csv), "--auteur", "Bob"],
        ):
            code, text = _cli(capsys, repo.root, *args)
            assert code == 0, text
            assert "Traceback" not in text
        assert "Publiée : version n° 4" in text
        lot = int(_journal_row(repo)["lots_ajoutes"])
        code, text = _cli(capsys, repo.root, "annuler", str(lot), "--auteur", "Bob")
        assert code == 0, text
        assert f"Import {lot} annulé. Publiée : version n° 5" in text
        reader.stdin.write("encore\n")
        reader.stdin.flush()
        after = reader.stdout.readline().strip()
    assert after == before  # the app's open version still answers with its own data
    assert [v.number for v in repo.versions()] == [1, 2, 3, 4, 5]
    assert [r for r in repo.journal()["type"]] == ["annulation", "import", "reference", "init"]
    assert _sha(held.path) == held_bytes


# ----------------------------------------------------------------------------------- exports and undo


def test_undo_restores_the_previous_export_byte_for_byte(repo, import_csv, tmp_path, capsys):
    before = _export(capsys, repo.root, tmp_path / "avant.csv")
    code, text = _cli(capsys, repo.root, "import", str(import_csv), "--auteur", "Alice")
    assert code == 0, text
    assert "Valeurs : 0 nouvelle, 40 modifiées, 0 inchangée." in text
    imported = _export(capsys, repo.root, tmp_path / "importe.csv")
    assert imported != before and len(imported.splitlines()) == len(before.splitlines())
    code, text = _cli(capsys, repo.root, "annuler", "2")
    assert code == 0, text
    assert "Import 2 annulé" in text
    assert _export(capsys, repo.root, tmp_path / "annule.csv") == before
    # every kept version reproduces its own export
    assert _export(capsys, repo.root, tmp_path / "v1.csv", "--version", "1") == before
    assert _export(capsys, repo.root, tmp_path / "v2.csv", "--version", "2") == imported
    code, text = _cli(capsys, repo.root, "export", "--output", str(tmp_path / "x.csv"), "--version", "8")
    assert code == 1 and "La version n° 8 n'existe pas ou n'est plus conservée" in text
    assert "Traceback" not in text and not (tmp_path / "x.csv").exists()


def test_an_export_imported_into_an_empty_store_exports_the_same_bytes(base_store, tmp_path, capsys):
    exported = _export(capsys, base_store.root, tmp_path / "demo.csv")
    other = tmp_path / "autre"
    code, text = _cli(capsys, other, "init", "--sans-demo")
    assert code == 0, text
    assert "0 mesures actives dans 0 lot(s)" in text
    code, text = _cli(capsys, other, "import", str(tmp_path / "demo.csv"))
    assert code == 0, text
    assert _export(capsys, other, tmp_path / "reexport.csv") == exported
    with versions.Repository(other).connect() as con:
        origins = dict(con.execute("SELECT origine, count(*) FROM mesures_actives GROUP BY 1").fetchall())
    assert {"bilan", "illustratif"} <= set(origins)  # origine kept, not turned into « import »


def test_a_refused_import_changes_nothing(repo, small_change, tmp_path, capsys):
    bad = small_change.copy()
    bad.loc[3, "indicateur"] = "indicateur_inconnu"
    path = tmp_path / "mauvais.csv"
    path.write_bytes(exporting.to_csv_bytes(bad[schema.MEASURE_COLUMNS]))
    before = _snapshot(repo.root)
    code, text = _cli(capsys, repo.root, "import", str(path))
    assert code == 1, text
    assert "Données refusées, rien n'a été écrit." in text and "indicateur_inconnu" in text
    assert "Traceback" not in text
    code, text = _cli(capsys, repo.root, "import", str(tmp_path / "absent.csv"))
    assert code == 1 and "Lecture impossible" in text and "Traceback" not in text
    assert _snapshot(repo.root) == before


def test_only_an_active_import_can_be_undone(repo, small_change, capsys):
    code, text = _cli(capsys, repo.root, "annuler", "1")
    assert code == 1, text
    assert (
        "Le lot 1 (Données de démonstration" in text
        and "n'est pas un import : seul un import peut être annulé." in text
    )
    code, text = _cli(capsys, repo.root, "annuler", "42")
    assert code == 1 and "Erreur : Le lot 42 n'existe pas dans la version courante." in text
    _import(repo, small_change)
    assert _cli(capsys, repo.root, "annuler", "2")[0] == 0
    code, text = _cli(capsys, repo.root, "annuler", "2")
    assert code == 1 and "Le lot 2 (essai.csv) est déjà annulé." in text
    assert "Traceback" not in text
    assert repo.current().number == 3
    assert not list(repo.folder.glob(".en-cours-*"))


def test_versions_lists_the_journal(repo, small_change, monkeypatch, capsys):
    _import(repo, small_change, author="Alice")
    repo.undo(2, "Bob")
    monkeypatch.setenv(config.KEEP_ENV_VAR, "2")
    _import(versions.Repository(repo.root), small_change, author="Chloé")  # prunes version 2
    code, text = _cli(capsys, repo.root, "versions")
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0] == f"Versions des données ({repo.root}) — courante : n° 4"
    assert (
        lines[1].startswith("* n°    4") and "Chloé — Import de essai.csv : 0 nouvelles, 40 modifiées" in lines[1]
    )
    assert "lot(s) ajouté(s) : 3" in lines[1] and f"sha256 {'ab' * 6}…" in lines[1]
    assert lines[2].startswith("  n°    3") and "Bob — Annulation de l'import 2 (essai.csv)" in lines[2]
    assert "lot(s) retiré(s) : 2" in lines[2]
    assert lines[3].startswith("- n°    2") and "Alice" in lines[3]  # no longer kept: only its journal row
    assert lines[4].startswith("- n°    1") and "tests — Construction depuis data/" in lines[4]
    assert lines[-1] == "* courante ; - version plus conservée (seul son journal reste)"
    code, text = _cli(capsys, repo.root.parent / "vide", "versions")
    assert code == 0 and "Aucune version publiée" in text


# ----------------------------------------------------------------------------------------- migrations

# The DDL of schema 2 (store.py at commit 9c22242): measures carry `origine`; no journal.
DDL_V2 = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS lot_seq START 1;
CREATE TABLE IF NOT EXISTS lots (
    lot_id INTEGER PRIMARY KEY,
    origine VARCHAR NOT NULL,
    libelle VARCHAR NOT NULL,
    cree_le TIMESTAMP NOT NULL,
    nb_lignes INTEGER NOT NULL,
    empreinte VARCHAR NOT NULL,
    actif BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE IF NOT EXISTS mesures (
    lot_id INTEGER NOT NULL,
    indicateur VARCHAR NOT NULL,
    periode VARCHAR NOT NULL,
    annee_scolaire VARCHAR NOT NULL,
    territoire_type VARCHAR NOT NULL,
    territoire_code VARCHAR NOT NULL,
    niveau VARCHAR NOT NULL,
    thematique VARCHAR NOT NULL,
    public VARCHAR NOT NULL,
    valeur DOUBLE NOT NULL,
    origine VARCHAR NOT NULL,
    source VARCHAR NOT NULL
);
CREATE OR REPLACE VIEW mesures_actives AS
SELECT m.* EXCLUDE (lot_id), m.lot_id
FROM mesures m JOIN lots l USING (lot_id)
WHERE l.actif
QUALIFY row_number() OVER (
    PARTITION BY m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique, m.public
    ORDER BY m.lot_id DESC) = 1;
"""

# The DDL of schema 1 (store.py before commit f9e5f46): an `illustratif` flag instead of `origine`.
DDL_V1 = DDL_V2.replace(
    """    valeur DOUBLE NOT NULL,
    origine VARCHAR NOT NULL,
    source VARCHAR NOT NULL""",
    """    valeur DOUBLE NOT NULL,
    source VARCHAR NOT NULL,
    illustratif BOOLEAN NOT NULL""",
)

IMPORT_SOURCE = "Import d'avant la mise à jour"


@pytest.fixture(scope="module")
def sources():
    return store.read_sources(MEASURES_CSV, REF)


def _old_version(path: Path, schema_version: int, sources, change: pd.DataFrame) -> None:
    """A data version as the application of schema 1 or 2 wrote it: reference tables, the demo lot (lot 1),
    an import lot (lot 2, `change`), the lot sequence after them."""
    reference, measures = sources
    assert "illustratif BOOLEAN" in DDL_V1 and "origine VARCHAR NOT NULL,\n    source" not in DDL_V1
    con = duckdb.connect(str(path))
    con.execute(DDL_V1 if schema_version == 1 else DDL_V2)
    con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": str(schema_version)})
    store._write_reference(con, reference.tables, store.reference_hash(REF), reference.academie)
    # schema 1's demo lot was another file (no origine column): its fingerprint differs from today's
    demo_hash = store.file_hash([MEASURES_CSV]) if schema_version == 2 else "mesures-du-schema-1"
    for lot_id, frame, origine, label, empreinte in (
        (1, measures, "demo", "Démonstration", demo_hash),
        (2, change, "import", "ancien.csv", "e" * 64),
    ):
        assert con.execute("SELECT nextval('lot_seq')").fetchone()[0] == lot_id
        con.execute(
            "INSERT INTO lots VALUES ($id, $o, $l, now()::TIMESTAMP, $n, $e, TRUE)",
            {"id": lot_id, "o": origine, "l": label, "n": len(frame), "e": empreinte},
        )
        rows = frame[schema.MEASURE_COLUMNS].copy()
        rows["annee_scolaire"] = rows["periode"].map(schema.school_year_of)
        rows["lot_id"] = lot_id
        con.register("incoming", rows)
        if schema_version == 1:
            con.execute("""INSERT INTO mesures SELECT lot_id, indicateur, periode, annee_scolaire, territoire_type,
                           territoire_code, niveau, thematique, public, valeur, source,
                           origine = 'illustratif' FROM incoming""")
        else:
            con.execute("""INSERT INTO mesures SELECT lot_id, indicateur, periode, annee_scolaire, territoire_type,
                           territoire_code, niveau, thematique, public, valeur, origine, source FROM incoming""")
        con.unregister("incoming")
    con.execute("INSERT INTO meta VALUES ('data_hash', 'abcdef123456'), ('data_date', '2026-01-01T00:00:00')")
    con.close()


@pytest.fixture(scope="module")
def old_change(demo_active) -> pd.DataFrame:
    frame = demo_active.sort_values(KEY).iloc[100:130].reset_index(drop=True).copy()
    frame["valeur"] = [1000.0 + i for i in range(len(frame))]  # distinct from every demo value
    frame["origine"] = "import"
    frame["source"] = IMPORT_SOURCE
    return frame


def _as_current(root: Path, build) -> versions.Repository:
    repo = versions.Repository(root)
    repo.folder.mkdir(parents=True)
    build(repo.folder / "000001-aaaaaa.duckdb")
    repo.pointer.write_text("000001-aaaaaa.duckdb\n", encoding="utf-8")
    return repo


def _assert_import_survived(repo: versions.Repository, change: pd.DataFrame) -> None:
    with repo.connect() as con:
        assert migrations.schema_version(con) == int(store.SCHEMA_VERSION) and not migrations.pending(con)
        lots = store.lots(con).set_index("lot_id")
        got = con.execute("SELECT * FROM mesures_actives WHERE lot_id = 2").df()
    assert (
        lots.loc[2, "origine"] == "import"
        and bool(lots.loc[2, "actif"])
        and lots.loc[2, "libelle"] == "ancien.csv"
    )
    merged = change.merge(got, on=KEY, suffixes=("", "_stocke"))
    assert len(merged) == len(change) == len(got)
    assert (merged["valeur"] == merged["valeur_stocke"]).all()
    assert (merged["source_stocke"] == IMPORT_SOURCE).all() and (merged["origine_stocke"] == "import").all()


@pytest.mark.parametrize("old_schema", [2, 1])
def test_a_version_of_an_older_schema_is_migrated_with_its_imports(
    tmp_path, sources, old_change, old_schema, raw_measures, capsys
):
    repo = _as_current(tmp_path / "store", lambda p: _old_version(p, old_schema, sources, old_change))
    old = repo.current()
    old_bytes = _sha(old.path)
    with repo.connect() as con:
        assert migrations.pending(con) == list(range(old_schema, int(store.SCHEMA_VERSION)))
        assert versions.journal(con).empty

    published = repo.ensure(DATA)
    assert published.number == 2 and repo.current() == published
    _assert_import_survived(repo, old_change)
    journal = repo.journal()
    assert set(journal["version"]) == {2}
    row = journal[journal["type"] == "migration"].iloc[0]
    assert row["auteur"] == "application"
    if old_schema == 1:  # reference marked stale by 1 → 2 and the demo lot replaced: two journal rows
        assert list(journal["type"]) == ["reference", "migration"]
        assert row["resume"] == f"Migration du schéma 1 au schéma {store.SCHEMA_VERSION}"
        assert journal.iloc[0]["resume"] == (
            "Actualisation depuis data/ : données de référence, mesures de démonstration"
        )
    else:
        assert list(journal["type"]) == ["migration"]
        assert row["resume"] == f"Migration vers le schéma {store.SCHEMA_VERSION}"
    with repo.connect() as con:  # the demo lot has today's origines (bilan, deduit, illustratif)
        demo = con.execute("SELECT origine, count(*) FROM mesures WHERE lot_id = 1 GROUP BY 1").fetchall()
    assert dict(demo) == raw_measures["origine"].value_counts().to_dict()
    assert _sha(old.path) == old_bytes  # the old version is untouched and still listed
    assert [v.number for v in repo.versions()] == [1, 2]
    assert repo.ensure(DATA) is None

    # the migrated version lives on: the next import gets a new lot number, the old import can be undone
    after = _import(repo, old_change.assign(valeur=old_change["valeur"] + 1))
    assert after.number == 3 and _journal_row(repo)["lots_ajoutes"] == "3"
    code, text = _cli(capsys, repo.root, "annuler", "2")
    assert code == 0, text
    first = old_change.iloc[0]
    assert _value(repo, first)[:2] == (first["valeur"] + 1, 3)
    repo.undo(3, "tests")
    demo_row = raw_measures.set_index(KEY).loc[tuple(first[KEY])]
    assert _value(repo, first) == (float(demo_row["valeur"]), 1, demo_row["origine"], demo_row["source"])


def test_the_single_database_of_the_previous_layout_is_adopted_as_version_1(tmp_path, sources, old_change):
    root = tmp_path / "var"
    root.mkdir()
    legacy = root / versions.LEGACY_FILE
    _old_version(legacy, 2, sources, old_change)
    legacy_bytes = _sha(legacy)
    repo = versions.Repository(root)
    assert repo.current() is None

    adopted = repo.ensure(DATA)
    assert adopted.number == 1 and repo.current() == adopted
    _assert_import_survived(repo, old_change)
    journal = repo.journal()
    assert list(journal["type"]) == ["migration"] and list(journal["version"]) == [1]
    assert journal.iloc[0]["resume"] == "Reprise de la base observatoire.duckdb (format précédent), lots conservés"
    assert _sha(legacy) == legacy_bytes
    assert repo.ensure(DATA) is None  # adopted once


@pytest.mark.parametrize("layout", ["version", "legacy"])
def test_a_schema_newer_than_the_application_is_refused_in_french(tmp_path, sources, old_change, layout):
    def newer(path: Path) -> None:
        _old_version(path, 2, sources, old_change)
        with duckdb.connect(str(path)) as con:
            store.set_meta(con, "schema_version", "99")

    root = tmp_path / "store"
    if layout == "version":
        repo = _as_current(root, newer)
    else:
        root.mkdir()
        newer(root / versions.LEGACY_FILE)
        repo = versions.Repository(root)
    before = _snapshot(root)
    with pytest.raises(
        migrations.MigrationError,
        match=r"Cette version des données a le schéma 99, plus récent "
        rf"que celui de l'application \({store.SCHEMA_VERSION}\) : mettez l'application "
        r"à jour\.",
    ):
        repo.ensure(DATA)
    after = _snapshot(root)
    after.pop(versions.LOCK, None)  # the legacy adoption took the writers' lock (an empty file)
    assert after == before
    if layout == "version":
        assert repo.versions() == [repo.current()] and repo.current().number == 1
    else:
        assert repo.current() is None and not list(repo.folder.iterdir())
