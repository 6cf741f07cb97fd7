"""The plan workbook's ``Alternatives`` and ``Alternative decisions`` sheets (SPEC.md section 6):
the best plan and each alternative side by side, and what each changes against the best."""

from __future__ import annotations

from optimizer.excel.book import NOTE, Book, Column, Grid, print_setup, put, set_widths, write_table
from optimizer.negotiate.alternatives import ALTERNATIVE_COLUMNS, Alternatives, alternative_rows, changes

ALTERNATIVES, DECISIONS = "Alternatives", "Alternative decisions"
KINDS = {"gap": "gap", "total_shortfall": "money", "total_impact": "impact", "net_benefit": "money",
         "total_annual_saving": "money", "total_one_off_cost": "money", "councils_meeting_target": "int",
         "extra_shortfall": "money", "extra_impact": "impact", "lost_net_benefit": "money"}
COLUMNS = tuple(Column(name, KINDS.get(name, "text")) for name in ALTERNATIVE_COLUMNS)
DECISION_COLUMNS = (Column("plan"), Column("change"), Column("kind"), Column("service", width=24, wrap=True),
                    Column("councils", width=50, wrap=True), Column("reduction_pct", "pct"))


def alternatives_sheets(book: Book, alternatives: Alternatives) -> None:
    rows = [[row[c] for c in ALTERNATIVE_COLUMNS] for row in alternative_rows(alternatives)]
    sheet = _table(book, Grid(ALTERNATIVES, COLUMNS, 0, len(rows)), rows, "PlanAlternatives")
    note = alternatives.fewer_said or (f"each alternative is the best plan whose decisions differ in at least "
                                       f"{alternatives.differ} from the best's and from every alternative before it")
    put(book, sheet, len(rows) + 2, 0, note, **NOTE)
    moves = [[c.plan, c.change, c.kind, c.service, c.councils, c.reduction_pct] for c in changes(alternatives)]
    _table(book, Grid(DECISIONS, DECISION_COLUMNS, 0, len(moves)), moves, "PlanAlternativeDecisions")


def _table(book: Book, grid: Grid, rows: list[list], name: str):
    sheet = book.workbook.add_worksheet(grid.sheet)
    set_widths(sheet, write_table(book, sheet, grid.top, grid.columns, rows, name=name))
    sheet.freeze_panes(grid.top + 1, 1)
    print_setup(sheet, header_rows=grid.top)
    return sheet
