"""The naive baseline: what a first script does, to measure the optimiser against."""

from __future__ import annotations

import itertools
import time

from optimizer.bench.cases import load


def naive(case: str, time_limit: float) -> dict:
    """What a first script does: every combination tested, += and lpSum, CBC, PuLP's status trusted.

    It solves only the first aim (least shortfall) and leaves out reductions and caps, which flatters
    it; it is compared with our time to the same first aim.
    """
    import pulp

    from optimizer.model.candidates import distances_km, payback_years

    inputs = load(case)
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
