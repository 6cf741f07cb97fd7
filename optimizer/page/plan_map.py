"""The map of a plan as a Plotly figure: councils at their coordinates, each partnership its service's colour.

Plain x/y scatter in kilometres (Lambert's cylindrical equal-area projection, true at the councils' mean
latitude), not Plotly's geo traces, whose outlines are fetched from a CDN. One line trace and one
centre-marker trace per service, whatever the number of partnerships: England's hundreds draw at once.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.colors import qualitative

EARTH_KM = 6371.0
MET_COLOURS = {"yes": "#1a9850", "no": "#d73027", "": "#7f7f7f"}
SYMBOLS = {"council": "circle", "police": "square", "fire": "diamond"}  # any other body: a triangle
PALETTE = qualitative.Dark24
PAD_KM = 2.0
LABELLED = 60  # councils named on the map itself up to this many


@dataclass(frozen=True)
class Place:
    name: str
    x: float
    y: float


def project(points: dict[str, tuple[float, float]]) -> dict[str, Place]:
    """Latitude/longitude to km on an equal-area map centred on the points (areas and nearby distances true)."""
    if not points:
        return {}
    lat0 = math.radians(sum(lat for lat, _ in points.values()) / len(points))
    lon0 = sum(lon for _, lon in points.values()) / len(points)
    scale = math.cos(lat0)
    return {name: Place(name, EARTH_KM * math.radians(lon - lon0) * scale,
                        EARTH_KM * (math.sin(math.radians(lat)) - math.sin(lat0)) / scale)
            for name, (lat, lon) in points.items()}


def hull(places: list[Place]) -> list[Place]:
    """The convex hull, closed (first point again at the end); two places give their line."""
    points = sorted(set((p.x, p.y) for p in places))
    if len(points) <= 2:
        return [Place("", x, y) for x, y in points]

    def half(seq):
        chain: list[tuple[float, float]] = []
        for p in seq:
            while len(chain) >= 2 and _turn(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain[:-1]

    ring = half(points) + half(reversed(points))
    return [Place("", x, y) for x, y in ring + ring[:1]]


def _turn(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def service_colours(services: list[str]) -> dict[str, str]:
    return {service: PALETTE[i % len(PALETTE)] for i, service in enumerate(services)}


def map_figure(places: dict[str, Place], councils: list[dict], partnerships: list[dict],
               colours: dict[str, str]) -> go.Figure:
    """``councils``: name, met ('yes'/'no'/''), body_type, hover; ``partnerships``: service, members, hover."""
    figure = go.Figure()
    for service, colour in colours.items():
        groups = [p for p in partnerships if p["service"] == service]
        xs, ys, cx, cy, hovers = [], [], [], [], []
        for group in groups:
            members = [places[m] for m in group["members"] if m in places]
            if not members:
                continue
            for p in hull(members):
                xs.append(p.x)
                ys.append(p.y)
            xs.append(None)  # a gap: the next partnership is a new shape of the same trace
            ys.append(None)
            cx.append(sum(p.x for p in members) / len(members))
            cy.append(sum(p.y for p in members) / len(members))
            hovers.append(group["hover"])
        meta = {"role": "partnerships", "service": service}
        figure.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=_faint(colour), line={"color": colour, "width": 2},
            name=f"{as_text(service)} ({len(groups)})", legendgroup=service, hoverinfo="skip", meta=meta))
        figure.add_trace(go.Scatter(
            x=cx, y=cy, mode="markers", marker={"color": colour, "size": 6, "symbol": "x-thin-open", "line": {"width": 2, "color": colour}},
            name=as_text(service), legendgroup=service, showlegend=False, hovertext=hovers, hoverinfo="text",
            meta={**meta, "role": "centres"}))
    located = [c for c in councils if c["name"] in places]
    figure.add_trace(go.Scatter(
        x=[places[c["name"]].x for c in located], y=[places[c["name"]].y for c in located],
        # names beside the markers while they fit; on a larger map they are in the hover and the panel
        mode="markers+text" if len(located) <= LABELLED else "markers", textposition="top center",
        textfont={"size": 10, "color": "#333"}, name="Councils",
        text=[as_text(c["name"]) for c in located], hovertext=[c["hover"] for c in located], hoverinfo="text",
        customdata=[c["index"] for c in located],
        marker={"size": 10, "color": [MET_COLOURS.get(c["met"], MET_COLOURS[""]) for c in located],
                "symbol": [SYMBOLS.get(c["body_type"], "triangle-up") for c in located],
                "line": {"width": 1, "color": "#222"}},
        selected={"marker": {"size": 16}}, unselected={"marker": {"opacity": 0.45}},
        meta={"role": "councils"}))
    figure.update_layout(
        xaxis={"visible": False, "range": _padded([p.x for p in places.values()])},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1, "range": _padded([p.y for p in places.values()])},
        plot_bgcolor="#f4f7fb", paper_bgcolor="white", height=720, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        hovermode="closest", clickmode="event", dragmode="pan",
        legend={"title": {"text": "Partnerships by service"}, "itemsizing": "constant"},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Arial, sans-serif"})
    return figure


def _padded(values: list[float]) -> list[float] | None:
    """The axis range with room for the names beside the markers at its edges (at least 2 km)."""
    if not values:
        return None
    low, high = min(values), max(values)
    pad = max(0.1 * (high - low), PAD_KM)
    return [low - pad, high + pad]


def as_text(value: str) -> str:
    """A name for Plotly, which reads its strings as HTML (<b>, <a href>): escaped, a name is only ever text.
    Quotes stay: Plotly decodes &lt; &gt; &amp; but shows &quot; as it is."""
    return html.escape(str(value), quote=False)


def _faint(colour: str) -> str:
    colour = colour.lstrip("#")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red},{green},{blue},0.08)"
