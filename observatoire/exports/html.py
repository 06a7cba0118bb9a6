"""« Instantané de séance »: the séminaire presentation as ONE self-contained HTML file.

Rendered from the same `Presentation` value as the screen and the PPTX (`observatoire.views.presentation`), so the
three cannot disagree. One document, one `<section>` per slide, in the slides' order:

- every field of every `Slide` is rendered, generically: title, subtitle, key figures (value, label, change,
  « illustratif », and any other text field a `KeyFigure` gains), the figure (plotly, interactive: the value of a
  bassin or a point on hover or tap; its text alternative under « Le graphique en texte »), bullets, the source
  line with the data version (as the PPTX's footer), the « Données illustratives » badge, the speaker notes
  (« Détails chiffrés », folded); a text or list field added to `Slide` later (a scope line…) is written under
  the subtitle with no change here (`extra_fields`), one added to the `Context` among the title slide's facts;
- the title slide carries the QR code of `presentation.context.url` (the same address as the screen and the
  PPTX: the published instantané once published, otherwise the live view) and the link « Ouvrir le tableau de
  bord » (`dashboard_url`: the live view with the same filters and data version);
- self-contained: plotly.js, the French plotly locale, the CSS, the script, the QR code are inlined; a
  Content-Security-Policy forbids any request (`default-src 'none'`), so the file opens from a mail or a disk
  with no network and asks nothing of any server; the only addresses are links (`<a href>`) a reader may follow;
- responsive (one column on a phone, the map's legend below it; one slide per screen on a projector), French
  (`lang="fr"`, plotly's French locale, numbers already formatted by the view), printable (one slide per A4
  landscape page, the figures redrawn at the paper's width, the text alternatives unfolded).

plotly.js: the vendored « basic » bundle (scatter, bar, pie: 1,2 MB) when every trace is of those types, else the
plotly package's full bundle (4,8 MB). Both are the plotly package's own plotly.js version (a test checks it).
Figures are given the export look here (`export_look`: plain template, automatic margins, white paper): they
never inherit a process's plotly default (Streamlit's template).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import plotly
import plotly.graph_objects as go
from markupsafe import Markup

from observatoire import config
from observatoire.exports import qr
from observatoire.figures import templates
from observatoire.figures.charts import PLOTLY_LOCALE
from observatoire.text import escape_html
from observatoire.views.model import Figure, KeyFigure, Presentation, Slide

MAX_BYTES = 8 * 1024 * 1024  # the size budget of one instantané (a phone on a séminaire's Wi-Fi)
BASIC_BUNDLE = config.PROJECT_ROOT / "static/vendor/plotly.js-basic-dist-min-4.1.1/plotly-basic.min.js"
FULL_BUNDLE = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})  # the trace types of the « basic » bundle
TIMEZONE = ZoneInfo("Europe/Paris")
DESIGN_WIDTH = 1000  # px: the width a figure without its own `layout.width` is drawn for (charts.FONT_SIZE)
MIME = "text/html"
TEMPLATE = "instantane.html.j2"
SCRIPT = templates.FOLDER / "instantane.js"
ILLUSTRATIVE_LABEL = "Données illustratives"
# the fields of `Slide` and `KeyFigure` this module places itself; any other field is rendered generically
SLIDE_FIELDS = frozenset(
    {"kind", "title", "subtitle", "figures", "figure", "bullets", "notes", "source", "illustrative"}
)
KEY_FIGURE_FIELDS = frozenset({"label", "value", "raw", "unit", "delta", "origins", "source", "illustrative_mark"})
FIGURE_FIELDS = frozenset({"key", "title", "figure", "alt", "source", "illustrative", "notes"})
CONTEXT_FIELDS = frozenset(
    {"academie", "filters", "school_year", "version", "version_date", "url", "drane", "bilan"}
)  # the last two: said by the sources slide and the fiches, not here


# ----------------------------------------------------------------------------------------------- assets


@cache
def _bundle(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():  # would close the inline <script> early
        raise ValueError(f"{path.name} contient « </script » : il ne peut pas être inclus tel quel.")
    return text


def bundle_version(path: Path) -> str:
    """`4.1.1` from the banner of a plotly.js bundle (« plotly.js (basic - minified) v4.1.1 »)."""
    head = path.read_text(encoding="utf-8")[:400]
    marker = head.find(" v")
    while marker >= 0 and not head[marker + 2 : marker + 3].isdigit():
        marker = head.find(" v", marker + 1)
    if marker < 0:
        return ""
    return head[marker + 2 :].split()[0]


def trace_types(figures: Iterable[go.Figure]) -> set[str]:
    return {trace.type or "scatter" for figure in figures for trace in figure.data}


def plotly_bundle(figures: Iterable[go.Figure]) -> tuple[Path, str]:
    """The plotly.js to inline: the « basic » bundle when it draws every trace, else the full one."""
    path = BASIC_BUNDLE if trace_types(figures) <= BASIC_TRACES and BASIC_BUNDLE.exists() else FULL_BUNDLE
    return path, _bundle(path)


@cache
def _script() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def _json_for_script(value: Any) -> str:
    """JSON safe inside `<script type="application/json">`: `<`, `>`, `&` and the JS line separators escaped
    (a text from data can never close the element)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), cls=plotly.utils.PlotlyJSONEncoder)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# ----------------------------------------------------------------------------------------------- figures


def export_look(figure: go.Figure) -> go.Figure:
    """A copy of `figure` with the look of every exported figure, whatever the process imported: the exports'
    own template (`exports.look.EXPORT_TEMPLATE`, never Streamlit's), axis margins computed from the tick labels,
    white paper, no fixed size (the page sizes it). Dragging is off: on a phone a finger scrolls the page; a tap
    shows the value."""
    from observatoire.exports.look import EXPORT_TEMPLATE

    out = go.Figure(figure)
    out.update_layout(
        template=EXPORT_TEMPLATE,
        width=None,
        height=None,
        autosize=True,
        paper_bgcolor="white",
        plot_bgcolor="white",
        dragmode=False,
    )
    out.update_xaxes(automargin=True, fixedrange=True)
    out.update_yaxes(automargin=True, fixedrange=True)
    return out


def _figure_kind(figure: go.Figure) -> str:
    """« carte » for a map drawn with equal axes (`views.static_map`), « graphique » otherwise: the page lays
    out a map (legend below it on a phone) differently from a chart."""
    return "carte" if figure.layout.yaxis.scaleanchor else "graphique"


# --------------------------------------------------------------------------------------------- the slides


def _text_value(value: Any) -> str | tuple[str, ...] | None:
    """A field's value as text or a list of texts (None: nothing to write)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, str) for v in value):
        texts = tuple(v for v in value if v.strip())
        return texts or None
    return None


def extra_fields(item: Any, known: frozenset[str]) -> list[dict[str, Any]]:
    """The fields of the dataclass `item` this module does not place itself, written as they come: a text, or
    a list of texts (`name` keeps the field name for the CSS class)."""
    if not dataclasses.is_dataclass(item):
        return []
    out = []
    for field in dataclasses.fields(item):
        if field.name in known:
            continue
        value = _text_value(getattr(item, field.name))
        if value is None:
            continue
        lines = value if isinstance(value, tuple) else ()
        out.append(
            {"name": field.name.replace("_", "-"), "text": " ; ".join(lines) if lines else value, "lines": lines}
        )
    return out


def footer_line(slide: Slide, version_text: str) -> str:
    """« Source : … — Données : version n° 12 du 23/11/2026 »: the PPTX's footer line (`exports.pptx._footer`)."""
    source = f"Source : {slide.source}" if slide.source else ""
    return " — ".join(t for t in (source, version_text) if t)


def _key_figure(figure: KeyFigure) -> dict[str, Any]:
    return {
        "value": figure.value,
        "label": figure.label,
        "delta": figure.delta,
        "illustrative": figure.illustrative_text,
        "source": figure.source,
        "extras": extra_fields(figure, KEY_FIGURE_FIELDS),
    }


def _figure(figure: Figure, index: int, slide: Slide) -> dict[str, Any]:
    look = export_look(figure.figure)
    return {
        # the width the figure's fonts were chosen for (the page scales them to the width it has)
        "design_width": int(figure.figure.layout.width or DESIGN_WIDTH),
        "id": f"figure-{index}",
        "data_id": f"donnees-figure-{index}",
        "title": figure.title,
        "alt": figure.alt,
        "kind": _figure_kind(look),
        "json": templates.safe(_json_for_script(look.to_plotly_json())),
        # the figure's own source and badge when the slide does not already say them
        "source": figure.source if figure.source and figure.source != slide.source else "",
        "illustrative": figure.illustrative and not slide.illustrative,
        "notes": tuple(n for n in figure.notes if n.strip()),
        "extras": extra_fields(figure, FIGURE_FIELDS),
    }


def _notes(slide: Slide) -> str:
    """The speaker notes, unless every line of them is already on the slide (the zoom slide's notes are its
    bullets): a reader is never shown the same list twice."""
    lines = [line.strip() for line in slide.notes.splitlines() if line.strip()]
    shown = {*slide.bullets, *(f"{f.label} : {f.value}" for f in slide.figures)}
    return "" if all(line in shown for line in lines) else "\n".join(lines)


def _slide(slide: Slide, number: int, count: int, version_text: str, figures: list[go.Figure]) -> dict[str, Any]:
    figure = None
    if slide.figure is not None:
        figure = _figure(slide.figure, len(figures) + 1, slide)
        figures.append(slide.figure.figure)
    return {
        "id": f"diapo-{number}",
        "number": number,
        "count": count,
        "kind": slide.kind,
        "title": slide.title,
        "subtitle": slide.subtitle,
        "key_figures": [_key_figure(f) for f in slide.figures],
        "figure": figure,
        "bullets": tuple(b for b in slide.bullets if b.strip()),
        "notes": _notes(slide),
        "source": slide.source,
        "footer": footer_line(slide, version_text),
        "illustrative": slide.illustrative,
        "extras": extra_fields(slide, SLIDE_FIELDS),
    }


def _qr_data_uri(url: str) -> str:
    try:
        svg = qr.qr_svg(url)
    except ValueError:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


_SCHOOL_YEAR = re.compile(r"\b(\d{4})-(\d{4})\b")


def keep_years(text: str) -> Markup:
    """`text` escaped, each school year kept on one line (« 2022-2023 » never cut after its hyphen)."""
    return Markup(_SCHOOL_YEAR.sub(r'<span class="obs-year">\1-\2</span>', escape_html(text)))  # noqa: S704


def qr_caption(url: str) -> str:
    """What the QR code opens: the instantané itself once published (an `.html` address), else the live view."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    return (
        "Scannez pour ouvrir cet instantané"
        if path.endswith(".html")
        else "Scannez pour ouvrir cette vue du tableau de bord"
    )


def generated_text(moment: dt.datetime) -> str:
    """« 23/11/2026 à 14:05 » (Europe/Paris)."""
    local = moment.astimezone(TIMEZONE)
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def presentation_html(
    presentation: Presentation, *, dashboard_url: str = "", generated_at: dt.datetime | None = None
) -> str:
    """The instantané of `presentation` as one HTML document (text). `dashboard_url`: the live view with the
    same filters and data version (« Ouvrir le tableau de bord »; none when empty). `generated_at`: default now."""
    context = presentation.context
    moment = generated_at or dt.datetime.now(dt.UTC)
    slides = list(presentation.slides)
    title_slide = slides.pop(0) if slides and slides[0].kind == "titre" else None
    figures: list[go.Figure] = []
    count = len(presentation.slides)
    offset = 1 if title_slide is not None else 0
    shown = [_slide(s, i + 1 + offset, count, context.version_text, figures) for i, s in enumerate(slides)]
    bundle_path, bundle = plotly_bundle(figures) if figures else (None, "")
    title = title_slide.title if title_slide is not None and title_slide.title else presentation.title
    first = _slide(title_slide, 1, count, context.version_text, figures) if title_slide is not None else None
    said = {
        context.academie,
        title,
        f"Année scolaire {context.school_year}",
        context.filters_text,
        context.version_text,
    }
    return templates.render(
        TEMPLATE,
        document_title=f"{title} — {context.academie} — {context.school_year}",
        title=title,
        context=context,
        first=first,
        first_bullets=tuple(b for b in (first["bullets"] if first else ()) if b not in said),
        context_extras=extra_fields(context, CONTEXT_FIELDS),
        slides=shown,
        qr=_qr_data_uri(context.url) if context.url else "",
        qr_url=context.url,
        qr_caption=qr_caption(context.url),
        dashboard_url=dashboard_url,
        generated=generated_text(moment),
        generated_iso=moment.astimezone(TIMEZONE).isoformat(timespec="seconds"),
        illustrative_label=ILLUSTRATIVE_LABEL,
        plotly_js=templates.safe(bundle),
        plotly_name=bundle_path.name if bundle_path else "",
        locale=templates.safe(_json_for_script(PLOTLY_LOCALE)),
        script=templates.safe(_script()),
        years=keep_years,
    )


def html_file_name(presentation: Presentation) -> str:
    """« Instantané 2023-2024 — Moselle — Collège.html »: named like the deck (`views.presentation.file_name`:
    every chosen filter, the chosen zoom), so the instantané and the PPTX of one séance go together."""
    from observatoire.views.presentation import file_name

    return file_name(presentation, "html", "Instantané")
