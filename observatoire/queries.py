"""Read API of the store. Every function takes a DuckDB connection (or cursor) and plain values, returns
DataFrames or small dataclasses, and uses named SQL parameters only.

How filters apply to an indicator
- Territory: bassins selected → bassin rows; else départements selected → département rows; else the académie
  row. An indicator with no rows at that level reports the territorial filter as not applicable.
- Niveau / thématique / public: with no selection, the `tous` row is read (or the sum of the parts when an
  indicator has no `tous` row). With a selection, the selected parts are read and aggregated. When the
  indicator has none of the selected codes, the filter is reported as not applicable (never silently
  ignored): `Result.ignored` holds French notes for the UI.
- Thèmes form one taxonomy (`thematiques.parent`, data/reference/thematiques.csv): the main thèmes are the
  laboratories' thèmes of the bilan; accompaniment thèmes and « heures numériques » thèmes are sub-thèmes of
  one of them. A selected thème stands for itself and all its sub-thèmes: the query reads the codes of that
  branch the indicator has (the most general one when several levels exist) and aggregates them.
- Origin: every measure row has an `origine` (`bilan`, `deduit`, `illustratif`, `import`); `illustratif`
  flags and the order of the sources (bilan first) come from that column, never from the `source` text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from observatoire import config
from observatoire.filters import Choices, Filters

DIMENSIONS = ("niveau", "thematique", "public")
DIMENSION_FILTER = {"niveau": "niveaux", "thematique": "thematiques", "public": "publics"}
DIMENSION_LABEL = {"niveau": "niveau", "thematique": "thématique", "public": "public"}
BREAKDOWNS = {
    "total": "Ensemble",
    "departement": "Département",
    "bassin": "Bassin",
    "laboratoire": "Laboratoire",
    "niveau": "Niveau",
    "public": "Public",
    "thematique": "Thématique",
}
_AGG_SQL = {"somme": "sum(valeur)", "moyenne": "avg(valeur)", "dernier": "avg(valeur)"}


@dataclass(frozen=True)
class Result:
    """A query result with what the UI must say about it."""

    data: pd.DataFrame
    ignored: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    illustrative: bool = False
    empty_reason: str | None = None

    @property
    def empty(self) -> bool:
        return self.data.empty


@dataclass(frozen=True)
class Scope:
    territoire_type: str
    territoire_codes: tuple[str, ...] | None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    empty_reason: str | None = None


# ------------------------------------------------------------------------------------------- catalogues


def indicators(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT * FROM indicateurs ORDER BY domaine, libelle").df()


def indicator(con: duckdb.DuckDBPyConnection, indicator_id: str) -> dict:
    row = con.execute("SELECT * FROM indicateurs WHERE id = $id", {"id": indicator_id}).df()
    if row.empty:
        raise KeyError(indicator_id)
    return row.iloc[0].to_dict()


def catalogue(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    allowed = {"thematiques", "niveaux", "publics", "departements", "bassins", "laboratoires", "projets",
               "communes_bassins", "territoires", "indicateurs"}
    if name not in allowed:
        raise KeyError(name)
    return con.execute(f'SELECT * FROM "{name}"').df()


def school_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT DISTINCT annee_scolaire FROM mesures_actives ORDER BY 1").fetchall()
    return [r[0] for r in rows]


_LABEL_SQL = {
    "departement": "SELECT code, nom FROM departements",
    "bassin": "SELECT code, nom FROM bassins",
    "laboratoire": "SELECT code, nom FROM laboratoires",
    "niveau": "SELECT code, libelle FROM niveaux",
    "thematique": "SELECT code, libelle FROM thematiques",
    "public": "SELECT code, libelle FROM publics",
    "indicateur": "SELECT id, libelle FROM indicateurs",
}


def dimension_labels(con: duckdb.DuckDBPyConnection, dimension: str) -> dict[str, str]:
    """Code → French label for one dimension (`total`/`academie`: the académie's name)."""
    if dimension in ("academie", "total"):
        return {config.academie().code: config.academie().nom}
    return dict(con.execute(_LABEL_SQL[dimension]).fetchall()) if dimension in _LABEL_SQL else {}


def labels(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Code → French label for every dimension (territories, niveaux, thématiques, publics, indicators)."""
    return {dim: dimension_labels(con, dim) for dim in (*_LABEL_SQL, "academie", "total")}


def theme_parents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Sub-thème → its main thème (`thematiques.parent`)."""
    return dict(con.execute("SELECT code, parent FROM thematiques WHERE parent IS NOT NULL").fetchall())


def _theme_branches(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """code → itself and its descendants; code → its ancestors."""
    parents = theme_parents(con)
    codes = [r[0] for r in con.execute("SELECT code FROM thematiques").fetchall()]
    ancestors: dict[str, set[str]] = {}
    for code in codes:
        chain, current = set(), parents.get(code)
        while current is not None and current not in chain and current != code:
            chain.add(current)
            current = parents.get(current)
        ancestors[code] = chain
    descendants = {code: {code} | {c for c in codes if code in ancestors[c]} for code in codes}
    return descendants, ancestors


def expand_themes(con: duckdb.DuckDBPyConnection, themes: tuple[str, ...]) -> tuple[str, ...]:
    """The selected thèmes and all their sub-thèmes (selection order first, then sub-thèmes by code)."""
    if not themes:
        return ()
    descendants, _ = _theme_branches(con)
    out = dict.fromkeys(themes)
    for theme in themes:
        out.update(dict.fromkeys(sorted(descendants.get(theme, {theme}) - {theme})))
    return tuple(out)


def choices(con: duckdb.DuckDBPyConnection) -> Choices:
    lab = labels(con)
    bassins = dict(con.execute("SELECT code, departement FROM bassins ORDER BY departement, nom").fetchall())
    order = {
        "niveaux": [r[0] for r in con.execute("SELECT code FROM niveaux WHERE code <> 'tous' ORDER BY ordre")
                    .fetchall()],
        "publics": [r[0] for r in con.execute("SELECT code FROM publics WHERE code <> 'tous' ORDER BY ordre")
                    .fetchall()],
        # each main thème (by label) followed by its sub-thèmes (by label)
        "thematiques": [r[0] for r in con.execute(
            """SELECT t.code FROM thematiques t LEFT JOIN thematiques p ON p.code = t.parent
               WHERE t.code <> 'tous' ORDER BY coalesce(p.libelle, t.libelle), t.parent IS NOT NULL, t.libelle"""
        ).fetchall()],
    }
    return Choices(
        departements=tuple(r[0] for r in con.execute("SELECT code FROM departements ORDER BY code").fetchall()),
        bassins=bassins,
        thematiques=tuple(order["thematiques"]),
        niveaux=tuple(order["niveaux"]),
        publics=tuple(order["publics"]),
        annees=tuple(school_years(con)),
        labels={"departements": lab["departement"], "bassins": lab["bassin"], "thematiques": lab["thematique"],
                "niveaux": lab["niveau"], "publics": lab["public"]},
        theme_parents=theme_parents(con),
    )


# ------------------------------------------------------------------------------------------------ scope


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


def resolve_scope(con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters,
                  by: str = "total") -> Scope:
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
        ignored.append("Territoire : cet indicateur n'est disponible qu'au niveau académique, le filtre "
                       "territorial ne s'applique pas.")
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
                chosen = _match_themes(con, selected, available)[0]
            else:
                chosen = tuple(v for v in selected if v in available) if selected else tuple(parts)
            if not chosen:
                reason = (f"Cet indicateur n'est pas détaillé par {DIMENSION_LABEL[dim]}." if not parts
                          else f"Aucune donnée pour {DIMENSION_LABEL[dim]} choisi.")
                return Scope(ttype, codes, {}, tuple(ignored), reason)
            values[dim] = chosen
        elif selected and dim == "thematique":
            matched, missing = _match_themes(con, selected, available)
            if matched:
                values[dim] = matched
                if missing:
                    ignored.append(f"Filtre {DIMENSION_LABEL[dim]} : pas de donnée pour « "
                                   + "», « ".join(missing) + " » avec cet indicateur.")
            else:
                ignored.append(f"Filtre {DIMENSION_LABEL[dim]} : ne s'applique pas à cet indicateur "
                               "(valeur tous publics / niveaux / thématiques affichée).")
                values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
        elif selected:
            matched = tuple(v for v in selected if v in available and v != config.ALL)
            if matched:
                values[dim] = matched
                missing = [v for v in selected if v not in matched]
                if missing:
                    ignored.append(f"Filtre {DIMENSION_LABEL[dim]} : pas de donnée pour « "
                                   + "», « ".join(missing) + " » avec cet indicateur.")
            else:
                ignored.append(f"Filtre {DIMENSION_LABEL[dim]} : ne s'applique pas à cet indicateur "
                               "(valeur tous publics / niveaux / thématiques affichée).")
                values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
        else:
            values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
    return Scope(ttype, codes, values, tuple(ignored))


def _match_themes(con: duckdb.DuckDBPyConnection, selected: tuple[str, ...],
                  available: set[str]) -> tuple[tuple[str, ...], list[str]]:
    """Codes of the indicator answering the selected thèmes (each thème with its sub-thèmes; a code whose
    ancestor is also available is dropped, the ancestor's row already counts it), and the selected thèmes
    with no code at all."""
    descendants, ancestors = _theme_branches(con)
    matched: dict[str, None] = {}
    missing: list[str] = []
    for theme in selected:
        branch = [c for c in sorted(descendants.get(theme, {theme})) if c in available and c != config.ALL]
        if theme in branch:  # the thème itself first
            branch.remove(theme)
            branch.insert(0, theme)
        if not branch:
            missing.append(theme)
        matched.update(dict.fromkeys(branch))
    kept = tuple(c for c in matched if not (ancestors.get(c, set()) & set(matched)))
    return kept, missing


# ----------------------------------------------------------------------------------------------- series

_GROUP_SQL = {
    "total": "'total'",
    "departement": "t.departement",
    "bassin": "m.territoire_code",
    "laboratoire": "m.territoire_code",
    "niveau": "m.niveau",
    "thematique": "m.thematique",
    "public": "m.public",
}


def series(con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters, by: str = "total",
           annual: bool = False, periods: tuple[str, str] | None = None) -> Result:
    """Values of one indicator over time, broken down by `by` (see `BREAKDOWNS`).

    `annual=True` aggregates monthly indicators per school year. `periods` (school years, inclusive)
    overrides the filters' period range. Columns: periode, groupe, libelle, valeur, illustratif, sources.
    """
    if by not in _GROUP_SQL:
        raise ValueError(f"Découpage inconnu : {by}")
    meta = indicator(con, indicator_id)
    scope = resolve_scope(con, indicator_id, filters, by)
    columns = ["periode", "groupe", "libelle", "valeur", "illustratif", "sources"]
    if scope.empty_reason:
        return Result(pd.DataFrame(columns=columns), scope.ignored, empty_reason=scope.empty_reason)
    debut, fin = periods if periods else (filters.periode_debut, filters.periode_fin)
    period_col = "m.annee_scolaire" if annual else "m.periode"
    sql = f"""
        SELECT {period_col} AS periode, {_GROUP_SQL[by]} AS groupe, {_AGG_SQL[meta['agregation']]} AS valeur,
               bool_or(m.origine = 'illustratif') AS illustratif,
               string_agg(DISTINCT m.source, ' | ' ORDER BY m.source) AS sources,
               string_agg(DISTINCT m.source, ' | ' ORDER BY m.source) FILTER (WHERE m.origine = 'illustratif')
                   AS sources_illustratives
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
    names = dimension_labels(con, by)  # only the labels this breakdown needs (hot path)
    frame["libelle"] = frame["groupe"].map(names).fillna(config.academie().nom if by == "total" else "")
    sources = _split_sources(frame["sources"], frame["sources_illustratives"])
    frame = frame[columns]
    reason = None if not frame.empty else "Aucune donnée pour cette combinaison de filtres et de période."
    return Result(frame, scope.ignored, sources, bool(frame["illustratif"].any()), reason)


def _parts(column: pd.Series) -> dict[str, None]:
    found: dict[str, None] = {}
    for value in column.dropna():
        for part in str(value).split(" | "):
            found[part] = None
    return found


def _split_sources(column: pd.Series, illustrative: pd.Series | None = None) -> tuple[str, ...]:
    """Distinct sources, those of non-illustrative rows (bilan, deduced, imported) first. `illustrative`:
    the sources of the rows whose `origine` is `illustratif` (same layout as `column`)."""
    found = _parts(column)
    late = set(_parts(illustrative)) if illustrative is not None else set()
    return tuple(sorted(found, key=lambda s: (s in late, s)))


def values_by_bassin(con: duckdb.DuckDBPyConnection, indicator_id: str, annee: str, filters: Filters) -> Result:
    """One value per bassin for a school year (every bassin of the chosen départements, NaN = no data).

    Columns: code, nom, departement, valeur, rang (1 = highest), selectionne, illustratif, sources.
    """
    scoped = filters.with_(bassins=())
    res = series(con, indicator_id, scoped, by="bassin", annual=True, periods=(annee, annee))
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
    return Result(out, res.ignored, res.sources, res.illustrative, reason)


def evolution(con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters, by: str,
              year_a: str, year_b: str) -> Result:
    """Change between two school years per group: valeur_a, valeur_b, evolution_pct (NaN if undefined)."""
    res = series(con, indicator_id, filters, by=by, annual=True, periods=(min(year_a, year_b),
                                                                         max(year_a, year_b)))
    data = res.data
    a = data[data["periode"] == year_a].set_index("groupe")
    b = data[data["periode"] == year_b].set_index("groupe")
    out = pd.DataFrame({"libelle": b["libelle"].combine_first(a["libelle"]), "valeur_a": a["valeur"],
                        "valeur_b": b["valeur"]})
    out["evolution_pct"] = (out["valeur_b"] - out["valeur_a"]) / out["valeur_a"].where(out["valeur_a"] != 0) * 100
    out = out.reset_index().rename(columns={"index": "groupe"}).sort_values("evolution_pct", ascending=False)
    reason = res.empty_reason or (None if not out.empty else "Aucune donnée pour ces deux années.")
    return Result(out, res.ignored, res.sources, res.illustrative, reason)


# --------------------------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class Kpi:
    indicateur: str
    libelle: str
    unite: str
    annee: str
    valeur: float | None
    precedente: float | None
    annee_precedente: str | None
    historique: tuple[float, ...]
    annees: tuple[str, ...]
    sources: tuple[str, ...]
    illustratif: bool
    ignored: tuple[str, ...]

    @property
    def delta_pct(self) -> float | None:
        if self.valeur is None or not self.precedente:
            return None
        return (self.valeur - self.precedente) / self.precedente * 100


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[Kpi]:
    """Headline indicators (catalogue column `kpi`) for the latest school year of the chosen period."""
    rows = con.execute("SELECT id, libelle, unite FROM indicateurs WHERE kpi IS NOT NULL ORDER BY kpi").fetchall()
    out: list[Kpi] = []
    for ind, libelle, unite in rows:
        res = series(con, ind, filters, annual=True)
        data = res.data
        order = {s: i for i, s in enumerate(res.sources)}  # bilan first (from the rows' origine)
        years = tuple(data["periode"])
        values = tuple(float(v) for v in data["valeur"])
        annee = years[-1] if years else (filters.periode_fin or "")
        # sources of the latest year only: that is what the card shows
        latest = data[data["periode"] == annee]
        out.append(Kpi(
            ind, libelle, unite, annee,
            values[-1] if values else None,
            values[-2] if len(values) > 1 else None,
            years[-2] if len(years) > 1 else None,
            values, years,
            tuple(sorted(_parts(latest["sources"]), key=lambda s: order.get(s, len(order))))
            if not latest.empty else (),
            bool(latest["illustratif"].any()) if not latest.empty else False,
            res.ignored,
        ))
    return out


def bassin_profile(con: duckdb.DuckDBPyConnection, bassin: str, annee: str, filters: Filters) -> pd.DataFrame:
    """Headline indicators of one bassin vs the académie for a year: valeur, academie, part_pct, rang, nb."""
    rows = []
    base = filters.with_(bassins=(), departements=())
    for ind, libelle, unite, agg in con.execute(
        "SELECT id, libelle, unite, agregation FROM indicateurs WHERE kpi IS NOT NULL ORDER BY kpi"
    ).fetchall():
        per_bassin = values_by_bassin(con, ind, annee, base).data
        mine = per_bassin[per_bassin["code"] == bassin]
        total = series(con, ind, base, annual=True, periods=(annee, annee)).data
        acad = float(total["valeur"].iloc[0]) if not total.empty else None
        value = float(mine["valeur"].iloc[0]) if not mine.empty and pd.notna(mine["valeur"].iloc[0]) else None
        rows.append({
            "indicateur": ind, "libelle": libelle, "unite": unite, "valeur": value, "academie": acad,
            "part_pct": (value / acad * 100) if (value is not None and acad and agg == "somme") else None,
            "rang": int(mine["rang"].iloc[0]) if value is not None else None,
            "nb": int(per_bassin["valeur"].notna().sum()),
            "illustratif": bool(mine["illustratif"].iloc[0]) if not mine.empty else False,
        })
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- labs, raw data


def laboratories(con: duckdb.DuckDBPyConnection, filters: Filters) -> Result:
    """Labs matching the territory, thématique and niveau filters (a lab matches if it has any chosen code).

    A thème reaches the labs of its branch: the thème, its sub-thèmes and its main thème (a lab's thèmes are
    main thèmes: choosing « Robotique et programmation » lists the labs of « Programmation et IA »)."""
    frame = con.execute(
        """SELECT l.*, b.nom AS bassin_nom, d.nom AS departement_nom FROM laboratoires l
           JOIN bassins b ON b.code = l.bassin JOIN departements d ON d.code = l.departement
           WHERE (len($d) = 0 OR list_contains($d, l.departement))
             AND (len($b) = 0 OR list_contains($b, l.bassin))
             AND (len($t) = 0 OR len(list_intersect($t, string_split(l.thematiques, '|'))) > 0)
             AND (len($n) = 0 OR len(list_intersect($n, string_split(l.niveaux, '|'))) > 0)
           ORDER BY l.departement, l.commune""",
        {"d": list(filters.departements), "b": list(filters.bassins),
         "t": list(_theme_branch(con, filters.thematiques)), "n": list(filters.niveaux)},
    ).df()
    ignored = ("Filtre public : ne s'applique pas à la liste des laboratoires.",) if filters.publics else ()
    reason = None if not frame.empty else "Aucun laboratoire ne correspond à ces filtres."
    sources = tuple(sorted(set(frame["source"]))) if not frame.empty else ()
    return Result(frame, ignored, sources, bool((frame["source"] == config.ILLUSTRATIVE).any()), reason)


def _theme_branch(con: duckdb.DuckDBPyConnection, themes: tuple[str, ...]) -> tuple[str, ...]:
    """The selected thèmes, their sub-thèmes and their ancestors (for reference lists tagged by main thème)."""
    if not themes:
        return ()
    _, ancestors = _theme_branches(con)
    out = dict.fromkeys(expand_themes(con, themes))
    for theme in themes:
        out.update(dict.fromkeys(sorted(ancestors.get(theme, set()))))
    return tuple(out)


def projects(con: duckdb.DuckDBPyConnection, laboratoire: str | None = None,
             thematiques: tuple[str, ...] = ()) -> pd.DataFrame:
    """Projects cited by the bilan, of one lab and/or of the branch of the selected thèmes."""
    return con.execute(
        """SELECT p.*, t.libelle AS thematique_libelle FROM projets p
           LEFT JOIN thematiques t ON t.code = p.thematique
           WHERE ($lab IS NULL OR p.laboratoire = $lab)
             AND (len($t) = 0 OR list_contains($t, p.thematique))
           ORDER BY t.libelle, p.intitule""",
        {"lab": laboratoire, "t": list(_theme_branch(con, thematiques))},
    ).df()


def measures(con: duckdb.DuckDBPyConnection, filters: Filters, indicator_id: str | None = None) -> pd.DataFrame:
    """Raw active measures in the canonical columns (`schema.MEASURE_COLUMNS`), restricted by every filter.

    Territory: with départements/bassins selected, rows of those territories and of the bassins and labs
    inside them. Dimensions: rows whose code is selected, a thème with its sub-thèmes (no selection → every
    row).
    """
    return con.execute(
        """SELECT m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique,
                  m.public, m.valeur, m.origine, m.source
           FROM mesures_actives m
           JOIN territoires t ON t.type = m.territoire_type AND t.code = m.territoire_code
           WHERE ($ind IS NULL OR m.indicateur = $ind)
             AND (len($d) = 0 OR list_contains($d, t.departement))
             AND (len($b) = 0 OR list_contains($b, t.bassin))
             AND (len($n) = 0 OR list_contains($n, m.niveau))
             AND (len($t) = 0 OR list_contains($t, m.thematique))
             AND (len($p) = 0 OR list_contains($p, m.public))
             AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
           ORDER BY m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique,
                    m.public""",
        {"ind": indicator_id, "d": list(filters.departements), "b": list(filters.bassins),
         "n": list(filters.niveaux), "t": list(expand_themes(con, filters.thematiques)),
         "p": list(filters.publics),
         "debut": filters.periode_debut, "fin": filters.periode_fin},
    ).df()


def all_measures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return measures(con, Filters())
