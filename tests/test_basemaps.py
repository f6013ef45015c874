"""Basemap archives read by (z, x, y): MBTiles (TMS rows) and PMTiles v3; bad files refused."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from basemap_files import png_tile, tile_of, write_mbtiles, write_pmtiles
from PIL import Image

from ranger_app.i18n import set_language
from ranger_app.i18n.messages import describe
from ranger_app.io import basemap_errors  # noqa: F401
from ranger_app.io.basemaps import (
    DAMAGED,
    NO_TILES_TABLE,
    NOT_A_BASEMAP,
    TRUNCATED,
    VECTOR_TILES,
    BasemapInvalid,
    open_basemap,
    zxy_to_tile_id,
)


def _colour(data: bytes | None) -> tuple[int, int, int]:
    assert data is not None
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel((5, 5))


def _grid(z: int, x0: int, y0: int, n: int) -> list[tuple[int, int, int, bytes]]:
    return [(z, x, y, png_tile(((x * 37) % 256, (y * 53) % 256, z * 10), 8))
            for x in range(x0, x0 + n) for y in range(y0, y0 + n)]


def test_mbtiles_rows_are_tms_flipped(tmp_path: Path) -> None:
    path = tmp_path / "nw.mbtiles"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)")
    # TMS row 1 at zoom 1 is the northern half: XYZ y 0
    con.execute("INSERT INTO tiles VALUES (1, 0, 1, ?)", (png_tile((255, 0, 0), 8),))
    con.execute("INSERT INTO tiles VALUES (1, 0, 0, ?)", (png_tile((0, 0, 255), 8),))
    con.commit()
    con.close()
    source = open_basemap(path)
    assert _colour(source.tile(1, 0, 0)) == (255, 0, 0)
    assert _colour(source.tile(1, 0, 1)) == (0, 0, 255)
    assert source.tile(1, 1, 0) is None
    # no metadata table: name from the file, zooms and bounds from the tiles, format sniffed
    assert (source.info.name, source.info.format, source.info.min_zoom,
            source.info.max_zoom) == ("nw", "png", 1, 1)
    west, south, east, north = source.info.bounds
    assert (west, east) == (-180.0, 0.0)
    assert (south, north) == pytest.approx((-85.0511, 85.0511), abs=1e-3)
    source.close()


def test_mbtiles_lookup_and_metadata(tmp_path: Path) -> None:
    x0, y0 = tile_of(43.0, 131.1, 8)
    tiles = _grid(8, x0 - 1, y0 - 1, 3)
    path = write_mbtiles(tmp_path / "topo.mbtiles", tiles,
                         {"bounds": "130.6,42.6,131.6,43.4", "minzoom": "8", "maxzoom": "8"})
    source = open_basemap(path)
    info = source.info
    assert (info.kind, info.name, info.format, info.min_zoom, info.max_zoom) == (
        "mbtiles", "Test topo", "png", 8, 8)
    assert info.bounds == (130.6, 42.6, 131.6, 43.4)
    for z, x, y, data in tiles:
        assert source.tile(z, x, y) == data
    assert source.tile(8, x0 + 5, y0) is None
    source.close()


@pytest.mark.parametrize("leaf_size", [None, 4])
def test_pmtiles_lookup_through_root_and_leaves(tmp_path: Path, leaf_size: int | None) -> None:
    tiles = _grid(3, 0, 0, 8) + _grid(4, 13, 5, 3) + [(0, 0, 0, png_tile((1, 2, 3), 8))]
    path = write_pmtiles(tmp_path / "sat.pmtiles", tiles, leaf_size=leaf_size)
    source = open_basemap(path)
    info = source.info
    assert (info.kind, info.name, info.format, info.min_zoom, info.max_zoom) == (
        "pmtiles", "Test satellite", "png", 0, 4)
    assert info.bounds == pytest.approx((130.0, 42.0, 132.0, 44.0))
    for z, x, y, data in tiles:
        assert source.tile(z, x, y) == data, (z, x, y)
    assert source.tile(4, 0, 0) is None
    assert source.tile(5, 0, 0) is None
    source.close()


def test_tile_ids_follow_the_spec() -> None:
    # values from the reference implementations' tests
    assert [zxy_to_tile_id(*t) for t in [(0, 0, 0), (1, 1, 0), (2, 1, 3), (3, 3, 0)]] == [
        0, 4, 11, 26]


def _sqlite_without_tiles(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE patrols (id)")
    con.commit()
    con.close()
    return path


def _vector_mbtiles(path: Path) -> Path:
    return write_mbtiles(path, [(0, 0, 0, b"\x1a\x00junk")], {"format": "pbf"})


def _truncated_pmtiles(path: Path) -> Path:
    full = write_pmtiles(path, _grid(2, 0, 0, 4))
    full.write_bytes(full.read_bytes()[:-40])
    return full


def _truncated_mbtiles(path: Path) -> Path:
    write_mbtiles(path, _grid(3, 0, 0, 8))
    path.write_bytes(path.read_bytes()[:-4096])  # a copy that stopped early
    return path


def _damaged_pmtiles(path: Path) -> Path:
    def mangle(body: bytearray) -> None:
        body[127:135] = b"\x00" * 8  # the root directory's gzip header
    return write_pmtiles(path, _grid(2, 0, 0, 4), mangle=mangle)


@pytest.mark.parametrize("make, reason, words", [
    (lambda p: p.write_bytes(b"just some text, not a map") and p, NOT_A_BASEMAP,
     "neither an MBTiles"),
    (_sqlite_without_tiles, NO_TILES_TABLE, "without an MBTiles"),
    (_vector_mbtiles, VECTOR_TILES, "vector tiles"),
    (_truncated_pmtiles, TRUNCATED, "cut short"),
    (_truncated_mbtiles, TRUNCATED, "cut short"),
    (lambda p: p.write_bytes(b"PMTiles\x03" + b"\x00" * 30) and p, TRUNCATED, "cut short"),
    (_damaged_pmtiles, DAMAGED, "damaged"),
    (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200) and p, DAMAGED,
     "damaged"),
])
def test_bad_files_raise_a_typed_error_with_a_clear_message(
        tmp_path: Path, make, reason: str, words: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.mbtiles"
    make(path)
    before = path.read_bytes()
    with pytest.raises(BasemapInvalid) as info:
        open_basemap(path)
    assert info.value.reason == reason
    set_language("en")
    text = describe(info.value)
    assert str(path) in text and words in text and "nothing was added" in text
    assert path.read_bytes() == before  # read-only: not even a journal written
    assert not Path(str(path) + "-journal").exists()
    set_language("ru")
    assert "подложк" in describe(info.value).lower()
    set_language("en")


def test_mbtiles_with_tiles_as_a_view_as_gdal_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "gdal.mbtiles"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,
                          tile_id TEXT);
        CREATE TABLE images (tile_data BLOB, tile_id TEXT);
        CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level,
            map.tile_column AS tile_column, map.tile_row AS tile_row,
            images.tile_data AS tile_data FROM map JOIN images ON images.tile_id = map.tile_id;
        CREATE TABLE metadata (name TEXT, value TEXT);
    """)
    con.execute("INSERT INTO images VALUES (?, 'a')", (png_tile((10, 200, 30), 8),))
    con.execute("INSERT INTO map VALUES (2, 1, 2, 'a')")  # TMS row 2 = XYZ y 1
    con.execute("INSERT INTO metadata VALUES ('format', 'png')")
    con.commit()
    con.close()
    source = open_basemap(path)
    assert _colour(source.tile(2, 1, 1)) == (10, 200, 30)
    assert source.tile(2, 1, 2) is None
    source.close()
