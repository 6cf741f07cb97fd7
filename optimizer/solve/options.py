"""The solve's tuning, in one frozen object passed down from ``solve_model``.

None of these changes what is proved, only how soon: every method they size is exact (see
``optimizer.solve.driver``). Each value carries the measurement behind it. To try another, build
one with ``dataclasses.replace(SolveOptions(), ...)`` and pass it to ``solve_model`` or
``optimizer.pipeline.optimise``.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.model.pools import POOL_FROM_GROUPS


@dataclass(frozen=True)
class SolveOptions:
    # ---- one aim's time (optimizer.solve.driver) ----
    quick_share: float = 0.2  # of an aim's time, for the plan built from the LP's columns
    # and, where the tiling runs too, at most this many seconds per LP second: England's net benefit
    # over the LP's 1,630 columns took 12 s to prove a plan 2 % worse than the tiling's
    quick_per_lp_second: float = 1.0
    # of what is left then, at most, for the plan read off the LP. Only a guard: the tiling's tries
    # and patience end it first wherever it can finish, so a run's plan does not hang on the clock
    tiling_share: float = 0.15
    tiling_rounds: int = 8  # tilings, each keeping the partnerships of more councils, before giving up
    search_share: float = 0.4  # of what is left then, for the neighbourhood search
    # smaller problems go to the solver whole; None: twice ``neighbourhood_columns``
    search_from_columns: int | None = None
    provable_columns: int = 100_000  # a MIP over more did not leave its root in the time (England: 472,789)
    cut_rounds: int = 8  # LPs re-solved with the rounding cuts the last one broke, at most
    cut_share: float = 0.4  # of the time left, for them
    # with more alive decisions the LP leaves the partner caps' rows out (a relaxation): with them,
    # England's LP over 480,000 columns was unsolved at 370 s; plans and settled areas keep them
    partner_rows_lp_columns: int = 100_000

    # ---- the area settled exactly for a tighter bound (optimizer.solve.driver, .bound) ----
    area_seeds: int = 10  # councils where the plan falls furthest short, the area settled exactly grows from
    area_seed_columns: int = 1000  # options around each (England: 24 councils, 3 s)
    area_columns: int = 20_000  # in all: HiGHS's presolve alone took a minute over 65,000
    # a wider region is settled only with this much time left per option (England: 38,899 in 185 s)
    area_seconds_per_column: float = 0.005
    area_share: float = 0.5  # of what is left after the search, for that MIP

    # ---- the neighbourhood search (optimizer.solve.search) ----
    # decisions freed at a time across services at first: a sub-MIP this size takes a second or two;
    # where every area this size stalls, the search doubles it (``NeighbourhoodSearch._grown``)
    neighbourhood_columns: int = 1000
    most_columns: int = 16_000  # within one service: England's sub-MIPs this size took from under a second to a minute
    sub_mip_seconds: float = 10.0  # for neighbourhood_columns; twice as long for an area 4 times the size
    area_mip_seconds: float = 8.0  # but no area longer: England's hardest area of 16,000 options held its MIP to the deadline
    idle_gain: float = 0.01  # a round closing less of the gap to the bound than this is not worth another

    # ---- the model (optimizer.model.pools) ----
    pool_from_groups: int = POOL_FROM_GROUPS  # interchangeable groups a block needs to stand in a pool

    # ---- the tiling of the LP (optimizer.solve.tiling) ----
    backtrack_budget: int = 1_000  # dead ends explored before rows that cannot be covered are left open
    tiling_tries: int = 50  # the first follows the LP's preferences; later ones break its ties at random
    tiling_patience: int = 3  # tries in a row without a cheaper tiling before the rest are given up

    # ---- the solvers (optimizer.solve.backends) ----
    # LPs with more columns are solved by pricing them in: with 2,400 rows and 480,000 columns,
    # simplex on everything took minutes for England's net-benefit aim
    price_from_columns: int = 50_000
    priced_per_round: int = 5_000  # columns a pricing round adds at most
    progress_every_s: float = 10.0  # between bound reports; every better plan is reported at once
    # PuLP writing the MPS file and reading the solution, taken off CBC's own limit (SOLVER-NOTES.md)
    cbc_handover_s_per_nonzero: float = 3e-6
    # HiGHS's threads; None: its own choice (half the cores). Scenarios solved side by side set 1, so
    # that N workers use N cores rather than fighting over them. CBC, run through PuLP, uses one anyway.
    threads: int | None = None

    @property
    def search_from(self) -> int:
        """Alive decisions above which the tiling and the search run."""
        return 2 * self.neighbourhood_columns if self.search_from_columns is None else self.search_from_columns


DEFAULT = SolveOptions()
