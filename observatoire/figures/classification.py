"""Classification of a choropleth (bassins coloured by an indicator), its palette and legend texts, and the
labs' theme styles: the same classes and colours on the Carte page, the overview map, the presentation's static
map and every export. Pure (no Streamlit)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from observatoire import small_counts
from observatoire.figures import formatting

METHODS = {"quantiles": "Quantiles", "intervalles": "Intervalles égaux", "jenks": "Seuils naturels (Jenks)"}


METHOD_PHRASES = {
    "quantiles": "quantiles",
    "intervalles": "intervalles égaux",
    "jenks": "seuils naturels de Jenks",
}


DEFAULT_METHOD = "quantiles"


CLASS_COUNTS = ("3", "4", "5", "6", "7")


DEFAULT_CLASSES = "5"


# ColorBrewer 2.0 sequential scheme « YlGnBu » (Cynthia A. Brewer, Pennsylvania State University; Apache-2.0),
# one list per number of classes, exactly as published by colorbrewer2.org where the scheme is flagged
# « colorblind safe » (and print/photocopy friendly) for 3 to 9 classes. Hard-coded: no network, no lookup.
# It goes from light yellow to dark blue, so it stays readable in grey levels and on a washed-out projector.
YLGNBU = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}


NO_DATA_LABEL = "pas de donnée"


NO_DATA_COLOR = "#d9d9d9"  # grey of the legend item; on the map the bassin is hatched (SVG pattern below)


# Labs: Font Awesome 6 icon (vendored) + awesome-markers colour per main theme (first of `thematiques`).
# The icon shape is the redundant cue (colour alone cannot separate ten themes for every reader); the colours
# avoid the blues/greens of the choropleth. MARKER_HEX: the colours of the awesome-markers sprite (measured).
THEME_STYLE = {
    "savoirs_fondamentaux": ("book-open", "red"),
    "sciences_numerique": ("flask", "purple"),
    "webmedias": ("microphone", "orange"),
    "cooperations_transfrontalieres": ("language", "darkred"),
    "programmation_ia": ("robot", "black"),
    "bien_etre_inclusion": ("heart", "darkgreen"),
    "orientation_metiers": ("compass", "gray"),
    "bon_usage_numerique": ("shield-halved", "darkpurple"),
    "parentalite": ("people-roof", "cadetblue"),
    "arts_patrimoine_culture": ("palette", "pink"),
}


DEFAULT_THEME_STYLE = ("circle", "lightgray")


MARKER_HEX = {
    "red": "#d63e2a",
    "darkred": "#a23336",
    "lightred": "#ff8e7f",
    "orange": "#f69730",
    "beige": "#ffcb92",
    "green": "#72b026",
    "darkgreen": "#728224",
    "lightgreen": "#bbf970",
    "blue": "#38aadd",
    "darkblue": "#0067a3",
    "lightblue": "#8adaff",
    "purple": "#d252b9",
    "darkpurple": "#5b396b",
    "pink": "#ff91ea",
    "cadetblue": "#436978",
    "white": "#fbfbfb",
    "gray": "#575757",
    "lightgray": "#a3a3a3",
    "black": "#303030",
}


_LIGHT_MARKERS = {"pink", "beige", "lightred", "lightgreen", "lightblue", "white", "lightgray"}


@dataclass(frozen=True)
class Classes:
    """Classes of a choropleth. Class i holds the values v with breaks[i-1] < v <= breaks[i]."""

    method: str
    breaks: tuple[float, ...]  # upper bound of each class, ascending (the last one is the maximum)
    lowers: tuple[float, ...]  # lower bound shown in the legend (the minimum for the first class)
    uppers: tuple[float, ...]  # upper bound shown in the legend
    bins: tuple[int | None, ...]  # class of each input value, None = pas de donnée
    colors: tuple[str, ...]
    integer: bool  # every value is a whole number: bounds shown as non-overlapping whole numbers
    mask: small_counts.Policy | None = None
    """Small counts of people (`small_counts.for_level(unit, "bassin")`): classes and colours use the exact
    values, every text (legend, tooltip, table, panel) shows `< 5` for them."""

    @property
    def k(self) -> int:
        return len(self.breaks)

    @property
    def has_missing(self) -> bool:
        return any(b is None for b in self.bins)

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(sum(1 for b in self.bins if b == i) for i in range(self.k))

    def color(self, index: int | None) -> str:
        return NO_DATA_COLOR if index is None else self.colors[index]


def palette(k: int) -> tuple[str, ...]:
    """k colours (1 ≤ k ≤ 7) of the sequential, colour-blind-safe YlGnBu scheme, light → dark."""
    if k <= 0:
        return ()
    if k == 1:
        return (YLGNBU[3][1],)
    if k == 2:
        return (YLGNBU[3][0], YLGNBU[3][2])
    return YLGNBU[min(k, 7)]


def _as_floats(values: Iterable[object]) -> np.ndarray:
    out = []
    for v in values:
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            f = math.nan
        out.append(f if math.isfinite(f) else math.nan)
    return np.array(out, dtype=float)


def _quantile_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """mapclassify.Quantiles' breaks: the k quantiles, computed as scipy's `scoreatpercentile` does (weights
    (j - idx, idx - i) normalised by their sum, bit for bit: numpy's own percentile rounds differently)."""
    data = np.sort(np.asarray(values, dtype=float))
    step = 100.0 / k
    pct = np.arange(step, 100 + step, step)
    pct[-1] = min(pct[-1], 100.0)
    scores = []
    for p in pct:
        index = p / 100.0 * (data.size - 1)
        low = int(index)
        if low == index:
            scores.append(data[low])
        else:
            weights = np.array([low + 1 - index, index - low], dtype=float)
            scores.append(np.add.reduce(data[low : low + 2] * weights) / weights.sum())
    return np.unique(np.asarray(scores, dtype=float))


def _equal_interval_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """mapclassify.EqualInterval's breaks: k intervals of equal width, the last one ending at the maximum."""
    low, high = float(values.min()), float(values.max())
    width = (high - low) / k
    cuts = np.arange(low + width, high + width, width)[:k]
    cuts[-1] = high
    return cuts


def _fisher_jenks_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """mapclassify.FisherJenks' breaks (exact Jenks optimisation): the same dynamic programme as
    mapclassify's `_fisher_jenks_means` (BSD-3), float32 sums included, so the breaks are identical."""
    data = np.sort(values).astype("f8")
    n = len(data)
    mat1 = np.zeros((n + 1, k + 1), dtype=np.int32)
    mat2 = np.zeros((n + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    v = np.float32(0)
    for last in range(2, n + 1):
        s1 = s2 = w = np.float32(0)
        for m in range(1, last + 1):
            i3 = last - m + 1
            val = np.float32(data[i3 - 1])
            s2 += val * val
            s1 += val
            w += np.float32(1)
            v = s2 - (s1 * s1) / w
            i4 = i3 - 1
            if i4 != 0:
                for j in range(2, k + 1):
                    if mat2[last, j] >= (v + mat2[i4, j - 1]):
                        mat1[last, j] = i3
                        mat2[last, j] = v + mat2[i4, j - 1]
        mat1[last, 1] = 1
        mat2[last, 1] = v
    breaks = np.zeros(k + 1, dtype=data.dtype)
    breaks[k] = data[n - 1]
    breaks[0] = data[0]
    row = n
    for count in range(k, 1, -1):
        pivot = mat1[row, count]
        breaks[count - 1] = data[int(pivot - 2)]
        row = int(pivot - 1)
    return np.delete(breaks, 0)


# The breaks of mapclassify's Quantiles, EqualInterval and FisherJenks (exact Jenks optimisation, deterministic),
# bit for bit, without importing mapclassify: it loads scipy and scikit-learn (≈ 75 MiB of the server's memory,
# 0,7 s of start-up) for three short functions (bench/memory.py).
_CLASSIFIERS = {
    "quantiles": _quantile_breaks,
    "intervalles": _equal_interval_breaks,
    "jenks": _fisher_jenks_breaks,
}


def classify(
    values: Iterable[object], method: str = DEFAULT_METHOD, k: int = 5, mask: small_counts.Policy | None = None
) -> Classes:
    """Classes of `values` (NaN/None → pas de donnée) with `method` (see METHODS) and at most `k` classes.
    `mask`: the values are small counts of people to show `< 5` (`Classes.mask`).

    Fewer distinct values than `k`: one class per value. Quantiles / Jenks classes left empty by ties are
    merged (their breaks coincide); equal intervals keep their empty classes (that is the method).
    """
    if method not in _CLASSIFIERS:
        raise ValueError(f"Méthode de classification inconnue : {method}")
    k = max(1, min(int(k), 7))
    arr = _as_floats(values)
    valid = arr[~np.isnan(arr)]
    if valid.size == 0:
        return Classes(method, (), (), (), tuple(None for _ in arr), (), True, mask)
    integer = bool(np.all(np.mod(valid, 1) == 0))
    distinct = np.unique(valid)
    if distinct.size <= k:
        breaks = distinct
    else:
        found = np.asarray(_CLASSIFIERS[method](valid, k), dtype=float)
        breaks = np.unique(found)
        breaks[-1] = max(breaks[-1], valid.max())
        if method != "intervalles":
            used = np.unique(np.searchsorted(breaks, valid, side="left").clip(0, breaks.size - 1))
            breaks = breaks[used]
    indices = np.searchsorted(breaks, valid, side="left").clip(0, breaks.size - 1)
    bins: list[int | None] = []
    it = iter(indices)
    for v in arr:
        bins.append(None if np.isnan(v) else int(next(it)))
    if distinct.size <= k:
        lowers, uppers = breaks.copy(), breaks.copy()
    elif integer:
        lowers = np.concatenate([[valid.min()], np.floor(breaks[:-1]) + 1])
        uppers = np.floor(breaks)
    else:
        lowers = np.concatenate([[valid.min()], breaks[:-1]])
        uppers = breaks
    return Classes(
        method,
        tuple(float(b) for b in breaks),
        tuple(float(v) for v in lowers),
        tuple(float(v) for v in uppers),
        tuple(bins),
        palette(breaks.size),
        integer,
        mask,
    )


def _decimals(classes: Classes) -> int:
    """Fewest decimals (0–3) that keep every legend bound distinct from the next one."""
    if classes.integer:
        return 0
    bounds = sorted(set(classes.lowers) | set(classes.uppers))
    start = 0 if max(abs(b) for b in bounds) >= 100 else 1
    for d in range(start, 4):
        texts = [formatting.number(b, d) for b in bounds]
        if len(set(texts)) == len(texts):
            return d
    return 3


_INVARIABLE = {"parcours", "%"}


def unit_for(value: float, unit: str) -> str:
    """French agreement of the unit: singular below 2 (« 0 laboratoire », « 1 demi-journée »)."""
    if unit in _INVARIABLE or not unit.endswith("s") or " " in unit or abs(float(value)) >= 2:
        return unit
    return unit[:-1]


def _with_unit(text: str, unit: str) -> str:
    if unit == "%":
        return f"{text}{formatting.NBSP}%"
    return f"{text} {unit}".strip()


def class_labels(classes: Classes, unit: str) -> list[str]:
    """French label of each class: `de 12 500 à 25 000 visites`, or `3 webradios` for a one-value class.

    With `classes.mask`, no bound tells a small count: a small lower bound reads 1 (the smallest masked
    count), a small upper bound the largest masked count (`de 1 à 4 personnes`), a class of small counts only
    `< 5 personnes`."""
    d = _decimals(classes)
    mask = classes.mask
    out = []
    for lo, hi in zip(classes.lowers, classes.uppers):
        if mask is not None and mask.is_small(lo) and mask.is_small(hi):
            out.append(_with_unit(mask.label, unit))
            continue
        if mask is not None and mask.is_small(lo):
            lo = 1.0
        if mask is not None and mask.is_small(hi):
            hi = float(math.ceil(mask.threshold) - 1)
        a, b = formatting.number(lo, d), formatting.number(hi, d)
        if a == b:
            out.append(_with_unit(a, unit_for(lo, unit)))
        elif unit == "%":
            out.append(f"de {_with_unit(a, unit)} à {_with_unit(b, unit)}")
        else:
            out.append(f"de {a} à {_with_unit(b, unit)}")
    return out


def legend_items(classes: Classes, unit: str) -> list[tuple[str, str]]:
    """(colour, French label) per class, light → dark, then « pas de donnée » when a value is missing."""
    items = list(zip(classes.colors, class_labels(classes, unit)))
    if classes.has_missing:
        items.append((NO_DATA_COLOR, NO_DATA_LABEL))
    return items


def format_value(value: object, unit: str, mask: small_counts.Policy | None = None) -> str:
    """`1 234 personnes`, `< 5 personnes` for a small count when `mask` is given, « pas de donnée »."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return NO_DATA_LABEL
    if mask is not None and mask.is_small(value):
        return _with_unit(mask.label, unit)
    return formatting.with_unit(float(value), unit_for(float(value), unit))  # type: ignore[arg-type]


def main_theme(thematiques: object) -> str:
    """First theme of a lab's `thematiques` (`a|b|c` → `a`)."""
    return str(thematiques or "").split("|")[0].strip()


def theme_style(theme: str) -> tuple[str, str]:
    return THEME_STYLE.get(theme, DEFAULT_THEME_STYLE)
