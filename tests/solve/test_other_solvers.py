"""Gurobi and SCIP through PuLP (``--solver gurobi|scip``): the same optimum, an honest status.

Both are real: SCIP from ``pyscipopt``, Gurobi from ``gurobipy`` with its size-limited licence
(models up to 2,000 columns and rows), which the random instances fit and the West Midlands do not.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pulp
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from optimizer.pipeline import optimise
from optimizer.solve.backends import available_solvers
from optimizer.solve.backends.other import OTHER_SOLVERS
from optimizer.solve.names import OTHER
from tests.support.checks import optimum_checked
from tests.support.instances import alliance_instance
from tests.support.marks import sampled
from tests.support.paths import TRI_BOROUGH, WEST_MIDLANDS

SOLVERS = sorted(OTHER)


def consolidate(*args):
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_every_named_solver_has_a_report_reader():
    assert set(OTHER_SOLVERS) == set(OTHER)
    assert set(available_solvers()) >= {"highs", "cbc", *OTHER}  # the test extras install both


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", sampled(range(400, 430), fast=3))
def test_plan_is_the_enumerated_optimum(tmp_path, seed, solver):
    optimum_checked(tmp_path, seed, solver)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", sampled(range(2200, 2220), fast=2))
def test_capped_plan_is_the_enumerated_optimum(tmp_path, seed, solver):
    optimum_checked(tmp_path, seed, solver, instance=alliance_instance)


@pytest.mark.slow
def test_a_run_stopped_by_its_time_limit_says_what_scip_proved(west_midlands_plan):
    """SCIP given 3 s on the West Midlands: whatever it reaches, the status and gap are SCIP's own
    verdict, and its bound never claims better than the optimum HiGHS proves."""
    proven = west_midlands_plan
    inputs = proven.inputs
    plan = optimise(inputs.with_settings(inputs.settings.override(solver="scip", time_limit_s=3)))
    assert proven.status == "optimal"
    first, exact = plan.stages[0], proven.stages[0]
    assert first.aim == exact.aim == "shortfall"
    if plan.status == "optimal":
        assert plan.total_shortfall == pytest.approx(proven.total_shortfall, abs=1.0)
    else:
        assert plan.status in ("feasible", "no_solution")
        assert first.termination in ("time_limit", "optimal")
        if first.has_plan:
            assert first.bound <= exact.value + 1.0 <= first.value + 2.0
            assert plan.gap > 0


def test_a_model_beyond_gurobis_licence_is_a_clear_failure(tmp_path):
    output = tmp_path / "plan.xlsx"
    done = consolidate("run", WEST_MIDLANDS, "-o", output, "--solver", "gurobi")
    assert done.returncode == 1
    assert "gurobi failed: Model too large for size-limited license" in done.stderr
    assert "Traceback" not in done.stderr and not output.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_solver_not_installed_is_named_with_its_package(tmp_path, monkeypatch, solver):
    monkeypatch.setattr(pulp.getSolver(OTHER_SOLVERS[solver].pulp_name).__class__, "available", lambda self: False)
    output = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(cli, ["run", str(TRI_BOROUGH), "-o", str(output), "--solver", solver])
    assert result.exit_code == 1
    assert f"{solver} is not available on this machine (pip install {OTHER[solver]}" in result.output
    assert not output.exists()


def test_the_json_names_the_solver(tmp_path):
    done = consolidate("run", TRI_BOROUGH, "-o", tmp_path / "plan.xlsx", "--solver", "scip", "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    assert printed["solver"] == "scip" and printed["status"] == "optimal"
