"""French formatting of numbers, percentages, periods (pure functions, babel `fr_FR`)."""

from __future__ import annotations

import math
import re

from babel.numbers import format_decimal

LOCALE = "fr_FR"
NBSP = "\u202f"  # narrow no-break space, the French thousands separator used by babel
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
SCHOOL_MONTH_ORDER = [9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]
PLOTLY_SEPARATORS = "," + "\u00a0"  # decimal comma, no-break space for thousands (plotly `layout.separators`)


def _missing(value: object) -> bool:
    """None or NaN (callers test `value is None` first as well: that narrows the type for mypy)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | int | None, decimals: int | None = None) -> str:
    """`64500000` → `64 500 000`; `12.5` → `12,5`. Integers-valued floats lose their decimals."""
    if value is None or _missing(value):
        return "—"
    value = float(value)
    if decimals is None:
        decimals = 0 if value.is_integer() or abs(value) >= 100 else 1
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(round(value, decimals), format=pattern, locale=LOCALE)


def percent(value: float | None, decimals: int = 1, signed: bool = False) -> str:
    """`12.5` → `12,5 %` (value already in percent). `signed=True` → `+12,5 %`."""
    if value is None or _missing(value):
        return "—"
    text = number(abs(value) if signed else value, decimals)
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else ""
    return f"{sign}{text}{NBSP}%"


def compact(value: float | None) -> str:
    """Short form for cards: `64 500 000` → `64,5 M`, `35 367` → `35 367`."""
    if value is None or _missing(value):
        return "—"
    if abs(value) >= 1_000_000:
        return f"{number(value / 1_000_000, 1)}{NBSP}M"
    return number(value)


def with_unit(value: float | None, unit: str) -> str:
    if unit == "%":
        return percent(value)
    return f"{number(value)} {unit}" if not _missing(value) else "—"


def month_label(period: str, short: bool = False) -> str:
    """`2024-01` → `janvier 2024` (or `janv. 2024`)."""
    match = re.match(r"^(\d{4})-(\d{2})$", period)
    if not match:
        return period
    names = MONTHS_SHORT if short else MONTHS
    return f"{names[int(match.group(2)) - 1]} {match.group(1)}"


def period_label(period: str) -> str:
    """School years stay `2023-2024`; months become French month names."""
    return month_label(period) if re.match(r"^\d{4}-(0[1-9]|1[0-2])$", period) else period


def school_month_position(period: str) -> int:
    """Position 0..11 of a month on a September → August school-year axis."""
    return SCHOOL_MONTH_ORDER.index(int(period[5:7]))


def rank_label(rank: int | None, total: int) -> str:
    if rank is None:
        return "—"
    suffix = "er" if rank == 1 else "e"
    return f"{rank}{suffix} sur {total}"


def exact(value: float | int | None) -> str:
    """Every significant digit, French: `74500000.5` → `74 500 000,5`, `12` → `12`; "" when missing (a table
    cell with no value: a new row has no old value)."""
    if _missing(value):
        return ""
    return format_decimal(float(value), format="#,##0.##########", locale=LOCALE)  # type: ignore[arg-type]
