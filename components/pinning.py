"""A view frozen on one data version: `?version=12` in the URL (for the séminaire: figures never change under
the presenter while imports are published). Read on the first run of a session, kept in the session and
written back into the URL on every run so that a copied link stays pinned."""

from __future__ import annotations

import streamlit as st

from components import context
from observatoire import store, urlvalues
from observatoire.text import quote_value

PARAM = "version"
MAX_VERSION = 999_999  # version files are numbered on six digits (observatoire.versions.VERSION_FILE_RE)
_READ = "_version_param_read"


def pin_from_url() -> str | None:
    """First run of a session: `?version=N` pins the view on version N. Returns the French notice to show when
    N is not a published version kept (the current version is shown), for the caller to queue with
    `add_url_notice` once the sidebar has read the URL (its first run replaces the list of notices)."""
    if st.session_state.get(_READ):
        return None
    st.session_state[_READ] = True
    raw = st.query_params.get(PARAM)
    st.session_state[context.PIN_KEY] = None
    if raw is None:
        return None
    number = urlvalues.positive_int(raw, MAX_VERSION)  # ASCII digits only: « ² » or 5 000 digits are refused
    if number is None:
        return (
            f"Lien : version {quote_value(raw, 40)} invalide (un numéro est attendu) : affichage de la "
            "version courante des données."
        )
    try:
        version = context.repository().version(number)
    except store.StoreError as err:
        return f"Lien : {err} Affichage de la version courante des données."
    st.session_state[context.PIN_KEY] = version.number
    return None


def pin(number: int) -> None:
    """Callback of « Figer la vue sur la version n° N »."""
    st.session_state[context.PIN_KEY] = int(number)


def unpin() -> None:
    """Callback of « Afficher la version courante »."""
    st.session_state[context.PIN_KEY] = None


def sync_url() -> None:
    """`?version=N` in the URL while the view is pinned, removed otherwise."""
    pinned = st.session_state.get(context.PIN_KEY)
    if pinned is not None:
        if st.query_params.get(PARAM) != str(pinned):
            st.query_params[PARAM] = str(pinned)
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def pinned() -> int | None:
    return st.session_state.get(context.PIN_KEY)
