"""Numbers read from a URL (`?version=12`, `?diapo=3`): ASCII digits only, bounded (pure: no Streamlit).

`str.isdigit()` is true for « ² », « ¹ » or « ٣ » that `int()` then refuses or reads as another number, and a
5 000-digit string makes `int()` raise (Python's limit on integer string conversion): each gave « erreur
inattendue » instead of the usual French notice. `positive_int` accepts `0`–`9` only, at most `MAX_DIGITS` of
them, and a value in [1, maximum].

`departement` reads a département code (`dep=2A`, `dep=971`): the official codes only (`departements`), in the
académie's list, written in any case (`2a`) or without the leading zero (`dep=1`)."""

from __future__ import annotations

import re
from collections.abc import Collection

from observatoire import departements

MAX_DIGITS = 9
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def positive_int(raw: object, maximum: int | None = None) -> int | None:
    """The number written in `raw` (surrounding spaces allowed) when it is 1 to `maximum`; None otherwise."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    if value < 1 or (maximum is not None and value > maximum):
        return None
    return value


def departement(raw: object, allowed: Collection[str]) -> str | None:
    """The département code written in `raw` when it is one of `allowed`; None otherwise."""
    code = departements.normalize(raw) if isinstance(raw, str) and len(raw) <= 10 else None
    return code if code is not None and code in allowed else None
