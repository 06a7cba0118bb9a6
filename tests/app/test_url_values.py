"""URL values read strictly (AppTest through the router): numbers are ASCII digits only and bounded, anything
else is dropped with the usual French notice — never « erreur inattendue »; a shared link's basemap is only
offered, never loaded without the visitor's own choice.

Reproductions of the probe of issue 19: `?version=²`, `?diapo=²`, `?presentation=1&diapo=¹`, a 5 000-digit
`diapo` (all gave « erreur inattendue »), `?fond=osm` (made every visitor load OpenStreetMap tiles)."""

from __future__ import annotations

import pytest

from tests.helpers import md_text, unexpected_errors

LONG = "9" * 5000


def _notices(at) -> str:
    return md_text(" ".join(str(w.value) for w in at.warning))


def _params(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


@pytest.mark.parametrize("raw", ["²", "¹", "٣", LONG, "0", "-1", "1e3", "12abc"])
def test_an_odd_version_number_gets_the_french_notice(app, raw):
    at = app(query_params={"version": raw})
    assert not unexpected_errors(at), unexpected_errors(at)
    notices = _notices(at)
    assert "invalide (un numéro est attendu) : affichage de la version courante des données" in notices
    assert len(notices) < 400  # the value is cut: never 5 000 digits on screen
    assert "version" not in _params(at)  # the view is not pinned
    assert any("Version des données n° 1" in str(c.value) for c in at.caption)


def test_an_existing_version_number_still_pins_the_view(app):
    at = app(query_params={"version": "1"})
    assert not unexpected_errors(at) and _params(at)["version"] == "1" and not _notices(at)


@pytest.mark.parametrize(
    "params",
    [
        {"presentation": "1", "diapo": "²"},
        {"presentation": "1", "diapo": "¹"},
        {"presentation": "1", "diapo": LONG},
        {"presentation": "1", "diapo": "0"},
    ],
    ids=["exposant-2", "exposant-1", "5000-chiffres", "zero"],
)
def test_an_odd_slide_number_shows_the_first_slide_with_the_notice(app, params):
    at = app(query_params=params)
    assert not unexpected_errors(at), unexpected_errors(at)
    assert "inconnue (de 1 à" in _notices(at) and "première diapositive affichée" in _notices(at)
    assert "diapo" not in _params(at)  # the first slide is the default: the URL holds choices only (issue 18)
    assert any(">1 / " in str(h.proto.body) for h in at.get("html"))


def test_a_slide_number_beyond_the_last_shows_the_last_one_with_the_notice(app):
    at = app(query_params={"presentation": "1", "diapo": "99"})
    assert not unexpected_errors(at)
    assert "dernière diapositive affichée" in _notices(at)


# ------------------------------------------------------------------------------------------------ basemap


def test_a_shared_links_basemap_is_only_offered(app):
    at = app(query_params={"fond": "osm"}, page="pages/carte.py")
    assert not unexpected_errors(at), unexpected_errors(at)
    assert at.selectbox(key="carte_fond").value == "aucun"  # nothing loaded from outside
    assert _params(at).get("fond") in (None, "aucun")  # the link's osm is not passed on
    info = md_text(" ".join(str(i.value) for i in at.info))
    assert "Ce lien propose le fond de carte « OpenStreetMap »" in info and "service extérieur" in info
    at.button(key="carte_fond_accepter").click().run()  # the visitor's own choice
    assert not unexpected_errors(at)
    assert at.selectbox(key="carte_fond").value == "osm" and _params(at)["fond"] == "osm"
    assert "carte_fond_accepter" not in [b.key for b in at.button]  # the offer is gone


def test_the_offer_can_be_declined_and_the_selectbox_still_chooses(app):
    at = app(query_params={"fond": "ign"}, page="pages/carte.py")
    at.button(key="carte_fond_refuser").click().run()
    assert at.selectbox(key="carte_fond").value == "aucun"
    assert "carte_fond_accepter" not in [b.key for b in at.button]
    at.selectbox(key="carte_fond").set_value("ign").run()
    assert at.selectbox(key="carte_fond").value == "ign" and _params(at)["fond"] == "ign"
