"""Sizes and colours shared by the maps (folium map of the Carte page, static map of the presentation and the
PNG images) and, where they say the same thing, the charts. Pure data: change the look of the dashboard here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """One look of the maps: heights and widths in CSS pixels, font sizes in px, colours as #rrggbb."""

    # --- sizes (px)
    map_height: int = 660  # the Carte map (st_folium iframe), at most
    map_min_height: int = 420  # … and at least: in between, what the screen leaves below the selectors
    map_top_room: int = 212  # room above the map on the Carte page (title, selectors) + a margin below it
    phone_map_height: int = 540  # the Carte map on a phone (≤ 768 px wide), at most…
    phone_map_min_height: int = 320  # … and at least: the screen's height minus its header band
    phone_top_room: int = 96  # room kept above and below the map on a phone (Streamlit's header band + margin)
    overview_map_height: int = 440  # the small map of the overview page
    legend_width: int = 300  # max width of the classes legend box inside the map
    labs_legend_width: int = 255  # max width of the labs legend box
    legend_margin: int = 10  # Leaflet's margin around a control
    fit_padding: int = 12  # room kept around the académie when the map fits its bounds
    legend_font: int = 15
    legend_title_font: int = 16
    legend_subtitle_font: int = 13
    labs_legend_font: int = 14
    tooltip_font: int = 15
    popup_font: int = 14
    popup_title_font: int = 16
    popup_source_font: int = 12
    # --- colours
    ink: str = "#161616"  # text; département borders
    muted_ink: str = "#3a3a3a"  # secondary text (legend subtitle, popup source)
    background: str = "#eef0f3"  # « Sans fond de carte »: light grey, distinct from the palette's pale yellow
    outline: str = "#505050"  # bassin outlines
    departement_line: str = "#161616"
    chosen_line: str = "#c8102e"  # bassins chosen in the sidebar filters (red: not a palette hue)
    highlight_line: str = "#000091"  # bassin under the pointer (DSFR blue)
    hatch_dark: str = "#969696"  # « pas de donnée » stripes
    hatch_light: str = "#f7f7f7"
    legend_background: str = "rgba(255,255,255,0.96)"
    # --- line widths (px)
    outline_weight: float = 1
    departement_weight: float = 3
    chosen_weight: float = 4.5
    highlight_weight: float = 4


THEME = Theme()
