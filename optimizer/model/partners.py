"""Partner caps: how many different bodies a council shares with, over all its partnerships together
(``max_partners``, SPEC.md section 2): a few alliances, not a patchwork.

A council's partners are the distinct other members of every partnership it is in, whatever the
service. The model gets one link column per pair of councils that some candidate puts together
where either has a cap that can bind, and two families of rows:

- ``partner_link``: for each pair and service, the partnerships of that service holding both add up
  to at most the pair's link. A council is in at most one partnership of a service, so the sum is 0
  or 1: the row is as tight as one row per partnership (``x_G <= link``), with far fewer rows, and
  the LP cannot spread one pair over many fractional groups of a service for free;
- ``partner_cap``: a capped council's links add up to at most its ``max_partners``.

The link is continuous in [0, 1]: once the partnerships are whole, the least link its rows allow is
0 or 1, and no row asks a link to be larger, so every plan's links are set to exactly that
(``Model.complete``). Only caps that can bind get rows: a council with no more possible partners
than its cap is left alone, and pools (``optimizer.model.pools``) are never formed over a council
whose cap binds, since a pool decides who shares, not with whom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from optimizer.workbook.inputs import Inputs

if TYPE_CHECKING:
    from optimizer.model.build import Memberships


@dataclass(frozen=True)
class PartnerLinks:
    """The pairs that may need a link, and which partnership columns put each pair together."""

    pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))  # (a, b), a < b
    link: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per entry: its pair
    col: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per entry: the column
    service: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per entry: its service

    def __len__(self) -> int:
        return len(self.pairs)

    def values(self, chosen: np.ndarray) -> np.ndarray:
        """Each link in a plan whose partnership columns are ``chosen`` (a mask): 1 where the pair shares."""
        value = np.zeros(len(self.pairs))
        np.maximum.at(value, self.link, chosen[self.col].astype(float))
        return value


def member_pairs(entries: Memberships, n_groups: int) -> np.ndarray:
    """Every (council a, council b, column, service) with a < b members of one of the first
    ``n_groups`` columns (the partnerships), one row per pair of each."""
    group = entries.col < n_groups
    cols, councils = entries.col[group].astype(np.int64), entries.council[group].astype(np.int64)
    services = entries.service[group].astype(np.int64)
    order = np.argsort(cols, kind="stable")
    cols, councils, services = cols[order], councils[order], services[order]
    size = np.bincount(cols, minlength=n_groups)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    found = [np.zeros((0, 4), dtype=np.int64)]
    for k in np.unique(size[size >= 2]).tolist():
        of_size = np.flatnonzero(size == k)
        members = np.sort(councils[first[of_size][:, None] + np.arange(k)], axis=1)
        for i, j in combinations(range(k), 2):
            found.append(np.column_stack([members[:, i], members[:, j], of_size, services[first[of_size]]]))
    return np.concatenate(found)


def binding_caps(inputs: Inputs, pairs: np.ndarray) -> np.ndarray:
    """Per council, whether its ``max_partners`` can bind: it has more possible partners than its cap."""
    n = len(inputs.councils)
    cap = np.array([c.max_partners if c.max_partners is not None else n for c in inputs.councils])
    distinct = np.unique(pairs[:, 0] * n + pairs[:, 1])
    possible = np.bincount(np.concatenate([distinct // n, distinct % n]), minlength=n)
    return possible > cap


def partner_links(pairs: np.ndarray, binding: np.ndarray, col_of_group: np.ndarray) -> PartnerLinks:
    """The links the ``binding`` caps need, over ``pairs`` (``member_pairs`` of every candidate);
    ``col_of_group`` is each candidate's column, -1 where it stands in a pool."""
    pairs = pairs[(binding[pairs[:, 0]] | binding[pairs[:, 1]]) & (col_of_group[pairs[:, 2]] >= 0)]
    if not len(pairs):
        return PartnerLinks()
    n = len(binding)
    keys, link = np.unique(pairs[:, 0] * n + pairs[:, 1], return_inverse=True)
    return PartnerLinks(np.column_stack([keys // n, keys % n]), link.ravel(), col_of_group[pairs[:, 2]], pairs[:, 3])
