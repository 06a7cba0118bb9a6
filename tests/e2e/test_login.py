"""Editors' sign-in, for real, offline: a local OpenID Connect provider (oidc-provider-mock) + the dashboard
started with a secrets file naming it + Debian's Chromium driving login → import page → logout.

Everything is on 127.0.0.1 (the browser host must match `redirect_uri` exactly: no `localhost`). The browser
may not leave loopback: any other request is aborted and recorded; only the provider's own pages (which link
a stylesheet on a CDN) may have tried one, never the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench._server import Server, free_port, streamlit_server
from tests.e2e._oidc import UPLOADER, AuthSecrets, Provider, oidc_provider, secrets_toml
from tests.e2e._oidc import assert_loopback_only as _assert_loopback_only
from tests.e2e._oidc import open_importer as _open_importer
from tests.e2e._oidc import page_text as _text
from tests.e2e._oidc import sign_in as _sign_in
from tests.e2e._oidc import sign_out as _sign_out

EDITOR = "Claire.Editrice@ac-nancy-metz.fr"  # allow-listed (in lower case: the match ignores case)
GROUP_EDITOR = "jean.groupe@ac-nancy-metz.fr"  # not allow-listed, but in the editors' group
VISITOR = "visiteur@example.org"  # typed in the provider's form: not predefined, claims = {"email": sub}
USERS = {
    EDITOR: {"email": EDITOR, "name": "Claire Éditrice"},
    GROUP_EDITOR: {"email": GROUP_EDITOR, "name": "Jean Groupe", "groups": ["profs", "drane-editeurs"]},
}


@pytest.fixture(scope="module")
def provider(chromium_available: None) -> Iterator[Provider]:
    with oidc_provider(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def auth_app(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, AuthSecrets]]:
    """The dashboard with sign-in configured for the local provider."""
    port = free_port()
    auth = secrets_toml(
        tmp_path_factory.mktemp("auth") / "secrets.toml",
        port,
        provider,
        editors=[EDITOR.lower()],
        claim=("groups", "drane-editeurs"),
    )
    with streamlit_server(port=port, secrets_file=auth.path) as server:
        yield server, auth
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
        for value in auth.values:  # checked once every test of the module has run
            assert value not in log, "un secret apparaît dans le journal du serveur"


def _assert_no_secret(page, auth: AuthSecrets) -> None:  # noqa: ANN001
    html = page.content()
    for value in auth.values:
        assert value not in html, "un secret apparaît dans la page"


@pytest.mark.parametrize(
    "sub,name", [(EDITOR, "Claire Éditrice"), (GROUP_EDITOR, "Jean Groupe")], ids=["allow-list", "group-claim"]
)
def test_editor_login_import_page_logout(page, auth_app, provider, outside, sub, name):
    server, auth = auth_app
    _sign_in(page, server, provider, sub)
    text = _text(page)
    assert f"Connecté en tant que {name} ({sub})" in text, text[:1000]
    assert "1. Fichier" in text and "Imports précédents" in text  # the editor's import space (pages/importer.py)
    page.get_by_label(UPLOADER).wait_for(state="attached")  # the file_uploader's input
    assert page.get_by_role("button", name="Se déconnecter").count() == 1
    _assert_no_secret(page, auth)

    _sign_out(page, server, provider)
    _open_importer(page, server)  # back to the signed-out state
    assert "réservé aux éditeurs" in _text(page) and "Connecté en tant que" not in _text(page)
    assert page.get_by_role("button", name="Se connecter").count() == 1
    assert page.get_by_label(UPLOADER).count() == 0
    _assert_no_secret(page, auth)
    assert not page.errors  # type: ignore[attr-defined]
    _assert_loopback_only(outside, provider)


def test_non_editor_is_refused(page, auth_app, provider, outside):
    server, auth = auth_app
    _sign_in(page, server, provider, VISITOR)
    text = _text(page)
    assert f"Votre compte ({VISITOR}) n'a pas le droit d'importer des données" in text, text[:1000]
    assert page.get_by_label(UPLOADER).count() == 0 and "1. Fichier" not in text
    assert page.get_by_role("button", name="Se déconnecter").count() == 1
    _assert_no_secret(page, auth)
    _sign_out(page, server, provider)
    _assert_loopback_only(outside, provider)


def _changed_row_csv(server: Server) -> bytes:
    """A one-row CSV changing the académie's latest ENT figure of the server's current version."""
    from observatoire import versions

    with versions.Repository(server.store_dir).connect() as con:
        row = con.execute("""SELECT indicateur, periode, territoire_type, territoire_code, niveau, thematique, public,
                                    valeur FROM mesures_actives
                             WHERE territoire_type = 'academie' AND indicateur = 'ent_visites' AND public = 'tous'
                               AND niveau = 'tous' AND thematique = 'tous' ORDER BY periode DESC LIMIT 1""").fetchone()
    header = "indicateur;periode;territoire_type;territoire_code;niveau;thematique;public;valeur;source"
    line = ";".join([*map(str, row[:7]), str(int(row[7]) + 1234), "Statistiques ENT (test déconnexion)"])
    return f"{header}\n{line}\n".encode()


def test_sign_out_ends_every_tab_and_every_copy_of_the_cookie(page, context, browser, auth_app, provider, outside):
    """Tab A signs out. Tab B (same browser, its session opened before) had a file checked and « Publier » on
    screen: publishing is refused, nothing is published. A copy of the identity cookie taken before the sign-out,
    used in another browser, no longer opens the import space."""
    from bench._server import wait_idle
    from observatoire import versions
    from tests.e2e._oidc import guard_loopback
    from tests.e2e.conftest import VIEWPORT

    server, _ = auth_app
    repo = versions.Repository(server.store_dir)
    _sign_in(page, server, provider, EDITOR)
    published = repo.current().number
    tab_b = context.new_page()
    _open_importer(tab_b, server)
    assert "Connecté en tant que Claire Éditrice" in _text(tab_b)
    tab_b.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "ent.csv", "mimeType": "text/csv", "buffer": _changed_row_csv(server)}]
    )
    tab_b.get_by_text("Fichier lisible et valide", exact=False).wait_for()
    wait_idle(tab_b)
    copied = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        elsewhere = guard_loopback(copied)
        copied.add_cookies([c for c in context.cookies(server.url) if c["name"].startswith("_streamlit_user")])
        stolen = copied.new_page()
        _open_importer(stolen, server)
        assert "Connecté en tant que Claire Éditrice" in _text(stolen)  # the copy works… until the sign-out

        _sign_out(page, server, provider)  # « Se déconnecter » in tab A

        tab_b.get_by_role("button", name="Publier", exact=True).click()
        tab_b.get_by_text("Vous vous êtes déconnecté(e)", exact=False).wait_for()
        wait_idle(tab_b)
        assert repo.current().number == published  # nothing published
        assert tab_b.get_by_label(UPLOADER).count() == 0
        assert tab_b.get_by_role("button", name="Se reconnecter").count() == 1

        _open_importer(stolen, server)  # the copied cookie, in a new session
        assert "Vous vous êtes déconnecté(e)" in _text(stolen) and "Connecté en tant que" not in _text(stolen)
        assert stolen.get_by_label(UPLOADER).count() == 0
        assert not elsewhere
    finally:
        copied.close()
    _assert_loopback_only(outside, provider)


def test_without_any_secrets_the_page_explains_and_refuses(page, chromium_available, outside, tmp_path: Path):
    """No secrets file at all (a missing path): no crash, no Streamlit warning, the French explanation."""
    with streamlit_server(secrets_file=tmp_path / "absent.toml") as server:
        _open_importer(page, server)
        text = _text(page)
        assert "La connexion des éditeurs n'est pas configurée" in text
        assert ".streamlit/secrets.toml" in text and "[auth]" in text
        assert page.get_by_role("button", name="Se connecter").count() == 0
        assert page.get_by_label(UPLOADER).count() == 0
        assert "secrets" not in server.log_tail(20_000).lower().replace(".streamlit/secrets.toml", "")
    assert not outside
