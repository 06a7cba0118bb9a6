"""Données et sources: indicator catalogue, provenance of the figures, download of the filtered measures,
data version."""

from __future__ import annotations

import streamlit as st

from components import catalog, context, import_panel, pinning
from components.common import export_about, render_data_table, render_downloads, render_empty
from observatoire import config, small_counts
from observatoire.filters import Filters
from observatoire.text import escape_markdown, plain

filters: Filters = st.session_state["filters"]
academie = config.academie()

st.title("Données et sources", anchor=False)
st.markdown("D'où viennent les chiffres du tableau de bord, comment ils se lisent et comment les télécharger.")

# ------------------------------------------------------------------------------------------- catalogue
indicators = context.indicators()
st.subheader(f"Catalogue des {len(indicators)} indicateurs", anchor=False)
st.caption("« Somme » : la valeur d'un ensemble de territoires est la somme de leurs valeurs ; « Moyenne » : "
           "c'est leur moyenne simple (un taux ne s'additionne pas). Granularité : une valeur par année scolaire "
           "ou par mois.")
for domain, paragraphs in catalog.domain_sections(indicators):
    with st.expander(f"{escape_markdown(domain)} ({len(paragraphs)})", icon=":material/folder_open:"):
        st.markdown("\n\n".join(paragraphs))
render_data_table(catalog.catalogue_table(indicators), "catalogue des indicateurs", key="catalogue",
                  about=export_about("Catalogue des indicateurs", filters=Filters(),
                                     source="définitions de l'observatoire (catalogue des indicateurs)"),
                  column_config={
                      "Définition": st.column_config.TextColumn("Définition", width="large"),
                      "Indicateur clé": st.column_config.CheckboxColumn(
                          "Indicateur clé", help="Affiché en carte sur la Vue d'ensemble"),
                  })

# ------------------------------------------------------------------------------------------ provenance
st.subheader("Ce qui vient du bilan, ce qui est illustratif, et pourquoi", anchor=False)
labs = context.catalogue("laboratoires")
n_illustrative_labs = int((labs["source"] == config.ILLUSTRATIVE).sum())
st.markdown(catalog.provenance_markdown(len(labs), n_illustrative_labs, academie.annee_reference,
                                        academie.bilan, academie.bassins_note, small_counts.policy().threshold))
st.markdown(f"**Géographie.** {catalog.GEOGRAPHY_CREDIT}")

measures = context.measures(filters)
counts = catalog.origin_counts(measures["origine"])  # the origin is data (column `origine`), never the text
total = len(measures)
st.markdown("**Dans la sélection actuelle** (filtres de la barre latérale), nombre de lignes de mesures par "
            "origine (colonne `origine`) :")
columns = st.columns(len(catalog.ORIGINS), gap="medium")
for column, (origin, label) in zip(columns, catalog.ORIGINS.items()):
    column.metric(label, catalog.count_text(counts[origin]), delta=catalog.share_text(counts[origin], total),
                  delta_color="off", delta_arrow="off", border=True, help=catalog.ORIGIN_HELP[origin])

# ------------------------------------------------------------------------------------------- download
st.subheader("Télécharger les mesures", anchor=False)
if measures.empty:
    render_empty("Aucune mesure pour cette sélection.")
else:
    st.markdown(f"**{catalog.rows_text(total)}** correspondent aux filtres choisis, dans les colonnes du "
                "format d'import (`indicateur`, `periode`, `territoire_type`, `territoire_code`, `niveau`, "
                "`thematique`, `public`, `valeur`, `origine`, `source`) ; `origine` vaut `bilan`, `deduit`, "
                "`import` ou `illustratif`. CSV : séparateur « ; », encodage UTF-8 avec BOM (s'ouvre "
                "directement dans Excel).")
    for note in context.measures_notes(filters):  # a sub-thème read at its main thème, as on every page
        st.caption(f":material/filter_alt: {escape_markdown(note)}")
    rules = small_counts.policy()
    shown = small_counts.mask_measures(measures, small_counts.people_indicators(indicators, rules), rules)
    st.caption(escape_markdown(small_counts.note(rules)))
    left, right = st.columns(2)
    about = export_about("Mesures de l'observatoire", unit="celle de chaque indicateur (catalogue)",
                         source="colonne « source » de chaque ligne (« origine » : bilan, deduit, import ou "
                                "illustratif)", illustrative=bool((shown["origine"] == config.ILLUSTRATIVE).any()))
    render_downloads(shown, about.title, "donnees_mesures", left, right, about=about)
    with st.expander("Aperçu des mesures", icon=":material/table:"):
        sources = {value: plain(value) for value in shown["source"].unique()}  # few distinct sources
        preview = shown.assign(source=shown["source"].map(sources))
        if preview["valeur"].dtype == object:  # masked small counts: one text column (numbers as written)
            preview["valeur"] = preview["valeur"].map(small_counts.as_text)
        st.dataframe(preview, hide_index=True, width="stretch", key="donnees_apercu")

# -------------------------------------------------------------------------------------------- version
st.subheader("Version des données", anchor=False)
shown = context.version()
version = context.data_version()
latest = context.current_version()
top = st.columns(2, gap="medium")
bottom = st.columns(2, gap="medium")
top[0].metric("Version affichée", f"n° {shown.number}", border=True,
              help="Chaque import, annulation ou mise à jour des référentiels publie une nouvelle version ; les "
                   "versions publiées ne changent plus. Empreinte du contenu : " + version.empreinte + ".")
top[1].metric("Publiée le", catalog.french_datetime(version.construite_le), border=True)
bottom[0].metric("Lots actifs", version.lots_actifs, border=True,
                 help="Chaque import de mesures forme un lot ; les données de démonstration sont le premier.")
bottom[1].metric("Mesures actives", catalog.rows_text(version.mesures), border=True)
if pinning.pinned() is not None:
    newer = f" ; la version courante est le n° {latest.number}" if latest.number != shown.number else ""
    st.info(f"Vue figée sur la version n° {shown.number} par le lien (`?version={shown.number}`) : les imports "
            f"publiés depuis ne la modifient pas{newer}.", icon=":material/push_pin:")
    st.button("Afficher la version courante des données", on_click=pinning.unpin, key="donnees_unpin",
              icon=":material/update:")
else:
    st.caption(f"Pour présenter des chiffres qui ne bougeront pas pendant une réunion, ajoutez "
               f"`?version={shown.number}` au lien de la page : la vue restera sur cette version même si un "
               "import est publié entre-temps.")
    st.button(f"Figer la vue sur la version n° {shown.number}", on_click=pinning.pin, args=(shown.number,),
              key="donnees_pin", icon=":material/push_pin:")
with st.expander("Lots de mesures", icon=":material/inventory_2:"):
    st.dataframe(catalog.lots_table(context.lots()), hide_index=True, width="stretch", key="donnees_lots")
with st.expander("Journal des versions", icon=":material/history:"):
    st.dataframe(import_panel.journal_table(context.journal()), hide_index=True, width="stretch",
                 key="donnees_journal")
