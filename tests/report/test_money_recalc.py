"""The Cash flow and Priorities sheets recalculated by LibreOffice: its figures are the optimiser's, and an
edited discount rate moves every present value as money.py says it should."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from optimizer.money import MoneyOverTime
from optimizer.report.workbook import render_plan
from tests.report.test_report import ERRORS, close, formula_cells, recalculate, soffice, values
from tests.support.report_plans import borrowed_plan, patchwork_plan, priorities_plan, sheet_table

pytestmark = pytest.mark.slow

EDITED_DISCOUNT = 0.08  # the reviewer's own rate, typed over the plan's 3.5 %


def interest_free(plan):
    """Borrowed interest-free over 3 years, shorter than a fractional 4.5-year horizon, at 10 %."""
    settings = plan.inputs.settings.override(horizon_years=4.5, discount_rate=0.1, first_year_saving_share=0.25,
                                             borrowing_rate=0.0, borrowing_years=3)
    return replace(plan, inputs=plan.inputs.with_settings(settings))


def discounted(plan):
    settings = plan.inputs.settings.override(horizon_years=2.5, discount_rate=0.035)
    return replace(plan, inputs=plan.inputs.with_settings(settings))


def set_setting(source: Path, target: Path, setting: str, value: float) -> None:
    """Edit a setting's value on Assumptions as a reviewer would, with openpyxl (no cached values kept)."""
    book = openpyxl.load_workbook(source)
    row = next(row for row in book["Assumptions"].iter_rows() if row[0].value == setting)
    row[1].value = value
    book.save(target)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    soffice()
    folder = tmp_path_factory.mktemp("money")
    base = priorities_plan()
    plans = {"borrowed": borrowed_plan(base), "interest_free": interest_free(base), "discounted": discounted(base),
             "patchwork": patchwork_plan()}
    files = {}
    for name, plan in plans.items():
        files[name] = folder / f"{name}.xlsx"
        files[name].write_bytes(render_plan(plan))
    files["edited"] = folder / "edited.xlsx"
    set_setting(files["borrowed"], files["edited"], "discount_rate", EDITED_DISCOUNT)
    out = recalculate(list(files.values()), folder)
    plans["edited"] = plans["borrowed"]
    return {name: (plans[name], files[name], out / files[name].name) for name in files}


@pytest.mark.parametrize("name", ["borrowed", "interest_free", "discounted", "patchwork"])
def test_libreoffice_recalculates_the_optimisers_figures(cases, name):
    plan, ours, theirs = cases[name]
    formulas, cached, recalculated = formula_cells(ours), values(ours), values(theirs)
    assert any(sheet == "Cash flow" for sheet, _ in formulas)
    wrong = {key: (formulas[key], cached[key], recalculated.get(key)) for key in formulas
             if not close(cached[key], recalculated.get(key))}
    assert not wrong, list(wrong.items())[:10]
    assert not [v for v in recalculated.values() if isinstance(v, str) and v.startswith(ERRORS)]
    metrics = {row["metric"]: row["value"] for row in sheet_table(theirs, "Summary", "metric")}
    assert metrics["net_benefit"] == pytest.approx(plan.net_benefit, rel=1e-9)
    assert metrics["total_impact"] == pytest.approx(plan.total_impact, abs=1e-9)
    rows = sheet_table(theirs, "Cash flow", "year")
    assert [row["present_value"] for row in rows] == pytest.approx([f.present_value for f in plan.cash_flow()])
    assert math.fsum(row["present_value"] for row in rows) == pytest.approx(plan.net_benefit, rel=1e-9)


def test_priorities_recalculate_to_total_impact(cases):
    plan, _, theirs = cases["borrowed"]
    *rows, total = sheet_table(theirs, "Priorities", "objective")
    assert math.fsum(row["weighted_impact"] for row in rows) == pytest.approx(plan.total_impact)
    assert total["weighted_impact"] == pytest.approx(plan.total_impact)


def test_an_edited_discount_rate_recalculates_every_present_value(cases):
    plan, ours, theirs = cases["edited"]
    settings = plan.inputs.settings
    assert settings.discount_rate != EDITED_DISCOUNT
    money = MoneyOverTime(settings.horizon_years, EDITED_DISCOUNT, settings.first_year_saving_share,
                          settings.borrowing_rate, settings.borrowing_years)
    expected = money.cash_flow(plan.total_annual_saving, plan.total_one_off_cost)
    rows = sheet_table(theirs, "Cash flow", "year")
    assert [row["discount_factor"] for row in rows] == pytest.approx([f.discount_factor for f in expected], rel=1e-12)
    assert [row["present_value"] for row in rows] == pytest.approx([f.present_value for f in expected], rel=1e-9)
    new_benefit = money.net_benefit(plan.total_annual_saving, plan.total_one_off_cost)
    assert not math.isclose(new_benefit, plan.net_benefit, rel_tol=1e-3)
    metrics = {row["metric"]: row["value"] for row in sheet_table(theirs, "Summary", "metric")}
    assert metrics["net_benefit"] == pytest.approx(new_benefit, rel=1e-9)
    by_council = sheet_table(theirs, "Cash flow", "council")
    assert math.fsum(row["net_benefit"] for row in by_council) == pytest.approx(new_benefit, rel=1e-9)
