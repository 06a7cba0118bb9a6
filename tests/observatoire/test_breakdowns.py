"""Every indicator declares its breakdowns (catalogue columns territoires, niveaux, thematiques, publics,
recouvrement) and the demo data gives exactly those: every declared part exists for every declared territory
type and every year, additive parts sum to their total, and nothing undeclared is present.

Read with the csv module and plain pandas (independent of the store); the only exception to exact sums is a
total given by the bilan that exceeds the sum of the parts it details (ENT visits by public: 64,5 millions
and 63,5 millions for the three publics; planetarium: 3 310 pupils of which 80 in ULIS / SEGPA with no
niveau), derived here from data/demo/chiffres_bilan.csv: there the parts never exceed the total.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "data" / "reference"
BILAN_CSV = ROOT / "data" / "demo" / "chiffres_bilan.csv"


def _read_semicolon(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


DIMS = ["niveau", "thematique", "public"]
COLUMNS = {"niveau": "niveaux", "thematique": "thematiques", "public": "publics"}
CATALOGUE = pd.DataFrame(_read_semicolon(REF / "indicateurs.csv")).set_index("id")
IDS = list(CATALOGUE.index)


def _declared(ind: str) -> dict[str, list[str]]:
    row = CATALOGUE.loc[ind]
    return {d: row[c].split("|") for d, c in COLUMNS.items() if row[c] != "non"}


def _overlapping(ind: str) -> set[str]:
    value = CATALOGUE.at[ind, "recouvrement"]
    return set() if value == "non" else set(value.split("|"))


def _bilan_remainders() -> set[tuple[str, str]]:
    """(indicator, dimension) where the bilan gives a total larger than the sum of the parts it details."""
    bilan = pd.DataFrame(_read_semicolon(BILAN_CSV))
    bilan["valeur"] = bilan["valeur"].astype(float)
    out = set()
    for (ind, _year), group in bilan.groupby(["indicateur", "periode"]):
        total = group[(group[DIMS] == "tous").all(axis=1)]
        if total.empty:
            continue
        for dim in DIMS:
            others = [d for d in DIMS if d != dim]
            parts = group[(group[dim] != "tous") & (group[others] == "tous").all(axis=1)]
            if not parts.empty and parts["valeur"].sum() < total["valeur"].iloc[0]:
                out.add((ind, dim))
    return out


REMAINDERS = _bilan_remainders()
# the monthly ENT series is the annual one spread over the months: same publics, same remainder
REMAINDERS |= {("ent_visites_mois", dim) for ind, dim in set(REMAINDERS) if ind == "ent_visites"}


def test_declarations_are_read_as_expected():
    assert ("ent_visites", "public") in REMAINDERS and ("planetarium_eleves", "niveau") in REMAINDERS
    assert len(REMAINDERS) == 3
    assert _declared("gar_connexions") == {"niveau": ["ecole", "college", "lycee"]}
    assert "thematique" not in _declared("ent_visites")  # ENT visits by thème make no sense
    assert "thème" in CATALOGUE.at["ent_visites", "definition"]  # … and the definition says why
    assert _overlapping("labo_nombre") == {"niveau", "thematique"}
    # the aims of the issue: the niveau filter reaches ≥ 20 indicators, the thème filter ≥ 12
    assert sum("niveau" in _declared(i) for i in IDS) >= 20
    assert sum("thematique" in _declared(i) for i in IDS) >= 12


@pytest.fixture(scope="module")
def by_indicator(raw_measures) -> dict[str, pd.DataFrame]:
    return {ind: frame for ind, frame in raw_measures.groupby("indicateur")}


@pytest.mark.parametrize("ind", IDS)
def test_every_declared_breakdown_exists_and_nothing_else(by_indicator, ind):
    frame = by_indicator[ind]
    declared = _declared(ind)
    territories = set(CATALOGUE.at[ind, "territoires"].split("|"))
    assert set(frame["territoire_type"]) == territories
    # undeclared dimensions only hold `tous`; declared ones hold exactly their codes and `tous`
    for dim in DIMS:
        expected = {*declared[dim], "tous"} if dim in declared else {"tous"}
        assert set(frame[dim]) == expected, dim
    # académie, départements and bassins: every crossing of the declared codes (and their totals), every
    # period; laboratories: their own niveaux / thèmes only (checked by the sums below)
    keys = set(itertools.product(*[[*declared.get(d, []), "tous"] for d in DIMS]))
    for ttype in territories - {"laboratoire"}:
        level = frame[frame["territoire_type"] == ttype]
        n_codes = level["territoire_code"].nunique()
        per_key = level.groupby(DIMS)[["territoire_code", "periode"]].nunique()
        assert set(map(tuple, per_key.index)) == keys, ttype
        assert set(per_key["territoire_code"]) == {n_codes}, ttype
        assert set(per_key["periode"]) == {level["periode"].nunique()}, ttype
        assert len(level) == len(keys) * n_codes * level["periode"].nunique(), ttype  # no duplicate


# additive indicators with at least one declared breakdown (rates, aggregation « moyenne », do not add up)
ADDITIVE_WITH_BREAKDOWNS = [i for i in IDS if CATALOGUE.at[i, "agregation"] == "somme" and _declared(i)]


@pytest.mark.parametrize("ind", ADDITIVE_WITH_BREAKDOWNS)
def test_every_breakdown_sums_to_its_total(by_indicator, ind):
    """For each territory and period, and each declared dimension: the parts (other dimensions fixed) sum
    exactly to the total, for additive indicators. Overlapping parts (a lab counted in each of its niveaux)
    are each at most the total and together at least the total."""
    frame = by_indicator[ind]
    declared = _declared(ind)
    index = ["territoire_type", "territoire_code", "periode", *DIMS]
    values = frame.set_index(index)["valeur"]
    problems = []
    for dim in declared:
        parts = frame[frame[dim] != "tous"]
        sums = parts.assign(**{dim: "tous"}).groupby(index)["valeur"].agg(["sum", "max"])
        total = values.reindex(sums.index)
        assert total.notna().all(), f"{dim}: parts without a total"
        if dim in _overlapping(ind):
            bad = (sums["max"] > total) | (sums["sum"] < total)
        elif (ind, dim) in REMAINDERS:
            bad = sums["sum"] > total
        else:
            bad = sums["sum"] != total
        problems.extend((dim, *k) for k in sums.index[bad][:5])
    assert not problems, problems


@pytest.mark.parametrize("ind", [i for i in IDS if "laboratoire" in CATALOGUE.at[i, "territoires"]])
def test_labs_break_down_only_by_their_own_niveaux_and_themes(by_indicator, labs_csv, ind):
    labs = labs_csv.set_index("code")
    frame = by_indicator[ind]
    rows = frame[frame["territoire_type"] == "laboratoire"]
    for dim, column in (("niveau", "niveaux"), ("thematique", "thematiques")):
        own = {code: set(labs.at[code, column].split("|")) | {"tous"} for code in labs.index}
        outside = rows[[code not in own[lab] for lab, code in zip(rows["territoire_code"], rows[dim])]]
        assert outside.empty, outside.head()
        # and each lab has all of its own codes
        found = rows.groupby("territoire_code")[dim].agg(set)
        assert all(found[lab] == own[lab] for lab in found.index), dim


def test_bilan_splits_are_exact(raw_measures):
    acad = raw_measures[(raw_measures["territoire_type"] == "academie") & (raw_measures["periode"] == "2023-2024")]

    def value(ind, niveau="tous", thematique="tous", public="tous"):
        sel = acad[
            (acad["indicateur"] == ind)
            & (acad["niveau"] == niveau)
            & (acad["thematique"] == thematique)
            & (acad["public"] == public)
        ]
        assert len(sel) == 1
        return float(sel["valeur"].iloc[0]), sel["origine"].iloc[0]

    assert value("bon_usage_eleves", "college") == (4_049 + 3_564 + 3_428, "deduit")
    assert value("bon_usage_eleves", "lycee") == (297, "bilan")
    assert value("bon_usage_eleves", "ecole") == (12_188 - 11_041 - 297, "deduit")
    assert value("bon_usage_eleves") == (12_188, "bilan")
    assert value("gar_connexions") == (11_292 + 1_206_388 + 4_376_626, "deduit")
    assert value("revtascol_eleves", "ecole", "bien_etre_inclusion") == (115, "bilan")
    # labs serving écoles: the count follows laboratoires.csv
    assert value("labo_nombre", "ecole")[0] == 9
