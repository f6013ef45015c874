"""What reading a forestry's quarter grid costs: `read_layer` against the bare parsers.

Run: `.venv/bin/python bench/layer_read.py [--quarters 20000] [--repeat 3]`

Writes 20,000 quarters (about 1 × 1 km, 9 vertices each: corners and side midpoints, as
digitised plans have) in Gauss-Krüger zone 22 (EPSG:28422), with KV numbers and cp1251
district names, once as a shapefile (.prj, .cpg) and once as a GeoJSON with the legacy
"crs" member, as QGIS saves a layer in its own CRS. Then times, each in a fresh child
process so that its peak RSS is its own:

- baseline shapefile: pyshp's bare `shapefile.Reader(path).shapes()` (points as tuples,
  no attributes, no shapely objects, no reprojection);
- `read_layer` of the shapefile (attributes too, shapely polygons, EPSG:28422 → WGS84,
  validity checked, kind and label fields guessed);
- baseline GeoJSON: `json.load` of the file;
- `read_layer` of the GeoJSON.

Prints seconds (best of `--repeat`), the ratio to the baseline of the same format, and the
child's peak RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, MB) and what it adds to a
child that only imported the modules. Linux keeps a process's peak RSS across exec, so the
parent imports nothing heavy and writes the files in a child too: its own peak stays below
the children's.

Measured on the project's 2-CPU build machine (shared with other jobs), 2026-12-07,
best of 5:
    20,000 quarters, 180,000 vertices; shapefile .shp 4.0 MB, GeoJSON 7.3 MB; child after
    imports 60 MB
                                        seconds   ratio  peak MB    +MB
    shapefile: pyshp shapes()             0.382    1.00      104     43
    shapefile: read_layer                 0.876    2.30      119     59
    GeoJSON: json.load                    0.336    1.00      130     70
    GeoJSON: read_layer                   0.860    2.56      153     93

Where read_layer's shapefile time goes (cProfile): pyshp's own shape and record parsing
about two thirds, gathering the rings a sixth, the one vectorised reprojection and
validity check a tenth, making the 20,000 LayerFeature values the rest. A GeoJSON of
1,000,001 vertices (22 MB) is refused in 0.4 s with 63 MB more, before json.loads.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # this checkout's package, not another installed one
    sys.path.insert(0, str(REPO))

X0, Y0 = 22_600_000.0, 4_700_000.0  # Gauss-Krüger zone 22: about 130.2°E 42.4°N
DISTRICTS = ("Лазовское", "Киевское", "Милоградовское", "Преображенское")


def quarter(i: int, cols: int, size: float = 1000.0) -> list[tuple[float, float]]:
    """Clockwise, closed, 9 points (8 distinct)."""
    x, y = X0 + (i % cols) * size, Y0 + (i // cols) * size
    h = size / 2
    return [(x, y), (x, y + h), (x, y + size), (x + h, y + size), (x + size, y + size),
            (x + size, y + h), (x + size, y), (x + h, y), (x, y)]


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    import shapefile
    from pyproj import CRS

    cols = 200
    shp = folder / "kvartaly"
    w = shapefile.Writer(str(shp), shapeType=shapefile.POLYGON, encoding="cp1251")
    w.field("KV", "N", 6, 0)
    w.field("LESNICH", "C", 40, 0)
    features = []
    for i in range(n):
        ring = quarter(i, cols)
        district = DISTRICTS[(i // 5000) % len(DISTRICTS)]
        w.poly([ring])
        w.record(i + 1, district)
        features.append({"type": "Feature", "properties": {"KV": i + 1, "LESNICH": district},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    w.close()
    shp.with_suffix(".prj").write_text(CRS.from_epsg(28422).to_wkt("WKT1_ESRI"))
    shp.with_suffix(".cpg").write_text("CP1251")
    geojson = folder / "kvartaly.geojson"
    geojson.write_text(json.dumps({
        "type": "FeatureCollection", "name": "kvartaly",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28422"}},
        "features": features}, ensure_ascii=False), encoding="utf-8")
    return shp.with_suffix(".shp"), geojson


def run(task: str, path: str) -> tuple[float, float]:
    """In this (child) process: one timed run; returns (seconds, peak RSS MB)."""
    import shapefile

    from ranger_app.io.layers.readers import read_layer

    started = time.perf_counter()
    if task == "pyshp":
        shapes = shapefile.Reader(path).shapes()
        assert len(shapes) > 0
    elif task == "json":
        with open(path, "rb") as fh:
            assert json.load(fh)["features"]
    elif task == "read_layer":
        assert read_layer(path).features
    elapsed = time.perf_counter() - started
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(task: str, path: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--child", task, path], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def best(task: str, path: Path, repeat: int) -> tuple[float, float]:
    runs = [child(task, str(path)) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, arg = args.child
        if task == "write":
            write_files(Path(arg), args.quarters)
            print(0, 0)
            return 0
        seconds, rss = run(task, arg)
        print(seconds, rss)
        return 0
    with tempfile.TemporaryDirectory(prefix="layer-bench-") as tmp:
        subprocess.run([sys.executable, __file__, "--quarters", str(args.quarters), "--child",
                        "write", tmp], check=True, capture_output=True)
        shp, geojson = Path(tmp) / "kvartaly.shp", Path(tmp) / "kvartaly.geojson"
        idle = best("idle", shp, 1)[1]
        print(f"{args.quarters:,} quarters, {args.quarters * 9:,} vertices; "
              f"shapefile .shp {shp.stat().st_size / 1e6:.1f} MB, "
              f"GeoJSON {geojson.stat().st_size / 1e6:.1f} MB; child after imports {idle:.0f} MB")
        print(f"{'':34}{'seconds':>9}{'ratio':>8}{'peak MB':>9}{'+MB':>7}")
        for label, base_task, path in (("shapefile", "pyshp", shp), ("GeoJSON", "json", geojson)):
            base_s, base_rss = best(base_task, path, args.repeat)
            ours_s, ours_rss = best("read_layer", path, args.repeat)
            base_name = "pyshp shapes()" if base_task == "pyshp" else "json.load"
            print(f"{label + ': ' + base_name:34}{base_s:9.3f}{1.0:8.2f}{base_rss:9.0f}"
                  f"{base_rss - idle:7.0f}")
            print(f"{label + ': read_layer':34}{ours_s:9.3f}{ours_s / base_s:8.2f}"
                  f"{ours_rss:9.0f}{ours_rss - idle:7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
