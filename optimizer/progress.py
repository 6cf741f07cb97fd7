"""Every progress line a run prints, in words a finance officer follows: one place for the wording.

The stages are the run's: finding every possible partnership, setting up the choice, then each aim of
SPEC.md section 2 as a step ("step 1 of 3: the least shortfall against the targets"), with the best
plan so far and how much better any plan could be, and each step's last line saying what was proved,
in the same words as the status that follows (never "at most 0.15 % better" just before "optimal"
without the step's "proven best" between them).
"""

from __future__ import annotations

from optimizer.status import Termination

STEPS = {
    "shortfall": "the least shortfall against the targets",
    "impact": "the least harm from cutting services",
    "net_benefit": "the greatest net benefit",
}
FLOAT_NOISE = 1e-9


def money(amount: float) -> str:
    """£258.9 m, £12,300: pounds as a finance officer reads them."""
    if abs(amount) >= 1e6:
        return f"£{amount / 1e6:,.1f} m"
    return f"£{amount:,.0f}"


def figure(aim: str, value: float) -> str:
    """A value of the aim, in the aim's own words."""
    if aim == "shortfall":
        return f"leaves {money(value)} of the targets unmet"
    if aim == "impact":
        return f"does harm scored {value:,.3f}"
    return f"has a net benefit of {money(value)}"


def seconds(took: float) -> str:
    return f"({took:.1f} s)"


def candidates(partnerships: int, reductions: int, took: float) -> str:
    cuts = f" and {reductions:,} ways to cut a service" if reductions else ""
    return f"finding every possible partnership: {partnerships:,}{cuts} {seconds(took)}"


def model(decisions: int, rules: int, took: float) -> str:
    return f"setting up the choice: {decisions:,} decisions under {rules:,} rules {seconds(took)}"


def step(k: int, n: int, aim: str) -> str:
    return f"step {k} of {n}: {STEPS.get(aim, aim.replace('_', ' '))}"


def bound(aim: str, value: float, took: float) -> str:
    """What no plan can beat, with the aim's value signed as SPEC states it."""
    if aim == "net_benefit":
        return f"  no plan can have a net benefit above {money(value)} {seconds(took)}"
    if aim == "shortfall":
        return f"  no plan can leave less than {money(value)} of the targets unmet {seconds(took)}"
    return f"  no plan can do harm scored below {value:,.3f} {seconds(took)}"


def found(aim: str, value: float, took: float) -> str:
    return f"  a plan that {figure(aim, value)} {seconds(took)}"


def checking(worth: int, of: int, took: float) -> str:
    return f"  checking the {worth:,} of {of:,} options that could still do better {seconds(took)}"


def so_far(aim: str, value: float, best: float, took: float) -> str:
    """The best plan so far and how much better any plan could be (both signed as SPEC states them)."""
    room = abs(best - value) / max(abs(value), FLOAT_NOISE)
    if aim == "shortfall" and value <= FLOAT_NOISE:
        return f"  best plan so far meets every target {seconds(took)}"
    if aim == "net_benefit":
        return f"  best plan so far {figure(aim, value)}; it can be at most {room:.2%} better {seconds(took)}"
    limit = money(best) if aim == "shortfall" else f"{best:,.3f}"
    return f"  best plan so far {figure(aim, value)}; no plan can do better than {limit} {seconds(took)}"


def step_done(k: int, n: int, stage, mip_gap: float) -> str:
    """The step's last line: what it proved, as the run's status will say it."""
    if not stage.has_plan:
        why = {Termination.INFEASIBLE: "no plan meets every requirement",
               Termination.TIME_LIMIT: "no plan within the time limit",
               Termination.NOT_RUN: "not reached within the time limit"}.get(stage.termination, stage.termination)
        return f"step {k} of {n}: {why}"
    if stage.termination == Termination.NOT_RUN:
        return f"step {k} of {n}: not reached within the time limit; the plan keeps the earlier steps' choice"
    value = figure(stage.aim, stage.value)
    if stage.gap <= mip_gap:
        tolerance = "" if stage.gap == 0 else f" (within the {mip_gap:.2%} tolerance)"
        return f"step {k} of {n} done: the best plan {value}, proven best{tolerance} {seconds(stage.seconds)}"
    return (f"step {k} of {n} stopped: the plan {value}; it can be at most {stage.gap:.2%} better, "
            f"not proven {seconds(stage.seconds)}")


def working_out_why() -> str:
    return "no plan meets every requirement; working out why"


def without_repeats(echo):
    """``echo`` for each line unless it says again what the line before said (its time aside): a solver
    reports the same bound many times over."""
    last: list[str | None] = [None]

    def say(line: str) -> None:
        said = line.rsplit(" (", 1)[0]
        if said != last[0]:
            last[0] = said
            echo(line)

    return say
