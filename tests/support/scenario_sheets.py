"""Scenarios written into an instance's sheets, from SPEC section 5 alone (not from optimizer.scenarios):
what `consolidate run` must be given to reproduce a scenario's plan."""

from __future__ import annotations

import copy
import random

import openpyxl

SETTING_VALUES = {
    "targets": ["soft", "hard"],
    "horizon_years": [1, 3, 10],
    "investment_budget": None,  # drawn from the instance's spending
    "max_payback_years": [0.5, 1.5, 4],
    "discount_rate": [0.035, 0.1],
    "first_year_saving_share": [0.25, 0.5],
    "borrowing_rate": [0.0, 0.04],  # with borrowing_years, as a workbook must give them
    "borrowing_years": [3, 10],
    "time_limit_s": [30, 120],
    "mip_gap": [0.0],  # the reference checks each aim exactly
    "solver": ["highs", "cbc"],
}
FIGURES = ("target_pct", "target_scale", "saving_scale", "one_off_scale")
COLUMNS = (*FIGURES, *SETTING_VALUES)


def draw_changes(rng: random.Random, sheets: dict, column: str) -> dict:
    """Changes to one column (two for borrowing, which needs its rate and term) valid for ``sheets``."""
    if column == "target_pct":
        return {column: rng.choice([0.0, 0.01, 0.03, 0.06])}
    if column == "target_scale":
        return {column: rng.choice([0.5, 1.5, 3.0])}
    if column == "saving_scale":
        most = max(max(r["saving_pct"], r.get("staff_reduction_pct") or 0) for r in sheets["Sharing"])
        return {column: rng.choice([s for s in (0.5, 0.8, 1.25) if s * most <= 1] or [0.5])}
    if column == "one_off_scale":
        return {column: rng.choice([0.25, 2.0, 6.0])}
    if column == "investment_budget":
        spend = sum(r["annual_cost"] for r in sheets["Services"])
        return {column: round(rng.uniform(0.003, 0.05) * spend, 2)}
    if column in ("borrowing_rate", "borrowing_years"):
        return {"borrowing_rate": rng.choice(SETTING_VALUES["borrowing_rate"]),
                "borrowing_years": rng.choice(SETTING_VALUES["borrowing_years"])}
    return {column: rng.choice(SETTING_VALUES[column])}


def written_in(sheets: dict, changes: dict) -> dict:
    """The instance's sheets with the scenario's changes typed into them."""
    sheets = copy.deepcopy(sheets)
    for council in sheets["Councils"]:
        if changes.get("target_pct") is not None:
            council["savings_target"], council["savings_target_pct"] = None, changes["target_pct"]
        if changes.get("target_scale") is not None:
            own = council["savings_target"]
            if own is None and council["savings_target_pct"] is not None:
                own = council["savings_target_pct"] * council["net_budget"]
            if own is not None:
                council["savings_target"], council["savings_target_pct"] = own * changes["target_scale"], None
    for name, columns in (("saving_scale", {"Sharing": ["saving_pct"], "Partnerships": ["annual_saving"]}),
                          ("one_off_scale", {"Sharing": ["one_off_pct"], "Partnerships": ["one_off_cost"],
                                             "Reductions": ["one_off_cost"]})):
        if changes.get(name) is None:
            continue
        for sheet, names in columns.items():
            for row in sheets.get(sheet) or []:
                for column in names:
                    if row.get(column) is not None:
                        row[column] *= changes[name]
    settings = [dict(r) for r in sheets.get("Settings") or [] if r["setting"] not in changes]
    settings += [{"setting": k, "value": v} for k, v in changes.items() if k in SETTING_VALUES]
    sheets["Settings"] = settings
    return sheets


def add_scenarios_sheet(path, scenarios: list[tuple[str, dict]]) -> None:
    """A Scenarios sheet headed by the columns' SPEC names, one row per (name, changes)."""
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("Scenarios")
    columns = [c for c in COLUMNS if any(c in changes for _, changes in scenarios)]
    sheet.append(["scenario", *columns])
    for name, changes in scenarios:
        sheet.append([name, *(changes.get(c) for c in columns)])
    book.save(path)
