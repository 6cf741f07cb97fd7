"""The shipped example workbooks, built from the real 2023-24 outturn in ``data/``.

``python -m optimizer.importers.examples`` writes ``inputs/west_midlands.xlsx`` and ``inputs/tri_borough.xlsx``.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from optimizer.importers.assumptions import PAYBACK_YEARS, SOURCE_TRIBOROUGH
from optimizer.importers.geography import read_geography
from optimizer.importers.input_tables import build_tables
from optimizer.importers.outturn import read_outturn

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
OUTTURN = DATA / "revenue_outturn_rsx_2023-24.csv"
GEOGRAPHY = DATA / "uk_local_authorities.csv"


def _load():
    return read_outturn(OUTTURN), read_geography(GEOGRAPHY)


# --------------------------------------------------------------------------------------------------
# West Midlands: every principal council of the region, default curves, targets and a few reductions.
# --------------------------------------------------------------------------------------------------

#: 2.5 % of net budget, the middle of the 2-3 % a year councils commonly plan to save. Sharing alone
#: cannot reach it for the county councils and Solihull, whose spend is mostly protected education and
#: adult social care (at most ~1.5-2.4 % of net budget even in the largest allowed partnerships), and
#: only just for some metropolitan boroughs; districts, whose central services are large next to their
#: net budget, reach it easily. So reductions matter for some councils and not for others.
WEST_MIDLANDS_TARGET_PCT = 0.025

#: Share of the annual saving a reduction costs once (redundancy, contract exits): half a year, so it
#: repays well inside the two years of the LGA case studies.
REDUCTION_ONE_OFF_SHARE = 0.5

#: (council, service, reduction_pct, impact). Only non-statutory or partial cuts of statutory lines; the
#: impact scores are illustrative (a 0-10 harm score per level), not any council's own ranking.
WEST_MIDLANDS_REDUCTIONS: tuple[tuple[str, str, float, float], ...] = (
    ("Staffordshire", "Cultural and related", 0.10, 2),
    ("Staffordshire", "Cultural and related", 0.25, 6),
    ("Staffordshire", "Planning and development", 0.10, 4),
    ("Staffordshire", "Environmental and regulatory", 0.05, 5),
    ("Warwickshire", "Cultural and related", 0.10, 3),
    ("Warwickshire", "Cultural and related", 0.25, 7),
    ("Warwickshire", "Planning and development", 0.10, 3),
    ("Solihull", "Cultural and related", 0.10, 2),
    ("Solihull", "Cultural and related", 0.25, 5),
    ("Solihull", "Environmental and regulatory", 0.05, 6),
    ("Worcestershire", "Cultural and related", 0.10, 3),
    ("Worcestershire", "Planning and development", 0.10, 5),
    ("Worcestershire", "Environmental and regulatory", 0.05, 4),
    ("Sandwell", "Cultural and related", 0.10, 4),
    ("Sandwell", "Planning and development", 0.15, 6),
    ("Wolverhampton", "Cultural and related", 0.10, 3),
)


def _reduction_rows(services: list[dict], plan) -> list[dict]:
    cost = {(s["council"], s["service"]): s["annual_cost"] for s in services}
    rows = []
    for council, service, pct, impact in plan:
        annual = cost[(council, service)]  # KeyError = the example no longer matches the data
        one_off = round(REDUCTION_ONE_OFF_SHARE * pct * annual, -3)
        rows.append({"council": council, "service": service, "reduction_pct": pct,
                     "impact": impact, "one_off_cost": int(one_off)})
    return rows


def build_west_midlands():
    """(tables, sources) for the West Midlands' principal councils in the 2023-24 outturn."""
    outturn, geography = _load()
    result = build_tables(outturn, geography, regions=["West Midlands"], target_pct=WEST_MIDLANDS_TARGET_PCT)
    tables = dict(result.tables)
    tables["Reductions"] = _reduction_rows(tables["Services"], WEST_MIDLANDS_REDUCTIONS)
    sources = result.sources + [
        {"topic": "councils", "figure": "principal councils of the West Midlands region; Birmingham, Cannock Chase "
         "and Stafford are left out because their 2023-24 outturn is suppressed ([x])", "source": "import warnings"},
        {"topic": "savings target", "figure": f"{WEST_MIDLANDS_TARGET_PCT:.1%} of net budget for every council",
         "source": "Assumption: middle of the 2-3 % a year councils commonly plan to save; chosen so sharing alone "
         "meets it for districts but not for the county councils"},
        {"topic": "reductions", "figure": "levels of cultural, planning and environmental spending; impact scores "
         f"are illustrative; one-off cost = {REDUCTION_ONE_OFF_SHARE:g} x annual saving",
         "source": "Assumption for the example, not any council's own plan"},
    ]
    return tables, sources


# --------------------------------------------------------------------------------------------------
# Tri-borough: three neighbouring London boroughs, three lines, a curve to check by hand.
# --------------------------------------------------------------------------------------------------

TRI_BOROUGH = ("Hammersmith and Fulham", "Kensington and Chelsea", "Westminster")
TRI_BOROUGH_SERVICES = ("Central services", "Children's social care", "Cultural and related")

#: Saving of a three-borough partnership, calibrated so that sharing all three lines saves about the
#: £40 m a year tri-borough targeted (2023-24 costs: £31.6 m + £7.1 m + £2.3 m = £41.0 m). Central
#: services 10 %: senior management roughly halved, on a line that is not all management. Two boroughs
#: save 3/4 of it (duplicated overhead x (1 - 1/n): 1/2 against 2/3).
TRI_BOROUGH_SAVING_3 = {"Central services": 0.10, "Children's social care": 0.04, "Cultural and related": 0.05}

#: Savings targets in £: the triple partnership meets each, no pair does for Hammersmith and Fulham.
TRI_BOROUGH_TARGETS = {"Hammersmith and Fulham": 10_000_000, "Kensington and Chelsea": 12_000_000,
                       "Westminster": 15_000_000}


def _tri_borough_curve() -> list[dict]:
    rows = []
    for service, saving3 in TRI_BOROUGH_SAVING_3.items():
        for partners, saving in ((2, round(saving3 * 0.75, 4)), (3, saving3)):
            rows.append({"service": service, "partners": partners, "saving_pct": saving,
                         "one_off_pct": round(PAYBACK_YEARS * saving, 4), "staff_reduction_pct": saving,
                         "max_distance_km": None})
    return rows


def build_tri_borough():
    """(tables, sources) for Hammersmith & Fulham, Kensington & Chelsea and Westminster (2023-24)."""
    outturn, geography = _load()
    result = build_tables(outturn, geography, councils=TRI_BOROUGH)
    councils = [dict(row, savings_target=TRI_BOROUGH_TARGETS[row["council"]], savings_target_pct=None)
                for row in result.tables["Councils"]]
    services = [row for row in result.tables["Services"] if row["service"] in TRI_BOROUGH_SERVICES]
    tables = {"Councils": councils, "Services": services, "Sharing": _tri_borough_curve(), "Settings": []}
    sources = [row for row in result.sources
               if row["topic"] not in ("sharing curve", "front-line saving", "time limit")]  # its own, and 60 s
    sources += [
        {"topic": "sharing curve", "figure": "3 boroughs: central services 10 %, children's social care 4 %, cultural "
         "5 % (sharing all three saves ~£41.0 m a year on 2023-24 costs); 2 boroughs: 3/4 of that; no distance limit "
         "(the town halls are within 5 km)", "source": f"Calibrated to the ~£40 m a year of {SOURCE_TRIBOROUGH}"},
        {"topic": "savings target", "figure": "£10 m, £12 m, £15 m a year", "source": "Assumption for the example"},
    ]
    return tables, sources


def main() -> None:
    from optimizer.workbook.template import write_input_workbook

    # Regenerating the shipped examples is the point of this command, so replace them if the writer
    # protects existing files.
    extra = {"force": True} if "force" in inspect.signature(write_input_workbook).parameters else {}
    out = ROOT / "inputs"
    out.mkdir(exist_ok=True)
    for name, build in (("west_midlands", build_west_midlands), ("tri_borough", build_tri_borough)):
        tables, sources = build()
        path = out / f"{name}.xlsx"
        write_input_workbook(tables, path, sources=sources, **extra)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
