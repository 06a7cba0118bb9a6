"""Cross-filtering from the map, the indicator pickers that follow the filters, the lab fiche vs the académie
(AppTest through the entrypoint; the browser click itself: tests/e2e/test_crossfilter.py)."""

from __future__ import annotations

from components import maps
from observatoire import queries
from observatoire.figures import formatting
from observatoire.filters import Filters
from tests.helpers import md_text, open_page, unexpected_errors

CARTE, INDICATEURS, LABOS = "pages/carte.py", "pages/indicateurs.py", "pages/laboratoires.py"


def _run(at):
    at.run()
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def test_filter_on_the_clicked_bassin_sets_the_shared_filter_and_the_url(app, con):
    at = open_page(app, CARTE, dep="57", bassin_sel="57-forbach")
    assert at.selectbox(key=maps.SESSION_KEY).value == "57-forbach"
    at.button(key="carte_filtrer_bassin").click()
    _run(at)
    assert at.multiselect(key="f_bassins").value == ["57-forbach"]
    assert at.query_params["bassin"] == "57-forbach"
    assert not [b for b in at.button if b.key == "carte_filtrer_bassin"]  # already filtered: said instead
    assert any("Les filtres portent sur ce bassin" in md_text(c.value) for c in at.caption)
    # every page now answers for that bassin only
    at.switch_page(LABOS)
    _run(at)
    labs = queries.laboratories(con, Filters(departements=("57",), bassins=("57-forbach",))).data
    assert md_text(at.subheader[0].value).startswith(f"{len(labs)} laboratoire")
    assert len(labs) < len(queries.laboratories(con, Filters(departements=("57",))).data)


def test_a_lab_marker_click_opens_its_fiche(app, con, monkeypatch):
    lab = queries.laboratories(con, Filters(departements=("57",))).data.iloc[0]
    # what streamlit-folium 0.27.4 returns for a marker click: the marker's position, a stale bassin feature
    click = {
        "last_object_clicked": {"lat": float(lab["latitude"]), "lng": float(lab["longitude"])},
        "last_active_drawing": {"type": "Feature", "properties": {"code": "57-metz"}, "geometry": None},
    }
    at = open_page(app, CARTE, dep="57")
    monkeypatch.setattr(maps, "render_map", lambda m, key, digest=None: click)
    _run(at)
    assert at.selectbox(key="labo_fiche").value == lab["code"]  # page Laboratoires, the lab's fiche
    assert at.query_params["labo"] == lab["code"]
    assert at.multiselect(key="f_departements").value == ["57"], dict(at.query_params)  # filters kept
    assert at.query_params["dep"] == "57"


def test_a_bassin_click_selects_the_bassin_not_a_lab(app, monkeypatch):
    click = {"last_object_clicked": {"lat": 49.12, "lng": 6.18}, "last_active_drawing": None}  # Metz
    at = open_page(app, CARTE, dep="57")
    monkeypatch.setattr(maps, "render_map", lambda m, key, digest=None: click)
    _run(at)
    assert at.selectbox(key=maps.SESSION_KEY).value == "57-metz"
    assert [b for b in at.button if b.key == "carte_filtrer_bassin"]  # « Filtrer sur ce bassin » offered


def test_the_indicator_picker_follows_the_niveau(app, con):
    at = open_page(app, INDICATEURS, niveau="college")
    response = queries.filter_response(con, Filters(niveaux=("college",)))
    responding = set(response.loc[response["repond"], "id"])
    options = at.selectbox(key="ind_indicateur").options
    assert len(options) == len(responding)
    assert at.selectbox(key="ind_indicateur").value in responding  # the default (ENT visits) does not respond
    missing = int((~response["repond"]).sum())
    assert any(f"{missing} indicateurs ne sont pas détaillés par niveau" in md_text(c.value) for c in at.caption)
    at.toggle(key="ind_indicateur_tous").set_value(True)
    _run(at)
    assert len(at.selectbox(key="ind_indicateur").options) == len(response)


def test_a_shared_link_to_a_non_responding_indicator_is_kept_and_said(app):
    at = open_page(app, INDICATEURS, niveau="college", indicateur="ent_visites")
    assert at.selectbox(key="ind_indicateur").value == "ent_visites"
    assert any("n'est pas détaillé par niveau" in md_text(w.value) for w in at.warning)


def test_the_map_picker_follows_the_theme(app, con):
    at = open_page(app, CARTE, theme="sciences_numerique")
    response = queries.filter_response(con, Filters(thematiques=("sciences_numerique",)))
    responding = set(response.loc[response["repond"], "libelle"])
    options = at.selectbox(key="carte_indicateur").options  # labels
    assert options and set(options) <= responding


def test_the_lab_fiche_compares_with_the_academie(app, con):
    at = open_page(app, LABOS, labo="lab-forbach")
    year = queries.school_years(con)[-1]
    profile = queries.lab_profile(con, "lab-forbach", year).set_index("indicateur")
    text = "\n".join(md_text(m.value) for m in at.markdown)
    assert f"Comparaison avec l'académie ({year})" in text
    row = profile.loc["labo_personnes"]
    assert f"{formatting.percent(row['part_pct'])} de l'académie" in text
    assert f"sur {int(row['nb'])}" in text
