"""« What changed » between two data versions: computed from the two version files (values old → new, periods,
lots, who and when), the same French view for the page, the CLI and the files.

The store is built here (init, an import, its undo); every expected value is read from the version files
themselves, never from what the view printed."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from observatoire import changes, cli, clock, config, exporting, importing, store, versions
from observatoire.views.changes import SOURCE, build_changes, screen_values, title_of

HEADER = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source\n"


def _academie_ent(con, period: str) -> float | None:
    row = con.execute(
        """SELECT valeur FROM mesures_actives WHERE indicateur = 'ent_visites'
                         AND territoire_type = 'academie' AND niveau = 'tous' AND thematique = 'tous'
                         AND public = 'tous' AND periode = $p""",
        {"p": period},
    ).fetchone()
    return None if row is None else float(row[0])


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> versions.Repository:
    """n° 1: the shipped data; n° 2: an import (one value changed, one new year); n° 3: its undo."""
    repository = versions.Repository(tmp_path_factory.mktemp("store"))
    repository.init(author="tests")
    body = (
        "ent_visites;2023-2024;academie;nancy-metz;tous;tous;tous;70 000 000;Statistiques ENT\n"
        "ent_visites;2024-2025;academie;nancy-metz;tous;tous;tous;71000000,5;Statistiques ENT\n"
    )
    with repository.connect() as con:
        tables, current = store.reference_tables(con), versions.active_measures(con)
    incoming = importing.read_import((HEADER + body).encode(), "ent-2025.csv", tables)
    preview = importing.preview(incoming.frame, current)
    repository.import_measures(
        incoming.frame,
        "ent-2025.csv",
        incoming.sha256,
        "Claire Éditrice",
        (preview.new, preview.changed, preview.unchanged),
    )
    repository.undo(2, "Paul Relecteur")
    return repository


def _compare(repo: versions.Repository, a: int, b: int) -> changes.Changes:
    with repo.connect(repo.version(a)) as old, repo.connect(repo.version(b)) as new:
        return changes.compare(old, new)


def _view(repo: versions.Repository, a: int, b: int):
    with repo.connect(repo.version(a)) as old, repo.connect(repo.version(b)) as new:
        return build_changes(old, new)


def test_an_import_changes_one_value_and_adds_a_year(repo):
    with repo.connect(repo.version(1)) as con:
        before = _academie_ent(con, "2023-2024")
        assert _academie_ent(con, "2024-2025") is None
    with repo.connect(repo.version(2)) as con:
        after, new_year = _academie_ent(con, "2023-2024"), _academie_ent(con, "2024-2025")
    journal = repo.journal()
    published = journal[journal["version"] == 2].iloc[0]
    found = _compare(repo, 1, 2)
    assert (found.old, found.new) == (1, 2)
    values = found.values.set_index("periode")
    assert list(values.index) == ["2023-2024", "2024-2025"]  # changed values first, then new ones
    assert values.loc["2023-2024", "statut"] == changes.CHANGED
    assert (
        values.loc["2023-2024", "ancienne_valeur"] == before
        and values.loc["2023-2024", "nouvelle_valeur"] == after
    )
    assert (
        values.loc["2024-2025", "statut"] == changes.ADDED
        and values.loc["2024-2025", "nouvelle_valeur"] == new_year
    )
    assert pd.isna(values.loc["2024-2025", "ancienne_valeur"])
    for period in values.index:  # who and when: the journal entry that published the lot
        assert values.loc[period, "version"] == 2 and values.loc[period, "auteur"] == "Claire Éditrice"
        assert pd.Timestamp(values.loc[period, "date"]) == pd.Timestamp(published["date"])
    assert found.periods.to_dict("records") == [
        {"indicateur": "ent_visites", "periode": "2024-2025", "valeurs": 1, "changement": "ajoutée"}
    ]
    assert found.lots[["lot_id", "changement", "libelle"]].to_dict("records") == [
        {"lot_id": 2, "changement": "ajouté", "libelle": "ent-2025.csv"}
    ]
    assert found.journal["version"].tolist() == [2]
    assert found.indicators_added == () and found.indicators_removed == ()


def test_an_undo_withdraws_and_restores(repo):
    found = _compare(repo, 2, 3)
    values = found.values.set_index("periode")
    assert values.loc["2023-2024", "statut"] == changes.CHANGED
    assert values.loc["2023-2024", "nouvelle_valeur"] == 64_500_000  # the bilan's figure is back
    assert values.loc["2023-2024", "origine"] == "bilan"
    assert values.loc["2024-2025", "statut"] == changes.WITHDRAWN
    assert values.loc["2024-2025", "ancienne_valeur"] == 71_000_000.5
    assert values.loc["2024-2025", "origine"] == "import"  # a withdrawn value keeps its origin and source
    assert set(values["auteur"]) == {"Paul Relecteur"} and set(values["version"]) == {3}
    assert found.lots["changement"].tolist() == ["retiré"]
    assert found.periods["changement"].tolist() == ["retirée"]


def test_publications_that_cancel_out_change_nothing_and_say_so(repo):
    found = _compare(repo, 1, 3)
    assert found.values.empty and found.periods.empty and found.lots.empty
    assert found.journal["version"].tolist() == [3, 2]
    view = _view(repo, 3, 1)  # in any order: the older one is the start
    assert view.title == title_of(1, 3) == "Ce qui a changé de la version n° 1 à la version n° 3"
    assert "se compensent" in view.text("none") and [n.kind for n in view.notices] == ["vide"]
    assert "2 publications" in view.text("publications") and "Paul Relecteur" in view.text("publications")
    same = _view(repo, 2, 2)
    assert same.text("none") == "C'est la même version : rien n'a changé."


def test_the_view_in_french_with_paris_times(repo):
    view = _view(repo, 1, 2)
    journal = repo.journal()
    when = clock.paris_datetime(journal[journal["version"] == 2].iloc[0]["date"], zone=False)
    assert view.subtitle.startswith("De la version n° 1, publiée le ") and view.subtitle.endswith(
        "(heure de Paris)."
    )
    assert view.text("counts") == "1 valeur nouvelle, 1 valeur modifiée, 0 valeur retirée."
    assert "Périodes nouvelles : Visites de l'ENT (2024-2025)." in view.text("summary")
    assert "1 lot ajouté (n° 2 « ent-2025.csv »)" in view.text("summary")
    assert view.text("publications") == (
        f"1 publication (heure de Paris) : n° 2 : import de « ent-2025.csv », par Claire Éditrice, le {when}."
    )
    table = view.table("valeurs").frame
    assert table.columns.tolist() == [
        "Changement",
        "Indicateur",
        "Période",
        "Territoire",
        "Ancienne valeur",
        "Nouvelle valeur",
        "Niveau",
        "Thématique",
        "Public",
        "Origine",
        "Source",
        "Version",
        "Publié par",
        "Publié le (heure de Paris)",
    ]
    assert table["Changement"].tolist() == ["Modifiée", "Nouvelle"]
    assert table["Territoire"].tolist() == [config.academie().nom] * 2
    assert table["Publié le (heure de Paris)"].tolist() == [when, when]
    assert table["Nouvelle valeur"].tolist() == [70_000_000.0, 71_000_000.5]  # numbers stay numbers (files)
    screen = view.items.valeurs_ecran
    assert screen["Ancienne valeur"].tolist() == ["64\u202f500\u202f000", ""]  # no « None », no « nan »
    assert screen["Nouvelle valeur"].tolist() == ["70\u202f000\u202f000", "71\u202f000\u202f000,5"]
    assert screen["Version"].tolist() == ["n° 2", "n° 2"]
    text = screen.to_csv()
    assert "None" not in text and "nan" not in text
    assert screen_values(table).equals(screen)


def test_the_files_say_what_they_compare(repo, tmp_path):
    view = _view(repo, 1, 2)
    values = view.table("valeurs")
    about = exporting.About(title=values.title, context=view.context, source=values.source)
    text = exporting.to_csv_bytes(values.frame, about=about).decode("utf-8-sig")
    assert "# Contenu;Valeurs changées, version n° 1 → n° 2" in text
    assert "# Version des données;n° 2 du " in text and f"# Source;{SOURCE}" in text
    assert "# Filtres;Aucun filtre (toute l'académie)" in text
    workbook = openpyxl.load_workbook(io.BytesIO(exporting.to_xlsx_bytes(values.frame, about=about)))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Changement" and rows[1][5] == 70_000_000  # a number in the workbook
    assert dict(workbook[exporting.ABOUT_SHEET].iter_rows(min_row=2, values_only=True))["Contenu"] == values.title


def test_version_at_a_date_is_the_one_in_force_that_morning_in_paris():
    journal = pd.DataFrame(
        {
            "version": [1, 2, 3],
            "date": [
                dt.datetime(2026, 3, 27, 9, 0),  # UTC
                dt.datetime(2026, 3, 28, 23, 30),  # 29/03 00:30 in Paris (winter time until 29/03 02:00)
                dt.datetime(2026, 7, 1, 22, 30),  # 02/07 00:30 in Paris (summer time)
            ],
        }
    )
    assert changes.since_day(journal, dt.date(2026, 3, 27)) is None  # nothing published before that morning
    assert changes.since_day(journal, dt.date(2026, 3, 28)) == 1
    assert changes.since_day(journal, dt.date(2026, 3, 29)) == 1  # n° 2 came at 00:30 that day, Paris time
    assert changes.since_day(journal, dt.date(2026, 3, 30)) == 2
    assert changes.since_day(journal, dt.date(2026, 7, 2)) == 2
    assert changes.since_day(journal, dt.date(2026, 7, 3)) == 3
    assert changes.version_at(journal, dt.datetime(2026, 8, 1), kept=[3]) == 3
    assert changes.version_at(journal, dt.datetime(2026, 3, 30), kept=[3]) == 3  # n° 2 not kept: the next one


def test_cli_changements(repo, tmp_path, capsys):
    root = str(repo.root)
    assert cli.main(["--store", root, "changements"]) == 0  # default: the version before the current one
    out = capsys.readouterr().out
    assert out.startswith("Ce qui a changé de la version n° 2 à la version n° 3\n")
    assert "0 valeur nouvelle, 1 valeur modifiée, 1 valeur retirée." in out
    assert "Retirée" in out and "71\u202f000\u202f000,5 → —" in out and "Paul Relecteur" in out
    output = tmp_path / "changements.xlsx"
    assert cli.main(["--store", root, "changements", "--depuis", "1", "--vers", "2", "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert "64\u202f500\u202f000 → 70\u202f000\u202f000" in out and "2 valeur(s) changée(s) écrite(s)" in out
    workbook = openpyxl.load_workbook(output)
    assert workbook.sheetnames == ["mesures", exporting.ABOUT_SHEET]
    assert [r[0] for r in workbook["mesures"].iter_rows(min_row=2, values_only=True)] == ["Modifiée", "Nouvelle"]
    # a date: the version in force that morning (Paris); none was published before 2020
    assert cli.main(["--store", root, "changements", "--depuis", "01/01/2020"]) == 1
    assert "Aucune version n'était publiée avant le 01/01/2020" in capsys.readouterr().err
    tomorrow = clock.to_paris(dt.datetime.now(dt.UTC)).date() + dt.timedelta(days=1)
    assert cli.main(["--store", root, "changements", "--depuis", tomorrow.isoformat(), "--vers", "3"]) == 0
    assert "Version en vigueur le" in capsys.readouterr().out
    for bad, said in (
        (["--depuis", "abc"], "ni un numéro de version ni une date"),
        (["--depuis", "9"], "La version n° 9 n'existe pas"),
        (["--output", str(tmp_path / "x.pdf")], "doit se terminer par .csv ou .xlsx"),
    ):
        assert cli.main(["--store", root, "changements", *bad]) == 1
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err


def test_a_lot_is_the_same_whatever_the_other_lots():
    """A lot created at .137 s is printed `.137` alone and `.137000` next to a lot created at .371807 s: its
    signature must not change, or an untouched lot would be said added and withdrawn."""
    one = pd.DataFrame({"lot_id": [1], "empreinte": ["abc"], "cree_le": [pd.Timestamp("2026-12-04 19:04:30.137")]})
    two = pd.DataFrame(
        {
            "lot_id": [1, 2],
            "empreinte": ["abc", "def"],
            "cree_le": [pd.Timestamp("2026-12-04 19:04:30.137"), pd.Timestamp("2026-12-04 19:05:27.371807")],
        }
    )
    assert changes.lot_signatures(one).iloc[0] == changes.lot_signatures(two).iloc[0]
