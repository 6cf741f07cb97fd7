"""Sense checks and refusals through the real command line: each message, its cell, its exit code, and
nothing lost (a warning stops nothing; a refusal writes nothing and leaves every file as it was)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.support.marks import sampled
from tests.support.paths import ROOT

HEADERS = {
    "Councils": ["council", "net_budget", "savings_target", "savings_target_pct", "latitude", "longitude", "body_type"],
    "Services": ["council", "service", "annual_cost", "fte"],
    "Sharing": ["service", "partners", "saving_pct", "one_off_pct", "max_distance_km"],
}


def consolidate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sane() -> dict[str, list[list]]:
    """Three councils near each other, in pounds, with modest targets: no sense check fires."""
    return {
        "Councils": [["Northshire", 200e6, 150_000, None, 52.0, -1.0, None],
                     ["Eastvale", 90e6, None, 0.002, 52.1, -0.9, None],
                     ["Westbury", 60e6, None, None, 52.05, -1.2, None]],
        "Services": [["Northshire", "Payroll", 3e6, 60], ["Eastvale", "Payroll", 1.5e6, 30],
                     ["Westbury", "Payroll", 1e6, 20]],
        "Sharing": [["Payroll", 2, 0.04, 0.05, 30], ["Payroll", 3, 0.06, 0.07, 30]],
    }


def write(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(HEADERS[name])
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def notes(stderr: str) -> list[str]:
    return [line.removeprefix("note: ") for line in stderr.splitlines() if line.startswith("note: ")]


def test_a_sane_workbook_has_no_warning(tmp_path):
    done = consolidate("validate", write(tmp_path / "in.xlsx", sane()))
    assert done.returncode == 0 and notes(done.stderr) == []


def edit(sheets, sheet: str, row: int, column: str, value):
    sheets[sheet][row][HEADERS[sheet].index(column)] = value
    return sheets


# (sheet, data row, column, value) -> the cell the warning names, and words of what it suspects
SLIPS = {
    "budget in thousands": (("Councils", 1, "net_budget", 450), "Councils!B3", ["£450", "£ thousands"]),
    "one-off rate of 25": (("Sharing", 0, "one_off_pct", 25), "Sharing!D2", ["2500%", "0.25"]),
    "target above half the budget": (("Councils", 0, "savings_target", 120e6), "Councils!C2",
                                     ["£120.0 m", "60% of its net budget"]),
    "target share above half": (("Councils", 1, "savings_target_pct", 0.6), "Councils!D3", ["60%", "0.05 is 5 %"]),
    "copied coordinates": (("Councils", 2, "latitude", 52.1), None, None),  # set below with the longitude
}


@pytest.mark.parametrize("slip", sampled([s for s in SLIPS if s != "copied coordinates"], 1))
def test_each_slip_is_a_warning_at_its_cell_and_the_run_goes_on(tmp_path, slip):
    (sheet, row, column, value), cell, words = SLIPS[slip]
    path = write(tmp_path / "in.xlsx", edit(sane(), sheet, row, column, value))
    done = consolidate("validate", path)
    assert done.returncode == 0, done.stderr
    [warning] = notes(done.stderr)
    assert warning.startswith(f"{cell}: ") and all(w in warning for w in words), warning
    ran = consolidate("run", path, "-o", tmp_path / "plan.xlsx")
    assert ran.returncode == 0 and (tmp_path / "plan.xlsx").exists()
    assert notes(ran.stderr) == [warning]


def test_copied_coordinates_name_both_rows_but_a_fire_authority_may_share_its_countys(tmp_path):
    sheets = edit(edit(sane(), "Councils", 2, "latitude", 52.1), "Councils", 2, "longitude", -0.9)
    done = consolidate("validate", write(tmp_path / "in.xlsx", sheets))
    [warning] = notes(done.stderr)
    assert done.returncode == 0
    assert warning.startswith("Councils!E4: 'Westbury'") and "'Eastvale' (Councils!E3)" in warning
    fire = edit(sheets, "Councils", 2, "body_type", "fire")
    assert notes(consolidate("validate", write(tmp_path / "fire.xlsx", fire)).stderr) == []


def test_a_council_with_no_place_under_a_distance_limit_is_refused_at_its_cell(tmp_path):
    """Stricter than a warning (SPEC section 1 needs the place): an error naming the cell and the limit."""
    sheets = edit(edit(sane(), "Councils", 2, "latitude", None), "Councils", 2, "longitude", None)
    done = consolidate("validate", write(tmp_path / "in.xlsx", sheets))
    assert done.returncode == 2
    assert "Councils!E4: 'Westbury' needs a latitude and longitude" in done.stderr and "Sharing!E" in done.stderr


@pytest.mark.parametrize("name", sampled(["plan.csv", "plan", "plan.xls"], 1))
def test_an_output_that_is_not_xlsx_is_refused_and_nothing_is_written(tmp_path, name):
    path = write(tmp_path / "in.xlsx", sane())
    before = digest(path)
    for command in (["run", path, "-o", tmp_path / name], ["template", tmp_path / name]):
        done = consolidate(*command)
        assert done.returncode == 2, done.stderr
        assert "must end in .xlsx" in done.stderr and f"try {tmp_path / Path(name).stem}.xlsx" in done.stderr
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"] and digest(path) == before


def test_an_upper_case_extension_is_a_workbook(tmp_path):
    assert consolidate("template", tmp_path / "T.XLSX").returncode == 0


def test_the_model_file_keeps_its_own_extensions(tmp_path):
    done = consolidate("run", write(tmp_path / "in.xlsx", sane()), "-o", tmp_path / "plan.xlsx",
                       "--write-model", tmp_path / "model.lp")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model.lp").exists()


def test_a_plan_given_as_input_is_named_as_such_in_one_message(tmp_path):
    source = write(tmp_path / "in.xlsx", sane())
    plan = tmp_path / "plan.xlsx"
    assert consolidate("run", source, "-o", plan).returncode == 0
    before = digest(plan)
    for command in (["validate", plan], ["run", plan, "-o", tmp_path / "again.xlsx"]):
        done = consolidate(*command)
        assert done.returncode == 2
        problems = [line for line in done.stderr.splitlines() if line.startswith("  ")]
        assert problems == ["  plan.xlsx is a plan workbook written by consolidate run (it has the sheets Summary, "
                            "Membership, Run info and no Services), not an input workbook; give the input workbook "
                            "the plan was made from, in.xlsx (its Run info sheet names it)"], done.stderr
    assert digest(plan) == before and not (tmp_path / "again.xlsx").exists()


def test_a_scenarios_workbook_given_as_input_is_named_as_such(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Scenarios"
    book.create_sheet("Changes")
    book.save(tmp_path / "scen.xlsx")
    done = consolidate("validate", tmp_path / "scen.xlsx")
    assert done.returncode == 2
    assert "scen.xlsx is a scenarios workbook written by consolidate scenarios" in done.stderr
    assert done.stderr.count("\n  ") == 1


def test_an_input_with_a_scenarios_sheet_is_still_an_input(tmp_path):
    book = openpyxl.load_workbook(write(tmp_path / "in.xlsx", sane()))
    book.create_sheet("Scenarios")
    book.create_sheet("Changes")
    book.save(tmp_path / "in.xlsx")
    assert "scenarios workbook" not in consolidate("validate", tmp_path / "in.xlsx").stderr


def test_the_shipped_examples_raise_no_warning():
    for name in ("west_midlands", "tri_borough", "priorities"):
        done = consolidate("validate", ROOT / "inputs" / f"{name}.xlsx")
        assert done.returncode == 0 and notes(done.stderr) == [], done.stderr
