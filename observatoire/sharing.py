"""The address the séminaire's QR code encodes: the dashboard's public address (pure, no Streamlit).

The room scans the title slide's QR code on phones: it must open the dashboard's PUBLIC address, not the one the
presenter's browser happens to use (a loopback address when the presenter works on the server, a tunnel, an
internal name). The public address is configured, by order of precedence:

- the environment variable `OBSERVATOIRE_URL_PUBLIQUE` (`https://observatoire.ac-nancy-metz.fr`, a path prefix
  allowed: `https://intranet.example/observatoire`);
- the key `url_publique` of the `[observatoire]` section of `.streamlit/secrets.toml`;
- else the address of the presenter's own request (as before).

`qr_warning(url)` says, in French, when the address the QR code would encode is one the phones of the room
cannot open (loopback, private network, link-local, a bare host name, `.local` / `.internal` names): the page shows
it to the presenter, never on the slide.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

ENV_VAR = "OBSERVATOIRE_URL_PUBLIQUE"
SECRET_SECTION = "observatoire"
SECRET_KEY = "url_publique"
SETTING = (
    f"variable d'environnement {ENV_VAR}, ou clé « {SECRET_KEY} » de la section [{SECRET_SECTION}] de "
    ".streamlit/secrets.toml"
)
_LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home", ".intranet")


def clean_base(value: object) -> str | None:
    """`https://host[:port][/prefix]` without query nor trailing slash, or None when `value` is not such an
    address (empty, another scheme, no host, credentials, a query or a fragment)."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    if parts.query or parts.fragment:
        return None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def configured_base(
    environ: Mapping[str, str] | None = None, secrets: Mapping | None = None
) -> tuple[str | None, str | None]:
    """(the configured public address or None, a French problem when a setting is there but unusable)."""
    environ = os.environ if environ is None else environ
    raw_env = environ.get(ENV_VAR, "")
    section = (secrets or {}).get(SECRET_SECTION) or {}
    raw_secret = section.get(SECRET_KEY, "") if isinstance(section, Mapping) else ""
    for raw, where in (
        (raw_env, f"la variable {ENV_VAR}"),
        (raw_secret, f"la clé « {SECRET_KEY} » de [{SECRET_SECTION}]"),
    ):
        if str(raw or "").strip():
            base = clean_base(raw)
            if base is None:
                return None, (
                    f"L'adresse publique donnée par {where} n'est pas une adresse http(s) valide "
                    "(exemple : https://observatoire.ac-exemple.fr) : elle est ignorée."
                )
            return base, None
    return None, None


def request_base(url: str | None) -> str:
    """`scheme://host[:port]` of the presenter's request (`st.context.url`), "" when unknown."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def view_link(base: str, params: Mapping[str, object]) -> str:
    """The overview of the dashboard at `base` with the URL parameters `params` (filters, version)."""
    query = urlencode(params, doseq=True)
    return f"{base}/" + (f"?{query}" if query else "")


def unreachable_host(url: str) -> str | None:
    """The host of `url` when phones of the room cannot open it (loopback, private, link-local, unspecified,
    a name without a dot or a local suffix), else None. An address without host (relative) is unreachable."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return url
    if not host:
        return url or "(aucune adresse)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        name = host.lower().rstrip(".")
        if name == "localhost" or "." not in name or name.endswith(_LOCAL_SUFFIXES):
            return host
        return None
    if (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    ):
        return host
    return None


def qr_warning(url: str, configured: bool) -> str | None:
    """The French warning the presenter sees when the QR code would encode an address the room cannot open."""
    host = unreachable_host(url)
    if host is None:
        return None
    where = (
        "l'adresse publique configurée"
        if configured
        else "l'adresse de votre navigateur (aucune adresse publique n'est configurée)"
    )
    return (
        f"Le code QR de la page de titre pointe vers « {host} », {where} : les téléphones de la salle ne "
        f"pourront pas l'ouvrir. Indiquez l'adresse publique du tableau de bord ({SETTING}), puis "
        "rechargez la page. Le fichier PPTX porte le même code QR."
    )
