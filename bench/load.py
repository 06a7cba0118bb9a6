"""Load test: N simultaneous users (browser contexts of ONE Chromium) on the dashboard, on loopback.

    .venv/bin/python bench/load.py --users 20 --seconds 60

Each user opens a random shared link once (a full page load: `dep` / `niveau` URL parameters), then loops
(bounded in time AND count) on in-app interactions: switch page in the sidebar navigation, add a département
to the filter, reset the filters; after each one it waits for the rerun to end (script state "notRunning")
and checks the page: Streamlit exception box, « erreur inattendue », uncaught JS error, timeout. Reports errors
(goal 0) and the rerun latency, from the interaction to "notRunning" (median / p95 / max). The first loads
are ramped up (`--ramp` at a time) and the measured window (`--seconds`) starts once every user is on a page;
users think `--think` seconds on average between two actions. Starts its own server (bench/_server.py, same
as the e2e tests) and stops it at the end. Writes artifacts/bench/load.json + load.txt.
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench._server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    machine_info,
    streamlit_server,
    vm_rss_kib,
)

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


RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
NAV_LABELS = ["Vue d'ensemble", "Carte", "Indicateurs", "Laboratoires", "Données et sources"]
DEP_LABELS = {"54": "54 — Meurthe-et-Moselle", "55": "55 — Meuse", "57": "57 — Moselle", "88": "88 — Vosges"}


async def _rerun(page, action: Callable[[], Awaitable[None]], timeout_ms: float) -> None:  # noqa: ANN001
    """Run an interaction and wait for the rerun it triggers: "running" seen (or 1.5 s without it: the rerun
    was too quick to observe), then "notRunning"."""
    await action()
    with contextlib.suppress(Exception):
        await page.wait_for_selector(RUNNING, state="attached", timeout=1500)
    await page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)


async def _check(page, index: int, what: str, js_errors: list[str], record: dict) -> None:  # noqa: ANN001
    exceptions = await page.locator('[data-testid="stException"]').count()
    text = (await page.locator('[data-testid="stMain"]').inner_text()).lower()
    if exceptions:
        record["errors"].append({"user": index, "url": what, "kind": "stException", "detail": exceptions})
    if "erreur inattendue" in text:
        record["errors"].append({"user": index, "url": what, "kind": "erreur inattendue", "detail": ""})
    if js_errors:
        record["errors"].append({"user": index, "url": what, "kind": "pageerror", "detail": js_errors[:3]})
        js_errors.clear()


async def user(
    index: int,
    browser,
    base: str,
    window: dict,
    max_iterations: int,  # noqa: ANN001
    timeout_ms: float,
    record: dict,
    loading: asyncio.Semaphore,
    loaded: asyncio.Barrier,
    think: float,
) -> None:
    """One user: opens a random shared link once (full load), then loops on in-app interactions like a person
    would: switch page in the sidebar navigation, add a département to the filter, reset the filters."""
    rng = random.Random(index)
    levels = niveaux()
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda exc: js_errors.append(str(exc)[:200]))
    sidebar = page.locator('[data-testid="stSidebar"]')
    try:
        url = random_url(base, rng, levels)
        ok = True
        async with loading:  # ramp-up: a few full loads at a time (the browser shares the 2 cores)
            start = time.perf_counter()
            try:
                await page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
                await page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)
                record["first_loads"].append(time.perf_counter() - start)
                await _check(page, index, url, js_errors, record)
            except Exception as exc:  # noqa: BLE001 - a timeout is an error to count, not a crash
                record["errors"].append(
                    {
                        "user": index,
                        "url": url,
                        "kind": "timeout/first load",
                        "detail": f"{type(exc).__name__}: {str(exc)[:160]}",
                    }
                )
                ok = False
        await loaded.wait()  # every user is on a page: the measured window starts now for all of them
        if not ok:
            return
        for i in range(max_iterations):
            if time.monotonic() >= window["deadline"]:
                break
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            step = i % 3
            action: Callable[[], Awaitable[None]]
            if step == 0:
                label = rng.choice(NAV_LABELS)
                what = f"page {label}"

                async def open_page(label: str = label) -> None:
                    await sidebar.locator('[data-testid="stSidebarNavLink"]').filter(has_text=label).first.click()

                action = open_page
            elif step == 1:
                label = DEP_LABELS[rng.choice(list(DEP_LABELS))]
                what = f"filtre {label}"

                async def pick_departement(label: str = label) -> None:
                    await sidebar.get_by_role("combobox", name="Département", exact=True).click()
                    option = page.get_by_role("option", name=label, exact=True)
                    if await option.count():
                        await option.click()
                    await page.keyboard.press("Escape")

                action = pick_departement
            else:
                what = "réinitialiser"

                async def reset_filters() -> None:
                    await sidebar.get_by_role("button", name="Réinitialiser les filtres").click()

                action = reset_filters

            start = time.perf_counter()
            try:
                await _rerun(page, action, timeout_ms)
            except Exception as exc:  # noqa: BLE001
                state = "?"
                with contextlib.suppress(Exception):
                    state = await page.locator('[data-testid="stApp"]').get_attribute(
                        "data-test-script-state", timeout=2000
                    )
                    OUT_DIR.mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(OUT_DIR / f"load_error_user{index}_{i}.png"), timeout=10_000)
                record["errors"].append(
                    {
                        "user": index,
                        "url": what,
                        "kind": "timeout/interaction",
                        "detail": f"état du script : {state} ; {type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:120]}",
                    }
                )
                continue
            elapsed = time.perf_counter() - start
            record["latencies"].append(elapsed)
            record["by_path"].setdefault(what.split(" ")[0], []).append(elapsed)
            await _check(page, index, what, js_errors, record)
    finally:
        await context.close()


async def sample_rss(pid: int, stop: asyncio.Event, samples: list[int]) -> None:
    while not stop.is_set():
        rss = vm_rss_kib(pid)
        if rss:
            samples.append(rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def run(
    users: int, seconds: float, max_iterations: int, timeout_ms: float, think: float = 1.0, ramp: int = 2
) -> dict:
    from playwright.async_api import async_playwright

    record: dict = {"latencies": [], "errors": [], "by_path": {}, "first_loads": []}
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
                window: dict = {"deadline": float("inf")}
                loading = asyncio.Semaphore(max(1, ramp))

                async def open_window() -> None:
                    window["start"] = time.monotonic()
                    window["deadline"] = window["start"] + seconds

                loaded = asyncio.Barrier(users + 1)
                tasks = [
                    asyncio.create_task(
                        user(
                            i,
                            browser,
                            server.url,
                            window,
                            max_iterations,
                            timeout_ms,
                            record,
                            loading,
                            loaded,
                            think,
                        )
                    )
                    for i in range(users)
                ]
                await loaded.wait()
                await open_window()
                await asyncio.gather(*tasks)
                duration = time.monotonic() - window["start"]
                stop.set()
                await sampler
            finally:
                await browser.close()
        alive = server.process.poll() is None
        server_log = server.log_tail() if record["errors"] else ""
    lat = record["latencies"]
    pct = (lambda q: round(float(np.percentile(lat, q)) * 1000)) if lat else (lambda q: None)
    return {
        "users": users,
        "seconds": seconds,
        "think_s": think,
        "duration_s": round(duration, 1),
        "machine": machine_info(),
        "navigations": len(lat),
        "throughput_per_s": round(len(lat) / duration, 2) if duration else None,
        "first_load_ms": {
            "n": len(record["first_loads"]),
            "median": round(statistics.median(record["first_loads"]) * 1000) if record["first_loads"] else None,
        },
        "errors": len(record["errors"]),
        "error_samples": record["errors"][:20],
        "latency_ms": {
            "median": round(statistics.median(lat) * 1000) if lat else None,
            "p95": pct(95),
            "max": round(max(lat) * 1000) if lat else None,
        },
        "by_path_ms": {
            p: {
                "n": len(v),
                "median": round(statistics.median(v) * 1000),
                "p95": round(float(np.percentile(v, 95)) * 1000),
            }
            for p, v in sorted(record["by_path"].items())
        },
        "rss_mib": {
            "max": round(max(rss) / 1024, 1) if rss else None,
            "last": round(rss[-1] / 1024, 1) if rss else None,
        },
        "server_alive_at_end": alive,
        "server_log_tail": server_log,
    }


def render(res: dict) -> str:
    m = res["machine"]
    lines = [
        f"Machine : {m['nproc']} cœurs, {m['cpu']}, {m['ram_gib']} Gio RAM",
        f"Charge : {res['users']} utilisateurs simultanés (contextes d'un seul Chromium), {res['duration_s']} s "
        f"mesurées après la montée en charge, réflexion ≈ {res['think_s']} s entre deux actions ; "
        "un lien partagé ouvert une fois, puis changements de page (navigation latérale), ajout d'un département, "
        "réinitialisation des filtres, en boucle",
        f"Premier chargement (page complète) : {res['first_load_ms']['n']} utilisateurs, médiane "
        f"{res['first_load_ms']['median']} ms",
        f"Interactions : {res['navigations']} ({res['throughput_per_s']}/s) — erreurs : {res['errors']} "
        "(objectif 0)",
        f"Latence d'une interaction (action → fin de l'exécution) : médiane {res['latency_ms']['median']} ms, "
        f"p95 {res['latency_ms']['p95']} ms, "
        f"max {res['latency_ms']['max']} ms",
        f"Mémoire serveur (VmRSS) : max {res['rss_mib']['max']} Mio ; serveur vivant à la fin : "
        f"{res['server_alive_at_end']}",
        "",
        "action          N   médiane ms   p95 ms",
    ]
    for path, r in res["by_path_ms"].items():
        lines.append(f"{path:<14} {r['n']:>3}   {r['median']:>10}   {r['p95']:>6}")
    for err in res["error_samples"]:
        lines.append(f"ERREUR {err['kind']} (utilisateur {err['user']}) {err['url']} : {err['detail']}")
    if res.get("server_log_tail"):
        lines += ["", "Fin du journal du serveur :", res["server_log_tail"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="utilisateurs simultanés (20)")
    parser.add_argument("--seconds", type=float, default=60, help="durée de la charge (60 s, max 600)")
    parser.add_argument("--max-iterations", type=int, default=500, help="navigations max par utilisateur")
    parser.add_argument("--timeout", type=float, default=60, help="délai max d'une navigation (s)")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="temps de réflexion moyen entre deux actions d'un utilisateur (1 s ; 0 = aucun)",
    )
    parser.add_argument(
        "--ramp", type=int, default=2, help="premiers chargements simultanés pendant la montée en charge (2)"
    )
    args = parser.parse_args(argv)
    users = max(1, min(args.users, 100))
    seconds = max(1.0, min(args.seconds, 600.0))
    res = asyncio.run(
        run(users, seconds, args.max_iterations, args.timeout * 1000, max(0.0, args.think), max(1, args.ramp))
    )
    text = render(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "load.json").write_text(json.dumps(res, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "load.txt").write_text(text, encoding="utf-8")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
