"""« Télécharger la présentation (PPTX) »: the presentation of the séminaire as a PowerPoint file (python-pptx).

16:9 (13,333 × 7,5 in), French (core properties and every text run: fr-FR), blank layout with our own text boxes
so nothing depends on the template's 4:3 placeholders. Sized for a projector: titles 34 pt, key figures 44 pt.

- A title slide first: académie, title, filters, school year, data version and, when the context has an
  address, its QR code. A `Slide` of kind « titre » given first becomes that slide (its subtitle and bullets
  are added); otherwise it is generated.
- Then one slide per `Slide`: title, subtitle, key figures (value, label, change), the figure as a picture
  (rendered by `render`, by default the decorated PNG), bullets, a source line at the bottom, the orange
  « Données illustratives » badge when `slide.illustrative`, speaker notes (`slide.notes`, or the key figures
  when the builder gave none) and an alternative text on every picture.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import plotly.graph_objects as go
from pptx import Presentation as PptxPresentation
from pptx.dml.color import RGBColor
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from observatoire.exports import png, qr
from observatoire.views.model import Context, Figure, KeyFigure, Presentation, Slide

Render = Callable[[Figure, Context], bytes]

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.45)
BLANK_LAYOUT = 6  # « Vide » of python-pptx's default template
SLIDE_IMAGE = (1280, 720, 2)  # CSS pixels × scale: fonts of the chart stay readable once the image is shrunk

INK = RGBColor(0x16, 0x16, 0x16)
GREY = RGBColor(0x3A, 0x3A, 0x3A)
BLUE = RGBColor(0x00, 0x00, 0x91)  # bleu France, the dashboard's primary colour
ILLUSTRATIVE = RGBColor.from_string(png.ILLUSTRATIVE_COLOR.lstrip("#"))
ILLUSTRATIVE_FILL = RGBColor.from_string(png.ILLUSTRATIVE_BACKGROUND.lstrip("#"))
CARD_FILL = RGBColor(0xF3, 0xF4, 0xF8)
FONT = "Marianne"  # falls back to the reader's sans-serif when missing

TITLE_PT = 34
SUBTITLE_PT = 20
FIGURE_PT = 44
LABEL_PT = 18
DELTA_PT = 16
BULLET_PT = 20
SOURCE_PT = 13
BADGE_PT = 16


def default_render(figure: Figure, context: Context) -> bytes:
    """The figure as a PNG for a slide: the slide itself carries the title, the filters, the source line and
    the illustrative badge, so the picture does not repeat them (and the chart or map gets the room)."""
    width, height, scale = SLIDE_IMAGE
    plain = go.Figure(figure.figure)
    plain.update_layout(paper_bgcolor="white", plot_bgcolor="white", width=None, height=None)
    return png.figure_png(plain, width=width, height=height, scale=scale)


def _text_box(slide, left, top, width, height, paragraphs: Sequence[tuple[str, int, bool, RGBColor]], *,
              align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP, name: str = ""):
    """A text box with one paragraph per (text, size in pt, bold, colour); French, word-wrapped."""
    box = slide.shapes.add_textbox(left, top, width, height)
    if name:
        box.name = name
    frame = box.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.05)
    for index, (text, size, bold, color) in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = text
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
    picture = slide.shapes.add_picture(io.BytesIO(data), left + (max_width - width) // 2, top, Emu(width),
                                       Emu(height))
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
    return text + (" — donnée illustrative" if figure.illustrative else "")


def slide_notes(slide: Slide) -> str:
    """The builder's notes, else the key figures, one a line; the source in both cases."""
    lines = [slide.notes.strip()] if slide.notes.strip() else [key_figure_text(f) for f in slide.figures]
    if slide.illustrative:
        lines.append("Attention : données illustratives (ni bilan ni import).")
    if slide.source:
        lines.append(f"Source : {slide.source}")
    return "\n".join(line for line in lines if line)


def _lines(text: str, size: float, width_pt: float) -> int:
    """Lines that `text` takes at `size` points in a box `width_pt` wide (an average glyph is ≈ 0,55 em wide
    in the sans-serif fonts a projector's PowerPoint or LibreOffice uses: a generous estimate)."""
    per_line = max(1, int(width_pt / (size * 0.55)))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


Paragraph = tuple[str, float, bool, RGBColor]  # text, size in points, bold, colour


def card_paragraphs(figure: KeyFigure, width_pt: float, height_pt: float) -> list[Paragraph]:
    """The paragraphs of a key-figure card (value, label, change, « illustratif »), their sizes scaled down
    together when they would not fit a card of `width_pt` × `height_pt` (a 1,2 line height), never below 60 %."""
    value_pt = FIGURE_PT if len(figure.value) <= 7 else FIGURE_PT - 8
    paragraphs: list[Paragraph] = [(figure.value, value_pt, True, BLUE), (figure.label, LABEL_PT, False, INK)]
    if figure.delta:
        paragraphs.append((figure.delta, DELTA_PT, False, GREY))
    if figure.illustrative:
        paragraphs.append(("illustratif", DELTA_PT - 2, True, ILLUSTRATIVE))

    def needed(scale: float) -> float:
        return sum(_lines(text, size * scale, width_pt) * size * scale * 1.2 for text, size, _, _ in paragraphs)

    scale = 1.0
    while scale > 0.6 and needed(scale) > height_pt:
        scale -= 0.05
    return [(text, round(size * scale, 1), bold, color) for text, size, bold, color in paragraphs]


def _key_figures(slide, figures: Sequence[KeyFigure], left, top, width, height, columns: int) -> None:
    rows = -(-len(figures) // columns)
    gap = Inches(0.2)
    cell_w = (width - gap * (columns - 1)) // columns
    cell_h = min((height - gap * (rows - 1)) // rows, Inches(2.3))
    margin_x, margin_y = Inches(0.15), Inches(0.05)
    for index, figure in enumerate(figures):
        row, column = divmod(index, columns)
        x, y = left + column * (cell_w + gap), top + row * (cell_h + gap)
        card = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, cell_w, cell_h)
        card.name = f"Chiffre clé {index + 1}"
        card.fill.solid()
        card.fill.fore_color.rgb = CARD_FILL
        card.line.fill.background()
        card.shadow.inherit = False
        frame = card.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        frame.margin_left = frame.margin_right = margin_x
        frame.margin_top = frame.margin_bottom = margin_y
        paragraphs = card_paragraphs(figure, Emu(cell_w - 2 * margin_x).pt, Emu(cell_h - 2 * margin_y).pt)
        for i, (text, size, bold, color) in enumerate(paragraphs):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.LEFT
            run = paragraph.add_run()
            run.text = text
            _style(run.font, size, bold, color)


def _bullets(slide, bullets: Sequence[str], left, top, width, height) -> None:
    _text_box(slide, left, top, width, height, [(f"• {b}", BULLET_PT, False, INK) for b in bullets],
              name="Points clés")


def _content_slide(deck, slide: Slide, context: Context, render: Render) -> None:
    page = deck.slides.add_slide(deck.slide_layouts[BLANK_LAYOUT])
    content_w = SLIDE_WIDTH - 2 * MARGIN
    _text_box(page, MARGIN, Inches(0.3), content_w, Inches(0.85), [(slide.title, TITLE_PT, True, INK)],
              anchor=MSO_ANCHOR.MIDDLE, name="Titre")
    top = Inches(1.15)
    if slide.subtitle:
        _text_box(page, MARGIN, top, content_w, Inches(0.5), [(slide.subtitle, SUBTITLE_PT, False, GREY)],
                  name="Sous-titre")
    top = Inches(1.75)
    bottom = SLIDE_HEIGHT - Inches(0.75)  # source line and badge below
    height = bottom - top
    if slide.figure is not None:
        side = bool(slide.figures or slide.bullets)
        side_w = Inches(3.7) if side else 0
        picture_left = MARGIN + (side_w + Inches(0.25) if side else 0)
        data = render(slide.figure, context)
        _picture(page, data, picture_left, top, SLIDE_WIDTH - MARGIN - picture_left, height,
                 slide.figure.alt or slide.figure.title, f"Graphique : {slide.figure.title}")
        if slide.figures:
            shown = slide.figures[:3]
            figures_h = min(height, len(shown) * Inches(2.3) + (len(shown) - 1) * Inches(0.2))
            _key_figures(page, shown, MARGIN, top, side_w, figures_h, 1)
            top_bullets = top + figures_h + Inches(0.2)
        else:
            top_bullets = top
        if slide.bullets and bottom - top_bullets > Inches(0.6):
            _bullets(page, slide.bullets, MARGIN, top_bullets, side_w, bottom - top_bullets)
    else:
        figures_h = 0
        if slide.figures:
            columns = min(len(slide.figures), 3)
            rows = -(-len(slide.figures) // columns)
            figures_h = min(height, rows * Inches(2.3) + (rows - 1) * Inches(0.2))
            _key_figures(page, slide.figures, MARGIN, top, content_w, figures_h, columns)
        if slide.bullets:
            start = top + figures_h + (Inches(0.3) if figures_h else 0)
            _bullets(page, slide.bullets, MARGIN, start, content_w, bottom - start)
    _footer(page, slide.source, slide.illustrative, context)
    _notes(page, slide_notes(slide))


def _footer(page, source: str, illustrative: bool, context: Context) -> None:
    badge_w = Inches(3.2) if illustrative else 0
    text = f"Source : {source}" if source else ""
    line = " — ".join(t for t in (text, context.version_text) if t)
    _text_box(page, MARGIN, SLIDE_HEIGHT - Inches(0.7), SLIDE_WIDTH - 2 * MARGIN - badge_w, Inches(0.55),
              [(line, SOURCE_PT, False, GREY)], anchor=MSO_ANCHOR.MIDDLE, name="Source")
    if illustrative:
        _badge(page, SLIDE_WIDTH - MARGIN - Inches(3.0), SLIDE_HEIGHT - Inches(0.67))


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
    paragraphs = [
        (context.academie, 24, True, BLUE),
        (title, 40, True, INK),
    ]
    if first is not None and first.subtitle and first.subtitle != context.academie:
        paragraphs.append((first.subtitle, 24, False, INK))
    paragraphs += [
        (f"Année scolaire {context.school_year}", 24, False, INK),
        (context.filters_text, 20, False, GREY),
        (context.version_text, 18, False, GREY),
    ]
    said = {context.academie, title, f"Année scolaire {context.school_year}", context.filters_text,
            context.version_text}
    if first is not None:
        paragraphs += [(f"• {b}", BULLET_PT, False, INK) for b in first.bullets if b not in said]
    box = _text_box(page, MARGIN, Inches(1.0), text_w, Inches(5.6), paragraphs, anchor=MSO_ANCHOR.MIDDLE,
                    name="Titre de la présentation")
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
            _text_box(page, left - Inches(0.3), Inches(1.9) + qr_size + Inches(0.05), qr_size + Inches(0.6),
                      Inches(0.8), [("Scannez pour ouvrir cette vue du tableau de bord", 14, False, GREY)],
                      align=PP_ALIGN.CENTER, name="Légende du QR code")
    if first is not None and (first.source or first.illustrative):
        _footer(page, first.source, first.illustrative, context)
        _notes(page, slide_notes(first) or presentation.title)
    else:
        _notes(page, f"{presentation.title} — {context.academie}, année scolaire {context.school_year}. "
                     f"{context.filters_text}. {context.version_text}.")


def presentation_pptx(presentation: Presentation, render: Render | None = None) -> bytes:
    """The presentation as the bytes of a .pptx file (16:9, French)."""
    render = render or default_render
    deck = PptxPresentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    properties = deck.core_properties
    properties.title = presentation.title
    properties.subject = f"{presentation.context.academie} — {presentation.context.school_year}"
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
