"""How many indicators answer the niveau and thème filters (no timing, one table on stdout).

    .venv/bin/python bench/filters_coverage.py            # on a fresh database built from data/ (temporary)
    .venv/bin/python bench/filters_coverage.py --db PATH  # on an existing database (read only)
    .venv/bin/python bench/filters_coverage.py --details  # plus one line per indicator

    # the same measure on another commit (e.g. f17bafb, before the shared taxonomy and declared breakdowns):
    mkdir /tmp/before && git archive f17bafb | tar -x -C /tmp/before
    cp bench/filters_coverage.py /tmp/before/bench/ && .venv/bin/python /tmp/before/bench/filters_coverage.py

Results: f17bafb niveau 3/32, thème 0/32; with declared breakdowns and the thème taxonomy niveau 25/32,
thème 15/32.

For every indicator of the catalogue, the real query `queries.series(con, ind, Filters(niveaux=(n,)))` is run
for each niveau `n` (and `Filters(thematiques=(t,))` for each main thème `t`: the thèmes without a parent in
`thematiques.csv`, or the laboratory thèmes when the catalogue has no `parent` column, as before the shared
taxonomy) and compared with the unfiltered `queries.series(con, ind, Filters())`. An indicator « answers »
a dimension when, for at least one code, the result differs from the unfiltered one and the query does not
report that filter as not applicable (`Result.ignored`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from observatoire import queries, store, versions  # noqa: E402
from observatoire.filters import Filters  # noqa: E402

LAB_FAMILY = "Thématiques des laboratoires"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["periode", "groupe", "valeur"]
    if len(a) != len(b):
        return False
    left = a[cols].sort_values(cols[:2]).reset_index(drop=True)
    right = b[cols].sort_values(cols[:2]).reset_index(drop=True)
    return left.equals(right)


def main_themes(con) -> list[str]:
    frame = con.execute("SELECT * FROM thematiques").df()
    if "parent" in frame.columns:
        keep = frame["parent"].isna() | (frame["parent"].astype(str) == "")
    else:
        keep = frame["famille"] == LAB_FAMILY
    return sorted(c for c in frame.loc[keep, "code"] if c != "tous")


def coverage(con) -> tuple[dict[str, list[str]], dict[str, list[str]], int]:
    inds = [r[0] for r in con.execute("SELECT id FROM indicateurs ORDER BY id").fetchall()]
    niveaux = [
        r[0] for r in con.execute("SELECT code FROM niveaux WHERE code <> 'tous' ORDER BY ordre").fetchall()
    ]
    themes = main_themes(con)
    answers: dict[str, list[str]] = {"niveau": [], "thematique": []}
    detail: dict[str, list[str]] = {}
    for ind in inds:
        base = queries.series(con, ind, Filters()).data
        by_dimension: tuple[tuple[str, Callable[[str], Filters], list[str], str], ...] = (
            ("niveau", lambda code: Filters(niveaux=(code,)), niveaux, "Filtre niveau"),
            ("thematique", lambda code: Filters(thematiques=(code,)), themes, "Filtre thématique"),
        )
        for dim, only, codes, label in by_dimension:
            hits = []
            for code in codes:
                res = queries.series(con, ind, only(code))
                not_applicable = any(
                    note.startswith(label) and "ne s'applique pas" in note for note in res.ignored
                )
                if not not_applicable and not _same(res.data, base):
                    hits.append(code)
            detail.setdefault(ind, []).append(f"{dim}: {','.join(hits) or '—'}")
            if hits:
                answers[dim].append(ind)
    return answers, detail, len(inds)


def run(db: Path, details: bool) -> None:
    with store.connect(db) as con:
        answers, detail, total = coverage(con)
    if details:
        for ind, parts in detail.items():
            print(f"  {ind:28s} " + " | ".join(parts))
    print(f"niveau : {len(answers['niveau'])}/{total} indicateurs répondent")
    print(f"thème : {len(answers['thematique'])}/{total} indicateurs répondent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="base existante (sinon une version publiée depuis data/)")
    parser.add_argument("--details", action="store_true", help="une ligne par indicateur")
    args = parser.parse_args()
    if args.db:
        run(args.db, args.details)
        return
    with tempfile.TemporaryDirectory() as tmp:
        version = versions.Repository(Path(tmp) / "store").init(author="bench")
        run(version.path, args.details)


if __name__ == "__main__":
    main()
