"""A made-up topographic basemap of the park for the demo (MBTiles, zooms 8–11).

The demo's patrols should be seen on a map a ranger recognises as one: hypsometric tints,
hill shading, contour lines and a sea to the south-east. The land is a sum of smooth waves
(seeded, so the same seed draws the same hills), evaluated on a coarse grid and smoothed
up by Pillow, which keeps the whole archive to about a second to build.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import random
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

from ranger_app.store.basemaps import BasemapRecord, basemap_by_sha, insert_basemap
from ranger_app.store.db import Database

SOUTH, WEST, NORTH, EAST = 42.45, 130.45, 43.55, 131.75
ZOOMS = range(8, 12)
TILE = 256
COARSE = 8  # pixels per height sample
NAME = "Demo topographic map"


@dataclass(frozen=True)
class Terrain:
    waves: tuple[tuple[float, float, float, float], ...]  # (kx, ky, phase, amplitude)

    @classmethod
    def seeded(cls, seed: int) -> Terrain:
        rnd = random.Random(f"{seed}:basemap")
        waves = []
        for i in range(9):
            k = 6.0 * 1.7**i
            angle = rnd.uniform(0, math.pi)
            waves.append((k * math.cos(angle), k * math.sin(angle), rnd.uniform(0, 6.3),
                          300.0 / 1.8**i))
        return cls(tuple(waves))

    def height(self, lat: float, lon: float) -> float:
        """Metres above the sea: hills inland (north-west), the coast to the south-east."""
        h = 330.0 + 520.0 * (lat - 42.75) - 560.0 * (lon - 131.3)
        for kx, ky, phase, amp in self.waves:
            h += amp * math.sin(kx * lon + ky * lat + phase)
        return h


def _lonlat(z: int, px: float, py: float) -> tuple[float, float]:
    n = TILE * 2**z
    lon = px / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / n))))
    return lon, lat


def _tile_range(z: int) -> tuple[int, int, int, int]:
    n = 2**z

    def tx(lon: float) -> int:
        return int((lon + 180.0) / 360.0 * n)

    def ty(lat: float) -> int:
        return int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)

    return tx(WEST), ty(NORTH), tx(EAST), ty(SOUTH)


def _ramp() -> list[int]:
    """Palette index = height band: sea blues below 0, then greens to browns to grey."""
    stops = [(0, (116, 170, 214)), (63, (170, 208, 232)), (64, (186, 214, 160)),
             (100, (212, 226, 168)), (140, (236, 226, 170)), (180, (214, 186, 140)),
             (220, (180, 150, 120)), (255, (236, 232, 226))]
    out: list[int] = []
    for i in range(256):
        for (a, ca), (b, cb) in itertools.pairwise(stops):
            if a <= i <= b:
                t = 0.0 if b == a else (i - a) / (b - a)
                out += [round(ca[c] + (cb[c] - ca[c]) * t) for c in range(3)]
                break
    return out


def render(terrain: Terrain, z: int, x0: int, y0: int, nx: int, ny: int) -> Image.Image:
    """The picture of tiles x0..x0+nx−1, y0..y0+ny−1 at zoom z."""
    w, h = nx * TILE, ny * TILE
    cw, ch = w // COARSE + 1, h // COARSE + 1
    heights = [[terrain.height(*reversed(_lonlat(z, x0 * TILE + i * COARSE,
                                                 y0 * TILE + j * COARSE)))
                for i in range(cw)] for j in range(ch)]
    band = Image.new("L", (cw, ch))
    shade = Image.new("L", (cw, ch))
    metres_per_sample = 40_075_016 * math.cos(math.radians(43.0)) / (TILE * 2**z) * COARSE
    for j in range(ch):
        for i in range(cw):
            v = heights[j][i]
            level = 64 + v / 1500.0 * 191 if v >= 0 else 63 + max(-63.0, v / 6.0)
            band.putpixel((i, j), max(0, min(255, round(level))))
            dx = (heights[j][min(i + 1, cw - 1)] - heights[j][max(i - 1, 0)]) / (
                2 * metres_per_sample)
            dy = (heights[min(j + 1, ch - 1)][i] - heights[max(j - 1, 0)][i]) / (
                2 * metres_per_sample)
            lit = 0.75 + 0.9 * (-dx * 0.7 + dy * 0.7) / math.sqrt(1 + dx * dx + dy * dy)
            shade.putpixel((i, j), 255 if v < 0 else max(120, min(255, round(lit * 255))))
    size = (cw * COARSE, ch * COARSE)
    band = band.resize(size, Image.Resampling.BICUBIC).filter(
        ImageFilter.GaussianBlur(COARSE / 3)).crop((0, 0, w, h))
    shade = shade.resize(size, Image.Resampling.BICUBIC).crop((0, 0, w, h))
    tinted = band.convert("P")
    tinted.putpalette(_ramp())
    picture = ImageChops.multiply(tinted.convert("RGB"), shade.convert("RGB"))
    # contour lines every 8 bands (about 50 m), and the coastline
    stepped = band.point(lambda v: 0 if v < 64 else 64 + (v - 64) // 8 * 8)
    edges = stepped.filter(ImageFilter.FIND_EDGES).point(lambda v: 255 if v > 0 else 0)
    lines = Image.new("RGB", (w, h), (150, 110, 80))
    mask = edges.point(lambda v: v * 110 // 255).filter(ImageFilter.GaussianBlur(0.8))
    picture.paste(lines, (0, 0), mask)  # soft edges: no stair-steps when a tile is scaled
    return picture


def write_archive(path: Path, seed: int = 1) -> tuple[int, tuple[float, float, float, float]]:
    """Write the demo MBTiles at `path`; returns (tile count, bounds)."""
    terrain = Terrain.seeded(seed)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                "tile_row INTEGER, tile_data BLOB)")
    con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    bounds = (WEST, SOUTH, EAST, NORTH)
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [
        ("name", NAME), ("format", "jpg"), ("type", "baselayer"), ("version", "1.1"),
        ("minzoom", str(ZOOMS[0])), ("maxzoom", str(ZOOMS[-1])),
        ("bounds", ",".join(str(v) for v in bounds))])
    count = 0
    for z in ZOOMS:
        x0, y0, x1, y1 = _tile_range(z)
        picture = render(terrain, z, x0, y0, x1 - x0 + 1, y1 - y0 + 1)
        rows = []
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                left, top = (x - x0) * TILE, (y - y0) * TILE
                buf = io.BytesIO()
                picture.crop((left, top, left + TILE, top + TILE)).save(buf, "JPEG",
                                                                         quality=82)
                rows.append((z, x, (1 << z) - 1 - y, buf.getvalue()))
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        count += len(rows)
    con.commit()
    con.close()
    return count, bounds


@functools.lru_cache(maxsize=2)
def _archive(seed: int) -> tuple[bytes, tuple[float, float, float, float]]:
    """The archive's bytes, built once per process (the tests make many demo databases)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-topo.mbtiles"
        _count, bounds = write_archive(path, seed)
        return path.read_bytes(), bounds


def add_demo_basemap(db: Database, seed: int = 1) -> BasemapRecord:
    """Keep the archive in the media store and register it (once per database)."""
    data, bounds = _archive(seed)
    sha, size = db.media.put_bytes(data)
    existing = basemap_by_sha(db, sha)
    if existing is not None:
        return existing
    return insert_basemap(db, BasemapRecord(
        uuid="", name=NAME, kind="mbtiles", sha256=sha, size=size, tile_format="jpg",
        min_zoom=ZOOMS[0], max_zoom=ZOOMS[-1], bounds=bounds))
