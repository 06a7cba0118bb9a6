"""Présentation — the séminaire slides for the current filters and data version, full screen, keyboard arrows,
PPTX download; on the title slide, the instantané de séance (publish it behind the QR code, download it:
`components.instantane`). Built by `observatoire.views.presentation`, drawn by `components.presentation`."""

from __future__ import annotations

from components import context, instantane, routing
from components import presentation as slides
from observatoire.filters import Filters

filters: Filters = routing.page_filters()
if slides.leaving():
    slides.leave("pages/vue_ensemble.py")
slides.mount_chrome()
shown = context.version()
live = slides.view_url(filters, shown.number)
seance = instantane.seance(filters, shown.number)  # the instantané: the QR code leads there once published
deck = context.presentation(filters, instantane.qr_url(seance, live))
if instantane.publish_if_requested(deck, seance, live):  # « Publier l'instantané » clicked
    deck = context.presentation(filters, instantane.qr_url(seance, live))
index = slides.current_index(len(deck.slides))
slides.go_to(index)
slides.render_slide(deck, index)
if index == 0:
    instantane.render_controls(deck, seance, live)
year = deck.context.school_year


def deck_pptx() -> bytes:
    """The PPTX, built when the button is clicked; python-pptx (and lxml, Pillow: ≈ 11 MiB per process) is only
    imported then."""
    from observatoire.exports import pptx

    return pptx.presentation_pptx(deck)


slides.render_navigation(len(deck.slides), index, deck_pptx,
                         f"Observatoire du numérique éducatif — séminaire {year}.pptx")
