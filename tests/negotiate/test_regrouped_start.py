"""The re-solves' two shortcuts, on random instances against enumeration, on both solvers.

- ``floor_proves``: a start tied with bounds proven on a program this one restricts is the answer,
  returned as it is, with nothing solved.
- ``_regrouped``: the start a partner re-solve begins from is a plan of the restricted program
  (the partnership in it, every row met), never worse than the plain swap it improves, and the
  enumerated best with that partnership is never beaten by it (it is a plan, not a bound).
- what a solve proved and a re-solve keeps: the decisions each aim left alive (passed on only while
  the re-solve ties the earlier aims) and the rounding cuts; the re-solve still finds the enumerated
  best; and a council's partnerships are tried nearest its own group first.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from optimizer.negotiate.partners import ONE_OF, _nearest_first, _regrouped, _swapped_in
from optimizer.negotiate.resolve import column_of, solve_unpooled
from optimizer.solve.driver import _floor_alive, solve_model
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


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_what_each_aim_left_alive_holds_the_plan_and_passes_on_only_while_the_earlier_aims_tie(tmp_path, seed, solver):
    found = optimal_instance(tmp_path, seed, solver)
    if found is None:
        return
    _, solved = found
    model, plan, stages = solved.model, whole_plan(solved), solved.solution.stages
    everything = np.ones(model.n_cols, dtype=bool)
    for k, stage in enumerate(stages):
        assert stage.alive is not None and stage.alive[chosen(plan)].all()  # the plan never fixed out
        if k:
            assert np.array_equal(_floor_alive(model, k, plan, stages, everything), stages[k - 1].alive)
    worse = next((x for x in _plans_worse_on_the_first_aim(model, plan)), None)
    if worse is not None:
        assert _floor_alive(model, 1, worse, stages, everything) is everything


def _plans_worse_on_the_first_aim(model, plan):
    """The plan with one chosen decision dropped, where that is worse on the first aim."""
    first = model.aims[0]
    for column in np.flatnonzero(chosen(plan[: model.n_decisions])):
        x = plan.copy()
        x[column] = 0.0
        x = model.complete(x)
        if first.value(x) * first.sign > first.value(plan) * first.sign + first.tie:
            yield x


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_re_solve_from_the_plan_s_floors_alive_and_cuts_finds_the_enumerated_best_with_a_partnership(tmp_path, seed, solver):
    found = optimal_instance(tmp_path, seed, solver)
    if found is None:
        return
    sheets, solved = found
    model, space, groups = solved.model, Space(sheets), solved.candidates.partnerships
    for j in [j for j in range(len(groups)) if j not in set(solved.solution.partnerships)][:4]:
        matrix = model.matrix.with_row(np.array([column_of(model, j)]), np.ones(1), 1.0, 1.0, ONE_OF)
        again = solved.resolve(matrix, floors=solved.solution.stages)
        best = space.best(space.including(partnership_key(groups[j].service, groups[j].members)))
        assert (again.status == RunStatus.OPTIMAL) == best.exists
        if best.exists:
            plan = solved.plan_of(again)
            assert plan.total_shortfall == pytest.approx(best.shortfall, abs=MONEY_TIE)
            assert plan.total_impact == pytest.approx(best.impact, abs=IMPACT_TIE)
            assert plan.net_benefit == pytest.approx(best.net_benefit, abs=MONEY_TIE)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_council_s_partnerships_are_tried_sharing_most_members_with_its_group_first(tmp_path, seed):
    found = optimal_instance(tmp_path, seed, "highs")
    if found is None:
        return
    _, solved = found
    model, decided, groups = solved.model, solved.decisions(), solved.candidates.partnerships
    for g in (groups[j] for j in solved.solution.partnerships):
        council = g.members[0]
        mine = [column_of(model, j) for j, h in enumerate(groups) if h.service == g.service and council in h.members]
        order = _nearest_first(model, mine, decided)
        assert sorted(order) == sorted(mine)
        members = {c: set(groups[int(model.group_of_col[c])].members) for c in mine}
        common = [len(members[c] & set(g.members)) for c in order]
        assert common == sorted(common, reverse=True)
        assert order[0] == column_of(model, groups.index(g))  # its own group shares every member
