"""`consolidate show` through the real command line: the page it writes, and every refusal (nothing written)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from optimizer.page.figures import shown
from tests.support.marks import slow
from tests.support.pages import HOSTILE, hostile_input, scenarios_workbook
from tests.support.paths import TRI_BOROUGH
from tests.support.report_plans import sheet_table

def consolidate(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tri_plan(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "tri-plan.xlsx"
    done = consolidate("run", TRI_BOROUGH, "-o", path)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def plan(tri_plan, tmp_path) -> Path:
    copy = tmp_path / tri_plan.name
    shutil.copyfile(tri_plan, copy)
    return copy


def page_data(page: Path) -> dict:
    text = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', page.read_text(), re.S).group(1)
    return json.loads(text)


def test_show_writes_one_self_contained_page_beside_the_outputs(plan):
    done = consolidate("show", plan.name, cwd=plan.parent)
    assert done.returncode == 0, done.stderr
    page = plan.parent / "outputs" / "tri-plan.html"
    assert "Page written to outputs/tri-plan.html: 3 councils (3 on the map), 3 partnerships" in done.stdout
    text = page.read_text()
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert "connect-src 'none'" in text
    # nothing is loaded from elsewhere: no external script, style sheet, image or frame
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text, re.I)
    assert "Plotly.newPlot" in text


def test_the_page_carries_each_councils_figures_as_the_workbook_has_them(plan, tmp_path):
    page = tmp_path / "tri.html"
    assert consolidate("show", plan, "-o", page).returncode == 0
    councils = {c["name"]: dict((f, t) for f, _, t in c["figures"]) for c in page_data(page)["councils"]}
    rows = sheet_table(plan, "Councils", "council")
    assert set(councils) == {row["council"] for row in rows}
    for row in rows:
        assert councils[row["council"]]["total_saving"] == f"£{int(row['total_saving'] + 0.5):,}"
        assert councils[row["council"]]["target"] == f"£{int(row['target'] + 0.5):,}"
        assert councils[row["council"]]["target_met"] == row["target_met"]


def test_the_pages_tables_are_the_workbooks(plan, tmp_path):
    page = tmp_path / "tri.html"
    assert consolidate("show", plan, "-o", page).returncode == 0
    table = re.search(r'<details open id="table-partnerships">.*?<tbody>(.*?)</tbody>', page.read_text(), re.S).group(1)
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)]
    expected = sheet_table(plan, "Partnerships", "partnership")
    assert len(rows) == len(expected) == 3
    for row, sheet_row in zip(rows, expected):
        assert html.unescape(row[0]) == sheet_row["partnership"]
        assert row[4] == f"£{int(sheet_row['annual_saving'] + 0.5):,}" and row[5] == f"£{int(sheet_row['one_off_cost'] + 0.5):,}"
        assert row[7] == f"{sheet_row['payback_years']:.1f}"


def test_an_existing_page_is_replaced_only_with_force(plan, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("mine")
    done = consolidate("show", plan, "-o", page)
    assert done.returncode == 2 and "use --force" in done.stderr
    assert page.read_text() == "mine"
    assert consolidate("show", plan, "-o", page, "--force").returncode == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("name, message", [
    ("page.csv", "give a file name ending in .html"),
    ("tri-plan.xlsx", "give a file name ending in .html"),
])
def test_an_output_that_is_not_a_web_page_is_refused(plan, name, message):
    before = digest(plan)
    done = consolidate("show", plan, "-o", plan.parent / name)
    assert done.returncode == 2 and message in done.stderr
    assert digest(plan) == before and sorted(p.name for p in plan.parent.iterdir()) == ["tri-plan.xlsx"]


def test_the_input_itself_is_never_overwritten(plan):
    html = plan.with_suffix(".html")
    html.write_text("not a page")
    done = consolidate("show", html, "-o", html, "--force")
    assert done.returncode == 2 and "this is the input" in done.stderr
    assert html.read_text() == "not a page"


def test_an_input_workbook_is_named_as_such(tmp_path):
    done = consolidate("show", TRI_BOROUGH, "-o", tmp_path / "p.html")
    assert done.returncode == 2
    assert "not a plan or scenarios workbook written by consolidate: this is an input workbook" in done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_another_workbook_is_refused_in_one_line(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Budget"
    book.active.append(["line", "amount"])
    book.save(tmp_path / "budget.xlsx")
    done = consolidate("show", tmp_path / "budget.xlsx", "-o", tmp_path / "p.html")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("budget.xlsx: not a plan or scenarios workbook written by consolidate: it has "
                                        "neither the Summary, Partnerships and Councils sheets of a plan nor the "
                                        "Scenarios and Changes sheets of a scenarios workbook")
    assert not (tmp_path / "p.html").exists()


def test_a_plan_saved_without_its_calculated_values_says_which_cells(plan, tmp_path):
    book = openpyxl.load_workbook(plan)  # openpyxl keeps the formulas and drops what Excel calculated
    book.save(plan)
    done = consolidate("show", plan, "-o", tmp_path / "p.html")
    assert done.returncode == 2
    assert "Summary!B6: a formula without its calculated value" in done.stderr
    assert "Councils!C2: a formula without its calculated value" in done.stderr
    assert not (tmp_path / "p.html").exists()


def test_a_councils_reason_for_falling_short_is_shown_where_the_plan_gives_one(plan, tmp_path):
    book = openpyxl.load_workbook(plan, data_only=True)  # values only, as a plan pasted as values
    councils = book["Councils"]
    column = councils.max_column + 1
    councils.cell(1, column, "why_short")
    councils.cell(2, column, "too far from its neighbours for the distance limit")
    book.save(plan)
    assert consolidate("show", plan, "-o", tmp_path / "p.html").returncode == 0
    reasons = {c["name"]: c["why_short"] for c in page_data(tmp_path / "p.html")["councils"]}
    assert reasons[councils["A2"].value] == "too far from its neighbours for the distance limit"
    assert sorted(reasons.values()).count("") == 2


def test_a_plan_missing_a_column_names_it(plan, tmp_path):
    book = openpyxl.load_workbook(plan, data_only=True)  # values only: as if pasted as values
    book["Councils"]["F1"] = "gap to target"
    book.save(plan)
    done = consolidate("show", plan, "-o", tmp_path / "p.html")
    assert done.returncode == 2 and "Councils!A1: the column shortfall of a plan written by consolidate is missing" in done.stderr


@slow  # a solve of its own
def test_a_council_without_coordinates_is_listed_not_lost(tmp_path):
    source = openpyxl.load_workbook(TRI_BOROUGH)  # no distance limit: a council may have no location
    source["Councils"]["E4"] = source["Councils"]["F4"] = None
    source.save(tmp_path / "tri.xlsx")
    assert consolidate("run", tmp_path / "tri.xlsx", "-o", tmp_path / "plan.xlsx").returncode == 0
    done = consolidate("show", tmp_path / "plan.xlsx", "-o", tmp_path / "plan.html")
    assert done.returncode == 0 and "3 councils (2 on the map)" in done.stdout
    text = (tmp_path / "plan.html").read_text()
    assert "Not on the map (no latitude and longitude in the workbook): Westminster." in text
    assert "Westminster" in {c["name"] for c in page_data(tmp_path / "plan.html")["councils"]}


@slow  # a solve of its own
def test_a_name_that_is_html_stays_text(tmp_path):
    hostile_input(TRI_BOROUGH, tmp_path / "in.xlsx")
    assert consolidate("run", tmp_path / "in.xlsx", "-o", tmp_path / "plan.xlsx").returncode == 0
    assert consolidate("show", tmp_path / "plan.xlsx", "-o", tmp_path / "plan.html").returncode == 0
    text = (tmp_path / "plan.html").read_text()
    assert "<script>alert(1)" not in text and '<a href="http://x.test/">' not in text
    assert "Evil&lt;/script&gt;&lt;script&gt;alert(1)" in text  # in the council list, as text
    assert HOSTILE in {c["name"] for c in page_data(tmp_path / "plan.html")["councils"]}


@slow  # a solve of its own
def test_an_infeasible_plan_shows_why_and_no_totals(tmp_path):
    source = openpyxl.load_workbook(TRI_BOROUGH)
    source["Councils"]["C2"] = 90_000_000  # Hammersmith and Fulham cannot save that much
    source.save(tmp_path / "in.xlsx")
    assert consolidate("run", tmp_path / "in.xlsx", "-o", tmp_path / "plan.xlsx", "--targets", "hard").returncode == 3
    done = consolidate("show", tmp_path / "plan.xlsx", "-o", tmp_path / "plan.html")
    assert done.returncode == 0 and "3 councils (3 on the map), 0 partnerships" in done.stdout
    text = (tmp_path / "plan.html").read_text()
    assert '<b data-metric="status">infeasible</b>' in text and 'data-metric="net_benefit"' not in text
    assert "Infeasible: no plan meets every hard target" in text and 'id="table-why-infeasible"' in text


def test_a_scenarios_page_puts_the_scenarios_side_by_side(tmp_path):
    book = scenarios_workbook(tmp_path / "s.xlsx")
    done = consolidate("show", book, "-o", tmp_path / "s.html")
    assert done.returncode == 0 and "3 scenarios side by side" in done.stdout, done.stderr
    text = (tmp_path / "s.html").read_text()
    cells = dict(((s, m), v) for s, m, v in
                 re.findall(r'data-scenario="([^"]+)" data-metric="([^"]+)">([^<]*)</td>', text))
    assert cells[("target_pct=0.02", "target_pct")] == "2.00%"
    assert cells[("target_pct=0.02", "net_benefit")] == "£123,456,790"
    assert cells[("target_pct=0.04", "total_shortfall")] == "£1,234,568"
    assert cells[("target_pct=0.04", "total_impact")] == "12.50"
    assert cells[("target_pct=0.06", "status")] == "infeasible" and cells[("target_pct=0.06", "net_benefit")] == ""
    assert "target_pct=0.04: 1 partnerships added, 1 dropped" in text
    assert "Plotly.newPlot" in text


def test_figures_read_as_in_excel():
    assert shown(1234.5, "money") == "£1,235" and shown(-1234.4, "money") == "-£1,234"
    assert shown(-0.4, "money") == "£0"
    assert shown(0.025, "rate") == "2.50%" and shown(0.0000202, "gap") == "0.002%"
    assert shown(12.345, "impact") == "12.35" and shown(3, "int") == "3" and shown("yes", "money") == "yes"
    assert shown(None, "money") == "" and shown(float("nan"), "money") == ""


def test_show_has_help():
    done = consolidate("show", "--help")
    assert done.returncode == 0 and "no network" in done.stdout
