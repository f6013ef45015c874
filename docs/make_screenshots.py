"""Screenshots of the real windows under Xvfb, in each language: `make screenshots`.

Starts itself again under `xvfb-run` when there is no display, builds demo databases, opens
the windows a ranger sees and saves PNGs to docs/screenshots/<name>-<lang>.png. One small
function per screen; each builds its window in the current language and closes it again.

The sync screens need more than one database: a station (KED) and HQ that trust each other's
keys, a bundle from KED on a (pretend) USB stick, and a fire report that both stations
changed while apart, which HQ holds as a conflict.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ranger_app.store.db import Database

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
LANGS = ("en", "ru", "zh")


def _reexec_under_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("RANGER_SCREENSHOT_CHILD"):
        return
    if not shutil.which("xvfb-run"):
        sys.exit("xvfb-run not found: apt-get install xvfb xauth")
    env = dict(os.environ, RANGER_SCREENSHOT_CHILD="1", QT_QPA_PLATFORM="xcb")
    sys.exit(subprocess.call(["xvfb-run", "-a", "-s", "-screen 0 1440x900x24",
                              sys.executable, *sys.argv], env=env))


# --- waiting and saving ------------------------------------------------------------------------

def settle(ms: int = 400) -> None:
    """Let Qt lay out and paint. A local loop: Qt 6's app.quit() would close open wizards."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(done: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Settle until a worker has delivered (a dry run, a plan, a computed summary)."""
    for _ in range(int(seconds * 10)):
        if done():
            return
        settle(100)
    raise TimeoutError(f"screenshots: gave up waiting for {what}")


def shoot(widget: QWidget, name: str, lang: str) -> None:
    widget.raise_()
    widget.activateWindow()
    settle()
    path = OUT / f"{name}-{lang}.png"
    widget.grab().save(str(path))
    print(path.relative_to(REPO))


def close_editor(editor: QWidget) -> None:
    editor.dirty = False  # type: ignore[attr-defined]  # nothing was typed: do not ask to save
    editor.close()


# --- the main window, patrols, first run -------------------------------------------------------

def shoot_main_window(db: Database, lang: str) -> None:
    from ranger_app.ui.main_window import MainWindow

    window = MainWindow(db)
    window.resize(1280, 760)
    window.show()
    wait_until(lambda: not window.layer_source.loading(), "map layers")
    shoot(window, "patrol-list", lang)
    for i, name in ((1, "fires"), (2, "feeding-sites"), (3, "camera-traps")):
        window.workspaces.setCurrentIndex(i)
        shoot(window, f"workspace-{name}", lang)
    window.close()


def shoot_patrol_editor(db: Database, patrol_uuid: str, lang: str) -> None:
    from ranger_app.store.patrols import load_patrol
    from ranger_app.ui.patrol_editor import PatrolEditor

    editor = PatrolEditor(db, load_patrol(db, patrol_uuid))
    editor.resize(1360, 860)
    editor.show()
    shoot(editor, "patrol-editor", lang)
    editor.tabs.setCurrentIndex(2)
    if editor.patrol.observations:
        editor.observations.selectRow(0)
    shoot(editor, "patrol-observations", lang)
    close_editor(editor)


def shoot_first_run(lang: str) -> None:
    from ranger_app.ui.first_run import FirstRunDialog

    dialog = FirstRunDialog()
    dialog.show()
    shoot(dialog, "first-run", lang)
    dialog.close()


_CATALOGS: list[object] = []  # a registered catalog lives while something holds it


def map_sources(db: Database) -> tuple[object, object]:
    """The basemap catalog and the vector layers of `db`, as the main window registers them
    (editors and the review view find them by their database); layers read in a worker."""
    from ranger_app.settings import Settings
    from ranger_app.ui.layer_source import LayerSource, register_source
    from ranger_app.ui.map_tiles import BasemapCatalog, register_catalog

    if not _CATALOGS:
        settings = Settings()
        _CATALOGS.append(register_catalog(BasemapCatalog(db, settings)))
        _CATALOGS.append(register_source(LayerSource(db, settings)))
    catalog, source = _CATALOGS
    wait_until(lambda: not source.loading(), "map layers")  # type: ignore[attr-defined]
    return catalog, source


def shoot_on_basemap(db: Database, patrol_uuid: str, fire_uuid: str, lang: str) -> None:
    """The patrol editor and the fires workspace over the demo's basemap and map layers."""
    from ranger_app.store.patrols import load_patrol
    from ranger_app.ui.fires_workspace import FiresWorkspace
    from ranger_app.ui.patrol_editor import PatrolEditor

    catalog, _source = map_sources(db)
    real_layers(db)  # not the layers an earlier shot drew for itself

    def tiles_done() -> bool:
        layer = catalog.layer  # type: ignore[attr-defined]
        return layer is not None and layer.pending() == 0

    editor = PatrolEditor(db, load_patrol(db, patrol_uuid))
    editor.resize(1360, 860)
    editor.show()
    settle()
    wait_until(tiles_done, "basemap tiles")
    shoot(editor, "basemap-patrol-editor", lang)
    close_editor(editor)
    workspace = FiresWorkspace(db)
    workspace.resize(1400, 820)
    workspace.show()
    workspace.select_fire(fire_uuid)
    settle()
    wait_until(tiles_done, "basemap tiles")
    shoot(workspace, "basemap-fires", lang)
    workspace.close()


# --- fires, feeding sites, camera traps --------------------------------------------------------

def shoot_fires(db: Database, fire_uuid: str, lang: str) -> None:
    """The fires workspace with a fire chosen, and that fire's status timeline."""
    from ranger_app.ui.fires_workspace import FiresWorkspace

    workspace = FiresWorkspace(db)
    workspace.resize(1400, 820)
    workspace.show()
    workspace.select_fire(fire_uuid)
    shoot(workspace, "fires-list", lang)
    editor = workspace.open_fire(fire_uuid)
    editor.resize(1320, 860)
    editor.tabs.setCurrentIndex(1)
    editor.steps.selectRow(1)
    shoot(editor, "fire-editor", lang)
    close_editor(editor)
    workspace.close()


def shoot_feeding(db: Database, site_uuid: str, visit_uuid: str, lang: str) -> None:
    """The feeding workspace on a site with a kill alert, and the visit that found it."""
    from ranger_app.store.feeding import load_visit
    from ranger_app.ui.feeding_editor import FeedingVisitEditor
    from ranger_app.ui.feeding_workspace import FeedingWorkspace

    workspace = FeedingWorkspace(db)
    workspace.resize(1400, 860)
    workspace.show()
    workspace.select_site(site_uuid)
    shoot(workspace, "feeding-workspace", lang)
    editor = FeedingVisitEditor(db, load_visit(db, visit_uuid))
    editor.show()
    shoot(editor, "feeding-visit-editor", lang)
    close_editor(editor)
    workspace.close()


def shoot_camtraps(db: Database, visit_uuid: str, lang: str) -> None:
    """The camera-traps workspace and a service visit (battery, card, images)."""
    from ranger_app.ui import workers
    from ranger_app.ui.camtraps_workspace import CameraTrapsWorkspace

    workspace = CameraTrapsWorkspace(db)
    workspace.resize(1360, 800)
    workspace.show()
    shoot(workspace, "camtraps-workspace", lang)
    editor = workspace.open_visit(visit_uuid)
    editor.resize(1200, 820)
    shoot(editor, "camtraps-visit-editor", lang)
    close_editor(editor)
    workspace.close()
    workers.wait_for_all()


def shoot_camtrap_clock(db: Database, lang: str) -> None:
    """A card whose camera clock ran a year and three hours fast: the banner over the images
    offers the correction (issue 10.7)."""
    from ranger_app.store.camtraps import location_values, running_deployment
    from ranger_app.ui import workers
    from ranger_app.ui.camtrap_editor import ServiceVisitEditor, new_visit
    from tests.camtrap_photos import write_photo

    loc = next(x for x in location_values(db)
               if x.uuid and (dep := running_deployment(db, x.uuid)) is not None
               and dep.start_at < datetime.now(UTC) - timedelta(days=10))
    card = Path(tempfile.mkdtemp(prefix="ranger-shots-card-")) / "DCIM" / "100RECNX"
    card.mkdir(parents=True)
    true_first = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    for i in range(6):
        when = true_first + timedelta(seconds=2 * i) + timedelta(days=365, hours=3)
        write_photo(card / f"RCNX{i + 1:04d}.JPG", i, when.astimezone(ZoneInfo(loc.tz)))
    editor = ServiceVisitEditor(db, new_visit(db, loc))
    editor.resize(1200, 820)
    editor.show()
    editor.import_card(card.parents[1])
    wait_until(lambda: editor.last_import is not None, "the card import")
    wait_until(lambda: editor.clock_banner.isVisible(), "the clock banner")
    shoot(editor, "camtraps-clock-banner", lang)
    close_editor(editor)
    workers.wait_for_all()
    shutil.rmtree(card.parents[1], ignore_errors=True)


# --- effort and review -------------------------------------------------------------------------

def shoot_effort(db: Database, lang: str) -> None:
    from ranger_app.ui import workers
    from ranger_app.ui.effort_view import EffortView

    view = EffortView(db)
    view.resize(1400, 720)
    view.show()
    wait_until(lambda: view.result is not None and not view.busy_now, "the effort summary")
    shoot(view, "effort-view", lang)
    view.close()
    workers.wait_for_all()


def shoot_review(db: Database, patrol_uuid: str, lang: str) -> None:
    """The inspector's queue and one submitted patrol (needs an inspector signed in)."""
    from ranger_app.ui import workers
    from ranger_app.ui.review import ReviewQueue

    map_sources(db)  # the inspector reads the track over the basemap and the quarters
    queue = ReviewQueue(db)
    queue.resize(1180, 430)
    queue.show()
    shoot(queue, "review-queue", lang)
    view = queue.open_review(patrol_uuid)
    view.resize(1400, 860)
    shoot(view, "review-view", lang)
    view.close()
    queue.close()
    workers.wait_for_all()


def sign_in_inspector(db: Database) -> None:
    from ranger_app.store.accounts import SignedIn, accounts, actor_for
    from ranger_app.ui.login import hub

    inspector = next(a for a in accounts(db) if "INSPECTOR" in a.roles)
    hub().set(SignedIn(actor_for(db, inspector.person_uuid), inspector.login,
                       datetime.now(UTC)))


def sign_out() -> None:
    from ranger_app.ui.login import hub

    hub().set(None)


# --- map layers in use: review warnings, the quarter filter (issue 11) ----------------------

def demo_layers(db: Database, patrol_uuid: str) -> list:
    """A park boundary, the state border and a quarter grid for the demo park. The demo has
    no layer files, so these are drawn here: the border runs north-south through the
    submitted patrol's westmost observations (the park ends at the border), so that patrol
    shows both warnings; 320 quarters of 0.05° in four districts cover the park."""
    from shapely.geometry import LineString, box

    from ranger_app.demo.places import FOREST_DISTRICTS, PARK
    from ranger_app.domain.layers import LayerFeature, MapLayer, default_style
    from ranger_app.domain.track import unpack_latlon
    from ranger_app.store.patrols import load_patrol

    patrol = load_patrol(db, patrol_uuid)
    lons = sorted(o.lon for o in patrol.observations if o.lon is not None)
    track = [lon for t in patrol.tracks for _lat, lon in unpack_latlon(t.points)]
    west = (lons[0] + lons[1]) / 2 if len(lons) > 1 else (min(track) + max(track)) / 2
    border = LineString([(west + 0.004 * ((k % 2) - 0.5), PARK.south - 0.2 + 0.05 * k)
                         for k in range(int((PARK.north - PARK.south + 0.4) / 0.05) + 1)])
    park = box(west, PARK.south, PARK.east, PARK.north)
    quarters = []
    rows, cols = round((PARK.north - PARK.south) / 0.05), round((PARK.east - PARK.west) / 0.05)
    numbers: dict[str, int] = {}
    for r in range(rows):
        for c in range(cols):
            district = FOREST_DISTRICTS[(2 if r < rows // 2 else 0) + (c >= cols // 2)]
            numbers[district] = numbers.get(district, 0) + 1
            s, w = PARK.south + 0.05 * r, PARK.west + 0.05 * c
            quarters.append(LayerFeature(box(w, s, w + 0.05, s + 0.05),
                                         str(numbers[district]), district))

    def layer(kind: str, name: str, features: list) -> MapLayer:
        return MapLayer(kind, name, kind, default_style(kind), tuple(features))

    return [layer("park_boundary", "Земля леопарда", [LayerFeature(park)]),
            layer("state_border", "Государственная граница", [LayerFeature(border)]),
            layer("forest_quarter", "Кварталы", quarters)]


def shoot_layer_add(db: Database, lang: str) -> None:
    """The "Add a map layer" dialog: a forestry shapefile in Gauss-Krüger metres that came
    without its .prj (the dialog asks for the system), then with EPSG:28422 chosen."""
    import shapefile

    from ranger_app.ui.layer_add import AddLayerDialog

    folder = Path(tempfile.mkdtemp(prefix="ranger-layer-"))
    base = folder / "kvartaly_narva"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="cp1251") as w:
        w.field("KV", "N", 6, 0)
        w.field("LESNICH", "C", 60)
        for k in range(48):
            x, y = 22_700_000.0 + (k % 8) * 1000, 4_776_000.0 - (k // 8) * 1000
            w.poly([[(x, y), (x, y + 1000), (x + 1000, y + 1000), (x + 1000, y), (x, y)]])
            w.record(k + 1, "Нарвинское участковое лесничество")
    dialog = AddLayerDialog(db)
    dialog.resize(640, 360)
    dialog.show()
    dialog.set_file(base.with_suffix(".shp"))
    wait_until(lambda: dialog.error is not None, "the layer preview")
    shoot(dialog, "layer-add-no-prj", lang)
    dialog.crs.setCurrentIndex(dialog.crs.findData("EPSG:28422"))
    dialog._start_preview()
    wait_until(lambda: dialog.read is not None, "the layer preview")
    shoot(dialog, "layer-add", lang)
    dialog.close()
    shutil.rmtree(folder, ignore_errors=True)


def use_layers(layers: list, db: Database | None = None) -> None:
    """Every window reads these layers (as if HQ had added them and they had synced); with
    `db`, its maps' shared source reads them again, so the map draws what the checks use."""
    from ranger_app.ui import layer_source

    layer_source.map_layers = lambda _db: list(layers)  # type: ignore[assignment]
    if db is not None:
        _catalog, source = map_sources(db)
        source.reload()  # type: ignore[attr-defined]
        wait_until(lambda: not source.loading(), "map layers")  # type: ignore[attr-defined]


def shoot_layer_review(db: Database, patrol_uuid: str, lang: str) -> None:
    """The review view with a track crossing the state border and an observation outside
    the park boundary (needs an inspector signed in)."""
    from ranger_app.ui import workers
    from ranger_app.ui.review import ReviewView

    use_layers(demo_layers(db, patrol_uuid), db)
    view = ReviewView(db, patrol_uuid)
    kinds = {w.kind for w in view.warnings}
    assert {"outside_park", "crosses_border"} <= kinds, kinds
    view.resize(1400, 860)
    view.show()
    shoot(view, "review-layer-warnings", lang)
    view.close()
    workers.wait_for_all()


def shoot_quarter_filter(db: Database, patrol_uuid: str, lang: str) -> None:
    """The patrol list filtered to the quarter the longest patrol starts in, and the
    quarter picker with a search typed."""
    from PySide6.QtCore import Qt

    from ranger_app.domain.track import unpack_latlon
    from ranger_app.reports.area_filter import quarter_choices
    from ranger_app.store.patrols import load_patrol
    from ranger_app.ui import workers
    from ranger_app.ui.main_window import MainWindow

    layers = demo_layers(db, patrol_uuid)
    use_layers(layers, db)
    lat, lon = unpack_latlon(load_patrol(db, patrol_uuid).tracks[0].points)[0]
    from shapely.geometry import Point

    quarter = next(q for q in quarter_choices(layers) if q.geometry.covers(Point(lon, lat)))
    window = MainWindow(db)
    window.resize(1280, 760)
    window.show()
    page = window.patrols
    dialog = page.area_bar.choose_quarter()
    dialog.search.setText(quarter.label)
    for d in range(dialog.proxy.rowCount()):  # the quarter the list is filtered on next
        parent = dialog.proxy.index(d, 0)
        for q in range(dialog.proxy.rowCount(parent)):
            index = dialog.proxy.index(q, 0, parent)
            if index.data(Qt.ItemDataRole.UserRole + 1) == quarter:
                dialog.tree.setCurrentIndex(index)
    dialog.move(window.geometry().center() - dialog.rect().center())
    shoot(dialog, "quarter-picker", lang)
    dialog.close()
    draw = page.area_bar.draw_area()  # an area being drawn: four corners, the mouse on a fifth
    settle()
    from ranger_app.ui.map_view import project

    for lat, lon in ((43.05, 131.05), (43.12, 131.3), (42.95, 131.4), (42.85, 131.2)):
        draw.tool.add_corner(draw.map.mapFromScene(project(lat, lon)))
    draw.tool.close_area()
    shoot(draw, "area-draw", lang)
    draw.close()
    done: list[bool] = []
    page.areaApplied.connect(lambda: done.append(True))
    page.area_bar.set_area(quarter.area())
    wait_until(lambda: bool(done), "the quarter filter")
    shoot(window, "patrol-list-quarter", lang)
    window.close()
    workers.wait_for_all()


def real_layers(db: Database) -> object:
    """Back to the layers the demo registered (the shots above draw their own), drawn on
    every map; returns the layer source."""
    from ranger_app.io.layers.service import map_layers

    use_layers(map_layers(db))
    _catalog, source = map_sources(db)
    source.reload()  # type: ignore[attr-defined]
    wait_until(lambda: not source.loading(), "map layers")  # type: ignore[attr-defined]
    return source


def show_quarters(view: object, lat: float, lon: float) -> None:
    """Zoom out as a ranger would until a few quarters and their numbers show, the point
    in the middle."""
    from ranger_app.ui.map_view import project

    settle(100)
    for _ in range(20):
        if view.ground_metres_per_pixel() >= 9:  # type: ignore[attr-defined]
            break
        view.zoom_out()  # type: ignore[attr-defined]
    view.centerOn(project(lat, lon))  # type: ignore[attr-defined]


def shoot_fire_quarter_fill(db: Database, fire_uuid: str, lang: str) -> None:
    """A new fire report placed on the map: district and quarter come from the quarter
    grid, with the hint beside them."""
    from ranger_app.store.fires import load_fire
    from ranger_app.ui.fire_editor import FireEditor, new_fire

    real_layers(db)
    where = load_fire(db, fire_uuid)
    fire = new_fire(db)
    fire.number = "KED-2025-F07"
    editor = FireEditor(db, fire)
    editor.resize(1320, 860)
    editor.show()
    settle()
    lat, lon = round(where.lat + 0.004, 6), round(where.lon - 0.006, 6)
    editor.pick_button.setChecked(True)
    editor.map.positionPicked.emit(lat, lon)
    assert editor.quarter.text(), "the demo fire lies in the quarter grid"
    show_quarters(editor.map, lat, lon)
    shoot(editor, "fire-quarter-fill", lang)
    close_editor(editor)


def shoot_feeding_quarter_fill(db: Database, site_uuid: str, lang: str) -> None:
    """A new feeding site placed on the map near the kill-alert site: its district and
    quarter filled from the grid."""
    from ranger_app.store.feeding import load_site, new_site
    from ranger_app.ui.feeding_editor import FeedingSiteEditor

    real_layers(db)
    near = load_site(db, site_uuid)
    site = new_site(db)
    site.code, site.name, site.site_type = "KED-FS12", "Солонец — ключ Сухой", "SALT_LICK"
    editor = FeedingSiteEditor(db, site)
    editor.resize(1180, 720)
    editor.show()
    settle()
    lat, lon = round((near.lat or 0) - 0.003, 6), round((near.lon or 0) + 0.005, 6)
    editor.pick_button.setChecked(True)
    editor.map.positionPicked.emit(lat, lon)
    assert editor.quarter.text(), "the demo site lies in the quarter grid"
    show_quarters(editor.map, lat, lon)
    shoot(editor, "feeding-quarter-fill", lang)
    close_editor(editor)


# --- sync: two stations and HQ -----------------------------------------------------------------

T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)
STICK_AS_SHOWN = Path("/media/ranger/RANGER-USB")  # the wizard only plans: nothing is written


@dataclass
class SyncWorld:
    hq: Database
    ked: Database
    stick: Path  # holds one bundle from KED to HQ
    databases: tuple[Database, ...]


def _site(root: Path, code: str, name: str, person: str, hq: bool = False) -> Database:
    from ranger_app.store.db import Database
    from ranger_app.store.setup import StationSetup, init_station
    from ranger_app.sync.identity import ensure_keys

    db = Database.open(root / f"{code}.db", create=True)
    init_station(db, StationSetup(code, name, person, "ru", hq=hq))
    ensure_keys(db)
    return db


def _introduce(a: Database, b: Database, root: Path) -> None:
    from ranger_app.sync import trust

    for one, other in ((a, b), (b, a)):
        code = trust.local_station(other).code
        trust.trust_key_file(one, trust.export_key_file(other, root / f"{code}.keys"))


def _carry(src: Database, dst: Database, root: Path) -> None:
    from ranger_app.sync import trust
    from ranger_app.sync.importer import import_bundle
    from ranger_app.sync.writer import export_bundle

    code = trust.local_station(dst).code
    import_bundle(dst, export_bundle(src, code, root / "carried").path)


def _photo(root: Path, name: str) -> Path:
    """A camera-sized JPEG of random grain: each one different, and as heavy as a photo."""
    from PIL import Image

    grain = Image.effect_noise((2000, 1500), 50)
    image = Image.merge("RGB", (grain, grain.point(lambda v: v * 0.9),
                                grain.point(lambda v: v * 0.6)))
    path = root / f"photo-{name}.jpg"
    image.save(path, quality=90)
    return path


def _patrol(db: Database, root: Path, number: str, photos: int) -> None:
    from ranger_app.domain.records import LegValue, MemberValue, ObservationValue, PatrolValue
    from ranger_app.io.photos import attach_photo
    from ranger_app.store.patrols import save_patrol
    from ranger_app.store.queries import people

    station = db.installation().station_uuid
    ranger = people(db, station)[0]
    end = T0 + timedelta(hours=6)
    observation = ObservationValue(
        "TIGER_TRACK", T0 + timedelta(hours=1), 43.1, 131.2, notes="Следы тигрицы у ключа",
        photos=[attach_photo(db.media, _photo(root, f"{number}-{i}")) for i in range(photos)])
    save_patrol(db, PatrolValue(
        station_uuid=station, number=number, start_at=T0, end_at=end,
        legs=[LegValue("FOOT", T0, end, [MemberValue(ranger.uuid, True)])],
        observations=[observation]))


def _fire(db: Database, **values: object) -> str:
    from ranger_app.domain.fires import FireReportValue
    from ranger_app.store.fires import save_fire

    plain = {"lat": 42.9, "lon": 130.9, "fire_type": "GRASS", "locality": "падь Кедровая"}
    fire = FireReportValue(station_uuid=db.installation().station_uuid, detected_at=T0,
                           **{**plain, **values})  # type: ignore[arg-type]
    return str(save_fire(db, fire).uuid)


def _change_fire(db: Database, uuid: str, **values: object) -> None:
    from ranger_app.store.fires import load_fire, save_fire

    save_fire(db, replace(load_fire(db, uuid), **values))  # type: ignore[arg-type]


def sync_world(root: Path) -> SyncWorld:
    from ranger_app.sync.writer import export_bundle

    hq = _site(root, "HQ", "Дирекция «Земля леопарда»", "Анна Инспектор", hq=True)
    ked = _site(root, "KED", "Кедровая падь", "Иван Петров")
    bar = _site(root, "BAR", "Барсовый", "Пётр Сидоров")
    _introduce(hq, ked, root)
    _introduce(hq, bar, root)
    # One fire report from HQ; both stations change its area while apart: one conflict.
    uuid = _fire(hq, area_total_ha=1.0)
    _carry(hq, ked, root)
    _carry(hq, bar, root)
    _change_fire(ked, uuid, area_total_ha=2.0, notes="Локализован к 18:00")
    _change_fire(bar, uuid, area_total_ha=3.5, notes="Тушили вдвоём до темноты")
    _carry(ked, hq, root)
    _carry(bar, hq, root)
    # New work at KED: what the export wizard plans and the import dialog dry-runs.
    for i in range(1, 6):
        _patrol(ked, root, f"KED-{i:03d}", photos=1 if i <= 3 else 0)
    _fire(ked, area_total_ha=0.4)
    _fire(ked, lat=43.0, lon=131.1, area_total_ha=12.0)
    stick = root / "RANGER-USB"
    export_bundle(ked, "HQ", stick)
    return SyncWorld(hq, ked, stick, (hq, ked, bar))


def _fake_stick(path: Path) -> None:
    from ranger_app.sync import drives

    drive = drives.Drive(path, "RANGER-USB", 7_620_000_000, 15_500_000_000)
    drives.find_drives = lambda: [drive]  # type: ignore[assignment]


def shoot_export_summary(world: SyncWorld, lang: str) -> None:
    from ranger_app.ui.sync import ExportWizard

    _fake_stick(STICK_AS_SHOWN)
    wizard = ExportWizard(world.ked)
    wizard.resize(820, 600)
    wizard.show()
    wizard.next()  # HQ, the only peer, is already chosen
    wizard.next()  # the stick, the only one found
    wait_until(wizard.summary_page.isComplete, "the export plan")
    shoot(wizard, "sync-export-summary", lang)
    wizard.close()


def shoot_import_dry_run(world: SyncWorld, lang: str) -> None:
    from ranger_app.ui.sync import ImportDialog

    _fake_stick(world.stick)
    dialog = ImportDialog(world.hq)
    dialog.show()
    wait_until(lambda: bool(dialog.outcomes), "the dry run")
    shoot(dialog, "sync-import-dry-run", lang)
    dialog.close()


def shoot_conflicts(world: SyncWorld, lang: str) -> None:
    from ranger_app.ui.sync import ConflictsView

    view = ConflictsView(world.hq)
    view.show()
    shoot(view, "sync-conflicts", lang)
    view.close()


# --- demo data ---------------------------------------------------------------------------------

@dataclass
class Picks:
    """The records worth showing in the demo database."""

    patrol: str  # the longest patrol
    fire: str  # the fire with the longest status timeline
    feeding_site: str  # a site where a predator killed near the feed
    feeding_visit: str  # the visit that found it
    camera_visit: str  # the newest service visit with a battery reading and images
    submitted: str  # a patrol waiting for review


def shoot_export_dialog(db: Database, lang: str) -> None:
    from ranger_app.store.export_rows import ExportScope
    from ranger_app.ui.export_dialog import ExportDialog

    dialog = ExportDialog(db, ExportScope(), start_dir=Path("/media/ranger/USB"))
    dialog.show()
    shoot(dialog, "export-dialog", lang)
    dialog.close()


def shoot_gpx_import(lang: str) -> None:
    """A planner's track with no times: the dialog asks for the patrol's start and end."""
    from ranger_app.io.gpx import parse_gpx
    from ranger_app.ui.gpx_import_dialog import GpxImportDialog

    path = REPO / "tests" / "data" / "gpx" / "corpus" / "track_and_route.gpx"
    untimed = REPO / "tests" / "data" / "gpx" / "corpus" / "alltrails_untimed_track.gpx"
    for name, source, needs in (("gpx-import-untimed", untimed, True),
                                ("gpx-import", path, False)):
        dialog = GpxImportDialog(parse_gpx(source), source.name, "Asia/Vladivostok",
                                 needs_times=needs, makes_legs=True)
        dialog.show()
        shoot(dialog, name, lang)
        dialog.close()


def shoot_smart(db: Database, lang: str) -> None:
    """File › SMART: the export and import dialogs, and the mapping editor with two
    categories HQ left without a SMART key (highlighted)."""
    from ranger_app.store.smart_mapping import save_mapping_rows
    from ranger_app.ui.smart_dialogs import (
        SmartExportDialog,
        SmartImportDialog,
        SmartMappingEditor,
    )

    save_mapping_rows(db, [("category", "FIRE_USE", ""), ("category", "NTFP", "")])
    dialog = SmartExportDialog(db, start_dir=Path("/media/ranger/USB/smart"))
    dialog.show()
    shoot(dialog, "smart-export", lang)
    dialog.close()
    files = [Path("/media/ranger/USB/smart") / n for n in
             ("patrols-2024-q4.zip", "patrol-KED-0412.xml", "patrol-KED-0413.xml")]
    dialog = SmartImportDialog(db, files)
    dialog.show()
    shoot(dialog, "smart-import", lang)
    dialog.close()
    editor = SmartMappingEditor(db)
    editor.show()
    shoot(editor, "smart-mapping", lang)
    editor.close()


def pick_records(db: Database) -> Picks:
    from ranger_app.domain.records import PatrolFilter
    from ranger_app.store import review
    from ranger_app.store.camtraps import visit_rows
    from ranger_app.store.feeding import sites_with_kill_alerts
    from ranger_app.store.fires import fire_list, load_fire
    from ranger_app.store.queries import page_patrols

    with db.session() as s:
        busiest = page_patrols(s, PatrolFilter(), "distance_km", True, limit=1)[0][0].uuid
    fire = max(fire_list(db), key=lambda r: (len(load_fire(db, r.uuid).steps),
                                              r.hotspots, bool(r.perimeter)))
    site, alerts = next(iter(sites_with_kill_alerts(db, None).items()))
    visit = next(v for v in visit_rows(db) if v.battery_pct is not None and v.image_count)
    submitted = review.review_queue(db, None)[0].uuid
    return Picks(busiest, fire.uuid, site, alerts[0].visit_uuid, visit.uuid, submitted)


def demo_database(path: Path, scale: str) -> Database:
    from ranger_app.demo import generate
    from ranger_app.store.db import Database

    db = Database.open(path, create=True)
    generate(db, scale, seed=3)
    return db


def main() -> None:
    _reexec_under_xvfb()
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from ranger_app import paths
    from ranger_app.i18n.qt import apply_language
    from ranger_app.ui import workers
    from ranger_app.ui.app import application

    tmp = Path(tempfile.mkdtemp(prefix="ranger-shots-"))
    paths.user_data_dir = lambda: tmp  # type: ignore[assignment]
    paths.settings_file = lambda: tmp / "settings.json"  # type: ignore[assignment]
    db = demo_database(tmp / "demo.db", "small")
    season = demo_database(tmp / "season.db", "season")  # a year of patrols for the effort view
    picks = pick_records(db)
    world = sync_world(tmp / "sync")
    application()
    OUT.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[str, Callable[[str], None]]] = [
        ("main", lambda lang: shoot_main_window(db, lang)),
        ("patrol", lambda lang: shoot_patrol_editor(db, picks.patrol, lang)),
        ("first_run", shoot_first_run),
        ("fires", lambda lang: shoot_fires(db, picks.fire, lang)),
        ("basemap", lambda lang: shoot_on_basemap(db, picks.patrol, picks.fire, lang)),
        ("feeding", lambda lang: shoot_feeding(db, picks.feeding_site, picks.feeding_visit,
                                               lang)),
        ("camtraps", lambda lang: shoot_camtraps(db, picks.camera_visit, lang)),
        ("camtrap_clock", lambda lang: shoot_camtrap_clock(db, lang)),
        ("effort", lambda lang: shoot_effort(season, lang)),
        ("sync_export", lambda lang: shoot_export_summary(world, lang)),
        ("sync_import", lambda lang: shoot_import_dry_run(world, lang)),
        ("conflicts", lambda lang: shoot_conflicts(world, lang)),
        ("export", lambda lang: shoot_export_dialog(db, lang)),
        ("gpx_import", shoot_gpx_import),
        ("smart", lambda lang: shoot_smart(db, lang)),
        ("review", lambda lang: (sign_in_inspector(db), shoot_review(db, picks.submitted, lang),
                                 sign_out())),
        ("layer_review", lambda lang: (sign_in_inspector(db),
                                       shoot_layer_review(db, picks.submitted, lang), sign_out())),
        ("quarter_filter", lambda lang: shoot_quarter_filter(db, picks.patrol, lang)),
        ("layer_add", lambda lang: shoot_layer_add(db, lang)),
        ("fire-quarter-fill", lambda lang: shoot_fire_quarter_fill(db, picks.fire, lang)),
        ("feeding-quarter-fill",
         lambda lang: shoot_feeding_quarter_fill(db, picks.feeding_site, lang)),
    ]
    # RANGER_SHOTS=export,fires takes only those (the whole set takes a few minutes)
    only = {n for n in os.environ.get("RANGER_SHOTS", "").split(",") if n}
    for lang in LANGS:
        apply_language(lang)
        for name, shot in shots:
            if not only or name in only:
                shot(lang)
    workers.wait_for_all()
    for database in (db, season, *world.databases):
        database.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
