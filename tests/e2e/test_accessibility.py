"""Accessibility: axe-core (vendored, injected by Playwright, never loaded by the app) on every page and
inside the map iframe. Zero `serious` / `critical` violation allowed.

Exclusions (see `EXCLUDED`): an exclusion is allowed only for a precise Streamlit-internal selector we
cannot fix, with the reason written next to it in `EXCLUDED` (rule id -> selectors), and listed in the
project report.
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

# rule id -> CSS selectors of Streamlit-internal elements excluded from that rule (each with its reason).
EXCLUDED: dict[str, list[str]] = {
    # st.metric(chart_data=...) sparklines: Streamlit draws them with Vega-Lite, whose empty
    # "highlighted points" mark groups get role="graphics-symbol" without a label. The markup is Streamlit's
    # (not reachable from our code); the metric's label, value and delta are the text alternative. Only the
    # SVG inside a metric is excluded, for this rule only. Alternative fix on our side: no `chart_data`.
    "svg-img-alt": ['[data-testid="stMetric"] svg'],
}


@cache
def axe_path() -> Path:
    """The vendored axe-core named in static/vendor/VERSIONS.txt (`[axe-core-X.Y.Z]` section)."""
    text = (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8")
    match = re.search(r"^\[(axe-core-[\d.]+)\]", text, flags=re.MULTILINE)
    assert match, "axe-core absent de static/vendor/VERSIONS.txt"
    path = VENDOR / match.group(1) / "axe.min.js"
    assert path.is_file(), f"{path} manquant"
    return path


_RUN_AXE = """async (excluded) => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes
      .filter(n => !(excluded[v.id] || []).some(sel => n.target.some(t => {
          try { return document.querySelector(t) && document.querySelector(t).closest(sel); }
          catch (e) { return false; } })))
      .map(n => ({target: n.target, html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 300)})),
  })).filter(v => v.nodes.length);
}"""


def run_axe(frame) -> list[dict]:  # noqa: ANN001 - Page or Frame
    if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
        frame.add_script_tag(path=str(axe_path()))
    return frame.evaluate(_RUN_AXE, EXCLUDED)


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
