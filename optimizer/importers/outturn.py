"""Import the official revenue outturn (RSX) into the input tables of SPEC.md section 1.

Two public files go in:

* the MHCLG *Revenue Outturn Service Expenditure Summary* (RSX) CSV, one row per English authority,
  figures in £ thousand (Crown copyright, Open Government Licence v3.0);
* mySociety's list of UK local authorities (CC BY 4.0), for region, coordinates and tidy names.

``read_outturn`` and ``read_geography`` parse them as they really are; ``build_tables`` turns them into
the ``Councils``, ``Services``, ``Sharing`` and ``Settings`` rows, with a ``Sources`` list and the
warnings a reviewer needs (suppressed returns, codes the geography file does not know, corrections).

Every default the importer assumes (service names, statutory/protected flags, sharing curves, the cost
of one FTE) is declared once below, next to the figure or reasoning it rests on (``SOURCES``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# --------------------------------------------------------------------------------------------------
# The RSX layout: measures (columns C1..C7 of the RO forms) and service lines (rows of the forms).
# --------------------------------------------------------------------------------------------------

#: Column number of the RO form -> measure name used in the DataFrame.
MEASURES: dict[int, str] = {
    1: "employees",
    2: "running_expenses",
    3: "total_expenditure",  # C3 = C1 + C2
    4: "sales_fees_charges",
    5: "other_income",
    6: "total_income",  # C6 = C4 + C5
    7: "net_current_expenditure",  # C7 = C3 - C6
}

#: Line number of the RO form -> short name. 699 is the total of all the others.
LINES: dict[int, str] = {
    190: "education",
    290: "highways and transport",
    330: "children's social care",
    360: "adult social care",
    390: "public health",
    490: "housing (general fund)",
    509: "cultural and related",
    590: "environmental and regulatory",
    599: "planning and development",
    601: "police",
    602: "fire and rescue",
    690: "central services",
    698: "other",
    699: "total",
}
TOTAL_LINE = 699

#: Outturn classes that are principal councils; "O" (police, fire, parks, waste, combined
#: authorities, the GLA) are other bodies and only come in when named.
PRINCIPAL_CLASSES = ("SD", "MD", "UA", "LB", "SC")

#: The RSX reports £ thousand ("Data is reported in £ thousand", line 2 of the file).
THOUSAND = 1000

#: Average cost of one full-time equivalent, employer on-costs included, in £ (2023-24).
#: Reasoning: a typical NJC-grade council salary of about £30,000 plus about 27 % on-costs (employer
#: National Insurance ~10 % effective, LGPS employer pension contribution ~17 %) ~ £38,000. The
#: outturn's "employees" measure is exactly such a cost (pay, employer NI and pension). Teachers in
#: the education line cost more, so education FTE is overstated; education is protected, so no saving
#: or staff cut is ever computed from it.
COST_PER_FTE = 38_000


def column(measure: str, line: int) -> str:
    """Name of the DataFrame column holding ``measure`` (e.g. "employees") of service ``line``."""
    return f"{measure}_{line}"


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


# --------------------------------------------------------------------------------------------------
# Known errors in the mySociety file, corrected where it is read.
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GeoFix:
    la_code: str  # mySociety local-authority-code
    name: str
    field: str  # "region" or "coordinates"
    wrong: object  # applied only while the file still holds this value
    right: object
    reason: str


_DISTRICT_MEAN = "replaced by the mean of its districts' points in the same file"
GEOGRAPHY_FIXES: tuple[GeoFix, ...] = (
    GeoFix("DBY", "Derbyshire", "region", "West Midlands", "East Midlands",
           "Derbyshire County Council is in the East Midlands, as are all its districts"),
    GeoFix("LIN", "Lincolnshire", "region", "Yorkshire and The Humber", "East Midlands",
           "Lincolnshire County Council is in the East Midlands, as are all its districts"),
    GeoFix("WAR", "Warwickshire", "coordinates", (51.812, -0.9017), (52.3844, -1.5279),
           "the file's point is near Aylesbury, ~80 km outside the county; " + _DISTRICT_MEAN),
    GeoFix("GLS", "Gloucestershire", "coordinates", (51.8524, -0.7477), (51.8444, -2.1808),
           "the file's point is in Buckinghamshire, ~100 km from the county; " + _DISTRICT_MEAN),
    GeoFix("LAN", "Lancashire", "coordinates", (52.5046, -0.8088), (53.7976, -2.5781),
           "the file's point is in Northamptonshire, ~190 km from the county; " + _DISTRICT_MEAN),
    GeoFix("DEV", "Devon", "coordinates", (51.4359, -3.1713), (50.7445, -3.7478),
           "the file's point is in the Bristol Channel, ~90 km from the county; " + _DISTRICT_MEAN),
    GeoFix("SFK", "Suffolk", "coordinates", (52.4679, -0.1112), (52.1736, 1.0502),
           "the file's point is in Cambridgeshire, ~85 km from the county; " + _DISTRICT_MEAN),
    GeoFix("LEC", "Leicestershire", "coordinates", (53.2452, -1.7361), (52.6573, -1.1603),
           "the file's point is in the Peak District, ~75 km from the county; " + _DISTRICT_MEAN),
    GeoFix("KEN", "Kent", "coordinates", (51.5154, 0.0944), (51.2588, 0.7116),
           "the file's point is in east London, ~50 km from the county's centre; " + _DISTRICT_MEAN),
    GeoFix("HRT", "Hertfordshire", "coordinates", (51.4406, -0.7155), (51.7777, -0.266),
           "the file's point is in Berkshire, ~50 km from the county's centre; " + _DISTRICT_MEAN),
)


# --------------------------------------------------------------------------------------------------
# Reading the outturn
# --------------------------------------------------------------------------------------------------

_REF_CODE = re.compile(r"C(\d+)R(\d+)")
_SUPPRESSED = {"[x]", "[z]", "[c]", "[u]", ".."}  # GSS symbols for "not available"


def _number(cell: str) -> int | None:
    """£ thousand as printed ("68,922", "-1,016", "[x]") -> whole pounds, or None when not given."""
    text = cell.strip().replace(",", "")
    if not text or text.lower() in _SUPPRESSED:
        return None
    return int(round(float(text) * THOUSAND))


def _find_header(rows: list[list[str]]) -> int:
    for i, row in enumerate(rows):
        if row and row[0].strip().lower() == "e-code":
            return i
    raise ValueError("no header row starting 'E-code': is this the RSX outturn CSV?")


def _find_reference_codes(rows: list[list[str]], header: int) -> dict[int, tuple[int, int]]:
    """Column index -> (form column, line) read from the hidden row of codes like 'C1R360'."""
    for row in reversed(rows[:header]):
        codes = {j: _REF_CODE.fullmatch(cell.strip()) for j, cell in enumerate(row)}
        found = {j: (int(m.group(1)), int(m.group(2))) for j, m in codes.items() if m}
        if found:
            return found
    raise ValueError("no hidden reference row of cell codes (C1R190 ...) above the 'E-code' header")


def _identity_columns(header_row: list[str]) -> dict[str, int]:
    """The short identity columns are found by their header text, which is stable across years."""
    wanted = {"e-code": "e_code", "ons code": "ons_code", "local authority": "name", "notes": "notes",
              "class": "class", "detailed class": "detailed_class", "certified": "certified"}
    found = {wanted[c.strip().lower()]: j for j, c in enumerate(header_row) if c.strip().lower() in wanted}
    missing = [name for name in ("e_code", "ons_code", "name", "class") if name not in found]
    if missing:
        raise ValueError(f"outturn header lacks the columns {missing}")
    return found


def read_outturn(path: str | Path) -> pd.DataFrame:
    """One row per authority of the RSX outturn CSV, money in £ (not £ thousand).

    Columns: e_code, ons_code, name, notes, class, detailed_class, certified, suppressed (True when any
    figure is "[x]"), and ``column(measure, line)`` for every measure of ``MEASURES`` and line of
    ``LINES`` (nullable integers; <NA> where suppressed). Rows stop at the ENGLAND total, which is kept
    in ``df.attrs["england"]`` (a dict column -> £); the class breakdown below it is ignored. The
    title lines are kept in ``df.attrs["title"]``.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = _find_header(rows)
    refs = _find_reference_codes(rows, header)
    ident = _identity_columns(rows[header])
    measures = {j: column(MEASURES[c], line) for j, (c, line) in refs.items() if c in MEASURES and line in LINES}
    missing = {column(m, line) for m in MEASURES.values() for line in LINES} - set(measures.values())
    if missing:
        raise ValueError(f"outturn lacks the reference codes for {sorted(missing)[:5]}...")

    records, england = [], None
    for row in rows[header + 1:]:
        first = row[0].strip() if row else ""
        if not first:  # trailing empty rows (or a gap before another table): the authorities are over
            break
        values = {name: _number(row[j]) if j < len(row) else None for j, name in measures.items()}
        if first.lower() == "eng" or row[ident["name"]].strip().upper() == "ENGLAND":
            england = values  # the total row; the class breakdown table that follows is not wanted
            break
        record = {key: row[j].strip() for key, j in ident.items()}
        record["suppressed"] = any(
            row[j].strip().lower() in _SUPPRESSED for j in measures if j < len(row))
        record.update(values)
        records.append(record)

    frame = pd.DataFrame.from_records(records)
    for name in measures.values():
        frame[name] = frame[name].astype("Int64")
    frame.attrs["england"] = england or {}
    frame.attrs["title"] = [r[0].strip() for r in rows[:header] if r and r[0].strip()]
    return frame


# --------------------------------------------------------------------------------------------------
# Reading the geography
# --------------------------------------------------------------------------------------------------

def read_geography(path: str | Path) -> pd.DataFrame:
    """mySociety's local authorities with ``GEOGRAPHY_FIXES`` applied.

    Columns: la_code, e_code (joins the outturn's E-code), ons_code, name (nice-name), official_name,
    alt_names, type, region, county, current, latitude, longitude, population (2020), area_km2, and
    ``fixed`` (the reasons of the corrections applied to the row, or None).
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)

    def blank(col: str) -> pd.Series:
        return raw[col].replace("", None)

    def number(col: str) -> pd.Series:
        return pd.to_numeric(blank(col), errors="coerce")

    geo = pd.DataFrame({
        "la_code": raw["local-authority-code"],
        "e_code": blank("ecode"),
        "ons_code": blank("gss-code"),
        "name": raw["nice-name"],
        "official_name": raw["official-name"],
        "alt_names": raw["alt-names"],
        "type": raw["local-authority-type"],
        "region": blank("region"),
        "county": blank("county-la"),
        "current": raw["current-authority"].str.lower().eq("true"),
        "latitude": number("lat"),
        "longitude": number("long"),
        "population": number("pop-2020"),
        "area_km2": number("area"),
    })
    geo["fixed"] = None
    return _apply_fixes(geo)


def _apply_fixes(geo: pd.DataFrame) -> pd.DataFrame:
    for fix in GEOGRAPHY_FIXES:
        hit = geo.index[geo["la_code"] == fix.la_code]
        for i in hit:
            if fix.field == "region" and geo.at[i, "region"] == fix.wrong:
                geo.at[i, "region"] = fix.right
            elif fix.field == "coordinates" and _near(geo.at[i, "latitude"], geo.at[i, "longitude"], fix.wrong):
                geo.at[i, "latitude"], geo.at[i, "longitude"] = fix.right
            else:
                continue  # the upstream file has been corrected: leave it alone
            note = f"{fix.field}: {fix.wrong} -> {fix.right} ({fix.reason})"
            geo.at[i, "fixed"] = note if geo.at[i, "fixed"] is None else f"{geo.at[i, 'fixed']}; {note}"
    return geo


def _near(lat: float, lon: float, point: tuple[float, float]) -> bool:
    return abs(lat - point[0]) < 1e-3 and abs(lon - point[1]) < 1e-3


# --------------------------------------------------------------------------------------------------
# Building the input tables
# --------------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    tables: dict[str, list[dict]]  # "Councils", "Services", "Sharing", "Settings"
    sources: list[dict] = field(default_factory=list)  # {"topic", "figure", "source"}
    warnings: list[str] = field(default_factory=list)


def _key(text: str) -> str:
    """Loose form of a name for matching: case, '&'/'and', punctuation and spacing ignored."""
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r" (ua|cc|bc)$", "", text)  # the outturn's "Wiltshire UA", "Worcestershire CC"


def _join(outturn: pd.DataFrame, geography: pd.DataFrame) -> pd.DataFrame:
    """Outturn rows with their geography columns (prefixed geo_): by E-code, else by ONS code.

    The 2019-2023 reorganisations (Dorset, Buckinghamshire, Northamptonshire, Cumbria, North Yorkshire,
    Somerset, Suffolk) have no E-code in the geography file, but their ONS codes match.
    """
    geo = geography.add_prefix("geo_")
    by_ecode = geo.dropna(subset=["geo_e_code"]).drop_duplicates("geo_e_code").set_index("geo_e_code", drop=False)
    by_ons = geo.dropna(subset=["geo_ons_code"]).drop_duplicates("geo_ons_code").set_index("geo_ons_code", drop=False)
    rows, how = [], []
    for _, r in outturn.iterrows():
        if r["e_code"] in by_ecode.index:
            match, key = by_ecode.loc[r["e_code"]], "e_code"
        elif r["ons_code"] in by_ons.index:
            match, key = by_ons.loc[r["ons_code"]], "ons_code"
        else:
            match, key = pd.Series(index=geo.columns, dtype=object), None
        rows.append(match)
        how.append(key)
    joined = pd.DataFrame(rows, columns=geo.columns).reset_index(drop=True)
    out = pd.concat([outturn.reset_index(drop=True), joined], axis=1)
    out["matched_by"] = how
    return out


def _join_warnings(joined: pd.DataFrame, chosen: pd.DataFrame) -> list[str]:
    """Report outturn codes the geography file does not know (nothing is dropped silently)."""
    principal = joined["class"].isin(PRINCIPAL_CLASSES)
    warnings = []
    # Any unknown principal council matters: without a region it can never be picked by region.
    for _, r in joined[principal & joined["matched_by"].isna()].iterrows():
        warnings.append(f"{r['name']} ({r['e_code']}, {r['ons_code']}): not in the geography file, "
                        "so no region or coordinates")
    by_ons = chosen[chosen["matched_by"].eq("ons_code")]
    if len(by_ons):
        warnings.append(
            f"{len(by_ons)} E-codes are not in the geography file; matched by ONS code instead: "
            + ", ".join(f"{r['name']} ({r['e_code']})" for _, r in by_ons.iterrows()))
    others = joined[~principal & joined["matched_by"].isna()]
    if len(others):
        kinds = sorted(set(others["detailed_class"].fillna(others["class"])))
        warnings.append(f"{len(others)} other bodies in the outturn ({', '.join(kinds)}) are not in the geography "
                        f"file: no region or coordinates (only used when named)")
    return warnings


def _select(joined: pd.DataFrame, regions, councils) -> tuple[pd.DataFrame, list[str]]:
    """The authorities asked for: principal councils of ``regions`` plus any named in ``councils``.

    Nothing asked for: every principal council. An unknown region or council name is a ValueError.
    """
    principal = joined["class"].isin(PRINCIPAL_CLASSES)
    if not regions and not councils:
        return joined[principal], []
    wanted = pd.Series(False, index=joined.index)
    notes = []
    known = {r.lower(): r for r in joined["geo_region"].dropna().unique()}
    for region in regions:
        if region.strip().lower() not in known:
            raise ValueError(f"unknown region {region!r}: no outturn authority is in it; the regions are: "
                             + ", ".join(sorted(known.values())))
        region = known[region.strip().lower()]
        wanted |= principal & joined["geo_region"].eq(region)
        notes += _fix_notes(joined, region)
    for name in councils:
        wanted |= _named(joined, name)
    return joined[wanted], notes


def _fix_notes(joined: pd.DataFrame, region: str) -> list[str]:
    """Report corrections that moved a council into or out of the region asked for."""
    notes = []
    for fix in GEOGRAPHY_FIXES:
        if fix.field != "region" or region not in (fix.wrong, fix.right):
            continue
        verb = "included in" if fix.right == region else "left out of"
        if (joined["geo_la_code"] == fix.la_code).any():
            notes.append(f"{fix.name} {verb} {region}: the geography file says {fix.wrong}, corrected to "
                         f"{fix.right} ({fix.reason})")
    return notes


def _named(joined: pd.DataFrame, name: str) -> pd.Series:
    key = _key(name)
    codes = {name.strip().upper()}

    def matches(r) -> bool:
        if codes & {str(r["e_code"]).upper(), str(r["ons_code"]).upper(), str(r["geo_la_code"]).upper()}:
            return True
        names = [r["name"], r["geo_name"], r["geo_official_name"]]
        names += str(r["geo_alt_names"]).split(",") if isinstance(r["geo_alt_names"], str) else []
        return key in {_key(str(n)) for n in names if isinstance(n, str) and n}

    hit = joined.apply(matches, axis=1)
    if hit.sum() == 0:
        raise ValueError(f"no authority called {name!r} in the outturn")
    if hit.sum() > 1:
        hit = hit & joined["class"].isin(PRINCIPAL_CLASSES)  # "Greater Manchester" and the like
    if hit.sum() != 1:
        raise ValueError(f"{name!r} names {hit.sum()} authorities: "
                         + ", ".join(joined.loc[hit, "name"]) + "; use the E-code")
    return hit


def _unique_names(chosen: pd.DataFrame) -> list[str]:
    """The geography file's nice-name (else the outturn's), made unique by the outturn class."""
    names = [g if isinstance(g, str) and g else o for g, o in zip(chosen["geo_name"], chosen["name"])]
    counts = pd.Series(names).value_counts()
    return [f"{n} ({c})" if counts[n] > 1 else n for n, c in zip(names, chosen["class"])]


def _money(value) -> int | None:
    return None if pd.isna(value) else int(value)


def _pounds(value: int) -> str:
    return f"-£{-value:,}" if value < 0 else f"£{value:,}"


def _council_rows(chosen: pd.DataFrame, names: list[str], target_pct) -> tuple[list[dict], list[str], list[bool]]:
    rows, warnings, kept = [], [], []
    for (_, r), name in zip(chosen.iterrows(), names):
        budget = _money(r[column("net_current_expenditure", TOTAL_LINE)])
        if r["suppressed"] or budget is None:
            warnings.append(f"{name} ({r['e_code']}): figures suppressed ([x]) in the outturn; left out")
        elif budget <= 0:
            warnings.append(f"{name} ({r['e_code']}): net current expenditure {_pounds(budget)} is not positive; left out")
        else:
            lat, lon = r.get("geo_latitude"), r.get("geo_longitude")
            if pd.isna(lat) or pd.isna(lon):
                warnings.append(f"{name}: no coordinates, so it cannot join a partnership with a distance limit")
            rows.append({
                "council": name, "net_budget": budget, "savings_target": None,
                "savings_target_pct": target_pct,
                "latitude": None if pd.isna(lat) else round(float(lat), 6),
                "longitude": None if pd.isna(lon) else round(float(lon), 6),
                "max_staff_reduction_pct": None, "max_shared_services": None,
            })
            kept.append(True)
            continue
        kept.append(False)
    return rows, warnings, kept


def _service_rows(r: pd.Series, council: str) -> tuple[list[dict], list[str]]:
    rows, warnings = [], []
    for line in SERVICE_LINES:
        cost = _money(r[column("total_expenditure", line.line)])
        staff = _money(r[column("employees", line.line)])
        if cost is None:
            warnings.append(f"{council}: {line.service} is suppressed in the outturn; left out")
            continue
        if cost < 0:
            warnings.append(f"{council}: {line.service} total expenditure is negative ({_pounds(cost)}); left out")
        if cost <= 0:
            continue
        if staff is not None and staff < 0:
            warnings.append(f"{council}: {line.service} employee cost is negative ({_pounds(staff)}); FTE set to 0")
        rows.append({
            "council": council, "service": line.service, "annual_cost": cost,
            "fte": round(max(staff or 0, 0) / COST_PER_FTE, 1),
            "statutory": line.statutory, "protected": line.protected, "shareable": line.shareable,
        })
    return rows, warnings


def sharing_rows(services: set[str]) -> list[dict]:
    """The default ``Sharing`` rows of the service lines named in ``services``."""
    return [
        {"service": line.service, "partners": p.partners, "saving_pct": p.saving_pct,
         "one_off_pct": p.one_off_pct, "staff_reduction_pct": p.staff_reduction_pct,
         "max_distance_km": p.max_distance_km}
        for line in SERVICE_LINES if line.service in services for p in line.curve
    ]


def build_tables(outturn_df: pd.DataFrame, geography_df: pd.DataFrame, regions=(), councils=(),
                 target_pct: float | None = None) -> ImportResult:
    """The input tables for the councils asked for (see ``_select``), with sources and warnings.

    ``regions``: region names of the geography file, any case. ``councils``: names (outturn or
    geography, any case, '&' = 'and'), E-codes or ONS codes; named bodies may be of any class.
    ``target_pct`` becomes every council's ``savings_target_pct``. Raises ValueError for an unknown
    region or name, or a target_pct outside 0..1.
    """
    if target_pct is not None and not 0 <= target_pct <= 1:
        raise ValueError(f"target_pct must be a fraction between 0 and 1, not {target_pct}")
    joined = _join(outturn_df, geography_df)
    chosen, notes = _select(joined, tuple(regions), tuple(councils))
    warnings = _join_warnings(joined, chosen) + notes
    names = _unique_names(chosen)
    council_rows, council_warnings, kept = _council_rows(chosen, names, target_pct)
    warnings += council_warnings

    service_rows = []
    for (_, r), name, keep in zip(chosen.iterrows(), names, kept):
        if keep:
            rows, line_warnings = _service_rows(r, name)
            service_rows += rows
            warnings += line_warnings
    for name, fix in zip(chosen["geo_name"], chosen["geo_fixed"]):
        if isinstance(fix, str):
            warnings.append(f"{name}: geography corrected, {fix}")

    tables = {
        "Councils": council_rows,
        "Services": service_rows,
        "Sharing": sharing_rows({row["service"] for row in service_rows}),
        "Settings": [{"setting": "time_limit_s", "value": IMPORT_TIME_LIMIT_S}],  # the rest at their defaults
    }
    return ImportResult(tables, _sources(outturn_df, chosen), warnings)


def _sources(outturn_df: pd.DataFrame, chosen: pd.DataFrame) -> list[dict]:
    title = outturn_df.attrs.get("title", [])
    edition = "; ".join(t for t in title if t.startswith(("Worksheet", "Last updated")))
    rows = [{"topic": "outturn", "figure": edition or "revenue outturn RSX", "source": SOURCE_OUTTURN}]
    rows += [dict(row) for row in SOURCES]
    for fix in GEOGRAPHY_FIXES:
        if (chosen["geo_la_code"] == fix.la_code).any():
            rows.append({"topic": "geography correction", "figure": f"{fix.name} {fix.field}: {fix.wrong} -> {fix.right}",
                         "source": f"Correction of {SOURCE_GEOGRAPHY}: {fix.reason}"})
    return rows
