"""Offline / sovereign front-end assets for folium maps.

folium (0.20) loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers
from third-party CDNs. ``scripts/vendor_assets.sh`` vendors the exact versions into
``static/vendor/`` (served by Streamlit at ``/app/static/vendor/...`` with
``server.enableStaticServing = true``) and :func:`use_local_assets` points folium at
them. :func:`third_party_urls` lets tests prove a rendered map references no outside
host.

Notes
-----
* Bootstrap 3 glyphicons are not vendored: :func:`use_local_assets` drops
  ``glyphicons_css``. Create icons with ``folium.Icon(prefix="fa", icon=...)``
  (folium's default prefix is ``"glyphicon"``).
* The URLs are absolute paths on the app origin. The streamlit_folium iframe is
  served from the same origin, so they resolve there too. If the app is served under
  ``server.baseUrlPath``, pass ``prefix="/<base>/app/static/vendor"``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import branca.colormap
import folium
import folium.plugins  # registers the plugin classes whose default_js/css we rewrite
from folium.elements import JavascriptLink, JSCSSMixin

VENDOR_PREFIX = "/app/static/vendor"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"

# Addresses written by folium / branca / streamlit_folium -> path relative to static/vendor (None: drop the
# asset, not needed). The table is data, kept next to this module in vendor_map.json.
_MAP = json.loads((Path(__file__).with_name("vendor_map.json")).read_text(encoding="utf-8"))
LOCAL_ASSETS: dict[str, str | None] = {
    url: (path.format(folium_version=folium.__version__) if path else None) for url, path in _MAP["assets"].items()
}
_D3_CDN: str = _MAP["d3_v3"]

_state: dict[str, str] = {}
# Per thread (one script run = one thread): when `slot` is a dict, the patched component function copies the
# arguments it sends to the st_folium component into it (components.maps keeps them to replay a map).
CAPTURE = threading.local()


def local_url(relative: str, prefix: str = VENDOR_PREFIX) -> str:
    """URL of a vendored file (path relative to ``static/vendor``)."""
    return f"{prefix.rstrip('/')}/{relative}"


def _rewrite(links: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        if url in LOCAL_ASSETS:
            relative = LOCAL_ASSETS[url]
            if relative is None:
                continue
            url = local_url(relative, prefix)
        out.append((name, url))
    return out


def rewrite_url_list(urls: Iterable[str], prefix: str = VENDOR_PREFIX) -> list[str]:
    """Map a list of CDN URLs to local ones (dropping unneeded assets), order kept, deduplicated."""
    out = [url for _, url in _rewrite([("", u) for u in urls], prefix)]
    return list(dict.fromkeys(out))


def _jscss_classes() -> list[type]:
    seen: list[type] = []
    stack = [JSCSSMixin]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen


def _patch_colormap_render(prefix: str) -> None:
    cls = branca.colormap.ColorMap
    original = getattr(cls.render, "_offline_original", cls.render)
    d3 = LOCAL_ASSETS[_D3_CDN]
    assert d3 is not None, "vendor_map.json : d3 v3 (légendes de branca) doit avoir une copie locale"

    @functools.wraps(original)
    def render(self, **kwargs):
        original(self, **kwargs)
        header = self.get_root().header
        header.add_child(JavascriptLink(local_url(d3, prefix)), name="d3")

    render._offline_original = original  # type: ignore[attr-defined]
    cls.render = render  # type: ignore[method-assign]  # a monkeypatch (undone by the original kept above)


def use_local_assets(prefix: str = VENDOR_PREFIX) -> None:
    """Point folium (and branca colormaps) at the vendored assets. Idempotent.

    Rewrites ``default_js`` / ``default_css`` of every folium element class
    (``folium.Map``, ``folium.plugins.MarkerCluster``, ``Fullscreen``, ...) whose
    CDN URL is vendored, and drops ``glyphicons_css``. Plugins that are not
    vendored keep their CDN URL: :func:`cdn_assets_left` lists them.
    """
    if _state.get("prefix") == prefix:
        return
    for cls in _jscss_classes():
        for attr in ("default_js", "default_css"):
            if cls.__dict__.get(attr):
                setattr(cls, attr, _rewrite(cls.__dict__[attr], prefix))
    if _state:  # called before with another prefix: re-map the previous local URLs
        old = _state["prefix"].rstrip("/") + "/"
        for cls in _jscss_classes():
            for attr in ("default_js", "default_css"):
                links = cls.__dict__.get(attr)
                if links:
                    setattr(
                        cls,
                        attr,
                        [(n, local_url(u[len(old) :], prefix) if u.startswith(old) else u) for n, u in links],
                    )
    _patch_colormap_render(prefix)
    _state["prefix"] = prefix


def cdn_assets_left() -> dict[str, list[str]]:
    """Element classes whose default_js/default_css still point to http(s) (not vendored)."""
    left: dict[str, list[str]] = {}
    for cls in _jscss_classes():
        urls = [u for attr in ("default_js", "default_css") for _, u in (getattr(cls, attr, None) or [])]
        urls = [u for u in urls if u.startswith(("http://", "https://", "//"))]
        if urls:
            left[f"{cls.__module__}.{cls.__qualname__}"] = urls
    return left


def patch_streamlit_folium(prefix: str = VENDOR_PREFIX) -> None:
    """Make ``streamlit_folium.st_folium`` CDN-free. Idempotent; imports streamlit lazily.

    st_folium collects ``default_js``/``default_css`` (already local after
    :func:`use_local_assets`) but also hardcodes two d3 CDN URLs for any branca
    colormap. We wrap the module-level ``_component_func`` (looked up at call time)
    to map those URLs to the vendored copy / drop them.
    """
    import streamlit_folium

    use_local_assets(prefix)
    func = streamlit_folium._component_func
    original = getattr(func, "_offline_original", func)

    def component_func(*args, **kwargs):
        for key in ("js_links", "css_links"):
            if kwargs.get(key):
                kwargs[key] = rewrite_url_list(kwargs[key], prefix)
        slot = getattr(CAPTURE, "slot", None)
        if slot is not None:  # `capture_component_args`: this thread records what it sends
            slot.update(kwargs)
        return original(*args, **kwargs)

    component_func._offline_original = original  # type: ignore[attr-defined]
    streamlit_folium._component_func = component_func


@contextlib.contextmanager
def capture_component_args() -> Iterator[dict[str, Any]]:
    """Within the block, the arguments this thread sends to the st_folium component (links already local)
    are copied into the dict yielded (empty if nothing was sent)."""
    slot: dict[str, Any] = {}
    previous = getattr(CAPTURE, "slot", None)
    CAPTURE.slot = slot
    try:
        yield slot
    finally:
        CAPTURE.slot = previous


# --- third-party URL detection --------------------------------------------------------------

# Absolute http(s) URLs anywhere (attributes, CSS, JS strings, text). Stops at quotes,
# whitespace, brackets, backslash (JS escapes such as \" or \u0022) and backtick.
_ABSOLUTE_URL = re.compile(r"""https?://[^\s"'<>()\\`]+""", re.IGNORECASE)
# Protocol-relative URLs in src/href attributes or CSS url(...).
_PROTOCOL_RELATIVE = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)(//[^\s"'<>()\\`]+)""", re.IGNORECASE
)
_ENTITY_END = re.compile(r"&(?:quot|#34|#x22|apos|#39|#x27|lt|gt);", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _clean(url: str) -> str:
    url = _ENTITY_END.split(url, maxsplit=1)[0]
    return url.rstrip(_TRAILING)


def _host(url: str) -> str:
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return ""
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):  # IPv6 literal
        return host.split("]", 1)[0].lstrip("[").lower()
    return host.split(":", 1)[0].lower()


def _allowed(host: str, allowed: set[str]) -> bool:
    if host in allowed:
        return True
    return any(a.startswith("*.") and host.endswith(a[1:]) for a in allowed)


def third_party_urls(html: str, allowed_hosts: Iterable[str] = ()) -> list[str]:
    """Every http(s) URL in ``html`` whose host is not in ``allowed_hosts``.

    Finds absolute ``http://``/``https://`` URLs anywhere (src/href attributes,
    CSS ``url(...)``, strings in inline JS) and protocol-relative ``//host/...`` URLs
    in src/href attributes and CSS ``url(...)``. Relative and same-origin paths
    (``/app/static/...``) are not reported. ``allowed_hosts`` entries match a host
    exactly, or any subdomain when written ``*.example.org``. Unique URLs are
    returned in order of first appearance.
    """
    allowed = {h.lower() for h in allowed_hosts}
    found: list[tuple[int, str]] = [(m.start(), m.group(0)) for m in _ABSOLUTE_URL.finditer(html)]
    found += [(m.start(1), m.group(1)) for m in _PROTOCOL_RELATIVE.finditer(html)]
    result: dict[str, None] = {}
    for _, raw in sorted(found):
        url = _clean(raw)
        host = _host(url)
        if not host or _allowed(host, allowed):
            continue
        result[url] = None
    return list(result)


def vendored_paths(html: str, prefix: str = VENDOR_PREFIX) -> list[str]:
    """Paths (relative to static/vendor) referenced in ``html`` under ``prefix``."""
    pattern = re.compile(re.escape(prefix.rstrip("/") + "/") + r"""([^\s"'<>()\\`?#]+)""")
    return list(dict.fromkeys(m.group(1) for m in pattern.finditer(html)))


# --- warming the browser cache -----------------------------------------------------------------------------

_COMPONENT_BUILD = Path("frontend") / "build" / "static" / "js"
_PREFETCH_JS = """(() => {
  if (window.__observatoirePrefetch) return;  // once per page load
  window.__observatoirePrefetch = true;
  const urls = __URLS__;
  const go = () => urls.forEach((url) => fetch(url, {credentials: "same-origin"}).catch(() => {}));
  if (document.readyState === "complete") go(); else window.addEventListener("load", go, {once: true});
})();"""


def map_asset_urls(prefix: str = VENDOR_PREFIX) -> list[str]:
    """Same-origin URLs the Carte map loads one after the other (streamlit-folium appends its scripts one at a
    time): the vendored scripts and stylesheets of the map's folium elements, and streamlit-folium's bundle."""
    import streamlit_folium
    from folium.plugins import Fullscreen

    use_local_assets(prefix)
    urls = [
        url
        for cls in (folium.Map, Fullscreen)
        for attr in ("default_js", "default_css")
        for _, url in cls.__dict__.get(attr, [])
    ]
    build = Path(streamlit_folium.__file__).parent / _COMPONENT_BUILD
    urls += [f"/component/streamlit_folium.st_folium/static/js/{p.name}" for p in sorted(build.glob("main.*.js"))]
    return [url for url in dict.fromkeys(urls) if url.startswith("/")]


def mount_prefetch() -> None:
    """Fetch the map's assets in the background as soon as any page is shown, so that opening « Carte »
    finds them in the browser cache (bench/map_paint.py: the map's scripts are requested one after the other
    once the map's frame exists). Same origin only; a failed fetch is ignored. Renders no box."""
    import streamlit as st

    marker = "data-observatoire-prefetch"  # its element container is hidden: no box, no layout gap
    st.html(
        f"<span {marker} hidden></span><style>.stElementContainer:has([{marker}]) "
        "{ display: none !important; }</style><script>"
        + _PREFETCH_JS.replace("__URLS__", json.dumps(map_asset_urls()))
        + "</script>",
        unsafe_allow_javascript=True,
    )
