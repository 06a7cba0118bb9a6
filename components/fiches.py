"""The « Télécharger la fiche (PDF) » button of the bassin panel (Carte) and of the lab fiche (Laboratoires).

The fiche (`observatoire.views.fiches.Fiche`) comes from the cached edge (`components.context.bassin_fiche` /
`lab_fiche`); the PDF itself is built only when the button is clicked (deferred `data` callable: no PDF, no map
image, no Chromium for a page that is only looked at) and the click does not rerun the page.
"""

from __future__ import annotations

import streamlit as st

from components import context
from observatoire.exports import pdf
from observatoire.filters import Filters
from observatoire.views.fiches import Fiche

LABEL = "Télécharger la fiche (PDF)"


def fiche(kind: str, code: str, year: str, filters: Filters | None = None) -> Fiche:
    """The fiche of a bassin or a lab (cached per data version and arguments)."""
    if kind == "bassin":
        return context.bassin_fiche(code, year, filters or Filters())
    if kind == "laboratoire":
        return context.lab_fiche(code, year, filters or Filters())
    raise ValueError(f"Type de fiche inconnu : « {kind} » (attendu : bassin ou laboratoire).")


def render_fiche_download(kind: str, code: str, year: str, filters: Filters | None, key: str) -> None:
    """The download button of the one-page PDF fiche of bassin or lab `code` (`kind`: "bassin" or
    "laboratoire") for the school year `year`; `filters`: the chosen filters (bassin fiche: the thème / niveau
    filters choose its labs and are written on the fiche; lab fiche: the thème / niveau the lab has are applied
    to its figures, as on screen, and the filters that do not apply are written « non appliqué »)."""
    try:
        built = fiche(kind, code, year, filters)
    except ValueError as error:
        st.caption(f"Fiche PDF indisponible : {error}")
        return

    def build() -> bytes:
        return pdf.fiche_pdf(built)

    help_text = (
        "Une page A4 paysage : chiffres clés comparés à l'académie, carte, "
        + ("laboratoires du bassin" if kind == "bassin" else "lieu et projets cités par le bilan")
        + ", sources"
        + (" — données illustratives signalées." if built.illustrative else ".")
    )
    st.download_button(
        LABEL,
        data=build,
        file_name=pdf.fiche_file_name(built),
        mime="application/pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key=key,
        help=help_text,
    )
