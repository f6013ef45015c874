"""The demo's vector layers: the park boundary, the state border west of it, a forest-quarter
grid in four forest districts and the cordons, registered as HQ would register real files.

The grid is what fire reports and feeding sites of the demo take their district and quarter
from (`place_in_grid`), so the quarter the editor finds on the map is the one the record
says.
"""

from __future__ import annotations

import math

from shapely.geometry import LineString, Point, box
from shapely.geometry import Polygon as ShapelyPolygon

from ranger_app.demo.places import FOREST_DISTRICTS, PARK, STATION_SPECS
from ranger_app.domain.layers import LayerFeature, LayerIndex, MapLayer, default_style
from ranger_app.store.db import Database
from ranger_app.store.layers import register_features

GRID = 20  # quarters across and down; 2 × 2 districts of 10 × 10
_MARGIN = 0.03  # degrees the boundary lies outside the park's box


def _boundary() -> ShapelyPolygon:
    """A rounded box (superellipse) a little larger than PARK."""
    cx, cy = (PARK.west + PARK.east) / 2, (PARK.south + PARK.north) / 2
    ax, ay = (PARK.east - PARK.west) / 2 + _MARGIN, (PARK.north - PARK.south) / 2 + _MARGIN
    ring = []
    for k in range(180):
        t = 2 * math.pi * k / 180
        c, s = math.cos(t), math.sin(t)
        ring.append((cx + ax * math.copysign(abs(c) ** (2 / 6), c),
                     cy + ay * math.copysign(abs(s) ** (2 / 6), s)))
    return ShapelyPolygon(ring)


def _border() -> LineString:
    """The state border west of the park, a gentle zig-zag from south to north."""
    west = PARK.west - 0.06
    steps = 12
    return LineString([(west + 0.015 * math.sin(k * 1.7),
                        PARK.south - 0.1 + (PARK.north - PARK.south + 0.2) * k / steps)
                       for k in range(steps + 1)])


def _cell(col: int, row: int) -> tuple[float, float, float, float]:
    dx, dy = (PARK.east - PARK.west) / GRID, (PARK.north - PARK.south) / GRID
    return (PARK.west + col * dx, PARK.south + row * dy,
            PARK.west + (col + 1) * dx, PARK.south + (row + 1) * dy)


def _district_and_number(col: int, row: int) -> tuple[str, str]:
    half = GRID // 2
    block = (1 - row // half) * 2 + col // half  # district 0 in the north-west
    number = (half - 1 - row % half) * half + col % half + 1  # 1 in each block's north-west
    return FOREST_DISTRICTS[block], str(number)


def quarter_features() -> tuple[LayerFeature, ...]:
    out = []
    for row in range(GRID):
        for col in range(GRID):
            district, number = _district_and_number(col, row)
            out.append(LayerFeature(box(*_cell(col, row)), label=number, district=district))
    return tuple(out)


def demo_layers() -> list[MapLayer]:
    """The layers as values (what `add_demo_layers` registers)."""
    cordons = tuple(LayerFeature(Point(s.lon, s.lat), label=s.name) for s in STATION_SPECS)
    return [
        MapLayer("", "Граница национального парка", "park_boundary",
                 default_style("park_boundary"), (LayerFeature(_boundary()),)),
        MapLayer("", "Государственная граница", "state_border", default_style("state_border"),
                 (LayerFeature(_border()),)),
        MapLayer("", "Лесные кварталы", "forest_quarter", default_style("forest_quarter"),
                 quarter_features()),
        MapLayer("", "Кордоны", "cordon", default_style("cordon"), cordons),
    ]


def quarter_index() -> LayerIndex:
    return LayerIndex([layer for layer in demo_layers() if layer.kind == "forest_quarter"])


def place_in_grid(lat: float, lon: float) -> tuple[str, str]:
    """(forest district, quarter number) of a demo position; ("", "") outside the grid."""
    col = math.floor((lon - PARK.west) / (PARK.east - PARK.west) * GRID)
    row = math.floor((lat - PARK.south) / (PARK.north - PARK.south) * GRID)
    if not (0 <= col < GRID and 0 <= row < GRID):
        return ("", "")
    return _district_and_number(col, row)


def add_demo_layers(db: Database) -> int:
    """Register the demo layers; returns how many were new."""
    added = 0
    for layer in demo_layers():
        result = register_features(db, layer.features, name=layer.name, kind=layer.kind,
                                   source_name="demo")
        added += result.created
    return added
