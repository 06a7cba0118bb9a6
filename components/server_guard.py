"""The server's edge: a few guarded patches of Streamlit 1.67, applied before it serves anyone.

Start the dashboard with ``python -m components.server_guard run dashboard.py [streamlit options]`` (what
`make run`, `scripts/serve.py`, the systemd unit, the tests and the benchmark do): the patches below are installed,
then Streamlit's own command line runs, unchanged. The router also calls `install()` on every run (a no-op once
installed), so a server started with a bare ``streamlit run`` is patched from its first session on — but only the
launcher covers the very first request and the static routes (built when the server starts).

What is patched, and why:

1. **No outside request, no blocked event loop on a visitor's headers.** Streamlit's websocket origin check
   (`starlette_websocket._is_origin_allowed` → `server_util.is_url_from_allowed_origins`) looks up, for any
   `Origin` that is not the page's own, the machine's addresses: `net_util.get_internal_ip` (a UDP `connect` to
   8.8.8.8) and `net_util.get_external_ip` (an HTTP request to checkip.amazonaws.com, DNS included) — blocking
   calls inside the server's event loop, not cached when they fail. One client looping on upgrades with a
   foreign `Origin` stalled every visitor (health check 3 ms → 5 s p95). Both lookups are replaced by functions
   that answer « unknown » at once: the check then compares the origin with the page's host, localhost,
   `browser.serverAddress` and `server.corsAllowedOrigins` only — in memory — and refuses the rest (HTTP 403).
   That decision is also taken before Starlette's middlewares and routing (`ForeignOriginGate`, around the whole
   application), answered after a 1 s tarpit (an asyncio sleep: one client's loop slows to ≈ 1 attempt a second
   at no CPU cost), and counted (one log line a minute) instead of one warning line each. HAProxy refuses them
   even earlier, with the same tarpit (`deploy/haproxy.cfg.template`).
2. **French error page.** An exception that escapes the script or a widget callback (« Publier », « Annuler cet
   import »…) is shown by `error_util.show_uncaught_app_exception` as Streamlit's English « This app has
   encountered an error » with « Ask Google / Ask ChatGPT » links: replaced by the router's French message
   (`components.errors`; a full disk is said as such).
3. **Unknown multi-segment paths.** `/a/b` or `/carte/x` got the single-page application's `index.html`, whose
   relative asset URLs (`./static/js/…`) then resolve under `/carte/` and come back as HTML: a blank page. Such a
   path (not a file, not a reserved route) is redirected to `/page-introuvable` (query string kept), where
   Streamlit's front end says « Page introuvable » and opens the home page.
4. **Uploads held in memory are bounded and freed.** `server.maxUploadSize` (`.streamlit/config.toml`) bounds
   one file. Streamlit keeps every uploaded file of a session in memory (`MemoryUploadedFileManager`), also for
   sessions that never show an uploader, and frees them only when the session is shut down — which never
   happens to a session that disconnects and expires from the reconnect storage (2 min): its files stayed in
   memory for good. Here a session keeps at most `SESSION_FILES` files (the oldest are dropped: the import page
   uses one at a time), the process at most `PROCESS_BYTES` (beyond: HTTP 413), and a sweeper thread frees the
   files of sessions that no longer exist.

**Guarded**: `FINGERPRINTS` holds the SHA-256 of the source of every Streamlit function this module replaces or
relies on, as read in Streamlit `WRITTEN_FOR`. `install(strict=True)` (the launcher) refuses to start the server
when the installed Streamlit differs (version or any of those sources), in French, naming this file; the router
(`strict=False`) logs it and leaves Streamlit as it is. `tests/components/test_server_guard.py` fails as soon as
Streamlit changes under it.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from observatoire import config  # paths and limits only: light

log = logging.getLogger("observatoire")

WRITTEN_FOR = "1.67.0"
NOT_FOUND_PATH = "page-introuvable"
"""Where an unknown multi-segment path is sent: no page has this URL, so Streamlit says « Page introuvable »."""
REFUSAL_DELAY = 1.0
"""Seconds a refused foreign-origin upgrade waits before its 403 (asyncio sleep: no CPU, the event loop free): one
client's loop of upgrades is slowed to about one a second (HAProxy's `timeout tarpit` does the same)."""
SESSION_FILES = 2
"""Uploaded files one session keeps (the import page needs one; one more while a file replaces another)."""
PROCESS_BYTES = 10 * config.UPLOAD_LIMIT_BYTES
"""Uploaded bytes one server process keeps at most (ten files at the limit); beyond, an upload is refused."""
SWEEP_SECONDS = 20.0
"""How often the files of sessions that no longer exist are freed."""
_MARK = "__observatoire_guard__"

FINGERPRINTS: dict[str, str] = {
    "streamlit.net_util:get_external_ip": "90eeef84e6aa2226be078b4f1da199d597795a8211778a1a1f391f078d9646b2",
    "streamlit.net_util:get_internal_ip": "73cb5583682f5087a68d7271c658762591c8d34abe3d7f76d24246e5339f45cb",
    "streamlit.web.server.server_util:is_url_from_allowed_origins": "1554766563cdcce8c8c6656a35fb0743d7fcaf9da127dd5ffe71c931331656b1",
    "streamlit.web.server.starlette.starlette_websocket:_is_origin_allowed": "92ba72506e14686d79824054c7fc8524a5f87edd46843097016b682bf05a8d62",
    "streamlit.web.server.starlette.starlette_websocket:create_websocket_handler": "13632919b0a9cb67ccc85e1ef1421db9915469178148f8c5f9659ed7bffce2b6",
    "streamlit.web.server.starlette.starlette_server:UvicornServer.start": "163a4f4e76c724aa01709da8203314988cda74a9311f521bb77fc5db6d89dd5e",
    "streamlit.error_util:show_uncaught_app_exception": "bdfa946e75b7e92d7d6a71ed4b70cbc46d27228819dd1df94604bd31f8ed1efc",
    "streamlit.error_util:handle_user_script_exception": "b8b1e3f016403d50acc53b8f26dbbd4162163c66ca052a4ed8d95e5610524fbf",
    "streamlit.runtime.scriptrunner.exec_code:exec_func_with_error_handling": "34c0d0f447b7911b3a986596515081734e4b2efb39d14b007b9590fc47657d97",
    "streamlit.web.server.starlette.starlette_static_routes:create_streamlit_static_handler": "a4a7d65b02005f9cbf26145587bf58949f1f28c48157bb9a133c55715e4bcba2",
    "streamlit.web.server.starlette.starlette_static_routes:create_streamlit_static_assets_routes": "9dbe0379474932d62d7d8e0f556d4001fb721aa191ce0158e6764e79e3c25127",
    "streamlit.web.server.starlette.starlette_routes:create_upload_routes": "4155ed4458edce197fde57018f83d8aa2bb02d55e630e70e199508cc0d2c33f0",
    "streamlit.runtime.memory_uploaded_file_manager:MemoryUploadedFileManager": "60e295e708f95b3e3e0e9aa8c876e921aafa1bf4d019bcbd38d0116cffc359e9",
    "streamlit.runtime.websocket_session_manager:WebsocketSessionManager.get_session_info": "1af93d2ee12ae4ba0c81b769249d21472c04391e256b84bf2111681a65a71fa2",
    "streamlit.runtime.websocket_session_manager:WebsocketSessionManager.disconnect_session": "89280f8176239b3c1d91df8d89bd4841a316b9cd4f8c4ae1545482ee7233effa",
}
"""`module:qualified.name` → SHA-256 of its source in Streamlit `WRITTEN_FOR` (`python -m components.server_guard
--empreintes` prints the current ones)."""


class GuardError(RuntimeError):
    """The installed Streamlit is not the one these patches were written for (French message)."""


# ------------------------------------------------------------------------------------------------ checking


def _resolve(name: str) -> Any:
    module_name, _, qualified = name.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        target = getattr(target, part)
    return getattr(target, "__wrapped_by_guard__", target)


def fingerprint(name: str) -> str:
    """SHA-256 of the source of `module:qualified.name` as installed (the original, when already patched)."""
    return hashlib.sha256(inspect.getsource(_resolve(name)).encode("utf-8")).hexdigest()


def problems() -> list[str]:
    """What differs from the Streamlit these patches were written for (empty when it is the same)."""
    import streamlit

    found = []
    if streamlit.__version__ != WRITTEN_FOR:
        found.append(f"Streamlit {streamlit.__version__} installé, {WRITTEN_FOR} attendu")
    for name, expected in FINGERPRINTS.items():
        try:
            seen = fingerprint(name)
        except (ImportError, AttributeError, OSError, TypeError) as err:
            found.append(f"{name} introuvable ({type(err).__name__})")
            continue
        if seen != expected:
            found.append(f"{name} a changé")
    return found


def installed() -> bool:
    from streamlit import net_util

    return bool(getattr(net_util.get_external_ip, _MARK, False))


def install(*, strict: bool = False) -> bool:
    """Install every patch once per process; True when installed. A Streamlit other than `WRITTEN_FOR`:
    `GuardError` when `strict` (the launcher: the server does not start), else an error in the log and nothing
    patched (False)."""
    if installed():
        return True
    found = problems()
    if found:
        message = (
            "Protections du serveur non installées : Streamlit a changé depuis l'écriture de "
            f"components/server_guard.py ({'; '.join(found)}). Relisez ce fichier contre la nouvelle "
            "version de Streamlit, mettez à jour WRITTEN_FOR et FINGERPRINTS, puis relancez "
            "`pytest tests/components/test_server_guard.py`."
        )
        if strict:
            raise GuardError(message)
        log.error(message)
        return False
    _patch_network_lookups()
    _patch_origin_gate()
    _patch_error_display()
    _patch_static_paths()
    _patch_uploads()
    return True


def _mark(replacement: Callable, original: Callable) -> Callable:
    setattr(replacement, _MARK, True)
    replacement.__wrapped_by_guard__ = original  # type: ignore[attr-defined]
    return replacement


# ------------------------------------------------------------------------------------------------ 1. origins


def _patch_network_lookups() -> None:
    from streamlit import net_util

    def no_external_ip() -> str | None:
        """The machine's public address is never looked up (it needed an outside request)."""
        return None

    def no_internal_ip() -> str | None:
        """Nor its network address (a UDP connect to 8.8.8.8): an origin must be the page's own, localhost,
        `browser.serverAddress` or one of `server.corsAllowedOrigins`."""
        return None

    internal = net_util.get_internal_ip
    net_util.get_internal_ip = _mark(no_internal_ip, internal)
    net_util.get_external_ip = _mark(no_external_ip, net_util.get_external_ip)  # last: `installed()` reads it


class ForeignOriginGate:
    """ASGI wrapper of Streamlit's whole application: a websocket whose `Origin` Streamlit's own check refuses
    (with the lookups above removed: in memory) is closed before Starlette's middlewares and routing (HTTP 403 from
    uvicorn) — the cheapest refusal inside the process — after `REFUSAL_DELAY` (a tarpit), and counted, not
    logged one line per attempt (a loop of refused upgrades filled the log with Streamlit's warning): one line per
    minute says how many."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.refused = 0
        self._logged = 0
        self._since = time.monotonic()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") == "websocket":
            headers = dict(scope.get("headers") or [])
            origin, host = headers.get(b"origin"), headers.get(b"host")
            if origin is not None and not self._allowed(
                origin.decode("latin-1"), host.decode("latin-1") if host is not None else None
            ):
                self.refused += 1
                self._log()
                await asyncio.sleep(REFUSAL_DELAY)  # a tarpit: no CPU, but a client's loop slows to ≈ 1/s
                await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _allowed(origin: str, host: str | None) -> bool:
        from streamlit.web.server.starlette import starlette_websocket

        return starlette_websocket._is_origin_allowed(origin, host)  # noqa: SLF001 - fingerprinted above

    def _log(self) -> None:
        now = time.monotonic()
        if now - self._since >= 60.0 or self._logged == 0:
            log.warning("Connexions websocket refusées (Origin étranger) : %d depuis le démarrage.", self.refused)
            self._logged, self._since = self.refused, now

    def __getattr__(self, name: str) -> Any:  # the wrapped Starlette application's attributes (state, router…)
        return getattr(self.app, name)


def _patch_origin_gate() -> None:
    from streamlit.web.server.starlette import starlette_server

    original = starlette_server.create_starlette_app

    def create_starlette_app(runtime: Any) -> Any:
        return ForeignOriginGate(original(runtime))

    starlette_server.create_starlette_app = _mark(create_starlette_app, original)


# ------------------------------------------------------------------------------------------------ 2. errors


def _patch_error_display() -> None:
    from streamlit import error_util

    original = error_util.show_uncaught_app_exception

    def show_uncaught_app_exception(ex: BaseException) -> None:
        from components import errors

        errors.show_uncaught(ex)

    error_util.show_uncaught_app_exception = _mark(show_uncaught_app_exception, original)


# ------------------------------------------------------------------------------------------------ 3. paths


class UnknownPathRedirect:
    """ASGI wrapper of Streamlit's static files (the single-page application): a GET/HEAD of a multi-segment path
    that is neither a file nor a reserved route is redirected to `NOT_FOUND_PATH` (query string kept)."""

    def __init__(self, app: Any, directory: str, base_url: str | None) -> None:
        self.app = app
        self.directory = os.path.realpath(directory)
        self.base = "/" + (base_url or "").strip("/") if (base_url or "").strip("/") else ""

    def _unknown(self, path: str) -> bool:
        relative = path[len(self.base) :] if self.base and path.startswith(self.base) else path
        relative = relative.strip("/")
        if "/" not in relative or "_stcore/" in relative:
            # one segment: Streamlit's « Page introuvable »; `_stcore/` (also under a page's path, which the front
            # end tries first: `/carte/_stcore/health`): Streamlit's own answer, a 404 for reserved routes
            return False
        candidate = os.path.realpath(os.path.join(self.directory, relative))
        return not (candidate.startswith(self.directory + os.sep) and os.path.isfile(candidate))

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if (
            scope.get("type") == "http"
            and scope.get("method") in {"GET", "HEAD"}
            and self._unknown(scope.get("path", ""))
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            location = f"{self.base}/{NOT_FOUND_PATH}" + (f"?{query}" if query else "")
            await send(
                {
                    "type": "http.response.start",
                    "status": 302,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (b"cache-control", b"no-cache"),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # the wrapped StaticFiles' attributes (directory, html…)
        return getattr(self.app, name)


def _patch_static_paths() -> None:
    from streamlit.web.server.starlette import starlette_static_routes as routes

    original = routes.create_streamlit_static_handler

    def create_streamlit_static_handler(directory: str, base_url: str | None) -> Any:
        return UnknownPathRedirect(original(directory, base_url), directory, base_url)

    routes.create_streamlit_static_handler = _mark(create_streamlit_static_handler, original)


# ------------------------------------------------------------------------------------------------ 4. uploads


_sweeper: threading.Thread | None = None
_sweeper_lock = threading.Lock()


def _patch_uploads() -> None:
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    original = MemoryUploadedFileManager.add_file

    def add_file(self: MemoryUploadedFileManager, session_id: str, file: Any) -> None:
        with self._lock:
            held = self._total_bytes - sum(
                len(f.data) for f in self.file_storage.get(session_id, {}).values() if f.file_id == file.file_id
            )
        if held + len(file.data) > PROCESS_BYTES:
            from starlette.exceptions import HTTPException

            log.warning(
                "Dépôt refusé : %d octets de fichiers déposés déjà en mémoire (limite %d).", held, PROCESS_BYTES
            )
            raise HTTPException(status_code=413, detail="Trop de fichiers déposés sur ce serveur")
        original(self, session_id, file)
        with self._lock:  # a session keeps its last SESSION_FILES files (insertion order: the oldest first)
            storage = self.file_storage.get(session_id, {})
            while len(storage) > SESSION_FILES:
                oldest = next(iter(storage))
                dropped = storage.pop(oldest)
                self._total_bytes -= len(dropped.data)
                self._file_count -= 1
        _start_sweeper(self)

    MemoryUploadedFileManager.add_file = _mark(add_file, original)  # type: ignore[method-assign]  # a monkeypatch


def sweep(manager: Any, session_exists: Callable[[str], bool]) -> int:
    """Free the files of sessions that no longer exist (active or waiting to reconnect); the number freed."""
    with manager._lock:
        sessions = list(manager.file_storage)
    gone = [sid for sid in sessions if not session_exists(sid)]
    for sid in gone:
        manager.remove_session_files(sid)
    return len(gone)


def _session_exists(session_id: str) -> bool:
    """Is this session active, or kept for a reconnection (Streamlit's storage, 2 min)?"""
    from streamlit import runtime

    # AppTest's stand-in runtime has no session manager: nothing to free there, and no exception either (its
    # traceback, formatted in this thread, made CPython 3.11.7's `ast.parse` fail in the script's thread)
    manager = getattr(runtime.get_instance(), "_session_mgr", None)  # noqa: SLF001 - fingerprinted (get_session_info)
    if manager is None:
        return True
    return manager.get_session_info(session_id) is not None


def _start_sweeper(manager: Any) -> None:
    global _sweeper
    with _sweeper_lock:
        if _sweeper is not None and _sweeper.is_alive():
            return

        def run() -> None:
            from streamlit import runtime

            while True:
                time.sleep(SWEEP_SECONDS)
                try:
                    if not runtime.exists():
                        continue
                    freed = sweep(manager, _session_exists)
                    if freed:
                        log.info("Fichiers déposés libérés : %d session(s) terminée(s).", freed)
                except Exception:  # noqa: BLE001 - the sweeper must survive anything
                    log.exception("Nettoyage des fichiers déposés impossible")

        _sweeper = threading.Thread(target=run, name="observatoire-uploads-sweeper", daemon=True)
        _sweeper.start()


# ------------------------------------------------------------------------------------------------ launcher


def main(argv: list[str] | None = None) -> int:
    """`python -m components.server_guard run dashboard.py …`: install the patches, then Streamlit's CLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--empreintes"]:
        for name in FINGERPRINTS:
            print(f'    "{name}": "{fingerprint(name)}",')
        return 0
    try:
        install(strict=True)
    except GuardError as err:
        print(f"Erreur : {err}", file=sys.stderr)
        return 1
    from streamlit.web import cli

    return cli.main(args=args, prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
