"""« Télécharger la présentation (PPTX) »: the presentation of the séminaire as a PowerPoint file (python-pptx).

16:9 (13,333 × 7,5 in), French (core properties and every text run: fr-FR), blank layout with our own text boxes
so nothing depends on the template's 4:3 placeholders. Sized for the back of a room (`MIN_PT`): titles 32 pt
(a long one down to 24 pt to stay on one line), key figures 44 pt, no text below 14 pt — neither in the text
boxes nor in the pictures, which are drawn at the size they are shown (`default_render`, `look`); school years
never broken across lines (`keep_years`); the map's picture spans the slide (≥ `MAP_SHARE` of its area).

- A title slide first: académie, title, filters, school year, data version and, when the context has an
  address, its QR code. A `Slide` of kind « titre » given first becomes that slide (its subtitle and bullets
  are added); otherwise it is generated.
- Then one slide per `Slide`: title, subtitle, its scope (territory, filters that apply, chosen ones that do
  not), key figures (value, label, change, year when not the headline's, filters not applied), the figure as a
  picture (rendered by `render` for its box, by default `default_render`), bullets, a source line at the
  bottom, the orange « Données illustratives » badge when `slide.illustrative`, speaker notes (`slide.notes`,
  or the key figures when the builder gave none) and an alternative text on every picture.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence

import plotly.graph_objects as go
from pptx import Presentation as PptxPresentation
from pptx.dml.color import RGBColor
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from observatoire.exports import look, png, qr
from observatoire.views import static_map
from observatoire.views.model import Context, Figure, KeyFigure, Presentation, Slide

Render = Callable[[Figure, Context, tuple[float, float]], bytes]
"""Draws a slide's figure: (figure, context, (width, height) of its box in points) → PNG bytes."""

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.45)
MAP_MARGIN = Inches(0.25)  # the map slide's picture spans the slide: ≥ 60 % of its area (`MAP_SHARE`)
MAP_SHARE = 0.6
BLANK_LAYOUT = 6  # « Vide » of python-pptx's default template
SIDE_WIDTH = Inches(3.7)  # the key figure beside an evolution chart
GAP = Inches(0.2)

INK = RGBColor(0x16, 0x16, 0x16)
GREY = RGBColor(0x3A, 0x3A, 0x3A)
BLUE = RGBColor(0x00, 0x00, 0x91)  # bleu France, the dashboard's primary colour
ILLUSTRATIVE = RGBColor.from_string(png.ILLUSTRATIVE_COLOR.lstrip("#"))
ILLUSTRATIVE_FILL = RGBColor.from_string(png.ILLUSTRATIVE_BACKGROUND.lstrip("#"))
CARD_FILL = RGBColor(0xF3, 0xF4, 0xF8)
FONT = "Marianne"  # falls back to the reader's sans-serif when missing

MIN_PT = look.MIN_SLIDE_PT
"""The legibility rule: no text of a slide below 14 pt — text boxes here, chart pictures through
`look.export_figure(min_font=MIN_PT)` drawn at the size they are shown (1 px = 1 pt)."""
TITLE_PT = 32
TITLE_MIN_PT = 24  # a long title is set smaller to stay on one line, never below this
SUBTITLE_PT = 20
SCOPE_PT = 16
FIGURE_PT = 44
LABEL_PT = 18
DELTA_PT = 16
NOTE_PT = MIN_PT  # a card's year, scope and « illustratif » lines
BULLET_PT = 20
SOURCE_PT = MIN_PT
BADGE_PT = 16
FLOORS: dict[float, float] = {FIGURE_PT: 28, LABEL_PT: 16, DELTA_PT: MIN_PT, NOTE_PT: MIN_PT}
"""How far a card's sizes may shrink to fit its box (never below `MIN_PT`)."""
LINE = 1.2  # line height, in em
_YEAR = re.compile(r"(\d{4})-(\d{4})")
NB_HYPHEN = "\u2011"


def keep_years(text: str) -> str:
    """School years never broken across lines: « 2022-2023 » with a no-break hyphen (U+2011), which
    PowerPoint and LibreOffice do not break at (an ordinary hyphen is a break opportunity)."""
    return _YEAR.sub(rf"\1{NB_HYPHEN}\2", text)


def slide_figure(figure: go.Figure, box: tuple[float, float]) -> go.Figure:
    """What a slide box of `box` points shows of `figure`: drawn at that size (1 CSS px = 1 pt,
    `look.canvas_for`), so that its fonts read on the slide at the size the figure sets, every text at least
    `MIN_PT` (`look.export_figure`); a map laid out for that size (`static_map.fit`)."""
    width, height = look.canvas_for(*box)
    plain = go.Figure(figure)
    plain.update_layout(
        paper_bgcolor="white", plot_bgcolor="white", width=width, height=height, margin_t=12
    )  # no mode bar in a picture: the room kept for it above the plot goes
    static_map.fit(plain, width, height)
    return look.export_figure(plain, width=width, height=height, min_font=MIN_PT)


def default_render(figure: Figure, context: Context, box: tuple[float, float] = (960.0, 540.0)) -> bytes:
    """The figure as a PNG for a slide box of `box` points (`slide_figure`), rendered `look.SLIDE_SCALE` times
    larger for sharpness. The slide itself carries the title, the scope, the source line and the illustrative
    badge, so the picture does not repeat them."""
    shown = slide_figure(figure.figure, box)
    return png.figure_png(
        shown, width=shown.layout.width, height=shown.layout.height, scale=look.SLIDE_SCALE, min_font=MIN_PT
    )


def _lines(text: str, size: float, width_pt: float, bold: bool = False) -> int:
    """Lines that `text` takes at `size` points in a box `width_pt` wide (an average glyph is ≈ 0,55 em wide
    in the sans-serif fonts a projector's PowerPoint or LibreOffice uses, 0,62 em in bold: generous
    estimates); a school year is never cut (`keep_years`): a word longer than a line counts for its own line."""
    per_line = max(1, int(width_pt / (size * (0.62 if bold else 0.55))))
    total = 0
    for part in text.split("\n"):
        count, length = 1, 0
        for word in part.split(" "):
            size_word = len(word)
            if length and length + 1 + size_word > per_line:
                count += 1
                length = size_word
            else:
                length += (1 if length else 0) + size_word
            while length > per_line:
                count += 1
                length -= per_line
        total += count
    return total


def _height(paragraphs: Sequence[tuple[str, float]], width_pt: float) -> float:
    """Points that paragraphs of (text, size) take in a box `width_pt` wide."""
    return sum(_lines(text, size, width_pt) * size * LINE for text, size in paragraphs)


def _text_box(
    slide,
    left,
    top,
    width,
    height,
    paragraphs: Sequence[tuple[str, float, bool, RGBColor]],
    *,
    align=PP_ALIGN.LEFT,
    anchor=MSO_ANCHOR.TOP,
    name: str = "",
):
    """A text box with one paragraph per (text, size in pt, bold, colour); French, word-wrapped."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    frame.margin_top = frame.margin_bottom = Inches(0.03)
    for index, (text, size, bold, color) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = keep_years(text)
        _style(run.font, size, bold, color)
    return box


def _style(font, size: float, bold: bool, color: RGBColor) -> None:
    font.size = Pt(size)
    font.bold = bold
    font.name = FONT
    font.color.rgb = color
    font.language_id = MSO_LANGUAGE_ID.FRENCH


def _badge(slide, left, top) -> None:
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, Inches(3.0), Inches(0.48))
    shape.name = "Badge données illustratives"
    shape.fill.solid()
    shape.fill.fore_color.rgb = ILLUSTRATIVE_FILL
    shape.line.color.rgb = ILLUSTRATIVE
    shape.line.width = Pt(2)
    shape.shadow.inherit = False
    frame = shape.text_frame
    frame.margin_top = frame.margin_bottom = Inches(0.02)
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.CENTER
    run = paragraph.add_run()
    run.text = png.ILLUSTRATIVE_LABEL
    _style(run.font, BADGE_PT, True, ILLUSTRATIVE)


def _picture(slide, data: bytes, left, top, max_width, max_height, alt: str, name: str):
    """The image, as large as fits in the box with its own proportions, centred; `alt` as its description."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        ratio = image.width / image.height
    width, height = max_width, int(max_width / ratio)
    if height > max_height:
        width, height = int(max_height * ratio), max_height
    picture = slide.shapes.add_picture(
        io.BytesIO(data), left + (max_width - width) // 2, top, Emu(width), Emu(height)
    )
    picture.name = name
    picture._element.nvPicPr.cNvPr.set("descr", alt)  # alternative text (read by screen readers)
    return picture


def _notes(slide, text: str) -> None:
    frame = slide.notes_slide.notes_text_frame
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.language_id = MSO_LANGUAGE_ID.FRENCH


def key_figure_text(figure: KeyFigure) -> str:
    """« Visites de l'ENT : 64,5 M (+11,1 % par rapport à 2022-2023) » — for the speaker notes."""
    text = f"{figure.label} : {figure.value}"
    if figure.delta:
        text += f" ({figure.delta})"
    for note in (figure.year_note, figure.scope_note):
        if note:
            text += f" — {note}"
    if figure.illustrative:
        text += " — évolution illustrative" if figure.illustrative_mark else " — donnée illustrative"
    return text


def slide_notes(slide: Slide) -> str:
    """The builder's notes, else the key figures, one a line; the scope and the source in both cases."""
    lines = [slide.notes.strip()] if slide.notes.strip() else [key_figure_text(f) for f in slide.figures]
    if slide.scope:
        lines.append(f"Périmètre : {slide.scope}")
    if slide.illustrative:
        lines.append("Attention : données illustratives (ni bilan ni import).")
    if slide.source:
        lines.append(f"Source : {slide.source}")
    return "\n".join(line for line in lines if line)


Paragraph = tuple[str, float, bool, RGBColor]  # text, size in points, bold, colour


def _card_lines(figure: KeyFigure) -> list[Paragraph]:
    value_pt = FIGURE_PT if len(figure.value) <= 7 else FIGURE_PT - 8
    paragraphs: list[Paragraph] = [(figure.value, value_pt, True, BLUE), (figure.label, LABEL_PT, False, INK)]
    if figure.delta:
        paragraphs.append((figure.delta, DELTA_PT, False, GREY))
    if figure.year_note:
        paragraphs.append((figure.year_note, NOTE_PT, True, INK))
    if figure.scope_note:
        paragraphs.append((figure.scope_note, NOTE_PT, False, GREY))
    if figure.illustrative:
        paragraphs.append((figure.illustrative_text, NOTE_PT, True, ILLUSTRATIVE))
    return paragraphs


def _floor(size: float) -> float:
    return FLOORS[FIGURE_PT] if size > LABEL_PT else FLOORS.get(size, MIN_PT)


def card_paragraphs(figure: KeyFigure, width_pt: float, height_pt: float) -> list[Paragraph]:
    """The paragraphs of a key-figure card (value, label, change, year, scope, « illustratif »), their sizes
    scaled down together when they would not fit a card of `width_pt` × `height_pt` (a 1,2 line height), each
    never below its floor (`FLOORS`: the value 28 pt, nothing below `MIN_PT`): the card is then made taller."""
    paragraphs = _card_lines(figure)

    def sized(scale: float) -> list[Paragraph]:
        return [
            (text, round(max(_floor(size), size * scale), 1), bold, color)
            for text, size, bold, color in paragraphs
        ]

    scale = 1.0
    while scale > 0.5 and _height([(t, z) for t, z, _, _ in sized(scale)], width_pt) > height_pt:
        scale -= 0.05
    return sized(scale)


def card_height(figure: KeyFigure, width_pt: float) -> float:
    """Points a card `width_pt` wide needs for its text at full size (inner margins included)."""
    return (
        _height([(t, z) for t, z, _, _ in _card_lines(figure)], width_pt - 2 * CARD_MARGIN_X.pt)
        + 2 * CARD_MARGIN_Y.pt
    )


CARD_MARGIN_X, CARD_MARGIN_Y = Inches(0.15), Inches(0.08)


def _key_figures(slide, figures: Sequence[KeyFigure], left, top, width, height, columns: int) -> int:
    """Cards in `columns`, as tall as their longest text needs (never more than the room): returns the height
    they take (EMU)."""
    rows = -(-len(figures) // columns)
    cell_w = (width - GAP * (columns - 1)) // columns
    needed = max(card_height(f, Emu(cell_w).pt) for f in figures)
    cell_h = min((height - GAP * (rows - 1)) // rows, int(Pt(needed + 8)))
    for index, figure in enumerate(figures):
        row, column = divmod(index, columns)
        x, y = left + column * (cell_w + GAP), top + row * (cell_h + GAP)
        card = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, cell_w, cell_h)
        card.name = f"Chiffre clé {index + 1}"
        card.fill.solid()
        card.fill.fore_color.rgb = CARD_FILL
        card.line.fill.background()
        card.shadow.inherit = False
        frame = card.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        frame.margin_left = frame.margin_right = CARD_MARGIN_X
        frame.margin_top = frame.margin_bottom = CARD_MARGIN_Y
        paragraphs = card_paragraphs(
            figure, Emu(cell_w - 2 * CARD_MARGIN_X).pt, Emu(cell_h - 2 * CARD_MARGIN_Y).pt
        )
        for i, (text, size, bold, color) in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.LEFT
            run = paragraph.add_run()
            run.text = keep_years(text)
            _style(run.font, size, bold, color)
    return rows * cell_h + (rows - 1) * GAP


def bullet_size(bullets: Sequence[str], width_pt: float, height_pt: float) -> float:
    """The largest size from `BULLET_PT` down to 16 pt at which the bullets fit the box (16 pt otherwise)."""
    size = BULLET_PT
    while size > 16 and _height([(f"• {b}", size) for b in bullets], width_pt) + len(bullets) * 4 > height_pt:
        size -= 1
    return size


def _bullets(slide, bullets: Sequence[str], left, top, width, height) -> None:
    size = bullet_size(bullets, Emu(width).pt - 8, Emu(height).pt - 6)
    box = _text_box(
        slide, left, top, width, height, [(f"• {b}", size, False, INK) for b in bullets], name="Points clés"
    )
    for paragraph in box.text_frame.paragraphs[1:]:
        paragraph.space_before = Pt(4)


def title_size(title: str, width_pt: float) -> float:
    """The title's size: `TITLE_PT`, smaller (down to `TITLE_MIN_PT`) when that keeps it on one line."""
    size = TITLE_PT
    while size > TITLE_MIN_PT and _lines(title, size, width_pt, bold=True) > 1:
        size -= 1
    return size


def _header(page, slide: Slide) -> int:
    """Title, subtitle and scope of a content slide; returns where the content starts (EMU)."""
    content_w = SLIDE_WIDTH - 2 * MARGIN
    width_pt = Emu(content_w).pt - 8
    size = title_size(slide.title, width_pt)
    title_h = Pt(_lines(slide.title, size, width_pt, bold=True) * size * LINE + 8)
    top: int = Inches(0.2)
    _text_box(
        page,
        MARGIN,
        top,
        content_w,
        title_h,
        [(slide.title, size, True, INK)],
        anchor=MSO_ANCHOR.MIDDLE,
        name="Titre",
    )
    top += title_h
    paragraphs: list[Paragraph] = []
    if slide.subtitle:
        paragraphs.append((slide.subtitle, SUBTITLE_PT, False, GREY))
    if slide.scope:
        paragraphs.append((slide.scope, SCOPE_PT, False, GREY))
    if paragraphs:
        height = Pt(_height([(t, z) for t, z, _, _ in paragraphs], width_pt) + 6)
        _text_box(page, MARGIN, top, content_w, height, paragraphs, name="Sous-titre et périmètre")
        top += height
    return top + Inches(0.1)


def _footer_top(source: str, illustrative: bool, context: Context) -> int:
    return SLIDE_HEIGHT - Inches(0.12) - _footer_height(source, illustrative, context)


def _footer_line(source: str, context: Context) -> str:
    text = f"Source : {source}" if source else ""
    return " — ".join(t for t in (text, context.version_text) if t)


def _footer_height(source: str, illustrative: bool, context: Context) -> int:
    badge_w = Inches(3.2) if illustrative else 0
    width_pt = Emu(SLIDE_WIDTH - 2 * MARGIN - badge_w).pt - 8
    return max(Inches(0.5), Pt(_height([(_footer_line(source, context), SOURCE_PT)], width_pt) + 8))


def _content_slide(deck, slide: Slide, context: Context, render: Render) -> None:
    page = deck.slides.add_slide(deck.slide_layouts[BLANK_LAYOUT])
    content_w = SLIDE_WIDTH - 2 * MARGIN
    top = _header(page, slide)
    bottom = _footer_top(slide.source, slide.illustrative, context) - Inches(0.08)
    height = bottom - top
    if slide.figure is not None:
        side = bool(slide.figures or slide.bullets)
        picture_left: int
        picture_w: int
        if slide.kind == "carte" and not side:
            picture_left, picture_w = MAP_MARGIN, SLIDE_WIDTH - 2 * MAP_MARGIN
        else:
            picture_left = MARGIN + (SIDE_WIDTH + Inches(0.25) if side else 0)
            picture_w = SLIDE_WIDTH - MARGIN - picture_left
        data = render(slide.figure, context, (Emu(picture_w).pt, Emu(height).pt))
        _picture(
            page,
            data,
            picture_left,
            top,
            picture_w,
            height,
            slide.figure.alt or slide.figure.title,
            f"Graphique : {slide.figure.title}",
        )
        top_bullets = top
        if slide.figures:
            used = _key_figures(page, slide.figures[:3], MARGIN, top, SIDE_WIDTH, height, 1)
            top_bullets = top + used + GAP
        if slide.bullets and bottom - top_bullets > Inches(0.6):
            _bullets(page, slide.bullets, MARGIN, top_bullets, SIDE_WIDTH, bottom - top_bullets)
    else:
        used = 0
        if slide.figures:
            count = len(slide.figures)
            columns = 2 if count == 4 else min(count, 3)
            used = _key_figures(page, slide.figures, MARGIN, top, content_w, height, columns)
        if slide.bullets:
            start = top + used + (Inches(0.3) if used else 0)
            _bullets(page, slide.bullets, MARGIN, start, content_w, bottom - start)
    _footer(page, slide.source, slide.illustrative, context)
    _notes(page, slide_notes(slide))


def _footer(page, source: str, illustrative: bool, context: Context) -> None:
    badge_w = Inches(3.2) if illustrative else 0
    height = _footer_height(source, illustrative, context)
    top = SLIDE_HEIGHT - Inches(0.12) - height
    _text_box(
        page,
        MARGIN,
        top,
        SLIDE_WIDTH - 2 * MARGIN - badge_w,
        height,
        [(_footer_line(source, context), SOURCE_PT, False, GREY)],
        anchor=MSO_ANCHOR.MIDDLE,
        name="Source",
    )
    if illustrative:
        _badge(page, SLIDE_WIDTH - MARGIN - Inches(3.0), top + (height - Inches(0.48)) // 2)


def _title_slide(deck, presentation: Presentation, first: Slide | None) -> None:
    context = presentation.context
    page = deck.slides.add_slide(deck.slide_layouts[BLANK_LAYOUT])
    band = page.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, SLIDE_WIDTH, Inches(0.35))
    band.name = "Bandeau"
    band.fill.solid()
    band.fill.fore_color.rgb = BLUE
    band.line.fill.background()
    qr_size = Inches(2.6)
    text_w = SLIDE_WIDTH - 2 * MARGIN - (qr_size + Inches(0.4) if context.url else 0)
    title = first.title if first is not None and first.title else presentation.title
    years = presentation.year_text or f"Année scolaire {context.school_year}"
    paragraphs = [
        (context.academie, 24, True, BLUE),
        (title, 40, True, INK),
    ]
    if first is not None and first.subtitle and first.subtitle != context.academie:
        paragraphs.append((first.subtitle, 24, False, INK))
    paragraphs += [
        (years, 24, False, INK),
        (context.filters_text, 20, False, GREY),
        (context.version_text, 18, False, GREY),
    ]
    said = {
        context.academie,
        title,
        years,
        f"Année scolaire {context.school_year}",
        context.filters_text,
        context.version_text,
    }
    if first is not None:
        paragraphs += [(f"• {b}", BULLET_PT, False, INK) for b in first.bullets if b not in said]
    box = _text_box(
        page,
        MARGIN,
        Inches(1.0),
        text_w,
        Inches(5.6),
        paragraphs,
        anchor=MSO_ANCHOR.MIDDLE,
        name="Titre de la présentation",
    )
    for paragraph in box.text_frame.paragraphs[1:]:
        paragraph.space_before = Pt(12)
    if context.url:
        try:
            code = qr.qr_png(context.url, size_px=600)
        except ValueError:
            code = b""
        if code:
            left = SLIDE_WIDTH - MARGIN - qr_size
            picture = page.shapes.add_picture(io.BytesIO(code), left, Inches(1.9), qr_size, qr_size)
            picture.name = "QR code de la vue"
            picture._element.nvPicPr.cNvPr.set("descr", f"QR code de l'adresse de la vue : {context.url}")
            _text_box(
                page,
                left - Inches(0.3),
                Inches(1.9) + qr_size + Inches(0.05),
                qr_size + Inches(0.6),
                Inches(0.8),
                [("Scannez pour ouvrir cette vue du tableau de bord", MIN_PT, False, GREY)],
                align=PP_ALIGN.CENTER,
                name="Légende du QR code",
            )
    if first is not None and (first.source or first.illustrative):
        _footer(page, first.source, first.illustrative, context)
        _notes(page, slide_notes(first) or presentation.title)
    else:
        _notes(
            page,
            f"{presentation.title} — {context.academie}, {years[:1].lower()}{years[1:]}. "
            f"{context.filters_text}. {context.version_text}.",
        )


def presentation_pptx(presentation: Presentation, render: Render | None = None) -> bytes:
    """The presentation as the bytes of a .pptx file (16:9, French)."""
    render = render or default_render
    deck = PptxPresentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    properties = deck.core_properties
    properties.title = presentation.title
    properties.subject = (
        f"{presentation.context.academie} — {presentation.context.school_year} — "
        f"{presentation.context.filters_text}"
    )
    properties.language = "fr-FR"
    properties.author = presentation.context.academie
    properties.keywords = "observatoire du numérique éducatif"
    properties.comments = presentation.context.version_text
    slides = list(presentation.slides)
    first = slides.pop(0) if slides and slides[0].kind == "titre" else None
    _title_slide(deck, presentation, first)
    for slide in slides:
        _content_slide(deck, slide, presentation.context, render)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
