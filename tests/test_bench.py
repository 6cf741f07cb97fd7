"""The benchmark's cases are the ones it names: every region of both years, and variants that change
exactly the assumptions they say."""

from __future__ import annotations

import subprocess
import sys

import pytest

from optimizer.bench.cases import (
    ENGLAND,
    REGIONS,
    VARIANTS,
    YEARS,
    Case,
    load,
    matrix,
    parse,
)
from tests.support.marks import slow


def test_the_matrix_covers_both_years_every_region_and_england():
    cases = [parse(name) for name in matrix()]
    for year in YEARS:
        assert {c.area for c in cases if c.year == year and c.variant is None and c.target_pct == 0.02} == {
            *REGIONS, ENGLAND}
    assert {c.target_pct for c in cases if c.area == ENGLAND} >= {0.01, 0.02, 0.03, 0.05}
    assert {c.variant for c in cases} - {None} == set(VARIANTS)


@pytest.mark.parametrize("name", matrix())
def test_names_read_back_to_the_same_case(name):
    assert parse(name).name == name


@pytest.mark.parametrize("name", ["2021-22:London", "2023-24:Atlantis", "2023-24:London+cheap"])
def test_an_unknown_case_is_refused(name):
    with pytest.raises(ValueError, match="unknown case"):
        parse(name)


def curve(inputs, service):
    return {t.partners: (t.saving_pct, t.max_distance_km) for t in inputs.sharing if t.service == service}


@slow
def test_variants_change_only_what_they_say():
    plain = load(Case("2023-24", "North East").name)
    dense = load(Case("2023-24", "North East", variant="dense").name)
    lean = load(Case("2023-24", "North East", variant="lean30").name)
    assert curve(dense, "Central services") == {2: (0.04, 50.0), 3: (0.06, 50.0), 4: (0.075, 50.0)}
    assert curve(dense, "Planning and development") == {2: (0.02, 25.0), 3: (0.03, 25.0)}
    for service in {t.service for t in plain.sharing}:
        scaled = {n: (round(s * 0.7, 6), km) for n, (s, km) in curve(plain, service).items()}
        assert scaled == curve(lean, service)
    assert dense.councils == plain.councils and dense.services == plain.services


@slow
def test_the_capped_variant_brings_police_and_fire_and_caps_every_body():
    plain = load(Case("2023-24", "North East").name)
    capped = load(Case("2023-24", "North East", variant="cap3").name)
    assert {c.max_partners for c in capped.councils} == {3}
    assert {c.body_type for c in capped.councils} == {"council", "police", "fire"}
    councils = [c for c in capped.councils if c.body_type == "council"]
    assert [c.name for c in councils] == [c.name for c in plain.councils]
    assert curve(capped, "Central services") == curve(plain, "Central services")


def test_a_child_run_reports_a_proven_plan():
    done = subprocess.run([sys.executable, "-m", "optimizer.bench", "--cases", "tri_borough", "--solvers", "highs",
                           "--time-limit", "30"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "optimal" in done.stdout.splitlines()[1], done.stdout


@slow
def test_a_sweep_on_a_local_dask_cluster_prints_each_scenario_proven():
    done = subprocess.run([sys.executable, "-m", "optimizer.bench", "--cluster-sweep", "tri_borough", "--time-limit",
                           "30"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| target_pct=")]
    assert [r[0] for r in rows] == ["| target_pct=0.01", "| target_pct=0.02", "| target_pct=0.03"], done.stdout
    assert {r[1] for r in rows} == {"optimal"}, done.stdout
    shortfalls = [float(r[3].replace(",", "")) for r in rows]
    assert shortfalls == sorted(shortfalls)  # a higher target can only leave more unmet


def test_the_partner_bench_prints_the_ranking_time_and_the_share_re_solved():
    done = subprocess.run([sys.executable, "-m", "optimizer.bench", "--partners", "Westminster", "--partners-case",
                           "tri_borough", "--time-limit", "30"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("tri_borough partners of Westminster, top 5: "), line
    assert "optimal plan, optimal)" in line and "re-solved exactly" in line and "rows optimal" in line, line


def test_the_partner_bench_refuses_an_unknown_council():
    done = subprocess.run([sys.executable, "-m", "optimizer.bench", "--partners", "Atlantis", "--partners-case",
                           "tri_borough"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1 and "no council 'Atlantis' in tri_borough" in done.stderr, done.stderr
