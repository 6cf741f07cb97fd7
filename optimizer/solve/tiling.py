"""A first plan read off the LP: tile the rows the LP fills with columns the LP prices at zero.

A member's saving depends only on its partnership's size, so the LP relaxation is massively
degenerate: with each council's dual at its best per-member value, every group of the best size is
priced at zero (on England's central services, 390,000 of 437,000 groups). The LP blends them
fractionally, and whole plans as good are hard to find by branching or by local search: on central
services alone, HiGHS given all 436,550 groups held a plan 80 % short of the bound after 120 s, and
the area-by-area search stalled 1.45 % short; this tiling is 0.16 % short after 30 s.

Complementary slackness says what a plan as good as the LP looks like: it uses only columns of zero
reduced cost and fills every row the LP fills. Finding one is an exact-cover problem, solved here
by depth-first search with Knuth's rule (cover first the row with the fewest options left),
backtracking within a budget. A row that cannot be covered is left open and the search goes on, so
it always returns a plan; the caller checks it against every row and keeps it only if it is better.
"""

from __future__ import annotations

import time

import numpy as np

from optimizer.model.matrix import Matrix
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Outcome
from optimizer.tolerances import FEASIBILITY, ZERO_REDUCED_COST, chosen


class ExactCover:
    """Rows to cover at most once (``items``) by columns (``options``), with undo for backtracking.

    The index (each option's items, each item's options) is built once; ``reset`` starts a new try.
    Each option's items are also kept as one padded row, so the items of all the options a choice
    kills are a single lookup (``n_items`` pads: a spare count no item reads)."""

    def __init__(self, item_of: np.ndarray, option_of: np.ndarray, n_items: int, n_options: int):
        order = np.argsort(option_of, kind="stable")
        self.items_start = np.searchsorted(option_of[order], np.arange(n_options + 1))
        self.items = item_of[order]
        width = int(np.diff(self.items_start).max(initial=1))
        self.item_rows = np.full((n_options, width), n_items, dtype=np.int64)
        self.item_rows[option_of[order], np.arange(len(order)) - self.items_start[option_of[order]]] = self.items
        order = np.argsort(item_of, kind="stable")
        self.options_start = np.searchsorted(item_of[order], np.arange(n_items + 1)).tolist()
        self.options = option_of[order].astype(np.int64)
        self.initial_count = np.bincount(item_of, minlength=n_items + 1)
        self.initial_live = np.zeros(n_options, dtype=bool)
        self.initial_live[np.unique(option_of)] = True
        self.n_items = n_items
        self.reset()

    def reset(self) -> None:
        """Every option live again, no item covered."""
        self.count = self.initial_count.copy()  # live options per item (and the spare)
        self.live = self.initial_live.copy()
        self.covered = np.zeros(self.n_items, dtype=bool)

    def items_of(self, option: int) -> np.ndarray:
        return self.items[self.items_start[option] : self.items_start[option + 1]]

    def options_of(self, item: int) -> np.ndarray:
        found = self.options[self.options_start[item] : self.options_start[item + 1]]
        return found[self.live[found]]

    def take(self, option: int) -> tuple[np.ndarray, np.ndarray]:
        """Choose ``option``: its items are covered and every other option on them dies."""
        items = self.items_of(option)
        start, killed = self.options_start, []
        for i in items.tolist():  # item by item, so an option on two of them dies once
            found = self.options[start[i] : start[i + 1]]
            found = found[self.live[found]]
            self.live[found] = False
            killed.append(found)
        killed = np.concatenate(killed) if killed else np.array([option])  # on no item: only itself
        self.live[option] = False  # the loop killed the rest
        np.subtract.at(self.count, self.item_rows[killed].ravel(), 1)
        self.covered[items] = True
        return killed, items

    def leave(self, item: int) -> None:
        """Give up on ``item``: it stays uncovered, and its options stay available to other items."""
        self.covered[item] = True

    def undo(self, killed: np.ndarray, items: np.ndarray) -> None:
        self.live[killed] = True
        np.add.at(self.count, self.item_rows[killed].ravel(), 1)
        self.covered[items] = False


def tile(matrix: Matrix, cost: np.ndarray, lp: Outcome, seconds: float, held: np.ndarray | None = None,
         seed: int = 0, options: SolveOptions = DEFAULT) -> np.ndarray:
    """Whole columns covering the packing rows the LP fills, chosen among those of zero reduced
    cost after the required and ``held`` ones (see the module's note); the cheapest of the tries
    made within ``seconds``, or the first that covers every such row."""
    began = time.perf_counter()
    scale = max(1.0, abs(lp.bound or 0.0))
    packing = _packing_rows(matrix)
    needed = packing & (matrix.activity(lp.x) >= matrix.row_upper - FEASIBILITY)
    usable = matrix.integer & chosen(matrix.upper) & (lp.reduced_costs <= ZERO_REDUCED_COST * scale)
    held = chosen(matrix.lower) | (False if held is None else held)
    on = packing[matrix.rows] & (usable | held)[matrix.cols]
    preference = lp.x - lp.reduced_costs / scale  # the LP's own choices first
    # a column the LP holds at its upper bound with a negative reduced cost is in every plan as good
    must = np.flatnonzero(usable & (lp.reduced_costs < -ZERO_REDUCED_COST * scale) & ~held)
    first = np.concatenate([np.flatnonzero(held), must[np.argsort(lp.reduced_costs[must], kind="stable")]])
    random = np.random.default_rng(seed)
    cover = ExactCover(matrix.rows[on], matrix.cols[on], matrix.n_rows, matrix.n_cols)
    best, best_cost, tries, idle = None, np.inf, 0, 0
    while best is None or time.perf_counter() - began < seconds:
        cover.reset()
        jitter = preference + (random.random(matrix.n_cols) * 1e-3 if tries else 0.0)
        x = _attempt(matrix, cover, first, needed, jitter, options.backtrack_budget)
        tries, idle = tries + 1, idle + 1
        if cost @ x < best_cost:
            best, best_cost, idle = x, float(cost @ x), 0
        if not (needed & ~chosen(matrix.activity(x))).any() or tries >= options.tiling_tries or idle >= options.tiling_patience:
            break
    return best


def _attempt(matrix: Matrix, cover: ExactCover, first: np.ndarray, needed: np.ndarray, preference: np.ndarray,
             budget: int) -> np.ndarray:
    """One tiling: the ``first`` columns that still fit, then the search."""
    chosen: list[int] = []
    for j in first:
        if cover.live[j] or not len(cover.items_of(int(j))):
            cover.take(int(j))
            chosen.append(int(j))
    _search(cover, needed, preference, chosen, budget)
    x = np.array(matrix.lower, dtype=np.float64)
    x[chosen] = 1.0
    return x


def _search(cover: ExactCover, needed: np.ndarray, preference: np.ndarray, chosen: list[int], budget: int) -> None:
    """Depth-first over the needed items, fewest live options first; at a dead end, back up to
    the last choice with another option left; once the budget is spent, leave the item open."""
    frames: list[tuple[np.ndarray, int, tuple]] = []  # (options tried in order, index, undo)
    dead_ends = 0
    while True:
        open_items = np.flatnonzero(needed & ~cover.covered)
        if not len(open_items):
            return
        item = int(open_items[np.argmin(cover.count[open_items])])
        if cover.count[item] == 0:
            dead_ends += 1
            if dead_ends > budget or not _back_up(cover, frames, chosen):
                cover.leave(item)  # nothing left to try here: the row stays open
            continue
        options = cover.options_of(item)
        options = options[np.argsort(-preference[options], kind="stable")]
        frames.append((options, 0, cover.take(int(options[0]))))
        chosen.append(int(options[0]))


def _back_up(cover: ExactCover, frames: list, chosen: list[int]) -> bool:
    """Undo choices until one can be replaced by its next option; False when none can."""
    while frames:
        options, k, undo = frames.pop()
        cover.undo(*undo)
        chosen.pop()
        if k + 1 < len(options):
            frames.append((options, k + 1, cover.take(int(options[k + 1]))))
            chosen.append(int(options[k + 1]))
            return True
    return False


def _packing_rows(matrix: Matrix) -> np.ndarray:
    """Rows ``sum of some columns <= 1`` (each (council, service) once): all coefficients 1, upper 1,
    no lower bound."""
    other = np.bincount(matrix.rows, weights=(matrix.values != 1.0), minlength=matrix.n_rows) > 0
    return ~other & (matrix.row_upper == 1.0) & ~np.isfinite(matrix.row_lower)
