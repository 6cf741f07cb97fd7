"""Pieces of the model that can be checked on their own, exhaustively."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from optimizer.candidates import cliques, distances_km
from optimizer.model import partnership_count_cuts


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


def test_cliques_are_every_compatible_set_once():
    rng = random.Random(7)
    n = 9
    adjacency = [[False] * n for _ in range(n)]
    for i, j in itertools.combinations(range(n), 2):
        adjacency[i][j] = adjacency[j][i] = rng.random() < 0.6
    neighbours = [{j for j in range(n) if adjacency[i][j]} for i in range(n)]
    for size in (2, 3, 4):
        expected = [c for c in itertools.combinations(range(n), size)
                    if all(adjacency[i][j] for i, j in itertools.combinations(c, 2))]
        assert list(cliques(neighbours, size)) == expected


def test_great_circle_distances_on_the_spec_sphere():
    radius = 6371.0088
    d = distances_km([52.0, 53.0, 0.0, 90.0, 0.0], [-1.5, -1.5, 10.0, 10.0, 100.0])
    assert d[0, 1] == pytest.approx(radius * math.pi / 180)  # one degree along a meridian
    assert d[2, 3] == pytest.approx(radius * math.pi / 2)  # equator to pole
    assert d[2, 4] == pytest.approx(radius * math.radians(90))  # a quarter of the equator
    assert np.allclose(d, d.T) and not d.diagonal().any()
