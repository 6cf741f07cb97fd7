"""Reading and checking input workbooks (SPEC.md section 1): round trips, leniency, and one bad
workbook per rule, each asserting the exact Sheet!Cell reported."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from optimizer.excel.files import OutputError
from optimizer.workbook import schema
from optimizer.workbook.inputs import (
    Council,
    InputError,
    ListedPartnership,
    Reduction,
    Rule,
    Service,
    Settings,
    SharingTerms,
)
from optimizer.workbook.schema import match_name, normalise
from optimizer.workbook.template import write_input_workbook, write_template
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.sheets import base, put, write


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook_inputs(path)
    return [str(p) for p in caught.value.problems]


def wheres(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook_inputs(path)
    return [p.where for p in caught.value.problems]


def only_problem(path: Path) -> str:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def set_cached_values(path: Path, sheet_index: int, values: dict[str, str]) -> None:
    """Give formula cells the value Excel would have stored (openpyxl writes formulas without one);
    an empty string value is stored as Excel does, as a string result."""
    member = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    xml = files[member].decode()
    for ref, value in values.items():
        kind = ' t="str"' if value == "" else ""
        xml, count = re.subn(rf'<c r="{ref}"([^>]*)>(<f>.*?</f>)<v\s*/>', rf'<c r="{ref}"\1{kind}>\2<v>{value}</v>',
                             xml)
        assert count == 1, ref
    files[member] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


# --- round trips


def test_base_workbook_loads(tmp_path):
    loaded = load_workbook_inputs(write(tmp_path, base()))
    inputs = loaded.inputs
    assert loaded.warnings == []
    assert inputs.councils[0] == Council("Shropshire", 600e6, 1e6, 52.7, -2.75)
    assert inputs.council["Telford"].target == pytest.approx(4e6)
    assert inputs.council["Powys"].target is None
    assert inputs.service_row[("Telford", "Adult care")] == Service(
        "Telford", "Adult care", 9e6, 100, statutory=True, protected=True, shareable=False)
    assert inputs.terms[("Waste", 2)] == SharingTerms("Waste", 2, 0.1, 0.2, None, 100)
    assert inputs.reductions == (Reduction("Shropshire", "Libraries", 0.2, 3, 10_000, row=2),)
    assert inputs.partnerships == (
        ListedPartnership("Shrop-Telford waste", "Waste", ("Shropshire", "Telford"), "candidate"),)
    assert inputs.rules == (Rule("Shropshire", "Powys", None),)
    assert inputs.settings == Settings(targets="hard", time_limit_s=30)
    assert inputs.source_name == "input.xlsx"
    assert inputs.source_sha256 == hashlib.sha256((tmp_path / "input.xlsx").read_bytes()).hexdigest()


def test_template_loads_unchanged(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    loaded = load_workbook_inputs(path)
    assert loaded.warnings == []
    inputs = loaded.inputs
    assert [c.name for c in inputs.councils] == ["Northshire", "Southshire", "Eastshire"]
    assert len(inputs.services) == 3 and len(inputs.sharing) == 1
    assert len(inputs.reductions) == len(inputs.partnerships) == len(inputs.rules) == 1
    assert inputs.settings == Settings()


def test_template_layout(tmp_path):
    path = write_template(tmp_path / "template.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Guide", *(s.name for s in schema.SHEETS)]
    services = workbook["Services"]
    assert [c.value for c in services[1]] == [
        "Council", "Service", "Annual cost (£)", "FTE", "Statutory (yes/no)", "Protected (yes/no)",
        "Shareable (yes/no)"]
    assert services["A1"].font.bold and services.freeze_panes == "A2"
    assert services["C2"].number_format == "£#,##0"
    assert services["D2"].number_format == "0.0"
    assert workbook["Sharing"]["C1"].value == "Saving (%)"
    assert workbook["Sharing"]["C2"].number_format == "0.0%"
    validations = {str(v.sqref): v.formula1 for v in services.data_validations.dataValidation}
    assert validations["E2:E1048576"] == '"yes,no"'
    status = {v.formula1 for v in workbook["Partnerships"].data_validations.dataValidation}
    assert '"candidate,required,excluded"' in status
    settings = [[c.value for c in row] for row in workbook["Settings"].iter_rows(min_row=2)]
    assert [(row[0], row[1]) for row in settings] == [
        ("Targets", "soft"), ("Horizon (years)", 5), ("Investment budget (£)", None),
        ("Max payback (years)", None), ("Discount rate (%)", 0), ("First-year saving share (%)", 1),
        ("Borrowing rate (%)", None), ("Borrowing (years)", None), ("Time limit (s)", 60), ("MIP gap", 0.0001),
        ("Solver", "highs")]
    assert all(row[2] for row in settings)  # a description for every setting
    guide = [c.value for c in workbook["Guide"]["B"]]
    assert "Annual cost (£)" in guide and "Max distance (km)" in guide


@pytest.mark.parametrize("text, name", [
    ("Annual cost (£)", "annual_cost"), ("  ANNUAL_cost ", "annual_cost"), ("Saving (%)", "saving_pct"),
    ("saving_pct (%)", "saving_pct"), ("Saving %", "saving_pct"), ("Max distance (km)", "max_distance_km"),
    ("Staff reduction (FTE)", "staff_reduction_fte"), ("FTE", "fte"), ("One-off cost (£)", "one_off_cost"),
    ("Time limit (s)", "time_limit_s"), (" councils ", "councils"), ("Impact (score)", "impact"),
])
def test_normalise(text, name):
    assert normalise(text) == name


def test_unit_falls_back_to_the_literal_rule():
    assert match_name("Impact (%)", schema.REDUCTIONS.column_names) == "impact"


def test_every_header_round_trips_through_the_normaliser():
    for sheet in schema.SHEETS:
        assert match_name(f" {sheet.name.upper()} ", [normalise(s.name) for s in schema.SHEETS]) == normalise(
            sheet.name)
        for column in sheet.columns:
            assert normalise(column.header) == column.name
            assert match_name(column.header, sheet.column_names) == column.name
            assert match_name(column.name, sheet.column_names) == column.name
    for setting in schema.SETTINGS_LIST:
        assert match_name(setting.header, list(schema.SETTINGS_BY_NAME)) == setting.name


def test_schema_setting_defaults_match_inputs():
    defaults = {s.name: s.default for s in schema.SETTINGS_LIST}
    assert Settings(**defaults) == Settings()


def hand_made_tables() -> dict[str, list[dict]]:
    return {
        "Councils": [
            {"council": "Bath", "net_budget": 500e6, "savings_target": 2e6, "latitude": 51.38, "longitude": -2.36},
            {"council": "=Bristol", "net_budget": 900e6, "savings_target_pct": 0.02, "max_shared_services": 3,
             "max_staff_reduction_pct": 0.05},
        ],
        "Services": [
            {"council": "Bath", "service": "Legal", "annual_cost": 1e6, "fte": 12.5, "statutory": True},
            {"council": "=Bristol", "service": "Legal", "annual_cost": 2e6, "protected": False,
             "shareable": True},
            {"council": "=Bristol", "service": "#REF!", "annual_cost": 0, "shareable": False},
        ],
        "Sharing": [{"service": "Legal", "partners": 2, "saving_pct": 0.08, "one_off_pct": 0.5}],
        "Reductions": [{"council": "Bath", "service": "Legal", "reduction_pct": 0.1, "impact": 1.5}],
        "Partnerships": [{"partnership": "West legal", "service": "Legal", "councils": ["Bath", "=Bristol"],
                          "status": "required", "annual_saving": 150_000, "staff_reduction_fte": 2}],
        "Rules": [],
        "Settings": [{"setting": "horizon_years", "value": 10}, {"setting": "solver", "value": "cbc"},
                     {"setting": "investment_budget", "value": 250_000}],
    }


def test_write_input_workbook_round_trip(tmp_path):
    sources = [{"topic": "budgets", "figure": "net_budget", "source": "=RO 2023-24"}]
    path = write_input_workbook(hand_made_tables(), tmp_path / "made.xlsx", sources=sources)
    loaded = load_workbook_inputs(path)
    inputs = loaded.inputs
    assert loaded.warnings == []
    assert inputs.councils == (
        Council("Bath", 500e6, 2e6, 51.38, -2.36),
        Council("=Bristol", 900e6, pytest.approx(18e6), None, None, 0.05, 3),
    )
    assert inputs.services == (
        Service("Bath", "Legal", 1e6, 12.5, statutory=True),
        Service("=Bristol", "Legal", 2e6),
        Service("=Bristol", "#REF!", 0, shareable=False),
    )
    assert inputs.sharing == (SharingTerms("Legal", 2, 0.08, 0.5),)
    assert inputs.reductions == (Reduction("Bath", "Legal", 0.1, 1.5, 0.0, row=2),)
    assert inputs.partnerships == (
        ListedPartnership("West legal", "Legal", ("Bath", "=Bristol"), "required", 150_000, None, 2),)
    assert inputs.rules == ()
    assert inputs.settings == Settings(horizon_years=10, solver="cbc", investment_budget=250_000)
    sheet = load_workbook(path)["Sources"]
    assert [c.value for c in sheet[2]] == ["budgets", "net_budget", "=RO 2023-24"]
    assert sheet["C2"].data_type == "s"


def test_write_input_workbook_needs_force_to_replace(tmp_path):
    path = write_input_workbook({}, tmp_path / "made.xlsx")
    with pytest.raises(OutputError):
        write_input_workbook({}, path)
    write_input_workbook({}, path, force=True)


def test_write_input_workbook_rejects_unknown_names(tmp_path):
    with pytest.raises(ValueError, match="Councilz"):
        write_input_workbook({"Councilz": []}, tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="budget"):
        write_input_workbook({"Councils": [{"council": "A", "budget": 1}]}, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


# --- header and sheet matching


@pytest.mark.parametrize("header", ["annual_cost", "Annual cost (£)", "  ANNUAL COST ", "Annual_Cost",
                                    "annual cost(£)", "annual-cost"])
def test_header_variants(tmp_path, header):
    sheets = put(base(), "Services!C1", header)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.services[0].annual_cost == 5e6


@pytest.mark.parametrize("header", ["Saving (%)", "saving_pct", "Saving %", "SAVING PCT", "saving_pct (%)"])
def test_percent_header_variants(tmp_path, header):
    sheets = put(base(), "Sharing!C1", header)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.sharing[0].saving_pct == 0.1


def test_unit_headers_name_the_right_column(tmp_path):
    sheets = base()
    put(sheets, "Councils!C1", "Savings target (£)")
    put(sheets, "Councils!D1", "Savings target (%)")
    put(sheets, "Sharing!F1", "Max distance (km)")
    inputs = load_workbook_inputs(write(tmp_path, sheets)).inputs
    assert inputs.council["Telford"].target == pytest.approx(4e6)
    assert inputs.sharing[0].max_distance_km == 100


def test_sheet_names_match_loosely_and_extras_are_ignored(tmp_path):
    sheets = put(base(), "Services!H1", "Notes")
    put(sheets, "Services!H2", "check with finance")
    sheets = {" councils ": sheets.pop("Councils"), "SERVICES": sheets.pop("Services"), **sheets,
              "Notes": [["anything", "=1/0"]]}
    loaded = load_workbook_inputs(write(tmp_path, sheets))
    assert len(loaded.inputs.councils) == 3
    assert [str(w) for w in loaded.warnings] == ["SERVICES!H1: column 'Notes' is not used and was ignored"]


def test_misspelt_optional_sheet_and_column_are_warned_about(tmp_path):
    sheets = base()
    sheets["Reduction"] = sheets.pop("Reductions")
    put(sheets, "Sharing!F1", "max distance")
    loaded = load_workbook_inputs(write(tmp_path, sheets))
    assert [w.where for w in loaded.warnings] == ["Sharing!F1", "Reduction"]
    assert "did you mean 'Max distance (km)'?" in loaded.warnings[0].message
    assert "did you mean 'Reductions'?" in loaded.warnings[1].message
    assert loaded.inputs.reductions == ()


def test_header_is_first_non_empty_row_and_empty_rows_are_skipped(tmp_path):
    sheets = base()
    sheets["Services"] = [[], [None, "  "], *sheets["Services"][:3], [], [None, None], *sheets["Services"][3:]]
    inputs = load_workbook_inputs(write(tmp_path, sheets)).inputs
    assert len(inputs.services) == 5
    put(sheets, "Services!C9", "abc")  # was row 6 before the blank rows
    assert wheres(write(tmp_path, sheets)) == ["Services!C9"]


def test_names_are_trimmed_and_inner_spaces_collapsed(tmp_path):
    sheets = put(base(), "Councils!A3", "  Telford\u00a0 ")
    put(sheets, "Services!A3", "Telford")
    put(sheets, "Partnerships!C2", " Shropshire ;Telford ; ")
    put(sheets, "Services!B4", " Waste  ")
    put(sheets, "Services!A5", "Shrop\u200bshire\ufeff")  # zero-width characters pasted from a web page
    inputs = load_workbook_inputs(write(tmp_path, sheets)).inputs
    assert inputs.councils[1].name == "Telford"
    assert inputs.partnerships[0].councils == ("Shropshire", "Telford")
    assert ("Powys", "Waste") in inputs.service_row


# --- lenient values


@pytest.mark.parametrize("value, expected", [
    ("yes", True), ("Y", True), ("TRUE", True), ("true", True), (1, True), ("1", True), (True, True),
    (" yes ", True), ("no", False), ("N", False), ("False", False), (0, False), ("0", False), (False, False),
    (None, True),  # blank: shareable defaults to yes
])
def test_yes_no_variants(tmp_path, value, expected):
    sheets = put(base(), "Services!G5", value)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.services[3].shareable is expected


@pytest.mark.parametrize("value, expected", [
    ("£1,200", 1200), (" 5,000,000 ", 5e6), ("\u00a05000", 5000), ("£ 2500.50", 2500.5), (1200, 1200),
    ("1e6", 1e6),
])
def test_money_as_text(tmp_path, value, expected):
    sheets = put(base(), "Services!C2", value)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.services[0].annual_cost == expected


@pytest.mark.parametrize("value, expected", [("12%", 0.12), ("12 %", 0.12), ("0.12", 0.12), (0.12, 0.12)])
def test_fraction_as_text(tmp_path, value, expected):
    sheets = put(base(), "Sharing!C2", value)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.sharing[0].saving_pct == pytest.approx(expected)


def test_formula_read_as_its_calculated_value(tmp_path):
    sheets = put(base(), "Services!C2", "=2*2500000")
    path = write(tmp_path, sheets)
    set_cached_values(path, 2, {"C2": "5000000"})
    assert load_workbook_inputs(path).inputs.services[0].annual_cost == 5e6


def test_formula_calculated_as_empty_text_is_blank(tmp_path):
    sheets = put(base(), "Services!D2", '=IF(1,"","x")')
    path = write(tmp_path, sheets)
    set_cached_values(path, 2, {"D2": ""})
    assert load_workbook_inputs(path).inputs.services[0].fte == 0


# --- file problems


def test_missing_file(tmp_path):
    found = problems(tmp_path / "nope.xlsx")
    assert len(found) == 1 and "not found" in found[0] and "nope.xlsx" in found[0]


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"council,net_budget\nA,1\n", "not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
])
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "input.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_workbook_inputs(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].where == str(path)
    assert expected in caught.value.problems[0].message


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "input.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert "is a zip archive with no workbook inside" in only_problem(path)


def test_folder_is_not_a_workbook(tmp_path):
    assert "folder" in only_problem(tmp_path)


# --- sheets and columns


def test_missing_required_sheet(tmp_path):
    sheets = base()
    del sheets["Sharing"]
    assert only_problem(write(tmp_path, sheets)) == "Sharing: required sheet 'Sharing' is missing"


def test_misspelt_required_sheet(tmp_path):
    sheets = base()
    sheets["Service"] = sheets.pop("Services")
    found = problems(write(tmp_path, sheets))
    assert found[0] == "Services: required sheet 'Services' is missing; did you mean the sheet 'Service'? " \
                       "Rename it 'Services'"


def test_two_sheets_for_one(tmp_path):
    sheets = base()
    sheets["rules "] = sheets["Rules"]
    assert only_problem(write(tmp_path, sheets)) == \
        "rules : sheets 'Rules' and 'rules ' are both the Rules sheet; rename or delete one"


def test_empty_required_sheet(tmp_path):
    sheets = base()
    sheets["Sharing"] = []
    assert wheres(write(tmp_path, sheets)) == ["Sharing!A1"]


def test_councils_without_rows(tmp_path):
    sheets = base()
    sheets["Councils"] = sheets["Councils"][:1]
    found = wheres(write(tmp_path, sheets))
    assert found[0] == "Councils!A2"


def test_missing_required_column(tmp_path):
    sheets = base()
    sheets["Services"] = [[row[i] for i in (0, 1, 3, 4, 5, 6)] for row in sheets["Services"]]
    found = problems(write(tmp_path, sheets))
    assert found == ["Services!G1: required column 'Annual cost (£)' (annual_cost) is missing"]


def test_missing_column_with_close_header(tmp_path):
    sheets = put(base(), "Services!C1", "Anual cost")
    found = problems(write(tmp_path, sheets))
    assert found == ["Services!C1: required column 'Annual cost (£)' (annual_cost) is missing; "
                     "did you mean 'Anual cost'?"]


def test_duplicate_column(tmp_path):
    sheets = put(base(), "Services!H1", "Annual cost")
    assert wheres(write(tmp_path, sheets)) == ["Services!H1"]


# --- cells


def test_bad_money_message(tmp_path):
    sheets = put(base(), "Services!C3", "abc")
    assert only_problem(write(tmp_path, sheets)) == \
        "Services!C3: annual cost must be a number of pounds ≥ 0; found 'abc'"


def test_fraction_given_as_percent_number(tmp_path):
    sheets = put(base(), "Sharing!C2", 12)
    assert only_problem(write(tmp_path, sheets)) == \
        "Sharing!C2: saving: expected a fraction between 0 and 1 (12 % is 0.12); found 12"


@pytest.mark.parametrize("ref, value, expected", [
    ("Councils!B2", 0, "net budget must be a number of pounds > 0; found 0"),
    ("Councils!B3", "1,5", "net budget must be a number of pounds > 0; found '1,5'"),
    ("Councils!E2", 95, "latitude must be a number between -90 and 90; found 95"),
    ("Services!C2", -1, "annual cost must be a number of pounds ≥ 0; found -1"),
    ("Services!C2", None, "annual cost is required; found a blank cell"),
    ("Services!D2", "many", "FTE must be a number ≥ 0; found 'many'"),
    ("Services!E2", "maybe", "statutory must be yes or no; found 'maybe'"),
    ("Sharing!B2", 2.5, "partners must be a whole number ≥ 2; found 2.5"),
    ("Sharing!F2", 0, "max distance must be a number > 0; found 0"),
    ("Reductions!C2", 0, "reduction must be a fraction above 0 and at most 1; found 0"),
    ("Partnerships!D2", "maybe", "status must be 'candidate', 'required' or 'excluded'; found 'maybe'"),
    ("Rules!A2", "apart", "rule must be 'never_together'; found 'apart'"),
])
def test_bad_cells(tmp_path, ref, value, expected):
    sheets = put(base(), ref, value)
    assert only_problem(write(tmp_path, sheets)) == f"{ref}: {expected}"


def test_formula_without_calculated_value(tmp_path):
    sheets = put(base(), "Services!C3", "=C2*2")
    assert only_problem(write(tmp_path, sheets)).startswith(
        "Services!C3: annual cost is the formula =C2*2 with no calculated value")


def test_excel_error_value(tmp_path):
    sheets = put(base(), "Councils!B3", "#DIV/0!")
    assert only_problem(write(tmp_path, sheets)).startswith("Councils!B3: net budget holds the Excel error #DIV/0!")


def test_error_in_ignored_column_is_ignored(tmp_path):
    sheets = put(base(), "Services!H1", "Check")
    put(sheets, "Services!H2", "#REF!")
    put(sheets, "Services!H3", "=A1")
    assert len(load_workbook_inputs(write(tmp_path, sheets)).inputs.services) == 5


# --- Councils and Services


def test_duplicate_council(tmp_path):
    sheets = put(base(), "Councils!A5", " Shropshire ")
    put(sheets, "Councils!B5", 1)
    assert only_problem(write(tmp_path, sheets)) == \
        "Councils!A5: council 'Shropshire' is listed twice (also Councils!A2)"


def test_both_targets(tmp_path):
    sheets = put(base(), "Councils!D2", 0.05)
    assert wheres(write(tmp_path, sheets)) == ["Councils!D2"]


def test_latitude_without_longitude(tmp_path):
    sheets = put(base(), "Councils!F4", None)
    assert only_problem(write(tmp_path, sheets)) == \
        "Councils!F4: longitude is blank but latitude is given; give both or neither"


def test_duplicate_service_row(tmp_path):
    sheets = put(base(), "Services!A6", "Shropshire")
    put(sheets, "Services!B6", "Libraries")
    assert wheres(write(tmp_path, sheets)) == ["Services!B6"]


def test_service_council_not_in_councils(tmp_path):
    sheets = put(base(), "Services!A3", "Shropshre")
    assert "Services!A3: council 'Shropshre' is not in Councils; did you mean 'Shropshire'?" in \
        problems(write(tmp_path, sheets))


# --- Sharing


def test_sharing_rules(tmp_path):
    sheets = put(base(), "Sharing!A2", "Wastes")
    put(sheets, "Sharing!B3", 1)
    put(sheets, "Sharing!A4", "Waste")
    put(sheets, "Sharing!B4", 3)
    put(sheets, "Sharing!C4", 0.1)
    found = problems(write(tmp_path, sheets))
    assert [f.split(":")[0] for f in found] == ["Sharing!A2", "Sharing!B3"]
    assert "did you mean 'Waste'?" in found[0]
    # rows 3 and 4 only clash once row 3's size is valid
    put(sheets, "Sharing!A2", "Waste")
    put(sheets, "Sharing!B3", 3)
    assert wheres(write(tmp_path, sheets)) == ["Sharing!B4"]


def test_distance_limit_needs_coordinates(tmp_path):
    sheets = put(base(), "Councils!E4", None)
    put(sheets, "Councils!F4", None)
    put(sheets, "Councils!E3", None)
    put(sheets, "Councils!F3", None)
    found = problems(write(tmp_path, sheets))
    assert [f.split(":")[0] for f in found] == ["Councils!E3", "Councils!E4"]
    assert "'Powys' needs a latitude and longitude" in found[1]


def test_no_coordinates_needed_without_a_limit_or_sharing(tmp_path):
    sheets = put(base(), "Councils!E4", None)
    put(sheets, "Councils!F4", None)
    put(sheets, "Services!G4", "no")  # Powys does not share waste
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.council["Powys"].located is False


# --- Reductions


@pytest.mark.parametrize("changes, where, text", [
    ({"Reductions!B2": "Waste "}, None, None),  # a valid row: Shropshire has Waste
    ({"Reductions!B2": "Adult care"}, "Reductions!B2", "has no Services row for 'Adult care'"),
    ({"Reductions!A2": "Telford", "Reductions!B2": "Adult care"}, "Reductions!B2", "is protected"),
    ({"Reductions!C2": 1}, "Reductions!C2", "is statutory"),
    ({"Reductions!C2": 1.5}, "Reductions!C2", "expected a fraction above 0 and at most 1"),
    ({"Reductions!A2": "Nowhere"}, "Reductions!A2", "is not in Councils"),
])
def test_reduction_rules(tmp_path, changes, where, text):
    sheets = base()
    for ref, value in changes.items():
        put(sheets, ref, value)
    path = write(tmp_path, sheets)
    if where is None:
        assert load_workbook_inputs(path).inputs.reductions[0].service == "Waste"
        return
    found = only_problem(path)
    assert found.startswith(f"{where}: ") and text in found


# --- Partnerships


def partnership(sheets, row, name, service, councils, status="candidate", *figures):
    for col, value in zip("ABCDEFG", (name, service, councils, status, *figures)):
        put(sheets, f"Partnerships!{col}{row}", value)
    return sheets


def test_partnership_names_and_members(tmp_path):
    sheets = base()
    partnership(sheets, 3, "Shrop-Telford waste", "Waste", "Powys; Telford")  # name used twice
    partnership(sheets, 4, "Alone", "Waste", "Telford; Telford")
    partnership(sheets, 5, "Typo", "Waste", "Telford; Shropshre")
    partnership(sheets, 6, "Not shared", "Adult care", "Telford; Shropshire")
    partnership(sheets, 7, "Bad status", "Waste", "Telford; Powys", "maybe")
    found = problems(write(tmp_path, sheets))
    assert [f.split(": ")[0] for f in found] == [
        "Partnerships!A3", "Partnerships!C4", "Partnerships!C5", "Partnerships!C6", "Partnerships!C6",
        "Partnerships!D7"]
    assert "did you mean 'Shropshire'?" in found[2]
    assert "'Telford' does not share 'Adult care'" in found[3]
    assert "'Shropshire' has no Services row for 'Adult care'" in found[4]


def test_partnership_unknown_service(tmp_path):
    sheets = partnership(base(), 2, "P", "Wast", "Shropshire; Telford")
    assert only_problem(write(tmp_path, sheets)).startswith(
        "Partnerships!B2: service 'Wast' is not named in Services; did you mean 'Waste'?")


def test_partnership_breaking_never_together(tmp_path):
    sheets = partnership(base(), 3, "West", "Waste", "Shropshire; Powys; Telford")
    assert wheres(write(tmp_path, sheets)) == ["Partnerships!C3"]
    partnership(sheets, 3, "West", "Waste", "Shropshire; Powys; Telford", "excluded")
    assert len(load_workbook_inputs(write(tmp_path, sheets)).inputs.partnerships) == 2


def test_rule_for_another_service_does_not_apply(tmp_path):
    sheets = partnership(base(), 3, "West", "Waste", "Shropshire; Powys")
    put(sheets, "Rules!D2", "Libraries")
    assert len(load_workbook_inputs(write(tmp_path, sheets)).inputs.partnerships) == 2


def test_same_group_listed_twice(tmp_path):
    sheets = partnership(base(), 3, "Again", "Waste", "Telford;Shropshire", "excluded")
    assert only_problem(write(tmp_path, sheets)).startswith(
        "Partnerships!C3: this group is already listed for 'Waste' as 'Shrop-Telford waste'")


def test_blank_figures_need_a_sharing_row(tmp_path):
    sheets = base()
    sheets["Services"].append(["Telford", "Libraries", 8e5, 9, "yes", "no", "yes"])
    partnership(sheets, 3, "Books", "Libraries", "Shropshire; Telford", "required", 50_000)
    assert wheres(write(tmp_path, sheets)) == ["Partnerships!F3", "Partnerships!G3"]
    partnership(sheets, 3, "Books", "Libraries", "Shropshire; Telford", "required", 50_000, 0, 1)
    listed = load_workbook_inputs(write(tmp_path, sheets)).inputs.partnerships[1]
    assert (listed.annual_saving, listed.one_off_cost, listed.staff_reduction_fte) == (50_000, 0, 1)


# --- Rules


def test_rule_rules(tmp_path):
    sheets = base()
    sheets["Rules"] += [
        ["never_together", "Telford", "Telford", None],
        ["never_together", "Shropshre", "Telford", "Wast"],
        ["Never together", "Telford", "Powys", "Waste"],
    ]
    found = problems(write(tmp_path, sheets))
    assert [f.split(": ")[0] for f in found] == ["Rules!C3", "Rules!B4", "Rules!D4"]
    assert "did you mean 'Shropshire'?" in found[1] and "did you mean 'Waste'?" in found[2]


# --- Settings


def test_settings_by_label_and_defaults(tmp_path):
    sheets = base()
    sheets["Settings"] = [["Setting", "Value", "Description"], ["Time limit (s)", "90", "why"],
                          ["MIP gap", "1%", None], ["Investment budget (£)", "£2,000,000", None],
                          ["Max payback (years)", None, "blank = none"], ["Solver", "CBC", None]]
    settings = load_workbook_inputs(write(tmp_path, sheets)).inputs.settings
    assert settings == Settings(time_limit_s=90, mip_gap=0.01, investment_budget=2e6, solver="cbc")


def test_settings_problems(tmp_path):
    sheets = base()
    sheets["Settings"] += [
        ["time_limit", 5],
        ["targets", "soft"],
        ["horizon_years", 0],
        ["mip_gap", 1],
        ["solver", "gurobl"],
        ["investment_budget", -5],
        ["max_payback_years", "soon"],
    ]
    found = problems(write(tmp_path, sheets))
    assert [f.split(": ")[0] for f in found] == [
        "Settings!A4", "Settings!A5", "Settings!B6", "Settings!B7", "Settings!B8", "Settings!B9", "Settings!B10"]
    assert "unknown setting 'time_limit'; did you mean 'time_limit_s'?" in found[0]
    assert "setting 'targets' is given twice (also Settings!A2)" in found[1]
    assert "horizon must be a number > 0; found 0" in found[2]
    assert "MIP gap must be a fraction from 0 up to but not including 1; found 1" in found[3]
    assert "solver must be 'highs', 'cbc', 'gurobi' or 'scip'; found 'gurobl'" in found[4]


# --- everything at once


def test_every_problem_reported_in_workbook_order(tmp_path):
    sheets = base()
    put(sheets, "Settings!B2", "firm")
    put(sheets, "Rules!C2", "Nowhere")
    put(sheets, "Services!E3", "perhaps")
    put(sheets, "Services!C2", "abc")
    put(sheets, "Councils!B4", -1)
    put(sheets, "Councils!A3", "Shropshire")  # duplicate: Telford's services now name an unknown council
    sheets = {name: sheets[name] for name in reversed(list(sheets))}  # sheet order in the file is irrelevant
    assert wheres(write(tmp_path, sheets)) == [
        "Councils!A3", "Councils!B4", "Services!C2", "Services!A3", "Services!E3", "Services!A6",
        "Partnerships!C2", "Rules!C2", "Settings!B2"]


# --- issue 4: what the reader tolerates, and what it names


@pytest.mark.parametrize("ref, value, expected", [
    ("Services!C2", "£1.2m", 1.2e6), ("Services!C2", "£250k", 250_000), ("Services!C2", "1 200 000", 1.2e6),
    ("Services!C2", "1\u00a0200", 1200), ("Councils!F2", "\u22122.75", -2.75), ("Services!D2", "\u00a0 12 ", 12),
])
def test_more_lenient_numbers(tmp_path, ref, value, expected):
    inputs = load_workbook_inputs(write(tmp_path, put(base(), ref, value))).inputs
    found = inputs.services[0].annual_cost if ref == "Services!C2" else \
        inputs.services[0].fte if ref == "Services!D2" else inputs.councils[0].longitude
    assert found == pytest.approx(expected)


@pytest.mark.parametrize("value, expected", [
    (1e300, "net budget is far too large to be right: expected a number of pounds > 0, at most "
            "1,000,000,000,000 (check the units); found 1e+300"),
    ("1e999", "net budget must be a number of pounds > 0; found '1e999'"),
    ("#N/A", "net budget holds the Excel error #N/A where a number of pounds > 0 is expected; correct the formula "
             "or type the value"),
])
def test_impossible_numbers_are_named_not_crashed_on(tmp_path, value, expected):
    assert only_problem(write(tmp_path, put(base(), "Councils!B2", value))) == f"Councils!B2: {expected}"


def test_integer_too_big_for_a_float(tmp_path):
    """openpyxl cannot write one, but a crafted file can hold a 400-digit number; it is read as a Python int."""
    path = write(tmp_path, base())
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"], count = re.subn(
        rb'<c r="B2"[^>]*><v>[^<]*</v></c>', b'<c r="B2"><v>1' + b"0" * 400 + b"</v></c>",
        parts["xl/worksheets/sheet1.xml"])
    assert count == 1
    zip_of(path, parts)
    assert only_problem(path) == "Councils!B2: net budget must be a number of pounds > 0; found a 401-digit number"


def test_horizon_beyond_a_thousand_years_is_a_slip(tmp_path):
    sheets = base()
    sheets["Settings"].append(["horizon_years", 5000])
    assert "at most 1,000" in only_problem(write(tmp_path, sheets))


def test_percent_typed_above_100_gets_no_misleading_hint(tmp_path):
    assert only_problem(write(tmp_path, put(base(), "Sharing!C2", "150%"))) == \
        "Sharing!C2: saving must be a fraction between 0 and 1; found '150%'"


def edit_book(path: Path, change) -> Path:
    book = load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_merged_cells_are_named_once(tmp_path):
    path = edit_book(write(tmp_path, base()), lambda book: book["Services"].merge_cells("A3:A4"))
    assert problems(path) == ["Services!A3: cells A3:A4 are merged inside the table; unmerge them "
                              "(Home > Merge & Center) and give each cell its own value"]


def test_merged_cells_outside_the_table_columns_are_fine(tmp_path):
    sheets = put(put(base(), "Services!J1", "note"), "Services!J2", "see finance")
    path = edit_book(write(tmp_path, sheets), lambda book: book["Services"].merge_cells("J2:K4"))
    assert len(load_workbook_inputs(path).inputs.services) == 5


def test_hidden_sheet_with_an_expected_name(tmp_path):
    def hide(book):
        book["Sharing"].sheet_state = "hidden"
        book["Rules"].sheet_state = "veryHidden"

    found = problems(edit_book(write(tmp_path, base()), hide))
    assert found[0] == "Sharing: the sheet 'Sharing' is hidden; unhide it (right-click any sheet tab > Unhide) " \
                       "so that what is read can be checked, or delete it"
    assert found[1].startswith("Rules: the sheet 'Rules' is hidden; unhide it (it is 'very hidden'")


def test_hidden_rows_and_columns_are_noted(tmp_path):
    def hide(book):
        for row in (3, 4, 6):
            book["Services"].row_dimensions[row].hidden = True
        book["Services"].column_dimensions["C"].hidden = True

    loaded = load_workbook_inputs(edit_book(write(tmp_path, base()), hide))
    assert [str(w) for w in loaded.warnings] == [
        "Services!C1: column 'Annual cost (£)' is hidden but read like any other; unhide it to check it",
        "Services!A3: 3 rows of the table are hidden (rows 3-4, 6) but read like any other; unhide them (or clear "
        "the filter) to check them"]
    assert len(loaded.inputs.services) == 5


def rename(path: Path, name: str) -> Path:
    return path.rename(path.with_name(name))


def zip_of(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("make, expected", [
    (lambda p: rename(write(p.parent, base()), "input.txt"), "is an Excel workbook but its name has '.txt'"),
    (lambda p: rename(write(p.parent, base()), "input"), "is an Excel workbook but its name has no extension"),
    (lambda p: zip_of(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
     "is an OpenDocument spreadsheet (.ods"),
    (lambda p: zip_of(p, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"}),
     "is an Excel Binary Workbook (.xlsb)"),
    (lambda p: zip_of(p, {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}),
     "is a PowerPoint presentation"),
    (lambda p: p.write_bytes(b"<!DOCTYPE html><html><table></table></html>") and p, "is a web page (HTML)"),
    (lambda p: p.write_bytes(b"%PDF-1.7 ...") and p, "is a PDF document"),
    (lambda p: p.write_bytes(b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">')
     and p, "is an Excel 2003 XML spreadsheet"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le")) and p,
     "is a password-protected workbook"),
])
def test_files_that_are_not_what_they_claim(tmp_path, make, expected):
    path = make(tmp_path / "input.xlsx")
    found = only_problem(path)
    assert found.startswith(f"{path}: {expected}") and "\n" not in found


@pytest.mark.parametrize("cap, value, expected", [
    ("MAX_PARTS", 5, "holds 16 parts, more than the 5 a workbook may have"),
    ("MAX_UNCOMPRESSED_BYTES", 10_000, "would inflate to"),
    ("MAX_SHARED_STRINGS", 5, "holds 10 distinct texts, more than the 5"),
    ("MAX_CELLS", 30, "the sheet 'Services' has 42 cells, beyond the 30"),  # after Councils' 20
    ("MAX_ROWS", 5, "the sheet 'Services' has 6 rows, beyond the 5"),
])
def test_each_limit_refuses_before_parsing(tmp_path, monkeypatch, cap, value, expected):
    from optimizer.workbook import package

    path = write(tmp_path, base())
    with zipfile.ZipFile(path, "a") as archive:  # openpyxl writes texts inline; Excel shares them
        archive.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>text</t></si>" * 10 + b"</sst>")
    monkeypatch.setattr(package, cap, value)
    found = only_problem(path)
    assert expected in found and "it was not" in found, found


def test_compression_ratio_limit(tmp_path, monkeypatch):
    from optimizer.workbook import package

    path = write(tmp_path, base())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/blank.bin", b"\0" * 200_000)
    monkeypatch.setattr(package, "RATIO_GRACE_BYTES", 100_000)
    assert "has a part ('xl/media/blank.bin') compressed" in only_problem(path)


def test_cell_limit_counts_the_padding_of_wide_rows(tmp_path, monkeypatch):
    from optimizer.workbook import package

    path = edit_book(write(tmp_path, base()), lambda book: book["Services"].cell(row=2, column=200, value="x"))
    monkeypatch.setattr(package, "MAX_CELLS", 150)  # 35 cells in the file, but row 2 is read as 200
    assert "the sheet 'Services' goes beyond the 150 cells" in only_problem(path)


def test_macros_and_links_are_noted_first(tmp_path):
    path = write(tmp_path, base())
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0")
    loaded = load_workbook_inputs(rename(path, "input.xlsm"))
    assert [str(w) for w in loaded.warnings] == [
        "input.xlsm: the workbook contains macros (VBA); they were not run and are never copied into the plan"]


def test_setting_descriptions_are_never_checked(tmp_path):
    sheets = base()
    sheets["Settings"] = [["setting", "value", "description"], ["targets", "hard", "#REF!"],
                          ["time_limit_s", 30, "=A1&B1"]]
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.settings == Settings(targets="hard", time_limit_s=30)
