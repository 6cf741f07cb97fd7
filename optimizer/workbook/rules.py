"""The rules between cells, rows and sheets (SPEC.md section 1), giving the records of ``inputs``.

Sheets are checked in order (Councils, Services, Sharing, ...); what a later sheet needs from an
earlier one (its valid names, rows, whether it could be read at all) is carried in ``Checked``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from optimizer.excel.files import safe_in_file_name
from optimizer.workbook import schema
from optimizer.workbook.cells import Invalid, parse_cell, shown
from optimizer.workbook.inputs import (
    Council,
    Inputs,
    ListedPartnership,
    Objective,
    Reduction,
    Rule,
    Scenario,
    Service,
    Settings,
    SharingTerms,
)
from optimizer.workbook.problems import Report
from optimizer.workbook.schema import closest, match_name, normalise
from optimizer.workbook.tables import Row, Table


@dataclass
class Checked:
    """What the later checks need to know about the earlier sheets."""

    council_rows: dict[str, Row] = field(default_factory=dict)  # first row of each valid name
    service_rows: dict[tuple[str, str], Row] = field(default_factory=dict)
    service_names: dict[str, None] = field(default_factory=dict)  # ordered set
    sharing_sizes: set[tuple[str, int]] = field(default_factory=set)
    rules: list[Rule] = field(default_factory=list)
    # Whether a sheet's key columns could be read at all. When not, that is reported once and
    # the checks that look things up in it are skipped, rather than failing on every row.
    councils_readable: bool = False
    services_readable: bool = False
    sharing_readable: bool = False
    unsized_services: set[str] = field(default_factory=set)  # a Sharing row's size was unreadable
    body_types: set[str] = field(default_factory=set)  # of the Councils rows, lower case
    # Any Councils row's body type unreadable: a Sharing type might be that one, so none is refused.
    body_types_complete: bool = True


def check_inputs(tables: dict[str, Table], report: Report) -> Inputs:
    known = Checked(
        councils_readable="council" in tables["Councils"].present,
        services_readable={"council", "service"} <= tables["Services"].present,
        sharing_readable={"service", "partners"} <= tables["Sharing"].present,
    )
    councils = _check_councils(tables["Councils"], known, report)
    services = _check_services(tables["Services"], known, report)
    sharing = _check_sharing(tables["Sharing"], known, report)
    objectives = _check_objectives(tables["Objectives"], tables["Reductions"], report)
    reductions = _check_reductions(tables["Reductions"], objectives, known, report)
    rules = _check_rules(tables["Rules"], known, report)
    partnerships = _check_partnerships(tables["Partnerships"], known, report)
    settings = _check_settings(tables["Settings"], report)
    scenarios = _check_scenarios(tables["Scenarios"], settings, sharing, report)
    return Inputs(tuple(councils), tuple(services), sharing=tuple(sharing), reductions=tuple(reductions),
                  partnerships=tuple(partnerships), rules=tuple(rules), objectives=tuple(objectives),
                  settings=settings, scenarios=tuple(scenarios))


def _check_councils(table: Table, known: Checked, report: Report) -> list[Council]:
    if table.header_row and not table.rows and "council" in table.present:
        report.error(table.loc(table.header_row + 1, "council"), "no councils are listed; add one row per council")
    councils = []
    for row in table.rows:
        fine = _unique_council(row, known, report)
        fine &= _one_target(row, report)
        fine &= _both_coordinates(row, report)
        _note_body_type(row, known)
        if fine and row.complete:
            councils.append(_council(row))
    return councils


def _note_body_type(row: Row, known: Checked) -> None:
    if row.ok("body_type"):
        known.body_types.add(_body_type(row["body_type"]))
    else:
        known.body_types_complete = False


def _body_type(text: str) -> str:
    """Body types are matched ignoring case (SPEC), so they are kept in lower case."""
    return text.strip().lower()


def _unique_council(row: Row, known: Checked, report: Report) -> bool:
    if not row.ok("council"):
        return False
    first = known.council_rows.setdefault(row["council"], row)
    if first is not row:
        report.error(row.at("council"), f"council '{row['council']}' is listed twice (also {first.at('council')})")
        return False
    return True


def _one_target(row: Row, report: Report) -> bool:
    both = row.ok("savings_target", "savings_target_pct") and None not in (
        row["savings_target"], row["savings_target_pct"])
    if both:
        report.error(row.at("savings_target_pct"), "give the savings target in £ or as a share of the net "
                     f"budget, not both; found {shown(row['savings_target'])} and "
                     f"{shown(row['savings_target_pct'])}")
    return not both


def _both_coordinates(row: Row, report: Report) -> bool:
    if not row.ok("latitude", "longitude"):
        return True
    for given, blank in (("latitude", "longitude"), ("longitude", "latitude")):
        if row[given] is not None and row[blank] is None:
            report.error(row.at(blank), f"{blank} is blank but {given} is given; give both or neither")
            return False
    return True


def _council(row: Row) -> Council:
    pct, target = row["savings_target_pct"], row["savings_target"]
    if target is None and pct is not None:
        target = pct * row["net_budget"]
    return Council(row["council"], row["net_budget"], target, row["latitude"], row["longitude"],
                   row["max_staff_reduction_pct"], row["max_shared_services"], row["max_partners"],
                   _body_type(row["body_type"]))


def _check_services(table: Table, known: Checked, report: Report) -> list[Service]:
    if table.header_row and not table.rows and "council" in table.present:
        report.error(table.loc(table.header_row + 1, "council"), "no services are listed; add one row per "
                                                                 "council and service")
    services = []
    for row in table.rows:
        if row.ok("service"):
            known.service_names.setdefault(row["service"])
        fine = _known_council(row, "council", known, report)
        if row.ok("council", "service"):
            key = (row["council"], row["service"])
            first = known.service_rows.setdefault(key, row)
            if first is not row:
                report.error(row.at("service"), f"'{key[0]}' has two rows for '{key[1]}' (also "
                                                f"{first.at('service')}); keep one")
                fine = False
        if fine and row.complete:
            services.append(Service(**{name: row[name] for name in table.sheet.column_names}))
    return services


def _known_council(row: Row, column: str, known: Checked, report: Report) -> bool:
    if not row.ok(column):
        return False
    name = row[column]
    if known.councils_readable and name not in known.council_rows:
        report.error(row.at(column), f"council '{name}' is not in Councils{_suggest(name, known.council_rows)}")
        return False
    return True


def _known_service(row: Row, column: str, known: Checked, report: Report) -> bool:
    if not row.ok(column) or row[column] is None:
        return row.ok(column)
    name = row[column]
    if known.services_readable and name not in known.service_names:
        report.error(row.at(column), f"service '{name}' is not named in Services"
                                     f"{_suggest(name, known.service_names)}")
        return False
    return True


def _check_sharing(table: Table, known: Checked, report: Report) -> list[SharingTerms]:
    terms, first_rows = [], {}
    for row in table.rows:
        fine = _known_service(row, "service", known, report)
        if row.ok("service", "partners"):
            key = (row["service"], row["partners"])
            first = first_rows.setdefault(key, row)
            known.sharing_sizes.add(key)
            if first is not row:
                report.error(row.at("partners"), f"'{key[0]}' has two rows for {key[1]} partners (also "
                                                 f"{first.at('partners')}); keep one")
                fine = False
        elif row.ok("service"):
            known.unsized_services.add(row["service"])
        fine &= _known_body_types(row, known, report)
        if fine and row.complete:
            values = {name: row[name] for name in table.sheet.column_names}
            terms.append(SharingTerms(**{**values, "body_types": _body_types(row["body_types"])}))
    _check_located(table, known, report)
    return terms


def _body_types(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Distinct lower-case types, in the order given; None (any body) when the cell names none."""
    types = tuple(dict.fromkeys(map(_body_type, names or ())))
    return types or None


def _known_body_types(row: Row, known: Checked, report: Report) -> bool:
    """A type no body has would silently forbid the partnership: it is surely a slip."""
    if not row.ok("body_types") or not known.councils_readable or not known.body_types_complete:
        return True
    fine = True
    for name in _body_types(row["body_types"]) or ():
        if name not in known.body_types:
            listed = ", ".join(sorted(known.body_types))
            report.error(row.at("body_types"), f"body type '{name}' is not the body type of any row of Councils "
                                               f"(known: {listed}){_suggest(name, sorted(known.body_types))}")
            fine = False
    return fine


def _check_located(table: Table, known: Checked, report: Report) -> None:
    """A distance limit needs the place of every council that could share that service."""
    limited: dict[str, Row] = {}  # service -> its first row with a limit
    for row in table.rows:
        if row.ok("service", "max_distance_km") and row["max_distance_km"] is not None:
            limited.setdefault(row["service"], row)
    needs: dict[str, list[str]] = {}
    for (council, service), service_row in known.service_rows.items():
        if service in limited and service_row.ok("shareable") and service_row["shareable"]:
            needs.setdefault(council, []).append(service)
    for council, services in needs.items():
        row = known.council_rows.get(council)
        if row is None or not row.ok("latitude", "longitude"):
            continue
        if row["latitude"] is None and row["longitude"] is None:
            first = limited[services[0]]
            report.error(row.at("latitude"), f"'{council}' needs a latitude and longitude: it may share "
                         f"{_listed(services)}, which has a distance limit ({first.at('max_distance_km')})")


def _suggest(name: str, names: Iterable[str]) -> str:
    near = closest(name, names)
    return f"; did you mean '{near}'?" if near else ""


def _listed(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names[:3]] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
    return ", ".join(quoted)


def _check_objectives(table: Table, reductions: Table, report: Report) -> list[Objective]:
    objectives, seen = [], {}
    for row in table.rows:
        fine = _new_objective(row, seen, report) and _objective_column(row, reductions, report)
        if fine and row.complete:
            objectives.append(Objective(row["objective"], row["weight"], _note(row["description"])))
    return objectives


def _note(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _new_objective(row: Row, seen: dict[str, Row], report: Report) -> bool:
    """Headers cannot tell apart names that differ only in case or spacing, so neither may objectives."""
    if not row.ok("objective"):
        return False
    name = row["objective"]
    first = seen.setdefault(normalise(name), row)
    if first is not row:
        spelt = "" if first["objective"] == name else f", as '{first['objective']}'"
        report.error(row.at("objective"), f"objective '{name}' is listed twice (also {first.at('objective')}"
                                          f"{spelt}); keep one")
        return False
    return True


def _objective_column(row: Row, reductions: Table, report: Report) -> bool:
    name, key = row["objective"], normalise(row["objective"])
    if key in schema.REDUCTIONS.column_names:
        own = schema.REDUCTIONS.column(key).header
        report.error(row.at("objective"), f"objective '{name}' has the name of the Reductions column '{own}'; "
                                          "rename the objective (and its column)")
        return False
    if key not in reductions.present:
        where = "there" if reductions.header_row else "to a Reductions sheet (there is none)"
        report.error(row.at("objective"), f"objective '{name}' has no column in Reductions; add a column headed "
                                          f"'{name}' {where}, holding each reduction's harm to it (blank = 0)")
        return False
    return True


def _check_reductions(table: Table, objectives: list[Objective], known: Checked,
                      report: Report) -> list[Reduction]:
    reductions = []
    for row in table.rows:
        fine = _known_council(row, "council", known, report) and _reducible(row, known, report)
        if fine and row.complete:
            reductions.append(_reduction(row, objectives))
    return reductions


def _reduction(row: Row, objectives: list[Objective]) -> Reduction:
    """SPEC's impact: the impact column plus each objective's weight x the reduction's score on it."""
    own = row["impact"]
    scores = tuple(row[normalise(objective.name)] for objective in objectives)
    weighted = sum(objective.weight * score for objective, score in zip(objectives, scores))
    return Reduction(row["council"], row["service"], row["reduction_pct"], own + weighted, row["one_off_cost"],
                     row=row.number, scores=scores, own_impact=own if objectives else None)


def _reducible(row: Row, known: Checked, report: Report) -> bool:
    if not row.ok("service"):
        return False
    council, service = row["council"], row["service"]
    service_row = known.service_rows.get((council, service))
    if service_row is None and not known.services_readable:
        return True
    if service_row is None:
        own = [s for c, s in known.service_rows if c == council]
        report.error(row.at("service"), f"'{council}' has no Services row for '{service}'{_suggest(service, own)}")
        return False
    if service_row.ok("protected") and service_row["protected"]:
        report.error(row.at("service"), f"'{service}' of '{council}' is protected ({service_row.at('protected')}) "
                                        "and cannot be reduced")
        return False
    if service_row.ok("statutory") and service_row["statutory"] and row.ok("reduction_pct") \
            and row["reduction_pct"] == 1:
        report.error(row.at("reduction_pct"), f"'{service}' of '{council}' is statutory "
                     f"({service_row.at('statutory')}) and cannot be stopped; a reduction must be below 1 (100%)")
        return False
    return True


def _check_rules(table: Table, known: Checked, report: Report) -> list[Rule]:
    for row in table.rows:
        fine = _known_council(row, "council_a", known, report)
        fine &= _known_council(row, "council_b", known, report)
        if fine and row["council_a"] == row["council_b"]:
            report.error(row.at("council_b"), f"a rule needs two different councils; found '{row['council_b']}' twice")
            fine = False
        fine &= _known_service(row, "service", known, report)
        if fine and row.complete:
            known.rules.append(Rule(row["council_a"], row["council_b"], row["service"]))
    return known.rules


def _check_partnerships(table: Table, known: Checked, report: Report) -> list[ListedPartnership]:
    partnerships, names, groups = [], {}, {}
    for row in table.rows:
        fine = _unique(row, "partnership", names, report)
        service_known = _known_service(row, "service", known, report)
        fine &= service_known
        if row.ok("councils"):
            fine &= _members(row, known, report, service_known)
        if fine and row.ok("service", "councils"):
            fine &= _new_group(row, groups, report)
            if row.ok("status") and row["status"] != "excluded":
                fine &= _allowed_together(row, known, report) & _has_figures(row, known, report)
        if fine and row.complete:
            partnerships.append(ListedPartnership(
                row["partnership"], row["service"], _distinct(row["councils"]), row["status"],
                row["annual_saving"], row["one_off_cost"], row["staff_reduction_fte"]))
    return partnerships


def _distinct(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _unique(row: Row, column: str, seen: dict[str, Row], report: Report) -> bool:
    if not row.ok(column):
        return False
    first = seen.setdefault(row[column], row)
    if first is not row:
        report.error(row.at(column), f"'{row[column]}' is listed twice (also {first.at(column)})")
        return False
    return True


def _members(row: Row, known: Checked, report: Report, service_known: bool) -> bool:
    names, members = row["councils"], _distinct(row["councils"])
    if len(members) < 2:
        report.error(row.at("councils"), "councils must name at least two different councils, separated by "
                                         f"';'; found {shown(row.raw['councils'])}")
        return False
    if len(members) < len(names):
        report.warn(row.at("councils"), "a council is named twice; counted once")
    fine = True
    for name in members:
        if known.councils_readable and name not in known.council_rows:
            report.error(row.at("councils"), f"council '{name}' is not in Councils"
                                             f"{_suggest(name, known.council_rows)}")
            fine = False
    if not service_known:
        return False
    for name in (m for m in members if m in known.council_rows or not known.councils_readable):
        fine &= _shares(row, name, known, report)
    return fine


def _shares(row: Row, council: str, known: Checked, report: Report) -> bool:
    service = row["service"]
    service_row = known.service_rows.get((council, service))
    if service_row is None and not known.services_readable:
        return True
    if service_row is None:
        report.error(row.at("councils"), f"'{council}' has no Services row for '{service}'")
        return False
    if service_row.ok("shareable") and not service_row["shareable"]:
        report.error(row.at("councils"), f"'{council}' does not share '{service}' "
                                         f"(shareable is no at {service_row.at('shareable')})")
        return False
    return True


def _new_group(row: Row, groups: dict[tuple[str, frozenset[str]], Row], report: Report) -> bool:
    first = groups.setdefault((row["service"], frozenset(row["councils"])), row)
    if first is not row:
        name = first["partnership"] if first.ok("partnership") else "another row"
        report.error(row.at("councils"), f"this group is already listed for '{row['service']}' as "
                                         f"'{name}' ({first.at('councils')})")
        return False
    return True


def _allowed_together(row: Row, known: Checked, report: Report) -> bool:
    members = set(row["councils"])
    for rule in known.rules:
        if {rule.council_a, rule.council_b} <= members and rule.service in (None, row["service"]):
            report.error(row.at("councils"), f"'{rule.council_a}' and '{rule.council_b}' must never be "
                                             "together (see Rules); remove one or mark the group excluded")
            return False
    return True


def _has_figures(row: Row, known: Checked, report: Report) -> bool:
    size = len(_distinct(row["councils"]))
    if (row["service"], size) in known.sharing_sizes or not known.sharing_readable \
            or row["service"] in known.unsized_services:
        return True
    fine = True
    for name in ("annual_saving", "one_off_cost", "staff_reduction_fte"):
        if row.ok(name) and row[name] is None:
            label = row.table.sheet.column(name).message_label
            report.error(row.at(name), f"{label} is blank and Sharing has no row for '{row['service']}' with "
                                       f"{size} partners to take it from; give the figure or add that row")
            fine = False
    return fine


def _check_settings(table: Table, report: Report) -> Settings:
    values: dict[str, Any] = {}
    first_rows: dict[str, Row] = {}
    for row in table.rows:
        if not row.ok("setting"):
            continue
        name = match_name(row["setting"], list(schema.SETTINGS_BY_NAME))
        if name is None:
            near = closest(normalise(row["setting"]), schema.SETTINGS_BY_NAME)
            hint = f"did you mean '{near}'?" if near else f"the settings are {', '.join(schema.SETTINGS_BY_NAME)}"
            report.error(row.at("setting"), f"unknown setting '{row['setting']}'; {hint}")
            continue
        first = first_rows.setdefault(name, row)
        if first is not row:
            report.error(row.at("setting"), f"setting '{name}' is given twice (also {first.at('setting')}); "
                                            "keep one")
            continue
        if "value" in table.present:  # no value column: every setting listed takes its default
            try:
                values[name] = parse_cell(schema.SETTINGS_BY_NAME[name], row.raw["value"])
            except Invalid as problem:
                report.error(row.at("value"), str(problem))
    _check_borrowing(values, first_rows, report)
    return Settings(**{name: value for name, value in values.items() if value is not None})


# Borrowing is a rate over a term: either alone cannot give the repayments (SPEC section 2's G).
BORROWING_PAIR = (
    ("borrowing_rate", "borrowing_years", "a borrowing rate needs its term: set borrowing_years, the whole number "
                                          "of years over which one-off costs are repaid, or clear the rate"),
    ("borrowing_years", "borrowing_rate", "a borrowing term needs its rate: set borrowing_rate (0 for an "
                                          "interest-free loan), or clear the term"),
)


def _check_borrowing(values: dict[str, Any], rows: dict[str, Row], report: Report) -> None:
    for given, needed, message in BORROWING_PAIR:
        unreadable = needed in rows and needed not in values  # already reported at its own cell
        if values.get(given) is not None and values.get(needed) is None and not unreadable:
            report.error(rows[given].at("value"), message)


def _check_scenarios(table: Table, settings: Settings, sharing: list[SharingTerms], report: Report) -> list[Scenario]:
    scenarios, seen, files = [], {}, {}
    for row in table.rows:
        changes = tuple((name, row[name]) for name in schema.SCENARIO_CHANGES if row.ok(name) and row[name] is not None)
        unreadable = any(not row.ok(name) for name in schema.SCENARIO_CHANGES if name in table.present)
        conflicts = scenario_conflicts(dict(changes), settings, sharing)
        for column, message in conflicts:
            report.error(row.at(column), message)
        if _unique(row, "scenario", seen, report) and _own_file(row, files, report) and not (conflicts or unreadable):
            scenarios.append(Scenario(row["scenario"], changes, row.number))
    return scenarios


def plan_file_name(scenario: str) -> str:
    """A scenario's plan workbook: its name with the characters a file name cannot hold replaced by `_`."""
    return safe_in_file_name(scenario).strip(" .") or "_"


def _own_file(row: Row, files: dict[str, Row], report: Report) -> bool:
    """Two names can give one file name (`a/b`, `a_b`; `A`, `a` on Windows and macOS)."""
    first = files.setdefault(plan_file_name(row["scenario"]).lower(), row)
    if first is not row:
        report.error(row.at("scenario"), f"'{row['scenario']}' and '{first['scenario']}' ({first.at('scenario')}) "
                                         "would write the same plan file; rename one")
        return False
    return True


def scenario_conflicts(changes: dict[str, Any], settings: Settings,
                       sharing: Iterable[SharingTerms]) -> list[tuple[str, str]]:
    """(column, what is wrong) for changes that cannot stand together, or that would make the workbook,
    with them written in, one ``consolidate validate`` refuses."""
    found = []
    if changes.get("target_pct") is not None and changes.get("target_scale") is not None:
        found.append(("target_scale", "give the target as a share of the net budget (target_pct) or as a scale of "
                                      "the workbook's targets (target_scale), not both"))
    merged = settings.override(**{k: v for k, v in changes.items() if k in schema.SETTINGS_BY_NAME})
    for given, needed, message in BORROWING_PAIR:
        if getattr(merged, given) is not None and getattr(merged, needed) is None:
            found.append((given if given in changes else needed, message.replace("set ", "give this scenario ")))
    scale = changes.get("saving_scale")
    if scale is not None:
        over = [t for t in sharing if max(t.saving_pct, t.staff_pct) * scale > 1 + 1e-12]
        if over:
            worst = max(over, key=lambda t: max(t.saving_pct, t.staff_pct))
            found.append(("saving_scale", f"saving_scale {shown(scale)} takes {len(over)} Sharing row(s) above 100% "
                                          f"of the cost, e.g. '{worst.service}' with {worst.partners} partners to "
                                          f"{max(worst.saving_pct, worst.staff_pct) * scale:.0%}"))
    return found
