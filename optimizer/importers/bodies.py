"""Police and fire bodies (``--bodies``): found in the outturn, placed by the table of ``police_fire``.

``police_fire_rows`` says which outturn rows are police or fire bodies (by the file's own class, or
because they hold police or fire spending); ``unlisted`` lists those the table lacks, which are
reported, never silently dropped. ``body_tables`` gives the ``Councils`` and ``Services`` rows of the
bodies asked for; ``council_authority_lines`` gives a council that is itself a police or fire
authority its police or fire line.
"""

from __future__ import annotations

import pandas as pd

from optimizer.importers.assumptions import BODY_SERVICE_LINES, FIRE_LINE, POLICE_LINE, ServiceLine
from optimizer.importers.outturn import LINES, TOTAL_LINE, column
from optimizer.importers.police_fire import (
    BODIES,
    BODY_LINES,
    COUNCIL_FIRE_AUTHORITIES,
    COUNCIL_POLICE_AUTHORITIES,
    FIRE_CLASSES,
    POLICE_CLASSES,
    Body,
)

_KIND_LINE = {"police": POLICE_LINE, "fire": FIRE_LINE}
_AUTHORITIES = {"police": COUNCIL_POLICE_AUTHORITIES, "fire": COUNCIL_FIRE_AUTHORITIES}


def _pounds(value: int) -> str:
    return f"-£{-value:,}" if value < 0 else f"£{value:,}"


def _spends(r: pd.Series, line: int) -> bool:
    value = r[column("total_expenditure", line)]
    return not pd.isna(value) and value != 0


def police_fire_rows(outturn: pd.DataFrame) -> pd.DataFrame:
    """The rows of the outturn that are police or fire bodies: class "O" rows whose detailed class is
    police or fire, or that spend on the police (601) or fire and rescue (602) line."""
    other = outturn[outturn["class"].eq("O")]
    by_class = other["detailed_class"].isin(POLICE_CLASSES + FIRE_CLASSES)
    by_spend = other.apply(lambda r: _spends(r, 601) or _spends(r, 602), axis=1).astype(bool)
    return other[by_class | by_spend]


def unlisted(outturn: pd.DataFrame) -> list[str]:
    """Police or fire rows of the outturn that no entry of the table claims, as 'name (E-code)'.

    A row is claimed when the table has its E-code; a row with police (fire) spending also needs an
    entry of type police (fire) for it, so a body that took on a new function is reported too.
    """
    by_code: dict[str, set[str]] = {}
    for body in BODIES:
        by_code.setdefault(body.e_code, set()).add(body.body_type)
    missing = []
    for _, r in police_fire_rows(outturn).iterrows():
        types = by_code.get(r["e_code"], set())
        needs = {kind for kind, line in (("police", 601), ("fire", 602)) if _spends(r, line)}
        if not types or needs - types:
            missing.append(f"{r['name']} ({r['e_code']})")
    return missing


def locate(body: Body, geography: pd.DataFrame) -> tuple[float | None, float | None, tuple[str, ...], list[str]]:
    """(latitude, longitude, regions, missing la_codes): the mean of the points of the councils of the
    body's area, weighted by their 2020 population; the regions those councils are in."""
    current = geography[geography["current"]].drop_duplicates("la_code").set_index("la_code")
    known = [code for code in body.area if code in current.index]
    missing = [code for code in body.area if code not in current.index]
    area = current.loc[known]
    area = area[area["latitude"].notna() & area["longitude"].notna() & area["population"].gt(0)]
    regions = tuple(sorted(set(area["region"].dropna())))
    if area.empty:
        return None, None, regions, missing
    weight = area["population"] / area["population"].sum()
    lat = round(float((area["latitude"] * weight).sum()), 6)
    lon = round(float((area["longitude"] * weight).sum()), 6)
    return lat, lon, regions, missing


def council_authority_lines(r: pd.Series, council: str, kinds: tuple[str, ...]
                            ) -> tuple[tuple[ServiceLine, ...], list[str]]:
    """The police/fire lines a council brings with ``--bodies``: its own, when it is the police or fire
    authority of its area. Spending on such a line by any other council is reported and left out."""
    lines, notes = [], []
    code = r.get("geo_la_code")
    for kind in kinds:
        line = _KIND_LINE[kind]
        if code in _AUTHORITIES[kind]:
            lines.append(line)
        elif _spends(r, line.line):
            spent = int(r[column("total_expenditure", line.line)])
            notes.append(f"{council}: {_pounds(spent)} on {line.service.lower()} (line {line.line}) but it is not "
                         f"a {kind} authority; left out")
    return tuple(lines), notes


def _serves(body: Body, chosen: pd.DataFrame) -> bool:
    codes = set(chosen["geo_la_code"].dropna()) | set(chosen["geo_county"].dropna())
    return bool(codes & set(body.area))


def _net_budget(r: pd.Series, body: Body) -> int | None:
    lines = (TOTAL_LINE,) if body.lines == BODY_LINES else body.lines
    values = [r[column("net_current_expenditure", line)] for line in lines]
    return None if any(pd.isna(v) for v in values) else int(sum(values))


def body_tables(outturn: pd.DataFrame, geography: pd.DataFrame, kinds: tuple[str, ...], *, regions=(),
                chosen: pd.DataFrame, everywhere: bool, target_pct=None, taken=frozenset(), service_rows=None
                ) -> tuple[list[dict], list[dict], list[str]]:
    """(Councils rows, Services rows, warnings) of the police and fire bodies of ``kinds``.

    A body comes in when its area's region is one of ``regions``, or it serves one of the councils of
    ``chosen`` (a district: through its county); ``everywhere`` (nothing was asked for): every body.
    ``service_rows(r, name, lines)`` makes the Services rows (the councils' own method). A body whose
    figures are suppressed or whose net budget is not positive is reported and left out.
    """
    warnings = []
    missing = unlisted(outturn)
    if missing:
        warnings.append(f"{len(missing)} police or fire bodies in the outturn are not in the table of areas "
                        "(optimizer/importers/police_fire.py), so they are not imported: " + ", ".join(missing))
    rows = {r["e_code"]: r for _, r in police_fire_rows(outturn).iterrows()}
    wanted_regions = {r.strip().lower() for r in regions}
    councils, services = [], []
    names = set(taken)
    for body in BODIES:
        if body.body_type not in kinds or body.e_code not in rows:
            continue  # e.g. Cumbria's fire authority, new in 2023-24
        r = rows[body.e_code]
        lat, lon, body_regions, unknown_codes = locate(body, geography)
        in_region = bool({g.lower() for g in body_regions} & wanted_regions)
        if not everywhere and not (in_region or _serves(body, chosen)):
            continue
        name = body.name if body.name not in names else f"{body.name} ({body.body_type})"
        names.add(name)
        if r["name"] not in body.outturn_names:
            warnings.append(f"{name} ({body.e_code}): the outturn calls it {r['name']!r}, not "
                            f"{' or '.join(repr(n) for n in body.outturn_names)}; taken by its E-code")
        if unknown_codes:
            warnings.append(f"{name}: councils {', '.join(unknown_codes)} of its area are not in the geography file")
        if len(body_regions) > 1:
            warnings.append(f"{name}: its area spans {', '.join(body_regions)}")
        budget = _net_budget(r, body)
        if r["suppressed"] or budget is None:
            warnings.append(f"{name} ({body.e_code}): figures suppressed ([x]) in the outturn; left out")
            continue
        if budget <= 0:
            warnings.append(f"{name} ({body.e_code}): net current expenditure {_pounds(budget)} is not positive; "
                            "left out")
            continue
        if lat is None:
            warnings.append(f"{name}: no coordinates, so it cannot join a partnership with a distance limit")
        councils.append({
            "council": name, "net_budget": budget, "savings_target": None, "savings_target_pct": target_pct,
            "latitude": lat, "longitude": lon, "max_staff_reduction_pct": None, "max_shared_services": None,
            "body_type": body.body_type,
        })
        lines = tuple(BODY_SERVICE_LINES[line] for line in body.lines)
        body_services, line_warnings = service_rows(r, name, lines)
        services += body_services
        warnings += line_warnings
        if body.lines == BODY_LINES:
            others = [line for line in LINES if line not in BODY_LINES + (TOTAL_LINE,) and _spends(r, line)]
            for line in others:
                spent = int(r[column("total_expenditure", line)])
                warnings.append(f"{name}: {_pounds(spent)} on {LINES[line]} (line {line}) is not a police or fire "
                                "body's own line; left out")
        else:
            warnings.append(f"{name}: only line {', '.join(map(str, body.lines))} of the {r['name']} row "
                            f"({body.note})")
    return councils, services, warnings
