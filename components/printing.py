"""Print stylesheet (Ctrl+P, « Enregistrer au format PDF »): A4 landscape, the page content only.

Mounted once per run by the router (`mount()`, right after `french.mount()`) with `st.html`; its element
container is hidden (no box, no gap on screen) and every rule is inside `@media print` (nothing changes on
screen). On paper:

- `@page { size: A4 landscape; margin: 10mm }`;
- hidden: the sidebar (filters), the header and its toolbar / main menu / status widget, the decoration bar,
  buttons (footer, « Voir la fiche », fullscreen), download buttons, page links, popovers, the tooltip
  icons, and any container whose key starts with `noprint` (`st.container(key="noprint_…")`: class
  `st-key-noprint_…`, e.g. the overview's « Aller plus loin » links);
- the scroll containers of the app (`stApp`, `stMain`…) lose their fixed height and overflow: the whole page
  flows onto paper;
- no page break inside a bordered card, a chart, a map (its iframe), a table or an image;
- the content is laid out wider than the paper and scaled down (`zoom`): the overview (title, the KPI cards,
  the labs and the small map) fits ONE A4 landscape page (tests/e2e/test_print.py counts the PDF's pages);
- colours are printed as on screen (`print-color-adjust: exact`: the orange « Illustratif » badges, the
  change pills, the map classes);
- the maps keep their screen size: a Leaflet map (in its iframe) is drawn for the size it had on screen and is
  not redrawn for paper, and Chromium does not zoom an iframe's content (a zoomed frame would show the map
  cut), so a small script gives each iframe its screen size on `beforeprint` (scaled down by a transform) and
  releases it on `afterprint`;
  the script is mounted like `components/french.py`'s (one listener per browser page, its element container
  hidden);
- the KPI grid (`components.cards.render_kpi_grid`, container key `kpi_grid…`) prints its cards on one row;
- the Laboratoires page prints its lab fiche (selectbox key `labo_fiche`) without the list of labs above it
  (tabs holding the cards `labo_carte_…`: a scrolling box and a hidden tab, cut or lost on paper);
- a chart in a container whose key starts with `print_chart` (`st.container(key="print_chart_…")`, e.g. the
  lab's activity chart) is printed at a readable size, whole on one page: at `ZOOM` a plotly chart keeps the
  width and height it was drawn for on screen (plotly is not redrawn for paper) and would print at half size,
  its texts unreadable; the `beforeprint` script scales its container back up (`zoom`) to `CHART_SCALE` of its
  screen size, less when it would then be wider than the paper (`PAPER_WIDTH_PX`).
"""

from __future__ import annotations

import streamlit as st

ZOOM = 0.52
"""Scale of the printed content: the overview at A4 landscape (277 × 190 mm printable) fits one page."""

CHART_SCALE = 0.85
"""Scale of a `print_chart…` container on paper (1 = its screen size): texts of 14 px print at 12 px."""

PAPER_WIDTH_PX = 1047
"""Printable width of A4 landscape with 10 mm margins (277 mm) in CSS pixels (96 per inch)."""

CSS = f"""
@media print {{
  @page {{ size: A4 landscape; margin: 10mm; }}
  html, body {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; background: #fff !important; }}
  [data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stSidebarNav"],
  [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stStatusWidget"], [data-testid="stMainMenu"], [data-testid="stBottom"],
  [data-testid="stButton"], [data-testid="stDownloadButton"], [data-testid="stPageLink"],
  [data-testid="stPopover"], [data-testid="stElementToolbar"], [data-testid="stFullScreenFrame"] > button,
  [data-testid="stTooltipIcon"], [data-testid="stTooltipHoverTarget"] svg, [class*="st-key-noprint"],
  .stElementContainer:has(> [data-testid="stButton"]),
  .stElementContainer:has(> [data-testid="stDownloadButton"]),
  .stElementContainer:has(> [data-testid="stPageLink"]),
  .stElementContainer:has(> .stPageLink),
  .stElementContainer:has(> .stDownloadButton),
  .stElementContainer:has(> .stButton) {{
    display: none !important;
  }}
  html, body, #root, .stApp, [data-testid="stApp"], [data-testid="stAppViewContainer"],
  [data-testid="stMain"], [data-testid="stMainBlockContainer"] {{
    height: auto !important; min-height: 0 !important; max-height: none !important;
    overflow: visible !important; position: static !important;
  }}
  [data-testid="stMain"] {{ margin: 0 !important; left: 0 !important; width: 100% !important; }}
  [data-testid="stMainBlockContainer"] {{
    padding: 0 !important; max-width: none !important; zoom: {ZOOM};
  }}
  [data-testid="stMetric"], .stPlotlyChart, .stVegaLiteChart,
  iframe, [data-testid="stIFrame"], [data-testid="stDataFrame"], [data-testid="stTable"], img, svg,
  [data-testid="stHorizontalBlock"], [class*="st-key-print_chart"] {{
    break-inside: avoid; page-break-inside: avoid;
  }}
  h1, h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
  /* Laboratoires: with a lab fiche on the page, the fiche is printed, not the list of labs above it (cards in a
     scrolling box that paper would cut, the table in a tab that paper would not show) */
  [data-testid="stMain"]:has(.st-key-labo_fiche) [data-testid="stTabs"]:has([class*="st-key-labo_carte_"]) {{
    display: none !important;
  }}
  /* the KPI cards on one row: the rows of st.columns dissolved into the grid, empty columns dropped */
  [class*="st-key-kpi_grid"] {{
    display: flex !important; flex-direction: row !important; flex-wrap: nowrap !important; gap: 0.75rem;
  }}
  [class*="st-key-kpi_grid"] > [data-testid="stLayoutWrapper"],
  [class*="st-key-kpi_grid"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"],
  [class*="st-key-kpi_grid"] > [data-testid="stHorizontalBlock"] {{ display: contents !important; }}
  [class*="st-key-kpi_grid"] [data-testid="stColumn"] {{
    flex: 1 1 0 !important; width: auto !important; min-width: 0 !important;
  }}
  [class*="st-key-kpi_grid"] [data-testid="stColumn"]:not(:has([data-testid="stMetric"])) {{
    display: none !important;
  }}
}}
"""


MARKER = "data-observatoire-print"

_JS = """
(function () {
  if (window.__observatoirePrint) return;
  const ZOOM = __ZOOM__;
  // Before the print layout: each iframe (a Leaflet map) keeps the size its content was drawn for, without the
  // page's zoom (`zoom: 1 / ZOOM`: Chromium does not zoom an iframe's content), and is painted at the page's
  // scale (`transform: scale(ZOOM)`), the room it leaves given back by negative margins.
  function freeze() {
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.hasAttribute("data-observatoire-print-size")) continue;
      const box = frame.getBoundingClientRect();
      if (box.width <= 0 || box.height <= 0) continue;
      const style = frame.style;
      frame.setAttribute("data-observatoire-print-size", style.cssText);
      for (const [name, value] of [
        ["zoom", String(1 / ZOOM)], ["width", box.width + "px"], ["height", box.height + "px"],
        ["transform", "scale(" + ZOOM + ")"], ["transform-origin", "0 0"],
        ["margin-right", -(1 - ZOOM) * box.width + "px"], ["margin-bottom", -(1 - ZOOM) * box.height + "px"],
        ["max-width", "none"],
      ]) style.setProperty(name, value, "important");
    }
  }
  function release() {
    for (const frame of document.querySelectorAll("iframe[data-observatoire-print-size]")) {
      frame.style.cssText = frame.getAttribute("data-observatoire-print-size");
      frame.removeAttribute("data-observatoire-print-size");
    }
  }
  // A `print_chart…` container (a plotly chart, drawn for its screen width): scaled back up to CHART_SCALE of
  // its screen size on paper (its own `zoom` on top of the page's), never wider than the paper.
  const CHART_SCALE = __CHART_SCALE__, PAPER_WIDTH = __PAPER_WIDTH__;
  function enlarge() {
    for (const box of document.querySelectorAll('[class*="st-key-print_chart"]')) {
      if (box.hasAttribute("data-observatoire-print-zoom")) continue;
      const width = box.getBoundingClientRect().width;
      if (width <= 0) continue;
      const scale = Math.min(CHART_SCALE, 0.98 * PAPER_WIDTH / width);
      box.setAttribute("data-observatoire-print-zoom", box.style.cssText);
      box.style.setProperty("zoom", String(scale / ZOOM), "important");
      box.style.setProperty("width", width + "px", "important");
    }
  }
  function shrink() {
    for (const box of document.querySelectorAll("[data-observatoire-print-zoom]")) {
      box.style.cssText = box.getAttribute("data-observatoire-print-zoom");
      box.removeAttribute("data-observatoire-print-zoom");
    }
  }
  window.addEventListener("beforeprint", () => { freeze(); enlarge(); });
  window.addEventListener("afterprint", () => { release(); shrink(); });
  window.__observatoirePrint = { freeze, release, enlarge, shrink };
})();
"""

_HIDE = f".stElementContainer:has([{MARKER}]) {{\n  display: none !important;\n}}\n"


def mount() -> None:
    """Mount the print stylesheet and its script (once per run, from the router); no box on screen."""
    script = (
        _JS.replace("__ZOOM__", str(ZOOM))
        .replace("__CHART_SCALE__", str(CHART_SCALE))
        .replace("__PAPER_WIDTH__", str(PAPER_WIDTH_PX))
    )
    st.html(
        f"<span {MARKER} hidden></span><style>{_HIDE}{CSS}</style><script>{script}</script>",
        unsafe_allow_javascript=True,
    )
