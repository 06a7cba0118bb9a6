"""Laboratoires: the labs matching the filters (cards and table) and the fiche of one lab (URL `labo`)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from components import context
from components.cards import render_kpi_grid, render_lab_grid
from components.common import (
    export_about,
    render_data_table,
    render_downloads,
    render_empty,
    render_notes,
    render_png_download,
    render_source,
    result_about,
)
from components.fiches import render_fiche_download
from components.sidebar import label_of, url_selectbox
from observatoire import config, small_counts
from observatoire.figures import bassin_panel, cards, charts
from observatoire.filters import Filters, school_years_between
from observatoire.text import escape_markdown

filters: Filters = st.session_state["filters"]
labels = context.labels()
every_lab = context.laboratories(Filters())
labs = context.laboratories(filters)

st.title("Laboratoires numériques", anchor=False)
st.markdown("Tiers-lieux éducatifs de l'académie : où ils sont, leurs thématiques, leurs niveaux, leur activité "
            "et les projets cités par le bilan.")

# ------------------------------------------------------------------------------------------- the list
st.subheader(cards.count_text(len(labs.data), len(every_lab.data)), anchor=False)
render_notes(labs.ignored)
if labs.empty:
    render_empty(labs.empty_reason)
else:
    if labs.illustrative:
        st.badge("Données illustratives", icon=":material/science:", color="orange")
    st.caption(escape_markdown(cards.labs_source_text(labs.data["source"])))
    tab_cards, tab_table = st.tabs([":material/grid_view: Cartes", ":material/table: Tableau"])
    with tab_cards:
        render_lab_grid(labs.data, labels, height=640 if len(labs.data) > 6 else None,
                              fiche_key="labo_fiche")
    with tab_table:
        table = cards.labs_table(labs.data, labels)
        st.dataframe(table, hide_index=True, width="stretch", key="labos_table", on_select="rerun",
                     selection_mode="single-row", column_config={
            "Thématiques": st.column_config.ListColumn("Thématiques", width="large"),
            "Niveaux": st.column_config.ListColumn("Niveaux"),
            "Ouverture": st.column_config.NumberColumn("Ouverture", format="%d"),
            "Source": st.column_config.TextColumn("Source", width="medium"),
        })
        st.caption("Cliquez sur une ligne pour ouvrir la fiche du laboratoire ci-dessous.")
        left, right = st.columns(2)
        render_downloads(cards.download_frame(table), "Laboratoires numériques", "labos_dl", left, right,
                         about=result_about("Laboratoires numériques", labs))

# ------------------------------------------------------------------------------------------- the fiche
st.divider()
st.subheader("Fiche laboratoire", anchor=False)
names = dict(zip(every_lab.data["code"], every_lab.data["nom"]))
options = list(labs.data["code"])
requested = st.query_params.get("labo")
if requested in names and requested not in options:  # a shared link to a lab outside the current filters
    options.append(requested)
    st.info(f"« {escape_markdown(names[requested])} » ne correspond pas aux filtres choisis ; sa fiche reste "
            "affichée.",
            icon=":material/filter_alt_off:")


def render_fiche(code: str) -> None:
    lab = every_lab.data[every_lab.data["code"] == code].iloc[0].to_dict()
    with st.container(border=True):
        st.markdown(f"### {escape_markdown(lab['nom'])}")
        origin = cards.lab_origin(lab["source"])
        if origin == "illustratif":
            st.badge("Laboratoire illustratif", icon=":material/science:", color="orange",
                     help="Lieu plausible qui complète la liste : il n'est pas cité par le bilan.")
        elif origin == "partiel":
            st.badge("Cité par le bilan · attributs en partie illustratifs", icon=":material/science:",
                     color="orange", help="Lieu et thèmes cités par le bilan ; les autres attributs sont "
                     "illustratifs (voir la source).")
        facts, projects_col = st.columns([2, 3], gap="large")
        with facts:
            st.markdown("\n".join(f"- **{label}** : {escape_markdown(value)}"
                                   for label, value in cards.lab_facts(lab, labels)))
            st.caption(f"Source : {escape_markdown(lab['source'])}" if lab["source"] != config.ILLUSTRATIVE
                       else "Source : laboratoire illustratif (lieu plausible, non cité par le bilan).")
        with projects_col:
            st.markdown("**Projets cités par le bilan**")
            projects = context.projects(code)
            if projects.empty:
                st.caption("Le bilan ne cite aucun projet pour ce laboratoire.")
            else:
                st.markdown("\n".join(cards.project_lines(projects)))
                st.caption("Source : " + " ; ".join(escape_markdown(s) for s in dict.fromkeys(projects["source"]))
                           + ".")
        years = school_years_between(context.school_years(), filters.periode_debut, filters.periode_fin)
        render_fiche_download("laboratoire", code, (years or context.school_years())[-1], None,
                              key="labo_fiche_pdf")
    render_comparison(code)
    render_activity(code, lab["nom"])


def render_comparison(code: str) -> None:
    """The lab vs the académie (like the bassin panel of the Carte): share of the académie total, rank."""
    years = school_years_between(context.school_years(), filters.periode_debut, filters.periode_fin)
    if not years:
        return
    annee = years[-1]
    profile = context.lab_profile(code, annee)
    st.markdown(f"#### Comparaison avec l'académie ({escape_markdown(annee)})")
    if profile.empty or profile["valeur"].isna().all():
        render_empty(f"Aucune valeur de ce laboratoire en {annee}.")
        return
    st.markdown(bassin_panel.profile_markdown(profile[profile["valeur"].notna()], "laboratoire"))
    st.caption("Part : part du laboratoire dans le total académique. Rang : parmi les laboratoires ayant une "
               "valeur cette année-là (1 = le plus élevé). Tous les laboratoires de l'académie, sans filtre.")


def render_activity(code: str, name: str) -> None:
    st.markdown("#### Activité du laboratoire")
    catalogue = context.indicators()
    lab_indicators = cards.lab_activity_indicators(catalogue)
    period = Filters(periode_debut=filters.periode_debut, periode_fin=filters.periode_fin)
    activity, sources, illustrative = {}, {}, False
    for row in lab_indicators.to_dict("records"):
        result = context.series(row["id"], period, by="laboratoire", annual=True)
        activity[row["id"]] = cards.lab_rows(result.data, code)
        if not activity[row["id"]].empty:
            for source, origin in zip(result.sources, result.origins):  # origin from the `origine` column
                sources[source] = origin if sources.get(source) in (None, origin) else config.ILLUSTRATIVE
            illustrative = illustrative or bool(activity[row["id"]]["illustratif"].any())
    kpis = [cards.lab_activity_kpi(row, activity[row["id"]]) for row in lab_indicators.to_dict("records")
            if not activity[row["id"]].empty]
    if not kpis:
        render_empty("Aucune activité enregistrée pour ce laboratoire sur la période choisie.")
        return
    render_source(tuple(sources), illustrative, tuple(sources.values()))
    rules = small_counts.policy()  # one lab: its small counts of people are shown « < 5 »
    people = small_counts.people_indicators(catalogue, rules)
    render_kpi_grid(kpis, catalogue, sources=False, rules=rules)
    main = "labo_personnes" if not activity.get("labo_personnes", pd.DataFrame()).empty else kpis[0].indicateur
    meta = catalogue.set_index("id").loc[main]
    about = partial(export_about, sources=tuple(sources), origins=tuple(sources.values()),
                    illustrative=illustrative, filters=period)
    if not cards.masked(next(k for k in kpis if k.indicateur == main), rules):  # bars would show a small count
        title = f"{meta['libelle']} — {name}"
        figure = cards.activity_figure(activity[main], title, meta["unite"])
        st.plotly_chart(figure, key="labo_activite_chart", width="stretch", config=charts.PLOTLY_CONFIG)
        render_png_download(figure, about(title, indicator=str(meta["libelle"]), unit=str(meta["unite"])),
                            "labo_activite")
    render_data_table(cards.activity_table(activity, dict(zip(catalogue["id"], catalogue["libelle"])), people,
                                           rules),
                      f"activité {name}", key="labo_activite", about=about(f"Activité — {name}"))
    st.caption(escape_markdown(small_counts.note(rules)))


# a row clicked in the table opens its fiche (only when the click is new: not after a filter change)
selection = st.session_state.get("labos_table")
rows = list(selection.selection.rows) if selection is not None and not labs.empty else []
if rows and rows != st.session_state.get("_labos_table_rows") and rows[0] < len(labs.data):
    st.session_state["labo_fiche"] = str(labs.data["code"].iloc[rows[0]])
st.session_state["_labos_table_rows"] = rows

if options:
    render_fiche(url_selectbox("Laboratoire", options, "labo", key="labo_fiche",
                               format_func=partial(label_of, names)))
else:
    st.info("Aucun laboratoire à afficher : élargissez les filtres pour choisir un laboratoire.",
            icon=":material/search_off:")
