"""The run's status words, and their translations, in one place.

Three vocabularies: why a solver stopped (``Termination``), what one aim's solve proved
(``Termination`` plus ``NOT_RUN``), and what a run holds (``RunStatus``, the word the plan
workbook and the JSON summary print). Each is translated here only: a solver's stop into the
run's status when it holds no plan, a run's status into the command's exit code and into the
Summary's colour. The words are plain strings, as printed.
"""

from __future__ import annotations


class Termination:
    """Why a solver call stopped (``Outcome.termination``), and an aim's (``StageResult.termination``)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    NOT_RUN = "not_run"  # an aim only: no time was left for it


class RunStatus:
    """What a run holds (``Solution.status``, ``Plan.status``)."""

    OPTIMAL = "optimal"  # every aim proven within the gap
    FEASIBLE = "feasible"  # a plan, not proven
    INFEASIBLE = "infeasible"  # no plan meets every hard requirement
    NO_SOLUTION = "no_solution"  # no plan found in the time


WITH_PLAN = (RunStatus.OPTIMAL, RunStatus.FEASIBLE)


def status_without_plan(termination: str) -> str:
    """The run's status when its last aim stopped this way holding no plan."""
    return RunStatus.INFEASIBLE if termination == Termination.INFEASIBLE else RunStatus.NO_SOLUTION


# exit codes of ``consolidate`` (SPEC.md section 4)
EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4
EXIT_FOR_STATUS = {RunStatus.OPTIMAL: EXIT_OK, RunStatus.FEASIBLE: EXIT_OK, RunStatus.INFEASIBLE: EXIT_INFEASIBLE,
                   RunStatus.NO_SOLUTION: EXIT_NO_PLAN}

# the Summary's status cell: green proven, amber not proven, red no plan
STATUS_FILL = {RunStatus.OPTIMAL: "#C6EFCE", RunStatus.FEASIBLE: "#FFEB9C", RunStatus.INFEASIBLE: "#FFC7CE",
               RunStatus.NO_SOLUTION: "#FFC7CE"}
