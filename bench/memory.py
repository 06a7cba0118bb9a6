"""Memory of the dashboard: what the server process holds, per import and per cache. Prints tables.

    .venv/bin/python bench/memory.py                       # every section (≈ 2 min on 2 cores)
    .venv/bin/python bench/memory.py --only imports        # imports | pages | server | heap
    .venv/bin/python bench/memory.py --app-root /tmp/copy  # the same measures on a copy of the app

Sections (no assertion: figures to compare with the goal, 10 sessions ≤ 400 MiB RSS):
  imports  RSS of a fresh interpreter after `import streamlit`, then each heavy package ALONE on top of it (what
           it costs by itself: pandas, plotly, duckdb, folium, shapely/pyproj/geopandas, mapclassify (scipy +
           scikit-learn), pandera, kaleido, python-pptx, fpdf2…), and the app's own import chain cumulated in
           the order the server meets it (router, then each page's imports, read from the files with `ast`).
  pages    the same chain, per page: RSS added by the imports of each page and the heavy packages it pulls in.
  server   `streamlit run dashboard.py` (bench/_server.py) with `server.enableExpensiveMemoryStats`: VmRSS at
           start, after one visit of each page in Chromium (cumulated), then with N sessions open at once;
           `/_stcore/metrics` → bytes held by st.cache_data / st.cache_resource / session state; the native
           libraries the process has mapped (which heavy packages were really loaded).
  heap     in process (AppTest through the router, every page once), tracemalloc: Python allocations still
           held, grouped by package — the part of RSS that is Python objects, not code and native libraries.
Loopback only; the server is stopped at the end (process group).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import (  # noqa: E402
    PAGES,
    SCREEN_PAGES,
    URLS,
    goto,
    launch_chromium,
    machine_info,
    streamlit_server,
    table,
    vm_rss_kib,
)

OUT_DIR = ROOT / "artifacts" / "bench"
GOAL_MIB = 400
# (label, modules): imported ALONE after `import streamlit`, each in a fresh interpreter
PACKAGES = [
    ("pandas", ["pandas"]),
    ("numpy", ["numpy"]),
    ("pyarrow", ["pyarrow"]),
    ("plotly (graph_objects + une figure)", ["plotly.graph_objects"]),
    ("duckdb", ["duckdb"]),
    ("folium (+ plugins)", ["folium", "folium.plugins"]),
    ("streamlit_folium", ["streamlit_folium"]),
    ("shapely", ["shapely"]),
    ("pyproj", ["pyproj"]),
    ("geopandas (shapely + pyproj)", ["geopandas"]),
    ("mapclassify (scipy + scikit-learn)", ["mapclassify"]),
    ("scipy.stats", ["scipy.stats"]),
    ("scikit-learn", ["sklearn.cluster"]),
    ("pandera", ["pandera.pandas"]),
    ("kaleido", ["kaleido"]),
    ("python-pptx", ["pptx", "pptx.util", "pptx.dml.color"]),
    ("fpdf2", ["fpdf"]),
    ("segno", ["segno"]),
    ("openpyxl", ["openpyxl"]),
    ("python-calamine", ["python_calamine"]),
    ("babel.numbers", ["babel.numbers"]),
]
# top-level packages reported as "heavy" when a page pulls them in
HEAVY = [
    "pandas",
    "pyarrow",
    "plotly",
    "duckdb",
    "folium",
    "branca",
    "streamlit_folium",
    "shapely",
    "pyproj",
    "geopandas",
    "mapclassify",
    "scipy",
    "sklearn",
    "pandera",
    "kaleido",
    "choreographer",
    "pptx",
    "fpdf",
    "segno",
    "openpyxl",
    "python_calamine",
    "xlsxwriter",
    "PIL",
    "lxml",
    "networkx",
    "joblib",
    "authlib",
]
ROUTER = "dashboard.py"
SESSION_URLS = [URLS[name] for name in SCREEN_PAGES]

# run in a fresh interpreter: import the given module lists one after the other, print RSS (KiB) after each
_PROBE = r"""
import importlib, json, logging, sys, warnings
warnings.simplefilter("ignore")
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
steps = json.loads(sys.argv[1])
out = [["(interpréteur)", rss(), []]]
before = set(sys.modules)
for label, modules in steps:
    for name in modules:
        importlib.import_module(name)
        if name == "streamlit":
            for logger in ("streamlit", "streamlit.runtime.caching.cache_data_api",
                           "streamlit.runtime.scriptrunner_utils.script_run_context"):
                logging.getLogger(logger).setLevel(logging.ERROR)
        if name == "plotly.graph_objects":  # plotly 7 loads its validators on first use
            import plotly.graph_objects as go
            go.Figure(go.Bar(x=[1], y=[1])).to_plotly_json()
    now = set(sys.modules)
    out.append([label, rss(), sorted({m.split(".")[0] for m in now - before})])
    before = now
print(json.dumps(out))
"""


def mib(kib: float | None) -> float:
    return round((kib or 0) / 1024, 1)


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _probe(steps: list[tuple[str, list[str]]], app_root: Path) -> list[list]:
    env = dict(os.environ, PYTHONPATH=str(app_root), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(steps)],
        cwd=app_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-1500:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _file_imports(path: Path) -> list[str]:
    """Modules imported at the top level of a script (what running it imports first)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module != "__future__":
            base = node.module
            names.append(base)
            for alias in node.names:  # `from components import maps`: maps is a module
                candidate = f"{base}.{alias.name}"
                parts = candidate.split(".")
                if (path.parent.parent / Path(*parts)).with_suffix(".py").exists() or (
                    ROOT / Path(*parts)
                ).with_suffix(".py").exists():
                    names.append(candidate)
    return list(dict.fromkeys(names))


def bench_imports(app_root: Path) -> dict[str, object]:
    base = _probe([("streamlit", ["streamlit"])], app_root)
    streamlit_kib = base[-1][1]
    alone = []
    for label, modules in PACKAGES:
        try:
            out = _probe([("streamlit", ["streamlit"]), (label, modules)], app_root)
            alone.append({"label": label, "mib": mib(out[-1][1] - out[-2][1]), "pulls": out[-1][2]})
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            alone.append({"label": label, "error": str(exc)[-200:]})
    return {"interpreter_mib": mib(base[0][1]), "streamlit_mib": mib(streamlit_kib), "alone": alone}


def bench_pages(app_root: Path) -> dict[str, object]:
    steps = [("streamlit", ["streamlit"]), ("routeur (dashboard.py)", _file_imports(app_root / ROUTER))]
    steps += [(name, _file_imports(app_root / path)) for name, path in PAGES.items()]
    out = _probe(steps, app_root)
    rows = []
    for (label, kib, new), (_, prev, _) in zip(out[1:], out[:-1]):
        rows.append(
            {
                "step": label,
                "added_mib": mib(kib - prev),
                "total_mib": mib(kib),
                "heavy": [m for m in new if m in HEAVY],
            }
        )
    return {"steps": rows}


def _metrics(url: str) -> dict[str, int]:
    """bytes per cache from /_stcore/metrics (OpenMetrics text; `cache_memory_bytes{cache_type=…,cache=…}`)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{url}/_stcore/metrics", timeout=120) as response:
        text = response.read().decode("utf-8", "replace")
    out: dict[str, int] = {}
    for line in text.splitlines():
        match = re.match(r'cache_memory_bytes\{cache_type="([^"]+)",cache="([^"]*)"\}\s+([0-9.e+]+)', line)
        if match:
            kind, name, value = match.groups()
            key = f"{kind}: {name.rsplit('.', 1)[-1] or '-'}"
            out[key] = out.get(key, 0) + int(float(value))
    return out


def _smaps(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in ("Rss:", "Anonymous:", "Shared_Clean:", "Private_Clean:"):
                out[parts[0].rstrip(":")] = mib(int(parts[1]))
    except OSError:
        pass
    return out


def _native_packages(pid: int) -> list[str]:
    """Packages of site-packages with a shared library mapped in the process (they were imported)."""
    found: set[str] = set()
    try:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            match = re.search(r"site-packages/([A-Za-z0-9_]+)", line)
            if match and ".so" in line:
                found.add(match.group(1).removesuffix(".libs").rstrip("_"))
    except OSError:
        pass
    return sorted(found)


def bench_server(app_root: Path, sessions: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    res: dict[str, object] = {"load_before": load_average()}
    args = ["--server.enableExpensiveMemoryStats", "true"]
    store = Path(tempfile.mkdtemp(prefix="observatoire-mem-store-"))
    # the data version is published before the server starts, as `make run` does (`observatoire init`): the
    # server only reads it (publishing it in the server would add the writer's memory to the reader's)
    subprocess.run(
        [sys.executable, "-m", "observatoire", "--store", str(store), "init"],
        cwd=app_root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with streamlit_server(store, extra_args=args, app_root=app_root) as server, sync_playwright() as pw:
        time.sleep(1)
        res["start_mib"] = mib(vm_rss_kib(server.pid))
        browser = launch_chromium(pw)
        try:
            ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
            page = ctx.new_page()
            visits = []
            for name, path in URLS.items():
                goto(page, server.url + path)
                time.sleep(0.5)
                visits.append({"page": name, "rss_mib": mib(vm_rss_kib(server.pid))})
            ctx.close()
            time.sleep(2)
            res["visits"] = visits
            res["after_visit_mib"] = mib(vm_rss_kib(server.pid))
            res["caches_after_visit"] = _metrics(server.url)
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            pages = []
            for i in range(sessions):
                tab = ctx.new_page()
                goto(tab, server.url + SESSION_URLS[i % len(SESSION_URLS)])
                pages.append(tab)
            time.sleep(2)
            res["sessions"] = sessions
            res["sessions_mib"] = mib(vm_rss_kib(server.pid))
            res["smaps_sessions"] = _smaps(server.pid)
            res["caches_sessions"] = _metrics(server.url)
            res["native"] = _native_packages(server.pid)
            ctx.close()
        finally:
            browser.close()
    shutil.rmtree(store, ignore_errors=True)
    res["load_after"] = load_average()
    res["env"] = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}
    return res


def bench_heap(app_root: Path, top: int = 15) -> dict[str, object]:
    """Every page once through the router (AppTest, in this process) under tracemalloc: Python allocations
    still held at the end, grouped by top-level package of the allocating frame."""
    code = r"""
import json, logging, re, sys, tracemalloc, warnings
warnings.simplefilter("ignore")
for name in ("streamlit", "streamlit.runtime.caching.cache_data_api",
             "streamlit.runtime.scriptrunner_utils.script_run_context"):
    logging.getLogger(name).setLevel(logging.ERROR)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
tracemalloc.start(1)
from streamlit.testing.v1 import AppTest
pages = json.loads(sys.argv[1])
root = sys.argv[2]
at = AppTest.from_file("dashboard.py", default_timeout=180)
at.run()
for page in pages:
    at.switch_page(page).run()
snap = tracemalloc.take_snapshot()
groups = {}
for stat in snap.statistics("filename"):
    name = stat.traceback[0].filename
    m = re.search(r"site-packages/([A-Za-z0-9_]+)", name)
    key = m.group(1) if m else ("app: " + name.split(root)[-1].split("/")[0] if name.startswith(root)
                                else "stdlib: " + name.rsplit("/", 1)[-1])
    groups[key] = groups.get(key, 0) + stat.size
print(json.dumps({"traced": sum(groups.values()), "rss": rss(),
                  "groups": sorted(groups.items(), key=lambda kv: -kv[1])}))
"""
    env = dict(os.environ, PYTHONPATH=str(app_root), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    with tempfile.TemporaryDirectory(prefix="observatoire-mem-") as tmp:
        env["OBSERVATOIRE_STORE"] = tmp
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(list(PAGES.values())), str(app_root) + "/"],
            cwd=app_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        return {"error": done.stderr[-1500:]}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "traced_mib": mib(out["traced"] / 1024),
        "rss_mib": mib(out["rss"]),
        "groups": [[k, mib(v / 1024)] for k, v in out["groups"][:top]],
    }


def render(res: dict) -> str:
    out = [f"Machine : {res['machine']} — charge (loadavg 1/5/15 min) au début : {res['load']}\n"]
    if "imports" in res:
        r = res["imports"]
        rows = [["interpréteur nu", r["interpreter_mib"], ""], ["+ import streamlit", r["streamlit_mib"], ""]]
        for a in r["alone"]:
            rows.append(
                [
                    f"+ {a['label']} seul",
                    a.get("mib", "erreur"),
                    ", ".join(m for m in a.get("pulls", []) if m in HEAVY)[:70] or a.get("error", "")[:70],
                ]
            )
        out.append(
            table(
                "RSS par import (interpréteur neuf : streamlit, puis le paquet seul)",
                ["import", "Mio", "paquets lourds chargés"],
                rows,
            )
        )
    if "pages" in res:
        rows = [
            [s["step"], s["added_mib"], s["total_mib"], ", ".join(s["heavy"])[:130]] for s in res["pages"]["steps"]
        ]
        out.append(
            table(
                "Chaîne d'imports de l'application, cumulée (routeur puis chaque page, dans l'ordre)",
                ["étape", "+ Mio", "total Mio", "paquets lourds ajoutés"],
                rows,
            )
        )
    if "server" in res:
        s = res["server"]
        rows = [["démarré (santé ok)", s["start_mib"]]]
        rows += [[f"après visite de {v['page']}", v["rss_mib"]] for v in s["visits"]]
        rows += [
            ["au repos après une visite de chaque page", s["after_visit_mib"]],
            [f"{s['sessions']} sessions ouvertes (objectif ≤ {GOAL_MIB})", s["sessions_mib"]],
        ]
        out.append(
            table(
                f"Serveur streamlit : VmRSS (charge {s['load_before']} → {s['load_after']}, "
                f"environnement {s.get('env') or 'glibc par défaut'})",
                ["état", "Mio"],
                rows,
            )
        )
        keys = sorted(set(s["caches_after_visit"]) | set(s["caches_sessions"]))
        rows = [
            [
                k,
                round(s["caches_after_visit"].get(k, 0) / 1024, 1),
                round(s["caches_sessions"].get(k, 0) / 1024, 1),
            ]
            for k in keys
        ]
        rows.sort(key=lambda r: -float(r[2]))
        out.append(
            table(
                "Caches du serveur (/_stcore/metrics, enableExpensiveMemoryStats)",
                ["cache", "Kio après visite", f"Kio, {s['sessions']} sessions"],
                rows[:25],
            )
        )
        out.append(f"smaps (10 sessions) : {s['smaps_sessions']}\n")
        out.append("Bibliothèques natives chargées : " + ", ".join(s["native"]) + "\n")
    if "heap" in res:
        h = res["heap"]
        if "error" in h:
            out.append(f"Tas Python : erreur {h['error'][-300:]}\n")
        else:
            out.append(
                table(
                    "Tas Python après chaque page une fois (AppTest, tracemalloc) : "
                    f"{h['traced_mib']} Mio tracés, RSS {h['rss_mib']} Mio (tracemalloc en plus)",
                    ["allocations par paquet", "Mio"],
                    h["groups"],
                )
            )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="imports,pages,server,heap")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument(
        "--app-root",
        type=Path,
        default=ROOT,
        help="dossier de l'application mesurée (une copie, pour comparer un changement)",
    )
    parser.add_argument("--label", default="memory")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NOM=VALEUR",
        help="variable d'environnement du serveur mesuré, ex. MALLOC_ARENA_MAX=2 (répétable)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    for item in args.env:  # streamlit_server passes its own environment on to the server
        name, _, value = item.partition("=")
        os.environ[name] = value
    app_root = args.app_root.resolve()
    res: dict[str, object] = {"machine": machine_info(), "load": load_average(), "app_root": str(app_root)}
    if "imports" in only:
        res["imports"] = bench_imports(app_root)
    if "pages" in only:
        res["pages"] = bench_pages(app_root)
    if "server" in only:
        res["server"] = bench_server(app_root, args.sessions)
    if "heap" in only:
        res["heap"] = bench_heap(app_root)
    text = render(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"{args.label}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (OUT_DIR / f"{args.label}.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
