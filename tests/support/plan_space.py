"""Questions about every valid plan at once, for alternatives and partner suggestions: which plans
differ from given ones in at least D decisions, which include a partnership, and the lexicographic
best among any subset, all from the exhaustive enumeration of ``tests.support.reference``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tests.support.reference import IMPACT_TIE, MONEY_TIE, PlanSpace, valid_plans


def partnership_key(service: str, councils) -> tuple:
    return ("partnership", service, frozenset(councils))


def reduction_key(council: str, service: str, pct: float) -> tuple:
    return ("reduction", council, service, round(float(pct), 9))


def plan_keys(plan) -> frozenset:
    """A Plan's decisions as keys."""
    return frozenset([partnership_key(p.service, p.councils) for p in plan.partnerships]
                     + [reduction_key(r.council, r.service, r.reduction_pct) for r in plan.reductions])


@dataclass(frozen=True)
class Best:
    """The lexicographic optimum's value over a set of plans (None when the set is empty)."""
    shortfall: float | None
    impact: float | None
    net_benefit: float | None

    @property
    def exists(self) -> bool:
        return self.shortfall is not None


class Space:
    def __init__(self, sheets: dict):
        self.space: PlanSpace = valid_plans(sheets)
        # each service's choices as sets of decision keys
        self.choice_keys = [
            [frozenset([partnership_key(g.service, g.councils) for g in packing]
                       + [reduction_key(o.council, o.service, o.pct) for o in options])
             for packing, options in sp.choices]
            for sp in self.space.per_service
        ]

    @property
    def n(self) -> int:
        return len(self.space.shortfall)

    def everything(self) -> np.ndarray:
        return np.ones(self.n, dtype=bool)

    def differences(self, keys: frozenset) -> np.ndarray:
        """Per plan, the size of the symmetric difference of its decisions and ``keys``."""
        total = np.zeros(self.n, dtype=np.int64)
        for s, choices in enumerate(self.choice_keys):
            mine = frozenset(k for k in keys if k[1 if k[0] == "partnership" else 2] == self.space.per_service[s].service)
            per_choice = np.array([len(c ^ mine) for c in choices], dtype=np.int64)
            total += per_choice[self.space.plans.picks[:, s]]
        return total

    def including(self, key: tuple) -> np.ndarray:
        """Plans whose decisions include ``key``."""
        s = next(i for i, sp in enumerate(self.space.per_service) if sp.service == key[1])
        has = np.array([key in c for c in self.choice_keys[s]], dtype=bool)
        return has[self.space.plans.picks[:, s]]

    def best(self, mask: np.ndarray) -> Best:
        """Aim by aim over the plans in ``mask``, each later aim breaking the earlier ones' ties."""
        if not mask.any():
            return Best(None, None, None)
        sp = self.space
        s_star = sp.shortfall[mask].min()
        t1 = mask & (sp.shortfall <= s_star + MONEY_TIE)
        i_star = sp.plans.impact[t1].min()
        t2 = t1 & (sp.plans.impact <= i_star + IMPACT_TIE)
        return Best(float(s_star), float(i_star), float(sp.net[t2].max()))


def ties_best(best: Best, shortfall: float, impact: float, net_benefit: float, rel_tol: float = 0.0) -> str:
    """'' when (shortfall, impact, net_benefit) is the best's value within the ties; else why not."""
    if abs(shortfall - best.shortfall) > MONEY_TIE:
        return f"shortfall {shortfall:.2f}, best {best.shortfall:.2f}"
    if abs(impact - best.impact) > IMPACT_TIE:
        return f"impact {impact:.6g}, best {best.impact:.6g}"
    if abs(net_benefit - best.net_benefit) > max(MONEY_TIE, rel_tol * abs(best.net_benefit)):
        return f"net benefit {net_benefit:.2f}, best {best.net_benefit:.2f}"
    return ""
