"""HiGHS through highspy: the whole matrix goes over in one ``passModel`` call."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import highspy
import numpy as np

from optimizer.model.matrix import Matrix
from optimizer.solve.backends import pricing
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Outcome, SolverError, Watcher
from optimizer.status import Termination
from optimizer.tolerances import solver_seconds

_HS = highspy.HighsModelStatus
HIGHS_TERMINATION = {
    _HS.kOptimal: Termination.OPTIMAL,
    _HS.kInfeasible: Termination.INFEASIBLE,
    _HS.kUnboundedOrInfeasible: Termination.INFEASIBLE,
    _HS.kTimeLimit: Termination.TIME_LIMIT,
    _HS.kIterationLimit: Termination.TIME_LIMIT,
    _HS.kSolutionLimit: Termination.TIME_LIMIT,
    _HS.kInterrupt: Termination.INTERRUPTED,
    _HS.kHighsInterrupt: Termination.INTERRUPTED,
    _HS.kObjectiveBound: Termination.OPTIMAL,
    _HS.kObjectiveTarget: Termination.OPTIMAL,
}

def _highs_watch(h: highspy.Highs, watch: Watcher, every: float) -> None:
    """Reports each better plan at once, and the bound every ``every`` seconds."""
    last = {"at": -every}

    def report(kind, _message, out, _in, _data):
        improving = kind == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
        if not improving and out.running_time - last["at"] < every:
            return
        if math.isfinite(out.mip_primal_bound) and math.isfinite(out.mip_dual_bound):
            last["at"] = out.running_time
            watch(out.mip_primal_bound, out.mip_dual_bound, out.running_time)

    h.setCallback(report, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipLogging)


def _highs(limit: float, gap: float, tie: float, log: Path, threads: int | None = None) -> highspy.Highs:
    h = highspy.Highs()
    for option, value in {
        "output_flag": True, "log_to_console": False, "log_file": str(log), "time_limit": solver_seconds(limit),
        "mip_rel_gap": gap, "mip_abs_gap": tie, "random_seed": 0,
    }.items():
        h.setOptionValue(option, value)
    if threads is not None:  # parallel scenarios: one thread per worker (HiGHS's default: half the cores)
        h.setOptionValue("threads", threads)
    return h


def _pass(h: highspy.Highs, matrix: Matrix, cost: np.ndarray, integrality: np.ndarray) -> None:
    start, index, value = matrix.csc
    h.passModel(
        matrix.n_cols, matrix.n_rows, len(value), 1, 1, 0.0,  # column-wise, minimise, no offset
        cost, matrix.lower, matrix.upper, matrix.row_lower, matrix.row_upper, start, index, value, integrality,
    )


def _run(h: highspy.Highs) -> str:
    try:
        h.run()
    except Exception as exc:  # highspy raises its own types; none of them leaves a usable plan
        raise SolverError(f"HiGHS failed: {exc}") from exc
    return HIGHS_TERMINATION.get(h.getModelStatus(), Termination.ERROR)


def solve_highs(matrix: Matrix, cost: np.ndarray, *, limit: float, gap: float, tie: float, log: Path,
                start: np.ndarray | None = None, relax: bool = False, watch: Watcher | None = None,
                options: SolveOptions = DEFAULT, target: float | None = None) -> Outcome:
    """``target``: a plan this good is proven by a bound known elsewhere (``AimSolve.floor``): stop there."""
    if relax:
        if matrix.n_cols > options.price_from_columns:
            return highs_lp_by_pricing(matrix, cost, limit, log, start, options)
        return highs_lp(matrix, cost, limit, log, options.threads)
    h = _highs(limit, gap, tie, log, options.threads)
    if target is not None:
        h.setOptionValue("objective_target", float(target))
    _pass(h, matrix, cost, matrix.integer.astype(np.int32))
    if start is not None:
        h.setSolution(matrix.n_cols, np.arange(matrix.n_cols, dtype=np.int32), np.asarray(start, dtype=np.float64))
    if watch is not None:
        _highs_watch(h, watch, options.progress_every_s)
    termination = _run(h)
    info = h.getInfo()
    has_plan = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    return Outcome(termination, matrix.rounded(h.getSolution().col_value) if has_plan else None, bound)


def highs_lp(matrix: Matrix, cost: np.ndarray, limit: float, log: Path, threads: int | None = None) -> Outcome:
    """The LP relaxation over every column, with every column's reduced cost and every row's dual."""
    h = _highs(limit, 0.0, 0.0, log, threads)
    _pass(h, matrix, cost, np.zeros(matrix.n_cols, dtype=np.int32))
    termination = _run(h)
    if termination != Termination.OPTIMAL:
        return Outcome(termination)
    solution = h.getSolution()
    return Outcome(termination, np.array(solution.col_value), h.getInfo().objective_function_value,
                   np.array(solution.col_dual), np.array(solution.row_dual))


class HighsRestrictedLP(pricing.RestrictedLP):
    """One HiGHS instance, re-solved from its last basis as columns are added."""

    def __init__(self, matrix: Matrix, cost: np.ndarray, chosen: np.ndarray, log: Path, threads: int | None = None):
        super().__init__(matrix, cost, chosen, log)
        self.columns = np.flatnonzero(chosen)  # in HiGHS's order
        self.threads = threads
        self.h = _highs(0.0, 0.0, 0.0, log, threads)
        sub = matrix.restrict(chosen, np.zeros(matrix.n_cols), every_row=True)
        _pass(self.h, sub, cost[chosen], np.zeros(sub.n_cols, dtype=np.int32))

    def solve(self, seconds: float) -> Outcome:
        self.h.setOptionValue("time_limit", solver_seconds(seconds))
        termination = _run(self.h)
        if termination != Termination.OPTIMAL:
            return Outcome(termination)
        solution = self.h.getSolution()
        x = np.zeros(self.matrix.n_cols)
        x[self.columns] = solution.col_value
        return Outcome(termination, x, self.h.getInfo().objective_function_value, None, np.array(solution.row_dual))

    def add(self, columns: np.ndarray) -> None:
        super().add(columns)
        self.columns = np.concatenate([self.columns, columns])
        start, index, value = self.matrix.csc
        lengths = start[columns + 1] - start[columns]
        positions = np.concatenate([np.arange(start[j], start[j + 1]) for j in columns])
        self.h.addCols(
            len(columns), self.cost[columns], self.matrix.lower[columns], self.matrix.upper[columns], len(positions),
            np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int32), index[positions], value[positions],
        )

    def instead(self, failed: Outcome, seconds: float) -> Outcome:
        if failed.termination == Termination.TIME_LIMIT:
            return Outcome(failed.termination)
        # e.g. too few columns yet to meet every row: solve it whole
        return highs_lp(self.matrix, self.cost, solver_seconds(seconds), self.log, self.threads)


def highs_lp_by_pricing(matrix: Matrix, cost: np.ndarray, limit: float, log: Path,
                        start: np.ndarray | None, options: SolveOptions = DEFAULT) -> Outcome:
    """``pricing.lp_by_pricing`` with HiGHS."""
    restricted = functools.partial(HighsRestrictedLP, threads=options.threads)
    return pricing.lp_by_pricing(restricted, matrix, cost, limit, log, start, options)
