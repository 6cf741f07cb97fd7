"""``consolidate run --write-model``: the file another solver is given is the program solved here.

Each aim's file, written by PuLP, is read from disk by HiGHS and solved again: its optimum is that
aim's value as the run (by HiGHS or CBC) proved it, and the first aim's is the enumerated optimum.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys

import highspy
import pytest

from optimizer.pipeline import optimise
from optimizer.report.model_file import KEY_HEADER, ModelRecorder
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.checks import exact_inputs
from tests.support.instances import alliance_instance, random_instance
from tests.support.marks import sampled
from tests.support.paths import TRI_BOROUGH
from tests.support.reference import brute_force

AIM_OPTIMUM = {"shortfall": "shortfall", "impact": "impact", "net_benefit": "net_benefit"}


def consolidate(*args):
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def solved_again(path) -> float:
    """The optimum of a model file as HiGHS reads it from disk (CBC's preprocessing is not trusted on
    this model: ``backends.cbc.cbc_command``): the objective as the file states it."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.0)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def key_of(path) -> list[dict]:
    with open(path.with_name(f"{path.stem}-key.csv"), encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("solver, suffix", [("highs", ".mps"), ("cbc", ".lp")])
@pytest.mark.parametrize("seed", sampled(range(300, 330), fast=3))
def test_every_aims_file_holds_its_proven_optimum(tmp_path, seed, solver, suffix):
    rng = random.Random(seed)
    sheets = (alliance_instance if seed % 2 else random_instance)(rng)
    _, inputs = exact_inputs(tmp_path, sheets, rng, solver)
    reference = brute_force(sheets)
    recorder = ModelRecorder()
    plan = optimise(inputs, on_program=recorder)
    if not reference.feasible or not recorder.programs:
        return
    files = recorder.write(tmp_path / f"model-{{aim}}{suffix}", force=False)
    assert [f.name for f in files[::2]] == [f"model-{s.aim}{suffix}" for s in plan.stages]
    for stage, path in zip(plan.stages, files[::2]):
        program = next(p for p in recorder.programs if p.aim.name == stage.aim)
        value = program.aim.sign * solved_again(path)
        assert value == pytest.approx(stage.value, abs=program.aim.tie + 1e-6 * abs(stage.value)), stage.aim
        key = key_of(path)
        assert list(key[0]) == list(KEY_HEADER) and len(key) == recorder.model.n_cols
    first = plan.stages[0]
    optimum = getattr(reference, AIM_OPTIMUM[first.aim])
    assert first.value == pytest.approx(optimum, abs=1e-6 * max(1.0, abs(optimum)) + 1.0)


def test_the_key_names_the_plans_partnerships(tmp_path):
    model = tmp_path / "tri.mps"
    done = consolidate("run", TRI_BOROUGH, "-o", tmp_path / "plan.xlsx", "--write-model", model, "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"Model written to {model}, {tmp_path / 'tri-key.csv'}" in done.stdout
    partnerships = {(row["service"], row["councils"]) for row in key_of(model) if row["kind"] == "partnership"}
    assert ("Central services", "Hammersmith and Fulham; Kensington and Chelsea; Westminster") in partnerships


def test_a_run_out_of_time_writes_its_first_aim_whole(tmp_path):
    """No aim started: the file is the first aim with nothing held, which another solver can finish."""
    model = tmp_path / "first.lp"
    done = consolidate("run", TRI_BOROUGH, "-o", tmp_path / "plan.xlsx", "--write-model", model, "--quiet",
                       "--time-limit", "1e-9")
    assert done.returncode == 4, done.stderr
    inputs = load_workbook_inputs(TRI_BOROUGH).inputs
    reference = optimise(inputs.with_settings(inputs.settings.override(mip_gap=0.0)))
    first = reference.stages[0]
    sign = -1 if first.aim == "net_benefit" else 1  # net benefit is maximised: the file minimises its negative
    assert sign * solved_again(model) == pytest.approx(first.value, abs=1.0)


@pytest.mark.parametrize("name, message", [
    ("model.txt", "a model file ends in .mps or .lp (the format is read from it)"),
    ("exists.mps", "the file exists already; use --force to replace it"),
])
def test_a_model_path_that_cannot_be_used_is_refused_before_the_solve(tmp_path, name, message):
    (tmp_path / "exists.mps").write_text("kept")
    output = tmp_path / "plan.xlsx"
    done = consolidate("run", TRI_BOROUGH, "-o", output, "--write-model", tmp_path / name)
    assert done.returncode == 2
    assert message in done.stderr
    assert not output.exists() and (tmp_path / "exists.mps").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.mps"]
