"""Basemap tiles under every map: decoded off the UI thread, kept in a byte-bounded LRU.

The map view asks its `BasemapPainter` to paint first, under the graticule and the tracks.
A frame never waits for the disk: a tile not yet decoded is requested from a small thread
pool (reading from the archive and `QImage.fromData` both run there), and its place is
filled meanwhile by an ancestor's quarter (or its children when zooming out), scaled. A
finished tile repaints the views that show the layer, at most once per 16 ms.

Which basemap is shown is one choice per installation (`Settings.basemap`), made from the
"Map" button on any map; the main window owns the `BasemapCatalog` and every map view in
it finds the catalog through its parents, so views in dialogs and tests without a window
simply show the graticule.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QPoint, QRectF, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QImage, QPainter, QTransform
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMenu,
    QMessageBox,
    QToolButton,
    QWidget,
)

from ranger_app.domain.errors import RangerError
from ranger_app.i18n import _
from ranger_app.i18n.messages import describe
from ranger_app.io.basemap_library import (
    AddCancelled,
    AddedBasemap,
    BasemapRecord,
    add_basemap,
    basemaps,
    open_record,
)
from ranger_app.io.basemaps import BasemapInvalid, MBTiles, PMTiles
from ranger_app.ui import workers

R = 6_378_137.0
HALF_WORLD = math.pi * R
TILE_PX = 256
CACHE_BYTES = 96 << 20  # about 380 decoded 256-px tiles: two screens at every zoom
MISSING_CACHE = 4096
MAX_TILES_PER_FRAME = 400
ANCESTOR_LEVELS = 8
WANTED_SECONDS = 1.0  # a request older than this, not painted since, is dropped
NONE_KEY = "none"

Key = tuple[int, int, int]


# --- the cache -----------------------------------------------------------------------------
class TileCache:
    """Decoded tiles by (z, x, y), least recently used first out, bounded by bytes."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.bytes = 0
        self._images: OrderedDict[Key, QImage] = OrderedDict()
        self._missing: OrderedDict[Key, None] = OrderedDict()

    def get(self, key: Key) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def is_missing(self, key: Key) -> bool:
        return key in self._missing

    def put(self, key: Key, image: QImage | None) -> None:
        if image is None:
            self._missing[key] = None
            while len(self._missing) > MISSING_CACHE:
                self._missing.popitem(last=False)
            return
        old = self._images.pop(key, None)
        if old is not None:
            self.bytes -= old.sizeInBytes()
        self._images[key] = image
        self.bytes += image.sizeInBytes()
        while self.bytes > self.limit and len(self._images) > 1:
            _k, dropped = self._images.popitem(last=False)
            self.bytes -= dropped.sizeInBytes()

    def __len__(self) -> int:
        return len(self._images)


# --- decoding off the UI thread ------------------------------------------------------------
class _Signals(QObject):
    decoded = Signal(object, object)  # key, QImage | None (None: no such tile)


class _Decode(QRunnable):
    def __init__(self, layer: TileLayer, key: Key) -> None:
        super().__init__()
        self.layer, self.key = layer, key

    def run(self) -> None:
        layer, key = self.layer, self.key
        if not layer.still_wanted(key):
            layer.signals.decoded.emit(key, False)  # dropped: may be asked for again
            return
        try:
            data = layer.source.tile(*key)
        except Exception:  # a damaged archive or one closed meanwhile: no tile, no crash
            data = None
        image = None
        if data:
            image = QImage.fromData(data)
            if image.isNull():
                image = None
            else:
                image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        layer.signals.decoded.emit(key, image)


class TileLayer(QObject):
    """One open archive, its cache and its pending requests; painted by any number of views."""

    changed = Signal()  # new tiles arrived: repaint

    def __init__(self, source: MBTiles | PMTiles, name: str = "",
                 cache_bytes: int = CACHE_BYTES, threads: int = 2) -> None:
        super().__init__()
        self.source = source
        self.name = name or source.info.name
        self.info = source.info
        self.cache = TileCache(cache_bytes)
        self.signals = _Signals()
        self.signals.decoded.connect(self._arrived)
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self._pending: set[Key] = set()
        self._wanted: dict[Key, float] = {}
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self.changed)
        self.decoded = 0

    # worker side
    def still_wanted(self, key: Key) -> bool:
        with self._lock:
            at = self._wanted.get(key)
        return at is not None and time.monotonic() - at < WANTED_SECONDS

    # UI side
    def _arrived(self, key: Key, image: object) -> None:
        self._pending.discard(key)
        if image is False:
            return
        self.cache.put(key, image if isinstance(image, QImage) else None)
        self.decoded += 1
        if not self._timer.isActive():
            self._timer.start()

    def request(self, key: Key) -> None:
        with self._lock:
            self._wanted[key] = time.monotonic()
        if key in self._pending:
            return
        self._pending.add(key)
        self.pool.start(_Decode(self, key))

    def begin_frame(self) -> None:
        """Forget old wishes so a fast pan does not leave a queue of unseen tiles."""
        now = time.monotonic()
        with self._lock:
            if len(self._wanted) > 4 * MAX_TILES_PER_FRAME:
                self._wanted = {k: t for k, t in self._wanted.items()
                                if now - t < WANTED_SECONDS}

    def wait(self, msecs: int = 10_000) -> bool:
        """Let every queued decode finish (tests; closing)."""
        done = self.pool.waitForDone(msecs)
        QApplication.processEvents()
        return done

    def pending(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        with self._lock:
            self._wanted.clear()
        self.pool.waitForDone(10_000)
        self.source.close()

    # --- painting ------------------------------------------------------------------------
    def zoom_for(self, px_per_m: float) -> int:
        """The tile zoom whose pixels are closest to the screen's, within the archive's."""
        z = round(math.log2(max(1e-12, 2 * HALF_WORLD * px_per_m / TILE_PX)))
        return max(self.info.min_zoom, min(self.info.max_zoom, z))

    def paint(self, painter: QPainter, exposed: QRectF, origin: tuple[float, float]) -> int:
        """Draw the tiles under `exposed` (scene rect); returns how many were still missing.

        `origin` = (ox, oy): scene x = mercator x − ox, scene y = oy − mercator y.
        """
        world = painter.worldTransform()
        px_per_m = abs(world.m11())
        if px_per_m <= 0:
            return 0
        self.begin_frame()
        z = self.zoom_for(px_per_m)
        keys = _visible(exposed, z, origin)
        while keys is None and z > 0:  # far out: coarser tiles, never hundreds of them
            z -= 1
            keys = _visible(exposed, z, origin)
        if not keys:
            return 0
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        missing = 0
        for key in keys:
            target = _device_rect(world, key, origin)
            image = self.cache.get(key)
            if image is not None:
                painter.drawImage(target, image, QRectF(0, 0, image.width(), image.height()))
                continue
            if self.cache.is_missing(key):
                continue
            missing += 1
            self.request(key)
            self._placeholder(painter, world, key, target, origin)
        painter.restore()
        return missing

    def _placeholder(self, painter: QPainter, world: QTransform, key: Key, target: QRectF,
                     origin: tuple[float, float]) -> None:
        z, x, y = key
        for k in range(1, min(ANCESTOR_LEVELS, z - self.info.min_zoom) + 1):
            parent = self.cache.get((z - k, x >> k, y >> k))
            if parent is not None:
                part = parent.width() / (1 << k)
                source = QRectF((x % (1 << k)) * part, (y % (1 << k)) * part, part, part)
                painter.drawImage(target, parent, source)
                return
        if z < self.info.max_zoom:  # zooming out: the children may be decoded already
            for cx in (2 * x, 2 * x + 1):
                for cy in (2 * y, 2 * y + 1):
                    child = self.cache.get((z + 1, cx, cy))
                    if child is not None:
                        painter.drawImage(_device_rect(world, (z + 1, cx, cy), origin), child,
                                          QRectF(0, 0, child.width(), child.height()))


def tile_scene_rect(key: Key, origin: tuple[float, float]) -> QRectF:
    z, x, y = key
    size = 2 * HALF_WORLD / (1 << z)
    ox, oy = origin
    left = -HALF_WORLD + x * size - ox
    top = oy - (HALF_WORLD - y * size)
    return QRectF(left, top, size, size)


def _device_rect(world: QTransform, key: Key, origin: tuple[float, float]) -> QRectF:
    """The tile's rectangle in device pixels, snapped to whole pixels so no seam shows."""
    r = world.mapRect(tile_scene_rect(key, origin))
    left, top = math.floor(r.left() + 0.5), math.floor(r.top() + 0.5)
    right, bottom = math.floor(r.right() + 0.5), math.floor(r.bottom() + 0.5)
    return QRectF(left, top, max(1, right - left), max(1, bottom - top))


def _visible(rect: QRectF, z: int, origin: tuple[float, float]) -> list[Key] | None:
    """Tiles of zoom z under a scene rect, centre first; None when there are too many."""
    n = 1 << z
    size = 2 * HALF_WORLD / n
    ox, oy = origin
    x0 = max(0, math.floor((rect.left() + ox + HALF_WORLD) / size))
    x1 = min(n - 1, math.floor((rect.right() + ox + HALF_WORLD) / size))
    y0 = max(0, math.floor((HALF_WORLD - (oy - rect.top())) / size))
    y1 = min(n - 1, math.floor((HALF_WORLD - (oy - rect.bottom())) / size))
    if x1 < x0 or y1 < y0:
        return []
    if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_TILES_PER_FRAME:
        return None
    # centre first: the middle of the screen fills in before the edges
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    keys = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    keys.sort(key=lambda k: (k[1] - cx) ** 2 + (k[2] - cy) ** 2)
    return keys


# --- the catalog: which basemaps there are, which one is shown ------------------------------
class BasemapCatalog(QObject):
    """The registered basemaps of one database and the chosen one (kept in settings)."""

    changed = Signal()  # another basemap chosen (or none)

    def __init__(self, db: Any, settings: Any = None) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.records: list[BasemapRecord] = []
        self.layer: TileLayer | None = None
        self._key = NONE_KEY
        self.reload()

    def reload(self) -> None:
        """Read the registry again (after an import brought a basemap) and open the choice."""
        self.records = [r for r in basemaps(self.db) if self.db.media.has(r.sha256)]
        wanted = getattr(self.settings, "basemap", "") if self.settings is not None else ""
        if wanted != NONE_KEY and not any(r.sha256 == wanted for r in self.records):
            wanted = self.records[0].sha256 if self.records else NONE_KEY
        if wanted == self._key and (self.layer is not None or wanted == NONE_KEY):
            self.changed.emit()  # the same map stays open (its cache too); the menu grew
            return
        self._open(wanted)

    def current_key(self) -> str:
        return self._key

    def choose(self, key: str) -> None:
        if key == self._key:
            return
        self._open(key)
        if self.settings is not None:
            self.settings.basemap = key
            save: Callable[[], None] | None = getattr(self.settings, "save", None)
            if save is not None:
                save()

    def _open(self, key: str) -> None:
        if self.layer is not None:
            self.layer.close()
            self.layer = None
        self._key = NONE_KEY
        record = next((r for r in self.records if r.sha256 == key), None)
        if record is not None:
            try:
                source = open_record(self.db, record)
            except BasemapInvalid:  # damaged on this disk: show the graticule
                source = None
            if source is not None:
                self.layer = TileLayer(source, record.name)
                self._key = key
        self.changed.emit()

    def close(self) -> None:
        if self.layer is not None:
            self.layer.close()
            self.layer = None


_CATALOGS: weakref.WeakValueDictionary[int, BasemapCatalog] = weakref.WeakValueDictionary()


def register_catalog(catalog: BasemapCatalog) -> BasemapCatalog:
    """Editors are windows of their own: they find the catalog through their database."""
    _CATALOGS[id(catalog.db)] = catalog
    return catalog


def find_catalog(widget: QWidget) -> BasemapCatalog | None:
    """The catalog of the nearest parent that has one, or of the database a parent shows."""
    w: QWidget | None = widget
    while w is not None:
        catalog = getattr(w, "basemap_catalog", None)
        if isinstance(catalog, BasemapCatalog):
            return catalog
        db = getattr(w, "db", None)
        if db is not None:
            found = _CATALOGS.get(id(db))
            if found is not None and found.db is db:
                return found
        w = w.parentWidget()
    return None


# --- what a map view holds -----------------------------------------------------------------
class BasemapPainter(QObject):
    """Per map view: finds the catalog, paints its layer, offers the menu button."""

    def __init__(self, view: Any, origin: tuple[float, float]) -> None:
        super().__init__(view)
        self.view = view
        self.origin = origin
        self.catalog: BasemapCatalog | None = None
        self._layer: TileLayer | None = None
        self._explicit = False
        self._anchor: QPoint | None = None
        self.button = QToolButton(view)
        # InstantPopup draws its arrow over the text's last letter; a split button does not
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.button.clicked.connect(self.button.showMenu)
        self.button.setAutoRaise(False)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.button.hide()
        self.retranslate()

    @property
    def layer(self) -> TileLayer | None:
        return self._layer

    def set_layer(self, layer: TileLayer | None) -> None:
        """Show this layer regardless of any catalog (tests, the benchmark)."""
        self._explicit = True
        self._use(layer)

    def _use(self, layer: TileLayer | None) -> None:
        if layer is self._layer:
            return
        if self._layer is not None:
            self._layer.changed.disconnect(self._repaint)
        self._layer = layer
        if layer is not None:
            layer.changed.connect(self._repaint)
        self._repaint()

    def _repaint(self) -> None:
        self.view.viewport().update()

    def bind(self) -> None:
        """Find the window's catalog (the view may have been parented since last time)."""
        if self._explicit:
            return
        catalog = find_catalog(self.view)
        if catalog is not self.catalog:
            if self.catalog is not None:
                self.catalog.changed.disconnect(self._catalog_changed)
            self.catalog = catalog
            if catalog is not None:
                catalog.changed.connect(self._catalog_changed)
            self._catalog_changed()

    def _catalog_changed(self) -> None:
        catalog = self.catalog
        self.button.setVisible(catalog is not None)  # also to add the first basemap
        self.retranslate()
        self._use(catalog.layer if catalog is not None else None)

    def paint(self, painter: QPainter, exposed: QRectF) -> None:
        self.bind()
        if self._layer is not None:
            self._layer.paint(painter, exposed, self.origin)

    def place(self, at: QPoint | None = None) -> None:
        """Right-align the button at `at` (kept for when the text changes language)."""
        self._anchor = at if at is not None else self._anchor
        self.button.adjustSize()
        if self._anchor is not None:
            self.button.move(self._anchor.x() - self.button.width(), self._anchor.y())

    def _fill_menu(self) -> None:
        self.menu.clear()
        catalog = self.catalog
        if catalog is None:
            return
        group = QActionGroup(self.menu)
        choices = [(NONE_KEY, _("No basemap (grid only)"))] + [
            (r.sha256, r.name) for r in catalog.records]
        for key, text in choices:
            action = QAction(text, self.menu)
            action.setCheckable(True)
            action.setChecked(key == catalog.current_key())
            action.setData(key)
            action.triggered.connect(lambda _checked=False, k=key: catalog.choose(k))
            group.addAction(action)
            self.menu.addAction(action)
        self.menu.addSeparator()
        add = QAction(_("Add a basemap file…"), self.menu)
        add.triggered.connect(self._ask_for_file)
        self.menu.addAction(add)

    def _ask_for_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self.view, _("Add a basemap"), "", _("Basemaps (*.mbtiles *.pmtiles)"))
        if path:
            self.add_file(Path(path))

    def add_file(self, path: Path) -> workers.Worker | None:
        """Copy and register an archive in a worker (2 GB take a while); then show it."""
        catalog = self.catalog
        if catalog is None:
            return None
        db = catalog.db

        def job(progress: Any, cancelled: Any) -> AddedBasemap:
            return add_basemap(db, path, progress=progress, cancelled=cancelled)

        def added(result: AddedBasemap) -> None:
            catalog.reload()
            catalog.choose(result.record.sha256)

        worker = workers.with_progress(self.view, _("Copying the basemap…"),
                                       workers.Worker(job), title=_("Add a basemap"))
        worker.signals.finished_ok.connect(added)
        worker.signals.failed.connect(self._failed)
        return workers.start(worker)

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, AddCancelled):
            return  # the user stopped it: nothing was added, nothing to say
        text = describe(error) if isinstance(error, RangerError) else str(error)
        box = QMessageBox(QMessageBox.Icon.Warning, _("Could not add the basemap"), text,
                          parent=self.view)
        box.open()  # not exec(): the map keeps painting
        self.last_message = box

    def retranslate(self) -> None:
        self.button.setText(_("Basemap"))
        self.button.setToolTip(_("Choose the map shown under the tracks"))
        self.button.setAccessibleName(_("Basemap"))
        self.place()  # another language, another width
