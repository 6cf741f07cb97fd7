"""``run --alternatives`` and ``partners`` as a user runs them: real processes, real workbooks,
exit codes, --json and the messages for names the workbook does not have."""

from __future__ import annotations

import json
import subprocess
import sys

import openpyxl
import pytest

from tests.support.marks import slow
from tests.support.sheets import base, put, write


def consolidate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def last_json(stdout: str):
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture
def workbook(tmp_path):
    """Three councils sharing waste (Shropshire never with Powys), a libraries cut, soft targets:
    six plans in all, and Ludlow, who shares nothing."""
    sheets = put(base(), "Settings!B2", "soft")
    sheets["Councils"].append(["Ludlow", 50e6, 1e5, None, 52.37, -2.72])
    sheets["Services"].append(["Ludlow", "Waste", 1e6, 5, "no", "no", "no"])
    return write(tmp_path, sheets)


def sheet_rows(path, title) -> list[dict]:
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[title]
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in rows if row[0] is not None and any(v is not None for v in row[1:])]


def test_alternatives_run_out_when_every_plan_is_listed(workbook, tmp_path):
    out = tmp_path / "plan.xlsx"
    done = consolidate("run", workbook, "-o", out, "--alternatives", 9, "--json")
    assert done.returncode == 0, done.stderr
    summary = last_json(done.stdout)
    assert [a["plan"] for a in summary["alternatives"]] == [f"alternative {i}" for i in range(1, 6)]  # 6 plans in all
    assert "5 of the 9 alternatives asked for" in done.stdout
    rows = sheet_rows(out, "Alternatives")
    assert len(rows) == 6 and rows[0]["plan"] == "best"
    for row, alt in zip(rows[1:], summary["alternatives"]):
        assert row["net_benefit"] == pytest.approx(alt["net_benefit"], abs=0.01)
        assert row["lost_net_benefit"] == pytest.approx(rows[0]["net_benefit"] - alt["net_benefit"], abs=0.01)
    # each plan differs from all the others: six distinct sets of decisions
    moves = sheet_rows(out, "Alternative decisions")
    changed = {plan: frozenset((m["change"], m["service"], m["councils"]) for m in moves if m["plan"] == plan)
               for plan in {m["plan"] for m in moves}}
    assert len(changed) == 5 and len(set(changed.values())) == 5


def test_alternatives_differing_in_two_decisions(workbook, tmp_path):
    done = consolidate("run", workbook, "-o", tmp_path / "plan.xlsx", "--alternatives", 2, "--differ", 2, "--json")
    assert done.returncode == 0, done.stderr
    assert len(last_json(done.stdout)["alternatives"]) >= 1


@pytest.mark.parametrize("args", [["--alternatives", -1], ["--alternatives", 1, "--differ", 0]])
def test_bad_alternative_options_exit_2(workbook, tmp_path, args):
    out = tmp_path / "plan.xlsx"
    done = consolidate("run", workbook, "-o", out, *args)
    assert done.returncode == 2 and not out.exists()


def test_partners_json_and_workbook(workbook, tmp_path):
    out = tmp_path / "partners.xlsx"
    done = consolidate("partners", workbook, "--council", "telford", "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    rows = last_json(done.stdout)
    assert {r["councils"] for r in rows} == {"Shropshire; Telford", "Telford; Powys"}
    assert sum(r["in_optimal_plan"] == "yes" for r in rows) == 1
    assert rows[0]["in_optimal_plan"] == "yes" and rows[0]["lost_net_benefit"] == 0
    assert "Re-solved exactly" in done.stdout
    sheet = sheet_rows(out, "Partners")
    assert [r["councils"] for r in sheet] == [r["councils"] for r in rows]
    assert consolidate("partners", workbook, "--council", "Telford", "-o", out).returncode == 2  # no --force
    assert consolidate("partners", workbook, "--council", "Telford", "-o", out, "--force").returncode == 0


def test_a_council_with_nothing_to_share(workbook, tmp_path):
    out = tmp_path / "ludlow.xlsx"
    done = consolidate("partners", workbook, "--council", "Ludlow", "-o", out, "--json")
    assert done.returncode == 0, done.stderr
    assert "nothing to share" in done.stdout
    assert last_json(done.stdout) == [] and sheet_rows(out, "Partners") == []


@pytest.mark.parametrize("args, words", [
    (["--council", "Telfrod"], "did you mean 'Telford'"),
    (["--council", "Powys", "--service", "Libraries"], "Powys does not deliver 'Libraries'"),
    (["--council", "Powys", "--service", "Wsate"], "did you mean 'Waste'"),
])
def test_unknown_names_exit_2_with_the_closest(workbook, tmp_path, args, words):
    out = tmp_path / "partners.xlsx"
    done = consolidate("partners", workbook, *args, "-o", out)
    assert done.returncode == 2
    assert words in done.stderr
    assert not out.exists()


@slow
def test_partners_on_two_worker_processes_match_one(workbook, tmp_path):
    one = consolidate("partners", workbook, "--council", "Telford", "-o", tmp_path / "one.xlsx", "--json")
    two = consolidate("partners", workbook, "--council", "Telford", "-o", tmp_path / "two.xlsx", "--json",
                      "--workers", 2)
    assert one.returncode == two.returncode == 0, two.stderr
    assert last_json(one.stdout) == last_json(two.stdout)


@slow  # waits out the scheduler's seconds of grace, as the scenarios command's own test does
def test_partners_with_no_scheduler_answering_exit_2(workbook, tmp_path):
    out = tmp_path / "partners.xlsx"
    done = consolidate("partners", workbook, "--council", "Telford", "-o", out, "--scheduler", "tcp://127.0.0.1:9")
    assert done.returncode == 2
    assert "No Dask scheduler answered" in done.stderr and not out.exists()


def test_no_plan_at_all_no_alternatives_and_every_partnership_infeasible(tmp_path):
    workbook = write(tmp_path, base())  # hard targets Telford cannot meet
    out = tmp_path / "plan.xlsx"
    done = consolidate("run", workbook, "-o", out, "--alternatives", 2, "--json")
    assert done.returncode == 3
    assert last_json(done.stdout)["alternatives"] == []
    assert "No alternatives: there is no plan" in done.stdout
    assert [(r["plan"], r["status"]) for r in sheet_rows(out, "Alternatives")] == [("best", "infeasible")]
    done = consolidate("partners", workbook, "--council", "Telford", "-o", tmp_path / "p.xlsx", "--json")
    assert done.returncode == 0, done.stderr
    rows = last_json(done.stdout)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"infeasible"}
