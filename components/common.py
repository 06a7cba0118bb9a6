"""Small render helpers shared by every page: sources, illustrative badge, notes, empty states, tables.

The texts they receive are plain text (from data or queries): they are escaped here, where they become
Markdown (`observatoire.text.escape_markdown`)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from observatoire import config, exporting
from observatoire.text import escape_markdown

ILLUSTRATIVE_EXPLANATION = (
    "Valeurs générées pour illustrer les répartitions (territoires, années antérieures, mois) : seuls les "
    "chiffres académiques dont la source cite le bilan DRANE 2023-2024 en sont issus."
)


def source_text(sources: tuple[str, ...] | list[str]) -> str:
    """`Source : …` line; the « illustratif » marker is explained by the badge, not repeated as a source."""
    named = [s for s in sources if not s.startswith(config.ILLUSTRATIVE)]
    if not named and sources:
        return "Source : données illustratives (générées)."
    if not named:
        return ""
    extra = " ; autres valeurs illustratives" if len(named) < len(sources) else ""
    return "Source : " + " ; ".join(named) + extra + "."


def render_source(sources: tuple[str, ...] | list[str], illustrative: bool) -> None:
    text = source_text(sources)
    if illustrative:
        st.badge("Données illustratives", icon=":material/science:", color="orange")
        st.caption(ILLUSTRATIVE_EXPLANATION)
    if text:
        st.caption(escape_markdown(text))


def render_notes(ignored: tuple[str, ...] | list[str]) -> None:
    """Filters that do not apply to what is shown: said, never silently ignored."""
    for note in ignored:
        st.info(escape_markdown(note), icon=":material/filter_alt_off:")


def render_empty(reason: str | None) -> None:
    st.info(
        escape_markdown(reason or "Aucune donnée pour cette sélection.")
        + " Élargissez la sélection dans les filtres (ou « Réinitialiser les filtres »).",
        icon=":material/search_off:",
    )


def slug(text: str) -> str:
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text.lower()).strip("-")
    return text[:60] or "donnees"


def render_data_table(frame: pd.DataFrame, title: str, key: str, expanded: bool = False,
                      column_config: dict | None = None) -> None:
    """The data behind a chart (text alternative) with CSV (`;`, BOM) and XLSX downloads."""
    with st.expander(f"Données : {escape_markdown(title)}", expanded=expanded, icon=":material/table:"):
        st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config)
        left, right = st.columns(2)
        name = slug(title)
        render_downloads(frame, name, key, left, right)


def render_downloads(frame: pd.DataFrame, name: str, key: str, left: object = st, right: object = st) -> None:
    """CSV and XLSX download buttons; the files are generated only when clicked (deferred callables)."""
    left.download_button("Télécharger (CSV)", lambda: exporting.to_csv_bytes(frame), f"{name}.csv",
                         mime="text/csv", key=f"{key}_csv", icon=":material/download:", width="stretch",
                         on_click="ignore")
    right.download_button("Télécharger (Excel)", lambda: exporting.to_xlsx_bytes(frame), f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", icon=":material/download:", width="stretch", on_click="ignore")
