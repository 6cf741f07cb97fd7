"""Solving every scenario: shared work once, here; each scenario's solve and plan workbook on a worker.

The workbook is read once, and the candidate partnerships are found once for all the scenarios that
do not change them (``changes.candidates_key``). Each worker solves its scenario exactly as
``consolidate run`` would, with the solver on one thread, and renders its plan workbook: the parent
only gathers bytes and figures, so a Dask worker on another machine needs no shared folder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from optimizer.model.candidates import Candidates, enumerate_candidates
from optimizer.parallel import run_tasks
from optimizer.scenarios.changes import apply_changes, candidates_key
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.status import WITH_PLAN
from optimizer.workbook.inputs import Inputs, Scenario


@dataclass(frozen=True)
class Task:
    """One scenario, ready to solve anywhere: picklable, and needing nothing from this machine."""

    scenario: Scenario
    inputs: Inputs  # the workbook's, with the scenario's changes made
    candidates: Candidates  # found once for every scenario with the same candidates_key
    options: SolveOptions


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back: the plan's Summary, its partnerships, and its workbook's bytes."""

    scenario: Scenario
    summary: dict  # the plan's Summary rows (``Plan.summary``)
    partnerships: tuple[tuple[str, tuple[str, ...]], ...]  # (service, councils), for the Changes sheet
    plan_workbook: bytes
    seconds: float  # the whole task on its worker: the solve, and rendering the plan

    @property
    def has_plan(self) -> bool:
        return self.summary["status"] in WITH_PLAN


def solve_one(task: Task) -> Outcome:
    """Run on a worker: the scenario's plan, as `consolidate run` gives it, and its workbook."""
    from optimizer.pipeline import optimise
    from optimizer.report.workbook import render_plan

    began = time.perf_counter()
    plan = optimise(task.inputs, options=task.options, candidates=task.candidates)
    partnerships = tuple((p.service, p.councils) for p in plan.partnerships)
    workbook = render_plan(plan)
    return Outcome(task.scenario, plan.summary(), partnerships, workbook, time.perf_counter() - began)


def make_tasks(inputs: Inputs, scenarios: list[Scenario], overrides: dict,
               options: SolveOptions = DEFAULT) -> list[Task]:
    """A task per scenario; ``overrides`` (e.g. --time-limit) win over the workbook and the scenario."""
    options = replace(options, threads=1)  # workers side by side, each solver on its own core
    shared: dict[tuple, Candidates] = {}
    tasks = []
    for scenario in scenarios:
        changed = apply_changes(inputs, scenario.changed)
        changed = changed.with_settings(changed.settings.override(**overrides))
        key = candidates_key(scenario.changed)
        if key not in shared:
            shared[key] = enumerate_candidates(changed)
        tasks.append(Task(scenario, changed, shared[key], options))
    return tasks


def solve_scenarios(tasks: list[Task], *, workers: int | None = None, scheduler: str | None = None,
                    on_done: Callable[[int, Outcome, int, int], None] | None = None) -> list[Outcome]:
    return run_tasks(solve_one, tasks, workers=workers, scheduler=scheduler, on_done=on_done)
