"""Phones and other narrow screens: the active filters said at the top of the page, and a button that opens them.

On a screen at most `NARROW` px wide (Streamlit's own `md` breakpoint), the router's
`st.set_page_config(initial_sidebar_state="auto")` lets Streamlit start with the sidebar closed: the page shows
its figures, not the filters. The filters stay reachable through Streamlit's « » » button in the header and
through this summary (whose script also closes the sidebar when a page is chosen in it on a phone, and on a
new arrival: Streamlit would otherwise reopen it as last left), drawn by the router at the top of every page
that the filters concern:
« Filtres : Département : 57 — Moselle · Niveau : Collège » (or « aucun, toute l'académie ») and a button
« Modifier » (« Modifier les filtres » for screen readers) that opens the sidebar (it clicks Streamlit's own
« Déplier la barre latérale » button, then moves the focus to the « Filtres » heading — not to a field, whose
focus would open the phone's keyboard).

The same script lays a chart narrower than `CHART_NARROW` out for a narrow screen: its legend from its right to
below the plot, its fonts (drawn for a projector) at 11–13 px (`Plotly.relayout` in the browser: the server's
figures, files and images are unchanged), so that the Indicateurs lines keep most of the phone's width.

Wider screens never see it: its container (`st.container(key="noprint_filtres_resume")`, not printed either)
and the wrapper Streamlit puts around it (else a gap of 1rem would stay) are hidden by a media query, so the
desktop layout (sidebar open, 1280×720, 1600×1000) is unchanged. The script
is mounted like `components/french.py`'s: one listener per browser page (a flag on `window`).
"""

from __future__ import annotations

import streamlit as st

from observatoire.filters import Filters
from observatoire.labels import Labels
from observatoire.text import escape_html
from observatoire.views.context import filter_lines

NARROW = 768
"""Widest screen (CSS px) counted as narrow: Streamlit's `md` breakpoint, below which `"auto"` closes the
sidebar on arrival."""

CHART_NARROW = 560
"""On a narrow screen, a chart narrower than this (CSS px) gets its legend below the plot instead of on its
right (`charts._legend`), where it would leave the plot a strip, and smaller fonts."""

KEY = "noprint_filtres_resume"
NO_FILTER = "aucun, toute l'académie"
BUTTON = "Modifier les filtres"
BUTTON_TEXT = "Modifier"  # visible text: its accessible name (`BUTTON`) begins with it (WCAG 2.5.3)

_CSS = f"""
.st-key-{KEY} {{ gap: 0.25rem; }}
@media (min-width: {NARROW + 0.02}px) {{
  .st-key-{KEY}, [data-testid="stLayoutWrapper"]:has(> .st-key-{KEY}) {{ display: none !important; }} }}
.obs-filtres {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.35rem 0.75rem;
  padding: 0.45rem 0.75rem; border: 1px solid #dddddd; border-radius: 0.5rem; background: #f6f6f6;
  font-size: 0.9rem; line-height: 1.35; }}
.obs-filtres p {{ margin: 0; flex: 1 1 9rem; min-width: 0; overflow-wrap: anywhere; }}
.obs-filtres button {{ flex: none; font: inherit; font-weight: 600; color: #000091; background: #ffffff;
  border: 1px solid #000091; border-radius: 0.4rem; padding: 0.35rem 0.7rem; min-height: 2.5rem;
  cursor: pointer; }}
.obs-filtres button:focus-visible {{ outline: 2px solid #000091; outline-offset: 2px; }}
/* a page title on three lines would push the figures off a phone's first screen */
@media (max-width: 640px) {{ .stMain .stHeading h1 {{ font-size: 2rem; }} }}
"""

# a classic script (st.html), run again when Streamlit re-creates the element: guarded by a flag on `window`
_JS = """
(function () {
  if (window.__observatoirePhone) return;
  window.__observatoirePhone = true;
  const NARROW = __NARROW__;
  // the « Filtres » heading, not the first field: focusing a field would open a phone's keyboard
  function heading() {
    const sidebar = document.getElementById("stSidebar");
    const found = sidebar && sidebar.querySelector('[data-testid="stSidebarUserContent"] h2');
    if (found && !found.hasAttribute("tabindex")) found.setAttribute("tabindex", "-1");
    return found;
  }
  // Streamlit remembers the last opening of the sidebar (localStorage): on a phone, a page chosen in it or a
  // new arrival shows the page, not the sidebar over it
  function closeSidebar() {
    const sidebar = document.getElementById("stSidebar");
    const collapse = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (window.innerWidth <= NARROW && sidebar && sidebar.getAttribute("data-collapsed") === "false" && collapse) {
      collapse.click();
    }
  }
  closeSidebar();
  document.addEventListener("click", function (event) {
    if (event.target && event.target.closest && event.target.closest('[data-testid="stSidebarNav"] a')) {
      setTimeout(closeSidebar, 0);
      return;
    }
    const button = event.target && event.target.closest && event.target.closest(".obs-filtres-ouvrir");
    if (!button) return;
    const expand = document.querySelector('[data-testid="stExpandSidebarButton"]');
    if (expand) expand.click();
    let tries = 0;
    (function focusLater() {  // the sidebar slides in: focus its heading once it is on screen
      const target = heading();
      const sidebar = document.getElementById("stSidebar");
      const open = sidebar && sidebar.getAttribute("data-collapsed") !== "true"
        && sidebar.getBoundingClientRect().right > 0;
      if (target && open) { target.focus({preventScroll: true}); return; }
      if (++tries < 20) setTimeout(focusLater, 50);
    })();
  });

  // Charts narrower than CHART_NARROW px on a narrow screen (a phone): the legend on the right of the plot would
  // leave it a strip, so it goes below the plot, and the fonts drawn for a projector get smaller
  // (Plotly.relayout in the browser: the server's figures, files and images are unchanged); back to the
  // server's layout on a wider screen. Again after each redraw (a rerun sends the server's layout). Not the
  // slides' figures (laid out for a phone by observatoire.figures.portrait).
  const CHART_NARROW = __CHART_NARROW__;
  const BELOW = {"legend.orientation": "h", "legend.x": 0, "legend.xanchor": "left", "legend.y": -0.3,
                 "legend.yanchor": "top"};
  const SMALL = {"font.size": 12, "legend.font.size": 12, "hoverlabel.font.size": 13, "xaxis.tickfont.size": 11,
                 "yaxis.tickfont.size": 11, "xaxis.title.font.size": 12, "yaxis.title.font.size": 12};
  function get(layout, path) {
    return path.split(".").reduce(function (o, k) { return o === undefined || o === null ? undefined : o[k]; },
                                  layout);
  }
  function onTheRight(gd) {
    const legend = gd.layout.legend || {};
    return (legend.orientation || "v") === "v" && (legend.x === undefined || legend.x >= 1);
  }
  function phoneLayout(gd) {
    const update = {};
    for (const key of Object.keys(SMALL)) {
      const value = get(gd.layout, key);
      if (typeof value === "number" && value > SMALL[key]) update[key] = SMALL[key];
    }
    if (gd._fullLayout.showlegend && onTheRight(gd)) Object.assign(update, BELOW);
    return update;
  }
  function placeLegend(gd) {
    if (!window.Plotly || !gd.layout || !gd._fullLayout || gd.closest('[class*="st-key-pres_"]')) return;
    const narrow = window.innerWidth <= NARROW && gd.getBoundingClientRect().width < CHART_NARROW;
    if (narrow) {
      const update = phoneLayout(gd);
      if (!Object.keys(update).length) return;
      const saved = gd.__observatoireSaved || (gd.__observatoireSaved = {});
      for (const key of Object.keys(update)) {
        const value = get(gd.layout, key);
        if (!(key in saved)) saved[key] = value === undefined ? null : value;
      }
      window.Plotly.relayout(gd, update);
    } else if (gd.__observatoireSaved) {
      const back = gd.__observatoireSaved;
      gd.__observatoireSaved = null;
      window.Plotly.relayout(gd, back);
    }
  }
  function watchCharts() {
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      if (!gd.__observatoireWatched && gd.on) {
        gd.__observatoireWatched = true;
        gd.on("plotly_afterplot", function () { placeLegend(gd); });
      }
      placeLegend(gd);
    }
  }
  let pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; watchCharts(); });
  }).observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", watchCharts);
  watchCharts();
})();
"""


def _script() -> str:
    return _JS.replace("__NARROW__", str(NARROW)).replace("__CHART_NARROW__", str(CHART_NARROW))


def summary_text(filters: Filters, labels: Labels) -> str:
    """« Département : 57 — Moselle · Niveau : Collège », or « aucun, toute l'académie »."""
    return " · ".join(filter_lines(filters, labels)) or NO_FILTER


def render_filter_summary(filters: Filters, labels: Labels) -> None:
    """The active filters and « Modifier », at the top of the page on a narrow screen only."""
    text = escape_html(summary_text(filters, labels))
    button = (
        f'<button type="button" class="obs-filtres-ouvrir" aria-controls="stSidebar" '
        f'aria-label="{BUTTON}">{BUTTON_TEXT}</button>'
    )
    with st.container(key=KEY):
        st.html(
            f"<style>{_CSS}</style>"
            f'<div class="obs-filtres" role="region" aria-label="Filtres actifs">'
            f"<p><strong>Filtres</strong> : {text}</p>{button}</div><script>{_script()}</script>",
            unsafe_allow_javascript=True,
        )
