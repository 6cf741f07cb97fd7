"""A bound tighter than the LP's, from settling one area exactly while the LP's duals price the rest.

On England's central services the LP bound is £5,474.4 m, yet no whole plan reaches it: the LP puts
every council of Lancashire and the North East into groups of four by blending groups, and whole
groups cannot do that (their numbers do not divide by four). Branching on 436,550 groups does not
finish; but the trouble sits in one area.

This is a partial Lagrangian relaxation. For any duals y of the right signs, and any plan x,
``cost x >= sum over rows i outside the area of y_i b_i + (cost - A_outside' y) x``, where b_i is
the row's bound the dual presses on. Minimising the right-hand side over plans that meet only the
area's rows is a MIP over the columns that touch the area (every other column just takes its
cheaper bound), and its proven bound is a bound on the whole model. With the LP's own duals it is
never weaker than the LP bound; with the area taken as the whole model it is the optimum. On
central services, the area within three steps of the two councils a plan could not place (82 rows,
28,000 columns) proves £5,468.0 m in 12 s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from optimizer.model.matrix import Matrix
from optimizer.solve.results import Outcome
from optimizer.status import Termination
from optimizer.tolerances import DUAL


def area_bound(matrix: Matrix, cost: np.ndarray, duals: np.ndarray, area: np.ndarray,
               backend: Callable[..., Outcome], seconds: float, gap: float, log: Path) -> float | None:
    """A lower bound on the least cost of the whole model, from the rows in ``area`` (a mask) kept
    whole and the rest priced by an LP's row ``duals``; None when the duals cannot price the rest (a
    column unbounded in the direction its price favours) or the area MIP proved nothing."""
    y = _signed(matrix, duals)
    bound_pressed = np.where(y < 0, matrix.row_upper, np.where(y > 0, matrix.row_lower, 0.0))
    outside = ~area
    price = matrix.priced(cost, np.where(outside, y, 0.0))
    touching = columns_touching(matrix, area)
    # a column touching no area row sits at whichever bound its price favours
    rest = ~touching
    price_rest, lower, upper = price[rest], matrix.lower[rest], matrix.upper[rest]
    tolerance = DUAL * max(1.0, float(np.abs(cost).max(initial=0.0)))
    if np.any((price_rest < -tolerance) & np.isinf(upper)) or np.any((price_rest > tolerance) & np.isinf(lower)):
        return None
    held = np.where(price_rest < 0, np.where(np.isinf(upper), 0.0, upper), np.where(np.isinf(lower), 0.0, lower))
    constant = float((y[outside] * bound_pressed[outside]).sum() + (price_rest * held).sum())
    free = touching & ~_never_helps(matrix, area, price)
    if not free.any():  # the area asks nothing of any column: the LP's own bound
        return constant
    sub = _area_program(matrix, area, free)
    outcome = backend(sub, price[free], limit=seconds, gap=gap, tie=0.0, log=log)
    proven = outcome.bound
    if outcome.termination == Termination.OPTIMAL and outcome.has_plan:
        # proven within the gap; and the solvers' own bound can be missing (CBC's log when presolve
        # solves it) or 0 (HiGHS when presolve leaves no whole column)
        value = float(price[free] @ outcome.x)
        proven = max(-np.inf if proven is None else proven, value - gap * abs(value))
    return None if proven is None else constant + float(proven)


def complementary_gaps(matrix: Matrix, cost: np.ndarray, duals: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where plan x stands above the Lagrangian bound of ``duals`` (the LP bound, for the LP's own):
    per column, its reduced cost times its distance from the bound that price favours; per row, the
    dual times the distance of its activity from the bound the dual presses on. Every term is at
    least 0 and together they make up cost·x minus the bound, so they say where the plan falls short."""
    y = _signed(matrix, duals)
    reduced = matrix.priced(cost, y)
    favoured = np.where((reduced < 0) & np.isfinite(matrix.upper), matrix.upper, matrix.lower)
    column_gap = reduced * (x - np.where(np.isfinite(favoured), favoured, x))
    pressed = np.where(y < 0, matrix.row_upper, np.where(y > 0, matrix.row_lower, 0.0))
    row_gap = np.where(y != 0, y * (matrix.activity(x) - np.where(np.isfinite(pressed), pressed, 0.0)), 0.0)
    return column_gap, row_gap


def _signed(matrix: Matrix, duals: np.ndarray) -> np.ndarray:
    """The duals, each set to 0 where its sign presses on a bound the row does not have (LP rounding)."""
    y = np.array(duals, dtype=np.float64)
    y[(y < 0) & np.isinf(matrix.row_upper)] = 0.0
    y[(y > 0) & np.isinf(matrix.row_lower)] = 0.0
    return y


def columns_touching(matrix: Matrix, area: np.ndarray) -> np.ndarray:
    """The columns with a non-zero in any row of ``area`` (a mask)."""
    touching = np.zeros(matrix.n_cols, dtype=bool)
    touching[matrix.cols[area[matrix.rows] & (matrix.values != 0)]] = True
    return touching


def _never_helps(matrix: Matrix, area: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Columns the area MIP can leave at 0 unseen: they cost nothing less than 0, and in the area
    they only use up rows that have an upper bound alone."""
    in_area = area[matrix.rows]
    loosens = (matrix.values > 0) & np.isinf(matrix.row_lower[matrix.rows])
    breaks = np.bincount(matrix.cols, weights=in_area & ~loosens, minlength=matrix.n_cols) > 0
    return (price >= 0) & (matrix.lower == 0) & ~breaks


def _area_program(matrix: Matrix, area: np.ndarray, free: np.ndarray) -> Matrix:
    """The area's rows over the ``free`` columns."""
    keep = area[matrix.rows] & free[matrix.cols]
    new_row = np.cumsum(area) - 1
    new_col = np.cumsum(free) - 1
    return Matrix(new_row[matrix.rows[keep]].astype(np.int32), new_col[matrix.cols[keep]].astype(np.int32),
                  matrix.values[keep], matrix.row_lower[area], matrix.row_upper[area], matrix.lower[free],
                  matrix.upper[free], matrix.integer[free], matrix.family[area], matrix.families)
