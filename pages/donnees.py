"""Données et sources: indicator catalogue, provenance of the figures, download of the filtered measures,
data version, what changed between two versions (`components/changes_panel.py`).

Thin: the page is `observatoire.views.data_sources.build_data_sources` (tables, counts, texts), rendered here;
its downloads take their tables from the view. The pin / unpin buttons stay here (they are about this session's
link, not about the data)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from components import cards, catalog, changes_panel, context, pinning, routing
from components.common import render_data_table, render_downloads, render_empty, view_about
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.data_sources import ORIGIN_HELP, build_data_sources

filters: Filters = routing.page_filters()
view = context.view(build_data_sources, filters)

st.title(view.title, anchor=False)
st.markdown(view.subtitle)

# ------------------------------------------------------------------------------------------- catalogue
st.subheader(view.text("catalogue"), anchor=False)
st.caption(
    "« Somme » : la valeur d'un ensemble de territoires est la somme de leurs valeurs ; « Moyenne » : "
    "c'est leur moyenne simple (un taux ne s'additionne pas). Granularité : une valeur par année scolaire "
    "ou par mois."
)
for domain, paragraphs in catalog.domain_sections(view.items.indicators):
    with st.expander(f"{escape_markdown(domain)} ({len(paragraphs)})", icon=":material/folder_open:"):
        st.markdown("\n\n".join(paragraphs))
catalogue = view.require_table("catalogue")
# the catalogue does not depend on the filters: its files say « Aucun filtre »
render_data_table(
    catalogue.frame,
    "catalogue des indicateurs",
    key="catalogue",
    about=dataclasses.replace(view_about(view, catalogue), context=view.items.catalogue_context),
    column_config={
        "Définition": st.column_config.TextColumn("Définition", width="large"),
        "Indicateur clé": st.column_config.CheckboxColumn(
            "Indicateur clé", help="Affiché en carte sur la Vue d'ensemble"
        ),
    },
)

# ------------------------------------------------------------------------------------------ provenance
st.subheader("Ce qui vient du bilan, ce qui est illustratif, et pourquoi", anchor=False)
facts = view.items.provenance
st.markdown(
    catalog.provenance_markdown(
        facts.n_labs,
        facts.n_illustrative_labs,
        facts.annee_reference,
        facts.bilan,
        facts.bassins_note,
        facts.threshold,
    )
)
st.markdown(f"**Géographie.** {view.text('geography')}")  # app text (data_sources.GEOGRAPHY_CREDIT)

st.markdown(
    "**Dans la sélection actuelle** (filtres de la barre latérale), nombre de lignes de mesures par "
    "origine (colonne `origine`) :"
)
columns = st.columns(len(view.key_figures), gap="medium")
for column, figure in zip(columns, view.key_figures):
    column.metric(
        figure.label,
        figure.value,
        delta=figure.delta,
        delta_color="off",
        delta_arrow="off",
        border=True,
        help=ORIGIN_HELP[figure.origins[0]],
    )

# ------------------------------------------------------------------------------------------- download
st.subheader("Télécharger les mesures", anchor=False)
measures = view.require_table("mesures")
if measures.frame.empty:
    render_empty(next(n.text for n in view.notices if n.kind == "vide"))
else:
    st.markdown(
        f"**{view.text('rows')}** correspondent aux filtres choisis, dans les colonnes du "
        "format d'import (`indicateur`, `periode`, `territoire_type`, `territoire_code`, `niveau`, "
        "`thematique`, `public`, `valeur`, `origine`, `source`) ; `origine` vaut `bilan`, `deduit`, "
        "`import` ou `illustratif`. CSV : séparateur « ; », encodage UTF-8 avec BOM (s'ouvre "
        "directement dans Excel)."
    )
    for notice in view.notices:  # a sub-thème read at its main thème, as on every page
        if notice.kind == "info":
            st.caption(f":material/filter_alt: {escape_markdown(notice.text)}")
    st.caption(escape_markdown(view.text("small_counts")))
    left, right = st.columns(2)
    render_downloads(
        measures.frame, measures.title, "donnees_mesures", left, right, about=view_about(view, measures)
    )
    with st.expander("Aperçu des mesures", icon=":material/table:"):
        if view.text("preview"):
            st.caption(escape_markdown(view.text("preview")))
        st.dataframe(view.items.preview, hide_index=True, width="stretch", key="donnees_apercu")

# -------------------------------------------------------------------------------------------- version
st.subheader("Version des données", anchor=False)
shown = context.version()
latest = context.current_version()
st.html(f"<style>{cards.CSS}</style>")  # a value wraps instead of being cut (« 04/12/2026 à 1… » on a phone)
top = st.columns(2, gap="medium")
bottom = st.columns(2, gap="medium")
top[0].metric(
    "Version affichée", view.text("version"), border=True, help=escape_markdown(view.text("version_help"))
)
top[1].metric("Publiée le", view.text("version_date"), border=True)
bottom[0].metric(
    "Lots actifs",
    view.text("lots_actifs"),
    border=True,
    help="Chaque import de mesures forme un lot ; les données de démonstration sont le premier.",
)
bottom[1].metric("Mesures actives", view.text("mesures_actives"), border=True)
if pinning.pinned() is not None:
    newer = f" ; la version courante est le n° {latest.number}" if latest.number != shown.number else ""
    st.info(
        f"Vue figée sur la version n° {shown.number} par le lien (`?version={shown.number}`) : les imports "
        f"publiés depuis ne la modifient pas{newer}.",
        icon=":material/push_pin:",
    )
    st.button(
        "Afficher la version courante des données",
        on_click=pinning.unpin,
        key="donnees_unpin",
        icon=":material/update:",
    )
else:
    st.caption(
        f"Pour présenter des chiffres qui ne bougeront pas pendant une réunion, ajoutez "
        f"`?version={shown.number}` au lien de la page : la vue restera sur cette version même si un "
        "import est publié entre-temps."
    )
    st.button(
        f"Figer la vue sur la version n° {shown.number}",
        on_click=pinning.pin,
        args=(shown.number,),
        key="donnees_pin",
        icon=":material/push_pin:",
    )
with st.expander("Lots de mesures", icon=":material/inventory_2:"):
    st.dataframe(view.require_table("lots").frame, hide_index=True, width="stretch", key="donnees_lots")
with st.expander("Journal des versions", icon=":material/history:"):
    st.dataframe(view.require_table("journal").frame, hide_index=True, width="stretch", key="donnees_journal")

# ------------------------------------------------------------------------------------- what changed
changes_panel.render(filters)
