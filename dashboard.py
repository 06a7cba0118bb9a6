"""Observatoire du numérique éducatif — entrypoint and router.

`streamlit run dashboard.py`. The pages live in `pages/`, every file of it listed below (a test checks it). The
shared filters are created here, on every run, so they persist across pages and are mirrored in the URL.
`routing.leave_legacy_mode()` first: Streamlit runs the first run of a process in its legacy multipage mode
when `pages/` exists (components/routing.py)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from components import context, errors, french, offline, phone, pinning, printing, routing, server_guard
from components.footer import render_footer
from components.sidebar import add_url_notice, render_sidebar, render_url_notices
from observatoire.config import DASHBOARD_NAME

if TYPE_CHECKING:
    from streamlit.commands.page_config import MenuKey

log = logging.getLogger("observatoire")
MENU: dict[MenuKey, str | None] = {"Get help": None, "Report a bug": None, "About": DASHBOARD_NAME + "."}

server_guard.install()  # no-op when started by `python -m components.server_guard run` (the launcher)
routing.leave_legacy_mode()  # the first run of a process too goes through this router
st.set_page_config(  # the académie's name is added once the data version is known (below)
    page_title=DASHBOARD_NAME,
    # a local image: a Material icon or an emoji here would make the browser fetch it from a third-party host
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
    layout="wide",
    # "auto": open on a wide screen, closed on arrival on a phone (≤ 768 px; components/phone.py says which
    # filters apply at the top of the page there, with a button that opens them)
    initial_sidebar_state="auto",
    menu_items=MENU,
)
offline.patch_streamlit_folium()  # map assets served by the app itself, no CDN

PAGES = [
    st.Page(
        "pages/vue_ensemble.py",
        title="Vue d'ensemble",
        icon=":material/dashboard:",
        url_path="vue-ensemble",
        default=True,
    ),
    st.Page("pages/carte.py", title="Carte", icon=":material/map:", url_path="carte"),
    st.Page("pages/indicateurs.py", title="Indicateurs", icon=":material/monitoring:", url_path="indicateurs"),
    st.Page("pages/laboratoires.py", title="Laboratoires", icon=":material/science:", url_path="laboratoires"),
    st.Page("pages/projets.py", title="Projets", icon=":material/lightbulb:", url_path="projets"),
    st.Page("pages/donnees.py", title="Données et sources", icon=":material/database:", url_path="donnees"),
    PRESENTATION := st.Page(
        "pages/presentation.py", title="Présentation", icon=":material/slideshow:", url_path="presentation"
    ),
    IMPORT := st.Page(
        "pages/importer.py", title="Importer des données", icon=":material/upload:", url_path="importer"
    ),
]

page = st.navigation(PAGES, position="sidebar")
if st.query_params.get("presentation") == "1" and page.url_path != PRESENTATION.url_path:
    # ?presentation=1 on any page: the slides of the same filters (the parameters are kept)
    st.switch_page(PRESENTATION, query_params={k: st.query_params.get_all(k) for k in st.query_params})
presenting = page.url_path == PRESENTATION.url_path
french.mount()  # Streamlit's own English chrome (menu, dialogs, toolbars) in French; renders no box
printing.mount()  # Ctrl+P: A4 landscape, content only (components/printing.py); style only, no box
if not presenting:  # the map's scripts fetched in the background: « Carte » then finds them in the cache
    offline.mount_prefetch()
notices = st.container()  # bad-URL notices: at the top of the page, filled once the page has run
try:
    link_notice = pinning.pin_from_url()  # ?version=N: this session stays on version N
    context.resolve_version()  # once per rerun: the pinned version, or the current one (one stat)
    academie = context.academie()  # as the version was published: tab title and « About » name the académie
    st.set_page_config(page_title=academie.title, menu_items={**MENU, "About": academie.about})
    pinning.sync_url()
    choices = context.choices()
    st.session_state["filters"] = render_sidebar(choices)
    if not presenting and page.url_path != IMPORT.url_path:  # the filters apply here: said on a phone
        phone.render_filter_summary(st.session_state["filters"], choices.labels)
    if link_notice:  # queued after the sidebar: its first run replaces the notices with the filters' own
        add_url_notice(link_notice)
    page.run()
except Exception as exc:  # never a traceback on screen: log it, tell the user in French
    log.exception("Erreur pendant l'affichage de la page %s", page.title)
    errors.render_unexpected(exc)  # French; « disque plein » when it is the disk
render_url_notices(notices, year_notice=not presenting)  # the slides fit the screen: no notice above them
if not presenting:  # the slides say which version they show; nothing below them on a projector
    render_footer()
