"""The optimiser's plan is the true optimum: checked against exhaustive enumeration on random instances.

Each instance goes the way a user's does: written to a real .xlsx (with varied header and yes/no
spellings), read and validated, optimised by a real solver, written to a plan workbook and read back.
The independent reference in ``tests/reference.py`` enumerates every valid plan from the spec alone;
the optimiser's plan must be lexicographically optimal there, and every figure in its workbook and in
``--json`` must equal the plan's own arithmetic as the reference computes it.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import openpyxl
import pytest

from optimizer.pipeline import optimise
from optimizer.solve.options import DEFAULT
from optimizer.plan import MONEY as MONEY_METRICS
from optimizer.report.workbook import write_plan
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import random_instance, write_workbook
from tests.support.reference import brute_force, evaluate

SEEDS = range(200)
CLI_EVERY = 20  # every 20th instance also goes through the real command line, for --json and exit codes
MONEY = 0.01


def sheet_rows(path, title) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[title]  # totals are formulas
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in rows if any(v is not None for v in row)]


def summary_of(path) -> dict:
    return {row["metric"]: row["value"] for row in sheet_rows(path, "Summary")}


def plan_choices(plan):
    partnerships = [(p.service, p.councils) for p in plan.partnerships]
    reductions = [(r.council, r.service, r.reduction_pct) for r in plan.reductions]
    return partnerships, reductions


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


def optimum_checked(tmp_path, seed, solver, options=DEFAULT):
    """Solve random instance ``seed`` through a real workbook and check it against enumeration.

    Returns (inputs, workbook, plan, evaluation), or None when the instance is rightly infeasible.
    """
    rng = random.Random(seed)
    sheets = random_instance(rng)
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    inputs = load_workbook_inputs(workbook).inputs
    # gap 0: prove each aim exactly (up to its £1 / 1e-6 tie), which is what the reference checks
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=60, mip_gap=0.0))

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
