"""Redrawing 20,000 forest-quarter polygons: frame times against the bare graticule.

Generates a grid of 20,000 quarters (about 1.0 × 1.0 km each, numbered, like a Russian
forestry's квартальная сеть) with a park boundary and a dashed state border, builds their
drawing data (timed: projection, simplification at every level, bucketing, all in the
worker function), and shows them on an offscreen 1280×800 `MapView`. It then times the
view's paintEvent at three zooms (the whole grid, zoom 11, zoom 13 with quarter numbers)
and while panning 200 frames of 32 px east across the grid at zoom 13 (the heaviest: every
bucket path, every label), first with the layers, then, at the same places, with the bare
graticule. Prints median, p95 and max of both and their ratios, and frames over 50 ms.

    .venv/bin/python bench/map_layers.py

Measured on the project's 2-CPU build machine (shared with other jobs), 2026-12-06:
    build drawing data for 20,000 quarters + park + border: 451 ms (401,411 vertices, all levels)
                      layers ms (median/p95/max)     bare ms (median/p95/max)  ratio med/p95
    whole grid          11.7  12.3  12.4             3.2  3.5  3.5             3.7  3.5
    zoom 11              7.7   8.3   8.4             3.9  4.2  4.4             2.0  1.9
    zoom 13 (191 labels) 7.9   8.4   8.6             2.9  3.1  3.1             2.7  2.7
    pan at zoom 13       8.8  15.2  56.1             3.1  3.5  3.7             2.9  4.4

One of the 200 pan frames went over 50 ms: it held a 47 ms full CPython garbage collection
(of the process's 104,000 objects, not of anything the layers allocate); less that pause the
worst frame with layers is 20.6 ms. Without the collector (gc.disable()) no frame passes
16 ms.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUARTERS = 20_000
SIDE_DEG = 0.0125  # a quarter's width in longitude (about 1 km at 43° N)
WEST, SOUTH = 130.25, 42.45
PAN_FRAMES = 200
STEP_PX = 32
REPEAT = 30  # frames per fixed zoom


def quarter_grid(n: int = QUARTERS):  # type: ignore[no-untyped-def]
    """The three layers: quarters in rows and columns, the park around them, a border."""
    from shapely.geometry import LineString, box

    from ranger_app.domain.layers import LayerFeature, MapLayer, default_style

    cols = math.ceil(math.sqrt(n))
    height = SIDE_DEG * 0.73  # about square on the ground at this latitude
    feats = []
    for k in range(n):
        i, j = k % cols, k // cols
        west, south = WEST + i * SIDE_DEG, SOUTH + j * height
        feats.append(LayerFeature(box(west, south, west + SIDE_DEG, south + height),
                                  label=str(k + 1), district="Bench"))
    east, north = WEST + cols * SIDE_DEG, SOUTH + math.ceil(n / cols) * height
    quarters = MapLayer("q", "Quarters", "forest_quarter", default_style("forest_quarter"),
                        tuple(feats))
    park = MapLayer("p", "Park", "park_boundary", default_style("park_boundary"),
                    (LayerFeature(box(WEST - 0.05, SOUTH - 0.05, east + 0.05, north + 0.05)),))
    steps = 400
    border = LineString([(WEST - 0.1 + (east - WEST + 0.2) * t / steps,
                          north + 0.06 + 0.03 * math.sin(t / 9)) for t in range(steps + 1)])
    state = MapLayer("b", "Border", "state_border", default_style("state_border"),
                     (LayerFeature(border),))
    return [quarters, park, state], (WEST, SOUTH, east, north)


def _stats(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def main() -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from ranger_app.ui.map_layers import R_MERCATOR, build_drawings
    from ranger_app.ui.map_view import MapView, project

    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                gc_pauses.append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)

    class TimedView(MapView):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []
            self.gc_in_frame: list[float] = []

        def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]
            before = len(gc_pauses)
            t0 = time.perf_counter()
            super().paintEvent(event)
            self.times.append(time.perf_counter() - t0)
            self.gc_in_frame.append(sum(gc_pauses[before:]))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    layers, (west, south, east, north) = quarter_grid()
    t0 = time.perf_counter()
    drawings = build_drawings(layers)
    build_s = time.perf_counter() - t0
    vertices = sum(b.vertices for d in drawings for lv in d.levels for b in lv.buckets)
    # the app keeps only the drawings (ui.layer_source); 20,000 live LayerFeature objects
    # kept here would make the collector's full passes (40 ms) land in the timed frames
    del layers
    gc.collect()
    view = TimedView()
    view.resize(1280, 800)
    view.show()
    app.processEvents()

    gc_frames: dict[str, list[float]] = {}

    def frames(positions: list[tuple[float, QPointF]]) -> list[float]:
        view.times.clear()
        view.gc_in_frame.clear()
        for scale, centre in positions:
            view._set_scale(scale)
            view.centerOn(centre)
            view.viewport().repaint()
        return list(view.times)

    def zoom_scale(z: float) -> float:
        return 256 * 2**z / (2 * math.pi * R_MERCATOR)

    middle = project((south + north) / 2, (west + east) / 2)
    whole = min(1280 / (project(south, east).x() - project(south, west).x()),
                800 / (project(south, west).y() - project(north, west).y()))
    cases = {
        "whole grid": [(whole, middle)] * REPEAT,
        "zoom 11": [(zoom_scale(11), middle)] * REPEAT,
        "zoom 13": [(zoom_scale(13), middle)] * REPEAT,
    }
    z13 = zoom_scale(13)
    start = project((south + north) / 2, west + 0.05)
    cases["pan at zoom 13"] = [(z13, QPointF(start.x() + (i + 1) * STEP_PX / z13, start.y()))
                               for i in range(PAN_FRAMES)]
    results = {}
    labels = {}
    no_gc: dict[str, list[float]] = {}
    for name, positions in cases.items():
        view.layers.set_drawings(drawings)
        frames(positions[:3])  # warm: bucket paths and label images made once, then cached
        with_layers = frames(positions)
        gc_frames[name] = [g for t, g in zip(with_layers, view.gc_in_frame, strict=True)
                           if t > 0.050 and g > 0]
        no_gc[name] = [t - g for t, g in zip(with_layers, view.gc_in_frame, strict=True)]
        labels[name] = len(view.layers.last.labels)
        view.layers.set_drawings([])
        bare = frames(positions)
        results[name] = (with_layers, bare)

    lines = [f"build drawing data for {QUARTERS:,} quarters + park + border: "
             f"{build_s * 1000:.0f} ms ({vertices:,} vertices over all levels)"]
    lines.append(f"{'':16} {'layers ms (median/p95/max)':>28} {'bare ms':>20} "
                 f"{'ratio median/p95':>17} {'>50ms':>6} labels")
    worst = 0.0
    for name, (lay, bare) in results.items():
        a, b = _stats(lay), _stats(bare)
        worst = max(worst, a[2])
        over = sum(t > 0.050 for t in lay)
        lines.append(f"{name:16} {a[0]*1e3:8.1f} {a[1]*1e3:8.1f} {a[2]*1e3:8.1f}   "
                     f"{b[0]*1e3:6.1f} {b[1]*1e3:6.1f} {b[2]*1e3:6.1f}   "
                     f"{a[0]/b[0]:6.1f} {a[1]/b[1]:6.1f}   {over:5d} {labels[name]:6d}")
    lines.append(f"worst frame with layers: {worst * 1000:.1f} ms (target: none over 50 ms)")
    lines.append("worst frame with layers, less the collector's pauses in it: "
                 f"{max(max(v) for v in no_gc.values()) * 1000:.1f} ms")
    for name, pauses in gc_frames.items():
        for g in pauses:
            lines.append(f"  {name}: a frame over 50 ms held a full CPython collection of "
                         f"{g * 1000:.0f} ms ({len(gc.get_objects()):,} objects in the process)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
