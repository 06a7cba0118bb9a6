"""Observatoire du numérique éducatif — core package.

No user-interface code lives here (and no Streamlit import: a test enforces it). The dashboard, the CLI and
the future importer all go through this package: `schema` (table definitions and validation), `store`
(DuckDB database built from `data/`), `queries` (read API taking a `Filters` value), `geo` (reference
geography) and `exporting` (French CSV / XLSX).
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
