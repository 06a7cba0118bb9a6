"""Projets : the projects cited by the bilan and the « heures numériques » thèmes, in one searchable table.

Why a page and not a section of Laboratoires: the catalogue is not only about labs (the « heures numériques »
and a project of the Vosges have no lab), it is read by thème rather than by lab, and a page gets its own URL
and search box. Filtered by the shared filters (`queries.projects_catalogue`: thème through the taxonomy,
département / bassin / niveau through the project's lab; the notes say what a filter cannot reach). Every text
comes from files: plain text in the table cells, `escape_markdown` elsewhere.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import streamlit as st

from components import context
from components.common import render_downloads, render_empty, render_notes, result_about
from observatoire.filters import Filters
from observatoire.text import escape_markdown, plain


def fold(text: str) -> str:
    """Lower case without accents (search)."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


filters: Filters = st.session_state["filters"]
result = context.projects_catalogue(filters)
everything = context.projects_catalogue(Filters())

st.title("Projets et heures numériques", anchor=False)
st.markdown("Les projets des laboratoires numériques cités par le bilan, et les thèmes des « heures "
            "numériques », rangés par thème principal.")

data = result.data
n_projects = int((data["type"] == "Projet").sum()) if not data.empty else 0
n_hn = int((data["type"] == "Heure numérique").sum()) if not data.empty else 0
total = len(everything.data)
st.subheader(f"{n_projects} projet{'s' if n_projects > 1 else ''} et {n_hn} thème{'s' if n_hn > 1 else ''} "
             f"d'heures numériques ({len(data)} sur {total})", anchor=False)
render_notes(result.ignored)

query = st.text_input("Rechercher", key="projets_recherche", placeholder="mot du titre, du projet, du lieu…",
                      help="Recherche sans tenir compte des majuscules ni des accents.")
if data.empty:
    render_empty(result.empty_reason)
else:
    table = pd.DataFrame({
        "Type": data["type"].map(plain),
        "Thème principal": data["theme_principal"].map(plain),
        "Thème": data["thematique_libelle"].map(plain),
        "Intitulé": data["intitule"].map(plain),
        "Projet": data["projet"].fillna("").map(plain),
        "Laboratoire": data["laboratoire_nom"].fillna("").map(plain),
        "Lieu": data["lieu"].fillna("").map(plain),
        "Rattachement": data["rattachement"].fillna("").map(plain) if "rattachement" in data else "",
        "Source": data["source"].map(plain),
    })
    if query.strip():
        needle = fold(query.strip())
        haystack = table.drop(columns=["Source"]).astype(str).agg(" ".join, axis=1).map(fold)
        table = table[haystack.str.contains(needle, regex=False)]
        found = len(table)
        st.caption(f"{found} résultat{'s' if found > 1 else ''} pour « {escape_markdown(query.strip())} ».")
    if table.empty:
        render_empty("Aucun projet ne contient ce texte.")
    else:
        st.dataframe(table, hide_index=True, width="stretch", key="projets_table", column_config={
            "Projet": st.column_config.TextColumn("Projet", width="large"),
            "Intitulé": st.column_config.TextColumn("Intitulé", width="medium"),
            "Rattachement": st.column_config.TextColumn(
                "Rattachement", help="Pourquoi ce thème des heures numériques relève de son thème principal "
                                     "(data/reference/thematiques.csv)."),
            "Source": st.column_config.TextColumn("Source", width="medium"),
        })
        left, right = st.columns(2)
        render_downloads(table, "Projets et heures numériques", "projets_dl", left, right,
                         about=result_about("Projets et heures numériques", result))
    st.caption("Sources : " + " ; ".join(escape_markdown(s) for s in result.sources) + ".")
