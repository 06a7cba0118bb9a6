"""Carte des bassins: folium map, popups, panel tables + thin render wrappers; classes, palette and legend texts
live in `observatoire.figures.classification` (shared with the static map of the presentation).

Pure part (no Streamlit, tested directly in tests/components/test_maps.py):
- `classify(values, method, k)` → `Classes` (mapclassify quantiles / equal intervals / Fisher-Jenks breaks,
  NaN → « pas de donnée »), `legend_items(classes, unit)` → French legend labels;
- `build_map(...)` → a `folium.Map` whose content depends only on what it is given (indicator values, classes,
  labs, basemap, territory). It never depends on the bassin selected by a click (the selection is shown in the
  panel beside the map), so clicking a bassin does not change — or resend — the map. Element ids are made
  deterministic: two builds with the same inputs render byte-identical HTML, which lets Streamlit's message
  cache skip resending the unchanged map on a rerun;
- `clicked_bassin(value, allowed)` reads a streamlit-folium click; `bassins_table`, `profile_table`… build the
  text alternative and the bassin panel.

Render part (`render_*`, `apply_click`, `bassin_selectbox`): thin Streamlit wrappers used by app_pages/carte.py.

Offline by default: « Sans fond de carte » (the default) loads no tile, every front-end asset is vendored
(`components.offline`), the legend is plain HTML/CSS (no d3), icons use Font Awesome (`prefix="fa"`), and « pas
de donnée » is hatched with an inline SVG pattern. Only the basemap the user chooses (IGN or OpenStreetMap)
requests tiles from its host.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import textwrap
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import folium
import pandas as pd
import shapely
import shapely.geometry
from branca.element import Element, MacroElement
from folium.plugins import Fullscreen
from jinja2 import Template

from components import offline
from observatoire import config, geo, small_counts
from observatoire.figures import formatting
from observatoire.figures.classification import (
    _LIGHT_MARKERS,
    MARKER_HEX,
    METHOD_PHRASES,
    NO_DATA_LABEL,
    Classes,
    class_labels,
    format_value,
    legend_items,
    main_theme,
    theme_style,
    unit_for,
)
from observatoire.text import escape_html, escape_markdown, plain, quote_value


def _memoize_branca_templates() -> None:
    """branca compiles a Jinja template for every element it creates (≈ 90 compilations per map, about 40 %
    of a map build). Templates are immutable once compiled: compile each distinct source once per process."""
    import branca.element

    if getattr(branca.element.Template, "_observatoire_memo", False):
        return
    compiled: dict[str, Template] = {}

    def template(source: str, *args: Any, **kwargs: Any) -> Template:
        if args or kwargs:
            return Template(source, *args, **kwargs)
        found = compiled.get(source)
        if found is None:
            found = compiled[source] = Template(source)
        return found

    template._observatoire_memo = True  # type: ignore[attr-defined]
    branca.element.Template = template  # type: ignore[assignment]


_memoize_branca_templates()

# ----------------------------------------------------------------------------------------------- options

OVERVIEW_INDICATOR = "labo_personnes"  # small map of the overview page
BASEMAPS = {"aucun": "Sans fond de carte", "ign": "Plan IGN", "osm": "OpenStreetMap"}
DEFAULT_BASEMAP = "aucun"
DEFAULT_INDICATORS = ("labo_personnes", "ent_visites")
MAP_HEIGHT = 660
LEGEND_WIDTH = 285  # room kept on the right of the map for the legends (fit_bounds padding, px)
SESSION_KEY = "carte_bassin"
URL_PARAM = "bassin_sel"
RETURNED_OBJECTS = ("last_object_clicked", "last_active_drawing")

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
BACKGROUND = "#eef0f3"  # « Sans fond de carte »: light grey, distinct from the palette's pale yellow
OUTLINE = "#505050"
DEPARTEMENT_LINE = "#161616"
CHOSEN_LINE = "#c8102e"  # bassins chosen in the sidebar filters (red: not a palette hue)


# Key figures of a lab in its popup (lab-level rows of these indicators), with short French labels.
LAB_FIGURES = {"labo_personnes": "Personnes concernées", "labo_classes": "Classes concernées"}


def default_indicator(options: Iterable[str]) -> str | None:
    options = list(options)
    return next((i for i in DEFAULT_INDICATORS if i in options), options[0] if options else None)


def map_indicators(catalogue: pd.DataFrame) -> dict[str, str]:
    """Indicators that can be mapped (every annual one: monthly ones have no school-year value) → label."""
    rows = catalogue[catalogue["granularite"] != "mensuelle"]
    return dict(zip(rows["id"], rows["libelle"]))


def lab_figure_filters(filters: Any) -> Any:
    """Filters of the popups' key figures: every lab of the year (the labs shown are already filtered)."""
    return filters.with_(departements=(), bassins=(), thematiques=(), niveaux=(), publics=())


# ------------------------------------------------------------------------------------------- classification
























# ------------------------------------------------------------------------------------------- map content




def _rank_text(rank: object, total: int) -> str:
    if rank is None or pd.isna(rank):  # type: ignore[arg-type]
        return "—"
    return formatting.rank_label(int(rank), total)  # type: ignore[arg-type]






def _labels_of(codes: object, mapping: Mapping[str, str]) -> str:
    parts = [c for c in str(codes or "").split("|") if c]
    return ", ".join(mapping.get(c, c) for c in parts) or "—"


def lab_figures(series_by_indicator: Mapping[str, pd.DataFrame],
                units: Mapping[str, str] | None = None) -> dict[str, list[tuple[str, str, bool]]]:
    """Lab code → [(short label, formatted value, illustrative)] from `series(..., by="laboratoire")` data.

    `units` (indicator → catalogue unit): a small count of people of a lab is shown `< 5`
    (`small_counts.for_level(unit, "laboratoire")`)."""
    masks = {ind: small_counts.for_level(unit, "laboratoire") for ind, unit in (units or {}).items()}
    by_indicator: dict[str, dict[str, tuple[object, bool]]] = {}
    for ind, data in series_by_indicator.items():
        mine: dict[str, tuple[object, bool]] = {}
        if not data.empty:  # first row per lab, read once as plain Python values (no per-lab filtering)
            for code, value, illustrative in zip(data["groupe"].tolist(), data["valeur"].tolist(),
                                                 data["illustratif"].tolist()):
                mine.setdefault(code, (value, bool(illustrative)))
        by_indicator[ind] = mine
    codes = sorted(set().union(*by_indicator.values())) if by_indicator else []
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for code in codes:
        rows = []
        for ind, mine in by_indicator.items():
            label = LAB_FIGURES.get(ind, ind)
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


def lab_popup_html(lab: Mapping[str, Any], theme_labels: Mapping[str, str], niveau_labels: Mapping[str, str],
                   figures: Sequence[tuple[str, str, bool]], annee: str) -> str:
    """Popup of a lab: name, commune, bassin, themes, levels (French labels), key figures of the year, source
    (every text HTML-escaped)."""
    e = escape_html
    lines = [
        f'<div class="labo-popup"><h4>{e(str(lab["nom"]))}</h4>',
        f'<p><b>Commune :</b> {e(str(lab["commune"]))}<br>'
        f'<b>Bassin :</b> {e(str(lab.get("bassin_nom") or lab.get("bassin") or "—"))}</p>',
        f'<p><b>Thèmes :</b> {e(_labels_of(lab.get("thematiques"), theme_labels))}<br>'
        f'<b>Niveaux :</b> {e(_labels_of(lab.get("niveaux"), niveau_labels))}</p>',
    ]
    if figures:
        items = "".join(f"<li>{e(label)} : <b>{e(value)}</b></li>" for label, value, _ in figures)
        illustrative = " (valeurs illustratives)" if any(flag for _, _, flag in figures) else ""
        lines.append(f"<p><b>En {e(annee)}</b>{illustrative} :</p><ul>{items}</ul>")
    lines.append(f'<p class="src">{e(lab_source_text(lab.get("source")))}</p></div>')
    return "".join(lines)


def _bounds(features: Iterable[Mapping[str, Any]]) -> list[list[float]] | None:
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features if f.get("geometry")]
    if not geoms:
        return None
    west, south, east, north = shapely.union_all(geoms).bounds if len(geoms) > 1 else geoms[0].bounds
    return [[south, west], [north, east]]


def bassin_features(geojson: Mapping[str, Any], values: pd.DataFrame, classes: Classes,
                    unit: str) -> dict[str, Any]:
    """The bassins of `values` (one row per bassin, in `classes.bins` order) with display properties only.

    `nom` and `valeur` are HTML-escaped: folium's GeoJsonTooltip inserts property values as HTML (the unit,
    inside `valeur`, comes from the catalogue too)."""
    total = int(values["valeur"].notna().sum())
    by_code = {}
    for i, row in enumerate(values.itertuples(index=False)):
        by_code[row.code] = {
            "code": row.code,
            "nom": escape_html(row.nom),
            "valeur": escape_html(format_value(row.valeur, unit, classes.mask)
                                  + ("" if _missing(row.valeur) else f" · {_rank_text(row.rang, total)}")),
            "classe": -1 if classes.bins[i] is None else classes.bins[i],
        }
    features = [
        {"type": "Feature", "properties": by_code[f["properties"]["code"]], "geometry": f["geometry"]}
        for f in geojson["features"] if f["properties"]["code"] in by_code
    ]
    return {"type": "FeatureCollection", "features": features}


def _bassin_style(colors: Sequence[str], opacity: float, feature: Mapping[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    index = props.get("classe", -1)
    return {
        "fillColor": colors[index] if 0 <= index < len(colors) else f"url(#{HATCH_ID})",
        "fillOpacity": opacity if 0 <= index < len(colors) else 1,
        "color": OUTLINE,
        "weight": 1,
        "opacity": 1,
    }


def _bassin_highlight(feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"color": "#000091", "weight": 4, "opacity": 1}


def _departement_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"color": DEPARTEMENT_LINE, "weight": 3, "opacity": 0.95, "fill": False}


def _chosen_style(feature: Mapping[str, Any]) -> dict[str, Any]:
    return {"color": CHOSEN_LINE, "weight": 4.5, "opacity": 1, "fill": False}


def _outline_layer(features: Iterable[Mapping[str, Any]], name: str, style: Any) -> folium.GeoJson:
    """A non-interactive outline layer (clicks go through to the bassins below)."""
    return folium.GeoJson(
        {"type": "FeatureCollection",
         "features": [{"type": "Feature", "properties": {"code": str(f["properties"]["code"])},
                       "geometry": f["geometry"]} for f in features]},
        name=name, style_function=style, interactive=False, smooth_factor=0.5,
    )


class _MapStyle(MacroElement):
    """CSS (projector-sized legend, tooltips, popups), the SVG hatch pattern, a link-free attribution prefix."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-container { {% if this.blank %}background: {{ this.background }};{% endif %}
            font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
        .carte-legende { background: rgba(255,255,255,0.96); color: #161616; padding: 10px 14px;
            border-radius: 6px; box-shadow: 0 1px 6px rgba(0,0,0,0.35); font-size: 15px; line-height: 1.3;
            max-width: 300px; }
        .carte-legende h3 { font-size: 16px; font-weight: 700; margin: 0 0 2px 0; }
        .carte-legende .sous-titre { font-size: 13px; color: #3a3a3a; margin: 0 0 8px 0; }
        .carte-legende .ligne { display: flex; align-items: center; gap: 9px; margin: 4px 0;
            white-space: nowrap; }
        .carte-legende .case { flex: none; width: 28px; height: 19px; border: 1px solid #505050; }
        .carte-legende .hachures { background: repeating-linear-gradient(45deg, #969696 0 3px, #f7f7f7 3px 8px); }
        .carte-legende .trait-dep { flex: none; width: 28px; height: 0; border-top: 3px solid #161616; }
        .carte-legende .trait-choisi { flex: none; width: 28px; height: 15px; border: 4px solid #c8102e; }
        .carte-legende .pastille { flex: none; width: 24px; height: 24px; border-radius: 50%;
            display: inline-flex; align-items: center; justify-content: center; font-size: 12px; }
        .carte-legende.labos { font-size: 14px; max-width: 255px; }
        .carte-legende.labos .ligne { white-space: normal; margin: 3px 0; line-height: 1.15; }
        .leaflet-container path.leaflet-interactive:focus { outline: none; }
        .leaflet-control-scale-line + .leaflet-control-scale-line { display: none; }  /* km only, no miles */
        .leaflet-tooltip { font-size: 15px; }
        .leaflet-tooltip table { font-size: 15px; }
        .leaflet-popup-content { font-size: 14px; line-height: 1.4; margin: 12px 16px; }
        .labo-popup h4 { font-size: 16px; font-weight: 700; margin: 0 0 6px 0; }
        .labo-popup p { margin: 0 0 6px 0; }
        .labo-popup ul { margin: 0 0 6px 0; padding-left: 18px; }
        .labo-popup .src { font-size: 12px; color: #3a3a3a; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>
        <pattern id="{{ this.hatch }}" patternUnits="userSpaceOnUse" width="8" height="8"
            patternTransform="rotate(45)"><rect width="8" height="8" fill="#f7f7f7"></rect>
        <rect width="3" height="8" fill="#969696"></rect></pattern></defs></svg>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix("Leaflet");
        (function (zoom) {  // Leaflet's zoom buttons are titled in English: the map document is ours to translate
            if (!zoom) { return; }
            [[zoom._zoomInButton, "Zoom avant"], [zoom._zoomOutButton, "Zoom arrière"]].forEach(function (b) {
                if (b[0]) { b[0].title = b[1]; b[0].setAttribute("aria-label", b[1]); }
            });
        })({{ this._parent.get_name() }}.zoomControl);
        {%- if this.icon_path %}
        L.Icon.Default.imagePath = {{ this.icon_path|tojson }};
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, blank: bool) -> None:
        super().__init__()
        self._name = "CarteStyle"
        self.blank = blank
        self.background = BACKGROUND
        self.hatch = HATCH_ID
        # Leaflet guesses its default icon folder wrongly when leaflet.css is injected late (streamlit-folium):
        # folium creates each marker with the default icon before setting ours, hence a 404 without this.
        leaflet_js = next((url for _, url in folium.Map.default_js if url.endswith("/leaflet.js")), "")
        self.icon_path = leaflet_js[: -len("leaflet.js")] + "images/" if leaflet_js.startswith("/") else ""


class CarteMap(folium.Map):
    """folium.Map without folium's `user-scalable=no` viewport (it forbids zooming the page: WCAG 1.4.4)."""

    def render(self, **kwargs: Any) -> None:
        super().render(**kwargs)
        header = self.get_root().header
        element = header._children.get(self.get_name())
        if element is not None:
            text = re.sub(r",\s*maximum-scale=1\.0,\s*user-scalable=no", "", element.render())
            header.add_child(Element(text), name=self.get_name())


class _MarkerNames(MacroElement):
    """Accessible name (aria-label) of each lab marker, from its tooltip: awesome-markers are `div`s with
    role=button, Leaflet only names `img` icons."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.eachLayer(function (layer) {
            if (layer instanceof L.Marker && layer._icon && layer.getTooltip()) {
                var box = document.createElement("div");
                box.innerHTML = layer.getTooltip().getContent();
                layer._icon.setAttribute("aria-label", box.textContent.trim() + {{ this.suffix|tojson }});
            }
        });
        {% endmacro %}
    """)

    def __init__(self, suffix: str) -> None:
        super().__init__()
        self._name = "MarkerNames"
        self.suffix = suffix


class HtmlControl(MacroElement):
    """A static HTML box as a Leaflet control (legend): no d3, no external asset."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
            div.innerHTML = {{ this.content|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, content: str, position: str = "bottomright", css_class: str = "carte-legende") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


def legend_html(title: str, subtitle: str, items: Sequence[tuple[str, str]], chosen: bool = False) -> str:
    """The classes legend box (HTML): swatches, « pas de donnée » hatched, département and chosen outlines."""
    e = escape_html
    rows = [f"<h3>{e(title)}</h3>", f'<p class="sous-titre">{e(subtitle)}</p>']
    for color, label in items:
        swatch = ('<span class="case hachures"></span>' if label == NO_DATA_LABEL
                  else f'<span class="case" style="background:{e(color)}"></span>')
        rows.append(f'<div class="ligne">{swatch}<span>{e(label)}</span></div>')
    rows.append('<div class="ligne"><span class="trait-dep"></span><span>limite de département</span></div>')
    if chosen:
        rows.append('<div class="ligne"><span class="trait-choisi"></span><span>bassin choisi (filtres)</span>'
                    "</div>")
    return "".join(rows)


def labs_legend_html(themes: Sequence[str], theme_labels: Mapping[str, str]) -> str:
    """Labs legend (HTML): one entry per main theme shown, with its icon and marker colour."""
    e = escape_html
    rows = ["<h3>Laboratoires numériques</h3>", '<p class="sous-titre">selon leur thème principal</p>']
    for theme in themes:
        icon, color = theme_style(theme)
        fg = "#161616" if color in _LIGHT_MARKERS else "#ffffff"
        rows.append(
            f'<div class="ligne"><span class="pastille" style="background:{MARKER_HEX[color]};color:{fg}">'
            f'<i class="fa fa-{e(icon)}" aria-hidden="true"></i></span>'
            f"<span>{e(theme_labels.get(theme, theme))}</span></div>"
        )
    return "".join(rows)


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
    basemap: str = DEFAULT_BASEMAP,
    departements: Sequence[str] = (),
    chosen_bassins: Collection[str] = (),
    theme_labels: Mapping[str, str] | None = None,
    niveau_labels: Mapping[str, str] | None = None,
    figures: Mapping[str, Sequence[tuple[str, str, bool]]] | None = None,
    compact: bool = False,
) -> folium.Map:
    """The Carte map (see the module docstring). `values`: `values_by_bassin(...).data` (one row per bassin to
    draw, in the order classified by `classes`); `labs`: `laboratories(...).data`; `departements`: the
    départements to outline (all when empty); `chosen_bassins`: bassins drawn with a thick outline.
    `compact=True` (small overview map): no legend inside the map (render it as text under the map with
    `render_legend_text`) and no fullscreen button."""
    if basemap not in BASEMAPS:
        raise ValueError(f"Fond de carte inconnu : {basemap}")
    offline.use_local_assets()
    theme_labels = theme_labels or {}
    niveau_labels = niveau_labels or {}
    figures = figures or {}
    academie = config.academie()
    blank = basemap == "aucun"
    m = CarteMap(location=list(academie.carte_centre), zoom_start=academie.carte_zoom, tiles=None,
                  control_scale=True, zoom_snap=0.1, zoom_delta=0.5, min_zoom=6, max_zoom=16)
    if not blank:
        url, attribution, max_zoom = TILES[basemap]
        folium.TileLayer(tiles=url, attr=attribution, name=BASEMAPS[basemap], max_zoom=max_zoom,
                         overlay=False, control=False).add_to(m)
    _MapStyle(blank).add_to(m)

    bassins = bassin_features(bassins_geojson, values, classes, unit)
    folium.GeoJson(
        bassins,
        name="Bassins",
        style_function=partial(_bassin_style, classes.colors, 0.9 if blank else 0.72),
        highlight_function=_bassin_highlight,
        tooltip=folium.GeoJsonTooltip(["nom", "valeur"], labels=False, sticky=True),
        smooth_factor=0.5,
    ).add_to(m)
    deps = [f for f in departements_geojson["features"]
            if not departements or str(f["properties"]["code"]) in departements]
    _outline_layer(deps, "Départements", _departement_style).add_to(m)
    chosen = [f for f in bassins["features"] if f["properties"]["code"] in chosen_bassins]
    if chosen:  # above the département borders, so the chosen outline is never hidden
        _outline_layer(chosen, "Bassins choisis", _chosen_style).add_to(m)

    themes: list[str] = []
    for lab in labs.to_dict("records"):
        theme = main_theme(lab.get("thematiques"))
        if theme not in themes:
            themes.append(theme)
        icon, color = theme_style(theme)
        popup = lab_popup_html(lab, theme_labels, niveau_labels, figures.get(lab["code"], ()), annee)
        folium.Marker(
            [float(lab["latitude"]), float(lab["longitude"])],
            tooltip=folium.Tooltip(escape_html(lab["nom"])),
            popup=folium.Popup(popup, max_width=340),
            icon=folium.Icon(color=color, icon=icon, prefix="fa",
                             icon_color="#161616" if color in _LIGHT_MARKERS else "white"),
        ).add_to(m)

    _MarkerNames(" — laboratoire numérique, afficher la fiche").add_to(m)
    subtitle = f"{annee} · classes : {METHOD_PHRASES.get(classes.method, classes.method)}"
    if not compact:
        HtmlControl(legend_html(indicator_label, subtitle, legend_items(classes, unit), bool(chosen)),
                    "topright").add_to(m)
    if themes and not compact:
        themes.sort(key=lambda t: theme_labels.get(t, t))
        HtmlControl(labs_legend_html(themes, theme_labels), "bottomright", "carte-legende labos").add_to(m)
    if not compact:
        Fullscreen(position="topleft", title="Plein écran", title_cancel="Quitter le plein écran",
                   force_separate_button=True).add_to(m)
    bounds = _bounds(bassins["features"])
    if bounds:
        m.fit_bounds(bounds, padding_top_left=(12, 12),
                     padding_bottom_right=(12 if compact else LEGEND_WIDTH, 12))
    _stable_ids(m.get_root())
    return m


# ------------------------------------------------------------------------------------------ clicks, panel


def click_position(value: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """(lat, lng) of the last object clicked in a `st_folium` return value, if any."""
    click = (value or {}).get("last_object_clicked")
    if not isinstance(click, Mapping):
        return None
    try:
        return float(click["lat"]), float(click["lng"])
    except (KeyError, TypeError, ValueError):
        return None


def clicked_bassin(value: Mapping[str, Any] | None, allowed: Collection[str]) -> str | None:
    """Bassin code of the last click in a `st_folium` return value (None: no click, or not on a bassin).

    streamlit-folium 0.27.4 sets `last_active_drawing` to the clicked GeoJSON feature (with its `properties`)
    and `last_object_clicked` to the click position. A lab marker only sets the position (its feature is
    stale), so the feature's `code` is trusted when the feature contains the click; otherwise the bassin under
    the click (`geo.bassin_at`) is used — clicking a lab selects its bassin.
    """
    position = click_position(value)
    if position is None:
        return None
    lat, lng = position
    feature = (value or {}).get("last_active_drawing")
    if isinstance(feature, Mapping):
        code = (feature.get("properties") or {}).get("code")
        if code in allowed and feature.get("geometry"):
            try:
                shape = shapely.geometry.shape(feature["geometry"])
                if shape.buffer(1e-6).covers(shapely.Point(lng, lat)):
                    return str(code)
            except (ValueError, TypeError, AttributeError, KeyError):
                pass
    code = geo.bassin_at(lng, lat)
    return code if code in allowed else None


def clicked_lab(value: Mapping[str, Any] | None, labs: pd.DataFrame) -> str | None:
    """Code of the lab whose marker was clicked (None: no click, or a click elsewhere).

    streamlit-folium 0.27.4 returns a marker click as `last_object_clicked` = the marker's own position (and
    leaves `last_active_drawing` stale): a click is on a marker when it falls on a lab's coordinates."""
    position = click_position(value)
    if position is None or labs is None or labs.empty:
        return None
    lat, lng = position
    for code, la, lo in zip(labs["code"], labs["latitude"], labs["longitude"]):
        try:
            if abs(float(la) - lat) < 1e-6 and abs(float(lo) - lng) < 1e-6:
                return str(code)
        except (TypeError, ValueError):
            continue
    return None


def bassins_table(values: pd.DataFrame, classes: Classes, unit: str,
                  departement_labels: Mapping[str, str]) -> pd.DataFrame:
    """Text alternative of the map: one row per bassin (name, département, value, rank, class)."""
    labels = class_labels(classes, unit)
    total = int(values["valeur"].notna().sum())
    return pd.DataFrame({
        "Bassin": [plain(n) for n in values["nom"]],
        "Département": [plain(f"{d} — {departement_labels.get(d, d)}") for d in values["departement"]],
        "Valeur": [format_value(v, unit, classes.mask) for v in values["valeur"]],
        "Rang": [_rank_text(None if _missing(v) else r, total) for v, r in zip(values["valeur"], values["rang"])],
        "Classe": [NO_DATA_LABEL if b is None else labels[b] for b in classes.bins],
        "Valeur (nombre)": (values["valeur"].astype(float).to_numpy() if classes.mask is None
                            else small_counts.mask_values(values["valeur"].astype(float), classes.mask)),
        "Code": values["code"].astype(str).to_numpy(),
    })


def profile_rows(profile: pd.DataFrame, level: str | None = None) -> list[dict[str, str]]:
    """`bassin_profile` rows → French texts: indicator, bassin value, académie value, share, rank.

    `level` (`bassin` or `laboratoire`): a small count of people (`small_counts.for_level`) is shown `< 5`,
    without its share (share × académie would tell it); the académie value stays exact."""
    rows = []
    for row in profile.to_dict("records"):
        value, acad, part = row.get("valeur"), row.get("academie"), row.get("part_pct")
        mask = small_counts.for_level(row.get("unite"), level) if level else None
        small = mask is not None and not _missing(value) and mask.is_small(value)
        if small:
            part = None
        rows.append({
            "indicateur": str(row["libelle"]),
            "bassin": "—" if _missing(value) else mask.label if small else formatting.number(value),
            "academie": "—" if _missing(acad) else formatting.compact(acad),
            "part": "" if _missing(part) else formatting.percent(part),
            "rang": _rank_text(row.get("rang"), int(row.get("nb") or 0)),
        })
    return rows


def profile_markdown(profile: pd.DataFrame, level: str | None = None) -> str:
    """The bassin's headline indicators vs the académie, as a Markdown list (fits the narrow panel); `level`:
    see `profile_rows`."""
    lines = []
    for r in profile_rows(profile, level):
        share = f"{r['part']} de l'académie ({r['academie']})" if r["part"] else f"académie : {r['academie']}"
        lines.append(f"- **{_md(r['indicateur'])}** : {r['bassin']}  \n"
                     f"{_md(share)} · rang : {_md(r['rang'])}")
    return "\n".join(lines)


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))  # type: ignore[arg-type]


def labs_markdown(labs: pd.DataFrame, theme_labels: Mapping[str, str]) -> str:
    """Markdown list of a bassin's labs: name, commune, main theme."""
    lines = []
    for lab in labs.to_dict("records"):
        theme = theme_labels.get(main_theme(lab.get("thematiques")), main_theme(lab.get("thematiques")))
        lines.append(f"- **{_md(lab['nom'])}** — {_md(lab['commune'])} · {_md(theme)}")
    return "\n".join(lines)


def _md(text: object) -> str:
    """Plain text in Markdown (`observatoire.text.escape_markdown`)."""
    return escape_markdown(text)


# ----------------------------------------------------------------------------------------- render helpers


def static_map_figure(bassins: Mapping[str, Any], departements: Mapping[str, Any], values: pd.DataFrame,
                      classes: Classes, unit: str, labs: pd.DataFrame, legend_title: str) -> Any:
    """The Carte's map as a plain plotly figure (`observatoire.views.static_map`: no tiles, no network), same
    classes, colours, values (« < 5 » for small counts) and labs, for its PNG image."""
    from observatoire.views.static_map import bassins_map_figure

    colors = {code: classes.color(b) for code, b in zip(values["code"], classes.bins, strict=True)}
    shown = {code: format_value(v, unit, classes.mask) for code, v in zip(values["code"], values["valeur"],
                                                                          strict=True)}
    markers = None
    if not labs.empty:
        colours = [MARKER_HEX[theme_style(main_theme(t))[1]] for t in labs["thematiques"]]
        markers = pd.DataFrame({"lon": labs["longitude"], "lat": labs["latitude"], "nom": labs["nom"],
                                "couleur": colours})
    names = dict(zip(values["code"], values["nom"], strict=True))
    figure = bassins_map_figure(bassins, departements, colors, names, legend_items(classes, unit), legend_title,
                                markers, values=shown)
    # a legend wider than its room pushes the right margin, and plotly then draws the bassins out of place
    # (scaleanchor + automargin): the title of the legend is wrapped
    wrapped = "<b>" + "<br>".join(escape_html(line) for line in textwrap.wrap(legend_title, 26)) + "</b>"
    figure.for_each_trace(lambda trace: trace.update(legendgrouptitle_text=wrapped),
                          selector=lambda trace: bool(trace.legendgrouptitle and trace.legendgrouptitle.text))
    return figure


def render_map(m: folium.Map, key: str) -> dict | None:
    """Show the map through streamlit-folium; returns only click data (no rerun on pan/zoom)."""
    from streamlit_folium import st_folium

    return st_folium(m, key=key, height=MAP_HEIGHT, use_container_width=True,
                     returned_objects=list(RETURNED_OBJECTS))


def render_static_map(m: folium.Map, key: str, height: int = 440, alt: str = "Carte") -> None:
    """A map shown for reading only (overview): a plain same-origin iframe of the map's HTML (pan, zoom and
    popups work). Unlike `st_folium` it sends no value back, so it never triggers a rerun of the page."""
    import streamlit as st

    with st.container(key=key):
        st.iframe(m.get_root().render(), height=height, alt=plain(alt))


def apply_click(value: Mapping[str, Any] | None, allowed: Collection[str],
                labs: pd.DataFrame | None = None) -> str | None:
    """Apply a new click: on a lab marker, return the lab's code (the page opens its fiche); on a bassin,
    select it (session key `carte_bassin`) and return None. Call before `bassin_selectbox`.

    A click is applied once: an unrelated rerun returns the same click, which must not undo a selection made
    with the selectbox meanwhile.
    """
    import streamlit as st

    position = click_position(value)
    last = st.session_state.get("_carte_clic")
    st.session_state["_carte_clic"] = position
    if position is None or position == last:
        return None
    lab = clicked_lab(value, labs) if labs is not None else None
    if lab:
        return lab
    code = clicked_bassin(value, allowed)
    if code:
        st.session_state[SESSION_KEY] = code
    return None


FILTER_KEY = "f_bassins"  # the sidebar's bassin filter (components.sidebar.KEYS["bassins"])


def filter_on_bassin(code: str) -> None:
    """Callback of « Filtrer sur ce bassin »: the shared bassin filter becomes this bassin (runs before the
    sidebar widgets are drawn; the sidebar then writes `bassin=` in the URL)."""
    import streamlit as st

    st.session_state[FILTER_KEY] = [code]


def open_lab_fiche(code: str, params: Mapping[str, str]) -> None:
    """Open the lab's fiche on page Laboratoires (`?labo=<code>`, filters kept in the URL)."""
    import streamlit as st

    from components import sidebar

    st.session_state["labo_fiche"] = code
    # st.switch_page drops the state of the widgets drawn before it in this run (the sidebar's filters): the
    # next run reads the filters back from the URL given here, as a shared link would
    st.session_state.pop(sidebar._INIT, None)  # noqa: SLF001 - the sidebar's « parsed the URL » flag
    st.switch_page("app_pages/laboratoires.py", query_params={**params, "labo": code})


def bassin_selectbox(options: Sequence[str], labels: Mapping[str, str], container: Any = None) -> str | None:
    """Selected bassin (or None), kept in `st.session_state["carte_bassin"]` and in the URL (`bassin_sel`)."""
    import streamlit as st

    from components.sidebar import label_of

    container = container or st
    choices = ["", *options]
    if SESSION_KEY not in st.session_state:
        raw = st.query_params.get(URL_PARAM)
        if raw and raw not in options:
            st.warning(f"Lien : bassin {quote_value(raw, 40)} inconnu (ou hors des départements choisis), aucun "
                       "bassin sélectionné.", icon=":material/link_off:")
        st.session_state[SESSION_KEY] = raw if raw in options else ""
    elif st.session_state[SESSION_KEY] not in choices:
        st.session_state[SESSION_KEY] = ""
    names = {"": "— Aucun (cliquez sur la carte) —", **{c: labels.get(c, c) for c in options}}
    value = container.selectbox("Bassin sélectionné", choices, key=SESSION_KEY,
                                format_func=partial(label_of, names),
                                help="Cliquez sur un bassin de la carte, ou choisissez-le ici.")
    if value:
        if st.query_params.get(URL_PARAM) != value:
            st.query_params[URL_PARAM] = value
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]
    return value or None


def render_legend_text(classes: Classes, unit: str, indicator_label: str, annee: str) -> None:
    """The legend as text under the map (readable without the map, copied by screen readers)."""
    import streamlit as st

    items = legend_items(classes, unit)
    counts = list(classes.counts) + ([sum(b is None for b in classes.bins)] if classes.has_missing else [])
    parts = [f"{label} ({n} bassin{'s' if n > 1 else ''})" for (_, label), n in zip(items, counts)]
    method = METHOD_PHRASES.get(classes.method, classes.method)
    st.markdown(f"**Légende — {_md(indicator_label)}, {annee}** (classes : {method}) : "
                + " ; ".join(_md(p) for p in parts) + ".")


def render_bassin_panel(code: str, row: Mapping[str, Any] | None, nb: int, classes_label: str | None,
                        indicator_label: str, unit: str, annee: str, profile: pd.DataFrame, labs: pd.DataFrame,
                        theme_labels: Mapping[str, str], departement: str, scope_note: str,
                        mask: small_counts.Policy | None = None) -> None:
    """The bassin panel: chosen indicator (value, rank, class), headline indicators vs académie, its labs.
    `mask` (`Classes.mask`): a small count of people is shown `< 5`; the headline indicators follow the same
    rule (`small_counts.for_level`)."""
    import streamlit as st

    name = row["nom"] if row is not None else code
    st.subheader(f"Bassin de {_md(name)}", anchor=False)
    st.caption(_md(departement))
    value = row["valeur"] if row is not None else None
    # the unit goes with the heading: the panel is narrow, a long unit would be cut in the big number
    short = unit == "%" or _missing(value)
    small = mask is not None and not _missing(value) and mask.is_small(value)
    st.markdown(f"**{_md(indicator_label)} ({_md(annee)})**"
                + ("" if short else f" · en {_md(unit if small else unit_for(float(value), unit))}"))
    shown = (format_value(value, unit) if short else mask.label if small  # type: ignore[union-attr]
             else formatting.number(float(value)))
    st.metric(f"{_md(indicator_label)} ({_md(annee)})", _md(shown), label_visibility="collapsed")
    rank = row["rang"] if row is not None else None
    lines = [f"**Rang :** {_rank_text(rank, nb)} {scope_note}"]
    if classes_label:
        lines.append(f"**Classe :** {_md(classes_label)}")
    st.markdown("  \n".join(lines))
    st.markdown(f"##### Indicateurs clés ({annee})")
    if profile.empty:
        st.caption("Aucun indicateur clé disponible.")
    else:
        st.markdown(profile_markdown(profile, "bassin"))
        st.caption("Part : part du bassin dans le total académique (indicateurs additifs). Rang : parmi les "
                   "bassins de l'académie ayant une valeur.")
    st.markdown(f"##### Laboratoires numériques du bassin ({len(labs)})")
    if labs.empty:
        st.caption("Aucun laboratoire numérique dans ce bassin avec les filtres actuels.")
    else:
        st.markdown(labs_markdown(labs, theme_labels))
