"""Helpers shared by app tests (import: `from tests.helpers import unexpected_errors`)."""

from __future__ import annotations


def unexpected_errors(at) -> list[str]:
    """Exceptions and the router's « erreur inattendue » messages shown by an AppTest run."""
    found = [str(e.value) for e in at.exception]
    found += [str(e.value) for e in at.error if "erreur inattendue" in str(e.value)]
    return found
