"""Who may import: the editors' access rules, read from the Streamlit secrets (pure: no Streamlit import).

Viewing the dashboard is open to everyone. Importing data (and undoing an import) needs an editor signed in
with `st.login` (OpenID Connect, Authlib) against the académie's identity provider.

Secrets layout (`.streamlit/secrets.toml`, never committed):

    [auth]                      # what `st.login` needs (Streamlit 1.67 rules, see `auth_configured`)
    redirect_uri = "https://observatoire.example.fr/oauth2callback"
    cookie_secret = "<long random string>"
    client_id = "<client id>"
    client_secret = "<client secret>"
    server_metadata_url = "https://idp.example.fr/.well-known/openid-configuration"

    [observatoire]              # who is an editor (either rule, or both)
    editeurs = ["prenom.nom@ac-nancy-metz.fr"]  # allow-list of e-mails, case-insensitive
    claim_editeur = "groups"                    # or: a claim of the identity token…
    valeur_editeur = "drane-editeurs"           # …whose value (string, or list of strings) holds this value
    connexion_max_heures = 8                    # publishing needs a sign-in younger than this (default 8 h)

The provider may also be a named sub-section (`[auth.academie]` with client_id, client_secret,
server_metadata_url; redirect_uri and cookie_secret stay in `[auth]`); with several named providers,
`[observatoire] fournisseur = "academie"` picks one. Nothing here keeps or returns a secret value: only key
NAMES appear in the problems reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
CALLBACK_PATH = "/oauth2callback"  # the only callback route Streamlit serves
SECTION = "observatoire"
NAME_LIMIT = 120
DEFAULT_MAX_AGE_HOURS = 8.0  # `[observatoire] connexion_max_heures`: publishing needs a sign-in younger than this
MAX_AGE_HOURS_LIMIT = 7 * 24.0
_SPACES = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


@dataclass(frozen=True)
class Editor:
    """A signed-in editor, as written in the import journal."""

    name: str  # display name (the `name` claim, else the e-mail)
    email: str


@dataclass(frozen=True)
class AccessConfig:
    """What the secrets say about sign-in and editors. `configured`: `st.login` can work."""

    configured: bool
    provider: str | None = None  # None: the default provider, `st.login()`; else `st.login(provider)`
    problems: tuple[str, ...] = ()  # French, key names only: what is missing or wrong in `[auth]`
    editors: frozenset[str] = frozenset()  # lower-cased e-mails
    claim: str | None = None
    claim_value: str | None = None
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS  # a write needs a younger sign-in (observatoire.signins)

    @property
    def max_age(self) -> float:
        """The same, in seconds."""
        return self.max_age_hours * 3600

    @property
    def has_editor_rule(self) -> bool:
        return bool(self.editors) or bool(self.claim and self.claim_value)

    @classmethod
    def from_secrets(cls, secrets: Mapping | None) -> AccessConfig:
        secrets = secrets if isinstance(secrets, Mapping) else {}
        options = secrets.get(SECTION)
        options = options if isinstance(options, Mapping) else {}
        provider, problems = _provider(secrets.get("auth"), options.get("fournisseur"))
        claim = _text(options.get("claim_editeur"))
        claim_value = _text(options.get("valeur_editeur"))
        return cls(
            configured=not problems,
            provider=provider if not problems else None,
            problems=tuple(problems),
            editors=_emails(options.get("editeurs")),
            claim=claim or None,
            claim_value=claim_value or None,
            max_age_hours=_hours(options.get("connexion_max_heures")),
        )


def auth_configured(secrets: Mapping | None) -> bool:
    """True when the secrets hold what Streamlit 1.67's `st.login` requires (`validate_auth_credentials`):
    `[auth]` with redirect_uri and cookie_secret, and client_id, client_secret, server_metadata_url either
    flat in `[auth]` (default provider) or in a named sub-section `[auth.<name>]` (no underscore in the name).
    Values must be non-empty strings and redirect_uri must end with /oauth2callback (Streamlit's route)."""
    return AccessConfig.from_secrets(secrets).configured


def is_editor(user_claims: Mapping | None, cfg: AccessConfig) -> bool:
    """May this signed-in user import? Allow-listed e-mail (case-insensitive) or the configured claim.

    Refused: not signed in (`is_logged_in` must be True), auth not configured, no rule configured, and an
    e-mail that the identity provider marks as not verified (`email_verified` false) for the allow-list."""
    if not isinstance(user_claims, Mapping) or user_claims.get("is_logged_in") is not True or not cfg.configured:
        return False
    email = _email(user_claims.get("email"))
    if email and email in cfg.editors and not _unverified(user_claims.get("email_verified")):
        return True
    if cfg.claim and cfg.claim_value:
        value = user_claims.get(cfg.claim)
        if isinstance(value, str):
            return value == cfg.claim_value
        if isinstance(value, list | tuple | set | frozenset):
            return any(isinstance(item, str) and item == cfg.claim_value for item in value)
    return False


def editor_name(user_claims: Mapping | None) -> str:
    """Who did it, for the journal: the `name` claim, else the e-mail, else the subject; one clean line."""
    claims = user_claims if isinstance(user_claims, Mapping) else {}
    for key in ("name", "email", "preferred_username", "sub"):
        text = _one_line(claims.get(key))
        if text:
            return text
    return "éditeur inconnu"


def editor_from_claims(user_claims: Mapping) -> Editor:
    return Editor(name=editor_name(user_claims), email=_one_line(user_claims.get("email")))


# ------------------------------------------------------------------------------------------------ helpers


def _provider(auth: object, wanted: object) -> tuple[str | None, list[str]]:
    """(provider name or None for the default one, problems)."""
    if not isinstance(auth, Mapping) or not auth:
        return None, ["la section [auth] est absente"]
    problems = [f"[auth] : clé « {key} » manquante ou vide" for key in SHARED_KEYS if not _text(auth.get(key))]
    redirect = _text(auth.get("redirect_uri"))
    if redirect and not redirect.endswith(CALLBACK_PATH):
        problems.append(f"[auth] : « redirect_uri » doit se terminer par {CALLBACK_PATH}")
    named = {
        name: section
        for name, section in auth.items()
        if isinstance(section, Mapping) and any(key in section for key in PROVIDER_KEYS)
    }
    wanted = _text(wanted)
    candidates: Mapping[str, Mapping[Any, Any] | None]
    if wanted and wanted != "default":
        candidates = {wanted: named.get(wanted)}
    elif wanted == "default" or all(key in auth for key in PROVIDER_KEYS) or not named:
        candidates = {"default": named.get("default", auth)}
    else:
        candidates = named
    name, section = next(iter(candidates.items()))
    where = "[auth]" if section is auth else f"[auth.{name}]"
    if not isinstance(section, Mapping):
        problems.append(f"{where} : fournisseur d'identité introuvable")
        return None, problems
    if "_" in name:
        problems.append(f"{where} : le nom du fournisseur ne doit pas contenir « _ »")
    problems += [
        f"{where} : clé « {key} » manquante ou vide" for key in PROVIDER_KEYS if not _text(section.get(key))
    ]
    return (None if name == "default" else name), problems


def _hours(value: object) -> float:
    """`connexion_max_heures`: a positive number of hours, at most one week; the default otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_AGE_HOURS_LIMIT:
        return float(value)
    return DEFAULT_MAX_AGE_HOURS


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _email(value: object) -> str:
    return _text(value).casefold()


def _emails(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        return frozenset()
    return frozenset(e for e in (_email(item) for item in value) if e)


def _unverified(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def _one_line(value: object) -> str:
    """A claim as one journal line: controls dropped, whitespace folded, length bounded."""
    if not isinstance(value, str):
        return ""
    text = _SPACES.sub(" ", _CONTROLS.sub(" ", value)).strip()
    return text if len(text) <= NAME_LIMIT else text[: NAME_LIMIT - 1].rstrip() + "…"
