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

from observatoire import config, queries, small_counts
from observatoire.exports import png, pptx
from observatoire.figures import cards, formatting
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from observatoire.views.model import ILLUSTRATIVE, KeyFigure, Presentation

ROOT = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:8501/?dep=57"
FILTERS = {"academie": Filters(), "moselle": Filters(departements=("57",))}
KINDS = ["titre", "chiffres", "carte", "evolution", "evolution", "evolution", "laboratoires", "focus", "sources"]
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
    return [k for k in queries.kpis(con, filters) if k.valeur is not None][:builder.MAX_KEY_FIGURES]


def _slide_text(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


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
    filters, presentation = case
    slide = presentation.slides[1]
    shown = _shown_kpis(con, filters)
    assert [f.label for f in slide.figures] == [k.libelle for k in shown]
    assert [f.value for f in slide.figures] == [cards.kpi_value_text(k) for k in shown]
    assert [f.delta for f in slide.figures] == [
        (cards.kpi_delta_text(k) or "").replace("vs", "par rapport à", 1) for k in shown]
    assert all(f.delta for f in slide.figures)  # the demo has every previous year
    assert slide.title == f"Chiffres clés {_year(con, filters)}"
    for figure in slide.figures:
        assert f"{figure.label} : {figure.value}" in slide.notes
    if filters.departements:
        assert slide.subtitle == "Département : 57 — Moselle"
    else:
        assert slide.subtitle == "Aucun filtre (toute l'académie)"


def test_every_figure_slide_has_a_plotly_figure_whose_alt_names_its_numbers(case, con):
    filters, presentation = case
    year = _year(con, filters)
    figures = [s for s in presentation.slides if s.figure is not None]
    assert [s.kind for s in figures] == ["carte", "evolution", "evolution", "evolution"]
    for slide in figures:
        assert isinstance(slide.figure.figure, go.Figure) and slide.figure.figure.data, slide.title
        assert re.search(r"\d", slide.figure.alt), slide.figure.alt
    # the map: bassins, labs, the three bassins in front with their values
    carte = figures[0]
    values = queries.values_by_bassin(con, builder.MAP_INDICATOR, year, filters).data.dropna(subset=["valeur"])
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
    chiffres = by_kind["chiffres"][0]
    for figure in chiffres.figures:
        assert figure.illustrative == (config.ILLUSTRATIVE in figure.origins or not figure.origins)
    shown = _shown_kpis(con, filters)
    assert chiffres.illustrative == (any(f.illustrative for f in chiffres.figures) or any(k.illustratif
                                                                                            for k in shown))
    # a slide whose query result is illustrative says so (and the figure with it)
    carte = by_kind["carte"][0]
    result = queries.values_by_bassin(con, builder.MAP_INDICATOR, year, filters)
    assert carte.illustrative == carte.figure.illustrative == bool(result.illustrative)
    for slide in by_kind["evolution"]:
        kpi = next(k for k in queries.kpis(con, filters) if k.libelle == slide.title)
        result = queries.series(con, kpi.indicateur, filters, annual=True)
        assert slide.illustrative == slide.figure.illustrative == bool(result.illustrative), slide.title
        assert slide.figures[0].illustrative == (config.ILLUSTRATIVE in slide.figures[0].origins)
    labs = by_kind["laboratoires"][0]
    assert labs.illustrative == bool(queries.laboratories(con, filters, open_in=year).illustrative)
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
        values = queries.values_by_bassin(con, builder.MAP_INDICATOR, _year(con, filters), filters).data
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
    presentation = builder.build_presentation(con, filters)
    chiffres = presentation.slides[1]
    figures = {f.label: f for f in chiffres.figures}
    assert [f.value for f in chiffres.figures] == [cards.kpi_value_text(k, rules=rules) for k in shown]
    hidden = figures[target.libelle]
    assert hidden.value.startswith(rules.label) and hidden.delta == ""
    for kpi in shown:  # counts of things are never masked
        if not cards.masked(kpi, rules):
            assert figures[kpi.libelle].value == cards.kpi_value_text(kpi)
    focus = presentation.slides[[s.kind for s in presentation.slides].index("focus")]
    assert focus.title == "Zoom sur le bassin de Sarrebourg"
    assert f"{target.libelle} : {rules.label} {target.unite}" in focus.bullets
    texts = _all_texts(presentation)
    for exact in (formatting.with_unit(target.valeur, target.unite), formatting.compact(target.valeur)):
        assert not re.search(rf"(?<![\d\u202f]){re.escape(exact)}(?![\d,])", texts), exact
    assert rules.label in texts


# -------------------------------------------------------------------------------------------------- PPTX


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
            assert runs[0].font.size.pt >= 0.6 * pptx.FIGURE_PT - 5
            cards_seen += 1
    assert cards_seen >= 9  # the key figures slide and one card per evolution slide


def test_a_card_too_small_for_its_text_scales_it_down_and_never_below_60_percent():
    figure = KeyFigure("Connexions aux ressources numériques du GAR", "2,6 M", 2.6e6, "connexions",
                       "+18,4 % par rapport à 2022-2023", origins=(ILLUSTRATIVE,))
    roomy = pptx.card_paragraphs(figure, 300, 400)
    assert [size for _, size, _, _ in roomy] == [pptx.FIGURE_PT, pptx.LABEL_PT, pptx.DELTA_PT, pptx.DELTA_PT - 2]
    tight = pptx.card_paragraphs(figure, 240, 110)
    ratios = [t[1] / r[1] for t, r in zip(tight, roomy)]
    assert all(abs(x - ratios[0]) < 0.02 for x in ratios) and 0.6 <= ratios[0] < 1  # all scaled together
    tiny = pptx.card_paragraphs(figure, 100, 20)
    assert tiny[0][1] >= 0.6 * pptx.FIGURE_PT - 0.5


def test_pptx_opens_with_one_slide_per_slide_in_16_9(deck):
    _, presentation, opened = deck
    assert len(opened.slides) == len(presentation.slides)
    assert abs(opened.slide_width / opened.slide_height - 16 / 9) < 0.01
    assert opened.core_properties.language == "fr-FR"
    for slide, page in zip(presentation.slides, opened.slides, strict=True):
        assert slide.title in _slide_text(page), slide.title
        if slide.subtitle:
            assert slide.subtitle in _slide_text(page), slide.subtitle


def test_pptx_key_figures_and_notes_carry_the_numbers(deck, con):
    filters, presentation, opened = deck
    text = _slide_text(opened.slides[1])
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


def test_pptx_pictures_decode_are_not_blank_and_have_the_slide_ratio(deck):
    _, presentation, opened = deck
    width, height, scale = pptx.SLIDE_IMAGE
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
            assert image.size == (width * scale, height * scale)
            assert abs(picture.width / picture.height - image.width / image.height) < 0.01
            assert len(colours) > 16, slide.title  # a drawn chart or map, not a blank picture
            assert descr == slide.figure.alt
            assert picture.left + picture.width <= opened.slide_width
            assert picture.top + picture.height <= opened.slide_height


def test_pptx_badge_exactly_on_illustrative_slides(deck):
    _, presentation, opened = deck
    for slide, page in zip(presentation.slides, opened.slides, strict=True):
        badges = [s for s in page.shapes if s.has_text_frame and s.text_frame.text == png.ILLUSTRATIVE_LABEL]
        assert len(badges) == (1 if slide.illustrative else 0), slide.title
        notes = page.notes_slide.notes_text_frame.text
        assert ("données illustratives" in notes) == slide.illustrative, slide.title


# --------------------------------------------------------------------------------------------------- CLI


def _cli(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "observatoire", "--store", str(store), "presentation", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)


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

