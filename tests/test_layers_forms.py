"""A fire report and a feeding site take their forest district and quarter from the quarter
map when the ranger gives a position; what he types himself wins (issue 11).

The quarter map is a small grid: two districts of nine quarters each, numbered 1 to 9 from
the north-west corner of each district, quarter 7 of "Нарвинское" in its south-west.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from shapely.geometry import box

from ranger_app.domain.feeding import FeedingSiteValue
from ranger_app.domain.fires import FireReportValue
from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
from ranger_app.i18n import _, set_language
from ranger_app.io.open_formats.service import export
from ranger_app.store.db import Database
from ranger_app.store.feeding import load_site, new_site, save_site
from ranger_app.store.fires import load_fire, save_fire
from ranger_app.store.layers import register_features
from ranger_app.ui import layer_source
from ranger_app.ui.feeding_editor import FeedingSiteEditor
from ranger_app.ui.fire_editor import FireEditor, new_fire
from tests.test_fire_editor import retype

NORTH, WEST, CELL = 43.10, 131.10, 0.01  # 3 × 3 quarters of 0.01° a district
DISTRICTS = ("Нарвинское", "Барабашское")  # west, east
OUTSIDE = (43.20, 131.30)
FILLED = "Filled from the quarter map"
OUTSIDE_HINT = "Outside every quarter on the map"


def quarter_centre(district: str, number: int) -> tuple[float, float]:
    row, col = divmod(number - 1, 3)
    col += 3 * DISTRICTS.index(district)
    return (round(NORTH - (row + 0.5) * CELL, 6), round(WEST + (col + 0.5) * CELL, 6))


def grid() -> tuple[LayerFeature, ...]:
    features = []
    for d, district in enumerate(DISTRICTS):
        for number in range(1, 10):
            row, col = divmod(number - 1, 3)
            west, north = WEST + (3 * d + col) * CELL, NORTH - row * CELL
            features.append(LayerFeature(box(west, north - CELL, west + CELL, north),
                                         label=str(number), district=district))
    return tuple(features)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every editor reads the quarter grid; the list counts how often the layers were read."""
    calls: list[int] = []
    layer = MapLayer("q", "Кварталы", "forest_quarter", default_style("forest_quarter"),
                     grid())
    park = MapLayer("p", "Парк", "park_boundary", default_style("park_boundary"),
                    (LayerFeature(box(130, 42, 132, 44)),))

    def map_layers(_db: object) -> list[MapLayer]:
        calls.append(1)
        return [layer, park]

    monkeypatch.setattr(layer_source, "map_layers", map_layers)
    return calls


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Discard)
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: pytest.fail(f"unexpected warning: {a[2]}"))
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, FireEditor | FeedingSiteEditor):
            widget.dirty = False
            widget.close()


def fields(editor: FireEditor | FeedingSiteEditor) -> tuple[str, str]:
    return editor.forest_district.text(), editor.quarter.text()


def hint(editor: FireEditor | FeedingSiteEditor) -> str:
    return editor.quarter_fill.hint.text()


def type_position(qtbot, editor: FireEditor | FeedingSiteEditor,  # type: ignore[no-untyped-def]
                  lat: float, lon: float) -> None:
    """As a ranger does: both coordinates typed, each ended with Enter."""
    retype(qtbot, editor.lat, f"{lat:.6f}")
    retype(qtbot, editor.lon, f"{lon:.6f}")


def pick_position(qtbot, editor: FireEditor | FeedingSiteEditor,  # type: ignore[no-untyped-def]
                  lat: float, lon: float) -> None:
    """"Pick on the map", then the map reports the click at (lat, lon)."""
    qtbot.mouseClick(editor.pick_button, Qt.MouseButton.LeftButton)
    editor.map.positionPicked.emit(lat, lon)
    assert not editor.pick_button.isChecked()


def save(qtbot, editor: FireEditor | FeedingSiteEditor) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.dirty, editor.status_label.text()


def open_fire(qtbot, db: Database, fire: FireReportValue | None = None) -> FireEditor:  # type: ignore[no-untyped-def]
    editor = FireEditor(db, fire or new_fire(db))
    qtbot.addWidget(editor)
    editor.show()
    return editor


def open_site(qtbot, db: Database, site: FeedingSiteValue | None = None,  # type: ignore[no-untyped-def]
              code: str = "KED-FS21") -> FeedingSiteEditor:
    editor = FeedingSiteEditor(db, site or new_site(db))
    qtbot.addWidget(editor)
    editor.show()
    if site is None:
        retype(qtbot, editor.code, code)
    return editor


# --- fire reports ---------------------------------------------------------------------------

def test_a_new_fire_takes_its_quarter_and_saves_it(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                   reads: list[int]) -> None:
    editor = open_fire(qtbot, db)
    assert fields(editor) == ("", "") and hint(editor) == ""
    assert not reads, "nothing is read before a position is given"
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert fields(editor) == ("Нарвинское", "7")
    assert hint(editor) == FILLED
    assert (editor.fire.forest_district, editor.fire.quarter) == ("Нарвинское", "7")
    assert editor.dirty
    save(qtbot, editor)
    stored = load_fire(db, editor.fire.uuid)
    assert (stored.forest_district, stored.quarter) == ("Нарвинское", "7")

    # the point moves (picked on the map this time): the map's values follow it
    pick_position(qtbot, editor, *quarter_centre("Барабашское", 2))
    assert fields(editor) == ("Барабашское", "2") and hint(editor) == FILLED
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 5))
    assert fields(editor) == ("Нарвинское", "5")
    save(qtbot, editor)
    stored = load_fire(db, editor.fire.uuid)
    assert (stored.forest_district, stored.quarter) == ("Нарвинское", "5")
    assert len(reads) == 1, "the quarter index is built once per editor"


def test_the_quarter_typed_by_hand_stays(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                         reads: list[int]) -> None:
    editor = open_fire(qtbot, db)
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    retype(qtbot, editor.quarter, "кв. 7, выд. 12")
    pick_position(qtbot, editor, *quarter_centre("Барабашское", 2))
    # the district still held the map's value, so it follows; the quarter is his
    assert fields(editor) == ("Барабашское", "кв. 7, выд. 12")
    assert hint(editor) == ("Kept what was typed by hand; the quarter map says "
                            "Барабашское · quarter 2")
    type_position(qtbot, editor, *OUTSIDE)
    assert fields(editor) == ("", "кв. 7, выд. 12") and hint(editor) == OUTSIDE_HINT
    save(qtbot, editor)
    stored = load_fire(db, editor.fire.uuid)
    assert (stored.forest_district, stored.quarter) == ("", "кв. 7, выд. 12")

    # emptied by hand, the field is the map's again
    editor.quarter.setFocus()
    editor.quarter.selectAll()
    qtbot.keyClick(editor.quarter, Qt.Key.Key_Backspace)
    assert editor.fire.quarter == ""
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 3))
    assert fields(editor) == ("Нарвинское", "3")


def test_outside_every_quarter_leaves_the_fields_empty(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                       reads: list[int]) -> None:
    editor = open_fire(qtbot, db)
    type_position(qtbot, editor, *OUTSIDE)
    assert fields(editor) == ("", "") and hint(editor) == OUTSIDE_HINT
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert hint(editor) == FILLED
    pick_position(qtbot, editor, *OUTSIDE)  # the map's values leave with the point
    assert fields(editor) == ("", "") and hint(editor) == OUTSIDE_HINT
    assert (editor.fire.forest_district, editor.fire.quarter) == ("", "")


def test_no_quarter_map_no_fill_no_hint(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    editor = open_fire(qtbot, db)  # a fresh station: no layers at all
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert fields(editor) == ("", "") and hint(editor) == ""
    assert editor.fire.lat == pytest.approx(quarter_centre("Нарвинское", 7)[0])


def test_an_opened_fire_keeps_what_it_stored(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                             reads: list[int]) -> None:
    lat, lon = quarter_centre("Нарвинское", 7)
    typed = save_fire(db, replace(new_fire(db), lat=lat, lon=lon,
                                  forest_district="Хасанское лесничество", quarter="71"))
    agreed = save_fire(db, replace(new_fire(db), lat=lat, lon=lon,
                                   forest_district="Нарвинское", quarter="7"))

    editor = open_fire(qtbot, db, load_fire(db, typed.uuid))
    assert fields(editor) == ("Хасанское лесничество", "71") and hint(editor) == ""
    assert not editor.dirty
    # a move: values the map would not have given at the stored position were typed by hand
    pick_position(qtbot, editor, *quarter_centre("Барабашское", 4))
    assert fields(editor) == ("Хасанское лесничество", "71")
    assert "Барабашское" in hint(editor)
    editor.dirty = False
    editor.close()

    editor = open_fire(qtbot, db, load_fire(db, agreed.uuid))
    assert fields(editor) == ("Нарвинское", "7") and not editor.dirty
    pick_position(qtbot, editor, *quarter_centre("Барабашское", 4))
    assert fields(editor) == ("Барабашское", "4") and hint(editor) == FILLED
    save(qtbot, editor)
    assert load_fire(db, agreed.uuid).quarter == "4"
    assert load_fire(db, typed.uuid).quarter == "71"


# --- feeding sites ------------------------------------------------------------------------

def test_a_new_feeding_site_takes_its_quarter(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                              reads: list[int]) -> None:
    editor = open_site(qtbot, db)
    assert fields(editor) == ("", "") and hint(editor) == ""
    assert editor.labels["forest_district"].text() == "Forest district"
    assert editor.labels["quarter"].text() == "Forest quarter"
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert fields(editor) == ("Нарвинское", "7") and hint(editor) == FILLED
    save(qtbot, editor)
    stored = load_site(db, editor.site.uuid)
    assert (stored.forest_district, stored.quarter) == ("Нарвинское", "7")

    pick_position(qtbot, editor, *quarter_centre("Барабашское", 9))
    assert fields(editor) == ("Барабашское", "9")
    retype(qtbot, editor.forest_district, "Барабашское участковое")
    type_position(qtbot, editor, *quarter_centre("Барабашское", 8))
    assert fields(editor) == ("Барабашское участковое", "8")
    type_position(qtbot, editor, *OUTSIDE)
    assert fields(editor) == ("Барабашское участковое", "") and hint(editor) == OUTSIDE_HINT
    save(qtbot, editor)
    stored = load_site(db, editor.site.uuid)
    assert (stored.forest_district, stored.quarter) == ("Барабашское участковое", "")
    assert len(reads) == 1


def test_an_opened_feeding_site_keeps_what_it_stored(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                     reads: list[int]) -> None:
    lat, lon = quarter_centre("Нарвинское", 7)
    site = save_site(db, FeedingSiteValue(
        code="KED-FS22", name="Солонец у ключа", site_type="SALT_LICK",
        station_uuid=db.installation().station_uuid, lat=lat, lon=lon,
        forest_district="Кедровское", quarter="112"))
    editor = open_site(qtbot, db, load_site(db, site.uuid))
    assert fields(editor) == ("Кедровское", "112") and hint(editor) == ""
    assert not editor.dirty
    editor.name.setFocus()  # the ranger looks around, tabs through the position
    editor.lat.editingFinished.emit()
    assert fields(editor) == ("Кедровское", "112") and not editor.dirty
    pick_position(qtbot, editor, *quarter_centre("Нарвинское", 8))
    assert fields(editor) == ("Кедровское", "112")
    save(qtbot, editor)
    assert load_site(db, site.uuid).quarter == "112"


def test_feeding_site_quarter_in_csv_and_geojson(qtbot, db: Database,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    # the layer as HQ registers it (no monkeypatch): the real way from the store
    register_features(db, grid(), name="Кварталы Нарвинского", kind="forest_quarter")
    editor = open_site(qtbot, db, code="KED-FS23")
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert fields(editor) == ("Нарвинское", "7")
    save(qtbot, editor)
    editor.close()

    export(db, "csv", tmp_path / "csv", names=["feeding_sites"], lang="ru")
    with (tmp_path / "csv" / "feeding_sites.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["code"], r["forest_district"], r["quarter"]) for r in rows] == [
        ("KED-FS23", "Нарвинское", "7")]
    export(db, "geojson", tmp_path / "gis", names=["feeding_sites"], lang="en")
    layer = json.loads((tmp_path / "gis" / "feeding_sites.geojson").read_text("utf-8"))
    props = layer["features"][0]["properties"]
    assert (props["forest_district"], props["quarter"]) == ("Нарвинское", "7")


# --- in Russian -------------------------------------------------------------------------------

@pytest.fixture
def russian() -> Iterator[Callable[[str], str]]:
    set_language("ru")
    yield _
    set_language("en")


def test_the_hint_speaks_russian(qtbot, db: Database, reads: list[int],  # type: ignore[no-untyped-def]
                                 russian: Callable[[str], str]) -> None:
    if russian(FILLED) == FILLED:
        pytest.skip("the Russian catalog has no translation of the quarter hints yet "
                    "(forms_translations.txt)")
    editor = open_fire(qtbot, db)
    type_position(qtbot, editor, *quarter_centre("Нарвинское", 7))
    assert fields(editor) == ("Нарвинское", "7")
    assert hint(editor) == "Заполнено по карте кварталов"
    type_position(qtbot, editor, *OUTSIDE)
    assert hint(editor) == "Вне всех кварталов карты"
    site = open_site(qtbot, db)
    retype(qtbot, site.quarter, "12")
    type_position(qtbot, site, *quarter_centre("Барабашское", 2))
    assert hint(site) == ("Оставлено введённое вручную; по карте кварталов: "
                          "Барабашское · квартал 2")
