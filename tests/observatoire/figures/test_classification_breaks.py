"""The breaks computed without mapclassify are mapclassify's, bit for bit (Quantiles, EqualInterval,
FisherJenks), on random inputs of the shapes the maps meet: small integer counts with ties, skewed values,
rates with one decimal, few distinct values. mapclassify stays a test dependency (requirements-dev.txt)."""

from __future__ import annotations

import warnings

import mapclassify  # a test dependency only (requirements-dev.txt): the app no longer imports it
import numpy as np
import pytest

from observatoire.figures import classification

REFERENCES = {"quantiles": "Quantiles", "intervalles": "EqualInterval", "jenks": "FisherJenks"}


def _samples(rng: np.random.Generator, trial: int) -> np.ndarray:
    size = int(rng.integers(2, 60))
    return [
        rng.integers(0, 30, size).astype(float),
        rng.lognormal(5, 2, size),
        np.round(rng.uniform(0, 100, size), 1),
        rng.integers(0, 5, size).astype(float) * 1000,
    ][trial % 4]


@pytest.mark.parametrize("method", sorted(REFERENCES))
def test_breaks_equal_mapclassify(method):
    rng = np.random.default_rng(20261123)
    ours = classification._CLASSIFIERS[method]  # noqa: SLF001
    reference = getattr(mapclassify, REFERENCES[method])
    compared = 0
    for trial in range(600):
        values = _samples(rng, trial)
        for k in range(2, 8):
            if np.unique(values).size <= k:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = np.asarray(reference(values, k=k).bins, dtype=float)
            assert np.array_equal(np.asarray(ours(values, k), dtype=float), expected), (method, k, values)
            compared += 1
    assert compared > 1000
