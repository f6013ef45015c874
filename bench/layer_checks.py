"""What the layer review checks cost on a 100,000-point track (issue 11).

Run: `.venv/bin/python bench/layer_checks.py [--points 100000] [--repeat 5]`

Builds a ranger's wander of N points (one fix every 5 s) across a state border drawn as a
wiggly line of 20,000 vertices, and a park boundary polygon of 5,000 vertices, then times:

- baseline: `unpack_points` of the same track (what the review view already does for the
  other warnings, so the ratio says what the layer checks add to opening a patrol);
- `border_crossing_warnings` on the track that crosses the border many times (worst case:
  the whole line is intersected and every crossing located);
- the same on a track beside the border (inside the border's box, never touching it: the
  prepared `intersects` answers);
- `outside_park_warnings` for 1,000 observations;
- `layer_warnings` on a whole patrol (the crossing track plus the observations).

Prints milliseconds (best of `--repeat`) and each as a ratio to the baseline; exits 1 when a
100k-point border check takes a second or more.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import ranger_app  # noqa: F401 - only to see whether the package is importable
except ModuleNotFoundError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shapely.geometry import LineString, Polygon

from ranger_app.domain.layer_checks import (
    BorderLines,
    border_crossing_warnings,
    layer_warnings,
    outside_park_warnings,
    park_area,
)
from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
from ranger_app.domain.records import ObservationValue, PatrolValue, TrackValue
from ranger_app.domain.track import TrackPoint, pack_points, track_stats, unpack_points

START = datetime(2025, 1, 20, 23, 0, tzinfo=UTC)
BORDER_LON = 131.1


def walk(n: int, rng: random.Random, lon0: float, spread: float) -> bytes:
    """~1.2 m/s with a slowly turning heading, kept within `spread` degrees of `lon0`."""
    lat, lon, heading = 43.0, lon0, rng.uniform(0, 2 * math.pi)
    out = []
    for i in range(n):
        heading += rng.gauss(0, 0.15)
        step = max(0.0, rng.gauss(6.0, 2.0))
        lat += step * math.cos(heading) / 111_195
        lon += step * math.sin(heading) / (111_195 * math.cos(math.radians(lat)))
        if abs(lon - lon0) > spread or abs(lat - 43.0) > 0.2:
            heading += math.pi
        out.append(TrackPoint(lat, lon, None, START + timedelta(seconds=5 * i)))
    return pack_points(out)


def border_layer(vertices: int) -> MapLayer:
    lats = [42.0 + 2.0 * k / (vertices - 1) for k in range(vertices)]
    line = LineString([(BORDER_LON + 0.002 * math.sin(k / 7), lat) for k, lat in enumerate(lats)])
    return MapLayer("border", "State border", "state_border", default_style("state_border"),
                    (LayerFeature(line),))


def park_layer(vertices: int) -> MapLayer:
    ring = [(131.1 + 0.5 * math.cos(a) * (1 + 0.02 * math.sin(9 * a)),
             43.0 + 0.4 * math.sin(a)) for a in
            (2 * math.pi * k / vertices for k in range(vertices))]
    return MapLayer("park", "Park", "park_boundary", default_style("park_boundary"),
                    (LayerFeature(Polygon(ring)),))


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(11)
    crossing = walk(args.points, rng, BORDER_LON, 0.01)
    beside = walk(args.points, rng, BORDER_LON - 0.05, 0.03)
    layers = [border_layer(20_000), park_layer(5_000)]
    border = BorderLines.of(layers)
    park = park_area(layers)
    observations = [ObservationValue(uuid=f"o{i}", lat=42.4 + 1.2 * rng.random(),
                                     lon=130.4 + 1.4 * rng.random()) for i in range(1000)]
    patrol = PatrolValue(observations=observations,
                         tracks=[TrackValue(crossing, track_stats(unpack_points(crossing)),
                                            name="walk")])

    found = border_crossing_warnings("walk", crossing, border)
    crossings = found[0].count if found else 0
    rows = [
        ("baseline: unpack_points", lambda: unpack_points(crossing)),
        (f"border check, crossing track ({crossings} crossings)",
         lambda: border_crossing_warnings("walk", crossing, border)),
        ("border check, track beside the border",
         lambda: border_crossing_warnings("beside", beside, border)),
        ("outside-park check, 1,000 observations",
         lambda: outside_park_warnings(observations, park)),
        ("layer_warnings, whole patrol (layers prepared each time)",
         lambda: layer_warnings(patrol, layers)),
    ]
    results = [(name, best_ms(fn, args.repeat)) for name, fn in rows]
    base = results[0][1]
    print(f"{args.points:,} points, border of 20,000 vertices, park of 5,000 vertices, "
          f"best of {args.repeat}")
    for name, ms in results:
        print(f"  {name:<58} {ms:8.1f} ms  {ms / base:6.2f}x baseline")
    worst = max(ms for name, ms in results[1:3])
    return 0 if worst < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
