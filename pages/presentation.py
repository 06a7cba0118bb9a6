"""Présentation — the séminaire slides for the current filters and data version, full screen, keyboard arrows,
the bassin of the zoom slide (`?zoom=CODE`), PPTX download. Built by `observatoire.views.presentation`, drawn by
`components.presentation`."""

from __future__ import annotations

from components import context, routing
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
url = slides.view_url(filters, shown.number)
deck = context.presentation(filters, url, zoom)
index = slides.current_index(len(deck.slides))
slides.go_to(index)
slides.render_slide(deck, index)


def deck_pptx() -> bytes:
    """The PPTX, built when the button is clicked; python-pptx (and lxml, Pillow: ≈ 11 MiB per process) is only
    imported then."""
    from observatoire.exports import pptx

    return pptx.presentation_pptx(deck)


on_zoom = deck.slides[index].kind == "focus"  # the presenter chooses the bassin where it is shown
slides.render_navigation(len(deck.slides), index, deck_pptx, file_name(deck), zoom=choices if on_zoom else None,
                         default_zoom=deck.default_highlight)
if index == 0:
    slides.render_qr_warning(url)
