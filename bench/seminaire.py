"""Scenario « séminaire »: N attendees (default 150) flash the QR code and open the shared link within 30 s, on
loopback, each through the protocol-level client (bench/_protocol.py: one websocket per attendee, no browser).

    .venv/bin/python bench/seminaire.py --sessions 150 --ramp 30 --replicas 1,2

Each attendee opens the link (`/?dep=57` or `/`, half each, like the QR codes of the séminaire slides), waits for
the first script completion, thinks, changes the département filter twice (a sidebar widget change: one
département, then two), thinks, and switches page once (Carte, Indicateurs, Laboratoires or Données et
sources). Every step is bounded (`--timeout` per run, `--deadline` for the whole scenario). Counted as errors:
an exception element, « erreur inattendue » on screen, no `script_finished` within the timeout, a disconnection,
a failed HTTP request, a cached message the client cannot resolve. Reported: sessions, errors, time to first
script completion (HTTP GET → first `script_finished`: median / p95 / max), rerun latency (request →
`script_finished`), server CPU % (mean and 1-s peak) and RSS (max, end) of each replica, and the client's own CPU
(it shares the 2 cores). `--browsers` (3) more attendees do the same in a real Chromium (Debian's), measured in
the page (script state « notRunning »), reported on their own line. Runs 1 replica (bench/_server.py) then
2 replicas behind HAProxy (`scripts/serve.py` `cluster`), each on a fresh store after a warm-up visit per
replica (not counted), and prints the ratio 1 replica / 2 replicas. Writes artifacts/bench/seminaire.json and
seminaire.txt.

The QR path (`--scenarios live,qr`, both by default; bench/_instantane.py), on the same warm server after the
live scenario: the title slide's QR code leads to the published « instantané de séance » (a static HTML file):
the same N attendees over the same ramp GET it (plain HTTP on loopback: p95 and errors), then 20 % of them
(`--qr-share`) open the live dashboard from its « Ouvrir le tableau de bord » link (first complete page, as
above). Printed: the fetches, the live opens, each replica's CPU, and the QR path against the live link.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _instantane  # noqa: E402
from bench._protocol import ERROR_TEXT, ProtocolSession  # noqa: E402
from bench._server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    chromium_missing_message,
    machine_info,
    streamlit_server,
)

OUT_DIR = ROOT / "artifacts" / "bench"
LINKS = ["/?dep=57", "/"]
DEPARTEMENTS = ["54 — Meurthe-et-Moselle", "55 — Meuse", "57 — Moselle", "88 — Vosges"]
PAGES = ["Carte", "Indicateurs", "Laboratoires", "Données et sources"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------ process figures


def _tree(pid: int) -> list[int]:
    """pid and its descendants (/proc/<pid>/task/*/children)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return pids


def cpu_ticks(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def rss_kib(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


async def sample(pids: list[int], stop: asyncio.Event, out: dict[int, dict[str, float]]) -> None:
    """Every second: CPU % over the last second and RSS of each replica (its process tree)."""
    last = {pid: (time.monotonic(), cpu_ticks(pid)) for pid in pids}
    first = dict(last)
    for pid in pids:
        out[pid] = {"cpu_peak": 0.0, "rss_max_kib": rss_kib(pid), "rss_start_kib": rss_kib(pid)}
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        for pid in pids:
            now, ticks = time.monotonic(), cpu_ticks(pid)
            t0, k0 = last[pid]
            if now > t0:
                out[pid]["cpu_peak"] = max(out[pid]["cpu_peak"], 100 * (ticks - k0) / CLK_TCK / (now - t0))
            last[pid] = (now, ticks)
            out[pid]["rss_max_kib"] = max(out[pid]["rss_max_kib"], rss_kib(pid))
    for pid in pids:
        now, ticks = time.monotonic(), cpu_ticks(pid)
        t0, k0 = first[pid]
        out[pid]["cpu_mean"] = 100 * (ticks - k0) / CLK_TCK / max(now - t0, 1e-6)
        out[pid]["rss_end_kib"] = rss_kib(pid)


# ---------------------------------------------------------------------------------------------- attendees


def _error(record: dict, index: int | str, step: str, detail: str, session: ProtocolSession | None = None) -> None:
    """One error of `record`; `index`: the protocol session's number, or « navigateur N » for a Chromium tab."""
    entry: dict[str, object] = {"session": index, "step": step, "detail": detail[:300]}
    if session is not None:  # the last messages seen: what a stuck run looked like from the client
        entry["events"] = [f"{e.t:.2f} {e.kind} {e.detail}"[:120] for e in session.events[-10:]]
    record["errors"].append(entry)


def _check(record: dict, index: int, step: str, result, session: ProtocolSession) -> bool:  # noqa: ANN001
    for problem in result.errors:
        _error(record, index, step, f"{result.status} : {problem}", session)
    if result.status not in {"ok"} and not result.errors:
        _error(record, index, step, f"fin de l'exécution : {result.status}", session)
    return result.status == "ok"


async def attendee(
    index: int, base_url: str, start_at: float, args: argparse.Namespace, record: dict, deadline: float
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    session = ProtocolSession(base_url, timeout=args.timeout)
    link = LINKS[index % len(LINKS)]
    try:
        try:
            result = await session.open(link)
        except Exception as exc:  # noqa: BLE001 - a refused connection is an error to count, not a crash
            _error(record, index, "ouverture", f"{type(exc).__name__}: {exc}")
            return
        if not _check(record, index, "ouverture", result, session):
            return
        record["first"].append(result.seconds)
        record["sessions_ok"] += 1
        widget = session.widget("Département", "multiselect")
        if widget is None:
            _error(record, index, "filtre", "multiselect « Département » absent de la barre latérale", session)
            return
        first, second = rng.sample(DEPARTEMENTS, 2)
        steps = [("filtre", [first]), ("filtre", [first, second]), ("page", rng.choice(PAGES))]
        for kind, value in steps:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
            if time.monotonic() > deadline:
                record["skipped"] += 1
                continue
            if isinstance(value, str):  # a page's title
                result = await session.switch_page(value)
            else:  # a filter step: the Département selection
                result = await session.set_multiselect(widget, value)
            if _check(record, index, f"{kind} {value}", result, session):
                record["reruns"][kind].append(result.seconds)
            elif result.status in {"timeout", "disconnected"}:
                return
    finally:
        await session.close()


async def browser_attendee(
    index: int,
    browser,
    base_url: str,
    start_at: float,  # noqa: ANN001
    args: argparse.Namespace,
    record: dict,
) -> None:
    """A real Chromium tab doing the same steps through the page (bench/load.py's selectors): the check that
    what the protocol client measures is what a person sees (script state « notRunning » in the page)."""
    from bench.load import DEP_LABELS, _rerun

    rng = random.Random(1000 + index)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = await context.new_page()
    sidebar = page.locator('[data-testid="stSidebar"]')
    timeout_ms = args.timeout * 1000
    link = LINKS[index % len(LINKS)]

    async def check(step: str) -> None:
        if await page.locator('[data-testid="stException"]').count():
            _error(record, f"navigateur {index}", step, "exception à l'écran")
        if ERROR_TEXT in (await page.locator('[data-testid="stMain"]').inner_text()).lower():
            _error(record, f"navigateur {index}", step, "« erreur inattendue » à l'écran")

    try:
        start = time.perf_counter()
        try:
            await page.goto(base_url + link, wait_until="domcontentloaded", timeout=timeout_ms)
            await page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
        except Exception as exc:  # noqa: BLE001 - counted, not a crash
            _error(record, f"navigateur {index}", "ouverture", f"{type(exc).__name__}: {str(exc)[:120]}")
            return
        record["first"].append(time.perf_counter() - start)
        record["sessions_ok"] += 1
        await check("ouverture")
        first, second = rng.sample(list(DEP_LABELS.values()), 2)
        for kind, value in [("filtre", first), ("filtre", second), ("page", rng.choice(PAGES))]:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
            if kind == "filtre":

                async def action(label: str = value) -> None:
                    await sidebar.get_by_role("combobox", name="Département", exact=True).click()
                    option = page.get_by_role("option", name=label, exact=True)
                    if await option.count():
                        await option.click()
                    await page.keyboard.press("Escape")
            else:

                async def action(label: str = value) -> None:
                    await sidebar.locator('[data-testid="stSidebarNavLink"]').filter(has_text=label).first.click()

            start = time.perf_counter()
            try:
                await _rerun(page, action, timeout_ms)
            except Exception as exc:  # noqa: BLE001
                state = "?"
                with contextlib.suppress(Exception):
                    state = await page.locator('[data-testid="stApp"]').get_attribute(
                        "data-test-script-state", timeout=2000
                    )
                _error(
                    record,
                    f"navigateur {index}",
                    f"{kind} {value}",
                    f"état du script : {state} ; {type(exc).__name__}: {str(exc).splitlines()[0][:100]}",
                )
                return
            record["reruns"][kind].append(time.perf_counter() - start)
            await check(f"{kind} {value}")
    finally:
        await context.close()


async def browsers_run(base_url: str, starts: list[float], args: argparse.Namespace, record: dict) -> str:
    """`--browsers` Chromium tabs (one Chromium, Debian's) among the attendees; "" or why they did not run."""
    if not starts:
        return ""
    missing = chromium_missing_message()
    if missing:
        return missing
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(
                *[browser_attendee(i, browser, base_url, at, args, record) for i, at in enumerate(starts)]
            )
        finally:
            await browser.close()
    return ""


async def warm_up(urls: list[str], timeout: float) -> list[str]:
    """One visit per replica (database opened, modules imported), not counted: the server was started before
    the séminaire."""
    problems = []
    for url in urls:
        session = ProtocolSession(url, timeout=max(timeout, 120))
        try:
            result = await session.open("/")
            if result.status != "ok":
                problems.append(f"{url}: {result.status} {result.errors}")
            for page in PAGES:
                await session.switch_page(page)
        finally:
            await session.close()
    return problems


async def scenario(base_url: str, pids: list[int], args: argparse.Namespace) -> dict:
    record: dict = {
        "first": [],
        "reruns": {"filtre": [], "page": []},
        "errors": [],
        "sessions_ok": 0,
        "skipped": 0,
    }
    browser_record: dict = {
        "first": [],
        "reruns": {"filtre": [], "page": []},
        "errors": [],
        "sessions_ok": 0,
        "skipped": 0,
    }
    stop = asyncio.Event()
    usage: dict[int, dict[str, float]] = {}  # pid → CPU % and RSS KiB (`sample`)
    sampler = asyncio.create_task(sample(pids, stop, usage))
    start = time.monotonic()
    cpu_client = time.process_time()
    deadline = start + args.deadline
    rng = random.Random(0)
    starts = sorted(start + rng.uniform(0, args.ramp) for _ in range(args.sessions))
    tasks = [asyncio.create_task(attendee(i, base_url, at, args, record, deadline)) for i, at in enumerate(starts)]
    browser_starts = [start + rng.uniform(0, args.ramp) for _ in range(args.browsers)]
    browsers = asyncio.create_task(browsers_run(base_url, browser_starts, args, browser_record))
    done, pending = await asyncio.wait(tasks, timeout=args.deadline + args.timeout + 30)
    for task in pending:  # bounded in time: whatever is still running is cut and counted
        task.cancel()
        _error(record, -1, "arrêt", "session encore en cours à la limite de durée")
    for task in pending:
        with contextlib.suppress(BaseException):
            await task
    for task in done:
        if task.exception() is not None:
            _error(record, -1, "client", f"{type(task.exception()).__name__}: {task.exception()}")
    try:
        left = max(10.0, deadline + args.timeout - time.monotonic())
        browsers_skipped = await asyncio.wait_for(browsers, timeout=left)
    except Exception as exc:  # noqa: BLE001 - the browsers are a check; their failure is reported
        browsers_skipped = f"{type(exc).__name__}: {exc}"[:200]
    duration = time.monotonic() - start
    client_cpu = 100 * (time.process_time() - cpu_client) / duration
    stop.set()
    await sampler
    return {
        "duration_s": round(duration, 1),
        "client_cpu_pct": round(client_cpu, 1),
        "record": record,
        "usage": usage,
        "browsers": browser_record,
        "browsers_skipped": browsers_skipped,
    }


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "median": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "n": len(values),
        "median": round(statistics.median(values) * 1000),
        "p95": round(p95 * 1000),
        "max": round(max(values) * 1000),
    }


def summarise(replicas: int, run: dict, pids: list[int], warm: list[str]) -> dict:
    rec = run["record"]
    reruns = rec["reruns"]["filtre"] + rec["reruns"]["page"]
    return {
        "replicas": replicas,
        "duration_s": run["duration_s"],
        "sessions_ok": rec["sessions_ok"],
        "errors": len(rec["errors"]),
        "error_samples": rec["errors"][:15],
        "skipped_steps": rec["skipped"],
        "first_completion_ms": _stats(rec["first"]),
        "rerun_ms": _stats(reruns),
        "filter_rerun_ms": _stats(rec["reruns"]["filtre"]),
        "page_switch_ms": _stats(rec["reruns"]["page"]),
        "client_cpu_pct": run["client_cpu_pct"],
        "warm_up_problems": warm,
        "browsers": {
            "sessions_ok": run["browsers"]["sessions_ok"],
            "errors": len(run["browsers"]["errors"]),
            "error_samples": run["browsers"]["errors"][:10],
            "not_run": run["browsers_skipped"],
            "first_completion_ms": _stats(run["browsers"]["first"]),
            "rerun_ms": _stats(run["browsers"]["reruns"]["filtre"] + run["browsers"]["reruns"]["page"]),
        },
        "per_replica": [
            {
                "pid": pid,
                "cpu_mean_pct": round(run["usage"][pid]["cpu_mean"], 1),
                "cpu_peak_pct": round(run["usage"][pid]["cpu_peak"], 1),
                "rss_start_mib": round(run["usage"][pid]["rss_start_kib"] / 1024, 1),
                "rss_max_mib": round(run["usage"][pid]["rss_max_kib"] / 1024, 1),
                "rss_end_mib": round(run["usage"][pid]["rss_end_kib"] / 1024, 1),
            }
            for pid in pids
        ],
    }


def _load_cluster():  # noqa: ANN202
    if not (ROOT / "scripts" / "serve.py").exists():
        return None
    return getattr(importlib.import_module("scripts.serve"), "cluster", None)


async def qr_path(
    base_url: str, store_dir: Path, pids: list[int], replicas: int, args: argparse.Namespace
) -> dict:
    """The QR path (bench/_instantane.py): the instantané published, fetched by every attendee, then 20 % open
    the live dashboard; the published file is removed afterwards."""
    published = _instantane.publish(store_dir, base_url)
    try:
        run = await _instantane.scenario(base_url, pids, args, published, sample, _error)
        return _instantane.summarise(replicas, run, pids, published, _stats)
    finally:
        published.remove()


async def scenarios(
    base_url: str, store_dir: Path, pids: list[int], replicas: int, warm: list[str], args: argparse.Namespace
) -> dict:
    """The live scenario (unchanged) then, on the same warm server, the QR path."""
    res: dict = {"replicas": replicas}
    if "live" in args.scenarios:
        with _instantane.LoadWatch() as load:
            run = await scenario(base_url, pids, args)
        res = summarise(replicas, run, pids, warm)
        res["load"] = load.figures()
    if "qr" in args.scenarios:
        if "live" in args.scenarios:
            await asyncio.sleep(args.pause)  # the live sessions closed, the replicas idle again
        with _instantane.LoadWatch() as load:
            res["qr"] = await qr_path(base_url, store_dir, pids, replicas, args)
        res["qr"]["load"] = load.figures()
    return res


async def run_one(replicas: int, args: argparse.Namespace) -> dict:
    if replicas == 1:
        with streamlit_server(extra_args=["--server.fileWatcherType", args.file_watcher]) as server:
            warm = await warm_up([server.url], args.timeout)
            res = await scenarios(server.url, server.store_dir, [server.pid], 1, warm, args)
            res["server_alive_at_end"] = server.process.poll() is None
            res["server_log_tails"] = [server.log_tail(6000)] if _failed(res) else []
            return res
    cluster = _load_cluster()
    if cluster is None:
        return {"replicas": replicas, "unavailable": "scripts/serve.py (cluster) absent : non mesuré"}
    with (
        tempfile.TemporaryDirectory(prefix="seminaire-store-") as store,
        cluster(
            replicas=replicas,
            store_dir=Path(store),
            extra_env={"STREAMLIT_SERVER_FILE_WATCHER_TYPE": args.file_watcher},
        ) as c,
    ):
        warm = await warm_up(list(c.replica_urls), args.timeout)
        pids = list(c.replica_pids)
        res = await scenarios(c.url, Path(store), pids, replicas, warm, args)
        res["server_log_tails"] = (
            [c.replica_log(i, 6000) for i in range(replicas)] + [c.haproxy_log_tail(3000)] if _failed(res) else []
        )
        return res


def _failed(res: dict) -> bool:
    """Any error in the live scenario (protocol client or browsers) or on the QR path."""
    return bool(res.get("errors") or res.get("browsers", {}).get("errors") or res.get("qr", {}).get("errors"))


def _ms(value: int | None) -> str:
    return "—" if value is None else f"{value:,}".replace(",", "\u202f")


def _ratio(a: int | None, b: int | None) -> str:
    return "—" if not a or not b else f"{a / b:.2f}".replace(".", ",") + " ×"


def render(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Machine : {m['nproc']} cœurs, {m['cpu']}, {m['ram_gib']} Gio RAM ; charge avant la mesure : "
        f"{res['load_average']}",
    ]
    runs = [r for r in res["runs"] if "first_completion_ms" in r]
    if runs:
        lines += _render_live(res, runs)
    lines += _instantane.render(res, [r["qr"] for r in res["runs"] if r.get("qr")], _ms)
    for r in runs:
        qr = r.get("qr")
        if qr and qr["fetch_ms"]["p95"] and r["first_completion_ms"]["p95"]:
            lines.append(
                f"{r['replicas']} rép. : le QR mène à l'instantané en {_ms(qr['fetch_ms']['p95'])} ms "
                f"(p95) contre {_ms(r['first_completion_ms']['p95'])} ms pour la 1re page du tableau "
                "de bord "
                f"({_ratio(r['first_completion_ms']['p95'], qr['fetch_ms']['p95'])} plus vite)"
            )
    for r in res["runs"]:
        if "unavailable" in r:
            lines.append(f"{r['replicas']} répliques : {r['unavailable']}")
    for r in runs:
        for err in r["error_samples"]:
            lines.append(
                f"ERREUR ({r['replicas']} rép., session {err['session']}, {err['step']}) : {err['detail']}"
            )
            for event in err.get("events", []):
                lines.append(f"    {event}")
        for err in r["browsers"]["error_samples"]:
            lines.append(f"ERREUR ({r['replicas']} rép., {err['session']}, {err['step']}) : {err['detail']}")
    for r in res["runs"]:
        for tail in r.get("server_log_tails", []):
            lines += ["", f"Fin d'un journal serveur ({r['replicas']} rép.) :", tail]
    return "\n".join(lines) + "\n"


def _render_live(res: dict, runs: list[dict]) -> list[str]:
    """The live scenario's tables (the link of the dashboard itself)."""
    lines = [
        f"Scénario « séminaire » : {res['sessions']} sessions (client websocket, sans navigateur) ouvrent le lien "
        f"en {res['ramp_s']:.0f} s, puis 2 changements du filtre Département et 1 changement de page "
        f"(réflexion ≈ {res['think_s']} s, délai max d'une exécution {res['timeout_s']:.0f} s, surveillance des "
        f"fichiers source : {res['file_watcher']})",
        "",
        "répliques  sessions  erreurs  1re exécution ms (méd / p95 / max)  relance ms (méd / p95 / max)  "
        "CPU client",
    ]
    lines[1:1] = [
        f"  charge de la machine ({r['replicas']} rép.) : début {r['load']['start']}, max "
        f"{r['load']['max']}, fin {r['load']['end']}"
        for r in runs
        if r.get("load")
    ]
    for r in runs:
        f, rr = r["first_completion_ms"], r["rerun_ms"]
        lines.append(
            f"{r['replicas']:>9}  {r['sessions_ok']:>4}/{res['sessions']:<3}  {r['errors']:>7}  "
            f"{_ms(f['median']):>9} / {_ms(f['p95']):>7} / {_ms(f['max']):>7}      "
            f"{_ms(rr['median']):>7} / {_ms(rr['p95']):>7} / {_ms(rr['max']):>7}    "
            f"{r['client_cpu_pct']:>5} %"
        )
    if res["browsers"] and runs:
        lines += [
            "",
            f"Dont {res['browsers']} participants de plus dans un vrai Chromium (même parcours, mesuré "
            "dans la page jusqu'à l'état « notRunning ») :",
        ]
        for r in runs:
            b = r["browsers"]
            if b["not_run"]:
                lines.append(f"{r['replicas']:>9}  non mesuré : {b['not_run']}")
                continue
            f, rr = b["first_completion_ms"], b["rerun_ms"]
            lines.append(
                f"{r['replicas']:>9}  {b['sessions_ok']:>4}/{res['browsers']:<3}  {b['errors']:>7}  "
                f"{_ms(f['median']):>9} / {_ms(f['p95']):>7} / {_ms(f['max']):>7}      "
                f"{_ms(rr['median']):>7} / {_ms(rr['p95']):>7} / {_ms(rr['max']):>7}"
            )
    lines += ["", "réplique (pid)   CPU moyen  CPU pic   RSS début  RSS max  RSS fin (Mio)"]
    for r in runs:
        for rep in r["per_replica"]:
            lines.append(
                f"{r['replicas']} rép. ({rep['pid']:>7})  {rep['cpu_mean_pct']:>7} %  "
                f"{rep['cpu_peak_pct']:>6} %  {rep['rss_start_mib']:>9}  {rep['rss_max_mib']:>7}  "
                f"{rep['rss_end_mib']:>7}"
            )
    if len(runs) == 2:
        a, b = runs
        lines += [
            "",
            f"Rapport {a['replicas']} réplique / {b['replicas']} répliques (> 1 : plus rapide à "
            f"{b['replicas']}) : 1re exécution médiane "
            f"{_ratio(a['first_completion_ms']['median'], b['first_completion_ms']['median'])}, p95 "
            f"{_ratio(a['first_completion_ms']['p95'], b['first_completion_ms']['p95'])} ; relance "
            f"médiane {_ratio(a['rerun_ms']['median'], b['rerun_ms']['median'])}, p95 "
            f"{_ratio(a['rerun_ms']['p95'], b['rerun_ms']['p95'])}",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=150, help="participants simulés (150, max 400)")
    parser.add_argument("--ramp", type=float, default=30, help="ouverture du lien étalée sur N s (30)")
    parser.add_argument("--think", type=float, default=2.0, help="réflexion moyenne entre deux actions (2 s)")
    parser.add_argument("--timeout", type=float, default=60, help="délai max d'une exécution du script (60 s)")
    parser.add_argument("--deadline", type=float, default=300, help="durée max du scénario (300 s, max 900)")
    parser.add_argument("--replicas", default="1,2", help="nombres de répliques mesurés, dans l'ordre (1,2)")
    parser.add_argument(
        "--file-watcher",
        default="none",
        choices=["none", "auto", "poll", "watchdog"],
        help="server.fileWatcherType des serveurs (none, comme en production : avec la "
        "surveillance, un fichier source modifié pendant la charge fait échouer des "
        "exécutions)",
    )
    parser.add_argument(
        "--scenarios",
        default="live,qr",
        help="live (le lien du tableau de bord, comme avant) et/ou qr (l'instantané publié "
        "derrière le code QR, puis une part des participants ouvre le tableau de bord) : "
        "live,qr",
    )
    parser.add_argument(
        "--qr-share",
        type=float,
        default=0.2,
        help="parcours QR : part des participants qui ouvrent ensuite le tableau de bord (0,2)",
    )
    parser.add_argument(
        "--pause", type=float, default=10, help="pause entre les deux scénarios sur le même serveur (10 s)"
    )
    parser.add_argument(
        "--browsers",
        type=int,
        default=3,
        help="participants de plus dans un vrai Chromium (3 ; 0 = aucun ; max 10)",
    )
    args = parser.parse_args(argv)
    args.sessions = max(1, min(args.sessions, 400))
    args.deadline = max(10.0, min(args.deadline, 900.0))
    args.browsers = max(0, min(args.browsers, 10))
    args.scenarios = {s.strip() for s in args.scenarios.split(",") if s.strip() in {"live", "qr"}} or {"live"}
    args.qr_share = max(0.0, min(args.qr_share, 1.0))
    if "live" not in args.scenarios:
        args.browsers = 0
    counts = [int(x) for x in args.replicas.split(",") if x.strip()]
    load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    runs = [asyncio.run(run_one(n, args)) for n in counts]
    res = {
        "sessions": args.sessions,
        "browsers": args.browsers,
        "ramp_s": args.ramp,
        "think_s": args.think,
        "scenarios": sorted(args.scenarios),
        "qr_share": args.qr_share,
        "timeout_s": args.timeout,
        "file_watcher": args.file_watcher,
        "machine": machine_info(),
        "load_average": load_average,
        "runs": runs,
    }
    text = render(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "seminaire.json").write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "seminaire.txt").write_text(text, encoding="utf-8")
    return 1 if any(_failed(r) for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
