"""A `Fiche` (bassin or laboratoire) as a one-page A4 landscape PDF, drawn with fpdf2.

Layout: title, subtitle and context (filters, school year, data version) at the top, the « Données
illustratives » badge (and the lab's status) on the right; the key figures as a grid of cards, then the sections
(labs of the bassin, the place, the projects cited by the bilan); the map (PNG by kaleido, `png.figure_png`) in
the right column; how to read the figures, the source and the footer (date, « Observatoire du numérique éducatif
— DRANE <académie> », `Context.drane`) at the bottom.

Unicode French text (« », U+202F, œ, ’) needs a Unicode font: fpdf2's core fonts are Latin-1 only, so DejaVu Sans
(regular and bold), vendored in static/vendor/dejavu-fonts-ttf-<version>/ by scripts/vendor_assets.sh, is
embedded (subset). Nothing is read from the network or the system fonts.

Everything fits on ONE page and no text is ever cut: the fonts shrink step by step, then the longest lists are
shortened with « … et N autres ».
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from observatoire import config
from observatoire.exports import png
from observatoire.figures import cards
from observatoire.views.fiches import Fiche, fiche_file_stem
from observatoire.views.model import Context

if TYPE_CHECKING:  # fpdf2 (+ Pillow, lxml: ≈ 28 MiB) is imported when a PDF is built, not for the button
    from fpdf import FPDF

FONT_DIR_GLOB = "dejavu-fonts-ttf-*"
VENDOR_DIR = config.PROJECT_ROOT / "static" / "vendor"
FONT = "DejaVu"
FOOTER_TEXT = config.DASHBOARD_NAME


def footer_text(context: Context) -> str:
    """« Observatoire du numérique éducatif — DRANE Nancy-Metz » (the académie of the fiche's version)."""
    return f"{FOOTER_TEXT} — {context.drane}" if context.drane else FOOTER_TEXT


PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
MARGIN = 10.0
FIGURE_W = 100.0  # right column (the map)
PT = 0.3528  # mm per point
LINE = 1.22  # line height / font size

INK = (22, 22, 22)
GREY = (83, 83, 83)
BLUE = (0, 0, 145)  # « bleu France »
CARD_FILL = (245, 245, 254)
CARD_LINE = (221, 221, 240)
ORANGE_TEXT = (155, 69, 25)  # = png.ILLUSTRATIVE_COLOR
ORANGE_FILL = (253, 235, 211)  # = png.ILLUSTRATIVE_BACKGROUND
GREEN_TEXT = (24, 117, 60)
GREEN_FILL = (227, 241, 232)
SCALES = (1.15, 1.08, 1.0, 0.93, 0.86, 0.8, 0.74, 0.68)  # font scales tried, largest first


class FontsMissingError(RuntimeError):
    """The vendored DejaVu fonts are missing (French message)."""


@lru_cache(maxsize=1)
def font_files() -> tuple[Path, Path]:
    """(regular, bold) DejaVu Sans TTF of static/vendor (the newest vendored version)."""
    for folder in sorted(VENDOR_DIR.glob(FONT_DIR_GLOB), reverse=True):
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FontsMissingError(
        f"Police DejaVu Sans introuvable dans {VENDOR_DIR} : lancez scripts/vendor_assets.sh "
        "(les polices sont incluses dans le dépôt, rien n'est téléchargé à l'exécution)."
    )


def fiche_file_name(fiche: Fiche) -> str:
    """« Fiche bassin — Forbach — 2023-2024.pdf » (accents kept, safe on every file system)."""
    return png.safe_file_name(fiche_file_stem(fiche), "pdf")


def _rgb(pdf: FPDF, color: tuple[int, int, int], what: str = "text") -> None:
    getattr(pdf, f"set_{what}_color")(*color)


@dataclass
class _Plan:
    scale: float
    sections: tuple[tuple[str, tuple[str, ...]], ...]


class _Page:
    """Draws (or, with `draw=False`, only measures) the blocks of the page at a font `scale`."""

    def __init__(self, pdf: FPDF, scale: float, draw: bool) -> None:
        self.pdf, self.scale, self.draw = pdf, scale, draw

    def text(
        self,
        x: float,
        y: float,
        w: float,
        text: str,
        size: float,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        align: str = "L",
    ) -> float:
        """A wrapped paragraph; returns its height (mm)."""
        size *= self.scale
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        _rgb(pdf, color)
        pdf.set_xy(x, y)
        # fpdf2 types the result of every `output` mode together: HEIGHT gives a float
        height = cast(
            float,
            pdf.multi_cell(
                w,
                size * PT * LINE,
                text,
                align=align,
                dry_run=not self.draw,
                output="HEIGHT",
                new_x="LEFT",
                new_y="NEXT",
            ),
        )
        return float(height)

    def bullets(self, x: float, y: float, w: float, items: Sequence[str], size: float) -> float:
        top = y
        indent = 3.2 * self.scale
        for item in items:
            if self.draw:
                self.pdf.set_font(FONT, "B", size * self.scale)
                _rgb(self.pdf, BLUE)
                self.pdf.set_xy(x, y)
                self.pdf.cell(indent, size * self.scale * PT * LINE, "•")
            y += self.text(x + indent, y, w - indent, item, size) + 0.8 * self.scale
        return y - top

    def badge(
        self, right: float, y: float, text: str, fill: tuple[int, int, int], ink: tuple[int, int, int]
    ) -> tuple[float, float]:
        """A rounded badge ending at `right`; returns (width, height)."""
        pdf = self.pdf
        size = 9.0
        pdf.set_font(FONT, "B", size)
        w = pdf.get_string_width(text) + 6
        h = size * PT + 3.4
        if self.draw:
            _rgb(pdf, fill, "fill")
            _rgb(pdf, ink, "draw")
            pdf.set_line_width(0.45)
            pdf.rect(right - w, y, w, h, style="DF", round_corners=True, corner_radius=1.6)
            _rgb(pdf, ink)
            pdf.set_xy(right - w, y)
            pdf.cell(w, h, text, align="C")
        return w, h

    # ------------------------------------------------------------------------------------ blocks

    def card(self, x: float, y: float, w: float, h: float, fact: object) -> float:
        """One key figure: label, value (+ unit), comparison with the académie, origin. Returns its height."""
        pad = 2.4
        inner = w - 2 * pad - 1.2
        illustrative = bool(getattr(fact, "illustrative", False)) and bool(getattr(fact, "origins", ()))
        if self.draw:
            pdf = self.pdf
            _rgb(pdf, CARD_FILL, "fill")
            _rgb(pdf, CARD_LINE, "draw")
            pdf.set_line_width(0.25)
            pdf.rect(x, y, w, h, style="DF")
            _rgb(pdf, ORANGE_TEXT if illustrative else BLUE, "fill")
            pdf.rect(x, y, 1.2, h, style="F")
        cx, cy = x + 1.2 + pad, y + pad
        value = str(fact.value)  # type: ignore[attr-defined]
        cy += self.text(cx, cy, inner, str(fact.label), 8.0, bold=True, color=GREY)  # type: ignore[attr-defined]
        unit = str(getattr(fact, "unit", "") or "")
        label = str(fact.label)  # type: ignore[attr-defined]
        shown_unit = "" if not unit or unit == "%" or value == "—" or cards.unit_in_label(label, unit) else unit
        cy += 0.6 * self.scale
        value_h = self.text(cx, cy, inner, value, 16.0, bold=True, color=INK)
        if shown_unit and self.draw:
            pdf = self.pdf
            pdf.set_font(FONT, "B", 16.0 * self.scale)
            vw = pdf.get_string_width(value)
            pdf.set_font(FONT, "", 8.5 * self.scale)
            if vw + pdf.get_string_width(" " + shown_unit) <= inner:
                _rgb(pdf, GREY)
                pdf.set_xy(cx + vw + 1.0, cy + value_h - 8.5 * self.scale * PT * LINE - 0.5 * self.scale)
                pdf.cell(inner - vw - 1.0, 8.5 * self.scale * PT * LINE, shown_unit)
        cy += value_h + 0.4 * self.scale
        delta = str(getattr(fact, "delta", "") or "")
        for part in (p for p in delta.split(" · ") if p):  # « 3,2 % de l'académie (64,5 M) », « rang : 4e sur 17 »
            cy += self.text(cx, cy, inner, part[:1].upper() + part[1:], 7.5, color=INK)
        source = str(getattr(fact, "source", "") or "")
        if source:
            cy += 0.5 * self.scale
            cy += self.text(cx, cy, inner, f"Source : {source}", 6.8, color=ORANGE_TEXT if illustrative else GREY)
        return cy + pad - y

    def facts(self, x: float, y: float, w: float, facts: Sequence[object], columns: int) -> float:
        if not facts:
            return 0.0
        gap = 3.0
        cw = (w - gap * (columns - 1)) / columns
        top = y
        for start in range(0, len(facts), columns):
            row = facts[start : start + columns]
            measure = _Page(self.pdf, self.scale, draw=False)
            h = max(measure.card(0, 0, cw, 0, f) for f in row)
            if self.draw:
                for i, fact in enumerate(row):
                    self.card(x + i * (cw + gap), y, cw, h, fact)
            y += h + gap
        return y - top - gap

    def sections(self, x: float, y: float, w: float, sections: Sequence[tuple[str, Sequence[str]]]) -> float:
        """Sections side by side (two columns when there are two or more), each a heading and bullets."""
        if not sections:
            return 0.0
        columns = 2 if len(sections) >= 2 else 1
        gap = 6.0
        cw = (w - gap * (columns - 1)) / columns
        heights = [0.0] * columns
        for i, (heading, items) in enumerate(sections):
            col = i % columns if len(sections) <= columns else heights.index(min(heights))
            cx, cy = x + col * (cw + gap), y + heights[col]
            h = self.text(cx, cy, cw, heading, 10.0, bold=True, color=BLUE)
            if self.draw:
                _rgb(self.pdf, BLUE, "draw")
                self.pdf.set_line_width(0.3)
                self.pdf.line(cx, cy + h + 0.3, cx + cw, cy + h + 0.3)
            h += 1.6 * self.scale
            h += self.bullets(cx, cy + h, cw, items, 8.4)
            heights[col] += h + 3.0 * self.scale
        return max(heights) - 3.0 * self.scale


def _truncated(
    sections: tuple[tuple[str, tuple[str, ...]], ...], index: int, keep: int
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Section `index` with its first `keep` items, then « … et N autres »."""
    heading, items = sections[index]
    hidden = len(items) - keep
    if hidden <= 0:
        return sections
    kept = items[:keep] + (f"… et {hidden} autre{'s' if hidden > 1 else ''}",)
    return sections[:index] + ((heading, kept),) + sections[index + 1 :]


class _Layout:
    """Where the blocks go at a given scale (computed with measuring passes, then drawn once)."""

    def __init__(self, pdf: FPDF, fiche: Fiche, today: date) -> None:
        self.pdf, self.fiche, self.today = pdf, fiche, today

    def badges(self, page: _Page, y: float) -> tuple[float, float]:
        """Badges at the top right; returns (total width, bottom)."""
        fiche, right, widest, bottom = self.fiche, PAGE_W - MARGIN, 0.0, y
        if fiche.illustrative:
            w, h = page.badge(right, bottom, png.ILLUSTRATIVE_LABEL, ORANGE_FILL, ORANGE_TEXT)
            widest, bottom = max(widest, w), bottom + h + 1.5
        if fiche.status:
            fill, ink = (ORANGE_FILL, ORANGE_TEXT) if fiche.status_illustrative else (GREEN_FILL, GREEN_TEXT)
            w, h = page.badge(right, bottom, fiche.status, fill, ink)
            widest, bottom = max(widest, w), bottom + h + 1.5
        return widest, bottom

    def header(self, page: _Page) -> float:
        fiche = self.fiche
        y = MARGIN - 1
        badge_w, badge_bottom = self.badges(page, y)
        width = PAGE_W - 2 * MARGIN - (badge_w + 4 if badge_w else 0)
        context = fiche.context
        y += page.text(
            MARGIN,
            y,
            width,
            f"{fiche.kind_label} · {context.academie} · Observatoire du numérique éducatif",
            8.0,
            color=GREY,
        )
        y += page.text(MARGIN, y, width, fiche.title, 20.0, bold=True, color=BLUE)
        y += page.text(MARGIN, y, width, fiche.subtitle, 10.5, color=INK) + 0.6
        line = f"Année scolaire {context.school_year} · Filtres : {context.filters_text} · {context.version_text}"
        y += page.text(MARGIN, y, PAGE_W - 2 * MARGIN, line, 8.0, color=GREY)
        y = max(y, badge_bottom) + 1.5
        if page.draw:
            _rgb(self.pdf, BLUE, "draw")
            self.pdf.set_line_width(0.6)
            self.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
        return y + 3.0

    def footer(self, page: _Page) -> float:
        """Notes, source and footer line, from the bottom up; returns the top of the block."""
        fiche = self.fiche
        width = PAGE_W - 2 * MARGIN
        foot_y = PAGE_H - MARGIN + 1
        measure = _Page(self.pdf, page.scale, draw=False)
        source = f"Source : {fiche.source or 'non précisée'}"
        notes = " ".join(fiche.notes)
        source_h = measure.text(MARGIN, 0, width, source, 7.6)
        notes_h = measure.text(MARGIN, 0, width, notes, 7.2) if notes else 0.0
        top = foot_y - 2.0 - source_h - (notes_h + 0.8 if notes else 0.0) - 1.2
        if page.draw:
            y = top
            _rgb(self.pdf, CARD_LINE, "draw")
            self.pdf.set_line_width(0.3)
            self.pdf.line(MARGIN, y - 0.6, PAGE_W - MARGIN, y - 0.6)
            y += 0.6
            if notes:
                y += page.text(MARGIN, y, width, notes, 7.2, color=GREY) + 0.8
            page.text(MARGIN, y, width, source, 7.6, color=ORANGE_TEXT if fiche.illustrative else GREY)
            pdf = self.pdf
            pdf.set_font(FONT, "B", 8.0)
            _rgb(pdf, BLUE)
            pdf.set_xy(MARGIN, foot_y)
            pdf.cell(width / 2, 4, footer_text(fiche.context))
            pdf.set_font(FONT, "", 8.0)
            _rgb(pdf, GREY)
            pdf.set_xy(MARGIN + width / 2, foot_y)
            pdf.cell(width / 2, 4, f"Fiche produite le {self.today:%d/%m/%Y}", align="R")
        return top

    def body(self, page: _Page, top: float, bottom: float, sections: tuple, image: bytes | None) -> float:
        """Draws the body between `top` and `bottom`; returns the height the left column needs."""
        fiche = self.fiche
        has_figure = fiche.figure is not None
        left_w = PAGE_W - 2 * MARGIN - ((FIGURE_W + 7.0) if has_figure else 0.0)
        columns = 3 if has_figure else 4
        y = top
        h = page.facts(MARGIN, y, left_w, fiche.facts, columns)
        y += h + (5.0 * page.scale if h else 0.0)
        y += page.sections(MARGIN, y, left_w, sections)
        if has_figure and page.draw:
            self.figure(page, PAGE_W - MARGIN - FIGURE_W, top, bottom, image)
        return y - top

    def figure(self, page: _Page, x: float, top: float, bottom: float, image: bytes | None) -> None:
        fiche = self.fiche
        assert fiche.figure is not None
        y = top + page.text(x, top, FIGURE_W, fiche.figure.title, 10.0, bold=True, color=BLUE) + 1.5
        room = bottom - y - 1.0
        if image is not None:
            ratio = png_size(image)
            w = min(FIGURE_W, room / ratio)
            self.pdf.image(
                io.BytesIO(image), x=x + (FIGURE_W - w) / 2, y=y, w=w, h=w * ratio, alt_text=fiche.figure.alt
            )
        else:  # no browser to draw the map: its text alternative, framed
            h = min(room, 60.0)
            _rgb(self.pdf, CARD_LINE, "draw")
            self.pdf.rect(x, y, FIGURE_W, h)
            page.text(
                x + 3,
                y + 3,
                FIGURE_W - 6,
                "Carte non disponible (navigateur de rendu absent). " + fiche.figure.alt,
                8.0,
                color=GREY,
            )


def png_size(image: bytes) -> float:
    """Height / width of a PNG (from its IHDR chunk)."""
    width = int.from_bytes(image[16:20], "big")
    height = int.from_bytes(image[20:24], "big")
    return height / width if width else 1.0


def _new_pdf(fiche: Fiche, today: date) -> FPDF:
    from fpdf import FPDF  # lazily: see the import block

    regular, bold = font_files()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0  # texts start exactly where the layout puts them
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(f"{fiche.kind_label} — {fiche.title}")
    pdf.set_author(footer_text(fiche.context))
    pdf.set_subject(f"{fiche.context.academie}, année scolaire {fiche.context.school_year}")
    pdf.set_creator("Observatoire du numérique éducatif")
    pdf.set_lang("fr-FR")
    pdf.set_creation_date(datetime(today.year, today.month, today.day))
    pdf.add_page()
    return pdf


def _plan(pdf: FPDF, layout: _Layout, fiche: Fiche) -> _Plan:
    """The largest font scale at which everything fits on the page; if even the smallest is too large, the
    longest lists keep as many first items as fit (binary search), followed by « … et N autres »."""

    def fits(scale: float, sections: tuple[tuple[str, tuple[str, ...]], ...]) -> bool:
        page = _Page(pdf, scale, draw=False)
        top, bottom = layout.header(page), layout.footer(page)
        return layout.body(page, top, bottom, sections, None) <= bottom - top - 2.0

    sections = tuple((h, tuple(items)) for h, items in fiche.sections)
    for scale in SCALES:
        if fits(scale, sections):
            return _Plan(scale, sections)
    smallest = SCALES[-1]
    done: set[int] = set()
    while True:
        candidates = [i for i, (_, items) in enumerate(sections) if i not in done and len(items) > 1]
        if not candidates:
            return _Plan(smallest, sections)  # cannot shorten more: smallest fonts, lists of one item
        index = max(candidates, key=lambda i: len(sections[i][1]))
        done.add(index)
        items = sections[index][1]
        if not fits(smallest, _truncated(sections, index, 1)):
            sections = _truncated(sections, index, 1)  # not enough: shorten the next longest list too
            continue
        low, high = 1, len(items) - 1  # fits with `low` items kept; the whole list does not
        while low < high:
            middle = (low + high + 1) // 2
            if fits(smallest, _truncated(sections, index, middle)):
                low = middle
            else:
                high = middle - 1
        return _Plan(smallest, _truncated(sections, index, low))


def fiche_pdf(fiche: Fiche, *, today: date | None = None, image: bool = True) -> bytes:
    """The fiche as a one-page A4 landscape PDF. `image=False` (or no browser to render it): the map's text
    alternative instead of the map."""
    today = today or date.today()
    png_bytes = None
    if image and fiche.figure is not None:
        try:
            from observatoire.views.fiches import MAP_HEIGHT, MAP_WIDTH

            png_bytes = png.figure_png(fiche.figure.figure, width=MAP_WIDTH, height=MAP_HEIGHT)
        except png.RendererUnavailableError:
            png_bytes = None
    pdf = _new_pdf(fiche, today)
    layout = _Layout(pdf, fiche, today)
    plan = _plan(pdf, layout, fiche)
    page = _Page(pdf, plan.scale, draw=True)
    top, bottom = layout.header(page), layout.footer(page)
    layout.body(page, top, bottom, plan.sections, png_bytes)
    return bytes(pdf.output())
