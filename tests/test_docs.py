"""The README tells the truth: its set-up commands, its tables and CI agree with the code."""

from __future__ import annotations

import re

from optimizer.cli import cli
from optimizer.workbook import schema
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text()


def setup_commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block and README.index(block.group(0)) < README.index("## "), "the set-up commands come first"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_two_setup_commands():
    install_and_run, install_and_test = setup_commands()
    assert "pip install -e ." in install_and_run and "consolidate run inputs/west_midlands.xlsx" in install_and_run
    assert 'pip install -e ".[test]"' in install_and_test and "pytest" in install_and_test


def test_ci_runs_the_readme_test_command():
    assert setup_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_every_input_column_is_documented():
    for sheet in schema.SHEETS:
        assert f"`{sheet.name}`" in README, sheet.name
        for column in sheet.columns:
            assert f"`{column.name}`" in README, f"{sheet.name}.{column.name}"
    for setting in schema.SETTINGS_LIST:
        assert f"`{setting.name}`" in README, setting.name


def test_every_command_is_documented():
    for name in cli.commands:
        assert f"`consolidate {name}" in README, name


def test_every_summary_metric_is_documented():
    from optimizer.plan import Plan
    from optimizer.workbook.inputs import Inputs

    for metric in Plan(Inputs((), ()), "optimal", 0.0, "highs", 0.0).summary():
        assert f"`{metric}`" in README, metric


def test_every_test_module_has_a_name_of_its_own():
    """The test folders are not packages, so pytest imports each module by its file name alone: two
    files of one name in different folders stop the whole run at collection."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
