"""The numerical tolerances of the model and the solve, each with why it is what it is.

Solvers work in floating point to their own tolerances (HiGHS and CBC: about 1e-7 on feasibility
and optimality, on costs scaled to 1 by ``optimizer.solve.backends.in_unit_costs``), so every test
of a solver's answer allows a little more than that, and no more.
"""

from __future__ import annotations


def within_tie_or_gap(value: float, bound: float, tie: float, gap: float, slack: float = 0.0) -> bool:
    """Is a plan worth ``value`` proven good enough against ``bound`` (both minimised): within the
    aim's tie in its own units, or within the relative ``gap`` the run asks for?"""
    return value - bound <= max(tie, gap * abs(value)) + slack
