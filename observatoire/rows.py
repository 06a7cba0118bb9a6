"""The one row of a DuckDB query that always returns one (an aggregate, `count(*)`, `nextval`, a lookup already
known to match).

`fetchone()` is typed `tuple | None`; `one_row` says the row is expected and fails loudly (an internal error, not a
user's input) if it is not there, instead of a later `'NoneType' object is not subscriptable`.
"""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """`con.execute(…)`'s first row; `LookupError` when the query returned none."""
    row = result.fetchone()
    if row is None:
        raise LookupError("la requête n'a renvoyé aucune ligne")
    return row
