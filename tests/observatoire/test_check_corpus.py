"""Malformed-file corpus: `check` and `init` refuse what is wrong, in French, naming the file, line and column.

Each case copies data/ into a temporary folder, applies ONE mutation (the kind of mistake a careless editor
makes) and runs the real command line: `python -m observatoire check --data DIR`, `init --data DIR` and
`init --if-needed --data DIR` (in-process through `cli.main`; a few cases also through a subprocess, to prove
no traceback reaches the terminal). Every case must exit non-zero with a French message naming the file (and
the line and column where it applies), and leave an existing database byte-identical.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from observatoire import checks, cli, store, versions

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


# ------------------------------------------------------------------------------------------------- helpers


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines), encoding="utf-8")


def _line_of(path: Path, **where: str) -> int:
    """File line (header = 1) of the first row whose cells match `where`."""
    lines = _lines(path)
    header = lines[0].split(";")
    for number, line in enumerate(lines[1:], start=2):
        cells = dict(zip(header, line.split(";"), strict=False))
        if all(cells.get(k) == v for k, v in where.items()):
            return number
    raise AssertionError(f"no row {where} in {path}")


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    lines = _lines(path)
    header = lines[0].split(";")
    cells = lines[line - 1].split(";")
    cells[header.index(column)] = value
    lines[line - 1] = ";".join(cells)
    _write_lines(path, lines)


def _drop_column(path: Path, column: str) -> None:
    lines = _lines(path)
    index = lines[0].split(";").index(column)
    _write_lines(
        path,
        [";".join(c for i, c in enumerate(line.split(";")) if i != index) if line else line for line in lines],
    )


def _geo(path: Path, change: Callable[[dict], None]) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")


def _feature(raw: dict, code: str) -> dict:
    return next(f for f in raw["features"] if f["properties"]["code"] == code)


def _map_coords(geometry: dict, fn: Callable[[float, float], tuple[float, float]]) -> None:
    def walk(node):
        if isinstance(node[0], (int, float)):
            return list(fn(node[0], node[1]))
        return [walk(child) for child in node]

    geometry["coordinates"] = walk(geometry["coordinates"])


def _lambert93(raw: dict) -> None:
    from pyproj import Transformer

    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    for feature in raw["features"]:
        _map_coords(feature["geometry"], lambda x, y: to_l93.transform(x, y))


def _json_edit(path: Path, change: Callable[[dict], object]) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = change(raw)
    path.write_text(json.dumps(raw if result is None else result, ensure_ascii=False, indent=2), encoding="utf-8")


M = "demo/mesures.csv"
B = "demo/chiffres_bilan.csv"
LABS = "reference/laboratoires.csv"


def _measure_line(d: Path, **where: str) -> int:
    return _line_of(d / M, **where)


# ------------------------------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], object]  # may return a dict of values used in `expect` ({line}, {char}…)
    expect: list[str]  # fragments (formatted with the mutation's values) that must appear in the output
    file: str  # the file name the message must name


def _mut_measure_cell(column: str, value: str, **where: str) -> Callable[[Path], dict]:
    """Set `column` of the measure row matching `where` to `value`; the mutation returns its file line."""

    def mutate(d: Path) -> dict:
        line = _measure_line(d, **where)
        _set_cell(d / M, line, column, value)
        return {"line": line}

    return mutate


def _mut_measure_value(value: str, **where: str) -> Callable[[Path], dict]:
    return _mut_measure_cell("valeur", value, **where)


def _mut_measure_period(period: str, **where: str) -> Callable[[Path], dict]:
    return _mut_measure_cell("periode", period, **where)


ENT = {"indicateur": "ent_visites", "periode": "2023-2024", "territoire_type": "academie", "public": "tous"}
RATE = {"indicateur": "pix_taux_certification", "periode": "2023-2024", "territoire_type": "academie"}
MONTH = {"indicateur": "ent_visites_mois", "periode": "2024-01", "territoire_type": "academie", "public": "tous"}


def _header_only(d: Path) -> None:
    path = d / M
    path.write_text(_lines(path)[0] + "\n", encoding="utf-8")


def _unbalanced_quote(d: Path) -> dict:
    line = 7
    lines = _lines(d / M)
    cells = lines[line - 1].split(";")
    cells[-1] = '"' + cells[-1]  # the source opens a quote never closed
    lines[line - 1] = ";".join(cells)
    _write_lines(d / M, lines)
    return {"line": line, "char": len(";".join(cells[:-1])) + 2}


def _short_row(d: Path) -> dict:
    lines = _lines(d / M)
    lines[8] = ";".join(lines[8].split(";")[:-1])  # line 9: the source column forgotten
    _write_lines(d / M, lines)
    return {"line": 9}


def _long_row(d: Path) -> dict:
    lines = _lines(d / M)
    lines[10] = lines[10] + ";en trop"  # line 11
    _write_lines(d / M, lines)
    return {"line": 11}


def _long_first_row(d: Path) -> dict:
    lines = _lines(d / M)
    lines[1] = lines[1] + ";en trop"  # line 2: pandas would silently take the first column as an index
    _write_lines(d / M, lines)
    return {"line": 2}


def _encode(relative: str, encoding: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = d / relative
        text = path.read_text(encoding="utf-8")
        data = text.encode(encoding)
        if encoding == "utf-16":
            assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        path.write_bytes(data)

    return mutate


def _binary(relative: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / relative).write_bytes(bytes(range(256)) * 8)

    return mutate


def _empty(relative: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / relative).write_bytes(b"")

    return mutate


def _mixed_encoding(d: Path) -> dict:
    path = d / LABS
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[3] = lines[3].replace(b"Laboratoire", "Labôratoire".encode("cp1252"), 1)  # line 4
    path.write_bytes(b"\n".join(lines))
    return {"line": 4}


def _undecodable(d: Path) -> dict:
    path = d / "reference" / "niveaux.csv"
    text = path.read_text(encoding="utf-8")
    data = text.encode("cp1252").replace(b"\n", b"\n\x81", 2).replace(b"\n\x81", b"\n", 1)  # 0x81 at line 3
    path.write_bytes(data)
    return {"line": 3}


def _lab(d: Path, code: str, **cells: str) -> dict:
    line = _line_of(d / LABS, code=code)
    for column, value in cells.items():
        _set_cell(d / LABS, line, column, value)
    return {"line": line}


def _lab_swapped(d: Path) -> dict:
    line = _line_of(d / LABS, code="lab-metz")
    lines = _lines(d / LABS)
    header = lines[0].split(";")
    cells = lines[line - 1].split(";")
    lat, lon = header.index("latitude"), header.index("longitude")
    cells[lat], cells[lon] = cells[lon], cells[lat]
    lines[line - 1] = ";".join(cells)
    _write_lines(d / LABS, lines)
    return {"line": line}


def _bowtie(raw: dict) -> None:
    _feature(raw, "54-nancy")["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[6.1, 48.6], [6.3, 48.8], [6.3, 48.6], [6.1, 48.8], [6.1, 48.6]]],
    }


def _swap_axes(raw: dict) -> None:
    for feature in raw["features"]:
        _map_coords(feature["geometry"], lambda x, y: (y, x))


def _truncate(relative: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        path = d / relative
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return mutate


def _feature_number(d: Path, name: str, code: str) -> int:
    raw = json.loads((d / "reference" / name).read_text(encoding="utf-8"))
    return next(i for i, f in enumerate(raw["features"], start=1) if f["properties"]["code"] == code)


def _geo_case(name: str, code: str, change: Callable[[dict], None]) -> Callable[[Path], dict]:
    def mutate(d: Path) -> dict:
        number = _feature_number(d, name, code)
        _geo(d / "reference" / name, lambda raw: change(_feature(raw, code)))
        return {"n": number}

    return mutate


def _pop(key: str) -> Callable[[dict], None]:
    def pop(obj: dict) -> None:
        del obj[key]

    return pop


def _bilan_one_column(d: Path) -> None:
    path = d / B
    _write_lines(path, [line.split(";")[0] for line in _lines(path)])


def _bilan_value(value: str) -> Callable[[Path], dict]:
    def mutate(d: Path) -> dict:
        _set_cell(d / B, 3, "valeur", value)
        return {"line": 3}

    return mutate


def _bilan_period(d: Path) -> dict:
    _set_cell(d / B, 4, "periode", "2999-3000")
    return {"line": 4}


def _drop_departement(raw: dict) -> None:
    raw["features"] = [f for f in raw["features"] if f["properties"]["code"] != "55"]


def _seat_differs(d: Path) -> dict:
    path = d / "reference" / "bassins_sieges.csv"
    line = _line_of(path, code="54-nancy")
    _set_cell(path, line, "siege", "54001")
    return {"line": line}


def _duplicate_header(d: Path) -> None:
    lines = _lines(d / "reference" / "publics.csv")
    lines[0] = lines[0] + ";code"
    lines[1:] = [line + ";x" if line else line for line in lines[1:]]
    _write_lines(d / "reference" / "publics.csv", lines)


def _control_char(d: Path) -> dict:
    _set_cell(d / "reference" / "thematiques.csv", 5, "libelle", "Sciences\x07")
    return {"line": 5}


def _academie(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda d: _json_edit(d / "reference" / "academie.json", change)


def _academie_trailing_comma(d: Path) -> None:
    path = d / "reference" / "academie.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"zoom": 8}', '"zoom": 8,}'), encoding="utf-8")


def _academie_nan(d: Path) -> None:
    path = d / "reference" / "academie.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"zoom": 8', '"zoom": NaN'), encoding="utf-8")


def _set(obj: dict, path: str, value: object) -> None:
    *parents, last = path.split(".")
    for key in parents:
        obj = obj[key]
    obj[last] = value


CASES = [
    # --- values: non-finite or out of range, per unit
    Case(
        "valeur_negative",
        _mut_measure_value("-5", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « valeur »", "hors de l'intervalle accepté", "0 à 1 000 000 000 000"],
        "mesures.csv",
    ),
    Case(
        "valeur_inf",
        _mut_measure_value("inf", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « valeur »", "nombre fini attendu"],
        "mesures.csv",
    ),
    Case(
        "valeur_moins_inf",
        _mut_measure_value("-Infinity", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « valeur »", "nombre fini attendu"],
        "mesures.csv",
    ),
    Case(
        "valeur_1e308",
        _mut_measure_value("1e308", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « valeur »", "hors de l'intervalle accepté"],
        "mesures.csv",
    ),
    Case(
        "valeur_nan",
        _mut_measure_value("nan", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « valeur »"],
        "mesures.csv",
    ),
    Case(
        "taux_superieur_a_100",
        _mut_measure_value("150", **RATE),
        ["ligne {line}, colonne « valeur »", "taux hors de l'intervalle 0 à 100"],
        "mesures.csv",
    ),
    Case(
        "taux_negatif",
        _mut_measure_value("-0,5", **RATE),
        ["ligne {line}, colonne « valeur »", "taux hors de l'intervalle 0 à 100"],
        "mesures.csv",
    ),
    # --- periods outside the configured school years
    Case(
        "periode_1899",
        _mut_measure_period("1899-1900", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « periode »", "hors des années scolaires acceptées", "annees_valides"],
        "mesures.csv",
    ),
    Case(
        "periode_2999",
        _mut_measure_period("2999-3000", **ENT, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « periode »", "hors des années scolaires acceptées"],
        "mesures.csv",
    ),
    Case(
        "mois_2999",
        _mut_measure_period("2999-01", **MONTH, niveau="tous", thematique="tous"),
        ["ligne {line}, colonne « periode »", "hors des années scolaires acceptées"],
        "mesures.csv",
    ),
    # --- empty measures, structure of the CSV
    Case("mesures_en_tete_seul", _header_only, ["aucune mesure"], "mesures.csv"),
    Case("mesures_vide", _empty(M), ["fichier vide"], "mesures.csv"),
    Case(
        "mesures_colonne_manquante",
        lambda d: _drop_column(d / M, "source"),
        ["colonne « source » : colonne manquante"],
        "mesures.csv",
    ),
    Case(
        "mesures_guillemet",
        _unbalanced_quote,
        ["ligne {line}, colonne « source », caractère {char}", "guillemet ouvrant jamais refermé"],
        "mesures.csv",
    ),
    Case("mesures_champ_manquant", _short_row, ["ligne {line} : 9 champ(s) au lieu de 10"], "mesures.csv"),
    Case("mesures_champ_en_trop", _long_row, ["ligne {line} : 11 champ(s) au lieu de 10"], "mesures.csv"),
    Case(
        "mesures_champ_en_trop_ligne_2",
        _long_first_row,
        ["ligne {line} : 11 champ(s) au lieu de 10"],
        "mesures.csv",
    ),
    Case("mesures_utf16", _encode(M, "utf-16"), ["UTF-16", "UTF-8"], "mesures.csv"),
    Case("mesures_binaire", _binary(M), ["octet nul", "ligne 1, caractère 1"], "mesures.csv"),
    # --- encodings and text of reference CSVs
    Case("indicateurs_utf16", _encode("reference/indicateurs.csv", "utf-16"), ["UTF-16"], "indicateurs.csv"),
    Case("indicateurs_vide", _empty("reference/indicateurs.csv"), ["fichier vide"], "indicateurs.csv"),
    Case(
        "laboratoires_encodages_melanges",
        _mixed_encoding,
        ["ligne {line}", "encodages mélangés"],
        "laboratoires.csv",
    ),
    Case("niveaux_octet_illisible", _undecodable, ["ligne {line}", "octet 0x81 illisible"], "niveaux.csv"),
    Case(
        "publics_colonne_en_double",
        _duplicate_header,
        ["ligne 1, colonne « code »", "colonne en double"],
        "publics.csv",
    ),
    Case(
        "thematiques_caractere_controle",
        _control_char,
        ["ligne {line}", "caractère de contrôle U+0007"],
        "thematiques.csv",
    ),
    Case(
        "communes_en_tete_seul",
        lambda d: _write_lines(
            d / "reference" / "communes_bassins.csv", [_lines(d / "reference" / "communes_bassins.csv")[0], ""]
        ),
        ["aucune ligne de données"],
        "communes_bassins.csv",
    ),
    # --- labs
    Case(
        "labo_en_0_0",
        lambda d: _lab(d, "lab-cirey", latitude="0", longitude="0"),
        ["ligne {line}, colonne « latitude »", "hors de l'emprise de l'académie", "position absente"],
        "laboratoires.csv",
    ),
    Case(
        "labo_lat_lon_inversees",
        _lab_swapped,
        ["ligne {line}, colonne « latitude »", "longitude et latitude inversées"],
        "laboratoires.csv",
    ),
    Case(
        "labo_bassin_autre_departement",
        lambda d: _lab(d, "lab-cirey", bassin="57-metz"),
        ["ligne {line}, colonne « departement »", "département différent de celui du bassin"],
        "laboratoires.csv",
    ),
    Case(
        "labo_hors_de_son_bassin",
        lambda d: _lab(d, "lab-cirey", latitude="48.6921", longitude="6.1844"),
        ["ligne {line}, colonne « bassin »", "hors du contour du bassin"],
        "laboratoires.csv",
    ),
    Case(
        "labo_hors_de_son_departement",
        lambda d: _lab(d, "lab-metz", latitude="48.6921", longitude="6.1844"),
        ["ligne {line}, colonne « departement »", "hors du contour du département"],
        "laboratoires.csv",
    ),
    Case(
        "labo_latitude_inf",
        lambda d: _lab(d, "lab-cirey", latitude="inf"),
        ["ligne {line}, colonne « latitude »"],
        "laboratoires.csv",
    ),
    Case(
        "labo_latitude_texte",
        lambda d: _lab(d, "lab-cirey", latitude="quarante-huit"),
        ["ligne {line}, colonne « latitude » : nombre attendu (valeur « quarante-huit »)"],
        "laboratoires.csv",
    ),
    Case(
        "labo_colonne_manquante",
        lambda d: _drop_column(d / LABS, "bassin"),
        ["colonne « bassin » : colonne manquante"],
        "laboratoires.csv",
    ),
    # --- GeoJSON
    Case(
        "bassins_sans_features",
        lambda d: _geo(d / "reference" / "bassins.geojson", _pop("features")),
        ["clé « features »", "FeatureCollection"],
        "bassins.geojson",
    ),
    Case(
        "bassins_sans_properties",
        _geo_case("bassins.geojson", "54-nancy", _pop("properties")),
        ["entité {n}, clé « properties »"],
        "bassins.geojson",
    ),
    Case(
        "bassins_sans_geometry",
        _geo_case("bassins.geojson", "54-nancy", _pop("geometry")),
        ["entité {n}, clé « geometry »", "manquant"],
        "bassins.geojson",
    ),
    Case(
        "bassins_geometrie_null",
        _geo_case("bassins.geojson", "54-nancy", lambda f: f.__setitem__("geometry", None)),
        ["entité {n}, clé « geometry »", "géométrie absente"],
        "bassins.geojson",
    ),
    Case(
        "bassins_auto_intersection",
        lambda d: {
            "n": _feature_number(d, "bassins.geojson", "54-nancy"),
            **(_geo(d / "reference" / "bassins.geojson", _bowtie) or {}),
        },
        ["entité {n}, clé « geometry »", "auto-intersection"],
        "bassins.geojson",
    ),
    Case(
        "bassins_point",
        _geo_case(
            "bassins.geojson",
            "54-nancy",
            lambda f: f.__setitem__("geometry", {"type": "Point", "coordinates": [6.18, 48.69]}),
        ),
        ["entité {n}", "Polygon ou MultiPolygon attendu"],
        "bassins.geojson",
    ),
    Case(
        "bassins_lambert93",
        lambda d: _geo(d / "reference" / "bassins.geojson", _lambert93),
        ["entité 1, clé « geometry »", "Lambert-93"],
        "bassins.geojson",
    ),
    Case(
        "departements_lat_lon_inversees",
        lambda d: _geo(d / "reference" / "departements.geojson", _swap_axes),
        ["entité 1, clé « geometry »", "longitude et latitude inversées"],
        "departements.geojson",
    ),
    Case(
        "bassins_tronque",
        _truncate("reference/bassins.geojson"),
        ["ligne 1, caractère", "JSON invalide", "tronqué"],
        "bassins.geojson",
    ),
    Case(
        "bassins_population_texte",
        _geo_case("bassins.geojson", "54-nancy", lambda f: f["properties"].__setitem__("population", "beaucoup")),
        ["entité {n}, colonne « population » : nombre entier attendu (valeur « beaucoup »)"],
        "bassins.geojson",
    ),
    Case(
        "bassins_sans_departement",
        _geo_case("bassins.geojson", "54-nancy", lambda f: f["properties"].pop("departement")),
        ["entité {n}, colonne « departement » : valeur manquante"],
        "bassins.geojson",
    ),
    Case(
        "departements_manquant",
        lambda d: _geo(d / "reference" / "departements.geojson", _drop_departement),
        ["colonne « code »", "sans contour", "(valeur « 55 »)"],
        "departements.geojson",
    ),
    # --- other reference files
    Case(
        "sieges_sans_siege",
        lambda d: _drop_column(d / "reference" / "bassins_sieges.csv", "siege"),
        ["colonne « siege » : colonne manquante"],
        "bassins_sieges.csv",
    ),
    Case(
        "sieges_different",
        _seat_differs,
        ["ligne {line}, colonne « siege »", "différent de bassins.geojson"],
        "bassins_sieges.csv",
    ),
    Case("bilan_une_colonne", _bilan_one_column, ["colonne « valeur » : colonne manquante"], "chiffres_bilan.csv"),
    Case("bilan_valeur_negative", _bilan_value("-1"), ["ligne {line}, colonne « valeur »"], "chiffres_bilan.csv"),
    Case(
        "bilan_periode_2999",
        _bilan_period,
        ["ligne {line}, colonne « periode »", "hors des années"],
        "chiffres_bilan.csv",
    ),
    # --- academie.json
    Case("academie_json_invalide", _academie_trailing_comma, ["JSON invalide", "ligne"], "academie.json"),
    Case("academie_nan", _academie_nan, ["JSON invalide", "NaN"], "academie.json"),
    Case("academie_sans_carte", _academie(_pop("carte")), ["clé « carte » : clé manquante"], "academie.json"),
    Case(
        "academie_sans_annees_valides",
        _academie(_pop("annees_valides")),
        ["clé « annees_valides » : clé manquante"],
        "academie.json",
    ),
    Case(
        "academie_sans_emprise", _academie(_pop("emprise")), ["clé « emprise » : clé manquante"], "academie.json"
    ),
    Case("academie_sans_code", _academie(_pop("code")), ["clé « code » : clé manquante"], "academie.json"),
    Case(
        "academie_centre_inverse",
        _academie(lambda a: _set(a, "carte.centre", [6.1, 48.75])),
        ["clé « carte.centre »", "longitude et latitude inversées"],
        "academie.json",
    ),
    Case("academie_liste", _academie(lambda a: [a]), ["objet JSON attendu"], "academie.json"),
    Case(
        "academie_annee_reference_2999",
        _academie(lambda a: _set(a, "annee_reference", "2999-3000")),
        ["clé « annee_reference »", "hors des années scolaires acceptées"],
        "academie.json",
    ),
    Case("academie_utf16", _encode("reference/academie.json", "utf-16"), ["UTF-16"], "academie.json"),
    Case(
        "academie_seuil_petits_effectifs_zero",
        _academie(lambda a: _set(a, "seuil_petits_effectifs", 0)),
        ["clé « seuil_petits_effectifs » : entier supérieur ou égal à 1 attendu"],
        "academie.json",
    ),
    Case(
        "academie_unites_personnes_texte",
        _academie(lambda a: _set(a, "unites_personnes", "élèves")),
        ["clé « unites_personnes » : liste d'unités (textes) attendue"],
        "academie.json",
    ),
    # the académie's facts the code no longer holds (issue 22, point 1): names, projection, indicator roles
    Case(
        "academie_nom_court_vide",
        _academie(lambda a: _set(a, "nom_court", " ")),
        ["clé « nom_court » : texte non vide attendu"],
        "academie.json",
    ),
    Case(
        "academie_latitude_projection",
        _academie(lambda a: _set(a, "carte.latitude_projection", 120)),
        ["clé « carte.latitude_projection » : latitude de -85 à 85 attendue"],
        "academie.json",
    ),
    Case(
        "academie_indicateur_defaut_inconnu",
        _academie(lambda a: _set(a, "indicateurs.defaut", "visites_ent")),
        ["clé « indicateurs.defaut »", "indicateur inconnu du catalogue (indicateurs.csv)"],
        "academie.json",
    ),
    Case(
        "academie_evolutions_texte",
        _academie(lambda a: _set(a, "indicateurs.evolutions", "ent_visites")),
        ["clé « indicateurs.evolutions » : liste d'identifiants d'indicateurs attendue"],
        "academie.json",
    ),
    Case(
        "academie_role_inconnu",
        _academie(lambda a: _set(a, "indicateurs.principal", "ent_visites")),
        ["clé « indicateurs.principal » : clé inconnue"],
        "academie.json",
    ),
]


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def shipped_store(tmp_path_factory) -> Path:
    """A store folder whose current version was published from the shipped data."""
    root = tmp_path_factory.mktemp("corpus") / "store"
    versions.Repository(root).init(author="tests")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a store folder (versions, pointer, lock) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    code = cli.main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def _assert_refused(code: int, output: str, case: Case, values: dict) -> None:
    assert code == 1, output
    assert "Traceback" not in output and "erreur inattendue" not in output.lower(), output
    assert "Error(" not in output, output  # no exception text as a « valeur »
    assert f"{case.file} —" in output or f"{case.file} :" in output, output
    for fragment in case.expect:
        assert fragment.format(**values) in output, f"{fragment.format(**values)!r} not in:\n{output}"


# --------------------------------------------------------------------------------------------------- tests


def test_the_corpus_covers_at_least_40_cases():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_and_init_refuse(case: Case, tmp_path, capsys, shipped_store):
    data = _copy_data(tmp_path)
    values = case.mutate(data) or {}
    code, output = _run(capsys, ["check", "--data", str(data)])
    _assert_refused(code, output, case, values)
    root = tmp_path / "store"
    shutil.copytree(shipped_store, root)
    before = snapshot(root)
    # `init` and `init --if-needed` run `check`'s validation before they branch (cli._init): `--if-needed` on the
    # six cases of SUBPROCESS_CASES (five different files), the whole corpus through `check` and `init`
    for argv in (["init"], ["init", "--if-needed"]) if case.id in SUBPROCESS_CASES else (["init"],):
        code, output = _run(capsys, ["--store", str(root), *argv, "--data", str(data)])
        _assert_refused(code, output, case, values)
        assert snapshot(root) == before, argv  # same files, same bytes: nothing published, nothing left


SUBPROCESS_CASES = [
    "valeur_inf",
    "bassins_sans_features",
    "academie_json_invalide",
    "mesures_utf16",
    "sieges_sans_siege",
    "bilan_une_colonne",
]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_no_traceback_through_a_subprocess(case_id: str, tmp_path):
    case = next(c for c in CASES if c.id == case_id)
    data = _copy_data(tmp_path)
    values = case.mutate(data) or {}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OBSERVATOIRE_STORE": str(tmp_path / "absente"),
        "OBSERVATOIRE_DATA": str(data),
    }
    for argv in (["check", "--data", str(data)], ["init"]):
        proc = subprocess.run(
            [sys.executable, "-m", "observatoire", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        _assert_refused(proc.returncode, proc.stdout + proc.stderr, case, values)
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "absente" / "current").exists()
    assert not list((tmp_path / "absente").glob("versions/*"))


# ----------------------------------------------------------------------------------- what must be accepted


def test_the_shipped_data_passes_check(capsys):
    code, output = _run(capsys, ["check"])
    assert code == 0, output
    assert "Toutes les données sont valides" in output


def _check_and_init(tmp_path: Path, capsys, data: Path) -> Path:  # noqa: ANN001
    """`check` then `init` of `data` both succeed; returns the file of the version published."""
    code, output = _run(capsys, ["check", "--data", str(data)])
    assert code == 0, output
    root = tmp_path / "b"
    code, output = _run(capsys, ["--store", str(root), "init", "--data", str(data)])
    assert code == 0, output
    return versions.Repository(root).current().path


def _lab_name(db: Path, code: str = "lab-cirey") -> str:
    with store.connect(db) as con:
        return con.execute("SELECT nom FROM laboratoires WHERE code = $code", {"code": code}).fetchone()[0]


def test_windows_1252_and_bom_files_are_accepted(tmp_path, capsys):
    data = _copy_data(tmp_path)
    labs = data / LABS
    text = labs.read_text(encoding="utf-8").replace(
        "Laboratoire numérique de Cirey", "Laboratoire numérique de Cirey — « Œuvre » à l'école"
    )
    labs.write_bytes(text.encode("cp1252"))  # Windows-1252 (a superset of Latin-1 for French text)
    niveaux = data / "reference" / "niveaux.csv"
    niveaux.write_bytes(codecs.BOM_UTF8 + niveaux.read_bytes())
    db = _check_and_init(tmp_path, capsys, data)
    assert _lab_name(db) == "Laboratoire numérique de Cirey — « Œuvre » à l'école-sur-Vezouze"


def test_html_and_markdown_text_is_accepted(tmp_path, capsys):
    """Text fields may look like HTML or markdown: the display layer escapes them, check must not refuse."""
    data = _copy_data(tmp_path)
    payload = "<script>alert(1)</script> **gras** [lien](javascript:alert(1)) <img src=x onerror=alert(1)> $x$"
    line = _line_of(data / LABS, code="lab-cirey")
    _set_cell(data / LABS, line, "nom", payload)
    _set_cell(data / "reference" / "thematiques.csv", 3, "libelle", "<b>Thème</b> _souligné_ ~~barré~~")
    # a quoted source containing the separator and doubled quotes is legitimate CSV
    _set_cell(data / M, 2, "source", '"Bilan ; « L\'ENT » et ""guillemets"""')
    db = _check_and_init(tmp_path, capsys, data)
    assert _lab_name(db) == payload
    with store.connect(db) as con:
        sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM mesures").fetchall()}
    assert 'Bilan ; « L\'ENT » et "guillemets"' in sources


# ------------------------------------------------------------------------------------- unexpected errors


def test_unexpected_error_is_logged_not_shown(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(cli.LOG_DIR_ENV_VAR, str(tmp_path / "logs"))

    def boom(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(checks, "check_data", boom)
    code, output = _run(capsys, ["check"])
    assert code == 2
    assert "Erreur inattendue" in output and "Traceback" not in output
    match = re.search(r"détails dans (\S+\.log)", output)
    assert match, output
    log = Path(match.group(1))
    assert log.parent == tmp_path / "logs"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "panne simulée" in text


def test_export_write_error_is_expected(tmp_path, capsys, shipped_store):
    root = tmp_path / "store"
    shutil.copytree(shipped_store, root)
    (tmp_path / "fichier").write_text("x", encoding="utf-8")
    code, output = _run(capsys, ["--store", str(root), "export", "--output", str(tmp_path / "fichier" / "x.csv")])
    assert code == 1, output
    assert "Écriture impossible" in output and "Traceback" not in output
