"""Many independent solves at once: local worker processes, or a running Dask distributed scheduler.

    results = run_tasks(solve_one, tasks, workers=2)                        # this machine
    results = run_tasks(solve_one, tasks, scheduler="tcp://10.0.0.5:8786")  # a Dask cluster

``fn`` must be a module-level function and every task picklable: each goes to another process, and
with a scheduler to another machine, which must have this package installed. Results come back in
the order of ``tasks`` whichever way they ran and whenever each finished; ``on_done(index, result,
finished, total)`` is called in this process as each one finishes (for progress lines).

The solvers must not fight over the cores: a task that solves should set the solver's threads to 1
(``SolveOptions(threads=1)``, passed by the caller inside the task), and a Dask worker should run one
task per core (``dask worker ADDRESS --nthreads 1 --nworkers N``).

An error in one task, or Ctrl-C, cancels the tasks not yet finished and re-raises it here. Local
workers are stopped at once; on a cluster the tasks are cancelled (Dask cannot stop one already
running: its worker finishes it and throws the result away) and the cluster itself is left running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

__all__ = ["CONNECT_TIMEOUT_S", "SchedulerUnreachable", "WorkerLost", "check_scheduler", "run_tasks"]

CONNECT_TIMEOUT_S = 5.0  # a scheduler that has not answered by then is not coming
LIVENESS_S = 2.0  # how often a wait for results checks that some worker is still alive

OnDone = Callable[[int, Any, int, int], None]


class SchedulerUnreachable(RuntimeError):
    """No Dask scheduler answered at the address given (or the address is not one)."""


class WorkerLost(RuntimeError):
    """A local worker process died mid-task (killed, or out of memory): its task has no result."""


def check_scheduler(address: str) -> None:
    """Raise SchedulerUnreachable now, before the caller spends minutes preparing the tasks."""
    with _client(address):
        pass


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], *, workers: int | None = None,
              scheduler: str | None = None, on_done: OnDone | None = None) -> list:
    """``[fn(task) for task in tasks]``, run in parallel; see the module's notes."""
    tasks = list(tasks)
    on_done = on_done or (lambda *_: None)
    if not tasks:
        return []
    if scheduler is not None:
        return _on_cluster(fn, tasks, scheduler, on_done)
    return _locally(fn, tasks, workers or os.cpu_count() or 1, on_done)


def _ignore_interrupts() -> None:
    """In each worker: Ctrl-C reaches the whole process group, and only the parent should act on it,
    stopping the workers itself; a worker dying mid-task on it would break the pool instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _locally(fn, tasks: list, workers: int, on_done: OnDone) -> list:
    # spawn, not fork: a forked copy of a parent holding solver threads can deadlock
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_ignore_interrupts,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
        return _collect(pool, futures, len(tasks), on_done)
    except BrokenProcessPool:
        raise WorkerLost("a worker process stopped abruptly (killed, or out of memory?) before its task was done; "
                         "try fewer --workers") from None
    finally:
        _stop(pool)  # also when all is done: idle workers have nothing left to lose


def _collect(pool: ProcessPoolExecutor, futures: dict[Future, int], total: int, on_done: OnDone) -> list:
    results: list = [None] * total
    pending, finished = set(futures), 0
    while pending:
        done, pending = wait(pending, timeout=LIVENESS_S, return_when=FIRST_COMPLETED)
        if not done and not any(p.is_alive() for p in _processes(pool)):
            raise BrokenProcessPool("every worker is gone with tasks unfinished")  # not left waiting forever
        for future in done:
            index = futures[future]
            results[index] = future.result()  # a task's error is raised here, and stops the rest
            finished += 1
            on_done(index, results[index], finished, total)
    return results


def _processes(pool: ProcessPoolExecutor) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers, mid-task or idle, and cancel what has not started: no one waits for them.

    The pool's own thread reaps them (it sees them die and winds the pool up); reaping them here
    as well races it, and a process reaped twice looks alive for ever."""
    for process in _processes(pool):
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _on_cluster(fn, tasks: list, address: str, on_done: OnDone) -> list:
    from distributed import as_completed

    with _client(address) as client:
        # each task goes to the workers as data, not inside the task graph: a task holding England's
        # candidates is tens of MiB, which the scheduler would carry (and warn of) otherwise
        sent = client.scatter(tasks, hash=False)
        futures = client.map(fn, sent, pure=False)  # pure=False: equal tasks are still each run
        index = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(tasks)
        try:
            for finished, (future, result) in enumerate(as_completed(futures, loop=client.loop, with_results=True), 1):
                results[index[future.key]] = result
                on_done(index[future.key], result, finished, len(tasks))
        except BaseException:
            client.cancel(futures + sent)
            raise
        return results


def _probe(address: str) -> None:
    """One connection and handshake, no Client: a Client that fails half-built lingers, and at exit
    spends 10 s and a traceback closing itself."""
    import asyncio

    from distributed.comm import connect

    async def knock() -> None:
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S)
        await comm.close()

    asyncio.run(knock())


@contextmanager
def _client(address: str):
    from distributed import Client

    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its own retry warnings say less than our one message
    try:
        _probe(address)
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as error:  # noqa: BLE001 - refused, timed out, not an address: in every case not usable
        raise SchedulerUnreachable(
            f"No Dask scheduler answered at {address} within {CONNECT_TIMEOUT_S:g} s ({error}); "
            "start one with `dask scheduler` and its workers with `dask worker ADDRESS`") from None
    finally:
        quiet.setLevel(level)
    try:
        yield client
    finally:
        client.close()
