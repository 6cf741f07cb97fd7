"""The one-way flow: validated inputs -> candidate partnerships -> model -> solution -> plan."""

from __future__ import annotations

import time
from collections.abc import Callable

from optimizer import progress as words
from optimizer.model.build import build_model
from optimizer.model.candidates import Candidates, enumerate_candidates
from optimizer.plan import Plan, make_plan
from optimizer.solve.diagnose import diagnose
from optimizer.solve.driver import ProgramSink, solve_model
from optimizer.solve.options import DEFAULT, SolveOptions
from optimizer.solve.results import Solution
from optimizer.status import RunStatus
from optimizer.workbook.inputs import Inputs

Progress = Callable[[str], None]


def _silent(_: str) -> None:
    pass


def _without_choices(inputs: Inputs) -> Solution:
    """Nothing can be shared or reduced: the empty plan, unless hard targets need savings."""
    stuck = inputs.settings.targets == "hard" and any(c.target for c in inputs.councils)
    return Solution(RunStatus.INFEASIBLE if stuck else RunStatus.OPTIMAL, inputs.settings.solver)


def optimise(inputs: Inputs, progress: Progress = _silent, options: SolveOptions = DEFAULT,
             on_program: ProgramSink | None = None, candidates: Candidates | None = None) -> Plan:
    """``on_program`` is handed the model and each aim's program as solved (``--write-model``).
    ``candidates``: those of ``inputs``, when found already (scenarios that do not change them share them)."""
    began = time.perf_counter()
    candidates = enumerate_candidates(inputs) if candidates is None else candidates
    progress(words.candidates(len(candidates.partnerships), len(candidates.reductions), time.perf_counter() - began))
    if not candidates.partnerships and not candidates.reductions:
        solution = _without_choices(inputs)
    else:
        model = build_model(inputs, candidates, options.pool_from_groups)
        progress(words.model(model.matrix.n_cols, model.matrix.n_rows, time.perf_counter() - began))
        solution = solve_model(model, options=options, progress=progress, began=began,
                               on_program=on_program)
    diagnosis = ()
    if solution.status == RunStatus.INFEASIBLE:
        progress(words.working_out_why())
        diagnosis = diagnose(inputs, candidates, options)
    return make_plan(inputs, candidates, solution, diagnosis=diagnosis)
