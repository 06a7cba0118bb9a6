"""Publication as ONE critical section (`versions.Repository.publish` / `import_measures`), and the machine's
failures said in French:

- the « another version was published since your preview » check runs under the writers' lock: of two writers
  prepared against the same version, exactly one publishes, the other gets `StaleVersionError` and nothing;
- the journal's counts are computed under the lock against the version actually replaced (never the caller's
  preview): two imports of the same file → « N nouvelles » then « N inchangées »; 6 concurrent CLI imports of
  different files → every journal row equals the comparison of its file with the version before it;
- a full disk (ENOSPC from Python or from DuckDB) → `DiskFullError` in French, nothing published, the store
  unchanged; the CLI says « disque plein », exit 1, no traceback;
- published version files are read-only (0444), older ones sealed at the next publication.

Other processes are real subprocesses (`python -m observatoire import`)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatoire import cli, exporting, importing, schema, store, versions

ROOT = Path(__file__).resolve().parents[2]
KEY = list(schema.MEASURE_KEY)


@pytest.fixture(autouse=True)
def _log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(cli.LOG_DIR_ENV_VAR, str(tmp_path / "log"))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> versions.Repository:
    repo = versions.Repository(tmp_path_factory.mktemp("base") / "store")
    repo.init(author="tests")
    return repo


@pytest.fixture
def repo(base_store, tmp_path) -> versions.Repository:
    root = tmp_path / "store"
    shutil.copytree(base_store.root, root)
    return versions.Repository(root)


@pytest.fixture(scope="module")
def rows(base_store) -> pd.DataFrame:
    """20 académie-level measures of the demo data (canonical columns), sorted."""
    with base_store.connect() as con:
        active = versions.active_measures(con)
    chosen = active[active["territoire_type"] == "academie"].sort_values(KEY).head(20).reset_index(drop=True)
    return chosen[schema.MEASURE_COLUMNS].copy()


def variant(rows: pd.DataFrame, k: int) -> pd.DataFrame:
    """`rows` with values of their own (k), origine import."""
    frame = rows.copy()
    frame["valeur"] = frame["valeur"].round() + 1000 * (k + 1)
    frame["origine"], frame["source"] = "import", f"Import {k}"
    return frame.reset_index(drop=True)


def expected_counts(repo: versions.Repository, frame: pd.DataFrame, before: int) -> tuple[int, int, int]:
    with repo.connect(repo.version(before)) as con:
        truth = importing.preview(frame, versions.active_measures(con))
    return truth.new, truth.changed, truth.unchanged


def journal_counts(repo: versions.Repository, number: int) -> tuple[int, int, int]:
    row = repo.change_of(repo.version(number))
    return int(row.nouvelles), int(row.modifiees), int(row.inchangees)


# ------------------------------------------------------------------------------------------------ lock


def test_a_preview_made_stale_by_another_writer_publishes_nothing(repo, rows):
    first = repo.import_measures(variant(rows, 1), "a.csv", "a" * 64, "Alice", expected=1)
    assert first.number == 2
    before = sorted(p.name for p in repo.folder.iterdir())
    with pytest.raises(versions.StaleVersionError) as refused:
        repo.import_measures(variant(rows, 2), "b.csv", "b" * 64, "Bruno", expected=1)
    assert "Une autre version des données (n° 2) a été publiée depuis l'aperçu" in str(refused.value)
    assert "rien n'a été publié" in str(refused.value)
    assert repo.current().number == 2 and sorted(p.name for p in repo.folder.iterdir()) == before


def test_two_writers_prepared_on_the_same_version_one_publishes(repo, rows):
    barrier, outcomes = threading.Barrier(2), {}

    def write(name: str, k: int) -> None:
        barrier.wait()
        try:
            outcomes[name] = repo.import_measures(
                variant(rows, k), f"{name}.csv", "c" * 64, name, wait=120, expected=1
            ).number
        except versions.StaleVersionError:
            outcomes[name] = "refusé"

    threads = [threading.Thread(target=write, args=(name, k)) for k, name in enumerate(("Alice", "Bruno"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert sorted(map(str, outcomes.values())) == ["2", "refusé"]
    assert repo.current().number == 2
    assert (repo.journal()["type"] == versions.IMPORT).sum() == 1


def test_the_journal_counts_against_the_version_replaced(repo, rows):
    frame = variant(rows, 1)
    stale_preview = (0, len(frame), 0)  # what a caller computed earlier: ignored, never journaled
    repo.import_measures(frame, "a.csv", "a" * 64, "Alice", stale_preview)
    repo.import_measures(frame, "a.csv", "a" * 64, "Bruno", stale_preview)
    assert journal_counts(repo, 2) == (0, len(frame), 0)  # every value changed from the demo data
    assert journal_counts(repo, 3) == (0, 0, len(frame))  # the same file again: nothing changed
    assert "0 modifiées" in repo.change_of(repo.version(3)).resume


def test_six_concurrent_cli_imports_are_journaled_right(repo, rows, tmp_path):
    """Six `python -m observatoire import` at once, of two contents each imported several times: every journal
    row counts its file against the version it replaced (before: all were counted against the version their
    process had read before waiting for the lock, « 20 modifiées » six times)."""
    files = []
    for k in range(6):  # the probe's case: the same content 6 times (3 names for one file, 3 for another)
        path = tmp_path / f"import-{k}.csv"
        frame = variant(rows, k % 2) if k < 4 else variant(rows, 0).head(10)
        path.write_bytes(exporting.to_csv_bytes(frame))
        files.append((path, frame))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OBSERVATOIRE_LOG_DIR": str(tmp_path / "log")}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "observatoire",
                "--store",
                str(repo.root),
                "import",
                str(path),
                "--auteur",
                f"cli-{k}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, (path, _) in enumerate(files)
    ]
    results = [(proc, *proc.communicate(timeout=600)) for proc in procs]
    published = 0
    for proc, out, err in results:
        assert "Traceback" not in out + err
        if proc.returncode == 0:
            published += 1
        else:  # only a writer that waited longer than 30 s for the lock (a very busy machine) may give up
            assert proc.returncode == 1 and "Une autre mise à jour des données" in err, (out, err)
    journal = repo.journal()
    imports = journal[journal["type"] == versions.IMPORT].sort_values("version")
    assert len(imports) == published >= 1
    assert sorted(imports["version"]) == list(range(2, 2 + published))
    tables = _tables(repo)
    read = {path.name: importing.read_import(path.read_bytes(), path.name, tables).frame for path, _ in files}
    for row in imports.itertuples(index=False):  # each file against the version its publication replaced
        assert (row.nouvelles, row.modifiees, row.inchangees) == expected_counts(
            repo, read[row.fichier], row.version - 1
        ), row.fichier
    if published == 6:  # whatever the order: what was already in force is « inchangée », never counted twice
        assert int(imports["modifiees"].sum()) + int(imports["inchangees"].sum()) == 4 * 20 + 2 * 10
        assert int(imports["inchangees"].sum()) > 0
    # what the six processes printed agrees with the journal (the preview made before the lock may differ)
    for proc, out, _ in results:
        if proc.returncode == 0:
            assert "Publiée : version n°" in out


def _tables(repo: versions.Repository) -> dict[str, pd.DataFrame]:
    with repo.connect() as con:
        return store.reference_tables(con)


# ------------------------------------------------------------------------------------------------ disk full


def test_a_full_disk_publishes_nothing_and_says_so(repo, rows, monkeypatch):
    before = {p.name: p.stat().st_size for p in repo.folder.iterdir()}
    pointer = repo.pointer.read_text()

    def full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(versions.DiskFullError) as refused:
        repo.import_measures(variant(rows, 1), "a.csv", "a" * 64, "Alice")
    text = str(refused.value)
    assert text.startswith("Disque plein") and "Rien n'a été modifié" in text and str(repo.folder) in text
    assert {p.name: p.stat().st_size for p in repo.folder.iterdir()} == before
    assert repo.pointer.read_text() == pointer


def test_duckdb_running_out_of_space_is_a_full_disk_too(repo, rows, monkeypatch):
    def full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise duckdb.IOException('IO Error: Could not write file "x.duckdb": No space left on device')

    monkeypatch.setattr(store, "insert_lot", full)
    with pytest.raises(versions.DiskFullError):
        repo.import_measures(variant(rows, 1), "a.csv", "a" * 64, "Alice")
    assert repo.current().number == 1
    assert not [p for p in repo.folder.iterdir() if p.name.startswith(versions.TEMP_PREFIX)]


def test_the_cli_says_disk_full_in_french_exit_1(repo, rows, tmp_path, monkeypatch, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes(exporting.to_csv_bytes(variant(rows, 1)))

    def full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    code = cli.main(["--store", str(repo.root), "import", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Disque plein" in err and "Erreur inattendue" not in err and "Traceback" not in err
    assert repo.current().number == 1


def test_the_cli_says_disk_full_even_outside_a_publication(repo, tmp_path, monkeypatch, capsys):
    def full(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(versions.Repository, "journal", full)
    code = cli.main(["--store", str(repo.root), "versions"])
    err = capsys.readouterr().err
    assert code == 1 and "disque plein" in err and "Erreur inattendue" not in err


# ------------------------------------------------------------------------------------------------ read-only


def _writable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_published_versions_are_read_only(repo, rows):
    first = repo.current()
    os.chmod(first.path, 0o644)  # a store published before this rule
    version = repo.import_measures(variant(rows, 1), "a.csv", "a" * 64, "Alice")
    assert stat.S_IMODE(version.path.stat().st_mode) == 0o444
    assert not _writable(first.path), "an older version is sealed at the next publication"
    with repo.connect(version) as con:  # readers still open it
        assert store.data_version(con).mesures > 0
    undone = repo.undo(int(repo.change_of(version).lots_ajoutes), "Bruno")
    assert stat.S_IMODE(undone.path.stat().st_mode) == 0o444
