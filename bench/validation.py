"""Benchmark of the data checks: time to read and validate a measures file of 100 000 and 1 000 000 rows, all
valid and with 10 % bad rows, and the time per row (constant when validation is linear).

    .venv/bin/python bench/validation.py                 # 100 000 and 1 000 000 rows (≈ 1-2 min on 2 cores)
    .venv/bin/python bench/validation.py --rows 20000 40000

Each measure is what `python -m observatoire check` does with data/demo/mesures.csv: the file is written to a
temporary folder, then read (`store.read_measures_csv`: decoding, CSV structure) and validated
(`store.validate_measures`: schema, codes against the shipped reference data, units, school years). Prints a
table; no assertion. Bad rows cycle through five kinds (text instead of a number, negative count, period out of
the configured school years, unknown niveau, infinite value); only the first 100 problems are kept, the others
are counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from observatoire import config, schema, store  # noqa: E402

BAD_KINDS = ("texte", "négatif", "période", "niveau", "infini")


def synthetic_measures(n: int, bad_share: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """`n` measures with distinct keys, valid against the shipped reference data, as read from a CSV (text);
    a share `bad_share` of them (spread evenly) made invalid. Returns (frame, number of bad rows)."""
    reference = store.read_reference(config.REFERENCE_DIR)
    tables, acad = reference.tables, reference.academie
    ind = tables["indicateurs"]
    annual = ind.loc[ind["granularite"] == "annuelle", ["id", "unite"]].reset_index(drop=True)
    first, last = (int(y[:4]) for y in acad.annees_valides)
    years = [f"{y}-{y + 1}" for y in range(first, last + 1)]
    territories = ([("academie", acad.code)] + [("departement", c) for c in tables["departements"]["code"]]
                   + [("bassin", c) for c in tables["bassins"]["code"]]
                   + [("laboratoire", c) for c in tables["laboratoires"]["code"]])
    niveaux = list(tables["niveaux"]["code"])
    themes = list(tables["thematiques"]["code"])
    publics = list(tables["publics"]["code"])
    sizes = [len(annual), len(years), len(territories), len(niveaux), len(themes), len(publics)]
    if n > int(np.prod(sizes)):
        raise ValueError(f"at most {int(np.prod(sizes))} distinct keys")
    rng = np.random.default_rng(seed)
    codes = rng.choice(int(np.prod(sizes)), size=n, replace=False)
    digits = []
    for size in reversed(sizes):
        digits.append(codes % size)
        codes = codes // size
    i_pub, i_theme, i_niv, i_terr, i_year, i_ind = digits
    unit = annual["unite"].to_numpy()[i_ind]
    values = np.where(unit == schema.RATE_UNIT, rng.uniform(0, 100, n).round(1), rng.integers(0, 100_000, n))
    territory = np.array(territories, dtype=object)
    frame = pd.DataFrame({
        "indicateur": annual["id"].to_numpy()[i_ind],
        "periode": np.array(years, dtype=object)[i_year],
        "territoire_type": territory[i_terr, 0],
        "territoire_code": territory[i_terr, 1],
        "niveau": np.array(niveaux, dtype=object)[i_niv],
        "thematique": np.array(themes, dtype=object)[i_theme],
        "public": np.array(publics, dtype=object)[i_pub],
        "valeur": pd.Series(values).astype(str).to_numpy(),
        "source": "illustratif",
    })
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


def check_file(path: Path, reference: store.Reference) -> tuple[int, int]:
    """What `check` does with a measures file; returns (problems counted, problems listed)."""
    try:
        store.validate_measures(store.read_measures_csv(path), reference.tables, reference.academie)
    except schema.ValidationError as err:
        return err.count, len(err.problems)
    return 0, 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--bad", type=float, default=0.10, help="share of bad rows (default 0.10)")
    args = parser.parse_args(argv)
    reference = store.read_reference(config.REFERENCE_DIR)
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
                print(f"{n:>10} {bad:>15} {f'{count} ({listed})':>22} {elapsed:>8.2f}s {per_row:>11.2f}",
                      flush=True)
    by_n = {}
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
