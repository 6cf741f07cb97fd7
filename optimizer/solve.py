"""Solving the model's aims in turn, and judging honestly what the solver proved.

PuLP reports "Optimal" when a time limit stops a solver holding a plan (PuLP #383, #649), so the
status here is read from each solver's own report: termination (why it stopped) is kept apart from
solution quality (has a plan, its objective, the proven bound), as linopy does. A run is
``optimal`` only when every aim was proven within ``mip_gap``; a plan short of that is ``feasible``
and carries its proven gap.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import highspy
import numpy as np
import pulp

from .model import TIE, Aim, Model

#  termination: why the solver stopped  ->  run status when it holds no plan
NO_PLAN_STATUS = {"infeasible": "infeasible", "time_limit": "no_solution", "interrupted": "no_solution"}

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


class SolverError(Exception):
    """The solver is missing or failed; no plan can be trusted."""


@dataclass(frozen=True)
class StageResult:
    """What one solve of one aim proved."""

    aim: str
    termination: str  # optimal | time_limit | infeasible | interrupted | error | not_run
    has_plan: bool
    value: float | None = None  # the aim's value in the plan found (its own sign: net benefit positive)
    bound: float | None = None  # best value the solver proved possible
    seconds: float = 0.0

    @property
    def gap(self) -> float:
        """Relative gap between plan and bound; 0 within the aim's tie tolerance; 1 when nothing is proven."""
        if not self.has_plan or self.bound is None or self.value is None or math.isinf(self.bound):
            return 1.0
        diff = abs(self.value - self.bound)
        if diff <= TIE[self.aim]:
            return 0.0
        return min(1.0, diff / max(abs(self.value), abs(self.bound)))


@dataclass
class Solution:
    status: str  # optimal | feasible | infeasible | no_solution
    solver: str
    partnerships: list[int] = field(default_factory=list)  # indices into candidates.partnerships
    reductions: list[int] = field(default_factory=list)
    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0
    log_tail: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """The largest proven relative gap over the aims (0 when every aim is proven exact)."""
        return max((s.gap for s in self.stages), default=0.0)


class BulkHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with the matrix handed over in bulk and an optional start plan.

    PuLP adds columns and rows one at a time; in bulk it was 5x faster with identical results
    (SOLVER-NOTES.md). The start plan lets each aim begin from the previous aim's plan.
    """

    def __init__(self, start: dict[str, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.start = start or {}

    def buildSolverModel(self, lp):
        inf = highspy.kHighsInf
        variables = lp.variables()
        for i, var in enumerate(variables):
            var.index = i
        n = len(variables)
        h = lp.solverModel
        h.addCols(
            n,
            np.array([lp.objective.get(v, 0.0) for v in variables], dtype=np.float64),
            np.array([-inf if v.lowBound is None else v.lowBound for v in variables], dtype=np.float64),
            np.array([inf if v.upBound is None else v.upBound for v in variables], dtype=np.float64),
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        integer = np.array([v.index for v in variables if v.cat == pulp.LpInteger], dtype=np.int32)
        if len(integer) and self.mip:
            h.changeColsIntegrality(len(integer), integer, np.ones(len(integer), dtype=np.uint8))
        self._add_rows(h, lp, inf)
        if self.start:
            known = [v for v in variables if v.name in self.start]
            h.setSolution(
                len(known),
                np.array([v.index for v in known], dtype=np.int32),
                np.array([self.start[v.name] for v in known], dtype=np.float64),
            )

    @staticmethod
    def _add_rows(h, lp, inf) -> None:
        starts, indices, values, lower, upper = [], [], [], [], []
        for i, constraint in enumerate(lp.constraints()):
            constraint.index = i
            starts.append(len(indices))
            for var, coef in constraint.items():
                indices.append(var.index)
                values.append(coef)
            lb, ub = constraint.getLb(), constraint.getUb()
            lower.append(-inf if lb is None else lb)
            upper.append(inf if ub is None else ub)
        if starts:
            h.addRows(
                len(starts),
                np.array(lower, dtype=np.float64),
                np.array(upper, dtype=np.float64),
                len(indices),
                np.array(starts, dtype=np.int32),
                np.array(indices, dtype=np.int32),
                np.array(values, dtype=np.float64),
            )


def _log_tail(path: Path, lines: int = 15) -> list[str]:
    try:
        return [line.rstrip() for line in path.read_text(errors="replace").splitlines()[-lines:]]
    except OSError:
        return []


def solve_highs(problem: pulp.LpProblem, aim: Aim, limit: float, gap: float, start, log: Path,
                relax: bool = False, progress: Callable[[str], None] | None = None,
                proven: float = -math.inf) -> StageResult:
    watch = {} if relax or progress is None else _watch_progress(aim, progress, proven)
    solver = BulkHiGHS(
        start=None if relax else start,
        mip=not relax,
        **watch,
        msg=True,  # the log goes to a file only: PuLP's msg=False would switch the log file off too
        timeLimit=max(limit, 0.01),
        gapRel=gap,
        gapAbs=aim.tie,
        log_to_console=False,
        log_file=str(log),
        random_seed=0,
    )
    began = time.perf_counter()
    try:
        problem.solve(solver)
    except Exception as exc:  # highspy raises its own types; none of them leaves a usable plan
        raise SolverError(f"HiGHS failed: {exc}") from exc
    h = problem.solverModel
    info = h.getInfo()
    termination = HIGHS_TERMINATION.get(h.getModelStatus(), "error")
    has_plan = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    return _stage(aim, termination, has_plan, bound, gap, time.perf_counter() - began)


PROGRESS_EVERY_S = 10.0  # between bound reports; every better plan is reported at once


def _figure(aim: Aim, x: float) -> str:
    return f"{x:,.3f}" if aim.name == "impact" else f"£{x:,.0f}"


def _watch_progress(aim: Aim, progress: Callable[[str], None], proven: float = -math.inf) -> dict:
    """HiGHS callbacks reporting each better plan, and the bound now and then, in the aim's own terms.

    ``proven`` is a bound known before this solve (the LP's), in the units the solver minimises.
    """
    last = {"at": -PROGRESS_EVERY_S}

    def report(kind, _message, out, _in, _data):
        improving = kind == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution
        if not improving and out.running_time - last["at"] < PROGRESS_EVERY_S:
            return
        plan, bound = out.mip_primal_bound, max(out.mip_dual_bound, proven)
        if not (math.isfinite(plan) and math.isfinite(bound)):
            return
        last["at"] = out.running_time
        gap = abs(plan - bound) / max(abs(plan), 1e-9)
        progress(f"  {aim.name.replace('_', ' ')}: best plan {_figure(aim, aim.sign * plan)}, "
                 f"bound {_figure(aim, aim.sign * bound)}, gap {gap:.2%} ({out.running_time:.0f} s)")

    return {
        "callbackTuple": (report, None),
        "callbacksToActivate": [highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution,
                                highspy.cb.HighsCallbackType.kCallbackMipLogging],
    }


_CBC_NUMBER = r"(-?[\d.]+(?:e[-+]?\d+)?)"


def read_cbc_log(text: str) -> tuple[str, float | None]:
    """(termination, proven bound) from CBC's log; CBC's own "Gap" line is not trusted (it can read -0.00)."""
    termination = next((t for line, t in CBC_TERMINATION.items() if re.search(line, text, re.M)), "error")
    bound = re.search(rf"^Lower bound:\s+{_CBC_NUMBER}", text, re.M | re.I)
    return termination, float(bound.group(1)) if bound else None


def solve_cbc(problem: pulp.LpProblem, aim: Aim, limit: float, gap: float, start, log: Path,
              relax: bool = False, progress: Callable[[str], None] | None = None,
              proven: float = -math.inf) -> StageResult:
    """CBC from PuLP's bundled binary, without its preprocessing and without a start plan.

    CBC 2.10.3's preprocessing (Cgl) returned a wrong "Optimal" on small instances of this model
    (impact 7 where 1 was possible, after substituting the continuous shortfall columns); with
    ``preprocess off`` it finds 1. The exhaustive-enumeration tests catch this class of error.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 warns that PuLP 4 drops the bundled CBC; pinned below 4
        solver = pulp.PULP_CBC_CMD(
            mip=not relax,
            msg=False,
            timeLimit=max(limit, 0.01),
            gapRel=gap,
            gapAbs=aim.tie,
            logPath=str(log),
            options=["preprocess off"],
        )
        if not solver.available():
            raise SolverError("CBC is not available: PuLP's bundled CBC binary is missing; use --solver highs")
    began = time.perf_counter()
    try:
        problem.solve(solver)
    except pulp.PulpSolverError as exc:
        # CBC writes no solution file when its bound tightening proves infeasibility; its log says so
        termination, _ = read_cbc_log(log.read_text(errors="replace") if log.exists() else "")
        if termination == "infeasible":
            return StageResult(aim.name, "infeasible", False, seconds=time.perf_counter() - began)
        raise SolverError(f"CBC failed: {exc}") from exc
    termination, bound = read_cbc_log(log.read_text(errors="replace"))
    has_plan = termination != "infeasible" and problem.sol_status in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    )
    return _stage(aim, termination, has_plan, bound, gap, time.perf_counter() - began)


def plan_value(expression: pulp.LpAffineExpression) -> float:
    """An expression's value in the plan; a variable PuLP left out of the solver's file (it is in no
    row and not in the objective) is at 0."""
    return expression.constant + sum(coef * (var.varValue or 0.0) for var, coef in expression.items())


def _stage(aim: Aim, termination: str, has_plan: bool, bound: float | None, gap: float, seconds: float) -> StageResult:
    """The aim's value is recomputed from the plan itself, in the aim's own sign.

    A solver that reports "optimal" has proven the plan within our gap tolerances; when its reported
    bound contradicts that (HiGHS gives 0 when presolve leaves no integer column), the plan's own
    value is the bound.
    """
    value = aim.sign * plan_value(aim.expression) if has_plan else None
    if termination == "optimal" and value is not None:
        slack = max(aim.tie, gap * abs(aim.sign * value)) + 1e-9
        if bound is None or abs(bound - aim.sign * value) > slack:
            bound = aim.sign * value
    return StageResult(
        aim.name, termination, has_plan, value, None if bound is None else aim.sign * bound, seconds
    )


BACKENDS: dict[str, Callable[..., StageResult]] = {"highs": solve_highs, "cbc": solve_cbc}

QUICK_SHARE = 0.25  # of an aim's time, for the plan built from the LP's columns


@contextmanager
def only(model: Model, allowed: set[str]):
    """Solve with every decision outside ``allowed`` held at 0; bounds restored afterwards."""
    held = [v for v in model.decisions if v.name not in allowed and (v.lowBound or 0) == 0]
    saved = [v.upBound for v in held]
    for v in held:
        v.upBound = 0
    try:
        yield
    finally:
        for v, upper in zip(held, saved):
            v.upBound = upper


def solve_aim(model: Model, aim: Aim, backend, limit: float, gap: float, start, log: Path,
              progress: Callable[[str], None] | None = None) -> StageResult:
    """One aim, LP first: the root LP usually proves the optimum; the hard part is finding the plan.

    1. The LP relaxation gives a bound and, for every column, a reduced cost.
    2. A MIP over the columns the LP uses (and the previous plan's) finds a plan quickly.
    3. A column whose reduced cost exceeds (plan - LP bound) cannot be in any plan as good as this
       one (every plan using it is worse by more than the gap), so it is held at 0; the solver
       then finishes on the rest, from the quick plan. If plan and bound already meet, it is done.
    Steps 2-3 only remove columns that cannot matter, so the answer and its proof are exact.
    """
    began = time.perf_counter()
    left = lambda: max(0.01, limit - (time.perf_counter() - began))  # noqa: E731
    relaxed = backend(model.problem, aim, left(), gap, None, log, relax=True)
    if not relaxed.has_plan or relaxed.termination != "optimal":
        return backend(model.problem, aim, left(), gap, start, log)  # let the MIP say why
    lowest = aim.sign * relaxed.value  # the LP bound, in the units the solver minimises
    reduced = {v.name: v.dj or 0.0 for v in model.decisions}
    used = {v.name for v in model.decisions if (v.varValue or 0.0) > 1e-6}
    used |= {name for name, x in (start or {}).items() if x > 0.5}
    try:
        with only(model, used):
            quick = backend(model.problem, aim, left() * QUICK_SHARE, gap, start, log)
    except SolverError:  # CBC 2.10.3 can crash on a restricted problem it proves infeasible
        quick = StageResult(aim.name, "error", False)
    if not quick.has_plan:
        final = backend(model.problem, aim, left(), gap, start, log)
        return _tighter(final, aim, lowest, time.perf_counter() - began)
    plan, found = _plan_values(model), aim.sign * quick.value
    slack = found - lowest
    if slack <= max(aim.tie, gap * abs(found)):
        return replace(quick, termination="optimal", bound=aim.sign * lowest, seconds=time.perf_counter() - began)
    margin = slack + aim.tie + 1e-9 * max(1.0, abs(found))
    worth_keeping = {name for name, cost in reduced.items() if cost <= margin} | used
    if progress:
        progress(
            f"  {aim.name.replace('_', ' ')}: LP bound {_figure(aim, aim.sign * lowest)}, first plan "
            f"{_figure(aim, quick.value)}; searching {len(worth_keeping):,} of {len(reduced):,} options"
        )
    with only(model, worth_keeping):
        final = backend(model.problem, aim, left(), gap, plan, log, progress=progress, proven=lowest)
    if not final.has_plan:  # kept the quick plan: put its values back
        for v in model.decisions:
            v.varValue = plan.get(v.name, 0.0)
        final = replace(quick, termination=final.termination)
    return _tighter(final, aim, lowest, time.perf_counter() - began)


def _tighter(stage: StageResult, aim: Aim, lowest: float, seconds: float) -> StageResult:
    """The better of the solver's bound and the LP's, in the aim's own sign."""
    bounds = [lowest] + ([aim.sign * stage.bound] if stage.bound is not None else [])
    return replace(stage, bound=aim.sign * max(bounds), seconds=seconds)


def _plan_values(model: Model) -> dict[str, float]:
    return {v.name: round(v.varValue or 0.0) for v in model.decisions}


def _chosen(vars_: list[pulp.LpVariable], values: dict[str, float]) -> list[int]:
    return [i for i, v in enumerate(vars_) if values.get(v.name, 0) > 0.5]


def solve_model(model: Model, *, progress: Callable[[str], None] = lambda _: None) -> Solution:
    """Optimise the aims in order; each later aim may only choose among plans tied on the earlier ones."""
    settings = model.inputs.settings
    backend = BACKENDS[settings.solver]
    began = time.perf_counter()
    stages: list[StageResult] = []
    plan: dict[str, float] | None = None
    # the first aim starts from "share nothing but what is required": often valid, so a time limit
    # still leaves a plan to report (a solver ignores a start that breaks a constraint)
    start = {v.name: float(v.lowBound or 0) for v in model.decisions}
    with tempfile.TemporaryDirectory(prefix="consolidate-") as folder:
        log = Path(folder) / "solver.log"
        for k, aim in enumerate(model.aims):
            remaining = settings.time_limit_s - (time.perf_counter() - began)
            if remaining <= 0:
                stages.append(StageResult(aim.name, "not_run", plan is not None))
                continue
            progress(f"solving aim {k + 1} of {len(model.aims)}: {aim.name.replace('_', ' ')}")
            model.problem.setObjective(aim.expression)
            stage = solve_aim(model, aim, backend, remaining, settings.mip_gap, plan or start, log, progress)
            stages.append(stage)
            if not stage.has_plan:
                break
            plan = _plan_values(model)
            # later aims keep this aim's value, within its tie tolerance
            tied = aim.sign * stage.value + aim.tie
            model.problem.addConstraint(pulp.LpConstraint(aim.expression, pulp.LpConstraintLE, rhs=tied), f"keep{k}")
        tail = _log_tail(log)
    seconds = time.perf_counter() - began
    if plan is None:
        last = stages[-1].termination if stages else "error"
        if last == "error":
            raise SolverError(f"{settings.solver} stopped without a plan or a reason:\n" + "\n".join(tail))
        return Solution(NO_PLAN_STATUS.get(last, "no_solution"), settings.solver, stages=stages, seconds=seconds, log_tail=tail)
    proven = all(s.has_plan and s.gap <= settings.mip_gap for s in stages)
    return Solution(
        "optimal" if proven else "feasible",
        settings.solver,
        _chosen(model.partnership_vars, plan),
        _chosen(model.reduction_vars, plan),
        stages,
        seconds,
        tail,
    )
