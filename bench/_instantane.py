"""The QR path of the séminaire scenario (`bench/seminaire.py --scenarios qr`): the title slide's QR code leads to
the published « instantané de séance », a static HTML file the server hands out without running any script.

Before the burst, the bench publishes the instantané of the séance (`/?dep=57` on the current data version) as
the Présentation page does (`observatoire.publication`, the server's own store secret, so the address is the
one the page would show), into the app's `static/instantanes/` (removed afterwards). Then N attendees (150) GET
its address over the ramp (30 s): plain HTTP/1.1 GETs on loopback (`bench._protocol.http_get`, a new connection
each, like phones), through HAProxy when there are replicas; a fetch is counted as an error when the status is
not 200, the type not `text/html` or the body not the published file's size. Then a share of them (20 %), after
reading it, open the live dashboard (« Ouvrir le tableau de bord »: the same filters and version) with the
protocol-level client: time to the first complete page as in the live scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench._protocol import ProtocolSession, http_get

SEANCE = {"dep": "57"}  # the séance whose QR code the room scans (the séminaire slides' Moselle link)


@dataclass(frozen=True)
class Published:
    path: str  # /app/static/instantanes/<token>.html
    live: str  # /?dep=57&version=N (« Ouvrir le tableau de bord »)
    file: Path
    size: int
    plotly: str  # the plotly.js bundle inlined

    def remove(self) -> None:
        self.file.unlink(missing_ok=True)


def publish(store_dir: Path, base_url: str) -> Published:
    """Publish the séance's instantané as the page's « Publier l'instantané » does; returns its address."""
    from observatoire import publication, versions
    from observatoire.exports import html
    from observatoire.filters import parse_params, to_params
    from observatoire.queries import choices
    from observatoire.views.presentation import build_presentation

    repo = versions.Repository(store_dir)
    version = repo.current()
    if version is None:
        raise RuntimeError(f"aucune version publiée dans {store_dir}")
    with repo.connect(version) as con:
        filters, _ = parse_params(SEANCE, choices(con))
        params = to_params(filters)
        live = "/?" + "&".join(f"{k}={v}" for k, v in params.items()) + f"&version={version.number}"
        seance = publication.seance(store_dir, version.number, params, base_url)
        deck = build_presentation(con, filters, url=seance.url)
    deck = dataclasses.replace(deck, context=dataclasses.replace(deck.context, url=seance.url))
    figures = [s.figure.figure for s in deck.slides if s.figure is not None]
    text = html.presentation_html(deck, dashboard_url=base_url.rstrip("/") + live)
    path = publication.publish(text, seance.token)
    return Published(
        publication.address_path(seance.token),
        live,
        path,
        path.stat().st_size,
        html.plotly_bundle(figures)[0].name,
    )


def load_average() -> float:
    """The machine's 1-minute load average (/proc/loadavg)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return -1.0


class LoadWatch:
    """The machine's load average during a scenario (start, max, end; sampled every 2 s): the 2 cores are shared,
    a figure means little without it."""

    def __init__(self) -> None:
        self.start = self.max = self.end = load_average()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=2.0)
            self.max = max(self.max, load_average())

    def __enter__(self) -> LoadWatch:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.end = load_average()
        self.max = max(self.max, self.end)

    def figures(self) -> dict[str, float]:
        return {"start": self.start, "max": self.max, "end": self.end}


async def fetch(url: str, timeout: float) -> tuple[int, str, int]:
    """GET `url` (a new connection, `Connection: close`): status, Content-Type, body size."""
    headers: dict[str, str] = {}
    status, body = await http_get(url, {}, timeout, headers=headers)
    return status, headers.get("content-type", ""), len(body)


async def attendee(
    index: int,
    base_url: str,
    start_at: float,
    published: Published,
    args,
    record: dict,
    deadline: float,
    error: Callable,
) -> None:  # noqa: ANN001
    rng = random.Random(index)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    start = time.perf_counter()
    try:
        status, kind, size = await fetch(base_url + published.path, args.timeout)
    except Exception as exc:  # noqa: BLE001 - a refused or cut connection is an error to count
        error(record, index, "instantané", f"{type(exc).__name__}: {exc}")
        return
    seconds = time.perf_counter() - start
    if status != 200 or not kind.startswith("text/html") or size != published.size:
        error(
            record,
            index,
            "instantané",
            f"HTTP {status}, {kind or 'sans type'}, {size} octets (attendu 200, text/html, {published.size})",
        )
        return
    record["fetch"].append(seconds)
    record["fetched"] += 1
    opener = args.qr_share > 0 and index % max(1, round(1 / args.qr_share)) == 0  # every 5th: 20 %
    if not opener:
        return
    # « Ouvrir le tableau de bord » after reading the instantané
    await asyncio.sleep(rng.uniform(1.0, 3.0) * args.think)
    if time.monotonic() > deadline:
        record["skipped"] += 1
        return
    session = ProtocolSession(base_url, timeout=args.timeout)
    try:
        try:
            result = await session.open(published.live)
        except Exception as exc:  # noqa: BLE001
            error(record, index, "tableau de bord", f"{type(exc).__name__}: {exc}")
            return
        for problem in result.errors:
            error(record, index, "tableau de bord", f"{result.status} : {problem}", session)
        if result.status != "ok":
            if not result.errors:
                error(record, index, "tableau de bord", f"fin de l'exécution : {result.status}", session)
            return
        record["live"].append(result.seconds)
    finally:
        await session.close()


async def scenario(
    base_url: str, pids: list[int], args, published: Published, sample: Callable, error: Callable
) -> dict:  # noqa: ANN001
    record: dict = {"fetch": [], "fetched": 0, "live": [], "errors": [], "skipped": 0}
    stop = asyncio.Event()
    usage: dict[int, dict[str, float]] = {}  # pid → CPU % and RSS KiB (`sample`: bench/seminaire.py)
    sampler = asyncio.create_task(sample(pids, stop, usage))
    start = time.monotonic()
    cpu_client = time.process_time()
    deadline = start + args.deadline
    rng = random.Random(1)
    starts = sorted(start + rng.uniform(0, args.ramp) for _ in range(args.sessions))
    tasks = [
        asyncio.create_task(attendee(i, base_url, at, published, args, record, deadline, error))
        for i, at in enumerate(starts)
    ]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline + args.timeout + 30)
    for task in pending:
        task.cancel()
        error(record, -1, "arrêt", "participant encore en cours à la limite de durée")
    for task in pending:
        with contextlib.suppress(BaseException):  # cancelled on purpose
            await task
    for task in done:
        if task.exception() is not None:
            error(record, -1, "client", f"{type(task.exception()).__name__}: {task.exception()}")
    duration = time.monotonic() - start
    client_cpu = 100 * (time.process_time() - cpu_client) / duration
    stop.set()
    await sampler
    return {
        "duration_s": round(duration, 1),
        "client_cpu_pct": round(client_cpu, 1),
        "record": record,
        "usage": usage,
    }


def summarise(replicas: int, run: dict, pids: list[int], published: Published, stats: Callable) -> dict:
    rec = run["record"]
    fetched = rec["fetched"]
    return {
        "scenario": "qr",
        "replicas": replicas,
        "duration_s": run["duration_s"],
        "fetched": fetched,
        "errors": len(rec["errors"]),
        "error_samples": rec["errors"][:15],
        "skipped_steps": rec["skipped"],
        "fetch_ms": stats(rec["fetch"]),
        "live_first_completion_ms": stats(rec["live"]),
        "live_opened": len(rec["live"]),
        "size_bytes": published.size,
        "plotly": published.plotly,
        "bytes_served": fetched * published.size,
        "client_cpu_pct": run["client_cpu_pct"],
        "per_replica": [
            {
                "pid": pid,
                "cpu_mean_pct": round(run["usage"][pid]["cpu_mean"], 1),
                "cpu_peak_pct": round(run["usage"][pid]["cpu_peak"], 1),
                "rss_max_mib": round(run["usage"][pid]["rss_max_kib"] / 1024, 1),
            }
            for pid in pids
        ],
    }


def render(res: dict, runs: list[dict], ms: Callable) -> list[str]:
    if not runs:
        return []
    size = runs[0]["size_bytes"]
    lines = [
        "",
        f"Parcours QR : {res['sessions']} participants ouvrent l'instantané publié en {res['ramp_s']:.0f} s "
        f"(GET HTTP simples, {size / 1024 / 1024:.2f} Mio chacun, plotly.js « {runs[0]['plotly']} » inclus), "
        f"puis {round(res['qr_share'] * 100)} % d'entre eux ouvrent le tableau de bord en direct "
        "(« Ouvrir le tableau de bord », client websocket)".replace(".", ",", 1),
        *[
            f"  charge de la machine ({r['replicas']} rép.) : début {r['load']['start']}, max {r['load']['max']}, "
            f"fin {r['load']['end']}"
            for r in runs
            if r.get("load")
        ],
        "",
        "répliques  instantané reçu  erreurs  GET instantané ms (méd / p95 / max)  tableau de bord ouvert  "
        "1re exécution ms (méd / p95 / max)  CPU client",
    ]
    for r in runs:
        f, live = r["fetch_ms"], r["live_first_completion_ms"]
        lines.append(
            f"{r['replicas']:>9}  {r['fetched']:>8}/{res['sessions']:<6}  {r['errors']:>7}  "
            f"{ms(f['median']):>9} / {ms(f['p95']):>7} / {ms(f['max']):>7}           "
            f"{r['live_opened']:>6}          {ms(live['median']):>9} / {ms(live['p95']):>7} / "
            f"{ms(live['max']):>7}      {r['client_cpu_pct']:>5} %"
        )
    lines += ["", "réplique (pid)   CPU moyen  CPU pic  RSS max (Mio) — parcours QR"]
    for r in runs:
        for rep in r["per_replica"]:
            lines.append(
                f"{r['replicas']} rép. ({rep['pid']:>7})  {rep['cpu_mean_pct']:>7} %  "
                f"{rep['cpu_peak_pct']:>6} %  {rep['rss_max_mib']:>9}"
            )
    for r in runs:
        for err in r["error_samples"]:
            lines.append(
                f"ERREUR QR ({r['replicas']} rép., participant {err['session']}, {err['step']}) : {err['detail']}"
            )
    return lines
