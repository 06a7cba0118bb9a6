"""« Instantané de séance » on the Présentation page: publish it behind the QR code, download it.

The séance's address (`observatoire.publication`) is known before anything is published; once the file exists,
the QR code of the title slide (screen, PPTX, instantané) encodes it, so the room opens a static file instead of
running the dashboard 150 times; the instantané's « Ouvrir le tableau de bord » leads to the live view with the
same filters and data version (`presentation.view_url`).

The dashboard's public base address comes from ONE place, `dashboard_base()`, derived from
`components.presentation.view_url`: when that function learns a configured public address (issue 17: environment
variable / `[observatoire] url_publique`), the instantané's address follows with no change here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence

import streamlit as st

from components import context
from components import presentation as slides
from observatoire import publication
from observatoire.filters import Filters, to_params
from observatoire.text import escape_html
from observatoire.views.model import Presentation

LOGGER = logging.getLogger(__name__)
PUBLISH_KEY = "pres_publish"
DOWNLOAD_KEY = "pres_html"
_DONE = "_instantane_publie"
_REQUESTED = "_instantane_demande"


def dashboard_base() -> str:
    """The dashboard's public base address (`https://observatoire.example.fr`, no trailing slash; "" when unknown,
    e.g. under AppTest): whatever `presentation.view_url` puts before its path."""
    return slides.view_url(Filters(), None).removesuffix("/")


def seance_params(filters: Filters, extra: Mapping[str, str | Sequence[str]] | None = None) -> dict:
    """What makes a séance besides the data version: the filters (canonical URL values) and the presenter's other
    choices (`extra`, e.g. the zoom bassin)."""
    return {**to_params(filters), **(extra or {})}


def seance(
    filters: Filters, version: int, extra: Mapping[str, str | Sequence[str]] | None = None
) -> publication.Seance | None:
    """The séance of these filters on this data version; None (logged) when the store cannot give the
    publication key (a read-only store): the QR code then keeps the live view."""
    try:
        return publication.seance(
            context.repository().root, version, seance_params(filters, extra), dashboard_base()
        )
    except OSError as err:
        LOGGER.warning("Instantané indisponible : %s", err)
        return None


def qr_url(found: publication.Seance | None, live: str) -> str:
    """The address of the QR code: the published instantané, else the live view."""
    return found.url if found is not None and found.published else live


def instantane_html(deck: Presentation, url: str, live: str) -> str:
    """The instantané of `deck` whose QR code encodes `url` and whose dashboard link is `live`."""
    from observatoire.exports import html

    shown = dataclasses.replace(deck, context=dataclasses.replace(deck.context, url=url))
    return html.presentation_html(shown, dashboard_url=live)


def _publish(deck: Presentation, found: publication.Seance, live: str) -> str:
    """Write the instantané; "" when done, else the French reason."""
    try:
        publication.publish(instantane_html(deck, found.url, live), found.token)
    except publication.PublicationError as err:
        LOGGER.exception("Publication de l'instantané impossible")
        return str(err)
    return ""


def _request() -> None:
    st.session_state[_REQUESTED] = True


def publish_if_requested(deck: Presentation, found: publication.Seance | None, live: str) -> bool:
    """Publish when the presenter clicked « Publier » (a request kept in the session: it survives a rerun of the
    router before the page is drawn). True when published: the caller builds the deck again, its QR code now
    leads to the instantané."""
    if not st.session_state.pop(_REQUESTED, False) or found is None:
        return False
    problem = _publish(deck, found, live)
    st.session_state[_DONE] = problem
    return not problem


def render_controls(deck: Presentation, found: publication.Seance | None, live: str) -> None:
    """Under the title slide: « Publier l'instantané (code QR) », « Télécharger l'instantané (HTML) » and what the
    QR code opens now."""
    from observatoire.exports import html

    publish_col, download_col, said = st.columns([2.2, 2.5, 4.3], vertical_alignment="center")
    if found is not None:
        label = "Republier l'instantané" if found.published else "Publier l'instantané (code QR)"
        publish_col.button(
            label,
            key=PUBLISH_KEY,
            icon=":material/qr_code_2:",
            width="stretch",
            on_click=_request,
            help="Écrit l'instantané de cette séance à une adresse fixe et "
            "difficile à deviner ; le code QR y mène ensuite.",
        )
    download_col.download_button(
        "Télécharger l'instantané (HTML)",
        lambda: instantane_html(deck, deck.context.url, live).encode("utf-8"),
        file_name=html.html_file_name(deck),
        mime=html.MIME,
        on_click="ignore",
        icon=":material/download:",
        key=DOWNLOAD_KEY,
        width="stretch",
        help="Un seul fichier, lisible hors ligne et sur téléphone : les mêmes diapositives, valeurs au survol.",
    )
    problem = st.session_state.pop(_DONE, None)
    if problem:
        said.html(f'<p class="obs-source" role="alert">{escape_html(problem)}</p>')
    elif found is not None and found.published:
        said.html(
            f'<p class="obs-source">Le code QR mène à l\'instantané publié : '
            f'<a href="{escape_html(found.url)}" target="_blank" rel="noopener">'
            f"{escape_html(found.url)}</a></p>"
        )
    else:
        said.html(
            '<p class="obs-source">Le code QR mène au tableau de bord en direct. Publiez l\'instantané : la '
            "salle l'ouvrira sur téléphone sans attendre (un fichier, les mêmes chiffres).</p>"
        )
