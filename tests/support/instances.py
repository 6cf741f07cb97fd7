"""Small random instances of the shared-services model, and a writer/reader for real .xlsx workbooks.

An instance is "sheets": sheet name (as in SPEC section 1) -> list of row dicts keyed by the canonical
snake_case column names, with plain Python values (str, int, float, bool for yes/no, None for blank).

Instances are kept small enough for `tests/reference.py` to enumerate every plan quickly, but across seeds they
exercise every sheet, column and setting of the spec (see `features`, asserted in tests/test_reference.py).
"""

from __future__ import annotations

import math
import random
import re

import openpyxl

from tests.support.reference import partnership_census, plan_space_size

# Upper bound on (ways to treat service 1) x (service 2) x ... so brute force stays well under a second.
MAX_PLAN_SPACE = 200_000

COLUMNS = {
    "Councils": ["council", "net_budget", "savings_target", "savings_target_pct", "latitude", "longitude",
                 "max_staff_reduction_pct", "max_shared_services", "max_partners", "body_type"],
    "Services": ["council", "service", "annual_cost", "fte", "statutory", "protected", "shareable"],
    "Sharing": ["service", "partners", "saving_pct", "one_off_pct", "staff_reduction_pct", "max_distance_km",
                "body_types"],
    "Reductions": ["council", "service", "reduction_pct", "impact", "one_off_cost"],  # then one column per objective
    "Objectives": ["objective", "weight", "description"],
    "Partnerships": ["partnership", "service", "councils", "status", "annual_saving", "one_off_cost",
                     "staff_reduction_fte"],
    "Rules": ["rule", "council_a", "council_b", "service"],
    "Settings": ["setting", "value"],
}
REQUIRED = {
    "Councils": {"council", "net_budget"},
    "Services": {"council", "service", "annual_cost"},
    "Sharing": {"service", "partners", "saving_pct"},
    "Reductions": {"council", "service", "reduction_pct", "impact"},  # impact's cells may be blank beside Objectives
    "Objectives": {"objective", "weight"},
    "Partnerships": {"partnership", "service", "councils", "status"},
    "Rules": {"rule", "council_a", "council_b"},
    "Settings": {"setting"},
}
YES_NO = {"statutory", "protected", "shareable"}
PERCENT = {"savings_target_pct", "max_staff_reduction_pct", "saving_pct", "one_off_pct", "staff_reduction_pct",
           "reduction_pct", "discount_rate", "first_year_saving_share", "borrowing_rate"}
UNITS = {"net_budget": "£", "savings_target": "£", "annual_cost": "£", "one_off_cost": "£", "annual_saving": "£",
         "fte": "FTE", "staff_reduction_fte": "FTE", "max_distance_km": "km", "latitude": "degrees",
         "longitude": "degrees", **{c: "%" for c in PERCENT}}

COUNCIL_POOL = ["Avonford", "Barchester", "Casterbridge", "Dunsmore", "Eastwick", "Fenwick & Moor", "Greyhaven",
                "Holtby", "King's Abbot", "Loamshire", "Middlemarch", "Norbury", "St Ogg's", "Wessex Vale"]
BODY_TYPES = ["council", "police", "fire"]
OBJECTIVE_POOL = ["Protecting the vulnerable", "Prosperity", "Jobs"]
SERVICE_POOL = ["Revenues & Benefits", "Waste Collection", "Legal Services", "Payroll & HR", "Building Control",
                "Trading Standards", "Internal Audit"]


# --------------------------------------------------------------------------------------------------------------
# Random instances
# --------------------------------------------------------------------------------------------------------------

def random_instance(rng: random.Random) -> dict[str, list[dict]]:
    """A valid random instance whose plan space is small enough to enumerate (resampled until it is)."""
    while True:
        sheets = _draw(rng)
        if plan_space_size(sheets) <= MAX_PLAN_SPACE:
            return sheets


def dense_instance(rng: random.Random) -> dict[str, list[dict]]:
    """A random instance where every council is within reach of every other (no distance limits,
    no never_together rules), as in a dense region: most of its groups stand in pools
    (``optimizer.model.pools``). Resampled until its plan space is small enough to enumerate."""
    while True:
        sheets = _draw(rng)
        sheets.pop("Rules", None)
        for row in sheets["Sharing"]:
            row["max_distance_km"] = None
        for row in sheets["Councils"]:  # a cap that can bind keeps its council out of pools
            row["max_partners"] = None
        if plan_space_size(sheets) <= MAX_PLAN_SPACE:
            return sheets


def alliance_instance(rng: random.Random) -> dict[str, list[dict]]:
    """A random instance where most councils may have only one or two partners over all their
    partnerships, some councils are police or fire bodies, and money is discounted: the caps bind
    across services. Resampled until its plan space is small enough to enumerate."""
    while True:
        sheets = _draw(rng)
        for row in sheets["Councils"]:
            row["max_partners"] = rng.choice([1, 1, 2, None])
        if len({r["service"] for r in sheets["Services"]}) > 1 and plan_space_size(sheets) <= MAX_PLAN_SPACE:
            return sheets


def _money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


def _maybe(rng: random.Random, p_blank: float, value):
    return None if rng.random() < p_blank else value


def _draw(rng: random.Random) -> dict[str, list[dict]]:
    councils = rng.sample(COUNCIL_POOL, rng.randint(3, 6))
    services = rng.sample(SERVICE_POOL, rng.randint(1, 3))
    svc_rows = _draw_services(rng, councils, services)
    sharing = _draw_sharing(rng, services)
    settings = _draw_settings(rng, svc_rows)
    hard = any(r["setting"] == "targets" and r["value"] == "hard" for r in settings or [])
    needs_coords = any(r["max_distance_km"] is not None for r in sharing)
    reductions = _draw_reductions(rng, svc_rows)
    sheets = {"Councils": _draw_councils(rng, councils, svc_rows, services, reductions, hard, needs_coords),
              "Services": svc_rows, "Sharing": sharing}
    rules = _draw_rules(rng, councils, services)
    listed = _draw_partnerships(rng, svc_rows, sharing, rules, services)
    _draw_bodies(rng, sheets)
    objectives = _draw_objectives(rng, reductions)
    settings = _draw_money_over_time(rng, settings)
    for name, rows in (("Reductions", reductions), ("Objectives", objectives), ("Rules", rules),
                       ("Partnerships", listed), ("Settings", settings)):
        # An optional sheet is sometimes absent, sometimes present with only its header.
        if rows or (rows is not None and rng.random() < 0.3):
            sheets[name] = rows
    return sheets


def _draw_bodies(rng, sheets) -> None:
    """Partner caps on some councils; in some instances police and fire bodies among them (their
    type spelt in any case), and curve rows that admit only some types."""
    for row in sheets["Councils"]:
        row["max_partners"] = _maybe(rng, 0.7, rng.randint(1, 3))
        row["body_type"] = None
    if rng.random() < 0.6:
        for row in sheets["Sharing"]:
            row["body_types"] = None
        return
    for row in sheets["Councils"]:
        kind = rng.choices(BODY_TYPES, weights=[50, 25, 25])[0]
        row["body_type"] = None if kind == "council" and rng.random() < 0.5 else rng.choice([kind, kind.title(), kind.upper()])
    present = sorted({(r["body_type"] or "council").lower() for r in sheets["Councils"]})
    for row in sheets["Sharing"]:
        admitted = rng.sample(present, rng.randint(1, len(present))) if rng.random() < 0.6 else None
        row["body_types"] = None if admitted is None else rng.choice(["; ", ";"]).join(
            rng.choice([t, t.title()]) for t in admitted)


def _draw_objectives(rng, reductions) -> list[dict] | None:
    """Sometimes an Objectives sheet, each reduction then scored on each objective (blank = 0), its
    own impact sometimes blank."""
    if not reductions or rng.random() < 0.6:
        return None
    names = rng.sample(OBJECTIVE_POOL, rng.randint(1, len(OBJECTIVE_POOL)))
    rows = [{"objective": n, "weight": rng.choice([0, 1, 2.5, rng.randint(1, 5)]),
             "description": _maybe(rng, 0.5, f"what {n.lower()} means here")} for n in names]
    for r in reductions:
        r["impact"] = _maybe(rng, 0.3, r["impact"])
        for n in names:
            r[n] = _maybe(rng, 0.2, rng.choice([rng.randint(0, 5), round(rng.uniform(0, 5), 2)]))
    return rows


def _draw_money_over_time(rng, settings) -> list[dict] | None:
    """Discounting, a first-year share and borrowing, each sometimes."""
    rows = list(settings or [])
    if rng.random() < 0.35:
        rows.append({"setting": "discount_rate", "value": rng.choice([0.035, 0, round(rng.uniform(0.01, 0.1), 4)])})
    if rng.random() < 0.3:
        rows.append({"setting": "first_year_saving_share", "value": rng.choice([0.5, round(rng.uniform(0.1, 1), 3)])})
    if rng.random() < 0.25:
        rows += [{"setting": "borrowing_rate", "value": rng.choice([0, round(rng.uniform(0.01, 0.08), 4)])},
                 {"setting": "borrowing_years", "value": rng.randint(1, 12)}]
    if settings is None and not rows:
        return None
    rng.shuffle(rows)
    return rows


def _draw_services(rng, councils, services) -> list[dict]:
    rows, costs = [], []
    for c in councils:
        delivered = [s for s in services if rng.random() < 0.85] or [rng.choice(services)]
        for s in delivered:
            rows.append(_service_row(rng, c, s, costs))
    for s in services:                      # every service named in Sharing must be delivered by someone
        if not any(r["service"] == s for r in rows):
            rows.append(_service_row(rng, rng.choice(councils), s, costs))
    return rows


def _service_row(rng, c, s, costs) -> dict:
    r = rng.random()
    # Mostly penny amounts (ties rare); sometimes an exact copy of another cost to create ties; rarely 0.
    cost = rng.choice(costs) if costs and r < 0.1 else 0.0 if r < 0.13 else _money(rng, 40_000, 1_500_000)
    costs.append(cost)
    fte = None if rng.random() < 0.15 else round(rng.uniform(0.5, 60), 2)
    return {"council": c, "service": s, "annual_cost": cost, "fte": fte,
            "statutory": rng.choice([None, False, True, True]),
            "protected": rng.choice([None, None, False, False, True]),
            "shareable": rng.choices([None, True, False], weights=[55, 30, 15])[0]}


def _draw_sharing(rng, services) -> list[dict]:
    rows = []
    for s in services:
        if rng.random() < 0.1:              # a service with no curve cannot be shared (except listed groups)
            continue
        sizes = [k for k in (2, 3, 4) if rng.random() < 0.6] or [rng.choice((2, 3, 4))]
        base, limit = rng.uniform(0.03, 0.15), _maybe(rng, 0.5, round(rng.uniform(60, 400), 1))
        for k in sizes:
            rows.append({
                "service": s, "partners": k,
                "saving_pct": round(base + 0.02 * (k - 2) * rng.uniform(0.5, 1.5), 5),
                "one_off_pct": _maybe(rng, 0.3, round(rng.uniform(0.05, 0.9), 5)),
                "staff_reduction_pct": _maybe(rng, 0.4, round(rng.uniform(0.01, 0.3), 5)),
                "max_distance_km": limit if rng.random() < 0.8 else _maybe(rng, 0.5, round(rng.uniform(60, 400), 1)),
            })
    return rows


def _draw_settings(rng, svc_rows) -> list[dict] | None:
    if rng.random() < 0.15:
        return None
    spend = sum(r["annual_cost"] for r in svc_rows)
    rows = []
    r = rng.random()
    if r < 0.75:
        rows.append({"setting": "targets", "value": "hard" if r < 0.4 else "soft"})
    elif r < 0.85:
        rows.append({"setting": "targets", "value": None})           # blank = default (soft)
    if rng.random() < 0.5:
        years = rng.choice([rng.randint(1, 10), round(rng.uniform(1, 10), 1)])
        rows.append({"setting": "horizon_years", "value": years})
    if rng.random() < 0.4:
        budget = round(rng.uniform(0.003, 0.08) * spend, 2)
        rows.append({"setting": "investment_budget", "value": _maybe(rng, 0.15, budget)})
    if rng.random() < 0.45:
        rows.append({"setting": "max_payback_years", "value": _maybe(rng, 0.15, round(rng.uniform(0.3, 4), 2))})
    if rng.random() < 0.2:                  # settings the reference ignores but a reader must accept
        rows += [{"setting": "time_limit_s", "value": 30}, {"setting": "mip_gap", "value": 0.0001},
                 {"setting": "solver", "value": rng.choice(["highs", "cbc"])}]
    rng.shuffle(rows)
    return rows


def _draw_councils(rng, councils, svc_rows, services, reductions, hard, needs_coords) -> list[dict]:
    rows = []
    for c in councils:
        spend = sum(r["annual_cost"] for r in svc_rows if r["council"] == c)
        net_budget = round(spend * rng.uniform(1.5, 4) + rng.uniform(2e5, 5e6), 2)
        kind, target = _draw_target(rng, c, svc_rows, reductions, hard)
        blank_coords = not needs_coords and rng.random() < 0.3
        staff_cap = 0.0 if rng.random() < 0.05 else round(rng.uniform(0.02, 0.4), 4)
        rows.append({
            "council": c, "net_budget": net_budget,
            "savings_target": round(target, 2) if kind == "amount" else None,
            "savings_target_pct": round(target / net_budget, 6) if kind == "pct" else None,
            "latitude": None if blank_coords else round(rng.uniform(50.7, 54.6), 4),
            "longitude": None if blank_coords else round(rng.uniform(-2.9, 0.5), 4),
            "max_staff_reduction_pct": _maybe(rng, 0.75, staff_cap),
            "max_shared_services": _maybe(rng, 0.75, rng.randint(0, len(services))),
        })
    return rows


def _draw_target(rng, c, svc_rows, reductions, hard) -> tuple[str, float]:
    """Soft targets are sized against spend so shortfalls are common. Hard ones are mostly kept within what the
    council's deepest reductions could find, so most hard instances stay feasible and some do not."""
    kind = rng.choices(["amount", "pct", "none"], weights=[40, 35, 25])[0]
    cost = {r["service"]: r["annual_cost"] for r in svc_rows if r["council"] == c}
    spend = sum(cost.values())
    if not hard:
        return kind, spend * rng.uniform(0.01, 0.12)
    deepest = {}
    for r in reductions:
        if r["council"] == c:
            deepest[r["service"]] = max(deepest.get(r["service"], 0.0), r["reduction_pct"] * cost[r["service"]])
    reachable = sum(deepest.values())
    if reachable > 0:
        return kind, reachable * rng.uniform(0.02, 0.3)
    return (kind if rng.random() < 0.15 else "none"), spend * rng.uniform(0.002, 0.04)


def _draw_reductions(rng, svc_rows) -> list[dict]:
    rows = []
    for r in svc_rows:
        if r["protected"] or rng.random() < 0.4:
            continue
        pcts = sorted({round(rng.uniform(0.02, 0.6), 4) for _ in range(rng.randint(1, 3))})
        if not r["statutory"] and rng.random() < 0.3:
            pcts[-1] = 1.0                  # stopping the service outright
        for pct in pcts:
            saving = pct * r["annual_cost"]
            impact = rng.randint(0, 10) if rng.random() < 0.5 else round(rng.uniform(0.1, 10), 3)
            rows.append({"council": r["council"], "service": r["service"], "reduction_pct": pct,
                         "impact": impact + (5 if pct == 1.0 else 0),
                         "one_off_cost": _maybe(rng, 0.4, round(saving * rng.uniform(0, 2.5), 2))})
    return rows


def _draw_rules(rng, councils, services) -> list[dict] | None:
    if rng.random() < 0.55:
        return None if rng.random() < 0.7 else []
    return [{"rule": "never_together", **dict(zip(("council_a", "council_b"), rng.sample(councils, 2))),
             "service": _maybe(rng, 0.5, rng.choice(services))} for _ in range(rng.randint(1, 2))]


def _draw_partnerships(rng, svc_rows, sharing, rules, services) -> list[dict] | None:
    if rng.random() < 0.45:
        return None if rng.random() < 0.7 else []
    curve = {(r["service"], r["partners"]) for r in sharing}
    row_of = {(r["council"], r["service"]): r for r in svc_rows}
    rows, seen = [], set()
    for i in range(rng.randint(1, 3)):
        s = rng.choice(services)
        eligible = [c for (c, ss), r in row_of.items() if ss == s and r["shareable"] is not False]
        if len(eligible) < 2:
            continue
        members = rng.sample(eligible, rng.randint(2, min(4, len(eligible))))
        if (s, frozenset(members)) in seen or _breaks_rule(rules or [], s, members):
            continue
        seen.add((s, frozenset(members)))
        spend = sum(row_of[(c, s)]["annual_cost"] for c in members)
        staff = sum(row_of[(c, s)]["fte"] or 0 for c in members)
        saving = round(spend * rng.uniform(0.02, 0.3), 2)
        own = {"annual_saving": saving, "one_off_cost": round(saving * rng.uniform(0, 4), 2),
               "staff_reduction_fte": round(staff * rng.uniform(0, 0.3), 2)}
        has_curve = (s, len(members)) in curve
        rows.append({
            "partnership": f"P{i + 1} {s}", "service": s,
            "councils": rng.choice(["; ", ";", " ; "]).join(members),
            "status": rng.choices(["candidate", "required", "excluded"], weights=[50, 22, 28])[0],
            # Without a curve row for the size every figure must be the group's own.
            **{k: (None if has_curve and rng.random() < 0.5 else v) for k, v in own.items()},
        })
    return rows


def _breaks_rule(rules, s, members) -> bool:
    return any(r["council_a"] in members and r["council_b"] in members and r["service"] in (None, s)
               for r in rules)


# --------------------------------------------------------------------------------------------------------------
# What an instance exercises (so tests can prove the generator covers the spec)
# --------------------------------------------------------------------------------------------------------------

def _rows(sheets, name):
    return sheets.get(name) or []


def _setting(sheets, name):
    return next((r["value"] for r in _rows(sheets, "Settings") if r["setting"] == name), None)


def features(sheets: dict) -> set[str]:
    """Names of the spec features this instance exercises."""
    n_c, n_s = len(sheets["Councils"]), len({r["service"] for r in sheets["Services"]})
    f = {f"councils={n_c}", f"services={n_s}", f"size={n_c}x{n_s}"}
    f |= {f"sheet:{n}" for n in sheets} | {f"no_sheet:{n}" for n in COLUMNS if n not in sheets}
    f |= {f"empty_sheet:{n}" for n, rows in sheets.items() if not rows}
    f |= _council_features(sheets) | _service_features(sheets) | _sharing_features(sheets)
    f |= _reduction_features(sheets) | _listed_features(sheets) | _setting_features(sheets)
    census = partnership_census(sheets)
    f |= {f"rejected:{k}" for k, v in census.items() if v}
    if any(r["service"] is None for r in _rows(sheets, "Rules")):
        f.add("rule_all_services")
    if any(r["service"] is not None for r in _rows(sheets, "Rules")):
        f.add("rule_one_service")
    return f


def _council_features(sheets):
    f = set()
    for r in sheets["Councils"]:
        f.add("target_amount" if r["savings_target"] is not None else
              "target_pct" if r["savings_target_pct"] is not None else "target_blank")
        f |= {k for k in ("max_staff_reduction_pct", "max_shared_services", "max_partners") if r[k] is not None}
        f |= {f"body_type:{r['body_type'].lower()}" for _ in [0] if r["body_type"] is not None}
        if r["latitude"] is None:
            f.add("no_coordinates")
    return f


def _service_features(sheets):
    f = set()
    rows = sheets["Services"]
    councils = {r["council"] for r in sheets["Councils"]}
    services = {r["service"] for r in rows}
    if len(rows) < len(councils) * len(services):
        f.add("missing_service_row")
    costs = [r["annual_cost"] for r in rows]
    if len(set(costs)) < len(costs):
        f.add("duplicate_cost")
    f |= {f"{k}={r[k]}" for r in rows for k in ("statutory", "protected", "shareable")}
    if any(r["fte"] is None for r in rows):
        f.add("fte_blank")
    return f


def _sharing_features(sheets):
    f = {f"size{r['partners']}" for r in sheets["Sharing"]}
    services = {r["service"] for r in sheets["Services"]}
    for s in services:
        sizes = {r["partners"] for r in sheets["Sharing"] if r["service"] == s}
        f.add("service_without_curve" if not sizes else "partial_sizes" if len(sizes) < 3 else "all_sizes")
    for r in sheets["Sharing"]:
        f |= {f"{k}_blank" for k in ("one_off_pct", "staff_reduction_pct", "max_distance_km") if r[k] is None}
        if r["max_distance_km"] is not None:
            f.add("distance_limit")
        if r["body_types"] is not None:
            f.add("body_types")
    return f


def _reduction_features(sheets):
    f = set()
    rows = _rows(sheets, "Reductions")
    svc = {(r["council"], r["service"]): r for r in sheets["Services"]}
    per_pair = {}
    for r in rows:
        per_pair.setdefault((r["council"], r["service"]), []).append(r)
        if svc[(r["council"], r["service"])]["statutory"]:
            f.add("statutory_reduction")
        if r["reduction_pct"] == 1:
            f.add("stop_service")
        if r["one_off_cost"] is None:
            f.add("reduction_one_off_blank")
        if r["impact"] is None:
            f.add("reduction_impact_blank")
        if any(r.get(o["objective"]) is None for o in _rows(sheets, "Objectives")):
            f.add("objective_score_blank")
    if any(len(v) > 1 for v in per_pair.values()):
        f.add("alternative_levels")
    return f


def _listed_features(sheets):
    f = set()
    curve = {(r["service"], r["partners"]) for r in sheets["Sharing"]}
    for r in _rows(sheets, "Partnerships"):
        own = [r[k] is not None for k in ("annual_saving", "one_off_cost", "staff_reduction_fte")]
        figures = "all" if all(own) else "none" if not any(own) else "some"
        f |= {f"listed_{r['status']}", f"listed_{r['status']}_figures_{figures}"}
        size = len([n for n in r["councils"].split(";") if n.strip()])
        if (r["service"], size) not in curve:
            f.add("listed_without_curve")
    required = [r for r in _rows(sheets, "Partnerships") if r["status"] == "required"]
    for a in required:
        for b in required:
            if a is not b and a["service"] == b["service"] and _members(a) & _members(b):
                f.add("required_clash")
    return f


def _members(row) -> set[str]:
    return {n.strip() for n in row["councils"].split(";") if n.strip()}


def _setting_features(sheets):
    f = {f"setting:{r['setting']}={'blank' if r['value'] is None else 'set'}" for r in _rows(sheets, "Settings")}
    f.add(f"targets_{_setting(sheets, 'targets') or 'default'}")
    return f


# --------------------------------------------------------------------------------------------------------------
# Validity per SPEC section 1 (what `consolidate validate` must accept)
# --------------------------------------------------------------------------------------------------------------

def validate_instance(sheets: dict) -> list[str]:
    """Every way this instance breaks the input rules of SPEC section 1 (empty list = valid)."""
    problems = []
    for name, rows in sheets.items():
        for i, r in enumerate(rows):
            problems += [f"{name} row {i}: {k} blank" for k in REQUIRED.get(name, ()) if r.get(k) is None
                         and not ((name, k) == ("Reductions", "impact") and _rows(sheets, "Objectives"))]
    if problems:
        return problems
    problems += _check_councils(sheets) + _check_services(sheets) + _check_sharing(sheets)
    problems += _check_reductions(sheets) + _check_partnerships(sheets) + _check_rules(sheets)
    return problems + _check_settings(sheets)


def _in(x, low, high) -> bool:
    return x is None or low <= x <= high


def _check_councils(sheets):
    p, names = [], [r["council"] for r in sheets["Councils"]]
    if len(set(names)) != len(names):
        p.append("council names repeat")
    for r in sheets["Councils"]:
        if not r["net_budget"] > 0 or not _in(r["savings_target"], 0, math.inf):
            p.append(f"{r['council']}: bad budget or target")
        if r["savings_target"] is not None and r["savings_target_pct"] is not None:
            p.append(f"{r['council']}: two targets")
        if not all(_in(r[k], 0, 1) for k in ("savings_target_pct", "max_staff_reduction_pct")):
            p.append(f"{r['council']}: share out of 0..1")
        if (r["latitude"] is None) != (r["longitude"] is None):
            p.append(f"{r['council']}: half a coordinate")
        cap = r["max_shared_services"]
        if cap is not None and (int(cap) != cap or cap < 0):
            p.append(f"{r['council']}: bad max_shared_services")
    return p


def _check_services(sheets):
    p, keys = [], [(r["council"], r["service"]) for r in sheets["Services"]]
    councils = {r["council"] for r in sheets["Councils"]}
    if len(set(keys)) != len(keys):
        p.append("(council, service) repeats")
    for r in sheets["Services"]:
        if r["council"] not in councils or r["annual_cost"] < 0 or not _in(r["fte"], 0, math.inf):
            p.append(f"Services {r['council']}/{r['service']}: bad row")
        p += [f"Services {r['council']}/{r['service']}: {k} not yes/no/blank" for k in YES_NO
              if r.get(k) not in (None, True, False)]
    return p


def _check_sharing(sheets):
    p, keys = [], [(r["service"], r["partners"]) for r in sheets["Sharing"]]
    services = {r["service"] for r in sheets["Services"]}
    coords = {r["council"]: r["latitude"] is not None for r in sheets["Councils"]}
    if len(set(keys)) != len(keys):
        p.append("(service, partners) repeats")
    for r in sheets["Sharing"]:
        ok = (r["service"] in services and isinstance(r["partners"], int) and r["partners"] >= 2
              and _in(r["saving_pct"], 0, 1) and _in(r["one_off_pct"], 0, math.inf)
              and _in(r["staff_reduction_pct"], 0, 1) and (r["max_distance_km"] is None or r["max_distance_km"] > 0))
        if not ok:
            p.append(f"Sharing {r['service']}/{r['partners']}: bad row")
        if r["max_distance_km"] is not None:
            p += [f"{s['council']} needs coordinates" for s in sheets["Services"]
                  if s["service"] == r["service"] and s["shareable"] is not False and not coords[s["council"]]]
    return p


def _check_reductions(sheets):
    p, svc = [], {(r["council"], r["service"]): r for r in sheets["Services"]}
    keys = [(r["council"], r["service"], r["reduction_pct"]) for r in _rows(sheets, "Reductions")]
    if len(set(keys)) != len(keys):
        p.append("a reduction level repeats")       # levels are identified by (council, service, pct)
    for r in _rows(sheets, "Reductions"):
        row = svc.get((r["council"], r["service"]))
        impact_ok = r["impact"] >= 0 if r["impact"] is not None else bool(_rows(sheets, "Objectives"))
        if row is None or not 0 < r["reduction_pct"] <= 1 or not impact_ok or not _in(r["one_off_cost"], 0, math.inf):
            p.append(f"Reductions {r['council']}/{r['service']}: bad row")
        elif row["protected"] or (row["statutory"] and r["reduction_pct"] == 1):
            p.append(f"Reductions {r['council']}/{r['service']}: protected or stops a statutory service")
    return p


def _check_partnerships(sheets):
    p, seen = [], set()
    svc = {(r["council"], r["service"]): r for r in sheets["Services"]}
    curve = {(r["service"], r["partners"]) for r in sheets["Sharing"]}
    names = [r["partnership"] for r in _rows(sheets, "Partnerships")]
    if len(set(names)) != len(names):
        p.append("partnership names repeat")
    for r in _rows(sheets, "Partnerships"):
        members, s = _members(r), r["service"]
        if len(members) < 2 or r["status"] not in ("candidate", "required", "excluded"):
            p.append(f"{r['partnership']}: bad members or status")
        if any((c, s) not in svc or svc[(c, s)]["shareable"] is False for c in members):
            p.append(f"{r['partnership']}: a member has no shareable row")
        if _breaks_rule(_rows(sheets, "Rules"), s, members) or (s, frozenset(members)) in seen:
            p.append(f"{r['partnership']}: breaks never_together or repeats a group")
        seen.add((s, frozenset(members)))
        figures = [r[k] for k in ("annual_saving", "one_off_cost", "staff_reduction_fte")]
        if None in figures and (s, len(members)) not in curve:
            p.append(f"{r['partnership']}: blank figure without a Sharing row")
        if any(x is not None and x < 0 for x in figures):
            p.append(f"{r['partnership']}: negative figure")
    return p


def _check_rules(sheets):
    councils = {r["council"] for r in sheets["Councils"]}
    services = {r["service"] for r in sheets["Services"]}
    return [f"bad rule {r}" for r in _rows(sheets, "Rules")
            if r["rule"] != "never_together" or r["council_a"] == r["council_b"]
            or not {r["council_a"], r["council_b"]} <= councils or r["service"] not in services | {None}]


def _check_settings(sheets):
    known = {"targets", "horizon_years", "investment_budget", "max_payback_years", "time_limit_s", "mip_gap",
             "solver", "discount_rate", "first_year_saving_share", "borrowing_rate", "borrowing_years"}
    p = [f"unknown setting {r['setting']}" for r in _rows(sheets, "Settings") if r["setting"] not in known]
    if _setting(sheets, "targets") not in (None, "soft", "hard"):
        p.append("targets must be soft or hard")
    for k in ("horizon_years", "investment_budget", "max_payback_years"):
        if not _in(_setting(sheets, k), 0, math.inf):
            p.append(f"{k} negative")
    for k in ("discount_rate", "first_year_saving_share", "borrowing_rate"):
        if not _in(_setting(sheets, k), 0, 1):
            p.append(f"{k} outside 0..1")
    if (_setting(sheets, "borrowing_rate") is None) != (_setting(sheets, "borrowing_years") is None):
        p.append("a borrowing rate needs its term, and a term its rate")
    return p


# --------------------------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------------------------

_TRUE_SPELLINGS = ["yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE", "1", True, 1]
_FALSE_SPELLINGS = ["no", "No", "NO", "n", "N", "false", "False", "FALSE", "0", False, 0]


def _header(column: str, rng: random.Random | None) -> str:
    """A spelling of the column's header that the spec says must be accepted."""
    if rng is None:
        return column
    words = column.split("_")
    text = rng.choice([column, column.upper(), " ".join(words).capitalize(), " ".join(words).title(),
                       "_".join(w.capitalize() for w in words), f" {' '.join(words)} "])
    if column in UNITS and rng.random() < 0.4:
        text = f"{text} ({UNITS[column]})"
    return text


def _sheet_title(name: str, rng: random.Random | None) -> str:
    return name if rng is None else rng.choice([name, name, name.lower(), name.upper(), f" {name} "])


def _cell_value(column: str, value, rng: random.Random | None):
    if column in YES_NO and value is not None:
        if rng is None:
            return "yes" if value else "no"
        return rng.choice(_TRUE_SPELLINGS if value else _FALSE_SPELLINGS)
    return value


def write_workbook(sheets: dict, path, rng: random.Random | None = None) -> None:
    """Write the sheets as a real .xlsx. With `rng`, vary everything the spec says a reader must tolerate:
    header and sheet-name spelling, units in headers, yes/no spelling, column order, missing optional columns,
    extra columns and sheets, empty rows, percentage number formats (the cell still holds the fraction)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    names = list(sheets)
    if rng is not None:
        rng.shuffle(names)
    for name in names:
        _write_sheet(wb.create_sheet(_sheet_title(name, rng)), name, sheets[name], rng)
    if rng is not None and rng.random() < 0.3:
        notes = wb.create_sheet(rng.choice(["Notes", "Read me", "Reviewer comments"]))
        notes.append(["Drafted for the joint committee; figures to be confirmed."])
        notes.append(["Owner", "Finance team", 42])
    wb.save(path)


def _write_sheet(ws, name: str, rows: list[dict], rng: random.Random | None) -> None:
    known = COLUMNS.get(name, [])
    columns = list(known) + [k for k in dict.fromkeys(k for r in rows for k in r) if k not in known]
    extra = None
    if rng is not None:  # a column may go when blank throughout, but never an objective's
        optional_blank = [c for c in known if c not in REQUIRED.get(name, ()) and all(r.get(c) is None for r in rows)]
        columns = [c for c in columns if not (c in optional_blank and rng.random() < 0.5)]
        if rng.random() < 0.3:
            rng.shuffle(columns)
        if rng.random() < 0.3:
            extra = rng.choice(["Notes", "Reviewer comment (free text)", "checked_by"])
    headers = [_header(c, rng) for c in columns] + ([extra] if extra else [])
    for j, h in enumerate(headers, start=1):
        ws.cell(row=1, column=j, value=h)
    gap = rng.randint(0, len(rows)) if rng is not None and rng.random() < 0.3 else None
    percent_format = rng is not None and rng.random() < 0.5
    at = 2
    for i, row in enumerate(rows):
        if i == gap:
            at += 1                                   # leave an empty row
        for j, c in enumerate(columns, start=1):
            value = _cell_value(c, row.get(c), rng)
            if value is not None:
                cell = ws.cell(row=at, column=j, value=value)
                if percent_format and c in PERCENT:
                    cell.number_format = "0.00%"
        if extra and rng.random() < 0.5:
            ws.cell(row=at, column=len(columns) + 1, value=f"see note {i + 1}")
        at += 1


def canonical_name(header) -> str:
    """The spec's matching rule: ignore case, surrounding spaces, space vs underscore, a trailing (unit)."""
    text = re.sub(r"\s*\([^()]*\)\s*$", "", str(header).strip())
    return re.sub(r"[\s_]+", "_", text.strip().lower())


def _parse_yes_no(value):
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("yes", "y", "true", "1"):
        return True
    if word in ("no", "n", "false", "0"):
        return False
    return None if word == "" else value


def read_workbook(path) -> dict[str, list[dict]]:
    """Read a workbook back into sheets form (known sheets and columns only), independently of the optimiser."""
    wb = openpyxl.load_workbook(path, data_only=True)
    sheet_names = {canonical_name(n): n for n in COLUMNS}
    sheets, raws = {}, {}
    for ws in wb.worksheets:
        name = sheet_names.get(canonical_name(ws.title))
        if name is None:
            continue
        rows = [r for r in ws.iter_rows(values_only=True)]
        header = [canonical_name(h) if h is not None else None for h in rows[0]] if rows else []
        out = []
        for values in rows[1:]:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            raw = dict(zip(header, values))
            out.append({c: (_parse_yes_no(raw.get(c)) if c in YES_NO else raw.get(c)) for c in COLUMNS[name]})
            raws.setdefault(name, []).append(raw)
        sheets[name] = out
    for row, raw in zip(sheets.get("Reductions", []), raws.get("Reductions", [])):  # a column per objective
        row.update({o["objective"]: raw.get(canonical_name(o["objective"])) for o in sheets.get("Objectives", [])})
    return sheets
