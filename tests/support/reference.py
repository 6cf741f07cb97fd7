"""Exhaustive-enumeration reference for the shared-services model (SPEC sections 1-2).

Written from the spec alone, independently of the `optimizer` package, so tests can prove the optimiser's plan
is the true lexicographic optimum on small instances. It trades speed for obviousness: every valid plan is
enumerated (vectorised with numpy, pruned on the monotone caps) and compared aim by aim.

Input is the "sheets" form used by `tests/instances.py`: sheet name -> list of row dicts keyed by the spec's
canonical snake_case column names, values plain Python (str, int, float, bool, None = blank).

Conventions (each a single constant below, so a disagreement with the spec's reading is a one-line change):
- MONEY_TIE: two plans tie on shortfall (and on net benefit) when within £1 (SPEC section 2).
- IMPACT_TIE: two plans tie on impact when within 1e-6 (SPEC section 2).
- TARGET_TOL: a hard target counts as met when saving >= target - £0.01; the same £0.01 decides `target_met`.
- BUDGET_TOL / STAFF_TOL: float slack on the investment budget (£0.01) and staff caps (1e-6 FTE).
- UNTARGETED_COUNT_AS_MEETING: whether councils without a target count in `councils_meeting_target` (they do not).
- A payback limit is broken only when payback is strictly greater than `max_payback_years` ("exceeds").
- Money over time: F and G exactly as SPEC section 2 writes them; a horizon that is not a whole number of years
  counts its last year by the part of it inside the horizon (so that with the defaults F is the horizon).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np

EARTH_RADIUS_KM = 6371.0088
DEFAULT_HORIZON_YEARS = 5.0

MONEY_TIE = 1.0
IMPACT_TIE = 1e-6
TARGET_TOL = 0.01
BUDGET_TOL = 0.01
STAFF_TOL = 1e-6
PCT_MATCH_TOL = 1e-9
UNTARGETED_COUNT_AS_MEETING = False  # only councils with a target count (the optimiser reports "X of Y councils with a target")

_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


# --------------------------------------------------------------------------------------------------------------
# Cell parsing: lenient enough that sheets read back from a workbook (strings, ints) work as well as generated ones.
# --------------------------------------------------------------------------------------------------------------

def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _num(value, default=None):
    return default if _blank(value) else float(value)


def _text(value):
    return None if _blank(value) else str(value).strip()


def _yes(value, default: bool) -> bool:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a yes/no value: {value!r}")
    word = str(value).strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def _sheet(sheets: dict, name: str) -> list[dict]:
    """Rows of a sheet, matched ignoring case/spaces as the spec does; fully blank rows skipped."""
    for key, rows in sheets.items():
        if key.strip().lower() == name.lower():
            return [r for r in rows or [] if not all(_blank(v) for v in r.values())]
    return []


def _types(value) -> frozenset | None:
    """A `;`-separated list of body types, lower case (None when blank)."""
    names = frozenset(t.strip().lower() for t in str(value).split(";") if t.strip()) if not _blank(value) else None
    return names or None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points, in km, on the spec's sphere."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def payback_years(one_off: float, saving: float) -> float:
    """One-off over annual saving; no saving with a cost never pays back (inf); nothing over nothing is 0."""
    if saving > 0:
        return one_off / saving
    return 0.0 if one_off <= 0 else math.inf


# --------------------------------------------------------------------------------------------------------------
# The parsed instance
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _ServiceRow:
    cost: float
    fte: float
    statutory: bool
    protected: bool
    shareable: bool


@dataclass(frozen=True)
class _Curve:
    saving_pct: float
    one_off_pct: float
    staff_pct: float
    max_km: float | None
    body_types: frozenset | None = None   # None: any body type


class _Instance:
    """Everything the model needs, parsed once from the sheets."""

    def __init__(self, sheets: dict):
        self._parse_councils(_sheet(sheets, "Councils"))
        self._parse_services(_sheet(sheets, "Services"))
        self._parse_sharing(_sheet(sheets, "Sharing"))
        self._parse_settings(_sheet(sheets, "Settings"))
        self.rules = [(_text(r.get("council_a")), _text(r.get("council_b")), _text(r.get("service")))
                      for r in _sheet(sheets, "Rules")
                      if (_text(r.get("rule")) or "").lower() == "never_together"]
        self.listed_rows = _sheet(sheets, "Partnerships")
        self.reduction_rows = _sheet(sheets, "Reductions")
        self.objectives = {_text(r["objective"]): float(r["weight"]) for r in _sheet(sheets, "Objectives")}

    def _parse_councils(self, rows):
        self.councils = [_text(r["council"]) for r in rows]
        self.cindex = {c: i for i, c in enumerate(self.councils)}
        self.coords, self.target, self.max_staff_pct, self.max_shared = {}, {}, {}, {}
        self.max_partners, self.body_type = {}, {}
        for r in rows:
            c = _text(r["council"])
            self.body_type[c] = (_text(r.get("body_type")) or "council").lower()
            partners = _num(r.get("max_partners"))
            self.max_partners[c] = None if partners is None else int(round(partners))
            lat, lon = _num(r.get("latitude")), _num(r.get("longitude"))
            self.coords[c] = None if lat is None or lon is None else (lat, lon)
            amount, pct = _num(r.get("savings_target")), _num(r.get("savings_target_pct"))
            self.target[c] = amount if amount is not None else (
                pct * float(r["net_budget"]) if pct is not None else None)
            self.max_staff_pct[c] = _num(r.get("max_staff_reduction_pct"))
            cap = _num(r.get("max_shared_services"))
            self.max_shared[c] = None if cap is None else int(round(cap))

    def _parse_services(self, rows):
        self.svc: dict[tuple[str, str], _ServiceRow] = {}
        self.services: list[str] = []
        for r in rows:
            c, s = _text(r["council"]), _text(r["service"])
            self.svc[(c, s)] = _ServiceRow(
                cost=float(r["annual_cost"]), fte=_num(r.get("fte"), 0.0),
                statutory=_yes(r.get("statutory"), False), protected=_yes(r.get("protected"), False),
                shareable=_yes(r.get("shareable"), True))
            if s not in self.services:
                self.services.append(s)
        # The staff cap is a share of the council's FTE over all of its Services rows.
        self.total_fte = {c: sum(row.fte for (cc, _), row in self.svc.items() if cc == c) for c in self.councils}

    def _parse_sharing(self, rows):
        self.sharing: dict[tuple[str, int], _Curve] = {}
        for r in rows:
            saving = float(r["saving_pct"])
            self.sharing[(_text(r["service"]), int(round(float(r["partners"]))))] = _Curve(
                saving_pct=saving, one_off_pct=_num(r.get("one_off_pct"), 0.0),
                staff_pct=_num(r.get("staff_reduction_pct"), saving), max_km=_num(r.get("max_distance_km")),
                body_types=_types(r.get("body_types")))

    def _parse_settings(self, rows):
        values = {(_text(r.get("setting")) or "").lower(): r.get("value") for r in rows}
        self.hard_targets = (_text(values.get("targets")) or "soft").lower() == "hard"
        self.horizon = _num(values.get("horizon_years"), DEFAULT_HORIZON_YEARS)
        self.budget = _num(values.get("investment_budget"))
        self.max_payback = _num(values.get("max_payback_years"))
        r, f = _num(values.get("discount_rate"), 0.0), _num(values.get("first_year_saving_share"), 1.0)
        b, n = _num(values.get("borrowing_rate")), _num(values.get("borrowing_years"))
        self.saving_factor = sum((f if t == 1 else 1.0) * min(1.0, self.horizon - (t - 1)) / (1 + r) ** t
                                 for t in range(1, math.ceil(self.horizon) + 1))
        if b is None:
            self.one_off_factor = 1.0
        else:
            n = int(round(n))
            instalment = 1.0 / n if b == 0 else b / (1 - (1 + b) ** -n)
            self.one_off_factor = instalment * sum(1 / (1 + r) ** t for t in range(1, n + 1))

    def net_benefit(self, saving: float, one_off: float):
        """SPEC section 2's net benefit, F x annual saving - G x one-off cost (arrays or floats)."""
        return self.saving_factor * saving - self.one_off_factor * one_off

    # -- helpers used by the model --------------------------------------------------------------------------
    def staff_cap(self, c: str) -> float | None:
        pct = self.max_staff_pct[c]
        return None if pct is None else pct * self.total_fte[c]

    def target_of(self, c: str) -> float:
        return self.target[c] or 0.0

    def pays_back(self, one_off: float, saving: float) -> bool:
        return self.max_payback is None or payback_years(one_off, saving) <= self.max_payback

    def admits(self, s: str, members: Iterable[str]) -> bool:
        """(f): every member's body type is in the curve row's body_types, when it has them."""
        types = self.sharing[(s, len(frozenset(members)))].body_types
        return types is None or all(self.body_type[c] in types for c in members)

    def shareable_councils(self, s: str) -> list[str]:
        return [c for c in self.councils if (c, s) in self.svc and self.svc[(c, s)].shareable]

    def never_together(self, s: str, members: Iterable[str]) -> bool:
        members = set(members)
        return any(a in members and b in members and rs in (None, s) for a, b, rs in self.rules)

    def within_distance(self, limit_km: float | None, members: Iterable[str]) -> bool:
        if limit_km is None:
            return True
        for a, b in itertools.combinations(sorted(members), 2):
            if self.coords[a] is None or self.coords[b] is None:
                raise ValueError(f"distance limit needs coordinates for {a} and {b}")
            if haversine_km(self.coords[a], self.coords[b]) > limit_km:
                return False
        return True


# --------------------------------------------------------------------------------------------------------------
# Partnerships and reductions
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Group:
    """One partnership that a plan may (or, if required, must) choose, with per-member figures."""
    service: str
    councils: frozenset
    origin: str                    # "curve" (formed by the Sharing curve), "candidate" or "required" (listed)
    name: str | None               # the Partnerships row's name when listed
    saving: dict[str, float]       # annual saving per member
    one_off: dict[str, float]      # one-off cost per member
    staff: dict[str, float]        # FTE lost per member

    @property
    def key(self) -> tuple[str, frozenset]:
        return (self.service, self.councils)

    @property
    def required(self) -> bool:
        return self.origin == "required"

    @property
    def total_saving(self) -> float:
        return sum(self.saving.values())

    @property
    def total_one_off(self) -> float:
        return sum(self.one_off.values())

    @property
    def total_staff(self) -> float:
        return sum(self.staff.values())

    @property
    def payback_years(self) -> float:
        return payback_years(self.total_one_off, self.total_saving)


@dataclass(frozen=True)
class ReductionOption:
    council: str
    service: str
    pct: float
    saving: float
    staff: float
    one_off: float
    impact: float


def _split_by_cost(inst: _Instance, s: str, members: frozenset, total: float) -> dict[str, float]:
    """A listed group's own figure, shared in proportion to annual_cost (equally when nobody spends anything)."""
    costs = {c: inst.svc[(c, s)].cost for c in members}
    spend = sum(costs.values())
    if spend > 0:
        return {c: total * costs[c] / spend for c in members}
    return {c: total / len(members) for c in members}


def _make_group(inst: _Instance, s: str, members: frozenset, origin: str, row: dict | None) -> Group:
    """Figures for a group: a listed row's own figure where given, otherwise the curve for (s, |G|)."""
    curve = inst.sharing.get((s, len(members)))
    row = row or {}

    def figure(column: str, per_member) -> dict[str, float]:
        own = _num(row.get(column))
        if own is not None:
            return _split_by_cost(inst, s, members, own)
        if curve is None:
            raise ValueError(f"{s} {sorted(members)}: blank {column} and no Sharing row for size {len(members)}")
        return {c: per_member(curve, inst.svc[(c, s)]) for c in members}

    return Group(
        service=s, councils=members, origin=origin, name=_text(row.get("partnership")),
        saving=figure("annual_saving", lambda k, r: k.saving_pct * r.cost),
        one_off=figure("one_off_cost", lambda k, r: k.one_off_pct * r.cost),
        staff=figure("staff_reduction_fte", lambda k, r: k.staff_pct * r.fte))


def _listed(inst: _Instance) -> dict[tuple[str, frozenset], dict]:
    listed = {}
    for row in inst.listed_rows:
        members = frozenset(n.strip() for n in str(row["councils"]).split(";") if n.strip())
        listed[(_text(row["service"]), members)] = row
    return listed


def _census(inst: _Instance) -> tuple[list[Group], Counter]:
    """All available partnerships, plus a count of why other sets were not (for coverage tests)."""
    listed = _listed(inst)
    groups, why = [], Counter()
    for s in inst.services:
        eligible = inst.shareable_councils(s)
        for k in sorted(size for (ss, size) in inst.sharing if ss == s):
            for combo in itertools.combinations(eligible, k):
                members = frozenset(combo)
                if (s, members) in listed:          # the listed row defines this (service, set)
                    why["replaced_by_listed"] += 1
                    continue
                reason = _curve_rejection(inst, s, members)
                if reason:
                    why[reason] += 1
                else:
                    groups.append(_make_group(inst, s, members, "curve", None))
    for (s, members), row in listed.items():
        status = _text(row["status"]).lower()
        if status == "excluded":
            why["excluded"] += 1
            continue
        group = _make_group(inst, s, members, status, row)
        if status == "candidate" and not inst.pays_back(group.total_one_off, group.total_saving):
            why["payback_listed"] += 1
            continue
        groups.append(group)
    order = {s: i for i, s in enumerate(inst.services)}
    groups.sort(key=lambda g: (order.get(g.service, len(order)), g.service,
                               sorted(inst.cindex[c] for c in g.councils)))
    return groups, why


def _curve_rejection(inst: _Instance, s: str, members: frozenset) -> str | None:
    """Why the curve does not form this set (None when it does); checks (b)-(d) and (f) of SPEC section 2."""
    if not inst.admits(s, members):
        return "body_type"
    if not inst.within_distance(inst.sharing[(s, len(members))].max_km, members):
        return "distance"
    if inst.never_together(s, members):
        return "never_together"
    group = _make_group(inst, s, members, "curve", None)
    if not inst.pays_back(group.total_one_off, group.total_saving):
        return "payback"
    return None


def candidate_partnerships(sheets: dict) -> list[Group]:
    """Every partnership a plan may choose (required ones included; excluded and failing ones left out)."""
    return _census(_Instance(sheets))[0]


def partnership_census(sheets: dict) -> Counter:
    """How many sets were turned away and why: distance, never_together, payback, payback_listed, excluded..."""
    return _census(_Instance(sheets))[1]


def _reductions(inst: _Instance) -> tuple[list[ReductionOption], int]:
    """Available reduction options, and how many rows the payback limit turned away."""
    options, refused = [], 0
    for r in inst.reduction_rows:
        c, s, pct = _text(r["council"]), _text(r["service"]), float(r["reduction_pct"])
        row = inst.svc[(c, s)]
        option = ReductionOption(c, s, pct, saving=pct * row.cost, staff=pct * row.fte,
                                 one_off=_num(r.get("one_off_cost"), 0.0), impact=_impact(inst, r))
        if inst.pays_back(option.one_off, option.saving):
            options.append(option)
        else:
            refused += 1
    return options, refused


def _impact(inst: _Instance, row: dict) -> float:
    """The impact column (blank = 0 with an Objectives sheet) plus weight x score for each objective, its
    score read from the column headed by the objective's name (blank = 0)."""
    own = _num(row.get("impact"), 0.0 if inst.objectives else None)
    scores = {_canonical(k): v for k, v in row.items()}
    return own + sum(w * _num(scores.get(_canonical(name)), 0.0) for name, w in inst.objectives.items())


def _canonical(header) -> str:
    return "_".join(str(header).strip().lower().replace("_", " ").split())


def reduction_options(sheets: dict) -> list[ReductionOption]:
    """Every Reductions row that the payback limit allows, in sheet order."""
    return _reductions(_Instance(sheets))[0]


# --------------------------------------------------------------------------------------------------------------
# Evaluating one plan
# --------------------------------------------------------------------------------------------------------------

@dataclass
class CouncilResult:
    council: str
    target: float                  # 0 when the council has no target
    has_target: bool
    saving_from_sharing: float
    saving_from_reductions: float
    total_saving: float
    shortfall: float
    target_met: bool
    staff_reduction_fte: float
    one_off_cost: float
    shared_services: int
    partners: int = 0              # distinct other members of all its partnerships


@dataclass
class Evaluation:
    feasible: bool
    reason: str                    # "" when feasible, otherwise every problem found, "; "-joined
    councils: dict[str, CouncilResult]
    total_annual_saving: float
    total_one_off_cost: float
    net_benefit: float
    total_shortfall: float
    total_impact: float
    councils_meeting_target: int


def evaluate(sheets: dict, partnerships: Iterable[tuple[str, Iterable[str]]],
             reductions: Iterable[tuple[str, str, float]]) -> Evaluation:
    """Check a plan and compute its figures.

    `partnerships` are (service, councils) pairs and must each be an available partnership; `reductions` are
    (council, service, reduction_pct) and must each match an available Reductions row. Figures are computed for
    whatever could be matched even when the plan is not valid, so a failing test can show them.
    `councils_meeting_target` counts councils whose shortfall is within TARGET_TOL of 0; councils with no target
    count only while UNTARGETED_COUNT_AS_MEETING is True.
    """
    inst = _Instance(sheets)
    groups = {g.key: g for g in _census(inst)[0]}
    options = _reductions(inst)[0]
    problems: list[str] = []
    claimed: dict[tuple[str, str], str] = {}

    def claim(c: str, s: str, what: str):
        if (c, s) in claimed:
            problems.append(f"({c}, {s}) in both {claimed[(c, s)]} and {what}")
        claimed.setdefault((c, s), what)

    chosen_groups = []
    for s, members in partnerships:
        key = (s, frozenset(members))
        if key not in groups:
            problems.append(f"{s} {sorted(key[1])} is not an available partnership")
            continue
        chosen_groups.append(groups[key])
        for c in key[1]:
            claim(c, s, f"partnership {sorted(key[1])}")
    chosen_options = []
    for c, s, pct in reductions:
        match = [o for o in options if (o.council, o.service) == (c, s) and abs(o.pct - pct) <= PCT_MATCH_TOL]
        if len(match) != 1:
            problems.append(f"reduction ({c}, {s}, {pct}) matches {len(match)} available rows")
            continue
        chosen_options.append(match[0])
        claim(c, s, f"reduction {pct}")
    chosen_keys = {g.key for g in chosen_groups}
    problems += [f"required partnership {g.name or sorted(g.councils)} not chosen"
                 for g in groups.values() if g.required and g.key not in chosen_keys]
    result = _figures(inst, chosen_groups, chosen_options)
    problems += _cap_problems(inst, result)
    result.feasible, result.reason = not problems, "; ".join(problems)
    return result


def _figures(inst: _Instance, groups: list[Group], options: list[ReductionOption]) -> Evaluation:
    acc = {c: Counter() for c in inst.councils}
    partners = {c: set() for c in inst.councils}
    for g in groups:
        for c in g.councils:
            acc[c].update(share=g.saving[c], staff=g.staff[c], one_off=g.one_off[c], shared=1)
            partners[c] |= g.councils - {c}
    for o in options:
        acc[o.council].update(red=o.saving, staff=o.staff, one_off=o.one_off)
    councils = {}
    for c in inst.councils:
        a, target = acc[c], inst.target_of(c)
        total = a["share"] + a["red"]
        shortfall = max(0.0, target - total)
        met = shortfall <= TARGET_TOL and (inst.target[c] is not None or UNTARGETED_COUNT_AS_MEETING)
        councils[c] = CouncilResult(c, target, inst.target[c] is not None, a["share"], a["red"], total, shortfall,
                                    met, a["staff"], a["one_off"], int(a["shared"]), len(partners[c]))
    saving = sum(r.total_saving for r in councils.values())
    one_off = sum(r.one_off_cost for r in councils.values())
    return Evaluation(
        feasible=True, reason="", councils=councils, total_annual_saving=saving, total_one_off_cost=one_off,
        net_benefit=inst.net_benefit(saving, one_off),
        total_shortfall=sum(r.shortfall for r in councils.values()),
        total_impact=sum(o.impact for o in options),
        councils_meeting_target=sum(r.target_met for r in councils.values()))


def _cap_problems(inst: _Instance, ev: Evaluation) -> list[str]:
    problems = []
    for c, r in ev.councils.items():
        cap = inst.staff_cap(c)
        if cap is not None and r.staff_reduction_fte > cap + STAFF_TOL:
            problems.append(f"{c} loses {r.staff_reduction_fte:.6g} FTE, cap {cap:.6g}")
        if inst.max_shared[c] is not None and r.shared_services > inst.max_shared[c]:
            problems.append(f"{c} shares {r.shared_services} services, cap {inst.max_shared[c]}")
        if inst.max_partners[c] is not None and r.partners > inst.max_partners[c]:
            problems.append(f"{c} shares with {r.partners} partners, cap {inst.max_partners[c]}")
        if inst.hard_targets and r.has_target and r.total_saving < r.target - TARGET_TOL:
            problems.append(f"{c} misses its hard target by {r.target - r.total_saving:.2f}")
    if inst.budget is not None and ev.total_one_off_cost > inst.budget + BUDGET_TOL:
        problems.append(f"one-off cost {ev.total_one_off_cost:.2f} exceeds budget {inst.budget:.2f}")
    return problems


# --------------------------------------------------------------------------------------------------------------
# Enumeration
# --------------------------------------------------------------------------------------------------------------

@dataclass
class _ServicePlans:
    """Every way to treat one service (which groups, which reductions), as parallel numpy arrays over plans."""
    service: str
    choices: list[tuple[tuple[Group, ...], tuple[ReductionOption, ...]]]
    share: np.ndarray     # (plans, councils) annual saving from sharing
    red: np.ndarray       # (plans, councils) annual saving from reductions
    staff: np.ndarray     # (plans, councils) FTE lost
    one_off: np.ndarray   # (plans, councils)
    shared: np.ndarray    # (plans, councils) 1 where the council shares this service
    impact: np.ndarray    # (plans,)
    partners: np.ndarray  # (plans, councils) bitmask of the council's partners in this service


def _packings(members: list[str], groups: list[Group]) -> Iterator[tuple[Group, ...]]:
    """Every set of pairwise-disjoint groups. The first undecided council either stays out of every group or
    joins one that avoids all decided councils, so each packing is produced exactly once."""
    def walk(i: int, decided: frozenset, chosen: tuple):
        while i < len(members) and members[i] in decided:
            i += 1
        if i == len(members):
            yield chosen
            return
        c = members[i]
        yield from walk(i + 1, decided | {c}, chosen)
        for g in groups:
            if c in g.councils and not (g.councils & decided):
                yield from walk(i + 1, decided | g.councils, chosen + (g,))
    yield from walk(0, frozenset(), ())


def _service_plans(inst: _Instance, s: str, groups: list[Group], options: list[ReductionOption]) -> _ServicePlans:
    members = [c for c in inst.councils if (c, s) in inst.svc]
    required = {g.key for g in groups if g.required}
    levels = {c: [None] + [o for o in options if o.council == c] for c in members}
    choices = []
    for packing in _packings(members, groups):
        if not required <= {g.key for g in packing}:
            continue
        covered = set().union(*(g.councils for g in packing))
        alone = [c for c in members if c not in covered]
        for pick in itertools.product(*(levels[c] for c in alone)):
            choices.append((packing, tuple(o for o in pick if o is not None)))
    return _arrays(inst, s, choices)


def _arrays(inst: _Instance, s: str, choices) -> _ServicePlans:
    n, m = len(choices), len(inst.councils)
    arr = {k: np.zeros((n, m)) for k in ("share", "red", "staff", "one_off", "shared")}
    impact = np.zeros(n)
    partners = np.zeros((n, m), dtype=np.int64)
    for i, (packing, picks) in enumerate(choices):
        for g in packing:
            bits = sum(1 << inst.cindex[c] for c in g.councils)
            for c in g.councils:
                j = inst.cindex[c]
                partners[i, j] |= bits & ~(1 << j)
                arr["share"][i, j] += g.saving[c]
                arr["staff"][i, j] += g.staff[c]
                arr["one_off"][i, j] += g.one_off[c]
                arr["shared"][i, j] += 1
        for o in picks:
            j = inst.cindex[o.council]
            arr["red"][i, j] += o.saving
            arr["staff"][i, j] += o.staff
            arr["one_off"][i, j] += o.one_off
            impact[i] += o.impact
    return _ServicePlans(s, choices, impact=impact, partners=partners, **arr)


def _all_service_plans(inst: _Instance) -> list[_ServicePlans]:
    groups = _census(inst)[0]
    options = _reductions(inst)[0]
    return [_service_plans(inst, s, [g for g in groups if g.service == s], [o for o in options if o.service == s])
            for s in inst.services]


def plan_space_size(sheets: dict) -> int:
    """Product over services of the ways to treat each: an upper bound on the plans brute_force will look at."""
    return math.prod(len(sp.choices) for sp in _all_service_plans(_Instance(sheets)))


# --------------------------------------------------------------------------------------------------------------
# Brute force and the lexicographic optimum
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Reference:
    feasible: bool
    reason: str                          # why no plan exists, when infeasible
    n_plans: int                         # valid plans (every constraint, hard targets included)
    shortfall: float | None = None       # S*
    impact: float | None = None          # I*
    net_benefit: float | None = None     # N*
    best_partnerships: list[tuple[str, frozenset]] = field(default_factory=list)
    best_reductions: list[tuple[str, str, float]] = field(default_factory=list)
    n_tied_shortfall: int = 0            # |T1|
    n_tied_impact: int = 0               # |T2|
    n_optimal: int = 0                   # plans in T2 whose net is within MONEY_TIE of N*
    pruned: Counter = field(default_factory=Counter)   # partial/complete plans dropped, by constraint

    def is_optimal(self, evaluation, rel_tol: float = 1e-6) -> Verdict:
        """Whether a plan's (total_shortfall, total_impact, net_benefit) is lexicographically optimal:
        shortfall <= S* + £1, impact <= I* + 1e-6, net >= N* - max(£1, rel_tol * |N*|)."""
        if not self.feasible:
            return Verdict(False, f"no valid plan exists ({self.reason})")
        if not getattr(evaluation, "feasible", True):
            return Verdict(False, f"plan is not valid: {evaluation.reason}")
        if evaluation.total_shortfall > self.shortfall + MONEY_TIE:
            return Verdict(False, f"shortfall {evaluation.total_shortfall:.2f} > optimum {self.shortfall:.2f}")
        if evaluation.total_impact > self.impact + IMPACT_TIE:
            return Verdict(False, f"impact {evaluation.total_impact:.6g} > optimum {self.impact:.6g}")
        tol = max(MONEY_TIE, rel_tol * abs(self.net_benefit))
        if evaluation.net_benefit < self.net_benefit - tol:
            return Verdict(False, f"net benefit {evaluation.net_benefit:.2f} < optimum {self.net_benefit:.2f}")
        return Verdict(True)


class _Combined:
    """Plans over the services seen so far: per-council sums plus, per plan, which choice each service took."""

    def __init__(self, n_councils: int):
        self.sums = {k: np.zeros((1, n_councils)) for k in ("share", "red", "staff", "one_off", "shared")}
        self.impact = np.zeros(1)
        self.partners = np.zeros((1, n_councils), dtype=np.int64)
        self.picks = np.zeros((1, 0), dtype=np.int64)

    def extend(self, sp: _ServicePlans):
        n_old, n_new = len(self.impact), len(sp.impact)
        old, new = np.repeat(np.arange(n_old), n_new), np.tile(np.arange(n_new), n_old)
        for k in self.sums:
            self.sums[k] = self.sums[k][old] + getattr(sp, k)[new]
        self.impact = self.impact[old] + sp.impact[new]
        self.partners = self.partners[old] | sp.partners[new]
        self.picks = np.hstack([self.picks[old], new[:, None]])

    def keep(self, mask: np.ndarray):
        for k in self.sums:
            self.sums[k] = self.sums[k][mask]
        self.impact, self.picks, self.partners = self.impact[mask], self.picks[mask], self.partners[mask]


def _cap_vectors(inst: _Instance):
    staff = np.array([inst.staff_cap(c) if inst.staff_cap(c) is not None else np.inf for c in inst.councils])
    shared = np.array([inst.max_shared[c] if inst.max_shared[c] is not None else np.inf for c in inst.councils])
    partners = np.array([inst.max_partners[c] if inst.max_partners[c] is not None else np.inf for c in inst.councils])
    return staff, shared, partners


def _bit_count(masks: np.ndarray) -> np.ndarray:
    """How many bits each mask holds (councils are at most a few dozen)."""
    return sum((masks >> k) & 1 for k in range(63))


def _prune_caps(inst: _Instance, plans: _Combined, pruned: Counter):
    """Staff, shared-service, partner and budget totals only grow as services are added, so a partial plan
    over a cap can never become valid: drop it now."""
    staff_cap, shared_cap, partner_cap = _cap_vectors(inst)
    fails = {
        "staff": (plans.sums["staff"] > staff_cap + STAFF_TOL).any(axis=1),
        "shared": (plans.sums["shared"] > shared_cap).any(axis=1),
        "partners": (_bit_count(plans.partners) > partner_cap).any(axis=1),
        "budget": (plans.sums["one_off"].sum(axis=1) > inst.budget + BUDGET_TOL
                   if inst.budget is not None else np.zeros(len(plans.impact), bool)),
    }
    bad = np.zeros(len(plans.impact), bool)
    for name, mask in fails.items():
        pruned[name] += int(mask.sum())
        bad |= mask
    plans.keep(~bad)


@dataclass
class PlanSpace:
    """Every valid plan (every constraint, hard targets included), as arrays over plans."""
    inst: _Instance
    per_service: list[_ServicePlans]
    plans: _Combined
    shortfall: np.ndarray
    net: np.ndarray
    pruned: Counter


def valid_plans(sheets: dict) -> PlanSpace:
    """Enumerate every valid plan of the instance."""
    inst = _Instance(sheets)
    per_service = _all_service_plans(inst)
    pruned = Counter()
    plans = _Combined(len(inst.councils))
    for sp in per_service:
        if len(sp.choices) == 0:
            pruned["required"] += 1        # required partnerships of this service overlap one another
        plans.extend(sp)
        _prune_caps(inst, plans, pruned)
    target = np.array([inst.target_of(c) for c in inst.councils])
    saving = plans.sums["share"] + plans.sums["red"]
    if inst.hard_targets:
        has_target = np.array([inst.target[c] is not None for c in inst.councils])
        missed = ((saving < target - TARGET_TOL) & has_target).any(axis=1)
        pruned["hard_target"] += int(missed.sum())
        plans.keep(~missed)
        saving = saving[~missed]
    shortfall = np.maximum(0.0, target - saving).sum(axis=1)
    one_off = plans.sums["one_off"].sum(axis=1)
    net = inst.net_benefit(saving.sum(axis=1), one_off) if len(shortfall) else np.zeros(0)
    return PlanSpace(inst, per_service, plans, shortfall, net, pruned)


def brute_force(sheets: dict) -> Reference:
    """Enumerate every valid plan and return the lexicographic optimum (SPEC section 2)."""
    space = valid_plans(sheets)
    if len(space.plans.impact) == 0:
        reason = "required partnerships overlap" if space.pruned["required"] else "no plan meets every constraint"
        return Reference(False, reason, 0, pruned=space.pruned)
    return _select(space.inst, space.per_service, space.plans, space.shortfall, space.net, space.pruned)


def _select(inst, per_service, plans: _Combined, shortfall, net, pruned) -> Reference:
    """Aim by aim, each later aim breaking the ties (within tolerance) of the earlier ones."""
    s_star = shortfall.min()
    t1 = shortfall <= s_star + MONEY_TIE
    i_star = plans.impact[t1].min()
    t2 = t1 & (plans.impact <= i_star + IMPACT_TIE)
    n_star = net[t2].max()
    best = int(np.flatnonzero(t2)[np.argmax(net[t2])])
    groups, reductions = [], []
    for sp, pick in zip(per_service, plans.picks[best]):
        packing, options = sp.choices[pick]
        groups += [g.key for g in packing]
        reductions += [(o.council, o.service, o.pct) for o in options]
    return Reference(
        feasible=True, reason="", n_plans=len(net), shortfall=float(s_star), impact=float(i_star),
        net_benefit=float(n_star), best_partnerships=groups, best_reductions=reductions,
        n_tied_shortfall=int(t1.sum()), n_tied_impact=int(t2.sum()),
        n_optimal=int((t2 & (net >= n_star - MONEY_TIE)).sum()), pruned=pruned)
