"""The « fiche bassin » and « fiche laboratoire » (observatoire.views.fiches) and their one-page PDF
(observatoire.exports.pdf): the same figures as the screen, small counts masked, illustrative inputs said, one
A4 landscape page, French text extractable, fonts embedded. No timed assertion."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import pytest
from pypdf import PdfReader

from observatoire import published, queries, small_counts
from observatoire.exports import pdf
from observatoire.figures import formatting
from observatoire.filters import Filters
from observatoire.views import fiches
from observatoire.views.model import KeyFigure
from observatoire.views.static_map import bassins_map_figure
from tests.helpers import require_renderer

YEAR = "2023-2024"
BASSIN, BASSIN_NAME = "57-forbach", "Forbach"
LAB_CITED, LAB_ILLUSTRATIVE = "lab-forbach", "lab-baccarat"
TODAY = date(2026, 11, 23)


def _plain(text: str) -> str:
    """Text with the French no-break spaces as plain spaces and whitespace collapsed (PDF text extraction)."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _pdf_text(data: bytes) -> str:
    return _plain("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture(scope="module")
def bassin(con):
    return fiches.build_bassin_fiche(con, BASSIN, YEAR, Filters())


@pytest.fixture(scope="module")
def lab(con):
    return fiches.build_lab_fiche(con, LAB_CITED, YEAR)


@pytest.fixture(scope="module")
def bassin_pdf(bassin):
    return pdf.fiche_pdf(bassin, today=TODAY, image=False)


# ------------------------------------------------------------------------------------------- fiche bassin


def test_bassin_fiche_facts_are_the_profile_formatted_as_on_screen(con, bassin):
    from observatoire.figures.bassin_panel import profile_rows  # the bassin panel of the Carte page

    profile = queries.bassin_profile(con, BASSIN, YEAR, Filters())
    screen = profile_rows(profile, "bassin")
    assert [f.label for f in bassin.facts] == list(profile["libelle"])
    for fact, row, record in zip(bassin.facts, screen, profile.to_dict("records"), strict=True):
        assert fact.value == row["bassin"]
        share = (
            f"{row['part']} de l'académie ({row['academie']})" if row["part"] else f"académie : {row['academie']}"
        )
        assert fact.delta == f"{share} · rang : {row['rang']}"
        assert fact.unit == record["unite"]
    visits = next(f for f in bassin.facts if f.label == "Visites de l'ENT")
    record = profile[profile["indicateur"] == "ent_visites"].iloc[0]
    assert visits.value == formatting.number(record["valeur"])  # « 6 539 228 »: narrow no-break spaces
    assert "\u202f" in visits.value
    assert visits.delta.startswith(formatting.percent(record["part_pct"]) + " de l'académie (64,5\u202fM)")
    assert f"rang : {formatting.rank_label(int(record['rang']), int(record['nb']))}" in visits.delta


def test_bassin_fiche_title_labs_context_and_origins(con, bassin):
    assert (bassin.kind, bassin.code, bassin.name) == ("bassin", BASSIN, BASSIN_NAME)
    assert bassin.title == "Bassin de Forbach"
    assert bassin.subtitle.startswith("Département 57 — Moselle")
    assert bassin.context.school_year == YEAR and bassin.context.filters == ()
    labs = queries.laboratories(con, Filters(bassins=(BASSIN,)), open_in=YEAR).data
    heading, lines = bassin.sections[0]
    assert heading == f"Laboratoires numériques du bassin ({len(labs)})"
    assert len(lines) == len(labs) > 0
    for line, name, source in zip(lines, labs["nom"], labs["source"], strict=True):
        assert line.startswith(f"{name} — ")
        assert line.endswith("(illustratif)") == (source == "illustratif")
    # every value carries its origin; the demo's bassin values are generated: said on each card and on the fiche
    profile = queries.bassin_profile(con, BASSIN, YEAR, Filters())
    for fact, flag in zip(bassin.facts, profile["illustratif"], strict=True):
        assert fact.origins and fact.source
        assert fact.illustrative == bool(flag)
        if flag:
            assert fact.source == "illustratif (valeur générée)"
    assert bassin.illustrative
    assert "illustratif" in bassin.source and bassin.source.startswith("indicateurs : ")


def test_bassin_fiche_map_highlights_the_bassin(bassin):
    assert bassin.figure is not None
    traces = [t for t in bassin.figure.figure.data if t.name == "observatoire-highlight"]
    assert len(traces) == 1 and traces[0].meta == {"highlight": BASSIN}
    fills = {
        t.meta["bassin"]: t.fillcolor
        for t in bassin.figure.figure.data
        if isinstance(t.meta, dict) and "bassin" in t.meta
    }
    assert len(fills) == 17
    assert fills[BASSIN] == fiches.HIGHLIGHT_FILL
    assert {c for code, c in fills.items() if code != BASSIN} == {fiches.OTHER_FILL}
    assert "Forbach" in bassin.figure.alt
    assert bassin.figure.alt.startswith(f"Carte des {len(fills)} bassins de l'académie : ")  # counted, not written


def test_static_map_default_draws_no_highlight():
    square = {"type": "Polygon", "coordinates": [[[6, 49], [6.1, 49], [6.1, 49.1], [6, 49.1], [6, 49]]]}
    bassins = {"features": [{"properties": {"code": "a", "nom": "A"}, "geometry": square}]}
    plain = bassins_map_figure(bassins, {"features": []}, {"a": "#ff0000"}, {}, [("#ff0000", "classe")], "T")
    assert not [t for t in plain.data if t.name == "observatoire-highlight"]
    chosen = bassins_map_figure(
        bassins, {"features": []}, {"a": "#ff0000"}, {}, [("#ff0000", "classe")], "T", highlight="a"
    )
    assert [t.meta for t in chosen.data if t.name == "observatoire-highlight"] == [{"highlight": "a"}]


def test_bassin_fiche_filters_choose_the_labs_and_are_written(con):
    labels = queries.labels(con)
    theme = next(iter(labels.thematiques))
    fiche = fiches.build_bassin_fiche(con, BASSIN, YEAR, Filters(thematiques=(theme,)))
    labs = queries.laboratories(con, Filters(bassins=(BASSIN,), thematiques=(theme,)), open_in=YEAR).data
    assert fiche.sections[0][0] == f"Laboratoires numériques du bassin ({len(labs)})"
    assert any(line.startswith("Thématique : ") for line in fiche.context.filters)


def test_small_counts_of_people_are_masked(con, monkeypatch):
    rules = small_counts.Policy(threshold=4000)  # Forbach's PIX certifications (3 031) become a small count
    monkeypatch.setattr(small_counts, "policy", lambda *args, **kwargs: rules)
    monkeypatch.setattr(published, "policy", lambda *args, **kwargs: rules)  # the version's policy
    fiche = fiches.build_bassin_fiche(con, BASSIN, YEAR, Filters())
    profile = queries.bassin_profile(con, BASSIN, YEAR, Filters()).set_index("indicateur")
    pix = next(f for f in fiche.facts if f.label == profile.loc["pix_eleves_certifies", "libelle"])
    assert 0 < profile.loc["pix_eleves_certifies", "valeur"] < 4000
    assert pix.value == "< 4000" and pix.raw is None
    assert pix.delta.startswith("académie : ")  # no share: share × académie would tell the masked count
    visits = next(f for f in fiche.facts if f.label == profile.loc["ent_visites", "libelle"])
    assert visits.value == formatting.number(profile.loc["ent_visites", "valeur"])  # not a count of people
    assert small_counts.note(rules) in fiche.notes

    lab = fiches.build_lab_fiche(con, LAB_CITED, YEAR)
    lab_profile = queries.lab_profile(con, LAB_CITED, YEAR).set_index("indicateur")
    people = next(f for f in lab.facts if f.label == lab_profile.loc["labo_personnes", "libelle"])
    assert 0 < lab_profile.loc["labo_personnes", "valeur"] < 4000
    assert people.value == "< 4000" and "de l'académie" not in people.delta.split(" · ")[0][:20]
    classes = next(f for f in lab.facts if f.label == lab_profile.loc["labo_classes", "libelle"])
    assert classes.value == formatting.number(lab_profile.loc["labo_classes", "valeur"])

    data = pdf.fiche_pdf(fiche, today=TODAY, image=False)
    text = _pdf_text(data)
    assert (
        "< 4000" in text and _plain(formatting.number(profile.loc["pix_eleves_certifies", "valeur"])) not in text
    )


# ------------------------------------------------------------------------------------------- fiche laboratoire


def test_lab_fiche_is_the_lab_page(con, lab):
    from observatoire.figures.bassin_panel import profile_rows  # the comparison of the lab fiche page

    every = queries.laboratories(con, Filters()).data
    row = every[every["code"] == LAB_CITED].iloc[0]
    assert lab.title == row["nom"] and lab.kind == "laboratoire"
    assert lab.status == "Cité par le bilan · attributs en partie illustratifs" and lab.status_illustrative
    profile = queries.lab_profile(con, LAB_CITED, YEAR)
    profile = profile[profile["valeur"].notna()]
    screen = profile_rows(profile, "laboratoire")
    assert [f.value for f in lab.facts] == [r["bassin"] for r in screen]
    assert [f.label for f in lab.facts] == list(profile["libelle"])
    headings = [h for h, _ in lab.sections]
    assert headings[:2] == ["Le laboratoire", "Projets cités par le bilan"]
    place = dict(line.split(" : ", 1) for line in lab.sections[0][1])
    assert place["Commune"] == f"{row['commune']} ({row['code_commune']})"
    assert place["Bassin"] == row["bassin_nom"]
    projects = queries.projects(con, LAB_CITED)
    assert len(lab.sections[1][1]) == len(projects) > 0
    for line, title in zip(lab.sections[1][1], projects["intitule"], strict=True):
        assert line.startswith(title)
    assert "projets : " in lab.source and "lieu : " in lab.source
    assert lab.figure is not None
    assert [t.meta for t in lab.figure.figure.data if t.name == "observatoire-highlight"] == [
        {"highlight": row["bassin"]}
    ]


def test_illustrative_lab(con):
    fiche = fiches.build_lab_fiche(con, LAB_ILLUSTRATIVE, YEAR)
    assert fiche.status == "Laboratoire illustratif" and fiche.status_illustrative and fiche.illustrative
    assert fiche.figure is not None and fiche.figure.illustrative  # its place is made up too
    assert "laboratoire illustratif" in fiche.source
    assert fiche.sections[1][1] == ("Le bilan ne cite aucun projet pour ce laboratoire.",)


def test_unknown_codes_and_years_are_refused_in_french(con):
    with pytest.raises(ValueError, match="Bassin inconnu : « 99-nulle-part »"):
        fiches.build_bassin_fiche(con, "99-nulle-part", YEAR, Filters())
    with pytest.raises(ValueError, match="Laboratoire inconnu : « lab-inexistant »"):
        fiches.build_lab_fiche(con, "lab-inexistant", YEAR)
    with pytest.raises(ValueError, match="Année scolaire inconnue : « 1999-2000 »"):
        fiches.build_bassin_fiche(con, BASSIN, "1999-2000", Filters())


# ------------------------------------------------------------------------------------------- PDF


def test_pdf_is_one_a4_landscape_page_with_the_french_figures(bassin, bassin_pdf):
    assert bassin_pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(bassin_pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)
    text = _pdf_text(bassin_pdf)
    for expected in (
        bassin.title,
        bassin.subtitle,
        "Données illustratives",
        "23/11/2026",
        "Observatoire du numérique éducatif — DRANE Nancy-Metz",
        bassin.context.version_text,
        "Aucun filtre (toute l'académie)",
        "Laboratoires numériques du bassin",
    ):
        assert _plain(expected) in text, expected
    for fact in bassin.facts:
        assert _plain(fact.value) in text, fact.value
        assert _plain(fact.label) in text, fact.label
    assert "64,5 M" in text and "%" in text and "rang : " in text.lower()
    for line in bassin.sections[0][1]:
        assert _plain(line) in text  # never cut


def test_pdf_fonts_are_embedded(bassin_pdf):
    fonts = PdfReader(io.BytesIO(bassin_pdf)).pages[0]["/Resources"]["/Font"]
    assert fonts
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, font  # the TrueType program is inside the file
        assert "DejaVu" in str(font["/BaseFont"])
    assert b"http://" not in bassin_pdf and b"https://" not in bassin_pdf


def test_pdf_without_illustrative_input_has_no_badge(bassin):
    trusted = KeyFigure(
        "Visites de l'ENT",
        "64\u202f500\u202f000",
        64_500_000,
        "visites",
        "rang : 1er sur 1",
        ("bilan",),
        "bilan, « L'ENT »",
    )
    fiche = dataclasses.replace(
        bassin, facts=(trusted,), illustrative=False, figure=None, source="bilan, « L'ENT »"
    )
    text = _pdf_text(pdf.fiche_pdf(fiche, today=TODAY))
    assert "Données illustratives" not in text
    assert "64 500 000" in text and "Source : bilan, « L’ENT »".replace("’", "'") in text


def test_everything_fits_on_one_page_with_long_lists(bassin):
    many = tuple(
        f"Laboratoire numérique n° {i} de Saint-Dié-des-Vosges — une commune au nom long · Robotique "
        "et programmation, intelligence artificielle (illustratif)"
        for i in range(60)
    )
    projects = tuple(f"Projet {i} : robots, webradio et cartographie numérique" for i in range(8))
    fiche = dataclasses.replace(
        bassin,
        sections=(("Laboratoires numériques du bassin (60)", many), ("Projets cités par le bilan", projects)),
    )
    data = pdf.fiche_pdf(fiche, today=TODAY, image=False)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = _pdf_text(data)
    assert "… et " in text and " autres" in text
    shown = [line for line in many if _plain(line) in text]
    hidden = int(text.split("… et ", 1)[1].split()[0])
    assert shown and len(shown) + hidden == 60
    assert shown == list(many[: len(shown)])  # the first items, whole
    assert all(_plain(p) in text for p in projects)  # the short list is kept whole


def test_file_names_keep_the_accents(bassin, lab, con):
    assert pdf.fiche_file_name(bassin) == "Fiche bassin — Forbach — 2023-2024.pdf"
    assert pdf.fiche_file_name(lab) == "Fiche laboratoire — Laboratoire numérique de Forbach — 2023-2024.pdf"
    epinal = fiches.build_bassin_fiche(con, "88-epinal", YEAR, Filters())
    assert epinal.title == "Bassin d'Épinal"
    assert pdf.fiche_file_name(epinal) == "Fiche bassin — Épinal — 2023-2024.pdf"


def test_pdf_with_the_map_image(lab):
    require_renderer()  # CI fails without Debian's Chromium, never skips
    data = pdf.fiche_pdf(lab, today=TODAY)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    images = reader.pages[0].images
    assert len(images) == 1 and images[0].image.width == fiches.MAP_WIDTH
    text = _pdf_text(data)
    for expected in (
        lab.title,
        lab.status,
        "Données illustratives",
        "Situation du bassin de Forbach",
        *(f.value for f in lab.facts),
    ):
        assert _plain(expected) in text, expected
