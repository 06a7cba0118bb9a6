"""A map already drawn is sent again without being rendered (components.maps): the st_folium component gets
exactly the arguments streamlit-folium computes itself, and a change of any input draws a new map."""

from __future__ import annotations

import pandas as pd
import pytest

from components import maps, offline
from observatoire import config, geo
from observatoire.figures import classification


def _inputs(first_value: float = 120.0) -> tuple[tuple, dict]:
    bassins = geo.geojson_dict("bassins")
    codes = [f["properties"]["code"] for f in bassins["features"]]
    values = pd.DataFrame(
        {
            "code": codes,
            "nom": [f"Bassin {c}" for c in codes],
            "valeur": [first_value, *[float(10 * i) for i in range(1, len(codes))]],
            "rang": list(range(1, len(codes) + 1)),
            "departement": [c[:2] for c in codes],
        }
    )
    classes = classification.classify(values["valeur"], "quantiles", 5)
    labs = geo.load_laboratoires().head(4)
    args = (bassins, geo.geojson_dict("departements"), values, classes, labs)
    acad = config.academie()
    return args, {
        "indicator_label": "Personnes",
        "unit": "personnes",
        "annee": "2023-2024",
        "centre": acad.carte_centre,
        "zoom": acad.carte_zoom,
    }


@pytest.fixture
def component(monkeypatch):
    """streamlit-folium's component function replaced by a recorder (behind offline's link rewriting)."""
    import streamlit_folium

    calls: list[dict] = []

    def fake_component(*args, **kwargs):
        calls.append(kwargs)
        return kwargs.get("default")

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    offline.patch_streamlit_folium()
    monkeypatch.setattr(maps, "_rendered", type(maps._rendered)())  # noqa: SLF001 - an empty cache per test
    return calls


def test_a_map_drawn_again_is_sent_as_streamlit_folium_computes_it(component):
    import streamlit_folium

    args, kwargs = _inputs()
    first = maps.render_map(maps.build_map(*args, **kwargs), key="carte_map_aucun")
    again = maps.render_carte_map("carte_map_aucun", *args, **kwargs)  # from the kept arguments, not built
    reference = streamlit_folium.st_folium(
        maps.build_map(*args, **kwargs),
        key="carte_map_aucun",
        height=maps.THEME.map_height,
        use_container_width=True,
        returned_objects=list(maps.RETURNED_OBJECTS),
    )
    assert first == again == reference == {"last_object_clicked": None, "last_active_drawing": None}
    sent, replayed, computed = component
    for name in computed:
        if name != "on_change":
            assert replayed[name] == computed[name] == sent[name], name
    assert replayed["script"].count("L.geoJson") >= 2 and "L.marker" in replayed["script"]


def test_any_change_of_the_inputs_draws_a_new_map(component):
    args, kwargs = _inputs()
    maps.render_carte_map("carte_map_aucun", *args, **kwargs)
    changed_args, _ = _inputs(first_value=121.0)
    maps.render_carte_map("carte_map_aucun", *changed_args, **kwargs)
    maps.render_carte_map("carte_map_aucun", *args, **{**kwargs, "annee": "2022-2023"})
    first, value_changed, year_changed = component
    assert first["script"] != value_changed["script"] and first["script"] != year_changed["script"]
    assert maps.map_digest(*args, **kwargs) == maps.map_digest(*_inputs()[0], **kwargs)  # content, not identity
    assert maps.map_digest(*args, **kwargs) != maps.map_digest(*changed_args, **kwargs)


def test_the_overview_map_html_is_kept(monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(maps, "_rendered", type(maps._rendered)())  # noqa: SLF001
    monkeypatch.setattr(maps.st, "iframe", lambda html, **kwargs: shown.append(html))
    args, kwargs = _inputs()
    maps.render_overview_map("overview_map", 300, "Carte", *args, **kwargs, compact=True)
    monkeypatch.setattr(maps, "build_map", lambda *a, **k: pytest.fail("built again"))
    maps.render_overview_map("overview_map", 300, "Carte", *args, **kwargs, compact=True)
    assert len(shown) == 2 and shown[0] == shown[1]
    assert offline.third_party_urls(shown[0]) == []
