"""The phone's summary of the active filters (`components.phone`): what it says, hidden on wide screens, the
text of data escaped. Drawn and tapped in Chromium at 390×844 by tests/e2e/test_phone.py."""

from __future__ import annotations

from components import phone
from observatoire.filters import Filters
from observatoire.labels import Labels

LABELS = Labels(
    departements={"57": "Moselle"}, niveaux={"college": "Collège"}, thematiques={"robot": "<b>Robotique</b> & co"}
)


def test_no_filter_says_the_whole_academie():
    assert phone.summary_text(Filters(), LABELS) == "aucun, toute l'académie"


def test_the_active_filters_in_french():
    text = phone.summary_text(Filters(departements=("57",), niveaux=("college",), periode_fin="2022-2023"), LABELS)
    assert text == "Département : 57 — Moselle · Niveau : Collège · Années scolaires : … à 2022-2023"


def test_hidden_on_a_wide_screen_and_escaped(monkeypatch):
    drawn: list[str] = []

    class _Container:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(phone.st, "container", lambda key: _Container() if key == phone.KEY else None)
    monkeypatch.setattr(phone.st, "html", lambda body, **kwargs: drawn.append(body))
    phone.render_filter_summary(Filters(thematiques=("robot",)), LABELS)
    (body,) = drawn
    assert f"@media (min-width: {phone.NARROW + 0.02}px)" in body and "display: none" in body
    assert "&lt;b&gt;Robotique&lt;/b&gt; &amp; co" in body and "<b>Robotique" not in body
    assert 'aria-label="Modifier les filtres"' in body and ">Modifier</button>" in body
    assert phone.NARROW == 768  # Streamlit's `md` breakpoint, where « auto » closes the sidebar
