"""Carte : the bassins coloured by an indicator, the labs, and the panel of the bassin selected on the map.

Thin page: data from `components.context` (cached), map and panel from `components.maps`. Every choice that
defines the view is in the URL (`indicateur`, `annee`, `methode`, `classes`, `fond`, `bassin_sel`). The map only
depends on (indicator, year, classification, classes, basemap, filters): clicking a bassin changes the panel,
never the map.
"""

from functools import partial

import streamlit as st

from components import common, context, maps, picker
from components.fiches import render_fiche_download
from components.sidebar import dep_label, label_of, url_selectbox
from observatoire import config, small_counts
from observatoire.figures import bassin_panel, classification, foliummap
from observatoire.filters import school_years_between, to_params
from observatoire.text import escape_markdown
from observatoire.views import static_map

filters = st.session_state["filters"]
choices = context.choices()
labels = context.labels()

maps.render_page_style()  # selectors never cut (two rows when narrow), map on the first screen
st.title("Carte des bassins", anchor=False)

indicateurs = foliummap.map_indicators(context.indicators())
annees = school_years_between(choices.annees, filters.periode_debut, filters.periode_fin) or list(choices.annees)
cols = st.container(key="carte_choix").columns([4.4, 1.35, 2.25, 1.5, 2.0], gap="small")
ind_box, toggle_box = cols[0].container(), cols[0].container()  # the switch below the selectbox
ind = picker.render_picker("Indicateur", list(indicateurs), indicateurs, context.filter_response(filters), filters,
                           "indicateur", "carte_indicateur", foliummap.default_indicator(indicateurs),
                           container=ind_box, toggle_container=toggle_box)
annee = url_selectbox("Année scolaire", annees, "annee", "carte_annee", default=annees[-1], container=cols[1])
methode = url_selectbox("Classes", list(classification.METHODS), "methode", "carte_methode",
                        format_func=partial(label_of, classification.METHODS),
                        default=classification.DEFAULT_METHOD, container=cols[2],
                        help="Découpage des valeurs en classes de couleur.")
nb = url_selectbox("Nombre de classes", list(classification.CLASS_COUNTS), "classes", "carte_classes",
                   default=classification.DEFAULT_CLASSES, container=cols[3])
fond = url_selectbox("Fond de carte", list(foliummap.BASEMAPS), "fond", "carte_fond",
                     format_func=partial(label_of, foliummap.BASEMAPS), default=foliummap.DEFAULT_BASEMAP,
                     container=cols[4],
                     help="« Sans fond de carte » ne demande aucun accès au réseau (vidéoprojection hors ligne). "
                          "Les fonds IGN et OpenStreetMap chargent leurs images depuis ces services.")

meta = context.indicator(ind)
unit, ind_label = str(meta["unite"]), str(meta["libelle"])
result = context.values_by_bassin(ind, annee, filters)
labs = context.laboratories(filters, open_in=annee)  # the labs `labo_nombre` counts: markers = colours
figures = foliummap.lab_figures({
    i: context.series(i, foliummap.lab_figure_filters(filters), by="laboratoire", annual=True,
                      periods=(annee, annee)).data
    for i in foliummap.LAB_FIGURES
}, {i: str(context.indicator(i)["unite"]) for i in foliummap.LAB_FIGURES})

common.render_notes(list(dict.fromkeys(result.ignored + labs.ignored)))
if result.empty_reason:
    common.render_empty(result.empty_reason)
if labs.empty:
    st.caption(f":material/info: {escape_markdown(labs.empty_reason or '')} Aucun laboratoire n'est placé sur "
               "la carte.")

values = result.data
# small counts of people: colours from the exact values (a class says no more than « < 5 »), texts « < 5 »
mask = small_counts.for_level(unit, "bassin")
classes = classification.classify(values["valeur"], methode, int(nb), mask=mask)
carte = maps.build_map(
    context.geojson("bassins"), context.geojson("departements"), values, classes, labs.data,
    indicator_label=ind_label, unit=unit, annee=annee, basemap=fond, departements=filters.departements,
    chosen_bassins=filters.bassins, theme_labels=labels.thematiques, niveau_labels=labels.niveaux,
    figures=figures,
)
codes = list(values["code"])
left, right = st.columns([5, 2], gap="medium")  # wide map: legends must not hide the bassins
with left:
    clicked = maps.render_map(carte, key=f"carte_map_{fond}")
    maps.render_legend_text(classes, unit, ind_label, annee)
    st.caption(escape_markdown(config.academie().bassins_note))
    common.render_source(result.sources, result.illustrative, result.origins)
    common.render_png_download(
        partial(static_map.carte_figure, context.geojson("bassins"), context.geojson("departements"), values,
                classes, unit, labs.data, ind_label),
        common.result_about(f"{ind_label} par bassin ({annee})", result, indicator=ind_label, unit=unit),
        "carte_map")
lab_clicked = maps.apply_click(clicked, codes, labs.data)
if lab_clicked:  # a lab marker: its fiche, not the bassin panel
    maps.open_lab_fiche(lab_clicked, to_params(filters))

with right:
    code = maps.bassin_selectbox(codes, dict(zip(values["code"], values["nom"])))
    if code:
        if tuple(filters.bassins) == (code,):
            st.caption(":material/filter_alt: Les filtres portent sur ce bassin (toutes les pages).")
        else:
            st.button("Filtrer sur ce bassin", key="carte_filtrer_bassin", on_click=maps.filter_on_bassin,
                      args=(code,), icon=":material/filter_alt:", type="primary",
                      help="Applique ce bassin au filtre « Bassin » de la barre latérale : toutes les pages "
                           "n'affichent plus que lui.")
        row = values[values["code"] == code].iloc[0].to_dict()
        labels_by_class = classification.class_labels(classes, unit)
        index = classes.bins[codes.index(code)]
        maps.render_bassin_panel(
            code, row, int(values["valeur"].notna().sum()),
            classification.NO_DATA_LABEL if index is None else labels_by_class[index], ind_label, unit, annee,
            context.bassin_profile(code, annee, filters.with_(departements=(), bassins=())),  # académie-wide
            context.laboratories(filters.with_(bassins=(code,), departements=()), open_in=annee).data,
            labels.thematiques, dep_label(labels.departements, row["departement"]),
            "parmi les bassins des départements choisis" if filters.departements else "dans l'académie",
            mask=mask,
        )
        render_fiche_download("bassin", code, annee, filters, key="carte_fiche_pdf")
    else:
        st.info("Cliquez sur un bassin de la carte (ou choisissez-le ci-dessus) pour afficher son profil : "
                "ses indicateurs clés comparés à l'académie, son rang et ses laboratoires numériques.",
                icon=":material/touch_app:")

common.render_data_table(
    bassin_panel.bassins_table(values, classes, unit, labels.departements), f"{ind_label} par bassin ({annee})",
    key="carte_table",
    about=common.result_about(f"{ind_label} par bassin ({annee})", result, indicator=ind_label, unit=unit),
    column_config={"Valeur (nombre)": None, "Code": None},
)
if mask is not None:
    st.caption(escape_markdown(small_counts.note(mask)))
