"""Pieces of the model that can be checked on their own, exhaustively."""

from __future__ import annotations

import itertools
import math
import random
from types import SimpleNamespace

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.model.candidates import cliques, distances_km, enumerate_candidates
from optimizer.model.cuts import partnership_count_cuts, violated_count_cuts
from optimizer.model.families import (
    AIM_TIE,
    COUNT_CUT,
    COVERAGE,
    INVESTMENT_BUDGET,
    ROW_FAMILIES,
    PARTNER_CAP,
    PARTNER_LINK,
    ROUNDING_CUT,
    SHARED_SERVICE_CAP,
    STAFF_CAP,
    TARGET,
)
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.instances import random_instance, write_workbook
from tests.support.marks import sampled


def whole_counts(sizes, members, councils):
    """Every vector of partnership counts a service can really have."""
    ranges = [range(m // k + 1) for k, m in zip(sizes, members)]
    return [n for n in itertools.product(*ranges) if sum(k * x for k, x in zip(sizes, n)) <= councils]


@pytest.mark.parametrize("seed", range(60))
def test_count_cuts_keep_every_whole_plan_and_are_tight(seed):
    rng = random.Random(seed)
    sizes = sorted(rng.sample([2, 3, 4, 5], rng.randint(1, 3)))
    councils = rng.randint(2, 16)
    members = [rng.randint(k, councils) if k <= councils else 0 for k in sizes]
    counts = whole_counts(sizes, members, councils)
    for a, b in partnership_count_cuts(sizes, members, councils):
        values = [sum(x * n for x, n in zip(a, point)) for point in counts]
        assert max(values) <= b, (a, b)  # valid: no real plan is cut off
        assert max(values) == b, (a, b)  # tight: some real plan reaches it


def test_thirty_councils_cannot_all_be_in_fours():
    cuts = dict(partnership_count_cuts([4], [30], 30))
    assert cuts[(1,)] == 7
    # with threes and fours: seven fours leave no room for a three (2 n4 + n3 <= 14)
    assert dict(partnership_count_cuts([3, 4], [30, 30], 30))[(1, 2)] == 14


def packings(groups: dict[int, set[int]]):
    """Every set of pairwise disjoint groups (column -> councils): a service's partnerships in any plan."""
    def extend(chosen, used, rest):
        yield chosen
        for i, col in enumerate(rest):
            if not groups[col] & used:
                yield from extend(chosen + [col], used | groups[col], rest[i + 1 :])
    yield from extend([], set(), sorted(groups))


@pytest.mark.parametrize("seed", sampled(range(40), fast=10))
def test_separated_count_cuts_are_broken_by_the_point_and_kept_by_every_plan(tmp_path, seed):
    """Each cut is broken by the fractional point it was separated from, and no set of disjoint
    partnerships of its service, the shape of every plan, breaks it."""
    rng = random.Random(seed)
    sheets = random_instance(rng)
    write_workbook(sheets, tmp_path / "instance.xlsx", rng)
    inputs = load_workbook_inputs(tmp_path / "instance.xlsx").inputs
    model = build_model(inputs, enumerate_candidates(inputs))
    m = model.members
    service_of = dict(zip(m.col.tolist(), m.service.tolist()))
    groups = {j: set(m.council[m.col == j].tolist()) for j in range(model.n_partnerships)}
    for _ in range(5):
        x = np.array([rng.choice([0, 0, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 1]) for _ in range(model.matrix.n_cols)])
        for cols, values, most in violated_count_cuts(model, x):
            assert values @ x[cols] > most + 1e-6
            service = {service_of[j] for j in cols.tolist()}
            assert len(service) == 1
            weight = dict(zip(cols.tolist(), values.tolist()))
            same = {j: g for j, g in groups.items() if service_of[j] in service}
            assert max(sum(weight.get(j, 0) for j in chosen) for chosen in packings(same)) <= most


def test_nine_councils_blended_into_fours_give_a_cut():
    """The North East's shape: nine councils each covered once by groups of four at a quarter."""
    fours = [[k, (k + 1) % 9, (k + 2) % 9, (k + 3) % 9] for k in range(9)] + [[0, 2, 4, 6], [1, 3, 5, 7]]
    col = np.repeat(np.arange(len(fours)), 4)
    members = SimpleNamespace(col=col.astype(np.int32), council=np.concatenate(fours).astype(np.int32),
                              service=np.zeros(len(col), dtype=np.int32))
    model = SimpleNamespace(members=members, n_partnerships=len(fours), inputs=SimpleNamespace(councils=range(9)))
    x = np.r_[np.full(9, 0.25), 0.0, 0.0]  # the nine rotations cover each council exactly once
    cuts = violated_count_cuts(model, x)
    # at most two groups of four among nine councils, the groups the point leaves at 0 included
    assert [(cols.tolist(), values.tolist(), most) for cols, values, most in cuts] == [(list(range(11)), [1.0] * 11, 2.0)]


def test_a_cut_broken_by_less_than_the_strength_kept_up_front_is_still_separated():
    """Eleven groups of four blended over 45 councils are 11 1/4 groups: the row "at most 11" is 2.2 %
    tighter than that, fifty-three councils' "at most 13" only 1.9 %, under ``MIN_CUT_STRENGTH``;
    broken, it is separated all the same."""
    for councils, most in ((45, 11), (53, 13)):
        fours = [[(k + j) % councils for j in range(4)] for k in range(councils)]
        col = np.repeat(np.arange(councils), 4)
        members = SimpleNamespace(col=col.astype(np.int32), council=np.concatenate(fours).astype(np.int32),
                                  service=np.zeros(len(col), dtype=np.int32))
        model = SimpleNamespace(members=members, n_partnerships=councils, inputs=SimpleNamespace(councils=range(councils)))
        cuts = violated_count_cuts(model, np.full(councils, 0.25))
        assert [(cols.tolist(), values.tolist(), b) for cols, values, b in cuts] == [(list(range(councils)), [1.0] * councils, float(most))]


def test_cliques_are_every_compatible_set_once():
    rng = random.Random(7)
    n = 9
    adjacency = [[False] * n for _ in range(n)]
    for i, j in itertools.combinations(range(n), 2):
        adjacency[i][j] = adjacency[j][i] = rng.random() < 0.6
    for size in (1, 2, 3, 4):
        expected = [c for c in itertools.combinations(range(n), size)
                    if all(adjacency[i][j] for i, j in itertools.combinations(c, 2))]
        assert [tuple(row) for row in cliques(np.array(adjacency), size).tolist()] == expected


def test_great_circle_distances_on_the_spec_sphere():
    radius = 6371.0088
    d = distances_km([52.0, 53.0, 0.0, 90.0, 0.0], [-1.5, -1.5, 10.0, 10.0, 100.0])
    assert d[0, 1] == pytest.approx(radius * math.pi / 180)  # one degree along a meridian
    assert d[2, 3] == pytest.approx(radius * math.pi / 2)  # equator to pole
    assert d[2, 4] == pytest.approx(radius * math.radians(90))  # a quarter of the equator
    assert np.allclose(d, d.T) and not d.diagonal().any()


def test_every_row_has_its_family(west_midlands_inputs):
    """Each define_* names the family of the rows it adds, and the matrix keeps them through
    scaling, restriction and the rows the solve adds."""
    inputs = west_midlands_inputs
    model = build_model(inputs, enumerate_candidates(inputs))
    matrix = model.matrix
    assert matrix.families == ROW_FAMILIES and len(matrix.family) == matrix.n_rows
    names = matrix.row_families()
    assert set(names) == {COVERAGE, TARGET, COUNT_CUT}  # its caps never bind, and it has no budget
    n, per_service = len(model.services), len(inputs.councils)
    assert (names == COVERAGE).sum() == len(np.unique(model.members.council.astype(np.int64) * n + model.members.service))
    assert (names == TARGET).sum() == sum(1 for c in inputs.councils if c.target) <= per_service
    tied = matrix.with_row(np.arange(3), np.ones(3), -np.inf, 1.0, AIM_TIE)
    assert tied.family_of(tied.n_rows - 1) == AIM_TIE and (tied.row_families()[:-1] == names).all()
    free = np.zeros(matrix.n_cols, dtype=bool)
    free[: model.n_partnerships] = True
    sub = matrix.restrict(free, np.zeros(matrix.n_cols))
    assert list(sub.row_families()) == list(names[matrix.rows_touched(free)])


def test_the_model_families_are_the_defines(tmp_path):
    """Over random instances, every family a define_* adds is met, and no other."""
    seen = set()
    for seed in range(30):
        rng = random.Random(seed)
        sheets = random_instance(rng)
        write_workbook(sheets, tmp_path / "instance.xlsx", rng)
        inputs = load_workbook_inputs(tmp_path / "instance.xlsx").inputs
        model = build_model(inputs, enumerate_candidates(inputs))
        seen |= set(model.matrix.row_families())
    assert seen == {COVERAGE, STAFF_CAP, SHARED_SERVICE_CAP, INVESTMENT_BUDGET, PARTNER_LINK, PARTNER_CAP, COUNT_CUT,
                    TARGET}


def test_the_rows_of_a_family_come_back_as_they_were_added_and_no_others():
    from optimizer.model.matrix import Matrix

    base = Matrix(np.array([0, 0, 1], dtype=np.int32), np.array([0, 1, 2], dtype=np.int32), np.ones(3),
                  np.zeros(2), np.ones(2), np.zeros(3), np.ones(3), np.ones(3, dtype=bool))
    cuts = [(np.array([0, 2]), np.array([1.0, 0.5]), -math.inf, 1.0), (np.array([1]), np.array([1.0]), 0.0, 0.0)]
    matrix = base.with_rows(cuts, ROUNDING_CUT).with_row(np.array([0, 1]), np.array([2.0, 2.0]), -math.inf, 3.0, AIM_TIE)
    assert base.rows_of(ROUNDING_CUT) == []
    back = matrix.rows_of(ROUNDING_CUT)
    assert len(back) == 2
    for (cols, values, low, up), (want_cols, want_values, want_low, want_up) in zip(back, cuts):
        assert cols.tolist() == want_cols.tolist() and values.tolist() == want_values.tolist()
        assert (low, up) == (want_low, want_up)
    assert len(matrix.with_rows(back, ROUNDING_CUT).rows_of(ROUNDING_CUT)) == 4  # added again, as a re-solve does
