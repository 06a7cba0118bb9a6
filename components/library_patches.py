"""Every place this project relies on a library's internals, listed once, with the version it was written for.

A library upgrade may change what these patches rely on without any error: `tests/components/
test_library_patches.py` fails as soon as an installed version differs from the one below, a patched attribute
is gone, or a Streamlit test id our CSS or scripts select is no longer in Streamlit's front end. Update the
patch, then `written_for`. The core (`observatoire/`) patches no library: the one it had (branca's template
memoization) lives here, applied by the edge (`components.maps` at import).

The Streamlit test ids (`data-testid="…"`) our CSS and scripts select are found by `used_test_ids()`; prefer a
keyed container (`st.container(key=…)`, class `st-key-…`) when Streamlit offers one.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Patch:
    """One reliance on a library's internals: `attributes` are the dotted names it reads or replaces."""

    distribution: str  # the installed package (importlib.metadata name)
    written_for: str
    where: str  # our module that does it
    what: str
    attributes: tuple[str, ...]


PATCHES: tuple[Patch, ...] = (
    Patch(
        "streamlit",
        "1.67.0",
        "components/server_guard.py",
        "foreign-origin gate before Starlette, French error display of callbacks, unknown paths, uploads held "
        "in bounded memory (each replaced function also checked by its source fingerprint there)",
        ("streamlit.web.server.starlette.starlette_static_routes.create_streamlit_static_handler",),
    ),
    Patch(
        "folium",
        "0.20.0",
        "components/offline.py",
        "`default_js` / `default_css` of folium's element classes pointed at static/vendor (no CDN)",
        ("folium.Map.default_js", "folium.Map.default_css", "folium.elements.JSCSSMixin"),
    ),
    Patch(
        "branca",
        "0.8.2",
        "components/offline.py",
        "`ColorMap.render` adds the vendored d3 instead of the CDN one",
        ("branca.colormap.ColorMap.render",),
    ),
    Patch(
        "streamlit-folium",
        "0.27.4",
        "components/offline.py",
        "the module-level `_component_func` wrapped: d3 CDN links rewritten, arguments captured for tests",
        ("streamlit_folium._component_func",),
    ),
    Patch(
        "branca",
        "0.8.2",
        "components/library_patches.py",
        "`branca.element.Template` compiles each distinct source once per process (≈ 40 % of a map build)",
        ("branca.element.Template",),
    ),
    Patch(
        "folium",
        "0.20.0",
        "observatoire/figures/foliummap.py",
        "element ids renumbered from the tree position (`Element._id`, `_children`): byte-identical renders; "
        "on the map's own objects, no class replaced",
        ("branca.element.Element._children",),
    ),
)


def _resolve(dotted: str) -> Any:
    """The object at `dotted` (a module path then attributes); AttributeError / ImportError when gone."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


def problems() -> list[str]:
    """French lines, one per patch whose library is not the version it was written for or lacks an attribute."""
    found = []
    for patch in PATCHES:
        installed = importlib.metadata.version(patch.distribution)
        if installed != patch.written_for:
            found.append(
                f"{patch.distribution} {installed} installé, {patch.written_for} attendu par {patch.where}"
            )
        for dotted in patch.attributes:
            if dotted.endswith("._children"):  # an instance attribute: checked on an instance
                import branca.element

                if not hasattr(branca.element.Element(), "_children"):
                    found.append(f"{dotted} absent ({patch.where})")
                continue
            try:
                _resolve(dotted)
            except (ImportError, AttributeError):
                found.append(f"{dotted} absent ({patch.where})")
    return found


_TEST_ID = re.compile(r"""data-testid=\\?["']?([A-Za-z]+)""")


def used_test_ids() -> dict[str, list[str]]:
    """Streamlit test ids our code selects (CSS, scripts, Playwright-free): id -> files using it."""
    used: dict[str, list[str]] = {}
    for folder in ("components", "pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for test_id in set(_TEST_ID.findall(path.read_text(encoding="utf-8"))):
                used.setdefault(test_id, []).append(str(path.relative_to(ROOT)))
    for test_id in set(_TEST_ID.findall((ROOT / "dashboard.py").read_text(encoding="utf-8"))):
        used.setdefault(test_id, []).append("dashboard.py")
    return used


def streamlit_front_end_ids() -> set[str]:
    """Every `st…` test id written in the installed Streamlit's front-end bundle."""
    import streamlit

    folder = Path(streamlit.__file__).resolve().parent / "static" / "static" / "js"
    ids: set[str] = set()
    pattern = re.compile(r"""["'`](st[A-Z][A-Za-z]+)["'`]""")
    for path in folder.glob("*.js"):
        ids.update(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    return ids


def memoize_branca_templates() -> None:
    """branca compiles a Jinja template for every element it creates (≈ 90 compilations per map, about 40 %
    of a map build). Templates are immutable once compiled: compile each distinct source once per process.
    Idempotent."""
    import branca.element
    from jinja2 import Template

    if getattr(branca.element.Template, "_observatoire_memo", False):
        return
    compiled: dict[str, Template] = {}

    def template(source: str, *args: Any, **kwargs: Any) -> Template:
        if args or kwargs:
            return Template(source, *args, **kwargs)
        found = compiled.get(source)
        if found is None:
            found = compiled[source] = Template(source)
        return found

    template._observatoire_memo = True  # type: ignore[attr-defined]
    branca.element.Template = template  # type: ignore[assignment,misc]
