"""The "Add a map layer" dialog, as an HQ analyst uses it from a map's Layers menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from layer_files import GK22_ORIGIN, quarter_grid, write_shapefile
from PySide6.QtWidgets import QWidget
from test_layers import quarter_grid_geojson

from ranger_app.i18n.qt import apply_language
from ranger_app.settings import Settings
from ranger_app.store.db import Database
from ranger_app.store.layers import layer_records
from ranger_app.ui.layer_add import AddLayerDialog
from ranger_app.ui.layer_source import LayerSource, register_source
from ranger_app.ui.map_view import MapView


@pytest.fixture
def english() -> Iterator[None]:
    yield
    apply_language("en")


def _settled(qtbot, dialog: AddLayerDialog) -> None:  # type: ignore[no-untyped-def]
    """Until the preview worker has answered (a quick refusal may come before we look)."""
    qtbot.waitUntil(lambda: dialog.read is not None or dialog.error is not None,
                    timeout=10_000)


def _preview(qtbot, dialog: AddLayerDialog, path: Path) -> None:  # type: ignore[no-untyped-def]
    assert dialog.set_file(path) is not None
    _settled(qtbot, dialog)


def test_the_dialog_shows_what_the_file_holds_and_adds_it(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    dialog = AddLayerDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    _preview(qtbot, dialog, quarter_grid_geojson(tmp_path / "kvartaly.geojson"))
    assert "12 features" in dialog.summary.text() and "EPSG:4326" in dialog.summary.text()
    assert dialog.name.text() == "kvartaly"
    assert dialog.kind.currentData() == "forest_quarter"
    assert dialog.label_field.currentData() == "KV"
    assert dialog.add_button.isEnabled()
    assert layer_records(db) == []  # looking changes nothing
    dialog.name.setText("Кварталы Нарвинского")
    dialog.name.textEdited.emit("Кварталы Нарвинского")
    with qtbot.waitSignal(dialog.added, timeout=10_000) as added:
        dialog.add_button.click()
    assert added.args[0].created
    [record] = layer_records(db)
    assert (record.name, record.kind, record.feature_count) == (
        "Кварталы Нарвинского", "forest_quarter", 12)


def test_a_shapefile_without_prj_asks_for_its_coordinate_system(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    shp = write_shapefile(tmp_path / "kv", [[r] for r in quarter_grid(GK22_ORIGIN)],
                          fields=[("KV", "N", 6, 0)], records=[[n] for n in range(1, 13)],
                          epsg=None)
    dialog = AddLayerDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.form.isRowVisible(dialog.crs)
    _preview(qtbot, dialog, shp)
    assert ".prj" in dialog.summary.text() and not dialog.add_button.isEnabled()
    assert dialog.form.isRowVisible(dialog.crs)
    dialog.crs.setCurrentIndex(dialog.crs.findData("EPSG:28422"))
    assert dialog.chosen_crs() == "EPSG:28422"
    assert dialog._start_preview() is not None
    _settled(qtbot, dialog)
    assert "12 features" in dialog.summary.text() and "EPSG:28422" in dialog.summary.text()
    assert dialog.add_button.isEnabled()


def test_a_bad_file_is_explained_in_russian(qtbot, db: Database, tmp_path: Path,  # type: ignore[no-untyped-def]
                                            english: None) -> None:
    apply_language("ru")
    junk = tmp_path / "kv.geojson"
    junk.write_text("<html>404</html>")
    dialog = AddLayerDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Добавить слой карты"
    _preview(qtbot, dialog, junk)
    text = dialog.summary.text()
    assert "ничего не добавлено" in text.lower() and "kv.geojson" in text
    assert not dialog.add_button.isEnabled() and layer_records(db) == []


def test_the_layers_menu_of_a_database_map_offers_to_add_a_layer(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    source = register_source(LayerSource(db, Settings()))
    window.layer_source = source  # type: ignore[attr-defined]
    view = MapView(window)
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)
    view.viewport().grab()
    assert view.layers.button.isVisible()  # no layers yet, yet the way to add one is there
    view.layers.fill_menu()
    [add] = [a for a in view.layers.menu.actions() if a.text() == "Add a map layer file…"]
    add.trigger()
    dialog = view.layers.add_dialog
    assert isinstance(dialog, AddLayerDialog) and dialog.isVisible()
    _preview(qtbot, dialog, quarter_grid_geojson(tmp_path / "kvartaly.geojson"))
    with qtbot.waitSignal(source.changed, timeout=15_000):
        dialog.add_button.click()
    qtbot.waitUntil(lambda: bool(view.layers.drawings()), timeout=10_000)
    view.layers.fill_menu()
    texts = [a.text() for a in view.layers.menu.actions()]
    assert "kvartaly (forest quarters)" in texts


def test_layers_read_in_one_worker_after_another(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """pyproj 3.7.0-3.7.2 crashed the app on the second reprojection in a Qt pool thread
    (pyproj#1509); pyproject.toml keeps those versions out, this keeps them out for good."""
    from ranger_app.io.layers.readers import read_layer
    from ranger_app.ui import workers

    shp = write_shapefile(tmp_path / "kv", [[r] for r in quarter_grid(GK22_ORIGIN)],
                          fields=[("KV", "N", 6, 0)], records=[[n] for n in range(1, 13)])
    counts = []
    for _ in range(3):
        worker = workers.Worker(lambda progress, cancelled: read_layer(shp))
        worker.signals.finished_ok.connect(lambda r: counts.append(len(r.features)))
        with qtbot.waitSignal(worker.signals.done, timeout=10_000):
            workers.start(worker)
        qtbot.wait(50)
    assert counts == [12, 12, 12]


def test_no_labels_chosen_means_no_labels(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from ranger_app.io.layers.service import map_layers

    dialog = AddLayerDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    _preview(qtbot, dialog, quarter_grid_geojson(tmp_path / "kvartaly.geojson"))
    dialog.label_field.setCurrentIndex(dialog.label_field.findData(""))
    with qtbot.waitSignal(dialog.added, timeout=10_000):
        dialog.add_button.click()
    [layer] = map_layers(db)
    assert {f.label for f in layer.features} == {""}
