"""The plan's model, solved once, and re-solved with a few rows or bounds changed.

Alternatives and partner suggestions both ask about individual partnerships, so here every
candidate group keeps its own column: no pools (``optimizer.model.pools`` stands interchangeable
groups in for one another, which is exact for the plan's value but not for which groups it holds).
A decision is then one column, and the plan's decisions are a 0/1 vector over them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimizer.model.build import Model, build_model
from optimizer.model.candidates import Candidates, enumerate_candidates
from optimizer.model.matrix import Matrix
from optimizer.plan import Plan, make_plan
from optimizer.solve.diagnose import diagnose
from optimizer.solve.driver import ProgramSink, solve_model
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Solution
from optimizer.status import RunStatus
from optimizer.workbook.inputs import Inputs

NO_POOLS = sys.maxsize  # pool_from_groups: no block is large enough, every group is a column

Progress = Callable[[str], None]


def _silent(_: str) -> None:
    pass


@dataclass(frozen=True)
class Solved:
    """The optimal plan and the model it came from (None when there was nothing to choose)."""

    inputs: Inputs
    candidates: Candidates
    model: Model | None
    solution: Solution
    plan: Plan

    def decisions(self, solution: Solution | None = None) -> np.ndarray:
        """The plan's decisions (of ``solution``, else the optimal plan's) as 0/1 over the model's
        decision columns."""
        return decision_vector(self.model, self.solution if solution is None else solution)

    def resolve(self, matrix: Matrix, options: SolveOptions = DEFAULT, progress: Progress = _silent,
                start: np.ndarray | None = None, floors=None) -> Solution:
        """The model's aims again over ``matrix`` (the model's with rows added or bounds moved),
        with the whole time limit of a run; ``start`` and ``floors`` as ``solve_model`` takes them, and
        the rounding cuts the plan's solve found."""
        return solve_model(replace(self.model, matrix=matrix), options=options, progress=progress,
                           began=time.perf_counter(), start=start, floors=floors, cuts=self.solution.cuts)

    def plan_of(self, solution: Solution) -> Plan:
        return make_plan(self.inputs, self.candidates, solution)


def solve_unpooled(inputs: Inputs, options: SolveOptions = DEFAULT, progress: Progress = _silent,
                   on_program: ProgramSink | None = None) -> Solved:
    """The optimal plan over a model with one column per candidate group (``NO_POOLS``), as
    ``optimizer.pipeline.optimise`` finds it otherwise (why, when it is infeasible)."""
    began = time.perf_counter()
    candidates = enumerate_candidates(inputs)
    progress(f"{len(candidates.partnerships):,} candidate partnerships and {len(candidates.reductions):,} "
             f"reduction options ({time.perf_counter() - began:.1f} s)")
    if not candidates.partnerships and not candidates.reductions:
        stuck = inputs.settings.targets == "hard" and any(c.target for c in inputs.councils)
        solution = Solution(RunStatus.INFEASIBLE if stuck else RunStatus.OPTIMAL, inputs.settings.solver)
        return Solved(inputs, candidates, None, solution, make_plan(inputs, candidates, solution))
    model = build_model(inputs, candidates, NO_POOLS)
    solution = solve_model(model, options=options, progress=progress, began=began, on_program=on_program)
    diagnosis = diagnose(inputs, candidates, options) if solution.status == RunStatus.INFEASIBLE else ()
    return Solved(inputs, candidates, model, solution, make_plan(inputs, candidates, solution, diagnosis=diagnosis))


def decision_vector(model: Model, solution: Solution) -> np.ndarray:
    """0/1 over the decision columns of a model without pools: the partnership columns of
    ``solution.partnerships``, then its reductions'."""
    x = np.zeros(model.n_decisions)
    column = np.full(len(model.candidates.partnerships), -1, dtype=np.int64)
    column[model.group_of_col] = np.arange(model.n_partnerships)
    x[column[np.asarray(solution.partnerships, dtype=np.int64)]] = 1.0
    x[model.first_reduction + np.asarray(solution.reductions, dtype=np.int64)] = 1.0
    return x


def column_of(model: Model, group: int) -> int:
    """The column of candidate ``group`` in a model without pools."""
    return int(np.flatnonzero(model.group_of_col == group)[0])
