"""A whole region, imported from the official outturn, proven optimal by both solvers, which must agree."""

from __future__ import annotations

import pytest

from optimizer.model.build import TIE
from optimizer.pipeline import optimise
from optimizer.plan import MONEY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plans(west_midlands_inputs):
    inputs = west_midlands_inputs
    return {solver: optimise(inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=300)))
            for solver in ("highs", "cbc")}


def test_both_solvers_prove_the_region_optimal(plans):
    for solver, plan in plans.items():
        assert plan.status == "optimal", (solver, plan.stages)
        assert plan.candidate_count > 5000  # every candidate, not a sample


def test_both_solvers_agree_on_every_aim(plans):
    highs, cbc = plans["highs"], plans["cbc"]
    assert [s.aim for s in highs.stages] == [s.aim for s in cbc.stages] == ["shortfall", "impact", "net_benefit"]
    for a, b in zip(highs.stages, cbc.stages):
        # each is within mip_gap of the optimum, so they may differ by at most twice that
        allowed = TIE[a.aim] + 2 * 1e-4 * abs(a.value)
        assert a.value == pytest.approx(b.value, abs=allowed), a.aim
    assert highs.total_shortfall == pytest.approx(cbc.total_shortfall, abs=TIE["shortfall"])


def test_printed_money_is_pounds_and_pence(plans):
    # --json printed the region's shortfall, summed from council shares, as 14244398.799999997
    for plan in plans.values():
        summary = plan.summary(pence=True)
        for metric in MONEY:
            assert summary[metric] == round(summary[metric], 2), (metric, summary[metric])
            assert summary[metric] == pytest.approx(getattr(plan, metric), abs=0.005)
