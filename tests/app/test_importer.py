"""The import page for a signed-in editor (AppTest): upload → check → preview → « Publier » → the new version
is current; a refused file publishes nothing; « Annuler cet import » publishes a version without the lot.

Each test works on its own store folder (`OBSERVATOIRE_STORE`), never on the session's demo store."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from observatoire import config, queries, versions
from observatoire.filters import Filters
from tests.app.test_importer_access import AUTH, EDITORS, PAGE
from tests.conftest import ENTRYPOINT
from tests.helpers import md_text, unexpected_errors

EDITOR = {
    "is_logged_in": True,
    "email": "claire.editrice@ac-nancy-metz.fr",
    "name": "Claire Éditrice",
    "iss": "http://127.0.0.1:9",
    "sub": "claire",
    "iat": int(time.time()),
}  # signed in just now
HEADER = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source"


@pytest.fixture()
def store_root(tmp_path, monkeypatch) -> versions.Repository:
    repo = versions.Repository(tmp_path / "store")
    repo.init(author="tests")
    monkeypatch.setenv(config.STORE_ENV_VAR, str(repo.root))
    return repo


@pytest.fixture()
def editor_page(store_root):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.secrets = {"auth": AUTH, "observatoire": EDITORS}
    at.user = EDITOR
    at.run()
    at.switch_page(PAGE).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _said(at) -> str:
    parts = [
        str(e.value)
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in at.get(kind)
    ]
    return md_text("\n".join(parts))


def _pupils_row(repo: versions.Repository, delta: float = 1234.5) -> tuple[str, float]:
    """A CSV line changing one académie-level measure of the current version, and its new value."""
    with repo.connect() as con:
        row = con.execute("""SELECT indicateur, periode, territoire_type, territoire_code, niveau, thematique,
                                    public, valeur FROM mesures_actives
                             WHERE territoire_type = 'academie' AND indicateur = 'ent_visites'
                               AND public = 'tous' AND niveau = 'tous' AND thematique = 'tous'
                             ORDER BY periode DESC LIMIT 1""").fetchone()
    new = row[7] + delta
    cells = [*row[:7], f"{new:.1f}".replace(".", ","), "Statistiques ENT — académie (import test)"]
    return ";".join(map(str, cells)), new


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="import_file_0").set_value((name, data, "text/csv")).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def test_upload_preview_publish_and_undo(editor_page, store_root):
    at = editor_page
    line, new = _pupils_row(store_root)
    data = (HEADER + "\n" + line + "\n").encode("cp1252")
    _upload(at, "ent-2025.csv", data)
    said = _said(at)
    assert "Fichier lisible et valide" in said and "Windows-1252" in said
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Valeurs modifiées"] == "1" and metrics["Valeurs nouvelles"] == "0"
    assert store_root.current().number == 1  # nothing published by a preview
    at.button(key="import_publish").click().run()
    assert not unexpected_errors(at), unexpected_errors(at)
    assert "Version n° 2 publiée" in _said(at)
    current = store_root.current()
    assert current.number == 2
    journal = store_root.journal()
    assert journal.iloc[0]["type"] == "import" and journal.iloc[0]["auteur"] == "Claire Éditrice"
    assert journal.iloc[0]["fichier"] == "ent-2025.csv" and journal.iloc[0]["modifiees"] == 1
    with store_root.connect() as con:
        value, origine = con.execute(
            "SELECT valeur, origine FROM mesures_actives WHERE source LIKE '%(import test)'"
        ).fetchone()
    assert value == pytest.approx(new) and origine == "import"
    # the past import is listed with its undo button; undo asks for confirmation first
    assert "Lot 2" in _said(at) and "actif" in _said(at)
    at.button(key="undo_2").click().run()
    assert store_root.current().number == 2
    at.button(key="undo_yes_2").click().run()
    assert not unexpected_errors(at), unexpected_errors(at)
    assert "Import 2 annulé : version n° 3 publiée" in _said(at)
    assert store_root.current().number == 3
    with store_root.connect() as con:
        assert con.execute("SELECT count(*) FROM mesures_actives WHERE origine = 'import'").fetchone()[0] == 0


def test_a_refused_file_publishes_nothing(editor_page, store_root):
    before = sorted(p.name for p in store_root.folder.iterdir())
    _upload(
        editor_page,
        "faux.csv",
        (HEADER + "\nent_visites;2024/2025;academie;nancy-metz;tous;tous;tous;-5;x\n").encode(),
    )
    said = _said(editor_page)
    assert "Fichier refusé" in said and "Rien n'a été publié" in said
    assert "2024/2025" in said
    assert "import_publish" not in [b.key for b in editor_page.button]
    assert sorted(p.name for p in store_root.folder.iterdir()) == before


def test_the_new_figures_are_what_the_next_rerun_of_any_session_reads(editor_page, store_root):
    """Another session (a viewer on the overview) reads the new version at its next rerun."""
    from streamlit.testing.v1 import AppTest

    viewer = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    viewer.run()
    with store_root.connect() as con:
        before = {k.indicateur: k.valeur for k in queries.kpis(con, Filters())}
    shown_before = " ".join(str(m.value) for m in viewer.metric)
    line, _ = _pupils_row(store_root, delta=10_000_000)
    _upload(editor_page, "ent.csv", (HEADER + "\n" + line + "\n").encode())
    editor_page.button(key="import_publish").click().run()
    assert store_root.current().number == 2
    viewer.run()
    assert not unexpected_errors(viewer), unexpected_errors(viewer)
    footer = " ".join(c.value for c in viewer.caption)
    assert "Version des données n° 2" in footer
    with store_root.connect() as con:
        after = {k.indicateur: k.valeur for k in queries.kpis(con, Filters())}
    assert after["ent_visites"] == pytest.approx(before["ent_visites"] + 10_000_000)
    shown = " ".join(str(m.value) for m in viewer.metric)
    assert "64,5" in shown_before and "74,5" not in shown_before, shown_before
    assert "74,5" in shown and "64,5" not in shown, shown


# ------------------------------------------------------------------- one upload says everything (issue 18.4)

SHEETS = Path(__file__).resolve().parents[1] / "observatoire" / "fichiers"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload_xlsx(at, path: Path):
    at.file_uploader(key="import_file_0").set_value((path.name, path.read_bytes(), XLSX)).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def test_a_libreoffice_sheet_with_three_bad_rows_lists_them_all_in_one_upload(editor_page, store_root):
    at = _upload_xlsx(editor_page, SHEETS / "gar-pix-2024-2025.xlsx")
    errors = [md_text(e.value) for e in at.error]
    assert any("Fichier refusé : 3 problèmes dans « gar-pix-2024-2025.xlsx »" in e for e in errors), errors
    notices = [md_text(i.value) for i in at.info]
    assert any(
        n.startswith("Ligne 1 ignorée (« Statistiques GAR et PIX 2024-2025 — DRANE Nancy-Metz »)") for n in notices
    ), notices
    assert any(n.startswith("Colonne ignorée : « notes » (J)") for n in notices), notices
    listed = md_text("\n".join(str(m.value) for m in at.markdown)).replace("\u00a0", " ")
    for fragment in (
        "- Ligne 6, colonne « periode » (cellule B6) : période annuelle attendue, par exemple 2024-2025",
        "- Ligne 8, colonne « territoire_code » (cellule D8)",
        "vouliez-vous dire « 54-nancy » ?",
        "- Ligne 10, colonne « valeur » (cellule H10) : nombre attendu (valeur « non communiqué »)",
    ):
        assert fragment in listed, listed
    assert "gar-pix-2024-2025.xlsx —" not in listed  # the file is named once, above the list
    assert "nommez" not in listed
    assert "import_publish" not in [b.key for b in at.button] and store_root.current().number == 1


def test_the_corrected_sheet_previews_without_none_and_its_import_is_dated_in_paris(editor_page, store_root):
    at = _upload_xlsx(editor_page, SHEETS / "gar-pix-2024-2025-corrige.xlsx")
    assert "Fichier lisible et valide" in _said(at)
    assert any(md_text(i.value).startswith("Ligne 1 ignorée") for i in at.info)
    sample = next(d.value for d in at.dataframe if "Ancienne valeur" in d.value.columns)
    assert set(sample["Statut"]) == {"Nouvelle"} and set(sample["Ancienne valeur"]) == {""}  # new: no old value
    assert sample.columns.tolist()[3:6] == ["Territoire", "Ancienne valeur", "Nouvelle valeur"]
    assert "Département 54 — Meurthe-et-Moselle" in set(sample["Territoire"])
    text = sample.to_csv()
    assert "None" not in text and "nan" not in text.lower().split(",")
    assert "1\u202f987\u202f654" in set(sample["Nouvelle valeur"])
    at.button(key="import_publish").click().run()
    assert store_root.current().number == 2
    history = _said(at)
    assert "**Lot 2** — « gar-pix-2024-2025-corrige.xlsx », version n° 2, le " in history
    assert "(heure de Paris), par Claire Éditrice" in history
