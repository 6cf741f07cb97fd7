"""Validated inputs: what the rest of the optimiser is allowed to assume.

The reader (``optimizer.workbook.validate``) turns a workbook into an :class:`Inputs` or raises
:class:`InputError` listing every problem. Everything downstream works on these plain, immutable
records: defaults are filled in, names are exact, numbers are in pounds and fractions, and every
cross-sheet rule of SPEC.md section 1 already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from optimizer.workbook.schema import SETTINGS_BY_NAME

TargetMode = Literal["soft", "hard"]
SolverName = str  # highs, cbc, or another solver PuLP finds on the machine
Status = Literal["candidate", "required", "excluded"]


@dataclass(frozen=True)
class Council:
    name: str
    net_budget: float
    target: float | None  # £ a year; None when the council set no target
    latitude: float | None = None
    longitude: float | None = None
    max_staff_reduction_pct: float | None = None
    max_shared_services: int | None = None
    max_partners: int | None = None  # distinct other members over all its partnerships; None: no cap
    body_type: str = "council"  # lower case: council, police, fire, health, ...

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Service:
    """One service line delivered by one council (a row of ``Services``)."""

    council: str
    service: str
    annual_cost: float
    fte: float = 0.0
    statutory: bool = False
    protected: bool = False
    shareable: bool = True


@dataclass(frozen=True)
class SharingTerms:
    """One point of a service's savings curve: what a partnership of ``partners`` councils yields."""

    service: str
    partners: int
    saving_pct: float
    one_off_pct: float = 0.0
    staff_reduction_pct: float | None = None  # None: same as saving_pct
    max_distance_km: float | None = None
    body_types: tuple[str, ...] | None = None  # lower case; None: any body may be a member

    def admits(self, body_type: str) -> bool:
        return self.body_types is None or body_type in self.body_types

    @property
    def staff_pct(self) -> float:
        return self.saving_pct if self.staff_reduction_pct is None else self.staff_reduction_pct


@dataclass(frozen=True)
class Reduction:
    """One way (level) to spend less on a council's own service."""

    council: str
    service: str
    reduction_pct: float
    impact: float  # SPEC's impact: the impact column plus each objective's weight x score
    one_off_cost: float = 0.0
    row: int = 0  # workbook row, to name the option in reports
    scores: tuple[float, ...] = ()  # harm to each of Inputs.objectives, in their order (blank = 0)
    own_impact: float | None = None  # the impact column alone, when objectives add to it; None: = impact

    @property
    def column_impact(self) -> float:
        return self.impact if self.own_impact is None else self.own_impact


@dataclass(frozen=True)
class Objective:
    """A row of ``Objectives``: what a council protects when it must cut, and how much it counts."""

    name: str
    weight: float
    description: str = ""


@dataclass(frozen=True)
class ListedPartnership:
    """A row of ``Partnerships``: a named group and the decision already taken about it."""

    name: str
    service: str
    councils: tuple[str, ...]
    status: Status
    annual_saving: float | None = None
    one_off_cost: float | None = None
    staff_reduction_fte: float | None = None


@dataclass(frozen=True)
class Rule:
    """``never_together``: the two councils never share ``service`` (every service when None)."""

    council_a: str
    council_b: str
    service: str | None = None


def _default(setting: str):
    """A setting's default, declared once with the setting in ``schema`` (the template shows the same)."""
    return SETTINGS_BY_NAME[setting].default


@dataclass(frozen=True)
class Settings:
    targets: TargetMode = _default("targets")
    horizon_years: float = _default("horizon_years")
    investment_budget: float | None = _default("investment_budget")
    max_payback_years: float | None = _default("max_payback_years")
    discount_rate: float = _default("discount_rate")
    first_year_saving_share: float = _default("first_year_saving_share")
    borrowing_rate: float | None = _default("borrowing_rate")
    borrowing_years: int | None = _default("borrowing_years")
    time_limit_s: float = _default("time_limit_s")
    mip_gap: float = _default("mip_gap")
    solver: SolverName = _default("solver")

    def override(self, **changes) -> Settings:
        """Command-line values win over the workbook's; None means 'not given'."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class Scenario:
    """A row of ``Scenarios`` (or one combination of ``--sweep``): the workbook with ``changes`` made.

    ``changes`` are (column, value) in the sheet's column order: settings by their names, and
    ``target_pct``, ``target_scale``, ``saving_scale``, ``one_off_scale`` (SPEC section 5)."""

    name: str
    changes: tuple[tuple[str, object], ...] = ()
    row: int = 0  # its row of the Scenarios sheet; 0 for a sweep's

    @property
    def changed(self) -> dict[str, object]:
        return dict(self.changes)


@dataclass(frozen=True)
class Inputs:
    councils: tuple[Council, ...]
    services: tuple[Service, ...]
    sharing: tuple[SharingTerms, ...] = ()
    reductions: tuple[Reduction, ...] = ()
    partnerships: tuple[ListedPartnership, ...] = ()
    rules: tuple[Rule, ...] = ()
    settings: Settings = field(default_factory=Settings)
    source_name: str = ""
    source_sha256: str = ""
    objectives: tuple[Objective, ...] = ()  # after the others: older code builds Inputs by position
    scenarios: tuple[Scenario, ...] = ()  # the Scenarios sheet's; only `consolidate scenarios` reads them

    @cached_property
    def council(self) -> dict[str, Council]:
        return {c.name: c for c in self.councils}

    @cached_property
    def service_row(self) -> dict[tuple[str, str], Service]:
        """(council, service) -> its Services row."""
        return {(s.council, s.service): s for s in self.services}

    @cached_property
    def terms(self) -> dict[tuple[str, int], SharingTerms]:
        """(service, partners) -> the curve's row."""
        return {(t.service, t.partners): t for t in self.sharing}

    @cached_property
    def council_fte(self) -> dict[str, float]:
        total = {c.name: 0.0 for c in self.councils}
        for s in self.services:
            total[s.council] += s.fte
        return total

    def with_settings(self, settings: Settings) -> Inputs:
        return replace(self, settings=settings)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as ``Sheet!Cell`` (or just the sheet/file)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(Exception):
    """The workbook (or the command line) cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] = ()):
        self.problems = list(problems)
        self.warnings = list(warnings)  # worth knowing beside the problems: e.g. hidden rows
        super().__init__("\n".join(map(str, self.problems)))
