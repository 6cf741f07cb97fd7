"""The map's geometry: an equal-area projection in km, and each partnership's shape holding all its members."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.page.plan_map import EARTH_KM, Place, hull, project

COORDINATES = st.tuples(st.floats(49.9, 55.8), st.floats(-5.7, 1.8))  # England's extent


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


@given(st.lists(COORDINATES, min_size=1, max_size=8), st.floats(49.9, 55.8), st.floats(-5.7, 1.8))
@settings(max_examples=200, deadline=None)
def test_the_projection_keeps_areas(points, lat, lon):
    """A small lat/lon cell anywhere in England has its area on the sphere, whatever the other councils."""
    d = 0.01
    names = {f"c{i}": p for i, p in enumerate(points)}
    names.update({"sw": (lat, lon), "ne": (lat + d, lon + d)})
    at = project(names)
    width, height = at["ne"].x - at["sw"].x, at["ne"].y - at["sw"].y
    sphere = EARTH_KM ** 2 * math.radians(d) * (math.sin(math.radians(lat + d)) - math.sin(math.radians(lat)))
    assert math.isclose(width * height, sphere, rel_tol=1e-9)


def test_distances_within_a_region_read_true():
    """Across the West Midlands (about 150 km), map distances are within 1 % of the great-circle ones."""
    towns = {"Stoke": (53.0027, -2.1794), "Hereford": (52.0565, -2.7160), "Coventry": (52.4068, -1.5197),
             "Shrewsbury": (52.7073, -2.7553), "Worcester": (52.1920, -2.2200)}
    at = project(towns)
    for a in towns:
        for b in towns:
            if a < b:
                flat = math.hypot(at[a].x - at[b].x, at[a].y - at[b].y)
                assert math.isclose(flat, haversine_km(towns[a], towns[b]), rel_tol=0.01), (a, b)


@given(st.lists(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), min_size=1, max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_partnerships_shape_holds_every_member(points):
    places = [Place(f"p{i}", float(x), float(y)) for i, (x, y) in enumerate(points)]
    ring = hull(places)
    corners = {(p.x, p.y) for p in ring}
    assert corners <= {(p.x, p.y) for p in places}  # drawn through members only
    distinct = sorted({(p.x, p.y) for p in places})
    (x0, y0), (x1, y1) = distinct[0], distinct[-1]
    if all((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) == 0 for x, y in distinct):
        assert corners == {distinct[0], distinct[-1]}  # a point, or members in a row: the line between the two ends
        return
    assert (ring[0].x, ring[0].y) == (ring[-1].x, ring[-1].y)  # closed
    edges = list(zip(ring, ring[1:]))
    for p in places:  # every member inside or on the shape: left of (or on) each edge, counter-clockwise
        assert all((b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) >= 0 for a, b in edges)
    for (a, b), (_, c) in zip(edges, edges[1:] + edges[:1]):  # convex: every turn strictly left
        assert (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x) > 0
