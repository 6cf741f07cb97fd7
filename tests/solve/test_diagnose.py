"""Infeasible runs explained, on constructed cases whose answers are known by arithmetic."""

from __future__ import annotations

import pytest

from optimizer.pipeline import optimise
from optimizer.workbook.inputs import (
    Council,
    Inputs,
    ListedPartnership,
    Service,
    Settings,
    SharingTerms,
)


def councils(*specs, **caps):
    """specs: (name, target, latitude); every council at longitude -1."""
    return tuple(Council(name, 100e6, target, lat, -1.0, **caps.get(name, {})) for name, target, lat in specs)


def services(names, service="HR", cost=1e6, fte=10.0):
    return tuple(Service(n, service, cost, fte) for n in names)


def solve(*, councils, services, sharing, partnerships=(), solver="highs", **settings):
    inputs = Inputs(councils, services, sharing, (), partnerships, (),
                    Settings(targets="hard", solver=solver, **settings))
    return optimise(inputs)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_target_above_the_most_a_council_can_save(solver):
    # A and B can share HR (5 % of £1m each = £50,000 a year); A wants £80,000.
    plan = solve(councils=councils(("A", 80_000, 52.0), ("B", None, 52.1)), services=services("AB"),
                 sharing=(SharingTerms("HR", 2, 0.05),), solver=solver)
    assert plan.status == "infeasible"
    (finding,) = plan.diagnosis
    assert finding.subject == "A"
    assert finding.target == 80_000 and finding.most_achievable == pytest.approx(50_000)
    assert finding.shortfall == pytest.approx(30_000)
    assert "£80,000" in finding.finding and "£50,000" in finding.finding


def test_targets_reachable_alone_but_not_together():
    # A and C are 60 km apart, B sits between them; pairs only, within 40 km. A and C each need the
    # £50,000 a pair brings, but B can be in only one pair.
    plan = solve(councils=councils(("A", 50_000, 52.0), ("B", None, 52.27), ("C", 50_000, 52.54)),
                 services=services("ABC"), sharing=(SharingTerms("HR", 2, 0.05, max_distance_km=40),))
    assert plan.status == "infeasible"
    reachable_alone = [f for f in plan.diagnosis if "reachable alone" in f.finding]
    assert len(reachable_alone) == 1 and reachable_alone[0].subject in ("A", "C")
    assert reachable_alone[0].most_achievable == 0


def test_required_partnerships_that_overlap_are_named():
    listed = (
        ListedPartnership("North", "HR", ("A", "B"), "required"),
        ListedPartnership("South", "HR", ("B", "C"), "required"),
    )
    plan = solve(councils=councils(("A", None, 52.0), ("B", None, 52.1), ("C", None, 52.2)),
                 services=services("ABC"), sharing=(SharingTerms("HR", 2, 0.05),), partnerships=listed)
    assert plan.status == "infeasible"
    (finding,) = plan.diagnosis
    assert finding.subject == "B: HR" and "North" in finding.finding and "South" in finding.finding


def test_required_partnerships_against_the_caps_are_named():
    listed = (ListedPartnership("Pair", "HR", ("A", "B"), "required"),)
    plan = solve(
        councils=councils(("A", None, 52.0), ("B", None, 52.1),
                          A={"max_shared_services": 0}, B={"max_staff_reduction_pct": 0.01}),
        services=services("AB", fte=100.0),
        sharing=(SharingTerms("HR", 2, 0.05, one_off_pct=0.5),),  # 5 FTE each, £500,000 once each
        partnerships=listed, investment_budget=600_000,
    )
    assert plan.status == "infeasible"
    found = {f.subject: f.finding for f in plan.diagnosis}
    assert "max_shared_services is 0" in found["A"]
    assert "5.0 FTE" in found["B"] and "1.0 FTE" in found["B"]
    assert "£1,000,000" in found["investment budget"] and "£600,000" in found["investment budget"]


def test_feasible_runs_carry_no_diagnosis():
    plan = solve(councils=councils(("A", 50_000, 52.0), ("B", None, 52.1)), services=services("AB"),
                 sharing=(SharingTerms("HR", 2, 0.05),))
    assert plan.status == "optimal" and plan.diagnosis == ()
