"""Building the input tables of SPEC.md section 1 from the outturn and the geography.

``build_tables`` joins the two files, picks the councils asked for and gives the ``Councils``,
``Services``, ``Sharing`` and ``Settings`` rows, with a ``Sources`` list and the warnings a reviewer
needs (suppressed returns, codes the geography file does not know, corrections).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from optimizer.importers.assumptions import (
    BODY_KINDS,
    BODY_SOURCES,
    BODY_TYPES,
    COST_PER_FTE,
    DISCOUNT_RATE,
    FIRE_LINE,
    FIRST_YEAR_SAVING_SHARE,
    IMPORT_TIME_LIMIT_S,
    POLICE_LINE,
    SERVICE_LINES,
    SOURCE_GEOGRAPHY,
    SOURCE_OUTTURN,
    SOURCES,
    ServiceLine,
)
from optimizer.importers.geography import GEOGRAPHY_FIXES
from optimizer.importers.outturn import PRINCIPAL_CLASSES, TOTAL_LINE, column
from optimizer.importers.police_fire import SOURCE_AREAS
from optimizer.importers.bodies import body_tables, council_authority_lines

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
                        f"file: no region or coordinates (only used when named; --bodies places police and fire bodies by "
                        "the councils of their area)")
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
                "max_staff_reduction_pct": None, "max_shared_services": None, "body_type": "council",
            })
            kept.append(True)
            continue
        kept.append(False)
    return rows, warnings, kept


def _service_rows(r: pd.Series, council: str, lines: tuple[ServiceLine, ...] = SERVICE_LINES
                  ) -> tuple[list[dict], list[str]]:
    """The ``Services`` rows of one outturn row: each of ``lines`` with a positive total expenditure."""
    rows, warnings = [], []
    for line in lines:
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


_ALL_LINES = (*SERVICE_LINES, POLICE_LINE, FIRE_LINE)


def sharing_rows(services: set[str], body_types: set[str] | None = None) -> list[dict]:
    """The default ``Sharing`` rows of the service lines named in ``services``.

    ``body_types``: the types the workbook's bodies have. A service restricted to some types (police,
    fire and rescue) is restricted to those of them present, since a type no body has is an input error.
    """
    rows = []
    for line in _ALL_LINES:
        if line.service not in services:
            continue
        allowed = BODY_TYPES.get(line.service)
        if allowed is not None and body_types is not None:
            allowed = tuple(t for t in allowed if t in body_types)
        for p in line.curve:
            rows.append({"service": line.service, "partners": p.partners, "saving_pct": p.saving_pct,
                         "one_off_pct": p.one_off_pct, "staff_reduction_pct": p.staff_reduction_pct,
                         "max_distance_km": p.max_distance_km,
                         "body_types": "; ".join(allowed) if allowed else None})
    return rows


def _bodies(bodies) -> tuple[str, ...]:
    """``bodies`` ("police", "fire", or "police,fire") as a tuple of kinds; unknown kinds: ValueError."""
    kinds = [k.strip().lower() for item in (bodies or ()) for k in str(item).split(",") if k.strip()]
    unknown = sorted(set(kinds) - set(BODY_KINDS))
    if unknown:
        raise ValueError(f"unknown --bodies {', '.join(unknown)}: expected {' and/or '.join(BODY_KINDS)}")
    return tuple(k for k in BODY_KINDS if k in kinds)


def build_tables(outturn_df: pd.DataFrame, geography_df: pd.DataFrame, regions=(), councils=(),
                 target_pct: float | None = None, bodies=()) -> ImportResult:
    """The input tables for the councils asked for (see ``_select``), with sources and warnings.

    ``regions``: region names of the geography file, any case. ``councils``: names (outturn or
    geography, any case, '&' = 'and'), E-codes or ONS codes; named bodies may be of any class.
    ``target_pct`` becomes every council's ``savings_target_pct``. ``bodies`` ("police", "fire"):
    also the police and fire bodies of those regions (or serving the named councils; all of England
    when neither is given), see ``police_fire_rows.body_tables``, and the police/fire line of a
    council that is itself the police/fire authority. Raises ValueError for an unknown region, name
    or body kind, or a target_pct outside 0..1.
    """
    if target_pct is not None and not 0 <= target_pct <= 1:
        raise ValueError(f"target_pct must be a fraction between 0 and 1, not {target_pct}")
    kinds = _bodies(bodies)
    joined = _join(outturn_df, geography_df)
    chosen, notes = _select(joined, tuple(regions), tuple(councils))
    warnings = _join_warnings(joined, chosen) + notes
    names = _unique_names(chosen)
    council_rows, council_warnings, kept = _council_rows(chosen, names, target_pct)
    warnings += council_warnings

    service_rows = []
    for (_, r), name, keep in zip(chosen.iterrows(), names, kept):
        if keep:
            lines, authority_notes = council_authority_lines(r, name, kinds)
            rows, line_warnings = _service_rows(r, name, SERVICE_LINES + lines)
            service_rows += rows
            warnings += authority_notes + line_warnings
    for name, fix in zip(chosen["geo_name"], chosen["geo_fixed"]):
        if isinstance(fix, str):
            warnings.append(f"{name}: geography corrected, {fix}")

    if kinds:
        body_councils, body_services, body_warnings = body_tables(
            outturn_df, geography_df, kinds, regions=tuple(regions), chosen=chosen, everywhere=not regions and not councils,
            target_pct=target_pct,
            taken={row["council"] for row in council_rows}, service_rows=_service_rows)
        council_rows += body_councils
        service_rows += body_services
        warnings += body_warnings

    tables = {
        "Councils": council_rows,
        "Services": service_rows,
        "Sharing": sharing_rows({row["service"] for row in service_rows},
                                {row["body_type"] for row in council_rows}),
        "Settings": [  # the rest at their defaults
            {"setting": "time_limit_s", "value": IMPORT_TIME_LIMIT_S},
            {"setting": "discount_rate", "value": DISCOUNT_RATE},
            {"setting": "first_year_saving_share", "value": FIRST_YEAR_SAVING_SHARE},
        ],
    }
    sources = _sources(outturn_df, chosen)
    if kinds:
        sources += [{"topic": "police and fire areas", "figure": f"bodies brought in: {', '.join(kinds)}",
                     "source": SOURCE_AREAS}] + [dict(row) for row in BODY_SOURCES]
    return ImportResult(tables, sources, warnings)


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
