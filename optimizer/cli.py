"""``consolidate``: a thin command line over the library; every failure becomes a message and an exit code.

Exit codes (SPEC.md section 4): 0 a plan was written; 2 unusable input or arguments (nothing
written); 3 infeasible (a workbook saying so is written); 4 no plan within the time limit; 1 anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

from optimizer import __version__
from optimizer import progress as words
from optimizer.excel.files import OutputError, check_output_path, check_workbook_path, safe_in_file_name
from optimizer.solve.names import SOLVERS
from optimizer.status import (
    EXIT_ERROR,
    EXIT_FOR_STATUS,
    EXIT_INPUT,
    RunStatus,
    Termination,
)
from optimizer.workbook.inputs import InputError, Problem
from optimizer.workbook.package import UnsafeXmlParser

MAX_LISTED = 200  # a longer list of problems is cut, with a count of the rest


def report_problems(path: Path, problems: list[Problem]) -> None:
    noun = "problem" if len(problems) == 1 else "problems"
    click.echo(f"{path}: {len(problems)} {noun} to fix before it can be used:", err=True)
    for problem in problems[:MAX_LISTED]:
        click.echo(f"  {problem}", err=True)
    if len(problems) > MAX_LISTED:
        click.echo(f"  ... and {len(problems) - MAX_LISTED} more", err=True)


def fail(code: int, message: str) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def load(path: Path):
    """Read and check a workbook, or list every problem and exit 2; also when its savings curves form
    more candidate partnerships than this machine holds."""
    from optimizer.model.candidates import too_many_candidates
    from optimizer.workbook.validate import load_workbook_inputs

    try:
        loaded = load_workbook_inputs(path)
        problems = too_many_candidates(loaded.inputs)
        if problems:
            raise InputError(problems, loaded.warnings)
    except InputError as error:
        report_problems(path, error.problems)
        for warning in error.warnings:
            click.echo(f"note: {warning}", err=True)
        sys.exit(EXIT_INPUT)
    for warning in loaded.warnings:
        click.echo(f"note: {warning}", err=True)
    return loaded.inputs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="consolidate")
def cli() -> None:
    """Find which councils should share which services to meet their savings targets.

    Fill an input workbook (start from `consolidate template`), check it with `consolidate validate`,
    then `consolidate run` writes the best plan to a new workbook.
    """


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists already.")
def template(path: Path, force: bool) -> None:
    """Write a blank input workbook to PATH: every sheet and column, a guide, and one example row per sheet."""
    from optimizer.workbook.template import write_template

    try:
        write_template(path, force=force)
    except OutputError as error:
        fail(EXIT_INPUT if error.usage else EXIT_ERROR, str(error))
    click.echo(f"Template written to {path}")


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
def validate(input_path: Path) -> None:
    """Check an input workbook and list every problem, each with its sheet and cell."""
    inputs = load(input_path)
    click.echo(
        f"{input_path}: OK - {len(inputs.councils)} councils, {len(inputs.services)} services, "
        f"{len(inputs.sharing)} savings-curve rows, {len(inputs.reductions)} reduction options, "
        f"{len(inputs.partnerships)} listed partnerships, {len(inputs.rules)} rules"
        + (f", {len(inputs.scenarios)} scenarios" if inputs.scenarios else "")
    )


def default_output(input_path: Path) -> Path:
    return Path("outputs") / f"{input_path.stem}-plan.xlsx"


def describe(plan) -> str:
    if not plan.has_plan:
        return f"status {plan.status}"
    gap = ""
    if plan.status != RunStatus.OPTIMAL:
        proven = "; ".join(
            f"{s.aim.replace('_', ' ')} {'proven' if s.gap == 0 else 'not run' if s.termination == Termination.NOT_RUN else f'within {s.gap:.2%}'}"
            for s in plan.stages
        )
        advice = ("nothing left to try well before the time limit: more time will not prove more" if plan.stopped_early
                  else "raise --time-limit to prove more")
        gap = f" ({proven}; {advice})"
    return (
        f"status {plan.status}{gap}: {len(plan.partnerships)} partnerships, {len(plan.reductions)} reductions, "
        f"£{plan.total_annual_saving:,.0f} a year saved, £{plan.total_one_off_cost:,.0f} one-off, "
        f"{plan.councils_meeting_target} of {sum(1 for c in plan.councils if c.target is not None)} "
        f"councils with a target meet it, shortfall £{plan.total_shortfall:,.0f}"
    )


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Plan workbook to write [default: outputs/<input name>-plan.xlsx].")
@click.option("--solver", type=click.Choice(SOLVERS), help="Solver to use: highs and cbc come with the package; "
              "gurobi and scip run through PuLP where installed [workbook's Settings, else highs].")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Wall-clock limit for the whole solve, candidates and model included [Settings, else 60].")
@click.option("--gap", type=click.FloatRange(0, 1, max_open=True),
              help="Relative gap at which a plan counts as optimal, e.g. 0.0001 [Settings, else 0.0001].")
@click.option("--targets", type=click.Choice(["soft", "hard"]),
              help="soft: miss a target by as little as possible; hard: every target must be met [Settings, else soft].")
@click.option("--force", is_flag=True, help="Replace the output workbook if it exists already.")
@click.option("--json", "as_json", is_flag=True, help="Also print the Summary as one JSON object on the last line.")
@click.option("--quiet", is_flag=True, help="Print no progress messages (none are printed when not on a terminal).")
@click.option("--write-model", "model_path", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Also write the model of the first aim not proven (else the last aim) for another solver: "
                   "MPS or LP by PATH's extension, with PATH-key.csv naming each column; {aim} in PATH writes every aim.")
@click.option("--alternatives", "asked", type=click.IntRange(min=0), default=0, metavar="K",
              help="Also find K alternative plans: each the best plan differing from the best and every earlier "
                   "alternative in at least --differ decisions (partnerships or reductions).")
@click.option("--differ", type=click.IntRange(min=1), default=1, metavar="D",
              help="How many decisions an alternative must change at least [1].")
def run(input_path: Path, output: Path | None, solver, time_limit, gap, targets, force, as_json, quiet,
        model_path: Path | None, asked: int, differ: int) -> None:
    """Find the best sharing plan for the councils in INPUT and write it to a new workbook."""
    from optimizer.report.model_file import ModelRecorder, check_model_path

    output = output or default_output(input_path)
    try:
        check_workbook_path(output, force=force, inputs=[input_path])  # before the solve, not after
        if model_path is not None:
            check_model_path(model_path, force=force, inputs=[input_path, output])
    except OutputError as error:
        fail(EXIT_INPUT, str(error))
    inputs = load(input_path)
    from optimizer.pipeline import (
        optimise,  # the solvers load only for a workbook worth solving
    )
    from optimizer.report.workbook import write_plan
    from optimizer.solve.results import SolverError

    settings = inputs.settings.override(solver=solver, time_limit_s=time_limit, mip_gap=gap, targets=targets)
    inputs = inputs.with_settings(settings)
    # progress is for a person watching: not with --quiet, nor when standard error is a file or a pipe
    show = not quiet and sys.stderr.isatty()
    progress = words.without_repeats(lambda msg: click.echo(msg, err=True)) if show else (lambda _msg: None)
    recorder = ModelRecorder()
    alternatives = None
    try:
        if asked:
            from optimizer.negotiate.alternatives import find_alternatives
            from optimizer.negotiate.resolve import solve_unpooled

            solved = solve_unpooled(inputs, progress=progress, on_program=recorder)
            plan = solved.plan
            alternatives = find_alternatives(solved, asked, differ, progress=progress)
        else:
            plan = optimise(inputs, progress=progress, on_program=recorder)
        write_plan(plan, output, force=force, input_path=input_path, alternatives=alternatives)
        models = recorder.write(model_path, force=force, inputs=[input_path, output]) if model_path else []
    except SolverError as error:
        fail(EXIT_ERROR, str(error))
    except OutputError as error:
        fail(EXIT_INPUT if error.usage else EXIT_ERROR, str(error))
    click.echo(f"Plan written to {output}: {describe(plan)}")
    if model_path is not None:
        click.echo(f"Model written to {', '.join(map(str, models))}" if models
                   else f"No model written to {model_path}: there was nothing to choose, so no model was built")
    if plan.diagnosis:
        click.echo("Why no plan meets every requirement:")
        for finding in plan.diagnosis[:10]:
            click.echo(f"  {finding.subject}: {finding.finding}")
        if len(plan.diagnosis) > 10:
            click.echo(f"  ... and {len(plan.diagnosis) - 10} more in the workbook")
    summary = plan.summary(pence=True)
    if alternatives is not None:
        show_alternatives(alternatives)
        from optimizer.negotiate.alternatives import json_rows

        summary["alternatives"] = json_rows(alternatives)
    if as_json:
        click.echo(json.dumps(summary))
    sys.exit(EXIT_FOR_STATUS[plan.status])


def signed(pounds: float) -> str:
    """+£1,234 or -£1,234 (a change against the best plan)."""
    return f"{'-' if pounds < -0.5 else '+'}£{abs(pounds):,.0f}"


def show_alternatives(alternatives) -> None:
    """Each alternative in a line against the best, then what it changes, and why there are fewer."""
    from optimizer.negotiate.alternatives import alternative_rows, changes

    if alternatives.plans:
        d = alternatives.differ
        click.echo(f"Alternatives (each the best plan changing at least {d} decision{'s' if d != 1 else ''} "
                   "of the best and of every alternative before it):")
    moves = changes(alternatives)
    for row in alternative_rows(alternatives)[1:]:
        click.echo(f"  {row['plan']} ({row['status']}): shortfall {signed(row['extra_shortfall'])}, "
                   f"impact {row['extra_impact']:+,.2f}, net benefit {signed(-row['lost_net_benefit'])} "
                   f"(£{row['net_benefit']:,.0f})")
        for move in (m for m in moves if m.plan == row["plan"]):
            what = (f"{move.service}: {move.councils}" if move.kind == "partnership"
                    else f"{move.service} of {move.councils} cut by {move.reduction_pct:.0%}")
            click.echo(f"    {move.change} {move.kind} {what}")
    if alternatives.fewer_said:
        click.echo(alternatives.fewer_said[0].upper() + alternatives.fewer_said[1:])


@contextlib.contextmanager
def many_solves():
    """Solves on workers or a cluster, then a workbook: each way they can fail, as its exit code, and
    nothing written."""
    from optimizer.parallel import SchedulerUnreachable, WorkerLost
    from optimizer.solve.results import SolverError

    try:
        yield
    except SchedulerUnreachable as error:
        fail(EXIT_INPUT, f"{error}; nothing was written")
    except (SolverError, WorkerLost) as error:
        fail(EXIT_ERROR, f"{error}\nNothing was written.")
    except OutputError as error:
        fail(EXIT_INPUT if error.usage else EXIT_ERROR, str(error))


def reach_scheduler(address: str | None) -> None:
    """A scheduler given that does not answer: exit 2 at once, before any solve (None: local workers)."""
    from optimizer.parallel import check_scheduler

    if address is not None:
        with many_solves():
            check_scheduler(address)


def partners_output(input_path: Path, council: str) -> Path:
    return Path("outputs") / f"{input_path.stem}-partners-{safe_in_file_name(council)}.xlsx"


def closest_names(text: str, names) -> str:
    """The names most like ``text``, for an unknown one."""
    from optimizer.workbook.schema import closest_few

    near = closest_few(text, names, 3, cutoff=0.4)
    return f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""


def chosen_services(inputs, council: str, service: str | None) -> list[str]:
    """The services to rank: ``service``, or each the council can share; exit 2 for an unknown one."""
    delivered = [s.service for s in inputs.services if s.council == council]
    if service is None:
        from optimizer.negotiate.partners import shareable_services

        return shareable_services(inputs, council)
    exact = {s.lower(): s for s in delivered}
    if service.lower() in exact:
        return [exact[service.lower()]]
    if any(s.service.lower() == service.lower() for s in inputs.services):
        fail(EXIT_INPUT, f"--service: {council} does not deliver '{service}' (it has no Services row for it)"
                         f"{closest_names(service, delivered)}")
    fail(EXIT_INPUT, f"--service: no service '{service}' in the workbook{closest_names(service, delivered + [s.service for s in inputs.services])}")


def default_scenarios_output(input_path: Path) -> Path:
    return Path("outputs") / f"{input_path.stem}-scenarios.xlsx"


def which_scenarios(input_path: Path, inputs, sweeps: tuple[str, ...]):
    """The Scenarios sheet's, or else the sweeps': one or the other (SPEC section 5)."""
    from optimizer.scenarios.sweep import sweep_scenarios

    if inputs.scenarios and sweeps:
        fail(EXIT_INPUT, f"{input_path}: has a Scenarios sheet; --sweep is for a workbook without one "
                         "(delete the sheet's rows, or drop --sweep)")
    if inputs.scenarios:
        return list(inputs.scenarios)
    if not sweeps:
        fail(EXIT_INPUT, f"{input_path}: no scenarios to solve: add a Scenarios sheet (see `consolidate template`) "
                         "or give --sweep NAME=FROM:TO:STEP, e.g. --sweep target_pct=0.01:0.05:0.005")
    try:
        return sweep_scenarios(list(sweeps), inputs)
    except InputError as error:
        report_problems(Path("the command line"), error.problems)
        sys.exit(EXIT_INPUT)


def scenario_line(outcome, finished: int, total: int, began: float) -> str:
    import time

    summary = outcome.summary
    gap = f" (gap {summary['gap']:.2%})" if summary["status"] == RunStatus.FEASIBLE else ""
    return (f"[{finished} of {total}] {outcome.scenario.name}: {summary['status']}{gap} in "
            f"{outcome.seconds:.1f} s ({time.perf_counter() - began:.1f} s so far)")


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--council", required=True, help="The council (or other body) looking for partners.")
@click.option("--service", help="Rank the partnerships of this service only [each service it can share].")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="Partnerships listed per service.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write [default: outputs/<input name>-partners-<council>.xlsx].")
@click.option("--solver", type=click.Choice(SOLVERS), help="Solver to use [workbook's Settings, else highs].")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Wall-clock limit for each plan's solve [Settings, else 60].")
@click.option("--workers", type=click.IntRange(min=1), help="Re-solves at a time, in local processes [1].")
@click.option("--scheduler", metavar="ADDRESS", help="Send the re-solves to this running Dask scheduler instead, "
              "e.g. tcp://10.0.0.5:8786.")
@click.option("--force", is_flag=True, help="Replace the output workbook if it exists already.")
@click.option("--json", "as_json", is_flag=True, help="Also print the table as one JSON array on the last line.")
@click.option("--quiet", is_flag=True, help="Print no progress messages.")
def partners(input_path: Path, council: str, service, top: int, output: Path | None, solver, time_limit, workers,
             scheduler, force, as_json, quiet) -> None:
    """Rank the partnerships COUNCIL could join by the best plan for everyone that includes each."""
    inputs = load(input_path)
    names = {c.name.lower(): c.name for c in inputs.councils}
    if council.lower() not in names:
        fail(EXIT_INPUT, f"--council: no council '{council}' in Councils{closest_names(council, [c.name for c in inputs.councils])}")
    council = names[council.lower()]
    services = chosen_services(inputs, council, service)
    output = output or partners_output(input_path, council)
    try:
        check_output_path(output, force=force, inputs=[input_path])
    except OutputError as error:
        fail(EXIT_INPUT, str(error))
    from optimizer.negotiate.partners import suggest_partners
    from optimizer.negotiate.resolve import solve_unpooled
    from optimizer.report.partners import notes, write_partners

    reach_scheduler(scheduler)  # within seconds, before the plan is solved
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=time_limit))
    show = not quiet and sys.stderr.isatty()
    progress = (lambda msg: click.echo(msg, err=True)) if show else (lambda _msg: None)
    with many_solves():
        solved = solve_unpooled(inputs, progress=progress)
        found = suggest_partners(solved, council, services, top, progress=progress, workers=workers,
                                 scheduler=scheduler)
        write_partners(found, output, force=force, input_path=input_path)
    show_partners(found)
    for line in notes(found)[1:]:
        click.echo(line)
    click.echo(f"Partners written to {output}")
    if as_json:
        money = {"annual_saving", "total_shortfall", "net_benefit", "extra_shortfall", "lost_net_benefit"}
        rows = [{k: (round(v, 2) if k in money and v is not None else v) for k, v in s.row(found.best).items()}
                for s in found.rows]
        click.echo(json.dumps(rows))


def show_partners(found) -> None:
    """The table, a service at a time."""
    against = (f"against the optimal plan's net benefit £{found.best.net_benefit:,.0f}" if found.best.has_plan
               else f"the workbook has no plan at all: {found.best.status}")
    click.echo(f"Best plan with each partnership {found.council} could join ({against}):")
    for service in found.services:
        rows = [s for s in found.rows if s.service == service]
        if not rows:
            continue
        click.echo(f"  {service}")
        for s in rows:
            row = s.row(found.best)
            others = "; ".join(m for m in s.councils if m != found.council)
            if row["net_benefit"] is None:
                click.echo(f"    with {others}: saves £{s.annual_saving:,.0f} a year; no plan can include it (infeasible)")
                continue
            in_plan = ", in the optimal plan" if s.in_optimal_plan else ""
            click.echo(f"    with {others}: saves £{s.annual_saving:,.0f} a year{in_plan}; best plan with it: "
                       f"shortfall {signed(row['extra_shortfall'])}, impact {row['extra_impact']:+,.2f}, "
                       f"net benefit {signed(-row['lost_net_benefit'])} ({row['status']})")


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Scenarios workbook to write [default: outputs/<input name>-scenarios.xlsx]; the plans go "
                   "in the folder beside it, <name>-plans/.")
@click.option("--sweep", "sweeps", multiple=True, metavar="NAME=FROM:TO:STEP",
              help="Scenarios stepping a figure or setting from FROM to TO inclusive, e.g. target_pct=0.01:0.05:0.005; "
                   "several give every combination. For a workbook without a Scenarios sheet.")
@click.option("--workers", type=click.IntRange(min=1), help="Scenarios solved at once on this machine [its cores].")
@click.option("--scheduler", metavar="ADDRESS", help="Send the scenarios to a running Dask scheduler instead, "
              "e.g. tcp://10.0.0.5:8786 (start one with `dask scheduler`, its workers with `dask worker ADDRESS`).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Wall-clock limit for each scenario's solve [Settings, else 60].")
@click.option("--force", is_flag=True, help="Replace the scenarios workbook and its plans folder if they exist.")
@click.option("--json", "as_json", is_flag=True, help="Also print each scenario's Summary as a JSON array on the last line.")
@click.option("--quiet", is_flag=True, help="Print no progress lines (none are printed when not on a terminal).")
def scenarios(input_path: Path, output: Path | None, sweeps, workers, scheduler, time_limit, force, as_json,
              quiet) -> None:
    """Solve variants of INPUT side by side and compare them: what each target level or assumption costs."""
    import time

    from optimizer.plan import MONEY
    from optimizer.scenarios.workbook import check_outputs, plans_folder, write_scenarios

    output = output or default_scenarios_output(input_path)
    if workers is not None and scheduler is not None:
        fail(EXIT_INPUT, "--workers is for this machine's processes and --scheduler for a Dask cluster; give one")
    try:
        check_outputs(output, force=force, input_path=input_path)  # before the solves, not after
    except OutputError as error:
        fail(EXIT_INPUT, str(error))
    inputs = load(input_path)
    chosen = which_scenarios(input_path, inputs, sweeps)
    from optimizer.scenarios.solve import make_tasks, solve_scenarios

    show = not quiet and sys.stderr.isatty()
    began = time.perf_counter()
    reach_scheduler(scheduler)  # within seconds, before the candidates are found
    tasks = make_tasks(inputs, chosen, {"time_limit_s": time_limit})
    if show:
        where = f"the Dask scheduler at {scheduler}" if scheduler else f"{workers or os.cpu_count()} local workers"
        click.echo(f"{len(tasks)} scenarios on {where}", err=True)

    def on_done(_index, outcome, finished, total):
        if show:
            click.echo(scenario_line(outcome, finished, total, began), err=True)

    with many_solves():
        outcomes = solve_scenarios(tasks, workers=workers, scheduler=scheduler, on_done=on_done)
        write_scenarios(outcomes, output, force=force, input_path=input_path)
    counts = {}
    for outcome in outcomes:
        counts[outcome.summary["status"]] = counts.get(outcome.summary["status"], 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items())
    click.echo(f"Scenarios written to {output} and their {len(outcomes)} plans to {plans_folder(output)}/: {statuses}")
    if as_json:
        rows = [{"scenario": o.scenario.name,
                 **{k: round(v, 2) if k in MONEY and v is not None else v for k, v in o.summary.items()}}
                for o in outcomes]
        click.echo(json.dumps(rows))


@cli.command("import-outturn")
@click.argument("outturn_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--geography", "geography_csv", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Local-authority geography CSV (codes, coordinates, region), e.g. data/uk_local_authorities.csv.")
@click.option("--region", "regions", multiple=True, help="Keep the councils of this region (repeatable).")
@click.option("--council", "councils", multiple=True, help="Keep this council (repeatable).")
@click.option("--target-pct", type=click.FloatRange(0, 1), help="Savings target for every council, as a share of net budget.")
@click.option("--bodies", default="", metavar="police,fire",
              help="Also bring in the police and crime commissioners and/or fire and rescue authorities of those "
                   "regions (or serving those councils), located by the councils of their area.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Input workbook to write.")
@click.option("--force", is_flag=True, help="Replace the output workbook if it exists already.")
def import_outturn(outturn_csv, geography_csv, regions, councils, target_pct, bodies, output, force) -> None:
    """Build an input workbook from the official revenue-outturn summary (RSX) CSV."""
    from optimizer.importers.geography import read_geography
    from optimizer.importers.input_tables import build_tables
    from optimizer.importers.outturn import read_outturn
    from optimizer.workbook.template import write_input_workbook

    try:
        check_workbook_path(output, force=force, inputs=[outturn_csv, geography_csv])
        result = build_tables(read_outturn(outturn_csv), read_geography(geography_csv), regions=regions,
                              councils=councils, target_pct=target_pct, bodies=[bodies] if bodies else ())
    except OutputError as error:
        fail(EXIT_INPUT, str(error))
    except (InputError, ValueError) as error:
        fail(EXIT_INPUT, f"{outturn_csv}: {error}")
    for warning in result.warnings:
        click.echo(f"note: {warning}", err=True)
    if not result.tables.get("Councils"):
        fail(EXIT_INPUT, "No council matched the --region/--council filters; nothing written")
    try:
        write_input_workbook(result.tables, output, sources=result.sources, force=force)
    except OutputError as error:
        fail(EXIT_INPUT if error.usage else EXIT_ERROR, str(error))
    others = sum(row.get("body_type", "council") != "council" for row in result.tables["Councils"])
    with_bodies = f" (and {others} police and fire bodies)" if others else ""
    click.echo(f"Input workbook written to {output}: {len(result.tables['Councils']) - others} councils{with_bodies}, "
               f"{len(result.tables['Services'])} services")


@cli.command()
@click.argument("book_path", metavar="PLAN_OR_SCENARIOS", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Page to write [default: outputs/<workbook name>.html].")
@click.option("--force", is_flag=True, help="Replace the page if it exists already.")
def show(book_path: Path, output: Path | None, force: bool) -> None:
    """Write one web page to explore a plan or scenarios workbook: a map, the figures, the tables.

    The page is a single HTML file that needs no network: open it in any browser, mail it, put it on a USB stick.
    """
    from optimizer.excel.book import Rendered
    from optimizer.excel.files import save_file
    from optimizer.page.page import describe, render_page
    from optimizer.page.read import read_book

    output = output or Path("outputs") / f"{book_path.stem}.html"
    if output.suffix.lower() not in (".html", ".htm"):
        fail(EXIT_INPUT, f"{output}: the page is a web page; give a file name ending in .html")
    try:
        check_output_path(output, force=force, inputs=[book_path])
    except OutputError as error:
        fail(EXIT_INPUT, str(error))
    try:
        book = read_book(book_path)
    except InputError as error:
        if [problem.where for problem in error.problems] == [str(book_path)]:  # about the whole file: one line
            fail(EXIT_INPUT, str(error.problems[0]))
        report_problems(book_path, error.problems)
        sys.exit(EXIT_INPUT)
    try:
        save_file(Rendered(render_page(book).encode("utf-8")), output, force=force, inputs=[book_path])
    except OutputError as error:
        fail(EXIT_INPUT if error.usage else EXIT_ERROR, str(error))
    click.echo(f"Page written to {output}: {describe(book)}; open it in a web browser (no network needed)")


def main() -> None:
    """Entry point: no traceback reaches a finance officer unless CONSOLIDATE_DEBUG is set."""
    try:
        cli.main(prog_name="consolidate", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_INPUT)
    except click.exceptions.Abort:
        fail(EXIT_ERROR, "Stopped; nothing was written.")
    except UnsafeXmlParser as error:
        fail(EXIT_ERROR, f"{error}\nNothing was read or written.")
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if os.environ.get("CONSOLIDATE_DEBUG"):
            raise
        fail(EXIT_ERROR, f"internal error: {type(error).__name__}: {error}\n"
                         "Nothing was written. Set CONSOLIDATE_DEBUG=1 to see the details, and please report it.")
