"""Sign-ins that no longer give the right to write: a server-side list of sign-outs, and a maximum age.

Streamlit keeps an editor's identity in a signed cookie (`_streamlit_user`, valid 30 days) and gives each
websocket session the claims it read from it when it connected. « Se déconnecter » only deletes the cookie of the
browser that clicked: another tab keeps its session's claims, and a copy of the cookie keeps opening signed-in
sessions. So the server remembers what was signed out:

- a sign-in is identified by its `fingerprint` — the identity token's issuer, subject, audience, issue time,
  authentication time and nonce, and the e-mail address: the same for every tab and every copy of the cookie of
  ONE sign-in, different for the next sign-in and for two people who signed in in the same second;
- « Se déconnecter » adds that fingerprint to `deconnexions.json` in the store folder (shared by every replica and
  the command line; written atomically under its own `flock`), with the date after which it is too old anyway
  (then it is dropped from the list);
- before showing the import space, and again at « Publier » / « Confirmer l'annulation » (`refusal`), the claims
  are checked: signed out → refused; signed in more than `max_age` seconds ago (`[observatoire]
  connexion_max_heures`, 8 h by default) → refused, « reconnectez-vous ».

Pure: no Streamlit import. Only fingerprints (SHA-256) and dates are written, never a claim.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

FILE = "deconnexions.json"
LOCK = "deconnexions.lock"
IDENTITY_CLAIMS = ("iss", "sub", "aud", "iat", "auth_time", "nonce", "email")
KEEP_WITHOUT_DATE = 31 * 24 * 3600  # a sign-in without a date: as long as Streamlit's cookie lives (30 days)


def fingerprint(claims: Mapping) -> str:
    """The same for every copy of one sign-in's cookie (and every tab that read it), new at the next sign-in."""
    identity = {key: claims.get(key) for key in IDENTITY_CLAIMS}
    if not any(identity.values()):  # no identity token claims at all: the whole set of claims stands for it
        identity = {key: value for key, value in claims.items() if key not in ("is_logged_in", "tokens")}
    text = json.dumps(identity, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def signed_in_at(claims: Mapping) -> float | None:
    """When this sign-in happened (Unix time): `auth_time`, else the identity token's `iat`; None if neither."""
    for key in ("auth_time", "iat"):
        value = claims.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            return float(value.strip())
    return None


class UnreadableError(OSError):
    """The list of sign-outs exists but cannot be read."""


class SignOuts:
    """The sign-outs recorded in one store folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / FILE

    def _read(self) -> dict[str, float]:
        """Fingerprint → date after which the entry may be dropped. `UnreadableError` when the file exists but
        cannot be read: the callers then refuse every write (fail closed) rather than forget a sign-out."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise UnreadableError(str(self.path)) from err
        entries = data.get("revoquees") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise UnreadableError(str(self.path))
        return {k: float(v) for k, v in entries.items() if isinstance(k, str) and isinstance(v, int | float)}

    def is_signed_out(self, claims: Mapping) -> bool:
        return fingerprint(claims) in self._read()

    def sign_out(self, claims: Mapping, max_age: float, now: float | None = None) -> None:
        """Record that this sign-in is over, for every tab and every copy of its cookie. Entries past their date
        (the sign-in would be refused as too old anyway) are dropped at the same time."""
        now = time.time() if now is None else now
        start = signed_in_at(claims)
        until = (start + max_age) if start is not None else now + KEEP_WITHOUT_DATE
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released when the file is closed
            try:
                kept = self._read()
            except UnreadableError:  # rewritten with this sign-out: the unreadable list is kept aside
                log.error("Liste des déconnexions illisible (%s) : mise de côté et recommencée", self.path)
                with suppress(OSError):
                    os.replace(self.path, self.path.with_name(f"{FILE}.illisible-{int(now)}"))
                kept = {}
            entries = {k: v for k, v in kept.items() if v > now}
            entries[fingerprint(claims)] = max(until, now + 60.0)
            tmp = self.path.with_name(f"{FILE}.tmp-{os.getpid()}")
            try:
                with tmp.open("w", encoding="utf-8") as handle:
                    json.dump({"revoquees": entries}, handle, sort_keys=True)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            finally:
                with suppress(FileNotFoundError):
                    tmp.unlink()


def refusal(claims: Mapping, sign_outs: SignOuts, max_age: float, now: float | None = None) -> str | None:
    """Why these claims may not write any more (French), or None when they may."""
    now = time.time() if now is None else now
    try:
        signed_out = sign_outs.is_signed_out(claims)
    except UnreadableError:
        log.error("Liste des déconnexions illisible : %s", sign_outs.path)
        return (
            "La liste des déconnexions du serveur est illisible : l'import est suspendu par sécurité. "
            "Prévenez l'administrateur du serveur."
        )
    if signed_out:
        return (
            "Vous vous êtes déconnecté(e) (dans cet onglet, un autre onglet ou un autre navigateur) : "
            "reconnectez-vous pour importer des données."
        )
    start = signed_in_at(claims)
    hours = _hours(max_age)
    if start is None:
        return (
            "Votre connexion ne dit pas quand elle a été ouverte : reconnectez-vous pour importer des données "
            f"(une connexion de moins de {hours} est demandée)."
        )
    if now - start > max_age:
        return (
            f"Votre connexion date de plus de {hours} : reconnectez-vous pour importer des données "
            "(sécurité : une publication demande une connexion récente)."
        )
    return None


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    text = f"{hours:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} h"
