"""Benchmark: ``python -m optimizer.bench`` prints candidate counts, build and solve times, gap and peak
memory for the shipped example, one large region and all of England, on both solvers, beside a
naive baseline (every combination enumerated, the model written with ``+=`` and ``lpSum``, solved by
CBC with PuLP's status trusted), and the speed-up over it.

Each measurement runs in a fresh Python process, so peak memory is that case's own.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CASES = {
    "west_midlands": "inputs/west_midlands.xlsx",
    "south_east": "import:South East",
    "england": "import:",
}


def load_case(case: str, target_pct: float):
    """The case's validated inputs (imported regions go through a real workbook, as a user's would)."""
    from optimizer.workbook.validate import load_workbook_inputs

    spec = CASES[case]
    if not spec.startswith("import:"):
        return load_workbook_inputs(ROOT / spec).inputs
    from optimizer.importers.geography import read_geography
    from optimizer.importers.input_tables import build_tables
    from optimizer.importers.outturn import read_outturn
    from optimizer.workbook.template import write_input_workbook

    region = spec.removeprefix("import:")
    result = build_tables(read_outturn(DATA / "revenue_outturn_rsx_2023-24.csv"),
                          read_geography(DATA / "uk_local_authorities.csv"),
                          regions=(region,) if region else (), target_pct=target_pct)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{case}.xlsx"
        write_input_workbook(result.tables, path, sources=result.sources)
        return load_workbook_inputs(path).inputs


def measure(case: str, solver: str, time_limit: float, target_pct: float) -> dict:
    """Our pipeline, stage by stage."""
    from optimizer.model.build import build_model
    from optimizer.model.candidates import enumerate_candidates
    from optimizer.solve.driver import solve_model

    inputs = load_case(case, target_pct)
    inputs = inputs.with_settings(inputs.settings.override(solver=solver, time_limit_s=time_limit))
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


def naive(case: str, time_limit: float, target_pct: float) -> dict:
    """What a first script does: every combination tested, += and lpSum, CBC, PuLP's status trusted.

    It solves only the first aim (least shortfall) and leaves out reductions and caps, which flatters
    it; it is compared with our time to the same first aim.
    """
    import pulp

    from optimizer.model.candidates import distances_km, payback_years

    inputs = load_case(case, target_pct)
    began = time.perf_counter()
    deadline = began + time_limit
    groups = []
    for terms in inputs.sharing:
        members = [s.council for s in inputs.services if s.service == terms.service and s.shareable]
        for combo in itertools.combinations(members, terms.partners):
            if time.perf_counter() > deadline:
                return {"status": "did not finish", "build_s": time_limit, "solve_s": 0.0}
            if terms.max_distance_km is not None:
                located = [inputs.council[c] for c in combo]
                d = distances_km([c.latitude for c in located], [c.longitude for c in located])
                if d.max() > terms.max_distance_km:
                    continue
            if inputs.settings.max_payback_years is not None and terms.saving_pct and \
                    payback_years(terms.one_off_pct, terms.saving_pct) > inputs.settings.max_payback_years:
                continue
            groups.append((terms, combo))
    prob = pulp.LpProblem("naive", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x_{i}", cat=pulp.LpBinary) for i in range(len(groups))]
    cost = {(s.council, s.service): s.annual_cost for s in inputs.services}
    saving = {c.name: [] for c in inputs.councils}
    for i, (terms, combo) in enumerate(groups):
        for c in combo:
            saving[c].append(terms.saving_pct * cost[(c, terms.service)] * x[i])
    for key in cost:
        prob += pulp.lpSum(x[i] for i, (t, combo) in enumerate(groups)
                           if t.service == key[1] and key[0] in combo) <= 1
    short = {c.name: pulp.LpVariable(f"short_{k}", lowBound=0) for k, c in enumerate(inputs.councils) if c.target}
    for name, var in short.items():
        prob += pulp.lpSum(saving[name]) + var >= inputs.council[name].target
    prob += pulp.lpSum(short.values())
    built = time.perf_counter()
    left = deadline - built
    if left <= 0:
        return {"status": "did not finish", "build_s": built - began, "solve_s": 0.0}
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=left))
    done = time.perf_counter()
    finished = done < deadline and pulp.LpStatus[prob.status] == "Optimal"
    return {"status": "optimal" if finished else "did not finish", "build_s": built - began,
            "solve_s": done - built, "candidates": len(groups), "first_aim_s": done - began}


def child(args) -> None:
    if args.solver == "naive":
        result = naive(args.case, args.time_limit * 3, args.target_pct)
    else:
        result = measure(args.case, args.solver, args.time_limit, args.target_pct)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_one(case: str, solver: str, args) -> dict:
    command = [sys.executable, "-m", "optimizer.bench", "--child", "--case", case, "--solver", solver,
               "--time-limit", str(args.time_limit), "--target-pct", str(args.target_pct)]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        return {"status": f"error: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}",
                "wall_s": wall}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def row(case, solver, r) -> str:
    def num(key, fmt):
        return format(r[key], fmt) if isinstance(r.get(key), (int, float)) else "-"

    build_share = r["build_s"] / r["wall_s"] if "build_s" in r and r.get("wall_s") else None
    return (f"{case:14} {solver:6} {num('candidates', ','):>9} {num('build_s', '.1f'):>8} "
            f"{(format(build_share, '.0%') if build_share is not None else '-'):>6} {num('solve_s', '.1f'):>8} "
            f"{num('wall_s', '.1f'):>8} {r['status']:>15} {num('gap', '.4%'):>9} {num('peak_mib', ',.0f'):>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--solvers", default="highs,cbc,naive", help="comma-separated: highs, cbc, naive")
    parser.add_argument("--time-limit", type=float, default=120.0, help="solve limit per run (naive gets 3x)")
    parser.add_argument("--target-pct", type=float, default=0.02, help="target for imported cases")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--solver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    print(f"{'case':14} {'solver':6} {'groups':>9} {'build s':>8} {'build':>6} {'solve s':>8} {'wall s':>8} "
          f"{'status':>15} {'gap':>9} {'peak MiB':>9}", flush=True)
    for case in args.cases.split(","):
        results = {}
        for solver in args.solvers.split(","):
            results[solver] = run_one(case, solver, args)
            print(row(case, solver, results[solver]), flush=True)
        naive_result = results.get("naive")
        if naive_result and naive_result.get("status") == "optimal":
            for solver in ("highs", "cbc"):
                ours = results.get(solver, {}).get("first_aim_s")
                if ours:
                    print(f"{'':14} first aim: {solver} {ours:.1f} s, naive {naive_result['first_aim_s']:.1f} s: "
                          f"{naive_result['first_aim_s'] / ours:.1f}x", flush=True)


if __name__ == "__main__":
    main()
