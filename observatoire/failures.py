"""Failures of the machine rather than of the data, recognised wherever they surface (pure: no Streamlit).

A full disk reaches us in several shapes: `OSError` with `errno.ENOSPC` (or `EDQUOT`, a quota) from Python's own
file calls (`shutil.copyfile`, `open`, `os.fsync`), or a `duckdb.IOException` whose message carries the system's
English text (« No space left on device ») when DuckDB writes the version file. `disk_full(exc)` recognises both,
through the chain of causes, so that the page and the command line can say « disque plein » in French instead of
« erreur inattendue »."""

from __future__ import annotations

import errno

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded", "not enough space on the disk")

DISK_FULL_MESSAGE = (
    "Le disque du serveur est plein : l'opération n'a pas pu se faire et rien n'a été modifié. "
    "Prévenez l'administrateur du serveur (de la place est à libérer), puis réessayez."
)
"""What a user is told when a write fails for lack of space (the page; the CLI names the folder too)."""


def disk_full(exc: BaseException | None) -> bool:
    """True when `exc`, or one of its causes / contexts, says that the disk (or the user's quota) is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and len(seen) < 20:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        text = str(exc).lower()
        if any(marker in text for marker in _DISK_FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
