"""One look for every export, whatever the process (`observatoire.exports.look`).

- The pictures: every kind of exported image (the PNG download of each Indicateurs chart, the Carte's map PNG,
  the PPTX pictures) rendered in a process where `streamlit.elements.plotly_chart` was imported first — it
  sets plotly's default template to « streamlit », which has no axis automargin and cut the y tick labels to
  « 000 » in the app's exports — and in a plain process: the same pixels (within anti-aliasing).
- The layouts: each exported figure, built while a template without automargin is plotly's default, has its
  tick labels written out in French and margins wide enough for the longest of them and its axis title.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image, ImageChops

from observatoire.exports import look, png
from observatoire.figures import charts
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from observatoire.views.indicators import build_indicators
from observatoire.views.model import Figure
from tests.helpers import require_renderer

ROOT = Path(__file__).resolve().parents[2]
FRENCH_NUMBER = re.compile(r"^−?-?\d{1,3}(\u00a0\d{3})*(,\d+)?(\u00a0%)?$")


def _render(store: Path, out: Path, with_streamlit: bool) -> list[str]:
    args = [sys.executable, "-m", "tests.observatoire._render_exports", str(out)]
    if with_streamlit:
        args.append("--streamlit")
    done = subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=dict(os.environ, OBSERVATOIRE_STORE=str(store)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_exported_pictures_are_the_same_in_a_streamlit_process_and_a_plain_one(demo_store, tmp_path):
    require_renderer()
    plain = _render(demo_store.root, tmp_path / "plain", False)
    themed = _render(demo_store.root, tmp_path / "streamlit", True)
    assert plain[0] == "plotly" and themed[0] == "streamlit"  # the condition of the bug is there
    assert plain[1:] == themed[1:] and len(plain[1:]) >= 8
    for name in plain[1:]:
        a = Image.open(tmp_path / "plain" / name).convert("RGB")
        b = Image.open(tmp_path / "streamlit" / name).convert("RGB")
        assert a.size == b.size, name
        diff = ImageChops.difference(a, b).convert("L")
        strong = sum(count for value, count in enumerate(diff.histogram()) if value > 48)
        assert strong <= 0.001 * a.width * a.height, (name, strong)  # anti-aliasing at most


@pytest.fixture()
def bare_default_template():
    """plotly's default template replaced by one like Streamlit's: no automargin, a 10 px margin."""
    pio.templates["sans_marges"] = go.layout.Template(
        layout={
            "xaxis": {"automargin": False},
            "yaxis": {"automargin": False},
            "margin": {"l": 10, "r": 10},
            "font": {"color": "#000036"},
        }
    )
    previous = pio.templates.default
    pio.templates.default = "sans_marges"
    yield
    pio.templates.default = previous
    del pio.templates["sans_marges"]


def _exported_charts(con) -> list[tuple[str, go.Figure]]:
    """Every chart the app exports, built while the fixture's template is the default: the Indicateurs charts
    (Moselle: series, monthly, ranking, evolution — as their PNG), and the deck's evolution charts (as their
    PPTX picture)."""
    moselle = Filters(departements=("57",))
    out = []
    for indicator in ("ent_visites", "gar_connexions", "labo_personnes"):
        view = build_indicators(con, moselle, {"indicateur": indicator})
        for figure in view.figures:
            out.append(
                (
                    f"{indicator}-{figure.key}",
                    look.export_figure(png.decorated(figure, view.context), width=1600, height=900),
                )
            )
    deck = builder.build_presentation(con, moselle)
    from observatoire.exports import pptx

    for slide in deck.slides:
        if slide.kind == "evolution" and slide.figure is not None:
            out.append((f"pptx-{slide.title}", pptx.slide_figure(slide.figure.figure, (610.0, 355.0))))
    return out


def test_exported_layouts_have_french_tick_labels_and_room_for_them(con, bare_default_template):
    assert pio.templates.default == "sans_marges"
    charts_seen = _exported_charts(con)
    assert len(charts_seen) >= 12
    for name, figure in charts_seen:
        layout = figure.layout
        assert layout.template.layout.xaxis.automargin is True, name  # the project's own template
        assert layout.template.layout.font.color == look.INK, name
        for axis_name in [k for k in layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))]:
            axis = layout[axis_name]
            if axis.visible is False:
                continue
            assert axis.automargin is True, (name, axis_name)
            labels = look.tick_labels(axis)
            assert labels, (name, axis_name)  # tick labels present
            size = axis.tickfont.size if axis.tickfont and axis.tickfont.size else layout.font.size
            if axis.tickmode == "array":  # a numeric axis: its labels written out in French
                assert all(FRENCH_NUMBER.match(t) for t in labels), (name, labels)
                assert len(labels) >= 3, (name, labels)
            longest = max(len(t) for t in labels)
            title = axis.title.font.size * 1.2 if axis.title and axis.title.text else 0
            if axis_name.startswith("y"):
                # room at the left for the longest label (digits ≈ 0,6 em) and the title beside it
                needed = longest * size * 0.6 + title
                side = layout.margin.r if axis.side == "right" else layout.margin.l
                assert side >= needed, (name, axis_name, side, needed, labels)
            else:
                side = layout.margin.t if axis.side == "top" else layout.margin.b
                assert side >= size * 1.2 + title, (name, axis_name, side)


def test_the_longest_tick_of_a_large_count_is_written_in_full():
    """The bug as seen: « 000 » for « 30 000 000 » and the axis title over the ticks."""
    frame = charts.pd.DataFrame(
        {
            "periode": ["2020-2021", "2021-2022", "2022-2023", "2023-2024"],
            "groupe": "t",
            "libelle": "Moselle",
            "valeur": [22e6, 24e6, 26.7e6, 29.7e6],
        }
    )
    figure = look.export_figure(charts.line_figure(frame, "visites"), width=1600, height=900)
    labels = list(figure.layout.yaxis.ticktext)
    assert labels[-1] == "30\u00a0000\u00a0000" and labels[0] == "0"
    assert figure.layout.margin.l >= look.text_width(labels[-1], 15) + 15 * 1.4 + 12
    assert figure.layout.yaxis.title.standoff >= 10
    percent = look.export_figure(
        charts.line_figure(frame.assign(valeur=[12.5, 30.0, 55.5, 98.0]), "%"), width=800, height=450
    )
    assert list(percent.layout.yaxis.ticktext)[-1] == "100\u00a0%"


def test_slide_pictures_have_no_text_below_the_legibility_rule(con):
    """Every text of a slide picture is ≥ 14 px once laid out for its box (1 px = 1 pt on the slide)."""
    from observatoire.exports import pptx

    deck = builder.build_presentation(con, Filters())
    for slide in deck.slides:
        if slide.figure is None:
            continue
        box = (923.0, 370.0) if slide.kind == "carte" else (610.0, 355.0)
        shown = pptx.slide_figure(slide.figure.figure, box)
        small = [(what, size) for what, size in look.font_sizes(shown) if size < look.MIN_SLIDE_PT]
        assert not small, (slide.title, small)


def test_a_figure_without_view_still_gets_the_export_look():
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1200, 56000]))
    image = Image.open(io.BytesIO(png.figure_png(figure, width=640, height=360))) if _has_browser() else None
    exported = look.export_figure(figure, width=640, height=360)
    assert list(exported.layout.yaxis.ticktext)[-1] in ("60\u00a0000", "50\u00a0000")
    assert exported.layout.paper_bgcolor == "white"
    if image is not None:
        assert image.size == (640, 360)


def _has_browser() -> bool:
    try:
        png.browser_path()
    except png.RendererUnavailableError:
        return False
    return True


def test_export_look_is_stated_for_every_view_figure(con):
    """`Figure` objects of views have no template of their own that could leak: the export replaces it."""
    view = build_indicators(con, Filters(), {"indicateur": "ent_visites"})
    for figure in view.figures:
        assert isinstance(figure, Figure)
        exported = look.export_figure(figure.figure, width=1600, height=900)
        assert exported.layout.template.layout.paper_bgcolor == "white"
