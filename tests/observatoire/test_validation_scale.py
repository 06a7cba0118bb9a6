"""Validation at scale: a million rows, problems capped at the first 100 and counted (speed: bench/validation.py)."""

from __future__ import annotations

import pytest

from bench.validation import BAD_KINDS, scale_reference, synthetic_measures
from observatoire import checks, schema

N = 1_000_000


@pytest.fixture(scope="module")
def reference() -> checks.Reference:
    return scale_reference()


def test_a_million_rows_with_bad_rows_are_capped_and_counted(reference):
    frame, bad = synthetic_measures(N, 0.10)
    assert bad == N // 10
    with pytest.raises(schema.ValidationError) as info:
        checks.validate_measures(frame, reference.tables, reference.academie)
    err = info.value
    # every bad row is counted; a row moved to the period 2999-3000 may also become a duplicate of another
    # moved row, or (a monthly indicator's row) have a period of the wrong granularity: a few % more
    assert bad <= err.count <= bad * 1.1
    assert len(err.problems) == schema.MAX_LISTED
    lines = [p.line for p in err.problems]
    assert lines == sorted(lines)  # the first problems of the file
    assert lines[0] == 2  # row 0 is bad, and is file line 2
    text = str(err)
    assert f"… et {err.count - 100} autres problèmes" in text
    assert text.count("\n- ") == 100
    messages = {p.message.split(" :")[0].split(" (")[0] for p in err.problems}
    assert len(messages) >= len(BAD_KINDS)  # every kind of bad row is reported in the same run


def test_a_million_valid_rows_pass(reference):
    frame, _ = synthetic_measures(N)
    valid = checks.validate_measures(frame, reference.tables, reference.academie)
    assert len(valid) == N
