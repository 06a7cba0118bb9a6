"""`python -m observatoire` in a subprocess: init, check, export (CSV / XLSX round-trip through the schema).

The commands run once per module (init first, then the others in parallel) to keep the suite fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from observatoire import checks, exporting, queries, schema, store, versions

ROOT = Path(__file__).resolve().parents[2]
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]
BROKEN_LINE = 1234  # file line of data/demo/mesures.csv broken in the copy (header = line 1)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def _start(args: list[str], root: Path) -> subprocess.Popen:
    env = {**os.environ, "OBSERVATOIRE_STORE": str(root), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "observatoire", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc: subprocess.Popen) -> Run:
    stdout, stderr = proc.communicate(timeout=180)
    return Run(proc.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def broken_data(work) -> Path:
    data = work / "data"
    shutil.copytree(ROOT / "data", data)
    path = data / "demo" / "mesures.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    cells = lines[BROKEN_LINE - 1].split(";")
    cells[header.index("valeur")] = "douze"
    lines[BROKEN_LINE - 1] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def runs(work, broken_data) -> dict[str, Run]:
    db = work / "store"
    results = {"init": _wait(_start(["init"], db))}
    commands = {
        "check": ["check"],
        "check_broken": ["check", "--data", str(broken_data)],
        "export_csv": ["export", "--output", str(work / "export" / "x.csv")],
        "export_xlsx": ["export", "--output", str(work / "x.xlsx"), "--format", "xlsx"],
        "export_pdf": ["export", "--output", str(work / "x.pdf")],
    }
    started = {name: _start(args, db) for name, args in commands.items()}
    results.update({name: _wait(proc) for name, proc in started.items()})
    return results


@pytest.fixture(scope="module")
def cli_db(work, runs) -> Path:
    """The file of the version `init` published."""
    return versions.Repository(work / "store").current().path


def test_init_publishes_the_first_version(runs, work, cli_db, raw_measures):
    init = runs["init"]
    assert init.returncode == 0, init.stderr
    assert "Données publiées : version n° 1 (000001-" in init.stdout
    assert str(work / "store") in init.stdout
    count = f"{len(raw_measures):,}".replace(",", "\u202f")
    assert f"{count} mesures actives dans 1 lot(s)" in init.stdout
    assert "Traceback" not in init.stderr
    with store.connect(cli_db) as con:
        assert store.data_version(con).mesures == len(raw_measures)


def test_check_accepts_the_repository_data(runs):
    check = runs["check"]
    assert check.returncode == 0, check.stdout + check.stderr
    assert "valides" in check.stdout


def test_check_reports_a_broken_row(runs):
    check = runs["check_broken"]
    assert check.returncode == 1
    assert "1 problème(s) trouvé(s)" in check.stdout
    assert f"ligne {BROKEN_LINE}, colonne « valeur » : nombre attendu (valeur « douze »)" in check.stdout
    assert "Traceback" not in check.stderr


def _assert_round_trip(path: Path, db: Path, reference_tables):
    back = checks.validate_measures(exporting.read_export(path), reference_tables)
    with store.connect(db) as con:
        stored = queries.all_measures(con)
    assert len(back) == len(stored)
    merged = stored.merge(back, on=KEY, how="outer", suffixes=("_db", "_export"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["valeur_db"] == merged["valeur_export"]).all()
    assert (merged["source_db"] == merged["source_export"]).all()
    assert (merged["origine_db"] == merged["origine_export"]).all()
    # values with decimals survive too (rates such as pix_taux_certification)
    assert (back["valeur"] % 1 != 0).any()


def test_export_csv_round_trip(runs, work, cli_db, reference_tables):
    export = runs["export_csv"]
    assert export.returncode == 0, export.stderr
    assert "mesures exportées" in export.stdout
    output = work / "export" / "x.csv"
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(schema.MEASURE_COLUMNS)
    assert "\r\n" not in text
    rates = [line.split(";") for line in text.splitlines()[1:] if line.startswith("pix_taux_certification;")]
    assert rates and any("," in cells[7] for cells in rates)  # decimal comma
    assert all(len(cells) == len(schema.MEASURE_COLUMNS) for cells in rates)
    _assert_round_trip(output, cli_db, reference_tables)


def test_export_xlsx_round_trip(runs, work, cli_db, reference_tables):
    export = runs["export_xlsx"]
    assert export.returncode == 0, export.stderr
    output = work / "x.xlsx"
    assert output.read_bytes().startswith(b"PK")  # a zip container
    _assert_round_trip(output, cli_db, reference_tables)


def test_export_unknown_format(runs, work):
    export = runs["export_pdf"]
    assert export.returncode == 1
    assert "Format inconnu" in export.stderr and "« pdf »" in export.stderr
    assert "Traceback" not in export.stderr
    assert not (work / "x.pdf").exists()


def test_export_in_process_unknown_format(tmp_path):
    frame = pd.DataFrame([dict.fromkeys(schema.MEASURE_COLUMNS, "x")])
    with pytest.raises(ValueError, match="Format inconnu"):
        exporting.export_measures(frame, tmp_path / "x.ods")
    assert not (tmp_path / "x.ods").exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["nope"], "choix invalide : 'nope'"),
        (["export"], "arguments obligatoires manquants : --output"),
        (["check", "--inconnu"], "arguments non reconnus : --inconnu"),
    ],
)
def test_usage_errors_are_in_french(argv, expected):
    run = subprocess.run(
        [sys.executable, "-m", "observatoire", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert expected in run.stderr and "utilisation : " in run.stderr
    assert "usage:" not in run.stderr and "error:" not in run.stderr and "Traceback" not in run.stderr


def test_timings_use_a_decimal_comma(runs):
    assert re.search(r"vérifiées en \d+,\d\d\u00a0s\)", runs["check"].stdout), runs["check"].stdout
