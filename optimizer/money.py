"""Money over time (SPEC.md section 2, aim 3): what a pound saved a year and a pound spent once are
worth today, and the year-by-year cash flow the plan workbook shows.

Net benefit is ``F × annual saving − G × one-off cost``. F counts each year of the horizon, year 1 at
``first_year_saving_share``, discounted at ``discount_rate``; G is 1 when one-off costs are paid at the
start, or the present value of the equal instalments that repay them when they are borrowed. One
place computes both, so the model's objective, the plan's figures and the Cash flow sheet agree.

A horizon that is not a whole number of years counts its last year in part (a horizon of 2.5 years
counts year 3 at half its saving), so that with the defaults F is the horizon itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from optimizer.workbook.inputs import Settings


@dataclass(frozen=True)
class YearFlow:
    """One row of the Cash flow sheet, in pounds of that year (present_value: of today)."""

    year: int
    one_off_cost: float
    repayment: float
    saving: float
    discount_factor: float

    @property
    def net(self) -> float:
        return self.saving - self.one_off_cost - self.repayment

    @property
    def present_value(self) -> float:
        return self.net * self.discount_factor


@dataclass(frozen=True)
class MoneyOverTime:
    horizon_years: float
    discount_rate: float = 0.0
    first_year_saving_share: float = 1.0
    borrowing_rate: float | None = None
    borrowing_years: int | None = None

    @classmethod
    def of(cls, settings: Settings) -> MoneyOverTime:
        return cls(settings.horizon_years, settings.discount_rate, settings.first_year_saving_share,
                   settings.borrowing_rate, settings.borrowing_years)

    @property
    def borrowed(self) -> bool:
        return self.borrowing_rate is not None and self.borrowing_years is not None

    @property
    def years(self) -> range:
        """Year 0 (the one-off costs) to the later of the horizon's end and the borrowing's."""
        return range(max(math.ceil(self.horizon_years), self.borrowing_years if self.borrowed else 0) + 1)

    def discount_factor(self, year: int) -> float:
        return (1.0 + self.discount_rate) ** -year

    def saving_share(self, year: int) -> float:
        """The share of a full year's saving realised in ``year`` (0 in year 0 and after the horizon)."""
        if year < 1:
            return 0.0
        within = min(1.0, max(0.0, self.horizon_years - (year - 1)))  # the part of the year inside the horizon
        return within * (self.first_year_saving_share if year == 1 else 1.0)

    @property
    def instalment(self) -> float:
        """Each year's repayment of £1 borrowed: ``b / (1 − (1+b)^−n)``, or ``1/n`` interest-free."""
        rate, term = self.borrowing_rate, self.borrowing_years
        return 1.0 / term if rate == 0 else rate / (1.0 - (1.0 + rate) ** -term)

    def repayment_share(self, year: int) -> float:
        """What £1 of one-off cost costs in ``year``: all of it in year 0 unless it is borrowed."""
        if not self.borrowed:
            return 1.0 if year == 0 else 0.0
        return self.instalment if 1 <= year <= self.borrowing_years else 0.0

    @property
    def saving_factor(self) -> float:
        """F: what £1 a year of annual saving is worth today over the horizon."""
        return math.fsum(self.saving_share(t) * self.discount_factor(t) for t in self.years)

    @property
    def one_off_factor(self) -> float:
        """G: what £1 of one-off cost costs today (1 paid at the start; borrowed, its repayments' worth)."""
        return math.fsum(self.repayment_share(t) * self.discount_factor(t) for t in self.years)

    def net_benefit(self, annual_saving: float, one_off_cost: float) -> float:
        return self.saving_factor * annual_saving - self.one_off_factor * one_off_cost

    def cash_flow(self, annual_saving: float, one_off_cost: float) -> list[YearFlow]:
        """Year by year: the one-off cost (year 0, unless borrowed), the repayments, the saving."""
        return [YearFlow(t, one_off_cost if t == 0 and not self.borrowed else 0.0,
                         one_off_cost * self.repayment_share(t) if self.borrowed else 0.0,
                         annual_saving * self.saving_share(t), self.discount_factor(t))
                for t in self.years]
