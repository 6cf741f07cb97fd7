"""The area bound is a true bound: never weaker than the LP's, never past the enumerated optimum,
and the optimum itself when the area is the whole model; for the first aim, and for the last with
the earlier aims' ties kept whole and shortfalls floored."""

from __future__ import annotations

import math
import random
import time

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.candidates import enumerate_candidates
from optimizer.model.families import AIM_TIE
from optimizer.solve.aim import AimSolve
from optimizer.solve.backends import BACKENDS
from optimizer.solve.bound import area_bound, complementary_gaps
from optimizer.solve.regions import row_owner, rows_of
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import random_instance, write_workbook
from tests.support.marks import sampled
from tests.support.reference import brute_force

REFERENCE_COST = {"shortfall": lambda r: r.shortfall, "impact": lambda r: r.impact,
                  "net_benefit": lambda r: -r.net_benefit}  # each aim's enumerated optimum, as a cost


def enumerated_instance(tmp_path, seed):
    """(model, its enumerated reference) of a random instance, or None when it has no plan."""
    rng = random.Random(seed)
    sheets = random_instance(rng)
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    inputs = load_workbook_inputs(workbook).inputs
    reference = brute_force(sheets)
    if not reference.feasible:
        return None
    return build_model(inputs, enumerate_candidates(inputs)), reference


def first_aim_instance(tmp_path, seed):
    """(model, its first aim, that aim's enumerated optimum as a cost), or None when infeasible."""
    found = enumerated_instance(tmp_path, seed)
    if found is None:
        return None
    model, reference = found
    aim = model.aims[0]
    return model, aim, REFERENCE_COST[aim.name](reference)


def last_aim_instance(tmp_path, seed):
    """(model, the program of its last aim with the earlier aims held at their enumerated optima,
    that aim, its enumerated optimum as a cost), or None when infeasible."""
    found = enumerated_instance(tmp_path, seed)
    if found is None:
        return None
    model, reference = found
    matrix = model.matrix
    for aim in model.aims[:-1]:  # as solve_model holds them, within their tie
        cols = np.flatnonzero(aim.cost)
        matrix = matrix.with_row(cols, aim.cost[cols], -math.inf, REFERENCE_COST[aim.name](reference) + aim.tie,
                                 AIM_TIE)
    aim = model.aims[-1]
    return model, matrix, aim, REFERENCE_COST[aim.name](reference)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", sampled(range(300, 340), fast=5))
def test_area_bound_lies_between_the_lp_and_the_optimum(tmp_path, seed, solver):
    found = first_aim_instance(tmp_path, seed)
    if found is None:
        return  # no plan: nothing to bound (the enumeration tests check the run says infeasible)
    model, aim, optimum = found
    backend, log = BACKENDS[solver], tmp_path / "solver.log"
    matrix = model.matrix
    lp = backend(matrix, aim.cost, limit=60, gap=0.0, tie=1e-9, log=log, start=None, relax=True)
    tolerance = 1e-6 * max(1.0, abs(optimum)) + 1e-6
    rng = np.random.default_rng(seed)
    areas = [np.zeros(matrix.n_rows, dtype=bool), rng.random(matrix.n_rows) < 0.5, np.ones(matrix.n_rows, dtype=bool)]
    bounds = []
    for area in areas:
        found = area_bound(matrix, aim.cost, lp.duals, area, backend, 60, 0.0, log)
        assert found is not None
        assert lp.bound - tolerance <= found <= optimum + tolerance
        bounds.append(found)
    assert bounds[0] == pytest.approx(lp.bound, rel=1e-6, abs=1e-6)  # nothing settled: the LP's own
    assert bounds[-1] == pytest.approx(optimum, rel=1e-6, abs=1e-6)  # everything settled: the optimum


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", sampled(range(340, 380), fast=5))
def test_area_bound_of_the_last_aim_with_the_earlier_ties_kept_lies_between_the_lp_and_the_optimum(
        tmp_path, seed, solver):
    """Shortfalls floored at what each council's best decisions leave, and the rows across councils
    kept in the area: still a bound, and the optimum when the area is everything."""
    found = last_aim_instance(tmp_path, seed)
    if found is None:
        return
    model, matrix, aim, optimum = found
    backend, log = BACKENDS[solver], tmp_path / "solver.log"
    run = AimSolve(model, matrix, aim, backend, 0.0, log, time.perf_counter() + 600, 600,
                   np.ones(matrix.n_cols, dtype=bool))
    lp = run.solve(None, None, limit=60, relax=True)
    tolerance = 1e-6 * max(1.0, abs(optimum)) + 1e-6
    rng = np.random.default_rng(seed)
    across = np.arange(matrix.n_rows) >= len(model.row_council)  # the earlier aims' ties
    for area in [across, across | (rng.random(matrix.n_rows) < 0.5), np.ones(matrix.n_rows, dtype=bool)]:
        found = run.settle(lp, area, 60)
        assert found is not None
        assert lp.bound - tolerance <= found <= optimum + tolerance
    assert found == pytest.approx(optimum, rel=1e-6, abs=1e-6)
    # the rows kept beside some councils' own add no whole column and can only tighten the bound
    councils = rng.random(len(model.inputs.councils)) < 0.5
    whole = np.bincount(matrix.rows, weights=matrix.integer[matrix.cols], minlength=matrix.n_rows)
    own = np.r_[councils, False][row_owner(run)] | (across & (whole == 0))  # and the shortfall tie
    kept = rows_of(run, councils)
    assert (kept >= own).all()
    assert run.settle(lp, own, 60) - tolerance <= run.settle(lp, kept, 60) <= optimum + tolerance


@pytest.mark.parametrize("seed", sampled(range(380, 400), fast=5))
def test_shortfall_floors_hold_in_the_optimal_plan_and_gaps_make_up_its_distance_from_the_lp(tmp_path, seed):
    found = last_aim_instance(tmp_path, seed)
    if found is None:
        return
    model, matrix, aim, optimum = found
    log = tmp_path / "solver.log"
    best = BACKENDS["highs"](matrix, aim.cost, limit=60, gap=0.0, tie=0.0, log=log)
    plan = model.complete(best.x)
    assert float(aim.cost @ plan) == pytest.approx(optimum, rel=1e-6, abs=1e-5)
    floor = model.shortfall_floor(np.ones(matrix.n_cols, dtype=bool))
    assert (floor <= plan + 1e-9).all()
    assert (floor[: model.n_decisions] == 0).all()
    lp = BACKENDS["highs"](matrix, aim.cost, limit=60, gap=0.0, tie=0.0, log=log, relax=True)
    column_gap, row_gap = complementary_gaps(matrix, aim.cost, lp.duals, plan)
    scale = 1e-6 * max(1.0, abs(optimum))
    assert (column_gap >= -scale).all() and (row_gap >= -scale).all()
    assert column_gap.sum() + row_gap.sum() == pytest.approx(float(aim.cost @ plan) - lp.bound, abs=1e-5 + scale)
