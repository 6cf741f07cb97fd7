"""The mixed-integer model of SPEC.md section 2, as a set-packing problem over enumerated candidates.

One 0/1 column per candidate partnership and per reduction option, and a shortfall column per
targeted council (soft targets), measured as the share of its target not met; each (council,
service) is covered at most once. Set packing over enumerated groups is far tighter than assigning
councils to hosts (SOLVER-NOTES.md: 15-32 % gaps for the hub form where this form solves), and
because each member's saving depends only on the group's size, a group's figures are plain
coefficients.

The matrix is built in bulk with numpy from flat arrays of memberships: England's 480,000
candidates and 3.6 million non-zeros take about a second, where one PuLP object per variable and
per term took 18 s. CBC is handed it through PuLP (``optimizer.solve.backends.cbc.to_pulp``).

Each ``define_*`` function adds one family of rows, in order. The three aims of the lexicographic
order are kept as separate cost vectors; ``optimizer.solve.driver`` optimises them in turn.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from optimizer.model.candidates import Candidates
from optimizer.model.cuts import define_partnership_count_cuts
from optimizer.model.families import (
    COVERAGE,
    INVESTMENT_BUDGET,
    PARTNER_CAP,
    PARTNER_LINK,
    POOL_SIZE,
    ROW_FAMILIES,
    SHARED_SERVICE_CAP,
    STAFF_CAP,
    TARGET,
)
from optimizer.model.matrix import Matrix
from optimizer.model.partners import PartnerLinks, binding_caps, member_pairs, partner_links
from optimizer.model.pools import POOL_FROM_GROUPS, Pool, find_pools, realise
from optimizer.money import MoneyOverTime
from optimizer.tolerances import chosen
from optimizer.workbook.inputs import Inputs

# Two plans tie on an aim when they differ by at most this much (SPEC.md section 2).
TIE = {"shortfall": 1.0, "impact": 1e-6, "net_benefit": 1.0, "saving": 1.0}  # saving: diagnosis only
INF = math.inf


@dataclass(frozen=True)
class Aim:
    """One aim of the lexicographic order, as a cost per column to minimise."""

    name: str
    cost: np.ndarray
    sign: int = 1  # the aim's own value is sign × cost·x (net benefit is maximised)

    @property
    def tie(self) -> float:
        return TIE[self.name]

    def value(self, x: np.ndarray) -> float:
        """The aim's own value (net benefit positive) in plan x."""
        return self.sign * float(self.cost @ x)


@dataclass(frozen=True)
class Memberships:
    """One entry per (column, council) a decision touches: partnership members and reductions."""

    col: np.ndarray
    council: np.ndarray  # index into inputs.councils
    service: np.ndarray  # index into Model.services
    saving: np.ndarray  # £ a year
    staff: np.ndarray  # FTE removed
    one_off: np.ndarray  # £ once


@dataclass
class Model:
    inputs: Inputs
    candidates: Candidates
    services: list[str]
    members: Memberships
    n_partnerships: int  # columns of candidate groups, each one group (those not pooled)
    n_reductions: int
    group_of_col: np.ndarray  # the candidate each partnership column is (an index into candidates.partnerships)
    pools: tuple[Pool, ...] = ()  # after the partnership columns: each pool's member columns, then the counts
    links: PartnerLinks = field(default_factory=PartnerLinks)  # after the shortfalls: one column per pair (model.partners)
    shortfall_council: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    aims: list[Aim] = field(default_factory=list)
    matrix: Matrix | None = None
    row_council: np.ndarray | None = None  # the council each row concerns alone; -1 for rows across councils
    _rows: list = field(default_factory=list)  # (cols, values, lower, upper, council, family) until the matrix is made

    @cached_property
    def pool_member_cols(self) -> list[np.ndarray]:
        """Each pool's member columns, in the order of its councils."""
        ends = self.n_partnerships + np.cumsum([len(p.councils) for p in self.pools], dtype=np.int64)
        return [np.arange(end - len(p.councils), end) for p, end in zip(self.pools, ends)]

    @cached_property
    def n_pool_members(self) -> int:
        return sum(len(p.councils) for p in self.pools)

    def pool_count_col(self, i: int) -> int:
        """The column counting pool i's groups."""
        return self.n_partnerships + self.n_pool_members + i

    @property
    def first_reduction(self) -> int:
        return self.n_partnerships + self.n_pool_members + len(self.pools)

    @property
    def n_decisions(self) -> int:
        return self.first_reduction + self.n_reductions

    @property
    def shortfall_cols(self) -> slice:
        return slice(self.n_decisions, self.n_decisions + len(self.shortfall_council))

    @property
    def first_link(self) -> int:
        return self.n_decisions + len(self.shortfall_council)

    @property
    def n_cols(self) -> int:
        return self.first_link + len(self.links)

    def shortfall_col(self, k: int) -> int:
        return self.n_decisions + k

    def add_row(self, family: str, cols, values, lower: float = -INF, upper: float = INF, council: int = -1) -> None:
        """One row of ``family`` (one of ROW_FAMILIES)."""
        self._rows.append((np.asarray(cols, dtype=np.int32), np.asarray(values, dtype=np.float64), lower, upper,
                           council, family))

    def add_rows(self, family: str, keys: np.ndarray, cols: np.ndarray, values: np.ndarray, lower, upper,
                 council_of_key=lambda key: -1) -> np.ndarray:
        """One row per distinct key (in key order) over the entries holding it; returns the keys."""
        order = np.argsort(keys, kind="stable")
        keys, cols, values = keys[order], cols[order], values[order]
        distinct, first = np.unique(keys, return_index=True)
        bounds_low = np.broadcast_to(np.asarray(lower, dtype=float), distinct.shape)
        bounds_up = np.broadcast_to(np.asarray(upper, dtype=float), distinct.shape)
        for i, (a, b) in enumerate(zip(first, list(first[1:]) + [len(keys)])):
            self.add_row(family, cols[a:b], values[a:b], bounds_low[i], bounds_up[i], int(council_of_key(distinct[i])))
        return distinct

    @cached_property
    def entries_of(self) -> list[np.ndarray]:
        """For each council, the positions of its entries in ``members``."""
        order = np.argsort(self.members.council, kind="stable")
        edges = np.searchsorted(self.members.council[order], np.arange(len(self.inputs.councils) + 1))
        return [order[a:b] for a, b in zip(edges[:-1], edges[1:])]

    def saving(self, x: np.ndarray) -> np.ndarray:
        """Each council's annual saving in plan x."""
        m = self.members
        return np.bincount(m.council, weights=m.saving * x[m.col], minlength=len(self.inputs.councils))

    @cached_property
    def targets(self) -> np.ndarray:
        """Each council's savings target in £ (0 without one)."""
        return np.array([c.target or 0.0 for c in self.inputs.councils])

    def shortfall(self, x: np.ndarray) -> np.ndarray:
        """Each council's shortfall against its target in plan x."""
        return np.maximum(0.0, self.targets - self.saving(x))

    def shortfall_floor(self, alive: np.ndarray) -> np.ndarray:
        """A lower bound on every column: a council's shortfall share is at least what is left when
        each of its services goes to the ``alive`` decision that saves it most (no plan saves more;
        decisions are 0)."""
        m, n_services = self.members, len(self.services)
        usable = alive[m.col]
        most = np.zeros(len(self.inputs.councils) * n_services)
        np.maximum.at(most, m.council[usable] * n_services + m.service[usable], m.saving[usable])
        most_saving = most.reshape(len(self.inputs.councils), n_services).sum(axis=1)
        short = self.shortfall_council
        floor = np.zeros(self.n_cols)
        floor[self.shortfall_cols] = np.maximum(0.0, self.targets[short] - most_saving[short]) / self.targets[short]
        return floor

    def complete(self, decisions: np.ndarray) -> np.ndarray:
        """A whole plan: the decisions given, each pool's count what its members make (members
        that make no whole group, those saving least, leave), each shortfall the least the
        targets allow, and each partner link 1 exactly where its pair shares."""
        x = np.zeros(self.n_cols)
        x[: self.n_decisions] = decisions[: self.n_decisions]
        for i, (pool, cols) in enumerate(zip(self.pools, self.pool_member_cols)):
            members = np.flatnonzero(chosen(x[cols]))
            surplus = len(members) % pool.size
            x[cols[members[np.argsort(pool.saving[members], kind="stable")[:surplus]]]] = 0.0
            x[self.pool_count_col(i)] = len(members) // pool.size
        short = self.shortfall_council
        x[self.shortfall_cols] = self.shortfall(x)[short] / self.targets[short]
        x[self.first_link :] = self.links.values(chosen(x))
        return x

    def chosen_partnerships(self, x: np.ndarray) -> list[int]:
        """The candidates plan x chooses (indices into candidates.partnerships): its partnership
        columns, and each pool's members grouped north to south."""
        chosen_groups = self.group_of_col[np.flatnonzero(chosen(x[: self.n_partnerships]))].tolist()
        for pool, cols in zip(self.pools, self.pool_member_cols):
            members = np.flatnonzero(chosen(x[cols]))
            if len(members):
                chosen_groups += realise(pool, members, self.candidates, self.council_index, self.north_to_south)
        return sorted(chosen_groups)

    def column_services(self, n_cols: int) -> np.ndarray:
        """Each column's service (an index into ``services``; -1 for shortfalls and any added later)."""
        service = np.full(n_cols, -1)
        service[self.members.col] = self.members.service
        for i, pool in enumerate(self.pools):
            service[self.pool_count_col(i)] = pool.service
        return service

    @cached_property
    def council_index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.inputs.councils)}

    @cached_property
    def north_to_south(self) -> np.ndarray:
        """Each council's rank from north to south (west to east on a tie; unplaced ones last)."""
        places = [(-(c.latitude if c.latitude is not None else -math.inf), c.longitude or 0.0)
                  for c in self.inputs.councils]
        rank = np.empty(len(places), dtype=np.int64)
        rank[sorted(range(len(places)), key=places.__getitem__)] = np.arange(len(places))
        return rank


def memberships(inputs: Inputs, candidates: Candidates, services: list[str]) -> Memberships:
    """The entries of every partnership's members, then of every reduction, read into flat arrays
    in one pass each (England: 1.8 million entries in 0.6 s, where appending to lists took 1.0 s)."""
    council = {c.name: i for i, c in enumerate(inputs.councils)}
    service = {name: i for i, name in enumerate(services)}
    groups, options = candidates.partnerships, candidates.reductions
    sizes = np.fromiter((len(g.members) for g in groups), dtype=np.int64, count=len(groups))
    total = int(sizes.sum())

    def per_member(field: str, index: dict[str, int] | None = None) -> np.ndarray:
        values = itertools.chain.from_iterable(getattr(g, field) for g in groups)
        if index is not None:
            values = map(index.__getitem__, values)
        return np.fromiter(values, dtype=np.float64 if index is None else np.int32, count=total)

    rows = [inputs.service_row[(o.council, o.service)] for o in options]
    return Memberships(
        np.concatenate([np.repeat(np.arange(len(groups), dtype=np.int32), sizes),
                        np.arange(len(groups), len(groups) + len(options), dtype=np.int32)]),
        np.concatenate([per_member("members", council),
                        np.array([council[o.council] for o in options], dtype=np.int32)]),
        np.concatenate([np.repeat(np.array([service[g.service] for g in groups], dtype=np.int32), sizes),
                        np.array([service[o.service] for o in options], dtype=np.int32)]),
        np.concatenate([per_member("saving"), [o.reduction_pct * r.annual_cost for o, r in zip(options, rows)]]),
        np.concatenate([per_member("staff"), [o.reduction_pct * r.fte for o, r in zip(options, rows)]]),
        np.concatenate([per_member("one_off"), [o.one_off_cost for o in options]]),
    )


def without_pooled_groups(entries: Memberships, candidates: Candidates,
                          pools: list[Pool]) -> tuple[Memberships, np.ndarray]:
    """The entries with the pooled groups' replaced by their pools' member columns (after the
    groups left; each pool's count column follows them), the reductions' moved after those; and
    the candidate of each group left."""
    n_groups, n_options = len(candidates.partnerships), len(candidates.reductions)
    pooled = np.zeros(n_groups + 1, dtype=bool)  # the spare: every reduction reads it, False
    for pool in pools:
        pooled[pool.groups] = True
    group_of_col = np.flatnonzero(~pooled[:n_groups])
    members = sum(len(pool.councils) for pool in pools)
    new_col = np.empty(n_groups + n_options, dtype=np.int64)
    new_col[group_of_col] = np.arange(len(group_of_col))
    new_col[n_groups:] = len(group_of_col) + members + len(pools) + np.arange(n_options)
    kept = ~pooled[np.minimum(entries.col, n_groups)]

    def joined(name: str, pooled_values) -> np.ndarray:
        return np.concatenate([getattr(entries, name)[kept], *pooled_values])

    return Memberships(
        np.concatenate([new_col[entries.col[kept]], len(group_of_col) + np.arange(members)]).astype(np.int32),
        joined("council", (pool.councils for pool in pools)).astype(np.int32),
        joined("service", (np.full(len(pool.councils), pool.service) for pool in pools)).astype(np.int32),
        *(joined(name, (getattr(pool, name) for pool in pools)) for name in ("saving", "staff", "one_off")),
    ), group_of_col


def define_columns(model: Model) -> None:
    """A shortfall column for each targeted council when targets are soft (decisions come first).

    A shortfall is the share of the council's target not met, not pounds: a column of pounds (to
    2e7) whose coefficient in its scaled target row is 1e-7 defeats HiGHS's tolerances. England's
    children's social care, re-optimised with the rest held, was declared infeasible by HiGHS's
    presolve although the plan in hand met every row; with shares it finds £20 m a year more.
    """
    if model.inputs.settings.targets == "soft":
        model.shortfall_council = np.array(
            [k for k, c in enumerate(model.inputs.councils) if c.target], dtype=np.int32
        )


def define_coverage(model: Model) -> None:
    """Each (council, service) is in at most one chosen partnership or one chosen reduction.

    A row even for a lone option: a variable in no row gets its bounds written to CBC's MPS file
    without a column, which CBC rejects.
    """
    m = model.members
    n = len(model.services)
    model.add_rows(COVERAGE, m.council.astype(np.int64) * n + m.service, m.col, np.ones(len(m.col)), -INF, 1, lambda key: key // n)


def define_staff_caps(model: Model) -> None:
    """Staff removed from a council stays within its ``max_staff_reduction_pct`` of its FTE."""
    m = model.members
    for k, council in enumerate(model.inputs.councils):
        if council.max_staff_reduction_pct is None:
            continue
        mine = model.entries_of[k]
        cap = council.max_staff_reduction_pct * model.inputs.council_fte[council.name]
        if np.maximum(m.staff[mine], 0).sum() > cap:  # a cap no plan can reach needs no row
            model.add_row(STAFF_CAP, m.col[mine], m.staff[mine], -INF, cap, k)


def define_shared_service_caps(model: Model) -> None:
    """At most ``max_shared_services`` of a council's services go into partnerships."""
    m = model.members
    for k, council in enumerate(model.inputs.councils):
        cap = council.max_shared_services
        if cap is None:
            continue
        mine = model.entries_of[k]
        mine = mine[m.col[mine] < model.first_reduction]  # partnership and pool member columns
        if len(np.unique(m.service[mine])) > cap:  # a cap no plan can reach needs no row
            model.add_row(SHARED_SERVICE_CAP, m.col[mine], np.ones(len(mine)), -INF, cap, k)


def define_partner_caps(model: Model) -> None:
    """A capped council's distinct partners, over every service, stay within its ``max_partners``
    (``optimizer.model.partners``: a link per pair, a row per pair and service, a row per cap)."""
    links = model.links
    if not len(links):
        return
    link_cols = model.first_link + links.link
    key = links.link * len(model.services) + links.service
    distinct, first = np.unique(key, return_index=True)
    model.add_rows(PARTNER_LINK, np.concatenate([key, distinct]), np.concatenate([links.col, link_cols[first]]),
                   np.concatenate([np.ones(len(key)), -np.ones(len(distinct))]), -INF, 0.0)
    for k, council in enumerate(model.inputs.councils):
        mine = np.flatnonzero((links.pairs == k).any(axis=1))
        if council.max_partners is not None and len(mine) > council.max_partners:
            model.add_row(PARTNER_CAP, model.first_link + mine, np.ones(len(mine)), -INF, council.max_partners, k)


def one_off_cost(model: Model) -> np.ndarray:
    """Each column's one-off cost."""
    m = model.members
    return np.bincount(m.col, weights=m.one_off, minlength=model.n_cols)


def define_investment_budget(model: Model) -> None:
    budget = model.inputs.settings.investment_budget
    if budget is not None:
        cost = one_off_cost(model)
        model.add_row(INVESTMENT_BUDGET, np.flatnonzero(cost), cost[cost != 0], -INF, budget)


def define_pool_sizes(model: Model) -> None:
    """A pool's members make whole groups: members chosen = size × groups (``optimizer.model.pools``)."""
    for i, (pool, cols) in enumerate(zip(model.pools, model.pool_member_cols)):
        model.add_row(POOL_SIZE, np.append(cols, model.pool_count_col(i)),
                      np.append(np.ones(len(cols)), -float(pool.size)), 0.0, 0.0)


def define_targets(model: Model) -> None:
    """saving[c] + target[c] × shortfall share[c] >= target[c]; with hard targets there is no
    shortfall to take up."""
    m = model.members
    targets = model.targets
    mine = targets[m.council] > 0
    short = model.shortfall_council
    keys = np.concatenate([m.council[mine], short])
    cols = np.concatenate([m.col[mine], model.n_decisions + np.arange(len(short), dtype=np.int32)])
    values = np.concatenate([m.saving[mine], targets[short]])
    targeted = np.flatnonzero(targets > 0)
    # a targeted council with nothing to share or reduce still gets its row (hard targets: infeasible)
    for k in np.setdiff1d(targeted, keys):
        model.add_row(TARGET, [], [], targets[k], INF, k)
    model.add_rows(TARGET, keys, cols, values, targets[np.unique(keys)], INF, lambda key: key)


def define_aims(model: Model) -> None:
    """Least shortfall, then least impact, then greatest net benefit (``optimizer.money``: F × saving −
    G × one-off cost); aims that cannot vary are left out."""
    n = model.n_cols
    if len(model.shortfall_council):
        cost = np.zeros(n)
        cost[model.shortfall_cols] = model.targets[model.shortfall_council]  # £ per share of the target
        model.aims.append(Aim("shortfall", cost))
    impact = np.zeros(n)
    impact[model.first_reduction : model.n_decisions] = [r.impact for r in model.candidates.reductions]
    if impact.any():
        model.aims.append(Aim("impact", impact))
    m = model.members
    money = MoneyOverTime.of(model.inputs.settings)
    benefit = (np.bincount(m.col, weights=money.saving_factor * m.saving, minlength=n)
               - money.one_off_factor * one_off_cost(model))
    model.aims.append(Aim("net_benefit", -benefit, sign=-1))


def define_matrix(model: Model) -> None:
    """The rows gathered by the definitions above, as one matrix, and each column's bounds."""
    rows = model._rows
    lengths = [len(cols) for cols, *_ in rows]
    lower = np.zeros(model.n_cols)
    groups = model.candidates.partnerships
    lower[: model.n_partnerships] = [1.0 if groups[j].required else 0.0 for j in model.group_of_col.tolist()]
    upper = np.ones(model.n_cols)
    for i, pool in enumerate(model.pools):
        upper[model.pool_count_col(i)] = pool.most_groups
    upper[model.shortfall_cols] = INF
    integer = np.zeros(model.n_cols, dtype=bool)
    integer[: model.n_decisions] = True
    model.matrix = Matrix(
        np.repeat(np.arange(len(rows), dtype=np.int32), lengths),
        np.concatenate([cols for cols, *_ in rows]) if rows else np.zeros(0, dtype=np.int32),
        np.concatenate([values for _, values, *_ in rows]) if rows else np.zeros(0),
        np.array([r[2] for r in rows], dtype=np.float64),
        np.array([r[3] for r in rows], dtype=np.float64),
        lower,
        upper,
        integer,
        np.array([ROW_FAMILIES.index(r[5]) for r in rows], dtype=np.int16),
        ROW_FAMILIES,
    ).normalised()
    model.row_council = np.array([r[4] for r in rows], dtype=np.int64)
    model._rows = []


DEFINITIONS = (
    define_columns,
    define_coverage,
    define_staff_caps,
    define_shared_service_caps,
    define_investment_budget,
    define_partner_caps,
    define_partnership_count_cuts,
    define_pool_sizes,
    define_targets,
    define_aims,
    define_matrix,
)


def build_model(inputs: Inputs, candidates: Candidates, pool_from_groups: int = POOL_FROM_GROUPS) -> Model:
    """The model of every candidate; blocks of more than ``pool_from_groups`` interchangeable groups
    stand in pools (``optimizer.model.pools``)."""
    services = list(dict.fromkeys([g.service for g in candidates.partnerships] + [r.service for r in candidates.reductions]))
    entries = memberships(inputs, candidates, services)
    pairs = member_pairs(entries, len(candidates.partnerships))
    binding = binding_caps(inputs, pairs)
    pools = find_pools(candidates, entries, pool_from_groups, avoiding=binding)
    entries, group_of_col = without_pooled_groups(entries, candidates, pools)
    col_of_group = np.full(len(candidates.partnerships), -1, dtype=np.int64)
    col_of_group[group_of_col] = np.arange(len(group_of_col))
    model = Model(inputs, candidates, services, entries, len(group_of_col), len(candidates.reductions), group_of_col,
                  tuple(pools), partner_links(pairs, binding, col_of_group))
    for define in DEFINITIONS:
        define(model)
    return model

