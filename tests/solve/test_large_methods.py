"""The methods that only switch on for large problems are exact too.

The area-by-area search, the tiling of the LP, LP pricing and reduced-cost fixing carried between
aims only switch on above a size no enumerable instance reaches; here they are forced on, with
areas of three columns and pricing two columns at a time, and the plan must still be the
enumerated optimum.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.candidates import enumerate_candidates
from optimizer.model.cuts import partnership_components
from optimizer.pipeline import optimise
from optimizer.solve import backends as solvers
from optimizer.solve import search
from optimizer.solve.backends import cbc, highs
from optimizer.solve.geography import column_councils
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.checks import optimum_checked, plan_choices
from tests.support.instances import alliance_instance, random_instance, write_workbook
from tests.support.marks import sampled
from tests.support.paths import WEST_MIDLANDS
from tests.support.reference import brute_force, evaluate

LARGE_METHODS_FORCED = SolveOptions(search_from_columns=0, neighbourhood_columns=3, price_from_columns=0,
                                    priced_per_round=2)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", sampled(range(200, 260), fast=5))
def test_forced_search_and_pricing_find_the_enumerated_optimum(tmp_path, seed, solver):
    optimum_checked(tmp_path, seed, solver, LARGE_METHODS_FORCED)


# the LP of every aim without the partner caps' rows, as England's is: its bound, reduced costs and
# duals must still prove the capped optimum, through the search, pricing and pools of a large region
CAPS_LEFT_OUT_OF_THE_LP = replace(LARGE_METHODS_FORCED, partner_rows_lp_columns=0, pool_from_groups=0)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", sampled(range(2100, 2160), fast=4))
def test_an_lp_without_the_partner_caps_still_proves_the_capped_optimum(tmp_path, seed, solver):
    optimum_checked(tmp_path, seed, solver, CAPS_LEFT_OUT_OF_THE_LP, instance=alliance_instance)


def west_midlands_model():
    inputs = load_workbook_inputs(WEST_MIDLANDS).inputs
    return build_model(inputs, enumerate_candidates(inputs))


@pytest.mark.parametrize("aim", [0, 1, 2])
@pytest.mark.parametrize("priced", [highs.highs_lp_by_pricing, cbc.cbc_lp_by_pricing])
def test_priced_lp_is_the_whole_lp(tmp_path, aim, priced):
    """Pricing columns in reaches the LP optimum over every column, with dual-feasible reduced costs."""
    model = west_midlands_model()
    cost = model.aims[aim].cost
    log = tmp_path / "solver.log"
    whole = highs.highs_lp(model.matrix, cost, 60, log)
    outcome = priced(model.matrix, cost, 60, log, None, SolveOptions(priced_per_round=200))
    assert outcome.termination == "optimal"
    assert outcome.bound == pytest.approx(whole.bound, rel=1e-7, abs=1e-6)
    assert model.matrix.violation(outcome.x) < 1e-6
    x, reduced = outcome.x, outcome.reduced_costs
    tolerance = 1e-6 * max(1.0, float(np.abs(cost).max()))
    assert (reduced[x < 1e-9] >= -tolerance).all()  # at the lower bound: no column would improve
    assert (np.abs(reduced[(x > 1e-9) & (x < 1 - 1e-9)]) <= tolerance).all()  # basic: zero


def test_a_priced_lp_cut_short_by_cbc_proves_nothing(tmp_path, monkeypatch):
    """When CBC stops a round's LP at its time limit it still hands back that round's columns'
    values; they are no LP solution over every column (England's LP with rounding cuts, given
    a quarter of the time left, once crashed the solve by passing them on)."""
    run_cbc = cbc._run_cbc
    monkeypatch.setattr(cbc, "_run_cbc", lambda *args, **kw: replace(run_cbc(*args, **kw), termination="time_limit"))
    model = west_midlands_model()
    outcome = cbc.cbc_lp_by_pricing(model.matrix, model.aims[-1].cost, 60, tmp_path / "solver.log", None)
    assert (outcome.termination, outcome.x, outcome.bound, outcome.duals) == ("time_limit", None, None, None)


def test_components_are_the_connected_areas():
    rng = random.Random(3)
    groups = [sorted(rng.sample(range(40), rng.randint(2, 4))) for _ in range(30)]
    col = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    node = np.concatenate(groups)
    label = partnership_components(col, node)
    parent = list(range(40))  # union-find, the textbook way

    def find(v):
        while parent[v] != v:
            v = parent[v]
        return v

    for g in groups:
        for v in g[1:]:
            parent[find(v)] = find(g[0])
    for a in range(len(node)):
        for b in range(len(node)):
            assert (label[a] == label[b]) == (find(node[a]) == find(node[b]))


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", sampled(range(260, 290), fast=8))
def test_search_in_place_of_an_unreachable_proof_keeps_plans_valid_and_honest(tmp_path, seed, solver):
    # a proof over more than provable_columns is skipped for more search: the plan must still be
    # valid, never better than the optimum, and called optimal only when it is
    options = replace(LARGE_METHODS_FORCED, provable_columns=0,
                      area_seconds_per_column=0.0)  # and ever wider regions settled
    rng = random.Random(seed)
    sheets = random_instance(rng)
    workbook = tmp_path / "instance.xlsx"
    write_workbook(sheets, workbook, rng)
    inputs = load_workbook_inputs(workbook).inputs
    plan = optimise(inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=60, mip_gap=0.0)),
                    options=options)
    reference = brute_force(sheets)
    if not reference.feasible:
        assert plan.status == "infeasible"
        return
    evaluation = evaluate(sheets, *plan_choices(plan))
    assert evaluation.feasible, evaluation.reason
    assert evaluation.total_shortfall >= reference.shortfall - 1
    # the first aim's bound (the LP's, or the area bound's) never claims more than the optimum
    for first in plan.stages[:1]:  # none when there was nothing to choose
        optimum = {"shortfall": reference.shortfall, "impact": reference.impact,
                   "net_benefit": reference.net_benefit}[first.aim]
        tolerance = 1e-6 * max(1.0, abs(optimum)) + 1e-6
        assert (first.bound >= optimum - tolerance) if first.aim == "net_benefit" else (first.bound <= optimum + tolerance)
    if plan.status == "optimal":
        verdict = reference.is_optimal(evaluation)
        assert verdict, verdict.reason
    else:
        assert plan.status == "feasible" and plan.gap > 0


def test_each_row_of_one_council_concerns_that_council_alone():
    """The rows ``bound`` keeps whole for an area are found through ``Model.row_council``: a row
    marked with a council holds only decisions that council is in (its partnerships, reductions
    and shortfall), and every decision is in some row of each of its councils."""
    model = west_midlands_model()
    cols, councils = column_councils(model)
    concerns = set(zip(cols.tolist(), councils.tolist()))
    matrix = model.matrix
    owner = model.row_council[matrix.rows]
    mine = owner >= 0
    assert mine.any() and (~mine).any()  # count cuts span councils
    assert all((c, k) in concerns for c, k in zip(matrix.cols[mine].tolist(), owner[mine].tolist()))
    covered = set(zip(matrix.cols[mine].tolist(), owner[mine].tolist()))
    assert concerns <= covered


def test_shortfall_columns_are_shares_of_the_target():
    """Each shortfall column counts the share of its council's target not met, so its coefficient
    in its scaled target row is the target's size beside the council's savings, not 1/£: columns of
    pounds (to 2e7) at 1e-7 in their rows led HiGHS's presolve to call a feasible England sub-MIP
    infeasible. The shortfall aim still counts pounds."""
    model = west_midlands_model()
    matrix, short = model.matrix, model.shortfall_council
    first = model.n_decisions
    assert len(short)
    x = model.complete(matrix.lower)  # nothing shared: every target short in full
    np.testing.assert_allclose(x[first:], 1.0)
    assert model.aims[0].value(x) == pytest.approx(model.shortfall(x).sum())
    entries = matrix.cols >= first
    coefficient = np.zeros(len(short))
    coefficient[matrix.cols[entries] - first] = matrix.values[entries]
    savings = model.members.saving[np.isin(model.members.council, short)]
    assert coefficient.min() >= model.targets[short].min() / savings.max()
    assert coefficient.min() > 1e-3


def west_midlands_search(most_columns: int, idle_gain: float = DEFAULT.idle_gain):
    """The net-benefit search on the West Midlands, with wide areas of up to ``most_columns``; a
    plan sharing nothing; and every saving at once (no plan, but ahead of it everywhere)."""
    model = west_midlands_model()
    aim = model.aims[-1]
    alive = np.ones(model.matrix.n_cols, dtype=bool)
    finder = search.NeighbourhoodSearch(model, model.matrix, aim, solvers.BACKENDS["highs"], 1e-4,
                                        Path("/dev/null"), alive, wide=True,
                                        options=SolveOptions(most_columns=most_columns, idle_gain=idle_gain))
    nothing_shared = model.complete(model.matrix.lower)
    ahead = np.zeros(model.matrix.n_cols)
    ahead[: model.n_decisions] = aim.cost[: model.n_decisions] < 0
    return model, aim, finder, nothing_shared, ahead


def test_services_one_area_frees_whole_come_first_and_whole():
    """With wide areas, a service whose decisions fit in the largest area is freed whole at once, and
    such services are visited before those that need many areas, each kind by its loss."""
    _, _, finder, nothing_shared, ahead = west_midlands_search(300)
    sizes = {s: finder._decisions(s) for s in range(finder.n_services)}
    assert min(sizes.values()) <= 300 < max(sizes.values())
    for s, size in sizes.items():
        assert finder._first_size(s) == min(size, 300)
    assert finder._first_size(None) == DEFAULT.neighbourhood_columns
    order = finder._short_services(nothing_shared, ahead)
    fits = [sizes[s] <= 300 for s in order]
    assert fits == sorted(fits, reverse=True) and any(fits) and not all(fits)


def test_a_round_whose_area_holds_the_whole_service_solves_it_once(monkeypatch):
    _, aim, finder, nothing_shared, ahead = west_midlands_search(300)
    service = min(range(finder.n_services), key=finder._decisions)
    finder.columns[service] = finder._first_size(service)
    steps = []
    real_step = finder.step
    monkeypatch.setattr(finder, "step", lambda x, free, seconds: steps.append(free.copy()) or real_step(x, free, seconds))
    x, improved = finder._round(nothing_shared, ahead, -np.inf, time.perf_counter() + 60, service)
    assert len(steps) == 1 and improved
    assert steps[0][finder.service_of == service].all()
    assert aim.cost @ x < aim.cost @ nothing_shared


def recorded_steps(monkeypatch, finder) -> list[tuple[np.ndarray, bool]]:
    """Every area the search solves: (its free columns, whether the plan improved)."""
    steps = []
    real_step = finder.step

    def step(x, free, seconds):
        better = real_step(x, free, seconds)
        steps.append((free.copy(), better is not None))
        return better

    monkeypatch.setattr(finder, "step", step)
    return steps


def test_a_service_freed_whole_and_proven_is_not_solved_again(monkeypatch):
    # idle gain 0: any gain would earn a service another round
    _, aim, finder, nothing_shared, ahead = west_midlands_search(300, idle_gain=0.0)
    steps = recorded_steps(monkeypatch, finder)
    x = finder.improve(nothing_shared, ahead, -np.inf, time.perf_counter() + 120)
    assert aim.cost @ x < aim.cost @ nothing_shared
    gained = []
    for s in range(finder.n_services):
        if finder._decisions(s) <= 300:  # freed whole by its own rounds, and each proven at once
            whole = [improved for free, improved in steps if free[finder.service_of == s].all()]
            assert len(whole) == 1 and s in finder.finished
            gained += whole
    assert any(gained)  # once even where the round gained, which alone would have earned another


def test_a_round_never_solves_the_same_area_twice_around_the_same_plan(monkeypatch):
    # areas of 100 options around neighbouring seeds often coincide on the West Midlands
    _, _, finder, nothing_shared, ahead = west_midlands_search(100)
    steps = recorded_steps(monkeypatch, finder)
    for service in range(finder.n_services):
        finder.columns[service] = finder._first_size(service)
        finder._round(nothing_shared, ahead, -np.inf, time.perf_counter() + 120, service)
    seen: set[bytes] = set()
    for free, improved in steps:
        assert free.tobytes() not in seen
        seen = set() if improved else seen | {free.tobytes()}
    assert len(steps) > finder.n_services


def test_the_least_shortfall_aim_finds_its_short_services():
    """The least-shortfall aim's cost sits on the shortfall columns alone; a service is short where
    councils more short than in the LP save less on it than the LP does, by that many pounds."""
    model = west_midlands_model()
    aim = model.aims[0]
    assert aim.name == "shortfall" and not aim.cost[: model.n_decisions].any()
    finder = search.NeighbourhoodSearch(model, model.matrix, aim, solvers.BACKENDS["highs"], 1e-4, Path("/dev/null"),
                                        np.ones(model.matrix.n_cols, dtype=bool), wide=True)
    m = model.members
    council = int(model.shortfall_council[0])
    service = int(m.service[m.council == council][0])
    group = int(m.col[(m.council == council) & (m.service == service) & (m.col < model.n_partnerships)][0])
    lp = model.complete(np.eye(1, model.n_cols, group).ravel())  # the LP shares that one group
    plan = model.complete(model.matrix.lower)  # the plan shares nothing
    expected = np.zeros(finder.n_services)
    for c in np.flatnonzero(model.shortfall(plan) > model.shortfall(lp)):
        for s in range(finder.n_services):
            mine = (m.council == c) & (m.service == s) & (m.col == group)
            expected[s] += m.saving[mine].sum()
    assert expected[service] > 0
    assert finder._short_savings(plan, lp) == pytest.approx(expected)
    assert service in finder._short_services(plan, lp)
