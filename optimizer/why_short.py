"""Why a council is left short of its target (soft targets): what limits it, read off the inputs and the plan.

Three questions, in turn, each answered from figures, never guessed:
1. Could it meet the target at all? The most it could save is each of its services in its own best
   option (a candidate partnership or a reduction), as if no other council or cap stood in the way.
   Below the target, what holds its services back is named: a service no partner shares, no partner
   within the distance limit, partnerships no larger than the councils that deliver the service, the
   payback limit.
2. Its own caps: max_shared_services, max_partners or max_staff_reduction_pct used up in the plan.
3. Its partners' other commitments: an option that would save it more needs a council whose service
   is already in another partnership or reduction of the plan, or whose own caps are used up, or that
   costs more once than the investment budget has left.
When none of these applies, the plan's first aim says why: the least total shortfall over all
councils, which helping this one would raise.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from optimizer.model.candidates import Candidates, pays_back
from optimizer.workbook.inputs import Inputs

MET = 0.01  # as optimizer.plan: within a penny
RATE_NOISE = 1e-9
LISTED = 3  # services or partners named in one reason, the rest counted


def pounds(amount: float) -> str:
    return f"£{amount / 1e6:,.1f} m" if abs(amount) >= 1e6 else f"£{amount:,.0f}"


def listed(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) > LISTED:
        return ", ".join(names[:LISTED]) + f" and {len(names) - LISTED} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


DISTANCE = "distance: no partner within "


def merged_distances(phrases: list[str]) -> list[str]:
    """One "distance:" phrase for every limit: "within 25 km for A; within 50 km for B"."""
    far = [p.removeprefix(DISTANCE) for p in phrases if p.startswith(DISTANCE)]
    rest = [p for p in phrases if not p.startswith(DISTANCE)]
    return rest[:1] + ([DISTANCE + "; within ".join(far)] if far else []) + rest[1:] if far else phrases


@dataclass(frozen=True)
class Use:
    """How the plan uses one (council, service): the partnership (its members) or a reduction."""

    members: tuple[str, ...] = ()
    saving: float = 0.0
    reduced: bool = False


class Shortfalls:
    """The plan as seen from each council: its options, what it uses, what its caps allow."""

    def __init__(self, inputs: Inputs, candidates: Candidates, partnerships, reductions) -> None:
        self.inputs = inputs
        # (council, service) -> (its saving, the members, the group's one-off cost) of each candidate
        self.options: dict[tuple[str, str], list[tuple[float, tuple[str, ...], float]]] = defaultdict(list)
        for group in candidates.partnerships:
            for council, saving in zip(group.members, group.saving):
                self.options[(council, group.service)].append((saving, group.members, group.one_off_cost))
        self.reductions: dict[tuple[str, str], float] = defaultdict(float)
        for r in candidates.reductions:
            cost = inputs.service_row[(r.council, r.service)].annual_cost
            self.reductions[(r.council, r.service)] = max(self.reductions[(r.council, r.service)], r.reduction_pct * cost)
        self.use: dict[tuple[str, str], Use] = {}
        self.partners: dict[str, set[str]] = defaultdict(set)
        self.staff: dict[str, float] = defaultdict(float)
        for line in partnerships:
            for council, saving, _, staff in line.members:
                self.use[(council, line.service)] = Use(line.councils, saving)
                self.partners[council] |= set(line.councils) - {council}
                self.staff[council] += staff
        for line in reductions:
            self.use[(line.council, line.service)] = Use((), line.annual_saving, True)
            self.staff[line.council] += line.staff_reduction_fte
        self.one_off = math.fsum(line.one_off_cost for line in partnerships) + math.fsum(
            line.one_off_cost for line in reductions)

    def services(self, council: str) -> list[str]:
        return [s.service for s in self.inputs.services if s.council == council]

    def best(self, council: str, service: str) -> float:
        shared = max((saving for saving, _, _ in self.options[(council, service)]), default=0.0)
        return max(shared, self.reductions.get((council, service), 0.0))

    def shared_count(self, council: str) -> int:
        return sum(1 for (c, _), use in self.use.items() if c == council and use.members)

    # 1. what its own options allow --------------------------------------------------------------

    def held_back(self, council: str) -> list[str]:
        """What keeps its services from bigger savings: one phrase per kind of limit."""
        kinds: dict[str, list[str]] = defaultdict(list)
        closed, spend = [], 0.0
        for service in self.services(council):
            row = self.inputs.service_row[(council, service)]
            if self.best(council, service) <= 0 and row.annual_cost > 0 and not self.curve_for(row):
                closed.append(service)
                spend += row.annual_cost
                continue
            kind = self.limit_of(council, service)
            if kind:
                kinds[kind].append(service)
        phrases = merged_distances([phrase.format(services=listed(services)) for phrase, services in kinds.items()])
        if closed:  # first: usually most of a county's spending (social care, schools)
            phrases.insert(0, f"{pounds(spend)} a year of its spending is in services it cannot share or cut: "
                              f"{listed(closed)}")
        return phrases

    def curve_for(self, row) -> bool:
        """Whether the service could be shared at all: shareable, with a savings curve."""
        return row.shareable and any(s == row.service for s, _ in self.inputs.terms)

    def limit_of(self, council: str, service: str) -> str | None:
        inputs, row = self.inputs, self.inputs.service_row[(council, service)]
        curve = [t for (s, _), t in inputs.terms.items() if s == service]
        if not self.curve_for(row) or row.annual_cost <= 0:
            return None  # not for sharing: the council's own choice, or nothing to save
        deliver = [c for c in inputs.councils
                   if (r := inputs.service_row.get((c.name, service))) and r.shareable]
        if len(deliver) < 2:
            return "no other council delivers {services} to share"
        now = max((saving for saving, _, _ in self.options[(council, service)]), default=0.0) / row.annual_cost
        formable = [t for t in curve if t.partners <= len(deliver)]
        better = [t for t in formable if t.saving_pct > now + RATE_NOISE]
        if better:
            limit = inputs.settings.max_payback_years
            if all(not pays_back(t.one_off_pct, t.saving_pct, limit) for t in better):
                return f"the payback limit ({limit:g} years) rules out the larger partnerships for {{services}}"
            if any(t.max_distance_km is not None for t in better):
                reach = min(t.max_distance_km for t in better if t.max_distance_km is not None)
                return (f"distance: too few partners within {reach:g} km for a larger partnership in {{services}}"
                        if now > 0 else f"distance: no partner within {reach:g} km for {{services}}")
            return "rules or body types keep partners apart in {services}"
        if max(t.saving_pct for t in curve) > max((t.saving_pct for t in formable), default=0.0) + RATE_NOISE:
            return "partnership sizes: too few councils deliver {services} for the larger groups of the savings curve"
        return None

    # 2. its own caps -------------------------------------------------------------------------------

    def own_caps(self, council: str) -> list[str]:
        body, caps = self.inputs.council[council], []
        shared = self.shared_count(council)
        if body.max_shared_services is not None and shared >= body.max_shared_services:
            caps.append(f"its own cap max_shared_services: it may share {body.max_shared_services} of its services "
                        f"and shares {shared}")
        partners = len(self.partners[council])
        if body.max_partners is not None and partners >= body.max_partners:
            caps.append(f"its own cap max_partners: it may have {body.max_partners} partners and has {partners}")
        fte = self.inputs.council_fte[council]
        if body.max_staff_reduction_pct is not None and fte > 0 and \
                self.staff[council] >= body.max_staff_reduction_pct * fte - MET:
            caps.append(f"its own cap max_staff_reduction_pct ({body.max_staff_reduction_pct:.0%} of its staff) "
                        "is used up")
        return caps

    def caps_full(self, council: str, service: str) -> list[str]:
        """Which of ``council``'s caps stop it taking on ``service`` with new partners."""
        body, full = self.inputs.council[council], []
        if body.max_shared_services is not None and self.shared_count(council) >= body.max_shared_services:
            full.append("max_shared_services")
        if body.max_partners is not None and len(self.partners[council]) >= body.max_partners:
            full.append("max_partners")
        return full

    # 3. its partners' commitments, and the investment budget ---------------------------------------

    def commitments(self, council: str) -> list[str]:
        """Its better options whose partners the plan has committed elsewhere, the largest gain first."""
        found = []
        for service in self.services(council):
            current = self.use.get((council, service), Use()).saving
            for saving, members, one_off in sorted(self.options[(council, service)], reverse=True):
                if saving <= current + MET:
                    break
                left = self.budget_left()
                if left is not None and one_off > left + 1.0:
                    found.append((saving - current, f"the investment budget: a partnership for {service} "
                                                    f"({pounds(saving - current)} a year more) would cost "
                                                    f"{pounds(one_off)} once, and {pounds(max(0.0, left))} of the "
                                                    f"{pounds(self.inputs.settings.investment_budget)} budget is left"))
                    break
                committed = [m for m in members if m != council and self.committed(m, service, council)]
                capped = [m for m in members if m != council and m not in committed and self.caps_full(m, service)]
                if committed or capped:
                    found.append((saving - current, self.blocked(service, saving - current, committed, capped)))
                    break
        return [text for _, text in sorted(found, key=lambda item: -item[0])[:2]]

    def blocked(self, service: str, more: float, committed: list[str], capped: list[str]) -> str:
        why = []
        if committed:
            where = "another partnership or reduction" if len(committed) == 1 else "other partnerships or reductions"
            why.append(f"{listed(committed)}, whose {service} the plan puts in {where}")
        if capped:
            caps = sorted({cap for m in capped for cap in self.caps_full(m, service)})
            why.append(f"{listed(capped)}, whose own caps are used up ({', '.join(caps)})")
        return (f"its partners' other commitments: a partnership for {service} ({pounds(more)} a year more) would "
                f"need {' and '.join(why)}")

    def committed(self, partner: str, service: str, council: str) -> bool:
        """Whether the plan puts ``partner``'s ``service`` in a partnership without ``council``, or a reduction."""
        use = self.use.get((partner, service))
        return use is not None and council not in use.members

    def budget_left(self) -> float | None:
        budget = self.inputs.settings.investment_budget
        return None if budget is None else budget - self.one_off

    def budget_spent(self) -> str | None:
        budget = self.inputs.settings.investment_budget
        if budget is not None and self.one_off >= budget - 1.0:
            return f"the investment budget of {pounds(budget)} is spent ({pounds(self.one_off)} one-off)"
        return None

    # the reason ------------------------------------------------------------------------------------

    def reason(self, council: str, target: float) -> str:
        most = math.fsum(self.best(council, service) for service in self.services(council))
        parts = []
        if most < target - MET:
            held = self.held_back(council) or ["the savings curve's rates and its reductions allow no more"]
            parts.append(f"it cannot reach its target: at most {pounds(most)} a year even with every service in its "
                         f"best possible partnership or reduction ({'; '.join(held)})")
        parts += self.own_caps(council)
        if most >= target - MET:
            parts += self.commitments(council)
            spent = self.budget_spent()
            if spent and not any(part.startswith("the investment budget") for part in parts):
                parts.append(spent)
            if not parts:
                parts.append("the plan leaves the least total shortfall over all councils: meeting this target "
                             "would leave others further short")
        return "; ".join(parts)


def why_short(inputs: Inputs, candidates: Candidates, partnerships, reductions, councils) -> dict[str, str]:
    """Council -> why it is left short, for every council short of its target by more than a penny."""
    short = [c for c in councils if c.target is not None and c.shortfall > MET]
    if not short:
        return {}
    seen = Shortfalls(inputs, candidates, partnerships, reductions)
    return {c.council: seen.reason(c.council, c.target) for c in short}
