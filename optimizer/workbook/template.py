"""Writing input workbooks a finance officer can fill in: the blank template and generated inputs.

Everything shown (headers, units, formats, dropdowns, the Guide) comes from ``optimizer.workbook.schema``, so
what is written here is exactly what ``optimizer.workbook.validate`` reads back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.excel.files import save_workbook
from optimizer.workbook import schema
from optimizer.workbook.schema import Field, Sheet, match_name, normalise

# A font without a name shows as the reader's default (a serif in LibreOffice): name the workbook's own.
HEADER_FONT = Font(name="Calibri", bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
SOURCE_COLUMNS = ("topic", "figure", "source")
LAST_ROW = 1_048_576  # Excel's last row: dropdowns cover rows the user adds
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
    return {sheet.name: sheet.example_rows() for sheet in schema.SHEETS if sheet is not schema.SETTINGS}


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
    workbook = build_input_workbook(tables, sources=sources)
    return save_workbook(workbook, Path(path), force=force)


def build_input_workbook(
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    sources: Iterable[Mapping[str, Any]] | None = None,
) -> Workbook:
    rows_by_sheet = _rows_by_sheet(tables)
    workbook = Workbook()
    _write_guide(workbook.active, with_sources=sources is not None)
    for sheet in schema.SHEETS:
        worksheet = workbook.create_sheet(sheet.name)
        if sheet is schema.SETTINGS:
            _write_settings(worksheet, rows_by_sheet.get(sheet.name, []))
        else:
            _write_table(worksheet, sheet, rows_by_sheet.get(sheet.name, []))
    if sources is not None:
        _write_sources(workbook.create_sheet("Sources"), list(sources))
    for worksheet in workbook.worksheets:
        _print_setup(worksheet)
    workbook.active = 0
    return workbook


def _rows_by_sheet(tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, list[Mapping[str, Any]]]:
    """Check the caller's keys early: a typo would otherwise silently drop data."""
    by_key = {normalise(sheet.name): sheet for sheet in schema.SHEETS}
    result = {}
    for name, rows in tables.items():
        sheet = by_key.get(normalise(name))
        if sheet is None:
            raise ValueError(f"unknown sheet {name!r}; expected one of {', '.join(by_key)}")
        rows = list(rows)
        known = sheet.column_names if sheet is not schema.SETTINGS else ("setting", "value", "description")
        for row in rows:
            extra = set(row) - set(known)
            if extra:
                raise ValueError(f"{sheet.name}: unknown column(s) {sorted(extra)}; expected {list(known)}")
        result[sheet.name] = rows
    return result


# --- cells


def put(cell, value: Any) -> None:
    """Write a value; text always stays text (never a formula or an error value, even `=1+1`)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def _cell_value(column: Field, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "yesno" and isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == "names" and isinstance(value, (list, tuple)):
        return "; ".join(value)
    return value


def _write_header(worksheet: Worksheet, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        cell = worksheet.cell(1, col)
        put(cell, text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    worksheet.freeze_panes = "A2"


def _print_setup(worksheet: Worksheet) -> None:
    """Landscape, one page wide, the header row on every page: a sheet prints the way it reads."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = worksheet.PAPERSIZE_A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    if worksheet.title != "Guide":
        worksheet.print_title_rows = "1:1"


def _fit_widths(worksheet: Worksheet, minimum: int = 10, maximum: int = 50) -> None:
    for cells in worksheet.iter_cols():
        longest = max((len(_shown(c.value)) for c in cells if c.value is not None), default=0)
        letter = get_column_letter(cells[0].column)
        worksheet.column_dimensions[letter].width = max(minimum, min(maximum, longest + 3))


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _dropdown(worksheet: Worksheet, choices: Iterable[str] | str, cells: str, hint: str) -> None:
    """A list to pick from: fixed ``choices``, or a formula giving a range (e.g. the councils' names)."""
    formula = choices if isinstance(choices, str) else f'"{",".join(choices)}"'
    # A warning, not a stop: other accepted spellings (y, TRUE, 1...) can still be typed.
    validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                showErrorMessage=True, errorStyle="warning", error=hint)
    validation.add(cells)
    worksheet.add_data_validation(validation)


# --- sheets


def _write_table(worksheet: Worksheet, sheet: Sheet, rows: list[Mapping[str, Any]]) -> None:
    _write_header(worksheet, [c.header for c in sheet.columns])
    for r, row in enumerate(rows, start=2):
        for col, column in enumerate(sheet.columns, start=1):
            value = _cell_value(column, row.get(column.name))
            if value is not None:
                cell = worksheet.cell(r, col)
                put(cell, value)
                cell.number_format = column.format
    _fit_widths(worksheet)
    for col, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(col)
        worksheet.column_dimensions[letter].number_format = column.format  # for rows typed in later
        choices = ("yes", "no") if column.kind == "yesno" else column.choices
        if (sheet.name, column.name) in COUNCIL_COLUMNS:
            choices = COUNCIL_NAMES
        if choices:
            _dropdown(worksheet, choices, f"{letter}2:{letter}{LAST_ROW}",
                      f"{column.header}: expected {column.expectation}")


def _write_settings(worksheet: Worksheet, rows: list[Mapping[str, Any]]) -> None:
    given = _setting_values(rows)
    _write_header(worksheet, [c.header for c in schema.SETTINGS.columns])
    for r, setting in enumerate(schema.SETTINGS_LIST, start=2):
        value = given.get(setting.name, setting.default)
        put(worksheet.cell(r, 1), setting.header)
        if value is not None:
            put(worksheet.cell(r, 2), value)
        worksheet.cell(r, 2).number_format = setting.format
        put(worksheet.cell(r, 3), f"{setting.description} Default: {setting.default_description}.")
        if setting.choices:
            _dropdown(worksheet, setting.choices, f"B{r}", f"{setting.header}: expected {setting.expectation}")
    _dropdown(worksheet, [s.header for s in schema.SETTINGS_LIST], f"A2:A{LAST_ROW}",
              "Setting: expected one of the settings listed in the Guide")
    _fit_widths(worksheet, maximum=100)


def _setting_values(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    values = {}
    for row in rows:
        name = match_name(row.get("setting", ""), list(schema.SETTINGS_BY_NAME))
        if name is None:
            raise ValueError(f"Settings: unknown setting {row.get('setting')!r}")
        values[name] = row.get("value")
    return values


def _write_sources(worksheet: Worksheet, rows: list[Mapping[str, Any]]) -> None:
    _write_header(worksheet, [name.capitalize() for name in SOURCE_COLUMNS])
    for r, row in enumerate(rows, start=2):
        for col, name in enumerate(SOURCE_COLUMNS, start=1):
            if row.get(name) is not None:
                put(worksheet.cell(r, col), row[name])
    _fit_widths(worksheet, maximum=100)


def _write_guide(worksheet: Worksheet, *, with_sources: bool) -> None:
    worksheet.title = "Guide"
    put(worksheet.cell(1, 1), "Shared-services optimiser: input workbook")
    worksheet.cell(1, 1).font = Font(name="Calibri", bold=True, size=14)
    for r, line in enumerate(GUIDE_INTRO, start=2):
        put(worksheet.cell(r, 1), line)
    row = len(GUIDE_INTRO) + 3
    for col, (title, width) in enumerate(GUIDE_COLUMNS, start=1):
        put(worksheet.cell(row, col), title)
        worksheet.cell(row, col).font = HEADER_FONT
        worksheet.cell(row, col).fill = HEADER_FILL
        worksheet.column_dimensions[get_column_letter(col)].width = width
    for line in _guide_lines(with_sources):
        row += 1
        for col, value in enumerate(line, start=1):
            put(worksheet.cell(row, col), value)
            worksheet.cell(row, col).alignment = Alignment(wrap_text=col == len(GUIDE_COLUMNS), vertical="top")
        if line[1] == "":
            worksheet.cell(row, 1).font = HEADER_FONT
        lines = -(-len(line[-1]) // int(GUIDE_COLUMNS[-1][1] * 1.1))  # wrapped rows do not grow by themselves
        if lines > 1:
            worksheet.row_dimensions[row].height = 15 * lines


def _guide_lines(with_sources: bool) -> list[tuple[str, ...]]:
    lines = []
    for sheet in schema.SHEETS:
        kind = "optional sheet" if sheet.optional else "required sheet"
        lines.append((sheet.name, "", "", kind, "", "", sheet.purpose))
        lines.extend(_guide_column(sheet.name, c) for c in sheet.columns)
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
