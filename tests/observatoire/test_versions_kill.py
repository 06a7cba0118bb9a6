"""kill -9 of a publication at any point leaves the store consistent: the previous version, or the new one
complete, never anything in between; the next write cleans the leftovers and succeeds.

A subprocess publishes a large import (120 000 rows: the demo measures repeated on shifted years) with
`Repository.import_measures`; it reports the phase it is entering (copy, transaction, commit + checkpoint,
check, fsync, rename, pointer) on its stdout as it goes. One full publication is timed first; then:
- 10 runs are SIGKILLed after delays drawn (fixed seed) inside each phase of that measured publication, from a
  few milliseconds to after its end;
- 6 runs kill themselves (SIGKILL) exactly at a phase boundary, the instants too short for a delay to hit
  (between the rename and the pointer, between the pointer's temporary file and its `os.replace`…).
After each run: the current version opens read-only and its CLI export equals, byte for byte, the export of
the previous version or the expected export of the new one; the next write succeeds and leaves no leftover.
Nothing here asserts a duration.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from observatoire import cli, schema, store, versions

ROOT = Path(__file__).resolve().parents[2]
ROWS = 120_000  # large enough for each phase to last tens of milliseconds, where the delays below land
SEED = 20260523

_PUBLISHER = r"""
import os, shutil, signal, sys, time
import pandas as pd
from observatoire import store, versions

frame = pd.read_parquet(sys.argv[1])
t0 = 0.0
die_at = ""

def mark(phase):
    print(f"{phase} {time.monotonic() - t0:.6f}", flush=True)
    if phase == die_at:
        os.kill(os.getpid(), signal.SIGKILL)

def wrap(owner, name, before, after=None, when=lambda *a, **k: True):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        hit = when(*args, **kwargs)
        if hit:
            mark(before)
        result = original(*args, **kwargs)
        if hit and after:
            mark(after)
        return result
    setattr(owner, name, wrapper)

wrap(shutil, "copyfile", "copie", "transaction")
wrap(store, "insert_lot", "insertion", "commit-checkpoint")
wrap(store, "connect", "verification", when=lambda path, read_only=True: read_only
     and os.path.basename(str(path)).startswith(versions.TEMP_PREFIX))
wrap(versions, "_fsync_file", "fsync")
wrap(os, "rename", "renommage", "renomme")
wrap(os, "replace", "pointeur", "pointe", when=lambda src, dst, **kw: str(dst).endswith(versions.POINTER))
print("pret", flush=True)
root, die_at = sys.stdin.readline().split()  # « ROOT PHASE »: publish in ROOT, kill ourselves at PHASE
t0 = time.monotonic()
versions.Repository(root).import_measures(frame, "gros.csv", "cd" * 32, "tests", (len(frame), 0, 0))
mark("publiee")
"""
PHASES = [
    "copie",
    "transaction",
    "insertion",
    "commit-checkpoint",
    "verification",
    "fsync",
    "renommage",
    "renomme",
    "pointeur",
    "pointe",
    "publiee",
]
SELF_KILLS = ["transaction", "commit-checkpoint", "verification", "renomme", "pointeur", "pointe"]


@dataclass
class Run:
    phases: dict[str, float]  # phase reached → seconds after the start of the publication
    returncode: int


@dataclass(frozen=True)
class Plan:
    label: str
    anchor: str = ""  # wait for this phase to start ("" : from the start), then
    delay: float | None = None  # sleep this long and SIGKILL (None: no kill from outside)
    die_at: str = "-"  # the publisher kills itself when reaching this phase


def _spawn(parquet: Path) -> subprocess.Popen:
    """A publisher with the frame loaded, waiting for its orders (started ahead: imports take a second)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", _PUBLISHER, str(parquet)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _run(proc: subprocess.Popen, root: Path, plan: Plan) -> Run:
    assert proc.stdout.readline().strip() == "pret"
    proc.stdin.write(f"{root} {plan.die_at}\n")
    proc.stdin.flush()
    lines = []
    if plan.delay is not None:
        while plan.anchor:  # the phase marks arrive as the publisher enters them
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.split()[0] == plan.anchor:
                break
        time.sleep(plan.delay)
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    phases = {}
    for line in [*lines, *out.splitlines()]:
        phase, seconds = line.split()
        phases[phase] = float(seconds)
    return Run(phases, proc.returncode)


def _shift_years(period: str, years: int) -> str:
    return re.sub(r"\d{4}", lambda m: str(int(m.group()) + years), period)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kill")


@pytest.fixture(scope="module")
def base(work) -> versions.Repository:
    repo = versions.Repository(work / "base")
    repo.init(author="tests")
    return repo


@pytest.fixture(scope="module")
def big_change(base, work) -> Path:
    """120 000 rows: the demo measures with other values, repeated on years shifted by 10, 20… (distinct keys)."""
    with base.connect() as con:
        demo = versions.active_measures(con)
    parts, copy = [], 0
    while sum(len(p) for p in parts) < ROWS:
        copy += 1
        part = demo.copy()
        part["periode"] = part["periode"].map(lambda p, k=copy: _shift_years(p, 10 * k))
        part["valeur"] = part["valeur"] * 0.5 + copy
        part["origine"] = "import"
        part["source"] = f"Import massif n° {copy}"
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True).iloc[:ROWS][schema.MEASURE_COLUMNS]
    assert not frame.duplicated(subset=list(schema.MEASURE_KEY)).any()
    path = work / "gros.parquet"
    frame.to_parquet(path)
    return path


def _export(root: Path, output: Path, capsys) -> bytes:
    code = cli.main(["--store", str(root), "export", "--output", str(output)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    data = output.read_bytes()
    output.unlink()
    return data


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _plans(phases: dict[str, float]) -> list[Plan]:
    """10 kills from outside at delays derived (fixed seed) from the measured publication — inside the copy, the
    transaction, the commit + checkpoint, the check, around the rename and the pointer, and after the expected
    end —, then the 6 self-kills."""
    rng = random.Random(SEED)

    def within(label: str, anchor: str, until: str, low: float, high: float) -> Plan:
        return Plan(label, anchor, rng.uniform(low, high) * max(0.0, phases[until] - phases[anchor]))

    plans = [
        Plan("dès le début", "", rng.uniform(0.001, 0.004)),
        within("pendant la copie", "copie", "transaction", 0.1, 0.9),
        within("début de transaction", "transaction", "commit-checkpoint", 0.05, 0.3),
        within("insertion du lot", "insertion", "commit-checkpoint", 0.3, 0.6),
        within("fin de l'insertion", "insertion", "commit-checkpoint", 0.6, 0.95),
        within("commit + checkpoint", "commit-checkpoint", "verification", 0.1, 0.5),
        within("fin du checkpoint", "commit-checkpoint", "verification", 0.5, 0.95),
        within("vérification", "verification", "fsync", 0.2, 0.8),
        within("fsync, renommage, pointeur", "fsync", "publiee", 0.0, 1.0),
        Plan("après la fin attendue", "", phases["publiee"] * rng.uniform(1.2, 1.5)),
    ]
    return plans + [Plan(f"auto-kill à « {phase} »", die_at=phase) for phase in SELF_KILLS]


def _check_after(
    root: Path, base: versions.Repository, expected: dict[int, str], small: pd.DataFrame, work: Path, capsys
) -> int:
    """The store after a killed publication: consistent, exportable, writable; returns the current number."""
    with base.connect() as con:
        base_rows = store.data_version(con).mesures
    repo = versions.Repository(root)
    current = repo.current()
    assert current.number in expected, current
    with repo.connect() as con:  # opens read-only and answers
        info = store.data_version(con)
    assert info.numero == current.number
    if current.number == 1:
        assert current.path.read_bytes() == base.current().path.read_bytes()
    else:
        row = repo.journal().iloc[0]
        assert (row["version"], row["type"], row["fichier"], row["lots_ajoutes"]) == (2, "import", "gros.csv", "2")
        assert info.mesures == base_rows + ROWS
    assert _digest(_export(root, work / "export.csv", capsys)) == expected[current.number]
    # the next write succeeds, with the next number, and leaves only published versions
    published = repo.import_measures(small, "petit.csv", "ef" * 32, "tests", (0, len(small), 0))
    assert published.number == current.number + 1 and repo.current() == published
    names = sorted(p.name for p in repo.folder.iterdir())
    assert names == sorted(v.path.name for v in repo.versions()), names
    assert not [n for n in names if n.startswith(versions.TEMP_PREFIX)]
    assert not list(root.glob("current.tmp-*"))
    return current.number


def test_kill_9_at_any_point_leaves_the_previous_or_the_new_version(base, big_change, work, capsys):
    # one full publication, timed phase by phase: the kills below are placed from it
    done = versions.Repository(work / "etalon")
    shutil.copytree(base.root, done.root)
    measured = _run(_spawn(big_change), done.root, Plan("étalon"))
    assert measured.returncode == 0 and list(measured.phases) == PHASES, measured
    assert done.current().number == 2
    with base.connect() as con:
        small = versions.active_measures(con).head(20).assign(valeur=lambda f: f["valeur"] * 0.5 + 0.125)
    expected = {
        1: _digest(_export(base.root, work / "export.csv", capsys)),
        2: _digest(_export(done.root, work / "export.csv", capsys)),
    }
    assert expected[1] != expected[2]

    plans = _plans(measured.phases)
    outcomes: list[tuple[str, str, int]] = []
    proc = _spawn(big_change)
    for number, plan in enumerate(plans):
        root = work / f"run-{number:02d}"
        shutil.copytree(base.root, root)
        run = _run(proc, root, plan)
        if number + 1 < len(plans):
            proc = _spawn(big_change)  # loads while this run is checked
        reached = max(run.phases, key=run.phases.get) if run.phases else "avant la copie"
        if plan.die_at != "-":
            assert run.returncode == -signal.SIGKILL and reached == plan.die_at, run
        current = _check_after(root, base, expected, small, work, capsys)
        if run.returncode == -signal.SIGKILL:
            # killed before its pointer replaced the old one: the old version; after: the new one (between the
            # two marks, microseconds around `os.replace`, either)
            if "pointe" in run.phases:
                assert current == 2, (plan, run)
            elif "pointeur" not in run.phases:
                assert current == 1, (plan, run)
        else:
            assert run.returncode == 0 and current == 2, (plan, run)
        outcomes.append((plan.label, reached, current))
        shutil.rmtree(root)

    assert len(outcomes) == 16
    assert {current for *_, current in outcomes} == {1, 2}  # both outcomes occurred (self-kills guarantee it)
    print(
        "\n".join(
            f"{label:35} dernière phase atteinte : {reached:18} → version {current}"
            for label, reached, current in outcomes
        )
    )
