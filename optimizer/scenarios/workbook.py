"""The scenarios workbook (SPEC.md section 5) and the folder of plans beside it, written all or nothing.

Sheets: Scenarios (a row per scenario: its changes, then its plan's Summary figures), Changes (the
partnerships each scenario adds to or drops from the first scenario's plan) and Chart (shortfall,
impact and net benefit across the scenarios, a native chart over the Scenarios cells). The look is
the plan's (``optimizer.excel.book``). The figures a reviewer checks are live: each scenario's
partnerships added and dropped count the Changes rows, and its net benefit against the first
scenario's is a difference of cells, each formula carrying its value for readers that do not
recalculate.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from optimizer.excel.book import (
    NOTE,
    TITLE,
    Book,
    Column,
    Formula,
    Grid,
    Rendered,
    print_setup,
    put,
    set_widths,
    write_table,
)
from optimizer.excel.files import OutputError, check_output_path, save_workbook
from optimizer.report.sheets import money_axis
from optimizer.report.workbook import SUMMARY_KINDS
from optimizer.scenarios.solve import Outcome
from optimizer.status import STATUS_FILL
from optimizer.workbook.rules import plan_file_name
from optimizer.workbook.schema import SCENARIO_CHANGES, SCENARIOS

SCENARIOS_SHEET, CHANGES_SHEET, CHART_SHEET = "Scenarios", "Changes", "Chart"
FIGURES = ("status", "gap", "total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall",
           "total_impact", "councils_meeting_target", "partnerships", "solve_seconds", "plan_file")
CHANGE_KINDS = {"fraction": "rate", "money": "money", "integer": "int"}  # else General
CHANGES_COLUMNS = (Column("scenario"), Column("change"), Column("service", width=28, wrap=True),
                   Column("councils", width=60, wrap=True))
SOLVED_KINDS = {**SUMMARY_KINDS, "partnerships": "int", "added": "int", "dropped": "int",
                "net_benefit_vs_first": "money"}


def plans_folder(output: Path) -> Path:
    """``outputs/x-scenarios.xlsx`` -> ``outputs/x-scenarios-plans/``."""
    return output.with_name(f"{output.stem}-plans")


def check_outputs(output: Path, *, force: bool, input_path: Path) -> None:
    """Before any solve: the workbook and the folder beside it can be written, and lose nothing."""
    check_output_path(output, force=force, inputs=[input_path])
    folder = plans_folder(output)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, where the scenarios' plans go; move it or choose another -o")
    if folder.exists() and not force:
        raise OutputError(f"{folder}: the folder exists already; use --force to replace it, or choose another -o")
    if folder.exists() and Path(input_path).resolve().is_relative_to(folder.resolve()):
        raise OutputError(f"{folder}: holds the input workbook; choose another output (-o)")


def changes(outcomes: list[Outcome]) -> list[tuple[str, str, str, str]]:
    """(scenario, added/dropped, service, councils) against the first scenario's plan; a scenario
    without a plan (infeasible, or none in the time), or a first one without, has no changes listed."""
    if not outcomes or not outcomes[0].has_plan:
        return []
    first = set(outcomes[0].partnerships)
    rows = []
    for outcome in outcomes[1:]:
        if not outcome.has_plan:
            continue
        mine = set(outcome.partnerships)
        for word, groups in (("added", mine - first), ("dropped", first - mine)):
            rows += [(outcome.scenario.name, word, s, "; ".join(c)) for s, c in sorted(groups)]
    return rows


def _changed_columns(outcomes: list[Outcome]) -> list[Column]:
    used = {name for o in outcomes for name, _ in o.scenario.changes}
    return [Column(n, CHANGE_KINDS.get(SCENARIOS.column(n).kind, "text")) for n in SCENARIO_CHANGES if n in used]


def _scenario_grid(outcomes: list[Outcome]) -> Grid:
    columns = (Column("scenario", width=30, wrap=True), *_changed_columns(outcomes),
               *(Column(n, SOLVED_KINDS.get(n, "text"), width=40 if n == "plan_file" else None) for n in FIGURES),
               Column("added", "int"), Column("dropped", "int"), Column("net_benefit_vs_first", "money"))
    return Grid(SCENARIOS_SHEET, columns, 0, len(outcomes))


def _scenario_row(grid: Grid, changes_grid: Grid, i: int, outcome: Outcome, listed: list[tuple],
                  base: float | None) -> list[Any]:
    summary, changed = outcome.summary, outcome.scenario.changed
    row: list[Any] = [outcome.scenario.name]
    row += [changed.get(c.name) for c in grid.columns[1:] if c.name in SCENARIO_CHANGES]
    figures = {**summary, "partnerships": len(outcome.partnerships) if outcome.has_plan else None,
               "solve_seconds": round(outcome.seconds, 2), "plan_file": plan_file_name(outcome.scenario.name) + ".xlsx"}
    row += [figures[name] for name in FIGURES]
    for word in ("added", "dropped"):  # counted off the Changes sheet, as a reviewer would
        count = sum(1 for s, w, *_ in listed if s == outcome.scenario.name and w == word)
        text = (f"SUMPRODUCT(EXACT({changes_grid.span('scenario')},{grid.here('scenario', i)})"
                f"*({changes_grid.span('change')}=\"{word}\"))")
        row.append(Formula(text, count))
    # what this scenario gives up (or gains) against the first: the question a sweep of targets asks
    if outcome.has_plan and base is not None:
        row.append(Formula(f"{grid.here('net_benefit', i)}-{grid.at('net_benefit', 0)}", summary["net_benefit"] - base))
    else:
        row.append(None)
    return row


def render_scenarios(outcomes: list[Outcome]) -> bytes:
    listed = changes(outcomes)
    grid = _scenario_grid(outcomes)
    changes_grid = Grid(CHANGES_SHEET, CHANGES_COLUMNS, 0, len(listed))
    base = outcomes[0].summary["net_benefit"] if outcomes and outcomes[0].has_plan else None
    rows = [_scenario_row(grid, changes_grid, i, o, listed, base) for i, o in enumerate(outcomes)]
    book = Book()
    sheet = book.workbook.add_worksheet(SCENARIOS_SHEET)
    set_widths(sheet, write_table(book, sheet, 0, grid.columns, rows, name="ScenarioTable"))
    status = grid.col("status")
    for word, fill in STATUS_FILL.items():
        sheet.conditional_format(1, status, len(rows), status, {"type": "cell", "criteria": "==", "value": f'"{word}"',
                                                                "format": book.format(bold=True, bg_color=fill)})
    sheet.freeze_panes(1, 1)
    print_setup(sheet)
    sheet.activate()
    changes_sheet = book.workbook.add_worksheet(CHANGES_SHEET)
    set_widths(changes_sheet, write_table(book, changes_sheet, 0, CHANGES_COLUMNS, listed, name="ChangeTable"))
    changes_sheet.freeze_panes(1, 0)
    print_setup(changes_sheet)
    _chart_sheet(book, grid, outcomes)
    return book.finish()


def _chart_sheet(book: Book, grid: Grid, outcomes: list[Outcome]) -> None:
    sheet = book.workbook.add_worksheet(CHART_SHEET)
    put(book, sheet, 0, 0, "Shortfall, impact and net benefit across the scenarios", **TITLE)
    put(book, sheet, 1, 0, "The chart reads the Scenarios sheet's cells.", **NOTE)
    chart = book.workbook.add_chart({"type": "line"})
    names = grid.span("scenario")
    for column, title, colour in (("total_shortfall", "total shortfall (£)", "#C00000"),
                                  ("net_benefit", "net benefit (£)", "#4472C4")):
        chart.add_series({"name": title, "categories": names, "values": grid.span(column),
                          "line": {"color": colour, "width": 2.25},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": colour}, "border": {"color": colour}}})
    impact = book.workbook.add_chart({"type": "line"})
    impact.add_series({"name": "total impact (score, right axis)", "categories": names, "values": grid.span("total_impact"),
                       "y2_axis": True, "line": {"color": "#ED7D31", "width": 2.25, "dash_type": "dash"},
                       "marker": {"type": "diamond", "size": 7, "fill": {"color": "#ED7D31"}, "border": {"color": "#ED7D31"}}})
    chart.combine(impact)
    largest = max([abs(o.summary.get(k) or 0) for o in outcomes for k in ("net_benefit", "total_shortfall")] + [0])
    chart.set_title({"name": "What each scenario costs", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "£", "num_format": money_axis(largest),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    impact.set_y2_axis({"name": "impact (score)"})
    chart.set_x_axis({"num_font": {"rotation": -30, "size": 9}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": max(760, 70 * len(outcomes) + 200), "height": 460})
    sheet.insert_chart(3, 0, chart)
    print_setup(sheet, header_rows=None)
    sheet.fit_to_pages(1, 1)


def write_scenarios(outcomes: list[Outcome], output: Path, *, force: bool, input_path: Path) -> Path:
    """The plans into a new folder, then the folder and the workbook into place; on any failure or
    Ctrl-C nothing new is left and what was there (with --force) is put back."""
    output, folder = Path(output), plans_folder(Path(output))
    check_outputs(output, force=force, input_path=input_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", suffix=".tmp", dir=output.parent))
    old: Path | None = None
    placed = False
    try:
        os.chmod(fresh, 0o777 & ~_umask())  # mkdtemp makes it private; a folder of plans is ordinary
        for outcome in outcomes:
            save_workbook(Rendered(outcome.plan_workbook), fresh / f"{plan_file_name(outcome.scenario.name)}.xlsx",
                          force=False, inputs=[input_path])
        data = Rendered(render_scenarios(outcomes))
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old-", dir=output.parent))
            os.replace(folder, old / folder.name)
        os.replace(fresh, folder)
        placed = True
        save_workbook(data, output, force=force, inputs=[input_path])
    except BaseException as error:
        if placed:
            shutil.rmtree(folder, ignore_errors=True)
        if old is not None and (old / folder.name).exists():
            os.replace(old / folder.name, folder)
        if isinstance(error, OSError):
            raise OutputError(f"{folder}: cannot be written ({error.strerror or error}); nothing was written",
                              usage=False) from None
        raise
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return output


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
