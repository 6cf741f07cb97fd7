"""The Overview sheet, first in the plan workbook: the plan on one A4 page, in a finance director's words.

The headline (saved a year, one-off, payback, net present value), the targets met and missed with why
each council is left short, the ten largest partnerships and the chart of savings by service. Every
figure is a live formula on the Summary, Councils or Partnerships cell a reviewer would check, carrying
the optimiser's figure as its cached value; the words around them are the plan's.
"""

from __future__ import annotations

from dataclasses import dataclass
from optimizer.excel.book import NOTE, TITLE, Book, Formula, Grid, put
from optimizer.plan import Plan
from optimizer.report import sheets as context
from optimizer.status import RunStatus

OVERVIEW = "Overview"
WIDTHS = (30, 15, 15, 15, 62)  # A label or name, B-D figures, E words
LISTED_SHORT = 10  # councils left short shown here; the rest are on Councils, with why_short
LARGEST = 10
ROW_HEIGHT = 15  # points, as XlsxWriter's default row
CHART_ROW_PIXELS = 20


@dataclass(frozen=True)
class Sources:
    """Where the Overview's figures live: Summary cells by metric, and the tables it picks rows from."""

    summary: dict[str, str]
    councils: Grid
    partnerships: Grid
    services: Grid  # the Charts sheet's savings by service


def money_format(plan: Plan) -> str:
    largest = max([plan.total_annual_saving, plan.total_one_off_cost, abs(plan.net_benefit)] +
                  [c.target or 0.0 for c in plan.councils])
    return '£#,##0.0,,"m"' if largest >= 1e6 else "£#,##0"


def status_words(plan: Plan) -> str:
    if plan.status == RunStatus.OPTIMAL:
        return ("This is the best plan the rules allow, proven: first the least shortfall against the targets, then "
                "the least harm from cutting services, then the greatest net benefit.")
    if plan.status == RunStatus.FEASIBLE:
        return f"This is the best plan found in the time allowed, not proven best: {context.aims_proven(plan)}."
    if plan.status == RunStatus.INFEASIBLE:
        return ("There is no plan: no plan meets every hard target and required partnership. The Why infeasible "
                "sheet says what stands in the way.")
    return "There is no plan: none was found within the time limit."


def headline(plan: Plan, at: Sources) -> list[tuple[str, Formula, str, str]]:
    """(label, figure, number format, what it means) for the five figures a board asks for first."""
    settings, money = plan.inputs.settings, money_format(plan)
    saved, once = at.summary["total_annual_saving"], at.summary["total_one_off_cost"]
    with_target = sum(1 for c in plan.councils if c.target is not None)
    first_year = (f"; {settings.first_year_saving_share:.0%} of it in year 1 while partnerships are set up"
                  if settings.first_year_saving_share < 1 else "")
    borrowed = (f"borrowed at {settings.borrowing_rate:.1%} and repaid over {settings.borrowing_years} years"
                if plan.money.borrowed else "paid at the start")
    discounted = f", discounted at {settings.discount_rate:.1%} a year" if settings.discount_rate else ", not discounted"
    payback = plan.total_one_off_cost / plan.total_annual_saving if plan.total_annual_saving > 0 else (
        "never" if plan.total_one_off_cost > 0 else 0.0)
    return [
        ("Saved every year", Formula(saved, plan.total_annual_saving), money,
         f"once every partnership and reduction below is running{first_year}"),
        *cuts(plan, at, money),
        ("One-off cost", Formula(once, plan.total_one_off_cost), money,
         f"set-up, redundancy and IT, {borrowed}"),
        ("Pays back in", Formula(f'IF({saved}>0,{once}/{saved},IF({once}>0,"never",0))', payback), '0.0 "years"',
         "the one-off cost divided by the annual saving"),
        (f"Net present value over {settings.horizon_years:g} years", Formula(at.summary["net_benefit"], plan.net_benefit),
         money, f"the savings of those years less the one-off cost{discounted} (Cash flow sheet)"),
        ("Councils meeting their target", Formula(at.summary["councils_meeting_target"], plan.councils_meeting_target),
         "0", f"of the {with_target} with a savings target" if with_target else "no council set a savings target"),
        ("Left short of their targets", Formula(at.summary["total_shortfall"], plan.total_shortfall), money,
         "a year, all councils together: each one left short is listed below with the reason"),
    ]


def cuts(plan: Plan, at: Sources, money: str) -> list[tuple[str, Formula, str, str]]:
    """The last resort, when the plan uses it: what cutting services saves, and its harm (Summary's total_impact)."""
    if not plan.reductions:
        return []
    saved = sum(line.saving_from_reductions for line in plan.councils)
    councils = len({r.council for r in plan.reductions})
    return [("Of which from cutting services", Formula(f"SUM({at.councils.span('saving_from_reductions')})", saved),
             money, f"{len(plan.reductions)} reductions at {councils} councils, the last resort; harm scored "
                    f"{plan.total_impact:,.2f} (Summary's total_impact)")]


def short_councils(plan: Plan) -> list[int]:
    """Indices (in plan.councils) of the councils left short, the largest shortfall first."""
    short = [i for i, c in enumerate(plan.councils) if c.target_met is False]
    return sorted(short, key=lambda i: (-round(plan.councils[i].shortfall, 2), plan.councils[i].council))


def largest_partnerships(plan: Plan) -> list[int]:
    order = range(len(plan.partnerships))
    return sorted(order, key=lambda i: (-round(plan.partnerships[i].annual_saving, 2), i))[:LARGEST]


def section(book: Book, sheet, row: int, title: str, headers: tuple[str, ...]) -> int:
    put(book, sheet, row, 0, title, bold=True, font_size=12)
    for col, name in enumerate(headers):  # figures in B-D: their headers right-aligned above them
        put(book, sheet, row + 1, col, name, bold=True, bg_color="#DDEBF7", bottom=1, text_wrap=True, valign="top",
            align="right" if 1 <= col <= 3 else "left", indent=1 if col == 4 else 0)
    return row + 2


def lines(text: str, width: float) -> int:
    return max(1, -(-len(text) // int(width)))  # a line holds about as many characters as the width, wrapped at words


def overview_sheet(book: Book, plan: Plan, at: Sources) -> None:
    sheet = book.workbook.add_worksheet(OVERVIEW)
    for col, width in enumerate(WIDTHS):
        sheet.set_column(col, col, width)
    name = plan.inputs.source_name.removesuffix(".xlsx") or "the councils"
    put(book, sheet, 0, 0, f"Shared services plan: {name}", **TITLE)
    put(book, sheet, 1, 0, status_words(plan), **NOTE)
    row = 3
    if plan.has_plan:
        row = headline_rows(book, sheet, plan, at, row) + 1
        row = short_rows(book, sheet, plan, at, row) + 1
        row = partnership_rows(book, sheet, plan, at, row) + 1
        if plan.total_annual_saving > 0:  # an empty chart says nothing
            row = chart_rows(book, sheet, plan, at, row)
    elif plan.diagnosis:
        row = section(book, sheet, row, "What stands in the way", ("subject", "", "", "", "finding"))
        for d in plan.diagnosis[:LISTED_SHORT]:
            put(book, sheet, row, 0, d.subject, text_wrap=True, valign="top")
            put(book, sheet, row, 4, d.finding, text_wrap=True, valign="top")
            sheet.set_row(row, ROW_HEIGHT * lines(d.finding, WIDTHS[4]))
            row += 1
    sheet.print_area(0, 0, max(row, 3) - 1, len(WIDTHS) - 1)
    sheet.set_paper(9)  # A4
    sheet.set_portrait()
    sheet.fit_to_pages(1, 1)  # the whole overview on one page, whatever its length
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.set_footer("&L&A&RPage &P of &N")
    sheet.hide_gridlines(2)
    sheet.activate()


def headline_rows(book: Book, sheet, plan: Plan, at: Sources, row: int) -> int:
    put(book, sheet, row, 0, "What the plan does", bold=True, font_size=12)
    row += 1
    for label, figure, number, meaning in headline(plan, at):
        put(book, sheet, row, 0, label, bold=True)
        put(book, sheet, row, 1, figure, num_format=number, bold=True, font_size=12, align="right")
        sheet.merge_range(row, 2, row, 4, meaning, book.format(**NOTE, valign="vcenter", indent=1))
        row += 1
    return row


def short_rows(book: Book, sheet, plan: Plan, at: Sources, row: int) -> int:
    short = short_councils(plan)
    c, money = at.councils, money_format(plan)
    if not short:
        with_target = sum(1 for line in plan.councils if line.target is not None)
        text = "Every council with a savings target meets it." if with_target else "No council set a savings target."
        put(book, sheet, row, 0, text, bold=True)
        return row + 1
    row = section(book, sheet, row, f"Left short of their targets ({len(short)}), and why",
                  ("council", "target", "saving", "short by", "why it is left short (what limits it)"))
    for i in short[:LISTED_SHORT]:
        line = plan.councils[i]
        why = plan.reason_short(line.council)
        put(book, sheet, row, 0, line.council, valign="top", text_wrap=True)
        for col, column, value in ((1, "target", line.target), (2, "total_saving", line.total_saving),
                                   (3, "shortfall", line.shortfall)):
            put(book, sheet, row, col, Formula(c.at(column, i), value), num_format=money, valign="top")
        has_column = any(column.name == "why_short" for column in c.columns)  # a plan made by hand may lack it
        put(book, sheet, row, 4, Formula(c.at("why_short", i), why) if has_column else why, text_wrap=True,
            valign="top", align="left", indent=1)
        sheet.set_row(row, ROW_HEIGHT * lines(why, WIDTHS[4]))
        row += 1
    if len(short) > LISTED_SHORT:
        put(book, sheet, row, 0, f"... and {len(short) - LISTED_SHORT} more on the Councils sheet (why_short column)",
            **NOTE)
        row += 1
    return row


def partnership_rows(book: Book, sheet, plan: Plan, at: Sources, row: int) -> int:
    largest = largest_partnerships(plan)
    if not largest:
        put(book, sheet, row, 0, "The plan forms no partnership.", bold=True)
        return row + 1
    title = "The largest partnerships" if len(plan.partnerships) > LARGEST else "The partnerships"
    title += f" (of {len(plan.partnerships)}; all on the Partnerships sheet)"
    row = section(book, sheet, row, title, ("service", "saved a year", "one-off cost", "payback years",
                                            "councils"))
    p, money = at.partnerships, money_format(plan)
    for i in largest:
        line = plan.partnerships[i]
        payback = "never" if line.payback_years == float("inf") else line.payback_years
        councils = "; ".join(line.councils)
        put(book, sheet, row, 0, line.service, valign="top", text_wrap=True)
        put(book, sheet, row, 1, Formula(p.at("annual_saving", i), line.annual_saving), num_format=money, valign="top")
        put(book, sheet, row, 2, Formula(p.at("one_off_cost", i), line.one_off_cost), num_format=money, valign="top")
        put(book, sheet, row, 3, Formula(p.at("payback_years", i), payback), num_format="0.0", valign="top")
        put(book, sheet, row, 4, councils, text_wrap=True, valign="top", align="left", indent=1)
        sheet.set_row(row, ROW_HEIGHT * max(lines(councils, WIDTHS[4]), lines(line.service, WIDTHS[0])))
        row += 1
    return row


def chart_rows(book: Book, sheet, plan: Plan, at: Sources, row: int) -> int:
    """The Charts sheet's savings by service, as wide as the page."""
    largest = max([0.0] + [p.annual_saving for p in plan.partnerships] + [r.annual_saving for r in plan.reductions])
    chart = context.service_chart(book, at.services, largest)
    height = max(260, 22 * at.services.count + 110)
    chart.set_size({"width": int(sum(WIDTHS) * 7.3), "height": height})
    sheet.insert_chart(row, 0, chart)
    return row + -(-height // CHART_ROW_PIXELS) + 1
