"""Generate the demo measures `data/demo/mesures.csv` (deterministic).

Inputs
- `data/demo/chiffres_bilan.csv`: the figures of the bilan DRANE 2023-2024 (exact, `origine = bilan`), and the
  values the bilan gives as a ratio or a difference (« 4 fois plus », « 80 % en moins », a total minus its
  detailed parts → `origine = deduit`, the computation in `source`).
- `data/reference/`: the catalogue of indicators, whose columns `territoires`, `niveaux`, `thematiques` and
  `publics` declare every breakdown of an indicator; bassins (population) and laboratories (opening year,
  niveaux and thèmes).

Every indicator gets exactly the breakdowns its catalogue row declares, and no other: one row per declared
territory, per code of each declared dimension (and their crossings), plus the `tous` rows.

How (every generated value has `origine = illustratif`, `source = illustratif`)
- Other school years: a per-indicator yearly trend applied to the nearest known year.
- Finest cells: the bilan's own detail where it gives one (GAR by niveau, accompaniment hours by thème and
  public, ENT visits by public…). When the bilan gives a total larger than the sum of its detailed parts
  (ENT publics, planetarium niveaux), the difference is kept as a hidden remainder so that every total stays
  the bilan's figure and every additive breakdown adds up.
- Declared dimensions the bilan does not detail: each cell is spread over their codes (stable per-indicator
  weights, largest-remainder rounding: the parts add up exactly).
- Territories: each finest académie value is allocated to départements by population (with a stable
  per-indicator variation), then to bassins; the laboratories' indicators are allocated to the labs open that
  year and split between each lab's own niveaux and thèmes, then summed per bassin and département.
- Totals (`tous` rows) are sums of the parts at every territory (`deduit` when all their parts come from the
  bilan), except the bilan's own figures, which are kept. `labo_nombre` counts labs: a lab counts once in
  each of its niveaux and thèmes (overlapping parts, catalogue column `recouvrement`). Rates (`moyenne`) get
  illustrative per-niveau and per-territory variations around the académie value.
- The ENT: annual values spread over September–August with a school-year rhythm (the months add up to the
  year), allocated to territories month by month; the annual territory values are the sums of their months.

Run: `python scripts/generate_demo_data.py` (writes the file, prints a summary).
"""

from __future__ import annotations

import itertools
import json
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from observatoire import config  # noqa: E402
from observatoire.schema import MEASURE_COLUMNS, school_year_of  # noqa: E402

ALL = config.ALL
ILL = config.ILLUSTRATIVE
FACTS = config.DEMO_DIR / "chiffres_bilan.csv"
LAB_INDICATORS_PREFIX = "labo_"
DIMS = ("niveau", "thematique", "public")
DIM_COLUMNS = {"niveau": "niveaux", "thematique": "thematiques", "public": "publics"}
REST = "_reste"  # hidden remainder code: total given by the bilan minus its detailed parts (never written)
# Rhythm of ENT visits over a school year, September → August (relative weights).
MONTH_WEIGHTS = [1.30, 1.10, 1.05, 0.85, 1.10, 0.85, 1.10, 0.80, 0.95, 0.85, 0.12, 0.08]
MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
SUM_NOTE = "Déduit du bilan DRANE 2023-2024 (somme des valeurs détaillées)"
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", *DIMS]


def rng_for(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode()))


def allocate(total: float, weights: list[float]) -> list[int]:
    """Largest-remainder rounding: integers proportional to `weights` that add up exactly to `total`."""
    total_int = int(round(total))
    if abs(total - total_int) > 1e-9:
        raise ValueError(f"allocation d'une valeur non entière : {total}")
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        w = np.ones_like(w)
    quotas = total_int * w / w.sum()
    floors = np.floor(quotas).astype(int)
    rest = total_int - int(floors.sum())
    order = sorted(range(len(w)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:rest]:
        floors[i] += 1
    return [int(v) for v in floors]


def round_half_up(value: float) -> int:
    return int(np.floor(value + 0.5))


def load_inputs() -> dict:
    ref = config.REFERENCE_DIR
    indicators = pd.read_csv(ref / "indicateurs.csv", sep=";", dtype=str, keep_default_na=False).set_index("id")
    bassins_geo = json.loads((ref / "bassins.geojson").read_text(encoding="utf-8"))
    bassins = pd.DataFrame([f["properties"] for f in bassins_geo["features"]])
    bassins["population"] = bassins["population"].astype(int)
    bassins = bassins.sort_values("code").reset_index(drop=True)
    labs = pd.read_csv(ref / "laboratoires.csv", sep=";", dtype=str)
    labs["ouverture"] = labs["ouverture"].astype(int)
    labs = labs.sort_values("code").reset_index(drop=True)
    facts = pd.read_csv(FACTS, sep=";", dtype=str, keep_default_na=False)
    facts["valeur"] = facts["valeur"].astype(float)
    return {
        "indicators": indicators,
        "bassins": bassins,
        "labs": labs,
        "facts": facts,
        "academie": config.academie(),
    }


def declared(meta: pd.Series) -> dict[str, list[str]]:
    """Declared codes of each detailed dimension of an indicator (catalogue: niveaux, thematiques, publics)."""
    out = {}
    for dim, column in DIM_COLUMNS.items():
        value = str(meta[column]).strip()
        if value and value != "non":
            out[dim] = value.split("|")
    return out


def _level(combo: tuple[str, str, str]) -> frozenset[str]:
    return frozenset(d for d, c in zip(DIMS, combo, strict=True) if c != ALL)


# ------------------------------------------------------------------------------------------- académie cells


def known_cells(ind: str, meta: pd.Series, inp: dict) -> dict[str, dict[tuple, tuple[float, str, str]]]:
    """Per school year: combo (niveau, thematique, public) → (value, source, origine), from the bilan facts and
    a yearly trend for the years the bilan does not give."""
    years = list(inp["academie"].annees)
    facts = inp["facts"]
    f = facts[facts["indicateur"] == ind]
    if f.empty:
        raise SystemExit(f"Aucun chiffre du bilan pour l'indicateur {ind}")
    combos = sorted({(r.niveau, r.thematique, r.public) for r in f.itertuples()})
    known = {
        (r.niveau, r.thematique, r.public, r.periode): (r.valeur, r.source, r.origine) for r in f.itertuples()
    }
    rng = rng_for("trend", ind)
    growth = float(rng.uniform(1.04, 1.22))
    factor = {y: float(rng.uniform(0.97, 1.03)) for y in years}
    out: dict[str, dict[tuple, tuple[float, str, str]]] = {y: {} for y in years}
    for combo in combos:
        known_years = [y for y in years if (*combo, y) in known]
        for y in years:
            if (*combo, y) in known:
                out[y][combo] = known[(*combo, y)]
            else:
                value = _trend_value(combo, y, years, known, known_years, growth, factor, meta)
                out[y][combo] = (value, ILL, "illustratif")
    return out


def _trend_value(combo, year, years, known, known_years, growth, factor, meta) -> float:
    idx = years.index(year)
    before = [k for k in known_years if years.index(k) < idx]
    after = [k for k in known_years if years.index(k) > idx]
    if before and after:  # geometric interpolation between two known years
        a, b = before[-1], after[0]
        va, vb = known[(*combo, a)][0], known[(*combo, b)][0]
        t = (idx - years.index(a)) / (years.index(b) - years.index(a))
        value = va * (vb / va) ** t if va > 0 and vb > 0 else va + (vb - va) * t
    else:
        anchor = (after or before)[0] if after else before[-1]
        steps = idx - years.index(anchor)
        value = known[(*combo, anchor)][0] * growth**steps * factor[year]
    if meta["unite"] == "%":
        return float(min(100.0, round(value, 1)))
    return float(max(0, round_half_up(value)))


def _weight(ind: str, dim: str, code: str, year: str, *scope: object) -> float:
    return float(rng_for("w", ind, dim, code, *scope).uniform(0.5, 1.5)) * float(
        rng_for("w", ind, dim, code, year, *scope).uniform(0.95, 1.05)
    )


def _spread(
    ind: str,
    year: str,
    combo: tuple,
    value: float,
    source: str,
    origine: str,
    codes: dict[str, list[str]],
    scope: tuple = (),
) -> list[dict]:
    """Spread one cell over the crossing of `codes` (dimensions not fixed in `combo`). A single target keeps
    the cell's source and origin (same value); otherwise the parts are illustrative."""
    dims = [d for d in DIMS if d in codes]
    targets = list(itertools.product(*[codes[d] for d in dims]))
    rows = []
    values: Sequence[float]
    if len(targets) == 1:
        values, src, org = [value], source, origine
    else:
        weights = [
            float(np.prod([_weight(ind, d, c, year, *scope) for d, c in zip(dims, t, strict=True)]))
            for t in targets
        ]
        values, src, org = allocate(value, weights), ILL, "illustratif"
    for target, v in zip(targets, values, strict=True):
        full = dict(zip(DIMS, combo, strict=True))
        full.update(zip(dims, target, strict=True))
        rows.append({**full, "valeur": float(v), "source": src, "origine": org})
    return rows


def academie_leaves(ind: str, meta: pd.Series, inp: dict) -> tuple[pd.DataFrame, dict]:
    """Finest académie rows (crossing of the declared dimensions, hidden remainders included) per school year,
    and the cells (bilan facts and trends) that must be kept as they are."""
    decl = declared(meta)
    cells = known_cells(ind, meta, inp)
    rows = []
    for year, year_cells in cells.items():
        levels = {_level(c) for c in year_cells}
        finest = max(levels, key=len)
        for combo in year_cells:
            if not _level(combo) <= finest or not finest <= set(decl):
                raise SystemExit(f"{ind} : chiffres du bilan incompatibles avec les dimensions déclarées")
        parts = {c: v for c, v in year_cells.items() if _level(c) == finest}
        # totals larger than their detailed parts: the difference becomes a hidden remainder cell
        for combo, (value, _source, _origine) in year_cells.items():
            if _level(combo) == finest:
                continue
            free = [d for d in DIMS if d in finest and d not in _level(combo)]
            covered = sum(
                v[0]
                for c, v in parts.items()
                if all(c[i] == combo[i] for i, d in enumerate(DIMS) if d not in free)
            )
            rest = value - covered
            if rest < 0:
                raise SystemExit(f"{ind} {year} : parts supérieures au total {combo}")
            if rest > 0 and meta["agregation"] == "somme":
                rest_combo = tuple(REST if d in free else combo[i] for i, d in enumerate(DIMS))
                parts[rest_combo] = (rest, "Déduit du bilan (total moins les parts détaillées)", "deduit")
        others = {d: decl[d] for d in decl if d not in finest}
        for combo, (value, source, origine) in parts.items():
            if meta["agregation"] != "somme":
                continue
            for row in _spread(ind, year, combo, value, source, origine, others):
                rows.append({"indicateur": ind, "periode": year, **row})
    return pd.DataFrame(rows), cells


# ----------------------------------------------------------------------------------------- generalisation


def generalise(leaves: pd.DataFrame, how: str = "sum") -> pd.DataFrame:
    """Every `tous` row above `leaves` (one territory level at a time is not required: territories are part of
    the key). `how = "max"` counts a laboratory once in a total over overlapping parts (labo_nombre).

    Origin of a total: the origin and source of its single part, else `illustratif` if any part is, else
    `deduit` (sum of bilan figures)."""
    if leaves.empty:
        return leaves
    frames = []
    for mask in range(8):
        g = leaves.copy()
        for i, d in enumerate(DIMS):
            if (mask >> i) & 1:
                g[d] = ALL
        g["_ill"] = g["origine"] == "illustratif"
        agg = g.groupby(KEY, as_index=False, sort=False).agg(
            valeur=("valeur", how),
            n=("valeur", "size"),
            ill=("_ill", "any"),
            origine=("origine", "first"),
            source=("source", "first"),
        )
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True).drop_duplicates(KEY, keep="first")
    many = out["n"] > 1
    out.loc[many & out["ill"], ["origine", "source"]] = ["illustratif", ILL]
    out.loc[many & ~out["ill"], ["origine", "source"]] = ["deduit", SUM_NOTE]
    return out.drop(columns=["n", "ill"]).reset_index(drop=True)


def keep_cells(frame: pd.DataFrame, cells_by_ind: dict[str, dict], academie: str, check: bool = True) -> None:
    """At académie level, the cells (bilan figures and trends) keep their own source and origin (in place)."""
    index = {
        k: i
        for i, k in enumerate(
            zip(
                frame["indicateur"],
                frame["periode"],
                frame["territoire_type"],
                frame["niveau"],
                frame["thematique"],
                frame["public"],
            )
        )
    }
    for ind, cells in cells_by_ind.items():
        for year, year_cells in cells.items():
            for combo, (value, source, origine) in year_cells.items():
                i = index.get((ind, year, "academie", *combo))
                if i is None:
                    raise SystemExit(f"{ind} {year} {combo} : chiffre absent des mesures générées")
                if check and abs(frame.at[i, "valeur"] - value) > 1e-6:
                    raise SystemExit(f"{ind} {year} {combo} : {frame.at[i, 'valeur']} généré, {value} attendu")
                frame.at[i, "valeur"] = value
                frame.at[i, "source"] = source
                frame.at[i, "origine"] = origine


# ------------------------------------------------------------------------------------------- territories


def territorial_leaves(acad_leaves: pd.DataFrame, inp: dict) -> pd.DataFrame:
    """Département and bassin rows for every finest académie row, summing exactly to it."""
    bassins = inp["bassins"]
    deps = sorted(bassins["departement"].unique())
    dep_pop = bassins.groupby("departement")["population"].sum()
    members = {d: bassins[bassins["departement"] == d] for d in deps}
    out = []
    for r in acad_leaves.itertuples(index=False):
        ind, codes = r.indicateur, (r.niveau, r.thematique, r.public)
        base = {
            "indicateur": ind,
            "periode": r.periode,
            "niveau": r.niveau,
            "thematique": r.thematique,
            "public": r.public,
            "source": ILL,
            "origine": "illustratif",
        }
        dep_w = [
            dep_pop[d]
            * rng_for("dep", ind, d).uniform(0.8, 1.2)
            * rng_for("dep", ind, d, r.periode).uniform(0.97, 1.03)
            * rng_for("dep", ind, d, *codes).uniform(0.85, 1.15)
            for d in deps
        ]
        for d, dep_value in zip(deps, allocate(r.valeur, dep_w), strict=True):
            out.append(
                {**base, "territoire_type": "departement", "territoire_code": d, "valeur": float(dep_value)}
            )
            m = members[d]
            w = [
                p
                * rng_for("bassin", ind, b).uniform(0.75, 1.25)
                * rng_for("bassin", ind, b, r.periode).uniform(0.96, 1.04)
                * rng_for("bassin", ind, b, *codes).uniform(0.9, 1.1)
                for b, p in zip(m["code"], m["population"], strict=True)
            ]
            for b, value in zip(m["code"], allocate(dep_value, w), strict=True):
                out.append({**base, "territoire_type": "bassin", "territoire_code": b, "valeur": float(value)})
    return pd.DataFrame(out)


def _academie(frame: pd.DataFrame, inp: dict) -> pd.DataFrame:
    return frame.assign(territoire_type="academie", territoire_code=inp["academie"].code)


def additive_rows(ind: str, meta: pd.Series, inp: dict, cells_by_ind: dict) -> pd.DataFrame:
    leaves, cells = academie_leaves(ind, meta, inp)
    cells_by_ind[ind] = cells
    acad = _academie(leaves, inp)
    lower = territorial_leaves(leaves, inp)
    return pd.concat([generalise(acad), generalise(lower)], ignore_index=True)


def rate_rows(ind: str, meta: pd.Series, inp: dict, cells_by_ind: dict) -> pd.DataFrame:
    """Rates (`moyenne`): the académie value, illustrative per-niveau values and per-territory variations."""
    decl = declared(meta)
    cells = known_cells(ind, meta, inp)
    cells_by_ind[ind] = cells
    acad = []
    for year, year_cells in cells.items():
        value, source, origine = year_cells[(ALL, ALL, ALL)]
        acad.append(
            {
                "indicateur": ind,
                "periode": year,
                "niveau": ALL,
                "thematique": ALL,
                "public": ALL,
                "valeur": value,
                "source": source,
                "origine": origine,
            }
        )
        for combo in itertools.product(*[decl.get(d, [ALL]) for d in DIMS]):
            if combo == (ALL, ALL, ALL):
                continue
            noise = rng_for("taux", ind, *combo).uniform(-0.03, 0.015) + rng_for(
                "taux", ind, year, *combo
            ).uniform(-0.005, 0.005)
            acad.append(
                {
                    "indicateur": ind,
                    "periode": year,
                    **dict(zip(DIMS, combo, strict=True)),
                    "valeur": float(min(100.0, round(value * (1 + noise), 1))),
                    "source": ILL,
                    "origine": "illustratif",
                }
            )
    acad_frame = _academie(pd.DataFrame(acad), inp)
    bassins = inp["bassins"]
    out = []
    for r in acad_frame.itertuples(index=False):
        for ttype, codes in (
            ("departement", sorted(bassins["departement"].unique())),
            ("bassin", list(bassins["code"])),
        ):
            for code in codes:
                noise = rng_for("moy", ind, r.periode, code, r.niveau).uniform(-0.025, 0.025)
                out.append(
                    {
                        "indicateur": ind,
                        "periode": r.periode,
                        "territoire_type": ttype,
                        "territoire_code": code,
                        "niveau": r.niveau,
                        "thematique": r.thematique,
                        "public": r.public,
                        "valeur": float(min(100.0, round(r.valeur * (1 + noise), 1))),
                        "source": ILL,
                        "origine": "illustratif",
                    }
                )
    return pd.concat([acad_frame, pd.DataFrame(out)], ignore_index=True)


def _full_keys(decl: dict[str, list[str]]) -> list[tuple[str, ...]]:
    return list(itertools.product(*[[*decl[d], ALL] if d in decl else [ALL] for d in DIMS]))


def lab_rows(ind: str, meta: pd.Series, inp: dict, cells_by_ind: dict) -> pd.DataFrame:
    """Laboratories' indicators: académie value → open labs → each lab's own niveaux × thèmes; territories
    are sums of their labs (every bassin and département present, 0 without a lab)."""
    decl = declared(meta)
    cells = known_cells(ind, meta, inp)
    cells_by_ind[ind] = cells
    labs = inp["labs"]
    count = ind == "labo_nombre"
    leaves = []
    for year, year_cells in cells.items():
        total = year_cells[(ALL, ALL, ALL)][0]
        open_labs = labs[labs["ouverture"] <= int(year[:4])]
        if count:
            if year_cells[(ALL, ALL, ALL)][2] == "illustratif":  # the years the bilan does not give
                total = float(len(open_labs))
                year_cells[(ALL, ALL, ALL)] = (total, ILL, "illustratif")
            if len(open_labs) != int(total):
                raise SystemExit(
                    f"labo_nombre {year} : {len(open_labs)} laboratoires ouverts d'après "
                    f"laboratoires.csv, le bilan en compte {int(total)}"
                )
            lab_values = dict.fromkeys(open_labs["code"], 1)
        else:
            weights = [rng_for("lab", ind, c).lognormal(0, 0.35) for c in open_labs["code"]]
            lab_values = dict(zip(open_labs["code"], allocate(total, weights), strict=True))
        for lab in open_labs.itertuples(index=False):
            own = {}
            for dim, column in (("niveau", "niveaux"), ("thematique", "thematiques")):
                if dim in decl:
                    own[dim] = [c for c in getattr(lab, column).split("|") if c in decl[dim]]
                    if not own[dim]:
                        raise SystemExit(f"{ind} : le laboratoire {lab.code} n'a aucun des codes déclarés ({dim})")
            value = lab_values[lab.code]
            if count:
                targets = itertools.product(*[own.get(d, [ALL]) for d in DIMS])
                rows = [
                    {**dict(zip(DIMS, t, strict=True)), "valeur": 1.0, "source": ILL, "origine": "illustratif"}
                    for t in targets
                ]
            else:
                rows = _spread(ind, year, (ALL, ALL, ALL), value, ILL, "illustratif", own, scope=(lab.code,))
            for row in rows:
                leaves.append(
                    {
                        "indicateur": ind,
                        "periode": year,
                        "territoire_type": "laboratoire",
                        "territoire_code": lab.code,
                        **row,
                    }
                )
    per_lab = generalise(pd.DataFrame(leaves), how="max" if count else "sum")
    lab_bassin = dict(zip(labs["code"], labs["bassin"], strict=True))
    bassins = inp["bassins"]
    dep_of = dict(zip(bassins["code"], bassins["departement"], strict=True))
    keys = _full_keys(decl)
    years = list(cells)
    frames = [per_lab]
    lab_frame = per_lab.assign(bassin=per_lab["territoire_code"].map(lab_bassin))
    lab_frame["departement"] = lab_frame["bassin"].map(dep_of)
    lab_frame["academie"] = inp["academie"].code
    for ttype, column, codes in (
        ("bassin", "bassin", list(bassins["code"])),
        ("departement", "departement", sorted(set(dep_of.values()))),
        ("academie", "academie", [inp["academie"].code]),
    ):
        sums = lab_frame.groupby([column, "periode", *DIMS])["valeur"].sum()
        full = pd.MultiIndex.from_tuples(
            [(c, y, *k) for c in codes for y in years for k in keys], names=[column, "periode", *DIMS]
        )
        sums = sums.reindex(full, fill_value=0.0).reset_index()
        frames.append(
            sums.rename(columns={column: "territoire_code"}).assign(
                indicateur=ind, territoire_type=ttype, source=ILL, origine="illustratif"
            )
        )
    return pd.concat(frames, ignore_index=True)


def ent_rows(inp: dict, cells_by_ind: dict) -> pd.DataFrame:
    """ENT visits: annual académie values by public (with the hidden remainder), spread over the months, each
    month allocated to territories; the annual territory values are the sums of their months."""
    meta = inp["indicators"].loc["ent_visites"]
    leaves, cells = academie_leaves("ent_visites", meta, inp)
    cells_by_ind["ent_visites"] = cells
    monthly = []
    for r in leaves.itertuples(index=False):
        rng = rng_for("mois", r.periode, r.public)
        weights = [w * rng.uniform(0.94, 1.06) for w in MONTH_WEIGHTS]
        start = int(r.periode[:4])
        for month, value in zip(MONTHS, allocate(r.valeur, weights), strict=True):
            year = start if month >= 9 else start + 1
            monthly.append(
                {
                    "indicateur": "ent_visites_mois",
                    "periode": f"{year}-{month:02d}",
                    "niveau": r.niveau,
                    "thematique": r.thematique,
                    "public": r.public,
                    "valeur": float(value),
                    "source": ILL,
                    "origine": "illustratif",
                }
            )
    monthly = pd.DataFrame(monthly)
    monthly_lower = territorial_leaves(monthly, inp)
    annual_lower = monthly_lower.assign(
        periode=monthly_lower["periode"].map(school_year_of), indicateur="ent_visites"
    )
    annual_lower = annual_lower.groupby(
        ["indicateur", "periode", "territoire_type", "territoire_code", *DIMS, "source", "origine"], as_index=False
    )["valeur"].sum()
    parts = [_academie(leaves, inp), _academie(monthly, inp), monthly_lower, annual_lower]
    return pd.concat([generalise(p) for p in parts], ignore_index=True)


def generate() -> pd.DataFrame:
    inp = load_inputs()
    cells_by_ind: dict[str, dict] = {}
    frames = [ent_rows(inp, cells_by_ind)]
    for ind, meta in inp["indicators"].iterrows():
        if ind in ("ent_visites", "ent_visites_mois"):
            continue
        if meta["granularite"] != "annuelle":
            raise SystemExit(f"{ind} : granularité {meta['granularite']} non prise en charge par le générateur")
        if meta["agregation"] != "somme":
            frames.append(rate_rows(ind, meta, inp, cells_by_ind))
        elif ind.startswith(LAB_INDICATORS_PREFIX):
            frames.append(lab_rows(ind, meta, inp, cells_by_ind))
        else:
            frames.append(additive_rows(ind, meta, inp, cells_by_ind))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame[~(frame[list(DIMS)] == REST).any(axis=1)].reset_index(drop=True)
    keep_cells(frame, cells_by_ind, inp["academie"].code)
    frame = frame[MEASURE_COLUMNS].sort_values(KEY).reset_index(drop=True)
    return frame


def format_value(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def main() -> None:
    frame = generate()
    out = frame.copy()
    out["valeur"] = out["valeur"].map(format_value)
    config.DEMO_MEASURES.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(config.DEMO_MEASURES, sep=";", index=False, encoding="utf-8", lineterminator="\n")
    counts = frame["origine"].value_counts().to_dict()
    print(
        f"{config.DEMO_MEASURES.relative_to(ROOT)} : {len(frame)} lignes, {frame['indicateur'].nunique()} "
        f"indicateurs ; origine : " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + "."
    )


if __name__ == "__main__":
    main()
