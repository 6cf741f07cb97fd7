"""Where a problem is (``Loc``) and the problems found so far (``Report``), in workbook order."""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from optimizer.workbook import schema
from optimizer.workbook.inputs import Problem

SHEET_ORDER = {sheet.name: index for index, sheet in enumerate(schema.SHEETS)}


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
