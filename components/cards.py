"""Streamlit rendering of the KPI cards and lab cards; their texts come from `observatoire.figures.cards`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from components import context
from components.common import render_illustrative_badge
from observatoire import small_counts
from observatoire.figures.cards import (
    DOMAIN_ICONS,
    LAB_ILLUSTRATIVE_HELP,
    PER_ROW,
    illustrative_explanation,
    kpi_badge,
    kpi_caption,
    kpi_card_delta_text,
    kpi_delta_style,
    kpi_help,
    kpi_origin_lines,
    kpi_sparkline,
    kpi_value_text,
    kpi_year_note,
    lab_card_text,
    merged_notes,
)
from observatoire.labels import Labels
from observatoire.queries import Kpi, not_applied_filters
from observatoire.text import escape_markdown
from observatoire.views.context import not_applied_note

_YEAR = re.compile(r"(\d{4})-(\d{4})")


def _unbroken(match: re.Match) -> str:
    """« 2023-2024 » with a no-break hyphen (U+2011): a narrow card never cuts a school year."""
    return f"{match.group(1)}\u2011{match.group(2)}"


CSS = """
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricDelta"] [data-testid="stMarkdownContainer"] p {
  white-space: pre-line;
  overflow: visible;
  text-overflow: clip;
}
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"],
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  white-space: normal;
  overflow: visible;
  text-overflow: clip;
}
"""
"""st.metric writes its value and its change on one line, cut with an ellipsis (« +11,1 % vs 20… » in a card of
a 4-column grid at 1280 px with the sidebar open): here the change is on two lines (« +11,1 % » / « vs 2022-2023 »:
`kpi_card_delta_text` puts a line break before « vs », shown by `white-space: pre-line`) and the value wraps, so
the reference year stays readable. Style only (`st.html` puts it in the event container: no box);
tests/e2e/test_overview_1280.py measures it."""


def render_kpi_card(kpi: Kpi, definition: str | None = None, domain: str | None = None,
                    section: str | None = None, sources: bool = True,
                    rules: small_counts.Policy | None = None, headline: str | None = None,
                    scope_notes: bool = True) -> None:
    """One bordered card: title (wraps, with the definition and the origins as tooltip), value, change,
    sparkline (an accessible SVG: role="img" + French text alternative), orange badge when an input is
    illustrative, source.

    The metric's own label is collapsed (st.metric truncates long labels on one line): the title above it
    wraps instead, which keeps every word readable on a projector. `rules`: small counts of people hidden
    (lab or bassin level). `headline`: the year the page's title announces — a value of another year says its
    own under it (« Valeur 2023-2024 », `kpi_year_note`). `scope_notes`: the card says a chosen filter it does
    not answer (« Valeur tous niveaux (filtre niveau non appliqué) »), unless the caller says it above."""
    color, arrow = kpi_delta_style(kpi)
    icon = DOMAIN_ICONS.get(domain or "", ":material/insights:")
    badge = kpi_badge(kpi)
    with st.container(border=True, height="stretch", gap="small"):
        st.markdown(f"{icon} **{escape_markdown(kpi.libelle)}**", help=kpi_help(kpi, definition, rules,
                                                                            context.bilan_source()))
        st.metric(
            escape_markdown(kpi.libelle),
            kpi_value_text(kpi, markup=True, rules=rules),
            delta=kpi_card_delta_text(kpi, rules),
            delta_color=color,
            delta_arrow=arrow,
            label_visibility="collapsed",
        )
        year_note = kpi_year_note(kpi, headline)
        if year_note:  # a partial new year: this card is not of the headline year (the year kept on one line)
            st.caption(f":material/event: **{escape_markdown(_YEAR.sub(_unbroken, year_note))}**")
        scope_note = not_applied_note(not_applied_filters(kpi.ignored)) if scope_notes else ""
        if scope_note:  # the card itself says a chosen filter it does not answer (as the deck's card does)
            st.caption(f":material/filter_alt_off: {escape_markdown(scope_note)}")
        if badge:  # right under the change it qualifies; one badge per card, always the same orange style
            lines = [escape_markdown(line) for line in kpi_origin_lines(kpi, rules)]
            explanation = illustrative_explanation(context.bilan_source())
            render_illustrative_badge(badge, help="\n\n".join([*lines, explanation]))
        chart = kpi_sparkline(kpi, rules)
        if chart:  # st.markdown keeps role / aria-label (st.html drops them)
            st.markdown(chart, unsafe_allow_html=True)
        if sources:
            st.caption(escape_markdown(_YEAR.sub(_unbroken, kpi_caption(kpi, section))))


def render_kpi_grid(kpis: Sequence[Kpi], catalogue: pd.DataFrame | None = None, per_row: int = PER_ROW,
                    sources: bool = True, rules: small_counts.Policy | None = None, key: str = "kpi_grid",
                    headline: str | None = None, scope_notes: bool = True) -> None:
    """KPI cards, `per_row` per row, each with its source caption and badge when an input is illustrative
    (`sources=False`: the caller shows one source line for all the cards; the badges stay; `scope_notes=False`:
    the caller says the filters not applied above the cards). `key` (starting
    with `kpi_grid`): the container's key, by which the print stylesheet puts every card on one row."""
    st.html(f"<style>{CSS}</style>")  # value and change wrap instead of being cut
    meta = catalogue.set_index("id") if catalogue is not None and not catalogue.empty else None
    grid = st.container(key=key)
    for start in range(0, len(kpis), per_row):
        columns = grid.columns(per_row, gap="medium")
        for column, kpi in zip(columns, kpis[start:start + per_row]):
            definition = domain = section = None
            if meta is not None and kpi.indicateur in meta.index:
                definition = meta.at[kpi.indicateur, "definition"]
                domain = meta.at[kpi.indicateur, "domaine"]
                section = meta.at[kpi.indicateur, "source"]
            with column:
                render_kpi_card(kpi, definition, domain, section, sources, rules, headline, scope_notes)


def render_kpi_notes(kpis: Sequence[Kpi]) -> None:
    notes = merged_notes(kpis)
    if notes:
        st.info("**Filtres sans effet sur certains indicateurs**\n\n"
                + "\n".join(f"- {escape_markdown(n)}" for n in notes),
                icon=":material/filter_alt_off:")


# ------------------------------------------------------------------------------------------ laboratories


def render_lab_card(lab: Mapping[str, object], labels: Labels,
                    fiche_key: str | None = None) -> None:
    """A bordered lab card; with `fiche_key`, a « Voir la fiche » button selects the lab in that selectbox."""
    card = lab_card_text(lab, labels)
    with st.container(border=True, height="stretch"):
        st.markdown(f"**{escape_markdown(card['titre'])}**")
        st.caption(f":material/location_on: {escape_markdown(card['lieu'])}")
        with st.container(horizontal=True, gap="small"):
            for theme in card["thematiques"]:
                st.badge(escape_markdown(theme, keep="[]"), color="blue")  # st.badge escapes [ ] itself
        st.caption(f"Niveaux : {escape_markdown(card['niveaux'])}")
        if card["origine"] == "illustratif":
            render_illustrative_badge("Laboratoire illustratif", help=LAB_ILLUSTRATIVE_HELP)
        else:
            st.badge("Cité par le bilan", icon=":material/menu_book:", color="green",
                     help=escape_markdown(lab.get("source", "")))
        if fiche_key:
            st.button("Voir la fiche", key=f"labo_carte_{lab.get('code')}", on_click=open_fiche,
                      args=(fiche_key, str(lab.get("code"))), icon=":material/arrow_downward:", type="tertiary",
                      help="Ouvre la fiche de ce laboratoire sous la liste.")


def open_fiche(key: str, code: str) -> None:
    """Callback of a card's « Voir la fiche » button: select `code` in the fiche's selectbox `key`."""
    st.session_state[key] = code


def render_lab_grid(frame: pd.DataFrame, labels: Labels, per_row: int = 3,
                    height: int | None = None, fiche_key: str | None = None) -> None:
    """Grid of lab cards (in a scrolling box of `height` pixels when given: each card then has a focusable
    button, which keeps the box keyboard-accessible)."""
    records = frame.to_dict("records")
    box = st.container(height=height, border=False) if height else st.container()
    with box:
        for start in range(0, len(records), per_row):
            columns = st.columns(per_row, gap="small")
            for column, lab in zip(columns, records[start:start + per_row]):
                with column:
                    render_lab_card(lab, labels, fiche_key)
