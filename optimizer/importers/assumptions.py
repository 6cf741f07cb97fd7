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

# --------------------------------------------------------------------------------------------------
# Police and fire bodies (--bodies): their lines, curves and which bodies may share them.
# --------------------------------------------------------------------------------------------------

#: Duplicated overhead of a police force's or fire service's operational line (control rooms, support
#: departments, middle and senior managers): 3 %, so 1.5 % for two bodies and 2 % for three. Smaller
#: than a council's front line (5 %) because the evidence is thin and mixed: Derbyshire and
#: Nottinghamshire fire's shared control room cost £430 k to set up and saves each ~£350 k a year
#: (~0.7 % of a ~£50 m service, one function alone); HMICFRS found forces spend over £250 m a year on
#: police-to-police collaboration and too many collaborations fail to deliver (The Hard Yards, 2020).
EMERGENCY_OVERHEAD = 0.03
#: Bodies are large: the population-weighted centres of neighbouring force or fire areas lie tens of km
#: apart (West Midlands to Staffordshire 37 km, West Mercia to Warwickshire 53 km, Hereford & Worcester
#: to Shropshire 77 km on the imported points), so 100 km; at most three bodies.
EMERGENCY_MAX_PARTNERS, EMERGENCY_MAX_KM = 3, 100.0
EMERGENCY_CURVE = sharing_curve(EMERGENCY_OVERHEAD, EMERGENCY_MAX_PARTNERS, EMERGENCY_MAX_KM)

#: Policing (Police Act 1996) and fire and rescue (Fire and Rescue Services Act 2004) are statutory:
#: they may be shared or made more efficient, never stopped. Not protected: neither is ring-fenced.
POLICE_LINE = ServiceLine(601, "Police", True, False, True, False, EMERGENCY_CURVE)
FIRE_LINE = ServiceLine(602, "Fire and rescue", True, False, True, False, EMERGENCY_CURVE)
#: A police or fire body's own lines: its service and its central services (the council's curve).
BODY_SERVICE_LINES: dict[int, ServiceLine] = {
    601: POLICE_LINE, 602: FIRE_LINE, 690: next(line for line in SERVICE_LINES if line.line == 690)}

#: Sharing's body_types per service (None: any body). Police with police, fire with fire (the
#: Policing and Crime Act 2017 duty to collaborate; the regional fire collaborations); ``council``
#: too, because a council that is itself the police or fire authority (county fire services, the City
#: of London Police) has that line, and only such a council has it. Central services: any body (the
#: same Act's emergency-services collaboration duty; shared back offices such as Northamptonshire's
#: police and fire enabling services).
BODY_TYPES: dict[str, tuple[str, ...] | None] = {
    "Police": ("council", "police"), "Fire and rescue": ("council", "fire"), "Central services": None}
BODY_KINDS = ("police", "fire")

# --------------------------------------------------------------------------------------------------
# Money over time, written into every imported workbook's Settings.
# --------------------------------------------------------------------------------------------------

#: HM Treasury's Green Book social time preference rate for appraisals of up to 30 years (real).
DISCOUNT_RATE = 0.035
#: A partnership formed at the start of year 1 realises about half its full annual saving that year:
#: posts go, systems and contracts merge and the new structure beds in during the year (tri-borough's
#: 45 % cut in senior posts came over its first year; LGA 2012's case studies repay their set-up over
#: about two years as savings build up). Assumption: half a year.
FIRST_YEAR_SAVING_SHARE = 0.5

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
SOURCE_GREEN_BOOK = "HM Treasury, The Green Book: appraisal and evaluation in central government (2022), discount rate 3.5 %"
SOURCE_HARD_YARDS = "HMICFRS, PEEL spotlight report 'The Hard Yards: police-to-police collaboration' (2020)"
SOURCE_FIRE_CONTROL = ("BBC News, 'Two fire services will share a control room to save money' (Derbyshire and "
                       "Nottinghamshire, 2019)")

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
    {"topic": "excluded lines", "figure": "Police (601) and fire and rescue (602) are not council services: left out "
     "unless --bodies brings them in (then a police or fire authority's own line is a service)",
     "source": "Assumption"},
    {"topic": "discount rate", "figure": f"discount_rate = {DISCOUNT_RATE} (real, a year)", "source": SOURCE_GREEN_BOOK},
    {"topic": "first-year saving", "figure": f"first_year_saving_share = {FIRST_YEAR_SAVING_SHARE}: half the annual "
     "saving in year 1, full from year 2",
     "source": f"Assumption: savings build up while posts go and systems merge (tri-borough's senior posts went over its "
     f"first year; {SOURCE_LGA}: set-up repaid over about two years)"},
    {"topic": "time limit", "figure": f"time_limit_s = {IMPORT_TIME_LIMIT_S} s (the default is 60 s); a run stops as "
     "soon as its plan is proven, so smaller imports finish sooner",
     "source": "Measured: all of England (2023-24, 304 councils, 479,332 candidate partnerships) proven optimal in "
     "100-108 s on two cores (python -m optimizer.bench)"},
]

#: Sources rows added when --bodies brings in police and fire bodies.
BODY_SOURCES: list[dict[str, str]] = [
    {"topic": "police and fire bodies", "figure": "body_type police or fire; a body's own lines only: police (601), "
     "fire and rescue (602), central services (690), annual_cost = total expenditure (C3) as for councils; "
     "net_budget = net current expenditure (C7) of line 699, or of its own lines for a body that is one line of a "
     "larger row (MOPAC and the London Fire Commissioner in the GLA's row, Greater Manchester's fire service in the "
     "GMCA's); any other line of a body's row is reported and left out",
     "source": SOURCE_OUTTURN},
    {"topic": "police and fire bodies", "figure": "PFCCs (Essex, Northamptonshire, North Yorkshire, Staffordshire, "
     "Cumbria from 2023) are listed as two rows in the outturn, a police body and a fire body, and come in as two "
     "bodies; councils that are their own fire authority (and the City of London for its police) stay body_type "
     "council with a Fire and rescue (Police) service",
     "source": "Reading of the outturn's Class O rows; declared in optimizer/importers/police_fire.py"},
    {"topic": "body location", "figure": "latitude/longitude of a police or fire body = the mean of the points of "
     "the upper-tier councils whose area it serves, weighted by their 2020 population; its region = theirs",
     "source": "Assumption, with the points and populations of the geography file"},
    {"topic": "police and fire sharing", "figure": f"Police and Fire and rescue: saving_pct = {EMERGENCY_OVERHEAD:.0%} x "
     f"(1 - 1/partners), 2-{EMERGENCY_MAX_PARTNERS} bodies within {EMERGENCY_MAX_KM:g} km, one_off_pct = "
     f"{PAYBACK_YEARS:g} x saving_pct; statutory, not protected",
     "source": f"Calibrated low: {SOURCE_FIRE_CONTROL}: £430 k set-up, ~£350 k a year each from one shared control "
     f"room; {SOURCE_HARD_YARDS}: over £250 m a year spent on collaboration, too many fail to deliver"},
    {"topic": "police and fire sharing", "figure": "body_types: Police = council; police, Fire and rescue = council; fire "
     "(only a council that is itself the police or fire authority has that line), Central services = any body",
     "source": "Policing and Crime Act 2017, s. 2: duty on police, fire and ambulance to collaborate where it is more "
     "efficient or effective; Home Office police force collaboration (Police Act 1996, s. 22A)"},
    {"topic": "police and fire staff", "figure": f"fte = employees cost (C1) / £{COST_PER_FTE:,}, as for councils: "
     "police officers cost more, so police FTE is overstated (it only matters under a staff cap)",
     "source": "Assumption"},
]
