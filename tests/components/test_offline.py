"""Offline / sovereign assets: a rendered folium map must reference no third-party host."""

from __future__ import annotations

import folium
import pytest
from folium.plugins import Fullscreen, MarkerCluster

from components import offline
from components.offline import (
    LOCAL_ASSETS,
    VENDOR_DIR,
    VENDOR_PREFIX,
    third_party_urls,
    use_local_assets,
    vendored_paths,
)

GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"nom": "Académie de Lyon"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[4.0, 45.0], [5.0, 45.0], [5.0, 46.0], [4.0, 46.0], [4.0, 45.0]]],
            },
        }
    ],
}


def _full_map(tiles: str | None = None) -> folium.Map:
    m = folium.Map(location=[46.6, 2.4], zoom_start=5, tiles=tiles)
    folium.GeoJson(GEOJSON, name="Académies", tooltip=folium.GeoJsonTooltip(["nom"])).add_to(m)
    folium.Marker(
        [48.85, 2.35], tooltip="Paris", icon=folium.Icon(prefix="fa", icon="school", color="blue", angle=45)
    ).add_to(m)
    cluster = MarkerCluster(name="Écoles").add_to(m)
    for lat, lon in [(45.76, 4.83), (43.6, 1.44), (47.22, -1.55)]:
        folium.Marker([lat, lon], icon=folium.Icon(prefix="fa", icon="school")).add_to(cluster)
    Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    folium.LayerControl().add_to(m)
    return m


@pytest.fixture(autouse=True)
def _local_assets():
    use_local_assets()
    yield


def test_map_without_basemap_has_no_third_party_url():
    html = _full_map().get_root().render()
    assert third_party_urls(html) == []
    # the map really pulls the vendored assets
    assert f"{VENDOR_PREFIX}/leaflet-1.9.3/leaflet.js" in html
    assert f"{VENDOR_PREFIX}/leaflet.markercluster-1.1.0/leaflet.markercluster.js" in html
    assert f"{VENDOR_PREFIX}/leaflet.fullscreen-3.0.0/Control.FullScreen.js" in html
    assert "glyphicons" not in html


def test_choropleth_legend_uses_vendored_d3():
    m = folium.Map(tiles=None)
    folium.Choropleth(
        GEOJSON, data={"Académie de Lyon": 1.0}, key_on="feature.properties.nom", legend_name="Taux"
    ).add_to(m)
    html = m.get_root().render()
    assert third_party_urls(html) == []
    assert f"{VENDOR_PREFIX}/d3-3.5.5/d3.min.js" in html


def test_every_referenced_vendored_path_exists():
    html = _full_map().get_root().render()
    paths = vendored_paths(html)
    assert len(paths) >= 10
    for rel in paths:
        assert (VENDOR_DIR / rel).is_file(), rel


def test_every_mapped_asset_exists_on_disk():
    for url, rel in LOCAL_ASSETS.items():
        if rel is not None:
            assert (VENDOR_DIR / rel).is_file(), (url, rel)


def test_css_relative_resources_exist():
    # images / fonts referenced by the vendored stylesheets must be vendored too
    import re

    for css in VENDOR_DIR.rglob("*.css"):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not ref.startswith(("http:", "https:", "//")), (css, ref)
            target = (css.parent / ref.split("?")[0].split("#")[0]).resolve()
            assert target.is_file(), (css, ref)


def test_every_vendored_package_has_a_licence_and_is_listed():
    versions = (VENDOR_DIR / "VERSIONS.txt").read_text(encoding="utf-8")
    for pkg in (p for p in VENDOR_DIR.iterdir() if p.is_dir()):
        assert any(f.name.upper().startswith(("LICENSE", "MIT-LICENCE")) for f in pkg.iterdir()), pkg
        assert f"[{pkg.name}]" in versions


def test_use_local_assets_is_idempotent():
    before = (list(folium.Map.default_js), list(folium.Map.default_css))
    use_local_assets()
    use_local_assets()
    assert (folium.Map.default_js, folium.Map.default_css) == before
    assert all(url.startswith(VENDOR_PREFIX) for _, url in folium.Map.default_js + folium.Map.default_css)
    assert "glyphicons_css" not in dict(folium.Map.default_css)
    for cls in (MarkerCluster, Fullscreen, folium.plugins.FastMarkerCluster):
        for _, url in cls.default_js + cls.default_css:
            assert url.startswith(VENDOR_PREFIX), (cls, url)


def test_openstreetmap_basemap_only_adds_tile_host():
    html = _full_map(tiles="OpenStreetMap").get_root().render()
    urls = third_party_urls(html)
    hosts = {url.split("/")[2] for url in urls}
    # tile server + the attribution hyperlink (a link, never fetched)
    assert hosts == {"tile.openstreetmap.org", "www.openstreetmap.org"}
    assert third_party_urls(html, allowed_hosts=["www.openstreetmap.org"]) == [
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    ]
    assert third_party_urls(html, allowed_hosts=["tile.openstreetmap.org", "www.openstreetmap.org"]) == []


def test_rewrite_url_list_for_streamlit_folium_links():
    links = [
        "https://d3js.org/d3.v4.min.js",
        offline._D3_CDN,
        f"{VENDOR_PREFIX}/leaflet-1.9.3/leaflet.js",
        f"{VENDOR_PREFIX}/leaflet-1.9.3/leaflet.js",
    ]
    assert offline.rewrite_url_list(links) == [
        f"{VENDOR_PREFIX}/d3-3.5.5/d3.min.js",
        f"{VENDOR_PREFIX}/leaflet-1.9.3/leaflet.js",
    ]


# --- third_party_urls unit tests --------------------------------------------------------------


def test_third_party_urls_attributes_css_and_js():
    html = """
    <script src="https://cdn.example.com/a.js"></script>
    <link rel="stylesheet" href='https://fonts.example.com/css?family=Marianne'/>
    <style>@font-face { src: url("https://fonts.gstatic.com/x.woff2") } .a{background:url(//img.example.net/b.png)}</style>
    <script>var t = L.tileLayer("https://{s}.tile.example.org/{z}/{x}/{y}.png", {});
            fetch('http://api.example.org:8080/v1?x=1&y=2');</script>
    <img src="//static.example.net/c.png">
    """
    assert third_party_urls(html) == [
        "https://cdn.example.com/a.js",
        "https://fonts.example.com/css?family=Marianne",
        "https://fonts.gstatic.com/x.woff2",
        "//img.example.net/b.png",
        "https://{s}.tile.example.org/{z}/{x}/{y}.png",
        "http://api.example.org:8080/v1?x=1&y=2",
        "//static.example.net/c.png",
    ]


def test_third_party_urls_ignores_local_and_relative_paths():
    html = """<script src="/app/static/vendor/leaflet-1.9.3/leaflet.js"></script>
    <link href="./style.css"><style>.x{background:url(images/a.png)} .y{background:url(data:image/png;base64,AAA)}</style>
    <a href="#top">top</a>"""
    assert third_party_urls(html) == []


def test_third_party_urls_allowed_hosts_exact_and_wildcard():
    html = (
        '<img src="https://a.tiles.example.org/1.png"><img src="https://example.org/2.png">'
        '<img src="https://evil-example.org/3.png">'
    )
    assert third_party_urls(html, ["example.org"]) == [
        "https://a.tiles.example.org/1.png",
        "https://evil-example.org/3.png",
    ]
    assert third_party_urls(html, ["*.example.org", "EXAMPLE.ORG"]) == ["https://evil-example.org/3.png"]


def test_third_party_urls_escaped_and_entity_contexts_and_dedup():
    html = (
        '{"attribution": "\\u003ca href=\\"https://www.openstreetmap.org/copyright\\"\\u003eOSM\\u003c/a\\u003e"}'
        '<div data-x="&quot;https://cdn.example.com/x.js&quot;"></div>'
        "<p>See https://cdn.example.com/x.js.</p>"
    )
    assert third_party_urls(html) == [
        "https://www.openstreetmap.org/copyright",
        "https://cdn.example.com/x.js",
    ]


def test_third_party_urls_empty():
    assert third_party_urls("") == []
    assert third_party_urls("no url here, only /relative/path and mailto:x@example.org") == []


def test_patch_streamlit_folium_rewrites_component_links(monkeypatch):
    import branca.colormap as cm
    import streamlit_folium

    captured: dict = {}

    def fake_component(*args, **kwargs):
        captured.update(kwargs)
        return kwargs.get("default")

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    offline.patch_streamlit_folium()
    offline.patch_streamlit_folium()  # idempotent: wraps the original only once
    m = _full_map()
    cm.linear.Blues_09.scale(0, 1).add_to(m)  # makes st_folium hardcode the d3 CDN links
    streamlit_folium.st_folium(m, key="carte")
    links = captured["js_links"] + captured["css_links"]
    assert links and all(url.startswith(VENDOR_PREFIX) for url in links), links
    assert f"{VENDOR_PREFIX}/d3-3.5.5/d3.min.js" in captured["js_links"]
    for part in ("header", "script", "html"):
        assert third_party_urls(captured[part]) == [], part
    for url in links:
        assert (VENDOR_DIR / url[len(VENDOR_PREFIX) + 1 :]).is_file(), url
