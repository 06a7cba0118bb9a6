"""Benchmark of the published data versions (`observatoire.versions`): publish times, file sizes, undo, and the
time for the app to switch to a new version.

    .venv/bin/python bench/versions.py              # ≈ 2 min on 2 idle cores
    .venv/bin/python bench/versions.py --rows 300000 --repeat 3

Measured, in temporary store folders (never var/):
- publish: `init` of the demo data (data/, 59 745 measures); an import of the demo-sized change (every demo
  measure with another value); an import of 1 000 000 rows (synthetic valid measures, `bench/validation.py`):
  the publish only (`Repository.import_measures`), and read + validate (`importing.read_import`) then publish —
  the importer refuses a file over 20 Mo or 500 000 rows, so the 1 000 000-row figure is taken with those limits
  lifted (and the refusal printed); the largest file accepted is measured too;
- the size of each version file; undo (`Repository.undo`) of the demo-sized import and of the 1 000 000 rows;
- switch: a separate reader process does what `components.context` does on every rerun — one stat of the
  pointer, and when it changed: read it, open the new version read-only, first query `queries.kpis(con,
  Filters())`. Reruns are simulated every 50 ms; reported: from the pointer swap (`os.replace` in the writer) to
  the first answer on the new version, and the pure detection + open + query time.
Median of `--repeat` runs (5) where cheap, of 3 for the 1 000 000-row publish, one run for the 1 000 000-row read.
No assertion: figures only. Other processes on the machine change them (the load average is printed).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.validation import scale_reference, synthetic_measures  # noqa: E402
from observatoire import config, exporting, importing, schema, store, versions  # noqa: E402

RERUN = 0.05  # seconds between two simulated reruns of a session
T = TypeVar("T")
P = TypeVar("P")

_READER = r"""
import sys, time
from pathlib import Path
from observatoire import queries, versions
from observatoire.filters import Filters

repo = versions.Repository(Path(sys.argv[1]))
rerun = float(sys.argv[2])
stamp = repo.pointer_stamp()
with repo.connect() as con:
    queries.kpis(con, Filters())  # warm: the app has answered before
print("pret", flush=True)
while True:
    time.sleep(rerun)  # the next rerun of a session
    seen = repo.pointer_stamp()  # one stat per rerun
    if seen == stamp:
        continue
    detected = time.monotonic()
    stamp = seen
    version = repo.current()
    with repo.connect(version) as con:
        opened = time.monotonic()
        queries.kpis(con, Filters())
    answered = time.monotonic()
    print(f"{version.number} {detected:.6f} {opened:.6f} {answered:.6f}", flush=True)
"""


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{mem_kb / 1024 / 1024:.1f} Go"
    except (OSError, StopIteration, ValueError):
        ram = "?"
    return f"{os.cpu_count()} cœurs, {cpu}, RAM {ram}"


def load() -> str:
    try:
        return ", ".join(f"{v:.1f}".replace(".", ",") for v in os.getloadavg())
    except OSError:
        return "?"


def seconds(value: float) -> str:
    return f"{value:.3f}".replace(".", ",") + " s"


def megabytes(path: Path) -> str:
    return f"{path.stat().st_size / 1024 / 1024:.1f}".replace(".", ",") + " Mo"


def count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def median_of(repeat: int, prepare: Callable[[int], P], action: Callable[[P], object]) -> float:
    """Median duration of `action(prepare(i))` over `repeat` runs (the preparation is not timed)."""
    durations = []
    for i in range(repeat):
        durations.append(timed(partial(action, prepare(i)))[0])
    return statistics.median(durations)


def current(repo: versions.Repository) -> versions.Version:
    """The current version of a store this bench has just published to (init, import or undo)."""
    version = repo.current()
    assert version is not None, f"{repo.root} : aucune version publiée"  # every store here was published to
    return version


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str]] = []

    def add(self, what: str, value: str, note: str = "") -> None:
        self.rows.append((what, value, note))
        print(f"  {what:<84} {value:>9}  {note}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large import (1 000 000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the cheap measures (median)")
    args = parser.parse_args(argv)
    print("Versions publiées des données : publication, annulation, bascule de l'application")
    print(f"Machine : {machine()} ; charge moyenne (1, 5, 15 min) : {load()}")
    table = Table()
    with tempfile.TemporaryDirectory(prefix="observatoire-bench-versions-") as tmp:
        work = Path(tmp)

        def fresh(name: str, source: versions.Repository | None = None) -> versions.Repository:
            root = work / name
            shutil.rmtree(root, ignore_errors=True)
            if source is not None:
                shutil.copytree(source.root, root)
            return versions.Repository(root)

        # ---------------------------------------------------------------------------- init of the demo data
        init_time = median_of(args.repeat, lambda i: fresh(f"init-{i}"), lambda r: r.init(author="bench"))
        base = versions.Repository(work / "init-0")
        with base.connect() as con:
            demo = versions.active_measures(con)
            tables = store.reference_tables(con)
        table.add(
            f"init : publication des données de démonstration ({count(len(demo))} mesures)",
            seconds(init_time),
            f"médiane de {args.repeat}",
        )
        table.add("  taille de la version", megabytes(current(base).path))

        # ------------------------------------------------------------------------ demo-sized import and undo
        change = demo.copy()
        change["valeur"] = change["valeur"] * 0.5 + 0.125
        change["origine"] = "import"
        counts = (0, len(change), 0)
        demo_import = median_of(
            args.repeat,
            lambda i: fresh(f"imp-{i}", base),
            lambda r: r.import_measures(change, "bench.csv", "0" * 64, "bench", counts),
        )
        table.add(
            f"import de la taille de la démo ({count(len(change))} lignes) : publication seule",
            seconds(demo_import),
            f"médiane de {args.repeat}",
        )
        imported = versions.Repository(work / "imp-0")
        table.add("  taille de la version", megabytes(current(imported).path))
        csv = exporting.to_csv_bytes(change[schema.MEASURE_COLUMNS])
        read_demo = median_of(
            args.repeat,
            lambda i: None,
            lambda _: importing.read_import(csv, "bench.csv", tables, config.academie()),
        )
        size = f"{len(csv) / 1024 / 1024:.1f}".replace(".", ",")
        table.add(
            f"  lecture + validation (read_import, CSV de {size} Mo)",
            seconds(read_demo),
            f"médiane de {args.repeat}",
        )
        undo_demo = median_of(args.repeat, lambda i: fresh(f"undo-{i}", imported), lambda r: r.undo(2, "bench"))
        table.add(
            "annulation de cet import",
            seconds(undo_demo),
            f"médiane de {args.repeat} ; {undo_demo / demo_import:.2f} × l'import".replace(".", ","),
        )

        # --------------------------------------------------------------------------------- 1 000 000 rows
        frame, _ = synthetic_measures(args.rows)
        buffer = io.StringIO()
        frame.to_csv(buffer, sep=";", index=False)
        big_csv = buffer.getvalue().encode("utf-8")
        wide = scale_reference().academie  # accepted school years widened: a century gives room for 1 M keys
        try:
            importing.read_import(big_csv, "gros.csv", tables, wide)
            refusal = "accepté"
        except schema.ValidationError as err:
            refusal = str(err).splitlines()[-1][:110]
        print(
            f"  (read_import de {count(args.rows)} lignes, {len(big_csv) / 1024 / 1024:.0f} Mo, limites "
            f"normales : {refusal})",
            flush=True,
        )
        limits = importing.MAX_BYTES, importing.MAX_ROWS
        importing.MAX_BYTES, importing.MAX_ROWS = 1 << 40, 1 << 40
        try:
            read_big, incoming = timed(lambda: importing.read_import(big_csv, "gros.csv", tables, wide))
        finally:
            importing.MAX_BYTES, importing.MAX_ROWS = limits
        big = incoming.frame
        big_counts = (len(big), 0, 0)
        big_repeat = min(3, args.repeat)
        publish_big = median_of(
            big_repeat,
            lambda i: fresh(f"big-{i}", base),
            lambda r: r.import_measures(big, "gros.csv", incoming.sha256, "bench", big_counts),
        )
        table.add(
            f"import de {count(len(big))} lignes : publication seule",
            seconds(publish_big),
            f"médiane de {big_repeat} ; {publish_big / demo_import:.1f} × l'import démo".replace(".", ","),
        )
        table.add(
            f"import de {count(len(big))} lignes : lecture + validation (limites levées)",
            seconds(read_big),
            f"1 mesure ; CSV de {len(big_csv) / 1024 / 1024:.0f} Mo".replace(".", ","),
        )
        table.add(
            f"import de {count(len(big))} lignes : lecture + validation + publication",
            seconds(read_big + publish_big),
        )
        big_repo = versions.Repository(work / "big-0")
        table.add("  taille de la version", megabytes(current(big_repo).path))
        undo_big = median_of(big_repeat, lambda i: fresh(f"undo-big-{i}", big_repo), lambda r: r.undo(2, "bench"))
        table.add(
            f"annulation de l'import de {count(len(big))} lignes", seconds(undo_big), f"médiane de {big_repeat}"
        )

        # the largest file the importer accepts (20 Mo, 500 000 rows)
        per_row = len(exporting.to_csv_bytes(big.sample(5000, random_state=0))) / 5000
        n_max = min(importing.MAX_ROWS, int(importing.MAX_BYTES * 0.95 / per_row))
        limit_csv = exporting.to_csv_bytes(big.head(n_max))
        read_max, at_limit = timed(lambda: importing.read_import(limit_csv, "limite.csv", tables, wide))
        r = fresh("limite", base)
        publish_max, _ = timed(
            lambda: r.import_measures(at_limit.frame, "limite.csv", at_limit.sha256, "bench", (n_max, 0, 0))
        )
        table.add(
            f"plus gros fichier accepté ({count(n_max)} lignes, {len(limit_csv) / 1024 / 1024:.1f} Mo) : "
            "lecture + validation".replace(".", ","),
            seconds(read_max),
            "1 mesure",
        )
        table.add("  puis publication", seconds(publish_max), "1 mesure")

        # ------------------------------------------------------------------------------ switch of the app
        print(
            f"Bascule de l'application (lecteur séparé, une relance toutes les {int(RERUN * 1000)} ms)", flush=True
        )
        cases = (
            ("version de la taille de la démo", change, args.repeat),
            (f"version de {count(len(big))} lignes de plus", big, 1),
        )
        for number, (label, incoming_frame, runs) in enumerate(cases):
            repo = fresh(f"switch-{number}", base)
            rows = (0, len(incoming_frame), 0)
            totals, pure = [], []
            reader = subprocess.Popen(
                [sys.executable, "-c", _READER, str(repo.root), str(RERUN)],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert reader.stdout is not None  # opened with stdout=PIPE
            try:
                # not inside an assert: under `python -O` the readline would vanish with it
                ready = reader.stdout.readline().strip()
                if ready != "pret":
                    raise RuntimeError(f"lecteur : « pret » attendu, reçu {ready!r}")
                for _ in range(runs):
                    swapped: list[float] = []
                    original = os.replace

                    def replace(src, dst, *a, _original=original, _swapped=swapped, **k):
                        _original(src, dst, *a, **k)
                        if str(dst).endswith(versions.POINTER):
                            _swapped.append(time.monotonic())

                    os.replace = replace
                    try:
                        repo.import_measures(incoming_frame, "bench.csv", "0" * 64, "bench", rows)
                    finally:
                        os.replace = original
                    _, detected, _, answered = reader.stdout.readline().split()
                    totals.append(float(answered) - swapped[0])
                    pure.append(float(answered) - float(detected))
            finally:
                reader.kill()
                reader.wait()
            note = f"médiane de {len(totals)}" if len(totals) > 1 else "1 mesure"
            table.add(
                f"bascule vers une {label} : du pointeur à la 1re réponse",
                seconds(statistics.median(totals)),
                note,
            )
            table.add("  dont détection + ouverture + 1re requête (kpis)", seconds(statistics.median(pure)), note)
    print(f"Charge moyenne à la fin : {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
