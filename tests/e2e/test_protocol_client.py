"""The protocol-level load client (bench/_protocol.py) against the real dashboard: a small « séminaire ».

No browser here, but the server of the e2e session (tests/e2e/conftest.py). Five tabs open shared links at
once; each gets a complete first run, changes the département filter (a sidebar widget change) and sees the
filtered page; one switches pages and comes back to the map, whose large messages then arrive as cache
references (`ref_hash`) that the client resolves. Behaviour only: no timing is asserted.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

from bench._protocol import ProtocolSession

LINKS = ["/?dep=57", "/", "/?dep=57", "/", "/?dep=57"]
MEURTHE = "54 — Meurthe-et-Moselle"


def _run_async(coroutine):  # noqa: ANN001, ANN202
    """`asyncio.run` in a thread of its own: Playwright's sync API (the browser tests of the same session) keeps an
    event loop running in the main thread, where `asyncio.run` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _heading(session: ProtocolSession) -> str:
    """The overview's title line, e.g. « Académie de Nancy-Metz — Moselle · chiffres clés … » (markdown-escaped)."""
    return next((t for t in session.texts() if "chiffres clés" in t), "").replace("\\", "")


async def _attendee(base_url: str, link: str) -> dict:
    session = ProtocolSession(base_url, timeout=120)
    try:
        first = await session.open(link)
        before = _heading(session)
        widget = session.widget("Département", "multiselect")
        changed = await session.set_multiselect(widget, [MEURTHE]) if widget else None
        return {
            "first": first,
            "before": before,
            "widget": widget,
            "changed": changed,
            "after": _heading(session),
            "query": session.query_string,
            "closed": session.closed,
        }
    finally:
        await session.close()


def test_five_sessions_first_run_filter_change_no_error(server: str) -> None:
    async def run() -> list[dict]:
        return await asyncio.gather(*[_attendee(server, link) for link in LINKS])

    results = _run_async(run())
    for link, res in zip(LINKS, results, strict=True):
        first, changed, widget = res["first"], res["changed"], res["widget"]
        assert first.status == "ok" and first.errors == [], (link, first)
        assert first.deltas > 20, (link, first.deltas)  # a whole page was drawn
        if link == "/?dep=57":  # the QR code's filter reached the session (URL → widget → heading)
            assert "Moselle ·" in res["before"] and "Meurthe" not in res["before"], res["before"]
        assert widget is not None and widget.kind == "multiselect", link
        assert MEURTHE in widget.options and widget.id.endswith("f_departements"), widget
        assert changed.status == "ok" and changed.errors == [], (link, changed)
        assert changed.deltas > 0 and len(changed.run_ids) == 1, changed
        assert "Meurthe-et-Moselle ·" in res["after"], res["after"]  # the rerun drew the filtered overview
        assert "dep=54" in res["query"].split("&"), res["query"]  # and the app mirrored it in the URL
        assert not res["closed"]


def test_page_switch_and_cached_messages(server: str) -> None:
    async def run() -> None:
        session = ProtocolSession(server, timeout=120)
        try:
            assert (await session.open("/")).status == "ok"
            titles = [page.page_name for page in session.pages]
            assert {"Vue d'ensemble", "Carte", "Indicateurs"} <= set(titles), titles
            widget = session.widget("Département", "multiselect")
            assert (await session.set_multiselect(widget, [MEURTHE])).status == "ok"
            carte = await session.switch_page("Carte")
            assert carte.status == "ok" and carte.errors == [], carte
            carte_hash = session.page_script_hash
            kinds = {e.WhichOneof("type") for e in session.elements.values()}
            assert "component_instance" in kinds, kinds  # the folium map
            assert "dep=54" in session.query_string.split("&")  # the filter survived the page switch
            assert (await session.switch_page("Indicateurs")).status == "ok"
            assert session.page_script_hash != carte_hash
            again = await session.switch_page("Carte")
            assert again.status == "ok" and again.errors == [], again
            kinds = {e.WhichOneof("type") for e in session.elements.values()}
            assert "component_instance" in kinds, kinds  # drawn again (in full, or from the client's cache)
            assert session.cache_misses == []
        finally:
            await session.close()

    _run_async(run())


def test_rerun_requested_while_the_previous_run_ends_gets_every_message(server: str) -> None:
    """The « running for 60 s » pages of bench/load.py. A browser declares the large messages it has cached
    (`cached_message_hashes`) when it SENDS a rerun request; it drops the ones unused for 2 runs when it PROCESSES
    a `script_finished`. A request sent just before the previous run's end is processed (a click, a map
    component's value, on a busy phone) declares a message that the browser then drops; Streamlit's server
    answers with a reference to it, the front end throws « Cached ForwardMsg MISS », stops dispatching messages
    and the page stays « running » (streamlit/static WebsocketConnection.handleMessage). The server must not
    answer such a request with a reference the browser can no longer resolve: the app's config turns Streamlit's
    message cache off (`global.minCachedMessageSize`)."""

    async def run() -> None:
        session = ProtocolSession(server, timeout=120)
        try:
            assert (await session.open("/")).status == "ok"
            widget = session.widget("Département", "multiselect")
            assert (await session.set_multiselect(widget, [MEURTHE])).status == "ok"
            assert (await session.switch_page("Carte")).status == "ok"  # the map: the largest messages
            assert (await session.switch_page("Indicateurs")).status == "ok"
            declared = list(session.cache)  # what the browser declares if it sends the next request now…
            assert (await session.switch_page("Laboratoires")).status == "ok"  # …before this run's end
            back = await session.switch_page("Carte", cached_hashes=declared)
            assert session.cache_misses == [], back.errors
            assert back.status == "ok" and back.errors == [], back
            kinds = {e.WhichOneof("type") for e in session.elements.values()}
            assert "component_instance" in kinds, kinds
        finally:
            await session.close()

    _run_async(run())


def test_client_cache_follows_the_front_end() -> None:
    """The client's copy of the front end's message cache, without a server: a large message is kept by hash,
    a reference resolves to it (with the reference's metadata), it expires after `max_cached_message_age`
    completed runs without use, and a reference to an expired message stalls the session as it stalls a
    browser (nothing more is dispatched)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    session = ProtocolSession("http://127.0.0.1:9", timeout=1)  # never connected

    def send(msg: ForwardMsg) -> None:
        session._handle(msg.SerializeToString())

    def new_session(run: str) -> None:
        msg = ForwardMsg()
        msg.new_session.config.max_cached_message_age = 2
        msg.metadata.run.script_run_id = run
        send(msg)

    def finished(run: str) -> None:
        msg = ForwardMsg(script_finished=ForwardMsg.FINISHED_SUCCESSFULLY)
        msg.metadata.run.script_run_id = run
        send(msg)

    def reference(path: list[int]) -> None:
        ref = ForwardMsg(ref_hash="h-map")
        ref.metadata.delta_path[:] = path
        send(ref)

    async def run() -> None:
        big = ForwardMsg(hash="h-map")
        big.metadata.cacheable = True
        big.metadata.delta_path[:] = [0, 1]
        big.delta.new_element.markdown.body = "carte " * 3000
        new_session("r1")
        send(big)
        finished("r1")
        assert list(session.cache) == ["h-map"]
        new_session("r2")
        reference([0, 4])  # used again: resolved, and its age starts again
        assert session.ref_hits == 1 and session.elements[(0, 4)].markdown.body.startswith("carte")
        finished("r2")
        new_session("r3")
        finished("r3")
        assert "h-map" in session.cache  # 2 completed runs since its last use: still there
        new_session("r4")
        finished("r4")
        assert "h-map" not in session.cache  # 3: dropped, as the browser drops it
        new_session("r5")
        reference([0, 4])
        assert session.stalled and session.cache_misses == ["h-map"]
        finished("r5")
        assert session._finishes[-1][2] == "r4"  # stalled: the r5 finish was never dispatched

    _run_async(run())
