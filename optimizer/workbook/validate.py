"""Reading and checking the input workbook (SPEC.md section 1).

``load_workbook_inputs`` turns a workbook into :class:`~optimizer.workbook.inputs.Inputs` or raises
:class:`~optimizer.workbook.inputs.InputError` with *every* problem found, each located as ``Sheet!Cell``.
Sheets and columns come from ``optimizer.workbook.schema``; this module only adds the rules between cells,
rows and sheets. Reading happens in three steps:

1. ``open_workbook``: the file -> plain cell values (the one place that touches the file);
2. ``read_table``: one sheet -> rows of typed values, per-cell problems reported;
3. ``check_*``: rules across rows and sheets, and the records of ``inputs``.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from optimizer.workbook import package as xlsx_package
from optimizer.workbook import schema
from optimizer.workbook.inputs import (
    Council,
    InputError,
    Inputs,
    ListedPartnership,
    Problem,
    Reduction,
    Rule,
    Service,
    Settings,
    SharingTerms,
)
from optimizer.workbook.package import SAVE_AS, SheetLayout
from optimizer.workbook.schema import Column, Sheet, closest, match_name, normalise

SHEET_ORDER = {sheet.name: index for index, sheet in enumerate(schema.SHEETS)}


@dataclass(frozen=True)
class Loaded:
    inputs: Inputs
    warnings: list[Problem]


# ---------------------------------------------------------------------------------------------
# 1. The file


@dataclass(frozen=True)
class ExcelError:
    """A cell holding an Excel error value such as #REF!."""

    code: str


@dataclass(frozen=True)
class Uncalculated:
    """A formula cell without the value Excel calculated (e.g. written by a program, never opened)."""

    formula: str


@dataclass(frozen=True)
class RawSheet:
    title: str
    rows: list[list[Any]]  # cell values, with ExcelError / Uncalculated markers
    state: str = "visible"  # or "hidden", "veryHidden"
    layout: SheetLayout = SheetLayout()


@dataclass(frozen=True)
class Source:
    name: str
    sha256: str
    titles: list[str]  # every worksheet, in workbook order
    sheets: dict[str, RawSheet]  # the ones asked for, by title
    chart_sheets: tuple[str, ...] = ()  # sheets holding only a chart: never a table
    notes: tuple[str, ...] = ()  # about the whole workbook (macros, external links)


def open_workbook(path: str | Path, wanted: Callable[[str], bool] = lambda title: True) -> Source:
    """Read the cell values of the ``wanted`` sheets; any unreadable or hostile file is one clear problem.

    This is the only function that parses the file. Before openpyxl parses anything, the file is
    identified and the zip directory, the parts' DTDs and the wanted sheets' sizes are checked
    against the limits in ``xlsx_package``.
    """
    xlsx_package.ensure_safe_xml_parser()
    path = Path(path)
    data = xlsx_package.read_file(path)
    with xlsx_package.identify(path, data) as archive:
        xlsx_package.scan_parts(path, archive)
        notes = xlsx_package.package_notes(archive, path.suffix)
        values = _load(path, data, data_only=True)
        try:
            sheets = _guarded(path, lambda: _read_sheets(path, archive, data, values, wanted))
            titles = [ws.title for ws in values.worksheets]
            charts = tuple(cs.title for cs in values.chartsheets)
        finally:
            values.close()
    return Source(path.name, hashlib.sha256(data).hexdigest(), titles, sheets, charts, tuple(notes))


def _read_sheets(path: Path, archive, data: bytes, values, wanted: Callable[[str], bool]) -> dict[str, RawSheet]:
    chosen = [ws for ws in values.worksheets if wanted(ws.title)]
    layouts = _layouts(path, archive, chosen)  # sizes checked before any sheet is parsed
    formulas = _load(path, data, data_only=False)  # to tell 'formula never calculated' from blank
    try:
        by_title = {ws.title: ws for ws in formulas.worksheets}
        budget = _CellBudget(path)
        return {ws.title: RawSheet(ws.title, _merge_rows(ws, by_title[ws.title], budget), ws.sheet_state,
                                   layouts[ws.title])
                for ws in chosen}
    finally:
        formulas.close()


def _layouts(path: Path, archive, worksheets) -> dict[str, SheetLayout]:
    layouts, cells_left = {}, xlsx_package.MAX_CELLS
    for ws in worksheets:
        member = getattr(ws, "_worksheet_path", None)  # openpyxl's read-only sheet knows its part
        try:
            layout = xlsx_package.sheet_layout(archive, member, cells_left) if member else SheetLayout()
        except xlsx_package.SheetRefused as refused:
            raise xlsx_package.file_problem(path, f"the sheet '{ws.title}' {refused}; it was not read") from None
        layouts[ws.title] = layout
        cells_left -= layout.cells
    return layouts


def _guarded(path: Path, read: Callable[[], Any]) -> Any:
    """Run ``read``; a failure inside a valid zip (a damaged or crafted sheet) becomes one problem."""
    try:
        return read()
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, XML errors...)
        raise xlsx_package.file_problem(path, _unreadable(exc)) from None


def _unreadable(exc: BaseException) -> str:
    if _is_defused_refusal(exc):  # the inner defence: defusedxml met a DTD the scan did not see
        return ("declares XML entities, which no spreadsheet program writes and which is how XML entity "
                f"attacks work; it was not opened. If it is genuine, {SAVE_AS} again")
    return f"could not be read as a workbook ({_reason(exc)}); {SAVE_AS}"


def _is_defused_refusal(exc: BaseException | None) -> bool:
    from defusedxml import DefusedXmlException

    while exc is not None:  # openpyxl re-raises parse errors as ValueError 'from' the original
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__


def _load(path: Path, data: bytes, *, data_only: bool):
    def load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops; irrelevant here
            # keep_links=False: external links are noted from the zip, never parsed; keep_vba stays
            # False, so macros are neither loaded nor kept.
            return load_workbook(io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False)

    return _guarded(path, load)


class _CellBudget:
    """The cells read so far, in all sheets: openpyxl pads each row to its last cell, which the size
    check before parsing cannot see (one value in column XFD makes a row of 16,384 cells)."""

    def __init__(self, path: Path):
        self.path, self.left = path, xlsx_package.MAX_CELLS

    def spend(self, title: str, row_number: int, cells: int) -> None:
        self.left -= cells
        if self.left < 0 or row_number > xlsx_package.MAX_ROWS:
            raise xlsx_package.file_problem(
                self.path, f"the sheet '{title}' goes beyond the {xlsx_package.MAX_CELLS:,} cells and "
                           f"{xlsx_package.MAX_ROWS:,} rows the optimiser reads (at row {row_number:,}); delete "
                           "unused rows and columns (Ctrl+End shows the last cell Excel keeps)")


def _merge_rows(values_ws, formula_ws, budget: _CellBudget) -> list[list[Any]]:
    for ws in (values_ws, formula_ws):
        ws.reset_dimensions()  # the stored size can be wrong; read every cell there is
    rows = []
    for number, row in enumerate(values_ws.iter_rows(), start=1):
        budget.spend(values_ws.title, number, len(row))
        rows.append([_cell_value(cell) for cell in row])
    for r, formula_row in enumerate(formula_ws.iter_rows()):
        for c, cell in enumerate(formula_row):
            formula = _formula_text(cell)
            if formula is not None and _value_at(rows, r, c) is None:
                _put(rows, r, c, Uncalculated(formula))
    return rows


def _cell_value(cell) -> Any:
    if cell.data_type == "e":
        return ExcelError(str(cell.value))
    if cell.data_type == "str" and cell.value is None:
        return ""  # a formula Excel calculated as "" (e.g. =IF(A2="","",A2)): blank, not uncalculated
    return cell.value


def _formula_text(cell) -> str | None:
    value = cell.value
    if cell.data_type == "f" and isinstance(value, str):
        return value
    text = getattr(value, "text", None)  # ArrayFormula
    return f"={text.lstrip('=')}" if isinstance(text, str) else None


def _value_at(rows: list[list[Any]], r: int, c: int) -> Any:
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else None


def _put(rows: list[list[Any]], r: int, c: int, value: Any) -> None:
    while len(rows) <= r:
        rows.append([])
    rows[r].extend([None] * (c + 1 - len(rows[r])))
    rows[r][c] = value


# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Loc:
    """A place in the workbook; sorts in workbook order (sheet, row, column)."""

    sheet: str  # schema sheet name, for ordering
    title: str  # as spelled in the file, for display
    row: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.row:
            return self.title
        return f"{self.title}!{get_column_letter(self.col or 1)}{self.row}"

    @property
    def key(self) -> tuple[int, int, int]:
        order = SHEET_ORDER.get(self.sheet, len(SHEET_ORDER)) if self.sheet else -1  # whole workbook first
        return order, self.row, self.col


@dataclass
class Report:
    errors: list[tuple[Loc, str]] = field(default_factory=list)
    notes: list[tuple[Loc, str]] = field(default_factory=list)

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append((loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.notes.append((loc, message))

    @staticmethod
    def _sorted(items: list[tuple[Loc, str]]) -> list[Problem]:
        ordered = sorted(items, key=lambda item: item[0].key)  # stable: same cell keeps found order
        return [Problem(str(loc), message) for loc, message in ordered]

    def problems(self) -> list[Problem]:
        return self._sorted(self.errors)

    def warnings(self) -> list[Problem]:
        return self._sorted(self.notes)


# ---------------------------------------------------------------------------------------------
# Cell values


class Invalid(Exception):
    """A cell value that cannot be used; the message says what was expected and what was found."""


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width, pasted from web pages


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.translate(_INVISIBLE).strip())


def clean_name(text: str) -> str:
    """Names match after trimming and collapsing inner spaces (non-breaking ones too)."""
    return " ".join(str(text).translate(_INVISIBLE).split())


def shown(value: Any) -> str:
    """A found value, as the user would recognise it (long text cut short)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        number = finite(value)
        if number is None:  # inf, nan, or an integer beyond any float
            return f"a {len(str(abs(value)))}-digit number" if isinstance(value, int) else str(value)
        return schema.format_number(number) if abs(number) < 1e15 else f"{number:.6g}"
    if isinstance(value, (datetime, date, time, timedelta)):
        return f"a date or time ({value})"
    return f"'{_cut(str(value).strip(), 80)}'"


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else f"{text[:length - 1]}…"


def finite(value: int | float) -> float | None:
    """The number as a float, or None when it is infinite, not a number or too big for a float."""
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return None
    return number if math.isfinite(number) else None


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f\u2009]\d{3})+(\.\d*)?")  # 1 200 000, as typed in Europe
_MULTIPLIERS = {"k": 1e3, "m": 1e6, "bn": 1e9}  # £250k, £1.2m, £3bn: how UK finance writes money
_MULTIPLIED = re.compile(r"(?P<number>.*?\d)\s*(?P<unit>k|m|bn)", re.IGNORECASE)


def to_number(value: Any, *, pounds: bool = False, percent: bool = False) -> float | None:
    """A number from a cell, accepting text like ` 1,200 `, `£1,200`, `£1.2m` and (for fractions) `12%`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return finite(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u2212", "-")  # the minus sign copied from web pages
    factor, divisor = 1.0, 1.0
    if percent and text.endswith("%"):
        text, divisor = text[:-1].strip(), 100.0
    if pounds:
        text = re.sub(r"^([+-]?)\s*£\s*", r"\1", text)
        multiplied = _MULTIPLIED.fullmatch(text)
        if multiplied:
            text, factor = multiplied["number"], _MULTIPLIERS[multiplied["unit"].lower()]
    if _GROUPED.fullmatch(text):  # thousands separators only; `1,5` stays ambiguous
        text = text.replace(",", "")
    elif _SPACE_GROUPED.fullmatch(text):
        text = re.sub(r"[ \u00a0\u202f\u2009]", "", text)
    if not _NUMBER.fullmatch(text):
        return None
    return finite(float(text) * factor / divisor)


def parse_cell(column: Column, value: Any) -> Any:
    """The typed value of one cell (the column's default when blank); raises Invalid."""
    label = column.message_label
    if column.kind == "any" or column.unread:
        return value  # typed later (a Settings value depends on the setting), or never used
    if isinstance(value, ExcelError):
        raise Invalid(f"{label} holds the Excel error {value.code} where {column.expectation} is expected; correct "
                      "the formula or type the value")
    if isinstance(value, Uncalculated):
        raise Invalid(f"{label} is the formula {value.formula} with no calculated value; open the workbook "
                      "in Excel and save it so the value is calculated, or type the value")
    if is_blank(value):
        if column.required:
            raise Invalid(f"{label} is required; found a blank cell")
        return column.default
    return _PARSERS[column.kind](column, value)


def _must_be(column: Column, value: Any) -> Invalid:
    return Invalid(f"{column.message_label} must be {column.expectation}; found {shown(value)}")


def _text(column: Column, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _must_be(column, value)
    return clean_name(shown(value).strip("'") if not isinstance(value, str) else value)


def _names(column: Column, value: Any) -> tuple[str, ...]:
    return tuple(clean_name(part) for part in _text(column, value).split(";") if part.strip())


def _ranged(column: Column, value: Any, number: float | None) -> float:
    if number is None or not column.in_range(number):
        raise _fraction_hint(column, value, number) or _must_be(column, value)
    if abs(number) > column.plausible_limit:
        raise Invalid(f"{column.message_label} is far too large to be right: expected {column.expectation}, at most "
                      f"{column.plausible_limit:,.0f} (check the units); found {shown(value)}")
    return number


def _fraction_hint(column: Column, value: Any, number: float | None) -> Invalid | None:
    """12 in a 0..1 column is almost surely 12 %: say so."""
    typed_as_percent = isinstance(value, str) and value.strip().endswith("%")
    if column.kind != "fraction" or column.maximum != 1 or number is None or not 1 < number <= 100 \
            or typed_as_percent:
        return None
    return Invalid(f"{column.message_label}: expected {column.expectation} ({shown(number)} % is "
                   f"{shown(round(number / 100, 10))}); found {shown(value)}")


def _money(column: Column, value: Any) -> float:
    return _ranged(column, value, to_number(value, pounds=True))


def _fraction(column: Column, value: Any) -> float:
    return _ranged(column, value, to_number(value, percent=True))


def _number(column: Column, value: Any) -> float:
    return _ranged(column, value, to_number(value))


def _integer(column: Column, value: Any) -> int:
    number = to_number(value)
    if number is None or not number.is_integer():
        raise _must_be(column, value)
    return int(_ranged(column, value, number))


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _yesno(column: Column, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = shown(value) if isinstance(value, (int, float)) else str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _must_be(column, value)


def _choice(column: Column, value: Any) -> str:
    key = normalise(value) if isinstance(value, str) else None
    if key not in column.choices:
        raise _must_be(column, value)
    return key


_PARSERS: dict[str, Callable[[Column, Any], Any]] = {
    "text": _text, "names": _names, "money": _money, "fraction": _fraction, "number": _number,
    "integer": _integer, "yesno": _yesno, "choice": _choice,
}


# ---------------------------------------------------------------------------------------------
# 2. One sheet


@dataclass
class Row:
    table: Table
    number: int
    raw: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)  # only the cells that were valid

    def ok(self, *names: str) -> bool:
        return all(name in self.values for name in names)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def at(self, name: str) -> Loc:
        return self.table.loc(self.number, name)

    @property
    def complete(self) -> bool:
        return self.ok(*self.table.sheet.column_names)


@dataclass
class Table:
    sheet: Sheet
    title: str
    header_row: int = 0
    positions: dict[str, int] = field(default_factory=dict)  # column -> index, real or where it would go
    present: set[str] = field(default_factory=set)
    rows: list[Row] = field(default_factory=list)

    merged: tuple[tuple[int, int, int, int], ...] = ()  # (first row, first column, last row, last column)

    def loc(self, row: int, name: str | None = None) -> Loc:
        return Loc(self.sheet.name, self.title, row, self.positions.get(name, 1) if name else 1)

    def loc_at(self, row: int, col: int) -> Loc:
        return Loc(self.sheet.name, self.title, row, col)

    def merged_away(self, row: int, col: int) -> bool:
        """Whether the cell is part of a merge but not its first cell (so it is blank)."""
        return any(r1 <= row <= r2 and c1 <= col <= c2 and (row, col) != (r1, c1)
                   for r1, c1, r2, c2 in self.merged)


def read_table(raw: RawSheet | None, sheet: Sheet, report: Report) -> Table:
    """The typed rows of one sheet; a missing or empty sheet gives a table without rows."""
    table = Table(sheet, raw.title if raw else sheet.name)
    if raw is None:
        return table
    header_index = next((i for i, row in enumerate(raw.rows) if not all(map(is_blank, row))), None)
    if header_index is None:
        if not sheet.optional:
            report.error(table.loc(1), f"the sheet is empty; expected a header row with the columns "
                                       f"{', '.join(c.header for c in sheet.columns if c.required)}")
        return table
    table.header_row = header_index + 1
    table.merged = raw.layout.merged
    _map_header(table, raw.rows[header_index], report)
    for index in range(header_index + 1, len(raw.rows)):
        _read_row(table, index + 1, raw.rows[index], report)
    _check_merged(table, len(raw.rows), report)
    _note_hidden(table, raw.layout, report)
    return table


def _check_merged(table: Table, last_row: int, report: Report) -> None:
    """Merged cells inside the table hide values (only the first cell of a merge keeps one)."""
    columns = {table.positions[name] for name in table.present}
    for first_row, first_col, end_row, end_col in table.merged:
        inside = first_row <= last_row and end_row >= table.header_row and any(
            first_col <= col <= end_col for col in columns)
        if inside:
            cells = f"{get_column_letter(first_col)}{first_row}:{get_column_letter(end_col)}{end_row}"
            report.error(table.loc_at(first_row, first_col), f"cells {cells} are merged inside the table; unmerge "
                         "them (Home > Merge & Center) and give each cell its own value")


def _note_hidden(table: Table, layout: SheetLayout, report: Report) -> None:
    """Hidden rows and columns are read like any others, so the user should know they are there."""
    hidden = sorted(row.number for row in table.rows if row.number in layout.hidden_rows)
    if hidden:
        noun = "row of the table is" if len(hidden) == 1 else "rows of the table are"
        report.warn(table.loc_at(hidden[0], 1), f"{len(hidden)} {noun} hidden ({_spans(hidden)}) but read like "
                    "any other; unhide them (or clear the filter) to check them")
    for name in sorted(table.present, key=table.positions.get):
        if table.positions[name] in layout.hidden_columns:
            report.warn(table.loc(table.header_row, name), f"column '{table.sheet.column(name).header}' is "
                        "hidden but read like any other; unhide it to check it")


def _spans(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> 'rows 3-5, 9' (at most five spans, then a count)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    text = [f"{a}-{b}" if b > a else f"{a}" for a, b in spans[:5]]
    more = f" and {len(spans) - 5} more" if len(spans) > 5 else ""
    return f"{'rows' if len(numbers) > 1 else 'row'} {', '.join(text)}{more}"


def _map_header(table: Table, cells: list[Any], report: Report) -> None:
    sheet, unknown = table.sheet, {}
    for col, value in enumerate(cells, start=1):
        if is_blank(value) or isinstance(value, (ExcelError, Uncalculated)):
            continue
        name = match_name(value, sheet.column_names)
        if name is None:
            unknown[col] = str(value).strip()
        elif name in table.present:
            first = table.loc(table.header_row, name)
            report.error(Loc(sheet.name, table.title, table.header_row, col),
                         f"column '{sheet.column(name).header}' appears twice (also {first}); delete one")
        else:
            table.present.add(name)
            table.positions[name] = col
    missing = [c for c in sheet.columns if c.name not in table.present]
    for offset, column in enumerate(missing, start=1):  # where the column would be added
        table.positions[column.name] = len(cells) + offset
    _report_header(table, missing, unknown, report)


def _report_header(table: Table, missing: list[Column], unknown: dict[int, str], report: Report) -> None:
    row, sheet_name = table.header_row, table.sheet.name
    near = {col: closest(normalise(text), [c.name for c in missing]) for col, text in unknown.items()}
    hinted = set()
    for column in (c for c in missing if c.required):
        col = next((col for col, name in near.items() if name == column.name), None)
        hint = f"; did you mean '{unknown[col]}'?" if col else ""
        hinted.add(col)
        where = Loc(sheet_name, table.title, row, col or table.positions[column.name])
        report.error(where, f"required column '{column.header}' ({column.name}) is missing{hint}")
    for col, text in ((col, text) for col, text in unknown.items() if col not in hinted):
        hint = f"; did you mean '{table.sheet.column(near[col]).header}'?" if near[col] else ""
        report.warn(Loc(sheet_name, table.title, row, col), f"column '{text}' is not used and was ignored{hint}")


def _read_row(table: Table, number: int, cells: list[Any], report: Report) -> None:
    raw = {name: _value_at([cells], 0, table.positions[name] - 1) for name in table.present}
    if all(map(is_blank, raw.values())):
        return  # empty rows, and rows holding only notes in ignored columns, are skipped
    row = Row(table, number, raw)
    for column in table.sheet.columns:
        if column.name not in table.present:
            if not column.required:  # a missing required column is reported once, on the header
                row.values[column.name] = column.default
            continue
        try:
            row.values[column.name] = parse_cell(column, raw[column.name])
        except Invalid as problem:
            if not table.merged_away(number, table.positions[column.name]):  # the merge is reported once
                report.error(row.at(column.name), str(problem))
    table.rows.append(row)


# ---------------------------------------------------------------------------------------------
# 3. The workbook


def load_workbook_inputs(path: str | Path) -> Loaded:
    """Read and check an input workbook; raises InputError listing every problem, in workbook order."""
    source = open_workbook(path, wanted=lambda title: _sheet_for(title) is not None)
    report = Report()
    for note in source.notes:
        report.warn(Loc("", source.name), note)
    tables = _read_tables(source, report)
    inputs = _check(tables, report)
    if report.errors:
        raise InputError(report.problems(), report.warnings())
    inputs = replace(inputs, source_name=source.name, source_sha256=source.sha256)
    return Loaded(inputs, report.warnings())


def _sheet_for(title: str) -> Sheet | None:
    name = match_name(title, [normalise(s.name) for s in schema.SHEETS])
    return next((s for s in schema.SHEETS if normalise(s.name) == name), None) if name else None


def _read_tables(source: Source, report: Report) -> dict[str, Table]:
    found: dict[str, str] = {}
    for title in source.titles:
        sheet = _sheet_for(title)
        if sheet is None:
            _note_ignored_sheet(title, report)
        elif sheet.name in found:
            report.error(Loc(sheet.name, title), f"sheets '{found[sheet.name]}' and '{title}' are both "
                                                 f"the {sheet.name} sheet; rename or delete one")
        else:
            found[sheet.name] = title
            _check_visible(sheet, source.sheets.get(title), report)
    _check_chart_sheets(source, found, report)
    tables = {}
    for sheet in schema.SHEETS:
        raw = source.sheets.get(found[sheet.name]) if sheet.name in found else None
        tables[sheet.name] = read_table(raw, sheet, report)
    ignored = [t for t in source.titles if _sheet_for(t) is None]
    for sheet in (s for s in schema.SHEETS if not s.optional and s.name not in found):
        near = closest(sheet.name, ignored, cutoff=0.75)
        hint = f"; did you mean the sheet '{near}'? Rename it '{sheet.name}'" if near else ""
        report.error(Loc(sheet.name, sheet.name), f"required sheet '{sheet.name}' is missing{hint}")
    return tables


def _check_visible(sheet: Sheet, raw: RawSheet | None, report: Report) -> None:
    """A hidden sheet would be read without anyone seeing what is read."""
    if raw is not None and raw.state != "visible":
        how = "right-click any sheet tab > Unhide" if raw.state == "hidden" else \
            "it is 'very hidden': set its Visible property in the VBA editor (Alt+F11)"
        report.error(Loc(sheet.name, raw.title), f"the sheet '{raw.title}' is hidden; unhide it ({how}) so that "
                                                 "what is read can be checked, or delete it")


def _check_chart_sheets(source: Source, found: dict[str, str], report: Report) -> None:
    for title in source.chart_sheets:
        sheet = _sheet_for(title)
        if sheet is not None and sheet.name not in found:
            found[sheet.name] = title  # reported here, not again as missing
            report.error(Loc(sheet.name, title), f"the sheet '{title}' is a chart sheet; the {sheet.name} table "
                                                 "must be on an ordinary worksheet")


def _note_ignored_sheet(title: str, report: Report) -> None:
    if normalise(title) in {normalise(t) for t in schema.AUXILIARY_SHEETS}:
        return
    near = closest(title, [s.name for s in schema.SHEETS], cutoff=0.75)
    if near:  # a misspelt optional sheet would otherwise vanish without a word
        report.warn(Loc(near, title), f"sheet '{title}' is not used and was ignored; did you mean '{near}'?")


def _suggest(name: str, names: Iterable[str]) -> str:
    near = closest(name, names)
    return f"; did you mean '{near}'?" if near else ""


@dataclass
class Checked:
    """What the later checks need to know about the earlier sheets."""

    council_rows: dict[str, Row] = field(default_factory=dict)  # first row of each valid name
    service_rows: dict[tuple[str, str], Row] = field(default_factory=dict)
    service_names: dict[str, None] = field(default_factory=dict)  # ordered set
    sharing_sizes: set[tuple[str, int]] = field(default_factory=set)
    rules: list[Rule] = field(default_factory=list)
    # Whether a sheet's key columns could be read at all. When not, that is reported once and
    # the checks that look things up in it are skipped, rather than failing on every row.
    councils_readable: bool = False
    services_readable: bool = False
    sharing_readable: bool = False
    unsized_services: set[str] = field(default_factory=set)  # a Sharing row's size was unreadable


def _check(tables: dict[str, Table], report: Report) -> Inputs:
    known = Checked(
        councils_readable="council" in tables["Councils"].present,
        services_readable={"council", "service"} <= tables["Services"].present,
        sharing_readable={"service", "partners"} <= tables["Sharing"].present,
    )
    councils = _check_councils(tables["Councils"], known, report)
    services = _check_services(tables["Services"], known, report)
    sharing = _check_sharing(tables["Sharing"], known, report)
    reductions = _check_reductions(tables["Reductions"], known, report)
    rules = _check_rules(tables["Rules"], known, report)
    partnerships = _check_partnerships(tables["Partnerships"], known, report)
    settings = _check_settings(tables["Settings"], report)
    return Inputs(tuple(councils), tuple(services), tuple(sharing), tuple(reductions),
                  tuple(partnerships), tuple(rules), settings)


def _check_councils(table: Table, known: Checked, report: Report) -> list[Council]:
    if table.header_row and not table.rows and "council" in table.present:
        report.error(table.loc(table.header_row + 1, "council"), "no councils are listed; add one row per council")
    councils = []
    for row in table.rows:
        fine = _unique_council(row, known, report)
        fine &= _one_target(row, report)
        fine &= _both_coordinates(row, report)
        if fine and row.complete:
            councils.append(_council(row))
    return councils


def _unique_council(row: Row, known: Checked, report: Report) -> bool:
    if not row.ok("council"):
        return False
    first = known.council_rows.setdefault(row["council"], row)
    if first is not row:
        report.error(row.at("council"), f"council '{row['council']}' is listed twice (also {first.at('council')})")
        return False
    return True


def _one_target(row: Row, report: Report) -> bool:
    both = row.ok("savings_target", "savings_target_pct") and None not in (
        row["savings_target"], row["savings_target_pct"])
    if both:
        report.error(row.at("savings_target_pct"), "give the savings target in £ or as a share of the net "
                     f"budget, not both; found {shown(row['savings_target'])} and "
                     f"{shown(row['savings_target_pct'])}")
    return not both


def _both_coordinates(row: Row, report: Report) -> bool:
    if not row.ok("latitude", "longitude"):
        return True
    for given, blank in (("latitude", "longitude"), ("longitude", "latitude")):
        if row[given] is not None and row[blank] is None:
            report.error(row.at(blank), f"{blank} is blank but {given} is given; give both or neither")
            return False
    return True


def _council(row: Row) -> Council:
    pct, target = row["savings_target_pct"], row["savings_target"]
    if target is None and pct is not None:
        target = pct * row["net_budget"]
    return Council(row["council"], row["net_budget"], target, row["latitude"], row["longitude"],
                   row["max_staff_reduction_pct"], row["max_shared_services"])


def _check_services(table: Table, known: Checked, report: Report) -> list[Service]:
    if table.header_row and not table.rows and "council" in table.present:
        report.error(table.loc(table.header_row + 1, "council"), "no services are listed; add one row per "
                                                                 "council and service")
    services = []
    for row in table.rows:
        if row.ok("service"):
            known.service_names.setdefault(row["service"])
        fine = _known_council(row, "council", known, report)
        if row.ok("council", "service"):
            key = (row["council"], row["service"])
            first = known.service_rows.setdefault(key, row)
            if first is not row:
                report.error(row.at("service"), f"'{key[0]}' has two rows for '{key[1]}' (also "
                                                f"{first.at('service')}); keep one")
                fine = False
        if fine and row.complete:
            services.append(Service(**{name: row[name] for name in table.sheet.column_names}))
    return services


def _known_council(row: Row, column: str, known: Checked, report: Report) -> bool:
    if not row.ok(column):
        return False
    name = row[column]
    if known.councils_readable and name not in known.council_rows:
        report.error(row.at(column), f"council '{name}' is not in Councils{_suggest(name, known.council_rows)}")
        return False
    return True


def _known_service(row: Row, column: str, known: Checked, report: Report) -> bool:
    if not row.ok(column) or row[column] is None:
        return row.ok(column)
    name = row[column]
    if known.services_readable and name not in known.service_names:
        report.error(row.at(column), f"service '{name}' is not named in Services"
                                     f"{_suggest(name, known.service_names)}")
        return False
    return True


def _check_sharing(table: Table, known: Checked, report: Report) -> list[SharingTerms]:
    terms, first_rows = [], {}
    for row in table.rows:
        fine = _known_service(row, "service", known, report)
        if row.ok("service", "partners"):
            key = (row["service"], row["partners"])
            first = first_rows.setdefault(key, row)
            known.sharing_sizes.add(key)
            if first is not row:
                report.error(row.at("partners"), f"'{key[0]}' has two rows for {key[1]} partners (also "
                                                 f"{first.at('partners')}); keep one")
                fine = False
        elif row.ok("service"):
            known.unsized_services.add(row["service"])
        if fine and row.complete:
            terms.append(SharingTerms(**{name: row[name] for name in table.sheet.column_names}))
    _check_located(table, known, report)
    return terms


def _check_located(table: Table, known: Checked, report: Report) -> None:
    """A distance limit needs the place of every council that could share that service."""
    limited: dict[str, Row] = {}  # service -> its first row with a limit
    for row in table.rows:
        if row.ok("service", "max_distance_km") and row["max_distance_km"] is not None:
            limited.setdefault(row["service"], row)
    needs: dict[str, list[str]] = {}
    for (council, service), service_row in known.service_rows.items():
        if service in limited and service_row.ok("shareable") and service_row["shareable"]:
            needs.setdefault(council, []).append(service)
    for council, services in needs.items():
        row = known.council_rows.get(council)
        if row is None or not row.ok("latitude", "longitude"):
            continue
        if row["latitude"] is None and row["longitude"] is None:
            first = limited[services[0]]
            report.error(row.at("latitude"), f"'{council}' needs a latitude and longitude: it may share "
                         f"{_listed(services)}, which has a distance limit ({first.at('max_distance_km')})")


def _listed(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names[:3]] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
    return ", ".join(quoted)


def _check_reductions(table: Table, known: Checked, report: Report) -> list[Reduction]:
    reductions = []
    for row in table.rows:
        fine = _known_council(row, "council", known, report) and _reducible(row, known, report)
        if fine and row.complete:
            reductions.append(Reduction(row["council"], row["service"], row["reduction_pct"], row["impact"],
                                        row["one_off_cost"], row=row.number))
    return reductions


def _reducible(row: Row, known: Checked, report: Report) -> bool:
    if not row.ok("service"):
        return False
    council, service = row["council"], row["service"]
    service_row = known.service_rows.get((council, service))
    if service_row is None and not known.services_readable:
        return True
    if service_row is None:
        own = [s for c, s in known.service_rows if c == council]
        report.error(row.at("service"), f"'{council}' has no Services row for '{service}'{_suggest(service, own)}")
        return False
    if service_row.ok("protected") and service_row["protected"]:
        report.error(row.at("service"), f"'{service}' of '{council}' is protected ({service_row.at('protected')}) "
                                        "and cannot be reduced")
        return False
    if service_row.ok("statutory") and service_row["statutory"] and row.ok("reduction_pct") \
            and row["reduction_pct"] == 1:
        report.error(row.at("reduction_pct"), f"'{service}' of '{council}' is statutory "
                     f"({service_row.at('statutory')}) and cannot be stopped; a reduction must be below 1 (100%)")
        return False
    return True


def _check_rules(table: Table, known: Checked, report: Report) -> list[Rule]:
    for row in table.rows:
        fine = _known_council(row, "council_a", known, report)
        fine &= _known_council(row, "council_b", known, report)
        if fine and row["council_a"] == row["council_b"]:
            report.error(row.at("council_b"), f"a rule needs two different councils; found '{row['council_b']}' twice")
            fine = False
        fine &= _known_service(row, "service", known, report)
        if fine and row.complete:
            known.rules.append(Rule(row["council_a"], row["council_b"], row["service"]))
    return known.rules


def _check_partnerships(table: Table, known: Checked, report: Report) -> list[ListedPartnership]:
    partnerships, names, groups = [], {}, {}
    for row in table.rows:
        fine = _unique(row, "partnership", names, report)
        service_known = _known_service(row, "service", known, report)
        fine &= service_known
        if row.ok("councils"):
            fine &= _members(row, known, report, service_known)
        if fine and row.ok("service", "councils"):
            fine &= _new_group(row, groups, report)
            if row.ok("status") and row["status"] != "excluded":
                fine &= _allowed_together(row, known, report) & _has_figures(row, known, report)
        if fine and row.complete:
            partnerships.append(ListedPartnership(
                row["partnership"], row["service"], _distinct(row["councils"]), row["status"],
                row["annual_saving"], row["one_off_cost"], row["staff_reduction_fte"]))
    return partnerships


def _distinct(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _unique(row: Row, column: str, seen: dict[str, Row], report: Report) -> bool:
    if not row.ok(column):
        return False
    first = seen.setdefault(row[column], row)
    if first is not row:
        report.error(row.at(column), f"'{row[column]}' is listed twice (also {first.at(column)})")
        return False
    return True


def _members(row: Row, known: Checked, report: Report, service_known: bool) -> bool:
    names, members = row["councils"], _distinct(row["councils"])
    if len(members) < 2:
        report.error(row.at("councils"), "councils must name at least two different councils, separated by "
                                         f"';'; found {shown(row.raw['councils'])}")
        return False
    if len(members) < len(names):
        report.warn(row.at("councils"), "a council is named twice; counted once")
    fine = True
    for name in members:
        if known.councils_readable and name not in known.council_rows:
            report.error(row.at("councils"), f"council '{name}' is not in Councils"
                                             f"{_suggest(name, known.council_rows)}")
            fine = False
    if not service_known:
        return False
    for name in (m for m in members if m in known.council_rows or not known.councils_readable):
        fine &= _shares(row, name, known, report)
    return fine


def _shares(row: Row, council: str, known: Checked, report: Report) -> bool:
    service = row["service"]
    service_row = known.service_rows.get((council, service))
    if service_row is None and not known.services_readable:
        return True
    if service_row is None:
        report.error(row.at("councils"), f"'{council}' has no Services row for '{service}'")
        return False
    if service_row.ok("shareable") and not service_row["shareable"]:
        report.error(row.at("councils"), f"'{council}' does not share '{service}' "
                                         f"(shareable is no at {service_row.at('shareable')})")
        return False
    return True


def _new_group(row: Row, groups: dict[tuple[str, frozenset[str]], Row], report: Report) -> bool:
    first = groups.setdefault((row["service"], frozenset(row["councils"])), row)
    if first is not row:
        name = first["partnership"] if first.ok("partnership") else "another row"
        report.error(row.at("councils"), f"this group is already listed for '{row['service']}' as "
                                         f"'{name}' ({first.at('councils')})")
        return False
    return True


def _allowed_together(row: Row, known: Checked, report: Report) -> bool:
    members = set(row["councils"])
    for rule in known.rules:
        if {rule.council_a, rule.council_b} <= members and rule.service in (None, row["service"]):
            report.error(row.at("councils"), f"'{rule.council_a}' and '{rule.council_b}' must never be "
                                             "together (see Rules); remove one or mark the group excluded")
            return False
    return True


def _has_figures(row: Row, known: Checked, report: Report) -> bool:
    size = len(_distinct(row["councils"]))
    if (row["service"], size) in known.sharing_sizes or not known.sharing_readable \
            or row["service"] in known.unsized_services:
        return True
    fine = True
    for name in ("annual_saving", "one_off_cost", "staff_reduction_fte"):
        if row.ok(name) and row[name] is None:
            label = row.table.sheet.column(name).message_label
            report.error(row.at(name), f"{label} is blank and Sharing has no row for '{row['service']}' with "
                                       f"{size} partners to take it from; give the figure or add that row")
            fine = False
    return fine


def _check_settings(table: Table, report: Report) -> Settings:
    values: dict[str, Any] = {}
    first_rows: dict[str, Row] = {}
    for row in table.rows:
        if not row.ok("setting"):
            continue
        name = match_name(row["setting"], list(schema.SETTINGS_BY_NAME))
        if name is None:
            near = closest(normalise(row["setting"]), schema.SETTINGS_BY_NAME)
            hint = f"did you mean '{near}'?" if near else f"the settings are {', '.join(schema.SETTINGS_BY_NAME)}"
            report.error(row.at("setting"), f"unknown setting '{row['setting']}'; {hint}")
            continue
        first = first_rows.setdefault(name, row)
        if first is not row:
            report.error(row.at("setting"), f"setting '{name}' is given twice (also {first.at('setting')}); "
                                            "keep one")
            continue
        if "value" in table.present:  # no value column: every setting listed takes its default
            try:
                values[name] = parse_cell(schema.SETTINGS_BY_NAME[name], row.raw["value"])
            except Invalid as problem:
                report.error(row.at("value"), str(problem))
    return Settings(**{name: value for name, value in values.items() if value is not None})
