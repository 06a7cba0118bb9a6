"""« Ce qui a changé » on the Données et sources page: two versions chosen (or a date: « depuis la dernière
séance »), the French summary, the table of values added, changed or withdrawn, periods, lots, publications,
and the CSV/XLSX downloads. The view is built by the core (`observatoire.views.changes.build_changes`, cached
by `components.context.changes`); this module only draws it, escaped.

URL: `?depuis=N&vers=M` (the footer's « une version plus récente existe » links here with them); only a choice
the user made is written there. Defaults: from the version shown when the view is pinned on an older one
(`?version=N`), else from the version before the current one, to the current one."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

import pandas as pd
import streamlit as st

from components import context, pinning
from components.common import render_downloads
from components.sidebar import add_url_notice, label_of
from observatoire import changes as core
from observatoire import clock, exporting, store
from observatoire.figures import formatting
from observatoire.filters import Filters
from observatoire.text import escape_markdown, quote_value

ANCHOR = "ce-qui-a-change"
FROM_PARAM, TO_PARAM = "depuis", "vers"
FROM_KEY, TO_KEY, DATE_KEY = "chg_depuis", "chg_vers", "chg_date"
_SEEN = "_chg_url_seen"  # the URL values already applied (a link followed later applies its own)
_DATE_NOTE = "_chg_date_note"
_DATE_RE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$|^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_day(text: str) -> dt.date | None:
    """`20/11/2026`, `20-11-2026`, `2026-11-20` → the date; None when it is not one."""
    match = _DATE_RE.match(text or "")
    if not match:
        return None
    day, month, year = (
        (match.group(1), match.group(2), match.group(3))
        if match.group(1)
        else (match.group(6), match.group(5), match.group(4))
    )
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def value_columns(first: str) -> dict:
    """Widths that keep the old and new values on the first screen at 1280 px (long labels are cut, the whole
    text shows on hover and in the files); values right-aligned as numbers are."""
    text = st.column_config.TextColumn
    return {
        first: text(width=105),
        "Indicateur": text(width=185),
        "Période": text(width=85),
        "Territoire": text(width=165),
        "Ancienne valeur": text(width=128, alignment="right"),
        "Nouvelle valeur": text(width=128, alignment="right"),
    }


def version_labels(numbers: list[int], journal: pd.DataFrame, current: int) -> dict[str, str]:
    """« n° 5 · 20/11/2026 à 14:02 » (when it was published, Paris time), « n° 8 · 22/11/2026 à 09:10
    (courante) »: short enough for the box at 1280 px."""
    published = journal.groupby("version")["date"].min() if not journal.empty else pd.Series(dtype=object)
    labels = {}
    for number in numbers:
        start = published.get(number)
        since = clock.paris_datetime(start, zone=False) if start is not None else "?"
        labels[str(number)] = f"n° {number} · {since}" + (" (courante)" if number == current else "")
    return labels


def _from_url(param: str, key: str, options: list[str], label: str) -> None:
    """Apply `?param=` once per value seen in the URL (first visit, or a link followed later)."""
    seen = st.session_state.setdefault(_SEEN, {})
    raw = st.query_params.get(param)
    if raw == seen.get(param):
        return
    seen[param] = raw
    if raw is None:
        return
    if raw in options:
        st.session_state[key] = raw
        return
    day = parse_day(raw) if param == FROM_PARAM else None
    if day is not None:
        _apply_day(day, options)
        return
    add_url_notice(
        f"Lien : version {quote_value(raw, 40)} inconnue ou plus conservée pour « {label} », valeur "
        "par défaut utilisée."
    )


def _chosen(param: str, key: str) -> None:
    """on_change of a version box: the user's choice goes into the URL."""
    value = st.session_state.get(key)
    if value is not None:
        st.query_params[param] = value
        st.session_state.setdefault(_SEEN, {})[param] = value


def _apply_day(day: dt.date, options: list[str]) -> None:
    journal = context.current_journal()
    number = core.since_day(journal, day)
    when = day.strftime("%d/%m/%Y")
    if number is None:
        oldest = options[0] if options else "?"
        st.session_state[_DATE_NOTE] = (
            "warning",
            f"Aucune version n'était publiée avant le {when} : comparaison "
            f"depuis la plus ancienne conservée (n° {oldest}).",
        )
        number = int(oldest) if options else None
    elif str(number) not in options:
        listed = f"n° {options[0]} à n° {options[-1]}" if options else "aucune"
        st.session_state[_DATE_NOTE] = (
            "warning",
            f"La version en vigueur le {when} (n° {number}) n'est plus "
            f"conservée (versions conservées : {listed}) : choisissez une date plus "
            "récente ou la plus ancienne version conservée.",
        )
        return
    else:
        st.session_state[_DATE_NOTE] = ("info", f"Version en vigueur le {when} au matin : n° {number}.")
    if number is not None:
        st.session_state[FROM_KEY] = str(number)
        st.query_params[FROM_PARAM] = str(number)
        st.session_state.setdefault(_SEEN, {})[FROM_PARAM] = str(number)


def _date_typed(options: list[str]) -> None:
    """on_change of « … ou depuis le »: the version in force at the start of that day (Paris)."""
    text = st.session_state.get(DATE_KEY, "")
    if not text.strip():
        st.session_state.pop(_DATE_NOTE, None)
        return
    day = parse_day(text)
    if day is None:
        st.session_state[_DATE_NOTE] = (
            "warning",
            f"Date {quote_value(text, 20)} non reconnue : écrivez-la JJ/MM/AAAA, par exemple 20/11/2026.",
        )
        return
    _apply_day(day, options)


def render(filters: Filters) -> None:
    """The section, under « Version des données »."""
    st.subheader("Ce qui a changé", anchor=ANCHOR)
    st.caption(
        "Entre deux versions des données : valeurs nouvelles, modifiées (ancienne → nouvelle valeur) ou "
        "retirées, indicateurs et périodes ajoutés, lots ajoutés ou retirés, et qui a publié quoi, quand "
        "(heure de Paris). Pour voir ce qui a bougé depuis la dernière séance, choisissez la version en "
        "vigueur ce jour-là, ou tapez sa date."
    )
    kept = [v.number for v in context.kept_versions()]
    current = context.current_version().number
    shown = context.version().number
    options = [str(n) for n in kept]
    if len(options) < 2:
        st.info(
            "Une seule version des données est publiée : il n'y a encore rien à comparer.",
            icon=":material/difference:",
        )
        return
    journal = context.current_journal()
    labels = version_labels(kept, journal, current)
    default_from = (
        str(shown) if pinning.pinned() is not None and shown < current and str(shown) in options else options[-2]
    )
    _from_url(FROM_PARAM, FROM_KEY, options, "Depuis la version")
    _from_url(TO_PARAM, TO_KEY, options, "Jusqu'à la version")
    for key, default in ((FROM_KEY, default_from), (TO_KEY, str(current))):
        if st.session_state.get(key) not in options:
            st.session_state[key] = default
    left, middle, right = st.columns([5, 5, 3], vertical_alignment="bottom")
    fmt = partial(label_of, labels)
    left.selectbox(
        "Depuis la version (publiée le, heure de Paris)",
        options,
        key=FROM_KEY,
        format_func=fmt,
        on_change=_chosen,
        args=(FROM_PARAM, FROM_KEY),
    )
    middle.selectbox(
        "Jusqu'à la version (publiée le)",
        options,
        key=TO_KEY,
        format_func=fmt,
        on_change=_chosen,
        args=(TO_PARAM, TO_KEY),
    )
    right.text_input(
        "… ou depuis le (JJ/MM/AAAA)",
        key=DATE_KEY,
        placeholder="20/11/2026",
        on_change=_date_typed,
        args=(options,),
        help="La version en vigueur au début de ce jour-là (par exemple le jour de la dernière "
        "séance) devient le point de départ.",
    )
    note = st.session_state.get(_DATE_NOTE)
    if note:
        getattr(st, note[0])(note[1], icon=":material/event:")  # app text; the typed date is quoted
    old, new = int(st.session_state[FROM_KEY]), int(st.session_state[TO_KEY])
    try:
        view = context.changes(old, new)
    except store.StoreError as err:  # pruned between the listing and the reading
        st.warning(escape_markdown(str(err)), icon=":material/history_toggle_off:")
        return
    if filters != Filters():
        st.caption(
            ":material/filter_alt_off: Les filtres de la barre latérale ne s'appliquent pas à cette "
            "comparaison : elle porte sur toutes les mesures."
        )
    if old > new:
        st.caption(f"Comparaison dans l'ordre des versions : de la n° {new} à la n° {old}.")
    changes: core.Changes = view.items.changes
    st.markdown(f"**{escape_markdown(view.title)}.** {escape_markdown(view.subtitle)}")
    if view.text("none"):
        st.info(escape_markdown(view.text("none")), icon=":material/check_circle:")
    else:
        st.markdown(escape_markdown(view.text("summary")))
    st.caption(escape_markdown(view.text("publications")))
    if changes.same:
        return
    cols = st.columns(4)
    cols[0].metric("Valeurs nouvelles", formatting.number(changes.count(core.ADDED)), border=True)
    cols[1].metric("Valeurs modifiées", formatting.number(changes.count(core.CHANGED)), border=True)
    cols[2].metric("Valeurs retirées", formatting.number(changes.count(core.WITHDRAWN)), border=True)
    added = int((changes.periods["changement"] == "ajoutée").sum()) if not changes.periods.empty else 0
    cols[3].metric(
        "Périodes nouvelles",
        formatting.number(added),
        border=True,
        help="Couples indicateur × période qui n'avaient aucune valeur dans la version de départ.",
    )
    values = view.require_table("valeurs")
    if not values.frame.empty:
        shown_rows = view.items.valeurs_ecran
        if len(shown_rows) < len(values.frame):
            st.caption(
                f"Aperçu : les {formatting.number(len(shown_rows))} premières lignes sur "
                f"{formatting.number(len(values.frame))} ; les fichiers contiennent toutes les lignes."
            )
        st.dataframe(
            shown_rows,
            hide_index=True,
            width="stretch",
            key="chg_valeurs",
            column_config=value_columns("Changement"),
        )
        left, right = st.columns(2)
        about = exporting.About(title=values.title, context=view.context, source=values.source)
        render_downloads(values.frame, values.title, "chg_valeurs", left, right, about=about)
    for key, icon in (
        ("periodes", ":material/calendar_month:"),
        ("lots", ":material/inventory_2:"),
        ("journal", ":material/history:"),
    ):
        table = view.table(key)
        if table is None or table.frame.empty:
            continue
        with st.expander(f"{escape_markdown(table.title)} ({formatting.number(len(table.frame))})", icon=icon):
            st.dataframe(table.frame, hide_index=True, width="stretch", key=f"chg_{key}")
