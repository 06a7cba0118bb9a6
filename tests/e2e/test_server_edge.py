"""The server's edge for real: the dashboard as users start it (`python -m components.server_guard run
dashboard.py`, the e2e session server) and behind HAProxy (`scripts/serve.py`, one replica). Loopback only.

- a websocket upgrade with a foreign `Origin` is refused (403), the page's own origin accepted; through HAProxy
  the refusal comes from HAProxy itself (no `X-Served-By`: the replica never saw it);
- uploads beyond the page's limit (20 Mo) are refused by the server (413) — announced or sent chunked —, a file
  at the limit accepted; HAProxy refuses them too, and a body without Content-Length;
- `/a/b` and `/carte/x` end on « Page introuvable » in Chromium, never a blank page;
- `/carte?fond=osm` loads no tile from outside until the visitor chooses it; after the choice, the tiles are
  requested (aborted here: no network).

The bench measures the same edge under load: bench/origin_stall.py, bench/upload_memory.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench._edge import anonymous_session, foreign_upgrade, put_upload
from bench._server import Server, goto, wait_idle
from observatoire import config
from scripts.serve import Cluster, cluster, haproxy_missing_message
from tests.e2e._ui import eventually, main_text, wait_map_drawn

LIMIT = config.UPLOAD_LIMIT_BYTES
FRAMING = 512  # the multipart head and tail of bench._edge.put_upload


def _uploads(base_url: str, sizes: list[tuple[int, bool]]) -> list[int]:
    async def run() -> list[int]:
        visitor = await anonymous_session(base_url)
        try:
            loop = asyncio.get_running_loop()
            return [
                await loop.run_in_executor(
                    None,
                    lambda s=size, a=announce: put_upload(
                        base_url, visitor.session_id, visitor.cookies, s, announce_length=a
                    ),
                )
                for size, announce in sizes
            ]
        finally:
            await visitor.session.close()

    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=600)


# ------------------------------------------------------------------------------------------------ direct


def test_a_foreign_origin_is_refused_the_pages_own_accepted(streamlit_app: Server):
    assert foreign_upgrade(streamlit_app.url, "http://evil.example")[0] == 403
    assert foreign_upgrade(streamlit_app.url, "https://checkip.amazonaws.com")[0] == 403
    assert foreign_upgrade(streamlit_app.url, streamlit_app.url)[0] == 101


def test_uploads_beyond_the_limit_are_refused_by_the_server(streamlit_app: Server):
    answers = _uploads(streamlit_app.url, [(LIMIT + 1, True), (LIMIT + 1, False), (LIMIT - FRAMING, True)])
    assert answers == [413, 413, 204]


@pytest.mark.parametrize("path", ["/a/b", "/carte/x?dep=57"])
def test_unknown_multi_segment_paths_say_page_introuvable(page, streamlit_app: Server, outside, path):
    goto(page, f"{streamlit_app.url}{path}")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Page introuvable", exact=True).wait_for()  # translated as soon as it is drawn
    assert "La page demandée n'existe pas" in dialog.inner_text()
    assert "Vue d'ensemble" in main_text(page) or "Observatoire" in main_text(page)  # the home page, drawn
    assert not outside


def test_a_shared_links_basemap_loads_nothing_from_outside_until_chosen(page, streamlit_app: Server, outside):
    goto(page, f"{streamlit_app.url}/carte?fond=osm")
    offer = page.get_by_role("button", name="Afficher le fond « OpenStreetMap »")
    offer.wait_for()
    wait_map_drawn(page)  # the map's frame has loaded its scripts and drawn every bassin
    assert not [url for url, _ in outside if "openstreetmap" in url or "geopf" in url], outside
    assert "Ce lien propose le fond de carte « OpenStreetMap »" in main_text(page)
    offer.click()
    wait_idle(page)
    # the tiles are asked for (and aborted by the loopback guard) once the visitor chose

    def tiles_asked() -> bool:
        page.wait_for_timeout(50)  # Playwright delivers the routed requests while it runs (not during a sleep)
        return any("tile.openstreetmap.org" in url for url, _ in outside)

    assert eventually(tiles_asked), outside


# ------------------------------------------------------------------------------------------------ HAProxy


@pytest.fixture(scope="module")
def proxied(chromium_available: None) -> Iterator[Cluster]:
    missing = haproxy_missing_message()
    if missing:
        import os

        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true mais {missing}", pytrace=False)
        pytest.skip(missing)
    with cluster(replicas=1) as running:
        yield running


def _head(url: str, origin: str) -> tuple[int, str]:
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {origin}\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    return int(head.split()[1]), head


def test_haproxy_refuses_a_foreign_origin_itself(proxied: Cluster):
    status, head = _head(proxied.url, "http://evil.example")
    assert status == 403 and "x-served-by" not in head.lower()  # answered by HAProxy, not by a replica
    status, head = _head(proxied.url, proxied.url)
    assert status == 101 and "x-served-by: r1" in head.lower()


def test_haproxy_bounds_upload_bodies(proxied: Cluster):
    answers = _uploads(proxied.url, [(LIMIT + 1, True), (LIMIT + 1, False), (LIMIT - FRAMING, True)])
    assert answers == [413, 400, 204]
