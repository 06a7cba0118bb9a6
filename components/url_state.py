"""The user's explicit choices, mirrored in the URL — never a default.

A widget's value is not a choice: a default (the latest school year, the first tab, the first lab of the list)
is recomputed from the data at every run, so that a session follows the data (a school year published by an
import is shown at the next action) and a copied link follows it too. What the user did is a choice, kept for
the session and written into the URL:

- a value read from the URL (first run, a link, `st.switch_page(query_params=…)`): its parameter differs from
  what this session last wrote for it;
- a widget changed since this module set it (the user, or a callback such as « Voir la fiche », which sets
  `st.session_state[key]` or calls `choose`).

Choosing a value, even the one that is the default today, is a choice (« Jusqu'à 2023-2024 » stays on
2023-2024 when 2024-2025 is published: `newer_years` lists such year choices left behind by newer data, for the
notice that offers the newer year). « Réinitialiser », or the notice's button, `forget`s a choice: the widget
follows the data again.

Choices are kept per widget key for the whole session, so a page found again after a page switch shows what
was chosen on it (Streamlit drops the query string on a page change: the page writes its choices back).
Values are the URL's strings; each widget helper converts them (`url_selectbox` in components/sidebar.py,
`url_tabs`, `url_toggle`, `text_value` below).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.containers import Container
from observatoire.text import clean, escape_markdown, quote_value

_CHOSEN = "_url_chosen"  # widget key -> explicit value (URL form)
_SEEN = "_url_seen"  # widget key -> newest option when the choice was made (year choices)
_SHOWN = "_url_shown"  # widget key -> value this module set on the widget at its last run (widget form)
_SYNCED = "_url_synced"  # widget key -> URL value last read or written for it
_NEWER = "_url_newer"  # this run's year choices left behind by a newer school year (`NewerYear`)
_LABELS = "_url_labels"  # widget key -> its label, for the notice
TEXT_LIMIT = 100  # characters kept of a free text read from the URL


@dataclass(frozen=True)
class NewerYear:
    """A year chosen by the user while a later school year is now published."""

    key: str
    label: str  # the widget's label (« Jusqu'à », « Année scolaire »)
    chosen: str
    newest: str


def _state(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def chosen(key: str) -> str | None:
    """The user's explicit value for widget `key` (None: it follows its default)."""
    return _state(_CHOSEN).get(key)


def choose(key: str, value: str, newest: str | None = None) -> None:
    """Record `value` as the user's choice for widget `key` (callbacks: « Voir la fiche », a map click…).
    `newest`: the newest option offered when the choice was made (year choices; None: not a year)."""
    previous = _state(_CHOSEN).get(key)
    _state(_CHOSEN)[key] = value
    if newest is not None:
        if previous != value or key not in _state(_SEEN):
            _state(_SEEN)[key] = newest
    else:
        _state(_SEEN).pop(key, None)


def forget(key: str) -> None:
    """Drop the user's choice for widget `key`: it follows its default (and the data) again. Called before the
    widget is drawn (a callback, « Réinitialiser »): whatever the widget holds then is not a new choice."""
    _drop(key)
    _state(_SHOWN).pop(key, None)


def _drop(key: str) -> None:
    """Drop the choice, keep what the widget shows (after the widget: a choice back to the default)."""
    _state(_CHOSEN).pop(key, None)
    _state(_SEEN).pop(key, None)


def keep_year(key: str, newest: str) -> None:
    """« Garder » in the newer-year notice: no notice for `key` until a year after `newest` is published."""
    _state(_SEEN)[key] = newest


def begin_run() -> None:
    """Called once per run before any widget (the sidebar): this run's newer-year list starts empty."""
    st.session_state[_NEWER] = []


def newer_years() -> list[NewerYear]:
    return list(st.session_state.get(_NEWER, []))


def resolve(
    key: str,
    param: str | None,
    default: str,
    parse: Callable[[str], str | None],
    from_widget: Callable[[object], str],
    label: str = "",
) -> str:
    """The value widget `key` shows this run (URL form): the user's choice, else `default`.

    `parse(raw)`: the URL value `raw` as a valid value, or None (then a French notice, the choice dropped).
    `from_widget(state)`: the widget's session-state value in URL form. Validity of a kept choice against this
    run's options is the caller's (`forget` it when it is no longer offered)."""
    synced, shown = _state(_SYNCED), _state(_SHOWN)
    raw = st.query_params.get(param) if param else None
    if raw is not None and raw != synced.get(key):  # a link, or switch_page(query_params=…)
        synced[key] = raw
        value = parse(raw)
        if value is None:
            forget(key)
            name = escape_markdown(label or param or key)
            add_notice(
                f"Lien : valeur {quote_value(raw, 40)} inconnue pour « {name} », valeur par défaut utilisée."
            )
        else:
            choose(key, value, value)  # a link's year: made when it was the newest, as far as we know
    elif key in st.session_state and key in shown and st.session_state[key] != shown[key]:
        choose(key, from_widget(st.session_state[key]))  # the user (or a callback) changed the widget
    value = chosen(key)
    return default if value is None else value


def show(key: str, widget_value: object) -> None:
    """Set widget `key` to `widget_value` before it is drawn (only when it differs: no useless `set_value`)."""
    if key not in st.session_state or st.session_state[key] != widget_value:
        st.session_state[key] = widget_value
    _state(_SHOWN)[key] = widget_value


def track_year(key: str, label: str, options: Sequence[str]) -> None:
    """After a year widget: stamp a choice just made with the newest year offered, and list the choice in this
    run's `newer_years` when a later year has been published since it was made."""
    value = chosen(key)
    if value is None or not options:
        return
    newest = max(options)
    seen = _state(_SEEN).setdefault(key, newest)
    _state(_LABELS)[key] = label
    if newest > value and newest > seen:
        st.session_state.setdefault(_NEWER, []).append(NewerYear(key, label, value, newest))


def sync(param: str, key: str) -> None:
    """Write the user's choice for `key` into the URL parameter `param`, or remove the parameter."""
    value = chosen(key)
    synced = _state(_SYNCED)
    if value is not None:
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
    synced[key] = value


def add_notice(notice: str) -> None:
    """A bad-URL notice, shown at the top of the page (components/sidebar.py)."""
    from components.sidebar import add_url_notice

    add_url_notice(notice)


# ------------------------------------------------------------------------------------------------ widgets


def url_tabs(labels: Sequence[str], slugs: Sequence[str], param: str, key: str) -> Sequence[DeltaGenerator]:
    """`st.tabs` whose active tab is in the URL (`param=<slug>`; the first tab, the default, is not written).

    Streamlit 1.67's tabs track their state with a `key` and `on_change="rerun"` (the active tab's label in
    `st.session_state[key]`): a tab switch reruns the page, the tab is written into the URL (the first tab, like
    a switch turned off or an empty search, is no choice: it never changes with the data), and a copied link
    reopens it. (`bind="query-params"` would write the label itself — icon code and accents — into the URL.)"""
    labels, slugs = list(labels), list(slugs)
    by_slug = dict(zip(slugs, labels))
    by_label = dict(zip(labels, slugs))
    value = resolve(
        key,
        param,
        slugs[0],
        lambda raw: raw if raw in by_slug else None,
        lambda state: by_label.get(str(state), slugs[0]),
        label="onglet",
    )
    if value not in by_slug:
        forget(key)
        value = slugs[0]
    show(key, by_slug[value])
    tabs = st.tabs(labels, key=key, on_change="rerun", default=labels[0])
    if chosen(key) == slugs[0]:  # back to the first tab: the default, nothing in the URL
        _drop(key)
    sync(param, key)
    return tabs


def toggle_value(label: str, param: str, key: str) -> bool:
    """The value of toggle `key` for this run (the user's choice, else off), set on the widget before the page
    draws it (`st.toggle(label, key=key)`, maybe later in the run); then `toggle_done`. In the URL as
    `param=1` when the user turned it on."""
    value = resolve(
        key,
        param,
        "",
        lambda raw: raw if raw in ("0", "1") else None,
        lambda state: "1" if state else "0",
        label=label,
    )
    show(key, value == "1")
    return value == "1"


def toggle_done(param: str, key: str) -> None:
    if chosen(key) == "0":  # turned off again: the default, nothing in the URL
        _drop(key)
    sync(param, key)


def url_toggle(label: str, param: str, key: str, container: Container | None = None, **kwargs: Any) -> bool:
    """`st.toggle` mirrored in the URL (`toggle_value`, the widget, `toggle_done`)."""
    toggle_value(label, param, key)
    on = (container or st).toggle(label, key=key, **kwargs)
    toggle_done(param, key)
    return bool(on)


def text_value(label: str, param: str, key: str) -> str:
    """The value of text input `key` for this run (the user's text, else empty), set on the widget before the
    page draws it; then `text_done`. In the URL as `param=<text>` when not empty (at most `TEXT_LIMIT`
    characters read from a link; shown as plain text by the widget)."""
    value = resolve(
        key, param, "", lambda raw: clean(raw)[:TEXT_LIMIT], lambda state: str(state or ""), label=label
    )
    show(key, value)
    return value


def text_done(param: str, key: str) -> None:
    if not str(chosen(key) or "").strip():
        _drop(key)
    sync(param, key)
