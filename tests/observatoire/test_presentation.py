"""The séminaire presentation on the demo store: the slides (`observatoire.views.presentation`), their PPTX
(`observatoire.exports.pptx`, real kaleido render) and the CLI `presentation`.

Expected values come from the same queries and card builders as the overview page (`queries.kpis`,
`figures.cards.kpi_value_text`): the slides must show the figures the app shows for the same filters.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image
from pptx import Presentation as OpenPptx

from observatoire import config, published, queries, small_counts
from observatoire.exports import look, png, pptx
from observatoire.figures import cards, formatting
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from observatoire.views import static_map
from observatoire.views.model import ILLUSTRATIVE, KeyFigure, Presentation

ROOT = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:8501/?dep=57"
FILTERS = {
    "academie": Filters(),
    "moselle": Filters(departements=("57",)),
    "moselle-college": Filters(departements=("57",), niveaux=("college",)),
}
KINDS = [
    "titre",
    "chiffres",
    "chiffres",
    "carte",
    "evolution",
    "evolution",
    "evolution",
    "laboratoires",
    "focus",
    "sources",
]
PICTURE = 13  # MSO_SHAPE_TYPE.PICTURE


@pytest.fixture(scope="module", params=list(FILTERS))
def case(request, con) -> tuple[Filters, Presentation]:
    filters = FILTERS[request.param]
    return filters, builder.build_presentation(con, filters, url=URL)


@pytest.fixture(scope="module", params=list(FILTERS))
def deck(request, con):
    """(filters, presentation, the opened PPTX): rendered once per filter set (kaleido: ~10 s)."""
    filters = FILTERS[request.param]
    presentation = builder.build_presentation(con, filters, url=URL)
    data = pptx.presentation_pptx(presentation)
    return filters, presentation, OpenPptx(io.BytesIO(data))


def _year(con, filters: Filters) -> str:
    return cards.kpi_year_text(queries.kpis(con, filters))


def _shown_kpis(con, filters: Filters) -> list[queries.Kpi]:
    """Every key figure of the overview that has a value: all of them are on the key-figures slides."""
    return [k for k in queries.kpis(con, filters) if k.valeur is not None]


def _slide_text(slide) -> str:
    """The slide's text, school years with their no-break hyphen read as « - » (`pptx.keep_years`)."""
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame).replace(
        pptx.NB_HYPHEN, "-"
    )


def _key_figures(presentation: Presentation) -> list[KeyFigure]:
    return [f for s in presentation.slides if s.kind == "chiffres" for f in s.figures]


def _all_texts(presentation: Presentation) -> str:
    """Every text of the slides: titles, values, bullets, notes, sources, alt texts."""
    parts = []
    for slide in presentation.slides:
        parts += [slide.title, slide.subtitle, slide.notes, slide.source, *slide.bullets]
        parts += [t for f in slide.figures for t in (f.value, f.delta, f.label)]
        if slide.figure is not None:
            parts.append(slide.figure.alt)
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ slides


def test_slide_kinds_in_order(case):
    _, presentation = case
    assert [s.kind for s in presentation.slides] == KINDS
    assert presentation.context.url == URL
    assert all(s.title for s in presentation.slides)


def test_key_figures_are_the_overview_cards(case, con):
    """EVERY key figure of the overview (7 in the demo) is on the key-figures slides: two slides of 4 and 3
    cards (`KEY_FIGURES_PER_SLIDE`), each card as the overview shows it."""
    filters, presentation = case
    slides = [s for s in presentation.slides if s.kind == "chiffres"]
    figures = _key_figures(presentation)
    shown = _shown_kpis(con, filters)
    assert len(shown) == 7 and [len(s.figures) for s in slides] == [4, 3]
    assert [f.label for f in figures] == [k.libelle for k in shown]
    assert [f.value for f in figures] == [cards.kpi_value_text(k) for k in shown]
    assert [f.delta for f in figures] == [
        (cards.kpi_delta_text(k) or "").replace("vs", "par rapport à", 1) for k in shown
    ]
    assert all(f.delta for f in figures)  # the demo has every previous year
    assert [s.title for s in slides] == [
        f"Chiffres clés {_year(con, filters)} (1/2)",
        f"Chiffres clés {_year(con, filters)} (2/2)",
    ]
    assert not [f.year_note for f in figures if f.year_note]  # one year: no card says another
    for slide in slides:
        for figure in slide.figures:
            assert f"{figure.label} : {figure.value}" in slide.notes
    expected = {
        "academie": "Aucun filtre (toute l'académie)",
        "moselle": "Département : 57 — Moselle",
        "moselle-college": "Département : 57 — Moselle · Niveau : Collège",
    }
    key = next(k for k, v in FILTERS.items() if v == filters)
    assert all(s.subtitle == expected[key] for s in slides)


def test_every_figure_slide_has_a_plotly_figure_whose_alt_names_its_numbers(case, con):
    filters, presentation = case
    year = _year(con, filters)
    figures = [s for s in presentation.slides if s.figure is not None]
    assert [s.kind for s in figures] == ["carte", "evolution", "evolution", "evolution"]
    assert "colorés selon leur thème principal" in figures[0].figure.alt
    for slide in figures:
        assert isinstance(slide.figure.figure, go.Figure) and slide.figure.figure.data, slide.title
        assert re.search(r"\d", slide.figure.alt), slide.figure.alt
    # the map: bassins, labs, the three bassins in front with their values
    carte = figures[0]
    values = queries.values_by_bassin(con, builder.map_indicator(con), year, filters).data.dropna(
        subset=["valeur"]
    )
    labs = queries.laboratories(con, filters, open_in=year).data
    alt = carte.figure.alt
    assert f"Carte des {len(values)} bassins" in alt and f"et {len(labs)} laboratoires" in alt
    for name, value in values.sort_values("valeur", ascending=False)[["nom", "valeur"]].head(3).values:
        assert f"{name} : {formatting.with_unit(value, 'personnes')}" in alt
    # the evolutions: one point per school year, the same totals as the Indicateurs page's series
    for slide in figures[1:]:
        kpi = next(k for k in queries.kpis(con, filters) if k.libelle == slide.title)
        series = queries.series(con, kpi.indicateur, filters, annual=True).data.dropna(subset=["valeur"])
        totals = series.groupby("periode")["valeur"].sum()
        assert len(totals) >= 2
        for period, value in totals.items():
            point = f"{period} : {formatting.with_unit(value, kpi.unite)}"
            assert point in slide.figure.alt and point in slide.notes
        assert slide.figure.alt.startswith("Évolution ") and "l'ent" not in slide.figure.alt
        assert [f.value for f in slide.figures] == [cards.kpi_value_text(kpi)]


def test_illustrative_flags_follow_the_origins(case, con):
    filters, presentation = case
    year = _year(con, filters)
    by_kind = {}
    for slide in presentation.slides:
        by_kind.setdefault(slide.kind, []).append(slide)
    shown = _shown_kpis(con, filters)
    for chiffres in by_kind["chiffres"]:
        for figure in chiffres.figures:
            assert figure.illustrative == (config.ILLUSTRATIVE in figure.origins or not figure.origins)
        kept = [k for k in shown if k.libelle in {f.label for f in chiffres.figures}]
        assert chiffres.illustrative == (
            any(f.illustrative for f in chiffres.figures) or any(k.illustratif for k in kept)
        )
    # a slide whose query result is illustrative says so (and the figure with it)
    carte = by_kind["carte"][0]
    result = queries.values_by_bassin(con, builder.map_indicator(con), year, filters)
    assert carte.illustrative == carte.figure.illustrative == bool(result.illustrative)
    for slide in by_kind["evolution"]:
        kpi = next(k for k in queries.kpis(con, filters) if k.libelle == slide.title)
        result = queries.series(con, kpi.indicateur, filters, annual=True)
        assert slide.illustrative == slide.figure.illustrative == bool(result.illustrative), slide.title
        assert slide.figures[0].illustrative == (config.ILLUSTRATIVE in slide.figures[0].origins)
    labs = by_kind["laboratoires"][0]
    listed = queries.laboratories(con, filters, open_in=year)
    assert labs.illustrative == (
        bool(listed.illustrative) or any(cards.is_illustrative_source(s) for s in listed.data["source"])
    )
    assert not by_kind["titre"][0].illustrative
    sources = by_kind["sources"][0]
    assert (builder.ILLUSTRATIVE_NOTE in sources.bullets) == any(s.illustrative for s in presentation.slides)
    # the demo: figures of a département are generated, so every data slide says so
    if filters.departements:
        assert all(s.illustrative for s in presentation.slides if s.kind not in ("titre", "sources"))


def test_the_focus_slide_names_a_bassin_of_the_departement(case, con):
    filters, presentation = case
    focus = presentation.slides[KINDS.index("focus")]
    choices = queries.choices(con)
    names = dict(choices.labels.bassins)
    allowed = [c for c, d in choices.bassins.items() if not filters.departements or d in filters.departements]
    named = [c for c in allowed if focus.title == f"Zoom sur le bassin {builder._of(names[c])}"]
    assert named, focus.title
    if not filters.departements:  # no bassin chosen: the one with the most people in the labs
        values = queries.values_by_bassin(con, builder.map_indicator(con), _year(con, filters), filters).data
        assert named == [values.sort_values("valeur", ascending=False)["code"].iloc[0]]
    assert focus.bullets and all(" : " in b for b in focus.bullets)
    assert any("de l'académie)" in b for b in focus.bullets)


def test_a_bassin_filter_masks_small_counts_as_the_overview_does(con, monkeypatch):
    """The demo has no bassin count of people below 5 among the key figures: the threshold is raised just
    above one of them, so that it must read « < N » everywhere (cards, focus, evolution alt text and notes),
    exactly as `cards.kpi_value_text(kpi, rules=…)` shows it on the overview, and other figures stay exact."""
    bassin = "57-sarrebourg"
    filters = Filters(bassins=(bassin,))
    real = small_counts.policy()
    shown = _shown_kpis(con, filters)
    people = [k for k in shown if real.counts_people(k.unite)]
    assert people, [k.unite for k in shown]
    target = min(people, key=lambda k: k.valeur)
    rules = small_counts.Policy(int(target.valeur) + 1, real.people_units)
    monkeypatch.setattr(small_counts, "policy", lambda *args, **kwargs: rules)
    monkeypatch.setattr(published, "policy", lambda *args, **kwargs: rules)  # the version's policy
    presentation = builder.build_presentation(con, filters)
    key_figures = _key_figures(presentation)
    figures = {f.label: f for f in key_figures}
    assert [f.value for f in key_figures] == [cards.kpi_value_text(k, rules=rules) for k in shown]
    hidden = figures[target.libelle]
    assert hidden.value.startswith(rules.label) and hidden.delta == ""
    for kpi in shown:  # counts of things are never masked
        if not cards.masked(kpi, rules):
            assert figures[kpi.libelle].value == cards.kpi_value_text(kpi)
    focus = presentation.slides[[s.kind for s in presentation.slides].index("focus")]
    assert focus.title == "Zoom sur le bassin de Sarrebourg"
    assert any(b.startswith(f"{target.libelle} : {rules.label} {target.unite}") for b in focus.bullets)
    texts = _all_texts(presentation)
    for exact in (formatting.with_unit(target.valeur, target.unite), formatting.compact(target.valeur)):
        assert not re.search(rf"(?<![\d\u202f]){re.escape(exact)}(?![\d,])", texts), exact
    assert rules.label in texts


# -------------------------------------------------------------------------------------------------- PPTX


def _runs(page):
    for shape in page.shapes:
        if shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                yield from paragraph.runs


def test_pptx_key_figure_cards_hold_their_text(deck):
    """Every card's paragraphs fit its box (LibreOffice showed « illustratif » below a 1,75-inch side card on
    the evolution slides): the lines each paragraph takes at its size, 1,2 line height, ≤ the card's inner
    height; the value stays large."""
    _, _, opened = deck
    cards_seen = 0
    for slide in opened.slides:
        for shape in slide.shapes:
            if not shape.name.startswith("Chiffre clé"):
                continue
            frame = shape.text_frame
            width = (shape.width - frame.margin_left - frame.margin_right) / 12700
            height = (shape.height - frame.margin_top - frame.margin_bottom) / 12700
            runs = [p.runs[0] for p in frame.paragraphs]
            needed = sum(pptx._lines(r.text, r.font.size.pt, width) * r.font.size.pt * 1.2 for r in runs)
            assert needed <= height, (shape.name, [r.text for r in runs], needed, height)
            assert runs[0].font.size.pt >= pptx.FIGURE_PT - 8
            cards_seen += 1
    assert cards_seen >= 10  # the 7 key figures and one card per evolution slide


def test_a_card_too_small_for_its_text_shrinks_together_but_never_below_its_floor():
    figure = KeyFigure(
        "Connexions aux ressources numériques du GAR",
        "2,6 M",
        2.6e6,
        "connexions",
        "+18,4 % par rapport à 2022-2023",
        origins=(ILLUSTRATIVE,),
        year_note="Valeur 2023-2024",
        scope_note="Valeur tous niveaux (filtre niveau non appliqué)",
    )
    roomy = pptx.card_paragraphs(figure, 300, 400)
    assert [size for _, size, _, _ in roomy] == [
        pptx.FIGURE_PT,
        pptx.LABEL_PT,
        pptx.DELTA_PT,
        pptx.NOTE_PT,
        pptx.NOTE_PT,
        pptx.NOTE_PT,
    ]
    assert [text for text, *_ in roomy][3:] == [
        "Valeur 2023-2024",
        "Valeur tous niveaux (filtre niveau non appliqué)",
        "illustratif",
    ]
    tight = pptx.card_paragraphs(figure, 240, 150)
    assert tight[0][1] < pptx.FIGURE_PT and tight[1][1] < pptx.LABEL_PT  # scaled together
    tiny = pptx.card_paragraphs(figure, 100, 20)
    assert [size for _, size, _, _ in tiny] == [28, 16, 14, 14, 14, 14]  # the floors: nothing below 14 pt
    assert min(size for _, size, _, _ in tiny) >= pptx.MIN_PT == look.MIN_SLIDE_PT == 14


def test_pptx_opens_with_one_slide_per_slide_in_16_9(deck):
    _, presentation, opened = deck
    assert len(opened.slides) == len(presentation.slides)
    assert abs(opened.slide_width / opened.slide_height - 16 / 9) < 0.01
    assert opened.core_properties.language == "fr-FR"
    for slide, page in zip(presentation.slides, opened.slides, strict=True):
        assert slide.title in _slide_text(page), slide.title
        if slide.subtitle:
            assert slide.subtitle in _slide_text(page), slide.subtitle
        if slide.scope:
            assert slide.scope in _slide_text(page), slide.scope


def test_pptx_key_figures_and_notes_carry_the_numbers(deck, con):
    filters, presentation, opened = deck
    text = "\n".join(
        _slide_text(page)
        for slide, page in zip(presentation.slides, opened.slides, strict=True)
        if slide.kind == "chiffres"
    )
    for kpi in _shown_kpis(con, filters):
        assert cards.kpi_value_text(kpi) in text, kpi.libelle
        delta = cards.kpi_delta_text(kpi).replace("vs", "par rapport à", 1)
        assert delta in text
    for slide, page in zip(presentation.slides, opened.slides, strict=True):
        notes = page.notes_slide.notes_text_frame.text
        if slide.kind == "chiffres":
            for figure in slide.figures:
                assert f"{figure.label} : {figure.value}" in notes, figure.value
        if slide.kind in ("carte", "evolution", "focus"):
            numbers = re.findall(r"\d[\d\u202f\u00a0 ]*(?:,\d+)?", slide.notes)
            assert numbers and all(n in notes for n in numbers), slide.title
        if slide.source:
            assert f"Source : {slide.source}" in notes
        if slide.scope:
            assert f"Périmètre : {slide.scope}" in notes


def test_pptx_pictures_are_drawn_at_the_size_they_are_shown(deck):
    """Legibility, measured on the file: each chart or map picture is drawn for its box (1 px of the figure
    = 1 pt of the slide, `look.SLIDE_SCALE` pixels a point), so every font of the figure as exported
    (`pptx.slide_figure`: tick labels, bassin names, legends, bar labels) reads ≥ 14 pt on the slide; the map
    takes ≥ 60 % of its slide."""
    _, presentation, opened = deck
    slide_area = opened.slide_width * opened.slide_height
    for index, (slide, page) in enumerate(zip(presentation.slides, opened.slides, strict=True)):
        pictures = [s for s in page.shapes if s.shape_type == PICTURE]
        expected = (1 if index == 0 else 0) + (slide.figure is not None)  # QR code on the title slide
        assert len(pictures) == expected, slide.title
        for picture in pictures:
            image = Image.open(io.BytesIO(picture.image.blob))
            image.load()
            assert image.format == "PNG"
            descr = picture._element.nvPicPr.cNvPr.get("descr")
            assert descr
            colours = image.convert("RGB").getcolors(maxcolors=1 << 22)
            if picture.name == "QR code de la vue":
                assert image.width == image.height and len(colours) >= 2 and URL in descr
                continue
            box = (picture.width / 12700, picture.height / 12700)
            shown = pptx.slide_figure(slide.figure.figure, box)
            width, height = shown.layout.width, shown.layout.height
            assert abs(image.width - width * look.SLIDE_SCALE) <= look.SLIDE_SCALE
            assert abs(image.height - height * look.SLIDE_SCALE) <= look.SLIDE_SCALE
            points_per_px = box[0] / width
            assert 0.99 <= points_per_px <= 1.01, (slide.title, points_per_px)
            smallest = min(look.font_sizes(shown), key=lambda pair: pair[1])
            assert smallest[1] * points_per_px >= 13.9, (slide.title, smallest)
            assert len(colours) > 16, slide.title  # a drawn chart or map, not a blank picture
            assert descr == slide.figure.alt
            assert picture.left + picture.width <= opened.slide_width
            assert picture.top + picture.height <= opened.slide_height
            if slide.kind == "carte":
                share = picture.width * picture.height / slide_area
                assert share >= pptx.MAP_SHARE, share


def test_pptx_text_is_legible_and_school_years_unbroken(deck):
    """No run of any slide below 14 pt (titles, cards, bullets, sources, badge, QR caption); every school year
    of the slides carries the no-break hyphen, so LibreOffice and PowerPoint never cut « 2022- / 2023 »."""
    _, _, opened = deck
    for page in opened.slides:
        for run in _runs(page):
            assert run.font.size.pt >= pptx.MIN_PT, (run.text, run.font.size.pt)
            assert not re.search(r"\d{4}-\d{4}", run.text), run.text
    assert pptx.keep_years("+11,1 % par rapport à 2022-2023") == "+11,1 % par rapport à 2022\u20112023"


def test_pptx_badge_exactly_on_illustrative_slides(deck):
    _, presentation, opened = deck
    for slide, page in zip(presentation.slides, opened.slides, strict=True):
        badges = [s for s in page.shapes if s.has_text_frame and s.text_frame.text == png.ILLUSTRATIVE_LABEL]
        assert len(badges) == (1 if slide.illustrative else 0), slide.title
        notes = page.notes_slide.notes_text_frame.text
        assert ("données illustratives" in notes) == slide.illustrative, slide.title


def test_a_bilan_value_with_a_generated_previous_year_is_marked_as_an_illustrative_change(deck, con):
    """The ENT's 64,5 M is the bilan's; only its change (against a generated 2022-2023) is illustrative: the
    forwarded card says « évolution illustrative » under it, never « illustratif » as if the value were."""
    filters, presentation, opened = deck
    kpis = {k.libelle: k for k in _shown_kpis(con, filters)}
    figures = _key_figures(presentation)
    cards_text = "\n".join(
        _slide_text(page)
        for slide, page in zip(presentation.slides, opened.slides, strict=True)
        if slide.kind == "chiffres"
    )
    checked = 0
    for figure in figures:
        kpi = kpis[figure.label]
        if kpi.valeur_illustrative:
            assert figure.illustrative_text == ILLUSTRATIVE, figure
        elif figure.delta and kpi.evolution_illustrative:
            assert figure.illustrative_text == "évolution illustrative", figure
            assert f"{figure.delta}\névolution illustrative".replace(pptx.NB_HYPHEN, "-") in cards_text
            checked += 1
        else:
            assert figure.illustrative_text == "", figure
    if not filters.departements:  # the académie's ENT visits: the bilan's figure, a generated previous year
        ent = next(f for f in figures if f.label == "Visites de l'ENT")
        assert ent.illustrative_text == "évolution illustrative" and checked >= 1


# ------------------------------------------------------------------------------------------------ scope


def test_every_slide_says_its_scope_and_a_filter_it_ignores_is_said_not_applied(con):
    """Moselle + Collège: every slide but the title and the sources names its territory; the ENT (not broken
    down by niveau) never shows « Niveau : Collège » as applied — its slide says « non appliqué », its card
    « Valeur tous niveaux »; an indicator that has the niveau says it as applied."""
    presentation = builder.build_presentation(con, FILTERS["moselle-college"], url=URL)
    for slide in presentation.slides:
        if slide.kind == "titre":
            continue
        text = f"{slide.subtitle} {slide.scope}"
        assert "Moselle" in text, (slide.kind, slide.title, text)
    # the zoom names its bassin's département and says where its figures come from; the sources repeat the scope
    focus = next(s for s in presentation.slides if s.kind == "focus")
    assert focus.scope.startswith("Département : 57 — Moselle · Bassin : "), focus.scope
    assert focus.source and "laboratoires : " in focus.source, focus.source
    sources = next(s for s in presentation.slides if s.kind == "sources")
    assert sources.scope == presentation.context.scope_text == "Département : 57 — Moselle · Niveau : Collège"
    ent = next(s for s in presentation.slides if s.kind == "evolution" and s.title == "Visites de l'ENT")
    assert "Niveau : Collège" not in ent.scope
    assert "Niveau : non détaillé pour cet indicateur (« Collège » non appliqué)" in ent.scope
    assert ent.scope.startswith("Département : 57 — Moselle")
    card = next(f for f in _key_figures(presentation) if f.label == "Visites de l'ENT")
    assert card.scope_note == "Valeur tous niveaux (filtre niveau non appliqué)"
    gar = next(s for s in presentation.slides if s.kind == "evolution" and "GAR" in s.title)
    assert gar.scope == "Département : 57 — Moselle · Niveau : Collège"  # GAR has the niveau: applied
    assert next(s for s in presentation.slides if s.kind == "chiffres").scope == builder.CARD_SCOPE_NOTE
    moselle = builder.build_presentation(con, FILTERS["moselle"], url=URL)
    assert all("non appliqué" not in s.scope for s in moselle.slides)


def test_decks_of_different_filters_or_zoom_have_different_file_names(con):
    names = {key: builder.file_name(builder.build_presentation(con, filters)) for key, filters in FILTERS.items()}
    assert names == {
        "academie": "Séminaire 2023-2024.pptx",
        "moselle": "Séminaire 2023-2024 — Moselle.pptx",
        "moselle-college": "Séminaire 2023-2024 — Moselle — Collège.pptx",
    }
    zoomed = builder.build_presentation(con, FILTERS["moselle"], highlight="57-forbach")
    assert builder.file_name(zoomed) == "Séminaire 2023-2024 — Moselle — zoom Forbach.pptx"


def test_the_presenter_chooses_the_zoom_bassin(con):
    moselle = FILTERS["moselle"]
    default = builder.build_presentation(con, moselle)
    assert default.highlight == "" and default.default_highlight in builder.focus_choices(con, moselle)
    chosen = "57-forbach" if default.default_highlight != "57-forbach" else "57-metz"
    zoomed = builder.build_presentation(con, moselle, highlight=chosen)
    focus = next(s for s in zoomed.slides if s.kind == "focus")
    name = builder.focus_choices(con, moselle)[chosen]
    assert focus.title == f"Zoom sur le bassin {builder._of(name)}" and zoomed.highlight == chosen
    assert "choisi par l'orateur" in focus.subtitle
    assert focus.scope.startswith(
        f"Département : 57 — Moselle · Bassin : {name}"
    )  # the bassin with its département
    outside = builder.build_presentation(con, moselle, highlight="54-nancy")  # not a bassin of the Moselle
    assert (
        outside.highlight == ""
        and next(s for s in outside.slides if s.kind == "focus").title
        == next(s for s in default.slides if s.kind == "focus").title
    )
    assert set(builder.focus_choices(con, moselle)) == {
        c for c, d in queries.choices(con).bassins.items() if d == "57"
    }


def test_the_map_says_hors_selection_and_explains_lab_colours_by_theme(con):
    presentation = builder.build_presentation(con, FILTERS["moselle"])
    figure = next(s for s in presentation.slides if s.kind == "carte").figure.figure
    filled = [t for t in figure.data if t.fill == "toself"]
    outside = [t for t in filled if t.meta["hors_selection"]]
    moselle = [c for c, d in queries.choices(con).bassins.items() if d == "57"]
    assert sorted(t.meta["bassin"] for t in filled if not t.meta["hors_selection"]) == sorted(moselle)
    assert len(outside) == 17 - len(moselle) and all(t.fillcolor == static_map.OUTSIDE_COLOR for t in outside)
    assert all(t.text.endswith(": hors sélection") for t in outside)
    # cross-hatched, so that it never reads as the palest class (« 0 personne ») on a projector; so is its legend
    assert all(t.fillpattern.shape == "x" for t in outside)
    assert not any(t.fillpattern.shape for t in filled if not t.meta["hors_selection"])
    legend = [t.name.replace("<br>", " ") for t in figure.data if t.showlegend]
    assert "hors sélection" in legend and "pas de donnée" not in legend
    swatch = next(t for t in figure.data if t.showlegend and t.name == "hors sélection")
    assert swatch.marker.symbol == static_map.OUTSIDE_SYMBOL
    labs = [t for t in figure.data if t.legendgroup == "labs"]
    themes = queries.labels(con).thematiques
    assert {t.name.replace("<br>", " ") for t in labs} <= set(themes.values())
    assert all(len(set(t.marker.color)) == 1 for t in labs)  # one colour per legend entry: its thème
    assert static_map.LAB_LABEL not in legend


# --------------------------------------------------------------------------------------------------- CLI


def _cli(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "observatoire", "--store", str(store), "presentation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def store_copy(demo_store, tmp_path_factory) -> Path:
    """A copy of the session's demo store (the CLI may write in its store: the session's stays untouched)."""
    target = tmp_path_factory.mktemp("cli") / "store"
    shutil.copytree(demo_store.root, target)
    return target


def test_cli_writes_the_presentation_of_a_departement(store_copy, tmp_path, con):
    output = tmp_path / "séminaire.pptx"
    done = _cli(store_copy, "--output", str(output), "--dep", "57", "--lien", URL)
    assert done.returncode == 0, done.stderr
    assert "Département : 57 — Moselle" in done.stdout and "diapositives" in done.stdout
    opened = OpenPptx(str(output))
    expected = builder.build_presentation(con, FILTERS["moselle"], url=URL)
    assert len(opened.slides) == len(expected.slides)
    assert [f.value for f in expected.slides[1].figures][0] in _slide_text(opened.slides[1])


def test_cli_refuses_an_unknown_departement_in_french(store_copy, tmp_path):
    output = tmp_path / "x.pptx"
    done = _cli(store_copy, "--output", str(output), "--dep", "99")
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : Filtre refusé, aucune présentation écrite") and "99" in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()


def test_cli_refuses_an_output_that_is_not_pptx(store_copy, tmp_path):
    output = tmp_path / "x.pdf"
    done = _cli(store_copy, "--output", str(output))
    assert done.returncode == 1
    assert "Format inconnu : « pdf » (formats possibles : pptx, html)" in done.stderr
    assert not output.exists()


# ------------------------------------------------------------------------------------- a partial new year


@pytest.fixture(scope="module")
def partial_con(demo_store, tmp_path_factory):
    """A copy of the demo store after the autumn's first import: GAR and PIX 2024-2025 only (every row of
    their 2023-2024 breakdowns, +8 %), through the CLI's own import."""
    import pandas as pd

    from observatoire import cli, store

    folder = tmp_path_factory.mktemp("partiel")
    target = folder / "store"
    shutil.copytree(demo_store.root, target)
    rows = pd.read_csv(ROOT / "data" / "demo" / "mesures.csv", sep=";", dtype=str)
    rows = rows[
        rows["indicateur"].isin(["gar_connexions", "pix_eleves_certifies"]) & (rows["periode"] == "2023-2024")
    ].copy()
    rows["periode"] = "2024-2025"
    rows["valeur"] = (rows["valeur"].astype(float) * 1.08).round().astype(int).astype(str)
    rows["origine"] = "import"
    rows["source"] = "Exports GAR et PIX 2024-2025"
    path = folder / "gar_pix_2024-2025.csv"
    rows.to_csv(path, sep=";", index=False)
    assert cli.main(["--store", str(target), "import", str(path), "--auteur", "tests"]) == 0
    from observatoire import versions

    connection = store.connect(versions.Repository(target).current().path, read_only=True)
    yield connection
    connection.close()


def test_a_partial_new_year_is_told_as_it_is(partial_con):
    """GAR and PIX 2024-2025 imported, the other sources not yet: the headline says the rule, every card of
    another year says its own, and no slide disappears (the map and the zoom use 2023-2024 and say so)."""
    presentation = builder.build_presentation(partial_con, Filters(), url=URL)
    assert [s.kind for s in presentation.slides] == KINDS  # nothing disappears
    rule = "2024-2025 quand disponible, sinon 2023-2024"
    assert presentation.year_text == f"Chiffres clés : {rule}"
    assert f"Chiffres clés : {rule}" in presentation.slides[0].bullets
    chiffres = [s for s in presentation.slides if s.kind == "chiffres"]
    assert [s.title for s in chiffres] == [f"Chiffres clés : {rule} (1/2)", f"Chiffres clés : {rule} (2/2)"]
    kpis = {k.libelle: k for k in queries.kpis(partial_con, Filters())}
    for figure in _key_figures(presentation):
        year = kpis[figure.label].annee
        assert figure.year == year
        assert figure.year_note == ("" if year == "2024-2025" else f"Valeur {year}"), figure.label
    assert {f.label for f in _key_figures(presentation) if not f.year_note} == {
        "Connexions aux ressources du GAR",
        "Élèves certifiés PIX",
    }
    carte = next(s for s in presentation.slides if s.kind == "carte")
    assert carte.figure is not None
    assert carte.subtitle.endswith("2023-2024 (dernière année disponible, 2024-2025 non publiée)")
    focus = next(s for s in presentation.slides if s.kind == "focus")
    assert focus.bullets and any(b.endswith("— valeur 2023-2024") for b in focus.bullets)
    gar = next(b for b in focus.bullets if b.startswith("Connexions aux ressources du GAR"))
    assert "valeur 2023-2024" not in gar  # imported per bassin for 2024-2025
    opened = OpenPptx(io.BytesIO(pptx.presentation_pptx(presentation, render=_plain_render)))
    text = "\n".join(_slide_text(page) for page in opened.slides)
    assert f"Chiffres clés : {rule}" in text and "Valeur 2023-2024" in text
    assert "Année scolaire 2024-2025" not in _slide_text(opened.slides[0])


def test_the_overview_of_a_partial_year_says_the_rule_and_keeps_its_map(partial_con):
    from observatoire.views.overview import build_overview

    view = build_overview(partial_con, Filters())
    assert "chiffres clés : 2024-2025 quand disponible, sinon 2023-2024" in view.subtitle
    assert view.items.map is not None and view.items.map.year == "2023-2024"
    assert view.text("map_title").startswith("Personnes concernées par les laboratoires par bassin, 2023-2024 (")
    assert "2024-2025 pas encore publiée" in view.text("map_title")
    notes = {f.label: f.year_note for f in view.key_figures}
    assert notes["Visites de l'ENT"] == "Valeur 2023-2024" and notes["Élèves certifiés PIX"] == ""


def _plain_render(figure, context, box) -> bytes:
    """A white picture of the box's proportions (no browser: the text of the slides is what is tested)."""
    image = Image.new("RGB", (320, max(1, round(320 * box[1] / box[0]))), "white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_cli_zoom_on_a_chosen_bassin_and_refuses_one_outside_the_filters(store_copy, tmp_path):
    output = tmp_path / "zoom.pptx"
    done = _cli(store_copy, "--output", str(output), "--dep", "57", "--zoom", "57-forbach")
    assert done.returncode == 0, done.stderr
    texts = [_slide_text(page) for page in OpenPptx(str(output)).slides]
    assert any("Zoom sur le bassin de Forbach" in t for t in texts)
    refused = _cli(store_copy, "--output", str(tmp_path / "x.pptx"), "--dep", "57", "--zoom", "54-nancy")
    assert refused.returncode == 1 and "Bassin du zoom refusé" in refused.stderr and "54-nancy" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "x.pptx").exists()


def test_cli_puts_the_configured_public_address_in_the_qr_code(store_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_URL_PUBLIQUE", "https://observatoire.example/obs/")
    output = tmp_path / "qr.pptx"
    done = _cli(store_copy, "--output", str(output), "--dep", "57")
    assert done.returncode == 0, done.stderr
    [qr_code] = [s for s in OpenPptx(str(output)).slides[0].shapes if s.name == "QR code de la vue"]
    descr = qr_code._element.nvPicPr.cNvPr.get("descr")
    assert descr.startswith("QR code de l'adresse de la vue : https://observatoire.example/obs/?dep=57&version=")


def test_bassin_names_stay_on_their_bassin_and_clear_of_the_labs(con):
    """The map slide: a name moves a little (up, down, aside) and stays over its own bassin; in the Moselle deck no lab's
    marker covers a name, in the académie's fewer than before the names moved (seen in LibreOffice: « Metz »,
    « Bar-le-Duc-Commercy », « Épinal » under markers)."""
    import shapely

    covered = {}
    for key in ("academie", "moselle"):
        slide = next(s for s in builder.build_presentation(con, FILTERS[key]).slides if s.kind == "carte")
        figure = slide.figure.figure
        shapes = static_map._bassin_shapes(figure)
        scale = figure.layout.meta["px_par_unite"]
        names = [n for n in figure.layout.annotations if n.xref == "x" and n.text]
        assert len(names) == 17 and all(n.name in shapes for n in names)
        for note in names:
            point = shapely.Point(note.x + (note.xshift or 0) / scale, note.y + (note.yshift or 0) / scale)
            assert any(part.contains(point) for part in shapes[note.name]), (key, note.text)
        covered[key] = static_map.covered_names(figure)
        for note in names:
            note.xshift = note.yshift = 0
        covered[key + "-sans-deplacement"] = static_map.covered_names(figure)
    assert covered["moselle"] == [] and covered["moselle-sans-deplacement"], covered
    assert len(covered["academie"]) < len(covered["academie-sans-deplacement"]), covered
