"""Accessibility: axe-core (vendored, injected by Playwright, never loaded by the app) on every page and
inside the map iframe. Zero `serious` / `critical` violation allowed.

No exclusion: every rule applies to every node. (The KPI cards' sparklines used to be Streamlit's Vega-Lite
`st.metric(chart_data=…)`, whose unnamed `role="graphics-symbol"` marks failed `svg-img-alt`; they are now
`observatoire.figures.sparkline` SVGs with `role="img"` and a French text alternative.)
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from tests.e2e import _ui
from tests.e2e._ui import PAGES, goto

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"
BLOCKING = ("serious", "critical")


@cache
def axe_path() -> Path:
    """The vendored axe-core named in static/vendor/VERSIONS.txt (`[axe-core-X.Y.Z]` section)."""
    text = (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8")
    match = re.search(r"^\[(axe-core-[\d.]+)\]", text, flags=re.MULTILINE)
    assert match, "axe-core absent de static/vendor/VERSIONS.txt"
    path = VENDOR / match.group(1) / "axe.min.js"
    assert path.is_file(), f"{path} manquant"
    return path


_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes
      .map(n => ({target: n.target, html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 300)})),
  })).filter(v => v.nodes.length);
}"""


def run_axe(frame) -> list[dict]:  # noqa: ANN001 - Page or Frame
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.add_script_tag(path=str(axe_path()))
    return frame.evaluate(_RUN_AXE)


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {json.dumps(node['target'], ensure_ascii=False)} {node['html']}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", " | "))
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(page, server, name):
    goto(page, server + PAGES[name])
    page.wait_for_timeout(500)  # plotly / fonts settled: contrast is computed on what is drawn
    found = blocking(run_axe(page))
    assert found == [], f"axe-core, page {name} :\n{describe(found)}"


def test_no_serious_accessibility_violation_inside_the_map(page, server):
    goto(page, server + "/carte")
    _ui.wait_map_drawn(page)
    frame = _ui.map_frame(page)
    found = blocking(run_axe(frame))
    assert found == [], f"axe-core, iframe de la carte :\n{describe(found)}"


def test_kpi_sparklines_are_named_images_in_the_browser(page, server):
    """st.markdown(unsafe_allow_html=True) keeps the SVG's role and aria-label (st.html would drop them) and
    Streamlit draws no Vega-Lite sparkline any more."""
    goto(page, server + PAGES["vue-ensemble"])
    page.wait_for_selector("svg.kpi-sparkline")
    found = page.eval_on_selector_all(
        "svg.kpi-sparkline",
        "els => els.map(e => [e.getAttribute('role'), e.getAttribute('aria-label'), "
        "e.querySelector('title') && e.querySelector('title').textContent])",
    )
    assert found and all(
        role == "img" and label and label.startswith("Évolution : de ") and title == label
        for role, label, title in found
    ), found
    assert (
        page.locator(
            '[data-testid="stMetric"] svg[role="graphics-document"], [data-testid="stMetric"] .vega-embed'
        ).count()
        == 0
    )
