"""French département and commune codes (INSEE, code officiel géographique), in one place.

Départements: `01`–`19`, `2A`, `2B` (Corse), `21`–`95`, then the overseas départements `971`–`976`
(Guadeloupe, Martinique, Guyane, La Réunion, Saint-Pierre-et-Miquelon, Mayotte). A commune code has five
characters: the département's two (`54`, `2A`) and three digits, or an overseas département's three and two
digits (`97101`). Every reader of a code (schema, checks, URL, import, geography builder) uses these rules;
sorting follows the official order (`01` < `2A` < `2B` < `21` … < `95` < `971`), which a text sort does not
(`21` < `2A`). Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEPARTEMENT_RE = r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$"
COMMUNE_RE = r"^((0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])[0-9]{3}|97[1-6][0-9]{2})$"
DEPARTEMENT_HELP = "01 à 95, 2A ou 2B (Corse), 971 à 976 (outre-mer)"
DEPARTEMENT_MESSAGE = f"code de département invalide : {DEPARTEMENT_HELP} attendu (texte, zéro initial compris)"
COMMUNE_MESSAGE = (
    "code commune INSEE invalide : 5 caractères attendus, le département (01 à 95, 2A, 2B) puis "
    "3 chiffres, ou 971 à 976 puis 2 chiffres"
)
_DEPARTEMENT = re.compile(DEPARTEMENT_RE)
_COMMUNE = re.compile(COMMUNE_RE)
CORSE = {"2A": 20.1, "2B": 20.2}
"""Where Corsica's départements sort: after 19 and before 21 (they replaced 20 in 1976)."""


def is_departement(code: object) -> bool:
    return isinstance(code, str) and _DEPARTEMENT.fullmatch(code) is not None


def is_commune(code: object) -> bool:
    return isinstance(code, str) and _COMMUNE.fullmatch(code) is not None


def normalize(raw: object) -> str | None:
    """The département code written in `raw`, or None: spaces around, lower case (`2a`) and a lost leading zero
    (`1`, a number in a spreadsheet) are tolerated; `20`, `975`, `100` are not départements."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    text = str(raw).strip().upper()
    if len(text) == 1 and text.isascii() and text.isdigit():
        text = "0" + text
    return text if is_departement(text) else None


def of_commune(code: str) -> str:
    """Département of a commune code: `54395` → `54`, `2A004` → `2A`, `97101` → `971`."""
    return code[:3] if code.startswith("97") else code[:2]


def sort_key(code: str) -> tuple[float, str]:
    """Official order of département codes (`01` < `2A` < `2B` < `21` < … < `95` < `971`); an unknown text sorts
    last, by itself."""
    if code in CORSE:
        return CORSE[code], code
    return (float(code), code) if code.isascii() and code.isdigit() else (float("inf"), code)


def commune_sort_key(code: str) -> tuple[float, str]:
    """Official order of commune codes: by département (`sort_key`), then by code."""
    return sort_key(of_commune(code))[0], code


def ordered(codes: Iterable[str]) -> list[str]:
    """`codes` in the official order."""
    return sorted(codes, key=sort_key)


def sql_order(column: str) -> str:
    """DuckDB `ORDER BY` terms putting the département codes of `column` in the official order."""
    return (
        f"coalesce(try_cast({column} AS INTEGER), CASE {column} WHEN '2A' THEN 20 WHEN '2B' THEN 20 END, "
        f"1000000), {column}"
    )
