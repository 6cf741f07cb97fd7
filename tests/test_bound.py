"""The area bound is a true bound: never weaker than the LP's, never past the enumerated optimum,
and the optimum itself when the area is the whole model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from optimizer.bound import area_bound
from optimizer.candidates import enumerate_candidates
from optimizer.model import build_model
from optimizer.solvers import BACKENDS
from optimizer.validate import load_workbook_inputs
from tests.instances import random_instance, write_workbook
from tests.reference import brute_force

FIRST_AIM = {"shortfall": lambda r: r.shortfall, "impact": lambda r: r.impact, "net_benefit": lambda r: -r.net_benefit}


def first_aim_instance(tmp_path, seed):
    """(model, its first aim, that aim's enumerated optimum as a cost), or None when infeasible."""
    rng = random.Random(seed)
    sheets = random_instance(rng)
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    inputs = load_workbook_inputs(workbook).inputs
    reference = brute_force(sheets)
    if not reference.feasible:
        return None
    model = build_model(inputs, enumerate_candidates(inputs))
    aim = model.aims[0]
    return model, aim, FIRST_AIM[aim.name](reference)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", range(300, 340))
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
