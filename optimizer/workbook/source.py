"""Opening an input workbook safely: the one place that touches the file.

``open_workbook`` turns the file into plain cell values (:class:`Source`, one :class:`RawSheet` per
sheet asked for), with markers for Excel error values and formulas Excel never calculated. Before
openpyxl parses anything, ``package`` checks the file is what it claims and within the size limits.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from optimizer.workbook import package
from optimizer.workbook.inputs import InputError
from optimizer.workbook.package import SAVE_AS, SheetLayout


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
    against the limits in ``package``.
    """
    package.ensure_safe_xml_parser()
    path = Path(path)
    data = package.read_file(path)
    with package.identify(path, data) as archive:
        package.scan_parts(path, archive)
        notes = package.package_notes(archive, path.suffix)
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
    layouts, cells_left = {}, package.MAX_CELLS
    for ws in worksheets:
        member = getattr(ws, "_worksheet_path", None)  # openpyxl's read-only sheet knows its part
        try:
            layout = package.sheet_layout(archive, member, cells_left) if member else SheetLayout()
        except package.SheetRefused as refused:
            raise package.file_problem(path, f"the sheet '{ws.title}' {refused}; it was not read") from None
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
        raise package.file_problem(path, _unreadable(exc)) from None


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
        self.path, self.left = path, package.MAX_CELLS

    def spend(self, title: str, row_number: int, cells: int) -> None:
        self.left -= cells
        if self.left < 0 or row_number > package.MAX_ROWS:
            raise package.file_problem(
                self.path, f"the sheet '{title}' goes beyond the {package.MAX_CELLS:,} cells and "
                           f"{package.MAX_ROWS:,} rows the optimiser reads (at row {row_number:,}); delete "
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
