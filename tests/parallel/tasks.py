"""Tasks for the executor's tests: module-level, so worker processes (and Dask workers) can import them."""

from __future__ import annotations

import os
import time


def square_with_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError(f"task {n} went wrong")
    if n > 3:
        time.sleep(120)  # would hold the run for minutes unless stopped with the others
    return n


def quick_then_long(n: int) -> int:
    if n > 0:
        time.sleep(120)  # only Ctrl-C ends these
    return n


def die_on_two(n: int) -> int:
    if n == 2:
        os._exit(9)  # as the out-of-memory killer would end it: no exception, no result
    return n
