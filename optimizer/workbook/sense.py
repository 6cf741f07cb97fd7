"""Sense checks: figures that are allowed but probably a slip, told as warnings (nothing stops).

A finance officer's everyday mistakes pass every rule of SPEC.md section 1: a net budget typed in £
thousands, a one-off rate of 25 meaning 25 %, a target larger than a council could ever save, a row
copied with its coordinates. Each warning names its cell and says what it suspects. (A council with
no location that a distance limit applies to is an error, not a warning: ``rules._check_located``.)
"""

from __future__ import annotations

from collections import defaultdict

from optimizer.workbook.problems import Report
from optimizer.workbook.tables import Row, Table

TARGET_SHARE = 0.5  # a target above this share of the net budget is more than any council can save
# Services are gross spending and the budget is net (grants and fees pay for the rest): in the official
# outturn a district's services cost up to 3 times its net budget (Lichfield 2.95, West Midlands 2023-24).
# Ten times is no council's accounts; a budget in £ thousands is a thousand times.
BUDGET_MULTIPLE = 10


def pounds(amount: float) -> str:
    if abs(amount) >= 1e6:
        return f"£{amount / 1e6:,.1f} m"
    return f"£{amount:,.0f}"


def sense_checks(tables: dict[str, Table], report: Report) -> None:
    councils = [row for row in tables["Councils"].rows if row.ok("council")]
    _services_above_budget(councils, tables["Services"], report)
    _targets_above_half(councils, report)
    _one_off_above_a_year(tables["Sharing"], report)
    _same_place(councils, report)


def _services_above_budget(councils: list[Row], services: Table, report: Report) -> None:
    spent: dict[str, float] = defaultdict(float)
    for row in services.rows:
        if row.ok("council", "annual_cost") and row["annual_cost"] is not None:
            spent[row["council"]] += row["annual_cost"]
    for row in councils:
        budget, cost = row.values.get("net_budget"), spent.get(row["council"], 0.0)
        if budget and cost > BUDGET_MULTIPLE * budget:
            report.warn(row.at("net_budget"), f"'{row['council']}' has a net budget of {pounds(budget)} but its "
                        f"services on the Services sheet cost {pounds(cost)} a year, {cost / budget:,.0f} times as "
                        "much: is the budget in £ thousands? Every figure is in pounds")


def _targets_above_half(councils: list[Row], report: Report) -> None:
    for row in councils:
        budget = row.values.get("net_budget")
        target, pct = row.values.get("savings_target"), row.values.get("savings_target_pct")
        if not budget:
            continue
        if target is not None and target > TARGET_SHARE * budget:
            report.warn(row.at("savings_target"), f"'{row['council']}' must save {pounds(target)} a year, "
                        f"{target / budget:.0%} of its net budget of {pounds(budget)}: is the target or the budget "
                        "mistyped (e.g. the budget in £ thousands)?")
        elif pct is not None and pct > TARGET_SHARE:
            report.warn(row.at("savings_target_pct"), f"'{row['council']}' must save {pct:.0%} of its net budget: "
                        "more than half of everything it spends; did you mean a smaller share (0.05 is 5 %)?")


def _one_off_above_a_year(sharing: Table, report: Report) -> None:
    for row in sharing.rows:
        rate = row.values.get("one_off_pct")
        if rate is not None and rate > 1:
            report.warn(row.at("one_off_pct"), f"a one-off cost of {rate:g} is {rate:.0%} of a year's cost of the "
                        f"service; rates are fractions: did you mean {rate / 100:g} ({rate:g} %)?")


def _same_place(councils: list[Row], report: Report) -> None:
    """Two bodies of one type at one spot: usually a copied row (a fire authority may sit on its county)."""
    first: dict[tuple, Row] = {}
    for row in councils:
        if not row.ok("latitude", "longitude") or row["latitude"] is None or row["longitude"] is None:
            continue
        kind = str(row.values.get("body_type") or "council").strip().lower()
        key = (kind, row["latitude"], row["longitude"])
        other = first.setdefault(key, row)
        if other is not row:
            report.warn(row.at("latitude"), f"'{row['council']}' is at exactly the same latitude and longitude as "
                        f"'{other['council']}' ({other.at('latitude')}): a copied row? distances between them count "
                        "as 0 km")
