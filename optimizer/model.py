"""The mixed-integer model of SPEC.md section 2, as a set-packing problem over enumerated candidates.

One binary per candidate partnership and per reduction option; each (council, service) is covered at
most once. Set packing over enumerated groups is far tighter than assigning councils to hosts (see
SOLVER-NOTES.md: 15-32 % gaps for the hub form where this form solves), and because each member's
saving depends only on the group's size, the group's figures are plain coefficients.

Variable names are indices (``p12``, ``r3``, ``s4``), never council or service names: PuLP rewrites
characters such as ``-``, ``/`` and ``&`` in names, so names built from them could collide.

The three aims of the lexicographic order are kept as separate expressions; ``optimizer.solve``
optimises them in turn.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

from .candidates import Candidates
from .inputs import Inputs

# Two plans tie on an aim when they differ by at most this much (SPEC.md section 2).
TIE = {"shortfall": 1.0, "impact": 1e-6, "net_benefit": 1.0, "saving": 1.0}  # saving: diagnosis only


@dataclass(frozen=True)
class Aim:
    """One aim of the lexicographic order, always as an expression to minimise."""

    name: str
    expression: pulp.LpAffineExpression
    sign: int = 1  # the aim's own value is sign × expression (net benefit is maximised)

    @property
    def tie(self) -> float:
        return TIE[self.name]


@dataclass
class Model:
    inputs: Inputs
    candidates: Candidates
    problem: pulp.LpProblem
    partnership_vars: list[pulp.LpVariable] = field(default_factory=list)
    reduction_vars: list[pulp.LpVariable] = field(default_factory=list)
    shortfall_vars: dict[str, pulp.LpVariable] = field(default_factory=dict)
    aims: list[Aim] = field(default_factory=list)
    # per council: (variable, coefficient) pairs, gathered once and reused by several constraints
    saving_terms: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    staff_terms: dict[str, list] = field(default_factory=lambda: defaultdict(list))

    @property
    def decisions(self) -> list[pulp.LpVariable]:
        return self.partnership_vars + self.reduction_vars


def affine(terms: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """A linear expression from (variable, coefficient) pairs, repeated variables merged.

    ``LpAffineExpression(list)`` keeps only the last coefficient of a repeated variable, and building
    from pairs is about twice as fast as ``lpSum`` of products (PuLP #749).
    """
    merged: dict[pulp.LpVariable, float] = {}
    for var, coef in terms:
        merged[var] = merged.get(var, 0.0) + coef
    return pulp.LpAffineExpression([(v, c) for v, c in merged.items() if c != 0])


def add_row(model: Model, name: str, terms, sense: int, rhs: float) -> None:
    """A row from (variable, coefficient) pairs in which no variable repeats (true of every row here:
    a council is in a group once, and each group or reduction has its own variable)."""
    expression = pulp.LpAffineExpression(terms)
    model.problem.addConstraint(pulp.LpConstraint(expression, sense=sense, rhs=rhs), name=name)


def define_variables(model: Model) -> None:
    """A 0/1 variable per candidate; a required partnership's is fixed at 1.

    Declared as integers in [0, 1] rather than ``LpBinary``, which resets the lower bound to 0.
    """
    for i, group in enumerate(model.candidates.partnerships):
        var = model.problem.add_variable(f"p{i}", 1 if group.required else 0, 1, cat=pulp.LpInteger)
        model.partnership_vars.append(var)
        for council, saving, staff in zip(group.members, group.saving, group.staff):
            model.saving_terms[council].append((var, saving))
            model.staff_terms[council].append((var, staff))
    for j, option in enumerate(model.candidates.reductions):
        var = model.problem.add_variable(f"r{j}", 0, 1, cat=pulp.LpInteger)
        model.reduction_vars.append(var)
        cost = model.inputs.service_row[(option.council, option.service)]
        model.saving_terms[option.council].append((var, option.reduction_pct * cost.annual_cost))
        model.staff_terms[option.council].append((var, option.reduction_pct * cost.fte))


def define_coverage(model: Model) -> None:
    """Each (council, service) is in at most one chosen partnership or one chosen reduction."""
    covering: dict[tuple[str, str], list] = defaultdict(list)
    for var, group in zip(model.partnership_vars, model.candidates.partnerships):
        for council in group.members:
            covering[(council, group.service)].append((var, 1.0))
    for var, option in zip(model.reduction_vars, model.candidates.reductions):
        covering[(option.council, option.service)].append((var, 1.0))
    # A row even for a lone option (its bound says as much): a variable in no row gets its bounds
    # written to CBC's MPS file without a column, which CBC rejects.
    for k, terms in enumerate(covering.values()):
        add_row(model, f"cover{k}", terms, pulp.LpConstraintLE, 1)


def define_staff_caps(model: Model) -> None:
    """Staff removed from a council stays within its ``max_staff_reduction_pct`` of its FTE."""
    for k, council in enumerate(model.inputs.councils):
        terms = model.staff_terms.get(council.name, [])
        if council.max_staff_reduction_pct is None or not terms:
            continue
        cap = council.max_staff_reduction_pct * model.inputs.council_fte[council.name]
        if sum(max(c, 0.0) for _, c in terms) > cap:  # a cap no plan can reach needs no row
            add_row(model, f"staff{k}", terms, pulp.LpConstraintLE, cap)


def define_shared_service_caps(model: Model) -> None:
    """At most ``max_shared_services`` of a council's services go into partnerships."""
    memberships: dict[str, list] = defaultdict(list)
    services: dict[str, set[str]] = defaultdict(set)  # services each council could share at all
    for var, group in zip(model.partnership_vars, model.candidates.partnerships):
        for council in group.members:
            memberships[council].append((var, 1.0))
            services[council].add(group.service)
    for k, council in enumerate(model.inputs.councils):
        cap = council.max_shared_services
        if cap is not None and len(services[council.name]) > cap:  # a cap no plan can reach needs no row
            add_row(model, f"shared{k}", memberships[council.name], pulp.LpConstraintLE, cap)


def _most_councils_used(weights: Sequence[int], sizes: Sequence[int], caps: Sequence[int], councils: int) -> int:
    """max sum(weights[i] * n[i]) over whole n with sum(sizes[i] * n[i]) <= councils and n[i] <= caps[i]."""
    best = np.full(councils + 1, -np.inf)  # best[w]: the most weight with exactly w councils in partnerships
    best[0] = 0
    for weight, size, cap in zip(weights, sizes, caps):
        improved = best.copy()
        for n in range(1, min(cap, councils // size) + 1):
            improved[n * size :] = np.maximum(improved[n * size :], best[: councils + 1 - n * size] + n * weight)
        best = improved
    return int(best.max())


MIN_CUT_STRENGTH = 0.02  # a cut must be this much tighter than the LP; weaker ones cost rows for nothing


def _fractional_most(weights: Sequence[int], sizes: Sequence[int], members: Sequence[int], councils: int) -> float:
    """What the LP relaxation allows for a.n: fill the councils greedily, best weight per council first."""
    room, total = float(councils), 0.0
    for weight, size, m in sorted(zip(weights, sizes, members), key=lambda t: -t[0] / t[1]):
        n = min(m / size, room / size)
        total, room = total + weight * n, room - n * size
    return total


def partnership_count_cuts(sizes: Sequence[int], members: Sequence[int], councils: int, max_coefficient: int = 3):
    """Valid rows ``sum(a[k] * (partnerships of size k)) <= b`` for one service.

    A service's partnerships never share a council, so the numbers n[k] of partnerships of each size
    satisfy sum(k * n[k]) <= councils and n[k] <= members[k] // k (members[k]: councils in any size-k
    group). The LP relaxation ignores that n is whole: 30 councils sit "in 7.5 groups of four". Each
    small whole vector ``a`` gives the row a.n <= max over whole n of a.n, computed exactly here;
    rows already implied by the per-size bounds (or multiples of another row), and rows less than
    MIN_CUT_STRENGTH tighter than the LP relaxation (304 councils are exactly 76 groups of four), are
    left out.
    """
    caps = [m // k for k, m in zip(sizes, members)]
    cuts = []
    for a in itertools.product(range(max_coefficient + 1), repeat=len(sizes)):
        if not any(a) or math.gcd(*a) != 1:
            continue
        single = [i for i, x in enumerate(a) if x]
        if len(single) == 1:  # a per-size bound; the LP already has it when k divides members[k]
            i = single[0]
            if a[i] == 1 and caps[i] < (1 - MIN_CUT_STRENGTH) * members[i] / sizes[i]:
                cuts.append((a, caps[i]))
            continue
        b = _most_councils_used(a, sizes, caps, councils)
        if b < sum(x * cap for x, cap in zip(a, caps)) and b < (1 - MIN_CUT_STRENGTH) * _fractional_most(
            a, sizes, members, councils
        ):
            cuts.append((a, b))
    return cuts


def define_partnership_count_cuts(model: Model) -> None:
    """Rounding cuts on how many partnerships of each size a service can have (see partnership_count_cuts).

    Without them HiGHS left West Midlands' central services at a 0.4 % gap after 120 s; with them it
    proves the optimum in seconds. They remove no whole plan, only fractional ones.
    """
    groups: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    members: dict[str, dict[int, set]] = defaultdict(lambda: defaultdict(set))
    for var, group in zip(model.partnership_vars, model.candidates.partnerships):
        groups[group.service][len(group.members)].append(var)
        members[group.service][len(group.members)].update(group.members)
    for s, (service, by_size) in enumerate(groups.items()):
        if len(by_size) > 4:
            continue  # 4^sizes candidate rows: too many for what they bring
        sizes = sorted(by_size)
        councils = len(set().union(*members[service].values()))
        counts = [len(members[service][k]) for k in sizes]
        for c, (a, b) in enumerate(partnership_count_cuts(sizes, counts, councils)):
            terms = [(var, float(x)) for k, x in zip(sizes, a) if x for var in by_size[k]]
            add_row(model, f"count{s}_{c}", terms, pulp.LpConstraintLE, b)


def one_off_terms(model: Model) -> list:
    terms = [(v, g.one_off_cost) for v, g in zip(model.partnership_vars, model.candidates.partnerships)]
    return terms + [(v, r.one_off_cost) for v, r in zip(model.reduction_vars, model.candidates.reductions)]


def define_investment_budget(model: Model) -> None:
    budget = model.inputs.settings.investment_budget
    if budget is not None:
        add_row(model, "investment", one_off_terms(model), pulp.LpConstraintLE, budget)


def define_targets(model: Model) -> None:
    """saving[c] + shortfall[c] >= target[c]; with hard targets there is no shortfall to take up."""
    hard = model.inputs.settings.targets == "hard"
    for k, council in enumerate(model.inputs.councils):
        if not council.target:
            continue
        terms = list(model.saving_terms.get(council.name, []))
        if not hard:
            shortfall = model.problem.add_variable(f"s{k}", 0)
            model.shortfall_vars[council.name] = shortfall
            terms.append((shortfall, 1.0))
        add_row(model, f"target{k}", terms, pulp.LpConstraintGE, council.target)


def define_aims(model: Model) -> None:
    """Least shortfall, then least impact, then greatest net benefit; aims that cannot vary are left out."""
    if model.shortfall_vars:
        model.aims.append(Aim("shortfall", affine((s, 1.0) for s in model.shortfall_vars.values())))
    impact = [(v, r.impact) for v, r in zip(model.reduction_vars, model.candidates.reductions)]
    if any(c for _, c in impact):
        model.aims.append(Aim("impact", affine(impact)))
    horizon = model.inputs.settings.horizon_years
    savings = [(v, -horizon * g.annual_saving) for v, g in zip(model.partnership_vars, model.candidates.partnerships)]
    savings += [(v, -horizon * s) for v, s in zip(model.reduction_vars, reduction_savings(model))]
    model.aims.append(Aim("net_benefit", affine(savings + one_off_terms(model)), sign=-1))


def reduction_savings(model: Model) -> list[float]:
    rows = model.inputs.service_row
    return [r.reduction_pct * rows[(r.council, r.service)].annual_cost for r in model.candidates.reductions]


DEFINITIONS = (
    define_variables,
    define_coverage,
    define_staff_caps,
    define_shared_service_caps,
    define_investment_budget,
    define_partnership_count_cuts,
    define_targets,
    define_aims,
)


def build_model(inputs: Inputs, candidates: Candidates) -> Model:
    model = Model(inputs, candidates, pulp.LpProblem("shared_services", pulp.LpMinimize))
    for define in DEFINITIONS:
        define(model)
    return model
