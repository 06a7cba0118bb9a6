"""Présentation — the séminaire slides for the current filters and data version, full screen, keyboard arrows,
the bassin of the zoom slide (`?zoom=CODE`), PPTX download; on the title slide, the instantané de séance (publish
it behind the QR code, download it: `components.instantane`). Built by `observatoire.views.presentation`, drawn by
`components.presentation`."""

from __future__ import annotations

from components import context, instantane, routing
from components import presentation as slides
from observatoire.filters import Filters
from observatoire.views.presentation import file_name

filters: Filters = routing.page_filters()
if slides.leaving():
    slides.leave("pages/vue_ensemble.py")
slides.mount_chrome()
shown = context.version()
choices = context.focus_choices(filters)
zoom = slides.zoom_choice(choices)
live = slides.view_url(filters, shown.number)
# the instantané of this séance (filters, zoom, version): the QR code leads there once it is published
seance = instantane.seance(filters, shown.number, {"zoom": zoom} if zoom else None)
deck = context.presentation(filters, instantane.qr_url(seance, live), zoom)
if instantane.publish_if_requested(deck, seance, live):  # « Publier l'instantané » clicked
    deck = context.presentation(filters, instantane.qr_url(seance, live), zoom)
index = slides.current_index(len(deck.slides))
slides.go_to(index)
slides.render_slide(deck, index)
if index == 0:
    instantane.render_controls(deck, seance, live)


def deck_pptx() -> bytes:
    """The PPTX, built when the button is clicked; python-pptx (and lxml, Pillow: ≈ 11 MiB per process) is only
    imported then."""
    from observatoire.exports import pptx

    return pptx.presentation_pptx(deck)


on_zoom = deck.slides[index].kind == "focus"  # the presenter chooses the bassin where it is shown
slides.render_navigation(
    len(deck.slides),
    index,
    deck_pptx,
    file_name(deck),
    zoom=choices if on_zoom else None,
    default_zoom=deck.default_highlight,
)
if index == 0:
    slides.render_qr_warning(live)
