"""The executor: local worker processes or a real Dask cluster, the same results in input order either way."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from optimizer.parallel import SchedulerUnreachable, WorkerLost, check_scheduler, run_tasks
from tests.parallel.tasks import die_on_two, fail_on_three, square_with_pid
from tests.support.dask_cluster import dask_cluster
from tests.support.marks import slow
from tests.support.paths import ROOT

TASKS = [7, 2, 9, 0, 5, 11, 3]


def _record():
    seen = []

    def on_done(index, result, finished, total):
        seen.append((index, result, finished, total, os.getpid()))

    return seen, on_done


def _check_progress(seen, results):
    """One call per task, in this process, counting up to the total, each with its own result."""
    assert sorted(index for index, *_ in seen) == list(range(len(TASKS)))
    assert [finished for _, _, finished, _, _ in seen] == list(range(1, len(TASKS) + 1))
    assert {total for _, _, _, total, _ in seen} == {len(TASKS)}
    assert {pid for *_, pid in seen} == {os.getpid()}
    assert all(results[index] == result for index, result, *_ in seen)


def test_local_workers_return_results_in_input_order():
    seen, on_done = _record()
    results = run_tasks(square_with_pid, TASKS, workers=2, on_done=on_done)
    assert [value for value, _ in results] == [n * n for n in TASKS]
    assert os.getpid() not in {pid for _, pid in results}  # each ran in a worker process
    _check_progress(seen, results)
    assert not multiprocessing.active_children()


def test_no_tasks_start_no_workers():
    assert run_tasks(square_with_pid, []) == []


def test_an_error_in_one_task_is_raised_and_stops_the_rest():
    seen, on_done = _record()
    with pytest.raises(ValueError, match="task 3 went wrong"):
        run_tasks(fail_on_three, [1, 3, 4, 5, 6], workers=2, on_done=on_done)
    assert not multiprocessing.active_children()  # the two-minute tasks were stopped, not waited for
    assert {index for index, *_ in seen} <= {0}


def test_a_worker_that_dies_is_a_clear_error():
    with pytest.raises(WorkerLost, match="stopped abruptly"):
        run_tasks(die_on_two, [1, 2, 3], workers=2)
    assert not multiprocessing.active_children()


INTERRUPTED = """
import multiprocessing, sys
from optimizer.parallel import run_tasks
from tests.parallel.tasks import quick_then_long

def ready(index, result, finished, total):
    print("ready", flush=True)

try:
    run_tasks(quick_then_long, [0, 1, 2], workers=2, on_done=ready)
except KeyboardInterrupt:
    print("stopped, workers left:", len(multiprocessing.active_children()), flush=True)
    sys.exit(130)
"""


@slow
def test_ctrl_c_stops_the_workers():
    run = subprocess.Popen([sys.executable, "-c", INTERRUPTED], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.stdout.readline().strip() == "ready"  # one task done: the workers are running the others
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 130
    assert "stopped, workers left: 0" in out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address", [pytest.param(f"tcp://127.0.0.1:{_free_port()}", marks=slow),  # waits 5 s
                                     "not an address::"])
def test_an_unreachable_scheduler_is_a_clear_error_of_its_own(address):
    began = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match="No Dask scheduler answered at"):
        run_tasks(square_with_pid, TASKS, scheduler=address)
    with pytest.raises(SchedulerUnreachable, match="No Dask scheduler answered at"):
        check_scheduler(address)
    assert time.monotonic() - began < 120  # seconds, not the minutes of distributed's own retries


@pytest.fixture(scope="module")
def cluster():
    with dask_cluster(workers=2) as address:
        yield address


@slow
def test_a_dask_cluster_gives_the_local_results(cluster):
    seen, on_done = _record()
    results = run_tasks(square_with_pid, TASKS, scheduler=cluster, on_done=on_done)
    local = run_tasks(square_with_pid, TASKS, workers=2)
    check_scheduler(cluster)  # answers: no error
    assert [value for value, _ in results] == [value for value, _ in local] == [n * n for n in TASKS]
    assert os.getpid() not in {pid for _, pid in results}  # the cluster's workers ran them
    _check_progress(seen, results)


@slow
def test_an_error_on_the_cluster_is_raised_here(cluster):
    with pytest.raises(ValueError, match="task 3 went wrong"):
        run_tasks(fail_on_three, [1, 3], scheduler=cluster)
