"""Numbers read from a URL (`?version=12`, `?diapo=3`): ASCII digits only, bounded (pure: no Streamlit).

`str.isdigit()` is true for « ² », « ¹ » or « ٣ » that `int()` then refuses or reads as another number, and a
5 000-digit string makes `int()` raise (Python's limit on integer string conversion): each gave « erreur
inattendue » instead of the usual French notice. `positive_int` accepts `0`–`9` only, at most `MAX_DIGITS` of
them, and a value in [1, maximum]."""

from __future__ import annotations

import re

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
