"""Laboratoires: the labs matching the filters (cards and table) and the fiche of one lab (URL `labo`).

Thin page: `observatoire.views.laboratories.build_laboratories` makes the view (cached by `context.view`): the
list for the filters, then, once the lab is chosen, the same view with `labo` holds its fiche. The downloads
(list, activity table and chart) take their data and their « À propos » from the view."""

from __future__ import annotations

import dataclasses
from functools import partial

import streamlit as st

from components import context, routing, url_state
from components.cards import render_kpi_grid, render_lab_grid
from components.common import (
    render_data_table,
    render_downloads,
    render_empty,
    render_png_download,
    render_source,
    render_view_notices,
    view_about,
)
from components.fiches import render_fiche_download
from components.sidebar import label_of, url_selectbox
from observatoire.figures import bassin_panel, cards, charts
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.laboratories import LabFiche, build_laboratories

filters: Filters = routing.page_filters()
labels = context.labels()
view = context.view(build_laboratories, filters)
labs = view.items.labs
names = view.items.names

st.title(view.title, anchor=False)
st.markdown(escape_markdown(view.subtitle))

# ------------------------------------------------------------------------------------------- the list
st.subheader(view.text("count"), anchor=False)
render_view_notices(view)
if not labs.empty:
    if view.illustrative:
        st.badge("Données illustratives", icon=":material/science:", color="orange")
    st.caption(escape_markdown(view.text("labs_source")))
    # the active tab is in the URL (`vue=tableau`): a copied link reopens it
    tab_cards, tab_table = url_state.url_tabs(
        [":material/grid_view: Cartes", ":material/table: Tableau"], ("cartes", "tableau"), "vue", "labos_vue"
    )
    with tab_cards:
        render_lab_grid(labs, labels, height=640 if len(labs) > 6 else None, fiche_key="labo_fiche")
    with tab_table:
        table = view.require_table("laboratoires")
        st.dataframe(
            table.frame,
            hide_index=True,
            width="stretch",
            key="labos_table",
            on_select="rerun",
            selection_mode="single-row",
            column_config={
                "Thématiques": st.column_config.ListColumn("Thématiques", width="large"),
                "Niveaux": st.column_config.ListColumn("Niveaux"),
                "Ouverture": st.column_config.NumberColumn("Ouverture", format="%d"),
                "Source": st.column_config.TextColumn("Source", width="medium"),
            },
        )
        st.caption("Cliquez sur une ligne pour ouvrir la fiche du laboratoire ci-dessous.")
        left, right = st.columns(2)
        render_downloads(
            cards.download_frame(table.frame), table.title, "labos_dl", left, right, about=view_about(view, table)
        )

# ------------------------------------------------------------------------------------------- the fiche
st.divider()
st.subheader("Fiche laboratoire", anchor=False)
options = list(labs["code"])
requested = url_state.chosen("labo_fiche") or st.query_params.get("labo")  # chosen, or a link's
if (
    requested is not None and requested in names and requested not in options
):  # a shared link to a lab outside the current filters
    options.append(requested)
    st.info(
        f"« {escape_markdown(names[requested])} » ne correspond pas aux filtres choisis ; sa fiche reste "
        "affichée.",
        icon=":material/filter_alt_off:",
    )


def render_fiche(fiche: LabFiche) -> None:
    with st.container(border=True):
        st.markdown(f"### {escape_markdown(fiche.name)}")
        if fiche.origin == "illustratif":
            st.badge(
                "Laboratoire illustratif",
                icon=":material/science:",
                color="orange",
                help="Lieu plausible qui complète la liste : il n'est pas cité par le bilan.",
            )
        elif fiche.origin == "partiel":
            st.badge(
                "Cité par le bilan · attributs en partie illustratifs",
                icon=":material/science:",
                color="orange",
                help="Lieu et thèmes cités par le bilan ; les autres attributs sont "
                "illustratifs (voir la source).",
            )
        render_scope(fiche)
        facts, projects_col = st.columns([2, 3], gap="large")
        with facts:
            st.markdown("\n".join(f"- **{label}** : {escape_markdown(value)}" for label, value in fiche.facts))
            st.caption(escape_markdown(fiche.source))
        with projects_col:
            st.markdown("**Projets cités par le bilan**")
            if fiche.projects.empty:
                st.caption("Le bilan ne cite aucun projet pour ce laboratoire.")
            else:
                st.markdown("\n".join(cards.project_lines(fiche.projects)))
                st.caption(escape_markdown(fiche.projects_source))
        render_fiche_download("laboratoire", fiche.code, fiche.year, filters, key="labo_fiche_pdf")
    render_comparison(fiche)
    render_activity(fiche)


def render_scope(fiche: LabFiche) -> None:
    """Which chosen filters the fiche's figures answer (the same figures as the overview's for them), and the
    chosen filters that do not apply to this lab, with why."""
    scope = fiche.scope
    if scope is None:
        return
    if scope.parts:
        st.caption(
            f":material/filter_alt: Chiffres de ce laboratoire pour : {escape_markdown(scope.parts)} "
            "(filtres de la barre latérale)."
        )
    for reason in scope.reasons:
        st.info(escape_markdown(reason), icon=":material/filter_alt_off:")


def render_comparison(fiche: LabFiche) -> None:
    """The lab vs the académie (like the bassin panel of the Carte): share of the académie total, rank."""
    if not fiche.comparison_year:
        return
    st.markdown(f"#### Comparaison avec l'académie ({escape_markdown(fiche.comparison_year)})")
    if fiche.profile.empty:
        render_empty(f"Aucune valeur de ce laboratoire en {fiche.comparison_year}.")
        return
    st.markdown(bassin_panel.profile_markdown(fiche.profile, "laboratoire", context.policy()))
    st.caption(escape_markdown(fiche.comparison_note))


def render_activity(fiche: LabFiche) -> None:
    st.markdown("#### Activité du laboratoire")
    activity = fiche.activity
    if not activity.key_figures:  # the filters not applied are said above, with the fiche
        render_view_notices(
            dataclasses.replace(
                activity,
                notices=tuple(
                    n for n in activity.notices if n.text not in (fiche.scope.reasons if fiche.scope else ())
                ),
            )
        )
        return
    for notice in activity.notices:  # e.g. a sub-thème read at its main thème
        if notice.kind == "filtre" and notice.text not in (fiche.scope.reasons if fiche.scope else ()):
            st.caption(f":material/filter_alt: {escape_markdown(notice.text)}")
    render_source(activity.sources, activity.illustrative, activity.origins)
    render_kpi_grid(activity.key_figures, sources=False, scope_notes=False)  # the fiche's scope: said above
    chart = activity.figure("activite")
    if chart is not None:  # none when the bars would show a small count
        with st.container(key="print_chart_labo_activite"):  # printed at a readable size (components/printing.py)
            st.markdown(f"**{escape_markdown(chart.title)}**")  # above the chart: it wraps on a phone
            st.plotly_chart(chart.figure, key="labo_activite_chart", width="stretch", config=charts.PLOTLY_CONFIG)
        render_png_download(chart.figure, view_about(activity, chart), "labo_activite")
    table = activity.require_table("activite")
    render_data_table(
        table.frame, activity.text("table_label"), key="labo_activite", about=view_about(activity, table)
    )
    st.caption(escape_markdown(activity.text("small_counts")))


# a row clicked in the table opens its fiche (only when the click is new: not after a filter change)
selection = st.session_state.get("labos_table")
rows = list(selection.selection.rows) if selection is not None and not labs.empty else []
if rows and rows != st.session_state.get("_labos_table_rows") and rows[0] < len(labs):
    st.session_state["labo_fiche"] = str(labs["code"].iloc[rows[0]])
st.session_state["_labos_table_rows"] = rows

if options:
    code = url_selectbox("Laboratoire", options, "labo", key="labo_fiche", format_func=partial(label_of, names))
    fiche = context.view(build_laboratories, filters, {"labo": code}).items.fiche
    assert fiche is not None, code  # the view holds the fiche of every lab the selector lists
    render_fiche(fiche)
else:
    st.info(
        "Aucun laboratoire à afficher : élargissez les filtres pour choisir un laboratoire.",
        icon=":material/search_off:",
    )
