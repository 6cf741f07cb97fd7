"""Reading, reporting and the command line load no solver: highspy and PuLP load only for a solve."""

from __future__ import annotations

import subprocess
import sys

from tests.support.paths import ROOT


def test_the_command_line_and_the_plan_load_no_solver():
    check = ("import sys, optimizer.cli, optimizer.plan, optimizer.report.workbook; "
             "loaded = {'highspy', 'pulp'} & set(sys.modules); assert not loaded, loaded")
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
