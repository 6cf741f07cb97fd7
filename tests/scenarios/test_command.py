"""`consolidate scenarios` and `validate` on bad Scenarios rows, bad sweeps and an unreachable scheduler: exit 2,
every problem at its cell, nothing written; progress on a terminal; Ctrl-C leaves nothing behind."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import sys

import openpyxl
import pytest

from optimizer.scenarios.sweep import steps
from tests.support.commands import in_process
from tests.support.marks import slow
from tests.support.paths import ROOT, TRI_BOROUGH, WEST_MIDLANDS


def with_scenarios(tmp_path, header: list, *body: list):
    book = openpyxl.load_workbook(TRI_BOROUGH)
    sheet = book["Scenarios"]
    sheet.delete_rows(1, sheet.max_row)
    for row in (header, *body):
        sheet.append(row)
    path = tmp_path / "input.xlsx"
    book.save(path)
    return path


def nothing_written(tmp_path) -> bool:
    return sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx"]


BAD_ROWS = (["scenario", "target_pct", "target_scale", "saving_scale", "optimism"],
            ["low", 0.01, None, None, None],
            ["both", 0.02, 1.5, None, None],
            ["none saved", None, None, 0, None],
            ["low", None, None, None, None],
            ["negative", None, -1, None, None])
BAD_MESSAGES = (
    "Scenarios!E1: unknown setting 'optimism'",
    "Scenarios!C3: give the target as a share of the net budget (target_pct) or as a scale",
    "Scenarios!D4: saving scale must be a number > 0; found 0",
    "Scenarios!A5: 'low' is listed twice (also Scenarios!A2)",
    "Scenarios!C6: target scale must be a number > 0; found -1",
)


def test_bad_rows_are_each_reported_at_their_cell_and_nothing_is_written(tmp_path):
    path = with_scenarios(tmp_path, *BAD_ROWS)
    code, printed = in_process("scenarios", path, "-o", tmp_path / "out.xlsx")
    assert code == 2
    for message in BAD_MESSAGES:
        assert message in printed
    assert "5 problems" in printed
    assert nothing_written(tmp_path)
    code, checked = in_process("validate", path)
    assert code == 2
    assert all(message in checked for message in BAD_MESSAGES)


def test_a_valid_sheet_is_counted_by_validate(tmp_path):
    path = with_scenarios(tmp_path, ["Scenario", "Target (%)", "Horizon (years)"], ["a", 0.02, None], ["b", None, 3])
    code, printed = in_process("validate", path)
    assert code == 0, printed
    assert printed.strip().endswith("2 scenarios")


@pytest.mark.parametrize("sweep, message", [
    ("target_pct=0.05:0.01:0.01", "--sweep target_pct=0.05:0.01:0.01: needs FROM ≤ TO and a STEP > 0"),
    ("target_pct=0.01:0.05", "expected NAME=FROM:TO:STEP"),
    ("optimism=1:2:1", "cannot sweep 'optimism'"),
    ("target_pct=0.5:1.5:0.5", "1.5: target: expected a fraction between 0 and 1"),
    ("saving_scale=0:1:0.5", "0: saving scale must be a number > 0; found 0"),
])
def test_a_bad_sweep_is_exit_2_and_nothing_is_written(tmp_path, sweep, message):
    path = with_scenarios(tmp_path, ["scenario"])
    code, printed = in_process("scenarios", path, "-o", tmp_path / "out.xlsx", "--sweep", sweep)
    assert code == 2
    assert message in printed
    assert nothing_written(tmp_path)


def test_a_sweep_beside_a_scenarios_sheet_or_neither_is_exit_2(tmp_path):
    path = with_scenarios(tmp_path, ["scenario", "target_pct"], ["a", 0.02])
    code, printed = in_process("scenarios", path, "-o", tmp_path / "out.xlsx", "--sweep", "horizon_years=1:3:1")
    assert code == 2 and "has a Scenarios sheet; --sweep is for a workbook without one" in printed
    plain = with_scenarios(tmp_path, ["scenario"])
    code, printed = in_process("scenarios", plain, "-o", tmp_path / "out.xlsx")
    assert code == 2 and "no scenarios to solve" in printed
    assert nothing_written(tmp_path)


def test_sweeps_step_inclusively_and_combine():
    assert steps(0.01, 0.05, 0.005) == [0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05]
    assert steps(1, 2, 0.3) == [1, 1.3, 1.6, 1.9]


def test_two_sweeps_give_every_combination_in_order(tmp_path):
    path = with_scenarios(tmp_path, ["scenario"])
    out = tmp_path / "out" / "tb.xlsx"
    code, printed = in_process("scenarios", path, "-o", out, "--sweep", "target_pct=0.01:0.02:0.01",
                               "--sweep", "horizon_years=2:3:1", "--workers", 2, "--json")
    assert code == 0, printed
    rows = json.loads(printed.strip().splitlines()[-1])
    assert [r["scenario"] for r in rows] == ["target_pct=0.01, horizon_years=2", "target_pct=0.01, horizon_years=3",
                                             "target_pct=0.02, horizon_years=2", "target_pct=0.02, horizon_years=3"]
    assert sorted(p.name for p in (tmp_path / "out" / "tb-plans").iterdir()) == sorted(f"{r['scenario']}.xlsx" for r in rows)
    assert "[1 of 4]" not in printed  # progress is for a terminal only
    sheet = openpyxl.load_workbook(out)["Scenarios"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["scenario", "target_pct", "horizon_years"]
    assert [c.value for c in sheet["C"][1:]] == [2, 3, 2, 3]
    # the net benefit against the first is live: 3 years of savings against 2, the same plan
    net = header.index("net_benefit_vs_first")
    assert sheet.cell(3, net + 1).value.startswith("=")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@slow
def test_an_unreachable_scheduler_is_exit_2_within_seconds_and_nothing_is_written(tmp_path):
    path = with_scenarios(tmp_path, ["scenario", "target_pct"], ["a", 0.02])
    address = f"tcp://127.0.0.1:{_free_port()}"
    code, printed = in_process("scenarios", path, "-o", tmp_path / "out.xlsx", "--scheduler", address)
    assert code == 2
    assert f"No Dask scheduler answered at {address} within 5 s" in printed and "nothing was written" in printed
    assert nothing_written(tmp_path)


def _on_a_terminal(args, cwd, until: str | None = None):
    """Run consolidate with standard error on a pseudo-terminal; with ``until``, Ctrl-C once that is printed."""
    main, side = pty.openpty()
    run = subprocess.Popen([sys.executable, "-m", "optimizer", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                           stderr=side, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True)
    os.close(side)
    seen = ""
    while True:
        try:
            chunk = os.read(main, 4096).decode()
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        seen += chunk
        if until and until in seen:
            run.send_signal(signal.SIGINT)
            until = None
    out, _ = run.communicate(timeout=120)
    os.close(main)
    return run.returncode, seen, out


@slow
def test_progress_on_a_terminal_and_ctrl_c_leaves_nothing(tmp_path):
    path = with_scenarios(tmp_path, ["scenario"])
    out = tmp_path / "out" / "tb.xlsx"
    code, terminal, _ = _on_a_terminal(["scenarios", path, "-o", out, "--sweep", "target_pct=0.01:0.03:0.01",
                                        "--workers", 2], tmp_path)
    assert code == 0, terminal
    assert "3 scenarios on 2 local workers" in terminal
    for n in (1, 2, 3):
        assert f"[{n} of 3] target_pct=0.0" in terminal
    assert ": optimal in " in terminal

    stopped = tmp_path / "stopped"
    stopped.mkdir()
    code, terminal, _ = _on_a_terminal(["scenarios", WEST_MIDLANDS, "-o", stopped / "wm.xlsx", "--sweep",
                                        "target_pct=0.01:0.05:0.01", "--workers", 2], stopped,
                                       until="5 scenarios on 2 local workers")
    assert code == 1, terminal
    assert "Stopped; nothing was written." in terminal
    assert list(stopped.iterdir()) == []
