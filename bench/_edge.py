"""Hostile clients of the server's edge, loopback only, every wait bounded: shared by the benchmark
(`bench/origin_stall.py`, `bench/upload_memory.py`) and the tests (`tests/e2e/test_server_edge.py`).

- `foreign_upgrade`: one websocket upgrade on `/_stcore/stream` with a foreign `Origin` (what stalled the server
  when Streamlit looked up the machine's public address for it);
- `anonymous_session`: a session opened as a browser would (no sign-in), with its session id and cookies;
- `put_upload`: a file PUT to `/_stcore/upload_file/<session>/<file>` as Streamlit's front end sends it (XSRF
  header and cookie, multipart body), streamed so that a large body costs the client no memory;
- `health_latency`: one `GET /_stcore/health`, timed.
"""

from __future__ import annotations

import base64
import os
import socket
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench._protocol import ProtocolSession


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1":
        raise ValueError(f"loopback only: {base_url}")
    return parts.hostname, parts.port or 80


def _status(sock: socket.socket) -> tuple[int, bytes]:
    """Read the response head; (status code, head)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0]
    first = head.split(b"\r\n", 1)[0].split()
    return (int(first[1]) if len(first) > 1 and first[1].isdigit() else 0), head


def foreign_upgrade(
    base_url: str, origin: str = "http://evil.example", timeout: float = 30.0
) -> tuple[int, float]:
    """One websocket upgrade with `Origin: origin`; (HTTP status, seconds until the answer)."""
    host, port = _address(base_url)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: streamlit\r\nOrigin: {origin}\r\n\r\n"
    )
    start = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request.encode("latin-1"))
        status, _ = _status(sock)
    return status, time.perf_counter() - start


def health_latency(base_url: str, timeout: float = 30.0) -> tuple[int, float]:
    """`GET /_stcore/health`; (HTTP status, seconds)."""
    host, port = _address(base_url)
    start = time.perf_counter()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(
            f"GET /_stcore/health HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode("latin-1")
        )
        status, _ = _status(sock)
    return status, time.perf_counter() - start


class _Session(ProtocolSession):
    """A protocol session that also keeps its session id (from `new_session.initialize`)."""

    session_id = ""

    def _handle(self, raw: bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "new_session" and msg.new_session.initialize.session_id:
            self.session_id = msg.new_session.initialize.session_id
        super()._handle(raw)


@dataclass
class Anonymous:
    """An open anonymous session: what `put_upload` needs."""

    session: _Session

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def cookies(self) -> dict[str, str]:
        return self.session.cookies

    @property
    def base_url(self) -> str:
        return self.session.base_url


async def anonymous_session(base_url: str, path: str = "/", timeout: float = 60.0) -> Anonymous:
    session = _Session(base_url, timeout=timeout)
    await session.open(path)
    if not session.session_id:
        raise RuntimeError("pas d'identifiant de session reçu")
    return Anonymous(session)


def put_upload(
    base_url: str,
    session_id: str,
    cookies: dict[str, str],
    size: int,
    *,
    announce_length: bool = True,
    timeout: float = 120.0,
) -> int:
    """PUT a file of `size` bytes (multipart, field `file`) to the session's upload URL; the HTTP status. The
    body is streamed in 1 MiB chunks; without `announce_length` it is sent chunked (no Content-Length)."""
    host, port = _address(base_url)
    file_id = uuid.uuid4().hex
    boundary = "----observatoire" + uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="gros.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode("latin-1")
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    total = len(head) + size + len(tail)
    xsrf = cookies.get("_streamlit_xsrf", "")
    lines = [
        f"PUT /_stcore/upload_file/{session_id}/{file_id} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Origin: http://{host}:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"X-Xsrftoken: {xsrf}",
        "Connection: close",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    lines.append(f"Content-Length: {total}" if announce_length else "Transfer-Encoding: chunked")
    chunk = b"x" * (1024 * 1024)

    def pieces():  # noqa: ANN202
        yield head
        left = size
        while left > 0:
            part = chunk[: min(left, len(chunk))]
            left -= len(part)
            yield part
        yield tail

    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            for piece in pieces():
                if announce_length:
                    sock.sendall(piece)
                else:
                    sock.sendall(f"{len(piece):x}\r\n".encode("ascii") + piece + b"\r\n")
            if not announce_length:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):  # refused before the end of the body: read the answer
            pass
        try:
            status, _ = _status(sock)
        except (ConnectionResetError, OSError):
            status = 0
    return status
