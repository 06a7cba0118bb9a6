"""The folium map of the Carte page and of the overview page: bassins coloured by classes, département borders,
chosen bassins, labs as markers, popups and legends. Pure (no Streamlit; folium and branca only), tested
directly in tests/observatoire/figures/test_foliummap.py.

- `build_map(...)` → a `folium.Map` whose content depends only on what it is given (indicator values, classes,
  labs, basemap, territory). It never depends on the bassin selected by a click (the selection is shown in the
  panel beside the map), so clicking a bassin does not change — or resend — the map. Element ids are made
  deterministic: two builds with the same inputs render byte-identical HTML, which lets Streamlit's message
  cache skip resending the unchanged map on a rerun.
- The HTML and CSS (legends, popups, map style, hatch pattern) are Jinja templates
  (`observatoire.figures.templates`, autoescape on); the folium elements' JavaScript macros are templates too
  (`templates/folium/`, compiled by branca).
- Sizes and colours come from a `Theme` (`observatoire.figures.theme`).
- The map fits the académie itself, in the map's own document (`_FitAcademie`): room is kept on the right for
  the legend boxes at their drawn width (no legend covers a bassin at any width) and the fit is redone when the
  map changes size — full screen entered or left, window resized. On a phone-sized map (< `PHONE_MAP` px wide)
  both legends fold to their title (« afficher » / « masquer ») and the académie is fitted between them,
  below the classes legend and above the labs legend.

Asset URLs (Leaflet, Font Awesome…) are a process-wide folium setting: `components.offline.use_local_assets`
points them at the vendored copies (`components.maps.build_map` calls it before building). Offline by default:
« Sans fond de carte » (the default) loads no tile; only the basemap the user chooses (IGN or OpenStreetMap)
requests tiles from its host.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import folium
import pandas as pd
import shapely
import shapely.geometry
from branca.element import Element, Figure, MacroElement
from folium.plugins import Fullscreen
from jinja2 import Template

from observatoire import config, small_counts
from observatoire.figures import formatting, templates
from observatoire.figures.classification import (
    _LIGHT_MARKERS,
    MARKER_HEX,
    METHOD_PHRASES,
    NO_DATA_LABEL,
    Classes,
    format_value,
    legend_items,
    main_theme,
    theme_style,
)
from observatoire.figures.theme import THEME, Theme
from observatoire.filters import Filters
from observatoire.text import escape_html

# ----------------------------------------------------------------------------------------------- options

BASEMAPS = {"aucun": "Sans fond de carte", "ign": "Plan IGN", "osm": "OpenStreetMap"}
DEFAULT_BASEMAP = "aucun"
NARROW_MAP = 760  # px: below this map width, the legends are compact (smaller text, narrower boxes)
PHONE_MAP = 480  # px: below this map width (a phone), the legends fold to their title and sit above / below it

TILES = {
    "ign": (
        "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
        "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
        "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}",
        "© IGN – Géoplateforme",
        19,
    ),
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '© <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',
        19,
    ),
}

HATCH_ID = "carte-hachures"


def default_indicator(options: Iterable[str], roles: config.IndicatorRoles) -> str | None:
    """The map's first choice: the académie's `carte` indicator (academie.json `indicateurs`), else its `defaut`,
    else the first option."""
    options = list(options)
    return next((i for i in (roles.carte, roles.defaut) if i and i in options), options[0] if options else None)


def map_indicators(catalogue: pd.DataFrame) -> dict[str, str]:
    """Indicators that can be mapped (every annual one: monthly ones have no school-year value) → label."""
    rows = catalogue[catalogue["granularite"] != "mensuelle"]
    return dict(zip(rows["id"], rows["libelle"]))


def lab_figure_filters(filters: Any) -> Any:
    """Filters of the popups' key figures: every lab of the year (the labs shown are already filtered by
    territory), for the chosen thème and niveau — the figures of the lab's fiche
    (`observatoire.views.laboratories.lab_scope`: a lab shown has them). The public does not break labs down."""
    return filters.with_(departements=(), bassins=(), publics=())


# ------------------------------------------------------------------------------------------- map content


def rank_text(rank: Any, total: int) -> str:
    """« 3ᵉ sur 17 » (or « — » without a rank: None, NaN)."""
    if rank is None or pd.isna(rank):
        return "—"
    return formatting.rank_label(int(rank), total)


def missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def _labels_of(codes: object, mapping: Mapping[str, str]) -> str:
    parts = [c for c in str(codes or "").split("|") if c]
    return ", ".join(mapping.get(c, c) for c in parts) or "—"


def lab_figures(
    series_by_indicator: Mapping[str, pd.DataFrame],
    units: Mapping[str, str] | None = None,
    rules: small_counts.Policy | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, list[tuple[str, str, bool]]]:
    """Lab code → [(short label, formatted value, illustrative)] from `series(..., by="laboratoire")` data.

    `units` (indicator → catalogue unit): a small count of people of a lab is shown `< 5`
    (`small_counts.for_level(unit, "laboratoire")`)."""
    masks = {ind: small_counts.for_level(unit, "laboratoire", rules) for ind, unit in (units or {}).items()}
    by_indicator: dict[str, dict[str, tuple[Any, bool]]] = {}
    for ind, data in series_by_indicator.items():
        mine: dict[str, tuple[Any, bool]] = {}
        if not data.empty:  # first row per lab, read once as plain Python values (no per-lab filtering)
            for code, value, illustrative in zip(
                data["groupe"].tolist(), data["valeur"].tolist(), data["illustratif"].tolist()
            ):
                mine.setdefault(code, (value, bool(illustrative)))
        by_indicator[ind] = mine
    codes = sorted(set().union(*by_indicator.values())) if by_indicator else []
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for code in codes:
        rows = []
        for ind, mine in by_indicator.items():
            label = (labels or {}).get(ind, ind)
            value, illustrative = mine.get(code, (None, False))
            mask = masks.get(ind)
            if value is None or pd.isna(value):
                rows.append((label, "—", False))
            elif mask is not None and mask.is_small(value):
                rows.append((label, mask.label, illustrative))
            else:
                rows.append((label, formatting.number(float(value)), illustrative))
        out[code] = rows
    return out


def lab_source_text(source: object) -> str:
    text = str(source or "").strip()
    if not text or text.startswith(config.ILLUSTRATIVE):
        return "Source : données illustratives."
    return f"Source : {text}."


def lab_popup_html(
    lab: Mapping[str, Any],
    theme_labels: Mapping[str, str],
    niveau_labels: Mapping[str, str],
    figures: Sequence[tuple[str, str, bool]],
    annee: str,
) -> str:
    """Popup of a lab (template `lab_popup.html.j2`): name, commune, bassin, themes, levels (French labels), key
    figures of the year, source — every text HTML-escaped."""
    return templates.render_one_line(
        "lab_popup.html.j2",
        nom=lab["nom"],
        commune=lab["commune"],
        bassin=lab.get("bassin_nom") or lab.get("bassin") or "—",
        themes=_labels_of(lab.get("thematiques"), theme_labels),
        niveaux=_labels_of(lab.get("niveaux"), niveau_labels),
        figures=[(label, value) for label, value, _ in figures],
        annee=annee,
        illustrative=any(flag for _, _, flag in figures),
        source=lab_source_text(lab.get("source")),
    )


def legend_html(title: str, subtitle: str, items: Sequence[tuple[str, str]], chosen: bool = False) -> str:
    """The classes legend box (template `legend.html.j2`): swatches, « pas de donnée » hatched, département and
    chosen outlines."""
    return templates.render_one_line(
        "legend.html.j2",
        title=title,
        subtitle=subtitle,
        chosen=chosen,
        items=[(color, label, label == NO_DATA_LABEL) for color, label in items],
    )


def labs_legend_html(themes: Sequence[str], theme_labels: Mapping[str, str]) -> str:
    """Labs legend (template `labs_legend.html.j2`): one entry per main theme shown, icon and marker colour."""
    rows = []
    for theme in themes:
        icon, color = theme_style(theme)
        rows.append(
            (
                icon,
                MARKER_HEX[color],
                "#161616" if color in _LIGHT_MARKERS else "#ffffff",
                theme_labels.get(theme, theme),
            )
        )
    return templates.render_one_line("labs_legend.html.j2", rows=rows)


def map_css(blank: bool, theme: Theme = THEME) -> str:
    """CSS of the map document (template `map_style.css.j2`)."""
    return templates.render("map_style.css.j2", blank=blank, theme=theme)


def _bounds(features: Iterable[Mapping[str, Any]]) -> list[list[float]] | None:
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features if f.get("geometry")]
    if not geoms:
        return None
    west, south, east, north = shapely.union_all(geoms).bounds if len(geoms) > 1 else geoms[0].bounds
    return [[south, west], [north, east]]


def bassin_features(
    geojson: Mapping[str, Any], values: pd.DataFrame, classes: Classes, unit: str
) -> dict[str, Any]:
    """The bassins of `values` (one row per bassin, in `classes.bins` order) with display properties only.

    `nom` and `valeur` are HTML-escaped: folium's GeoJsonTooltip inserts property values as HTML (the unit,
    inside `valeur`, comes from the catalogue too)."""
    total = int(values["valeur"].notna().sum())
    by_code = {}
    for i, row in enumerate(values.itertuples(index=False)):
        by_code[row.code] = {
            "code": row.code,
            "nom": escape_html(row.nom),
            "valeur": escape_html(
                format_value(row.valeur, unit, classes.mask)
                + ("" if missing(row.valeur) else f" · {rank_text(row.rang, total)}")
            ),
            "classe": -1 if classes.bins[i] is None else classes.bins[i],
        }
    features = [
        {"type": "Feature", "properties": by_code[f["properties"]["code"]], "geometry": f["geometry"]}
        for f in geojson["features"]
        if f["properties"]["code"] in by_code
    ]
    return {"type": "FeatureCollection", "features": features}


def _bassin_style(
    colors: Sequence[str], opacity: float, feature: Mapping[str, Any], theme: Theme = THEME
) -> dict[str, Any]:
    props = feature["properties"]
    index = props.get("classe", -1)
    return {
        "fillColor": colors[index] if 0 <= index < len(colors) else f"url(#{HATCH_ID})",
        "fillOpacity": opacity if 0 <= index < len(colors) else 1,
        "color": theme.outline,
        "weight": theme.outline_weight,
        "opacity": 1,
    }


def _bassin_highlight(feature: Mapping[str, Any], theme: Theme = THEME) -> dict[str, Any]:
    return {"color": theme.highlight_line, "weight": theme.highlight_weight, "opacity": 1}


def _departement_style(feature: Mapping[str, Any], theme: Theme = THEME) -> dict[str, Any]:
    return {"color": theme.departement_line, "weight": theme.departement_weight, "opacity": 0.95, "fill": False}


def _chosen_style(feature: Mapping[str, Any], theme: Theme = THEME) -> dict[str, Any]:
    return {"color": theme.chosen_line, "weight": theme.chosen_weight, "opacity": 1, "fill": False}


def _outline_layer(features: Iterable[Mapping[str, Any]], name: str, style: Any) -> folium.GeoJson:
    """A non-interactive outline layer (clicks go through to the bassins below)."""
    return folium.GeoJson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": str(f["properties"]["code"])},
                    "geometry": f["geometry"],
                }
                for f in features
            ],
        },
        name=name,
        style_function=style,
        interactive=False,
        smooth_factor=0.5,
    )


# ------------------------------------------------------------------------------ folium elements (patched)


class _MapStyle(MacroElement):
    """CSS (projector-sized legend, tooltips, popups), the SVG hatch pattern, a link-free attribution prefix."""

    _template = Template(templates.source("folium/map_style.html.j2"))

    def __init__(self, blank: bool, theme: Theme = THEME) -> None:
        super().__init__()
        self._name = "CarteStyle"
        self.blank = blank
        self.background = theme.background
        self.hatch = HATCH_ID
        self.css = map_css(blank, theme)
        self.hatch_html = templates.render("hatch.html.j2", hatch_id=HATCH_ID, theme=theme)
        # Leaflet guesses its default icon folder wrongly when leaflet.css is injected late (streamlit-folium):
        # folium creates each marker with the default icon before setting ours, hence a 404 without this.
        leaflet_js = next((url for _, url in folium.Map.default_js if url.endswith("/leaflet.js")), "")
        self.icon_path = leaflet_js[: -len("leaflet.js")] + "images/" if leaflet_js.startswith("/") else ""


class CarteMap(folium.Map):
    """folium.Map without folium's `user-scalable=no` viewport (it forbids zooming the page: WCAG 1.4.4)."""

    # `-> None` as branca's MacroElement.render, which folium.Map inherits (branca types Element.render `-> str`)
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        super().render(**kwargs)
        figure = self.get_root()
        assert isinstance(figure, Figure), "folium ne rend une carte que dans une Figure"
        header = figure.header
        element = header._children.get(self.get_name())
        if element is not None:
            text = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", element.render())
            header.add_child(Element(text), name=self.get_name())


class _MarkerNames(MacroElement):
    """Accessible name (aria-label) of each lab marker, from its tooltip: awesome-markers are `div`s with
    role=button, Leaflet only names `img` icons."""

    _template = Template(templates.source("folium/marker_names.html.j2"))

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self._name = "MarkerNames"
        self.suffix = suffix


class HtmlControl(MacroElement):
    """A static HTML box as a Leaflet control (legend): no d3, no external asset."""

    _template = Template(templates.source("folium/html_control.html.j2"))

    def __init__(self, content: str, position: str = "bottomright", css_class: str = "carte-legende") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


class _FitAcademie(MacroElement):
    """Fits the map on the académie beside the legends, and again whenever the map changes size (full screen,
    window): see `templates/folium/fit_academie.html.j2`. Added after the legends (it measures them)."""

    _template = Template(templates.source("folium/fit_academie.html.j2"))

    def __init__(self, bounds: list[list[float]], theme: Theme = THEME) -> None:
        super().__init__()
        self._name = "FitAcademie"
        self.bounds = bounds
        self.padding = theme.fit_padding
        self.margin = theme.legend_margin
        self.narrow = NARROW_MAP
        self.mobile = PHONE_MAP


def _stable_ids(root: Element) -> None:
    """Replace folium's random element ids by ids derived from the tree position (byte-identical renders)."""
    counter = itertools.count()
    seen: set[int] = set()

    def walk(element: Element) -> None:
        """Renumber `element`'s subtree; children stored under their old name are re-keyed (folium's Popup
        uses those keys as JavaScript variable names)."""
        if id(element) in seen:
            return
        seen.add(id(element))
        for attr in ("header", "html", "script"):
            sub = getattr(element, attr, None)
            if isinstance(sub, Element):
                walk(sub)
        renamed = []
        for key, child in list(element._children.items()):
            old = child.get_name()
            child._id = hashlib.md5(f"carte-{next(counter)}".encode()).hexdigest()  # noqa: S324 - not security
            renamed.append((child.get_name() if key == old else key, child))
            walk(child)
        element._children = type(element._children)(renamed)

    root._id = hashlib.md5(b"carte-root").hexdigest()  # noqa: S324
    walk(root)


# ------------------------------------------------------------------------------------------------- build


def build_map(
    bassins_geojson: Mapping[str, Any],
    departements_geojson: Mapping[str, Any],
    values: pd.DataFrame,
    classes: Classes,
    labs: pd.DataFrame,
    *,
    indicator_label: str,
    unit: str,
    annee: str,
    centre: tuple[float, float],
    zoom: int,
    basemap: str = DEFAULT_BASEMAP,
    departements: Sequence[str] = (),
    chosen_bassins: Collection[str] = (),
    theme_labels: Mapping[str, str] | None = None,
    niveau_labels: Mapping[str, str] | None = None,
    figures: Mapping[str, Sequence[tuple[str, str, bool]]] | None = None,
    compact: bool = False,
    theme: Theme = THEME,
) -> folium.Map:
    """The Carte map (see the module docstring). `values`: `values_by_bassin(...).data` (one row per bassin to
    draw, in the order classified by `classes`); `labs`: `laboratories(...).data`; `departements`: the
    départements to outline (all when empty); `chosen_bassins`: bassins drawn with a thick outline; `centre`
    (latitude, longitude) and `zoom`: the académie's `carte` (academie.json, as the version holds it:
    `published.academie`).
    `compact=True` (small overview map): no legend inside the map (render it as text under the map) and no
    fullscreen button."""
    if basemap not in BASEMAPS:
        raise ValueError(f"Fond de carte inconnu : {basemap}")
    theme_labels = theme_labels or {}
    niveau_labels = niveau_labels or {}
    figures = figures or {}
    blank = basemap == "aucun"
    m = CarteMap(
        location=list(centre),
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        zoom_snap=0.1,
        zoom_delta=0.5,
        min_zoom=6,
        max_zoom=16,
    )
    if not blank:
        url, attribution, max_zoom = TILES[basemap]
        folium.TileLayer(
            tiles=url, attr=attribution, name=BASEMAPS[basemap], max_zoom=max_zoom, overlay=False, control=False
        ).add_to(m)
    _MapStyle(blank, theme).add_to(m)

    bassins = bassin_features(bassins_geojson, values, classes, unit)
    folium.GeoJson(
        bassins,
        name="Bassins",
        style_function=partial(_bassin_style, classes.colors, 0.9 if blank else 0.72, theme=theme),
        highlight_function=partial(_bassin_highlight, theme=theme),
        tooltip=folium.GeoJsonTooltip(["nom", "valeur"], labels=False, sticky=True),
        smooth_factor=0.5,
    ).add_to(m)
    chosen_deps = Filters(departements=tuple(departements))
    deps = [
        f for f in departements_geojson["features"] if chosen_deps.covers_departement(str(f["properties"]["code"]))
    ]
    _outline_layer(deps, "Départements", partial(_departement_style, theme=theme)).add_to(m)
    chosen = [f for f in bassins["features"] if f["properties"]["code"] in chosen_bassins]
    if chosen:  # above the département borders, so the chosen outline is never hidden
        _outline_layer(chosen, "Bassins choisis", partial(_chosen_style, theme=theme)).add_to(m)

    themes: list[str] = []
    for lab in labs.to_dict("records"):
        lab_theme = main_theme(lab.get("thematiques"))
        if lab_theme not in themes:
            themes.append(lab_theme)
        icon, color = theme_style(lab_theme)
        popup = lab_popup_html(lab, theme_labels, niveau_labels, figures.get(lab["code"], ()), annee)
        folium.Marker(
            [float(lab["latitude"]), float(lab["longitude"])],
            tooltip=folium.Tooltip(escape_html(lab["nom"])),
            popup=folium.Popup(popup, max_width=340),
            icon=folium.Icon(
                color=color, icon=icon, prefix="fa", icon_color="#161616" if color in _LIGHT_MARKERS else "white"
            ),
        ).add_to(m)

    _MarkerNames(" — laboratoire numérique, afficher la fiche").add_to(m)
    subtitle = f"{annee} · classes : {METHOD_PHRASES.get(classes.method, classes.method)}"
    if not compact:
        HtmlControl(
            legend_html(indicator_label, subtitle, legend_items(classes, unit), bool(chosen)), "topright"
        ).add_to(m)
    if themes and not compact:
        themes.sort(key=lambda t: theme_labels.get(t, t))
        HtmlControl(labs_legend_html(themes, theme_labels), "bottomright", "carte-legende labos").add_to(m)
    if not compact:
        Fullscreen(
            position="topleft",
            title="Plein écran",
            title_cancel="Quitter le plein écran",
            force_separate_button=True,
        ).add_to(m)
    bounds = _bounds(bassins["features"])
    if bounds:
        # folium's own fit first (the view before the map's script runs), then the académie fitted beside the
        # legends as drawn, and again on every change of size (full screen)
        m.fit_bounds(
            bounds,
            padding_top_left=(theme.fit_padding, theme.fit_padding),
            padding_bottom_right=(theme.fit_padding if compact else theme.legend_width, theme.fit_padding),
        )
        _FitAcademie(bounds, theme).add_to(m)
    _stable_ids(m.get_root())
    return m
