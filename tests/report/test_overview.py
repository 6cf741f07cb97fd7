"""The Overview sheet as LibreOffice prints and recalculates it: one A4 page, and its figures are Summary's.

Each plan is written twice: as it is, for LibreOffice to recalculate (the figures must then equal the
Summary's and the Councils' recalculated cells), and with every other sheet hidden, for LibreOffice to
print to PDF (a hidden sheet is not printed): the PDF of the Overview alone must have one page.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
import zipfile
from pathlib import Path

import openpyxl
import pytest

from optimizer.pipeline import optimise
from optimizer.report.overview import LISTED_SHORT, OVERVIEW
from optimizer.report.workbook import render_plan
from optimizer.workbook.inputs import Council, Inputs, Service, Settings, SharingTerms
from optimizer.workbook.validate import load_workbook_inputs
from tests.report.test_report import RECALC_ALWAYS, soffice
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow

HEADLINE = {"Saved every year": "total_annual_saving", "One-off cost": "total_one_off_cost",
            "Councils meeting their target": "councils_meeting_target", "Left short of their targets": "total_shortfall"}


def example(name: str):
    return optimise(load_workbook_inputs(ROOT / "inputs" / f"{name}.xlsx").inputs)


def many_short():
    """Fifteen councils, each alone beyond the distance limit: all left short, more than the page lists."""
    names = [f"Council {i:02d}" for i in range(15)]
    councils = tuple(Council(n, 80e6, 200_000.0 + 10_000 * i, 50.0 + i, -2.0) for i, n in enumerate(names))
    services = tuple(Service(n, s, 2e6) for n in names for s in ("Payroll", "Waste", "Legal"))
    sharing = tuple(SharingTerms(s, 2, 0.1, 0.2, max_distance_km=20) for s in ("Payroll", "Waste", "Legal"))
    return optimise(Inputs(councils, services, sharing, settings=Settings(), source_name="far.xlsx",
                           source_sha256="2" * 64))


def hard_and_infeasible():
    inputs = load_workbook_inputs(ROOT / "inputs" / "tri_borough.xlsx").inputs
    councils = tuple(Council(c.name, c.net_budget, c.net_budget * 0.5, c.latitude, c.longitude) for c in inputs.councils)
    return optimise(replace(inputs, councils=councils, settings=inputs.settings.override(targets="hard")))


def only(source: Path, target: Path, keep: str) -> None:
    """A copy of the workbook with every sheet but ``keep`` hidden (LibreOffice prints only visible ones)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                def hide(tag: re.Match) -> str:
                    text = tag.group(0)
                    return text if f'name="{keep}"' in text else text.replace("<sheet ", '<sheet state="hidden" ', 1)
                data = re.sub(r"<sheet [^>]*/>", hide, data.decode()).encode()
            zout.writestr(info, data)


def convert(files: list[Path], to: str, folder: Path) -> Path:
    profile = folder / f"profile-{to}"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
    out = folder / to
    done = subprocess.run([soffice(), "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                           "--convert-to", to, "--outdir", str(out), *map(str, files)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def pdf_pages(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


@pytest.fixture(scope="module")
def books(tmp_path_factory, west_midlands_plan):
    soffice()
    folder = tmp_path_factory.mktemp("overview")
    plans = {"west_midlands": west_midlands_plan, "tri_borough": example("tri_borough"),
             "many_short": many_short(), "infeasible": hard_and_infeasible()}
    whole, alone = [], []
    for name, plan in plans.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(render_plan(plan))
        whole.append(path)
        alone.append(folder / f"{name}-overview.xlsx")
        only(path, alone[-1], OVERVIEW)
    recalculated, printed = convert(whole, "xlsx", folder), convert(alone, "pdf", folder)
    return {name: (plan, folder / f"{name}.xlsx", recalculated / f"{name}.xlsx", printed / f"{name}-overview.pdf")
            for name, plan in plans.items()}


@pytest.mark.parametrize("name", ["west_midlands", "tri_borough", "many_short", "infeasible"])
def test_the_overview_prints_on_one_page(books, name):
    _, ours, _, pdf = books[name]
    assert pdf_pages(pdf) == 1
    book = openpyxl.load_workbook(ours)
    assert book.sheetnames[0] == OVERVIEW and book.active.title == OVERVIEW
    sheet = book[OVERVIEW]
    assert sheet.page_setup.paperSize == 9 and sheet.print_area  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight in (None, 1)  # 1 = default


def rows(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True))


def summary(path: Path) -> dict:
    return {row[0]: row[1] for row in rows(path, "Summary")[1:]}


@pytest.mark.parametrize("name", ["west_midlands", "tri_borough", "many_short"])
def test_its_figures_are_summarys_after_recalculation(books, name):
    plan, _, theirs, _ = books[name]
    figures = {row[0]: row[1] for row in rows(theirs, OVERVIEW) if row[0]}
    totals = summary(theirs)
    for label, metric in HEADLINE.items():
        assert figures[label] == pytest.approx(totals[metric], abs=1e-6), label
        assert figures[label] == pytest.approx(plan.summary()[metric], abs=0.01), label
    net = next(v for k, v in figures.items() if k.startswith("Net present value over"))
    assert net == pytest.approx(totals["net_benefit"]) and net == pytest.approx(plan.net_benefit, abs=0.01)
    cut = sum(row[3] or 0 for row in rows(theirs, "Councils")[1:])  # saving_from_reductions
    assert figures.get("Of which from cutting services", 0) == pytest.approx(cut)
    assert ("Of which from cutting services" in figures) == bool(plan.reductions)
    saved, once = totals["total_annual_saving"], totals["total_one_off_cost"]
    assert figures["Pays back in"] == pytest.approx(once / saved if saved else 0)


@pytest.mark.parametrize("name", ["west_midlands", "many_short"])
def test_each_council_left_short_is_listed_with_councils_figures_and_reason(books, name):
    plan, _, theirs, _ = books[name]
    councils = {row[0]: row for row in rows(theirs, "Councils")[1:]}
    header = rows(theirs, "Councils")[0]
    why, target, total, shortfall = (header.index(c) for c in ("why_short", "target", "total_saving", "shortfall"))
    sheet = rows(theirs, OVERVIEW)
    start = next(i for i, row in enumerate(sheet) if row[0] == "council") + 1
    listed = [row for row in sheet[start:start + LISTED_SHORT] if row[0] in councils]
    short = sorted((c for c in plan.councils if c.target_met is False), key=lambda c: -c.shortfall)
    assert [row[0] for row in listed] == [c.council for c in short[:LISTED_SHORT]]
    for row in listed:
        council = councils[row[0]]
        assert row[1:4] == pytest.approx((council[target], council[total], council[shortfall]))
        assert row[4] == council[why] == plan.reason_short(row[0]) != ""
    more = [row[0] for row in sheet if isinstance(row[0], str) and row[0].startswith("... and ")]
    assert more == ([f"... and {len(short) - LISTED_SHORT} more on the Councils sheet (why_short column)"]
                    if len(short) > LISTED_SHORT else [])


def test_the_largest_partnerships_are_partnerships_rows(books):
    plan, _, theirs, _ = books["west_midlands"]
    sheet = rows(theirs, OVERVIEW)
    start = next(i for i, row in enumerate(sheet) if row[0] == "service") + 1
    listed = sheet[start:start + 10]
    largest = sorted(plan.partnerships, key=lambda p: -p.annual_saving)[:10]
    assert [row[4] for row in listed] == ["; ".join(p.councils) for p in largest]
    assert [row[1] for row in listed] == pytest.approx([p.annual_saving for p in largest])


def test_an_infeasible_run_says_what_stands_in_the_way(books):
    plan, _, theirs, _ = books["infeasible"]
    assert plan.status == "infeasible"
    sheet = rows(theirs, OVERVIEW)
    assert sheet[1][0].startswith("There is no plan") and any(row[0] == "What stands in the way" for row in sheet)
