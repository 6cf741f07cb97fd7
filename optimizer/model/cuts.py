"""Rounding cuts on how many partnerships of each size a service can have.

A service's partnerships never share a council, so the counts of partnerships of each size are
whole numbers that fit in its councils; the LP relaxation ignores that (30 councils "in 7.5 groups
of four"). ``define_partnership_count_cuts`` adds the cuts of each connected area to the model;
``violated_count_cuts`` separates those an LP solution breaks, for the solve to add as it goes.
They remove no whole plan, only fractional ones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optimizer.model.families import COUNT_CUT
from optimizer.tolerances import INTEGRALITY

if TYPE_CHECKING:
    from optimizer.model.build import Model

INF = math.inf

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


def partnership_count_cuts(sizes: Sequence[int], members: Sequence[int], councils: int, max_coefficient: int = 3,
                           strength: float = MIN_CUT_STRENGTH):
    """Valid rows ``sum(a[k] * (partnerships of size k)) <= b`` for one service.

    A service's partnerships never share a council, so the numbers n[k] of partnerships of each size
    satisfy sum(k * n[k]) <= councils and n[k] <= members[k] // k (members[k]: councils in any size-k
    group). The LP relaxation ignores that n is whole: 30 councils sit "in 7.5 groups of four". Each
    small whole vector ``a`` gives the row a.n <= max over whole n of a.n, computed exactly here;
    rows already implied by the per-size bounds (or multiples of another row), and rows less than
    ``strength`` tighter than the LP relaxation (304 councils are exactly 76 groups of four), are
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
            if a[i] == 1 and caps[i] < (1 - strength) * members[i] / sizes[i]:
                cuts.append((a, caps[i]))
            continue
        b = _most_councils_used(a, sizes, caps, councils)
        if b < sum(x * cap for x, cap in zip(a, caps)) and b < (1 - strength) * _fractional_most(
            a, sizes, members, councils
        ):
            cuts.append((a, b))
    return cuts


def partnership_components(col: np.ndarray, node: np.ndarray) -> np.ndarray:
    """For entries (column, node) with each column's entries side by side, the smallest node
    connected to each entry's node through columns: the connected components, found by passing
    the smallest label along columns until nothing changes."""
    label = np.arange(int(node.max(initial=-1)) + 1)
    first = np.flatnonzero(np.r_[True, np.diff(col) != 0])
    span = np.diff(np.r_[first, len(col)])
    while True:
        smallest = np.repeat(np.minimum.reduceat(label[node], first), span) if len(col) else label[node]
        before = label.copy()
        np.minimum.at(label, node, smallest)
        label = label[label]  # jump along chains of labels
        if np.array_equal(label, before):
            return label[node]


def define_partnership_count_cuts(model: Model) -> None:
    """Rounding cuts on how many partnerships of each size an area can have (see partnership_count_cuts).

    The cuts are made for each connected area of a service (councils linked by its candidate
    partnerships): no partnership crosses two areas, so each area's councils bound its own counts.
    Eight councils within 25 km of each other are "in 2 2/3 groups of three" in the LP, but hold
    two; nationally the LP bound of net benefit was a percent above the best plan for this reason.
    Without them HiGHS left West Midlands' central services at a 0.4 % gap after 120 s; with them it
    proves the optimum in seconds. They remove no whole plan, only fractional ones.
    """
    col, council, node = _partnership_entries(model)
    area = partnership_components(col, node)
    for cols, values, most in _count_cuts_by_area(col, council, area, model.n_partnerships):
        model.add_row(COUNT_CUT, cols, values, -INF, most)


def violated_count_cuts(model: Model, x: np.ndarray, tolerance: float = INTEGRALITY) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The rounding cuts (``partnership_count_cuts``) an LP solution x breaks, as (columns, values,
    upper bound) rows.

    A service's cuts hold for any set of councils, counting only the partnerships wholly inside it:
    a plan's partnerships inside never share a council. Where x blends partnerships, the councils
    they link are such a set, and x often fills it "in 2 1/4 groups of four" (nine councils of the
    North East). The service's whole connected areas are such sets too.

    Every broken cut is returned, however little it is broken: ``define_partnership_count_cuts``
    leaves out rows less than ``MIN_CUT_STRENGTH`` tighter than the LP, since most would never bind,
    but a broken one does. A region's 69 councils "in 17 1/4 groups of four" are 1.4 % from 17; left
    out, the South East's central services kept an LP bound of £616.75 m over a best plan of
    £616.08 m, which HiGHS's branching did not close in 600 s. With the row, the LP bound is the plan.
    """
    col, council, node = _partnership_entries(model)
    blended = (x[col] > tolerance) & (x[col] < 1 - tolerance)
    if not blended.any():
        return []
    # each (service, council) labelled by the set of councils it shares blended partnerships with
    label = np.full(int(node.max()) + 1, -1, dtype=np.int64)
    label[node[blended]] = partnership_components(col[blended], node[blended])
    first = np.flatnonzero(np.r_[True, np.diff(col) != 0])
    lowest = np.minimum.reduceat(label[node], first)
    highest = np.maximum.reduceat(label[node], first)
    inside = np.repeat((lowest == highest) & (lowest >= 0), np.diff(np.r_[first, len(col)]))
    cuts = _count_cuts_by_area(col[inside], council[inside], label[node[inside]], model.n_partnerships, strength=0.0)
    cuts += _count_cuts_by_area(col, council, partnership_components(col, node), model.n_partnerships, strength=0.0)
    broken = {}  # a blended set that is a whole area gives the same row twice
    for cols, values, most in cuts:
        if values @ x[cols] > most + tolerance:
            broken.setdefault((cols.tobytes(), values.tobytes(), most), (cols, values, most))
    return list(broken.values())


def _partnership_entries(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The partnerships' (column, council) entries, each column's side by side, and each entry's
    (service, council) as one number: the nodes a service's partnerships link."""
    m = model.members
    part = m.col < model.n_partnerships
    col, council = m.col[part], m.council[part]
    return col, council, m.service[part].astype(np.int64) * len(model.inputs.councils) + council


def _count_cuts_by_area(col: np.ndarray, council: np.ndarray, area: np.ndarray, n_partnerships: int,
                        strength: float = MIN_CUT_STRENGTH) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The rows of ``partnership_count_cuts`` for each area, from the (column, council) entries of
    the partnerships wholly inside it (``area``: each entry's area)."""
    size = np.bincount(col, minlength=n_partnerships)
    order = np.argsort(area, kind="stable")
    edges = np.flatnonzero(np.r_[True, np.diff(area[order]) != 0, True])
    rows = []
    for first, last in zip(edges[:-1], edges[1:]):
        entries = order[first:last]
        cols = np.unique(col[entries])
        entry_size = size[col[entries]]
        sizes = sorted(set(entry_size.tolist()))
        if len(sizes) > 4:
            continue  # 4^sizes candidate rows: too many for what they bring
        councils = len(np.unique(council[entries]))
        counts = [len(np.unique(council[entries][entry_size == k])) for k in sizes]
        for a, b in partnership_count_cuts(sizes, counts, councils, strength=strength):
            weight = np.zeros(max(sizes) + 1)
            weight[sizes] = a
            values = weight[size[cols]]
            rows.append((cols[values > 0], values[values > 0], float(b)))
    return rows

