"""Partner suggestions (SPEC.md section 7): for a council, every candidate partnership containing
it, ranked by the best plan that includes it, the top N per service.

The best plan with partnership j is the model re-solved with j's column held at 1, proven aim by aim
like the plan. Re-solving every candidate is the exact answer but slow at scale, so candidates are
re-solved in order of a lower bound on their plan, and one whose bound is already worse than the
N-th exact answer found (``ref``) is left out: it cannot enter the top N.

The bound, aim by aim: an LP of aim k over every plan whose earlier aims are within their ties of
``ref``'s values, solved once, bounds every column j at once: any such plan with x_j = 1 costs at
least LP_k + max(0, reduced cost of j). Candidate j is certainly worse than ``ref`` when, for some k,
its bound on aim k exceeds ref's value by more than the tie while on every earlier aim its bound is
no better than ref's by more than the tie: any plan of j not worse than ``ref`` would then tie it on
those earlier aims, so be a plan of LP_k, and cost more than that bound. An LP solved for an earlier,
worse ``ref`` is looser and still a valid bound. The optimal plan's own partnerships need no
re-solve: their best plan is the optimal plan.
"""

from __future__ import annotations

import functools
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from optimizer.model.build import TIE
from optimizer.model.families import AIM_TIE
from optimizer.negotiate.resolve import Solved, column_of
from optimizer.negotiate.tasks import run_tasks
from optimizer.plan import Plan
from optimizer.solve.backends import backend_for
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.status import WITH_PLAN, RunStatus, Termination
from optimizer.tolerances import FEASIBILITY

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
    solved_exactly: int  # of them, re-solved with the partnership required

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


def _required(task: tuple[Solved, int, SolveOptions]) -> Plan | None:
    """The best plan with candidate ``group`` required; None when no plan can include it.

    A function of one picklable task, so the executor may run it in another process."""
    solved, group, options = task
    column = column_of(solved.model, group)
    matrix = solved.model.matrix
    matrix = replace(matrix, lower=np.where(np.arange(matrix.n_cols) == column, 1.0, matrix.lower))
    # a restriction of the plan's program: what the plan's solve proved bounds it (floors)
    solution = solved.resolve(matrix, options, start=_start_with(solved, matrix, column),
                              floors=solved.solution.stages)
    return solved.plan_of(solution) if solution.status in WITH_PLAN else None


def _start_with(solved: Solved, matrix, column: int) -> np.ndarray | None:
    """The optimal plan with ``column``'s partnership in, and whatever covered its members' service
    out; None when that breaks a row (a cap, a hard target)."""
    model = solved.model
    decided = solved.decisions()
    m = model.members
    mine = m.col == column
    covers = np.isin(m.council * len(model.services) + m.service,
                     m.council[mine] * len(model.services) + m.service[mine])
    decided[m.col[covers & (m.col < model.n_decisions)]] = 0.0
    decided[column] = 1.0
    start = model.complete(np.append(decided, np.zeros(model.n_cols - len(decided))))
    return start if matrix.violation(start) <= FEASIBILITY else None


class Bounds:
    """Lower bounds, aim by aim, on the best plan containing each column (see the module's docstring)."""

    def __init__(self, solved: Solved, options: SolveOptions):
        self.solved, self.options = solved, options
        self.model = solved.model
        self.backend = backend_for(solved.inputs.settings.solver)
        self.folder = tempfile.TemporaryDirectory(prefix="consolidate-partners-")
        self.cache: dict[int, list[tuple[tuple[float, ...], tuple[float, np.ndarray] | None]]] = {}

    def aim_bound(self, k: int, ref: dict[str, float] | None) -> tuple[float, np.ndarray] | None:
        """(LP bound, reduced costs) of aim k over the plans within the ties of ``ref`` on the aims
        before k; None when the LP is not solved. An LP already solved with every earlier aim held
        at least as loosely is a relaxation of this one, so its bound serves."""
        aims = self.model.aims
        held = tuple(ref[a.name] + a.tie for a in aims[:k])
        for looser, result in self.cache.get(k, []):
            if all(a >= b for a, b in zip(looser, held)):
                return result
        matrix = self.model.matrix
        rows = [(np.flatnonzero(a.cost), a.cost[np.flatnonzero(a.cost)], -math.inf, most) for a, most in zip(aims, held)]
        if rows:
            matrix = matrix.with_rows(rows, AIM_TIE)
        aim = aims[k]
        lp = self.backend(matrix, aim.cost, limit=self.solved.inputs.settings.time_limit_s, gap=0.0, tie=aim.tie,
                          log=Path(self.folder.name) / "lp.log", start=None, relax=True, watch=None,
                          options=self.options)
        ok = lp.termination == Termination.OPTIMAL and lp.reduced_costs is not None
        result = (float(lp.bound), np.maximum(lp.reduced_costs, 0.0)) if ok else None
        self.cache.setdefault(k, []).append((held, result))
        return result

    def worse(self, group: int, ref: dict[str, float]) -> bool:
        """Whether every plan containing ``group`` is certainly worse than ``ref``."""
        column = column_of(self.model, group)
        for k, aim in enumerate(self.model.aims):
            bound = self.aim_bound(k, ref)
            if bound is None:
                return False
            lowest = bound[0] + bound[1][column]
            if lowest > ref[aim.name] + aim.tie:
                return True
            if lowest < ref[aim.name] - aim.tie:
                return False  # it could be better on this aim
        return False

    def first(self, group: int) -> float:
        """The bound on the first aim alone: the order in which candidates are re-solved."""
        bound = self.aim_bound(0, {})
        return -math.inf if bound is None else bound[0] + bound[1][column_of(self.model, group)]


def suggest_partners(solved: Solved, council: str, services: list[str], top: int = 5,
                     options: SolveOptions = DEFAULT, progress: Callable[[str], None] = lambda _: None,
                     workers: int | None = None, scheduler: str | None = None) -> Suggestions:
    """The top ``top`` partnerships of ``council`` per service of ``services`` (SPEC.md section 7)."""
    groups = solved.candidates.partnerships
    in_best = set(solved.solution.partnerships)
    mine = {s: [j for j, g in enumerate(groups) if g.service == s and council in g.members] for s in services}
    total = sum(map(len, mine.values()))
    best = solved.plan
    exact: dict[int, Plan | None] = {j: best for j in in_best if groups[j].members and council in groups[j].members}
    bounds = Bounds(solved, options) if solved.model is not None and best.status in WITH_PLAN else None
    rows: list[Suggestion] = []

    def suggestion(j: int) -> Suggestion:
        g = groups[j]
        return Suggestion(j, g.service, g.members, g.annual_saving, j in in_best, exact[j])

    for service in services:
        pending = sorted(mine[service], key=lambda j: (bounds.first(j) if bounds else 0.0, groups[j].members))
        if best.status == RunStatus.INFEASIBLE:  # a restriction of an infeasible workbook is infeasible
            exact.update({j: None for j in pending})
        while True:
            found = ranked([suggestion(j) for j in mine[service] if j in exact])
            feasible = [s for s in found if s.plan is not None]
            ref = aim_values(feasible[top - 1].plan) if len(feasible) >= top else None
            left = [j for j in pending if j not in exact
                    and not (ref is not None and bounds is not None and bounds.worse(j, ref))]
            if not left:
                break
            batch = left[: max(1, top - len(feasible), workers or 1)]
            progress(f"{service}: re-solving {len(batch)} of the {len(left)} partnerships that could still make "
                     f"the top {top}")
            plans = run_tasks(_required, [(solved, j, options) for j in batch], workers=workers, scheduler=scheduler)
            exact.update(zip(batch, plans))
        found = ranked([suggestion(j) for j in mine[service] if j in exact])
        feasible = [s for s in found if s.plan is not None]
        rows += feasible[:top] + ([s for s in found if s.plan is None] if len(feasible) < top else [])
    solved_exactly = sum(1 for j in exact if j not in in_best and any(j in m for m in mine.values())
                         and best.status != RunStatus.INFEASIBLE)
    return Suggestions(council, best, tuple(services), tuple(rows), total, solved_exactly)
