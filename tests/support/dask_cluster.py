"""A real Dask cluster on 127.0.0.1 for a test: `dask scheduler` and two `dask worker` processes, as a user runs them."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import ROOT

DASK = str(Path(sys.executable).with_name("dask"))


def _environment() -> dict[str, str]:
    """The workers import the tests' own task functions, as a user's import the optimiser."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _scheduler_address(scheduler: subprocess.Popen) -> str:
    """The address the scheduler announces once it listens (port 0: the system chose one)."""
    seen = []
    for line in scheduler.stderr:
        seen.append(line)
        found = re.search(r"Scheduler at:\s*(tcp://\S+)", line)
        if found:
            return found.group(1)
    raise RuntimeError("dask scheduler stopped before listening:\n" + "".join(seen))


@contextlib.contextmanager
def dask_cluster(workers: int = 2) -> Iterator[str]:
    """The scheduler's address, with ``workers`` workers of one thread each connected; all stopped after."""
    from distributed import Client

    env = _environment()
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
                                 cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    started = [scheduler]
    try:
        address = _scheduler_address(scheduler)
        # the scheduler's log must keep draining, or it blocks once the pipe fills
        threading.Thread(target=scheduler.stderr.read, daemon=True).start()
        for _ in range(workers):
            started.append(subprocess.Popen(
                [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
