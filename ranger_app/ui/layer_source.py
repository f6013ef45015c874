"""The vector layers of one database, loaded and made drawable once for every map.

Reading 20,000 quarters and simplifying them takes a second or two, so it happens in a
worker; every map view finds the source through its parents (the main window holds it) or
by its database (editors are windows of their own), like the basemap catalog, and repaints
when `changed` fires. Which layers are hidden is one choice per installation
(`Settings.hidden_layers`), made from the "Layers" button on any map.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ranger_app.domain.layers import MapLayer
from ranger_app.ui import workers
from ranger_app.ui.map_layers import LayerDrawing, build_drawings


def map_layers(db: Any) -> list[MapLayer]:
    """Every live map layer of the database, features decoded; none before the layer store
    exists (an older branch). One function, so every view asks the same way and a test can
    hand in layers of its own."""
    try:
        from ranger_app.io.layers.service import map_layers as load
    except ImportError:
        return []
    return list(load(db))


def layers_of_kind(db: Any, *kinds: str) -> list[MapLayer]:
    return [layer for layer in map_layers(db) if layer.kind in kinds]


class LayerSource(QObject):
    changed = Signal()  # new drawings, or a layer shown or hidden

    def __init__(self, db: Any, settings: Any = None,
                 read: Callable[[Any], list[MapLayer]] | None = None) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.read = read
        self.drawings: list[LayerDrawing] = []
        self._worker: workers.Worker | None = None
        self.reload()

    def reload(self) -> workers.Worker:
        """Read and build again in a worker (after an import brought a layer, or one added)."""
        if self._worker is not None:
            self._worker.cancel()
        db, read = self.db, self.read or map_layers

        def job(progress: Any, cancelled: Callable[[], bool]) -> list[LayerDrawing]:
            return build_drawings(read(db), cancelled)

        worker = workers.Worker(job)
        worker.signals.finished_ok.connect(lambda result, w=worker: self._built(w, result))
        worker.signals.failed.connect(lambda _error, w=worker: self._built(w, None))
        self._worker = worker
        return workers.start(worker)

    def _built(self, worker: workers.Worker, result: list[LayerDrawing] | None) -> None:
        if worker is not self._worker or worker.cancelled():
            return
        self._worker = None
        if result is not None:  # a damaged layer row: keep what the maps showed
            self.drawings = result
        self.changed.emit()

    def loading(self) -> bool:
        return self._worker is not None

    def hidden(self) -> set[str]:
        return set(getattr(self.settings, "hidden_layers", []) or [])

    def set_visible(self, uuid: str, visible: bool) -> None:
        hidden = self.hidden()
        if (uuid not in hidden) == visible:
            return
        (hidden.discard if visible else hidden.add)(uuid)
        if self.settings is not None:
            self.settings.hidden_layers = sorted(hidden)
            save: Callable[[], None] | None = getattr(self.settings, "save", None)
            if save is not None:
                save()
        self.changed.emit()


_SOURCES: weakref.WeakValueDictionary[int, LayerSource] = weakref.WeakValueDictionary()


def register_source(source: LayerSource) -> LayerSource:
    """Editors are windows of their own: they find the source through their database."""
    _SOURCES[id(source.db)] = source
    return source


def find_source(widget: QWidget) -> LayerSource | None:
    """The source of the nearest parent that has one, or of the database a parent shows."""
    w: QWidget | None = widget
    while w is not None:
        source = getattr(w, "layer_source", None)
        if isinstance(source, LayerSource):
            return source
        db = getattr(w, "db", None)
        if db is not None:
            found = _SOURCES.get(id(db))
            if found is not None and found.db is db:
                return found
        w = w.parentWidget()
    return None
