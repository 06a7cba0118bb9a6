"""The « instantané de séance » (`observatoire.exports.html`): one self-contained HTML file rendered from the same
`Presentation` as the PPTX, on the demo store (académie and Moselle).

What is checked here without a browser: nothing in the document can make a request (every `src`, `href`,
`url(…)` and the Content-Security-Policy read from the parsed HTML), the size budget, the same slides, texts and
numbers as the PPTX of the same `Presentation` (slide by slide), every `Slide` field rendered (fields added later
too), text from data escaped, the QR code of the context's address, the plotly.js bundle (its version is the
plotly package's), the export look whatever plotly default the process has, French dates. The browser side
(offline, phone, axe, tap) is tests/e2e/test_instantane.py.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from pptx import Presentation as OpenPptx

from observatoire.exports import html, pptx, qr
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from observatoire.views.model import Context, Figure, KeyFigure, Presentation, Slide

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = "https://observatoire.example.fr/app/static/instantanes/0123456789abcdef0123456789abcdef.html"
LIVE = "https://observatoire.example.fr/?dep=57&version=1"
FILTERS = {"academie": Filters(), "moselle": Filters(departements=("57",))}
MOMENT = dt.datetime(2026, 11, 23, 13, 5, tzinfo=dt.UTC)  # 14:05 in Paris (winter time)
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


class Document(HTMLParser):
    """The parsed instantané: every tag with its attributes, the text of each section (`id` → text, the text of
    `<script>` elements left out), the JSON data scripts, the CSS."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.sections: dict[str, list[str]] = {}
        self.section_tags: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self.data_scripts: dict[str, str] = {}
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._stack: list[str] = []  # ids of the open sections
        self._depth: list[int] = []
        self._level = 0
        self._inline: list[bool] = []
        self._script: dict[str, str] | None = None
        self._style = False
        self.feed(text)

    def _separate(self) -> None:
        """Elements are separated by a space in the text (a school year's span is part of its sentence)."""
        for section in self._stack:
            self.sections[section].append(" ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        for section in self._stack:
            self.section_tags[section].append((tag, values))
        if tag in {"meta", "img", "br", "link", "input"}:
            self._separate()
            return
        self._inline.append(values.get("class") == "obs-year")
        if not self._inline[-1]:
            self._separate()
        self._level += 1
        if tag in {"section", "header"} and values.get("id", "").startswith("diapo-"):
            self._stack.append(values["id"])
            self._depth.append(self._level)
            self.sections[values["id"]] = []
            self.section_tags[values["id"]] = [(tag, values)]
        if tag == "script":
            self._script = values
        if tag == "style":
            self._style = True

    def handle_endtag(self, tag: str) -> None:
        if self._inline and not self._inline.pop():
            self._separate()
        if self._depth and self._depth[-1] == self._level and tag in {"section", "header"}:
            self._stack.pop()
            self._depth.pop()
        self._level -= 1
        if tag == "script":
            self._script = None
        if tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            if self._script.get("type") == "application/json":
                self.data_scripts[self._script.get("id", "")] = data
            else:
                self.scripts.append(data)
            return
        if self._style:
            self.styles.append(data)
            return
        for section in self._stack:
            self.sections[section].append(data)

    def text(self, section: str) -> str:
        return _normal("".join(self.sections[section]))


def _normal(text: str) -> str:
    """Spaces collapsed; the PPTX's no-break spaces and no-break hyphens (school years kept on one line) read as
    the instantané's plain ones (it keeps a year together with a `<span class="obs-year">`)."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2011", "-")
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module", params=list(FILTERS))
def case(request, con) -> tuple[Presentation, str]:
    presentation = builder.build_presentation(con, FILTERS[request.param], url=PUBLISHED)
    return presentation, html.presentation_html(presentation, dashboard_url=LIVE, generated_at=MOMENT)


# ------------------------------------------------------------------------------------------ self-contained


def test_nothing_in_the_document_can_make_a_request(case):
    """Every `src` is inline data, every `href` is a fragment of the page or the dashboard link, no stylesheet,
    frame, object or external script; the CSS has no `url(` and `@import`; the policy forbids any request."""
    presentation, text = case
    doc = Document(text)
    names = {tag for tag, _ in doc.tags}
    assert not names & {"link", "iframe", "object", "embed", "base", "form", "audio", "video", "source"}, names
    ids = {attrs["id"] for _, attrs in doc.tags if "id" in attrs}
    links = []
    for tag, attrs in doc.tags:
        if "src" in attrs:
            assert attrs["src"].startswith("data:image/"), (tag, attrs["src"][:80])
        if "srcset" in attrs or "poster" in attrs or "action" in attrs or "formaction" in attrs:
            pytest.fail(f"{tag} {attrs}")
        if "href" in attrs:
            href = attrs["href"]
            if href.startswith("#"):
                assert href[1:] in ids, href
            else:
                links.append(href)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)  # no inline event handler
        assert "style" not in attrs, (tag, attrs)
    assert links and set(links) == {LIVE}, links  # « Ouvrir le tableau de bord », a link nobody fetches
    css = "\n".join(doc.styles)
    assert "url(" not in css and "@import" not in css
    scripts = [attrs for tag, attrs in doc.tags if tag == "script"]
    assert scripts and all("src" not in s for s in scripts)
    policy = next(
        a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'none'"
    assert directives["img-src"] == "data:" and directives["script-src"] == "'unsafe-inline'"
    assert "http" not in policy
    assert len(text.encode("utf-8")) <= html.MAX_BYTES
    assert presentation.context.url == PUBLISHED


def test_the_size_budget_with_the_full_bundle_too(case):
    """A figure of a trace type the basic bundle lacks gets the full plotly.js: still within 8 MB."""
    presentation, _ = case
    heat = Figure("chaleur", "Carte de chaleur", go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])), "Quatre valeurs.")
    slides = (*presentation.slides, Slide("evolution", "Chaleur", figure=heat))
    text = html.presentation_html(dataclasses.replace(presentation, slides=slides), dashboard_url=LIVE)
    assert html.FULL_BUNDLE.read_text(encoding="utf-8")[:200] in text
    assert 5_000_000 < len(text.encode("utf-8")) <= html.MAX_BYTES


def test_the_basic_bundle_is_the_plotly_packages_version_and_draws_every_trace_of_the_deck(case):
    presentation, text = case
    expected = plotly.offline.get_plotlyjs_version()
    assert html.bundle_version(html.BASIC_BUNDLE) == html.bundle_version(html.FULL_BUNDLE) == expected
    figures = [s.figure.figure for s in presentation.slides if s.figure is not None]
    assert html.trace_types(figures) <= html.BASIC_TRACES
    path, bundle = html.plotly_bundle(figures)
    assert path == html.BASIC_BUNDLE and bundle[:200] in text
    assert html.FULL_BUNDLE.read_text(encoding="utf-8")[:200] not in text
    assert html.plotly_bundle([go.Figure(go.Heatmap(z=[[1]]))])[0] == html.FULL_BUNDLE


# ------------------------------------------------------------------------------------- same as the PPTX


def _pptx(presentation: Presentation) -> OpenPptx:
    """The deck of `presentation` (pictures replaced by one pixel: only their texts are compared here; the
    pictures themselves are tested in test_presentation.py)."""
    return OpenPptx(
        io.BytesIO(pptx.presentation_pptx(presentation, render=lambda figure, context, size=None: PNG_1PX))
    )


def test_same_slides_texts_and_numbers_as_the_pptx(case):
    """Slide by slide, every paragraph of the PPTX (titles, key figures, changes, bullets, source and version
    line, title-slide facts) and every picture's alternative text is in the instantané's section of that slide,
    in the same order of slides; the instantané has no slide the PPTX lacks."""
    presentation, text = case
    doc = Document(text)
    deck = _pptx(presentation)
    assert [f"diapo-{i + 1}" for i in range(len(deck.slides))] == list(doc.sections)
    for index, page in enumerate(deck.slides):
        section = doc.text(f"diapo-{index + 1}")
        for shape in page.shapes:
            if shape.has_text_frame:
                for paragraph in shape.text_frame.paragraphs:
                    said = _normal(paragraph.text).removeprefix("• ")
                    if not said or said.startswith("Scannez pour ouvrir"):  # the QR caption: below
                        continue
                    assert said in section, (index + 1, said)
            descr = shape._element.xpath("./*[1]/p:cNvPr/@descr")
            if descr and shape.shape_type == 13 and not shape.name.startswith("QR"):
                assert _normal(descr[0]) in section, (index + 1, descr[0][:80])


def test_the_key_figures_and_badges_are_the_slides_own(case):
    presentation, text = case
    doc = Document(text)
    for number, slide in enumerate(presentation.slides, start=1):
        section = doc.text(f"diapo-{number}")
        for figure in slide.figures:
            for said in (figure.value, figure.label, figure.delta):
                assert _normal(said) in section, (slide.title, said)
        badges = [a for t, a in doc.section_tags[f"diapo-{number}"] if a.get("class") == "obs-badge"]
        assert len(badges) == (1 if slide.illustrative else 0) + sum(f.illustrative for f in slide.figures), (
            slide.title
        )
        if slide.illustrative:
            assert html.ILLUSTRATIVE_LABEL in section
        if slide.kind != "titre":
            assert _normal(html.footer_line(slide, presentation.context.version_text)) in section


def test_every_figure_is_the_slides_plotly_figure_with_the_export_look(case):
    presentation, text = case
    doc = Document(text)
    shown = [s for s in presentation.slides if s.figure is not None]
    datas = [json.loads(v) for k, v in doc.data_scripts.items() if k.startswith("donnees-figure-")]
    assert len(datas) == len(shown)
    for slide, data in zip(shown, datas, strict=True):
        original = slide.figure.figure
        assert len(data["data"]) == len(original.data)
        for trace, source in zip(data["data"], original.data, strict=True):
            assert trace.get("hovertext") == (list(source.hovertext) if source.hovertext is not None else None)
            assert trace.get("text") == (
                source.text if isinstance(source.text, str) or source.text is None else list(source.text)
            )
        layout = data["layout"]
        assert layout["separators"] == original.layout.separators  # French numbers on the axes
        assert layout["template"]["layout"]["xaxis"]["automargin"] is True
        assert layout["yaxis"]["automargin"] is True and layout["yaxis"]["fixedrange"] is True
        assert layout["dragmode"] is False and "width" not in layout and "height" not in layout
        assert _normal(slide.figure.alt) in doc.text(f"diapo-{presentation.slides.index(slide) + 1}")


def test_the_export_look_does_not_depend_on_the_processs_plotly_default(con, monkeypatch):
    """Streamlit sets plotly's default template when its plotly module is imported: the instantané's figures
    are the same whatever default was in force when the slides were built."""
    plain = builder.build_presentation(con, Filters(), url=PUBLISHED)
    monkeypatch.setattr(pio.templates, "default", "plotly_dark")
    dark = builder.build_presentation(con, Filters(), url=PUBLISHED)
    assert (
        dark.slides[3].figure.figure.layout.template.layout.paper_bgcolor
        != plain.slides[3].figure.figure.layout.template.layout.paper_bgcolor
    )  # the default did reach the figure
    first = Document(html.presentation_html(plain, generated_at=MOMENT)).data_scripts
    second = Document(html.presentation_html(dark, generated_at=MOMENT)).data_scripts
    assert first == second


# --------------------------------------------------------------------------------------- every field


@dataclasses.dataclass(frozen=True)
class ScopedSlide(Slide):
    """A slide with the fields issue 17 may add (a scope line, filters that do not apply)."""

    portee: str = ""
    filtres_non_appliques: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ScopedContext(Context):
    perimetre: str = ""


@dataclasses.dataclass(frozen=True)
class DatedKeyFigure(KeyFigure):
    annee: str = ""


def test_every_slide_field_is_rendered_even_one_added_later(case):
    presentation, _ = case
    slides = []
    for slide in presentation.slides:
        figures = tuple(
            DatedKeyFigure(**dataclasses.asdict(f) | {"annee": "valeur de 2022-2023"}) for f in slide.figures
        )
        values = {f.name: getattr(slide, f.name) for f in dataclasses.fields(slide)} | {"figures": figures}
        slides.append(
            ScopedSlide(
                **values,
                portee=f"Portée : {slide.title} — Moselle",
                filtres_non_appliques=("niveau : non détaillé pour cet indicateur",),
            )
        )
    context = ScopedContext(**dataclasses.asdict(presentation.context), perimetre="Périmètre : la Moselle")
    text = html.presentation_html(
        dataclasses.replace(presentation, slides=tuple(slides), context=context), dashboard_url=LIVE
    )
    doc = Document(text)
    assert "Périmètre : la Moselle" in doc.text("diapo-1")
    for number, slide in enumerate(slides, start=1):
        section = doc.text(f"diapo-{number}")
        assert f"Portée : {_normal(slide.title)} — Moselle" in section
        assert "niveau : non détaillé pour cet indicateur" in section
        assert section.count("valeur de 2022-2023") == len(slide.figures)
    classes = {a.get("class", "") for _, a in doc.tags}
    assert any("obs-extra-portee" in c for c in classes)
    assert any("obs-extra-filtres-non-appliques" in c for c in classes)


def test_notes_are_shown_unless_the_slide_already_says_them(case):
    presentation, text = case
    doc = Document(text)
    for number, slide in enumerate(presentation.slides, start=1):
        section = doc.text(f"diapo-{number}")
        lines = [line.strip() for line in slide.notes.splitlines() if line.strip()]
        for line in lines:
            assert _normal(line) in section, (slide.title, line)
        repeated = bool(lines) and all(line in slide.bullets for line in lines)
        assert ("Détails chiffrés" in section) == (bool(lines) and not repeated), slide.title


def test_text_from_data_is_escaped_everywhere():
    """A title, bullet, key figure, filter or plotly name from data never becomes markup or closes a script."""
    bad = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    context = Context(
        academie=f"Académie {bad}",
        filters=(f"Département : {bad}",),
        school_year="2023-2024",
        version=3,
        version_date="23/11/2026",
        url=f"https://exemple.fr/?q={bad}",
    )
    figure = go.Figure(go.Scatter(x=["2023-2024"], y=[1], name=f"Nom </script>{bad}", hovertext=[bad]))
    slides = (
        Slide("titre", f"Titre {bad}", bullets=(f"Puce {bad}",)),
        Slide(
            "chiffres",
            f"Chiffres {bad}",
            f"Sous-titre {bad}",
            figures=(KeyFigure(label=f"Libellé {bad}", value="12", raw=12.0, unit=""),),
            bullets=(f"Puce {bad}",),
            notes=f"Note {bad}",
            source=f"Source {bad}",
            illustrative=True,
        ),
        Slide("evolution", f"Évolution {bad}", figure=Figure("k", f"Titre {bad}", figure, f"Alt {bad}")),
    )
    text = html.presentation_html(
        Presentation(context, "Observatoire", slides), dashboard_url=f"https://x.fr/{bad}"
    )
    assert "<script>alert" not in text and "<img src=x" not in text and "onerror=alert(1)>" not in text
    doc = Document(text)
    assert all(attrs.get("src", "data:").startswith("data:") for _, attrs in doc.tags)
    data = json.loads(doc.data_scripts["donnees-figure-1"])
    assert data["data"][0]["name"] == f"Nom </script>{bad}"  # the JSON round-trips, nothing was lost
    assert '"Nom </script>' not in text  # … and never closed its <script> element
    assert "Titre &lt;script&gt;" in text and _normal(f"Titre {bad}") in doc.text("diapo-1")


# -------------------------------------------------------------------------------------------- the title


def test_the_title_slide_has_the_qr_code_of_the_context_url_and_the_dashboard_link(case):
    presentation, text = case
    doc = Document(text)
    [image] = [a for t, a in doc.tags if t == "img"]
    assert image["alt"] == f"Code QR de l'adresse : {PUBLISHED}"
    svg = base64.b64decode(image["src"].removeprefix("data:image/svg+xml;base64,")).decode("utf-8")
    assert svg == qr.qr_svg(PUBLISHED)
    title = doc.text("diapo-1")
    context = presentation.context
    for said in (
        context.academie,
        "Instantané de séance",
        f"Année scolaire {context.school_year}",
        context.filters_text,
        context.version_text,
        "Scannez pour ouvrir cet instantané",
        PUBLISHED,
        "Ouvrir le tableau de bord",
    ):
        assert _normal(said) in title, said
    assert [a["href"] for t, a in doc.tags if t == "a" and "obs-button" in a.get("class", "")] == [LIVE]
    assert html.qr_caption(LIVE) == "Scannez pour ouvrir cette vue du tableau de bord"
    without = html.presentation_html(presentation, generated_at=MOMENT)
    assert "Ouvrir le tableau de bord" not in without and "tableau de bord</a>" not in without


def test_french_document_and_dates_in_paris_time(case):
    presentation, text = case
    doc = Document(text)
    assert ("html", {"lang": "fr"}) in doc.tags
    assert any(t == "meta" and a.get("name") == "viewport" for t, a in doc.tags)
    assert "Instantané du 23/11/2026 à 14:05 (heure de Paris)" in _normal(text)
    locale = json.loads(doc.data_scripts["plotly-locale-fr"])
    assert locale["dictionary"]["Autoscale"].startswith("Échelle") and locale["format"]["decimal"] == ","
    assert "<title>Observatoire du numérique éducatif — Académie de Nancy-Metz — " in text
    assert re.search(r"[0-9]\u00a0[0-9]{3}|[0-9],[0-9]", text)  # French numbers as the view formatted them
    summer = html.generated_text(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC))
    assert summer == "01/06/2026 à 14:00"


def test_a_school_year_never_breaks_after_its_hyphen():
    assert (
        str(html.keep_years("+11,1 % par rapport à 2022-2023 <b>"))
        == '+11,1 % par rapport à <span class="obs-year">2022-2023</span> &lt;b&gt;'
    )


def test_file_name_names_the_filters(case):
    presentation, _ = case
    name = html.html_file_name(presentation)
    assert name.startswith("Instantané 2023-2024") and name.endswith(".html")
    assert ("Moselle" in name) == bool(presentation.context.filters)


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_writes_the_instantane_of_a_departement(demo_store, tmp_path, con):
    output = tmp_path / "séance.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "observatoire",
            "--store",
            str(demo_store.root),
            "presentation",
            "--format",
            "html",
            "--output",
            str(output),
            "--dep",
            "57",
            "--lien",
            LIVE,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = builder.build_presentation(con, FILTERS["moselle"], url=LIVE)
    assert done.stdout.startswith(f"Instantané (HTML) de {len(expected.slides)} diapositives"), done.stdout
    assert "Mio" in done.stdout
    text = output.read_text(encoding="utf-8")
    doc = Document(text)
    assert len(doc.sections) == len(expected.slides)
    for figure in expected.slides[1].figures:
        assert _normal(figure.value) in doc.text("diapo-2")
    assert [a["href"] for t, a in doc.tags if t == "a" and "obs-button" in a.get("class", "")] == [LIVE]


def test_cli_refuses_a_format_that_does_not_match_the_file(demo_store, tmp_path):
    output = tmp_path / "x.pptx"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "observatoire",
            "--store",
            str(demo_store.root),
            "presentation",
            "--format",
            "html",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 1 and "doit se terminer par .html" in done.stderr and "Traceback" not in done.stderr
    assert not output.exists()
