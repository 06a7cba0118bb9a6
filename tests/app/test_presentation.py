"""The Présentation page through the entrypoint (AppTest): `?presentation=1`, the slide in the URL (`?diapo=N`),
the buttons, the key figures of the overview's cards, the PPTX download, no footer, back to the overview; on the
title slide, the instantané de séance: downloaded, published behind the QR code, a failed publication in French."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import pytest
from pptx import Presentation as OpenPptx

from observatoire import publication, queries
from observatoire.figures import cards
from observatoire.filters import Filters
from observatoire.views import presentation as builder
from tests.helpers import md_text, unexpected_errors

FOOTER = "Version des données"
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC"
)


def _bodies(at) -> list[str]:
    return [html.unescape(element.proto.body) for element in at.get("html")]


def _slide_html(at) -> str:
    """The slide's own HTML (title, counter, figures, bullets, source), without the style and script; the
    school years' no-break spans removed (`components.presentation.kept`)."""
    text = "\n".join(b for b in _bodies(at) if 'class="obs-' in b and not b.lstrip().startswith("<style"))
    return re.sub(r'<span class="obs-year">(\d{4}-\d{4})</span>', r"\1", text)


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
    assert f">2 / {count}</div>" in slide and "Chiffres clés 2023-2024 (1/2)" in slide
    assert not at.button(key="pres_prev").disabled
    for kpi in [k for k in queries.kpis(con, Filters()) if k.valeur is not None][: builder.KEY_FIGURES_PER_SLIDE]:
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
    for kpi in [k for k in queries.kpis(con, filters) if k.valeur is not None][: builder.KEY_FIGURES_PER_SLIDE]:
        assert f'<div class="obs-figure-value">{cards.kpi_value_text(kpi)}</div>' in slide, kpi.libelle
    last = len(builder.build_presentation(con, filters).slides)
    at = _open(app, dep="57", diapo="99")  # clamped to the last slide
    assert _params(at)["diapo"] == str(last) and '<h1 class="obs-slide-title">Sources</h1>' in _slide_html(at)
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
    download = [d for d in at.get("download_button") if d.proto.id.endswith("pres_pptx")]
    assert len(download) == 1
    assert download[0].proto.label == "Télécharger la présentation (PPTX)"
    assert download[0].proto.HasField("deferred_file_id")
    [entry] = [e for e in registered if e["file_name"].endswith(".pptx")]
    assert entry["file_name"] == "Séminaire 2023-2024.pptx"
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


# ------------------------------------------------------------------------------ instantané de séance


@pytest.fixture()
def served(tmp_path, monkeypatch) -> Path:
    """The folder the instantanés are published to, for this test only (instead of static/instantanes/)."""
    folder = tmp_path / "instantanes"
    monkeypatch.setattr(publication, "FOLDER", folder)
    return folder


def _qr_alt(at) -> str:
    match = re.search(r'alt="Code QR du lien de cette vue : ([^"]*)"', _slide_html(at))
    assert match, _slide_html(at)[:500]
    return match.group(1)


def _status(at) -> str:
    return "\n".join(b for b in _bodies(at) if "Le code QR mène" in b or "Publication impossible" in b)


def test_the_instantane_download_is_the_deck_as_one_html_file(app, con, deferred, served):
    at = _open(app, dep="57")
    [button] = [d for d in at.get("download_button") if d.proto.id.endswith("pres_html")]
    assert button.proto.label == "Télécharger l'instantané (HTML)" and button.proto.HasField("deferred_file_id")
    [(name, build)] = [v for v in deferred.values() if v[0].endswith(".html")]
    assert name == "Instantané 2023-2024 — Moselle.html"
    text = build().decode("utf-8")
    deck = builder.build_presentation(con, Filters(departements=("57",)))
    shown = html.unescape(re.sub(r'<span class="obs-year">([^<]*)</span>', r"\1", text))
    for slide in deck.slides:
        assert slide.title in shown, slide.title
    assert 'href="/?dep=57&amp;version=1"' in text  # « Ouvrir le tableau de bord »: same filters and version
    assert "Le code QR mène au tableau de bord en direct" in _status(at)
    assert not served.exists()  # downloading publishes nothing
    # only on the title slide
    at.button(key="pres_next").click().run()
    assert not [d for d in at.get("download_button") if d.proto.id.endswith("pres_html")]


def test_publishing_writes_the_seance_file_and_the_qr_code_follows(app, served, deferred, monkeypatch):
    from observatoire.exports import pptx

    monkeypatch.setattr(
        pptx, "default_render", lambda figure, context, size=None: PNG_1PX
    )  # the QR code is what matters
    at = _open(app, dep="57")
    assert _qr_alt(at) == "/?dep=57&version=1"  # the live view (AppTest has no browser address)
    at.button(key="pres_publish").click().run()
    assert not unexpected_errors(at)
    [published] = list(served.iterdir())
    assert re.fullmatch(r"[0-9a-f]{32}\.html", published.name)
    assert oct(published.stat().st_mode & 0o777) == "0o644"
    address = f"/app/static/instantanes/{published.name}"
    assert _qr_alt(at) == address
    assert "Le code QR mène à l'instantané publié" in _status(at) and address in _status(at)
    text = published.read_text(encoding="utf-8")
    assert f"Code QR de l'adresse : {address}" in html.unescape(text) and 'href="/?dep=57&amp;version=1"' in text
    assert at.button(key="pres_publish").label == "Republier l'instantané"
    # the PPTX downloaded now: its title slide's QR code leads to the instantané too
    build = [build for name, build in deferred.values() if name.endswith(".pptx")][-1]
    [code] = [s for s in OpenPptx(io.BytesIO(build())).slides[0].shapes if s.name == "QR code de la vue"]
    assert code._element.nvPicPr.cNvPr.get("descr") == f"QR code de l'adresse de la vue : {address}"
    # the same séance in a new session: same address, already published; another département: another one
    again = _open(app, dep="57")
    assert _qr_alt(again) == address
    other = _open(app, dep="54")
    assert _qr_alt(other) == "/?dep=54&version=1" and at.button(key="pres_publish")
    other.button(key="pres_publish").click().run()
    assert len(list(served.iterdir())) == 2 and _qr_alt(other) != address


def test_a_publication_that_cannot_be_written_says_so_in_french(app, tmp_path, monkeypatch):
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    monkeypatch.setattr(publication, "FOLDER", blocker / "instantanes")  # a folder inside a file: refused
    at = _open(app)
    at.button(key="pres_publish").click().run()
    assert not unexpected_errors(at)
    assert "Publication impossible : le chemin du dossier des instantanés n'est pas un dossier" in _status(at)
    assert str(tmp_path) not in _status(at)  # the server's paths stay in its log
    assert _qr_alt(at) == "/?version=1"  # the QR code still leads to the live view


def test_every_slide_on_screen_says_its_scope(app, con):
    """Moselle + Collège: the ENT's evolution slide says « Niveau » not applied, the map slide its territory."""
    filters = Filters(departements=("57",), niveaux=("college",))
    deck = builder.build_presentation(con, filters)
    kinds = [s.kind for s in deck.slides]
    ent = next(i for i, s in enumerate(deck.slides) if s.title == "Visites de l'ENT") + 1
    at = _open(app, dep="57", niveau="college", diapo=str(ent))
    slide = _slide_html(at)
    assert (
        '<p class="obs-slide-scope">Département : 57 — Moselle · Niveau : non détaillé pour cet indicateur '
        "(« Collège » non appliqué)</p>" in slide
    )
    at = _open(app, dep="57", niveau="college", diapo=str(kinds.index("carte") + 1))
    assert '<p class="obs-slide-scope">Département : 57 — Moselle · Niveau : Collège</p>' in _slide_html(at)
    at = _open(app, dep="57", niveau="college", diapo="2")
    assert "Valeur tous niveaux (filtre niveau non appliqué)" in _slide_html(at)  # the ENT's card


def test_the_zoom_bassin_is_chosen_on_the_page_kept_in_the_url_and_in_the_pptx(app, con, deferred):
    filters = Filters(departements=("57",))
    focus = [s.kind for s in builder.build_presentation(con, filters).slides].index("focus") + 1
    at = _open(app, dep="57", diapo=str(focus))
    chooser = at.selectbox(key="pres_zoom")
    assert chooser.label == "Bassin du zoom" and chooser.value == ""
    assert set(chooser.options) >= {"Zoom : Forbach", "Zoom : Metz"}
    assert chooser.options[0].startswith("Zoom : automatique (")
    assert not at.get("selectbox") or all(s.key != "pres_zoom" for s in _open(app, dep="57").selectbox)
    assert "zoom" not in _params(at)  # the default is never written in the URL
    chooser.set_value("57-forbach").run()
    assert not unexpected_errors(at)
    assert _params(at)["zoom"] == "57-forbach" and _params(at)["diapo"] == str(focus)
    assert '<h1 class="obs-slide-title">Zoom sur le bassin de Forbach</h1>' in _slide_html(at)
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith("pres_pptx")]
    name, make = deferred[button.proto.deferred_file_id]
    assert name == "Séminaire 2023-2024 — Moselle — zoom Forbach.pptx"
    deck = OpenPptx(io.BytesIO(make()))
    texts = ["\n".join(sh.text_frame.text for sh in page.shapes if sh.has_text_frame) for page in deck.slides]
    assert any("Zoom sur le bassin de Forbach" in t for t in texts)
    again = _open(app, dep="57", diapo=str(focus), zoom="57-forbach")  # the link reopens the same choice
    assert "Zoom sur le bassin de Forbach" in _slide_html(again)
    wrong = _open(app, dep="57", zoom="54-nancy")  # not a bassin of the Moselle: said, and dropped
    assert "zoom" not in _params(wrong)
    assert any("bassin du zoom" in str(w.value) for w in wrong.warning)


def test_the_qr_code_uses_the_public_address_and_warns_about_a_private_one(app, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_URL_PUBLIQUE", "https://observatoire.ac-nancy-metz.fr/")
    at = _open(app, dep="57")
    slide = _slide_html(at)
    assert "Code QR du lien de cette vue : https://observatoire.ac-nancy-metz.fr/?dep=57&version=1" in slide
    assert not [w for w in at.warning if "code QR" in str(w.value)]
    monkeypatch.setenv("OBSERVATOIRE_URL_PUBLIQUE", "http://127.0.0.1:8501")
    at = _open(app)
    [warning] = [md_text(str(w.value)) for w in at.warning if "code QR" in str(w.value)]
    assert "« 127.0.0.1 »" in warning and "OBSERVATOIRE_URL_PUBLIQUE" in warning and "url_publique" in warning
    assert "127.0.0.1" not in "\n".join(_bodies(at)).split("obs-qr")[0]  # the slide itself says nothing
