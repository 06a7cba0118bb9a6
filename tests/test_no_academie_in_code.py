"""No académie fact in code (issue 22, point 1): the application (dashboard.py, observatoire/, components/, pages/)
names no territory of the shipped académie, none of its département codes, its bilan, its map centre or its
indicator ids — they are data (data/reference/academie.json, indicateurs.csv), read from the published version.

Read here from the shipped data, so the list follows it: the académie's names, its région, its départements
(names; codes as string literals), its bassins, the bilan's labels, the map centre and projection latitude
(as number literals) and the catalogue's indicator ids (as string literals). Docstrings and comments are free to
give examples (« Département : 57 — Moselle »): only what the code says counts — Python string and number
literals, and every line of the templates and JSON files it ships. Out of scope: scripts/ (tools run on the
data) and bench/ (measures made on the demo data)."""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "data" / "reference"
APPLICATION = [ROOT / "dashboard.py", ROOT / "observatoire", ROOT / "components", ROOT / "pages"]
TEXT_FILES = {".j2", ".json", ".css", ".js", ".html", ".toml"}


def _facts() -> tuple[re.Pattern[str], set[str], set[float]]:
    acad = json.loads((REF / "academie.json").read_text(encoding="utf-8"))
    bassins = json.loads((REF / "bassins.geojson").read_text(encoding="utf-8"))
    names = {
        acad["nom"],
        acad.get("nom_court", ""),
        acad.get("region_academique", ""),
        acad["bilan"],
        acad.get("bilan_court", ""),
    }
    names |= {d["nom"] for d in acad["departements"]} | {f["properties"]["nom"] for f in bassins["features"]}
    names.discard("")
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE,
    )
    with (REF / "indicateurs.csv").open(encoding="utf-8-sig", newline="") as handle:
        ids = {row["id"] for row in csv.DictReader(handle, delimiter=";")}
    exact = {d["code"] for d in acad["departements"]} | ids
    numbers = {float(v) for v in acad["carte"]["centre"]}
    if "latitude_projection" in acad["carte"]:
        numbers.add(float(acad["carte"]["latitude_projection"]))
    return pattern, exact, numbers


def _literals(tree: ast.AST) -> Iterator[tuple[int, object]]:
    """String and number literals of a module, docstrings (any string statement) left out."""
    docs = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docs and not isinstance(node.value, bool):
            yield node.lineno, node.value


def _files() -> Iterator[Path]:
    for place in APPLICATION:
        for path in [place] if place.is_file() else sorted(place.rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and (path.suffix == ".py" or path.suffix in TEXT_FILES)
            ):
                yield path


def found_in_code() -> list[str]:
    pattern, exact, numbers = _facts()
    found = []
    for path in _files():
        where = path.relative_to(ROOT)
        if path.suffix == ".py":
            for line, value in _literals(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(value, str) and (pattern.search(value) or value.strip() in exact):
                    found.append(f"{where}:{line}: {value[:80]!r}")
                elif isinstance(value, (int, float)) and float(value) in numbers:
                    found.append(f"{where}:{line}: {value!r}")
        else:
            for line, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                hit = pattern.search(text)
                if hit:
                    found.append(f"{where}:{line}: {hit.group(0)!r}")
    return found


def test_the_application_names_no_fact_of_the_shipped_academie():
    assert found_in_code() == []


def test_the_scan_finds_what_it_looks_for(tmp_path, monkeypatch):
    """The scan is not blind: a module written as the code was before (the tab title, a département literal,
    the map's latitude, an indicator id) is caught, its docstring is not."""
    module = tmp_path / "app" / "old.py"
    module.parent.mkdir()
    module.write_text(
        '"""« Département : 57 — Moselle » (an example)."""\n'
        'TITLE = "Observatoire du numérique éducatif — Nancy-Metz"\n'
        'DEP = "57"\nLATITUDE = 48.7\nDEFAULT = "ent_visites"\nSOURCE = "Bilan DRANE 2023-2024"\n',
        encoding="utf-8",
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "APPLICATION", [module.parent])
    found = found_in_code()
    assert [f.split(":")[1] for f in found] == ["2", "3", "4", "5", "6"], found
