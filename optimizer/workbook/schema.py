"""The input workbook of SPEC.md section 1, declared once.

Every sheet, column and setting is described here and nowhere else: the reader (``validate``) takes
types, ranges, defaults and required flags from it, the template (``template``) takes headers, units,
number formats, examples and the guide text from it. Change a column here and both follow.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from optimizer.solve.names import SOLVERS

Kind = Literal["text", "names", "money", "fraction", "number", "integer", "yesno", "choice", "any"]

# A unit in the header that is also the last word of the canonical name: `Max distance (km)` is
# `max_distance_km`, `Saving (%)` is `saving_pct`. Other units (`£`, `degrees`) are simply dropped.
UNIT_SUFFIXES = {"%": "pct", "km": "km", "fte": "fte", "s": "s", "years": "years"}

_UNIT = re.compile(r"^(?P<base>.*?)\s*\((?P<unit>[^()]*)\)$")
_SEPARATORS = re.compile(r"[\s_\-]+")
_SPACES = re.compile(r"\s+")


# No figure in a council workbook comes near a trillion (all UK public spending is about £1.2
# trillion a year): beyond it a value is a slip (wrong units, stray digits). It must be refused,
# not solved: a solver's tolerances are fixed (about 1e-6), so figures of 1e300 beside fractions
# break its arithmetic (the property tests made HiGHS fail on an annual cost of 1e300).
PLAUSIBLE_LIMIT = 1e12


@dataclass(frozen=True)
class Field:
    """One input field: a column of a sheet, or one setting of ``Settings`` (its name, type, range, default)."""

    name: str  # canonical name, as in SPEC.md
    kind: Kind
    label: str  # header text without the unit
    description: str
    unit: str = ""  # shown in brackets after the label
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # the minimum itself is not allowed
    below_maximum: bool = False  # the maximum itself is not allowed
    choices: tuple[str, ...] = ()
    example: Any = None
    number_format: str | None = None  # overrides the kind's format in the template
    default_text: str = ""  # how the guide states the default when it is not a plain value
    # Validation only: a value beyond this is a slip (wrong units, a stray digit) and would wreck the
    # solver's arithmetic; None takes PLAUSIBLE_LIMIT.
    largest: float | None = None
    unread: bool = False  # validation only: written for people (e.g. a description), never checked or used
    subject: str = ""  # how messages name the column when its label is not a noun (an objective's score)

    @property
    def header(self) -> str:
        if not self.unit or self.unit == self.label:
            return self.label
        return f"{self.label} ({self.unit})"

    @property
    def message_label(self) -> str:
        """The column as named in problem messages: `annual cost`, `FTE`."""
        if self.subject:
            return self.subject
        label = self.label
        return label if label[:2].isupper() else label[0].lower() + label[1:]

    @property
    def expectation(self) -> str:
        """What a valid value is, in words: `a number of pounds ≥ 0`."""
        if self.kind == "yesno":
            return "yes or no"
        if self.kind == "choice":
            quoted = [f"'{c}'" for c in self.choices]
            return " or ".join(quoted) if len(quoted) <= 2 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        if self.kind in ("text", "names", "any"):
            return "text"
        noun = {
            "money": "a number of pounds",
            "fraction": "a fraction",
            "number": "a number",
            "integer": "a whole number",
        }[self.kind]
        return f"{noun} {self.range_text}".rstrip()

    @property
    def range_text(self) -> str:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            if not self.above_minimum and not self.below_maximum:
                return f"between {format_number(low)} and {format_number(high)}"
            if self.above_minimum and not self.below_maximum:
                return f"above {format_number(low)} and at most {format_number(high)}"
            return f"from {format_number(low)} up to but not including {format_number(high)}"
        if low is not None:
            return f"{'>' if self.above_minimum else '≥'} {format_number(low)}"
        if high is not None:
            return f"{'<' if self.below_maximum else '≤'} {format_number(high)}"
        return ""

    @property
    def plausible_limit(self) -> float:
        return PLAUSIBLE_LIMIT if self.largest is None else self.largest

    def in_range(self, value: float) -> bool:
        low, high = self.minimum, self.maximum
        if low is not None and (value < low or (self.above_minimum and value == low)):
            return False
        if high is not None and (value > high or (self.below_maximum and value == high)):
            return False
        return True

    @property
    def type_text(self) -> str:
        """The type column of the guide: `£ ≥ 0`, `fraction between 0 and 1`, `yes/no`."""
        if self.kind == "money":
            return f"£ {self.range_text}".rstrip()
        if self.kind == "yesno":
            return "yes/no"
        if self.kind == "choice":
            return " / ".join(self.choices)
        if self.kind == "names":
            return "council names separated by ;"
        if self.kind == "any":
            return "depends on the setting"
        if self.kind == "text":
            return "text"
        if self.kind == "number" and self.unit:
            return f"{self.unit} {self.range_text}".rstrip()
        words = {"fraction": "fraction or %", "number": "number", "integer": "whole number"}[self.kind]
        return f"{words} {self.range_text}".rstrip()

    @property
    def default_description(self) -> str:
        if self.default_text:
            return self.default_text
        if self.required:
            return "—"
        if self.default is None:
            return "blank = none"
        if isinstance(self.default, bool):
            return "yes" if self.default else "no"
        return format_number(self.default) if isinstance(self.default, (int, float)) else str(self.default)

    @property
    def format(self) -> str:
        """Excel number format for the template."""
        if self.number_format:
            return self.number_format
        if self.kind == "money":
            return "£#,##0"
        if self.kind == "fraction":
            return "0.0%"
        if self.kind == "integer":
            return "0"
        if self.kind == "number" and self.unit in ("FTE", "km"):
            return "0.0"
        return "General"


@dataclass(frozen=True)
class Sheet:
    name: str
    purpose: str
    columns: tuple[Field, ...]
    optional: bool = False
    # Rows after the example row the columns give: partnerships and rules need several councils.
    more_examples: tuple[dict[str, Any], ...] = ()
    # Every column means something (a scenario's change): one not known is an error, not an ignored note.
    strict: bool = False

    def column(self, name: str) -> Field:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def example_rows(self) -> list[dict[str, Any]]:
        return [{c.name: c.example for c in self.columns}, *self.more_examples]


def format_number(value: float) -> str:
    """12.0 -> '12', 0.0001 -> '0.0001', 1200000 -> '1200000' (no exponent, no float noise)."""
    if isinstance(value, bool):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0")


def money(name, label, description, **kw) -> Field:
    return Field(name, "money", label, description, unit="£", **kw)


def fraction(name, label, description, **kw) -> Field:
    kw.setdefault("minimum", 0.0)
    kw.setdefault("maximum", 1.0)
    return Field(name, "fraction", label, description, unit="%", **kw)


def yesno(name, label, description, default: bool, example: bool) -> Field:
    return Field(name, "yesno", label, description, unit="yes/no", default=default, example=example)


def text(name, label, description, **kw) -> Field:
    return Field(name, "text", label, description, **kw)


NORTH, SOUTH, EAST = "Northshire", "Southshire", "Eastshire"
REVS = "Revenues & Benefits"

COUNCILS = Sheet(
    "Councils",
    "One row per council (or other public body) taking part.",
    (
        text("council", "Council", "The council's name, used everywhere else in the workbook.",
             required=True, example=NORTH),
        money("net_budget", "Net budget", "Net revenue budget.", required=True, minimum=0.0,
              above_minimum=True, example=250_000_000),
        money("savings_target", "Savings target", "Annual savings this council must find.",
              minimum=0.0, example=5_000_000, default_text="blank = no target"),
        fraction("savings_target_pct", "Savings target",
                 "Target as a share of the net budget; give this or the £ target, not both.",
                 default_text="blank = no target"),
        Field("latitude", "number", "Latitude", "Where the council is; needed when a service has a distance limit.",
               unit="degrees", minimum=-90.0, maximum=90.0, example=52.71),
        Field("longitude", "number", "Longitude", "Where the council is (west of Greenwich is negative).",
               unit="degrees", minimum=-180.0, maximum=180.0, example=-2.75),
        fraction("max_staff_reduction_pct", "Max staff reduction",
                 "Cap on staff (FTE) removed, as a share of the council's FTE in Services.",
                 example=0.1, default_text="blank = no cap"),
        Field("max_shared_services", "integer", "Max shared services",
               "How many of its services may go into partnerships.", minimum=0, example=5,
               default_text="blank = no cap"),
        Field("max_partners", "integer", "Max partners", "How many different bodies it may share services "
               "with, over all its partnerships together (a few alliances, not a patchwork).", minimum=1,
               example=3, default_text="blank = no cap"),
        text("body_type", "Body type", "What kind of body this is: council, police, fire, health, ...",
             default="council", example="council"),
    ),
    more_examples=(
        {"council": SOUTH, "net_budget": 180_000_000, "savings_target_pct": 0.02,
         "latitude": 52.42, "longitude": -2.31},
        {"council": EAST, "net_budget": 120_000_000, "latitude": 52.58, "longitude": -1.98},
    ),
)

SERVICES = Sheet(
    "Services",
    "One row per service a council delivers.",
    (
        text("council", "Council", "A name from Councils.", required=True, example=NORTH),
        text("service", "Service", "Service line, e.g. Revenues & Benefits; one row per council and service.",
             required=True, example=REVS),
        money("annual_cost", "Annual cost", "What the council spends on it a year.", required=True,
              minimum=0.0, example=3_200_000),
        Field("fte", "number", "FTE", "Staff in full-time equivalents.", unit="FTE", minimum=0.0,
               default=0.0, example=65),
        yesno("statutory", "Statutory", "A legal duty: may be shared or made more efficient, never stopped.",
              default=False, example=True),
        yesno("protected", "Protected", "Ring-fenced (e.g. adult social care, schools): never reduced.",
              default=False, example=False),
        yesno("shareable", "Shareable", "No = this council will not share this service.",
              default=True, example=True),
    ),
    more_examples=(
        {"council": SOUTH, "service": REVS, "annual_cost": 2_100_000, "fte": 42, "statutory": True,
         "protected": False, "shareable": True},
        {"council": EAST, "service": REVS, "annual_cost": 1_600_000, "fte": 30, "statutory": True,
         "protected": False, "shareable": True},
    ),
)

SHARING = Sheet(
    "Sharing",
    "The savings curve: one row per service and partnership size. "
    "A service with no rows cannot be shared; a size with no row cannot be formed.",
    (
        text("service", "Service", "A service named in Services.", required=True, example=REVS),
        Field("partners", "integer", "Partners", "Number of councils in the partnership.", unit="councils",
               required=True, minimum=2, example=2),
        fraction("saving_pct", "Saving", "Annual saving as a share of each member's annual cost.",
                 required=True, example=0.12),
        fraction("one_off_pct", "One-off",
                 "One-off cost (set-up, redundancy, IT) as a share of each member's annual cost.",
                 maximum=None, default=0.0, example=0.25),
        fraction("staff_reduction_pct", "Staff reduction", "Share of each member's FTE that goes.",
                 example=0.15, default_text="blank = same as saving"),
        Field("max_distance_km", "number", "Max distance",
               "Every pair of members must be at most this far apart.", unit="km", minimum=0.0,
               above_minimum=True, example=60, default_text="blank = no limit"),
        Field("body_types", "names", "Body types", "Only bodies of these types may be members, e.g. "
               "council; fire.", unit="separated by ;", example="council", default_text="blank = any"),
    ),
)

REDUCTIONS = Sheet(
    "Reductions",
    "Ways to spend less on a service itself, the last resort. "
    "Several rows for one council and service are alternative levels.",
    (
        text("council", "Council", "With the service: a row of Services.", required=True, example=NORTH),
        text("service", "Service", "With the council: a row of Services.", required=True, example=REVS),
        fraction("reduction_pct", "Reduction", "Share of the annual cost no longer spent; 100% = stop the service.",
                 required=True, above_minimum=True, example=0.05),
        Field("impact", "number", "Impact", "Harm to residents, in the council's own scoring; not required "
               "(blank = 0) when Objectives lists objectives, whose weighted scores add to it.", unit="score",
               required=True, minimum=0.0, example=2),
        money("one_off_cost", "One-off cost", "One-off cost, e.g. redundancy.", minimum=0.0, default=0.0,
              example=40_000),
    ),
    optional=True,
)

OBJECTIVES = Sheet(
    "Objectives",
    "What the council protects when it must cut (priority-based budgeting). Reductions has one column "
    "per objective, headed by its name, holding the reduction's harm to it.",
    (
        text("objective", "Objective", "A unique name, also the header of its column in Reductions.",
             required=True, example="Protecting the vulnerable"),
        Field("weight", "number", "Weight", "How much one point of harm to this objective counts in impact.",
               required=True, minimum=0.0, example=3),
        text("description", "Description", "What the objective means (not read).", unread=True),
    ),
    optional=True,
    more_examples=({"objective": "Prosperity", "weight": 2}, {"objective": "Jobs", "weight": 1}),
)

# The template's Reductions example scores each objective of the Objectives example, so that the
# template, filled as shown, is a consistent workbook (its impact: 2 + 3 x 0 + 2 x 1 + 1 x 2 = 6).
OBJECTIVE_SCORE_EXAMPLES = {"Protecting the vulnerable": 0, "Prosperity": 1, "Jobs": 2}

# How the Guide describes the columns that Objectives adds to Reductions (one per objective).
OBJECTIVE_SCORES = Field("(objective name)", "number", "(one column per objective)", "With an Objectives "
                         "sheet: the reduction's harm to that objective, in a column headed by its name.",
                         minimum=0.0, default=0.0)


def objective_column(objective: str) -> Field:
    """The Reductions column of one objective, headed by its name: the reduction's harm to it."""
    return Field(normalise(objective), "number", objective, f"Harm to the objective '{objective}'.",
                 minimum=0.0, default=0.0, example=OBJECTIVE_SCORE_EXAMPLES.get(objective),
                 subject=f"the score for '{objective}'")


def reductions_sheet(objectives: Sequence[str] | None) -> Sheet:
    """Reductions as read beside the objectives an Objectives sheet lists (None: no such sheet).

    With objectives, the impact column is optional (blank = 0) and each objective adds its column,
    after impact. An objective named like a column of Reductions' own adds none (an input error)."""
    if objectives is None:
        return REDUCTIONS
    own = REDUCTIONS.column_names
    impact = replace(REDUCTIONS.column("impact"), required=False, default=0.0)
    added: dict[str, Field] = {}
    for column in map(objective_column, objectives):
        if column.name not in own:
            added.setdefault(column.name, column)  # a name given twice (an input error): the first spelling
    columns = []
    for column in REDUCTIONS.columns:
        columns.append(impact if column.name == "impact" else column)
        if column.name == "impact":
            columns.extend(added.values())
    return replace(REDUCTIONS, columns=tuple(columns))

PARTNERSHIPS = Sheet(
    "Partnerships",
    "Named candidate groups and decisions already taken.",
    (
        text("partnership", "Partnership", "A unique name for the group.", required=True,
             example="North-South Revenues & Benefits"),
        text("service", "Service", "The service the group would share.", required=True, example=REVS),
        Field("councils", "names", "Councils", "At least two council names.", unit="separated by ;",
               required=True, example=f"{NORTH}; {SOUTH}"),
        Field("status", "choice", "Status",
               "candidate: may be chosen even if the distance or size rules would not form it; "
               "required: must be in the plan; excluded: must not.",
               required=True, choices=("candidate", "required", "excluded"), example="candidate"),
        money("annual_saving", "Annual saving", "Annual saving of this exact group, shared in proportion "
              "to annual cost.", minimum=0.0, example=650_000, default_text="blank = from Sharing"),
        money("one_off_cost", "One-off cost", "One-off cost of this exact group.", minimum=0.0,
              default_text="blank = from Sharing"),
        Field("staff_reduction_fte", "number", "Staff reduction", "FTE this exact group removes.", unit="FTE",
               minimum=0.0, default_text="blank = from Sharing"),
    ),
    optional=True,
)

RULES = Sheet(
    "Rules",
    "Constraints between councils.",
    (
        Field("rule", "choice", "Rule", "never_together: the two councils are never in one partnership.",
               required=True, choices=("never_together",), example="never_together"),
        text("council_a", "Council A", "A name from Councils.", required=True, example=NORTH),
        text("council_b", "Council B", "Another name from Councils.", required=True, example=EAST),
        text("service", "Service", "The service the rule is about.", example=REVS,
             default_text="blank = every service"),
    ),
    optional=True,
)

SETTINGS_LIST = (
    Field("targets", "choice", "Targets", "soft: a shortfall is allowed and minimised first; "
           "hard: every target must be met, else the run is infeasible.", choices=("soft", "hard"),
           default="soft"),
    Field("horizon_years", "number", "Horizon", "Years over which annual savings are counted against "
           "one-off costs.", unit="years", minimum=0.0, above_minimum=True, default=5.0,
           largest=1000.0),  # it multiplies every annual saving in the objective
    money("investment_budget", "Investment budget", "Cap on the total one-off cost of the plan.",
          minimum=0.0),
    Field("max_payback_years", "number", "Max payback", "A partnership or reduction whose one-off cost "
           "exceeds this many years of its annual saving is not allowed.", unit="years", minimum=0.0,
           above_minimum=True),
    fraction("discount_rate", "Discount rate", "Real annual rate at which later years count less "
             "(HM Treasury's Green Book uses 3.5%); 0 = none.", default=0.0),
    fraction("first_year_saving_share", "First-year saving share", "Share of the full annual saving realised in "
             "year 1 (set-up takes time); full from year 2.", default=1.0),
    fraction("borrowing_rate", "Borrowing rate", "One-off costs are borrowed (e.g. an invest-to-save bond or "
             "public works loan) at this annual rate and repaid in equal annual instalments.",
             default_text="blank = not borrowed"),
    # Labelled `Borrowing (years)`: the header must normalise to the setting's name, as every header does.
    Field("borrowing_years", "integer", "Borrowing", "The term of that borrowing; required with the "
           "borrowing rate.", unit="years", minimum=1, largest=100.0, default_text="blank = not borrowed",
           subject="borrowing term"),
    Field("time_limit_s", "number", "Time limit", "Wall-clock limit for the whole solve, all aims "
           "together, from finding the candidates on.", unit="s", minimum=0.0, above_minimum=True, default=60.0),
    Field("mip_gap", "fraction", "MIP gap", "Relative gap at which a plan counts as optimal.", minimum=0.0,
           maximum=1.0, below_maximum=True, default=0.0001, number_format="General"),
    Field("solver", "choice", "Solver", "The MIP solver: highs or cbc (bundled), or gurobi or scip where "
          "installed through PuLP.", choices=SOLVERS, default="highs"),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS_LIST}

SETTINGS = Sheet(
    "Settings",
    "Run settings; the command line overrides them. Leave a value blank for the default.",
    (
        text("setting", "Setting", "One of the settings listed here.", required=True),
        Field("value", "any", "Value", "Its value.", default_text="blank = the default"),
        text("description", "Description", "What the setting means (not read).", unread=True),
    ),
    optional=True,
)

def _scale(name, label, description) -> Field:
    return Field(name, "number", label, description, unit="x", minimum=0.0, above_minimum=True, largest=1000.0,
                 default_text="blank = 1")


# SPEC section 5: what a scenario may change beside the settings, each applied by optimizer.scenarios.
SCENARIO_FIGURES = (
    fraction("target_pct", "Target", "Every council's target becomes this share of its net budget.",
             example=0.03, default_text="blank = the workbook's targets"),
    _scale("target_scale", "Target scale", "Every council's target is multiplied by this (give this or the "
           "target share, not both)."),
    _scale("saving_scale", "Saving scale", "Every saving of Sharing and Partnerships is multiplied by this "
           "(optimism bias); a staff reduction left blank follows the saving."),
    _scale("one_off_scale", "One-off scale", "Every one-off cost (Sharing, Partnerships, Reductions) is "
           "multiplied by this."),
)

# A scenario's own column per setting: the setting's type and range, blank = the workbook's value.
# `Discount rate (%)` would stand for discount_rate_pct: a rate's header carries no unit.
SCENARIO_SETTINGS = tuple(replace(s, default=None, example=None, default_text="blank = the workbook's",
                                  unit="" if s.kind == "fraction" else s.unit) for s in SETTINGS_LIST)

SCENARIOS = Sheet(
    "Scenarios",
    "Variants of this workbook for `consolidate scenarios`: one row per scenario, a column per setting or "
    "figure it changes; blank = the workbook's own value. Every other column is an error, not a note.",
    (
        text("scenario", "Scenario", "A unique name; its plan workbook is named after it.", required=True,
             example="Target 3%"),
        *SCENARIO_FIGURES,
        *SCENARIO_SETTINGS,
        text("description", "Description", "What the scenario asks (not read).", unread=True),
    ),
    optional=True,
    strict=True,
    more_examples=({"scenario": "Optimism bias 20%", "saving_scale": 0.8},),
)
SCENARIO_CHANGES = tuple(c.name for c in SCENARIOS.columns if c.name not in ("scenario", "description"))

SHEETS: tuple[Sheet, ...] = (COUNCILS, SERVICES, SHARING, REDUCTIONS, OBJECTIVES, PARTNERSHIPS, RULES, SETTINGS,
                             SCENARIOS)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
# Sheets the template writes that the reader skips without a warning.
AUXILIARY_SHEETS = ("Guide", "Sources")


def _split_unit(text: str) -> tuple[str, str]:
    text = _SPACES.sub(" ", str(text).replace("\u00a0", " ")).strip().lower()
    match = _UNIT.match(text)
    if match and match["base"]:
        return match["base"], match["unit"].strip()
    return text, ""


def _key(text: str) -> str:
    return _SEPARATORS.sub("_", text.replace("%", " pct ")).strip("_")


def normalise(text: object) -> str:
    """The canonical name a header (or sheet or setting name) stands for.

    SPEC's rule: case, surrounding spaces, spaces vs underscores (and hyphens) and a trailing unit in
    brackets are ignored: `  Annual cost (£) ` -> `annual_cost`. A unit that is also the end of a
    canonical name supplies it: `Saving (%)` -> `saving_pct`, `Max distance (km)` -> `max_distance_km`.
    """
    return name_keys(text)[0]


def name_keys(text: object) -> tuple[str, ...]:
    """Canonical names a header may stand for, best first: `Saving (%)` -> (`saving_pct`, `saving`).

    The second, unit simply dropped, is SPEC's literal rule; ``match_name`` falls back to it."""
    base, unit = _split_unit(str(text))
    plain = _key(base)
    suffix = UNIT_SUFFIXES.get(unit)
    if suffix and not plain.endswith(f"_{suffix}") and plain != suffix:
        return (f"{plain}_{suffix}", plain)
    return (plain,)


def match_name(text: object, names: tuple[str, ...] | list[str]) -> str | None:
    """The canonical name among ``names`` that a header (or sheet or setting name) stands for."""
    for key in name_keys(text):
        if key in names:
            return key
    return None


def closest(text: str, candidates, *, cutoff: float = 0.6) -> str | None:
    """The candidate most like ``text`` (case-insensitive), for `did you mean` hints."""
    found = closest_few(text, candidates, 1, cutoff=cutoff)
    return found[0] if found else None


def closest_few(text: str, candidates, n: int, *, cutoff: float = 0.6) -> list[str]:
    """The ``n`` candidates most like ``text`` (case-insensitive), most alike first."""
    lowered = {c.lower(): c for c in reversed(list(candidates))}
    return [lowered[c] for c in difflib.get_close_matches(str(text).lower(), list(lowered), n=n, cutoff=cutoff)]
