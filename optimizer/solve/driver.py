"""Solving the model's aims in turn, and judging honestly what was proved.

Each aim is solved in four steps, all exact:
1. the LP relaxation gives a bound and, for every column, a reduced cost;
2. a MIP over the columns the LP uses (and the previous plan's) gives a first plan; on large
   problems, so does tiling the LP (``optimizer.solve.tiling``), and the better is kept;
3. the neighbourhood search (``optimizer.solve.search``) improves it area by area, towards the LP bound;
4. the LP is tightened with the rounding cuts its solution breaks (``optimizer.model.cuts.violated_count_cuts``);
   then a column whose reduced cost exceeds (plan - LP bound) cannot be in any plan as good as this one,
   so it is left out, and the solver finishes on the rest from the plan in hand. When too many
   columns are left for any solver to finish (England), the bound is tightened instead by settling
   exactly the area where the plan falls short (``optimizer.solve.bound``), and the search goes on; the
   time then left settles ever wider regions around that area.
On this model the LP bound is usually at or next to the optimum, so step 4 is small.

A run is ``optimal`` only when every aim was proven within ``mip_gap``; a plan short of that is
``feasible`` and carries its proven gap. Later aims keep each earlier aim's value within its tie.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from optimizer.model.build import TIE, Aim, Model
from optimizer.model.cuts import violated_count_cuts
from optimizer.model.matrix import Matrix
from optimizer.solve.backends import BACKENDS
from optimizer.solve.bound import area_bound, columns_touching, complementary_gaps
from optimizer.solve.results import Outcome, Solution, SolverError, StageResult
from optimizer.solve.geography import Geography
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.search import NeighbourhoodSearch
from optimizer.solve.tiling import tile
from optimizer.status import RunStatus, Termination, status_without_plan
from optimizer.tolerances import (
    FEASIBILITY,
    FLOAT_NOISE,
    INTEGRALITY,
    REDUCED_COST_SLACK,
    chosen,
    solver_seconds,
    within_tie_or_gap,
)

__all__ = ["judge", "solve_aim", "solve_model"]


def _log_tail(path: Path, lines: int = 15) -> list[str]:
    try:
        return [line.rstrip() for line in path.read_text(errors="replace").splitlines()[-lines:]]
    except OSError:
        return []


def _figure(aim: Aim, x: float) -> str:
    return f"{x:,.3f}" if aim.name == "impact" else f"£{x:,.0f}"


def _watcher(aim: Aim, progress: Callable[[str], None] | None, proven: float) -> Callable | None:
    """Reports each better plan, and the bound now and then, in the aim's own terms."""
    if progress is None:
        return None

    def watch(plan: float, bound: float, seconds: float) -> None:
        bound = max(bound, proven)
        gap = abs(plan - bound) / max(abs(plan), FLOAT_NOISE)
        progress(f"  {aim.name.replace('_', ' ')}: best plan {_figure(aim, aim.sign * plan)}, "
                 f"bound {_figure(aim, aim.sign * bound)}, gap {gap:.2%} ({seconds:.0f} s)")

    return watch


@dataclass
class AimSolve:
    """One aim's solve: the program, its costs, and the clock."""

    model: Model
    matrix: Matrix
    aim: Aim
    backend: Callable[..., Outcome]
    gap: float
    log: Path
    deadline: float
    limit: float
    alive: np.ndarray  # decisions that can still be in an optimal plan; the rest are held at 0
    progress: Callable[[str], None] | None = None
    options: SolveOptions = DEFAULT
    geography: Geography | None = None  # None: built here; solve_model builds it once for every aim

    def __post_init__(self) -> None:
        if self.geography is None:
            self.geography = Geography(self.model)

    def left(self, share: float = 1.0) -> float:
        return solver_seconds((self.deadline - time.perf_counter()) * share)

    def solve(self, free: np.ndarray | None, start: np.ndarray | None, *, limit: float, relax: bool = False,
              watch: Callable | None = None) -> Outcome:
        """The aim over the ``free`` decisions only (None: all alive), the others held at 0."""
        if time.perf_counter() >= self.deadline:  # handing England to CBC alone takes seconds
            return Outcome(Termination.TIME_LIMIT)
        free = self.alive if free is None else free & self.alive
        # continuous columns (shortfalls) and required partnerships are always free
        free = free | ~self.matrix.integer | (self.matrix.lower > 0)
        matrix = self.matrix.restrict(free, np.zeros(self.matrix.n_cols))
        if matrix is None:
            return Outcome(Termination.INFEASIBLE)
        outcome = self.backend(matrix, self.aim.cost[free], limit=limit, gap=self.gap, tie=self.aim.tie,
                               log=self.log, start=None if start is None else start[free], relax=relax, watch=watch,
                               options=self.options)
        if outcome.x is None:
            return outcome
        x, reduced, duals = np.zeros(self.matrix.n_cols), None, None
        x[free] = outcome.x
        if not relax:  # shortfalls exactly as the decisions leave them, not to the solver's tolerance
            x = self.model.complete(x)
        if outcome.reduced_costs is not None:
            reduced = np.full(self.matrix.n_cols, np.inf)  # a column held at 0 can only stay there
            reduced[free] = outcome.reduced_costs
        if outcome.duals is not None:
            duals = np.zeros(self.matrix.n_rows)  # a row left without columns binds nothing
            duals[self.matrix.rows_touched(free)] = outcome.duals
        return replace(outcome, x=x, reduced_costs=reduced, duals=duals)

    @cached_property
    def shortfall_floor(self) -> np.ndarray:
        """``Model.shortfall_floor`` over the decisions this aim can still use."""
        return self.model.shortfall_floor(self.alive)

    @cached_property
    def program(self) -> tuple[np.ndarray, Matrix]:
        """The columns this aim can still use (alive decisions, shortfalls, required partnerships)
        and the program over them, every row kept. No plan leaves a council less short than its
        best decisions would, so shortfalls start there: with an earlier aim's tie kept whole, an
        area cannot then borrow shortfall from councils that have none to give. Built once: the
        area choices and every settle of the aim use it."""
        free = self.alive | ~self.matrix.integer | (self.matrix.lower > 0)
        floored = replace(self.matrix, lower=np.maximum(self.matrix.lower, self.shortfall_floor))
        return free, floored.restrict(free, np.zeros(self.matrix.n_cols), every_row=True)

    def settle(self, lp: Outcome, area: np.ndarray, seconds: float) -> float | None:
        """``optimizer.solve.bound.area_bound`` over the decisions alive, the LP's duals pricing the rest."""
        if lp.duals is None:
            return None
        free, matrix = self.program
        return area_bound(matrix, self.aim.cost[free], lp.duals, area, self.backend, seconds, self.gap * 0.1, self.log)

    def say(self, message: str) -> None:
        if self.progress:
            took = time.perf_counter() - (self.deadline - self.limit)
            self.progress(f"  {self.aim.name.replace('_', ' ')}: {message} ({took:.1f} s)")

    def close(self, value: float, bound: float) -> bool:
        return within_tie_or_gap(value, bound, self.aim.tie, self.gap)


def solve_aim(model: Model, matrix: Matrix, aim: Aim, backend, limit: float, gap: float, start: np.ndarray | None,
              log: Path, alive: np.ndarray, progress: Callable[[str], None] | None = None,
              options: SolveOptions = DEFAULT, geography: Geography | None = None):
    """One aim, LP first (see the module's note).

    Returns what was proved, the plan (None without one), the decisions that can still be in a
    plan tied with it on this aim (later aims need look at no others), and the program with any
    rounding cuts added.
    """
    began = time.perf_counter()
    run = AimSolve(model, matrix, aim, backend, gap, log, began + limit, limit, alive, progress, options, geography)
    lp = run.solve(None, start, limit=run.left(), relax=True)  # a priced LP starts from the plan's columns
    lp_seconds = time.perf_counter() - began
    if not lp.has_plan or lp.termination != Termination.OPTIMAL:
        final = run.solve(None, start, limit=run.left(), watch=_watcher(aim, progress, -math.inf))
        return judge(aim, final, None, began, gap), final.x, alive, matrix  # the MIP says why (infeasible, out of time)
    lowest = lp.bound
    run.say(f"LP bound {_figure(aim, aim.sign * lowest)}")
    used = matrix.integer & (lp.x > INTEGRALITY)
    if start is not None:
        used |= matrix.integer & chosen(start)
    large = int(alive.sum()) > run.options.search_from  # the tiling and the search run
    quick_limit = run.left(run.options.quick_share)
    if large:  # the tiling often does better than this MIP: it need not take long
        quick_limit = min(quick_limit, run.options.quick_per_lp_second * max(1.0, lp_seconds))
    try:
        quick = run.solve(used, start, limit=quick_limit)
    except SolverError:  # CBC 2.10.3 can crash on a restricted problem it proves infeasible
        quick = Outcome(Termination.ERROR)
    plan = quick.x if quick.has_plan else start if _usable(matrix, start) else None
    if large:
        plan = _better(aim, plan, _tiled(run, lp, plan, run.options.tiling_per_lp_second * max(1.0, lp_seconds)))
    if plan is None:
        final = run.solve(None, start, limit=run.left(), watch=_watcher(aim, progress, lowest))
        return judge(aim, final, lowest, began, gap), final.x, alive, matrix
    run.say(f"first plan {_figure(aim, aim.value(plan))}")
    search = None
    if not run.close(aim.cost @ plan, lowest) and large:
        # wide areas only where no proof is in reach; otherwise the proof needs a good plan soon
        wide = int(alive.sum()) > run.options.provable_columns
        search = NeighbourhoodSearch(model, matrix, aim, backend, gap, log, alive, wide=wide, options=options,
                                    geography=run.geography)
        plan = search.improve(plan, lp.x, lowest, time.perf_counter() + run.left(run.options.search_share))
        run.say(f"area by area: plan {_figure(aim, aim.value(plan))}")
    final = Outcome(Termination.OPTIMAL, plan, lowest)
    if not run.close(aim.cost @ plan, lowest):
        run, lp = _with_rounding_cuts(run, lp, plan)
        lowest = max(lowest, lp.bound)
        keep = _worth_keeping(lp, plan, aim, lowest)
        if search is not None and keep.sum() > run.options.provable_columns:
            # no proof in reach: settle exactly the area where the plan falls short, for a tighter
            # bound; the time left goes to the search, then to wider regions
            settled = run.settle(lp, _trouble_area(run, plan, lp), run.left(run.options.area_share))
            if settled is not None:
                lowest = max(lowest, settled)
                run.say(f"settling the area where the plan falls short: bound {_figure(aim, aim.sign * lowest)}")
            plan = search.improve(plan, lp.x, lowest, run.deadline)
            run.say(f"area by area, on: plan {_figure(aim, aim.value(plan))}")
            lowest = _settle_wider(run, plan, lp, lowest)
            final = Outcome(Termination.OPTIMAL if run.close(aim.cost @ plan, lowest) else Termination.TIME_LIMIT, plan, lowest)
        else:
            run.say(f"proving it over the {int(keep.sum()):,} of {int(alive.sum()):,} options that could do better")
            final = run.solve(keep, plan, limit=run.left(), watch=_watcher(aim, progress, lowest))
            if not final.has_plan or aim.cost @ final.x > aim.cost @ plan:
                final = Outcome(final.termination, plan, final.bound)  # keep the plan in hand
    return judge(aim, final, lowest, began, gap), final.x, alive & _worth_keeping(lp, final.x, aim, lowest), run.matrix


def _with_rounding_cuts(run: AimSolve, lp: Outcome, plan: np.ndarray) -> tuple[AimSolve, Outcome]:
    """The aim's program with the rounding cuts the LP solution breaks (``violated_count_cuts``), and
    its LP, round after round while cuts are broken, for at most ``options.cut_rounds`` and ``options.cut_share`` of the time
    left. A round whose bound does not rise still counts: the LP is degenerate, and its next vertex
    breaks other cuts (the West Midlands' net benefit rose in rounds six and eight, not in five and seven).

    The cuts hold for every whole plan, so the bound, the reduced costs and the duals that price an
    area (``optimizer.solve.bound``) all tighten; each LP starts from the last one's columns and the plan's.
    England's net benefit: the LP bound went from £9,130.6 m to £9,121.3 m, and the area settled
    around the North East then proved the plan within 0.01 %, where without the cuts it proved 0.03 %.
    """
    deadline = time.perf_counter() + run.left(run.options.cut_share)
    for _ in range(run.options.cut_rounds):
        cuts = violated_count_cuts(run.model, lp.x, INTEGRALITY)
        if not cuts or time.perf_counter() >= deadline:
            break
        tighter = replace(run, matrix=run.matrix.with_rows([(cols, values, -math.inf, most) for cols, values, most in cuts]))
        columns = np.maximum(plan, lp.x > 0)  # a start for an LP is the columns it begins with
        again = tighter.solve(None, columns, limit=deadline - time.perf_counter(), relax=True)
        if again.termination != Termination.OPTIMAL:
            break
        run, lp = tighter, again
        run.say(f"LP with {len(cuts)} rounding cuts: bound {_figure(run.aim, run.aim.sign * lp.bound)}")
    return run, lp


def _tiled(run: AimSolve, lp: Outcome, plan: np.ndarray | None, seconds: float) -> np.ndarray | None:
    """A plan ``optimizer.solve.tiling`` reads off the LP that meets every row, or None.

    The tiling sees only the rows each (council, service) is in once, not the targets, so it can
    leave a council further short than the plan in hand and break the shortfall an earlier aim
    keeps. The partnerships of councils short in the plan in hand are kept from the start; each
    council the tiling leaves further short has its partnerships kept in the next round.
    """
    model, deadline = run.model, time.perf_counter() + min(seconds, run.left(run.options.tiling_share))
    short_before = model.shortfall(plan) if plan is not None else np.zeros(len(model.inputs.councils))
    kept = short_before > 0
    for round_ in range(run.options.tiling_rounds):
        held = np.zeros(run.matrix.n_cols, dtype=bool)
        if plan is not None:
            entries = kept[model.members.council] & chosen(plan[model.members.col])
            held[model.members.col[entries]] = True
        this_round = (deadline - time.perf_counter()) / (run.options.tiling_rounds - round_)
        x = model.complete(tile(run.matrix, run.aim.cost, lp, this_round, held, options=run.options))
        if _usable(run.matrix, x):
            run.say(f"tiling the LP: plan {_figure(run.aim, run.aim.value(x))}")
            return x
        worse = (model.shortfall(x) > short_before + FEASIBILITY) & ~kept
        if plan is None or not worse.any() or time.perf_counter() >= deadline:
            return None
        kept |= worse
    return None


def _trouble_area(run: AimSolve, plan: np.ndarray, lp: Outcome) -> np.ndarray:
    """The rows to settle exactly (``_rows_of``): those of the councils nearest each of
    ``_trouble_seeds``, about ``options.area_seed_columns`` options around each while the area stays within
    ``options.area_columns``."""
    places = run.geography
    councils = np.zeros(places.n_councils, dtype=bool)
    decisions = run.alive & run.matrix.integer
    short, holding = _trouble_seeds(run, plan, lp)
    for seed in short + holding:
        wider = councils | places.nearest(seed, run.options.area_seed_columns, decisions)
        # a seed in a city brings tens of thousands of options, more than the MIP settles in time
        if (decisions & places.touching(wider)).sum() <= run.options.area_columns:
            councils = wider
    return _rows_of(run, councils)


def _settle_wider(run: AimSolve, plan: np.ndarray, lp: Outcome, lowest: float) -> float:
    """The bound after settling ever wider regions while the plan is not proven and the time left
    affords the next (``options.area_seconds_per_column``): the councils nearest those where the plan falls
    furthest short, 2 × ``options.area_columns`` options, then twice as many, with the councils holding
    avoidable shortfall. Where seeds' small neighbourhoods leave edges in busy places, a region
    puts its edge further out (England: 155 councils, 38,899 options, proved the plan within
    0.003 % in 185 s, where neighbourhoods stopped at 0.03 %)."""
    columns = 2 * run.options.area_columns

    def worth_another() -> bool:
        return not run.close(float(run.aim.cost @ plan), lowest) and run.left() >= columns * run.options.area_seconds_per_column

    if not worth_another():
        return lowest
    short, holding = _trouble_seeds(run, plan, lp)
    places, decisions = run.geography, run.alive & run.matrix.integer
    rank = places.rank_by(places.distance[short].min(axis=0)) if short else np.zeros(places.n_councils, dtype=np.int64)
    while worth_another():
        councils = rank < places.within(rank, columns, decisions)
        councils[holding] = True
        settled = run.settle(lp, _rows_of(run, councils), run.left())
        if settled is not None and settled > lowest:
            lowest = settled
            run.say(f"settling {int(councils.sum())} councils around it: bound {_figure(run.aim, run.aim.sign * lowest)}")
        if councils.all():
            break  # the region was everyone: no wider one to settle
        columns *= 2
    return lowest


def _rows_of(run: AimSolve, councils: np.ndarray) -> np.ndarray:
    """The rows of ``councils`` (a mask), and every other row whose whole columns all touch those
    (among them an earlier aim's tie, over shortfalls alone): kept whole, such a row adds no whole
    column to the area's MIP, and is never weaker than priced.

    Priced instead of kept, the tie lets the area spend, at a degenerate LP's price, shortfall the
    rest of the country cannot give up. England's net benefit: with a plan at £9,109.0 m, the North
    East's central services settled with the tie priced proved £9,121.4 m; kept, £9,111.8 m. The
    rounding cuts inside an area are kept the same way (with them, £9,109.73 m where priced £9,109.83 m).
    """
    mine = np.r_[councils, False][_row_owner(run)]
    _, program = run.program
    touching = columns_touching(program, mine)
    elsewhere = program.integer[program.cols] & ~touching[program.cols]
    return mine | (np.bincount(program.rows, weights=elsewhere, minlength=program.n_rows) == 0)


def _trouble_seeds(run: AimSolve, plan: np.ndarray, lp: Outcome) -> tuple[list[int], list[int]]:
    """The ``options.area_seeds`` councils where the plan stands furthest above what the LP's duals price it
    at (``optimizer.solve.bound.complementary_gaps``), and those carrying more shortfall than their best
    decisions would leave: the shortfall the rest of the country could give up sits with them."""
    free, program = run.program
    column_gap = np.zeros(run.matrix.n_cols)
    column_gap[free], row_gap = complementary_gaps(program, run.aim.cost[free], lp.duals, plan[free])
    owner = _row_owner(run)
    mine = owner >= 0
    places = run.geography
    gap = places.per_council(column_gap) + np.bincount(owner[mine], weights=row_gap[mine], minlength=places.n_councils)
    short = np.flatnonzero(gap > run.aim.tie)
    seeds = short[np.argsort(-gap[short], kind="stable")][:run.options.area_seeds].tolist()
    model = run.model
    avoidable = (plan - run.shortfall_floor)[model.n_decisions :] * model.targets[model.shortfall_council]
    return seeds, model.shortfall_council[avoidable > TIE["shortfall"]].tolist()


def _row_owner(run: AimSolve) -> np.ndarray:
    """The council each row concerns alone; -1 for rows across councils (and those earlier aims added)."""
    owner = np.full(run.matrix.n_rows, -1, dtype=np.int64)
    owner[: len(run.model.row_council)] = run.model.row_council
    return owner


def _better(aim: Aim, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The better of two plans (either may be None)."""
    if a is None or b is None:
        return b if a is None else a
    return b if aim.cost @ b < aim.cost @ a else a


def _worth_keeping(lp: Outcome, plan: np.ndarray, aim: Aim, lowest: float) -> np.ndarray:
    """Columns that can be in a plan within the aim's tie of ``plan`` (reduced-cost fixing).

    A plan using column j costs at least (LP bound + j's reduced cost): when that exceeds the plan
    in hand by more than the tie, j cannot be in any plan as good. The slack covers the LP's
    tolerances; it only keeps more columns.
    """
    found = float(aim.cost @ plan)
    margin = found - lowest + aim.tie + REDUCED_COST_SLACK * max(1.0, abs(found), abs(lowest))
    return (lp.reduced_costs <= margin) | chosen(plan)


def _usable(matrix: Matrix, x: np.ndarray | None) -> bool:
    """Is x a plan that meets every row (the start of a later aim always does)?"""
    return x is not None and matrix.violation(x) <= FEASIBILITY


def judge(aim: Aim, outcome: Outcome, lowest: float | None, began: float, gap: float) -> StageResult:
    """The aim's value is recomputed from the plan itself, in the aim's own sign; the bound is the
    better of the solver's and the LP's.

    A solver that reports "optimal" has proven the plan within our tolerances; when its reported
    bound contradicts that (HiGHS gives 0 when presolve leaves no integer column), the plan's own
    value is the bound.
    """
    seconds = time.perf_counter() - began
    if not outcome.has_plan:
        return StageResult(aim.name, outcome.termination, False, seconds=seconds)
    value = float(aim.cost @ outcome.x)
    bounds = [b for b in (outcome.bound, lowest) if b is not None and math.isfinite(b)]
    bound = min(max(bounds), value) if bounds else None
    if outcome.termination == Termination.OPTIMAL and (bound is None or not within_tie_or_gap(value, bound, aim.tie, gap, FLOAT_NOISE)):
        bound = value
    return StageResult(aim.name, outcome.termination, True, aim.sign * value,
                       None if bound is None else aim.sign * bound, seconds)


def _chosen(x: np.ndarray, first: int, last: int) -> list[int]:
    return np.flatnonzero(chosen(x[first:last])).tolist()


def solve_model(model: Model, *, options: SolveOptions = DEFAULT,
                progress: Callable[[str], None] = lambda _: None) -> Solution:
    """Optimise the aims in order; each later aim may only choose among plans tied on the earlier ones."""
    settings = model.inputs.settings
    backend = BACKENDS[settings.solver]
    began = time.perf_counter()
    stages: list[StageResult] = []
    matrix = model.matrix
    # the first aim starts from "share nothing but what is required": often valid, so a time limit
    # still leaves a plan to report
    plan: np.ndarray | None = None
    start = model.complete(matrix.lower)
    alive = np.ones(matrix.n_cols, dtype=bool)
    geography = Geography(model)  # once: every aim's search and settled regions use it
    with tempfile.TemporaryDirectory(prefix="consolidate-") as folder:
        log = Path(folder) / "solver.log"
        for k, aim in enumerate(model.aims):
            remaining = settings.time_limit_s - (time.perf_counter() - began)
            if remaining <= 0:
                stages.append(StageResult(aim.name, Termination.NOT_RUN, plan is not None))
                continue
            progress(f"solving aim {k + 1} of {len(model.aims)}: {aim.name.replace('_', ' ')}")
            # the rounding cuts an aim adds hold for every plan: later aims keep them
            stage, x, alive, matrix = solve_aim(model, matrix, aim, backend, remaining, settings.mip_gap,
                                                plan if plan is not None else start, log, alive, progress, options,
                                                geography)
            stages.append(stage)
            if not stage.has_plan:
                break
            plan = x
            # later aims keep this aim's value, within its tie tolerance
            cols = np.flatnonzero(aim.cost)
            matrix = matrix.with_row(cols, aim.cost[cols], -math.inf, float(aim.cost @ x) + aim.tie)
        tail = _log_tail(log)
    seconds = time.perf_counter() - began
    if plan is None:
        last = stages[-1].termination if stages else Termination.ERROR
        if last == Termination.ERROR:
            raise SolverError(f"{settings.solver} stopped without a plan or a reason:\n" + "\n".join(tail))
        return Solution(status_without_plan(last), settings.solver, stages=stages, seconds=seconds, log_tail=tail)
    proven = all(s.has_plan and s.gap <= settings.mip_gap for s in stages)
    return Solution(
        RunStatus.OPTIMAL if proven else RunStatus.FEASIBLE,
        settings.solver,
        _chosen(plan, 0, model.n_partnerships),
        _chosen(plan, model.n_partnerships, model.n_decisions),
        stages,
        seconds,
        tail,
    )
