"""The import page's four sign-in states (AppTest): not configured, signed out, not an editor, editor.

AppTest fakes the signed-in user with `at.user` (what the run reads as `st.user`) and the secrets with
`at.secrets` (swapped in as `st.secrets` for the run). The secrets are always set, so a developer's own
`.streamlit/secrets.toml` never leaks into these tests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit

from tests.helpers import md_text, unexpected_errors

ENTRYPOINT = str(Path(__file__).resolve().parents[2] / "dashboard.py")
PAGE = "pages/importer.py"
COOKIE = "test-cookie-secret-d41d8cd98f00b204e9800998ecf8427e"
CLIENT_SECRET = "test-client-secret-0f343b0931126a20f133d67c2b018a3b"
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": COOKIE,
    "client_id": "observatoire",
    "client_secret": CLIENT_SECRET,
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
EDITORS = {
    "editeurs": ["Claire.Editrice@ac-nancy-metz.fr"],
    "claim_editeur": "groups",
    "valeur_editeur": "drane-editeurs",
}
UPLOADER = "Fichier de mesures (CSV ou XLSX)"


@pytest.fixture()
def importer(demo_db: Path):
    """Factory: the importer page run with these secrets and this user."""
    from streamlit.testing.v1 import AppTest

    def make(secrets: dict, user: dict):
        at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
        at.secrets = {"observatoire": {}, **secrets}  # never empty: the real secrets file stays out
        at.user = user
        at.run()
        at.switch_page(PAGE).run()
        assert not unexpected_errors(at), unexpected_errors(at)
        return at

    return make


def _shown(at) -> str:
    """Every text of the run (Markdown read as text), for assertions on what the page says."""
    parts = [
        str(getattr(e, "value", ""))
        for kind in ("title", "markdown", "caption", "info", "warning", "error", "code")
        for e in at.get(kind)
    ]
    parts += [b.label for b in at.button]
    return md_text("\n".join(parts))


def _assert_no_secret(at) -> None:
    blob = str(at._tree)  # every element of the run, protos included
    assert COOKIE not in blob and CLIENT_SECRET not in blob


def _buttons(at) -> list[str]:
    return [b.label for b in at.main.button]


def test_not_configured_explains_how_to_enable_it_and_refuses(importer):
    at = importer({"observatoire": EDITORS}, {"is_logged_in": False})
    text = _shown(at)
    assert "Importer des données" in [t.value for t in at.title]
    assert "La connexion des éditeurs n'est pas configurée" in text
    assert ".streamlit/secrets.toml" in text and "/oauth2callback" in text
    code = at.get("code")[0].value
    for key in (
        "[auth]",
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
        "[observatoire]",
        "editeurs",
    ):
        assert key in code, key
    assert "<secret du client" in code  # placeholders only
    assert not at.get("file_uploader") and "Se connecter" not in _buttons(at)
    _assert_no_secret(at)


def test_incomplete_auth_lists_missing_key_names_without_values(importer):
    auth = {k: v for k, v in AUTH.items() if k != "client_id"}
    at = importer({"auth": auth, "observatoire": EDITORS}, {"is_logged_in": False})
    text = _shown(at)
    assert "clé « client_id » manquante ou vide" in text
    assert not at.get("file_uploader") and "Se connecter" not in _buttons(at)
    _assert_no_secret(at)


def test_signed_out_shows_the_login_button(importer, monkeypatch):
    calls = []
    monkeypatch.setattr(streamlit, "login", lambda *args: calls.append(args))
    at = importer({"auth": AUTH, "observatoire": EDITORS}, {"is_logged_in": False})
    assert "réservé aux éditeurs" in _shown(at)
    assert "Se connecter" in _buttons(at) and not at.get("file_uploader")
    _assert_no_secret(at)
    at.button(key="auth_login").click().run()
    assert calls == [()]  # st.login() with the default provider


def test_missing_authlib_is_explained(importer, monkeypatch):
    import components.auth

    monkeypatch.setattr(components.auth, "_authlib_missing", lambda: True)
    at = importer({"auth": AUTH, "observatoire": EDITORS}, {"is_logged_in": True, "email": "a@b.fr"})
    assert "Authlib n'est pas installé" in _shown(at)
    assert "Se connecter" not in _buttons(at) and not at.get("file_uploader")


def test_login_uses_the_named_provider(importer, monkeypatch):
    calls = []
    monkeypatch.setattr(streamlit, "login", lambda *args: calls.append(args))
    auth = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": COOKIE,
        "academie": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
    }
    at = importer({"auth": auth, "observatoire": EDITORS}, {"is_logged_in": False})
    at.button(key="auth_login").click().run()
    assert calls == [("academie",)]


def test_signed_in_but_not_an_editor_is_refused(importer):
    at = importer(
        {"auth": AUTH, "observatoire": EDITORS},
        {"is_logged_in": True, "email": "visiteur@example.org", "name": "Visiteur", "groups": ["profs"]},
    )
    errors = md_text(" ".join(e.value for e in at.error)).replace("\u00ad", "")
    assert "Votre compte (visiteur@example.org) n'a pas le droit d'importer" in errors
    assert "Se déconnecter" in _buttons(at) and "Se connecter" not in _buttons(at)
    assert not at.get("file_uploader")
    _assert_no_secret(at)


def test_signed_in_without_any_editor_rule_says_so(importer):
    at = importer({"auth": AUTH}, {"is_logged_in": True, "email": "claire.editrice@ac-nancy-metz.fr"})
    assert "Aucun éditeur n'est encore désigné" in _shown(at) and not at.get("file_uploader")


@pytest.mark.parametrize(
    "user",
    [
        {"email": "claire.editrice@AC-NANCY-METZ.fr", "name": "Claire Éditrice"},  # allow-list, any case
        {"email": "autre@ac-nancy-metz.fr", "name": "Claire Éditrice", "groups": ["drane-editeurs"]},  # claim
    ],
    ids=["allow-list", "claim"],
)
def test_editor_gets_the_upload_space_then_logs_out(importer, user):
    at = importer({"auth": AUTH, "observatoire": EDITORS}, {"is_logged_in": True, "iat": int(time.time()), **user})
    text = _shown(at)
    assert "Connecté en tant que Claire Éditrice" in text.replace("\u00ad", "")
    uploaders = at.get("file_uploader")
    assert len(uploaders) == 1 and uploaders[0].proto.label == UPLOADER
    assert "Se déconnecter" in _buttons(at)
    _assert_no_secret(at)
    at.button(key="auth_logout").click().run()  # st.logout() in the callback: this very run is signed out
    assert not unexpected_errors(at)
    assert at.user == {"is_logged_in": False}
    assert not at.get("file_uploader") and "Se connecter" in _buttons(at)


def test_no_secrets_file_at_all_does_not_crash(demo_db, monkeypatch, tmp_path):
    """Without any secrets file, reading st.secrets raises StreamlitSecretNotFoundError: caught, the page
    explains, nothing else is shown (no Streamlit warning box)."""
    from streamlit import config
    from streamlit.runtime.secrets import secrets_singleton
    from streamlit.testing.v1 import AppTest

    previous = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(tmp_path / "absent.toml")])
    secrets_singleton._reset()
    try:
        at = AppTest.from_file(ENTRYPOINT, default_timeout=90)
        at.user = {"is_logged_in": False}
        at.run()
        at.switch_page(PAGE).run()
    finally:
        config.set_option("secrets.files", previous)
        secrets_singleton._reset()
    assert not unexpected_errors(at) and not at.exception
    assert [w.value for w in at.warning if "n'est pas configurée" not in w.value] == []
    assert "La connexion des éditeurs n'est pas configurée" in _shown(at) and not at.get("file_uploader")
