"""Writing .xlsx with XlsxWriter: text that stays text, formulas that carry their value, tables that print.

Every workbook the optimiser writes goes through these helpers: the plan, the blank template and
imported input workbooks, so they share one header look, print set-up, width fitting and quoting.

XlsxWriter, not openpyxl, writes the plan because a formula cell must also hold its calculated value:
pandas, openpyxl and most other readers do not recalculate, and would otherwise see an empty cell where
the plan has a total. XlsxWriter also writes native Tables, charts and defined names, and, writing in
memory with a fixed creation date, files whose bytes do not depend on the clock.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

# Written as the file's created and modified date: the real one would make every run's bytes differ.
FIXED_DATE = datetime(2000, 1, 1)
MAX_TEXT = 32_767  # Excel's limit for one cell
FORMULA_LIKE = ("=", "+", "-", "@")  # text Excel would turn into a formula when the cell is edited

# Number formats by the kind of figure a column holds.
NUMBER_FORMATS = {
    "money": "£#,##0",
    "pct": "0.0%",
    "rate": "0.00%",
    "gap": "0.000%",
    "fte": "0.0",
    "years": "0.0",
    "impact": "0.00",
    "int": "0",
    "seconds": "0.00",
    "factor": "0.0000",  # a discount factor or a share of £1: four places show 3.5 % discounting
    "degrees": "0.0000",  # latitude and longitude: four places are about 10 m
}
HEADER = {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "text_wrap": True, "valign": "top"}
TITLE = {"bold": True, "font_size": 14}
NOTE = {"italic": True, "font_color": "#404040"}
EDITABLE = {"bg_color": "#FFF2CC"}  # the finance-model convention for an input a reviewer may change


@dataclass(frozen=True)
class Formula:
    """A formula (without the leading '=') and the value the optimiser computed for it."""

    text: str
    cached: float | str | None = None


@dataclass(frozen=True)
class Typed:
    """A value whose number format differs from its column's (a Summary or settings row)."""

    value: Any
    kind: str


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # a key of NUMBER_FORMATS, or "text"
    width: float | None = None  # None: fitted to the contents
    wrap: bool = False
    editable: bool = False  # an assumption a reviewer may change: shaded as an input cell
    left: bool = False  # a key/value list: numbers aligned with the text above and below them


class Book:
    """An XlsxWriter workbook in memory, with formats made once per distinct look."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        # strings_to_*: text is never turned into a formula, number or link, whatever it looks like.
        self.workbook = xlsxwriter.Workbook(
            self._buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
             "strings_to_urls": False},
        )
        self.workbook.set_properties({"created": FIXED_DATE})
        self._formats: dict[tuple, Any] = {}

    def format(self, **props):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    def cell_format(self, kind: str = "text", **extra):
        props = dict(extra)
        if kind in NUMBER_FORMATS:
            props["num_format"] = NUMBER_FORMATS[kind]
        return self.format(**props)

    def finish(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()


class Rendered:
    """Finished workbook bytes with the ``save(path)`` that ``files.save_workbook`` calls."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.data)


def put(book: Book, sheet: Worksheet, row: int, col: int, value: Any, kind: str = "text", **look) -> None:
    """Write one cell. Text is always a string cell, never a formula: '=HYPERLINK(...)' stays text."""
    if isinstance(value, Formula):
        sheet.write_formula(row, col, f"={value.text}", book.cell_format(kind, **look), _cached(value.cached))
    elif isinstance(value, str):
        if value.startswith(FORMULA_LIKE):
            look = {**look, "quote_prefix": True}  # and Excel keeps it text if the cell is edited
        sheet.write_string(row, col, value[:MAX_TEXT], book.cell_format("text", **look))
    elif isinstance(value, bool):
        sheet.write_string(row, col, "yes" if value else "no", book.cell_format("text", **look))
    elif isinstance(value, (int, float)) and math.isfinite(value):
        sheet.write_number(row, col, value, book.cell_format(kind, **look))
    else:  # None, or a figure with no finite value: a blank that keeps the column's format
        sheet.write_blank(row, col, None, book.cell_format(kind, **look))


def _cached(value: float | str | None) -> float | str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def shown_width(value: Any, kind: str) -> int:
    """Roughly how many characters a value takes on screen, for column widths."""
    if isinstance(value, Formula):
        value = value.cached
    if value is None or value == "":
        return 0
    if isinstance(value, str):
        return len(value)
    if kind == "money":
        return len(f"£{value:,.0f}")
    if kind in ("pct", "rate", "gap"):
        return 8
    return len(f"{value:,.2f}")


def fitted_widths(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *, most: int = 50) -> list[float]:
    """Each column's width: its own when it has one, else fitted to the header and the values."""
    widths = []
    for col, column in enumerate(columns):
        if column.width is not None:
            widths.append(column.width)
            continue
        widest = max([len(column.name)] + [shown_width(_plain(row[col]), _kind(column, row[col])) for row in rows])
        widths.append(min(most, max(10, widest + 2)))
    return widths


def shared_widths(tables: Sequence[tuple[Sequence[Column], Sequence[Sequence[Any]]]]) -> list[float]:
    """Widths for tables stacked on one sheet: each column as wide as the widest table needs it."""
    widths: list[float] = []
    for columns, rows in tables:
        for col, width in enumerate(fitted_widths(columns, rows)):
            if col < len(widths):
                widths[col] = max(widths[col], width)
            else:
                widths.append(width)
    return widths


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Typed) else value


def _kind(column: Column, value: Any) -> str:
    return value.kind if isinstance(value, Typed) else column.kind


def lines_needed(value: Any, width: float) -> int:
    """Lines a wrapped text takes at this column width (a little generous: clipped text is worse)."""
    if isinstance(value, Formula):
        value = value.cached
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1.0, width * 1.1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n"))


def write_table(
    book: Book,
    sheet: Worksheet,
    top: int,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    name: str,
    widths: Sequence[float] | None = None,
) -> list[float]:
    """Header at row ``top``, rows below it, made a named Table; returns the column widths it was laid out for.

    Rows with wrapped text get an explicit height: LibreOffice does not grow them on opening the file.
    """
    rows = [list(row) for row in rows]
    widths = list(widths) if widths is not None else fitted_widths(columns, rows)
    write_header(book, sheet, top, [column.name for column in columns])
    for r, row in enumerate(rows, start=top + 1):
        for col, (column, value) in enumerate(zip(columns, row)):
            put(book, sheet, r, col, _plain(value), _kind(column, value), **_look(column))
        lines = max([1] + [lines_needed(_plain(v), w) for c, v, w in zip(columns, row, widths) if c.wrap])
        if lines > 1:
            sheet.set_row(r, 15 * lines)
    if rows:  # a Table needs at least one data row; an empty one is just its header
        sheet.add_table(top, 0, top + len(rows), len(columns) - 1, {
            "name": name,
            "style": "Table Style Light 1",
            "columns": [{"header": c.name, "header_format": book.format(**HEADER)} for c in columns],
        })
    return widths


def write_header(book: Book, sheet: Worksheet, row: int, names: Sequence[str]) -> None:
    """A header row in the one header look of every workbook written (plan, template, imports)."""
    for col, name in enumerate(names):
        put(book, sheet, row, col, name, **HEADER)


def _look(column: Column) -> dict[str, Any]:
    look: dict[str, Any] = {"valign": "top"}  # a row grown for wrapped text reads from its top
    if column.wrap:
        look["text_wrap"] = True
    if column.left:
        look["align"] = "left"
    if column.editable:
        look.update(EDITABLE)
    return look


def set_widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)


def print_setup(sheet: Worksheet, *, header_rows: int | None = 0) -> None:
    """Landscape A4, one page wide, header row on every page, sheet name and page number in the footer."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    if header_rows is not None:
        sheet.repeat_rows(header_rows)
    # &A is the sheet's name; no &D or &T: the date would be the printing date, not the plan's.
    sheet.set_footer("&L&A&RPage &P of &N")


@dataclass(frozen=True)
class Grid:
    """Where a table sits (sheet, columns, header row, data rows), so formulas elsewhere can point at it."""

    sheet: str
    columns: tuple[Column, ...]
    top: int = 0  # header row, 0-based
    count: int = 0  # data rows

    def col(self, name: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.name == name)

    def row(self, index: int) -> int:
        return self.top + 1 + index

    def here(self, name: str, index: int) -> str:
        """A relative reference, for a formula on the same row of the same sheet."""
        return xl_rowcol_to_cell(self.row(index), self.col(name))

    def at(self, name: str, index: int) -> str:
        """An absolute reference with the sheet's name, for a formula anywhere."""
        return cell_ref(self.sheet, self.row(index), self.col(name))

    def span(self, name: str) -> str:
        """The column's data cells; one blank row when there are none, so a formula over it stays valid."""
        return range_ref(self.sheet, self.row(0), self.row(max(self.count, 1) - 1), self.col(name))

    @property
    def end(self) -> int:
        """The first row below the table."""
        return self.row(self.count)


def sum_where(keys: str, key: str, values: str) -> str:
    """Sum of ``values`` where ``keys`` is exactly ``key`` (case and wildcards matter: see report.py)."""
    return f"SUMPRODUCT(EXACT({keys},{key})*{values})"


def cell_ref(sheet: str | None, row: int, col: int, *, absolute: bool = True) -> str:
    ref = xl_rowcol_to_cell(row, col, absolute, absolute)
    return f"{quote_sheetname(sheet)}!{ref}" if sheet else ref


def range_ref(sheet: str, first_row: int, last_row: int, col: int) -> str:
    letter = xl_col_to_name(col, True)
    return f"{quote_sheetname(sheet)}!{letter}${first_row + 1}:{letter}${last_row + 1}"
