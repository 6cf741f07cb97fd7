"""Independent re-solves, through the executor the scenarios command runs on (``optimizer.parallel``).

One worker and no scheduler run them here, in order: a spawned process would cost more than a
small re-solve (it imports the package and unpickles the whole model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, workers: int | None = None,
              scheduler: str | None = None) -> list:
    """``[fn(task) for task in tasks]``, in parallel with ``workers`` > 1 or a Dask ``scheduler``."""
    if scheduler is None and (workers or 1) <= 1:
        return [fn(task) for task in tasks]
    from optimizer.parallel import run_tasks as in_parallel

    return in_parallel(fn, tasks, workers=workers, scheduler=scheduler)
