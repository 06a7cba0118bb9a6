"""Texts around the Carte map, pure (no Streamlit): which bassin or lab a click on the map designates, the text
alternative of the map (one row per bassin) and the texts of the bassin panel (headline indicators vs the
académie, its labs). `components.maps` shows them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd
import shapely
import shapely.geometry

from observatoire import geo, small_counts
from observatoire.figures import formatting
from observatoire.figures.classification import NO_DATA_LABEL, Classes, class_labels, format_value, main_theme
from observatoire.figures.foliummap import missing, rank_text
from observatoire.text import escape_markdown, plain

# ------------------------------------------------------------------------------------------------- clicks


def click_position(value: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """(lat, lng) of the last object clicked in a `st_folium` return value, if any."""
    click = (value or {}).get("last_object_clicked")
    if not isinstance(click, Mapping):
        return None
    try:
        return float(click["lat"]), float(click["lng"])
    except (KeyError, TypeError, ValueError):
        return None


def clicked_bassin(
    value: Mapping[str, Any] | None, allowed: Collection[str], bassins: Mapping[str, Any] | None = None
) -> str | None:
    """Bassin code of the last click in a `st_folium` return value (None: no click, or not on a bassin).

    streamlit-folium 0.27.4 sets `last_active_drawing` to the clicked GeoJSON feature (with its `properties`)
    and `last_object_clicked` to the click position. A lab marker only sets the position (its feature is
    stale), so the feature's `code` is trusted when the feature contains the click; otherwise the bassin under
    the click (`geo.bassin_at`, in `bassins`: the layer the map was drawn with) is used — clicking a lab selects
    its bassin.
    """
    position = click_position(value)
    if position is None:
        return None
    lat, lng = position
    feature = (value or {}).get("last_active_drawing")
    if isinstance(feature, Mapping):
        code = (feature.get("properties") or {}).get("code")
        if code in allowed and feature.get("geometry"):
            try:
                shape = shapely.geometry.shape(feature["geometry"])
                if shape.buffer(1e-6).covers(shapely.Point(lng, lat)):
                    return str(code)
            except (ValueError, TypeError, AttributeError, KeyError):
                pass
    code = geo.bassin_at(lng, lat, bassins)
    return code if code in allowed else None


def clicked_lab(value: Mapping[str, Any] | None, labs: pd.DataFrame) -> str | None:
    """Code of the lab whose marker was clicked (None: no click, or a click elsewhere).

    streamlit-folium 0.27.4 returns a marker click as `last_object_clicked` = the marker's own position (and
    leaves `last_active_drawing` stale): a click is on a marker when it falls on a lab's coordinates."""
    position = click_position(value)
    if position is None or labs is None or labs.empty:
        return None
    lat, lng = position
    for code, la, lo in zip(labs["code"], labs["latitude"], labs["longitude"]):
        try:
            if abs(float(la) - lat) < 1e-6 and abs(float(lo) - lng) < 1e-6:
                return str(code)
        except (TypeError, ValueError):
            continue
    return None


# ------------------------------------------------------------------------------------------ table, panel


def bassins_table(
    values: pd.DataFrame, classes: Classes, unit: str, departement_labels: Mapping[str, str]
) -> pd.DataFrame:
    """Text alternative of the map: one row per bassin (name, département, value, rank, class)."""
    labels = class_labels(classes, unit)
    total = int(values["valeur"].notna().sum())
    return pd.DataFrame(
        {
            "Bassin": [plain(n) for n in values["nom"]],
            "Département": [plain(f"{d} — {departement_labels.get(d, d)}") for d in values["departement"]],
            "Valeur": [format_value(v, unit, classes.mask) for v in values["valeur"]],
            "Rang": [
                rank_text(None if missing(v) else r, total) for v, r in zip(values["valeur"], values["rang"])
            ],
            "Classe": [NO_DATA_LABEL if b is None else labels[b] for b in classes.bins],
            "Valeur (nombre)": (
                values["valeur"].astype(float).to_numpy()
                if classes.mask is None
                else small_counts.mask_values(values["valeur"].astype(float), classes.mask)
            ),
            "Code": values["code"].astype(str).to_numpy(),
        }
    )


def profile_rows(
    profile: pd.DataFrame, level: str | None = None, rules: small_counts.Policy | None = None
) -> list[dict[str, str]]:
    """`bassin_profile` rows → French texts: indicator, bassin value, académie value, share, rank.

    `level` (`bassin` or `laboratoire`): a small count of people (`small_counts.for_level`) is shown `< 5`,
    without its share (share × académie would tell it); the académie value stays exact. `rules`: the policy of
    the version the profile was read from (`published.policy`)."""
    rows = []
    for row in profile.to_dict("records"):
        value, acad, part = row.get("valeur"), row.get("academie"), row.get("part_pct")
        mask = small_counts.for_level(row.get("unite"), level, rules) if level else None
        small = mask.label if mask is not None and not missing(value) and mask.is_small(value) else None
        if small is not None:
            part = None
        rows.append(
            {
                "indicateur": str(row["libelle"]),
                "bassin": "—" if missing(value) else small if small is not None else formatting.number(value),
                "academie": "—" if missing(acad) else formatting.compact(acad),
                "part": "" if missing(part) else formatting.percent(part),
                "rang": rank_text(row.get("rang"), int(row.get("nb") or 0)),
            }
        )
    return rows


def profile_markdown(
    profile: pd.DataFrame, level: str | None = None, rules: small_counts.Policy | None = None
) -> str:
    """The bassin's headline indicators vs the académie, as a Markdown list (fits the narrow panel); `level`:
    see `profile_rows`."""
    lines = []
    for r in profile_rows(profile, level, rules):
        share = f"{r['part']} de l'académie ({r['academie']})" if r["part"] else f"académie : {r['academie']}"
        lines.append(
            f"- **{escape_markdown(r['indicateur'])}** : {r['bassin']}  \n"
            f"{escape_markdown(share)} · rang : {escape_markdown(r['rang'])}"
        )
    return "\n".join(lines)


def labs_markdown(labs: pd.DataFrame, theme_labels: Mapping[str, str]) -> str:
    """Markdown list of a bassin's labs: name, commune, main theme."""
    lines = []
    for lab in labs.to_dict("records"):
        theme = theme_labels.get(main_theme(lab.get("thematiques")), main_theme(lab.get("thematiques")))
        lines.append(
            f"- **{escape_markdown(lab['nom'])}** — {escape_markdown(lab['commune'])} · {escape_markdown(theme)}"
        )
    return "\n".join(lines)
