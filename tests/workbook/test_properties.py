"""Property: whatever lands in whichever cells of a valid workbook, `consolidate` answers with an exit code
of the spec (0 a plan, 2 unusable input, 3 infeasible), never a traceback, never a half-written file.

Most examples call the CLI in-process (``optimizer.cli.main`` with its output captured) to stay fast; a
few go through a real subprocess, as a user runs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from optimizer.workbook.template import write_template
from tests.support.commands import in_process

pytestmark = pytest.mark.slow

ALLOWED_EXITS = {0, 2, 3}
NAMES = ["Northshire", "Southshire", "Eastshire", "Revenues & Benefits", "candidate", "required", "never_together"]
ERRORS = ["#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
FORMULAS = ["=1/0", "=A1+B2", "=SUM(A:A)", '=IF(1,"","x")', "=NOW()", "=Sheet9!Z99"]
TEXTS = ["£1,200", "12%", " 300 ", "1\u00a0200", "1e999", "yes", "no", "TRUE", "-0", "1,5", "£1.2m", "  ", "nan",
         "inf", "Northshire ; Southshire", "\u2212 2.75"]


def legal_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)  # openpyxl cannot write the control characters XML forbids


CELL_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from([0, 1, 2, -1, 10**15, 10**30, 2**63, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-300, 5e-324, 1e300, 1.7976931348623157e308, 0.5, 0.12, 12.0, 100.0]),
    st.text(max_size=40).map(legal_text),
    st.sampled_from(NAMES + ERRORS + FORMULAS + TEXTS),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
)
SHEETS = ["Guide", "Councils", "Services", "Sharing", "Reductions", "Partnerships", "Rules", "Settings"]
EDITS = st.lists(
    st.tuples(st.sampled_from(SHEETS), st.integers(1, 6), st.integers(1, 9), CELL_VALUES), min_size=1, max_size=5)


@pytest.fixture(scope="module")
def template_bytes(tmp_path_factory) -> bytes:
    return write_template(tmp_path_factory.mktemp("template") / "template.xlsx").read_bytes()


def edited_workbook(template: bytes, edits, folder: Path) -> Path:
    book = openpyxl.load_workbook(io.BytesIO(template))
    for sheet, row, col, value in edits:
        book[sheet].cell(row=row, column=col, value=value)
    path = folder / "input.xlsx"
    book.save(path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_answer(code: int, printed: str, output: Path | None = None) -> None:
    assert code in ALLOWED_EXITS, printed
    assert "Traceback" not in printed and "internal error" not in printed, printed
    if output is not None:
        assert output.exists() == (code in (0, 3)), printed  # a plan (or its infeasibility) or nothing at all
        assert not [p for p in output.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_any_values_anywhere_give_a_clear_answer(template_bytes, edits):
    with tempfile.TemporaryDirectory() as folder:
        path = edited_workbook(template_bytes, edits, Path(folder))
        before = digest(path)
        code, printed = in_process("validate", path)
        check_answer(code, printed)
        output = Path(folder) / "plan.xlsx"
        # --time-limit: a random Settings time limit is still validated, but a tiny one would make
        # "no plan within the time limit" (exit 4) a correct answer; that is not what is tested here.
        run_code, run_printed = in_process("run", path, "-o", output, "--quiet", "--time-limit", "30")
        check_answer(run_code, run_printed, output)
        assert (code == 2) == (run_code == 2), (printed, run_printed)  # validate and run agree on the input
        assert digest(path) == before


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS)
def test_a_real_subprocess_gives_a_clear_answer(template_bytes, edits):
    with tempfile.TemporaryDirectory() as folder:
        path = edited_workbook(template_bytes, edits, Path(folder))
        output = Path(folder) / "plan.xlsx"
        done = subprocess.run([sys.executable, "-m", "optimizer", "run", str(path), "-o", str(output), "--quiet",
                               "--time-limit", "30"], capture_output=True, text=True, timeout=300)
        check_answer(done.returncode, done.stdout + done.stderr, output)
