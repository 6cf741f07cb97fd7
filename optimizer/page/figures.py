"""Cell values as the workbook shows them: each column's number format of the plan writer, in text.

The page prints every figure through ``shown``, so a figure on the page reads as it does in Excel.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from optimizer.report.workbook import (
    COUNCIL_COLUMNS,
    MEMBERSHIP_COLUMNS,
    PARTNERSHIP_COLUMNS,
    REDUCTION_COLUMNS,
    SUMMARY_KINDS,
)

# (places, per cent, pounds) for each kind of figure of excel.book.NUMBER_FORMATS
LOOKS = {
    "money": (0, False, True), "pct": (1, True, False), "rate": (2, True, False), "gap": (3, True, False),
    "fte": (1, False, False), "years": (1, False, False), "impact": (2, False, False), "int": (0, False, False),
    "seconds": (2, False, False), "factor": (4, False, False), "degrees": (4, False, False),
}
# Every column name the plan writer formats, with its kind; a Summary metric by its row.
KINDS = {c.name: c.kind for columns in (PARTNERSHIP_COLUMNS, REDUCTION_COLUMNS, COUNCIL_COLUMNS, MEMBERSHIP_COLUMNS)
         for c in columns if c.kind != "text"}
KINDS.update(SUMMARY_KINDS)
KINDS.update({"target_pct": "rate", "target_scale": "factor", "saving_scale": "factor", "one_off_scale": "factor",
              "discount_rate": "rate", "extra_shortfall": "money", "extra_impact": "impact",
              "lost_net_benefit": "money", "weighted_impact": "impact", "score": "impact", "weight": "impact",
              "count": "int", "most_achievable": "money", "added": "int", "dropped": "int",
              "net_benefit_vs_first": "money"})


def shown(value: Any, kind: str | None) -> str:
    """``value`` in the number format of ``kind`` (a key of LOOKS), or as plain text."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if not math.isfinite(value):
        return ""
    if kind not in LOOKS:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    places, per_cent, pounds = LOOKS[kind]
    # Excel rounds the decimal it shows half away from zero (£1,234.50 shows £1,235); Python's format, half to even
    number = Decimal(repr(value)) * (100 if per_cent else 1)
    rounded = abs(number).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,}" if pounds else f"{rounded}"
    negative = rounded != 0 and number < 0
    return f"{'-' if negative else ''}{'£' if pounds else ''}{text}{'%' if per_cent else ''}"


def column_shown(column: str, value: Any) -> str:
    return shown(value, KINDS.get(column))


def is_figure(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
