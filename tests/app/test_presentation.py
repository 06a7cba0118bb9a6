"""The Présentation page through the entrypoint (AppTest): `?presentation=1`, the slide in the URL (`?diapo=N`),
the buttons, the key figures of the overview's cards, the PPTX download, no footer, back to the overview."""

from __future__ import annotations

import html
import io

from pptx import Presentation as OpenPptx

from observatoire import queries
from observatoire.figures import cards
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from tests.helpers import unexpected_errors

FOOTER = "Version des données"


def _bodies(at) -> list[str]:
    return [html.unescape(element.proto.body) for element in at.get("html")]


def _slide_html(at) -> str:
    """The slide's own HTML (title, counter, figures, bullets, source), without the style and script."""
    return "\n".join(b for b in _bodies(at) if 'class="obs-' in b and not b.lstrip().startswith("<style"))


def _params(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def _footer_shown(at) -> bool:
    return any(FOOTER in str(caption.value) for caption in at.caption)


def _open(app, **params: str):
    at = app(query_params={"presentation": "1", **params})
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def test_presentation_param_lands_on_the_first_slide(app, con):
    at = _open(app)
    deck = builder.build_presentation(con, Filters())
    count = len(deck.slides)
    slide = _slide_html(at)
    assert '<h1 class="obs-slide-title">Observatoire du numérique éducatif</h1>' in slide
    assert f">1 / {count}</div>" in slide and f'aria-label="Diapositive 1 sur {count}"' in slide
    assert "Année scolaire 2023-2024" in slide and "Aucun filtre (toute l'académie)" in slide
    assert 'class="obs-qr"' in slide and "data:image/png;base64," in slide
    assert "diapo" not in _params(at) and _params(at)["presentation"] == "1"  # the first slide: the default
    assert at.button(key="pres_prev").disabled and not at.button(key="pres_next").disabled
    assert not _footer_shown(at)


def test_next_shows_the_key_figures_of_the_overview_cards(app, con):
    at = _open(app)
    at.button(key="pres_next").click().run()
    assert not unexpected_errors(at)
    assert _params(at)["diapo"] == "2"
    count = len(builder.build_presentation(con, Filters()).slides)
    slide = _slide_html(at)
    assert f">2 / {count}</div>" in slide and "Chiffres clés 2023-2024" in slide
    assert not at.button(key="pres_prev").disabled
    for kpi in [k for k in queries.kpis(con, Filters()) if k.valeur is not None][:builder.MAX_KEY_FIGURES]:
        assert f'<div class="obs-figure-value">{cards.kpi_value_text(kpi)}</div>' in slide, kpi.libelle
        assert f'<div class="obs-figure-label">{kpi.libelle}</div>' in slide
    assert "Données illustratives" in slide  # the demo's previous years are generated
    assert not _footer_shown(at)
    at.button(key="pres_prev").click().run()
    assert "diapo" not in _params(at) and ">1 / " in _slide_html(at)


def test_a_departement_and_a_slide_from_the_url(app, con):
    filters = Filters(departements=("57",))
    at = _open(app, dep="57", diapo="2")
    slide = _slide_html(at)
    assert "Département : 57 — Moselle" in slide
    for kpi in [k for k in queries.kpis(con, filters) if k.valeur is not None][:builder.MAX_KEY_FIGURES]:
        assert f'<div class="obs-figure-value">{cards.kpi_value_text(kpi)}</div>' in slide, kpi.libelle
    last = len(builder.build_presentation(con, filters).slides)
    at = _open(app, dep="57", diapo="99")  # clamped to the last slide
    assert _params(at)["diapo"] == str(last) and "<h1 class=\"obs-slide-title\">Sources</h1>" in _slide_html(at)
    assert at.button(key="pres_next").disabled


def test_the_pptx_download_button(app, con, monkeypatch):
    """The button hands Streamlit a deferred file (built on click): its French .pptx name, its MIME type, and
    the bytes it builds are the deck of the slides shown."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    registered: list[dict] = []
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        registered.append({"callable": data_callable, "mimetype": mimetype, "file_name": file_name})
        return original(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    at = _open(app)
    download = at.get("download_button")
    assert len(download) == 1 and download[0].proto.id.endswith("pres_pptx")
    assert download[0].proto.label == "Télécharger la présentation (PPTX)"
    assert download[0].proto.HasField("deferred_file_id")
    [entry] = registered
    assert entry["file_name"] == "Observatoire du numérique éducatif — séminaire 2023-2024.pptx"
    assert entry["mimetype"] == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    deck = OpenPptx(io.BytesIO(entry["callable"]()))  # what a click downloads (kaleido: a few seconds)
    assert len(deck.slides) == len(builder.build_presentation(con, Filters()).slides)


def test_leaving_returns_to_the_overview_with_the_same_filters(app):
    at = _open(app, dep="57")
    at.button(key="pres_next").click().run()
    at.button(key="pres_leave").click().run()
    assert not unexpected_errors(at)
    params = _params(at)
    assert "presentation" not in params and "diapo" not in params
    # the filters survive (st.switch_page from a script run resets every widget: the sidebar reads the URL again)
    assert params.get("dep") == "57" and "a" not in params and "de" not in params, params
    assert at.session_state["filters"] == Filters(departements=("57",))
    assert not _slide_html(at)
    assert [m for m in at.metric if "ENT" in m.label]  # the overview's cards
    assert _footer_shown(at)
