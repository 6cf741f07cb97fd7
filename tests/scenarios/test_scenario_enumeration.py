"""Each scenario's plan is what `consolidate run` gives on the workbook with the scenario written in, and the
enumerated optimum of that workbook: random small instances, every column of the Scenarios sheet, both solvers."""

from __future__ import annotations

import random

import openpyxl
import pytest

from tests.support.commands import in_process
from tests.support.instances import random_instance, write_workbook
from tests.support.marks import sampled, slow
from tests.support.reference import brute_force, evaluate
from tests.support.scenario_sheets import COLUMNS, add_scenarios_sheet, draw_changes, written_in

SEEDS = sampled(range(3000, 3006), fast=1)
MONEY = 0.01
COMPARED = ("status", "total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall", "total_impact",
            "councils_meeting_target", "solver")


def rows(path, title) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[title]
    header, *body = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in body if any(v is not None for v in row)]


def choices(plan_path) -> tuple[list, list]:
    partnerships = sorted((r["service"], tuple(r["councils"].split("; "))) for r in rows(plan_path, "Partnerships"))
    reductions = sorted((r["council"], r["service"], r["reduction_pct"]) for r in rows(plan_path, "Reductions"))
    return partnerships, reductions


def scenarios_for(seed: int, sheets: dict) -> list[tuple[str, dict]]:
    """The workbook as it is, then three scenarios changing columns taken in turn from every column, so
    the seeds together change each one (asserted below) and a scenario sometimes changes two at once."""
    rng = random.Random(seed)
    picked = [COLUMNS[(3 * (seed - 3000) + k) % len(COLUMNS)] for k in range(3)]
    scenarios = [("as it is", {})]
    for k, column in enumerate(picked):
        changes = draw_changes(rng, sheets, column)
        if k == 2:
            changes |= draw_changes(rng, sheets, rng.choice(["target_pct", "saving_scale", "horizon_years"]))
        scenarios.append((f"scenario {k + 1}: {', '.join(changes)}", changes))
    return scenarios


def test_the_seeds_change_every_column_of_the_sheet():
    from optimizer.workbook.schema import SCENARIO_CHANGES

    assert set(COLUMNS) == set(SCENARIO_CHANGES)
    changed = {c for seed in range(3000, 3006) for k in range(3) for c in [COLUMNS[(3 * (seed - 3000) + k) % len(COLUMNS)]]}
    assert changed == set(COLUMNS)


@pytest.mark.parametrize("solver", ["highs", pytest.param("cbc", marks=slow)])  # the fast loop: one instance
@pytest.mark.parametrize("seed", SEEDS)
def test_each_scenario_is_the_run_of_its_workbook_and_the_enumerated_optimum(tmp_path, seed, solver):
    rng = random.Random(seed)
    sheets = random_instance(rng)
    sheets["Settings"] = [r for r in sheets.get("Settings") or [] if r["setting"] not in ("solver", "mip_gap")]
    sheets["Settings"] += [{"setting": "solver", "value": solver}, {"setting": "mip_gap", "value": 0.0}]
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    scenarios = scenarios_for(seed, sheets)
    add_scenarios_sheet(workbook, scenarios)

    output = tmp_path / "out" / "compared.xlsx"
    code, printed = in_process("scenarios", workbook, "-o", output, "--workers", 1 + seed % 2)
    assert code == 0, printed
    table = rows(output, "Scenarios")
    assert [r["scenario"] for r in table] == [name for name, _ in scenarios]

    for (name, changes), row in zip(scenarios, table):
        changed = written_in(sheets, changes)
        alone = tmp_path / f"{row['plan_file']}"
        write_workbook(changed, alone)
        run_plan = tmp_path / "run" / row["plan_file"]
        code, printed = in_process("run", alone, "-o", run_plan, "--quiet")
        assert code in (0, 3), printed
        scenario_plan = output.parent / "compared-plans" / row["plan_file"]
        ours = {r["metric"]: r["value"] for r in rows(scenario_plan, "Summary")}
        theirs = {r["metric"]: r["value"] for r in rows(run_plan, "Summary")}
        for metric in COMPARED:
            assert ours[metric] == pytest.approx(theirs[metric], abs=MONEY), (name, metric)
            if metric != "solver":  # the Scenarios sheet's solver column is a scenario's change, if any
                assert row[metric] == pytest.approx(ours[metric], abs=MONEY), (name, metric)
        assert choices(scenario_plan) == choices(run_plan), name

        reference = brute_force(changed)
        if not reference.feasible:
            assert row["status"] == "infeasible", (name, reference.reason)
            continue
        assert row["status"] == "optimal", name
        evaluation = evaluate(changed, *choices(scenario_plan))
        assert evaluation.feasible, (name, evaluation.reason)
        verdict = reference.is_optimal(evaluation, rel_tol=0.0)
        assert verdict, (name, verdict.reason)
        assert row["total_shortfall"] == pytest.approx(evaluation.total_shortfall, abs=MONEY), name
        assert row["net_benefit"] == pytest.approx(evaluation.net_benefit, abs=MONEY), name
