"""Vector layers read from GeoJSON, shapefiles and GeoPackages into WGS84 features; bad files
refused with the right reason, in one sentence ending "nothing was added."

Every file is written here (tests/layer_files.py) into tmp_path. Reprojected vertices are
checked against pyproj's own transform of the same input, measured on the ellipsoid.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import shapely
from layer_files import (
    CGCS_ORIGIN,
    GK22_ORIGIN,
    broken_ring_wkb,
    clear_utf8_flag,
    gp_blob,
    mark_deleted,
    polygon_feature,
    quarter_grid,
    square,
    write_geojson,
    write_gpkg,
    write_long_line,
    write_shapefile,
    zip_shapefile,
)
from pyproj import CRS, Geod, Transformer

from ranger_app.domain.errors import BadInput, FileUnreadable, InvalidValue
from ranger_app.i18n.messages import describe
from ranger_app.io import layer_errors  # noqa: F401  (registers the sentences)
from ranger_app.io.layers import guess
from ranger_app.io.layers.readers import (
    BROKEN_GEOMETRY,
    DAMAGED,
    MANY_LAYERS,
    MAX_VERTICES,
    NO_FEATURES,
    NO_PRJ,
    NO_SUCH_FIELD,
    NO_SUCH_LAYER,
    NOT_A_LAYER,
    TOO_MANY_VERTICES,
    UNKNOWN_CRS,
    LayerInvalid,
    LayerReadCancelled,
    ReadLayer,
    layer_names,
    read_layer,
)

GEOD = Geod(ellps="WGS84")
REQUIRE_TOOLS = os.environ.get("RANGER_REQUIRE_TOOLS") == "1"
DISTRICTS = ("Лазовское", "Киевское", "Милоградовское")
KV_FIELDS = [("KV", "N", 5, 0), ("LESNICH", "C", 40, 0)]


def kv_records(n: int) -> list[tuple[int, str]]:
    return [(i + 1, DISTRICTS[i // 4 % 3]) for i in range(n)]


def max_error_m(read: ReadLayer, source: Sequence[Sequence[tuple[float, float]]],
                epsg: int | CRS) -> float:
    """Largest distance between each read vertex and pyproj's transform of its input."""
    crs = CRS.from_epsg(epsg) if isinstance(epsg, int) else epsg
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    worst = 0.0
    assert len(read.features) == len(source)
    for feature, ring in zip(read.features, source, strict=True):
        got = shapely.get_coordinates(feature.geometry)
        xy = np.asarray(ring, dtype=float)
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        assert got.shape == xy.shape
        _az, _back, dist = GEOD.inv(got[:, 0], got[:, 1], lon, lat)
        worst = max(worst, float(np.max(dist)))
    return worst


def reason_of(path: Path, **kwargs: object) -> LayerInvalid:
    with pytest.raises(LayerInvalid) as info:
        read_layer(path, **kwargs)  # type: ignore[arg-type]
    return info.value


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is required here (RANGER_REQUIRE_TOOLS=1)")
        pytest.skip(f"{name} is not installed")
    return path


# --- shapefiles ------------------------------------------------------------------------------
@pytest.fixture
def gk_quarters(tmp_path: Path) -> Path:
    """3 × 4 quarters of 1 km in Gauss-Krüger zone 22, KV numbers and cp1251 district names."""
    grid = quarter_grid(GK22_ORIGIN)
    return write_shapefile(tmp_path / "kvartaly", [[r] for r in grid], fields=KV_FIELDS,
                           records=kv_records(12))


def test_gauss_kruger_shapefile_reads_as_wgs84_quarters(gk_quarters: Path) -> None:
    read = read_layer(gk_quarters)
    assert max_error_m(read, quarter_grid(GK22_ORIGIN), 28422) < 1.0
    assert [f.label for f in read.features] == [str(i) for i in range(1, 13)]
    assert read.kind == "forest_quarter"
    assert read.label_field == "KV" and read.district_field == "LESNICH"
    assert [f.district for f in read.features] == [d for _kv, d in kv_records(12)]
    assert read.source_crs == "EPSG:28422"
    assert read.fields == ("KV", "LESNICH")
    assert read.name == "kvartaly" and read.skipped == () and read.vertex_count == 60
    west, south, east, north = shapely.total_bounds([f.geometry for f in read.features])
    assert 131.4 < west < east < 131.6 and 43.0 < south < north < 43.1
    assert all(f.geometry.is_valid and f.geometry.geom_type == "Polygon" for f in read.features)


@pytest.mark.parametrize(("encoding", "cpg"), [("cp1251", None), ("utf-8", None),
                                               ("utf-8", "UTF-8"), ("cp1251", "1251")])
def test_shapefile_text_encoding_from_cpg_or_guessed(tmp_path: Path, encoding: str,
                                                     cpg: str | None) -> None:
    shp = write_shapefile(tmp_path / "kv", [[square(*GK22_ORIGIN, 1000)]], fields=KV_FIELDS,
                          records=[(7, "Лазовское")], encoding=encoding, cpg=cpg)
    read = read_layer(shp)
    assert read.features[0].district == "Лазовское" and read.features[0].label == "7"


def test_shapefile_in_a_zip(tmp_path: Path, gk_quarters: Path) -> None:
    archive = zip_shapefile(gk_quarters, tmp_path / "from_forestry.zip", folder="data/")
    assert layer_names(archive) == ["kvartaly"]
    read = read_layer(archive)
    assert read.name == "kvartaly" and len(read.features) == 12
    assert read.features[5].district == "Киевское"
    assert max_error_m(read, quarter_grid(GK22_ORIGIN), 28422) < 1.0


def test_zip_of_two_shapefiles_needs_a_layer(tmp_path: Path, gk_quarters: Path) -> None:
    roads = write_shapefile(tmp_path / "dorogi", lines=[[[GK22_ORIGIN, (22_701_000, 4_771_000)]]],
                            fields=[("NAME", "C", 20, 0)], records=[("Лазо — Кордон",)])
    archive = tmp_path / "both.zip"
    zip_shapefile(gk_quarters, archive)
    import zipfile
    with zipfile.ZipFile(archive, "a") as zf:
        for part in roads.parent.glob("dorogi.*"):
            zf.write(part, part.name)
    assert sorted(layer_names(archive)) == ["dorogi", "kvartaly"]
    err = reason_of(archive)
    assert err.reason == MANY_LAYERS and "dorogi" in err.detail and "kvartaly" in err.detail
    read = read_layer(archive, layer="dorogi")
    assert read.kind == "road" and read.label_field == "NAME"
    assert read.features[0].label == "Лазо — Кордон"
    assert read.features[0].geometry.geom_type == "LineString"
    assert reason_of(archive, layer="reki").reason == NO_SUCH_LAYER


def test_zip_names_in_utf8_without_the_flag(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "кварталы", [[square(*GK22_ORIGIN, 1000)]],
                          fields=KV_FIELDS, records=[(1, "Лазовское")])
    archive = zip_shapefile(shp, tmp_path / "layer.zip")
    clear_utf8_flag(archive)
    assert layer_names(archive) == ["кварталы"]
    read = read_layer(archive)
    assert read.name == "кварталы" and read.kind == "forest_quarter"


def test_deleted_record_and_missing_dbf(tmp_path: Path, gk_quarters: Path) -> None:
    mark_deleted(gk_quarters.with_suffix(".dbf"), 2)
    read = read_layer(gk_quarters)
    assert [f.label for f in read.features] == ["1", "2", *map(str, range(4, 13))]
    assert read.skipped == ("feature 3: deleted in the .dbf; dropped",)
    gk_quarters.with_suffix(".dbf").unlink()
    bare = read_layer(gk_quarters)
    assert len(bare.features) == 12 and bare.fields == () and bare.label_field == ""
    assert bare.kind == "forest_quarter"  # from the name alone


def test_shapefile_rings_become_holes_and_parts(tmp_path: Path) -> None:
    x, y = GK22_ORIGIN
    outer = square(x, y, 1000)
    hole = list(reversed(square(x + 250, y + 250, 500)))  # counter-clockwise: a hole
    island = square(x + 2000, y, 500)
    shp = write_shapefile(tmp_path / "park", [[outer, hole, island]], fields=[("NAME", "C", 20, 0)],
                          records=[("Земля леопарда",)])
    read = read_layer(shp)
    geometry = read.features[0].geometry
    assert geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2
    with_hole = max(geometry.geoms, key=lambda g: g.area)
    assert len(with_hole.interiors) == 1
    assert read.kind == "park_boundary" and read.features[0].label == "Земля леопарда"


def test_shapefile_without_prj_needs_crs(tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "kv", [[r] for r in quarter_grid(GK22_ORIGIN)],
                          fields=KV_FIELDS, records=kv_records(12), epsg=None)
    err = reason_of(shp)
    assert err.reason == NO_PRJ and err.path == str(shp)
    read = read_layer(shp, crs="EPSG:28422")
    assert read.source_crs == "EPSG:28422"
    assert max_error_m(read, quarter_grid(GK22_ORIGIN), 28422) < 1.0


def test_prj_with_its_own_towgs84_keeps_it(tmp_path: Path) -> None:
    """A Pulkovo 1942 .prj as GDAL writes WKT1, with TOWGS84 (here GOST 51794-2008's): that
    shift is used, not the one PROJ would pick for EPSG:28422 (about 3 m away here)."""
    own = CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=129 +k=1 +x_0=22500000 +y_0=0 "
                         "+ellps=krass +towgs84=25,-141,-78.5,0,0.35,0.736,0 +units=m")
    grid = quarter_grid(GK22_ORIGIN)
    shp = write_shapefile(tmp_path / "kv", [[r] for r in grid], fields=KV_FIELDS,
                          records=kv_records(12), epsg=None)
    shp.with_suffix(".prj").write_text(own.to_wkt("WKT1_GDAL"))
    read = read_layer(shp)
    assert max_error_m(read, grid, CRS.from_wkt(own.to_wkt("WKT1_GDAL"))) < 0.01
    assert max_error_m(read, grid, 28422) > 1.0


def test_prj_and_dbf_chosen_instead_of_shp(gk_quarters: Path) -> None:
    assert len(read_layer(gk_quarters.with_suffix(".dbf")).features) == 12


def test_truncated_shapefile_is_damaged(tmp_path: Path, gk_quarters: Path) -> None:
    data = gk_quarters.read_bytes()
    gk_quarters.write_bytes(data[: len(data) - 50])
    assert reason_of(gk_quarters).reason == DAMAGED


def test_shapefile_over_the_vertex_limit(tmp_path: Path) -> None:
    n = MAX_VERTICES // 2 + 1
    line = [(GK22_ORIGIN[0] + i * 0.01, GK22_ORIGIN[1]) for i in range(n)]
    shp = write_shapefile(tmp_path / "long", lines=[[line], [line]])
    assert reason_of(shp).reason == TOO_MANY_VERTICES


# --- GeoPackage ------------------------------------------------------------------------------
FORESTRIES = ("珲春林场", "敬信林场")


def _cgcs_quarters(path: Path, extra: dict[str, dict[str, object]] | None = None) -> Path:
    grid = quarter_grid(CGCS_ORIGIN)
    tables: dict[str, dict[str, object]] = {"林班": {
        "epsg": 4552, "fields": [("林班号", "INTEGER"), ("林场", "TEXT")],
        "rows": [(shapely.Polygon(r), {"林班号": i + 1, "林场": FORESTRIES[i >= 6]})
                 for i, r in enumerate(grid)]}}
    tables.update(extra or {})
    return write_gpkg(path, tables)  # type: ignore[arg-type]


def test_cgcs2000_geopackage(tmp_path: Path) -> None:
    gpkg = _cgcs_quarters(tmp_path / "hunchun.gpkg")
    assert layer_names(gpkg) == ["林班"]
    read = read_layer(gpkg)
    assert max_error_m(read, quarter_grid(CGCS_ORIGIN), 4552) < 1.0
    assert read.name == "林班" and read.kind == "forest_quarter"
    assert read.label_field == "林班号" and read.district_field == "林场"
    assert read.source_crs == "EPSG:4552" and read.fields == ("林班号", "林场")
    assert [f.label for f in read.features] == [str(i) for i in range(1, 13)]
    assert read.features[-1].district == "敬信林场"
    west, south, _east, _north = shapely.total_bounds([f.geometry for f in read.features])
    assert 129.9 < west < 130.1 and 42.9 < south < 43.1


def test_geopackage_crs_from_definition_when_not_epsg(tmp_path: Path) -> None:
    gpkg = _cgcs_quarters(tmp_path / "custom.gpkg")
    with sqlite3.connect(gpkg) as con:
        con.execute("UPDATE gpkg_spatial_ref_sys SET organization = 'local', "
                    "organization_coordsys_id = 1 WHERE srs_id = 4552")
    read = read_layer(gpkg)
    assert max_error_m(read, quarter_grid(CGCS_ORIGIN), 4552) < 1.0


def test_geopackage_big_endian_header_without_envelope(tmp_path: Path) -> None:
    ring = square(131.0, 43.0, 0.01)
    blob = gp_blob(shapely.to_wkb(shapely.Polygon(ring), byte_order=0), 4326, None,
                   little_endian=False)
    gpkg = write_gpkg(tmp_path / "be.gpkg", {"park": {"epsg": 4326, "fields": [("name", "TEXT")],
                                                      "rows": [(blob, {"name": "Кедровая Падь"})]}})
    read = read_layer(gpkg)
    assert read.features[0].geometry.equals(shapely.Polygon(ring))
    assert read.source_crs == "EPSG:4326" and read.kind == "park_boundary"
    assert read.features[0].label == "Кедровая Падь"


def test_geopackage_in_wal_mode(tmp_path: Path) -> None:
    gpkg = _cgcs_quarters(tmp_path / "wal.gpkg")
    con = sqlite3.connect(gpkg)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute('DELETE FROM "林班" WHERE "林班号" > 10')  # only in the -wal while con is open
    con.commit()
    try:
        assert len(read_layer(gpkg).features) == 10
    finally:
        con.close()


def test_geopackage_of_two_layers(tmp_path: Path) -> None:
    road = shapely.LineString([CGCS_ORIGIN, (CGCS_ORIGIN[0] + 3000, CGCS_ORIGIN[1] + 2000)])
    gpkg = _cgcs_quarters(tmp_path / "two.gpkg", {"道路": {
        "epsg": 4552, "geometry_type": "LINESTRING", "fields": [("名称", "TEXT")],
        "rows": [(road, {"名称": "林道一号"}), (None, {"名称": "无几何"})]}})
    assert layer_names(gpkg) == ["林班", "道路"]
    err = reason_of(gpkg)
    assert err.reason == MANY_LAYERS and err.detail == "林班, 道路"
    read = read_layer(gpkg, layer="道路")
    assert read.kind == "road" and read.label_field == "名称" and len(read.features) == 1
    assert read.features[0].label == "林道一号"
    assert read.skipped == ("feature 2: no geometry; dropped",)
    assert reason_of(gpkg, layer="河流").reason == NO_SUCH_LAYER


def test_ogrinfo_reads_the_written_geopackage(tmp_path: Path) -> None:
    """The test writer follows the GeoPackage spec, as GDAL reads it."""
    gpkg = _cgcs_quarters(tmp_path / "check.gpkg")
    out = subprocess.run([_tool("ogrinfo"), "-ro", "-so", "-al", str(gpkg)], capture_output=True,
                         text=True, check=True, timeout=120).stdout
    assert re.search(r"Feature Count: 12\b", out), out
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 129E" in out
    assert read_layer(gpkg).vertex_count == 60


def test_geopackage_with_a_two_point_ring_is_broken(tmp_path: Path) -> None:
    gpkg = write_gpkg(tmp_path / "bad.gpkg", {"kv": {"epsg": 4326, "rows": [
        (shapely.Polygon(square(131, 43, 0.01)), {}),
        (gp_blob(broken_ring_wkb(), 4326, None), {})]}})
    err = reason_of(gpkg)
    assert err.reason == BROKEN_GEOMETRY and err.detail.startswith("feature 2:")


@pytest.mark.parametrize("vertices", [MAX_VERTICES + 1, 3 * MAX_VERTICES])
def test_geopackage_over_the_vertex_limit(tmp_path: Path, vertices: int) -> None:
    """Counted after each thousand rows are decoded, or from the blobs' sizes before."""
    xy = np.column_stack([131 + np.arange(vertices) * 1e-7, np.full(vertices, 43.0)])
    gpkg = write_gpkg(tmp_path / "long.gpkg", {"track": {
        "epsg": 4326, "geometry_type": "LINESTRING", "rows": [(shapely.LineString(xy), {})]}})
    assert reason_of(gpkg).reason == TOO_MANY_VERTICES


def test_not_sqlite_gpkg_and_plain_sqlite(tmp_path: Path) -> None:
    fake = tmp_path / "layer.gpkg"
    fake.write_text("this is not a database\n" * 10)
    assert reason_of(fake).reason == NOT_A_LAYER
    plain = tmp_path / "other.gpkg"
    with sqlite3.connect(plain) as con:
        con.execute("CREATE TABLE t (x)")
    assert reason_of(plain).reason == NOT_A_LAYER


def test_truncated_geopackage_is_damaged(tmp_path: Path) -> None:
    gpkg = _cgcs_quarters(tmp_path / "cut.gpkg")
    data = gpkg.read_bytes()
    gpkg.write_bytes(data[: len(data) // 2])
    assert reason_of(gpkg).reason == DAMAGED


# --- GeoJSON ---------------------------------------------------------------------------------
def _wgs84_grid() -> list[list[tuple[float, float]]]:
    return [square(131.0 + (i % 4) * 0.0125, 43.0 + (i // 4) * 0.009, 0.01) for i in range(12)]


def test_geojson_feature_collection(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "export.geojson",
                         [polygon_feature([r], KV=float(i + 1), NAME=f" Кв. {i + 1} ")
                          for i, r in enumerate(_wgs84_grid())], name="kvartaly")
    read = read_layer(path)
    assert read.name == "kvartaly" and read.kind == "forest_quarter"
    assert read.label_field == "KV" and read.source_crs == "EPSG:4326"
    assert read.fields == ("KV", "NAME") and read.district_field == ""
    assert [f.label for f in read.features] == [str(i) for i in range(1, 13)]
    got = shapely.get_coordinates(read.features[0].geometry)
    assert np.allclose(got, np.asarray(_wgs84_grid()[0]), atol=1e-12)  # no transform at all
    named = read_layer(path, label_field="name")  # the file's own spelling comes back
    assert named.label_field == "NAME" and named.features[2].label == "Кв. 3"
    assert read_layer(path, label_field="").features[0].label == ""


def test_geojson_legacy_crs_member(tmp_path: Path) -> None:
    grid = quarter_grid(GK22_ORIGIN)
    path = write_geojson(tmp_path / "kv_gk.json",
                         [polygon_feature([r], KV=i + 1) for i, r in enumerate(grid)],
                         crs_urn="urn:ogc:def:crs:EPSG::28422")
    read = read_layer(path)
    assert read.source_crs == "EPSG:28422" and read.name == "kv_gk"
    assert max_error_m(read, grid, 28422) < 1.0


def test_geojson_in_gauss_kruger_without_crs_is_refused(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "kv.geojson",
                         [polygon_feature([r]) for r in quarter_grid(GK22_ORIGIN)])
    assert reason_of(path).reason == UNKNOWN_CRS
    assert len(read_layer(path, crs="EPSG:28422").features) == 12


def test_points_and_lines_and_null_geometry(tmp_path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"name": "Кордон Кедровый"},
         "geometry": {"type": "Point", "coordinates": [131.5, 43.1, 120.0]}},
        {"type": "Feature", "properties": {"name": "без места"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "Два дома"},
         "geometry": {"type": "MultiPoint", "coordinates": [[131.6, 43.2], [131.61, 43.2]]}},
    ]
    read = read_layer(write_geojson(tmp_path / "kordony.geojson", features))
    assert read.kind == "cordon" and read.label_field == "name"
    assert [f.label for f in read.features] == ["Кордон Кедровый", "Два дома"]
    assert read.features[0].geometry.equals(shapely.Point(131.5, 43.1))
    assert not read.features[0].geometry.has_z
    assert read.skipped == ("feature 2: no geometry; dropped",)


def test_bow_tie_is_repaired_and_listed(tmp_path: Path) -> None:
    bow_tie = [(131.0, 43.0), (131.01, 43.01), (131.01, 43.0), (131.0, 43.01), (131.0, 43.0)]
    path = write_geojson(tmp_path / "kv.geojson",
                         [polygon_feature([_wgs84_grid()[0]], KV=1),
                          polygon_feature([bow_tie], KV=2)])
    read = read_layer(path)
    assert len(read.features) == 2
    assert read.skipped == ("feature 2: repaired self-intersection",)
    repaired = read.features[1].geometry
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(0.00005)


def test_geometry_collection(tmp_path: Path) -> None:
    ring = _wgs84_grid()[0]
    feature = {"type": "Feature", "properties": {"name": "Кордон и поляна"}, "geometry": {
        "type": "GeometryCollection", "geometries": [
            {"type": "Point", "coordinates": [131.005, 43.005]},
            {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}]}}
    read = read_layer(write_geojson(tmp_path / "x.geojson", [feature]))
    geometry = read.features[0].geometry
    assert geometry.geom_type == "GeometryCollection" and len(geometry.geoms) == 2
    assert read.vertex_count == 6


def test_open_ring_is_closed(tmp_path: Path) -> None:
    open_ring = _wgs84_grid()[0][:-1]
    read = read_layer(write_geojson(tmp_path / "kv.geojson", [polygon_feature([open_ring])]))
    assert read.features[0].geometry.is_valid
    assert read.skipped == ("feature 1: closed an open ring",)


def test_too_many_vertices_refused_quickly(tmp_path: Path) -> None:
    path = write_long_line(tmp_path / "track.geojson", MAX_VERTICES + 1)
    started = time.perf_counter()
    err = reason_of(path)
    elapsed = time.perf_counter() - started
    assert err.reason == TOO_MANY_VERTICES
    assert elapsed < 3.0, f"took {elapsed:.2f} s"


def test_brackets_in_text_are_not_vertices(tmp_path: Path) -> None:
    notes = "[1, 2] " * (MAX_VERTICES // 2 + 1)  # looks like positions, but inside a string
    path = write_geojson(tmp_path / "kv.geojson", [polygon_feature([_wgs84_grid()[0]], n=notes)])
    assert read_layer(path).vertex_count == 5


def test_as_many_vertices_as_allowed_are_read(tmp_path: Path) -> None:
    path = write_long_line(tmp_path / "track.geojson", MAX_VERTICES)
    assert read_layer(path).vertex_count == MAX_VERTICES


# --- bad GeoJSON and arguments ---------------------------------------------------------------
@pytest.mark.parametrize(("text", "reasons"), [
    ("Лесничество: кварталы 1-12\n", {NOT_A_LAYER}),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Po',
     {DAMAGED, NOT_A_LAYER}),
    ('{"some": "json"}', {NOT_A_LAYER}),
    ("[1, 2, 3]", {NOT_A_LAYER}),
    ("", {NOT_A_LAYER}),
])
def test_not_geojson(tmp_path: Path, text: str, reasons: set[str]) -> None:
    path = tmp_path / "kv.geojson"
    path.write_text(text, encoding="utf-8")
    assert reason_of(path).reason in reasons


@pytest.mark.parametrize(("geometry", "detail"), [
    ({"type": "Polygon", "coordinates": [[[131, 43], [131.1, 43.1]]]}, "ring of 2 point"),
    ({"type": "Polygon", "coordinates": [[[131, 43], [131.1, "43"], [131.1, 43.1], [131, 43]]]},
     "not a finite number"),
    ({"type": "LineString", "coordinates": [[131, 43], [131.1, None]]}, "not a finite number"),
    ({"type": "LineString", "coordinates": [[131, 43]]}, "a line of 1 point"),
    ({"type": "LineString", "coordinates": [131, 43]}, "not nested"),
    ({"type": "Circle", "coordinates": [131, 43]}, "unknown geometry type"),
])
def test_broken_geometry_names_the_feature(tmp_path: Path, geometry: dict[str, object],
                                           detail: str) -> None:
    good = polygon_feature([_wgs84_grid()[0]])
    path = write_geojson(tmp_path / "kv.geojson",
                         [good, good, {"type": "Feature", "properties": {}, "geometry": geometry}])
    err = reason_of(path)
    assert err.reason == BROKEN_GEOMETRY
    assert err.detail.startswith("feature 3:") and detail in err.detail


def test_nan_coordinate_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "kv.geojson"
    path.write_text('{"type": "LineString", "coordinates": [[131, 43], [NaN, 43.1]]}')
    err = reason_of(path)
    assert err.reason == BROKEN_GEOMETRY and err.detail.startswith("feature 1:")


def test_unknown_crs_and_field_and_kind(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "kv.geojson", [polygon_feature([_wgs84_grid()[0]], KV=1)])
    err = reason_of(path, crs="EPSG:999999")
    assert err.reason == UNKNOWN_CRS and err.detail == "EPSG:999999"
    err = reason_of(path, label_field="NOPE")
    assert err.reason == NO_SUCH_FIELD and err.detail == "NOPE"
    with pytest.raises(InvalidValue):
        read_layer(path, kind="lake")
    assert read_layer(path, kind="other").kind == "other"
    legacy = write_geojson(tmp_path / "odd.geojson", [polygon_feature([_wgs84_grid()[0]])],
                           crs_urn="urn:ogc:def:crs:EPSG::999999")
    assert reason_of(legacy).reason == UNKNOWN_CRS


def test_empty_collection_has_no_features(tmp_path: Path) -> None:
    assert reason_of(write_geojson(tmp_path / "kv.geojson", [])).reason == NO_FEATURES
    only_null = write_geojson(tmp_path / "null.geojson",
                              [{"type": "Feature", "properties": {}, "geometry": None}])
    assert reason_of(only_null).reason == NO_FEATURES


def test_missing_file_and_other_formats(tmp_path: Path) -> None:
    with pytest.raises(FileUnreadable):
        read_layer(tmp_path / "nowhere.geojson")
    other = tmp_path / "map.pdf"
    other.write_bytes(b"%PDF-1.7\n")
    assert reason_of(other).reason == NOT_A_LAYER


@pytest.mark.parametrize("kind", ["shp", "dbf", "gpkg", "geojson", "zip"])
def test_damaged_bytes_give_typed_errors_only(tmp_path: Path, gk_quarters: Path,
                                              kind: str) -> None:
    """Cut short or with bytes changed, any file is read or refused with a BadInput."""
    targets = {
        "shp": gk_quarters, "dbf": gk_quarters.with_suffix(".dbf"),
        "gpkg": _cgcs_quarters(tmp_path / "g.gpkg"),
        "geojson": write_geojson(tmp_path / "k.geojson",
                                 [polygon_feature([r], KV=i) for i, r in
                                  enumerate(quarter_grid(GK22_ORIGIN))],
                                 crs_urn="urn:ogc:def:crs:EPSG::28422"),
        "zip": zip_shapefile(gk_quarters, tmp_path / "z.zip"),
    }
    damaged = targets[kind]
    read = gk_quarters if kind == "dbf" else damaged
    original = damaged.read_bytes()
    rng = random.Random(kind)
    for _ in range(40):
        data = bytearray(original)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        else:
            for _flip in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        damaged.write_bytes(bytes(data))
        with contextlib.suppress(BadInput):
            read_layer(read)


# --- sentences -------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", [NOT_A_LAYER, DAMAGED, NO_PRJ, UNKNOWN_CRS, BROKEN_GEOMETRY,
                                    TOO_MANY_VERTICES, NO_FEATURES, MANY_LAYERS, NO_SUCH_LAYER,
                                    NO_SUCH_FIELD])
def test_every_reason_has_a_sentence(reason: str) -> None:
    text = describe(LayerInvalid("/media/usb/kv.shp", reason, "kvartaly, dorogi"))
    assert text.startswith("The file /media/usb/kv.shp cannot be read as a map layer: ")
    assert text.endswith("; nothing was added.")
    assert "{" not in text


def test_sentences_say_what_to_do() -> None:
    assert "--crs EPSG:28422" in describe(LayerInvalid("kv.shp", NO_PRJ))
    assert "(kvartaly, dorogi); choose one with --layer" in describe(
        LayerInvalid("a.gpkg", MANY_LAYERS, "kvartaly, dorogi"))
    assert "1,000,000 points" in describe(LayerInvalid("a.geojson", TOO_MANY_VERTICES))
    assert "()" not in describe(LayerInvalid("a.gpkg", DAMAGED))


# --- progress and cancel ---------------------------------------------------------------------
def _many_quarters(tmp_path: Path, n: int) -> Path:
    rings = [[square(GK22_ORIGIN[0] + (i % 50) * 100, GK22_ORIGIN[1] + (i // 50) * 100, 100)]
             for i in range(n)]
    return write_shapefile(tmp_path / "kv", rings, fields=KV_FIELDS, records=kv_records(n))


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    read = read_layer(_many_quarters(tmp_path, 2500), progress=lambda d, t: calls.append((d, t)))
    assert len(read.features) == 2500
    assert calls[0] == (0, 2500)
    assert (1000, 2500) in calls and (2000, 2500) in calls and calls[-1] == (2500, 2500)


@pytest.mark.parametrize("kind", ["shapefile", "geojson", "gpkg"])
def test_cancel_stops_the_read(tmp_path: Path, kind: str) -> None:
    n = 2500
    grid = [square(131 + (i % 50) * 0.001, 43 + (i // 50) * 0.001, 0.001) for i in range(n)]
    if kind == "shapefile":
        path = _many_quarters(tmp_path, n)
    elif kind == "geojson":
        path = write_geojson(tmp_path / "kv.geojson", [polygon_feature([r]) for r in grid])
    else:
        path = write_gpkg(tmp_path / "kv.gpkg", {"kv": {"epsg": 4326, "rows": [
            (shapely.Polygon(r), {}) for r in grid]}})
    seen: list[int] = []

    def cancelled() -> bool:  # Cancel pressed once 1000 features were reported
        return bool(seen) and seen[-1] >= 1000

    with pytest.raises(LayerReadCancelled):
        read_layer(path, progress=lambda done, _total: seen.append(done), cancelled=cancelled)
    assert seen == [0, 1000]  # stopped at the next check, long before the end


# --- guesses ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "fields", "kind"), [
    ("kvartaly_2019", (), "forest_quarter"),
    ("Кварталы Лазовского лесничества", (), "forest_quarter"),
    ("lesnichestva", (), "forest_district"),
    ("granica_oopt", (), "park_boundary"),
    ("Граница заповедника", (), "park_boundary"),
    ("гос_граница", (), "state_border"),
    ("China_border", (), "state_border"),
    ("国界", (), "state_border"),
    ("东北虎豹国家公园保护区", (), "park_boundary"),
    ("dorogi", (), "road"),
    ("реки", (), "river"),
    ("河流", (), "river"),
    ("kordony", (), "cordon"),
    ("layer1", ("NUM_KV", "AREA"), "forest_quarter"),
    ("layer1", ("LESNICHEST",), "forest_district"),
    ("kv", (), "forest_quarter"),
    ("layer1", ("ID",), "other"),
])
def test_kind_guess(name: str, fields: tuple[str, ...], kind: str) -> None:
    assert guess.guess_kind([name], fields) == kind


def test_label_and_district_guess() -> None:
    fields = ("ID", "NAZV", "kvartal", "LESNICHEST")
    assert guess.guess_label_field("forest_quarter", fields) == "kvartal"
    assert guess.guess_label_field("road", fields) == "NAZV"
    assert guess.guess_label_field("road", ("ID",)) == ""
    assert guess.guess_label_field("forest_district", ("ID", "LESNICH")) == "LESNICH"
    assert guess.guess_label_field("forest_quarter", ("ID", "LESNICH")) == ""
    assert guess.guess_district_field(fields) == "LESNICHEST"
    assert guess.guess_district_field(("ЛЕСНИЧЕСТВО",)) == "ЛЕСНИЧЕСТВО"


@pytest.mark.parametrize(("value", "text"), [(12.0, "12"), (12, "12"), (12.5, "12.5"),
                                             (None, ""), ("  7а ", "7а"), (float("nan"), "")])
def test_label_text(value: object, text: str) -> None:
    assert guess.label_text(value) == text


def test_json_helper_roundtrip(tmp_path: Path) -> None:
    """The writer's legacy member is what QGIS writes (a guard on the test helper)."""
    path = write_geojson(tmp_path / "x.geojson", [], crs_urn="urn:ogc:def:crs:EPSG::28422")
    assert json.loads(path.read_text())["crs"]["properties"]["name"].endswith("28422")
