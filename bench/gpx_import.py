"""How much a GPX import costs beyond gpxpy's own parsing.

Run: `.venv/bin/python bench/gpx_import.py [--points 100000] [--repeat 3]`

Writes a realistic handheld track (one fix every 5 s, wandering inside the Land of the
Leopard: 42.6-43.4 N, 130.6-131.6 E, with elevations) to a temporary folder, then times
(a) bare `gpxpy.parse` of the file and (b) the whole `import_gpx_file` into a fresh database
(parse, validate, flag, statistics, store). Each runs in its own process, so its peak
memory (RSS) is its own. The import must take at most 2x gpxpy's parse time and stay under
400 MB at 500,000 points (issue 10): the script exits with status 1 when it does not.
`--points 500000` is the issue's case.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    import ranger_app  # noqa: F401 - only to see whether the package is importable
except ModuleNotFoundError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gpxpy

from ranger_app.io.gpx_import import import_gpx_file
from ranger_app.store.db import Database
from ranger_app.store.models import Station

SOUTH, NORTH, WEST, EAST = 42.6, 43.4, 130.6, 131.6
START = datetime(2025, 1, 20, 23, 0, tzinfo=UTC)  # 09:00 in Vladivostok
STEP_S = 5


def _walk(n: int, rng: random.Random) -> list[tuple[float, float, float]]:
    """A ranger's wander: ~1.2 m/s with a slowly turning heading, reflected at the box."""
    lat, lon, heading = 43.0, 131.1, rng.uniform(0, 2 * math.pi)
    out = []
    for i in range(n):
        heading += rng.gauss(0, 0.15)
        step = max(0.0, rng.gauss(6.0, 2.0))  # metres in 5 s
        lat += step * math.cos(heading) / 111_195
        lon += step * math.sin(heading) / (111_195 * math.cos(math.radians(lat)))
        if not SOUTH < lat < NORTH or not WEST < lon < EAST:
            heading += math.pi
            lat, lon = min(max(lat, SOUTH), NORTH), min(max(lon, WEST), EAST)
        ele = 350 + 250 * math.sin(i / 3000) + 40 * math.sin(i / 170) + rng.gauss(0, 2)
        out.append((lat, lon, ele))
    return out


def write_track(path: Path, n: int, seed: int = 7) -> None:
    """A GPX 1.1 file in the shape a Garmin handheld writes, with its extensions."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n'
                 '<gpx xmlns="http://www.topografix.com/GPX/1/1" '
                 'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" '
                 'creator="GPSMAP 66s" version="1.1">\n'
                 "  <trk>\n    <name>Обход 2025-01-21</name>\n    <trkseg>\n")
        for i, (lat, lon, ele) in enumerate(_walk(n, rng)):
            t = (START + timedelta(seconds=STEP_S * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            fh.write(f'      <trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele>'
                     f"<time>{t}</time><extensions><gpxtpx:TrackPointExtension>"
                     f"<gpxtpx:atemp>-18.0</gpxtpx:atemp></gpxtpx:TrackPointExtension>"
                     "</extensions></trkpt>\n")
        fh.write("    </trkseg>\n  </trk>\n</gpx>\n")


def fresh_database(folder: Path) -> Database:
    db = Database.open(folder / "bench.db", create=True)
    db.ensure_identity()
    with db.writer() as s:
        station = Station(code="KED", name="Кедровая падь")
        s.add(station)
    db.set_meta({"station_uuid": station.uuid})
    return db


def best_of(repeat: int, run: Callable[[int], None]) -> float:
    """The fastest of `repeat` runs: the least disturbed by the rest of the machine."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return min(times)


def _child(mode: str, path: Path, points: int) -> None:
    """One measured run in this process: prints its wall time."""
    start = time.perf_counter()
    if mode == "gpxpy":
        gpxpy.parse(path.read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory(prefix="gpx-bench-db-") as tmp:
            db = fresh_database(Path(tmp))
            result = import_gpx_file(db, path)
            assert result.points == points, result.points
            db.close()
    print(time.perf_counter() - start)


def measured(mode: str, path: Path, points: int) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a run in a fresh process."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(path),
                             "--points", str(points)], stdout=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"{mode} run failed")
    return float(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.points)
        return 0
    with tempfile.TemporaryDirectory(prefix="gpx-bench-") as tmp:
        path = Path(tmp) / "track.gpx"
        write_track(path, args.points)
        size_mb = path.stat().st_size / 1e6
        runs = {mode: [measured(mode, path, args.points) for _ in range(args.repeat)]
                for mode in ("gpxpy", "import")}
    parse_s = min(t for t, _m in runs["gpxpy"])
    import_s = min(t for t, _m in runs["import"])
    parse_mb = max(m for _t, m in runs["gpxpy"])
    import_mb = max(m for _t, m in runs["import"])
    ratio = import_s / parse_s
    print(f"points: {args.points:,} in a {size_mb:.1f} MB file (best of {args.repeat})")
    print(f"gpxpy.parse alone: {parse_s:.2f} s, peak RSS {parse_mb:.0f} MB")
    print(f"import_gpx_file (parse, flag, store): {import_s:.2f} s, peak RSS {import_mb:.0f} MB")
    print(f"import / gpxpy parse time = {ratio:.2f} (target <= 2); "
          f"import peak RSS {import_mb:.0f} MB (target < 400)")
    return 0 if ratio <= 2 and import_mb < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
