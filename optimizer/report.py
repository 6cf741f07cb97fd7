"""The plan workbook of SPEC.md section 3: Summary, Partnerships, Reductions, Councils, Run info."""

from __future__ import annotations

import math
import platform
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import highspy
import pulp
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import __version__
from .files import save_workbook
from .plan import Plan

MONEY = "£#,##0"
PERCENT = "0.0%"
DECIMAL = "0.0"
GAP = "0.000%"

# column -> number format (text and counts need none)
FORMATS = {
    "annual_saving": MONEY,
    "one_off_cost": MONEY,
    "target": MONEY,
    "saving_from_sharing": MONEY,
    "saving_from_reductions": MONEY,
    "total_saving": MONEY,
    "shortfall": MONEY,
    "staff_reduction_fte": DECIMAL,
    "payback_years": DECIMAL,
    "reduction_pct": PERCENT,
    "impact": "0.00",
}
SUMMARY_FORMATS = {
    "gap": GAP,
    "total_annual_saving": MONEY,
    "total_one_off_cost": MONEY,
    "net_benefit": MONEY,
    "total_shortfall": MONEY,
    "total_impact": "0.00",
    "solve_seconds": "0.00",
}
STATUS_TEXT = {
    "optimal": "optimal: the best plan under the model, proven within the gap tolerance",
    "feasible": "feasible: the best plan found in the time allowed, not proven best (see gap)",
    "infeasible": "infeasible: no plan meets every hard target and required partnership",
    "no_solution": "no plan was found within the time limit",
}


def put(cell, value, number_format: str | None = None) -> None:
    """Write a value; text always as text, so a name such as '=HYPERLINK(...)' never becomes a formula."""
    if isinstance(value, float) and not math.isfinite(value):
        value = None  # e.g. the payback of a group that never pays back: blank, not an error cell
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    elif number_format and value is not None:
        cell.number_format = number_format


def write_table(sheet, header: Sequence[str], rows: Iterable[Sequence], formats=FORMATS) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(rows, start=2):
        for c, (name, value) in enumerate(zip(header, row), start=1):
            put(sheet.cell(row=r, column=c), value, formats.get(name))
    sheet.freeze_panes = "A2"
    for c, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = max(12, len(name) + 2)


def _yes_no(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


def summary_sheet(book: Workbook, plan: Plan) -> None:
    sheet = book.active
    sheet.title = "Summary"
    rows = list(plan.summary().items())
    rows.insert(1, ("status_explained", STATUS_TEXT[plan.status]))
    rows += [("input_file", plan.inputs.source_name), ("candidate_partnerships", plan.candidate_count)]
    rows += [("note", note) for note in plan.notes]
    sheet.append(["metric", "value"])
    sheet["A1"].font = sheet["B1"].font = Font(bold=True)
    for r, (metric, value) in enumerate(rows, start=2):
        put(sheet.cell(row=r, column=1), metric)
        put(sheet.cell(row=r, column=2), value, SUMMARY_FORMATS.get(metric))
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 70
    sheet.freeze_panes = "A2"


def partnerships_sheet(book: Workbook, plan: Plan) -> None:
    header = ("partnership", "service", "councils", "partners", "annual_saving", "one_off_cost",
              "staff_reduction_fte", "payback_years")
    rows = (
        (p.partnership, p.service, "; ".join(p.councils), len(p.councils), p.annual_saving, p.one_off_cost,
         p.staff_reduction_fte, p.payback_years)
        for p in plan.partnerships
    )
    write_table(book.create_sheet("Partnerships"), header, rows)


def reductions_sheet(book: Workbook, plan: Plan) -> None:
    header = ("council", "service", "reduction_pct", "annual_saving", "one_off_cost", "impact")
    rows = ((r.council, r.service, r.reduction_pct, r.annual_saving, r.one_off_cost, r.impact) for r in plan.reductions)
    write_table(book.create_sheet("Reductions"), header, rows)


def councils_sheet(book: Workbook, plan: Plan) -> None:
    header = ("council", "target", "saving_from_sharing", "saving_from_reductions", "total_saving", "shortfall",
              "target_met", "staff_reduction_fte", "one_off_cost")
    rows = (
        (c.council, c.target, c.saving_from_sharing, c.saving_from_reductions, c.total_saving, c.shortfall,
         _yes_no(c.target_met), c.staff_reduction_fte, c.one_off_cost)
        for c in plan.councils
    )
    write_table(book.create_sheet("Councils"), header, rows)


def run_info_sheet(book: Workbook, plan: Plan) -> None:
    """How the plan was made: versions, settings, what each aim proved, the end of the solver's log."""
    sheet = book.create_sheet("Run info")
    rows: list[tuple] = [
        ("input_file", plan.inputs.source_name),
        ("input_sha256", plan.inputs.source_sha256),
        ("optimiser_version", __version__),
        ("pulp_version", pulp.__version__),
        ("highspy_version", highspy.__version__ if hasattr(highspy, "__version__") else "installed"),
        ("python_version", platform.python_version()),
    ]
    rows += [(f"setting: {k}", v) for k, v in asdict(plan.inputs.settings).items()]
    for k, stage in enumerate(plan.stages, start=1):
        rows.append(
            (f"aim {k}: {stage.aim}", f"{stage.termination}; value {stage.value}; bound {stage.bound}; "
             f"gap {stage.gap:.6f}; {stage.seconds:.2f} s")
        )
    rows += [("solver log", line) for line in plan.log_tail]
    write_table(sheet, ("item", "value"), rows, formats={})
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100


SHEETS = (summary_sheet, partnerships_sheet, reductions_sheet, councils_sheet, run_info_sheet)


def plan_workbook(plan: Plan) -> Workbook:
    book = Workbook()
    for write in SHEETS:
        write(book, plan)
    return book


def write_plan(plan: Plan, path: Path, *, force: bool, input_path: Path) -> Path:
    return save_workbook(plan_workbook(plan), path, force=force, inputs=[input_path])
