"""Vector layers on the map: drawn, switched off from the menu and remembered, labelled only
from their zoom on without overlaps, built off the UI thread, menu in the user's language."""

from __future__ import annotations

import gc
import math
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from shapely.geometry import LineString, Point, box

from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
from ranger_app.i18n import set_language
from ranger_app.settings import Settings
from ranger_app.ui.layer_source import LayerSource, register_source
from ranger_app.ui.map_layers import R_MERCATOR, scene_xy, web_mercator_zoom
from ranger_app.ui.map_view import MapView, project

SIDE = 0.0125  # about a kilometre at 43° N


def quarters(n: int, west: float = 131.0, south: float = 42.95) -> MapLayer:
    cols = math.ceil(math.sqrt(n))
    feats = tuple(
        LayerFeature(box(west + (k % cols) * SIDE, south + (k // cols) * SIDE * 0.73,
                         west + (k % cols + 1) * SIDE, south + (k // cols + 1) * SIDE * 0.73),
                     label=str(k + 1))
        for k in range(n))
    return MapLayer("quarters", "Quarters", "forest_quarter",
                    default_style("forest_quarter"), feats)


def park_layers() -> list[MapLayer]:
    return [
        quarters(400),
        MapLayer("park", "Park", "park_boundary", default_style("park_boundary"),
                 (LayerFeature(box(130.95, 42.92, 131.3, 43.1)),)),
        MapLayer("border", "Border", "state_border", default_style("state_border"),
                 (LayerFeature(LineString([(130.9, 43.06), (131.35, 43.06)])),)),
        MapLayer("cordons", "Cordons", "cordon", default_style("cordon"),
                 (LayerFeature(Point(131.05, 42.97), label="Kedrovy"),)),
    ]


def zoom_scale(z: float) -> float:
    return 256 * 2**z / (2 * math.pi * R_MERCATOR)


@pytest.fixture
def view(qtbot) -> MapView:  # type: ignore[no-untyped-def]
    widget = MapView()
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _show(qtbot, view: MapView, layers: list[MapLayer]) -> None:  # type: ignore[no-untyped-def]
    worker = view.set_layers(layers)
    with qtbot.waitSignal(worker.signals.done, timeout=10_000):
        pass
    qtbot.waitUntil(lambda: not view.layers.building(), timeout=5000)


def _look_at(view: MapView, lat: float, lon: float, z: float) -> None:
    view._set_scale(zoom_scale(z))
    view.centerOn(project(lat, lon))
    view.viewport().grab()


def test_scene_coordinates_match_the_map_projection() -> None:
    xy = scene_xy(np.array([[131.5, 43.3], [130.2, 42.1]]))
    for (lon, lat), (x, y) in zip([(131.5, 43.3), (130.2, 42.1)], xy, strict=True):
        p = project(lat, lon)
        assert (x, y) == pytest.approx((p.x(), p.y()), abs=1e-6)
    assert web_mercator_zoom(zoom_scale(12.0)) == pytest.approx(12.0)


def test_every_layer_is_drawn_between_the_paper_and_the_tracks(qtbot, view: MapView) -> None:  # type: ignore[no-untyped-def]
    _look_at(view, 43.0, 131.1, 11)
    bare = view.viewport().grab().toImage()
    _show(qtbot, view, park_layers())
    assert view.layers.button.isVisible()
    image = view.viewport().grab().toImage()
    drawn = view.layers.last
    assert {"quarters", "park", "border"} <= {k for k, n in drawn.paths.items() if n > 0}
    assert drawn.points.get("cordons") == 1
    changed = sum(image.pixel(x, y) != bare.pixel(x, y)
                  for x in range(0, 640, 4) for y in range(0, 480, 4))
    assert changed > 1000  # the quarter grid and the park's fill cover the view
    # the border is red and dashed: some pixels on its line are red
    at = view.mapFromScene(project(43.06, 131.1))
    reds = [image.pixelColor(at.x() + dx, at.y() + dy) for dy in range(-2, 3)
            for dx in range(0, 9)]
    assert any(c.red() > 150 and c.green() < 90 for c in reds)


def test_labels_only_from_the_styles_zoom_and_never_overlapping(qtbot, view: MapView) -> None:  # type: ignore[no-untyped-def]
    _show(qtbot, view, park_layers())
    _look_at(view, 43.0, 131.1, 11.5)  # quarters are labelled from zoom 12
    assert not [t for t in view.layers.last.labels if t.isdigit()]
    assert "Kedrovy" in view.layers.last.labels  # cordons from 11
    _look_at(view, 43.0, 131.1, 12.2)
    last = view.layers.last
    numbers = [t for t in last.labels if t.isdigit()]
    assert len(numbers) > 20
    boxes = last.label_boxes
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    controls = view.control_rects()
    assert not any(b.intersects(c) for b in boxes for c in controls)
    _look_at(view, 43.0, 131.1, 10.0)  # far out: a grey lattice, no numbers
    assert not [t for t in view.layers.last.labels if t.isdigit()]


def test_hiding_a_layer_in_the_menu_removes_it_and_is_remembered(
        qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings()
    path = tmp_path / "settings.json"
    settings.save = lambda: Settings.save(settings, path)  # type: ignore[method-assign]
    window = QWidget()
    qtbot.addWidget(window)
    layers = park_layers()
    source = LayerSource(object(), settings, read=lambda _db: layers)
    window.layer_source = source  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not source.loading(), timeout=10_000)
    view = MapView(window)
    window.resize(640, 480)
    view.resize(640, 480)
    window.show()
    qtbot.waitExposed(window)
    _look_at(view, 43.0, 131.1, 11)
    assert view.layers.last.paths.get("quarters", 0) > 0
    view.layers.fill_menu()
    actions = view.layers.menu.actions()
    texts = [a.text() for a in actions]
    assert "Quarters (forest quarters)" in texts and "Border (state border)" in texts
    quarters_action = actions[texts.index("Quarters (forest quarters)")]
    assert quarters_action.isChecked()
    quarters_action.setChecked(False)  # as a click does
    view.viewport().grab()
    assert "quarters" not in view.layers.last.paths
    assert view.layers.last.paths.get("park", 0) > 0
    assert Settings.load(path).hidden_layers == ["quarters"]
    # the next start: a new source from the saved settings keeps it hidden
    again = LayerSource(object(), Settings.load(path), read=lambda _db: layers)
    assert again.hidden() == {"quarters"}
    view.layers.fill_menu()
    quarters_action = view.layers.menu.actions()[texts.index("Quarters (forest quarters)")]
    assert not quarters_action.isChecked()
    quarters_action.setChecked(True)
    view.viewport().grab()
    assert view.layers.last.paths.get("quarters", 0) > 0
    assert Settings.load(path).hidden_layers == []


def test_twenty_thousand_quarters_build_while_the_ui_keeps_running(
        qtbot, view: MapView, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    layer = quarters(20_000, west=130.3, south=42.5)
    # The app freezes what start-up built (ui/app.py); here that is the whole suite so far,
    # whose full collection alone can take half a second and is not this layer's doing.
    gc.collect()
    gc.freeze()
    request.addfinalizer(gc.unfreeze)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    worker = view.set_layers([layer])
    assert view.layers.building()  # set_layers returned at once: the work is elsewhere
    assert time.perf_counter() - started < 0.1
    with qtbot.waitSignal(worker.signals.done, timeout=20_000):
        pass
    qtbot.waitUntil(lambda: not view.layers.building(), timeout=5000)
    timer.stop()
    gaps = np.diff(ticks)
    assert len(ticks) >= 5
    assert gaps.max() < 0.25, f"the UI thread stalled {gaps.max():.3f} s"
    _look_at(view, 42.9, 131.2, 9.0)
    assert view.layers.last.paths.get("quarters", 0) > 0


def test_the_menu_follows_the_language(qtbot, view: MapView) -> None:  # type: ignore[no-untyped-def]
    _show(qtbot, view, park_layers())
    view.layers.fill_menu()
    assert view.layers.button.text() == "Layers"
    set_language("ru")
    QApplication.sendEvent(view, QEvent(QEvent.Type.LanguageChange))
    view.layers.fill_menu()
    texts = [a.text() for a in view.layers.menu.actions()]
    assert view.layers.button.text() == "Слои"
    assert "Quarters (лесные кварталы)" in texts
    set_language("zh")
    QApplication.sendEvent(view, QEvent(QEvent.Type.LanguageChange))
    view.layers.fill_menu()
    assert view.layers.button.text() == "图层"
    assert "Quarters（林班）" in [a.text() for a in view.layers.menu.actions()]
    # the button sits left of the basemap button's place and inside the map
    assert view.layers.button.geometry().right() < view.viewport().width()
    set_language("en")


def test_every_map_of_the_window_gets_the_databases_layers(
        qtbot, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.ui.main_window import MainWindow

    layers = park_layers()
    monkeypatch.setattr("ranger_app.ui.layer_source.map_layers", lambda _db: layers)
    window = MainWindow(db, settings=Settings())
    qtbot.addWidget(window)
    window.show()
    source = window.layer_source  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not source.loading(), timeout=10_000)
    maps: list[MapView] = []
    for i in (1, 2, 3):  # fires, feeding sites, camera traps
        maps += window.workspace(i).findChildren(MapView)
    editor = window.new_patrol()
    maps += editor.findChildren(MapView)
    assert len(maps) >= 4
    for m in maps:
        m.viewport().grab()
        assert m.layers.source is source and m.layers.drawings(), m
    register_source(source)
    editor.dirty = False
    editor.close()
    window.basemap_catalog.close()  # type: ignore[attr-defined]
