"""Streamlit rendering of the KPI cards (a view's `key_figures`, formatted by the core) and of the lab cards."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from components.common import render_illustrative_badge
from observatoire.figures.cards import LAB_ILLUSTRATIVE_HELP, PER_ROW, lab_card_text
from observatoire.labels import Labels
from observatoire.text import escape_markdown
from observatoire.views.model import KeyFigure, View

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


def render_kpi_card(figure: KeyFigure, sources: bool = True, scope_notes: bool = True) -> None:
    """One bordered card drawn from a view's key figure (`KeyFigure.card`, formatted by the core): title (wraps,
    with the definition and the origins as tooltip), value, change, sparkline (an accessible SVG: role="img" +
    French text alternative), orange badge when an input is illustrative, source.

    The metric's own label is collapsed (st.metric truncates long labels on one line): the title above it
    wraps instead, which keeps every word readable on a projector. A value of another year than the page's
    says its own under it (`KeyFigure.year_note`). `scope_notes`: the card says a chosen filter it does not
    answer (`KeyFigure.scope_note`), unless the caller says it above."""
    card = figure.card
    if card is None:
        raise ValueError(f"la carte « {figure.label} » n'a pas été préparée par sa vue (KeyFigure.card)")
    with st.container(border=True, height="stretch", gap="small"):
        st.markdown(f"{card.icon} **{escape_markdown(figure.label)}**", help=card.help)
        st.metric(
            escape_markdown(figure.label),
            card.value_markup,
            delta=card.delta,
            delta_color=card.delta_color,
            delta_arrow=card.delta_arrow,
            label_visibility="collapsed",
        )
        if figure.year_note:  # a partial new year: this card is not of the headline year (kept on one line)
            st.caption(f":material/event: **{escape_markdown(_YEAR.sub(_unbroken, figure.year_note))}**")
        if scope_notes and figure.scope_note:  # the card itself says a chosen filter it does not answer
            st.caption(f":material/filter_alt_off: {escape_markdown(figure.scope_note)}")
        if card.badge:  # right under the change it qualifies; one badge per card, always the same orange style
            render_illustrative_badge(card.badge, help=card.badge_help)
        if card.sparkline:  # st.markdown keeps role / aria-label (st.html drops them)
            st.markdown(card.sparkline, unsafe_allow_html=True)
        if sources:
            st.caption(escape_markdown(_YEAR.sub(_unbroken, card.caption)))


def render_kpi_grid(
    figures: Sequence[KeyFigure],
    per_row: int = PER_ROW,
    sources: bool = True,
    key: str = "kpi_grid",
    scope_notes: bool = True,
) -> None:
    """A view's key figures as cards, `per_row` per row, each with its source caption and badge when an input
    is illustrative (`sources=False`: the caller shows one source line for all the cards; the badges stay;
    `scope_notes=False`: the caller says the filters not applied above the cards). `key` (starting with
    `kpi_grid`): the container's key, by which the print stylesheet puts every card on one row."""
    st.html(f"<style>{CSS}</style>")  # value and change wrap instead of being cut
    grid = st.container(key=key)
    for start in range(0, len(figures), per_row):
        columns = grid.columns(per_row, gap="medium")
        for column, figure in zip(columns, figures[start : start + per_row]):
            with column:
                render_kpi_card(figure, sources, scope_notes)


def render_kpi_notes(view: View) -> None:
    """The filters that do not reach some cards (the view's « filtre » notices), once each, under the cards."""
    notes = [n.text for n in view.notices if n.kind == "filtre"]
    if notes:
        st.info(
            "**Filtres sans effet sur certains indicateurs**\n\n"
            + "\n".join(f"- {escape_markdown(n)}" for n in notes),
            icon=":material/filter_alt_off:",
        )


# ------------------------------------------------------------------------------------------ laboratories


def render_lab_card(lab: Mapping[str, object], labels: Labels, fiche_key: str | None = None) -> None:
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
            st.badge(
                "Cité par le bilan",
                icon=":material/menu_book:",
                color="green",
                help=escape_markdown(lab.get("source", "")),
            )
        if fiche_key:
            st.button(
                "Voir la fiche",
                key=f"labo_carte_{lab.get('code')}",
                on_click=open_fiche,
                args=(fiche_key, str(lab.get("code"))),
                icon=":material/arrow_downward:",
                type="tertiary",
                help="Ouvre la fiche de ce laboratoire sous la liste.",
            )


def open_fiche(key: str, code: str) -> None:
    """Callback of a card's « Voir la fiche » button: select `code` in the fiche's selectbox `key`."""
    st.session_state[key] = code


def render_lab_grid(
    frame: pd.DataFrame, labels: Labels, per_row: int = 3, height: int | None = None, fiche_key: str | None = None
) -> None:
    """Grid of lab cards (in a scrolling box of `height` pixels when given: each card then has a focusable
    button, which keeps the box keyboard-accessible)."""
    records = frame.to_dict("records")
    box = st.container(height=height, border=False) if height else st.container()
    with box:
        for start in range(0, len(records), per_row):
            columns = st.columns(per_row, gap="small")
            for column, lab in zip(columns, records[start : start + per_row]):
                with column:
                    render_lab_card(lab, labels, fiche_key)
