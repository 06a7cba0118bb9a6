"""Benchmark of the data checks: time to read and validate a measures file of 100 000 and 1 000 000 rows, all
valid and with 10 % bad rows, and the time per row (constant when validation is linear).

    .venv/bin/python bench/validation.py                 # 100 000 and 1 000 000 rows (≈ 1-2 min on 2 cores)
    .venv/bin/python bench/validation.py --rows 20000 40000

Each measure is what `python -m observatoire check` does with data/demo/mesures.csv: the file is written to a
temporary folder, then read (`reading.read_measures_csv`: decoding, CSV structure) and validated
(`checks.validate_measures`: schema, codes against the shipped reference data, units, school years). Prints a
table; no assertion. Bad rows cycle through five kinds (text instead of a number, negative count, period out of
the configured school years, unknown niveau, infinite value); only the first 100 problems are kept, the others
are counted.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from observatoire import checks, config, reading, schema  # noqa: E402

BAD_KINDS = ("texte", "négatif", "période", "niveau", "infini")


SCALE_YEARS = ("1960-1961", "2059-2060")
"""School years accepted by `scale_reference`: the shipped reference has about 330 000 distinct valid keys over
its 16 accepted years (indicators × declared territories and breakdowns); a century gives room for 1 000 000."""


def scale_reference() -> checks.Reference:
    """The shipped reference data, with the accepted school years widened to `SCALE_YEARS`."""
    reference = checks.read_reference(config.REFERENCE_DIR)
    return dataclasses.replace(
        reference, academie=dataclasses.replace(reference.academie, annees_valides=SCALE_YEARS)
    )


def synthetic_measures(n: int, bad_share: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """`n` measures with distinct keys, valid against `scale_reference()` (each indicator's declared
    territory types and breakdowns, its totals `tous`), as read from a CSV (text); a share `bad_share` of them
    (spread evenly) made invalid. Returns (frame, number of bad rows)."""
    reference = scale_reference()
    tables, acad = reference.tables, reference.academie
    ind = tables["indicateurs"]
    annual = ind.reset_index(drop=True)  # every indicator: school years, or months for a monthly one
    declared = checks.declarations(annual)
    first, last = (int(y[:4]) for y in acad.annees_valides)
    school_years = [f"{y}-{y + 1}" for y in range(first, last + 1)]
    months = [f"{y + (m < 9)}-{m:02d}" for y in range(first, last + 1) for m in (9, 10, 11, 12, *range(1, 9))]
    codes_of = {
        "academie": [acad.code],
        "departement": list(tables["departements"]["code"]),
        "bassin": list(tables["bassins"]["code"]),
        "laboratoire": list(tables["laboratoires"]["code"]),
    }
    # per indicator: the lists of allowed values of (period, territory, niveau, thématique, public)
    axes: list[list[Sequence[object]]] = []
    sizes: list[int] = []
    for ind_id, granularity in zip(annual["id"], annual["granularite"], strict=True):
        entry = declared[ind_id]
        years = months if granularity == "mensuelle" else school_years
        territory_types = entry["territoire_type"]
        assert territory_types is not None  # `declarations` always sets them; only the dimensions may be None
        territories = [(t, c) for t in sorted(territory_types) for c in codes_of[t]]
        dims = [[config.ALL, *sorted(entry[d] or ())] for d in ("niveau", "thematique", "public")]
        axes.append([years, territories, *dims])
        sizes.append(int(np.prod([len(a) for a in axes[-1]])))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    if n > starts[-1]:
        raise ValueError(f"at most {int(starts[-1])} distinct keys")
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(int(starts[-1]), size=n, replace=False))
    block = np.searchsorted(starts, picked, side="right") - 1
    columns: dict[str, np.ndarray] = {
        name: np.empty(n, dtype=object)
        for name in (
            "indicateur",
            "periode",
            "territoire_type",
            "territoire_code",
            "niveau",
            "thematique",
            "public",
        )
    }
    for i in np.unique(block):
        rows = np.flatnonzero(block == i)
        local = picked[rows] - starts[i]
        digits = []
        for axis in reversed(axes[i]):
            digits.append(local % len(axis))
            local = local // len(axis)
        i_pub, i_theme, i_niv, i_terr, i_year = digits
        territory = np.array(axes[i][1], dtype=object)
        columns["indicateur"][rows] = annual.at[i, "id"]
        columns["periode"][rows] = np.array(axes[i][0], dtype=object)[i_year]
        columns["territoire_type"][rows] = territory[i_terr, 0]
        columns["territoire_code"][rows] = territory[i_terr, 1]
        columns["niveau"][rows] = np.array(axes[i][2], dtype=object)[i_niv]
        columns["thematique"][rows] = np.array(axes[i][3], dtype=object)[i_theme]
        columns["public"][rows] = np.array(axes[i][4], dtype=object)[i_pub]
    unit = annual["unite"].to_numpy()[block]
    values = np.where(unit == schema.RATE_UNIT, rng.uniform(0, 100, n).round(1), rng.integers(0, 100_000, n))
    frame = pd.DataFrame(
        {
            **columns,
            "valeur": pd.Series(values).astype(str).to_numpy(),
            "origine": "illustratif",
            "source": "illustratif",
        }
    )
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # keys in no particular order
    bad = int(round(n * bad_share))
    if bad:
        rows = np.linspace(0, n - 1, bad).astype(int)
        kinds = np.arange(bad) % len(BAD_KINDS)
        frame.loc[rows[kinds == 0], "valeur"] = "beaucoup"
        frame.loc[rows[kinds == 1], "valeur"] = "-3"
        frame.loc[rows[kinds == 2], "periode"] = "2999-3000"
        frame.loc[rows[kinds == 3], "niveau"] = "maternelle"
        frame.loc[rows[kinds == 4], "valeur"] = "inf"
    return frame, bad


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")


def check_file(path: Path, reference: checks.Reference) -> tuple[int, int]:
    """What `check` does with a measures file; returns (problems counted, problems listed)."""
    try:
        checks.validate_measures(reading.read_measures_csv(path), reference.tables, reference.academie)
    except schema.ValidationError as err:
        return err.count, len(err.problems)
    return 0, 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--bad", type=float, default=0.10, help="share of bad rows (default 0.10)")
    args = parser.parse_args(argv)
    reference = scale_reference()
    print("Validation des mesures (lecture du fichier + contrôles, comme `python -m observatoire check`)")
    print(f"{'lignes':>10} {'lignes fausses':>15} {'problèmes (listés)':>22} {'durée':>9} {'µs / ligne':>11}")
    results = []
    with tempfile.TemporaryDirectory(prefix="observatoire-bench-") as tmp:
        for n in args.rows:
            for share in (0.0, args.bad):
                frame, bad = synthetic_measures(n, share)
                path = Path(tmp) / f"mesures-{n}-{bad}.csv"
                write_csv(frame, path)
                del frame
                start = time.perf_counter()
                count, listed = check_file(path, reference)
                elapsed = time.perf_counter() - start
                path.unlink()
                per_row = elapsed / n * 1e6
                results.append((n, bad, count, listed, elapsed, per_row))
                print(
                    f"{n:>10} {bad:>15} {f'{count} ({listed})':>22} {elapsed:>8.2f}s {per_row:>11.2f}", flush=True
                )
    by_n: dict[bool, list[tuple[int, float]]] = {}  # with bad rows or not → (rows, µs per row)
    for n, bad, *_, per_row in results:
        by_n.setdefault(bad > 0, []).append((n, per_row))
    for has_bad, rows in by_n.items():
        if len(rows) > 1:
            (n0, p0), (n1, p1) = rows[0], rows[-1]
            label = "avec lignes fausses" if has_bad else "valides"
            print(f"rapport du temps par ligne {n1} / {n0} ({label}) : {p1 / p0:.2f} (1 = linéaire)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
