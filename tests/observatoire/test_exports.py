"""Exports without a browser: decorated figures, file names, QR codes, the PPTX (pictures from a fake render)."""

from __future__ import annotations

import io

import plotly.graph_objects as go
import pytest
import segno
from PIL import Image, ImageDraw
from pptx import Presentation as OpenPptx
from pptx.util import Inches

from observatoire import exporting
from observatoire.exports import png, pptx, qr
from observatoire.views.model import Context, Figure, KeyFigure, Presentation, Slide

CONTEXT = Context(
    "Académie de Nancy-Metz",
    ("Département : 57 — Moselle", "Niveau : Collège"),
    "2023-2024",
    12,
    "23/11/2026",
    "https://observatoire.example/vue?departement=57&annee=2023-2024",
)
BARE = Context("Académie de Nancy-Metz", (), "2023-2024", 3, "01/09/2026")


def _line() -> go.Figure:
    return go.Figure(
        go.Scatter(x=["2021-2022", "2022-2023", "2023-2024"], y=[41e6, 58e6, 64.5e6]),
        layout={"separators": ",\u00a0", "margin": {"l": 10, "r": 10, "t": 44, "b": 10}},
    )


def _view(illustrative: bool = False, title: str = "Visites de l'ENT") -> Figure:
    return Figure(
        "evolution-ent",
        title,
        _line(),
        "Courbe des visites",
        source="Bilan DRANE 2023-2024",
        illustrative=illustrative,
    )


def _texts(figure: go.Figure) -> list[str]:
    return [a.text for a in figure.layout.annotations]


# ------------------------------------------------------------------------------------------- decoration


def test_decorated_has_title_filters_version_and_source():
    view = _view()
    figure = png.decorated(view, CONTEXT)
    assert "Visites de l&#x27;ENT" in figure.layout.title.text
    subtitle = figure.layout.title.subtitle.text
    assert "Département : 57 — Moselle · Niveau : Collège" in subtitle
    assert "Données : version n° 12 du 23/11/2026" in subtitle
    assert any(t.startswith("Source : Bilan DRANE 2023-2024") for t in _texts(figure))
    assert not any(png.ILLUSTRATIVE_LABEL in t for t in _texts(figure))
    assert len(view.figure.layout.annotations) == 0 and view.figure.layout.title.text is None  # a copy
    assert figure.layout.margin.b > 60  # room for the source under the axis


def test_decorated_badge_when_illustrative_and_no_filter_text():
    figure = png.decorated(_view(illustrative=True), BARE)
    badges = [a for a in figure.layout.annotations if png.ILLUSTRATIVE_LABEL in a.text]
    assert len(badges) == 1 and badges[0].font.color == png.ILLUSTRATIVE_COLOR
    assert "Aucun filtre (toute l'académie)" in figure.layout.title.subtitle.text.replace("&#x27;", "'")


def test_decorated_escapes_data_texts():
    view = Figure("x", "<b>gras</b> & co", _line(), "alt", source='<a href="x">lien</a>')
    figure = png.decorated(view, Context("A", ("Bassin : <i>Metz</i>",), "2023-2024", 1, "01/01/2026"))
    assert "&lt;b&gt;gras&lt;/b&gt; &amp; co" in figure.layout.title.text
    assert "&lt;i&gt;Metz&lt;/i&gt;" in figure.layout.title.subtitle.text
    assert "<a" not in " ".join(_texts(figure))


def test_decorated_refuses_nothing_from_long_sources():
    figure = png.decorated(Figure("x", "T", _line(), "alt", source="mot " * 80), CONTEXT)
    source = next(t for t in _texts(figure) if t.startswith("Source"))
    assert source.count("<br>") >= 2


# ------------------------------------------------------------------------------------------- file names


def test_png_file_name_keeps_accents():
    context = Context("Académie de Nancy-Metz", ("Département : 57 — Moselle",), "2023-2024", 1, "01/01/2026")
    # title then the filter values (the school year is not in the name: a series spans several years)
    assert png.png_file_name("Visites de l'ENT", context) == "Visites de l'ENT — Moselle.png"
    assert png.png_file_name("Élèves équipés", BARE) == "Élèves équipés.png"


@pytest.mark.parametrize(
    "title", ['a/b\\c:d*e?f"g<h>i|j', "\u202eévil\u200b\x00\x1f\n titre", "  ..  ", "CON", "Très long titre " * 20]
)
def test_png_file_name_is_safe(title):
    name = png.png_file_name(title, BARE)
    assert name.endswith(".png") and len(name) <= exporting.FILE_NAME_MAX
    assert not set('/\\:*?"<>|') & set(name)
    assert all(ord(c) >= 32 and c not in "\u202e\u200b" for c in name)
    assert not name.startswith((".", " ")) and name[:-4] == name[:-4].strip()
    assert name[:-4].split(".")[0].strip().upper() not in {"CON", "NUL", "PRN", "AUX"}  # Windows device names
    assert png.safe_file_name("CON", "png") == "observatoire CON.png"


def test_png_file_name_cut_on_a_word():
    name = png.png_file_name("Très long titre " * 20, BARE)
    assert name.endswith("titre.png") or name.endswith("long.png") or name.endswith("Très.png")


# ------------------------------------------------------------------------------------------------ QR code


def _modules(data: bytes, url: str) -> list[list[bool]]:
    """Read the PNG back as a grid of dark / light modules (scale found from the symbol size)."""
    image = Image.open(io.BytesIO(data)).convert("L")
    size = segno.make(url, error="m", boost_error=False).symbol_size(scale=1, border=qr.QUIET_ZONE)[0]
    step = image.width // size
    return [
        [image.getpixel((x * step + step // 2, y * step + step // 2)) < 128 for x in range(size)]
        for y in range(size)
    ]


def test_qr_png_is_the_segno_symbol():
    url = CONTEXT.url
    data = qr.qr_png(url, size_px=400)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert 300 <= image.width <= 400 and image.width == image.height
    code = segno.make(url, error="m", boost_error=False)
    assert code.error == "M"
    expected = [[bool(v) for v in row] for row in code.matrix_iter(scale=1, border=qr.QUIET_ZONE)]
    assert _modules(data, url) == expected  # quiet zone of 4 light modules included
    rgb = Image.open(io.BytesIO(data)).convert("RGB")
    assert set(rgb.getdata()) == {(0x16, 0x16, 0x16), (255, 255, 255)}


def test_qr_svg_and_limits():
    svg = qr.qr_svg("https://exemple.fr/")
    assert svg.startswith("<svg") and "#161616" in svg and "<title>" in svg
    qr.qr_png("https://exemple.fr/" + "a" * (qr.MAX_URL_LENGTH - 19))
    with pytest.raises(ValueError, match="trop longue"):
        qr.qr_png("https://exemple.fr/" + "a" * qr.MAX_URL_LENGTH)
    with pytest.raises(ValueError, match="vide"):
        qr.qr_svg("")


# ------------------------------------------------------------------------------------------------- PPTX


def _fake_render(figure: Figure, context: Context, box: tuple[float, float]) -> bytes:
    """A recognisable image of the box's proportions (no browser): a coloured bar on white."""
    image = Image.new("RGB", (640, max(1, round(640 * box[1] / box[0]))), "white")
    ImageDraw.Draw(image).rectangle((40, 100 if figure.illustrative else 200, 600, 330), fill="#0072B2")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


KEY_FIGURES = (
    KeyFigure("Visites de l'ENT", "64,5 M", 64.5e6, "visites", "+11,1 % par rapport à 2022-2023", ("bilan",)),
    KeyFigure("Enseignants formés", "12 345", 12345, "personnes", "", ("illustratif",)),
)
SLIDES = (
    Slide("titre", "Observatoire du numérique éducatif", "Séminaire des cadres"),
    Slide(
        "chiffres",
        "Les chiffres clés",
        figures=KEY_FIGURES,
        notes="64,5 M visites ; 12 345 enseignants formés.",
        source="Bilan DRANE 2023-2024",
        illustrative=True,
    ),
    Slide(
        "evolution",
        "Les visites progressent",
        figure=_view(),
        bullets=("+57 % en cinq ans",),
        notes="De 41 M à 64,5 M visites.",
        source="Bilan DRANE 2023-2024",
    ),
    Slide(
        "carte",
        "Par bassin",
        figure=_view(illustrative=True, title="Carte"),
        source="Mesures générées",
        illustrative=True,
    ),
)


def _all_text(slide) -> str:
    """The slide's text, school years with their no-break hyphen read as « - » (`pptx.keep_years`)."""
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame).replace(
        pptx.NB_HYPHEN, "-"
    )


def _open(presentation: Presentation):
    data = pptx.presentation_pptx(presentation, render=_fake_render)
    return OpenPptx(io.BytesIO(data))


def test_pptx_slides_texts_and_notes():
    deck = _open(Presentation(CONTEXT, "Séminaire des cadres 2023-2024", SLIDES))
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    assert len(deck.slides) == 4
    assert deck.core_properties.title == "Séminaire des cadres 2023-2024"
    assert deck.core_properties.language == "fr-FR"
    title, figures, evolution, carte = deck.slides
    first = _all_text(title)
    for text in (
        "Académie de Nancy-Metz",
        "Observatoire du numérique éducatif",
        "Année scolaire 2023-2024",
        "Département : 57 — Moselle · Niveau : Collège",
        "Données : version n° 12 du 23/11/2026",
    ):
        assert text in first
    assert [s.name for s in title.shapes if s.shape_type == 13] == ["QR code de la vue"]
    text = _all_text(figures)
    assert "Les chiffres clés" in text and "64,5 M" in text and "12 345" in text and "+11,1 %" in text
    assert "Source : Bilan DRANE 2023-2024" in text
    assert figures.notes_slide.notes_text_frame.text.startswith("64,5 M visites ; 12 345 enseignants formés.")
    assert "De 41 M à 64,5 M visites." in evolution.notes_slide.notes_text_frame.text
    assert "+57 % en cinq ans" in _all_text(evolution)
    badge = pptx.png.ILLUSTRATIVE_LABEL
    assert [badge in _all_text(s) for s in deck.slides] == [False, True, False, True]


def test_pptx_fonts_are_large_and_french():
    deck = _open(Presentation(CONTEXT, "Séminaire", SLIDES))
    runs = {}
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    for run in paragraph.runs:
                        runs[run.text] = run.font
    assert runs["Les chiffres clés"].size.pt >= 32
    assert runs["64,5 M"].size.pt >= 40 and runs["12 345"].size.pt >= 40
    assert all(str(font.language_id).startswith("FRENCH") for font in runs.values())


def test_pptx_pictures_are_decodable_with_alt_text():
    deck = _open(Presentation(CONTEXT, "Séminaire", SLIDES))
    pictures = [(i, s) for i, slide in enumerate(deck.slides) for s in slide.shapes if s.shape_type == 13]
    assert [i for i, _ in pictures] == [0, 2, 3]  # QR code, two figures
    for _, picture in pictures:
        image = Image.open(io.BytesIO(picture.image.blob))
        image.load()
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) >= 2  # not blank
        assert picture._element.nvPicPr.cNvPr.get("descr")
        assert picture.left >= 0 and picture.top >= 0
        assert (
            picture.left + picture.width <= deck.slide_width and picture.top + picture.height <= deck.slide_height
        )
    assert pictures[1][1]._element.nvPicPr.cNvPr.get("descr") == "Courbe des visites"


def test_pptx_generated_title_slide_and_notes_from_figures():
    slides = (Slide("chiffres", "Chiffres", figures=KEY_FIGURES, source="Bilan"),)
    deck = _open(Presentation(BARE, "Présentation", slides))
    assert len(deck.slides) == 2
    assert "Présentation" in _all_text(deck.slides[0])
    assert not [s for s in deck.slides[0].shapes if s.shape_type == 13]  # no address, no QR code
    notes = deck.slides[1].notes_slide.notes_text_frame.text
    assert "Visites de l'ENT : 64,5 M (+11,1 % par rapport à 2022-2023)" in notes
    assert "Enseignants formés : 12 345 — donnée illustrative" in notes
