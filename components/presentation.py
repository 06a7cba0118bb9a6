"""Presentation mode (séminaire des cadres): the slides of `observatoire.views.presentation` on screen.

One slide per run, chosen by `?diapo=N` (kept in the URL: a copied link reopens the same slide); « Précédente »
/ « Suivante » buttons, the keyboard arrows (a small script clicks those buttons), a counter. The sidebar, the
header and the footer are hidden (CSS), the layout is sized to fit 1280×720 and 1920×1080 without scrolling;
on a phone held upright (`PORTRAIT`) the slide scrolls instead and keeps every text whole: key figures two by two,
the figure laid out again for the width (`observatoire.figures.portrait`, shown instead of the projector's by a
media query), « Précédente » and « Suivante » side by side;
no network: every asset is local, the map has no basemap, the QR code is generated here. The same
`Presentation` value is downloaded as PPTX (`observatoire.exports.pptx`).
"""

from __future__ import annotations

import base64
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from observatoire import sharing, urlvalues
from observatoire.exports import qr
from observatoire.figures import portrait
from observatoire.figures.charts import PLOTLY_CONFIG
from observatoire.figures.sparkline import ILLUSTRATIVE_COLOR
from observatoire.filters import Filters, to_params
from observatoire.text import escape_html, escape_markdown, plain, quote_value
from observatoire.views.model import Presentation, Slide

PARAM = "diapo"
PRESENTATION_PARAM = "presentation"
ZOOM_PARAM = "zoom"  # the bassin of the « zoom » slide, when the presenter chose it (never the default)
AUTO = ""
MARKER = "data-observatoire-presentation"

_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stStatusWidget"] {
  display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 0.6rem 2rem 0.4rem 2rem !important;
  max-width: 100% !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
.obs-slide-title { font-size: clamp(1.7rem, 3.2vw, 2.9rem); font-weight: 700; line-height: 1.15; margin: 0;
  color: #000091; }
.obs-slide-subtitle { font-size: clamp(1.05rem, 1.7vw, 1.6rem); color: #3a3a3a; margin: 0.1rem 0 0 0; }
.obs-counter { font-size: 1.2rem; color: #3a3a3a; text-align: right; white-space: nowrap; }
.obs-figures { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.8rem; width: 100%; }
.obs-figures.obs-one { grid-template-columns: minmax(0, 1fr); }
.obs-figures.obs-pair { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.stVerticalBlock.st-key-pres_figure { flex: 0 0 auto !important; height: calc(100vh - 245px) !important;
  min-height: 300px; }
.obs-figure { border: 2px solid #dddddd; border-radius: 0.6rem; padding: 0.7rem 1rem; background: #f6f6f6; }
.obs-figure-value { font-size: clamp(2rem, 3.6vw, 3.4rem); font-weight: 700; color: #000091; line-height: 1.1;
  white-space: nowrap; }
.obs-figure-label { font-size: clamp(1rem, 1.45vw, 1.4rem); color: #161616; margin-top: 0.2rem; }
.obs-figure-delta { font-size: clamp(0.9rem, 1.2vw, 1.15rem); color: #3a3a3a; margin-top: 0.15rem; }
.obs-figure-note { font-size: clamp(0.85rem, 1.05vw, 1.05rem); color: #3a3a3a; margin-top: 0.1rem; }
.obs-figure-note.obs-strong { color: #161616; font-weight: 700; }
.obs-slide-scope { font-size: clamp(0.9rem, 1.2vw, 1.2rem); color: #3a3a3a; margin: 0.05rem 0 0 0; }
.obs-year { white-space: nowrap; }
.obs-bullets { font-size: clamp(1.1rem, 1.75vw, 1.65rem); line-height: 1.45; margin: 0.3rem 0 0 0;
  padding-left: 1.4rem; }
.obs-bullets.obs-two { columns: 2; column-gap: 2.5rem; }
.obs-bullets li { break-inside: avoid; margin-bottom: 0.25rem; }
.obs-source { font-size: 0.95rem; color: #3a3a3a; margin: 0; overflow-wrap: anywhere; }
.obs-badge { display: inline-block; background: #fdebd3; color: __ILLUSTRATIVE__; border-radius: 0.4rem;
  padding: 0.1rem 0.6rem; font-weight: 600; font-size: 1rem; margin-right: 0.6rem; }
.obs-qr img { width: min(30vh, 280px); height: auto; }
.obs-qr p { font-size: 1rem; color: #3a3a3a; margin: 0.3rem 0 0 0; }
.st-key-pres_figure_portrait, [data-testid="stLayoutWrapper"]:has(> .st-key-pres_figure_portrait) {
  display: none !important; }
/* a phone held upright (PORTRAIT): the slide scrolls, every text stays whole; key figures two by two, the
   figure laid out again for the width (observatoire.figures.portrait), « Précédente » / « Suivante » side by
   side */
@media __PORTRAIT__ {
  [data-testid="stMainBlockContainer"], .block-container { padding: 0.5rem 0.9rem 0.6rem 0.9rem !important; }
  .obs-slide-title { font-size: 1.45rem; }
  .obs-slide-subtitle { font-size: 1rem; }
  .obs-counter { font-size: 1rem; }
  .st-key-pres_head [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; }
  .st-key-pres_head [data-testid="stColumn"]:first-child { min-width: 0 !important; flex: 1 1 auto; }
  .st-key-pres_head [data-testid="stColumn"]:last-child { min-width: 0 !important; flex: 0 0 auto;
    width: auto; }
  .obs-figures { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5rem; }
  .obs-figure { padding: 0.5rem 0.6rem; border-width: 1px; }
  .obs-figure-value { font-size: 1.55rem; white-space: normal; }
  .obs-figure-label { font-size: 0.95rem; overflow-wrap: anywhere; }
  .obs-figure-delta { font-size: 0.85rem; }
  .obs-badge { font-size: 0.85rem; }
  .obs-bullets { font-size: 1.05rem; line-height: 1.4; }
  .obs-bullets.obs-two { columns: 1; }
  .obs-qr img { width: min(55vw, 240px); }
  .stVerticalBlock.st-key-pres_figure, [data-testid="stLayoutWrapper"]:has(> .st-key-pres_figure) {
    display: none !important; }
  .st-key-pres_figure_portrait, [data-testid="stLayoutWrapper"]:has(> .st-key-pres_figure_portrait) {
    display: flex !important; }
  .st-key-pres_nav [data-testid="stHorizontalBlock"] { gap: 0.5rem; }
  .st-key-pres_nav [data-testid="stColumn"] { min-width: calc(50% - 0.25rem) !important;
    flex: 1 1 calc(50% - 0.25rem); }
  .st-key-pres_nav [data-testid="stColumn"]:nth-child(n+3) { min-width: 100% !important; }
}
</style>
""".replace("__ILLUSTRATIVE__", ILLUSTRATIVE_COLOR)

PORTRAIT = "(max-width: 640px) and (orientation: portrait)"
"""The screens where a slide is laid out for a phone held upright (Streamlit stacks columns below 640 px)."""

_CSS = _CSS.replace("__PORTRAIT__", PORTRAIT)

# the keyboard: ← / → (and Page Up / Page Down, what presentation remotes send) click the buttons
_KEYS = """
(function () {
  if (window.__observatoireSlides) return;
  window.__observatoireSlides = true;
  const doc = window.parent ? window.parent.document : document;
  doc.addEventListener("keydown", function (event) {
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const next = ["ArrowRight", "PageDown", " "].includes(event.key);
    const prev = ["ArrowLeft", "PageUp"].includes(event.key);
    if (!next && !prev) return;
    const button = doc.querySelector((next ? ".st-key-pres_next" : ".st-key-pres_prev") + " button");
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
})();
"""


def mount_chrome() -> None:
    """Hide the sidebar, header and toolbar; install the keyboard shortcuts (once per browser page)."""
    st.html(_CSS)
    st.html(f"<span {MARKER} hidden></span><script>{_KEYS}</script>", unsafe_allow_javascript=True)


def current_index(count: int) -> int:
    """The slide shown (from 0), read from `?diapo=N` (1-based, ASCII digits only). A number beyond the last slide
    shows the last one, anything else (« ² », « ¹ », 0, a 5 000-digit number) the first one, both with the usual
    French notice at the top of the page; `go_to` then writes the slide shown back into the URL."""
    raw = st.query_params.get(PARAM)
    if raw is None:
        return 0
    number = urlvalues.positive_int(raw)
    if number is not None and number <= count:
        return number - 1
    from components.sidebar import add_url_notice

    shown = "dernière" if number is not None else "première"
    add_url_notice(
        f"Lien : diapositive {quote_value(raw, 40)} inconnue (de 1 à {count}) : {shown} diapositive affichée."
    )
    return count - 1 if number is not None else 0


def go_to(index: int) -> None:
    """Show slide `index` (from 0): `?diapo=N` in the URL, except for the first slide (the default)."""
    if index > 0:
        if st.query_params.get(PARAM) != str(index + 1):
            st.query_params[PARAM] = str(index + 1)
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def _secrets() -> dict:
    from components.auth import _secrets as read

    return dict(read())


def public_base() -> tuple[str, bool, str | None]:
    """(base address of the QR code, whether it is the configured public address, a French problem with the
    setting): `sharing.configured_base` (environment variable, then `[observatoire] url_publique`), else the
    address of this request."""
    base, problem = sharing.configured_base(secrets=_secrets())
    if base:
        return base, True, problem
    try:
        request = st.context.url or ""
    except (AttributeError, RuntimeError):  # AppTest: no browser URL
        request = ""
    return sharing.request_base(request), False, problem


def view_url(filters: Filters, version: int | None) -> str:
    """The link attendees open (QR code): the overview with the same filters and the same data version, at the
    dashboard's public address (`public_base`)."""
    base, _, _ = public_base()
    params: dict[str, object] = dict(to_params(filters))
    if version is not None:
        params["version"] = str(version)
    return sharing.view_link(base, params)


def render_qr_warning(url: str) -> None:
    """To the presenter, under the controls (never on the slide nor in the PPTX): the QR code would open an
    address the room's phones cannot reach, or the public address setting is unusable."""
    _, configured, problem = public_base()
    for text in (problem, sharing.qr_warning(url, configured)):
        if text:
            st.warning(escape_markdown(text), icon=":material/qr_code_2:")


def zoom_choice(choices: dict[str, str]) -> str | None:
    """The bassin of the zoom slide chosen in the URL (`?zoom=CODE`), None for the default; an unknown code is
    dropped from the URL with a French notice."""
    raw = st.query_params.get(ZOOM_PARAM)
    if raw is None:
        return None
    if raw in choices:
        return raw
    del st.query_params[ZOOM_PARAM]
    st.warning(
        f"Lien : bassin du zoom {quote_value(raw)} inconnu pour ces filtres, le bassin par défaut est montré.",
        icon=":material/link_off:",
    )
    return None


def _set_zoom(key: str) -> None:
    value = st.session_state.get(key) or ""
    if value:
        st.query_params[ZOOM_PARAM] = value
    elif ZOOM_PARAM in st.query_params:
        del st.query_params[ZOOM_PARAM]


_YEAR = re.compile(r"\d{4}-\d{4}")


def kept(text: str) -> str:
    """`text` escaped, each school year kept on one line (`<span class="obs-year">`: no break at its hyphen)."""
    return _YEAR.sub(lambda m: f'<span class="obs-year">{m.group(0)}</span>', escape_html(text))


def _figures_html(slide: Slide, one_column: bool = False) -> str:
    cards = []
    for figure in slide.figures:
        badge = '<span class="obs-badge">illustratif</span>' if figure.illustrative else ""
        delta = f'<div class="obs-figure-delta">{kept(figure.delta)}</div>' if figure.delta else ""
        notes = "".join(
            f'<div class="obs-figure-note{" obs-strong" if i == 0 else ""}">{kept(note)}</div>'
            for i, note in ((0, figure.year_note), (1, figure.scope_note))
            if note
        )
        cards.append(
            f'<div class="obs-figure"><div class="obs-figure-value">{escape_html(figure.value)}</div>'
            f'<div class="obs-figure-label">{escape_html(figure.label)}</div>{delta}{notes}{badge}</div>'
        )
    layout = " obs-one" if one_column else " obs-pair" if len(cards) == 4 else ""  # 4 cards: 2 × 2
    return f'<div class="obs-figures{layout}">{"".join(cards)}</div>'


def _bullets_html(bullets: tuple[str, ...], two_columns: bool = False) -> str:
    items = "".join(f"<li>{kept(b)}</li>" for b in bullets)
    return f'<ul class="obs-bullets{" obs-two" if two_columns else ""}">{items}</ul>'


def _qr_html(url: str) -> str:
    if not url:
        return ""
    data = base64.b64encode(qr.qr_png(url, 560)).decode("ascii")
    return (
        f'<div class="obs-qr"><img src="data:image/png;base64,{data}" alt="Code QR du lien de cette vue : '
        f'{escape_html(url)}"><p>Scannez pour ouvrir cette vue</p></div>'
    )


def render_slide(presentation: Presentation, index: int) -> None:
    slide = presentation.slides[index]
    count = len(presentation.slides)
    head, counter = st.container(key="pres_head").columns([9, 1], vertical_alignment="bottom")
    head.html(
        f'<h1 class="obs-slide-title">{kept(slide.title)}</h1>'
        + (f'<p class="obs-slide-subtitle">{kept(slide.subtitle)}</p>' if slide.subtitle else "")
        + (f'<p class="obs-slide-scope">{kept(slide.scope)}</p>' if slide.scope else "")
    )
    counter.html(
        f'<div class="obs-counter" aria-label="Diapositive {index + 1} sur {count}">{index + 1} / {count}</div>'
    )
    if slide.kind == "titre":
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.html(_bullets_html(slide.bullets))
        right.html(_qr_html(presentation.context.url))
    elif slide.figure is not None:
        if slide.figures:
            left, right = st.columns([1, 3], vertical_alignment="center")
            left.html(_figures_html(slide, one_column=True))
            with right:
                _render_figure(slide, index)
        else:
            _render_figure(slide, index)
    elif slide.figures:
        st.html(_figures_html(slide))
    if slide.kind != "titre" and slide.bullets:
        st.html(_bullets_html(slide.bullets, two_columns=len(slide.bullets) > 5))
    badge = '<span class="obs-badge">Données illustratives</span>' if slide.illustrative else ""
    if slide.source or badge:
        source = f"Source : {slide.source}" if slide.source else ""
        st.html(f'<p class="obs-source">{badge}{escape_html(source)}</p>')


def _render_figure(slide: Slide, index: int) -> None:
    """The figure fills the slide's free height (a container sized in CSS from the viewport: 1280×720 and
    1920×1080 alike), with the dashboard's French plotly configuration."""
    assert slide.figure is not None, "diapositive sans figure"
    figure = go.Figure(slide.figure.figure)
    figure.update_layout(height=None, width=None, autosize=True, margin={"t": 10, "b": 10})
    with st.container(key="pres_figure"):
        st.plotly_chart(
            figure,
            width="stretch",
            height="stretch",
            config=PLOTLY_CONFIG,
            key=f"pres_fig_{index}",
            alt=plain(slide.figure.alt),
            theme="streamlit",
        )
    # on a phone held upright the CSS shows this one instead: the same figure laid out for the width
    with st.container(key="pres_figure_portrait"):
        st.plotly_chart(
            portrait_figure(slide.figure.figure),
            width="stretch",
            config=PLOTLY_CONFIG,
            key=f"pres_fig_portrait_{index}",
            alt=plain(slide.figure.alt),
            theme="streamlit",
        )


_PORTRAITS: OrderedDict[int, tuple[go.Figure, go.Figure]] = OrderedDict()
_PORTRAITS_LOCK = threading.Lock()
PORTRAITS_MAX = 16


def portrait_figure(figure: go.Figure) -> go.Figure:
    """`observatoire.figures.portrait.portrait_figure` of a slide's figure, built once per figure object (the
    slides are kept as objects, `components.context.presentation`): a validated plotly copy of the map costs
    ≈ 100 ms. Kept with the figure itself, so that an id is never reused while its entry lives."""
    with _PORTRAITS_LOCK:
        found = _PORTRAITS.get(id(figure))
        if found is not None and found[0] is figure:
            _PORTRAITS.move_to_end(id(figure))
            return found[1]
    built = go.Figure(portrait.portrait_figure(figure))
    with _PORTRAITS_LOCK:
        _PORTRAITS[id(figure)] = (figure, built)
        while len(_PORTRAITS) > PORTRAITS_MAX:
            _PORTRAITS.popitem(last=False)
    return built


def render_navigation(
    count: int,
    index: int,
    pptx: bytes | Callable[[], bytes],
    file_name: str,
    zoom: dict[str, str] | None = None,
    default_zoom: str = "",
) -> None:
    """Previous / next, the bassin of the zoom slide (`zoom`: code → name, given on the zoom slide only; kept in
    the URL as `?zoom=CODE` when chosen, « automatique » = `default_zoom`'s name), the PPTX download, leave."""
    if zoom:
        prev, nxt, chooser, download, leave = st.container(key="pres_nav").columns(
            [1, 1, 2, 2.5, 1.7], vertical_alignment="center"
        )
        options = [AUTO, *zoom]
        current = st.query_params.get(ZOOM_PARAM, AUTO)
        st.session_state["pres_zoom"] = current if current in options else AUTO
        auto = f"Zoom : automatique ({zoom[default_zoom]})" if default_zoom in zoom else "Zoom : automatique"
        labels = {AUTO: auto, **{code: f"Zoom : {name}" for code, name in zoom.items()}}
        chooser.selectbox(
            "Bassin du zoom",
            options,
            key="pres_zoom",
            on_change=_set_zoom,
            args=("pres_zoom",),
            format_func=functools.partial(_zoom_label, labels),
            label_visibility="collapsed",
            help="Le bassin de cette diapositive (et du fichier PPTX), gardé dans l'adresse. "
            "Automatique : celui qui compte le plus de personnes dans ses laboratoires.",
        )
    else:
        prev, nxt, download, leave = st.container(key="pres_nav").columns(
            [1, 1, 2, 2], vertical_alignment="center"
        )
    prev.button(
        "Précédente",
        key="pres_prev",
        icon=":material/chevron_left:",
        disabled=index == 0,
        on_click=go_to,
        args=(index - 1,),
        width="stretch",
        help="Flèche gauche du clavier",
    )
    nxt.button(
        "Suivante",
        key="pres_next",
        icon=":material/chevron_right:",
        disabled=index >= count - 1,
        on_click=go_to,
        args=(index + 1,),
        width="stretch",
        type="primary",
        help="Flèche droite du clavier",
    )
    download.download_button(
        "Télécharger la présentation (PPTX)",
        pptx,
        file_name=file_name,
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        icon=":material/slideshow:",
        key="pres_pptx",
        width="stretch",
    )
    leave.button(
        "Quitter la présentation", key="pres_leave", icon=":material/close:", width="stretch", on_click=_leave
    )


def _zoom_label(labels: dict[str, str], code: str) -> str:
    return labels.get(code, code)


def _leave() -> None:
    for name in (PARAM, PRESENTATION_PARAM, ZOOM_PARAM):
        if name in st.query_params:
            del st.query_params[name]
    st.session_state["_leave_presentation"] = True


def leaving() -> bool:
    return bool(st.session_state.pop("_leave_presentation", False))


def leave(page: str) -> None:
    """Back to `page` with the same filters. `st.switch_page` called by a script run clears every widget state
    (the sidebar's filters would fall back to their defaults: no département, « Jusqu'à » = the first year):
    the URL keeps the filter parameters and the sidebar reads them again on the next run."""
    from components import sidebar

    params = {name: st.query_params.get_all(name) for name in st.query_params}
    st.session_state.pop(sidebar._INIT, None)
    st.switch_page(page, query_params=params)
