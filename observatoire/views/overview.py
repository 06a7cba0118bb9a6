"""The « Vue d'ensemble » page as data: `build_overview(con, filters, params) -> View`.

What the page shows, in order: the subtitle (territory, year of the key figures, period of the curves), the KPI
cards (`key_figures`, each with its screen `Card`; `items.kpis`: the `queries.Kpi` they are formatted from),
the filters that do not reach some cards (notices « filtre »), the labs covered (`texts`), and the small map of
the bassins (`items.map`, an `OverviewMap`: its values, classes, labs, legend and sources). Texts are plain
French (the page escapes them where they become Markdown). The page has no choice of its own: `params` is
ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from observatoire import published, queries, small_counts
from observatoire.figures import cards, classification
from observatoire.figures.classification import Classes
from observatoire.filters import Filters
from observatoire.views.context import build_context
from observatoire.views.model import KeyFigure, Notice, View
from observatoire.views.presentation import (
    LATEST,
    catalogue_rows,
    key_figure,
    latest_bassin_values,
    map_indicator,
)

TITLE = "Observatoire du numérique éducatif"
NO_KPI = "Aucun indicateur clé n'est défini dans le catalogue."
MAP_CLASSES = 4


@dataclass(frozen=True)
class OverviewMap:
    """The inputs of the overview's small map (`foliummap.build_map(..., compact=True)`) and of its texts."""

    values: pd.DataFrame  # `queries.values_by_bassin(...).data`: one row per bassin, in the order of `classes`
    classes: Classes
    labs: pd.DataFrame  # the labs open during `year` (markers), `queries.laboratories(..., open_in=year).data`
    indicator: str
    indicator_label: str
    unit: str
    year: str
    departements: tuple[str, ...] = ()  # départements to outline (all when empty)
    bassins: tuple[str, ...] = ()  # bassins drawn with a thick outline
    legend: tuple[tuple[str, str], ...] = ()  # (colour, French label) of each class, `legend_items`
    alt: str = ""
    sources: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    illustrative: bool = False
    theme_labels: Mapping[str, str] = field(default_factory=dict)
    niveau_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OverviewItems:
    """`View.items` of the overview."""

    kpis: tuple[queries.Kpi, ...]  # what the key figures are formatted from
    kpi_rules: small_counts.Policy | None  # the small-count policy of the cards (a bassin chosen), else None
    catalogue: pd.DataFrame  # `queries.indicators`
    labs_illustrative: bool  # the labs' list has an illustrative row
    labs_ignored: tuple[str, ...]  # the labs' query notes: filters it does not apply
    n_labs: int  # labs open during `year`
    n_bassins: int  # bassins holding them
    total_bassins: int  # bassins in the territory chosen
    year: str | None  # the school year of the key figures (the last published when none)
    map: OverviewMap | None  # the small map, None when it has no value (`texts["map_empty"]` says why)


def _kpi_sources(kpis: tuple[queries.Kpi, ...]) -> tuple[list[str], list[str]]:
    sources: list[str] = []
    origins: list[str] = []
    for kpi in kpis:
        kpi_origins = kpi.sources_origines or ("",) * len(kpi.sources)
        for source, origin in zip(kpi.sources, kpi_origins, strict=True):
            if source not in sources:
                sources.append(source)
                origins.append(origin)
    return sources, origins


def build_overview(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str] | None = None
) -> View[OverviewItems]:
    """The overview of `filters` on the version `con` reads (see the module docstring)."""
    del params  # no choice of its own
    labels = queries.labels(con)
    years = queries.school_years(con)
    kpis = tuple(queries.kpis(con, filters))
    first, last = (years[0], years[-1]) if years else (None, None)
    kpi_year = cards.kpi_year_text([k for k in kpis if k.valeur is not None]) or cards.kpi_year_text(kpis)
    year_rule = cards.kpi_year_rule(kpis)

    academie = published.academie(con)
    scope = academie.nom
    if filters.bassins or filters.departements:
        scope += " — " + cards.scope_text(filters.departements, filters.bassins, labels, academie.nom)
    subtitle = cards.overview_subtitle(
        scope, kpi_year, filters.periode_debut or first, filters.periode_fin or last, year_rule
    )

    # a bassin chosen: its small counts of people read « < 5 » (cards.masked, small_counts.for_level)
    policy = published.policy(con)
    rules = policy if filters.bassins else None
    catalogue = queries.indicators(con)
    rows = catalogue_rows(catalogue)
    key_figures: tuple[KeyFigure, ...] = tuple(
        key_figure(k, rules, kpi_year, rows.get(k.indicateur, {}), academie.bilan_source) for k in kpis
    )
    notices = [Notice(NO_KPI, "vide")] if not kpis else []
    notices += [Notice(note, "filtre") for note in cards.merged_notes(kpis)]

    # labs and bassins: the labs counted = the labs `labo_nombre` counts for the same filters and year
    labs = queries.laboratories(con, filters)
    annee = kpi_year or last
    open_labs = queries.laboratories(con, filters, open_in=annee).data if annee else labs.data
    total = cards.bassins_in_scope(queries.catalogue(con, "bassins"), filters.departements, filters.bassins)
    n_bassins = int(open_labs["bassin"].nunique()) if not open_labs.empty else 0
    texts = {
        "coverage": cards.coverage_text(len(open_labs), n_bassins, total),
        "opening_note": cards.opening_note(len(open_labs), len(labs.data), annee)
        if annee and not labs.empty
        else "",
        "labs_source": cards.labs_source_text(open_labs["source"], academie.bilan) if not open_labs.empty else "",
    }

    # small map: bassins coloured by the labs' activity of the cards' year — or of the latest year that has
    # values per bassin when that year is not published yet for it (said in the title) —, labs as markers
    wanted = annee or last or ""
    mapped = map_indicator(con)
    per_bassin, map_year = latest_bassin_values(con, mapped, wanted, filters)
    meta = queries.indicator(con, mapped)
    label, unit = str(meta["libelle"]), str(meta["unite"])
    texts["map_title"] = f"{label} par bassin, {map_year}" + (
        f" ({LATEST} ; {wanted} pas encore publiée pour cet indicateur)" if map_year != wanted else ""
    )
    small_map = None
    if per_bassin.empty_reason:
        texts["map_empty"] = per_bassin.empty_reason
        texts["map_empty_filtered"] = "" if filters.is_default() else "1"
    else:
        mask = small_counts.for_level(unit, "bassin", policy)  # tooltips and legend: « < 5 »
        classes = classification.classify(
            per_bassin.data["valeur"], classification.DEFAULT_METHOD, MAP_CLASSES, mask=mask
        )
        small_map = OverviewMap(
            values=per_bassin.data,
            classes=classes,
            labs=open_labs,
            indicator=mapped,
            indicator_label=label,
            unit=unit,
            year=map_year,
            departements=tuple(filters.departements),
            bassins=tuple(filters.bassins),
            legend=tuple(classification.legend_items(classes, unit)),
            alt=f"Carte des bassins : {label} en {map_year}, et laboratoires",
            sources=tuple(per_bassin.sources),
            origins=tuple(per_bassin.origins),
            illustrative=bool(per_bassin.illustrative),
            theme_labels=dict(labels.thematiques),
            niveau_labels=dict(labels.niveaux),
        )

    sources, origins = _kpi_sources(kpis)
    for source, origin in zip(
        per_bassin.sources, per_bassin.origins or ("",) * len(per_bassin.sources), strict=True
    ):
        if source not in sources:
            sources.append(source)
            origins.append(origin)
    illustrative = (
        any(f.illustrative for f in key_figures if f.raw is not None)
        or any(k.illustratif for k in kpis)
        or bool(labs.illustrative)
        or (small_map is not None and small_map.illustrative)
    )
    return View(
        page="vue_ensemble",
        title=TITLE,
        subtitle=subtitle,
        context=build_context(con, filters, school_year=kpi_year),
        key_figures=key_figures,
        notices=tuple(notices),
        sources=tuple(sources),
        origins=tuple(origins),
        illustrative=illustrative,
        texts=texts,
        items=OverviewItems(
            kpis=kpis,
            kpi_rules=rules,
            catalogue=catalogue,
            labs_illustrative=bool(labs.illustrative),
            labs_ignored=tuple(labs.ignored),
            n_labs=len(open_labs),
            n_bassins=n_bassins,
            total_bassins=total,
            year=annee,
            map=small_map,
        ),
    )
