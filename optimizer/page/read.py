"""Reading a plan or scenarios workbook back for the page: its tables as cell values, checked.

The workbook is opened with the input reader's safe opener (size limits, no XML entities, cached values
of formulas), so the page shows the figures as the workbook holds them: the optimiser's own, or
Excel's after an edit and a save. A formula without a cached value cannot be shown, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from optimizer.workbook.inputs import InputError, Problem
from optimizer.workbook.source import ExcelError, RawSheet, Uncalculated, open_workbook

# The sheets each kind must have, with the columns the page reads (SPEC sections 3 and 5).
PLAN_SHEETS = {
    "Summary": ("metric", "value"),
    "Partnerships": ("partnership", "service", "councils", "partners", "annual_saving", "one_off_cost"),
    "Councils": ("council", "target", "saving_from_sharing", "saving_from_reductions", "total_saving",
                 "shortfall", "target_met"),
}
SCENARIO_SHEETS = {
    "Scenarios": ("scenario", "status", "total_annual_saving", "total_one_off_cost", "net_benefit",
                  "total_shortfall", "total_impact", "councils_meeting_target"),
    "Changes": ("scenario", "change", "service", "councils"),
}
INPUT_SHEETS = ("Councils", "Services", "Sharing")
# Shown as tables on the page, when present and laid out as one table from A1 (the others are reports).
PLAN_TABLES = ("Summary", "Partnerships", "Reductions", "Councils", "Council partners", "Membership",
               "Priorities", "Alternatives", "Alternative decisions", "Why infeasible")
SCENARIO_TABLES = ("Scenarios", "Changes")


@dataclass(frozen=True)
class Table:
    """One sheet's table: its header and rows of cell values (text, numbers, or an Excel error's code)."""

    sheet: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.header, row)) for row in self.rows]


@dataclass(frozen=True)
class Book:
    """A plan (``kind`` "plan") or scenarios ("scenarios") workbook, as the page needs it."""

    name: str
    kind: str
    tables: dict[str, Table]  # by sheet, in the order they are shown


def read_book(path: Path) -> Book:
    """The workbook's tables, or an InputError listing every problem (not a plan, a formula never calculated...)."""
    wanted = set(PLAN_TABLES) | set(SCENARIO_TABLES)
    source = open_workbook(path, lambda title: title in wanted or title in INPUT_SHEETS)
    kind = _kind(source.sheets)
    if kind is None:
        raise InputError([Problem(str(path), _not_ours(source.sheets))])
    required = PLAN_SHEETS if kind == "plan" else SCENARIO_SHEETS
    shown = PLAN_TABLES if kind == "plan" else SCENARIO_TABLES
    problems: list[Problem] = []
    tables = {}
    for title in shown:
        sheet = source.sheets.get(title)
        if sheet is None or (title not in required and not _is_table(sheet)):
            continue
        table = _table(sheet, required.get(title, ()), problems)
        if table is not None:
            tables[title] = table
    if problems:
        raise InputError(problems)
    return Book(path.name, kind, tables)


def _kind(sheets: dict[str, RawSheet]) -> str | None:
    def has(required: dict[str, tuple[str, ...]]) -> bool:
        return all(title in sheets and _header(sheets[title])[:1] == (columns[0],) for title, columns in required.items())

    if has(PLAN_SHEETS):
        return "plan"
    if has(SCENARIO_SHEETS):
        return "scenarios"
    return None


def _not_ours(sheets: dict[str, RawSheet]) -> str:
    what = ("this is an input workbook: run `consolidate run` on it first, then show the plan it writes"
            if all(title in sheets for title in INPUT_SHEETS) else
            "it has neither the Summary, Partnerships and Councils sheets of a plan nor the Scenarios and "
            "Changes sheets of a scenarios workbook")
    return f"not a plan or scenarios workbook written by consolidate: {what}"


def _header(sheet: RawSheet) -> tuple[str, ...]:
    first = sheet.rows[0] if sheet.rows else []
    names = [str(v).strip() if isinstance(v, str) else None for v in first]
    while names and names[-1] is None:
        names.pop()
    return tuple(name or "" for name in names)


def _is_table(sheet: RawSheet) -> bool:
    """A sheet laid out as one table from A1: a header of names, no title above it."""
    header = _header(sheet)
    return len(header) > 1 and all(header)


def _table(sheet: RawSheet, required: tuple[str, ...], problems: list[Problem]) -> Table | None:
    header = _header(sheet)
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(Problem(f"{sheet.title}!A1", f"the column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)} of a plan written by consolidate {'are' if len(missing) > 1 else 'is'} missing"))
        return None
    rows = []
    for r, raw in enumerate(sheet.rows[1:], start=2):
        row = [_value(sheet.title, r, c, raw[c - 1] if c - 1 < len(raw) else None, problems)
               for c in range(1, len(header) + 1)]
        if any(v is not None for v in row):
            rows.append(tuple(row))
    return Table(sheet.title, header, tuple(rows))


def _value(title: str, r: int, c: int, value: Any, problems: list[Problem]) -> Any:
    if isinstance(value, Uncalculated):
        problems.append(Problem(f"{title}!{get_column_letter(c)}{r}",
                                "a formula without its calculated value (the workbook was saved by a program "
                                "that does not calculate); open it in Excel or LibreOffice, save it, and run again"))
        return None
    if isinstance(value, ExcelError):
        return value.code
    return value
