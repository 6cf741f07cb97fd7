"""The outturn importer on the real files in data/ (both years), checked against the files' own totals."""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest

from optimizer.importers.assumptions import COST_PER_FTE, SERVICE_LINES, SOURCES
from optimizer.importers.geography import GEOGRAPHY_FIXES, read_geography
from optimizer.importers.input_tables import build_tables
from optimizer.importers.outturn import (
    LINES,
    MEASURES,
    PRINCIPAL_CLASSES,
    TOTAL_LINE,
    column,
    read_outturn,
)
from tests.support.paths import DATA

FILES = {"2023-24": DATA / "revenue_outturn_rsx_2023-24.csv", "2022-23": DATA / "revenue_outturn_rsx_2022-23.csv"}

# Counts by class read straight off the files (SD, MD, UA, LB, SC are principal councils).
EXPECTED = {
    "2023-24": {"authorities": 411, "principal": 317,
                "suppressed": {"Babergh", "Birmingham", "Brentwood", "Cambridge", "Cannock Chase", "Castle Point",
                               "Colchester", "Mid Suffolk", "North West Leicestershire", "Pendle", "Stafford BC",
                               "Westmorland and Furness", "Woking BC", "North of Tyne Combined Authority"},
                "councils_built": 317 - 13},
    "2022-23": {"authorities": 426, "principal": 333,
                "suppressed": {"Birmingham", "High Peak", "North West Leicestershire", "Woking"},
                "councils_built": 333 - 4 - 1},  # and West Lancashire: net budget negative
}
WEST_MIDLANDS_33 = {
    "Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton",
    "Herefordshire", "Shropshire", "Stoke-on-Trent", "Telford and Wrekin",
    "Staffordshire", "Warwickshire", "Worcestershire",
    "Cannock Chase", "East Staffordshire", "Lichfield", "Newcastle-under-Lyme", "South Staffordshire", "Stafford",
    "Staffordshire Moorlands", "Tamworth",
    "North Warwickshire", "Nuneaton and Bedworth", "Rugby", "Stratford-on-Avon", "Warwick",
    "Bromsgrove", "Malvern Hills", "Redditch", "Worcester", "Wychavon", "Wyre Forest",
}
WEST_MIDLANDS_SUPPRESSED = {"Birmingham", "Cannock Chase", "Stafford"}


@pytest.fixture(scope="module", params=list(FILES))
def year(request):
    return request.param


@pytest.fixture(scope="module")
def outturns():
    return {y: read_outturn(p) for y, p in FILES.items()}


@pytest.fixture(scope="module")
def geography():
    return read_geography(DATA / "uk_local_authorities.csv")


def raw_tables(path):
    """Independent plain-csv reading: (cell codes by column, authority rows, ENGLAND row, class rows)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    codes = next(r for r in rows if any(c == "C1R190" for c in r))
    start = next(i for i, r in enumerate(rows) if r[0] == "E-code")
    england = next(i for i, r in enumerate(rows) if r[0] == "Eng")
    classes = [r for r in rows[england + 2:] if r[0]]
    return codes, rows[start + 1:england], rows[england], classes


def thousands(cell: str) -> int:
    return int(cell.replace(",", ""))


# ---------------------------------------------------------------------------------------------- reading

def test_counts(outturns, year):
    df = outturns[year]
    assert len(df) == EXPECTED[year]["authorities"]
    assert df["e_code"].is_unique
    assert df["class"].isin(PRINCIPAL_CLASSES).sum() == EXPECTED[year]["principal"]
    assert set(df.loc[df["suppressed"], "name"]) == EXPECTED[year]["suppressed"]
    # every measure of every line, as nullable integers in £; only suppressed rows have gaps
    for line in LINES:
        for measure in MEASURES.values():
            assert str(df[column(measure, line)].dtype) == "Int64"
    measures = df[[column(m, line) for m in MEASURES.values() for line in LINES]]
    assert measures.isna().any(axis=1).equals(df["suppressed"])


def test_england_row_is_read_and_in_pounds(outturns, year):
    codes, _, england, _ = raw_tables(FILES[year])
    got = outturns[year].attrs["england"]
    for j, code in enumerate(codes):
        if code.startswith("C") and "R" in code:
            c, line = code[1:].split("R")
            assert got[column(MEASURES[int(c)], int(line))] == thousands(england[j]) * 1000


def test_line_totals_match_the_files_own_totals(outturns, year):
    """Σ of the published rows = ENGLAND, except for what the ENGLAND row holds for suppressed returns.

    The ENGLAND row equals the sum of the class-breakdown table, and MHCLG's class totals include
    figures for authorities whose rows are suppressed ([x]). So: every class with no suppressed member
    adds up to its class row within rounding, and the whole gap between ENGLAND and the sum of the rows
    lies in classes that have a suppressed member. Rounding: every figure is published rounded to
    £1 k and the class rows are not sums of the rounded figures (London boroughs' 2022-23 total
    expenditure is £19 k off over 33 boroughs), so up to £1 k per authority is allowed.
    """
    df = outturns[year]
    codes, _, england, class_rows = raw_tables(FILES[year])
    groups = df.groupby(["class", "detailed_class"])
    cells = {j: column(MEASURES[int(code[1:].split("R")[0])], int(code.split("R")[1]))
             for j, code in enumerate(codes) if code.startswith("C") and "R" in code}
    gap_explained, rounding = defaultdict(int), 1000  # £1 k for the ENGLAND row's own rounding
    for row in class_rows:
        members = groups.get_group((row[4], row[5]))
        allowed = 1000 * (len(members) + 1)  # each member's rounding and the class row's
        for j, name in cells.items():
            difference = thousands(row[j]) * 1000 - int(members[name].sum())
            if members["suppressed"].any():
                gap_explained[name] += difference
            else:
                assert abs(difference) <= allowed, (row[2], name, difference)
        rounding += 0 if members["suppressed"].any() else allowed
    for j, name in cells.items():
        gap = thousands(england[j]) * 1000 - int(df[name].sum())
        assert abs(gap - gap_explained[name]) <= rounding, (name, gap, gap_explained[name])
    # and the suppressed returns are real money: ENGLAND's total spend exceeds the rows' sum
    total = column("total_expenditure", TOTAL_LINE)
    assert df.attrs["england"][total] > df[total].sum()


def test_hidden_codes_not_header_text_locate_columns(outturns):
    """Coventry 2023-24, read by cell code, equals the raw file's numbers × 1000."""
    df = outturns["2023-24"].set_index("name")
    coventry = df.loc["Coventry"]
    assert coventry["e_code"] == "E4602" and coventry["class"] == "MD"
    assert coventry[column("employees", 690)] == 46_151_000
    assert coventry[column("total_expenditure", 690)] == 89_036_000
    assert coventry[column("employees", 360)] == 35_339_000
    assert coventry[column("net_current_expenditure", 699)] == 620_790_000


def test_negative_values_kept(outturns):
    df = outturns["2023-24"].set_index("name")
    assert df.loc["Kensington & Chelsea", column("employees", 390)] == -309_000
    assert (df[column("net_current_expenditure", 690)] < 0).any()


# ---------------------------------------------------------------------------------------------- geography

def test_geography_corrections(geography):
    g = geography.set_index("la_code")
    assert g.loc["DBY", "region"] == "East Midlands"
    assert g.loc["LIN", "region"] == "East Midlands"
    assert (g.loc["WAR", "latitude"], g.loc["WAR", "longitude"]) == (52.3844, -1.5279)
    assert "Aylesbury" in g.loc["WAR", "fixed"]
    assert g["fixed"].notna().sum() == len(GEOGRAPHY_FIXES)
    # the district points were never wrong; a correction does not touch them
    assert g.loc["COV", "fixed"] is None


# ---------------------------------------------------------------------------------------------- tables

def test_whole_country(outturns, geography, year):
    result = build_tables(outturns[year], geography)
    councils = result.tables["Councils"]
    assert len(councils) == EXPECTED[year]["councils_built"]
    assert len({c["council"] for c in councils}) == len(councils)
    assert all(c["net_budget"] > 0 for c in councils)
    for name in EXPECTED[year]["suppressed"] - {"North of Tyne Combined Authority"}:
        assert any(name.removesuffix(" BC") in w and "suppressed" in w for w in result.warnings), name
    services = result.tables["Services"]
    assert all(s["annual_cost"] > 0 and s["fte"] >= 0 for s in services)
    assert {s["service"] for s in services} <= {line.service for line in SERVICE_LINES}
    assert not any("olice" in s["service"] or "ire" in s["service"] for s in services)
    # every council has coordinates (E-code, else ONS code, found it in the geography file)
    assert all(c["latitude"] is not None for c in councils)
    assert set(result.tables) == {"Councils", "Services", "Sharing", "Settings"}
    assert all(set(r) == {"topic", "figure", "source"} for r in result.sources)


def test_unmatched_codes_are_reported(outturns, geography):
    result = build_tables(outturns["2023-24"], geography)
    by_ons = next(w for w in result.warnings if "matched by ONS code" in w)
    assert "Cumberland (E0901)" in by_ons and "North Yorkshire (E2702)" in by_ons
    assert any("other bodies" in w and "Police" in w for w in result.warnings)
    # a council the geography file lacks altogether is reported, and still imported when named
    geo = geography[geography["name"] != "Coventry"]
    result = build_tables(outturns["2023-24"], geo, councils=["coventry"])
    assert any(w.startswith("Coventry (E4602, E08000026): not in the geography file") for w in result.warnings)
    assert [c["council"] for c in result.tables["Councils"]] == ["Coventry"]
    assert result.tables["Councils"][0]["latitude"] is None


def test_2022_23_specials(outturns, geography):
    result = build_tables(outturns["2022-23"], geography)
    assert any(w.startswith("West Lancashire") and "not positive" in w for w in result.warnings)
    names = {c["council"] for c in result.tables["Councils"]}
    assert {"Somerset", "North Yorkshire", "Somerset West and Taunton"} <= names


def test_west_midlands(outturns, geography):
    result = build_tables(outturns["2023-24"], geography, regions=["west MIDLANDS"], target_pct=0.025)
    names = {c["council"] for c in result.tables["Councils"]}
    assert names == WEST_MIDLANDS_33 - WEST_MIDLANDS_SUPPRESSED
    assert "Derbyshire" not in names
    assert any(w.startswith("Derbyshire left out of West Midlands") for w in result.warnings)
    for name in WEST_MIDLANDS_SUPPRESSED:
        assert any(w.startswith(f"{name} (") and "suppressed" in w for w in result.warnings)
    assert all(c["savings_target_pct"] == 0.025 for c in result.tables["Councils"])
    warwickshire = next(c for c in result.tables["Councils"] if c["council"] == "Warwickshire")
    assert (warwickshire["latitude"], warwickshire["longitude"]) == (52.3844, -1.5279)


def test_unit_conversion_and_fte_for_coventry(outturns, geography):
    codes, rows, _, _ = raw_tables(FILES["2023-24"])
    raw = dict(zip(codes, next(r for r in rows if r[0] == "E4602")))
    result = build_tables(outturns["2023-24"], geography, councils=["E4602"])
    council = result.tables["Councils"][0]
    assert council["council"] == "Coventry"
    assert council["net_budget"] == thousands(raw["C7R699"]) * 1000 == 620_790_000
    services = {s["service"]: s for s in result.tables["Services"]}
    central = services["Central services"]
    assert central["annual_cost"] == thousands(raw["C3R690"]) * 1000 == 89_036_000
    assert central["fte"] == round(thousands(raw["C1R690"]) * 1000 / COST_PER_FTE, 1) == 1214.5
    assert services["Adult social care"]["protected"] is True
    assert services["Adult social care"]["annual_cost"] == 185_165_000


def test_bad_arguments(outturns, geography):
    with pytest.raises(ValueError, match="unknown region"):
        build_tables(outturns["2023-24"], geography, regions=["Midlands"])
    with pytest.raises(ValueError, match="no authority"):
        build_tables(outturns["2023-24"], geography, councils=["Atlantis"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        build_tables(outturns["2023-24"], geography, target_pct=2.5)


def test_named_other_body(outturns, geography):
    """Bodies that are not principal councils come in only by name."""
    result = build_tables(outturns["2023-24"], geography, councils=["Greater London Authority", "Hammersmith & Fulham"])
    assert [c["council"] for c in result.tables["Councils"]] == ["Greater London", "Hammersmith and Fulham"]


# ---------------------------------------------------------------------------------------------- defaults

def test_service_defaults():
    by_line = {line.line: line for line in SERVICE_LINES}
    assert set(by_line) == set(LINES) - {601, 602, 699}  # police and fire are not council services
    assert {line.service for line in SERVICE_LINES if line.protected} == {"Education", "Adult social care"}
    for line in SERVICE_LINES:
        if line.protected:
            assert line.curve == () and not line.shareable
        else:
            partners = [p.partners for p in line.curve]
            limit = (4, 50) if line.back_office else (3, 25)
            assert partners == list(range(2, limit[0] + 1))
            assert all(p.max_distance_km == limit[1] for p in line.curve)
            savings = [p.saving_pct for p in line.curve]
            steps = [b - a for a, b in zip(savings, savings[1:])]
            assert all(s > 0 for s in steps) and steps == sorted(steps, reverse=True)  # rising, more slowly
            assert all(abs(p.one_off_pct - 2 * p.saving_pct) < 1e-9 for p in line.curve)  # two-year payback
    assert [line.service for line in SERVICE_LINES if line.back_office] == ["Central services"]
    assert SOURCES and all(set(r) == {"topic", "figure", "source"} for r in SOURCES)


# ---------------------------------------------------------------------------------------------- examples

def test_west_midlands_example():
    from optimizer.importers.examples import build_west_midlands

    tables, sources = build_west_midlands()
    assert sum(c["body_type"] == "council" for c in tables["Councils"]) == 30  # and its police and fire bodies
    services = {(s["council"], s["service"]): s for s in tables["Services"]}
    for r in tables["Reductions"]:
        service = services[(r["council"], r["service"])]
        assert not service["protected"] and 0 < r["reduction_pct"] < 1
    assert any(s["topic"] == "savings target" for s in sources)


def test_tri_borough_example_by_hand():
    from optimizer.importers.examples import build_tri_borough

    tables, _ = build_tri_borough()
    assert [c["council"] for c in tables["Councils"]] == [
        "Hammersmith and Fulham", "Kensington and Chelsea", "Westminster"]
    cost = pd.DataFrame(tables["Services"]).pivot(index="council", columns="service", values="annual_cost")
    assert cost.loc["Westminster", "Central services"] == 137_111_000
    curve = {(r["service"], r["partners"]): r["saving_pct"] for r in tables["Sharing"]}
    saving = {c: sum(curve[(s, 3)] * cost.loc[c, s] for s in cost.columns) for c in cost.index}
    assert round(sum(saving.values())) == 40_998_830  # ~ the £40 m a year tri-borough targeted
    for council in tables["Councils"]:
        pair = 0.75 * saving[council["council"]]
        assert pair < council["savings_target"] <= saving[council["council"]]  # only the triple meets it
