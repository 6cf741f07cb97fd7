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
from optimizer.workbook.source import open_workbook
from optimizer.workbook.tables import read_tables, sheet_for


@dataclass(frozen=True)
class Loaded:
    inputs: Inputs
    warnings: list[Problem]


def load_workbook_inputs(path: str | Path) -> Loaded:
    """Read and check an input workbook; raises InputError listing every problem, in workbook order."""
    source = open_workbook(path, wanted=lambda title: sheet_for(title) is not None)
    report = Report()
    for note in source.notes:
        report.warn(Loc("", source.name), note)
    tables = read_tables(source, report)
    inputs = check_inputs(tables, report)
    if report.errors:
        raise InputError(report.problems(), report.warnings())
    inputs = replace(inputs, source_name=source.name, source_sha256=source.sha256)
    return Loaded(inputs, report.warnings())
