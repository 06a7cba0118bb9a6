"""Benchmark of the dashboard: prints tables (median / p95), writes artifacts/bench/latest.json and .txt.

    .venv/bin/python bench/run.py            # everything (≈ 3-4 min on 2 cores)
    .venv/bin/python bench/run.py --only store,server

Sections (no assertion: figures to read and compare with the goals printed next to them):
  server   server time of a Département change on each page (AppTest, in process) vs a bare Streamlit app with
           the same sidebar widgets (bench/bare_app.py) = the framework floor -> ratio (goal ≤ 2×), and vs the
           « replay floor » (bench/replay_app.py: the same page's element messages, recorded at a warm rerun
           and sent again with nothing computed) -> ratio = the app's own work
  browser  Chromium: navigation -> map painted (bassin polygons drawn), bytes of the map page, server RSS idle
           and with 10 open sessions
  store    national-scale synthetic measures (≈ 5 M rows): a typical filtered aggregate in DuckDB vs pandas
           (goal: DuckDB ≤ 200 ms and ≥ 5× faster)
Loopback only: the server listens on 127.0.0.1 and is stopped at the end (process group).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench._server import (  # noqa: E402
    MAP_IFRAME,
    SCREEN_PAGES,  # noqa: E402
    apptest_as_a_running_server,
    default_map,
    goto,
    launch_chromium,
    machine_info,
    streamlit_server,
    table,
    vm_rss_kib,
)
from bench._server import PAGES as ALL_PAGES  # noqa: E402
from bench._server import URLS as ALL_URLS  # noqa: E402

if TYPE_CHECKING:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

OUT_DIR = ROOT / "artifacts" / "bench"
PAGES = {name: ALL_PAGES[name] for name in SCREEN_PAGES}
URLS = {name: ALL_URLS[name] for name in SCREEN_PAGES}
BASSIN_COUNT = 17
T = TypeVar("T")


class Stats(TypedDict):
    n: int
    median_ms: float
    p95_ms: float
    min_ms: float


class Rerun(TypedDict, total=False):
    """Server time of an app's reruns: `Stats` and the errors shown; for a page, the size of its deltas, its
    ratios to the bare floor and its replay floor (a `Rerun` too). Only `error` when it could not be measured."""

    n: int
    median_ms: float
    p95_ms: float
    min_ms: float
    errors: list[str]
    elements: int
    delta_kib: float
    ratio_median: float
    ratio_p95: float
    replay: Rerun
    replay_ratio_median: float
    replay_ratio_p95: float
    error: str


def stats_ms(samples: list[float]) -> Stats:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "min_ms": round(min(ms), 1),
    }


# ---------------------------------------------------------------------------------------------- server


DEPARTEMENT_VALUES = (["57"], ["54", "88"])


class _Recorder:
    """The messages of each AppTest run (`parse_tree_from_messages` is what AppTest calls on the queue of a
    finished run): the deltas a page sent, for the replay floor."""

    def __init__(self) -> None:
        self.last: list[ForwardMsg] = []

    def __enter__(self) -> _Recorder:
        from streamlit.testing.v1 import local_script_runner

        self._module, self._original = local_script_runner, local_script_runner.parse_tree_from_messages

        def parse(messages):  # noqa: ANN001, ANN202 - the signature of what it replaces
            self.last = list(messages)
            return self._original(messages)

        local_script_runner.parse_tree_from_messages = parse
        return self

    def __exit__(self, *exc: object) -> None:
        self._module.parse_tree_from_messages = self._original

    def deltas(self) -> list[bytes]:
        return [m.SerializeToString() for m in self.last if m.WhichOneof("type") == "delta"]


def _time_filter_changes(
    entrypoint: str, page: str | None, n: int, record: list[list[bytes]] | None = None
) -> Rerun:
    """Server time of `n` Département changes (AppTest, caches warm). With `record`, the delta messages of a
    warm rerun for each Département selection are appended to it (what `bench/replay_app.py` replays)."""
    from streamlit.testing.v1 import AppTest

    apptest_as_a_running_server()  # reruns as a running server has them, not "the first run of a process"
    at = AppTest.from_file(entrypoint, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page).run()
    values = DEPARTEMENT_VALUES
    with _Recorder() as recorder:
        for _ in range(2):  # warm-up: caches filled for both selections (what a second user gets), twice
            for value in values:
                at.multiselect(key="f_departements").set_value(value).run()
                if record is not None and _ == 1:
                    record.append(recorder.deltas())
    samples = []
    for i in range(n):
        widget = at.multiselect(key="f_departements").set_value(values[i % 2])
        start = time.perf_counter()
        widget.run()
        samples.append(time.perf_counter() - start)
    errors = [str(e.value)[:200] for e in at.exception]
    errors += [str(e.value)[:200] for e in at.error if "erreur inattendue" in str(e.value)]
    out: Rerun = {**stats_ms(samples), "errors": errors}
    if record is not None:
        out["elements"] = len(record[-1]) if record else 0
        out["delta_kib"] = round(sum(len(m) for m in record[-1]) / 1024, 1) if record else 0
    return out


def _time_replay(recorded: list[list[bytes]], n: int) -> Rerun:
    """Server time of `n` reruns of bench/replay_app.py sending `recorded` (the page's own deltas, alternating
    the two Département selections as the page's reruns do)."""
    import pickle

    with tempfile.TemporaryDirectory(prefix="observatoire-bench-replay-") as tmp:
        path = Path(tmp) / "replay.pkl"
        path.write_bytes(pickle.dumps(recorded))
        previous = os.environ.get("OBSERVATOIRE_REPLAY")
        os.environ["OBSERVATOIRE_REPLAY"] = str(path)
        try:
            from streamlit.testing.v1 import AppTest

            # a plain rerun without widget states: the replayed widgets are elements, not registered widgets
            # (AppTest's `run()` would read their values from the session state: KeyError)
            at = AppTest.from_file(str(ROOT / "bench" / "replay_app.py"), default_timeout=120)
            for _ in range(4):
                at._run()  # noqa: SLF001
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                at._run()  # noqa: SLF001
                samples.append(time.perf_counter() - start)
            errors = [str(e.value)[:200] for e in at.exception]
            return {**stats_ms(samples), "errors": errors}
        finally:
            if previous is None:
                os.environ.pop("OBSERVATOIRE_REPLAY", None)
            else:
                os.environ["OBSERVATOIRE_REPLAY"] = previous


def bench_server(n: int = 15) -> dict[str, Rerun]:
    """Per page: the Département change on the page, the bare-widget floor (same sidebar widgets, no data)
    and the replay floor (the page's own elements, precomputed): ratios page / floor."""
    import logging

    import streamlit as st

    for name in (
        "streamlit",
        "streamlit.runtime",
        "streamlit.runtime.caching.cache_data_api",
        "streamlit.runtime.scriptrunner_utils.script_run_context",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)

    results: dict[str, Rerun] = {}
    bare = _time_filter_changes(str(ROOT / "bench" / "bare_app.py"), None, n)
    results["bare"] = bare
    for name, path in PAGES.items():
        st.cache_data.clear()
        st.cache_resource.clear()
        recorded: list[list[bytes]] = []
        try:
            res = _time_filter_changes(str(ROOT / "dashboard.py"), path, n, record=recorded)
        except Exception as exc:  # noqa: BLE001 - a page being written must not stop the benchmark
            res = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        if "median_ms" in res:
            res["ratio_median"] = round(res["median_ms"] / bare["median_ms"], 2)
            res["ratio_p95"] = round(res["p95_ms"] / bare["p95_ms"], 2)
            st.cache_resource.clear()
            try:
                replay = _time_replay(recorded, n)
                res["replay"] = replay
                res["replay_ratio_median"] = round(res["median_ms"] / replay["median_ms"], 2)
                res["replay_ratio_p95"] = round(res["p95_ms"] / replay["p95_ms"], 2)
            except Exception as exc:  # noqa: BLE001
                res["replay"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name] = res
    return results


def render_server(res: dict[str, Rerun]) -> str:
    rows: list[list[object]] = []
    for name, r in res.items():
        if "error" in r:
            rows.append([name, "-", "-", "-", "-", "-", "-", r["error"][:60]])
            continue
        if name == "bare":
            rows.append(
                [
                    name,
                    r["n"],
                    r["median_ms"],
                    r["p95_ms"],
                    "1 (plancher)",
                    "-",
                    "-",
                    "; ".join(r["errors"])[:60] or "0",
                ]
            )
            continue
        replay = r.get("replay", {})
        replay_cell = (
            f"{replay['median_ms']} / {replay['p95_ms']}"
            if "median_ms" in replay
            else replay.get("error", "-")[:40]
        )
        replay_ratio = (
            f"{r['replay_ratio_median']}× / {r['replay_ratio_p95']}×" if "replay_ratio_median" in r else "-"
        )
        rows.append(
            [
                f"{name} ({r.get('elements', '?')} él., {r.get('delta_kib', '?')} Kio)",
                r["n"],
                r["median_ms"],
                r["p95_ms"],
                f"{r['ratio_median']}× / {r['ratio_p95']}×",
                replay_cell,
                replay_ratio,
                "; ".join(r["errors"] + replay.get("errors", []))[:60] or "0",
            ]
        )
    return table(
        "Changement du filtre Département : temps serveur (AppTest, cache chaud) — objectif ≤ 2× "
        "le plancher.\nPlancher nu = bench/bare_app.py (mêmes widgets, aucune donnée) ; "
        "plancher rejoué = bench/replay_app.py (les mêmes éléments que la page, précalculés : le ratio "
        "mesure notre propre travail)",
        [
            "page",
            "N",
            "médiane ms",
            "p95 ms",
            "ratio nu méd. / p95",
            "rejoué méd. / p95 ms",
            "ratio rejoué méd. / p95",
            "erreurs",
        ],
        rows,
    )


# --------------------------------------------------------------------------------------------- browser


def _map_painted(page, timeout: float = 60_000) -> None:  # noqa: ANN001
    handle = page.wait_for_selector(MAP_IFRAME, state="attached", timeout=timeout)
    frame = handle.content_frame()
    frame.wait_for_function(
        "(n) => window.map && document.querySelectorAll('path.leaflet-interactive').length >= n",
        arg=BASSIN_COUNT,
        timeout=timeout,
    )


def _map_html_size() -> dict[str, object]:
    """Size of the folium map HTML of the Carte page's default view, built as the page builds it
    (`bench._server.default_map`: components.maps.build_map with the default indicator, the last year, default
    classes, no basemap)."""
    try:
        built = default_map()
    except Exception as exc:  # noqa: BLE001 - report, don't stop the benchmark
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return {
        "builder": "maps.build_map (vue par défaut, sans figures des labos)",
        "bytes": len(built.html.encode("utf-8")),
        "indicator": built.indicator,
        "annee": built.annee,
    }


def bench_browser(map_runs: int = 5, sessions: int = 10) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    results: dict[str, object] = {}
    with streamlit_server() as server, sync_playwright() as pw:
        results["rss_start_mib"] = round((vm_rss_kib(server.pid) or 0) / 1024, 1)
        browser = launch_chromium(pw)
        try:
            # warm-up: database built, modules imported, caches filled (what the 2nd visitor gets)
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
            warm = ctx.new_page()
            goto(warm, server.url + "/carte")
            has_map = warm.locator(MAP_IFRAME).count() > 0
            ctx.close()
            time.sleep(1)
            results["rss_idle_mib"] = round((vm_rss_kib(server.pid) or 0) / 1024, 1)

            # navigation -> map painted
            samples, errors = [], []
            if has_map:
                for _ in range(map_runs):
                    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
                    page = ctx.new_page()
                    start = time.perf_counter()
                    try:
                        page.goto(server.url + "/carte", wait_until="commit")
                        _map_painted(page)
                        samples.append(time.perf_counter() - start)
                    except Exception as exc:  # noqa: BLE001
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    finally:
                        ctx.close()
            results["map_paint"] = {**(stats_ms(samples) if samples else {}), "errors": errors, "has_map": has_map}

            # bytes of the map page: HTTP responses by type + websocket frames received
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = ctx.new_page()
            responses: list = []
            ws_bytes = {"received": 0, "sent": 0}

            def on_ws(ws):  # noqa: ANN001, ANN202
                ws.on(
                    "framereceived",
                    lambda payload: ws_bytes.__setitem__("received", ws_bytes["received"] + len(payload)),
                )
                ws.on("framesent", lambda payload: ws_bytes.__setitem__("sent", ws_bytes["sent"] + len(payload)))

            page.on("response", lambda resp: responses.append(resp))
            page.on("websocket", on_ws)
            goto(page, server.url + "/carte")
            if has_map:
                _map_painted(page)
            page.wait_for_timeout(1000)
            by_type: dict[str, int] = {}
            outside = []
            for resp in responses:
                url = resp.url
                if not url.startswith(server.url):
                    outside.append(url)
                try:
                    size = len(resp.body())
                except Exception:  # noqa: BLE001 - redirects / aborted
                    size = 0
                kind = resp.request.resource_type
                if "/app/static/vendor/" in url:
                    kind = "vendor (" + kind + ")"
                elif "/component/" in url:
                    kind = "component (" + kind + ")"
                by_type[kind] = by_type.get(kind, 0) + size
            ctx.close()
            geojson = (ROOT / "data" / "reference" / "bassins.geojson").stat().st_size
            results["bytes"] = {
                "http_by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1])),
                "http_total": sum(by_type.values()),
                "map_related_http": sum(v for k, v in by_type.items() if k.startswith(("vendor", "component"))),
                "websocket_received": ws_bytes["received"],
                "websocket_sent": ws_bytes["sent"],
                "bassins_geojson_file": geojson,
                "folium_map_html": _map_html_size(),
                "outside_requests": outside,
            }

            # memory with N open sessions
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            pages = []
            for i in range(sessions):
                page = ctx.new_page()
                goto(page, server.url + list(URLS.values())[i % len(URLS)])
                pages.append(page)
            time.sleep(1)
            results["rss_sessions"] = {
                "sessions": sessions,
                "rss_mib": round((vm_rss_kib(server.pid) or 0) / 1024, 1),
            }
            ctx.close()
        finally:
            browser.close()
    return results


def render_browser(res: dict) -> str:
    out = []
    mp = res["map_paint"]
    if mp.get("n"):
        out.append(
            table(
                "Navigation → carte peinte dans Chromium (17 polygones de bassins dessinés)",
                ["mesure", "N", "médiane ms", "p95 ms", "min ms"],
                [["/carte", mp["n"], mp["median_ms"], mp["p95_ms"], mp["min_ms"]]],
            )
        )
    else:
        out.append(f"Carte : non mesurée (iframe présente : {mp['has_map']}, erreurs : {mp['errors']})\n")
    b = res["bytes"]
    rows = [[k, f"{v / 1024:.1f}"] for k, v in b["http_by_type"].items()]
    rows.append(["= total HTTP", f"{b['http_total'] / 1024:.1f}"])
    rows.append(["dont carte (vendor + composant)", f"{b['map_related_http'] / 1024:.1f}"])
    rows.append(["websocket reçu (page + carte folium)", f"{b['websocket_received'] / 1024:.1f}"])
    rows.append(["data/reference/bassins.geojson (objectif ≤ 60)", f"{b['bassins_geojson_file'] / 1024:.1f}"])
    fm = b["folium_map_html"]
    rows.append(
        [
            "HTML folium (components.maps) (objectif ≤ 250)",
            f"{fm['bytes'] / 1024:.1f}" if "bytes" in fm else fm.get("error", "?")[:50],
        ]
    )
    out.append(table("Octets de la page Carte (chargement à froid du navigateur)", ["quoi", "Kio"], rows))
    if b["outside_requests"]:
        out.append("REQUÊTES HORS ORIGINE : " + ", ".join(b["outside_requests"]) + "\n")
    out.append(
        table(
            "Mémoire du serveur streamlit (VmRSS)",
            ["état", "Mio"],
            [
                ["démarré (santé ok)", res["rss_start_mib"]],
                ["au repos après une visite", res["rss_idle_mib"]],
                [f"{res['rss_sessions']['sessions']} sessions ouvertes", res["rss_sessions"]["rss_mib"]],
            ],
        )
    )
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------- store


def synthetic_measures(seed: int = 20240901):  # noqa: ANN201
    """≈ 5 M rows: 30 académies × 10-20 bassins × 120 months (10 school years) × 24 indicators × 4 niveaux."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    per_academie = rng.integers(10, 21, size=30)
    bassin_academie = np.repeat(np.arange(30), per_academie)
    n_bassins = len(bassin_academie)
    months = [f"{2014 + (m + 8) // 12}-{(m + 8) % 12 + 1:02d}" for m in range(120)]  # 2014-09 .. 2024-08
    years = [f"{2014 + m // 12}-{2015 + m // 12}" for m in range(120)]
    indicators = [f"ind_{i:02d}" for i in range(24)]
    niveaux = ["ecole", "college", "lycee", "tous"]
    shape = (n_bassins, len(months), len(indicators), len(niveaux))
    total = int(np.prod(shape))
    idx = np.indices(shape, dtype=np.int32).reshape(4, total)
    bassin_idx, month_idx, ind_idx, niv_idx = idx
    bassin_codes = np.array([f"a{a:02d}-b{i:03d}" for i, a in enumerate(bassin_academie)], dtype=object)
    frame = pd.DataFrame(
        {
            "academie": pd.Categorical.from_codes(bassin_academie[bassin_idx], [f"a{a:02d}" for a in range(30)]),
            "bassin": pd.Categorical.from_codes(bassin_idx, bassin_codes),
            "periode": pd.Categorical.from_codes(month_idx, months),
            "annee_scolaire": pd.Categorical.from_codes(month_idx // 12, sorted(set(years))),
            "indicateur": pd.Categorical.from_codes(ind_idx, indicators),
            "niveau": pd.Categorical.from_codes(niv_idx, niveaux),
            "valeur": rng.gamma(2.0, 50.0, size=total).round(1),
        }
    )
    return frame


def bench_store(n: int = 15) -> dict[str, object]:
    import duckdb

    t0 = time.perf_counter()
    frame = synthetic_measures()
    gen_s = time.perf_counter() - t0
    academie = "a07"
    bassins = frame.loc[frame["academie"] == academie, "bassin"].unique().tolist()
    indicator, niveau = "ind_05", "college"

    with tempfile.TemporaryDirectory(prefix="observatoire-bench-") as tmp:
        path = Path(tmp) / "scale.duckdb"
        t0 = time.perf_counter()
        with duckdb.connect(str(path)) as con:
            con.register("frame", frame)
            con.execute("""CREATE TABLE mesures AS SELECT academie::VARCHAR AS academie, bassin::VARCHAR AS bassin,
                           periode::VARCHAR AS periode, annee_scolaire::VARCHAR AS annee_scolaire,
                           indicateur::VARCHAR AS indicateur, niveau::VARCHAR AS niveau, valeur FROM frame""")
        load_s = time.perf_counter() - t0
        con = duckdb.connect(str(path), read_only=True)
        sql = """SELECT annee_scolaire, SUM(valeur) AS valeur FROM mesures
                 WHERE indicateur = $ind AND niveau = $niv AND bassin IN (SELECT unnest($bassins::VARCHAR[]))
                 GROUP BY annee_scolaire ORDER BY annee_scolaire"""
        params = {"ind": indicator, "niv": niveau, "bassins": bassins}

        def run_duckdb():  # noqa: ANN202
            return con.execute(sql, params).df()

        bassin_set = set(bassins)

        def run_pandas():  # noqa: ANN202
            sub = frame[
                (frame["indicateur"] == indicator) & (frame["niveau"] == niveau) & frame["bassin"].isin(bassin_set)
            ]
            return sub.groupby("annee_scolaire", observed=True)["valeur"].sum().reset_index()

        def timed(fn: Callable[[], T]) -> tuple[list[float], T]:
            result = fn()  # warm-up
            samples = []
            for _ in range(n):
                start = time.perf_counter()
                result = fn()
                samples.append(time.perf_counter() - start)
            return samples, result

        duck_samples, duck_res = timed(run_duckdb)
        pandas_samples, pandas_res = timed(run_pandas)
        # the same DataFrame with plain text columns (pandas 3 default `str` dtype), as read from a CSV
        t0 = time.perf_counter()
        text_frame = frame.astype({c: "str" for c in frame.columns if c != "valeur"})
        convert_s = time.perf_counter() - t0

        def run_pandas_text():  # noqa: ANN202
            sub = text_frame[
                (text_frame["indicateur"] == indicator)
                & (text_frame["niveau"] == niveau)
                & text_frame["bassin"].isin(bassins)
            ]
            return sub.groupby("annee_scolaire")["valeur"].sum().reset_index()

        text_samples, text_res = timed(run_pandas_text)
        text_mib = text_frame.memory_usage(deep=True).sum() / 2**20
        con.close()
        db_mib = path.stat().st_size / 2**20
    same = all(
        np.allclose(duck_res["valeur"].to_numpy(), other["valeur"].to_numpy())
        and list(duck_res["annee_scolaire"]) == [str(v) for v in other["annee_scolaire"]]
        for other in (pandas_res, text_res)
    )
    duck, pand, text = stats_ms(duck_samples), stats_ms(pandas_samples), stats_ms(text_samples)
    return {
        "rows": len(frame),
        "bassins": int(frame["bassin"].nunique()),
        "academies": 30,
        "query": f"SUM({indicator}) niveau={niveau}, {len(bassins)} bassins de {academie}, par année scolaire",
        "generate_s": round(gen_s, 1),
        "load_duckdb_s": round(load_s, 1),
        "duckdb_file_mib": round(db_mib, 1),
        "pandas_mib": round(frame.memory_usage(deep=True).sum() / 2**20, 1),
        "pandas_text_mib": round(text_mib, 1),
        "to_text_s": round(convert_s, 1),
        "duckdb": duck,
        "pandas": pand,
        "pandas_text": text,
        "same_result": same,
        "ratio_median": round(pand["median_ms"] / duck["median_ms"], 1),
        "ratio_text_median": round(text["median_ms"] / duck["median_ms"], 1),
    }


def render_store(res: dict) -> str:
    head = (
        f"{res['rows']:,} lignes".replace(",", " ") + f" ({res['academies']} académies, {res['bassins']} bassins, "
        f"120 mois, 24 indicateurs, 4 niveaux) — génération {res['generate_s']} s, chargement DuckDB "
        f"{res['load_duckdb_s']} s ({res['duckdb_file_mib']} Mio), DataFrame {res['pandas_mib']} Mio en "
        f"catégories, {res['pandas_text_mib']} Mio en texte\n"
        f"requête : {res['query']} ; mêmes résultats : {res['same_result']}\n"
    )
    rows = [
        [
            "DuckDB (fichier, lecture seule)",
            res["duckdb"]["n"],
            res["duckdb"]["median_ms"],
            res["duckdb"]["p95_ms"],
        ],
        [
            "pandas, colonnes catégorielles",
            res["pandas"]["n"],
            res["pandas"]["median_ms"],
            res["pandas"]["p95_ms"],
        ],
        [
            "pandas, colonnes texte (comme lu d'un CSV)",
            res["pandas_text"]["n"],
            res["pandas_text"]["median_ms"],
            res["pandas_text"]["p95_ms"],
        ],
        ["ratio pandas catégories / DuckDB", "", f"{res['ratio_median']}×", ""],
        ["ratio pandas texte / DuckDB", "", f"{res['ratio_text_median']}×", ""],
    ]
    return (
        table(
            "Échelle nationale synthétique — objectif DuckDB ≤ 200 ms et ≥ 5× plus rapide",
            ["moteur", "N", "médiane ms", "p95 ms"],
            rows,
        )
        + head
    )


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="server,browser,store", help="sections, séparées par des virgules")
    parser.add_argument("-n", type=int, default=15, help="répétitions des mesures serveur et base (15)")
    parser.add_argument("--map-runs", type=int, default=5)
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.only.split(",") if s.strip()}

    started = time.perf_counter()
    info = machine_info()
    results: dict[str, object] = {"machine": info, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    text = [
        f"Machine : {info['nproc']} cœurs, {info['cpu']}, {info['ram_gib']} Gio RAM, Python {info['python']}\n"
    ]
    print(text[0], flush=True)

    with tempfile.TemporaryDirectory(prefix="observatoire-bench-db-") as tmp:
        if "server" in sections:
            from observatoire import versions

            versions.Repository(Path(tmp)).init()
            previous = os.environ.get("OBSERVATOIRE_STORE")
            os.environ["OBSERVATOIRE_STORE"] = tmp
            try:
                results["server"] = server = bench_server(args.n)
            finally:
                if previous is None:
                    os.environ.pop("OBSERVATOIRE_STORE", None)
                else:
                    os.environ["OBSERVATOIRE_STORE"] = previous
            text.append(render_server(server))
            print(text[-1], flush=True)
    for section, run, render in (
        ("browser", lambda: bench_browser(args.map_runs), render_browser),
        ("store", lambda: bench_store(args.n), render_store),
    ):
        if section not in sections:
            continue
        try:
            results[section] = measured = run()
            text.append(render(measured))
        except Exception as exc:  # noqa: BLE001 - report and go on with the other sections
            error = f"{type(exc).__name__}: {exc}"[:500]
            results[section] = {"error": error}
            text.append(f"Section {section} en échec : {error}\n")
        print(text[-1], flush=True)
    results["duration_s"] = round(time.perf_counter() - started, 1)
    text.append(f"Durée totale : {results['duration_s']} s\n")
    print(text[-1])

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    (OUT_DIR / "latest.txt").write_text("\n".join(text), encoding="utf-8")
    print(f"Écrit : {OUT_DIR / 'latest.json'} et latest.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
