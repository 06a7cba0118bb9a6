"""Carte des bassins, Streamlit side: the map shown through streamlit-folium, clicks applied to the session,
the bassin selectbox, the legend as text and the bassin panel. Everything they show is built by pure modules
of `observatoire.figures` (no Streamlit, tested directly):

- `observatoire.figures.foliummap`: the folium map (`build_map`), legends, popups, map options (basemaps,
  indicators that can be mapped, lab key figures);
- `observatoire.figures.bassin_panel`: which bassin or lab a click designates, the text alternative of the map
  and the panel's texts;
- `observatoire.figures.classification`: classes, palette, legend texts; `observatoire.figures.theme`: sizes
  and colours; `observatoire.figures.templates`: the HTML/CSS templates.

`build_map` here points folium at the vendored assets (`components.offline`) then builds the map: no CDN.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from typing import Any

import folium
import pandas as pd
import streamlit as st

from components import library_patches, offline
from observatoire import small_counts
from observatoire.figures import foliummap, formatting, templates
from observatoire.figures.bassin_panel import (
    click_position,
    clicked_bassin,
    clicked_lab,
    labs_markdown,
    profile_markdown,
)
from observatoire.figures.classification import METHOD_PHRASES, Classes, format_value, legend_items, unit_for
from observatoire.figures.foliummap import missing, rank_text
from observatoire.figures.theme import THEME
from observatoire.text import escape_markdown, plain, quote_value

library_patches.memoize_branca_templates()  # the edge's patch (the core patches no library)

SESSION_KEY = "carte_bassin"
URL_PARAM = "bassin_sel"
RETURNED_OBJECTS = ("last_object_clicked", "last_active_drawing")
FILTER_KEY = "f_bassins"  # the sidebar's bassin filter (components.sidebar.KEYS["bassins"])


# min width (px) of the Carte page's selector columns (indicator, year, classes, number of classes, basemap): the
# longest choice of each fits (« Élèves bénéficiaires de projets de réalité virtuelle », « Seuils naturels
# (Jenks) », « Sans fond de carte »); the columns wrap onto a second row when the page is narrower
SELECTOR_WIDTHS = (440, 135, 225, 150, 200)


def render_page_style(top_room: int = THEME.map_top_room) -> None:
    """The Carte page's CSS (template `carte_page.css.j2`): the title in the band of Streamlit's header, selectors
    that wrap instead of being cut, the map's frame as tall as the screen allows below `top_room` px (its top is
    ≈ 207 px below the top of the screen at 1280×720 and 1600×1000, `tests/e2e/test_carte_1280.py`). Put the
    selectors in `st.container(key="carte_choix")`."""
    from components.phone import NARROW

    css = templates.render(
        "carte_page.css.j2",
        theme=THEME,
        widths=SELECTOR_WIDTHS,
        top_room=top_room,
        narrow=NARROW,
        phone_top_room=THEME.phone_top_room,
    )
    st.html(f"<style>{css}</style>")


# Rendered maps, per process. A map depends only on the arguments of `build_map` (its element ids are stable:
# same inputs, byte-identical HTML), so what a rerun sends for a map already drawn — the st_folium component's
# arguments, or the HTML of a static map — is kept under a digest of those arguments and sent again as is:
# streamlit-folium's own Python (two renders of the whole map, a pure-Python walk of every coordinate for
# bounds that are not returned) and folium's build are skipped (bench/map_paint.py). Bounded (LRU).
RENDERED_MAX = 48
_rendered: OrderedDict[tuple, Any] = OrderedDict()
_rendered_lock = threading.Lock()
_DIGEST_ATTR = "_observatoire_digest"


def map_digest(*args: Any, **kwargs: Any) -> str | None:
    """Digest of `build_map`'s arguments (content, not identity; the asset prefix and folium's version
    included), or None when an argument cannot be pickled (then nothing is cached)."""
    offline.use_local_assets()
    try:
        payload = pickle.dumps(
            (
                folium.__version__,
                offline.VENDOR_PREFIX,
                [_canonical(a) for a in args],
                sorted((k, _canonical(v)) for k, v in kwargs.items()),
            ),
            protocol=5,
        )
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return hashlib.blake2b(payload, digest_size=20).hexdigest()


def _canonical(value: Any) -> Any:
    """A DataFrame as its content (the bytes of its pickle depend on how it was built, not only on what it
    holds): columns, dtypes and one hash per row, index included."""
    if isinstance(value, pd.DataFrame):
        return (
            "DataFrame",
            tuple(map(str, value.columns)),
            tuple(map(str, value.dtypes)),
            pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes(),
        )
    return value


def _recall(key: tuple | None) -> Any:
    if key is None or key[0] is None:
        return None
    with _rendered_lock:
        found = _rendered.get(key)
        if found is not None:
            _rendered.move_to_end(key)
        return found


def _remember(key: tuple | None, value: Any) -> None:
    if key is None or key[0] is None or not value:
        return
    with _rendered_lock:
        _rendered[key] = value
        _rendered.move_to_end(key)
        while len(_rendered) > RENDERED_MAX:
            _rendered.popitem(last=False)


def build_map(*args: Any, **kwargs: Any) -> folium.Map:
    """`foliummap.build_map` with folium pointed at the vendored assets first (no CDN). The map carries the
    digest of its arguments: `render_map` / `render_static_map` send a map already drawn without rendering it."""
    digest = map_digest(*args, **kwargs)
    m = foliummap.build_map(*args, **kwargs)
    setattr(m, _DIGEST_ATTR, digest)
    return m


def _component_key(digest: str | None, key: str) -> tuple:
    return (digest, "st_folium", key, THEME.map_height, RETURNED_OBJECTS)


def _no_bounds() -> list[list[float | None]]:
    return [[None, None], [None, None]]


def _copy_value(key: str, hash_key: str) -> None:
    """st_folium's own on_change: the component value under the widget key the caller chose."""
    st.session_state[key] = st.session_state.get(hash_key, {})


def render_map(m: folium.Map | None, key: str, digest: str | None = None) -> dict | None:
    """Show the map through streamlit-folium; returns only click data (no rerun on pan/zoom). A map already
    drawn by this process (same digest) is sent again from the arguments kept, without rendering it: `m` may
    then be None (`render_carte_map`)."""
    import streamlit_folium

    digest = digest or getattr(m, _DIGEST_ATTR, None)
    cache_key = _component_key(digest, key)
    sent = _recall(cache_key)
    if sent is not None:
        return streamlit_folium._component_func(  # noqa: SLF001 - offline.patch_streamlit_folium's wrapper
            **{**sent, "default": dict(sent["default"]), "on_change": partial(_copy_value, key, sent["key"])}
        )
    if m is None:
        raise ValueError("render_map : carte absente et pas encore dessinée")
    if "bounds" not in RETURNED_OBJECTS:  # st_folium walks every coordinate for a value we do not return
        m.get_bounds = _no_bounds  # type: ignore[method-assign]
    with offline.capture_component_args() as sent:
        value = streamlit_folium.st_folium(
            m, key=key, height=THEME.map_height, use_container_width=True, returned_objects=list(RETURNED_OBJECTS)
        )
    _remember(cache_key, {k: v for k, v in sent.items() if k != "on_change"})
    return value


def render_carte_map(key: str, *args: Any, **kwargs: Any) -> dict | None:
    """`build_map(*args, **kwargs)` shown by `render_map`, built only when this process has not drawn it yet."""
    digest = map_digest(*args, **kwargs)
    if _recall(_component_key(digest, key)) is not None:
        return render_map(None, key, digest)
    return render_map(build_map(*args, **kwargs), key)


def render_static_map(
    m: folium.Map | None,
    key: str,
    height: int = THEME.overview_map_height,
    alt: str = "Carte",
    digest: str | None = None,
) -> None:
    """A map shown for reading only (overview): a plain same-origin iframe of the map's HTML (pan, zoom and
    popups work). Unlike `st_folium` it sends no value back, so it never triggers a rerun of the page. The HTML
    of a map already drawn (same digest) is kept: `m` may then be None (`render_overview_map`)."""
    digest = digest or getattr(m, _DIGEST_ATTR, None)
    cache_key = (digest, "html")
    html = _recall(cache_key)
    if html is None:
        if m is None:
            raise ValueError("render_static_map : carte absente et pas encore dessinée")
        html = m.get_root().render()
        _remember(cache_key, html)
    with st.container(key=key):
        st.iframe(html, height=height, alt=plain(alt))


def render_overview_map(key: str, height: int, alt: str, *args: Any, **kwargs: Any) -> None:
    """`build_map(*args, **kwargs)` shown by `render_static_map`, built only when not drawn yet."""
    digest = map_digest(*args, **kwargs)
    m = None if _recall((digest, "html")) is not None else build_map(*args, **kwargs)
    render_static_map(m, key, height, alt, digest)


def apply_click(
    value: Mapping[str, Any] | None,
    allowed: Collection[str],
    labs: pd.DataFrame | None = None,
    bassins: Mapping[str, Any] | None = None,
) -> str | None:
    """Apply a new click: on a lab marker, return the lab's code (the page opens its fiche); on a bassin,
    select it (session key `carte_bassin`) and return None. Call before `bassin_selectbox`.

    A click is applied once: an unrelated rerun returns the same click, which must not undo a selection made
    with the selectbox meanwhile.
    """
    position = click_position(value)
    last = st.session_state.get("_carte_clic")
    st.session_state["_carte_clic"] = position
    if position is None or position == last:
        return None
    lab = clicked_lab(value, labs) if labs is not None else None
    if lab:
        return lab
    code = clicked_bassin(value, allowed, bassins)
    if code:
        st.session_state[SESSION_KEY] = code
    return None


def filter_on_bassin(code: str) -> None:
    """Callback of « Filtrer sur ce bassin »: the shared bassin filter becomes this bassin (runs before the
    sidebar widgets are drawn; the sidebar then writes `bassin=` in the URL)."""
    st.session_state[FILTER_KEY] = [code]


def open_lab_fiche(code: str, params: Mapping[str, str]) -> None:
    """Open the lab's fiche on page Laboratoires (`?labo=<code>`, filters kept in the URL)."""
    from components import sidebar

    st.session_state["labo_fiche"] = code
    # st.switch_page drops the state of the widgets drawn before it in this run (the sidebar's filters): the
    # next run reads the filters back from the URL given here, as a shared link would
    st.session_state.pop(sidebar._INIT, None)  # noqa: SLF001 - the sidebar's « parsed the URL » flag
    st.switch_page("pages/laboratoires.py", query_params={**params, "labo": code})


def bassin_selectbox(options: Sequence[str], labels: Mapping[str, str], container: Any = None) -> str | None:
    """Selected bassin (or None), kept in `st.session_state["carte_bassin"]` and in the URL (`bassin_sel`)."""
    from components.sidebar import label_of

    container = container or st
    choices = ["", *options]
    if SESSION_KEY not in st.session_state:
        raw = st.query_params.get(URL_PARAM)
        if raw and raw not in options:
            st.warning(
                f"Lien : bassin {quote_value(raw, 40)} inconnu (ou hors des départements choisis), aucun "
                "bassin sélectionné.",
                icon=":material/link_off:",
            )
        st.session_state[SESSION_KEY] = raw if raw in options else ""
    elif st.session_state[SESSION_KEY] not in choices:
        st.session_state[SESSION_KEY] = ""
    names = {
        "": "— Aucun —",  # short: the panel column is narrow (the help says how to choose)
        **{c: labels.get(c, c) for c in options},
    }
    value = container.selectbox(
        "Bassin sélectionné",
        choices,
        key=SESSION_KEY,
        format_func=partial(label_of, names),
        help="Cliquez sur un bassin de la carte, ou choisissez-le ici.",
    )
    if value:
        if st.query_params.get(URL_PARAM) != value:
            st.query_params[URL_PARAM] = value
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]
    return value or None


def render_legend_text(classes: Classes, unit: str, indicator_label: str, annee: str) -> None:
    """The legend as text under the map (readable without the map, copied by screen readers)."""
    items = legend_items(classes, unit)
    counts = list(classes.counts) + ([sum(b is None for b in classes.bins)] if classes.has_missing else [])
    parts = [f"{label} ({n} bassin{'s' if n > 1 else ''})" for (_, label), n in zip(items, counts)]
    method = METHOD_PHRASES.get(classes.method, classes.method)
    st.markdown(
        f"**Légende — {escape_markdown(indicator_label)}, {annee}** (classes : {method}) : "
        + " ; ".join(escape_markdown(p) for p in parts)
        + "."
    )


def render_bassin_panel(
    code: str,
    row: Mapping[str, Any] | None,
    nb: int,
    classes_label: str | None,
    indicator_label: str,
    unit: str,
    annee: str,
    profile: pd.DataFrame,
    labs: pd.DataFrame,
    theme_labels: Mapping[str, str],
    departement: str,
    scope_note: str,
    mask: small_counts.Policy | None = None,
    rules: small_counts.Policy | None = None,
) -> None:
    """The bassin panel: chosen indicator (value, rank, class), headline indicators vs académie, its labs.
    `mask` (`Classes.mask`): a small count of people is shown `< 5`; the headline indicators follow the same
    rule (`small_counts.for_level` with `rules`, the version's policy)."""
    md = escape_markdown
    name = row["nom"] if row is not None else code
    st.subheader(f"Bassin de {md(name)}", anchor=False)
    st.caption(md(departement))
    value: Any = row["valeur"] if row is not None else None  # a number, or None / NaN: no value
    # the unit goes with the heading: the panel is narrow, a long unit would be cut in the big number
    short = unit == "%" or missing(value)
    small = mask.label if mask is not None and not missing(value) and mask.is_small(value) else None
    st.markdown(
        f"**{md(indicator_label)} ({md(annee)})**"
        + ("" if short else f" · en {md(unit if small is not None else unit_for(float(value), unit))}")
    )
    shown = format_value(value, unit) if short else small if small is not None else formatting.number(float(value))
    st.metric(f"{md(indicator_label)} ({md(annee)})", md(shown), label_visibility="collapsed")
    rank = row["rang"] if row is not None else None
    lines = [f"**Rang :** {rank_text(rank, nb)} {scope_note}"]
    if classes_label:
        lines.append(f"**Classe :** {md(classes_label)}")
    st.markdown("  \n".join(lines))
    st.markdown(f"##### Indicateurs clés ({annee})")
    if profile.empty:
        st.caption("Aucun indicateur clé disponible.")
    else:
        st.markdown(profile_markdown(profile, "bassin", rules))
        st.caption(
            "Part : part du bassin dans le total académique (indicateurs additifs). Rang : parmi les "
            "bassins de l'académie ayant une valeur."
        )
    st.markdown(f"##### Laboratoires numériques du bassin ({len(labs)})")
    if labs.empty:
        st.caption("Aucun laboratoire numérique dans ce bassin avec les filtres actuels.")
    else:
        st.markdown(labs_markdown(labs, theme_labels))


# ------------------------------------------------------------------------------------- basemap from a link

BASEMAP_KEY = "carte_fond"  # the « Fond de carte » selectbox
BASEMAP_PARAM = "fond"
_BASEMAP_OFFER = "carte_fond_propose"
BASEMAP_HOSTS = {"ign": "data.geopf.fr", "osm": "tile.openstreetmap.org"}


def basemap_from_link() -> None:
    """A shared link's `?fond=ign|osm` is never applied by itself: a basemap makes the browser load its images
    from an outside service, which only the visitor may decide, on their own device. On the Carte page's first
    run of a session the value is taken out of the URL and kept as an offer (`render_basemap_offer`); the map
    stays « Sans fond de carte » until the visitor accepts it or chooses a basemap in the selectbox. Call it
    before the « Fond de carte » selectbox."""
    if BASEMAP_KEY in st.session_state:  # the page already ran in this session: the visitor's own choice stands
        return
    raw = st.query_params.get(BASEMAP_PARAM)
    if raw in foliummap.BASEMAPS and raw != foliummap.DEFAULT_BASEMAP:
        st.session_state[_BASEMAP_OFFER] = raw
        del st.query_params[BASEMAP_PARAM]


def _accept_basemap(code: str) -> None:
    st.session_state[BASEMAP_KEY] = code
    st.session_state.pop(_BASEMAP_OFFER, None)


def _decline_basemap() -> None:
    st.session_state.pop(_BASEMAP_OFFER, None)


def render_basemap_offer() -> None:
    """The link's basemap, offered (French notice + « Afficher ce fond » / « Rester sans fond »), as long as the
    visitor has not chosen a basemap themselves."""
    code = st.session_state.get(_BASEMAP_OFFER)
    if not code:
        return
    if st.session_state.get(BASEMAP_KEY) != foliummap.DEFAULT_BASEMAP:  # chosen in the selectbox meanwhile
        st.session_state.pop(_BASEMAP_OFFER, None)
        return
    name = foliummap.BASEMAPS[code]
    with st.container(key="carte_fond_offre"):
        st.info(
            f"Ce lien propose le fond de carte « {escape_markdown(name)} ». Ses images viennent d'un service "
            f"extérieur ({escape_markdown(BASEMAP_HOSTS.get(code, name))}) : il ne s'affiche que si vous le "
            "choisissez. La carte reste pour l'instant « Sans fond de carte » (aucune connexion extérieure).",
            icon=":material/public_off:",
        )
        with st.container(horizontal=True):
            st.button(
                f"Afficher le fond « {name} »",
                key="carte_fond_accepter",
                on_click=_accept_basemap,
                args=(code,),
                icon=":material/map:",
                type="primary",
            )
            st.button(
                "Rester sans fond de carte",
                key="carte_fond_refuser",
                on_click=_decline_basemap,
                icon=":material/close:",
            )
