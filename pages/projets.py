"""Projets : the projects cited by the bilan and the « heures numériques » thèmes, in one searchable table.

Why a page and not a section of Laboratoires: the catalogue is not only about labs (the « heures numériques »
and a project of the Vosges have no lab), it is read by thème rather than by lab, and a page gets its own URL
and search box. Filtered by the shared filters (`queries.projects_catalogue`: thème through the taxonomy,
département / bassin / niveau through the project's lab; the notes say what a filter cannot reach). Thin: the
page is `observatoire.views.projects.build_projects` (the search text is its param `recherche`, searched in the
core); every text comes from files: plain text in the table cells, `escape_markdown` elsewhere.
"""

from __future__ import annotations

import streamlit as st

from components import context, routing, url_state
from components.common import render_downloads, render_empty, render_notes, view_about
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.projects import SEARCH_PARAM, build_projects

SEARCH_KEY = "projets_recherche"

filters: Filters = routing.page_filters()
# the search box is drawn below the header: its value of this rerun is decided first (in the URL: `recherche`)
query = url_state.text_value("Rechercher", SEARCH_PARAM, SEARCH_KEY)
view = context.view(build_projects, filters, {SEARCH_PARAM: query.strip()})

st.title(view.title, anchor=False)
st.markdown(view.subtitle)
st.subheader(view.text("count"), anchor=False)
render_notes([n.text for n in view.notices if n.kind == "filtre"])

st.text_input(
    "Rechercher",
    key=SEARCH_KEY,
    placeholder="mot du titre, du projet, du lieu…",
    help="Recherche sans tenir compte des majuscules ni des accents.",
)
url_state.text_done(SEARCH_PARAM, SEARCH_KEY)
table = view.table("projets")
if view.text("search"):
    st.caption(escape_markdown(view.text("search")))
for notice in view.notices:
    if notice.kind == "vide":
        render_empty(notice.text)
if table is not None and not table.frame.empty:
    st.dataframe(
        table.frame,
        hide_index=True,
        width="stretch",
        key="projets_table",
        column_config={
            "Projet": st.column_config.TextColumn("Projet", width="large"),
            "Intitulé": st.column_config.TextColumn("Intitulé", width="medium"),
            "Rattachement": st.column_config.TextColumn(
                "Rattachement",
                help="Pourquoi ce thème des heures numériques relève de son thème principal "
                "(data/reference/thematiques.csv).",
            ),
            "Source": st.column_config.TextColumn("Source", width="medium"),
        },
    )
    left, right = st.columns(2)
    render_downloads(table.frame, table.title, "projets_dl", left, right, about=view_about(view, table))
if table is not None:
    st.caption(escape_markdown(view.text("sources")))
