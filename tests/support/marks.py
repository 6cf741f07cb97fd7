"""What the fast loop (``python -m pytest -m "not slow"``) runs: every test, but only a sample of the
random instances and none of the tests that start LibreOffice or many processes."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

slow = pytest.mark.slow


def sampled(values: Iterable, fast: int) -> list:
    """``values`` as parameters, all but the first ``fast`` marked slow: the fast loop checks a
    sample, the full run every one."""
    return [value if i < fast else pytest.param(value, marks=slow) for i, value in enumerate(values)]
