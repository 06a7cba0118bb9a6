"""Plotly figures of the dashboard: pure builders (DataFrame → `go.Figure`, unit-tested); the Streamlit
wrapper is `components.charts.render_figure`.

Conventions shared by every figure
- French everywhere: hover texts are pre-formatted with `observatoire.figures.formatting` (babel `fr_FR`), axis
  ticks use `layout.separators = formatting.PLOTLY_SEPARATORS` (decimal comma, no-break space for thousands).
- No title inside the figure (the page puts an `st.subheader` above it); the y (or x) axis title is the unit.
- Colour-blind-safe qualitative palette (Okabe-Ito), doubled by marker symbols and, past 8 groups, by dash
  styles, so that lines stay distinguishable without colour.
- Missing values are never drawn as 0: they are left out of the traces and said in text (« pas de donnée »,
  « n. d. »).
- Sized for a projector: large fonts, thick lines.
- Plotly renders a subset of HTML in its texts (`<a href>`, `<br>`, `<b>`, `<span style>`…): every text that
  comes from data (group names, units, hover texts, category labels) is HTML-escaped
  (`observatoire.text.escape_html`); Plotly decodes the entities, so `&lt;` reads `<`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from observatoire import config, small_counts
from observatoire.figures import formatting
from observatoire.figures.theme import THEME
from observatoire.text import escape_html, plain, short_list

# Okabe-Ito (Okabe & Ito 2008, "Color Universal Design"), yellow last: weakest contrast on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "star", "hexagon", "cross")
DASHES = ("solid", "dash", "dot")
POSITIVE = "#0072B2"  # blue / vermillion: the diverging pair of Okabe-Ito
NEGATIVE = "#D55E00"
HIGHLIGHT = "#0072B2"
MUTED = "#A6BDD7"
TEXT_GREY = "#3A3A3A"
INK = THEME.ink
MAX_GROUPS = 8
NOT_AVAILABLE = "n. d."
NO_DATA = "pas de donnée"
FONT_SIZE = 16

# Plotly's own French locale (modebar « Télécharger le graphique en fichier PNG », « Réinitialiser les axes »,
# month names…), vendored by scripts/vendor_assets.sh and read once per process. `locale` alone is not enough:
# Streamlit's Plotly bundle registers no locale, so the dictionary is passed in `locales`.
PLOTLY_LOCALE_PATH = config.PROJECT_ROOT / "static/vendor/plotly.js-locales-3.7.0/fr.json"
PLOTLY_LOCALE = json.loads(PLOTLY_LOCALE_PATH.read_text(encoding="utf-8"))

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "locale": "fr",
    "locales": {"fr": PLOTLY_LOCALE},
    # no camera button: its image would have no title, filters, source nor « Données illustratives » badge and a
    # fixed name; the page's « Télécharger l'image (PNG) » (components.common.render_png_download) has them all
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "autoScale2d",
        "zoomIn2d",
        "zoomOut2d",
        "toImage",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
}

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------------------------- helpers


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def value_text(value: float | None, unit: str = "", mask: small_counts.Policy | None = None) -> str:
    """Short value label (bars): `12 345`, `85,3 %`; missing → « pas de donnée »; a small count of people
    → `< 5` when `mask` is given (`small_counts.for_level`)."""
    if _missing(value):
        return NO_DATA
    if mask is not None and mask.is_small(value):
        return mask.label
    return formatting.percent(value) if unit == "%" else formatting.number(value)


def value_with_unit(value: float | None, unit: str, mask: small_counts.Policy | None = None) -> str:
    """Hover value: `12 345 visites`, `85,3 %`; missing → « pas de donnée »; `< 5 élèves` (see `value_text`)."""
    if _missing(value):
        return NO_DATA
    if mask is not None and mask.is_small(value):
        return f"{mask.label} {unit}".strip()
    return formatting.with_unit(value, unit) if unit else formatting.number(value)


def evolution_text(value: float | None) -> str:
    """`+12,5 %`, `−3,0 %`; NaN (no value or a zero start) → « n. d. »."""
    return NOT_AVAILABLE if _missing(value) else formatting.percent(value, decimals=1, signed=True)


def style(index: int, total: int) -> dict[str, object]:
    """Colour, marker symbol and dash of the `index`-th group (dashes only past the 8 colours)."""
    return {
        "color": PALETTE[index % len(PALETTE)],
        "symbol": SYMBOLS[index % len(SYMBOLS)],
        "dash": DASHES[(index // len(PALETTE)) % len(DASHES)] if total > len(PALETTE) else "solid",
    }


def school_year_of(period: str) -> str:
    """`2024-01` → `2023-2024`; `2023-09` → `2023-2024`; a school year is returned as is."""
    match = _MONTH.match(period)
    if not match:
        return period
    year, month = int(match.group(1)), int(match.group(2))
    start = year if month >= 9 else year - 1
    return f"{start}-{start + 1}"


def school_months() -> list[str]:
    """Short French month names on a September → August axis."""
    return [formatting.MONTHS_SHORT[m - 1] for m in formatting.SCHOOL_MONTH_ORDER]


def group_order(frame: pd.DataFrame) -> list[str]:
    """Groups ordered by their value at the latest period, highest first (legend order = line order)."""
    if frame.empty:
        return []
    latest = frame.dropna(subset=["valeur"]).sort_values("periode").groupby("groupe", sort=False)["valeur"].last()
    groups = list(dict.fromkeys(frame["groupe"]))
    return sorted(groups, key=lambda g: (_missing(latest.get(g)), -(latest.get(g) or 0), str(g)))


def top_groups(frame: pd.DataFrame, n: int = MAX_GROUPS) -> tuple[pd.DataFrame, list[str]]:
    """The `n` groups with the highest latest value, and the French names of the others (not drawn)."""
    order = group_order(frame)
    if len(order) <= n:
        return frame, []
    kept = set(order[:n])
    names = frame.drop_duplicates("groupe").set_index("groupe")["libelle"]
    others = [str(names.get(g, g)) for g in order[n:]]
    return frame[frame["groupe"].isin(kept)], others


def _base_layout(height: int, **extra: object) -> dict[str, object]:
    layout: dict[str, object] = {
        "separators": formatting.PLOTLY_SEPARATORS,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 44, "b": 10},  # room for the mode bar above the plot
        "font": {"size": FONT_SIZE, "color": INK},
        "hoverlabel": {"font": {"size": FONT_SIZE}},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
    }
    layout.update(extra)
    return layout


def _value_axis(unit: str, **extra: object) -> dict[str, object]:
    axis: dict[str, object] = {
        "title": {"text": escape_html(unit), "font": {"size": FONT_SIZE, "color": TEXT_GREY}},
        "rangemode": "tozero",
        "separatethousands": True,
        "exponentformat": "none",
        "gridcolor": "#DDDDDD",
        "zerolinecolor": "#888888",
        "tickfont": {"size": FONT_SIZE - 1, "color": TEXT_GREY},
    }
    if unit == "%":
        axis["ticksuffix"] = "\u00a0%"
    axis.update(extra)
    return axis


def _bargap(count: int) -> float:
    """Thinner bars when there are few of them (three giant bars read as a wall on a projector)."""
    return 0.25 if count > 6 else 0.5


def _legend(show: bool) -> dict[str, object]:
    return {
        "showlegend": show,
        "legend": {
            "font": {"size": FONT_SIZE, "color": INK},
            "orientation": "v",
            "x": 1.01,
            "y": 1,
            "xanchor": "left",
            "yanchor": "top",
            "itemclick": "toggle",
            "title": {"text": ""},
        },
    }


# -------------------------------------------------------------------------------------------- builders


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """Rows as plain tuples (pandas-free loops: building figures must stay cheap on every rerun)."""
    return list(zip(*(frame[c].tolist() for c in columns)))


def line_figure(
    frame: pd.DataFrame,
    unit: str,
    *,
    height: int = 480,
    periods: Sequence[str] | None = None,
    mask: small_counts.Policy | None = None,
) -> go.Figure:
    """One line (with markers) per group over school years (columns periode, groupe, libelle, valeur).

    x is categorical in school-year order; legend = French names (`libelle`) ordered like the lines at the
    latest period; hover `2023-2024 — Moselle : 12 345 visites`. Missing values are gaps, never zeros.
    `mask`: small counts of people (bassins, labs) read `< 5` in the hover texts.
    """
    frame = frame.dropna(subset=["valeur"])
    categories = list(periods) if periods else sorted(frame["periode"].unique())
    position = {p: i for i, p in enumerate(categories)}
    points: dict[object, list[tuple[int, str, float]]] = {}
    names: dict[object, str] = {}
    for period, group, name, value in _records(frame, ["periode", "groupe", "libelle", "valeur"]):
        if period in position:
            points.setdefault(group, []).append((position[period], period, float(value)))
            names.setdefault(group, str(name) or str(group))
    order = [g for g in group_order(frame) if g in points]
    traces = []
    for index, group in enumerate(order):
        rows = sorted(points[group])
        name = escape_html(names[group])
        look = style(index, len(order))
        traces.append(
            {
                "type": "scatter",
                "name": name,
                "mode": "lines+markers",
                "x": [formatting.period_label(p) for _, p, _ in rows],
                "y": [v for _, _, v in rows],
                "line": {"color": look["color"], "width": 3, "dash": look["dash"]},
                "marker": {"size": 10, "symbol": look["symbol"], "color": look["color"]},
                "hovertext": [
                    f"{formatting.period_label(p)} — {name} : {escape_html(value_with_unit(v, unit, mask))}"
                    for _, p, v in rows
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    layout = _base_layout(
        height,
        xaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [formatting.period_label(p) for p in categories],
            "tickfont": {"size": FONT_SIZE, "color": INK},
            "title": {"text": ""},
        },
        yaxis=_value_axis(unit),
        hovermode="closest",
        **_legend(len(order) > 1),
    )
    return go.Figure(data=traces, layout=layout)


def monthly_figure(
    frame: pd.DataFrame, unit: str, *, height: int = 460, mask: small_counts.Policy | None = None
) -> go.Figure:
    """One line per school year over September → August (columns periode `YYYY-MM`, valeur; one group).

    Hover `janvier 2024 (2023-2024) : 5 123 456 visites`. The latest school year is drawn thicker.
    """
    months = school_months()
    by_year: dict[str, list[tuple[int, str, float]]] = {}
    for period, value in _records(frame.dropna(subset=["valeur"]), ["periode", "valeur"]):
        if _MONTH.match(str(period)):
            by_year.setdefault(school_year_of(period), []).append(
                (formatting.school_month_position(period), period, float(value))
            )
    years = sorted(by_year)
    traces = []
    for index, year in enumerate(years):
        rows = sorted(by_year[year])
        look = style(index, len(years))
        latest = index == len(years) - 1
        traces.append(
            {
                "type": "scatter",
                "name": year,
                "mode": "lines+markers",
                "x": [months[pos] for pos, _, _ in rows],
                "y": [v for _, _, v in rows],
                "line": {"color": look["color"], "width": 4 if latest else 2.5, "dash": look["dash"]},
                "marker": {"size": 9, "symbol": look["symbol"], "color": look["color"]},
                "hovertext": [
                    f"{formatting.month_label(p)} ({year}) : {escape_html(value_with_unit(v, unit, mask))}"
                    for _, p, v in rows
                ],
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    layout = _base_layout(
        height,
        xaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": months,
            "tickfont": {"size": FONT_SIZE, "color": INK},
            "title": {"text": ""},
        },
        yaxis=_value_axis(unit),
        hovermode="closest",
        **_legend(True),
    )
    return go.Figure(data=traces, layout=layout)


def ranking_figure(frame: pd.DataFrame, unit: str, mask: small_counts.Policy | None = None) -> go.Figure:
    """Horizontal bars of the bassins, highest on top (columns code, nom, valeur, optional selectionne).

    Bassins without a value get no bar: their name stays on the axis with « pas de donnée » beside it.
    When some bassins are selected (`selectionne`), the others are drawn in a muted colour. `mask`: small
    counts of people read `< 5` in the labels and hover texts.
    """
    frame = frame.copy()
    if "selectionne" not in frame:
        frame["selectionne"] = True
    drawn = frame[frame["valeur"].notna()].sort_values(["valeur", "nom"], ascending=[True, False])
    missing = frame[frame["valeur"].isna()].sort_values("nom", ascending=False)
    some_selected = not bool(frame["selectionne"].all())
    colours = [HIGHLIGHT if (sel or not some_selected) else MUTED for sel in drawn["selectionne"]]
    names = [escape_html(n) for n in drawn["nom"]]
    values = [float(v) for v in drawn["valeur"]]
    rank = drawn["rang"] if "rang" in drawn else pd.Series([None] * len(drawn), index=drawn.index)
    total = len(drawn)
    hover = []
    for name, value, r, dep in zip(names, values, rank, drawn.get("departement", [""] * total)):
        where = f" ({escape_html(dep)})" if dep else ""
        place = f" — {formatting.rank_label(int(r), total)}" if not _missing(r) else ""
        hover.append(f"{name}{where} : {escape_html(value_with_unit(value, unit, mask))}{place}")
    bar = dict(
        type="bar",
        x=values,
        y=names,
        orientation="h",
        marker={"color": colours},
        text=[value_text(v, unit, mask) for v in values],
        textposition="outside",
        cliponaxis=False,
        textfont={"size": FONT_SIZE, "color": INK},
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        name="",
    )
    categories = [escape_html(n) for n in missing["nom"]] + names
    top = max(values) if values else 1.0
    annotations = [
        {
            "x": 0,
            "y": escape_html(n),
            "xref": "x",
            "yref": "y",
            "text": NO_DATA,
            "showarrow": False,
            "xanchor": "left",
            "xshift": 6,
            "font": {"size": FONT_SIZE - 1, "color": TEXT_GREY},
        }
        for n in missing["nom"]
    ]
    return go.Figure(
        data=[bar],
        layout=_base_layout(
            max(300, 36 * len(categories) + 104),
            xaxis=_value_axis(unit, range=[0, top * 1.18 if top > 0 else 1], side="top"),
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": categories,
                "tickfont": {"size": FONT_SIZE, "color": INK},
                "automargin": True,
                "title": {"text": ""},
            },
            annotations=annotations,
            showlegend=False,
            bargap=_bargap(len(categories)),
        ),
    )


def evolution_figure(frame: pd.DataFrame, unit: str = "", mask: small_counts.Policy | None = None) -> go.Figure:
    """Diverging horizontal bars of `evolution_pct` per group (columns libelle, valeur_a, valeur_b,
    evolution_pct): increases in blue, decreases in vermillion, labels `+12,5 %`; NaN → « n. d. », no bar."""
    drawn = frame[frame["evolution_pct"].notna()].sort_values(
        ["evolution_pct", "libelle"], ascending=[True, False]
    )
    missing = frame[frame["evolution_pct"].isna()].sort_values("libelle", ascending=False)
    names = [escape_html(n) for n in drawn["libelle"]]
    values = [float(v) for v in drawn["evolution_pct"]]
    hover = [
        f"{n} : {evolution_text(v)} ({escape_html(value_with_unit(a, unit, mask))} → "
        f"{escape_html(value_with_unit(b, unit, mask))})"
        for n, v, a, b in zip(names, values, drawn["valeur_a"], drawn["valeur_b"])
    ]
    bar = dict(
        type="bar",
        x=values,
        y=names,
        orientation="h",
        marker={"color": [POSITIVE if v >= 0 else NEGATIVE for v in values]},
        text=[evolution_text(v) for v in values],
        textposition="outside",
        cliponaxis=False,
        textfont={"size": FONT_SIZE, "color": INK},
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        name="",
    )
    categories = [escape_html(n) for n in missing["libelle"]] + names
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = max(high - low, 10.0)  # at least 10 points wide: a flat evolution stays a flat evolution
    pad = span * 0.22
    annotations = [
        {
            "x": 0,
            "y": escape_html(n),
            "xref": "x",
            "yref": "y",
            "text": NOT_AVAILABLE,
            "showarrow": False,
            "xanchor": "left",
            "xshift": 6,
            "font": {"size": FONT_SIZE - 1, "color": TEXT_GREY},
        }
        for n in missing["libelle"]
    ]
    return go.Figure(
        data=[bar],
        layout=_base_layout(
            max(300, 36 * len(categories) + 104),
            xaxis=_value_axis(
                "Évolution (%)",
                ticksuffix="\u00a0%",
                rangemode="normal",
                zeroline=True,
                zerolinewidth=2,
                zerolinecolor="#161616",
                range=[low - (pad if low < 0 else 0.25 * pad), high + (pad if high > 0 else 0.25 * pad)],
                side="top",
            ),
            yaxis={
                "type": "category",
                "categoryorder": "array",
                "categoryarray": categories,
                "tickfont": {"size": FONT_SIZE, "color": INK},
                "automargin": True,
                "title": {"text": ""},
            },
            annotations=annotations,
            showlegend=False,
            bargap=_bargap(len(categories)),
        ),
    )


# --------------------------------------------------------------------------------------------- tables

_YES_NO = {True: "oui", False: "non"}


SECRET = "secret statistique"


def mask_evolution(frame: pd.DataFrame, mask: small_counts.Policy | None) -> pd.DataFrame:
    """`evolution` data whose change is withheld (NaN, column `secret`) where either value is a small count
    of people: the change and one exact value would tell the other."""
    if mask is None or frame.empty:
        return frame
    secret = frame["valeur_a"].map(mask.is_small) | frame["valeur_b"].map(mask.is_small)
    return frame.assign(evolution_pct=frame["evolution_pct"].where(~secret), secret=secret)


def display_table(
    frame: pd.DataFrame,
    kind: str,
    unit: str,
    *,
    group: str = "Groupe",
    year_a: str | None = None,
    year_b: str | None = None,
    mask: small_counts.Policy | None = None,
) -> pd.DataFrame:
    """The data behind a chart with French headers (values stay numeric for the CSV / XLSX files, except
    the small counts of people shown `< 5` when `mask` is given: `small_counts.for_level`).

    kind: `series` (periode, libelle, valeur…), `monthly` (periode `YYYY-MM`, valeur…), `ranking`
    (values_by_bassin) or `evolution` (evolution). `group` names the breakdown column (e.g. « Département »).
    """
    value = f"Valeur ({unit})" if unit else "Valeur"
    flags = ("illustratif", "Données illustratives")
    if kind == "series":
        out = pd.DataFrame(
            {
                "Année scolaire": frame["periode"].map(formatting.period_label),
                group: frame["libelle"].map(plain),
                value: frame["valeur"].astype(float),
            }
        )
    elif kind == "monthly":
        out = pd.DataFrame(
            {
                "Année scolaire": frame["periode"].map(school_year_of),
                "Mois": frame["periode"].map(formatting.month_label),
                value: frame["valeur"].astype(float),
            }
        )
    elif kind == "ranking":
        out = pd.DataFrame(
            {
                "Rang": frame["rang"].astype("Int64"),
                "Bassin": frame["nom"].map(plain),
                "Département": frame["departement"],
                value: frame["valeur"].astype(float),
                "Remarque": frame["valeur"].map(lambda v: NO_DATA if _missing(v) else ""),
            }
        )
    elif kind == "evolution":
        out = pd.DataFrame(
            {
                group: frame["libelle"].map(plain),
                f"{year_a or 'Année de départ'} ({unit})" if unit else (year_a or "Année de départ"): frame[
                    "valeur_a"
                ].astype(float),
                f"{year_b or 'Année d’arrivée'} ({unit})" if unit else (year_b or "Année d’arrivée"): frame[
                    "valeur_b"
                ].astype(float),
                "Évolution (%)": frame["evolution_pct"].astype(float).round(2),
                "Remarque": frame["evolution_pct"].map(
                    lambda v: f"{NOT_AVAILABLE} (valeur de départ absente ou nulle)" if _missing(v) else ""
                ),
            }
        )
    else:
        raise ValueError(f"Type de tableau inconnu : {kind}")
    if flags[0] in frame:
        out[flags[1]] = frame[flags[0]].fillna(False).astype(bool).map(_YES_NO)
    if "sources" in frame:
        # the row's sources as a short label (each cut, a dozen at most): never a text of any length per row
        out["Source"] = frame["sources"].fillna("").astype(str).map(lambda s: short_list(s.split(" | ")))
    if kind == "evolution" and "secret" in frame:
        out["Remarque"] = out["Remarque"].where(
            ~frame["secret"].fillna(False).astype(bool).to_numpy(), f"{NOT_AVAILABLE} ({SECRET})"
        )
    if kind == "ranking":
        out = out.sort_values(["Rang", "Bassin"], na_position="last")
    out = out.reset_index(drop=True)
    if mask is not None:
        for column in [c for c in out.columns if c.startswith(("Valeur", year_a or "\0", year_b or "\0"))]:
            out = small_counts.mask_column(out, column, mask)
    return out
