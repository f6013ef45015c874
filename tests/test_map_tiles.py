"""Basemap tiles under the map: the right pixels, placeholders, the cache, the layer menu."""

from __future__ import annotations

from pathlib import Path

import pytest
from basemap_files import png_tile, write_mbtiles, write_pmtiles
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage

from ranger_app.domain.track import TrackPoint, pack_points
from ranger_app.io.basemap_library import add_basemap
from ranger_app.io.basemap_library import basemaps as basemaps_of
from ranger_app.io.basemaps import open_basemap
from ranger_app.settings import Settings
from ranger_app.ui.map_tiles import (
    NONE_KEY,
    BasemapCatalog,
    TileCache,
    TileLayer,
    register_catalog,
)
from ranger_app.ui.map_view import MapTrack, MapView, project, unproject


def colour_of(z: int, x: int, y: int) -> tuple[int, int, int]:
    return ((x * 67 + z * 30) % 200 + 30, (y * 41) % 200 + 30, (z * 50) % 256)


def _tiles(zooms: range, lat: float = 43.0, lon: float = 131.1,
           half: int = 3) -> list[tuple[int, int, int, bytes]]:
    from basemap_files import tile_of

    out = []
    for z in zooms:
        cx, cy = tile_of(lat, lon, z)
        for x in range(cx - half, cx + half + 1):
            for y in range(cy - half, cy + half + 1):
                out.append((z, x, y, png_tile(colour_of(z, x, y), 256)))
    return out


@pytest.fixture
def view(qtbot) -> MapView:  # type: ignore[no-untyped-def]
    widget = MapView()
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _track() -> bytes:
    return pack_points([TrackPoint(42.98 + i * 0.0004, 131.06 + i * 0.0008) for i in range(100)])


def _settle(view: MapView, layer: TileLayer) -> QImage:
    """Paint, let the decoders finish, paint again: what the ranger sees a moment later."""
    for _i in range(4):
        view.viewport().grab()
        layer.wait()
    return view.viewport().grab().toImage()


def _expected_at(view: MapView, layer: TileLayer, pos: QPoint) -> tuple[int, int, int]:
    from basemap_files import tile_of

    lat, lon = unproject(view.mapToScene(pos))
    z = layer.zoom_for(view.transform().m11())
    return colour_of(z, *tile_of(lat, lon, z))


def _rgb(image: QImage, pos: QPoint) -> tuple[int, int, int]:
    c = image.pixelColor(pos)
    return c.red(), c.green(), c.blue()


@pytest.mark.parametrize("fmt", ["mbtiles", "pmtiles"])
def test_the_map_paints_the_tile_under_each_pixel_and_the_track_on_top(
        view: MapView, tmp_path: Path, fmt: str) -> None:
    tiles = _tiles(range(11, 13))
    path = (write_mbtiles(tmp_path / "t.mbtiles", tiles) if fmt == "mbtiles"
            else write_pmtiles(tmp_path / "t.pmtiles", tiles))
    layer = TileLayer(open_basemap(path))
    view.basemap.set_layer(layer)
    view.set_tracks([MapTrack("p1", _track(), "#1864ab")])
    image = _settle(view, layer)
    assert layer.info.max_zoom == 12 and layer.zoom_for(view.transform().m11()) in (11, 12)
    for pos in (QPoint(60, 400), QPoint(320, 80), QPoint(580, 300), QPoint(200, 200)):
        assert _rgb(image, pos) == pytest.approx(_expected_at(view, layer, pos), abs=3), pos
    # the track is drawn over the tiles, in its own colour
    mid = view.mapFromScene(project(42.98 + 50 * 0.0004, 131.06 + 50 * 0.0008))
    assert _rgb(image, mid) == pytest.approx((0x18, 0x64, 0xab), abs=8)
    layer.close()


def test_a_parent_tile_stands_in_while_its_children_load(view: MapView, tmp_path: Path) -> None:
    tiles = _tiles(range(10, 12))
    layer = TileLayer(open_basemap(write_mbtiles(tmp_path / "t.mbtiles", tiles)))
    view.basemap.set_layer(layer)
    centre = project(43.0, 131.1)
    view._set_scale(256 / (2 * 3.141592653589793 * 6378137 / 2**10))  # zoom 10 pixels
    view.centerOn(centre)
    _settle(view, layer)
    assert layer.cache.get((10, *__import__("basemap_files").tile_of(43.0, 131.1, 10)))
    view._zoom(2.0)  # now zoom 11: nothing decoded at 11 yet
    assert layer.zoom_for(view.transform().m11()) == 11
    first = view.viewport().grab().toImage()  # painted before any decoder could answer
    pos = QPoint(450, 150)  # clear of the "no track yet" note in the middle
    from basemap_files import tile_of

    lat, lon = unproject(view.mapToScene(pos))
    assert _rgb(first, pos) == pytest.approx(colour_of(10, *tile_of(lat, lon, 10)), abs=3)
    assert layer.pending() > 0
    settled = _settle(view, layer)
    assert _rgb(settled, pos) == pytest.approx(colour_of(11, *tile_of(lat, lon, 11)), abs=3)
    layer.close()


def test_cache_is_bounded_by_bytes_and_drops_the_least_recently_used() -> None:
    one = QImage(256, 256, QImage.Format.Format_ARGB32_Premultiplied)
    cache = TileCache(limit=3 * one.sizeInBytes())
    for x in range(3):
        cache.put((5, x, 0), QImage(one))
    assert cache.get((5, 0, 0)) is not None  # touched: now the most recent
    cache.put((5, 3, 0), QImage(one))
    assert len(cache) == 3 and cache.bytes <= cache.limit
    assert cache.get((5, 1, 0)) is None and cache.get((5, 0, 0)) is not None
    cache.put((5, 9, 9), None)
    assert cache.is_missing((5, 9, 9)) and cache.get((5, 9, 9)) is None


def test_the_layer_menu_switches_basemaps_and_remembers(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from basemap_files import tile_of

    topo = write_mbtiles(tmp_path / "topo.mbtiles", [
        (z, x, y, png_tile((200, 180, 120), 256)) for z, x, y, _d in _tiles(range(11, 12))],
        {"name": "Topographic"})
    sat = write_pmtiles(tmp_path / "sat.pmtiles", [
        (z, x, y, png_tile((30, 90, 40), 256)) for z, x, y, _d in _tiles(range(11, 12))],
        name="Satellite")
    settings = Settings()
    settings_path = tmp_path / "settings.json"
    settings.save = lambda: Settings.save(settings, settings_path)  # type: ignore[method-assign]
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.basemap_catalog = BasemapCatalog(db, settings)  # type: ignore[attr-defined]
    view = MapView(window)
    view.resize(500, 400)
    window.resize(500, 400)
    window.show()
    qtbot.waitExposed(window)
    view.set_tracks([MapTrack("p1", _track())])
    catalog = window.basemap_catalog  # type: ignore[attr-defined]
    view.viewport().grab()
    assert catalog.layer is None and view.basemap.button.isVisible()  # to add one
    add_basemap(db, topo)  # as an import from HQ would: then the sync menu reloads
    add_basemap(db, sat)
    catalog.reload()
    first = catalog.current_key()
    image = _settle(view, catalog.layer)
    assert view.basemap.button.isVisible()
    view.basemap._fill_menu()
    names = [a.text() for a in view.basemap.menu.actions()]
    assert names == ["No basemap (grid only)", "Satellite", "Topographic", "",
                     "Add a basemap file…"]
    pos = QPoint(420, 330)  # off the track, clear of the scale bar
    assert _rgb(image, pos) == pytest.approx((30, 90, 40), abs=3)  # the first by name
    topo_action = view.basemap.menu.actions()[2]
    topo_action.trigger()
    assert catalog.current_key() != first
    image = _settle(view, catalog.layer)
    assert _rgb(image, pos) == pytest.approx((200, 180, 120), abs=3)
    assert Settings.load(settings_path).basemap == catalog.current_key()
    # an editor is a window of its own: it finds the main window's catalog by its database
    register_catalog(catalog)
    editor = QWidget()
    qtbot.addWidget(editor)
    editor.db = db  # type: ignore[attr-defined]
    other = MapView(editor)
    other.viewport().grab()
    assert other.basemap.catalog is catalog and other.basemap.layer is catalog.layer
    # a new catalog (the next start) opens the remembered one
    again = BasemapCatalog(db, Settings.load(settings_path))
    assert again.layer is not None and again.layer.name == "Topographic"
    again.close()
    view.basemap.menu.actions()[0].trigger()  # grid only
    assert catalog.current_key() == NONE_KEY and catalog.layer is None
    image = view.viewport().grab().toImage()
    assert _rgb(image, pos) == (0xf4, 0xf3, 0xee)  # paper
    assert tile_of(43.0, 131.1, 11)
    catalog.close()


def test_every_map_of_the_window_shows_the_basemap(qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.ui.main_window import MainWindow

    add_basemap(db, write_mbtiles(tmp_path / "topo.mbtiles", _tiles(range(11, 12), half=1)))
    window = MainWindow(db, settings=Settings())
    qtbot.addWidget(window)
    window.show()
    maps: list[MapView] = []
    for i in (1, 2, 3):  # fires, feeding sites, camera traps
        maps += window.workspace(i).findChildren(MapView)
    editor = window.new_patrol()  # a window of its own (deleted when closed)
    maps += editor.findChildren(MapView)
    assert len(maps) >= 4
    for view in maps:
        view.viewport().grab()
        assert view.basemap.layer is window.basemap_catalog.layer is not None, view
    editor.dirty = False
    editor.close()
    window.basemap_catalog.close()


def test_adding_a_basemap_from_the_map_copies_it_in_a_worker_and_shows_it(
        qtbot, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    window.basemap_catalog = BasemapCatalog(db, Settings())  # type: ignore[attr-defined]
    view = MapView(window)
    window.show()
    qtbot.waitExposed(window)
    view.viewport().grab()
    junk = tmp_path / "map.mbtiles"
    junk.write_bytes(b"not a map at all")
    worker = view.basemap.add_file(junk)
    assert worker is not None
    qtbot.waitUntil(lambda: hasattr(view.basemap, "last_message"), timeout=5000)
    assert "cannot be used as a basemap" in view.basemap.last_message.text()
    assert basemaps_of(db) == []
    view.basemap.last_message.close()
    good = write_mbtiles(tmp_path / "topo.mbtiles", _tiles(range(11, 12), half=1),
                         {"name": "Topo"})
    worker = view.basemap.add_file(good)
    with qtbot.waitSignal(worker.signals.done, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: window.basemap_catalog.layer is not None, timeout=5000)  # type: ignore[attr-defined]
    assert [r.name for r in basemaps_of(db)] == ["Topo"]
    assert view.basemap.layer is window.basemap_catalog.layer  # type: ignore[attr-defined]
    window.basemap_catalog.close()  # type: ignore[attr-defined]
