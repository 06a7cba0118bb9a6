"""Footer of every page: data version (content hash + build date) and the main source."""

from __future__ import annotations

import streamlit as st

from components import context
from observatoire import config
from observatoire.text import escape_markdown


def footer_text() -> str:
    version = context.data_version(str(config.database_path()))
    date = version.construite_le[:10]
    date_fr = f"{date[8:10]}/{date[5:7]}/{date[:4]}" if len(date) == 10 else date
    return (f"Version des données : {version.empreinte} (construite le {date_fr}) · Source principale : "
            f"{config.academie().bilan} · Valeurs marquées « illustratif » : données de démonstration.")


def render_footer() -> None:
    st.divider()
    st.caption(escape_markdown(footer_text()))
