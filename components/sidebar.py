"""Shared sidebar filters, kept across pages and mirrored in the URL (`st.query_params`).

The widgets are created by the entrypoint on every run, so their state survives page switches. On the first
run of a session the URL is parsed (strictly: `observatoire.filters.parse_params`, plain strings only) and
unknown values are reported in French, at the top of the main area (`render_url_notices`, called by the router
after the page so that the page's own URL notices join them) until the user dismisses them. After the widgets,
the filter parameters of the URL are rewritten so that a copied link reopens the exact view. Page-level choices
(indicator, year, basemap…) use `url_selectbox`, which follows the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import streamlit as st

from observatoire.filters import PARAM_NAMES, Choices, Filters, parse_params, to_params
from observatoire.text import escape_markdown, plain, quote_value

KEYS = {
    "departements": "f_departements",
    "bassins": "f_bassins",
    "thematiques": "f_thematiques",
    "niveaux": "f_niveaux",
    "publics": "f_publics",
}
START_KEY = "f_debut"
END_KEY = "f_fin"
_INIT = "_filters_initialised"
_NOTICES = "_url_notices"


def label_of(mapping: Mapping[str, str], code: str) -> str:
    """format_func helper. Use `partial(label_of, mapping)`, never a lambda: with
    `runner.enforceSerializableSessionState` widget callables must be picklable (AppTest stores them).
    Option labels are shown as plain text by Streamlit; bidi and zero-width characters are removed."""
    return plain(mapping.get(code, code))


def dep_label(mapping: Mapping[str, str], code: str) -> str:
    return plain(f"{code} — {mapping.get(code, code)}")


def _defaults(choices: Choices) -> dict[str, object]:
    values: dict[str, object] = {key: [] for key in KEYS.values()}
    if choices.annees:
        values[START_KEY], values[END_KEY] = choices.annees[0], choices.annees[-1]
    return values


def _apply(filters: Filters, choices: Choices) -> None:
    for attr, key in KEYS.items():
        st.session_state[key] = list(getattr(filters, attr))
    if choices.annees:
        st.session_state[START_KEY] = filters.periode_debut or choices.annees[0]
        st.session_state[END_KEY] = filters.periode_fin or choices.annees[-1]


def _query_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def init_from_url(choices: Choices) -> None:
    if st.session_state.get(_INIT):
        return
    filters, notices = parse_params(_query_params(), choices, markdown=True)  # URL values as inline code
    _apply(filters, choices)
    st.session_state[_NOTICES] = notices
    st.session_state[_INIT] = True


def reset_filters(choices: Choices) -> None:
    """Callback of « Réinitialiser les filtres » (runs before the widgets are drawn)."""
    for key, value in _defaults(choices).items():
        st.session_state[key] = value
    st.session_state[_NOTICES] = []


def current_filters(choices: Choices) -> Filters:
    """Filters from the widget state (period collapsed to None when it spans every year)."""
    debut, fin = st.session_state.get(START_KEY), st.session_state.get(END_KEY)
    if debut and fin and debut > fin:
        debut, fin = fin, debut
    if choices.annees:
        debut = None if debut == choices.annees[0] else debut
        fin = None if fin == choices.annees[-1] else fin
    return Filters(
        departements=tuple(st.session_state.get(KEYS["departements"], [])),
        bassins=tuple(st.session_state.get(KEYS["bassins"], [])),
        thematiques=tuple(st.session_state.get(KEYS["thematiques"], [])),
        niveaux=tuple(st.session_state.get(KEYS["niveaux"], [])),
        publics=tuple(st.session_state.get(KEYS["publics"], [])),
        periode_debut=debut,
        periode_fin=fin,
    )


def sync_url(filters: Filters) -> None:
    """Write the filter parameters into the URL, leaving page parameters untouched."""
    wanted = to_params(filters)
    for name in PARAM_NAMES.values():
        if name in wanted:
            if st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]


def render_sidebar(choices: Choices) -> Filters:
    """Draw the shared filters in the sidebar and return the current `Filters`."""
    init_from_url(choices)
    labels = choices.labels
    with st.sidebar:
        st.header("Filtres", anchor=False)
        deps = st.multiselect(
            "Département", options=list(choices.departements), key=KEYS["departements"],
            format_func=partial(dep_label, dict(labels.departements)),
            placeholder="Tous les départements",
            select_all=False,  # no English « Select all » / « Select N matches »
        )
        bassin_options = [b for b, d in choices.bassins.items() if not deps or d in deps]
        kept = [b for b in st.session_state.get(KEYS["bassins"], []) if b in bassin_options]
        if kept != st.session_state.get(KEYS["bassins"], []):
            st.session_state[KEYS["bassins"]] = kept
        st.multiselect(
            "Bassin d'éducation et de formation", options=bassin_options, key=KEYS["bassins"],
            format_func=partial(label_of, dict(labels.bassins)), placeholder="Tous les bassins",
            select_all=False,
            help="Liste limitée aux bassins des départements choisis.",
        )
        st.multiselect(
            "Thématique", options=list(choices.thematiques), key=KEYS["thematiques"],
            format_func=partial(label_of, dict(labels.thematiques)), placeholder="Toutes les thématiques",
            select_all=False,
        )
        st.multiselect(
            "Niveau scolaire", options=list(choices.niveaux), key=KEYS["niveaux"],
            format_func=partial(label_of, dict(labels.niveaux)), placeholder="Tous les niveaux",
            select_all=False,
        )
        st.multiselect(
            "Public", options=list(choices.publics), key=KEYS["publics"],
            format_func=partial(label_of, dict(labels.publics)), placeholder="Tous les publics",
            select_all=False,
        )
        if choices.annees:
            start, end = st.container(), st.container()
            start.selectbox("Depuis", options=list(choices.annees), key=START_KEY,
                            help="Première année scolaire affichée.")
            end.selectbox("Jusqu'à", options=list(choices.annees), key=END_KEY,
                          help="Dernière année scolaire affichée (les indicateurs clés portent sur celle-ci).")
        st.button("Réinitialiser les filtres", on_click=reset_filters, args=(choices,),
                  icon=":material/filter_alt_off:", width="stretch")
    filters = current_filters(choices)
    sync_url(filters)
    return filters


def add_url_notice(notice: str) -> None:
    """Queue a bad-URL notice (Markdown, URL values quoted by `quote_value`) for the top of the page."""
    notices = st.session_state.setdefault(_NOTICES, [])
    if notice not in notices:
        notices.append(notice)


def dismiss_url_notices() -> None:
    """Callback of « Masquer » under the notices."""
    st.session_state[_NOTICES] = []


def render_url_notices(container: object) -> None:
    """The bad-URL notices (filters parsed on the first run, page choices of `url_selectbox`) in `container`,
    which the router creates at the top of the main area, above the page title. Shown until dismissed (or the
    filters are reset), on every page."""
    notices = st.session_state.get(_NOTICES, [])
    if not notices:
        return
    with container:
        for notice in notices:  # Markdown: URL values quoted by `quote_value`
            st.warning(notice, icon=":material/link_off:")
        st.button("Masquer ces avertissements" if len(notices) > 1 else "Masquer cet avertissement",
                  key="url_notices_dismiss", on_click=dismiss_url_notices, icon=":material/close:",
                  type="tertiary")


def url_selectbox(label: str, options: Sequence[str], param: str, key: str,
                  format_func: Callable[[str], str] = str, default: str | None = None,
                  container: object = st, **kwargs: object) -> str:
    """A selectbox whose value is mirrored in the URL parameter `param` (validated against `options`)."""
    options = list(options)
    if key not in st.session_state:
        raw = st.query_params.get(param)
        if raw is not None and raw in options:
            st.session_state[key] = raw
        else:
            if raw is not None:  # shown at the top of the page by the router (`render_url_notices`)
                add_url_notice(f"Lien : valeur {quote_value(raw, 40)} inconnue pour « {escape_markdown(label)} », "
                               "valeur par défaut utilisée.")
            st.session_state[key] = default if default in options else options[0]
    elif st.session_state[key] not in options:
        st.session_state[key] = default if default in options else options[0]
    value = container.selectbox(label, options, key=key, format_func=format_func, **kwargs)
    if st.query_params.get(param) != value:
        st.query_params[param] = value
    return value
