"""Two Streamlit replicas behind HAProxy (`scripts/serve.py`), used for real in Chromium through the proxy.

One cluster for the module: a store folder of its own (version 1 published here), the local OpenID Connect
provider of tests/e2e/_oidc.py and a secrets file naming the proxy's port (the st.login callback comes back
through HAProxy), two replicas and HAProxy on free loopback ports. Checked:

- both replicas and the frontend answer /_stcore/health, HAProxy sees both UP, both read the same store;
- a page of the dashboard loads through the proxy and a second page works (websocket through the proxy);
- the SERVERID cookie pins a browser context to one replica, and new contexts spread over both;
- an import published with the command line is seen by sessions on BOTH replicas at their next rerun;
- an editor signs in (callback through the proxy), uploads a file (XSRF and upload reach the session's
  replica) and publishes it: a session on the OTHER replica shows the new figure;
- a stopped replica is marked DOWN by HAProxy's health checks; new visitors, and visitors whose cookie names
  the stopped replica, still get the dashboard from the other one; it comes back UP when restarted.

Without the cluster (not `slow`): the configuration `scripts/serve.py --print-config [--production]` prints
passes `haproxy -c` and has what the deployment needs.

Expected figures come from the store (`queries.kpis` through test_versions_live's helpers), never from what the
page printed. HAProxy missing: the tests FAIL in CI (`CI=true`), are skipped with the install command elsewhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench._server import free_port, goto, http_get, wait_idle
from observatoire import versions
from scripts.serve import COOKIE, Cluster, cluster, haproxy_missing_message, haproxy_path, render_config
from tests.e2e._oidc import (
    UPLOADER,
    AuthSecrets,
    Provider,
    assert_loopback_only,
    guard_loopback,
    oidc_provider,
    secrets_toml,
    sign_in,
)
from tests.e2e._ui import main_text
from tests.e2e.conftest import VIEWPORT
from tests.e2e.test_versions_live import (
    footer,
    import_frame,
    kpi_value,
    nav,
    problems,
    publish_with_cli,
    shown_text,
    wait_kpi,
)

pytestmark = pytest.mark.e2e

EDITOR = "claire.editrice@ac-nancy-metz.fr"
USERS = {EDITOR: {"email": EDITOR, "name": "Claire Éditrice"}}
TIMEOUT = 60_000
TITLE = "Observatoire du numérique éducatif"


@dataclass
class Stack:
    cluster: Cluster
    repo: versions.Repository
    folder: Path
    auth: AuthSecrets
    provider: Provider

    @property
    def url(self) -> str:
        return self.cluster.url


@pytest.fixture(scope="module")
def haproxy_available() -> None:
    """Same policy as Chromium (tests/e2e/conftest.py): missing HAProxy FAILS in CI, skips elsewhere."""
    message = haproxy_missing_message()
    if message is None:
        return
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI=true mais {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def stack(
    haproxy_available: None, chromium_available: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("replicas")
    repo = versions.Repository(folder / "var")
    repo.init(author="tests")
    port = free_port()
    with oidc_provider(USERS) as provider:
        auth = secrets_toml(folder / "secrets.toml", port, provider, editors=[EDITOR])
        with cluster(
            2, port=port, store_dir=repo.root, extra_env={"STREAMLIT_SECRETS_FILES": str(auth.path)}
        ) as running:
            yield Stack(running, repo, folder, auth, provider)


def new_context(browser, stack: Stack, replica: str | None = None):  # noqa: ANN001, ANN201
    """A fresh browser context; `replica` (`r1`, `r2`): its SERVERID cookie set beforehand, as if it had
    already been served by that replica. `ctx.outside`: requests that tried to leave loopback (aborted)."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="fr-FR", service_workers="block")
    ctx.set_default_timeout(TIMEOUT)
    ctx.outside = guard_loopback(ctx)
    if replica:
        ctx.add_cookies([{"name": COOKIE, "value": replica, "url": stack.url}])
    return ctx


def sticky_cookie(ctx, stack: Stack) -> str | None:  # noqa: ANN001
    return next((c["value"] for c in ctx.cookies(stack.url) if c["name"] == COOKIE), None)


def served_by(ctx, stack: Stack) -> str:  # noqa: ANN001
    """The replica HAProxy sends this context's requests to (its cookies included): the X-Served-By header."""
    response = ctx.request.get(f"{stack.url}/_stcore/health")
    assert response.ok and response.text().strip() == "ok"
    return response.headers["x-served-by"]


def open_dashboard(ctx, stack: Stack, path: str = "/"):  # noqa: ANN001, ANN201
    """A new page of `ctx` on `path`, its websockets recorded in `page.sockets`; checks the app is shown."""
    page = ctx.new_page()
    page.sockets = []
    page.on("websocket", lambda ws: page.sockets.append(ws.url))
    goto(page, stack.url + path)
    assert TITLE in main_text(page) or path != "/", main_text(page)[:500] + server_errors(stack)
    assert problems(page) == [], server_errors(stack)
    return page


def server_errors(stack: Stack) -> str:
    """The tracebacks in the replicas' logs and the end of HAProxy's log (assertion messages)."""
    parts = []
    for index, name in enumerate(stack.cluster.replica_names):
        text = stack.cluster.replica_log(index, chars=200_000)
        parts += [f"\n--- {name} : {text[m.start() : m.start() + 3000]}" for m in re.finditer(r"Traceback", text)]
    return "".join(parts) + "\n--- haproxy :\n" + stack.cluster.haproxy_log_tail(2000)


def version_number(page) -> int:  # noqa: ANN001
    return int(re.search(r"n° (\d+)", footer(page)).group(1))


# ------------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("production", [False, True])
def test_the_rendered_configuration_is_valid_for_haproxy(haproxy_available, tmp_path, production):
    """What `scripts/serve.py --print-config [--production]` prints passes `haproxy -c`, with what the
    deployment needs: stickiness cookie, health checks, websocket timeout, X-Forwarded headers, no remote log."""
    text = render_config(
        [8601, 8602, 8603], 8501, stats_socket=str(tmp_path / "admin.sock"), production=production
    )
    path = tmp_path / "haproxy.cfg"
    path.write_text(text, encoding="utf-8")
    checked = subprocess.run([haproxy_path(), "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    for expected in (
        "cookie SERVERID insert indirect nocache httponly",
        "option httpchk GET /_stcore/health",
        "http-check expect status 200",
        "timeout tunnel 1h",
        "option forwardfor",
        "bind 127.0.0.1:8501",
        "server r1 127.0.0.1:8601 check cookie r1",
        "server r3 127.0.0.1:8603 check cookie r3",
    ):
        assert expected in lines, expected
    logs = [line for line in lines if line.startswith("log ")]
    assert logs == ["log stdout format raw local0 info", "log global"], logs
    assert ("user haproxy" in lines) is production and ("chroot /var/lib/haproxy" in lines) is production
    assert not re.search(r"\{\{\w+\}\}", text)


@pytest.mark.slow
def test_both_replicas_are_healthy_behind_haproxy(stack: Stack):
    running = stack.cluster
    assert len(running.replica_urls) == 2 and len(set(running.replica_urls)) == 2
    for url in [*running.replica_urls, running.url]:
        assert url.startswith("http://127.0.0.1:")
        assert http_get(f"{url}/_stcore/health") == (200, b"ok")
    assert running.server_states() == {"r1": "UP", "r2": "UP"}
    pids = running.replica_pids
    assert len(set(pids)) == 2 and running.haproxy_pid not in pids
    for pid in [*pids, running.haproxy_pid]:
        assert Path(f"/proc/{pid}").exists()
        assert os.getpgid(pid) == pid, "chaque processus dans son propre groupe"
    for pid in pids:  # every replica reads the same store folder
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert f"OBSERVATOIRE_STORE={stack.repo.root}".encode() in environ
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        assert cmdline[cmdline.index("--server.address") + 1] == "127.0.0.1"
        assert cmdline[cmdline.index("--server.fileWatcherType") + 1] == "none"


@pytest.mark.slow
def test_the_dashboard_and_a_second_page_through_the_proxy(browser, stack: Stack):
    ctx = new_context(browser, stack)
    try:
        page = open_dashboard(ctx, stack)
        replica = sticky_cookie(ctx, stack)
        assert replica in {"r1", "r2"}, ctx.cookies()
        assert version_number(page) == stack.repo.current().number
        nav(page, stack.url, "/indicateurs")  # a page switch: a rerun asked over the websocket
        page.get_by_role("heading", name="Indicateurs").first.wait_for()
        assert problems(page) == []
        nav(page, stack.url, "/")
        wait_kpi(page, shown_text(stack.repo))
        ws = f"ws://127.0.0.1:{stack.cluster.port}/_stcore/stream"
        assert page.sockets and all(url.startswith(ws) for url in page.sockets), page.sockets
        assert sticky_cookie(ctx, stack) == replica and served_by(ctx, stack) == replica
        assert ctx.outside == []
    finally:
        ctx.close()


@pytest.mark.slow
def test_the_cookie_pins_each_context_to_one_replica(browser, stack: Stack):
    contexts = [new_context(browser, stack) for _ in range(4)]
    try:
        pages = [open_dashboard(ctx, stack) for ctx in contexts]  # kept open: leastconn counts their websockets
        replicas = [sticky_cookie(ctx, stack) for ctx in contexts]
        assert set(replicas) == {"r1", "r2"}, f"les nouveaux visiteurs vont aux deux réplicas : {replicas}"
        for ctx, page, replica in zip(contexts, pages, replicas):
            assert [served_by(ctx, stack) for _ in range(3)] == [replica] * 3
            nav(page, stack.url, "/projets")
            assert problems(page) == [] and sticky_cookie(ctx, stack) == replica
        print(f"\nréplicas des 4 contextes : {replicas}")
    finally:
        for ctx in contexts:
            ctx.close()


@pytest.mark.slow
def test_an_import_from_the_command_line_is_seen_on_both_replicas(browser, stack: Stack):
    contexts = {replica: new_context(browser, stack, replica) for replica in ("r1", "r2")}
    try:
        pages = {replica: open_dashboard(ctx, stack) for replica, ctx in contexts.items()}
        before = stack.repo.current().number
        for replica, ctx in contexts.items():
            assert served_by(ctx, stack) == replica
            assert version_number(pages[replica]) == before
        value = 52_000 + before
        done = publish_with_cli(stack.repo, value, stack.folder)
        assert done.returncode == 0, done.stdout + done.stderr
        current = stack.repo.current().number
        assert current == before + 1
        expected = shown_text(stack.repo)
        for replica, page in pages.items():
            nav(page, stack.url, "/indicateurs")
            nav(page, stack.url, "/")  # the next rerun of that session
            wait_kpi(page, expected)
            assert kpi_value(page) == expected
            assert f"Version des données n° {current} " in footer(page), (replica, footer(page))
            assert sticky_cookie(contexts[replica], stack) == replica
            assert problems(page) == [], server_errors(stack)
    finally:
        for ctx in contexts.values():
            ctx.close()


@pytest.mark.slow
def test_sign_in_and_upload_through_the_proxy_reach_the_session_replica(browser, stack: Stack):
    ctx = new_context(browser, stack)
    other = None
    try:
        page = ctx.new_page()
        sign_in(page, stack.cluster, stack.provider, EDITOR)  # the st.login callback comes back through HAProxy
        replica = sticky_cookie(ctx, stack)
        assert replica in {"r1", "r2"}
        before = stack.repo.current().number
        value = 61_000 + before
        data = import_frame(stack.repo, value).to_csv(sep=";", index=False).encode("utf-8")
        page.get_by_label(UPLOADER).wait_for(state="attached")
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            files=[{"name": "replicas.csv", "mimeType": "text/csv", "buffer": data}]
        )  # XSRF-checked upload
        page.get_by_text("Fichier lisible et valide", exact=False).wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Publier", exact=True).click()
        page.get_by_text(f"Version n° {before + 1} publiée", exact=False).wait_for()
        assert stack.repo.current().number == before + 1
        assert sticky_cookie(ctx, stack) == replica and served_by(ctx, stack) == replica
        assert problems(page) == []
        # a visitor on the other replica sees the figure published through this one
        elsewhere = "r2" if replica == "r1" else "r1"
        other = new_context(browser, stack, elsewhere)
        seen = open_dashboard(other, stack)
        assert served_by(other, stack) == elsewhere
        wait_kpi(seen, shown_text(stack.repo))
        assert f"Version des données n° {before + 1} " in footer(seen)
        assert_loopback_only(ctx.outside, stack.provider)
        assert other.outside == []
    finally:
        ctx.close()
        if other is not None:
            other.close()


@pytest.mark.slow
def test_a_stopped_replica_is_marked_down_and_visitors_still_get_the_dashboard(browser, stack: Stack):
    running = stack.cluster
    contexts = [new_context(browser, stack, "r2")]
    try:
        open_session = open_dashboard(contexts[0], stack)  # a session living on r2 when it stops
        assert served_by(contexts[0], stack) == "r2"
        started = time.monotonic()
        running.stop_replica(1)
        stopped = time.monotonic() - started
        running.wait_state(1, "DOWN", timeout=30)
        seconds = time.monotonic() - started
        assert running.server_states() == {"r1": "UP", "r2": "DOWN"}
        for replica in (None, "r2"):  # a new visitor; a visitor whose cookie names the stopped replica
            ctx = new_context(browser, stack, replica)
            contexts.append(ctx)
            page = open_dashboard(ctx, stack)
            wait_kpi(page, shown_text(stack.repo))
            assert sticky_cookie(ctx, stack) == "r1" and served_by(ctx, stack) == "r1"
            assert problems(page) == []
        # the session that lived on r2: Streamlit's front end reconnects, HAProxy sends it to r1 (redispatch)
        wait_kpi(open_session, shown_text(stack.repo))
        nav(open_session, stack.url, "/indicateurs")
        open_session.get_by_role("heading", name="Indicateurs").first.wait_for()
        assert problems(open_session) == [] and sticky_cookie(contexts[0], stack) == "r1"
        print(
            f"\nréplica arrêté en {stopped:.1f} s, marqué DOWN par HAProxy {seconds:.1f} s après l'arrêt demandé"
        )
    finally:
        for ctx in contexts:
            ctx.close()
        running.start_replica(1)
        running.wait_state(1, "UP", timeout=30)
    assert running.server_states() == {"r1": "UP", "r2": "UP"}
