"""Footer of every page: the data version shown (number, date), whether it is pinned or a newer one exists,
and the main source."""

from __future__ import annotations

import streamlit as st

from components import context, pinning
from observatoire import clock, versions
from observatoire.text import escape_markdown


def _date_fr(iso: str) -> str:
    """The version's date in Paris (a version published at 00:30 in Paris is of that day)."""
    return clock.paris_date(iso)


def footer_text(latest: versions.Version | None = None) -> str:
    """`latest`: the current version when the view is pinned (None: not pinned)."""
    shown = context.version()
    info = context.data_version()
    text = f"Version des données n° {shown.number} ({info.empreinte}, du {_date_fr(info.construite_le)})"
    if latest is not None:
        text += " · figée par le lien"
        if latest.number != shown.number:
            text += f" · une version plus récente existe (n° {latest.number})"
    return (
        f"{text} · Source principale : {context.academie().bilan} · Valeurs marquées « illustratif » : "
        "données de démonstration."
    )


def render_footer() -> None:
    # a pinned view reads the pointer once more (is there a newer version?), a view that follows it does not
    latest = context.current_version() if pinning.pinned() is not None else None
    st.divider()
    st.caption(escape_markdown(footer_text(latest)))
    if latest is not None and latest.number != context.version().number:
        shown = context.version().number
        left, right = st.columns(2, gap="small")
        with left:
            st.page_link(
                "pages/donnees.py",
                label=f"Voir ce qui a changé depuis la version n° {shown}",
                icon=":material/difference:",
                query_params={"depuis": str(shown), "vers": str(latest.number)},
            )
        with right:
            st.button(
                "Afficher la version courante des données",
                on_click=pinning.unpin,
                key="footer_unpin",
                icon=":material/update:",
                type="tertiary",
            )
