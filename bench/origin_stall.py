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

For each: visitors' `GET /_stcore/health`, one every 50 ms on a fixed schedule (open loop: a stalled server gets
as many slow answers as it stalls), p50 / p95, while ONE attacker (its own process) loops on foreign-origin
upgrades, sequential, as fast as answered — in `--cycles` alternating windows of `--window` seconds, the
attacker paused (SIGSTOP) then running (SIGCONT), the samples of each condition pooled: the other loads of this
shared 2-core machine, which drift over minutes, weigh on both alike. The ratios of the p50s and p95s (goal:
p95 ≤ 3× without the attack), and the p95 against a reference taken before the attacker existed (« avant », a
stalled server stays stalled during the pauses too); the attacker's handshakes, their answers and durations; the
server's CPU in each condition. Then the same loop again for `--seconds`, `strace -f -e trace=connect` attached
to the server process (not during the latency measures: ptrace stops the server at every system call): every
`connect()` it made; outside addresses (not 127.0.0.1/::1, not a Unix socket) must be 0.

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
import signal
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypedDict

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


class Connects(TypedDict):
    """The server's `connect()` calls seen by strace, by kind; `targets`: outside "address:port" → count."""

    loopback: int
    unix: int
    outside: int
    dns: int
    targets: dict[str, int]


class TracedConnects(Connects):
    """`Connects` of the loop under strace, with the number of the attacker's handshakes in that loop."""

    handshakes: int


class Interleaved(TypedDict):
    """What `interleaved` measured: the visitor's latencies (s) with the attacker paused / running, the
    attacker's (status, seconds) handshakes, the server's CPU % in each condition."""

    alone: list[float]
    during: list[float]
    handshakes: list[tuple[int, float]]
    cpu_percent: list[float]


class ModeResult(TypedDict):
    """One mode's row (milliseconds as [p50, p95]; ratios None when their denominator was not measured)."""

    mode: str
    health_reference_ms: list[float]
    ratio_p95_reference: float
    health_alone_ms: list[float]
    health_during_ms: list[float]
    health_max_during_ms: float | None
    ratio_p95: float | None
    ratio_p50: float | None
    samples: list[int]
    handshakes: int
    handshakes_per_s: float
    handshake_ms: list[float] | None
    answers: dict[str, int]
    connect: TracedConnects
    server_cpu_percent: list[float]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def sample_health(base_url: str, seconds: float, period: float = 0.05) -> list[float]:
    """Visitors' health checks on a fixed schedule, one every `period` s for `seconds`, whether the previous ones
    answered or not (open loop: a stalled server gets as many slow answers as the time it stalls, not one), each
    timed from its scheduled instant to its answer."""
    out: list[float] = []

    def probe(scheduled: float) -> None:
        try:
            status, _ = health_latency(base_url, timeout=60)
            out.append(time.monotonic() - scheduled if status == 200 else 60.0)
        except OSError:
            out.append(60.0)

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        tick = 0
        while (scheduled := start + tick * period) < start + seconds:
            time.sleep(max(0.0, scheduled - time.monotonic()))
            pool.submit(probe, scheduled)
            tick += 1
    return out


_ATTACKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bench._edge import foreign_upgrade
print("pret", flush=True)  # imports done: the loop starts now
end = time.monotonic() + float(sys.argv[3])
out = []
while time.monotonic() < end:
    try:
        out.append(foreign_upgrade(sys.argv[2], timeout=30))
    except OSError:
        out.append((0, 30.0))
print(json.dumps(out))
"""


def attack(base_url: str, seconds: float) -> subprocess.Popen[str]:
    """The attacker: its own process (not sharing this one's interpreter with the visitor's measures), one
    upgrade after the other, as fast as answered, for `seconds`; prints each (status, seconds) at the end."""
    return subprocess.Popen(
        [sys.executable, "-c", _ATTACKER, str(ROOT), base_url, str(seconds)], stdout=subprocess.PIPE, text=True
    )


def wait_ready(attacker: subprocess.Popen[str]) -> None:
    """Wait for the attacker's « pret » (its interpreter's start-up is not measured). Not an `assert`: under
    `python -O` the assert, and the readline inside it, would vanish and the measure would start at once."""
    assert attacker.stdout is not None  # attack() opens it with stdout=PIPE
    line = attacker.stdout.readline().strip()
    if line != "pret":
        raise RuntimeError(f"attaquant : « pret » attendu, reçu {line!r}")


def under_attack(base_url: str, seconds: float) -> tuple[list[float], list[tuple[int, float]], float]:
    """The visitor's health checks while the attacker runs; (latencies, handshakes, seconds)."""
    attacker = attack(base_url, seconds)
    wait_ready(attacker)
    started = time.monotonic()
    during = sample_health(base_url, seconds)
    output, _ = attacker.communicate(timeout=seconds + 120)
    return during, [tuple(h) for h in json.loads(output or "[]")], time.monotonic() - started


def interleaved(base_url: str, pid: int, cycles: int, window: float) -> Interleaved:
    """`cycles` × (`window` s with the attacker paused by SIGSTOP, `window` s with it running): the visitor's
    health checks of both conditions are pooled, so that the other loads of this shared machine, which drift
    over minutes, weigh on both alike. Also the server's CPU in each condition."""
    attacker = attack(base_url, cycles * 2 * window + 5)
    wait_ready(attacker)
    alone: list[float] = []
    during: list[float] = []
    cpu = {"alone": 0.0, "attack": 0.0}
    try:
        for _ in range(cycles):
            for condition, samples, signum in (
                ("alone", alone, signal.SIGSTOP),
                ("attack", during, signal.SIGCONT),
            ):
                attacker.send_signal(signum)
                before = cpu_seconds(pid)
                samples.extend(sample_health(base_url, window))
                cpu[condition] += cpu_seconds(pid) - before
    finally:
        attacker.send_signal(signal.SIGCONT)
    output, _ = attacker.communicate(timeout=120)
    handshakes: list[tuple[int, float]] = [tuple(h) for h in json.loads(output or "[]")]
    return {
        "alone": alone,
        "during": during,
        "handshakes": handshakes,
        "cpu_percent": [
            round(100 * cpu["alone"] / (cycles * window), 1),
            round(100 * cpu["attack"] / (cycles * window), 1),
        ],
    }


def connects(trace: Path) -> Connects:
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


def measure(mode: str, seconds: float, cycles: int, window: float, before: str) -> ModeResult:
    from contextlib import ExitStack

    with ExitStack() as stack:
        if mode == "haproxy":
            from scripts.serve import cluster

            running = stack.enter_context(cluster(replicas=1))
            base_url, pid = running.url, running.replica_pids[0]
        elif mode == "avant":  # the application as it was, served by Streamlit itself
            root = stack.enter_context(app_at(before))
            server = stack.enter_context(
                streamlit_server(launcher=["-m", "streamlit", "run", ENTRYPOINT], app_root=root)
            )
            base_url, pid = server.url, server.pid
        else:
            server = stack.enter_context(streamlit_server())
            base_url, pid = server.url, server.pid
        for _ in range(3):  # warm: the first answers of a process
            health_latency(base_url)
        reference = sample_health(base_url, cycles * window / 2)  # before any attacker exists
        measured = interleaved(base_url, pid, cycles, window)
        # the same loop again, strace attached (ptrace stops the server at every system call: its latencies are
        # not the ones above, measured untraced): every connect() the server makes
        trace = Path(stack.enter_context(_tempdir())) / "connect.txt"
        strace = subprocess.Popen(
            ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), "-p", str(pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # strace attached to every thread
        _, traced, _ = under_attack(base_url, seconds)
        time.sleep(0.5)
        strace.terminate()
        strace.wait(10)
        seen = TracedConnects(**connects(trace), handshakes=len(traced))
    alone, during, handshakes = measured["alone"], measured["during"], measured["handshakes"]
    statuses: dict[str, int] = {}
    for status, _ in handshakes + traced:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    p95_alone = percentile(alone, 0.95)
    times = [t for _, t in handshakes]
    return {
        "mode": mode,
        "health_reference_ms": _ms(reference),
        "ratio_p95_reference": round(percentile(during, 0.95) / percentile(reference, 0.95), 2),
        "health_alone_ms": _ms(alone),
        "health_during_ms": _ms(during),
        "health_max_during_ms": round(1000 * max(during), 1) if during else None,
        "ratio_p95": round(percentile(during, 0.95) / p95_alone, 2) if p95_alone else None,
        "ratio_p50": round(percentile(during, 0.5) / percentile(alone, 0.5), 2) if alone else None,
        "samples": [len(alone), len(during)],
        "handshakes": len(handshakes),
        "handshakes_per_s": round(len(handshakes) / (cycles * window), 2),
        "handshake_ms": [round(1000 * statistics.median(times), 1), round(1000 * percentile(times, 0.95), 1)]
        if times
        else None,
        "answers": statuses,
        "connect": seen,
        "server_cpu_percent": measured["cpu_percent"],
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
    setup = (
        "ip link set lo up && ip link add nul0 type veth peer name nul1 && ip addr add 10.77.0.2/24 dev nul0 "
        "&& ip link set nul0 up && ip link set nul1 up && ip route add default via 10.77.0.1 dev nul0 "
        '&& exec "$@"'
    )
    env = dict(os.environ, **{INSIDE: "1"})
    return subprocess.call(["unshare", "-n", "sh", "-c", setup, "sh", sys.executable, *argv], env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default=",".join(MODES), help="avant,apres,haproxy")
    parser.add_argument("--seconds", type=float, default=20.0, help="durée de la boucle sous strace")
    parser.add_argument("--cycles", type=int, default=10, help="alternances sans / avec l'attaquant")
    parser.add_argument("--window", type=float, default=3.0, help="secondes de chaque fenêtre")
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
    results: list[ModeResult] = []
    for mode in modes:
        print(f"… {mode}", flush=True)
        results.append(measure(mode, args.seconds, args.cycles, args.window, args.avant))
    rows: list[list[object]] = []
    for r in results:
        c = r["connect"]
        rows.append(
            [
                r["mode"],
                " / ".join(map(str, r["health_reference_ms"])),
                f"{r['ratio_p95_reference']}×",
                " / ".join(map(str, r["health_alone_ms"])),
                " / ".join(map(str, r["health_during_ms"])),
                r["health_max_during_ms"],
                f"{r['ratio_p50']}×",
                f"{r['ratio_p95']}×",
                r["handshakes"],
                r["handshakes_per_s"],
                " / ".join(map(str, r["handshake_ms"])) if r["handshake_ms"] else "-",
                ", ".join(f"{k}: {v}" for k, v in sorted(r["answers"].items())),
                " → ".join(f"{v} %" for v in r["server_cpu_percent"]),
                c["handshakes"],
                c["outside"],
                c["dns"],
            ]
        )
    print(
        table(
            "Boucle d'upgrades websocket avec un Origin étranger, un client, "
            f"{args.cycles} × {args.window:.0f} s en alternance avec des pauses — santé d'un autre visiteur, "
            f"p50 / p95 en ms (objectif : p95 ≤ {GOAL_RATIO:.0f}× sans l'attaque) ; connect() du serveur "
            f"pendant {args.seconds:.0f} s de boucle (strace)",
            [
                "mode",
                "référence",
                "ratio p95 / référence",
                "sans attaque (alterné)",
                "pendant l'attaque",
                "max",
                "ratio p50",
                "ratio p95",
                "handshakes",
                "par s",
                "handshake p50 / p95 ms",
                "réponses",
                "CPU serveur sans → avec",
                "handshakes sous strace",
                "connect hors boucle",
                "dont DNS",
            ],
            rows,
        )
    )
    for r in results:
        if r["connect"]["targets"]:
            print(f"{r['mode']} : adresses tentées {r['connect']['targets']}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{args.label}.json"
    out.write_text(
        json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(f"\nRésultats : {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
