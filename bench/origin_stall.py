"""One anonymous client looping on websocket upgrades with a foreign `Origin`: do the other visitors wait, and does
the server try to reach the outside? Prints tables (no assertion).

    sudo .venv/bin/python bench/origin_stall.py                 # before / after / through HAProxy (≈ 3 min)
    sudo .venv/bin/python bench/origin_stall.py --modes apres   # avant | apres | haproxy

Streamlit 1.67's websocket origin check looked up the machine's public address (checkip.amazonaws.com, DNS
included) and its network address (a UDP connect to 8.8.8.8) for every upgrade whose Origin was not the page's
own: blocking calls in the server's event loop, not cached on failure. Modes:

  avant    the application as it was at `--avant` (git commit 315ee4f by default: main before this work), served
           by `python -m streamlit run dashboard.py`: Streamlit as it is (the defect);
  apres    `python -m components.server_guard run dashboard.py`: the server's guard (components/server_guard.py);
  haproxy  the guard behind HAProxy (scripts/serve.py, 1 replica): the foreign Origin refused by HAProxy.

For each: the p50/p95 of a visitor's `GET /_stcore/health` (one every 50 ms) alone; with a control process that
only burns one core (what a local attacker's own process costs this 2-core machine, where in real life its CPU
is not ours); then while ONE attacker (its own process) loops on foreign-origin upgrades, sequential, as fast as
answered, `--seconds` long. The ratios of the p95s (goal ≤ 3× the visitor alone); the attacker's handshakes,
their answers and durations; the server's CPU; and every `connect()` the server made during the loop, recorded
with `strace -f -e trace=connect` on the server process: outside addresses (not 127.0.0.1/::1, not a Unix
socket) must be 0.

Nothing leaves the machine, even « avant »: the whole benchmark re-executes itself in a new network namespace
(`unshare -n`, root) whose only link besides loopback is a veth pair that leads nowhere (the default route
into it: nobody answers): the unguarded server's DNS queries time out as on a firewalled server.
Without root (no namespace), only `apres` and `haproxy` run — they make no outside attempt by construction, and
strace proves it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._edge import health_latency  # noqa: E402
from bench._server import ENTRYPOINT, app_at, machine_info, streamlit_server, table  # noqa: E402

OUT_DIR = ROOT / "artifacts" / "bench"
INSIDE = "OBSERVATOIRE_BENCH_NETNS"
GOAL_RATIO = 3.0
MODES = ("avant", "apres", "haproxy")
_CONNECT = re.compile(r"connect\(\d+, \{sa_family=(AF_\w+)(.*?)\}")
_ADDR = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def sample_health(base_url: str, seconds: float, period: float = 0.05) -> list[float]:
    """A visitor's health checks, one every `period` s (or as soon as the previous one answered), for `seconds`."""
    out: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            status, took = health_latency(base_url, timeout=30)
            out.append(took if status == 200 else 30.0)
        except OSError:
            out.append(30.0)
        time.sleep(max(0.0, period - (time.monotonic() - start)))
    return out


_ATTACKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bench._edge import foreign_upgrade
end = time.monotonic() + float(sys.argv[3])
out = []
while time.monotonic() < end:
    try:
        out.append(foreign_upgrade(sys.argv[2], timeout=30))
    except OSError:
        out.append((0, 30.0))
print(json.dumps(out))
"""
_BURNER = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end: pass\n"


def attack(base_url: str, seconds: float) -> subprocess.Popen:
    """The attacker: its own process (not sharing this one's interpreter with the visitor's measures), one
    upgrade after the other, as fast as answered, for `seconds`; prints each (status, seconds) at the end."""
    return subprocess.Popen([sys.executable, "-c", _ATTACKER, str(ROOT), base_url, str(seconds)],
                            stdout=subprocess.PIPE, text=True)


def under_attack(base_url: str, seconds: float) -> tuple[list[float], list[tuple[int, float]], float]:
    """The visitor's health checks while the attacker runs; (latencies, handshakes, seconds)."""
    started = time.monotonic()
    attacker = attack(base_url, seconds)
    time.sleep(0.3)  # the attacker's interpreter has started
    during = sample_health(base_url, seconds - 0.3)
    output, _ = attacker.communicate(timeout=seconds + 120)
    return during, [tuple(h) for h in json.loads(output or "[]")], time.monotonic() - started


def with_burner(base_url: str, seconds: float) -> list[float]:
    """Control: the visitor's health checks while a process of ours only burns one core (what the attacker's
    own process costs this 2-core machine, the server untouched)."""
    burner = subprocess.Popen([sys.executable, "-c", _BURNER, str(seconds)])
    try:
        return sample_health(base_url, seconds - 0.2)
    finally:
        burner.wait(30)


def connects(trace: Path) -> dict[str, object]:
    """Parse `strace -e trace=connect` output: loopback, unix and outside attempts (with DNS ones)."""
    loopback = unix = outside = dns = 0
    targets: dict[str, int] = {}
    text = trace.read_text(encoding="utf-8", errors="replace") if trace.exists() else ""
    for match in _CONNECT.finditer(text):
        family, rest = match.group(1), match.group(2)
        if family == "AF_UNIX":
            unix += 1
            continue
        found = _ADDR.search(rest)
        address = (found.group(1) or found.group(2)) if found else "?"
        port = _PORT.search(rest)
        if address in {"127.0.0.1", "::1"} or address.startswith("127."):
            loopback += 1
            continue
        if family == "AF_UNSPEC":  # disconnecting a UDP socket: not an attempt
            continue
        outside += 1
        if port and port.group(1) == "53":
            dns += 1
        key = f"{address}:{port.group(1) if port else '?'}"
        targets[key] = targets.get(key, 0) + 1
    return {"loopback": loopback, "unix": unix, "outside": outside, "dns": dns, "targets": targets}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(values: list[float]) -> list[float]:
    return [round(1000 * percentile(values, 0.5), 1), round(1000 * percentile(values, 0.95), 1)]


def measure(mode: str, seconds: float, baseline_seconds: float, before: str) -> dict[str, object]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        if mode == "haproxy":
            from scripts.serve import cluster

            running = stack.enter_context(cluster(replicas=1))
            base_url, pid = running.url, running.replica_pids[0]
        elif mode == "avant":  # the application as it was, served by Streamlit itself
            root = stack.enter_context(app_at(before))
            server = stack.enter_context(streamlit_server(launcher=["-m", "streamlit", "run", ENTRYPOINT],
                                                          app_root=root))
            base_url, pid = server.url, server.pid
        else:
            server = stack.enter_context(streamlit_server())
            base_url, pid = server.url, server.pid
        for _ in range(3):  # warm: the first answers of a process
            health_latency(base_url)
        cpu_start, t_start = cpu_seconds(pid), time.monotonic()
        alone = sample_health(base_url, baseline_seconds)
        cpu_alone = (cpu_seconds(pid) - cpu_start) / (time.monotonic() - t_start)
        control = with_burner(base_url, baseline_seconds)
        trace = Path(stack.enter_context(_tempdir())) / "connect.txt"
        strace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), "-p", str(pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # strace attached to every thread
        cpu_start = cpu_seconds(pid)
        during, handshakes, elapsed = under_attack(base_url, seconds)
        cpu_attack = (cpu_seconds(pid) - cpu_start) / elapsed
        time.sleep(0.5)
        strace.terminate()
        strace.wait(10)
        seen = connects(trace)
    statuses: dict[str, int] = {}
    for status, _ in handshakes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    p95_alone, p95_control = percentile(alone, 0.95), percentile(control, 0.95)
    times = [t for _, t in handshakes]
    return {
        "mode": mode, "health_alone_ms": _ms(alone), "health_control_ms": _ms(control),
        "health_during_ms": _ms(during), "health_max_during_ms": round(1000 * max(during), 1) if during else None,
        "ratio_p95": round(percentile(during, 0.95) / p95_alone, 2) if p95_alone else None,
        "ratio_p95_control": round(percentile(during, 0.95) / p95_control, 2) if p95_control else None,
        "samples": [len(alone), len(control), len(during)], "handshakes": len(handshakes),
        "handshakes_per_s": round(len(handshakes) / elapsed, 2) if elapsed else None,
        "handshake_ms": [round(1000 * statistics.median(times), 1), round(1000 * percentile(times, 0.95), 1)]
        if times else None,
        "answers": statuses, "connect": seen,
        "server_cpu_percent": [round(100 * cpu_alone, 1), round(100 * cpu_attack, 1)],
    }


class _tempdir:  # noqa: N801 - a context manager used like tempfile.TemporaryDirectory
    def __enter__(self) -> str:
        import tempfile

        self.path = tempfile.mkdtemp(prefix="observatoire-strace-")
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _reexec_in_netns(argv: list[str]) -> int:
    """Run this script again in a new network namespace: loopback up, and a veth pair where nobody answers as
    the default route (DNS queries time out instead of failing at once: a firewalled server)."""
    setup = ("ip link set lo up && ip link add nul0 type veth peer name nul1 && ip addr add 10.77.0.2/24 dev nul0 "
             "&& ip link set nul0 up && ip link set nul1 up && ip route add default via 10.77.0.1 dev nul0 "
             "&& exec \"$@\"")
    env = dict(os.environ, **{INSIDE: "1"})
    return subprocess.call(["unshare", "-n", "sh", "-c", setup, "sh", sys.executable, *argv], env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES), help="avant,apres,haproxy")
    parser.add_argument("--seconds", type=float, default=20.0, help="durée de la boucle de l'attaquant")
    parser.add_argument("--baseline", type=float, default=8.0, help="durée de la mesure sans attaquant")
    parser.add_argument("--label", default="origin_stall")
    parser.add_argument("--avant", default="315ee4f", help="commit git de l'application « avant »")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(f"modes inconnus : {unknown} (possibles : {', '.join(MODES)})", file=sys.stderr)
        return 2
    if shutil.which("strace") is None:
        print("strace introuvable : apt-get install -y strace", file=sys.stderr)
        return 2
    if os.environ.get(INSIDE) != "1":
        if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip"):
            return _reexec_in_netns([str(Path(__file__).resolve()), *sys.argv[1:]])
        if "avant" in modes:
            print("« avant » demande un espace réseau isolé (root, unshare, ip) : mode retiré.", file=sys.stderr)
            modes = [m for m in modes if m != "avant"]
    info = machine_info()
    network = "celui de la machine"
    if os.environ.get(INSIDE):
        network = "espace isolé (unshare -n, route par défaut vers un lien où personne ne répond)"
    print(f"Machine : {info}\nRéseau : {network}\n")
    results = []
    for mode in modes:
        print(f"… {mode}", flush=True)
        results.append(measure(mode, args.seconds, args.baseline, args.avant))
    rows = []
    for r in results:
        c = r["connect"]
        rows.append([r["mode"], " / ".join(map(str, r["health_alone_ms"])),
                     " / ".join(map(str, r["health_control_ms"])), " / ".join(map(str, r["health_during_ms"])),
                     r["health_max_during_ms"], f"{r['ratio_p95']}×", f"{r['ratio_p95_control']}×",
                     r["handshakes"], r["handshakes_per_s"], " / ".join(map(str, r["handshake_ms"] or ["-"])),
                     ", ".join(f"{k}: {v}" for k, v in sorted(r["answers"].items())),
                     " → ".join(f"{v} %" for v in r["server_cpu_percent"]), c["outside"], c["dns"]])
    print(table(f"Boucle d'upgrades websocket avec un Origin étranger, un client, {args.seconds:.0f} s — "
                "santé d'un autre visiteur, p50 / p95 en ms (objectif : p95 ≤ "
                f"{GOAL_RATIO:.0f}× la référence seule) ; connect() du serveur pendant la boucle (strace)",
                ["mode", "seule", "témoin : 1 cœur occupé", "pendant l'attaque", "max", "ratio / seule",
                 "ratio / témoin", "handshakes", "par s", "handshake p50 / p95 ms", "réponses",
                 "CPU serveur seule → attaque", "connect hors boucle", "dont DNS"], rows))
    for r in results:
        if r["connect"]["targets"]:
            print(f"{r['mode']} : adresses tentées {r['connect']['targets']}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{args.label}.json"
    out.write_text(json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=1),
                   encoding="utf-8")
    print(f"\nRésultats : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
