"""A database held by another process (the running dashboard): commands fail without writing, the app keeps
serving what it has.

The holder is a real second process with a DuckDB read-only connection, as the dashboard has."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from observatoire import cli, store

ROOT = Path(__file__).resolve().parents[2]

_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM mesures").fetchone()
print("ouverte", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@contextmanager
def _held(path: Path) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ouverte"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


@pytest.fixture
def db(built_db, tmp_path) -> Path:
    path = tmp_path / "base.duckdb"
    shutil.copyfile(built_db, path)
    return path


@pytest.fixture
def changed_data(tmp_path) -> Path:
    """A copy of data/ whose reference data changed (so `init --if-needed` has something to write)."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "reference" / "thematiques.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("ent;ENT;", "ent;Espace numérique de travail;"),
                    encoding="utf-8")
    return data


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_full_init_under_a_running_app_is_refused(db, capsys):
    before = db.read_bytes()
    with _held(db):
        code, output = _run(capsys, ["--db", str(db), "init"])
    assert code == 1, output
    assert "utilisée par un autre processus" in output and str(db) in output
    assert "Traceback" not in output
    assert db.read_bytes() == before
    assert not Path(str(db) + ".tmp").exists()


def test_init_if_needed_that_cannot_update_fails(db, changed_data, capsys):
    before = db.read_bytes()
    with _held(db):
        code, output = _run(capsys, ["--db", str(db), "init", "--if-needed", "--data", str(changed_data)])
    assert code == 1, output
    assert "utilisée par un autre processus" in output
    assert "Base vérifiée" not in output and "Traceback" not in output
    assert db.read_bytes() == before
    # once the app is stopped, the same command does its job
    code, output = _run(capsys, ["--db", str(db), "init", "--if-needed", "--data", str(changed_data)])
    assert code == 0, output
    assert "Base actualisée" in output


def test_init_if_needed_with_nothing_to_do_succeeds_under_a_running_app(db, capsys):
    with _held(db):
        code, output = _run(capsys, ["--db", str(db), "init", "--if-needed"])
    assert code == 0, output
    assert "Base vérifiée (à jour)" in output


def test_init_if_needed_through_a_subprocess(db, changed_data):
    before = db.read_bytes()
    with _held(db):
        proc = subprocess.run([sys.executable, "-m", "observatoire", "--db", str(db), "init", "--if-needed",
                               "--data", str(changed_data)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "utilisée par un autre processus" in proc.stderr and "Traceback" not in proc.stderr
    assert db.read_bytes() == before


def test_ensure_raises_busy_but_the_app_can_keep_its_data(db, changed_data):
    reference, measures = changed_data / "reference", changed_data / "demo" / "mesures.csv"
    before = db.read_bytes()
    with _held(db):
        with pytest.raises(store.DatabaseBusyError, match="utilisée par un autre processus"):
            store.ensure(db, measures, reference)
        # the dashboard's way: keep serving the current database
        assert store.ensure(db, measures, reference, keep_current=True) == db
    assert db.read_bytes() == before


def test_ensure_keep_current_also_keeps_the_data_when_new_data_is_refused(db, changed_data):
    (changed_data / "demo" / "mesures.csv").write_text("", encoding="utf-8")
    reference, measures = changed_data / "reference", changed_data / "demo" / "mesures.csv"
    before = db.read_bytes()
    with pytest.raises(store.schema.ValidationError):
        store.ensure(db, measures, reference)
    assert store.ensure(db, measures, reference, keep_current=True) == db
    assert db.read_bytes() == before


def test_build_replaces_an_unreadable_file(tmp_path):
    path = tmp_path / "base.duckdb"
    path.write_bytes(b"pas une base DuckDB")
    version = store.build(path)
    with store.connect(path) as con:
        assert store.data_version(con) == version
