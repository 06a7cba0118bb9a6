"""Sparkline of a KPI card as a small accessible SVG (pure: no Streamlit import, tested directly).

Streamlit's own `st.metric(chart_data=…)` sparkline is a Vega-Lite SVG whose mark groups carry
`role="graphics-symbol"` without a name (axe-core: `svg-img-alt`, serious) and has no text alternative. This one
is a single `<svg role="img">` whose `aria-label` and `<title>` say the whole trend in French
(« de 47,6 M en 2020-2021 à 64,5 M en 2023-2024 »), with the points drawn as a line and the last one marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from observatoire.figures import formatting
from observatoire.text import escape_html, plain

WIDTH = 240
HEIGHT = 44
PAD = 5
COLOR = "#000091"  # bleu France, the theme's primary colour
ILLUSTRATIVE_COLOR = "#9b4519"
"""The text colour of Streamlit's orange badge (measured in Chromium): curve and badge read as one thing;
6,9:1 on white."""


def _value_text(value: float, unit: str) -> str:
    if unit == "%":
        return formatting.percent(value)
    return formatting.compact(value)


def points(values: Sequence[float | None], periods: Sequence[str]) -> list[tuple[str, float]]:
    """(period, value) pairs with a finite value, in the given order."""
    out = []
    for period, value in zip(periods, values):
        if value is None:
            continue
        number = float(value)
        if math.isfinite(number):
            out.append((str(period), number))
    return out


def illustrative_periods(pts: Sequence[tuple[str, float]], illustrative: bool | Sequence[str]) -> list[str]:
    """The periods of `pts` that are illustrative (all of them for `True`)."""
    if isinstance(illustrative, bool):
        return [p for p, _ in pts] if illustrative else []
    chosen = {plain(y) for y in illustrative}
    return [p for p, _ in pts if p in chosen]


def alt_text(
    values: Sequence[float | None], periods: Sequence[str], unit: str, illustrative: bool | Sequence[str] = False
) -> str:
    """French text alternative: `Évolution : de 47,6 M en 2020-2021 (…) à 64,5 M en 2023-2024.` (plain text:
    escape it for the context it goes to). `illustrative`: True, or the periods whose value is illustrative
    (then named: `— valeurs illustratives : 2020-2021, 2021-2022.`)."""
    periods = [plain(p) for p in periods]
    pts = points(values, periods)
    if not pts:
        return "Évolution : aucune donnée."
    first, last = pts[0], pts[-1]
    if len(pts) == 1:
        text = f"Évolution : {_value_text(first[1], unit)} en {first[0]} (une seule année)"
    else:
        middle = ", ".join(f"{_value_text(v, unit)} en {p}" for p, v in pts[1:-1])
        text = (
            f"Évolution : de {_value_text(first[1], unit)} en {first[0]}"
            + (f" ({middle})" if middle else "")
            + f" à {_value_text(last[1], unit)} en {last[0]}"
        )
    years = illustrative_periods(pts, illustrative)
    if not years:
        return text + "."
    if len(years) == len(pts) or isinstance(illustrative, bool):
        return text + " — valeurs illustratives."
    plural = "s" if len(years) > 1 else ""
    return f"{text} — valeur{plural} illustrative{plural} : {', '.join(years)}."


def svg(
    values: Sequence[float | None], periods: Sequence[str], unit: str, illustrative: bool | Sequence[str] = False
) -> str:
    """The sparkline as an SVG string (empty string with fewer than two points: nothing to draw); dashed and
    orange as soon as one point is illustrative (`illustrative`: True or the illustrative periods)."""
    pts = points(values, periods)
    if len(pts) < 2:
        return ""
    numbers = [v for _, v in pts]
    low, high = min(numbers), max(numbers)
    span = high - low or 1.0
    step = (WIDTH - 2 * PAD) / (len(pts) - 1)
    coords = [
        (PAD + i * step, HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD)) for i, v in enumerate(numbers)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    text = alt_text(values, periods, unit, illustrative)
    flagged = illustrative_periods(pts, illustrative)
    dashed = bool(flagged)
    color = ILLUSTRATIVE_COLOR if dashed else COLOR
    # the last point keeps its own colour: a bilan value at the end of an illustrative curve stays blue
    dot = ILLUSTRATIVE_COLOR if pts[-1][0] in flagged else COLOR
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    label = escape_html(text)
    last_x, last_y = coords[-1]
    return (
        f'<svg class="kpi-sparkline" role="img" aria-label="{label}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" height="{HEIGHT}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{label}</title>"
        f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2.5" '
        f'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"{dash}/>'
        # the last point: a zero-length line with round caps stays a dot when the SVG is stretched
        f'<line x1="{last_x:.1f}" y1="{last_y:.1f}" x2="{last_x:.1f}" y2="{last_y:.1f}" stroke="{dot}" '
        'stroke-width="8" stroke-linecap="round" vector-effect="non-scaling-stroke"/>'
        "</svg>"
    )
