"""The plan: the chosen partnerships and reductions, and the figures a reader checks.

Every figure is recomputed here from the inputs and the choices, never read from the solver's
objective, so the workbook's arithmetic is the plan's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optimizer.model.candidates import Candidates, payback_years
from optimizer.money import MoneyOverTime, YearFlow
from optimizer.solve.results import Solution, StageResult
from optimizer.status import WITH_PLAN, RunStatus
from optimizer.why_short import why_short
from optimizer.workbook.inputs import Inputs

MET = 0.01  # a target is met when the shortfall is within a penny (float noise, not money)


@dataclass(frozen=True)
class PartnershipLine:
    partnership: str
    service: str
    councils: tuple[str, ...]
    annual_saving: float
    one_off_cost: float
    staff_reduction_fte: float
    members: tuple[tuple[str, float, float, float], ...]  # (council, saving, one-off, staff)

    @property
    def payback_years(self) -> float:
        return payback_years(self.one_off_cost, self.annual_saving)


@dataclass(frozen=True)
class ReductionLine:
    council: str
    service: str
    reduction_pct: float
    annual_saving: float
    one_off_cost: float
    impact: float  # the SPEC's: the impact column plus each objective's weight x score
    staff_reduction_fte: float
    scores: tuple[float, ...] = ()  # harm to each of Inputs.objectives, in their order
    column_impact: float | None = None  # the impact column alone; None: the same as impact

    @property
    def own_impact(self) -> float:
        """The reduction's own impact, before the objectives' weighted scores are added."""
        return self.impact if self.column_impact is None else self.column_impact


@dataclass(frozen=True)
class CouncilLine:
    council: str
    target: float | None
    saving_from_sharing: float
    saving_from_reductions: float
    staff_reduction_fte: float
    one_off_cost: float

    @property
    def total_saving(self) -> float:
        return self.saving_from_sharing + self.saving_from_reductions

    @property
    def shortfall(self) -> float:
        return max(0.0, (self.target or 0.0) - self.total_saving)

    @property
    def target_met(self) -> bool | None:
        return None if self.target is None else self.shortfall <= MET


@dataclass(frozen=True)
class Diagnosis:
    """Why no plan meets every hard requirement: one finding per line, with the figures behind it."""

    subject: str  # a council, a partnership, or a cap
    finding: str  # plain English, e.g. "target £2.1m; the most it can save is £1.4m"
    target: float | None = None
    most_achievable: float | None = None

    @property
    def shortfall(self) -> float | None:
        if self.target is None or self.most_achievable is None:
            return None
        return max(0.0, self.target - self.most_achievable)


EARLY_SHARE = 0.9  # a run ending before this share of its time limit ended for want of anything to try
MONEY = ("total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall")  # £ in the Summary


@dataclass(frozen=True)
class Plan:
    inputs: Inputs
    status: str
    gap: float
    solver: str
    solve_seconds: float
    partnerships: tuple[PartnershipLine, ...] = ()
    reductions: tuple[ReductionLine, ...] = ()
    councils: tuple[CouncilLine, ...] = ()
    stages: tuple[StageResult, ...] = ()
    candidate_count: int = 0
    log_tail: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    diagnosis: tuple[Diagnosis, ...] = ()  # filled when the run is infeasible
    why_short: tuple[tuple[str, str], ...] = ()  # (council, why it is left short): optimizer.why_short

    def reason_short(self, council: str) -> str:
        return dict(self.why_short).get(council, "")

    @property
    def has_plan(self) -> bool:
        return self.status in WITH_PLAN

    @property
    def stopped_early(self) -> bool:
        """Not proven, yet stopped well inside the time limit: the search had nothing left to try
        and the problem is too large for a proof, so more time would not prove more (England
        stops at 260 s of 600)."""
        return self.status == RunStatus.FEASIBLE and self.solve_seconds < EARLY_SHARE * self.inputs.settings.time_limit_s

    @property
    def total_annual_saving(self) -> float:
        return math.fsum(c.total_saving for c in self.councils)

    @property
    def total_one_off_cost(self) -> float:
        return math.fsum(c.one_off_cost for c in self.councils)

    @property
    def money(self) -> MoneyOverTime:
        return MoneyOverTime.of(self.inputs.settings)

    @property
    def net_benefit(self) -> float:
        return self.money.net_benefit(self.total_annual_saving, self.total_one_off_cost)

    def cash_flow(self, council: str | None = None) -> list[YearFlow]:
        """The plan's cash flow year by year (one council's with ``council``): its present values add
        up to the net benefit."""
        lines = [c for c in self.councils if council is None or c.council == council]
        return self.money.cash_flow(math.fsum(c.total_saving for c in lines), math.fsum(c.one_off_cost for c in lines))

    @property
    def total_shortfall(self) -> float:
        return math.fsum(c.shortfall for c in self.councils)

    @property
    def total_impact(self) -> float:
        return math.fsum(r.impact for r in self.reductions)

    @property
    def councils_meeting_target(self) -> int:
        return sum(1 for c in self.councils if c.target_met)

    def summary(self, pence: bool = False) -> dict[str, object]:
        """The Summary sheet's rows (SPEC.md section 3), in order; figures are blank without a plan.

        With ``pence``, money is rounded to pounds and pence, as ``--json`` prints it: sums of
        shares carry float noise (14244398.799999997). The sheet keeps the exact sums its
        formulas recalculate to.
        """
        figures = self.has_plan
        summary = {
            "status": self.status,
            "gap": self.gap if figures else None,
            "total_annual_saving": self.total_annual_saving if figures else None,
            "total_one_off_cost": self.total_one_off_cost if figures else None,
            "net_benefit": self.net_benefit if figures else None,
            "total_shortfall": self.total_shortfall if figures else None,
            "total_impact": self.total_impact if figures else None,
            "councils_meeting_target": self.councils_meeting_target if figures else None,
            "solver": self.solver,
            "solve_seconds": round(self.solve_seconds, 3),
            "input_sha256": self.inputs.source_sha256,
        }
        if pence and figures:
            summary.update({metric: round(summary[metric], 2) for metric in MONEY})
        return summary


def _partnership_line(group) -> PartnershipLine:
    return PartnershipLine(
        group.label,
        group.service,
        group.members,
        group.annual_saving,
        group.one_off_cost,
        group.staff_reduction,
        tuple(zip(group.members, group.saving, group.one_off, group.staff)),
    )


def _reduction_line(inputs: Inputs, option) -> ReductionLine:
    row = inputs.service_row[(option.council, option.service)]
    return ReductionLine(
        option.council,
        option.service,
        option.reduction_pct,
        option.reduction_pct * row.annual_cost,
        option.one_off_cost,
        option.impact,
        option.reduction_pct * row.fte,
        tuple(option.scores),
        option.column_impact,
    )


def _council_lines(inputs: Inputs, partnerships, reductions) -> tuple[CouncilLine, ...]:
    sharing = {c.name: [] for c in inputs.councils}
    reducing = {c.name: [] for c in inputs.councils}
    staff = {c.name: [] for c in inputs.councils}
    one_off = {c.name: [] for c in inputs.councils}
    for line in partnerships:
        for council, saving, cost, fte in line.members:
            sharing[council].append(saving)
            one_off[council].append(cost)
            staff[council].append(fte)
    for line in reductions:
        reducing[line.council].append(line.annual_saving)
        one_off[line.council].append(line.one_off_cost)
        staff[line.council].append(line.staff_reduction_fte)
    return tuple(
        CouncilLine(
            c.name,
            c.target,
            math.fsum(sharing[c.name]),
            math.fsum(reducing[c.name]),
            math.fsum(staff[c.name]),
            math.fsum(one_off[c.name]),
        )
        for c in inputs.councils
    )


def make_plan(inputs: Inputs, candidates: Candidates, solution: Solution, notes=(), diagnosis=()) -> Plan:
    partnerships = tuple(
        sorted(
            (_partnership_line(candidates.partnerships[i]) for i in solution.partnerships),
            key=lambda p: (p.service, p.councils),
        )
    )
    reductions = tuple(_reduction_line(inputs, candidates.reductions[j]) for j in solution.reductions)
    councils = _council_lines(inputs, partnerships, reductions)
    reasons = why_short(inputs, candidates, partnerships, reductions, councils) if solution.status in WITH_PLAN else {}
    return Plan(
        inputs,
        solution.status,
        solution.gap,
        solution.solver,
        solution.seconds,
        partnerships,
        reductions,
        councils,
        tuple(solution.stages),
        len(candidates.partnerships),
        tuple(solution.log_tail),
        tuple(notes),
        tuple(diagnosis),
        tuple(reasons.items()),
    )
