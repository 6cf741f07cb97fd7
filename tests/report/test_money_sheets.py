"""The Cash flow, Priorities and Council partners sheets, read back as a reader that does not recalculate
sees them (their cached values): the money is money.py's, year by year, and every sheet adds up to the
Summary. ``test_report.py`` recalculates the same sheets in LibreOffice."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import openpyxl
import pytest

from optimizer.money import MoneyOverTime
from optimizer.report.sheets import CASH_COLUMNS, NAMED_SETTINGS, OWN_IMPACT
from optimizer.report.workbook import render_plan
from tests.support.marks import sampled
from tests.support.report_plans import (
    OBJECTIVES,
    borrowed_plan,
    money_settings,
    patchwork_plan,
    priorities_plan,
    sheet_table,
)

SPEC_CASH_COLUMNS = ["year", "one_off_cost", "repayment", "saving", "net", "cumulative_net", "discount_factor",
                     "present_value"]


@pytest.fixture(scope="module")
def plan():
    return priorities_plan()


def written(plan, tmp_path, name="plan.xlsx"):
    path = tmp_path / name
    path.write_bytes(render_plan(plan))
    return path


def summary(path):
    return {row["metric"]: row["value"] for row in sheet_table(path, "Summary", "metric")}


@pytest.mark.parametrize("seed", sampled(range(60), 12))
def test_cash_flow_is_money_over_time_and_adds_up_to_net_benefit(plan, tmp_path, seed):
    rng = random.Random(seed)
    plan = replace(plan, inputs=plan.inputs.with_settings(money_settings(rng, plan.inputs.settings)))
    money = MoneyOverTime.of(plan.inputs.settings)
    path = written(plan, tmp_path)
    rows = sheet_table(path, "Cash flow", "year")
    assert list(rows[0])[:8] == SPEC_CASH_COLUMNS
    expected = plan.cash_flow()
    assert [row["year"] for row in rows] == list(money.years) == [f.year for f in expected]
    cumulative = 0.0
    for row, flow in zip(rows, expected):
        cumulative += flow.net
        for column in ("one_off_cost", "repayment", "saving", "net", "discount_factor", "present_value"):
            assert row[column] == pytest.approx(getattr(flow, column), rel=1e-12, abs=1e-9), (flow.year, column)
        assert row["cumulative_net"] == pytest.approx(cumulative, rel=1e-12, abs=1e-6)
        assert row["saving_share"] == pytest.approx(money.saving_share(flow.year), rel=1e-12)
        assert row["cost_share"] == pytest.approx(money.repayment_share(flow.year), rel=1e-12)
    if money.borrowed:
        assert rows[0]["one_off_cost"] == 0 and all(row["one_off_cost"] == 0 for row in rows)
        assert sum(1 for row in rows if row["repayment"] > 0) == (money.borrowing_years if plan.total_one_off_cost else 0)
    else:
        assert rows[0]["one_off_cost"] == pytest.approx(plan.total_one_off_cost) and not any(r["repayment"] for r in rows)
    net_benefit = summary(path)["net_benefit"]
    assert math.fsum(row["present_value"] for row in rows) == pytest.approx(net_benefit, rel=1e-9, abs=1e-6)
    assert net_benefit == pytest.approx(plan.net_benefit, rel=1e-12)
    assert plan.summary(pence=True)["net_benefit"] == round(plan.net_benefit, 2)  # --json: the same arithmetic
    by_council = sheet_table(path, "Cash flow", "council")
    assert [row["council"] for row in by_council] == [c.council for c in plan.councils]
    assert math.fsum(row["net_benefit"] for row in by_council) == pytest.approx(plan.net_benefit, rel=1e-9, abs=1e-6)
    for row, line in zip(by_council, plan.councils):
        assert row["net_benefit"] == pytest.approx(math.fsum(f.present_value for f in plan.cash_flow(line.council)),
                                                   rel=1e-9, abs=1e-6)


def test_cash_flow_cells_are_formulas_that_read_the_settings_by_name(plan, tmp_path):
    path = written(borrowed_plan(plan), tmp_path)
    book = openpyxl.load_workbook(path)
    assert set(NAMED_SETTINGS) <= set(book.defined_names)
    settings = {row[0].value: row for row in book["Assumptions"].iter_rows() if row[0].value in NAMED_SETTINGS}
    for name in NAMED_SETTINGS:
        sheet, ref = next(book.defined_names[name].destinations)
        assert sheet == "Assumptions" and ref.replace("$", "") == settings[name][1].coordinate
    assert book["Assumptions"][settings["discount_rate"][1].coordinate].value == 0.035
    rows = sheet_table(path, "Cash flow", "year", data_only=False)
    for row in rows:
        assert all(str(row[c]).startswith("=") for c in [c.name for c in CASH_COLUMNS] if c != "year"), row
        assert "discount_rate" in row["discount_factor"]
    assert "first_year_saving_share" in rows[1]["saving_share"] and "horizon_years" in rows[1]["saving_share"]
    figures = {row["figure"]: row["value"] for row in sheet_table(path, "Cash flow", "figure", data_only=False)}
    assert "borrowing_rate" in figures["instalment"] and "borrowing_years" in figures["instalment"]
    net = next(row[1].value for row in book["Summary"].iter_rows() if row[0].value == "net_benefit")
    assert net.startswith("=SUM('Cash flow'!") and book["Cash flow"]["B1"].value is None
    cached = {row["figure"]: row["value"] for row in sheet_table(path, "Cash flow", "figure")}
    money = borrowed_plan(plan).money
    assert cached["instalment"] == pytest.approx(0.045 / (1 - 1.045 ** -8))
    assert cached["saving_factor"] == pytest.approx(money.saving_factor)
    assert cached["one_off_factor"] == pytest.approx(money.one_off_factor) and cached["borrowed"] == "yes"


def test_the_defaults_give_horizon_times_saving_less_one_off(plan, tmp_path):
    path = written(plan, tmp_path)
    rows = sheet_table(path, "Cash flow", "year")
    assert [row["year"] for row in rows] == [0, 1, 2, 3, 4, 5]
    assert all(row["discount_factor"] == 1 for row in rows)
    expected = 5 * plan.total_annual_saving - plan.total_one_off_cost
    assert summary(path)["net_benefit"] == pytest.approx(expected) and rows[-1]["cumulative_net"] == pytest.approx(expected)


def test_priorities_add_up_to_total_impact(plan, tmp_path):
    path = written(plan, tmp_path)
    *rows, total_row = sheet_table(path, "Priorities", "objective")
    assert [row["objective"] for row in rows] == [o.name for o in OBJECTIVES] + [OWN_IMPACT]
    for k, (row, objective) in enumerate(zip(rows, OBJECTIVES)):
        score = math.fsum(r.scores[k] for r in plan.reductions)
        assert row["weight"] == objective.weight and row["score"] == pytest.approx(score)
        assert row["weighted_impact"] == pytest.approx(objective.weight * score)
    assert rows[-1]["weighted_impact"] == pytest.approx(math.fsum(r.own_impact for r in plan.reductions))
    total = math.fsum(row["weighted_impact"] for row in rows)
    assert total == pytest.approx(plan.total_impact) == pytest.approx(summary(path)["total_impact"])
    assert total_row["objective"].startswith("total") and total_row["weighted_impact"] == pytest.approx(total)
    assert plan.total_impact > math.fsum(r.own_impact for r in plan.reductions) > 0  # the weights count
    reductions = sheet_table(path, "Reductions", "council")
    assert [row["own_impact"] for row in reductions] == [r.own_impact for r in plan.reductions]
    assert [row["score: =Jobs"] for row in reductions] == [r.scores[1] for r in plan.reductions]
    formulas = sheet_table(path, "Priorities", "objective", data_only=False)
    assert formulas[0]["score"].startswith("=SUM(Reductions!") and formulas[1]["objective"] == "=Jobs"
    jobs = next(c for c in openpyxl.load_workbook(path)["Priorities"]["A"] if c.value == "=Jobs")
    assert jobs.data_type == "s"  # a name like a formula is text


def test_no_objectives_no_priorities_sheet(plan, tmp_path):
    path = written(replace(plan, inputs=replace(plan.inputs, objectives=())), tmp_path)
    book = openpyxl.load_workbook(path)
    assert "Priorities" not in book.sheetnames and "own_impact" not in [c.value for c in book["Reductions"][1]]


def test_council_partners_lists_each_councils_distinct_partners(tmp_path):
    plan = patchwork_plan()
    rows = sheet_table(written(plan, tmp_path), "Council partners", "council")
    expected = {}
    for p in plan.partnerships:
        for council in p.councils:
            for partner in p.councils:
                if partner != council:
                    expected.setdefault((council, partner), set()).add(p.service)
    assert len(rows) == len(expected)
    assert {(row["council"], row["partner"]): set(row["services"].split("; ")) for row in rows} == expected
    assert all(row["count"] == len(expected[(row["council"], row["partner"])]) for row in rows)
    partners = {c: sum(1 for (a, _) in expected if a == c) for c, _ in expected}
    assert all(row["council_partners"] == partners[row["council"]] for row in rows)
    a = {row["partner"]: row["services"] for row in rows if row["council"] == "A"}
    assert a == {"B": "Payroll; Waste", "C": "IT", "D": "IT"}  # an alliance with B, a patchwork beyond
    assert "E" not in {row["council"] for row in rows}


def test_without_a_plan_the_sheets_are_there_and_empty(plan, tmp_path):
    path = written(replace(plan, status="infeasible", partnerships=(), reductions=()), tmp_path)
    book = openpyxl.load_workbook(path)
    assert {"Cash flow", "Council partners", "Priorities"} <= set(book.sheetnames)
    assert sheet_table(path, "Cash flow", "year") == []
