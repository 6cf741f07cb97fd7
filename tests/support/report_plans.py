"""Small plans for the report's money, priorities and partners sheets, built from ``Inputs`` directly."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import openpyxl

from optimizer.pipeline import optimise
from optimizer.plan import CouncilLine, PartnershipLine, Plan
from optimizer.workbook.inputs import Council, Inputs, Objective, Reduction, Service, SharingTerms

OBJECTIVES = (Objective("Protecting the vulnerable", 2.0, "care, safeguarding"), Objective("=Jobs", 0.5),
              Objective("Prosperity", 0.0))


def money_settings(rng: random.Random, settings):
    """Settings of money over time drawn at random: fractional horizons, 0 and Green Book rates, borrowing
    at 0 and above, terms shorter and longer than the horizon."""
    borrowed = rng.random() < 0.6
    return settings.override(
        horizon_years=rng.choice((0.5, 1.0, 2.5, 3.0, 5.0, 7.25, 10.0)),
        discount_rate=rng.choice((0.0, 0.035, 0.1, rng.uniform(0.0, 0.2))),
        first_year_saving_share=rng.choice((1.0, 0.5, 0.25, 0.0, rng.random())),
        borrowing_rate=rng.choice((0.0, 0.045, rng.uniform(0.0, 0.15))) if borrowed else None,
        borrowing_years=rng.randint(1, 15) if borrowed else None,
    )


def with_reductions(rng_seed: int = 0) -> Inputs:
    """Three councils that must cut as well as share to meet their targets, scoring harm on three objectives."""
    councils = (Council("Northshire", 200e6, 1.2e6, 52.0, -2.0), Council("Southshire", 150e6, 0.6e6, 52.1, -2.1),
                Council("Eastshire", 100e6, None, 52.2, -1.9))
    services = tuple(Service(c, s, cost, fte) for c, s, cost, fte in (
        ("Northshire", "Waste", 4e6, 40), ("Southshire", "Waste", 3e6, 30), ("Eastshire", "Waste", 2e6, 20),
        ("Northshire", "Libraries", 5e6, 50), ("Northshire", "Parks", 3e6, 25), ("Southshire", "Libraries", 4e6, 35),
    ))
    sharing = (SharingTerms("Waste", 2, 0.1, 0.2), SharingTerms("Waste", 3, 0.12, 0.25, None, 100.0))

    def cut(council, service, pct, own, scores, one_off):
        impact = own + sum(o.weight * s for o, s in zip(OBJECTIVES, scores))
        return Reduction(council, service, pct, impact, one_off, 0, scores, own)

    reductions = (
        cut("Northshire", "Libraries", 0.1, 1.0, (2.0, 0.5, 1.0), 50_000.0),
        cut("Northshire", "Libraries", 0.2, 2.5, (4.0, 1.5, 2.0), 80_000.0),
        cut("Northshire", "Parks", 0.2, 0.5, (1.0, 3.0, 0.0), 20_000.0),
        cut("Southshire", "Libraries", 0.1, 0.0, (0.5, 0.0, 4.0), 0.0),
    )
    return Inputs(councils, services, sharing, reductions, objectives=OBJECTIVES, source_name="priorities.xlsx",
                  source_sha256="2" * 64)


def priorities_plan() -> Plan:
    plan = optimise(with_reductions())
    assert plan.reductions and plan.partnerships, "the plan must both cut and share for the sheets to be tested"
    return plan


def borrowed_plan(plan: Plan) -> Plan:
    """The same choices, their money counted over 6.5 years at 3.5 %, 60 % in year 1, borrowed at 4.5 % over 8."""
    settings = plan.inputs.settings.override(horizon_years=6.5, discount_rate=0.035, first_year_saving_share=0.6,
                                             borrowing_rate=0.045, borrowing_years=8)
    return replace(plan, inputs=plan.inputs.with_settings(settings))


def patchwork_plan() -> Plan:
    """Hand-made choices: A and B share two services (an alliance), C and D a third with A (a patchwork)."""
    names = ("A", "B", "C", "D", "E")
    inputs = Inputs(tuple(Council(n, 10e6, None) for n in names),
                    tuple(Service(n, s, 1e6) for n in names for s in ("Waste", "Payroll", "IT")))

    def group(label, service, councils):
        return PartnershipLine(label, service, councils, 1e5 * len(councils), 0.0, 0.0,
                               tuple((c, 1e5, 0.0, 0.0) for c in councils))

    partnerships = (group("AB payroll", "Payroll", ("A", "B")), group("AB waste", "Waste", ("A", "B")),
                    group("ACD IT", "IT", ("A", "C", "D")))
    councils = tuple(CouncilLine(n, None, 1e5 * sum(n in p.councils for p in partnerships), 0, 0, 0) for n in names)
    return Plan(inputs, "optimal", 0.0, "highs", 0.1, partnerships, (), councils)


def sheet_table(path: Path, sheet: str, first: str, *, data_only: bool = True, after: int = 0) -> list[dict]:
    """The rows of the table whose header starts with ``first`` (the ``after``-th such header, 0 first),
    down to the first blank row."""
    rows = list(openpyxl.load_workbook(path, data_only=data_only)[sheet].iter_rows(values_only=True))
    tops = [i for i, row in enumerate(rows) if row and row[0] == first]
    top = tops[after]
    header = [h for h in rows[top] if h is not None]
    table = []
    for row in rows[top + 1:]:
        if row[0] is None:
            break
        table.append(dict(zip(header, row)))
    return table
