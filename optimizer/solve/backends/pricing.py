"""Large LPs solved by pricing their columns in, one loop for both solvers.

With 2,400 rows and 480,000 columns, simplex on everything took minutes for the net-benefit aim;
pricing all columns from the duals is one sparse product. The LP starts on a few columns and
takes in those the duals price as improving, until none does: the answer is the LP over every
column, and the reduced costs are every column's. Each solver says how it re-solves a round
(``RestrictedLP``): HiGHS from its last basis, CBC afresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.model.matrix import Matrix
from optimizer.solve.options import SolveOptions
from optimizer.solve.results import Outcome
from optimizer.status import Termination
from optimizer.tolerances import PRICING
from optimizer.tolerances import chosen as is_chosen


class RestrictedLP:
    """The LP over the columns chosen so far; a solver's version says how a round is solved."""

    def __init__(self, matrix: Matrix, cost: np.ndarray, chosen: np.ndarray, log):
        self.matrix, self.cost, self.chosen, self.log = matrix, cost, chosen, log

    def solve(self, seconds: float) -> Outcome:
        """The round's LP: x over every column (0 outside the chosen), a dual for every row."""
        raise NotImplementedError

    def add(self, columns: np.ndarray) -> None:
        self.chosen[columns] = True

    def instead(self, failed: Outcome, seconds: float) -> Outcome:
        """What the LP is when a round did not end optimal (``seconds`` left)."""
        return Outcome(failed.termination)


def lp_by_pricing(restricted: Callable[..., RestrictedLP], matrix: Matrix, cost: np.ndarray, limit: float, log,
                  start: np.ndarray | None, options: SolveOptions) -> Outcome:
    """The LP over every column, its columns priced in round by round (see the module's note)."""
    began = time.perf_counter()
    lp = restricted(matrix, cost, first_columns(matrix, cost, start, options.priced_per_round), log)
    while True:
        outcome = lp.solve(limit - (time.perf_counter() - began))
        if outcome.termination != Termination.OPTIMAL:
            return lp.instead(outcome, limit - (time.perf_counter() - began))
        reduced = matrix.priced(cost, outcome.duals)
        entering = entering_columns(reduced, lp.chosen, cost, options.priced_per_round)
        if not len(entering):
            return replace(outcome, reduced_costs=reduced)
        lp.add(entering)


def first_columns(matrix: Matrix, cost: np.ndarray, start: np.ndarray | None, cheapest: int) -> np.ndarray:
    """The columns a priced LP starts from: continuous and required ones, the start plan's, the ``cheapest``."""
    chosen = ~matrix.integer | (matrix.lower > 0)
    if start is not None:
        chosen |= is_chosen(start)
    return chosen | _cheapest(cost, matrix.integer, cheapest)


def entering_columns(reduced: np.ndarray, chosen: np.ndarray, cost: np.ndarray, most: int) -> np.ndarray:
    """The most improving columns not yet in the LP, at most ``most`` of them."""
    scale = PRICING * max(1.0, float(np.abs(cost).max(initial=0.0)))
    entering = np.flatnonzero((reduced < -scale) & ~chosen)
    return entering[np.argsort(reduced[entering], kind="stable")[:most]]


def _cheapest(cost: np.ndarray, integer: np.ndarray, n: int) -> np.ndarray:
    pick = np.zeros(len(cost), dtype=bool)
    candidates = np.flatnonzero(integer & (cost < 0))
    pick[candidates[np.argsort(cost[candidates], kind="stable")[:n]]] = True
    return pick
