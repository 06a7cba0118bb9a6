"""A partial new school year (issue 18, point 2) on the overview and the Présentation page (AppTest): GAR and PIX
2024-2025 imported, the other sources not yet. The subtitle says the year rule, the cards of another year say
theirs, the small map shows the latest year with values per bassin (never « Élargissez la sélection » when no
filter is set), and the deck keeps all its slides."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from observatoire import cli
from tests.helpers import md_text, texts, unexpected_errors

ROOT = Path(__file__).resolve().parents[2]
RULE = "2024-2025 quand disponible, sinon 2023-2024"


@pytest.fixture(scope="module")
def partial_store(demo_store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("partiel-app")
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
    path = folder / "gar_pix.csv"
    rows.to_csv(path, sep=";", index=False)
    assert cli.main(["--store", str(target), "import", str(path), "--auteur", "tests"]) == 0
    return target


def test_the_overview_tells_a_partial_year_as_it_is(app, partial_store, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_STORE", str(partial_store))
    at = app()
    assert not unexpected_errors(at), unexpected_errors(at)
    subtitle = " ".join(texts(at.markdown))
    assert f"chiffres clés : {RULE}" in subtitle
    captions = [c.replace("\u2011", "-") for c in texts(at.caption)]
    notes = [c for c in captions if c.startswith(":material/event:")]
    assert notes == [":material/event: **Valeur 2023-2024**"] * 5, notes  # 7 cards, GAR and PIX of 2024-2025
    assert "Personnes concernées par les laboratoires par bassin, 2023-2024 (dernière année disponible" in subtitle
    assert not [i for i in at.info if "Élargissez" in md_text(str(i.value))]


def test_the_deck_of_a_partial_year_keeps_every_slide(app, partial_store, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_STORE", str(partial_store))
    at = app(query_params={"presentation": "1", "diapo": "2"})
    assert not unexpected_errors(at), unexpected_errors(at)
    slide = "\n".join(e.proto.body for e in at.get("html") if 'class="obs-' in e.proto.body)
    assert ">2 / 10</div>" in slide
    assert "Chiffres clés : " in slide and "quand disponible, sinon" in slide
    assert "Valeur <span" in slide  # the cards of 2023-2024 say their year (kept on one line)
