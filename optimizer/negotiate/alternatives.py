"""Alternative plans for the negotiation (SPEC.md section 6).

Alternative i is the best plan, in the order of section 2, among those whose decisions differ in at
least D from the optimal plan's and from alternatives 1 … i-1's. A plan's decisions are a 0/1
vector x over the decision columns (``optimizer.negotiate.resolve``); it differs from an earlier
plan p in at least D decisions exactly when

    sum over p's chosen columns of (1 - x) + sum over the others of x >= D,

one linear row per earlier plan (a "no-good" cut). Every plan meeting those rows is a plan of the
workbook, and every plan differing by D is in them, so the model with the rows added, solved aim by
aim like the plan itself, is alternative i, proven to ``mip_gap`` like any plan. When the rows leave
no plan, fewer than K alternatives exist and the solver has proved it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from optimizer.plan import Plan
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.status import WITH_PLAN, RunStatus
from optimizer.tolerances import FEASIBILITY

if TYPE_CHECKING:  # the plan workbook reads Alternatives without loading a solver
    from optimizer.negotiate.resolve import Solved

NO_GOOD = "no_good"  # the family of the rows that keep an alternative apart from an earlier plan


@dataclass(frozen=True)
class Alternatives:
    """The optimal plan and its alternatives, with why there are fewer than asked for."""

    best: Plan
    plans: tuple[Plan, ...]
    asked: int
    differ: int
    # None: as many as asked; "none_left": proven that no other plan differs enough;
    # otherwise the status of the re-solve that found no plan (e.g. no_solution in the time limit)
    short_because: str | None = None

    @property
    def fewer_said(self) -> str | None:
        """In plain words, why there are fewer alternatives than asked for (None when there are not)."""
        if self.short_because is None:
            return None
        found = f"{len(self.plans)} of the {self.asked} alternatives asked for"
        if self.short_because == "none_left":
            return (f"{found}: no other plan differs from {'these' if self.plans else 'the best'} in at least "
                    f"{self.differ} decision{'s' if self.differ != 1 else ''} (proven)")
        if self.short_because == "no_best":
            return f"no alternatives: there is no plan ({self.best.status}) to find alternatives to"
        return f"{found}: the next one's solve ended {self.short_because} without a plan"


def no_good_row(decided: np.ndarray, differ: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The row "differ from ``decided`` (0/1 over the decision columns) in at least ``differ`` decisions",
    as (columns, values, lower, upper): sum of the unchosen minus sum of the chosen >= differ - |chosen|."""
    chosen = decided > 0.5
    values = np.where(chosen, -1.0, 1.0)
    return np.arange(len(decided)), values, float(differ - chosen.sum()), math.inf


def find_alternatives(solved: Solved, asked: int, differ: int = 1, options: SolveOptions = DEFAULT,
                      progress: Callable[[str], None] = lambda _: None) -> Alternatives:
    """Alternatives 1 … ``asked`` to ``solved``'s plan, each differing in at least ``differ`` decisions
    from it and every earlier one; fewer when fewer exist or a re-solve finds no plan."""
    best = solved.plan
    if best.status not in WITH_PLAN:
        return Alternatives(best, (), asked, differ, "no_best" if asked else None)
    if solved.model is None:  # nothing to choose: the empty plan is the only one
        return Alternatives(best, (), asked, differ, "none_left" if asked else None)
    matrix, decided, plans = solved.model.matrix, [solved.decisions()], []
    stages = solved.solution.stages
    for i in range(asked):
        matrix = matrix.with_row(*no_good_row(decided[-1], differ), NO_GOOD)
        progress(f"alternative {i + 1} of {asked}: the best plan differing in at least {differ} decisions from "
                 f"{'the best' if i == 0 else f'the best and alternatives 1-{i}'}")
        # each alternative's program restricts the one before: what that proved still holds
        solution = solved.resolve(matrix, options, progress, start=_start(solved, matrix, decided[-1], differ),
                                  floors=stages)
        if solution.status not in WITH_PLAN:
            reason = "none_left" if solution.status == RunStatus.INFEASIBLE else solution.status
            return Alternatives(best, tuple(plans), asked, differ, reason)
        plans.append(solved.plan_of(solution))
        decided.append(solved.decisions(solution))
        stages = solution.stages
    return Alternatives(best, tuple(plans), asked, differ)


def _start(solved: Solved, matrix, decided: np.ndarray, differ: int) -> np.ndarray | None:
    """A plan to start from: the previous plan without the ``differ`` decisions whose loss costs
    least, aim by aim (a plan differing in them, and meeting every cap, since dropping a decision only
    frees); None when it breaks a row (a hard target, a required partnership, an older no-good)."""
    model = solved.model
    x = model.complete(np.append(decided, np.zeros(model.n_cols - len(decided))))
    held = np.flatnonzero((decided > 0.5) & (matrix.lower[: len(decided)] < 0.5))
    if len(held) < differ:
        return None
    m = model.members
    mine = np.isin(m.col, held)
    saving = model.saving(x)[m.council[mine]]
    target = model.targets[m.council[mine]]
    more_short = np.maximum(0.0, target - saving + m.saving[mine]) - np.maximum(0.0, target - saving)
    loss = {"shortfall": np.bincount(m.col[mine], weights=more_short, minlength=model.n_cols)[held]}
    keys = [loss[a.name] if a.name in loss else -a.cost[held] for a in reversed(model.aims)]
    dropped = held[np.lexsort(keys)[:differ]]
    decisions = x.copy()
    decisions[dropped] = 0.0
    start = model.complete(decisions)
    return start if matrix.violation(start) <= FEASIBILITY else None


# --------------------------------------------------------------------------------------------------
# What the workbook, --json and the terminal show
# --------------------------------------------------------------------------------------------------

ALTERNATIVE_COLUMNS = ("plan", "status", "gap", "total_shortfall", "total_impact", "net_benefit",
                       "total_annual_saving", "total_one_off_cost", "councils_meeting_target", "extra_shortfall",
                       "extra_impact", "lost_net_benefit")


def plan_name(i: int) -> str:
    """``best`` for the optimal plan (0), ``alternative i`` for the others."""
    return "best" if i == 0 else f"alternative {i}"


def alternative_rows(alternatives: Alternatives) -> list[dict[str, object]]:
    """One row per plan, the best first: the columns of the ``Alternatives`` sheet."""
    best = alternatives.best
    rows = []
    for i, plan in enumerate((best, *alternatives.plans)):
        if not plan.has_plan:  # an infeasible best: its status alone
            rows.append({column: plan.status if column == "status" else None for column in ALTERNATIVE_COLUMNS}
                        | {"plan": plan_name(i)})
            continue
        rows.append({
            "plan": plan_name(i), "status": plan.status, "gap": plan.gap,
            "total_shortfall": plan.total_shortfall, "total_impact": plan.total_impact,
            "net_benefit": plan.net_benefit, "total_annual_saving": plan.total_annual_saving,
            "total_one_off_cost": plan.total_one_off_cost, "councils_meeting_target": plan.councils_meeting_target,
            "extra_shortfall": plan.total_shortfall - best.total_shortfall,
            "extra_impact": plan.total_impact - best.total_impact,
            "lost_net_benefit": best.net_benefit - plan.net_benefit,
        })
    return rows


@dataclass(frozen=True)
class Change:
    """A decision of an alternative not in the best plan (``added``) or of the best not in it (``dropped``)."""

    plan: str
    change: str  # added, dropped
    kind: str  # partnership, reduction
    service: str
    councils: str  # the members joined by "; ", or the council of a reduction
    reduction_pct: float | None = None


def _decisions_of(plan: Plan) -> dict[tuple, tuple[str, str, str, float | None]]:
    keys = {("partnership", p.service, p.councils): ("partnership", p.service, "; ".join(p.councils), None)
            for p in plan.partnerships}
    keys.update({("reduction", r.service, r.council, r.reduction_pct): ("reduction", r.service, r.council, r.reduction_pct)
                 for r in plan.reductions})
    return keys


def changes(alternatives: Alternatives) -> list[Change]:
    """The rows of ``Alternative decisions``: each alternative's decisions against the best's."""
    best = _decisions_of(alternatives.best)
    rows = []
    for i, plan in enumerate(alternatives.plans, start=1):
        mine = _decisions_of(plan)
        for word, keys, source in (("added", mine.keys() - best.keys(), mine), ("dropped", best.keys() - mine.keys(), best)):
            rows += [Change(plan_name(i), word, *source[key]) for key in sorted(keys, key=str)]
    return rows


def json_rows(alternatives: Alternatives) -> list[dict[str, object]]:
    """``--json``'s ``alternatives``: the Alternatives rows of the alternatives (not the best), money to the penny."""
    money = {"total_shortfall", "net_benefit", "total_annual_saving", "total_one_off_cost", "extra_shortfall",
             "lost_net_benefit"}
    return [{k: round(v, 2) if k in money else v for k, v in row.items()} for row in alternative_rows(alternatives)[1:]]
