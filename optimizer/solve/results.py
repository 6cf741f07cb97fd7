"""What a solve returns, in a module that loads no solver: reading or reporting a plan needs these
types, not highspy or PuLP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class SolverError(Exception):
    """The solver is missing or failed; no plan can be trusted."""


@dataclass(frozen=True)
class Outcome:
    """What one solver call returned, in the units it minimised."""

    termination: str  # optimal | time_limit | infeasible | interrupted | error
    x: np.ndarray | None = None  # the plan, whole columns rounded; None without one
    bound: float | None = None  # the best objective proven possible
    reduced_costs: np.ndarray | None = None  # LP only
    duals: np.ndarray | None = None  # LP only: each row's dual (reduced cost = cost - A'duals)

    @property
    def has_plan(self) -> bool:
        return self.x is not None


# (plan, bound, seconds) -> None: called as a MIP improves, for the progress display
Watcher = Callable[[float, float, float], None]
