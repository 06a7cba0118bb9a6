"""A local OpenID Connect provider for the sign-in tests: `oidc-provider-mock` (PyPI, pinned in
requirements-dev.txt) served by werkzeug on 127.0.0.1 in a background thread of the test process.

The provider accepts any client id / secret and any redirect URI; its authorization page is a form where the
user's subject (`sub`) is typed (predefined users, with their claims, are also offered as buttons). A typed
subject that is not predefined gets the claims `{"email": <sub>}`. The issuer is the URL the provider is
reached at: everything (browser, Streamlit server, metadata) uses http://127.0.0.1:<port>, never localhost.

`secrets_toml(...)` writes the `.streamlit/secrets.toml` a test server reads (`--secrets.files`). The browser
side is shared too (test_login.py, test_import_journey.py): `guard_loopback` (every request off loopback is
aborted and recorded: the `outside` fixture of conftest.py), `sign_in` / `sign_out` (the whole round trip
through the provider's pages), `open_importer`, `assert_loopback_only`.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._server import Server, free_port, goto, wait_idle
from tests.e2e._ui import main_text, page_problems

UPLOADER = "Fichier de mesures (CSV ou XLSX)"  # label of the import page's st.file_uploader
USER_COOKIE = "_streamlit_user"


@dataclass(frozen=True)
class Provider:
    url: str  # http://127.0.0.1:<port>, no trailing slash

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


@contextmanager
def oidc_provider(users: Mapping[str, Mapping[str, object]] = {}) -> Iterator[Provider]:  # noqa: B006 - read only
    """Run the mock provider on a free loopback port; `users`: predefined subjects -> their claims."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    wsgi = app(
        user_claims=[User(sub=sub, claims=dict(claims)) for sub, claims in users.items()], require_nonce=True
    )
    server = werkzeug.serving.make_server("127.0.0.1", free_port(), wsgi, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True, name="oidc-provider-mock"
    )
    thread.start()
    try:
        yield Provider(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass(frozen=True)
class AuthSecrets:
    path: Path
    cookie_secret: str
    client_secret: str

    @property
    def values(self) -> tuple[str, str]:
        """The secret values that must never reach the page nor the server's log."""
        return self.cookie_secret, self.client_secret


def secrets_toml(
    path: Path,
    app_port: int,
    provider: Provider,
    editors: Sequence[str] = (),
    claim: tuple[str, str] | None = None,
) -> AuthSecrets:
    """Write a secrets file: `[auth]` for the provider (redirect_uri on 127.0.0.1:<app_port>) and the editor
    rules in `[observatoire]`. Fresh random secrets each time."""
    cookie_secret = secrets.token_urlsafe(32)
    client_secret = secrets.token_urlsafe(24)
    lines = [
        "[auth]",
        f"redirect_uri = {json.dumps(f'http://127.0.0.1:{app_port}/oauth2callback')}",
        f"cookie_secret = {json.dumps(cookie_secret)}",
        'client_id = "observatoire-tests"',
        f"client_secret = {json.dumps(client_secret)}",
        f"server_metadata_url = {json.dumps(provider.metadata_url)}",
        "",
        "[observatoire]",
        f"editeurs = {json.dumps(list(editors))}",
    ]
    if claim:
        lines += [f"claim_editeur = {json.dumps(claim[0])}", f"valeur_editeur = {json.dumps(claim[1])}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return AuthSecrets(path=path, cookie_secret=cookie_secret, client_secret=client_secret)


# ------------------------------------------------------------------------------------------------ browser


def guard_loopback(context) -> list[tuple[str, str]]:  # noqa: ANN001
    """Abort every request of the browser context that is not to 127.0.0.1; returns the list of (url, page url)
    that tried, filled as the test goes (the `outside` fixture of conftest.py)."""
    tried: list[tuple[str, str]] = []

    def guard(route, request) -> None:  # noqa: ANN001
        if request.url.startswith("http://127.0.0.1:"):
            route.continue_()
            return
        try:
            origin = request.frame.url
        except Exception:  # a request without a frame (e.g. a worker)
            origin = ""
        tried.append((request.url, origin))
        route.abort()

    context.route("**/*", guard)
    return tried


def page_text(page) -> str:  # noqa: ANN001
    return main_text(page).replace("\u00ad", "")  # soft hyphens put in e-mails by escape_markdown


def open_importer(page, server: Server) -> None:  # noqa: ANN001
    goto(page, f"{server.url}/importer")
    page.get_by_role("heading", name="Importer des données").wait_for()
    assert not page_problems(page), page_problems(page)


def sign_in(page, server: Server, provider: Provider, sub: str) -> None:  # noqa: ANN001
    """From the signed-out import page: « Se connecter » → the provider's form → back on the dashboard (Streamlit
    returns to `/` after the callback) → the import page again."""
    open_importer(page, server)
    assert "réservé aux éditeurs" in page_text(page)
    assert page.get_by_label(UPLOADER).count() == 0
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize?*")
    page.locator('input[name="sub"]').fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{server.url}/")  # Streamlit's callback sends the user to the home page
    wait_idle(page)
    assert any(c["name"] == USER_COOKIE for c in page.context.cookies(server.url))
    open_importer(page, server)


def sign_out(page, server: Server, provider: Provider) -> None:  # noqa: ANN001
    """« Se déconnecter » → the provider's end-session page → back on the dashboard, cookie gone."""
    wait_idle(page)  # the page's run ended: the click is not taken by a rerun that redraws the button
    page.get_by_role("button", name="Se déconnecter").click()
    # two redirects through the provider, each a request to a busy server: waits as long as a page load's
    page.wait_for_url(f"{provider.url}/oauth2/end_session?*", timeout=60_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{server.url}/", timeout=60_000)
    wait_idle(page)
    assert not any(c["name"] == USER_COOKIE for c in page.context.cookies(server.url))


def assert_loopback_only(tried: list[tuple[str, str]], provider: Provider) -> None:
    """Only the provider's own pages (a CDN stylesheet) may have tried to leave loopback, never the dashboard."""
    from_app = [(url, origin) for url, origin in tried if not origin.startswith(provider.url)]
    assert not from_app, f"requêtes hors de la boucle locale depuis le tableau de bord : {from_app}"
