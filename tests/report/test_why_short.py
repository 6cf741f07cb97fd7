"""Why a council is left short: small instances whose reason is known by construction, on both solvers,
and the claim "it cannot reach its target" checked against every plan on random instances."""

from __future__ import annotations

import itertools
import random

import pytest

from optimizer.model.candidates import enumerate_candidates
from optimizer.pipeline import optimise
from optimizer.workbook.inputs import Council, Inputs, Reduction, Service, Settings, SharingTerms
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import random_instance, write_workbook
from tests.support.marks import sampled

SOLVERS = ("highs", "cbc")
COST = 1e6


def solved(councils, services, sharing, solver, **settings):
    inputs = Inputs(tuple(councils), tuple(services), tuple(sharing),
                    settings=Settings(solver=solver, **settings), source_name="why.xlsx", source_sha256="0" * 64)
    return optimise(inputs)


def payroll(*names):
    return [Service(n, "Payroll", COST, 10.0) for n in names]


def reasons(plan) -> dict[str, str]:
    return dict(plan.why_short)


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_partner_within_the_distance_limit(solver):
    plan = solved([Council("Ashby", 50e6, 50_000, 52.0, -1.0), Council("Burton", 50e6, None, 54.0, -1.0)],
                  payroll("Ashby", "Burton"), [SharingTerms("Payroll", 2, 0.1, max_distance_km=50)], solver)
    assert list(reasons(plan)) == ["Ashby"]
    assert reasons(plan)["Ashby"] == ("it cannot reach its target: at most £0 a year even with every service in its "
                                      "best possible partnership or reduction (distance: no partner within 50 km "
                                      "for Payroll)")


@pytest.mark.parametrize("solver", SOLVERS)
def test_too_few_councils_for_the_larger_partnerships(solver):
    councils = [Council(n, 50e6, 0.1 * COST if n == "Ashby" else None) for n in ("Ashby", "Burton", "Colne")]
    plan = solved(councils, payroll("Ashby", "Burton", "Colne"),
                  [SharingTerms("Payroll", 2, 0.05), SharingTerms("Payroll", 4, 0.2)], solver)
    why = reasons(plan)["Ashby"]
    assert "at most £50,000 a year" in why
    assert "partnership sizes: too few councils deliver Payroll for the larger groups" in why


@pytest.mark.parametrize("solver", SOLVERS)
def test_its_own_cap_on_shared_services(solver):
    services = [Service(n, s, COST) for n in ("Ashby", "Burton") for s in ("Payroll", "Waste")]
    plan = solved([Council("Ashby", 50e6, 150_000, max_shared_services=1), Council("Burton", 50e6, None)], services,
                  [SharingTerms("Payroll", 2, 0.1), SharingTerms("Waste", 2, 0.1)], solver)
    assert reasons(plan)["Ashby"] == ("its own cap max_shared_services: it may share 1 of its services and shares 1")


@pytest.mark.parametrize("solver", SOLVERS)
def test_its_partners_other_commitments(solver):
    """Ashby - Burton - Colne in a row, 20 km apart, pairs within 30 km: Burton can help only one of them."""
    councils = [Council(n, 50e6, 100_000, 52.0, lon) for n, lon in (("Ashby", -1.0), ("Burton", -0.7),
                                                                   ("Colne", -0.4))]
    councils[1] = Council("Burton", 50e6, None, 52.0, -0.7)
    plan = solved(councils, payroll("Ashby", "Burton", "Colne"),
                  [SharingTerms("Payroll", 2, 0.1, max_distance_km=30)], solver)
    [(short, why)] = reasons(plan).items()
    assert short in ("Ashby", "Colne")
    assert why == ("its partners' other commitments: a partnership for Payroll (£100,000 a year more) would need "
                   "Burton, whose Payroll the plan puts in another partnership or reduction")


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_investment_budget(solver):
    plan = solved([Council("Ashby", 50e6, 100_000), Council("Burton", 50e6, None)], payroll("Ashby", "Burton"),
                  [SharingTerms("Payroll", 2, 0.1, 0.5)], solver, investment_budget=200_000)
    assert reasons(plan)["Ashby"] == ("the investment budget: a partnership for Payroll (£100,000 a year more) would "
                                      "cost £1.0 m once, and £200,000 of the £200,000 budget is left")


@pytest.mark.parametrize("solver", SOLVERS)
def test_its_partners_own_targets(solver):
    """Ashby's cut (£150,000) would meet its target but end the partnership Burton needs for its own."""
    inputs = Inputs((Council("Ashby", 50e6, 150_000), Council("Burton", 50e6, 100_000)), tuple(payroll("Ashby", "Burton")),
                    (SharingTerms("Payroll", 2, 0.1),), (Reduction("Ashby", "Payroll", 0.15, 1.0),),
                    settings=Settings(solver=solver))
    plan = optimise(inputs)
    assert [p.councils for p in plan.partnerships] == [("Ashby", "Burton")]
    assert reasons(plan) == {"Ashby": "its partners' own targets: a cut to Payroll (£50,000 a year more) would end its "
                                      "partnership with Burton, leaving it short of its own target"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_council_that_meets_its_target_has_no_reason(solver):
    plan = solved([Council("Ashby", 50e6, 100_000), Council("Burton", 50e6, 1.0)], payroll("Ashby", "Burton"),
                  [SharingTerms("Payroll", 2, 0.1)], solver)
    assert plan.why_short == () and plan.total_shortfall == 0


def random_inputs(rng: random.Random, solver: str) -> Inputs:
    names = [f"C{i}" for i in range(rng.randint(3, 5))]
    councils = [Council(n, 50e6, rng.choice([None, rng.uniform(0.05, 0.4) * COST]), 52 + rng.uniform(0, 0.5),
                        -1 + rng.uniform(0, 0.5), max_shared_services=rng.choice([None, 1]))
                for n in names]
    services = [Service(n, s, rng.uniform(0.2, 1.5) * COST, shareable=rng.random() > 0.2)
                for n in names for s in ("Payroll", "Waste") if rng.random() > 0.2]
    sharing = [SharingTerms(s, k, rng.uniform(0.03, 0.15), max_distance_km=rng.choice([None, 25, 40]))
               for s in ("Payroll", "Waste") for k in (2, 3) if rng.random() > 0.3]
    return Inputs(tuple(councils), tuple(services), tuple(sharing), settings=Settings(solver=solver))


def most_alone(inputs: Inputs, council: str) -> float:
    """The most ``council`` saves over every plan, caps aside, by brute force: every set of disjoint
    candidate partnerships it is in (the others cannot add to its saving), each service left out of
    them cut by its best reduction."""
    candidates = enumerate_candidates(inputs)
    groups = [p for p in candidates.partnerships if council in p.members]
    cut: dict[str, float] = {}
    for r in candidates.reductions:
        if r.council == council:
            saving = r.reduction_pct * inputs.service_row[(council, r.service)].annual_cost
            cut[r.service] = max(cut.get(r.service, 0.0), saving)
    best = 0.0
    for k in range(len(groups) + 1):
        for chosen in itertools.combinations(groups, k):
            services = [p.service for p in chosen]
            if len(services) == len(set(services)):
                shared = sum(s for p in chosen for c, s in zip(p.members, p.saving) if c == council)
                best = max(best, shared + sum(v for s, v in cut.items() if s not in services))
    return best


@pytest.mark.parametrize("seed", sampled(range(40), 8))
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_council_left_short_has_a_reason_and_cannot_reach_is_true(seed, solver):
    inputs = random_inputs(random.Random(seed), solver)
    plan = optimise(inputs)
    short = {c.council for c in plan.councils if c.target_met is False}
    assert set(reasons(plan)) == short
    kinds = set()
    for council, why in reasons(plan).items():
        assert why
        target = inputs.council[council].target
        if why.startswith("it cannot reach its target"):
            assert most_alone(inputs, council) < target - 0.01, (seed, council, why)
        kinds.add(why.split(":")[0])
    COVERED.update(kinds)


COVERED: set[str] = set()


@pytest.mark.slow
def test_the_random_instances_cover_the_kinds_of_reason():
    """Runs after the random cases (file order): they met short councils of several kinds."""
    assert {"it cannot reach its target", "its own cap max_shared_services", "its partners' other commitments"} <= COVERED, \
        COVERED


@pytest.mark.parametrize("seed", sampled(range(40), 3))
@pytest.mark.parametrize("solver", SOLVERS)
def test_the_enumeration_instances_every_short_council_has_a_true_reason(tmp_path, seed, solver):
    """The enumeration tests' random instances (listed groups, rules, body types, every cap, budgets)."""
    rng = random.Random(seed)
    write_workbook(random_instance(rng), tmp_path / "in.xlsx", rng)
    inputs = load_workbook_inputs(tmp_path / "in.xlsx").inputs
    plan = optimise(inputs.with_settings(inputs.settings.override(solver=solver)))
    short = {c.council for c in plan.councils if c.target_met is False} if plan.has_plan else set()
    assert set(reasons(plan)) == short
    for council, why in reasons(plan).items():
        assert why
        if why.startswith("it cannot reach its target"):
            assert most_alone(inputs, council) < inputs.council[council].target - 0.01, (seed, council, why)
