"""Indicator pickers that follow the niveau and thème filters (pages Indicateurs and Carte).

« Responds » comes from `queries.filter_response` (the catalogue's declared breakdowns, the same rule as the
`ignored` notes of `queries.series`): with a niveau or a thème chosen, the indicators that answer come first,
and only them unless « afficher aussi les indicateurs non concernés » is on. The page says how many do not
answer and which ones. Pure helpers first (tested in tests/components/test_picker.py), render wrapper last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from observatoire.filters import Filters
from observatoire.text import escape_markdown

if TYPE_CHECKING:
    from components.containers import Container

SHOW_ALL_LABEL = "Afficher aussi les indicateurs non concernés"
SHOW_ALL_PARAM = "tous_indicateurs"  # URL: `tous_indicateurs=1` when the user turned the switch on
NOT_CONCERNED = " (non concerné par les filtres)"
_DIMENSIONS = (("niveau", "niveaux", "niveau"), ("thematique", "thematiques", "thème"))


def _no(value: object) -> bool:
    """The filter is chosen and does not apply (False; None/NaN = no such filter chosen)."""
    return value is not None and not pd.isna(value) and not bool(value)


def active(filters: Filters) -> bool:
    return bool(filters.niveaux or filters.thematiques)


def ordered_options(
    ids: Sequence[str], response: pd.DataFrame, show_all: bool, current: str | None = None
) -> tuple[list[str], list[str]]:
    """(options, non-responding ids among `ids`): responding indicators in the order of `ids`, then — with
    `show_all` — the others. An indicator already chosen (`current`, e.g. from a shared link) stays available
    at the end even when it does not respond: the page then says so, it is never swapped silently."""
    answers = dict(zip(response["id"], response["repond"]))
    yes = [i for i in ids if answers.get(i, True)]
    no = [i for i in ids if not answers.get(i, True)]
    options = yes + no if show_all else yes + ([current] if current in no else [])
    return options, no


def option_labels(names: Mapping[str, str], not_responding: Sequence[str]) -> dict[str, str]:
    """Labels of the options, the non-responding ones marked."""
    marked = set(not_responding)
    return {code: name + (NOT_CONCERNED if code in marked else "") for code, name in names.items()}


def non_response_notes(
    response: pd.DataFrame, filters: Filters, names: Mapping[str, str], limit: int = 8
) -> list[str]:
    """« 7 indicateurs ne sont pas détaillés par niveau : … » (plain text, one line per chosen dimension)."""
    notes = []
    for column, attr, label in _DIMENSIONS:
        if not getattr(filters, attr):
            continue
        missing = [i for i, ok in zip(response["id"], response[column]) if _no(ok)]
        if not missing:
            continue
        shown = [names.get(i, i) for i in missing[:limit]]
        more = f" et {len(missing) - limit} autres" if len(missing) > limit else ""
        count = (
            f"{len(missing)} indicateurs ne sont pas détaillés"
            if len(missing) > 1
            else "1 indicateur n'est pas détaillé"
        )
        notes.append(f"{count} par {label} : " + ", ".join(f"« {n} »" for n in shown) + more + ".")
    return notes


def chosen_note(indicator: str, response: pd.DataFrame, names: Mapping[str, str]) -> str | None:
    """Warning when the chosen indicator does not answer a chosen filter (plain text)."""
    row = response[response["id"] == indicator]
    if row.empty or bool(row["repond"].iloc[0]):
        return None
    dims = [label for column, _, label in _DIMENSIONS if _no(row[column].iloc[0])]
    if not dims:
        return None
    return (
        f"« {names.get(indicator, indicator)} » n'est pas détaillé par "
        + " ni par ".join(dims)
        + " : ses valeurs sont tous "
        + ("niveaux" if dims[0] == "niveau" else "thèmes")
        + " confondus (filtre non appliqué)."
    )


def render_picker(
    label: str,
    ids: Sequence[str],
    names: Mapping[str, str],
    response: pd.DataFrame,
    filters: Filters,
    param: str,
    key: str,
    default: str | None,
    container: Container | None = None,
    toggle_container: Container | None = None,
    **kwargs: Any,
) -> str:
    """`url_selectbox` over the indicators that answer the filters (see the module docstring)."""
    import streamlit as st

    from components import url_state
    from components.sidebar import label_of, url_selectbox

    container = container or st
    if not active(filters):
        return url_selectbox(
            label,
            list(ids),
            param,
            key,
            format_func=partial(label_of, dict(names)),
            default=default,
            container=container,
            **kwargs,
        )
    show_all = url_state.url_toggle(
        SHOW_ALL_LABEL,
        SHOW_ALL_PARAM,
        f"{key}_tous",
        container=toggle_container or st,
        help="Indicateurs qui ne sont pas détaillés par le niveau ou le thème choisi : leurs valeurs ignorent ce "
        "filtre.",
    )
    current = url_state.chosen(key) or st.query_params.get(param) or st.session_state.get(key)
    options, no = ordered_options(ids, response, show_all, current)
    if not options:
        options = list(ids)
    labels = option_labels(names, no)
    answers = dict(zip(response["id"], response["repond"]))
    fallback = default if answers.get(default, True) else options[0]
    value = url_selectbox(
        label,
        options,
        param,
        key,
        format_func=partial(label_of, labels),
        default=fallback,
        container=container,
        **kwargs,
    )
    notes = non_response_notes(response[response["id"].isin(ids)], filters, names)
    if notes:  # the counts in one line, the names on demand (the page stays short at 1280×720)
        st.caption(
            ":material/filter_alt_off: "
            + escape_markdown(
                f"Indicateurs détaillés par ces filtres : {len(ids) - len(no)} sur {len(ids)}. "
                + " ".join(note.split(" : ")[0] + "." for note in notes)
            )
        )
        with st.expander(f"Indicateurs non concernés par les filtres ({len(no)})"):
            for note in notes:
                st.markdown(escape_markdown(note))
    warning = chosen_note(value, response, names)
    if warning:
        st.warning(escape_markdown(warning), icon=":material/filter_alt_off:")
    return value
