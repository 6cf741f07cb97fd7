"""Fixtures shared across the stages' tests. Helpers that are plain functions live in ``tests/support``."""

from __future__ import annotations

import pytest

from optimizer.pipeline import optimise
from optimizer.plan import Plan
from optimizer.workbook.inputs import Inputs
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.paths import TRI_BOROUGH, WEST_MIDLANDS


@pytest.fixture(scope="session")
def west_midlands_inputs() -> Inputs:
    """The shipped West Midlands example, read once (``Inputs`` is frozen: no test can change it)."""
    return load_workbook_inputs(WEST_MIDLANDS).inputs


@pytest.fixture(scope="session")
def tri_borough_inputs() -> Inputs:
    """The shipped tri-borough example, read once."""
    return load_workbook_inputs(TRI_BOROUGH).inputs


@pytest.fixture(scope="session")
def west_midlands_plan(west_midlands_inputs) -> Plan:
    """The West Midlands example's proven plan, solved once. CBC proves it in seconds where HiGHS
    takes longer (README); the plan is the same either way."""
    inputs = west_midlands_inputs
    return optimise(inputs.with_settings(inputs.settings.override(solver="cbc")))
