"""Shared fixtures of the core tests (observatoire package, demo data, DuckDB store).

Expectations are derived from the source files (read here independently of the store, with the standard
library and plain pandas) or from the figures of the bilan DRANE 2023-2024 (data/demo/chiffres_bilan.csv).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from observatoire import checks, reading

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
REF = DATA / "reference"
MEASURES_CSV = DATA / "demo" / "mesures.csv"
BILAN_CSV = DATA / "demo" / "chiffres_bilan.csv"
KEY = ["indicateur", "periode", "territoire_type", "territoire_code", "niveau", "thematique", "public"]


def _read_semicolon(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Overrides the fixture of tests/conftest.py: the core never uses Streamlit, so there is nothing to
    clear (and importing Streamlit here would only slow these tests down)."""
    yield


@pytest.fixture(scope="session")
def raw_measures() -> pd.DataFrame:
    """data/demo/mesures.csv read with the csv module (independent of the store's reader)."""
    frame = pd.DataFrame(_read_semicolon(MEASURES_CSV))
    frame["valeur"] = [float(v.replace(",", ".")) for v in frame["valeur"]]
    return frame


@pytest.fixture(scope="session")
def bilan() -> pd.DataFrame:
    frame = pd.DataFrame(_read_semicolon(BILAN_CSV))
    frame["valeur"] = [float(v.replace(",", ".")) for v in frame["valeur"]]
    return frame


@pytest.fixture(scope="session")
def indicators_csv() -> pd.DataFrame:
    return pd.DataFrame(_read_semicolon(REF / "indicateurs.csv"))


@pytest.fixture(scope="session")
def bassin_departement() -> dict[str, str]:
    """Bassin code → département code, from bassins.geojson."""
    raw = json.loads((REF / "bassins.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: str(f["properties"]["departement"]) for f in raw["features"]}


@pytest.fixture(scope="session")
def labs_csv() -> pd.DataFrame:
    return pd.DataFrame(_read_semicolon(REF / "laboratoires.csv"))


@pytest.fixture(scope="session")
def academie_json() -> dict:
    return json.loads((REF / "academie.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_tables() -> dict[str, pd.DataFrame]:
    return checks.load_reference(REF)


@pytest.fixture(scope="session")
def demo_measures(reference_tables) -> pd.DataFrame:
    """data/demo/mesures.csv read through the store and validated against the reference tables."""
    return checks.validate_measures(reading.read_measures_csv(MEASURES_CSV), reference_tables)
