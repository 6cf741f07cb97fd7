"""Partner caps in the model: a link per pair whose cap can bind, rows per pair and service, and
pools kept away from capped councils (``optimizer.model.partners``).

That the capped optimum is the true one is checked against exhaustive enumeration in tests/solve
(``test_alliance_plan_is_the_enumerated_optimum``); here, the structure."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.candidates import enumerate_candidates
from optimizer.model.families import PARTNER_CAP, PARTNER_LINK
from optimizer.pipeline import optimise
from optimizer.workbook.inputs import Council, Inputs, Service, SharingTerms

NAMES = ["Ashby", "Brent", "Colne", "Dover", "Epsom"]
SERVICES = ["Legal", "Payroll"]


def neighbours(caps: dict[str, int], sizes=(2, 3), body_types=None, bodies=None) -> Inputs:
    """Five councils 1 km apart sharing two services; ``caps`` their max_partners."""
    councils = tuple(Council(name, 1e8, 3e5 * (i + 1), 52.0 + 0.01 * i, -1.0, max_partners=caps.get(name),
                             body_type=(bodies or {}).get(name, "council")) for i, name in enumerate(NAMES))
    services = tuple(Service(c.name, s, 1e6 * (i + 1) * (j + 1), fte=10)
                     for i, c in enumerate(councils) for j, s in enumerate(SERVICES))
    sharing = tuple(SharingTerms(s, k, 0.03 * k, 0.01, max_distance_km=50, body_types=body_types)
                    for s in SERVICES for k in sizes)
    return Inputs(councils, services, sharing)


def model_of(inputs: Inputs, pool_from_groups: int = 0):
    return build_model(inputs, enumerate_candidates(inputs), pool_from_groups)


def families(model) -> list[str]:
    return list(model.matrix.row_families())


def test_no_cap_no_link():
    model = model_of(neighbours({}))
    assert len(model.links) == 0 and PARTNER_LINK not in families(model)


def test_a_cap_that_cannot_bind_adds_nothing():
    # four possible partners each: a cap of 4 never binds
    model = model_of(neighbours({"Ashby": 4}))
    assert len(model.links) == 0 and len(model.pools) == 2 * len(SERVICES)  # both sizes of both services


def test_a_binding_cap_links_its_pairs_and_keeps_its_services_out_of_pools():
    model = model_of(neighbours({"Ashby": 1}))
    assert model.pools == ()  # every block holds Ashby
    assert model.links.pairs.tolist() == [[0, 1], [0, 2], [0, 3], [0, 4]]  # only pairs with Ashby
    # a row per pair and service, and Ashby's own cap
    assert families(model).count(PARTNER_LINK) == 4 * len(SERVICES)
    assert families(model).count(PARTNER_CAP) == 1


def test_complete_sets_each_link_where_its_pair_shares():
    model = model_of(neighbours({"Ashby": 2}))
    groups = model.candidates.partnerships
    pick = [j for j, g in enumerate(groups) if set(g.members) in ({"Ashby", "Brent", "Colne"}, {"Ashby", "Dover"})
            and g.service == ("Legal" if "Brent" in g.members else "Payroll")]
    decisions = np.zeros(model.n_cols)
    decisions[[int(np.flatnonzero(model.group_of_col == j)[0]) for j in pick]] = 1.0
    x = model.complete(decisions)
    linked = {tuple(p) for p, v in zip(model.links.pairs.tolist(), x[model.first_link:]) if v}
    assert linked == {(0, 1), (0, 2), (0, 3)}
    assert model.matrix.violation(x) > 0  # Ashby would have three partners, cap 2


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_the_optimum_keeps_every_cap(solver):
    inputs = neighbours({"Ashby": 1, "Colne": 2})
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, mip_gap=0.0))
    plan = optimise(inputs)
    assert plan.status == "optimal"
    partners = {name: set() for name in NAMES}
    for line in plan.partnerships:
        for c in line.councils:
            partners[c] |= set(line.councils) - {c}
    assert len(partners["Ashby"]) <= 1 and len(partners["Colne"]) <= 2
    assert plan.partnerships  # caps bound, yet sharing goes on


def test_body_types_leave_other_bodies_out_of_the_curve():
    bodies = {"Ashby": "police", "Brent": "fire"}
    candidates = enumerate_candidates(neighbours({}, body_types=("council", "fire"), bodies=bodies))
    members = {c for g in candidates.partnerships for c in g.members}
    assert "Ashby" not in members and "Brent" in members
    assert all(len(g.members) in (2, 3) for g in candidates.partnerships)
    uncapped = replace(neighbours({}, bodies=bodies))
    assert {c for g in enumerate_candidates(uncapped).partnerships for c in g.members} == set(NAMES)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_hard_targets_only_a_capped_council_breaks_are_infeasible(solver):
    """Only groups of three form, Ashby may have one partner, and every target needs sharing: no
    plan exists. Its LP does (half a group), and CBC without preprocessing crashed on it."""
    inputs = neighbours({"Ashby": 1}, sizes=(3,))
    inputs = replace(inputs, councils=inputs.councils[:3], services=inputs.services[:6])
    inputs = replace(inputs, councils=tuple(replace(c, target=0.01 * c.net_budget * 0.2) for c in inputs.councils))
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, targets="hard", mip_gap=0.0))
    assert optimise(inputs).status == "infeasible"
    uncapped = replace(inputs, councils=tuple(replace(c, max_partners=None) for c in inputs.councils))
    assert optimise(uncapped).status == "optimal"
