"""Generate the demo measures `data/demo/mesures.csv` (deterministic).

Inputs
- `data/demo/chiffres_bilan.csv`: the figures of the bilan DRANE 2023-2024 (exact), and the previous-year
  values the bilan gives or implies ("4 fois plus", "80 % en moins" → « Déduit du bilan »).
- `data/reference/`: catalogue of indicators, bassins (population), laboratories (opening year).

What is generated (every such value has `source = illustratif`)
- the other school years of each indicator: a per-indicator yearly trend applied to the nearest known year;
- the monthly ENT series: the annual totals spread over September–August with a school-year rhythm
  (September peak, winter and spring holidays, summer trough), so the months add up to the annual figure;
- breakdowns by département and bassin: the académie value allocated by population (with a stable
  per-indicator variation) using largest-remainder rounding, so that the parts add up exactly; indicators of
  the laboratories are allocated to the labs open that year, then summed per bassin and département.
Totals over niveaux / thématiques / publics that the bilan does not give are the sums of the parts.

Run: `python scripts/generate_demo_data.py` (writes the file, prints a summary).
"""

from __future__ import annotations

import json
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from observatoire import config  # noqa: E402
from observatoire.schema import MEASURE_COLUMNS  # noqa: E402

ALL = config.ALL
ILL = config.ILLUSTRATIVE
FACTS = config.DEMO_DIR / "chiffres_bilan.csv"
LAB_INDICATORS_PREFIX = "labo_"
# Rhythm of ENT visits over a school year, September → August (relative weights).
MONTH_WEIGHTS = [1.30, 1.10, 1.05, 0.85, 1.10, 0.85, 1.10, 0.80, 0.95, 0.85, 0.12, 0.08]
MONTHS = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
SUM_NOTE = "Déduit du bilan DRANE 2023-2024 (somme des valeurs détaillées)"


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
    indicators = pd.read_csv(ref / "indicateurs.csv", sep=";", dtype=str).set_index("id")
    bassins_geo = json.loads((ref / "bassins.geojson").read_text(encoding="utf-8"))
    bassins = pd.DataFrame([f["properties"] for f in bassins_geo["features"]])
    bassins["population"] = bassins["population"].astype(int)
    labs = pd.read_csv(ref / "laboratoires.csv", sep=";", dtype=str)
    labs["ouverture"] = labs["ouverture"].astype(int)
    facts = pd.read_csv(FACTS, sep=";", dtype=str)
    facts["valeur"] = facts["valeur"].astype(float)
    return {"indicators": indicators, "bassins": bassins, "labs": labs, "facts": facts,
            "academie": config.academie()}


def academie_values(inp: dict) -> pd.DataFrame:
    """One row per indicator × school year × (niveau, thematique, public) at académie level."""
    acad = inp["academie"]
    years = list(acad.annees)
    facts = inp["facts"]
    rows = []
    for ind, meta in inp["indicators"].iterrows():
        if meta["granularite"] == "mensuelle" or ind == "labo_nombre":
            continue  # monthly series and the lab count are built from other sources below
        f = facts[facts["indicateur"] == ind]
        if f.empty:
            raise SystemExit(f"Aucun chiffre du bilan pour l'indicateur {ind}")
        combos = sorted({(r.niveau, r.thematique, r.public) for r in f.itertuples()})
        known = {(r.niveau, r.thematique, r.public, r.periode): (r.valeur, r.source) for r in f.itertuples()}
        rng = rng_for("trend", ind)
        growth = float(rng.uniform(1.04, 1.22))
        factor = {y: float(rng.uniform(0.97, 1.03)) for y in years}
        for combo in combos:
            known_years = [y for y in years if (*combo, y) in known]
            for y in years:
                if (*combo, y) in known:
                    value, source = known[(*combo, y)]
                else:
                    value, source = _trend_value(ind, combo, y, years, known, known_years, growth, factor,
                                                 meta), ILL
                rows.append({"indicateur": ind, "periode": y, "niveau": combo[0], "thematique": combo[1],
                             "public": combo[2], "valeur": value, "source": source})
    frame = pd.DataFrame(rows)
    frame = pd.concat([frame, _lab_count(inp)], ignore_index=True)
    return _add_sum_totals(frame, inp)


def _trend_value(ind, combo, year, years, known, known_years, growth, factor, meta) -> float:
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
        value = known[(*combo, anchor)][0] * growth ** steps * factor[year]
    if meta["unite"] == "%":
        return float(min(100.0, round(value, 1)))
    return float(max(0, round_half_up(value)))


def _lab_count(inp: dict) -> pd.DataFrame:
    labs = inp["labs"]
    fact = inp["facts"][inp["facts"]["indicateur"] == "labo_nombre"].set_index("periode")
    rows = []
    for y in inp["academie"].annees:
        start = int(y[:4])
        n = int((labs["ouverture"] <= start).sum())
        source = ILL
        if y in fact.index:
            if int(fact.at[y, "valeur"]) != n:
                raise SystemExit(f"labo_nombre {y} : {n} laboratoires ouverts d'après laboratoires.csv, "
                                 f"le bilan en compte {int(fact.at[y, 'valeur'])}")
            source = fact.at[y, "source"]
        rows.append({"indicateur": "labo_nombre", "periode": y, "niveau": ALL, "thematique": ALL,
                     "public": ALL, "valeur": float(n), "source": source})
    return pd.DataFrame(rows)


def _add_sum_totals(frame: pd.DataFrame, inp: dict) -> pd.DataFrame:
    """Add the `tous` rows that the bilan does not give, as sums of the parts (additive indicators)."""
    out = [frame]
    for ind, group in frame.groupby("indicateur"):
        if inp["indicators"].at[ind, "agregation"] != "somme":
            continue
        existing = {(r.niveau, r.thematique, r.public, r.periode) for r in group.itertuples()}
        parts = group[(group[["niveau", "thematique", "public"]] != ALL).any(axis=1)]
        if parts.empty:
            continue
        new = []
        # every generalisation of each part: replace any subset of its non-"tous" codes by "tous"
        for r in parts.itertuples():
            codes = [r.niveau, r.thematique, r.public]
            for mask in range(1, 8):
                target = tuple(ALL if (mask >> i) & 1 else codes[i] for i in range(3))
                if target == tuple(codes) or any(
                    (mask >> i) & 1 and codes[i] == ALL for i in range(3)
                ):
                    continue
                new.append((*target, r.periode, r.valeur, r.source))
        if not new:
            continue
        sums = pd.DataFrame(new, columns=["niveau", "thematique", "public", "periode", "valeur", "source"])
        agg = sums.groupby(["niveau", "thematique", "public", "periode"], as_index=False).agg(
            valeur=("valeur", "sum"), illustratif=("source", lambda s: bool((s == ILL).any())))
        agg = agg[[(r.niveau, r.thematique, r.public, r.periode) not in existing for r in agg.itertuples()]]
        agg["source"] = np.where(agg["illustratif"], ILL, SUM_NOTE)
        agg["indicateur"] = ind
        out.append(agg.drop(columns="illustratif"))
    return pd.concat(out, ignore_index=True)


def monthly_ent(annual: pd.DataFrame, inp: dict) -> pd.DataFrame:
    """`ent_visites_mois` at académie level: each annual ENT value spread over its twelve months."""
    rows = []
    ent = annual[annual["indicateur"] == "ent_visites"]
    for r in ent.itertuples():
        rng = rng_for("mois", r.periode, r.public)
        weights = [w * rng.uniform(0.94, 1.06) for w in MONTH_WEIGHTS]
        start = int(r.periode[:4])
        for month, value in zip(MONTHS, allocate(r.valeur, weights), strict=True):
            year = start if month >= 9 else start + 1
            rows.append({"indicateur": "ent_visites_mois", "periode": f"{year}-{month:02d}", "niveau": r.niveau,
                         "thematique": r.thematique, "public": r.public, "valeur": float(value), "source": ILL})
    return pd.DataFrame(rows)


def territorial(acad_rows: pd.DataFrame, inp: dict) -> pd.DataFrame:
    """Département, bassin (and laboratory) rows for every académie row, summing exactly to it."""
    bassins = inp["bassins"].sort_values("code").reset_index(drop=True)
    deps = sorted(bassins["departement"].unique())
    labs = inp["labs"].sort_values("code").reset_index(drop=True)
    agg = inp["indicators"]["agregation"]
    out = []
    for r in acad_rows.itertuples():
        ind = r.indicateur
        year_start = int(schema_year(r.periode)[:4])
        base = {"indicateur": ind, "periode": r.periode, "niveau": r.niveau, "thematique": r.thematique,
                "public": r.public, "source": ILL}
        if agg[ind] != "somme":
            for ttype, codes in (("departement", deps), ("bassin", list(bassins["code"]))):
                for code in codes:
                    noise = rng_for("moy", ind, r.periode, code).uniform(-0.025, 0.025)
                    value = min(100.0, round(r.valeur * (1 + noise), 1))
                    out.append({**base, "territoire_type": ttype, "territoire_code": code, "valeur": value})
            continue
        if ind.startswith(LAB_INDICATORS_PREFIX):
            open_labs = labs[labs["ouverture"] <= year_start]
            if ind == "labo_nombre":
                lab_values = {c: 1 for c in open_labs["code"]}
            else:
                weights = [rng_for("lab", ind, c).lognormal(0, 0.35) for c in open_labs["code"]]
                lab_values = dict(zip(open_labs["code"], allocate(r.valeur, weights), strict=True))
            for code, value in lab_values.items():
                out.append({**base, "territoire_type": "laboratoire", "territoire_code": code,
                            "valeur": float(value)})
            lab_bassin = dict(zip(labs["code"], labs["bassin"], strict=True))
            per_bassin = defaultdict(int)
            for code, value in lab_values.items():
                per_bassin[lab_bassin[code]] += value
            bassin_values = {b: per_bassin.get(b, 0) for b in bassins["code"]}
        else:
            dep_pop = bassins.groupby("departement")["population"].sum()
            dep_w = [dep_pop[d] * rng_for("dep", ind, d).uniform(0.8, 1.2)
                     * rng_for("dep", ind, d, r.periode).uniform(0.97, 1.03) for d in deps]
            dep_values = dict(zip(deps, allocate(r.valeur, dep_w), strict=True))
            bassin_values = {}
            for d in deps:
                members = bassins[bassins["departement"] == d]
                w = [p * rng_for("bassin", ind, b).uniform(0.75, 1.25)
                     * rng_for("bassin", ind, b, r.periode).uniform(0.96, 1.04)
                     for b, p in zip(members["code"], members["population"], strict=True)]
                bassin_values.update(zip(members["code"], allocate(dep_values[d], w), strict=True))
        for b, value in bassin_values.items():
            out.append({**base, "territoire_type": "bassin", "territoire_code": b, "valeur": float(value)})
        dep_of = dict(zip(bassins["code"], bassins["departement"], strict=True))
        for d in deps:
            value = sum(v for b, v in bassin_values.items() if dep_of[b] == d)
            out.append({**base, "territoire_type": "departement", "territoire_code": d, "valeur": float(value)})
    return pd.DataFrame(out)


def schema_year(period: str) -> str:
    from observatoire.schema import school_year_of

    return school_year_of(period)


def consistent_totals(frame: pd.DataFrame, inp: dict) -> pd.DataFrame:
    """Below académie level, recompute derived `tous` rows as sums of the territory's parts, and annual ENT
    visits as sums of the months, so every breakdown of a territory is consistent with its total."""
    acad = frame[frame["territoire_type"] == "academie"]
    derived = acad[acad["source"].isin([SUM_NOTE])]
    derived_illustrative = acad[(acad["source"] == ILL)]
    lower = frame[frame["territoire_type"] != "academie"].copy()
    key = ["indicateur", "periode", "niveau", "thematique", "public"]
    derived_keys = set(map(tuple, derived[key].to_numpy()))
    # illustrative totals derived as sums are recognisable: their parts exist at académie level
    for row in derived_illustrative[key].itertuples(index=False):
        derived_keys.add(tuple(row)) if _is_sum_row(row, acad) else None
    if not derived_keys:
        return frame
    parts = lower[(lower[["niveau", "thematique", "public"]] != ALL).any(axis=1)]
    recomputed = []
    for k in derived_keys:
        ind, periode, niv, them, pub = k
        sel = parts[(parts["indicateur"] == ind) & (parts["periode"] == periode)]
        for col, code in (("niveau", niv), ("thematique", them), ("public", pub)):
            sel = sel[sel[col] == code] if code != ALL else sel
        for col, code in (("niveau", niv), ("thematique", them), ("public", pub)):
            if code == ALL:
                sel = sel[sel[col] != ALL] if (sel[col] != ALL).any() else sel
        # keep only the finest parts (all non-"tous" codes where the indicator has them)
        sums = sel.groupby(["territoire_type", "territoire_code"], as_index=False)["valeur"].sum()
        for s in sums.itertuples():
            recomputed.append({"indicateur": ind, "periode": periode, "niveau": niv, "thematique": them,
                               "public": pub, "territoire_type": s.territoire_type,
                               "territoire_code": s.territoire_code, "valeur": s.valeur, "source": ILL})
    if not recomputed:
        return frame
    rec = pd.DataFrame(recomputed)
    merged = lower.merge(rec[key + ["territoire_type", "territoire_code", "valeur"]],
                         on=key + ["territoire_type", "territoire_code"], how="left", suffixes=("", "_sum"))
    merged["valeur"] = merged["valeur_sum"].combine_first(merged["valeur"])
    lower = merged.drop(columns="valeur_sum")
    return pd.concat([acad, lower], ignore_index=True)


def _is_sum_row(row, acad: pd.DataFrame) -> bool:
    ind, periode, niv, them, pub = row
    if (niv, them, pub) == (ALL, ALL, ALL) and ind in ("ent_visites", "ent_visites_mois",
                                                                  "planetarium_eleves"):
        return False  # totals given by the bilan that are not the sum of the parts
    same = acad[(acad["indicateur"] == ind) & (acad["periode"] == periode)]
    finer = same
    for col, code in (("niveau", niv), ("thematique", them), ("public", pub)):
        finer = finer[finer[col] == code] if code != ALL else finer
    return len(finer) > 1 and ALL in (niv, them, pub)


def generate() -> pd.DataFrame:
    inp = load_inputs()
    acad_annual = academie_values(inp)
    acad_monthly = monthly_ent(acad_annual, inp)
    acad = pd.concat([acad_annual, acad_monthly], ignore_index=True)
    acad["territoire_type"] = "academie"
    acad["territoire_code"] = inp["academie"].code
    # ENT: territory breakdowns come from the months, the annual territory values are their sums
    monthly_lower = territorial(acad_monthly, inp)
    annual_lower = territorial(acad_annual[acad_annual["indicateur"] != "ent_visites"], inp)
    ent_lower = monthly_lower.assign(periode=monthly_lower["periode"].map(schema_year)).groupby(
        ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public",
         "source"], as_index=False)["valeur"].sum().assign(indicateur="ent_visites")
    frame = pd.concat([acad, monthly_lower, annual_lower, ent_lower], ignore_index=True)
    frame = consistent_totals(frame, inp)
    frame = frame[MEASURE_COLUMNS].sort_values(
        ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]
    ).reset_index(drop=True)
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
    n_ill = int((frame["source"] == ILL).sum())
    print(f"{config.DEMO_MEASURES.relative_to(ROOT)} : {len(frame)} lignes, {frame['indicateur'].nunique()} "
          f"indicateurs, {len(frame) - n_ill} issues ou déduites du bilan, {n_ill} illustratives.")


if __name__ == "__main__":
    main()
