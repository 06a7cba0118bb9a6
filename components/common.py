"""Small render helpers shared by every page: sources, illustrative badge, notes, empty states, tables.

The texts they receive are plain text (from data or queries): they are escaped here, where they become
Markdown (`observatoire.text.escape_markdown`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import context
from components.containers import Container
from observatoire import exporting, small_counts
from observatoire.exports import png
from observatoire.figures.cards import illustrative_explanation
from observatoire.filters import Filters
from observatoire.text import escape_markdown
from observatoire.views.context import element_context
from observatoire.views.model import Figure as ViewFigure
from observatoire.views.model import Notice, View, source_line
from observatoire.views.model import Table as ViewTable

ILLUSTRATIVE_ICON = ":material/science:"
ILLUSTRATIVE_COLOR: Final = "orange"
"""THE style of every « illustratif » badge (values, changes, curves, labs): one colour, one icon."""


def render_illustrative_badge(label: str = "Données illustratives", help: str | None = None) -> None:  # noqa: A002
    """The orange « illustratif » badge (`label` is app text, not data: Markdown as given)."""
    st.badge(label, icon=ILLUSTRATIVE_ICON, color=ILLUSTRATIVE_COLOR, help=help)


def source_text(sources: Sequence[str], origins: Sequence[str] | None = None) -> str:
    """`Source : …` line naming the sources of trusted rows (bilan, deduced, imported); the illustrative ones
    are summed up (« autres valeurs illustratives ») and explained by the badge.

    `origins`: the origin of each source (`queries.Result.origins`, from the `origine` column). Without it
    every source is named as given (nothing is guessed from the text)."""
    return source_line(sources, origins)


def render_source(sources: Sequence[str], illustrative: bool, origins: Sequence[str] | None = None) -> None:
    """Illustrative badge (with its explanation) and source line of a result: pass `result.origins`."""
    text = source_text(sources, origins)
    if illustrative:
        render_illustrative_badge()
        st.caption(illustrative_explanation(context.bilan_source()))
    if text:
        st.caption(escape_markdown(text))


def render_notes(ignored: tuple[str, ...] | list[str]) -> None:
    """Filters that do not apply to what is shown: said, never silently ignored."""
    for note in ignored:
        st.info(escape_markdown(note), icon=":material/filter_alt_off:")


def render_empty(reason: str | None, filtered: bool = True) -> None:
    """An empty state; `filtered=False` (no filter chosen): the advice to widen the selection is not given —
    the user made none."""
    advice = " Élargissez la sélection dans les filtres (ou « Réinitialiser les filtres »)." if filtered else ""
    st.info(
        escape_markdown(reason or "Aucune donnée pour cette sélection.") + advice, icon=":material/search_off:"
    )


def slug(text: str) -> str:
    """ASCII identifier for widget keys (never a file name: `exporting.export_file_name` keeps accents)."""
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text.lower()).strip("-")
    return text[:60] or "donnees"


def export_about(
    title: str,
    *,
    indicator: str = "",
    unit: str = "",
    sources: Sequence[str] = (),
    origins: Sequence[str] | None = None,
    illustrative: bool = False,
    filters: Filters | None = None,
    source: str = "",
) -> exporting.About:
    """What a downloaded file says it contains: `title`, the view's context (the sidebar filters of this rerun,
    or `filters`, on this rerun's data version), indicator, unit, source line (`source`, else the
    `source_text` of `sources`) and illustrative flag."""
    if filters is None:
        filters = st.session_state.get("filters") or Filters()
    return exporting.About(
        title=title,
        context=context.view_context(filters),
        indicator=indicator,
        unit=unit,
        source=source or source_text(sources, origins),
        illustrative=illustrative,
    )


def view_about(view: View, element: ViewTable | ViewFigure) -> exporting.About:
    """What a file exported from `element` (a table or figure of `view`) says it contains: its title, the
    view's context scoped to it (a chosen filter that does not apply to it is said « non appliqué », and is
    neither in the « Filtres » row nor in the file name), indicator and unit (tables), the school years a table
    covers when several, source line and illustrative flag."""
    scope = element_context(
        view.context, element.ignored, "cet indicateur" if getattr(element, "indicator", "") else "ce contenu"
    )
    about = exporting.About(
        title=element.title,
        context=scope,
        indicator=getattr(element, "indicator", ""),
        unit=getattr(element, "unit", ""),
        source=element.source,
        illustrative=element.illustrative,
    )
    frame = getattr(element, "frame", None)  # a table over several school years says them all
    return exporting.covering(about, frame) if frame is not None else about


def render_element_source(element: ViewTable | ViewFigure) -> None:
    """Illustrative badge (with its explanation) and source line of a view's table or figure."""
    if element.illustrative:
        render_illustrative_badge()
        st.caption(illustrative_explanation(context.bilan_source()))
    if element.source:
        st.caption(escape_markdown(element.source))


def render_view_notices(view: View) -> None:
    """The view's notices: filters that do not reach its content (« filtre »), then the other ones."""
    render_notices(view.notices)


def render_notices(notices: Sequence[Notice], info_icon: str | None = None) -> None:
    """Notices of a view (or of one of its sections): « filtre » in a box with the filter icon, « vide » as an
    empty state, the other ones as a caption, or in a box with `info_icon` when given."""
    for notice in notices:
        if notice.kind == "filtre":
            st.info(escape_markdown(notice.text), icon=":material/filter_alt_off:")
        elif notice.kind == "vide":
            render_empty(notice.text)
        elif info_icon:
            st.info(escape_markdown(notice.text), icon=info_icon)
        else:
            st.caption(f":material/info: {escape_markdown(notice.text)}")


def render_data_table(
    frame: pd.DataFrame,
    title: str,
    key: str,
    expanded: bool = False,
    column_config: dict | None = None,
    about: exporting.About | None = None,
    figure: go.Figure | None = None,
) -> None:
    """The data behind a chart (text alternative) with CSV (`;`, BOM) and XLSX downloads. A column mixing
    numbers and texts (small counts shown `< 5`, `observatoire.small_counts`) is shown as text; the files
    keep the numbers as numbers.

    `about`: what the files say they contain (default: `title` and the view's context); `figure`: the chart
    shown above, offered as a PNG image (« Télécharger l'image (PNG) ») with its title, filters, source and
    illustrative flag drawn on it."""
    about = about or export_about(title)
    if figure is not None:
        render_png_download(figure, about, key)
    with st.expander(f"Données : {escape_markdown(title)}", expanded=expanded, icon=":material/table:"):
        st.dataframe(shown_table(frame), hide_index=True, width="stretch", column_config=column_config)
        left, right = st.columns(2)
        render_downloads(frame, about.title, key, left, right, about=about)


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its columns mixing numbers and texts as text (`small_counts.as_text`): Arrow refuses
    them, and `< 5` must read as written."""
    mixed = [
        c
        for c in frame.columns
        if frame[c].dtype == object
        and frame[c].map(lambda v: isinstance(v, str)).any()
        and frame[c].map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).any()
    ]
    if not mixed:
        return frame
    return frame.assign(**{c: frame[c].map(small_counts.as_text) for c in mixed})


def render_downloads(
    frame: pd.DataFrame,
    title: str,
    key: str,
    left: Container = st,
    right: Container = st,
    about: exporting.About | None = None,
) -> None:
    """CSV and XLSX download buttons; the files are generated only when clicked (deferred callables). Both say
    what they contain (`about`, default: `title` and the view's context): the CSV in its `#` block, the XLSX
    in its « À propos » sheet; their names are `title` and the filter values, accents kept."""
    about = about or export_about(title)
    left.download_button(
        "Télécharger (CSV)",
        lambda: exporting.to_csv_bytes(frame, about=about),
        exporting.export_file_name(title, about.context, "csv"),
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        "Télécharger (Excel)",
        lambda: exporting.to_xlsx_bytes(frame, about=about),
        exporting.export_file_name(title, about.context, "xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
        width="stretch",
        on_click="ignore",
    )


def render_png_download(
    figure: go.Figure | Callable[[], go.Figure], about: exporting.About, key: str, container: Container = st
) -> None:
    """« Télécharger l'image (PNG) »: the chart drawn by kaleido (Chromium) only when clicked, with its title,
    filters, data version, source and « Données illustratives » badge (`png.decorated`); named like its CSV.
    `figure` may be a function that builds it (built on click too: the Carte's static map)."""

    def image() -> bytes:
        built = figure() if callable(figure) else figure
        view = ViewFigure(
            key=key,
            title=about.title,
            figure=built,
            alt=about.title,
            source=about.source,
            illustrative=about.illustrative,
        )
        return png.figure_png(png.decorated(view, about.context))

    container.download_button(
        "Télécharger l'image (PNG)",
        image,
        png.png_file_name(about.title, about.context),
        mime="image/png",
        key=f"{key}_png",
        icon=":material/image:",
        on_click="ignore",
        help="Le graphique avec son titre, les filtres, la version des données et la source (image 1600 × 900).",
    )
