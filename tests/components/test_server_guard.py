"""The server's guarded patches (components/server_guard.py), checked against the INSTALLED Streamlit.

- the patches were written for this very Streamlit: version and the source of every function they replace or rely
  on (these tests fail as soon as Streamlit changes under them), and the launcher refuses another one in French;
- a foreign `Origin` is refused by Streamlit's own websocket check without any network call (sockets forbidden
  during the check), the page's own origin and localhost still accepted;
- an exception escaping the script or a button callback ends in the router's French message, never Streamlit's
  English page; a full disk is said as such;
- an unknown multi-segment path is redirected to « Page introuvable » (files and reserved routes untouched);
- uploaded files held in memory: at most `SESSION_FILES` per session (the oldest dropped), `PROCESS_BYTES` per
  process (HTTP 413 beyond), freed when their session no longer exists.

The same behaviour through a real server (and HAProxy) is in tests/e2e/test_server_edge.py."""

from __future__ import annotations

import asyncio
import errno
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from components import server_guard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _installed() -> None:
    assert server_guard.install(strict=True)


def test_written_for_the_installed_streamlit():
    import streamlit

    assert streamlit.__version__ == server_guard.WRITTEN_FOR
    assert server_guard.problems() == [], "Streamlit a changé : relire components/server_guard.py"
    assert server_guard.installed()


def test_the_launcher_refuses_another_streamlit_in_french():
    code = (
        "import sys; from components import server_guard as g; g.WRITTEN_FOR = '0.0.0'; "
        "sys.exit(g.main(['run', 'dashboard.py']))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Streamlit" in done.stderr and "0.0.0 attendu" in done.stderr and "server_guard.py" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_changed_source_is_detected(monkeypatch):
    name = next(iter(server_guard.FINGERPRINTS))
    monkeypatch.setitem(server_guard.FINGERPRINTS, name, "0" * 64)
    assert server_guard.problems() == [f"{name} a changé"]


def test_foreign_origin_refused_without_any_network_call(monkeypatch):
    from streamlit.web.server.starlette import starlette_websocket

    attempts: list[object] = []

    def forbidden(*args, **kwargs):  # noqa: ANN002, ANN003
        attempts.append(args)
        raise AssertionError("appel réseau pendant le contrôle d'origine")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    host = "127.0.0.1:8501"
    for origin in (
        "http://evil.example",
        "https://checkip.amazonaws.com",
        "null",
        "http://10.0.0.1:8501",
        "http://127.0.0.1.evil.example:8501",
    ):
        assert starlette_websocket._is_origin_allowed(origin, host) is False, origin
    assert starlette_websocket._is_origin_allowed("http://127.0.0.1:8501", host) is True  # the page itself
    assert starlette_websocket._is_origin_allowed("http://localhost:3000", host) is True
    assert starlette_websocket._is_origin_allowed(None, host) is True  # no Origin: not a browser
    assert attempts == []


def test_no_address_lookup_at_all():
    from streamlit import net_util

    assert net_util.get_external_ip() is None and net_util.get_internal_ip() is None


# ------------------------------------------------------------------------------------------------ errors


def test_an_exception_in_a_callback_ends_in_the_french_message():
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import errno as errno_module

        import streamlit as st

        def boom() -> None:
            raise RuntimeError("boom")

        def full() -> None:
            raise OSError(errno_module.ENOSPC, "No space left on device")

        st.button("Publier", key="publish", on_click=boom)
        st.button("Annuler", key="undo", on_click=full)
        st.write("page")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    at.button(key="publish").click().run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "Une erreur inattendue est survenue" in shown and "boom" not in shown
    assert "This app has encountered an error" not in str(at._tree)
    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    at.button(key="undo").click().run()
    assert not at.exception
    assert "Le disque du serveur est plein" in " ".join(e.value for e in at.error)


def test_disk_full_is_recognised_through_causes():
    import duckdb

    from observatoire import failures

    assert failures.disk_full(OSError(errno.ENOSPC, "x"))
    assert failures.disk_full(OSError(errno.EDQUOT, "x"))
    assert failures.disk_full(duckdb.IOException('IO Error: Could not write file "x": No space left on device'))
    try:
        try:
            raise OSError(errno.ENOSPC, "plein")
        except OSError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert failures.disk_full(outer)
    assert not failures.disk_full(OSError(errno.EACCES, "x")) and not failures.disk_full(ValueError("x"))
    assert not failures.disk_full(None)


# ------------------------------------------------------------------------------------------------ paths


def _call(app, path: str, method: str = "GET", query: bytes = b"") -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "query_string": query, "root_path": "", "headers": []}
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright's may be running in this thread
        pool.submit(asyncio.run, app(scope, receive, send)).result(timeout=60)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"])


def test_unknown_multi_segment_paths_are_redirected(tmp_path):
    (tmp_path / "static" / "js").mkdir(parents=True)
    (tmp_path / "static" / "js" / "index.js").write_text("//", encoding="utf-8")
    passed: list[str] = []

    async def spa(scope, receive, send) -> None:  # noqa: ANN001 - the wrapped static files
        passed.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = server_guard.UnknownPathRedirect(spa, str(tmp_path), None)
    for path in ("/a/b", "/carte/x", "/carte/static/js/index.js", "/a/../b/c"):
        status, headers = _call(app, path)
        assert status == 302 and headers[b"location"] == b"/page-introuvable", path
    status, headers = _call(app, "/carte/x", query=b"dep=57")
    assert headers[b"location"] == b"/page-introuvable?dep=57"
    for path in ("/", "/carte", "/a", "/static/js/index.js", "/carte/_stcore/health", "/_stcore/host-config"):
        assert _call(app, path)[0] == 200, path
    assert _call(app, "/a/b", method="POST")[0] == 200  # only page loads are redirected
    based = server_guard.UnknownPathRedirect(spa, str(tmp_path), "/observatoire/")
    assert _call(based, "/observatoire/a/b")[1][b"location"] == b"/observatoire/page-introuvable"


# ------------------------------------------------------------------------------------------------ uploads


def _rec(file_id: str, size: int):
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    return UploadedFileRec(file_id=file_id, name=f"{file_id}.csv", type="text/csv", data=b"x" * size)


def test_a_session_keeps_its_last_files_only():
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    for index in range(5):
        manager.add_file("s1", _rec(f"f{index}", 1000))
    manager.add_file("s2", _rec("g0", 10))
    kept = manager.file_storage["s1"]
    assert list(kept) == [f"f{i}" for i in range(5 - server_guard.SESSION_FILES, 5)]
    assert manager._total_bytes == server_guard.SESSION_FILES * 1000 + 10
    assert manager.get_files("s1", ["f4"])[0].file_id == "f4"  # the newest is there


def test_the_process_holds_a_bounded_number_of_bytes(monkeypatch):
    from starlette.exceptions import HTTPException
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    monkeypatch.setattr(server_guard, "PROCESS_BYTES", 2500)
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    manager.add_file("a", _rec("a1", 1000))
    manager.add_file("b", _rec("b1", 1000))
    with pytest.raises(HTTPException) as refused:
        manager.add_file("c", _rec("c1", 1000))
    assert refused.value.status_code == 413
    assert "c" not in manager.file_storage or not manager.file_storage["c"]
    manager.add_file("a", _rec("a1", 1200))  # replacing one's own file counts only the difference
    assert manager._total_bytes == 2200


def test_files_of_sessions_that_no_longer_exist_are_freed():
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    manager.add_file("alive", _rec("a", 100))
    manager.add_file("gone", _rec("b", 100))
    manager.add_file("gone", _rec("c", 100))
    assert server_guard.sweep(manager, lambda sid: sid == "alive") == 1
    assert list(manager.file_storage) == ["alive"] and manager._total_bytes == 100 and manager._file_count == 1


def test_the_sweeper_frees_nothing_and_raises_nothing_under_apptest(monkeypatch):
    """AppTest's runtime is a stand-in without a session manager: every session counts as alive (before: an
    AttributeError logged with its traceback every few seconds by the sweeper thread, whose formatting raced
    Streamlit's script compilation in CPython 3.11.7 — « AST constructor recursion depth mismatch »)."""
    from streamlit import runtime

    monkeypatch.setattr(runtime, "get_instance", lambda: object())
    assert server_guard._session_exists("any") is True
