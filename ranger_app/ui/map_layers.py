"""Vector layers on every map: park boundary, border, forest quarters, roads, rivers, cordons.

20,000 quarter polygons must not make a map stutter, so nothing is drawn feature by feature.
A worker (`build_drawing`, plain numpy and shapely, no Qt) projects each layer once to the
map's scene metres, simplifies it at a few tolerances (levels of detail), leaves out at each
coarse level the shapes too small to see there, and cuts every level into buckets of about
`BUCKET_FEATURES` shapes with their bounds. Each bucket's outline is serialised straight
into the bytes `QDataStream` reads a `QPainterPath` from, so the GUI thread turns a bucket
into a path in one C++ call the first time it is on screen, and keeps it.

A frame then picks the coarsest level whose error stays under `MAX_ERROR_PX`, draws the
buckets that meet the exposed rectangle with cosmetic pens, and writes labels (quarter
numbers) from the style's `label_min_zoom` on, at each shape's representative point,
skipping any that would overlap one already written or the map's own controls.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QObject, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QMenu, QToolButton

from ranger_app.domain.layers import MapLayer, default_style
from ranger_app.i18n import N_, _, current_language
from ranger_app.ui import workers

# --- projection (the same as map_view.project, on arrays) ---------------------------------
R_MERCATOR = 6_378_137.0
LON0, LAT0 = 131.1, 43.0  # map_view's scene origin; tests check the two agree
MAX_LAT = 85.05112878
_KX = R_MERCATOR * math.pi / 180.0
_Y0 = R_MERCATOR * math.log(math.tan(math.pi / 4 + LAT0 * math.pi / 360.0))

# --- levels of detail ----------------------------------------------------------------------
LEVEL_TOLERANCES_M = (0.0, 3.0, 12.0, 48.0, 192.0, 768.0, 3072.0)
MAX_ERROR_PX = 0.6  # a level is used while its simplification error is under this on screen
DROP_FACTOR = 8.0  # at tolerance t, shapes smaller than DROP_FACTOR * t are left out
BUCKET_FEATURES = 64
CHUNK_FEATURES = 1000  # features per shapely call in the worker (see _chunk_coordinates)
LABEL_CANDIDATES_MAX = 4000  # far more than fit on a screen; bounds the work per frame
LABEL_GAP_PX = 3.0
LABEL_CACHE = 4096

# drawn bottom to top: the dense grid under the boundaries that matter more
KIND_ORDER = ("forest_quarter", "forest_district", "other", "river", "road", "park_boundary",
              "state_border", "cordon")

# until layers-core ships resources/vocab/layer_kinds.csv, the kinds' names live here
KIND_LABELS: dict[str, str] = {
    "park_boundary": N_("park boundary"),
    "state_border": N_("state border"),
    "forest_quarter": N_("forest quarters"),
    "forest_district": N_("forest districts"),
    "road": N_("roads"),
    "river": N_("rivers"),
    "cordon": N_("cordons"),
    "other": N_("other layer"),
}


def kind_label(kind: str) -> str:
    """The kind's name in the user's language: the vocabulary when it has one, else ours."""
    try:
        from ranger_app.domain.vocab import vocabulary

        label = vocabulary("layer_kinds").label(kind, current_language())
        if label and label != kind:
            return label
    except (OSError, KeyError, ValueError):
        pass
    return _(KIND_LABELS.get(kind, KIND_LABELS["other"]))


def scene_xy(coords: np.ndarray) -> np.ndarray:
    """(lon, lat) rows in degrees to scene metres (Web Mercator, north up, park origin)."""
    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -MAX_LAT, MAX_LAT)
    out = np.empty_like(coords, dtype=np.float64)
    out[:, 0] = (lon - LON0) * _KX
    out[:, 1] = _Y0 - R_MERCATOR * np.log(np.tan(math.pi / 4 + lat * (math.pi / 360.0)))
    return out


def web_mercator_zoom(px_per_m: float) -> float:
    """The tile zoom whose 256-px tiles have this many pixels per mercator metre."""
    return math.log2(max(1e-12, px_per_m) * 2 * math.pi * R_MERCATOR / 256.0)


# --- what the worker builds ----------------------------------------------------------------
_ELEMENT = np.dtype([("type", ">i4"), ("x", ">f8"), ("y", ">f8")])


def _path_bytes(coords: np.ndarray, starts: np.ndarray) -> bytes:
    """The QDataStream form of a QPainterPath: a moveTo at each part start, lineTo after."""
    elements = np.empty(len(coords), dtype=_ELEMENT)
    types = np.ones(len(coords), dtype=np.int32)
    types[starts] = 0
    elements["type"] = types
    elements["x"] = coords[:, 0]
    elements["y"] = coords[:, 1]
    head = np.array([len(coords)], dtype=">i4").tobytes()
    tail = np.array([0, 0], dtype=">i4").tobytes()  # curve start, odd-even fill
    return head + elements.tobytes() + tail


@dataclass
class Bucket:
    rect: tuple[float, float, float, float]  # left, top, right, bottom in scene metres
    data: bytes  # a serialised QPainterPath
    vertices: int


@dataclass
class Level:
    tolerance: float
    buckets: list[Bucket]


@dataclass
class LayerDrawing:
    """One layer ready to draw: plain data from the worker, paths cached on the GUI thread."""

    uuid: str
    name: str
    kind: str
    stroke: str
    width: float
    fill: str | None
    dashed: bool
    label_min_zoom: float | None
    areal: bool  # polygons: filled, labelled at their representative point
    levels: list[Level]
    points: np.ndarray  # (n, 2) scene metres of point features (cordons)
    point_labels: list[str]
    label_xy: np.ndarray  # (m, 2) where the labels of lines and polygons go
    labels: list[str]
    features: int
    build_seconds: float = 0.0
    _paths: dict[tuple[int, int], QPainterPath] = field(default_factory=dict, repr=False)

    def level_for(self, px_per_m: float) -> int:
        """The coarsest level whose error on screen stays under MAX_ERROR_PX."""
        chosen = 0
        for i, level in enumerate(self.levels):
            if level.tolerance * px_per_m <= MAX_ERROR_PX:
                chosen = i
        return chosen

    def path(self, level: int, bucket: int) -> QPainterPath:
        key = (level, bucket)
        path = self._paths.get(key)
        if path is None:
            path = QPainterPath()
            data = QByteArray(self.levels[level].buckets[bucket].data)  # outlives the stream
            stream = QDataStream(data, QIODevice.OpenModeFlag.ReadOnly)
            stream >> path
            path.setFillRule(Qt.FillRule.OddEvenFill)
            self._paths[key] = path
        return path


def _bucket_ids(centres: np.ndarray, bounds: tuple[float, float, float, float],
                count: int) -> np.ndarray:
    side = max(1, math.ceil(math.sqrt(count / BUCKET_FEATURES)))
    x0, y0, x1, y1 = bounds
    w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    cx = np.clip(((centres[:, 0] - x0) / w * side).astype(np.int64), 0, side - 1)
    cy = np.clip(((centres[:, 1] - y0) / h * side).astype(np.int64), 0, side - 1)
    return cy * side + cx


def _runs(offsets: np.ndarray) -> np.ndarray:
    """For offsets [0, 3, 5]: the owner of each item, [0, 0, 0, 1, 1]."""
    return np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))


def _ragged(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates, the part (ring or line) of each coordinate and the feature of each part,
    from shapely's ragged arrays: no Python object per ring, which is what made the garbage
    collector stop every thread for a while on a large layer."""
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    coord_part = _runs(offsets[0])
    n_parts = len(offsets[0]) - 1
    if kind == shapely.GeometryType.POLYGON:
        part_feature = _runs(offsets[1])
    elif kind == shapely.GeometryType.MULTIPOLYGON:
        part_feature = _runs(offsets[2])[_runs(offsets[1])]
    elif kind == shapely.GeometryType.LINESTRING:
        part_feature = np.arange(n_parts)
    else:  # MULTILINESTRING
        part_feature = _runs(offsets[1])
    return coords[:, :2], coord_part, part_feature


def _chunk_coordinates(geoms: np.ndarray, areal: bool, tolerance: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of every part (rings for polygons) simplified to `tolerance`, the part of
    each coordinate and the feature of each part. Shapely holds the GIL inside one call, so
    the work goes in chunks of CHUNK_FEATURES: the UI thread gets its turn between them, and
    the simplified shapes of a chunk die young instead of piling up for a full garbage
    collection (a 20,000-quarter layer in one go stalled the window for half a second on a
    busy machine)."""
    coords_parts, coord_part_parts, part_feature_parts = [], [], []
    parts_before = 0
    for lo in range(0, len(geoms), CHUNK_FEATURES):
        chunk = geoms[lo:lo + CHUNK_FEATURES]
        if tolerance > 0:
            chunk = shapely.simplify(chunk, tolerance, preserve_topology=True)
        try:
            coords, coord_part, part_feature = _ragged(chunk)
        except ValueError:  # a GeometryCollection, or lines mixed with polygons
            parts, part_feature = shapely.get_parts(chunk, return_index=True)
            if areal:
                parts, ring_part = shapely.get_rings(parts, return_index=True)
                part_feature = part_feature[ring_part]
            coords, coord_part = shapely.get_coordinates(parts, return_index=True)
        if len(coords) == 0:
            continue
        coords_parts.append(coords)
        coord_part_parts.append(coord_part + parts_before)
        part_feature_parts.append(part_feature + lo)
        parts_before += len(part_feature)
    if not coords_parts:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return (np.concatenate(coords_parts), np.concatenate(coord_part_parts),
            np.concatenate(part_feature_parts))


def _by_chunks(fn: Callable[[np.ndarray], np.ndarray], geoms: np.ndarray) -> np.ndarray:
    """`fn` over `geoms` a chunk at a time, for the same reason as _chunk_coordinates."""
    if len(geoms) == 0:
        return geoms
    return np.concatenate([fn(geoms[lo:lo + CHUNK_FEATURES])
                           for lo in range(0, len(geoms), CHUNK_FEATURES)])


def _level(geoms: np.ndarray, tolerance: float, areal: bool,
           bucket_of: np.ndarray) -> Level:
    if tolerance > 0:
        boxes = shapely.bounds(geoms)
        size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
        keep = size >= DROP_FACTOR * tolerance
        geoms, bucket_of = geoms[keep], bucket_of[keep]
    coords, coord_part, part_feature = _chunk_coordinates(geoms, areal, tolerance)
    if len(coords) == 0:
        return Level(tolerance, [])
    part_bucket = bucket_of[part_feature]
    coord_bucket = part_bucket[coord_part]
    order = np.argsort(coord_bucket, kind="stable")  # parts stay whole and in order
    coords, coord_part, coord_bucket = coords[order], coord_part[order], coord_bucket[order]
    starts = np.ones(len(coords), dtype=bool)
    starts[1:] = coord_part[1:] != coord_part[:-1]
    edges = np.flatnonzero(np.diff(coord_bucket)) + 1
    buckets = []
    for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(coords)], strict=True):
        c = coords[lo:hi]
        rect = (float(c[:, 0].min()), float(c[:, 1].min()),
                float(c[:, 0].max()), float(c[:, 1].max()))
        buckets.append(Bucket(rect, _path_bytes(c, np.flatnonzero(starts[lo:hi])), hi - lo))
    return Level(tolerance, buckets)


def build_drawing(layer: MapLayer, cancelled: Callable[[], bool] | None = None) -> LayerDrawing:
    """Everything a map needs to draw `layer` quickly. Pure numpy and shapely: any thread."""
    import time

    started = time.perf_counter()
    style = layer.style or default_style(layer.kind)
    geoms = np.array([f.geometry for f in layer.features], dtype=object)
    texts = np.array([f.label for f in layer.features], dtype=object)
    if len(geoms):
        ok = ~shapely.is_empty(geoms)
        geoms, texts = geoms[ok], texts[ok]
    projected = _by_chunks(lambda g: shapely.transform(g, scene_xy), geoms)
    kinds = shapely.get_type_id(projected) if len(projected) else np.array([], dtype=int)
    is_point = np.isin(kinds, (0, 4))  # Point, MultiPoint
    is_areal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    areal = bool(is_areal.any())
    shapes = projected[~is_point]
    shape_texts = texts[~is_point]
    if areal:  # one layer draws one kind of shape; lines in a polygon layer are left out
        keep = np.isin(shapely.get_type_id(shapes), (3, 6))
        shapes, shape_texts = shapes[keep], shape_texts[keep]
    levels: list[Level] = []
    if len(shapes):
        b = shapely.total_bounds(shapes)
        centres = _by_chunks(
            lambda g: shapely.get_coordinates(shapely.centroid(shapely.envelope(g))), shapes)
        bucket_of = _bucket_ids(centres, (b[0], b[1], b[2], b[3]), len(shapes))
        for tol in LEVEL_TOLERANCES_M:
            if cancelled is not None and cancelled():
                break
            levels.append(_level(shapes, tol, areal, bucket_of))
    label_xy = np.zeros((0, 2))
    labels: list[str] = []
    if style.label_min_zoom is not None and len(shapes):
        has = np.array([bool(t) for t in shape_texts], dtype=bool)
        chosen = shapes[has]
        if areal:
            anchors = _by_chunks(shapely.point_on_surface, chosen)
        else:
            anchors = shapely.line_interpolate_point(chosen, 0.5, normalized=True)
        label_xy = shapely.get_coordinates(anchors)
        labels = [str(t) for t in shape_texts[has]]
    points = projected[is_point]
    point_xy = shapely.get_coordinates(shapely.centroid(points)) if len(points) else np.zeros(
        (0, 2))
    return LayerDrawing(
        uuid=layer.uuid, name=layer.name, kind=layer.kind, stroke=style.stroke,
        width=style.width, fill=style.fill, dashed=style.dashed,
        label_min_zoom=style.label_min_zoom, areal=areal, levels=levels, points=point_xy,
        point_labels=[str(t) for t in texts[is_point]], label_xy=label_xy, labels=labels,
        features=len(layer.features), build_seconds=time.perf_counter() - started)


def build_drawings(layers: Sequence[MapLayer],
                   cancelled: Callable[[], bool] | None = None) -> list[LayerDrawing]:
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    drawings = [build_drawing(layer, cancelled) for layer in layers]
    drawings.sort(key=lambda d: order.get(d.kind, len(order)))
    return drawings


# --- painting ------------------------------------------------------------------------------
def _colour(text: str | None) -> QColor | None:
    """"#rrggbb" or "#rrggbbaa" (the alpha last, as in the styles; Qt wants it first)."""
    if not text:
        return None
    t = text.strip()
    if len(t) == 9 and t.startswith("#"):
        c = QColor(t[:7])
        c.setAlpha(int(t[7:], 16))
    else:
        c = QColor(t)
    return c if c.isValid() else None


def _pen(colour: QColor, width: float, dashed: bool = False) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap if dashed else Qt.PenCapStyle.RoundCap)
    if dashed:
        pen.setStyle(Qt.PenStyle.CustomDashLine)
        pen.setDashPattern([5.0, 3.0])
    return pen


class LabelImages:
    """Labels rendered once with their white halo, then blitted: 800 numbers per frame."""

    def __init__(self) -> None:
        self._images: OrderedDict[tuple[str, str, str, float], QImage] = OrderedDict()

    def get(self, text: str, font: QFont, colour: QColor, ratio: float) -> QImage:
        key = (text, font.key(), colour.name(), ratio)
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image
        fm = QFontMetricsF(font)
        halo = 2.0
        w = math.ceil(fm.horizontalAdvance(text) + 2 * halo + 2)
        h = math.ceil(fm.height() + 2 * halo)
        image = QImage(max(1, round(w * ratio)), max(1, round(h * ratio)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        path = QPainterPath()
        path.addText(QPointF(halo + 1, halo + fm.ascent()), font, text)
        stroker = QPainterPathStroker()
        stroker.setWidth(2 * halo + 0.5)
        stroker.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.fillPath(stroker.createStroke(path), QColor(255, 255, 255, 235))
        p.fillPath(path, colour)
        p.end()
        self._images[key] = image
        while len(self._images) > LABEL_CACHE:
            self._images.popitem(last=False)
        return image


_LABEL_IMAGES = LabelImages()


@dataclass
class FrameStats:
    """What the last frame drew (tests look at it; the benchmark counts it)."""

    paths: dict[str, int] = field(default_factory=dict)  # layer uuid -> buckets drawn
    labels: list[str] = field(default_factory=list)
    label_boxes: list[QRectF] = field(default_factory=list)
    points: dict[str, int] = field(default_factory=dict)
    zoom: float = 0.0


def _free(box: QRectF, grid: dict[tuple[int, int], list[QRectF]], cell: float) -> bool:
    cells = [(i, j) for i in range(int(box.left() // cell), int(box.right() // cell) + 1)
             for j in range(int(box.top() // cell), int(box.bottom() // cell) + 1)]
    for c in cells:
        for other in grid.get(c, ()):
            if other.intersects(box):
                return False
    for c in cells:
        grid.setdefault(c, []).append(box)
    return True


def paint_layers(painter: QPainter, exposed: QRectF, drawings: Sequence[LayerDrawing],
                 hidden: set[str], font: QFont, reserved: Sequence[QRectF]) -> FrameStats:
    """Draw the visible layers under `exposed` (scene rect), then their labels in pixels."""
    stats = FrameStats()
    world = painter.worldTransform()
    px_per_m = abs(world.m11())
    if px_per_m <= 0:
        return stats
    zoom = web_mercator_zoom(px_per_m)
    stats.zoom = zoom
    ex = (exposed.left(), exposed.top(), exposed.right(), exposed.bottom())
    shown = [d for d in drawings if d.uuid not in hidden]
    painter.save()
    for d in shown:
        if not d.levels:
            continue
        li = d.level_for(px_per_m)
        level = d.levels[li]
        pad = (d.width + 2) / px_per_m
        visible = [i for i, b in enumerate(level.buckets)
                   if b.rect[0] - pad <= ex[2] and b.rect[2] + pad >= ex[0]
                   and b.rect[1] - pad <= ex[3] and b.rect[3] + pad >= ex[1]]
        stats.paths[d.uuid] = len(visible)
        if not visible:
            continue
        stroke = _colour(d.stroke) or QColor("#555555")
        fill = _colour(d.fill) if d.areal else None
        # hairline grids draw much faster without antialiasing and look the same
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, d.width > 1.0)
        painter.setPen(_pen(stroke, d.width, d.dashed))
        painter.setBrush(QBrush(fill) if fill is not None else Qt.BrushStyle.NoBrush)
        for i in visible:
            painter.drawPath(d.path(li, i))
    painter.restore()
    # points and labels: in device pixels so they keep their size at every zoom
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    vp = QRectF(painter.viewport()) if painter.viewport().isValid() else QRectF()
    ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    grid: dict[tuple[int, int], list[QRectF]] = {}
    cell = 48.0
    for r in reserved:
        _free(QRectF(r), grid, cell)
    for d in shown:
        candidates: list[tuple[QPointF, str, bool]] = []
        if len(d.points):
            symbol = _colour(d.fill) or QColor("white")
            ink = _colour(d.stroke) or QColor("black")
            painter.setPen(QPen(ink, 1.5))
            painter.setBrush(symbol)
            inside = _inside(d.points, ex)
            stats.points[d.uuid] = int(inside.sum())
            for k in np.flatnonzero(inside):
                at = world.map(QPointF(*d.points[k]))
                painter.drawRect(QRectF(at.x() - 4, at.y() - 4, 8, 8))
                painter.drawPoint(at)
                candidates.append((at, d.point_labels[k], True))
        if d.label_min_zoom is None or zoom + 1e-9 < d.label_min_zoom or not d.labels:
            if not candidates:
                continue
        else:
            for k in np.flatnonzero(_inside(d.label_xy, ex))[:LABEL_CANDIDATES_MAX]:
                candidates.append((world.map(QPointF(*d.label_xy[k])), d.labels[k], False))
        if d.label_min_zoom is None or zoom + 1e-9 < d.label_min_zoom:
            candidates = []  # points keep their symbol; their names only from the zoom on
        ink = _colour(d.stroke) or QColor("#343a40")
        ink = ink.darker(130)
        ink.setAlpha(255)
        for at, text, beside in candidates:
            if not text:
                continue
            image = _LABEL_IMAGES.get(text, font, ink, ratio)
            w = image.width() / image.devicePixelRatio()
            h = image.height() / image.devicePixelRatio()
            if beside:  # a cordon's name to the right of its symbol
                box = QRectF(at.x() + 6, at.y() - h / 2, w, h)
            else:
                box = QRectF(at.x() - w / 2, at.y() - h / 2, w, h)
            if vp.isValid() and not vp.contains(box):
                continue
            test = box.adjusted(-LABEL_GAP_PX, -LABEL_GAP_PX, LABEL_GAP_PX, LABEL_GAP_PX)
            if not _free(test, grid, cell):
                continue
            painter.drawImage(box.topLeft(), image)
            stats.labels.append(text)
            stats.label_boxes.append(box)
    painter.restore()
    return stats


def _inside(xy: np.ndarray, ex: tuple[float, float, float, float]) -> np.ndarray:
    if not len(xy):
        return np.zeros(0, dtype=bool)
    return ((xy[:, 0] >= ex[0]) & (xy[:, 0] <= ex[2])
            & (xy[:, 1] >= ex[1]) & (xy[:, 1] <= ex[3]))


# --- what a map view holds -----------------------------------------------------------------
class LayerPainter(QObject):
    """Per map view: the layers' drawings (its own or the database's source) and the menu."""

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        self.source: Any = None  # ui.layer_source.LayerSource, found through the parents
        self._explicit = False
        self._own: list[LayerDrawing] = []
        self._own_hidden: set[str] = set()
        self._worker: workers.Worker | None = None
        self.add_dialog: Any = None  # the last "Add a map layer" dialog (tests look)
        self.last = FrameStats()
        self.button = QToolButton(view)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.button.clicked.connect(self.button.showMenu)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self.fill_menu)
        self.button.hide()
        self._anchor: QPoint | None = None
        self.retranslate()

    # --- data ------------------------------------------------------------------------------
    def drawings(self) -> list[LayerDrawing]:
        if self._explicit or self.source is None:
            return self._own
        return list(self.source.drawings)

    def hidden(self) -> set[str]:
        if self._explicit or self.source is None:
            return self._own_hidden
        return self.source.hidden()

    def set_layers(self, layers: Sequence[MapLayer]) -> workers.Worker:
        """Show these layers on this map only; their drawing data is built in a worker."""
        self._explicit = True
        self._unbind()
        if self._worker is not None:
            self._worker.cancel()
        frozen = list(layers)
        worker = workers.Worker(lambda progress, cancelled: build_drawings(frozen, cancelled))
        worker.signals.finished_ok.connect(
            lambda result, w=worker: self._built(w, result))
        self._worker = worker
        return workers.start(worker)

    def set_drawings(self, drawings: Sequence[LayerDrawing]) -> None:
        """Show drawings built already (the benchmark times the build on its own)."""
        self._explicit = True
        self._unbind()
        self._own = list(drawings)
        self._changed()

    def _built(self, worker: workers.Worker, result: list[LayerDrawing]) -> None:
        if worker is not self._worker or worker.cancelled():
            return
        self._worker = None
        self._own = result
        self._changed()

    def building(self) -> bool:
        if self._worker is not None:
            return True
        return bool(self.source is not None and not self._explicit and self.source.loading())

    def set_visible(self, uuid: str, visible: bool) -> None:
        if self._explicit or self.source is None:
            (self._own_hidden.discard if visible else self._own_hidden.add)(uuid)
            self._changed()
        else:
            self.source.set_visible(uuid, visible)

    def _changed(self) -> None:
        # With a database behind the map the button stays, so the first layer can be added.
        self.button.setVisible(bool(self.drawings()) or
                               (self.source is not None and not self._explicit))
        self.place()
        self.view.viewport().update()

    # --- the database's source -------------------------------------------------------------
    def bind(self) -> None:
        if self._explicit:
            return
        from ranger_app.ui.layer_source import find_source

        source = find_source(self.view)
        if source is not self.source:
            self._unbind()
            self.source = source
            if source is not None:
                source.changed.connect(self._changed)
            self._changed()

    def _unbind(self) -> None:
        if self.source is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.source.changed.disconnect(self._changed)
            self.source = None

    # --- painting --------------------------------------------------------------------------
    def paint(self, painter: QPainter, exposed: QRectF, reserved: Sequence[QRectF]) -> None:
        self.bind()
        drawings = self.drawings()
        if not drawings:
            self.last = FrameStats()
            return
        font = QFont(self.view.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1.0))
        self.last = paint_layers(painter, exposed, drawings, self.hidden(), font, reserved)

    # --- the menu --------------------------------------------------------------------------
    def anchor(self) -> QPoint | None:
        return self._anchor

    def place(self, at: QPoint | None = None) -> None:
        """Right-align the button at `at` (kept for when the text changes language)."""
        self._anchor = at if at is not None else self._anchor
        self.button.adjustSize()
        if self._anchor is not None:
            self.button.move(self._anchor.x() - self.button.width(), self._anchor.y())

    def fill_menu(self) -> None:
        self.menu.clear()
        hidden = self.hidden()
        for d in self.drawings():
            action = QAction(_("{name} ({kind})").format(name=d.name, kind=kind_label(d.kind)),
                             self.menu)
            action.setCheckable(True)
            action.setChecked(d.uuid not in hidden)
            action.setData(d.uuid)
            action.toggled.connect(lambda on, u=d.uuid: self.set_visible(u, on))
            self.menu.addAction(action)
        if self.source is not None and not self._explicit:
            if self.menu.actions():
                self.menu.addSeparator()
            add = QAction(_("Add a map layer file…"), self.menu)
            add.triggered.connect(self.open_add_dialog)
            self.menu.addAction(add)

    def open_add_dialog(self) -> Any:
        """The add dialog for this map's database; the maps reload when a layer is added."""
        from ranger_app.ui.layer_add import AddLayerDialog

        source = self.source
        if source is None:
            return None
        dialog = AddLayerDialog(source.db, self.view)
        dialog.added.connect(lambda added: source.reload() if added.created else None)
        dialog.open()
        self.add_dialog = dialog
        return dialog

    def retranslate(self) -> None:
        self.button.setText(_("Layers"))
        self.button.setToolTip(_("Choose the layers drawn on the map"))
        self.button.setAccessibleName(_("Layers"))
        if self.menu.isVisible():
            self.fill_menu()
        self.place()
