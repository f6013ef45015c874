"""Offline basemap archives: raster MBTiles and PMTiles v3, read by (z, x, y), no Qt.

Rangers carry the map on the laptop; there is never a tile server. Two single-file formats
cover what parks make their maps with: MBTiles (SQLite; QGIS "Generate XYZ tiles",
`gdal_translate -of MBTILES`, MOBAC) and PMTiles v3 (one file of directories and tile
data). Both are opened read-only; tiles come back as the stored bytes (PNG, JPEG or WebP)
for the map view to decode off the UI thread. Anything that is not such a file raises
`BasemapInvalid` with a reason code, before anything is changed.

PMTiles is read here, about 150 lines from the v3 spec, rather than with the `pmtiles`
package: that package's reader is the same few lines, and this way the frozen app gains no
dependency and truncated or hostile files fail with our typed errors (docs/decisions.md).
"""

from __future__ import annotations

import gzip
import json
import math
import sqlite3
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from ranger_app.domain.errors import BadInput

# --- errors --------------------------------------------------------------------------------
# reason codes of BasemapInvalid (ranger_app.io.basemap_errors turns them into sentences)
NOT_A_BASEMAP = "not-a-basemap"  # neither SQLite nor PMTiles
NO_TILES_TABLE = "no-tiles-table"  # SQLite, but not MBTiles
NO_TILES = "no-tiles"  # a valid archive with no tile in it
TRUNCATED = "truncated"  # PMTiles cut short (a copy that did not finish)
DAMAGED = "damaged"  # directories that do not decode, or damaged SQLite pages
VECTOR_TILES = "vector-tiles"  # MVT: needs a style renderer, not shown
UNSUPPORTED = "unsupported"  # a PMTiles version or compression this reader lacks


@dataclass
class BasemapInvalid(BadInput):
    path: str
    reason: str
    detail: str = ""


# --- values --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BasemapInfo:
    """What the registry, the layer menu and the map view need to know of an archive."""

    kind: str  # mbtiles | pmtiles
    name: str
    format: str  # png | jpg | webp
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]  # west, south, east, north (degrees)


class TileSource(Protocol):
    info: BasemapInfo

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The stored bytes of tile (z, x, y) in XYZ numbering (y down), or None."""

    def close(self) -> None: ...


WORLD = (-180.0, -85.05112878, 180.0, 85.05112878)
MAX_ZOOM = 24


def sniff_format(data: bytes) -> str:
    """png | jpg | webp | "" from the first bytes of a tile."""
    if data.startswith(b"\x89PNG"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return ""


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional XYZ tile coordinates of a point at zoom z (Web Mercator)."""
    lat = max(-WORLD[3], min(WORLD[3], lat))
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


# --- MBTiles -------------------------------------------------------------------------------
_RASTER = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}


class MBTiles:
    """An MBTiles 1.x file, read-only. Rows are TMS (y up): row = 2^z − 1 − y."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        shown = str(path)
        if not self.path.is_file():
            raise BasemapInvalid(shown, NOT_A_BASEMAP, "not a file")
        if _sqlite_cut_short(self.path):
            raise BasemapInvalid(shown, TRUNCATED)
        uri = self.path.resolve().as_uri() + "?mode=ro"
        self._lock = threading.Lock()
        try:
            self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as err:
            raise BasemapInvalid(shown, NOT_A_BASEMAP, str(err)) from None
        try:
            self.info = self._read_info(shown)
        except sqlite3.DatabaseError as err:  # an SQLite header, then damage
            self._con.close()
            raise BasemapInvalid(shown, DAMAGED, str(err)) from None
        except BaseException:
            self._con.close()
            raise

    def _read_info(self, shown: str) -> BasemapInfo:
        con = self._con
        names = {r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if "tiles" not in names:
            raise BasemapInvalid(shown, NO_TILES_TABLE)
        try:
            first = con.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles "
                                "LIMIT 1").fetchone()
        except sqlite3.OperationalError as err:  # a 'tiles' table of something else
            raise BasemapInvalid(shown, NO_TILES_TABLE, str(err)) from None
        if first is None:
            raise BasemapInvalid(shown, NO_TILES)
        meta: dict[str, str] = {}
        if "metadata" in names:
            try:
                meta = {str(k): str(v) for k, v in con.execute(
                    "SELECT name, value FROM metadata")}
            except sqlite3.OperationalError:
                meta = {}
        fmt = meta.get("format", "").strip().lower()
        if fmt in ("pbf", "mvt"):
            raise BasemapInvalid(shown, VECTOR_TILES)
        fmt = _RASTER.get(fmt) or sniff_format(bytes(first[3] or b""))
        if not fmt:
            raise BasemapInvalid(shown, VECTOR_TILES if bytes(first[3] or b"")[:2] in (
                b"\x1f\x8b", b"\x1a\x00") else NOT_A_BASEMAP, "tile format")
        zooms = _ints(meta.get("minzoom")), _ints(meta.get("maxzoom"))
        if zooms[0] is None or zooms[1] is None:
            lo, hi = con.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            zooms = (int(lo), int(hi))
        bounds = _bounds(meta.get("bounds", ""))
        if bounds is None:
            z = zooms[1]
            c0, c1, r0, r1 = con.execute(
                "SELECT MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) "
                "FROM tiles WHERE zoom_level = ?", (z,)).fetchone()
            n = 2**z
            west, north = _tile_corner(z, int(c0), n - 1 - int(r1))
            east, south = _tile_corner(z, int(c1) + 1, n - int(r0))
            bounds = (west, south, east, north)
        name = meta.get("name", "").strip() or self.path.stem
        return BasemapInfo("mbtiles", name, fmt, max(0, zooms[0]), min(MAX_ZOOM, zooms[1]),
                           bounds)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = (1 << z) - 1 - y
        with self._lock:
            got = self._con.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? "
                "AND tile_row = ?", (z, x, row)).fetchone()
        return bytes(got[0]) if got and got[0] else None

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _sqlite_cut_short(path: Path) -> bool:
    """The SQLite header records the database size in pages: a shorter file is cut short."""
    with path.open("rb") as fh:
        head = fh.read(100)
    if len(head) < 100:
        return len(head) > 0
    page_size = struct.unpack(">H", head[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    pages, change, valid_for = (struct.unpack(">I", head[i:i + 4])[0] for i in (28, 24, 92))
    if page_size < 512 or page_size & (page_size - 1):
        return False  # not a header SQLite wrote: damaged, not cut short
    return change == valid_for and pages > 0 and path.stat().st_size < pages * page_size


def _ints(text: str | None) -> int | None:
    try:
        return int(float(text)) if text not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def _bounds(text: str) -> tuple[float, float, float, float] | None:
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        return None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return None
    return w, s, e, n


def _tile_corner(z: int, x: int, y: int) -> tuple[float, float]:
    """(lon, lat) of the north-west corner of XYZ tile (x, y)."""
    n = 2**z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


# --- PMTiles v3 ----------------------------------------------------------------------------
PMTILES_MAGIC = b"PMTiles"
HEADER_LEN = 127
_HEADER = struct.Struct("<7sB11QBBBBBBiiiiBii")
assert _HEADER.size == HEADER_LEN
# compression codes
C_UNKNOWN, C_NONE, C_GZIP, C_BROTLI, C_ZSTD = 0, 1, 2, 3, 4
# tile type codes
T_UNKNOWN, T_MVT, T_PNG, T_JPEG, T_WEBP, T_AVIF = 0, 1, 2, 3, 4, 5
_TYPE_FORMAT = {T_PNG: "png", T_JPEG: "jpg", T_WEBP: "webp"}
MAX_DIRECTORY_BYTES = 64 << 20  # a 2 GB archive's directories are a few MB
MAX_DEPTH = 4  # the spec's writers use a root and one level of leaves


@dataclass(frozen=True)
class Entry:
    tile_id: int
    offset: int
    length: int
    run_length: int  # 0: a leaf directory


@dataclass(frozen=True)
class PMHeader:
    root_offset: int
    root_length: int
    metadata_offset: int
    metadata_length: int
    leaf_offset: int
    leaf_length: int
    data_offset: int
    data_length: int
    internal_compression: int
    tile_compression: int
    tile_type: int
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]


def zxy_to_tile_id(z: int, x: int, y: int) -> int:
    """The spec's tile id: tiles of lower zooms first, then the Hilbert index at zoom z."""
    acc = ((1 << (2 * z)) - 1) // 3  # 4^0 + 4^1 + … + 4^(z−1)
    d = 0
    s = 1 << z >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s >>= 1
    return acc + d


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("varint runs past the directory")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def decode_directory(data: bytes) -> list[Entry]:
    """A directory: count, then columns of tile-id deltas, run lengths, lengths, offsets."""
    n, pos = read_varint(data, 0)
    if n > len(data):  # each entry takes at least four bytes
        raise ValueError("entry count larger than the directory")
    cols: list[list[int]] = []
    for _col in range(4):
        values = []
        for _i in range(n):
            v, pos = read_varint(data, pos)
            values.append(v)
        cols.append(values)
    ids, runs, lengths, raw_offsets = cols
    out: list[Entry] = []
    tile_id = 0
    for i in range(n):
        tile_id += ids[i]
        if raw_offsets[i] == 0 and i > 0:
            offset = out[-1].offset + out[-1].length
        else:
            offset = raw_offsets[i] - 1
        out.append(Entry(tile_id, offset, lengths[i], runs[i]))
    return out


def find_entry(entries: list[Entry], tile_id: int) -> Entry | None:
    """The entry holding tile_id: a tile run covering it, or the leaf that may."""
    lo, hi = 0, len(entries) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if entries[mid].tile_id < tile_id:
            lo = mid + 1
        elif entries[mid].tile_id > tile_id:
            hi = mid - 1
        else:
            return entries[mid]
    if hi >= 0:
        e = entries[hi]
        if e.run_length == 0 or tile_id - e.tile_id < e.run_length:
            return e
    return None


class PMTiles:
    """A PMTiles v3 archive, read-only, with its leaf directories cached."""

    LEAF_CACHE = 64

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        shown = str(path)
        self._shown = shown
        try:
            self._fh: BinaryIO = self.path.open("rb")
        except OSError as err:
            raise BasemapInvalid(shown, NOT_A_BASEMAP, err.strerror or str(err)) from None
        self._lock = threading.Lock()
        self._leaves: OrderedDict[tuple[int, int], list[Entry]] = OrderedDict()
        try:
            self.size = self.path.stat().st_size
            self.header = self._read_header()
            self._root = self._directory(self.header.root_offset, self.header.root_length)
            meta = self._metadata()
            self.info = BasemapInfo(
                "pmtiles", str(meta.get("name") or "").strip() or self.path.stem,
                _TYPE_FORMAT[self.header.tile_type], self.header.min_zoom,
                self.header.max_zoom, self.header.bounds)
            if not self._root:
                raise BasemapInvalid(shown, NO_TILES)
        except BaseException:
            self._fh.close()
            raise

    def _read(self, offset: int, length: int) -> bytes:
        with self._lock:
            self._fh.seek(offset)
            data = self._fh.read(length)
        if len(data) != length:
            raise BasemapInvalid(self._shown, TRUNCATED)
        return data

    def _read_header(self) -> PMHeader:
        head = self._read(0, min(HEADER_LEN, self.size)) if self.size else b""
        if not head.startswith(PMTILES_MAGIC):
            raise BasemapInvalid(self._shown, NOT_A_BASEMAP)
        if len(head) < HEADER_LEN:
            raise BasemapInvalid(self._shown, TRUNCATED)
        f = _HEADER.unpack(head)
        if f[1] != 3:
            raise BasemapInvalid(self._shown, UNSUPPORTED, f"PMTiles version {f[1]}")
        (root_o, root_l, meta_o, meta_l, leaf_o, leaf_l, data_o, data_l) = f[2:10]
        internal, tile_c, tile_t, zmin, zmax = f[14:19]
        w, s, e, n = (v / 1e7 for v in f[19:23])
        for off, length in ((root_o, root_l), (meta_o, meta_l), (leaf_o, leaf_l),
                            (data_o, data_l)):
            if off + length > self.size:
                raise BasemapInvalid(self._shown, TRUNCATED)
        if tile_t == T_MVT:
            raise BasemapInvalid(self._shown, VECTOR_TILES)
        if tile_t not in _TYPE_FORMAT:
            raise BasemapInvalid(self._shown, UNSUPPORTED, f"tile type {tile_t}")
        for code in (internal, tile_c):
            if code not in (C_UNKNOWN, C_NONE, C_GZIP):
                raise BasemapInvalid(self._shown, UNSUPPORTED, f"compression {code}")
        if root_l > MAX_DIRECTORY_BYTES or zmin > zmax or zmax > MAX_ZOOM:
            raise BasemapInvalid(self._shown, DAMAGED, "header")
        bounds = (w, s, e, n) if -180 <= w < e <= 180 and -90 <= s < n <= 90 else WORLD
        return PMHeader(root_o, root_l, meta_o, meta_l, leaf_o, leaf_l, data_o, data_l,
                        internal, tile_c, tile_t, zmin, zmax, bounds)

    def _inflate(self, data: bytes, code: int) -> bytes:
        if code != C_GZIP:
            return data
        try:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = d.decompress(data, MAX_DIRECTORY_BYTES)
            if d.unconsumed_tail:
                raise ValueError("directory too large")
            return out
        except (zlib.error, ValueError, gzip.BadGzipFile) as err:
            raise BasemapInvalid(self._shown, DAMAGED, str(err)) from None

    def _directory(self, offset: int, length: int) -> list[Entry]:
        raw = self._inflate(self._read(offset, length), self.header.internal_compression)
        try:
            return decode_directory(raw)
        except ValueError as err:
            raise BasemapInvalid(self._shown, DAMAGED, str(err)) from None

    def _metadata(self) -> dict[str, object]:
        h = self.header
        if not h.metadata_length:
            return {}
        raw = self._inflate(self._read(h.metadata_offset, h.metadata_length),
                            h.internal_compression)
        try:
            meta = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def _leaf(self, offset: int, length: int) -> list[Entry]:
        key = (offset, length)
        found = self._leaves.get(key)
        if found is None:
            if length > MAX_DIRECTORY_BYTES:
                raise BasemapInvalid(self._shown, DAMAGED, "leaf directory")
            found = self._directory(self.header.leaf_offset + offset, length)
            self._leaves[key] = found
            while len(self._leaves) > self.LEAF_CACHE:
                self._leaves.popitem(last=False)
        else:
            self._leaves.move_to_end(key)
        return found

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
            return None
        tile_id = zxy_to_tile_id(z, x, y)
        entries = self._root
        for _depth in range(MAX_DEPTH):
            e = find_entry(entries, tile_id)
            if e is None:
                return None
            if e.run_length > 0:
                data = self._read(self.header.data_offset + e.offset, e.length)
                return self._inflate(data, self.header.tile_compression)
            entries = self._leaf(e.offset, e.length)
        return None

    def close(self) -> None:
        with self._lock:
            self._fh.close()


# --- either --------------------------------------------------------------------------------
def open_basemap(path: Path | str) -> MBTiles | PMTiles:
    """Open an archive by its content (not its name): PMTiles magic, else MBTiles/SQLite."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as err:
        raise BasemapInvalid(str(path), NOT_A_BASEMAP, err.strerror or str(err)) from None
    if head.startswith(PMTILES_MAGIC):
        return PMTiles(path)
    if head.startswith(b"SQLite format 3\x00"):
        return MBTiles(path)
    raise BasemapInvalid(str(path), NOT_A_BASEMAP)


def read_info(path: Path | str) -> BasemapInfo:
    """Check an archive and return what it is (opens and closes it)."""
    source = open_basemap(path)
    try:
        return source.info
    finally:
        source.close()
