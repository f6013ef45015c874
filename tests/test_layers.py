"""`layers add|list|remove`, the quarter lookup, and a layer added at HQ reaching a station."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import box
from test_sync_support import Site, carry, introduce, make_site, run_cli, state

from ranger_app.domain.layers import (
    LayerBlobError,
    LayerFeature,
    LayerIndex,
    MapLayer,
    decode_features,
    default_style,
    encode_features,
)
from ranger_app.io.layers.service import map_layers
from ranger_app.store.layers import layer_records

WEST, SOUTH, SIDE = 131.0, 43.0, 0.01


def quarter_grid_geojson(path: Path, cols: int = 4, rows: int = 3, **extra: object) -> Path:
    """A FeatureCollection of cols × rows square quarters numbered 1.. from the north-west,
    in a forest district named in Russian, as forestry GIS files carry it."""
    features = []
    for r in range(rows):
        for c in range(cols):
            n = (rows - 1 - r) * cols + c + 1
            x0, y0 = WEST + c * SIDE, SOUTH + r * SIDE
            ring = [[x0, y0], [x0 + SIDE, y0], [x0 + SIDE, y0 + SIDE], [x0, y0 + SIDE],
                    [x0, y0]]
            features.append({"type": "Feature", "geometry": {"type": "Polygon",
                                                              "coordinates": [ring]},
                             "properties": {"KV": n, "LESNICH": "Нарвинское"}})
    path.write_text(json.dumps({"type": "FeatureCollection", "name": "kvartaly",
                                "features": features, **extra}, ensure_ascii=False),
                    encoding="utf-8")
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Site, Site]:
    hq = make_site(tmp_path, "HQ", "Дирекция", "Анна", hq=True)
    a = make_site(tmp_path, "KED", "Кедровая падь", "Иван")
    yield hq, a
    hq.db.close()
    a.db.close()


def _media(site: Site) -> list[str]:
    root = site.db.media.root
    return sorted(p.name for p in root.rglob("*")) if root.exists() else []


def test_add_and_list_a_quarter_layer(pair: tuple[Site, Site], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    grid = quarter_grid_geojson(tmp_path / "kvartaly.geojson")
    code, out = run_cli(capsys, hq, "layers", "add", str(grid))
    assert code == 0
    assert "12 features" in out and "forest_quarter" in out and "KV" in out
    assert "EPSG:4326" in out
    code, out = run_cli(capsys, hq, "layers", "add", str(grid))
    assert code == 0 and "already registered" in out
    code, out = run_cli(capsys, hq, "layers", "list")
    [line] = out.splitlines()
    name, kind, count, bounds, source, sha, held = line.split("\t")
    assert (name, kind, count, source) == ("kvartaly", "forest_quarter", "12", "kvartaly.geojson")
    assert bounds == "131.0000,43.0000,131.0400,43.0300"
    assert held == "file here" and len(sha) == 12
    [layer] = map_layers(hq.db)
    labels = sorted((f.label for f in layer.features), key=int)
    assert labels == [str(n) for n in range(1, 13)]  # 1, not "1.0"
    assert {f.district for f in layer.features} == {"Нарвинское"}


def test_the_name_and_kind_can_be_given(pair: tuple[Site, Site], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    grid = quarter_grid_geojson(tmp_path / "grid.geojson")
    code, _out = run_cli(capsys, hq, "layers", "add", str(grid), "--name", "Кварталы",
                         "--kind", "other")
    assert code == 0
    [record] = layer_records(hq.db)
    assert (record.name, record.kind) == ("Кварталы", "other")


@pytest.mark.parametrize("make, words", [
    (lambda d: (d / "a.geojson").write_text("<html>404</html>") and d / "a.geojson",
     "nothing was added"),
    (lambda d: (d / "b.geojson").write_text('{"type": "FeatureCollection", "features": [') and
     d / "b.geojson", "nothing was added"),
    (lambda d: (d / "c.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                   "geometry": {"type": "Polygon",
                                                                "coordinates": [[[131, 43],
                                                                                 [131.1, 43]]]
                                                                }}]})) and d / "c.geojson",
     "nothing was added"),
    (lambda d: d / "missing.shp", "missing.shp"),
])
def test_a_bad_file_exits_3_and_changes_nothing(pair: tuple[Site, Site], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                make: object, words: str) -> None:
    hq, _a = pair
    path = make(tmp_path)  # type: ignore[operator]
    before, media = state(hq.db), _media(hq)
    code, out = run_cli(capsys, hq, "layers", "add", str(path))
    assert code == 3 and words in out
    assert "Traceback" not in out
    assert state(hq.db) == before and _media(hq) == media


def test_a_geojson_with_a_million_vertices_is_refused(pair: tuple[Site, Site], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    hq, _a = pair
    n = 1_000_001
    coords = ",".join(f"[{131 + i * 1e-7:.7f},43.0]" for i in range(n))
    path = tmp_path / "huge.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature",'
                    '"properties":{},"geometry":{"type":"LineString","coordinates":['
                    + coords + "]}}]}")
    before, media = state(hq.db), _media(hq)
    code, out = run_cli(capsys, hq, "layers", "add", str(path))
    assert code == 3 and "1,000,000" in out.replace("\u202f", ",").replace(" ", ",")
    assert state(hq.db) == before and _media(hq) == media


def test_the_messages_speak_the_users_language(pair: tuple[Site, Site], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    junk = tmp_path / "kv.geojson"
    junk.write_text("not json at all")
    code, out = run_cli(capsys, hq, "--lang", "ru", "layers", "add", str(junk))
    assert code == 3 and "ничего не добавлено" in out.lower()
    code, out = run_cli(capsys, hq, "--lang", "zh", "layers", "add", str(junk))
    assert code == 3 and "未添加" in out


def test_remove_needs_exactly_one_layer(pair: tuple[Site, Site], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    grid = quarter_grid_geojson(tmp_path / "kvartaly.geojson")
    assert run_cli(capsys, hq, "layers", "add", str(grid))[0] == 0
    code, out = run_cli(capsys, hq, "layers", "remove", "nope")
    assert code == 3 and "No layer is called" in out
    code, out = run_cli(capsys, hq, "layers", "remove", "kvartaly")
    assert code == 0 and "removed" in out
    assert layer_records(hq.db) == [] and map_layers(hq.db) == []


def test_a_layer_added_at_hq_reaches_the_station_and_its_removal_too(
        pair: tuple[Site, Site], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hq, a = pair
    introduce(hq, a)
    grid = quarter_grid_geojson(tmp_path / "kvartaly.geojson")
    assert run_cli(capsys, hq, "layers", "add", str(grid), "--name", "Кварталы")[0] == 0
    stick = tmp_path / "stick"
    stick.mkdir()
    carry(hq, a, stick)
    [layer] = map_layers(a.db)
    assert layer.name == "Кварталы" and layer.kind == "forest_quarter"
    assert len(layer.features) == 12
    [here] = map_layers(hq.db)
    assert [f.geometry.wkb for f in layer.features] == [f.geometry.wkb for f in here.features]
    code, out = run_cli(capsys, a, "layers", "list")
    assert code == 0 and out.startswith("Кварталы\tforest_quarter\t12") and "file here" in out
    assert run_cli(capsys, hq, "layers", "remove", "Кварталы")[0] == 0
    carry(hq, a, stick)
    assert map_layers(a.db) == []


def test_a_missing_or_damaged_blob_leaves_only_that_layer_out(
        pair: tuple[Site, Site], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ranger_app.io.layers import service

    hq, _a = pair
    grid = quarter_grid_geojson(tmp_path / "kvartaly.geojson")
    other = quarter_grid_geojson(tmp_path / "roads.geojson", cols=2, rows=1)
    assert run_cli(capsys, hq, "layers", "add", str(grid))[0] == 0
    assert run_cli(capsys, hq, "layers", "add", str(other), "--name", "B")[0] == 0
    damaged, kept = sorted(layer_records(hq.db), key=lambda r: r.name != "kvartaly")
    service._DECODED.clear()
    path = hq.db.media.path_for(damaged.sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    assert [layer.name for layer in map_layers(hq.db)] == [kept.name]
    path.unlink()
    assert [layer.name for layer in map_layers(hq.db)] == [kept.name]


def test_the_blob_is_the_same_for_the_same_features_and_refuses_damage() -> None:
    features = (LayerFeature(box(0, 0, 1, 1), "7", "Нарвинское"),
                LayerFeature(box(1, 0, 2, 1), "квартал 8", ""))
    blob = encode_features(features)
    assert encode_features(features) == blob
    back = decode_features(blob)
    assert [(f.label, f.district, f.geometry.wkt) for f in back] == \
        [(f.label, f.district, f.geometry.wkt) for f in features]
    for broken in (blob[:-4], b"PK\x03\x04" + blob[4:], blob[:12]):
        with pytest.raises(LayerBlobError):
            decode_features(broken)


def _index() -> LayerIndex:
    quarters = tuple(LayerFeature(box(WEST + c * SIDE, SOUTH, WEST + (c + 1) * SIDE,
                                      SOUTH + SIDE), str(c + 1), "Барабашское")
                     for c in range(3))
    district = (LayerFeature(box(WEST - 1, SOUTH - 1, WEST + 1, SOUTH + 1), "Хасанское"),)
    return LayerIndex([
        MapLayer("q", "Кварталы", "forest_quarter", default_style("forest_quarter"), quarters),
        MapLayer("d", "Лесничества", "forest_district", default_style("forest_district"),
                 district)])


def test_quarter_lookup_inside_on_the_edge_at_a_corner_and_outside() -> None:
    index = _index()
    inside = index.quarter_at(SOUTH + SIDE / 2, WEST + 1.5 * SIDE)
    assert inside is not None and (inside.district, inside.quarter) == ("Барабашское", "2")
    edge = index.quarter_at(SOUTH + SIDE / 2, WEST + SIDE)  # between 1 and 2
    assert edge is not None and edge.quarter == "1"
    corner = index.quarter_at(SOUTH, WEST + 3 * SIDE)  # the grid's south-east corner
    assert corner is not None and corner.quarter == "3"
    outside = index.quarter_at(SOUTH + 0.5, WEST + 0.5)  # in the district, in no quarter
    assert outside is not None and (outside.district, outside.quarter) == ("Хасанское", "")
    assert index.quarter_at(10.0, 10.0) is None


def test_a_shapefile_without_prj_is_refused_until_its_system_is_given(
        pair: tuple[Site, Site], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from layer_files import GK22_ORIGIN, quarter_grid, write_shapefile

    hq, _a = pair
    shp = write_shapefile(tmp_path / "kv", [[r] for r in quarter_grid(GK22_ORIGIN)],
                          fields=[("KV", "N", 6, 0)], records=[[n] for n in range(1, 13)],
                          epsg=None)
    before, media = state(hq.db), _media(hq)
    code, out = run_cli(capsys, hq, "layers", "add", str(shp))
    assert code == 3 and ".prj" in out and "--crs" in out and "nothing was added" in out
    assert state(hq.db) == before and _media(hq) == media
    code, out = run_cli(capsys, hq, "layers", "add", str(shp), "--crs", "EPSG:28422")
    assert code == 0 and "12 features" in out and "EPSG:28422" in out
    [record] = layer_records(hq.db)
    west, south, east, north = record.bounds
    assert 131.4 < west < east < 131.6 and 43.0 < south < north < 43.1


def test_what_was_repaired_is_said_in_russian(pair: tuple[Site, Site], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    hq, _a = pair
    bow_tie = [[131.0, 43.0], [131.01, 43.01], [131.01, 43.0], [131.0, 43.01], [131.0, 43.0]]
    path = tmp_path / "kv.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KV": 5},
         "geometry": {"type": "Polygon", "coordinates": [bow_tie]}}]}))
    code, out = run_cli(capsys, hq, "--lang", "ru", "layers", "add", str(path))
    assert code == 0
    assert "объект 1: исправлено — самопересечение" in out
