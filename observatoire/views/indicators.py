"""The « Indicateurs » page as data: `build_indicators(con, filters, params) -> View`.

One indicator in detail: its definition (`texts`), then four tabs — series by breakdown, months of the school
year, ranking of the bassins, change between two years. Each tab is a `Section` (in `items.sections`, tab
order): its heading, the notices it shows (filters that do not apply, why it is empty), its captions, and the
keys of its `Figure` and `Table` in the view. The page renders the sections; its downloads (CSV, XLSX, PNG)
take the view's tables and figures, so screen and files never disagree.

`params` are the page's own choices, the values of its URL parameters: `indicateur`, `par` (breakdown),
`annee` (ranking), `de_annee` / `a_annee` (change), plus `toutes_courbes` ("1": draw every group of the series
instead of the `charts.MAX_GROUPS` highest — the switch « Tracer les N courbes »). A missing choice takes the
page's default; an unknown one raises ValueError in French. Pure functions, no Streamlit; texts are plain (not
escaped: the renderer escapes them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from observatoire import config, published, queries, small_counts
from observatoire.figures import charts
from observatoire.filters import Filters, school_years_between
from observatoire.labels import Labels
from observatoire.views.context import build_context
from observatoire.views.model import Figure, Notice, Table, View, source_line

PAGE = "indicateurs"
BREAKDOWNS = dict(queries.BREAKDOWNS)
GRANULARITY = {"annuelle": "annuelle (année scolaire)", "mensuelle": "mensuelle"}
AGGREGATION = {
    "somme": "somme des territoires",
    "moyenne": "moyenne des territoires",
    "dernier": "dernière valeur connue",
}
TABS = ("Évolution", "Mois", "Classement des bassins", "Évolution en %")
SECTION_KEYS = ("series", "monthly", "ranking", "evolution")  # tab order; figure / table keys
ALL_GROUPS = "toutes_courbes"  # param: "1" = every group of the series drawn
EMPTY = "Aucune donnée pour cette sélection."  # what an empty result without a reason says (`render_empty`)


@dataclass(frozen=True)
class Section:
    """One tab of the page, as data. The renderer draws, in this order: `heading`, `notices` (kind « filtre »:
    a filter that does not apply; « vide »: empty, the tab stops there; « info »: a message that replaces the
    content), `captions`, the switch `switch` (when the series has more groups than it draws) followed by
    `switch_note` (which groups are not drawn), the figure `figure`, its source, the table `table`, then
    `after` (the small counts rule)."""

    key: str  # one of SECTION_KEYS
    tab: str
    heading: str = ""
    notices: tuple[Notice, ...] = ()
    captions: tuple[str, ...] = ()
    switch: str = ""
    switch_note: str = ""
    figure: str = ""  # key of the view's Figure ("" = none)
    table: str = ""  # key of the view's Table
    after: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------- helpers


def _territory_ignored(ignored: tuple[str, ...]) -> bool:
    return any(note.startswith("Territoire") for note in ignored)


def selection_name(filters: Filters, labels: Labels, ignored: tuple[str, ...]) -> str | None:
    """French name of the filtered territory (the « Ensemble » line is not the académie when filtered)."""
    if _territory_ignored(ignored):
        return None
    if filters.bassins:
        names = [labels.of("bassins", b) for b in filters.bassins]
    elif filters.departements:
        names = [labels.of("departements", d) for d in filters.departements]
    else:
        return None
    return ", ".join(names) if len(names) <= 3 else f"{len(names)} territoires choisis"


def working_breakdowns(
    con: duckdb.DuckDBPyConnection, indicator: str, filters: Filters, exclude: str
) -> list[str]:
    """Labels of the breakdowns that give data for this indicator and filters (computed on an empty result)."""
    return [
        label
        for by, label in BREAKDOWNS.items()
        if by != exclude and not queries.series(con, indicator, filters, by=by, annual=True).empty
    ]


def monthly_companion(indicator: str, catalogue: pd.DataFrame) -> str | None:
    """The monthly indicator detailing `indicator` (itself when monthly, else `<id>_mois`), or None."""
    granularity = dict(zip(catalogue["id"], catalogue["granularite"]))
    if granularity.get(indicator) == "mensuelle":
        return indicator
    companion = f"{indicator}_mois"
    return companion if granularity.get(companion) == "mensuelle" else None


def definition_texts(meta: Mapping, years: Sequence[str]) -> dict[str, str]:
    """The definition block's texts: label, definition, unit, granularity, aggregation, period, source."""
    period = f"{years[0]} à {years[-1]}" if len(years) > 1 else (years[0] if years else "—")
    return {
        "indicateur": str(meta["libelle"]),
        "definition": str(meta["definition"]),
        "unite": str(meta["unite"]),
        "granularite": GRANULARITY.get(meta["granularite"], str(meta["granularite"])),
        "agregation": AGGREGATION.get(meta["agregation"], str(meta["agregation"])),
        "periode": period,
        "source": str(meta["source"]),
    }


def default_indicator(academie: config.Academie, ids: Sequence[str]) -> str:
    """The indicator shown first: the académie's `defaut` (academie.json `indicateurs`), else the first one."""
    wanted = academie.indicateurs.defaut
    return wanted if wanted in ids or not ids else ids[0]


def mask_for(
    unit: str, by: str, filters: Filters, ignored: tuple[str, ...], rules: small_counts.Policy | None = None
) -> small_counts.Policy | None:
    """Small counts of people shown « < 5 »: the groups are bassins or labs, or the values are read from the
    chosen bassins (a bassin filter that applies). `rules`: the version's policy (`published.policy`)."""
    level = by
    if by not in ("bassin", "laboratoire", "departement") and filters.bassins and not _territory_ignored(ignored):
        level = "bassin"
    return small_counts.for_level(unit, level, rules)


def _after(mask: small_counts.Policy | None) -> tuple[str, ...]:
    return (small_counts.note(mask),) if mask is not None else ()


def _filter_notices(result: queries.Result) -> tuple[Notice, ...]:
    return tuple(Notice(note, "filtre") for note in result.ignored)


@dataclass(frozen=True)
class _Part:
    """What one tab adds to the view."""

    section: Section
    figure: Figure | None = None
    table: Table | None = None
    result: queries.Result | None = None


def _empty(key: str, heading: str, result: queries.Result) -> _Part:
    """A tab whose query gave nothing: its filter notices, then why (« vide »)."""
    notices = _filter_notices(result) + (Notice(result.empty_reason or EMPTY, "vide"),)
    return _Part(Section(key, TABS[SECTION_KEYS.index(key)], heading, notices), result=result)


def _elements(
    key: str,
    heading: str,
    figure: object,
    alt: str,
    frame: pd.DataFrame,
    result: queries.Result,
    indicator: str,
    unit: str,
) -> tuple[Figure, Table]:
    source = source_line(result.sources, result.origins)
    return (
        Figure(key, heading, figure, alt, source, bool(result.illustrative), ignored=result.ignored),
        Table(key, heading, frame, source, bool(result.illustrative), indicator, unit, ignored=result.ignored),
    )


# ------------------------------------------------------------------------------------------- tabs


def _series(
    con: duckdb.DuckDBPyConnection,
    meta: Mapping,
    by: str,
    filters: Filters,
    labels: Labels,
    years: Sequence[str],
    all_groups: bool,
) -> _Part:
    indicator, unit = str(meta["id"]), str(meta["unite"])
    label = BREAKDOWNS[by]
    heading = f"{meta['libelle']} par année scolaire" + ("" if by == "total" else f", par {label.lower()}")
    result = queries.series(con, indicator, filters, by=by, annual=True)
    notices = _filter_notices(result)
    if result.empty:
        working = working_breakdowns(con, indicator, filters, by) if by != "total" else []
        if working:  # the breakdown is the problem, not the filters
            text = (
                (result.empty_reason or "Aucune donnée pour ce découpage.")
                + " Découpages disponibles pour cet indicateur avec ces filtres : "
                + ", ".join(f"«\u00a0{w}\u00a0»" for w in working)
                + ". Choisissez-en un dans « Découper par »."
            )
            notice = Notice(text, "info")
        else:
            notice = Notice(result.empty_reason or EMPTY, "vide")
        return _Part(Section("series", TABS[0], heading, notices + (notice,)), result=result)
    frame = result.data
    if by == "total":
        name = selection_name(filters, labels, result.ignored)
        if name:
            frame = frame.assign(libelle=name)
    captions = []
    if meta["granularite"] == "mensuelle":
        captions.append("Valeur de chaque année scolaire : somme des mois (détail dans l'onglet « Mois »).")
    groups = frame["groupe"].nunique()
    shown, others = charts.top_groups(frame)
    switch = switch_note = ""
    if others:
        switch = f"Tracer les {groups} courbes (sinon les {charts.MAX_GROUPS} plus élevées)"
        if all_groups:
            shown = frame
        else:
            switch_note = (
                f"Courbes tracées : les {charts.MAX_GROUPS} valeurs les plus élevées de la dernière "
                f"année. Non tracées ({len(others)}) : " + ", ".join(others) + " — voir le tableau de données."
            )
    # bassins, labs: small counts of people « < 5 »
    mask = mask_for(unit, by, filters, result.ignored, published.policy(con))
    drawn = set(frame["periode"])
    periods = [p for p in years if p in drawn]
    span = f"{years[0]} à {years[-1]}" if years else "—"
    figure = charts.line_figure(shown, unit, periods=periods, mask=mask)
    table = charts.display_table(frame, "series", unit, group=label if by != "total" else "Territoire", mask=mask)
    fig, tab = _elements(
        "series",
        heading,
        figure,
        f"Courbes : {heading}, {span}. Valeurs dans le tableau de données.",
        table,
        result,
        str(meta["libelle"]),
        unit,
    )
    section = Section(
        "series",
        TABS[0],
        heading,
        notices,
        tuple(captions),
        switch,
        switch_note,
        figure="series",
        table="series",
        after=_after(mask),
    )
    return _Part(section, fig, tab, result)


def _monthly(
    con: duckdb.DuckDBPyConnection, meta: Mapping, filters: Filters, catalogue: pd.DataFrame, labels: Labels
) -> _Part:
    monthly = monthly_companion(str(meta["id"]), catalogue)
    if monthly is None:
        names = [
            r["libelle"] for r in catalogue.to_dict("records") if monthly_companion(r["id"], catalogue) is not None
        ]
        text = (
            f"« {meta['libelle']} » est un indicateur annuel : il n'a pas de détail mensuel. "
            "Détail mensuel disponible pour : " + ", ".join(f"« {n} »" for n in names) + "."
        )
        return _Part(Section("monthly", TABS[1], notices=(Notice(text, "info"),)))
    info = catalogue.set_index("id").loc[monthly]
    unit = str(info["unite"])
    heading = f"{info['libelle']}, de septembre à août"
    result = queries.series(con, monthly, filters, by="total")
    notices = _filter_notices(result)
    if result.empty:
        return _empty("monthly", heading, result)
    where = selection_name(filters, labels, result.ignored) or "ensemble de l'académie"
    caption = f"Une courbe par année scolaire ({where}, filtres appliqués). {info['definition']}"
    mask = mask_for(unit, "total", filters, result.ignored, published.policy(con))
    figure = charts.monthly_figure(result.data, unit, mask=mask)
    table = charts.display_table(result.data, "monthly", unit, mask=mask)
    fig, tab = _elements(
        "monthly",
        heading,
        figure,
        f"Courbes mensuelles : {heading}. Valeurs dans le tableau de données.",
        table,
        result,
        str(info["libelle"]),
        unit,
    )
    section = Section(
        "monthly", TABS[1], heading, notices, (caption,), figure="monthly", table="monthly", after=_after(mask)
    )
    return _Part(section, fig, tab, result)


def _ranking(con: duckdb.DuckDBPyConnection, meta: Mapping, filters: Filters, labels: Labels, annee: str) -> _Part:
    indicator, unit = str(meta["id"]), str(meta["unite"])
    heading = f"Classement des bassins : {meta['libelle']}, {annee}"
    result = queries.values_by_bassin(con, indicator, annee, filters)
    notices = _filter_notices(result)
    if result.empty_reason:
        return _empty("ranking", heading, result)
    frame = result.data
    scope, captions = [], []
    if filters.departements:
        scope.append(
            "bassins des départements choisis ("
            + ", ".join(labels.of("departements", d) for d in filters.departements)
            + ")"
        )
    if filters.bassins:
        scope.append("bassins choisis en couleur, les autres en clair pour comparaison")
    if scope:
        captions.append("Classement : " + " ; ".join(scope) + ".")
    missing = frame.loc[frame["valeur"].isna(), "nom"].tolist()
    if missing:
        captions.append(f"Pas de donnée pour {annee} : " + ", ".join(str(m) for m in missing) + " (non classés).")
    mask = small_counts.for_level(unit, "bassin", published.policy(con))
    figure = charts.ranking_figure(frame, unit, mask=mask)
    table = charts.display_table(frame, "ranking", unit, mask=mask)
    fig, tab = _elements(
        "ranking",
        heading,
        figure,
        f"Barres horizontales : {heading}, du plus élevé au plus faible. Valeurs dans le tableau de données.",
        table,
        result,
        str(meta["libelle"]),
        unit,
    )
    section = Section(
        "ranking",
        TABS[2],
        heading,
        notices,
        tuple(captions),
        figure="ranking",
        table="ranking",
        after=_after(mask),
    )
    return _Part(section, fig, tab, result)


def _evolution(
    con: duckdb.DuckDBPyConnection,
    meta: Mapping,
    by: str,
    filters: Filters,
    years: Sequence[str],
    year_a: str,
    year_b: str,
) -> _Part:
    indicator, unit = str(meta["id"]), str(meta["unite"])
    if len(years) < 2:
        text = (
            "La période choisie ne contient qu'une année scolaire : il en faut deux pour calculer une "
            "évolution (filtres « Depuis » et « Jusqu'à »)."
        )
        return _Part(Section("evolution", TABS[3], notices=(Notice(text, "vide"),)))
    group_by = by if by != "total" else "bassin"
    heading = f"{meta['libelle']} : évolution de {year_a} à {year_b}, par {BREAKDOWNS[group_by].lower()}"
    if year_a == year_b:
        text = "Choisissez deux années scolaires différentes pour calculer une évolution."
        return _Part(Section("evolution", TABS[3], heading, (Notice(text, "info"),)))
    result = queries.evolution(con, indicator, filters, group_by, year_a, year_b)
    notices = _filter_notices(result)
    if result.empty:
        return _empty("evolution", heading, result)
    mask = mask_for(unit, group_by, filters, result.ignored, published.policy(con))
    data = charts.mask_evolution(result.data, mask)
    notes = []
    if by == "total":
        notes.append("Découpage « Ensemble » : l'évolution est détaillée par bassin.")
    if unit == "%":
        notes.append("Évolution relative du taux (et non différence en points).")
    if result.data["evolution_pct"].isna().any():
        notes.append(
            f"« {charts.NOT_AVAILABLE} » : pas de valeur en {year_a} (ou valeur nulle), évolution non calculable."
        )
    if mask is not None and "secret" in data and data["secret"].any():
        notes.append(
            f"« {charts.NOT_AVAILABLE} ({charts.SECRET}) » : une des deux valeurs est un petit "
            f"effectif (« {mask.label} »), l'évolution le révélerait."
        )
    figure = charts.evolution_figure(data, unit, mask=mask)
    table = charts.display_table(
        data, "evolution", unit, group=BREAKDOWNS[group_by], year_a=year_a, year_b=year_b, mask=mask
    )
    fig, tab = _elements(
        "evolution",
        heading,
        figure,
        f"Barres divergentes : {heading}. Hausses à droite, baisses à gauche. Valeurs dans le tableau de données.",
        table,
        result,
        str(meta["libelle"]),
        unit,
    )
    section = Section(
        "evolution",
        TABS[3],
        heading,
        notices,
        (" ".join(notes),) if notes else (),
        figure="evolution",
        table="evolution",
        after=_after(mask),
    )
    return _Part(section, fig, tab, result)


# ------------------------------------------------------------------------------------------- view


def _choice(params: Mapping[str, str], name: str, options: Sequence[str], default: str, label: str) -> str:
    value = params.get(name) or default
    if value not in options:
        known = ", ".join(options) or "aucune"
        raise ValueError(f"{label} inconnu(e) : « {value} » (valeurs possibles : {known}).")
    return value


def _dedupe_sources(results: Sequence[queries.Result]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pairs: dict[tuple[str, str], None] = {}
    for result in results:
        origins = list(result.origins) + [""] * (len(result.sources) - len(result.origins))
        for source, origin in zip(result.sources, origins):
            pairs[(source, origin)] = None
    return tuple(s for s, _ in pairs), tuple(o for _, o in pairs)


@dataclass(frozen=True)
class IndicatorsItems:
    """`View.items` of the Indicateurs page: its tabs and the choices they were drawn with."""

    sections: tuple[Section, ...]  # tab order
    indicateur: str
    par: str  # the breakdown (`BREAKDOWNS`)
    annee: str  # the ranking's school year ("" when the period has none)
    de_annee: str  # the change's first and last school years ("" when the period has fewer than two)
    a_annee: str
    annees: tuple[str, ...]  # school years of the filtered period


def build_indicators(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str]
) -> View[IndicatorsItems]:
    """The « Indicateurs » page for `filters` and the page's choices `params` (see the module docstring).

    `texts`: the definition block (`indicateur`, `definition`, `unite`, `granularite`, `agregation`,
    `periode`, `source`). `items`: `IndicatorsItems`. Raises ValueError (French) for an
    unknown indicator, breakdown or year."""
    catalogue = queries.indicators(con)
    ids = [str(i) for i in catalogue["id"]]
    indicator = _choice(params, "indicateur", ids, default_indicator(published.academie(con), ids), "Indicateur")
    by = _choice(params, "par", list(BREAKDOWNS), "total", "Découpage")
    years = school_years_between(queries.choices(con).annees, filters.periode_debut, filters.periode_fin)
    annee = _choice(params, "annee", years, years[-1] if years else "", "Année scolaire") if years else ""
    year_a = _choice(params, "de_annee", years, years[0], "Année de départ") if len(years) > 1 else ""
    year_b = _choice(params, "a_annee", years, years[-1], "Année d'arrivée") if len(years) > 1 else ""
    all_groups = params.get(ALL_GROUPS, "") == "1"

    meta = catalogue.set_index("id").loc[indicator].to_dict() | {"id": indicator}
    labels = queries.labels(con)
    parts = [
        _series(con, meta, by, filters, labels, years, all_groups),
        _monthly(con, meta, filters, catalogue, labels),
        _ranking(con, meta, filters, labels, annee)
        if years
        else _Part(Section("ranking", TABS[2], notices=(Notice(EMPTY, "vide"),))),
        _evolution(con, meta, by, filters, years, year_a, year_b),
    ]
    results = [p.result for p in parts if p.result is not None]
    sources, origins = _dedupe_sources(results)
    notices = tuple(dict.fromkeys(n for p in parts for n in p.section.notices))
    texts = definition_texts(meta, years)
    return View(
        page=PAGE,
        title="Indicateurs",
        context=build_context(con, filters),
        subtitle=texts["indicateur"],
        figures=tuple(p.figure for p in parts if p.figure is not None),
        tables=tuple(p.table for p in parts if p.table is not None),
        notices=notices,
        sources=sources,
        origins=origins,
        illustrative=any(r.illustrative for r in results),
        texts=texts,
        items=IndicatorsItems(
            sections=tuple(p.section for p in parts),
            indicateur=indicator,
            par=by,
            annee=annee,
            de_annee=year_a,
            a_annee=year_b,
            annees=tuple(years),
        ),
    )


def section(view: View[IndicatorsItems], key: str) -> Section:
    """The `Section` `key` of an Indicateurs view."""
    return next(s for s in view.items.sections if s.key == key)
