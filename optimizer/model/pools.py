"""Pools: where every group of a size is a candidate, the plan decides who shares, not with whom.

A member's figures depend only on its partnership's size (SPEC.md section 2). Where, for a service
and a size k, a connected set of councils has every one of its k-subsets as a candidate (all within
reach of each other: London's 33 boroughs for central services within 50 km), those groups are
interchangeable: regrouping the councils a plan puts into groups of k changes no figure and no
constraint. So the model decides, for each council of the pool, whether it is in a group of k (a
0/1 column with that member's figures), and how many groups there are (a whole column n, with
``members chosen = k × n``); any grouping realises it. This is exact, its LP relaxation is the set
packing LP's, and it takes away the symmetry that stalls a MIP solver: London's 40,920 groups of
four become 33 member columns and one count (the least-shortfall aim proven in seconds, where over
every group HiGHS had not proven it in 110 s).

A pool is formed only over more groups than one area of the neighbourhood search frees
(``POOL_FROM_GROUPS``), and never over groups whose figures or status the ``Partnerships`` sheet sets
(they are not interchangeable).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from optimizer.model.candidates import Candidates

if TYPE_CHECKING:
    from optimizer.model.build import Memberships


#: Smaller blocks are settled whole by one sub-MIP of the search (``SolveOptions.neighbourhood_columns``,
#: the same 1,000), where their symmetry costs nothing; pooled, they change only the path the search
#: takes. England 2023-24 has 14 blocks of ten groups (Tyne and Wear's front lines): pooled, its
#: net-benefit search ended 0.08-0.12 % short of proof at 120 s in three runs of three, where
#: unpooled it is proven in 86 s.
POOL_FROM_GROUPS = 1_000


@dataclass(frozen=True)
class Pool:
    """Every k-subset of ``councils`` is a candidate for ``service``, with per-member figures."""

    service: int  # index into Model.services
    size: int
    councils: np.ndarray  # indices into inputs.councils, ascending
    groups: np.ndarray  # the candidates it stands for (indices into candidates.partnerships)
    saving: np.ndarray  # each council's figures as a member of a group of ``size``
    one_off: np.ndarray
    staff: np.ndarray

    @property
    def most_groups(self) -> int:
        return len(self.councils) // self.size


def find_pools(candidates: Candidates, entries: Memberships, least_groups: int = POOL_FROM_GROUPS,
               avoiding: np.ndarray | None = None) -> list[Pool]:
    """The pools of every (service, size): the connected sets of councils of its candidate groups
    whose candidates are every k-subset of them, more than ``least_groups`` of them and more than
    the pool's columns, and none of the councils ``avoiding`` (a mask: those whose partner cap can
    bind, since a pool does not say who shares with whom). ``entries`` are the groups' members
    (``memberships``), each group's entries together and in order."""
    n_groups = len(candidates.partnerships)
    if not n_groups:
        return []
    size = np.bincount(entries.col[entries.col < n_groups], minlength=n_groups)  # every group has two or more
    first = np.concatenate([[0], np.cumsum(size)[:-1]])  # each group's first entry
    service = entries.service[first]
    pools = []
    for kind_service, kind_size in sorted(set(zip(service.tolist(), size.tolist()))):
        groups = np.flatnonzero((size == kind_size) & (service == kind_service))
        positions = first[groups][:, None] + np.arange(kind_size)
        members = entries.council[positions]
        label = _components(members)
        for component in np.unique(label):
            inside = label == component
            councils = np.unique(members[inside])
            if avoiding is not None and avoiding[councils].any():
                continue
            if inside.sum() > least_groups and _poolable(candidates, groups[inside], len(councils), kind_size):
                pools.append(_pool(kind_service, kind_size, councils, groups[inside], entries,
                                   positions[inside].ravel()))
    return pools


def _components(members: np.ndarray) -> np.ndarray:
    """Each group's connected component (groups linked through shared councils), as the least
    council index reachable: labels spread over the groups until they settle."""
    label = np.arange(int(members.max()) + 1)
    while True:
        least = label[members].min(axis=1)
        spread = label.copy()
        np.minimum.at(spread, members, least[:, None])
        spread = spread[spread]  # jump along settled labels
        if np.array_equal(spread, label):
            return label[members[:, 0]]
        label = spread


def _poolable(candidates: Candidates, groups: np.ndarray, councils: int, size: int) -> bool:
    """Every k-subset present, none of them set by the ``Partnerships`` sheet, and fewer columns."""
    if len(groups) != math.comb(councils, size) or len(groups) <= councils + 1:
        return False
    return not any(candidates.partnerships[j].name or candidates.partnerships[j].required for j in groups.tolist())


def _pool(service: int, size: int, councils: np.ndarray, groups: np.ndarray, entries: Memberships,
          positions: np.ndarray) -> Pool:
    """The pool, with each member's figures read off a group it is in (the same in every one)."""
    _, first = np.unique(entries.council[positions], return_index=True)  # ascending council, as ``councils``
    at = positions[first]
    return Pool(service, size, councils, groups, entries.saving[at], entries.one_off[at], entries.staff[at])


def realise(pool: Pool, members: np.ndarray, candidates: Candidates, council_index: dict[str, int],
            order: np.ndarray) -> list[int]:
    """The candidates that group ``members`` (positions in the pool, as many as whole groups take)
    by the pool's size, taken in ``order`` (a rank per council, e.g. north to south) so that
    neighbours share; any grouping is as good as any other."""
    chosen = pool.councils[members]
    chosen = chosen[np.argsort(order[chosen], kind="stable")]
    wanted = {frozenset(chosen[i : i + pool.size].tolist()) for i in range(0, len(chosen), pool.size)}
    found = []
    for j in pool.groups:
        key = frozenset(council_index[c] for c in candidates.partnerships[j].members)
        if key in wanted:
            found.append(int(j))
            if len(found) == len(wanted):
                break
    return sorted(found)
