"""Issue 17's inputs (SPEC.md section 1): partner caps, body types, the Objectives sheet and its
Reductions columns, and the money-over-time settings. Real .xlsx files, exact Sheet!Cell messages."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from optimizer.workbook import schema
from optimizer.workbook.inputs import InputError, Objective, Settings
from optimizer.workbook.template import write_input_workbook, write_template
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.sheets import base, put, write

OBJECTIVES = [["Objective", "Weight", "Description"], ["Protecting the vulnerable", 3, "care first"],
              ["Jobs", 0.5, None]]


def problems(path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_workbook_inputs(path)
    return [str(p) for p in caught.value.problems]


def only_problem(path) -> str:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def with_bodies() -> dict:
    """Telford is a fire authority and Powys a police force; Councils!H holds the body type."""
    sheets = put(base(), "Councils!G1", "Max partners")
    put(sheets, "Councils!H1", "Body type")
    put(sheets, "Councils!H3", " Fire ")
    put(sheets, "Councils!H4", "POLICE")
    put(sheets, "Sharing!G1", "Body types (separated by ;)")
    return sheets


def with_objectives(reduction_scores=(2, None)) -> dict:
    """Two objectives; Reductions!F and G score them (headers spelt loosely, as users do)."""
    sheets = base()
    sheets["Objectives"] = [list(row) for row in OBJECTIVES]
    put(sheets, "Reductions!F1", "protecting_the VULNERABLE")
    put(sheets, "Reductions!G1", "Jobs (score)")
    put(sheets, "Reductions!F2", reduction_scores[0])
    put(sheets, "Reductions!G2", reduction_scores[1])
    return sheets


# --- Councils and Sharing


def test_partner_caps_and_body_types_are_read(tmp_path):
    sheets = put(with_bodies(), "Councils!G2", 2)
    put(sheets, "Sharing!G2", "Council; FIRE;council ; ")
    loaded = load_workbook_inputs(write(tmp_path, sheets))
    councils = loaded.inputs.council
    assert loaded.warnings == []
    assert (councils["Shropshire"].max_partners, councils["Shropshire"].body_type) == (2, "council")
    assert (councils["Telford"].max_partners, councils["Telford"].body_type) == (None, "fire")
    assert councils["Powys"].body_type == "police"
    assert loaded.inputs.terms[("Waste", 2)].body_types == ("council", "fire")
    assert loaded.inputs.terms[("Waste", 3)].body_types is None


def test_without_the_new_columns_every_body_is_an_uncapped_council(tmp_path):
    inputs = load_workbook_inputs(write(tmp_path, base())).inputs
    assert {(c.max_partners, c.body_type) for c in inputs.councils} == {(None, "council")}
    assert {t.body_types for t in inputs.sharing} == {None}


@pytest.mark.parametrize("ref, value, expected", [
    ("Councils!G2", 0, "max partners must be a whole number ≥ 1; found 0"),
    ("Councils!G3", 1.5, "max partners must be a whole number ≥ 1; found 1.5"),
    ("Councils!G4", "two", "max partners must be a whole number ≥ 1; found 'two'"),
    ("Councils!H2", True, "body type must be text; found TRUE"),
])
def test_bad_council_cells(tmp_path, ref, value, expected):
    assert only_problem(write(tmp_path, put(with_bodies(), ref, value))) == f"{ref}: {expected}"


def test_a_body_type_no_body_has_is_named_with_the_closest(tmp_path):
    sheets = put(with_bodies(), "Sharing!G3", "council; Fier")
    assert only_problem(write(tmp_path, sheets)) == (
        "Sharing!G3: body type 'fier' is not the body type of any row of Councils (known: council, fire, "
        "police); did you mean 'fire'?")


def test_each_unknown_body_type_is_a_problem_of_its_cell(tmp_path):
    sheets = put(with_bodies(), "Sharing!G2", "army; health")
    assert problems(write(tmp_path, sheets)) == [
        "Sharing!G2: body type 'army' is not the body type of any row of Councils (known: council, fire, police)",
        "Sharing!G2: body type 'health' is not the body type of any row of Councils (known: council, fire, "
        "police)"]


def test_an_unreadable_body_type_refuses_no_sharing_type(tmp_path):
    """Powys' type could be the one Sharing names: only its own cell is reported."""
    sheets = put(put(with_bodies(), "Councils!H4", True), "Sharing!G2", "police")
    assert only_problem(write(tmp_path, sheets)) == "Councils!H4: body type must be text; found TRUE"


# --- Objectives and Reductions


def test_objectives_and_their_scores_are_read(tmp_path):
    loaded = load_workbook_inputs(write(tmp_path, with_objectives()))
    inputs = loaded.inputs
    assert loaded.warnings == []  # the objective columns are used, not ignored
    assert inputs.objectives == (Objective("Protecting the vulnerable", 3, "care first"), Objective("Jobs", 0.5))
    reduction = inputs.reductions[0]
    assert reduction.scores == (2, 0)  # Jobs blank = 0
    assert reduction.own_impact == 3
    assert reduction.impact == 3 + 3 * 2 + 0.5 * 0


def test_with_objectives_the_impact_column_is_optional(tmp_path):
    sheets = with_objectives((1, 4))
    sheets["Reductions"] = [row[:3] + row[4:] for row in sheets["Reductions"]]  # no impact column at all
    reduction = load_workbook_inputs(write(tmp_path, sheets)).inputs.reductions[0]
    assert (reduction.own_impact, reduction.scores, reduction.impact) == (0, (1, 4), 3 * 1 + 0.5 * 4)
    sheets = put(with_objectives((1, 4)), "Reductions!D2", None)
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.reductions[0].impact == 5


def test_without_objectives_impact_stays_required_and_other_columns_are_ignored(tmp_path):
    sheets = put(put(base(), "Reductions!D2", None), "Reductions!F1", "Jobs")
    assert only_problem(write(tmp_path, sheets)) == "Reductions!D2: impact is required; found a blank cell"
    loaded = load_workbook_inputs(write(tmp_path, put(sheets, "Reductions!D2", 3)))
    assert [str(w) for w in loaded.warnings] == ["Reductions!F1: column 'Jobs' is not used and was ignored"]
    assert loaded.inputs.objectives == () and loaded.inputs.reductions[0].own_impact is None
    assert loaded.inputs.reductions[0].scores == () and loaded.inputs.reductions[0].impact == 3


def test_an_objective_without_its_column(tmp_path):
    sheets = with_objectives()
    sheets["Reductions"] = [row[:6] for row in sheets["Reductions"]]
    assert only_problem(write(tmp_path, sheets)) == (
        "Objectives!A3: objective 'Jobs' has no column in Reductions; add a column headed 'Jobs' there, holding "
        "each reduction's harm to it (blank = 0)")
    del sheets["Reductions"]
    assert problems(write(tmp_path, sheets))[0] == (
        "Objectives!A2: objective 'Protecting the vulnerable' has no column in Reductions; add a column headed "
        "'Protecting the vulnerable' to a Reductions sheet (there is none), holding each reduction's harm to it "
        "(blank = 0)")


@pytest.mark.parametrize("value, found", [("lots", "'lots'"), (-1, "-1")])
def test_a_score_must_be_a_number_at_least_zero(tmp_path, value, found):
    sheets = with_objectives((2, value))
    assert only_problem(write(tmp_path, sheets)) == \
        f"Reductions!G2: the score for 'Jobs' must be a number ≥ 0; found {found}"


def test_objective_names_are_unique_as_headers_see_them(tmp_path):
    sheets = with_objectives()
    sheets["Objectives"].append([" jobs ", 1, None])
    assert only_problem(write(tmp_path, sheets)) == \
        "Objectives!A4: objective 'jobs' is listed twice (also Objectives!A3, as 'Jobs'); keep one"


def test_objective_rows_are_checked(tmp_path):
    sheets = with_objectives()
    sheets["Objectives"] += [["Impact", 1], ["Parks", -2], [None, 1]]
    put(sheets, "Reductions!H1", "Parks")
    assert problems(write(tmp_path, sheets)) == [
        "Objectives!A4: objective 'Impact' has the name of the Reductions column 'Impact (score)'; rename the "
        "objective (and its column)",
        "Objectives!B5: weight must be a number ≥ 0; found -2",
        "Objectives!A6: objective is required; found a blank cell"]


# --- Settings


def test_money_over_time_settings_are_read_by_label(tmp_path):
    sheets = base()
    sheets["Settings"] += [["Discount rate (%)", "3.5%"], ["First-year saving share (%)", 0.5],
                           ["Borrowing rate (%)", 0.04], ["Borrowing (years)", "25"]]
    settings = load_workbook_inputs(write(tmp_path, sheets)).inputs.settings
    assert settings == Settings(targets="hard", time_limit_s=30, discount_rate=0.035, first_year_saving_share=0.5,
                                borrowing_rate=0.04, borrowing_years=25)


def test_money_over_time_defaults(tmp_path):
    settings = load_workbook_inputs(write(tmp_path, base())).inputs.settings
    assert (settings.discount_rate, settings.first_year_saving_share) == (0, 1)
    assert (settings.borrowing_rate, settings.borrowing_years) == (None, None)


@pytest.mark.parametrize("setting, value, expected", [
    ("discount_rate", 3.5, "discount rate: expected a fraction between 0 and 1 (3.5 % is 0.035); found 3.5"),
    ("discount_rate", "150%", "discount rate must be a fraction between 0 and 1; found '150%'"),
    ("first_year_saving_share", -0.1, "first-year saving share must be a fraction between 0 and 1; found -0.1"),
    ("borrowing_rate", "cheap", "borrowing rate must be a fraction between 0 and 1; found 'cheap'"),
    ("borrowing_years", 2.5, "borrowing term must be a whole number ≥ 1; found 2.5"),
    ("borrowing_years", 0, "borrowing term must be a whole number ≥ 1; found 0"),
])
def test_bad_money_over_time_settings(tmp_path, setting, value, expected):
    sheets = base()
    sheets["Settings"].append([setting, value])
    assert only_problem(write(tmp_path, sheets)) == f"Settings!B4: {expected}"


def test_borrowing_needs_both_its_rate_and_its_term(tmp_path):
    sheets = base()
    sheets["Settings"].append(["borrowing_rate", 0.04])
    assert only_problem(write(tmp_path, sheets)) == (
        "Settings!B4: a borrowing rate needs its term: set borrowing_years, the whole number of years over which "
        "one-off costs are repaid, or clear the rate")
    sheets["Settings"][3] = ["borrowing_years", 20]
    assert only_problem(write(tmp_path, sheets)) == (
        "Settings!B4: a borrowing term needs its rate: set borrowing_rate (0 for an interest-free loan), or clear "
        "the term")
    sheets["Settings"].append(["borrowing_rate", 0])
    assert load_workbook_inputs(write(tmp_path, sheets)).inputs.settings.borrowing_rate == 0


def test_a_term_that_cannot_be_read_is_reported_once(tmp_path):
    sheets = base()
    sheets["Settings"] += [["borrowing_rate", 0.04], ["borrowing_years", "long"]]
    assert problems(write(tmp_path, sheets)) == [
        "Settings!B5: borrowing term must be a whole number ≥ 1; found 'long'"]


# --- everything at once


def test_every_new_problem_is_listed_together_in_workbook_order(tmp_path):
    sheets = put(with_bodies(), "Councils!G3", 0)
    put(sheets, "Sharing!G2", "fier")
    sheets["Objectives"] = [list(row) for row in OBJECTIVES]
    put(sheets, "Reductions!F1", "Protecting the vulnerable")
    put(sheets, "Reductions!F2", "high")
    sheets["Settings"].append(["borrowing_rate", 0.04])
    assert [p.split(": ")[0] for p in problems(write(tmp_path, sheets))] == [
        "Councils!G3", "Sharing!G2", "Reductions!F2", "Objectives!A3", "Settings!B4"]


# --- the template


def test_template_round_trips_with_the_new_inputs(tmp_path):
    loaded = load_workbook_inputs(write_template(tmp_path / "template.xlsx"))
    inputs = loaded.inputs
    assert loaded.warnings == []
    assert [(o.name, o.weight) for o in inputs.objectives] == [
        ("Protecting the vulnerable", 3), ("Prosperity", 2), ("Jobs", 1)]
    reduction = inputs.reductions[0]
    assert (reduction.own_impact, reduction.scores, reduction.impact) == (2, (0, 1, 2), 2 + 0 + 2 + 2)
    assert (inputs.councils[0].max_partners, inputs.councils[0].body_type) == (3, "council")
    assert inputs.sharing[0].body_types == ("council",)


def test_template_shows_the_new_columns_sheet_and_settings(tmp_path):
    book = load_workbook(write_template(tmp_path / "template.xlsx"))
    assert [c.value for c in book["Reductions"][1]] == [
        "Council", "Service", "Reduction (%)", "Impact (score)", "Protecting the vulnerable", "Prosperity", "Jobs",
        "One-off cost (£)"]
    assert [[c.value for c in row] for row in book["Objectives"].iter_rows(max_col=2)] == [
        ["Objective", "Weight"], ["Protecting the vulnerable", 3], ["Prosperity", 2], ["Jobs", 1]]
    assert [c.value for c in book["Councils"][1]][-2:] == ["Max partners", "Body type"]
    assert book["Sharing"]["G1"].value == "Body types (separated by ;)"
    names = [c.value for c in book["Guide"]["C"]]
    for name in ("max_partners", "body_type", "body_types", "objective", "weight", "(objective name)",
                 "discount_rate", "first_year_saving_share", "borrowing_rate", "borrowing_years"):
        assert name in names, name


def test_input_workbooks_carry_objective_columns(tmp_path):
    tables = {
        "Councils": [{"council": "Bath", "net_budget": 5e8, "body_type": "Council"},
                     {"council": "Avon Fire", "net_budget": 5e7, "body_type": "fire", "max_partners": 1}],
        "Services": [{"council": "Bath", "service": "Legal", "annual_cost": 1e6}],
        "Sharing": [{"service": "Legal", "partners": 2, "saving_pct": 0.1, "body_types": ["council", "fire"]}],
        "Objectives": [{"objective": "Prosperity", "weight": 2}],
        "Reductions": [{"council": "Bath", "service": "Legal", "reduction_pct": 0.1, "prosperity": 4}],
    }
    inputs = load_workbook_inputs(write_input_workbook(tables, tmp_path / "made.xlsx")).inputs
    assert inputs.reductions[0].impact == 8 and inputs.council["Avon Fire"].max_partners == 1
    assert inputs.sharing[0].body_types == ("council", "fire")
    tables["Reductions"][0]["jobs"] = 1
    with pytest.raises(ValueError, match="jobs"):
        write_input_workbook(tables, tmp_path / "other.xlsx")


def test_schema_reads_reductions_as_given_without_objectives():
    assert schema.reductions_sheet(None) is schema.REDUCTIONS
    assert schema.reductions_sheet([]).column("impact").required is False
