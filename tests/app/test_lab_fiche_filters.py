"""The lab fiche on the Laboratoires page answers the sidebar filters, as the overview does (issue 18, point 6),
through the entrypoint (AppTest): what the page shows, and the PDF its button downloads."""

from __future__ import annotations

import dataclasses
import io

from pypdf import PdfReader

from observatoire import queries
from observatoire.figures import cards
from observatoire.filters import Filters
from tests.helpers import md_text, open_page, texts

PAGE = "pages/laboratoires.py"
YEAR = "2023-2024"
ISSUE = {"dep": "57", "theme": "programmation_ia", "niveau": "college"}
FILTERS = Filters(departements=("57",), thematiques=("programmation_ia",), niveaux=("college",))


def _people(at) -> str:
    metric = next(m for m in at.main.get("metric") if m.label == "Personnes concernées par les laboratoires")
    return str(metric.value)


def test_forbach_with_moselle_ia_college_shows_its_part_of_the_overview(app, con, deferred):
    at = open_page(app, PAGE, labo="lab-forbach", **ISSUE)
    per_lab = queries.series(
        con, "labo_personnes", FILTERS.with_(departements=()), by="laboratoire", annual=True, periods=(YEAR, YEAR)
    ).data.set_index("groupe")["valeur"]
    overview = next(k for k in queries.kpis(con, FILTERS) if k.indicateur == "labo_personnes")
    labs = queries.laboratories(con, FILTERS).data["code"]
    assert per_lab[list(labs)].sum() == overview.valeur  # the fiches of the listed labs add up to the overview
    shown = _people(at)
    assert shown == cards.kpi_value_text(dataclasses.replace(overview, valeur=float(per_lab["lab-forbach"])))
    captions = texts(at.caption)
    assert any(
        "Chiffres de ce laboratoire pour : Programmation et intelligence artificielle, Collège" in c
        for c in captions
    ), captions
    assert any("pour Programmation et intelligence artificielle, Collège" in c for c in captions)  # comparison
    assert not any("sans filtre" in c for c in captions)
    # the PDF the button gives: the same filters, written on it
    button = next(b for b in at.get("download_button") if b.key == "labo_fiche_pdf")
    name, make = deferred[button.proto.deferred_file_id]
    text = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(make())).pages)
        .replace("\u202f", " ")
        .split()
    )
    assert "Niveau : Collège" in text and "Thématique : Programmation et intelligence artificielle" in text
    assert shown.replace("\u202f", " ") in text


def test_a_filter_that_does_not_apply_is_said_with_why(app):
    at = open_page(app, PAGE, labo="lab-forbach", dep="54", theme="webmedias", public="eleves")
    infos = [md_text(i.value) for i in at.info]
    assert any("ne correspond pas aux filtres choisis" in i for i in infos)
    assert any("Filtre thématique non appliqué" in i and "toutes thématiques confondues" in i for i in infos)
    assert any("hors des territoires choisis" in i for i in infos)
    assert any("Filtre public non appliqué" in i for i in infos)
    plain = open_page(app, PAGE, labo="lab-forbach")
    assert _people(at) == _people(plain)  # its whole activity, as said
