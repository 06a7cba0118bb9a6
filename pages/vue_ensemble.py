"""Vue d'ensemble: headline indicators of the latest school year, labs and bassins covered, links.

Thin: the page is `observatoire.views.overview.build_overview` (texts, KPI cards, map inputs), rendered here."""

from __future__ import annotations

import streamlit as st

from components import context, maps, routing
from components.cards import render_kpi_grid, render_kpi_notes
from components.common import render_empty, render_source, render_view_notices
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.overview import build_overview

filters: Filters = routing.page_filters()
view = context.view(build_overview, filters)

st.title(view.title, anchor=False)
st.markdown(escape_markdown(view.subtitle))

# --------------------------------------------------------------------------------------------- KPI cards
if view.key_figures:
    render_kpi_grid(view.key_figures)
    render_kpi_notes(view)
else:
    render_view_notices(view)

# ------------------------------------------------------------------------------------ labs and bassins
st.subheader("Laboratoires numériques", anchor=False)
left, right = st.columns([5, 6], gap="large")
with left:
    st.markdown(f"### {view.text('coverage')}")
    if view.text("opening_note"):
        st.markdown(escape_markdown(view.text("opening_note")))
    if view.items.labs_illustrative:
        st.badge("Données illustratives", icon=":material/science:", color="orange")
    st.caption(escape_markdown(view.text("labs_source")) if view.text("labs_source") else "")
    for note in view.items.labs_ignored:
        st.caption(f":material/filter_alt_off: {escape_markdown(note)}")
    st.page_link("pages/laboratoires.py", label="Voir les laboratoires et leurs fiches", icon=":material/science:")
with right:
    # small map: bassins coloured by the labs' activity of the cards' year, labs as markers (no network)
    small = view.items.map
    st.markdown(f"**{escape_markdown(view.text('map_title'))}**")
    if small is None:
        render_empty(view.text("map_empty"), filtered=bool(view.text("map_empty_filtered")))
    else:
        maps.render_overview_map(  # built only when this process has not drawn this map yet
            "overview_map",
            maps.THEME.overview_map_height,
            small.alt,
            context.geojson("bassins"),
            context.geojson("departements"),
            small.values,
            small.classes,
            small.labs,
            indicator_label=small.indicator_label,
            unit=small.unit,
            annee=small.year,
            centre=context.academie().carte_centre,
            zoom=context.academie().carte_zoom,
            departements=small.departements,
            chosen_bassins=small.bassins,
            theme_labels=small.theme_labels,
            niveau_labels=small.niveau_labels,
            compact=True,
        )
        maps.render_legend_text(small.classes, small.unit, small.indicator_label, small.year)
        render_source(small.sources, small.illustrative, small.origins)
    st.page_link("pages/carte.py", label="Ouvrir la carte détaillée", icon=":material/map:")

# ------------------------------------------------------------------------------------------------ links
links_box = st.container(key="noprint_links")  # links: nothing to follow on paper (components/printing.py)
links_box.subheader("Aller plus loin", anchor=False)
links = links_box.columns(4, gap="medium")
for column, (path, label, icon, text) in zip(
    links,
    [
        ("pages/carte.py", "Carte", ":material/map:", "Bassins colorés selon un indicateur, laboratoires."),
        (
            "pages/indicateurs.py",
            "Indicateurs",
            ":material/monitoring:",
            "Séries par territoire, niveau, public ou thème ; classements et évolutions.",
        ),
        (
            "pages/laboratoires.py",
            "Laboratoires",
            ":material/science:",
            "Liste, cartes et fiche de chaque laboratoire numérique.",
        ),
        (
            "pages/donnees.py",
            "Données et sources",
            ":material/database:",
            "Catalogue des indicateurs, origine des chiffres, téléchargements.",
        ),
    ],
):
    with column, st.container(border=True, height="stretch"):
        st.page_link(path, label=label, icon=icon)
        st.caption(text)
