"""A reported gap is the proven one to six significant figures, rounded up: float noise from another
process (numpy's sums depend on memory alignment) does not change a reported cell, and no gap is
reported smaller than proven."""

from __future__ import annotations

import random

import pytest

from optimizer.solve.results import StageResult
from optimizer.tolerances import GAP_FIGURES, rounded_up


@pytest.mark.parametrize("value", [6.182973838358234e-05, 1e-4, 0.0123, 0.5, 0.99999999, 1.0, 3.3e-12])
def test_a_gap_is_rounded_up_to_six_figures(value):
    reported = rounded_up(value)
    assert reported >= value and reported - value <= value * 10.0 ** (1 - GAP_FIGURES)
    assert len(f"{reported:e}".split("e")[0].rstrip("0").replace(".", "")) <= GAP_FIGURES


def test_two_computations_a_few_units_in_the_last_place_apart_report_the_same_gap():
    rng = random.Random(3)
    for _ in range(1000):
        value = rng.uniform(1e6, 1e9)
        bound = value * (1 - rng.uniform(1e-6, 1e-2))
        noisy = bound * (1 + rng.choice([-2, -1, 1, 2]) * 2.0 ** -52)
        first = StageResult("net_benefit", "optimal", True, value, bound).gap
        second = StageResult("net_benefit", "optimal", True, value, noisy).gap
        assert first == second  # unrounded, most of these differ in the last place


def test_zero_and_no_proof_stay_as_they_are():
    assert StageResult("shortfall", "optimal", True, 5.0, 5.0).gap == 0.0
    assert StageResult("shortfall", "time_limit", True, 5.0, None).gap == 1.0
