"""Writers of small basemap archives for the tests (no tests here): MBTiles and PMTiles v3.

Both are written from their specs, independently of the reader in `ranger_app.io.basemaps`
(the PMTiles tile id comes from `hilbert_id` below, a second implementation of the curve).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import sqlite3
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

Colour = tuple[int, int, int]


def png_tile(colour: Colour, size: int = 256) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buf, "PNG")
    return buf.getvalue()


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    """XYZ (x, y) of the tile holding a point."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def write_mbtiles(path: Path, tiles: Iterable[tuple[int, int, int, bytes]],
                  metadata: dict[str, str] | None = None) -> Path:
    """`tiles` in XYZ numbering; stored as TMS rows (flipped), as QGIS and GDAL write them."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                "tile_row INTEGER, tile_data BLOB)")
    con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    meta = {"name": "Test topo", "format": "png", "type": "baselayer", "version": "1.1"}
    meta.update(metadata or {})
    con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                    ((z, x, (1 << z) - 1 - y, data) for z, x, y, data in tiles))
    con.commit()
    con.close()
    return path


def hilbert_id(z: int, x: int, y: int) -> int:
    """Tile id per the PMTiles spec, written as Wikipedia's xy2d with a full-size rotation."""
    base = sum(4**i for i in range(z))
    n = 1 << z
    d = 0
    s = n // 2
    while s:
        rx = int(x & s > 0)
        ry = int(y & s > 0)
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = n - 1 - x, n - 1 - y
            x, y = y, x
        s //= 2
    return base + d


def _varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_directory(entries: list[tuple[int, int, int, int]]) -> bytes:
    """(tile_id, offset, length, run_length) sorted by id → the spec's columnar encoding."""
    out = bytearray(_varint(len(entries)))
    last = 0
    for tid, _o, _l, _r in entries:
        out += _varint(tid - last)
        last = tid
    for _t, _o, _l, run in entries:
        out += _varint(run)
    for _t, _o, length, _r in entries:
        out += _varint(length)
    for i, (_t, offset, _l, _r) in enumerate(entries):
        prev = entries[i - 1] if i else None
        if prev is not None and offset == prev[1] + prev[2]:
            out += _varint(0)
        else:
            out += _varint(offset + 1)
    return bytes(out)


def write_pmtiles(path: Path, tiles: Iterable[tuple[int, int, int, bytes]], *,
                  name: str = "Test satellite", tile_type: int = 2,
                  leaf_size: int | None = None,
                  bounds: tuple[float, float, float, float] = (130.0, 42.0, 132.0, 44.0),
                  mangle: Callable[[bytearray], None] | None = None) -> Path:
    """A PMTiles v3 file; with `leaf_size`, the root points to leaves of that many entries."""
    items = sorted((hilbert_id(z, x, y), data) for z, x, y, data in tiles)
    data = bytearray()
    entries = []
    for tid, blob in items:
        entries.append((tid, len(data), len(blob), 1))
        data += blob
    leaves = bytearray()
    if leaf_size:
        root_entries = []
        for i in range(0, len(entries), leaf_size):
            chunk = gzip.compress(encode_directory(entries[i:i + leaf_size]))
            root_entries.append((entries[i][0], len(leaves), len(chunk), 0))
            leaves += chunk
        root = gzip.compress(encode_directory(root_entries))
    else:
        root = gzip.compress(encode_directory(entries))
    meta = gzip.compress(json.dumps({"name": name}).encode())
    zs = [z for z, *_ in _zooms(items)]
    root_off = 127
    meta_off = root_off + len(root)
    leaf_off = meta_off + len(meta)
    data_off = leaf_off + len(leaves)
    w, s, e, n = (round(v * 1e7) for v in bounds)
    header = struct.pack("<7sB11QBBBBBBiiiiBii", b"PMTiles", 3, root_off, len(root), meta_off,
                         len(meta), leaf_off, len(leaves), data_off, len(data), len(items),
                         len(items), len(items), 1, 2, 1, tile_type, min(zs), max(zs),
                         w, s, e, n, min(zs), (w + e) // 2, (s + n) // 2)
    body = bytearray(header + root + meta + leaves + data)
    if mangle:
        mangle(body)
    path.write_bytes(bytes(body))
    return path


def _zooms(items: list[tuple[int, bytes]]) -> list[tuple[int]]:
    out = []
    for tid, _b in items:
        z = 0
        while tid >= sum(4**i for i in range(z + 1)):
            z += 1
        out.append((z,))
    return out
