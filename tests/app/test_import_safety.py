"""The import page when things go wrong or two people act at once (AppTest, a store folder per test):

- another version published between the preview and « Publier » (another editor, the command line): nothing is
  published, the French warning, the preview recomputed against the new version, then publishing it works and
  the journal counts what really changed;
- « Publier » or « Annuler » failing (a full disk, an unexpected error): a French message on the page, never
  Streamlit's English error page, nothing published;
- « Se déconnecter » in one tab ends the rights of every tab and every copy of the identity cookie; a sign-in
  older than `connexion_max_heures` may not publish;
- any editor may undo any editor's import: the confirmation names the import's author, the journal both.

AppTest fakes the signed-in user with `at.user` (the claims a session read from its cookie): two AppTests with
the same claims are two tabs, or a copied cookie."""

from __future__ import annotations

import errno
import shutil
import time

import pytest

from observatoire import config, signins, versions
from tests.app.test_importer import EDITOR, HEADER, _pupils_row, _said, _upload
from tests.app.test_importer_access import AUTH, EDITORS, PAGE
from tests.conftest import ENTRYPOINT
from tests.helpers import md_text, unexpected_errors


@pytest.fixture()
def store_root(tmp_path, monkeypatch) -> versions.Repository:
    repo = versions.Repository(tmp_path / "store")
    repo.init(author="tests")
    monkeypatch.setenv(config.STORE_ENV_VAR, str(repo.root))
    return repo


@pytest.fixture()
def editor_page(store_root):
    return _tab(EDITOR)


def _tab(user: dict, secrets: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.secrets = secrets or {"auth": AUTH, "observatoire": EDITORS}
    at.user = user
    at.run()
    at.switch_page(PAGE).run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def _previewed(at, repo: versions.Repository, delta: float = 1234.5):
    line, _ = _pupils_row(repo, delta)
    return _upload(at, "ent.csv", (HEADER + "\n" + line + "\n").encode())


def _errors(at) -> str:
    return md_text(" ".join(str(e.value) for e in at.error))


def _warnings(at) -> str:
    return md_text(" ".join(str(w.value) for w in at.warning))


# ------------------------------------------------------------------------------------------------ concurrency


def test_a_version_published_after_the_preview_is_not_overwritten_unseen(editor_page, store_root):
    at = _previewed(editor_page, store_root)
    assert "Comparaison avec la version courante des données (n° 1)" in _said(at)
    other_line, _ = _pupils_row(store_root, delta=99.0)  # the same value, changed by someone else meanwhile
    with store_root.connect() as con:
        from observatoire import importing, store

        tables = store.reference_tables(con)
    frame = importing.read_import((HEADER + "\n" + other_line + "\n").encode(), "autre.csv", tables).frame
    store_root.import_measures(frame, "autre.csv", "f" * 64, "Bruno")
    assert store_root.current().number == 2
    at.button(key="import_publish").click().run()
    assert not unexpected_errors(at), unexpected_errors(at)
    said = _said(at)
    assert "Une autre version des données (n° 2) a été publiée depuis l'aperçu" in said
    assert store_root.current().number == 2  # nothing published over it
    assert "Comparaison avec la version courante des données (n° 2)" in said  # the preview, recomputed
    at.button(key="import_publish").click().run()
    assert "Version n° 3 publiée" in _said(at)
    row = store_root.change_of(store_root.current())
    assert (row.auteur, int(row.nouvelles), int(row.modifiees), int(row.inchangees)) == (
        "Claire Éditrice",
        0,
        1,
        0,
    )


# ------------------------------------------------------------------------------------------------ failures


def test_a_full_disk_at_publish_is_said_in_french(editor_page, store_root, monkeypatch):
    at = _previewed(editor_page, store_root)

    def full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    at.button(key="import_publish").click().run()
    assert not at.exception
    errors = _errors(at)
    assert (
        errors.startswith("Disque plein : la nouvelle version n'a pas pu être écrite")
        and "Rien n'a été modifié (la version courante reste la n° 1)" in errors
    )
    assert store_root.current().number == 1
    assert "This app has encountered an error" not in str(at._tree)


@pytest.mark.parametrize("where", ["publish", "undo"])
def test_an_unexpected_error_in_a_button_is_said_in_french(editor_page, store_root, monkeypatch, where):
    at = _previewed(editor_page, store_root)
    if where == "undo":
        at.button(key="import_publish").click().run()
        assert store_root.current().number == 2
        at.button(key="undo_2").click().run()

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003
        raise RuntimeError("panne imprévue")

    monkeypatch.setattr(versions.Repository, "import_measures" if where == "publish" else "undo", broken)
    at.button(key="import_publish" if where == "publish" else "undo_yes_2").click().run()
    assert not at.exception
    errors = _errors(at)
    assert "a échoué, rien n'a été modifié : erreur inattendue" in errors and "panne" not in errors
    assert "Importer des données" in [t.value for t in at.title]  # the page is still there
    assert store_root.current().number == (1 if where == "publish" else 2)


# ------------------------------------------------------------------------------------------------ sign-out


def test_signing_out_in_one_tab_ends_the_rights_of_every_tab_and_cookie_copy(editor_page, store_root):
    tab_a = editor_page
    tab_b = _previewed(_tab(EDITOR), store_root)  # another tab, a file checked, « Publier » on screen
    tab_a.button(key="auth_logout").click().run()  # « Se déconnecter » in tab A
    assert tab_a.user == {"is_logged_in": False}
    tab_b.button(key="import_publish").click().run()  # tab B's session still holds the claims it read
    assert not unexpected_errors(tab_b)
    # the page now stops at the sign-in state: the reason, « Se reconnecter », no uploader, nothing published
    assert "Vous vous êtes déconnecté(e)" in _warnings(tab_b)
    assert store_root.current().number == 1
    tab_b.run()
    assert not tab_b.get("file_uploader") and "Se reconnecter" in [b.label for b in tab_b.button]
    copy = _tab(EDITOR)  # a session opened with a copy of the signed-out cookie
    assert not copy.get("file_uploader") and "Vous vous êtes déconnecté(e)" in _warnings(copy)
    fresh = _tab({**EDITOR, "iat": int(time.time()) + 1, "nonce": "nouvelle-connexion"})  # signing in again
    assert len(fresh.get("file_uploader")) == 1


def test_only_a_recent_sign_in_may_publish(store_root):
    old = {**EDITOR, "iat": int(time.time()) - 9 * 3600}
    at = _tab(old)
    assert "Votre connexion date de plus de 8 h" in _warnings(at)
    assert not at.get("file_uploader") and "Se reconnecter" in [b.label for b in at.button]
    longer = _tab(old, {"auth": AUTH, "observatoire": {**EDITORS, "connexion_max_heures": 12}})
    assert len(longer.get("file_uploader")) == 1
    assert not _tab({k: v for k, v in EDITOR.items() if k != "iat"}).get("file_uploader")  # no date: refused


def test_a_sign_in_grown_too_old_while_the_page_is_open_cannot_publish(editor_page, store_root, monkeypatch):
    at = _previewed(editor_page, store_root)
    later = time.time() + 9 * 3600
    monkeypatch.setattr(signins.time, "time", lambda: later)
    at.button(key="import_publish").click().run()
    assert "Votre connexion date de plus de 8 h" in _warnings(at)
    assert not at.get("file_uploader") and store_root.current().number == 1


# ------------------------------------------------------------------------------------------------ undo policy


def test_any_editor_may_undo_another_editors_import_named_in_the_confirmation(editor_page, store_root):
    at = _previewed(editor_page, store_root)
    at.button(key="import_publish").click().run()
    assert store_root.current().number == 2
    other = _tab(
        {
            "is_logged_in": True,
            "email": "jean.groupe@ac-nancy-metz.fr",
            "name": "Jean Groupe",
            "groups": ["drane-editeurs"],
            "iss": "http://127.0.0.1:9",
            "sub": "jean",
            "iat": int(time.time()),
        }
    )
    other.button(key="undo_2").click().run()
    assert "Cet import a été publié par Claire Éditrice" in _warnings(other)
    other.button(key="undo_yes_2").click().run()
    assert not unexpected_errors(other)
    journal = store_root.journal()
    assert list(journal["auteur"][:2]) == ["Jean Groupe", "Claire Éditrice"]
    assert list(journal["type"][:2]) == [versions.UNDO, versions.IMPORT]
    # her own import: no name in the confirmation
    mine = _previewed(_tab(EDITOR), store_root, delta=7.0)
    mine.button(key="import_publish").click().run()
    lot = int(store_root.change_of(store_root.current()).lots_ajoutes)
    mine.button(key=f"undo_{lot}").click().run()
    assert "Cet import a été publié par" not in _warnings(mine)
