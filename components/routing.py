"""Every run goes through the router (`dashboard.py`), even the first one of a process.

Streamlit 1.67 decides once per process, when its first session starts, whether the app is a legacy multipage
app: a `pages/` folder next to the entrypoint makes `PagesManager.uses_pages_directory` true, and the script runs
then go through Streamlit's legacy mode (`script_runner._mpa_v1`), which lists every file of `pages/` and runs the
one named by the URL by itself. `st.navigation` turns that mode off, but only once it has been called. So the
first request of a (re)started process that is a deep link (`/carte?dep=57`, the QR code of the séminaire) would
run `pages/carte.py` without the router: no shared filters, no version, no French chrome.

`leave_legacy_mode()`, called first by the router and by every page (through `page_filters()`), turns that mode
off and reruns the same URL: the rerun goes through the router, which runs the page. It costs one rerun, on the
first request of a process only. The only remaining window: a file of `pages/` that the router does not list would
still be served to that very first request, so every file of `pages/` is listed (tests/app/test_routing.py) and
a browser test opens a deep link as the first request of a fresh server (tests/e2e/test_pages_folder.py).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from observatoire.filters import Filters


def leave_legacy_mode() -> None:
    """Rerun this URL through the router if Streamlit runs this run in its legacy multipage mode."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_filters() -> Filters:
    """The shared filters the router made for this run: a page's first call."""
    leave_legacy_mode()
    return st.session_state["filters"]
