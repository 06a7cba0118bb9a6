"""Footer of every page: the data version shown (number, date), whether it is pinned or a newer one exists,
and the main source."""

from __future__ import annotations

import streamlit as st

from components import context, pinning
from observatoire import config
from observatoire.text import escape_markdown


def _date_fr(iso: str) -> str:
    date = iso[:10]
    return f"{date[8:10]}/{date[5:7]}/{date[:4]}" if len(date) == 10 else date


def footer_text() -> str:
    shown = context.version()
    info = context.data_version()
    text = f"Version des données n° {shown.number} ({info.empreinte}, du {_date_fr(info.construite_le)})"
    if pinning.pinned() is not None:
        latest = context.current_version()
        text += " · figée par le lien"
        if latest.number != shown.number:
            text += f" · une version plus récente existe (n° {latest.number})"
    return (f"{text} · Source principale : {config.academie().bilan} · Valeurs marquées « illustratif » : "
            "données de démonstration.")


def render_footer() -> None:
    st.divider()
    st.caption(escape_markdown(footer_text()))
    if pinning.pinned() is not None and context.current_version().number != context.version().number:
        st.button("Afficher la version courante des données", on_click=pinning.unpin, key="footer_unpin",
                  icon=":material/update:", type="tertiary")
