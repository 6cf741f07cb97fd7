"""The optimiser's plan is the true optimum: checked against exhaustive enumeration on random instances.

Each instance goes the way a user's does: written to a real .xlsx (with varied header and yes/no
spellings), read and validated, optimised by a real solver, written to a plan workbook and read back.
The independent reference in ``tests/reference.py`` enumerates every valid plan from the spec alone;
the optimiser's plan must be lexicographically optimal there, and every figure in its workbook and in
``--json`` must equal the plan's own arithmetic as the reference computes it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import openpyxl
import pytest

from optimizer.plan import MONEY as MONEY_METRICS
from optimizer.report.workbook import write_plan
from optimizer.solve.options import DEFAULT
from tests.support.checks import optimum_checked
from tests.support.instances import alliance_instance, dense_instance
from tests.support.marks import sampled

SEEDS = sampled(range(200), fast=10)
DENSE_SEEDS = sampled(range(1000, 1100), fast=5)
ALLIANCE_SEEDS = sampled(range(2000, 2080), fast=5)
CLI_EVERY = 20  # every 20th instance also goes through the real command line, for --json and exit codes
MONEY = 0.01


def sheet_rows(path, title) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[title]  # totals are formulas
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in rows if any(v is not None for v in row)]


def summary_of(path) -> dict:
    return {row["metric"]: row["value"] for row in sheet_rows(path, "Summary")}


def assert_figures_match(summary: dict, evaluation) -> None:
    for metric in ("total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall", "total_impact"):
        assert summary[metric] == pytest.approx(getattr(evaluation, metric), abs=MONEY), metric
    assert summary["councils_meeting_target"] == evaluation.councils_meeting_target


def assert_councils_match(path, evaluation) -> None:
    rows = {row["council"]: row for row in sheet_rows(path, "Councils")}
    assert set(rows) == set(evaluation.councils)
    for name, expected in evaluation.councils.items():
        row = rows[name]
        for column in ("saving_from_sharing", "saving_from_reductions", "total_saving", "shortfall",
                       "staff_reduction_fte", "one_off_cost"):
            assert row[column] == pytest.approx(getattr(expected, column), abs=MONEY), (name, column)
        if expected.has_target:
            assert row["target"] == pytest.approx(expected.target, abs=MONEY)
            assert row["target_met"] == ("yes" if expected.target_met else "no")


def run_cli(workbook, output, solver):
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "run", str(workbook), "-o", str(output), "--solver", solver,
         "--json", "--quiet"],
        capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", DENSE_SEEDS)
def test_dense_plan_is_the_enumerated_optimum(tmp_path, seed, solver):
    """Every council within reach of every other, and every block pooled however small (by default
    only blocks larger than one search area are): most groups stand in pools (``optimizer.model.pools``)."""
    optimum_checked(tmp_path, seed, solver, replace(DEFAULT, pool_from_groups=0), instance=dense_instance)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", ALLIANCE_SEEDS)
def test_alliance_plan_is_the_enumerated_optimum(tmp_path, seed, solver):
    """Partner caps that bind across services (``optimizer.model.partners``), with police and fire
    bodies and discounted money; pools formed however small, so that those of uncapped councils
    stand beside the links of capped ones."""
    optimum_checked(tmp_path, seed, solver, replace(DEFAULT, pool_from_groups=0), instance=alliance_instance)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_plan_is_the_enumerated_optimum(tmp_path, seed, solver):
    checked = optimum_checked(tmp_path, seed, solver)
    if checked is None:
        return
    inputs, workbook, plan, evaluation = checked

    output = tmp_path / "plan.xlsx"
    write_plan(plan, output, force=False, input_path=workbook)
    summary = summary_of(output)
    assert summary["status"] == "optimal"
    assert_figures_match(summary, evaluation)
    assert_councils_match(output, evaluation)
    assert summary["input_sha256"] == inputs.source_sha256

    if seed % CLI_EVERY == 0:
        done = run_cli(workbook, tmp_path / "cli-plan.xlsx", solver)
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout.strip().splitlines()[-1])
        assert printed["status"] == "optimal"
        assert printed["solver"] == solver
        assert_figures_match(printed, evaluation)
        for metric in MONEY_METRICS:  # pounds and pence, not float noise such as 14244398.799999997
            assert printed[metric] == round(printed[metric], 2), (metric, printed[metric])
