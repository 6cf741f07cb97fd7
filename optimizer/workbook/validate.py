"""Reading and checking the input workbook (SPEC.md section 1).

``load_workbook_inputs`` turns a workbook into :class:`~optimizer.workbook.inputs.Inputs` or raises
:class:`~optimizer.workbook.inputs.InputError` with *every* problem found, each located as ``Sheet!Cell``.
Sheets and columns come from ``optimizer.workbook.schema``. Reading happens in three steps:

1. ``source.open_workbook``: the file -> plain cell values (the one place that touches the file);
2. ``tables.read_tables``: each sheet -> rows of typed values (``cells``), per-cell problems reported;
3. ``rules.check_inputs``: rules across rows and sheets, and the records of ``inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from optimizer.workbook.inputs import InputError, Inputs, Problem
from optimizer.workbook.problems import Loc, Report
from optimizer.workbook.rules import check_inputs
from optimizer.workbook.schema import normalise
from optimizer.workbook.sense import sense_checks
from optimizer.workbook.source import Source, open_workbook
from optimizer.workbook.tables import read_tables, sheet_for


# Sheets only the workbooks consolidate writes have (an input has Services): given as the input, such a
# workbook is named for what it is in one message, not met with a problem for every sheet it lacks.
WRITTEN = (
    ("a plan workbook written by consolidate run", ("Summary", "Membership", "Run info"),
     "give the input workbook the plan was made from"),
    ("a scenarios workbook written by consolidate scenarios", ("Scenarios", "Changes"),
     "give the input workbook the scenarios were made from"),
)


RUN_INFO = normalise("Run info")


def made_from(source: Source) -> str:
    """The input file a plan's Run info sheet names (its input_file row), or ''."""
    sheet = next((raw for title, raw in source.sheets.items() if normalise(title) == RUN_INFO), None)
    rows = sheet.rows if sheet is not None else []
    return next((str(row[1]) for row in rows if len(row) > 1 and row[0] == "input_file" and row[1]), "")


def written_by_consolidate(source: Source) -> Problem | None:
    """A plan or scenarios workbook given where an input workbook belongs, told as one problem."""
    titles = {normalise(title) for title in source.titles}
    if normalise("Services") in titles:
        return None
    for what, sheets, advice in WRITTEN:
        if all(normalise(sheet) in titles for sheet in sheets):
            if "Run info" in sheets:
                origin = made_from(source)
                advice += f", {origin} (its Run info sheet names it)" if origin else \
                    " (its Run info sheet names it under input_file)"
            return Problem("", f"{source.name} is {what} (it has the sheets {', '.join(sheets)} and no Services), "
                               f"not an input workbook; {advice}")
    return None


@dataclass(frozen=True)
class Loaded:
    inputs: Inputs
    warnings: list[Problem]


def load_workbook_inputs(path: str | Path) -> Loaded:
    """Read and check an input workbook; raises InputError listing every problem, in workbook order."""
    # Run info too: a plan given as the input names the input it was made from
    source = open_workbook(path, wanted=lambda title: sheet_for(title) is not None or normalise(title) == RUN_INFO)
    ours = written_by_consolidate(source)
    if ours is not None:
        raise InputError([ours])
    report = Report()
    for note in source.notes:
        report.warn(Loc("", source.name), note)
    tables = read_tables(source, report)
    inputs = check_inputs(tables, report)
    sense_checks(tables, report)
    if report.errors:
        raise InputError(report.problems(), report.warnings())
    inputs = replace(inputs, source_name=source.name, source_sha256=source.sha256)
    return Loaded(inputs, report.warnings())
