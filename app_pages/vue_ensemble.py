"""Vue d'ensemble: headline indicators of the latest school year, labs and bassins covered, links."""

from __future__ import annotations

import streamlit as st

from components import context, maps
from components.cards import render_kpi_grid, render_kpi_notes
from components.common import render_empty, render_source
from observatoire import config, small_counts
from observatoire.figures import cards, classification
from observatoire.filters import Filters
from observatoire.text import escape_markdown

filters: Filters = st.session_state["filters"]
academie = config.academie()
labels = context.labels()
annees = context.school_years()
kpis = context.kpis(filters)

st.title("Observatoire du numérique éducatif", anchor=False)
scope = academie.nom
if filters.bassins or filters.departements:
    scope += " — " + cards.scope_text(filters.departements, filters.bassins, labels)
first, last = (annees[0], annees[-1]) if annees else (None, None)
st.markdown(escape_markdown(cards.overview_subtitle(scope, cards.kpi_year_text(kpis),
                                                    filters.periode_debut or first, filters.periode_fin or last)))

# --------------------------------------------------------------------------------------------- KPI cards
if kpis:
    # a bassin chosen: its small counts of people read « < 5 » (cards.masked, small_counts.for_level)
    rules = small_counts.policy() if filters.bassins else None
    render_kpi_grid(kpis, context.indicators(), rules=rules)
    render_kpi_notes(kpis)
else:
    render_empty("Aucun indicateur clé n'est défini dans le catalogue.")

# ------------------------------------------------------------------------------------ labs and bassins
st.subheader("Laboratoires numériques", anchor=False)
labs = context.laboratories(filters)
annee = cards.kpi_year_text(kpis) or last
# the labs counted = the labs `labo_nombre` counts for the same filters and year (one reference query)
open_labs = context.laboratories(filters, open_in=annee).data if annee else labs.data
bassins = context.catalogue("bassins")
total = cards.bassins_in_scope(bassins, filters.departements, filters.bassins)
left, right = st.columns([5, 6], gap="large")
with left:
    st.markdown(f"### {cards.coverage_text(len(open_labs), open_labs['bassin'].nunique(), total)}")
    if annee and not labs.empty:
        st.markdown(escape_markdown(cards.opening_note(len(open_labs), len(labs.data), annee)))
    if labs.illustrative:
        st.badge("Données illustratives", icon=":material/science:", color="orange")
    st.caption(escape_markdown(cards.labs_source_text(open_labs["source"])) if not open_labs.empty else "")
    for note in labs.ignored:
        st.caption(f":material/filter_alt_off: {escape_markdown(note)}")
    st.page_link("app_pages/laboratoires.py", label="Voir les laboratoires et leurs fiches",
                 icon=":material/science:")
with right:
    # small map: bassins coloured by the labs' activity of the cards' year, labs as markers (no network)
    map_year = annee or last
    per_bassin = context.values_by_bassin(maps.OVERVIEW_INDICATOR, map_year, filters)
    meta = context.indicator(maps.OVERVIEW_INDICATOR)
    st.markdown(f"**{escape_markdown(meta['libelle'])} par bassin, {escape_markdown(map_year)}**")
    if per_bassin.empty_reason:
        render_empty(per_bassin.empty_reason)
    else:
        mask = small_counts.for_level(str(meta["unite"]), "bassin")  # tooltips and legend: « < 5 »
        classes = classification.classify(per_bassin.data["valeur"], classification.DEFAULT_METHOD, 4, mask=mask)
        small = maps.build_map(
            context.geojson("bassins"), context.geojson("departements"), per_bassin.data, classes, open_labs,
            indicator_label=str(meta["libelle"]), unit=str(meta["unite"]), annee=map_year,
            departements=filters.departements, chosen_bassins=filters.bassins,
            theme_labels=labels.thematiques, niveau_labels=labels.niveaux, compact=True,
        )
        maps.render_static_map(small, key="overview_map",
                               alt=f"Carte des bassins : {meta['libelle']} en {map_year}, et laboratoires")
        maps.render_legend_text(classes, str(meta["unite"]), str(meta["libelle"]), map_year)
        render_source(per_bassin.sources, per_bassin.illustrative, per_bassin.origins)
    st.page_link("app_pages/carte.py", label="Ouvrir la carte détaillée", icon=":material/map:")

# ------------------------------------------------------------------------------------------------ links
links_box = st.container(key="noprint_links")  # links: nothing to follow on paper (components/printing.py)
links_box.subheader("Aller plus loin", anchor=False)
links = links_box.columns(4, gap="medium")
for column, (path, label, icon, text) in zip(links, [
    ("app_pages/carte.py", "Carte", ":material/map:", "Bassins colorés selon un indicateur, laboratoires."),
    ("app_pages/indicateurs.py", "Indicateurs", ":material/monitoring:",
     "Séries par territoire, niveau, public ou thème ; classements et évolutions."),
    ("app_pages/laboratoires.py", "Laboratoires", ":material/science:",
     "Liste, cartes et fiche de chaque laboratoire numérique."),
    ("app_pages/donnees.py", "Données et sources", ":material/database:",
     "Catalogue des indicateurs, origine des chiffres, téléchargements."),
]):
    with column, st.container(border=True, height="stretch"):
        st.page_link(path, label=label, icon=icon)
        st.caption(text)
