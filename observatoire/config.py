"""Paths and académie-specific configuration (read from data, never hard-coded in code)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_ENV_VAR = "OBSERVATOIRE_DATA"
"""Folder holding `reference/` and `demo/` (default: the repository's `data/`). Read once, at import: set it
before starting a process (tests start a server on a copy of data/ with hostile text in every field)."""
DATA_DIR = Path(os.environ.get(DATA_ENV_VAR, "").strip() or PROJECT_ROOT / "data").expanduser()
REFERENCE_DIR = DATA_DIR / "reference"
DEMO_DIR = DATA_DIR / "demo"
DEMO_MEASURES = DEMO_DIR / "mesures.csv"
DEFAULT_STORE = PROJECT_ROOT / "var"
STORE_ENV_VAR = "OBSERVATOIRE_STORE"
"""Folder of the published data versions (`versions/`, the `current` pointer, the write lock)."""
KEEP_ENV_VAR = "OBSERVATOIRE_VERSIONS_KEEP"
DEFAULT_KEEP = 20
"""How many published versions are kept (the current one always is)."""

UPLOAD_LIMIT_MB = 20
"""Largest file an editor may upload, in Mo of 1 048 576 bytes — ONE limit, said and enforced the same everywhere:
the import page's text and its uploader (`max_upload_size`), the reader (`importing.MAX_BYTES`), Streamlit's
server (`server.maxUploadSize` in `.streamlit/config.toml`, mebibytes too) and HAProxy's body limit
(`scripts/serve.py`); `tests/components/test_upload_limits.py` checks they agree."""
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024

ILLUSTRATIVE = "illustratif"
"""`origine` code (and `source` text) of every generated figure, not taken (or deduced) from the bilan."""

ALL = "tous"
"""Code meaning "every value of this dimension" (niveau, thématique, public)."""


def store_dir() -> Path:
    """Folder of the data versions: `$OBSERVATOIRE_STORE` when set, else `var/`."""
    env = os.environ.get(STORE_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else DEFAULT_STORE


def versions_kept() -> int:
    """`$OBSERVATOIRE_VERSIONS_KEEP` (at least 1), else 20."""
    env = os.environ.get(KEEP_ENV_VAR, "").strip()
    return max(1, int(env)) if env.isdigit() else DEFAULT_KEEP


DASHBOARD_NAME = "Observatoire du numérique éducatif"


@dataclass(frozen=True)
class IndicatorRoles:
    """What some indicators are FOR (`indicateurs` in academie.json; ids of the catalogue, checked by `check`).
    Every role is optional: without it a page falls back on the catalogue (see each field)."""

    defaut: str = ""
    """Shown first on the Indicateurs page (default: the first headline indicator, `kpi` column)."""
    carte: str = ""
    """Drawn on the overview's small map and the séminaire slides' map, first choice of the Carte (default:
    `defaut`)."""
    nombre_laboratoires: str = ""
    """The count of labs (one per open lab): never a lab's own activity figure (default: none)."""
    evolutions: tuple[str, ...] = ()
    """Headline indicators drawn as an evolution slide in the séminaire deck (default: the first three)."""
    activite_laboratoire: tuple[str, ...] = ()
    """Order of a lab's activity figures, the main one first (default: the catalogue's order)."""
    chiffres_laboratoire: tuple[tuple[str, str], ...] = ()
    """(id, short label) of the figures in a lab's popup on the map (default: none)."""


@dataclass(frozen=True)
class Academie:
    code: str
    nom: str
    departements: dict[str, str]
    annee_reference: str
    annees: tuple[str, ...]
    bilan: str
    carte_centre: tuple[float, float]
    carte_zoom: int
    bassins_note: str
    annees_valides: tuple[str, str] = ("", "")
    """First and last school year accepted in measures (`annees_valides` in academie.json)."""
    emprise: tuple[float, float, float, float] = (-180.0, -90.0, 180.0, 90.0)
    """Bounding box (west, south, east, north, WGS84 degrees) every coordinate must lie in (`emprise`)."""
    nom_court: str = ""
    """« Nancy-Metz » (`nom_court`; default: `nom` without « Académie de »): tab title, DRANE's name."""
    bilan_court: str = ""
    """« Bilan DRANE 2023-2024 » (`bilan_court`; default: `bilan`): how sources cite the bilan."""
    latitude_projection: float | None = None
    """Latitude of the static maps' projection (`carte.latitude_projection`; default: the map centre's)."""
    indicateurs: IndicatorRoles = IndicatorRoles()

    @property
    def short_name(self) -> str:
        if self.nom_court:
            return self.nom_court
        for prefix in ("Académie de la ", "Académie de ", "Académie d'", "Académie d’", "Académie "):
            if self.nom.startswith(prefix):
                return self.nom.removeprefix(prefix)
        return self.nom

    @property
    def drane(self) -> str:
        """« DRANE Nancy-Metz »: who publishes the observatory (the PDF fiches' footer)."""
        return f"DRANE {self.short_name}"

    @property
    def title(self) -> str:
        """The browser tab's title: « Observatoire du numérique éducatif — Nancy-Metz »."""
        return f"{DASHBOARD_NAME} — {self.short_name}"

    @property
    def about(self) -> str:
        """« Observatoire du numérique éducatif — DRANE de l'académie de Nancy-Metz. »"""
        return f"{DASHBOARD_NAME} — DRANE de l'{self.nom[:1].lower()}{self.nom[1:]}."

    @property
    def bilan_source(self) -> str:
        """How a source cites the bilan: « Bilan DRANE 2023-2024 »."""
        return self.bilan_court or self.bilan

    @property
    def projection(self) -> float:
        """Latitude of the static maps' projection (x = lon × cos(latitude) keeps the shapes right)."""
        return self.latitude_projection if self.latitude_projection is not None else self.carte_centre[0]


@lru_cache(maxsize=4)
def academie(reference_dir: Path = REFERENCE_DIR) -> Academie:
    """The académie described by `data/reference/academie.json` (checked by `python -m observatoire check`:
    `checks.academie_problems`)."""
    from observatoire import reading  # reading imports schema, which imports this module

    return parse_academie(reading.read_json(reference_dir / "academie.json", "academie"))


def parse_academie(raw: dict) -> Academie:
    """`Academie` from the parsed academie.json (already checked by `checks.academie_problems`)."""
    emprise = raw["emprise"]
    roles = raw.get("indicateurs") or {}
    projection = raw["carte"].get("latitude_projection")
    return Academie(
        code=raw["code"],
        nom=raw["nom"],
        departements={d["code"]: d["nom"] for d in raw["departements"]},
        annee_reference=raw["annee_reference"],
        annees=tuple(raw["annees"]),
        bilan=raw["bilan"],
        carte_centre=(float(raw["carte"]["centre"][0]), float(raw["carte"]["centre"][1])),
        carte_zoom=int(raw["carte"]["zoom"]),
        bassins_note=raw.get("bassins_note", ""),
        annees_valides=(raw["annees_valides"]["premiere"], raw["annees_valides"]["derniere"]),
        emprise=(float(emprise["ouest"]), float(emprise["sud"]), float(emprise["est"]), float(emprise["nord"])),
        nom_court=raw.get("nom_court", ""),
        bilan_court=raw.get("bilan_court", ""),
        latitude_projection=float(projection) if projection is not None else None,
        indicateurs=IndicatorRoles(
            defaut=roles.get("defaut", ""),
            carte=roles.get("carte", ""),
            nombre_laboratoires=roles.get("nombre_laboratoires", ""),
            evolutions=tuple(roles.get("evolutions", ())),
            activite_laboratoire=tuple(roles.get("activite_laboratoire", ())),
            chiffres_laboratoire=tuple(
                (str(k), str(v)) for k, v in (roles.get("chiffres_laboratoire") or {}).items()
            ),
        ),
    )
