"""The plan workbook's context sheets: Assumptions, Why infeasible, Charts, Run info, and the Summary's words.

``report.py`` writes the figures; this module writes what a reviewer needs to trust and change them.
"""

from __future__ import annotations

import math
import platform
from collections import Counter
from dataclasses import asdict, dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from optimizer import __version__
from optimizer.excel.book import (
    NOTE,
    TITLE,
    Book,
    Column,
    Formula,
    Grid,
    Typed,
    print_setup,
    put,
    set_widths,
    shared_widths,
    sum_where,
    write_table,
)
from optimizer.plan import Plan
from optimizer.status import RunStatus, Termination
from optimizer.workbook import schema
from optimizer.workbook.inputs import Inputs

if TYPE_CHECKING:
    from optimizer.report.workbook import MemberRow

ASSUMPTIONS, DIAGNOSIS, CHARTS, RUN_INFO = "Assumptions", "Why infeasible", "Charts", "Run info"
SHEET_WIDTH = 8  # columns a merged note spans on Assumptions and Charts

ASSUMPTION_NOTES = (
    "The partnerships and reductions are the optimiser's choice and stay as chosen here. Edit a yellow cell "
    "below and every saving, cost and total of this plan recalculates, but the choice is not made again: for "
    "that, change the input workbook and run consolidate again.",
    "Sharing curve: the input's savings curve, one row per service and partnership size. Each Membership row "
    "takes its saving, one-off and staff rates from the row for its service and number of partners. A staff "
    "rate left blank in the input takes the saving rate (its cell is a formula); a blank one-off rate is 0.",
    "Listed partnerships: the input's Partnerships sheet. Where a group gives its own annual saving, one-off "
    "cost or staff reduction, Membership shares that figure among its members in proportion to annual cost "
    "(equally if they all cost nothing) instead of using the curve; a blank figure takes the curve's.",
    "Settings used, after any command-line override: horizon_years, discount_rate, first_year_saving_share, "
    "borrowing_rate and borrowing_years turn annual savings and one-off costs into the Cash flow sheet and the "
    "Summary's net_benefit (edit them and both follow); the caps and limits shaped the choice and are shown for "
    "the record.",
)
SETTINGS_COLUMNS = (Column("setting"), Column("value", left=True), Column("meaning", wrap=True))
# Cells a reviewer may change to see the plan recompute: shaded as inputs.
EDITABLE_COLUMNS = {"value", "saving_pct", "one_off_pct", "staff_reduction_pct", "annual_saving", "one_off_cost",
                    "staff_reduction_fte"}
CURVE_COLUMNS = (
    Column("service"), Column("partners", "int"), Column("saving_pct", "rate"), Column("one_off_pct", "rate"),
    Column("staff_reduction_pct", "rate"), Column("max_distance_km", "fte"), Column("partnerships_in_plan", "int"),
)
LISTED_COLUMNS = (
    Column("partnership"), Column("service"), Column("councils", wrap=True), Column("status"),
    Column("annual_saving", "money"), Column("one_off_cost", "money"), Column("staff_reduction_fte", "fte"),
    Column("in_plan"),
)
SETTING_KINDS = {"horizon_years": "years", "investment_budget": "money", "max_payback_years": "years",
                 "discount_rate": "rate", "first_year_saving_share": "pct", "borrowing_rate": "rate",
                 "borrowing_years": "int", "time_limit_s": "seconds", "mip_gap": "gap"}
# Settings with a workbook-wide name: the Summary and the Cash flow sheet's formulas read them.
NAMED_SETTINGS = ("horizon_years", "discount_rate", "first_year_saving_share", "borrowing_rate", "borrowing_years")
DIAGNOSIS_COLUMNS = (
    Column("subject", width=30, wrap=True), Column("finding", width=80, wrap=True), Column("target", "money"),
    Column("most_achievable", "money"), Column("shortfall", "money"),
)
SERVICE_COLUMNS = (Column("service", width=30), Column("from_sharing", "money"), Column("from_reductions", "money"),
                   Column("total_saving", "money"))
RUN_COLUMNS = (Column("item"), Column("value", wrap=True, left=True))
AIM_COLUMNS = (Column("aim"), Column("termination", left=True), Column("value", "impact"),
               Column("bound", "impact"), Column("gap", "gap"), Column("seconds", "seconds"))
LOG_COLUMNS = (Column("line", "int", left=True), Column("solver_log", wrap=True))
AIM_WORDS = {"shortfall": "total shortfall", "impact": "total impact", "net_benefit": "net benefit"}


# --------------------------------------------------------------------------------------------------
# Assumptions
# --------------------------------------------------------------------------------------------------


def assumption_grids(inputs: Inputs) -> tuple[Grid, Grid, Grid]:
    """Settings, Sharing curve and Listed partnerships, stacked under the notes, each under its title."""
    settings = Grid(ASSUMPTIONS, SETTINGS_COLUMNS, len(ASSUMPTION_NOTES) + 3, len(schema.SETTINGS_LIST))
    curve = Grid(ASSUMPTIONS, CURVE_COLUMNS, settings.end + 2, len(inputs.sharing))
    listed = Grid(ASSUMPTIONS, LISTED_COLUMNS, max(curve.end, curve.top + 2) + 2, len(inputs.partnerships))
    return settings, curve, listed


def settings_rows(inputs: Inputs) -> list[list[Any]]:
    used = asdict(inputs.settings)
    rows = []
    for setting in schema.SETTINGS_LIST:
        value = used.get(setting.name)
        look = Typed(value, SETTING_KINDS.get(setting.name, "text"))
        rows.append([setting.name, look, setting.description])
    return rows


def curve_rows(inputs: Inputs, curve: Grid, members: list[MemberRow]) -> list[list[Any]]:
    used = {}
    for m in members:
        used.setdefault(m.curve, set()).add(m.label)
    rows = []
    for i, terms in enumerate(inputs.sharing):
        # A blank staff rate means "the saving rate": a formula, so editing the saving rate moves both.
        staff = terms.staff_reduction_pct
        staff = Formula(curve.here("saving_pct", i), terms.saving_pct) if staff is None else staff
        rows.append([terms.service, terms.partners, terms.saving_pct, terms.one_off_pct, staff,
                     terms.max_distance_km, len(used.get(i, ()))])
    return rows


def listed_rows(plan: Plan) -> list[list[Any]]:
    chosen = {(p.service, frozenset(p.councils)) for p in plan.partnerships}
    return [
        [p.name, p.service, "; ".join(p.councils), p.status, p.annual_saving, p.one_off_cost, p.staff_reduction_fte,
         "yes" if (p.service, frozenset(p.councils)) in chosen else "no"]
        for p in plan.inputs.partnerships
    ]


def assumptions_sheet(book: Book, plan: Plan, settings: Grid, curve: Grid, listed: Grid, members) -> None:
    sheet = book.workbook.add_worksheet(ASSUMPTIONS)
    put(book, sheet, 0, 0, "Assumptions behind the plan", **TITLE)
    tables = [
        (settings, "Settings used", settings_rows(plan.inputs)),
        (curve, "Sharing curve", curve_rows(plan.inputs, curve, members)),
        (listed, "Listed partnerships", listed_rows(plan)),
    ]
    widths = shared_widths([(grid.columns, rows) for grid, _, rows in tables])
    widths[2] = 45  # column C holds the settings' meanings and the listed groups' councils, wrapped
    for grid, title, rows in tables:
        put(book, sheet, grid.top - 1, 0, title, bold=True, font_size=12)
        columns = [replace(c, editable=c.name in EDITABLE_COLUMNS) for c in grid.columns]
        write_table(book, sheet, grid.top, columns, rows, name=title.title().replace(" ", ""), widths=widths)
    set_widths(sheet, widths)
    for index, setting in enumerate(schema.SETTINGS_LIST):
        if setting.name in NAMED_SETTINGS:  # the Cash flow sheet's formulas read them by name
            book.workbook.define_name(setting.name, f"={settings.at('value', index)}")
    merged_notes(book, sheet, 1, ASSUMPTION_NOTES, widths)
    print_setup(sheet, header_rows=None)


def merged_notes(book: Book, sheet, first_row: int, notes, widths) -> None:
    """Notes across the sheet's first columns, wrapped: long text must not set the printed page's width."""
    look = book.format(**NOTE, text_wrap=True, valign="top")
    span = sum(widths[:SHEET_WIDTH]) or 100
    for row, note in enumerate(notes, start=first_row):
        sheet.merge_range(row, 0, row, SHEET_WIDTH - 1, note, look)
        sheet.set_row(row, 15 * math.ceil(len(note) * 1.1 / span))  # merged cells do not grow by themselves


# --------------------------------------------------------------------------------------------------
# Why infeasible
# --------------------------------------------------------------------------------------------------


def diagnosis_sheet(book: Book, plan: Plan) -> None:
    grid = Grid(DIAGNOSIS, DIAGNOSIS_COLUMNS, 0, len(plan.diagnosis))
    rows = []
    for i, d in enumerate(plan.diagnosis):
        target, most = grid.here("target", i), grid.here("most_achievable", i)
        shortfall = Formula(f'IF(AND(ISNUMBER({target}),ISNUMBER({most})),MAX(0,{target}-{most}),"")',
                            "" if d.shortfall is None else d.shortfall)
        rows.append([d.subject, d.finding, d.target, d.most_achievable, shortfall])
    sheet = book.workbook.add_worksheet(DIAGNOSIS)
    set_widths(sheet, write_table(book, sheet, grid.top, grid.columns, rows, name="WhyInfeasible"))
    sheet.freeze_panes(1, 1)
    print_setup(sheet)


# --------------------------------------------------------------------------------------------------
# Charts: savings against target by council, and savings by service
# --------------------------------------------------------------------------------------------------


def services_by_saving(plan: Plan) -> list[str]:
    """Every service of the input, the biggest saving first: the chart reads as a ranking."""
    saving = {s.service: 0.0 for s in plan.inputs.services}
    for p in plan.partnerships:
        saving[p.service] += p.annual_saving
    for r in plan.reductions:
        saving[r.service] += r.annual_saving
    return sorted(saving, key=lambda name: (-round(saving[name], 2), name))


def service_rows(plan: Plan, services: Grid, membership: Grid, reductions: Grid) -> list[list[Any]]:
    names = services_by_saving(plan)
    rows = []
    for i, name in enumerate(names):
        key = services.here("service", i)
        shared = math.fsum(s for p in plan.partnerships if p.service == name for _, s, _, _ in p.members)
        reduced = math.fsum(r.annual_saving for r in plan.reductions if r.service == name)
        rows.append([
            name,
            Formula(sum_where(membership.span("service"), key, membership.span("annual_saving")), shared),
            Formula(sum_where(reductions.span("service"), key, reductions.span("annual_saving")), reduced),
            Formula(f"{services.here('from_sharing', i)}+{services.here('from_reductions', i)}", shared + reduced),
        ])
    return rows


def money_axis(largest: float) -> str:
    return '£#,##0.0,,"m"' if largest >= 1e6 else "£#,##0"


def add_saving_series(chart, grid: Grid, names: str, columns: tuple[str, str], prefix: str, gap: int) -> None:
    """The two stacked series every saving chart shows: from sharing (blue), from reductions (orange)."""
    for column, title, colour in zip(columns, ("from sharing", "from reductions"), ("#4472C4", "#ED7D31")):
        chart.add_series({"name": prefix + title, "categories": names, "values": grid.span(column),
                          "fill": {"color": colour}, "gap": gap})


def council_chart(book: Book, plan: Plan, councils: Grid):
    """Stacked columns of each council's saving (sharing, reductions) with its target as a marker."""
    chart = book.workbook.add_chart({"type": "column", "subtype": "stacked"})
    names = councils.span("council")
    add_saving_series(chart, councils, names, ("saving_from_sharing", "saving_from_reductions"), "saving ", 40)
    target = book.workbook.add_chart({"type": "line"})
    target.add_series({"name": "target", "categories": names, "values": councils.span("target"),
                       "line": {"none": True},
                       "marker": {"type": "diamond", "size": 8, "fill": {"color": "#C00000"},
                                  "border": {"color": "#C00000"}}})
    chart.combine(target)
    largest = max([c.total_saving for c in plan.councils] + [c.target or 0 for c in plan.councils] + [0])
    chart.set_title({"name": "Annual saving against target, by council", "name_font": {"size": 12}})
    chart.set_y_axis({"num_format": money_axis(largest), "major_gridlines": {"visible": True,
                                                                             "line": {"color": "#D9D9D9"}}})
    chart.set_x_axis({"num_font": {"rotation": -45, "size": 8}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": max(760, 34 * len(plan.councils) + 160), "height": 440})
    return chart


def service_chart(book: Book, services: Grid, largest: float):
    chart = book.workbook.add_chart({"type": "bar", "subtype": "stacked"})
    names = services.span("service")
    add_saving_series(chart, services, names, ("from_sharing", "from_reductions"), "", 50)
    chart.set_title({"name": "Annual saving by service", "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": money_axis(largest), "major_gridlines": {"visible": True,
                                                                             "line": {"color": "#D9D9D9"}}})
    # first service at the top, and the value axis still below the bars
    chart.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"size": 9}})
    chart.set_legend({"position": "top"})
    chart.set_size({"width": 620, "height": max(300, 26 * services.count + 120)})
    return chart


def services_grid(plan: Plan) -> Grid:
    """The Charts sheet's savings by service (the Overview's chart reads it too)."""
    return Grid(CHARTS, SERVICE_COLUMNS, 3, len(services_by_saving(plan)))


def charts_sheet(book: Book, plan: Plan, councils: Grid, membership: Grid, reductions: Grid) -> None:
    sheet = book.workbook.add_worksheet(CHARTS)
    put(book, sheet, 0, 0, "Annual savings by service and by council", **TITLE)
    put(book, sheet, 1, 0, "The charts follow the live totals: edit a rate on Assumptions and they move.", **NOTE)
    services = services_grid(plan)
    rows = service_rows(plan, services, membership, reductions)
    set_widths(sheet, write_table(book, sheet, services.top, services.columns, rows, name="SavingsByService"))
    largest = max([0.0] + [row[-1].cached for row in rows])
    sheet.insert_chart(services.top, 5, service_chart(book, services, largest))
    below = max(services.end, services.top + math.ceil((26 * services.count + 120) / 20)) + 2
    sheet.insert_chart(below, 0, council_chart(book, plan, councils))
    print_setup(sheet, header_rows=None)
    sheet.fit_to_pages(1, 1)  # a page of charts, never a chart cut in two


# --------------------------------------------------------------------------------------------------
# Run info
# --------------------------------------------------------------------------------------------------


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def run_rows(plan: Plan) -> list[list[Any]]:
    inputs = plan.inputs
    rows: list[list[Any]] = [
        ["input_file", inputs.source_name], ["input_sha256", inputs.source_sha256],
        ["status", plan.status], ["gap", Typed(plan.gap, "gap")], ["solver", plan.solver],
        ["solve_seconds", Typed(round(plan.solve_seconds, 3), "seconds")],
        ["candidate_partnerships", Typed(plan.candidate_count, "int")],
        ["optimiser_version", __version__], ["pulp_version", version("pulp")],
        ["highspy_version", package_version("highspy")],
        ["xlsxwriter_version", xlsxwriter.__version__], ["python_version", platform.python_version()],
    ]
    for name, value in asdict(inputs.settings).items():
        rows.append([f"setting: {name}", Typed(value, SETTING_KINDS.get(name, "text"))])
    rows += [["note", note] for note in plan.notes]
    return rows


def aim_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for k, stage in enumerate(plan.stages, start=1):
        kind = "impact" if stage.aim == "impact" else "money"
        rows.append([f"{k}. {AIM_WORDS.get(stage.aim, stage.aim)}", stage.termination,
                     Typed(stage.value, kind), Typed(stage.bound, kind), stage.gap, stage.seconds])
    return rows


def run_info_sheet(book: Book, plan: Plan) -> None:
    """How the plan was made: files, versions, settings, what each aim proved, the end of the solver's log."""
    sheet = book.workbook.add_worksheet(RUN_INFO)
    info_rows, aims_rows = run_rows(plan), aim_rows(plan)
    log_rows = [[n, line] for n, line in enumerate(plan.log_tail, start=1)]
    info = Grid(RUN_INFO, RUN_COLUMNS, 0, len(info_rows))
    aims = Grid(RUN_INFO, AIM_COLUMNS, info.end + 2, len(aims_rows))
    log = Grid(RUN_INFO, LOG_COLUMNS, max(aims.end, aims.top + 2) + 2, len(log_rows))
    tables = ((info, "", info_rows, "RunInfo"), (aims, "What the solver proved, aim by aim", aims_rows, "RunAims"),
              (log, "The end of the solver's log", log_rows, "RunLog"))
    widths = shared_widths([(grid.columns, rows) for grid, _, rows, _ in tables])
    widths[1] = 70
    for grid, title, rows, table in tables:
        if title:
            put(book, sheet, grid.top - 1, 0, title, bold=True, font_size=12)
        write_table(book, sheet, grid.top, grid.columns, rows, name=table, widths=widths)
    set_widths(sheet, widths)
    sheet.freeze_panes(1, 1)
    print_setup(sheet)


# --------------------------------------------------------------------------------------------------
# The Summary's words
# --------------------------------------------------------------------------------------------------


def aims_proven(plan: Plan) -> str:
    words = []
    for stage in plan.stages:
        name = AIM_WORDS.get(stage.aim, stage.aim)
        if stage.termination == Termination.NOT_RUN or not stage.has_plan:
            words.append(f"{name} not reached")
        else:
            words.append(f"{name} proven" if stage.gap == 0 else f"{name} within {stage.gap:.2%} of the best")
    return "; ".join(words)


def how_far(plan: Plan) -> str:
    """How far the plan can be from the best: a percentage only when every aim was reached (an aim
    not reached has no bound worth a figure, and "at most 100 %" says nothing)."""
    if any(s.termination == Termination.NOT_RUN or not s.has_plan for s in plan.stages):
        return f"How far it is from the best is known only for the aims reached ({aims_proven(plan)})"
    return f"This plan is at most {plan.gap:.2%} from the best possible ({aims_proven(plan)})"


def status_sentence(plan: Plan) -> str:
    settings = plan.inputs.settings
    if plan.status == RunStatus.OPTIMAL:
        return (f"Optimal: the best plan the rules allow, proven (within the {settings.mip_gap:.2%} gap tolerance) "
                "for each aim in turn: least shortfall against the targets, then least harm from reductions, then "
                f"the greatest net benefit over {settings.horizon_years:g} years.")
    if plan.stopped_early:
        return (f"Best found, not proven best: after {plan.solve_seconds:.0f} s, well inside its "
                f"{settings.time_limit_s:g} s time limit, the search had nothing left to try, and the problem is too "
                f"large to prove outright. {how_far(plan)}; more time will not prove more, a smaller problem "
                "(one region) can.")
    if plan.status == RunStatus.FEASIBLE:
        return (f"Best found, not proven best: the solver stopped at its {settings.time_limit_s:g} s time limit with "
                f"this plan. {how_far(plan)}. Raise the time limit (--time-limit) to prove more.")
    if plan.status == RunStatus.INFEASIBLE:
        why = ("See the Why infeasible sheet; first finding: "
               f"{plan.diagnosis[0].subject}: {plan.diagnosis[0].finding}" if plan.diagnosis else
               "Make the targets soft, or drop a required partnership, and run again.")
        return f"Infeasible: no plan meets every hard target and required partnership. {why}"
    return (f"No plan: the solver found none within its {settings.time_limit_s:g} s time limit. Raise the time "
            "limit (--time-limit) and run again.")


def plan_sentence(plan: Plan) -> str:
    if not plan.has_plan:
        return "There is no plan, so the sheets list no partnership or reduction."
    if not plan.partnerships and not plan.reductions:
        return "The best plan shares nothing and cuts nothing: no partnership or reduction improves on that."
    services = len({p.service for p in plan.partnerships})
    sharing = len({c for p in plan.partnerships for c in p.councils})
    cutting = len({r.council for r in plan.reductions})
    with_target = sum(1 for c in plan.councils if c.target is not None)
    text = f"{count(len(plan.partnerships), 'partnership')} share {count(services, 'service')} among " \
           f"{count(sharing, 'council')}"
    text += (f", and {count(len(plan.reductions), 'reduction')} at {count(cutting, 'council')} cut spending as a "
             "last resort" if plan.reductions else ", with no service cut")
    if with_target:
        text += f"; {plan.councils_meeting_target} of the {count(with_target, 'council')} with a target meet it"
    return text + ". The totals are live formulas over the Membership, Reductions and Assumptions sheets."


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def summary_extras(plan: Plan) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("councils_with_target", sum(1 for c in plan.councils if c.target is not None)),
        ("partnerships", len(plan.partnerships)),
        ("reductions", len(plan.reductions)),
        ("candidate_partnerships", plan.candidate_count),
        ("input_file", plan.inputs.source_name),
    ]
    return rows + [("note", note) for note in plan.notes]


# --------------------------------------------------------------------------------------------------
# Cash flow: the plan's money year by year, discounted, adding up to the Summary's net_benefit
# --------------------------------------------------------------------------------------------------

CASH_FLOW, PRIORITIES, COUNCIL_PARTNERS = "Cash flow", "Priorities", "Council partners"
CASH_FLOW_NOTES = (
    "Year 0 is the start of the plan; year t is t years later. one_off_cost is paid in year 0 unless it is "
    "borrowed; with borrowing_rate and borrowing_years set on Assumptions it is repaid instead in equal yearly "
    "instalments (repayment) in years 1 to borrowing_years: each £1 borrowed costs b/(1-(1+b)^-n) a year, or 1/n "
    "interest-free.",
    "saving is the plan's full annual saving times saving_share: year 1 at first_year_saving_share (set-up takes "
    "time), full from year 2, the part of a year a fractional horizon covers, and none after the horizon.",
    "discount_factor = 1/(1+discount_rate)^year: what £1 in that year is worth today. HM Treasury's Green Book "
    "discounts public spending at a real 3.5% a year; a rate of 0 counts every year alike. present_value = net x "
    "discount_factor, and the present values add up to the Summary's net_benefit.",
    "Edit horizon_years, discount_rate, first_year_saving_share, borrowing_rate or borrowing_years on Assumptions "
    "(or a saving rate there) and every figure here recalculates. The rows run to year {last}: a longer horizon or "
    "borrowing term needs a new run for its later years.",
)
FIGURE_COLUMNS = (Column("figure", width=22), Column("value", "money", width=16))  # meanings beside, merged
CASH_COLUMNS = (
    Column("year", "int"), Column("one_off_cost", "money"), Column("repayment", "money"), Column("saving", "money"),
    Column("net", "money"), Column("cumulative_net", "money"), Column("discount_factor", "factor"),
    Column("present_value", "money"), Column("saving_share", "factor"), Column("cost_share", "factor"),
)
BY_COUNCIL_COLUMNS = (
    Column("council"), Column("annual_saving", "money"), Column("one_off_cost", "money"),
    Column("present_value_of_savings", "money"), Column("present_value_of_costs", "money"),
    Column("net_benefit", "money"),
)


@dataclass(frozen=True)
class CashFlowGrids:
    figures: Grid  # the totals, the instalment and the two factors the rows use
    years: Grid  # one row per year: the SPEC's columns, then the shares of £1 behind them
    councils: Grid  # each council's net benefit, from the same factors

    def figure(self, name: str) -> str:
        return self.figures.at("value", CASH_FIGURES.index(name))


CASH_FIGURES = ("total_annual_saving", "total_one_off_cost", "borrowed", "instalment", "saving_factor",
                "one_off_factor", "net_benefit")


def cash_flow_grids(plan: Plan) -> CashFlowGrids:
    figures = Grid(CASH_FLOW, FIGURE_COLUMNS, len(CASH_FLOW_NOTES) + 3, len(CASH_FIGURES))
    years = Grid(CASH_FLOW, CASH_COLUMNS, figures.end + 2, len(plan.money.years) if plan.has_plan else 0)
    councils = Grid(CASH_FLOW, BY_COUNCIL_COLUMNS, max(years.end, years.top + 2) + 2,
                    len(plan.councils) if plan.has_plan else 0)
    return CashFlowGrids(figures, years, councils)


def cash_figure_rows(plan: Plan, cash: CashFlowGrids) -> list[list[Any]]:
    money, y = plan.money, cash.years
    borrowed = 'AND(ISNUMBER(borrowing_rate),ISNUMBER(borrowing_years))'
    instalment = ('IF({b}="yes",IF(borrowing_rate=0,1/borrowing_years,'
                  'borrowing_rate/(1-(1+borrowing_rate)^(-borrowing_years))),0)').format(b=cash.figure("borrowed"))
    rows = [
        ["total_annual_saving", Formula("total_annual_saving", plan.total_annual_saving),
         "The plan's full annual saving (Summary)."],
        ["total_one_off_cost", Formula("total_one_off_cost", plan.total_one_off_cost),
         "The plan's one-off costs, undiscounted (Summary)."],
        ["borrowed", Formula(f'IF({borrowed},"yes","no")', "yes" if money.borrowed else "no"),
         "yes when Assumptions gives both a borrowing_rate and borrowing_years."],
        ["instalment", Typed(Formula(instalment, money.instalment if money.borrowed else 0.0), "factor"),
         "Each year's repayment of £1 borrowed, in years 1 to borrowing_years."],
        ["saving_factor", Typed(Formula(f"SUMPRODUCT({y.span('saving_share')},{y.span('discount_factor')})",
                                        money.saving_factor), "factor"),
         "F: what £1 a year of annual saving is worth today over the horizon."],
        ["one_off_factor", Typed(Formula(f"SUMPRODUCT({y.span('cost_share')},{y.span('discount_factor')})",
                                         money.one_off_factor), "factor"),
         "G: what £1 of one-off cost costs today (1 when paid at the start)."],
        ["net_benefit", Formula(f"SUM({y.span('present_value')})", plan.net_benefit),
         "The present values added up: F x annual saving - G x one-off cost (Summary's net_benefit)."],
    ]
    return rows if plan.has_plan else [[name, None, meaning] for name, _, meaning in rows]


def figure_meanings(book: Book, sheet, cash: CashFlowGrids, rows: list[list[Any]]) -> None:
    """Each figure's meaning beside it, across the columns the year table fills: not a wide column of its own."""
    look = book.format(**NOTE, valign="top")
    for i, row in enumerate(rows):
        sheet.merge_range(cash.figures.row(i), 2, cash.figures.row(i), len(CASH_COLUMNS) - 1, row[2], look)


def cash_year_rows(plan: Plan, cash: CashFlowGrids) -> list[list[Any]]:
    if not plan.has_plan:
        return []
    money, y = plan.money, cash.years
    saving, one_off, borrowed = (cash.figure(n) for n in ("total_annual_saving", "total_one_off_cost", "borrowed"))
    rows, cumulative = [], []
    for i, flow in enumerate(plan.cash_flow()):
        year = y.here("year", i)
        cumulative.append(flow.net)
        share = Formula(f"IF({year}<1,0,MIN(1,MAX(0,horizon_years-({year}-1)))*IF({year}=1,first_year_saving_share,1))",
                        money.saving_share(flow.year))
        cost_share = Formula(f'IF({borrowed}="yes",IF(AND({year}>=1,{year}<=borrowing_years),{cash.figure("instalment")},'
                             f'0),IF({year}=0,1,0))', money.repayment_share(flow.year))
        first_net = xl_rowcol_to_cell(y.row(0), y.col("net"), row_abs=True)
        rows.append([
            flow.year,
            Formula(f'IF({borrowed}="yes",0,{one_off}*{y.here("cost_share", i)})', flow.one_off_cost),
            Formula(f'IF({borrowed}="yes",{one_off}*{y.here("cost_share", i)},0)', flow.repayment),
            Formula(f"{saving}*{y.here('saving_share', i)}", flow.saving),
            Formula(f"{y.here('saving', i)}-{y.here('one_off_cost', i)}-{y.here('repayment', i)}", flow.net),
            Formula(f"SUM({first_net}:{y.here('net', i)})", math.fsum(cumulative)),
            Formula(f"1/(1+discount_rate)^{year}", flow.discount_factor),
            Formula(f"{y.here('net', i)}*{y.here('discount_factor', i)}", flow.present_value),
            share, cost_share,
        ])
    return rows


def cash_council_rows(plan: Plan, cash: CashFlowGrids, councils: Grid) -> list[list[Any]]:
    if not plan.has_plan:
        return []
    money, g = plan.money, cash.councils
    rows = []
    for i, line in enumerate(plan.councils):
        saving_pv = money.saving_factor * line.total_saving
        cost_pv = money.one_off_factor * line.one_off_cost
        rows.append([
            line.council,
            Formula(councils.at("total_saving", i), line.total_saving),
            Formula(councils.at("one_off_cost", i), line.one_off_cost),
            Formula(f"{g.here('annual_saving', i)}*{cash.figure('saving_factor')}", saving_pv),
            Formula(f"{g.here('one_off_cost', i)}*{cash.figure('one_off_factor')}", cost_pv),
            Formula(f"{g.here('present_value_of_savings', i)}-{g.here('present_value_of_costs', i)}",
                    money.net_benefit(line.total_saving, line.one_off_cost)),
        ])
    return rows


def cash_flow_sheet(book: Book, plan: Plan, cash: CashFlowGrids, councils: Grid) -> None:
    sheet = book.workbook.add_worksheet(CASH_FLOW)
    put(book, sheet, 0, 0, "The plan's money year by year, and what it is worth today", **TITLE)
    last = plan.money.years[-1]
    figures = cash_figure_rows(plan, cash)
    tables = [
        (cash.figures, "Figures the rows use", [row[:2] for row in figures], "CashFlowFigures"),
        (cash.years, "Year by year" if plan.has_plan else "Year by year: no plan, so no cash flow",
         cash_year_rows(plan, cash), "CashFlow"),
        (cash.councils, "Each council's net benefit (its saving and one-off cost, the same F and G)",
         cash_council_rows(plan, cash, councils), "CashFlowByCouncil"),
    ]
    widths = shared_widths([(grid.columns, rows) for grid, _, rows, _ in tables])
    for grid, title, rows, name in tables:
        put(book, sheet, grid.top - 1, 0, title, bold=True, font_size=12)
        write_table(book, sheet, grid.top, grid.columns, rows, name=name, widths=widths)
    figure_meanings(book, sheet, cash, figures)
    set_widths(sheet, widths)
    merged_notes(book, sheet, 1, [note.format(last=last) for note in CASH_FLOW_NOTES], widths)
    print_setup(sheet, header_rows=None)


# --------------------------------------------------------------------------------------------------
# Priorities: the chosen reductions' harm to each objective, adding up to total_impact
# --------------------------------------------------------------------------------------------------

PRIORITY_COLUMNS = (Column("objective", width=34, wrap=True), Column("weight", "impact", editable=True),
                    Column("score", "impact"), Column("weighted_impact", "impact"),
                    Column("description", width=50, wrap=True))
PRIORITY_NOTES = (
    "Each chosen reduction scores its harm to every objective (Reductions' score columns); score is the chosen "
    "reductions' total on that objective and weighted_impact = weight x score. With the reductions' own impact "
    "(their impact column) the weighted impacts add up to the Summary's total_impact.",
    "Edit a weight (yellow) and every reduction's impact and the totals recalculate; the choice of reductions is "
    "not made again: for that, change the input workbook and run consolidate again.",
)
OWN_IMPACT = "own impact (the Reductions impact column)"


def priority_grid(plan: Plan) -> Grid | None:
    if not plan.inputs.objectives:
        return None
    return Grid(PRIORITIES, PRIORITY_COLUMNS, len(PRIORITY_NOTES) + 2, len(plan.inputs.objectives) + 1)


def priority_rows(plan: Plan, grid: Grid, reductions: Grid, score_columns: list[str]) -> list[list[Any]]:
    rows = []
    for k, objective in enumerate(plan.inputs.objectives):
        score = math.fsum(r.scores[k] for r in plan.reductions if k < len(r.scores))
        rows.append([objective.name, objective.weight, Formula(f"SUM({reductions.span(score_columns[k])})", score),
                     Formula(f"{grid.here('weight', k)}*{grid.here('score', k)}", objective.weight * score),
                     objective.description])
    own = math.fsum(r.own_impact for r in plan.reductions)
    rows.append([OWN_IMPACT, None, None, Formula(f"SUM({reductions.span('own_impact')})", own),
                 "The impact each chosen reduction carries before the objectives' weighted scores."])
    return rows


def priorities_sheet(book: Book, plan: Plan, grid: Grid, reductions: Grid, score_columns: list[str]) -> None:
    sheet = book.workbook.add_worksheet(PRIORITIES)
    put(book, sheet, 0, 0, "Priorities: what the chosen reductions cost each objective", **TITLE)
    rows = priority_rows(plan, grid, reductions, score_columns)
    widths = write_table(book, sheet, grid.top, grid.columns, rows, name="Priorities")
    total = grid.end
    put(book, sheet, total, 0, "total (= Summary total_impact)", bold=True)
    put(book, sheet, total, grid.col("weighted_impact"),
        Formula(f"SUM({grid.span('weighted_impact')})", plan.total_impact), "impact", bold=True, top=1)
    set_widths(sheet, widths)
    merged_notes(book, sheet, 1, PRIORITY_NOTES, widths)
    print_setup(sheet, header_rows=None)


# --------------------------------------------------------------------------------------------------
# Council partners: who each council shares with, and what
# --------------------------------------------------------------------------------------------------

PARTNER_COLUMNS = (Column("council"), Column("partner"), Column("services", width=60, wrap=True),
                   Column("count", "int"), Column("council_partners", "int"), Column("council_shared_services", "int"))


def partner_pairs(plan: Plan) -> list[tuple[str, str, list[str]]]:
    """(council, partner, services they share), councils in input order, closest partners first."""
    shared: dict[str, dict[str, list[str]]] = {c.name: {} for c in plan.inputs.councils}
    for p in plan.partnerships:
        for council in p.councils:
            for partner in p.councils:
                if partner != council:
                    shared.setdefault(council, {}).setdefault(partner, []).append(p.service)
    return [(council, partner, sorted(set(services)))
            for council, partners in shared.items()
            for partner, services in sorted(partners.items(), key=lambda kv: (-len(set(kv[1])), kv[0]))]


def partner_rows(plan: Plan, grid: Grid, pairs: list[tuple[str, str, list[str]]]) -> list[list[Any]]:
    partners = Counter(council for council, _, _ in pairs)
    shared_services = {}
    for p in plan.partnerships:
        for council in p.councils:
            shared_services.setdefault(council, set()).add(p.service)
    rows = []
    for i, (council, partner, services) in enumerate(pairs):
        name = grid.here("council", i)
        rows.append([
            council, partner, "; ".join(services), len(services),
            Formula(f"SUMPRODUCT(EXACT({grid.span('council')},{name})*1)", partners[council]),
            len(shared_services.get(council, ())),
        ])
    return rows


def council_partners_sheet(book: Book, plan: Plan) -> None:
    pairs = partner_pairs(plan)
    rows = partner_rows(plan, Grid(COUNCIL_PARTNERS, PARTNER_COLUMNS, 0, len(pairs)), pairs)
    sheet = book.workbook.add_worksheet(COUNCIL_PARTNERS)
    set_widths(sheet, write_table(book, sheet, 0, PARTNER_COLUMNS, rows, name="CouncilPartners"))
    sheet.freeze_panes(1, 1)
    print_setup(sheet)
