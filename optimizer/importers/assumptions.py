"""Every default the outturn importer assumes, each next to the figure or reasoning it rests on.

Service names, statutory/protected flags, sharing curves, the cost of one FTE, the time limit of
imported workbooks, and ``SOURCES``: the rows of the Sources sheet saying where each comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Average cost of one full-time equivalent, employer on-costs included, in £ (2023-24).
#: Reasoning: a typical NJC-grade council salary of about £30,000 plus about 27 % on-costs (employer
#: National Insurance ~10 % effective, LGPS employer pension contribution ~17 %) ~ £38,000. The
#: outturn's "employees" measure is exactly such a cost (pay, employer NI and pension). Teachers in
#: the education line cost more, so education FTE is overstated; education is protected, so no saving
#: or staff cut is ever computed from it.
COST_PER_FTE = 38_000


# --------------------------------------------------------------------------------------------------
# Service-line defaults and the sharing curves: declared once, each number with its source.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CurvePoint:
    """A row of the ``Sharing`` sheet for one service line, without the service name."""

    partners: int
    saving_pct: float
    one_off_pct: float
    staff_reduction_pct: float
    max_distance_km: float


@dataclass(frozen=True)
class ServiceLine:
    """How one RSX line becomes a ``Services`` row, and the ``Sharing`` curve it gets by default."""

    line: int
    service: str  # the name used in the workbook
    statutory: bool
    protected: bool
    shareable: bool
    back_office: bool
    curve: tuple[CurvePoint, ...] = ()


#: Set-up costs repay in this many years of saving (LGA 2012: within two years in every case studied;
#: South Oxfordshire & Vale of White Horse: £1.79 m up front for £5.69 m over five years = 1.6 years).
PAYBACK_YEARS = 2.0
#: Solve time limit written into imported workbooks: all of England is proven in 100-108 s on two
#: cores, past the 60 s default, and a run stops as soon as its plan is proven.
IMPORT_TIME_LIMIT_S = 120

#: Share of a service's cost that is duplicated overhead (management, specialist and support posts)
#: which a partnership needs only once. With n partners each member keeps 1/n of it, so it saves
#: overhead x (1 - 1/n): savings rise with size at a decreasing rate. Back office: 20 % gives 10-15 %
#: of central services for 2-4 partners; applied to a whole back office of 15-20 % of spend that is
#: 1.5-3 % of total expenditure, inside NLGN's 1.8-3.6 % range. Front line: 5 % (2.5-3.3 % for 2-3
#: partners) - front-line delivery scales with residents, only its management layer is shared; close
#: to the 2 % of Community Budgets.
BACK_OFFICE_OVERHEAD = 0.20
FRONT_LINE_OVERHEAD = 0.05
BACK_OFFICE_MAX_PARTNERS, BACK_OFFICE_MAX_KM = 4, 50.0
FRONT_LINE_MAX_PARTNERS, FRONT_LINE_MAX_KM = 3, 25.0


def sharing_curve(overhead: float, max_partners: int, max_km: float) -> tuple[CurvePoint, ...]:
    """Curve rows for 2..max_partners councils: saving = overhead x (1 - 1/n).

    Staff go in the same proportion as money (the shared overhead is mostly posts, as in tri-borough's
    45 % cut in senior posts); one-off cost = PAYBACK_YEARS x saving.
    """
    points = []
    for n in range(2, max_partners + 1):
        saving = round(overhead * (1 - 1 / n), 4)
        points.append(CurvePoint(n, saving, round(PAYBACK_YEARS * saving, 4), saving, max_km))
    return tuple(points)


BACK_OFFICE_CURVE = sharing_curve(BACK_OFFICE_OVERHEAD, BACK_OFFICE_MAX_PARTNERS, BACK_OFFICE_MAX_KM)
FRONT_LINE_CURVE = sharing_curve(FRONT_LINE_OVERHEAD, FRONT_LINE_MAX_PARTNERS, FRONT_LINE_MAX_KM)

# Statutory: the line is mostly legal duties (may be shared or trimmed, never stopped).
# Protected: education (schools' ring-fenced grant) and adult social care (a national priority whose
# budgets are ring-fenced in practice): never reduced, and given no sharing curve either.
# Police (601) and fire (602) are not council services and are left out.
SERVICE_LINES: tuple[ServiceLine, ...] = (
    ServiceLine(190, "Education", True, True, False, False),
    ServiceLine(290, "Highways and transport", True, False, True, False, FRONT_LINE_CURVE),
    ServiceLine(330, "Children's social care", True, False, True, False, FRONT_LINE_CURVE),
    ServiceLine(360, "Adult social care", True, True, False, False),
    ServiceLine(390, "Public health", True, False, True, False, FRONT_LINE_CURVE),
    ServiceLine(490, "Housing (general fund)", True, False, True, False, FRONT_LINE_CURVE),
    # Libraries are a duty, but most of the line (leisure, parks, museums, tourism) is discretionary.
    ServiceLine(509, "Cultural and related", False, False, True, False, FRONT_LINE_CURVE),
    ServiceLine(590, "Environmental and regulatory", True, False, True, False, FRONT_LINE_CURVE),
    ServiceLine(599, "Planning and development", True, False, True, False, FRONT_LINE_CURVE),
    # Corporate and democratic core, tax collection, elections: the only stand-alone back office.
    ServiceLine(690, "Central services", True, False, True, True, BACK_OFFICE_CURVE),
    ServiceLine(698, "Other services", False, False, True, False, FRONT_LINE_CURVE),
)

SOURCE_OUTTURN = (
    "Ministry of Housing, Communities & Local Government, Revenue Outturn (RO) returns, Service "
    "Expenditure Summary (RSX); Crown copyright, Open Government Licence v3.0"
)
SOURCE_GEOGRAPHY = (
    "mySociety, uk_local_authority_names_and_codes (uk_local_authorities_current.csv); CC BY 4.0"
)
SOURCE_NLGN = "New Local Government Network, 'Shared Necessities' (2011)"
SOURCE_TRIBOROUGH = "Tri-borough (Hammersmith & Fulham, Kensington & Chelsea, Westminster) published results"
SOURCE_LGA = "Local Government Association, 'Services shared: costs spared?' (2012)"

#: Where every default number comes from: rows {"topic", "figure", "source"} for a Sources sheet.
SOURCES: list[dict[str, str]] = [
    {"topic": "service costs", "figure": "annual_cost = total expenditure (C3) of the service line, £ thousand x 1000",
     "source": SOURCE_OUTTURN},
    {"topic": "net budget", "figure": "net_budget = total net current expenditure (line 699, C7), £ thousand x 1000",
     "source": SOURCE_OUTTURN},
    {"topic": "staff", "figure": f"fte = employees cost (C1) / £{COST_PER_FTE:,} per FTE",
     "source": "Assumption: NJC-grade salary ~£30,000 + ~27 % employer on-costs (NI ~10 %, LGPS ~17 %)"},
    {"topic": "regions, coordinates, names", "figure": "region, lat/long, nice-name joined on E-code (else ONS code)",
     "source": SOURCE_GEOGRAPHY},
    {"topic": "back-office saving", "figure": "sharing back office saves 1.8 % (likely) to 3.6 % (at most) of total expenditure",
     "source": SOURCE_NLGN},
    {"topic": "back-office saving", "figure": "senior-management cost roughly halved; 45 % cut in senior posts in year one; ~£40 m a year by 2015/16",
     "source": SOURCE_TRIBOROUGH},
    {"topic": "back-office saving", "figure": "a shared chief executive between two districts saved ~£90 k a year",
     "source": "Suffolk Coastal and Waveney District Councils"},
    {"topic": "front-line saving", "figure": "~2 % from combining staff and changing services",
     "source": "Community Budgets (as cited in LGA 2012)"},
    {"topic": "one-off cost", "figure": f"one_off_pct = {PAYBACK_YEARS:g} x saving_pct (payback within two years; "
     "South Oxfordshire & Vale of White Horse: £1.79 m up front, £5.69 m saved over five years)",
     "source": SOURCE_LGA},
    {"topic": "sharing curve", "figure": f"saving_pct = overhead x (1 - 1/partners): overhead {BACK_OFFICE_OVERHEAD:.0%} "
     f"for central services (2-{BACK_OFFICE_MAX_PARTNERS} councils within {BACK_OFFICE_MAX_KM:g} km), "
     f"{FRONT_LINE_OVERHEAD:.0%} for unprotected front-line lines (2-{FRONT_LINE_MAX_PARTNERS} within "
     f"{FRONT_LINE_MAX_KM:g} km); staff_reduction_pct = saving_pct",
     "source": f"Reasoning: only the duplicated overhead is shared, each member keeps 1/n of it; calibrated to {SOURCE_NLGN} "
     "(back office of 15-20 % of spend -> 1.5-3 % of total) and Community Budgets (~2 %)"},
    {"topic": "protected services", "figure": "Education and Adult social care are protected (never reduced) and not shared",
     "source": "Assumption: schools' ring-fenced grant; adult social care treated as ring-fenced"},
    {"topic": "excluded lines", "figure": "Police (601) and fire and rescue (602) are not council services: left out",
     "source": "Assumption"},
    {"topic": "time limit", "figure": f"time_limit_s = {IMPORT_TIME_LIMIT_S} s (the default is 60 s); a run stops as "
     "soon as its plan is proven, so smaller imports finish sooner",
     "source": "Measured: all of England (2023-24, 304 councils, 479,332 candidate partnerships) proven optimal in "
     "100-108 s on two cores (python -m optimizer.bench)"},
]
