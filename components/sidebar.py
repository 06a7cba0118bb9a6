"""Shared sidebar filters, kept across pages and mirrored in the URL (`st.query_params`).

The widgets are created by the entrypoint on every run, so their state survives page switches. On the first
run of a session the URL is parsed (strictly: `observatoire.filters.parse_params`, plain strings only) and
unknown values are reported in French, at the top of the main area (`render_url_notices`, called by the router
after the page so that the page's own URL notices join them) until the user dismisses them. After the widgets,
the filter parameters of the URL are rewritten so that a copied link reopens the exact view.

Only the user's choices are written (components/url_state.py): « Depuis » and « Jusqu'à » show the first and the
latest school year of the data shown unless the user chose one, so a session follows the data — a school year
published by an import is shown at the next action. A chosen « Jusqu'à » stays; when a later year is published
the notice at the top offers it (`render_url_notices`). Page-level choices (indicator, year, basemap…) use
`url_selectbox`, which follows the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import url_state
from components.containers import Container
from observatoire.filters import PARAM_NAMES, Choices, Filters, parse_params, to_params
from observatoire.text import escape_markdown, plain

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
    for key, value in ((START_KEY, filters.periode_debut), (END_KEY, filters.periode_fin)):
        if value:  # a year in the link is the user's choice; none: the widget follows the data
            url_state.choose(key, value, value)
        else:
            url_state.forget(key)


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
    url_state.forget(START_KEY)
    url_state.forget(END_KEY)
    st.session_state[_NOTICES] = []


YEAR_LABELS = {START_KEY: "Depuis", END_KEY: "Jusqu'à"}


def _year(key: str, choices: Choices) -> str:
    """The value of « Depuis » / « Jusqu'à » for this run: the user's choice while the data has that year, else
    the first / latest school year of the data (read again at every run: the year follows the data)."""
    default = choices.annees[0] if key == START_KEY else choices.annees[-1]
    value = url_state.resolve(key, None, default, lambda raw: raw, str)
    if value not in choices.annees:  # a chosen year that the data shown no longer has (an import undone)
        add_url_notice(
            f"L'année scolaire « {escape_markdown(value)} » choisie dans « {YEAR_LABELS[key]} » n'est "
            "plus dans les données publiées : la période suit de nouveau les données."
        )
        url_state.forget(key)
        value = default
    url_state.show(key, value)
    return value


def current_filters(choices: Choices) -> Filters:
    """Filters of this run: the multiselects' values and the years the user chose (a year left to its default
    is None: the period then follows the data; two chosen years in the wrong order are swapped)."""
    debut, fin = url_state.chosen(START_KEY), url_state.chosen(END_KEY)
    if choices.annees:
        debut = debut if debut in choices.annees else None
        fin = fin if fin in choices.annees else None
    else:
        debut = fin = None
    if debut and fin and debut > fin:
        debut, fin = fin, debut
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
    url_state.begin_run()
    init_from_url(choices)
    labels = choices.labels
    with st.sidebar:
        st.header("Filtres", anchor=False)
        deps = st.multiselect(
            "Département",
            options=list(choices.departements),
            key=KEYS["departements"],
            format_func=partial(dep_label, dict(labels.departements)),
            placeholder="Tous les départements",
            select_all=False,  # no English « Select all » / « Select N matches »
        )
        chosen_deps = Filters(departements=tuple(deps))
        bassin_options = [b for b, d in choices.bassins.items() if chosen_deps.covers_departement(d)]
        kept = [b for b in st.session_state.get(KEYS["bassins"], []) if b in bassin_options]
        if kept != st.session_state.get(KEYS["bassins"], []):
            st.session_state[KEYS["bassins"]] = kept
        st.multiselect(
            "Bassin d'éducation et de formation",
            options=bassin_options,
            key=KEYS["bassins"],
            format_func=partial(label_of, dict(labels.bassins)),
            placeholder="Tous les bassins",
            select_all=False,
            help="Liste limitée aux bassins des départements choisis.",
        )
        st.multiselect(
            "Thématique",
            options=list(choices.thematiques),
            key=KEYS["thematiques"],
            format_func=partial(label_of, dict(labels.thematiques)),
            placeholder="Toutes les thématiques",
            select_all=False,
        )
        st.multiselect(
            "Niveau scolaire",
            options=list(choices.niveaux),
            key=KEYS["niveaux"],
            format_func=partial(label_of, dict(labels.niveaux)),
            placeholder="Tous les niveaux",
            select_all=False,
        )
        st.multiselect(
            "Public",
            options=list(choices.publics),
            key=KEYS["publics"],
            format_func=partial(label_of, dict(labels.publics)),
            placeholder="Tous les publics",
            select_all=False,
        )
        if choices.annees:
            _year(START_KEY, choices)
            _year(END_KEY, choices)
            st.selectbox(
                "Depuis", options=list(choices.annees), key=START_KEY, help="Première année scolaire affichée."
            )
            st.selectbox(
                "Jusqu'à",
                options=list(choices.annees),
                key=END_KEY,
                help="Dernière année scolaire affichée (les indicateurs clés portent sur celle-ci). "
                "Sans choix, la dernière année publiée : une nouvelle année apparaît d'elle-même.",
            )
            url_state.track_year(END_KEY, YEAR_LABELS[END_KEY], choices.annees)
        st.button(
            "Réinitialiser les filtres",
            on_click=reset_filters,
            args=(choices,),
            icon=":material/filter_alt_off:",
            width="stretch",
        )
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


def follow_latest(keys: tuple[str, ...]) -> None:
    """« Afficher AAAA-AAAA » of the newer-year notice: the year choices `keys` follow the data again."""
    for key in keys:
        url_state.forget(key)


def keep_years(keys: tuple[str, ...], newest: str) -> None:
    """« Garder mon choix » of the newer-year notice: no notice again until a later year is published."""
    for key in keys:
        url_state.keep_year(key, newest)


def newer_year_text(newer: Sequence[url_state.NewerYear]) -> str:
    """The notice (Markdown) when years chosen by the user are older than a year published since."""
    newest = max(n.newest for n in newer)
    which = " ; ".join(f"« {escape_markdown(n.label)} » : {n.chosen}" for n in newer)
    return (
        f"Des données de l'année scolaire **{newest}** sont publiées. L'affichage reste sur l'année choisie "
        f"({which})."
    )


def render_newer_year_notice() -> None:
    newer = url_state.newer_years()
    if not newer:
        return
    newest = max(n.newest for n in newer)
    keys = tuple(n.key for n in newer)
    with st.container(key="newer_year_notice"):
        st.info(newer_year_text(newer), icon=":material/new_releases:")
        with st.container(horizontal=True, gap="small"):
            st.button(
                f"Afficher {newest}",
                key="newer_year_follow",
                on_click=follow_latest,
                args=(keys,),
                icon=":material/update:",
                type="primary",
            )
            st.button(
                "Garder mon choix",
                key="newer_year_keep",
                on_click=keep_years,
                args=(keys, newest),
                type="tertiary",
            )


def render_url_notices(container: DeltaGenerator, year_notice: bool = True) -> None:
    """The bad-URL notices (filters parsed on the first run, page choices of `url_selectbox`) in `container`,
    which the router creates at the top of the main area, above the page title. Shown until dismissed (or the
    filters are reset), on every page. With `year_notice`, first the notice that offers a school year published
    after the year the user chose (`url_state.newer_years`)."""
    notices = st.session_state.get(_NOTICES, [])
    if year_notice and url_state.newer_years():
        with container:
            render_newer_year_notice()
    if not notices:
        return
    with container:
        for notice in notices:  # Markdown: URL values quoted by `quote_value`
            st.warning(notice, icon=":material/link_off:")
        st.button(
            "Masquer ces avertissements" if len(notices) > 1 else "Masquer cet avertissement",
            key="url_notices_dismiss",
            on_click=dismiss_url_notices,
            icon=":material/close:",
            type="tertiary",
        )


def url_selectbox(
    label: str,
    options: Sequence[str],
    param: str,
    key: str,
    format_func: Callable[[str], str] = str,
    default: str | None = None,
    container: Container = st,
    follows_latest: bool = False,
    **kwargs: Any,
) -> str:
    """A selectbox whose value is the user's choice (from the URL parameter `param`, validated against
    `options`, or from the widget) or else `default`, recomputed at every run; only a choice is written into
    the URL (components/url_state.py). `follows_latest`: the options are school years and the default is the
    latest one — a chosen year left behind by a year published since gets the newer-year notice."""
    options = list(options)
    fallback = default if default in options else options[0]
    value = url_state.resolve(key, param, fallback, lambda raw: raw if raw in options else None, str, label=label)
    if value not in options:  # a choice the current filters no longer offer
        url_state.forget(key)
        value = fallback
    url_state.show(key, value)
    value = container.selectbox(label, options, key=key, format_func=format_func, **kwargs)
    if follows_latest:
        url_state.track_year(key, label, options)
    url_state.sync(param, key)
    return value
