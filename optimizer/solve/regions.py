"""Which area to settle exactly for a bound tighter than the LP's (``optimizer.solve.bound``), when
no proof over every option is in reach: around the councils where the plan falls furthest short,
then ever wider regions while the time left affords them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.model.build import TIE
from optimizer.solve.bound import columns_touching, complementary_gaps
from optimizer.solve.results import Outcome

if TYPE_CHECKING:
    from optimizer.solve.aim import AimSolve


def trouble_area(run: AimSolve, plan: np.ndarray, lp: Outcome) -> np.ndarray:
    """The rows to settle exactly (``rows_of``): those of the councils nearest each of
    ``_trouble_seeds``, about ``options.area_seed_columns`` options around each while the area stays within
    ``options.area_columns``."""
    places = run.geography
    councils = np.zeros(places.n_councils, dtype=bool)
    decisions = run.alive & run.matrix.integer
    short, holding = _trouble_seeds(run, plan, lp)
    for seed in short + holding:
        wider = councils | places.nearest(seed, run.options.area_seed_columns, decisions)
        # a seed in a city brings tens of thousands of options, more than the MIP settles in time
        if (decisions & places.touching(wider)).sum() <= run.options.area_columns:
            councils = wider
    return rows_of(run, councils)


def settle_wider(run: AimSolve, plan: np.ndarray, lp: Outcome, lowest: float) -> float:
    """The bound after settling ever wider regions while the plan is not proven and the time left
    affords the next (``options.area_seconds_per_column``): the councils nearest those where the plan falls
    furthest short, 2 × ``options.area_columns`` options, then twice as many, with the councils holding
    avoidable shortfall. Where seeds' small neighbourhoods leave edges in busy places, a region
    puts its edge further out (England: 155 councils, 38,899 options, proved the plan within
    0.003 % in 185 s, where neighbourhoods stopped at 0.03 %)."""
    columns = 2 * run.options.area_columns

    def worth_another() -> bool:
        return not run.close(float(run.aim.cost @ plan), lowest) and run.left() >= columns * run.options.area_seconds_per_column

    if not worth_another():
        return lowest
    short, holding = _trouble_seeds(run, plan, lp)
    places, decisions = run.geography, run.alive & run.matrix.integer
    rank = places.rank_by(places.distance[short].min(axis=0)) if short else np.zeros(places.n_councils, dtype=np.int64)
    while worth_another():
        councils = rank < places.within(rank, columns, decisions)
        councils[holding] = True
        settled = run.settle(lp, rows_of(run, councils), run.left())
        if settled is not None and settled > lowest:
            lowest = settled
            run.bound_is(lowest)
        if councils.all():
            break  # the region was everyone: no wider one to settle
        columns *= 2
    return lowest


def rows_of(run: AimSolve, councils: np.ndarray) -> np.ndarray:
    """The rows of ``councils`` (a mask), and every other row whose whole columns all touch those
    (among them an earlier aim's tie, over shortfalls alone): kept whole, such a row adds no whole
    column to the area's MIP, and is never weaker than priced.

    Priced instead of kept, the tie lets the area spend, at a degenerate LP's price, shortfall the
    rest of the country cannot give up. England's net benefit: with a plan at £9,109.0 m, the North
    East's central services settled with the tie priced proved £9,121.4 m; kept, £9,111.8 m. The
    rounding cuts inside an area are kept the same way (with them, £9,109.73 m where priced £9,109.83 m).
    """
    mine = np.r_[councils, False][row_owner(run)]
    _, program = run.program
    touching = columns_touching(program, mine)
    elsewhere = program.integer[program.cols] & ~touching[program.cols]
    return mine | (np.bincount(program.rows, weights=elsewhere, minlength=program.n_rows) == 0)


def _trouble_seeds(run: AimSolve, plan: np.ndarray, lp: Outcome) -> tuple[list[int], list[int]]:
    """The ``options.area_seeds`` councils where the plan stands furthest above what the LP's duals price it
    at (``optimizer.solve.bound.complementary_gaps``), and those carrying more shortfall than their best
    decisions would leave: the shortfall the rest of the country could give up sits with them."""
    free, program = run.program
    column_gap = np.zeros(run.matrix.n_cols)
    column_gap[free], row_gap = complementary_gaps(program, run.aim.cost[free], lp.duals, plan[free])
    owner = row_owner(run)
    mine = owner >= 0
    places = run.geography
    gap = places.per_council(column_gap) + np.bincount(owner[mine], weights=row_gap[mine], minlength=places.n_councils)
    short = np.flatnonzero(gap > run.aim.tie)
    seeds = short[np.argsort(-gap[short], kind="stable")][:run.options.area_seeds].tolist()
    model = run.model
    avoidable = (plan - run.shortfall_floor)[model.shortfall_cols] * model.targets[model.shortfall_council]
    return seeds, model.shortfall_council[avoidable > TIE["shortfall"]].tolist()


def row_owner(run: AimSolve) -> np.ndarray:
    """The council each row concerns alone; -1 for rows across councils (and those earlier aims added)."""
    owner = np.full(run.matrix.n_rows, -1, dtype=np.int64)
    owner[: len(run.model.row_council)] = run.model.row_council
    return owner
