"""The tiling reads whole plans off a degenerate LP: exact covers found whenever they exist, every
row covered at most once, held columns kept, and on a real LP a plan as good as its bound."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from optimizer.model.matrix import Matrix
from optimizer.solve import tiling
from optimizer.solve.backends import BACKENDS


def packing_matrix(options: list[tuple[int, ...]], n_items: int) -> Matrix:
    """Each item in at most one chosen option; whole columns."""
    rows = np.array([i for option in options for i in option], dtype=np.int32)
    cols = np.array([j for j, option in enumerate(options) for _ in option], dtype=np.int32)
    n = len(options)
    return Matrix(rows, cols, np.ones(len(rows)), np.full(n_items, -np.inf), np.ones(n_items),
                  np.zeros(n), np.ones(n), np.ones(n, dtype=bool))


def exact_cover_exists(options: list[tuple[int, ...]], n_items: int) -> bool:
    for k in range(len(options) + 1):
        for chosen in itertools.combinations(options, k):
            items = [i for option in chosen for i in option]
            if sorted(items) == list(range(n_items)):
                return True
    return False


@pytest.mark.parametrize("seed", range(150))
def test_search_finds_an_exact_cover_whenever_one_exists(seed):
    rng = random.Random(seed)
    n_items = rng.randint(3, 8)
    options = list({tuple(sorted(rng.sample(range(n_items), rng.randint(1, 3)))) for _ in range(rng.randint(2, 9))})
    matrix = packing_matrix(options, n_items)
    cover = tiling.ExactCover(matrix.rows, matrix.cols, n_items, len(options))
    chosen: list[int] = []
    preference = np.array([rng.random() for _ in options])  # any order: backtracking must recover
    tiling._search(cover, np.ones(n_items, dtype=bool), preference, chosen, budget=10_000)
    x = np.zeros(len(options))
    x[chosen] = 1
    covered = matrix.activity(x)
    assert covered.max(initial=0) <= 1  # never twice
    assert (covered == 1).all() == exact_cover_exists(options, n_items)


def test_tiling_a_degenerate_lp_meets_its_bound(tmp_path):
    # eight councils, all near each other: every group of four is worth 0.45 a member, of two 0.3;
    # the LP blends the 70 groups of four, and two disjoint ones are worth as much
    weight = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    options = list(itertools.combinations(range(8), 4)) + list(itertools.combinations(range(8), 2))
    cost = np.array([-(0.45 if len(o) == 4 else 0.3) * weight[list(o)].sum() for o in options])
    matrix = packing_matrix(options, 8)
    lp = BACKENDS["highs"](matrix, cost, limit=30, gap=0.0, tie=1e-9, log=tmp_path / "lp.log", start=None, relax=True)
    assert lp.termination == "optimal"
    x = tiling.tile(matrix, cost, lp, seconds=5)
    assert matrix.violation(x) == 0
    assert set(np.unique(x)) <= {0.0, 1.0}
    assert cost @ x == pytest.approx(lp.bound, abs=1e-9)
    assert cost @ x == pytest.approx(-0.45 * weight.sum())


def test_held_columns_are_kept_and_nothing_covered_twice(tmp_path):
    options = list(itertools.combinations(range(8), 4)) + list(itertools.combinations(range(8), 2))
    cost = np.array([-(0.45 if len(o) == 4 else 0.3) * len(o) for o in options])
    matrix = packing_matrix(options, 8)
    lp = BACKENDS["highs"](matrix, cost, limit=30, gap=0.0, tie=1e-9, log=tmp_path / "lp.log", start=None, relax=True)
    held = np.zeros(len(options), dtype=bool)
    held[options.index((0, 1))] = True  # a pair the LP would not choose
    x = tiling.tile(matrix, cost, lp, seconds=5, held=held)
    assert x[options.index((0, 1))] == 1
    assert matrix.violation(x) == 0
    # of the other six, four make a group; a pair is not priced at zero (0.6 against the LP's
    # 0.9 for two members), so the last two are left to the search
    assert cost @ x == pytest.approx(-(0.3 * 2 + 0.45 * 4))
