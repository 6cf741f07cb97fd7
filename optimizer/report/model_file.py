"""The model as a file for another solver (``consolidate run --write-model PATH``).

A consultant holding a commercial licence takes the aim this run could not prove to Gurobi, CPLEX
or Xpress. The file is that aim's program exactly as solved here: every column, the rows of every
family, and each earlier aim held to its proven value within its tie (``optimizer.solve.driver``),
so its optimum is the lexicographic plan. Written through PuLP as MPS or LP (by PATH's extension);
columns are named by index (``x12``) and rows ``c{i}``/``u{i}`` (``backends.cbc.to_pulp``: names
built from councils could collide once PuLP rewrites their characters), and a key beside it
(``PATH-key.csv``) says what each column is.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.excel.files import OutputError, check_output_path
from optimizer.model.build import Aim, Model
from optimizer.model.matrix import Matrix
from optimizer.solve.backends.cbc import to_pulp
from optimizer.solve.results import StageResult

FORMATS = (".mps", ".lp")
EVERY_AIM = "{aim}"  # in PATH: one file per aim, named by it
KEY_HEADER = ("column", "kind", "service", "councils", "annual_saving", "one_off_cost", "objective_coefficient")


def check_model_path(path: Path, *, force: bool, inputs=()) -> None:
    """Refuse, before the solve, a model file that cannot be written (as ``check_output_path``)."""
    if Path(path).suffix.lower() not in FORMATS:
        raise OutputError(f"{path}: a model file ends in .mps or .lp (the format is read from it)")
    for target in _targets(Path(path), ["shortfall"]):  # every aim's name is as long a path as any
        check_output_path(target, force=force, inputs=inputs)
        check_output_path(key_path(target), force=force, inputs=inputs)


def key_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}-key.csv")


def _targets(path: Path, aims: list[str]) -> list[Path]:
    if EVERY_AIM not in path.name:
        return [path]
    return [path.with_name(path.name.replace(EVERY_AIM, aim)) for aim in aims]


@dataclass
class Program:
    aim: Aim
    matrix: Matrix
    stage: StageResult


@dataclass
class ModelRecorder:
    """Keeps each aim's program as the solve hands it over (``solve_model(on_program=...)``)."""

    programs: list[Program] = field(default_factory=list)
    model: Model | None = None  # None: nothing could be chosen, so no model was built

    def __call__(self, model: Model, aim: Aim, matrix: Matrix, stage: StageResult) -> None:
        self.model = model
        self.programs.append(Program(aim, matrix, stage))

    def first_unproven(self, mip_gap: float) -> Program | None:
        """The aim another solver should take over; None when every aim was proven."""
        return next((p for p in self.programs if not (p.stage.has_plan and p.stage.gap <= mip_gap)), None)

    def write(self, path: Path, *, force: bool, inputs=()) -> list[Path]:
        """The first unproven aim's program (else the last aim's, whose optimum is the whole plan),
        or every aim's when PATH holds ``{aim}``; returns the files written."""
        path = Path(path)
        if EVERY_AIM in path.name:
            jobs = list(zip(self.programs, _targets(path, [p.aim.name for p in self.programs])))
        else:
            program = self.first_unproven(self.model.inputs.settings.mip_gap) if self.programs else None
            program = program or (self.programs or [None])[-1]
            jobs = [(program, path)] if program else []
        written = []
        for program, target in jobs:
            write_program(self.model, program, target, force=force, inputs=inputs)
            written += [target, key_path(target)]
        return written


def write_program(model: Model, program: Program, path: Path, *, force: bool, inputs=()) -> None:
    """One aim's program at ``path`` (MPS or LP) and its key, each atomically."""
    problem, _ = to_pulp(program.matrix, program.aim.cost, name=f"shared_services_{program.aim.name}")
    writer = problem.writeMPS if path.suffix.lower() == ".mps" else problem.writeLP
    _atomically(path, force, inputs, lambda temp: writer(str(temp)))
    _atomically(key_path(path), force, inputs, lambda temp: _write_key(model, program.aim, temp))


def _atomically(path: Path, force: bool, inputs, write) -> None:
    check_output_path(path, force=force, inputs=inputs)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(name)
    try:
        write(temp)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or type(exc).__name__}); nothing was written",
                          usage=False) from None
    finally:
        temp.unlink(missing_ok=True)


def key_rows(model: Model, aim: Aim):
    """(column, kind, service, councils, annual saving, one-off, objective coefficient) per column."""
    names = [c.name for c in model.inputs.councils]
    for j in range(model.n_cols):
        kind, service, councils, saving, one_off = _column(model, names, j)
        yield f"x{j}", kind, service, councils, saving, one_off, float(aim.cost[j]) + 0.0  # not -0.0


def _column(model: Model, names: list[str], j: int):
    if j < model.n_partnerships:
        group = model.candidates.partnerships[model.group_of_col[j]]
        return "partnership", group.service, "; ".join(group.members), group.annual_saving, sum(group.one_off)
    if j < model.first_reduction:
        return _pool_column(model, names, j)
    if j < model.n_decisions:
        cut = model.candidates.reductions[j - model.first_reduction]
        return "reduction", cut.service, cut.council, None, cut.one_off_cost
    if j < model.first_link:
        return "shortfall", "", names[model.shortfall_council[j - model.n_decisions]], None, None
    a, b = model.links.pairs[j - model.first_link]
    return "partner link", "", f"{names[a]}; {names[b]}", None, None


def _pool_column(model: Model, names: list[str], j: int):
    """A pool's member column (that council takes part) or its count (how many groups it forms)."""
    for i, (pool, members) in enumerate(zip(model.pools, model.pool_member_cols)):
        service = model.services[pool.service]
        if members[0] <= j <= members[-1]:
            k = j - members[0]
            return (f"pool member (groups of {pool.size})", service, names[pool.councils[k]],
                    float(pool.saving[k]), float(pool.one_off[k]))
        if j == model.pool_count_col(i):
            return (f"pool count (groups of {pool.size})", service,
                    "; ".join(names[c] for c in pool.councils), None, None)
    raise AssertionError(f"column {j} is in no pool")


def _write_key(model: Model, aim: Aim, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # the BOM: Excel reads £ and accents
        out = csv.writer(handle)
        out.writerow(KEY_HEADER)
        out.writerows(key_rows(model, aim))

