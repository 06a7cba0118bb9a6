"""How the test académies of this folder were made (run from the repository root; deterministic).

    python -m observatoire academie nouvelle essai --departements 2B,06,2a --dossier tests/academies/essai \
        --nom "Académie d'essai Azur-Corse"
    # then: academie.json years, four labs, four bassin seats in Corsica (none in 06), eight indicators
    python scripts/build_geodata.py --dossier tests/academies/essai
    python tests/academies/generate.py

`essai-sans-bassins` is `essai` without bassin seats (each département is one territory), built by the same
geography builder. This script writes `demo/mesures.csv` of each folder: illustrative values for both school
years of academie.json, at every territory level each indicator declares (labs, bassins, départements,
académie; sums add up), lab counts from the labs' opening years.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
COLUMNS = [
    "indicateur",
    "periode",
    "territoire_type",
    "territoire_code",
    "niveau",
    "thematique",
    "public",
    "valeur",
    "origine",
    "source",
]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=";"))


def _value(*key: str, low: int = 10, high: int = 5000) -> int:
    digest = int(hashlib.sha256("|".join(key).encode()).hexdigest()[:8], 16)
    return low + digest % (high - low)


def measures(folder: Path) -> list[list[str]]:
    ref = folder / "reference"
    academie = json.loads((ref / "academie.json").read_text(encoding="utf-8"))
    bassins = [
        f["properties"] for f in json.loads((ref / "bassins.geojson").read_text(encoding="utf-8"))["features"]
    ]
    labs = _rows(ref / "laboratoires.csv")
    out = []
    for ind in _rows(ref / "indicateurs.csv"):
        types = ind["territoires"].split("|")
        rate = ind["unite"] == "%"
        for year in academie["annees"]:
            start = int(year[:4])
            by_bassin: dict[str, float] = {}
            if ind["id"].startswith("labo_"):
                open_labs = [lab for lab in labs if int(lab["ouverture"]) <= start]
                lab_values = {
                    lab["code"]: 1 if ind["id"] == "labo_nombre" else _value(ind["id"], year, lab["code"])
                    for lab in open_labs
                }
                for lab in open_labs:
                    out.append(
                        [
                            ind["id"],
                            year,
                            "laboratoire",
                            lab["code"],
                            "tous",
                            "tous",
                            "tous",
                            str(lab_values[lab["code"]]),
                        ]
                    )
                    by_bassin[lab["bassin"]] = by_bassin.get(lab["bassin"], 0) + lab_values[lab["code"]]
                by_bassin = {b["code"]: by_bassin.get(b["code"], 0) for b in bassins}
            else:
                by_bassin = {
                    b["code"]: _value(
                        ind["id"], year, b["code"], low=40 if rate else 100, high=95 if rate else 90000
                    )
                    for b in bassins
                }
            by_dep: dict[str, float] = {}
            for b in bassins:
                by_dep.setdefault(b["departement"], []).append(by_bassin[b["code"]])  # type: ignore[arg-type]
            dep_values = {d: (round(sum(v) / len(v), 1) if rate else sum(v)) for d, v in by_dep.items()}
            total = round(sum(dep_values.values()) / len(dep_values), 1) if rate else sum(dep_values.values())
            if "bassin" in types:
                out += [
                    [ind["id"], year, "bassin", c, "tous", "tous", "tous", str(v)] for c, v in by_bassin.items()
                ]
            if "departement" in types:
                out += [
                    [ind["id"], year, "departement", c, "tous", "tous", "tous", str(v)]
                    for c, v in dep_values.items()
                ]
            out.append([ind["id"], year, "academie", academie["code"], "tous", "tous", "tous", str(total)])
    return [[*row, "illustratif", "illustratif"] for row in out]


def write(folder: Path) -> None:
    (folder / "demo").mkdir(exist_ok=True)
    with (folder / "demo" / "mesures.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(measures(folder))


def main() -> None:
    essai, plain = HERE / "essai", HERE / "essai-sans-bassins"
    shutil.rmtree(plain, ignore_errors=True)
    shutil.copytree(essai / "reference", plain / "reference")
    (plain / "reference" / "bassins_sieges.csv").write_text("code;nom;departement;siege\n", encoding="utf-8")
    academie = json.loads((plain / "reference" / "academie.json").read_text(encoding="utf-8"))
    academie["bassins_note"] = "Aucun bassin déclaré : chaque département est un seul territoire."
    (plain / "reference" / "academie.json").write_text(
        json.dumps(academie, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_geodata.py"), "--dossier", str(plain)], check=True
    )
    for folder in (essai, plain):
        write(folder)


if __name__ == "__main__":
    main()
