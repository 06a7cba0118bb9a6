"""A page cannot change a cached view: every page, every filter set below, then a rerun of each (which renders
from the cache), leave each view, presentation and fiche the cache handed out exactly as it was built.

The edge caches views as objects (`components.context._shared`, never pickled) and hands the same object to every
session of the version: a page that sorted a table in place, or set a figure's title for the screen, would change
what the next visitor and the exports see. Every value handed out is recorded with a digest of its whole content
(texts, tables, figures) when first seen and compared after all the runs."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import pytest

from components import context

PAGES = [
    "pages/vue_ensemble.py",
    "pages/carte.py",
    "pages/indicateurs.py",
    "pages/laboratoires.py",
    "pages/projets.py",
    "pages/donnees.py",
    "pages/presentation.py",
]
FILTERS = [{}, {"dep": "57", "niveau": "college"}, {"bassin": "57-metz", "theme": "robotique_programmation"}]


def _canonical(value: object) -> object:
    """The content of a value, independent of how pandas lays out its blocks or caches its columns."""
    if isinstance(value, pd.DataFrame):
        return (
            "frame",
            tuple(map(str, value.columns)),
            tuple(map(str, value.dtypes)),
            tuple(map(str, value.index)),
            value.to_json(orient="split", date_format="iso", default_handler=str),
        )
    if isinstance(value, pd.Series):
        return ("series", str(value.name), str(value.dtype), value.to_json(orient="split", default_handler=str))
    if isinstance(value, go.Figure):
        return ("figure", value.to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, Mapping):
        return ("map", tuple((repr(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_canonical(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(v) for v in value)))
    return repr(value)


def _digest(value: object) -> str:
    return hashlib.sha256(repr(_canonical(value)).encode()).hexdigest()


def _parts(value: object) -> dict[str, str]:
    """A digest per field (what the failure names)."""
    fields = getattr(value, "__dataclass_fields__", {})
    return {name: _digest(getattr(value, name)) for name in fields}


def _changed_fields(value: object, parts: dict[str, str]) -> list[str]:
    now = _parts(value)
    return [name for name in parts if now.get(name) != parts[name]]


@pytest.fixture()
def handed_out(monkeypatch):
    seen: dict[int, tuple[object, str, dict[str, str]]] = {}
    original = context._shared

    def recording(fn, *args, **kwargs):
        value = original(fn, *args, **kwargs)
        seen.setdefault(id(value), (value, _digest(value), _parts(value)))
        return value

    monkeypatch.setattr(context, "_shared", recording)
    return seen


@pytest.mark.parametrize("params", FILTERS, ids=["academie", "moselle-college", "metz-robotique"])
def test_pages_never_change_a_cached_view(app, handed_out, params):
    for page in PAGES:
        at = app(params, page=page)
        at.run()  # a rerun: drawn from the cached values
        assert not at.exception, (page, at.exception)
    kinds = {type(value).__name__ for value, _, _ in handed_out.values()}
    assert {"View", "Presentation"} <= kinds, kinds
    changed = [
        (getattr(value, "page", type(value).__name__), _changed_fields(value, parts))
        for value, digest, parts in handed_out.values()
        if _digest(value) != digest
    ]
    assert not changed, f"a page changed a cached value: {changed}"
