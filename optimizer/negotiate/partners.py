"""Partner suggestions (SPEC.md section 7): for a council, every candidate partnership containing
it, ranked by the best plan that includes it, the top N per service.

The best plan with partnership j is the model re-solved with j required. Re-solving every candidate
is exact but slow at scale (the West Midlands: a minute or more each). Instead, per service, with R
the council's candidates not yet ranked: the best plan containing one of R (the row "sum of x over R
= 1": the council is in at most one partnership of the service) contains some j of R, and is the
best plan with j, since every plan with j is a plan of that program; so each solve ranks the next
candidate exactly. Once the top N are found, one more solve whose plan is worse than the N-th
(beyond the ties) proves that none of R can enter the top; an infeasible one, that none of R is in
any plan. Each program restricts the one before (R only shrinks), so each solve keeps what the
last one proved (``solve_model``'s floors) and starts from its plan. Per service that is N + 1
solves (more where plans tie), whatever the number of candidates; the services are independent and
may run in parallel.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from optimizer.model.build import TIE
from optimizer.negotiate.resolve import Solved, column_of, decision_vector
from optimizer.negotiate.tasks import run_tasks
from optimizer.plan import Plan
from optimizer.solve.geography import council_distances
from optimizer.solve.driver import solve_model
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Solution
from optimizer.status import WITH_PLAN, RunStatus
from optimizer.tolerances import FEASIBILITY, chosen, within_tie_or_gap

ONE_OF = "one_of"  # the family of the row "the plan holds one of these partnerships"

AIMS = ("shortfall", "impact", "net_benefit")


def aim_values(plan: Plan) -> dict[str, float]:
    """A plan's value on each aim, as the model minimises it (net benefit negated)."""
    return {"shortfall": plan.total_shortfall, "impact": plan.total_impact, "net_benefit": -plan.net_benefit}


@dataclass(frozen=True)
class Suggestion:
    """One candidate partnership of the council, and the best plan that includes it (None: infeasible)."""

    group: int  # index into candidates.partnerships
    service: str
    councils: tuple[str, ...]
    annual_saving: float
    in_optimal_plan: bool
    plan: Plan | None

    @property
    def status(self) -> str:
        return RunStatus.INFEASIBLE if self.plan is None else self.plan.status

    def row(self, best: Plan) -> dict[str, object]:
        """The columns of the ``Partners`` sheet."""
        plan = self.plan
        figures = {"total_shortfall": None, "total_impact": None, "net_benefit": None, "extra_shortfall": None,
                   "extra_impact": None, "lost_net_benefit": None}
        if plan is not None:
            figures = {"total_shortfall": plan.total_shortfall, "total_impact": plan.total_impact,
                       "net_benefit": plan.net_benefit,
                       "extra_shortfall": plan.total_shortfall - best.total_shortfall,
                       "extra_impact": plan.total_impact - best.total_impact,
                       "lost_net_benefit": best.net_benefit - plan.net_benefit}
        return {"service": self.service, "councils": "; ".join(self.councils), "partners": len(self.councils),
                "annual_saving": self.annual_saving, "in_optimal_plan": "yes" if self.in_optimal_plan else "no",
                **figures, "status": self.status}


PARTNER_COLUMNS = ("service", "councils", "partners", "annual_saving", "in_optimal_plan", "total_shortfall",
                   "total_impact", "net_benefit", "extra_shortfall", "extra_impact", "lost_net_benefit", "status")


@dataclass(frozen=True)
class Suggestions:
    council: str
    best: Plan
    services: tuple[str, ...]  # the services ranked
    rows: tuple[Suggestion, ...]  # per service in that order: the top N, then any infeasible
    candidates: int  # candidate partnerships of the council in those services
    solved_exactly: int  # re-solves it took (each ranks one exactly, or proves the rest out)
    # services whose ranking rests on a re-solve short of proof (the time limit): their rows are the
    # best plans found, and a partnership not listed could still belong in the top
    unproven: tuple[str, ...] = ()

    @property
    def share_solved(self) -> float:
        return self.solved_exactly / self.candidates if self.candidates else 0.0


def _compare(a: Suggestion, b: Suggestion) -> int:
    """Section 2's order on the plans, each aim tied within its tolerance, then the partnership's own
    annual saving (larger first), then the members' names."""
    for aim in AIMS:
        x, y = aim_values(a.plan)[aim], aim_values(b.plan)[aim]
        if abs(x - y) > TIE[aim]:
            return -1 if x < y else 1
    if abs(a.annual_saving - b.annual_saving) > TIE["saving"]:
        return -1 if a.annual_saving > b.annual_saving else 1
    return -1 if a.councils < b.councils else 1 if a.councils > b.councils else 0


def ranked(found: list[Suggestion]) -> list[Suggestion]:
    """Those with a plan in section 2's order, then the infeasible by saving and names."""
    feasible = sorted((s for s in found if s.plan is not None), key=functools.cmp_to_key(_compare))
    infeasible = sorted((s for s in found if s.plan is None), key=lambda s: (-s.annual_saving, s.councils))
    return feasible + infeasible


def _one_of(solved: Solved, columns: list[int], matrix, last: Solution, options: SolveOptions):
    """The best plan holding one of ``columns`` (None when none can be in a plan), and its solution.
    ``last`` is the solve of the program this one restricts: its bounds hold here, and its plan is
    the one to start from."""
    matrix = matrix.with_row(np.array(columns), np.ones(len(columns)), 1.0, 1.0, ONE_OF)
    start = _start_with(solved, matrix, columns, last, options)
    solution = solved.resolve(matrix, options, start=start, floors=last.stages)
    return (solved.plan_of(solution) if solution.status in WITH_PLAN else None), solution


def _start_with(solved: Solved, matrix, columns: list[int], last: Solution, options: SolveOptions) -> np.ndarray | None:
    """A plan holding one of ``columns`` to start from: ``last``'s plan with the first of them that
    fits in, nearest the council's own group there first (``_nearest_first``), its service regrouped
    at best around it (``_regrouped``); None when none fits. ``last``'s plan ties the bounds this
    solve starts with, and a partnership like the one it holds often leaves a plan as good."""
    decided = solved.decisions(last)
    for column in _nearest_first(solved.model, columns, decided)[:10]:  # the start only speeds the solve
        start = _swapped_in(solved, column, decided)
        if matrix.violation(start) <= FEASIBILITY:
            return _regrouped(solved, matrix, column, start, last.stages, options, decided)
    return None


def _nearest_first(model, columns: list[int], decided: np.ndarray) -> list[int]:
    """``columns`` (a council's partnerships in one service), those sharing most members with the
    council's group of the service in the plan ``decided`` first, then those nearest its size."""
    m, cols = model.members, np.asarray(columns)
    position = np.full(model.n_cols, -1)
    position[cols] = np.arange(len(cols))
    ours = position[m.col] >= 0
    everywhere = np.bincount(m.council[ours], minlength=len(model.inputs.councils)) == len(cols)  # the council
    held = (m.service == m.service[ours][0]) & everywhere[m.council] & (m.col < model.n_decisions)
    in_group = np.isin(m.col, m.col[held][chosen(decided[m.col[held]])])
    mates = np.isin(m.council, m.council[in_group])
    common = np.bincount(position[m.col[ours & mates]], minlength=len(cols))
    size = np.bincount(position[m.col[ours]], minlength=len(cols))
    order = np.lexsort((np.abs(size - in_group.sum()), -common))
    return cols[order].tolist()


def _swapped_in(solved: Solved, column: int, decided: np.ndarray | None = None) -> np.ndarray:
    """The plan ``decided`` (0/1 decisions; None: the optimal plan's) with ``column`` in, and whatever
    covered its members' service out."""
    model, m = solved.model, solved.model.members
    n_services = len(model.services)
    decided = (solved.decisions() if decided is None else decided).copy()
    mine = m.col == column
    covers = np.isin(m.council * n_services + m.service, m.council[mine] * n_services + m.service[mine])
    decided[m.col[covers & (m.col < model.n_decisions)]] = 0.0
    decided[column] = 1.0
    return model.complete(np.append(decided, np.zeros(model.n_cols - len(decided))))


def _regrouped(solved: Solved, matrix, column: int, start: np.ndarray, floors, options: SolveOptions,
               decided: np.ndarray | None = None) -> np.ndarray:
    """``start`` (``_swapped_in``) improved where the swap broke groups up: the aims solved again over
    the decisions of the column's service among a set of councils, every other decision held as in
    the plan so far. The set starts as the members of the groups the swap broke (in the plan
    ``decided``, 0/1 decisions; None: the optimal plan's), and each round about doubles it with the
    councils nearest to it that could join any of its members, and their groups (``_wider``), until
    the plan ties ``floors`` (the bounds a solve of a less restricted program proved: nothing is then
    left to solve, see ``floor_proves``), the set holds the whole service, or the rounds have used
    ``options.quick_share`` of the run's time limit, all of them together: the start is a first plan,
    like the quick MIP's. A saving depends on the group's size, not on who is in it, so regrouped
    members often tie the optimal plan to the pound. Each round solves a restriction of the program:
    its plan is a plan of the program, never worse than the round before."""
    model, m = solved.model, solved.model.members
    n = model.n_decisions
    in_service = (m.service == m.service[m.col == column][0]) & (m.col < n)
    entries = np.bincount(m.col, minlength=model.n_cols)
    decided = solved.decisions() if decided is None else decided
    councils = _group_mates(m, in_service, m.council[m.col == column], decided)
    distance = council_distances(model)
    deadline = time.perf_counter() + model.inputs.settings.time_limit_s * options.quick_share
    plan = start
    while time.perf_counter() < deadline:
        inside = np.bincount(m.col[in_service & np.isin(m.council, councils)], minlength=model.n_cols)
        area = (entries > 0) & (inside == entries)
        better = _solved_in(solved, matrix, plan, area, deadline, options)
        if better is not None and _lexicographically_better(model, better, plan):
            plan = better
        if _ties(model, plan, floors, model.inputs.settings.mip_gap):
            return plan
        wider = _wider(m, in_service, councils, plan[:n], distance)
        if len(wider) == len(councils):
            return plan
        councils = wider
    return plan


def _group_mates(m, in_service: np.ndarray, councils: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """``councils`` and their partners in the plan ``decided``'s groups of the service."""
    ours = m.col[in_service & np.isin(m.council, councils)]
    held = np.unique(ours[chosen(decided[ours])])
    return np.union1d(councils, m.council[np.isin(m.col, held)])


def _wider(m, in_service: np.ndarray, councils: np.ndarray, decided: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """``councils`` and as many again of those nearest them that are in a candidate of the service
    with one of them, and the new ones' partners in ``decided``'s groups: areas that double keep
    each round's MIP small while a cascade of regroupings stays near where it began."""
    joinable = np.unique(m.council[np.isin(m.col, m.col[in_service & np.isin(m.council, councils)])])
    near = np.setdiff1d(joinable, councils)
    if not len(near):
        return councils
    closest = near[np.argsort(distance[np.ix_(near, councils)].min(axis=1), kind="stable")[:len(councils)]]
    return _group_mates(m, in_service, np.union1d(councils, closest), decided)


def _solved_in(solved: Solved, matrix, plan: np.ndarray, area: np.ndarray, deadline: float,
               options: SolveOptions) -> np.ndarray | None:
    """The aims over the ``area`` decisions, every other decision held as in ``plan``, until
    ``deadline``; None without a plan."""
    model = solved.model
    decision = np.arange(model.n_cols) < model.n_decisions
    held = ~area & decision & chosen(plan)
    limit = model.inputs.settings.override(time_limit_s=deadline - time.perf_counter())
    small = replace(model, matrix=replace(matrix, lower=np.where(held, 1.0, matrix.lower)),
                    inputs=model.inputs.with_settings(limit))
    solution = solve_model(small, options=options, start=plan, alive=area | held | ~decision)
    if solution.status not in WITH_PLAN:
        return None
    return model.complete(np.append(decision_vector(model, solution), np.zeros(model.n_cols - model.n_decisions)))


def _lexicographically_better(model, a: np.ndarray, b: np.ndarray) -> bool:
    """Is plan ``a`` better than ``b`` in section 2's order, each aim tied within its tie?"""
    for aim in model.aims:
        x, y = float(aim.cost @ a), float(aim.cost @ b)
        if abs(x - y) > aim.tie:
            return x < y
    return False


def _ties(model, plan: np.ndarray, floors, gap: float) -> bool:
    """Is ``plan`` within each aim's tie or gap of the bounds ``floors`` proved?"""
    if not floors or len(floors) < len(model.aims):
        return False
    return all(stage.bound is not None and within_tie_or_gap(float(aim.cost @ plan), aim.sign * stage.bound, aim.tie, gap)
               for aim, stage in zip(model.aims, floors))


def rank_service(task: tuple[Solved, str, list[int], int, SolveOptions]) -> tuple[list[tuple[int, Plan | None]], int, bool]:
    """One service's top ``top`` (see the module's docstring): ([(group, best plan with it or None)],
    re-solves, proven). Proven: every re-solve was, so the top is exact and the rest are out; a
    re-solve short of proof ranks a plan found, not the best, and cannot prove the rest out. A
    function of one picklable task, so the executor may run it in another process."""
    solved, service, groups, top, options = task
    best = solved.plan
    if best.status == RunStatus.INFEASIBLE:  # a restriction of an infeasible workbook is infeasible
        return [(j, None) for j in groups], 0, True
    found = [(j, best) for j in groups if j in set(solved.solution.partnerships)]
    left = [j for j in groups if j not in set(solved.solution.partnerships)]
    matrix, last, solves = solved.model.matrix, solved.solution, 0
    proven = best.status == RunStatus.OPTIMAL
    while left:
        plan, solution = _one_of(solved, [column_of(solved.model, j) for j in left], matrix, last, options)
        solves += 1
        proven &= solution.status in (RunStatus.OPTIMAL, RunStatus.INFEASIBLE)
        if plan is None:
            if solution.status == RunStatus.INFEASIBLE:
                found += [(j, None) for j in left]  # proven: none of them is in any plan
            break
        chosen = next(j for j in solution.partnerships if j in set(left))
        ranked_plans = ranked([_suggestion(solved, j, p) for j, p in found if p is not None])
        if len(ranked_plans) >= top and _compare(_suggestion(solved, chosen, plan), ranked_plans[top - 1]) > 0 \
                and _worse_beyond_ties(plan, ranked_plans[top - 1].plan):
            break  # the best of the rest is worse than the N-th: none of them enters the top
        found.append((chosen, plan))
        left.remove(chosen)
        last = solution
        ranked_plans = ranked([_suggestion(solved, j, p) for j, p in found if p is not None])
        if len(ranked_plans) >= top:
            # the rest are no better than this plan, which ties the N-th or beats it: one of them can
            # enter only on a tie, and a tie goes to the larger saving
            nth = ranked_plans[top - 1].annual_saving
            left = [j for j in left if solved.candidates.partnerships[j].annual_saving >= nth - TIE["saving"]]
    return found, solves, proven


def _worse_beyond_ties(plan: Plan, than: Plan) -> bool:
    """Worse on some aim beyond its tie, every earlier aim tied: no tie-break can put it ahead, and
    every plan of the rest is at least as bad."""
    for aim in AIMS:
        x, y = aim_values(plan)[aim], aim_values(than)[aim]
        if abs(x - y) > TIE[aim]:
            return x > y
    return False


def _suggestion(solved: Solved, j: int, plan: Plan | None) -> Suggestion:
    g = solved.candidates.partnerships[j]
    return Suggestion(j, g.service, g.members, g.annual_saving, j in set(solved.solution.partnerships), plan)


def shareable_services(inputs, council: str) -> list[str]:
    """The services ``council`` delivers that may be shared and have a savings curve: those ranked
    when no ``--service`` is given."""
    curve = {t.service for t in inputs.sharing}
    return [s.service for s in inputs.services if s.council == council and s.shareable and s.service in curve]


def suggest_partners(solved: Solved, council: str, services: list[str], top: int = 5,
                     options: SolveOptions = DEFAULT, progress: Callable[[str], None] = lambda _: None,
                     workers: int | None = None, scheduler: str | None = None) -> Suggestions:
    """The top ``top`` partnerships of ``council`` per service of ``services`` (SPEC.md section 7)."""
    groups = solved.candidates.partnerships
    mine = {s: [j for j, g in enumerate(groups) if g.service == s and council in g.members] for s in services}
    total = sum(map(len, mine.values()))
    ranking = [s for s in services if mine[s]]
    if solved.model is None or not ranking:
        return Suggestions(council, solved.plan, tuple(services), (), total, 0)
    progress(f"ranking {total:,} partnerships of {council} in {len(ranking)} service{'s' if len(ranking) != 1 else ''}")
    results = run_tasks(rank_service, [(solved, s, mine[s], top, options) for s in ranking], workers=workers,
                        scheduler=scheduler)
    rows: list[Suggestion] = []
    for found, _, _ in results:
        listed = ranked([_suggestion(solved, j, plan) for j, plan in found])
        feasible = [s for s in listed if s.plan is not None]
        rows += feasible[:top] + ([s for s in listed if s.plan is None] if len(feasible) < top else [])
    unproven = tuple(s for s, (_, _, proven) in zip(ranking, results) if not proven)
    return Suggestions(council, solved.plan, tuple(services), tuple(rows), total, sum(n for _, n, _ in results),
                       unproven)
