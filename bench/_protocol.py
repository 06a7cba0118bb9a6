"""A minimal Streamlit client speaking the websocket protocol itself (no browser), for load tests.

One `ProtocolSession` plays one browser tab as Streamlit 1.67's front end does (read from
`streamlit/web/server/starlette/starlette_websocket.py`, `runtime/app_session.py` and the front-end bundle):

1. HTTP GET of the page (keeps the cookies: HAProxy's `SERVERID` stickiness cookie, Streamlit's
   `_streamlit_xsrf`), then GET `/_stcore/health` (sets the XSRF cookie as the front end's health check does);
2. websocket upgrade on `/_stcore/stream` with the same cookies, `Origin` = the page's origin and the
   sub-protocols `streamlit, <xsrf token>` (a third entry would be a session id to resume: never sent here);
3. BackMsg `rerun_script` (ClientState: query string, `page_name` from the URL path on the first run or
   `page_script_hash` on a page switch, widget states, context info, the hashes of the cached messages);
4. ForwardMsg decoded: `new_session` (run id, page hash), `navigation` (the pages), `delta` (elements, kept by
   delta path), `page_info_changed` (the URL query string the app writes), `session_status_changed`,
   `script_finished`, `session_event` (compile exception). Messages the server marks `cacheable` are kept by
   hash and their hashes sent back in `cached_message_hashes`; a later `ref_hash` message is resolved from that
   cache, as the front end's ForwardMsgCache does (there is no `/_stcore/message` endpoint any more). The front
   end's expiry is mirrored too: after each completed run (a `script_finished` other than "early for rerun",
   following a `new_session`), messages not used for more than `max_cached_message_age` runs (2, sent in
   `new_session.config`) are dropped. A `ref_hash` the cache no longer holds is what makes Streamlit's front end
   stop dispatching messages (`WebsocketConnection.handleMessage` throws « Cached ForwardMsg MISS »; the
   connection goes to FATAL_ERROR and the page stays « running »): the client then marks itself `stalled`
   and, like the browser, dispatches nothing more.

Loopback only: every URL must be `http://127.0.0.1:<port>`. Every wait is bounded (`timeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.AppPage_pb2 import AppPage
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection
from websockets.typing import Origin, Subprotocol

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "early_for_rerun",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment_ok",
}
ERROR_TEXT = "erreur inattendue"


class ProtocolError(RuntimeError):
    pass


def _check_loopback(url: str) -> None:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"loopback only: {url}")


async def http_get(
    url: str, cookies: dict[str, str], timeout: float = 30.0, *, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """Minimal HTTP/1.1 GET on loopback (no proxy, `Connection: close`); Set-Cookie values go into `cookies`,
    the response's headers (lower-case names) into `headers` when given."""
    _check_loopback(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query

    async def _do() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            head = [
                f"GET {path} HTTP/1.1",
                f"Host: {parts.netloc}",
                "Connection: close",
                "Accept: text/html,*/*",
                "Accept-Encoding: identity",
            ]
            if cookies:
                head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        header, _, body = raw.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if headers is not None:
                headers[name] = value.strip()
            if name == "set-cookie":
                pair = value.strip().split(";", 1)[0]
                key, _, val = pair.partition("=")
                if key.strip():
                    cookies[key.strip()] = val.strip()
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            body = _dechunk(body)
        return status, body

    return await asyncio.wait_for(_do(), timeout)


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(data[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)


@dataclass
class Widget:
    id: str
    kind: str  # element type: multiselect, selectbox, button…
    label: str
    options: list[str]
    path: tuple[int, ...]


@dataclass
class RunResult:
    """One script run as seen by the client: from the request to its `script_finished`."""

    status: str  # ok, compile_error, timeout, disconnected, stalled (cache miss)
    seconds: float
    run_ids: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # every script_finished seen during the wait
    deltas: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Event:
    t: float
    kind: str
    detail: str = ""


class ProtocolSession:
    """One simulated browser tab. `await open(path_and_query)` then `await change_widget(...)`,
    `await switch_page(...)`; `await close()` at the end. Not thread-safe; one asyncio loop."""

    def __init__(self, base_url: str, *, timeout: float = 60.0, keep_events: int = 400) -> None:
        _check_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.cache: dict[str, ForwardMsg] = {}
        self.elements: dict[tuple[int, ...], Element] = {}  # delta path → Element proto of the current run
        self.pages: list[AppPage] = []  # from navigation / new_session
        self.page_script_hash = ""
        self.query_string = ""
        self.widget_states: dict[str, WidgetState] = {}  # widget id → state sent with every rerun
        self.script_running = False  # last session_status_changed
        self.run_id = ""
        self.closed = False
        self.close_reason = ""
        self.events: list[Event] = []
        self.keep_events = keep_events
        self.messages = 0
        self.ref_hits = 0  # ref_hash messages resolved from the cache
        self.cache_misses: list[str] = []  # ref_hash not (any more) in the cache: a browser would stall here
        self.stalled = False
        self.max_cached_age = 2
        self._run_count = 0
        self._cached_at: dict[str, int] = {}
        self._has_new_session = False
        self.bytes_in = 0
        self._finished = asyncio.Condition()
        self._finish_seq = 0
        self._finishes: list[tuple[int, str, str, float]] = []  # (seq, status, run id, t)
        self._new_sessions: list[tuple[int, str]] = []  # (seq, run id)
        self._seq = 0
        self._deltas = 0
        self._errors: list[str] = []
        self.t0 = time.perf_counter()

    # --------------------------------------------------------------------------------------------- plumbing

    def _event(self, kind: str, detail: str = "") -> None:
        if len(self.events) < self.keep_events:
            self.events.append(Event(round(time.perf_counter() - self.t0, 3), kind, detail))

    async def connect(self, path_and_query: str = "/") -> None:
        """HTTP GET of the page and of the health check (cookies), then the websocket upgrade."""
        status, _ = await http_get(self.base_url + path_and_query, self.cookies, self.timeout)
        if status != 200:
            raise ProtocolError(f"GET {path_and_query}: HTTP {status}")
        status, body = await http_get(self.base_url + "/_stcore/health", self.cookies, self.timeout)
        if status != 200 or body.strip() != b"ok":
            raise ProtocolError(f"/_stcore/health: HTTP {status} {body[:80]!r}")
        ws_url = "ws://" + self.base_url.split("://", 1)[1] + "/_stcore/stream"
        subprotocols = [Subprotocol("streamlit")]
        if "_streamlit_xsrf" in self.cookies:
            subprotocols.append(Subprotocol(self.cookies["_streamlit_xsrf"]))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self.ws = await asyncio.wait_for(
            websockets.connect(
                ws_url,
                subprotocols=subprotocols,
                additional_headers=headers,
                origin=Origin(self.base_url),
                max_size=None,
                compression=None,
                open_timeout=self.timeout,
                ping_interval=None,
                proxy=None,
            ),
            self.timeout,
        )
        self._event("ws_open")
        self.reader = asyncio.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        ws = self.ws
        assert ws is not None  # connect() opens it before it starts this task
        try:
            async for raw in ws:
                if isinstance(raw, str):  # Streamlit sends only binary frames (ForwardMsg protos)
                    raise ProtocolError(f"trame texte inattendue : {raw[:80]!r}")
                self.bytes_in += len(raw)
                self._handle(raw)
        except websockets.ConnectionClosed as exc:
            self.close_reason = f"{exc.__class__.__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a decoding error ends the session, reported as such
            self.close_reason = f"{type(exc).__name__}: {exc}"
        finally:
            self.closed = True
            if not self.close_reason:
                self.close_reason = "closed by server"
            self._event("ws_closed", self.close_reason)
            async with self._finished:
                self._finished.notify_all()

    def _handle(self, raw: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        self.messages += 1
        kind = msg.WhichOneof("type")
        if self.stalled:  # the browser's message queue is stuck on the missing message: nothing is dispatched
            return
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self.cache_misses.append(msg.ref_hash)
                self.stalled = True
                self._errors.append(
                    f"message en cache absent (ref_hash {msg.ref_hash[:12]}) : le navigateur "
                    "cesserait de traiter les messages et resterait « running »"
                )
                self._event("cache_miss", msg.ref_hash[:12])
                asyncio.get_running_loop().create_task(self._notify())
                return
            self.ref_hits += 1
            self._cached_at[msg.ref_hash] = self._run_count
            resolved = ForwardMsg()
            resolved.CopyFrom(cached)
            resolved.metadata.CopyFrom(msg.metadata)
            msg, kind = resolved, resolved.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache.setdefault(msg.hash, msg)
            self._cached_at[msg.hash] = self._run_count
        if kind == "new_session":
            self._has_new_session = True
            if msg.new_session.HasField("config") and msg.new_session.config.max_cached_message_age:
                self.max_cached_age = msg.new_session.config.max_cached_message_age
            self.run_id = msg.metadata.run.script_run_id
            self.page_script_hash = msg.new_session.page_script_hash
            if msg.new_session.app_pages:
                self.pages = list(msg.new_session.app_pages)
            if not msg.metadata.run.fragment_ids:
                self.elements = {}
            self._seq += 1
            self._new_sessions.append((self._seq, self.run_id))
            self._event("new_session", f"run={self.run_id[:8]} page={self.page_script_hash[:8]}")
        elif kind == "navigation":
            self.pages = list(msg.navigation.app_pages)
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
            self._event("page_info", self.query_string)
        elif kind == "session_status_changed":
            self.script_running = msg.session_status_changed.script_is_running
            self._event("status", "running" if self.script_running else "not_running")
        elif kind == "delta":
            self._deltas += 1
            if msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                self.elements[tuple(msg.metadata.delta_path)] = element
                etype = element.WhichOneof("type")
                if etype == "exception":
                    self._errors.append(f"exception: {element.exception.type}: {element.exception.message[:160]}")
                elif ERROR_TEXT in _element_text(element).lower():
                    self._errors.append("« erreur inattendue » à l'écran")
        elif kind == "session_event":
            if msg.session_event.WhichOneof("type") == "script_compilation_exception":
                exc = msg.session_event.script_compilation_exception
                self._errors.append(f"compilation: {exc.type}: {exc.message[:160]}")
        elif kind == "script_finished":
            status = FINISHED.get(msg.script_finished, str(msg.script_finished))
            self._seq += 1
            self._finishes.append((self._seq, status, msg.metadata.run.script_run_id, time.perf_counter()))
            self._event("finished", f"{status} run={msg.metadata.run.script_run_id[:8]}")
            if status != "early_for_rerun" and self._has_new_session:  # the front end's incrementRunCount
                self._run_count += 1
                for key in [k for k, at in self._cached_at.items() if self._run_count - at > self.max_cached_age]:
                    self._cached_at.pop(key, None)
                    self.cache.pop(key, None)
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._finished:
            self._finished.notify_all()

    def _client_state(
        self,
        *,
        page_script_hash: str = "",
        page_name: str = "",
        query_string: str | None = None,
        first: bool = False,
        cached_hashes: list[str] | None = None,
    ) -> BackMsg:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query_string if query_string is None else query_string
        if first:  # first run of a tab: the page named by the URL path ("" = the default page)
            state.page_name = page_name
        elif page_script_hash or self.page_script_hash:  # a widget change stays on the current page
            state.page_script_hash = page_script_hash or self.page_script_hash
        for ws in self.widget_states.values():
            state.widget_states.widgets.append(ws)
        state.cached_message_hashes.extend(self.cache.keys() if cached_hashes is None else cached_hashes)
        info = state.context_info
        info.timezone = "Europe/Paris"
        info.timezone_offset = -60
        info.locale = "fr-FR"
        info.url = self.base_url + "/"
        info.is_embedded = False
        info.color_scheme = "light"
        return back

    async def _rerun(self, back: BackMsg) -> RunResult:
        """Send a rerun request and wait (bounded) for the `script_finished` of a run that STARTED after it.
        Runs ended "early for rerun" (st.switch_page, a newer request) are followed to the next run."""
        if self.closed or self.ws is None:
            return RunResult("disconnected", 0.0, errors=[self.close_reason or "non connecté"])
        self._errors = []
        deltas_before = self._deltas
        seq_sent = self._seq
        start = time.perf_counter()
        self._event("rerun_sent", back.rerun_script.page_script_hash[:8] or back.rerun_script.page_name)
        self._has_new_session = False
        await self.ws.send(back.SerializeToString())
        result = RunResult("timeout", 0.0)
        deadline = start + self.timeout

        def done() -> bool:
            started = [run for seq, run in self._new_sessions if seq > seq_sent]
            for seq, status, run, _ in self._finishes:
                if seq > seq_sent and status != "early_for_rerun" and (run in started or not run):
                    return True
            return self.closed or self.stalled

        async with self._finished:
            while not done():
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._finished.wait(), remaining)
        result.seconds = time.perf_counter() - start
        result.run_ids = [run for seq, run in self._new_sessions if seq > seq_sent]
        result.statuses = [status for seq, status, _, _ in self._finishes if seq > seq_sent]
        finals = [status for status in result.statuses if status != "early_for_rerun"]
        if self.stalled:
            result.status = "stalled"
        elif finals:
            result.status = finals[-1]
        elif self.closed:
            result.status = "disconnected"
            self._errors.append(f"déconnecté : {self.close_reason}")
        elif not result.run_ids:
            self._errors.append(
                f"exécution pas commencée en {self.timeout:.0f} s (aucun new_session : "
                "requête en attente, serveur saturé)"
            )
        else:
            self._errors.append(
                f"pas de script_finished en {self.timeout:.0f} s (exécution commencée, dernier "
                f"état reçu : {'running' if self.script_running else 'not running'})"
            )
        result.deltas = self._deltas - deltas_before
        result.errors = list(self._errors)
        return result

    # ------------------------------------------------------------------------------------------------ API

    async def open(self, path_and_query: str = "/") -> RunResult:
        """Open the page like a browser tab (HTTP GET, websocket) and wait for its first script run."""
        start = time.perf_counter()
        await self.connect(path_and_query)
        path, _, query = path_and_query.partition("?")
        self.query_string = query
        self.page_script_hash = ""
        result = await self._rerun(self._client_state(page_name=path.strip("/") or "", first=True))
        result.seconds = time.perf_counter() - start  # the whole first load, HTTP included
        return result

    def widget(self, label: str, kind: str | None = None) -> Widget | None:
        """The widget of the current run with this label (and element type), e.g. "Département", "multiselect"."""
        for path, element in self.elements.items():
            etype = element.WhichOneof("type")
            if etype is None:  # content not set (as `_element_text` allows): no widget, and getattr would raise
                continue
            proto = getattr(element, etype)
            if getattr(proto, "label", None) == label and hasattr(proto, "id") and (kind is None or kind == etype):
                options = list(getattr(proto, "options", []) or [])
                return Widget(proto.id, etype, label, options, path)
        return None

    async def set_multiselect(self, widget: Widget, values: Sequence[str]) -> RunResult:
        """What the front end sends when the user picks options: the widget's new formatted values."""
        state = WidgetState(id=widget.id)
        state.string_array_value.data.extend(values)
        self.widget_states[widget.id] = state
        return await self._rerun(self._client_state())

    async def switch_page(self, title: str, *, cached_hashes: list[str] | None = None) -> RunResult:
        """A click on a sidebar navigation link: rerun with that page's hash, the filter parameters of the URL
        dropped (the front end keeps only query-bound widget parameters on a page change)."""
        page = next((p for p in self.pages if p.page_name == title), None)
        if page is None:
            raise ProtocolError(f"page inconnue : {title!r} ({[p.page_name for p in self.pages]})")
        return await self._rerun(
            self._client_state(
                page_script_hash=page.page_script_hash, query_string="", cached_hashes=cached_hashes
            )
        )

    def texts(self) -> list[str]:
        """Every text of the current run's elements (markdown, headings, alerts, metrics, captions…)."""
        return [t for t in (_element_text(e) for e in self.elements.values()) if t]

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


def _element_text(element: Element) -> str:
    etype = element.WhichOneof("type")
    if etype is None:
        return ""
    proto = getattr(element, etype)
    for name in ("body", "label", "markdown"):
        value = getattr(proto, name, None)
        if isinstance(value, str) and value:
            extra = getattr(proto, "value", None) if etype == "metric" else None
            return f"{value} {extra}" if isinstance(extra, str) and extra else value
    if etype == "heading":
        return proto.body
    if etype == "html":
        return proto.body
    return ""
