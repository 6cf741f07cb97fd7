"""Why a run is infeasible, in terms a finance officer can act on.

"Infeasible" alone is useless. Two causes are possible (SPEC.md section 4): required partnerships
that cannot all hold, or hard targets that cannot all be met. Clashes between required
partnerships and the caps are found by arithmetic and named. For hard targets, each council's
target is set beside the most it could save under every other constraint (solved, one council at a
time), and, when every target is reachable alone but not all together, beside what it saves in the
plan with the least total shortfall.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from optimizer.model.build import Aim, build_model
from optimizer.model.candidates import Candidates
from optimizer.plan import MET, Diagnosis, make_plan
from optimizer.solve.aim import judge
from optimizer.solve.backends import backend_for
from optimizer.solve.driver import solve_model
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.status import WITH_PLAN
from optimizer.tolerances import FLOAT_NOISE
from optimizer.workbook.inputs import Inputs

DIAGNOSIS_SHARE = 0.5  # of the run's time limit, for the diagnosis solves together


def _money(x: float) -> str:
    return f"£{x:,.0f}"


def required_clashes(inputs: Inputs, candidates: Candidates) -> list[Diagnosis]:
    """Required partnerships that overlap each other or break a cap, found without a solver."""
    required = [g for g in candidates.partnerships if g.required]
    findings: list[Diagnosis] = []
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    shared: dict[str, set[str]] = defaultdict(set)
    staff: dict[str, float] = defaultdict(float)
    for group in required:
        for council, fte in zip(group.members, group.staff):
            holders[(council, group.service)].append(group.label)
            shared[council].add(group.service)
            staff[council] += fte
    for (council, service), labels in holders.items():
        if len(labels) > 1:
            findings.append(Diagnosis(
                f"{council}: {service}",
                f"is in {len(labels)} required partnerships ({'; '.join(labels)}); a service can be in only one",
            ))
    for council in inputs.councils:
        cap = council.max_shared_services
        if cap is not None and len(shared[council.name]) > cap:
            findings.append(Diagnosis(
                council.name,
                f"required partnerships share {len(shared[council.name])} of its services "
                f"({', '.join(sorted(shared[council.name]))}); its max_shared_services is {cap}",
            ))
        if council.max_staff_reduction_pct is not None:
            cap_fte = council.max_staff_reduction_pct * inputs.council_fte[council.name]
            if staff[council.name] > cap_fte + FLOAT_NOISE:
                findings.append(Diagnosis(
                    council.name,
                    f"required partnerships remove {staff[council.name]:,.1f} FTE; its staff cap "
                    f"({council.max_staff_reduction_pct:.1%} of {inputs.council_fte[council.name]:,.1f} FTE) "
                    f"is {cap_fte:,.1f} FTE",
                ))
    budget = inputs.settings.investment_budget
    one_off = math.fsum(g.one_off_cost for g in required)
    if budget is not None and one_off > budget:
        findings.append(Diagnosis(
            "investment budget",
            f"required partnerships cost {_money(one_off)} once; the investment budget is {_money(budget)}",
        ))
    return findings


def _most_each_council_can_save(inputs: Inputs, candidates: Candidates, seconds: float) -> dict[str, tuple[float, bool]]:
    """Council -> (the most it can save a year under every constraint but the targets, proven?).

    One model without targets; each council's saving is maximised in turn. A solve stopped by the
    time limit reports its proven bound: the council can save at most that.
    """
    relaxed = replace(inputs, councils=tuple(replace(c, target=None) for c in inputs.councils))
    model = build_model(relaxed.with_settings(replace(inputs.settings, targets="soft")), candidates)
    solve = backend_for(inputs.settings.solver)
    m = model.members
    targeted = [k for k, c in enumerate(inputs.councils) if c.target]
    results: dict[str, tuple[float, bool]] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="consolidate-diagnose-") as folder:
        for n, k in enumerate(targeted):
            name, mine = inputs.councils[k].name, model.entries_of[k]
            if not len(mine):
                results[name] = (0.0, True)
                continue
            aim = Aim("saving", np.bincount(m.col[mine], weights=-m.saving[mine], minlength=model.n_cols), sign=-1)
            share = max(0.5, (seconds - (time.perf_counter() - began)) / (len(targeted) - n))
            outcome = solve(model.matrix, aim.cost, limit=share, gap=inputs.settings.mip_gap, tie=aim.tie,
                            log=Path(folder) / "solver.log")
            stage = judge(aim, outcome, None, time.perf_counter(), inputs.settings.mip_gap)
            if stage.has_plan:
                results[name] = (stage.value if stage.bound is None else stage.bound, stage.gap == 0)
    return results


def _least_shortfall(inputs: Inputs, candidates: Candidates, seconds: float,
                     options: SolveOptions) -> dict[str, float] | None:
    """Council -> saving in the plan with the least total shortfall (targets made soft)."""
    soft = inputs.with_settings(replace(inputs.settings, targets="soft", time_limit_s=max(1.0, seconds)))
    model = build_model(soft, candidates, options.pool_from_groups)
    model.aims = model.aims[:1]
    solution = solve_model(model, options=options)
    if solution.status not in WITH_PLAN:
        return None
    return {line.council: line.total_saving for line in make_plan(inputs, candidates, solution).councils}


def target_findings(inputs: Inputs, candidates: Candidates, options: SolveOptions = DEFAULT) -> list[Diagnosis]:
    budget = inputs.settings.time_limit_s * DIAGNOSIS_SHARE
    most = _most_each_council_can_save(inputs, candidates, budget / 2)
    findings = []
    for council in (c for c in inputs.councils if c.target):
        best, proven = most.get(council.name, (None, False))
        if best is not None and best + MET < council.target:
            qualifier = "" if proven else "at most "
            findings.append(Diagnosis(
                council.name,
                f"target {_money(council.target)} a year; the most it can save under the constraints is "
                f"{qualifier}{_money(best)}, {_money(council.target - best)} short",
                council.target,
                best,
            ))
    if findings or not inputs.settings.targets == "hard":
        return findings
    together = _least_shortfall(inputs, candidates, budget / 2, options)
    for council in (c for c in inputs.councils if c.target):
        saved = (together or {}).get(council.name, 0.0)
        if together is not None and saved + MET < council.target:
            findings.append(Diagnosis(
                council.name,
                f"target {_money(council.target)} is reachable alone, but not together with the others' targets: "
                f"the plan with the least total shortfall saves it {_money(saved)}",
                council.target,
                saved,
            ))
    return findings or [Diagnosis("plan", "no plan meets every hard target and required partnership together")]


def diagnose(inputs: Inputs, candidates: Candidates, options: SolveOptions = DEFAULT) -> tuple[Diagnosis, ...]:
    clashes = required_clashes(inputs, candidates)
    if clashes:
        return tuple(clashes)
    return tuple(target_findings(inputs, candidates, options))
