"""Solver faults reach the user as a message and the spec's exit code, with nothing half-written."""

from __future__ import annotations

import time

import highspy
import pulp
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.model.build import build_model
from optimizer.model.candidates import enumerate_candidates
from optimizer.pipeline import optimise
from optimizer.solve import backends as solvers
from optimizer.solve.backends import Outcome
from optimizer.solve.driver import solve_model
from optimizer.workbook.inputs import (
    Council,
    Inputs,
    Reduction,
    Service,
    Settings,
    SharingTerms,
)
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.paths import TRI_BOROUGH


def run(tmp_path, *args):
    output = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["run", str(TRI_BOROUGH), "-o", str(output), *args])
    return result, output


def test_cbc_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(pulp.PULP_CBC_CMD, "available", lambda self: False)
    result, output = run(tmp_path, "--solver", "cbc")
    assert result.exit_code == 1
    assert "CBC is not available" in result.output and "--solver highs" in result.output
    assert not output.exists()


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_solver_crash(tmp_path, monkeypatch, solver):
    def crash(self, *args, **kwargs):
        raise pulp.PulpSolverError("the solver stopped unexpectedly")

    # the real entry points: highspy's run for HiGHS, PuLP's solve for CBC
    monkeypatch.setattr(highspy.Highs, "run", crash)
    monkeypatch.setattr(pulp.LpProblem, "solve", crash)
    result, output = run(tmp_path, "--solver", solver)
    assert result.exit_code == 1
    assert "failed" in result.output and "the solver stopped unexpectedly" in result.output
    assert not output.exists() and not list(tmp_path.glob("*.tmp"))


def test_no_plan_within_the_time_limit_exits_4(tmp_path, monkeypatch):
    """A solver stopped by its time limit holding no plan: status no_solution, exit 4."""

    def out_of_time(matrix, cost, **_):
        return Outcome("time_limit")

    monkeypatch.setitem(solvers.BACKENDS, "highs", out_of_time)
    result, output = run(tmp_path, "--json")
    assert result.exit_code == 4
    assert '"status": "no_solution"' in result.output.strip().splitlines()[-1]


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_plan_worth_nothing_is_proven(solver):
    """Three councils too far apart to share and no targets: the impact aim keeps both reductions
    out, so the net-benefit aim has no column left. HiGHS calls that "model empty" and gives no
    plan; the empty plan is the optimum, proven, and worth £0 (issue 20)."""
    councils = tuple(Council(name, 1e8, None, 52.0 + i, -1.0) for i, name in enumerate(("Ash", "Box", "Cole")))
    inputs = Inputs(
        councils, tuple(Service(c.name, "Waste", 1e6, fte=10) for c in councils),
        (SharingTerms("Waste", 2, 0.1, max_distance_km=10),),
        (Reduction("Ash", "Waste", 0.1, 1.0), Reduction("Box", "Waste", 0.2, 2.0)),
        settings=Settings(mip_gap=0.0, solver=solver),
    )
    plan = optimise(inputs)
    assert (plan.status, plan.gap, plan.reductions, plan.net_benefit) == ("optimal", 0.0, (), 0.0)


def test_the_time_limit_counts_the_whole_run(tmp_path):
    """The limit is the run's, not the solver's: a run whose candidates and model took all its time
    starts no aim, and says so (issue 20: a run given 120 s ends near 120 s, not 120 s after building)."""
    inputs = load_workbook_inputs(TRI_BOROUGH).inputs
    model = build_model(inputs, enumerate_candidates(inputs))
    spent = time.perf_counter() - inputs.settings.time_limit_s  # as if building had taken the limit
    solution = solve_model(model, began=spent)
    assert [stage.termination for stage in solution.stages] == ["not_run"] * len(model.aims)
    assert solve_model(model).status == "optimal"  # the same model, given its time
