"""A scenario's changes made to the inputs (SPEC.md section 5): the workbook as if they were written into it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from optimizer.workbook.inputs import Inputs
from optimizer.workbook.schema import SETTINGS_BY_NAME

# The candidates (optimizer.model.candidates) read these and nothing else a scenario changes: a
# scenario without them shares the workbook's candidates.
CHANGES_CANDIDATES = ("saving_scale", "one_off_scale", "max_payback_years")


def candidates_key(changes: Mapping[str, Any]) -> tuple:
    """Scenarios with the same key have the same candidate partnerships and reductions."""
    return tuple((name, changes[name]) for name in CHANGES_CANDIDATES if changes.get(name) is not None)


def _times(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def apply_changes(inputs: Inputs, changes: Mapping[str, Any]) -> Inputs:
    """``inputs`` with ``changes`` made: settings by name, and the four figures of SPEC section 5."""
    changes = {name: value for name, value in changes.items() if value is not None}
    settings = inputs.settings.override(**{k: v for k, v in changes.items() if k in SETTINGS_BY_NAME})
    councils, sharing = inputs.councils, inputs.sharing
    partnerships, reductions = inputs.partnerships, inputs.reductions
    if "target_pct" in changes:  # every council, also one without a target of its own
        councils = tuple(replace(c, target=changes["target_pct"] * c.net_budget) for c in councils)
    if "target_scale" in changes:
        councils = tuple(replace(c, target=_times(c.target, changes["target_scale"])) for c in councils)
    if "saving_scale" in changes:  # a blank staff_reduction_pct follows saving_pct: it stays blank
        scale = changes["saving_scale"]
        sharing = tuple(replace(t, saving_pct=t.saving_pct * scale) for t in sharing)
        partnerships = tuple(replace(p, annual_saving=_times(p.annual_saving, scale)) for p in partnerships)
    if "one_off_scale" in changes:
        scale = changes["one_off_scale"]
        sharing = tuple(replace(t, one_off_pct=t.one_off_pct * scale) for t in sharing)
        partnerships = tuple(replace(p, one_off_cost=_times(p.one_off_cost, scale)) for p in partnerships)
        reductions = tuple(replace(r, one_off_cost=r.one_off_cost * scale) for r in reductions)
    return replace(inputs, councils=councils, sharing=sharing, partnerships=partnerships, reductions=reductions,
                   settings=settings, scenarios=())
