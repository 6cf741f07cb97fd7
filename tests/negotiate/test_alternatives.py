"""Alternative plans (SPEC.md section 6) against exhaustive enumeration on random instances.

Each alternative must be a valid plan that differs in at least D decisions from the best and from
every alternative before it, and be the lexicographic best of all such plans; when the optimiser
reports fewer than asked, enumeration must find no further plan; every figure, in the plan and in
the workbook's two sheets, is the plan's own arithmetic.
"""

from __future__ import annotations

import random

import openpyxl
import pytest

from optimizer.negotiate.alternatives import find_alternatives
from optimizer.negotiate.resolve import solve_unpooled
from optimizer.report.workbook import write_plan
from tests.support.checks import exact_inputs, plan_choices
from tests.support.instances import random_instance
from tests.support.marks import sampled
from tests.support.plan_space import Space, plan_keys, ties_best
from tests.support.reference import evaluate

SEEDS = sampled(range(3000, 3010), fast=4)
ASKED = 3
MONEY = 0.01


def solved_instance(tmp_path, seed, solver):
    rng = random.Random(seed)
    sheets = random_instance(rng)
    workbook, inputs = exact_inputs(tmp_path, sheets, rng, solver)
    return sheets, workbook, solve_unpooled(inputs)


def assert_plan_figures(plan, sheets):
    evaluation = evaluate(sheets, *plan_choices(plan))
    assert evaluation.feasible, evaluation.reason
    for metric in ("total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall", "total_impact"):
        assert getattr(plan, metric) == pytest.approx(getattr(evaluation, metric), abs=MONEY), metric
    return evaluation


def sheet_rows(path, title) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[title]
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in rows if row[0] is not None and any(v is not None for v in row[1:])]


@pytest.mark.parametrize("differ", [1, 2])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_each_alternative_is_the_enumerated_best_of_the_plans_left(tmp_path, seed, solver, differ):
    sheets, workbook, solved = solved_instance(tmp_path, seed, solver)
    space = Space(sheets)
    if not solved.plan.has_plan:
        assert space.n == 0
        return
    alternatives = find_alternatives(solved, ASKED, differ)
    earlier = [plan_keys(solved.plan)]
    assert not ties_best(space.best(space.everything()), solved.plan.total_shortfall, solved.plan.total_impact,
                         solved.plan.net_benefit)
    for plan in alternatives.plans:
        assert plan.status == "optimal"
        keys = plan_keys(plan)
        assert all(len(keys ^ before) >= differ for before in earlier)
        evaluation = assert_plan_figures(plan, sheets)
        left = space.everything()
        for before in earlier:
            left &= space.differences(before) >= differ
        why = ties_best(space.best(left), evaluation.total_shortfall, evaluation.total_impact, evaluation.net_benefit)
        assert not why, why
        earlier.append(keys)
    if len(alternatives.plans) < ASKED:  # none missing: no valid plan differs enough from them all
        assert alternatives.short_because == "none_left"
        left = space.everything()
        for before in earlier:
            left &= space.differences(before) >= differ
        assert not left.any()
    else:
        assert alternatives.short_because is None

    output = write_plan(solved.plan, tmp_path / "plan.xlsx", force=False, input_path=workbook, alternatives=alternatives)
    rows = sheet_rows(output, "Alternatives")
    assert [r["plan"] for r in rows] == ["best"] + [f"alternative {i}" for i in range(1, len(alternatives.plans) + 1)]
    best = solved.plan
    for row, plan in zip(rows, (best, *alternatives.plans)):
        assert row["status"] == plan.status
        for metric in ("total_shortfall", "total_impact", "net_benefit", "total_annual_saving", "total_one_off_cost"):
            assert row[metric] == pytest.approx(getattr(plan, metric), abs=MONEY), metric
        assert row["councils_meeting_target"] == plan.councils_meeting_target
        assert row["extra_shortfall"] == pytest.approx(plan.total_shortfall - best.total_shortfall, abs=MONEY)
        assert row["extra_impact"] == pytest.approx(plan.total_impact - best.total_impact, abs=1e-6)
        assert row["lost_net_benefit"] == pytest.approx(best.net_benefit - plan.net_benefit, abs=MONEY)
    moves = sheet_rows(output, "Alternative decisions")
    for i, plan in enumerate(alternatives.plans, start=1):
        mine = [m for m in moves if m["plan"] == f"alternative {i}"]
        added = plan_keys(plan) - plan_keys(best)
        dropped = plan_keys(best) - plan_keys(plan)
        assert sum(m["change"] == "added" for m in mine) == len(added)
        assert sum(m["change"] == "dropped" for m in mine) == len(dropped)
        assert len(mine) >= differ
