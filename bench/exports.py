"""Benchmark of the séminaire exports: the PPTX (cold and warm), one PNG per chart, the map's PNG, the fiches PDF.

    .venv/bin/python bench/exports.py             # ≈ 1 min on 2 idle cores
    .venv/bin/python bench/exports.py --repeat 9

Measured on the demo data, in a temporary store folder (never var/), for the académie and for the Moselle:
- PPTX cold: `python -m observatoire presentation --output F.pptx` in a new process (interpreter, imports,
  Chromium started by kaleido, every slide's picture, the file written) — what a staff member waits for at the
  command line; median of 3;
- PPTX in a running process: `build_presentation` + `presentation_pptx`, first call of the process (renderer
  cold) then warm (median of `--repeat`): what « Télécharger la présentation (PPTX) » costs in the app;
- PNG: every chart of the Indicateurs view (`png.decorated` + `png.figure_png`, 1600×900) and the Carte's map
  (`views.carte.static_figure`): the first image of the process, then warm median and max over every chart;
- fiches: `build_bassin_fiche` / `build_lab_fiche` + `fiche_pdf` (with the map picture), warm median.
Prints the tables and writes artifacts/bench/exports.txt. No assertion: figures only. Other processes on the
machine change them (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import platform
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

from bench._server import table  # noqa: E402
from observatoire import published, versions  # noqa: E402
from observatoire.filters import Filters  # noqa: E402

YEAR = "2023-2024"
BASSIN, LAB = "57-forbach", "lab-forbach"
OUT_DIR = ROOT / "artifacts" / "bench"
SCOPES = {"académie": Filters(), "Moselle (57)": Filters(departements=("57",))}
T = TypeVar("T")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}".replace(",", " ") + " ms"


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _cold_cli(store: Path, scope: Filters, out: Path, repeat: int) -> list[float]:
    args = [sys.executable, "-m", "observatoire", "presentation", "--output", str(out)]
    for dep in scope.departements:
        args += ["--dep", dep]
    env = dict(os.environ, OBSERVATOIRE_STORE=str(store))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"presentation a échoué : {done.stdout}{done.stderr}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="répétitions à chaud (médiane)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="observatoire-bench-exports-") as tmp:
        store = Path(tmp) / "var"
        repo = versions.Repository(store)
        repo.ensure()
        print(
            f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, charge moyenne "
            f"{os.getloadavg()[0]:.1f} ; python {platform.python_version()}\n"
        )

        # --- in this process: the app's download buttons ------------------------------------------------
        from observatoire.exports import pdf, png, pptx
        from observatoire.views import carte, fiches
        from observatoire.views.indicators import build_indicators
        from observatoire.views.model import Figure
        from observatoire.views.presentation import build_presentation

        pptx_rows: list[list[object]] = []
        with repo.connect() as con:
            for name, scope in SCOPES.items():

                def deck(scope: Filters = scope) -> bytes:
                    return pptx.presentation_pptx(build_presentation(con, scope, url="http://127.0.0.1/"))

                first, data = _timed(deck)
                slides = len(build_presentation(con, scope).slides)
                warm = [_timed(deck)[0] for _ in range(args.repeat)]
                cold = _cold_cli(store, scope, Path(tmp) / "seminaire.pptx", 3)
                size = f"{len(data) / 1024:,.0f} Kio".replace(",", " ")
                pptx_rows.append(
                    [
                        name,
                        size,
                        _ms(statistics.median(cold)),
                        _ms(first) if not pptx_rows else "(moteur déjà démarré)",
                        _ms(statistics.median(warm)),
                    ]
                )
            png.shutdown_renderer()  # the PNG section starts with a cold renderer again

            png_rows: list[list[object]] = []
            for name, scope in SCOPES.items():
                view = build_indicators(con, scope, {"indicateur": "ent_visites"})
                images = [png.decorated(figure, view.context) for figure in view.figures]
                map_view = carte.build_carte(con, scope, {"indicateur": "ent_visites"})
                table_ = map_view.tables[0]  # as the page does: the map titled and sourced like its table
                map_figure = png.decorated(
                    Figure(
                        key="carte",
                        title=table_.title,
                        figure=carte.static_figure(
                            map_view.items.map,
                            published.geojson(con, "bassins"),
                            published.geojson(con, "departements"),
                        ),
                        alt=table_.title,
                        source=table_.source,
                        illustrative=table_.illustrative,
                    ),
                    map_view.context,
                )
                first_image: float | None = None  # the process's first image: only for the first scope
                if not png_rows:
                    first_image, _ = _timed(partial(png.figure_png, images[0]))
                charts = [_timed(partial(png.figure_png, f))[0] for f in images for _ in range(args.repeat)]
                maps = [_timed(partial(png.figure_png, map_figure))[0] for _ in range(args.repeat)]
                png_rows.append(
                    [
                        name,
                        len(images),
                        _ms(first_image) if first_image is not None else "—",
                        _ms(statistics.median(charts)),
                        _ms(max(charts)),
                        _ms(statistics.median(maps)),
                    ]
                )

            fiche_rows: list[list[object]] = []
            builders: tuple[tuple[str, Callable[[], fiches.Fiche]], ...] = (
                ("fiche bassin (Forbach)", lambda: fiches.build_bassin_fiche(con, BASSIN, YEAR, Filters())),
                ("fiche laboratoire (Forbach)", lambda: fiches.build_lab_fiche(con, LAB, YEAR)),
            )
            for label, build in builders:

                def fiche_pdf(build: Callable[[], fiches.Fiche] = build) -> bytes:
                    return pdf.fiche_pdf(build())

                times = [_timed(fiche_pdf)[0] for _ in range(args.repeat)]
                fiche_rows.append([label, _ms(statistics.median(times)), _ms(max(times))])
        png.shutdown_renderer()

    text = "\n".join(
        [
            table(
                f"Présentation PPTX ({slides} diapositives, images comprises)",
                [
                    "périmètre",
                    "taille",
                    "à froid (CLI, nouveau processus)",
                    "1er appel du processus",
                    "à chaud (médiane)",
                ],
                pptx_rows,
            ),
            table(
                "Images PNG 1600×900 (titre, filtres, source, badge illustratif)",
                [
                    "périmètre",
                    "graphiques",
                    "1re image du processus",
                    "graphique à chaud (médiane)",
                    "max",
                    "carte à chaud (médiane)",
                ],
                png_rows,
            ),
            table("Fiches PDF A4 paysage (avec la carte)", ["fiche", "médiane", "max"], fiche_rows),
        ]
    )
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "exports.txt").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
