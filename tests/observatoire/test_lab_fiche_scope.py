"""One number per question (issue 18, point 6): the lab fiche — on the Laboratoires page and as a PDF — answers
the chosen filters like the overview does, or says which filters it does not apply and why.

With Moselle + IA + Collège the overview's « personnes concernées » was 1 952 for the two IA labs of Moselle while
Forbach's fiche said 2 931 (all its thèmes and niveaux), without a word. Now the fiches of the labs listed for a
set of filters add up to the overview's key figure for the same filters, indicator by indicator; a filter that
does not apply (a thème or niveau the lab does not have, a territory it is not in, the public) is written
« non appliqué » with why, and then the figures are the lab's whole activity. Expected values come from the
queries, never from the fiche itself.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from observatoire import queries
from observatoire.exports import pdf
from observatoire.figures import cards
from observatoire.filters import Filters
from observatoire.views import fiches
from observatoire.views.laboratories import build_laboratories
from observatoire.views.overview import build_overview

YEAR = "2023-2024"
ISSUE = Filters(departements=("57",), thematiques=("programmation_ia",), niveaux=("college",))

GRID = [  # each fiche is a whole view: a few cases (the machine is shared), every kind of filter
    ISSUE,
    Filters(thematiques=("programmation_ia",)),
    Filters(departements=("88",), niveaux=("ecole",)),
    Filters(departements=("54",), thematiques=("webmedias",)),
    Filters(departements=("57",), thematiques=("hn_ia_generatives",), niveaux=("college",)),  # a sub-thème
]


def _fiche(con, filters: Filters, code: str):
    return build_laboratories(con, filters, {"labo": code}).items.fiche


def _activity_value(fiche, indicator: str) -> float:
    """The value of the fiche's activity card `indicator` for YEAR (0 when the lab has none)."""
    kpi = next((k for k in fiche.activity.items.kpis if k.indicateur == indicator), None)
    if kpi is None:
        return 0.0
    values = dict(zip(kpi.annees, kpi.historique))
    return float(values.get(YEAR, 0.0))


@pytest.mark.parametrize(
    "filters",
    GRID,
    ids=lambda f: "+".join(v for attr in ("departements", "thematiques", "niveaux") for v in getattr(f, attr)),
)
def test_the_fiches_of_the_listed_labs_add_up_to_the_overview(con, filters):
    overview = build_overview(con, filters)
    kpi = next(k for k in overview.items.kpis if k.indicateur == "labo_personnes")
    assert kpi.annee == YEAR and kpi.valeur
    labs = queries.laboratories(con, filters).data["code"]
    assert len(labs) >= 1
    built = {code: _fiche(con, filters, code) for code in labs}
    shown = {code: _activity_value(fiche, "labo_personnes") for code, fiche in built.items()}
    assert sum(shown.values()) == pytest.approx(kpi.valeur), shown
    # each fiche says what its figures are for, and applies nothing it does not say
    for fiche in built.values():
        assert fiche.in_filters and fiche.scope.in_filters
        assert fiche.scope.filters.thematiques == filters.thematiques
        assert fiche.scope.filters.niveaux == filters.niveaux
        assert not fiche.scope.not_applied and not fiche.scope.reasons


def test_the_issue_case_forbach(con):
    """Moselle + IA + Collège: 1 952 people for the two IA labs together, Forbach's part on its fiche."""
    overview = next(k for k in build_overview(con, ISSUE).items.kpis if k.indicateur == "labo_personnes")
    per_lab = queries.series(
        con, "labo_personnes", ISSUE.with_(departements=()), by="laboratoire", annual=True, periods=(YEAR, YEAR)
    ).data.set_index("groupe")["valeur"]
    fiche = _fiche(con, ISSUE, "lab-forbach")
    forbach = _activity_value(fiche, "labo_personnes")
    assert forbach == per_lab["lab-forbach"] < overview.valeur
    whole = _activity_value(_fiche(con, Filters(), "lab-forbach"), "labo_personnes")
    assert whole > forbach  # before: the fiche showed this figure under these filters
    assert fiche.scope.parts == "Programmation et intelligence artificielle, Collège"
    assert fiche.scope.applied == (
        "Département : 57 — Moselle",
        "Thématique : Programmation et intelligence artificielle",
        "Niveau : Collège",
    )
    assert fiche.activity.context.filters == fiche.scope.applied
    # the comparison with the académie reads the same parts, and says so
    profile = fiche.profile.set_index("indicateur").loc["labo_personnes"]
    assert profile["valeur"] == forbach
    academie = (
        queries.series(con, "labo_personnes", ISSUE.with_(departements=()), annual=True, periods=(YEAR, YEAR))
        .data["valeur"]
        .sum()
    )
    assert profile["academie"] == pytest.approx(academie)
    assert "pour Programmation et intelligence artificielle, Collège" in fiche.comparison_note
    assert "sans filtre" not in fiche.comparison_note


def test_a_filter_the_lab_does_not_have_is_said_not_applied(con):
    """A shared link to Forbach with Meurthe-et-Moselle + Webmédias + École: none applies to it."""
    filters = Filters(departements=("54",), thematiques=("webmedias",), niveaux=("ecole",))
    fiche = _fiche(con, filters, "lab-forbach")
    whole = _fiche(con, Filters(), "lab-forbach")
    assert not fiche.in_filters
    assert fiche.scope.filters == Filters()  # its whole activity…
    assert _activity_value(fiche, "labo_personnes") == _activity_value(whole, "labo_personnes")
    reasons = " ".join(fiche.scope.reasons)  # … and why
    assert "Filtre thématique non appliqué" in reasons and "toutes thématiques confondues" in reasons
    assert "Filtre niveau non appliqué" in reasons and "tous niveaux confondus" in reasons
    assert "hors des territoires choisis" in reasons
    assert fiche.scope.not_applied == (
        "Thématique : Webmédias (webradios, web TV) (non appliqué)",
        "Niveau : École (non appliqué)",
        "Département : 54 — Meurthe-et-Moselle (hors de ce territoire)",
    )
    assert fiche.comparison_note.endswith("sans filtre.")


def test_the_public_filter_is_said_not_applied(con):
    filters = ISSUE.with_(publics=("eleves",))
    fiche = _fiche(con, filters, "lab-forbach")
    assert _activity_value(fiche, "labo_personnes") == _activity_value(
        _fiche(con, ISSUE, "lab-forbach"), "labo_personnes"
    )
    assert fiche.scope.not_applied == ("Public : Élèves (non appliqué)",)
    assert (
        "Filtre public non appliqué : l'activité des laboratoires n'est pas détaillée par public."
        in fiche.scope.reasons
    )
    assert "Public : Élèves (non appliqué)" in fiche.activity.context.filters
    assert not any(line.startswith("Public") for line in fiche.scope.applied)  # never written as applied


def test_a_sub_theme_read_at_its_main_theme_is_said(con):
    fiche = _fiche(con, Filters(thematiques=("hn_ia_generatives",)), "lab-forbach")
    notes = [n.text for n in fiche.activity.notices]
    assert any(note.startswith(queries.BROADER_PREFIX) for note in notes), notes


# ------------------------------------------------------------------------------------------------ the PDF


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def test_the_pdf_fiche_has_the_screen_figures_for_the_same_filters(con):
    screen = _fiche(con, ISSUE, "lab-forbach")
    fiche = fiches.build_lab_fiche(con, "lab-forbach", YEAR, ISSUE)
    facts = {f.label: f for f in fiche.facts}
    for row in screen.profile.to_dict("records"):
        fact = facts[row["libelle"]]
        value, _, part, _ = fiches.profile_texts(row, "laboratoire")
        assert fact.value == value, row["libelle"]
        assert (part in fact.delta) if part else True
    people = facts["Personnes concernées par les laboratoires"]
    assert people.raw == _activity_value(screen, "labo_personnes")
    assert fiche.context.filters == screen.scope.context_filters
    assert "pour Programmation et intelligence artificielle, Collège" in fiche.subtitle
    text = _pdf_text(pdf.fiche_pdf(fiche, image=False))
    assert "Thématique : Programmation et intelligence artificielle" in text and "Niveau : Collège" in text
    value = cards.kpi_value_text(next(k for k in screen.activity.items.kpis if k.indicateur == "labo_personnes"))
    assert value.replace("\u202f", " ") in text


def test_the_pdf_fiche_says_the_filters_it_does_not_apply(con):
    filters = Filters(departements=("54",), thematiques=("webmedias",), publics=("eleves",))
    fiche = fiches.build_lab_fiche(con, "lab-forbach", YEAR, filters)
    plain = fiches.build_lab_fiche(con, "lab-forbach", YEAR)
    assert [f.value for f in fiche.facts] == [f.value for f in plain.facts]
    assert "toutes thématiques, tous niveaux" in fiche.subtitle
    text = _pdf_text(pdf.fiche_pdf(fiche, image=False))
    for expected in (
        "Thématique : Webmédias (webradios, web TV) (non appliqué)",
        "Public : Élèves (non appliqué)",
        "hors de ce territoire",
        "Filtre thématique non appliqué",
        "l'activité des laboratoires n'est pas détaillée par public",
    ):
        assert expected in text, expected
    assert len(PdfReader(io.BytesIO(pdf.fiche_pdf(fiche, image=False))).pages) == 1


def test_the_carte_popup_of_a_lab_gives_the_fiche_figure(con):
    """The lab's popup on the Carte answers the same question as its fiche: Forbach under Moselle + IA + Collège
    reads its part (and says for what), not its whole activity."""
    from observatoire.figures import formatting
    from observatoire.views.carte import build_carte

    view = build_carte(con, ISSUE, {"indicateur": "labo_personnes", "annee": YEAR})
    rows = dict((label, value) for label, value, _ in view.items.map.lab_figures["lab-forbach"])
    fiche = _activity_value(_fiche(con, ISSUE, "lab-forbach"), "labo_personnes")
    label = "Personnes concernées (Programmation et intelligence artificielle, Collège)"
    assert rows[label] == formatting.number(fiche)
    plain = build_carte(con, Filters(), {"indicateur": "labo_personnes", "annee": YEAR}).items.map
    assert dict((lbl, v) for lbl, v, _ in plain.lab_figures["lab-forbach"])[
        "Personnes concernées"
    ] == formatting.number(_activity_value(_fiche(con, Filters(), "lab-forbach"), "labo_personnes"))
