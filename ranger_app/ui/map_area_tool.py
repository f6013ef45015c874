"""Drawing an area on a `MapView` from outside: an event filter and one scene item.

Click to add a corner (a drag still pans the map), double-click or Enter to close the area
(three corners at least), Backspace to take back the last corner, Esc to drop what is drawn.
The map itself knows nothing of this (ui/map_view.py is the map's own business): the tool
watches the view's viewport for the mouse and the view for keys, and draws its polygon as a
`QGraphicsPathItem` above everything in the view's scene.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QGraphicsPathItem

from ranger_app.ui.map_view import MapView, unproject

OUTLINE = QColor("#1864ab")
FILL = QColor(24, 100, 171, 40)
Z_ABOVE_ALL = 1000.0


class AreaDrawTool(QObject):
    """Draws one polygon on `view`. `finished(list of (lon, lat))` when it is closed,
    `cancelled()` when Esc drops it, `changed()` after every corner added or removed."""

    finished = Signal(list)
    cancelled = Signal()
    changed = Signal()

    def __init__(self, view: MapView) -> None:
        super().__init__(view)
        self.view = view
        self.corners: list[QPointF] = []  # scene coordinates
        self.closed = False
        self.active = False
        self._press: QPoint | None = None
        self._hover: QPointF | None = None
        self.item = QGraphicsPathItem()
        pen = QPen(OUTLINE, 2.0)
        pen.setCosmetic(True)
        self.item.setPen(pen)
        self.item.setBrush(QBrush(FILL))
        self.item.setZValue(Z_ABOVE_ALL)
        view.scene().addItem(self.item)
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)

    # --- control ---------------------------------------------------------------------------
    def start(self) -> None:
        """Begin a new polygon (dropping any drawn before)."""
        self.corners, self.closed, self.active = [], False, True
        self._hover = None
        self.view.viewport().setMouseTracking(True)
        self.view.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.view.setFocus()
        self._redraw()

    def stop(self) -> None:
        self.active = False
        self._hover = None
        self.view.viewport().unsetCursor()
        self._redraw()

    def lonlat(self) -> list[tuple[float, float]]:
        """The corners as (longitude, latitude)."""
        out = []
        for p in self.corners:
            lat, lon = unproject(p)
            out.append((lon, lat))
        return out

    def add_corner(self, view_pos: QPoint) -> bool:
        """A corner at a viewport position; a second click on the last corner adds none."""
        if self.corners:
            last = self.view.mapFromScene(self.corners[-1])
            if (last - view_pos).manhattanLength() <= QApplication.startDragDistance():
                return False
        self.corners.append(self.view.mapToScene(view_pos))
        self._redraw()
        self.changed.emit()
        return True

    def undo(self) -> None:
        if self.corners:
            self.corners.pop()
            self._redraw()
            self.changed.emit()

    def close_area(self) -> bool:
        """Close the polygon; False (and still drawing) with fewer than three corners."""
        if len(self.corners) < 3:
            return False
        self.closed = True
        self.stop()
        self.finished.emit(self.lonlat())
        return True

    def cancel(self) -> None:
        """Drop the corners drawn so far; the tool goes on drawing a new polygon."""
        self.corners, self.closed = [], False
        self._hover = None
        self._redraw()
        self.cancelled.emit()

    # --- drawing ---------------------------------------------------------------------------
    def _redraw(self) -> None:
        path = QPainterPath()
        points = list(self.corners)
        if self.active and self._hover is not None and points:
            points.append(self._hover)
        if points:
            path.moveTo(points[0])
            for p in points[1:]:
                path.lineTo(p)
            if self.closed or len(points) >= 3:
                path.closeSubpath()
        self.item.setPath(path)
        self.view.viewport().update()

    # --- events ----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.active:
            return False
        if watched is self.view.viewport():
            return self._mouse(event)
        if watched is self.view and event.type() == QEvent.Type.KeyPress:
            return self._key(event)  # type: ignore[arg-type]
        return False

    def _mouse(self, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                        QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove):
            return False
        assert isinstance(event, QMouseEvent)
        pos = event.position().toPoint()
        left = event.button() == Qt.MouseButton.LeftButton
        if kind == QEvent.Type.MouseButtonPress and left:
            self._press = pos
            return False  # the map may still pan on a drag
        if kind == QEvent.Type.MouseButtonRelease and left:
            press, self._press = self._press, None
            if press is not None and \
                    (pos - press).manhattanLength() <= QApplication.startDragDistance():
                self.add_corner(pos)
            return False
        if kind == QEvent.Type.MouseButtonDblClick and left:
            self._press = None
            self.add_corner(pos)  # none when the first click of the pair placed it
            self.close_area()
            return True
        if kind == QEvent.Type.MouseMove:
            self._hover = self.view.mapToScene(pos)
            self._redraw()
        return False

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self.close_area() or bool(self.corners)
        if key == Qt.Key.Key_Escape and self.corners:
            self.cancel()
            return True
        if key == Qt.Key.Key_Backspace and self.corners:
            self.undo()
            return True
        return False
