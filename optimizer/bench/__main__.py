"""Benchmark: ``python -m optimizer.bench`` prints, for each case and solver, candidate count, build
and solve times, status, gap and peak memory, with min/median/max over ``--repeats``, beside a naive
baseline (every combination enumerated, the model written with ``+=`` and ``lpSum``, solved by CBC
with PuLP's status trusted) where asked.

``--scenarios`` times issue 18's sweep, the West Midlands at nine targets (``consolidate scenarios
--sweep target_pct=0.01:0.05:0.005``), on two workers against one worker doing the nine in turn
(the aim: at most 0.6 of the time). ``--cluster-sweep CASE`` solves CASE at targets of 1 %, 2 % and
3 % of net budget on a local Dask cluster of two single-threaded workers (``distributed.LocalCluster``,
reached by its address as a real one is), through the same tasks as ``consolidate scenarios``.

``--partners COUNCIL`` times issue 19's ranking (``consolidate partners``, every service, top 5) on
``--partners-case`` (default the West Midlands), with the share of candidates re-solved exactly;
``--alternatives K`` times ``consolidate run --alternatives K`` on the West Midlands against the plain run.

``--matrix`` runs every case of ``optimizer.bench.cases.matrix()``: both years, each region and all of
England, other targets and other assumptions. Each measurement runs in a fresh Python process, so
peak memory is that case's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from optimizer.bench.cases import load, matrix, parse

DEFAULT_CASES = ("west_midlands", "2023-24:South East", "2023-24:England")


def measure(case: str, solver: str, time_limit: float) -> dict:
    """Our pipeline, stage by stage."""
    from optimizer.model.build import build_model
    from optimizer.model.candidates import enumerate_candidates, too_many_candidates
    from optimizer.solve.driver import solve_model

    inputs = load(case)
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=time_limit))
    for problem in too_many_candidates(inputs):  # a clear row, where the system would kill the run
        sys.exit(str(problem))
    began = time.perf_counter()
    candidates = enumerate_candidates(inputs)
    model = build_model(inputs, candidates)
    built = time.perf_counter()
    solution = solve_model(model)
    done = time.perf_counter()
    return {
        "candidates": len(candidates.partnerships),
        "build_s": built - began,
        "solve_s": done - built,
        "status": solution.status,
        "gap": solution.gap,
        "objective": [s.value for s in solution.stages],
        # enumerate + build + the first aim: the work the naive baseline does once it has the inputs
        "first_aim_s": built - began + (solution.stages[0].seconds if solution.stages else 0.0),
    }


def child(args) -> None:
    if args.solver == "naive":
        from optimizer.bench.naive import naive

        result = naive(args.case, args.time_limit * 3)
    else:
        result = measure(args.case, args.solver, args.time_limit)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_one(case: str, solver: str, time_limit: float) -> dict:
    command = [sys.executable, "-m", "optimizer.bench", "--child", "--case", case, "--solver", solver,
               "--time-limit", str(time_limit)]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        return {"status": f"error: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}",
                "wall_s": wall}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


HEADER = (f"{'case':34} {'solver':6} {'groups':>9} {'build s':>8} {'build':>6} {'solve s':>8} {'wall s':>8} "
          f"{'status':>15} {'gap':>9} {'peak MiB':>9}")


def row(case, solver, r) -> str:
    def num(key, fmt):
        return format(r[key], fmt) if isinstance(r.get(key), (int, float)) else "-"

    build_share = r["build_s"] / r["wall_s"] if "build_s" in r and r.get("wall_s") else None
    return (f"{case:34} {solver:6} {num('candidates', ','):>9} {num('build_s', '.1f'):>8} "
            f"{(format(build_share, '.0%') if build_share is not None else '-'):>6} {num('solve_s', '.1f'):>8} "
            f"{num('wall_s', '.1f'):>8} {r['status']:>15} {num('gap', '.4%'):>9} {num('peak_mib', ',.0f'):>9}")


def spread(case: str, solver: str, runs: list[dict]) -> str:
    """min/median/max of wall time and gap over the repeats, and how many were proven."""
    walls = [r["wall_s"] for r in runs]
    gaps = [r["gap"] for r in runs if isinstance(r.get("gap"), (int, float))]
    proven = sum(r["status"] == "optimal" for r in runs)
    line = (f"{'':34} {solver:6} {len(runs)} runs: optimal {proven}/{len(runs)}, wall min/median/max "
            f"{min(walls):.1f}/{statistics.median(walls):.1f}/{max(walls):.1f} s")
    if gaps:
        line += f", gap {min(gaps):.4%}/{statistics.median(gaps):.4%}/{max(gaps):.4%}"
    return line


def speed_up(results: dict) -> list[str]:
    naive = results.get("naive", [None])[0]
    if not naive or naive.get("status") != "optimal":
        return []
    lines = []
    for solver in ("highs", "cbc"):
        ours = results.get(solver, [{}])[0].get("first_aim_s")
        if ours:
            lines.append(f"{'':34} first aim: {solver} {ours:.1f} s, naive {naive['first_aim_s']:.1f} s: "
                         f"{naive['first_aim_s'] / ours:.1f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES),
                        help="comma-separated YEAR:AREA[@TARGET][+VARIANT] names, west_midlands or tri_borough")
    parser.add_argument("--matrix", action="store_true", help="every case of the matrix (hours on two cores)")
    parser.add_argument("--list", action="store_true", help="print the matrix's case names and stop")
    parser.add_argument("--solvers", default="highs,cbc", help="comma-separated: highs, cbc, naive")
    parser.add_argument("--time-limit", type=float, default=120.0, help="solve limit per run (naive gets 3x)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per case and solver, for min/median/max")
    parser.add_argument("--scenarios", action="store_true",
                        help="time the West Midlands sweep of nine targets on two workers and on one")
    parser.add_argument("--cluster-sweep", metavar="CASE",
                        help="solve CASE at targets of 1, 2 and 3 %% on a local Dask cluster of two workers")
    parser.add_argument("--partners", metavar="COUNCIL", help="time the partner ranking of COUNCIL, every service, top 5")
    parser.add_argument("--partners-case", default="west_midlands", metavar="CASE", help="the case --partners ranks in")
    parser.add_argument("--alternatives", type=int, metavar="K", help="time run --alternatives K against the plain run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--solver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.scenarios:
        return bench_scenarios(args.time_limit)
    if args.partners:
        load_check(args.partners_case)
        return bench_partners(args.partners_case, args.partners, args.time_limit)
    if args.alternatives:
        return bench_alternatives(args.alternatives, args.time_limit)
    if args.cluster_sweep:
        load_check(args.cluster_sweep)
        return cluster_sweep(args.cluster_sweep, args.time_limit)
    cases = matrix() if args.matrix else args.cases.split(",")
    if args.list:
        print("\n".join(cases))
        return None
    for case in cases:
        load_check(case)
    print(HEADER, flush=True)
    for case in cases:
        results = {}
        for solver in args.solvers.split(","):
            results[solver] = [run_one(case, solver, args.time_limit) for _ in range(args.repeats)]
            for r in results[solver]:
                print(row(case, solver, r), flush=True)
            if args.repeats > 1:
                print(spread(case, solver, results[solver]), flush=True)
        for line in speed_up(results):
            print(line, flush=True)
    return None


SCENARIO_SWEEP = "target_pct=0.01:0.05:0.005"


def time_scenarios(workers: int, time_limit: float) -> dict:
    """One `consolidate scenarios` of the West Midlands sweep, in its own process, with this many workers."""
    import tempfile
    from pathlib import Path

    from optimizer.bench.cases import SHIPPED

    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "optimizer", "scenarios", str(SHIPPED["west_midlands"]), "-o",
                   str(Path(folder) / "wm.xlsx"), "--sweep", SCENARIO_SWEEP, "--workers", str(workers),
                   "--time-limit", str(time_limit), "--json", "--quiet"]
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
    if done.returncode != 0:
        return {"wall_s": wall, "statuses": f"error: {done.stderr.strip()[-200:]}"}
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    figures = [{k: v for k, v in r.items() if k != "solve_seconds"} for r in rows]
    return {"wall_s": wall, "statuses": ", ".join(sorted({r["status"] for r in rows})), "figures": figures}


def bench_scenarios(time_limit: float) -> None:
    one, two = time_scenarios(1, time_limit), time_scenarios(2, time_limit)
    for workers, result in ((1, one), (2, two)):
        print(f"west_midlands {SCENARIO_SWEEP}, {workers} worker(s): {result['wall_s']:.1f} s ({result['statuses']})")
    print(f"two workers take {two['wall_s'] / one['wall_s']:.2f} of one worker's time (aim: at most 0.6)")
    same = one.get("figures") is not None and one.get("figures") == two.get("figures")
    print(f"the two tables are {'the same' if same else 'NOT the same'}, every figure but the times")


CLUSTER_SWEEP = "target_pct=0.01:0.03:0.01"


def cluster_sweep(case: str, time_limit: float, workers: int = 2) -> None:
    """``case`` at three targets on a local Dask cluster: each scenario's status, proven gap and time."""
    from distributed import LocalCluster

    from optimizer.scenarios.solve import make_tasks, solve_scenarios
    from optimizer.scenarios.sweep import sweep_scenarios

    inputs = load(case)
    began = time.perf_counter()
    tasks = make_tasks(inputs, sweep_scenarios([CLUSTER_SWEEP], inputs), {"time_limit_s": time_limit})
    print(f"{case} {CLUSTER_SWEEP} on a local Dask cluster of {workers} workers, {time_limit:.0f} s each "
          f"(scenarios and candidates set up in {time.perf_counter() - began:.1f} s)", flush=True)
    print("| scenario | status | gap | total_shortfall | net_benefit | partnerships | worker s |", flush=True)
    print("|---|---|---:|---:|---:|---:|---:|", flush=True)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        outcomes = solve_scenarios(tasks, scheduler=cluster.scheduler_address)
    for o in outcomes:
        s = {k: ("" if v is None else v) for k, v in o.summary.items()}
        figures = [format(s[k], f) if s[k] != "" else "" for k, f in
                   (("gap", ".4%"), ("total_shortfall", ",.0f"), ("net_benefit", ",.0f"))]
        print(f"| {o.scenario.name} | {s['status']} | {' | '.join(figures)} | {len(o.partnerships):,} | "
              f"{o.seconds:.1f} |", flush=True)
    print(f"wall {time.perf_counter() - began:.1f} s", flush=True)


def bench_partners(case: str, council: str, time_limit: float, top: int = 5) -> None:
    """The optimal plan, then ``council``'s ranking in every service it can share: times and re-solves."""
    from optimizer.negotiate.partners import shareable_services, suggest_partners
    from optimizer.negotiate.resolve import solve_unpooled

    inputs = load(case)
    inputs = inputs.with_settings(inputs.settings.override(time_limit_s=time_limit))
    if council not in {c.name for c in inputs.councils}:
        sys.exit(f"no council {council!r} in {case}")
    began = time.perf_counter()
    solved = solve_unpooled(inputs)
    planned = time.perf_counter() - began
    found = suggest_partners(solved, council, shareable_services(inputs, council), top)
    wall = time.perf_counter() - began
    statuses = ", ".join(sorted({row.status for row in found.rows})) or "no rows"
    print(f"{case} partners of {council}, top {top}: {wall:.1f} s ({planned:.1f} s the optimal plan, "
          f"{solved.plan.status}); {found.solved_exactly} re-solves for {found.candidates:,} candidates "
          f"({found.share_solved:.1%} re-solved exactly); rows {statuses}"
          f"{'; not proven in ' + ', '.join(found.unproven) if found.unproven else ''}", flush=True)


def bench_alternatives(asked: int, time_limit: float) -> None:
    """``consolidate run`` on the West Midlands, then with ``--alternatives asked``, each in its own process."""
    import tempfile
    from pathlib import Path

    from optimizer.bench.cases import SHIPPED

    walls = {}
    with tempfile.TemporaryDirectory() as folder:
        for extra in ([], ["--alternatives", str(asked)]):
            command = [sys.executable, "-m", "optimizer", "run", str(SHIPPED["west_midlands"]), "-o",
                       str(Path(folder) / f"wm{len(extra)}.xlsx"), "--time-limit", str(time_limit), "--quiet", *extra]
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            walls[bool(extra)] = time.perf_counter() - began
            print(f"west_midlands run {' '.join(extra) or '(plain)'}: {walls[bool(extra)]:.1f} s, exit {done.returncode}",
                  flush=True)
    print(f"--alternatives {asked} takes {walls[True] / walls[False]:.2f} times the plain run (aim: at most 4)")


def load_check(case: str) -> None:
    """An unknown case name stops the run before hours are spent on the others."""
    try:
        parse(case)
    except ValueError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
