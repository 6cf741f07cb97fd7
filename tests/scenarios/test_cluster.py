"""The same scenarios on a real Dask cluster (`dask scheduler` and two `dask worker`s on 127.0.0.1) as on local
workers: the Scenarios and Changes sheets equal cell for cell, but for the times."""

from __future__ import annotations

import random

import openpyxl

from tests.support.commands import in_process
from tests.support.dask_cluster import dask_cluster
from tests.support.instances import random_instance, write_workbook
from tests.support.marks import slow
from tests.support.scenario_sheets import add_scenarios_sheet

TIMES = {"solve_seconds"}


def cells(path, title) -> list[list]:
    sheet = openpyxl.load_workbook(path)[title]  # formulas as written: they must be the same formulas
    header = [c.value for c in sheet[1]]
    return [[None if header[i] in TIMES else c.value for i, c in enumerate(row)] for row in sheet.iter_rows()]


@slow
def test_a_dask_cluster_gives_the_local_table(tmp_path):
    rng = random.Random(7)
    sheets = random_instance(rng)
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    add_scenarios_sheet(workbook, [("as it is", {}), ("tight", {"target_pct": 0.05, "targets": "soft"}),
                                   ("no set-up money", {"investment_budget": 0}), ("pessimistic", {"saving_scale": 0.5}),
                                   ("dear", {"one_off_scale": 4, "horizon_years": 2})])
    local = tmp_path / "local" / "compared.xlsx"
    code, printed = in_process("scenarios", workbook, "-o", local, "--workers", 2)
    assert code == 0, printed
    with dask_cluster(workers=2) as address:
        remote = tmp_path / "cluster" / "compared.xlsx"
        code, printed = in_process("scenarios", workbook, "-o", remote, "--scheduler", address)
        assert code == 0, printed
    for title in ("Scenarios", "Changes"):
        assert cells(remote, title) == cells(local, title), title
    assert len(cells(local, "Changes")) > 1  # the scenarios' plans differ: there is something to compare
    table = cells(local, "Scenarios")
    assert len(table) == 6 and {row[table[0].index("status")] for row in table[1:]} <= {"optimal", "infeasible"}
    names = sorted(p.name for p in (tmp_path / "cluster" / "compared-plans").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "local" / "compared-plans").iterdir())
    assert len(names) == 5
