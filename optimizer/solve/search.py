"""Finding good plans fast: a neighbourhood search over geography.

On this model the LP relaxation's bound is usually at or near the optimum, yet a MIP solver can
take minutes to *find* a plan that good (SOLVER-NOTES.md; on England's 480,000 candidates HiGHS
had not left its root after six minutes). The reason is symmetry: a member's saving depends only
on its partnership's size, so countless groupings are worth the same and the LP blends them.

Councils only partner with councils near them, so a plan is improved one area at a time: every
decision outside a set of neighbouring councils is held at the current plan, and a small MIP
re-optimises the rest (large neighbourhood search). Each step can only keep or improve the plan,
so the search is exact in what it returns; its only job is to get close to the LP bound, after
which reduced-cost fixing leaves the final proof a small problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from optimizer.model.build import Aim, Model
from optimizer.model.matrix import Matrix
from optimizer.solve.geography import Geography
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.status import Termination
from optimizer.tolerances import DIFFERENCE_WEIGHT, FEASIBILITY, within_tie_or_gap


class NeighbourhoodSearch:
    """Improves a plan area by area; holds the data that every area's sub-MIP shares."""

    def __init__(self, model: Model, matrix: Matrix, aim: Aim, backend: Callable, gap: float, log: Path,
                 alive: np.ndarray, wide: bool = True, options: SolveOptions = DEFAULT,
                 geography: Geography | None = None):
        self.options = options
        self.matrix, self.aim, self.backend, self.gap, self.log = matrix, aim, backend, gap, log
        self.alive = alive  # decisions still worth considering; the rest stay at 0
        self.model = model
        self.columns: dict[int | None, int] = {}  # each kind of area's size (None: every service's decisions)
        self.finished: set[int | None] = set()  # kinds of area given up on
        self.proven = False  # did the last step's solver prove its area's best?
        # the aim is the least shortfall (its whole cost on the shortfalls), which ties a council's services
        # together through its target; later aims keep it and part by service, so their areas need not grow
        self.on_targets = not np.any(aim.cost[: model.n_decisions])
        self.wide = wide  # False: every area is ``options.neighbourhood_columns``, and a service is done at its first idle round
        self.geography = Geography(model) if geography is None else geography
        self.n_councils = self.geography.n_councils
        self.service_of = model.column_services(matrix.n_cols)
        self.n_services = len(model.services)

    def area(self, seed: int, service: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The councils nearest ``seed`` whose own decisions number about ``self.columns[service]``, and
        the columns free in it (every council they concern is in the area); with ``service``, only
        that service's decisions are free, so the area reaches further."""
        places = self.geography
        rank = places.rank_by(places.distance[seed])
        furthest = places.over_columns(rank, np.maximum)
        eligible = places.touches & (self.alive | ~self.matrix.integer)
        if service is not None:
            eligible &= (self.service_of == service) | ~self.matrix.integer
        decisions = np.sort(furthest[eligible & self.matrix.integer])
        columns = self.columns.get(service, self.options.neighbourhood_columns)
        # councils up to the one whose decision would be one too many; all of them when none would
        size = max(int(decisions[columns]) if columns < len(decisions) else self.n_councils, 1)
        return np.flatnonzero(rank < size), eligible & (furthest < size)

    def step(self, x: np.ndarray, free: np.ndarray, seconds: float) -> np.ndarray | None:
        """The best plan that changes only ``free`` columns, or None if it is no better than x."""
        sub, self.proven = self.matrix.restrict(free, x), False
        if sub is None or not free.any():
            return None
        cost = self.aim.cost[free]
        # the area's plan need only be proven to a tenth of the whole plan's tolerance, in pounds: a
        # gap relative to the area alone asks far more (England's children's social care: a plan
        # within £13 k of its bound at 3 s, then 57 s spent proving the last £13 k)
        tie = 0.1 * max(self.aim.tie, self.gap * abs(float(self.aim.cost @ x)))
        outcome = self.backend(sub, cost, limit=seconds, gap=self.gap * 0.1, tie=tie, log=self.log, start=x[free])
        self.proven = outcome.termination == Termination.OPTIMAL
        if not outcome.has_plan:
            return None
        better = x.copy()
        better[free] = outcome.x
        better = self.model.complete(better)
        return better if self.aim.cost @ better < self.aim.cost @ x - self.aim.tie * 0.5 else None

    def improve(self, x: np.ndarray, lp: np.ndarray, bound: float, deadline: float) -> np.ndarray:
        """Improve x area by area until it meets ``bound`` (within the gap), every kind of area is
        done with, or the deadline passes.

        A round of areas of every service comes first, once (it mends what the tiling did across
        services); then areas of one service at a time (services are tied together only through
        each council's target), the service the plan falls furthest short of the LP in first, except
        that with wide areas a service one area frees whole goes before those it cannot. Each round
        starts where the LP solution ``lp`` says the plan loses most. With wide areas, a service
        too large to free whole gets areas of ``options.most_columns`` options: a region whose groups of four do
        not come out even can only be re-formed whole (England's central services: freeing 124
        councils around County Durham at once gained £20 m a year where areas of 1,000 options had
        stalled). A service is done with when a round closes little of the gap, or when it was freed
        whole and the solver proved the result.
        """
        while not self._close(x, bound) and time.perf_counter() < deadline:
            kinds = [k for k in [None, *self._short_services(x, lp)] if k not in self.finished]
            if not kinds and not self._grown():
                break
            kinds = kinds or [None]
            kind = kinds[0]
            size = self.columns.setdefault(kind, self._first_size(kind))
            before = float(self.aim.cost @ x)
            x, improved = self._round(x, lp, bound, deadline, kind)
            if kind is None:
                self.finished.add(kind)  # once, even if cut short: the services' own rounds go on from it
                continue
            if time.perf_counter() >= deadline:
                break  # a round cut short says nothing
            # with wide areas, a round is worth another only while it closes enough of the gap
            idle = not improved or (self.wide and before - float(self.aim.cost @ x) < self.options.idle_gain * (before - bound))
            # a service freed whole and proven is at its best given the rest: another round would
            # only confirm it (England: five such took 25 s while central services, furthest short, waited)
            if idle or (size >= self._decisions(kind) and self.proven):
                self.finished.add(kind)
        return x

    def _grown(self) -> bool:
        """On the least-shortfall aim without wide areas, once every kind of area is done with: areas
        of every service twice as large, for another round, until one frees every decision; a round
        of grown areas stops at its first area that gains nothing, so that each size costs little
        where it does not pay. Where a council's target is met only by re-forming partnerships
        across several services and councils at once, areas of ``options.neighbourhood_columns`` all
        stall (the North West's least shortfall: £18.7 m after rounds of 1,000 options, £18.5 m, the
        LP bound, in one of 4,000). Not on later aims: there the areas' MIPs, larger, ran to their
        time limits (the West Midlands' net benefit took half as long again, and its plan hung on
        the clock). False: no larger area."""
        size = self.columns.get(None, self.options.neighbourhood_columns)
        if self.wide or not self.on_targets or size >= self._decisions(None):
            return False
        self.columns[None] = 2 * size
        self.finished.discard(None)
        return True

    @property
    def grown(self) -> bool:
        """Are the areas of every service larger than they started (``_grown``)?"""
        return self.columns.get(None, self.options.neighbourhood_columns) > self.options.neighbourhood_columns

    def reopen(self) -> None:
        """Every service worth rounds again: once the bound is tighter, a round's gain is judged
        against the true gap, not one mostly made of the LP's own looseness (England's net benefit:
        rounds gaining £1 m against a gap of £30 m looked idle, with eight councils' back offices
        still unshared)."""
        self.finished = {kind for kind in self.finished if kind is None}

    def _decisions(self, service: int | None) -> int:
        """How many decisions of ``service`` (None: of every service) are alive: no area of it frees more."""
        if service is None:
            return int((self.alive & self.matrix.integer).sum())
        return int((self.alive & (self.service_of == service)).sum())

    def _first_size(self, service: int | None) -> int:
        """Areas of every service stay small; with wide areas, a service that fits in the largest
        is freed whole at once (one sub-MIP settles it given the rest), the others in areas of the
        largest size (England's central services: areas of 4,000 options gained nothing in 100 s,
        where the first of 16,000 around the right council gained £2.6 m a year in 5 s)."""
        if not self.wide or service is None:
            return self.options.neighbourhood_columns
        return min(self._decisions(service), self.options.most_columns)

    def _short_services(self, x: np.ndarray, lp: np.ndarray) -> list[int]:
        """The services where the plan falls short of the LP, the furthest short first; with
        wide areas, those one area frees whole come before the rest (England: seven services settled
        in 40 s for £27 m a year, where areas of central services alone take minutes)."""
        decision = self.service_of >= 0
        loss = np.bincount(self.service_of[decision], weights=(self.aim.cost * (x - lp))[decision],
                           minlength=self.n_services) + self._short_savings(x, lp)
        short = [int(s) for s in np.argsort(-loss, kind="stable") if loss[s] > self.aim.tie]
        return sorted(short, key=lambda s: self.wide and self._decisions(s) > self.options.most_columns)

    def _short_savings(self, x: np.ndarray, lp: np.ndarray) -> np.ndarray:
        """Per service, what the aim loses where councils are shorter of their targets than in the
        LP solution: each such council's saving on the service below the LP's, at the aim's price of
        a pound of that council's shortfall. The least-shortfall aim puts its whole cost on the
        shortfall columns, so without this no service looks short and only the first round of
        small areas ever ran (England 2023-24: Tameside left £0.2 m short of the proven optimum)."""
        model = self.model
        short = model.shortfall_council
        if not len(short):
            return np.zeros(self.n_services)
        cols = model.n_decisions + np.arange(len(short))
        price = np.zeros(len(model.inputs.councils))
        behind = (x[cols] - lp[cols]) > FEASIBILITY  # shorter than in the LP
        price[short[behind]] = self.aim.cost[cols[behind]] / model.targets[short[behind]]  # per £
        m = model.members
        key = m.council.astype(np.int64) * self.n_services + m.service
        size = len(price) * self.n_services
        below = np.bincount(key, weights=m.saving * (lp[m.col] - x[m.col]), minlength=size)
        return (np.maximum(below, 0.0).reshape(len(price), self.n_services) * price[:, None]).sum(axis=0)

    def _round(self, x: np.ndarray, lp: np.ndarray, bound: float, deadline: float,
               service: int | None) -> tuple[np.ndarray, bool]:
        """One pass of areas of one kind over the councils where the plan falls short of the LP,
        the furthest short first."""
        improved, tried = False, set()
        looked = np.zeros(self.n_councils, dtype=bool)
        excess = self.excess(x, lp)
        for seed in np.argsort(-excess, kind="stable"):
            if excess[seed] <= self.aim.tie:
                break  # the plan is as good as the LP on every council from here on
            if looked[seed]:
                continue
            if self._close(x, bound) or time.perf_counter() >= deadline:
                break
            area, free = self.area(seed, service)
            key = np.packbits(free).tobytes()
            if key in tried:  # neighbouring seeds often free the same options: nothing new around this plan
                looked[seed] = True
                continue
            tried.add(key)
            columns = self.columns.get(service, self.options.neighbourhood_columns)
            options = self.options
            seconds = min(options.area_mip_seconds,
                          options.sub_mip_seconds * (columns / options.neighbourhood_columns) ** 0.5)
            better = self.step(x, free, min(seconds, deadline - time.perf_counter()))
            looked[area[: max(1, len(area) // 3)]] = True  # the core of the area needs no second look
            if better is not None:
                x, improved = better, True
                tried.clear()
            elif service is None and self.grown:
                break  # a grown area that gains nothing: the next, around a seed less short, would not either
            if len(area) == self.n_councils:
                break  # the area was everyone: another seed would free the same decisions
        return x, improved

    def _close(self, x: np.ndarray, bound: float) -> bool:
        return within_tie_or_gap(float(self.aim.cost @ x), bound, self.aim.tie, self.gap)

    def excess(self, x: np.ndarray, lp: np.ndarray) -> np.ndarray:
        """Per council, how much worse the plan is than the LP solution on the columns concerning it
        (a column's difference split among its councils), plus how many of them differ at all."""
        per_council = self.geography.per_council
        return per_council(self.aim.cost * (x - lp)) + DIFFERENCE_WEIGHT * per_council(np.abs(x - lp), split=False)
