"""``--sweep NAME=FROM:TO:STEP``: scenarios stepping one or more figures, every combination of them."""

from __future__ import annotations

import itertools
import math
import re

from optimizer.workbook.cells import Invalid, parse_cell
from optimizer.workbook.inputs import InputError, Inputs, Problem, Scenario
from optimizer.workbook.rules import scenario_conflicts
from optimizer.workbook.schema import SCENARIO_CHANGES, SCENARIOS, closest, format_number

MOST_SCENARIOS = 10_000  # more is a slip (a step of 0.0001 for 0.001); a sweep that size is many runs
_SWEEP = re.compile(r"^\s*(?P<name>[^=]+?)\s*=\s*(?P<start>[^:]+):(?P<stop>[^:]+):(?P<step>[^:]+)\s*$")
SWEPT = tuple(n for n in SCENARIO_CHANGES if SCENARIOS.column(n).kind in ("number", "fraction", "integer", "money"))


def steps(start: float, stop: float, step: float) -> list[float]:
    """start, start + step, ... up to stop inclusive; 0.01:0.05:0.005 gives 0.035, not 0.035000000000000003."""
    count = math.floor((stop - start) / step * (1 + 1e-12) + 1e-9) + 1
    return [float(format_number(round(start + k * step, 12))) for k in range(count)]


def _parse_one(text: str) -> tuple[str, list] | Problem:
    where = f"--sweep {text}"
    found = _SWEEP.match(text)
    if not found:
        return Problem(where, "expected NAME=FROM:TO:STEP, e.g. target_pct=0.01:0.05:0.005")
    name = found["name"]
    if name not in SWEPT:
        near = closest(name, SWEPT)
        return Problem(where, f"cannot sweep '{name}'; " + (f"did you mean '{near}'?" if near else
                              f"a sweep steps one of {', '.join(SWEPT)}"))
    try:
        start, stop, step = (float(found[k]) for k in ("start", "stop", "step"))
    except ValueError:
        return Problem(where, "FROM, TO and STEP must be numbers")
    if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
        return Problem(where, "needs FROM ≤ TO and a STEP > 0")
    if (stop - start) / step >= MOST_SCENARIOS:
        return Problem(where, f"gives more than {MOST_SCENARIOS:,} scenarios; take a larger step")
    column = SCENARIOS.column(name)
    values = []
    for value in steps(start, stop, step):
        try:
            values.append(parse_cell(column, value))
        except Invalid as problem:
            return Problem(where, f"{format_number(value)}: {problem}")
    return name, values


def sweep_scenarios(texts: list[str], inputs: Inputs) -> list[Scenario]:
    """Every combination of the sweeps' values, named like `target_pct=0.02`; InputError lists every problem."""
    parsed = [_parse_one(text) for text in texts]
    problems = [p for p in parsed if isinstance(p, Problem)]
    sweeps = [p for p in parsed if not isinstance(p, Problem)]
    names = [name for name, _ in sweeps]
    problems += [Problem("--sweep", f"'{n}' is swept twice") for n in dict.fromkeys(names) if names.count(n) > 1]
    if not problems and math.prod(len(v) for _, v in sweeps) > MOST_SCENARIOS:
        problems.append(Problem("--sweep", f"the sweeps give more than {MOST_SCENARIOS:,} scenarios together"))
    if problems:
        raise InputError(problems)
    scenarios = []
    for values in itertools.product(*(v for _, v in sweeps)):
        changes = tuple(zip(names, values))
        for column, message in scenario_conflicts(dict(changes), inputs.settings, inputs.sharing):
            problems.append(Problem(f"--sweep {column}", message))
        name = ", ".join(f"{n}={format_number(v)}" for n, v in changes)
        scenarios.append(Scenario(name, changes))
    if problems:
        raise InputError(list(dict.fromkeys(problems)))  # one message per conflict, however many combinations
    return scenarios
