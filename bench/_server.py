"""Shared harness for the browser tests (`tests/e2e`), the benchmark (`bench/run.py`) and the load test
(`bench/load.py`): start the dashboard as users do, launch Debian's Chromium, wait for Streamlit to be idle.

Loopback only: the server listens on 127.0.0.1, every URL built here points there, and the server is always
stopped (its whole process group) by the context manager.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = "dashboard.py"
LAUNCHER = ["-m", "components.server_guard", "run", ENTRYPOINT]
"""`python -m components.server_guard run dashboard.py`: Streamlit's own `run`, after the server's guarded patches
(no outside request on a foreign Origin, French error page, upload memory bounded…: components/server_guard.py)."""
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-proxy-server",  # loopback traffic must never go through a proxy
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
HEALTH_TIMEOUT = 60.0

# urllib without any proxy from the environment: health checks stay on loopback.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"loopback only: {url}")
    with _OPENER.open(url, timeout=timeout) as response:
        return response.status, response.read()


@dataclass
class Server:
    url: str  # base URL, no trailing slash: http://127.0.0.1:<port>
    port: int
    process: subprocess.Popen
    store_dir: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # start_new_session=True: the group is ours alone
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def streamlit_server(
    store_dir: Path | None = None,
    timeout: float = HEALTH_TIMEOUT,
    extra_args: list[str] | None = None,
    data_dir: Path | None = None,
    *,
    port: int | None = None,
    secrets_file: Path | None = None,
    app_root: Path | None = None,
    launcher: list[str] | None = None,
) -> Iterator[Server]:
    """`streamlit run dashboard.py` (through `LAUNCHER`) on a free loopback port, with a fresh store folder
    (`OBSERVATOIRE_STORE`: the app publishes the first data version itself on first use) or `store_dir`.
    `data_dir`: another data folder (`OBSERVATOIRE_DATA`, with `reference/` and `demo/`) instead of the
    repository's `data/`. `port`:
    this port instead of a free one (e.g. when a secrets file must name it in `redirect_uri`). `secrets_file`:
    the ONLY secrets file read (`--secrets.files`; a missing path means "no secrets"), instead of
    `.streamlit/secrets.toml` in the working directory and the home folder. Yields once `/_stcore/health`
    answers "ok"; always stops the server. `app_root`: run the `dashboard.py` of this folder (a copy of the
    application) instead of the repository's. `launcher`: the module arguments instead of `LAUNCHER` (the
    benchmark's « before » runs: `["-m", "streamlit", "run", ENTRYPOINT]`, Streamlit without the guard)."""
    workdir = Path(tempfile.mkdtemp(prefix="observatoire-e2e-"))
    store_dir = store_dir or workdir / "var"
    log_path = workdir / "streamlit.log"
    port = port or free_port()
    cmd = [
        sys.executable,
        *(launcher or LAUNCHER),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        *(extra_args or []),
    ]
    if secrets_file is not None:
        cmd += ["--secrets.files", str(secrets_file)]
    env = dict(os.environ, OBSERVATOIRE_STORE=str(store_dir), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    if data_dir is not None:
        env["OBSERVATOIRE_DATA"] = str(data_dir)
    else:
        env.pop("OBSERVATOIRE_DATA", None)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=app_root or ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(url=url, port=port, process=process, store_dir=store_dir, log_path=log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise ServerError(f"streamlit exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                status, body = http_get(f"{url}/_stcore/health", timeout=2)
                if status == 200 and body.strip() == b"ok":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"streamlit not healthy after {timeout:.0f} s:\n{server.log_tail()}")
            time.sleep(0.25)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ browser


def chromium_missing_message() -> str | None:
    """None when Debian's Chromium is usable, else the French/English explanation to show."""
    if Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK):
        return None
    return (
        f"Chromium introuvable ({CHROMIUM}) : installez-le avec `apt-get install -y chromium` "
        "(`make browser` le fait en root). Ne lancez jamais `playwright install`."
    )


def launch_chromium(playwright, **kwargs):  # noqa: ANN001, ANN201 - playwright types are optional here
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **kwargs)


def wait_idle(page, timeout: float = 60_000, settle_ms: int = 300) -> None:  # noqa: ANN001
    """Wait until Streamlit has finished the current run (script state "notRunning").

    Streamlit sets the attribute back to "running" a few ms after an interaction; a short settle then a
    second wait avoids returning on the state that preceded the rerun."""
    page.wait_for_selector(IDLE, state="attached", timeout=timeout)
    if settle_ms:
        page.wait_for_timeout(settle_ms)
        page.wait_for_selector(IDLE, state="attached", timeout=timeout)


DRAWN = "() => ((document.querySelector('[data-testid=\"stMain\"]') || {}).innerText || '').trim().length > 0"
"""The main area shows something: the app's first run has drawn (its script state alone can read « notRunning »
before that run starts — seen once behind HAProxy on a loaded machine: an empty page asserted)."""


def goto(page, url: str, timeout: float = 60_000) -> None:  # noqa: ANN001
    page.goto(url, wait_until="domcontentloaded", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout)
    page.wait_for_function(DRAWN, timeout=timeout)
    wait_idle(page, timeout=timeout)


def vm_rss_kib(pid: int) -> int | None:
    """Resident memory of a process (KiB) from /proc/<pid>/status, children included by the caller."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def machine_info() -> dict[str, object]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
    }


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table (first column left-aligned, the others right-aligned) under `title`."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = [title, line]
    for idx, row in enumerate(cells):
        out.append("  ".join(c.rjust(w) if idx and i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if idx == 0:
            out.append(line)
    return "\n".join(out) + "\n"


def apptest_as_a_running_server() -> None:
    """Make AppTest's runs what a running server's reruns are (the bench measures those; tests keep AppTest as it
    is). Two differences: AppTest resets Streamlit's per-process decision « legacy `pages/` folder mode » before
    EVERY run, so each of its runs is "the first run of a process" and goes through the router twice
    (components/routing.py), where a server decides it once; and AppTest makes a new ScriptCache for every run,
    so the router and the page are compiled again each time (≈ 5–18 ms), where a server compiles them once."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    if getattr(PagesManager.__init__, "_steady", False):
        return
    init = PagesManager.__init__

    def steady_init(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False  # what the router's st.navigation leaves after the first run

    steady_init._steady = True  # type: ignore[attr-defined]
    PagesManager.__init__ = steady_init  # type: ignore[method-assign]
    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[assignment,misc]  # a monkeypatch of the class
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]


# the app's pages: URL path -> file (bench/run.py times the six screen pages, bench/memory.py visits all)
PAGES = {
    "vue-ensemble": "pages/vue_ensemble.py",
    "carte": "pages/carte.py",
    "indicateurs": "pages/indicateurs.py",
    "laboratoires": "pages/laboratoires.py",
    "projets": "pages/projets.py",
    "donnees": "pages/donnees.py",
    "presentation": "pages/presentation.py",
    "importer": "pages/importer.py",
}
URLS = {name: "/" if name == "vue-ensemble" else f"/{name}" for name in PAGES}  # the default page is at "/"
SCREEN_PAGES = ("vue-ensemble", "carte", "indicateurs", "laboratoires", "projets", "donnees")  # filtered views


@dataclass(frozen=True)
class DefaultMap:
    html: str
    build_ms: float  # components.maps.build_map + render, caches warm
    indicator: str
    annee: str


def default_map() -> DefaultMap:
    """The Carte map of the default view (default indicator, last year, default classes, no basemap), built
    as the page builds it (components.maps.build_map) on the demo data published in a temporary store; the
    Streamlit caches it filled are cleared and OBSERVATOIRE_STORE restored afterwards."""
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from components import context, maps
    from observatoire import versions
    from observatoire.figures import classification, foliummap
    from observatoire.filters import Filters

    previous = os.environ.get("OBSERVATOIRE_STORE")
    with tempfile.TemporaryDirectory(prefix="observatoire-bench-map-") as tmp:
        os.environ["OBSERVATOIRE_STORE"] = tmp
        try:
            versions.Repository(Path(tmp)).init()
            context.resolve_version()  # this store's version (outside a server, the last one resolved is kept)
            filters = Filters()
            ind = foliummap.default_indicator(
                foliummap.map_indicators(context.indicators()), context.academie().indicateurs
            )
            assert ind is not None, "aucun indicateur cartographiable"
            annee = context.choices().annees[-1]
            meta = context.indicator(ind)
            values = context.values_by_bassin(ind, annee, filters).data
            classes = classification.classify(
                values["valeur"], classification.DEFAULT_METHOD, int(classification.DEFAULT_CLASSES)
            )
            labels = context.labels()
            labs = context.laboratories(filters).data
            start = time.perf_counter()
            m = maps.build_map(
                context.geojson("bassins"),
                context.geojson("departements"),
                values,
                classes,
                labs,
                indicator_label=str(meta["libelle"]),
                unit=str(meta["unite"]),
                annee=annee,
                centre=context.academie().carte_centre,
                zoom=context.academie().carte_zoom,
                basemap=foliummap.DEFAULT_BASEMAP,
                theme_labels=labels.thematiques,
                niveau_labels=labels.niveaux,
            )
            html = m.get_root().render()
            return DefaultMap(html, (time.perf_counter() - start) * 1000, ind, annee)
        finally:
            context.st.cache_data.clear()
            context.st.cache_resource.clear()
            if previous is None:
                os.environ.pop("OBSERVATOIRE_STORE", None)
            else:
                os.environ["OBSERVATOIRE_STORE"] = previous


@contextmanager
def app_at(ref: str) -> Iterator[Path]:
    """A copy of the application as it was at git `ref` (`git archive`, data included), in a temporary folder:
    the benchmark's « avant » runs serve it with `streamlit_server(app_root=…)`. Removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="observatoire-avant-"))
    try:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True, timeout=300
        )
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True, timeout=300)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
