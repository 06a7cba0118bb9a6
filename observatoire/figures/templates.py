"""Jinja templates of the HTML and CSS the dashboard builds itself (map legends, popups, map style…), in
`observatoire/figures/templates/`. Pure (no Streamlit).

Autoescape is ON for every `*.html.j2` and `*.css.j2` template. Each `{{ value }}` that is not already markup
goes through the project's own escaping, `observatoire.text.escape_html` (invisible characters removed, `&`,
`<`, `>`, `"` and `'` escaped: exactly what the dashboard did before the templates), then autoescape leaves the
result alone. Only `Markup` values (built by templates or by `safe(...)`) are inserted as they are.

The folium elements' own templates (JavaScript macros compiled by branca) are stored here too, as
`folium/*.html.j2`: `source(name)` returns their text for `branca.element.Template`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from observatoire.text import escape_html

FOLDER = Path(__file__).resolve().parent / "templates"


def _finalize(value: Any) -> Any:
    """Every printed value: markup as it is, anything else escaped with `escape_html` (then marked safe, so the
    autoescape does not escape it twice)."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(escape_html(value))  # noqa: S704 - escaped just above


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(FOLDER),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "css.j2"), default_for_string=True, default=True
        ),
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, **context: Any) -> str:
    """The template `name` rendered with `context` (a plain `str`)."""
    return str(environment().get_template(name).render(**context))


def render_one_line(name: str, **context: Any) -> str:
    """`render` with the template's line breaks and indentation removed (HTML fragments written on several lines
    for reading, sent as one line)."""
    return "".join(line.strip() for line in render(name, **context).splitlines())


def safe(text: str) -> Markup:
    """`text` is trusted markup (built by the code, never data): inserted as it is."""
    return Markup(text)  # noqa: S704 - callers pass markup they built


def source(name: str) -> str:
    """The text of a template (folium elements: compiled by branca, not by this environment)."""
    return (FOLDER / name).read_text(encoding="utf-8")
