"""Every file of `pages/` is a page of the router, and goes through it even as the first run of a process.

Why (components/routing.py): with a `pages/` folder, Streamlit 1.67 runs the first script run of a process in its
legacy multipage mode, which serves any file of `pages/` by its name. `routing.leave_legacy_mode()` sends that run
back through the router; a file that the router does not list would still be served to that first request, so
there is none. The browser proof with a real server: tests/e2e/test_pages_folder.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
ROUTING_CALLS = {"page_filters", "leave_legacy_mode"}


def _listed_pages() -> list[str]:
    tree = ast.parse((ROOT / "dashboard.py").read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "Page"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def _runs_code(node: ast.stmt) -> bool:
    """A module-level statement that does something when the page runs (imports, definitions and constants
    do not draw anything)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # docstring
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign)):  # a constant, or a value computed by a call
        return node.value is not None and any(isinstance(n, ast.Call) for n in ast.walk(node.value))
    return True


def _calls_routing(node: ast.stmt) -> bool:
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ROUTING_CALLS
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "routing"
        for n in ast.walk(node)
    )


def test_every_file_of_the_pages_folder_is_listed_by_the_router_and_nothing_else():
    listed = _listed_pages()
    assert len(listed) == len(set(listed)) == 8, listed
    assert sorted(listed) == PAGE_FILES, "un fichier de pages/ non listé serait servi au premier accès"


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_goes_through_the_router_before_drawing_anything(page):
    tree = ast.parse((ROOT / page).read_text(encoding="utf-8"))
    first = next(node for node in tree.body if _runs_code(node))
    assert _calls_routing(first), (page, ast.unparse(first)[:120])


def test_a_deep_link_as_the_first_run_of_a_process_goes_through_the_router():
    """AppTest resets Streamlit's per-process decision, so each AppTest is "the first run of its process":
    `pages/` exists, Streamlit starts that run in its legacy mode, which would run `pages/carte.py` alone
    (KeyError on the shared filters). The page sends it back through the router: sidebar, filters, map."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.query_params["dep"] = "57"
    at.switch_page("pages/carte.py").run()  # before any run: the deep link IS the first run
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.error if "inattendue" in str(e.value)], [e.value for e in at.error]
    assert PagesManager.uses_pages_directory is False  # left on the first run
    assert at.session_state["filters"].departements == ("57",)
    assert [t.value for t in at.title] == ["Carte des bassins"]
