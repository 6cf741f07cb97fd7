"""The numerical tolerances of the model and the solve, each with why it is what it is.

Solvers work in floating point to their own tolerances (HiGHS and CBC: about 1e-7 on feasibility
and optimality, on costs scaled to 1 by ``optimizer.solve.backends.in_unit_costs``), so every test
of a solver's answer allows a little more than that, and no more.
"""

from __future__ import annotations

import math

import numpy as np


def within_tie_or_gap(value: float, bound: float, tie: float, gap: float, slack: float = 0.0) -> bool:
    """Is a plan worth ``value`` proven good enough against ``bound`` (both minimised): within the
    aim's tie in its own units, or within the relative ``gap`` the run asks for?"""
    return value - bound <= max(tie, gap * abs(value)) + slack


CHOSEN = 0.5  # a 0/1 column above this is 1: solvers return whole columns to about 1e-9
INTEGRALITY = 1e-6  # an LP holds a whole column blended when further than this from 0 and from 1
FEASIBILITY = 1e-6  # relative to a row's size: a plan breaking no row by more meets it
REDUCED_COST_SLACK = 1e-6  # relative; reduced costs are only as exact as the LP's tolerances
PRICING = 1e-7  # relative to the largest cost (1 once in unit costs): an LP column this far below 0 improves
DUAL = 1e-7  # relative to the largest cost: a reduced cost this far below 0 is the LP's rounding
ZERO_REDUCED_COST = 1e-9  # relative to the LP bound: "priced at zero" within the LP's tolerances
FLOAT_NOISE = 1e-9  # sums equal on paper differ by this in floating point; also keeps a ratio off 0/0
DIFFERENCE_WEIGHT = 1e-9  # far below any cost: orders councils the costs rate equal by how much differs
MIN_SOLVER_SECONDS = 0.01  # the least time limit handed to a solver: both reject 0 and below
# a reported gap's significant figures: the same plan and bound computed in another process differ
# in the 16th (numpy's sums depend on memory alignment), and a reviewer needs no more than six
GAP_FIGURES = 6


def rounded_up(value: float, figures: int = GAP_FIGURES) -> float:
    """``value`` (>= 0) to ``figures`` significant figures, rounded up: a proven gap is never reported
    smaller. (The inner rounding keeps 1e-4 / 1e-9 = 100000.00000000001 from going up a unit.)"""
    if value <= 0 or not math.isfinite(value):
        return value
    unit = 10.0 ** (math.floor(math.log10(value)) - figures + 1)
    return float(f"{math.ceil(round(value / unit, 6)) * unit:.{figures}g}")


def chosen(x: np.ndarray) -> np.ndarray:
    """Which 0/1 columns of x are 1 (a mask)."""
    return np.asarray(x) > CHOSEN


def solver_seconds(seconds: float) -> float:
    """A time limit a solver accepts: at least MIN_SOLVER_SECONDS."""
    return max(MIN_SOLVER_SECONDS, seconds)
