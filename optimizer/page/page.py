"""The plan page of SPEC.md section 8: one HTML file, everything inlined, nothing fetched.

Plotly draws the map and the scenarios chart (its plotly.min.js is written into the page); a strict
Content-Security-Policy forbids the page any request, so it opens the same from a laptop on a train.
Every figure is the workbook's cell value, printed in the writer's number format (``figures``).
"""

from __future__ import annotations

import html
import json
from collections import Counter
from importlib import resources
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from optimizer.page import plan_map
from optimizer.page.figures import column_shown, is_figure
from optimizer.page.read import Book, Table

# No request of any kind may leave the page: scripts and styles are inline, images are data: URLs.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")
HEADLINE = (("status", "Status"), ("total_annual_saving", "Saved a year"), ("total_one_off_cost", "One-off cost"),
            ("net_benefit", "Net benefit"), ("total_shortfall", "Shortfall against targets"),
            ("councils_meeting_target", "Councils meeting their target"), ("partnerships", "Partnerships"),
            ("reductions", "Reductions"))
COUNCIL_FIGURES = (("target", "Target"), ("saving_from_sharing", "Saving from sharing"),
                   ("saving_from_reductions", "Saving from reductions"), ("total_saving", "Total saving"),
                   ("shortfall", "Shortfall"), ("target_met", "Target met"), ("one_off_cost", "One-off cost"))
SCENARIO_METRICS = ("status", "gap", "total_annual_saving", "total_one_off_cost", "net_benefit", "total_shortfall",
                    "total_impact", "councils_meeting_target", "partnerships", "added", "dropped",
                    "net_benefit_vs_first")
CHART_SERIES = (("total_shortfall", "Total shortfall (£)", "y"), ("net_benefit", "Net benefit (£)", "y"),
                ("total_impact", "Total impact (right axis)", "y2"))
OPEN_TABLES = ("Summary", "Partnerships", "Scenarios")
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "scrollZoom": True,
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def describe(book: Book) -> str:
    """What the page shows, in one line for the terminal."""
    if book.kind == "scenarios":
        return f"{len(book.tables['Scenarios'].rows)} scenarios side by side"
    councils = book.tables["Councils"].records()
    placed = sum(is_figure(c.get("latitude")) and is_figure(c.get("longitude")) for c in councils)
    return (f"{len(councils)} councils ({placed} on the map), {len(book.tables['Partnerships'].rows)} partnerships")


def render_page(book: Book) -> str:
    body = plan_body(book) if book.kind == "plan" else scenarios_body(book)
    title = f"{'Plan' if book.kind == 'plan' else 'Scenarios'}: {book.name}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{_asset('page.css')}</style>\n"
            f"<script>{_asset('script.js')}</script>\n</head>\n"
            f'<body data-kind="{book.kind}">\n<h1>{esc(title)}</h1>\n{body}\n</body></html>\n')


# --------------------------------------------------------------------------------------------------
# A plan: headline, map with the council panel, tables
# --------------------------------------------------------------------------------------------------


def plan_body(book: Book) -> str:
    summary = {row[0]: row[1] for row in book.tables["Summary"].rows if len(row) > 1}
    councils = book.tables["Councils"].records()
    partnerships = book.tables["Partnerships"].records()
    services = list(dict.fromkeys(str(p["service"]) for p in partnerships))
    colours = plan_map.service_colours(services)
    members = partnership_members(book)
    places = plan_map.project({str(c["council"]): (float(c["latitude"]), float(c["longitude"]))
                               for c in councils if is_figure(c.get("latitude")) and is_figure(c.get("longitude"))})
    data = {"councils": council_data(book, members), "colours": colours}
    figure = plan_map.map_figure(
        places,
        [{"name": str(c["council"]), "index": i, "met": str(c.get("target_met") or ""),
          "body_type": str(c.get("body_type") or "council"), "hover": council_hover(c)} for i, c in enumerate(councils)],
        [{"service": str(p["service"]), "members": members.get(str(p["partnership"]), []), "hover": partnership_hover(p)}
         for p in partnerships],
        colours)
    unplaced = [str(c["council"]) for c in councils if str(c["council"]) not in places]
    return "\n".join([
        json_script("page-data", data),  # before the map: its script reads it
        headline(summary),
        controls(services, councils),
        # the panel first: Plotly sizes the map to the room the panel leaves when the map's script runs
        '<div class="map-and-panel"><aside id="council-panel"><p>Click a council on the map, or pick one above, '
        "to see its savings against its target and its partners.</p></aside>",
        plot_html(figure, "plan-map", post_script="consolidatePage('{plot_id}');"),
        "</div>",
        '<p class="note key">On the map: <span class="met">&#9679;</span> target met, <span class="short">&#9679;'
        '</span> short, <span class="none">&#9679;</span> no target; &#9679; a council, &#9632; police, &#9670; fire, '
        "&#9650; another body; &#215; a partnership's centre (its saving on hover). Scroll to zoom, drag to move; "
        "click a service in the legend to hide it, double-click to show it alone.</p>",
        unplaced_note(unplaced),
        tables_html(book),
    ])


def partnership_members(book: Book) -> dict[str, list[str]]:
    """Each partnership's members: from Membership (one row each), else its councils cell split at '; '."""
    members: dict[str, list[str]] = {}
    if "Membership" in book.tables:
        for row in book.tables["Membership"].records():
            members.setdefault(str(row["partnership"]), []).append(str(row["council"]))
        return members
    return {str(p["partnership"]): [name.strip() for name in str(p["councils"]).split(";") if name.strip()]
            for p in book.tables["Partnerships"].records()}


def council_data(book: Book, members: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each council's figures for the panel, formatted, with what it shares (and with whom) and its reductions."""
    shares: dict[str, list[dict]] = {}
    for p in book.tables["Partnerships"].records():
        group = members.get(str(p["partnership"]), [])
        for name in group:
            shares.setdefault(name, []).append({"service": str(p["service"]), "partners": [m for m in group if m != name],
                                                "saving": column_shown("annual_saving", p["annual_saving"])})
    cuts: dict[str, list[dict]] = {}
    for r in book.tables["Reductions"].records() if "Reductions" in book.tables else []:
        cuts.setdefault(str(r["council"]), []).append({
            "service": str(r["service"]), "pct": column_shown("reduction_pct", r.get("reduction_pct")),
            "saving": column_shown("annual_saving", r.get("annual_saving"))})
    return [{"name": str(c["council"]), "index": i, "body_type": str(c.get("body_type") or "council"),
             "figures": [[field, label, council_figure(field, c.get(field))] for field, label in COUNCIL_FIGURES],
             "partnerships": shares.get(str(c["council"]), []), "reductions": cuts.get(str(c["council"]), []),
             "why_short": str(c.get("why_short") or "")}  # the reason a council is left short, where the plan says
            for i, c in enumerate(book.tables["Councils"].records())]


def council_figure(field: str, value: Any) -> str:
    text = column_shown(field, value)
    return text or ("no target" if field in ("target", "target_met") else "")


def council_hover(council: dict) -> str:
    target = council.get("target")
    against = f" of its {column_shown('target', target)} target" if is_figure(target) else " (no target)"
    return (f"<b>{plan_map.as_text(council['council'])}</b><br>saves {column_shown('total_saving', council.get('total_saving'))}"
            f"{against}")


def partnership_hover(partnership: dict) -> str:
    return (f"<b>{plan_map.as_text(partnership['partnership'])}</b><br>{column_shown('annual_saving', partnership['annual_saving'])}"
            f" a year, {column_shown('one_off_cost', partnership['one_off_cost'])} once")


def headline(summary: dict[str, Any]) -> str:
    cards = []
    for metric, label in HEADLINE:
        if metric not in summary:
            continue
        text = column_shown(metric, summary[metric])
        if not text:  # no plan: no totals to show
            continue
        if metric == "councils_meeting_target" and "councils_with_target" in summary:
            text += f" of {column_shown('councils_with_target', summary['councils_with_target'])}"
        cards.append(f'<div class="card"><span>{esc(label)}</span><b data-metric="{metric}">{esc(text)}</b></div>')
    words = "".join(f'<p class="brief" id="{key.replace("_", "-")}">{esc(summary[key])}</p>'
                    for key in ("plan_in_brief", "status_explained") if summary.get(key))
    return f'<section class="headline">{"".join(cards)}</section>\n{words}'


def controls(services: list[str], councils: list[dict]) -> str:
    service_options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in services)
    council_options = "".join(f'<option value="{i}">{esc(c["council"])}</option>'
                              for i, c in sorted(enumerate(councils), key=lambda ic: str(ic[1]["council"]).casefold()))
    return (f'<div class="controls"><label>Service <select id="service-filter"><option value="">every service'
            f"</option>{service_options}</select></label> <label>Council <select id=\"council-picker\">"
            f'<option value="">pick a council</option>{council_options}</select></label></div>')


def unplaced_note(unplaced: list[str]) -> str:
    if not unplaced:
        return ""
    return (f'<p class="note" id="unplaced">Not on the map (no latitude and longitude in the workbook): '
            f"{esc(', '.join(unplaced))}.</p>")


# --------------------------------------------------------------------------------------------------
# Scenarios: side by side, the chart, the tables
# --------------------------------------------------------------------------------------------------


def scenarios_body(book: Book) -> str:
    scenarios = book.tables["Scenarios"].records()
    header = book.tables["Scenarios"].header
    changed = list(header[1:header.index("status")])  # the values each scenario changes
    return "\n".join([
        side_by_side(scenarios, changed),
        plot_html(scenario_chart(scenarios), "scenario-chart"),
        change_counts(book),
        tables_html(book),
    ])


def side_by_side(scenarios: list[dict], changed: list[str]) -> str:
    names = "".join(f'<th scope="col">{esc(s["scenario"])}</th>' for s in scenarios)
    rows = []
    for metric in [*changed, *(m for m in SCENARIO_METRICS if scenarios and m in scenarios[0])]:
        cells = "".join(f'<td class="{_align(s.get(metric))}" data-scenario="{esc(s["scenario"])}" '
                        f'data-metric="{esc(metric)}">{esc(column_shown(metric, s.get(metric)))}</td>' for s in scenarios)
        rows.append(f'<tr><th scope="row">{esc(metric)}</th>{cells}</tr>')
    return (f'<h2>The scenarios side by side</h2>\n<div class="scroll"><table id="side-by-side">'
            f"<thead><tr><th></th>{names}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def scenario_chart(scenarios: list[dict]) -> go.Figure:
    names = [plan_map.as_text(s["scenario"]) for s in scenarios]
    figure = go.Figure()
    for metric, label, axis in CHART_SERIES:
        values = [s.get(metric) if is_figure(s.get(metric)) else None for s in scenarios]
        text = [column_shown(metric, v) for v in values]
        trace = go.Bar if axis == "y" else go.Scatter
        extra = {} if axis == "y" else {"mode": "lines+markers"}
        figure.add_trace(trace(x=names, y=values, name=label, yaxis=axis, hovertext=text, hoverinfo="text+name",
                               meta={"metric": metric}, **extra))
    figure.update_layout(barmode="group", height=460, margin={"l": 60, "r": 60, "t": 30, "b": 80},
                         yaxis={"title": {"text": "£"}, "tickprefix": "£", "separatethousands": True},
                         yaxis2={"title": {"text": "impact"}, "overlaying": "y", "side": "right", "rangemode": "tozero"},
                         legend={"orientation": "h"},
                         font={"family": "system-ui, -apple-system, 'Segoe UI', Arial, sans-serif"})
    return figure


def change_counts(book: Book) -> str:
    counts = Counter((str(r["scenario"]), str(r["change"])) for r in book.tables["Changes"].records())
    if not counts:
        return ("<p>No scenario's plan differs from the first scenario's in its partnerships (a scenario without "
                "a plan lists no changes).</p>")
    names = dict.fromkeys(name for name, _ in counts)
    items = "".join(f"<li>{esc(name)}: {counts[name, 'added']} partnerships added, {counts[name, 'dropped']} dropped</li>"
                    for name in names)
    return f"<h2>Against the first scenario's plan</h2><ul>{items}</ul>"


# --------------------------------------------------------------------------------------------------
# Shared parts
# --------------------------------------------------------------------------------------------------


def tables_html(book: Book) -> str:
    return "<h2>The workbook's tables</h2>\n" + "\n".join(table_html(t) for t in book.tables.values())


def table_html(table: Table) -> str:
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in table.header)
    body = []
    for row in table.rows:
        cells = "".join(f'<td class="{_align(v)}">{esc(column_shown(_format_of(table, row, h), v))}</td>'
                        for h, v in zip(table.header, row))
        body.append(f"<tr>{cells}</tr>")
    opened = " open" if table.sheet in OPEN_TABLES else ""
    slug = "".join(ch if ch.isalnum() else "-" for ch in table.sheet.lower())
    return (f'<details{opened} id="table-{slug}"><summary>{esc(table.sheet)} ({len(table.rows)} rows)</summary>'
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div></details>')


def _format_of(table: Table, row: tuple, column: str) -> str:
    """The column whose number format a cell takes: a Summary value takes its metric's."""
    return str(row[0]) if table.sheet == "Summary" and column == "value" else column


def plot_html(figure: go.Figure, div_id: str, *, post_script: str | None = None) -> str:
    """The figure as a div carrying plotly.min.js itself (each page has one figure)."""
    return pio.to_html(figure, include_plotlyjs=True, full_html=False,
                       div_id=div_id, config=PLOT_CONFIG, post_script=post_script, default_height=None)


def json_script(element_id: str, data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" can end it early
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _align(value: Any) -> str:
    return "num" if is_figure(value) else "text"


def _asset(name: str) -> str:
    return resources.files("optimizer.page").joinpath(name).read_text(encoding="utf-8")
