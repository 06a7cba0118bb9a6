"""Navigation to « Carte » until the 17 bassin polygons are painted, in Chromium, with where the time goes.

    .venv/bin/python bench/map_paint.py                 # 5 runs of each scenario (≈ 1 min)
    .venv/bin/python bench/map_paint.py --runs 9 --app-root /tmp/copy   # a copy of the app, to compare a change

Scenarios (a fresh browser context each run, median of the runs; goal: painted ≤ 1,5 s after navigation):
  navigation  the overview (`/`) is loaded and idle, then the sidebar link « Carte » is clicked: t0 = the click
              (what a cadre does; Streamlit's front end, and the overview's map assets, already in the cache)
  lien        a shared link `/carte` opened in a new context: t0 = the navigation (cold cache)
Breakdown, all on one clock (epoch ms from `performance.timeOrigin` of the page and of the map's iframe):
  iframe      the st_folium iframe is created in the page (server rerun + websocket + React)
  doc         the component's document loaded (its index.html + main.js)
  assets      first vendored asset requested → last one loaded (Performance API resource timings; st_folium
              loads the scripts ONE AFTER THE OTHER), count, bytes transferred, served from cache or not
  script      last asset loaded → polygons painted (map script parsed and run, Leaflet draws the SVG)
  messages    Streamlit component messages (postMessage) from the iframe, and websocket frames sent by the
              browser (BackMsg: a rerun request when the component sends a value) between t0 and paint
Also printed: size of the map HTML and of the bassins GeoJSON inside it, and JSON.parse time of that GeoJSON.
Loopback only; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import (  # noqa: E402
    MAP_IFRAME,
    default_map,
    goto,
    launch_chromium,
    machine_info,
    streamlit_server,
    table,
)

OUT_DIR = ROOT / "artifacts" / "bench"
BASSIN_COUNT = 17
GOAL_MS = 1500
NAV_LINK = '[data-testid="stSidebarNav"] a[href$="/carte"]'

# installed in every document of the context (the page AND the iframe): message and websocket counters
_INIT = """
(() => {
  window.__bench = {messages: [], wsSent: [], iframeAt: null};
  window.addEventListener('message', (e) => {
    const d = e.data || {};
    if (d.isStreamlitMessage || d.type) {
      window.__bench.messages.push([performance.timeOrigin + performance.now(), String(d.type || '?')]);
    }
  });
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const size = data && (data.byteLength || data.length || data.size) || 0;
    window.__bench.wsSent.push([performance.timeOrigin + performance.now(), size]);
    return send.call(this, data);
  };
  if (window.top === window) {
    new MutationObserver(() => {
      if (window.__bench.iframeAt === null && document.querySelector(__IFRAME__)) {
        window.__bench.iframeAt = performance.timeOrigin + performance.now();
      }
    }).observe(document, {subtree: true, childList: true});
  }
})();
""".replace("__IFRAME__", json.dumps(MAP_IFRAME))

_PAINTED = """(n) => {
  const paths = document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive');
  return window.map && paths.length >= n ? performance.timeOrigin + performance.now() : false;
}"""

_FRAME_TIMINGS = """() => {
  const origin = performance.timeOrigin;
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource').map(r => ({
    name: r.name, start: origin + r.startTime, end: origin + r.responseEnd, transfer: r.transferSize,
    body: r.decodedBodySize, type: r.initiatorType}));
  return {origin, docStart: origin + (nav ? nav.startTime : 0), docLoaded: origin + (nav ? nav.loadEventEnd : 0),
          resources: res};
}"""


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _one_run(browser, url: str, scenario: str) -> dict[str, object]:  # noqa: ANN001
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    ctx.add_init_script(_INIT)
    page = ctx.new_page()
    try:
        if scenario == "navigation":
            goto(page, url + "/")
            page.wait_for_timeout(500)
            t0 = page.evaluate("() => performance.timeOrigin + performance.now()")
            page.evaluate("() => { window.__bench.messages = []; window.__bench.wsSent = []; }")
            page.locator(NAV_LINK).first.click()
        else:
            t0 = time.time() * 1000
            page.goto(url + "/carte", wait_until="commit")
        handle = page.wait_for_selector(MAP_IFRAME, state="attached", timeout=60_000)
        frame = handle.content_frame()
        painted = frame.wait_for_function(_PAINTED, arg=BASSIN_COUNT, polling="raf", timeout=60_000).json_value()
        iframe_at = page.evaluate("() => window.__bench.iframeAt")
        timings = frame.evaluate(_FRAME_TIMINGS)
        page_bench = page.evaluate("() => window.__bench")
        frame_bench = frame.evaluate("() => window.__bench")
        page.wait_for_timeout(1500)  # a rerun caused by the component would show up here
        late_ws = [w for w in page.evaluate("() => window.__bench.wsSent") if w[0] > painted]
    finally:
        ctx.close()
    vendor = [r for r in timings["resources"] if "/app/static/vendor/" in r["name"]]
    doc = [r for r in timings["resources"] if "/component/" in r["name"]]
    first_asset = min((r["start"] for r in vendor), default=timings["docLoaded"])
    last_asset = max((r["end"] for r in vendor), default=first_asset)
    return {
        "total": painted - t0,
        "iframe": (iframe_at or timings["docStart"]) - t0,
        "doc": timings["docLoaded"] - (iframe_at or timings["docStart"]),
        "wait_args": first_asset - timings["docLoaded"],
        "assets": last_asset - first_asset,
        "script": painted - last_asset,
        "asset_count": len(vendor),
        "asset_kib": round(sum(r["transfer"] for r in vendor) / 1024, 1),
        "asset_body_kib": round(sum(r["body"] for r in vendor) / 1024, 1),
        "cached": sum(1 for r in vendor if r["transfer"] == 0),
        "component_kib": round(sum(r["transfer"] for r in doc) / 1024, 1),
        "messages": [m[1] for m in frame_bench["messages"] + page_bench["messages"] if t0 <= m[0] <= painted],
        "ws_sent": sum(1 for w in page_bench["wsSent"] if t0 <= w[0] <= painted),
        "ws_sent_after_paint": len(late_ws),
        "slowest_assets": sorted(
            ((round(r["end"] - r["start"]), r["name"].rsplit("/", 1)[-1]) for r in vendor), reverse=True
        )[:5],
    }


def _map_html(app_root: Path) -> dict[str, object]:
    """The Carte map HTML of the default view, built as the page builds it (components.maps.build_map)."""
    sys.path.insert(0, str(app_root))
    built = default_map()
    html, build_ms = built.html, built.build_ms
    # the bassins layer: the object literal given to the first `geo_json_…_add(` call
    match = re.search(r"geo_json_\w+_add\((\{.*?\})\);\n", html, re.S)
    geojson = match.group(1) if match else ""
    coords = re.findall(r"-?\d+\.\d+", geojson)
    decimals = statistics.median(len(c.split(".")[1]) for c in coords) if coords else 0
    return {
        "html_kib": round(len(html.encode()) / 1024, 1),
        "geojson_kib": round(len(geojson.encode()) / 1024, 1),
        "geojson_text": geojson,
        "coordinates": len(coords) // 2,
        "decimals": decimals,
        "build_ms": round(build_ms, 1),
    }


def summarise(runs: list[dict]) -> dict[str, object]:
    keys = ["total", "iframe", "doc", "wait_args", "assets", "script"]
    out: dict[str, object] = {k: round(statistics.median(r[k] for r in runs)) for k in keys}
    out["max_total"] = round(max(r["total"] for r in runs))
    for k in (
        "asset_count",
        "asset_kib",
        "asset_body_kib",
        "cached",
        "component_kib",
        "ws_sent",
        "ws_sent_after_paint",
    ):
        out[k] = statistics.median(r[k] for r in runs)
    out["messages"] = runs[-1]["messages"]
    out["slowest_assets"] = runs[-1]["slowest_assets"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app-root", type=Path, default=ROOT)
    parser.add_argument("--label", default="map_paint")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    app_root = args.app_root.resolve()
    res: dict[str, object] = {"machine": machine_info(), "load_before": load_average(), "app_root": str(app_root)}
    html = _map_html(app_root)
    with streamlit_server(app_root=app_root) as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            warm = browser.new_context()
            goto(warm.new_page(), server.url + "/carte")  # caches of the server filled (the 2nd visitor's case)
            warm.close()
            for scenario in ("navigation", "lien"):
                runs, errors = [], []
                for _ in range(args.runs):
                    try:
                        runs.append(_one_run(browser, server.url, scenario))
                    except Exception as exc:  # noqa: BLE001 - counted and printed
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                res[scenario] = {**(summarise(runs) if runs else {}), "n": len(runs), "errors": errors}
            page = browser.new_page()
            page.goto(server.url + "/_stcore/health")
            parse = page.evaluate(
                """(text) => { const t = []; for (let i = 0; i < 7; i++) {
                const s = performance.now(); JSON.parse(text); t.push(performance.now() - s); }
                t.sort((a, b) => a - b); return t[3]; }""",
                html["geojson_text"],
            )
            page.close()
        finally:
            browser.close()
    res["load_after"] = load_average()
    res["html"] = {
        **{k: v for k, v in html.items() if k != "geojson_text"},
        "geojson_parse_ms": round(parse, 2),
    }
    text = render(res)
    print(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"{args.label}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    (OUT_DIR / f"{args.label}.txt").write_text(text, encoding="utf-8")


def render(res: dict) -> str:
    out = [f"Machine : {res['machine']} — charge (loadavg 1/5/15) : {res['load_before']} → {res['load_after']}\n"]
    rows = []
    for scenario in ("navigation", "lien"):
        r = res[scenario]
        if not r.get("n"):
            rows.append([scenario, 0, "-", "-", "-", "-", "-", "-", "-", "; ".join(r["errors"])[:60]])
            continue
        rows.append(
            [
                scenario,
                r["n"],
                r["total"],
                r["max_total"],
                r["iframe"],
                r["doc"],
                r["wait_args"],
                r["assets"],
                r["script"],
                len(r["errors"]),
            ]
        )
    out.append(
        table(
            f"Navigation → 17 bassins peints (médiane, ms ; objectif ≤ {GOAL_MS} ms)",
            ["scénario", "N", "total", "max", "iframe", "doc", "attente args", "ressources", "script", "erreurs"],
            rows,
        )
    )
    rows = []
    for scenario in ("navigation", "lien"):
        r = res[scenario]
        if r.get("n"):
            rows.append(
                [
                    scenario,
                    r["asset_count"],
                    r["cached"],
                    r["asset_kib"],
                    r["asset_body_kib"],
                    r["component_kib"],
                    r["ws_sent"],
                    r["ws_sent_after_paint"],
                ]
            )
    out.append(
        table(
            "Ressources de la carte et allers-retours",
            [
                "scénario",
                "ressources",
                "en cache",
                "Kio transférés",
                "Kio décodés",
                "Kio composant",
                "messages ws envoyés",
                "ws après peinture",
            ],
            rows,
        )
    )
    for scenario in ("navigation", "lien"):
        r = res[scenario]
        if r.get("n"):
            out.append(
                f"{scenario} : messages du composant {r['messages']} ; ressources les plus lentes (ms) "
                f"{r['slowest_assets']}\n"
            )
    h = res["html"]
    out.append(
        f"HTML de la carte {h['html_kib']} Kio (construit en {h['build_ms']} ms) ; GeoJSON des bassins "
        f"{h['geojson_kib']} Kio, {h['coordinates']} points, {h['decimals']} décimales (médiane), "
        f"JSON.parse {h['geojson_parse_ms']} ms\n"
    )
    return "\n".join(out)


if __name__ == "__main__":
    main()
