"""A second académie is a data folder, not a fork (issue 22): the test académies of tests/academies/ run through
`check`, `init`, every page (AppTest) and every export.

- `essai`: « Académie d'essai Azur-Corse », départements 06, 2A, 2B (Corsica's codes), five territories (four
  bassins in Corsica, the Alpes-Maritimes without bassins: one territory), four labs, eight indicators;
- `essai-sans-bassins`: the same without any bassin (each département is the finest territory).

The application reads its data folder once, at import (`OBSERVATOIRE_DATA`): pages and exports run in a process
of their own (tests/academies/walk.py), one per folder, with the département filter given as `dep=2a` (lower case,
as typed in a link).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from observatoire import cli, queries, versions
from observatoire.filters import Filters

ROOT = Path(__file__).resolve().parents[2]
ACADEMIES = ROOT / "tests" / "academies"
FOLDERS = ("essai", "essai-sans-bassins")
NAME = "Académie d'essai Azur-Corse"
OTHER = re.compile(r"Nancy|Metz|Moselle|Meurthe|Vosges|Meuse")
PAGES = (
    "pages/vue_ensemble.py",
    "pages/carte.py",
    "pages/indicateurs.py",
    "pages/laboratoires.py",
    "pages/projets.py",
    "pages/donnees.py",
    "pages/presentation.py",
    "pages/importer.py",
)


def _plain(text: str) -> str:
    """Page text without Markdown escapes and soft hyphens (`Azur\\-Corse` → `Azur-Corse`)."""
    return text.replace("\\302\\255", "").replace("\u00ad", "").replace("\\", "")


def _cli(capsys, *argv: str) -> tuple[int, str]:  # noqa: ANN001
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope="module", params=FOLDERS)
def published(request, tmp_path_factory) -> tuple[str, Path]:  # noqa: ANN001
    """(folder name, store) after `check` and `init` of the folder through the CLI."""
    folder = ACADEMIES / request.param
    store = tmp_path_factory.mktemp(f"store-{request.param}")
    for argv in (["check", "--data", str(folder)], ["--store", str(store), "init", "--data", str(folder)]):
        code = cli.main(argv)
        assert code == 0, argv
    return request.param, store


@pytest.fixture(scope="module")
def walked(published) -> dict:  # noqa: ANN001
    name, store = published
    env = {
        **os.environ,
        "OBSERVATOIRE_DATA": str(ACADEMIES / name),
        "OBSERVATOIRE_STORE": str(store),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, str(ACADEMIES / "walk.py"), "--dep", "2a"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_check_and_init_accept_the_folder(published, capsys):
    name, store = published
    code, output = _cli(capsys, "check", "--data", str(ACADEMIES / name))
    assert code == 0 and "Toutes les données sont valides" in output, output
    with versions.Repository(store).connect() as con:
        choices = queries.choices(con)
        assert choices.departements == ("06", "2A", "2B")  # the official order, not a text sort
        assert list(dict.fromkeys(choices.bassins.values())) == ["06", "2A", "2B"]
        names = dict(con.execute("SELECT code, nom FROM departements").fetchall())
        assert names == {"06": "Alpes-Maritimes", "2A": "Corse-du-Sud", "2B": "Haute-Corse"}
        bassins = con.execute("SELECT count(*) FROM bassins").fetchone()[0]
        labs = con.execute("SELECT count(*) FROM laboratoires").fetchone()[0]
        indicators = con.execute("SELECT count(*) FROM indicateurs").fetchone()[0]
        academie = con.execute(
            "SELECT DISTINCT territoire_code FROM mesures_actives WHERE territoire_type = 'academie'"
        ).fetchall()
    assert bassins == (5 if name == "essai" else 3) and labs == 4 and indicators == 8
    assert academie == [("essai",)]
    with versions.Repository(store).connect() as con:  # the fiche's map counts this académie's bassins
        from observatoire.views.fiches import build_bassin_fiche

        code = next(iter(choices.bassins))
        fiche = build_bassin_fiche(con, code, queries.school_years(con)[-1], Filters())
    assert fiche.figure is not None and fiche.figure.alt.startswith(f"Carte des {bassins} bassins de l'académie")


def test_every_page_shows_the_academie_without_error(walked):
    for page in PAGES:
        shown = walked["pages"][page]
        assert shown["errors"] == [], (page, shown["errors"])
        assert "Azur-Corse" in _plain(shown["text"]), page
    overview = _plain(walked["pages"]["pages/vue_ensemble.py"]["text"])
    assert "Corse-du-Sud" in overview  # the filter `dep=2a` read as 2A, shown by its name
    assert "inconnu" not in walked["exports"]["notices"]


def test_no_nancy_metz_name_on_any_page(walked):
    for page in PAGES:
        text = walked["pages"][page]["text"]
        found = sorted({m.group(0) for m in OTHER.finditer(text)})
        assert not found, (
            page,
            found,
            [text[max(0, m.start() - 80) : m.end() + 40] for m in OTHER.finditer(text)][:3],
        )


def test_exports_say_the_academie_and_its_codes(walked):
    exports = walked["exports"]
    assert "essai" in exports["mesures.csv"] and "2A" in exports["mesures.csv"]
    assert "Azur-Corse" in exports["presentation.pptx"] and "Azur-Corse" in exports["instantane.html"]
    for name, text in exports.items():
        if name.startswith("indicateurs "):
            first, about = text.split("\n", 1)
            assert first.endswith("Corse-du-Sud.csv"), first  # file name: the filter's département by name
            assert "Département : 2A — Corse-du-Sud" in about
            assert f"Observatoire du numérique éducatif — {NAME}" in about
    fiches = [n for n in exports if n.startswith("fiche ")]
    assert len(fiches) >= 7
    assert any("Corse" in exports[n] for n in fiches)


def test_no_nancy_metz_name_in_the_exports(walked):
    for name, text in walked["exports"].items():
        found = sorted({m.group(0) for m in OTHER.finditer(text)})
        assert not found, (name, found)


def test_no_nancy_metz_name_anywhere(walked):
    shown = [walked["pages"][p]["page_config"] for p in PAGES] + list(walked["exports"].values())
    assert not any(OTHER.search(text) for text in shown)
