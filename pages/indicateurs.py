"""Indicateurs — one indicator in detail: definition, series by breakdown, months, bassin ranking, evolution.

Page-level choices are mirrored in the URL (`indicateur`, `par`, `annee`, `de_annee`, `a_annee` through
`components.sidebar.url_selectbox`, the active tab `onglet`, the « all curves » switch `toutes_courbes`) — the
user's choices only, never a default (components/url_state.py); the shared filters come from the sidebar
(`routing.page_filters()`).
The page is thin: it draws its widgets (in their places: the year selectors inside their tabs), builds ONE view
`observatoire.views.indicators.build_indicators` (cached: `components.context.view`) and renders its sections.
The downloads (CSV, XLSX, PNG) take the view's tables and figures (`common.view_about`).
"""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import context, picker, routing, url_state
from components.charts import render_figure, table_column_config
from components.common import render_data_table, render_element_source, render_notices, view_about
from components.sidebar import label_of, url_selectbox
from observatoire.filters import Filters, school_years_between
from observatoire.text import escape_markdown
from observatoire.views.indicators import (
    ALL_GROUPS,
    BREAKDOWNS,
    TABS,
    Section,
    build_indicators,
    default_indicator,
)
from observatoire.views.model import View

ALL_GROUPS_KEY = "ind_all_groups"
TAB_KEY = "ind_onglet"
TAB_PARAM = "onglet"
TAB_SLUGS = ("evolution", "mois", "classement", "evolution-pct")  # URL values of TABS (the first: default)
INFO_ICONS = {  # the message that replaces a tab's content
    "series": ":material/lightbulb:",  # other breakdowns work
    "monthly": ":material/event_busy:",  # an annual indicator
    "evolution": ":material/compare_arrows:",  # the same year twice
}


def _definition(view: View, container: DeltaGenerator) -> None:
    e = escape_markdown
    with container:
        st.markdown(f"**{e(view.text('indicateur'))}** — {e(view.text('definition'))}")
        st.caption(
            f"Unité : **{e(view.text('unite'))}** · Granularité : {e(view.text('granularite'))}"
            f" · Agrégation : {e(view.text('agregation'))} · Période affichée : {e(view.text('periode'))}"
            f" · Source : {e(view.text('source'))}"
        )


def _render_section(view: View, section: Section, title: DeltaGenerator | None = None) -> None:
    """One tab of the view, in the order `Section` documents. `title`: the placeholder drawn above the tab's
    own widgets, which receives the heading."""
    if section.heading:
        (title or st).subheader(escape_markdown(section.heading), anchor=False)
    render_notices(section.notices, info_icon=INFO_ICONS.get(section.key, ":material/info:"))
    for caption in section.captions:
        st.caption(escape_markdown(caption))
    if section.switch:  # its value was read before the view was built (`ALL_GROUPS`, `url_state.toggle_value`)
        st.toggle(section.switch, key=ALL_GROUPS_KEY)
        if section.switch_note:
            st.caption(escape_markdown(section.switch_note))
    figure = view.figure(section.figure) if section.figure else None
    table = view.table(section.table) if section.table else None
    if figure is not None:
        render_figure(figure.figure, f"chart_{figure.key}", alt=figure.alt)
        render_element_source(figure)
    if table is not None:
        render_data_table(
            table.frame,
            table.title,
            f"tbl_{table.key}",
            column_config=table_column_config(table.frame),
            figure=figure.figure if figure is not None else None,
            about=view_about(view, table),
        )
    for caption in section.after:
        st.caption(escape_markdown(caption))


# ------------------------------------------------------------------------------------------------ page

filters: Filters = routing.page_filters()
choices = context.choices()
catalogue = context.indicators()
names = {r["id"]: f"{r['domaine']} — {r['libelle']}" for r in catalogue.to_dict("records")}
years = school_years_between(choices.annees, filters.periode_debut, filters.periode_fin)

st.title("Indicateurs", anchor=False)
choose, split = st.columns([3, 1])
choose_box, toggle_box = choose.container(), choose.container()  # the switch below the selectbox
indicator = picker.render_picker(
    "Indicateur",
    list(catalogue["id"]),
    names,
    context.filter_response(filters),
    filters,
    "indicateur",
    "ind_indicateur",
    default_indicator(context.academie(), list(catalogue["id"])),
    container=choose_box,
    toggle_container=toggle_box,
    help="Indicateurs classés par domaine (domaine — indicateur). Avec un niveau "
    "ou un thème choisi : seulement ceux qui sont détaillés par ce filtre.",
)
by = url_selectbox(
    "Découper par",
    list(BREAKDOWNS),
    "par",
    "ind_par",
    format_func=partial(label_of, BREAKDOWNS),
    default="total",
    container=split,
    help="Une courbe par groupe. Tous les indicateurs ne sont pas détaillés partout.",
)
definition = st.container(border=True)
params = {"indicateur": indicator, "par": by}
if url_state.toggle_value("Toutes les courbes", ALL_GROUPS, ALL_GROUPS_KEY):  # drawn in its tab
    params[ALL_GROUPS] = "1"

# the active tab is in the URL (`onglet`): a copied link reopens « Évolution en % »
series_tab, monthly_tab, ranking_tab, evolution_tab = url_state.url_tabs(TABS, TAB_SLUGS, TAB_PARAM, TAB_KEY)
with ranking_tab:  # the tabs' own widgets first, in their places: the view depends on them
    latest_first = list(reversed(years))
    ranking_title = st.empty()  # the heading names the year chosen just below it
    params["annee"] = url_selectbox(
        "Année scolaire",
        latest_first,
        "annee",
        "ind_annee",
        default=latest_first[0],
        follows_latest=True,
        width=260,
    )
    ranking_body = st.container()
with evolution_tab:
    evolution_title = st.empty()
    if len(years) >= 2:
        left, right, _ = st.columns([1, 1, 2])
        params["de_annee"] = url_selectbox("De", years, "de_annee", "ind_de", default=years[0], container=left)
        params["a_annee"] = url_selectbox(
            "À", years, "a_annee", "ind_a", default=years[-1], container=right, follows_latest=True
        )
    evolution_body = st.container()

try:
    view = context.view(build_indicators, filters, params)
except ValueError as error:  # a choice the data does not know (the widgets validate them first)
    st.error(escape_markdown(str(error)), icon=":material/error:")
    st.stop()

sections = {section.key: section for section in view.items.sections}
_definition(view, definition)
with series_tab:
    _render_section(view, sections["series"])
with monthly_tab:
    _render_section(view, sections["monthly"])
with ranking_body:
    _render_section(view, sections["ranking"], title=ranking_title)
with evolution_body:
    _render_section(view, sections["evolution"], title=evolution_title)
url_state.toggle_done(ALL_GROUPS, ALL_GROUPS_KEY)
