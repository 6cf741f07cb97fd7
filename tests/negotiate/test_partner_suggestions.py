"""Partner suggestions (SPEC.md section 7) against exhaustive enumeration on random instances.

For the council in most candidate partnerships, every row must be a candidate containing it whose
figures are those of the best plan with that partnership required (enumerated), the listed ones
must be the true top N of each service in section 2's order, nothing better left out, and a
partnership no plan can include listed last as infeasible when the top is not full.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from optimizer.negotiate.partners import suggest_partners
from optimizer.negotiate.resolve import solve_unpooled
from optimizer.report.partners import notes
from tests.support.checks import exact_inputs, plan_choices
from tests.support.instances import random_instance
from tests.support.marks import sampled
from tests.support.plan_space import Space, partnership_key, ties_best
from tests.support.reference import IMPACT_TIE, MONEY_TIE, candidate_partnerships, evaluate

SEEDS = sampled(range(4000, 4024), fast=3)
MONEY = 0.01


def strictly_better(a, b) -> bool:
    """Whether value a = (shortfall, impact, net benefit) beats b beyond the ties on the first aim they differ."""
    for x, y, tie in ((a[0], b[0], MONEY_TIE), (a[1], b[1], IMPACT_TIE), (-a[2], -b[2], MONEY_TIE)):
        if abs(x - y) > tie:
            return x < y
    return False


def ranking_instance(tmp_path, seed, solver):
    """(sheets, inputs, candidate groups, council, its services) of a random instance with
    partnerships: the council in most of them is the one ranked."""
    rng = random.Random(seed)
    sheets = random_instance(rng)
    while not candidate_partnerships(sheets):  # a council must have partnerships to rank
        sheets = random_instance(rng)
    _, inputs = exact_inputs(tmp_path, sheets, rng, solver)
    groups = candidate_partnerships(sheets)
    council = Counter(c for g in groups for c in g.councils).most_common(1)[0][0]
    return sheets, inputs, groups, council, sorted({g.service for g in groups if council in g.councils})


@pytest.mark.parametrize("top", [1, 2])
@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_partner_rows_are_the_best_plans_with_each_partnership(tmp_path, seed, solver, top):
    sheets, inputs, groups, council, services = ranking_instance(tmp_path, seed, solver)
    solved = solve_unpooled(inputs)
    found = suggest_partners(solved, council, services, top)
    space = Space(sheets)

    mine = [g for g in groups if council in g.councils]
    assert found.candidates == len(mine)
    assert found.unproven == ()  # every re-solve proven: the top is exact
    truth = {}
    for g in mine:
        best = space.best(space.including(partnership_key(g.service, g.councils)))
        truth[g.key] = (best.shortfall, best.impact, best.net_benefit) if best.exists else None
    for service in services:
        rows = [s for s in found.rows if s.service == service]
        theirs = [g for g in mine if g.service == service]
        feasible = [g for g in theirs if truth[g.key] is not None]
        listed = [s for s in rows if s.plan is not None]
        assert len(listed) == min(top, len(feasible))
        for s in listed:
            value = truth[(service, frozenset(s.councils))]
            assert value is not None
            assert s.status == "optimal"
            evaluation = evaluate(sheets, *plan_choices(s.plan))
            assert evaluation.feasible, evaluation.reason
            assert (service, tuple(sorted(s.councils))) in {(p.service, tuple(sorted(p.councils))) for p in s.plan.partnerships}
            why = ties_best(space.best(space.including(partnership_key(service, s.councils))),
                            evaluation.total_shortfall, evaluation.total_impact, evaluation.net_benefit)
            assert not why, why
            assert s.plan.net_benefit == pytest.approx(evaluation.net_benefit, abs=MONEY)
            row = s.row(found.best)
            assert row["lost_net_benefit"] == pytest.approx(found.best.net_benefit - evaluation.net_benefit, abs=MONEY)
            assert row["in_optimal_plan"] == ("yes" if any(p.service == service and set(p.councils) == set(s.councils)
                                                           for p in found.best.partnerships) else "no")
        # the true top: nothing left out beats a listed one, and the list runs best first
        names = {frozenset(s.councils) for s in listed}
        for s in listed:
            for g in feasible:
                if g.councils not in names:
                    assert not strictly_better(truth[g.key], truth[(service, frozenset(s.councils))]), g.councils
        for a, b in zip(listed, listed[1:]):
            assert not strictly_better(truth[(service, frozenset(b.councils))], truth[(service, frozenset(a.councils))])
        infeasible = [s for s in rows if s.plan is None]
        assert rows[len(listed):] == infeasible  # last
        if len(feasible) < top:
            assert {frozenset(s.councils) for s in infeasible} == {g.councils for g in theirs if truth[g.key] is None}
        else:
            assert not infeasible


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_ranking_whose_re_solves_are_cut_short_says_it_is_not_proven(tmp_path, seed, solver):
    """No time at all for the re-solves: the ranking holds only what the plan's own solve proved, and
    says so for every service that needed a re-solve; the plan's own partnerships are still listed."""
    _, inputs, groups, council, services = ranking_instance(tmp_path, seed, solver)
    solved = solve_unpooled(inputs)
    if solved.plan.status != "optimal":
        return
    out_of_time = inputs.settings.override(time_limit_s=1e-9)
    hurried = replace(solved, model=replace(solved.model, inputs=solved.model.inputs.with_settings(out_of_time)))
    found = suggest_partners(hurried, council, services, top=len(groups))
    in_plan = {frozenset(p.councils) for p in solved.plan.partnerships}
    needing = {g.service for g in groups if council in g.councils and frozenset(g.councils) not in in_plan}
    assert set(found.unproven) == needing
    assert {frozenset(s.councils) for s in found.rows} == {frozenset(p.councils) for p in solved.plan.partnerships
                                                            if council in p.councils and p.service in services}
    lines = notes(found)
    assert any(line.startswith("Not proven in ") for line in lines) == bool(needing)
