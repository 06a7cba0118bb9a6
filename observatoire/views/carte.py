"""The Carte page as data: `build_carte(con, filters, params) -> View` (no Streamlit).

`params` are the page's own choices, the same values as its URL parameters: `indicateur`, `annee`, `methode`,
`classes`, `fond`, `bassin_sel` (each optional: the page's default when absent). The view holds

- `items.map`: a `MapInputs`, everything the folium map, its legend as text and its PNG image are drawn
  from (values by bassin, `Classes`, labs, the labs' key figures, indicator label / unit / year, the small
  counts rule); it does not depend on `bassin_sel`, so selecting a bassin never changes the map;
- `items.panel`: the `BassinPanel` of `bassin_sel` (None when no bassin is selected);
- `tables`: the bassins table (`"bassins"`), what the screen's « Données » expander shows and its files say;
- `notices`: filters that do not apply, an empty result, a map without labs;
- `texts`: `bassins_note` (how the bassins were drawn) and `small_counts` (the small counts rule, when it
  applies).

Texts are French and plain (not escaped): the page escapes them where they become Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import plotly.graph_objects as go

from observatoire import published, queries, small_counts
from observatoire.figures import bassin_panel, classification, foliummap
from observatoire.filters import Filters, school_years_between
from observatoire.text import plain
from observatoire.views.context import build_context
from observatoire.views.model import Notice, Table, View, source_line
from observatoire.views.static_map import carte_figure

TITLE = "Carte des bassins"
NO_LAB_ON_MAP = "Aucun laboratoire n'est placé sur la carte."


@dataclass(frozen=True)
class MapInputs:
    """What the Carte's map (folium, on screen), its legend as text and its PNG image are drawn from."""

    values: pd.DataFrame  # `queries.values_by_bassin(...).data`, in the classified order
    classes: classification.Classes
    labs: pd.DataFrame  # `queries.laboratories(..., open_in=annee).data`: the markers
    lab_figures: Mapping[str, Any]  # `foliummap.lab_figures(...)`: the key figures of the labs' popups
    indicator: str
    indicator_label: str
    unit: str
    annee: str
    basemap: str
    mask: small_counts.Policy | None
    departements: tuple[str, ...] = ()  # outlined (all when empty)
    chosen_bassins: tuple[str, ...] = ()  # drawn with a thick outline
    theme_labels: Mapping[str, str] = field(default_factory=dict)
    niveau_labels: Mapping[str, str] = field(default_factory=dict)
    latitude: float | None = None  # of the static image's projection (`Academie.projection`)

    @property
    def codes(self) -> list[str]:
        return [str(c) for c in self.values["code"]]

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.values["code"], self.values["nom"]))


@dataclass(frozen=True)
class BassinPanel:
    """The panel of the bassin selected on the map: the chosen indicator's value, rank and class, the headline
    indicators vs the académie, the bassin's labs."""

    code: str
    name: str
    row: Mapping[str, Any]  # its row of `MapInputs.values` (valeur, rang, departement…)
    nb: int  # bassins with a value (the rank is among them)
    class_label: str  # « 1 000 à 2 000 personnes », « pas de donnée »
    profile: pd.DataFrame  # `queries.bassin_profile` (académie-wide, no territory filter)
    labs: pd.DataFrame  # the bassin's labs open that year, with the thème / niveau filters
    departement: str  # « 57 — Moselle »
    scope_note: str  # « dans l'académie », « parmi les bassins des départements choisis »
    filtered: bool  # the shared bassin filter is this bassin alone


@dataclass(frozen=True)
class CarteItems:
    """`View.items` of the Carte."""

    map: MapInputs  # what the map draws
    panel: BassinPanel | None  # the selected bassin's panel, None when no bassin is selected


def _choice(params: Mapping[str, str], name: str, options: Sequence[str], default: str, what: str) -> str:
    value = params.get(name) or default
    if value not in options:
        raise ValueError(f"{what} inconnu(e) : « {plain(str(value))[:40]} ».")
    return value


def _lab_figures(con: duckdb.DuckDBPyConnection, filters: Filters, annee: str) -> Mapping[str, Any]:
    """The key figures of every lab's popup (every lab of the year: the labs shown are already filtered), for the
    chosen thème and niveau like the lab's fiche — the label says so: « Personnes concernées (Collège) »."""
    scope = foliummap.lab_figure_filters(filters)
    shown = dict(published.academie(con).indicateurs.chiffres_laboratoire)  # id → short label (academie.json)
    frame = queries.lab_figures_series(con, tuple(shown), scope, annee)  # one grouped query
    figures = foliummap.lab_figures(
        {i: frame[frame["indicateur"] == i].drop(columns="indicateur").reset_index(drop=True) for i in shown},
        {i: str(queries.indicator(con, i)["unite"]) for i in shown},
        published.policy(con),
        shown,
    )
    labels = queries.labels(con)
    parts = ", ".join(
        [labels.of("thematique", t) for t in scope.thematiques] + [labels.of("niveau", n) for n in scope.niveaux]
    )
    if not parts:
        return figures
    return {
        code: [(f"{label} ({parts})", value, flag) for label, value, flag in rows]
        for code, rows in figures.items()
    }


def bassin_contents(
    con: duckdb.DuckDBPyConnection, code: str, annee: str, filters: Filters
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the bassin panel and the fiche bassin (`views.fiches.build_bassin_fiche`) show of bassin `code` in
    `annee`: its profile against every bassin of the académie (`queries.bassin_profile`, territory filters
    lifted) and its labs open that year matching the thème / niveau filters."""
    profile = queries.bassin_profile(con, code, annee, filters.with_(departements=(), bassins=()))
    labs = queries.laboratories(con, filters.with_(bassins=(code,), departements=()), open_in=annee).data
    return profile, labs


def _panel(
    con: duckdb.DuckDBPyConnection, filters: Filters, inputs: MapInputs, code: str, departements: Mapping[str, str]
) -> BassinPanel | None:
    if code not in inputs.codes:
        return None
    values = inputs.values
    row = values[values["code"] == code].iloc[0].to_dict()
    index = inputs.classes.bins[inputs.codes.index(code)]
    class_label = (
        classification.NO_DATA_LABEL
        if index is None
        else classification.class_labels(inputs.classes, inputs.unit)[index]
    )
    profile, labs = bassin_contents(con, code, inputs.annee, filters)
    dep = str(row["departement"])
    return BassinPanel(
        code=code,
        name=str(row["nom"]),
        row=row,
        nb=int(values["valeur"].notna().sum()),
        class_label=class_label,
        profile=profile,
        labs=labs,
        departement=plain(f"{dep} — {departements.get(dep, dep)}"),
        scope_note="parmi les bassins des départements choisis" if filters.departements else "dans l'académie",
        filtered=tuple(filters.bassins) == (code,),
    )


def build_carte(
    con: duckdb.DuckDBPyConnection, filters: Filters, params: Mapping[str, str] | None = None
) -> View[CarteItems]:
    """The Carte page for `filters` and the page's choices `params` (see the module docstring). An unknown
    indicator, year, classification, number of classes or basemap is a `ValueError` in French; an unknown
    `bassin_sel` gives no panel."""
    params = dict(params or {})
    indicators = foliummap.map_indicators(queries.indicators(con))
    roles = published.academie(con).indicateurs
    indicator = _choice(
        params, "indicateur", list(indicators), foliummap.default_indicator(indicators, roles) or "", "Indicateur"
    )
    years = queries.school_years(con)
    shown_years = school_years_between(years, filters.periode_debut, filters.periode_fin) or years
    annee = _choice(params, "annee", shown_years, shown_years[-1] if shown_years else "", "Année scolaire")
    method = _choice(
        params, "methode", list(classification.METHODS), classification.DEFAULT_METHOD, "Méthode de classes"
    )
    count = _choice(
        params, "classes", classification.CLASS_COUNTS, classification.DEFAULT_CLASSES, "Nombre de classes"
    )
    basemap = _choice(params, "fond", list(foliummap.BASEMAPS), foliummap.DEFAULT_BASEMAP, "Fond de carte")

    meta = queries.indicator(con, indicator)
    unit, label = str(meta["unite"]), str(meta["libelle"])
    labels = queries.labels(con)
    result = queries.values_by_bassin(con, indicator, annee, filters)
    labs = queries.laboratories(con, filters, open_in=annee)  # the labs `labo_nombre` counts: markers = colours
    values = result.data
    # small counts of people: colours from the exact values (a class says no more than « < 5 »), texts « < 5 »
    mask = small_counts.for_level(unit, "bassin", published.policy(con))
    classes = classification.classify(values["valeur"], method, int(count), mask=mask)
    inputs = MapInputs(
        values=values,
        classes=classes,
        labs=labs.data,
        lab_figures=_lab_figures(con, filters, annee),
        indicator=indicator,
        indicator_label=label,
        unit=unit,
        annee=annee,
        basemap=basemap,
        mask=mask,
        departements=tuple(filters.departements),
        chosen_bassins=tuple(filters.bassins),
        theme_labels=dict(labels.thematiques),
        niveau_labels=dict(labels.niveaux),
        latitude=published.academie(con).projection,
    )

    notices = [Notice(note, "filtre") for note in dict.fromkeys(result.ignored + labs.ignored)]
    if result.empty_reason:
        notices.append(Notice(result.empty_reason, "vide"))
    if labs.empty:
        notices.append(Notice(f"{labs.empty_reason or ''} {NO_LAB_ON_MAP}".strip(), "info"))

    title = f"{label} par bassin ({annee})"
    table = Table(
        key="bassins",
        title=title,
        frame=bassin_panel.bassins_table(values, classes, unit, labels.departements),
        source=source_line(result.sources, result.origins),
        illustrative=result.illustrative,
        indicator=label,
        unit=unit,
        ignored=result.ignored,
    )
    texts = {"bassins_note": published.academie(con).bassins_note}
    if mask is not None:
        texts["small_counts"] = small_counts.note(mask)
    code = params.get("bassin_sel") or ""
    return View(
        page="carte",
        title=TITLE,
        context=build_context(con, filters, school_year=annee),
        subtitle=title,
        tables=(table,),
        notices=tuple(notices),
        sources=tuple(result.sources),
        origins=tuple(result.origins),
        illustrative=bool(result.illustrative),
        texts=texts,
        items=CarteItems(
            map=inputs, panel=_panel(con, filters, inputs, code, labels.departements) if code else None
        ),
    )


def static_figure(inputs: MapInputs, bassins: Mapping[str, Any], departements: Mapping[str, Any]) -> go.Figure:
    """The map of `inputs` as a plain plotly figure (no tiles, no network): the Carte's PNG image, built from the
    same values, classes and labs as the screen's map (built only when the image is asked for); `bassins` and
    `departements`: the GeoJSON layers of the version the view was built from (`published.geojson`)."""
    return carte_figure(
        bassins,
        departements,
        inputs.values,
        inputs.classes,
        inputs.unit,
        inputs.labs,
        f"{inputs.indicator_label}, {inputs.annee}",
        inputs.theme_labels,
        inputs.latitude,
    )
