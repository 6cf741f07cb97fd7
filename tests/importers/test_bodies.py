"""--bodies police,fire on the real files (both years): every police and fire body of the file is in
the table of areas, comes in with its own spending as the file states it, located and typed."""

from __future__ import annotations

import csv
import hashlib

import openpyxl
import pytest

from optimizer.importers.assumptions import DISCOUNT_RATE, FIRST_YEAR_SAVING_SHARE
from optimizer.importers.bodies import locate, unlisted
from optimizer.importers.geography import read_geography
from optimizer.importers.input_tables import build_tables
from optimizer.importers.outturn import read_outturn
from optimizer.importers.police_fire import BODIES, COUNCIL_FIRE_AUTHORITIES
from optimizer.workbook.template import write_input_workbook
from tests.support.marks import slow
from tests.support.paths import DATA, ROOT

FILES = {"2023-24": DATA / "revenue_outturn_rsx_2023-24.csv", "2022-23": DATA / "revenue_outturn_rsx_2022-23.csv"}
SERVICE_OF_LINE = {601: "Police", 602: "Fire and rescue", 690: "Central services"}


def raw_rows(path) -> list[dict[str, str]]:
    """The authority rows of the file by plain csv: identity columns and cell codes (C3R601 ...)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    codes = next(r for r in rows if "C1R190" in r)
    start = next(i for i, r in enumerate(rows) if r[0] == "E-code")
    end = next(i for i, r in enumerate(rows) if r[0] == "Eng")
    header = rows[start]
    return [{**dict(zip(header, r)), **{c: v for c, v in zip(codes, r) if c.startswith("C")}}
            for r in rows[start + 1:end]]


def pounds(cell: str) -> int:
    """£ thousand -> £; a suppressed cell ([x], North of Tyne CA 2023-24) is no spending."""
    return 0 if cell.strip() == "[x]" else int(cell.replace(",", "")) * 1000


def file_bodies(path) -> dict[str, list[dict]]:
    """Police and fire bodies as the file shows them, independently of the importer: class O rows whose
    detailed class names police or fire, or that spend on line 601 or 602. By type: a row with both
    lines (the GLA) counts for both."""
    found = {"police": [], "fire": []}
    for row in raw_rows(path):
        if row["Class"] != "O":
            continue
        detailed = row["Detailed Class"] if "Detailed Class" in row else row.get("Detailed class", "")
        police = detailed in ("Police", "P") or pounds(row["C3R601"]) != 0
        fire = detailed in ("Fire", "FR") or pounds(row["C3R602"]) != 0
        if police:
            found["police"].append(row)
        if fire:
            found["fire"].append(row)
    return found


@pytest.fixture(scope="module")
def geography():
    return read_geography(DATA / "uk_local_authorities.csv")


@pytest.fixture(scope="module")
def outturns():
    return {y: read_outturn(p) for y, p in FILES.items()}


@pytest.fixture(scope="module", params=list(FILES))
def year(request):
    return request.param


@pytest.fixture(scope="module")
def england(outturns, geography):
    return {y: build_tables(outturns[y], geography, bodies=["police,fire"]) for y in FILES}


# ---------------------------------------------------------------------------------------------- the table

def test_every_police_and_fire_body_of_both_files_is_in_the_table(outturns, year):
    found = file_bodies(FILES[year])
    assert found["police"] and found["fire"]
    for kind, rows in found.items():
        for row in rows:
            entries = [b for b in BODIES if b.e_code == row["E-code"] and b.body_type == kind]
            assert len(entries) == 1, (kind, row["Local authority"])
            assert row["Local authority"] in entries[0].outturn_names, row["Local authority"]
    assert unlisted(outturns[year]) == []


def test_table_is_consistent(geography):
    names = [b.name for b in BODIES]
    assert len(set(names)) == len(names)
    assert len({(b.e_code, b.body_type) for b in BODIES}) == len(BODIES)
    for body in BODIES:
        lat, lon, regions, missing = locate(body, geography)
        assert missing == [] and lat is not None and lon is not None, body.name
        assert len(regions) == 1, (body.name, regions)  # police and fire areas lie within one region
    # every current English upper-tier council is policed by exactly one body (the City by its own
    # force) and served by exactly one fire service (a county fire authority by itself)
    upper = geography[geography["current"] & geography["type"].isin(["CTY", "UA", "MD", "LBO", "CC"])
                      & geography["region"].notna()]
    for code in upper["la_code"]:
        police = [b.name for b in BODIES if b.body_type == "police" and code in b.area]
        fire = [b.name for b in BODIES if b.body_type == "fire" and code in b.area]
        assert len(police) == (0 if code == "LND" else 1), (code, police)
        assert len(fire) == (0 if code in COUNCIL_FIRE_AUTHORITIES else 1), (code, fire)


def test_an_unknown_body_is_reported_not_dropped(outturns, geography):
    outturn = outturns["2023-24"].copy()
    i = outturn.index[outturn["e_code"] == "E7046"][0]  # West Midlands Police, given a code the table lacks
    outturn.loc[i, "e_code"] = "E7999"
    outturn.loc[i, "name"] = "Midland Constabulary"
    result = build_tables(outturn, geography, regions=["West Midlands"], bodies=["police"])
    report = next(w for w in result.warnings if "not in the table of areas" in w)
    assert "Midland Constabulary (E7999)" in report and report.startswith("1 police or fire bodies")
    # a body that takes on a function the table does not give it is reported too
    outturn = outturns["2023-24"].copy()
    i = outturn.index[outturn["e_code"] == "E7046"][0]
    outturn.loc[i, "total_expenditure_602"] = 1_000_000
    assert unlisted(outturn) == ["West Midlands Police and Crime Commissioner and Chief Constable (E7046)"]


# ---------------------------------------------------------------------------------------------- England

@slow
def test_whole_england_bodies(england, year):
    result = england[year]
    found = file_bodies(FILES[year])
    councils = result.tables["Councils"]
    by_type = {kind: [c for c in councils if c["body_type"] == kind] for kind in ("police", "fire")}
    for kind in ("police", "fire"):
        assert len(by_type[kind]) == len(found[kind]), kind  # none suppressed in either year
    assert all(c["latitude"] is not None and c["longitude"] is not None for c in councils)
    assert {c["body_type"] for c in councils} == {"council", "police", "fire"}
    # spending totals: each body's own lines, as the file states them
    services = result.tables["Services"]
    for kind, line in (("police", 601), ("fire", 602)):
        names = {c["council"] for c in by_type[kind]}
        imported = sum(s["annual_cost"] for s in services if s["council"] in names and s["service"] == SERVICE_OF_LINE[line])
        assert imported == sum(pounds(row[f"C3R{line}"]) for row in found[kind]), kind
    bodies = {c["council"] for c in by_type["police"] + by_type["fire"]}
    central = sum(s["annual_cost"] for s in services if s["council"] in bodies and s["service"] == "Central services")
    whole = [row for row in found["police"] + found["fire"] if row["Class"] == "O"
             and row["Local authority"] not in ("Greater London Authority", "Greater Manchester Combined Authority")]
    assert central == sum(max(pounds(row["C3R690"]), 0) for row in whole)  # a negative line is left out, as for councils
    # county fire services: their own line, as councils
    fire_councils = {s["council"] for s in services if s["service"] == "Fire and rescue"} - bodies
    assert len(fire_councils) == len(COUNCIL_FIRE_AUTHORITIES) - (1 if year == "2023-24" else 0)  # Cumbria CC until 2023


def test_settings_carry_the_green_book_rate(tmp_path, outturns, geography):
    result = build_tables(outturns["2023-24"], geography, councils=["Worcester"])
    path = write_input_workbook(result.tables, tmp_path / "w.xlsx", sources=result.sources)
    values = {row[0]: row[1] for row in openpyxl.load_workbook(path)["Settings"].iter_rows(min_row=2, values_only=True)}
    assert values["Discount rate (%)"] == DISCOUNT_RATE == 0.035
    assert values["First-year saving share (%)"] == FIRST_YEAR_SAVING_SHARE
    topics = {row[0]: row[2] for row in openpyxl.load_workbook(path)["Sources"].iter_rows(min_row=2, values_only=True)}
    assert "Green Book" in topics["discount rate"] and topics["first-year saving"]


def test_west_midlands_with_bodies(outturns, geography, year):
    result = build_tables(outturns[year], geography, regions=["West Midlands"], bodies=["police", "fire"],
                          target_pct=0.025)
    bodies = {c["council"]: c for c in result.tables["Councils"] if c["body_type"] != "council"}
    assert set(bodies) == {"West Midlands Police", "West Mercia Police", "Staffordshire Police", "Warwickshire Police",
                           "West Midlands Fire", "Hereford and Worcester Fire and Rescue", "Shropshire Fire and Rescue",
                           "Staffordshire Fire and Rescue"}
    assert all(c["savings_target_pct"] == 0.025 and c["net_budget"] > 0 for c in bodies.values())
    services = {(s["council"], s["service"]) for s in result.tables["Services"]}
    assert ("Warwickshire", "Fire and rescue") in services  # the county is its own fire authority
    sharing = {(r["service"], r["partners"]): r for r in result.tables["Sharing"]}
    assert sharing[("Police", 2)]["body_types"] == "council; police"
    assert sharing[("Fire and rescue", 3)]["body_types"] == "council; fire"
    assert sharing[("Central services", 2)]["body_types"] is None
    assert any("West Mercia Police" in w and "public health" in w for w in result.warnings)


def test_bodies_of_named_councils_and_bad_kind(outturns, geography):
    result = build_tables(outturns["2023-24"], geography, councils=["Warwick"], bodies=["police,fire"])
    # a district is served through its county: Warwickshire Police; its fire service is the county's own
    assert [c["council"] for c in result.tables["Councils"]] == ["Warwick", "Warwickshire Police"]
    assert {r["body_types"] for r in result.tables["Sharing"] if r["service"] == "Police"} == {"council; police"}
    with pytest.raises(ValueError, match="unknown --bodies ambulance"):
        build_tables(outturns["2023-24"], geography, regions=["London"], bodies=["police,ambulance"])


def test_without_bodies_nothing_changes(outturns, geography):
    result = build_tables(outturns["2023-24"], geography, regions=["West Midlands"])
    assert {c["body_type"] for c in result.tables["Councils"]} == {"council"}
    assert not any(s["service"] in ("Police", "Fire and rescue") for s in result.tables["Services"])


# ---------------------------------------------------------------------------------------------- examples

@slow
def test_examples_regenerate_identically(tmp_path):
    from optimizer.importers.examples import write_examples

    for path in write_examples(tmp_path):
        shipped = ROOT / "inputs" / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(shipped.read_bytes()).digest(), path.name


def test_west_midlands_example_has_its_bodies():
    book = openpyxl.load_workbook(ROOT / "inputs" / "west_midlands.xlsx")
    rows = [r for r in book["Councils"].iter_rows(min_row=2, values_only=True) if r[0]]
    header = [c.value for c in book["Councils"][1]]
    types = [r[header.index("Body type")] for r in rows]
    assert types.count("police") == 4 and types.count("fire") == 4 and types.count("council") == 30
    sources = [r[0] for r in book["Sources"].iter_rows(min_row=2, values_only=True)]
    assert "police and fire areas" in sources and "discount rate" in sources


def test_priorities_example_picks_the_cut_that_spares_the_vulnerable():
    """Per SPEC 1: impact = impact column + Σ weight × score. One cut is needed (the target exceeds all
    sharing can save, and each cut alone closes the gap); the least weighted impact is the cut that
    harms 'Protecting the vulnerable' least, though unweighted another cut harms least."""
    from optimizer.importers.examples import PRIORITIES_CUTTER, _most_sharing_saves, build_priorities

    book = openpyxl.load_workbook(ROOT / "inputs" / "priorities.xlsx")

    def table(name):
        rows = list(book[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]

    objectives = {r["Objective"]: r["Weight"] for r in table("Objectives")}
    assert list(objectives) == ["Protecting the vulnerable", "Prosperity", "Jobs"]
    reductions = table("Reductions")
    assert all(set(objectives) <= set(r) for r in reductions)
    impact = {r["Service"]: r["Impact (score)"] + sum(w * r[o] for o, w in objectives.items()) for r in reductions}
    unweighted = {r["Service"]: sum(r[o] for o in objectives) for r in reductions}
    best = min(impact, key=impact.get)
    assert best == min(reductions, key=lambda r: r["Protecting the vulnerable"])["Service"] == "Planning and development"
    assert sorted(impact.values())[0] < sorted(impact.values())[1]
    assert min(unweighted, key=unweighted.get) != best  # the weights decide it
    # the target needs exactly one cut, and any one suffices
    tables, _ = build_priorities()
    cost = {s["service"]: s["annual_cost"] for s in tables["Services"] if s["council"] == PRIORITIES_CUTTER}
    target = next(c["savings_target"] for c in tables["Councils"] if c["council"] == PRIORITIES_CUTTER)
    gap = target - _most_sharing_saves(tables["Services"], tables["Sharing"], PRIORITIES_CUTTER)
    assert gap > 0 and all(r["Reduction (%)"] * cost[r["Service"]] > gap for r in reductions)
    guide = " ".join(str(r[1]) for r in book["Sources"].iter_rows(values_only=True))
    assert "ILLUSTRATIVE" in guide
