"""Grouped queries (issue 11, part 4): `kpis`, `bassin_profile`, `lab_profile`, `series` and
`lab_figures_series` answer in a bounded number of SQL statements and give exactly what the per-indicator
code of before gave.

The reference below is that code, kept as it was (one `series` call per indicator and breakdown, each with
its own scope queries): every result of the grouped functions is compared with it, field by field and frame
by frame (`check_exact`), over a grid of filters of the demo data (académie, each département, bassins,
thèmes and sub-thèmes, niveaux including the overlapping lab counts, publics, periods, an empty period,
illustrative and bilan origins). Statement counts are counted on a proxy of the connection: counts, never
times (speed is measured by bench/run.py).
"""

from __future__ import annotations

import copy
import dataclasses
import functools

import duckdb
import pandas as pd
import pytest

from observatoire import config, queries
from observatoire.filters import Filters
from observatoire.queries import (
    _AGG_SQL,
    _GROUP_SQL,
    BREAKDOWNS,
    DIMENSION_FILTER,
    DIMENSION_LABEL,
    DIMENSIONS,
    Kpi,
    Result,
    Scope,
    _nearest_ancestor,
    _parts,
    _sources_and_origins,
    _theme_branches,
    dimension_labels,
    indicator,
    sorted_origins,
    theme_parents,
)

BROADER_PREFIX = queries.BROADER_PREFIX
F = Filters
GRID = [
    F(),
    F(departements=("54",)),
    F(departements=("55",)),
    F(departements=("57",)),
    F(departements=("88",)),
    F(departements=("54", "88")),
    F(bassins=("57-metz",)),
    F(bassins=("57-metz", "54-nancy")),
    F(departements=("57",), bassins=("57-metz",)),
    F(thematiques=("programmation_ia",)),
    F(thematiques=("robotique_programmation",)),
    F(thematiques=("hn_ia_generatives", "webmedias")),
    F(thematiques=("ent",)),
    F(niveaux=("college",)),
    F(niveaux=("college", "lycee")),
    F(publics=("eleves",)),
    F(publics=("eleves", "parents")),
    F(periode_debut="2021-2022", periode_fin="2022-2023"),
    F(periode_debut="2023-2024", periode_fin="2023-2024"),
    F(periode_debut="2030-2031"),
    F(
        departements=("57",),
        niveaux=("ecole", "lycee_pro"),
        thematiques=("savoirs_fondamentaux",),
        publics=("enseignants",),
    ),
    F(bassins=("88-epinal",), niveaux=("college",), periode_fin="2022-2023"),
]
SERIES_GRID = [GRID[7], GRID[14], GRID[20]]  # two bassins; overlapping niveaux; every filter at once
YEARS = ("2023-2024", "2021-2022")


class Counting:
    """The connection, counting the statements run through it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements = 0

    def execute(self, sql: str, params: object = None) -> duckdb.DuckDBPyConnection:
        self.statements += 1
        return self._con.execute(sql, params) if params is not None else self._con.execute(sql)


@pytest.fixture(scope="module", autouse=True)
def _forget_reference_answers():
    """The reference answers (`_REFERENCE_ANSWERS`) are kept for this module's tests only."""
    yield
    _REFERENCE_ANSWERS.clear()


def counted(con, fn, *args, **kwargs):
    proxy = Counting(con)
    return fn(proxy, *args, **kwargs), proxy.statements


def assert_same_result(new: Result, ref: Result) -> None:
    pd.testing.assert_frame_equal(new.data, ref.data, check_exact=True)
    assert (new.ignored, new.sources, new.illustrative, new.empty_reason, new.origins) == (
        ref.ignored,
        ref.sources,
        ref.illustrative,
        ref.empty_reason,
        ref.origins,
    )


# ------------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("index", range(len(GRID)))
def test_kpis_are_those_of_the_reference_in_three_statements(con, index):
    filters = GRID[index]
    new, statements = counted(con, queries.kpis, filters)
    assert statements <= 3
    ref = ref_kpis(con, filters)
    assert [k.indicateur for k in new] == [k.indicateur for k in ref] and len(new) >= 5
    for a, b in zip(new, ref):
        assert a == b, a.indicateur


def test_the_grid_covers_illustrative_bilan_and_empty_answers(con):
    default = queries.kpis(con, Filters())
    assert any(not k.valeur_illustrative for k in default) and any(k.historique_illustratif for k in default)
    assert any(k.illustratif for k in queries.kpis(con, GRID[17]))  # 2021-2022 → 2022-2023: generated figures
    assert any("illustratif" in origins for k in default for origins in k.origines_historique)
    assert any("bilan" in k.origines for k in default)
    assert all(k.valeur is None for k in queries.kpis(con, F(periode_debut="2030-2031")))
    assert any(k.ignored for k in queries.kpis(con, F(thematiques=("ent",))))


@pytest.mark.parametrize("index", [0, 3, 9, 10, 14, 15, 17, 19, 20])
def test_bassin_profile_is_that_of_the_reference_in_three_statements(con, index):
    for bassin in ("57-metz", "55-verdun"):
        for year in YEARS:
            new, statements = counted(con, queries.bassin_profile, bassin, year, GRID[index])
            assert statements <= 3
            pd.testing.assert_frame_equal(
                new, ref_bassin_profile(con, bassin, year, GRID[index]), check_exact=True
            )


def test_lab_profile_is_that_of_the_reference_in_three_statements(con):
    labs = list(queries.catalogue(con, "laboratoires")["code"])
    for lab in labs[:4] + labs[-2:]:
        for year in YEARS:
            new, statements = counted(con, queries.lab_profile, lab, year)
            assert statements <= 3
            pd.testing.assert_frame_equal(new, ref_lab_profile(con, lab, year), check_exact=True)
    assert queries.lab_profile(con, labs[0], "2023-2024")["valeur"].notna().any()


@pytest.mark.parametrize("index", range(len(SERIES_GRID)))
def test_series_is_that_of_the_reference_for_every_indicator_and_breakdown(con, index):
    filters = SERIES_GRID[index]
    for ind in queries.indicators(con)["id"]:
        for by in BREAKDOWNS:
            new, statements = counted(con, queries.series, ind, filters, by=by, annual=True)
            assert statements <= 2
            assert_same_result(new, ref_series(con, ind, filters, by=by, annual=True))
            assert queries.resolve_scope(con, ind, filters, by) == ref_resolve_scope(con, ind, filters, by)
    # monthly values and an explicit period
    for ind in ("ent_visites_mois", "labo_nombre"):
        assert_same_result(queries.series(con, ind, filters), ref_series(con, ind, filters))
        assert_same_result(
            queries.series(con, ind, filters, by="departement", periods=("2022-2023", "2023-2024")),
            ref_series(con, ind, filters, by="departement", periods=("2022-2023", "2023-2024")),
        )


def test_values_by_bassin_is_that_of_the_reference(con):
    for filters in (GRID[0], GRID[3], GRID[7], GRID[14]):
        for ind in ("ent_visites", "labo_nombre", "pix_taux_certification"):
            assert_same_result(
                queries.values_by_bassin(con, ind, "2023-2024", filters),
                ref_values_by_bassin(con, ind, "2023-2024", filters),
            )


def test_lab_figures_series_is_one_frame_of_the_series_by_lab(con):
    indicators = ("labo_personnes", "labo_classes", "labo_nombre")
    for filters in (Filters(), F(periode_debut="2021-2022")):
        for year in YEARS:
            frame, statements = counted(con, queries.lab_figures_series, indicators, filters, year)
            assert statements <= 2
            assert list(frame.columns) == [
                "indicateur",
                "periode",
                "groupe",
                "libelle",
                "valeur",
                "illustratif",
                "sources",
                "origines",
            ]
            for ind in indicators:
                mine = frame[frame["indicateur"] == ind].drop(columns="indicateur").reset_index(drop=True)
                ref = ref_series(con, ind, filters, by="laboratoire", annual=True, periods=(year, year)).data
                assert len(mine) == len(ref) > 0
                pd.testing.assert_frame_equal(mine, ref, check_dtype=False, check_exact=True)
    with pytest.raises(KeyError):
        queries.lab_figures_series(con, ("inconnu",), Filters(), "2023-2024")


def test_unknown_indicator_and_breakdown_still_fail_as_before(con):
    with pytest.raises(KeyError):
        queries.series(con, "inconnu", Filters())
    with pytest.raises(ValueError, match="Découpage inconnu"):
        queries.series(con, "ent_visites", Filters(), by="commune")


# ------------------------------------------------------------------------------------ reference (before)
# The per-indicator code of observatoire/queries.py before the grouped queries, unchanged but for the
# `ref_` prefix of its public functions.


def _availability(con: duckdb.DuckDBPyConnection, indicator_id: str) -> pd.DataFrame:
    return con.execute(
        """SELECT DISTINCT territoire_type, niveau, thematique, public FROM mesures_actives
           WHERE indicateur = $ind""",
        {"ind": indicator_id},
    ).df()


def _bassins_of(con: duckdb.DuckDBPyConnection, departements: tuple[str, ...]) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT code FROM bassins WHERE list_contains($deps, departement) ORDER BY code",
        {"deps": list(departements)},
    ).fetchall()
    return tuple(r[0] for r in rows)


def _labs_of(con: duckdb.DuckDBPyConnection, filters: Filters) -> tuple[str, ...] | None:
    if not filters.bassins and not filters.departements:
        return None
    rows = con.execute(
        """SELECT code FROM laboratoires WHERE (len($b) = 0 OR list_contains($b, bassin))
           AND (len($d) = 0 OR list_contains($d, departement)) ORDER BY code""",
        {"b": list(filters.bassins), "d": list(filters.departements)},
    ).fetchall()
    return tuple(r[0] for r in rows)


def ref_resolve_scope(
    con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters, by: str = "total"
) -> Scope:
    """Which rows of `indicator_id` answer `filters` (see the module docstring)."""
    avail = _availability(con, indicator_id)
    ignored: list[str] = []
    if avail.empty:
        return Scope("academie", None, {}, (), "Aucune donnée pour cet indicateur.")
    types = set(avail["territoire_type"])
    codes: tuple[str, ...] | None
    if by == "laboratoire":
        ttype, codes = "laboratoire", _labs_of(con, filters)
    elif filters.bassins or by == "bassin":
        ttype = "bassin"
        codes = filters.bassins or (_bassins_of(con, filters.departements) if filters.departements else None)
    elif filters.departements or by == "departement":
        ttype, codes = "departement", filters.departements or None
    else:
        ttype, codes = "academie", None
    if ttype not in types:
        if by in ("bassin", "departement", "laboratoire"):
            return Scope(ttype, codes, {}, (), f"Cet indicateur n'est pas détaillé par {BREAKDOWNS[by].lower()}.")
        ignored.append(
            "Territoire : cet indicateur n'est disponible qu'au niveau académique, le filtre "
            "territorial ne s'applique pas."
        )
        ttype, codes = "academie", None
    if codes is not None and len(codes) == 0:
        return Scope(ttype, codes, {}, (), "Aucun laboratoire dans les territoires choisis.")
    at_level = avail[avail["territoire_type"] == ttype]
    values: dict[str, tuple[str, ...]] = {}
    for dim in DIMENSIONS:
        available = set(at_level[dim])
        parts = sorted(available - {config.ALL})
        selected = tuple(getattr(filters, DIMENSION_FILTER[dim]))
        if by == dim:
            if selected and dim == "thematique":
                chosen, _, broader = _match_themes(con, selected, available)
                ignored.extend(_broader_notes(con, broader))
            else:
                chosen = tuple(v for v in selected if v in available) if selected else tuple(parts)
            if not chosen:
                reason = (
                    f"Cet indicateur n'est pas détaillé par {DIMENSION_LABEL[dim]}."
                    if not parts
                    else f"Aucune donnée pour {DIMENSION_LABEL[dim]} choisi."
                )
                return Scope(ttype, codes, {}, tuple(ignored), reason)
            values[dim] = chosen
        elif selected:
            if dim == "thematique":  # a main thème stands for its branch; a sub-thème may read its main thème
                matched, missing, broader = _match_themes(con, selected, available)
            else:
                matched = tuple(v for v in selected if v in available and v != config.ALL)
                missing, broader = [v for v in selected if v not in matched], []
            if matched:
                values[dim] = matched
                ignored.extend(_broader_notes(con, broader))
                if missing:
                    ignored.append(
                        f"Filtre {DIMENSION_LABEL[dim]} : pas de donnée pour « "
                        + "», « ".join(missing)
                        + " » avec cet indicateur."
                    )
            else:
                ignored.append(
                    f"Filtre {DIMENSION_LABEL[dim]} : ne s'applique pas à cet indicateur "
                    "(valeur tous publics / niveaux / thématiques affichée)."
                )
                values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
        else:
            values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
    return Scope(ttype, codes, values, tuple(ignored))


def _broader_notes(con: duckdb.DuckDBPyConnection, broader: list[tuple[str, str]]) -> list[str]:
    if not broader:
        return []
    names = dimension_labels(con, "thematique")
    pairs = "; ".join(f"« {names.get(a, a)} » → « {names.get(b, b)} »" for a, b in broader)
    return [
        f"{BROADER_PREFIX} ({pairs}) : cet indicateur est réparti par thème principal, comme les laboratoires."
    ]


def _match_themes(
    con: duckdb.DuckDBPyConnection, selected: tuple[str, ...], available: set[str]
) -> tuple[tuple[str, ...], list[str], list[tuple[str, str]]]:
    """Codes of the indicator answering the selected thèmes (each thème with its sub-thèmes; a code whose
    ancestor is also available is dropped, the ancestor's row already counts it), the selected thèmes with no
    code at all, and (sub-thème, main thème) pairs where the indicator only has the sub-thème's main thème
    (indicators broken down by the labs' main thèmes: the main thème's row is read, as `laboratories` does)."""
    descendants, ancestors = _theme_branches(con)
    parents = theme_parents(con)
    matched: dict[str, None] = {}
    missing: list[str] = []
    broader: list[tuple[str, str]] = []
    for theme in selected:
        branch = [c for c in sorted(descendants.get(theme, {theme})) if c in available and c != config.ALL]
        if theme in branch:  # the thème itself first
            branch.remove(theme)
            branch.insert(0, theme)
        if not branch:
            # a sub-thème of an indicator broken down by main thème (the labs' thèmes): read its main thème,
            # as the list of labs does (`laboratories`), and say so (`broader`)
            up = _nearest_ancestor(theme, ancestors, parents, available)
            if up is None:
                missing.append(theme)
            else:
                broader.append((theme, up))
                branch = [up]
        matched.update(dict.fromkeys(branch))
    kept = tuple(c for c in matched if not (ancestors.get(c, set()) & set(matched)))
    return kept, missing, broader


def ref_series(
    con: duckdb.DuckDBPyConnection,
    indicator_id: str,
    filters: Filters,
    by: str = "total",
    annual: bool = False,
    periods: tuple[str, str] | None = None,
) -> Result:
    """Values of one indicator over time, broken down by `by` (see `BREAKDOWNS`).

    `annual=True` aggregates monthly indicators per school year. `periods` (school years, inclusive)
    overrides the filters' period range. Columns: periode, groupe, libelle, valeur, illustratif, sources,
    origines (the distinct `origine` of the rows behind the value, most trusted first, joined by ` | `).
    """
    if by not in _GROUP_SQL:
        raise ValueError(f"Découpage inconnu : {by}")
    meta = indicator(con, indicator_id)
    scope = ref_resolve_scope(con, indicator_id, filters, by)
    columns = ["periode", "groupe", "libelle", "valeur", "illustratif", "sources", "origines"]
    if scope.empty_reason:
        return Result(pd.DataFrame(columns=columns), scope.ignored, empty_reason=scope.empty_reason)
    debut, fin = periods if periods else (filters.periode_debut, filters.periode_fin)
    period_col = "m.annee_scolaire" if annual else "m.periode"
    sql = f"""
        SELECT {period_col} AS periode, {_GROUP_SQL[by]} AS groupe, {_AGG_SQL[meta["agregation"]]} AS valeur,
               bool_or(m.origine = 'illustratif') AS illustratif,
               string_agg(DISTINCT m.source, ' | ' ORDER BY m.source) AS sources,
               string_agg(DISTINCT m.origine, ' | ') AS origines,
               string_agg(DISTINCT m.origine || chr(31) || m.source, chr(30)) AS paires
        FROM mesures_actives m
        JOIN territoires t ON t.type = m.territoire_type AND t.code = m.territoire_code
        WHERE m.indicateur = $ind AND m.territoire_type = $ttype
          AND ($all_codes OR list_contains($codes, m.territoire_code))
          AND list_contains($niveaux, m.niveau) AND list_contains($thematiques, m.thematique)
          AND list_contains($publics, m.public)
          AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
        GROUP BY ALL ORDER BY 1, 2
    """
    params = {
        "ind": indicator_id,
        "ttype": scope.territoire_type,
        "all_codes": scope.territoire_codes is None,
        "codes": list(scope.territoire_codes or []),
        "niveaux": list(scope.values["niveau"]),
        "thematiques": list(scope.values["thematique"]),
        "publics": list(scope.values["public"]),
        "debut": debut,
        "fin": fin,
    }
    frame = con.execute(sql, params).df()
    overlapping = _overlapping(meta, scope, by)
    if overlapping and not frame.empty:
        frame = _distinct_lab_values(con, frame, params, period_col, by, overlapping)
    names = dimension_labels(con, by)  # only the labels this breakdown needs (hot path)
    frame["libelle"] = frame["groupe"].map(names).fillna(config.academie().nom if by == "total" else "")
    sources, origins = _sources_and_origins(frame["paires"])
    frame["origines"] = frame["origines"].map(lambda o: " | ".join(sorted_origins(o)))
    frame = frame[columns]
    reason = None if not frame.empty else "Aucune donnée pour cette combinaison de filtres et de période."
    return Result(frame, scope.ignored, sources, bool(frame["illustratif"].any()), reason, origins)


def _overlapping(meta: dict, scope: Scope, by: str) -> tuple[str, ...]:
    """Dimensions whose parts overlap (`recouvrement`: a lab counted in each of its niveaux) with several
    parts read at once: summing them would count a lab several times."""
    declared = str(meta.get("recouvrement") or "")
    if declared in ("", "non"):
        return ()
    return tuple(
        dim
        for dim in declared.split("|")
        if dim in DIMENSIONS and dim != by and len(scope.values.get(dim, ())) > 1
    )


_LAB_GROUP_SQL = {
    "total": "'total'",
    "departement": "t.departement",
    "bassin": "t.bassin",
    "laboratoire": "m.territoire_code",
    "niveau": "m.niveau",
    "thematique": "m.thematique",
    "public": "m.public",
}


def _distinct_lab_values(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    params: dict,
    period_col: str,
    by: str,
    overlapping: tuple[str, ...],
) -> pd.DataFrame:
    """Values of an overlapping indicator read once per lab: each lab's largest value over the chosen
    overlapping parts (a lab serving Collège and Lycée counts once for « Collège, Lycée »), summed per group
    from the labs' rows. Groups without any lab keep the shape of `frame` with 0."""
    territory = {
        "academie": "len($codes) >= 0",
        "departement": "list_contains($codes, t.departement)",
        "bassin": "list_contains($codes, t.bassin)",
        "laboratoire": "list_contains($codes, m.territoire_code)",
    }[params["ttype"]]
    by_dim = f", m.{by}" if by in DIMENSIONS else ""
    sql = f"""
        WITH per_lab AS (
            SELECT {period_col} AS periode, m.territoire_code AS lab{by_dim}, max(m.valeur) AS valeur
            FROM mesures_actives m
            WHERE m.indicateur = $ind AND m.territoire_type = 'laboratoire'
              AND list_contains($niveaux, m.niveau) AND list_contains($thematiques, m.thematique)
              AND list_contains($publics, m.public)
              AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
            GROUP BY ALL)
        SELECT m.periode, {_LAB_GROUP_SQL[by].replace("m.territoire_code", "m.lab")} AS groupe,
               sum(m.valeur) AS valeur
        FROM per_lab m JOIN territoires t ON t.type = 'laboratoire' AND t.code = m.lab
        WHERE $all_codes OR {territory.replace("m.territoire_code", "m.lab")}
        GROUP BY ALL"""
    exists = con.execute(
        "SELECT count(*) FROM mesures_actives WHERE indicateur = $ind AND territoire_type = 'laboratoire'",
        {"ind": params["ind"]},
    ).fetchone()[0]
    if not exists:
        return frame
    keys = ["periode", "groupe"]
    distinct = con.execute(sql, {k: v for k, v in params.items() if k != "ttype"}).df()
    merged = frame.drop(columns="valeur").merge(distinct, on=keys, how="left")
    merged["valeur"] = merged["valeur"].fillna(0.0).astype(float)
    return merged


def ref_values_by_bassin(
    con: duckdb.DuckDBPyConnection, indicator_id: str, annee: str, filters: Filters
) -> Result:
    """One value per bassin for a school year (every bassin of the chosen départements, NaN = no data).

    Columns: code, nom, departement, valeur, rang (1 = highest), selectionne, illustratif, sources.
    """
    scoped = filters.with_(bassins=())
    res = ref_series(con, indicator_id, scoped, by="bassin", annual=True, periods=(annee, annee))
    bassins = con.execute(
        """SELECT code, nom, departement FROM bassins
           WHERE len($deps) = 0 OR list_contains($deps, departement) ORDER BY departement, nom""",
        {"deps": list(filters.departements)},
    ).df()
    values = res.data.rename(columns={"groupe": "code"})[["code", "valeur", "illustratif", "sources"]]
    out = bassins.merge(values, on="code", how="left")
    out["rang"] = out["valeur"].rank(ascending=False, method="min").astype("Int64")
    out["selectionne"] = out["code"].isin(filters.bassins) if filters.bassins else True
    out["illustratif"] = out["illustratif"].fillna(False).astype(bool)
    reason = res.empty_reason
    if reason is None and out["valeur"].isna().all():
        reason = f"Aucune donnée par bassin pour {annee}."
    return Result(out, res.ignored, res.sources, res.illustrative, reason, res.origins)


def ref_kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[Kpi]:
    """Headline indicators (catalogue column `kpi`) for the latest school year of the chosen period."""
    rows = con.execute("SELECT id, libelle, unite FROM indicateurs WHERE kpi IS NOT NULL ORDER BY kpi").fetchall()
    out: list[Kpi] = []
    for ind, libelle, unite in rows:
        res = ref_series(con, ind, filters, annual=True)
        data = res.data
        order = {s: i for i, s in enumerate(res.sources)}  # bilan first (from the rows' origine)
        years = tuple(data["periode"])
        values = tuple(float(v) for v in data["valeur"])
        annee = years[-1] if years else (filters.periode_fin or "")
        # sources of the latest year only: that is what the card shows
        latest = data[data["periode"] == annee]
        origins = tuple(sorted_origins(o) for o in data["origines"])
        source_origin = dict(zip(res.sources, res.origins))
        latest_sources = (
            tuple(sorted(_parts(latest["sources"]), key=lambda s: order.get(s, len(order))))
            if not latest.empty
            else ()
        )
        out.append(
            Kpi(
                ind,
                libelle,
                unite,
                annee,
                values[-1] if values else None,
                values[-2] if len(values) > 1 else None,
                years[-2] if len(years) > 1 else None,
                values,
                years,
                latest_sources,
                bool(latest["illustratif"].any()) if not latest.empty else False,
                res.ignored,
                origins[-1] if origins else (),
                origins[-2] if len(origins) > 1 else (),
                origins,
                tuple(source_origin.get(s, "") for s in latest_sources),
            )
        )
    return out


def ref_bassin_profile(con: duckdb.DuckDBPyConnection, bassin: str, annee: str, filters: Filters) -> pd.DataFrame:
    """Headline indicators of one bassin vs the académie for a year: valeur, academie, part_pct, rang, nb."""
    rows = []
    base = filters.with_(bassins=(), departements=())
    for ind, libelle, unite, agg in con.execute(
        "SELECT id, libelle, unite, agregation FROM indicateurs WHERE kpi IS NOT NULL ORDER BY kpi"
    ).fetchall():
        per_bassin = ref_values_by_bassin(con, ind, annee, base).data
        mine = per_bassin[per_bassin["code"] == bassin]
        total = ref_series(con, ind, base, annual=True, periods=(annee, annee)).data
        acad = float(total["valeur"].iloc[0]) if not total.empty else None
        value = float(mine["valeur"].iloc[0]) if not mine.empty and pd.notna(mine["valeur"].iloc[0]) else None
        rows.append(
            {
                "indicateur": ind,
                "libelle": libelle,
                "unite": unite,
                "valeur": value,
                "academie": acad,
                "part_pct": (value / acad * 100) if (value is not None and acad and agg == "somme") else None,
                "rang": int(mine["rang"].iloc[0]) if value is not None else None,
                "nb": int(per_bassin["valeur"].notna().sum()),
                "illustratif": bool(mine["illustratif"].iloc[0]) if not mine.empty else False,
            }
        )
    return pd.DataFrame(rows)


def ref_lab_profile(con: duckdb.DuckDBPyConnection, laboratoire: str, annee: str) -> pd.DataFrame:
    """One lab's activity vs the académie for a school year (every indicator with lab rows, no filter): valeur,
    academie, part_pct (additive indicators), rang among the labs with a value (1 = highest), nb, illustratif.
    Like `bassin_profile` for a bassin."""
    rows = []
    base = Filters()
    for ind, libelle, unite, agg in con.execute(
        """SELECT id, libelle, unite, agregation FROM indicateurs
           WHERE list_contains(string_split(territoires, '|'), 'laboratoire') AND granularite <> 'mensuelle'
             AND unite <> 'laboratoires'  -- a lab counting itself (1) compares with nothing
           ORDER BY coalesce(kpi, 99), libelle"""
    ).fetchall():
        per_lab = ref_series(con, ind, base, by="laboratoire", annual=True, periods=(annee, annee)).data
        if per_lab.empty:
            continue
        per_lab = per_lab.assign(rang=per_lab["valeur"].rank(ascending=False, method="min"))
        mine = per_lab[per_lab["groupe"] == laboratoire]
        total = ref_series(con, ind, base, annual=True, periods=(annee, annee)).data
        acad = float(total["valeur"].iloc[0]) if not total.empty else None
        value = float(mine["valeur"].iloc[0]) if not mine.empty else None
        rows.append(
            {
                "indicateur": ind,
                "libelle": libelle,
                "unite": unite,
                "valeur": value,
                "academie": acad,
                "part_pct": (value / acad * 100) if (value is not None and acad and agg == "somme") else None,
                "rang": int(mine["rang"].iloc[0]) if value is not None else None,
                "nb": int(per_lab["valeur"].notna().sum()),
                "illustratif": bool(mine["illustratif"].iloc[0]) if not mine.empty else False,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["indicateur", "libelle", "unite", "valeur", "academie", "part_pct", "rang", "nb", "illustratif"],
    )


# The reference is a pure function of the version (a read-only file) and of its arguments: each of its answers is
# computed once per module and handed out as a copy (the profiles ask it the same per-indicator series for every
# bassin, lab and year; the series test asks the scope that `ref_series` has just resolved). The grouped functions
# under test are run, and their statements counted, every time.
_REFERENCE_ANSWERS: dict[tuple, object] = {}


def _answered_once(fn):  # noqa: ANN001, ANN202
    @functools.wraps(fn)
    def answer(con, *args, **kwargs):  # noqa: ANN001, ANN202
        key = (fn.__name__, id(con), args, tuple(sorted(kwargs.items())))
        if key not in _REFERENCE_ANSWERS:
            _REFERENCE_ANSWERS[key] = fn(con, *args, **kwargs)
        found = _REFERENCE_ANSWERS[key]
        return (
            dataclasses.replace(found, data=found.data.copy())
            if isinstance(found, Result)
            else copy.deepcopy(found)
        )

    return answer


ref_resolve_scope = _answered_once(ref_resolve_scope)
ref_series = _answered_once(ref_series)
ref_values_by_bassin = _answered_once(ref_values_by_bassin)
