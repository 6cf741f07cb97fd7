"""Writing input workbooks a finance officer can fill in: the blank template and generated inputs.

Everything shown (headers, units, formats, dropdowns, the Guide) comes from ``optimizer.workbook.schema``, so
what is written here is exactly what ``optimizer.workbook.validate`` reads back. The cells, header look,
print set-up and widths are the plan's own (``optimizer.excel.book``, XlsxWriter), so every workbook the
optimiser writes looks and prints alike, and the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.worksheet import Worksheet

from optimizer.excel.book import (
    TITLE,
    Book,
    Column,
    Rendered,
    fitted_widths,
    lines_needed,
    print_setup,
    put,
    set_widths,
    write_header,
)
from optimizer.excel.files import save_workbook
from optimizer.workbook import schema
from optimizer.workbook.schema import Field, Sheet, match_name, normalise

SOURCE_COLUMNS = ("topic", "figure", "source")
LAST_ROW = 1_048_575  # Excel's last row (0-based): dropdowns cover rows the user adds
# Columns that name a council: a dropdown of the Councils sheet's names, as long as that list is.
COUNCIL_COLUMNS = {("Services", "council"), ("Reductions", "council"), ("Rules", "council_a"), ("Rules", "council_b")}
COUNCIL_NAMES = "OFFSET(Councils!$A$2,0,0,MAX(1,COUNTA(Councils!$A:$A)-1),1)"

GUIDE_INTRO = (
    "Fill in one row per item on each sheet. Councils, Services and Sharing are required; the other "
    "sheets are optional and may keep just their header row.",
    "The example rows (Northshire, Southshire, Eastshire) show the format: replace them with your own.",
    "Money is in pounds (£). Percentages may be typed as 12% or 0.12. Yes/no columns accept yes/no, "
    "y/n, true/false or 1/0; a blank cell takes the default.",
    "Headers may be reworded a little: case, spaces or underscores and the unit in brackets do not "
    "matter. Extra columns and sheets (like this one) are ignored, so notes are safe.",
    "Formulas are fine: the optimiser reads the value Excel last calculated, so save the file in Excel "
    "after editing.",
    "Check the workbook with `consolidate validate FILE`: it lists every problem as Sheet!Cell.",
)
GUIDE_COLUMNS = (("Sheet", 14), ("Column header", 26), ("Name", 24), ("Required", 10),
                 ("Type", 30), ("Default", 22), ("Meaning", 90))


def write_template(path: str | Path, *, force: bool = False) -> Path:
    """The blank input workbook, with one consistent example (it validates unchanged)."""
    return write_input_workbook(example_tables(), path, force=force)


def example_tables() -> dict[str, list[dict[str, Any]]]:
    """One consistent example: the Reductions example scores each objective of the Objectives example."""
    objectives = [row["objective"] for row in schema.OBJECTIVES.example_rows()]
    sheets = {sheet.name: sheet for sheet in schema.SHEETS if sheet is not schema.SETTINGS}
    sheets["Reductions"] = schema.reductions_sheet(objectives)
    return {name: sheet.example_rows() for name, sheet in sheets.items()}


def _objectives_given(rows_by_sheet: Mapping[str, list[Mapping[str, Any]]]) -> list[str] | None:
    """The objectives the caller's Objectives rows name (None: none), which give Reductions its columns."""
    names = [row["objective"] for row in rows_by_sheet.get("Objectives", []) if row.get("objective")]
    return names or None


def write_input_workbook(
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    path: str | Path,
    *,
    sources: Iterable[Mapping[str, Any]] | None = None,
    force: bool = False,
) -> Path:
    """Write ``tables`` (sheet name -> rows keyed by canonical column names) as an input workbook.

    Values are plain: numbers, text, None for blank, bool for yes/no. Every sheet of the schema is
    written, in order, after a Guide; ``sources`` (topic, figure, source) adds a Sources sheet.
    """
    rendered = Rendered(render_input_workbook(tables, sources=sources))
    return save_workbook(rendered, Path(path), force=force)


def render_input_workbook(
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    sources: Iterable[Mapping[str, Any]] | None = None,
) -> bytes:
    """The workbook's bytes: a Guide, every sheet of the schema in order, and Sources when given."""
    rows_by_sheet = _rows_by_sheet(tables)
    book = Book()
    _write_guide(book, book.workbook.add_worksheet("Guide"), with_sources=sources is not None)
    for sheet in schema.SHEETS:
        worksheet = book.workbook.add_worksheet(sheet.name)
        if sheet is schema.SETTINGS:
            _write_settings(book, worksheet, rows_by_sheet.get(sheet.name, []))
        else:
            sheet = _with_objectives(sheet, _objectives_given(rows_by_sheet))
            _write_table(book, worksheet, sheet, rows_by_sheet.get(sheet.name, []))
    if sources is not None:
        _write_sources(book, book.workbook.add_worksheet("Sources"), list(sources))
    for worksheet in book.workbook.worksheets():
        print_setup(worksheet, header_rows=None if worksheet.name == "Guide" else 0)
    return book.finish()


def _rows_by_sheet(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, list[Mapping[str, Any]]]:
    """Check the caller's keys early: a typo would otherwise silently drop data.

    An objective's Reductions column is keyed by its canonical name (``schema.normalise`` of it)."""
    by_key = {normalise(sheet.name): sheet for sheet in schema.SHEETS}
    result = {}
    for name, rows in tables.items():
        sheet = by_key.get(normalise(name))
        if sheet is None:
            raise ValueError(f"unknown sheet {name!r}; expected one of {', '.join(by_key)}")
        result[sheet.name] = list(rows)
    for name, rows in result.items():
        sheet = _with_objectives(schema.SHEETS_BY_NAME[name], _objectives_given(result))
        known = sheet.column_names if sheet is not schema.SETTINGS else ("setting", "value", "description")
        for row in rows:
            extra = set(row) - set(known)
            if extra:
                raise ValueError(f"{sheet.name}: unknown column(s) {sorted(extra)}; expected {list(known)}")
    return result


def _with_objectives(sheet: Sheet, objectives: list[str] | None) -> Sheet:
    return schema.reductions_sheet(objectives) if sheet is schema.REDUCTIONS else sheet


# --- cells

# How wide a value shows, by the kind of field it is in (see excel.book.shown_width).
WIDTH_KINDS = {"money": "money", "fraction": "pct"}


def _put_input(book: Book, worksheet: Worksheet, row: int, col: int, value: Any, number_format: str = "General"):
    """One cell of input. Text loses the control characters a workbook cannot hold (rather than showing
    them as _x0001_); a bool outside a yes/no column stays a TRUE/FALSE cell, as the caller gave it."""
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value, book.format(num_format=number_format))
        return
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    put(book, worksheet, row, col, value, num_format=number_format)


def _cell_value(column: Field, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "yesno" and isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == "names" and isinstance(value, (list, tuple)):
        return "; ".join(value)
    return value


def _write_header(book: Book, worksheet: Worksheet, headers: list[str]) -> None:
    write_header(book, worksheet, 0, headers)
    worksheet.freeze_panes(1, 0)


def _fit_widths(worksheet: Worksheet, columns: list[Column], rows: list[list[Any]], *, most: int = 50) -> None:
    set_widths(worksheet, fitted_widths(columns, rows, most=most))


def _dropdown(worksheet: Worksheet, choices: Iterable[str] | str, cells: tuple[int, int, int], hint: str) -> None:
    """A list to pick from in column ``cells[1]``, rows ``cells[0]``..``cells[2]``: fixed ``choices``, or a
    formula giving a range (e.g. the councils' names)."""
    first_row, col, last_row = cells
    source = f"={choices}" if isinstance(choices, str) else list(choices)
    # A warning, not a stop: other accepted spellings (y, TRUE, 1...) can still be typed.
    worksheet.data_validation(first_row, col, last_row, col, {
        "validate": "list", "source": source, "ignore_blank": True, "show_input": False,
        "error_type": "warning", "error_message": hint,
    })


# --- sheets


def _write_table(book: Book, worksheet: Worksheet, sheet: Sheet, rows: list[Mapping[str, Any]]) -> None:
    fields = sheet.columns
    _write_header(book, worksheet, [c.header for c in fields])
    values = [[_cell_value(column, row.get(column.name)) for column in fields] for row in rows]
    for r, line in enumerate(values, start=1):
        for col, (column, value) in enumerate(zip(fields, line)):
            if value is not None:
                _put_input(book, worksheet, r, col, value, column.format)
    looks = [Column(c.header, WIDTH_KINDS.get(c.kind, "text")) for c in fields]
    for col, (column, width) in enumerate(zip(fields, fitted_widths(looks, values))):
        worksheet.set_column(col, col, width, book.format(num_format=column.format))  # for rows typed in later
        choices = _choices(sheet, column)
        if choices:
            _dropdown(worksheet, choices, (1, col, LAST_ROW), f"{column.header}: expected {column.expectation}")


def _choices(sheet: Sheet, column: Field) -> tuple[str, ...] | str:
    if (sheet.name, column.name) in COUNCIL_COLUMNS:
        return COUNCIL_NAMES
    return ("yes", "no") if column.kind == "yesno" else column.choices


def _write_settings(book: Book, worksheet: Worksheet, rows: list[Mapping[str, Any]]) -> None:
    given = _setting_values(rows)
    headers = [c.header for c in schema.SETTINGS.columns]
    _write_header(book, worksheet, headers)
    lines = []
    for r, setting in enumerate(schema.SETTINGS_LIST, start=1):
        line = [setting.header, given.get(setting.name, setting.default),
                f"{setting.description} Default: {setting.default_description}."]
        for col, value in enumerate(line):
            _put_input(book, worksheet, r, col, value, setting.format if col == 1 else "General")
        lines.append(line)
        if setting.choices:
            _dropdown(worksheet, setting.choices, (r, 1, r), f"{setting.header}: expected {setting.expectation}")
    _dropdown(worksheet, [s.header for s in schema.SETTINGS_LIST], (1, 0, LAST_ROW),
              "Setting: expected one of the settings listed in the Guide")
    _fit_widths(worksheet, [Column(h) for h in headers], lines, most=100)


def _setting_values(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    values = {}
    for row in rows:
        name = match_name(row.get("setting", ""), list(schema.SETTINGS_BY_NAME))
        if name is None:
            raise ValueError(f"Settings: unknown setting {row.get('setting')!r}")
        values[name] = row.get("value")
    return values

def _write_sources(book: Book, worksheet: Worksheet, rows: list[Mapping[str, Any]]) -> None:
    headers = [name.capitalize() for name in SOURCE_COLUMNS]
    _write_header(book, worksheet, headers)
    lines = [[row.get(name) for name in SOURCE_COLUMNS] for row in rows]
    for r, line in enumerate(lines, start=1):
        for col, value in enumerate(line):
            if value is not None:
                _put_input(book, worksheet, r, col, value)
    _fit_widths(worksheet, [Column(h) for h in headers], lines, most=100)


def _write_guide(book: Book, worksheet: Worksheet, *, with_sources: bool) -> None:
    put(book, worksheet, 0, 0, "Shared-services optimiser: input workbook", **TITLE)
    for r, line in enumerate(GUIDE_INTRO, start=1):
        put(book, worksheet, r, 0, line)
    top = len(GUIDE_INTRO) + 2  # a blank row between the introduction and the table
    write_header(book, worksheet, top, [title for title, _ in GUIDE_COLUMNS])
    set_widths(worksheet, [width for _, width in GUIDE_COLUMNS])
    meaning_width = GUIDE_COLUMNS[-1][1]
    for row, line in enumerate(_guide_lines(with_sources), start=top + 1):
        for col, value in enumerate(line):
            if value:  # a sheet's own row leaves the column cells empty
                put(book, worksheet, row, col, value, **_guide_look(col, sheet_row=line[1] == ""))
        lines = lines_needed(line[-1], meaning_width)
        if lines > 1:  # wrapped rows do not grow by themselves
            worksheet.set_row(row, 15 * lines)


def _guide_look(col: int, *, sheet_row: bool) -> dict[str, Any]:
    """Read from the top; the meaning wraps; a sheet's own row has its name in bold."""
    look: dict[str, Any] = {"valign": "top"}
    if col == len(GUIDE_COLUMNS) - 1:
        look["text_wrap"] = True
    if sheet_row and col == 0:
        look["bold"] = True
    return look


def _guide_lines(with_sources: bool) -> list[tuple[str, ...]]:
    lines = []
    for sheet in schema.SHEETS:
        kind = "optional sheet" if sheet.optional else "required sheet"
        lines.append((sheet.name, "", "", kind, "", "", sheet.purpose))
        lines.extend(_guide_column(sheet.name, c) for c in sheet.columns)
        if sheet is schema.REDUCTIONS:
            lines.append(_guide_column(sheet.name, schema.OBJECTIVE_SCORES))
        if sheet is schema.SETTINGS:
            lines.extend(_guide_column("Settings", s, setting=True) for s in schema.SETTINGS_LIST)
    if with_sources:
        lines.append(("Sources", "", "", "not read", "", "",
                      "Where the figures came from (topic, figure, source)."))
    return lines


def _guide_column(sheet: str, column: Field, *, setting: bool = False) -> tuple[str, ...]:
    required = "required" if column.required and not setting else "optional"
    return (sheet, column.header, column.name, required, column.type_text, column.default_description,
            column.description)
