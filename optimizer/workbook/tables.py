"""Reading the sheets into tables: which sheet is which, header mapping, rows of typed cells.

Per-cell and per-sheet problems (a missing column, a merged or hidden range, a hidden sheet) are
reported here; the rules between rows and sheets are ``rules``'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from optimizer.workbook import schema
from optimizer.workbook.cells import Invalid, is_blank, parse_cell
from optimizer.workbook.package import SheetLayout
from optimizer.workbook.problems import Loc, Report
from optimizer.workbook.schema import Field, Sheet, closest, match_name, normalise
from optimizer.workbook.source import ExcelError, RawSheet, Source, Uncalculated


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


def _report_header(table: Table, missing: list[Field], unknown: dict[int, str], report: Report) -> None:
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
        where = Loc(sheet_name, table.title, row, col)
        if table.sheet.strict:  # a change nobody applies would give a scenario that is not what it says
            _report_unknown_change(table.sheet, text, where, report)
            continue
        hint = f"; did you mean '{table.sheet.column(near[col]).header}'?" if near[col] else ""
        report.warn(where, f"column '{text}' is not used and was ignored{hint}")


def _report_unknown_change(sheet: Sheet, text: str, where: Loc, report: Report) -> None:
    names = [name for name in sheet.column_names if name not in ("scenario", "description")]
    near = closest(normalise(text), names)
    hint = f"did you mean '{near}'?" if near else f"a scenario can change {', '.join(names)}"
    report.error(where, f"unknown setting '{text}'; {hint}")


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _read_row(table: Table, number: int, cells: list[Any], report: Report) -> None:
    raw = {name: _cell(cells, table.positions[name] - 1) for name in table.present}
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


def sheet_for(title: str) -> Sheet | None:
    """The schema sheet a worksheet's title stands for (case, spaces and underscores aside), if any."""
    name = match_name(title, [normalise(s.name) for s in schema.SHEETS])
    return next((s for s in schema.SHEETS if normalise(s.name) == name), None) if name else None


def read_tables(source: Source, report: Report) -> dict[str, Table]:
    """Every schema sheet's table, by schema name; a sheet missing from the file gives one without rows."""
    found: dict[str, str] = {}
    for title in source.titles:
        sheet = sheet_for(title)
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
    for sheet in sorted(schema.SHEETS, key=lambda s: s is not schema.OBJECTIVES):  # Reductions' columns need it
        raw = source.sheets.get(found[sheet.name]) if sheet.name in found else None
        tables[sheet.name] = read_table(raw, _columns_known(sheet, tables), report)
    tables = {sheet.name: tables[sheet.name] for sheet in schema.SHEETS}
    ignored = [t for t in source.titles if sheet_for(t) is None]
    for sheet in (s for s in schema.SHEETS if not s.optional and s.name not in found):
        near = closest(sheet.name, ignored, cutoff=0.75)
        hint = f"; did you mean the sheet '{near}'? Rename it '{sheet.name}'" if near else ""
        report.error(Loc(sheet.name, sheet.name), f"required sheet '{sheet.name}' is missing{hint}")
    return tables


def _columns_known(sheet: Sheet, tables: dict[str, Table]) -> Sheet:
    """The sheet with the columns this workbook gives it: Reductions has one per objective listed."""
    if sheet is not schema.REDUCTIONS:
        return sheet
    return schema.reductions_sheet(objective_names(tables["Objectives"]))


def objective_names(objectives: Table) -> list[str] | None:
    """The objectives an Objectives table lists, in order; None when it lists none (or is absent)."""
    if not objectives.rows:
        return None
    return [row["objective"] for row in objectives.rows if row.ok("objective")]


def _check_visible(sheet: Sheet, raw: RawSheet | None, report: Report) -> None:
    """A hidden sheet would be read without anyone seeing what is read."""
    if raw is not None and raw.state != "visible":
        how = "right-click any sheet tab > Unhide" if raw.state == "hidden" else \
            "it is 'very hidden': set its Visible property in the VBA editor (Alt+F11)"
        report.error(Loc(sheet.name, raw.title), f"the sheet '{raw.title}' is hidden; unhide it ({how}) so that "
                                                 "what is read can be checked, or delete it")


def _check_chart_sheets(source: Source, found: dict[str, str], report: Report) -> None:
    for title in source.chart_sheets:
        sheet = sheet_for(title)
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
