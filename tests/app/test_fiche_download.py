"""The « Télécharger la fiche (PDF) » button (components.fiches) in an AppTest, without the app pages: its label,
its accented file name, and the deferred PDF it builds when clicked (one page, French text)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest


def _button_script(kind: str, code: str) -> None:
    from components.fiches import render_fiche_download
    from observatoire.filters import Filters

    render_fiche_download(kind, code, "2023-2024", Filters(), key="fiche_pdf")


@pytest.mark.parametrize(
    ("kind", "code", "name", "title"),
    [
        ("bassin", "88-epinal", "Fiche bassin — Épinal — 2023-2024.pdf", "Bassin d'Épinal"),
        (
            "laboratoire",
            "lab-forbach",
            "Fiche laboratoire — Laboratoire numérique de Forbach — 2023-2024.pdf",
            "Laboratoire numérique de Forbach",
        ),
    ],
)
def test_fiche_button(demo_store, deferred, kind, code, name, title):
    at = AppTest.from_function(_button_script, args=(kind, code), default_timeout=120)
    at.run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 1
    proto = buttons[0].proto
    assert proto.label == "Télécharger la fiche (PDF)"
    file_name, make = deferred[proto.deferred_file_id]
    assert file_name == name
    data = make()  # what a click downloads
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert title in reader.pages[0].extract_text()


def test_unknown_code_says_so_in_french(demo_store):
    at = AppTest.from_function(_button_script, args=("bassin", "99-nulle-part"), default_timeout=60)
    at.run()
    assert not at.exception
    assert not at.get("download_button")
    assert any("Bassin inconnu : « 99-nulle-part »" in c.value for c in at.caption)
