"""A small valid workbook as raw rows (row 1 = header), for tests that change single cells."""

from __future__ import annotations

import copy
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

BASE = {
    "Councils": [
        ["council", "net_budget", "savings_target", "savings_target_pct", "latitude", "longitude"],
        ["Shropshire", 600e6, 1e6, None, 52.7, -2.75],
        ["Telford", 400e6, None, 0.01, 52.68, -2.45],
        ["Powys", 300e6, None, None, 52.3, -3.4],
    ],
    "Services": [
        ["council", "service", "annual_cost", "fte", "statutory", "protected", "shareable"],
        ["Shropshire", "Waste", 5e6, 40, "no", "no", "yes"],
        ["Telford", "Waste", 3e6, 30, "no", "no", "yes"],
        ["Powys", "Waste", 2e6, 20, "no", "no", "yes"],
        ["Shropshire", "Libraries", 1e6, 10, "yes", "no", "yes"],
        ["Telford", "Adult care", 9e6, 100, "yes", "yes", "no"],
    ],
    "Sharing": [
        ["service", "partners", "saving_pct", "one_off_pct", "staff_reduction_pct", "max_distance_km"],
        ["Waste", 2, 0.1, 0.2, None, 100],
        ["Waste", 3, 0.15, 0.3, 0.2, 100],
    ],
    "Reductions": [
        ["council", "service", "reduction_pct", "impact", "one_off_cost"],
        ["Shropshire", "Libraries", 0.2, 3, 10_000],
    ],
    "Partnerships": [
        ["partnership", "service", "councils", "status", "annual_saving", "one_off_cost", "staff_reduction_fte"],
        ["Shrop-Telford waste", "Waste", "Shropshire; Telford", "candidate", None, None, None],
    ],
    "Rules": [
        ["rule", "council_a", "council_b", "service"],
        ["never_together", "Shropshire", "Powys", None],
    ],
    "Settings": [
        ["setting", "value"],
        ["targets", "hard"],
        ["time_limit_s", 30],
    ],
}


def base() -> dict[str, list[list]]:
    return copy.deepcopy(BASE)


def put(sheets: dict, ref: str, value) -> dict:
    """Set one cell of the raw rows, e.g. put(sheets, 'Services!C3', 'abc')."""
    sheet, cell = ref.split("!")
    letters, row = coordinate_from_string(cell)
    col = column_index_from_string(letters)
    rows = sheets[sheet]
    while len(rows) < row:
        rows.append([])
    rows[row - 1].extend([None] * (col - len(rows[row - 1])))
    rows[row - 1][col - 1] = value
    return sheets


def write(tmp_path: Path, sheets: dict, name: str = "input.xlsx") -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path
