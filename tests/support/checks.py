"""A random instance solved through a real workbook and checked against exhaustive enumeration."""

from __future__ import annotations

import random

from optimizer.pipeline import optimise
from optimizer.solve.options import DEFAULT
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import random_instance, write_workbook
from tests.support.reference import brute_force, evaluate


def plan_choices(plan):
    partnerships = [(p.service, p.councils) for p in plan.partnerships]
    reductions = [(r.council, r.service, r.reduction_pct) for r in plan.reductions]
    return partnerships, reductions


def exact_inputs(tmp_path, sheets: dict, rng: random.Random, solver: str):
    """``sheets`` through a real workbook (its spelling drawn from ``rng``), read back and set to prove
    each aim exactly with ``solver``: (workbook, inputs)."""
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    inputs = load_workbook_inputs(workbook).inputs
    # gap 0: prove each aim exactly (up to its £1 / 1e-6 tie), which is what the reference checks
    return workbook, inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=60, mip_gap=0.0))


def optimum_checked(tmp_path, seed, solver, options=DEFAULT, instance=random_instance):
    """Solve random instance ``seed`` through a real workbook and check it against enumeration.

    Returns (inputs, workbook, plan, evaluation), or None when the instance is rightly infeasible.
    """
    rng = random.Random(seed)
    sheets = instance(rng)
    workbook, inputs = exact_inputs(tmp_path, sheets, rng, solver)

    plan = optimise(inputs, options=options)
    reference = brute_force(sheets)

    if not reference.feasible:
        assert plan.status == "infeasible", reference.reason
        return None
    assert plan.status == "optimal", [str(s) for s in plan.stages]
    evaluation = evaluate(sheets, *plan_choices(plan))
    assert evaluation.feasible, evaluation.reason
    verdict = reference.is_optimal(evaluation, rel_tol=inputs.settings.mip_gap)
    assert verdict, verdict.reason
    return inputs, workbook, plan, evaluation
