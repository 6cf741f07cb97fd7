"""Solving the model's aims in turn, and judging honestly what was proved.

Each aim is one ``optimizer.solve.aim.solve_aim``; here the aims are taken in turn, each later
aim held to the earlier ones' values, and the run's status is read off what each proved.

Each aim is solved in four steps, all exact:
1. the LP relaxation gives a bound and, for every column, a reduced cost;
2. a MIP over the columns the LP uses (and the previous plan's) gives a first plan; on large
   problems, so does tiling the LP (``optimizer.solve.tiling``), and the better is kept;
3. the neighbourhood search (``optimizer.solve.search``) improves it area by area, towards the LP bound;
4. the LP is tightened with the rounding cuts its solution breaks (``optimizer.model.cuts.violated_count_cuts``);
   then a column whose reduced cost exceeds (plan - LP bound) cannot be in any plan as good as this one,
   so it is left out, and the solver finishes on the rest from the plan in hand. When too many
   columns are left for any solver to finish (England), the bound is tightened instead by settling
   exactly the area where the plan falls short (``optimizer.solve.bound``, ``optimizer.solve.regions``), and the search goes on; the
   time then left settles ever wider regions around that area.
On this model the LP bound is usually at or next to the optimum, so step 4 is small.

A run is ``optimal`` only when every aim was proven within ``mip_gap``; a plan short of that is
``feasible`` and carries its proven gap. Later aims keep each earlier aim's value within its tie.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from optimizer import progress as words
from optimizer.model.build import Aim, Model
from optimizer.model.families import AIM_TIE, ROUNDING_CUT
from optimizer.model.matrix import Matrix
from optimizer.solve.aim import AimSolve, floor_proves, judge, solve_aim, solve_aim_whole
from optimizer.solve.backends import backend_for
from optimizer.solve.geography import Geography
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Solution, SolverError, StageResult
from optimizer.status import RunStatus, Termination, status_without_plan
from optimizer.solve.names import NATIVE
from optimizer.tolerances import FLOAT_NOISE, chosen

__all__ = ["ProgramSink", "judge", "solve_aim", "solve_model"]

ProgramSink = Callable[[Model, Aim, Matrix, StageResult], None]


def solve_model(model: Model, *, options: SolveOptions = DEFAULT,
                progress: Callable[[str], None] = lambda _: None, began: float | None = None,
                on_program: ProgramSink | None = None, start: np.ndarray | None = None,
                floors: Sequence[StageResult] | None = None, alive: np.ndarray | None = None,
                cuts: Sequence[tuple] = ()) -> Solution:
    """Optimise the aims in order; each later aim may only choose among plans tied on the earlier ones.

    ``began`` is when the run's clock started (``time.perf_counter()``): the time limit is the whole
    run's, so finding candidates and building the model count against it. None: now.
    ``on_program`` is handed each aim's program as solved (earlier aims held), with its result:
    what ``--write-model`` writes for another solver.
    ``start`` is the first aim's start (None: share nothing but what is required). ``floors`` are
    the stages of a solve of a program this one restricts (the previous alternative plan's): its
    proven bound on an aim holds here too while every earlier aim's value here is no worse than
    there, since this aim then ranges over a subset of that aim's plans; so does what its earlier
    aims left alive. ``alive`` marks the decisions a plan may use (None: all); the rest are held at
    0, and the program is that small. ``cuts`` are rounding cuts another solve of the model found
    (``Solution.cuts``): they hold for every whole plan, so this solve starts from them."""
    settings = model.inputs.settings
    backend = backend_for(settings.solver)
    # another solver (gurobi, scip) gets each aim whole: its own search replaces the LP-first method
    solve = solve_aim if settings.solver in NATIVE else solve_aim_whole
    began = time.perf_counter() if began is None else began
    stages: list[StageResult] = []
    matrix = model.matrix.with_rows(list(cuts), ROUNDING_CUT) if len(cuts) else model.matrix
    # the first aim starts from "share nothing but what is required": often valid, so a time limit
    # still leaves a plan to report
    plan: np.ndarray | None = None
    start = model.complete(matrix.lower) if start is None else start
    alive = np.ones(matrix.n_cols, dtype=bool) if alive is None else alive.copy()
    geography = Geography(model)  # once: every aim's search and settled regions use it
    with tempfile.TemporaryDirectory(prefix="consolidate-") as folder:
        log = Path(folder) / "solver.log"
        for k, aim in enumerate(model.aims):
            remaining = settings.time_limit_s - (time.perf_counter() - began)
            if remaining <= 0:
                stages.append(StageResult(aim.name, Termination.NOT_RUN, plan is not None))
                progress(words.step_done(k + 1, len(model.aims), stages[-1], settings.mip_gap))
                if on_program is not None:
                    on_program(model, aim, matrix, stages[-1])
                continue
            progress(words.step(k + 1, len(model.aims), aim.name))
            alive &= _floor_alive(model, k, plan, floors, alive)
            run = AimSolve(model, matrix, aim, backend, settings.mip_gap, log, time.perf_counter() + remaining,
                           remaining, alive, progress, options, geography, _lp_without_partner_rows(model, alive, options),
                           _floor(model, k, plan, floors))
            first = plan if plan is not None else start
            result = floor_proves(run, first) or solve(run, first)
            stages.append(replace(result.stage, alive=result.alive))
            progress(words.step_done(k + 1, len(model.aims), result.stage, settings.mip_gap))
            if on_program is not None:
                on_program(model, aim, result.matrix, result.stage)  # with the rounding cuts it added: still exact
            if not result.stage.has_plan:
                break
            # the rounding cuts an aim adds hold for every plan: later aims keep them, and this aim's value
            plan, alive, matrix = result.plan, result.alive, _holding(result.matrix, aim, result.plan)
        tail = _log_tail(log)
    return _solution(model, plan, stages, time.perf_counter() - began, tail, matrix.rows_of(ROUNDING_CUT))


def _floor(model: Model, k: int, plan: np.ndarray | None, floors: Sequence[StageResult] | None) -> float:
    """Aim k's floor in cost units (see ``solve_model``); -inf when there is none or it does not hold."""
    if not floors or k >= len(floors) or floors[k].bound is None or not _ties_floors(model, k, plan, floors):
        return -math.inf
    return model.aims[k].sign * floors[k].bound


def _floor_alive(model: Model, k: int, plan: np.ndarray | None, floors: Sequence[StageResult] | None,
                 alive: np.ndarray) -> np.ndarray:
    """The decisions the floors' aims before k left alive, where ``plan`` ties them (else ``alive``):
    a plan of this program that ties its earlier aims is then a plan of theirs tied on those aims."""
    if not floors or k == 0 or k > len(floors) or not _ties_floors(model, k, plan, floors):
        return alive
    earlier = floors[k - 1].alive
    return alive if earlier is None or len(earlier) != len(alive) else earlier


def _ties_floors(model: Model, k: int, plan: np.ndarray | None, floors: Sequence[StageResult]) -> bool:
    """Is ``plan`` no worse than the floors' plan on every aim before k?"""
    for aim, earlier in zip(model.aims[:k], floors[:k]):
        if plan is None or earlier.value is None or aim.value(plan) * aim.sign > earlier.value * aim.sign + FLOAT_NOISE * max(1.0, abs(earlier.value)):
            return False
    return True


def _lp_without_partner_rows(model: Model, alive: np.ndarray, options: SolveOptions) -> bool:
    """Whether the aim's LP leaves the partner caps out: only where they exist and the LP is large."""
    return len(model.links) > 0 and int(alive.sum()) > options.partner_rows_lp_columns


def _holding(matrix: Matrix, aim: Aim, plan: np.ndarray) -> Matrix:
    """The program with one more row: later aims keep this aim's value in ``plan``, within its tie."""
    cols = np.flatnonzero(aim.cost)
    return matrix.with_row(cols, aim.cost[cols], -math.inf, float(aim.cost @ plan) + aim.tie, AIM_TIE)


def _solution(model: Model, plan: np.ndarray | None, stages: list[StageResult], seconds: float,
              tail: list[str], cuts: list) -> Solution:
    """The run's status from what each aim proved, and the plan's choices."""
    settings = model.inputs.settings
    if plan is None:
        last = stages[-1].termination if stages else Termination.ERROR
        if last == Termination.ERROR:
            raise SolverError(f"{settings.solver} stopped without a plan or a reason:\n" + "\n".join(tail))
        return Solution(status_without_plan(last), settings.solver, stages=stages, seconds=seconds, log_tail=tail,
                        cuts=cuts)
    proven = all(s.has_plan and s.gap <= settings.mip_gap for s in stages)
    return Solution(
        RunStatus.OPTIMAL if proven else RunStatus.FEASIBLE,
        settings.solver,
        model.chosen_partnerships(plan),
        np.flatnonzero(chosen(plan[model.first_reduction : model.n_decisions])).tolist(),
        stages,
        seconds,
        tail,
        cuts,
    )


def _log_tail(path: Path, lines: int = 15) -> list[str]:
    try:
        return [line.rstrip() for line in path.read_text(errors="replace").splitlines()[-lines:]]
    except OSError:
        return []
