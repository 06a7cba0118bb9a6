"""The French message of an unexpected error, the same everywhere: the router's `except`, the callbacks of the
import page, and every other failure Streamlit would otherwise show as its English « This app has encountered an
error » with « Ask Google / Ask ChatGPT » links (`components.server_guard` routes those here).

Nothing of the exception reaches the page (no type, no message, no traceback): it is logged on the server. A full
disk is said as such (`observatoire.failures`)."""

from __future__ import annotations

import logging

import streamlit as st

from components.containers import Container
from observatoire import failures

log = logging.getLogger("observatoire")

UNEXPECTED = (
    "Une erreur inattendue est survenue pendant l'affichage de cette page. Rechargez la page ; si le "
    "problème persiste, signalez-le à la DRANE avec le lien de la page."
)
ICON = ":material/error:"


def message_for(exc: BaseException | None, unexpected: str = UNEXPECTED) -> str:
    """The French text for `exc`: « disque plein » when the disk is full, else `unexpected`."""
    return failures.DISK_FULL_MESSAGE if failures.disk_full(exc) else unexpected


def render_unexpected(exc: BaseException | None, container: Container | None = None) -> None:
    """The French error box (in `container`, default: where the script is writing)."""
    (container or st).error(message_for(exc), icon=ICON)


def show_uncaught(exc: BaseException) -> None:
    """Replacement of Streamlit's `show_uncaught_app_exception` (installed by `components.server_guard`): an
    exception that escaped the script or a widget callback ends in the French message, in the main area. Never
    raises (displaying the error must not replace the original failure)."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        if get_script_run_ctx() is None:  # no page to write to (a thread of our own): the log is enough
            return
        from streamlit.delta_generator_singletons import get_dg_singleton_instance

        render_unexpected(exc, get_dg_singleton_instance().main_dg)
    except Exception:  # noqa: BLE001 - last resort: the log
        log.exception("Affichage du message d'erreur impossible")
