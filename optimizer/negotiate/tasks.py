"""Independent re-solves, run through one call of the executor's shape.

``run_tasks(fn, tasks, *, workers=None, scheduler=None, on_done=None) -> list`` is the executor the
scenarios command runs on (``optimizer.parallel``, on its own branch). Until it is merged here the
tasks run in order in this process; the callers already hand their re-solves over in that shape, so
switching is an import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def run_tasks(fn: Callable[[Any], Any], tasks: Iterable[Any], *, workers: int | None = None,
              scheduler: str | None = None, on_done: Callable[[int, Any], None] | None = None) -> list:
    """``[fn(task) for task in tasks]``, in order; ``on_done(index, result)`` after each."""
    del workers, scheduler  # one process until optimizer.parallel is here
    results = []
    for index, task in enumerate(tasks):
        results.append(fn(task))
        if on_done is not None:
            on_done(index, results[-1])
    return results
