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
- Statements: the scope rules run in Python on a `_Catalog` read in one statement; `_series_many` answers
  many (indicator, breakdown) pairs in ONE statement (a UNION ALL of the per-indicator queries, each with its
  own named parameters). `series` = 2 statements; `kpis`, `bassin_profile`, `lab_profile` = 3 for every
  indicator; `lab_figures_series` = 2 (tests/observatoire/test_query_counts.py counts them and compares the
  results with the per-indicator code of before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from observatoire import config, departements, published
from observatoire.filters import Choices, Filters
from observatoire.labels import Labels
from observatoire.rows import one_row

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

ORIGIN_ORDER = ("bilan", "deduit", "import", "illustratif")
"""Measure origins (`mesures_actives.origine`), most trusted first: figures of the bilan, figures deduced from
it, imported figures (a lot added by a user), generated (illustrative) figures."""


def origin_rank(origin: str) -> int:
    return ORIGIN_ORDER.index(origin) if origin in ORIGIN_ORDER else len(ORIGIN_ORDER)


def sorted_origins(origins: str | Iterable[object] | None) -> tuple[str, ...]:
    """Distinct origins, most trusted first (`"bilan | illustratif"`, an iterable of codes, or None; pandas'
    missing value, NaN, counts as None)."""
    if origins is None or (isinstance(origins, float) and origins != origins):
        return ()
    parts = origins.split(" | ") if isinstance(origins, str) else [str(o) for o in origins]
    return tuple(sorted({p for p in parts if p}, key=origin_rank))


def origin_summary(origins: str | Iterable[object] | None) -> str:
    """One origin for a value computed from rows of these origins: `illustratif` as soon as one input is,
    else the least direct of `import`, `deduit`, `bilan`; "" without any input."""
    found = sorted_origins(origins)
    return found[-1] if found else ""


TERRITORY_NOT_APPLIED = (
    "Territoire : cet indicateur n'est disponible qu'au niveau académique, le filtre "
    "territorial ne s'applique pas."
)
NOT_APPLIED_WORDS = "ne s'applique pas"
_NOT_APPLIED = {
    f"Filtre {label} : {NOT_APPLIED_WORDS}": DIMENSION_FILTER[dim] for dim, label in DIMENSION_LABEL.items()
}


def not_applied_filters(notes: object) -> tuple[str, ...]:
    """The `Filters` attributes (`departements`, `bassins`, `niveaux`, `thematiques`, `publics`) that the notes
    of a result (`Result.ignored`, `Kpi.ignored`) say do NOT apply to it — read from the notes this module
    writes (`TERRITORY_NOT_APPLIED`, « Filtre niveau : ne s'applique pas … »). A filter that applies in part (a
    code without data, a sub-thème read at its main thème) still applies."""
    found: list[str] = []
    for note in notes or ():  # type: ignore[attr-defined]
        text = str(note)
        if text == TERRITORY_NOT_APPLIED:
            found += ["departements", "bassins"]
        found += [attr for prefix, attr in _NOT_APPLIED.items() if text.startswith(prefix)]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Result:
    """A query result with what the UI must say about it."""

    data: pd.DataFrame
    ignored: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    illustrative: bool = False
    empty_reason: str | None = None
    origins: tuple[str, ...] = ()
    """The origin of each of `sources` (same order; `illustratif` when any row citing it is generated)."""

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
    allowed = {
        "thematiques",
        "niveaux",
        "publics",
        "departements",
        "bassins",
        "laboratoires",
        "projets",
        "communes_bassins",
        "territoires",
        "indicateurs",
    }
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
_ACADEMIE_SQL = "SELECT code, nom FROM territoires WHERE type = 'academie'"


def dimension_labels(con: duckdb.DuckDBPyConnection, dimension: str) -> dict[str, str]:
    """Code → French label for one dimension (`total`/`academie`: the académie's name)."""
    if dimension in ("academie", "total"):  # as published: the version's territoires (`store._territories`)
        return dict(con.execute(_ACADEMIE_SQL).fetchall())
    return dict(con.execute(_LABEL_SQL[dimension]).fetchall()) if dimension in _LABEL_SQL else {}


def labels(con: duckdb.DuckDBPyConnection) -> Labels:
    """Code → French label for every dimension (territories, labs, niveaux, thématiques, publics, indicators,
    the académie)."""
    return Labels(
        **{Labels.ALIASES[dim]: dimension_labels(con, dim) for dim in _LABEL_SQL},
        academie=dimension_labels(con, "academie"),
    )


def theme_parents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Sub-thème → its main thème (`thematiques.parent`)."""
    return dict(con.execute("SELECT code, parent FROM thematiques WHERE parent IS NOT NULL").fetchall())


def _theme_branches(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """code → itself and its descendants; code → its ancestors."""
    codes = [r[0] for r in con.execute("SELECT code FROM thematiques").fetchall()]
    return _branches(theme_parents(con), codes)


def _branches(parents: dict[str, str], codes: list[str]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """`_theme_branches` from the taxonomy (sub-thème → main thème, every code)."""
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
    by_departement = departements.sql_order("departement")
    bassins = dict(con.execute(f"SELECT code, departement FROM bassins ORDER BY {by_departement}, nom").fetchall())
    order = {
        "niveaux": [
            r[0] for r in con.execute("SELECT code FROM niveaux WHERE code <> 'tous' ORDER BY ordre").fetchall()
        ],
        "publics": [
            r[0] for r in con.execute("SELECT code FROM publics WHERE code <> 'tous' ORDER BY ordre").fetchall()
        ],
        # each main thème (by label) followed by its sub-thèmes (by label)
        "thematiques": [
            r[0]
            for r in con.execute(
                """SELECT t.code FROM thematiques t LEFT JOIN thematiques p ON p.code = t.parent
               WHERE t.code <> 'tous' ORDER BY coalesce(p.libelle, t.libelle), t.parent IS NOT NULL, t.libelle"""
            ).fetchall()
        ],
    }
    return Choices(
        departements=tuple(
            r[0]
            for r in con.execute(
                f"SELECT code FROM departements ORDER BY {departements.sql_order('code')}"
            ).fetchall()
        ),
        bassins=bassins,
        thematiques=tuple(order["thematiques"]),
        niveaux=tuple(order["niveaux"]),
        publics=tuple(order["publics"]),
        annees=tuple(school_years(con)),
        labels=lab,
        theme_parents=theme_parents(con),
    )


# ------------------------------------------------------------------------------------------------ scope


@dataclass(frozen=True)
class _Catalog:
    """What the scope rules of a set of indicators need, read in ONE statement (`_catalog`): their catalogue
    rows (selection order), the distinct (territoire_type, niveau, thematique, public) each has, the thème
    taxonomy, the bassins and labs (by code) and the labels of every dimension."""

    meta: dict[str, dict]
    avail: dict[str, list[tuple[str, str, str, str]]]
    parents: dict[str, str]
    descendants: dict[str, set[str]]
    ancestors: dict[str, set[str]]
    names: dict[str, dict[str, str]]
    bassins: list[tuple[str, str, str]]
    """(code, departement, nom), by code."""
    labs: list[tuple[str, str, str]]
    """(code, bassin, departement), by code."""

    def labels(self, dimension: str) -> dict[str, str]:
        """`dimension_labels` without a query."""
        return self.names.get("academie" if dimension == "total" else dimension, {})


_SELECTIONS = {
    # name → (WHERE, ORDER BY) of the indicators read (fixed texts: no value ever goes into the SQL)
    "kpi": ("kpi IS NOT NULL", "kpi"),
    "lab": (
        "list_contains(string_split(territoires, '|'), 'laboratoire') AND granularite <> 'mensuelle' "
        "AND id IS DISTINCT FROM {lab_count}",
        "coalesce(kpi, 99), libelle",
    ),
}
# the count of labs (`indicateurs.nombre_laboratoires` of the academie.json the version holds) is not a lab's own
# figure; read in the same statement (a version without the file: the reference folder's, `published`)
_LAB_COUNT_SQL = (
    "coalesce((SELECT json_extract_string(content, '$.indicateurs.nombre_laboratoires') "
    "FROM reference_files WHERE name = 'academie.json'), $lab_count)"
)
_CATALOG_PARTS = {
    "meta": "SELECT list(struct_pack(id, libelle, unite, agregation, recouvrement)) FROM indicateurs "
    "WHERE id IN ({ids})",
    "avail": "SELECT list(struct_pack(indicateur, territoire_type, niveau, thematique, public)) FROM ("
    "SELECT DISTINCT indicateur, territoire_type, niveau, thematique, public FROM disponibilites "
    "WHERE indicateur IN ({ids}))",
    "themes": "SELECT list(struct_pack(code, parent, libelle)) FROM thematiques",
    "bassins": "SELECT list(struct_pack(code, departement, nom) ORDER BY code) FROM bassins",
    "labs": "SELECT list(struct_pack(code, bassin, departement, nom) ORDER BY code) FROM laboratoires",
    "departements": "SELECT list(struct_pack(code, nom)) FROM departements",
    "niveaux": "SELECT list(struct_pack(code, libelle)) FROM niveaux",
    "publics": "SELECT list(struct_pack(code, libelle)) FROM publics",
    "academie": "SELECT list(struct_pack(code, nom)) FROM territoires WHERE type = 'academie'",
}
_PARTS_OF_BY = {
    "bassin": "bassins",
    "laboratoire": "labs",
    "departement": "departements",
    "niveau": "niveaux",
    "thematique": "themes",
    "public": "publics",
}


def _in_list(prefix: str, values: tuple[str, ...] | list[str]) -> tuple[str, dict[str, str]]:
    """`$prefix0, $prefix1, …` and their values, for `x IN (…)`: DuckDB pushes such a filter below the
    `mesures_actives` window (a list parameter, `list_contains`, is not pushed: every row would be ranked)."""
    if not values:
        return "NULL", {}
    names = [f"{prefix}{i}" for i in range(len(values))]
    return ", ".join(f"${name}" for name in names), dict(zip(names, values))


def _folder_lab_count() -> str:
    """The count of labs of the reference folder's academie.json: for a version that does not hold the file
    ("" when the folder cannot be read: a version that holds it does not need it)."""
    try:
        return config.academie().indicateurs.nombre_laboratoires
    except Exception:  # noqa: BLE001 - unreadable folder: `check` says why
        return ""


def _catalog(
    con: duckdb.DuckDBPyConnection,
    selection: str | None = None,
    ids: tuple[str, ...] = (),
    filters: Filters | None = None,
    bys: tuple[str, ...] = ("total",),
) -> _Catalog:
    """The `_Catalog` of the indicators `ids` (or of `selection`, `_SELECTIONS`: then their ids are read
    first, so that the measures are filtered by id) for `_scope(…, filters, by)` with `by` in `bys`: ONE
    statement (two with a selection), reading only the tables these scopes need."""
    if selection is not None:
        where, order = _SELECTIONS[selection]
        folder = {"lab_count": _folder_lab_count()} if "{lab_count}" in where else {}
        try:
            rows = con.execute(
                f"SELECT id FROM indicateurs WHERE {where.format(lab_count=_LAB_COUNT_SQL)} ORDER BY {order}",
                folder,
            ).fetchall()
        except duckdb.CatalogException:  # a version published before schema 5 (no reference_files)
            rows = con.execute(
                f"SELECT id FROM indicateurs WHERE {where.format(lab_count='$lab_count')} ORDER BY {order}", folder
            ).fetchall()
        ids = tuple(r[0] for r in rows)
    parts = ["meta", "avail", "academie"]
    if filters is None or filters.thematiques:
        parts.append("themes")
    if filters is None or filters.bassins or filters.departements:  # the places `Filters.covers` is asked about
        parts += ["bassins", "labs"]
    parts += [_PARTS_OF_BY[by] for by in bys if by in _PARTS_OF_BY]
    parts = list(dict.fromkeys(parts))
    in_sql, in_params = _in_list("ind", ids)
    row = one_row(
        con.execute(
            "SELECT " + ", ".join(f"({_CATALOG_PARTS[p].format(ids=in_sql)}) AS {p}" for p in parts), in_params
        )
    )
    found = {p: (value or []) for p, value in zip(parts, row)}
    avail: dict[str, list[tuple[str, str, str, str]]] = {}
    for a in found["avail"]:
        avail.setdefault(a["indicateur"], []).append(
            (a["territoire_type"], a["niveau"], a["thematique"], a["public"])
        )
    themes, bassins, labs = found.get("themes", []), found.get("bassins", []), found.get("labs", [])
    parents = {t["code"]: t["parent"] for t in themes if t["parent"] is not None}
    descendants, ancestors = _branches(parents, [t["code"] for t in themes])
    names = {
        "departement": {d["code"]: d["nom"] for d in found.get("departements", [])},
        "bassin": {b["code"]: b["nom"] for b in bassins},
        "laboratoire": {lab["code"]: lab["nom"] for lab in labs},
        "niveau": {n["code"]: n["libelle"] for n in found.get("niveaux", [])},
        "thematique": {t["code"]: t["libelle"] for t in themes},
        "public": {p["code"]: p["libelle"] for p in found.get("publics", [])},
        "academie": {a["code"]: a["nom"] for a in found["academie"]},
    }
    by_id = {m["id"]: m for m in found["meta"]}
    return _Catalog(
        {i: by_id[i] for i in ids if i in by_id},
        avail,
        parents,
        descendants,
        ancestors,
        names,
        [(b["code"], b["departement"], b["nom"]) for b in bassins],
        [(lab["code"], lab["bassin"], lab["departement"]) for lab in labs],
    )


def _bassins_of(cat: _Catalog, filters: Filters) -> tuple[str, ...] | None:
    """The bassins of the chosen territory (`Filters.covers`), in the order chosen; None = no territory chosen."""
    if not filters.bassins and not filters.departements:
        return None
    dep_of = {code: dep for code, dep, _ in cat.bassins}
    pool = filters.bassins or tuple(dep_of)
    return tuple(code for code in pool if code in dep_of and filters.covers(dep_of[code], code))


def _labs_of(cat: _Catalog, filters: Filters) -> tuple[str, ...] | None:
    """The labs of the chosen territory (`Filters.covers`); None = no territory chosen."""
    if not filters.bassins and not filters.departements:
        return None
    return tuple(code for code, bassin, dep in cat.labs if filters.covers(dep, bassin))


def resolve_scope(con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters, by: str = "total") -> Scope:
    """Which rows of `indicator_id` answer `filters` (see the module docstring)."""
    return _scope(_catalog(con, ids=(indicator_id,), filters=filters, bys=(by,)), indicator_id, filters, by)


def _scope(cat: _Catalog, indicator_id: str, filters: Filters, by: str = "total") -> Scope:
    """`resolve_scope` from a `_Catalog` holding `indicator_id` (no query)."""
    avail = cat.avail.get(indicator_id, [])
    ignored: list[str] = []
    if not avail:
        return Scope("academie", None, {}, (), "Aucune donnée pour cet indicateur.")
    types = {row[0] for row in avail}
    codes: tuple[str, ...] | None
    if by == "laboratoire":
        ttype, codes = "laboratoire", _labs_of(cat, filters)
    elif filters.bassins or by == "bassin":
        ttype = "bassin"
        codes = _bassins_of(cat, filters)
    elif filters.departements or by == "departement":
        ttype, codes = "departement", filters.departements or None
    else:
        ttype, codes = "academie", None
    if ttype not in types:
        if by in ("bassin", "departement", "laboratoire"):
            return Scope(ttype, codes, {}, (), f"Cet indicateur n'est pas détaillé par {BREAKDOWNS[by].lower()}.")
        ignored.append(TERRITORY_NOT_APPLIED)
        ttype, codes = "academie", None
    if codes is not None and len(codes) == 0:
        return Scope(ttype, codes, {}, (), "Aucun laboratoire dans les territoires choisis.")
    at_level = [row for row in avail if row[0] == ttype]
    values: dict[str, tuple[str, ...]] = {}
    for position, dim in enumerate(DIMENSIONS, start=1):
        available = {row[position] for row in at_level}
        parts = sorted(available - {config.ALL})
        selected = tuple(getattr(filters, DIMENSION_FILTER[dim]))
        if by == dim:
            if selected and dim == "thematique":
                chosen, _, broader = _match_themes(cat, selected, available)
                ignored.extend(_broader_notes_from(cat.labels("thematique"), broader))
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
                matched, missing, broader = _match_themes(cat, selected, available)
            else:
                matched = tuple(v for v in selected if v in available and v != config.ALL)
                missing, broader = [v for v in selected if v not in matched], []
            if matched:
                values[dim] = matched
                ignored.extend(_broader_notes_from(cat.labels("thematique"), broader))
                if missing:
                    ignored.append(
                        f"Filtre {DIMENSION_LABEL[dim]} : pas de donnée pour « "
                        + "», « ".join(missing)
                        + " » avec cet indicateur."
                    )
            else:
                ignored.append(
                    f"Filtre {DIMENSION_LABEL[dim]} : {NOT_APPLIED_WORDS} à cet indicateur "
                    "(valeur tous publics / niveaux / thématiques affichée)."
                )
                values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
        else:
            values[dim] = (config.ALL,) if config.ALL in available else tuple(parts)
    return Scope(ttype, codes, values, tuple(ignored))


BROADER_PREFIX = "Filtre thématique : lu au niveau du thème principal"


def _broader_notes(con: duckdb.DuckDBPyConnection, broader: list[tuple[str, str]]) -> list[str]:
    if not broader:
        return []
    return _broader_notes_from(dimension_labels(con, "thematique"), broader)


def _broader_notes_from(names: dict[str, str], broader: list[tuple[str, str]]) -> list[str]:
    if not broader:
        return []
    pairs = "; ".join(f"« {names.get(a, a)} » → « {names.get(b, b)} »" for a, b in broader)
    return [
        f"{BROADER_PREFIX} ({pairs}) : cet indicateur est réparti par thème principal, comme les laboratoires."
    ]


def _match_themes(
    cat: _Catalog, selected: tuple[str, ...], available: set[str]
) -> tuple[tuple[str, ...], list[str], list[tuple[str, str]]]:
    """Codes of the indicator answering the selected thèmes (each thème with its sub-thèmes; a code whose
    ancestor is also available is dropped, the ancestor's row already counts it), the selected thèmes with no
    code at all, and (sub-thème, main thème) pairs where the indicator only has the sub-thème's main thème
    (indicators broken down by the labs' main thèmes: the main thème's row is read, as `laboratories` does)."""
    descendants, ancestors, parents = cat.descendants, cat.ancestors, cat.parents
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


def _nearest_ancestor(
    theme: str, ancestors: dict[str, set[str]], parents: dict[str, str], available: set[str]
) -> str | None:
    current = parents.get(theme)
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current in available:
            return current
        seen.add(current)
        current = parents.get(current)
    return None


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


def series(
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
    Two statements (`_catalog`, `_series_many`), whatever the filters.
    """
    if by not in _GROUP_SQL:
        raise ValueError(f"Découpage inconnu : {by}")
    cat = _catalog(con, ids=(indicator_id,), filters=filters, bys=(by,))
    if indicator_id not in cat.meta:
        raise KeyError(indicator_id)
    return _series_many(con, cat, [(indicator_id, by)], filters, annual, periods)[0]


_SERIES_COLUMNS = ["periode", "groupe", "libelle", "valeur", "illustratif", "sources", "origines"]
_SERIES_BRANCH_SQL = """
        SELECT {period} AS periode, {group} AS groupe, {agg} AS valeur,
               bool_or(m.origine = 'illustratif') AS illustratif,
               string_agg(DISTINCT m.source, ' | ' ORDER BY m.source) AS sources,
               string_agg(DISTINCT m.origine, ' | ') AS origines,
               string_agg(DISTINCT m.origine || chr(31) || m.source, chr(30)) AS paires
        FROM mesures_actives m
        JOIN territoires t ON t.type = m.territoire_type AND t.code = m.territoire_code
        WHERE m.indicateur = $ind{k} AND m.territoire_type = $ttype{k}
          AND ($all_codes{k} OR list_contains($codes{k}, m.territoire_code))
          AND list_contains($niveaux{k}, m.niveau) AND list_contains($thematiques{k}, m.thematique)
          AND list_contains($publics{k}, m.public)
          AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
        GROUP BY ALL"""
_LAB_GROUP_SQL = {
    "total": "'total'",
    "departement": "t.departement",
    "bassin": "t.bassin",
    "laboratoire": "m.lab",
    "niveau": "m.niveau",
    "thematique": "m.thematique",
    "public": "m.public",
}
_LAB_TERRITORY_SQL = {
    "academie": "true",
    "departement": "list_contains($codes{k}, t.departement)",
    "bassin": "list_contains($codes{k}, t.bassin)",
    "laboratoire": "list_contains($codes{k}, m.lab)",
}
_LAB_BRANCH_SQL = """
        WITH per_lab AS (
            SELECT {period} AS periode, m.territoire_code AS lab{by_dim}, max(m.valeur) AS valeur
            FROM mesures_actives m
            WHERE m.indicateur = $ind{k} AND m.territoire_type = 'laboratoire'
              AND list_contains($niveaux{k}, m.niveau) AND list_contains($thematiques{k}, m.thematique)
              AND list_contains($publics{k}, m.public)
              AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
            GROUP BY ALL)
        SELECT m.periode, {group} AS groupe, sum(m.valeur) AS valeur
        FROM per_lab m JOIN territoires t ON t.type = 'laboratoire' AND t.code = m.lab
        WHERE $all_codes{k} OR {territory}
        GROUP BY ALL"""


def _series_many(
    con: duckdb.DuckDBPyConnection,
    cat: _Catalog,
    requests: list[tuple[str, str]],
    filters: Filters,
    annual: bool = False,
    periods: tuple[str, str] | None = None,
) -> list[Result]:
    """`series(con, indicator, filters, by, annual, periods)` for each (indicator, by) of `requests` (in
    `cat`), in ONE statement: each request's scope (`_scope`, no query) gives one branch of a UNION ALL,
    the per-indicator query of before with its own named parameters (`$ind3`, `$codes3`…), so that DuckDB
    still pushes the indicator and territory filters below the `mesures_actives` window. An overlapping
    indicator (`_overlapping`: a lab counted in each of its niveaux, several chosen) reads each lab's
    largest value over the chosen parts, summed per group (a lab serving Collège and Lycée counts once for
    « Collège, Lycée »; groups without any lab read 0), in the same branch. Same results as one query per
    request (tests/observatoire/test_query_counts.py)."""
    scopes = [_scope(cat, ind, filters, by) for ind, by in requests]
    debut, fin = periods if periods else (filters.periode_debut, filters.periode_fin)
    period = "m.annee_scolaire" if annual else "m.periode"
    branches: list[str] = []
    params: dict[str, object] = {"debut": debut, "fin": fin}
    for k, ((ind, by), scope) in enumerate(zip(requests, scopes)):
        if scope.empty_reason:
            continue
        meta = cat.meta[ind]
        params.update(
            {
                f"ind{k}": ind,
                f"ttype{k}": scope.territoire_type,
                f"all_codes{k}": scope.territoire_codes is None,
                f"codes{k}": list(scope.territoire_codes or []),
                f"niveaux{k}": list(scope.values["niveau"]),
                f"thematiques{k}": list(scope.values["thematique"]),
                f"publics{k}": list(scope.values["public"]),
            }
        )
        main = _SERIES_BRANCH_SQL.format(
            period=period, group=_GROUP_SQL[by], agg=_AGG_SQL[meta["agregation"]], k=k
        )
        if _overlapping(meta, scope, by) and any(row[0] == "laboratoire" for row in cat.avail.get(ind, [])):
            lab = _LAB_BRANCH_SQL.format(
                period=period,
                by_dim=f", m.{by}" if by in DIMENSIONS else "",
                group=_LAB_GROUP_SQL[by],
                k=k,
                territory=_LAB_TERRITORY_SQL[scope.territoire_type].format(k=k),
            )
            branches.append(f"""SELECT {k} AS key, main.periode, main.groupe, coalesce(lab.valeur, 0.0) AS valeur,
                                       main.illustratif, main.sources, main.origines, main.paires
                                FROM ({main}) main LEFT JOIN ({lab}) lab
                                  ON lab.periode = main.periode AND lab.groupe = main.groupe""")
        else:
            branches.append(f"SELECT {k} AS key, * FROM ({main})")
    frames: dict[int, pd.DataFrame] = {}
    empty = pd.DataFrame()
    if branches:
        everything = con.execute(
            "SELECT * FROM (" + "\nUNION ALL\n".join(branches) + ") ORDER BY key, periode, groupe", params
        ).df()
        empty = everything.iloc[0:0].drop(columns="key").reset_index(drop=True)
        for key, part in everything.groupby("key", sort=False):
            frames[int(key)] = part.drop(columns="key").reset_index(drop=True)
    out: list[Result] = []
    for k, ((_, by), scope) in enumerate(zip(requests, scopes)):
        if scope.empty_reason:
            out.append(
                Result(pd.DataFrame(columns=_SERIES_COLUMNS), scope.ignored, empty_reason=scope.empty_reason)
            )
            continue
        frame = frames.get(k, empty).copy()
        frame["libelle"] = (
            frame["groupe"]
            .map(cat.labels(by))
            .fillna(next(iter(cat.labels("total").values()), "") if by == "total" else "")
        )
        sources, origins = _sources_and_origins(frame["paires"])
        frame["origines"] = frame["origines"].map(lambda o: " | ".join(sorted_origins(o)))
        frame = frame[_SERIES_COLUMNS]
        reason = None if not frame.empty else "Aucune donnée pour cette combinaison de filtres et de période."
        out.append(Result(frame, scope.ignored, sources, bool(frame["illustratif"].any()), reason, origins))
    return out


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


def _parts(column: pd.Series) -> dict[str, None]:
    found: dict[str, None] = {}
    for value in column.dropna():
        for part in str(value).split(" | "):
            found[part] = None
    return found


def _sources_and_origins(pairs: pd.Series) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Distinct sources and the origin of each (`origin_summary` of the rows citing it), from the
    `origine` + U+001F + `source` pairs joined by U+001E: the most trusted first (bilan, deduced, imported,
    illustrative), then by text."""
    found: dict[str, set[str]] = {}
    for value in pairs.dropna():
        for pair in str(value).split("\x1e"):
            origin, _, source = pair.partition("\x1f")
            found.setdefault(source, set()).add(origin)
    summary = {source: origin_summary(origins) for source, origins in found.items()}
    ordered = sorted(summary, key=lambda s: (origin_rank(summary[s]) == origin_rank("illustratif"), s))
    return tuple(ordered), tuple(summary[s] for s in ordered)


def values_by_bassin(con: duckdb.DuckDBPyConnection, indicator_id: str, annee: str, filters: Filters) -> Result:
    """One value per bassin for a school year (every bassin of the chosen départements, NaN = no data).

    Columns: code, nom, departement, valeur, rang (1 = highest), selectionne, illustratif, sources.
    """
    scoped = filters.with_(bassins=())
    res = series(con, indicator_id, scoped, by="bassin", annual=True, periods=(annee, annee))
    territory, params = scoped.territory_sql("departement", "code")
    bassins = con.execute(
        f"""SELECT code, nom, departement FROM bassins WHERE {territory}
           ORDER BY {departements.sql_order("departement")}, nom""",
        params,
    ).df()
    return _bassin_values(bassins, res, filters, annee)


def _bassin_values(bassins: pd.DataFrame, res: Result, filters: Filters | None = None, annee: str = "") -> Result:
    """`values_by_bassin` from the bassins listed and the per-bassin `series` result."""
    filters = filters or Filters()
    values = res.data.rename(columns={"groupe": "code"})[["code", "valeur", "illustratif", "sources"]]
    out = bassins.merge(values, on="code", how="left")
    out["rang"] = out["valeur"].rank(ascending=False, method="min").astype("Int64")
    out["selectionne"] = out["code"].isin(filters.bassins) if filters.bassins else True
    out["illustratif"] = out["illustratif"].fillna(False).astype(bool)
    reason = res.empty_reason
    if reason is None and out["valeur"].isna().all():
        reason = f"Aucune donnée par bassin pour {annee}."
    return Result(out, res.ignored, res.sources, res.illustrative, reason, res.origins)


def evolution(
    con: duckdb.DuckDBPyConnection, indicator_id: str, filters: Filters, by: str, year_a: str, year_b: str
) -> Result:
    """Change between two school years per group: valeur_a, valeur_b, evolution_pct (NaN if undefined)."""
    res = series(
        con, indicator_id, filters, by=by, annual=True, periods=(min(year_a, year_b), max(year_a, year_b))
    )
    data = res.data
    a = data[data["periode"] == year_a].set_index("groupe")
    b = data[data["periode"] == year_b].set_index("groupe")
    out = pd.DataFrame(
        {"libelle": b["libelle"].combine_first(a["libelle"]), "valeur_a": a["valeur"], "valeur_b": b["valeur"]}
    )
    out["evolution_pct"] = (out["valeur_b"] - out["valeur_a"]) / out["valeur_a"].where(out["valeur_a"] != 0) * 100
    out = out.reset_index().rename(columns={"index": "groupe"}).sort_values("evolution_pct", ascending=False)
    reason = res.empty_reason or (None if not out.empty else "Aucune donnée pour ces deux années.")
    return Result(out, res.ignored, res.sources, res.illustrative, reason, res.origins)


# --------------------------------------------------------------------------------------------- overview


@dataclass(frozen=True)
class Kpi:
    """A headline indicator: its value for `annee`, the previous year's and the history, each with the
    origins of the rows behind it, so that a card decides from data what it may call « bilan »."""

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
    """The current value has an illustrative input."""
    ignored: tuple[str, ...]
    origines: tuple[str, ...] = ()
    """Origins of the rows behind `valeur` (most trusted first)."""
    origines_precedente: tuple[str, ...] = ()
    """Origins of the rows behind `precedente`."""
    origines_historique: tuple[tuple[str, ...], ...] = ()
    """Origins of the rows behind each value of `historique` (same order)."""
    sources_origines: tuple[str, ...] = ()
    """The origin of each of `sources` (same order)."""

    @property
    def delta_pct(self) -> float | None:
        if self.valeur is None or not self.precedente:
            return None
        return (self.valeur - self.precedente) / self.precedente * 100

    @property
    def origine(self) -> str:
        """`origin_summary` of the current value (`illustratif` as soon as one input is)."""
        return origin_summary(self.origines) or (config.ILLUSTRATIVE if self.illustratif else "")

    @property
    def valeur_illustrative(self) -> bool:
        return self.illustratif or config.ILLUSTRATIVE in self.origines

    @property
    def evolution_illustrative(self) -> bool:
        """The change vs the previous year has an illustrative input (either year)."""
        if self.precedente is None or not self.annee_precedente:
            return False
        return self.valeur_illustrative or config.ILLUSTRATIVE in self.origines_precedente

    @property
    def annees_illustratives(self) -> tuple[str, ...]:
        """The years of the history whose value has an illustrative input."""
        return tuple(
            year for year, origins in zip(self.annees, self.origines_historique) if config.ILLUSTRATIVE in origins
        )

    @property
    def historique_illustratif(self) -> bool:
        return bool(self.annees_illustratives)


def kpis(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[Kpi]:
    """Headline indicators (catalogue column `kpi`) for the latest school year of the chosen period.
    Three statements for every indicator at once (`_catalog`, `_series_many`)."""
    cat = _catalog(con, "kpi", filters=filters)
    results = _series_many(con, cat, [(ind, "total") for ind in cat.meta], filters, annual=True)
    out: list[Kpi] = []
    for (ind, meta), res in zip(cat.meta.items(), results):
        libelle, unite = meta["libelle"], meta["unite"]
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


def bassin_profile(con: duckdb.DuckDBPyConnection, bassin: str, annee: str, filters: Filters) -> pd.DataFrame:
    """Headline indicators of one bassin vs the académie for a year: valeur, academie, part_pct, rang, nb.
    Three statements for every indicator (`_catalog`, then per bassin and académie-wide in `_series_many`):
    the values of `values_by_bassin` and `series` for each indicator."""
    base = filters.with_(bassins=(), departements=())
    cat = _catalog(con, "kpi", filters=base, bys=("bassin", "total"))
    results = _series_many(
        con,
        cat,
        [(ind, by) for ind in cat.meta for by in ("bassin", "total")],
        base,
        annual=True,
        periods=(annee, annee),
    )
    bassins = pd.DataFrame(
        [(code, nom, dep) for code, dep, nom in cat.bassins], columns=["code", "nom", "departement"]
    )
    return _profile(bassin, cat, results, lambda res: _bassin_values(bassins, res).data, "code")


def _profile(
    code: str, cat: _Catalog, results: list[Result], per_group: Callable[[Result], pd.DataFrame], column: str
) -> pd.DataFrame:
    """Rows of `bassin_profile` / `lab_profile`: for each indicator of `cat`, its per-group values (`results`
    at even positions, through `per_group`) and the académie's (odd positions)."""
    rows = []
    for position, (ind, meta) in enumerate(cat.meta.items()):
        per = per_group(results[2 * position])
        if per is None:
            continue
        if "rang" not in per:
            per = per.assign(rang=per["valeur"].rank(ascending=False, method="min"))
        mine = per[per[column] == code]
        total = results[2 * position + 1].data
        acad = float(total["valeur"].iloc[0]) if not total.empty else None
        value = float(mine["valeur"].iloc[0]) if not mine.empty and pd.notna(mine["valeur"].iloc[0]) else None
        rows.append(
            {
                "indicateur": ind,
                "libelle": meta["libelle"],
                "unite": meta["unite"],
                "valeur": value,
                "academie": acad,
                "part_pct": (value / acad * 100)
                if (value is not None and acad and meta["agregation"] == "somme")
                else None,
                "rang": int(mine["rang"].iloc[0]) if value is not None else None,
                "nb": int(per["valeur"].notna().sum()),
                "illustratif": bool(mine["illustratif"].iloc[0]) if not mine.empty else False,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- labs, raw data


def filter_response(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Which indicators answer the chosen niveau and thème filters, from the catalogue's declared breakdowns
    (`indicateurs.niveaux` / `thematiques`, checked against the data by the store): one cheap query.

    Columns: id, libelle, domaine, niveau, thematique (True: the filter applies — at least one chosen code is
    declared, a thème with its sub-thèmes or, for indicators broken down by main thème, its main thème —,
    False: the query would report it as not applicable, None: no such filter chosen), repond (every chosen
    filter applies). Same rule as `resolve_scope`, so the picker and the charts agree."""
    frame = con.execute(
        "SELECT id, libelle, domaine, niveaux, thematiques FROM indicateurs ORDER BY domaine, libelle"
    ).df()
    niveaux = set(filters.niveaux)
    descendants, ancestors = _theme_branches(con) if filters.thematiques else ({}, {})
    wanted_themes: set[str] = set()
    for theme in filters.thematiques:
        wanted_themes |= descendants.get(theme, {theme}) | ancestors.get(theme, set())

    def declared(value: object) -> set[str]:
        text = str(value or "")
        return set() if text in ("", "non") else set(text.split("|"))

    frame["niveau"] = [bool(declared(v) & niveaux) if niveaux else None for v in frame["niveaux"]]
    frame["thematique"] = [
        bool(declared(v) & wanted_themes) if wanted_themes else None for v in frame["thematiques"]
    ]
    frame["repond"] = [n is not False and t is not False for n, t in zip(frame["niveau"], frame["thematique"])]
    frame["niveau"] = frame["niveau"].astype(object)
    frame["thematique"] = frame["thematique"].astype(object)
    return frame.drop(columns=["niveaux", "thematiques"])


def laboratories(con: duckdb.DuckDBPyConnection, filters: Filters, open_in: str | None = None) -> Result:
    """Labs matching the territory, thématique and niveau filters (a lab matches if it has any chosen code).

    A thème reaches the labs of its branch: the thème, its sub-thèmes and its main thème (a lab's thèmes are
    main thèmes: choosing « Robotique et programmation » lists the labs of « Programmation et IA »).
    `open_in` (a school year, `2022-2023`): only the labs open during that year (opened in 2022 or before, or
    without an opening year) — the labs that `labo_nombre` counts for that year. With the same filters,
    `len(laboratories(con, f, annee).data)` equals `series(con, "labo_nombre", f)` for `annee`, per territory
    too (tests/observatoire/test_lab_counts.py): the one reference for every lab count of the pages."""
    territory, params = filters.territory_sql("l.departement", "l.bassin")
    frame = con.execute(
        f"""SELECT l.*, b.nom AS bassin_nom, d.nom AS departement_nom FROM laboratoires l
           JOIN bassins b ON b.code = l.bassin JOIN departements d ON d.code = l.departement
           WHERE {territory}
             AND (len($t) = 0 OR len(list_intersect($t, string_split(l.thematiques, '|'))) > 0)
             AND (len($n) = 0 OR len(list_intersect($n, string_split(l.niveaux, '|'))) > 0)
           ORDER BY {departements.sql_order("l.departement")}, l.commune""",
        {**params, "t": list(_theme_branch(con, filters.thematiques)), "n": list(filters.niveaux)},
    ).df()
    if open_in:
        opening = pd.to_numeric(frame["ouverture"], errors="coerce")
        try:
            start = int(str(open_in)[:4])
        except ValueError:
            start = None
        if start is not None:
            frame = frame[opening.isna() | (opening <= start)].reset_index(drop=True)
    ignored = (f"Filtre public : {NOT_APPLIED_WORDS} à la liste des laboratoires.",) if filters.publics else ()
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


def projects(
    con: duckdb.DuckDBPyConnection, laboratoire: str | None = None, thematiques: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Projects cited by the bilan, of one lab and/or of the branch of the selected thèmes."""
    return con.execute(
        """SELECT p.*, t.libelle AS thematique_libelle FROM projets p
           LEFT JOIN thematiques t ON t.code = p.thematique
           WHERE ($lab IS NULL OR p.laboratoire = $lab)
             AND (len($t) = 0 OR list_contains($t, p.thematique))
           ORDER BY t.libelle, p.intitule""",
        {"lab": laboratoire, "t": list(_theme_branch(con, thematiques))},
    ).df()


def lab_profile(
    con: duckdb.DuckDBPyConnection, laboratoire: str, annee: str, filters: Filters | None = None
) -> pd.DataFrame:
    """One lab's activity vs the académie for a school year (every indicator with lab rows): valeur, academie,
    part_pct (additive indicators), rang among the labs with a value (1 = highest), nb, illustratif. Like
    `bassin_profile` for a bassin (three statements). `filters`: only their thème, niveau and public are read
    (the part of each lab's activity for them where the indicator is broken down so, as `series`; the
    académie total of the same parts) — the territory and the period do not apply to one lab compared with
    the académie."""
    base = (
        Filters(thematiques=filters.thematiques, niveaux=filters.niveaux, publics=filters.publics)
        if filters
        else Filters()
    )
    cat = _catalog(con, "lab", filters=base, bys=("laboratoire", "total"))
    results = _series_many(
        con,
        cat,
        [(ind, by) for ind in cat.meta for by in ("laboratoire", "total")],
        base,
        annual=True,
        periods=(annee, annee),
    )
    out = _profile(laboratoire, cat, results, lambda res: None if res.data.empty else res.data, "groupe")
    return pd.DataFrame(
        out,
        columns=["indicateur", "libelle", "unite", "valeur", "academie", "part_pct", "rang", "nb", "illustratif"],
    )


def lab_figures_series(
    con: duckdb.DuckDBPyConnection, indicators: tuple[str, ...] | list[str], filters: Filters, year: str
) -> pd.DataFrame:
    """`series(con, i, filters, by="laboratoire", annual=True, periods=(year, year)).data` of each indicator
    `i`, in one frame with an `indicateur` column first (two statements for all of them): the key figures of
    the labs' map popups (academie.json `chiffres_laboratoire`;
    pass `foliummap.lab_figure_filters(filters)`)."""
    indicators = tuple(indicators)
    cat = _catalog(con, ids=indicators, filters=filters, bys=("laboratoire",))
    for ind in indicators:
        if ind not in cat.meta:
            raise KeyError(ind)
    results = _series_many(
        con, cat, [(ind, "laboratoire") for ind in indicators], filters, annual=True, periods=(year, year)
    )
    frames = [res.data.assign(indicateur=ind) for ind, res in zip(indicators, results)]
    if not frames:
        return pd.DataFrame(columns=["indicateur", *_SERIES_COLUMNS])
    return pd.concat(frames, ignore_index=True)[["indicateur", *_SERIES_COLUMNS]]


HN_FAMILY = "Heures numériques"


def projects_catalogue(con: duckdb.DuckDBPyConnection, filters: Filters) -> Result:
    """The projects cited by the bilan (`projets.csv`) and the « heures numériques » thèmes, one row each,
    filtered by the shared filters: thème through the taxonomy (a main thème keeps its sub-thèmes, a sub-thème
    its main thème, as `laboratories`), département / bassin / niveau through the project's lab (a project
    without a lab, or an « heure numérique », has no territory nor niveau: it is dropped by these filters and
    the notes say so). Columns: type, intitule, projet, thematique, thematique_libelle, theme_principal,
    laboratoire, laboratoire_nom, lieu, departement, bassin, niveaux, source, rattachement (why an « heure
    numérique » thème belongs to its main thème)."""
    labs = con.execute("SELECT code, nom, departement, bassin, niveaux FROM laboratoires").df()
    projects_frame = con.execute(
        """SELECT 'Projet' AS type, p.intitule, p.projet, p.thematique, p.laboratoire, p.lieu, p.source
           FROM projets p"""
    ).df()
    hn = con.execute(
        """SELECT 'Heure numérique' AS type, t.libelle AS intitule, NULL AS projet, t.code AS thematique,
                  NULL AS laboratoire, NULL AS lieu, $src AS source, t.justification AS rattachement
           FROM thematiques t WHERE t.famille = $family""",
        {"family": HN_FAMILY, "src": f"{published.academie(con).bilan_source}, « Les heures numériques »"},
    ).df()
    frame = pd.concat([projects_frame, hn], ignore_index=True)
    frame = frame.merge(
        labs.rename(columns={"code": "laboratoire", "nom": "laboratoire_nom"}), on="laboratoire", how="left"
    )
    names = dimension_labels(con, "thematique")
    parents = theme_parents(con)
    frame["thematique_libelle"] = frame["thematique"].map(names).fillna(frame["thematique"])
    frame["theme_principal"] = [names.get(parents.get(t, t), parents.get(t, t)) for t in frame["thematique"]]
    notes: list[str] = []
    keep = pd.Series(True, index=frame.index)
    if filters.thematiques:
        keep &= frame["thematique"].isin(_theme_branch(con, filters.thematiques))
    if filters.departements or filters.bassins:
        located = frame["departement"].notna()
        if (keep & ~located).any():
            notes.append(
                "Filtre territoire : les « heures numériques » et les projets sans laboratoire n'ont pas "
                "de territoire, ils ne sont pas listés."
            )
        covered = [
            filters.covers(dep, bassin) for dep, bassin in zip(frame["departement"], frame["bassin"], strict=True)
        ]
        keep &= located & pd.Series(covered, index=frame.index)
    if filters.niveaux:
        notes.append(
            "Filtre niveau : le bilan ne donne pas le niveau des projets ; sont retenus ceux des "
            "laboratoires qui servent le niveau choisi (les « heures numériques » et les projets sans "
            "laboratoire ne sont pas listés)."
        )
        keep &= pd.Series(
            [
                bool(set(str(n).split("|")) & set(filters.niveaux)) if isinstance(n, str) else False
                for n in frame["niveaux"]
            ],
            index=frame.index,
        )
    out = frame[keep].sort_values(["type", "theme_principal", "intitule"], ascending=[False, True, True])
    out = out.reset_index(drop=True)
    sources = tuple(dict.fromkeys(out["source"])) if not out.empty else ()
    reason = None if not out.empty else "Aucun projet ne correspond à ces filtres."
    return Result(out, tuple(notes), sources, False, reason)


def measures(con: duckdb.DuckDBPyConnection, filters: Filters, indicator_id: str | None = None) -> pd.DataFrame:
    """Raw active measures in the canonical columns (`schema.MEASURE_COLUMNS`), restricted by every filter.

    Territory: with départements/bassins selected, rows of those territories and of the bassins and labs
    inside them. Dimensions: rows whose code is selected, a thème with its sub-thèmes (no selection → every
    row); for an indicator broken down by main thème only (the labs' thèmes), a sub-thème reads its nearest
    main thème, as `series` does (`BROADER_PREFIX`): one set of filters, one answer on every page.
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
             AND (len($t) = 0 OR list_contains($t, m.indicateur || chr(31) || m.thematique))
             AND (len($p) = 0 OR list_contains($p, m.public))
             AND ($debut IS NULL OR m.annee_scolaire >= $debut) AND ($fin IS NULL OR m.annee_scolaire <= $fin)
           ORDER BY m.indicateur, m.periode, m.territoire_type, m.territoire_code, m.niveau, m.thematique,
                    m.public""",
        {
            "ind": indicator_id,
            "d": list(filters.departements),
            "b": list(filters.bassins),
            "n": list(filters.niveaux),
            "t": _theme_keys(con, filters.thematiques, indicator_id)[0],
            "p": list(filters.publics),
            "debut": filters.periode_debut,
            "fin": filters.periode_fin,
        },
    ).df()


def measures_notes(
    con: duckdb.DuckDBPyConnection, filters: Filters, indicator_id: str | None = None
) -> tuple[str, ...]:
    """What `measures` says about the filters: the sub-thèmes read at their main thème (`BROADER_PREFIX`)."""
    return tuple(_broader_notes(con, _theme_keys(con, filters.thematiques, indicator_id)[1]))


def _theme_keys(
    con: duckdb.DuckDBPyConnection, themes: tuple[str, ...], indicator_id: str | None
) -> tuple[list[str], list[tuple[str, str]]]:
    """`indicateur` + U+001F + `thematique` of the rows answering the selected thèmes, per indicator: the
    thème and its sub-thèmes the indicator has, else (a sub-thème of an indicator broken down by main thème)
    its nearest main thème the indicator has (`_match_themes`, the rule of `series`); and the (sub-thème,
    main thème) pairs so read."""
    if not themes:
        return [], []
    available: dict[str, set[str]] = {}
    for ind, theme in con.execute(
        "SELECT DISTINCT indicateur, thematique FROM disponibilites WHERE $ind IS NULL OR indicateur = $ind",
        {"ind": indicator_id},
    ).fetchall():
        available.setdefault(ind, set()).add(theme)
    descendants, ancestors = _theme_branches(con)
    parents = theme_parents(con)
    keys: list[str] = []
    broader: dict[tuple[str, str], None] = {}
    for ind, codes in available.items():
        for theme in themes:
            branch = sorted(c for c in descendants.get(theme, {theme}) if c in codes and c != config.ALL)
            if not branch:
                up = _nearest_ancestor(theme, ancestors, parents, codes)
                branch = [up] if up is not None else []
                if up is not None:
                    broader[(theme, up)] = None
            keys.extend(f"{ind}\x1f{code}" for code in branch)
    # a thème chosen that no indicator has: no row (never every row)
    return keys or ["\x1f"], sorted(broader)


def all_measures(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return measures(con, Filters())
