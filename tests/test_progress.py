"""Progress in a finance officer's words: each step's last line says what was proved, as the status does."""

from __future__ import annotations

from optimizer import progress as words
from optimizer.pipeline import optimise
from optimizer.solve.results import StageResult
from optimizer.status import Termination
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.paths import ROOT


def test_a_real_run_says_each_stage_and_ends_each_step_with_what_it_proved():
    inputs = load_workbook_inputs(ROOT / "inputs" / "tri_borough.xlsx").inputs
    lines: list[str] = []
    plan = optimise(inputs, progress=lines.append)
    assert lines[0].startswith(f"finding every possible partnership: {plan.candidate_count:,} ")
    assert lines[1].startswith("setting up the choice: ")
    done = [line for line in lines if " done: " in line or " stopped: " in line]
    assert len(done) == len(plan.stages) and plan.status == "optimal"
    for k, (line, stage) in enumerate(zip(done, plan.stages), start=1):
        assert line.startswith(f"step {k} of {len(plan.stages)} done: the best plan") and "proven best" in line
    assert lines[-1] == done[-1]
    assert f"net benefit of £{plan.net_benefit / 1e6:,.1f} m" in lines[-1]
    technical = ("LP", "bound", "gap", "aim", "variables", "constraints", "candidate")
    assert not [line for line in lines if any(word in line for word in technical)], lines


def stage(aim, value, bound, termination=Termination.TIME_LIMIT):
    return StageResult(aim, termination, True, value, bound, 12.0)


def test_a_step_not_proven_says_how_much_better_a_plan_could_be():
    line = words.step_done(3, 3, stage("net_benefit", 258.9e6, 259.3e6), 1e-4)
    assert line == ("step 3 of 3 stopped: the plan has a net benefit of £258.9 m; it can be at most 0.15% better, "
                    "not proven (12.0 s)")


def test_a_step_within_the_tolerance_is_proven_best_and_says_so():
    line = words.step_done(1, 3, stage("shortfall", 1_000_050.0, 1_000_000.0, Termination.OPTIMAL), 1e-4)
    assert line == ("step 1 of 3 done: the best plan leaves £1.0 m of the targets unmet, proven best "
                    "(within the 0.01% tolerance) (12.0 s)")
    exact = words.step_done(2, 3, stage("impact", 48.0, 48.0, Termination.OPTIMAL), 1e-4)
    assert exact == "step 2 of 3 done: the best plan does harm scored 48.000, proven best (12.0 s)"


def test_a_step_not_reached_or_without_a_plan_says_so():
    assert words.step_done(3, 3, StageResult("net_benefit", Termination.NOT_RUN, True), 1e-4) == (
        "step 3 of 3: not reached within the time limit; the plan keeps the earlier steps' choice")
    assert words.step_done(1, 3, StageResult("shortfall", Termination.INFEASIBLE, False), 1e-4) == (
        "step 1 of 3: no plan meets every requirement")


def test_the_best_plan_so_far_in_pounds_and_how_much_better():
    assert words.so_far("net_benefit", 258.9e6, 259.3e6, 4.0) == (
        "  best plan so far has a net benefit of £258.9 m; it can be at most 0.15% better (4.0 s)")
    assert words.so_far("shortfall", 2e6, 1.5e6, 4.0) == (
        "  best plan so far leaves £2.0 m of the targets unmet; no plan can do better than £1.5 m (4.0 s)")
    assert words.so_far("shortfall", 0.0, 0.0, 4.0) == "  best plan so far meets every target (4.0 s)"


def test_a_line_that_says_again_what_the_last_said_is_dropped():
    shown: list[str] = []
    say = words.without_repeats(shown.append)
    for line in ("  no plan can do harm scored below 1.000 (1.0 s)", "  no plan can do harm scored below 1.000 (2.0 s)",
                 "  a plan that does harm scored 2.000 (3.0 s)", "  no plan can do harm scored below 1.000 (4.0 s)"):
        say(line)
    assert shown == ["  no plan can do harm scored below 1.000 (1.0 s)", "  a plan that does harm scored 2.000 (3.0 s)",
                     "  no plan can do harm scored below 1.000 (4.0 s)"]


def test_steps_the_time_limit_leaves_unreached_say_so_last():
    """A limit spent before any aim starts: no line may claim more than the status does."""
    inputs = load_workbook_inputs(ROOT / "inputs" / "tri_borough.xlsx").inputs
    lines: list[str] = []
    plan = optimise(inputs.with_settings(inputs.settings.override(time_limit_s=1e-6)), progress=lines.append)
    assert plan.status == "no_solution"
    n = len(plan.stages)
    assert lines[-n:] == [f"step {k} of {n}: not reached within the time limit" for k in range(1, n + 1)]
