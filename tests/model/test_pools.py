"""Pools stand exactly for the groups they replace: found only where every k-subset is a candidate,
never over groups the Partnerships sheet sets, and a pooled plan's groups are whole candidates.

The optimum over pooled models is checked against exhaustive enumeration in tests/solve, on dense
random instances (``test_the_dense_instances_pool_often`` keeps them pooling)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.candidates import enumerate_candidates
from optimizer.model.families import POOL_SIZE
from optimizer.model.pools import POOL_FROM_GROUPS
from optimizer.pipeline import optimise
from optimizer.solve.options import DEFAULT
from optimizer.workbook.inputs import (
    Council,
    Inputs,
    ListedPartnership,
    Rule,
    Service,
    SharingTerms,
)
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import dense_instance, write_workbook

NAMES = ["Ashby", "Brent", "Colne", "Dover", "Epsom", "Frome"]


def neighbours(n: int, sizes=(2, 3), rules=(), partnerships=(), far: int | None = None) -> Inputs:
    """n councils 1 km apart (one of them far away when ``far``), one shared service."""
    councils = tuple(Council(name, 1e8, 2e5 * (i + 1), latitude=52.0 + (5.0 if i == far else 0.01 * i),
                             longitude=-1.0) for i, name in enumerate(NAMES[:n]))
    services = tuple(Service(c.name, "Legal", 1e6 * (i + 1), fte=10) for i, c in enumerate(councils))
    sharing = tuple(SharingTerms("Legal", k, 0.02 * k, one_off_pct=0.01 * k, max_distance_km=50) for k in sizes)
    return Inputs(councils, services, sharing, rules=tuple(rules), partnerships=tuple(partnerships))


POOL_ALL = replace(DEFAULT, pool_from_groups=0)  # small instances pool as a large region's blocks do


def model_of(inputs: Inputs, pool_from_groups: int = 0):
    return build_model(inputs, enumerate_candidates(inputs), pool_from_groups)


def test_councils_all_within_reach_pool_every_size():
    model = model_of(neighbours(5))
    assert [(p.size, len(p.councils), len(p.groups)) for p in model.pools] == [(2, 5, 10), (3, 5, 10)]
    assert model.n_partnerships == 0  # every group stands in a pool
    assert [model.matrix.family_of(i) for i in range(model.matrix.n_rows)].count(POOL_SIZE) == 2


def test_a_pool_forms_only_where_it_saves_columns():
    assert model_of(neighbours(3)).pools == ()  # three pairs and one three: as many columns as groups


def test_by_default_a_block_pools_only_beyond_one_search_area():
    assert model_of(neighbours(6, sizes=(2, 3, 4)), POOL_FROM_GROUPS).pools == ()  # 15 + 20 + 15 groups
    assert DEFAULT.pool_from_groups == POOL_FROM_GROUPS == DEFAULT.neighbourhood_columns


@pytest.mark.parametrize("make", [
    lambda: neighbours(5, rules=[Rule("Ashby", "Brent")]),  # not every pair allowed
    lambda: neighbours(5, far=4),  # one council out of reach: no longer every subset
])
def test_no_pool_where_a_subset_is_missing(make):
    assert [p for p in model_of(make()).pools if len(p.councils) == 5] == []


def test_no_pool_over_groups_the_partnerships_sheet_sets():
    listed = ListedPartnership("AB", "Legal", ("Ashby", "Brent"), "candidate", annual_saving=5e4)
    model = model_of(neighbours(5, partnerships=[listed]))
    assert [p.size for p in model.pools] == [3]  # the pairs stay groups: one of them has its own figures


def test_a_pool_member_carries_its_figures_at_the_pool_size():
    inputs = neighbours(5)
    model = model_of(inputs)
    for pool in model.pools:
        for c, saving in zip(pool.councils, pool.saving):
            cost = inputs.services[c].annual_cost
            assert saving == pytest.approx(0.02 * pool.size * cost)


def test_complete_makes_whole_groups_dropping_the_members_that_save_least():
    model = model_of(neighbours(5))
    pairs = next(i for i, p in enumerate(model.pools) if p.size == 2)
    x = np.zeros(model.n_cols)
    x[model.pool_member_cols[pairs]] = 1.0  # five councils cannot all be in pairs
    plan = model.complete(x)
    members = plan[model.pool_member_cols[pairs]]
    assert members.tolist() == [0, 1, 1, 1, 1]  # Ashby, the smallest, leaves
    assert plan[model.pool_count_col(pairs)] == 2
    assert model.matrix.violation(plan) <= 1e-9


@pytest.mark.parametrize("n", [4, 5, 6])
def test_a_pooled_plan_is_whole_disjoint_candidate_groups(n):
    inputs = neighbours(n, sizes=(2, 3, 4))
    plan = optimise(inputs, options=POOL_ALL)
    assert plan.status == "optimal"
    candidates = {(g.service, frozenset(g.members)) for g in enumerate_candidates(inputs).partnerships}
    seen = set()
    for line in plan.partnerships:
        assert (line.service, frozenset(line.councils)) in candidates
        assert not seen & set(line.councils)
        seen |= set(line.councils)


def test_pooling_changes_no_optimum():
    """Over every plan of six neighbours (sizes 2-4), the best totals, enumerated by hand."""
    inputs = neighbours(6, sizes=(2, 3, 4))
    costs = [s.annual_cost for s in inputs.services]
    targets = [c.target for c in inputs.councils]
    best = None
    for partition in _partitions(list(range(6))):
        if any(len(block) > 4 for block in partition):
            continue
        saving = [0.0] * 6
        for block in partition:
            for c in block:
                saving[c] = 0.02 * len(block) * costs[c] if len(block) > 1 else 0.0
        shortfall = sum(max(0.0, t - s) for t, s in zip(targets, saving))
        benefit = sum(5 * s - (s / 2) for s in saving)  # one-off is half the saving at every size
        key = (round(shortfall, 2), -round(benefit, 2))
        best = key if best is None or key < best else best
    plan = optimise(inputs, options=POOL_ALL)
    assert (round(plan.total_shortfall, 2), -round(plan.net_benefit, 2)) == pytest.approx(best, abs=1.0)


def _partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k in range(len(rest) + 1):
        for others in itertools.combinations(rest, k):
            remaining = [c for c in rest if c not in others]
            for partition in _partitions(remaining):
                yield [[first, *others], *partition]


def test_the_dense_instances_pool_often(tmp_path):
    """The enumeration tests check pooled models against the reference on dense instances (seeds
    1000-1099 of ``dense_instance``) only if they pool: a fifth of a sample do, or more."""
    pooled = 0
    for seed in range(1000, 1100, 5):
        rng = random.Random(seed)
        sheets = dense_instance(rng)
        path = tmp_path / f"{seed}.xlsx"
        write_workbook(sheets, path, rng)
        pooled += bool(model_of(load_workbook_inputs(path).inputs).pools)
    assert pooled >= 4, pooled  # a fifth: listed groups, lone councils and unshared services keep the rest apart
