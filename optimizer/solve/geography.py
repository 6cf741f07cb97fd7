"""Where councils are, and which columns concern which councils: the index the neighbourhood
search draws its areas from and the driver its settled regions, built once per model."""

from __future__ import annotations

import numpy as np

from optimizer.model.build import Model
from optimizer.model.candidates import distances_km


def column_councils(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(column, council) pairs: whom each column concerns (members, the reducing council, every
    council of a pool its count, the short one, both councils of a partner link)."""
    m = model.members
    short_cols = model.n_decisions + np.arange(len(model.shortfall_council), dtype=np.int32)
    count_cols = [np.full(len(pool.councils), model.pool_count_col(i)) for i, pool in enumerate(model.pools)]
    link_cols = np.repeat(model.first_link + np.arange(len(model.links)), 2)
    return (np.concatenate([m.col, *count_cols, short_cols, link_cols]),
            np.concatenate([m.council, *(pool.councils for pool in model.pools), model.shortfall_council,
                            model.links.pairs.ravel()]))


def council_distances(model: Model) -> np.ndarray:
    """Km between councils; a council without coordinates is treated as near every other."""
    councils = model.inputs.councils
    lat = np.array([c.latitude if c.latitude is not None else np.nan for c in councils], dtype=float)
    lon = np.array([c.longitude if c.longitude is not None else np.nan for c in councils], dtype=float)
    return np.nan_to_num(distances_km(lat, lon), nan=0.0)


class Geography:
    """Council distances, and the column-council incidence (``column_councils``) indexed both ways."""

    def __init__(self, model: Model):
        self.n_cols = model.n_cols
        self.n_councils = len(model.inputs.councils)
        self.cols, self.councils = column_councils(model)
        self.distance = council_distances(model)
        self.members_of = np.bincount(self.cols, minlength=self.n_cols)  # councils each column concerns
        self.touches = self.members_of > 0
        order = np.argsort(self.cols, kind="stable")
        self.sorted_cols, self.sorted_councils = self.cols[order], self.councils[order]
        self.first = np.flatnonzero(np.r_[True, np.diff(self.sorted_cols) != 0])

    def rank_by(self, distance: np.ndarray) -> np.ndarray:
        """Each council's place in order of ``distance`` (0 for the nearest)."""
        rank = np.empty(self.n_councils, dtype=np.int64)
        rank[np.argsort(distance, kind="stable")] = np.arange(self.n_councils)
        return rank

    def over_columns(self, rank: np.ndarray, reduce: np.ufunc) -> np.ndarray:
        """For each column, ``reduce`` (``np.maximum``: the last to join an area; ``np.minimum``:
        the first) over the ranks of the councils it concerns; ``n_councils`` for a column of none."""
        joins = np.full(self.n_cols, self.n_councils, dtype=np.int64)
        joins[self.sorted_cols[self.first]] = reduce.reduceat(rank[self.sorted_councils], self.first)
        return joins

    def per_council(self, per_column: np.ndarray, split: bool = True) -> np.ndarray:
        """Sums over the columns concerning each council; with ``split``, a column's amount shared
        equally among its councils."""
        weights = per_column[self.cols] / (self.members_of[self.cols] if split else 1)
        return np.bincount(self.councils, weights=weights, minlength=self.n_councils)

    def touching(self, councils: np.ndarray) -> np.ndarray:
        """The columns concerning at least one of ``councils`` (a mask)."""
        return self.over_columns(np.where(councils, 0, 1), np.minimum) == 0

    def nearest(self, seed: int, columns: int, alive: np.ndarray) -> np.ndarray:
        """The councils nearest ``seed`` (a mask) that about ``columns`` of the ``alive`` columns
        concern before any further council does."""
        rank = self.rank_by(self.distance[seed])
        return rank < max(self.within(rank, columns, alive), 1)

    def within(self, rank: np.ndarray, columns: int, alive: np.ndarray) -> int:
        """How many councils, taken in ``rank`` order, about ``columns`` of the ``alive`` columns
        concern: up to the one that would bring one too many; all of them when none would."""
        joins = np.sort(self.over_columns(rank, np.minimum)[alive])
        return int(joins[columns]) if columns < len(joins) else self.n_councils
