"""Reading the official revenue outturn (RSX) CSV as it really is.

The MHCLG *Revenue Outturn Service Expenditure Summary* (RSX), one row per English authority, figures
in £ thousand (Crown copyright, Open Government Licence v3.0). ``read_outturn`` finds its columns by
the hidden row of cell codes (C1R190 ...), not by header text, and gives money in pounds.
``input_tables.build_tables`` turns it (with ``geography``) into the input tables.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

# --------------------------------------------------------------------------------------------------
# The RSX layout: measures (columns C1..C7 of the RO forms) and service lines (rows of the forms).
# --------------------------------------------------------------------------------------------------

#: Column number of the RO form -> measure name used in the DataFrame.
MEASURES: dict[int, str] = {
    1: "employees",
    2: "running_expenses",
    3: "total_expenditure",  # C3 = C1 + C2
    4: "sales_fees_charges",
    5: "other_income",
    6: "total_income",  # C6 = C4 + C5
    7: "net_current_expenditure",  # C7 = C3 - C6
}

#: Line number of the RO form -> short name. 699 is the total of all the others.
LINES: dict[int, str] = {
    190: "education",
    290: "highways and transport",
    330: "children's social care",
    360: "adult social care",
    390: "public health",
    490: "housing (general fund)",
    509: "cultural and related",
    590: "environmental and regulatory",
    599: "planning and development",
    601: "police",
    602: "fire and rescue",
    690: "central services",
    698: "other",
    699: "total",
}
TOTAL_LINE = 699

#: Outturn classes that are principal councils; "O" (police, fire, parks, waste, combined
#: authorities, the GLA) are other bodies and only come in when named.
PRINCIPAL_CLASSES = ("SD", "MD", "UA", "LB", "SC")

#: The RSX reports £ thousand ("Data is reported in £ thousand", line 2 of the file).
THOUSAND = 1000


def column(measure: str, line: int) -> str:
    """Name of the DataFrame column holding ``measure`` (e.g. "employees") of service ``line``."""
    return f"{measure}_{line}"


# --------------------------------------------------------------------------------------------------
# Reading the outturn
# --------------------------------------------------------------------------------------------------

_REF_CODE = re.compile(r"C(\d+)R(\d+)")
_SUPPRESSED = {"[x]", "[z]", "[c]", "[u]", ".."}  # GSS symbols for "not available"


def _number(cell: str) -> int | None:
    """£ thousand as printed ("68,922", "-1,016", "[x]") -> whole pounds, or None when not given."""
    text = cell.strip().replace(",", "")
    if not text or text.lower() in _SUPPRESSED:
        return None
    return int(round(float(text) * THOUSAND))


def _find_header(rows: list[list[str]]) -> int:
    for i, row in enumerate(rows):
        if row and row[0].strip().lower() == "e-code":
            return i
    raise ValueError("no header row starting 'E-code': is this the RSX outturn CSV?")


def _find_reference_codes(rows: list[list[str]], header: int) -> dict[int, tuple[int, int]]:
    """Column index -> (form column, line) read from the hidden row of codes like 'C1R360'."""
    for row in reversed(rows[:header]):
        codes = {j: _REF_CODE.fullmatch(cell.strip()) for j, cell in enumerate(row)}
        found = {j: (int(m.group(1)), int(m.group(2))) for j, m in codes.items() if m}
        if found:
            return found
    raise ValueError("no hidden reference row of cell codes (C1R190 ...) above the 'E-code' header")


def _identity_columns(header_row: list[str]) -> dict[str, int]:
    """The short identity columns are found by their header text, which is stable across years."""
    wanted = {"e-code": "e_code", "ons code": "ons_code", "local authority": "name", "notes": "notes",
              "class": "class", "detailed class": "detailed_class", "certified": "certified"}
    found = {wanted[c.strip().lower()]: j for j, c in enumerate(header_row) if c.strip().lower() in wanted}
    missing = [name for name in ("e_code", "ons_code", "name", "class") if name not in found]
    if missing:
        raise ValueError(f"outturn header lacks the columns {missing}")
    return found


def read_outturn(path: str | Path) -> pd.DataFrame:
    """One row per authority of the RSX outturn CSV, money in £ (not £ thousand).

    Columns: e_code, ons_code, name, notes, class, detailed_class, certified, suppressed (True when any
    figure is "[x]"), and ``column(measure, line)`` for every measure of ``MEASURES`` and line of
    ``LINES`` (nullable integers; <NA> where suppressed). Rows stop at the ENGLAND total, which is kept
    in ``df.attrs["england"]`` (a dict column -> £); the class breakdown below it is ignored. The
    title lines are kept in ``df.attrs["title"]``.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = _find_header(rows)
    refs = _find_reference_codes(rows, header)
    ident = _identity_columns(rows[header])
    measures = {j: column(MEASURES[c], line) for j, (c, line) in refs.items() if c in MEASURES and line in LINES}
    missing = {column(m, line) for m in MEASURES.values() for line in LINES} - set(measures.values())
    if missing:
        raise ValueError(f"outturn lacks the reference codes for {sorted(missing)[:5]}...")

    records, england = [], None
    for row in rows[header + 1:]:
        first = row[0].strip() if row else ""
        if not first:  # trailing empty rows (or a gap before another table): the authorities are over
            break
        values = {name: _number(row[j]) if j < len(row) else None for j, name in measures.items()}
        if first.lower() == "eng" or row[ident["name"]].strip().upper() == "ENGLAND":
            england = values  # the total row; the class breakdown table that follows is not wanted
            break
        record = {key: row[j].strip() for key, j in ident.items()}
        record["suppressed"] = any(
            row[j].strip().lower() in _SUPPRESSED for j in measures if j < len(row))
        record.update(values)
        records.append(record)

    frame = pd.DataFrame.from_records(records)
    for name in measures.values():
        frame[name] = frame[name].astype("Int64")
    frame.attrs["england"] = england or {}
    frame.attrs["title"] = [r[0].strip() for r in rows[:header] if r and r[0].strip()]
    return frame
