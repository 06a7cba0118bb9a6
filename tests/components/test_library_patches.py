"""The library internals this project relies on (`components.library_patches`): each at the version it was written
for, each attribute still there, each Streamlit test id our CSS selects still in Streamlit's front end — so an
upgrade that changes one of them fails here instead of silently breaking a page. The core patches no library."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import branca.element
import jinja2

from components import library_patches

ROOT = Path(__file__).resolve().parents[2]


def test_every_patched_library_is_the_version_its_patch_was_written_for():
    assert library_patches.problems() == []
    for patch in library_patches.PATCHES:
        assert importlib.metadata.version(patch.distribution) == patch.written_for, patch
        assert (ROOT / patch.where).is_file(), patch.where


def test_a_changed_library_is_reported_in_french(monkeypatch):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "branca" else real(name))
    found = library_patches.problems()
    assert any(line.startswith("branca 9.9.9 installé, 0.8.2 attendu par") for line in found), found


def test_every_streamlit_test_id_we_select_is_in_streamlits_front_end():
    used = library_patches.used_test_ids()
    assert len(used) >= 20  # the scan finds them (CSS in components/, scripts, the router)
    missing = {
        test_id: files
        for test_id, files in used.items()
        if test_id not in library_patches.streamlit_front_end_ids()
    }
    assert missing == {}


def test_the_branca_templates_are_compiled_once_at_the_edge():
    library_patches.memoize_branca_templates()
    library_patches.memoize_branca_templates()  # idempotent
    first, second = branca.element.Template("{{ x }}"), branca.element.Template("{{ x }}")
    assert first is second and isinstance(first, jinja2.Template) and first.render(x=1) == "1"


def test_the_core_replaces_no_attribute_of_a_library_module():
    """No `module.attribute = …` on an imported library anywhere in observatoire/ (the edge does it)."""
    libraries = {"branca", "folium", "streamlit", "streamlit_folium", "plotly", "jinja2", "pandas", "duckdb"}
    found = []
    for path in (ROOT / "observatoire").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    root = target
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in libraries:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
