"""Curves that would form more candidate partnerships than the machine holds are refused before any is
formed, with the services and sizes to blame: the system would otherwise kill the run without a word
(all of England with central services up to five councils within 80 km took 24 GB)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from optimizer.model import candidates
from optimizer.model.candidates import count_cliques, enumerate_candidates, too_many_candidates
from optimizer.workbook.validate import load_workbook_inputs
from tests.support.commands import in_process
from tests.support.paths import TRI_BOROUGH, WEST_MIDLANDS


@pytest.mark.parametrize("seed", range(6))
def test_the_count_is_the_number_of_cliques_or_stops_above_the_limit(seed):
    rng = random.Random(seed)
    n, size = rng.randint(4, 14), rng.randint(2, 5)
    adjacency = np.zeros((n, n), dtype=bool)
    for i, j in itertools.combinations(range(n), 2):
        adjacency[i, j] = adjacency[j, i] = rng.random() < 0.7
    expected = sum(all(adjacency[i, j] for i, j in itertools.combinations(c, 2))
                   for c in itertools.combinations(range(n), size))
    assert count_cliques(adjacency, size, most=10**9) == expected
    if expected > 1:
        assert expected - 1 < count_cliques(adjacency, size, most=expected - 1) <= expected


def test_curves_that_fit_pass_and_the_limit_is_the_candidates_they_form():
    inputs = load_workbook_inputs(WEST_MIDLANDS).inputs
    formed = len(enumerate_candidates(inputs).partnerships)  # payback may drop a few: the count is before it
    listed = sum(p.status != "excluded" for p in inputs.partnerships)
    assert too_many_candidates(inputs) == []
    assert too_many_candidates(inputs, most=formed + listed + 10_000) == []
    problems = too_many_candidates(inputs, most=1000)
    assert len(problems) == 1 and problems[0].where == "Sharing"
    assert "more than 1,000 candidate partnerships" in problems[0].message
    assert "in groups of" in problems[0].message and "Lower max_distance_km" in problems[0].message


def test_a_run_over_too_many_is_exit_2_with_the_reason_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(candidates, "most_candidates", lambda: 1)  # this machine, as if it held one
    output = tmp_path / "plan.xlsx"
    code, printed = in_process("run", TRI_BOROUGH, "-o", output)
    assert code == 2, printed
    assert "Sharing: the savings curves form more than 1 candidate partnerships" in printed
    assert "Traceback" not in printed and not output.exists()
    code, printed = in_process("validate", TRI_BOROUGH)
    assert code == 2 and "more than 1 candidate partnerships" in printed
