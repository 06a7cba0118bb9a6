"""Framework floor for the benchmark: the dashboard's shared sidebar widgets (same labels, keys, option
counts, navigation with 5 pages) and no data at all. `bench/run.py` times a Département change here and on
the real pages; the ratio real / bare is the app's own cost over Streamlit's."""

from __future__ import annotations

import streamlit as st

DEPARTEMENTS = {"54": "Meurthe-et-Moselle", "55": "Meuse", "57": "Moselle", "88": "Vosges"}
BASSINS = {f"{dep}-b{i}": dep for dep, count in (("54", 5), ("55", 2), ("57", 7), ("88", 3)) for i in range(count)}
THEMATIQUES = [f"theme{i}" for i in range(12)]
NIVEAUX = ["ecole", "college", "lycee", "superieur"]
PUBLICS = ["eleves", "enseignants", "cadres", "parents"]
ANNEES = ["2020-2021", "2021-2022", "2022-2023", "2023-2024"]


def dep_label(code: str) -> str:
    return f"{code} — {DEPARTEMENTS.get(code, code)}"


def body() -> None:
    st.title("Page")
    st.write(dict(st.query_params))


PAGES = (
    ("Vue d'ensemble", "vue-ensemble"),
    ("Carte", "carte"),
    ("Indicateurs", "indicateurs"),
    ("Laboratoires", "laboratoires"),
    ("Données", "donnees"),
)
pages = [st.Page(body, title=title, url_path=path, default=(path == "vue-ensemble")) for title, path in PAGES]
page = st.navigation(pages, position="sidebar")
with st.sidebar:
    st.header("Filtres", anchor=False)
    deps = st.multiselect("Département", list(DEPARTEMENTS), key="f_departements", format_func=dep_label)
    st.multiselect(
        "Bassin d'éducation et de formation",
        [b for b, d in BASSINS.items() if not deps or d in deps],
        key="f_bassins",
    )
    st.multiselect("Thématique", THEMATIQUES, key="f_thematiques")
    st.multiselect("Niveau scolaire", NIVEAUX, key="f_niveaux")
    st.multiselect("Public", PUBLICS, key="f_publics")
    left, right = st.columns(2)
    left.selectbox("Depuis", ANNEES, key="f_debut")
    right.selectbox("Jusqu'à", ANNEES, index=len(ANNEES) - 1, key="f_fin")
    st.button("Réinitialiser les filtres", width="stretch")
if deps:
    st.query_params["dep"] = ",".join(deps)
elif "dep" in st.query_params:
    del st.query_params["dep"]
page.run()
