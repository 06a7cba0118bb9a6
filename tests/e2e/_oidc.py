"""A local OpenID Connect provider for the sign-in tests: `oidc-provider-mock` (PyPI, pinned in
requirements-dev.txt) served by werkzeug on 127.0.0.1 in a background thread of the test process.

The provider accepts any client id / secret and any redirect URI; its authorization page is a form where the
user's subject (`sub`) is typed (predefined users, with their claims, are also offered as buttons). A typed
subject that is not predefined gets the claims `{"email": <sub>}`. The issuer is the URL the provider is
reached at: everything (browser, Streamlit server, metadata) uses http://127.0.0.1:<port>, never localhost.

`secrets_toml(...)` writes the `.streamlit/secrets.toml` a test server reads (`--secrets.files`).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench._server import free_port


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

    wsgi = app(user_claims=[User(sub=sub, claims=dict(claims)) for sub, claims in users.items()],
               require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", free_port(), wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
                              name="oidc-provider-mock")
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


def secrets_toml(path: Path, app_port: int, provider: Provider, editors: Sequence[str] = (),
                 claim: tuple[str, str] | None = None) -> AuthSecrets:
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
