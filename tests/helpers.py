"""Helpers shared by app tests (import: `from tests.helpers import unexpected_errors`)."""

from __future__ import annotations


def unexpected_errors(at) -> list[str]:
    """Exceptions and the router's « erreur inattendue » messages shown by an AppTest run."""
    found = [str(e.value) for e in at.exception]
    found += [str(e.value) for e in at.error if "erreur inattendue" in str(e.value)]
    return found


def open_page(app, page: str, **params: str):
    """Run the entrypoint with URL `params`, switch to `page`, and check nothing went wrong."""
    at = app(query_params=params, page=page)
    assert not unexpected_errors(at), unexpected_errors(at)
    return at


def texts(elements) -> list[str]:
    """What Markdown elements (markdown, caption, info, warning, subheader…) read as: `md_text` of each."""
    return [md_text(str(e.value)) for e in elements]


def md_text(markdown: str) -> str:
    """What an escaped Markdown text reads as: the backslashes of `observatoire.text.escape_markdown` and its
    soft hyphens removed (for assertions on texts that the app escapes)."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(markdown)).replace("\u00ad", "")


def component_instances(at) -> list:
    """The custom-component elements (e.g. the st_folium map) of an AppTest run, in page order."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "component_instance":
                found.append(child)
            walk(child)

    walk(at._tree)
    return found


def require_renderer() -> None:
    """Debian's Chromium for kaleido: in CI (`CI=true`) its absence FAILS the test (a skip is not a pass);
    elsewhere the test is skipped with the reason (how to install it)."""
    import os

    import pytest

    from observatoire.exports import png

    try:
        png.browser_path()
    except png.RendererUnavailableError as error:  # pragma: no cover - depends on the machine
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true mais {error}", pytrace=False)
        pytest.skip(str(error))


def load_script(name: str, alias: str):  # noqa: ANN201 - a module
    """`scripts/<name>.py` imported as the module `alias` (scripts/ is not a package)."""
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        alias, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module
