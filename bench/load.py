"""Load test: N simultaneous users (browser contexts of ONE Chromium) on the dashboard, on loopback.

    .venv/bin/python bench/load.py --users 20 --seconds 60

Each user loops (bounded in time AND count) over the 5 pages with random `dep` / `niveau` URL parameters,
waits for Streamlit to be idle (script state "notRunning") and checks the page: Streamlit exception box,
« erreur inattendue », uncaught JS error, timeout. Reports errors (goal 0) and the latency from navigation
to "notRunning" (median / p95 / max). Starts its own server (bench/_server.py, same as the e2e tests) and
stops it at the end. Writes artifacts/bench/load.json + load.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench._server import CHROMIUM, CHROMIUM_ARGS, IDLE, machine_info, streamlit_server, vm_rss_kib  # noqa: E402

OUT_DIR = ROOT / "artifacts" / "bench"
PATHS = ["/", "/carte", "/indicateurs", "/laboratoires", "/donnees"]
DEPARTEMENTS = ["54", "55", "57", "88"]


def niveaux() -> list[str]:
    with (ROOT / "data" / "reference" / "niveaux.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle, delimiter=";") if row["code"] != "tous"]


def random_url(base: str, rng: random.Random, levels: list[str]) -> str:
    params = {}
    deps = rng.sample(DEPARTEMENTS, rng.randint(0, 2))
    if deps:
        params["dep"] = ",".join(sorted(deps))
    if rng.random() < 0.5:
        params["niveau"] = rng.choice(levels)
    query = ("?" + urlencode(params, safe=",")) if params else ""
    return f"{base}{rng.choice(PATHS)}{query}"


async def user(index: int, browser, base: str, deadline: float, max_iterations: int,  # noqa: ANN001
               timeout_ms: float, record: dict) -> None:
    rng = random.Random(index)
    levels = niveaux()
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)[:200]))
    try:
        for _ in range(max_iterations):
            if time.monotonic() >= deadline:
                break
            url = random_url(base, rng, levels)
            js_errors.clear()
            start = time.perf_counter()
            try:
                await page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
                await page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
                elapsed = time.perf_counter() - start
                exceptions = await page.locator('[data-testid="stException"]').count()
                text = (await page.locator('[data-testid="stApp"]').inner_text()).lower()
            except Exception as exc:  # noqa: BLE001 - a timeout is an error to count, not a crash
                record["errors"].append({"user": index, "url": url, "kind": "timeout/navigation",
                                         "detail": f"{type(exc).__name__}: {str(exc)[:160]}"})
                continue
            record["latencies"].append(elapsed)
            record["by_path"].setdefault(url.split("?")[0][len(base):] or "/", []).append(elapsed)
            if exceptions:
                record["errors"].append({"user": index, "url": url, "kind": "stException", "detail": exceptions})
            if "erreur inattendue" in text:
                record["errors"].append({"user": index, "url": url, "kind": "erreur inattendue", "detail": ""})
            if js_errors:
                record["errors"].append({"user": index, "url": url, "kind": "pageerror", "detail": js_errors[:3]})
    finally:
        await context.close()


async def sample_rss(pid: int, stop: asyncio.Event, samples: list[int]) -> None:
    while not stop.is_set():
        rss = vm_rss_kib(pid)
        if rss:
            samples.append(rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def run(users: int, seconds: float, max_iterations: int, timeout_ms: float) -> dict:
    from playwright.async_api import async_playwright

    record: dict = {"latencies": [], "errors": [], "by_path": {}}
    rss: list[int] = []
    with streamlit_server() as server:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                # warm-up (database built, modules imported): not counted
                ctx = await browser.new_context()
                warm = await ctx.new_page()
                await warm.goto(server.url + "/", wait_until="domcontentloaded", timeout=120_000)
                await warm.wait_for_selector(IDLE, state="attached", timeout=120_000)
                await ctx.close()
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_rss(server.pid, stop, rss))
                started = time.monotonic()
                deadline = started + seconds
                await asyncio.gather(*(user(i, browser, server.url, deadline, max_iterations, timeout_ms, record)
                                       for i in range(users)))
                duration = time.monotonic() - started
                stop.set()
                await sampler
            finally:
                await browser.close()
        alive = server.process.poll() is None
    lat = record["latencies"]
    pct = (lambda q: round(float(np.percentile(lat, q)) * 1000)) if lat else (lambda q: None)
    return {
        "users": users, "seconds": seconds, "duration_s": round(duration, 1), "machine": machine_info(),
        "navigations": len(lat), "throughput_per_s": round(len(lat) / duration, 2) if duration else None,
        "errors": len(record["errors"]), "error_samples": record["errors"][:20],
        "latency_ms": {"median": round(statistics.median(lat) * 1000) if lat else None, "p95": pct(95),
                       "max": round(max(lat) * 1000) if lat else None},
        "by_path_ms": {p: {"n": len(v), "median": round(statistics.median(v) * 1000),
                           "p95": round(float(np.percentile(v, 95)) * 1000)}
                       for p, v in sorted(record["by_path"].items())},
        "rss_mib": {"max": round(max(rss) / 1024, 1) if rss else None,
                    "last": round(rss[-1] / 1024, 1) if rss else None},
        "server_alive_at_end": alive,
    }


def render(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Machine : {m['nproc']} cœurs, {m['cpu']}, {m['ram_gib']} Gio RAM",
        f"Charge : {res['users']} utilisateurs simultanés (contextes d'un seul Chromium), {res['duration_s']} s, "
        f"boucle sur les 5 pages avec dep/niveau aléatoires",
        f"Navigations : {res['navigations']} ({res['throughput_per_s']}/s) — erreurs : {res['errors']} "
        "(objectif 0)",
        f"Latence navigation → notRunning : médiane {res['latency_ms']['median']} ms, "
        f"p95 {res['latency_ms']['p95']} ms, "
        f"max {res['latency_ms']['max']} ms",
        f"Mémoire serveur (VmRSS) : max {res['rss_mib']['max']} Mio ; serveur vivant à la fin : "
        f"{res['server_alive_at_end']}",
        "",
        "page            N   médiane ms   p95 ms",
    ]
    for path, r in res["by_path_ms"].items():
        lines.append(f"{path:<14} {r['n']:>3}   {r['median']:>10}   {r['p95']:>6}")
    for err in res["error_samples"]:
        lines.append(f"ERREUR {err['kind']} (utilisateur {err['user']}) {err['url']} : {err['detail']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="utilisateurs simultanés (20)")
    parser.add_argument("--seconds", type=float, default=60, help="durée de la charge (60 s, max 600)")
    parser.add_argument("--max-iterations", type=int, default=500, help="navigations max par utilisateur")
    parser.add_argument("--timeout", type=float, default=60, help="délai max d'une navigation (s)")
    args = parser.parse_args(argv)
    users = max(1, min(args.users, 100))
    seconds = max(1.0, min(args.seconds, 600.0))
    res = asyncio.run(run(users, seconds, args.max_iterations, args.timeout * 1000))
    text = render(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "load.json").write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "load.txt").write_text(text, encoding="utf-8")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
