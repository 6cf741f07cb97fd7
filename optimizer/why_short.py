"""Why a council is left short of its target (soft targets): what limits it, read off the inputs and the plan.

Three questions, in turn, each answered from figures, never guessed:
1. Could it meet the target at all? The most it could save is each of its services in its own best
   option (a candidate partnership or a reduction), as if no other council or cap stood in the way.
   Below the target, what holds its services back is named: a service no partner shares, no partner
   within the distance limit, partnerships no larger than the councils that deliver the service, the
   payback limit.
2. Its own caps: max_shared_services, max_partners or max_staff_reduction_pct used up in the plan.
3. What stops each option that would save it more: a partner whose service the plan puts in another
   partnership or reduction, or whose caps the option would break; its own caps the option would
   break; a one-off cost above what the investment budget has left; or partners that the end of its
   present partnership would leave short of their own targets.
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
    staff: float = 0.0  # FTE this use removes from the council


@dataclass(frozen=True)
class Option:
    """A candidate partnership or reduction for one (council, service), as a better plan might use it."""

    saving: float  # the council's saving from it
    members: tuple[str, ...]  # () for a reduction
    one_off: float  # the whole group's (or the reduction's) one-off cost
    staff: dict[str, float]  # FTE it removes from each member

    def words(self, service: str) -> str:
        return f"a partnership for {service}" if self.members else f"a cut to {service}"


class Shortfalls:
    """The plan as seen from each council: its options, what it uses, what its caps allow."""

    def __init__(self, inputs: Inputs, candidates: Candidates, partnerships, reductions, councils=()) -> None:
        self.inputs = inputs
        # how much each council saves beyond its target (inf without one): what it could give up
        self.slack = {c.council: math.inf if c.target is None else c.total_saving - c.target for c in councils}
        # (council, service) -> every candidate it could use there
        self.options: dict[tuple[str, str], list[Option]] = defaultdict(list)
        for group in candidates.partnerships:
            staff = dict(zip(group.members, group.staff))
            for council, saving in zip(group.members, group.saving):
                self.options[(council, group.service)].append(Option(saving, group.members, group.one_off_cost, staff))
        for r in candidates.reductions:
            row = inputs.service_row[(r.council, r.service)]
            self.options[(r.council, r.service)].append(Option(r.reduction_pct * row.annual_cost, (), r.one_off_cost,
                                                               {r.council: r.reduction_pct * row.fte}))
        self.use: dict[tuple[str, str], Use] = {}
        self.partners: dict[str, set[str]] = defaultdict(set)
        self.staff: dict[str, float] = defaultdict(float)
        for line in partnerships:
            for council, saving, _, staff in line.members:
                self.use[(council, line.service)] = Use(line.councils, saving, staff=staff)
                self.partners[council] |= set(line.councils) - {council}
                self.staff[council] += staff
        for line in reductions:
            self.use[(line.council, line.service)] = Use((), line.annual_saving, True, line.staff_reduction_fte)
            self.staff[line.council] += line.staff_reduction_fte
        self.one_off = math.fsum(line.one_off_cost for line in partnerships) + math.fsum(
            line.one_off_cost for line in reductions)

    def services(self, council: str) -> list[str]:
        return [s.service for s in self.inputs.services if s.council == council]

    def best(self, council: str, service: str) -> float:
        return max((option.saving for option in self.options[(council, service)]), default=0.0)

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
        now = max((o.saving for o in self.options[(council, service)] if o.members), default=0.0) / row.annual_cost
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

    def caps_exceeded(self, council: str, service: str, option: Option) -> list[str]:
        """Which of ``council``'s caps ``option`` would break, in place of its present use of ``service``."""
        body, broken = self.inputs.council[council], []
        use = self.use.get((council, service), Use())
        if option.members and not use.members and body.max_shared_services is not None and \
                self.shared_count(council) + 1 > body.max_shared_services:
            broken.append("max_shared_services")
        if option.members and body.max_partners is not None:
            others = {m for (c, s), u in self.use.items() if c == council and s != service for m in u.members}
            if len((others | set(option.members)) - {council}) > body.max_partners:
                broken.append("max_partners")
        fte = self.inputs.council_fte[council]
        if body.max_staff_reduction_pct is not None and \
                self.staff[council] - use.staff + option.staff.get(council, 0.0) > body.max_staff_reduction_pct * fte + MET:
            broken.append("max_staff_reduction_pct")
        return broken

    # 3. what stops its better options: its partners' commitments, caps, the investment budget ----------

    def stopped(self, council: str) -> list[str]:
        """For each service, what stops the options that would save it more, the largest gain first."""
        found = []
        for service in self.services(council):
            current = self.use.get((council, service), Use()).saving
            better = sorted((o for o in self.options[(council, service)] if o.saving > current + MET),
                            key=lambda o: -o.saving)
            for option in better:
                why = self.stopper(council, service, option, option.saving - current)
                if why:
                    found.append((option.saving - current, why))
                    break
        return [text for _, text in sorted(found, key=lambda item: -item[0])[:2]]

    def stopper(self, council: str, service: str, option: Option, more: float) -> str | None:
        what = f"{option.words(service)} ({pounds(more)} a year more)"
        partners = [m for m in option.members if m != council]
        committed = [m for m in partners if self.committed(m, service, council)]
        capped = {m: self.caps_exceeded(m, service, option) for m in partners if m not in committed}
        capped = {m: caps for m, caps in capped.items() if caps}
        if committed or capped:
            why = []
            if committed:
                where = "another partnership or reduction" if len(committed) == 1 else "other partnerships or reductions"
                why.append(f"{listed(committed)}, whose {service} the plan puts in {where}")
            if capped:
                caps = sorted({cap for found in capped.values() for cap in found})
                why.append(f"{listed(list(capped))}, whose own caps it would break ({', '.join(caps)})")
            return f"its partners' other commitments: {what} would need {' and '.join(why)}"
        own = self.caps_exceeded(council, service, option)
        if own:
            return f"its own cap {' and '.join(own)}: {what} would break it"
        left = self.budget_left()
        if left is not None and option.one_off > left + 1.0:
            return (f"the investment budget: {what} would cost {pounds(option.one_off)} once, and "
                    f"{pounds(max(0.0, left))} of the {pounds(self.inputs.settings.investment_budget)} budget is left")
        return self.others_short(council, service, option, what)

    def others_short(self, council: str, service: str, option: Option, what: str) -> str | None:
        """A better option that takes it out of its partnership: the partners it would leave short."""
        use = self.use.get((council, service), Use())
        staying = [m for m in use.members if m != council and m not in option.members]
        short = [m for m in staying if self.use[(m, service)].saving > self.slack.get(m, math.inf) + MET]
        if not short:
            return None
        return (f"its partners' own targets: {what} would end its partnership with {listed(short)}, leaving "
                f"{'it' if len(short) == 1 else 'them'} short of {'its' if len(short) == 1 else 'their'} own target")

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
            parts += [why for why in self.stopped(council) if why.split(":")[0] not in {p.split(":")[0] for p in parts}]
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
    seen = Shortfalls(inputs, candidates, partnerships, reductions, councils)
    return {c.council: seen.reason(c.council, c.target) for c in short}
