"""The two MIP solvers behind one call: a program in array form in, an honest ``Outcome`` out.

Termination (why the solver stopped) is kept apart from what it holds (a plan, a proven bound), as
linopy does, and each solver's own codes are translated in one table. PuLP's status is never
trusted: it reports "Optimal" when a time limit stops a solver holding a plan (PuLP #383, #649).

HiGHS is driven through highspy directly (``highs``): the whole matrix goes over in one
``passModel`` call. CBC is PuLP's bundled binary, run through PuLP (``cbc``). Large LPs are solved
by pricing their columns in (``pricing``), the same loop for both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from optimizer.model.matrix import Matrix
from optimizer.solve.backends.cbc import solve_cbc
from optimizer.solve.backends.highs import solve_highs
from optimizer.solve.backends.other import OTHER_SOLVERS, solve_other
from optimizer.solve.results import Outcome, SolverError, Watcher
from optimizer.status import Termination
from optimizer.tolerances import FEASIBILITY

__all__ = ["BACKENDS", "Outcome", "SolverError", "available_solvers", "backend_for", "in_unit_costs"]


def without_columns(matrix: Matrix) -> Outcome:
    """A program with no columns is solved by looking: its one plan is empty, and it holds when every
    row's bounds admit 0. HiGHS answers "model empty" with no solution at all, which once reported a
    plan of three councils and two reductions, its net benefit £0, as unproven."""
    holds = bool(np.all(matrix.row_lower <= FEASIBILITY) and np.all(matrix.row_upper >= -FEASIBILITY))
    if not holds:
        return Outcome(Termination.INFEASIBLE)
    return Outcome(Termination.OPTIMAL, np.zeros(0), 0.0, np.zeros(0), np.zeros(matrix.n_rows))


def in_unit_costs(solve: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A solver given costs divided by the largest, its answers scaled back.

    Net benefit runs to 1e9 pounds while shortfall costs are ones; near 1 the solvers' absolute
    tolerances mean the same on every aim.
    """

    @functools.wraps(solve)
    def solve_in_unit_costs(matrix: Matrix, cost: np.ndarray, *, tie: float, watch: Watcher | None = None,
                            target: float | None = None, **settings) -> Outcome:
        if matrix.n_cols == 0:
            return without_columns(matrix)
        scale = float(np.abs(cost).max(initial=0.0)) or 1.0
        seen = None if watch is None else lambda plan, bound, seconds: watch(plan * scale, bound * scale, seconds)
        outcome = solve(matrix, cost / scale, tie=tie / scale, watch=seen,
                        target=None if target is None else target / scale, **settings)
        return replace(
            outcome,
            bound=None if outcome.bound is None else outcome.bound * scale,
            reduced_costs=None if outcome.reduced_costs is None else outcome.reduced_costs * scale,
            duals=None if outcome.duals is None else outcome.duals * scale,
        )

    return solve_in_unit_costs


BACKENDS: dict[str, Callable[..., Outcome]] = {"highs": in_unit_costs(solve_highs), "cbc": in_unit_costs(solve_cbc)}


def backend_for(solver: str) -> Callable[..., Outcome]:
    """HiGHS or CBC, or another solver through PuLP (``other``): its whole MIPs only."""
    if solver in BACKENDS:
        return BACKENDS[solver]
    return in_unit_costs(functools.partial(solve_other, OTHER_SOLVERS[solver]))


def available_solvers() -> list[str]:
    """The solvers this machine can run: HiGHS and CBC always, the others where installed."""
    return [*BACKENDS, *(name for name, solver in OTHER_SOLVERS.items() if solver.available())]
