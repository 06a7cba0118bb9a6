"""Editors' sign-in for the pages that change data (import, undo): `require_editor()`.

Viewing stays open to everyone; these pages call `require_editor()` first and go on only with the `Editor`
it returns. Sign-in is Streamlit's `st.login` (OpenID Connect through Authlib), configured in
`.streamlit/secrets.toml`; who is an editor is decided by `observatoire.access` (allow-list of e-mails
and/or a claim). No secret value is ever shown nor logged here: only key names and the user's own e-mail.

Signing out really signs out (`observatoire.signins`): « Se déconnecter » records the sign-in on the server before
Streamlit deletes this browser's cookie, so other tabs and copies of the cookie lose the right to write too;
`require_editor()` and, at the click, `editor_may_write()` also refuse a sign-in older than
`[observatoire] connexion_max_heures` (8 h by default).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from observatoire import access, signins
from observatoire.access import AccessConfig, Editor
from observatoire.text import escape_markdown

__all__ = ["Editor", "access_config", "editor_may_write", "require_editor"]

log = logging.getLogger("observatoire")

LOGIN_KEY = "auth_login"
LOGOUT_KEY = "auth_logout"

# Placeholders only: this text is shown on screen.
SECRETS_EXAMPLE = """\
# .streamlit/secrets.toml — sur le serveur uniquement, jamais versionné
[auth]
redirect_uri = "https://<adresse du tableau de bord>/oauth2callback"
# cookie_secret : python -c "import secrets; print(secrets.token_urlsafe(48))"
cookie_secret = "<longue chaîne aléatoire, propre à ce serveur>"
client_id = "<identifiant du client fourni par la DSI>"
client_secret = "<secret du client fourni par la DSI>"
server_metadata_url = "https://<fournisseur d'identité de l'académie>/.well-known/openid-configuration"

[observatoire]
# Qui peut importer : liste d'adresses e-mail (sans distinction de majuscules)…
editeurs = ["prenom.nom@ac-exemple.fr"]
# …et/ou une information (« claim ») du compte qui doit contenir une valeur donnée
# claim_editeur = "groups"
# valeur_editeur = "drane-editeurs"
"""


def _secrets() -> Mapping:
    """The Streamlit secrets as a dict; {} without a secrets file (no exception, nothing on screen)."""
    try:
        return st.secrets.to_dict()
    except StreamlitSecretNotFoundError as exc:  # no file, or a file that cannot be read
        if getattr(exc, "error_id", None) != "no-secrets-found":  # its message is not logged: key names only
            log.warning(
                "Fichier de secrets Streamlit illisible (%s) : connexion des éditeurs désactivée.",
                getattr(exc, "error_id", None) or "erreur inconnue",
            )
        return {}


def access_config() -> AccessConfig:
    return AccessConfig.from_secrets(_secrets())


def _authlib_missing() -> bool:
    """`st.login` needs Authlib (requirements.txt); without it the button would raise."""
    return importlib.util.find_spec("authlib") is None


def _user_claims() -> dict:
    claims = st.user.to_dict()
    return dict(claims) if isinstance(claims, Mapping) else {}


def _login(provider: str | None) -> None:
    if provider:
        st.login(provider)
    else:
        st.login()


def _sign_outs() -> signins.SignOuts:
    """The server-side list of sign-outs, in the store folder (shared by every replica and tab)."""
    from components import context

    return signins.SignOuts(context.repository().root)


def _logout() -> None:
    """« Se déconnecter »: this sign-in ends for every tab and every copy of its cookie (recorded on the server
    first), then Streamlit deletes this browser's cookie."""
    claims = _user_claims()
    if claims.get("is_logged_in") is True:
        try:
            _sign_outs().sign_out(claims, access_config().max_age)
        except OSError:  # the list cannot be written: said in the log; the cookie is still deleted
            log.exception("Déconnexion non enregistrée côté serveur")
    st.logout()


def editor_may_write() -> str | None:
    """Checked again at « Publier » and « Confirmer l'annulation »: None when this session's user may still
    write (still an editor under the current rules, not signed out in any tab, signed in recently enough), else
    why not, in French."""
    cfg = access_config()
    claims = _user_claims()
    if not cfg.configured or claims.get("is_logged_in") is not True or not access.is_editor(claims, cfg):
        return "Vous n'êtes plus connecté(e) comme éditeur : reconnectez-vous pour importer des données."
    return signins.refusal(claims, _sign_outs(), cfg.max_age)


def _logout_button() -> None:
    # a callback: the run that follows already sees the signed-out user, while the browser is redirected
    st.button("Se déconnecter", key=LOGOUT_KEY, icon=":material/logout:", on_click=_logout)


def _render_not_configured(cfg: AccessConfig) -> None:
    st.warning(
        "La connexion des éditeurs n'est pas configurée sur ce serveur : l'import de données est "
        "désactivé. La consultation du tableau de bord reste ouverte à tous.",
        icon=":material/lock:",
    )
    st.markdown(
        "**Pour activer l'import**, l'administrateur du serveur :\n\n"
        "1. fait enregistrer le tableau de bord comme application auprès du fournisseur d'identité de "
        "l'académie (OpenID Connect), avec l'adresse de retour "
        "`https://<adresse du tableau de bord>/oauth2callback` ;\n"
        "2. crée le fichier `.streamlit/secrets.toml` sur le serveur (il ne doit jamais être versionné), "
        "sur le modèle ci-dessous, avec les valeurs fournies par la DSI ;\n"
        "3. désigne les éditeurs dans la section `[observatoire]` : `editeurs` (adresses e-mail) et/ou "
        "`claim_editeur` + `valeur_editeur` (une information du compte, par exemple un groupe) ;\n"
        "4. redémarre l'application."
    )
    if cfg.problems and cfg.problems != ("la section [auth] est absente",):
        st.markdown(
            "Dans la configuration actuelle :\n\n"
            + "\n".join(f"- {escape_markdown(problem)}" for problem in cfg.problems)
        )
    st.code(SECRETS_EXAMPLE, language="toml", wrap_lines=True)  # no sideways scroll on a phone
    st.caption(
        "Un fournisseur nommé est aussi accepté : `[auth.academie]` avec `client_id`, `client_secret` "
        "et `server_metadata_url` (`redirect_uri` et `cookie_secret` restent dans `[auth]`)."
    )


def _render_sign_in(cfg: AccessConfig) -> None:
    st.info(
        "L'import de données est réservé aux éditeurs de l'observatoire : connectez-vous avec votre "
        "compte de l'académie. La consultation du tableau de bord reste ouverte à tous, sans connexion.",
        icon=":material/lock:",
    )
    st.button(
        "Se connecter",
        key=LOGIN_KEY,
        icon=":material/login:",
        type="primary",
        on_click=_login,
        args=(cfg.provider,),
    )


def _render_refused(cfg: AccessConfig, claims: Mapping) -> None:
    email = access.editor_from_claims(claims).email
    account = escape_markdown(email) if email else "adresse e-mail inconnue"
    st.error(
        f"Votre compte ({account}) n'a pas le droit d'importer des données. Si vous devez alimenter "
        "l'observatoire, demandez à la DRANE de vous ajouter à la liste des éditeurs.",
        icon=":material/block:",
    )
    if not cfg.has_editor_rule:
        st.caption(
            "Aucun éditeur n'est encore désigné : section `[observatoire]` du fichier "
            "`.streamlit/secrets.toml`, clés `editeurs` ou `claim_editeur` + `valeur_editeur`."
        )
    _logout_button()


def _render_reconnect(cfg: AccessConfig, reason: str) -> None:
    st.warning(escape_markdown(reason), icon=":material/lock_clock:")
    st.button(
        "Se reconnecter",
        key=LOGIN_KEY,
        icon=":material/login:",
        type="primary",
        on_click=_login,
        args=(cfg.provider,),
    )


def _render_signed_in(editor: Editor) -> None:
    who = escape_markdown(editor.name)
    if editor.email and editor.email != editor.name:
        who += f" ({escape_markdown(editor.email)})"
    # a row sized by its content: in a fixed [5, 1] column the button read « Se décon… » at 1280 px
    with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
        st.caption(f"Connecté en tant que {who}")
        _logout_button()


def require_editor() -> Editor | None:
    """Render the sign-in state (French) and return the signed-in editor, or None when the page must stop:
    sign-in not configured (how to enable it), not signed in (« Se connecter »), signed in without the right
    to import (« Se déconnecter »), signed out meanwhile (another tab, a copied cookie) or signed in longer
    ago than `connexion_max_heures` (« Se reconnecter »)."""
    cfg = access_config()
    if not cfg.configured:
        _render_not_configured(cfg)
        return None
    if _authlib_missing():
        st.error(
            "La connexion est configurée mais le module Authlib n'est pas installé sur le serveur : "
            "installez les dépendances (`pip install -r requirements.txt`) puis redémarrez l'application.",
            icon=":material/error:",
        )
        return None
    claims = _user_claims()
    if claims.get("is_logged_in") is not True:
        _render_sign_in(cfg)
        return None
    if not access.is_editor(claims, cfg):
        _render_refused(cfg, claims)
        return None
    reason = signins.refusal(claims, _sign_outs(), cfg.max_age)
    if reason:  # signed out in another tab / a copied cookie, or signed in too long ago
        _render_reconnect(cfg, reason)
        return None
    editor = access.editor_from_claims(claims)
    _render_signed_in(editor)
    return editor
