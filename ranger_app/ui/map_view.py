"""Offline map panel: patrol tracks and observations over a graticule, no tiles, no network.

Rangers work where there is no signal, so the map cannot lean on a tile server. A plain
background with a degree grid, an honest scale bar and a north arrow is enough to read where
a patrol went and where it saw what. Scene units are spherical Web Mercator metres (y
flipped so north is up), measured from an origin in the park so scroll-bar integers stay
small; ground distance on screen is scene distance times cos(latitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from ranger_app.domain.layers import MapLayer
from ranger_app.domain.track import FLAG_TOO_FAST, TrackPoint, pack_points, unpack_latlon
from ranger_app.i18n import _, babel_locale
from ranger_app.ui import workers
from ranger_app.ui.map_layers import LayerPainter
from ranger_app.ui.map_tiles import BasemapPainter

# --- projection ---------------------------------------------------------------------------
R_MERCATOR = 6_378_137.0  # the sphere Web Mercator uses
LON0, LAT0 = 131.1, 43.0  # scene origin: the middle of the park
MAX_LAT = 85.05112878
_KX = R_MERCATOR * math.pi / 180.0
_HALF_RAD = math.pi / 360.0
_QUARTER_PI = math.pi / 4.0
_Y0 = R_MERCATOR * math.log(math.tan(_QUARTER_PI + LAT0 * _HALF_RAD))

PARK_SOUTH, PARK_WEST, PARK_NORTH, PARK_EAST = 42.6, 130.6, 43.4, 131.6

# flags are the last byte of each packed point (see domain.track): read them straight from
# the bytes instead of building 100,000 TrackPoint objects
_RECORD = len(pack_points([TrackPoint(0.0, 0.0)]))
_FLAG_BYTE = _RECORD - 1
assert pack_points([TrackPoint(0.0, 0.0, flags=FLAG_TOO_FAST)])[_FLAG_BYTE] == FLAG_TOO_FAST


def project(lat: float, lon: float) -> QPointF:
    """(lat, lon) in degrees to scene metres: Web Mercator, north up, origin in the park."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    return QPointF(
        (lon - LON0) * _KX,
        _Y0 - R_MERCATOR * math.log(math.tan(_QUARTER_PI + lat * _HALF_RAD)),
    )


def unproject(point: QPointF) -> tuple[float, float]:
    """Scene metres back to (lat, lon) in degrees."""
    lon = LON0 + point.x() / _KX
    lat = math.degrees(2.0 * math.atan(math.exp((_Y0 - point.y()) / R_MERCATOR)) - math.pi / 2)
    return lat, lon


def _scene_rect_of(south: float, west: float, north: float, east: float) -> QRectF:
    return QRectF(project(north, west), project(south, east))


PARK_RECT = _scene_rect_of(PARK_SOUTH, PARK_WEST, PARK_NORTH, PARK_EAST)


# --- values in -----------------------------------------------------------------------------
DEFAULT_TRACK_COLOUR = "#d9480f"


@dataclass(frozen=True)
class MapTrack:
    key: str
    points: bytes  # domain.track packed
    colour: str = DEFAULT_TRACK_COLOUR
    planned: bool = False  # a planned route: drawn dashed, never effort


@dataclass(frozen=True)
class MapMarker:
    key: str
    lat: float
    lon: float
    label: str
    kind: str  # threat | wildlife | human | carcass | unclassified | other


KIND_COLOURS: dict[str, str] = {
    "threat": "#e03131",
    "wildlife": "#2f9e44",
    "human": "#1c7ed6",
    "carcass": "#7048e8",
    "unclassified": "#868e96",
    "other": "#1098ad",
}

# --- look ----------------------------------------------------------------------------------
PAPER = QColor("#f4f3ee")
GRID = QColor("#dcdcd2")
INK = QColor("#343a40")
INK_SOFT = QColor("#5c636a")
FLAG_RED = QColor("#c92a2a")
PANEL = QColor(255, 255, 255, 225)
PANEL_EDGE = QColor(0, 0, 0, 40)

MIN_SCALE_PX_PER_M = 1e-5  # about 100 km per pixel: the whole of Asia
MAX_SCALE_PX_PER_M = 4.0  # 25 cm per pixel: beyond GPS precision
FIT_MARGIN_PX = 28  # keeps markers and end dots clear of the edge
GRID_MIN_PX = 64  # labels such as "131.05° E" need this much room
GRID_STEPS = (5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
SCALE_BAR_MAX_PX = 120
CHUNK_POINTS = 512
LOD_TOLERANCES_M = (0.0, 2.0, 8.0, 32.0, 128.0, 512.0)
LOD_MAX_ERROR_PX = 0.5


def _cosmetic_pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _number(value: float, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def _thin(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Drop points closer than `tol` metres to the last kept one (ends always kept)."""
    if len(points) < 3 or tol <= 0:
        return points
    out = [points[0]]
    lx, ly = points[0]
    for x, y in points:
        if abs(x - lx) + abs(y - ly) > tol:
            out.append((x, y))
            lx, ly = x, y
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


def _chunks(points: list[QPointF]) -> list[tuple[QRectF, QPainterPath]]:
    """Pieces of a line with their bounds, so a zoomed-in paint skips what is off screen."""
    out = []
    for i in range(0, max(1, len(points) - 1), CHUNK_POINTS):
        poly = QPolygonF(points[i : i + CHUNK_POINTS + 1])
        path = QPainterPath()
        path.addPolygon(poly)
        out.append((poly.boundingRect().adjusted(-1, -1, 1, 1), path))
    return out


# --- items ---------------------------------------------------------------------------------
class TrackItem(QGraphicsItem):
    """One track: its line, thinned copies for far zoom, and a cross at each too-fast fix.

    Not a QGraphicsPathItem: that one strokes the whole path to find its bounds and shape,
    which costs more than drawing it. Flagged fixes are left out of the line (they are wild
    GPS jumps) but marked, so nothing is hidden from the ranger.
    """

    END_RADIUS = 4.5
    CROSS = 4.0
    PAD_PX = 10.0

    def __init__(self, track: MapTrack) -> None:
        super().__init__()
        self.key = track.key
        colour = QColor(track.colour)
        self._colour = colour if colour.isValid() else QColor(DEFAULT_TRACK_COLOUR)
        self._line_pen = _cosmetic_pen(self._colour, 2.5)
        if track.planned:
            self._line_pen.setStyle(Qt.PenStyle.DashLine)
        self._casing_pen = _cosmetic_pen(QColor(255, 255, 255, 210), 5.5)
        good, flagged = self._project(track.points)
        self._flagged = [QPointF(x, y) for x, y in flagged]
        full = [QPointF(x, y) for x, y in good]
        self._path = QPainterPath()
        self._path.addPolygon(QPolygonF(full))
        self._ends = (full[0], full[-1]) if full else None
        self._levels: list[tuple[float, list[tuple[QRectF, QPainterPath]]]] = []
        if len(full) > 1:
            self._levels.append((0.0, _chunks(full)))
            thinned = good
            for tol in LOD_TOLERANCES_M[1:]:
                thinned = _thin(thinned, tol)
                self._levels.append((tol, _chunks([QPointF(x, y) for x, y in thinned])))
        every = QPolygonF(full + self._flagged)
        self._bounds = every.boundingRect()
        self._pad = 0.0
        self.setZValue(1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    @staticmethod
    def _project(data: bytes) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Project every point in one loop; flagged ones go to their own list."""
        good: list[tuple[float, float]] = []
        flagged: list[tuple[float, float]] = []
        flags = data[_FLAG_BYTE::_RECORD]
        log, tan = math.log, math.tan
        for (lat, lon), flag in zip(unpack_latlon(data), flags, strict=True):
            if lat > MAX_LAT or lat < -MAX_LAT:
                lat = math.copysign(MAX_LAT, lat)
            xy = ((lon - LON0) * _KX, _Y0 - R_MERCATOR * log(tan(_QUARTER_PI + lat * _HALF_RAD)))
            (flagged if flag & FLAG_TOO_FAST else good).append(xy)
        return good, flagged

    def path(self) -> QPainterPath:
        """The whole line in scene metres (flagged fixes left out)."""
        return self._path

    def flagged_count(self) -> int:
        return len(self._flagged)

    def content_rect(self) -> QRectF:
        """Bounds of the points themselves, without the room kept for pens and dots."""
        return QRectF(self._bounds)

    def set_view_scale(self, px_per_m: float) -> None:
        """Keep room in the bounds for dots and crosses that are a fixed size in pixels."""
        pad = self.PAD_PX / px_per_m
        if not math.isclose(pad, self._pad):
            self.prepareGeometryChange()
            self._pad = pad

    def boundingRect(self) -> QRectF:
        p = self._pad
        return self._bounds.adjusted(-p, -p, p, p)

    def shape(self) -> QPainterPath:
        # hit-testing the stroke of 100,000 points would make every hover slow
        return QPainterPath()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        world = painter.worldTransform()
        if self._levels:
            lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(world)
            chunks = self._levels[0][1]
            for tol, level in self._levels:
                if tol * lod <= LOD_MAX_ERROR_PX:
                    chunks = level
            exposed = option.exposedRect
            visible = [path for box, path in chunks if box.intersects(exposed)]
            for pen in (self._casing_pen, self._line_pen):
                painter.setPen(pen)
                for path in visible:
                    painter.drawPath(path)
        # dots and crosses are drawn in pixels so they keep their size at any zoom
        painter.save()
        painter.resetTransform()
        if self._flagged:
            c = self.CROSS
            lines = []
            for p in self._flagged:
                d = world.map(p)
                x, y = d.x(), d.y()
                lines += [QLineF(x - c, y - c, x + c, y + c), QLineF(x - c, y + c, x + c, y - c)]
            painter.setPen(_cosmetic_pen(QColor(255, 255, 255, 220), 4.5))
            painter.drawLines(lines)
            painter.setPen(_cosmetic_pen(FLAG_RED, 2.0))
            painter.drawLines(lines)
        if self._ends:
            r = self.END_RADIUS
            start, end = (world.map(p) for p in self._ends)
            painter.setPen(_cosmetic_pen(self._colour, 2.0))
            painter.setBrush(QColor("white"))
            painter.drawEllipse(start, r, r)
            painter.setPen(_cosmetic_pen(QColor("white"), 2.0))
            painter.setBrush(self._colour)
            painter.drawEllipse(end, r, r)
        painter.restore()


class MarkerItem(QGraphicsItem):
    """An observation: a dot in its kind's colour, the same size at every zoom."""

    RADIUS = 6.5

    def __init__(self, marker: MapMarker) -> None:
        super().__init__()
        self.key = marker.key
        self.kind = marker.kind
        self._colour = QColor(KIND_COLOURS.get(marker.kind, KIND_COLOURS["other"]))
        self.setPos(project(marker.lat, marker.lon))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setToolTip(marker.label)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(10)

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 7
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        r = self.RADIUS + 3  # a little larger than the dot: fingers on a field laptop
        path.addEllipse(QPointF(0, 0), r, r)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        r = self.RADIUS
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.isSelected():
            painter.setPen(QPen(INK, 1.5))
            halo = QColor(self._colour)
            halo.setAlpha(70)
            painter.setBrush(halo)
            painter.drawEllipse(QPointF(0, 0), r + 5, r + 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 60))
        painter.drawEllipse(QPointF(0, 1.5), r + 1, r + 1)
        painter.setPen(QPen(QColor("white"), 2.0))
        painter.setBrush(self._colour)
        painter.drawEllipse(QPointF(0, 0), r, r)


# --- the view ------------------------------------------------------------------------------
class MapView(QGraphicsView):
    """The map panel. Plain values in (`MapTrack`, `MapMarker`), `markerClicked(key)` out.

    Until the user zooms or pans, the view stays fitted to its content (also on resize and
    when new data arrives); after that it stays where the user put it.
    """

    markerClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._tracks: dict[str, TrackItem] = {}
        self._markers: dict[str, MarkerItem] = {}
        self._auto_fit = True
        self._press: tuple[str, QPoint] | None = None
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # zoom anchoring is done by hand in _zoom, which also clamps the scale
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        # overlays are drawn in viewport pixels: a scrolled copy of the old picture would
        # smear them, so every change repaints the whole viewport
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 180)
        self.basemap = BasemapPainter(self, (LON0 * _KX, _Y0))  # tiles, under everything
        self.layers = LayerPainter(self)  # vector layers, between the tiles and the tracks
        self._update_scene_rect()
        self.retranslate()
        self.fit_all()

    def sizeHint(self) -> QSize:
        return QSize(800, 560)

    # --- data ------------------------------------------------------------------------------
    def set_tracks(self, tracks: Sequence[MapTrack]) -> None:
        """Replace every track (a track with no points is left out)."""
        for item in self._tracks.values():
            self._scene.removeItem(item)
        self._tracks = {}
        scale = self._scale()
        for track in tracks:
            if not track.points:
                continue
            item = TrackItem(track)
            item.set_view_scale(scale)
            self._scene.addItem(item)
            self._tracks[track.key] = item
        self._content_changed()

    def set_layers(self, layers: Sequence[MapLayer]) -> workers.Worker:
        """Draw these vector layers on this map (instead of the database's); built off the
        UI thread, shown when ready. Maps in the app get their database's layers by
        themselves (ui.layer_source)."""
        return self.layers.set_layers(layers)

    def set_observations(self, items: Sequence[MapMarker]) -> None:
        """Replace every observation marker."""
        for item in self._markers.values():
            self._scene.removeItem(item)
        self._markers = {}
        for marker in items:
            item = MarkerItem(marker)
            self._scene.addItem(item)
            self._markers[marker.key] = item
        self._content_changed()

    def _content_changed(self) -> None:
        self._update_scene_rect()
        if self._auto_fit:
            self.fit_all()
        self.viewport().update()

    def is_empty(self) -> bool:
        return not self._tracks and not self._markers

    def empty_text(self) -> str:
        """What the panel says over an empty map ("" when there is something to show)."""
        return _("No track yet: import a GPX file") if self.is_empty() else ""

    def tracks(self) -> list[TrackItem]:
        return list(self._tracks.values())

    def markers(self) -> list[MarkerItem]:
        return list(self._markers.values())

    def flagged_count(self) -> int:
        """How many too-fast fixes are marked on the map, over all tracks."""
        return sum(item.flagged_count() for item in self._tracks.values())

    def marker_view_pos(self, key: str) -> QPoint:
        """Where a marker is in viewport pixels (for tests and tool tips)."""
        return self.mapFromScene(self._markers[key].pos())

    def highlight(self, key: str) -> bool:
        """Select one marker and centre it; False when there is no such marker."""
        item = self._markers.get(key)
        if item is None:
            return False
        self._scene.clearSelection()
        item.setSelected(True)
        self._auto_fit = False
        self.centerOn(item.pos())
        return True

    # --- view ------------------------------------------------------------------------------
    def content_rect(self) -> QRectF | None:
        """Scene bounds of every track point and marker, or None on an empty map.

        Computed from coordinates, not with `QRectF.united`, which ignores empty rectangles
        (a lone marker, a straight north-south track) and would fit the wrong area.
        """
        xs: list[float] = []
        ys: list[float] = []
        for item in self._tracks.values():
            r = item.content_rect()
            xs += [r.left(), r.right()]
            ys += [r.top(), r.bottom()]
        for item in self._markers.values():
            xs.append(item.pos().x())
            ys.append(item.pos().y())
        if not xs:
            return None
        return QRectF(QPointF(min(xs), min(ys)), QPointF(max(xs), max(ys)))

    def fit_all(self) -> None:
        """Show everything with a margin; an empty map shows the park."""
        rect = self.content_rect()
        if rect is None:
            rect = QRectF(PARK_RECT)
        else:
            grow = max(rect.width(), rect.height()) * 0.04
            rect.adjust(-grow, -grow, grow, grow)
            c = rect.center()
            min_side = 600.0  # one marker alone still gets some country around it
            rect = rect.united(QRectF(c.x() - min_side / 2, c.y() - min_side / 2,
                                      min_side, min_side))
        vp = self.viewport().rect()
        w = max(1, vp.width() - 2 * FIT_MARGIN_PX)
        h = max(1, vp.height() - 2 * FIT_MARGIN_PX)
        self._set_scale(min(w / rect.width(), h / rect.height()))
        self.centerOn(rect.center())
        self._auto_fit = True

    def zoom_in(self) -> None:
        self._zoom(1.5)

    def zoom_out(self) -> None:
        self._zoom(1 / 1.5)

    def _scale(self) -> float:
        """Pixels per scene metre."""
        return self.transform().m11()

    def _min_scale(self) -> float:
        sr = self.sceneRect()
        vp = self.viewport().rect()
        return max(MIN_SCALE_PX_PER_M, vp.width() / sr.width(), vp.height() / sr.height())

    def _set_scale(self, scale: float) -> None:
        scale = min(MAX_SCALE_PX_PER_M, max(self._min_scale(), scale))
        self.setTransform(QTransform.fromScale(scale, scale))
        for item in self._tracks.values():
            item.set_view_scale(scale)

    def _zoom(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom keeping the scene point under `anchor` (default: the centre) where it is."""
        self._auto_fit = False
        centre_px = self.viewport().rect().center()
        anchor = centre_px if anchor is None else anchor
        before = self.mapToScene(anchor)
        self._set_scale(self._scale() * factor)
        after = self.mapToScene(anchor)
        self.centerOn(self.mapToScene(centre_px) + (before - after))
        self.viewport().update()

    def _update_scene_rect(self) -> None:
        """Room to pan around the content, not to the ends of the earth."""
        rect = QRectF(PARK_RECT)
        content = self.content_rect()
        if content is not None:
            rect = rect.united(content)
        margin = max(rect.width(), rect.height(), 200_000.0) * 2
        self.setSceneRect(rect.adjusted(-margin, -margin, margin, margin))

    # --- overlays --------------------------------------------------------------------------
    def ground_metres_per_pixel(self) -> float:
        """True ground distance of one pixel at the centre of the view."""
        lat, _lon = unproject(self.mapToScene(self.viewport().rect().center()))
        return math.cos(math.radians(lat)) / self._scale()

    def _scale_bar(self) -> tuple[float, float, str]:
        """(metres, pixels, label) of the longest round length that fits the bar."""
        mpp = self.ground_metres_per_pixel()
        limit = SCALE_BAR_MAX_PX * mpp
        metres = 1.0
        for exp in range(8):
            for lead in (1, 2, 5):
                if lead * 10**exp <= limit:
                    metres = float(lead * 10**exp)
        if metres >= 1000:
            text = _("{n} km").format(n=_number(metres / 1000))
        else:
            text = _("{n} m").format(n=_number(metres))
        return metres, metres / mpp, text

    def scale_bar_text(self) -> str:
        """The scale bar's label as drawn now, e.g. "2 km"."""
        return self._scale_bar()[2]

    def _grid_step(self) -> float:
        px_per_degree = _KX * self._scale()
        step = GRID_STEPS[0]
        for candidate in GRID_STEPS:
            if candidate * px_per_degree >= GRID_MIN_PX:
                step = candidate
        return step

    @staticmethod
    def _grid_values(low: float, high: float, step: float) -> Iterable[float]:
        first, last = math.ceil(low / step), math.floor(high / step)
        if last - first > 400:
            return []
        return (round(i * step, 6) for i in range(first, last + 1))

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, PAPER)
        self.basemap.paint(painter, rect)
        step = self._grid_step()
        north, west = unproject(rect.topLeft())
        south, east = unproject(rect.bottomRight())
        painter.setPen(_cosmetic_pen(GRID, 1.0))
        lines = []
        for lon in self._grid_values(west, east, step):
            x = (lon - LON0) * _KX
            lines.append(QLineF(x, rect.top(), x, rect.bottom()))
        for lat in self._grid_values(max(south, -MAX_LAT), min(north, MAX_LAT), step):
            y = project(lat, LON0).y()
            lines.append(QLineF(rect.left(), y, rect.right(), y))
        if lines:
            painter.drawLines(lines)
        self._place_layers_button()  # the basemap button may have just appeared
        self.layers.paint(painter, rect, self.control_rects())

    def control_rects(self) -> list[QRectF]:
        """Viewport boxes of the map's own controls: labels on the map keep clear of them."""
        vp = QRectF(self.viewport().rect())
        fm = QFontMetricsF(self._small_font(+1, bold=True))
        boxes = [QRectF(vp.right() - 10 - 30, vp.top() + 10, 30, 26 + fm.height())]
        fs = QFontMetricsF(self._small_font())
        h = fs.height() + 20
        boxes.append(QRectF(vp.left() + 10, vp.bottom() - 10 - h, SCALE_BAR_MAX_PX + 40, h))
        for button in (self.basemap.button, self.layers.button):
            if button.isVisible():
                boxes.append(QRectF(button.geometry()).adjusted(-4, -4, 4, 4))
        boxes += [box for box, _text in self._grid_labels(vp)]  # the degrees stay readable
        return boxes

    def _layers_anchor(self) -> QPoint:
        b = self.basemap.button
        if b.isVisible():
            return QPoint(b.x() - 6, b.y())
        return QPoint(self.viewport().width() - 10, 64)

    def _place_layers_button(self) -> None:
        at = self._layers_anchor()
        if at != self.layers.anchor():
            self.layers.place(at)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()  # from here on: viewport pixels
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        vp = QRectF(self.viewport().rect())
        arrow = self._draw_north_arrow(painter, vp)
        bar = self._draw_scale_bar(painter, vp)
        self._draw_grid_labels(painter, vp, (arrow, bar))
        if self.is_empty():
            self._draw_empty(painter, vp)
        painter.restore()

    def _small_font(self, delta: float = -1.0, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() + delta))
        font.setBold(bold)
        return font

    def _panel(self, painter: QPainter, box: QRectF) -> None:
        painter.setPen(QPen(PANEL_EDGE, 1.0))
        painter.setBrush(PANEL)
        painter.drawRoundedRect(box, 4, 4)

    def _draw_scale_bar(self, painter: QPainter, vp: QRectF) -> QRectF:
        _metres, px, text = self._scale_bar()
        font = self._small_font()
        fm = QFontMetricsF(font)
        width = max(px, fm.horizontalAdvance(text)) + 20
        box = QRectF(vp.left() + 10, vp.bottom() - 10 - (fm.height() + 20), width,
                     fm.height() + 20)
        self._panel(painter, box)
        x0, y0 = box.left() + 10, box.bottom() - 12
        half = px / 2
        painter.setPen(QPen(INK, 1.0))
        painter.setBrush(INK)
        painter.drawRect(QRectF(x0, y0, half, 5))
        painter.setBrush(QColor("white"))
        painter.drawRect(QRectF(x0 + half, y0, px - half, 5))
        painter.setFont(font)
        painter.setPen(INK)
        painter.drawText(QRectF(x0, box.top() + 4, px, fm.height()),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, text)
        return box

    def _draw_north_arrow(self, painter: QPainter, vp: QRectF) -> QRectF:
        font = self._small_font(+1, bold=True)
        fm = QFontMetricsF(font)
        box = QRectF(vp.right() - 10 - 30, vp.top() + 10, 30, 26 + fm.height())
        self._panel(painter, box)
        painter.setFont(font)
        painter.setPen(INK)
        painter.drawText(QRectF(box.left(), box.top() + 3, box.width(), fm.height()),
                         Qt.AlignmentFlag.AlignCenter, _("N"))
        cx, top, bottom = box.center().x(), box.top() + fm.height() + 5, box.bottom() - 5
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INK)
        painter.drawPolygon(QPolygonF([QPointF(cx, top), QPointF(cx, bottom - 4),
                                       QPointF(cx - 7, bottom)]))
        painter.setBrush(QColor("#adb5bd"))
        painter.drawPolygon(QPolygonF([QPointF(cx, top), QPointF(cx + 7, bottom),
                                       QPointF(cx, bottom - 4)]))
        return box

    def _degree_text(self, value: float, decimals: int, axis: str) -> str:
        n = _number(abs(value), decimals)
        if axis == "lat":
            return _("{value}° N").format(value=n) if value >= 0 else _("{value}° S").format(
                value=n)
        return _("{value}° E").format(value=n) if value >= 0 else _("{value}° W").format(value=n)

    def _grid_labels(self, vp: QRectF) -> list[tuple[QRectF, str]]:
        """Where the degree labels along the top and left edges go, and their texts."""
        step = self._grid_step()
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        fm = QFontMetricsF(self._small_font(-1.5))
        north, west = unproject(self.mapToScene(vp.topLeft().toPoint()))
        south, east = unproject(self.mapToScene(vp.bottomRight().toPoint()))
        labels: list[tuple[QRectF, str]] = []
        for lon in self._grid_values(west, east, step):
            x = self.mapFromScene(project(LAT0, lon)).x()
            text = self._degree_text(lon, decimals, "lon")
            labels.append((QRectF(x + 3, vp.top() + 3, fm.horizontalAdvance(text) + 6,
                                  fm.height() + 2), text))
        for lat in self._grid_values(max(south, -MAX_LAT), min(north, MAX_LAT), step):
            y = self.mapFromScene(project(lat, LON0)).y()
            text = self._degree_text(lat, decimals, "lat")
            labels.append((QRectF(vp.left() + 3, y - fm.height() - 4,
                                  fm.horizontalAdvance(text) + 6, fm.height() + 2), text))
        return labels

    def _draw_grid_labels(self, painter: QPainter, vp: QRectF,
                          reserved: Sequence[QRectF]) -> None:
        painter.setFont(self._small_font(-1.5))
        labels = self._grid_labels(vp)
        taken = list(reserved)
        for box, text in labels:
            if not vp.contains(box) or any(box.intersects(r) for r in taken):
                continue
            taken.append(box)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(244, 243, 238, 200))
            painter.drawRoundedRect(box, 2, 2)
            painter.setPen(INK_SOFT)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_empty(self, painter: QPainter, vp: QRectF) -> None:
        text = self.empty_text()
        font = self._small_font(+1)
        fm = QFontMetricsF(font)
        w, h = fm.horizontalAdvance(text) + 36, fm.height() + 24
        box = QRectF(vp.center().x() - w / 2, vp.center().y() - h / 2, w, h)
        painter.setPen(QPen(QColor("#ced4da"), 1.0))
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(box, 6, 6)
        painter.setFont(font)
        painter.setPen(INK_SOFT)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # --- input -----------------------------------------------------------------------------
    def viewportEvent(self, event: QEvent) -> bool:
        return super().viewportEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        dy = event.angleDelta().y()
        if dy:
            self._zoom(1.0015**dy, event.position().toPoint())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.fit_all()
            self.viewport().update()
        else:
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._auto_fit = False
            super().keyPressEvent(event)

    def _marker_at(self, pos: QPoint) -> MarkerItem | None:
        for item in self.items(pos):
            if isinstance(item, MarkerItem):
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        marker = self._marker_at(pos)
        left = event.button() == Qt.MouseButton.LeftButton
        self._press = (marker.key, pos) if marker is not None and left else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._press is None:
            self._auto_fit = False  # the user is panning
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        event.accept()  # a release ends a pan or a click on the map: ours either way
        press, self._press = self._press, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        key, at = press
        pos = event.position().toPoint()
        if (pos - at).manhattanLength() > QApplication.startDragDistance():
            return
        marker = self._marker_at(pos)
        if marker is not None and marker.key == key:
            self.markerClicked.emit(key)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.basemap.place(QPoint(self.viewport().width() - 10, 64))  # under the north arrow
        self.layers.place(self._layers_anchor())  # left of the basemap button
        if self._auto_fit:
            self.fit_all()

    # --- language --------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Texts drawn on the map are built at paint time; only the names need setting."""
        self.setAccessibleName(_("Map"))
        self.basemap.retranslate()
        self.layers.retranslate()
        self.layers.place(self._layers_anchor())
        self.viewport().update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
