"""What a solve returns, in a module that loads no solver: reading or reporting a plan needs these
types, not highspy or PuLP."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimizer.model.build import TIE
from optimizer.tolerances import rounded_up


class SolverError(Exception):
    """The solver is missing or failed; no plan can be trusted."""


@dataclass(frozen=True)
class Outcome:
    """What one solver call returned, in the units it minimised."""

    termination: str  # a ``Termination`` word (not NOT_RUN)
    x: np.ndarray | None = None  # the plan, whole columns rounded; None without one
    bound: float | None = None  # the best objective proven possible
    reduced_costs: np.ndarray | None = None  # LP only
    duals: np.ndarray | None = None  # LP only: each row's dual (reduced cost = cost - A'duals)

    @property
    def has_plan(self) -> bool:
        return self.x is not None


# (plan, bound, seconds) -> None: called as a MIP improves, for the progress display
Watcher = Callable[[float, float, float], None]


@dataclass(frozen=True)
class StageResult:
    """What the solve of one aim proved."""

    aim: str
    termination: str  # a ``Termination`` word
    has_plan: bool
    value: float | None = None  # the aim's value in the plan found (its own sign: net benefit positive)
    bound: float | None = None  # best value proven possible, in the same sign
    seconds: float = 0.0
    # the decisions that can be in a plan tied with this one on this aim and every earlier one
    # (reduced-cost fixing): a re-solve of a restricted program that ties them needs no others
    alive: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def gap(self) -> float:
        """Relative gap between plan and bound, to ``GAP_FIGURES`` figures rounded up; 0 within the
        aim's tie tolerance; 1 when nothing is proven."""
        if not self.has_plan or self.bound is None or self.value is None or math.isinf(self.bound):
            return 1.0
        diff = abs(self.value - self.bound)
        if diff <= TIE[self.aim]:
            return 0.0
        return rounded_up(min(1.0, diff / max(abs(self.value), abs(self.bound))))


@dataclass
class Solution:
    status: str  # a ``RunStatus`` word
    solver: str
    partnerships: list[int] = field(default_factory=list)  # indices into candidates.partnerships
    reductions: list[int] = field(default_factory=list)
    stages: list[StageResult] = field(default_factory=list)
    seconds: float = 0.0
    log_tail: list[str] = field(default_factory=list)
    # the rounding cuts the solve added, each (columns, values, lower, upper): they hold for every
    # whole plan, so a re-solve of a restricted program starts from them
    cuts: list = field(default_factory=list, repr=False, compare=False)

    @property
    def gap(self) -> float:
        """The largest proven relative gap over the aims (0 when every aim is proven exact)."""
        return max((s.gap for s in self.stages), default=0.0)
