"""One aim's solve, in four exact steps (see ``optimizer.solve.driver``): the LP, a first plan, the
neighbourhood search, then tightening the LP and proving the plan."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from optimizer import progress as words
from optimizer.model.build import Aim, Model
from optimizer.model.cuts import violated_count_cuts
from optimizer.model.families import PARTNER_CAP, PARTNER_LINK, ROUNDING_CUT
from optimizer.model.matrix import Matrix
from optimizer.solve.bound import area_bound
from optimizer.solve.geography import Geography
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.regions import settle_wider, trouble_area
from optimizer.solve.results import Outcome, SolverError, StageResult
from optimizer.solve.search import NeighbourhoodSearch
from optimizer.solve.tiling import tile
from optimizer.status import Termination
from optimizer.tolerances import (
    FEASIBILITY,
    FLOAT_NOISE,
    INTEGRALITY,
    REDUCED_COST_SLACK,
    chosen,
    solver_seconds,
    within_tie_or_gap,
)


PARTNER_FAMILIES = (PARTNER_LINK, PARTNER_CAP)


def _watcher(aim: Aim, progress: Callable[[str], None] | None, proven: float) -> Callable | None:
    """Reports each better plan, and the bound now and then, in the aim's own terms."""
    if progress is None:
        return None

    def watch(plan: float, bound: float, seconds: float) -> None:
        progress(words.so_far(aim.name, aim.sign * plan, aim.sign * max(bound, proven), seconds))

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
    # the LP leaves the partner caps' rows free: a relaxation, so its bound, reduced costs and duals
    # (0 on those rows) stay exact, and every plan still meets them (``partner_rows_in_lp``)
    lp_without_partner_rows: bool = False
    # a bound on this aim proven elsewhere, in cost units: the same aim of a program this one restricts
    # (an alternative plan's, ``optimizer.negotiate.alternatives``); -inf: none. It proves, never prunes
    floor: float = -math.inf

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
        whole = self.matrix.loosened(PARTNER_FAMILIES) if relax and self.lp_without_partner_rows else self.matrix
        matrix = whole.restrict(free, np.zeros(self.matrix.n_cols))
        if matrix is None:
            return Outcome(Termination.INFEASIBLE)
        outcome = self.backend(matrix, self.aim.cost[free], limit=limit, gap=self.gap, tie=self.aim.tie,
                               log=self.log, start=None if start is None else start[free], relax=relax, watch=watch,
                               options=self.options, target=None if relax else self.target)
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
            duals[np.isinf(whole.row_lower) & np.isinf(whole.row_upper)] = 0.0  # freed rows price nothing
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

    @property
    def began(self) -> float:
        return self.deadline - self.limit

    def say(self, line: Callable[..., str], *figures) -> None:
        """A progress line of ``optimizer.progress``: ``line(*figures, seconds since the aim began)``."""
        if self.progress:
            self.progress(line(*figures, time.perf_counter() - self.began))

    def bound_is(self, bound: float) -> None:
        self.say(words.bound, self.aim.name, self.aim.sign * bound)

    def plan_is(self, plan: np.ndarray) -> None:
        self.say(words.found, self.aim.name, self.aim.value(plan))

    def close(self, value: float, bound: float) -> bool:
        return within_tie_or_gap(value, bound, self.aim.tie, self.gap)

    def watcher(self, proven: float) -> Callable | None:
        return _watcher(self.aim, self.progress, proven)

    def judge(self, outcome: Outcome, lowest: float | None) -> StageResult:
        if math.isfinite(self.floor):
            lowest = self.floor if lowest is None else max(lowest, self.floor)
        return judge(self.aim, outcome, lowest, self.began, self.gap)

    @property
    def target(self) -> float | None:
        """A MIP may stop at a plan this good: the floor proves it (None without a floor)."""
        if not math.isfinite(self.floor):
            return None
        return self.floor + 0.5 * max(self.aim.tie, self.gap * abs(self.floor))  # within ``close`` of it

    def proven(self, plan: np.ndarray, lowest: float) -> bool:
        """Is ``plan`` within the tie or gap of the best bound known, the LP's or the floor?"""
        return self.close(self.aim.cost @ plan, max(lowest, self.floor))


@dataclass(frozen=True)
class AimResult:
    """What solving one aim leaves for the next."""

    stage: StageResult  # what was proved
    plan: np.ndarray | None  # None without one
    alive: np.ndarray  # decisions that can still be in a plan tied with it on this aim: later aims need no others
    matrix: Matrix  # the program with any rounding cuts added: they hold for every plan


def floor_proves(run: AimSolve, start: np.ndarray | None) -> AimResult | None:
    """The start itself, when it is a plan of this program within the tie or gap of the floor (a bound
    proven on a program this one restricts): nothing is left to solve. None otherwise."""
    if start is None or not math.isfinite(run.floor) or not run.proven(start, -math.inf):
        return None
    held = ~run.alive & run.matrix.integer & (run.matrix.lower <= 0)
    if chosen(start[held]).any() or not _usable(run.matrix, start):
        return None
    return AimResult(run.judge(Outcome(Termination.OPTIMAL, start, run.floor), run.floor), start, run.alive, run.matrix)


def solve_aim(run: AimSolve, start: np.ndarray | None) -> AimResult:
    """One aim, LP first (see ``optimizer.solve.driver``): the LP, a first plan, the search, then
    tighten and prove."""
    lp = run.solve(None, start, limit=run.left(), relax=True)  # a priced LP starts from the plan's columns
    lp_seconds = time.perf_counter() - run.began
    if not lp.has_plan or lp.termination != Termination.OPTIMAL:
        return _whole_mip(run, start, None)  # the MIP says why (infeasible, out of time)
    run.bound_is(lp.bound)
    large = int(run.alive.sum()) > run.options.search_from  # the tiling and the search run
    plan = _first_plan(run, lp, start, lp_seconds, large)
    if plan is None:
        return _whole_mip(run, start, lp.bound)
    run.plan_is(plan)
    search, plan = _searched(run, lp, plan, large)
    return _tighten_and_prove(run, lp, plan, search)


def solve_aim_whole(run: AimSolve, start: np.ndarray | None) -> AimResult:
    """One aim as a single MIP over every alive decision, from ``start``: for solvers whose own
    search does the work (``backends.other``)."""
    return _whole_mip(run, start, None)


def _whole_mip(run: AimSolve, start: np.ndarray | None, lowest: float | None) -> AimResult:
    """The MIP over every alive decision: without an LP or a first plan, it finds one or says why not."""
    final = run.solve(None, start, limit=run.left(), watch=run.watcher(-math.inf if lowest is None else lowest))
    return AimResult(run.judge(final, lowest), final.x, run.alive, run.matrix)


def _first_plan(run: AimSolve, lp: Outcome, start: np.ndarray | None, lp_seconds: float,
                large: bool) -> np.ndarray | None:
    """A MIP over the columns the LP uses (and the start's); on large problems the better of that
    and the LP's tiling; else the start itself if it meets every row; else None."""
    matrix, options = run.matrix, run.options
    used = matrix.integer & (lp.x > INTEGRALITY)
    if start is not None:
        used |= matrix.integer & chosen(start)
    quick_limit = run.left(options.quick_share)
    if large:  # the tiling often does better than this MIP: it need not take long
        quick_limit = min(quick_limit, options.quick_per_lp_second * max(1.0, lp_seconds))
    try:
        quick = run.solve(used, start, limit=quick_limit)
    except SolverError:  # CBC 2.10.3 can crash on a restricted problem it proves infeasible
        quick = Outcome(Termination.ERROR)
    plan = quick.x if quick.has_plan else start if _usable(matrix, start) else None
    if large:
        plan = _better(run.aim, plan, _tiled(run, lp, plan))
    return plan


def _searched(run: AimSolve, lp: Outcome, plan: np.ndarray,
              large: bool) -> tuple[NeighbourhoodSearch | None, np.ndarray]:
    """The neighbourhood search, on large problems whose plan is not yet close to the LP bound, and
    the plan it leaves; (None, plan) when it does not run."""
    if run.proven(plan, lp.bound) or not large:
        return None, plan
    # wide areas only where no proof is in reach; otherwise the proof needs a good plan soon
    wide = int(run.alive.sum()) > run.options.provable_columns
    search = NeighbourhoodSearch(run.model, run.matrix, run.aim, run.backend, run.gap, run.log, run.alive, wide=wide,
                                 options=run.options, geography=run.geography)
    plan = search.improve(plan, lp.x, lp.bound, time.perf_counter() + run.left(run.options.search_share))
    run.plan_is(plan)
    return search, plan


def _tighten_and_prove(run: AimSolve, lp: Outcome, plan: np.ndarray, search: NeighbourhoodSearch | None) -> AimResult:
    """The LP tightened by rounding cuts; then the proof over the options that could do better
    (reduced-cost fixing), or, where that is out of reach, the bound of settled areas and more search."""
    lowest = lp.bound
    if run.proven(plan, lowest):
        return _result(run, lp, Outcome(Termination.OPTIMAL, plan, lowest), lowest)
    run, lp = _with_rounding_cuts(run, lp, plan)
    lowest = max(lowest, lp.bound)
    if run.proven(plan, lowest):
        return _result(run, lp, Outcome(Termination.OPTIMAL, plan, lowest), lowest)
    keep = _worth_keeping(lp, plan, run.aim, lowest)
    if search is not None and keep.sum() > run.options.provable_columns:
        final = _bound_by_areas(run, search, lp, plan, lowest)
        lowest = final.bound  # settling areas can only have raised it
    else:
        final = _proof(run, keep, plan, lowest)
    return _result(run, lp, final, lowest)


def _bound_by_areas(run: AimSolve, search: NeighbourhoodSearch, lp: Outcome, plan: np.ndarray,
                    lowest: float) -> Outcome:
    """No proof in reach: settle exactly the area where the plan falls short, for a tighter bound;
    the time left goes to the search, then to wider regions. The outcome's bound is the best proven."""
    settled = run.settle(lp, trouble_area(run, plan, lp), run.left(run.options.area_share))
    if settled is not None:
        lowest = max(lowest, settled)
        run.bound_is(lowest)
    search.reopen()
    plan = search.improve(plan, lp.x, lowest, run.deadline)
    run.plan_is(plan)
    lowest = settle_wider(run, plan, lp, lowest)
    proven = run.close(run.aim.cost @ plan, lowest)
    return Outcome(Termination.OPTIMAL if proven else Termination.TIME_LIMIT, plan, lowest)


def _proof(run: AimSolve, keep: np.ndarray, plan: np.ndarray, lowest: float) -> Outcome:
    """The MIP over the ``keep`` options, from the plan in hand; that plan when it finds no better."""
    options = run.alive & run.matrix.integer  # decisions, not shortfalls
    run.say(words.checking, int((keep & options).sum()), int(options.sum()))
    final = run.solve(keep, plan, limit=run.left(), watch=run.watcher(lowest))
    if not final.has_plan or run.aim.cost @ final.x > run.aim.cost @ plan:
        final = Outcome(final.termination, plan, final.bound)  # keep the plan in hand
    return final


def _result(run: AimSolve, lp: Outcome, final: Outcome, lowest: float) -> AimResult:
    return AimResult(run.judge(final, lowest), final.x, run.alive & _worth_keeping(lp, final.x, run.aim, lowest),
                     run.matrix)


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
        rows = [(cols, values, -math.inf, most) for cols, values, most in cuts]
        tighter = replace(run, matrix=run.matrix.with_rows(rows, ROUNDING_CUT))
        columns = np.maximum(plan, lp.x > 0)  # a start for an LP is the columns it begins with
        again = tighter.solve(None, columns, limit=deadline - time.perf_counter(), relax=True)
        if again.termination != Termination.OPTIMAL:
            break
        run, lp = tighter, again
        run.bound_is(lp.bound)
    return run, lp


def _tiled(run: AimSolve, lp: Outcome, plan: np.ndarray | None) -> np.ndarray | None:
    """A plan ``optimizer.solve.tiling`` reads off the LP that meets every row, or None.

    The tiling sees only the rows each (council, service) is in once, not the targets, so it can
    leave a council further short than the plan in hand and break the shortfall an earlier aim
    keeps. The partnerships of councils short in the plan in hand are kept from the start; each
    council the tiling leaves further short has its partnerships kept in the next round.
    """
    model, deadline = run.model, time.perf_counter() + run.left(run.options.tiling_share)
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
            run.plan_is(x)
            return x
        worse = (model.shortfall(x) > short_before + FEASIBILITY) & ~kept
        if plan is None or not worse.any() or time.perf_counter() >= deadline:
            return None
        kept |= worse
    return None


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
