"""A scenarios workbook as SPEC section 5 lays it out, for the page's tests (written here, not by the command)."""

from __future__ import annotations

from pathlib import Path

import openpyxl

SCENARIO_COLUMNS = ["scenario", "target_pct", "status", "gap", "total_annual_saving", "total_one_off_cost",
                    "net_benefit", "total_shortfall", "total_impact", "councils_meeting_target", "partnerships",
                    "solve_seconds", "plan_file"]
SCENARIO_ROWS = [
    ["target_pct=0.02", 0.02, "optimal", 0.0, 41_000_000.4, 82_000_000, 123_456_789.6, 0.0, 0.0, 3, 3, 1.5,
     "s-plans/target_pct=0.02.xlsx"],
    ["target_pct=0.04", 0.04, "optimal", 0.0, 39_500_000, 79_000_000, 118_500_000, 1_234_567.5, 12.5, 2, 2, 2.25,
     "s-plans/target_pct=0.04.xlsx"],
    ["target_pct=0.06", 0.06, "infeasible", None, None, None, None, None, None, None, None, 0.5,
     "s-plans/target_pct=0.06.xlsx"],
]
CHANGES = [["scenario", "change", "service", "councils"],
           ["target_pct=0.04", "dropped", "Cultural and related", "Hammersmith and Fulham; Westminster"],
           ["target_pct=0.04", "added", "Cultural and related", "Kensington and Chelsea; Westminster"]]


def scenarios_workbook(path: Path) -> Path:
    """A scenarios workbook as SPEC section 5 lays it out (the command that writes it is built elsewhere)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Scenarios"
    for row in [SCENARIO_COLUMNS, *SCENARIO_ROWS]:
        sheet.append(row)
    changes = book.create_sheet("Changes")
    for row in CHANGES:
        changes.append(row)
    book.save(path)
    return path


HOSTILE = 'Evil</script><script>alert(1)</script> & <b>Co</b> <a href="http://x.test/">x</a>'


def hostile_input(source: Path, path: Path, name: str = HOSTILE) -> Path:
    """The tri-borough input with Westminster renamed ``name`` in every sheet."""
    book = openpyxl.load_workbook(source)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "Westminster" in cell.value:
                    cell.value = cell.value.replace("Westminster", name)
    book.save(path)
    return path
