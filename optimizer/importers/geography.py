"""Reading mySociety's list of UK local authorities (CC BY 4.0): region, coordinates, tidy names.

The file has a few known errors (a county in the wrong region, points far outside their county);
``GEOGRAPHY_FIXES`` corrects them where the file is read, only while the file still holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

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
