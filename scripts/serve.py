"""N Streamlit replicas of the dashboard behind HAProxy, on loopback (`make serve REPLICAS=N`).

    python scripts/serve.py --replicas 2 --port 8501     # foreground; Ctrl+C stops everything
    python scripts/serve.py --print-config --production --replicas 4 --port 80 --bind 0.0.0.0 \\
        > /etc/haproxy/haproxy.cfg                      # production configuration (deploy/README.md)

One Streamlit process is one Python interpreter: replicas use more cores. Each replica is `streamlit run
dashboard.py` on 127.0.0.1 (its own port, its own process group); HAProxy (Debian package) listens on the public
port, balances new visitors (`leastconn`) and pins each browser to its replica with the `SERVERID` cookie
(websocket, uploads and the st.login callback reach the process that holds the session), checks
`/_stcore/health`, keeps websockets open 1 h (`timeout tunnel`). Every replica reads the same store folder
(`OBSERVATOIRE_STORE`: immutable published versions, read-only), so an import published through any replica or
the command line is seen by all at their next rerun. The configuration is `deploy/haproxy.cfg.template`.

`cluster(...)` (a context manager) is the API of the tests and of the load client: free loopback ports, every
process in its own process group, all stopped at exit, also on an exception.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python scripts/serve.py`: the repository's packages
    sys.path.insert(0, str(ROOT))

from bench._server import LAUNCHER, ServerError, free_port, http_get  # noqa: E402
from observatoire import config  # noqa: E402 - light: paths and limits only

TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
HAPROXY = "/usr/sbin/haproxy"
COOKIE = "SERVERID"  # HAProxy's stickiness cookie; its value is the replica's name (`r1`, `r2`…)
HEALTH_TIMEOUT = 90.0  # seconds for a replica to answer /_stcore/health (several start at once on 2 cores)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
PRODUCTION_GLOBAL = """\
    user haproxy
    group haproxy
    chroot /var/lib/haproxy
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
"""


def replica_name(index: int) -> str:
    """`r1` for replica 0: the server name in haproxy.cfg and the value of its SERVERID cookie."""
    return f"r{index + 1}"


def haproxy_path() -> str | None:
    found = shutil.which("haproxy") or (HAPROXY if os.access(HAPROXY, os.X_OK) else None)
    return found


def haproxy_missing_message() -> str | None:
    """None when HAProxy is installed, else how to install it (French)."""
    if haproxy_path():
        return None
    return (
        "HAProxy introuvable : installez le paquet Debian avec `apt-get install -y haproxy` "
        "(`make serve` le fait en root)."
    )


def replica_command(port: int) -> list[str]:
    """The command of one replica: the dashboard on 127.0.0.1:`port` through the server's guard
    (`components/server_guard.py`), headless, no telemetry, no file watcher (production behaviour: the code does
    not change under running sessions)."""
    return [
        sys.executable,
        *LAUNCHER,
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def render_config(
    replica_ports: list[int],
    port: int,
    *,
    bind: str = "127.0.0.1",
    stats_socket: str,
    production: bool = False,
    certificate: str | None = None,
) -> str:
    """haproxy.cfg from the template: frontend on `bind:port`, one `server rN 127.0.0.1:P` per replica port.
    `production`: HAProxy drops to the `haproxy` user in a chroot (Debian's unit). `certificate`: a PEM file
    (certificate + key): TLS on the frontend, `secure` cookie, port 80 redirected to HTTPS."""
    if not replica_ports:
        raise ValueError("au moins un réplica")
    servers = "".join(
        f"    server {replica_name(i)} 127.0.0.1:{p} check cookie {replica_name(i)}\n"
        for i, p in enumerate(replica_ports)
    )
    address = f"[{bind}]" if ":" in bind else bind
    bind_line = f"{address}:{port}"
    frontend_extra = ""
    if certificate:
        bind_line += f" ssl crt {certificate} alpn http/1.1"
        frontend_extra = f"    bind {address}:80\n    http-request redirect scheme https unless {{ ssl_fc }}\n"
    values = {
        "replica_count": str(len(replica_ports)),
        "stats_socket": stats_socket,
        "global_extra": PRODUCTION_GLOBAL if production else "",
        "bind": bind_line,
        "scheme": "https" if certificate else "http",
        "frontend_extra": frontend_extra,
        "cookie_extra": " secure" if certificate else "",
        "servers": servers,
        "upload_limit_mb": str(config.UPLOAD_LIMIT_MB),
        "upload_limit_bytes": str(config.UPLOAD_LIMIT_BYTES),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    left = re.findall(r"\{\{\w+\}\}", text)
    if left:
        raise ValueError(f"{TEMPLATE.name} : variable(s) non remplacée(s) : {', '.join(left)}")
    return text


def _stop_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the process group (start_new_session=True: the group is ours alone), SIGKILL after `grace`."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class Replica:
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """A running cluster: `url` is HAProxy's frontend (what users open), `replica_urls` each Streamlit
    replica directly (diagnostics, never what a browser should use: no stickiness there)."""

    url: str
    port: int
    store_dir: Path
    workdir: Path
    env: dict[str, str]
    replicas: list[Replica]
    haproxy: subprocess.Popen | None  # None only while the replicas start
    config_path: Path
    stats_socket: Path
    haproxy_log: Path
    timeout: float = HEALTH_TIMEOUT
    _stopped: set[int] = field(default_factory=set)

    @property
    def replica_urls(self) -> list[str]:
        return [replica.url for replica in self.replicas]

    @property
    def replica_names(self) -> list[str]:
        return [replica_name(i) for i in range(len(self.replicas))]

    @property
    def replica_pids(self) -> list[int]:
        """PIDs of the Streamlit server processes (for CPU/RSS sampling); a stopped replica's last PID."""
        return [replica.process.pid for replica in self.replicas if replica.process is not None]

    @property
    def haproxy_pid(self) -> int:
        if self.haproxy is None:
            raise ServerError("HAProxy n'est pas encore démarré")
        return self.haproxy.pid

    # --------------------------------------------------------------------------------------------- replicas

    def _launch(self, index: int) -> None:
        replica = self.replicas[index]
        with replica.log_path.open("ab") as log:
            replica.process = subprocess.Popen(
                replica_command(replica.port),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _wait_healthy(self, index: int) -> None:
        replica = self.replicas[index]
        deadline = time.monotonic() + self.timeout
        while True:
            if replica.process is None or replica.process.poll() is not None:
                code = replica.process.returncode if replica.process else None
                raise ServerError(
                    f"le réplica {replica_name(index)} s'est arrêté (code {code}) :\n{_tail(replica.log_path)}"
                )
            with suppress(OSError):
                status, body = http_get(f"{replica.url}/_stcore/health", timeout=2)
                if status == 200 and body.strip() == b"ok":
                    return
            if time.monotonic() > deadline:
                raise ServerError(
                    f"le réplica {replica_name(index)} ne répond pas après {self.timeout:.0f} s :\n"
                    f"{_tail(replica.log_path)}"
                )
            time.sleep(0.25)

    def stop_replica(self, index: int) -> None:
        """Stop replica `index` (0-based; HAProxy's server `r{index+1}`): its process group is killed; HAProxy
        marks it DOWN after its failed health checks (see `wait_state`)."""
        process = self.replicas[index].process
        if process is not None:
            _stop_group(process)
        self._stopped.add(index)

    def start_replica(self, index: int) -> None:
        """Start replica `index` again on the same port and wait until it answers /_stcore/health."""
        process = self.replicas[index].process
        if process is not None and process.poll() is None:
            return
        self._launch(index)
        self._stopped.discard(index)
        self._wait_healthy(index)

    def replica_log(self, index: int, chars: int = 4000) -> str:
        return _tail(self.replicas[index].log_path, chars)

    def haproxy_log_tail(self, chars: int = 4000) -> str:
        return _tail(self.haproxy_log, chars)

    # ---------------------------------------------------------------------------------------------- haproxy

    def stats(self) -> list[dict[str, str]]:
        """HAProxy's `show stat` (one dict per frontend/backend/server line), from its local Unix socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.stats_socket))
            sock.sendall(b"show stat\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", errors="replace").lstrip("# ")
        return list(csv.DictReader(line for line in text.splitlines() if line.strip()))

    def server_states(self) -> dict[str, str]:
        """Replica name → HAProxy's view of it: `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up)…"""
        return {
            row["svname"]: row["status"]
            for row in self.stats()
            if row.get("pxname") == "streamlit" and row.get("svname") in self.replica_names
        }

    def wait_state(self, index: int, state: str, timeout: float = 30.0) -> float:
        """Wait until HAProxy reports replica `index` exactly `state` (`UP` or `DOWN`); returns the seconds it
        took. Raises ServerError with HAProxy's view and log after `timeout`."""
        name, start = replica_name(index), time.monotonic()
        seen = ""
        while time.monotonic() - start < timeout:
            try:
                seen = self.server_states().get(name, "")
            except OSError as error:  # HAProxy starting: its socket is not there yet
                seen = f"socket : {error}"
            if seen == state:
                return time.monotonic() - start
            time.sleep(0.2)
        raise ServerError(
            f"{name} : état HAProxy « {seen} » au lieu de « {state} » après {timeout:.0f} s\n"
            f"{self.haproxy_log_tail()}"
        )


def _base_env(store_dir: Path, data_dir: Path | None, extra_env: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ, OBSERVATOIRE_STORE=str(store_dir), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    if data_dir is not None:
        env["OBSERVATOIRE_DATA"] = str(data_dir)
    for name in PROXY_VARIABLES:  # loopback traffic never goes through a proxy
        env.pop(name, None)
    env.update(extra_env or {})
    return env


def _check_free(ports: list[int]) -> None:
    """A clear French error when a port is taken or repeated (instead of a replica dying at start)."""
    if len(set(ports)) != len(ports):
        raise ServerError(f"ports répétés : {ports}")
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                raise ServerError(
                    f"le port {port} est déjà utilisé sur 127.0.0.1 (--port / --replica-ports)"
                ) from None


def prepare_store(env: dict[str, str], store_dir: Path) -> None:
    """Publish the first data version (or refresh it) ONCE before the replicas start: `init --if-needed`.
    Otherwise every replica would try on its first visit and all but one would wait for the writers' lock."""
    done = subprocess.run(
        [sys.executable, "-m", "observatoire", "--store", str(store_dir), "init", "--if-needed"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise ServerError(f"préparation des données impossible ({store_dir}) :\n{done.stdout}{done.stderr}")


@contextmanager
def cluster(
    replicas: int = 2,
    port: int = 0,
    store_dir: Path | None = None,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    *,
    replica_ports: list[int] | None = None,
    timeout: float = HEALTH_TIMEOUT,
) -> Iterator[Cluster]:
    """Start `replicas` Streamlit replicas and HAProxy in front of them, all on 127.0.0.1; yield once every
    replica answers /_stcore/health and HAProxy sees them all UP; always stop everything.

    `port`: HAProxy's port (0: a free one). `store_dir`: the store folder shared by every replica (None: a fresh
    temporary one, like `bench._server.streamlit_server`); its current version is published or refreshed first
    (`init --if-needed`). `data_dir`: `OBSERVATOIRE_DATA`. `extra_env`: more environment variables for the
    replicas (e.g. `STREAMLIT_SECRETS_FILES`). `replica_ports`: fixed replica ports (default: free ones)."""
    if replicas < 1:
        raise ValueError("au moins un réplica")
    if replica_ports is not None and len(replica_ports) != replicas:
        raise ValueError("un port par réplica")
    executable = haproxy_path()
    if executable is None:
        raise ServerError(haproxy_missing_message())
    ports = list(replica_ports) if replica_ports else [free_port() for _ in range(replicas)]
    port = port or free_port()
    _check_free([port, *ports])
    workdir = Path(tempfile.mkdtemp(prefix="observatoire-cluster-"))
    store_dir = Path(store_dir) if store_dir is not None else workdir / "var"
    env = _base_env(store_dir, data_dir, extra_env)
    members = [Replica(port=p, log_path=workdir / f"{replica_name(i)}.log") for i, p in enumerate(ports)]
    config_path, stats_socket = workdir / "haproxy.cfg", workdir / "haproxy.sock"
    haproxy_log = workdir / "haproxy.log"
    config_path.write_text(render_config(ports, port, stats_socket=str(stats_socket)), encoding="utf-8")
    checked = subprocess.run(
        [executable, "-c", "-q", "-f", str(config_path)], capture_output=True, text=True, timeout=30
    )
    if checked.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ServerError(f"configuration HAProxy refusée :\n{checked.stdout}{checked.stderr}")
    running: Cluster | None = None
    haproxy: subprocess.Popen | None = None
    try:
        prepare_store(env, store_dir)
        running = Cluster(
            url=f"http://127.0.0.1:{port}",
            port=port,
            store_dir=store_dir,
            workdir=workdir,
            env=env,
            replicas=members,
            haproxy=None,
            config_path=config_path,
            stats_socket=stats_socket,
            haproxy_log=haproxy_log,
            timeout=timeout,
        )
        for index in range(replicas):  # all start at once, then each is waited for
            running._launch(index)
        for index in range(replicas):
            running._wait_healthy(index)
        # HAProxy last: its first health checks find every replica ready (no « no server available » at start)
        with haproxy_log.open("ab") as log:
            haproxy = subprocess.Popen(
                [executable, "-db", "-f", str(config_path)],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        running.haproxy = haproxy
        time.sleep(0.2)
        if haproxy.poll() is not None:
            raise ServerError(f"HAProxy s'est arrêté (code {haproxy.returncode}) :\n{_tail(haproxy_log)}")
        for index in range(replicas):
            running.wait_state(index, "UP", timeout=30)
        status, body = http_get(f"{running.url}/_stcore/health", timeout=5)
        if status != 200 or body.strip() != b"ok":
            raise ServerError(f"HAProxy répond {status} sur /_stcore/health")
        yield running
    finally:
        for member in members:
            if member.process is not None:
                _stop_group(member.process)
        if haproxy is not None:
            _stop_group(haproxy)
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ command


def _ports(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"liste de ports invalide : « {text} » (ex. 8601,8602)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/serve.py",
        description="Plusieurs réplicas Streamlit du tableau de bord derrière HAProxy (boucle locale).",
    )
    parser.add_argument("--replicas", type=int, default=2, help="nombre de réplicas Streamlit (défaut : 2)")
    parser.add_argument("--port", type=int, default=8501, help="port de HAProxy, l'adresse des utilisateurs")
    parser.add_argument(
        "--replica-ports",
        type=_ports,
        default=None,
        help="ports des réplicas, séparés par des virgules (défaut : 8601, 8602… ; --print-config : idem)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="dossier des versions publiées (défaut : $OBSERVATOIRE_STORE ou var/)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="affiche la configuration HAProxy rendue et s'arrête (production)",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="avec --print-config : utilisateur haproxy, chroot, socket /run/haproxy/admin.sock",
    )
    parser.add_argument(
        "--bind", default="127.0.0.1", help="avec --print-config : adresse d'écoute de HAProxy (ex. 0.0.0.0)"
    )
    parser.add_argument(
        "--certificate", default=None, help="avec --print-config : fichier PEM (certificat + clé) pour HTTPS"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.replicas < 1:
        print("--replicas : au moins 1.", file=sys.stderr)
        return 2
    ports = args.replica_ports or [8601 + i for i in range(args.replicas)]
    if len(ports) != args.replicas:
        print(f"--replica-ports : {len(ports)} port(s) pour {args.replicas} réplica(s).", file=sys.stderr)
        return 2
    if args.print_config:
        sock = "/run/haproxy/admin.sock" if args.production else "/tmp/observatoire-haproxy.sock"
        print(
            render_config(
                ports,
                args.port,
                bind=args.bind,
                stats_socket=sock,
                production=args.production,
                certificate=args.certificate,
            ),
            end="",
        )
        return 0
    missing = haproxy_missing_message()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    store_dir = args.store or config.store_dir()

    def on_signal(signum, frame) -> None:  # noqa: ANN001, ARG001 - signal handler signature
        """Ctrl+C or SIGTERM: stop everything; a second signal does not interrupt the stopping."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)  # also when started in the background (SIGINT inherited ignored)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print(
            f"Démarrage de {args.replicas} réplica(s) (ports {', '.join(map(str, ports))}) et de HAProxy…",
            flush=True,
        )
        with cluster(args.replicas, args.port, store_dir=store_dir, replica_ports=ports) as running:
            print(
                f"Tableau de bord : {running.url}  ({args.replicas} réplica(s), données : {store_dir})\n"
                f"Journaux : {running.workdir}  —  Ctrl+C pour tout arrêter.",
                flush=True,
            )
            haproxy = running.haproxy
            assert haproxy is not None, "HAProxy est démarré avant que le groupe soit prêt"
            while True:
                time.sleep(1)
                if haproxy.poll() is not None:
                    print(
                        f"HAProxy s'est arrêté (code {haproxy.returncode}) :\n{running.haproxy_log_tail()}",
                        file=sys.stderr,
                    )
                    return 1
                for index, replica in enumerate(running.replicas):
                    if index not in running._stopped and replica.process and replica.process.poll() is not None:
                        code = replica.process.returncode
                        print(
                            f"Le réplica {replica_name(index)} s'est arrêté (code {code}) : redémarrage.",
                            file=sys.stderr,
                            flush=True,
                        )
                        running.start_replica(index)
    except KeyboardInterrupt:
        print("\nArrêt des réplicas et de HAProxy.", flush=True)
    except (ServerError, OSError) as error:
        print(f"Échec du démarrage : {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
