"""CBC, PuLP's bundled binary, run through PuLP; its answers read from its log, not PuLP's status."""

from __future__ import annotations

import functools
import math
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

from optimizer.model.matrix import Matrix
from optimizer.solve.backends import pricing
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Outcome, SolverError, Watcher
from optimizer.status import Termination
from optimizer.tolerances import solver_seconds

CBC_TERMINATION = {  # a line of CBC's log -> termination; the first that matches wins
    r"^Result - Optimal solution found": Termination.OPTIMAL,
    r"^Result - (Problem proven|Linear relaxation) infeasible": Termination.INFEASIBLE,
    r"^Result - Stopped on (time limit|iterations or time)": Termination.TIME_LIMIT,
    r"^Result - Stopped on ctrl-c": Termination.INTERRUPTED,
    r"^Optimal - objective value": Termination.OPTIMAL,  # no integer column left: CBC solved a plain LP
    r"^Problem is infeasible": Termination.INFEASIBLE,  # found by CBC's presolve, before branch and bound
    r"^Pre-processing says infeasible": Termination.INFEASIBLE,
    r"^Problem is infeasible - tightenPrimalBounds": Termination.INFEASIBLE,
}

_CBC_NUMBER = r"(-?[\d.]+(?:e[-+]?\d+)?)"

def to_pulp(matrix: Matrix, cost: np.ndarray, name: str = "shared_services") -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The program as a PuLP problem, columns named by index (``x12``): PuLP rewrites characters
    such as ``-`` and ``&`` in names, so names built from councils or services could collide. Row i
    is ``c{i}`` (its lower side, or both when equal) and ``u{i}`` (its upper side): ``_row_dual``
    reads them back by those names."""
    problem = pulp.LpProblem(name, pulp.LpMinimize)
    variables = [
        problem.add_variable(
            f"x{j}", lo, None if math.isinf(up) else up, cat=pulp.LpInteger if whole else pulp.LpContinuous
        )
        for j, (lo, up, whole) in enumerate(zip(matrix.lower.tolist(), matrix.upper.tolist(), matrix.integer.tolist()))
    ]
    problem.setObjective(pulp.LpAffineExpression([(variables[j], c) for j, c in enumerate(cost.tolist()) if c]))
    start, cols, values = matrix.csr
    for i in range(matrix.n_rows):
        a, b = start[i], start[i + 1]
        expression = pulp.LpAffineExpression([(variables[j], v) for j, v in zip(cols[a:b].tolist(), values[a:b].tolist())])
        lo, up = matrix.row_lower[i], matrix.row_upper[i]
        if lo == up:
            problem.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintEQ, rhs=lo), f"c{i}")
            continue
        if math.isfinite(lo):
            problem.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintGE, rhs=lo), f"c{i}")
        if math.isfinite(up):
            problem.addConstraint(pulp.LpConstraint(expression, pulp.LpConstraintLE, rhs=up), f"u{i}")
    return problem, variables


def _row_dual(problem, i: int) -> float:
    """Row i's dual from PuLP, whose ``to_pulp`` rows are ``c{i}`` (and ``u{i}`` for a row's upper side)."""
    sides = (problem.get_constraint_by_name(name) for name in (f"c{i}", f"u{i}"))
    return sum(side.pi or 0.0 for side in sides if side is not None)


def read_cbc_log(text: str) -> tuple[str, float | None]:
    """(termination, proven bound) from CBC's log; CBC's own "Gap" line is not trusted (it can read -0.00)."""
    termination = next((t for line, t in CBC_TERMINATION.items() if re.search(line, text, re.M)), Termination.ERROR)
    bound = re.search(rf"^Lower bound:\s+{_CBC_NUMBER}", text, re.M | re.I)
    return termination, float(bound.group(1)) if bound else None


def cbc_command(limit: float, gap: float, tie: float, log: Path, relax: bool,
                preprocess: bool = False) -> pulp.PULP_CBC_CMD:
    """CBC without its preprocessing and without a start plan.

    CBC 2.10.3's preprocessing (Cgl) returned a wrong "Optimal" on small instances of this model
    (impact 7 where 1 was possible, after substituting the continuous shortfall columns), and with a
    start plan it returned the start itself; the exhaustive-enumeration tests catch this class of error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 warns that PuLP 4 drops the bundled CBC; pinned below 4
        solver = pulp.PULP_CBC_CMD(
            mip=not relax, msg=False, timeLimit=solver_seconds(limit), gapRel=gap, gapAbs=tie, logPath=str(log),
            options=[] if preprocess else ["preprocess off"],
        )
        if not solver.available():
            raise SolverError("CBC is not available: PuLP's bundled CBC binary is missing; use --solver highs")
    return solver


def solve_cbc(matrix: Matrix, cost: np.ndarray, *, limit: float, gap: float, tie: float, log: Path,
              start: np.ndarray | None = None, relax: bool = False, watch: Watcher | None = None,
              options: SolveOptions = DEFAULT, target: float | None = None) -> Outcome:  # target: HiGHS only
    if relax and matrix.n_cols > options.price_from_columns:
        return cbc_lp_by_pricing(matrix, cost, limit, log, start, options)
    began = time.perf_counter()
    problem, variables = to_pulp(matrix, cost)
    return _run_cbc(problem, variables, matrix, cost, limit - (time.perf_counter() - began), gap, tie, log, relax,
                    options.cbc_handover_s_per_nonzero)


def _run_cbc(problem, variables, matrix: Matrix, cost: np.ndarray, limit: float, gap: float, tie: float, log: Path,
             relax: bool, handover_per_nonzero: float) -> Outcome:
    solver = cbc_command(limit, gap, tie, log, relax)
    # CBC's clock starts after PuLP has written the problem, and stops before PuLP reads the answer
    solver.timeLimit = solver_seconds(limit - handover_per_nonzero * len(matrix.values))
    try:
        problem.solve(solver)
    except pulp.PulpSolverError as exc:
        # CBC writes no solution file when its bound tightening proves infeasibility; its log says so
        if _proven_infeasible(problem, log, limit, relax):
            return Outcome(Termination.INFEASIBLE)
        raise SolverError(f"CBC failed: {exc}") from exc
    termination, bound = read_cbc_log(log.read_text(errors="replace"))
    has_plan = termination != Termination.INFEASIBLE and problem.sol_status in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    )
    if not has_plan:
        return Outcome(termination, bound=bound)
    x = np.array([v.varValue or 0.0 for v in variables])  # a column PuLP left out of CBC's file is at 0
    if relax:
        reduced = np.array([v.dj or 0.0 for v in variables])
        duals = np.array([_row_dual(problem, i) for i in range(matrix.n_rows)])
        return Outcome(termination, x, float(cost @ x), reduced, duals)
    return Outcome(termination, matrix.rounded(x), bound)


def _proven_infeasible(problem: pulp.LpProblem, log: Path, limit: float, relax: bool) -> bool:
    """After CBC stopped without a solution file: did it prove the problem infeasible? Its log may say
    so; without preprocessing, CBC 2.10.3 can instead crash on an integer problem whose LP is
    feasible and whose integer plans are none (a partnership that alone breaks a partner cap, under
    hard targets), so it is asked again with its preprocessing on, whose verdict of infeasibility
    alone is taken (its "optimal" answers are not: see ``cbc_command``)."""
    termination, _ = read_cbc_log(log.read_text(errors="replace") if log.exists() else "")
    if termination == Termination.INFEASIBLE or relax:
        return termination == Termination.INFEASIBLE
    try:
        problem.solve(cbc_command(limit, 0.0, 0.0, log, relax, preprocess=True))
    except pulp.PulpSolverError:
        pass
    return read_cbc_log(log.read_text(errors="replace") if log.exists() else "")[0] == Termination.INFEASIBLE


class CbcRestrictedLP(pricing.RestrictedLP):
    """Each round a fresh CBC run on the columns chosen so far.

    CBC's LP on all of England's columns took about 60 s and ignored its time limit; the rounds
    each hand PuLP a few thousand columns.
    """

    def __init__(self, matrix: Matrix, cost: np.ndarray, chosen: np.ndarray, log: Path, handover_per_nonzero: float):
        super().__init__(matrix, cost, chosen, log)
        self.handover_per_nonzero = handover_per_nonzero

    def solve(self, seconds: float) -> Outcome:
        chosen, matrix = self.chosen, self.matrix
        rows = matrix.rows_touched(chosen)
        sub = matrix.restrict(chosen, np.zeros(matrix.n_cols))
        if sub is None or seconds <= 0:
            return Outcome(Termination.TIME_LIMIT if seconds <= 0 else Termination.INFEASIBLE)
        problem, variables = to_pulp(sub, self.cost[chosen])
        outcome = _run_cbc(problem, variables, sub, self.cost[chosen], seconds, 0.0, 0.0, self.log, True,
                           self.handover_per_nonzero)
        if outcome.termination != Termination.OPTIMAL:  # an LP cut short proves nothing; its x is the round's columns only
            return Outcome(outcome.termination)
        row_dual = np.zeros(matrix.n_rows)
        row_dual[rows] = outcome.duals  # a row without columns yet binds nothing: dual 0
        x = np.zeros(matrix.n_cols)
        x[chosen] = outcome.x
        return Outcome(Termination.OPTIMAL, x, float(self.cost @ x), None, row_dual)


def cbc_lp_by_pricing(matrix: Matrix, cost: np.ndarray, limit: float, log: Path, start: np.ndarray | None,
                      options: SolveOptions = DEFAULT) -> Outcome:
    """``pricing.lp_by_pricing`` with CBC."""
    restricted = functools.partial(CbcRestrictedLP, handover_per_nonzero=options.cbc_handover_s_per_nonzero)
    return pricing.lp_by_pricing(restricted, matrix, cost, limit, log, start, options)
