"""The plan workbook of SPEC.md section 3, built so a reviewer can audit it in Excel.

Sheets, in order: Overview (the plan on one page, in words: ``overview``), Summary, Partnerships,
Reductions, Councils (the spec's, its columns first and a few more on the right), Membership, Cash flow
(the spec's: money year by year, its present values adding up to net_benefit), Priorities (with
objectives), Council partners, Alternatives and Alternative decisions (with ``run --alternatives``),
Assumptions, Why infeasible (when the run
has a diagnosis), Charts (when there is a plan) and Run info.

Every total is a live formula. Membership has one row per council per chosen partnership; its saving,
one-off and staff figures are the member's annual cost (or FTE) times a rate taken by reference from
Assumptions, which echoes the Sharing curve and the settings used. Partnerships, Councils and Summary add
Membership and Reductions up. Each formula also carries the optimiser's own figure as its cached value,
so a reader that does not recalculate (pandas, openpyxl) sees the plan's numbers.

Rows are matched by name with SUMPRODUCT(EXACT(...)), not SUMIFS: a SUMIFS criterion treats * ? ~ as
wildcards and a leading = < > as a comparison, and ignores case, so a council called '=HYPERLINK(...)'
or 'St Ann*' would be summed wrongly. EXACT compares the text as it is, in Excel and LibreOffice alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.excel.book import (
    Book,
    Column,
    Formula,
    Grid,
    Rendered,
    Typed,
    cell_ref,
    print_setup,
    set_widths,
    sum_where,
    write_table,
)
from optimizer.excel.files import save_workbook
from optimizer.plan import MET, PartnershipLine, Plan
from optimizer.negotiate.alternatives import Alternatives
from optimizer.report import sheets as context
from optimizer.report.overview import Sources, overview_sheet
from optimizer.report.alternatives import alternatives_sheets
from optimizer.status import STATUS_FILL

SUMMARY, PARTNERSHIPS, REDUCTIONS, COUNCILS, MEMBERSHIP = "Summary", "Partnerships", "Reductions", "Councils", "Membership"

PARTNERSHIP_COLUMNS = (
    Column("partnership", width=40, wrap=True), Column("service", width=24, wrap=True),
    Column("councils", width=50, wrap=True), Column("partners", "int"), Column("annual_saving", "money"),
    Column("one_off_cost", "money"), Column("staff_reduction_fte", "fte"), Column("payback_years", "years"),
    Column("annual_cost", "money"), Column("figures_from", width=30, wrap=True),
)
REDUCTION_COLUMNS = (
    Column("council"), Column("service"), Column("reduction_pct", "pct"), Column("annual_saving", "money"),
    Column("one_off_cost", "money"), Column("impact", "impact"), Column("annual_cost", "money"),
    Column("fte", "fte"), Column("staff_reduction_fte", "fte"),
)
COUNCIL_COLUMNS = (
    Column("council"), Column("target", "money"), Column("saving_from_sharing", "money"),
    Column("saving_from_reductions", "money"), Column("total_saving", "money"), Column("shortfall", "money"),
    Column("target_met"), Column("staff_reduction_fte", "fte"), Column("one_off_cost", "money"),
    Column("net_budget", "money"), Column("saving_pct_of_budget", "rate"),
    # where the council is and what kind of body, as in the input: `consolidate show` maps the plan from them
    Column("latitude", "degrees"), Column("longitude", "degrees"), Column("body_type"),
)
WHY_SHORT = Column("why_short", width=70, wrap=True)  # with soft targets, when a council is left short
MEMBERSHIP_COLUMNS = (
    Column("council"), Column("service"), Column("partnership", width=40), Column("partners", "int"),
    Column("annual_cost", "money"), Column("saving_pct", "rate"), Column("annual_saving", "money"),
    Column("one_off_pct", "rate"), Column("one_off_cost", "money"), Column("fte", "fte"),
    Column("staff_reduction_pct", "rate"), Column("staff_reduction_fte", "fte"),
    Column("share_of_cost", "rate"), Column("figures_from"),
)
SUMMARY_COLUMNS = (Column("metric", width=26), Column("value", width=90, wrap=True, left=True))
SUMMARY_KINDS = {
    "gap": "gap", "total_annual_saving": "money", "total_one_off_cost": "money", "net_benefit": "money",
    "total_shortfall": "money", "total_impact": "impact", "councils_meeting_target": "int",
    "solve_seconds": "seconds", "councils_with_target": "int", "partnerships": "int", "reductions": "int",
    "candidate_partnerships": "int",
}
# Summary rows with a workbook-wide name, so a reviewer can type =net_benefit anywhere.
NAMED_TOTALS = ("total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall", "total_impact",
                "councils_meeting_target")
GOOD, BAD = {"bg_color": "#C6EFCE", "font_color": "#006100"}, {"bg_color": "#FFC7CE", "font_color": "#9C0006"}

# Each Membership figure: (rate column, figure column, what the rate multiplies, the listed group's column).
FIGURES = (
    ("saving_pct", "annual_saving", "annual_cost", "annual_saving"),
    ("one_off_pct", "one_off_cost", "annual_cost", "one_off_cost"),
    ("staff_reduction_pct", "staff_reduction_fte", "fte", "staff_reduction_fte"),
)
FIGURE_WORDS = ("annual saving", "one-off cost", "staff reduction")


# --------------------------------------------------------------------------------------------------
# The rows behind the sheets
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One council in one chosen partnership, with where its rates come from."""

    label: str  # the partnership's name, unique in the workbook
    line: PartnershipLine
    council: str
    figures: tuple[float, float, float]  # annual saving, one-off cost, staff reduction (the optimiser's)
    annual_cost: float
    fte: float
    group_cost: float
    curve: int | None  # row of the Sharing curve table for this service and size
    rates: tuple[float, float, float]  # the curve's saving, one-off and staff rates (0 without a curve row)
    listed: int | None  # row of the Listed partnerships table, when the group has figures of its own
    own: tuple[bool, bool, bool]  # which figures are the listed group's own, not the curve's

    @property
    def share(self) -> float:
        return self.annual_cost / self.group_cost if self.group_cost > 0 else 1 / len(self.line.councils)

    def base(self, column: str) -> float:
        return self.annual_cost if column == "annual_cost" else self.fte


def unique_labels(lines: tuple[PartnershipLine, ...]) -> list[str]:
    """Partnership names, made unique: totals find a partnership's Membership rows by its name."""
    used: set[str] = set()
    labels = []
    for line in lines:
        label, count = line.partnership, 1
        while label in used:
            count += 1
            label = f"{line.partnership} ({count})"
        used.add(label)
        labels.append(label)
    return labels


def listed_row(plan: Plan, line: PartnershipLine) -> int | None:
    """The Partnerships-sheet row of the input that this chosen group is, if any."""
    key = (line.service, frozenset(line.councils))
    for index, listed in enumerate(plan.inputs.partnerships):
        if (listed.service, frozenset(listed.councils)) == key:
            return index
    return None


def own_figures(plan: Plan, index: int | None) -> tuple[bool, bool, bool]:
    if index is None:
        return (False, False, False)
    listed = plan.inputs.partnerships[index]
    return tuple(v is not None for v in (listed.annual_saving, listed.one_off_cost, listed.staff_reduction_fte))


def member_rows(plan: Plan) -> list[MemberRow]:
    curve = {(t.service, t.partners): i for i, t in enumerate(plan.inputs.sharing)}
    rows = []
    for label, line in zip(unique_labels(plan.partnerships), plan.partnerships):
        listed = listed_row(plan, line)
        own = own_figures(plan, listed)
        services = [plan.inputs.service_row[(c, line.service)] for c in line.councils]
        group_cost = sum(s.annual_cost for s in services)
        size = (line.service, len(line.councils))
        terms = plan.inputs.terms.get(size)
        rates = (terms.saving_pct, terms.one_off_pct, terms.staff_pct) if terms else (0.0, 0.0, 0.0)
        for (council, *figures), service in zip(line.members, services):
            rows.append(MemberRow(label, line, council, tuple(figures), service.annual_cost, service.fte, group_cost,
                                  curve.get(size), rates, listed if any(own) else None, own))
    return rows


def figures_from(own: tuple[bool, bool, bool]) -> str:
    if not any(own):
        return "Sharing curve"
    listed = ", ".join(w for w, o in zip(FIGURE_WORDS, own) if o)
    curve = ", ".join(w for w, o in zip(FIGURE_WORDS, own) if not o)
    return f"listed: {listed}" + (f"; curve: {curve}" if curve else "")


@dataclass(frozen=True)
class Layout:
    """Every table's place, fixed before anything is written: formulas point across sheets."""

    partnerships: Grid
    reductions: Grid
    councils: Grid
    membership: Grid
    settings: Grid
    curve: Grid
    listed: Grid
    cash: context.CashFlowGrids
    priorities: Grid | None  # only with objectives
    score_columns: tuple[str, ...]  # the Reductions sheet's column for each objective, in their order


def score_columns(plan: Plan) -> tuple[str, ...]:
    """A Reductions column per objective, named after it; unique ignoring case, as a Table needs."""
    used = {c.name.casefold() for c in REDUCTION_COLUMNS} | {"own_impact"}
    names = []
    for objective in plan.inputs.objectives:
        name, count = f"score: {objective.name}", 1
        while name.casefold() in used:
            count += 1
            name = f"score: {objective.name} ({count})"
        used.add(name.casefold())
        names.append(name)
    return tuple(names)


def reduction_columns(scores: tuple[str, ...]) -> tuple[Column, ...]:
    if not scores:
        return REDUCTION_COLUMNS
    return REDUCTION_COLUMNS + (Column("own_impact", "impact"),) + tuple(Column(n, "impact") for n in scores)


def make_layout(plan: Plan, members: list[MemberRow]) -> Layout:
    scores = score_columns(plan)
    return Layout(
        Grid(PARTNERSHIPS, PARTNERSHIP_COLUMNS, 0, len(plan.partnerships)),
        Grid(REDUCTIONS, reduction_columns(scores), 0, len(plan.reductions)),
        Grid(COUNCILS, COUNCIL_COLUMNS + ((WHY_SHORT,) if plan.why_short else ()), 0, len(plan.councils)),
        Grid(MEMBERSHIP, MEMBERSHIP_COLUMNS, 0, len(members)),
        *context.assumption_grids(plan.inputs),
        context.cash_flow_grids(plan),
        context.priority_grid(plan),
        scores,
    )


# --------------------------------------------------------------------------------------------------
# Membership: one row per council per partnership, rates by reference to Assumptions
# --------------------------------------------------------------------------------------------------


def membership_row(at: Layout, i: int, m: MemberRow) -> list[Any]:
    g = at.membership
    group = sum_where(g.span("partnership"), g.here("partnership", i), g.span("annual_cost"))
    share = Formula(f"IF({group}>0,{g.here('annual_cost', i)}/{group},1/{g.here('partners', i)})", m.share)
    cells = {
        "council": m.council, "service": m.line.service, "partnership": m.label, "partners": len(m.line.councils),
        "annual_cost": m.annual_cost, "fte": m.fte, "share_of_cost": share, "figures_from": figures_from(m.own),
    }
    for columns, value, curve_rate, own in zip(FIGURES, m.figures, m.rates, m.own):
        cells.update(figure_cells(at, i, m, columns, value, curve_rate, own))
    return [cells[c.name] for c in g.columns]


def figure_cells(at: Layout, i: int, m: MemberRow, columns, value: float, curve_rate: float,
                 own: bool) -> dict[str, Any]:
    """A figure and its rate: curve rate x base, or the listed group's figure x the member's share."""
    rate, figure, base, listed_column = columns
    g = at.membership
    base_value = m.base(base)
    effective = value / base_value if base_value > 0 else 0.0
    if own:
        return {
            figure: Formula(f"{at.listed.at(listed_column, m.listed)}*{g.here('share_of_cost', i)}", value),
            rate: Formula(f"IF({g.here(base, i)}>0,{g.here(figure, i)}/{g.here(base, i)},0)", effective),
        }
    if m.curve is None:  # cannot happen for a validated input; keep the figure rather than fail
        return {figure: value, rate: effective}
    return {
        rate: Formula(at.curve.at(rate, m.curve), curve_rate),
        figure: Formula(f"{g.here(base, i)}*{g.here(rate, i)}", value),
    }


# --------------------------------------------------------------------------------------------------
# The spec's sheets
# --------------------------------------------------------------------------------------------------


def partnership_row(plan: Plan, at: Layout, i: int, label: str, line: PartnershipLine) -> list[Any]:
    p, m = at.partnerships, at.membership

    def total(column: str, value: float) -> Formula:
        return Formula(sum_where(m.span("partnership"), p.here("partnership", i), m.span(column)), value)

    saving, one_off = p.here("annual_saving", i), p.here("one_off_cost", i)
    payback = line.payback_years
    group_cost = sum(plan.inputs.service_row[(c, line.service)].annual_cost for c in line.councils)
    return [
        label, line.service, "; ".join(line.councils), len(line.councils),
        total("annual_saving", line.annual_saving), total("one_off_cost", line.one_off_cost),
        total("staff_reduction_fte", line.staff_reduction_fte),
        # a group with one-off costs and no saving never pays back: the word, not a #DIV/0!
        Formula(f'IF({one_off}<=0,0,IF({saving}>0,{one_off}/{saving},"never"))',
                "never" if payback == float("inf") else payback),
        total("annual_cost", group_cost), figures_from(own_figures(plan, listed_row(plan, line))),
    ]


def reduction_row(plan: Plan, at: Layout, i: int, line) -> list[Any]:
    r = at.reductions
    service = plan.inputs.service_row[(line.council, line.service)]
    pct = r.here("reduction_pct", i)
    impact: Any = line.impact
    scores = []
    if at.priorities is not None:  # impact = own impact + each objective's weight (on Priorities) x score
        p = at.priorities
        weighted = "".join(f"+{p.at('weight', k)}*{r.here(name, i)}" for k, name in enumerate(at.score_columns))
        impact = Formula(f"{r.here('own_impact', i)}{weighted}", line.impact)
        scores = [line.own_impact] + [line.scores[k] if k < len(line.scores) else 0.0
                                      for k in range(len(at.score_columns))]
    return [
        line.council, line.service, line.reduction_pct,
        Formula(f"{r.here('annual_cost', i)}*{pct}", line.annual_saving), line.one_off_cost, impact,
        service.annual_cost, service.fte, Formula(f"{r.here('fte', i)}*{pct}", line.staff_reduction_fte),
        *scores,
    ]


def council_row(plan: Plan, at: Layout, i: int, line) -> list[Any]:
    c, m, r = at.councils, at.membership, at.reductions
    name, target, total = c.here("council", i), c.here("target", i), c.here("total_saving", i)

    def both(column: str) -> str:
        return f"{sum_where(m.span('council'), name, m.span(column))}+{sum_where(r.span('council'), name, r.span(column))}"

    met = "" if line.target_met is None else ("yes" if line.target_met else "no")
    council = plan.inputs.council[line.council]
    budget = council.net_budget
    return [
        line.council, line.target,
        Formula(sum_where(m.span("council"), name, m.span("annual_saving")), line.saving_from_sharing),
        Formula(sum_where(r.span("council"), name, r.span("annual_saving")), line.saving_from_reductions),
        Formula(f"{c.here('saving_from_sharing', i)}+{c.here('saving_from_reductions', i)}", line.total_saving),
        Formula(f"IF(ISNUMBER({target}),MAX(0,{target}-{total}),0)", line.shortfall),
        # met within a penny, as the plan counts it (float noise is not money)
        Formula(f'IF(ISNUMBER({target}),IF({c.here("shortfall", i)}<={MET},"yes","no"),"")', met),
        Formula(both("staff_reduction_fte"), line.staff_reduction_fte),
        Formula(both("one_off_cost"), line.one_off_cost),
        budget,
        Formula(f"IF({c.here('net_budget', i)}>0,{total}/{c.here('net_budget', i)},0)",
                line.total_saving / budget if budget > 0 else 0.0),
        council.latitude, council.longitude, council.body_type,
    ] + ([plan.reason_short(line.council)] if plan.why_short else [])


def table_sheet(book: Book, grid: Grid, rows: list[list[Any]], table: str, *, freeze_cols: int = 1):
    sheet = book.workbook.add_worksheet(grid.sheet)
    set_widths(sheet, write_table(book, sheet, grid.top, grid.columns, rows, name=table))
    sheet.freeze_panes(grid.top + 1, freeze_cols)
    print_setup(sheet, header_rows=grid.top)
    return sheet


def partnerships_sheet(book: Book, plan: Plan, at: Layout) -> None:
    labels = unique_labels(plan.partnerships)
    rows = [partnership_row(plan, at, i, label, line) for i, (label, line) in enumerate(zip(labels, plan.partnerships))]
    table_sheet(book, at.partnerships, rows, "PlanPartnerships")


def reductions_sheet(book: Book, plan: Plan, at: Layout) -> None:
    rows = [reduction_row(plan, at, i, line) for i, line in enumerate(plan.reductions)]
    table_sheet(book, at.reductions, rows, "PlanReductions")


def councils_sheet(book: Book, plan: Plan, at: Layout) -> None:
    rows = [council_row(plan, at, i, line) for i, line in enumerate(plan.councils)]
    sheet = table_sheet(book, at.councils, rows, "PlanCouncils")
    if rows:
        c = at.councils
        met = (c.row(0), c.col("target_met"), c.row(c.count - 1), c.col("target_met"))
        sheet.conditional_format(*met, {"type": "cell", "criteria": "==", "value": '"yes"', "format": book.format(**GOOD)})
        sheet.conditional_format(*met, {"type": "cell", "criteria": "==", "value": '"no"', "format": book.format(**BAD)})
        short = (c.row(0), c.col("shortfall"), c.row(c.count - 1), c.col("shortfall"))
        sheet.conditional_format(*short, {"type": "cell", "criteria": ">", "value": MET,
                                          "format": book.format(font_color="#9C0006", bold=True)})


def membership_sheet(book: Book, plan: Plan, at: Layout, members: list[MemberRow]) -> None:
    rows = [membership_row(at, i, m) for i, m in enumerate(members)]
    table_sheet(book, at.membership, rows, "PlanMembership")


# --------------------------------------------------------------------------------------------------
# Summary: the spec's metric/value rows, totals as formulas, and the plan in plain English
# --------------------------------------------------------------------------------------------------


def summary_formulas(at: Layout) -> dict[str, str]:
    c, r = at.councils, at.reductions
    return {
        "total_annual_saving": f"SUM({c.span('total_saving')})",
        "total_one_off_cost": f"SUM({c.span('one_off_cost')})",
        # the Cash flow sheet's present values, year by year, added up (SPEC section 3)
        "net_benefit": f"SUM({at.cash.years.span('present_value')})",
        "total_shortfall": f"SUM({c.span('shortfall')})",
        "total_impact": f"SUM({r.span('impact')})",
        "councils_meeting_target": f'COUNTIF({c.span("target_met")},"yes")',
    }


def summary_rows(plan: Plan, at: Layout) -> list[tuple[str, Any]]:
    """status first (the spec's B2), its plain-English reading, the spec's metrics, then context."""
    formulas = summary_formulas(at) if plan.has_plan else {}
    rows = []
    for metric, value in plan.summary().items():
        if metric in formulas:
            value = Formula(formulas[metric], value)
        rows.append((metric, Typed(value, SUMMARY_KINDS.get(metric, "text"))))
        if metric == "status":
            rows.append(("status_explained", context.status_sentence(plan)))
            rows.append(("plan_in_brief", context.plan_sentence(plan)))
    rows += [(metric, Typed(value, SUMMARY_KINDS.get(metric, "text"))) for metric, value in context.summary_extras(plan)]
    return rows


def summary_cells(plan: Plan, at: Layout) -> dict[str, str]:
    """Each Summary metric's value cell, as the Overview refers to it."""
    grid = Grid(SUMMARY, SUMMARY_COLUMNS, 0)
    rows = summary_rows(plan, at)
    return {metric: cell_ref(SUMMARY, grid.row(i), grid.col("value")) for i, (metric, _) in enumerate(rows)}


def summary_sheet(book: Book, plan: Plan, at: Layout) -> None:
    rows = summary_rows(plan, at)
    grid = Grid(SUMMARY, SUMMARY_COLUMNS, 0, len(rows))
    sheet = table_sheet(book, grid, [list(row) for row in rows], "PlanSummary", freeze_cols=0)
    status = (grid.row(0), grid.col("value"))
    for word, fill in STATUS_FILL.items():
        sheet.conditional_format(*status, *status, {"type": "cell", "criteria": "==", "value": f'"{word}"',
                                                    "format": book.format(bold=True, bg_color=fill)})
    for index, (metric, _) in enumerate(rows):
        if metric in NAMED_TOTALS:
            book.workbook.define_name(metric, f"={cell_ref(SUMMARY, grid.row(index), grid.col('value'))}")


# --------------------------------------------------------------------------------------------------
# The workbook
# --------------------------------------------------------------------------------------------------


def render_plan(plan: Plan, alternatives: Alternatives | None = None) -> bytes:
    """The plan workbook's bytes: the same plan gives the same bytes, whatever the date. With
    ``alternatives`` (``run --alternatives``), their two sheets follow Council partners."""
    members = member_rows(plan)
    at = make_layout(plan, members)
    book = Book()
    sources = Sources(summary_cells(plan, at), at.councils, at.partnerships, context.services_grid(plan))
    overview_sheet(book, plan, sources)  # first: what a finance director reads
    summary_sheet(book, plan, at)
    partnerships_sheet(book, plan, at)
    reductions_sheet(book, plan, at)
    councils_sheet(book, plan, at)
    membership_sheet(book, plan, at, members)
    context.cash_flow_sheet(book, plan, at.cash, at.councils)
    if at.priorities is not None:
        context.priorities_sheet(book, plan, at.priorities, at.reductions, list(at.score_columns))
    context.council_partners_sheet(book, plan)
    if alternatives is not None:
        alternatives_sheets(book, alternatives)
    context.assumptions_sheet(book, plan, at.settings, at.curve, at.listed, members)
    if plan.diagnosis:
        context.diagnosis_sheet(book, plan)
    if plan.has_plan:
        context.charts_sheet(book, plan, at.councils, at.membership, at.reductions)
    context.run_info_sheet(book, plan)
    return book.finish()


def write_plan(plan: Plan, path: Path, *, force: bool, input_path: Path, alternatives: Alternatives | None = None) -> Path:
    """Render, then save atomically (never over the input, never over a file without ``force``)."""
    return save_workbook(Rendered(render_plan(plan, alternatives)), path, force=force, inputs=[input_path])
