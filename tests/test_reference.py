"""Tests of the exhaustive reference itself: hand-worked tiny instances, a naive cross-check of the vectorised
enumeration, coverage of the random generator, and the workbook writer/reader round trip."""

from __future__ import annotations

import itertools
import random

import openpyxl
import pytest

from tests.support.instances import (
    COLUMNS,
    MAX_PLAN_SPACE,
    canonical_name,
    features,
    random_instance,
    read_workbook,
    validate_instance,
    write_workbook,
)
from tests.support.reference import (
    MONEY_TIE,
    Evaluation,
    brute_force,
    candidate_partnerships,
    evaluate,
    haversine_km,
    plan_space_size,
    reduction_options,
)

LONDON, MANCHESTER = (51.5074, -0.1278), (53.4808, -2.2426)     # about 262 km apart


def sheets(councils, services, sharing=(), reductions=None, partnerships=None, rules=None, settings=None,
           objectives=None):
    """Build sheets from partial rows: every missing column of a known sheet is blank."""
    out = {"Councils": councils, "Services": services, "Sharing": list(sharing)}
    for name, rows in (("Reductions", reductions), ("Objectives", objectives), ("Partnerships", partnerships),
                       ("Rules", rules)):
        if rows is not None:
            out[name] = rows
    if settings:
        out["Settings"] = [{"setting": k, "value": v} for k, v in settings.items()]
    scores = [o["objective"] for o in objectives or []]  # Reductions' column per objective
    return {name: [{c: r.get(c) for c in COLUMNS[name] + (scores if name == "Reductions" else [])} for r in rows]
            for name, rows in out.items()}


def council(name, coords=None, **kw):
    lat, lon = coords or (None, None)
    return {"council": name, "net_budget": 1_000_000, "latitude": lat, "longitude": lon, **kw}


def service(c, s="Payroll", cost=100_000, fte=10, **kw):
    return {"council": c, "service": s, "annual_cost": cost, "fte": fte, **kw}


def curve(s="Payroll", partners=2, saving=0.1, one_off=0.2, **kw):
    return {"service": s, "partners": partners, "saving_pct": saving, "one_off_pct": one_off, **kw}


def pair(**sharing_kw):
    """A (100k, 10 FTE) and B (300k, 30 FTE) both deliver Payroll; size-2 curve saves 10 %, costs 20 % once.
    The one group {A, B} saves 10k + 30k = 40k a year, costs 20k + 60k = 80k once, loses 1 + 3 FTE
    (staff_reduction_pct blank = saving_pct): net over 5 years = 200k - 80k = 120k, payback 2 years."""
    return dict(councils=[council("A", LONDON), council("B", MANCHESTER)],
                services=[service("A"), service("B", cost=300_000, fte=30)],
                sharing=[curve(**sharing_kw)])


AB = ("Payroll", frozenset({"A", "B"}))


# --------------------------------------------------------------------------------------------------------------
# Partnerships
# --------------------------------------------------------------------------------------------------------------

def test_two_councils_form_one_partnership():
    sh = sheets(**pair())
    [g] = candidate_partnerships(sh)
    assert g.key == AB and g.origin == "curve"
    assert g.saving == pytest.approx({"A": 10_000, "B": 30_000})
    assert g.one_off == pytest.approx({"A": 20_000, "B": 60_000})
    assert g.staff == pytest.approx({"A": 1.0, "B": 3.0})
    assert g.payback_years == pytest.approx(2.0)
    ref = brute_force(sh)
    # Plans: nothing (net 0) or the partnership (net 120k); no targets, no impact.
    assert ref.feasible and ref.n_plans == 2
    assert (ref.shortfall, ref.impact, ref.net_benefit) == pytest.approx((0, 0, 120_000))
    assert ref.best_partnerships == [AB]


def test_evaluate_reports_per_council_figures():
    sh = sheets(**pair())
    ev = evaluate(sh, [AB], [])
    assert ev.feasible, ev.reason
    a = ev.councils["A"]
    assert (a.saving_from_sharing, a.saving_from_reductions, a.total_saving) == pytest.approx((10_000, 0, 10_000))
    assert (a.staff_reduction_fte, a.one_off_cost, a.shared_services) == pytest.approx((1.0, 20_000, 1))
    assert (ev.total_annual_saving, ev.total_one_off_cost, ev.net_benefit) == pytest.approx((40_000, 80_000, 120_000))
    assert ev.councils_meeting_target == 0          # no targets: none counts (UNTARGETED_COUNT_AS_MEETING)


@pytest.mark.parametrize("rule_service, formed", [(None, False), ("Payroll", False), ("Legal", True)])
def test_never_together_rule(rule_service, formed):
    # A blank service applies the rule to every service; a rule for Legal leaves Payroll alone.
    sh = sheets(**pair(), rules=[{"rule": "never_together", "council_a": "B", "council_b": "A",
                                  "service": rule_service}])
    assert [g.key for g in candidate_partnerships(sh)] == ([AB] if formed else [])
    assert brute_force(sh).net_benefit == pytest.approx(120_000 if formed else 0)


@pytest.mark.parametrize("limit, formed", [(250, False), (262.5, True), (None, True)])
def test_distance_limit(limit, formed):
    assert haversine_km(LONDON, MANCHESTER) == pytest.approx(262.0, abs=0.1)
    sh = sheets(**pair(max_distance_km=limit))
    assert bool(candidate_partnerships(sh)) == formed


@pytest.mark.parametrize("max_payback, formed", [(1.9, False), (2.0, True), (6, True)])
def test_payback_limit(max_payback, formed):
    # Payback is 80k / 40k = 2 years; only a limit it *exceeds* removes the group.
    sh = sheets(**pair(), settings={"max_payback_years": max_payback})
    assert bool(candidate_partnerships(sh)) == formed


def test_no_saving_with_cost_never_pays_back():
    sh = sheets(**pair(saving=0.0, one_off=0.1), settings={"max_payback_years": 100})
    assert candidate_partnerships(sh) == []
    sh = sheets(**pair(saving=0.0, one_off=0.0), settings={"max_payback_years": 0})    # 0 / 0 = 0 years
    assert len(candidate_partnerships(sh)) == 1


def test_size_without_sharing_row_cannot_form():
    sh = sheets(**pair(partners=3))
    assert candidate_partnerships(sh) == []


def test_unshareable_or_missing_row_cannot_share():
    base = pair()
    base["services"][1]["shareable"] = False
    assert candidate_partnerships(sheets(**base)) == []
    base = pair()
    base["services"][1]["service"] = "Legal"       # B does not deliver Payroll at all
    assert candidate_partnerships(sheets(**base)) == []


def test_listed_override_is_shared_in_proportion_to_cost_and_replaces_curve_group():
    # Own saving 9000 split 100k : 300k -> 2250 / 6750; one-off and staff blank -> curve (80k, 4 FTE).
    # Net 5 x 9000 - 80k = -35k < 0, so the best plan now shares nothing (the curve's 120k group is gone).
    sh = sheets(**pair(), partnerships=[{"partnership": "P", "service": "Payroll", "councils": "A; B",
                                         "status": "candidate", "annual_saving": 9000}])
    [g] = candidate_partnerships(sh)
    assert g.origin == "candidate" and g.name == "P"
    assert g.saving == pytest.approx({"A": 2250, "B": 6750})
    assert g.one_off == pytest.approx({"A": 20_000, "B": 60_000})
    assert g.staff == pytest.approx({"A": 1.0, "B": 3.0})
    ref = brute_force(sh)
    assert ref.net_benefit == pytest.approx(0) and ref.best_partnerships == []


def test_listed_override_split_equally_when_nobody_spends():
    base = pair()
    base["services"][0]["annual_cost"] = base["services"][1]["annual_cost"] = 0
    sh = sheets(**base, partnerships=[{"partnership": "P", "service": "Payroll", "councils": "A;B",
                                       "status": "candidate", "annual_saving": 1000, "one_off_cost": 10,
                                       "staff_reduction_fte": 3}])
    [g] = candidate_partnerships(sh)
    assert (g.saving, g.one_off, g.staff) == ({"A": 500, "B": 500}, {"A": 5, "B": 5}, {"A": 1.5, "B": 1.5})


def test_listed_candidate_ignores_distance_and_size_but_not_payback():
    # Size 3 has no curve row and B-C are far apart under a 10 km limit: a listed candidate still forms.
    base = pair(max_distance_km=10)
    base["councils"].append(council("C", LONDON))
    base["services"].append(service("C", cost=200_000, fte=20))
    row = {"partnership": "Trio", "service": "Payroll", "councils": "A; B; C", "status": "candidate",
           "annual_saving": 60_000, "one_off_cost": 90_000, "staff_reduction_fte": 6}
    sh = sheets(**base, partnerships=[row])
    keys = {g.key for g in candidate_partnerships(sh)}
    assert ("Payroll", frozenset("ABC")) in keys
    assert ("Payroll", frozenset("AC")) in keys and AB not in keys      # A and C are both in London
    # 90k / 60k = 1.5 years of payback: a 1-year limit removes the listed candidate.
    sh = sheets(**base, partnerships=[row], settings={"max_payback_years": 1})
    assert ("Payroll", frozenset("ABC")) not in {g.key for g in candidate_partnerships(sh)}


def test_excluded_listing_removes_group():
    sh = sheets(**pair(), partnerships=[{"partnership": "X", "service": "Payroll", "councils": "A; B",
                                         "status": "excluded"}])
    assert candidate_partnerships(sh) == []
    assert brute_force(sh).n_plans == 1


def test_required_partnership_must_be_chosen_without_checks():
    # Payback 2 years breaks the 1-year limit and the net is 5 x 40k - 500k = -300k: still forced.
    sh = sheets(**pair(), settings={"max_payback_years": 1},
                partnerships=[{"partnership": "R", "service": "Payroll", "councils": "A; B",
                               "status": "required", "one_off_cost": 500_000}])
    ref = brute_force(sh)
    assert ref.feasible and ref.n_plans == 1 and ref.net_benefit == pytest.approx(-300_000)
    assert not evaluate(sh, [], []).feasible
    assert "required" in evaluate(sh, [], []).reason


def test_overlapping_required_partnerships_are_infeasible():
    base = pair()
    base["councils"].append(council("C", LONDON))
    base["services"].append(service("C"))
    sh = sheets(**base, partnerships=[
        {"partnership": "R1", "service": "Payroll", "councils": "A; B", "status": "required"},
        {"partnership": "R2", "service": "Payroll", "councils": "B; C", "status": "required"}])
    ref = brute_force(sh)
    assert not ref.feasible and ref.n_plans == 0
    assert not ref.is_optimal(evaluate(sh, [], []))


# --------------------------------------------------------------------------------------------------------------
# Reductions, caps and targets
# --------------------------------------------------------------------------------------------------------------

def test_reduction_figures_and_payback():
    # 25 % of 100k saves 25k, loses 2.5 FTE; one-off 60k is 2.4 years of saving: a 2-year limit removes it.
    base = pair()
    red = [{"council": "A", "service": "Payroll", "reduction_pct": 0.25, "impact": 3, "one_off_cost": 60_000},
           {"council": "A", "service": "Payroll", "reduction_pct": 0.1, "impact": 1}]
    [o25, o10] = reduction_options(sheets(**base, reductions=red))
    assert (o25.saving, o25.staff, o25.one_off, o25.impact) == pytest.approx((25_000, 2.5, 60_000, 3))
    assert o10.one_off == 0
    assert [o.pct for o in reduction_options(sheets(**base, reductions=red, settings={"max_payback_years": 2}))] \
        == [0.1]


def test_reduction_and_partnership_exclude_each_other():
    sh = sheets(**pair(), reductions=[{"council": "A", "service": "Payroll", "reduction_pct": 0.1, "impact": 1}])
    ev = evaluate(sh, [AB], [("A", "Payroll", 0.1)])
    assert not ev.feasible and "both" in ev.reason
    # Plans: none, share, reduce -> 3 (share + reduce on A is not a plan).
    assert brute_force(sh).n_plans == 3


def test_lexicographic_order_prefers_lower_impact_over_net_benefit():
    # A must find 10k (soft). Share: A saves 10k, impact 0, one-off 90 % of cost = 360k, net 200k - 360k = -160k.
    # Reduce A by 10 %: saves 10k, impact 2, net 50k. Nothing: shortfall 10k.
    # Shortfall ties at 0 for share and reduce; impact 0 beats 2 whatever the net benefit.
    base = pair(one_off=0.9)
    base["councils"][0]["savings_target"] = 10_000
    red = [{"council": "A", "service": "Payroll", "reduction_pct": 0.1, "impact": 2}]
    ref = brute_force(sheets(**base, reductions=red))
    assert (ref.shortfall, ref.impact, ref.net_benefit) == pytest.approx((0, 0, -160_000))
    assert ref.best_partnerships == [AB] and ref.best_reductions == []
    # With the partnership forbidden, less shortfall beats less impact: the reduction is chosen.
    ref = brute_force(sheets(**base, reductions=red, rules=[{"rule": "never_together", "council_a": "A",
                                                             "council_b": "B"}]))
    assert (ref.shortfall, ref.impact, ref.net_benefit) == pytest.approx((0, 2, 50_000))


def test_shortfall_within_one_pound_is_a_tie():
    # Target 10k. Reduction X saves 9999.50 (shortfall 0.50, impact 0); Y saves 10k (shortfall 0, impact 1).
    # 0.50 <= 0 + £1 ties on aim 1, so impact decides: X.
    sh = sheets(councils=[council("A", savings_target=10_000)], services=[service("A")],
                reductions=[{"council": "A", "service": "Payroll", "reduction_pct": 0.099995, "impact": 0},
                            {"council": "A", "service": "Payroll", "reduction_pct": 0.1, "impact": 1}])
    ref = brute_force(sh)
    assert ref.shortfall == pytest.approx(0) and ref.impact == pytest.approx(0)
    assert ref.best_reductions == [("A", "Payroll", 0.099995)] and ref.n_tied_shortfall == 2
    assert ref.is_optimal(evaluate(sh, [], [("A", "Payroll", 0.099995)]))
    verdict = ref.is_optimal(evaluate(sh, [], [("A", "Payroll", 0.1)]))
    assert not verdict and "impact" in verdict.reason


def test_target_pct_and_hard_targets():
    # 2 % of a 1m budget = 20k target for A; the partnership gives A only 10k.
    base = pair()
    base["councils"][0]["savings_target_pct"] = 0.02
    ref = brute_force(sheets(**base))
    assert ref.shortfall == pytest.approx(10_000)
    ev = evaluate(sheets(**base), [AB], [])
    assert ev.councils["A"].target == pytest.approx(20_000) and ev.councils["A"].shortfall == pytest.approx(10_000)
    assert ev.councils_meeting_target == 0          # A misses; B has no target, so does not count
    hard = sheets(**base, settings={"targets": "hard"})
    ref = brute_force(hard)
    assert not ref.feasible and ref.n_plans == 0
    assert "hard target" in evaluate(hard, [AB], []).reason
    base["councils"][0]["savings_target_pct"] = 0.01                    # 10k: met exactly
    ref = brute_force(sheets(**base, settings={"targets": "hard"}))
    assert ref.feasible and ref.n_plans == 1 and ref.best_partnerships == [AB]


def test_staff_cap():
    # A has 10 FTE in Payroll + 10 in Legal; a 5 % cap allows 1.0 FTE. The group costs A 1.0 FTE (allowed);
    # with staff_reduction_pct 0.15 it costs 1.5 FTE (not allowed).
    for staff_pct, plans in ((None, 2), (0.15, 1)):
        base = pair(staff_reduction_pct=staff_pct)
        base["councils"][0]["max_staff_reduction_pct"] = 0.05
        base["services"].append(service("A", "Legal", shareable=False))
        assert brute_force(sheets(**base)).n_plans == plans


def test_max_shared_services():
    # Both services can be shared by A and B, but A may share only one: none, Payroll, Legal -> 3 plans.
    base = pair()
    base["councils"][0]["max_shared_services"] = 1
    base["services"] += [service("A", "Legal"), service("B", "Legal", cost=300_000, fte=30)]
    base["sharing"].append(curve("Legal"))
    sh = sheets(**base)
    assert brute_force(sh).n_plans == 3
    assert "shares 2" in evaluate(sh, [AB, ("Legal", frozenset("AB"))], []).reason


def test_investment_budget():
    # The group costs 80k once: a 79,999 budget forbids it, 80k allows it.
    assert brute_force(sheets(**pair(), settings={"investment_budget": 79_999})).n_plans == 1
    assert brute_force(sheets(**pair(), settings={"investment_budget": 80_000})).n_plans == 2


def test_horizon_years():
    # 10 years: 400k - 80k = 320k.
    assert brute_force(sheets(**pair(), settings={"horizon_years": 10})).net_benefit == pytest.approx(320_000)


def test_money_over_time():
    # The group saves 40k a year and costs 80k once. Discounted at 3.5 % with half the saving in year 1:
    # F = 0.5/1.035 + 1/1.035^2 + ... + 1/1.035^5; paid at the start, G = 1.
    f = 0.5 / 1.035 + sum(1.035 ** -t for t in range(2, 6))
    discounted = {"discount_rate": 0.035, "first_year_saving_share": 0.5}
    assert brute_force(sheets(**pair(), settings=discounted)).net_benefit == pytest.approx(f * 40_000 - 80_000)
    # Borrowed at 4 % over 10 years: instalment k = 0.04 / (1 - 1.04^-10), G = k x (1/1.035 + ... + 1/1.035^10).
    k = 0.04 / (1 - 1.04 ** -10)
    g = k * sum(1.035 ** -t for t in range(1, 11))
    borrowed = {**discounted, "borrowing_rate": 0.04, "borrowing_years": 10}
    assert brute_force(sheets(**pair(), settings=borrowed)).net_benefit == pytest.approx(f * 40_000 - g * 80_000)
    # Interest-free over 4 years and no discounting: G = 4 x 1/4 = 1; a horizon of 2.5 years counts year 3 by half.
    free = {"borrowing_rate": 0, "borrowing_years": 4, "horizon_years": 2.5}
    assert brute_force(sheets(**pair(), settings=free)).net_benefit == pytest.approx(2.5 * 40_000 - 80_000)


def test_body_types_filter_the_curve_but_not_listed_groups():
    base = pair(body_types="Council; fire")
    base["councils"][1]["body_type"] = "Police"
    assert candidate_partnerships(sheets(**base)) == []
    base["councils"][1]["body_type"] = "FIRE"
    assert [g.key for g in candidate_partnerships(sheets(**base))] == [AB]
    base["councils"][1]["body_type"] = "police"
    listed = [{"partnership": "Joint", "service": "Payroll", "councils": "A; B", "status": "candidate"}]
    assert [g.key for g in candidate_partnerships(sheets(**base, partnerships=listed))] == [AB]


def test_max_partners_counts_distinct_partners_over_every_service():
    # A, B, C all share Payroll and Legal in pairs. A may have one partner: sharing both services with B is
    # allowed, Payroll with B and Legal with C is not.
    names = "ABC"
    base = {"councils": [council(c, max_partners=1 if c == "A" else None) for c in names],
            "services": [service(c, s) for c in names for s in ("Payroll", "Legal")],
            "sharing": [curve("Payroll"), curve("Legal")]}
    sh = sheets(**base)
    same = evaluate(sh, [("Payroll", frozenset("AB")), ("Legal", frozenset("AB"))], [])
    assert same.feasible and same.councils["A"].partners == 1
    mixed = evaluate(sh, [("Payroll", frozenset("AB")), ("Legal", frozenset("AC"))], [])
    assert not mixed.feasible and "A shares with 2 partners, cap 1" in mixed.reason
    # per service: nothing, AB, AC, BC -> 16 pairs of choices; A with B and C at once is pruned:
    # (AB, AC) and (AC, AB)
    ref = brute_force(sh)
    assert ref.n_plans == 14 and ref.pruned["partners"] == 2


def test_objectives_weigh_into_impact():
    # Two levels for A: 10 % harms the vulnerable (weight 3) by 2; 20 % harms jobs (weight 0.5) by 4 and has its
    # own impact 1. Impacts: 0 + 3 x 2 = 6 and 1 + 0.5 x 4 = 3: the 20 % level is the least harmful way to the
    # target.
    objectives = [{"objective": "Protecting the vulnerable", "weight": 3}, {"objective": "Jobs", "weight": 0.5}]
    reductions = [{"council": "A", "service": "Payroll", "reduction_pct": 0.1, "Protecting the vulnerable": 2},
                  {"council": "A", "service": "Payroll", "reduction_pct": 0.2, "impact": 1, "Jobs": 4}]
    sh = sheets([council("A", savings_target=10_000)], [service("A")], reductions=reductions,
                objectives=objectives)
    assert [o.impact for o in reduction_options(sh)] == pytest.approx([6, 3])
    ref = brute_force(sh)
    assert ref.best_reductions == [("A", "Payroll", 0.2)] and ref.impact == pytest.approx(3)


def test_evaluate_rejects_unknown_choices():
    sh = sheets(**pair(max_distance_km=10))
    ev = evaluate(sh, [AB], [("A", "Payroll", 0.5)])
    assert not ev.feasible
    assert "not an available partnership" in ev.reason and "matches 0" in ev.reason


def test_is_optimal_tolerances():
    ref = brute_force(sheets(**pair()))
    best = evaluate(sheets(**pair()), [AB], [])
    assert ref.is_optimal(best)
    worse = Evaluation(**{**best.__dict__, "net_benefit": 120_000 - 2 * MONEY_TIE})
    assert not ref.is_optimal(worse) and "net benefit" in ref.is_optimal(worse).reason
    assert ref.is_optimal(worse, rel_tol=1e-4)          # 1e-4 x 120k = £12 of slack


# --------------------------------------------------------------------------------------------------------------
# Cross-check of the vectorised enumeration against plain evaluate() on every plan
# --------------------------------------------------------------------------------------------------------------

def _all_plans(sh):
    """Every subset of groups x every reduction level (or none) per (council, service), valid or not."""
    groups = [g.key for g in candidate_partnerships(sh)]
    by_pair = {}
    for o in reduction_options(sh):
        by_pair.setdefault((o.council, o.service), []).append((o.council, o.service, o.pct))
    levels = [[None] + v for v in by_pair.values()]
    for k in range(len(groups) + 1):
        for chosen in itertools.combinations(groups, k):
            for picks in itertools.product(*levels):
                yield list(chosen), [p for p in picks if p is not None]


def _naive(sh):
    scores = [(ev.total_shortfall, ev.total_impact, ev.net_benefit)
              for ev in (evaluate(sh, p, r) for p, r in _all_plans(sh)) if ev.feasible]
    if not scores:
        return None, 0
    s = min(x[0] for x in scores)
    i = min(x[1] for x in scores if x[0] <= s + MONEY_TIE)
    n = max(x[2] for x in scores if x[0] <= s + MONEY_TIE and x[1] <= i + 1e-6)
    return (s, i, n), len(scores)


def _naive_size(sh):
    size = 2 ** len(candidate_partnerships(sh))
    per_pair = {}
    for o in reduction_options(sh):
        per_pair[(o.council, o.service)] = per_pair.get((o.council, o.service), 1) + 1
    for v in per_pair.values():
        size *= v
    return size


def test_brute_force_matches_naive_enumeration():
    checked = 0
    for seed in range(400):
        sh = random_instance(random.Random(seed))
        if _naive_size(sh) > 256:
            continue
        ref = brute_force(sh)
        best, count = _naive(sh)
        assert ref.n_plans == count, seed
        assert ref.feasible == (best is not None), seed
        if best:
            assert (ref.shortfall, ref.impact, ref.net_benefit) == pytest.approx(best, abs=1e-6), seed
        checked += 1
    assert checked >= 100


# --------------------------------------------------------------------------------------------------------------
# The generator: valid, fast to enumerate, and covering every feature
# --------------------------------------------------------------------------------------------------------------

EXPECTED_FEATURES = {
    *(f"councils={n}" for n in range(3, 7)), *(f"services={n}" for n in range(1, 4)), "size=6x3",
    *(f"sheet:{n}" for n in COLUMNS), *(f"no_sheet:{n}" for n in ("Reductions", "Objectives", "Partnerships", "Rules", "Settings")),
    "target_amount", "target_pct", "target_blank", "max_staff_reduction_pct", "max_shared_services", "max_partners",
    "body_type:council", "body_type:police", "body_type:fire", "body_types", "rejected:body_type",
    "reduction_impact_blank", "objective_score_blank", "setting:discount_rate=set",
    "setting:first_year_saving_share=set", "setting:borrowing_rate=set", "setting:borrowing_years=set",
    "no_coordinates", "missing_service_row", "duplicate_cost", "fte_blank",
    "statutory=True", "statutory=False", "statutory=None", "protected=True", "protected=False", "protected=None",
    "shareable=True", "shareable=False", "shareable=None",
    "size2", "size3", "size4", "partial_sizes", "all_sizes", "service_without_curve", "distance_limit",
    "one_off_pct_blank", "staff_reduction_pct_blank", "max_distance_km_blank",
    "statutory_reduction", "stop_service", "alternative_levels", "reduction_one_off_blank",
    *(f"listed_{s}_figures_{f}" for s in ("candidate", "required", "excluded") for f in ("all", "some", "none")),
    "listed_without_curve", "required_clash", "rule_all_services", "rule_one_service",
    "rejected:distance", "rejected:never_together", "rejected:payback", "rejected:payback_listed",
    "rejected:excluded", "rejected:replaced_by_listed",
    "targets_hard", "targets_soft", "targets_default", "setting:targets=blank",
    "setting:horizon_years=set", "setting:investment_budget=set", "setting:investment_budget=blank",
    "setting:max_payback_years=set", "setting:max_payback_years=blank", "setting:time_limit_s=set",
    # outcomes of the enumeration
    "pruned:staff", "pruned:shared", "pruned:partners", "pruned:budget", "pruned:hard_target", "infeasible_soft", "infeasible_hard",
    "feasible_hard", "shortfall>0", "shortfall=0", "impact_decides", "net_decides", "exact_tie",
}


def test_random_instances_are_valid_fast_and_cover_every_feature():
    seen, n = set(), 300
    for seed in range(n):
        sh = random_instance(random.Random(seed))
        assert validate_instance(sh) == [], seed
        # fast by construction: few enough plans to enumerate each in well under a second
        assert plan_space_size(sh) <= MAX_PLAN_SPACE, seed
        ref = brute_force(sh)
        seen |= features(sh) | _outcomes(sh, ref)
        if ref.feasible:
            ev = evaluate(sh, ref.best_partnerships, ref.best_reductions)
            assert ev.feasible, (seed, ev.reason)
            assert ref.is_optimal(ev), (seed, ref.is_optimal(ev).reason)
    assert EXPECTED_FEATURES - seen == set()


def _outcomes(sh, ref) -> set[str]:
    hard = any(r["setting"] == "targets" and r["value"] == "hard" for r in sh.get("Settings") or [])
    out = {f"pruned:{k}" for k, v in ref.pruned.items() if v}
    if not ref.feasible:
        return out | {"infeasible_hard" if hard else "infeasible_soft"}
    out |= {"feasible_hard"} if hard else set()
    out.add("shortfall>0" if ref.shortfall > 0 else "shortfall=0")
    if ref.n_tied_impact < ref.n_tied_shortfall:
        out.add("impact_decides")
    if ref.n_optimal < ref.n_tied_impact:
        out.add("net_decides")
    if ref.n_optimal > 1:
        out.add("exact_tie")
    return out


# --------------------------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------------------------

def test_workbook_round_trip_with_spelling_variations(tmp_path):
    headers, yes_no, extras = set(), set(), 0
    for seed in range(60):
        rng = random.Random(seed)
        sh = random_instance(rng)
        path = tmp_path / f"w{seed}.xlsx"
        write_workbook(sh, path, rng=rng if seed % 4 else None)
        assert read_workbook(path) == sh, seed
        wb = openpyxl.load_workbook(path)
        extras += any(canonical_name(ws.title) not in {canonical_name(n) for n in COLUMNS} for ws in wb.worksheets)
        for ws in wb.worksheets:
            row1 = [c.value for c in ws[1]]
            headers |= {h for h in row1 if isinstance(h, str)}
            for col, h in enumerate(row1):
                if h is not None and canonical_name(h) in ("statutory", "protected", "shareable"):
                    yes_no |= {repr(c.value) for c in list(ws.columns)[col][1:] if c.value is not None}
    assert {"Annual cost (£)", "ANNUAL_COST", " annual cost "} & headers
    assert any(h != canonical_name(h) for h in headers)
    assert {"'yes'", "'Y'", "True", "'0'", "False"} <= yes_no
    assert extras > 0


def test_canonical_name_follows_spec():
    assert canonical_name("Annual cost (£)") == "annual_cost"
    assert canonical_name(" annual cost ") == "annual_cost"
    assert canonical_name("ANNUAL_COST") == "annual_cost"
    assert canonical_name("Savings target (£)") == "savings_target"
