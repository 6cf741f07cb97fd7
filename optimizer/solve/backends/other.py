"""Solvers beyond HiGHS and CBC, through PuLP: Gurobi and SCIP when installed on the machine.

A consultant with a commercial licence wants that solver on the whole model: each aim goes over as
one MIP over every decision (``optimizer.solve.driver``), started from the plan in hand, and the
solver's own search does what the LP, search and settled areas do for HiGHS and CBC.

PuLP's status is never the verdict (it says "Optimal" for a plan stopped by a time limit): each
solver's own model, which PuLP keeps as ``problem.solverModel``, is asked why it stopped, what bound
it proved and whether it holds a plan, through one table per solver.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pulp

from optimizer.model.matrix import Matrix
from optimizer.solve.backends.cbc import to_pulp
from optimizer.solve.names import OTHER
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Outcome, SolverError, Watcher
from optimizer.status import Termination
from optimizer.tolerances import solver_seconds

# Gurobi's Status codes (gurobipy.GRB.Status) -> termination
GUROBI_TERMINATION = {
    2: Termination.OPTIMAL,
    3: Termination.INFEASIBLE,
    4: Termination.INFEASIBLE,  # infeasible or unbounded: this model is bounded
    7: Termination.TIME_LIMIT,  # iteration limit
    8: Termination.TIME_LIMIT,  # node limit
    9: Termination.TIME_LIMIT,
    10: Termination.TIME_LIMIT,  # solution limit
    11: Termination.INTERRUPTED,
}

# SCIP's getStatus() words -> termination; "gaplimit" is the gap we asked for, reached
SCIP_TERMINATION = {
    "optimal": Termination.OPTIMAL,
    "gaplimit": Termination.OPTIMAL,
    "infeasible": Termination.INFEASIBLE,
    "inforunbd": Termination.INFEASIBLE,
    "timelimit": Termination.TIME_LIMIT,
    "nodelimit": Termination.TIME_LIMIT,
    "totalnodelimit": Termination.TIME_LIMIT,
    "stallnodelimit": Termination.TIME_LIMIT,
    "sollimit": Termination.TIME_LIMIT,
    "bestsollimit": Termination.TIME_LIMIT,
    "memlimit": Termination.TIME_LIMIT,
    "userinterrupt": Termination.INTERRUPTED,
}


@dataclass(frozen=True)
class Report:
    """What the solver itself says: why it stopped, the bound it proved, whether it holds a plan."""

    termination: str
    bound: float | None
    has_plan: bool


def _gurobi_report(model) -> Report:
    try:
        bound = float(model.ObjBound)  # Gurobi raises where it proved none (an LP, or stopped at once)
    except Exception:  # gurobipy.GurobiError, without importing gurobipy here
        bound = None
    return Report(GUROBI_TERMINATION.get(model.Status, Termination.ERROR), bound, model.SolCount > 0)


def _scip_report(model) -> Report:
    return Report(SCIP_TERMINATION.get(model.getStatus(), Termination.ERROR), model.getDualbound(),
                  model.getNSols() > 0)


@dataclass(frozen=True)
class OtherSolver:
    """One solver PuLP drives through its Python API, and how its own report is read."""

    name: str  # as --solver and Settings take it
    pulp_name: str  # PuLP's class for it
    package: str  # what `pip install` brings it
    report: Callable[[object], Report]
    absolute_gap: str  # the keyword PuLP passes on for an absolute gap (the £1 tie)
    quiet: tuple[tuple[str, object], ...] = ()  # more keywords: no banner or log on the user's terminal

    def available(self) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(pulp.getSolver(self.pulp_name, msg=False).available())


OTHER_SOLVERS = {
    "gurobi": OtherSolver("gurobi", "GUROBI", OTHER["gurobi"], _gurobi_report, "MIPGapAbs",  # Gurobi's own name
                          (("manageEnv", True), ("envOptions", {"OutputFlag": 0}))),
    "scip": OtherSolver("scip", "SCIP_PY", OTHER["scip"], _scip_report, "gapAbs"),
}


def solve_other(solver: OtherSolver, matrix: Matrix, cost: np.ndarray, *, limit: float, gap: float, tie: float,
                log: Path, start: np.ndarray | None = None, relax: bool = False, watch: Watcher | None = None,
                options: SolveOptions = DEFAULT, target: float | None = None) -> Outcome:  # target: HiGHS only
    """One MIP by ``solver``, from ``start``; the verdict from the solver's own model. Only whole
    MIPs come here (``driver``), never the LPs whose duals the native method prices with."""
    if relax:
        raise SolverError(f"{solver.name} is run on whole MIPs only; its LP duals are not read")
    if not solver.available():
        raise SolverError(f"{solver.name} is not available on this machine (pip install {solver.package}, and its "
                          f"licence); use --solver highs")
    problem, variables = to_pulp(matrix, cost)
    if start is not None:
        for v, value in zip(variables, start.tolist()):
            v.setInitialValue(value)
    command = pulp.getSolver(solver.pulp_name, msg=False, timeLimit=solver_seconds(limit), gapRel=gap,
                             warmStart=start is not None, **{solver.absolute_gap: tie}, **dict(solver.quiet))
    try:
        problem.solve(command)
    except pulp.PulpSolverError as exc:
        raise SolverError(f"{solver.name} failed: {exc}") from exc
    except Exception as exc:  # the solver's own error, e.g. a size-limited licence: its words, not a traceback
        raise SolverError(f"{solver.name} failed: {exc}") from exc
    report = solver.report(problem.solverModel)
    if not report.has_plan or report.termination == Termination.INFEASIBLE:
        return Outcome(report.termination, bound=report.bound)
    x = np.array([v.varValue or 0.0 for v in variables])
    return Outcome(report.termination, matrix.rounded(x), report.bound)
