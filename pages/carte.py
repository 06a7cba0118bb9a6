"""Carte : the bassins coloured by an indicator, the labs, and the panel of the bassin selected on the map.

Thin page: the widgets give the page's choices (`indicateur`, `annee`, `methode`, `classes`, `fond`, `bassin_sel`;
the user's choices are in the URL, defaults are not: the year follows the data),
`observatoire.views.carte.build_carte` makes the view of them (cached by `context.view`), and `components.maps`
draws it. The map only depends on (indicator, year, classification, classes, basemap,
filters): clicking a bassin changes the panel (the view with `bassin_sel`), never the map. The downloads (bassins
table, PNG of the map) take their data from the view.
"""

from functools import partial

import streamlit as st

from components import common, context, maps, picker, routing
from components.fiches import render_fiche_download
from components.sidebar import label_of, url_selectbox
from observatoire.figures import classification, foliummap
from observatoire.filters import school_years_between, to_params
from observatoire.text import escape_markdown
from observatoire.views import carte as carte_view

filters = routing.page_filters()
choices = context.choices()
labels = context.labels()

maps.render_page_style()  # selectors never cut (two rows when narrow), map on the first screen
st.title("Carte des bassins", anchor=False)

indicateurs = foliummap.map_indicators(context.indicators())
annees = school_years_between(choices.annees, filters.periode_debut, filters.periode_fin) or list(choices.annees)
cols = st.container(key="carte_choix").columns([4.4, 1.35, 2.25, 1.5, 2.0], gap="small")
ind_box, toggle_box = cols[0].container(), cols[0].container()  # the switch below the selectbox
first_choice = foliummap.default_indicator(indicateurs, context.academie().indicateurs)
ind = picker.render_picker(
    "Indicateur",
    list(indicateurs),
    indicateurs,
    context.filter_response(filters),
    filters,
    "indicateur",
    "carte_indicateur",
    first_choice,
    container=ind_box,
    toggle_container=toggle_box,
)
annee = url_selectbox(
    "Année scolaire", annees, "annee", "carte_annee", default=annees[-1], container=cols[1], follows_latest=True
)
methode = url_selectbox(
    "Classes",
    list(classification.METHODS),
    "methode",
    "carte_methode",
    format_func=partial(label_of, classification.METHODS),
    default=classification.DEFAULT_METHOD,
    container=cols[2],
    help="Découpage des valeurs en classes de couleur.",
)
nb = url_selectbox(
    "Nombre de classes",
    list(classification.CLASS_COUNTS),
    "classes",
    "carte_classes",
    default=classification.DEFAULT_CLASSES,
    container=cols[3],
)
maps.basemap_from_link()  # a shared link's ?fond=ign|osm is only offered: outside tiles need the visitor's choice
fond = url_selectbox(
    "Fond de carte",
    list(foliummap.BASEMAPS),
    "fond",
    "carte_fond",
    format_func=partial(label_of, foliummap.BASEMAPS),
    default=foliummap.DEFAULT_BASEMAP,
    container=cols[4],
    help="« Sans fond de carte » ne demande aucun accès au réseau (vidéoprojection hors ligne). "
    "Les fonds IGN et OpenStreetMap chargent leurs images depuis ces services.",
)

params = {"indicateur": ind, "annee": annee, "methode": methode, "classes": nb, "fond": fond}
view = context.view(carte_view.build_carte, filters, params)
inputs: carte_view.MapInputs = view.items.map
table = view.require_table("bassins")

maps.render_basemap_offer()
common.render_view_notices(view)
codes = inputs.codes
left, right = st.columns([5, 2], gap="medium")  # wide map: legends must not hide the bassins
with left:
    # built only when this process has not drawn this map yet (components.maps: the arguments are replayed)
    clicked = maps.render_carte_map(
        f"carte_map_{inputs.basemap}",
        context.geojson("bassins"),
        context.geojson("departements"),
        inputs.values,
        inputs.classes,
        inputs.labs,
        indicator_label=inputs.indicator_label,
        unit=inputs.unit,
        annee=inputs.annee,
        basemap=inputs.basemap,
        centre=context.academie().carte_centre,
        zoom=context.academie().carte_zoom,
        departements=inputs.departements,
        chosen_bassins=inputs.chosen_bassins,
        theme_labels=inputs.theme_labels,
        niveau_labels=inputs.niveau_labels,
        figures=inputs.lab_figures,
    )
    maps.render_legend_text(inputs.classes, inputs.unit, inputs.indicator_label, inputs.annee)
    st.caption(escape_markdown(view.text("bassins_note")))
    common.render_source(view.sources, view.illustrative, view.origins)
    common.render_png_download(
        partial(carte_view.static_figure, inputs, context.geojson("bassins"), context.geojson("departements")),
        common.view_about(view, table),
        "carte_map",
    )
lab_clicked = maps.apply_click(clicked, codes, inputs.labs, context.geojson("bassins"))
if lab_clicked:  # a lab marker: its fiche, not the bassin panel
    maps.open_lab_fiche(lab_clicked, to_params(filters))

with right:
    code = maps.bassin_selectbox(codes, inputs.names)
    if code:
        panel = context.view(carte_view.build_carte, filters, {**params, "bassin_sel": code}).items.panel
        assert panel is not None, code  # the view holds the panel of every bassin the selector lists
        if panel.filtered:
            st.caption(":material/filter_alt: Les filtres portent sur ce bassin (toutes les pages).")
        else:
            st.button(
                "Filtrer sur ce bassin",
                key="carte_filtrer_bassin",
                on_click=maps.filter_on_bassin,
                args=(code,),
                icon=":material/filter_alt:",
                type="primary",
                help="Applique ce bassin au filtre « Bassin » de la barre latérale : toutes les pages "
                "n'affichent plus que lui.",
            )
        maps.render_bassin_panel(
            code,
            panel.row,
            panel.nb,
            panel.class_label,
            inputs.indicator_label,
            inputs.unit,
            inputs.annee,
            panel.profile,
            panel.labs,
            inputs.theme_labels,
            panel.departement,
            panel.scope_note,
            mask=inputs.mask,
            rules=context.policy(),
        )
        render_fiche_download("bassin", code, inputs.annee, filters, key="carte_fiche_pdf")
    else:
        st.info(
            "Cliquez sur un bassin de la carte (ou choisissez-le ci-dessus) pour afficher son profil : "
            "ses indicateurs clés comparés à l'académie, son rang et ses laboratoires numériques.",
            icon=":material/touch_app:",
        )

common.render_data_table(
    table.frame,
    table.title,
    key="carte_table",
    about=common.view_about(view, table),
    column_config={"Valeur (nombre)": None, "Code": None},
)
if view.text("small_counts"):
    st.caption(escape_markdown(view.text("small_counts")))
