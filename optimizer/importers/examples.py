"""The shipped example workbooks, built from the real 2023-24 outturn in ``data/``.

``python -m optimizer.importers.examples`` writes ``inputs/west_midlands.xlsx`` (with the region's police
and fire bodies), ``inputs/tri_borough.xlsx`` and ``inputs/priorities.xlsx`` (an Objectives sheet).
"""

from __future__ import annotations

import inspect
from pathlib import Path

from optimizer.importers.assumptions import PAYBACK_YEARS, SOURCE_TRIBOROUGH
from optimizer.importers.geography import read_geography
from optimizer.importers.input_tables import build_tables
from optimizer.importers.outturn import read_outturn
from optimizer.workbook.schema import normalise

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
    """(tables, sources) for the West Midlands' principal councils and its police and fire bodies (2023-24)."""
    outturn, geography = _load()
    result = build_tables(outturn, geography, regions=["West Midlands"], target_pct=WEST_MIDLANDS_TARGET_PCT,
                          bodies=("police", "fire"))
    tables = dict(result.tables)
    tables["Reductions"] = _reduction_rows(tables["Services"], WEST_MIDLANDS_REDUCTIONS)
    sources = result.sources + [
        {"topic": "councils", "figure": "principal councils of the West Midlands region; Birmingham, Cannock Chase "
         "and Stafford are left out because their 2023-24 outturn is suppressed ([x])", "source": "import warnings"},
        {"topic": "police and fire bodies", "figure": "the region's four police forces (West Midlands, West Mercia, "
         "Staffordshire, Warwickshire) and four fire and rescue authorities (West Midlands, Hereford & Worcester, "
         "Shropshire, Staffordshire); Warwickshire's fire service is the county council's own line; the same target "
         "share of net budget as the councils", "source": "import-outturn --bodies police,fire"},
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


# --------------------------------------------------------------------------------------------------
# Priorities: South Worcestershire's three councils, one that must cut, and what it protects.
# --------------------------------------------------------------------------------------------------

#: Malvern Hills, Worcester and Wychavon already share services (the South Worcestershire shared services).
PRIORITIES_COUNCILS = ("Malvern Hills", "Worcester", "Wychavon")
PRIORITIES_CUTTER = "Worcester"
#: Objectives and weights: ILLUSTRATIVE, not any council's own. Protecting the vulnerable counts most.
PRIORITIES_OBJECTIVES: tuple[tuple[str, float, str], ...] = (
    ("Protecting the vulnerable", 5, "Harm to residents who depend on the council (ILLUSTRATIVE weight)"),
    ("Prosperity", 2, "Harm to the local economy and town centres (ILLUSTRATIVE weight)"),
    ("Jobs", 1, "Harm to local employment (ILLUSTRATIVE weight)"),
)
#: Worcester's alternative cuts (service, reduction_pct, score per objective in the order above), all
#: ILLUSTRATIVE. Each alone closes the gap sharing leaves. Unweighted, environmental (4 points) harms
#: least; weighted, planning (9, against 15 and 20) does: it spares the vulnerable.
PRIORITIES_REDUCTIONS: tuple[tuple[str, float, tuple[float, ...]], ...] = (
    ("Cultural and related", 0.10, (2, 2, 1)),
    ("Environmental and regulatory", 0.05, (4, 0, 0)),
    ("Planning and development", 0.10, (0, 3, 3)),
)
#: The partners' target: 2 % of net budget, which sharing meets.
PRIORITIES_PARTNER_TARGET_PCT = 0.02


def _most_sharing_saves(services: list[dict], sharing: list[dict], council: str) -> float:
    """The largest annual saving sharing can give ``council``: each service in its best partnership."""
    best = {}
    for row in sharing:
        best[row["service"]] = max(best.get(row["service"], 0.0), row["saving_pct"])
    return sum(best.get(s["service"], 0.0) * s["annual_cost"]
               for s in services if s["council"] == council and s["shareable"])


def build_priorities():
    """(tables, sources) for the priorities example: Reductions carry one score column per objective,
    keyed by its canonical name as ``write_input_workbook`` expects."""
    outturn, geography = _load()
    result = build_tables(outturn, geography, councils=PRIORITIES_COUNCILS)
    tables = dict(result.tables)
    cost = {(s["council"], s["service"]): s["annual_cost"] for s in tables["Services"]}
    names = [name for name, _, _ in PRIORITIES_OBJECTIVES]
    reductions = []
    for service, pct, scores in PRIORITIES_REDUCTIONS:
        annual = cost[(PRIORITIES_CUTTER, service)]
        reductions.append({"council": PRIORITIES_CUTTER, "service": service, "reduction_pct": pct, "impact": 0,
                           "one_off_cost": int(round(REDUCTION_ONE_OFF_SHARE * pct * annual, -3)),
                           **dict(zip(map(normalise, names), scores))})
    # Worcester's target: all sharing can give, plus half the smallest cut: one cut is needed, any one will do.
    smallest = min(r["reduction_pct"] * cost[(PRIORITIES_CUTTER, r["service"])] for r in reductions)
    target = _most_sharing_saves(tables["Services"], tables["Sharing"], PRIORITIES_CUTTER) + smallest / 2
    tables["Councils"] = [
        dict(row, savings_target=int(round(target, -3)), savings_target_pct=None) if row["council"] == PRIORITIES_CUTTER
        else dict(row, savings_target_pct=PRIORITIES_PARTNER_TARGET_PCT) for row in tables["Councils"]]
    tables["Reductions"] = reductions
    tables["Objectives"] = [{"objective": n, "weight": w, "description": d} for n, w, d in PRIORITIES_OBJECTIVES]
    sources = result.sources + [
        {"topic": "ILLUSTRATIVE objectives", "figure": "Objectives, weights and every score in Reductions are "
         "ILLUSTRATIVE, made up to show priority-based budgeting; they are no council's own",
         "source": "Assumption for the example"},
        {"topic": "savings target", "figure": f"{PRIORITIES_CUTTER}: £{int(round(target, -3)):,}, all sharing can "
         f"save it plus half its smallest reduction, so one reduction is needed; the others "
         f"{PRIORITIES_PARTNER_TARGET_PCT:.0%} of net budget",
         "source": "Assumption for the example: the optimum must choose which cut harms least"},
        {"topic": "reductions", "figure": f"one-off cost = {REDUCTION_ONE_OFF_SHARE:g} x annual saving; impact column 0, "
         "so a reduction's impact is the sum of weight x score over the objectives",
         "source": "Assumption for the example"},
    ]
    return tables, sources


def write_examples(out: Path) -> list[Path]:
    """Write the shipped examples into ``out``, replacing them; returns their paths."""
    from optimizer.workbook.template import write_input_workbook

    # Regenerating the shipped examples is the point of this command, so replace them if the writer
    # protects existing files.
    extra = {"force": True} if "force" in inspect.signature(write_input_workbook).parameters else {}
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in (("west_midlands", build_west_midlands), ("tri_borough", build_tri_borough),
                        ("priorities", build_priorities)):
        tables, sources = build()
        path = out / f"{name}.xlsx"
        write_input_workbook(tables, path, sources=sources, **extra)
        paths.append(path)
    return paths


def main() -> None:
    for path in write_examples(ROOT / "inputs"):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
