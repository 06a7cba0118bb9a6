"""Checks of the reference data as a whole: geometries (validity, CRS, bounding box), academie.json, each lab in
its bassin and département, seats of the bassins, codes shared between files, the thème taxonomy, the indicators'
declared breakdowns; then the measures against them (`validate_measures`) and every file of `data/`
(`check_data`, used by `python -m observatoire check` and before any build).

Each check returns or raises French problems (`schema.Problem`) naming the file, the line and the column.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observatoire import config, departements, published, reading, schema, small_counts
from observatoire.reading import GeoLayer
from observatoire.schema import Problem, Problems


def _fmt(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def bbox_hint(
    xmin: float, ymin: float, xmax: float, ymax: float, emprise: tuple[float, float, float, float]
) -> str:
    """Why coordinates fall outside the académie's bounding box: projected CRS, swapped axes, or just wrong."""
    west, south, east, north = emprise
    where = (
        f"emprise de l'académie : longitude {_fmt(west)} à {_fmt(east)}, latitude {_fmt(south)} à "
        f"{_fmt(north)}, clé « emprise » de academie.json"
    )
    if max(abs(xmin), abs(xmax)) > 180 or max(abs(ymin), abs(ymax)) > 90:
        why = "coordonnées projetées (Lambert-93 ?) : WGS84 en degrés (EPSG:4326) attendu"
    elif west <= ymin and ymax <= east and south <= xmin and xmax <= north:
        why = "longitude et latitude inversées ?"
    elif xmin == xmax == ymin == ymax == 0:
        why = "coordonnées 0, 0 : position absente ?"
    else:
        why = "mauvais système de coordonnées, axes inversés ou position erronée"
    return f"coordonnées hors de l'emprise de l'académie — {why} ({where})"


def geometry_problems(
    table: str, layer: GeoLayer, emprise: tuple[float, float, float, float], file: str | None = None
) -> Problems:
    """Polygon type, validity (no self-intersection), non-empty, inside the académie's bounding box."""
    import shapely

    problems = Problems()

    def refuse(n: int, message: str, value: str | None = None) -> None:
        problems.add(Problem(table, n, "geometry", value, message, file=file, unit="entité", column_kind="clé"))

    west, south, east, north = emprise
    for number, shape in enumerate(layer.geometries, start=1):
        if shape is None:
            continue
        if shape.geom_type not in reading.GEOMETRY_TYPES:
            refuse(
                number, "type de géométrie non pris en charge : Polygon ou MultiPolygon attendu", shape.geom_type
            )
            continue
        if shape.is_empty:
            refuse(number, "géométrie vide")
            continue
        coords = shapely.get_coordinates(shape)
        if not np.isfinite(coords).all():
            refuse(number, "coordonnées non finies")
            continue
        xmin, ymin, xmax, ymax = shape.bounds
        if xmin < west or xmax > east or ymin < south or ymax > north:
            refuse(
                number,
                bbox_hint(xmin, ymin, xmax, ymax, emprise),
                f"{_fmt(xmin)} {_fmt(ymin)} {_fmt(xmax)} {_fmt(ymax)}",
            )
            continue
        if not shape.is_valid:
            reason = shapely.is_valid_reason(shape)
            match = re.match(r"^([^\[]+)\[(.*)\]$", reason)
            kind, at = (match.group(1).strip(), match.group(2)) if match else (reason, "")
            french = {
                "Self-intersection": "auto-intersection (contour qui se croise)",
                "Ring Self-intersection": "auto-intersection d'un anneau",
                "Too few points in geometry component": "trop peu de points",
                "Interior is disconnected": "intérieur déconnecté",
                "Hole lies outside shell": "trou hors du contour",
                "Nested shells": "contours imbriqués",
                "Duplicate Rings": "anneaux en double",
            }.get(kind, kind)
            where = f" au point {at}" if at else ""
            refuse(
                number,
                f"géométrie invalide : {french}{where} ; corrigez le contour (par exemple "
                "ST_MakeValid ou « Réparer les géométries » dans QGIS)",
            )
    return problems


# --- academie.json

_ACADEMIE_TEXT_KEYS = ("code", "nom", "bilan")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def academie_problems(raw: Any, file: str = "academie.json") -> Problems:
    """Keys and values of academie.json: every key the application reads, with its type and range."""
    problems = Problems()

    def refuse(key: str | None, message: str, value: Any = None) -> None:
        problems.add(
            Problem(
                "academie", None, key, None if value is None else str(value), message, file=file, column_kind="clé"
            )
        )

    if not isinstance(raw, dict):
        refuse(None, "objet JSON attendu (des clés « code », « nom », « departements »…)")
        return problems
    for key in _ACADEMIE_TEXT_KEYS:
        if key not in raw:
            refuse(key, "clé manquante : texte non vide attendu")
        elif not isinstance(raw[key], str) or not raw[key].strip():
            refuse(key, "texte non vide attendu", raw[key])
    if "bassins_note" in raw and not isinstance(raw["bassins_note"], str):
        refuse("bassins_note", "texte attendu", raw["bassins_note"])
    for key, message in small_counts.problems(raw):
        refuse(key, message, raw.get(key))
    deps = raw.get("departements")
    if not isinstance(deps, list) or not deps:
        refuse("departements", 'clé manquante ou vide : liste de {"code": "54", "nom": "…"} attendue')
    else:
        seen: set[str] = set()
        for i, dep in enumerate(deps, start=1):
            key = f"departements[{i}]"
            if not isinstance(dep, dict) or not all(isinstance(dep.get(k), str) for k in ("code", "nom")):
                refuse(key, 'objet {"code": "54", "nom": "…"} attendu (code et nom en texte)', dep)
            elif not departements.is_departement(dep["code"]):
                refuse(f"{key}.code", departements.DEPARTEMENT_MESSAGE, dep["code"])
            elif dep["code"] in seen:
                refuse(f"{key}.code", "département en double", dep["code"])
            else:
                seen.add(dep["code"])

    def school_year(key: str, value: Any) -> bool:
        if (
            not isinstance(value, str)
            or not re.match(schema.SCHOOL_YEAR_RE, value)
            or int(value[5:]) != int(value[:4]) + 1
        ):
            refuse(key, "année scolaire « AAAA-AAAA » (deux années consécutives) attendue", value)
            return False
        return True

    valid_years = raw.get("annees_valides")
    first = last = None
    if not isinstance(valid_years, dict):
        refuse(
            "annees_valides",
            'clé manquante : {"premiere": "2015-2016", "derniere": "2030-2031"} '
            "attendu (plage des années scolaires acceptées dans les mesures)",
        )
    elif all(school_year(f"annees_valides.{k}", valid_years.get(k)) for k in ("premiere", "derniere")):
        first, last = valid_years["premiere"], valid_years["derniere"]
        if first > last:
            refuse("annees_valides", "la première année doit précéder la dernière", f"{first} → {last}")
            first = last = None

    def in_range(key: str, value: str) -> None:
        if first and last and not first <= value <= last:
            refuse(
                key, f"année hors des années scolaires acceptées ({first} à {last}, clé « annees_valides »)", value
            )

    if "annee_reference" not in raw:
        refuse("annee_reference", "clé manquante : année scolaire « AAAA-AAAA » attendue")
    elif school_year("annee_reference", raw["annee_reference"]):
        in_range("annee_reference", raw["annee_reference"])
    years = raw.get("annees")
    if not isinstance(years, list) or not years:
        refuse("annees", "clé manquante ou vide : liste d'années scolaires attendue")
    else:
        for i, year in enumerate(years, start=1):
            if school_year(f"annees[{i}]", year):
                in_range(f"annees[{i}]", year)

    emprise = raw.get("emprise")
    box = None
    sides = ("ouest", "sud", "est", "nord")
    if not isinstance(emprise, dict) or not all(_number(emprise.get(k)) for k in sides):
        refuse(
            "emprise",
            'clé manquante ou invalide : {"ouest": 4.5, "sud": 47.5, "est": 8.0, "nord": '
            "50.0} attendu (rectangle englobant l'académie, en degrés WGS84)",
            None if emprise is None else json.dumps(emprise, ensure_ascii=False),
        )
    else:
        west, south, east, north = (float(emprise[k]) for k in sides)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            refuse(
                "emprise",
                "rectangle invalide : -180 ≤ ouest < est ≤ 180 et -90 ≤ sud < nord ≤ 90 attendus (degrés WGS84)",
                json.dumps(emprise, ensure_ascii=False),
            )
        else:
            box = (west, south, east, north)
    carte = raw.get("carte")
    if not isinstance(carte, dict):
        refuse("carte", 'clé manquante : {"centre": [latitude, longitude], "zoom": 8} attendu')
    else:
        centre = carte.get("centre")
        if not isinstance(centre, list) or len(centre) != 2 or not all(_number(v) for v in centre):
            refuse("carte.centre", "[latitude, longitude] attendu (deux nombres)", centre)
        elif box and not (box[1] <= centre[0] <= box[3] and box[0] <= centre[1] <= box[2]):
            refuse(
                "carte.centre",
                bbox_hint(centre[1], centre[0], centre[1], centre[0], box) + " ; rappel : [latitude, longitude]",
                centre,
            )
        zoom = carte.get("zoom")
        if not isinstance(zoom, int) or isinstance(zoom, bool) or not 1 <= zoom <= 18:
            refuse("carte.zoom", "nombre entier de 1 à 18 attendu", zoom)
        projection = carte.get("latitude_projection")
        if projection is not None and not (_number(projection) and -85 <= projection <= 85):
            refuse(
                "carte.latitude_projection",
                "latitude de -85 à 85 attendue (degrés WGS84 : centre des cartes images, facultatif)",
                projection,
            )
    for key in ("nom_court", "bilan_court"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            refuse(key, "texte non vide attendu (clé facultative)", raw[key])
    _role_shape_problems(raw.get("indicateurs"), refuse)
    return problems


_ROLE_ONE = ("defaut", "carte", "nombre_laboratoires")
_ROLE_LISTS = ("evolutions", "activite_laboratoire")
_ROLE_KEYS = (*_ROLE_ONE, *_ROLE_LISTS, "chiffres_laboratoire")


def _role_shape_problems(roles: Any, refuse: Any) -> None:
    """The optional `indicateurs` section of academie.json: which indicator plays which role."""
    if roles is None:
        return
    if not isinstance(roles, dict):
        refuse(
            "indicateurs",
            'objet attendu : {"defaut": "identifiant", "carte": "…", …}',
            json.dumps(roles, ensure_ascii=False),
        )
        return
    for key in roles:
        if key not in _ROLE_KEYS:
            refuse(
                f"indicateurs.{key}", "clé inconnue : " + ", ".join(f"« {k} »" for k in _ROLE_KEYS) + " attendues"
            )
    for key in _ROLE_ONE:
        if key in roles and (not isinstance(roles[key], str) or not roles[key].strip()):
            refuse(f"indicateurs.{key}", "identifiant d'indicateur attendu (texte)", roles[key])
    for key in _ROLE_LISTS:
        if key in roles and (
            not isinstance(roles[key], list) or not all(isinstance(v, str) and v.strip() for v in roles[key])
        ):
            refuse(f"indicateurs.{key}", "liste d'identifiants d'indicateurs attendue", roles[key])
    figures = roles.get("chiffres_laboratoire")
    if figures is not None and (
        not isinstance(figures, dict) or not all(isinstance(v, str) and v.strip() for v in figures.values())
    ):
        refuse(
            "indicateurs.chiffres_laboratoire",
            'objet {"identifiant": "libellé court"} attendu',
            json.dumps(figures, ensure_ascii=False),
        )


def _role_problems(t: dict[str, pd.DataFrame], acad: config.Academie) -> schema.Problems:
    """Each indicator named in `indicateurs` of academie.json is in the catalogue (indicateurs.csv)."""
    problems = schema.Problems()
    known = set(t["indicateurs"]["id"].astype(str))
    roles = acad.indicateurs
    named = [(f"indicateurs.{k}", getattr(roles, k)) for k in _ROLE_ONE if getattr(roles, k)]
    named += [(f"indicateurs.{k}[{i}]", v) for k in _ROLE_LISTS for i, v in enumerate(getattr(roles, k), start=1)]
    named += [(f"indicateurs.chiffres_laboratoire.{v}", v) for v, _ in roles.chiffres_laboratoire]
    for key, value in named:
        if value not in known:
            problems.add(
                Problem(
                    "academie",
                    None,
                    key,
                    value,
                    "indicateur inconnu du catalogue (indicateurs.csv)",
                    file="academie.json",
                    column_kind="clé",
                )
            )
    return problems


# ------------------------------------------------------------------------------------------ reference data


@dataclass
class Reference:
    """Validated reference data: the tables written to the database, the académie and the map layers."""

    tables: dict[str, pd.DataFrame]
    academie: config.Academie
    layers: dict[str, GeoLayer]
    files: dict[str, str] = field(default_factory=dict)
    """The text of academie.json and of the GeoJSON layers (`published.FILES`), stored in the version."""


def read_reference(reference_dir: Path = config.REFERENCE_DIR) -> Reference:
    """Read and validate every reference file, geometries and labs included; cross-check codes between tables.
    Raises `schema.ValidationError` listing the problems (the first 100, and how many there are)."""
    problems = schema.Problems()
    acad: config.Academie | None = None
    try:
        raw = reading.read_json(reference_dir / "academie.json", "academie")
        found = academie_problems(raw)
        problems.extend(found)
        if not found:
            acad = config.parse_academie(raw)
    except schema.ValidationError as err:
        problems.extend(err)
    tables: dict[str, pd.DataFrame] = {}
    layers: dict[str, GeoLayer] = {}
    for name in schema.REFERENCE_TABLES:
        spec = schema.TABLES[name]
        path = reference_dir / spec.filename
        try:
            if spec.geojson:
                layer = reading.read_geojson(path, name)
                if acad is not None:
                    problems.extend(geometry_problems(name, layer, acad.emprise))
                frame = layer.properties
                layers[name] = layer
            else:
                frame = reading.read_table_file(name, path)
            tables[name] = schema.validate(name, frame)
        except schema.ValidationError as err:
            problems.extend(err)
    seats = None
    seats_file = reference_dir / "bassins_sieges.csv"
    try:
        if seats_file.exists():  # optional: the input of the geography builder (no bassins: no seats)
            seats = schema.validate("bassins_sieges", reading.read_table_file("bassins_sieges", seats_file))
    except schema.ValidationError as err:
        problems.extend(err)
    if not problems and acad is not None:
        problems.extend(_cross_reference_problems(tables, acad))
        problems.extend(_role_problems(tables, acad))
        problems.extend(_seat_problems(seats, tables["bassins"]))
        problems.extend(_lab_problems(tables, layers, acad))
    if problems or acad is None:
        raise problems.error()
    return Reference(tables, acad, layers, published.read_files(reference_dir))


def load_reference(reference_dir: Path = config.REFERENCE_DIR) -> dict[str, pd.DataFrame]:
    """Read and validate every reference table (see `read_reference`); the tables only."""
    return read_reference(reference_dir).tables


def _cross_reference_problems(t: dict[str, pd.DataFrame], acad: config.Academie) -> schema.Problems:
    problems = schema.Problems()
    bassins = set(t["bassins"]["code"])
    deps = set(t["departements"]["code"])
    themes = set(t["thematiques"]["code"])
    niveaux = set(t["niveaux"]["code"])

    def bad(
        table: str,
        column: str,
        frame: pd.DataFrame,
        allowed: set[str],
        split: bool = False,
        message: str = "code inconnu",
    ) -> None:
        values = frame[column]
        values = values[values.notna()].astype(str)
        if split:
            values = values.str.split("|").explode()
        mask = ~values.isin(allowed)
        problems.add_frame(table, schema.rows_frame(table, values.index[mask], column, values[mask], message))

    expected = set(acad.departements)
    for code in departements.ordered(deps - expected):
        problems.add(
            schema.Problem(
                "departements",
                None,
                "code",
                code,
                "département absent de la liste « departements » de academie.json",
            )
        )
    for code in departements.ordered(expected - deps):
        problems.add(
            schema.Problem(
                "departements",
                None,
                "code",
                code,
                "département de academie.json sans contour dans departements.geojson",
            )
        )
    bad("bassins", "departement", t["bassins"], deps)
    bad("communes_bassins", "bassin", t["communes_bassins"], bassins)
    bad("communes_bassins", "departement", t["communes_bassins"], deps)
    bad("laboratoires", "bassin", t["laboratoires"], bassins)
    bad("laboratoires", "departement", t["laboratoires"], deps)
    bad("laboratoires", "thematiques", t["laboratoires"], themes, split=True)
    bad("laboratoires", "niveaux", t["laboratoires"], niveaux, split=True)
    bad("projets", "thematique", t["projets"], themes)
    bad("projets", "laboratoire", t["projets"], set(t["laboratoires"]["code"]))
    # a commune (or a lab) and its bassin lie in the same département
    bassin_dep = dict(zip(t["bassins"]["code"], t["bassins"]["departement"], strict=True))
    for table in ("communes_bassins", "laboratoires"):
        frame = t[table]
        of_bassin = frame["bassin"].map(bassin_dep)
        mask = of_bassin.notna() & frame["departement"].isin(deps) & (of_bassin != frame["departement"])
        problems.add_frame(
            table,
            schema.rows_frame(
                table,
                frame.index[mask],
                "departement",
                frame.loc[mask, "departement"],
                "département différent de celui du bassin ("
                + frame.loc[mask, "bassin"].astype(str)
                + " est en "
                + of_bassin[mask].astype(str)
                + ")",
            ),
        )
    # a commune code names its département (`2A004` is in 2A, `97101` in 971)
    for table, column in (
        ("communes_bassins", "code_commune"),
        ("laboratoires", "code_commune"),
        ("bassins", "siege"),
    ):
        frame = t[table]
        of_code = frame[column].astype(str).map(departements.of_commune)
        mask = of_code != frame["departement"]
        what = "du code commune" if column == "code_commune" else "de la commune siège"
        problems.add_frame(
            table,
            schema.rows_frame(
                table,
                frame.index[mask],
                "departement",
                frame.loc[mask, "departement"],
                f"département différent de celui {what} ("
                + frame.loc[mask, column].astype(str)
                + " est en "
                + of_code[mask]
                + ")",
            ),
        )
    problems.extend(_theme_tree_problems(t["thematiques"]))
    problems.extend(_declaration_problems(t))
    return problems


def _seat_problems(seats: pd.DataFrame | None, bassins: pd.DataFrame) -> schema.Problems:
    """Seats of the bassins (input of build_geodata.py) must match bassins.geojson."""
    problems = schema.Problems()
    if seats is None:
        return problems
    known = bassins.set_index("code")
    unknown = ~seats["code"].isin(known.index)
    problems.add_frame(
        "bassins_sieges",
        schema.rows_frame(
            "bassins_sieges",
            seats.index[unknown],
            "code",
            seats.loc[unknown, "code"],
            "bassin inconnu de bassins.geojson",
        ),
    )
    ok = seats.loc[~unknown]
    for column in ("siege", "departement"):
        differs = ok[column].to_numpy() != known.loc[ok["code"], column].to_numpy()
        problems.add_frame(
            "bassins_sieges",
            schema.rows_frame(
                "bassins_sieges",
                ok.index[differs],
                column,
                ok.loc[differs, column],
                "différent de bassins.geojson",
            ),
        )
    return problems


def _lab_problems(
    t: dict[str, pd.DataFrame], layers: dict[str, GeoLayer], acad: config.Academie
) -> schema.Problems:
    """Each lab lies inside the académie's bounding box, its bassin's contour and its département's contour."""
    import numpy as np
    import shapely

    problems = schema.Problems()
    labs = t["laboratoires"]
    lon = labs["longitude"].to_numpy(dtype=float)
    lat = labs["latitude"].to_numpy(dtype=float)
    west, south, east, north = acad.emprise
    outside = (lon < west) | (lon > east) | (lat < south) | (lat > north)
    frames = []
    for i in np.flatnonzero(outside):
        frames.append(
            schema.rows_frame(
                "laboratoires",
                labs.index[[i]],
                "latitude",
                pd.Series([f"{lat[i]:g}, {lon[i]:g}"]),
                bbox_hint(lon[i], lat[i], lon[i], lat[i], acad.emprise),
            )
        )
    points = shapely.points(lon, lat)
    tolerance = 1e-3  # degrees (≈ 100 m): contours are simplified
    for table, column, what in (
        ("bassins", "bassin", "du bassin"),
        ("departements", "departement", "du département"),
    ):
        shapes = dict(zip(t[table]["code"], layers[table].geometries, strict=True))
        geoms = np.array([shapes.get(code) for code in labs[column]], dtype=object)
        known = np.array([g is not None for g in geoms]) & ~outside
        inside = np.zeros(len(labs), dtype=bool)
        if known.any():
            inside[known] = shapely.dwithin(geoms[known], points[known], tolerance)
        bad = known & ~inside
        frames.append(
            schema.rows_frame(
                "laboratoires",
                labs.index[bad],
                column,
                labs.loc[bad, column],
                f"le laboratoire (latitude, longitude) est hors du contour {what} indiqué : "
                f"coordonnées ou {column} erronés ?",
            )
        )
    frames = [f for f in frames if not f.empty]
    if frames:
        problems.add_frame("laboratoires", pd.concat(frames, ignore_index=True))
    return problems


def _theme_tree_problems(frame: pd.DataFrame) -> list[schema.Problem]:
    """`thematiques.parent`: a known thème other than `tous`, and no cycle (a thème is not its own ancestor)."""
    problems: list[schema.Problem] = []
    parents = {c: p for c, p in zip(frame["code"], frame["parent"], strict=True) if isinstance(p, str) and p}
    codes = set(frame["code"])
    line = {c: int(i) + 2 for i, c in frame["code"].items()}
    for code, parent in parents.items():
        if code == config.ALL:
            problems.append(
                schema.Problem(
                    "thematiques", line[code], "parent", parent, "« tous » ne peut pas être rattaché à un thème"
                )
            )
        elif parent == config.ALL:
            problems.append(
                schema.Problem(
                    "thematiques", line[code], "parent", parent, "un thème ne peut pas être rattaché à « tous »"
                )
            )
        elif parent not in codes:
            problems.append(schema.Problem("thematiques", line[code], "parent", parent, "code inconnu"))
    for code in parents:
        seen, current = [code], parents.get(code)
        while current is not None and current in codes:
            if current in seen:
                problems.append(
                    schema.Problem(
                        "thematiques",
                        line[code],
                        "parent",
                        parents[code],
                        "rattachement circulaire : " + " → ".join([*seen[seen.index(current) :], current]),
                    )
                )
                break
            seen.append(current)
            current = parents.get(current)
    return problems


def _declaration_problems(t: dict[str, pd.DataFrame]) -> list[schema.Problem]:
    """Declared breakdowns of the indicators: known territory types (académie always), known codes."""
    problems: list[schema.Problem] = []
    allowed = {
        "niveau": set(t["niveaux"]["code"]) - {config.ALL},
        "thematique": set(t["thematiques"]["code"]) - {config.ALL},
        "public": set(t["publics"]["code"]) - {config.ALL},
    }
    for i, row in t["indicateurs"].iterrows():
        line = int(i) + 2
        territories = str(row["territoires"]).split("|")
        for value in territories:
            if value not in schema.TERRITORY_TYPES:
                problems.append(
                    schema.Problem(
                        "indicateurs",
                        line,
                        "territoires",
                        value,
                        "type de territoire inconnu, valeurs possibles : " + ", ".join(schema.TERRITORY_TYPES),
                    )
                )
        if "academie" not in territories:
            problems.append(
                schema.Problem(
                    "indicateurs",
                    line,
                    "territoires",
                    row["territoires"],
                    "le niveau académique (academie) est obligatoire",
                )
            )
        for dim, column in schema.DIMENSION_COLUMNS.items():
            value = str(row[column])
            if value == schema.NOT_DETAILED:
                continue
            codes = value.split("|")
            for code in codes:
                if code not in allowed[dim]:
                    problems.append(schema.Problem("indicateurs", line, column, code, "code inconnu"))
            if len(set(codes)) != len(codes):
                problems.append(schema.Problem("indicateurs", line, column, value, "code en double"))
        if row["recouvrement"] != schema.NOT_DETAILED:
            for dim in str(row["recouvrement"]).split("|"):
                if str(row[schema.DIMENSION_COLUMNS[dim]]) == schema.NOT_DETAILED:
                    problems.append(
                        schema.Problem(
                            "indicateurs", line, "recouvrement", dim, "dimension non détaillée pour cet indicateur"
                        )
                    )
    return problems


def declarations(indicators: pd.DataFrame) -> dict[str, dict[str, set[str] | None]]:
    """Indicator → declared territory types and, per dimension, its declared codes (None: not detailed)."""
    out: dict[str, dict[str, set[str] | None]] = {}
    for _, row in indicators.iterrows():
        entry: dict[str, set[str] | None] = {"territoire_type": set(str(row["territoires"]).split("|"))}
        for dim, column in schema.DIMENSION_COLUMNS.items():
            value = str(row[column])
            entry[dim] = None if value == schema.NOT_DETAILED else set(value.split("|"))
        out[str(row["id"])] = entry
    return out


def measure_catalogues(tables: dict[str, pd.DataFrame], acad: config.Academie | None = None) -> dict:
    """Allowed codes for each measures column, units and accepted school years, from validated reference
    tables and the académie (default: `config.academie()`)."""
    acad = acad or config.academie()
    ind = tables["indicateurs"]
    return {
        "indicateur": set(ind["id"]),
        "niveau": set(tables["niveaux"]["code"]),
        "thematique": set(tables["thematiques"]["code"]),
        "public": set(tables["publics"]["code"]),
        "territoire:academie": {acad.code},
        "territoire:departement": set(tables["departements"]["code"]),
        "territoire:bassin": set(tables["bassins"]["code"]),
        "territoire:laboratoire": set(tables["laboratoires"]["code"]),
        "granularite_mensuelle": set(ind.loc[ind["granularite"] == "mensuelle", "id"]),
        "unites": dict(zip(ind["id"], ind["unite"], strict=True)),
        "annees_valides": acad.annees_valides,
        "declarations": declarations(ind),
    }


MISSING_PLACEHOLDERS = {
    "indicateur": "colonne_manquante",
    "territoire_type": "academie",
    "niveau": config.ALL,
    "thematique": config.ALL,
    "public": config.ALL,
    "valeur": 0.0,
    "source": "—",
}
"""Values standing for a column an imported file lacks (`validate_measures(missing=…)`): they pass every check
on their own, so that the file's other columns are still validated (the missing column is reported once)."""


def placeholder_frame(frame: pd.DataFrame, missing: set[str], acad: config.Academie | None = None) -> pd.DataFrame:
    """`frame` with the `missing` columns filled with `MISSING_PLACEHOLDERS` (period: the reference year,
    territory code: the académie's), in the canonical order."""
    acad = acad or config.academie()
    values = {**MISSING_PLACEHOLDERS, "periode": acad.annee_reference, "territoire_code": acad.code}
    out = frame.copy()
    for column in missing:
        out[column] = values[column]
    return out[schema.MEASURE_COLUMNS]


def validate_measures(
    frame: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    acad: config.Academie | None = None,
    file: str | None = None,
    missing: frozenset[str] | set[str] = frozenset(),
) -> pd.DataFrame:
    """Schema + reference validation of a measures frame (canonical columns).

    `missing`: columns the file lacks, filled by `placeholder_frame`: the checks that would only repeat their
    absence (codes of that column, what depends on it, duplicate keys) are left out."""
    catalogues = measure_catalogues(tables, acad)
    if missing:
        if "indicateur" in missing or "periode" in missing:
            catalogues.pop("granularite_mensuelle")
        if "indicateur" in missing:
            catalogues.pop("indicateur")
        if missing & {"territoire_type", "territoire_code"}:
            for key in [k for k in catalogues if k.startswith("territoire:")]:
                catalogues.pop(key)
    duplicates = not (set(missing) & set(schema.MEASURE_KEY))
    try:
        valid, first = schema.validate("mesures", frame, file, duplicates=duplicates), None
    except schema.ValidationError as err:
        if err.valid is None:
            raise
        valid, first = err.valid, err  # the rows that passed are checked too: every problem in one run
    references = schema.check_measure_references(valid, catalogues, file, raw=frame)
    if first is not None:
        raise schema.merge_errors(first, references)
    references.raise_if_any()
    return valid


def read_bilan_figures(path: Path) -> pd.DataFrame:
    """`chiffres_bilan.csv` (académie-level measures without the territory columns), read and cleaned."""
    frame = reading.clean_values(reading.read_csv(path, "chiffres_bilan"))
    columns = list(frame.columns)
    if columns != schema.BILAN_COLUMNS:
        problems = [
            schema.Problem("chiffres_bilan", None, c, None, "colonne manquante")
            for c in schema.BILAN_COLUMNS
            if c not in columns
        ]
        problems += [
            schema.Problem("chiffres_bilan", None, c, None, "colonne inattendue")
            for c in columns
            if c not in schema.BILAN_COLUMNS
        ]
        if not problems:
            problems = [
                schema.Problem(
                    "chiffres_bilan",
                    1,
                    None,
                    None,
                    "colonnes dans le mauvais ordre, ordre attendu : " + ", ".join(schema.BILAN_COLUMNS),
                )
            ]
        raise schema.ValidationError(problems)
    return frame


def check_data(data_dir: Path = config.DATA_DIR) -> schema.Problems:
    """Every file under `data_dir` (`reference/` and `demo/`), as `init` reads them, plus the bilan figures."""
    problems = schema.Problems()
    reference: Reference | None = None
    try:
        reference = read_reference(data_dir / "reference")
    except schema.ValidationError as err:
        problems.extend(err)
    measures_file = data_dir / "demo" / "mesures.csv"
    if not measures_file.parent.exists():  # an académie's own folder: no demonstration measures, imports only
        return problems
    try:
        frame = reading.read_measures_csv(measures_file)
        if reference is None:
            schema.validate("mesures", frame)
        else:
            validate_measures(frame, reference.tables, reference.academie)
    except schema.ValidationError as err:
        problems.extend(err)
    bilan = data_dir / "demo" / "chiffres_bilan.csv"
    if not bilan.exists():  # optional: the figures of a report, when the académie has typed them
        return problems
    try:
        frame = read_bilan_figures(bilan)
        frame.insert(2, "territoire_type", "academie")
        frame.insert(3, "territoire_code", reference.academie.code if reference else "?")
        if reference is None:
            schema.validate("mesures", frame, bilan.name)
        else:
            validate_measures(frame, reference.tables, reference.academie, file=bilan.name)
    except schema.ValidationError as err:
        problems.extend(err)
    return problems
