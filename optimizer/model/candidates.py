"""Every partnership and reduction the plan may choose from (SPEC.md section 2).

The model is optimal over *all* candidate partnerships, so this module enumerates them exactly:
for each service and each partnership size with a row in the savings curve, every set of councils
that are pairwise compatible (of body types the row admits, within its distance limit and not kept
apart by a ``never_together`` rule). Compatible sets are the cliques of a graph, so they are grown member by member in index
order and a set is abandoned as soon as one new member clashes with one already in.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.workbook.inputs import Inputs, ListedPartnership, Problem, Reduction, SharingTerms

EARTH_RADIUS_KM = 6371.0088  # mean radius, as SPEC.md fixes it


@dataclass(frozen=True, slots=True)
class Partnership:
    """A group of councils sharing one service, with each member's figures."""

    service: str
    members: tuple[str, ...]
    saving: tuple[float, ...]  # £ a year, per member
    one_off: tuple[float, ...]  # £ once, per member
    staff: tuple[float, ...]  # FTE removed, per member
    name: str = ""  # the Partnerships sheet's name when listed there
    required: bool = False

    @property
    def annual_saving(self) -> float:
        return math.fsum(self.saving)

    @property
    def one_off_cost(self) -> float:
        return math.fsum(self.one_off)

    @property
    def staff_reduction(self) -> float:
        return math.fsum(self.staff)

    @property
    def label(self) -> str:
        return self.name or f"{self.service}: {' + '.join(self.members)}"


@dataclass(frozen=True)
class Candidates:
    partnerships: tuple[Partnership, ...]
    reductions: tuple[Reduction, ...]


def payback_years(one_off: float, saving: float) -> float:
    """Years of saving needed to repay the one-off cost (inf when it never pays back)."""
    if one_off <= 0:
        return 0.0
    return one_off / saving if saving > 0 else math.inf


def pays_back(one_off: float, saving: float, limit: float | None) -> bool:
    return limit is None or payback_years(one_off, saving) <= limit


def distances_km(latitudes: Sequence[float], longitudes: Sequence[float]) -> np.ndarray:
    """Great-circle (haversine) distance between every pair of points."""
    lat = np.radians(np.asarray(latitudes, dtype=float))
    lon = np.radians(np.asarray(longitudes, dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def cliques(adjacent: np.ndarray, size: int) -> np.ndarray:
    """Every set of ``size`` vertices that are pairwise adjacent, each once as an increasing row,
    the rows in lexicographic order.

    Built in bulk, one member at a time: each clique so far is extended by every later vertex
    adjacent to all its members (``common``), so no set is formed twice and none is formed only to
    be dropped. England's 479,332 groups take 0.24 s this way, against 1.5 s grown one by one
    with Python sets. The cliques of each smallest member are built apart (``_cliques_from``), so the
    work in hand is one council's neighbourhood, not every clique of the size below at once.
    """
    later = np.triu(adjacent, 1)  # later[i, v]: v comes after i and is adjacent to it
    parts = [_cliques_from(later, first, size) for first in range(len(adjacent))]
    return np.concatenate(parts) if parts else np.zeros((0, size), dtype=np.int64)


def _cliques_from(later: np.ndarray, first: int, size: int) -> np.ndarray:
    """The cliques of ``size`` whose smallest member is ``first``, in lexicographic order."""
    found, common = np.array([[first]], dtype=np.int64), later[first : first + 1]
    for k in range(1, size):
        rows, v = np.nonzero(common)
        found = np.column_stack([found[rows], v])
        if k < size - 1:
            common = common[rows] & later[v]
    return found


def count_cliques(adjacent: np.ndarray, size: int, most: int) -> int:
    """How many cliques ``cliques`` would give, counted a smallest member at a time and given up once
    over ``most`` (then some number above it)."""
    later, total = np.triu(adjacent, 1), 0
    for first in range(len(adjacent)):
        total += len(_cliques_from(later, first, size))
        if total > most:
            break
    return total


# What a candidate costs in memory through the whole run, measured on England: 1.26 GB at peak for
# 479,332 candidates, 4.35 GB for 1,553,959 (front-line lines up to four within 40 km): about 3 kB
BYTES_PER_CANDIDATE = 3_000
MEMORY_SHARE = 0.5  # of the machine's memory the candidates may take: the solver needs the rest


def most_candidates() -> int:
    """The candidates this machine's memory holds through a run."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: assume 8 GB
        memory = 8 * 2**30
    return int(memory * MEMORY_SHARE / BYTES_PER_CANDIDATE)


def too_many_candidates(inputs: Inputs, most: int | None = None) -> list[Problem]:
    """[] when the savings curves form at most ``most`` (``most_candidates``) candidate partnerships,
    counted before any is formed; else one problem naming the services and sizes that form most. A run
    over them would be stopped by the system for want of memory, with no message at all."""
    most = most_candidates() if most is None else most
    counts, total = {}, 0
    for (service, size), terms in sorted(inputs.terms.items()):
        members = _members_for(inputs, service)
        if size <= len(members):
            counts[(service, size)] = count_cliques(_compatibility(inputs, members, terms, service), size, most - total)
            total += counts[(service, size)]
            if total > most:
                break
    if total <= most:
        return []
    stopped = list(counts)[-1]  # its count was given up on, once over the limit
    largest = sorted(counts.items(), key=lambda item: -item[1])[:3]
    listed = "; ".join(f"{service} in groups of {size}: {'over ' if (service, size) == stopped else ''}{n:,}"
                       for (service, size), n in largest)
    return [Problem("Sharing", f"the savings curves form more than {most:,} candidate partnerships, more than this "
                               f"machine's memory holds through a run (about {BYTES_PER_CANDIDATE / 1000:g} kB each); "
                               f"most come from {listed}. Lower max_distance_km or drop the largest partners rows "
                               f"of those services")]


def _member_figures(terms, cost: np.ndarray, fte: np.ndarray) -> tuple[list, list, list]:
    """Each member's (saving, one-off cost, staff reduction) under a curve row, from arrays of the
    members' annual cost and FTE (one group, or a row per group), as nested lists of floats."""
    return (terms.saving_pct * cost).tolist(), (terms.one_off_pct * cost).tolist(), (terms.staff_pct * fte).tolist()


def _curve_figures(inputs: Inputs, service: str, members: Sequence[str]):
    rows = [inputs.service_row[(c, service)] for c in members]
    figures = _member_figures(inputs.terms[(service, len(members))], np.array([r.annual_cost for r in rows]),
                              np.array([r.fte for r in rows]))
    return tuple(tuple(f) for f in figures)


def _shares(total: float, costs: Sequence[float]) -> tuple[float, ...]:
    """Split a group figure among members in proportion to annual cost (equally if all cost 0)."""
    whole = math.fsum(costs)
    if whole <= 0:
        return tuple(total / len(costs) for _ in costs)
    return tuple(total * c / whole for c in costs)


def listed_partnership(inputs: Inputs, listed: ListedPartnership) -> Partnership:
    """A Partnerships row: its own figures where given, the curve's where blank."""
    members = listed.councils
    costs = [inputs.service_row[(c, listed.service)].annual_cost for c in members]
    curve = _curve_figures(inputs, listed.service, members) if (listed.service, len(members)) in inputs.terms else None
    own = (listed.annual_saving, listed.one_off_cost, listed.staff_reduction_fte)
    saving, one_off, staff = (
        _shares(figure, costs) if figure is not None else curve[i]  # validation ensures a curve row here
        for i, figure in enumerate(own)
    )
    return Partnership(
        listed.service, members, saving, one_off, staff, name=listed.name, required=listed.status == "required"
    )


def _members_for(inputs: Inputs, service: str) -> list[str]:
    return [c.name for c in inputs.councils if (row := inputs.service_row.get((c.name, service))) and row.shareable]


def _compatibility(inputs: Inputs, members: list[str], terms: SharingTerms, service: str) -> np.ndarray:
    """``ok[i, j]``: members i and j may share ``service`` in a group of ``terms.partners`` (never a
    member with itself): both of a body type the curve's row admits, within its distance, not
    kept apart by a rule."""
    index = {m: i for i, m in enumerate(members)}
    bodies = [inputs.council[m] for m in members]
    admitted = np.array([terms.admits(b.body_type) for b in bodies], dtype=bool)
    ok = ~np.eye(len(members), dtype=bool) & admitted[:, None] & admitted[None, :]
    if terms.max_distance_km is not None:
        ok &= distances_km([c.latitude if c.located else np.nan for c in bodies],
                           [c.longitude if c.located else np.nan for c in bodies]) <= terms.max_distance_km
    for rule in inputs.rules:  # never_together
        if rule.service in (None, service) and rule.council_a in index and rule.council_b in index:
            i, j = index[rule.council_a], index[rule.council_b]
            ok[i, j] = ok[j, i] = False
    return ok


def curve_partnerships(inputs: Inputs, service: str) -> Iterator[Partnership]:
    """Every partnership the savings curve forms for ``service`` (before listed decisions)."""
    members = _members_for(inputs, service)
    rows = [inputs.service_row[(m, service)] for m in members]
    cost = np.array([r.annual_cost for r in rows], dtype=np.float64)
    fte = np.array([r.fte for r in rows], dtype=np.float64)
    limit = inputs.settings.max_payback_years
    for (curve_service, size), terms in sorted(inputs.terms.items()):
        if curve_service != service or size > len(members):
            continue
        groups = cliques(_compatibility(inputs, members, terms, service), size)
        for group, saving, one_off, staff in zip(groups.tolist(), *_member_figures(terms, cost[groups], fte[groups])):
            if pays_back(math.fsum(one_off), math.fsum(saving), limit):
                named = tuple(members[i] for i in group)
                yield Partnership(service, named, tuple(saving), tuple(one_off), tuple(staff))


def enumerate_candidates(inputs: Inputs) -> Candidates:
    """All partnerships and reductions a plan may choose, after the listed decisions."""
    listed = {(p.service, frozenset(p.councils)): p for p in inputs.partnerships}
    limit = inputs.settings.max_payback_years
    chosen: list[Partnership] = []
    for service in dict.fromkeys(t.service for t in inputs.sharing):
        chosen.extend(p for p in curve_partnerships(inputs, service) if (service, frozenset(p.members)) not in listed)
    for row in inputs.partnerships:
        if row.status == "excluded":
            continue
        group = listed_partnership(inputs, row)
        if group.required or pays_back(group.one_off_cost, group.annual_saving, limit):
            chosen.append(group)
    reductions = tuple(
        r
        for r in inputs.reductions
        if pays_back(r.one_off_cost, r.reduction_pct * inputs.service_row[(r.council, r.service)].annual_cost, limit)
    )
    return Candidates(tuple(chosen), reductions)
