"""The ``consolidate`` command as a user runs it: a real subprocess, real .xlsx files, exit codes and messages."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from optimizer.importers.assumptions import IMPORT_TIME_LIMIT_S
from optimizer.workbook.schema import normalise
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.marks import slow
from tests.support.paths import ROOT

COMMANDS = ["template", "validate", "run", "import-outturn", "partners"]


def consolidate(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def fill(path: Path, sheet: str, rows: list[dict]) -> None:
    """Replace a template sheet's example rows with ``rows`` (keyed by canonical column names)."""
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    columns = {normalise(cell.value): cell.column for cell in ws[1] if cell.value}
    ws.delete_rows(2, ws.max_row)
    for r, row in enumerate(rows, start=2):
        for name, value in row.items():
            ws.cell(row=r, column=columns[name], value=value)
    book.save(path)


THREE_COUNCILS = {
    "Councils": [
        {"council": "Northshire", "net_budget": 200e6, "savings_target": 150_000, "latitude": 52.0, "longitude": -1.0},
        {"council": "Eastvale", "net_budget": 90e6, "savings_target_pct": 0.002, "latitude": 52.1, "longitude": -0.9},
        {"council": "Westbury", "net_budget": 60e6, "latitude": 52.05, "longitude": -1.2},
    ],
    "Services": [
        {"council": c, "service": "Revenues & Benefits", "annual_cost": cost, "fte": fte, "statutory": "yes"}
        for c, cost, fte in [("Northshire", 3e6, 60), ("Eastvale", 1.5e6, 30), ("Westbury", 1e6, 20)]
    ],
    "Sharing": [
        {"service": "Revenues & Benefits", "partners": 2, "saving_pct": 0.04, "one_off_pct": 0.05, "max_distance_km": 30},
        {"service": "Revenues & Benefits", "partners": 3, "saving_pct": 0.06, "one_off_pct": 0.07, "max_distance_km": 30},
    ],
}


@pytest.fixture(scope="module")
def filled_once(tmp_path_factory) -> Path:
    """template -> fill with three councils (the rest of the example rows removed) -> a valid input."""
    path = tmp_path_factory.mktemp("filled") / "three.xlsx"
    assert consolidate("template", path).returncode == 0
    for sheet, rows in THREE_COUNCILS.items():
        fill(path, sheet, rows)
    for sheet in ("Reductions", "Partnerships", "Rules"):
        fill(path, sheet, [])
    return path


@pytest.fixture
def filled(filled_once, tmp_path) -> Path:
    """A copy of the filled template of this test's own, to change or write beside."""
    path = tmp_path / filled_once.name
    shutil.copyfile(filled_once, path)
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    done = consolidate(command, "--help")
    assert done.returncode == 0
    assert "Usage:" in done.stdout and len(done.stdout.splitlines()) > 4


def test_top_level_help_lists_commands():
    done = consolidate("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout


def test_template_validates_and_runs(tmp_path):
    path = tmp_path / "template.xlsx"
    assert consolidate("template", path).returncode == 0
    done = consolidate("validate", path)
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout
    done = consolidate("run", path, "-o", tmp_path / "plan.xlsx", "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout)["status"] == "optimal"


def test_template_refuses_to_overwrite(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"precious")
    done = consolidate("template", path)
    assert done.returncode == 2
    assert "--force" in done.stderr
    assert path.read_bytes() == b"precious"


def test_filled_template_plan(filled, tmp_path):
    assert consolidate("validate", filled).returncode == 0
    output = tmp_path / "plan.xlsx"
    done = consolidate("run", filled, "-o", output, "--json")
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    # All three within 30 km: the three-way partnership saves 6 % of £5.5m = £330,000 a year for £385,000 once,
    # beating any pair (at most 4 % of £4.5m); Eastvale's target is 0.2 % of £90m = £180,000.
    assert summary["status"] == "optimal"
    assert summary["total_annual_saving"] == pytest.approx(330_000)
    assert summary["total_one_off_cost"] == pytest.approx(385_000)
    assert summary["net_benefit"] == pytest.approx(5 * 330_000 - 385_000)
    assert summary["input_sha256"] == digest(filled)
    book = openpyxl.load_workbook(output)
    assert book.sheetnames[:5] == ["Overview", "Summary", "Partnerships", "Reductions", "Councils"]
    partnership = [c.value for c in book["Partnerships"][2]]
    assert partnership[2] == "Northshire; Eastvale; Westbury" and partnership[3] == 3


def test_summary_shortfall_is_per_council(filled, tmp_path):
    done = consolidate("run", filled, "-o", tmp_path / "plan.xlsx", "--json", "--quiet")
    summary = last_json(done.stdout)
    # Northshire saves 6 % of £3m = £180,000 >= £150,000; Eastvale saves £90,000 of its £180,000.
    assert summary["total_shortfall"] == pytest.approx(90_000)
    assert summary["councils_meeting_target"] == 1


def test_existing_output_needs_force(filled, tmp_path):
    output = tmp_path / "plan.xlsx"
    output.write_bytes(b"last week's plan")
    done = consolidate("run", filled, "-o", output)
    assert done.returncode == 2
    assert "exists" in done.stderr and "--force" in done.stderr
    assert output.read_bytes() == b"last week's plan"
    done = consolidate("run", filled, "-o", output, "--force", "--quiet")
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(output)["Summary"]["B2"].value == "optimal"


def test_never_writes_over_the_input(filled):
    before = digest(filled)
    done = consolidate("run", filled, "-o", filled, "--force")
    assert done.returncode == 2
    assert "input" in done.stderr
    assert digest(filled) == before


def test_default_output_goes_to_outputs_folder(filled, tmp_path):
    done = consolidate("run", filled, "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "outputs" / "three-plan.xlsx").exists()


def test_bad_workbook_lists_every_problem_and_writes_nothing(filled, tmp_path):
    book = openpyxl.load_workbook(filled)
    book["Services"]["C2"] = "lots"  # annual cost
    book["Sharing"]["C3"] = 1.5  # saving as a fraction
    book.save(filled)
    before = digest(filled)
    output = tmp_path / "plan.xlsx"
    done = consolidate("run", filled, "-o", output)
    assert done.returncode == 2
    assert "Services!C2" in done.stderr and "Sharing!C3" in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()
    assert digest(filled) == before
    assert consolidate("validate", filled).returncode == 2


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    done = consolidate("validate", path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and str(path) in done.stderr


def test_hard_targets_that_cannot_be_met_exit_3_with_a_workbook(filled, tmp_path):
    output = tmp_path / "plan.xlsx"
    done = consolidate("run", filled, "-o", output, "--targets", "hard", "--json", "--quiet")
    assert done.returncode == 3, done.stderr
    assert last_json(done.stdout)["status"] == "infeasible"
    # Eastvale's £180,000 target against the £90,000 a three-way partnership saves it
    assert "Eastvale: target £180,000 a year; the most it can save under the constraints is £90,000" in done.stdout
    assert openpyxl.load_workbook(output)["Summary"]["B2"].value == "infeasible"


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_options_override_settings(filled, tmp_path, solver):
    done = consolidate("run", filled, "-o", tmp_path / "p.xlsx", "--solver", solver, "--gap", "0", "--time-limit", "30",
                       "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert summary["solver"] == solver and summary["gap"] == 0


@pytest.mark.parametrize("args", [["--gap", "2"], ["--time-limit", "0"], ["--solver", "gurobl"], ["--targets", "firm"]])
def test_bad_options_exit_2(filled, tmp_path, args):
    output = tmp_path / "p.xlsx"
    done = consolidate("run", filled, "-o", output, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert not output.exists()


def on_terminal(*args) -> str:
    """Run consolidate with standard error on a pseudo-terminal, as a person at a terminal sees it."""
    import os
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], stdout=subprocess.PIPE,
                          stderr=follower, text=True, timeout=600)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes once everything written to it has been read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 0
    return b"".join(chunks).decode()


@slow
def test_progress_on_a_terminal_only(filled, tmp_path):
    shown = on_terminal("run", filled, "-o", tmp_path / "a.xlsx")
    assert "finding every possible partnership: 4 " in shown
    assert "step 1 of 2: the least shortfall against the targets" in shown
    # the last line agrees with the status that follows it on standard output
    assert shown.strip().splitlines()[-1].startswith("step 2 of 2 done: the best plan has a net benefit of £")
    assert "proven best" in shown.strip().splitlines()[-1]
    assert on_terminal("run", filled, "-o", tmp_path / "b.xlsx", "--quiet") == ""
    piped = consolidate("run", filled, "-o", tmp_path / "c.xlsx")
    assert piped.stderr == "" and "Plan written" in piped.stdout


@slow
def test_shipped_example_is_optimal(tmp_path):
    """The README's first command: the West Midlands example, proven optimal."""
    done = consolidate("run", ROOT / "inputs" / "west_midlands.xlsx", "-o", tmp_path / "wm.xlsx", "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert summary["status"] == "optimal"
    assert summary["total_annual_saving"] > 0


@slow
def test_import_outturn_builds_a_valid_workbook(tmp_path):
    output = tmp_path / "wm.xlsx"
    done = consolidate("import-outturn", ROOT / "data" / "revenue_outturn_rsx_2023-24.csv",
                       "--geography", ROOT / "data" / "uk_local_authorities.csv",
                       "--region", "West Midlands", "--target-pct", "0.02", "-o", output)
    assert done.returncode == 0, done.stderr
    assert "Birmingham" in done.stderr  # suppressed in the official file: reported, not silently dropped
    assert consolidate("validate", output).returncode == 0
    councils = sheet_values(output, "Councils")
    assert len(councils) == 30 and all(row[3] == 0.02 for row in councils)  # Savings target (%)
    # the time England needs to be proven, stated with its reason; read back as the run's limit
    assert load_workbook_inputs(output).inputs.settings.time_limit_s == IMPORT_TIME_LIMIT_S > 60
    assert any(row[0] == "time limit" and "England" in row[2] for row in sheet_values(output, "Sources"))
    again = consolidate("import-outturn", ROOT / "data" / "revenue_outturn_rsx_2023-24.csv",
                        "--geography", ROOT / "data" / "uk_local_authorities.csv", "--region", "West Midlands",
                        "-o", output)
    assert again.returncode == 2 and "--force" in again.stderr


def test_import_outturn_unknown_region_exits_2(tmp_path):
    output = tmp_path / "x.xlsx"
    done = consolidate("import-outturn", ROOT / "data" / "revenue_outturn_rsx_2023-24.csv",
                       "--geography", ROOT / "data" / "uk_local_authorities.csv", "--region", "Atlantis", "-o", output)
    assert done.returncode == 2 and "Atlantis" in done.stderr and "Traceback" not in done.stderr
    assert not output.exists()


def sheet_values(path: Path, sheet: str) -> list[tuple]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=2, values_only=True))
    return [row for row in rows if any(v is not None for v in row)]


@slow
def test_time_limit_gives_a_plan_with_its_honest_gap(tmp_path):
    """PuLP would call this 'Optimal'; the solver's own report says the plan is not proven. The
    limit is the whole run's, so on a busy machine it may end before any plan: then exit 4 and a
    workbook that says so (both are honest; neither is 'optimal')."""
    output = tmp_path / "wm.xlsx"
    done = consolidate("run", ROOT / "inputs" / "west_midlands.xlsx", "-o", output, "--time-limit", "3", "--json")
    if done.returncode == 4:
        assert last_json(done.stdout)["status"] == "no_solution"
        assert sheet_values(output, "Summary")[0] == ("status", "no_solution")
        return
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert summary["status"] == "feasible" and 0 < summary["gap"] <= 1
    assert "raise --time-limit" in done.stdout
    assert sheet_values(output, "Summary")[0] == ("status", "feasible")


def test_refused_workbook_also_shows_its_warnings(tmp_path):
    """A problem in a hidden row is baffling unless the user is told the row is hidden."""
    path = tmp_path / "hidden.xlsx"
    assert consolidate("template", path).returncode == 0
    book = openpyxl.load_workbook(path)
    book["Services"].row_dimensions[3].hidden = True
    book["Services"]["C3"] = "lots"
    book.save(path)
    done = consolidate("validate", path)
    assert done.returncode == 2
    assert "Services!C3: annual cost must be a number of pounds" in done.stderr
    assert "note: Services!A3:" in done.stderr and "hidden" in done.stderr
