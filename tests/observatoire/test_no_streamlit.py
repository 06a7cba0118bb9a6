"""The core package must not depend on Streamlit (the CLI and the importer run without it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "observatoire"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_package_files_exist():
    files = sorted(PACKAGE.rglob("*.py"))
    names = {f.name for f in files}
    assert {
        "store.py",
        "queries.py",
        "schema.py",
        "cli.py",
        "filters.py",
        "geo.py",
        "exporting.py",
        "foliummap.py",
        "bassin_panel.py",
        "templates.py",
        "theme.py",
    } <= names


def test_no_streamlit_import_in_source():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _imported_modules(tree):
            if module.split(".")[0] == "streamlit":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_importing_the_core_does_not_load_streamlit():
    code = (
        "import observatoire.store, observatoire.queries, observatoire.cli, observatoire.geo, "
        "observatoire.exporting, observatoire.filters, observatoire.figures.foliummap, "
        "observatoire.figures.bassin_panel, observatoire.figures.templates, observatoire.figures.theme, "
        "observatoire.views.static_map; import sys; print('streamlit' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
