"""A mixed-integer program in array form, and the restricted programs the solve step carves out of it.

``row_lower <= A x <= row_upper``, ``lower <= x <= upper``, some columns whole. A is kept as
coordinates (row, column, value): rows are appended cheaply (each aim adds one to hold the earlier
aims' values) and a sub-program is a mask away. Solvers get it column-wise in one call, which is
what makes a 480,000-column model quick to hand over (PuLP's one-at-a-time handover was ~3 µs per
non-zero, SOLVER-NOTES.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from optimizer.tolerances import FEASIBILITY

UNNAMED = "unnamed"  # the family of rows made without one (hand-built programs)



@dataclass(frozen=True)
class Matrix:
    rows: np.ndarray  # int32 row of each non-zero
    cols: np.ndarray  # int32 column of each non-zero
    values: np.ndarray  # float64
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # bool per column
    # each row's family (the define_* that made it, or the solve's cuts and ties), so a dual, a cut
    # or an infeasibility can say what kind of row it is: a code per row into ``families``
    family: np.ndarray | None = None  # int16 per row; None: every row unnamed
    families: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.family is None:
            object.__setattr__(self, "family", np.zeros(len(self.row_lower), dtype=np.int16))
            object.__setattr__(self, "families", self.families or (UNNAMED,))

    def family_of(self, row: int) -> str:
        """The name of ``row``'s family."""
        return self.families[int(self.family[row])]

    def row_families(self) -> np.ndarray:
        """Each row's family name."""
        return np.array(self.families, dtype=object)[self.family]

    def _family_code(self, name: str) -> tuple[int, tuple[str, ...]]:
        """``name``'s code, and the families with it added when new."""
        if name in self.families:
            return self.families.index(name), self.families
        return len(self.families), (*self.families, name)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def n_cols(self) -> int:
        return len(self.lower)

    @cached_property
    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start, row index, value), column by column, as HiGHS and MPS writers take them."""
        order = np.lexsort((self.rows, self.cols))
        start = np.searchsorted(self.cols[order], np.arange(self.n_cols + 1)).astype(np.int32)
        return start, self.rows[order].astype(np.int32), self.values[order]

    @cached_property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.lexsort((self.cols, self.rows))
        start = np.searchsorted(self.rows[order], np.arange(self.n_rows + 1)).astype(np.int32)
        return start, self.cols[order].astype(np.int32), self.values[order]

    def rounded(self, x: np.ndarray) -> np.ndarray:
        """x with its whole columns rounded to the nearest whole number (solvers return them to
        their integrality tolerance)."""
        x = np.array(x, dtype=np.float64)
        x[self.integer] = np.round(x[self.integer])
        return x

    def activity(self, x: np.ndarray) -> np.ndarray:
        """A x."""
        return np.bincount(self.rows, weights=self.values * x[self.cols], minlength=self.n_rows)

    def priced(self, cost: np.ndarray, duals: np.ndarray) -> np.ndarray:
        """cost - A'duals: each column's reduced cost under row duals."""
        return cost - np.bincount(self.cols, weights=self.values * duals[self.rows], minlength=self.n_cols)

    def violation(self, x: np.ndarray) -> float:
        """How far x is outside its rows and bounds, relative to each row's size (0 when feasible)."""
        ax = self.activity(x)
        scale = np.maximum(1.0, np.abs(ax))
        rows = np.maximum(self.row_lower - ax, ax - self.row_upper) / scale
        bounds = np.maximum(self.lower - x, x - self.upper)
        return float(max(rows.max(initial=0.0), bounds.max(initial=0.0)))

    def normalised(self) -> Matrix:
        """Each row divided by its largest coefficient: the same program, on a scale solvers handle.

        Target rows hold pounds (coefficients to 3e7) beside rows of ones; unscaled, HiGHS's simplex
        stalled for minutes on England's net-benefit LP that takes seconds once rows are scaled.
        """
        largest = np.zeros(self.n_rows)
        np.maximum.at(largest, self.rows, np.abs(self.values))
        factor = 1.0 / np.where(largest > 0, largest, 1.0)
        return Matrix(self.rows, self.cols, self.values * factor[self.rows], self.row_lower * factor,
                      self.row_upper * factor, self.lower, self.upper, self.integer, self.family, self.families)

    def rows_of(self, family: str) -> list[tuple[np.ndarray, np.ndarray, float, float]]:
        """The rows of ``family``, each (columns, values, lower, upper), as ``with_rows`` takes them."""
        if family not in self.families:
            return []
        wanted = np.flatnonzero(self.family == self.families.index(family))
        keep = np.isin(self.rows, wanted)  # only their entries sorted: England's whole matrix takes seconds
        order = np.argsort(self.rows[keep], kind="stable")
        rows, cols, values = self.rows[keep][order], self.cols[keep][order], self.values[keep][order]
        start = np.searchsorted(rows, wanted)
        end = np.searchsorted(rows, wanted, side="right")
        return [(cols[a:b], values[a:b], float(self.row_lower[r]), float(self.row_upper[r]))
                for r, a, b in zip(wanted, start, end)]

    def with_row(self, cols: np.ndarray, values: np.ndarray, lower: float, upper: float, family: str) -> Matrix:
        """The program with one more row, of ``family``, scaled like the rest (see ``normalised``)."""
        return self.with_rows([(cols, values, lower, upper)], family)

    def with_rows(self, rows: list[tuple[np.ndarray, np.ndarray, float, float]], family: str) -> Matrix:
        """The program with more rows of ``family``, each (columns, values, lower, upper), scaled like the rest."""
        code, families = self._family_code(family)
        entries, values, lower, upper = [], [], [], []
        for i, (row_cols, row_values, low, up) in enumerate(rows):
            row_values = np.asarray(row_values, dtype=np.float64)
            keep = row_values != 0
            largest = float(np.abs(row_values[keep]).max(initial=0.0)) or 1.0
            entries.append((np.full(int(keep.sum()), self.n_rows + i, dtype=np.int32), np.asarray(row_cols)[keep]))
            values.append(row_values[keep] / largest)
            lower.append(low / largest)
            upper.append(up / largest)
        return Matrix(
            np.concatenate([self.rows, *(r for r, _ in entries)]),
            np.concatenate([self.cols, *(c.astype(np.int32) for _, c in entries)]),
            np.concatenate([self.values, *values]),
            np.append(self.row_lower, lower),
            np.append(self.row_upper, upper),
            self.lower,
            self.upper,
            self.integer,
            np.append(self.family, np.full(len(rows), code, dtype=np.int16)),
            families,
        )

    def loosened(self, families: tuple[str, ...]) -> Matrix:
        """The program with the rows of ``families`` left free (no bounds): a relaxation, with the
        same rows and columns, so its LP's duals (0 on the freed rows) and reduced costs line up."""
        freed = np.isin(self.family, [self.families.index(f) for f in families if f in self.families])
        if not freed.any():
            return self
        return replace(self, row_lower=np.where(freed, -np.inf, self.row_lower),
                       row_upper=np.where(freed, np.inf, self.row_upper))

    def rows_touched(self, columns: np.ndarray) -> np.ndarray:
        """Which rows hold at least one of ``columns`` (a mask): the rows ``restrict`` keeps."""
        return np.bincount(self.rows[columns[self.cols]], minlength=self.n_rows) > 0

    def restrict(self, free: np.ndarray, x: np.ndarray, every_row: bool = False) -> Matrix | None:
        """The program in the ``free`` columns alone, every other column held at its value in ``x``.

        Held columns move into the row bounds; a row left with no free column is dropped (unless
        ``every_row``: then rows keep their numbers), and if the held values break it the
        restriction has no plan at all (None).
        """
        held = np.where(free, 0.0, x)
        shift = self.activity(held)
        lower, upper = self.row_lower - shift, self.row_upper - shift
        entry_free = free[self.cols]
        has_free = self.rows_touched(free)
        if every_row:
            has_free[:] = True
        slack = FEASIBILITY * np.maximum(1.0, np.abs(shift))
        if np.any(~has_free & ((lower > slack) | (upper < -slack))):
            return None
        new_row = np.cumsum(has_free) - 1
        new_col = np.cumsum(free) - 1
        return Matrix(
            new_row[self.rows[entry_free]].astype(np.int32),
            new_col[self.cols[entry_free]].astype(np.int32),
            self.values[entry_free],
            lower[has_free],
            upper[has_free],
            self.lower[free],
            self.upper[free],
            self.integer[free],
            self.family[has_free],
            self.families,
        )
