"""The benchmark's cases: both outturn years, each English region and all of England, other targets,
and variants that change the importer's assumptions, so that no figure is tuned to one instance.

A case is named ``YEAR:AREA[@TARGET][+VARIANT]``, for example ``2023-24:England@0.03`` or
``2022-23:London+dense``; the shipped examples are cases too (``west_midlands``, ``tri_borough``).
Imported cases go through a real workbook, as a user's would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
YEARS = ("2023-24", "2022-23")
REGIONS = ("North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
           "East of England", "London", "South East", "South West")
ENGLAND = "England"
SHIPPED = {"west_midlands": ROOT / "inputs" / "west_midlands.xlsx", "tri_borough": ROOT / "inputs" / "tri_borough.xlsx"}
DEFAULT_TARGET = 0.02


@dataclass(frozen=True)
class Curve:
    """A variant's sharing curve: saving at each size from 2, members' pairwise distance limit."""

    savings: tuple[float, ...]
    max_km: float

    def rows(self, service: str, payback_years: float) -> list[dict]:
        return [{"service": service, "partners": n, "saving_pct": s, "one_off_pct": round(payback_years * s, 4),
                 "staff_reduction_pct": s, "max_distance_km": self.max_km}
                for n, s in enumerate(self.savings, start=2)]


def _importer_curve(overhead: float, partners: int, km: float) -> Curve:
    from optimizer.importers.assumptions import sharing_curve

    return Curve(tuple(p.saving_pct for p in sharing_curve(overhead, partners, km)), km)


@dataclass(frozen=True)
class Variant:
    """Other assumptions: a change to the imported tables, and the bodies imported beside the councils."""

    change: Callable[[dict[str, list[dict]]], dict[str, list[dict]]]
    bodies: tuple[str, ...] = ()


def _recurved(central: Callable[[], Curve] | None = None, front: Callable[[], Curve] | None = None,
              scale: float = 1.0) -> Variant:
    """A variant that redraws the central-services and front-line curves, or scales every saving."""

    def recurve(sharing: list[dict]) -> list[dict]:
        from optimizer.importers.assumptions import PAYBACK_YEARS, SERVICE_LINES

        back_office = {line.service for line in SERVICE_LINES if line.back_office}
        services = list(dict.fromkeys(row["service"] for row in sharing))
        rows = []
        for service in services:
            curve = central if service in back_office else front
            if curve is None:
                rows += [{**row, **{k: round(row[k] * scale, 6) for k in ("saving_pct", "one_off_pct",
                                                                            "staff_reduction_pct")}}
                         for row in sharing if row["service"] == service]
            else:
                rows += curve().rows(service, PAYBACK_YEARS)
        return rows

    return Variant(lambda tables: {**tables, "Sharing": recurve(tables["Sharing"])})


def _capped(partners: int) -> Variant:
    """Community Budgets with alliances: police and fire bodies beside the councils, and every body
    in partnerships with at most ``partners`` others in all (issue 17's measurement at scale)."""
    return Variant(lambda tables: {**tables, "Councils": [{**row, "max_partners": partners}
                                                          for row in tables["Councils"]]},
                   bodies=("police", "fire"))


#: Assumptions other than the importer's: wider back offices, wider front lines, a leaner curve,
#: the dense London of issue 20 (every borough within reach of every other), and alliances of at
#: most three partners among councils, police and fire.
VARIANTS: dict[str, Variant] = {
    "central5x80": _recurved(central=lambda: _importer_curve(0.20, 5, 80.0)),
    "front4x40": _recurved(front=lambda: _importer_curve(0.05, 4, 40.0)),
    "lean30": _recurved(scale=0.7),
    "dense": _recurved(central=lambda: Curve((0.04, 0.06, 0.075), 50.0), front=lambda: Curve((0.02, 0.03), 25.0)),
    "cap3": _capped(3),
}


@dataclass(frozen=True)
class Case:
    year: str
    area: str  # a region of the geography file, or England
    target_pct: float = DEFAULT_TARGET
    variant: str | None = None

    @property
    def name(self) -> str:
        target = "" if self.target_pct == DEFAULT_TARGET else f"@{self.target_pct:g}"
        return f"{self.year}:{self.area}{target}" + (f"+{self.variant}" if self.variant else "")


#: the names the benchmark had before the matrix
ALIASES = {"south_east": "2023-24:South East", "england": "2023-24:England"}


def parse(name: str) -> Case | str:
    """A case from its name; a shipped example's name stays a name."""
    if name in SHIPPED:
        return name
    name = ALIASES.get(name, name)
    year, _, rest = name.partition(":")
    rest, _, variant = rest.partition("+")
    area, _, target = rest.partition("@")
    if year not in YEARS or (area != ENGLAND and area not in REGIONS) or (variant and variant not in VARIANTS):
        raise ValueError(f"unknown case {name!r}: YEAR:AREA[@TARGET][+VARIANT] with YEAR in {YEARS}, "
                         f"AREA England or a region, VARIANT in {tuple(VARIANTS)}")
    return Case(year, area, float(target) if target else DEFAULT_TARGET, variant or None)


def matrix() -> list[str]:
    """Both years x (each region, England); England at 1 %, 3 % and 5 %; each variant on England
    and on London; the caps on the West Midlands too."""
    names = [Case(year, area).name for year in YEARS for area in (*REGIONS, ENGLAND)]
    names += [Case(year, ENGLAND, pct).name for year in YEARS for pct in (0.01, 0.03, 0.05)]
    names += [Case(YEARS[0], area, variant=v).name for v in VARIANTS for area in (ENGLAND, "London")]
    names += [Case(YEARS[1], "London", variant="dense").name, Case(YEARS[0], "West Midlands", variant="cap3").name]
    return list(dict.fromkeys(names))


def load(name: str):
    """The case's validated inputs."""
    from optimizer.workbook.validate import load_workbook_inputs

    case = parse(name)
    if isinstance(case, str):
        return load_workbook_inputs(SHIPPED[case]).inputs
    from optimizer.importers.geography import read_geography
    from optimizer.importers.input_tables import build_tables
    from optimizer.importers.outturn import read_outturn
    from optimizer.workbook.template import write_input_workbook

    variant = VARIANTS[case.variant] if case.variant else None
    result = build_tables(read_outturn(DATA / f"revenue_outturn_rsx_{case.year}.csv"),
                          read_geography(DATA / "uk_local_authorities.csv"),
                          regions=() if case.area == ENGLAND else (case.area,), target_pct=case.target_pct,
                          bodies=variant.bodies if variant else ())
    tables = dict(result.tables)
    if variant:
        tables = variant.change(tables)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.xlsx"
        write_input_workbook(tables, path, sources=result.sources)
        return load_workbook_inputs(path).inputs
