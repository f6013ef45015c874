"""Panning across 100 basemap tiles on a 2 GB MBTiles: frame times against the bare grid.

Builds (once, outside the repository) a 2 GB MBTiles of random-ish JPEG tiles over the
park, zooms 10–14, then pans a 1280×800 map view 100 zoom-14 tiles east at 32 px a frame,
paced at 60 frames a second as a hand drag is, with tiles decoded on the layer's threads
as they come into view (tile cache empty, the file evicted from the OS page cache). The
same pan is then timed over the bare graticule. Frame time = the view's paintEvent; every
repaint counts, also those a decoded tile triggers. Prints median, p95 and max of both and
their ratios, and how many frames took over 50 ms; then the same for a wheel zoom.

    .venv/bin/python bench/map_tiles.py [--dir DIR] [--gb 2.0]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TILE_COLS, TILE_ROWS = 240, 170  # at zoom 14: with the lower zooms, about 54,000 tiles
TOP_ZOOM = 14
POOL = 320  # distinct JPEGs; rows reuse them (SQLite does not deduplicate)
PAN_TILES = 100
STEP_PX = 32
FRAME_S = 1 / 60


def _jpeg_pool(target_bytes: int, rnd: random.Random) -> list[bytes]:
    """Noisy JPEGs of about `target_bytes` each: colour noise keeps them large."""
    from PIL import Image

    out = []
    for i in range(POOL):
        channels = [Image.effect_noise((256, 256), 60 + (i * 7 + c * 13) % 40) for c in range(3)]
        tint = Image.new("RGB", (256, 256), (rnd.randrange(60, 200), rnd.randrange(80, 200),
                                             rnd.randrange(50, 150)))
        img = Image.blend(tint, Image.merge("RGB", channels), 0.5)
        quality = 96
        while True:
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=quality)
            if buf.tell() <= target_bytes * 1.1 or quality < 40:
                break
            quality -= 2
        out.append(buf.getvalue())
    return out


def build(path: Path, gigabytes: float) -> Path:
    """The big archive; rebuilt only when missing or of another size."""
    if path.exists() and abs(path.stat().st_size - gigabytes * 1e9) < 0.15 * gigabytes * 1e9:
        return path
    path.unlink(missing_ok=True)
    rnd = random.Random(11)
    from ranger_app.io.basemaps import lonlat_to_tile

    x_top, y_top = (int(v) for v in lonlat_to_tile(130.6, 43.4, TOP_ZOOM))
    tiles = {z: (TILE_COLS >> (TOP_ZOOM - z)) * (TILE_ROWS >> (TOP_ZOOM - z)) + 1
             for z in range(10, TOP_ZOOM + 1)}
    per_tile = int(gigabytes * 1e9 / sum(tiles.values()))
    pool = _jpeg_pool(per_tile, rnd)
    started = time.perf_counter()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                "tile_row INTEGER, tile_data BLOB)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [
        ("name", "Bench 2 GB"), ("format", "jpg"), ("minzoom", "10"),
        ("maxzoom", str(TOP_ZOOM))])
    written = 0
    for z in range(10, TOP_ZOOM + 1):
        shift = TOP_ZOOM - z
        x0, y0 = x_top >> shift, y_top >> shift
        cols, rows = max(1, TILE_COLS >> shift), max(1, TILE_ROWS >> shift)
        batch = []
        for x in range(x0, x0 + cols):
            for y in range(y0, y0 + rows):
                batch.append((z, x, (1 << z) - 1 - y, pool[rnd.randrange(POOL)]))
                if len(batch) >= 2000:
                    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", batch)
                    written += len(batch)
                    batch = []
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", batch)
        written += len(batch)
    con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    con.commit()
    con.close()
    print(f"built {path} ({path.stat().st_size / 1e9:.2f} GB, {written} tiles) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return path


def pan(view, app, start, frames: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Move the centre east STEP_PX a frame, paced at 60 fps; returns paint times (s)."""
    from PySide6.QtCore import QPointF

    view.times.clear()
    scale = view.transform().m11()
    view.centerOn(start)
    app.processEvents()
    view.times.clear()
    for i in range(frames):
        t0 = time.perf_counter()
        view.centerOn(QPointF(start.x() + (i + 1) * STEP_PX / scale, start.y()))
        view.viewport().repaint()
        while time.perf_counter() - t0 < FRAME_S:
            app.processEvents()  # decoded tiles arrive and repaint here, as in the real loop
            time.sleep(0.001)
    app.processEvents()
    return list(view.times)


def zoom(view, app, steps: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Wheel-zoom out `steps` notches and back in, paced at 60 fps; returns paint times."""
    view.times.clear()
    for factor in [1 / 1.2] * steps + [1.2] * steps:
        t0 = time.perf_counter()
        view._zoom(factor)
        view.viewport().repaint()
        while time.perf_counter() - t0 < FRAME_S:
            app.processEvents()
            time.sleep(0.001)
    app.processEvents()
    return list(view.times)


def _drop_from_page_cache(path: Path) -> bool:
    """Evict this one file from the OS page cache (no effect on anything else)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


def _stats(times: list[float]) -> tuple[float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "ranger-bench-tiles")
    parser.add_argument("--gb", type=float, default=2.0)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = build(args.dir / f"bench-{args.gb:g}gb.mbtiles", args.gb)

    from PySide6.QtWidgets import QApplication

    from ranger_app.io.basemaps import open_basemap
    from ranger_app.ui.map_tiles import HALF_WORLD, TILE_PX, TileLayer
    from ranger_app.ui.map_view import MapTrack, MapView, project
    from tests.test_map_view import _track_bytes

    class TimedView(MapView):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            super().paintEvent(event)
            self.times.append(time.perf_counter() - t0)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = TimedView()
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    view.set_tracks([MapTrack("p", _track_bytes(5000))])
    view._set_scale(TILE_PX / (2 * HALF_WORLD / 2**TOP_ZOOM))  # one tile pixel a pixel
    start = project(43.25, 130.75)
    frames = PAN_TILES * TILE_PX // STEP_PX

    bare = pan(view, app, start, frames)
    bare_zoom = zoom(view, app, 12)
    cold = _drop_from_page_cache(path)
    layer = TileLayer(open_basemap(path))
    view.basemap.set_layer(layer)
    tiles = pan(view, app, start, frames)
    tiles_zoom = zoom(view, app, 12)
    layer.wait()
    b, t = _stats(bare), _stats(tiles)
    print(f"pan across {PAN_TILES} zoom-{TOP_ZOOM} tiles, {frames} steps of {STEP_PX} px, "
          f"1280×800, {path.stat().st_size / 1e9:.2f} GB MBTiles, cold tile cache"
          + (", file evicted from the OS page cache" if cold else ""))
    print(f"  frames painted: bare grid {len(bare)}, with tiles {len(tiles)} "
          f"({layer.decoded} tiles decoded, cache {layer.cache.bytes / 1e6:.0f} MB)")
    for name, i in (("median", 0), ("p95", 1), ("max", 2)):
        print(f"  {name:6}  bare {b[i] * 1000:6.2f} ms   tiles {t[i] * 1000:6.2f} ms   "
              f"ratio {t[i] / b[i]:5.2f}")
    over = sum(1 for x in tiles if x > 0.050)
    print(f"  frames over 50 ms with tiles: {over}")
    b, t = _stats(bare_zoom), _stats(tiles_zoom)
    print(f"wheel zoom 12 notches out and back in (×1.2 each), {len(tiles_zoom)} frames")
    for name, i in (("median", 0), ("p95", 1), ("max", 2)):
        print(f"  {name:6}  bare {b[i] * 1000:6.2f} ms   tiles {t[i] * 1000:6.2f} ms   "
              f"ratio {t[i] / b[i]:5.2f}")
    print(f"  frames over 50 ms with tiles: {sum(1 for x in tiles_zoom if x > 0.050)}")
    layer.close()


if __name__ == "__main__":
    main()
