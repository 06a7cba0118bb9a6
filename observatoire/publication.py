"""Publishing the « instantané de séance » behind the QR code: a static HTML file the web server hands out.

150 people scan the title slide's QR code within half a minute: each should cost the server a static file
request, not a run of the dashboard's script. Streamlit serves the app's `static/` folder
(`server.enableStaticServing`) at `/app/static/…` with real content types and without running any script, so an
instantané is written to `static/instantanes/<token>.html` (git-ignored) and served at
`/app/static/instantanes/<token>.html`.

- **Address**: stable per séance and unguessable. The token is an HMAC-SHA256 (128 bits kept, hexadecimal) of
  the séance's key — data version, filters and the presenter's other choices, canonical — with a secret kept in
  the store folder (`instantanes.cle`, 0600, made once, shared by every replica that shares the store). The same
  séance always gets the same address (the QR code on a printed or mailed deck stays valid when the presenter
  publishes again), every replica computes it without asking the others, and nobody can guess another séance's
  address from the filters. The secret never lives in the served folder.
- **Writing**: to a hidden temporary file in the same folder, flushed to disk, then renamed over the old one
  (`os.replace`): a reader gets the old or the new file, never half of one. Readable by the server (0644).
- **Cleaning**, at each publication: instantanés older than `max_age_days` (30, `OBSERVATOIRE_INSTANTANES_JOURS`)
  are removed, then all but the `keep` most recent (100, `OBSERVATOIRE_INSTANTANES_MAX`), and temporary files
  left by a killed process.
- **Several replicas**: they run from the same application folder, so they serve the same `static/instantanes/`
  (deploy/README.md: on several hosts, mount one shared folder there — a bind mount, not a symlink: Streamlit
  refuses a static file whose real path leaves `static/`).

No Streamlit here: the page (`components/instantane.py`), the CLI and the benchmark call the same functions.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from observatoire import config

FOLDER = config.PROJECT_ROOT / "static" / "instantanes"  # served at URL_PREFIX (Streamlit static serving)
URL_PREFIX = "/app/static/instantanes/"
SECRET_NAME = "instantanes.cle"  # in the store folder, never in the served one
SUFFIX = ".html"
TEMP_PREFIX = ".en-cours-"
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
KEEP_ENV_VAR = "OBSERVATOIRE_INSTANTANES_MAX"
AGE_ENV_VAR = "OBSERVATOIRE_INSTANTANES_JOURS"
DEFAULT_KEEP = 100
DEFAULT_MAX_AGE_DAYS = 30
TEMP_MAX_AGE_S = 3600


class PublicationError(OSError):
    """The instantané could not be written (French message)."""


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


_REASONS = {
    errno.ENOSPC: "le disque du serveur est plein",
    errno.EDQUOT: "le quota du disque du serveur est atteint",
    errno.EACCES: "le serveur n'a pas le droit d'écrire dans le dossier des instantanés",
    errno.EPERM: "le serveur n'a pas le droit d'écrire dans le dossier des instantanés",
    errno.EROFS: "le dossier des instantanés est en lecture seule",
    errno.ENOTDIR: "le chemin du dossier des instantanés n'est pas un dossier",
}


def reason(err: OSError) -> str:
    """Why a write failed, in French (the technical detail goes to the server's log)."""
    return _REASONS.get(err.errno or 0, "erreur d'écriture sur le serveur")


def kept() -> int:
    return _int_env(KEEP_ENV_VAR, DEFAULT_KEEP)


def max_age_days() -> int:
    return _int_env(AGE_ENV_VAR, DEFAULT_MAX_AGE_DAYS)


def folder() -> Path:
    """Where instantanés are written (and served from): `static/instantanes/` of the application."""
    return FOLDER


def secret(store_root: Path) -> bytes:
    """The store's publication secret (32 random bytes), created on first use: written whole to a temporary file,
    then linked to its name (`os.link` fails when the name exists), so a reader never sees a half-written key and
    two replicas starting together end up with the same one."""
    path = Path(store_root) / SECRET_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX + "cle-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(32))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
        data = path.read_bytes()
    if len(data) < 16:  # empty or cut (a file of an older, non-atomic writer) is not a secret
        raise PublicationError(
            f"Clé de publication illisible ({path}) : supprimez ce fichier, une nouvelle clé "
            "sera créée (les adresses des instantanés déjà publiés changeront)."
        )
    return data


def seance_key(version: int, params: Mapping[str, str | Sequence[str]]) -> str:
    """The canonical key of a séance: the data version and the presenter's choices (the URL parameters of the
    view: filters, zoom bassin…), sorted; the same choices in any order give the same key."""
    pairs = []
    for name in sorted(params):
        value = params[name]
        values = [value] if isinstance(value, str) else list(value)
        pairs += [(name, v) for v in sorted(values) if v != ""]
    return urlencode([("version", str(version)), *pairs])


def token(key: str, store_root: Path) -> str:
    """The address token of the séance `key` (32 hexadecimal characters, 128 bits)."""
    return hmac.new(secret(store_root), key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def path_of(token_: str, where: Path | None = None) -> Path:
    if not TOKEN_RE.match(token_):
        raise ValueError(f"Jeton d'instantané invalide : « {token_[:40]} ».")
    return (where or folder()) / f"{token_}{SUFFIX}"


def address_path(token_: str) -> str:
    """`/app/static/instantanes/<token>.html` (to put after the dashboard's public base address)."""
    path_of(token_)  # validates the token
    return f"{URL_PREFIX}{token_}{SUFFIX}"


@dataclass(frozen=True)
class Seance:
    token: str
    url: str  # public address (base + path); a relative path when the base is unknown
    path: Path

    @property
    def published(self) -> bool:
        return self.path.is_file()


def seance(
    store_root: Path,
    version: int,
    params: Mapping[str, str | Sequence[str]],
    base_url: str,
    where: Path | None = None,
) -> Seance:
    """The séance of (version, params): its token, public address (`base_url` + path) and file."""
    value = token(seance_key(version, params), store_root)
    return Seance(value, base_url.rstrip("/") + address_path(value), path_of(value, where))


def publish(
    text: str,
    token_: str,
    where: Path | None = None,
    *,
    keep: int | None = None,
    max_age: float | None = None,
    now: float | None = None,
) -> Path:
    """Write the instantané `text` as `<token>.html` (atomically), then clean the folder. Returns the path."""
    target = path_of(token_, where)
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(text.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise PublicationError(
            f"Publication impossible : {reason(err)} (dossier des instantanés : "
            f"{directory.name}/, voir deploy/README.md)."
        ) from err
    os.utime(target)  # republished: the most recent (the cleaning keeps the most recent ones)
    clean(directory, keep=keep, max_age=max_age, now=now, spare=target)
    return target


def clean(
    where: Path | None = None,
    *,
    keep: int | None = None,
    max_age: float | None = None,
    now: float | None = None,
    spare: Path | None = None,
) -> list[Path]:
    """Remove the instantanés older than `max_age` seconds (default `max_age_days()`), then all but the `keep`
    most recent (default `kept()`), and temporary files older than an hour. `spare` is never removed (the one
    just published). Returns the removed files."""
    directory = where or folder()
    keep = kept() if keep is None else keep
    max_age = max_age_days() * 86400 if max_age is None else max_age
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(directory.iterdir())
    except FileNotFoundError:
        return removed
    published = []
    for entry in entries:
        try:
            modified = entry.stat().st_mtime
        except FileNotFoundError:
            continue
        if entry.name.startswith(TEMP_PREFIX):
            if now - modified > TEMP_MAX_AGE_S:
                removed.append(entry)
        elif entry.suffix == SUFFIX and TOKEN_RE.match(entry.stem):
            published.append((modified, entry))
    published.sort(reverse=True)
    for rank, (modified, entry) in enumerate(published):
        if entry != spare and (now - modified > max_age or rank >= keep):
            removed.append(entry)
    for entry in removed:
        entry.unlink(missing_ok=True)
    return removed
