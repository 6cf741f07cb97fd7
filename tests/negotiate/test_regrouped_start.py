"""The re-solves' two shortcuts, on random instances against enumeration, on both solvers.

- ``floor_proves``: a start tied with bounds proven on a program this one restricts is the answer,
  returned as it is, with nothing solved.
- ``_regrouped``: the start a partner re-solve begins from is a plan of the restricted program
  (the partnership in it, every row met), never worse than the plain swap it improves, and the
  enumerated best with that partnership is never beaten by it (it is a plan, not a bound).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from optimizer.negotiate.partners import ONE_OF, _regrouped, _swapped_in
from optimizer.negotiate.resolve import column_of, solve_unpooled
from optimizer.solve.driver import solve_model
from optimizer.solve.options import DEFAULT
from optimizer.status import RunStatus
from optimizer.tolerances import FEASIBILITY, chosen
from tests.support.checks import exact_inputs
from tests.support.instances import random_instance
from tests.support.marks import sampled
from tests.support.plan_space import Space, partnership_key
from tests.support.reference import IMPACT_TIE, MONEY_TIE, candidate_partnerships

SEEDS = sampled(range(4100, 4116), fast=3)


def optimal_instance(tmp_path, seed, solver):
    """(sheets, solved) of a random instance with partnerships, or None when it has no optimal plan."""
    rng = random.Random(seed)
    sheets = random_instance(rng)
    while not candidate_partnerships(sheets):
        sheets = random_instance(rng)
    _, inputs = exact_inputs(tmp_path, sheets, rng, solver)
    solved = solve_unpooled(inputs)
    return None if solved.model is None or solved.plan.status != RunStatus.OPTIMAL else (sheets, solved)


def whole_plan(solved) -> np.ndarray:
    model = solved.model
    return model.complete(np.append(solved.decisions(), np.zeros(model.n_cols - model.n_decisions)))


def values(model, x) -> tuple[float, ...]:
    return tuple(float(aim.cost @ x) for aim in model.aims)


def no_worse(model, a, b) -> bool:
    """Plan a is at least as good as b in section 2's order, within each aim's tie."""
    for aim in model.aims:
        x, y = float(aim.cost @ a), float(aim.cost @ b)
        if abs(x - y) > aim.tie:
            return x < y
    return True


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_start_tied_with_proven_floors_is_returned_unsolved(tmp_path, seed, solver):
    found = optimal_instance(tmp_path, seed, solver)
    if found is None:
        return
    _, solved = found
    start = whole_plan(solved)
    again = solve_model(solved.model, start=start, floors=solved.solution.stages)
    assert again.status == RunStatus.OPTIMAL
    # the start itself, not another plan of equal worth the solver might have found
    assert again.partnerships == solved.solution.partnerships and again.reductions == solved.solution.reductions
    for stage, earlier in zip(again.stages, solved.solution.stages):
        assert stage.bound == earlier.bound


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_the_regrouped_start_is_a_plan_with_the_partnership_never_worse_than_the_swap(tmp_path, seed, solver):
    found = optimal_instance(tmp_path, seed, solver)
    if found is None:
        return
    sheets, solved = found
    model, space = solved.model, Space(sheets)
    groups = solved.candidates.partnerships
    for j in [j for j in range(len(groups)) if j not in set(solved.solution.partnerships)][:6]:
        column = column_of(model, j)
        matrix = model.matrix.with_row(np.array([column]), np.ones(1), 1.0, 1.0, ONE_OF)
        swapped = _swapped_in(solved, column)
        if matrix.violation(swapped) > FEASIBILITY:
            continue
        start = _regrouped(solved, matrix, column, swapped, solved.solution.stages, DEFAULT)
        assert matrix.violation(start) <= FEASIBILITY
        assert chosen(start[column])
        assert no_worse(model, start, swapped)
        best = space.best(space.including(partnership_key(groups[j].service, groups[j].members)))
        assert best.exists
        assert not beats(values(model, start), (best.shortfall, best.impact, -best.net_benefit))


def beats(a, b) -> bool:
    """Whether (shortfall, impact, negated net benefit) a is better than b beyond the ties."""
    for x, y, tie in zip(a, b, (MONEY_TIE, IMPACT_TIE, MONEY_TIE)):
        if abs(x - y) > tie:
            return x < y
    return False
