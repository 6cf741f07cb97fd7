"""The two MIP solvers behind one call: a program in array form in, an honest ``Outcome`` out.

Termination (why the solver stopped) is kept apart from what it holds (a plan, a proven bound), as
linopy does, and each solver's own codes are translated in one table. PuLP's status is never
trusted: it reports "Optimal" when a time limit stops a solver holding a plan (PuLP #383, #649).

HiGHS is driven through highspy directly: the whole matrix goes over in one ``passModel`` call.
CBC is PuLP's bundled binary, run through PuLP.
"""

from __future__ import annotations

import functools
import math
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import highspy
import numpy as np
import pulp

from optimizer.model.build import to_pulp
from optimizer.model.matrix import Matrix

_HS = highspy.HighsModelStatus
HIGHS_TERMINATION = {
    _HS.kOptimal: "optimal",
    _HS.kInfeasible: "infeasible",
    _HS.kUnboundedOrInfeasible: "infeasible",
    _HS.kTimeLimit: "time_limit",
    _HS.kIterationLimit: "time_limit",
    _HS.kSolutionLimit: "time_limit",
    _HS.kInterrupt: "interrupted",
    _HS.kHighsInterrupt: "interrupted",
    _HS.kObjectiveBound: "optimal",
    _HS.kObjectiveTarget: "optimal",
}

CBC_TERMINATION = {  # a line of CBC's log -> termination; the first that matches wins
    r"^Result - Optimal solution found": "optimal",
    r"^Result - (Problem proven|Linear relaxation) infeasible": "infeasible",
    r"^Result - Stopped on (time limit|iterations or time)": "time_limit",
    r"^Result - Stopped on ctrl-c": "interrupted",
    r"^Optimal - objective value": "optimal",  # no integer column left: CBC solved a plain LP
    r"^Problem is infeasible": "infeasible",  # found by CBC's presolve, before branch and bound
    r"^Pre-processing says infeasible": "infeasible",
    r"^Problem is infeasible - tightenPrimalBounds": "infeasible",
}

INTEGRALITY_TOLERANCE = 1e-6


class SolverError(Exception):
    """The solver is missing or failed; no plan can be trusted."""


@dataclass(frozen=True)
class Outcome:
    """What one solver call returned, in the units it minimised."""

    termination: str  # optimal | time_limit | infeasible | interrupted | error
    x: np.ndarray | None = None  # the plan, whole columns rounded; None without one
    bound: float | None = None  # the best objective proven possible
    reduced_costs: np.ndarray | None = None  # LP only
    duals: np.ndarray | None = None  # LP only: each row's dual (reduced cost = cost - A'duals)

    @property
    def has_plan(self) -> bool:
        return self.x is not None


# (plan, bound, seconds) -> None: called as a MIP improves, for the progress display
Watcher = Callable[[float, float, float], None]


def _whole(x: np.ndarray, matrix: Matrix) -> np.ndarray:
    x = np.array(x, dtype=np.float64)
    x[matrix.integer] = np.round(x[matrix.integer])
    return x


PROGRESS_EVERY_S = 10.0  # between bound reports; every better plan is reported at once


def _highs_watch(h: highspy.Highs, watch: Watcher) -> None:
    last = {"at": -PROGRESS_EVERY_S}

    def report(kind, _message, out, _in, _data):
        improving = kind == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
        if not improving and out.running_time - last["at"] < PROGRESS_EVERY_S:
            return
        if math.isfinite(out.mip_primal_bound) and math.isfinite(out.mip_dual_bound):
            last["at"] = out.running_time
            watch(out.mip_primal_bound, out.mip_dual_bound, out.running_time)

    h.setCallback(report, None)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
    h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipLogging)


def _highs(limit: float, gap: float, tie: float, log: Path) -> highspy.Highs:
    h = highspy.Highs()
    for option, value in {
        "output_flag": True, "log_to_console": False, "log_file": str(log), "time_limit": max(limit, 0.01),
        "mip_rel_gap": gap, "mip_abs_gap": tie, "random_seed": 0,
    }.items():
        h.setOptionValue(option, value)
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
    return HIGHS_TERMINATION.get(h.getModelStatus(), "error")


def solve_highs(matrix: Matrix, cost: np.ndarray, *, limit: float, gap: float, tie: float, log: Path,
                start: np.ndarray | None = None, relax: bool = False, watch: Watcher | None = None) -> Outcome:
    if relax:
        if matrix.n_cols > PRICE_FROM_COLUMNS:
            return _highs_lp_by_pricing(matrix, cost, limit, log, start)
        return _highs_lp(matrix, cost, limit, log)
    h = _highs(limit, gap, tie, log)
    _pass(h, matrix, cost, matrix.integer.astype(np.int32))
    if start is not None:
        h.setSolution(matrix.n_cols, np.arange(matrix.n_cols, dtype=np.int32), np.asarray(start, dtype=np.float64))
    if watch is not None:
        _highs_watch(h, watch)
    termination = _run(h)
    info = h.getInfo()
    has_plan = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    return Outcome(termination, _whole(h.getSolution().col_value, matrix) if has_plan else None, bound)


def _highs_lp(matrix: Matrix, cost: np.ndarray, limit: float, log: Path) -> Outcome:
    h = _highs(limit, 0.0, 0.0, log)
    _pass(h, matrix, cost, np.zeros(matrix.n_cols, dtype=np.int32))
    termination = _run(h)
    if termination != "optimal":
        return Outcome(termination)
    solution = h.getSolution()
    return Outcome(termination, np.array(solution.col_value), h.getInfo().objective_function_value,
                   np.array(solution.col_dual), np.array(solution.row_dual))


PRICE_FROM_COLUMNS = 50_000  # LPs with more columns are solved by pricing them in
PRICED_PER_ROUND = 5_000
PRICING_TOLERANCE = 1e-7  # relative to the largest cost (1 once in unit costs)


def _highs_lp_by_pricing(matrix: Matrix, cost: np.ndarray, limit: float, log: Path,
                         start: np.ndarray | None) -> Outcome:
    """The LP relaxation over a few columns, adding those the duals price as improving, until none does.

    With 2,400 rows and 480,000 columns, simplex on everything took minutes for the net-benefit aim;
    pricing all columns from the duals is one sparse product, and the LP is re-solved from its last
    basis. The answer is the LP over every column, and the reduced costs are every column's.
    """
    began = time.perf_counter()
    h = _highs(limit, 0.0, 0.0, log)
    chosen = _first_columns(matrix, cost, start)
    columns = np.flatnonzero(chosen)
    sub = matrix.restrict(chosen, np.zeros(matrix.n_cols), every_row=True)
    _pass(h, sub, cost[chosen], np.zeros(sub.n_cols, dtype=np.int32))
    while True:
        h.setOptionValue("time_limit", max(0.01, limit - (time.perf_counter() - began)))
        termination = _run(h)
        if termination == "time_limit":
            return Outcome(termination)
        if termination != "optimal":  # e.g. too few columns yet to meet every row: solve it whole
            return _highs_lp(matrix, cost, max(0.01, limit - (time.perf_counter() - began)), log)
        row_dual = np.array(h.getSolution().row_dual)
        reduced = matrix.priced(cost, row_dual)
        entering = _entering(reduced, chosen, cost)
        if not len(entering):
            break
        _add_columns(h, matrix, cost, entering)
        chosen[entering] = True
        columns = np.concatenate([columns, entering])
    x = np.zeros(matrix.n_cols)
    x[columns] = h.getSolution().col_value
    return Outcome("optimal", x, h.getInfo().objective_function_value, reduced, row_dual)


def _first_columns(matrix: Matrix, cost: np.ndarray, start: np.ndarray | None) -> np.ndarray:
    """The columns a priced LP starts from: continuous and required ones, the start plan's, the cheapest."""
    chosen = ~matrix.integer | (matrix.lower > 0)
    if start is not None:
        chosen |= start > 0.5
    return chosen | _cheapest(cost, matrix.integer, PRICED_PER_ROUND)


def _entering(reduced: np.ndarray, chosen: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """The most improving columns not yet in the LP, at most PRICED_PER_ROUND of them."""
    scale = PRICING_TOLERANCE * max(1.0, float(np.abs(cost).max(initial=0.0)))
    entering = np.flatnonzero((reduced < -scale) & ~chosen)
    return entering[np.argsort(reduced[entering], kind="stable")[:PRICED_PER_ROUND]]


def _cheapest(cost: np.ndarray, integer: np.ndarray, n: int) -> np.ndarray:
    pick = np.zeros(len(cost), dtype=bool)
    candidates = np.flatnonzero(integer & (cost < 0))
    pick[candidates[np.argsort(cost[candidates], kind="stable")[:n]]] = True
    return pick


def _add_columns(h: highspy.Highs, matrix: Matrix, cost: np.ndarray, columns: np.ndarray) -> None:
    start, index, value = matrix.csc
    lengths = start[columns + 1] - start[columns]
    positions = np.concatenate([np.arange(start[j], start[j + 1]) for j in columns])
    h.addCols(
        len(columns), cost[columns], matrix.lower[columns], matrix.upper[columns], len(positions),
        np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int32), index[positions], value[positions],
    )


_CBC_NUMBER = r"(-?[\d.]+(?:e[-+]?\d+)?)"


def read_cbc_log(text: str) -> tuple[str, float | None]:
    """(termination, proven bound) from CBC's log; CBC's own "Gap" line is not trusted (it can read -0.00)."""
    termination = next((t for line, t in CBC_TERMINATION.items() if re.search(line, text, re.M)), "error")
    bound = re.search(rf"^Lower bound:\s+{_CBC_NUMBER}", text, re.M | re.I)
    return termination, float(bound.group(1)) if bound else None


def cbc_command(limit: float, gap: float, tie: float, log: Path, relax: bool) -> pulp.PULP_CBC_CMD:
    """CBC without its preprocessing and without a start plan.

    CBC 2.10.3's preprocessing (Cgl) returned a wrong "Optimal" on small instances of this model
    (impact 7 where 1 was possible, after substituting the continuous shortfall columns), and with a
    start plan it returned the start itself; the exhaustive-enumeration tests catch this class of error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 warns that PuLP 4 drops the bundled CBC; pinned below 4
        solver = pulp.PULP_CBC_CMD(
            mip=not relax, msg=False, timeLimit=max(limit, 0.01), gapRel=gap, gapAbs=tie, logPath=str(log),
            options=["preprocess off"],
        )
        if not solver.available():
            raise SolverError("CBC is not available: PuLP's bundled CBC binary is missing; use --solver highs")
    return solver


CBC_HANDOVER_S_PER_NONZERO = 3e-6  # PuLP writing the MPS file and reading the solution (SOLVER-NOTES.md)


def solve_cbc(matrix: Matrix, cost: np.ndarray, *, limit: float, gap: float, tie: float, log: Path,
              start: np.ndarray | None = None, relax: bool = False, watch: Watcher | None = None) -> Outcome:
    if relax and matrix.n_cols > PRICE_FROM_COLUMNS:
        return _cbc_lp_by_pricing(matrix, cost, limit, log, start)
    began = time.perf_counter()
    problem, variables = to_pulp(matrix, cost)
    return _run_cbc(problem, variables, matrix, cost, limit - (time.perf_counter() - began), gap, tie, log, relax)


def _run_cbc(problem, variables, matrix: Matrix, cost: np.ndarray, limit: float, gap: float, tie: float, log: Path,
             relax: bool) -> Outcome:
    solver = cbc_command(limit, gap, tie, log, relax)
    # CBC's clock starts after PuLP has written the problem, and stops before PuLP reads the answer
    solver.timeLimit = max(0.01, limit - CBC_HANDOVER_S_PER_NONZERO * len(matrix.values))
    try:
        problem.solve(solver)
    except pulp.PulpSolverError as exc:
        # CBC writes no solution file when its bound tightening proves infeasibility; its log says so
        termination, _ = read_cbc_log(log.read_text(errors="replace") if log.exists() else "")
        if termination == "infeasible":
            return Outcome("infeasible")
        raise SolverError(f"CBC failed: {exc}") from exc
    termination, bound = read_cbc_log(log.read_text(errors="replace"))
    has_plan = termination != "infeasible" and problem.sol_status in (
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
    return Outcome(termination, _whole(x, matrix), bound)


def in_unit_costs(solve: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A solver given costs divided by the largest, its answers scaled back.

    Net benefit runs to 1e9 pounds while shortfall costs are ones; near 1 the solvers' absolute
    tolerances mean the same on every aim.
    """

    @functools.wraps(solve)
    def solve_in_unit_costs(matrix: Matrix, cost: np.ndarray, *, tie: float, watch: Watcher | None = None,
                            **options) -> Outcome:
        scale = float(np.abs(cost).max(initial=0.0)) or 1.0
        seen = None if watch is None else lambda plan, bound, seconds: watch(plan * scale, bound * scale, seconds)
        outcome = solve(matrix, cost / scale, tie=tie / scale, watch=seen, **options)
        return replace(
            outcome,
            bound=None if outcome.bound is None else outcome.bound * scale,
            reduced_costs=None if outcome.reduced_costs is None else outcome.reduced_costs * scale,
            duals=None if outcome.duals is None else outcome.duals * scale,
        )

    return solve_in_unit_costs


def _cbc_lp_by_pricing(matrix: Matrix, cost: np.ndarray, limit: float, log: Path, start: np.ndarray | None) -> Outcome:
    """As ``_highs_lp_by_pricing``, each round a fresh CBC run on the columns chosen so far.

    CBC's LP on all of England's columns took about 60 s and ignored its time limit; the rounds
    each hand PuLP a few thousand columns.
    """
    began = time.perf_counter()
    chosen = _first_columns(matrix, cost, start)
    while True:
        rows = matrix.rows_touched(chosen)
        sub = matrix.restrict(chosen, np.zeros(matrix.n_cols))
        left = limit - (time.perf_counter() - began)
        if sub is None or left <= 0:
            return Outcome("time_limit" if left <= 0 else "infeasible")
        problem, variables = to_pulp(sub, cost[chosen])
        outcome = _run_cbc(problem, variables, sub, cost[chosen], left, 0.0, 0.0, log, relax=True)
        if outcome.termination != "optimal":  # an LP cut short proves nothing; its x is the round's columns only
            return Outcome(outcome.termination)
        row_dual = np.zeros(matrix.n_rows)
        row_dual[rows] = outcome.duals  # a row without columns yet binds nothing: dual 0
        reduced = matrix.priced(cost, row_dual)
        entering = _entering(reduced, chosen, cost)
        if not len(entering):
            x = np.zeros(matrix.n_cols)
            x[chosen] = outcome.x
            return Outcome("optimal", x, float(cost @ x), reduced, row_dual)
        chosen[entering] = True


def _row_dual(problem, i: int) -> float:
    """Row i's dual from PuLP, whose ``to_pulp`` rows are ``c{i}`` (and ``u{i}`` for a row's upper side)."""
    sides = (problem.get_constraint_by_name(name) for name in (f"c{i}", f"u{i}"))
    return sum(side.pi or 0.0 for side in sides if side is not None)


BACKENDS: dict[str, Callable[..., Outcome]] = {"highs": in_unit_costs(solve_highs), "cbc": in_unit_costs(solve_cbc)}
